//! Loads the event history the availability maths needs for one service and window.

use std::collections::HashMap;

use diesel::prelude::*;
use domain::availability::{ScopedOutage, ScopedPlanned, Window};
use domain::incident::{open_periods, outage_history};
use domain::{EventScope, Impact, Incident, IncidentId, IncidentStatus, ServiceId};
use time::{OffsetDateTime, PrimitiveDateTime};

use super::events::ScopeRows;
use super::incidents::impact_changes_by_incident;
use super::maintenances::{self, MaintenanceFilter};
use super::{all_rows, stored, utc};
use crate::connection::DbConnection;
use crate::schema::{
    incident_classifications, incident_impacts, incident_tenants, incident_updates, incidents,
};
use crate::{RepoError, RepoResult};

fn corrupt(error: domain::DomainError) -> RepoError {
    RepoError::Corrupt(error.to_string())
}

/// Incidents of `service` running at some point in the window, as periods at one impact each,
/// and its maintenance counted over some part of the window (README "Availability").
pub fn history(
    conn: &mut DbConnection,
    service: ServiceId,
    window: Window,
    now: OffsetDateTime,
) -> RepoResult<(Vec<ScopedOutage>, Vec<ScopedPlanned>)> {
    // A lean read of only what the maths needs: the rows, their scope rows, the impact changes
    // (few incidents have any) and the timeline of reopened incidents only.
    let (from, to) = (stored(window.from), stored(window.to));
    let in_window = incidents::service_id
        .eq(service.0)
        .and(incidents::started_at.lt(to))
        .and(
            // The last resolution ends the last period, reopened or not.
            incidents::resolved_at
                .is_null()
                .or(incidents::resolved_at.ge(from)),
        );
    type Row = (
        i64,
        String,
        String,
        PrimitiveDateTime,
        Option<PrimitiveDateTime>,
        bool,
    );
    let rows: Vec<Row> = incidents::table
        .filter(in_window)
        .select((
            incidents::id,
            incidents::initial_impact,
            incidents::scope_kind,
            incidents::started_at,
            incidents::resolved_at,
            incidents::reopened,
        ))
        .load(conn)?;
    let class_rows: Vec<(i64, i64)> = incident_classifications::table
        .inner_join(incidents::table)
        .filter(in_window)
        .select((
            incident_classifications::incident_id,
            incident_classifications::classification_id,
        ))
        .load(conn)?;
    let tenant_rows: Vec<(i64, i64)> = incident_tenants::table
        .inner_join(incidents::table)
        .filter(in_window)
        .select((incident_tenants::incident_id, incident_tenants::tenant_id))
        .load(conn)?;
    let mut scopes = ScopeRows::new(class_rows, tenant_rows);
    let change_rows = incident_impacts::table
        .inner_join(incidents::table)
        .filter(in_window)
        .order((
            incident_impacts::incident_id,
            incident_impacts::effective_at,
        ))
        .select((
            incident_impacts::incident_id,
            incident_impacts::impact,
            incident_impacts::effective_at,
        ))
        .load(conn)?;
    let mut changes = impact_changes_by_incident(change_rows)?;
    let reopened: Vec<i64> = rows.iter().filter(|r| r.5).map(|r| r.0).collect();
    let mut timelines = status_timelines(conn, &reopened)?;
    let outages = rows
        .into_iter()
        .map(|(id, initial, kind, started_at, resolved_at, _)| {
            Ok(outage(
                IncidentId(id),
                scopes.take(id, &kind),
                (utc(started_at), resolved_at.map(utc)),
                timelines.remove(&id).as_deref(),
                Impact::parse(&initial).map_err(corrupt)?,
                &changes.remove(&id).unwrap_or_default(),
            ))
        })
        .collect::<RepoResult<Vec<_>>>()?;
    let filter = MaintenanceFilter {
        services: Some(vec![service]),
        from: Some(window.from),
        to: Some(window.to),
        counted_only: true,
        ..MaintenanceFilter::default()
    };
    let planned = all_rows(|page| maintenances::list(conn, &filter, page))?
        .into_iter()
        .filter_map(|record| {
            let m = record.item;
            m.counted(now).map(|planned| ScopedPlanned {
                scope: m.scope,
                planned,
            })
        })
        .collect();
    Ok((outages, planned))
}

/// An incident as the availability maths sees it: its periods at one impact each.
fn outage(
    id: IncidentId,
    scope: EventScope,
    (started_at, resolved_at): (OffsetDateTime, Option<OffsetDateTime>),
    timeline: Option<&[(OffsetDateTime, IncidentStatus)]>,
    initial: Impact,
    changes: &[(OffsetDateTime, Impact)],
) -> ScopedOutage {
    let open = open_periods(started_at, resolved_at, timeline);
    ScopedOutage {
        scope,
        history: outage_history(id, &open, initial, changes),
    }
}

/// [`outage`] of an incident in memory, with its status timeline if it was reopened.
pub(crate) fn scoped_outage(
    incident: &Incident,
    timeline: Option<&[(OffsetDateTime, IncidentStatus)]>,
) -> ScopedOutage {
    outage(
        incident.id,
        incident.scope.clone(),
        (incident.started_at, incident.resolved_at),
        timeline,
        incident.initial_impact,
        &incident.impact_changes,
    )
}

/// The status entries of these incidents' timelines, oldest first.
pub(crate) fn status_timelines(
    conn: &mut DbConnection,
    ids: &[i64],
) -> RepoResult<HashMap<i64, Vec<(OffsetDateTime, IncidentStatus)>>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(i64, String, PrimitiveDateTime)> = incident_updates::table
        .filter(incident_updates::incident_id.eq_any(ids))
        .order((incident_updates::created_at, incident_updates::id))
        .select((
            incident_updates::incident_id,
            incident_updates::status,
            incident_updates::created_at,
        ))
        .load(conn)?;
    let mut timelines: HashMap<i64, Vec<(OffsetDateTime, IncidentStatus)>> = HashMap::new();
    for (id, status, at) in rows {
        let status = IncidentStatus::parse(&status).map_err(corrupt)?;
        timelines.entry(id).or_default().push((utc(at), status));
    }
    Ok(timelines)
}
