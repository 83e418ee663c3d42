//! Loads the event history the availability maths needs for one service and window.

use diesel::prelude::*;
use domain::availability::{Outage, Planned, ScopedOutage, ScopedPlanned, Window};
use domain::{ExpectedImpact, Impact, MaintenanceStatus, ServiceId};
use time::PrimitiveDateTime;

use super::events::ScopeRows;
use super::maintenances::{self, MaintenanceFilter};
use super::{all_rows, stored, utc};
use crate::connection::DbConnection;
use crate::schema::{incident_classifications, incident_tenants, incidents};
use crate::{RepoError, RepoResult};

/// Incidents of `service` running at some point in the window, and its downtime maintenance
/// (not cancelled) overlapping it: actual window where recorded, else the scheduled one.
pub fn history(
    conn: &mut DbConnection,
    service: ServiceId,
    window: Window,
) -> RepoResult<(Vec<ScopedOutage>, Vec<ScopedPlanned>)> {
    // A lean read of only what the maths needs, in three queries (rows, classification and
    // tenant scope rows), instead of paging through full incident records.
    let (from, to) = (stored(window.from), stored(window.to));
    let in_window = incidents::service_id
        .eq(service.0)
        .and(incidents::started_at.lt(to))
        .and(
            incidents::resolved_at
                .is_null()
                .or(incidents::resolved_at.ge(from)),
        );
    let rows: Vec<(
        i64,
        String,
        String,
        PrimitiveDateTime,
        Option<PrimitiveDateTime>,
    )> = incidents::table
        .filter(in_window)
        .select((
            incidents::id,
            incidents::impact,
            incidents::scope_kind,
            incidents::started_at,
            incidents::resolved_at,
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
    let outages = rows
        .into_iter()
        .map(|(id, impact, kind, started_at, resolved_at)| {
            let scope = scopes.take(id, &kind);
            let impact = Impact::parse(&impact).map_err(|e| RepoError::Corrupt(e.to_string()))?;
            Ok(ScopedOutage {
                scope,
                outage: Outage {
                    start: utc(started_at),
                    end: resolved_at.map(utc),
                    impact,
                },
            })
        })
        .collect::<RepoResult<Vec<_>>>()?;
    let filter = MaintenanceFilter {
        services: Some(vec![service]),
        from: Some(window.from),
        to: Some(window.to),
        ..MaintenanceFilter::default()
    };
    let planned = all_rows(|page| maintenances::list(conn, &filter, page))?
        .into_iter()
        .map(|r| r.item)
        .filter(|m| {
            m.expected_impact == ExpectedImpact::Downtime
                && m.status != MaintenanceStatus::Cancelled
        })
        .map(|m| ScopedPlanned {
            planned: Planned {
                start: m.actual_start.unwrap_or(m.scheduled_start),
                end: m.actual_end.unwrap_or(m.scheduled_end),
            },
            scope: m.scope,
        })
        .collect();
    Ok((outages, planned))
}
