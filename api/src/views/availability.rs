//! Availability reports as a caller sees them: per offering, per tenant, per interval, and the
//! overview, from the read model and the domain's maths.

use actix_web::{web, HttpResponse};
use domain::availability::{
    affecting, buckets as bucket_windows, check_instant, check_window, intervals, means,
    per_tenant, rollup, Calendar, Figures, Granularity, Interval, ScopedPlanned, Series, Weights,
    Window,
};
use domain::{Caller, Offering, OfferingId, ScopedTenant, ServiceId, TenantId};
use persistence::model::{Model, Outages};
use persistence::{RepoError, RepoResult};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use time::{Duration, OffsetDateTime};
use utoipa::{IntoParams, ToSchema};

use crate::http::db::Db;
use crate::http::error::ApiError;
use crate::http::negotiate::csv_response;
use crate::http::wire::OfferingKind;

/// `day`, `week` (ISO, from Monday) or `month` (calendar), in the calendar of `tz`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, Default)]
#[serde(rename_all = "snake_case")]
pub enum BucketSize {
    #[default]
    Day,
    Week,
    Month,
}

impl From<BucketSize> for Granularity {
    fn from(size: BucketSize) -> Self {
        match size {
            BucketSize::Day => Granularity::Day,
            BucketSize::Week => Granularity::Week,
            BucketSize::Month => Granularity::Month,
        }
    }
}

/// The reporting window: half-open; at most 400 days and 1,000 buckets; instants from 1970 to
/// before 9000. Any UTC offset is accepted and normalised: answers are in UTC unless `tz`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WindowParams {
    /// Start (RFC 3339); default 30 days before `to`.
    #[serde(
        default,
        deserialize_with = "crate::http::wire::instant::query::deserialize"
    )]
    #[param(value_type = Option<String>, format = DateTime)]
    pub from: Option<OffsetDateTime>,
    /// End (RFC 3339, exclusive); default now.
    #[serde(
        default,
        deserialize_with = "crate::http::wire::instant::query::deserialize"
    )]
    #[param(value_type = Option<String>, format = DateTime)]
    pub to: Option<OffsetDateTime>,
    /// Bucket size of the series (default `day`).
    pub granularity: Option<BucketSize>,
    /// IANA time zone (e.g. `Europe/Berlin`) whose calendar the buckets follow — local
    /// midnights, so a day is 23 or 25 hours when the clocks change — and whose offsets label
    /// them. Default `UTC`.
    #[param(example = "Europe/Berlin")]
    pub tz: Option<String>,
}

pub(crate) struct Period {
    pub(crate) window: Window,
    size: BucketSize,
    buckets: Vec<Window>,
    pub(crate) calendar: Calendar,
    now: OffsetDateTime,
}

impl WindowParams {
    /// The window (in UTC), and its buckets when the answer carries a series.
    pub(crate) fn period(&self, with_series: bool) -> Result<Period, ApiError> {
        let now = OffsetDateTime::now_utc();
        let calendar = match &self.tz {
            Some(name) => Calendar::parse(name)?,
            None => Calendar::default(),
        };
        // `to` is checked first, so the default `from` is computed from a supported instant.
        let to = check_instant("to", self.to.unwrap_or(now))?;
        let from = self.from.unwrap_or(to - Duration::days(30));
        let window = check_window(Window { from, to })?;
        let size = self.granularity.unwrap_or_default();
        let buckets = if with_series {
            bucket_windows(window, size.into(), &calendar)?
        } else {
            Vec::new()
        };
        Ok(Period {
            window,
            size,
            buckets,
            calendar,
            now,
        })
    }
}

/// Minutes, rounded to 0.001.
fn minutes(seconds: f64) -> f64 {
    (seconds / 60.0 * 1000.0).round() / 1000.0
}

