//! Maintenance windows: scoped reads with the classifications impacted rendered as the notice
//! writes them, provider-admin writes with `If-Match` and `Idempotency-Key`. A window is scoped
//! like an incident: the whole service, classifications (`classification_ids` is the shorthand),
//! or an explicit set of tenants.

use actix_web::{get, patch, post, web, HttpRequest, HttpResponse};
use domain::maintenance::Description;
use domain::{
    Caller, ClassificationId, DomainError, EventScope, MaintenanceId, OfferingId, ServiceId,
    TenantId, Title,
};
use persistence::model::{MaintenanceFilter, Reads};
use persistence::repo::maintenances::{self, MaintenanceChanges, NewMaintenance};
use persistence::{Record, RepoError, RepoResult};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};

use super::events::{
    create_event, get_event, impacted_tenants_page, newest_first, patch_event, require_writer_of,
    visible_page, EventContext, EventKind, Include, OfferingRef, Scope, ShownFilter, Sort,
    TenantRef,
};
use crate::auth::Authenticated;
use crate::db::Db;
use crate::error::{ApiError, ReadProblems, WriteProblems};
use crate::extract::{JsonBody, QueryParams};
use crate::pagination::{Page, PageParams};
use crate::wire::{ExpectedImpact, MaintenanceStatus, Phase};

/// A planned window, as the caller sees it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MaintenanceResponse {
    pub id: i64,
    pub service_id: i64,
    pub title: String,
    pub description: String,
    pub status: MaintenanceStatus,
    /// Relative to now: `upcoming`, `active` (running or due) or `past`.
    pub phase: Phase,
    pub expected_impact: ExpectedImpact,
    #[serde(with = "crate::wire::instant")]
    pub scheduled_start: OffsetDateTime,
    #[serde(with = "crate::wire::instant")]
    pub scheduled_end: OffsetDateTime,
    #[serde(with = "crate::wire::instant::option")]
    pub actual_start: Option<OffsetDateTime>,
    #[serde(with = "crate::wire::instant::option")]
    pub actual_end: Option<OffsetDateTime>,
    /// Which tenants of the service the window may impact; explicit tenants are limited to
    /// those the caller may see.
    pub scope: Scope,
    /// The classifications impacted (for a classification scope; empty otherwise).
    pub classification_ids: Vec<i64>,
    /// E.g. "SaaS 2 & 3 EU-hosted Tenants"; "All tenants" for a whole-service window and
    /// "Selected tenants" for one aimed at tenants (names are never part of the label).
    pub impacted_label: String,
    /// The caller's offerings the window shows on (those covering a tenant it may impact;
    /// possibly none).
    pub offerings: Vec<OfferingRef>,
    /// How many caller-visible tenants may be impacted.
    pub impacted_tenant_count: usize,
    /// The caller-visible tenants that may be impacted: on the window itself and on write
    /// answers; in lists only with `include=impacted_tenants` (else
    /// `GET /api/v1/maintenances/{id}/impacted-tenants` pages them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub impacted_tenants: Option<Vec<TenantRef>>,
    pub version: i64,
    #[serde(with = "crate::wire::instant")]
    pub created_at: OffsetDateTime,
    #[serde(with = "crate::wire::instant")]
    pub updated_at: OffsetDateTime,
}

/// A new maintenance window (status `scheduled`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateMaintenanceRequest {
    pub service_id: i64,
    /// Must not name tenants.
    #[schema(min_length = 1, max_length = 200)]
    pub title: String,
    /// Must not name tenants.
    #[schema(min_length = 1, max_length = 5000)]
    pub description: String,
    pub expected_impact: ExpectedImpact,
    #[serde(with = "crate::wire::instant")]
    pub scheduled_start: OffsetDateTime,
    /// After `scheduled_start`.
    #[serde(with = "crate::wire::instant")]
    pub scheduled_end: OffsetDateTime,
    /// Which tenants may be impacted: the whole service, classifications or tenants. Give
    /// either this or `classification_ids`.
    pub scope: Option<Scope>,
    /// Shorthand for a classification scope: at least one.
    pub classification_ids: Option<Vec<i64>>,
    /// Defaults to `scheduled`; another status records a past or running window.
    pub status: Option<MaintenanceStatus>,
    /// For recorded windows: when it really started (default: now if in progress, else the
    /// scheduled start).
    #[serde(default, with = "crate::wire::instant::option")]
    pub actual_start: Option<OffsetDateTime>,
    /// For recorded windows: when it really ended (default: the scheduled end if completed).
    #[serde(default, with = "crate::wire::instant::option")]
    pub actual_end: Option<OffsetDateTime>,
}

