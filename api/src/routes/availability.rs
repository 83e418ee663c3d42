//! Availability rollups (PRODUCT.md "Availability"), scoped exactly like status: per offering,
//! per tenant and partner-wide, as JSON or CSV (`Accept: text/csv` or a `.csv` path).

use actix_web::http::header;
use actix_web::{get, web, HttpRequest, HttpResponse};
use domain::availability::{
    buckets as bucket_windows, check_window, means, per_tenant, rollup, Figures, Granularity,
    Series, Weights, Window,
};
use domain::{Caller, Offering, OfferingId, ScopedTenant, ServiceId, TenantId};
use persistence::repo::{availability, events, offerings, tenants};
use persistence::{DbConnection, RepoError, RepoResult};
use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};
use utoipa::{IntoParams, ToSchema};

use crate::auth::Authenticated;
use crate::db::Db;
use crate::error::{ApiError, ReadProblems};
use crate::extract::QueryParams;
use crate::pagination::{Page, PageParams};
use crate::wire::OfferingKind;

/// `day`, `week` (ISO, from Monday) or `month` (calendar), in UTC.
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

/// The reporting window: half-open, UTC; at most 400 days and 1,000 buckets.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WindowParams {
    /// Start (RFC 3339); default 30 days before `to`.
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[param(value_type = Option<String>, format = DateTime)]
    pub from: Option<OffsetDateTime>,
    /// End (RFC 3339, exclusive); default now.
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[param(value_type = Option<String>, format = DateTime)]
    pub to: Option<OffsetDateTime>,
    /// Bucket size of the series (default `day`).
    pub granularity: Option<BucketSize>,
}

struct Period {
    window: Window,
    size: BucketSize,
    buckets: Vec<Window>,
    now: OffsetDateTime,
}

impl WindowParams {
    /// The window, and its buckets when the answer carries a series.
    fn period(&self, with_series: bool) -> Result<Period, ApiError> {
        let now = OffsetDateTime::now_utc();
        let to = self.to.unwrap_or(now);
        let window = Window {
            from: self.from.unwrap_or(to - Duration::days(30)),
            to,
        };
        let size = self.granularity.unwrap_or_default();
        check_window(window)?;
        let buckets = if with_series {
            bucket_windows(window, size.into())?
        } else {
            Vec::new()
        };
        Ok(Period {
            window,
            size,
            buckets,
            now,
        })
    }
}

fn minutes(seconds: f64) -> f64 {
    (seconds / 60.0 * 1000.0).round() / 1000.0
}

/// One tenant's figures over the window.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TenantFigures {
    pub tenant_id: i64,
    pub tenant_name: String,
    pub classification_id: i64,
    /// 1 − (unplanned + planned downtime) / window.
    pub availability: f64,
    /// 1 − unplanned downtime / (window − planned downtime).
    pub sla_availability: f64,
    pub unplanned_downtime_minutes: f64,
    pub planned_downtime_minutes: f64,
    /// Minutes whose worst active incident was `degraded` (weight 0).
    pub degraded_minutes: f64,
    pub incident_count: u32,
    /// Mean incident duration, if any incident overlapped the window.
    pub mttr_minutes: Option<f64>,
    /// The target judged against, in percent.
    pub sla_target: f64,
    pub sla_met: bool,
    /// Unplanned downtime the target still allows (negative when overspent).
    pub error_budget_left_minutes: f64,
}

impl TenantFigures {
    fn new(tenant: &ScopedTenant, f: &Figures, target: f64) -> Self {
        Self {
            tenant_id: tenant.id.0,
            tenant_name: tenant.name.clone(),
            classification_id: tenant.classification_id.0,
            availability: f.availability(),
            sla_availability: f.sla_availability(),
            unplanned_downtime_minutes: minutes(f.unplanned_seconds),
            planned_downtime_minutes: minutes(f.planned_seconds),
            degraded_minutes: minutes(f.degraded_seconds),
            incident_count: f.incident_count,
            mttr_minutes: f.mttr_seconds().map(minutes),
            sla_target: target,
            sla_met: f.sla_met(target),
            error_budget_left_minutes: minutes(f.error_budget_left_seconds(target)),
        }
    }
}

