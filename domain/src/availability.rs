//! Availability maths (README "Availability" is the contract): pure functions over time
//! intervals.
//!
//! For one tenant over a half-open window W (stopped at now), the weight at each instant is the
//! largest among the events affecting it then: major outage 1.0, partial outage 0.3
//! (configurable), degraded 0 (counted as degraded minutes); maintenance with expected impact
//! `downtime` weighs 1.0 over the window it counts over and is planned, maintenance with expected
//! impact `degraded` counts as degraded minutes. Planned downtime wins ties and every overlap.
//! An incident is a list of periods, each at one impact: its impact may change over its life,
//! and the gap while a reopened incident stood resolved is not down. Downtime is the integral of
//! the weight (overlaps never count twice). A tenant recovered inside an incident counts it
//! only until its own recovery; a tenant ruled out does not count it at all.

use std::borrow::Borrow;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use jiff::civil::Date as CivilDate;
use jiff::tz::TimeZone;
use jiff::{Span, Timestamp};
use time::macros::datetime;
use time::{Duration, OffsetDateTime, UtcOffset};

use rustc_hash::{FxHashMap, FxHashSet};

use crate::{
    ClassificationId, DomainError, EventScope, Impact, IncidentId, MaintenanceId, TenantId,
    TenantMark,
};

/// Weights of the incident impacts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Weights {
    pub partial_outage: f64,
}

impl Default for Weights {
    fn default() -> Self {
        Weights {
            partial_outage: STATUSPAGE_PARTIAL_WEIGHT,
        }
    }
}

/// The weight Statuspage gives a partial outage; `weighted_availability` always uses it.
pub const STATUSPAGE_PARTIAL_WEIGHT: f64 = 0.3;

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

/// The instants slr accepts anywhere (windows, event times): from 1970 up to (not including)
/// the year 9000, so that every calendar step stays representable.
pub const EARLIEST: OffsetDateTime = datetime!(1970-01-01 00:00 UTC);
pub const LATEST: OffsetDateTime = datetime!(9000-01-01 00:00 UTC);

/// What is said of an instant outside [`EARLIEST`, `LATEST`).
pub const OUT_OF_RANGE: &str = "must be between 1970-01-01T00:00:00Z and 9000-01-01T00:00:00Z";

/// `at` in UTC, if it is a supported instant.
pub fn supported_instant(at: OffsetDateTime) -> Option<OffsetDateTime> {
    (EARLIEST..LATEST)
        .contains(&at)
        .then(|| at.to_offset(UtcOffset::UTC))
}

/// Checks that `at` (the value of `field`) is a supported instant, and gives it in UTC.
pub fn check_instant(
    field: &'static str,
    at: OffsetDateTime,
) -> Result<OffsetDateTime, DomainError> {
    supported_instant(at).ok_or_else(|| DomainError::invalid(field, OUT_OF_RANGE))
}

/// One period of an incident at one impact; the last period of an open incident has no end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outage {
    pub start: OffsetDateTime,
    pub end: Option<OffsetDateTime>,
    pub impact: Impact,
}

/// An incident as the maths sees it: its periods in time order, not overlapping. A reopened
/// incident has a gap between the period that ended at its resolution and the one that began at
/// its reopening; an impact change splits a period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncidentHistory {
    pub id: IncidentId,
    pub periods: Vec<Outage>,
    /// When it was repaired, where that is not the end of its last period: a tenant recovered
    /// while the (reopened) incident stood resolved was repaired at its recovery, which is
    /// where its MTTR counts the incident as resolved.
    pub repaired_at: Option<OffsetDateTime>,
}

impl IncidentHistory {
    /// One period at one impact: an incident that never changed.
    pub fn single(id: IncidentId, outage: Outage) -> Self {
        IncidentHistory {
            id,
            periods: vec![outage],
            repaired_at: None,
        }
    }

    /// The history as one tenant lived it under `cut`: up to its recovery (periods after it
    /// dropped, the one holding it ended there; a tenant recovered at the very start still had
    /// the incident, for no time), or nothing when it was ruled out.
    pub fn cut(&self, cut: Cut) -> Option<IncidentHistory> {
        let Cut::RecoveredAt(at) = cut else {
            return None;
        };
        let periods: Vec<Outage> = self
            .periods
            .iter()
            .enumerate()
            .filter(|(n, p)| *n == 0 || p.start < at)
            .map(|(_, p)| Outage {
                end: Some(p.end.map_or(at, |end| end.min(at)).max(p.start)),
                ..*p
            })
            .collect();
        // Periods it no longer lived, or one still open: the tenant was repaired at its
        // recovery, even where that lies in a reopened incident's resolved gap.
        let cut_short =
            periods.len() < self.periods.len() || self.periods.iter().any(|p| p.end.is_none());
        Some(IncidentHistory {
            id: self.id,
            periods,
            repaired_at: cut_short.then_some(at),
        })
    }
}

/// Where an incident stops counting for one tenant of its scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Cut {
    /// The tenant came back at this instant: the incident counts for it until then.
    RecoveredAt(OffsetDateTime),
    /// The tenant was ruled out: the incident never counts for it.
    Unaffected,
}

/// What a planned window does to the tenants it reaches while it counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlannedImpact {
    /// Planned downtime: weight 1.0, planned.
    Downtime,
    /// Counted as degraded minutes, planned (weight 0).
    Degraded,
}

/// A maintenance window over the span it counts over (see `Maintenance::counted`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Planned {
    pub id: MaintenanceId,
    pub start: OffsetDateTime,
    pub end: OffsetDateTime,
    pub impact: PlannedImpact,
}

/// A half-open window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub from: OffsetDateTime,
    pub to: OffsetDateTime,
}

/// The figures for one tenant (or one class of identical tenants) over one window.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Figures {
    /// The window's length in seconds (stopped at now).
    pub window_seconds: f64,
    /// Weighted unplanned downtime: major + partial weight × partial.
    pub unplanned_seconds: f64,
    pub planned_seconds: f64,
    /// Time whose heaviest event was a degraded incident or degraded maintenance.
    pub degraded_seconds: f64,
    /// Time whose heaviest event was a major outage (outside planned downtime), unweighted.
    pub major_seconds: f64,
    /// Time whose heaviest event was a partial outage (outside planned downtime), unweighted.
    pub partial_seconds: f64,
    /// Incidents down at some point of the window (a zero-length one: whose instant lies in it).
    pub incident_count: u32,
    /// Incidents whose final resolution lies in the window, and their summed down time (gaps
    /// while resolved left out, not clipped to the window): the MTTR.
    pub resolved_count: u32,
    pub resolved_seconds: f64,
}

impl Figures {
    /// 1 − (unplanned + planned) / |W|; `None` for a window wholly in the future.
    pub fn availability(&self) -> Option<f64> {
        (self.window_seconds > 0.0)
            .then(|| 1.0 - (self.unplanned_seconds + self.planned_seconds) / self.window_seconds)
    }

    /// 1 − unplanned / (|W| − planned): planned maintenance is excluded, as cloud SLAs do.
    /// `None` when nothing is left to judge (a future or wholly planned window).
    pub fn sla_availability(&self) -> Option<f64> {
        let base = self.window_seconds - self.planned_seconds;
        (base > 1e-9).then(|| 1.0 - self.unplanned_seconds / base)
    }

    /// The way Statuspage counts it: 1 − (major + 0.3 × partial) / |W|; degraded and
    /// maintenance time count as up. `None` for a window wholly in the future.
    pub fn weighted_availability(&self) -> Option<f64> {
        (self.window_seconds > 0.0).then(|| {
            1.0 - (self.major_seconds + STATUSPAGE_PARTIAL_WEIGHT * self.partial_seconds)
                / self.window_seconds
        })
    }

    /// Mean down time of the incidents resolved in the window.
    pub fn mttr_seconds(&self) -> Option<f64> {
        (self.resolved_count > 0).then(|| self.resolved_seconds / f64::from(self.resolved_count))
    }

    /// Whether the SLA availability meets `target_percent`; `None` when it is undefined.
    pub fn sla_met(&self, target_percent: f64) -> Option<bool> {
        self.sla_availability()
            .map(|a| a * 100.0 >= target_percent - 1e-9)
    }

    /// (1 − target) × (|W| − planned) − unplanned: the unplanned downtime the target still
    /// allows, in seconds (negative when overspent); `None` for a window wholly in the future.
    pub fn error_budget_left_seconds(&self, target_percent: f64) -> Option<f64> {
        (self.window_seconds > 0.0).then(|| {
            (1.0 - target_percent / 100.0) * (self.window_seconds - self.planned_seconds).max(0.0)
                - self.unplanned_seconds
        })
    }
}

/// Computes the figures of one tenant over `window`, with events running until `now` at most.
pub fn figures(
    window: Window,
    incidents: &[IncidentHistory],
    planned: &[Planned],
    weights: Weights,
    now: OffsetDateTime,
) -> Figures {
    series(window, &[], incidents, planned, weights, now).total
}

/// One history over the window and each bucket (buckets in order, inside the window).
pub fn series(
    window: Window,
    buckets: &[Window],
    incidents: &[IncidentHistory],
    planned: &[Planned],
    weights: Weights,
    now: OffsetDateTime,
) -> Series {
    let owned = incidents.iter().enumerate().map(|(at, i)| (owner(at), i));
    let events = Events::new(window, owned, planned, now);
    sweep_events(window, buckets, &events, weights, now)
}

