//! The audit log, written inside each write's transaction.

use domain::Caller;
use persistence::repo::audit::{self, Action, NewEntry};
use persistence::{DbConnection, RepoError, RepoResult};
use serde::Serialize;

use crate::http::db::Db;
use crate::http::error::ApiError;

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
    let request_id = crate::http::request_id::current_request_id();
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
