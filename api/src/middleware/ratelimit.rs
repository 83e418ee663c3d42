//! Rate limits per token, and per client IP for requests without one: a generous default for
//! dashboards, configurable, answering 429 problem+json with `Retry-After` and
//! `RateLimit-Limit`/`-Remaining`/`-Reset` when exceeded. Built on the `governor` crate's GCRA
//! limiter (MIT/Apache-2.0; its actix wrapper is GPL-3.0, which this Apache-2.0 binary must not
//! link) with a small middleware of our own.

use std::hash::{Hash, Hasher};
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::{Arc, Weak};

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{web, ResponseError};
use governor::clock::{Clock, DefaultClock};
use governor::middleware::StateInformationMiddleware;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};

use crate::http::error::{ApiError, ErrorCode};
use crate::settings::RateLimit;

/// Whom a request counts against: its bearer token (hashed: only a key is kept, never the
/// token), else the client's IP address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Caller {
    Token(u64),
    Address(Option<IpAddr>),
}

fn caller(req: &ServiceRequest) -> Caller {
    match crate::http::auth::bearer_token(req.request())
        .ok()
        .flatten()
    {
        Some(token) => {
            let mut hasher = std::collections::hash_map::DefaultHasher::new();
            token.hash(&mut hasher);
            Caller::Token(hasher.finish())
        }
        None => Caller::Address(req.peer_addr().map(|addr| addr.ip())),
    }
}

type Keyed =
    RateLimiter<Caller, DefaultKeyedStateStore<Caller>, DefaultClock, StateInformationMiddleware>;

/// The limiter shared by every worker; `None` inside when limits are off.
#[derive(Clone)]
pub struct Limiter {
    inner: Option<(Arc<Keyed>, RateLimit)>,
}

impl Limiter {
    /// With a thread forgetting idle callers every minute (it ends with the server).
    pub fn new(limit: Option<RateLimit>) -> Self {
        let inner = limit.map(|limit| {
            let quota = |n: u64| NonZeroU32::new(u32::try_from(n).unwrap_or(u32::MAX).max(1));
            let quota = match (quota(limit.per_second), NonZeroU32::new(limit.burst.max(1))) {
                (Some(rate), Some(burst)) => Quota::per_second(rate).allow_burst(burst),
                _ => Quota::per_second(NonZeroU32::MIN),
            };
            let keyed =
                Arc::new(RateLimiter::keyed(quota).with_middleware::<StateInformationMiddleware>());
            let weak: Weak<Keyed> = Arc::downgrade(&keyed);
            std::thread::spawn(move || loop {
                std::thread::sleep(std::time::Duration::from_secs(60));
                match weak.upgrade() {
                    Some(limiter) => limiter.retain_recent(),
                    None => return,
                }
            });
            (keyed, limit)
        });
        Limiter { inner }
    }
}

fn set<B>(response: &mut actix_web::HttpResponse<B>, name: &'static str, value: impl ToString) {
    if let Ok(value) = HeaderValue::from_str(&value.to_string()) {
        response
            .headers_mut()
            .insert(HeaderName::from_static(name), value);
    }
}

/// Counts the request against its caller: over the limit, 429 problem+json with `Retry-After`
/// and `RateLimit-*`; within it, the answer carries `x-ratelimit-limit`/`-remaining`.
pub async fn rate_limit(
    limiter: web::Data<Limiter>,
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let Some((limiter, limit)) = limiter.inner.clone() else {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_boxed_body);
    };
    match limiter.check_key(&caller(&req)) {
        Ok(state) => {
            let mut response = next.call(req).await?;
            set(response.response_mut(), "x-ratelimit-limit", limit.burst);
            set(
                response.response_mut(),
                "x-ratelimit-remaining",
                state.remaining_burst_capacity(),
            );
            Ok(response.map_into_boxed_body())
        }
        Err(not_until) => {
            let wait = not_until
                .wait_time_from(DefaultClock::default().now())
                .as_secs()
                .max(1);
            let mut response = ApiError::new(
                ErrorCode::RateLimited,
                format!(
                    "more than {} requests a second (bursts of {}); retry in {wait} s",
                    limit.per_second, limit.burst
                ),
            )
            .error_response();
            set(&mut response, "retry-after", wait);
            set(&mut response, "ratelimit-limit", limit.burst);
            set(&mut response, "ratelimit-remaining", 0);
            set(&mut response, "ratelimit-reset", wait);
            Ok(req.into_response(response))
        }
    }
}
