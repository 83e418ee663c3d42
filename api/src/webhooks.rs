//! Webhook endpoints an account manages for itself (its admins write, its contacts read), and
//! the outbox: [`announce`] writes, in the transaction of an incident or maintenance write, one
//! delivery per subscribed endpoint with the event as that endpoint's account sees it.

use actix_web::http::StatusCode;
use actix_web::{delete, get, patch, post, web, HttpRequest, HttpResponse};
use domain::integration::TEST_EVENT;
use domain::{
    AccountScope, Caller, EventTypes, OfferingId, OfferingScope, Role, ServiceId,
    WebhookDescription, WebhookUrl,
};
use persistence::model::{Mixed, Model, ReadModel};
use persistence::repo::webhooks::{
    self, Delivery, NewDelivery, NewWebhook, Webhook, WebhookChanges,
};
use persistence::{DbConnection, RepoError, RepoResult};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;

use crate::auth::Authenticated;
use crate::conditional::{expected_version, versioned_json};
use crate::db::Db;
use crate::error::{ApiError, ReadProblems, WriteProblems};
use crate::extract::{JsonBody, QueryParams};
use crate::idempotency::once;
use crate::pagination::{Page, PageParams};
use crate::routes::events::EventKind;
use crate::settings::WebhookSettings;

/// Declares the wire enum of the webhook event types, spelled as on the wire, with the
/// conversions to and from the domain's.
macro_rules! event_types {
    ($($variant:ident => $text:tt),+ $(,)?) => {
        /// What a webhook can subscribe to.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
        pub enum WebhookEventType {
            $(#[serde(rename = $text)] $variant),+
        }

        impl From<WebhookEventType> for domain::WebhookEventType {
            fn from(value: WebhookEventType) -> Self {
                match value { $(WebhookEventType::$variant => Self::$variant),+ }
            }
        }

        impl From<domain::WebhookEventType> for WebhookEventType {
            fn from(value: domain::WebhookEventType) -> Self {
                match value { $(domain::WebhookEventType::$variant => Self::$variant),+ }
            }
        }
    };
}

event_types!(
    IncidentCreated => "incident.created",
    IncidentUpdated => "incident.updated",
    IncidentResolved => "incident.resolved",
    IncidentReopened => "incident.reopened",
    MaintenanceScheduled => "maintenance.scheduled",
    MaintenanceUpdated => "maintenance.updated",
    MaintenanceStarted => "maintenance.started",
    MaintenanceCompleted => "maintenance.completed",
    MaintenanceCancelled => "maintenance.cancelled",
);

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
    #[serde(with = "crate::wire::instant::option")]
    pub previous_secret_expires_at: Option<OffsetDateTime>,
    #[serde(with = "crate::wire::instant")]
    pub created_at: OffsetDateTime,
    #[serde(with = "crate::wire::instant")]
    pub updated_at: OffsetDateTime,
    /// PATCH with `If-Match: <ETag>` to change only this version.
    pub version: i64,
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

/// A new endpoint.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateWebhookRequest {
    /// Where deliveries are POSTed: a public `https` URL.
    #[schema(max_length = 2000)]
    pub url: String,
    #[schema(max_length = 200)]
    pub description: Option<String>,
    /// At least one.
    pub event_types: Vec<WebhookEventType>,
    /// Only events of these services (default: every service).
    #[serde(default)]
    pub service_ids: Vec<i64>,
    /// Only events showing on one of these of the account's offerings (default: any).
    #[serde(default)]
    pub offering_ids: Vec<i64>,
}

/// Changes to an endpoint; absent fields stay.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateWebhookRequest {
    #[schema(max_length = 2000)]
    pub url: Option<String>,
    /// `null` removes it.
    #[serde(default, deserialize_with = "crate::wire::double_option")]
    #[schema(max_length = 200)]
    pub description: Option<Option<String>>,
    pub event_types: Option<Vec<WebhookEventType>>,
    pub service_ids: Option<Vec<i64>>,
    pub offering_ids: Option<Vec<i64>>,
    pub enabled: Option<bool>,
}

/// How long the current secret keeps signing after a rotation.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RotateSecretRequest {
    /// Seconds, 0–604800 (a week); default 86400. During it every delivery carries both
    /// signatures, so receivers can switch without missing one.
    #[schema(minimum = 0, maximum = 604_800)]
    pub grace_seconds: Option<i64>,
}

