//! Incidents: scoped reads (each caller sees only incidents that affect one of its tenants, with
//! its own impacted tenants), provider-admin writes with `If-Match` and `Idempotency-Key`.

use actix_web::{get, patch, post, web, HttpRequest, HttpResponse};
use domain::{Caller, IncidentId, Message, OfferingId, ServiceId, TenantId, Title};
use persistence::model::IncidentFilter;
use persistence::model::Reads;
use persistence::repo::incidents::{self, IncidentChanges, NewIncident, NewUpdate};
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
use crate::idempotency::create_once;
use crate::pagination::{Page, PageParams};
use crate::wire::{Impact, IncidentStatus};

/// An unplanned event on one service, as the caller sees it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct IncidentResponse {
    pub id: i64,
    pub service_id: i64,
    pub title: String,
    /// The impact in effect now.
    pub impact: Impact,
    /// Every impact the incident had, oldest first, each from when it took effect (the first
    /// from `started_at`): availability weighs each instant at the impact in effect then.
    pub impact_history: Vec<ImpactEntry>,
    pub status: IncidentStatus,
    pub scope: Scope,
    #[serde(with = "crate::wire::instant")]
    pub started_at: OffsetDateTime,
    #[serde(with = "crate::wire::instant::option")]
    pub resolved_at: Option<OffsetDateTime>,
    /// Grows with every change; PATCH with `If-Match: <ETag>` to change only this version.
    pub version: i64,
    /// The caller's offerings the incident shows on (those covering an impacted tenant;
    /// possibly none).
    pub offerings: Vec<OfferingRef>,
    /// How many caller-visible tenants the incident affects.
    pub impacted_tenant_count: usize,
    /// The caller-visible tenants the incident affects: on the incident itself and on write
    /// answers; in lists only with `include=impacted_tenants` (else
    /// `GET /api/v1/incidents/{id}/impacted-tenants` pages them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub impacted_tenants: Option<Vec<TenantRef>>,
    #[serde(with = "crate::wire::instant")]
    pub created_at: OffsetDateTime,
    #[serde(with = "crate::wire::instant")]
    pub updated_at: OffsetDateTime,
    /// The timeline, oldest first (on single-incident reads).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updates: Option<Vec<IncidentUpdateResponse>>,
}

/// An impact and the instant it took effect.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImpactEntry {
    pub impact: Impact,
    #[serde(with = "crate::wire::instant")]
    pub from: OffsetDateTime,
}

/// One entry of an incident's timeline.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct IncidentUpdateResponse {
    pub id: i64,
    pub status: IncidentStatus,
    pub message: String,
    /// The provider contact who wrote it (shown to provider callers only).
    pub author_contact_id: Option<i64>,
    #[serde(with = "crate::wire::instant")]
    pub created_at: OffsetDateTime,
}

impl IncidentUpdateResponse {
    fn new(update: domain::IncidentUpdate, caller: &Caller) -> Self {
        Self {
            id: update.id.0,
            status: update.status.into(),
            message: update.message.to_string(),
            author_contact_id: update
                .author
                .filter(|_| caller.account_kind == domain::AccountKind::Provider)
                .map(|c| c.0),
            created_at: update.created_at,
        }
    }
}

/// A new incident.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateIncidentRequest {
    pub service_id: i64,
    /// Must not name tenants: it is shown to every caller the incident reaches.
    #[schema(min_length = 1, max_length = 200)]
    pub title: String,
    /// The impact it started with.
    pub impact: Impact,
    /// Recording history: each later impact and when it took effect, in time order, after
    /// `started_at` and not after `resolved_at` (nor in the future).
    #[serde(default)]
    pub impact_changes: Vec<ImpactEntry>,
    /// Defaults to `investigating`.
    pub status: Option<IncidentStatus>,
    pub scope: Scope,
    /// May be back-dated, never in the future; defaults to now.
    #[serde(default, with = "crate::wire::instant::option")]
    pub started_at: Option<OffsetDateTime>,
    /// Only with status `resolved` (recording history): when it was resolved; defaults to now.
    #[serde(default, with = "crate::wire::instant::option")]
    pub resolved_at: Option<OffsetDateTime>,
    /// The first timeline entry; must not name tenants.
    #[schema(min_length = 1, max_length = 5000)]
    pub message: String,
}

/// Changes to an incident; absent fields stay. Status changes are timeline updates.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateIncidentRequest {
    #[schema(min_length = 1, max_length = 200)]
    pub title: Option<String>,
    /// On an open incident a change from now (added to `impact_history`); on a resolved one a
    /// correction of its whole history.
    pub impact: Option<Impact>,
    #[serde(default, with = "crate::wire::instant::option")]
    pub started_at: Option<OffsetDateTime>,
    pub scope: Option<Scope>,
}

