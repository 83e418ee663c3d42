//! Runs diesel work on the blocking thread pool, never on actix's async workers.

use std::sync::Arc;

use actix_web::web;
use persistence::repo::events::NameIndex;
use persistence::{DbConnection, Pool, RepoError};

use crate::error::ApiError;

/// The shared connection pool, as application data, with the process's cache of the names
/// event text must not carry.
#[derive(Clone)]
pub struct Db {
    pool: Pool,
    names: Arc<NameIndex>,
}

impl Db {
    pub fn new(pool: Pool) -> Self {
        Self {
            pool,
            names: Arc::default(),
        }
    }

    /// The event-text guard's name index, for writes of event text.
    pub fn names(&self) -> Arc<NameIndex> {
        Arc::clone(&self.names)
    }

    /// Runs `work` with a pooled connection on the blocking pool.
    pub async fn run<T, F>(&self, work: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConnection) -> Result<T, RepoError> + Send + 'static,
    {
        let pool = self.pool.clone();
        let request_id = crate::observe::current_request_id();
        web::block(move || {
            crate::observe::with_request_id(request_id, || {
                let mut conn = pool.get()?;
                work(&mut conn)
            })
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
