//! Incident handlers: list, read, create, change, the update timeline and the post-incident
//! report.

use actix_web::{get, patch, post, put, web, HttpRequest, HttpResponse};
use domain::{IncidentId, Message, ReportText, ServiceId, Title};
use persistence::model::Reads;
use persistence::repo::incident_reports::{self, NewReport};
use persistence::repo::incidents::{self, IncidentChanges, NewIncident, NewMarks, NewUpdate};
use serde::Deserialize;
use time::OffsetDateTime;
use utoipa::ToSchema;

use crate::http::auth::Authenticated;
use crate::http::error::{ApiError, ReadProblems, WriteProblems};
use crate::http::extract::{JsonBody, ListWindow, QueryParams};
use crate::http::idempotency::create_once;
use crate::http::pagination::{Page, PageParams};
use crate::http::state::AppState;
use crate::http::wire::{Impact, IncidentStatus, TenantState};
use crate::services::events::{
    allowance, change_event, create_event, name_guard, patch_event, require_writer_of,
};
use crate::views::events::{get_event, impacted_tenants_page, EventKind, Scope, TenantRef};
use crate::views::incidents::{
    list, shown_report, ImpactEntry, IncidentListParams, IncidentReportResponse, IncidentResponse,
    IncidentUpdateResponse, Incidents,
};

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
    #[serde(default, with = "crate::http::wire::instant::option")]
    pub started_at: Option<OffsetDateTime>,
    /// Only with status `resolved` (recording history): when it was resolved; defaults to now.
    #[serde(default, with = "crate::http::wire::instant::option")]
    pub resolved_at: Option<OffsetDateTime>,
    /// The first timeline entry; must not name tenants.
    #[schema(min_length = 1, max_length = 5000)]
    pub message: String,
    /// Names of tenants or accounts this request's text uses as ordinary words (e.g. an
    /// account called `Data` in "Data export slow"): the name guard lets exactly these through,
    /// in this write only, and the audit log records the allowance (`name_allowance`).
    #[serde(default)]
    #[schema(max_items = 20)]
    pub allow_names: Vec<String>,
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
    #[serde(default, with = "crate::http::wire::instant::option")]
    pub started_at: Option<OffsetDateTime>,
    /// On an open incident a narrowing is a change from now: the tenants it leaves are marked
    /// `recovered` now (they keep the incident until then). On a resolved one a correction.
    pub scope: Option<Scope>,
    /// Names of tenants or accounts this request's text uses as ordinary words (e.g. an
    /// account called `Data` in "Data export slow"): the name guard lets exactly these through,
    /// in this write only, and the audit log records the allowance (`name_allowance`).
    #[serde(default)]
    #[schema(max_items = 20)]
    pub allow_names: Vec<String>,
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
    /// Names of tenants or accounts this request's text uses as ordinary words (e.g. an
    /// account called `Data` in "Data export slow"): the name guard lets exactly these through,
    /// in this write only, and the audit log records the allowance (`name_allowance`).
    #[serde(default)]
    #[schema(max_items = 20)]
    pub allow_names: Vec<String>,
}

/// Tenants of an open incident marked with their own state.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MarkTenantsRequest {
    /// Tenants inside the incident's scope (1–1000).
    #[schema(min_items = 1, max_items = 1000)]
    pub tenant_ids: Vec<i64>,
    /// `recovered` (the incident counts for them until `at`), `unaffected` (ruled out: it
    /// never counts for them) or `affected` (undoes either).
    pub state: TenantState,
    /// When it took effect: between the incident's start and now; defaults to now. A tenant
    /// marked again in the same state without `at` keeps its own instant.
    #[serde(default, with = "crate::http::wire::instant::option")]
    pub at: Option<OffsetDateTime>,
}

/// List the incidents that affect one of the caller's tenants, newest id last.
#[utoipa::path(tag = "status", params(IncidentListParams, ListWindow, PageParams), responses((status = 200, body = Page<IncidentResponse>), (status = 422, description = "`from` or `to` outside the supported range, or `to` not after `from`", body = crate::http::error::Problem, content_type = "application/problem+json"), ReadProblems))]
#[get("/incidents")]
pub async fn list_incidents(
    state: web::Data<AppState>,
    caller: Authenticated,
    filter: QueryParams<IncidentListParams>,
    window: ListWindow,
    page: QueryParams<PageParams>,
) -> Result<web::Json<Page<IncidentResponse>>, ApiError> {
    let db = &state.db;
    let page = page.0.request()?;
    let params = filter.0;
    let caller = caller.0;
    let found = db
        .read(move |model| list(model, &caller, &params, window, page))
        .await?;
    Ok(web::Json(Page::from_records(found, |r| r)))
}