/// The figures of one span (a window or a bucket). Ratios are fractions (0.9995, not
/// percent), unrounded; minutes are rounded to 0.001. A figure that cannot be known is `null`:
/// every ratio for a span wholly in the future, `sla_availability`/`sla_met` for a wholly
/// planned span, `mttr_minutes` when no incident was resolved in it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct Measures {
    /// 1 − (unplanned + planned downtime) / span.
    pub availability: Option<f64>,
    /// 1 − unplanned downtime / (span − planned downtime): maintenance excluded, as cloud SLAs do.
    pub sla_availability: Option<f64>,
    /// The way Statuspage counts it: 1 − (major + 0.3 × partial outage) / span; degraded and
    /// maintenance time count as up.
    pub weighted_availability: Option<f64>,
    /// Weighted: major outage minutes + partial outage weight × partial outage minutes.
    pub unplanned_downtime_minutes: f64,
    pub planned_downtime_minutes: f64,
    /// Minutes whose heaviest event was a degraded incident or maintenance expected to degrade.
    pub degraded_minutes: f64,
    /// Incidents down at some point of the span (a zero-length one: whose instant lies in it);
    /// an incident spanning several buckets counts in each.
    pub incident_count: u32,
    /// Mean down time of the incidents resolved in the span (their full down time, the gap of a
    /// reopened incident left out; degraded ones included).
    pub mttr_minutes: Option<f64>,
    /// Whether `sla_availability` meets the SLA target.
    pub sla_met: Option<bool>,
    /// (1 − target) × (span − planned) − unplanned: unplanned downtime the target still allows
    /// (negative when overspent).
    pub error_budget_left_minutes: Option<f64>,
}

impl Measures {
    pub(crate) fn new(f: &Figures, target: f64) -> Self {
        Self {
            availability: f.availability(),
            sla_availability: f.sla_availability(),
            weighted_availability: f.weighted_availability(),
            unplanned_downtime_minutes: minutes(f.unplanned_seconds),
            planned_downtime_minutes: minutes(f.planned_seconds),
            degraded_minutes: minutes(f.degraded_seconds),
            incident_count: f.incident_count,
            mttr_minutes: f.mttr_seconds().map(minutes),
            sla_met: f.sla_met(target),
            error_budget_left_minutes: f.error_budget_left_seconds(target).map(minutes),
        }
    }
}

/// One tenant's figures over the window.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TenantFigures {
    pub tenant_id: i64,
    pub tenant_name: String,
    pub classification_id: i64,
    /// The target judged against, in percent: the strictest among the caller's offerings
    /// covering the tenant (99.9 where none does).
    pub sla_target: f64,
    #[serde(flatten)]
    pub measures: Measures,
}

impl TenantFigures {
    pub(crate) fn new(tenant: &ScopedTenant, f: &Figures, target: f64) -> Self {
        Self {
            tenant_id: tenant.id.0,
            tenant_name: tenant.name.clone(),
            classification_id: tenant.classification_id.0,
            sla_target: target,
            measures: Measures::new(f, target),
        }
    }
}

/// One bucket of a tenant's series.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TenantBucket {
    #[serde(with = "crate::http::wire::instant")]
    pub from: OffsetDateTime,
    #[serde(with = "crate::http::wire::instant")]
    pub to: OffsetDateTime,
    #[serde(flatten)]
    pub measures: Measures,
}

/// A CSV row of figures: `row` says what it is (`bucket`, `total`, `tenant`), the rest are the
/// [`Measures`] columns (the csv crate cannot flatten).
#[derive(Debug, Serialize)]
pub(crate) struct MeasuresRow<'a> {
    row: &'static str,
    #[serde(with = "crate::http::wire::instant")]
    from: OffsetDateTime,
    #[serde(with = "crate::http::wire::instant")]
    to: OffsetDateTime,
    tenant_id: Option<i64>,
    tenant_name: Option<&'a str>,
    availability: Option<f64>,
    sla_availability: Option<f64>,
    weighted_availability: Option<f64>,
    unplanned_downtime_minutes: f64,
    planned_downtime_minutes: f64,
    degraded_minutes: f64,
    incident_count: u32,
    mttr_minutes: Option<f64>,
    sla_met: Option<bool>,
    error_budget_left_minutes: Option<f64>,
}

