//! `Idempotency-Key` on every POST: a retried write with the same key returns the original
//! response and writes nothing; the same key with a different request answers 422.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpRequest, HttpResponse};
use domain::Caller;
use persistence::repo::idempotency::{self, StoredResponse};
use persistence::{DbConnection, RepoError, RepoResult};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::IntoParams;

use crate::http::db::Db;
use crate::http::error::{ApiError, ErrorCode};

pub const HEADER: &str = "Idempotency-Key";

/// The `Idempotency-Key` header every POST takes (declared in the spec through `params`; read
/// by [`once`]).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Header)]
pub struct IdempotencyKey {
    /// Makes a retried POST answer the first response instead of writing again: 1–255 visible
    /// ASCII characters, e.g. a UUID, remembered for `SLR_IDEMPOTENCY_TTL` (default 24 h).
    #[serde(rename = "Idempotency-Key")]
    #[param(
        rename = "Idempotency-Key",
        pattern = r"^[\x21-\x7E]{1,255}$",
        min_length = 1,
        max_length = 255
    )]
    pub key: Option<String>,
}

/// Runs `create` (which returns the new resource's location and body) at most once per
/// (caller, key), answering 201 with `Location` and `ETag`. See [`once`].
pub async fn create_once<T, F>(
    db: &Db,
    caller: &Caller,
    req: &HttpRequest,
    raw_body: &[u8],
    mut create: F,
) -> Result<HttpResponse, ApiError>
where
    T: Serialize + Send + 'static,
    F: FnMut(&mut DbConnection) -> RepoResult<(String, T)> + Send + 'static,
{
    once(
        db,
        caller,
        req,
        raw_body,
        StatusCode::CREATED,
        move |conn| create(conn).map(|(location, body)| (Some(location), body)),
    )
    .await
}

/// Runs the write of a POST in one transaction, at most once per (caller, `Idempotency-Key`):
/// `write` returns the location of what it made (if anything) and the body to answer with
/// `status`. The stored response is written in the same transaction as the write, so a
/// concurrent retry either sees it or loses the race and is answered from it; a retry with
/// the key answers the stored response with `Idempotent-Replayed: true`, the key with another
/// request 422. Without the header the write simply runs in a transaction.
pub async fn once<T, F>(
    db: &Db,
    caller: &Caller,
    req: &HttpRequest,
    raw_body: &[u8],
    status: StatusCode,
    mut write: F,
) -> Result<HttpResponse, ApiError>
where
    T: Serialize + Send + 'static,
    F: FnMut(&mut DbConnection) -> RepoResult<(Option<String>, T)> + Send + 'static,
{
    let mut answer = move |conn: &mut DbConnection| {
        let (location, body) = write(conn)?;
        let body = serde_json::to_string(&body).map_err(|e| RepoError::Corrupt(e.to_string()))?;
        Ok((location, body))
    };
    let key = match req.headers().get(HEADER) {
        None => None,
        Some(value) => Some(parse_key(value.to_str().unwrap_or_default())?),
    };
    let Some(key) = key else {
        let (location, body) = db.transaction(answer).await?;
        return Ok(respond(status, location, body, false));
    };
    let hash = request_hash(req, raw_body);
    let expected = hash.clone();
    let contact = caller.contact_id.0;
    let ttl = crate::http::state::AppState::of(req)
        .map_or(crate::settings::IDEMPOTENCY_TTL, |state| {
            state.idempotency_ttl
        });
    let cutoff = persistence::repo::now() - time::Duration::seconds_f64(ttl.as_secs_f64());
    let (stored, replayed) = db
        .transaction(move |conn| {
            // Expired keys are forgotten first (an index on their age keeps this cheap), so a
            // key can be used again after the TTL.
            idempotency::purge(conn, cutoff)?;
            if let Some(stored) = idempotency::find(conn, contact, &key)? {
                return Ok((stored, true));
            }
            let (location, body) = answer(conn)?;
            let stored = StoredResponse {
                request_hash: hash.clone(),
                status: status.as_u16(),
                location,
                body,
            };
            match idempotency::store(conn, contact, &key, &stored) {
                // A concurrent request with the same key committed first: roll back what this one
                // wrote and run again, which answers from the stored response.
                Err(RepoError::Duplicate { .. }) => Err(RepoError::Busy(
                    "idempotency key stored concurrently".to_owned(),
                )),
                other => other.map(|()| (stored, false)),
            }
        })
        .await?;
    if replayed && stored.request_hash != expected {
        return Err(ApiError::new(
            ErrorCode::IdempotencyKeyReused,
            "this Idempotency-Key was used with a different request; use a new key",
        )
        .field(HEADER, "was already used with a different request"));
    }
    let status = StatusCode::from_u16(stored.status).unwrap_or(status);
    Ok(respond(status, stored.location, stored.body, replayed))
}

/// A write's answer: JSON with its `Location`, and an `ETag` — `"v{version}-{hash}"` for a
/// versioned resource (what `If-Match` on its next PATCH takes), else `"{hash}"`.
fn respond(
    status: StatusCode,
    location: Option<String>,
    body: String,
    replayed: bool,
) -> HttpResponse {
    let mut response = HttpResponse::build(status);
    if let Some(location) = location {
        response.insert_header((header::LOCATION, location));
    }
    if replayed {
        response.insert_header(("Idempotent-Replayed", "true"));
    }
    let version = serde_json::from_str::<serde_json::Value>(&body)
        .ok()
        .and_then(|value| value.get("version").and_then(serde_json::Value::as_i64));
    let hash = crate::http::conditional::hash(body.as_bytes());
    let etag = match version {
        Some(version) => format!("\"v{version}-{hash}\""),
        None => format!("\"{hash}\""),
    };
    response
        .insert_header((header::ETAG, etag))
        .content_type("application/json")
        .body(body)
}

fn parse_key(raw: &str) -> Result<String, ApiError> {
    let key = raw.trim();
    if key.is_empty() || key.len() > 255 || !key.chars().all(|c| c.is_ascii_graphic()) {
        return Err(ApiError::bad_parameter(
            HEADER,
            "must be 1-255 visible ASCII characters, e.g. a UUID",
        ));
    }
    Ok(key.to_owned())
}

/// Method, path and the body as canonical JSON (key order and whitespace do not matter).
fn request_hash(req: &HttpRequest, raw_body: &[u8]) -> String {
    let canonical = serde_json::from_slice::<serde_json::Value>(raw_body)
        .map(|v| v.to_string())
        .unwrap_or_else(|_| String::from_utf8_lossy(raw_body).into_owned());
    let mut hasher = Sha256::new();
    hasher.update(req.method().as_str());
    hasher.update(b" ");
    hasher.update(req.path());
    hasher.update(b"\n");
    hasher.update(canonical);
    hex::encode(hasher.finalize())
}
