//! Webhook handlers: an account's admins manage endpoints, rotate secrets, ping, and read and
//! redeliver deliveries.

use actix_web::http::StatusCode;
use actix_web::{delete, get, patch, post, web, HttpRequest, HttpResponse};
use domain::integration::TEST_EVENT;
use domain::{Caller, OfferingId, OfferingScope, ServiceId, WebhookDescription, WebhookUrl};
use persistence::model::Model;
use persistence::repo::webhooks::{self, NewDelivery, NewWebhook, Webhook, WebhookChanges};
use persistence::{DbConnection, RepoError, RepoResult};
use rand::RngCore;
use serde::Deserialize;
use time::OffsetDateTime;
use utoipa::ToSchema;

use crate::http::auth::{require_account_admin, Authenticated};
use crate::http::conditional::{expected_version, versioned_json};
use crate::http::db::Db;
use crate::http::error::{ApiError, ReadProblems, WriteProblems};
use crate::http::extract::{JsonBody, QueryParams};
use crate::http::idempotency::once;
use crate::http::pagination::{Page, PageParams};
use crate::http::state::AppState;
use crate::http::wire::{event_types, WebhookEventType, WebhookFormat};
use crate::services::webhooks::{new_message_id, PingData, WebhookMessage};
use crate::views::webhooks::{
    delivery_response, CreatedWebhookResponse, DeliveryResponse, RotatedSecretResponse,
    WebhookResponse,
};

/// A new endpoint.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateWebhookRequest {
    /// Where deliveries are POSTed: an absolute, public `https` URL (`http` and private hosts
    /// only where the server allows them, `SLR_WEBHOOK_ALLOW_PRIVATE`).
    #[schema(format = "uri", max_length = 2000)]
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
    /// `standard` (default), or `slack` / `teams` to post straight into a channel through a
    /// Slack incoming webhook or a Teams workflow webhook URL.
    pub format: Option<WebhookFormat>,
}

/// Changes to an endpoint; absent fields stay.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateWebhookRequest {
    /// A new target, under the same rules as on create.
    #[schema(format = "uri", max_length = 2000)]
    pub url: Option<String>,
    /// `null` removes it.
    #[serde(default, deserialize_with = "crate::http::wire::double_option")]
    #[schema(max_length = 200)]
    pub description: Option<Option<String>>,
    pub event_types: Option<Vec<WebhookEventType>>,
    pub service_ids: Option<Vec<i64>>,
    pub offering_ids: Option<Vec<i64>>,
    pub enabled: Option<bool>,
    pub format: Option<WebhookFormat>,
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

pub(crate) fn description(raw: Option<&str>) -> Result<Option<WebhookDescription>, ApiError> {
    Ok(raw
        .filter(|d| !d.trim().is_empty())
        .map(WebhookDescription::parse)
        .transpose()?)
}

/// The caller's account's webhook endpoints.
#[utoipa::path(tag = "integrations", params(PageParams), responses((status = 200, body = Page<WebhookResponse>), ReadProblems), extensions(("x-answer-cache" = json!("none"))))]
#[get("/webhooks")]
pub async fn list_webhooks(
    state: web::Data<AppState>,
    caller: Authenticated,
    page: QueryParams<PageParams>,
) -> Result<web::Json<Page<WebhookResponse>>, ApiError> {
    let db = &state.db;
    let (page, account) = (page.0.request()?, caller.0.account_id);
    let found = db
        .run(move |conn| webhooks::list(conn, account, page))
        .await?;
    Ok(web::Json(Page::from_records(found, WebhookResponse::from)))
}