/// Get one incident with its timeline, if it affects one of the caller's tenants.
#[utoipa::path(tag = "status", params(("id" = i64, Path, description = "Incident id")), responses((status = 200, body = IncidentResponse, headers(("ETag" = String, description = "\"v{version}-{hash}\"; send as If-Match to PATCH"))), ReadProblems))]
#[get("/incidents/{id}")]
pub async fn get_incident(
    state: web::Data<AppState>,
    caller: Authenticated,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let db = &state.db;
    get_event::<Incidents>(db, caller.0, IncidentId(id.into_inner())).await
}

/// The caller-visible tenants an incident affects, paginated.
#[utoipa::path(tag = "status", params(("id" = i64, Path, description = "Incident id"), PageParams), responses((status = 200, body = Page<TenantRef>), ReadProblems))]
#[get("/incidents/{id}/impacted-tenants")]
pub async fn list_incident_impacted_tenants(
    state: web::Data<AppState>,
    caller: Authenticated,
    id: web::Path<i64>,
    page: QueryParams<PageParams>,
) -> Result<web::Json<Page<TenantRef>>, ApiError> {
    let db = &state.db;
    impacted_tenants_page::<Incidents>(db, caller.0, IncidentId(id.into_inner()), page.0).await
}

/// Open an incident (provider admins). Send `Idempotency-Key` to make retries safe.
#[utoipa::path(
    tag = "status",
    request_body = CreateIncidentRequest,
    params(crate::http::idempotency::IdempotencyKey),
    responses((status = 201, body = IncidentResponse), WriteProblems)
)]
#[post("/incidents")]
pub async fn create_incident(
    state: web::Data<AppState>,
    caller: Authenticated,
    req: HttpRequest,
    body: JsonBody<CreateIncidentRequest>,
) -> Result<HttpResponse, ApiError> {
    let db = &state.db;
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
    let names = name_guard(db, request.allow_names)?;
    let writer = caller.0.clone();
    create_event::<Incidents>(db, &caller, &req, &raw, move |conn| {
        let id = incidents::create(conn, &names, &new)?.item.id;
        allowance(conn, &writer, "incident", id.0, names.allowed())?;
        Ok(id)
    })
    .await
}

/// Change an incident's title, impact, start or scope (provider admins). With `If-Match`, only
/// if nobody changed it since (412 otherwise).
#[utoipa::path(
    tag = "status",
    params(("id" = i64, Path, description = "Incident id"), ("If-Match" = Option<String>, Header, description = "The ETag of the version you read")),
    request_body = UpdateIncidentRequest,
    responses((status = 200, body = IncidentResponse), (status = 412, description = "The incident changed since the If-Match version", body = crate::http::error::Problem, content_type = "application/problem+json"), WriteProblems)
)]
#[patch("/incidents/{id}")]
pub async fn update_incident(
    state: web::Data<AppState>,
    caller: Authenticated,
    req: HttpRequest,
    id: web::Path<i64>,
    body: JsonBody<UpdateIncidentRequest>,
) -> Result<HttpResponse, ApiError> {
    let db = &state.db;
    let id = IncidentId(id.into_inner());
    require_writer_of::<Incidents>(db, &caller, id).await?;
    let request = body.0;
    let changes = IncidentChanges {
        title: request.title.as_deref().map(Title::parse).transpose()?,
        impact: request.impact.map(Into::into),
        started_at: request.started_at,
        scope: request.scope.as_ref().map(Scope::parse).transpose()?,
    };
    let names = name_guard(db, request.allow_names)?;
    let writer = caller.0.clone();
    patch_event::<Incidents>(db, caller.0, &req, id, move |conn, expected| {
        incidents::update(conn, &names, id, expected, &changes)?;
        allowance(conn, &writer, "incident", id.0, names.allowed())
    })
    .await
}

