//! Maintenance: planned windows on one service, scoped like incidents: the whole service, the
//! classifications impacted (the usual case), or an explicit set of tenants.

use time::OffsetDateTime;

use crate::availability::{Planned, PlannedImpact};
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
    /// Whether it moves to in progress at its scheduled start and to completed at its end by
    /// itself (until an admin moves it by hand).
    pub auto_transition: bool,
    /// The first window of the recurring series it was expanded from.
    pub series_id: Option<MaintenanceId>,
}

impl Maintenance {
    /// What availability counts of this window, if anything (README "Availability"):
    /// expected impact `none` and cancelled windows never count; a completed window counts over
    /// its actual start and end; one in progress from its actual start until now (however far
    /// it overruns its schedule); a scheduled window nobody marked as started counts over its
    /// scheduled window — what customers were told to expect (cancel it if it did not happen).
    pub fn counted(&self, now: OffsetDateTime) -> Option<Planned> {
        let impact = match self.expected_impact {
            ExpectedImpact::None => return None,
            ExpectedImpact::Degraded => PlannedImpact::Degraded,
            ExpectedImpact::Downtime => PlannedImpact::Downtime,
        };
        let start = self.actual_start.unwrap_or(self.scheduled_start);
        let end = match self.status {
            MaintenanceStatus::Cancelled => return None,
            MaintenanceStatus::InProgress => now.max(start),
            MaintenanceStatus::Completed => self.actual_end.unwrap_or(self.scheduled_end),
            MaintenanceStatus::Scheduled => self.scheduled_end,
        };
        Some(Planned {
            id: self.id,
            start,
            end,
            impact,
        })
    }

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
    use crate::availability::{figures, Weights, Window};
    use crate::ClassificationId;
    use proptest::prelude::*;
    use time::Duration;

    fn window_at(
        status: MaintenanceStatus,
        expected_impact: ExpectedImpact,
        scheduled: (OffsetDateTime, OffsetDateTime),
        actual: (Option<OffsetDateTime>, Option<OffsetDateTime>),
    ) -> Maintenance {
        Maintenance {
            id: MaintenanceId(1),
            service_id: ServiceId(1),
            title: Title::parse("t").unwrap(),
            description: Description::parse("d").unwrap(),
            status,
            expected_impact,
            scheduled_start: scheduled.0,
            scheduled_end: scheduled.1,
            actual_start: actual.0,
            actual_end: actual.1,
            scope: EventScope::Classifications([ClassificationId(1)].into_iter().collect()),
            version: 1,
            auto_transition: false,
            series_id: None,
        }
    }

    #[test]
    fn maintenance_counts_over_the_window_it_really_ran() {
        use MaintenanceStatus::*;
        let now = OffsetDateTime::UNIX_EPOCH + Duration::days(100);
        let h = Duration::hours;
        // Scheduled ten days ago for 2 h, really run from 3 h ago to 1 h ago.
        let scheduled = (now - Duration::days(10), now - Duration::days(10) + h(2));
        let done = window_at(
            Completed,
            ExpectedImpact::Downtime,
            scheduled,
            (Some(now - h(3)), Some(now - h(1))),
        );
        let counted = done.counted(now).unwrap();
        assert_eq!((counted.start, counted.end), (now - h(3), now - h(1)));
        // Started now though scheduled days ahead, and overrunning: from its start until now.
        let running = window_at(
            InProgress,
            ExpectedImpact::Downtime,
            (now + Duration::days(3), now + Duration::days(3) + h(1)),
            (Some(now - h(5)), None),
        );
        let counted = running.counted(now).unwrap();
        assert_eq!((counted.start, counted.end), (now - h(5), now));
        let never_started = window_at(Scheduled, ExpectedImpact::Downtime, scheduled, (None, None));
        assert_eq!(
            never_started.counted(now).map(|p| (p.start, p.end)),
            Some(scheduled)
        );
        assert_eq!(
            window_at(
                Cancelled,
                ExpectedImpact::Downtime,
                scheduled,
                (Some(now - h(3)), Some(now - h(2)))
            )
            .counted(now),
            None
        );
        assert_eq!(
            window_at(Completed, ExpectedImpact::None, scheduled, (None, None)).counted(now),
            None
        );
        assert_eq!(
            window_at(Completed, ExpectedImpact::Degraded, scheduled, (None, None))
                .counted(now)
                .map(|p| p.impact),
            Some(PlannedImpact::Degraded)
        );
    }

    fn status() -> impl Strategy<Value = MaintenanceStatus> {
        prop_oneof![
            Just(MaintenanceStatus::Scheduled),
            Just(MaintenanceStatus::InProgress),
            Just(MaintenanceStatus::Completed),
            Just(MaintenanceStatus::Cancelled),
        ]
    }

