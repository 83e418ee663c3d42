//! Conditional requests: `ETag`s (the answer cache middleware answers `If-None-Match` → 304 on GETs),
//! and `If-Match` on PATCH compared with the resource's version (→ 412 when stale).

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::http::error::ApiError;

/// A strong validator for `bytes`.
pub fn hash(bytes: &[u8]) -> String {
    hex::encode(&Sha256::digest(bytes)[..12])
}

/// Whether a comma-separated `If-None-Match`/`If-Match` list names `etag` (or is `*`).
pub(crate) fn matches_any(list: &str, etag: &str) -> bool {
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