impl<'a> MeasuresRow<'a> {
    pub(crate) fn new(
        row: &'static str,
        (from, to): (OffsetDateTime, OffsetDateTime),
        tenant: Option<(i64, &'a str)>,
        m: &Measures,
    ) -> Self {
        Self {
            row,
            from,
            to,
            tenant_id: tenant.map(|t| t.0),
            tenant_name: tenant.map(|t| t.1),
            availability: m.availability,
            sla_availability: m.sla_availability,
            weighted_availability: m.weighted_availability,
            unplanned_downtime_minutes: m.unplanned_downtime_minutes,
            planned_downtime_minutes: m.planned_downtime_minutes,
            degraded_minutes: m.degraded_minutes,
            incident_count: m.incident_count,
            mttr_minutes: m.mttr_minutes,
            sla_met: m.sla_met,
            error_budget_left_minutes: m.error_budget_left_minutes,
        }
    }
}

/// One bucket of an offering's series: means over its tenants.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct OfferingBucket {
    #[serde(with = "crate::http::wire::instant")]
    pub from: OffsetDateTime,
    #[serde(with = "crate::http::wire::instant")]
    pub to: OffsetDateTime,
    /// Tenant-weighted means over the tenants where each is defined (`null` when none is).
    pub availability: Option<f64>,
    pub sla_availability: Option<f64>,
    pub weighted_availability: Option<f64>,
    /// How many tenants miss the target in this bucket.
    pub tenants_below_target: usize,
}

/// A tenant named in a rollup.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TenantBrief {
    pub tenant_id: i64,
    pub tenant_name: String,
    pub availability: Option<f64>,
    pub sla_availability: Option<f64>,
}

/// An offering's availability: the rollup over its (caller-visible) tenants and a series.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct OfferingAvailabilityResponse {
    pub offering_id: i64,
    pub offering_name: String,
    pub sla_target: f64,
    #[serde(with = "crate::http::wire::instant")]
    pub from: OffsetDateTime,
    #[serde(with = "crate::http::wire::instant")]
    pub to: OffsetDateTime,
    pub granularity: BucketSize,
    /// The calendar of the buckets (`UTC` unless `tz`).
    pub tz: String,
    pub tenant_count: usize,
    /// Tenant-weighted means (`null` without tenants, or when no tenant has the figure).
    pub availability: Option<f64>,
    pub sla_availability: Option<f64>,
    pub weighted_availability: Option<f64>,
    /// The tenant with the lowest SLA availability — the figure below-target is judged on.
    pub worst_tenant: Option<TenantBrief>,
    /// Tenants whose SLA availability misses the target.
    pub tenants_below_target: Vec<TenantBrief>,
    pub buckets: Vec<OfferingBucket>,
}

/// A CSV row of an offering report: a `bucket`, or the closing `rollup` over the window.
#[derive(Debug, Serialize)]
struct OfferingRow<'a> {
    row: &'static str,
    #[serde(with = "crate::http::wire::instant")]
    from: OffsetDateTime,
    #[serde(with = "crate::http::wire::instant")]
    to: OffsetDateTime,
    availability: Option<f64>,
    sla_availability: Option<f64>,
    weighted_availability: Option<f64>,
    tenants_below_target: usize,
    worst_tenant_id: Option<i64>,
    worst_tenant_name: Option<&'a str>,
    worst_tenant_sla_availability: Option<f64>,
    /// Ids separated by spaces (rollup row).
    tenants_below_target_ids: String,
}

impl OfferingAvailabilityResponse {
    pub(crate) fn csv(&self) -> Result<HttpResponse, ApiError> {
        csv_response(&self.csv_rows(), "offering-availability.csv")
    }

