//! Prometheus metrics at `/metrics`: request counts and latency histograms by route template,
//! method and status; the database pool's state; build info. Requests are labelled by the
//! route table's template (read from the spec), so labelling costs one tree walk; unmatched
//! paths are `UNKNOWN`, so scanners cannot blow up the label set.

use std::time::Instant;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{web, HttpResponse};
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Opts,
    Registry, TextEncoder,
};

use crate::http::error::{ApiError, ErrorCode};
use crate::http::state::AppState;
use sha2::Digest;

/// Where Prometheus scrapes.
pub const PATH: &str = "/metrics";

/// Whether `req` may read the metrics: always when no token is configured
/// (`SLR_METRICS_TOKEN`), else only with `Authorization: Bearer <that token>` (401 otherwise).
pub fn allowed(
    req: &actix_web::HttpRequest,
    token: Option<&crate::settings::Secret>,
) -> Result<(), ApiError> {
    let Some(token) = token else {
        return Ok(());
    };
    let given = crate::http::auth::bearer_token(req).ok().flatten();
    // Compared as digests, so the time taken says nothing about the token.
    let digest = |text: &str| sha2::Sha256::digest(text.as_bytes());
    match given {
        Some(given) if digest(&given) == digest(token.expose()) => Ok(()),
        Some(_) => Err(ApiError::unauthorized(
            ErrorCode::InvalidToken,
            "the metrics token (SLR_METRICS_TOKEN) does not match",
        )),
        None => Err(ApiError::unauthorized(
            ErrorCode::MissingToken,
            "metrics need the metrics token: Authorization: Bearer <SLR_METRICS_TOKEN>",
        )),
    }
}

/// The label of requests whose path is no route of the spec.
const UNMATCHED: &str = "UNKNOWN";

/// The registry and the metrics slr sets itself.
#[derive(Clone)]
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    durations: HistogramVec,
    pool_connections: IntGauge,
    pool_idle: IntGauge,
    checkouts: IntCounter,
}

impl Metrics {
    /// `slr_http_requests_total` and `slr_http_requests_duration_seconds` labelled by
    /// `endpoint` (the route template), `method` and `status`; `slr_db_pool_connections`/
    /// `_idle`; `slr_db_checkouts_total`; `more` (the answer cache's and the webhook worker's
    /// counters); `slr_build_info{version}`.
    pub fn new(more: impl IntoIterator<Item = IntCounter>) -> Result<Self, prometheus::Error> {
        let labels = ["endpoint", "method", "status"];
        let requests = IntCounterVec::new(
            Opts::new("http_requests_total", "Total number of HTTP requests").namespace("slr"),
            &labels,
        )?;
        let durations = HistogramVec::new(
            HistogramOpts::new(
                "http_requests_duration_seconds",
                "HTTP request duration in seconds for all requests",
            )
            .namespace("slr"),
            &labels,
        )?;
        let gauge =
            |name: &str, help: &str| IntGauge::with_opts(Opts::new(name, help).namespace("slr"));
        let pool_connections = gauge(
            "db_pool_connections",
            "Database connections open in the pool",
        )?;
        let pool_idle = gauge("db_pool_idle", "Idle database connections in the pool")?;
        let checkouts = IntCounter::with_opts(
            Opts::new(
                "db_checkouts_total",
                "Connections taken from the pool (a read answered from memory takes none)",
            )
            .namespace("slr"),
        )?;
        let build_info = IntGaugeVec::new(
            Opts::new("build_info", "The running build").namespace("slr"),
            &["version"],
        )?;
        build_info
            .with_label_values(&[env!("CARGO_PKG_VERSION")])
            .set(1);
        let registry = Registry::new();
        for collector in [
            Box::new(requests.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(durations.clone()),
            Box::new(pool_connections.clone()),
            Box::new(pool_idle.clone()),
            Box::new(checkouts.clone()),
            Box::new(build_info),
        ]
        .into_iter()
        .chain(
            more.into_iter()
                .map(|c| Box::new(c) as Box<dyn prometheus::core::Collector>),
        ) {
            registry.register(collector)?;
        }
        Ok(Self {
            registry,
            requests,
            durations,
            pool_connections,
            pool_idle,
            checkouts,
        })
    }

    /// `GET /metrics`: the pool gauges refreshed, then everything in Prometheus' text format.
    pub fn scrape(&self, state: &AppState) -> HttpResponse {
        let (connections, idle) = state.db.pool_state();
        self.pool_connections.set(i64::from(connections));
        self.pool_idle.set(i64::from(idle));
        self.checkouts
            .inc_by(state.db.checkouts().saturating_sub(self.checkouts.get()));
        let mut text = Vec::new();
        match TextEncoder::new().encode(&self.registry.gather(), &mut text) {
            Ok(()) => HttpResponse::Ok()
                .content_type("text/plain; version=0.0.4; charset=utf-8")
                .body(text),
            Err(error) => {
                log::error!("cannot encode the metrics: {error}");
                HttpResponse::InternalServerError().finish()
            }
        }
    }
}

/// Middleware: counts each request and observes its duration, by route template.
pub async fn record(
    metrics: web::Data<Metrics>,
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let started = Instant::now();
    let state = AppState::of(req.request()).cloned();
    // The label borrows the table's template (the state outlives the request).
    let endpoint = state
        .as_deref()
        .and_then(|state| state.routes.template(req.path()))
        .unwrap_or(UNMATCHED);
    let method = req.method().clone();
    let result = next
        .call(req)
        .await
        .map(ServiceResponse::map_into_boxed_body);
    let status = match &result {
        Ok(response) => response.status(),
        Err(error) => error.as_response_error().status_code(),
    };
    let labels = [endpoint, method.as_str(), status.as_str()];
    metrics.requests.with_label_values(&labels).inc();
    metrics
        .durations
        .with_label_values(&labels)
        .observe(started.elapsed().as_secs_f64());
    result
}