    proptest! {
        /// Minute by minute: a minute is planned downtime when the window counted it — actual
        /// times where recorded, until now while in progress, never when cancelled.
        #[test]
        fn planned_minutes_follow_actual_rather_than_scheduled_windows(
            status in status(),
            sched in (0i64..600, 1i64..180),
            actual in (prop::option::of(0i64..600), prop::option::of(1i64..240)),
            now in 0i64..800,
            w in (0i64..400, 1i64..400),
        ) {
            let t = |m: i64| OffsetDateTime::UNIX_EPOCH + Duration::minutes(m);
            let (sched_start, sched_end) = (sched.0, sched.0 + sched.1);
            let actual_start = match status {
                MaintenanceStatus::Scheduled => None,
                _ => actual.0.map(|s| s.min(now)),
            };
            let actual_end = match (status, actual_start) {
                (MaintenanceStatus::Completed | MaintenanceStatus::Cancelled, Some(s)) => actual.1.map(|d| (s + d).min(now).max(s)),
                _ => None,
            };
            let m = window_at(status, ExpectedImpact::Downtime, (t(sched_start), t(sched_end)), (actual_start.map(t), actual_end.map(t)));
            let window = Window { from: t(w.0), to: t(w.0 + w.1) };
            let planned: Vec<_> = m.counted(t(now)).into_iter().collect();
            let f = figures(window, &[], &planned, Weights::default(), t(now));
            let mut expected = 0;
            for minute in w.0..(w.0 + w.1).min(now) {
                let (start, end) = match status {
                    MaintenanceStatus::Cancelled => continue,
                    MaintenanceStatus::Scheduled => (sched_start, sched_end),
                    MaintenanceStatus::InProgress => (actual_start.unwrap_or(sched_start), i64::MAX),
                    MaintenanceStatus::Completed => (actual_start.unwrap_or(sched_start), actual_end.unwrap_or(sched_end)),
                };
                if start <= minute && minute < end {
                    expected += 1;
                }
            }
            prop_assert!((f.planned_seconds - (expected * 60) as f64).abs() < 1e-6, "{} vs {} minutes", f.planned_seconds / 60.0, expected);
        }
    }

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

/// The most windows one recurrence may expand into.
pub const MAX_OCCURRENCES: u16 = 100;

/// The starts of a recurring window: `rule` is an RFC 5545 `RRULE` value (e.g.
/// `FREQ=WEEKLY;BYDAY=SA;COUNT=4`, an optional `RRULE:` prefix allowed) expanded from `start`
/// (UTC), `start` first; at most [`MAX_OCCURRENCES`] of them (a rule that goes on longer is
/// refused: give it a `COUNT` or an `UNTIL`, not both, as RFC 5545 says). Each window lasts
/// `length` and must end before [`LATEST`](crate::availability::LATEST), as a window created
/// directly must; a `COUNT` the calendar cannot give in full (e.g. `INTERVAL=65535;COUNT=2`)
/// is refused rather than cut short.
pub fn recurrence(
    rule: &str,
    start: OffsetDateTime,
    length: time::Duration,
) -> Result<Vec<OffsetDateTime>, DomainError> {
    use chrono::TimeZone;
    const FIELD: &str = "recurrence";
    let rule = rule.trim();
    let rule = rule.strip_prefix("RRULE:").unwrap_or(rule);
    if rule.is_empty() || rule.contains(['\n', '\r', ':']) {
        return Err(DomainError::invalid(
            FIELD,
            "give one RRULE value, e.g. FREQ=WEEKLY;COUNT=4 (the start is scheduled_start)",
        ));
    }
    let parsed: rrule::RRule<rrule::Unvalidated> =
        rule.parse().map_err(|e: rrule::RRuleError| {
            DomainError::invalid(FIELD, format!("is not an RRULE value: {e}"))
        })?;
    let latest = crate::availability::LATEST;
    match (parsed.get_count(), parsed.get_until()) {
        (Some(_), Some(_)) => {
            return Err(DomainError::invalid(
                FIELD,
                "give COUNT or UNTIL, not both (RFC 5545)",
            ))
        }
        (Some(0), None) => return Err(DomainError::invalid(FIELD, "COUNT must be at least 1")),
        (None, Some(until)) if until.timestamp() >= latest.unix_timestamp() => {
            return Err(DomainError::invalid(
                FIELD,
                "UNTIL must be before 9000-01-01T00:00:00Z",
            ))
        }
        _ => {}
    }
    let count = parsed.get_count();
    let dt_start = rrule::Tz::UTC
        .timestamp_opt(start.unix_timestamp(), 0)
        .single()
        .ok_or_else(|| DomainError::invalid("scheduled_start", "is out of range"))?;
    let set = parsed
        .build(dt_start)
        .map_err(|e| DomainError::invalid(FIELD, format!("cannot be used: {e}")))?;
    let expanded = set.all(MAX_OCCURRENCES + 1);
    if expanded.dates.len() > usize::from(MAX_OCCURRENCES)
        || expanded.limited && expanded.dates.is_empty()
    {
        return Err(DomainError::invalid(
            FIELD,
            format!("expands into more than {MAX_OCCURRENCES} windows; add a COUNT or an UNTIL"),
        ));
    }
    let mut starts = Vec::with_capacity(expanded.dates.len());
    for date in &expanded.dates {
        let at = OffsetDateTime::from_unix_timestamp(date.timestamp())
            .ok()
            .map(|d| d + time::Duration::nanoseconds(i64::from(start.nanosecond())))
            .filter(|at| at.checked_add(length).is_some_and(|end| end < latest));
        match at {
            Some(at) => starts.push(at),
            None => {
                return Err(DomainError::invalid(
                    FIELD,
                    format!(
                        "its window starting {} would end after 9000-01-01T00:00:00Z, the latest \
                         instant slr accepts; use a smaller COUNT or INTERVAL, or an UNTIL",
                        date.format("%Y-%m-%d")
                    ),
                ))
            }
        }
    }
    if let Some(count) = count {
        if starts.len() < usize::try_from(count).unwrap_or(usize::MAX) {
            return Err(DomainError::invalid(
                FIELD,
                format!(
                    "COUNT={count} asks for {count} windows but the calendar gives only {} \
                     before 9000-01-01T00:00:00Z; use a smaller COUNT or INTERVAL",
                    starts.len()
                ),
            ));
        }
    }
    if starts.first() != Some(&start) {
        return Err(DomainError::invalid(
            FIELD,
            "must include scheduled_start itself as the first window (e.g. BYDAY on its weekday)",
        ));
    }
    Ok(starts)
}

#[cfg(test)]
mod recurrence_tests {
    use super::*;
    use time::macros::datetime;
    use time::Duration;

