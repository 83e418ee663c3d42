//! Repositories, one module per table, plus the paging and timestamp helpers they share.

/// How feed tokens start (so a leaked one is recognisable, e.g. by secret scanners); an email
/// link's view key starts the same way.
pub const TOKEN_PREFIX: &str = "slrf_";

pub mod accounts;
pub mod audit;
pub mod availability;
pub mod catalogue;
pub mod contacts;
pub mod email;
pub mod feed_tokens;
pub mod idempotency;
pub mod incident_reports;
pub mod incidents;
pub mod maintenances;
pub mod offerings;
pub mod statements;
pub mod tenants;
pub mod webhooks;

use diesel::RunQueryDsl;
use time::{OffsetDateTime, PrimitiveDateTime};

use crate::connection::DbConnection;
use crate::{RepoError, RepoResult};

/// A stored domain value with its bookkeeping timestamps (UTC).
#[derive(Debug, Clone, PartialEq)]
pub struct Record<T> {
    pub item: T,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

/// Keyset pagination: rows with id greater than `after`, at most `limit` of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    pub after: Option<i64>,
    pub limit: i64,
}

impl PageRequest {
    /// The first `limit` rows.
    pub fn first(limit: i64) -> Self {
        Self { after: None, limit }
    }
}

/// One page of rows and the id to continue after, if more rows exist.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_after: Option<i64>,
}

impl<T> Page<T> {
    /// Builds a page from up to `limit + 1` rows fetched in id order.
    pub(crate) fn from_rows(
        mut rows: Vec<T>,
        request: PageRequest,
        id: impl Fn(&T) -> i64,
    ) -> Self {
        let limit = usize::try_from(request.limit).unwrap_or(0);
        let next_after = if rows.len() > limit {
            rows.truncate(limit);
            rows.last().map(&id)
        } else {
            None
        };
        Page {
            items: rows,
            next_after,
        }
    }

    /// Pages rows computed in memory, already in id order: those past the cursor, up to the limit.
    pub fn from_sorted(rows: Vec<T>, request: PageRequest, id: impl Fn(&T) -> i64) -> Self {
        let limit = usize::try_from(request.limit).unwrap_or(0);
        let after = request.after.unwrap_or(i64::MIN);
        let rows: Vec<T> = rows
            .into_iter()
            .filter(|row| id(row) > after)
            .take(limit + 1)
            .collect();
        Self::from_rows(rows, request, id)
    }

    /// Replaces the items with what `f` makes of them all at once (e.g. rows into records).
    pub fn and_then_items<U, E>(
        self,
        f: impl FnOnce(Vec<T>) -> Result<Vec<U>, E>,
    ) -> Result<Page<U>, E> {
        Ok(Page {
            items: f(self.items)?,
            next_after: self.next_after,
        })
    }

    /// Converts every item, failing on the first error.
    pub fn try_map<U, E>(self, f: impl FnMut(T) -> Result<U, E>) -> Result<Page<U>, E> {
        self.and_then_items(|items| items.into_iter().map(f).collect())
    }
}

/// The current time as stored: UTC, truncated to microseconds (what both backends keep).
pub fn now() -> PrimitiveDateTime {
    stored(OffsetDateTime::now_utc())
}

pub(crate) fn utc(at: PrimitiveDateTime) -> OffsetDateTime {
    at.assume_utc()
}

/// Wraps a domain value parsed from a row with the row's timestamps.
pub(crate) fn record<T>(
    item: Result<T, domain::DomainError>,
    created_at: PrimitiveDateTime,
    updated_at: PrimitiveDateTime,
) -> Result<Record<T>, RepoError> {
    let item = item.map_err(|e| RepoError::Corrupt(e.to_string()))?;
    Ok(Record {
        item,
        created_at: utc(created_at),
        updated_at: utc(updated_at),
    })
}

/// What a write needs of an account it refers to, read straight from its table: repositories
/// never call each other. `NotFound` when missing (wrap in [`referenced`] to name the field).
pub(crate) struct AccountRef {
    pub(crate) kind: domain::AccountKind,
    pub(crate) name: String,
}

pub(crate) fn account_ref(
    conn: &mut DbConnection,
    id: domain::AccountId,
) -> Result<AccountRef, RepoError> {
    use crate::schema::accounts;
    use diesel::prelude::*;
    let (kind, name): (String, String) = accounts::table
        .find(id.0)
        .select((accounts::kind, accounts::name))
        .first(conn)?;
    Ok(AccountRef {
        kind: domain::AccountKind::parse(&kind)?,
        name,
    })
}

/// The name of a service a write refers to (`NotFound` when missing).
pub(crate) fn service_name(
    conn: &mut DbConnection,
    id: domain::ServiceId,
) -> Result<String, RepoError> {
    use crate::schema::services;
    use diesel::prelude::*;
    Ok(services::table
        .find(id.0)
        .select(services::name)
        .first(conn)?)
}

