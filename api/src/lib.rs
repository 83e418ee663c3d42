//! The slr API: HTTP handlers, authentication, OpenAPI, CLI, settings and start-up.

pub mod answers;
pub mod audit;
pub mod auth;
pub mod cli;
pub mod conditional;
pub mod db;
pub mod deliver;
pub mod demo;
pub mod error;
pub mod extract;
pub mod feeds;
pub mod idempotency;
pub mod metrics;
pub mod observe;
pub mod openapi;
pub mod pagination;
pub mod ratelimit;
pub mod routes;
pub mod settings;
pub mod startup;
pub mod status_page;
pub mod webhooks;
pub mod wire;

pub use settings::Settings;
pub use startup::{openapi, Application};
