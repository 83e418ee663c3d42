//! Webhook endpoints an account registers, their outbox of deliveries (written in the
//! transaction of the event they announce) and every attempt to send one.

use diesel::prelude::*;
use domain::{
    AccountId, EventTypes, WebhookDescription, WebhookEventType, WebhookFormat, WebhookUrl,
};
use time::{OffsetDateTime, PrimitiveDateTime};

pub use super::DeliveryState;
use super::{ids_of, now, stored, stored_ids, utc, Page, PageRequest};
use crate::connection::DbConnection;
use crate::schema::{webhook_attempts, webhook_deliveries, webhook_formats, webhooks};
use crate::{RepoError, RepoResult};

/// A registered endpoint.
#[derive(Debug, Clone, PartialEq)]
pub struct Webhook {
    pub id: i64,
    pub account_id: AccountId,
    pub url: String,
    pub description: String,
    pub event_types: EventTypes,
    /// Only events of these services (empty: any).
    pub service_ids: Vec<i64>,
    /// Only events showing on one of these offerings (empty: any).
    pub offering_ids: Vec<i64>,
    pub secret: String,
    /// The secret before the last rotation, still signing until `previous_secret_until`.
    pub previous_secret: Option<(String, OffsetDateTime)>,
    pub enabled: bool,
    pub disabled_reason: Option<String>,
    pub consecutive_failures: i32,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    pub version: i64,
    /// How its deliveries are written.
    pub format: WebhookFormat,
}

impl Webhook {
    /// The secrets that sign a message sent at `at`: the current one, and the previous one
    /// during its grace period.
    pub fn signing_secrets(&self, at: OffsetDateTime) -> Vec<&str> {
        let mut secrets = vec![self.secret.as_str()];
        if let Some((previous, until)) = &self.previous_secret {
            if at < *until {
                secrets.push(previous);
            }
        }
        secrets
    }
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = webhooks)]
struct WebhookRow {
    id: i64,
    account_id: i64,
    url: String,
    description: String,
    event_types: String,
    service_ids: String,
    offering_ids: String,
    secret: String,
    previous_secret: Option<String>,
    previous_secret_until: Option<PrimitiveDateTime>,
    enabled: bool,
    disabled_reason: Option<String>,
    consecutive_failures: i32,
    created_at: PrimitiveDateTime,
    updated_at: PrimitiveDateTime,
    version: i64,
}

impl WebhookRow {
    fn into_webhook(self) -> RepoResult<Webhook> {
        Ok(Webhook {
            id: self.id,
            account_id: AccountId(self.account_id),
            url: self.url,
            description: self.description,
            event_types: EventTypes::parse(&self.event_types)
                .map_err(|e| RepoError::Corrupt(e.to_string()))?,
            service_ids: ids_of(&self.service_ids),
            offering_ids: ids_of(&self.offering_ids),
            secret: self.secret,
            previous_secret: self
                .previous_secret
                .zip(self.previous_secret_until.map(utc)),
            enabled: self.enabled,
            disabled_reason: self.disabled_reason,
            consecutive_failures: self.consecutive_failures,
            created_at: utc(self.created_at),
            updated_at: utc(self.updated_at),
            version: self.version,
            format: WebhookFormat::Standard,
        })
    }
}

/// A new endpoint.
#[derive(Debug, Clone)]
pub struct NewWebhook {
    pub account_id: AccountId,
    pub url: WebhookUrl,
    pub description: Option<WebhookDescription>,
    pub event_types: EventTypes,
    pub service_ids: Vec<i64>,
    pub offering_ids: Vec<i64>,
    pub secret: String,
    pub format: WebhookFormat,
}

