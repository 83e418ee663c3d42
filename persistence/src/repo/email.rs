//! Email subscriptions (a contact's own, or its account's) and their outbox of messages,
//! written in the transaction of the event they announce, one per subscription and event.

use diesel::prelude::*;
use domain::{AccountId, ContactId, EventTypes, WebhookEventType};
use sha2::{Digest, Sha256};
use time::{OffsetDateTime, PrimitiveDateTime};

use super::{ids_of, now, stored, stored_ids, utc, DeliveryState, Page, PageRequest};
use crate::connection::DbConnection;
use crate::schema::{contacts, email_deliveries, email_subscriptions};
use crate::{RepoError, RepoResult};

/// Who an email subscription is for: a contact (mailed to its own address, reading as it) or
/// its whole account (mailed to an address one of its admins chose, reading as the account).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subscriber {
    Contact(ContactId),
    Account(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct EmailSubscription {
    pub id: i64,
    pub account_id: AccountId,
    pub subscriber: Subscriber,
    /// Where messages go now: the contact's address, or the account subscription's.
    pub email: String,
    pub event_types: EventTypes,
    /// Only events on these services; none: every service.
    pub service_ids: Vec<i64>,
    pub unsubscribe_token: String,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    pub version: i64,
    /// When its address confirmed it; `None`: nothing is sent to it yet (double opt-in).
    pub confirmed_at: Option<OffsetDateTime>,
}

/// A subscription row, with its contact's address for a contact's own.
#[derive(Queryable)]
struct Row {
    id: i64,
    account_id: i64,
    contact_id: Option<i64>,
    email: Option<String>,
    event_types: String,
    service_ids: String,
    unsubscribe_token: String,
    created_at: PrimitiveDateTime,
    updated_at: PrimitiveDateTime,
    version: i64,
    confirmed_at: Option<PrimitiveDateTime>,
    contact_email: Option<String>,
}

fn from_row(row: Row) -> RepoResult<EmailSubscription> {
    let id = row.id;
    let subscriber = match (row.contact_id, row.email) {
        (Some(contact), _) => Subscriber::Contact(ContactId(contact)),
        (None, Some(email)) => Subscriber::Account(email),
        (None, None) => {
            return Err(RepoError::Corrupt(format!(
                "email subscription {id} has no address"
            )))
        }
    };
    let email = match &subscriber {
        Subscriber::Account(email) => email.clone(),
        Subscriber::Contact(_) => row.contact_email.unwrap_or_default(),
    };
    Ok(EmailSubscription {
        id,
        account_id: AccountId(row.account_id),
        subscriber,
        email,
        event_types: EventTypes::parse(&row.event_types)
            .map_err(|e| RepoError::Corrupt(e.to_string()))?,
        service_ids: ids_of(&row.service_ids),
        unsubscribe_token: row.unsubscribe_token,
        created_at: utc(row.created_at),
        updated_at: utc(row.updated_at),
        version: row.version,
        confirmed_at: row.confirmed_at.map(utc),
    })
}

macro_rules! subscriptions {
    () => {
        email_subscriptions::table
            .left_join(
                contacts::table.on(contacts::id.nullable().eq(email_subscriptions::contact_id)),
            )
            .select((
                email_subscriptions::id,
                email_subscriptions::account_id,
                email_subscriptions::contact_id,
                email_subscriptions::email,
                email_subscriptions::event_types,
                email_subscriptions::service_ids,
                email_subscriptions::unsubscribe_token,
                email_subscriptions::created_at,
                email_subscriptions::updated_at,
                email_subscriptions::version,
                email_subscriptions::confirmed_at,
                contacts::email.nullable(),
            ))
            .into_boxed()
    };
}

/// A new subscription.
#[derive(Debug, Clone)]
pub struct NewSubscription {
    pub account_id: AccountId,
    pub subscriber: Subscriber,
    pub event_types: EventTypes,
    pub service_ids: Vec<i64>,
    pub unsubscribe_token: String,
    /// Whether it sends at once (a contact's own, or the address of one of the account's
    /// contacts); otherwise its address confirms it first.
    pub confirmed: bool,
}

/// How many subscriptions `account` keeps (its contacts' own included).
pub fn count(conn: &mut DbConnection, account: AccountId) -> RepoResult<i64> {
    Ok(email_subscriptions::table
        .filter(email_subscriptions::account_id.eq(account.0))
        .count()
        .get_result(conn)?)
}

pub fn create(conn: &mut DbConnection, new: &NewSubscription) -> RepoResult<EmailSubscription> {
    let at = now();
    let (contact, email) = match &new.subscriber {
        Subscriber::Contact(id) => (Some(id.0), None),
        Subscriber::Account(email) => (None, Some(email.as_str())),
    };
    let id: i64 = diesel::insert_into(email_subscriptions::table)
        .values((
            email_subscriptions::account_id.eq(new.account_id.0),
            email_subscriptions::contact_id.eq(contact),
            email_subscriptions::email.eq(email),
            email_subscriptions::event_types.eq(new.event_types.stored()),
            email_subscriptions::service_ids.eq(stored_ids(&new.service_ids)),
            email_subscriptions::unsubscribe_token.eq(&new.unsubscribe_token),
            email_subscriptions::created_at.eq(at),
            email_subscriptions::updated_at.eq(at),
            email_subscriptions::version.eq(1),
            email_subscriptions::confirmed_at.eq(new.confirmed.then_some(at)),
        ))
        .returning(email_subscriptions::id)
        .get_result(conn)?;
    find(conn, id)
}

pub fn find(conn: &mut DbConnection, id: i64) -> RepoResult<EmailSubscription> {
    let row: Row = subscriptions!()
        .filter(email_subscriptions::id.eq(id))
        .first(conn)?;
    from_row(row)
}

/// The subscription of `account` that mails `address` (lowercase, as `Email` keeps it), if
/// any: an address has one subscription per account.
pub fn at_address(
    conn: &mut DbConnection,
    account: AccountId,
    address: &str,
) -> RepoResult<Option<EmailSubscription>> {
    let row: Option<Row> = subscriptions!()
        .filter(email_subscriptions::account_id.eq(account.0))
        .filter(
            email_subscriptions::email
                .eq(address)
                .or(contacts::email.nullable().eq(address)),
        )
        .first(conn)
        .optional()?;
    row.map(from_row).transpose()
}

/// Whether `address` (lowercase, as `Email` keeps it) is the address of one of `account`'s
/// contacts.
pub fn is_contact_address(
    conn: &mut DbConnection,
    account: AccountId,
    address: &str,
) -> RepoResult<bool> {
    let found: Option<i64> = contacts::table
        .filter(contacts::account_id.eq(account.0))
        .filter(contacts::email.eq(address))
        .select(contacts::id)
        .first(conn)
        .optional()?;
    Ok(found.is_some())
}

/// The subscriptions of an account, or only those of one of its contacts, a page.
pub fn list(
    conn: &mut DbConnection,
    account: AccountId,
    contact: Option<ContactId>,
    page: PageRequest,
) -> RepoResult<Page<EmailSubscription>> {
    let mut query = subscriptions!()
        .filter(email_subscriptions::account_id.eq(account.0))
        .filter(email_subscriptions::id.gt(page.after.unwrap_or(0)));
    if let Some(contact) = contact {
        query = query.filter(email_subscriptions::contact_id.eq(contact.0));
    }
    let rows: Vec<Row> = query
        .order(email_subscriptions::id.asc())
        .limit(page.limit + 1)
        .load(conn)?;
    let subscriptions = rows
        .into_iter()
        .map(from_row)
        .collect::<RepoResult<Vec<_>>>()?;
    Ok(Page::from_rows(subscriptions, page, |s| s.id))
}

/// Every confirmed subscription to `event`, in id order.
pub fn subscribed(
    conn: &mut DbConnection,
    event: WebhookEventType,
) -> RepoResult<Vec<EmailSubscription>> {
    let rows: Vec<Row> = subscriptions!()
        .filter(email_subscriptions::confirmed_at.is_not_null())
        .filter(email_subscriptions::event_types.like(format!("%{}%", event.as_str())))
        .order(email_subscriptions::id.asc())
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(from_row)
        .collect::<RepoResult<Vec<_>>>()?
        .into_iter()
        .filter(|s| s.event_types.contains(event))
        .collect())
}

