//! Loads what a caller can see for the event rules: its visible offerings and tenants.

use diesel::prelude::*;
use domain::{
    AccountId, CallerView, ClassificationId, Offering, ScopedTenant, ServiceId, TenantId,
    TenantScope,
};

use super::offerings;
use crate::connection::DbConnection;
use crate::schema::{accounts, tenants};
use crate::RepoResult;

/// The caller's visible offerings, and its visible tenants of those offerings' services
/// (optionally only of `service`).
pub fn caller_view(
    conn: &mut DbConnection,
    caller: &domain::Caller,
    service: Option<ServiceId>,
) -> RepoResult<CallerView> {
    let offerings: Vec<Offering> = offerings::all_in_scope(conn, caller.offering_scope(), service)?;
    // The provider's tenants of a service without offerings still count for its own view.
    let mut services: Vec<i64> = match (caller.account_kind, service) {
        (domain::AccountKind::Provider, Some(service)) => vec![service.0],
        (domain::AccountKind::Provider, None) => tenants::table
            .select(tenants::service_id)
            .distinct()
            .load(conn)?,
        _ => offerings.iter().map(|o| o.service_id.0).collect(),
    };
    services.sort_unstable();
    services.dedup();
    let tenants = scoped_tenants(conn, caller.tenant_scope(), &services)?;
    Ok(CallerView::new(
        offerings,
        tenants,
        caller.account_kind == domain::AccountKind::Provider,
    ))
}

/// The tenants of `services` the scope allows, with what the event rules need.
pub fn scoped_tenants(
    conn: &mut DbConnection,
    scope: TenantScope,
    services: &[i64],
) -> RepoResult<Vec<ScopedTenant>> {
    let owners = diesel::alias!(accounts as owners);
    let mut query = tenants::table
        .inner_join(accounts::table)
        .filter(tenants::service_id.eq_any(services))
        .select((
            tenants::id,
            tenants::name,
            tenants::service_id,
            tenants::classification_id,
            tenants::account_id,
            accounts::managing_partner_id,
        ))
        .into_boxed();
    query = match scope {
        TenantScope::All => query,
        TenantScope::OwnedBy(id) => query.filter(tenants::account_id.eq(id.0)),
        // A subquery on accounts (indexed by managing partner) lets the planner use the
        // tenants' account index instead of scanning every tenant.
        TenantScope::OwnedOrManagedBy(id) => {
            let (owner_id, owner_partner) = (
                owners.field(accounts::id),
                owners.field(accounts::managing_partner_id),
            );
            query.filter(
                tenants::account_id.eq_any(
                    owners
                        .filter(owner_id.eq(id.0).or(owner_partner.eq(id.0)))
                        .select(owner_id),
                ),
            )
        }
    };
    let rows: Vec<(i64, String, i64, i64, i64, Option<i64>)> = query.load(conn)?;
    Ok(rows
        .into_iter()
        .map(
            |(id, name, service, class, account, partner)| ScopedTenant {
                id: TenantId(id),
                name,
                service_id: ServiceId(service),
                classification_id: ClassificationId(class),
                account_id: AccountId(account),
                managing_partner_id: partner.map(AccountId),
            },
        )
        .collect())
}