    fn csv_rows(&self) -> Vec<OfferingRow<'_>> {
        let bucket = |b: &OfferingBucket| OfferingRow {
            row: "bucket",
            from: b.from,
            to: b.to,
            availability: b.availability,
            sla_availability: b.sla_availability,
            weighted_availability: b.weighted_availability,
            tenants_below_target: b.tenants_below_target,
            worst_tenant_id: None,
            worst_tenant_name: None,
            worst_tenant_sla_availability: None,
            tenants_below_target_ids: String::new(),
        };
        let ids: Vec<String> = self
            .tenants_below_target
            .iter()
            .map(|t| t.tenant_id.to_string())
            .collect();
        self.buckets
            .iter()
            .map(bucket)
            .chain(std::iter::once(OfferingRow {
                row: "rollup",
                from: self.from,
                to: self.to,
                availability: self.availability,
                sla_availability: self.sla_availability,
                weighted_availability: self.weighted_availability,
                tenants_below_target: self.tenants_below_target.len(),
                worst_tenant_id: self.worst_tenant.as_ref().map(|t| t.tenant_id),
                worst_tenant_name: self.worst_tenant.as_ref().map(|t| t.tenant_name.as_str()),
                worst_tenant_sla_availability: self
                    .worst_tenant
                    .as_ref()
                    .and_then(|t| t.sla_availability),
                tenants_below_target_ids: ids.join(" "),
            }))
            .collect()
    }
}

/// One tenant's availability with its series.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TenantAvailabilityResponse {
    pub tenant: TenantFigures,
    #[serde(with = "crate::http::wire::instant")]
    pub from: OffsetDateTime,
    #[serde(with = "crate::http::wire::instant")]
    pub to: OffsetDateTime,
    pub granularity: BucketSize,
    /// The calendar of the buckets (`UTC` unless `tz`).
    pub tz: String,
    /// Each bucket with its own SLA verdict and error budget.
    pub buckets: Vec<TenantBucket>,
}

impl TenantAvailabilityResponse {
    pub(crate) fn csv(&self) -> Result<HttpResponse, ApiError> {
        csv_response(&self.csv_rows(), "tenant-availability.csv")
    }

    /// The buckets, then a `total` row over the window.
    fn csv_rows(&self) -> Vec<MeasuresRow<'_>> {
        self.buckets
            .iter()
            .map(|b| MeasuresRow::new("bucket", (b.from, b.to), None, &b.measures))
            .chain(std::iter::once(MeasuresRow::new(
                "total",
                (self.from, self.to),
                Some((self.tenant.tenant_id, &self.tenant.tenant_name)),
                &self.tenant.measures,
            )))
            .collect()
    }
}

/// One offering's row of the overview.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct OfferingAvailabilityRow {
    pub offering_id: i64,
    pub offering_name: String,
    pub kind: OfferingKind,
    pub service_id: i64,
    pub sla_target: f64,
    pub tenant_count: usize,
    pub availability: Option<f64>,
    pub sla_availability: Option<f64>,
    pub weighted_availability: Option<f64>,
    /// The lowest SLA availability among the tenants.
    pub worst_tenant_sla_availability: Option<f64>,
    pub tenants_below_target: usize,
}

/// Every offering the caller sees, over one window.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AvailabilityOverview {
    #[serde(with = "crate::http::wire::instant")]
    pub from: OffsetDateTime,
    #[serde(with = "crate::http::wire::instant")]
    pub to: OffsetDateTime,
    pub offerings: Vec<OfferingAvailabilityRow>,
}

impl AvailabilityOverview {
    pub(crate) fn csv(&self) -> Result<HttpResponse, ApiError> {
        csv_response(&self.offerings, "availability.csv")
    }
}

/// Why a tenant was down, degraded or under planned downtime for a while.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct OutageInterval {
    #[serde(with = "crate::http::wire::instant")]
    pub start: OffsetDateTime,
    #[serde(with = "crate::http::wire::instant")]
    pub end: OffsetDateTime,
    /// Rounded to 0.001.
    pub minutes: f64,
    /// The weight counted: 1 for major outages and planned downtime, the partial-outage weight,
    /// 0 for degraded time.
    pub weight: f64,
    /// Planned (maintenance) rather than unplanned (incidents).
    pub planned: bool,
    /// Degraded time (weight 0) rather than downtime.
    pub degraded: bool,
    /// The incidents behind it: those active at the deciding impact.
    pub incident_ids: Vec<i64>,
    /// The maintenance windows behind it.
    pub maintenance_ids: Vec<i64>,
}