/// A new secret (shown only now).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RotatedSecretResponse {
    pub secret: String,
    #[serde(with = "crate::wire::instant::option")]
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
    #[serde(with = "crate::wire::instant::option")]
    pub next_attempt_at: Option<OffsetDateTime>,
    #[serde(with = "crate::wire::instant")]
    pub created_at: OffsetDateTime,
    #[serde(with = "crate::wire::instant::option")]
    pub delivered_at: Option<OffsetDateTime>,
    /// The message body, exactly as signed and sent.
    pub payload: serde_json::Value,
    /// Every attempt, oldest first.
    pub attempts: Vec<AttemptResponse>,
}

/// One try at sending a message.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AttemptResponse {
    #[serde(with = "crate::wire::instant")]
    pub attempted_at: OffsetDateTime,
    pub duration_ms: i64,
    /// The receiver's HTTP status, when it answered.
    pub status: Option<i32>,
    pub error: Option<String>,
    pub succeeded: bool,
}

fn delivery_response(delivery: Delivery, attempts: &[webhooks::Attempt]) -> DeliveryResponse {
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

/// The body of every delivery, per the Standard Webhooks payload structure.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct WebhookMessage<T> {
    /// E.g. `incident.created`; `webhook.test` for a ping.
    #[serde(rename = "type")]
    pub event_type: String,
    #[serde(with = "crate::wire::instant")]
    pub timestamp: OffsetDateTime,
    /// The incident or maintenance as the endpoint's account sees it (its tenants only).
    pub data: T,
}

/// What a ping carries.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PingData {
    pub webhook_id: i64,
}

/// A random token of `bytes` bytes, URL-safe base64 without padding.
pub(crate) fn random_token(bytes: usize) -> String {
    use base64::Engine;
    let mut raw = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut raw);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
}

/// A new Standard Webhooks signing secret: `whsec_` and 32 random bytes in base64.
fn new_secret() -> String {
    use base64::Engine;
    let mut raw = [0u8; 32];
    rand::rng().fill_bytes(&mut raw);
    format!(
        "whsec_{}",
        base64::engine::general_purpose::STANDARD.encode(raw)
    )
}

fn new_message_id() -> String {
    format!("msg_{}", random_token(18))
}

/// The caller an endpoint's payloads are rendered for: its account, as a viewer (no contact:
/// what an account sees does not depend on which of its contacts asks).
fn endpoint_caller(model: &Model, hook: &Webhook) -> RepoResult<Caller> {
    let account = model.account(AccountScope::All, hook.account_id)?.item;
    Ok(Caller {
        contact_id: domain::ContactId(0),
        account_id: account.id,
        account_kind: account.kind,
        role: Role::Viewer,
    })
}

/// Writes, inside the transaction of a write to event `id`, one delivery for every enabled
/// endpoint subscribed to `event` whose account sees the event (and whose filters keep it),
/// carrying the event as that account sees it. Returns how many.
pub fn announce<K: EventKind>(
    conn: &mut DbConnection,
    model: &ReadModel,
    event: domain::WebhookEventType,
    id: K::Id,
) -> RepoResult<usize> {
    let hooks = webhooks::subscribed(conn, event)?;
    if hooks.is_empty() {
        return Ok(0);
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
                        .any(|o| hook.offering_ids.contains(o)));
            if !keeps {
                continue;
            }
            let message = WebhookMessage {
                event_type: event.as_str().to_owned(),
                timestamp,
                data: seen,
            };
            deliveries.push(NewDelivery {
                webhook_id: hook.id,
                message_id: new_message_id(),
                event_type: event.as_str().to_owned(),
                payload: serde_json::to_string(&message)
                    .map_err(|e| RepoError::Corrupt(e.to_string()))?,
            });
        }
        Ok(deliveries)
    })?;
    webhooks::enqueue(conn, &deliveries).map(|ids| ids.len())
}

/// Only the account's admins configure its integrations; its other contacts read them.
pub(crate) fn require_account_admin(caller: &Caller) -> Result<(), ApiError> {
    if caller.may_manage_integrations() {
        Ok(())
    } else {
        Err(ApiError::new(
            actix_web::http::StatusCode::FORBIDDEN,
            "forbidden",
            "only the account's admins may change its integrations",
        ))
    }
}

/// Checks that every filter names a known service and an offering the caller sees.
fn check_filters(
    model: &Model,
    caller: &Caller,
    services: &[i64],
    offerings: &[i64],
) -> RepoResult<()> {
    if let Some(bad) = services
        .iter()
        .find(|s| model.service(ServiceId(**s)).is_err())
    {
        return Err(domain::DomainError::invalid(
            "service_ids",
            format!("no service with id {bad}"),
        )
        .into());
    }
    let scope: OfferingScope = caller.offering_scope();
    if let Some(bad) = offerings
        .iter()
        .find(|o| model.offering(scope, OfferingId(**o)).is_err())
    {
        return Err(domain::DomainError::invalid(
            "offering_ids",
            format!("no offering with id {bad}"),
        )
        .into());
    }
    Ok(())
}

