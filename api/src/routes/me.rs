//! Who am I: the caller's contact, account and permissions.

use actix_web::{get, web};
use domain::{AccountScope, ContactScope};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::http::auth::Authenticated;
use crate::http::error::{ApiError, ReadProblems};
use crate::http::state::AppState;
use crate::views::accounts::{AccountResponse, ContactResponse};

/// The caller as the token names it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MeResponse {
    pub contact: ContactResponse,
    pub account: AccountResponse,
    /// True for provider admins, who write the directory, the catalogue and events
    /// (`may_manage.directory` and `may_manage.events`).
    pub can_write: bool,
    /// What the caller may change (everything else it sees, it only reads).
    pub may_manage: MayManage,
}

/// What a caller may change, by area.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MayManage {
    /// Its own account's integrations: webhook endpoints and feed tokens (any account's
    /// admins; its viewers read them).
    pub integrations: bool,
    /// Accounts, contacts, tenants, offerings, services and classifications (provider admins).
    pub directory: bool,
    /// Incidents and maintenance windows (provider admins).
    pub events: bool,
    /// Reading the audit log (provider admins).
    pub audit: bool,
}

impl MayManage {
    fn of(caller: &domain::Caller) -> Self {
        let provider_admin = caller.may_write();
        Self {
            integrations: caller.may_manage_integrations(),
            directory: provider_admin,
            events: provider_admin,
            audit: provider_admin,
        }
    }
}

/// The authenticated contact and its account.
#[utoipa::path(tag = "directory", responses((status = 200, body = MeResponse), ReadProblems), extensions(("x-answer-cache" = json!("per-contact"))))]
#[get("/me")]
pub async fn get_me(
    state: web::Data<AppState>,
    caller: Authenticated,
) -> Result<web::Json<MeResponse>, ApiError> {
    let db = &state.db;
    let caller = caller.0;
    let (contact, account) = db
        .read(move |model| {
            let contact = model.contact(ContactScope::All, caller.contact_id)?;
            let account = model.account(AccountScope::All, caller.account_id)?;
            Ok((contact, account))
        })
        .await?;
    Ok(web::Json(MeResponse {
        contact: contact.into(),
        account: account.into(),
        can_write: caller.may_write(),
        may_manage: MayManage::of(&caller),
    }))
}
