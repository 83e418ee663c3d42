//! Availability maths (PRODUCT.md "Availability"): pure functions over time intervals.
//!
//! For one tenant over a half-open UTC window W, the weight at each instant is the largest
//! among the events affecting it then: major outage 1.0, partial outage 0.3 (configurable),
//! degraded 0 (counted as degraded minutes); maintenance with expected impact `downtime`
//! weighs 1.0 over its actual window and is planned; where planned and unplanned weights tie
//! the instant is planned. Downtime is the integral of the weight (overlaps never count twice).

use time::{Date, Duration, Month, OffsetDateTime, Time};

use std::collections::HashMap;

use crate::{ClassificationId, DomainError, EventScope, Impact, TenantId};

/// Weights of the incident impacts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Weights {
    pub partial_outage: f64,
}

impl Default for Weights {
    fn default() -> Self {
        Weights {
            partial_outage: 0.3,
        }
    }
}

impl Weights {
    pub fn parse(partial_outage: f64) -> Result<Self, DomainError> {
        if (0.0..=1.0).contains(&partial_outage) {
            Ok(Weights { partial_outage })
        } else {
            Err(DomainError::invalid(
                "partial_outage_weight",
                "must be between 0 and 1",
            ))
        }
    }

    pub fn of(&self, impact: Impact) -> f64 {
        match impact {
            Impact::MajorOutage => 1.0,
            Impact::PartialOutage => self.partial_outage,
            Impact::Degraded => 0.0,
        }
    }
}

/// An incident as the maths sees it: open incidents have no end yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outage {
    pub start: OffsetDateTime,
    pub end: Option<OffsetDateTime>,
    pub impact: Impact,
}

/// A planned downtime window (maintenance with expected impact `downtime`, not cancelled;
/// its actual window where recorded, else the scheduled one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Planned {
    pub start: OffsetDateTime,
    pub end: OffsetDateTime,
}

/// A half-open UTC window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub from: OffsetDateTime,
    pub to: OffsetDateTime,
}

/// The figures for one tenant (or one class of identical tenants) over one window.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Figures {
    /// The window's length in seconds (clipped at `now`).
    pub window_seconds: f64,
    pub unplanned_seconds: f64,
    pub planned_seconds: f64,
    pub degraded_seconds: f64,
    /// Incidents overlapping the window.
    pub incident_count: u32,
    /// Their summed full durations (open ones until `now`), for the MTTR.
    pub incident_seconds: f64,
}

impl Figures {
    /// 1 − (unplanned + planned) / |W|; 1 for an empty window.
    pub fn availability(&self) -> f64 {
        if self.window_seconds <= 0.0 {
            return 1.0;
        }
        1.0 - (self.unplanned_seconds + self.planned_seconds) / self.window_seconds
    }

    /// 1 − unplanned / (|W| − planned): planned maintenance is excluded, as cloud SLAs do.
    pub fn sla_availability(&self) -> f64 {
        let base = self.window_seconds - self.planned_seconds;
        if base <= 0.0 {
            return 1.0;
        }
        1.0 - self.unplanned_seconds / base
    }

    /// Mean incident duration in seconds, if any incident overlapped the window.
    pub fn mttr_seconds(&self) -> Option<f64> {
        (self.incident_count > 0).then(|| self.incident_seconds / f64::from(self.incident_count))
    }

    /// Whether the SLA availability meets `target_percent`.
    pub fn sla_met(&self, target_percent: f64) -> bool {
        self.sla_availability() * 100.0 >= target_percent - 1e-9
    }

    /// Unplanned downtime still allowed by the target, in seconds (negative when overspent).
    pub fn error_budget_left_seconds(&self, target_percent: f64) -> f64 {
        let allowed =
            (1.0 - target_percent / 100.0) * (self.window_seconds - self.planned_seconds).max(0.0);
        allowed - self.unplanned_seconds
    }
}

/// Computes the figures of one tenant over `window`, with events running until `now` at most.
pub fn figures(
    window: Window,
    outages: &[Outage],
    planned: &[Planned],
    weights: Weights,
    now: OffsetDateTime,
) -> Figures {
    sweep(window, &[], outages, planned, weights, now).total
}