/// `hooks` with their formats read from `webhook_formats`.
fn with_formats(conn: &mut DbConnection, mut hooks: Vec<Webhook>) -> RepoResult<Vec<Webhook>> {
    let ids: Vec<i64> = hooks.iter().map(|h| h.id).collect();
    let rows: Vec<(i64, String)> = webhook_formats::table
        .filter(webhook_formats::webhook_id.eq_any(ids))
        .select((webhook_formats::webhook_id, webhook_formats::format))
        .load(conn)?;
    for (id, format) in rows {
        let format =
            WebhookFormat::parse(&format).map_err(|e| RepoError::Corrupt(e.to_string()))?;
        for hook in hooks.iter_mut().filter(|h| h.id == id) {
            hook.format = format;
        }
    }
    Ok(hooks)
}

fn one_with_format(conn: &mut DbConnection, hook: Webhook) -> RepoResult<Webhook> {
    with_formats(conn, vec![hook])?
        .pop()
        .ok_or(RepoError::NotFound)
}

/// Records an endpoint's format.
fn set_format(conn: &mut DbConnection, id: i64, format: WebhookFormat) -> RepoResult<()> {
    diesel::delete(webhook_formats::table.find(id)).execute(conn)?;
    if format != WebhookFormat::Standard {
        diesel::insert_into(webhook_formats::table)
            .values((
                webhook_formats::webhook_id.eq(id),
                webhook_formats::format.eq(format.as_str()),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// How many endpoints `account` keeps.
pub fn count(conn: &mut DbConnection, account: AccountId) -> RepoResult<i64> {
    Ok(webhooks::table
        .filter(webhooks::account_id.eq(account.0))
        .count()
        .get_result(conn)?)
}

pub fn create(conn: &mut DbConnection, new: &NewWebhook) -> RepoResult<Webhook> {
    let at = now();
    let row: WebhookRow = diesel::insert_into(webhooks::table)
        .values((
            webhooks::account_id.eq(new.account_id.0),
            webhooks::url.eq(new.url.as_str()),
            webhooks::description.eq(new.description.as_ref().map_or("", |d| d.as_str())),
            webhooks::event_types.eq(new.event_types.stored()),
            webhooks::service_ids.eq(stored_ids(&new.service_ids)),
            webhooks::offering_ids.eq(stored_ids(&new.offering_ids)),
            webhooks::secret.eq(&new.secret),
            webhooks::enabled.eq(true),
            webhooks::consecutive_failures.eq(0),
            webhooks::created_at.eq(at),
            webhooks::updated_at.eq(at),
            webhooks::version.eq(1),
        ))
        .returning(webhooks::all_columns)
        .get_result(conn)?;
    set_format(conn, row.id, new.format)?;
    let hook = row.into_webhook()?;
    one_with_format(conn, hook)
}

fn scoped(
    account: Option<AccountId>,
) -> webhooks::BoxedQuery<'static, crate::connection::MultiBackend> {
    let query = webhooks::table.into_boxed();
    match account {
        Some(account) => query.filter(webhooks::account_id.eq(account.0)),
        None => query,
    }
}

/// One endpoint, of `account` (any account when `None`).
pub fn find(conn: &mut DbConnection, account: Option<AccountId>, id: i64) -> RepoResult<Webhook> {
    let hook = scoped(account)
        .filter(webhooks::id.eq(id))
        .select(WebhookRow::as_select())
        .first(conn)?
        .into_webhook()?;
    one_with_format(conn, hook)
}

/// `account`'s endpoints, by id.
pub fn list(
    conn: &mut DbConnection,
    account: AccountId,
    page: PageRequest,
) -> RepoResult<Page<Webhook>> {
    let rows: Vec<WebhookRow> = scoped(Some(account))
        .filter(webhooks::id.gt(page.after.unwrap_or(0)))
        .order(webhooks::id.asc())
        .limit(page.limit + 1)
        .select(WebhookRow::as_select())
        .load(conn)?;
    let hooks = rows
        .into_iter()
        .map(WebhookRow::into_webhook)
        .collect::<RepoResult<Vec<_>>>()?;
    let hooks = with_formats(conn, hooks)?;
    Ok(Page::from_rows(hooks, page, |w| w.id))
}

/// The enabled endpoints subscribed to `event`, of every account.
pub fn subscribed(conn: &mut DbConnection, event: WebhookEventType) -> RepoResult<Vec<Webhook>> {
    let rows: Vec<WebhookRow> = webhooks::table
        .filter(webhooks::enabled.eq(true))
        .filter(webhooks::event_types.like(format!("%{}%", event.as_str())))
        .order(webhooks::id.asc())
        .select(WebhookRow::as_select())
        .load(conn)?;
    let hooks = rows
        .into_iter()
        .map(WebhookRow::into_webhook)
        .collect::<RepoResult<Vec<_>>>()?
        .into_iter()
        .filter(|w| w.event_types.contains(event))
        .collect();
    with_formats(conn, hooks)
}

/// Changes to an endpoint; `None` keeps a field.
#[derive(Debug, Clone, Default)]
pub struct WebhookChanges {
    pub url: Option<WebhookUrl>,
    pub description: Option<Option<WebhookDescription>>,
    pub event_types: Option<EventTypes>,
    pub service_ids: Option<Vec<i64>>,
    pub offering_ids: Option<Vec<i64>>,
    /// Re-enabling also forgets the run of failures.
    pub enabled: Option<bool>,
    /// A new secret, and until when the current one still signs.
    pub rotate: Option<(String, OffsetDateTime)>,
    pub format: Option<WebhookFormat>,
}

/// Applies `changes` to one of `account`'s endpoints; `expected_version` (from `If-Match`)
/// must be current.
pub fn update(
    conn: &mut DbConnection,
    account: AccountId,
    id: i64,
    expected_version: Option<i64>,
    changes: &WebhookChanges,
) -> RepoResult<Webhook> {
    let current = find(conn, Some(account), id)?;
    if expected_version.is_some_and(|v| v != current.version) {
        return Err(RepoError::Stale);
    }
    let enabled = changes.enabled.unwrap_or(current.enabled);
    let (failures, reason) = match (changes.enabled, current.enabled) {
        (Some(true), false) => (0, None),
        (Some(false), true) => (
            current.consecutive_failures,
            Some("disabled by an admin".to_owned()),
        ),
        _ => (
            current.consecutive_failures,
            current.disabled_reason.clone(),
        ),
    };
    let (secret, previous) = match &changes.rotate {
        Some((secret, until)) => (secret.clone(), Some((current.secret.clone(), *until))),
        None => (current.secret.clone(), current.previous_secret.clone()),
    };
    let description = match &changes.description {
        Some(d) => d.as_ref().map_or(String::new(), |d| d.as_str().to_owned()),
        None => current.description.clone(),
    };
    let rows = diesel::update(
        webhooks::table
            .filter(webhooks::id.eq(id))
            .filter(webhooks::version.eq(current.version)),
    )
    .set((
        webhooks::url.eq(changes
            .url
            .as_ref()
            .map_or(current.url.as_str(), WebhookUrl::as_str)),
        webhooks::description.eq(description),
        webhooks::event_types.eq(changes
            .event_types
            .as_ref()
            .unwrap_or(&current.event_types)
            .stored()),
        webhooks::service_ids.eq(stored_ids(
            changes.service_ids.as_ref().unwrap_or(&current.service_ids),
        )),
        webhooks::offering_ids.eq(stored_ids(
            changes
                .offering_ids
                .as_ref()
                .unwrap_or(&current.offering_ids),
        )),
        webhooks::secret.eq(secret),
        webhooks::previous_secret.eq(previous.as_ref().map(|(s, _)| s.clone())),
        webhooks::previous_secret_until.eq(previous.map(|(_, until)| stored(until))),
        webhooks::enabled.eq(enabled),
        webhooks::disabled_reason.eq(if enabled { None } else { reason }),
        webhooks::consecutive_failures.eq(failures),
        webhooks::version.eq(current.version + 1),
        webhooks::updated_at.eq(now()),
    ))
    .execute(conn)?;
    if rows == 0 {
        return Err(RepoError::Stale);
    }
    if let Some(format) = changes.format {
        set_format(conn, id, format)?;
    }
    find(conn, Some(account), id)
}

/// Removes one of `account`'s endpoints (its deliveries and their attempts go with it: the
/// foreign keys cascade).
pub fn delete(conn: &mut DbConnection, account: AccountId, id: i64) -> RepoResult<()> {
    find(conn, Some(account), id)?;
    super::touched(diesel::delete(webhooks::table.filter(webhooks::id.eq(id))).execute(conn)?)
}

/// A message to send to one endpoint.
#[derive(Debug, Clone)]
pub struct NewDelivery {
    pub webhook_id: i64,
    pub message_id: String,
    pub event_type: String,
    pub payload: String,
}

/// A message and what became of it.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    pub id: i64,
    pub webhook_id: i64,
    pub message_id: String,
    pub event_type: String,
    pub payload: String,
    pub state: DeliveryState,
    pub attempts: i32,
    pub next_attempt_at: Option<OffsetDateTime>,
    pub created_at: OffsetDateTime,
    pub delivered_at: Option<OffsetDateTime>,
    pub last_status: Option<i32>,
    pub last_error: Option<String>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = webhook_deliveries)]
struct DeliveryRow {
    id: i64,
    webhook_id: i64,
    message_id: String,
    event_type: String,
    payload: String,
    state: String,
    attempts: i32,
    next_attempt_at: PrimitiveDateTime,
    created_at: PrimitiveDateTime,
    delivered_at: Option<PrimitiveDateTime>,
    last_status: Option<i32>,
    last_error: Option<String>,
}

impl DeliveryRow {
    fn into_delivery(self) -> RepoResult<Delivery> {
        let state = DeliveryState::parse(&self.state)?;
        Ok(Delivery {
            id: self.id,
            webhook_id: self.webhook_id,
            message_id: self.message_id,
            event_type: self.event_type,
            payload: self.payload,
            state,
            attempts: self.attempts,
            next_attempt_at: (state == DeliveryState::Pending).then(|| utc(self.next_attempt_at)),
            created_at: utc(self.created_at),
            delivered_at: self.delivered_at.map(utc),
            last_status: self.last_status,
            last_error: self.last_error,
        })
    }
}

/// Puts messages in the outbox, due now (call inside the event's transaction).
pub fn enqueue(conn: &mut DbConnection, deliveries: &[NewDelivery]) -> RepoResult<Vec<i64>> {
    let at = now();
    deliveries
        .iter()
        .map(|d| {
            diesel::insert_into(webhook_deliveries::table)
                .values((
                    webhook_deliveries::webhook_id.eq(d.webhook_id),
                    webhook_deliveries::message_id.eq(&d.message_id),
                    webhook_deliveries::event_type.eq(&d.event_type),
                    webhook_deliveries::payload.eq(&d.payload),
                    webhook_deliveries::state.eq(DeliveryState::Pending.as_str()),
                    webhook_deliveries::attempts.eq(0),
                    webhook_deliveries::next_attempt_at.eq(at),
                    webhook_deliveries::created_at.eq(at),
                ))
                .returning(webhook_deliveries::id)
                .get_result(conn)
                .map_err(RepoError::from)
        })
        .collect()
}

/// An endpoint's deliveries, newest first.
pub fn deliveries(
    conn: &mut DbConnection,
    webhook: i64,
    page: PageRequest,
) -> RepoResult<Page<Delivery>> {
    let rows: Vec<DeliveryRow> = webhook_deliveries::table
        .filter(webhook_deliveries::webhook_id.eq(webhook))
        .filter(webhook_deliveries::id.lt(page.after.unwrap_or(i64::MAX)))
        .order(webhook_deliveries::id.desc())
        .limit(page.limit + 1)
        .select(DeliveryRow::as_select())
        .load(conn)?;
    let deliveries = rows
        .into_iter()
        .map(DeliveryRow::into_delivery)
        .collect::<RepoResult<Vec<_>>>()?;
    Ok(Page::from_rows(deliveries, page, |d| d.id))
}

/// One of an endpoint's deliveries.
pub fn delivery(conn: &mut DbConnection, webhook: i64, id: i64) -> RepoResult<Delivery> {
    webhook_deliveries::table
        .filter(webhook_deliveries::webhook_id.eq(webhook))
        .filter(webhook_deliveries::id.eq(id))
        .select(DeliveryRow::as_select())
        .first(conn)?
        .into_delivery()
}

/// One try at sending a delivery.
#[derive(Debug, Clone, PartialEq)]
pub struct Attempt {
    pub id: i64,
    pub delivery_id: i64,
    pub attempted_at: OffsetDateTime,
    pub duration_ms: i64,
    /// The receiver's HTTP status, when it answered.
    pub status: Option<i32>,
    pub error: Option<String>,
    pub succeeded: bool,
}

type AttemptRow = (
    i64,
    i64,
    PrimitiveDateTime,
    i64,
    Option<i32>,
    Option<String>,
    bool,
);

/// The attempts at these deliveries, oldest first.
pub fn attempts(conn: &mut DbConnection, deliveries: &[i64]) -> RepoResult<Vec<Attempt>> {
    let rows: Vec<AttemptRow> = webhook_attempts::table
        .filter(webhook_attempts::delivery_id.eq_any(deliveries))
        .order(webhook_attempts::id.asc())
        .select(webhook_attempts::all_columns)
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(
            |(id, delivery_id, at, duration_ms, status, error, succeeded)| Attempt {
                id,
                delivery_id,
                attempted_at: utc(at),
                duration_ms,
                status,
                error,
                succeeded,
            },
        )
        .collect())
}