/// Mark tenants of an open incident `recovered` at an instant, `unaffected` (ruled out) or
/// `affected` again (provider admins). Availability counts the incident for each tenant only
/// until its own recovery, and not at all for a tenant ruled out; each tenant's state shows on
/// the incident, its impacted tenants, the status, feeds and status page. Subscribers seeing a
/// tenant that recovered or was ruled out get `incident.tenants_recovered`.
#[utoipa::path(
    tag = "status",
    params(("id" = i64, Path, description = "Incident id"), ("If-Match" = Option<String>, Header, description = "The ETag of the version you read")),
    request_body = MarkTenantsRequest,
    responses((status = 200, body = IncidentResponse), (status = 412, description = "The incident changed since the If-Match version", body = crate::http::error::Problem, content_type = "application/problem+json"), WriteProblems)
)]
#[patch("/incidents/{id}/tenant-states")]
pub async fn mark_incident_tenants(
    state: web::Data<AppState>,
    caller: Authenticated,
    req: HttpRequest,
    id: web::Path<i64>,
    body: JsonBody<MarkTenantsRequest>,
) -> Result<HttpResponse, ApiError> {
    let db = &state.db;
    let id = IncidentId(id.into_inner());
    require_writer_of::<Incidents>(db, &caller, id).await?;
    let request = body.0;
    if request.tenant_ids.is_empty() || request.tenant_ids.len() > incidents::MAX_MARKED {
        return Err(domain::DomainError::invalid(
            "tenant_ids",
            format!("name 1 to {} tenants", incidents::MAX_MARKED),
        )
        .into());
    }
    let marks = NewMarks {
        tenants: request
            .tenant_ids
            .iter()
            .copied()
            .map(domain::TenantId)
            .collect(),
        state: request.state.into(),
        at: request.at,
    };
    let apply = move |conn: &mut persistence::DbConnection, expected| {
        incidents::mark_tenants(conn, id, expected, &marks).map(|(changed, _)| changed)
    };
    let recovered = request.state != TenantState::Affected;
    change_event::<Incidents, _>(
        db,
        caller.0,
        &req,
        id,
        apply,
        move |conn, model, before, after, changed| {
            if changed.is_empty() {
                return Ok(());
            }
            let event = if recovered {
                domain::WebhookEventType::IncidentTenantsRecovered
            } else {
                Incidents::webhook_event(Some(before), after)
            };
            let changed: Vec<i64> = changed.iter().map(|t| t.0).collect();
            let concerns = |seen: &IncidentResponse| {
                seen.impacted_tenants
                    .iter()
                    .flatten()
                    .any(|t| changed.contains(&t.id))
            };
            crate::services::webhooks::announce_where::<Incidents>(conn, model, event, id, concerns)
                .map(drop)
        },
    )
    .await
}

/// An incident's timeline, oldest first, a page at a time.
#[utoipa::path(tag = "status", params(("id" = i64, Path, description = "Incident id"), PageParams), responses((status = 200, body = Page<IncidentUpdateResponse>), ReadProblems))]
#[get("/incidents/{id}/updates")]
pub async fn list_incident_updates(
    state: web::Data<AppState>,
    caller: Authenticated,
    id: web::Path<i64>,
    page: QueryParams<PageParams>,
) -> Result<web::Json<Page<IncidentUpdateResponse>>, ApiError> {
    let db = &state.db;
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
    params(("id" = i64, Path, description = "Incident id"), crate::http::idempotency::IdempotencyKey),
    request_body = CreateIncidentUpdateRequest,
    responses((status = 201, body = IncidentUpdateResponse), WriteProblems)
)]
#[post("/incidents/{id}/updates")]
pub async fn create_incident_update(
    state: web::Data<AppState>,
    caller: Authenticated,
    req: HttpRequest,
    id: web::Path<i64>,
    body: JsonBody<CreateIncidentUpdateRequest>,
) -> Result<HttpResponse, ApiError> {
    let db = &state.db;
    let id = IncidentId(id.into_inner());
    require_writer_of::<Incidents>(db, &caller, id).await?;
    let JsonBody(request, raw) = body;
    let new = NewUpdate {
        status: request.status.map(Into::into),
        impact: request.impact.map(Into::into),
        reopen: request.reopen,
        message: Message::parse(&request.message)?,
        author: caller.0.contact_id,
    };
    let (writer, names) = (caller.0.clone(), name_guard(db, request.allow_names)?);
    let model = db.model_for_announcing().await;
    create_once(db, &caller.0, &req, &raw, move |conn| {
        let before = conn.incident(id)?.item.status;
        let (after, update) = incidents::add_update(conn, &names, id, &new)?;
        let response = IncidentUpdateResponse::new(update, &writer);
        crate::services::audit::created(conn, &writer, "incident_update", response.id, &response)?;
        allowance(
            conn,
            &writer,
            "incident_update",
            response.id,
            names.allowed(),
        )?;
        let event = domain::WebhookEventType::of_incident(Some(before), after.item.status);
        crate::services::webhooks::announce::<Incidents>(conn, &model, event, id)?;
        Ok((format!("/api/v1/incidents/{}", id.0), response))
    })
    .await
}

