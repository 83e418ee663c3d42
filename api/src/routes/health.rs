//! Operations endpoints: liveness and readiness.

use actix_web::{get, web, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use crate::http::error::{ApiError, Problem};
use crate::http::state::AppState;

/// Health of the process or its database.
#[derive(Debug, Serialize, ToSchema)]
pub struct HealthResponse {
    /// `ok` when healthy.
    pub status: String,
}

/// Liveness: the process is up and serving.
#[utoipa::path(tag = "operations", security(()), responses((status = 200, body = HealthResponse)))]
#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(HealthResponse {
        status: "ok".to_owned(),
    })
}

/// Readiness: the database answers a query — or 503 within a second when it does not.
#[utoipa::path(
    tag = "operations",
    security(()),
    responses(
        (status = 200, body = HealthResponse),
        (status = 503, description = "The database cannot be reached", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    state.db.ready().await?;
    Ok(HttpResponse::Ok().json(HealthResponse {
        status: "ok".to_owned(),
    }))
}
