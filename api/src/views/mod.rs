//! Caller-scoped read model → wire types. Views read and render; they never answer a request
//! themselves, so feeds and the status page render the same views the JSON handlers do.

pub mod accounts;
pub mod availability;
pub mod changes;
pub mod chat;
pub mod email;
pub mod events;
pub mod feeds;
pub mod incidents;
pub mod maintenances;
pub mod statements;
pub mod status;
pub mod status_page;
pub mod webhooks;
