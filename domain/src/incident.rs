//! Incidents: unplanned events on one service, with an impact, a status lifecycle, an
//! append-only timeline and a scope.

use time::{Duration, OffsetDateTime};

use crate::text::{text_type, wire_enum};
use crate::{ContactId, DomainError, EventScope, IncidentId, IncidentUpdateId, ServiceId};

/// An unplanned event on one service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incident {
    pub id: IncidentId,
    pub service_id: ServiceId,
    pub title: Title,
    pub impact: Impact,
    pub status: IncidentStatus,
    pub scope: EventScope,
    pub started_at: OffsetDateTime,
    pub resolved_at: Option<OffsetDateTime>,
    /// Grows by one with every change; `If-Match` compares against it.
    pub version: i64,
}

impl Incident {
    /// Where a timeline update asking for `requested` (and `reopen`) at `now` leaves the
    /// incident: its status and resolution time (set on resolve, cleared on reopen).
    pub fn after_update(
        &self,
        requested: Option<IncidentStatus>,
        reopen: bool,
        now: OffsetDateTime,
    ) -> Result<(IncidentStatus, Option<OffsetDateTime>), DomainError> {
        let status = next_status(self.status, requested, reopen)?;
        Ok((status, resolved_at_after(status, self.resolved_at, now)))
    }

    /// Checks a new start time: it may be back-dated, never in the future, nor after the
    /// incident's resolution.
    pub fn check_new_start(
        &self,
        started_at: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<(), DomainError> {
        check_started_at(started_at, now)?;
        if self
            .resolved_at
            .is_some_and(|resolved| started_at > resolved)
        {
            return Err(DomainError::invalid(
                "started_at",
                "must not be after the incident was resolved",
            ));
        }
        Ok(())
    }
}

/// One entry of an incident's append-only timeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncidentUpdate {
    pub id: IncidentUpdateId,
    pub status: IncidentStatus,
    pub message: Message,
    /// `None` once the author's contact was removed.
    pub author: Option<ContactId>,
    pub created_at: OffsetDateTime,
}

wire_enum!(
    /// How badly an incident hurts, from mild to severe.
    Impact, field = "impact" {
        Degraded => "degraded",
        PartialOutage => "partial_outage",
        MajorOutage => "major_outage",
    }
);

impl Impact {
    /// Severity order: degraded < partial_outage < major_outage.
    pub fn severity(self) -> u8 {
        match self {
            Impact::Degraded => 1,
            Impact::PartialOutage => 2,
            Impact::MajorOutage => 3,
        }
    }
}

wire_enum!(
    /// Where an incident stands: investigating → identified → monitoring → resolved.
    IncidentStatus, field = "status" {
        Investigating => "investigating",
        Identified => "identified",
        Monitoring => "monitoring",
        Resolved => "resolved",
    }
);

impl IncidentStatus {
    fn rank(self) -> u8 {
        match self {
            IncidentStatus::Investigating => 0,
            IncidentStatus::Identified => 1,
            IncidentStatus::Monitoring => 2,
            IncidentStatus::Resolved => 3,
        }
    }

    pub fn is_active(self) -> bool {
        self != IncidentStatus::Resolved
    }
}

text_type!(
    /// An event's title (1–200 characters).
    Title, field = "title", max = 200
);

text_type!(
    /// A timeline message (1–5000 characters).
    Message, field = "message", max = 5000
);

/// Checks a status change: forward moves only (steps may be skipped); leaving `resolved`
/// needs `reopen`; staying put is allowed (an update without a status change).
fn check_transition(
    from: IncidentStatus,
    to: IncidentStatus,
    reopen: bool,
) -> Result<(), DomainError> {
    if from == to {
        return Ok(());
    }
    if from == IncidentStatus::Resolved {
        return if reopen {
            Ok(())
        } else {
            Err(DomainError::invalid(
                "status",
                "the incident is resolved; set reopen to true to reopen it",
            ))
        };
    }
    if reopen {
        return Err(DomainError::invalid(
            "reopen",
            "only a resolved incident can be reopened",
        ));
    }
    if to.rank() < from.rank() {
        return Err(DomainError::invalid(
            "status",
            format!("cannot go back from {from} to {to}"),
        ));
    }
    Ok(())
}

/// The status after a timeline update asking for `requested` (absent: keep the status), with
/// `reopen` set to reopen a resolved incident — to `investigating` unless another open status
/// is asked for. Anything the lifecycle forbids is refused, so a reopen always reopens.
fn next_status(
    current: IncidentStatus,
    requested: Option<IncidentStatus>,
    reopen: bool,
) -> Result<IncidentStatus, DomainError> {
    let to = match (requested, reopen) {
        (None, true) => IncidentStatus::Investigating,
        (Some(IncidentStatus::Resolved), true) if current == IncidentStatus::Resolved => {
            return Err(DomainError::invalid(
                "status",
                "reopening needs an open status (investigating, identified or monitoring)",
            ))
        }
        (requested, _) => requested.unwrap_or(current),
    };
    check_transition(current, to, reopen)?;
    Ok(to)
}

