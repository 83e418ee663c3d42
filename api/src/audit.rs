//! The audit trail: every write recorded in its own transaction — who (contact and account),
//! what, which object, the object before and after (as the API shows it to the provider), the
//! request id and the time — and `GET /api/v1/audit` for provider admins.

use actix_web::{get, web};
use domain::Caller;
use persistence::repo::audit::{self, Action, Filter, NewEntry};
use persistence::{DbConnection, RepoError, RepoResult};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};

use crate::auth::Authenticated;
use crate::db::Db;
use crate::error::{ApiError, ReadProblems};
use crate::extract::QueryParams;
use crate::pagination::{Page, PageParams};

/// Appends the audit entry of a write by `caller` (call it inside the write's transaction).
pub fn record<T: Serialize>(
    conn: &mut DbConnection,
    caller: &Caller,
    action: Action,
    object_type: &'static str,
    object_id: i64,
    before: Option<&T>,
    after: Option<&T>,
) -> RepoResult<()> {
    let json =
        |value: &T| serde_json::to_string(value).map_err(|e| RepoError::Corrupt(e.to_string()));
    let before = before.map(json).transpose()?;
    let after = after.map(json).transpose()?;
    let request_id = crate::observe::current_request_id();
    audit::record(
        conn,
        &NewEntry {
            contact_id: caller.contact_id.0,
            account_id: caller.account_id.0,
            action,
            object_type,
            object_id,
            before: before.as_deref(),
            after: after.as_deref(),
            request_id: request_id.as_deref(),
        },
    )
}

/// An update (`delete: false`) or delete of one object, with its audit entry, in one
/// transaction: `load` reads the object before (and after an update), `write` changes it.
pub async fn audited<R: Serialize + Send + 'static>(
    db: &Db,
    caller: &Caller,
    object_type: &'static str,
    object_id: i64,
    load: impl Fn(&mut DbConnection) -> RepoResult<R> + Send + 'static,
    write: impl Fn(&mut DbConnection) -> RepoResult<Option<R>> + Send + 'static,
) -> Result<Option<R>, ApiError> {
    audited_from(db, caller, object_type, object_id, load, move |conn, _| {
        write(conn)
    })
    .await
}

/// [`audited`] for writes that need the object as it was (`write` gets what `load` read).
pub async fn audited_from<R: Serialize + Send + 'static>(
    db: &Db,
    caller: &Caller,
    object_type: &'static str,
    object_id: i64,
    load: impl Fn(&mut DbConnection) -> RepoResult<R> + Send + 'static,
    write: impl Fn(&mut DbConnection, &R) -> RepoResult<Option<R>> + Send + 'static,
) -> Result<Option<R>, ApiError> {
    let caller = caller.clone();
    db.run(move |conn| audited_in(conn, &caller, object_type, object_id, &load, &write))
        .await
}

/// [`audited_from`] on a connection the caller holds (e.g. inside an idempotent write).
pub fn audited_in<R: Serialize>(
    conn: &mut DbConnection,
    caller: &Caller,
    object_type: &'static str,
    object_id: i64,
    load: impl Fn(&mut DbConnection) -> RepoResult<R>,
    write: impl Fn(&mut DbConnection, &R) -> RepoResult<Option<R>>,
) -> RepoResult<Option<R>> {
    persistence::repo::transaction(conn, |conn| {
        let before = load(conn)?;
        let after = write(conn, &before)?;
        let action = if after.is_some() {
            Action::Update
        } else {
            Action::Delete
        };
        record(
            conn,
            caller,
            action,
            object_type,
            object_id,
            Some(&before),
            after.as_ref(),
        )?;
        Ok(after)
    })
}

/// One recorded write.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AuditEntryResponse {
    pub id: i64,
    #[serde(with = "crate::wire::instant")]
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
    /// Only writes at or after this time (RFC 3339).
    #[serde(default, deserialize_with = "crate::wire::instant::query::deserialize")]
    #[param(value_type = Option<String>, format = DateTime)]
    pub from: Option<OffsetDateTime>,
    /// Only writes before this time (RFC 3339).
    #[serde(default, deserialize_with = "crate::wire::instant::query::deserialize")]
    #[param(value_type = Option<String>, format = DateTime)]
    pub to: Option<OffsetDateTime>,
}

/// Every write, oldest first (provider admins).
#[utoipa::path(tag = "operations", params(AuditParams, PageParams), responses((status = 200, body = Page<AuditEntryResponse>), (status = 422, description = "`from` or `to` outside the supported range, or `to` not after `from`", body = crate::error::Problem, content_type = "application/problem+json"), (status = 403, description = "Only provider admins read the audit log", body = crate::error::Problem, content_type = "application/problem+json"), ReadProblems))]
#[get("/audit")]
pub async fn list_audit(
    db: web::Data<Db>,
    caller: Authenticated,
    params: QueryParams<AuditParams>,
    page: QueryParams<PageParams>,
) -> Result<web::Json<Page<AuditEntryResponse>>, ApiError> {
    caller.require_writer()?;
    let page = page.0.request()?;
    let params = params.0;
    crate::extract::check_list_window(params.from, params.to)?;
    let filter = Filter {
        object_type: params.object_type,
        object_id: params.object_id,
        contact_id: params.contact_id,
        action: params.action,
        from: params.from,
        to: params.to,
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

/// Appends the audit entry of a create (call it inside the create's transaction).
pub fn created<T: Serialize>(
    conn: &mut DbConnection,
    caller: &Caller,
    object_type: &'static str,
    object_id: i64,
    after: &T,
) -> RepoResult<()> {
    record(
        conn,
        caller,
        Action::Create,
        object_type,
        object_id,
        None,
        Some(after),
    )
}
