//! Email subscription handlers: a contact subscribes itself, an account's admins subscribe the
//! account (to an address such as a team's mailbox); every message's link unsubscribes.

use actix_web::http::header;
use actix_web::{delete, get, patch, post, web, HttpRequest, HttpResponse};
use domain::{AccountScope, Caller, ContactScope, Email, ServiceId};
use persistence::repo::audit::Action;
use persistence::repo::email::{
    self, EmailSubscription, NewSubscription, Reader, Subscriber, SubscriptionChanges,
};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::http::auth::{require_account_admin, Authenticated};
use crate::http::conditional::{expected_version, versioned_json};
use crate::http::db::Db;
use crate::http::error::{ApiError, ErrorCode, ReadProblems, WriteProblems};
use crate::http::extract::{JsonBody, QueryParams};
use crate::http::pagination::{Page, PageParams};
use crate::http::state::AppState;
use crate::http::wire::{event_types, WebhookEventType};
use crate::views::email::EmailSubscriptionResponse;
use crate::views::status_page;

/// A new email subscription.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateEmailSubscriptionRequest {
    /// Absent: the caller subscribes itself, at its own address. Given: the caller's account
    /// subscribes this address (its admins only), e.g. a team's mailbox.
    #[schema(format = Email, min_length = 3, max_length = 254)]
    pub email: Option<String>,
    /// Default: every event type.
    pub event_types: Option<Vec<WebhookEventType>>,
    /// Only events of these services (default: every service).
    #[serde(default)]
    pub service_ids: Vec<i64>,
}

/// Changes to a subscription; absent fields stay.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateEmailSubscriptionRequest {
    pub event_types: Option<Vec<WebhookEventType>>,
    pub service_ids: Option<Vec<i64>>,
}

/// Whether `caller` may see (and change) the subscription: its own, or any of its account's
/// for the account's admins.
fn visible(caller: &Caller, subscription: &EmailSubscription) -> bool {
    subscription.account_id == caller.account_id
        && (caller.may_manage_integrations()
            || subscription.subscriber == Subscriber::Contact(caller.contact_id))
}

/// The subscription `id` if the caller may see it; 404 otherwise.
async fn find_visible(db: &Db, caller: &Caller, id: i64) -> Result<EmailSubscription, ApiError> {
    let found = db.run(move |conn| email::find(conn, id)).await?;
    if visible(caller, &found) {
        Ok(found)
    } else {
        Err(ApiError::not_found())
    }
}

/// 422 naming `service_ids` when one is unknown.
async fn check_services(db: &Db, services: Vec<i64>) -> Result<(), ApiError> {
    db.read(move |model| {
        match services
            .iter()
            .find(|s| model.service(ServiceId(**s)).is_err())
        {
            Some(bad) => Err(domain::DomainError::invalid(
                "service_ids",
                format!("no service with id {bad}"),
            )
            .into()),
            None => Ok(()),
        }
    })
    .await
}

/// The caller's email subscriptions: its own, and for account admins all of the account's.
#[utoipa::path(tag = "integrations", params(PageParams), responses((status = 200, body = Page<EmailSubscriptionResponse>), ReadProblems), extensions(("x-answer-cache" = json!("none"))))]
#[get("/email-subscriptions")]
pub async fn list_email_subscriptions(
    state: web::Data<AppState>,
    caller: Authenticated,
    page: QueryParams<PageParams>,
) -> Result<web::Json<Page<EmailSubscriptionResponse>>, ApiError> {
    let page = page.0.request()?;
    let caller = caller.0;
    let only = (!caller.may_manage_integrations()).then_some(caller.contact_id);
    let found = state
        .db
        .run(move |conn| email::list(conn, caller.account_id, only, page))
        .await?;
    Ok(web::Json(Page::from_records(
        found,
        EmailSubscriptionResponse::from,
    )))
}

/// One of the caller's email subscriptions.
#[utoipa::path(tag = "integrations", params(("id" = i64, Path, description = "Subscription id")), responses((status = 200, body = EmailSubscriptionResponse), ReadProblems), extensions(("x-answer-cache" = json!("none"))))]
#[get("/email-subscriptions/{id}")]
pub async fn get_email_subscription(
    state: web::Data<AppState>,
    caller: Authenticated,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let found = find_visible(&state.db, &caller.0, id.into_inner()).await?;
    let response = EmailSubscriptionResponse::from(found);
    versioned_json(response.version, &response)
}

