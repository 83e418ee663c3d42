//! Availability handlers: JSON or CSV reports over a window.

use actix_web::{web, HttpRequest, HttpResponse};
use domain::availability::{Weights, Window};
use domain::{Caller, OfferingId, TenantId};
use persistence::model::Model;
use persistence::RepoResult;
use serde::Serialize;

use crate::http::auth::Authenticated;
use crate::http::db::Db;
use crate::http::error::{ApiError, ReadProblems};
use crate::http::extract::QueryParams;
use crate::http::negotiate::{csv_response, wants_csv};
use crate::http::pagination::{Page, PageParams};
use crate::http::state::AppState;
use crate::views::availability::{
    covered_series, offering_availability, offering_history, offering_history_with_targets,
    overview, overview_history, tenant_availability, tenant_history, tenant_intervals, tenant_rows,
    AvailabilityOverview, OfferingAvailabilityResponse, Period, TenantAvailabilityResponse,
    TenantFigures, TenantIntervalsResponse, WindowParams,
};

/// How a report answers as CSV, when it does.
type Csv<T> = Option<fn(&T) -> Result<HttpResponse, ApiError>>;

/// One report: the period from the query; what it needs, read from the read model (no database
/// work) with the model's read lock held only that long; the figures computed after (both on the
/// blocking pool, never on the async workers); the answer as JSON or, when `csv` is given, as
/// the report's CSV.
pub(crate) async fn report<L: Send + 'static, T: Serialize + Send + 'static>(
    db: &Db,
    params: &WindowParams,
    with_series: bool,
    csv: Csv<T>,
    load: impl FnOnce(&Model, &Period) -> RepoResult<L> + Send + 'static,
    compute: impl FnOnce(L, &Period) -> RepoResult<T> + Send + 'static,
) -> Result<HttpResponse, ApiError> {
    let period = std::sync::Arc::new(params.period(with_series)?);
    let loaded = {
        let period = std::sync::Arc::clone(&period);
        db.read(move |model| load(model, &period)).await?
    };
    let body = web::block(move || compute(loaded, &period))
        .await
        .map_err(ApiError::internal)??;
    match csv {
        Some(as_csv) => as_csv(&body),
        None => Ok(HttpResponse::Ok().json(&body)),
    }
}

async fn offering_report(
    db: &Db,
    caller: Caller,
    id: i64,
    params: &WindowParams,
    weights: Weights,
    csv: Csv<OfferingAvailabilityResponse>,
) -> Result<HttpResponse, ApiError> {
    let id = OfferingId(id);
    report(
        db,
        params,
        true,
        csv,
        move |model, period| offering_history(model, &caller, id, period),
        move |h, period| Ok(offering_availability(h, period, weights)),
    )
    .await
}

/// An offering's availability over a window: the rollup over its tenants the caller may see
/// (tenant-weighted means, worst tenant, tenants below target) and a series of buckets.
/// `Accept: text/csv` answers the buckets and a closing rollup row as CSV.
///
/// Also at `/api/v1/offerings/{id}/availability.csv`, which answers CSV whatever `Accept` says.
#[utoipa::path(
    get,
    path = "/offerings/{id}/availability",
    tag = "availability",
    params(("id" = i64, Path, description = "Offering id"), WindowParams),
    responses((status = 200, description = "The rollup", content((OfferingAvailabilityResponse = "application/json"), (String = "text/csv"))), (status = 422, description = "Bad window", body = crate::http::error::Problem, content_type = "application/problem+json"), ReadProblems)
)]
pub async fn get_offering_availability(
    state: web::Data<AppState>,
    caller: Authenticated,
    req: HttpRequest,
    id: web::Path<i64>,
    params: QueryParams<WindowParams>,
) -> Result<HttpResponse, ApiError> {
    let db = &state.db;
    let weights = state.weights;
    let csv = wants_csv(&req).then_some(OfferingAvailabilityResponse::csv as _);
    offering_report(db, caller.0, id.into_inner(), &params.0, weights, csv).await
}