/// Changes to a subscription; absent fields stay.
#[derive(Debug, Clone, Default)]
pub struct SubscriptionChanges {
    pub event_types: Option<EventTypes>,
    pub service_ids: Option<Vec<i64>>,
}

/// Changes a subscription; `expected_version` (from `If-Match`) must be current.
pub fn update(
    conn: &mut DbConnection,
    id: i64,
    expected_version: Option<i64>,
    changes: &SubscriptionChanges,
) -> RepoResult<EmailSubscription> {
    let current = find(conn, id)?;
    if expected_version.is_some_and(|v| v != current.version) {
        return Err(RepoError::Stale);
    }
    let types = changes.event_types.as_ref().unwrap_or(&current.event_types);
    let services = changes.service_ids.as_ref().unwrap_or(&current.service_ids);
    let rows = diesel::update(
        email_subscriptions::table
            .filter(email_subscriptions::id.eq(id))
            .filter(email_subscriptions::version.eq(current.version)),
    )
    .set((
        email_subscriptions::event_types.eq(types.stored()),
        email_subscriptions::service_ids.eq(stored_ids(services)),
        email_subscriptions::updated_at.eq(now()),
        email_subscriptions::version.eq(current.version + 1),
    ))
    .execute(conn)?;
    if rows == 0 {
        return Err(RepoError::Stale);
    }
    find(conn, id)
}

