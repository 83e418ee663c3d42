//! Incidents as a caller sees them: the wire type, the list filters and the scoped list.

use domain::{Caller, IncidentId, OfferingId, ServiceId, TenantId};
use persistence::model::{IncidentFilter, Reads};
use persistence::{Record, RepoError, RepoResult};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};

use crate::http::extract::ListWindow;
use crate::http::wire::{Impact, IncidentStatus};
use crate::views::events::{
    newest_first, visible_page, EventContext, EventKind, EventWords, Include, OfferingRef, Scope,
    ShownFilter, Sort, TenantList, TenantRef,
};

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
    #[serde(with = "crate::http::wire::instant")]
    pub started_at: OffsetDateTime,
    #[serde(with = "crate::http::wire::instant::option")]
    pub resolved_at: Option<OffsetDateTime>,
    /// Grows with every change; PATCH with `If-Match: <ETag>` to change only this version.
    pub version: i64,
    /// The caller's offerings the incident shows on (those covering an impacted tenant;
    /// possibly none).
    pub offerings: Vec<OfferingRef>,
    /// How many caller-visible tenants the incident affects (recovered and ruled-out ones
    /// included: each is listed with its own `state`).
    pub impacted_tenant_count: usize,
    /// How many of them the incident still affects now: neither recovered nor ruled out,
    /// with the incident open (0 once it is resolved).
    pub affected_tenant_count: usize,
    /// The caller-visible tenants the incident affects: on the incident itself and on write
    /// answers; in lists only with `include=impacted_tenants` (else
    /// `GET /api/v1/incidents/{id}/impacted-tenants` pages them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub impacted_tenants: Option<Vec<TenantRef>>,
    #[serde(with = "crate::http::wire::instant")]
    pub created_at: OffsetDateTime,
    #[serde(with = "crate::http::wire::instant")]
    pub updated_at: OffsetDateTime,
    /// The timeline, oldest first (on single-incident reads).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updates: Option<Vec<IncidentUpdateResponse>>,
    /// The post-incident report, once published (provider admins also see a draft).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report: Option<IncidentReportResponse>,
}

/// A post-incident report: what happened, why, and what is done about it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct IncidentReportResponse {
    pub summary: String,
    pub root_cause: String,
    pub remediation: String,
    /// When it was published; `null` for a draft (shown to provider admins only).
    #[serde(with = "crate::http::wire::instant::option")]
    pub published_at: Option<OffsetDateTime>,
    #[serde(with = "crate::http::wire::instant")]
    pub created_at: OffsetDateTime,
    #[serde(with = "crate::http::wire::instant")]
    pub updated_at: OffsetDateTime,
}

impl IncidentReportResponse {
    /// The report as `caller` may read it: published, or a draft for provider admins.
    pub fn shown(report: domain::IncidentReport, caller: &Caller) -> Option<Self> {
        (report.published_at.is_some() || caller.may_write()).then(|| Self {
            summary: report.summary.as_str().to_owned(),
            root_cause: report.root_cause.as_str().to_owned(),
            remediation: report.remediation.as_str().to_owned(),
            published_at: report.published_at,
            created_at: report.created_at,
            updated_at: report.updated_at,
        })
    }
}

/// The report of incident `id` as `caller` may read it.
pub fn shown_report(
    reads: &mut impl Reads,
    caller: &Caller,
    id: IncidentId,
) -> RepoResult<Option<IncidentReportResponse>> {
    Ok(reads
        .report(id)?
        .and_then(|report| IncidentReportResponse::shown(report, caller)))
}

/// One entry of an incident's timeline.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct IncidentUpdateResponse {
    pub id: i64,
    pub status: IncidentStatus,
    pub message: String,
    /// The provider contact who wrote it (shown to provider callers only).
    pub author_contact_id: Option<i64>,
    #[serde(with = "crate::http::wire::instant")]
    pub created_at: OffsetDateTime,
}

impl IncidentUpdateResponse {
    pub(crate) fn new(update: domain::IncidentUpdate, caller: &Caller) -> Self {
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
    /// `impacted_tenants`: list each incident's impacted tenants (default: only the count).
    pub include: Option<Include>,
    /// `id` (oldest first, the default) or `-started_at` (newest first).
    pub sort: Option<Sort>,
}

/// Renders an incident for the caller; `None` when it affects none of the caller's tenants.
fn render(ctx: &EventContext, record: Record<domain::Incident>) -> Option<IncidentResponse> {
    let incident = record.item;
    let reach = ctx
        .view
        .reach_by(incident.service_id, |t| incident.reaches(t))?;
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
        affected_tenant_count: reach
            .tenants
            .iter()
            .filter(|t| incident.still_affects(**t))
            .count(),
        impacted_tenants: Some(
            ctx.tenants(incident.service_id, &reach)
                .into_iter()
                .map(|t| {
                    let (state, at) = incident.tenant_state(TenantId(t.id));
                    TenantRef {
                        state: Some(state.into()),
                        state_at: at,
                        ..t
                    }
                })
                .collect(),
        ),
        created_at: record.created_at,
        updated_at: record.updated_at,
        updates: None,
        report: None,
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
        response.report = shown_report(reads, caller, id)?;
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

    fn in_words(response: &IncidentResponse) -> EventWords {
        EventWords {
            title: response.title.clone(),
            about: incident_meta(response),
            tenants: Some(TenantList::new(
                "Your impacted tenants",
                response.impacted_tenants.as_deref(),
            )),
        }
    }

    fn webhook_event(
        before: Option<&IncidentResponse>,
        after: &IncidentResponse,
    ) -> domain::WebhookEventType {
        domain::WebhookEventType::of_incident(before.map(|b| b.status.into()), after.status.into())
    }
}

/// The caller's incidents `params` selects, a page (the JSON list and the Atom feed).
pub fn list(
    reads: &mut &persistence::model::Model,
    caller: &Caller,
    params: &IncidentListParams,
    window: ListWindow,
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
        from: window.from,
        to: window.to,
    };
    let model: &persistence::model::Model = reads;
    let now = OffsetDateTime::now_utc();
    // With a tenant and a window, exactly the incidents the tenant's `incident_count` counts.
    let counted = |id: IncidentId| match (shown.tenant, window.from.or(window.to)) {
        (Some(tenant), Some(_)) => model.counts_for_tenant(id, tenant, window.from, window.to, now),
        _ => true,
    };
    let keep = |record: Record<domain::Incident>| {
        let id = record.item.id;
        if !counted(id) {
            return None;
        }
        render(&ctx, record)
            .filter(|r| shown.keeps(&r.offerings, r.impacted_tenants.as_deref()))
            .map(|r| Include::apply(params.include, r, |r| &mut r.impacted_tenants))
            .map(|mut r| {
                r.report = shown_report(&mut &*model, caller, id).ok().flatten();
                r
            })
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

/// An impact and the instant it took effect.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImpactEntry {
    pub impact: Impact,
    #[serde(with = "crate::http::wire::instant")]
    pub from: OffsetDateTime,
}

/// "partial outage · identified · since …": an incident in a line.
pub fn incident_meta(incident: &IncidentResponse) -> String {
    format!(
        "{} · {} · since {}",
        crate::http::wire::in_words(&incident.impact),
        crate::http::wire::serde_plain(&incident.status),
        crate::views::events::minute(incident.started_at)
    )
}
