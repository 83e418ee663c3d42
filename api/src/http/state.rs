//! The one application state every request reaches, as `web::Data<AppState>`: what handlers and
//! extractors share. Middleware keeps its own state (the answer cache, the rate limiter,
//! metrics) in the closure it is wrapped with.

use std::time::Duration;

use actix_web::{web, HttpRequest};
use domain::availability::Weights;

use crate::http::auth::Callers;
use crate::http::db::Db;
use crate::http::routes::RouteTable;
use crate::settings::WebhookSettings;

pub struct AppState {
    /// The pool and the read model.
    pub db: web::Data<Db>,
    /// Who is calling: bearer and feed tokens.
    pub callers: web::Data<Callers>,
    /// What the spec declares per operation.
    pub routes: web::Data<RouteTable>,
    /// Weights of incident impacts in availability.
    pub weights: Weights,
    /// How long an `Idempotency-Key` is remembered.
    pub idempotency_ttl: Duration,
    /// How webhooks are accepted and delivered.
    pub webhooks: WebhookSettings,
    /// How long a request body may take to arrive (`SLR_BODY_TIMEOUT_MS`).
    pub body_timeout: Duration,
    /// How many integrations one account may keep.
    pub limits: crate::settings::AccountLimits,
    /// The key closed periods' statements are signed with (`SLR_STATEMENT_KEY`); closing a
    /// period is refused without one.
    pub signer: Option<std::sync::Arc<crate::http::signing::StatementSigner>>,
}

impl AppState {
    /// The state of the application serving `req` (`None` only outside a configured app).
    pub fn of(req: &HttpRequest) -> Option<&web::Data<AppState>> {
        req.app_data::<web::Data<AppState>>()
    }
}