/// One bucket of a tenant's series.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TenantBucket {
    #[serde(with = "time::serde::rfc3339")]
    pub from: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub to: OffsetDateTime,
    pub availability: f64,
    pub sla_availability: f64,
    pub unplanned_downtime_minutes: f64,
    pub planned_downtime_minutes: f64,
    pub degraded_minutes: f64,
    pub incident_count: u32,
}

impl TenantBucket {
    fn new(window: &Window, f: &Figures) -> Self {
        Self {
            from: window.from,
            to: window.to,
            availability: f.availability(),
            sla_availability: f.sla_availability(),
            unplanned_downtime_minutes: minutes(f.unplanned_seconds),
            planned_downtime_minutes: minutes(f.planned_seconds),
            degraded_minutes: minutes(f.degraded_seconds),
            incident_count: f.incident_count,
        }
    }
}

/// One bucket of an offering's series: means over its tenants.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct OfferingBucket {
    #[serde(with = "time::serde::rfc3339")]
    pub from: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub to: OffsetDateTime,
    /// Tenant-weighted mean.
    pub availability: f64,
    pub sla_availability: f64,
}

/// A tenant named in a rollup.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TenantBrief {
    pub tenant_id: i64,
    pub tenant_name: String,
    pub availability: f64,
    pub sla_availability: f64,
}

/// An offering's availability: the rollup over its (caller-visible) tenants and a series.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct OfferingAvailabilityResponse {
    pub offering_id: i64,
    pub offering_name: String,
    pub sla_target: f64,
    #[serde(with = "time::serde::rfc3339")]
    pub from: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub to: OffsetDateTime,
    pub granularity: BucketSize,
    pub tenant_count: usize,
    /// Tenant-weighted mean availability.
    pub availability: f64,
    pub sla_availability: f64,
    pub worst_tenant: Option<TenantBrief>,
    /// Tenants whose SLA availability misses the target.
    pub tenants_below_target: Vec<TenantBrief>,
    pub buckets: Vec<OfferingBucket>,
}

/// One tenant's availability with its series.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TenantAvailabilityResponse {
    pub tenant: TenantFigures,
    #[serde(with = "time::serde::rfc3339")]
    pub from: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub to: OffsetDateTime,
    pub granularity: BucketSize,
    pub buckets: Vec<TenantBucket>,
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
    pub availability: f64,
    pub sla_availability: f64,
    pub worst_tenant_availability: Option<f64>,
    pub tenants_below_target: usize,
}

/// Every offering the caller sees, over one window.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AvailabilityOverview {
    #[serde(with = "time::serde::rfc3339")]
    pub from: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub to: OffsetDateTime,
    pub offerings: Vec<OfferingAvailabilityRow>,
}

/// The series of the caller-visible tenants `offering` covers, in tenant id order.
fn covered_series(
    conn: &mut DbConnection,
    caller: &Caller,
    offering: &Offering,
    period: &Period,
    weights: Weights,
) -> RepoResult<Vec<(ScopedTenant, Series)>> {
    let view = events::caller_view(conn, caller, Some(offering.service_id))?;
    let covered: Vec<&ScopedTenant> = view
        .tenants_of(offering.service_id)
        .iter()
        .filter(|t| offering.covers_scoped(t))
        .collect();
    let (outages, planned) = availability::history(conn, offering.service_id, period.window)?;
    let keys: Vec<(TenantId, domain::ClassificationId)> = covered
        .iter()
        .map(|t| (t.id, t.classification_id))
        .collect();
    let mut series = per_tenant(
        &keys,
        &outages,
        &planned,
        period.window,
        &period.buckets,
        weights,
        period.now,
    );
    Ok(covered
        .into_iter()
        .filter_map(|t| series.remove(&t.id).map(|s| (t.clone(), s)))
        .collect())
}

