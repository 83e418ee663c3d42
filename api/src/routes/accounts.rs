//! Accounts and their contacts, scoped by the caller; provider admins write.

use actix_web::{delete, get, patch, post, web, HttpRequest, HttpResponse};
use domain::{AccountId, AccountName, ContactId, ContactName, Email};
use persistence::repo::accounts::{self, AccountChanges, AccountFilter, NewAccount};
use persistence::repo::contacts::{self, ContactChanges, NewContact};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::http::auth::Authenticated;
use crate::http::error::{ApiError, ErrorCode, ReadProblems, WriteProblems};
use crate::http::extract::{JsonBody, QueryParams};
use crate::http::idempotency::create_once;
use crate::http::pagination::{Page, PageParams};
use crate::http::state::AppState;
use crate::http::wire::{double_option, AccountKind, Role};
use crate::services::directory;
use crate::views::accounts::{AccountResponse, ContactResponse};

/// A new account.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAccountRequest {
    /// 1–200 characters, unique.
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    pub kind: AccountKind,
    /// For customers only: the partner that manages them.
    pub managing_partner_id: Option<i64>,
}

/// Changes to an account; absent fields stay. The kind never changes.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateAccountRequest {
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
    /// Move a customer to a partner, or `null` to make it direct.
    #[serde(default, deserialize_with = "double_option")]
    pub managing_partner_id: Option<Option<i64>>,
}

/// Filters for the account list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AccountListParams {
    /// Only accounts of this kind.
    pub kind: Option<AccountKind>,
    /// Only customers managed by this partner.
    pub managing_partner_id: Option<i64>,
}

/// List the accounts the caller may see: all for the provider, a partner and its customers,
/// a customer itself.
#[utoipa::path(tag = "directory", params(AccountListParams, PageParams), responses((status = 200, body = Page<AccountResponse>), ReadProblems))]
#[get("/accounts")]
pub async fn list_accounts(
    state: web::Data<AppState>,
    caller: Authenticated,
    filter: QueryParams<AccountListParams>,
    page: QueryParams<PageParams>,
) -> Result<web::Json<Page<AccountResponse>>, ApiError> {
    let db = &state.db;
    let page = page.0.request()?;
    let filter = AccountFilter {
        kind: filter.0.kind.map(Into::into),
        managing_partner_id: filter.0.managing_partner_id.map(AccountId),
    };
    let scope = caller.0.account_scope();
    let found = db
        .read(move |model| Ok(model.accounts_page(scope, &filter, page)))
        .await?;
    Ok(web::Json(Page::from_records(found, AccountResponse::from)))
}

/// Get one account in the caller's scope.
#[utoipa::path(tag = "directory", params(("id" = i64, Path, description = "Account id")), responses((status = 200, body = AccountResponse), ReadProblems))]
#[get("/accounts/{id}")]
pub async fn get_account(
    state: web::Data<AppState>,
    caller: Authenticated,
    id: web::Path<i64>,
) -> Result<web::Json<AccountResponse>, ApiError> {
    let db = &state.db;
    let (scope, id) = (caller.0.account_scope(), AccountId(id.into_inner()));
    let found = db.read(move |model| model.account(scope, id)).await?;
    Ok(web::Json(found.into()))
}

/// Create an account (provider admins).
#[utoipa::path(tag = "directory", params(crate::http::idempotency::IdempotencyKey), request_body = CreateAccountRequest, responses((status = 201, body = AccountResponse), WriteProblems))]
#[post("/accounts")]
pub async fn create_account(
    state: web::Data<AppState>,
    caller: Authenticated,
    req: HttpRequest,
    body: JsonBody<CreateAccountRequest>,
) -> Result<HttpResponse, ApiError> {
    let db = &state.db;
    caller.require_writer()?;
    let JsonBody(body, raw) = body;
    let new = NewAccount {
        name: AccountName::parse(&body.name)?,
        kind: body.kind.into(),
        managing_partner_id: body.managing_partner_id.map(AccountId),
    };
    let writer = caller.0.clone();
    create_once(db, &caller.0, &req, &raw, move |conn| {
        let response = AccountResponse::from(accounts::create(conn, &new)?);
        crate::services::audit::created(conn, &writer, "account", response.id, &response)?;
        Ok((format!("/api/v1/accounts/{}", response.id), response))
    })
    .await
}

