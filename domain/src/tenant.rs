//! Tenants: running instances of a service, owned by one account.

use crate::text::text_type;
use crate::{AccountId, ClassificationId, ServiceId, TenantId};

text_type!(
    /// A tenant's name, e.g. "acme-prod" (1–200 characters, unique per service).
    TenantName, field = "name", max = 200
);

/// One running instance of a service, in one classification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tenant {
    pub id: TenantId,
    pub name: TenantName,
    pub account_id: AccountId,
    pub service_id: ServiceId,
    pub classification_id: ClassificationId,
}
