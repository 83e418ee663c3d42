//! Persistence for slr: the diesel schema, the Postgres/SQLite connection and pool, migrations,
//! and repositories that take `&mut DbConnection` so they compose inside one transaction.

pub mod changes;
pub mod connection;
pub mod error;
pub mod events;
pub mod model;
pub mod repo;
pub mod schema;

pub use connection::{
    connect, connect_one, run_migrations, DatabaseTarget, DbConnection, Pool, PooledConnection,
};
pub use error::RepoError;
pub use repo::{Page, PageRequest, Record};

pub type RepoResult<T> = Result<T, RepoError>;