/// Rename an account or move a customer between partners; the partner_tenants offerings
/// follow in the same transaction (provider admins).
#[utoipa::path(tag = "directory", params(("id" = i64, Path, description = "Account id")), request_body = UpdateAccountRequest, responses((status = 200, body = AccountResponse), WriteProblems))]
#[patch("/accounts/{id}")]
pub async fn update_account(
    state: web::Data<AppState>,
    caller: Authenticated,
    id: web::Path<i64>,
    body: JsonBody<UpdateAccountRequest>,
) -> Result<web::Json<AccountResponse>, ApiError> {
    let db = &state.db;
    let (scope, id) = (caller.0.account_scope(), AccountId(id.into_inner()));
    caller
        .require_writer_of(db, move |conn| accounts::find(conn, scope, id))
        .await?;
    let changes = AccountChanges {
        name: body.0.name.as_deref().map(AccountName::parse).transpose()?,
        managing_partner_id: body.0.managing_partner_id.map(|p| p.map(AccountId)),
    };
    let updated = crate::services::audit::audited(
        db,
        &caller.0,
        "account",
        id.0,
        move |conn| accounts::find(conn, domain::AccountScope::All, id).map(AccountResponse::from),
        move |conn| Ok(Some(directory::update_account(conn, id, &changes)?.into())),
    )
    .await?;
    updated.map(web::Json).ok_or_else(ApiError::not_found)
}

