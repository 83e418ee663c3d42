//! HTTP plumbing that knows no handler: errors as problem+json, extractors, pagination,
//! conditional requests, wire helpers, the OpenAPI finish, the database handle requests use,
//! authentication, and the route table built from the spec.

pub mod auth;
pub mod conditional;
pub mod db;
pub mod error;
pub mod extract;
pub mod idempotency;
pub mod negotiate;
pub mod openapi;
pub mod pagination;
pub mod report;
pub mod request_id;
pub mod routes;
pub mod signing;
pub mod state;
pub mod wire;