fn brief(tenant: &ScopedTenant, f: &Figures) -> TenantBrief {
    TenantBrief {
        tenant_id: tenant.id.0,
        tenant_name: tenant.name.clone(),
        availability: f.availability(),
        sla_availability: f.sla_availability(),
    }
}

fn offering_availability(
    conn: &mut DbConnection,
    caller: &Caller,
    id: OfferingId,
    period: &Period,
    weights: Weights,
) -> RepoResult<OfferingAvailabilityResponse> {
    let offering = offerings::find(conn, caller.offering_scope(), id)?.item;
    let target = offering.sla_target.percent();
    let series = covered_series(conn, caller, &offering, period, weights)?;
    // Rolled up by index into `series`, so naming tenants afterwards is a lookup.
    let totals: Vec<(usize, Figures)> = series
        .iter()
        .enumerate()
        .map(|(at, (_, s))| (at, s.total))
        .collect();
    let summary = rollup(&totals, target);
    let buckets = period
        .buckets
        .iter()
        .enumerate()
        .map(|(at, window)| {
            let (availability, sla_availability) =
                means(series.iter().map(|(_, s)| &s.buckets[at]));
            OfferingBucket {
                from: window.from,
                to: window.to,
                availability,
                sla_availability,
            }
        })
        .collect();
    let named = |at: usize| brief(&series[at].0, &series[at].1.total);
    Ok(OfferingAvailabilityResponse {
        offering_id: offering.id.0,
        offering_name: offering.name.to_string(),
        sla_target: target,
        from: period.window.from,
        to: period.window.to,
        granularity: period.size,
        tenant_count: series.len(),
        availability: summary.availability,
        sla_availability: summary.sla_availability,
        worst_tenant: summary.worst.map(|(at, _)| named(at)),
        tenants_below_target: summary.below_target.iter().map(|&at| named(at)).collect(),
        buckets,
    })
}

fn wants_csv(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.split(',').any(|t| t.trim().starts_with("text/csv")))
}

/// RFC 4180 CSV with a header row, via the csv crate.
fn csv_response<T: Serialize>(rows: &[T], filename: &str) -> Result<HttpResponse, ApiError> {
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    for row in rows {
        writer.serialize(row).map_err(ApiError::internal)?;
    }
    let bytes = writer.into_inner().map_err(ApiError::internal)?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8; header=present")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("inline; filename=\"{filename}\""),
        ))
        .body(bytes))
}

/// Answers JSON, or CSV rows when asked.
fn respond<T: Serialize, R: Serialize>(
    csv: bool,
    body: &T,
    rows: impl FnOnce() -> Vec<R>,
    filename: &str,
) -> Result<HttpResponse, ApiError> {
    if csv {
        csv_response(&rows(), filename)
    } else {
        Ok(HttpResponse::Ok().json(body))
    }
}

async fn offering_report(
    db: &Db,
    caller: Caller,
    id: i64,
    params: &WindowParams,
    weights: Weights,
    csv: bool,
) -> Result<HttpResponse, ApiError> {
    let period = params.period(true)?;
    let id = OfferingId(id);
    let response = db
        .run(move |conn| offering_availability(conn, &caller, id, &period, weights))
        .await?;
    respond(
        csv,
        &response,
        || response.buckets.clone(),
        "offering-availability.csv",
    )
}

/// An offering's availability over a window: the rollup over its tenants the caller may see
/// (tenant-weighted mean, worst tenant, tenants below target) and a series of buckets.
/// `Accept: text/csv` answers the buckets as CSV.
#[utoipa::path(
    tag = "availability",
    params(("id" = i64, Path, description = "Offering id"), WindowParams),
    responses((status = 200, description = "The rollup", content((OfferingAvailabilityResponse = "application/json"), (String = "text/csv"))), (status = 422, description = "Bad window", body = crate::error::Problem, content_type = "application/problem+json"), ReadProblems)
)]
#[get("/offerings/{id}/availability")]
pub async fn get_offering_availability(
    db: web::Data<Db>,
    weights: web::Data<Weights>,
    caller: Authenticated,
    req: HttpRequest,
    id: web::Path<i64>,
    params: QueryParams<WindowParams>,
) -> Result<HttpResponse, ApiError> {
    offering_report(
        &db,
        caller.0,
        id.into_inner(),
        &params.0,
        **weights,
        wants_csv(&req),
    )
    .await
}

