//! What the availability maths needs of an incident: its periods at one impact each, and the
//! status timelines of reopened incidents (the read model keeps them).

use std::collections::HashMap;

use diesel::prelude::*;
use domain::availability::ScopedOutage;
use domain::incident::{open_periods, outage_history};
use domain::{Incident, IncidentStatus};
use time::{OffsetDateTime, PrimitiveDateTime};

use super::utc;
use crate::connection::DbConnection;
use crate::schema::incident_updates;
use crate::{RepoError, RepoResult};

fn corrupt(error: domain::DomainError) -> RepoError {
    RepoError::Corrupt(error.to_string())
}

/// An incident as the availability maths sees it — its periods at one impact each — given its
/// status timeline if it was reopened.
pub(crate) fn scoped_outage(
    incident: &Incident,
    timeline: Option<&[(OffsetDateTime, IncidentStatus)]>,
) -> ScopedOutage {
    let open = open_periods(incident.started_at, incident.resolved_at, timeline);
    ScopedOutage {
        scope: incident.scope.clone(),
        history: outage_history(
            incident.id,
            &open,
            incident.initial_impact,
            &incident.impact_changes,
        ),
        marks: std::sync::Arc::clone(&incident.tenant_marks),
    }
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
