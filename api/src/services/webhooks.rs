//! Webhook announcements: inside a write's transaction, one delivery per subscribed endpoint
//! whose owner may see the event goes into the outbox (Standard Webhooks messages).

use domain::{Caller, WebhookFormat};
use persistence::model::{Mixed, Model, ReadModel};
use persistence::repo::webhooks::{self, NewDelivery, Webhook};
use persistence::{DbConnection, RepoError, RepoResult};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use time::OffsetDateTime;
use utoipa::ToSchema;

use crate::http::auth::feed_token::random_token;
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

/// A chat message for a Slack incoming webhook or a Teams workflow webhook: the event type and
/// title, a line about the event, the account's tenants.
pub(crate) fn chat_message(format: WebhookFormat, event: &str, words: &[String; 3]) -> Value {
    let [title, about, tenants] = words;
    match format {
        WebhookFormat::Teams => json!({
            "type": "message",
            "attachments": [{
                "contentType": "application/vnd.microsoft.card.adaptive",
                "content": {
                    "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                    "type": "AdaptiveCard",
                    "version": "1.4",
                    "body": [
                        {"type": "TextBlock", "text": title, "weight": "Bolder", "size": "Medium", "wrap": true},
                        {"type": "TextBlock", "text": format!("{event} · {about}"), "wrap": true, "isSubtle": true},
                        {"type": "TextBlock", "text": tenants, "wrap": true},
                    ],
                },
            }],
        }),
        _ => {
            // Slack's mrkdwn reads &, < and > as markup.
            let escape = |text: &str| {
                text.replace('&', "&amp;")
                    .replace('<', "&lt;")
                    .replace('>', "&gt;")
            };
            json!({
                "text": format!("{event}: {}", escape(title)),
                "blocks": [
                    {"type": "header", "text": {"type": "plain_text", "text": title}},
                    {"type": "section", "text": {"type": "mrkdwn", "text": format!("*{event}* · {}\n{}", escape(about), escape(tenants))}},
                ],
            })
        }
    }
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
    model: &ReadModel,
    event: domain::WebhookEventType,
    id: K::Id,
) -> RepoResult<usize> {
    announce_where::<K>(conn, model, event, id, |_| true)
}

/// [`announce`] to the endpoints whose view of the event `concerns` accepts (e.g. those that
/// see one of the tenants a write changed).
pub fn announce_where<K: EventKind>(
    conn: &mut DbConnection,
    model: &ReadModel,
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
                chat => chat_message(chat, event.as_str(), &K::in_words(&seen)),
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