/// A timeline entry, optionally moving the status.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateIncidentUpdateRequest {
    /// The new status; absent keeps the current one. Forward moves only, except `reopen`.
    pub status: Option<IncidentStatus>,
    /// A new impact, in effect from this update (on a resolved incident that stays resolved:
    /// a correction of its whole history).
    pub impact: Option<Impact>,
    /// Set to reopen a resolved incident: it moves to `status` if given (an open status),
    /// else to `investigating`.
    #[serde(default)]
    pub reopen: bool,
    /// Must not name tenants.
    #[schema(min_length = 1, max_length = 5000)]
    pub message: String,
}

/// Filters for the incident list.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct IncidentListParams {
    /// Only incidents showing on this offering.
    pub offering_id: Option<i64>,
    pub service_id: Option<i64>,
    /// Only incidents affecting this tenant.
    pub tenant_id: Option<i64>,
    pub status: Option<IncidentStatus>,
    /// `true`: only unresolved incidents.
    pub active: Option<bool>,
    /// Only incidents running at some point at or after this time (RFC 3339).
    #[serde(default, deserialize_with = "crate::wire::instant::query::deserialize")]
    #[param(value_type = Option<String>, format = DateTime)]
    pub from: Option<OffsetDateTime>,
    /// Only incidents that started before this time (RFC 3339).
    #[serde(default, deserialize_with = "crate::wire::instant::query::deserialize")]
    #[param(value_type = Option<String>, format = DateTime)]
    pub to: Option<OffsetDateTime>,
    /// `impacted_tenants`: list each incident's impacted tenants (default: only the count).
    pub include: Option<Include>,
    /// `id` (oldest first, the default) or `-started_at` (newest first).
    pub sort: Option<Sort>,
}

/// Renders an incident for the caller; `None` when it affects none of the caller's tenants.
fn render(ctx: &EventContext, record: Record<domain::Incident>) -> Option<IncidentResponse> {
    let incident = record.item;
    let reach = ctx.view.reach(incident.service_id, &incident.scope)?;
    Some(IncidentResponse {
        id: incident.id.0,
        service_id: incident.service_id.0,
        title: incident.title.to_string(),
        impact: incident.impact.into(),
        impact_history: std::iter::once((incident.started_at, incident.initial_impact))
            .chain(incident.impact_changes.iter().copied())
            .map(|(from, impact)| ImpactEntry {
                impact: impact.into(),
                from,
            })
            .collect(),
        status: incident.status.into(),
        scope: Scope::shown(&incident.scope, &reach),
        started_at: incident.started_at,
        resolved_at: incident.resolved_at,
        version: incident.version,
        offerings: ctx.offerings(&reach),
        impacted_tenant_count: reach.tenants.len(),
        impacted_tenants: Some(ctx.tenants(incident.service_id, &reach)),
        created_at: record.created_at,
        updated_at: record.updated_at,
        updates: None,
    })
}

/// Incidents as the shared event flows see them.
pub struct Incidents;

impl EventKind for Incidents {
    type Id = IncidentId;
    type Response = IncidentResponse;
    const PATH: &'static str = "/api/v1/incidents";
    const OBJECT: &'static str = "incident";

    fn raw(id: IncidentId) -> i64 {
        id.0
    }

    /// The incident as the caller sees it, with its timeline.
    fn load_one(
        reads: &mut impl Reads,
        caller: &Caller,
        id: IncidentId,
    ) -> RepoResult<IncidentResponse> {
        let record = reads.incident(id)?;
        let ctx = EventContext::load(reads, caller, Some(record.item.service_id), false)?;
        let mut response = render(&ctx, record).ok_or(RepoError::NotFound)?;
        let timeline = reads.timeline(id)?;
        response.updates = Some(
            timeline
                .into_iter()
                .map(|u| IncidentUpdateResponse::new(u, caller))
                .collect(),
        );
        Ok(response)
    }

    fn version(response: &IncidentResponse) -> i64 {
        response.version
    }

    fn impacted_tenants(response: IncidentResponse) -> Vec<TenantRef> {
        response.impacted_tenants.unwrap_or_default()
    }

    fn service_id(response: &IncidentResponse) -> i64 {
        response.service_id
    }

    fn offering_ids(response: &IncidentResponse) -> Vec<i64> {
        response.offerings.iter().map(|o| o.id).collect()
    }

    fn webhook_event(
        before: Option<&IncidentResponse>,
        after: &IncidentResponse,
    ) -> domain::WebhookEventType {
        domain::WebhookEventType::of_incident(before.map(|b| b.status.into()), after.status.into())
    }
}