fn event_types(types: &[WebhookEventType]) -> Result<EventTypes, ApiError> {
    let types: Vec<domain::WebhookEventType> = types.iter().map(|t| (*t).into()).collect();
    Ok(EventTypes::new(&types)?)
}

fn description(raw: Option<&str>) -> Result<Option<WebhookDescription>, ApiError> {
    Ok(raw
        .filter(|d| !d.trim().is_empty())
        .map(WebhookDescription::parse)
        .transpose()?)
}

/// The caller's account's webhook endpoints.
#[utoipa::path(tag = "integrations", params(PageParams), responses((status = 200, body = Page<WebhookResponse>), ReadProblems))]
#[get("/webhooks")]
pub async fn list_webhooks(
    db: web::Data<Db>,
    caller: Authenticated,
    page: QueryParams<PageParams>,
) -> Result<web::Json<Page<WebhookResponse>>, ApiError> {
    let (page, account) = (page.0.request()?, caller.0.account_id);
    let found = db
        .run(move |conn| webhooks::list(conn, account, page))
        .await?;
    Ok(web::Json(Page::from_records(found, WebhookResponse::from)))
}

/// One of the caller's account's webhook endpoints.
#[utoipa::path(tag = "integrations", params(("id" = i64, Path, description = "Webhook id")), responses((status = 200, body = WebhookResponse), ReadProblems))]
#[get("/webhooks/{id}")]
pub async fn get_webhook(
    db: web::Data<Db>,
    caller: Authenticated,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let (account, id) = (caller.0.account_id, id.into_inner());
    let hook = db
        .run(move |conn| webhooks::find(conn, Some(account), id))
        .await?;
    let response = WebhookResponse::from(hook);
    versioned_json(response.version, &response)
}

/// Register a webhook endpoint for the caller's account (its admins). The answer carries the
/// signing secret, shown only this once. Deliveries name only the account's own tenants and
/// offerings.
#[utoipa::path(tag = "integrations", params(crate::idempotency::IdempotencyKey), request_body = CreateWebhookRequest, responses((status = 201, body = CreatedWebhookResponse), WriteProblems))]
#[post("/webhooks")]
pub async fn create_webhook(
    db: web::Data<Db>,
    settings: web::Data<WebhookSettings>,
    caller: Authenticated,
    req: HttpRequest,
    body: JsonBody<CreateWebhookRequest>,
) -> Result<HttpResponse, ApiError> {
    require_account_admin(&caller.0)?;
    let JsonBody(body, raw) = body;
    let caller = caller.0;
    let new = NewWebhook {
        account_id: caller.account_id,
        url: WebhookUrl::parse(&body.url, settings.allow_private)?,
        description: description(body.description.as_deref())?,
        event_types: event_types(&body.event_types)?,
        service_ids: body.service_ids,
        offering_ids: body.offering_ids,
        secret: new_secret(),
    };
    let (checker, services, offerings) = (
        caller.clone(),
        new.service_ids.clone(),
        new.offering_ids.clone(),
    );
    db.read(move |model| check_filters(model, &checker, &services, &offerings))
        .await?;
    crate::idempotency::create_once(&db, &caller.clone(), &req, &raw, move |conn| {
        let hook = webhooks::create(conn, &new)?;
        let response = WebhookResponse::from(hook.clone());
        crate::audit::created(conn, &caller, "webhook", hook.id, &response)?;
        let location = format!("/api/v1/webhooks/{}", hook.id);
        let created = CreatedWebhookResponse {
            webhook: response,
            secret: hook.secret,
        };
        Ok((location, created))
    })
    .await
}

