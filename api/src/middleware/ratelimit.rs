//! Rate limits per verified caller, and per client IP for requests without a valid token: a generous default for
//! dashboards, configurable, answering 429 problem+json with `Retry-After` and
//! `RateLimit-Limit`/`-Remaining`/`-Reset` when exceeded. Built on the `governor` crate's GCRA
//! limiter (MIT/Apache-2.0; its actix wrapper is GPL-3.0, which this Apache-2.0 binary must not
//! link) with a small middleware of our own.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::{Arc, Weak};

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{web, HttpMessage, ResponseError};
use governor::clock::{Clock, DefaultClock};
use governor::middleware::StateInformationMiddleware;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};

use crate::http::auth::Resolved;
use crate::http::error::{ApiError, ErrorCode};
use crate::http::state::AppState;
use crate::settings::RateLimit;

/// Whom a request counts against: the contact a verified token (bearer or feed token) names,
/// else the client's address. A token that does not verify counts against its address, so
/// random bearers share their client's allowance instead of getting one each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Caller {
    Contact(i64),
    Address(Option<IpAddr>),
}

fn caller(req: &ServiceRequest, trusted_proxies: &[IpAddr]) -> Caller {
    let verified =
        AppState::of(req.request()).and_then(|state| state.callers.resolve(req.request()).ok());
    match verified {
        Some(verified) => {
            let contact = verified.contact_id.0;
            // Later extractors take the caller from here instead of resolving it again.
            req.extensions_mut().insert(Resolved(verified));
            Caller::Contact(contact)
        }
        None => Caller::Address(client_address(req, trusted_proxies)),
    }
}

/// The client's address: the peer's, or — when the peer is a trusted proxy
/// (`SLR_TRUSTED_PROXIES`) — the nearest address in `X-Forwarded-For` that is not one.
/// Without trusted proxies the header is ignored: any client could write it.
fn client_address(req: &ServiceRequest, trusted_proxies: &[IpAddr]) -> Option<IpAddr> {
    let peer = req.peer_addr().map(|addr| addr.ip());
    if !peer.is_some_and(|peer| trusted_proxies.contains(&peer)) {
        return peer;
    }
    let forwarded: Vec<IpAddr> = req
        .headers()
        .get_all(HeaderName::from_static("x-forwarded-for"))
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map_while(|hop| hop.trim().parse().ok())
        .collect();
    forwarded
        .iter()
        .rev()
        .find(|hop| !trusted_proxies.contains(hop))
        .or(forwarded.first())
        .copied()
        .or(peer)
}

type Keyed =
    RateLimiter<Caller, DefaultKeyedStateStore<Caller>, DefaultClock, StateInformationMiddleware>;

/// The limiter shared by every worker; `None` inside when limits are off.
#[derive(Clone)]
pub struct Limiter {
    inner: Option<(Arc<Keyed>, RateLimit)>,
    /// Proxies whose `X-Forwarded-For` names the client (`SLR_TRUSTED_PROXIES`).
    trusted_proxies: Arc<[IpAddr]>,
}

impl Limiter {
    /// With a thread forgetting idle callers every minute (it ends with the server).
    pub fn new(limit: Option<RateLimit>, trusted_proxies: &[IpAddr]) -> Self {
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
        Limiter {
            inner,
            trusted_proxies: trusted_proxies.into(),
        }
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
    let trusted_proxies = Arc::clone(&limiter.trusted_proxies);
    let Some((limiter, limit)) = limiter.inner.clone() else {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_boxed_body);
    };
    let key = caller(&req, &trusted_proxies);
    match limiter.check_key(&key) {
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