/// The same as `GET /offerings/{id}/availability`, as CSV: one row per bucket.
#[utoipa::path(
    tag = "availability",
    params(("id" = i64, Path, description = "Offering id"), WindowParams),
    responses((status = 200, description = "One row per bucket", body = String, content_type = "text/csv"), (status = 422, description = "Bad window", body = crate::error::Problem, content_type = "application/problem+json"), ReadProblems)
)]
#[get("/offerings/{id}/availability.csv")]
pub async fn get_offering_availability_csv(
    db: web::Data<Db>,
    weights: web::Data<Weights>,
    caller: Authenticated,
    id: web::Path<i64>,
    params: QueryParams<WindowParams>,
) -> Result<HttpResponse, ApiError> {
    offering_report(&db, caller.0, id.into_inner(), &params.0, **weights, true).await
}

async fn tenants_report(
    db: &Db,
    caller: Caller,
    id: i64,
    params: &WindowParams,
    page: Option<&PageParams>,
    weights: Weights,
) -> Result<(Vec<TenantFigures>, Option<String>), ApiError> {
    let period = params.period(false)?;
    let request = page.map(PageParams::request).transpose()?;
    let id = OfferingId(id);
    let rows = db
        .run(move |conn| {
            let offering = offerings::find(conn, caller.offering_scope(), id)?.item;
            let target = offering.sla_target.percent();
            let series = covered_series(conn, &caller, &offering, &period, weights)?;
            Ok(series
                .iter()
                .map(|(t, s)| TenantFigures::new(t, &s.total, target))
                .collect::<Vec<_>>())
        })
        .await?;
    Ok(match request {
        None => (rows, None),
        Some(request) => {
            let page = Page::from_records(
                persistence::Page::from_sorted(rows, request, |r| r.tenant_id),
                |r| r,
            );
            (page.items, page.next_cursor)
        }
    })
}

/// Per-tenant figures of an offering's caller-visible tenants, paginated by tenant.
/// `Accept: text/csv` answers every tenant as CSV.
#[utoipa::path(
    tag = "availability",
    params(("id" = i64, Path, description = "Offering id"), WindowParams, PageParams),
    responses((status = 200, description = "One entry per tenant", content((Page<TenantFigures> = "application/json"), (String = "text/csv"))), (status = 422, description = "Bad window", body = crate::error::Problem, content_type = "application/problem+json"), ReadProblems)
)]
#[get("/offerings/{id}/availability/tenants")]
pub async fn list_offering_tenant_availability(
    db: web::Data<Db>,
    weights: web::Data<Weights>,
    caller: Authenticated,
    req: HttpRequest,
    id: web::Path<i64>,
    params: QueryParams<WindowParams>,
    page: QueryParams<PageParams>,
) -> Result<HttpResponse, ApiError> {
    if wants_csv(&req) {
        let (rows, _) =
            tenants_report(&db, caller.0, id.into_inner(), &params.0, None, **weights).await?;
        return csv_response(&rows, "tenant-availability.csv");
    }
    let (items, next_cursor) = tenants_report(
        &db,
        caller.0,
        id.into_inner(),
        &params.0,
        Some(&page.0),
        **weights,
    )
    .await?;
    Ok(HttpResponse::Ok().json(Page { items, next_cursor }))
}

