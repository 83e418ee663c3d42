//! Stored responses of POSTs sent with an `Idempotency-Key`, so a retry never creates twice.

use diesel::prelude::*;

use time::PrimitiveDateTime;

use super::now;
use crate::connection::DbConnection;
use crate::schema::idempotency_keys;
use crate::RepoResult;

/// The response first given for a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredResponse {
    /// A hash of the request (method, path, canonical body) the key was first used with.
    pub request_hash: String,
    pub status: u16,
    pub location: Option<String>,
    pub body: String,
}

/// Forgets keys stored before `cutoff` (their retries may create again).
pub fn purge(conn: &mut DbConnection, cutoff: PrimitiveDateTime) -> RepoResult<usize> {
    Ok(
        diesel::delete(idempotency_keys::table.filter(idempotency_keys::created_at.lt(cutoff)))
            .execute(conn)?,
    )
}

pub fn find(
    conn: &mut DbConnection,
    contact: i64,
    key: &str,
) -> RepoResult<Option<StoredResponse>> {
    let row: Option<(String, i32, Option<String>, String)> = idempotency_keys::table
        .filter(idempotency_keys::contact_id.eq(contact))
        .filter(idempotency_keys::idempotency_key.eq(key))
        .select((
            idempotency_keys::request_hash,
            idempotency_keys::status_code,
            idempotency_keys::location,
            idempotency_keys::response_body,
        ))
        .first(conn)
        .optional()?;
    Ok(
        row.map(|(request_hash, status, location, body)| StoredResponse {
            request_hash,
            status: u16::try_from(status).unwrap_or(500),
            location,
            body,
        }),
    )
}

/// Records the response; a concurrent request that stored the key first makes this fail with
/// `Duplicate`, rolling back the caller's transaction (and the resource it created).
pub fn store(
    conn: &mut DbConnection,
    contact: i64,
    key: &str,
    response: &StoredResponse,
) -> RepoResult<()> {
    diesel::insert_into(idempotency_keys::table)
        .values((
            idempotency_keys::contact_id.eq(contact),
            idempotency_keys::idempotency_key.eq(key),
            idempotency_keys::request_hash.eq(&response.request_hash),
            idempotency_keys::status_code.eq(i32::from(response.status)),
            idempotency_keys::location.eq(&response.location),
            idempotency_keys::response_body.eq(&response.body),
            idempotency_keys::created_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(())
}
