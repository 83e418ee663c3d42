//! Email announcements: inside a write's transaction, one message per recipient address for
//! every email subscription to the event whose reader (the contact, or the account) may see it
//! — written as that reader sees the event, its tenants only.

use std::collections::HashMap;

use domain::{AccountScope, Caller, Role, WebhookEventType};
use persistence::model::{Mixed, Model, ReadModel};
use persistence::repo::email::{self, EmailSubscription, NewEmail, Subscriber};
use persistence::{DbConnection, RepoError, RepoResult};

use crate::views::events::EventKind;

/// The reader a subscription's messages are written for: its contact, or its account as a
/// viewer. `None` when the contact is gone.
fn reader(model: &Model, subscription: &EmailSubscription) -> RepoResult<Option<Caller>> {
    match subscription.subscriber {
        Subscriber::Contact(contact) => match model.caller(contact) {
            Ok(caller) => Ok(Some(caller)),
            Err(RepoError::NotFound) => Ok(None),
            Err(other) => Err(other),
        },
        Subscriber::Account(_) => {
            let account = model
                .account(AccountScope::All, subscription.account_id)?
                .item;
            Ok(Some(Caller {
                contact_id: domain::ContactId(0),
                account_id: account.id,
                account_kind: account.kind,
                role: Role::Viewer,
            }))
        }
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
/// every subscription to `event` whose reader sees event `id` (and whose service filter and
/// `concerns` keep it), one message to its address; an address reached by several
/// subscriptions gets one. Returns how many.
pub fn announce<K: EventKind>(
    conn: &mut DbConnection,
    model: &ReadModel,
    event: WebhookEventType,
    id: K::Id,
    announcement: &str,
    concerns: &impl Fn(&K::Response) -> bool,
) -> RepoResult<usize> {
    let subscriptions = email::subscribed(conn, event)?;
    if subscriptions.is_empty() {
        return Ok(0);
    }
    let link = format!("/status-page/{}s/{id}", K::OBJECT);
    let emails = model.read(|model| {
        // Readers of one account with one role see the same: render the event once for them
        // (its service, and its words; `None`: not seen, or not of concern).
        type Seen = Option<(i64, crate::views::events::EventWords)>;
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
                            Some((K::service_id(&seen), K::in_words(&seen)))
                        }
                        Ok(_) | Err(RepoError::NotFound) => None,
                        Err(other) => return Err(other),
                    })
                }
            };
            let Some((service, words)) = seen.clone() else {
                continue;
            };
            let (title, about) = (&words.title, &words.about);
            let tenants = words
                .tenants
                .as_ref()
                .map(crate::views::events::TenantList::line)
                .unwrap_or_default();
            if !(subscription.service_ids.is_empty() || subscription.service_ids.contains(&service))
            {
                continue;
            }
            emails.push(NewEmail {
                subscription_id: subscription.id,
                announcement: announcement.to_owned(),
                recipient: subscription.email.clone(),
                event_type: event.as_str().to_owned(),
                subject: format!("{}: {title}", in_words(event)),
                body: format!("{title}\n{} · {about}\n{tenants}\n", in_words(event)),
                link: link.clone(),
            });
        }
        Ok(emails)
    })?;
    email::enqueue(conn, &emails)
}