pub fn delete(conn: &mut DbConnection, id: i64) -> RepoResult<()> {
    super::touched(
        diesel::delete(email_subscriptions::table.filter(email_subscriptions::id.eq(id)))
            .execute(conn)?,
    )
}

/// The subscription whose unsubscribe link holds `token`, if any.
pub fn by_unsubscribe_token(
    conn: &mut DbConnection,
    token: &str,
) -> RepoResult<Option<EmailSubscription>> {
    let row: Option<Row> = subscriptions!()
        .filter(email_subscriptions::unsubscribe_token.eq(token))
        .first(conn)
        .optional()?;
    row.map(from_row).transpose()
}

/// Confirms the subscription whose links hold `token` (its address asked for it); `None` when
/// none does. Confirming again changes nothing.
pub fn confirm(conn: &mut DbConnection, token: &str) -> RepoResult<Option<EmailSubscription>> {
    let Some(subscription) = by_unsubscribe_token(conn, token)? else {
        return Ok(None);
    };
    if subscription.confirmed_at.is_some() {
        return Ok(Some(subscription));
    }
    diesel::update(
        email_subscriptions::table
            .filter(email_subscriptions::id.eq(subscription.id))
            .filter(email_subscriptions::confirmed_at.is_null()),
    )
    .set(email_subscriptions::confirmed_at.eq(now()))
    .execute(conn)?;
    find(conn, subscription.id).map(Some)
}

/// The reader of each confirmed subscription (all, or only `id`) and the secret of its links,
/// for the read model (the link of each message opens the event's page as its reader).
pub fn link_secrets(
    conn: &mut DbConnection,
    id: Option<i64>,
) -> RepoResult<Vec<(i64, Reader, String)>> {
    let mut query = email_subscriptions::table
        .filter(email_subscriptions::confirmed_at.is_not_null())
        .select((
            email_subscriptions::id,
            email_subscriptions::account_id,
            email_subscriptions::contact_id,
            email_subscriptions::unsubscribe_token,
        ))
        .into_boxed();
    if let Some(id) = id {
        query = query.filter(email_subscriptions::id.eq(id));
    }
    let rows: Vec<(i64, i64, Option<i64>, String)> = query.load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, account, contact, token)| {
            let reader = match contact {
                Some(contact) => Reader::Contact(ContactId(contact)),
                None => Reader::Account(AccountId(account)),
            };
            (id, reader, token)
        })
        .collect())
}

