//! `Idempotency-Key` on POST: a retried create with the same key returns the original response
//! and writes nothing; the same key with a different request answers 422.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use domain::Caller;
use persistence::repo::idempotency::{self, StoredResponse};
use persistence::{DbConnection, RepoError, RepoResult};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::db::Db;
use crate::error::ApiError;

pub const HEADER: &str = "Idempotency-Key";

/// Runs `create` (which returns the new resource's location and body) at most once per
/// (caller, key). The stored response is written in the same transaction as the resource, so a
/// concurrent retry either sees it or loses the race and is answered from it.
pub async fn create_once<T, F>(
    db: &Db,
    caller: &Caller,
    req: &HttpRequest,
    raw_body: &web::Bytes,
    mut create: F,
) -> Result<HttpResponse, ApiError>
where
    T: Serialize + Send + 'static,
    F: FnMut(&mut DbConnection) -> RepoResult<(String, T)> + Send + 'static,
{
    let key = match req.headers().get(HEADER) {
        None => None,
        Some(value) => Some(parse_key(value.to_str().unwrap_or_default())?),
    };
    let Some(key) = key else {
        let (location, body) = db.run(move |conn| create(conn)).await?;
        return Ok(HttpResponse::Created()
            .insert_header((header::LOCATION, location))
            .json(body));
    };
    let hash = request_hash(req, raw_body);
    let expected = hash.clone();
    let contact = caller.contact_id.0;
    let ttl = req
        .app_data::<web::Data<IdempotencyTtl>>()
        .map_or(IdempotencyTtl::default().0, |ttl| ttl.0);
    let cutoff = persistence::repo::now() - time::Duration::seconds_f64(ttl.as_secs_f64());
    let (stored, replayed) = db
        .transaction(move |conn| {
            // Expired keys are forgotten first (an index on their age keeps this cheap), so a
            // key can be used again after the TTL.
            idempotency::purge(conn, cutoff)?;
            if let Some(stored) = idempotency::find(conn, contact, &key)? {
                return Ok((stored, true));
            }
            let (location, body) = create(conn)?;
            let body =
                serde_json::to_string(&body).map_err(|e| RepoError::Corrupt(e.to_string()))?;
            let stored = StoredResponse {
                request_hash: hash.clone(),
                status: 201,
                location: Some(location),
                body,
            };
            match idempotency::store(conn, contact, &key, &stored) {
                // A concurrent request with the same key committed first: roll back what this one
                // created and run again, which answers from the stored response.
                Err(RepoError::Duplicate { .. }) => Err(RepoError::Busy(
                    "idempotency key stored concurrently".to_owned(),
                )),
                other => other.map(|()| (stored, false)),
            }
        })
        .await?;
    if replayed && stored.request_hash != expected {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "idempotency_key_reused",
            "this Idempotency-Key was used with a different request; use a new key",
        )
        .field(HEADER, "was already used with a different request"));
    }
    let mut response =
        HttpResponse::build(StatusCode::from_u16(stored.status).unwrap_or(StatusCode::CREATED));
    if let Some(location) = stored.location {
        response.insert_header((header::LOCATION, location));
    }
    if replayed {
        response.insert_header(("Idempotent-Replayed", "true"));
    }
    Ok(response.content_type("application/json").body(stored.body))
}

/// How long a stored response answers retries (`SLR_IDEMPOTENCY_TTL`, default 24 h).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IdempotencyTtl(pub std::time::Duration);

impl Default for IdempotencyTtl {
    fn default() -> Self {
        IdempotencyTtl(std::time::Duration::from_secs(24 * 3600))
    }
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
