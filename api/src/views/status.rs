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
use crate::views::events::{EventContext, Include};

/// The status overview sized for dashboards: each offering the caller sees with its status and
/// counts, and what is happening now — the caller's active incidents and running maintenance —
/// once each, with the offerings they show on. Upcoming windows are counted per offering
/// (`GET /maintenances` lists them); `include=impacted_tenants` answers [`FullStatusResponse`].
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct StatusResponse {
    /// Every offering the caller sees, in id order.
    pub offerings: Vec<OfferingStatusSummary>,
    /// Unresolved incidents showing on at least one of those offerings, in id order.
    pub active_incidents: Vec<ActiveIncident>,
    /// Windows running now, showing on at least one of those offerings, in id order.
    pub active_maintenance: Vec<ActiveMaintenance>,
}

/// One offering's current state and how many events show on it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct OfferingStatusSummary {
    pub offering_id: i64,
    pub name: String,
    pub kind: OfferingKind,
    pub service_id: i64,
    /// The worst impact among its active incidents, else `under_maintenance` while a window
    /// runs, else `operational`.
    pub status: OfferingStatus,
    pub active_incident_count: usize,
    /// Windows running or starting within `days` that show on it.
    pub upcoming_maintenance_count: usize,
}

/// An active incident, once, with the caller's offerings it shows on.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ActiveIncident {
    #[serde(flatten)]
    pub incident: IncidentSummary,
    /// The caller's offerings it shows on (in id order).
    pub offering_ids: Vec<i64>,
}

/// A running maintenance window, once, with the caller's offerings it shows on.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ActiveMaintenance {
    #[serde(flatten)]
    pub maintenance: MaintenanceSummary,
    /// The caller's offerings it shows on (in id order).
    pub offering_ids: Vec<i64>,
}

/// The status overview with each offering's events in full (`include=impacted_tenants`): the
/// form the status page and badges are made from.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct FullStatusResponse {
    /// Every offering the caller sees, in id order.
    pub offerings: Vec<OfferingStatusResponse>,
}

/// What `GET /status` answers: the summary, or with `include=impacted_tenants` the full form.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum StatusAnswer {
    Summary(StatusResponse),
    Full(FullStatusResponse),
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
    /// Running windows and those starting within `days`, soonest first (by actual start, else
    /// scheduled start).
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
    /// How many of the offering's tenants it affects (in the summary: how many of the caller's
    /// tenants), recovered and ruled-out ones included.
    pub impacted_tenant_count: usize,
    /// How many of those it still affects (neither recovered nor ruled out). An incident
    /// still affecting none of the offering's tenants is listed but leaves its status alone.
    pub affected_tenant_count: usize,
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
    /// How many of the offering's tenants it may impact (in the summary: how many of the
    /// caller's tenants).
    pub impacted_tenant_count: usize,
}

/// How far ahead to look for maintenance.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatusParams {
    /// Days ahead, 1–90 (default 14).
    #[param(minimum = 1, maximum = 90)]
    pub days: Option<i64>,
    /// `impacted_tenants`: each offering with its events in full, per-offering tenant counts
    /// (default: the summary).
    pub include: Option<Include>,
}

/// Each offering `caller` sees with its current status, active incidents and the maintenance
/// of the next `days` days (the overview, badges and the status page).
pub fn overview(reads: &mut &Model, caller: &Caller, days: i64) -> RepoResult<FullStatusResponse> {
    overview_with_reach(reads, caller, days).map(|(full, _)| full)
}

