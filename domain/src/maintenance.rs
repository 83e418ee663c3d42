//! Maintenance: planned windows on one service, scoped like incidents: the whole service, the
//! classifications impacted (the usual case), or an explicit set of tenants.

use time::OffsetDateTime;

use crate::catalogue::{Region, Tier};
use crate::text::{text_type, wire_enum};
use crate::{DomainError, EventScope, MaintenanceId, ServiceId, Title};

text_type!(
    /// What a maintenance window does (1–5000 characters).
    Description, field = "description", max = 5000
);

/// A planned window on one service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Maintenance {
    pub id: MaintenanceId,
    pub service_id: ServiceId,
    pub title: Title,
    pub description: Description,
    pub status: MaintenanceStatus,
    pub expected_impact: ExpectedImpact,
    pub scheduled_start: OffsetDateTime,
    pub scheduled_end: OffsetDateTime,
    pub actual_start: Option<OffsetDateTime>,
    pub actual_end: Option<OffsetDateTime>,
    /// The tenants that may be impacted.
    pub scope: EventScope,
    pub version: i64,
}

impl Maintenance {
    /// Where the window stands at `now`.
    pub fn phase(&self, now: OffsetDateTime) -> Phase {
        match self.status {
            MaintenanceStatus::InProgress => Phase::Active,
            MaintenanceStatus::Completed | MaintenanceStatus::Cancelled => Phase::Past,
            MaintenanceStatus::Scheduled if now < self.scheduled_start => Phase::Upcoming,
            MaintenanceStatus::Scheduled if now < self.scheduled_end => Phase::Active,
            MaintenanceStatus::Scheduled => Phase::Past,
        }
    }
}

wire_enum!(
    /// A window relative to now: not started, running (or due), or over.
    Phase, field = "phase" {
        Upcoming => "upcoming",
        Active => "active",
        Past => "past",
    }
);

wire_enum!(
    /// Where a maintenance window stands.
    MaintenanceStatus, field = "status" {
        Scheduled => "scheduled",
        InProgress => "in_progress",
        Completed => "completed",
        Cancelled => "cancelled",
    }
);

wire_enum!(
    /// What users should expect during the window.
    ExpectedImpact, field = "expected_impact" {
        None => "none",
        Degraded => "degraded",
        Downtime => "downtime",
    }
);

impl MaintenanceStatus {
    pub fn is_finished(self) -> bool {
        matches!(
            self,
            MaintenanceStatus::Completed | MaintenanceStatus::Cancelled
        )
    }
}

/// Checks a window: the end after the start.
pub fn check_window(start: OffsetDateTime, end: OffsetDateTime) -> Result<(), DomainError> {
    if end <= start {
        Err(DomainError::invalid(
            "scheduled_end",
            "must be after scheduled_start",
        ))
    } else {
        Ok(())
    }
}

/// The actual start and end after a status change at `now`:
/// scheduled → in_progress records the start; → completed records the end (and the start, if
/// the window was never marked in progress); → cancelled ends a running window.
pub fn check_maintenance_transition(
    from: MaintenanceStatus,
    to: MaintenanceStatus,
    actual: (Option<OffsetDateTime>, Option<OffsetDateTime>),
    now: OffsetDateTime,
) -> Result<(Option<OffsetDateTime>, Option<OffsetDateTime>), DomainError> {
    use MaintenanceStatus::*;
    let (start, _) = actual;
    match (from, to) {
        (a, b) if a == b => Ok(actual),
        (Scheduled, InProgress) => Ok((Some(now), None)),
        (Scheduled | InProgress, Completed) => Ok((Some(start.unwrap_or(now)), Some(now))),
        (Scheduled, Cancelled) => Ok((None, None)),
        (InProgress, Cancelled) => Ok((start, Some(now))),
        (Completed | Cancelled, _) => Err(DomainError::invalid(
            "status",
            format!("the maintenance is {from}; it cannot change any more"),
        )),
        _ => Err(DomainError::invalid(
            "status",
            format!("cannot go from {from} to {to}"),
        )),
    }
}

