//! Conditional requests: `ETag` on every successful GET with `If-None-Match` → 304 (dashboards
//! poll), and `If-Match` on PATCH compared with the resource's version (→ 412 when stale).

use actix_web::body::{self, BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{HttpRequest, HttpResponse};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::error::ApiError;

/// A strong validator for `bytes`.
pub fn hash(bytes: &[u8]) -> String {
    hex::encode(&Sha256::digest(bytes)[..12])
}

/// Middleware: tags 200 answers to GET with an `ETag` (the handler's, or a hash of the body) and
/// answers 304 when the client's `If-None-Match` already names it.
pub async fn conditional_get<B>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error>
where
    B: MessageBody + 'static,
    B::Error: std::fmt::Debug,
{
    if req.method() != Method::GET {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_boxed_body);
    }
    let if_none_match = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let response = next.call(req).await?;
    if response.status() != StatusCode::OK {
        return Ok(response.map_into_boxed_body());
    }
    let (request, response) = response.into_parts();
    let (mut head, payload) = response.into_parts();
    let bytes = body::to_bytes(payload)
        .await
        .map_err(|e| ApiError::internal(format!("reading a response body: {e:?}")))?;
    let etag = match head
        .headers()
        .get(header::ETAG)
        .and_then(|v| v.to_str().ok())
    {
        Some(etag) => etag.to_owned(),
        None => format!("\"{}\"", hash(&bytes)),
    };
    let etag_value = HeaderValue::from_str(&etag).map_err(ApiError::internal)?;
    if if_none_match.is_some_and(|header| matches_any(&header, &etag)) {
        let not_modified = HttpResponse::NotModified()
            .insert_header((header::ETAG, etag_value))
            .finish();
        return Ok(ServiceResponse::new(request, not_modified));
    }
    head.headers_mut().insert(header::ETAG, etag_value);
    Ok(ServiceResponse::new(
        request,
        head.set_body(bytes).map_into_boxed_body(),
    ))
}

/// Whether a comma-separated `If-None-Match`/`If-Match` list names `etag` (or is `*`).
fn matches_any(list: &str, etag: &str) -> bool {
    let bare = etag.trim_start_matches("W/");
    list.split(',')
        .map(str::trim)
        .any(|tag| tag == "*" || tag.trim_start_matches("W/") == bare)
}

/// A versioned resource as JSON with the `ETag` `"v{version}-{hash}"`: the version part is what
/// `If-Match` checks, the hash part changes with anything else in the representation.
pub fn versioned_json<T: Serialize>(version: i64, body: &T) -> Result<HttpResponse, ApiError> {
    let bytes = serde_json::to_vec(body).map_err(ApiError::internal)?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, format!("\"v{version}-{}\"", hash(&bytes))))
        .content_type("application/json")
        .body(bytes))
}

/// The version `If-Match` expects: `None` without the header or with `*`; a version that never
/// exists for a tag this API did not issue (so the write answers 412).
pub fn expected_version(req: &HttpRequest) -> Option<i64> {
    let header = req
        .headers()
        .get(header::IF_MATCH)?
        .to_str()
        .unwrap_or("\"garbage\"");
    let first = header.split(',').map(str::trim).next().unwrap_or_default();
    if first == "*" {
        return None;
    }
    let version = first
        .trim_start_matches("W/")
        .trim_matches('"')
        .strip_prefix('v')
        .and_then(|rest| rest.split('-').next())
        .and_then(|v| v.parse().ok());
    Some(version.unwrap_or(-1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[test]
    fn if_match_reads_the_version_part() {
        let req = |value: &str| {
            TestRequest::default()
                .insert_header((header::IF_MATCH, value))
                .to_http_request()
        };
        assert_eq!(expected_version(&req("\"v3-abc\"")), Some(3));
        assert_eq!(expected_version(&req("W/\"v12-abc\"")), Some(12));
        assert_eq!(expected_version(&req("*")), None);
        assert_eq!(expected_version(&req("\"something\"")), Some(-1));
        assert_eq!(
            expected_version(&TestRequest::default().to_http_request()),
            None
        );
    }

    #[test]
    fn if_none_match_lists_are_compared_weakly() {
        assert!(matches_any("\"a\", \"b\"", "\"b\""));
        assert!(matches_any("W/\"b\"", "\"b\""));
        assert!(matches_any("*", "\"b\""));
        assert!(!matches_any("\"a\"", "\"b\""));
    }
}
