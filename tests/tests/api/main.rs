//! The end-to-end suite: every test starts the real server against its own database.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod architecture;
mod auth;
mod availability;
mod billing;
mod changes;
mod directory;
mod edges;
mod email;
mod errors;
mod events;
mod feeds;
mod hardening;
mod limits;
mod openapi;
mod operations;
mod recoveries;
mod replicas;
mod reports;
mod scoping;
mod spec_enums;
mod statements;
mod status_page;
mod webhooks;
mod writes;
