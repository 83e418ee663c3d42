//! `GET /audit`: provider admins read who changed what.

use actix_web::{get, web};
use persistence::repo::audit::{self, Filter};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};

use crate::http::auth::Authenticated;
use crate::http::error::{ApiError, ReadProblems};
use crate::http::extract::{ListWindow, QueryParams};
use crate::http::pagination::{Page, PageParams};
use crate::http::state::AppState;

/// One recorded write.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AuditEntryResponse {
    pub id: i64,
    #[serde(with = "crate::http::wire::instant")]
    pub at: OffsetDateTime,
    /// The contact who wrote, and its account (kept after either is removed).
    pub contact_id: i64,
    pub account_id: i64,
    /// `create`, `update` or `delete`.
    pub action: String,
    /// E.g. `tenant`, `incident`, `incident_update`.
    pub object_type: String,
    pub object_id: i64,
    /// The object before the write (updates, deletes), as the API showed it.
    #[schema(value_type = Option<Object>)]
    pub before: Option<serde_json::Value>,
    /// The object after the write (creates, updates).
    #[schema(value_type = Option<Object>)]
    pub after: Option<serde_json::Value>,
    /// The `X-Request-Id` of the write.
    pub request_id: Option<String>,
}

/// Filters of the audit log.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditParams {
    /// E.g. `tenant`.
    pub object_type: Option<String>,
    pub object_id: Option<i64>,
    pub contact_id: Option<i64>,
    /// `create`, `update` or `delete`.
    pub action: Option<String>,
}

/// Every write, oldest first (provider admins).
#[utoipa::path(tag = "operations", params(AuditParams, ListWindow, PageParams), responses((status = 200, body = Page<AuditEntryResponse>), (status = 422, description = "`from` or `to` outside the supported range, or `to` not after `from`", body = crate::http::error::Problem, content_type = "application/problem+json"), (status = 403, description = "Only provider admins read the audit log", body = crate::http::error::Problem, content_type = "application/problem+json"), ReadProblems))]
#[get("/audit")]
pub async fn list_audit(
    state: web::Data<AppState>,
    caller: Authenticated,
    params: QueryParams<AuditParams>,
    window: ListWindow,
    page: QueryParams<PageParams>,
) -> Result<web::Json<Page<AuditEntryResponse>>, ApiError> {
    let db = &state.db;
    caller.require_provider_admin("the audit log")?;
    let page = page.0.request()?;
    let params = params.0;
    let filter = Filter {
        object_type: params.object_type,
        object_id: params.object_id,
        contact_id: params.contact_id,
        action: params.action,
        from: window.from,
        to: window.to,
    };
    let found = db.run(move |conn| audit::list(conn, &filter, page)).await?;
    let parse = |json: Option<String>| json.and_then(|j| serde_json::from_str(&j).ok());
    Ok(web::Json(Page::from_records(found, |e| {
        AuditEntryResponse {
            id: e.id,
            at: e.at,
            contact_id: e.contact_id,
            account_id: e.account_id,
            action: e.action,
            object_type: e.object_type,
            object_id: e.object_id,
            before: parse(e.before),
            after: parse(e.after),
            request_id: e.request_id,
        }
    })))
}