/// List the incidents that affect one of the caller's tenants, newest id last.
#[utoipa::path(tag = "status", params(IncidentListParams, PageParams), responses((status = 200, body = Page<IncidentResponse>), (status = 422, description = "`from` or `to` outside the supported range, or `to` not after `from`", body = crate::error::Problem, content_type = "application/problem+json"), ReadProblems))]
#[get("/incidents")]
pub async fn list_incidents(
    db: web::Data<Db>,
    caller: Authenticated,
    filter: QueryParams<IncidentListParams>,
    page: QueryParams<PageParams>,
) -> Result<web::Json<Page<IncidentResponse>>, ApiError> {
    let page = page.0.request()?;
    let params = filter.0;
    crate::extract::check_list_window(params.from, params.to)?;
    let caller = caller.0;
    let found = db
        .read(move |model| list(model, &caller, &params, page))
        .await?;
    Ok(web::Json(Page::from_records(found, |r| r)))
}

/// The caller's incidents `params` selects, a page (the JSON list and the Atom feed).
pub fn list(
    reads: &mut &persistence::model::Model,
    caller: &Caller,
    params: &IncidentListParams,
    page: persistence::PageRequest,
) -> RepoResult<persistence::Page<IncidentResponse>> {
    let shown = ShownFilter {
        offering: params.offering_id.map(OfferingId),
        tenant: params.tenant_id.map(TenantId),
    };
    let ctx = EventContext::load(reads, caller, params.service_id.map(ServiceId), false)?;
    let filter = IncidentFilter {
        services: params
            .service_id
            .map(|s| vec![ServiceId(s)])
            .or_else(|| ctx.view.services()),
        status: match (params.status, params.active) {
            (Some(status), _) => Some(status.into()),
            (None, Some(false)) => Some(domain::IncidentStatus::Resolved),
            (None, _) => None,
        },
        active_only: params.active == Some(true),
        from: params.from,
        to: params.to,
    };
    let keep = |record: Record<domain::Incident>| {
        render(&ctx, record)
            .filter(|r| shown.keeps(&r.offerings, r.impacted_tenants.as_deref()))
            .map(|r| Include::apply(params.include, r, |r| &mut r.impacted_tenants))
    };
    if params.sort == Some(Sort::NewestFirst) {
        let all = reads
            .incidents(&filter, persistence::PageRequest::first(i64::MAX))?
            .items;
        let fetch = newest_first(all, |r| (r.item.started_at, r.item.id.0));
        return visible_page(fetch, page, |record| record.item.id.0, keep);
    }
    visible_page(
        |request| reads.incidents(&filter, request),
        page,
        |record| record.item.id.0,
        keep,
    )
}

/// Get one incident with its timeline, if it affects one of the caller's tenants.
#[utoipa::path(tag = "status", params(("id" = i64, Path, description = "Incident id")), responses((status = 200, body = IncidentResponse, headers(("ETag" = String, description = "\"v{version}-{hash}\"; send as If-Match to PATCH"))), ReadProblems))]
#[get("/incidents/{id}")]
pub async fn get_incident(
    db: web::Data<Db>,
    caller: Authenticated,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    get_event::<Incidents>(&db, caller.0, IncidentId(id.into_inner())).await
}

/// The caller-visible tenants an incident affects, paginated.
#[utoipa::path(tag = "status", params(("id" = i64, Path, description = "Incident id"), PageParams), responses((status = 200, body = Page<TenantRef>), ReadProblems))]
#[get("/incidents/{id}/impacted-tenants")]
pub async fn list_incident_impacted_tenants(
    db: web::Data<Db>,
    caller: Authenticated,
    id: web::Path<i64>,
    page: QueryParams<PageParams>,
) -> Result<web::Json<Page<TenantRef>>, ApiError> {
    impacted_tenants_page::<Incidents>(&db, caller.0, IncidentId(id.into_inner()), page.0).await
}

/// Open an incident (provider admins). Send `Idempotency-Key` to make retries safe.
#[utoipa::path(
    tag = "status",
    request_body = CreateIncidentRequest,
    params(crate::idempotency::IdempotencyKey),
    responses((status = 201, body = IncidentResponse), WriteProblems)
)]
#[post("/incidents")]
pub async fn create_incident(
    db: web::Data<Db>,
    caller: Authenticated,
    req: HttpRequest,
    body: JsonBody<CreateIncidentRequest>,
) -> Result<HttpResponse, ApiError> {
    caller.require_writer()?;
    let JsonBody(request, raw) = body;
    let new = NewIncident {
        service_id: ServiceId(request.service_id),
        title: Title::parse(&request.title)?,
        impact: request.impact.into(),
        impact_changes: request
            .impact_changes
            .iter()
            .map(|entry| (entry.from, entry.impact.into()))
            .collect(),
        status: request
            .status
            .map_or(domain::IncidentStatus::Investigating, Into::into),
        scope: request.scope.parse()?,
        started_at: request.started_at.unwrap_or_else(OffsetDateTime::now_utc),
        resolved_at: request.resolved_at,
        message: Message::parse(&request.message)?,
        author: caller.0.contact_id,
    };
    let names = db.names();
    create_event::<Incidents>(&db, &caller, &req, &raw, move |conn| {
        incidents::create(conn, &names, &new).map(|created| created.item.id)
    })
    .await
}

