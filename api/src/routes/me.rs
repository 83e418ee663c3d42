//! Who am I: the caller's contact, account and permissions.

use actix_web::{get, web};
use domain::{AccountScope, ContactScope};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::accounts::{AccountResponse, ContactResponse};
use crate::auth::Authenticated;
use crate::db::Db;
use crate::error::{ApiError, ReadProblems};

/// The caller as the token names it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MeResponse {
    pub contact: ContactResponse,
    pub account: AccountResponse,
    /// True for provider admins, the only callers that write.
    pub can_write: bool,
}

/// The authenticated contact and its account.
#[utoipa::path(tag = "directory", responses((status = 200, body = MeResponse), ReadProblems))]
#[get("/me")]
pub async fn get_me(
    db: web::Data<Db>,
    caller: Authenticated,
) -> Result<web::Json<MeResponse>, ApiError> {
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
    }))
}