/// Subscribe to email for the events of the caller's own tenants: the caller itself (at its
/// own address), or with `email` the caller's account (its admins). Each message is written as
/// its reader sees the event and carries an unsubscribe link. 409 `email_not_configured` when
/// this server sends no email (`SLR_SMTP_URL` unset).
#[utoipa::path(tag = "integrations", params(crate::http::idempotency::IdempotencyKey), request_body = CreateEmailSubscriptionRequest, responses((status = 201, body = EmailSubscriptionResponse), (status = 409, description = "This server sends no email (`SLR_SMTP_URL` is not set)", body = crate::http::error::Problem, content_type = "application/problem+json"), WriteProblems))]
#[post("/email-subscriptions")]
pub async fn create_email_subscription(
    state: web::Data<AppState>,
    caller: Authenticated,
    req: HttpRequest,
    body: JsonBody<CreateEmailSubscriptionRequest>,
) -> Result<HttpResponse, ApiError> {
    if !state.db.mails() {
        return Err(ApiError::new(
            ErrorCode::EmailNotConfigured,
            "this server sends no email: its operator has not set SLR_SMTP_URL",
        ));
    }
    let db = &state.db;
    let JsonBody(body, raw) = body;
    let caller = caller.0;
    let subscriber = match body.email.as_deref() {
        None => Subscriber::Contact(caller.contact_id),
        Some(address) => {
            require_account_admin(&caller)?;
            Subscriber::Account(Email::parse(address)?.as_str().to_owned())
        }
    };
    let all: Vec<WebhookEventType> = domain::WebhookEventType::ALL
        .iter()
        .map(|t| (*t).into())
        .collect();
    let (account_id, contact_id) = (caller.account_id, caller.contact_id);
    let (own_address, account_name) = db
        .read(move |model| {
            let contact = model.contact(ContactScope::All, contact_id)?.item;
            let account = model.account(AccountScope::All, account_id)?.item;
            Ok((
                contact.email.as_str().to_owned(),
                account.name.as_str().to_owned(),
            ))
        })
        .await?;
    let address = match &subscriber {
        Subscriber::Account(address) => address.clone(),
        Subscriber::Contact(_) => own_address,
    };
    let mut new = NewSubscription {
        account_id,
        subscriber,
        event_types: event_types(body.event_types.as_deref().unwrap_or(&all))?,
        service_ids: body.service_ids,
        unsubscribe_token: crate::http::auth::feed_token::random_token(24),
        confirmed: false,
    };
    check_services(db, new.service_ids.clone()).await?;
    let limit = state.limits.email_subscriptions;
    crate::http::idempotency::create_once(db, &caller.clone(), &req, &raw, move |conn| {
        domain::integration::within_limit(
            email::count(conn, new.account_id)?,
            limit,
            "email subscriptions",
            "SLR_MAX_EMAIL_SUBSCRIPTIONS_PER_ACCOUNT",
        )?;
        // One subscription per address and account, so one unsubscribe link stops it (a
        // retried create is answered before this, by its Idempotency-Key).
        if email::at_address(conn, new.account_id, &address)?.is_some() {
            return Err(persistence::RepoError::Duplicate {
                field: Some("email".to_owned()),
            });
        }
        // A contact's own address, or one of the account's contacts': sends at once. Any
        // other address confirms first, so no account can mail people who never asked.
        new.confirmed = matches!(new.subscriber, Subscriber::Contact(_))
            || email::is_contact_address(conn, new.account_id, &address)?;
        let created = email::create(conn, &new)?;
        if created.confirmed_at.is_none() {
            crate::services::email::ask_to_confirm(conn, &created, &account_name)?;
        }
        let response = EmailSubscriptionResponse::from(created);
        crate::services::audit::created(
            conn,
            &caller,
            "email_subscription",
            response.id,
            &response,
        )?;
        Ok((
            format!("/api/v1/email-subscriptions/{}", response.id),
            response,
        ))
    })
    .await
}