/// The owner tag of the incident at index `at`.
fn owner(at: usize) -> u32 {
    u32::try_from(at)
        .unwrap_or(PLANNED_OWNER - 1)
        .min(PLANNED_OWNER - 1)
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

fn planned_slot(impact: PlannedImpact) -> usize {
    match impact {
        PlannedImpact::Downtime => PLANNED,
        PlannedImpact::Degraded => DEGRADED,
    }
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

/// An incident's periods in microseconds (open ones until now), and its final resolution. The
/// first period is kept inline: most incidents have one, and this runs for every incident.
#[derive(Debug, Clone, Default)]
struct Spans {
    first: Option<(i64, i64)>,
    rest: Vec<(i64, i64)>,
    resolved: Option<i64>,
}

impl Spans {
    fn new(history: &IncidentHistory, now: i64) -> Self {
        let mut periods = history.periods.iter().map(|p| {
            let start = micros(p.start);
            (start, p.end.map_or(now, micros).max(start))
        });
        let first = periods.next();
        let resolved = history
            .periods
            .last()
            .and_then(|p| p.end)
            .filter(|_| history.periods.iter().all(|p| p.end.is_some()))
            .map(|end| micros(history.repaired_at.unwrap_or(end)));
        Spans {
            first,
            rest: periods.collect(),
            resolved,
        }
    }

    fn periods(&self) -> impl Iterator<Item = (i64, i64)> + '_ {
        self.first.into_iter().chain(self.rest.iter().copied())
    }

    fn last_end(&self) -> Option<i64> {
        self.rest.last().copied().or(self.first).map(|p| p.1)
    }

    /// Whether the incident was down in [a, b): a period overlaps it, or a zero-length one lies
    /// in it.
    fn down_in(&self, (a, b): (i64, i64)) -> bool {
        self.periods()
            .any(|(s, e)| (s < b && e > a) || (s == e && a <= s && s < b))
    }

    fn down_micros(&self) -> i64 {
        self.periods().map(|(s, e)| e - s).sum()
    }
}

/// Who put a boundary into an [`Events`]: an incident by its index among the service's
/// incidents, or a planned window (never taken out again).
const PLANNED_OWNER: u32 = u32::MAX;

/// The sorted boundaries of a set of events inside a window, and the incidents' spans, each
/// tagged with its owner so a tenant's own cuts can take one incident out again.
#[derive(Debug, Clone, Default)]
struct Events {
    /// In time order.
    boundaries: Vec<Boundary>,
    incidents: Vec<(u32, Spans)>,
}

impl Events {
    fn new<'a>(
        window: Window,
        incidents: impl IntoIterator<Item = (u32, &'a IncidentHistory)>,
        planned: &[Planned],
        now: OffsetDateTime,
    ) -> Self {
        let now = micros(now);
        let (from, to) = span_of(window, now);
        let clip = |t: i64| t.clamp(from, to);
        let incidents = incidents.into_iter();
        // Starts and ends apart: incidents come in id order, so their starts are nearly sorted
        // already and their ends almost, which the (adaptive) sorts below make use of.
        let capacity = incidents.size_hint().0 + planned.len();
        let (mut starts, mut ends) = (Vec::with_capacity(capacity), Vec::with_capacity(capacity));
        let mut push = |start: i64, end: i64, slot: usize, owner: u32| {
            let (start, end) = (clip(start), clip(end));
            if start < end {
                starts.push((start, 1, slot, owner));
                ends.push((end, -1, slot, owner));
            }
        };
        let mut spans: Vec<(u32, Spans)> = Vec::with_capacity(incidents.size_hint().0);
        for (owner, incident) in incidents {
            let span = Spans::new(incident, now);
            for (period, (start, end)) in incident.periods.iter().zip(span.periods()) {
                push(start, end, slot(period.impact), owner);
            }
            spans.push((owner, span));
        }
        for p in planned {
            push(
                micros(p.start),
                micros(p.end),
                planned_slot(p.impact),
                PLANNED_OWNER,
            );
        }
        starts.sort_by_key(|e| e.0);
        ends.sort_by_key(|e| e.0);
        Events {
            boundaries: merge_sorted(&starts, &ends),
            incidents: spans,
        }
    }

    /// The union of already sorted event sets, merged in linear time.
    fn merged(parts: &[&Events]) -> Events {
        let mut merged = Events::default();
        for part in parts {
            merged.incidents.extend_from_slice(&part.incidents);
            merged.boundaries = merge_sorted(&merged.boundaries, &part.boundaries);
        }
        merged
    }
}

/// One event boundary: (time, +1 or −1, counter slot, owner).
type Boundary = (i64, i32, usize, u32);

/// Two time-sorted lists of boundaries as one, in linear time.
fn merge_sorted(a: &[Boundary], b: &[Boundary]) -> Vec<Boundary> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    merge_into(&mut out, a, b);
    out
}

/// [`merge_sorted`] into `out` (cleared first), reusing its allocation.
fn merge_into(out: &mut Vec<Boundary>, a: &[Boundary], b: &[Boundary]) {
    out.clear();
    let (mut a, mut b) = (a.iter().peekable(), b.iter().peekable());
    loop {
        match (a.peek(), b.peek()) {
            (Some(x), Some(y)) if x.0 <= y.0 => out.extend(a.next()),
            (_, Some(_)) => out.extend(b.next()),
            (Some(_), None) => out.extend(a.next()),
            (None, None) => break,
        }
    }
}

/// What the heaviest active event class makes of a stretch of time, from the counters.
fn classify(counts: &[i32; 4]) -> Option<usize> {
    [PLANNED, MAJOR, PARTIAL, DEGRADED]
        .into_iter()
        .find(|&slot| counts[slot] > 0)
}

/// What a sweep adds up for one span, in whole microseconds so that adding and taking away
/// stretches is exact: time per heaviest class, incidents down in it, and those resolved in it
/// with their summed down time.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Tally {
    window: i64,
    planned: i64,
    degraded: i64,
    major: i64,
    partial: i64,
    incidents: i64,
    resolved: i64,
    resolved_down: i64,
}

impl Tally {
    fn figures(&self, weights: Weights) -> Figures {
        let seconds = |us: i64| us as f64 / 1e6;
        Figures {
            window_seconds: seconds(self.window),
            unplanned_seconds: weights.of(Impact::MajorOutage) * seconds(self.major)
                + weights.of(Impact::PartialOutage) * seconds(self.partial),
            planned_seconds: seconds(self.planned),
            degraded_seconds: seconds(self.degraded),
            major_seconds: seconds(self.major),
            partial_seconds: seconds(self.partial),
            incident_count: u32::try_from(self.incidents.max(0)).unwrap_or(u32::MAX),
            resolved_count: u32::try_from(self.resolved.max(0)).unwrap_or(u32::MAX),
            resolved_seconds: seconds(self.resolved_down),
        }
    }
}

/// A window's tally and its buckets'.
#[derive(Debug, Clone)]
struct Tallies {
    total: Tally,
    buckets: Vec<Tally>,
}

impl Tallies {
    fn series(&self, weights: Weights) -> Series {
        Series {
            total: self.total.figures(weights),
            buckets: self.buckets.iter().map(|b| b.figures(weights)).collect(),
        }
    }
}

/// The window stopped at now and its buckets clipped to it, in microseconds.
fn spans(window: Window, buckets: &[Window], now: OffsetDateTime) -> ((i64, i64), Vec<(i64, i64)>) {
    let (from, to) = span_of(window, micros(now));
    let clip = |t: i64| t.clamp(from, to);
    let cuts = buckets
        .iter()
        .map(|b| (clip(micros(b.from)), clip(micros(b.to))))
        .collect();
    ((from, to), cuts)
}

/// One sweep over sorted event boundaries (and the bucket edges): between two boundaries the
/// active events do not change, so each segment is classified once from counters —
/// O(events · log events + buckets), whatever the overlaps.
fn sweep_events(
    window: Window,
    buckets: &[Window],
    events: &Events,
    weights: Weights,
    now: OffsetDateTime,
) -> Series {
    tally_events(window, buckets, events, now).series(weights)
}

fn tally_events(
    window: Window,
    buckets: &[Window],
    events: &Events,
    now: OffsetDateTime,
) -> Tallies {
    let ((from, to), cuts) = spans(window, buckets, now);
    let mut tallies = Tallies {
        total: Tally {
            window: to - from,
            ..Tally::default()
        },
        buckets: cuts
            .iter()
            .map(|&(a, b)| Tally {
                window: b - a,
                ..Tally::default()
            })
            .collect(),
    };
    sweep_segments(
        (from, to),
        &events.boundaries,
        [0; 4],
        &cuts,
        1,
        &mut tallies,
    );
    for (_, incident) in &events.incidents {
        count_incident(incident, (from, to), &cuts, 1, &mut tallies);
    }
    tallies
}

/// Adds `sign` × the classified segments of [a, b) to the tallies: `boundaries` are those after
/// `a` (sorted), `counts` the events active at `a`.
fn sweep_segments(
    (a, b): (i64, i64),
    boundaries: &[Boundary],
    mut counts: [i32; 4],
    cuts: &[(i64, i64)],
    sign: i64,
    tallies: &mut Tallies,
) {
    let (mut at, mut next_event) = (a, 0);
    let mut bucket = cuts.partition_point(|c| c.1 <= a);
    while at < b {
        while next_event < boundaries.len() && boundaries[next_event].0 <= at {
            counts[boundaries[next_event].2] += boundaries[next_event].1;
            next_event += 1;
        }
        while bucket < cuts.len() && cuts[bucket].1 <= at {
            bucket += 1;
        }
        let mut until = boundaries.get(next_event).map_or(b, |e| e.0).min(b);
        if let Some(&(_, end)) = cuts.get(bucket) {
            until = until.min(end.max(at));
        }
        let span = sign * (until - at);
        let in_bucket = cuts.get(bucket).filter(|c| c.0 <= at).map(|_| bucket);
        let class = classify(&counts);
        let add = |t: &mut Tally| match class {
            Some(PLANNED) => t.planned += span,
            Some(MAJOR) => t.major += span,
            Some(PARTIAL) => t.partial += span,
            Some(_) => t.degraded += span,
            None => {}
        };
        add(&mut tallies.total);
        if let Some(k) = in_bucket {
            add(&mut tallies.buckets[k]);
        }
        if until <= at {
            break;
        }
        at = until;
    }
}