/// That a classification a write refers to exists (`NotFound` when missing).
pub(crate) fn classification_exists(
    conn: &mut DbConnection,
    id: domain::ClassificationId,
) -> Result<(), RepoError> {
    use crate::schema::classifications;
    use diesel::prelude::*;
    classifications::table
        .find(id.0)
        .select(classifications::id)
        .first::<i64>(conn)?;
    Ok(())
}

/// Turns "not found" for a referenced id into an error naming the request field.
pub(crate) fn referenced<T>(
    found: Result<T, RepoError>,
    field: &'static str,
    what: &str,
) -> Result<T, RepoError> {
    match found {
        Err(RepoError::NotFound) => {
            Err(domain::DomainError::invalid(field, format!("no {what} with this id")).into())
        }
        other => other,
    }
}

/// Fails with `NotFound` when a write or delete touched no row.
pub(crate) fn touched(rows: usize) -> Result<(), RepoError> {
    if rows == 0 {
        Err(RepoError::NotFound)
    } else {
        Ok(())
    }
}

/// A trivial query: proves the database answers.
pub fn ping(conn: &mut crate::DbConnection) -> Result<(), RepoError> {
    use diesel::connection::SimpleConnection;
    conn.batch_execute("SELECT 1")
        .map_err(|e| RepoError::Unavailable(e.to_string()))
}

/// Runs `work` in one transaction: all of its writes land, or none. Every write goes through
/// here. On SQLite the transaction begins `IMMEDIATE`: it takes the write lock up front (waiting
/// up to the busy timeout), so concurrent writers queue instead of failing when a read lock
/// cannot be upgraded ("database is locked"); should SQLite still report busy, the whole
/// transaction runs again. Inside another transaction it is a savepoint.
pub fn transaction<T>(
    conn: &mut crate::DbConnection,
    work: impl FnMut(&mut crate::DbConnection) -> Result<T, RepoError>,
) -> Result<T, RepoError> {
    transaction_ordered(conn, true, work)
}

/// Like [`transaction`] for writes to tables outside the data version (the webhook outbox's
/// bookkeeping): on Postgres they do not queue behind the data writers' counter lock.
pub fn side_transaction<T>(
    conn: &mut crate::DbConnection,
    work: impl FnMut(&mut crate::DbConnection) -> Result<T, RepoError>,
) -> Result<T, RepoError> {
    transaction_ordered(conn, false, work)
}

fn transaction_ordered<T>(
    conn: &mut crate::DbConnection,
    ordered: bool,
    mut work: impl FnMut(&mut crate::DbConnection) -> Result<T, RepoError>,
) -> Result<T, RepoError> {
    const ATTEMPTS: u32 = 20;
    let mut attempt = 1;
    loop {
        let result = if begin_immediate(conn)? {
            let result = work(conn);
            finish_immediate(conn, result)
        } else {
            diesel::Connection::transaction(conn, |conn| {
                if ordered {
                    order_writers(conn)?;
                }
                work(conn)
            })
        };
        match result {
            Err(RepoError::Busy(cause)) if attempt < ATTEMPTS => {
                log::debug!(
                    "retrying a transaction after SQLite busy ({cause}), attempt {attempt}"
                );
                std::thread::sleep(std::time::Duration::from_millis(u64::from(attempt) * 5));
                attempt += 1;
            }
            other => return other,
        }
    }
}

const DATA_COUNTER: &str = "data";

/// On Postgres, locks the `data` counter row first: the triggers that bump it (one data version
/// for every replica's cached answers) then cannot deadlock against rows this transaction takes
/// later, and writers commit in version order. SQLite's `BEGIN IMMEDIATE` already orders them.
fn order_writers(conn: &mut crate::DbConnection) -> Result<(), RepoError> {
    use diesel::connection::SimpleConnection;
    if let crate::DbConnection::Postgresql(conn) = conn {
        conn.batch_execute("SELECT value FROM change_counters WHERE name = 'data' FOR UPDATE")?;
    }
    Ok(())
}

/// The data version: bumped by every write to what reads show, in the writing transaction.
pub fn data_version(conn: &mut crate::DbConnection) -> Result<i64, RepoError> {
    use crate::schema::change_counters;
    use diesel::prelude::*;
    Ok(change_counters::table
        .find(DATA_COUNTER)
        .select(change_counters::value)
        .first(conn)?)
}

/// Begins `BEGIN IMMEDIATE` on a SQLite connection outside any transaction; `false` when the
/// caller should use an ordinary (or nested) transaction instead.
fn begin_immediate(conn: &mut crate::DbConnection) -> Result<bool, RepoError> {
    use diesel::connection::{AnsiTransactionManager, TransactionManager};
    let crate::DbConnection::Sqlite(inner) = conn else {
        return Ok(false);
    };
    if AnsiTransactionManager::transaction_manager_status_mut(inner)
        .transaction_depth()?
        .is_some()
    {
        return Ok(false);
    }
    AnsiTransactionManager::begin_transaction_sql(inner, "BEGIN IMMEDIATE")?;
    Ok(true)
}