/// The summary form of [`overview`].
pub fn summary(reads: &mut &Model, caller: &Caller, days: i64) -> RepoResult<StatusResponse> {
    let (full, reached) = overview_with_reach(reads, caller, days)?;
    let mut incidents = Listed::default();
    let mut windows = Listed::default();
    let offerings = full
        .offerings
        .into_iter()
        .map(|offering| {
            let id = offering.offering_id;
            let summary = OfferingStatusSummary {
                offering_id: id,
                name: offering.name,
                kind: offering.kind,
                service_id: offering.service_id,
                status: offering.status,
                active_incident_count: offering.active_incidents.len(),
                upcoming_maintenance_count: offering.upcoming_maintenance.len(),
            };
            for incident in offering.active_incidents {
                let (impacted, affected) = reached
                    .incidents
                    .get(&incident.id)
                    .copied()
                    .unwrap_or_default();
                incidents.add(incident.id, id, || IncidentSummary {
                    impacted_tenant_count: impacted,
                    affected_tenant_count: affected,
                    ..incident
                });
            }
            let running = offering
                .upcoming_maintenance
                .into_iter()
                .filter(|w| DomainPhase::from(w.phase) == DomainPhase::Active);
            for window in running {
                let tenants = reached.windows.get(&window.id).copied();
                windows.add(window.id, id, || MaintenanceSummary {
                    impacted_tenant_count: tenants.unwrap_or_default(),
                    ..window
                });
            }
            summary
        })
        .collect();
    Ok(StatusResponse {
        offerings,
        active_incidents: incidents.into_list(|incident, offering_ids| ActiveIncident {
            incident,
            offering_ids,
        }),
        active_maintenance: windows.into_list(|maintenance, offering_ids| ActiveMaintenance {
            maintenance,
            offering_ids,
        }),
    })
}

/// Events by id, each once, with the offerings it was seen on (in the order seen: id order).
struct Listed<T>(std::collections::BTreeMap<i64, (T, Vec<i64>)>);

impl<T> Default for Listed<T> {
    fn default() -> Self {
        Self(Default::default())
    }
}

impl<T> Listed<T> {
    fn add(&mut self, event: i64, offering: i64, summary: impl FnOnce() -> T) {
        let seen = self
            .0
            .entry(event)
            .or_insert_with(|| (summary(), Vec::new()));
        seen.1.push(offering);
    }

    fn into_list<U>(self, wire: impl Fn(T, Vec<i64>) -> U) -> Vec<U> {
        self.0
            .into_values()
            .map(|(summary, offerings)| wire(summary, offerings))
            .collect()
    }
}

/// How many caller-visible tenants each listed event affects, by event id (for incidents:
/// reached, and still affected).
#[derive(Default)]
struct Reached {
    incidents: HashMap<i64, (usize, usize)>,
    windows: HashMap<i64, usize>,
}

fn overview_with_reach(
    reads: &mut &Model,
    caller: &Caller,
    days: i64,
) -> RepoResult<(FullStatusResponse, Reached)> {
    let mut reached = Reached::default();
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
        let Some(reach) = ctx
            .view
            .reach_by(incident.service_id, |t| incident.reaches(t))
        else {
            continue;
        };
        let still = ctx.view.reach_by(incident.service_id, |t| {
            incident.reaches(t) && incident.still_affects(t.id)
        });
        let still_affected = |offering| still.as_ref().map_or(0, |s| s.covered_by(offering));
        reached.incidents.insert(
            incident.id.0,
            (
                reach.tenants.len(),
                still.as_ref().map_or(0, |s| s.tenants.len()),
            ),
        );
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
                    affected_tenant_count: still_affected(offering.id),
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
    // Soonest first (by actual start, else scheduled start): a client showing the first few
    // never hides a sooner window behind later ones.
    let mut windows = all_rows(|page| reads.maintenances(&filter, page))?;
    windows.sort_by_key(|r| {
        let m = &r.item;
        (m.actual_start.unwrap_or(m.scheduled_start), m.id.0)
    });
    for record in windows {
        let m = record.item;
        let Some(reach) = ctx.view.reach(m.service_id, &m.scope) else {
            continue;
        };
        reached.windows.insert(m.id.0, reach.tenants.len());
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
                .filter(|i| i.affected_tenant_count > 0)
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
    Ok((FullStatusResponse { offerings }, reached))
}