/// Change an incident's title, impact, start or scope (provider admins). With `If-Match`, only
/// if nobody changed it since (412 otherwise).
#[utoipa::path(
    tag = "status",
    params(("id" = i64, Path, description = "Incident id"), ("If-Match" = Option<String>, Header, description = "The ETag of the version you read")),
    request_body = UpdateIncidentRequest,
    responses((status = 200, body = IncidentResponse), (status = 412, description = "The incident changed since the If-Match version", body = crate::error::Problem, content_type = "application/problem+json"), WriteProblems)
)]
#[patch("/incidents/{id}")]
pub async fn update_incident(
    db: web::Data<Db>,
    caller: Authenticated,
    req: HttpRequest,
    id: web::Path<i64>,
    body: JsonBody<UpdateIncidentRequest>,
) -> Result<HttpResponse, ApiError> {
    let id = IncidentId(id.into_inner());
    require_writer_of::<Incidents>(&db, &caller, id).await?;
    let request = body.0;
    let changes = IncidentChanges {
        title: request.title.as_deref().map(Title::parse).transpose()?,
        impact: request.impact.map(Into::into),
        started_at: request.started_at,
        scope: request.scope.as_ref().map(Scope::parse).transpose()?,
    };
    let names = db.names();
    patch_event::<Incidents>(&db, caller.0, &req, id, move |conn, expected| {
        incidents::update(conn, &names, id, expected, &changes).map(drop)
    })
    .await
}

/// An incident's timeline, oldest first, a page at a time.
#[utoipa::path(tag = "status", params(("id" = i64, Path, description = "Incident id"), PageParams), responses((status = 200, body = Page<IncidentUpdateResponse>), ReadProblems))]
#[get("/incidents/{id}/updates")]
pub async fn list_incident_updates(
    db: web::Data<Db>,
    caller: Authenticated,
    id: web::Path<i64>,
    page: QueryParams<PageParams>,
) -> Result<web::Json<Page<IncidentUpdateResponse>>, ApiError> {
    let request = page.0.request()?;
    let (caller, id) = (caller.0, IncidentId(id.into_inner()));
    let response = db
        .read(move |reads| Incidents::load_one(reads, &caller, id))
        .await?;
    let updates = response.updates.unwrap_or_default();
    let page = persistence::Page::from_sorted(updates, request, |u| u.id);
    Ok(web::Json(Page::from_records(page, |u| u)))
}

/// Post a timeline update, optionally moving the status (provider admins). Resolving sets
/// `resolved_at`; a resolved incident is reopened only with `reopen: true`.
#[utoipa::path(
    tag = "status",
    params(("id" = i64, Path, description = "Incident id"), crate::idempotency::IdempotencyKey),
    request_body = CreateIncidentUpdateRequest,
    responses((status = 201, body = IncidentUpdateResponse), WriteProblems)
)]
#[post("/incidents/{id}/updates")]
pub async fn create_incident_update(
    db: web::Data<Db>,
    caller: Authenticated,
    req: HttpRequest,
    id: web::Path<i64>,
    body: JsonBody<CreateIncidentUpdateRequest>,
) -> Result<HttpResponse, ApiError> {
    let id = IncidentId(id.into_inner());
    require_writer_of::<Incidents>(&db, &caller, id).await?;
    let JsonBody(request, raw) = body;
    let new = NewUpdate {
        status: request.status.map(Into::into),
        impact: request.impact.map(Into::into),
        reopen: request.reopen,
        message: Message::parse(&request.message)?,
        author: caller.0.contact_id,
    };
    let (writer, names) = (caller.0.clone(), db.names());
    let model = db.model_for_announcing().await;
    create_once(&db, &caller.0, &req, &raw, move |conn| {
        let before = conn.incident(id)?.item.status;
        let (after, update) = incidents::add_update(conn, &names, id, &new)?;
        let response = IncidentUpdateResponse::new(update, &writer);
        crate::audit::created(conn, &writer, "incident_update", response.id, &response)?;
        let event = domain::WebhookEventType::of_incident(Some(before), after.item.status);
        crate::webhooks::announce::<Incidents>(conn, &model, event, id)?;
        Ok((format!("/api/v1/incidents/{}", id.0), response))
    })
    .await
}
