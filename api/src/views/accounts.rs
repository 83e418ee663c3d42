//! Accounts and contacts as the wire shows them.

use domain::{Account, Contact};
use persistence::Record;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;

use crate::http::wire::{AccountKind, Role};

/// An organisation: the provider, a partner or a customer.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AccountResponse {
    pub id: i64,
    pub name: String,
    pub kind: AccountKind,
    /// The partner managing this customer, if any.
    pub managing_partner_id: Option<i64>,
    #[serde(with = "crate::http::wire::instant")]
    pub created_at: OffsetDateTime,
    #[serde(with = "crate::http::wire::instant")]
    pub updated_at: OffsetDateTime,
}

impl From<Record<Account>> for AccountResponse {
    fn from(record: Record<Account>) -> Self {
        let a = record.item;
        Self {
            id: a.id.0,
            name: a.name.to_string(),
            kind: a.kind.into(),
            managing_partner_id: a.managing_partner_id.map(|p| p.0),
            created_at: record.created_at,
            updated_at: record.updated_at,
        }
    }
}

/// A login of one account.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ContactResponse {
    pub id: i64,
    pub account_id: i64,
    pub email: String,
    pub name: String,
    pub role: Role,
    #[serde(with = "crate::http::wire::instant")]
    pub created_at: OffsetDateTime,
    #[serde(with = "crate::http::wire::instant")]
    pub updated_at: OffsetDateTime,
}

impl From<Record<Contact>> for ContactResponse {
    fn from(record: Record<Contact>) -> Self {
        let c = record.item;
        Self {
            id: c.id.0,
            account_id: c.account_id.0,
            email: c.email.to_string(),
            name: c.name.to_string(),
            role: c.role.into(),
            created_at: record.created_at,
            updated_at: record.updated_at,
        }
    }
}
