//! Email subscriptions (a contact's own, or its account's) and their outbox of messages,
//! written in the transaction of the event they announce, one per recipient address and event.

use diesel::prelude::*;
use domain::{AccountId, ContactId, EventTypes, WebhookEventType};
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
}

type Row = (
    (
        i64,
        i64,
        Option<i64>,
        Option<String>,
        String,
        String,
        String,
        PrimitiveDateTime,
        PrimitiveDateTime,
        i64,
    ),
    Option<String>,
);

fn from_row(
    (
        (id, account, contact, email, types, services, token, created, updated, version),
        contact_email,
    ): Row,
) -> RepoResult<EmailSubscription> {
    let subscriber = match (contact, email) {
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
        Subscriber::Contact(_) => contact_email.unwrap_or_default(),
    };
    Ok(EmailSubscription {
        id,
        account_id: AccountId(account),
        subscriber,
        email,
        event_types: EventTypes::parse(&types).map_err(|e| RepoError::Corrupt(e.to_string()))?,
        service_ids: ids_of(&services),
        unsubscribe_token: token,
        created_at: utc(created),
        updated_at: utc(updated),
        version,
    })
}

macro_rules! subscriptions {
    () => {
        email_subscriptions::table
            .left_join(
                contacts::table.on(contacts::id.nullable().eq(email_subscriptions::contact_id)),
            )
            .select((
                (
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
                ),
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

/// Every subscription to `event`, in id order.
pub fn subscribed(
    conn: &mut DbConnection,
    event: WebhookEventType,
) -> RepoResult<Vec<EmailSubscription>> {
    let rows: Vec<Row> = subscriptions!()
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

/// Puts messages in the outbox, due now (call inside the event's transaction); a recipient
/// named twice in one announcement gets the first message only.
pub fn enqueue(conn: &mut DbConnection, emails: &[NewEmail]) -> RepoResult<usize> {
    let at = now();
    let mut seen = std::collections::HashSet::new();
    let mut queued = 0;
    for email in emails {
        if !seen.insert((email.announcement.as_str(), email.recipient.to_lowercase())) {
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
    type Claim = (
        i64,
        String,
        String,
        String,
        String,
        String,
        i32,
        PrimitiveDateTime,
        String,
    );
    let rows: Vec<Claim> = email_deliveries::table
        .inner_join(email_subscriptions::table)
        .filter(email_deliveries::id.eq_any(&ids))
        .order(email_deliveries::id.asc())
        .select((
            email_deliveries::id,
            email_deliveries::announcement,
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
        .map(
            |(id, announcement, recipient, subject, body, link, attempts, created, token)| {
                ClaimedEmail {
                    id,
                    announcement,
                    recipient,
                    subject,
                    body,
                    link,
                    attempts,
                    created_at: utc(created),
                    unsubscribe_token: token,
                }
            },
        )
        .collect())
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
