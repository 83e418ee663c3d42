//! Email subscriptions as the wire shows them.

use persistence::repo::email::{EmailSubscription, Subscriber};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;

use crate::http::wire::WebhookEventType;

/// Whose an email subscription is: a contact's own (`contact`), or its account's (`account`,
/// made by one of its admins for an address such as a team's mailbox).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum SubscriberKind {
    Contact,
    Account,
}

/// An email subscription: events of the reader's own tenants, mailed as the reader sees them.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct EmailSubscriptionResponse {
    pub id: i64,
    pub subscriber: SubscriberKind,
    /// The contact whose subscription it is (for `contact`).
    pub contact_id: Option<i64>,
    /// Where messages go: the contact's own address, or the account subscription's.
    pub email: String,
    pub event_types: Vec<WebhookEventType>,
    /// Only events of these services (empty: every service).
    pub service_ids: Vec<i64>,
    #[serde(with = "crate::http::wire::instant")]
    pub created_at: OffsetDateTime,
    #[serde(with = "crate::http::wire::instant")]
    pub updated_at: OffsetDateTime,
    /// PATCH with `If-Match: <ETag>` to change only this version.
    pub version: i64,
    /// `active`: messages are sent. `pending_confirmation`: an account's subscription to an
    /// address that is not one of its contacts' sends nothing until the address confirms it
    /// with the link it was mailed.
    pub status: SubscriptionStatus,
    /// When the address confirmed it (a contact's own, or a contact's address: when made).
    #[serde(with = "crate::http::wire::instant::option")]
    pub confirmed_at: Option<OffsetDateTime>,
}

/// Whether a subscription sends (see `status`).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum SubscriptionStatus {
    Active,
    PendingConfirmation,
}

impl From<EmailSubscription> for EmailSubscriptionResponse {
    fn from(s: EmailSubscription) -> Self {
        let (subscriber, contact_id) = match s.subscriber {
            Subscriber::Contact(contact) => (SubscriberKind::Contact, Some(contact.0)),
            Subscriber::Account(_) => (SubscriberKind::Account, None),
        };
        Self {
            id: s.id,
            subscriber,
            contact_id,
            email: s.email,
            event_types: s.event_types.iter().map(Into::into).collect(),
            service_ids: s.service_ids,
            created_at: s.created_at,
            updated_at: s.updated_at,
            version: s.version,
            status: match s.confirmed_at {
                Some(_) => SubscriptionStatus::Active,
                None => SubscriptionStatus::PendingConfirmation,
            },
            confirmed_at: s.confirmed_at,
        }
    }
}
