//! Email announcements: inside a write's transaction, one message per confirmed email
//! subscription to the event whose reader (the contact, or the account) may see it
//! — written as that reader sees the event, its tenants only.

use std::collections::HashMap;

use domain::{Caller, Role, WebhookEventType};
use persistence::model::{Mixed, Model};
use persistence::repo::email::{self, EmailSubscription, NewEmail};
use persistence::{DbConnection, RepoError, RepoResult};

use crate::http::db::Announcing;
use crate::views::events::EventKind;

/// The reader a subscription's messages are written for: its contact, or its account as a
/// viewer. `None` when the contact is gone.
fn reader(model: &Model, subscription: &EmailSubscription) -> RepoResult<Option<Caller>> {
    match model.reader_caller(subscription.reader()) {
        Ok(caller) => Ok(Some(caller)),
        Err(RepoError::NotFound) => Ok(None),
        Err(other) => Err(other),
    }
}

/// An event type in words, for a subject line.
fn in_words(event: WebhookEventType) -> &'static str {
    use WebhookEventType::*;
    match event {
        IncidentCreated => "New incident",
        IncidentUpdated => "Incident update",
        IncidentResolved => "Incident resolved",
        IncidentReopened => "Incident reopened",
        IncidentReportPublished => "Post-incident report",
        IncidentTenantsRecovered => "Tenants recovered",
        MaintenanceScheduled => "Maintenance scheduled",
        MaintenanceUpdated => "Maintenance changed",
        MaintenanceStarted => "Maintenance started",
        MaintenanceCompleted => "Maintenance completed",
        MaintenanceCancelled => "Maintenance cancelled",
        MaintenanceReminder => "Maintenance reminder",
    }
}

/// Writes the messages of announcement `announcement` (one event) into the email outbox: for
/// every confirmed subscription to `event` whose reader sees event `id` (and whose service
/// filter and `concerns` keep it), one message, written as that subscription's reader sees
/// the event — never merged with another subscription's. Nothing on a server that sends no
/// email. Returns how many.
pub fn announce<K: EventKind>(
    conn: &mut DbConnection,
    model: &Announcing,
    event: WebhookEventType,
    id: K::Id,
    announcement: &str,
    concerns: &impl Fn(&K::Response) -> bool,
) -> RepoResult<usize> {
    if !model.mails {
        return Ok(0);
    }
    let subscriptions = email::subscribed(conn, event)?;
    if subscriptions.is_empty() {
        return Ok(0);
    }
    let link = format!("/status-page/{}s/{id}", K::OBJECT);
    let emails = model.read(|model| {
        // Readers of one account with one role see the same: render the message once for them
        // (the event's service, the subject and the body; `None`: not seen, or not of concern).
        type Seen = Option<(i64, String, String)>;
        let mut seen_by: HashMap<(domain::AccountId, Role), Seen> = HashMap::new();
        let mut emails = Vec::new();
        for subscription in subscriptions {
            let Some(caller) = reader(model, &subscription)? else {
                continue;
            };
            let seen = match seen_by.entry((caller.account_id, caller.role)) {
                std::collections::hash_map::Entry::Occupied(seen) => seen.into_mut(),
                std::collections::hash_map::Entry::Vacant(slot) => {
                    let mut reads = Mixed {
                        model,
                        conn: &mut *conn,
                    };
                    slot.insert(match K::load_one(&mut reads, &caller, id) {
                        Ok(seen) if concerns(&seen) => {
                            let (subject, body) = message(event, &K::in_words(&seen));
                            Some((K::service_id(&seen), subject, body))
                        }
                        Ok(_) | Err(RepoError::NotFound) => None,
                        Err(other) => return Err(other),
                    })
                }
            };
            let Some((service, subject, body)) = seen.as_ref() else {
                continue;
            };
            if !(subscription.service_ids.is_empty() || subscription.service_ids.contains(service))
            {
                continue;
            }
            emails.push(NewEmail {
                subscription_id: subscription.id,
                announcement: announcement.to_owned(),
                recipient: subscription.email.clone(),
                event_type: event.as_str().to_owned(),
                subject: subject.clone(),
                body: body.clone(),
                link: link.clone(),
            });
        }
        Ok(emails)
    })?;
    email::enqueue(conn, &emails)
}

/// The subject and body of a message about `event`, in `words`.
fn message(event: WebhookEventType, words: &crate::views::events::EventWords) -> (String, String) {
    let (title, about) = (&words.title, &words.about);
    let tenants = words
        .tenants
        .as_ref()
        .map(crate::views::events::TenantList::line)
        .unwrap_or_default();
    (
        format!("{}: {title}", in_words(event)),
        format!("{title}\n{} · {about}\n{tenants}\n", in_words(event)),
    )
}

/// The event type of a confirmation message (it is no event's).
pub const CONFIRMATION: &str = "subscription.confirm";

/// Writes the message asking `subscription`'s address to confirm it (double opt-in: an
/// account's subscription to an address that is not one of its contacts' sends nothing until
/// then), naming the account that asked.
pub fn ask_to_confirm(
    conn: &mut DbConnection,
    subscription: &EmailSubscription,
    account_name: &str,
) -> RepoResult<usize> {
    email::enqueue(
        conn,
        &[NewEmail {
            subscription_id: subscription.id,
            announcement: format!("confirm-{}", subscription.id),
            recipient: subscription.email.clone(),
            event_type: CONFIRMATION.to_owned(),
            subject: format!("Confirm status emails for {account_name}"),
            body: format!(
                "An administrator of {account_name} asked to send status emails about its \
                 services to this address.\nNothing is sent until you confirm with the link \
                 below. If you did not expect this, ignore this message or unsubscribe.\n"
            ),
            link: String::new(),
        }],
    )
}
