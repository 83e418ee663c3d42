//! The write workflows incidents and maintenance share: check the writer, apply, audit and
//! announce in one transaction.

use actix_web::{web, HttpRequest, HttpResponse};
use domain::{AllowedNames, Caller};
use persistence::events::NameGuard;
use persistence::{DbConnection, RepoResult};

use crate::http::auth::Authenticated;
use crate::http::conditional::{expected_version, versioned_json};
use crate::http::db::{Announcing, Db};
use crate::http::error::ApiError;
use crate::http::idempotency::create_once;
use crate::views::events::EventKind;

/// `POST {PATH}`: runs `create` at most once per `Idempotency-Key` and answers 201 with the
/// writer's view of the new event.
pub async fn create_event<K: EventKind>(
    db: &Db,
    caller: &Authenticated,
    req: &HttpRequest,
    raw_body: &web::Bytes,
    create: impl Fn(&mut DbConnection) -> RepoResult<K::Id> + Send + 'static,
) -> Result<HttpResponse, ApiError> {
    create_events::<K>(db, caller, req, raw_body, move |conn| {
        Ok(vec![create(conn)?])
    })
    .await
}

/// [`create_event`] for a write creating several events (a recurring window's series): each
/// is audited and announced; the answer is the first.
pub async fn create_events<K: EventKind>(
    db: &Db,
    caller: &Authenticated,
    req: &HttpRequest,
    raw_body: &web::Bytes,
    create: impl Fn(&mut DbConnection) -> RepoResult<Vec<K::Id>> + Send + 'static,
) -> Result<HttpResponse, ApiError> {
    caller.require_writer()?;
    let writer = caller.0.clone();
    let model = db.model_for_announcing().await;
    create_once(db, &caller.0, req, raw_body, move |conn| {
        let ids = create(conn)?;
        let mut first = None;
        for &id in &ids {
            let response = K::load_one(conn, &writer, id)?;
            crate::services::audit::created(conn, &writer, K::OBJECT, K::raw(id), &response)?;
            let event = K::webhook_event(None, &response);
            crate::services::webhooks::announce::<K>(conn, &model, event, id)?;
            first.get_or_insert((format!("{}/{id}", K::PATH), response));
        }
        first.ok_or(persistence::RepoError::NotFound)
    })
    .await
}

/// Before a change to event `id` is even parsed: 404 when the caller may not see it, 403 when
/// it may see but not write it.
pub async fn require_writer_of<K: EventKind>(
    db: &Db,
    caller: &Authenticated,
    id: K::Id,
) -> Result<(), ApiError> {
    let reader = caller.0.clone();
    caller
        .require_writer_of(db, move |conn| K::load_one(conn, &reader, id))
        .await
}

/// `PATCH {PATH}/{id}`: `apply` with the `If-Match` version (412 when stale) and its audit
/// entry in one transaction, then the fresh view with its new `ETag`.
pub async fn patch_event<K: EventKind>(
    db: &Db,
    caller: Caller,
    req: &HttpRequest,
    id: K::Id,
    apply: impl Fn(&mut DbConnection, Option<i64>) -> RepoResult<()> + Send + 'static,
) -> Result<HttpResponse, ApiError> {
    change_event::<K, ()>(
        db,
        caller,
        req,
        id,
        apply,
        move |conn, model, before, after, ()| {
            let event = K::webhook_event(Some(before), after);
            crate::services::webhooks::announce::<K>(conn, model, event, id).map(drop)
        },
    )
    .await
}

/// [`patch_event`] whose announcement `announce` chooses, from the views before and after and
/// what `apply` returned.
pub async fn change_event<K: EventKind, R>(
    db: &Db,
    caller: Caller,
    req: &HttpRequest,
    id: K::Id,
    apply: impl Fn(&mut DbConnection, Option<i64>) -> RepoResult<R> + Send + 'static,
    announce: impl Fn(&mut DbConnection, &Announcing, &K::Response, &K::Response, R) -> RepoResult<()>
        + Send
        + 'static,
) -> Result<HttpResponse, ApiError> {
    let expected = expected_version(req);
    let (reader, writer) = (caller.clone(), caller.clone());
    let model = db.model_for_announcing().await;
    let response = crate::services::audit::audited_from(
        db,
        &caller,
        K::OBJECT,
        K::raw(id),
        move |conn| K::load_one(conn, &reader, id),
        move |conn, before| {
            let applied = apply(conn, expected)?;
            let after = K::load_one(conn, &writer, id)?;
            announce(conn, &model, before, &after, applied)?;
            Ok(Some(after))
        },
    )
    .await?
    .ok_or_else(ApiError::not_found)?;
    versioned_json(K::version(&response), &response)
}

/// The most names one write may allow through the name guard.
pub const MAX_ALLOWED_NAMES: usize = 20;

/// The name guard for one write's event text, with the names its `allow_names` lets through
/// (each must be the name of a tenant or an account; checked in the write's transaction).
pub fn name_guard(db: &Db, allow_names: Vec<String>) -> Result<NameGuard, ApiError> {
    if allow_names.len() > MAX_ALLOWED_NAMES {
        return Err(ApiError::invalid(
            "allow_names",
            format!("may list at most {MAX_ALLOWED_NAMES} names"),
        ));
    }
    if let Some(at) = allow_names
        .iter()
        .position(|name| name.trim().is_empty() || name.len() > 300)
    {
        return Err(ApiError::invalid(
            format!("allow_names[{at}]"),
            "must be a name of 1 to 300 characters",
        ));
    }
    Ok(NameGuard::new(db.names(), AllowedNames::new(allow_names)))
}

/// The audit entry of a write that let names through the name guard (`allow_names`): object
/// type `name_allowance`, the written object's id, and `after` naming the object's type and
/// the names. Nothing when the write allowed none.
pub fn allowance(
    conn: &mut DbConnection,
    writer: &Caller,
    object_type: &'static str,
    object_id: i64,
    allowed: &AllowedNames,
) -> RepoResult<()> {
    if allowed.is_empty() {
        return Ok(());
    }
    crate::services::audit::created(
        conn,
        writer,
        "name_allowance",
        object_id,
        &NameAllowance {
            object_type,
            object_id,
            allow_names: allowed.names(),
        },
    )
}

/// What the audit log keeps of an allowance.
#[derive(serde::Serialize)]
struct NameAllowance<'a> {
    object_type: &'static str,
    object_id: i64,
    allow_names: &'a [String],
}
