//! Webhook endpoints and their deliveries as the wire shows them.

use persistence::repo::webhooks::{self, Delivery, Webhook};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;

use crate::http::wire::{WebhookEventType, WebhookFormat};

/// A webhook endpoint (the signing secret is shown only when created or rotated).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct WebhookResponse {
    pub id: i64,
    pub url: String,
    pub description: Option<String>,
    pub event_types: Vec<WebhookEventType>,
    /// Only events of these services (empty: every service).
    pub service_ids: Vec<i64>,
    /// Only events showing on one of these offerings (empty: every offering).
    pub offering_ids: Vec<i64>,
    /// `false` after `disable_after` failed attempts in a row (see `disabled_reason`) or when
    /// an admin disabled it; PATCH `enabled: true` resumes, pending deliveries included.
    pub enabled: bool,
    pub disabled_reason: Option<String>,
    /// Failed attempts since the last success.
    pub consecutive_failures: i32,
    /// Until when the secret before the last rotation still signs (as a second signature).
    #[serde(with = "crate::http::wire::instant::option")]
    pub previous_secret_expires_at: Option<OffsetDateTime>,
    #[serde(with = "crate::http::wire::instant")]
    pub created_at: OffsetDateTime,
    #[serde(with = "crate::http::wire::instant")]
    pub updated_at: OffsetDateTime,
    /// PATCH with `If-Match: <ETag>` to change only this version.
    pub version: i64,
    pub format: WebhookFormat,
}

impl From<Webhook> for WebhookResponse {
    fn from(w: Webhook) -> Self {
        let now = OffsetDateTime::now_utc();
        Self {
            id: w.id,
            url: w.url,
            description: Some(w.description).filter(|d| !d.is_empty()),
            event_types: w.event_types.iter().map(Into::into).collect(),
            service_ids: w.service_ids,
            offering_ids: w.offering_ids,
            enabled: w.enabled,
            disabled_reason: w.disabled_reason,
            consecutive_failures: w.consecutive_failures,
            previous_secret_expires_at: w
                .previous_secret
                .map(|(_, until)| until)
                .filter(|until| *until > now),
            created_at: w.created_at,
            updated_at: w.updated_at,
            version: w.version,
            format: w.format.into(),
        }
    }
}

/// A new endpoint with its signing secret (shown only now: keep it).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CreatedWebhookResponse {
    #[serde(flatten)]
    pub webhook: WebhookResponse,
    /// The Standard Webhooks secret (`whsec_…`) that signs every delivery.
    pub secret: String,
}

/// A new secret (shown only now).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RotatedSecretResponse {
    pub secret: String,
    #[serde(with = "crate::http::wire::instant::option")]
    pub previous_secret_expires_at: Option<OffsetDateTime>,
    pub version: i64,
}

/// One message to an endpoint and what became of it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DeliveryResponse {
    pub id: i64,
    /// The `webhook-id` header: the same on every attempt, so receivers can drop repeats.
    pub message_id: String,
    pub event_type: String,
    /// `pending` (due at `next_attempt_at`), `delivered`, or `failed` (retries exhausted).
    pub state: String,
    #[serde(with = "crate::http::wire::instant::option")]
    pub next_attempt_at: Option<OffsetDateTime>,
    #[serde(with = "crate::http::wire::instant")]
    pub created_at: OffsetDateTime,
    #[serde(with = "crate::http::wire::instant::option")]
    pub delivered_at: Option<OffsetDateTime>,
    /// The message body, exactly as signed and sent.
    pub payload: serde_json::Value,
    /// Every attempt, oldest first.
    pub attempts: Vec<AttemptResponse>,
}

/// One try at sending a message.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AttemptResponse {
    #[serde(with = "crate::http::wire::instant")]
    pub attempted_at: OffsetDateTime,
    pub duration_ms: i64,
    /// The receiver's HTTP status, when it answered.
    pub status: Option<i32>,
    pub error: Option<String>,
    pub succeeded: bool,
}

pub(crate) fn delivery_response(
    delivery: Delivery,
    attempts: &[webhooks::Attempt],
) -> DeliveryResponse {
    DeliveryResponse {
        id: delivery.id,
        payload: serde_json::from_str(&delivery.payload).unwrap_or(serde_json::Value::Null),
        message_id: delivery.message_id,
        event_type: delivery.event_type,
        state: delivery.state.as_str().to_owned(),
        next_attempt_at: delivery.next_attempt_at,
        created_at: delivery.created_at,
        delivered_at: delivery.delivered_at,
        attempts: attempts
            .iter()
            .filter(|a| a.delivery_id == delivery.id)
            .map(|a| AttemptResponse {
                attempted_at: a.attempted_at,
                duration_ms: a.duration_ms,
                status: a.status,
                error: a.error.clone(),
                succeeded: a.succeeded,
            })
            .collect(),
    }
}
