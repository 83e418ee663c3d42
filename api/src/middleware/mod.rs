//! What wraps every request: the answer cache, the rate limiter, request ids and the access
//! log, and metrics.

pub mod answers;
pub mod metrics;
pub mod observe;
pub mod ratelimit;