/// Whom a subscription's messages are written for: its contact, or its account (as a viewer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reader {
    Contact(ContactId),
    Account(AccountId),
}

impl EmailSubscription {
    pub fn reader(&self) -> Reader {
        match self.subscriber {
            Subscriber::Contact(contact) => Reader::Contact(contact),
            Subscriber::Account(_) => Reader::Account(self.account_id),
        }
    }
}

/// The read-only key in the status-page link of a subscription's messages: derived from the
/// secret of its links (so it is stored nowhere else and ends with the subscription), a feed
/// token in form. It opens the pages and feeds as the subscription's reader, nothing else.
pub fn view_key(link_secret: &str) -> String {
    let digest = Sha256::digest(format!("slr-email-view\0{link_secret}").as_bytes());
    format!("{}e{}", super::TOKEN_PREFIX, &hex::encode(digest)[..40])
}

/// Ends the subscription whose unsubscribe link holds `token`; `None` when none does (it may
/// have ended already).
pub fn unsubscribe(conn: &mut DbConnection, token: &str) -> RepoResult<Option<EmailSubscription>> {
    let Some(subscription) = by_unsubscribe_token(conn, token)? else {
        return Ok(None);
    };
    delete(conn, subscription.id)?;
    Ok(Some(subscription))
}

/// One message to one recipient.
#[derive(Debug, Clone)]
pub struct NewEmail {
    pub subscription_id: i64,
    /// The announcement (one event) it belongs to: one message per recipient and announcement.
    pub announcement: String,
    pub recipient: String,
    pub event_type: String,
    pub subject: String,
    pub body: String,
    /// The path of the event's status page.
    pub link: String,
}

/// Puts messages in the outbox, due now (call inside the event's transaction): one per
/// subscription and announcement (a subscription named twice gets the first only). Messages of
/// different subscriptions are never merged, even to one address: each is its account's view,
/// with its own unsubscribe link.
pub fn enqueue(conn: &mut DbConnection, emails: &[NewEmail]) -> RepoResult<usize> {
    let at = now();
    let mut seen = std::collections::HashSet::new();
    let mut queued = 0;
    for email in emails {
        if !seen.insert((email.announcement.as_str(), email.subscription_id)) {
            continue;
        }
        diesel::insert_into(email_deliveries::table)
            .values((
                email_deliveries::subscription_id.eq(email.subscription_id),
                email_deliveries::announcement.eq(&email.announcement),
                email_deliveries::recipient.eq(email.recipient.to_lowercase()),
                email_deliveries::event_type.eq(&email.event_type),
                email_deliveries::subject.eq(&email.subject),
                email_deliveries::body.eq(&email.body),
                email_deliveries::link.eq(&email.link),
                email_deliveries::state.eq(DeliveryState::Pending.as_str()),
                email_deliveries::attempts.eq(0),
                email_deliveries::next_attempt_at.eq(at),
                email_deliveries::created_at.eq(at),
            ))
            .execute(conn)?;
        queued += 1;
    }
    Ok(queued)
}

/// A message a worker has claimed, with its unsubscribe link's token.
#[derive(Debug, Clone)]
pub struct ClaimedEmail {
    pub id: i64,
    pub announcement: String,
    pub event_type: String,
    pub recipient: String,
    pub subject: String,
    pub body: String,
    pub link: String,
    pub attempts: i32,
    pub created_at: OffsetDateTime,
    pub unsubscribe_token: String,
}

