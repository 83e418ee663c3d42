//! Maintenance windows as a caller sees them: the wire type, the list filters and the scoped list.

use domain::{
    Caller, ClassificationId, EventScope, MaintenanceId, OfferingId, ServiceId, TenantId,
};
use persistence::model::{MaintenanceFilter, Reads};
use persistence::{Record, RepoError, RepoResult};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};

use crate::http::extract::ListWindow;
use crate::http::wire::{ExpectedImpact, MaintenanceStatus, Phase};
use crate::views::events::{
    newest_first, visible_page, EventContext, EventKind, EventWords, Include, OfferingRef, Scope,
    ShownFilter, Sort, TenantList, TenantRef,
};

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
    #[serde(with = "crate::http::wire::instant")]
    pub scheduled_start: OffsetDateTime,
    #[serde(with = "crate::http::wire::instant")]
    pub scheduled_end: OffsetDateTime,
    #[serde(with = "crate::http::wire::instant::option")]
    pub actual_start: Option<OffsetDateTime>,
    #[serde(with = "crate::http::wire::instant::option")]
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
    /// Whether it starts and completes by itself at the scheduled times (off once an admin
    /// moved its status by hand).
    pub auto_transition: bool,
    /// The first window of the recurring series it belongs to (that window too); `null` for a
    /// one-off window.
    pub series_id: Option<i64>,
    pub version: i64,
    #[serde(with = "crate::http::wire::instant")]
    pub created_at: OffsetDateTime,
    #[serde(with = "crate::http::wire::instant")]
    pub updated_at: OffsetDateTime,
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
    /// Only the windows of this recurring series (its first window's id).
    pub series_id: Option<i64>,
    /// Only windows that may impact this tenant.
    pub tenant_id: Option<i64>,
    /// `upcoming`, `active` or `past`.
    pub phase: Option<Phase>,
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
        auto_transition: m.auto_transition,
        series_id: m.series_id.map(|s| s.0),
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

    fn in_words(response: &MaintenanceResponse) -> EventWords {
        EventWords {
            title: response.title.clone(),
            about: format!("{} · {}", window_meta(response), response.impacted_label),
            tenants: Some(TenantList::new(
                "Your tenants that may be impacted",
                response.impacted_tenants.as_deref(),
            )),
        }
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

/// The caller's windows `params` selects, a page (the JSON list and the calendar feed).
pub fn list(
    reads: &mut &persistence::model::Model,
    caller: &Caller,
    params: &MaintenanceListParams,
    window: ListWindow,
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
        from: window.from,
        to: window.to,
        open_only: false,
        counted_only: false,
        series: params.series_id.map(domain::MaintenanceId),
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

/// "start – end · expected impact: downtime · scheduled": a window in a line.
pub fn window_meta(window: &MaintenanceResponse) -> String {
    use crate::views::events::minute;
    format!(
        "{} – {} · expected impact: {} · {}",
        minute(window.scheduled_start),
        minute(window.scheduled_end),
        crate::http::wire::serde_plain(&window.expected_impact),
        crate::http::wire::in_words(&window.status)
    )
}