/// Change an endpoint (its account's admins), with `If-Match` for optimistic concurrency.
#[utoipa::path(tag = "integrations", params(("id" = i64, Path, description = "Webhook id")), request_body = UpdateWebhookRequest, responses((status = 200, body = WebhookResponse), WriteProblems))]
#[patch("/webhooks/{id}")]
pub async fn update_webhook(
    db: web::Data<Db>,
    settings: web::Data<WebhookSettings>,
    caller: Authenticated,
    req: HttpRequest,
    id: web::Path<i64>,
    body: JsonBody<UpdateWebhookRequest>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let caller = require_visible_admin(&db, caller, id).await?;
    let body = body.0;
    let changes = WebhookChanges {
        url: body
            .url
            .as_deref()
            .map(|u| WebhookUrl::parse(u, settings.allow_private))
            .transpose()?,
        description: body
            .description
            .map(|d| description(d.as_deref()))
            .transpose()?,
        event_types: body.event_types.as_deref().map(event_types).transpose()?,
        service_ids: body.service_ids,
        offering_ids: body.offering_ids,
        enabled: body.enabled,
        rotate: None,
    };
    let (checker, services, offerings) = (
        caller.clone(),
        changes.service_ids.clone().unwrap_or_default(),
        changes.offering_ids.clone().unwrap_or_default(),
    );
    db.read(move |model| check_filters(model, &checker, &services, &offerings))
        .await?;
    let expected = expected_version(&req);
    let response = change(&db, caller, id, move |conn, account| {
        webhooks::update(conn, account, id, expected, &changes)
    })
    .await?;
    versioned_json(response.version, &response)
}

/// 404 when the endpoint is not the caller's account's, 403 when the caller is not its admin.
async fn require_visible_admin(
    db: &Db,
    caller: Authenticated,
    id: i64,
) -> Result<Caller, ApiError> {
    let account = caller.0.account_id;
    db.run(move |conn| webhooks::find(conn, Some(account), id))
        .await?;
    require_account_admin(&caller.0)?;
    Ok(caller.0)
}

/// Runs `write` on one of the caller's account's endpoints with its audit entry.
async fn change(
    db: &Db,
    caller: Caller,
    id: i64,
    write: impl Fn(&mut DbConnection, domain::AccountId) -> RepoResult<Webhook> + Send + 'static,
) -> Result<WebhookResponse, ApiError> {
    db.run(move |conn| change_in(conn, &caller, id, &write))
        .await
}

/// [`change`] on a connection the caller holds.
fn change_in(
    conn: &mut DbConnection,
    caller: &Caller,
    id: i64,
    write: impl Fn(&mut DbConnection, domain::AccountId) -> RepoResult<Webhook>,
) -> RepoResult<WebhookResponse> {
    let account = caller.account_id;
    crate::audit::audited_in(
        conn,
        caller,
        "webhook",
        id,
        move |conn| webhooks::find(conn, Some(account), id).map(WebhookResponse::from),
        move |conn, _| write(conn, account).map(|hook| Some(hook.into())),
    )?
    .ok_or(RepoError::NotFound)
}

/// Replace the signing secret (its account's admins): the answer shows the new one once; the
/// old one keeps signing (as a second signature) for `grace_seconds`.
#[utoipa::path(tag = "integrations", params(("id" = i64, Path, description = "Webhook id"), crate::idempotency::IdempotencyKey), request_body = RotateSecretRequest, responses((status = 200, body = RotatedSecretResponse), WriteProblems))]
#[post("/webhooks/{id}/rotate-secret")]
pub async fn rotate_webhook_secret(
    db: web::Data<Db>,
    caller: Authenticated,
    req: HttpRequest,
    id: web::Path<i64>,
    body: JsonBody<RotateSecretRequest>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let caller = require_visible_admin(&db, caller, id).await?;
    let JsonBody(body, raw) = body;
    let grace = body.grace_seconds.unwrap_or(86_400);
    if !(0..=604_800).contains(&grace) {
        return Err(ApiError::invalid(
            "grace_seconds",
            "must be from 0 to 604800",
        ));
    }
    let secret = new_secret();
    let until = OffsetDateTime::now_utc() + time::Duration::seconds(grace);
    let changes = WebhookChanges {
        rotate: Some((secret.clone(), until)),
        ..WebhookChanges::default()
    };
    let writer = caller.clone();
    once(&db, &caller, &req, &raw, StatusCode::OK, move |conn| {
        let response = change_in(conn, &writer, id, |conn, account| {
            webhooks::update(conn, account, id, None, &changes)
        })?;
        let rotated = RotatedSecretResponse {
            secret: secret.clone(),
            previous_secret_expires_at: response.previous_secret_expires_at,
            version: response.version,
        };
        Ok((None, rotated))
    })
    .await
}

