//! Maintenance handlers: list, read, schedule and change windows.

use actix_web::{get, patch, post, web, HttpRequest, HttpResponse};
use domain::maintenance::Description;
use domain::{ClassificationId, DomainError, EventScope, MaintenanceId, ServiceId, Title};
use persistence::repo::maintenances::{self, MaintenanceChanges, NewMaintenance};
use serde::Deserialize;
use time::OffsetDateTime;
use utoipa::ToSchema;

use crate::http::auth::Authenticated;
use crate::http::error::{ApiError, ReadProblems, WriteProblems};
use crate::http::extract::{JsonBody, ListWindow, QueryParams};
use crate::http::pagination::{Page, PageParams};
use crate::http::state::AppState;
use crate::http::wire::{ExpectedImpact, MaintenanceStatus};
use crate::services::events::{
    allowance, create_events, name_guard, patch_event, require_writer_of,
};
use crate::views::events::{get_event, impacted_tenants_page, Scope, TenantRef};
use crate::views::maintenances::{list, MaintenanceListParams, MaintenanceResponse, Maintenances};

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
    #[serde(with = "crate::http::wire::instant")]
    pub scheduled_start: OffsetDateTime,
    /// After `scheduled_start`.
    #[serde(with = "crate::http::wire::instant")]
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
    #[serde(default, with = "crate::http::wire::instant::option")]
    pub actual_start: Option<OffsetDateTime>,
    /// For recorded windows: when it really ended (default: the scheduled end if completed).
    #[serde(default, with = "crate::http::wire::instant::option")]
    pub actual_end: Option<OffsetDateTime>,
    /// Whether the window moves to `in_progress` at its scheduled start and to `completed` at
    /// its scheduled end by itself (default `true`); moving its status by hand turns it off.
    pub auto_transition: Option<bool>,
    /// A recurring window: an RFC 5545 RRULE value such as `FREQ=WEEKLY;BYDAY=SA;COUNT=4`,
    /// expanded from `scheduled_start` into at most 100 windows of the same length, each with
    /// its own id and `series_id` naming the first (the one answered). Scheduled windows only.
    #[schema(example = "FREQ=MONTHLY;BYDAY=1SA;COUNT=6")]
    pub recurrence: Option<String>,
    /// Names of tenants or accounts this request's text uses as ordinary words (e.g. an
    /// account called `Data` in "Data export slow"): the name guard lets exactly these through,
    /// in this write only, and the audit log records the allowance (`name_allowance`).
    #[serde(default)]
    #[schema(max_items = 20)]
    pub allow_names: Vec<String>,
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
    #[serde(default, with = "crate::http::wire::instant::option")]
    pub scheduled_start: Option<OffsetDateTime>,
    #[serde(default, with = "crate::http::wire::instant::option")]
    pub scheduled_end: Option<OffsetDateTime>,
    /// A new scope; give this or `classification_ids`, not both.
    pub scope: Option<Scope>,
    /// Shorthand for a new classification scope.
    pub classification_ids: Option<Vec<i64>>,
    /// `in_progress`, `completed` or `cancelled`. Moving the status by hand turns
    /// `auto_transition` off (unless this request sets it).
    pub status: Option<MaintenanceStatus>,
    /// `false`: the window no longer starts and completes by itself; `true`: it does again.
    pub auto_transition: Option<bool>,
    /// Names of tenants or accounts this request's text uses as ordinary words (e.g. an
    /// account called `Data` in "Data export slow"): the name guard lets exactly these through,
    /// in this write only, and the audit log records the allowance (`name_allowance`).
    #[serde(default)]
    #[schema(max_items = 20)]
    pub allow_names: Vec<String>,
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
#[utoipa::path(tag = "status", params(MaintenanceListParams, ListWindow, PageParams), responses((status = 200, body = Page<MaintenanceResponse>), (status = 422, description = "`from` or `to` outside the supported range, or `to` not after `from`", body = crate::http::error::Problem, content_type = "application/problem+json"), ReadProblems))]
#[get("/maintenances")]
pub async fn list_maintenances(
    state: web::Data<AppState>,
    caller: Authenticated,
    filter: QueryParams<MaintenanceListParams>,
    window: ListWindow,
    page: QueryParams<PageParams>,
) -> Result<web::Json<Page<MaintenanceResponse>>, ApiError> {
    let db = &state.db;
    let page = page.0.request()?;
    let params = filter.0;
    let caller = caller.0;
    let found = db
        .read(move |model| list(model, &caller, &params, window, page))
        .await?;
    Ok(web::Json(Page::from_records(found, |r| r)))
}

