//! The end-to-end suite: every test starts the real server against its own database.

mod architecture;
mod auth;
mod directory;
mod errors;
mod openapi;
mod operations;
mod writes;