/// Counter slots of the sweep, from planned to the worst impact.
const PLANNED: usize = 0;
const DEGRADED: usize = 1;
const PARTIAL: usize = 2;
const MAJOR: usize = 3;

fn slot(impact: Impact) -> usize {
    match impact {
        Impact::Degraded => DEGRADED,
        Impact::PartialOutage => PARTIAL,
        Impact::MajorOutage => MAJOR,
    }
}

/// One sweep over the sorted event boundaries (and the bucket edges): between two boundaries
/// the active events do not change, so each segment is classified once from counters —
/// O(events · log events + buckets), whatever the overlaps.
fn sweep(
    window: Window,
    buckets: &[Window],
    outages: &[Outage],
    planned: &[Planned],
    weights: Weights,
    now: OffsetDateTime,
) -> Series {
    let events = Events::new(window, outages, planned, now);
    sweep_events(window, buckets, &events, weights, now)
}

/// Microseconds since the epoch: integer comparisons in the hot loop (comparing
/// `OffsetDateTime`s normalises offsets every time).
fn micros(t: OffsetDateTime) -> i64 {
    t.unix_timestamp()
        .saturating_mul(1_000_000)
        .saturating_add(i64::from(t.microsecond()))
}

/// The window in microseconds, stopped at `now`.
fn span_of(window: Window, now: i64) -> (i64, i64) {
    let from = micros(window.from);
    (from, micros(window.to).min(now).max(from))
}

/// The sorted boundaries of a set of events inside a window, and the incidents' full spans.
#[derive(Debug, Clone, Default)]
struct Events {
    /// (time, +1 or −1, counter slot), in time order.
    boundaries: Vec<(i64, i32, usize)>,
    /// Each incident's (start, end), for counts and MTTR.
    spans: Vec<(i64, i64)>,
}

impl Events {
    fn new(window: Window, outages: &[Outage], planned: &[Planned], now: OffsetDateTime) -> Self {
        let now = micros(now);
        let (from, to) = span_of(window, now);
        let clip = |t: i64| t.clamp(from, to);
        let mut boundaries = Vec::with_capacity(2 * (outages.len() + planned.len()));
        let mut push = |start: i64, end: i64, slot: usize| {
            let (start, end) = (clip(start), clip(end));
            if start < end {
                boundaries.push((start, 1, slot));
                boundaries.push((end, -1, slot));
            }
        };
        let spans: Vec<(i64, i64)> = outages
            .iter()
            .map(|o| (micros(o.start), o.end.map_or(now, micros)))
            .collect();
        for (o, &(start, end)) in outages.iter().zip(&spans) {
            push(start, end, slot(o.impact));
        }
        for p in planned {
            push(micros(p.start), micros(p.end), PLANNED);
        }
        boundaries.sort_unstable_by_key(|e| e.0);
        Events { boundaries, spans }
    }

    /// The union of already sorted event sets, merged in linear time.
    fn merged(parts: &[&Events]) -> Events {
        let mut merged = Events::default();
        for part in parts {
            merged.spans.extend_from_slice(&part.spans);
            let mut out = Vec::with_capacity(merged.boundaries.len() + part.boundaries.len());
            let (mut a, mut b) = (
                merged.boundaries.iter().peekable(),
                part.boundaries.iter().peekable(),
            );
            loop {
                match (a.peek(), b.peek()) {
                    (Some(x), Some(y)) if x.0 <= y.0 => out.extend(a.next()),
                    (_, Some(_)) => out.extend(b.next()),
                    (Some(_), None) => out.extend(a.next()),
                    (None, None) => break,
                }
            }
            merged.boundaries = out;
        }
        merged
    }
}