/// Commits after `work` succeeded, rolls back after it failed.
fn finish_immediate<T>(
    conn: &mut crate::DbConnection,
    result: Result<T, RepoError>,
) -> Result<T, RepoError> {
    use diesel::connection::{AnsiTransactionManager, TransactionManager};
    let crate::DbConnection::Sqlite(inner) = conn else {
        return result;
    };
    match result {
        Ok(value) => {
            AnsiTransactionManager::commit_transaction(inner)?;
            Ok(value)
        }
        Err(error) => {
            if let Err(rollback) = AnsiTransactionManager::rollback_transaction(inner) {
                log::warn!("rollback failed after {error}: {rollback}");
            }
            Err(error)
        }
    }
}

/// Timestamps as stored: UTC without offset.
pub(crate) fn stored(at: time::OffsetDateTime) -> PrimitiveDateTime {
    let at = at.to_offset(time::UtcOffset::UTC);
    let at = at.replace_nanosecond(at.microsecond() * 1000).unwrap_or(at);
    PrimitiveDateTime::new(at.date(), at.time())
}

/// Every row a paged query returns, following its pages.
pub fn all_rows<T>(
    fetch: impl FnMut(PageRequest) -> Result<Page<T>, RepoError>,
) -> Result<Vec<T>, RepoError> {
    all_rows_in(1000, fetch)
}

/// [`all_rows`], `limit` rows a page.
pub fn all_rows_in<T>(
    limit: i64,
    mut fetch: impl FnMut(PageRequest) -> Result<Page<T>, RepoError>,
) -> Result<Vec<T>, RepoError> {
    let mut rows = Vec::new();
    let mut after = None;
    loop {
        let page = fetch(PageRequest { after, limit })?;
        rows.extend(page.items);
        match page.next_after {
            Some(next) => after = Some(next),
            None => return Ok(rows),
        }
    }
}

/// Claims up to `limit` due rows of an outbox `table` (webhook deliveries, emails) for
/// `worker` until `until`: pending, due at `at`, and not claimed by a live lease; `join`
/// narrows the candidates (`d` is the outbox row). Another worker (another replica) skips them
/// meanwhile and takes them over only if this one dies before recording an attempt. On
/// Postgres the candidates are locked `FOR UPDATE SKIP LOCKED`, so concurrent claims never wait
/// for or take each other's rows; SQLite's single writer serialises claims. Returns the ids.
pub(crate) fn claim_due(
    conn: &mut DbConnection,
    table: &str,
    join: &str,
    worker: &str,
    at: time::OffsetDateTime,
    until: time::OffsetDateTime,
    limit: i64,
) -> RepoResult<Vec<i64>> {
    #[derive(diesel::QueryableByName)]
    struct Id {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        id: i64,
    }
    let candidates = format!(
        "SELECT d.id FROM {table} d {join} \
         WHERE d.state = 'pending' AND d.next_attempt_at <= $1 \
         AND (d.claimed_until IS NULL OR d.claimed_until < $1) \
         ORDER BY d.next_attempt_at, d.id LIMIT $2"
    );
    let candidates = match conn {
        DbConnection::Postgresql(_) => format!("{candidates} FOR UPDATE OF d SKIP LOCKED"),
        DbConnection::Sqlite(_) => candidates.replace("$1", "?1").replace("$2", "?2"),
    };
    let (claimed_until, claimed_by) = match conn {
        DbConnection::Postgresql(_) => ("$3", "$4"),
        DbConnection::Sqlite(_) => ("?3", "?4"),
    };
    let sql = format!(
        "UPDATE {table} SET claimed_until = {claimed_until}, claimed_by = {claimed_by} \
         WHERE id IN ({candidates}) RETURNING id"
    );
    let ids: Vec<Id> = diesel::sql_query(sql)
        .bind::<diesel::sql_types::Timestamp, _>(stored(at))
        .bind::<diesel::sql_types::BigInt, _>(limit)
        .bind::<diesel::sql_types::Timestamp, _>(stored(until))
        .bind::<diesel::sql_types::Text, _>(worker)
        .load(conn)?;
    Ok(ids.into_iter().map(|i| i.id).collect())
}

/// Where an outbox message (a webhook delivery, an email) stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryState {
    /// Not sent yet, or to be tried again at `next_attempt_at`.
    Pending,
    Delivered,
    /// Given up on (retries exhausted).
    Failed,
}

impl DeliveryState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Delivered => "delivered",
            Self::Failed => "failed",
        }
    }

    fn parse(raw: &str) -> RepoResult<Self> {
        match raw {
            "pending" => Ok(Self::Pending),
            "delivered" => Ok(Self::Delivered),
            "failed" => Ok(Self::Failed),
            other => Err(RepoError::Corrupt(format!("delivery state {other:?}"))),
        }
    }
}

pub(crate) fn ids_of(stored: &str) -> Vec<i64> {
    stored
        .split_whitespace()
        .filter_map(|id| id.parse().ok())
        .collect()
}

pub(crate) fn stored_ids(ids: &[i64]) -> String {
    ids.iter().map(i64::to_string).collect::<Vec<_>>().join(" ")
}