/// Sends a delivery again now, whatever became of it (the same message id: receivers that
/// already have it can tell).
pub fn redeliver(conn: &mut DbConnection, webhook: i64, id: i64) -> RepoResult<Delivery> {
    delivery(conn, webhook, id)?;
    diesel::update(webhook_deliveries::table.filter(webhook_deliveries::id.eq(id)))
        .set((
            webhook_deliveries::state.eq(DeliveryState::Pending.as_str()),
            webhook_deliveries::next_attempt_at.eq(now()),
            webhook_deliveries::claimed_until.eq(None::<PrimitiveDateTime>),
            webhook_deliveries::claimed_by.eq(None::<String>),
        ))
        .execute(conn)?;
    delivery(conn, webhook, id)
}

/// A delivery a worker has claimed, with what it needs to send it.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub delivery: Delivery,
    pub webhook: Webhook,
}

/// Claims up to `limit` due deliveries of enabled endpoints for `worker` until `until`:
/// another worker (another replica) skips them meanwhile, and takes them over only if this one
/// dies before recording an attempt. On Postgres the candidates are locked `FOR UPDATE SKIP
/// LOCKED`, so concurrent claims never wait for or take each other's rows; SQLite's single
/// writer serialises claims.
pub fn claim(
    conn: &mut DbConnection,
    worker: &str,
    at: OffsetDateTime,
    until: OffsetDateTime,
    limit: i64,
) -> RepoResult<Vec<Claimed>> {
    let ids = super::claim_due(
        conn,
        "webhook_deliveries",
        "JOIN webhooks w ON w.id = d.webhook_id AND w.enabled",
        worker,
        at,
        until,
        limit,
    )?;
    let rows: Vec<(DeliveryRow, WebhookRow)> = webhook_deliveries::table
        .inner_join(webhooks::table)
        .filter(webhook_deliveries::id.eq_any(&ids))
        .order(webhook_deliveries::id.asc())
        .select((DeliveryRow::as_select(), WebhookRow::as_select()))
        .load(conn)?;
    rows.into_iter()
        .map(|(d, w)| {
            Ok(Claimed {
                delivery: d.into_delivery()?,
                webhook: w.into_webhook()?,
            })
        })
        .collect()
}

