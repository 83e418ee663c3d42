//! `GET /status`.

use actix_web::{get, web};

use crate::http::auth::Authenticated;
use crate::http::error::{ApiError, ReadProblems};
use crate::http::extract::QueryParams;
use crate::http::state::AppState;
use crate::views::status::{overview, StatusParams, StatusResponse};

/// For each offering the caller sees: its current status, active incidents and maintenance in
/// the next `days` days.
#[utoipa::path(tag = "status", params(StatusParams), responses((status = 200, body = StatusResponse), ReadProblems))]
#[get("/status")]
pub async fn get_status(
    state: web::Data<AppState>,
    caller: Authenticated,
    params: QueryParams<StatusParams>,
) -> Result<web::Json<StatusResponse>, ApiError> {
    let db = &state.db;
    let days = params.0.days.unwrap_or(14);
    if !(1..=90).contains(&days) {
        return Err(ApiError::bad_parameter("days", "must be between 1 and 90"));
    }
    let caller = caller.0;
    let response = db.read(move |reads| overview(reads, &caller, days)).await?;
    Ok(web::Json(response))
}