/// Checks the status and actual times a window is created with (back-filled history):
/// `scheduled` has none; `in_progress` started (default now); `completed` started and ended
/// (default: the scheduled window); `cancelled` may have run for a while. Nothing in the future.
pub fn check_recorded(
    status: MaintenanceStatus,
    scheduled: (OffsetDateTime, OffsetDateTime),
    actual: (Option<OffsetDateTime>, Option<OffsetDateTime>),
    now: OffsetDateTime,
) -> Result<(Option<OffsetDateTime>, Option<OffsetDateTime>), DomainError> {
    use MaintenanceStatus::*;
    let recorded = match (status, actual) {
        (Scheduled, (None, None)) => (None, None),
        (Scheduled, _) => {
            return Err(DomainError::invalid(
                "actual_start",
                "a scheduled window has no actual times",
            ))
        }
        (InProgress, (start, None)) => (Some(start.unwrap_or(now)), None),
        (InProgress, (_, Some(_))) => {
            return Err(DomainError::invalid(
                "actual_end",
                "a window in progress has not ended",
            ))
        }
        (Completed, (start, end)) => (
            Some(start.unwrap_or(scheduled.0)),
            Some(end.unwrap_or(scheduled.1)),
        ),
        (Cancelled, (None, Some(_))) => {
            return Err(DomainError::invalid(
                "actual_start",
                "is required with actual_end",
            ))
        }
        (Cancelled, (start, end)) => (start, start.map(|s| end.unwrap_or(s))),
    };
    for (field, at) in [("actual_start", recorded.0), ("actual_end", recorded.1)] {
        if at.is_some_and(|at| at > now + crate::incident::CLOCK_SKEW) {
            return Err(DomainError::invalid(field, "must not be in the future"));
        }
    }
    if let (Some(start), Some(end)) = recorded {
        if end < start {
            return Err(DomainError::invalid(
                "actual_end",
                "must not be before actual_start",
            ));
        }
    }
    Ok(recorded)
}

/// The label of a window's scope: for classifications, [`impacted_label`] of their tiers and
/// regions (`classes`, in any order); otherwise a fixed phrase that names no tenant.
pub fn scope_label(scope: &EventScope, classes: &[(Tier, Region)]) -> String {
    match scope {
        EventScope::Service => "All tenants".to_owned(),
        EventScope::Classifications(_) => impacted_label(classes),
        EventScope::Tenants(_) => "Selected tenants".to_owned(),
    }
}

/// Renders the classifications impacted the way the partner notice writes them:
/// saas2-eu + saas3-eu → "SaaS 2 & 3 EU-hosted Tenants"; saas2-eu + saas2-us →
/// "SaaS 2 EU- & US-hosted Tenants"; regions with different tiers are joined with "and".
pub fn impacted_label(classes: &[(Tier, Region)]) -> String {
    use std::collections::{BTreeMap, BTreeSet};
    let mut tiers_by_region: BTreeMap<&Region, BTreeSet<i32>> = BTreeMap::new();
    for (tier, region) in classes {
        tiers_by_region
            .entry(region)
            .or_default()
            .insert(tier.get());
    }
    // Regions sharing exactly the same tiers are written together.
    let mut groups: Vec<(Vec<i32>, Vec<&str>)> = Vec::new();
    for (region, tiers) in tiers_by_region {
        let tiers: Vec<i32> = tiers.into_iter().collect();
        match groups.iter_mut().find(|(t, _)| *t == tiers) {
            Some((_, regions)) => regions.push(region.as_str()),
            None => groups.push((tiers, vec![region.as_str()])),
        }
    }
    let parts: Vec<String> = groups
        .iter()
        .map(|(tiers, regions)| {
            let tiers: Vec<String> = tiers.iter().map(ToString::to_string).collect();
            let regions: Vec<String> = regions.iter().map(|r| format!("{r}-")).collect();
            format!(
                "SaaS {} {}hosted",
                english_list(&tiers),
                english_list(&regions)
            )
        })
        .collect();
    if parts.is_empty() {
        return "No Tenants".to_owned();
    }
    format!("{} Tenants", parts.join(" and "))
}

