//! Runs diesel work on the blocking thread pool, never on actix's async workers.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::web;
use persistence::events::NameIndex;
use persistence::model::{Model, ReadModel};
use persistence::{DbConnection, Pool, RepoError};

use crate::http::error::ApiError;

/// What announcements are written with: the read model (who sees what; it derefs to it),
/// where people reach this API (`SLR_PUBLIC_URL`, for the links in chat messages) and whether
/// this server sends email (without SMTP no message is queued).
#[derive(Clone)]
pub struct Announcing {
    pub model: Arc<ReadModel>,
    pub public_url: Arc<str>,
    pub mails: bool,
}

impl std::ops::Deref for Announcing {
    type Target = ReadModel;
    fn deref(&self) -> &ReadModel {
        &self.model
    }
}

/// How long readiness and, during an outage, a probing request wait for a connection.
const QUICK: Duration = Duration::from_millis(800);
/// During an outage, one request in this interval probes the database; the others fail fast.
const PROBE_EVERY: Duration = Duration::from_millis(100);

/// How long one request may spend waiting for the database while it is unreachable: however
/// many database steps a handler takes, it answers 503 within about a second.
const REQUEST_BUDGET: Duration = Duration::from_millis(900);

/// One request's dealings with the database (a task-local for the request's handling, set
/// up by the access-log middleware): its deadline, and whether it already found the database
/// unreachable — then its later steps fail at once instead of probing again.
struct RequestBudget {
    deadline: Instant,
    unavailable: std::cell::Cell<bool>,
}

tokio::task_local! {
    static REQUEST: RequestBudget;
}

/// Runs a request's handling under a fresh [`REQUEST_BUDGET`].
pub async fn within_budget<F: std::future::Future>(handling: F) -> F::Output {
    let budget = RequestBudget {
        deadline: Instant::now() + REQUEST_BUDGET,
        unavailable: std::cell::Cell::new(false),
    };
    REQUEST.scope(budget, handling).await
}

/// Whether the database was last found unreachable. While it is, requests answer 503 at once
/// (with `Retry-After`) instead of each waiting out the pool's timeout, and one request every
/// [`PROBE_EVERY`] tries it again, so service resumes by itself within a fraction of a second.
#[derive(Debug)]
struct Outage {
    down: AtomicBool,
    /// Milliseconds after `epoch` when the next probe may go.
    next_probe: AtomicU64,
    epoch: Instant,
}

impl Outage {
    fn new() -> Self {
        Self {
            down: AtomicBool::new(false),
            next_probe: AtomicU64::new(0),
            epoch: Instant::now(),
        }
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// `None` to fail fast; else how long this request may wait for a connection.
    fn admit(&self) -> Option<Option<Duration>> {
        if !self.down.load(Ordering::Acquire) {
            return Some(None);
        }
        let now = self.now_ms();
        let due = self.next_probe.load(Ordering::Acquire);
        let next = now + u64::try_from(PROBE_EVERY.as_millis()).unwrap_or(100);
        (now >= due
            && self
                .next_probe
                .compare_exchange(due, next, Ordering::AcqRel, Ordering::Acquire)
                .is_ok())
        .then_some(Some(QUICK))
    }

    fn observe<T>(&self, result: &Result<T, RepoError>) {
        match result {
            Err(RepoError::Unavailable(_)) => {
                if !self.down.swap(true, Ordering::AcqRel) {
                    log::error!("the database is unreachable: failing fast until it is back");
                }
            }
            // Any answer from the database (even a refusal) means it is reachable.
            _ => {
                if self.down.swap(false, Ordering::AcqRel) {
                    log::info!("the database is reachable again");
                }
            }
        }
    }
}

/// The shared connection pool and the read model, as application data, with the process's
/// cache of the names event text must not carry and what it knows of a database outage.
#[derive(Clone)]
pub struct Db {
    pool: Pool,
    /// The read model (`announcing.model`), and what this server's announcements are written
    /// with.
    announcing: Announcing,
    names: Arc<NameIndex>,
    outage: Arc<Outage>,
    /// Connections taken from the pool (`slr_db_checkouts_total`): a read answered from memory
    /// takes none.
    checkouts: Arc<AtomicU64>,
}

impl Db {
    pub fn new(pool: Pool, announcing: Announcing) -> Self {
        Self {
            pool,
            announcing,
            names: Arc::default(),
            outage: Arc::new(Outage::new()),
            checkouts: Arc::default(),
        }
    }

    /// How many times work has taken a connection from the pool.
    pub fn checkouts(&self) -> u64 {
        self.checkouts.load(Ordering::Relaxed)
    }

