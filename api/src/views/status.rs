//! The caller's status overview: per offering, what is wrong now and what is planned.

use std::collections::HashMap;

use domain::{
    Caller, Offering, OfferingId, OfferingStatus as DomainOfferingStatus, Phase as DomainPhase,
};
use persistence::model::{IncidentFilter, MaintenanceFilter, Model};
use persistence::repo::all_rows;
use persistence::RepoResult;
use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};
use utoipa::{IntoParams, ToSchema};

use crate::http::wire::{
    ExpectedImpact, Impact, IncidentStatus, MaintenanceStatus, OfferingKind, OfferingStatus, Phase,
};
use crate::views::events::EventContext;

/// The status overview.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct StatusResponse {
    /// Every offering the caller sees, in id order.
    pub offerings: Vec<OfferingStatusResponse>,
}

/// One offering's current state.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct OfferingStatusResponse {
    pub offering_id: i64,
    pub name: String,
    pub kind: OfferingKind,
    pub service_id: i64,
    /// The worst impact among its active incidents, else `under_maintenance` while a window
    /// runs, else `operational`.
    pub status: OfferingStatus,
    /// Unresolved incidents that show on the offering.
    pub active_incidents: Vec<IncidentSummary>,
    /// Running windows and those starting within `days`.
    pub upcoming_maintenance: Vec<MaintenanceSummary>,
}

/// An active incident on one offering; `GET /api/v1/incidents/{id}` has the tenants.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct IncidentSummary {
    pub id: i64,
    pub title: String,
    pub impact: Impact,
    pub status: IncidentStatus,
    #[serde(with = "crate::http::wire::instant")]
    pub started_at: OffsetDateTime,
    /// How many of this offering's tenants it affects.
    pub impacted_tenant_count: usize,
}

/// A maintenance window on one offering; `GET /api/v1/maintenances/{id}/impacted-tenants`
/// lists the tenants.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MaintenanceSummary {
    pub id: i64,
    pub title: String,
    pub status: MaintenanceStatus,
    pub phase: Phase,
    pub expected_impact: ExpectedImpact,
    #[serde(with = "crate::http::wire::instant")]
    pub scheduled_start: OffsetDateTime,
    #[serde(with = "crate::http::wire::instant")]
    pub scheduled_end: OffsetDateTime,
    /// E.g. "SaaS 2 & 3 EU-hosted Tenants".
    pub impacted_label: String,
    /// How many of this offering's tenants it may impact.
    pub impacted_tenant_count: usize,
}

/// How far ahead to look for maintenance.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatusParams {
    /// Days ahead, 1–90 (default 14).
    #[param(minimum = 1, maximum = 90)]
    pub days: Option<i64>,
}

/// Each offering `caller` sees with its current status, active incidents and the maintenance
/// of the next `days` days (the overview, badges and the status page).
pub fn overview(reads: &mut &Model, caller: &Caller, days: i64) -> RepoResult<StatusResponse> {
    let ctx = EventContext::load(reads, caller, None, true)?;
    let now = OffsetDateTime::now_utc();
    let services = ctx.view.services();
    let offerings: HashMap<OfferingId, &Offering> =
        ctx.view.offerings().map(|o| (o.id, o)).collect();

    let mut incidents_on: HashMap<OfferingId, Vec<IncidentSummary>> = HashMap::new();
    let filter = IncidentFilter {
        services: services.clone(),
        active_only: true,
        ..Default::default()
    };
    for record in all_rows(|page| reads.incidents(&filter, page))? {
        let incident = record.item;
        let Some(reach) = ctx.view.reach(incident.service_id, &incident.scope) else {
            continue;
        };
        for offering in reach.offerings.iter().filter_map(|id| offerings.get(id)) {
            incidents_on
                .entry(offering.id)
                .or_default()
                .push(IncidentSummary {
                    id: incident.id.0,
                    title: incident.title.to_string(),
                    impact: incident.impact.into(),
                    status: incident.status.into(),
                    started_at: incident.started_at,
                    impacted_tenant_count: reach.covered_by(offering.id),
                });
        }
    }

    let mut maintenance_on: HashMap<OfferingId, Vec<MaintenanceSummary>> = HashMap::new();
    let filter = MaintenanceFilter {
        services,
        from: Some(now),
        to: Some(now + Duration::days(days)),
        open_only: true,
        ..Default::default()
    };
    for record in all_rows(|page| reads.maintenances(&filter, page))? {
        let m = record.item;
        let Some(reach) = ctx.view.reach(m.service_id, &m.scope) else {
            continue;
        };
        let label = ctx.label(&m.scope);
        for offering in reach.offerings.iter().filter_map(|id| offerings.get(id)) {
            maintenance_on
                .entry(offering.id)
                .or_default()
                .push(MaintenanceSummary {
                    id: m.id.0,
                    title: m.title.to_string(),
                    status: m.status.into(),
                    phase: m.phase(now).into(),
                    expected_impact: m.expected_impact.into(),
                    scheduled_start: m.scheduled_start,
                    scheduled_end: m.scheduled_end,
                    impacted_label: label.clone(),
                    impacted_tenant_count: reach.covered_by(offering.id),
                });
        }
    }

    let mut sorted: Vec<&Offering> = offerings.values().copied().collect();
    sorted.sort_by_key(|o| o.id);
    let offerings = sorted
        .into_iter()
        .map(|offering| {
            let active_incidents = incidents_on.remove(&offering.id).unwrap_or_default();
            let upcoming_maintenance = maintenance_on.remove(&offering.id).unwrap_or_default();
            let running = upcoming_maintenance
                .iter()
                .any(|m| DomainPhase::from(m.phase) == DomainPhase::Active);
            let impacts = active_incidents
                .iter()
                .map(|i| domain::Impact::from(i.impact));
            OfferingStatusResponse {
                offering_id: offering.id.0,
                name: offering.name.to_string(),
                kind: offering.kind.into(),
                service_id: offering.service_id.0,
                status: DomainOfferingStatus::current(impacts, running).into(),
                active_incidents,
                upcoming_maintenance,
            }
        })
        .collect();
    Ok(StatusResponse { offerings })
}