/// One of the caller's account's webhook endpoints.
#[utoipa::path(tag = "integrations", params(("id" = i64, Path, description = "Webhook id")), responses((status = 200, body = WebhookResponse), ReadProblems), extensions(("x-answer-cache" = json!("none"))))]
#[get("/webhooks/{id}")]
pub async fn get_webhook(
    state: web::Data<AppState>,
    caller: Authenticated,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let db = &state.db;
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
#[utoipa::path(tag = "integrations", params(crate::http::idempotency::IdempotencyKey), request_body = CreateWebhookRequest, responses((status = 201, body = CreatedWebhookResponse), WriteProblems))]
#[post("/webhooks")]
pub async fn create_webhook(
    state: web::Data<AppState>,
    caller: Authenticated,
    req: HttpRequest,
    body: JsonBody<CreateWebhookRequest>,
) -> Result<HttpResponse, ApiError> {
    let db = &state.db;
    let settings = &state.webhooks;
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
        format: body
            .format
            .map_or(domain::WebhookFormat::Standard, Into::into),
    };
    let (checker, services, offerings) = (
        caller.clone(),
        new.service_ids.clone(),
        new.offering_ids.clone(),
    );
    db.read(move |model| check_filters(model, &checker, &services, &offerings))
        .await?;
    let limit = state.limits.webhooks;
    crate::http::idempotency::create_once(db, &caller.clone(), &req, &raw, move |conn| {
        let kept = webhooks::count(conn, new.account_id)?;
        domain::integration::within_limit(
            kept,
            limit,
            "webhook endpoints",
            "SLR_MAX_WEBHOOKS_PER_ACCOUNT",
        )?;
        let hook = webhooks::create(conn, &new)?;
        let response = WebhookResponse::from(hook.clone());
        crate::services::audit::created(conn, &caller, "webhook", hook.id, &response)?;
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
    state: web::Data<AppState>,
    caller: Authenticated,
    req: HttpRequest,
    id: web::Path<i64>,
    body: JsonBody<UpdateWebhookRequest>,
) -> Result<HttpResponse, ApiError> {
    let db = &state.db;
    let settings = &state.webhooks;
    let id = id.into_inner();
    let (caller, _) = require_visible_admin(db, caller, id).await?;
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
        format: body.format.map(Into::into),
    };
    let (checker, services, offerings) = (
        caller.clone(),
        changes.service_ids.clone().unwrap_or_default(),
        changes.offering_ids.clone().unwrap_or_default(),
    );
    db.read(move |model| check_filters(model, &checker, &services, &offerings))
        .await?;
    let expected = expected_version(&req);
    let response = change(db, caller, id, move |conn, account| {
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
) -> Result<(Caller, Webhook), ApiError> {
    let account = caller.0.account_id;
    let hook = db
        .run(move |conn| webhooks::find(conn, Some(account), id))
        .await?;
    require_account_admin(&caller.0)?;
    Ok((caller.0, hook))
}

/// Runs `write` on one of the caller's account's endpoints with its audit entry.
pub(crate) async fn change(
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
    crate::services::audit::audited_in(
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
#[utoipa::path(tag = "integrations", params(("id" = i64, Path, description = "Webhook id"), crate::http::idempotency::IdempotencyKey), request_body = RotateSecretRequest, responses((status = 200, body = RotatedSecretResponse), WriteProblems))]
#[post("/webhooks/{id}/rotate-secret")]
pub async fn rotate_webhook_secret(
    state: web::Data<AppState>,
    caller: Authenticated,
    req: HttpRequest,
    id: web::Path<i64>,
    body: JsonBody<RotateSecretRequest>,
) -> Result<HttpResponse, ApiError> {
    let db = &state.db;
    let id = id.into_inner();
    let (caller, _) = require_visible_admin(db, caller, id).await?;
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
    once(db, &caller, &req, &raw, StatusCode::OK, move |conn| {
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
    state: web::Data<AppState>,
    caller: Authenticated,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let db = &state.db;
    let id = id.into_inner();
    let (caller, _) = require_visible_admin(db, caller, id).await?;
    let account = caller.account_id;
    crate::services::audit::audited(
        db,
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
#[utoipa::path(tag = "integrations", params(("id" = i64, Path, description = "Webhook id"), crate::http::idempotency::IdempotencyKey), responses((status = 202, body = DeliveryResponse), WriteProblems))]
#[post("/webhooks/{id}/test")]
pub async fn test_webhook(
    state: web::Data<AppState>,
    caller: Authenticated,
    req: HttpRequest,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let db = &state.db;
    let id = id.into_inner();
    let (caller, hook) = require_visible_admin(db, caller, id).await?;
    // A chat endpoint gets a message its channel can show.
    let payload = match hook.format {
        domain::WebhookFormat::Standard => serde_json::to_string(&WebhookMessage {
            event_type: TEST_EVENT.to_owned(),
            timestamp: OffsetDateTime::now_utc(),
            data: PingData { webhook_id: id },
        })
        .map_err(ApiError::internal)?,
        chat => {
            let words = crate::views::events::EventWords {
                title: "Test message from slr".to_owned(),
                about: format!("webhook {id} is connected"),
                tenants: None,
            };
            crate::views::chat::chat_message(chat, TEST_EVENT, &words, None).to_string()
        }
    };
    once(db, &caller, &req, &[], StatusCode::ACCEPTED, move |conn| {
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
#[utoipa::path(tag = "integrations", params(("id" = i64, Path, description = "Webhook id"), PageParams), responses((status = 200, body = Page<DeliveryResponse>), ReadProblems), extensions(("x-answer-cache" = json!("none"))))]
#[get("/webhooks/{id}/deliveries")]
pub async fn list_webhook_deliveries(
    state: web::Data<AppState>,
    caller: Authenticated,
    id: web::Path<i64>,
    page: QueryParams<PageParams>,
) -> Result<web::Json<Page<DeliveryResponse>>, ApiError> {
    let db = &state.db;
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
#[utoipa::path(tag = "integrations", params(("id" = i64, Path, description = "Webhook id"), ("delivery_id" = i64, Path, description = "Delivery id")), responses((status = 200, body = DeliveryResponse), ReadProblems), extensions(("x-answer-cache" = json!("none"))))]
#[get("/webhooks/{id}/deliveries/{delivery_id}")]
pub async fn get_webhook_delivery(
    state: web::Data<AppState>,
    caller: Authenticated,
    path: web::Path<(i64, i64)>,
) -> Result<web::Json<DeliveryResponse>, ApiError> {
    let db = &state.db;
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
#[utoipa::path(tag = "integrations", params(("id" = i64, Path, description = "Webhook id"), ("delivery_id" = i64, Path, description = "Delivery id"), crate::http::idempotency::IdempotencyKey), responses((status = 202, body = DeliveryResponse), WriteProblems))]
#[post("/webhooks/{id}/deliveries/{delivery_id}/redeliver")]
pub async fn redeliver_webhook_delivery(
    state: web::Data<AppState>,
    caller: Authenticated,
    req: HttpRequest,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, ApiError> {
    let db = &state.db;
    let (id, delivery) = path.into_inner();
    let (caller, _) = require_visible_admin(db, caller, id).await?;
    once(db, &caller, &req, &[], StatusCode::ACCEPTED, move |conn| {
        let found = webhooks::redeliver(conn, id, delivery)?;
        let attempts = webhooks::attempts(conn, &[delivery])?;
        Ok((None, delivery_response(found, &attempts)))
    })
    .await
}
