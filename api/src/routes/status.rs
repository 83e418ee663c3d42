//! `GET /status`.

use actix_web::{get, web};

use crate::http::auth::Authenticated;
use crate::http::error::{ApiError, ReadProblems};
use crate::http::extract::QueryParams;
use crate::http::state::AppState;
use crate::views::events::Include;
use crate::views::status::{overview, summary, StatusAnswer, StatusParams};

/// For each offering the caller sees, its current status and how many active incidents and
/// windows in the next `days` days show on it; and what is happening now — active incidents and
/// running maintenance — each once with the offerings it shows on. With
/// `include=impacted_tenants`, each offering carries its own events instead (the full form).
#[utoipa::path(tag = "status", params(StatusParams), responses((status = 200, description = "The summary, or with `include=impacted_tenants` the full form", body = StatusAnswer), ReadProblems))]
#[get("/status")]
pub async fn get_status(
    state: web::Data<AppState>,
    caller: Authenticated,
    params: QueryParams<StatusParams>,
) -> Result<web::Json<StatusAnswer>, ApiError> {
    let db = &state.db;
    let days = params.0.days.unwrap_or(14);
    if !(1..=90).contains(&days) {
        return Err(ApiError::bad_parameter("days", "must be between 1 and 90"));
    }
    let caller = caller.0;
    let response = match params.0.include {
        Some(Include::ImpactedTenants) => {
            db.read(move |reads| overview(reads, &caller, days).map(StatusAnswer::Full))
                .await?
        }
        None => {
            db.read(move |reads| summary(reads, &caller, days).map(StatusAnswer::Summary))
                .await?
        }
    };
    Ok(web::Json(response))
}
