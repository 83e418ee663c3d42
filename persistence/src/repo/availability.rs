//! Loads the event history the availability maths needs for one service and window.

use domain::availability::{Outage, Planned, ScopedOutage, ScopedPlanned, Window};
use domain::{ExpectedImpact, MaintenanceStatus, ServiceId};

use super::incidents::{self, IncidentFilter};
use super::maintenances::{self, MaintenanceFilter};
use super::PageRequest;
use crate::connection::DbConnection;
use crate::RepoResult;

/// Incidents of `service` running at some point in the window, and its downtime maintenance
/// (not cancelled) overlapping it: actual window where recorded, else the scheduled one.
pub fn history(
    conn: &mut DbConnection,
    service: ServiceId,
    window: Window,
) -> RepoResult<(Vec<ScopedOutage>, Vec<ScopedPlanned>)> {
    let filter = IncidentFilter {
        services: Some(vec![service]),
        from: Some(window.from),
        to: Some(window.to),
        ..IncidentFilter::default()
    };
    let mut outages = Vec::new();
    let mut page = PageRequest::first(1000);
    loop {
        let found = incidents::list(conn, &filter, page)?;
        outages.extend(found.items.into_iter().map(|r| ScopedOutage {
            outage: Outage {
                start: r.item.started_at,
                end: r.item.resolved_at,
                impact: r.item.impact,
            },
            scope: r.item.scope,
        }));
        match found.next_after {
            Some(after) => page.after = Some(after),
            None => break,
        }
    }
    let filter = MaintenanceFilter {
        services: Some(vec![service]),
        from: Some(window.from),
        to: Some(window.to),
        ..MaintenanceFilter::default()
    };
    let mut planned = Vec::new();
    let mut page = PageRequest::first(1000);
    loop {
        let found = maintenances::list(conn, &filter, page)?;
        planned.extend(
            found
                .items
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
                    classifications: m.classifications,
                }),
        );
        match found.next_after {
            Some(after) => page.after = Some(after),
            None => break,
        }
    }
    Ok((outages, planned))
}
