//! Accounts: provider, partners and customers, and who manages whom.

use diesel::prelude::*;
use domain::account::check_managing_partner;
use domain::{Account, AccountId, AccountKind, AccountName, AccountScope, DomainError};

use super::{now, record, referenced, touched, Page, PageRequest, Record};
use crate::connection::{DbConnection, MultiBackend};
use crate::events;
use crate::schema::accounts;
use crate::RepoResult;

#[derive(Queryable, Selectable)]
#[diesel(table_name = accounts)]
struct AccountRow {
    id: i64,
    name: String,
    kind: String,
    managing_partner_id: Option<i64>,
    created_at: time::PrimitiveDateTime,
    updated_at: time::PrimitiveDateTime,
}

impl AccountRow {
    fn into_record(self) -> RepoResult<Record<Account>> {
        let item = (|| {
            Ok::<_, DomainError>(Account {
                id: AccountId(self.id),
                name: AccountName::parse(&self.name)?,
                kind: AccountKind::parse(&self.kind)?,
                managing_partner_id: self.managing_partner_id.map(AccountId),
            })
        })();
        record(item, self.created_at, self.updated_at)
    }
}

/// Optional list filters.
#[derive(Debug, Clone, Default)]
pub struct AccountFilter {
    pub kind: Option<AccountKind>,
    pub managing_partner_id: Option<AccountId>,
}

/// A new account; the managing partner is checked against the domain rule.
#[derive(Debug, Clone)]
pub struct NewAccount {
    pub name: AccountName,
    pub kind: AccountKind,
    pub managing_partner_id: Option<AccountId>,
}

/// Changes to an account; `None` leaves a field as it is. The kind never changes.
#[derive(Debug, Clone, Default)]
pub struct AccountChanges {
    pub name: Option<AccountName>,
    pub managing_partner_id: Option<Option<AccountId>>,
}

fn scoped(scope: AccountScope) -> accounts::BoxedQuery<'static, MultiBackend> {
    let query = accounts::table.into_boxed();
    match scope {
        AccountScope::All => query,
        AccountScope::SelfAndManaged(id) => query.filter(
            accounts::id
                .eq(id.0)
                .or(accounts::managing_partner_id.eq(id.0)),
        ),
        AccountScope::SelfOnly(id) => query.filter(accounts::id.eq(id.0)),
    }
}

/// Every account, a page at a time (the read model's load).
pub fn all(conn: &mut DbConnection, page: PageRequest) -> RepoResult<Page<Record<Account>>> {
    let rows = accounts::table
        .filter(accounts::id.gt(page.after.unwrap_or(i64::MIN)))
        .order(accounts::id.asc())
        .limit(page.limit + 1)
        .select(AccountRow::as_select())
        .load(conn)?;
    Page::from_rows(rows, page, |row| row.id).try_map(AccountRow::into_record)
}

/// The account, if the scope allows it; `NotFound` otherwise.
pub fn find(
    conn: &mut DbConnection,
    scope: AccountScope,
    id: AccountId,
) -> RepoResult<Record<Account>> {
    scoped(scope)
        .filter(accounts::id.eq(id.0))
        .select(AccountRow::as_select())
        .first(conn)?
        .into_record()
}

/// The provider's account, if one exists.
pub fn find_provider(conn: &mut DbConnection) -> RepoResult<Option<Record<Account>>> {
    accounts::table
        .filter(accounts::kind.eq(AccountKind::Provider.as_str()))
        .order(accounts::id.asc())
        .select(AccountRow::as_select())
        .first(conn)
        .optional()?
        .map(AccountRow::into_record)
        .transpose()
}

fn managing_partner(
    conn: &mut DbConnection,
    kind: AccountKind,
    id: Option<AccountId>,
) -> RepoResult<()> {
    let partner = id
        .map(|id| {
            referenced(
                find(conn, AccountScope::All, id),
                "managing_partner_id",
                "account",
            )
        })
        .transpose()?;
    check_managing_partner(kind, partner.as_ref().map(|p| &p.item))?;
    Ok(())
}

pub fn create(conn: &mut DbConnection, new: &NewAccount) -> RepoResult<Record<Account>> {
    super::transaction(conn, |conn| {
        managing_partner(conn, new.kind, new.managing_partner_id)?;
        let now = now();
        let id: i64 = diesel::insert_into(accounts::table)
            .values((
                accounts::name.eq(new.name.as_str()),
                accounts::kind.eq(new.kind.as_str()),
                accounts::managing_partner_id.eq(new.managing_partner_id.map(|p| p.0)),
                accounts::created_at.eq(now),
                accounts::updated_at.eq(now),
            ))
            .returning(accounts::id)
            .get_result(conn)?;
        events::names_changed(conn)?;
        find(conn, AccountScope::All, AccountId(id))
    })
}

/// Applies `changes` to the account alone (the offerings slr keeps for partners follow in the
/// caller's transaction: `services::directory` in the api).
pub fn update(
    conn: &mut DbConnection,
    id: AccountId,
    changes: &AccountChanges,
) -> RepoResult<Record<Account>> {
    super::transaction(conn, |conn| {
        let current = find(conn, AccountScope::All, id)?.item;
        let name = changes.name.clone().unwrap_or_else(|| current.name.clone());
        let partner = changes
            .managing_partner_id
            .unwrap_or(current.managing_partner_id);
        managing_partner(conn, current.kind, partner)?;
        diesel::update(accounts::table.filter(accounts::id.eq(id.0)))
            .set((
                accounts::name.eq(name.as_str()),
                accounts::managing_partner_id.eq(partner.map(|p| p.0)),
                accounts::updated_at.eq(now()),
            ))
            .execute(conn)?;
        if name != current.name {
            events::names_changed(conn)?;
        }
        find(conn, AccountScope::All, id)
    })
}

/// Deletes an account that nothing refers to any more (else `InUse`).
pub fn delete(conn: &mut DbConnection, id: AccountId) -> RepoResult<()> {
    touched(diesel::delete(accounts::table.filter(accounts::id.eq(id.0))).execute(conn)?)
}