    /// Connections open in the pool, and how many of them are idle.
    pub fn pool_state(&self) -> (u32, u32) {
        let state = self.pool.state();
        (state.connections, state.idle_connections)
    }

    /// Whether this server sends email (`SLR_SMTP_URL` is set): without it nothing is queued
    /// and email subscriptions are refused.
    pub fn mails(&self) -> bool {
        self.announcing.mails
    }

    /// The data version the read model reflects.
    pub fn version(&self) -> i64 {
        self.announcing.model.version()
    }

    /// Runs `read` on the read model, on the blocking pool (reports compute there): no
    /// database work.
    pub async fn read<T, F>(&self, read: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut &Model) -> Result<T, RepoError> + Send + 'static,
    {
        let model = Arc::clone(&self.announcing.model);
        web::block(move || model.read(|mut now| read(&mut now)))
            .await
            .map_err(ApiError::internal)?
            .map_err(ApiError::from)
    }

    /// The read model, brought up to date first, for rendering what a write announces to
    /// webhooks: the directory (who sees which tenant) then includes every change committed
    /// before the write. Best effort: a write that fails on the database fails anyway — at once,
    /// as the request already found it unreachable.
    pub async fn model_for_announcing(&self) -> Announcing {
        let _ = self.catch_up().await;
        self.announcing.clone()
    }

    /// The feed token with this hash and the caller it reads as, from the read model.
    pub fn feed_caller(&self, hash: &str) -> Option<(i64, domain::Caller)> {
        self.announcing.model.read(|model| model.feed_caller(hash))
    }

    /// The reader behind an email link's view key (by its hash), from the read model.
    pub fn email_link_caller(&self, hash: &str) -> Option<domain::Caller> {
        self.announcing
            .model
            .read(|model| model.email_link_caller(hash))
    }

    /// The caller behind a token's contact, from the read model.
    pub fn caller(&self, contact: domain::ContactId) -> Result<domain::Caller, RepoError> {
        self.announcing.model.read(|model| model.caller(contact))
    }

    /// Applies what was committed after the read model's version (after this replica's own
    /// writes, so the next read sees them).
    pub async fn catch_up(&self) -> Result<i64, ApiError> {
        let model = Arc::clone(&self.announcing.model);
        self.run(move |conn| model.catch_up(conn)).await
    }

    /// Readiness: a connection within [`QUICK`] and a trivial query, outage or not.
    pub async fn ready(&self) -> Result<(), ApiError> {
        self.on_pool(Some(QUICK), persistence::repo::ping).await
    }

    /// The event-text guard's name index, for writes of event text.
    pub fn names(&self) -> Arc<NameIndex> {
        Arc::clone(&self.names)
    }

    /// Runs `work` with a pooled connection on the blocking pool; during a database outage,
    /// fails fast with 503 (see [`Outage`]).
    pub async fn run<T, F>(&self, work: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConnection) -> Result<T, RepoError> + Send + 'static,
    {
        let failing_fast = || ApiError::unavailable("still failing fast after a database outage");
        if REQUEST.try_with(|r| r.unavailable.get()).unwrap_or(false) {
            return Err(failing_fast());
        }
        let Some(wait) = self.outage.admit() else {
            return Err(failing_fast());
        };
        // A probe waits no longer than what is left of the request's budget.
        let wait = match (wait, REQUEST.try_with(|r| r.deadline)) {
            (Some(wait), Ok(deadline)) => {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    return Err(failing_fast());
                }
                Some(wait.min(left))
            }
            (wait, _) => wait,
        };
        let result = self.on_pool(wait, work).await;
        if result.as_ref().is_err_and(ApiError::is_unavailable) {
            let _ = REQUEST.try_with(|r| r.unavailable.set(true));
        }
        result
    }

    /// `work` on a connection got within `wait` (the pool's own timeout when `None`).
    async fn on_pool<T, F>(&self, wait: Option<Duration>, work: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConnection) -> Result<T, RepoError> + Send + 'static,
    {
        let pool = self.pool.clone();
        let outage = Arc::clone(&self.outage);
        self.checkouts.fetch_add(1, Ordering::Relaxed);
        let request_id = crate::http::request_id::current_request_id();
        web::block(move || {
            crate::http::request_id::with_request_id(request_id, || {
                let result = match wait {
                    Some(wait) => pool.get_timeout(wait),
                    None => pool.get(),
                }
                .map_err(RepoError::from)
                .and_then(|mut conn| work(&mut conn));
                outage.observe(&result);
                result
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