/// Get one maintenance window, if it may impact one of the caller's tenants.
#[utoipa::path(tag = "status", params(("id" = i64, Path, description = "Maintenance id")), responses((status = 200, body = MaintenanceResponse, headers(("ETag" = String, description = "\"v{version}-{hash}\"; send as If-Match to PATCH"))), ReadProblems))]
#[get("/maintenances/{id}")]
pub async fn get_maintenance(
    state: web::Data<AppState>,
    caller: Authenticated,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let db = &state.db;
    get_event::<Maintenances>(db, caller.0, MaintenanceId(id.into_inner())).await
}

/// The caller-visible tenants a window may impact, paginated.
#[utoipa::path(tag = "status", params(("id" = i64, Path, description = "Maintenance id"), PageParams), responses((status = 200, body = Page<TenantRef>), ReadProblems))]
#[get("/maintenances/{id}/impacted-tenants")]
pub async fn list_maintenance_impacted_tenants(
    state: web::Data<AppState>,
    caller: Authenticated,
    id: web::Path<i64>,
    page: QueryParams<PageParams>,
) -> Result<web::Json<Page<TenantRef>>, ApiError> {
    let db = &state.db;
    impacted_tenants_page::<Maintenances>(db, caller.0, MaintenanceId(id.into_inner()), page.0)
        .await
}

/// Schedule a maintenance window (provider admins). Send `Idempotency-Key` to make retries safe.
#[utoipa::path(
    tag = "status",
    request_body = CreateMaintenanceRequest,
    params(crate::http::idempotency::IdempotencyKey),
    responses((status = 201, body = MaintenanceResponse), WriteProblems)
)]
#[post("/maintenances")]
pub async fn create_maintenance(
    state: web::Data<AppState>,
    caller: Authenticated,
    req: HttpRequest,
    body: JsonBody<CreateMaintenanceRequest>,
) -> Result<HttpResponse, ApiError> {
    let db = &state.db;
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
        auto_transition: request.auto_transition.unwrap_or(true),
        series_id: None,
    };
    let starts = match &request.recurrence {
        None => vec![new.scheduled_start],
        Some(_) if new.status != domain::MaintenanceStatus::Scheduled => {
            return Err(ApiError::invalid(
                "recurrence",
                "only a scheduled window recurs",
            ))
        }
        Some(rule) => domain::maintenance::recurrence(
            rule,
            new.scheduled_start,
            new.scheduled_end - new.scheduled_start,
        )?,
    };
    let names = name_guard(db, request.allow_names)?;
    let writer = caller.0.clone();
    create_events::<Maintenances>(db, &caller, &req, &raw, move |conn| {
        let ids = maintenances::create_series(conn, &names, &new, &starts)?;
        for id in &ids {
            allowance(conn, &writer, "maintenance", id.0, names.allowed())?;
        }
        Ok(ids)
    })
    .await
}

/// Change a window or move its status (provider admins). With `If-Match`, only if nobody
/// changed it since (412 otherwise).
#[utoipa::path(
    tag = "status",
    params(("id" = i64, Path, description = "Maintenance id"), ("If-Match" = Option<String>, Header, description = "The ETag of the version you read")),
    request_body = UpdateMaintenanceRequest,
    responses((status = 200, body = MaintenanceResponse), (status = 412, description = "The window changed since the If-Match version", body = crate::http::error::Problem, content_type = "application/problem+json"), WriteProblems)
)]
#[patch("/maintenances/{id}")]
pub async fn update_maintenance(
    state: web::Data<AppState>,
    caller: Authenticated,
    req: HttpRequest,
    id: web::Path<i64>,
    body: JsonBody<UpdateMaintenanceRequest>,
) -> Result<HttpResponse, ApiError> {
    let db = &state.db;
    let id = MaintenanceId(id.into_inner());
    require_writer_of::<Maintenances>(db, &caller, id).await?;
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
        auto_transition: request.auto_transition,
    };
    let names = name_guard(db, request.allow_names)?;
    let writer = caller.0.clone();
    patch_event::<Maintenances>(db, caller.0, &req, id, move |conn, expected| {
        maintenances::update(conn, &names, id, expected, &changes)?;
        allowance(conn, &writer, "maintenance", id.0, names.allowed())
    })
    .await
}