/// Changes; absent fields stay. A status change records the actual start or end.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateMaintenanceRequest {
    #[schema(min_length = 1, max_length = 200)]
    pub title: Option<String>,
    #[schema(min_length = 1, max_length = 5000)]
    pub description: Option<String>,
    pub expected_impact: Option<ExpectedImpact>,
    #[serde(default, with = "crate::wire::instant::option")]
    pub scheduled_start: Option<OffsetDateTime>,
    #[serde(default, with = "crate::wire::instant::option")]
    pub scheduled_end: Option<OffsetDateTime>,
    /// A new scope; give this or `classification_ids`, not both.
    pub scope: Option<Scope>,
    /// Shorthand for a new classification scope.
    pub classification_ids: Option<Vec<i64>>,
    /// `in_progress`, `completed` or `cancelled`.
    pub status: Option<MaintenanceStatus>,
}

/// Filters for the maintenance list.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MaintenanceListParams {
    /// Only windows showing on this offering.
    pub offering_id: Option<i64>,
    pub service_id: Option<i64>,
    pub status: Option<MaintenanceStatus>,
    /// Only windows that may impact tenants of this classification (whole-service windows,
    /// windows listing it, windows aimed at one of its tenants).
    pub classification_id: Option<i64>,
    /// Only windows that may impact this tenant.
    pub tenant_id: Option<i64>,
    /// `upcoming`, `active` or `past`.
    pub phase: Option<Phase>,
    /// Only windows ending after this time (RFC 3339).
    #[serde(default, deserialize_with = "crate::wire::instant::query::deserialize")]
    #[param(value_type = Option<String>, format = DateTime)]
    pub from: Option<OffsetDateTime>,
    /// Only windows starting before this time (RFC 3339).
    #[serde(default, deserialize_with = "crate::wire::instant::query::deserialize")]
    #[param(value_type = Option<String>, format = DateTime)]
    pub to: Option<OffsetDateTime>,
    /// `impacted_tenants`: list each window's impacted tenants (default: only the count).
    pub include: Option<Include>,
    /// `id` (oldest first, the default) or `-started_at` (newest first: by actual start, else
    /// scheduled start).
    pub sort: Option<Sort>,
}

/// Renders a window for the caller; `None` when it may impact none of the caller's tenants.
pub fn render(
    ctx: &EventContext,
    record: Record<domain::Maintenance>,
    now: OffsetDateTime,
) -> Option<MaintenanceResponse> {
    let m = record.item;
    let reach = ctx.view.reach(m.service_id, &m.scope)?;
    Some(MaintenanceResponse {
        id: m.id.0,
        service_id: m.service_id.0,
        title: m.title.to_string(),
        description: m.description.to_string(),
        status: m.status.into(),
        phase: m.phase(now).into(),
        expected_impact: m.expected_impact.into(),
        scheduled_start: m.scheduled_start,
        scheduled_end: m.scheduled_end,
        actual_start: m.actual_start,
        actual_end: m.actual_end,
        scope: Scope::shown(&m.scope, &reach),
        classification_ids: match &m.scope {
            EventScope::Classifications(ids) => ids.iter().map(|c| c.0).collect(),
            EventScope::Service | EventScope::Tenants(_) => Vec::new(),
        },
        impacted_label: ctx.label(&m.scope),
        offerings: ctx.offerings(&reach),
        impacted_tenant_count: reach.tenants.len(),
        impacted_tenants: Some(ctx.tenants(m.service_id, &reach)),
        version: m.version,
        created_at: record.created_at,
        updated_at: record.updated_at,
    })
}

/// Maintenance windows as the shared event flows see them.
pub struct Maintenances;

impl EventKind for Maintenances {
    type Id = MaintenanceId;
    type Response = MaintenanceResponse;
    const PATH: &'static str = "/api/v1/maintenances";
    const OBJECT: &'static str = "maintenance";

    fn raw(id: MaintenanceId) -> i64 {
        id.0
    }

    fn load_one(
        reads: &mut impl Reads,
        caller: &Caller,
        id: MaintenanceId,
    ) -> RepoResult<MaintenanceResponse> {
        let record = reads.maintenance(id)?;
        let ctx = EventContext::load(reads, caller, Some(record.item.service_id), true)?;
        render(&ctx, record, OffsetDateTime::now_utc()).ok_or(RepoError::NotFound)
    }

    fn version(response: &MaintenanceResponse) -> i64 {
        response.version
    }

