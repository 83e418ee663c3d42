//! Tenants: running instances of a service; creating or moving one keeps the managing
//! partner's partner_tenants offering in place, in the same transaction.

use diesel::prelude::*;
use domain::{
    AccountId, AccountKind, ClassificationId, DomainError, ServiceId, Tenant, TenantId, TenantName,
    TenantScope,
};

use super::{now, record, referenced, touched, Page, PageRequest, Record};
use crate::connection::{DbConnection, MultiBackend};
use crate::events;
use crate::schema::{accounts as accounts_t, tenants};
use crate::RepoResult;

#[derive(Queryable, Selectable)]
#[diesel(table_name = tenants)]
struct TenantRow {
    id: i64,
    name: String,
    account_id: i64,
    service_id: i64,
    classification_id: i64,
    created_at: time::PrimitiveDateTime,
    updated_at: time::PrimitiveDateTime,
}

impl TenantRow {
    fn into_record(self) -> RepoResult<Record<Tenant>> {
        let item = TenantName::parse(&self.name).map(|name| Tenant {
            id: TenantId(self.id),
            name,
            account_id: AccountId(self.account_id),
            service_id: ServiceId(self.service_id),
            classification_id: ClassificationId(self.classification_id),
        });
        record(item, self.created_at, self.updated_at)
    }
}

/// Optional list filters.
#[derive(Debug, Clone, Default)]
pub struct TenantFilter {
    pub account_id: Option<AccountId>,
    pub service_id: Option<ServiceId>,
    pub classification_id: Option<ClassificationId>,
}

#[derive(Debug, Clone)]
pub struct NewTenant {
    pub name: TenantName,
    pub account_id: AccountId,
    pub service_id: ServiceId,
    pub classification_id: ClassificationId,
}

/// Changes to a tenant; `None` leaves a field as it is. The service never changes.
#[derive(Debug, Clone, Default)]
pub struct TenantChanges {
    pub name: Option<TenantName>,
    pub account_id: Option<AccountId>,
    pub classification_id: Option<ClassificationId>,
}

fn scoped(scope: TenantScope) -> tenants::BoxedQuery<'static, MultiBackend> {
    let query = tenants::table.into_boxed();
    match scope {
        TenantScope::All => query,
        TenantScope::OwnedBy(id) => query.filter(tenants::account_id.eq(id.0)),
        TenantScope::OwnedOrManagedBy(id) => query.filter(
            tenants::account_id.eq(id.0).or(tenants::account_id.eq_any(
                accounts_t::table
                    .filter(accounts_t::managing_partner_id.eq(id.0))
                    .select(accounts_t::id),
            )),
        ),
    }
}

pub fn list(
    conn: &mut DbConnection,
    scope: TenantScope,
    filter: &TenantFilter,
    page: PageRequest,
) -> RepoResult<Page<Record<Tenant>>> {
    let mut query = scoped(scope);
    if let Some(account) = filter.account_id {
        query = query.filter(tenants::account_id.eq(account.0));
    }
    if let Some(service) = filter.service_id {
        query = query.filter(tenants::service_id.eq(service.0));
    }
    if let Some(classification) = filter.classification_id {
        query = query.filter(tenants::classification_id.eq(classification.0));
    }
    if let Some(after) = page.after {
        query = query.filter(tenants::id.gt(after));
    }
    let rows = query
        .order(tenants::id.asc())
        .limit(page.limit + 1)
        .select(TenantRow::as_select())
        .load(conn)?;
    Page::from_rows(rows, page, |row| row.id).try_map(TenantRow::into_record)
}

pub fn find(
    conn: &mut DbConnection,
    scope: TenantScope,
    id: TenantId,
) -> RepoResult<Record<Tenant>> {
    scoped(scope)
        .filter(tenants::id.eq(id.0))
        .select(TenantRow::as_select())
        .first(conn)?
        .into_record()
}

/// Tenants are owned by customer or partner accounts that exist.
fn check_owner(conn: &mut DbConnection, account_id: AccountId) -> RepoResult<()> {
    let owner = referenced(
        super::account_ref(conn, account_id),
        "account_id",
        "account",
    )?;
    if owner.kind == AccountKind::Provider {
        return Err(DomainError::invalid(
            "account_id",
            "tenants are owned by customer or partner accounts",
        )
        .into());
    }
    Ok(())
}

pub fn create(conn: &mut DbConnection, new: &NewTenant) -> RepoResult<Record<Tenant>> {
    super::transaction(conn, |conn| {
        check_owner(conn, new.account_id)?;
        referenced(
            super::service_name(conn, new.service_id),
            "service_id",
            "service",
        )?;
        referenced(
            super::classification_exists(conn, new.classification_id),
            "classification_id",
            "classification",
        )?;
        let now = now();
        let id: i64 = diesel::insert_into(tenants::table)
            .values((
                tenants::name.eq(new.name.as_str()),
                tenants::account_id.eq(new.account_id.0),
                tenants::service_id.eq(new.service_id.0),
                tenants::classification_id.eq(new.classification_id.0),
                tenants::created_at.eq(now),
                tenants::updated_at.eq(now),
            ))
            .returning(tenants::id)
            .get_result(conn)?;
        events::names_changed(conn)?;
        find(conn, TenantScope::All, TenantId(id))
    })
}

pub fn update(
    conn: &mut DbConnection,
    id: TenantId,
    changes: &TenantChanges,
) -> RepoResult<Record<Tenant>> {
    super::transaction(conn, |conn| {
        let current = find(conn, TenantScope::All, id)?.item;
        let account_id = changes.account_id.unwrap_or(current.account_id);
        check_owner(conn, account_id)?;
        let classification_id = changes
            .classification_id
            .unwrap_or(current.classification_id);
        referenced(
            super::classification_exists(conn, classification_id),
            "classification_id",
            "classification",
        )?;
        diesel::update(tenants::table.find(id.0))
            .set((
                tenants::name.eq(changes.name.as_ref().unwrap_or(&current.name).as_str()),
                tenants::account_id.eq(account_id.0),
                tenants::classification_id.eq(classification_id.0),
                tenants::updated_at.eq(now()),
            ))
            .execute(conn)?;
        if changes
            .name
            .as_ref()
            .is_some_and(|name| *name != current.name)
        {
            events::names_changed(conn)?;
        }
        find(conn, TenantScope::All, id)
    })
}

pub fn delete(conn: &mut DbConnection, id: TenantId) -> RepoResult<()> {
    touched(diesel::delete(tenants::table.find(id.0)).execute(conn)?)
}