impl OutageInterval {
    pub(crate) fn new(interval: &Interval, calendar: &Calendar) -> Self {
        Self {
            start: calendar.local(interval.start),
            end: calendar.local(interval.end),
            minutes: minutes((interval.end - interval.start).as_seconds_f64()),
            weight: interval.weight,
            planned: interval.planned,
            degraded: interval.degraded,
            incident_ids: interval.incidents.iter().map(|i| i.0).collect(),
            maintenance_ids: interval.maintenances.iter().map(|m| m.0).collect(),
        }
    }
}

/// The evidence behind a tenant's figures over a window.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TenantIntervalsResponse {
    pub tenant_id: i64,
    pub tenant_name: String,
    #[serde(with = "crate::http::wire::instant")]
    pub from: OffsetDateTime,
    #[serde(with = "crate::http::wire::instant")]
    pub to: OffsetDateTime,
    /// In time order; the window stops at now.
    pub intervals: Vec<OutageInterval>,
}

/// A CSV row of intervals (ids separated by spaces).
#[derive(Debug, Serialize)]
struct IntervalRow {
    #[serde(with = "crate::http::wire::instant")]
    start: OffsetDateTime,
    #[serde(with = "crate::http::wire::instant")]
    end: OffsetDateTime,
    minutes: f64,
    weight: f64,
    planned: bool,
    degraded: bool,
    incident_ids: String,
    maintenance_ids: String,
}

impl TenantIntervalsResponse {
    pub(crate) fn csv(&self) -> Result<HttpResponse, ApiError> {
        csv_response(&self.csv_rows(), "tenant-intervals.csv")
    }

    fn csv_rows(&self) -> Vec<IntervalRow> {
        let join = |ids: &[i64]| {
            ids.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(" ")
        };
        self.intervals
            .iter()
            .map(|i| IntervalRow {
                start: i.start,
                end: i.end,
                minutes: i.minutes,
                weight: i.weight,
                planned: i.planned,
                degraded: i.degraded,
                incident_ids: join(&i.incident_ids),
                maintenance_ids: join(&i.maintenance_ids),
            })
            .collect()
    }
}

/// An offering the caller may see, its caller-visible tenants (in id order) and its service's
/// history over the window: everything its report needs, from the read model.
pub(crate) struct OfferingHistory {
    offering: Offering,
    covered: Vec<ScopedTenant>,
    /// Each covered tenant's own target (see [`strictest_target`]), by tenant: only for the
    /// per-tenant list ([`offering_history_with_targets`]), empty otherwise.
    targets: HashMap<TenantId, f64>,
    incidents: Outages,
    planned: Vec<ScopedPlanned>,
}

pub(crate) fn offering_history(
    model: &Model,
    caller: &Caller,
    id: OfferingId,
    period: &Period,
) -> RepoResult<OfferingHistory> {
    load_offering_history(model, caller, id, period, false)
}

/// [`offering_history`] with each covered tenant's own target, for the per-tenant list (the
/// rollups judge on the offering's target and need none).
pub(crate) fn offering_history_with_targets(
    model: &Model,
    caller: &Caller,
    id: OfferingId,
    period: &Period,
) -> RepoResult<OfferingHistory> {
    load_offering_history(model, caller, id, period, true)
}

fn load_offering_history(
    model: &Model,
    caller: &Caller,
    id: OfferingId,
    period: &Period,
    with_targets: bool,
) -> RepoResult<OfferingHistory> {
    let offering = model.offering(caller.offering_scope(), id)?.item;
    let view = model.caller_view(caller, Some(offering.service_id));
    let covered: Vec<ScopedTenant> = view
        .tenants_of(offering.service_id)
        .iter()
        .filter(|t| offering.covers_scoped(t))
        .cloned()
        .collect();
    let targets = covered
        .iter()
        .filter(|_| with_targets)
        .map(|t| (t.id, strictest_target(&view, t)))
        .collect();
    let (incidents, planned) = model.history(offering.service_id, period.window, period.now)?;
    Ok(OfferingHistory {
        offering,
        covered,
        targets,
        incidents,
        planned,
    })
}