/// Every caller-visible tenant of an offering as CSV: one row per tenant.
#[utoipa::path(
    tag = "availability",
    params(("id" = i64, Path, description = "Offering id"), WindowParams),
    responses((status = 200, description = "One row per tenant", body = String, content_type = "text/csv"), (status = 422, description = "Bad window", body = crate::error::Problem, content_type = "application/problem+json"), ReadProblems)
)]
#[get("/offerings/{id}/availability/tenants.csv")]
pub async fn list_offering_tenant_availability_csv(
    db: web::Data<Db>,
    weights: web::Data<Weights>,
    caller: Authenticated,
    id: web::Path<i64>,
    params: QueryParams<WindowParams>,
) -> Result<HttpResponse, ApiError> {
    let (rows, _) =
        tenants_report(&db, caller.0, id.into_inner(), &params.0, None, **weights).await?;
    csv_response(&rows, "tenant-availability.csv")
}

fn tenant_availability(
    conn: &mut DbConnection,
    caller: &Caller,
    id: TenantId,
    period: &Period,
    weights: Weights,
) -> RepoResult<TenantAvailabilityResponse> {
    let tenant = tenants::find(conn, caller.tenant_scope(), id)?.item;
    let view = events::caller_view(conn, caller, Some(tenant.service_id))?;
    let scoped = view
        .tenant(tenant.service_id, id)
        .cloned()
        .ok_or(RepoError::NotFound)?;
    // The strictest target among the caller's offerings covering the tenant.
    let target = view
        .offerings()
        .filter(|o| o.covers_scoped(&scoped))
        .map(|o| o.sla_target.percent())
        .fold(None, |best: Option<f64>, t| {
            Some(best.map_or(t, |b| b.max(t)))
        })
        .unwrap_or(domain::SlaTarget::DEFAULT.percent());
    let (outages, planned) = availability::history(conn, tenant.service_id, period.window)?;
    let series = per_tenant(
        &[(id, scoped.classification_id)],
        &outages,
        &planned,
        period.window,
        &period.buckets,
        weights,
        period.now,
    )
    .remove(&id)
    .ok_or(RepoError::NotFound)?;
    Ok(TenantAvailabilityResponse {
        tenant: TenantFigures::new(&scoped, &series.total, target),
        from: period.window.from,
        to: period.window.to,
        granularity: period.size,
        buckets: period
            .buckets
            .iter()
            .zip(&series.buckets)
            .map(|(w, f)| TenantBucket::new(w, f))
            .collect(),
    })
}

async fn tenant_report(
    db: &Db,
    caller: Caller,
    id: i64,
    params: &WindowParams,
    weights: Weights,
    csv: bool,
) -> Result<HttpResponse, ApiError> {
    let period = params.period(true)?;
    let id = TenantId(id);
    let response = db
        .run(move |conn| tenant_availability(conn, &caller, id, &period, weights))
        .await?;
    respond(
        csv,
        &response,
        || response.buckets.clone(),
        "tenant-availability.csv",
    )
}

/// One tenant's availability and series. The figures are the same whichever offering the
/// tenant is reached through; the SLA target is the strictest of the caller's offerings
/// covering it. `Accept: text/csv` answers the buckets as CSV.
#[utoipa::path(
    tag = "availability",
    params(("id" = i64, Path, description = "Tenant id"), WindowParams),
    responses((status = 200, description = "The tenant's figures", content((TenantAvailabilityResponse = "application/json"), (String = "text/csv"))), (status = 422, description = "Bad window", body = crate::error::Problem, content_type = "application/problem+json"), ReadProblems)
)]
#[get("/tenants/{id}/availability")]
pub async fn get_tenant_availability(
    db: web::Data<Db>,
    weights: web::Data<Weights>,
    caller: Authenticated,
    req: HttpRequest,
    id: web::Path<i64>,
    params: QueryParams<WindowParams>,
) -> Result<HttpResponse, ApiError> {
    tenant_report(
        &db,
        caller.0,
        id.into_inner(),
        &params.0,
        **weights,
        wants_csv(&req),
    )
    .await
}

