//! Directory workflows that span aggregates, run inside the write's transaction: slr keeps one
//! partner_tenants offering per service and partner, covering the partner's customers' tenants
//! and named after both. Repositories store one aggregate each; this is where a write to one
//! keeps the offerings in step.

use domain::{
    Account, AccountId, AccountKind, AccountScope, Service, ServiceId, ServiceName, Tenant,
    TenantId,
};
use persistence::repo::accounts::{self, AccountChanges};
use persistence::repo::offerings::{self, NameSource};
use persistence::repo::tenants::{self, NewTenant, TenantChanges};
use persistence::repo::{catalogue, transaction};
use persistence::{DbConnection, Record, RepoResult};

/// Changes an account: renaming a partner renames its partner_tenants offerings; moving a
/// customer to a partner gives that partner offerings for the customer's services.
pub fn update_account(
    conn: &mut DbConnection,
    id: AccountId,
    changes: &AccountChanges,
) -> RepoResult<Record<Account>> {
    transaction(conn, |conn| {
        let before = accounts::find(conn, AccountScope::All, id)?.item;
        let after = accounts::update(conn, id, changes)?;
        if after.item.name != before.name && before.kind == AccountKind::Partner {
            offerings::refresh_partner_tenants_names(conn, NameSource::Partner(id))?;
        }
        let moved_to = after
            .item
            .managing_partner_id
            .filter(|partner| Some(*partner) != before.managing_partner_id);
        if let Some(partner) = moved_to {
            offerings::ensure_partner_tenants_for_customer(conn, id, partner)?;
        }
        Ok(after)
    })
}

/// Renames a service and its partner_tenants offerings.
pub fn rename_service(
    conn: &mut DbConnection,
    id: ServiceId,
    name: &ServiceName,
) -> RepoResult<Record<Service>> {
    transaction(conn, |conn| {
        let service = catalogue::rename_service(conn, id, name)?;
        offerings::refresh_partner_tenants_names(conn, NameSource::Service(id))?;
        Ok(service)
    })
}

/// Creates a tenant; a customer's tenant gets its partner's offering for the service.
pub fn create_tenant(conn: &mut DbConnection, new: &NewTenant) -> RepoResult<Record<Tenant>> {
    transaction(conn, |conn| {
        let tenant = tenants::create(conn, new)?;
        cover_by_partner(conn, &tenant.item)?;
        Ok(tenant)
    })
}

/// Changes a tenant; moved to a partner's customer, it gets that partner's offering.
pub fn update_tenant(
    conn: &mut DbConnection,
    id: TenantId,
    changes: &TenantChanges,
) -> RepoResult<Record<Tenant>> {
    transaction(conn, |conn| {
        let tenant = tenants::update(conn, id, changes)?;
        cover_by_partner(conn, &tenant.item)?;
        Ok(tenant)
    })
}

/// The partner_tenants offering of the tenant's service and its owner's managing partner.
fn cover_by_partner(conn: &mut DbConnection, tenant: &Tenant) -> RepoResult<()> {
    let owner = accounts::find(conn, AccountScope::All, tenant.account_id)?.item;
    match owner.managing_partner_id {
        Some(partner) => offerings::ensure_partner_tenants(conn, tenant.service_id, partner),
        None => Ok(()),
    }
}