    fn impacted_tenants(response: MaintenanceResponse) -> Vec<TenantRef> {
        response.impacted_tenants.unwrap_or_default()
    }

    fn service_id(response: &MaintenanceResponse) -> i64 {
        response.service_id
    }

    fn offering_ids(response: &MaintenanceResponse) -> Vec<i64> {
        response.offerings.iter().map(|o| o.id).collect()
    }

    fn webhook_event(
        before: Option<&MaintenanceResponse>,
        after: &MaintenanceResponse,
    ) -> domain::WebhookEventType {
        domain::WebhookEventType::of_maintenance(
            before.map(|b| b.status.into()),
            after.status.into(),
        )
    }
}

/// The scope a request names, with the field a missing classification is reported on:
/// `scope`, or its shorthand `classification_ids` (not both).
fn requested_scope(
    scope: Option<&Scope>,
    classification_ids: Option<&[i64]>,
) -> Result<Option<(EventScope, &'static str)>, ApiError> {
    match (scope, classification_ids) {
        (Some(_), Some(_)) => Err(ApiError::invalid(
            "classification_ids",
            "give either scope or classification_ids, not both",
        )),
        (Some(scope), None) => Ok(Some((scope.parse()?, "scope.classification_ids"))),
        (None, Some([])) => Err(DomainError::invalid(
            "classification_ids",
            "must name at least one classification",
        )
        .into()),
        (None, Some(ids)) => Ok(Some((
            EventScope::Classifications(ids.iter().copied().map(ClassificationId).collect()),
            "classification_ids",
        ))),
        (None, None) => Ok(None),
    }
}

/// List the maintenance windows that may impact one of the caller's tenants.
#[utoipa::path(tag = "status", params(MaintenanceListParams, PageParams), responses((status = 200, body = Page<MaintenanceResponse>), (status = 422, description = "`from` or `to` outside the supported range, or `to` not after `from`", body = crate::error::Problem, content_type = "application/problem+json"), ReadProblems))]
#[get("/maintenances")]
pub async fn list_maintenances(
    db: web::Data<Db>,
    caller: Authenticated,
    filter: QueryParams<MaintenanceListParams>,
    page: QueryParams<PageParams>,
) -> Result<web::Json<Page<MaintenanceResponse>>, ApiError> {
    let page = page.0.request()?;
    let params = filter.0;
    crate::extract::check_list_window(params.from, params.to)?;
    let caller = caller.0;
    let found = db
        .read(move |model| list(model, &caller, &params, page))
        .await?;
    Ok(web::Json(Page::from_records(found, |r| r)))
}

/// The caller's windows `params` selects, a page (the JSON list and the calendar feed).
pub fn list(
    reads: &mut &persistence::model::Model,
    caller: &Caller,
    params: &MaintenanceListParams,
    page: persistence::PageRequest,
) -> RepoResult<persistence::Page<MaintenanceResponse>> {
    let shown = ShownFilter {
        offering: params.offering_id.map(OfferingId),
        tenant: params.tenant_id.map(TenantId),
    };
    let ctx = EventContext::load(reads, caller, params.service_id.map(ServiceId), true)?;
    let filter = MaintenanceFilter {
        services: params
            .service_id
            .map(|s| vec![ServiceId(s)])
            .or_else(|| ctx.view.services()),
        status: params.status.map(Into::into),
        classification: params.classification_id.map(ClassificationId),
        from: params.from,
        to: params.to,
        open_only: false,
        counted_only: false,
    };
    let now = OffsetDateTime::now_utc();
    let keep = |record| {
        render(&ctx, record, now)
            .filter(|r| shown.keeps(&r.offerings, r.impacted_tenants.as_deref()))
            .filter(|r| params.phase.is_none_or(|p| r.phase == p))
            .map(|r| Include::apply(params.include, r, |r| &mut r.impacted_tenants))
    };
    if params.sort == Some(Sort::NewestFirst) {
        let all = reads
            .maintenances(&filter, persistence::PageRequest::first(i64::MAX))?
            .items;
        let start = |m: &domain::Maintenance| m.actual_start.unwrap_or(m.scheduled_start);
        let fetch = newest_first(all, |r| (start(&r.item), r.item.id.0));
        return visible_page(fetch, page, |record| record.item.id.0, keep);
    }
    visible_page(
        |request| reads.maintenances(&filter, request),
        page,
        |record| record.item.id.0,
        keep,
    )
}

