//! Runs diesel work on the blocking thread pool, never on actix's async workers.

use actix_web::web;
use persistence::{DbConnection, Pool, RepoError};

use crate::error::ApiError;

/// The shared connection pool, as application data.
#[derive(Clone)]
pub struct Db {
    pool: Pool,
}

impl Db {
    pub fn new(pool: Pool) -> Self {
        Self { pool }
    }

    /// Runs `work` with a pooled connection on the blocking pool.
    pub async fn run<T, F>(&self, work: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConnection) -> Result<T, RepoError> + Send + 'static,
    {
        let pool = self.pool.clone();
        web::block(move || {
            let mut conn = pool.get()?;
            work(&mut conn)
        })
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::from)
    }

    /// Like [`Db::run`], inside one transaction (run again if SQLite reports it busy).
    pub async fn transaction<T, F>(&self, work: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnMut(&mut DbConnection) -> Result<T, RepoError> + Send + 'static,
    {
        self.run(move |conn| persistence::repo::transaction(conn, work))
            .await
    }
}