/// One sweep over sorted event boundaries (and the bucket edges): between two boundaries the
/// active events do not change, so each segment is classified once from counters.
fn sweep_events(
    window: Window,
    buckets: &[Window],
    events: &Events,
    weights: Weights,
    now: OffsetDateTime,
) -> Series {
    let seconds_between = |a: i64, b: i64| (b - a) as f64 / 1e6;
    let (from, to) = span_of(window, micros(now));
    let clip = |t: i64| t.clamp(from, to);
    let boundaries = &events.boundaries;
    let cuts: Vec<(i64, i64)> = buckets
        .iter()
        .map(|b| (clip(micros(b.from)), clip(micros(b.to))))
        .collect();
    let mut total = Figures {
        window_seconds: seconds_between(from, to),
        ..Figures::default()
    };
    let mut per_bucket: Vec<Figures> = cuts
        .iter()
        .map(|&(a, b)| Figures {
            window_seconds: seconds_between(a, b),
            ..Figures::default()
        })
        .collect();
    let mut counts = [0i32; 4];
    let (mut at, mut next_event, mut bucket) = (from, 0, 0);
    while at < to {
        while next_event < boundaries.len() && boundaries[next_event].0 <= at {
            counts[boundaries[next_event].2] += boundaries[next_event].1;
            next_event += 1;
        }
        while bucket < cuts.len() && cuts[bucket].1 <= at {
            bucket += 1;
        }
        let mut until = boundaries.get(next_event).map_or(to, |e| e.0).min(to);
        if let Some(&(_, end)) = cuts.get(bucket) {
            until = until.min(end.max(at));
        }
        let seconds = seconds_between(at, until);
        let in_bucket = cuts.get(bucket).filter(|c| c.0 <= at).map(|_| bucket);
        let add = |f: &mut Figures| {
            if counts[PLANNED] > 0 {
                f.planned_seconds += seconds;
            } else if counts[MAJOR] > 0 {
                f.unplanned_seconds += weights.of(Impact::MajorOutage) * seconds;
            } else if counts[PARTIAL] > 0 {
                f.unplanned_seconds += weights.of(Impact::PartialOutage) * seconds;
            } else if counts[DEGRADED] > 0 {
                f.degraded_seconds += seconds;
            }
        };
        add(&mut total);
        if let Some(b) = in_bucket {
            add(&mut per_bucket[b]);
        }
        if until <= at {
            break;
        }
        at = until;
    }
    for &(start, end) in &events.spans {
        let duration = seconds_between(start, end).max(0.0);
        let overlaps = |(a, b): (i64, i64)| start < b && end > a;
        if overlaps((from, to)) {
            total.incident_count += 1;
            total.incident_seconds += duration;
        }
        let first = cuts.partition_point(|c| c.1 <= start);
        for (b, &cut) in cuts.iter().enumerate().skip(first) {
            if cut.0 >= end {
                break;
            }
            if overlaps(cut) {
                per_bucket[b].incident_count += 1;
                per_bucket[b].incident_seconds += duration;
            }
        }
    }
    Series {
        total,
        buckets: per_bucket,
    }
}

/// Bucket sizes for a series.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Granularity {
    Day,
    /// ISO weeks, starting on Monday.
    Week,
    /// Calendar months.
    Month,
}

impl Granularity {
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        match raw {
            "day" => Ok(Granularity::Day),
            "week" => Ok(Granularity::Week),
            "month" => Ok(Granularity::Month),
            _ => Err(DomainError::invalid(
                "granularity",
                "must be one of: day, week, month",
            )),
        }
    }

    /// The start of the bucket containing `t` (UTC).
    fn floor(self, t: OffsetDateTime) -> OffsetDateTime {
        let date = t.date();
        let date = match self {
            Granularity::Day => date,
            Granularity::Week => {
                date - Duration::days(i64::from(date.weekday().number_days_from_monday()))
            }
            Granularity::Month => {
                Date::from_calendar_date(date.year(), date.month(), 1).unwrap_or(date)
            }
        };
        date.with_time(Time::MIDNIGHT).assume_utc()
    }

    fn next(self, start: OffsetDateTime) -> OffsetDateTime {
        match self {
            Granularity::Day => start + Duration::days(1),
            Granularity::Week => start + Duration::weeks(1),
            Granularity::Month => {
                let date = start.date();
                let (year, month) = match date.month() {
                    Month::December => (date.year() + 1, Month::January),
                    m => (date.year(), m.next()),
                };
                Date::from_calendar_date(year, month, 1)
                    .unwrap_or(date)
                    .with_time(Time::MIDNIGHT)
                    .assume_utc()
            }
        }
    }
}