/// Get one maintenance window, if it may impact one of the caller's tenants.
#[utoipa::path(tag = "status", params(("id" = i64, Path, description = "Maintenance id")), responses((status = 200, body = MaintenanceResponse, headers(("ETag" = String, description = "\"v{version}-{hash}\"; send as If-Match to PATCH"))), ReadProblems))]
#[get("/maintenances/{id}")]
pub async fn get_maintenance(
    db: web::Data<Db>,
    caller: Authenticated,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    get_event::<Maintenances>(&db, caller.0, MaintenanceId(id.into_inner())).await
}

/// The caller-visible tenants a window may impact, paginated.
#[utoipa::path(tag = "status", params(("id" = i64, Path, description = "Maintenance id"), PageParams), responses((status = 200, body = Page<TenantRef>), ReadProblems))]
#[get("/maintenances/{id}/impacted-tenants")]
pub async fn list_maintenance_impacted_tenants(
    db: web::Data<Db>,
    caller: Authenticated,
    id: web::Path<i64>,
    page: QueryParams<PageParams>,
) -> Result<web::Json<Page<TenantRef>>, ApiError> {
    impacted_tenants_page::<Maintenances>(&db, caller.0, MaintenanceId(id.into_inner()), page.0)
        .await
}

/// Schedule a maintenance window (provider admins). Send `Idempotency-Key` to make retries safe.
#[utoipa::path(
    tag = "status",
    request_body = CreateMaintenanceRequest,
    params(crate::idempotency::IdempotencyKey),
    responses((status = 201, body = MaintenanceResponse), WriteProblems)
)]
#[post("/maintenances")]
pub async fn create_maintenance(
    db: web::Data<Db>,
    caller: Authenticated,
    req: HttpRequest,
    body: JsonBody<CreateMaintenanceRequest>,
) -> Result<HttpResponse, ApiError> {
    caller.require_writer()?;
    let JsonBody(request, raw) = body;
    let (scope, classes_field) = requested_scope(
        request.scope.as_ref(),
        request.classification_ids.as_deref(),
    )?
    .ok_or_else(|| ApiError::invalid("scope", "is required (or classification_ids)"))?;
    let new = NewMaintenance {
        service_id: ServiceId(request.service_id),
        title: Title::parse(&request.title)?,
        description: Description::parse(&request.description)?,
        expected_impact: request.expected_impact.into(),
        scheduled_start: request.scheduled_start,
        scheduled_end: request.scheduled_end,
        scope,
        classes_field,
        status: request
            .status
            .map_or(domain::MaintenanceStatus::Scheduled, Into::into),
        actual_start: request.actual_start,
        actual_end: request.actual_end,
    };
    let names = db.names();
    create_event::<Maintenances>(&db, &caller, &req, &raw, move |conn| {
        maintenances::create(conn, &names, &new).map(|created| created.item.id)
    })
    .await
}

/// Change a window or move its status (provider admins). With `If-Match`, only if nobody
/// changed it since (412 otherwise).
#[utoipa::path(
    tag = "status",
    params(("id" = i64, Path, description = "Maintenance id"), ("If-Match" = Option<String>, Header, description = "The ETag of the version you read")),
    request_body = UpdateMaintenanceRequest,
    responses((status = 200, body = MaintenanceResponse), (status = 412, description = "The window changed since the If-Match version", body = crate::error::Problem, content_type = "application/problem+json"), WriteProblems)
)]
#[patch("/maintenances/{id}")]
pub async fn update_maintenance(
    db: web::Data<Db>,
    caller: Authenticated,
    req: HttpRequest,
    id: web::Path<i64>,
    body: JsonBody<UpdateMaintenanceRequest>,
) -> Result<HttpResponse, ApiError> {
    let id = MaintenanceId(id.into_inner());
    require_writer_of::<Maintenances>(&db, &caller, id).await?;
    let request = body.0;
    let scope = requested_scope(
        request.scope.as_ref(),
        request.classification_ids.as_deref(),
    )?;
    let changes = MaintenanceChanges {
        title: request.title.as_deref().map(Title::parse).transpose()?,
        description: request
            .description
            .as_deref()
            .map(Description::parse)
            .transpose()?,
        expected_impact: request.expected_impact.map(Into::into),
        scheduled_start: request.scheduled_start,
        scheduled_end: request.scheduled_end,
        classes_field: scope.as_ref().map_or("scope", |(_, field)| field),
        scope: scope.map(|(scope, _)| scope),
        status: request.status.map(Into::into),
    };
    let names = db.names();
    patch_event::<Maintenances>(&db, caller.0, &req, id, move |conn, expected| {
        maintenances::update(conn, &names, id, expected, &changes).map(drop)
    })
    .await
}
