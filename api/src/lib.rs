//! The slr API: HTTP handlers, authentication, OpenAPI, CLI, settings and start-up.
//!
//! Layers, each importing only those below it (a test in `tests/tests/api/architecture.rs`
//! keeps it so): `settings` → `http` → `views` → `services` → `workers` → `middleware` →
//! `routes` → start-up (`startup`, `cli`, `demo`).

pub mod cli;
pub mod demo;
pub mod http;
pub mod middleware;
pub mod routes;
pub mod services;
pub mod settings;
pub mod startup;
pub mod views;
pub mod workers;

pub use settings::Settings;
pub use startup::{openapi, Application};