/// A covered tenant's series and the target it is judged on.
pub(crate) struct Covered {
    pub(crate) tenant: ScopedTenant,
    /// The strictest among the caller's offerings covering it (see [`strictest_target`]), when
    /// the history was loaded with targets; 99.9 otherwise.
    pub(crate) target: f64,
    pub(crate) series: std::sync::Arc<Series>,
}

/// The series of the offering's covered tenants, in tenant id order.
pub(crate) fn covered_series(
    h: OfferingHistory,
    period: &Period,
    weights: Weights,
) -> (Offering, Vec<Covered>) {
    let keys: Vec<(TenantId, domain::ClassificationId)> = h
        .covered
        .iter()
        .map(|t| (t.id, t.classification_id))
        .collect();
    let mut series = per_tenant(
        &keys,
        &h.incidents.list(),
        &h.planned,
        period.window,
        &period.buckets,
        weights,
        period.now,
    );
    let targets = h.targets;
    let covered = h
        .covered
        .into_iter()
        .filter_map(|tenant| {
            let series = series.remove(&tenant.id)?;
            let target = targets
                .get(&tenant.id)
                .copied()
                .unwrap_or(domain::SlaTarget::DEFAULT.percent());
            Some(Covered {
                tenant,
                target,
                series,
            })
        })
        .collect();
    (h.offering, covered)
}

fn brief(tenant: &ScopedTenant, f: &Figures) -> TenantBrief {
    TenantBrief {
        tenant_id: tenant.id.0,
        tenant_name: tenant.name.clone(),
        availability: f.availability(),
        sla_availability: f.sla_availability(),
    }
}

pub(crate) fn offering_availability(
    h: OfferingHistory,
    period: &Period,
    weights: Weights,
) -> OfferingAvailabilityResponse {
    let (offering, series) = covered_series(h, period, weights);
    let target = offering.sla_target.percent();
    // Rolled up by index into `series`, so naming tenants afterwards is a lookup.
    let totals: Vec<(usize, Figures)> = series
        .iter()
        .enumerate()
        .map(|(at, c)| (at, c.series.total))
        .collect();
    let summary = rollup(&totals, target);
    let buckets = period
        .buckets
        .iter()
        .enumerate()
        .map(|(at, window)| {
            let figures = series.iter().map(|c| &c.series.buckets[at]);
            let (availability, sla_availability, weighted_availability) = means(figures.clone());
            OfferingBucket {
                from: period.calendar.local(window.from),
                to: period.calendar.local(window.to),
                availability,
                sla_availability,
                weighted_availability,
                tenants_below_target: figures.filter(|f| f.sla_met(target) == Some(false)).count(),
            }
        })
        .collect();
    let named = |at: usize| brief(&series[at].tenant, &series[at].series.total);
    OfferingAvailabilityResponse {
        offering_id: offering.id.0,
        offering_name: offering.name.to_string(),
        sla_target: target,
        from: period.calendar.local(period.window.from),
        to: period.calendar.local(period.window.to),
        granularity: period.size,
        tz: period.calendar.name().to_owned(),
        tenant_count: series.len(),
        availability: summary.availability,
        sla_availability: summary.sla_availability,
        weighted_availability: summary.weighted_availability,
        worst_tenant: summary.worst.map(|(at, _)| named(at)),
        tenants_below_target: summary.below_target.iter().map(|&at| named(at)).collect(),
        buckets,
    }
}

/// The availability of `offerings` from `from` until now as `caller` sees them, with a series
/// of daily buckets when `daily` (the status page's bars) or without one (badges).
pub async fn offerings_availability(
    db: &Db,
    caller: Caller,
    offerings: Vec<OfferingId>,
    from: OffsetDateTime,
    daily: bool,
    weights: Weights,
) -> Result<Vec<OfferingAvailabilityResponse>, ApiError> {
    let params = WindowParams {
        from: Some(from),
        to: Some(OffsetDateTime::now_utc()),
        granularity: Some(BucketSize::Day),
        tz: None,
    };
    let period = std::sync::Arc::new(params.period(daily)?);
    let loaded = {
        let period = std::sync::Arc::clone(&period);
        db.read(move |model| {
            offerings
                .iter()
                .map(|id| offering_history(model, &caller, *id, &period))
                .collect::<RepoResult<Vec<_>>>()
        })
        .await?
    };
    web::block(move || {
        loaded
            .into_iter()
            .map(|h| offering_availability(h, &period, weights))
            .collect()
    })
    .await
    .map_err(ApiError::internal)
}

