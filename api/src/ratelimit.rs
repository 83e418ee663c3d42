//! Rate limits per token, and per client IP for requests without one (actix-governor): a
//! generous default for dashboards, configurable, answering 429 problem+json with
//! `Retry-After` and `RateLimit-Limit`/`-Remaining`/`-Reset` when exceeded.

use std::hash::{Hash, Hasher};
use std::net::IpAddr;

use actix_governor::governor::clock::{Clock, DefaultClock, QuantaInstant};
use actix_governor::governor::NotUntil;
use actix_governor::{KeyExtractor, SimpleKeyExtractionError};
use actix_web::dev::ServiceRequest;
use actix_web::http::header;
use actix_web::{HttpResponse, HttpResponseBuilder};

use crate::error::ApiError;

/// A sustained rate and a burst, per caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    pub per_second: u64,
    pub burst: u32,
}

impl Default for RateLimit {
    /// 20 requests a second sustained, bursts of 100: a dashboard polling a dozen widgets every
    /// few seconds never meets it; a runaway script does.
    fn default() -> Self {
        RateLimit {
            per_second: 20,
            burst: 100,
        }
    }
}

/// Whom a request counts against: its bearer token (hashed: only a key is kept, never the
/// token), else the client's IP address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Caller {
    Token(u64),
    Address(IpAddr),
}

#[derive(Debug, Clone, Copy)]
pub struct CallerKey {
    pub limit: RateLimit,
}

impl KeyExtractor for CallerKey {
    type Key = Caller;
    type KeyExtractionError = SimpleKeyExtractionError<&'static str>;

    fn extract(&self, req: &ServiceRequest) -> Result<Caller, Self::KeyExtractionError> {
        let token = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, token)| token.trim());
        if let Some(token) = token {
            let mut hasher = std::collections::hash_map::DefaultHasher::new();
            token.hash(&mut hasher);
            return Ok(Caller::Token(hasher.finish()));
        }
        req.peer_addr()
            .map(|addr| Caller::Address(addr.ip()))
            .ok_or_else(|| SimpleKeyExtractionError::new("the client address is unknown"))
    }

    fn exceed_rate_limit_response(
        &self,
        negative: &NotUntil<QuantaInstant>,
        mut response: HttpResponseBuilder,
    ) -> HttpResponse {
        let wait = negative
            .wait_time_from(DefaultClock::default().now())
            .as_secs()
            .max(1);
        let problem = ApiError::new(
            actix_web::http::StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            format!(
                "more than {} requests a second (bursts of {}); retry in {wait} s",
                self.limit.per_second, self.limit.burst
            ),
        )
        .problem();
        response
            .insert_header((header::RETRY_AFTER, wait.to_string()))
            .insert_header(("RateLimit-Limit", self.limit.burst.to_string()))
            .insert_header(("RateLimit-Remaining", "0"))
            .insert_header(("RateLimit-Reset", wait.to_string()))
            .content_type(crate::error::PROBLEM_JSON)
            .json(problem)
    }
}