/// The longest window accepted, and the most buckets in a series.
pub const MAX_WINDOW_DAYS: i64 = 400;
pub const MAX_BUCKETS: usize = 1000;

/// Checks a requested window.
pub fn check_window(window: Window) -> Result<(), DomainError> {
    if window.to <= window.from {
        return Err(DomainError::invalid("to", "must be after from"));
    }
    if window.to - window.from > Duration::days(MAX_WINDOW_DAYS) {
        return Err(DomainError::invalid(
            "to",
            format!("the window must be at most {MAX_WINDOW_DAYS} days"),
        ));
    }
    Ok(())
}

/// The buckets of `window`, aligned to the calendar and clipped to the window.
pub fn buckets(window: Window, granularity: Granularity) -> Result<Vec<Window>, DomainError> {
    check_window(window)?;
    let mut result = Vec::new();
    let mut start = granularity.floor(window.from);
    while start < window.to {
        let end = granularity.next(start);
        result.push(Window {
            from: start.max(window.from),
            to: end.min(window.to),
        });
        if result.len() > MAX_BUCKETS {
            return Err(DomainError::invalid(
                "granularity",
                format!("the series would have more than {MAX_BUCKETS} buckets"),
            ));
        }
        start = end;
    }
    Ok(result)
}

/// An incident as a rollup sees it: its scope and its outage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopedOutage {
    pub scope: EventScope,
    pub outage: Outage,
}

/// A downtime maintenance window with its scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopedPlanned {
    pub scope: EventScope,
    pub planned: Planned,
}

/// Outages and planned windows that reach the same tenants.
#[derive(Debug, Clone, Default)]
struct Parts {
    outages: Vec<Outage>,
    planned: Vec<Planned>,
}

impl Parts {
    fn push(&mut self, event: Aimed, incidents: &[ScopedOutage], maintenance: &[ScopedPlanned]) {
        match event {
            Aimed::Outage(at) => self.outages.push(incidents[at].outage),
            Aimed::Planned(at) => self.planned.push(maintenance[at].planned),
        }
    }
}

/// An event aimed at tenants by name: an index into the incidents or into the maintenance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Aimed {
    Outage(usize),
    Planned(usize),
}

/// The figures of one tenant: over the whole window and per bucket.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub total: Figures,
    pub buckets: Vec<Figures>,
}

/// Figures for every tenant of one service. Tenants sharing a classification and the same
/// explicit targeting have identical histories, so each such class is computed once: the cost
/// grows with events × classes, not events × tenants.
pub fn per_tenant(
    tenants: &[(TenantId, ClassificationId)],
    incidents: &[ScopedOutage],
    maintenance: &[ScopedPlanned],
    window: Window,
    buckets: &[Window],
    weights: Weights,
    now: OffsetDateTime,
) -> HashMap<TenantId, Series> {
    // Split the events once: service-wide, by classification, and aimed at tenants.
    let mut service_wide = Parts::default();
    let mut by_class: HashMap<ClassificationId, Parts> = HashMap::new();
    let mut targeting: HashMap<TenantId, Vec<Aimed>> = HashMap::new();
    let events = incidents
        .iter()
        .enumerate()
        .map(|(at, i)| (&i.scope, Aimed::Outage(at)))
        .chain(
            maintenance
                .iter()
                .enumerate()
                .map(|(at, m)| (&m.scope, Aimed::Planned(at))),
        );
    for (scope, event) in events {
        let part = |parts: &mut Parts| parts.push(event, incidents, maintenance);
        match scope {
            EventScope::Service => part(&mut service_wide),
            EventScope::Classifications(ids) => ids
                .iter()
                .for_each(|c| part(by_class.entry(*c).or_default())),
            EventScope::Tenants(ids) => ids
                .iter()
                .for_each(|t| targeting.entry(*t).or_default().push(event)),
        }
    }
    // A class: the classification plus the events aimed at the tenant by name.
    let mut classes: HashMap<(ClassificationId, Vec<Aimed>), Vec<TenantId>> = HashMap::new();
    for &(tenant, class) in tenants {
        let targeted = targeting.get(&tenant).cloned().unwrap_or_default();
        classes.entry((class, targeted)).or_default().push(tenant);
    }
    // Each part's boundaries are sorted once; a class merges its parts in linear time.
    let shared = Events::new(window, &service_wide.outages, &service_wide.planned, now);
    let mut per_class: HashMap<ClassificationId, Events> = HashMap::new();
    let mut result = HashMap::new();
    for ((class, targeted), members) in classes {
        let base = per_class.entry(class).or_insert_with(|| {
            let own = by_class.get(&class).cloned().unwrap_or_default();
            Events::merged(&[
                &shared,
                &Events::new(window, &own.outages, &own.planned, now),
            ])
        });
        let series = if targeted.is_empty() {
            sweep_events(window, buckets, base, weights, now)
        } else {
            let mut aimed = Parts::default();
            for event in &targeted {
                aimed.push(*event, incidents, maintenance);
            }
            let own = Events::new(window, &aimed.outages, &aimed.planned, now);
            sweep_events(
                window,
                buckets,
                &Events::merged(&[base, &own]),
                weights,
                now,
            )
        };
        for tenant in members {
            result.insert(tenant, series.clone());
        }
    }
    result
}