/// What one attempt came to.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub attempted_at: OffsetDateTime,
    pub duration_ms: i64,
    pub status: Option<i32>,
    pub error: Option<String>,
    pub succeeded: bool,
    /// After a failure: when to try again, or `None` to give up.
    pub retry_at: Option<OffsetDateTime>,
}

/// Records an attempt at a delivery `worker` claimed, and its endpoint's run of failures:
/// the endpoint is disabled once that run reaches `disable_after`. Returns `false` when the
/// claim was lost meanwhile (another worker took the delivery over): nothing is recorded.
pub fn record_attempt(
    conn: &mut DbConnection,
    worker: &str,
    claimed: &Claimed,
    outcome: &Outcome,
    disable_after: i32,
) -> RepoResult<bool> {
    let delivery = claimed.delivery.id;
    let state = match (outcome.succeeded, outcome.retry_at) {
        (true, _) => DeliveryState::Delivered,
        (false, Some(_)) => DeliveryState::Pending,
        (false, None) => DeliveryState::Failed,
    };
    let rows = diesel::update(
        webhook_deliveries::table
            .filter(webhook_deliveries::id.eq(delivery))
            .filter(webhook_deliveries::claimed_by.eq(worker)),
    )
    .set((
        webhook_deliveries::state.eq(state.as_str()),
        webhook_deliveries::attempts.eq(webhook_deliveries::attempts + 1),
        webhook_deliveries::next_attempt_at
            .eq(stored(outcome.retry_at.unwrap_or(outcome.attempted_at))),
        webhook_deliveries::claimed_until.eq(None::<PrimitiveDateTime>),
        webhook_deliveries::claimed_by.eq(None::<String>),
        webhook_deliveries::delivered_at
            .eq(outcome.succeeded.then(|| stored(outcome.attempted_at))),
        webhook_deliveries::last_status.eq(outcome.status),
        webhook_deliveries::last_error.eq(&outcome.error),
    ))
    .execute(conn)?;
    if rows == 0 {
        return Ok(false);
    }
    diesel::insert_into(webhook_attempts::table)
        .values((
            webhook_attempts::delivery_id.eq(delivery),
            webhook_attempts::attempted_at.eq(stored(outcome.attempted_at)),
            webhook_attempts::duration_ms.eq(outcome.duration_ms),
            webhook_attempts::status.eq(outcome.status),
            webhook_attempts::error.eq(&outcome.error),
            webhook_attempts::succeeded.eq(outcome.succeeded),
        ))
        .execute(conn)?;
    let hook = webhooks::table.filter(webhooks::id.eq(claimed.webhook.id));
    if outcome.succeeded {
        diesel::update(hook)
            .set(webhooks::consecutive_failures.eq(0))
            .execute(conn)?;
    } else {
        let failures: i32 = diesel::update(hook)
            .set(webhooks::consecutive_failures.eq(webhooks::consecutive_failures + 1))
            .returning(webhooks::consecutive_failures)
            .get_result(conn)?;
        if failures >= disable_after {
            diesel::update(hook.filter(webhooks::enabled.eq(true)))
                .set((
                    webhooks::enabled.eq(false),
                    webhooks::disabled_reason.eq(format!(
                        "{failures} failed attempts in a row; the last: {}",
                        outcome.error.as_deref().unwrap_or("no answer")
                    )),
                    webhooks::version.eq(webhooks::version + 1),
                    webhooks::updated_at.eq(now()),
                ))
                .execute(conn)?;
        }
    }
    Ok(true)
}

/// Forgets delivered and failed deliveries created before `before` (their attempts cascade);
/// returns how many.
pub fn purge_finished(conn: &mut DbConnection, before: OffsetDateTime) -> RepoResult<usize> {
    Ok(diesel::delete(
        webhook_deliveries::table
            .filter(webhook_deliveries::state.ne(DeliveryState::Pending.as_str()))
            .filter(webhook_deliveries::created_at.lt(stored(before))),
    )
    .execute(conn)?)
}