/// Delete an account that has no contacts, tenants, offerings or customers left (provider admins).
#[utoipa::path(tag = "directory", params(("id" = i64, Path, description = "Account id")), responses((status = 204, description = "Deleted"), WriteProblems))]
#[delete("/accounts/{id}")]
pub async fn delete_account(
    state: web::Data<AppState>,
    caller: Authenticated,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let db = &state.db;
    let (scope, id) = (caller.0.account_scope(), AccountId(id.into_inner()));
    caller
        .require_writer_of(db, move |conn| accounts::find(conn, scope, id))
        .await?;
    crate::services::audit::audited(
        db,
        &caller.0,
        "account",
        id.0,
        move |conn| accounts::find(conn, domain::AccountScope::All, id).map(AccountResponse::from),
        move |conn| accounts::delete(conn, id).map(|()| None),
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A new contact of the account in the path.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateContactRequest {
    /// The login; unique.
    #[schema(format = Email, min_length = 3, max_length = 254)]
    pub email: String,
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    pub role: Role,
}

/// Changes to a contact; absent fields stay.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateContactRequest {
    #[schema(format = Email, min_length = 3, max_length = 254)]
    pub email: Option<String>,
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
    pub role: Option<Role>,
}

/// List an account's contacts. Outside the provider, only one's own account's contacts.
#[utoipa::path(tag = "directory", params(("id" = i64, Path, description = "Account id"), PageParams), responses((status = 200, body = Page<ContactResponse>), ReadProblems))]
#[get("/accounts/{id}/contacts")]
pub async fn list_account_contacts(
    state: web::Data<AppState>,
    caller: Authenticated,
    id: web::Path<i64>,
    page: QueryParams<PageParams>,
) -> Result<web::Json<Page<ContactResponse>>, ApiError> {
    let db = &state.db;
    let page = page.0.request()?;
    let (scope, account) = (caller.0.contact_scope(), AccountId(id.into_inner()));
    if !scope.covers_account(account) {
        return Err(ApiError::not_found());
    }
    let found = db
        .read(move |model| {
            model.account(domain::AccountScope::All, account)?;
            Ok(model.contacts_page(scope, account, page))
        })
        .await?;
    Ok(web::Json(Page::from_records(found, ContactResponse::from)))
}

/// Add a contact to an account (provider admins).
#[utoipa::path(tag = "directory", params(("id" = i64, Path, description = "Account id"), crate::http::idempotency::IdempotencyKey), request_body = CreateContactRequest, responses((status = 201, body = ContactResponse), WriteProblems))]
#[post("/accounts/{id}/contacts")]
pub async fn create_contact(
    state: web::Data<AppState>,
    caller: Authenticated,
    req: HttpRequest,
    id: web::Path<i64>,
    body: JsonBody<CreateContactRequest>,
) -> Result<HttpResponse, ApiError> {
    let db = &state.db;
    let (scope, account_id) = (caller.0.account_scope(), AccountId(id.into_inner()));
    caller
        .require_writer_of(db, move |conn| accounts::find(conn, scope, account_id))
        .await?;
    let JsonBody(body, raw) = body;
    let writer = caller.0.clone();
    let new = NewContact {
        account_id,
        email: Email::parse(&body.email)?,
        name: ContactName::parse(&body.name)?,
        role: body.role.into(),
    };
    create_once(db, &caller.0, &req, &raw, move |conn| {
        accounts::find(conn, domain::AccountScope::All, account_id)?;
        let response = ContactResponse::from(contacts::create(conn, &new)?);
        crate::services::audit::created(conn, &writer, "contact", response.id, &response)?;
        Ok((format!("/api/v1/contacts/{}", response.id), response))
    })
    .await
}

/// Get one contact in the caller's scope.
#[utoipa::path(tag = "directory", params(("id" = i64, Path, description = "Contact id")), responses((status = 200, body = ContactResponse), ReadProblems))]
#[get("/contacts/{id}")]
pub async fn get_contact(
    state: web::Data<AppState>,
    caller: Authenticated,
    id: web::Path<i64>,
) -> Result<web::Json<ContactResponse>, ApiError> {
    let db = &state.db;
    let (scope, id) = (caller.0.contact_scope(), ContactId(id.into_inner()));
    let found = db.read(move |model| model.contact(scope, id)).await?;
    Ok(web::Json(found.into()))
}

/// Change a contact's e-mail, name or role (provider admins).
#[utoipa::path(tag = "directory", params(("id" = i64, Path, description = "Contact id")), request_body = UpdateContactRequest, responses((status = 200, body = ContactResponse), WriteProblems))]
#[patch("/contacts/{id}")]
pub async fn update_contact(
    state: web::Data<AppState>,
    caller: Authenticated,
    id: web::Path<i64>,
    body: JsonBody<UpdateContactRequest>,
) -> Result<web::Json<ContactResponse>, ApiError> {
    let db = &state.db;
    let (scope, id) = (caller.0.contact_scope(), ContactId(id.into_inner()));
    caller
        .require_writer_of(db, move |conn| contacts::find(conn, scope, id))
        .await?;
    let changes = ContactChanges {
        email: body.0.email.as_deref().map(Email::parse).transpose()?,
        name: body.0.name.as_deref().map(ContactName::parse).transpose()?,
        role: body.0.role.map(Into::into),
    };
    let updated = crate::services::audit::audited(
        db,
        &caller.0,
        "contact",
        id.0,
        move |conn| contacts::find(conn, domain::ContactScope::All, id).map(ContactResponse::from),
        move |conn| Ok(Some(contacts::update(conn, id, &changes)?.into())),
    )
    .await?;
    updated.map(web::Json).ok_or_else(ApiError::not_found)
}

/// An admin cannot remove itself: its token would stop working mid-session (stepping down to
/// viewer is allowed while another provider admin remains).
fn not_oneself(caller: &domain::Caller, id: ContactId) -> Result<(), ApiError> {
    if id != caller.contact_id {
        return Ok(());
    }
    Err(ApiError::new(
        ErrorCode::CannotRemoveSelf,
        "a contact cannot remove itself; ask another admin",
    ))
}

/// Remove a contact; its tokens stop working at once (provider admins; not oneself: 409).
#[utoipa::path(tag = "directory", params(("id" = i64, Path, description = "Contact id")), responses((status = 204, description = "Deleted"), WriteProblems))]
#[delete("/contacts/{id}")]
pub async fn delete_contact(
    state: web::Data<AppState>,
    caller: Authenticated,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let db = &state.db;
    let (scope, id) = (caller.0.contact_scope(), ContactId(id.into_inner()));
    caller
        .require_writer_of(db, move |conn| contacts::find(conn, scope, id))
        .await?;
    not_oneself(&caller.0, id)?;
    crate::services::audit::audited(
        db,
        &caller.0,
        "contact",
        id.0,
        move |conn| contacts::find(conn, domain::ContactScope::All, id).map(ContactResponse::from),
        move |conn| contacts::delete(conn, id).map(|()| None),
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