/// Adds `sign` × an incident to the counts of the window and of each bucket it touches: once
/// where it was down, and to the MTTR where its final resolution lies.
fn count_incident(
    incident: &Spans,
    window: (i64, i64),
    cuts: &[(i64, i64)],
    sign: i64,
    tallies: &mut Tallies,
) {
    let count = |(a, b): (i64, i64), t: &mut Tally| {
        if a >= b {
            return;
        }
        if incident.down_in((a, b)) {
            t.incidents += sign;
        }
        if incident.resolved.is_some_and(|r| a <= r && r < b) {
            t.resolved += sign;
            t.resolved_down += sign * incident.down_micros();
        }
    };
    count(window, &mut tallies.total);
    // Periods are in time order, so the buckets they touch only move forward.
    let first = incident
        .first
        .map_or(cuts.len(), |(s, _)| cuts.partition_point(|c| c.1 <= s));
    // The buckets run until its last period ends, or its repair if that came later.
    let last_end = incident
        .last_end()
        .unwrap_or(i64::MIN)
        .max(incident.resolved.unwrap_or(i64::MIN));
    for (k, &cut) in cuts.iter().enumerate().skip(first) {
        if cut.0 > last_end {
            break;
        }
        count(cut, &mut tallies.buckets[k]);
    }
}

/// How many events of each slot are active after each boundary of an [`Events`] (entry `k`
/// holds the counters once the first `k` boundaries are applied), and a table of how many
/// boundaries come before each of equally wide slots of time: where an instant falls among
/// the boundaries is a table lookup and a search among the few of its slot, not a binary
/// search over them all (the rollups look up thousands of instants in the same events).
#[derive(Debug, Default)]
struct Actives {
    after: Vec<[i32; 4]>,
    start: i64,
    width: i64,
    /// `before[k]`: how many boundaries lie before `start + k · width`.
    before: Vec<usize>,
}

impl Actives {
    fn new(events: &Events) -> Self {
        let boundaries = &events.boundaries;
        let mut counts = [0; 4];
        let mut after = Vec::with_capacity(boundaries.len() + 1);
        after.push(counts);
        for &(_, delta, slot, _) in boundaries {
            counts[slot] += delta;
            after.push(counts);
        }
        let (Some(first), Some(last)) = (boundaries.first(), boundaries.last()) else {
            return Actives {
                after,
                width: 1,
                ..Actives::default()
            };
        };
        let (start, span) = (first.0, last.0 - first.0);
        // About one boundary a slot; the last slot's start lies past the last boundary.
        let count = i64::try_from(boundaries.len()).unwrap_or(i64::MAX);
        let width = (span / count).max(1);
        let mut before = Vec::with_capacity(boundaries.len() + 3);
        let mut seen = 0;
        for k in 0..=(span / width + 2) {
            let edge = start + k * width;
            while seen < boundaries.len() && boundaries[seen].0 < edge {
                seen += 1;
            }
            before.push(seen);
        }
        Actives {
            after,
            start,
            width,
            before,
        }
    }

    /// The counters once the first `applied` boundaries are applied.
    fn after(&self, applied: usize) -> [i32; 4] {
        self.after.get(applied).copied().unwrap_or_default()
    }

    /// How many of `boundaries` (those these were made of) lie at or before `t`.
    fn upto(&self, boundaries: &[Boundary], t: i64) -> usize {
        if boundaries.is_empty() || t < self.start {
            return 0;
        }
        let slot = usize::try_from((t - self.start) / self.width).unwrap_or(usize::MAX);
        let Some(&lo) = self.before.get(slot) else {
            return boundaries.len();
        };
        let hi = self
            .before
            .get(slot + 1)
            .copied()
            .unwrap_or(boundaries.len());
        lo + boundaries[lo..hi].partition_point(|e| e.0 <= t)
    }

    /// The boundaries inside the stretch [a, b) but not at `a`, and how many come before them.
    fn inside<'a>(
        &self,
        boundaries: &'a [Boundary],
        (a, b): (i64, i64),
    ) -> (usize, &'a [Boundary]) {
        let lo = self.upto(boundaries, a);
        let hi = self.upto(boundaries, b - 1).max(lo);
        (lo, &boundaries[lo..hi])
    }

    /// The counters at `t` (boundaries at `t` applied) of `events`, the set these were made of.
    fn at(&self, events: &Events, t: i64) -> [i32; 4] {
        self.after(self.upto(&events.boundaries, t))
    }
}

/// A class's tallies from its base's: the base with the incidents `removed` taken out and the
/// events `added` put in. Only the stretches those events span are swept again, both ways —
/// O(log events + what those stretches hold), not O(events).
fn tally_difference(
    base: (&Events, &Actives, &Tallies),
    removed: &Events,
    added: &Events,
    ((from, to), cuts): &((i64, i64), Vec<(i64, i64)>),
) -> Tallies {
    let (events, actives, tallies) = base;
    let (from, to) = (*from, *to);
    let mut result = tallies.clone();
    // The stretches where the two event sets differ, merged.
    let mut stretches: Vec<(i64, i64)> = removed
        .incidents
        .iter()
        .chain(&added.incidents)
        .filter_map(|(_, spans)| Some((spans.first?.0, spans.last_end()?)))
        .chain(planned_spans(added))
        .map(|(a, b)| (a.clamp(from, to), b.clamp(from, to)))
        .filter(|(a, b)| a < b)
        .collect();
    stretches.sort_unstable();
    let mut merged: Vec<(i64, i64)> = Vec::with_capacity(stretches.len());
    for (a, b) in stretches {
        match merged.last_mut() {
            Some(last) if a <= last.1 => last.1 = last.1.max(b),
            _ => merged.push((a, b)),
        }
    }
    let removed_owners: Vec<u32> = {
        let mut owners: Vec<u32> = removed.incidents.iter().map(|(o, _)| *o).collect();
        owners.sort_unstable();
        owners
    };
    let (removed_actives, added_actives) = (Actives::new(removed), Actives::new(added));
    // Reused from stretch to stretch: the base's boundaries kept, and those merged with the
    // ones put in.
    let (mut kept, mut changed) = (Vec::new(), Vec::new());
    for stretch in merged {
        let (before, base_inside) = actives.inside(&events.boundaries, stretch);
        let counts = actives.after(before);
        sweep_segments(stretch, base_inside, counts, cuts, -1, &mut result);
        kept.clear();
        kept.extend(
            base_inside
                .iter()
                .filter(|e| removed_owners.binary_search(&e.3).is_err()),
        );
        let put = added_actives.inside(&added.boundaries, stretch).1;
        merge_into(&mut changed, &kept, put);
        let (gone, new) = (
            removed_actives.at(removed, stretch.0),
            added_actives.at(added, stretch.0),
        );
        let counts: [i32; 4] = std::array::from_fn(|k| counts[k] - gone[k] + new[k]);
        sweep_segments(stretch, &changed, counts, cuts, 1, &mut result);
    }
    for (_, incident) in &removed.incidents {
        count_incident(incident, (from, to), cuts, -1, &mut result);
    }
    for (_, incident) in &added.incidents {
        count_incident(incident, (from, to), cuts, 1, &mut result);
    }
    result
}

/// The spans of the planned windows among `events` (their boundaries owned by no incident).
fn planned_spans(events: &Events) -> impl Iterator<Item = (i64, i64)> + '_ {
    // Each window's start and end, matched per slot in time order (windows never need
    // telling apart here: only the union of their spans matters).
    let mut open: [Vec<i64>; 4] = Default::default();
    let mut found = Vec::new();
    for &(t, delta, slot, owner) in &events.boundaries {
        if owner != PLANNED_OWNER {
            continue;
        }
        if delta > 0 {
            open[slot].push(t);
        } else if let Some(start) = open[slot].pop() {
            found.push((start.min(t), t));
        }
    }
    found.into_iter()
}

/// Why a tenant was down, degraded or under planned downtime for a while: the evidence behind
/// a figure.
#[derive(Debug, Clone, PartialEq)]
pub struct Interval {
    pub start: OffsetDateTime,
    pub end: OffsetDateTime,
    /// The weight counted (0 for degraded time).
    pub weight: f64,
    /// Planned (maintenance) rather than unplanned (incidents).
    pub planned: bool,
    /// Degraded time (weight 0) rather than downtime.
    pub degraded: bool,
    /// The incidents of the deciding kind active then (the heaviest impact), in id order.
    pub incidents: Vec<IncidentId>,
    /// The maintenance windows of the deciding kind active then, in id order.
    pub maintenances: Vec<MaintenanceId>,
}

/// What caused a boundary in [`intervals`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Cause {
    Incident(IncidentId),
    Maintenance(MaintenanceId),
}

/// The stretches of `window` (stopped at now) where the tenant's weight was above zero or it
/// was degraded, each with the events behind it; adjacent stretches with the same weight, kind
/// and events are one.
pub fn intervals(
    window: Window,
    incidents: &[IncidentHistory],
    planned: &[Planned],
    weights: Weights,
    now: OffsetDateTime,
) -> Vec<Interval> {
    let now_us = micros(now);
    let (from, to) = span_of(window, now_us);
    let mut boundaries: Vec<(i64, i32, usize, Cause)> = Vec::new();
    let mut push = |start: i64, end: i64, slot: usize, cause: Cause| {
        let (start, end) = (start.clamp(from, to), end.clamp(from, to));
        if start < end {
            boundaries.push((start, 1, slot, cause));
            boundaries.push((end, -1, slot, cause));
        }
    };
    for incident in incidents {
        for p in &incident.periods {
            let end = p.end.map_or(now_us, micros);
            push(
                micros(p.start),
                end,
                slot(p.impact),
                Cause::Incident(incident.id),
            );
        }
    }
    for p in planned {
        let slot = planned_slot(p.impact);
        push(
            micros(p.start),
            micros(p.end),
            slot,
            Cause::Maintenance(p.id),
        );
    }
    boundaries.sort_unstable_by_key(|b| b.0);
    let mut active: [BTreeMap<Cause, i32>; 4] = Default::default();
    let mut result: Vec<Interval> = Vec::new();
    let mut next = 0;
    while next < boundaries.len() {
        let at = boundaries[next].0;
        while next < boundaries.len() && boundaries[next].0 == at {
            let (_, delta, slot, cause) = boundaries[next];
            let count = active[slot].entry(cause).or_default();
            *count += delta;
            if *count == 0 {
                active[slot].remove(&cause);
            }
            next += 1;
        }
        let Some(&(until, ..)) = boundaries.get(next) else {
            break;
        };
        let counts = active.each_ref().map(|a| i32::from(!a.is_empty()));
        let Some(class) = classify(&counts) else {
            continue;
        };
        let weight = match class {
            PLANNED => 1.0,
            MAJOR => weights.of(Impact::MajorOutage),
            PARTIAL => weights.of(Impact::PartialOutage),
            _ => 0.0,
        };
        let (mut incident_ids, mut maintenance_ids) = (Vec::new(), Vec::new());
        for cause in active[class].keys() {
            match *cause {
                Cause::Incident(id) => incident_ids.push(id),
                Cause::Maintenance(id) => maintenance_ids.push(id),
            }
        }
        let interval = Interval {
            start: from_micros(at),
            end: from_micros(until),
            weight,
            // Planned wins ties: a degraded incident under degraded maintenance is planned
            // time (both are listed, as both were active at the deciding impact).
            planned: !maintenance_ids.is_empty(),
            degraded: class == DEGRADED,
            incidents: incident_ids,
            maintenances: maintenance_ids,
        };
        match result.last_mut() {
            Some(last)
                if last.end == interval.start
                    && (
                        last.weight,
                        last.planned,
                        last.degraded,
                        &last.incidents,
                        &last.maintenances,
                    ) == (
                        interval.weight,
                        interval.planned,
                        interval.degraded,
                        &interval.incidents,
                        &interval.maintenances,
                    ) =>
            {
                last.end = interval.end;
            }
            _ => result.push(interval),
        }
    }
    result
}