/// Every tenant's figures as CSV rows.
pub(crate) fn tenant_rows(rows: &[TenantFigures], window: Window) -> Vec<MeasuresRow<'_>> {
    rows.iter()
        .map(|t| {
            MeasuresRow::new(
                "tenant",
                (window.from, window.to),
                Some((t.tenant_id, &t.tenant_name)),
                &t.measures,
            )
        })
        .collect()
}

/// The SLA target a tenant is judged on for a caller: the strictest among the caller's
/// offerings covering it, 99.9 where none does — whichever offering lists it.
fn strictest_target(view: &domain::CallerView, tenant: &ScopedTenant) -> f64 {
    view.offerings()
        .filter(|o| o.covers_scoped(tenant))
        .map(|o| o.sla_target.percent())
        .fold(None, |best: Option<f64>, t| {
            Some(best.map_or(t, |b| b.max(t)))
        })
        .unwrap_or(domain::SlaTarget::DEFAULT.percent())
}

/// A tenant the caller may see, with the strictest SLA target among the caller's offerings
/// covering it (99.9 where none does), and its service's history over the window.
pub(crate) struct TenantHistory {
    tenant: ScopedTenant,
    target: f64,
    incidents: Outages,
    planned: Vec<domain::availability::ScopedPlanned>,
}

pub(crate) fn tenant_history(
    model: &Model,
    caller: &Caller,
    id: TenantId,
    period: &Period,
) -> RepoResult<TenantHistory> {
    let tenant = model.tenant(caller.tenant_scope(), id)?.item;
    let view = model.caller_view(caller, Some(tenant.service_id));
    let scoped = view
        .tenant(tenant.service_id, id)
        .cloned()
        .ok_or(RepoError::NotFound)?;
    let target = strictest_target(&view, &scoped);
    let (incidents, planned) = model.history(tenant.service_id, period.window, period.now)?;
    Ok(TenantHistory {
        tenant: scoped,
        target,
        incidents,
        planned,
    })
}

pub(crate) fn tenant_availability(
    h: TenantHistory,
    period: &Period,
    weights: Weights,
) -> RepoResult<TenantAvailabilityResponse> {
    let id = h.tenant.id;
    let series = per_tenant(
        &[(id, h.tenant.classification_id)],
        &h.incidents.list(),
        &h.planned,
        period.window,
        &period.buckets,
        weights,
        period.now,
    )
    .remove(&id)
    .map(std::sync::Arc::unwrap_or_clone)
    .ok_or(RepoError::NotFound)?;
    Ok(TenantAvailabilityResponse {
        tenant: TenantFigures::new(&h.tenant, &series.total, h.target),
        from: period.calendar.local(period.window.from),
        to: period.calendar.local(period.window.to),
        granularity: period.size,
        tz: period.calendar.name().to_owned(),
        buckets: period
            .buckets
            .iter()
            .zip(&series.buckets)
            .map(|(w, f)| TenantBucket {
                from: period.calendar.local(w.from),
                to: period.calendar.local(w.to),
                measures: Measures::new(f, h.target),
            })
            .collect(),
    })
}

pub(crate) fn tenant_intervals(
    h: TenantHistory,
    period: &Period,
    weights: Weights,
) -> TenantIntervalsResponse {
    let id = h.tenant.id;
    let (incidents, planned) = affecting(
        (id, h.tenant.classification_id),
        &h.incidents.list(),
        &h.planned,
    );
    let found = intervals(period.window, &incidents, &planned, weights, period.now);
    TenantIntervalsResponse {
        tenant_id: id.0,
        tenant_name: h.tenant.name,
        from: period.calendar.local(period.window.from),
        to: period.calendar.local(period.window.to),
        intervals: found
            .iter()
            .map(|i| OutageInterval::new(i, &period.calendar))
            .collect(),
    }
}