/// "a", "a & b", "a, b & c".
fn english_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} & {last}", init.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::Duration;

    fn class(tier: i64, region: &str) -> (Tier, Region) {
        (Tier::parse(tier).unwrap(), Region::parse(region).unwrap())
    }

    #[test]
    fn labels_read_like_the_notice() {
        let cases: &[(&[(i64, &str)], &str)] = &[
            (&[(2, "EU")], "SaaS 2 EU-hosted Tenants"),
            (&[(2, "EU"), (3, "EU")], "SaaS 2 & 3 EU-hosted Tenants"),
            (
                &[(3, "EU"), (2, "EU"), (2, "EU")],
                "SaaS 2 & 3 EU-hosted Tenants",
            ),
            (&[(2, "EU"), (2, "US")], "SaaS 2 EU- & US-hosted Tenants"),
            (
                &[(2, "US"), (3, "US"), (2, "EU"), (3, "EU")],
                "SaaS 2 & 3 EU- & US-hosted Tenants",
            ),
            (
                &[(2, "EU"), (3, "EU"), (2, "US")],
                "SaaS 2 & 3 EU-hosted and SaaS 2 US-hosted Tenants",
            ),
            (
                &[(1, "EU"), (2, "EU"), (3, "EU")],
                "SaaS 1, 2 & 3 EU-hosted Tenants",
            ),
            (
                &[(2, "APJ"), (2, "EU"), (2, "US")],
                "SaaS 2 APJ-, EU- & US-hosted Tenants",
            ),
            (
                &[(3, "US"), (2, "EU")],
                "SaaS 2 EU-hosted and SaaS 3 US-hosted Tenants",
            ),
        ];
        for (input, expected) in cases {
            let classes: Vec<_> = input.iter().map(|(t, r)| class(*t, r)).collect();
            assert_eq!(impacted_label(&classes), *expected, "{input:?}");
        }
    }

    #[test]
    fn windows_end_after_they_start() {
        let t = OffsetDateTime::UNIX_EPOCH;
        assert!(check_window(t, t + Duration::hours(1)).is_ok());
        assert!(check_window(t, t).is_err());
        assert_eq!(
            check_window(t + Duration::hours(1), t).unwrap_err(),
            DomainError::invalid("scheduled_end", "must be after scheduled_start")
        );
    }

    #[test]
    fn recorded_history_is_checked() {
        use MaintenanceStatus::*;
        let now = OffsetDateTime::UNIX_EPOCH + Duration::days(100);
        let window = (
            now - Duration::days(2),
            now - Duration::days(2) + Duration::hours(2),
        );
        assert_eq!(
            check_recorded(Scheduled, window, (None, None), now),
            Ok((None, None))
        );
        assert!(check_recorded(Scheduled, window, (Some(now), None), now).is_err());
        assert_eq!(
            check_recorded(Completed, window, (None, None), now),
            Ok((Some(window.0), Some(window.1)))
        );
        assert_eq!(
            check_recorded(InProgress, window, (None, None), now),
            Ok((Some(now), None))
        );
        assert!(check_recorded(Completed, window, (Some(window.1), Some(window.0)), now).is_err());
        let future = (now + Duration::days(1), now + Duration::days(2));
        assert!(check_recorded(Completed, future, (None, None), now).is_err());
    }

    #[test]
    fn transitions_record_actual_times() {
        use MaintenanceStatus::*;
        let t0 = OffsetDateTime::UNIX_EPOCH;
        let t1 = t0 + Duration::hours(2);
        assert_eq!(
            check_maintenance_transition(Scheduled, InProgress, (None, None), t0).unwrap(),
            (Some(t0), None)
        );
        assert_eq!(
            check_maintenance_transition(InProgress, Completed, (Some(t0), None), t1).unwrap(),
            (Some(t0), Some(t1))
        );
        assert_eq!(
            check_maintenance_transition(Scheduled, Completed, (None, None), t1).unwrap(),
            (Some(t1), Some(t1))
        );
        assert_eq!(
            check_maintenance_transition(InProgress, Cancelled, (Some(t0), None), t1).unwrap(),
            (Some(t0), Some(t1))
        );
        assert_eq!(
            check_maintenance_transition(Scheduled, Cancelled, (None, None), t1).unwrap(),
            (None, None)
        );
        assert!(
            check_maintenance_transition(Completed, InProgress, (Some(t0), Some(t1)), t1).is_err()
        );
        assert!(check_maintenance_transition(Cancelled, Scheduled, (None, None), t1).is_err());
        assert!(check_maintenance_transition(InProgress, Scheduled, (Some(t0), None), t1).is_err());
    }
}
