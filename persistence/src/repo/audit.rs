//! The audit log: every write, append-only, recorded in the write's own transaction.

use diesel::prelude::*;
use time::{OffsetDateTime, PrimitiveDateTime};

use super::{now, stored, utc, Page, PageRequest};
use crate::connection::DbConnection;
use crate::schema::audit_log;
use crate::RepoResult;

/// What a write did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Create,
    Update,
    Delete,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Update => "update",
            Action::Delete => "delete",
        }
    }
}

/// One write to record.
#[derive(Debug, Clone)]
pub struct NewEntry<'a> {
    pub contact_id: i64,
    pub account_id: i64,
    pub action: Action,
    /// E.g. `tenant`, `incident`.
    pub object_type: &'static str,
    pub object_id: i64,
    /// The object as JSON before (updates, deletes) and after (creates, updates).
    pub before: Option<&'a str>,
    pub after: Option<&'a str>,
    pub request_id: Option<&'a str>,
}

/// A recorded write.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub id: i64,
    pub at: OffsetDateTime,
    pub contact_id: i64,
    pub account_id: i64,
    pub action: String,
    pub object_type: String,
    pub object_id: i64,
    pub before: Option<String>,
    pub after: Option<String>,
    pub request_id: Option<String>,
}

/// Appends an entry (call it inside the write's transaction).
pub fn record(conn: &mut DbConnection, entry: &NewEntry<'_>) -> RepoResult<()> {
    diesel::insert_into(audit_log::table)
        .values((
            audit_log::at.eq(now()),
            audit_log::contact_id.eq(entry.contact_id),
            audit_log::account_id.eq(entry.account_id),
            audit_log::action.eq(entry.action.as_str()),
            audit_log::object_type.eq(entry.object_type),
            audit_log::object_id.eq(entry.object_id),
            audit_log::before_json.eq(entry.before),
            audit_log::after_json.eq(entry.after),
            audit_log::request_id.eq(entry.request_id),
        ))
        .execute(conn)?;
    Ok(())
}

/// Optional filters of the log.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub object_type: Option<String>,
    pub object_id: Option<i64>,
    pub contact_id: Option<i64>,
    pub action: Option<String>,
    pub from: Option<OffsetDateTime>,
    pub to: Option<OffsetDateTime>,
}

type Row = (
    i64,
    PrimitiveDateTime,
    i64,
    i64,
    String,
    String,
    i64,
    Option<String>,
    Option<String>,
    Option<String>,
);

/// Entries oldest first, a page at a time.
pub fn list(
    conn: &mut DbConnection,
    filter: &Filter,
    page: PageRequest,
) -> RepoResult<Page<Entry>> {
    let mut query = audit_log::table.into_boxed();
    if let Some(object_type) = &filter.object_type {
        query = query.filter(audit_log::object_type.eq(object_type.clone()));
    }
    if let Some(object_id) = filter.object_id {
        query = query.filter(audit_log::object_id.eq(object_id));
    }
    if let Some(contact_id) = filter.contact_id {
        query = query.filter(audit_log::contact_id.eq(contact_id));
    }
    if let Some(action) = &filter.action {
        query = query.filter(audit_log::action.eq(action.clone()));
    }
    if let Some(from) = filter.from {
        query = query.filter(audit_log::at.ge(stored(from)));
    }
    if let Some(to) = filter.to {
        query = query.filter(audit_log::at.lt(stored(to)));
    }
    if let Some(after) = page.after {
        query = query.filter(audit_log::id.gt(after));
    }
    let rows: Vec<Row> = query
        .order(audit_log::id.asc())
        .limit(page.limit + 1)
        .select((
            audit_log::id,
            audit_log::at,
            audit_log::contact_id,
            audit_log::account_id,
            audit_log::action,
            audit_log::object_type,
            audit_log::object_id,
            audit_log::before_json,
            audit_log::after_json,
            audit_log::request_id,
        ))
        .load(conn)?;
    let page = Page::from_rows(rows, page, |row| row.0);
    page.try_map(|row| {
        Ok(Entry {
            id: row.0,
            at: utc(row.1),
            contact_id: row.2,
            account_id: row.3,
            action: row.4,
            object_type: row.5,
            object_id: row.6,
            before: row.7,
            after: row.8,
            request_id: row.9,
        })
    })
}