/// Remove an endpoint and its deliveries (its account's admins).
#[utoipa::path(tag = "integrations", params(("id" = i64, Path, description = "Webhook id")), responses((status = 204, description = "Deleted"), WriteProblems))]
#[delete("/webhooks/{id}")]
pub async fn delete_webhook(
    db: web::Data<Db>,
    caller: Authenticated,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let caller = require_visible_admin(&db, caller, id).await?;
    let account = caller.account_id;
    crate::audit::audited(
        &db,
        &caller,
        "webhook",
        id,
        move |conn| webhooks::find(conn, Some(account), id).map(WebhookResponse::from),
        move |conn| webhooks::delete(conn, account, id).map(|()| None),
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Send a `webhook.test` ping to an endpoint now (its account's admins): answers 202 with the
/// delivery, whose attempts show what the receiver said.
#[utoipa::path(tag = "integrations", params(("id" = i64, Path, description = "Webhook id"), crate::idempotency::IdempotencyKey), responses((status = 202, body = DeliveryResponse), WriteProblems))]
#[post("/webhooks/{id}/test")]
pub async fn test_webhook(
    db: web::Data<Db>,
    caller: Authenticated,
    req: HttpRequest,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let caller = require_visible_admin(&db, caller, id).await?;
    let message = WebhookMessage {
        event_type: TEST_EVENT.to_owned(),
        timestamp: OffsetDateTime::now_utc(),
        data: PingData { webhook_id: id },
    };
    let payload = serde_json::to_string(&message).map_err(ApiError::internal)?;
    once(&db, &caller, &req, &[], StatusCode::ACCEPTED, move |conn| {
        let ids = webhooks::enqueue(
            conn,
            &[NewDelivery {
                webhook_id: id,
                message_id: new_message_id(),
                event_type: TEST_EVENT.to_owned(),
                payload: payload.clone(),
            }],
        )?;
        let delivery_id = ids.first().copied().ok_or(RepoError::NotFound)?;
        let delivery = webhooks::delivery(conn, id, delivery_id)?;
        Ok((None, delivery_response(delivery, &[])))
    })
    .await
}

/// An endpoint's deliveries, newest first, with every attempt.
#[utoipa::path(tag = "integrations", params(("id" = i64, Path, description = "Webhook id"), PageParams), responses((status = 200, body = Page<DeliveryResponse>), ReadProblems))]
#[get("/webhooks/{id}/deliveries")]
pub async fn list_webhook_deliveries(
    db: web::Data<Db>,
    caller: Authenticated,
    id: web::Path<i64>,
    page: QueryParams<PageParams>,
) -> Result<web::Json<Page<DeliveryResponse>>, ApiError> {
    let (page, account, id) = (page.0.request()?, caller.0.account_id, id.into_inner());
    let (found, attempts) = db
        .run(move |conn| {
            webhooks::find(conn, Some(account), id)?;
            let found = webhooks::deliveries(conn, id, page)?;
            let ids: Vec<i64> = found.items.iter().map(|d| d.id).collect();
            Ok((found, webhooks::attempts(conn, &ids)?))
        })
        .await?;
    Ok(web::Json(Page::from_records(found, |d| {
        delivery_response(d, &attempts)
    })))
}

/// One delivery of an endpoint, with every attempt.
#[utoipa::path(tag = "integrations", params(("id" = i64, Path, description = "Webhook id"), ("delivery_id" = i64, Path, description = "Delivery id")), responses((status = 200, body = DeliveryResponse), ReadProblems))]
#[get("/webhooks/{id}/deliveries/{delivery_id}")]
pub async fn get_webhook_delivery(
    db: web::Data<Db>,
    caller: Authenticated,
    path: web::Path<(i64, i64)>,
) -> Result<web::Json<DeliveryResponse>, ApiError> {
    let ((id, delivery), account) = (path.into_inner(), caller.0.account_id);
    let (found, attempts) = db
        .run(move |conn| {
            webhooks::find(conn, Some(account), id)?;
            let found = webhooks::delivery(conn, id, delivery)?;
            Ok((found, webhooks::attempts(conn, &[delivery])?))
        })
        .await?;
    Ok(web::Json(delivery_response(found, &attempts)))
}

/// Send a delivery again now, whatever became of it (its account's admins); the message keeps
/// its `webhook-id`.
#[utoipa::path(tag = "integrations", params(("id" = i64, Path, description = "Webhook id"), ("delivery_id" = i64, Path, description = "Delivery id"), crate::idempotency::IdempotencyKey), responses((status = 202, body = DeliveryResponse), WriteProblems))]
#[post("/webhooks/{id}/deliveries/{delivery_id}/redeliver")]
pub async fn redeliver_webhook_delivery(
    db: web::Data<Db>,
    caller: Authenticated,
    req: HttpRequest,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, ApiError> {
    let (id, delivery) = path.into_inner();
    let caller = require_visible_admin(&db, caller, id).await?;
    once(&db, &caller, &req, &[], StatusCode::ACCEPTED, move |conn| {
        let found = webhooks::redeliver(conn, id, delivery)?;
        let attempts = webhooks::attempts(conn, &[delivery])?;
        Ok((None, delivery_response(found, &attempts)))
    })
    .await
}