/// Change a subscription's event types or services, with `If-Match`.
#[utoipa::path(tag = "integrations", params(("id" = i64, Path, description = "Subscription id")), request_body = UpdateEmailSubscriptionRequest, responses((status = 200, body = EmailSubscriptionResponse), WriteProblems))]
#[patch("/email-subscriptions/{id}")]
pub async fn update_email_subscription(
    state: web::Data<AppState>,
    caller: Authenticated,
    req: HttpRequest,
    id: web::Path<i64>,
    body: JsonBody<UpdateEmailSubscriptionRequest>,
) -> Result<HttpResponse, ApiError> {
    let db = &state.db;
    let (caller, id) = (caller.0, id.into_inner());
    find_visible(db, &caller, id).await?;
    let body = body.0;
    let changes = SubscriptionChanges {
        event_types: body.event_types.as_deref().map(event_types).transpose()?,
        service_ids: body.service_ids,
    };
    check_services(db, changes.service_ids.clone().unwrap_or_default()).await?;
    let expected = expected_version(&req);
    let response = crate::services::audit::audited(
        db,
        &caller,
        "email_subscription",
        id,
        move |conn| email::find(conn, id).map(EmailSubscriptionResponse::from),
        move |conn| email::update(conn, id, expected, &changes).map(|s| Some(s.into())),
    )
    .await?
    .ok_or_else(ApiError::not_found)?;
    versioned_json(response.version, &response)
}