/// A post-incident report as written.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IncidentReportRequest {
    /// What happened, for everyone the incident reached; must not name tenants or accounts.
    #[schema(min_length = 1, max_length = 20000)]
    pub summary: String,
    #[schema(min_length = 1, max_length = 20000)]
    pub root_cause: String,
    /// What was and will be done so it does not happen again.
    #[schema(min_length = 1, max_length = 20000)]
    pub remediation: String,
    /// `true` publishes it (`incident.report_published` goes out once); `false` (the default)
    /// keeps a draft only provider admins read. A published report stays published.
    #[serde(default)]
    pub publish: bool,
    /// Names of tenants or accounts this request's text uses as ordinary words (e.g. an
    /// account called `Data` in "Data export slow"): the name guard lets exactly these through,
    /// in this write only, and the audit log records the allowance (`name_allowance`).
    #[serde(default)]
    #[schema(max_items = 20)]
    pub allow_names: Vec<String>,
}

/// The incident's post-incident report: published ones to everyone who sees the incident,
/// drafts to provider admins only (404 otherwise).
#[utoipa::path(tag = "status", params(("id" = i64, Path, description = "Incident id")), responses((status = 200, body = IncidentReportResponse), ReadProblems))]
#[get("/incidents/{id}/report")]
pub async fn get_incident_report(
    state: web::Data<AppState>,
    caller: Authenticated,
    id: web::Path<i64>,
) -> Result<web::Json<IncidentReportResponse>, ApiError> {
    let (caller, id) = (caller.0, IncidentId(id.into_inner()));
    let response = state
        .db
        .read(move |reads| Incidents::load_one(reads, &caller, id))
        .await?;
    response
        .report
        .map(web::Json)
        .ok_or_else(ApiError::not_found)
}

/// Write the post-incident report of a resolved incident (provider admins): a draft, or
/// published with `publish: true`. It shows on the incident, the status page and the Atom feed.
#[utoipa::path(
    tag = "status",
    params(("id" = i64, Path, description = "Incident id")),
    request_body = IncidentReportRequest,
    responses((status = 200, body = IncidentReportResponse), WriteProblems)
)]
#[put("/incidents/{id}/report")]
pub async fn put_incident_report(
    state: web::Data<AppState>,
    caller: Authenticated,
    id: web::Path<i64>,
    body: JsonBody<IncidentReportRequest>,
) -> Result<web::Json<IncidentReportResponse>, ApiError> {
    let db = &state.db;
    let id = IncidentId(id.into_inner());
    require_writer_of::<Incidents>(db, &caller, id).await?;
    let request = body.0;
    let new = NewReport {
        summary: ReportText::parse("summary", &request.summary)?,
        root_cause: ReportText::parse("root_cause", &request.root_cause)?,
        remediation: ReportText::parse("remediation", &request.remediation)?,
        publish: request.publish,
        author: caller.0.contact_id,
    };
    let (reader, writer) = (caller.0.clone(), caller.0.clone());
    let names = name_guard(db, request.allow_names)?;
    let model = db.model_for_announcing().await;
    crate::services::audit::audited(
        db,
        &caller.0,
        "incident_report",
        id.0,
        move |conn| shown_report(conn, &reader, id),
        move |conn| {
            let (before, after) = incident_reports::save(conn, &names, id, &new)?;
            allowance(conn, &writer, "incident_report", id.0, names.allowed())?;
            if before.is_none_or(|b| b.published_at.is_none()) && after.published_at.is_some() {
                let published = domain::WebhookEventType::IncidentReportPublished;
                crate::services::webhooks::announce::<Incidents>(conn, &model, published, id)?;
            }
            Ok(Some(IncidentReportResponse::shown(after, &writer)))
        },
    )
    .await?
    .flatten()
    .map(web::Json)
    .ok_or_else(ApiError::not_found)
}
