//! Contacts: logins belonging to one account; also resolves a token's contact to a caller.

use diesel::prelude::*;
use domain::{AccountId, Contact, ContactId, ContactName, ContactScope, DomainError, Email, Role};

use super::{now, record, referenced, touched, Page, PageRequest, Record};
use crate::connection::{DbConnection, MultiBackend};
use crate::schema::{accounts as accounts_t, contacts};
use crate::RepoResult;

#[derive(Queryable, Selectable)]
#[diesel(table_name = contacts)]
struct ContactRow {
    id: i64,
    account_id: i64,
    email: String,
    name: String,
    role: String,
    created_at: time::PrimitiveDateTime,
    updated_at: time::PrimitiveDateTime,
}

impl ContactRow {
    fn into_record(self) -> RepoResult<Record<Contact>> {
        let item = (|| {
            Ok::<_, DomainError>(Contact {
                id: ContactId(self.id),
                account_id: AccountId(self.account_id),
                email: Email::parse(&self.email)?,
                name: ContactName::parse(&self.name)?,
                role: Role::parse(&self.role)?,
            })
        })();
        record(item, self.created_at, self.updated_at)
    }
}

#[derive(Debug, Clone)]
pub struct NewContact {
    pub account_id: AccountId,
    pub email: Email,
    pub name: ContactName,
    pub role: Role,
}

/// Changes to a contact; `None` leaves a field as it is. A contact never changes account.
#[derive(Debug, Clone, Default)]
pub struct ContactChanges {
    pub email: Option<Email>,
    pub name: Option<ContactName>,
    pub role: Option<Role>,
}

fn scoped(scope: ContactScope) -> contacts::BoxedQuery<'static, MultiBackend> {
    let query = contacts::table.into_boxed();
    match scope {
        ContactScope::All => query,
        ContactScope::OfAccount(id) => query.filter(contacts::account_id.eq(id.0)),
    }
}

/// The contacts of one account, within the caller's contact scope.
pub fn list(
    conn: &mut DbConnection,
    scope: ContactScope,
    account_id: AccountId,
    page: PageRequest,
) -> RepoResult<Page<Record<Contact>>> {
    let mut query = scoped(scope).filter(contacts::account_id.eq(account_id.0));
    if let Some(after) = page.after {
        query = query.filter(contacts::id.gt(after));
    }
    let rows = query
        .order(contacts::id.asc())
        .limit(page.limit + 1)
        .select(ContactRow::as_select())
        .load(conn)?;
    Page::from_rows(rows, page, |row| row.id).try_map(ContactRow::into_record)
}

/// Every contact of every account, a page at a time (the read model's load).
pub fn all(conn: &mut DbConnection, page: PageRequest) -> RepoResult<Page<Record<Contact>>> {
    let rows = contacts::table
        .filter(contacts::id.gt(page.after.unwrap_or(i64::MIN)))
        .order(contacts::id.asc())
        .limit(page.limit + 1)
        .select(ContactRow::as_select())
        .load(conn)?;
    Page::from_rows(rows, page, |row| row.id).try_map(ContactRow::into_record)
}

pub fn find(
    conn: &mut DbConnection,
    scope: ContactScope,
    id: ContactId,
) -> RepoResult<Record<Contact>> {
    scoped(scope)
        .filter(contacts::id.eq(id.0))
        .select(ContactRow::as_select())
        .first(conn)?
        .into_record()
}

pub fn find_by_email(conn: &mut DbConnection, email: &Email) -> RepoResult<Record<Contact>> {
    contacts::table
        .filter(contacts::email.eq(email.as_str()))
        .select(ContactRow::as_select())
        .first(conn)?
        .into_record()
}

pub fn create(conn: &mut DbConnection, new: &NewContact) -> RepoResult<Record<Contact>> {
    super::transaction(conn, |conn| {
        referenced(
            super::account_ref(conn, new.account_id),
            "account_id",
            "account",
        )?;
        let now = now();
        let id: i64 = diesel::insert_into(contacts::table)
            .values((
                contacts::account_id.eq(new.account_id.0),
                contacts::email.eq(new.email.as_str()),
                contacts::name.eq(new.name.as_str()),
                contacts::role.eq(new.role.as_str()),
                contacts::created_at.eq(now),
                contacts::updated_at.eq(now),
            ))
            .returning(contacts::id)
            .get_result(conn)?;
        find(conn, ContactScope::All, ContactId(id))
    })
}

pub fn update(
    conn: &mut DbConnection,
    id: ContactId,
    changes: &ContactChanges,
) -> RepoResult<Record<Contact>> {
    super::transaction(conn, |conn| {
        let current = find(conn, ContactScope::All, id)?.item;
        diesel::update(contacts::table.filter(contacts::id.eq(id.0)))
            .set((
                contacts::email.eq(changes.email.as_ref().unwrap_or(&current.email).as_str()),
                contacts::name.eq(changes.name.as_ref().unwrap_or(&current.name).as_str()),
                contacts::role.eq(changes.role.unwrap_or(current.role).as_str()),
                contacts::updated_at.eq(now()),
            ))
            .execute(conn)?;
        keep_a_provider_admin(conn)?;
        find(conn, ContactScope::All, id)
    })
}

/// Deletes a contact; its tokens stop working at the next request.
pub fn delete(conn: &mut DbConnection, id: ContactId) -> RepoResult<()> {
    super::transaction(conn, |conn| {
        touched(diesel::delete(contacts::table.filter(contacts::id.eq(id.0))).execute(conn)?)?;
        keep_a_provider_admin(conn)
    })
}

/// Refuses (and so rolls back) a change that leaves no provider admin: nobody could write —
/// not even to appoint a new admin — any more.
fn keep_a_provider_admin(conn: &mut DbConnection) -> RepoResult<()> {
    let admins: i64 = contacts::table
        .inner_join(accounts_t::table)
        .filter(accounts_t::kind.eq(domain::AccountKind::Provider.as_str()))
        .filter(contacts::role.eq(Role::Admin.as_str()))
        .count()
        .get_result(conn)?;
    if admins == 0 {
        return Err(DomainError::Conflict(
            "this is the last provider admin: appoint another admin first".to_owned(),
        )
        .into());
    }
    Ok(())
}
