//! Prometheus metrics at `/metrics` (actix-web-prom): request counts and latency histograms by
//! route template, method and status; the database pool's state; build info.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::web;
use actix_web_prom::{PrometheusMetrics, PrometheusMetricsBuilder};
use prometheus::{IntCounter, IntGauge, IntGaugeVec, Opts};

use crate::http::state::AppState;

/// Where Prometheus scrapes.
pub const PATH: &str = "/metrics";

/// The metrics middleware and the gauges slr sets itself.
#[derive(Clone)]
pub struct Metrics {
    pub middleware: PrometheusMetrics,
    pool_connections: IntGauge,
    pool_idle: IntGauge,
    checkouts: IntCounter,
}

impl Metrics {
    /// `slr_http_requests_total` and `slr_http_requests_duration_seconds` labelled by
    /// `endpoint` (the route template; `UNKNOWN` for unmatched paths, so scanners cannot blow up
    /// the label set), `method` and `status`; `slr_db_pool_connections`/`_idle`;
    /// `slr_db_checkouts_total`; and `more` (the answer cache's counters);
    /// `slr_build_info{version}`.
    pub fn new(
        more: impl IntoIterator<Item = IntCounter>,
    ) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        let middleware = PrometheusMetricsBuilder::new("slr")
            .endpoint(PATH)
            .mask_unmatched_patterns("UNKNOWN")
            .build()?;
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
        for collector in [
            Box::new(pool_connections.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(pool_idle.clone()),
            Box::new(checkouts.clone()),
            Box::new(build_info),
        ]
        .into_iter()
        .chain(
            more.into_iter()
                .map(|c| Box::new(c) as Box<dyn prometheus::core::Collector>),
        ) {
            middleware.registry.register(collector)?;
        }
        Ok(Self {
            middleware,
            pool_connections,
            pool_idle,
            checkouts,
        })
    }
}

/// Refreshes the pool gauges just before a scrape is answered.
pub async fn pool_gauges(
    metrics: web::Data<Metrics>,
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    if req.path() == PATH {
        if let Some(state) = AppState::of(req.request()) {
            let db = &state.db;
            let (connections, idle) = db.pool_state();
            metrics.pool_connections.set(i64::from(connections));
            metrics.pool_idle.set(i64::from(idle));
            metrics
                .checkouts
                .inc_by(db.checkouts().saturating_sub(metrics.checkouts.get()));
        }
    }
    next.call(req)
        .await
        .map(ServiceResponse::map_into_boxed_body)
}