/// One history over the window and each bucket (buckets in order, inside the window).
pub fn series(
    window: Window,
    buckets: &[Window],
    outages: &[Outage],
    planned: &[Planned],
    weights: Weights,
    now: OffsetDateTime,
) -> Series {
    sweep(window, buckets, outages, planned, weights, now)
}

/// An offering's rollup over its tenants' figures.
#[derive(Debug, Clone, PartialEq)]
pub struct Rollup<T> {
    /// Tenant-weighted mean availability (1 without tenants).
    pub availability: f64,
    pub sla_availability: f64,
    /// The tenant with the lowest availability.
    pub worst: Option<(T, f64)>,
    /// Tenants whose SLA availability misses the target.
    pub below_target: Vec<T>,
}

/// Tenant-weighted mean availability and SLA availability (1 and 1 without tenants).
pub fn means<'a>(figures: impl Iterator<Item = &'a Figures>) -> (f64, f64) {
    let (mut count, mut availability, mut sla) = (0usize, 0.0, 0.0);
    for f in figures {
        count += 1;
        availability += f.availability();
        sla += f.sla_availability();
    }
    if count == 0 {
        (1.0, 1.0)
    } else {
        (availability / count as f64, sla / count as f64)
    }
}

/// Rolls tenants' figures up: means, worst tenant, tenants below `target_percent`.
pub fn rollup<T: Clone>(tenants: &[(T, Figures)], target_percent: f64) -> Rollup<T> {
    let (availability, sla_availability) = means(tenants.iter().map(|(_, f)| f));
    let worst = tenants
        .iter()
        .min_by(|a, b| a.1.availability().total_cmp(&b.1.availability()))
        .map(|(t, f)| (t.clone(), f.availability()));
    Rollup {
        availability,
        sla_availability,
        worst,
        below_target: tenants
            .iter()
            .filter(|(_, f)| !f.sla_met(target_percent))
            .map(|(t, _)| t.clone())
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use time::macros::datetime;

    const T0: OffsetDateTime = datetime!(2026-01-01 00:00 UTC);

    fn at(minutes: i64) -> OffsetDateTime {
        T0 + Duration::minutes(minutes)
    }

    fn outage(from: i64, to: Option<i64>, impact: Impact) -> Outage {
        Outage {
            start: at(from),
            end: to.map(at),
            impact,
        }
    }

    fn window(from: i64, to: i64) -> Window {
        Window {
            from: at(from),
            to: at(to),
        }
    }

    const FAR: i64 = 1_000_000;

    #[test]
    fn overlapping_major_and_partial_count_the_larger_weight_once() {
        // Major 60..120, partial 90..180 over a 1000-minute window:
        // 60 min × 1.0 + 60 min × 0.3 = 78 minutes of unplanned downtime.
        let f = figures(
            window(0, 1000),
            &[
                outage(60, Some(120), Impact::MajorOutage),
                outage(90, Some(180), Impact::PartialOutage),
            ],
            &[],
            Weights::default(),
            at(FAR),
        );
        assert!((f.unplanned_seconds - 78.0 * 60.0).abs() < 1e-6);
        assert!((f.availability() - (1.0 - 78.0 / 1000.0)).abs() < 1e-12);
        assert_eq!(f.incident_count, 2);
        assert_eq!(f.mttr_seconds(), Some(75.0 * 60.0));
    }

    #[test]
    fn maintenance_overlapping_an_incident_counts_as_planned() {
        // Planned 100..200, major 150..250: 100 planned, 50 unplanned minutes.
        let f = figures(
            window(0, 1000),
            &[outage(150, Some(250), Impact::MajorOutage)],
            &[Planned {
                start: at(100),
                end: at(200),
            }],
            Weights::default(),
            at(FAR),
        );
        assert!((f.planned_seconds - 6000.0).abs() < 1e-6);
        assert!((f.unplanned_seconds - 3000.0).abs() < 1e-6);
        assert!((f.availability() - 0.85).abs() < 1e-12);
        // SLA: 1 − 50 / (1000 − 100).
        assert!((f.sla_availability() - (1.0 - 50.0 / 900.0)).abs() < 1e-12);
    }

    #[test]
    fn incidents_spanning_the_window_edge_count_only_inside() {
        let f = figures(
            window(100, 200),
            &[outage(50, Some(150), Impact::MajorOutage)],
            &[],
            Weights::default(),
            at(FAR),
        );
        assert!((f.unplanned_seconds - 50.0 * 60.0).abs() < 1e-6);
        assert_eq!(f.incident_count, 1);
        assert_eq!(
            f.mttr_seconds(),
            Some(100.0 * 60.0),
            "MTTR uses the full duration"
        );
    }

    #[test]
    fn an_open_incident_runs_until_now_and_the_window_stops_at_now() {
        let f = figures(
            window(0, 1000),
            &[outage(400, None, Impact::MajorOutage)],
            &[],
            Weights::default(),
            at(500),
        );
        assert!((f.window_seconds - 500.0 * 60.0).abs() < 1e-6);
        assert!((f.unplanned_seconds - 100.0 * 60.0).abs() < 1e-6);
        assert!((f.availability() - 0.8).abs() < 1e-12);
    }

    #[test]
    fn an_empty_window_is_fully_available() {
        let f = figures(window(0, 1440), &[], &[], Weights::default(), at(FAR));
        assert_eq!(
            (
                f.availability(),
                f.sla_availability(),
                f.incident_count,
                f.mttr_seconds()
            ),
            (1.0, 1.0, 0, None)
        );
        assert!(f.sla_met(99.9));
        assert!((f.error_budget_left_seconds(99.9) - 0.001 * 1440.0 * 60.0).abs() < 1e-6);
    }

    #[test]
    fn degraded_counts_minutes_not_downtime_and_targets_are_judged() {
        let f = figures(
            window(0, 1000),
            &[
                outage(0, Some(30), Impact::Degraded),
                outage(10, Some(20), Impact::MajorOutage),
            ],
            &[],
            Weights::default(),
            at(FAR),
        );
        assert!((f.degraded_seconds - 20.0 * 60.0).abs() < 1e-6);
        assert!((f.unplanned_seconds - 10.0 * 60.0).abs() < 1e-6);
        assert!(!f.sla_met(99.9));
        assert!(f.sla_met(98.0));
        assert!(f.error_budget_left_seconds(99.9) < 0.0);
        let heavier = figures(
            window(0, 1000),
            &[outage(0, Some(100), Impact::PartialOutage)],
            &[],
            Weights::parse(0.5).unwrap(),
            at(FAR),
        );
        assert!((heavier.unplanned_seconds - 50.0 * 60.0).abs() < 1e-6);
    }

    #[test]
    fn buckets_follow_the_calendar() {
        let w = Window {
            from: datetime!(2026-01-30 12:00 UTC),
            to: datetime!(2026-03-02 00:00 UTC),
        };
        let months = buckets(w, Granularity::Month).unwrap();
        assert_eq!(months.len(), 3);
        assert_eq!(
            months[0],
            Window {
                from: w.from,
                to: datetime!(2026-02-01 00:00 UTC)
            }
        );
        assert_eq!(
            months[1],
            Window {
                from: datetime!(2026-02-01 00:00 UTC),
                to: datetime!(2026-03-01 00:00 UTC)
            }
        );
        let weeks = buckets(w, Granularity::Week).unwrap();
        assert_eq!(weeks[1].from.weekday(), time::Weekday::Monday);
        assert_eq!(weeks[1].from, datetime!(2026-02-02 00:00 UTC));
        assert_eq!(
            buckets(w, Granularity::Day).unwrap().len(),
            31,
            "Jan 30 (from noon), Jan 31, 28 days of February, March 1"
        );
        assert!(buckets(
            Window {
                from: w.to,
                to: w.from
            },
            Granularity::Day
        )
        .is_err());
        let long = Window {
            from: T0,
            to: T0 + Duration::days(401),
        };
        assert_eq!(
            buckets(long, Granularity::Day).unwrap_err(),
            DomainError::invalid("to", "the window must be at most 400 days")
        );
    }

    #[test]
    fn identical_histories_are_computed_once_and_explicit_targets_split_classes() {
        let eu2 = ClassificationId(1);
        let eu3 = ClassificationId(2);
        let tenants = [
            (TenantId(1), eu2),
            (TenantId(2), eu2),
            (TenantId(3), eu2),
            (TenantId(4), eu3),
        ];
        let incidents = [
            ScopedOutage {
                scope: EventScope::Classifications([eu2].into_iter().collect()),
                outage: outage(0, Some(60), Impact::MajorOutage),
            },
            ScopedOutage {
                scope: EventScope::Tenants([TenantId(3)].into_iter().collect()),
                outage: outage(100, Some(160), Impact::MajorOutage),
            },
        ];
        let planned = |from, to| Planned {
            start: at(from),
            end: at(to),
        };
        let maintenance = [
            ScopedPlanned {
                scope: EventScope::Classifications([eu3].into_iter().collect()),
                planned: planned(200, 230),
            },
            // A window for tenant 2 alone splits it from tenant 1; one for the whole service
            // reaches everyone.
            ScopedPlanned {
                scope: EventScope::Tenants([TenantId(2)].into_iter().collect()),
                planned: planned(300, 310),
            },
            ScopedPlanned {
                scope: EventScope::Service,
                planned: planned(500, 505),
            },
        ];
        let w = window(0, 1440);
        let days = buckets(w, Granularity::Day).unwrap();
        let all = per_tenant(
            &tenants,
            &incidents,
            &maintenance,
            w,
            &days,
            Weights::default(),
            at(FAR),
        );
        assert_eq!(all[&TenantId(1)].total.unplanned_seconds, 3600.0);
        assert_eq!(all[&TenantId(2)].total.unplanned_seconds, 3600.0);
        assert_eq!(all[&TenantId(1)].total.planned_seconds, 300.0);
        assert_eq!(all[&TenantId(2)].total.planned_seconds, 900.0);
        assert!((all[&TenantId(3)].total.unplanned_seconds - 7200.0).abs() < 1e-6);
        assert!((all[&TenantId(4)].total.planned_seconds - 2100.0).abs() < 1e-6);
        assert_eq!(all[&TenantId(4)].total.unplanned_seconds, 0.0);
        let figures: Vec<(TenantId, Figures)> = all.iter().map(|(t, s)| (*t, s.total)).collect();
        let r = rollup(&figures, 99.9);
        assert_eq!(r.worst.map(|(t, _)| t), Some(TenantId(3)));
        assert_eq!(r.below_target.len(), 3);
        let expected = (3.0 * (1.0 - 65.0 / 1440.0) - 60.0 / 1440.0 - 10.0 / 1440.0
            + (1.0 - 35.0 / 1440.0))
            / 4.0;
        assert!((r.availability - expected).abs() < 1e-12);
    }

    /// The obviously-correct reference: minute by minute.
    fn reference(
        w: (i64, i64),
        outages: &[(i64, i64, Impact)],
        planned: &[(i64, i64)],
        weights: Weights,
    ) -> (f64, f64, f64) {
        let (mut unplanned, mut planned_min, mut degraded) = (0.0, 0.0, 0.0);
        for minute in w.0..w.1 {
            if planned.iter().any(|&(s, e)| s <= minute && minute < e) {
                planned_min += 1.0;
                continue;
            }
            let worst = outages
                .iter()
                .filter(|&&(s, e, _)| s <= minute && minute < e)
                .map(|&(_, _, i)| i)
                .max_by_key(|i| i.severity());
            match worst {
                Some(Impact::Degraded) => degraded += 1.0,
                Some(i) => unplanned += weights.of(i),
                None => {}
            }
        }
        (unplanned * 60.0, planned_min * 60.0, degraded * 60.0)
    }

    fn impact() -> impl Strategy<Value = Impact> {
        prop_oneof![
            Just(Impact::Degraded),
            Just(Impact::PartialOutage),
            Just(Impact::MajorOutage)
        ]
    }

    proptest! {
        #[test]
        fn the_sweep_matches_the_minute_by_minute_reference(
            from in 0i64..300,
            len in 1i64..600,
            outages in prop::collection::vec((0i64..1000, 0i64..300, impact()), 0..8),
            planned in prop::collection::vec((0i64..1000, 1i64..200), 0..4),
            partial in 0.0f64..=1.0,
        ) {
            let w = (from, from + len);
            let outages: Vec<(i64, i64, Impact)> = outages.into_iter().map(|(s, d, i)| (s, s + d, i)).collect();
            let planned: Vec<(i64, i64)> = planned.into_iter().map(|(s, d)| (s, s + d)).collect();
            let weights = Weights::parse(partial).unwrap();
            let f = figures(
                window(w.0, w.1),
                &outages.iter().map(|&(s, e, i)| outage(s, Some(e), i)).collect::<Vec<_>>(),
                &planned.iter().map(|&(s, e)| Planned { start: at(s), end: at(e) }).collect::<Vec<_>>(),
                weights,
                at(FAR),
            );
            let (unplanned, planned_s, degraded) = reference(w, &outages, &planned, weights);
            prop_assert!((f.unplanned_seconds - unplanned).abs() < 1e-6, "unplanned {} vs {}", f.unplanned_seconds, unplanned);
            prop_assert!((f.planned_seconds - planned_s).abs() < 1e-6);
            prop_assert!((f.degraded_seconds - degraded).abs() < 1e-6);
            prop_assert!(f.availability() >= 0.0 && f.availability() <= 1.0);
            // Daily-ish buckets of 97 minutes partition the window: their downtime adds up.
            let mut cuts = Vec::new();
            let mut start = w.0;
            while start < w.1 {
                cuts.push(window(start, (start + 97).min(w.1)));
                start += 97;
            }
            let outage_list: Vec<Outage> = outages.iter().map(|&(s, e, i)| outage(s, Some(e), i)).collect();
            let planned_list: Vec<Planned> = planned.iter().map(|&(s, e)| Planned { start: at(s), end: at(e) }).collect();
            let s = series(window(w.0, w.1), &cuts, &outage_list, &planned_list, weights, at(FAR));
            prop_assert!((s.total.unplanned_seconds - unplanned).abs() < 1e-6);
            let sum = |f: fn(&Figures) -> f64| s.buckets.iter().map(f).sum::<f64>();
            prop_assert!((sum(|b| b.unplanned_seconds) - unplanned).abs() < 1e-6);
            prop_assert!((sum(|b| b.planned_seconds) - planned_s).abs() < 1e-6);
            prop_assert!((sum(|b| b.degraded_seconds) - degraded).abs() < 1e-6);
            prop_assert!((sum(|b| b.window_seconds) - (len * 60) as f64).abs() < 1e-6);
            prop_assert!(f.sla_availability() >= f.availability() - 1e-12);
        }
    }
}