fn from_micros(us: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(us) * 1000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
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
}

/// The calendar buckets follow: UTC, or an IANA time zone whose days, weeks and months start at
/// local midnight — so a day is 23 or 25 hours long when the clocks change.
#[derive(Debug, Clone)]
pub struct Calendar {
    zone: TimeZone,
    name: String,
}

impl Default for Calendar {
    fn default() -> Self {
        Calendar {
            zone: TimeZone::UTC,
            name: "UTC".to_owned(),
        }
    }
}

impl Calendar {
    /// From an IANA name such as `Europe/Berlin` (the bundled time zone database).
    pub fn parse(name: &str) -> Result<Self, DomainError> {
        let zone = TimeZone::get(name).map_err(|_| {
            DomainError::invalid("tz", "must be an IANA time zone name, e.g. Europe/Berlin")
        })?;
        Ok(Calendar {
            zone,
            name: name.to_owned(),
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The calendar month `month` (1–12) of `year` in this zone: from its first local midnight
    /// to the next month's.
    pub fn month(&self, year: i16, month: i8) -> Result<Window, DomainError> {
        let first = CivilDate::new(year, month, 1)
            .map_err(|_| DomainError::invalid("period", "must be a month YYYY-MM"))?;
        let next = first
            .checked_add(Span::new().months(1))
            .map_err(|_| out_of_range())?;
        Ok(Window {
            from: self.start_of(first)?,
            to: self.start_of(next)?,
        })
    }

    /// `at` with the zone's offset then: how bucket edges are labelled.
    pub fn local(&self, at: OffsetDateTime) -> OffsetDateTime {
        let offset = self
            .timestamp(at)
            .map(|ts| self.zone.to_offset(ts).seconds());
        offset
            .ok()
            .and_then(|seconds| UtcOffset::from_whole_seconds(seconds).ok())
            .map_or(at, |offset| at.to_offset(offset))
    }

    fn timestamp(&self, at: OffsetDateTime) -> Result<Timestamp, DomainError> {
        Timestamp::from_microsecond(micros(at)).map_err(|_| out_of_range())
    }

    /// The instant local midnight of `date` begins (the first instant of the day, should
    /// midnight fall into a DST gap).
    fn start_of(&self, date: CivilDate) -> Result<OffsetDateTime, DomainError> {
        let start = date
            .to_zoned_datetime(self.zone.clone())
            .map_err(|_| out_of_range())?;
        OffsetDateTime::from_unix_timestamp_nanos(start.timestamp().as_nanosecond())
            .map_err(|_| out_of_range())
    }

    fn date_of(&self, at: OffsetDateTime) -> Result<CivilDate, DomainError> {
        Ok(self
            .timestamp(at)?
            .to_zoned_datetime(self.zone.clone())
            .date())
    }

    /// The start of the bucket containing `at`.
    fn floor(
        &self,
        granularity: Granularity,
        at: OffsetDateTime,
    ) -> Result<OffsetDateTime, DomainError> {
        let date = self.date_of(at)?;
        let first = match granularity {
            Granularity::Day => date,
            Granularity::Week => date
                .checked_sub(Span::new().days(date.weekday().to_monday_zero_offset()))
                .map_err(|_| out_of_range())?,
            Granularity::Month => date.first_of_month(),
        };
        self.start_of(first)
    }

    /// The start of the bucket after the one starting at `start`.
    fn next(
        &self,
        granularity: Granularity,
        start: OffsetDateTime,
    ) -> Result<OffsetDateTime, DomainError> {
        let date = self.date_of(start)?;
        let next = match granularity {
            Granularity::Day => date.tomorrow(),
            Granularity::Week => date.checked_add(Span::new().days(7)),
            Granularity::Month => date.first_of_month().checked_add(Span::new().months(1)),
        }
        .map_err(|_| out_of_range())?;
        self.start_of(next)
    }
}

fn out_of_range() -> DomainError {
    DomainError::invalid("to", "is out of the supported range")
}

/// The longest window accepted, and the most buckets in a series.
pub const MAX_WINDOW_DAYS: i64 = 400;
pub const MAX_BUCKETS: usize = 1000;

/// Checks a requested window: supported instants, `to` after `from`, at most 400 days.
pub fn check_window(window: Window) -> Result<Window, DomainError> {
    let window = Window {
        from: check_instant("from", window.from)?,
        to: check_instant("to", window.to)?,
    };
    if window.to <= window.from {
        return Err(DomainError::invalid("to", "must be after from"));
    }
    if window.to - window.from > Duration::days(MAX_WINDOW_DAYS) {
        return Err(DomainError::invalid(
            "to",
            format!("the window must be at most {MAX_WINDOW_DAYS} days"),
        ));
    }
    Ok(window)
}

/// The buckets of `window` in `calendar`, clipped to the window: they tile it exactly.
pub fn buckets(
    window: Window,
    granularity: Granularity,
    calendar: &Calendar,
) -> Result<Vec<Window>, DomainError> {
    let window = check_window(window)?;
    let mut result = Vec::new();
    let mut start = calendar.floor(granularity, window.from)?;
    while start < window.to {
        let end = calendar.next(granularity, start)?;
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

/// An incident as a rollup sees it: its scope, its history, and the tenants of the scope it
/// counts for differently (recovered early, or ruled out), shared with the incident.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopedOutage {
    pub scope: EventScope,
    pub history: IncidentHistory,
    pub marks: Arc<BTreeMap<TenantId, TenantMark>>,
}

impl ScopedOutage {
    /// Whether the incident counts in the `incident_count` of tenant `id` (of classification
    /// `class`) over `window` (stopped at `now`): it was down for the tenant at some point of
    /// the window — not in a reopened incident's resolved gap, not after the tenant's recovery,
    /// never when ruled out; half-open, so an incident ending at `from` does not count and a
    /// zero-length one counts in the span holding its instant.
    pub fn counts_for(
        &self,
        id: TenantId,
        class: ClassificationId,
        window: Window,
        now: OffsetDateTime,
    ) -> bool {
        let now = micros(now);
        self.as_lived_by(id, class)
            .is_some_and(|lived| Spans::new(&lived, now).down_in(span_of(window, now)))
    }

    /// The history as the tenant `id` of classification `class` lived it: `None` when the
    /// incident does not count for it (outside the scope, or ruled out). A tenant recovered
    /// before the scope narrowed away from it keeps the incident until its recovery.
    pub fn as_lived_by(&self, id: TenantId, class: ClassificationId) -> Option<IncidentHistory> {
        let cut = self.marks.get(&id).and_then(|m| m.cut());
        if !reaches(&self.scope, id, class) && !matches!(cut, Some(Cut::RecoveredAt(_))) {
            return None;
        }
        match cut {
            Some(cut) => self.history.cut(cut),
            None => Some(self.history.clone()),
        }
    }
}

/// A counted maintenance window with its scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopedPlanned {
    pub scope: EventScope,
    pub planned: Planned,
}

/// Whether an event with `scope` reaches the tenant `id` of classification `class`.
fn reaches(scope: &EventScope, id: TenantId, class: ClassificationId) -> bool {
    scope.reaches_tenant(id, class)
}

/// The events of a service's history that reach one tenant, incidents as it lived them.
pub fn affecting<O: Borrow<ScopedOutage>>(
    tenant: (TenantId, ClassificationId),
    incidents: &[O],
    maintenance: &[ScopedPlanned],
) -> (Vec<IncidentHistory>, Vec<Planned>) {
    let (id, class) = tenant;
    (
        incidents
            .iter()
            .filter_map(|i| i.borrow().as_lived_by(id, class))
            .collect(),
        maintenance
            .iter()
            .filter(|m| reaches(&m.scope, id, class))
            .map(|m| m.planned)
            .collect(),
    )
}

/// Incidents (with their owner tags) and planned windows that reach the same tenants.
#[derive(Debug, Clone, Default)]
struct Parts<'a> {
    incidents: Vec<(u32, &'a IncidentHistory)>,
    planned: Vec<Planned>,
}

impl<'a> Parts<'a> {
    fn push<O: Borrow<ScopedOutage>>(
        &mut self,
        event: Aimed,
        incidents: &'a [O],
        maintenance: &[ScopedPlanned],
    ) {
        match event {
            Aimed::Outage(at) => self
                .incidents
                .push((owner(at), &incidents[at].borrow().history)),
            Aimed::Planned(at) => self.planned.push(maintenance[at].planned),
        }
    }

    fn events(&self, window: Window, now: OffsetDateTime) -> Events {
        Events::new(window, self.incidents.iter().copied(), &self.planned, now)
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

/// What sets a tenant's history apart from its classification's: the events aimed at it by
/// name, and its own cuts (incident index and cut, in index order).
type Class = (ClassificationId, Vec<Aimed>, Vec<(usize, Cut)>);

/// Figures for every tenant of one service. Tenants sharing a classification, the same
/// explicit targeting and the same recoveries have identical histories, so each such class is
/// computed once: the cost grows with events × classes, not events × tenants. The incidents
/// may be owned, or borrowed from where they are kept (the read model's layout).
pub fn per_tenant<O: Borrow<ScopedOutage>>(
    tenants: &[(TenantId, ClassificationId)],
    incidents: &[O],
    maintenance: &[ScopedPlanned],
    window: Window,
    buckets: &[Window],
    weights: Weights,
    now: OffsetDateTime,
) -> HashMap<TenantId, Arc<Series>> {
    // Split the events once: service-wide, by classification, and aimed at tenants.
    let mut service_wide = Parts::default();
    let mut by_class: FxHashMap<ClassificationId, Parts<'_>> = FxHashMap::default();
    let mut targeting: FxHashMap<TenantId, Vec<Aimed>> = FxHashMap::default();
    let outage = |at: usize| incidents[at].borrow();
    let events = incidents
        .iter()
        .enumerate()
        .map(|(at, i)| (&i.borrow().scope, Aimed::Outage(at)))
        .chain(
            maintenance
                .iter()
                .enumerate()
                .map(|(at, m)| (&m.scope, Aimed::Planned(at))),
        );
    for (scope, event) in events {
        match scope {
            EventScope::Service => service_wide.push(event, incidents, maintenance),
            EventScope::Classifications(ids) => ids.iter().for_each(|c| {
                by_class
                    .entry(*c)
                    .or_default()
                    .push(event, incidents, maintenance)
            }),
            EventScope::Tenants(ids) => ids
                .iter()
                .for_each(|t| targeting.entry(*t).or_default().push(event)),
        }
    }
    // Each of these tenants' own cuts, in incident order (only incidents with any are looked
    // at).
    let asked: FxHashSet<TenantId> = tenants.iter().map(|(id, _)| *id).collect();
    let mut cuts: FxHashMap<TenantId, Vec<(usize, Cut)>> = FxHashMap::default();
    for (at, incident) in incidents.iter().enumerate() {
        for (tenant, mark) in incident.borrow().marks.iter() {
            if let (true, Some(cut)) = (asked.contains(tenant), mark.cut()) {
                cuts.entry(*tenant).or_default().push((at, cut));
            }
        }
    }
    // A class: the classification plus the events aimed at the tenant by name and its cuts
    // (those of incidents reaching it).
    let mut classes: FxHashMap<Class, Vec<TenantId>> = FxHashMap::default();
    for &(tenant, class) in tenants {
        let targeted = targeting.get(&tenant).cloned().unwrap_or_default();
        let own_cuts: Vec<(usize, Cut)> = cuts
            .get(&tenant)
            .into_iter()
            .flatten()
            .filter(|(at, cut)| {
                reaches(&outage(*at).scope, tenant, class) || matches!(cut, Cut::RecoveredAt(_))
            })
            .copied()
            .collect();
        classes
            .entry((class, targeted, own_cuts))
            .or_default()
            .push(tenant);
    }
    // Each classification's events are swept once; a class set apart by its own events or
    // cuts is its classification's figures with only the stretches those events span swept
    // again.
    let shared = service_wide.events(window, now);
    let clipped = spans(window, buckets, now);
    let mut per_class: FxHashMap<ClassificationId, Base> = FxHashMap::default();
    let mut result = HashMap::new();
    for ((class, targeted, own_cuts), members) in classes {
        let base = per_class.entry(class).or_insert_with(|| {
            let own = by_class
                .get(&class)
                .map(|own| own.events(window, now))
                .unwrap_or_default();
            let events = Events::merged(&[&shared, &own]);
            let tallies = tally_events(window, buckets, &events, now);
            Base {
                actives: Actives::new(&events),
                series: Arc::new(tallies.series(weights)),
                tallies,
                events,
            }
        });
        let series = if targeted.is_empty() && own_cuts.is_empty() {
            Arc::clone(&base.series)
        } else {
            // A cut incident leaves the class's events and comes back as the tenant lived it;
            // events aimed at the tenant by name come in.
            let cut_of = |at: usize| own_cuts.iter().find(|(cut, _)| *cut == at).map(|c| c.1);
            let lived: Vec<(u32, IncidentHistory)> = own_cuts
                .iter()
                .filter_map(|(at, cut)| Some((owner(*at), outage(*at).history.cut(*cut)?)))
                .collect();
            let mut removed = Parts::default();
            for (at, _) in &own_cuts {
                // Only what the classification's events hold is taken out.
                let in_base = match &outage(*at).scope {
                    EventScope::Service => true,
                    EventScope::Classifications(ids) => ids.contains(&class),
                    EventScope::Tenants(_) => false,
                };
                if in_base {
                    removed.push(Aimed::Outage(*at), incidents, maintenance);
                }
            }
            let mut added = Parts::default();
            for event in &targeted {
                if !matches!(event, Aimed::Outage(at) if cut_of(*at).is_some()) {
                    added.push(*event, incidents, maintenance);
                }
            }
            added
                .incidents
                .extend(lived.iter().map(|(owner, history)| (*owner, history)));
            let tallies = tally_difference(
                (&base.events, &base.actives, &base.tallies),
                &removed.events(window, now),
                &added.events(window, now),
                &clipped,
            );
            // Shared, not copied: a daily series over a year is 365 figures a tenant.
            Arc::new(tallies.series(weights))
        };
        for tenant in members {
            result.insert(tenant, Arc::clone(&series));
        }
    }
    result
}

/// A classification's events as every tenant of it shares them, swept once.
struct Base {
    events: Events,
    actives: Actives,
    tallies: Tallies,
    series: Arc<Series>,
}

/// An offering's rollup over its tenants' figures. Worst tenant and tenants below target are
/// judged on the same figure: the SLA availability.
#[derive(Debug, Clone, PartialEq)]
pub struct Rollup<T> {
    /// Tenant-weighted means over the tenants where the figure is defined; `None` without any.
    pub availability: Option<f64>,
    pub sla_availability: Option<f64>,
    pub weighted_availability: Option<f64>,
    /// The tenant with the lowest SLA availability.
    pub worst: Option<(T, f64)>,
    /// Tenants whose SLA availability misses the target.
    pub below_target: Vec<T>,
}

/// Tenant-weighted means of availability, SLA availability and weighted availability, each
/// over the tenants where it is defined (`None` where no tenant has it).
pub fn means<'a>(
    figures: impl Iterator<Item = &'a Figures> + Clone,
) -> (Option<f64>, Option<f64>, Option<f64>) {
    fn mean(values: impl Iterator<Item = Option<f64>>) -> Option<f64> {
        let (count, sum) = values
            .flatten()
            .fold((0usize, 0.0), |(n, s), v| (n + 1, s + v));
        (count > 0).then(|| sum / count as f64)
    }
    (
        mean(figures.clone().map(Figures::availability)),
        mean(figures.clone().map(Figures::sla_availability)),
        mean(figures.map(Figures::weighted_availability)),
    )
}

/// Rolls tenants' figures up: means, worst tenant, tenants below `target_percent`.
pub fn rollup<T: Clone>(tenants: &[(T, Figures)], target_percent: f64) -> Rollup<T> {
    let (availability, sla_availability, weighted_availability) =
        means(tenants.iter().map(|(_, f)| f));
    let worst = tenants
        .iter()
        .filter_map(|(t, f)| f.sla_availability().map(|a| (t, a)))
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(t, a)| (t.clone(), a));
    Rollup {
        availability,
        sla_availability,
        weighted_availability,
        worst,
        below_target: tenants
            .iter()
            .filter(|(_, f)| f.sla_met(target_percent) == Some(false))
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

    fn period(from: i64, to: Option<i64>, impact: Impact) -> Outage {
        Outage {
            start: at(from),
            end: to.map(at),
            impact,
        }
    }

    /// An incident with one period.
    fn outage(from: i64, to: Option<i64>, impact: Impact) -> IncidentHistory {
        IncidentHistory::single(IncidentId(from), period(from, to, impact))
    }

    fn downtime(id: i64, from: i64, to: i64) -> Planned {
        Planned {
            id: MaintenanceId(id),
            start: at(from),
            end: at(to),
            impact: PlannedImpact::Downtime,
        }
    }

    fn window(from: i64, to: i64) -> Window {
        Window {
            from: at(from),
            to: at(to),
        }
    }

    const FAR: i64 = 1_000_000;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-6
    }

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
        assert!(close(f.unplanned_seconds, 78.0 * 60.0));
        assert!((f.availability().unwrap() - (1.0 - 78.0 / 1000.0)).abs() < 1e-12);
        assert_eq!(f.incident_count, 2);
        assert_eq!(f.mttr_seconds(), Some(75.0 * 60.0));
        // Statuspage: major 60 min + 0.3 × the 60 partial-only minutes.
        assert!((f.weighted_availability().unwrap() - (1.0 - 78.0 / 1000.0)).abs() < 1e-12);
        let heavier = Weights::parse(0.5).unwrap();
        let f = figures(
            window(0, 1000),
            &[outage(0, Some(100), Impact::PartialOutage)],
            &[],
            heavier,
            at(FAR),
        );
        assert!(close(f.unplanned_seconds, 50.0 * 60.0));
        assert!(
            (f.weighted_availability().unwrap() - (1.0 - 30.0 / 1000.0)).abs() < 1e-12,
            "the Statuspage method keeps its own 0.3"
        );
    }

    #[test]
    fn maintenance_overlapping_an_incident_counts_as_planned() {
        // Planned 100..200, major 150..250: 100 planned, 50 unplanned minutes.
        let f = figures(
            window(0, 1000),
            &[outage(150, Some(250), Impact::MajorOutage)],
            &[downtime(1, 100, 200)],
            Weights::default(),
            at(FAR),
        );
        assert!(close(f.planned_seconds, 6000.0));
        assert!(close(f.unplanned_seconds, 3000.0));
        assert!((f.availability().unwrap() - 0.85).abs() < 1e-12);
        // SLA: 1 − 50 / (1000 − 100).
        assert!((f.sla_availability().unwrap() - (1.0 - 50.0 / 900.0)).abs() < 1e-12);
        // Statuspage counts maintenance as up: only the 50 unplanned major minutes.
        assert!((f.weighted_availability().unwrap() - 0.95).abs() < 1e-12);
    }

    #[test]
    fn degraded_maintenance_counts_as_degraded_minutes_and_a_degraded_incident_under_downtime_as_planned(
    ) {
        let degraded_window = Planned {
            impact: PlannedImpact::Degraded,
            ..downtime(2, 300, 360)
        };
        let f = figures(
            window(0, 1000),
            &[
                outage(0, Some(30), Impact::Degraded),
                outage(330, Some(340), Impact::PartialOutage),
            ],
            &[downtime(1, 10, 20), degraded_window],
            Weights::default(),
            at(FAR),
        );
        // Degraded: 0..10 and 20..30 (the downtime window wins 10..20), 300..330 and 340..360.
        assert!(close(f.degraded_seconds, (20.0 + 50.0) * 60.0));
        assert!(close(f.planned_seconds, 10.0 * 60.0));
        assert!(close(f.unplanned_seconds, 0.3 * 10.0 * 60.0));
    }

    #[test]
    fn impact_changes_weigh_each_period_at_its_own_impact_and_a_reopened_gap_is_up() {
        // Major for 20 minutes, then partial for 40; resolved; reopened 100 minutes later as
        // partial for 10 minutes.
        let incident = IncidentHistory {
            id: IncidentId(7),
            periods: vec![
                period(0, Some(20), Impact::MajorOutage),
                period(20, Some(60), Impact::PartialOutage),
                period(160, Some(170), Impact::PartialOutage),
            ],
            repaired_at: None,
        };
        let f = figures(
            window(0, 1440),
            std::slice::from_ref(&incident),
            &[],
            Weights::default(),
            at(FAR),
        );
        assert!(close(f.unplanned_seconds, (20.0 + 0.3 * 50.0) * 60.0));
        assert!(close(f.major_seconds, 20.0 * 60.0));
        assert!(close(f.partial_seconds, 50.0 * 60.0));
        assert_eq!(f.incident_count, 1);
        assert_eq!(
            f.mttr_seconds(),
            Some(70.0 * 60.0),
            "down time, the resolved gap left out"
        );
        // In the gap alone the incident is not down and not counted.
        let gap = figures(
            window(60, 160),
            &[incident],
            &[],
            Weights::default(),
            at(FAR),
        );
        assert_eq!((gap.unplanned_seconds, gap.incident_count), (0.0, 0));
    }

    #[test]
    fn a_tenant_recovered_in_a_reopened_gap_is_repaired_at_its_recovery() {
        // Down 0–60, resolved, reopened at 160; the tenant recovered at 100, in the gap.
        let incident = IncidentHistory {
            id: IncidentId(7),
            periods: vec![
                period(0, Some(60), Impact::MajorOutage),
                period(160, None, Impact::MajorOutage),
            ],
            repaired_at: None,
        };
        let lived = incident.cut(Cut::RecoveredAt(at(100))).unwrap();
        assert_eq!(lived.repaired_at, Some(at(100)));
        let halves = [window(0, 90), window(90, 300)];
        let s = series(
            window(0, 300),
            &halves,
            std::slice::from_ref(&lived),
            &[],
            Weights::default(),
            at(FAR),
        );
        assert_eq!(s.total.mttr_seconds(), Some(60.0 * 60.0), "its down time");
        assert_eq!(
            (s.buckets[0].resolved_count, s.buckets[1].resolved_count),
            (0, 1),
            "resolved where it recovered, not where its last period ended"
        );
        assert_eq!(
            (s.buckets[0].incident_count, s.buckets[1].incident_count),
            (1, 0),
            "down only before the gap"
        );
    }

    #[test]
    fn a_degraded_incident_under_degraded_maintenance_is_planned_time_in_the_intervals() {
        let incident = outage(0, Some(60), Impact::Degraded);
        let window_ = Planned {
            impact: PlannedImpact::Degraded,
            ..downtime(3, 30, 90)
        };
        let evidence = intervals(
            window(0, 120),
            std::slice::from_ref(&incident),
            &[window_],
            Weights::default(),
            at(FAR),
        );
        let planned: Vec<(bool, usize, usize)> = evidence
            .iter()
            .map(|i| (i.planned, i.incidents.len(), i.maintenances.len()))
            .collect();
        assert_eq!(
            planned,
            vec![(false, 1, 0), (true, 1, 1), (true, 0, 1)],
            "unplanned alone, planned under the window (both named), planned after"
        );
        assert!(evidence.iter().all(|i| i.degraded && i.weight == 0.0));
    }

    #[test]
    fn zero_length_incidents_count_in_the_span_holding_their_instant() {
        let blip = outage(100, Some(100), Impact::MajorOutage);
        let days = [window(0, 100), window(100, 200)];
        let s = series(
            window(0, 200),
            &days,
            std::slice::from_ref(&blip),
            &[],
            Weights::default(),
            at(FAR),
        );
        assert_eq!(s.total.incident_count, 1);
        assert_eq!(s.total.unplanned_seconds, 0.0);
        assert_eq!(
            (s.buckets[0].incident_count, s.buckets[1].incident_count),
            (0, 1),
            "half-open: the instant belongs to the later bucket"
        );
        assert_eq!(s.total.mttr_seconds(), Some(0.0));
        // A long incident counts in every bucket it overlaps, and once in the window.
        let long = series(
            window(0, 200),
            &days,
            &[outage(50, Some(150), Impact::MajorOutage)],
            &[],
            Weights::default(),
            at(FAR),
        );
        assert_eq!(long.total.incident_count, 1);
        assert_eq!(
            (
                long.buckets[0].incident_count,
                long.buckets[1].incident_count
            ),
            (1, 1)
        );
        assert_eq!(
            (
                long.buckets[0].resolved_count,
                long.buckets[1].resolved_count
            ),
            (0, 1),
            "the MTTR counts it where it was resolved"
        );
    }

    #[test]
    fn incidents_spanning_the_window_edge_count_only_inside_and_mttr_needs_a_resolution_inside() {
        let f = figures(
            window(100, 200),
            &[
                outage(50, Some(150), Impact::MajorOutage),
                outage(180, Some(300), Impact::MajorOutage),
            ],
            &[],
            Weights::default(),
            at(FAR),
        );
        assert!(close(f.unplanned_seconds, 70.0 * 60.0));
        assert_eq!(f.incident_count, 2);
        assert_eq!(
            f.mttr_seconds(),
            Some(100.0 * 60.0),
            "full duration of the one resolved inside"
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
        assert!(close(f.window_seconds, 500.0 * 60.0));
        assert!(close(f.unplanned_seconds, 100.0 * 60.0));
        assert!((f.availability().unwrap() - 0.8).abs() < 1e-12);
        assert_eq!(f.mttr_seconds(), None, "not resolved");
    }

    #[test]
    fn empty_cases_say_what_is_known() {
        let f = figures(window(0, 1440), &[], &[], Weights::default(), at(FAR));
        assert_eq!(
            (
                f.availability(),
                f.sla_availability(),
                f.incident_count,
                f.mttr_seconds()
            ),
            (Some(1.0), Some(1.0), 0, None)
        );
        assert_eq!(f.sla_met(99.9), Some(true));
        assert!(close(
            f.error_budget_left_seconds(99.9).unwrap(),
            0.001 * 1440.0 * 60.0
        ));
        // A window in the future: nothing measured yet.
        let future = figures(window(100, 200), &[], &[], Weights::default(), at(50));
        assert_eq!(future.availability(), None);
        assert_eq!(future.sla_met(99.9), None);
        assert_eq!(future.error_budget_left_seconds(99.9), None);
        // A wholly planned window: down (planned), nothing left for the SLA to judge.
        let planned = figures(
            window(0, 60),
            &[],
            &[downtime(1, 0, 60)],
            Weights::default(),
            at(FAR),
        );
        assert_eq!(planned.availability(), Some(0.0));
        assert_eq!(planned.sla_availability(), None);
        assert_eq!(planned.weighted_availability(), Some(1.0));
        assert_eq!(planned.error_budget_left_seconds(99.9), Some(0.0));
        // An offering without tenants.
        let r = rollup::<TenantId>(&[], 99.9);
        assert_eq!(
            (r.availability, r.sla_availability, r.worst),
            (None, None, None)
        );
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
        assert!(close(f.degraded_seconds, 20.0 * 60.0));
        assert!(close(f.unplanned_seconds, 10.0 * 60.0));
        assert_eq!(f.sla_met(99.9), Some(false));
        assert_eq!(f.sla_met(98.0), Some(true));
        assert!(f.error_budget_left_seconds(99.9).unwrap() < 0.0);
    }

    #[test]
    fn intervals_show_the_evidence_behind_the_figures() {
        let incidents = [
            IncidentHistory {
                id: IncidentId(1),
                periods: vec![
                    period(10, Some(20), Impact::MajorOutage),
                    period(20, Some(40), Impact::PartialOutage),
                ],
                repaired_at: None,
            },
            IncidentHistory::single(IncidentId(2), period(30, Some(50), Impact::Degraded)),
        ];
        let got = intervals(
            window(0, 100),
            &incidents,
            &[downtime(9, 35, 45)],
            Weights::default(),
            at(FAR),
        );
        type Summary = (i64, i64, f64, bool, bool, Vec<i64>, Vec<i64>);
        let summary: Vec<Summary> = got
            .iter()
            .map(|i| {
                (
                    (i.start - T0).whole_minutes(),
                    (i.end - T0).whole_minutes(),
                    i.weight,
                    i.planned,
                    i.degraded,
                    i.incidents.iter().map(|i| i.0).collect(),
                    i.maintenances.iter().map(|m| m.0).collect(),
                )
            })
            .collect();
        assert_eq!(
            summary,
            vec![
                (10, 20, 1.0, false, false, vec![1], vec![]),
                (20, 35, 0.3, false, false, vec![1], vec![]),
                (35, 45, 1.0, true, false, vec![], vec![9]),
                (45, 50, 0.0, false, true, vec![2], vec![]),
            ]
        );
    }

    #[test]
    fn buckets_follow_the_calendar() {
        let w = Window {
            from: datetime!(2026-01-30 12:00 UTC),
            to: datetime!(2026-03-02 00:00 UTC),
        };
        let utc = Calendar::default();
        let months = buckets(w, Granularity::Month, &utc).unwrap();
        assert_eq!(months.len(), 3);
        assert_eq!(
            months[0],
            Window {
                from: w.from,
                to: datetime!(2026-02-01 00:00 UTC)
            }
        );
        let weeks = buckets(w, Granularity::Week, &utc).unwrap();
        assert_eq!(weeks[1].from.weekday(), time::Weekday::Monday);
        assert_eq!(weeks[1].from, datetime!(2026-02-02 00:00 UTC));
        assert_eq!(
            buckets(w, Granularity::Day, &utc).unwrap().len(),
            31,
            "Jan 30 (from noon), Jan 31, 28 days of February, March 1"
        );
        assert!(buckets(
            Window {
                from: w.to,
                to: w.from
            },
            Granularity::Day,
            &utc
        )
        .is_err());
        let long = Window {
            from: T0,
            to: T0 + Duration::days(401),
        };
        assert_eq!(
            buckets(long, Granularity::Day, &utc).unwrap_err(),
            DomainError::invalid("to", "the window must be at most 400 days")
        );
    }

    #[test]
    fn zone_buckets_start_at_local_midnight_and_follow_daylight_saving() {
        let berlin = Calendar::parse("Europe/Berlin").unwrap();
        // Berlin moves to summer time on 2026-03-29 and back on 2026-10-25.
        let spring = Window {
            from: datetime!(2026-03-27 23:00 UTC),
            to: datetime!(2026-03-30 22:00 UTC),
        };
        let days = buckets(spring, Granularity::Day, &berlin).unwrap();
        let hours: Vec<i64> = days.iter().map(|d| (d.to - d.from).whole_hours()).collect();
        assert_eq!(hours, [24, 23, 24]);
        assert_eq!(days[1].from, datetime!(2026-03-28 23:00 UTC));
        assert_eq!(
            berlin.local(days[2].from),
            datetime!(2026-03-30 00:00 +02:00)
        );
        let autumn = Window {
            from: datetime!(2026-10-24 22:00 UTC),
            to: datetime!(2026-10-26 23:00 UTC),
        };
        let hours: Vec<i64> = buckets(autumn, Granularity::Day, &berlin)
            .unwrap()
            .iter()
            .map(|d| (d.to - d.from).whole_hours())
            .collect();
        assert_eq!(hours, [25, 24]);
        let months = buckets(
            Window {
                from: datetime!(2026-01-15 00:00 UTC),
                to: datetime!(2026-03-15 00:00 UTC),
            },
            Granularity::Month,
            &berlin,
        )
        .unwrap();
        assert_eq!(months[1].from, datetime!(2026-01-31 23:00 UTC));
        assert_eq!(
            Calendar::parse("Mars/Olympus").unwrap_err().to_string(),
            "tz: must be an IANA time zone name, e.g. Europe/Berlin"
        );
    }

    #[test]
    fn instants_outside_the_supported_range_are_refused_not_panicked_on() {
        let far = Window {
            from: datetime!(8999-12-01 00:00 UTC),
            to: datetime!(9999-12-31 23:59:59 UTC),
        };
        assert!(check_window(far).is_err());
        assert!(buckets(far, Granularity::Day, &Calendar::default()).is_err());
        assert!(check_instant("started_at", datetime!(0000-01-01 00:00 +23:59)).is_err());
        assert_eq!(
            check_instant("from", datetime!(2026-11-18 00:00 +02:00)).unwrap(),
            datetime!(2026-11-17 22:00 UTC)
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
                history: outage(0, Some(60), Impact::MajorOutage),
                marks: Arc::default(),
            },
            ScopedOutage {
                scope: EventScope::Tenants([TenantId(3)].into_iter().collect()),
                history: outage(100, Some(160), Impact::MajorOutage),
                marks: Arc::default(),
            },
        ];
        let maintenance = [
            ScopedPlanned {
                scope: EventScope::Classifications([eu3].into_iter().collect()),
                planned: downtime(1, 200, 230),
            },
            // A window for tenant 2 alone splits it from tenant 1; one for the whole service
            // reaches everyone.
            ScopedPlanned {
                scope: EventScope::Tenants([TenantId(2)].into_iter().collect()),
                planned: downtime(2, 300, 310),
            },
            ScopedPlanned {
                scope: EventScope::Service,
                planned: downtime(3, 500, 505),
            },
        ];
        let w = window(0, 1440);
        let days = buckets(w, Granularity::Day, &Calendar::default()).unwrap();
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
        assert!(close(all[&TenantId(3)].total.unplanned_seconds, 7200.0));
        assert!(close(all[&TenantId(4)].total.planned_seconds, 2100.0));
        assert_eq!(all[&TenantId(4)].total.unplanned_seconds, 0.0);
        // The same figures as computing one tenant from the events that reach it.
        for &(tenant, class) in &tenants {
            let (own_incidents, own_planned) = affecting((tenant, class), &incidents, &maintenance);
            let alone = figures(w, &own_incidents, &own_planned, Weights::default(), at(FAR));
            assert_eq!(all[&tenant].total, alone, "tenant {tenant}");
        }
        let figures: Vec<(TenantId, Figures)> = all.iter().map(|(t, s)| (*t, s.total)).collect();
        let r = rollup(&figures, 99.9);
        assert_eq!(r.worst.map(|(t, _)| t), Some(TenantId(3)));
        assert_eq!(r.below_target.len(), 3);
        let expected = (3.0 * (1.0 - 65.0 / 1440.0) - 60.0 / 1440.0 - 10.0 / 1440.0
            + (1.0 - 35.0 / 1440.0))
            / 4.0;
        assert!((r.availability.unwrap() - expected).abs() < 1e-12);
    }

    /// The obviously-correct reference: minute by minute. An incident is a list of
    /// (start, end, impact) periods; planned windows are (start, end, downtime?).
    fn reference(
        w: (i64, i64),
        incidents: &[Vec<(i64, i64, Impact)>],
        planned: &[(i64, i64, bool)],
        weights: Weights,
    ) -> (f64, f64, f64, f64) {
        let (mut unplanned, mut planned_min, mut degraded, mut weighted) = (0.0, 0.0, 0.0, 0.0);
        for minute in w.0..w.1 {
            let inside = |s: i64, e: i64| s <= minute && minute < e;
            if planned.iter().any(|&(s, e, down)| down && inside(s, e)) {
                planned_min += 1.0;
                continue;
            }
            let worst = incidents
                .iter()
                .flatten()
                .filter(|&&(s, e, _)| inside(s, e))
                .map(|&(_, _, i)| i)
                .max_by_key(|i| i.severity());
            let degraded_window = planned.iter().any(|&(s, e, down)| !down && inside(s, e));
            match worst {
                Some(Impact::Degraded) => degraded += 1.0,
                Some(i) => {
                    unplanned += weights.of(i);
                    weighted += Weights::default().of(i);
                }
                None if degraded_window => degraded += 1.0,
                None => {}
            }
        }
        (
            unplanned * 60.0,
            planned_min * 60.0,
            degraded * 60.0,
            weighted * 60.0,
        )
    }

    fn impact() -> impl Strategy<Value = Impact> {
        prop_oneof![
            Just(Impact::Degraded),
            Just(Impact::PartialOutage),
            Just(Impact::MajorOutage)
        ]
    }

    /// An incident: a start, then (gap, length, impact) steps — a gap of 0 is an impact change,
    /// a longer one a resolution and a reopening.
    fn incident() -> impl Strategy<Value = Vec<(i64, i64, Impact)>> {
        (
            0i64..1000,
            prop::collection::vec(
                (prop_oneof![Just(0i64), 1i64..100], 0i64..200, impact()),
                1..4,
            ),
        )
            .prop_map(|(start, steps)| {
                let mut at = start;
                steps
                    .into_iter()
                    .map(|(gap, len, impact)| {
                        let period = (at + gap, at + gap + len, impact);
                        at = period.1;
                        period
                    })
                    .collect()
            })
    }

    fn zone() -> impl Strategy<Value = &'static str> {
        prop_oneof![
            Just("UTC"),
            Just("Europe/Berlin"),
            Just("America/New_York"),
            Just("Australia/Lord_Howe"),
            Just("Asia/Kolkata"),
        ]
    }

    proptest! {
        #[test]
        fn the_slot_table_finds_instants_as_a_binary_search_does(
            mut times in prop::collection::vec(-50i64..5000, 0..200),
            spread in 1i64..1_000_000,
            probes in prop::collection::vec(-100i64..6000, 1..50),
        ) {
            // Clustered and spread-out boundaries alike (the table's slots follow the span).
            times.sort_unstable();
            let events = Events {
                boundaries: times.iter().map(|t| (t * spread, 1, 0, 0)).collect(),
                incidents: Vec::new(),
            };
            let actives = Actives::new(&events);
            for probe in probes {
                for t in [probe * spread, probe * spread + 1, probe * spread - 1] {
                    let expected = events.boundaries.partition_point(|e| e.0 <= t);
                    prop_assert_eq!(actives.upto(&events.boundaries, t), expected);
                    prop_assert_eq!(actives.at(&events, t)[0], i32::try_from(expected).unwrap());
                }
            }
        }

        #[test]
        fn the_sweep_matches_the_minute_by_minute_reference(
            from in 0i64..300,
            len in 1i64..600,
            incidents in prop::collection::vec(incident(), 0..6),
            planned in prop::collection::vec((0i64..1000, 1i64..200, any::<bool>()), 0..4),
            partial in 0.0f64..=1.0,
        ) {
            let w = (from, from + len);
            let planned: Vec<(i64, i64, bool)> = planned.into_iter().map(|(s, d, down)| (s, s + d, down)).collect();
            let weights = Weights::parse(partial).unwrap();
            let histories: Vec<IncidentHistory> = incidents
                .iter()
                .enumerate()
                .map(|(id, periods)| IncidentHistory {
                    id: IncidentId(id as i64),
                    periods: periods.iter().map(|&(s, e, i)| period(s, Some(e), i)).collect(),
                    repaired_at: None,
                })
                .collect();
            let windows: Vec<Planned> = planned
                .iter()
                .enumerate()
                .map(|(id, &(s, e, down))| Planned {
                    impact: if down { PlannedImpact::Downtime } else { PlannedImpact::Degraded },
                    ..downtime(id as i64, s, e)
                })
                .collect();
            let f = figures(window(w.0, w.1), &histories, &windows, weights, at(FAR));
            let (unplanned, planned_s, degraded, weighted) = reference(w, &incidents, &planned, weights);
            prop_assert!(close(f.unplanned_seconds, unplanned), "unplanned {} vs {}", f.unplanned_seconds, unplanned);
            prop_assert!(close(f.planned_seconds, planned_s));
            prop_assert!(close(f.degraded_seconds, degraded));
            let t = (len * 60) as f64;
            prop_assert!((f.weighted_availability().unwrap() - (1.0 - weighted / t)).abs() < 1e-9);
            let a = f.availability().unwrap();
            prop_assert!((0.0..=1.0).contains(&a));
            // Buckets of 97 minutes partition the window: their downtime adds up.
            let mut cuts = Vec::new();
            let mut start = w.0;
            while start < w.1 {
                cuts.push(window(start, (start + 97).min(w.1)));
                start += 97;
            }
            let s = series(window(w.0, w.1), &cuts, &histories, &windows, weights, at(FAR));
            prop_assert!(close(s.total.unplanned_seconds, f.unplanned_seconds));
            prop_assert_eq!((s.total.incident_count, s.total.resolved_count), (f.incident_count, f.resolved_count));
            let sum = |f: fn(&Figures) -> f64| s.buckets.iter().map(f).sum::<f64>();
            prop_assert!(close(sum(|b| b.unplanned_seconds), unplanned));
            prop_assert!(close(sum(|b| b.planned_seconds), planned_s));
            prop_assert!(close(sum(|b| b.degraded_seconds), degraded));
            prop_assert!(close(sum(|b| b.window_seconds), t));
            prop_assert!(f.sla_availability().is_none_or(|sla| sla >= a - 1e-12));
            // The intervals add up to the same downtime.
            let evidence = intervals(window(w.0, w.1), &histories, &windows, weights, at(FAR));
            let minutes = |i: &Interval| (i.end - i.start).as_seconds_f64();
            let down: f64 = evidence.iter().filter(|i| !i.planned).map(|i| i.weight * minutes(i)).sum();
            let planned_down: f64 = evidence.iter().filter(|i| i.planned && !i.degraded).map(minutes).sum();
            prop_assert!(close(down, unplanned), "intervals {} vs {}", down, unplanned);
            prop_assert!(close(planned_down, planned_s));
        }

        /// Per-tenant recovery: each tenant's figures from the grouped rollup equal the
        /// reference over the periods it lived — cut at its own recovery, none when ruled
        /// out; a tenant recovered outside the scope (which narrowed after its recovery) keeps
        /// the incident until then — and equal computing it alone from the events that reach
        /// it, bucket by bucket.
        #[test]
        fn recoveries_count_each_tenant_until_its_own_recovery(
            from in 0i64..300,
            len in 1i64..600,
            incidents in prop::collection::vec(
                (
                    incident(),
                    0usize..3,
                    prop::collection::vec(
                        prop_oneof![Just(None), Just(Some(None)), (0i64..1200).prop_map(|m| Some(Some(m)))],
                        4,
                    ),
                ),
                0..6,
            ),
            planned in prop::collection::vec((0i64..1000, 1i64..200, any::<bool>(), 0usize..3), 0..3),
            partial in 0.0f64..=1.0,
        ) {
            let (a, b) = (ClassificationId(1), ClassificationId(2));
            let scope_of = |kind: usize| match kind {
                0 => EventScope::Service,
                1 => EventScope::Classifications([a].into_iter().collect()),
                _ => EventScope::Tenants([TenantId(2), TenantId(4)].into_iter().collect()),
            };
            let tenants = [(TenantId(1), a), (TenantId(2), a), (TenantId(3), a), (TenantId(4), b)];
            let w = (from, from + len);
            let weights = Weights::parse(partial).unwrap();
            let maintenance: Vec<ScopedPlanned> = planned
                .iter()
                .enumerate()
                .map(|(id, &(s, d, down, kind))| ScopedPlanned {
                    scope: scope_of(kind),
                    planned: Planned {
                        impact: if down { PlannedImpact::Downtime } else { PlannedImpact::Degraded },
                        ..downtime(id as i64, s, s + d)
                    },
                })
                .collect();
            let scoped: Vec<ScopedOutage> = incidents
                .iter()
                .enumerate()
                .map(|(id, (periods, scope, marks))| ScopedOutage {
                    scope: scope_of(*scope),
                    history: IncidentHistory {
                        id: IncidentId(id as i64),
                        periods: periods.iter().map(|&(s, e, i)| period(s, Some(e), i)).collect(),
                        repaired_at: None,
                    },
                    marks: Arc::new(tenants
                        .iter()
                        .zip(marks)
                        .filter_map(|(&(t, _), mark)| {
                            mark.map(|m| (t, match m {
                                None => TenantMark { state: crate::TenantState::Unaffected, at: at(0) },
                                Some(m) => TenantMark { state: crate::TenantState::Recovered, at: at(m) },
                            }))
                        })
                        .collect()),
                })
                .collect();
            let mut cuts = Vec::new();
            let mut start = w.0;
            while start < w.1 {
                cuts.push(window(start, (start + 97).min(w.1)));
                start += 97;
            }
            let all = per_tenant(&tenants, &scoped, &maintenance, window(w.0, w.1), &cuts, weights, at(FAR));
            for (n, &(tenant, class)) in tenants.iter().enumerate() {
                // The reference's periods: those of incidents reaching the tenant, cut by hand.
                let lived: Vec<Vec<(i64, i64, Impact)>> = incidents
                    .iter()
                    .zip(&scoped)
                    .filter(|((_, _, marks), s)| {
                        reaches(&s.scope, tenant, class) || matches!(marks[n], Some(Some(_)))
                    })
                    .filter_map(|((periods, _, marks), _)| match marks[n] {
                        None => Some(periods.clone()),
                        Some(None) => None,
                        Some(Some(m)) => Some(
                            periods
                                .iter()
                                .enumerate()
                                .filter(|(k, p)| *k == 0 || p.0 < m)
                                .map(|(_, &(s, e, i))| (s, e.min(m).max(s), i))
                                .collect(),
                        ),
                    })
                    .collect();
                let planned: Vec<(i64, i64, bool)> = maintenance
                    .iter()
                    .filter(|m| reaches(&m.scope, tenant, class))
                    .map(|m| {
                        let minute = |t: OffsetDateTime| (t - at(0)).whole_minutes();
                        (minute(m.planned.start), minute(m.planned.end), m.planned.impact == PlannedImpact::Downtime)
                    })
                    .collect();
                let (unplanned, planned_s, degraded, _) = reference(w, &lived, &planned, weights);
                let f = all[&tenant].total;
                prop_assert!(close(f.unplanned_seconds, unplanned), "tenant {} unplanned {} vs {}", tenant, f.unplanned_seconds, unplanned);
                prop_assert!(close(f.planned_seconds, planned_s));
                prop_assert!(close(f.degraded_seconds, degraded));
                let (own, own_planned) = affecting((tenant, class), &scoped, &maintenance);
                let alone = series(window(w.0, w.1), &cuts, &own, &own_planned, weights, at(FAR));
                prop_assert_eq!(all[&tenant].as_ref(), &alone, "tenant {}", tenant);
                let evidence = intervals(window(w.0, w.1), &own, &own_planned, weights, at(FAR));
                let down: f64 = evidence.iter().filter(|i| !i.planned).map(|i| i.weight * (i.end - i.start).as_seconds_f64()).sum();
                prop_assert!(close(down, unplanned));
            }
        }

        #[test]
        fn zone_buckets_tile_the_window_and_start_at_local_midnight(
            zone in zone(),
            start in 0i64..(5 * 365 * 24),
            hours in 1i64..(400 * 24),
            granularity in prop_oneof![Just(Granularity::Day), Just(Granularity::Week), Just(Granularity::Month)],
        ) {
            let calendar = Calendar::parse(zone).unwrap();
            let from = datetime!(2024-01-01 00:00 UTC) + Duration::hours(start);
            let w = Window { from, to: from + Duration::hours(hours) };
            let all = buckets(w, granularity, &calendar).unwrap();
            prop_assert_eq!(all.first().map(|b| b.from), Some(w.from));
            prop_assert_eq!(all.last().map(|b| b.to), Some(w.to));
            for pair in all.windows(2) {
                prop_assert_eq!(pair[0].to, pair[1].from);
                let local = calendar.local(pair[1].from);
                prop_assert_eq!((local.hour(), local.minute()), (0, 0), "{} in {}", local, zone);
                match granularity {
                    Granularity::Day => {}
                    Granularity::Week => prop_assert_eq!(local.weekday(), time::Weekday::Monday),
                    Granularity::Month => prop_assert_eq!(local.day(), 1),
                }
            }
            for b in &all {
                prop_assert!(b.from < b.to);
            }
            // The sweep over these buckets adds up to the window's figures.
            let minutes = |m: i64| from + Duration::minutes(m);
            let total_minutes = hours * 60;
            let histories: Vec<IncidentHistory> = (0..8)
                .map(|i| {
                    let start = (i * 7919 + start) % total_minutes;
                    IncidentHistory::single(IncidentId(i), Outage {
                        start: minutes(start),
                        end: Some(minutes(start + 30 + i * 97)),
                        impact: [Impact::MajorOutage, Impact::PartialOutage, Impact::Degraded][(i % 3) as usize],
                    })
                })
                .collect();
            let s = series(w, &all, &histories, &[], Weights::default(), w.to);
            let sum = |f: fn(&Figures) -> f64| s.buckets.iter().map(f).sum::<f64>();
            prop_assert!(close(sum(|b| b.unplanned_seconds), s.total.unplanned_seconds));
            prop_assert!(close(sum(|b| b.degraded_seconds), s.total.degraded_seconds));
            prop_assert!(close(sum(|b| b.window_seconds), s.total.window_seconds));
        }
    }
}