/// `resolved_at` after moving to `to`: set on resolve (keeping an earlier one), cleared on reopen.
fn resolved_at_after(
    to: IncidentStatus,
    previous: Option<OffsetDateTime>,
    now: OffsetDateTime,
) -> Option<OffsetDateTime> {
    match to {
        IncidentStatus::Resolved => Some(previous.unwrap_or(now)),
        _ => None,
    }
}

/// How far in the future a client's clock may be before a start time is refused.
pub const CLOCK_SKEW: Duration = Duration::minutes(1);

/// Checks a start time: it may be back-dated, never in the future.
pub fn check_started_at(
    started_at: OffsetDateTime,
    now: OffsetDateTime,
) -> Result<(), DomainError> {
    if started_at > now + CLOCK_SKEW {
        Err(DomainError::invalid(
            "started_at",
            "must not be in the future",
        ))
    } else {
        Ok(())
    }
}

/// Checks a recorded resolution (back-filled history): only for resolved incidents, not
/// before the start, not in the future.
pub fn check_resolved_at(
    status: IncidentStatus,
    started_at: OffsetDateTime,
    resolved_at: Option<OffsetDateTime>,
    now: OffsetDateTime,
) -> Result<Option<OffsetDateTime>, DomainError> {
    match (status, resolved_at) {
        (IncidentStatus::Resolved, Some(at)) if at < started_at => Err(DomainError::invalid(
            "resolved_at",
            "must not be before started_at",
        )),
        (IncidentStatus::Resolved, Some(at)) if at > now + CLOCK_SKEW => Err(DomainError::invalid(
            "resolved_at",
            "must not be in the future",
        )),
        (IncidentStatus::Resolved, at) => Ok(Some(at.unwrap_or(now))),
        (_, Some(_)) => Err(DomainError::invalid(
            "resolved_at",
            "only a resolved incident has a resolution time",
        )),
        (_, None) => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use IncidentStatus::*;

    #[test]
    fn lifecycle_moves_forward_and_reopens_only_explicitly() {
        assert!(check_transition(Investigating, Identified, false).is_ok());
        assert!(
            check_transition(Investigating, Resolved, false).is_ok(),
            "steps may be skipped"
        );
        assert!(check_transition(Monitoring, Monitoring, false).is_ok());
        assert_eq!(
            check_transition(Monitoring, Identified, false).unwrap_err(),
            DomainError::invalid("status", "cannot go back from monitoring to identified")
        );
        assert!(check_transition(Resolved, Investigating, false).is_err());
        assert!(check_transition(Resolved, Identified, true).is_ok());
        assert!(
            check_transition(Identified, Monitoring, true).is_err(),
            "reopen is for resolved incidents"
        );
    }

    #[test]
    fn reopen_reopens_to_investigating_unless_told_otherwise() {
        assert_eq!(next_status(Resolved, None, true), Ok(Investigating));
        assert_eq!(
            next_status(Resolved, Some(Monitoring), true),
            Ok(Monitoring)
        );
        assert!(next_status(Resolved, Some(Resolved), true).is_err());
        assert!(next_status(Identified, None, true).is_err());
        assert_eq!(next_status(Resolved, None, false), Ok(Resolved));
        assert_eq!(next_status(Identified, None, false), Ok(Identified));
        assert!(next_status(Resolved, Some(Identified), false).is_err());
    }

    #[test]
    fn resolved_at_is_set_on_resolve_and_cleared_on_reopen() {
        let t0 = OffsetDateTime::UNIX_EPOCH;
        let t1 = t0 + Duration::hours(1);
        assert_eq!(resolved_at_after(Resolved, None, t1), Some(t1));
        assert_eq!(resolved_at_after(Resolved, Some(t0), t1), Some(t0));
        assert_eq!(resolved_at_after(Investigating, Some(t0), t1), None);
    }

    #[test]
    fn recorded_resolutions_are_checked() {
        let now = OffsetDateTime::UNIX_EPOCH + Duration::days(1000);
        let start = now - Duration::days(2);
        assert_eq!(check_resolved_at(Resolved, start, None, now), Ok(Some(now)));
        assert_eq!(
            check_resolved_at(Resolved, start, Some(start + Duration::hours(1)), now),
            Ok(Some(start + Duration::hours(1)))
        );
        assert!(check_resolved_at(Resolved, start, Some(start - Duration::hours(1)), now).is_err());
        assert!(check_resolved_at(Resolved, start, Some(now + Duration::hours(1)), now).is_err());
        assert!(check_resolved_at(Monitoring, start, Some(now), now).is_err());
        assert_eq!(check_resolved_at(Monitoring, start, None, now), Ok(None));
    }

    #[test]
    fn start_may_be_back_dated_but_not_in_the_future() {
        let now = OffsetDateTime::UNIX_EPOCH + Duration::days(1000);
        assert!(check_started_at(now - Duration::days(3), now).is_ok());
        assert!(
            check_started_at(now + Duration::seconds(30), now).is_ok(),
            "small clock skew"
        );
        assert!(check_started_at(now + Duration::hours(1), now).is_err());
    }

    #[test]
    fn impact_severity_orders_impacts() {
        assert!(Impact::MajorOutage.severity() > Impact::PartialOutage.severity());
        assert!(Impact::PartialOutage.severity() > Impact::Degraded.severity());
    }
}