    #[test]
    fn a_weekly_rule_expands_into_its_starts_and_unbounded_ones_are_refused() {
        let start = datetime!(2027-01-02 22:00 UTC); // a Saturday
        let hour = Duration::hours(1);
        let starts = recurrence("FREQ=WEEKLY;COUNT=3", start, hour).unwrap();
        assert_eq!(
            starts,
            [
                start,
                start + Duration::weeks(1),
                start + Duration::weeks(2)
            ]
        );
        let monthly = recurrence(
            "RRULE:FREQ=MONTHLY;BYDAY=1SA;UNTIL=20270401T000000Z",
            start,
            hour,
        )
        .unwrap();
        assert_eq!(monthly.len(), 3, "{monthly:?}");
        assert_eq!(monthly[1], datetime!(2027-02-06 22:00 UTC));
        for bad in [
            "FREQ=DAILY",
            "FREQ=SOMETIMES",
            "",
            "DTSTART:20270101T000000Z\nRRULE:FREQ=DAILY;COUNT=2",
            "FREQ=WEEKLY;BYDAY=MO;COUNT=2",
        ] {
            let error = recurrence(bad, start, hour).unwrap_err();
            assert!(error.to_string().contains("recurrence"), "{bad}: {error}");
        }
    }

    #[test]
    fn rules_are_refused_rather_than_cut_short_or_run_past_the_supported_range() {
        let start = datetime!(2027-01-02 22:00 UTC);
        let hour = Duration::hours(1);
        for (bad, says) in [
            ("FREQ=DAILY;COUNT=3;UNTIL=20270110T000000Z", "not both"),
            ("FREQ=YEARLY;INTERVAL=80;COUNT=100", "9000"),
            ("FREQ=YEARLY;INTERVAL=65535;COUNT=2", "COUNT=2"),
            ("FREQ=YEARLY;INTERVAL=1000;COUNT=8", "9000"),
            ("FREQ=DAILY;UNTIL=99990101T000000Z", "UNTIL"),
            ("FREQ=DAILY;COUNT=0", "COUNT"),
        ] {
            let error = recurrence(bad, start, hour).unwrap_err().to_string();
            assert!(error.contains(says), "{bad}: {error}");
        }
        // Exactly what was asked: every window, each ending in range.
        let starts = recurrence("FREQ=YEARLY;INTERVAL=1000;COUNT=6", start, hour).unwrap();
        assert_eq!(starts.len(), 6);
        assert_eq!(starts[5], datetime!(7027-01-02 22:00 UTC));
        let late = datetime!(8999-12-31 22:00 UTC);
        assert!(recurrence("FREQ=DAILY;COUNT=1", late, hour).is_ok());
        assert!(recurrence("FREQ=DAILY;COUNT=1", late, Duration::hours(3)).is_err());
    }
}