async fn tenants_report(
    db: &Db,
    caller: Caller,
    id: i64,
    params: &WindowParams,
    page: Option<&PageParams>,
    weights: Weights,
) -> Result<(Vec<TenantFigures>, Option<String>, Window), ApiError> {
    let period = params.period(false)?;
    let request = page.map(PageParams::request).transpose()?;
    let id = OfferingId(id);
    let window = Window {
        from: period.calendar.local(period.window.from),
        to: period.calendar.local(period.window.to),
    };
    let period = std::sync::Arc::new(period);
    let loaded = {
        let period = std::sync::Arc::clone(&period);
        db.read(move |model| offering_history_with_targets(model, &caller, id, &period))
            .await?
    };
    let rows = web::block(move || {
        // Each tenant is judged on its own target, whichever offering lists it.
        let (_, covered) = covered_series(loaded, &period, weights);
        covered
            .iter()
            .map(|c| TenantFigures::new(&c.tenant, &c.series.total, c.target))
            .collect::<Vec<_>>()
    })
    .await
    .map_err(ApiError::internal)?;
    Ok(match request {
        None => (rows, None, window),
        Some(request) => {
            let page = Page::from_records(
                persistence::Page::from_sorted(rows, request, |r| r.tenant_id),
                |r| r,
            );
            (page.items, page.next_cursor, window)
        }
    })
}

/// Per-tenant figures of an offering's caller-visible tenants, paginated by tenant.
/// `Accept: text/csv` answers every tenant as CSV.
///
/// Also at `/api/v1/offerings/{id}/availability/tenants.csv`, which answers CSV whatever `Accept` says.
#[utoipa::path(
    get,
    path = "/offerings/{id}/availability/tenants",
    tag = "availability",
    params(("id" = i64, Path, description = "Offering id"), WindowParams, PageParams),
    responses((status = 200, description = "One entry per tenant", content((Page<TenantFigures> = "application/json"), (String = "text/csv"))), (status = 422, description = "Bad window", body = crate::http::error::Problem, content_type = "application/problem+json"), ReadProblems)
)]
pub async fn list_offering_tenant_availability(
    state: web::Data<AppState>,
    caller: Authenticated,
    req: HttpRequest,
    id: web::Path<i64>,
    params: QueryParams<WindowParams>,
    page: QueryParams<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let db = &state.db;
    let weights = state.weights;
    if wants_csv(&req) {
        // The CSV holds every tenant, but takes the same (valid) parameters as the JSON pages.
        page.0.request()?;
        let (rows, _, window) =
            tenants_report(db, caller.0, id.into_inner(), &params.0, None, weights).await?;
        return csv_response(&tenant_rows(&rows, window), "tenant-availability.csv");
    }
    let (items, next_cursor, _) = tenants_report(
        db,
        caller.0,
        id.into_inner(),
        &params.0,
        Some(&page.0),
        weights,
    )
    .await?;
    Ok(HttpResponse::Ok().json(Page { items, next_cursor }))
}

async fn tenant_report(
    db: &Db,
    caller: Caller,
    id: i64,
    params: &WindowParams,
    weights: Weights,
    csv: Csv<TenantAvailabilityResponse>,
) -> Result<HttpResponse, ApiError> {
    let id = TenantId(id);
    report(
        db,
        params,
        true,
        csv,
        move |model, period| tenant_history(model, &caller, id, period),
        move |h, period| tenant_availability(h, period, weights),
    )
    .await
}

