//! Webhook announcements: inside a write's transaction, one delivery per subscribed endpoint
//! whose owner may see the event goes into the outbox (Standard Webhooks messages).

use domain::{Caller, WebhookFormat};
use persistence::model::{Mixed, Model};
use persistence::repo::webhooks::{self, NewDelivery, Webhook};
use persistence::{DbConnection, RepoError, RepoResult};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;

use crate::http::auth::feed_token::random_token;
use crate::http::db::Announcing;
use crate::views::events::EventKind;

/// The body of every delivery, per the Standard Webhooks payload structure.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct WebhookMessage<T> {
    /// E.g. `incident.created`; `webhook.test` for a ping.
    #[serde(rename = "type")]
    pub event_type: String,
    #[serde(with = "crate::http::wire::instant")]
    pub timestamp: OffsetDateTime,
    /// The incident or maintenance as the endpoint's account sees it (its tenants only).
    pub data: T,
}

/// What a ping carries.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PingData {
    pub webhook_id: i64,
}

pub(crate) fn new_message_id() -> String {
    format!("msg_{}", random_token(18))
}

/// The caller an endpoint's payloads are rendered for: its account, as a viewer (no contact:
/// what an account sees does not depend on which of its contacts asks).
fn endpoint_caller(model: &Model, hook: &Webhook) -> RepoResult<Caller> {
    model.account_viewer(hook.account_id)
}

/// Writes, inside the transaction of a write to event `id`, one delivery for every enabled
/// endpoint subscribed to `event` whose account sees the event (and whose filters keep it),
/// carrying the event as that account sees it, and the event's emails
/// ([`crate::services::email::announce`]). Returns how many.
pub fn announce<K: EventKind>(
    conn: &mut DbConnection,
    model: &Announcing,
    event: domain::WebhookEventType,
    id: K::Id,
) -> RepoResult<usize> {
    announce_where::<K>(conn, model, event, id, |_| true)
}

/// [`announce`] to the endpoints whose view of the event `concerns` accepts (e.g. those that
/// see one of the tenants a write changed).
pub fn announce_where<K: EventKind>(
    conn: &mut DbConnection,
    model: &Announcing,
    event: domain::WebhookEventType,
    id: K::Id,
    concerns: impl Fn(&K::Response) -> bool,
) -> RepoResult<usize> {
    let announcement = new_message_id();
    let mailed =
        crate::services::email::announce::<K>(conn, model, event, id, &announcement, &concerns)?;
    let hooks = webhooks::subscribed(conn, event)?;
    if hooks.is_empty() {
        return Ok(mailed);
    }
    let timestamp = OffsetDateTime::now_utc();
    // The event's page names all of the reader's tenants a chat message leaves out.
    let link = format!("{}/status-page/{}s/{id}", model.public_url, K::OBJECT);
    let deliveries = model.read(|model| {
        let mut deliveries = Vec::new();
        for hook in hooks {
            let caller = endpoint_caller(model, &hook)?;
            let mut reads = Mixed {
                model,
                conn: &mut *conn,
            };
            let seen = match K::load_one(&mut reads, &caller, id) {
                Ok(seen) => seen,
                // The account sees none of the tenants the event affects.
                Err(RepoError::NotFound) => continue,
                Err(other) => return Err(other),
            };
            let keeps = (hook.service_ids.is_empty()
                || hook.service_ids.contains(&K::service_id(&seen)))
                && (hook.offering_ids.is_empty()
                    || K::offering_ids(&seen)
                        .iter()
                        .any(|o| hook.offering_ids.contains(o)))
                && concerns(&seen);
            if !keeps {
                continue;
            }
            let payload = match hook.format {
                WebhookFormat::Standard => serde_json::to_value(WebhookMessage {
                    event_type: event.as_str().to_owned(),
                    timestamp,
                    data: &seen,
                })
                .map_err(|e| RepoError::Corrupt(e.to_string()))?,
                chat => crate::views::chat::chat_message(
                    chat,
                    event.as_str(),
                    &K::in_words(&seen),
                    Some(&link),
                ),
            };
            deliveries.push(NewDelivery {
                webhook_id: hook.id,
                message_id: new_message_id(),
                event_type: event.as_str().to_owned(),
                payload: payload.to_string(),
            });
        }
        Ok(deliveries)
    })?;
    webhooks::enqueue(conn, &deliveries).map(|ids| ids.len() + mailed)
}