/// The caller's view and, for each service it has a visible offering of, the service's
/// history over the window.
pub(crate) struct OverviewHistory {
    view: domain::CallerView,
    services: Vec<(ServiceId, Outages, Vec<ScopedPlanned>)>,
}

pub(crate) fn overview_history(
    model: &Model,
    caller: &Caller,
    period: &Period,
) -> RepoResult<OverviewHistory> {
    let view = model.caller_view(caller, None);
    let mut services: Vec<ServiceId> = view.offerings().map(|o| o.service_id).collect();
    services.sort();
    services.dedup();
    let services = services
        .into_iter()
        .map(|service| {
            let (incidents, planned) = model.history(service, period.window, period.now)?;
            Ok((service, incidents, planned))
        })
        .collect::<RepoResult<_>>()?;
    Ok(OverviewHistory { view, services })
}

/// `work` on each item, the items spread over the machine's cores (scoped threads; the
/// calling thread takes a share), the results in the items' order.
pub(crate) fn side_by_side<T: Sync, R: Send>(items: &[T], work: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let share = items.len().div_ceil(cores.max(1)).max(1);
    let mut chunks = items.chunks(share);
    let Some(first) = chunks.next() else {
        return Vec::new();
    };
    let work = &work;
    std::thread::scope(|scope| {
        let others: Vec<_> = chunks
            .map(|chunk| scope.spawn(move || chunk.iter().map(work).collect::<Vec<R>>()))
            .collect();
        let mut results: Vec<R> = first.iter().map(work).collect();
        for other in others {
            // A panic in a share is this request's panic, as it would be without threads.
            match other.join() {
                Ok(done) => results.extend(done),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        results
    })
}

pub(crate) fn overview(
    h: OverviewHistory,
    period: &Period,
    weights: Weights,
) -> AvailabilityOverview {
    let view = &h.view;
    let mut visible: Vec<&Offering> = view.offerings().collect();
    visible.sort_by_key(|o| o.id);
    // One history and one computation per service, shared by its offerings; the services'
    // are independent, so they run side by side on the machine's cores.
    let compute = |(service, outages, planned): &(ServiceId, Outages, Vec<ScopedPlanned>)| {
        let tenants = view.tenants_of(*service);
        let keys: Vec<(TenantId, domain::ClassificationId)> = tenants
            .iter()
            .map(|t| (t.id, t.classification_id))
            .collect();
        let series = per_tenant(
            &keys,
            &outages.list(),
            planned,
            period.window,
            &[],
            weights,
            period.now,
        );
        (*service, tenants, series)
    };
    let computed = side_by_side(&h.services, compute);
    let mut rows = Vec::new();
    for (service, tenants, series) in computed {
        for offering in visible.iter().filter(|o| o.service_id == service) {
            let target = offering.sla_target.percent();
            let figures: Vec<(TenantId, Figures)> = tenants
                .iter()
                .filter(|t| offering.covers_scoped(t))
                .filter_map(|t| series.get(&t.id).map(|s| (t.id, s.total)))
                .collect();
            let r = rollup(&figures, target);
            rows.push(OfferingAvailabilityRow {
                offering_id: offering.id.0,
                offering_name: offering.name.to_string(),
                kind: offering.kind.into(),
                service_id: service.0,
                sla_target: target,
                tenant_count: figures.len(),
                availability: r.availability,
                sla_availability: r.sla_availability,
                weighted_availability: r.weighted_availability,
                worst_tenant_sla_availability: r.worst.map(|(_, a)| a),
                tenants_below_target: r.below_target.len(),
            });
        }
    }
    rows.sort_by_key(|r| r.offering_id);
    AvailabilityOverview {
        from: period.calendar.local(period.window.from),
        to: period.calendar.local(period.window.to),
        offerings: rows,
    }
}