/// Claims up to `limit` due messages for `worker` until `until` (a lease, like webhook
/// deliveries: another replica takes one over only if this one dies before recording it).
pub fn claim(
    conn: &mut DbConnection,
    worker: &str,
    at: OffsetDateTime,
    until: OffsetDateTime,
    limit: i64,
) -> RepoResult<Vec<ClaimedEmail>> {
    let ids = super::claim_due(conn, "email_deliveries", "", worker, at, until, limit)?;
    let rows: Vec<ClaimedRow> = email_deliveries::table
        .inner_join(email_subscriptions::table)
        .filter(email_deliveries::id.eq_any(&ids))
        .order(email_deliveries::id.asc())
        .select((
            email_deliveries::id,
            email_deliveries::announcement,
            email_deliveries::event_type,
            email_deliveries::recipient,
            email_deliveries::subject,
            email_deliveries::body,
            email_deliveries::link,
            email_deliveries::attempts,
            email_deliveries::created_at,
            email_subscriptions::unsubscribe_token,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|row| ClaimedEmail {
            id: row.id,
            announcement: row.announcement,
            event_type: row.event_type,
            recipient: row.recipient,
            subject: row.subject,
            body: row.body,
            link: row.link,
            attempts: row.attempts,
            created_at: utc(row.created_at),
            unsubscribe_token: row.unsubscribe_token,
        })
        .collect())
}

/// A claimed message as read.
#[derive(Queryable)]
struct ClaimedRow {
    id: i64,
    announcement: String,
    event_type: String,
    recipient: String,
    subject: String,
    body: String,
    link: String,
    attempts: i32,
    created_at: PrimitiveDateTime,
    unsubscribe_token: String,
}

/// Records an attempt at a message `worker` claimed: sent, to be tried again at `retry_at`,
/// or given up on. `false` when the claim was lost meanwhile (nothing is recorded).
pub fn record_attempt(
    conn: &mut DbConnection,
    worker: &str,
    id: i64,
    at: OffsetDateTime,
    error: Option<&str>,
    retry_at: Option<OffsetDateTime>,
) -> RepoResult<bool> {
    let state = match (error, retry_at) {
        (None, _) => DeliveryState::Delivered,
        (Some(_), Some(_)) => DeliveryState::Pending,
        (Some(_), None) => DeliveryState::Failed,
    };
    let rows = diesel::update(
        email_deliveries::table
            .filter(email_deliveries::id.eq(id))
            .filter(email_deliveries::claimed_by.eq(worker)),
    )
    .set((
        email_deliveries::state.eq(state.as_str()),
        email_deliveries::attempts.eq(email_deliveries::attempts + 1),
        email_deliveries::next_attempt_at.eq(stored(retry_at.unwrap_or(at))),
        email_deliveries::claimed_until.eq(None::<PrimitiveDateTime>),
        email_deliveries::claimed_by.eq(None::<String>),
        email_deliveries::delivered_at.eq(error.is_none().then(|| stored(at))),
        email_deliveries::last_error.eq(error),
    ))
    .execute(conn)?;
    Ok(rows > 0)
}

/// What became of one message: event type, state, attempts, last error.
pub type Sent = (String, String, i32, Option<String>);

/// What became of the messages to `recipient` (newest first, at most `limit`). For operators
/// and tests.
pub fn sent_to(conn: &mut DbConnection, recipient: &str, limit: i64) -> RepoResult<Vec<Sent>> {
    Ok(email_deliveries::table
        .filter(email_deliveries::recipient.eq(recipient.to_lowercase()))
        .order(email_deliveries::id.desc())
        .limit(limit)
        .select((
            email_deliveries::event_type,
            email_deliveries::state,
            email_deliveries::attempts,
            email_deliveries::last_error,
        ))
        .load(conn)?)
}

/// Forgets sent and failed messages created before `before`; how many.
pub fn purge_finished(conn: &mut DbConnection, before: OffsetDateTime) -> RepoResult<usize> {
    Ok(diesel::delete(
        email_deliveries::table
            .filter(email_deliveries::state.ne(DeliveryState::Pending.as_str()))
            .filter(email_deliveries::created_at.lt(stored(before))),
    )
    .execute(conn)?)
}

/// Forgets messages still waiting that were written before `before` (nothing will send them:
/// this server has no SMTP server, and a mailer would have given up on them); how many.
pub fn purge_waiting(conn: &mut DbConnection, before: OffsetDateTime) -> RepoResult<usize> {
    Ok(diesel::delete(
        email_deliveries::table
            .filter(email_deliveries::state.eq(DeliveryState::Pending.as_str()))
            .filter(email_deliveries::created_at.lt(stored(before))),
    )
    .execute(conn)?)
}