/// The same as `GET /tenants/{id}/availability`, as CSV: one row per bucket.
#[utoipa::path(
    tag = "availability",
    params(("id" = i64, Path, description = "Tenant id"), WindowParams),
    responses((status = 200, description = "One row per bucket", body = String, content_type = "text/csv"), (status = 422, description = "Bad window", body = crate::error::Problem, content_type = "application/problem+json"), ReadProblems)
)]
#[get("/tenants/{id}/availability.csv")]
pub async fn get_tenant_availability_csv(
    db: web::Data<Db>,
    weights: web::Data<Weights>,
    caller: Authenticated,
    id: web::Path<i64>,
    params: QueryParams<WindowParams>,
) -> Result<HttpResponse, ApiError> {
    tenant_report(&db, caller.0, id.into_inner(), &params.0, **weights, true).await
}

fn overview(
    conn: &mut DbConnection,
    caller: &Caller,
    period: &Period,
    weights: Weights,
) -> RepoResult<AvailabilityOverview> {
    let view = events::caller_view(conn, caller, None)?;
    let mut visible: Vec<&Offering> = view.offerings().collect();
    visible.sort_by_key(|o| o.id);
    let mut services: Vec<ServiceId> = visible.iter().map(|o| o.service_id).collect();
    services.sort();
    services.dedup();
    let mut rows = Vec::new();
    for service in services {
        // One history and one computation per service, shared by its offerings.
        let tenants = view.tenants_of(service);
        let keys: Vec<(TenantId, domain::ClassificationId)> = tenants
            .iter()
            .map(|t| (t.id, t.classification_id))
            .collect();
        let (outages, planned) = availability::history(conn, service, period.window)?;
        let series = per_tenant(
            &keys,
            &outages,
            &planned,
            period.window,
            &[],
            weights,
            period.now,
        );
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
                worst_tenant_availability: r.worst.map(|(_, a)| a),
                tenants_below_target: r.below_target.len(),
            });
        }
    }
    rows.sort_by_key(|r| r.offering_id);
    Ok(AvailabilityOverview {
        from: period.window.from,
        to: period.window.to,
        offerings: rows,
    })
}

async fn overview_report(
    db: &Db,
    caller: Caller,
    params: &WindowParams,
    weights: Weights,
    csv: bool,
) -> Result<HttpResponse, ApiError> {
    let period = params.period(false)?;
    let response = db
        .run(move |conn| overview(conn, &caller, &period, weights))
        .await?;
    respond(
        csv,
        &response,
        || response.offerings.clone(),
        "availability.csv",
    )
}

/// One row per offering the caller sees (the partner's dashboard): mean and worst tenant
/// availability and how many tenants miss the target. `Accept: text/csv` answers CSV.
#[utoipa::path(
    tag = "availability",
    params(WindowParams),
    responses((status = 200, description = "One row per offering", content((AvailabilityOverview = "application/json"), (String = "text/csv"))), (status = 422, description = "Bad window", body = crate::error::Problem, content_type = "application/problem+json"), ReadProblems)
)]
#[get("/availability")]
pub async fn get_availability(
    db: web::Data<Db>,
    weights: web::Data<Weights>,
    caller: Authenticated,
    req: HttpRequest,
    params: QueryParams<WindowParams>,
) -> Result<HttpResponse, ApiError> {
    overview_report(&db, caller.0, &params.0, **weights, wants_csv(&req)).await
}

/// The same as `GET /availability`, as CSV: one row per offering.
#[utoipa::path(
    tag = "availability",
    params(WindowParams),
    responses((status = 200, description = "One row per offering", body = String, content_type = "text/csv"), (status = 422, description = "Bad window", body = crate::error::Problem, content_type = "application/problem+json"), ReadProblems)
)]
#[get("/availability.csv")]
pub async fn get_availability_csv(
    db: web::Data<Db>,
    weights: web::Data<Weights>,
    caller: Authenticated,
    params: QueryParams<WindowParams>,
) -> Result<HttpResponse, ApiError> {
    overview_report(&db, caller.0, &params.0, **weights, true).await
}