/// End a subscription.
#[utoipa::path(tag = "integrations", params(("id" = i64, Path, description = "Subscription id")), responses((status = 204, description = "Deleted"), WriteProblems))]
#[delete("/email-subscriptions/{id}")]
pub async fn delete_email_subscription(
    state: web::Data<AppState>,
    caller: Authenticated,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let db = &state.db;
    let (caller, id) = (caller.0, id.into_inner());
    find_visible(db, &caller, id).await?;
    crate::services::audit::audited(
        db,
        &caller,
        "email_subscription",
        id,
        move |conn| email::find(conn, id).map(EmailSubscriptionResponse::from),
        move |conn| email::delete(conn, id).map(|()| None),
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The secret of an unsubscribe link.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UnsubscribeParams {
    /// From the link in a message.
    pub key: String,
}

/// The subscription whose links carry `key`, if any.
async fn by_link(db: &Db, key: &str) -> Result<Option<EmailSubscription>, ApiError> {
    let key = key.to_owned();
    db.run(move |conn| email::by_unsubscribe_token(conn, &key))
        .await
}

/// The unsubscribe page of a message's link: says which address and asks to confirm (a link
/// prefetched by a mail client unsubscribes nobody). HTML; 404 when the link was used already.
#[utoipa::path(tag = "integrations", params(UnsubscribeParams), responses((status = 200, description = "The confirmation page", body = String, content_type = "text/html"), (status = 404, description = "The link was used already, or is not one", body = String, content_type = "text/html"), (status = 400, description = "No `key`", body = crate::http::error::Problem, content_type = "application/problem+json")), security(()), extensions(("x-answer-cache" = json!("none"))))]
#[get("/unsubscribe")]
pub async fn get_unsubscribe(
    state: web::Data<AppState>,
    params: QueryParams<UnsubscribeParams>,
) -> Result<HttpResponse, ApiError> {
    let key = params.0.key;
    let (status, page) = match by_link(&state.db, &key).await? {
        Some(subscription) => (
            actix_web::http::StatusCode::OK,
            status_page::unsubscribe_confirmation(&subscription.email, &key),
        ),
        None => (
            actix_web::http::StatusCode::NOT_FOUND,
            status_page::unsubscribe_unknown(),
        ),
    };
    Ok(unsubscribe_page(status, page))
}

/// Unsubscribe: the button of the page, or a mail client's one-click request (RFC 8058,
/// `List-Unsubscribe-Post`). Ends exactly the subscription the link came with, and records it
/// in the audit log (as its reader: the contact, or the account). Answers the same page whether
/// or not the link was used before, so a repeat is harmless.
#[utoipa::path(tag = "integrations", params(UnsubscribeParams), responses((status = 200, description = "Unsubscribed", body = String, content_type = "text/html"), (status = 400, description = "No `key`", body = crate::http::error::Problem, content_type = "application/problem+json")), security(()))]
#[post("/unsubscribe")]
pub async fn post_unsubscribe(
    state: web::Data<AppState>,
    params: QueryParams<UnsubscribeParams>,
) -> Result<HttpResponse, ApiError> {
    let key = params.0.key;
    state
        .db
        .run(move |conn| {
            persistence::repo::transaction(conn, |conn| {
                let Some(ended) = email::unsubscribe(conn, &key)? else {
                    return Ok(());
                };
                let before = EmailSubscriptionResponse::from(ended.clone());
                crate::services::audit::record(
                    conn,
                    &link_holder(&ended),
                    Action::Delete,
                    "email_subscription",
                    ended.id,
                    Some(&before),
                    None,
                )
            })
        })
        .await?;
    Ok(unsubscribe_page(
        actix_web::http::StatusCode::OK,
        status_page::unsubscribed(),
    ))
}

/// Who acted through a message's link, for the audit log (which records its contact and
/// account): the subscription's reader — its contact, or its account (contact 0).
fn link_holder(subscription: &EmailSubscription) -> Caller {
    let contact_id = match subscription.reader() {
        Reader::Contact(contact) => contact,
        Reader::Account(_) => domain::ContactId(0),
    };
    Caller {
        contact_id,
        account_id: subscription.account_id,
        account_kind: domain::AccountKind::Customer,
        role: domain::Role::Viewer,
    }
}

/// The page of a confirmation message's link: says which account asked to mail which address,
/// and asks to confirm (a prefetched link confirms nothing). HTML; 404 when the link is not one
/// (or the subscription ended).
#[utoipa::path(tag = "integrations", params(UnsubscribeParams), responses((status = 200, description = "The confirmation page", body = String, content_type = "text/html"), (status = 404, description = "The link is not one, or its subscription ended", body = String, content_type = "text/html"), (status = 400, description = "No `key`", body = crate::http::error::Problem, content_type = "application/problem+json")), security(()), extensions(("x-answer-cache" = json!("none"))))]
#[get("/confirm-subscription")]
pub async fn get_confirm_subscription(
    state: web::Data<AppState>,
    params: QueryParams<UnsubscribeParams>,
) -> Result<HttpResponse, ApiError> {
    let key = params.0.key;
    let (status, body) = match by_link(&state.db, &key).await? {
        Some(subscription) => {
            let account = subscription.account_id;
            let name = state
                .db
                .read(move |model| Ok(model.account(AccountScope::All, account)?.item.name))
                .await?;
            (
                actix_web::http::StatusCode::OK,
                status_page::subscription_confirmation(name.as_str(), &subscription.email, &key),
            )
        }
        None => (
            actix_web::http::StatusCode::NOT_FOUND,
            status_page::confirmation_unknown(),
        ),
    };
    Ok(unsubscribe_page(status, body))
}

/// Confirm a subscription (the button of the page): from now on its messages are sent. Recorded
/// in the audit log. 404 when the link is not one (or the subscription ended).
#[utoipa::path(tag = "integrations", params(UnsubscribeParams), responses((status = 200, description = "Confirmed", body = String, content_type = "text/html"), (status = 404, description = "The link is not one, or its subscription ended", body = String, content_type = "text/html"), (status = 400, description = "No `key`", body = crate::http::error::Problem, content_type = "application/problem+json")), security(()))]
#[post("/confirm-subscription")]
pub async fn post_confirm_subscription(
    state: web::Data<AppState>,
    params: QueryParams<UnsubscribeParams>,
) -> Result<HttpResponse, ApiError> {
    let key = params.0.key;
    let confirmed = state
        .db
        .run(move |conn| {
            persistence::repo::transaction(conn, |conn| {
                let Some(before) = email::by_unsubscribe_token(conn, &key)? else {
                    return Ok(false);
                };
                if before.confirmed_at.is_some() {
                    return Ok(true);
                }
                let Some(after) = email::confirm(conn, &key)? else {
                    return Ok(false);
                };
                crate::services::audit::record(
                    conn,
                    &link_holder(&after),
                    Action::Update,
                    "email_subscription",
                    after.id,
                    Some(&EmailSubscriptionResponse::from(before)),
                    Some(&EmailSubscriptionResponse::from(after)),
                )?;
                Ok(true)
            })
        })
        .await?;
    let (status, body) = if confirmed {
        (actix_web::http::StatusCode::OK, status_page::confirmed())
    } else {
        (
            actix_web::http::StatusCode::NOT_FOUND,
            status_page::confirmation_unknown(),
        )
    };
    Ok(unsubscribe_page(status, body))
}

fn unsubscribe_page(status: actix_web::http::StatusCode, page: maud::Markup) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
        ))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(page.into_string())
}