/// One tenant's availability and series, each bucket with its own SLA verdict and error
/// budget. The figures are the same whichever offering the tenant is reached through; the SLA
/// target is the strictest of the caller's offerings covering it (99.9 where none does).
/// `Accept: text/csv` answers the buckets and a closing totals row as CSV.
///
/// Also at `/api/v1/tenants/{id}/availability.csv`, which answers CSV whatever `Accept` says.
#[utoipa::path(
    get,
    path = "/tenants/{id}/availability",
    tag = "availability",
    params(("id" = i64, Path, description = "Tenant id"), WindowParams),
    responses((status = 200, description = "The tenant's figures", content((TenantAvailabilityResponse = "application/json"), (String = "text/csv"))), (status = 422, description = "Bad window", body = crate::http::error::Problem, content_type = "application/problem+json"), ReadProblems)
)]
pub async fn get_tenant_availability(
    state: web::Data<AppState>,
    caller: Authenticated,
    req: HttpRequest,
    id: web::Path<i64>,
    params: QueryParams<WindowParams>,
) -> Result<HttpResponse, ApiError> {
    let db = &state.db;
    let weights = state.weights;
    let csv = wants_csv(&req).then_some(TenantAvailabilityResponse::csv as _);
    tenant_report(db, caller.0, id.into_inner(), &params.0, weights, csv).await
}

async fn intervals_report(
    db: &Db,
    caller: Caller,
    id: i64,
    params: &WindowParams,
    weights: Weights,
    csv: Csv<TenantIntervalsResponse>,
) -> Result<HttpResponse, ApiError> {
    let id = TenantId(id);
    report(
        db,
        params,
        false,
        csv,
        move |model, period| tenant_history(model, &caller, id, period),
        move |h, period| Ok(tenant_intervals(h, period, weights)),
    )
    .await
}

/// The evidence behind a tenant's figures: each interval of the window where its weight was
/// above zero or it was degraded, with the weight, planned or not, and the incidents or
/// maintenance windows behind it. `Accept: text/csv` answers CSV.
///
/// Also at `/api/v1/tenants/{id}/availability/intervals.csv`, which answers CSV whatever `Accept` says.
#[utoipa::path(
    get,
    path = "/tenants/{id}/availability/intervals",
    tag = "availability",
    params(("id" = i64, Path, description = "Tenant id"), WindowParams),
    responses((status = 200, description = "The intervals", content((TenantIntervalsResponse = "application/json"), (String = "text/csv"))), (status = 422, description = "Bad window", body = crate::http::error::Problem, content_type = "application/problem+json"), ReadProblems)
)]
pub async fn list_tenant_availability_intervals(
    state: web::Data<AppState>,
    caller: Authenticated,
    req: HttpRequest,
    id: web::Path<i64>,
    params: QueryParams<WindowParams>,
) -> Result<HttpResponse, ApiError> {
    let db = &state.db;
    let weights = state.weights;
    let csv = wants_csv(&req).then_some(TenantIntervalsResponse::csv as _);
    intervals_report(db, caller.0, id.into_inner(), &params.0, weights, csv).await
}

/// One row per offering the caller sees (the partner's dashboard): mean and worst tenant
/// availability and how many tenants miss the target. `Accept: text/csv` answers CSV.
///
/// Also at `/api/v1/availability.csv`, which answers CSV whatever `Accept` says.
#[utoipa::path(
    get,
    path = "/availability",
    tag = "availability",
    params(WindowParams),
    responses((status = 200, description = "One row per offering", content((AvailabilityOverview = "application/json"), (String = "text/csv"))), (status = 422, description = "Bad window", body = crate::http::error::Problem, content_type = "application/problem+json"), ReadProblems)
)]
pub async fn get_availability(
    state: web::Data<AppState>,
    caller: Authenticated,
    req: HttpRequest,
    params: QueryParams<WindowParams>,
) -> Result<HttpResponse, ApiError> {
    let db = &state.db;
    let weights = state.weights;
    let csv = wants_csv(&req).then_some(AvailabilityOverview::csv as _);
    report(
        db,
        &params.0,
        false,
        csv,
        move |model, period| overview_history(model, &caller.0, period),
        move |h, period| Ok(overview(h, period, weights)),
    )
    .await
}
