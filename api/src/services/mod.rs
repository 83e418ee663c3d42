//! Side effects inside a write's transaction: the audit log, webhook announcements (the
//! outbox), and the event write workflows.

pub mod audit;
pub mod directory;
pub mod email;
pub mod events;
pub mod webhooks;
