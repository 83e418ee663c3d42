//! What the change feed reads: the change log after a version (one row per changed row, named
//! by the object it belongs to, and one "view" row each time an object's rendering changed for
//! particular accounts without its own rows changing — it arrived in or left their view, or its
//! reach over their tenants changed), and how far back the log still reaches. The log is kept for
//! a configurable time (`SLR_CHANGES_RETENTION`); purging records the newest version it dropped,
//! so a `since` before it is known to be incomplete.

use diesel::prelude::*;
use domain::{AccountKind, Caller};

use crate::connection::DbConnection;
use crate::schema::{change_counters, data_changes};
use crate::RepoResult;

/// The prefix of the log's view rows' table names (`view:incidents`).
const VIEW: &str = "view:";

/// The kinds of object the change feed names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ObjectKind {
    Account,
    Contact,
    Service,
    Classification,
    Tenant,
    Offering,
    Incident,
    Maintenance,
}

impl ObjectKind {
    /// The object a row of `table` belongs to (an incident's updates, impacts and scope rows
    /// are the incident's); `None` for tables the feed does not show — among them a draft
    /// post-incident report: only publishing one moves its incident.
    pub fn of_table(table: &str) -> Option<Self> {
        Some(match table {
            "accounts" => Self::Account,
            "contacts" => Self::Contact,
            "services" => Self::Service,
            "classifications" => Self::Classification,
            "tenants" => Self::Tenant,
            "offerings" => Self::Offering,
            "incidents"
            | "incident_impacts"
            | "incident_classifications"
            | "incident_tenants"
            | "incident_updates" => Self::Incident,
            "maintenances"
            | "maintenance_classifications"
            | "maintenance_tenants"
            | "maintenance_schedules" => Self::Maintenance,
            _ => return None,
        })
    }

    /// Whether a log row of `table` is a view row (the read model has nothing to reload for it).
    pub fn is_view(table: &str) -> bool {
        table.starts_with(VIEW)
    }
}

/// Whose view a logged change is news to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// A change of the object's own rows: whoever sees the object now.
    Readers,
    /// The object's rendering changed for this account and, if any, this partner (it may have
    /// left their view).
    Accounts(i64, Option<i64>),
    /// It is gone for everyone (a service or classification deleted).
    Everyone,
}

impl Audience {
    /// Whether the change is news to `caller` (the provider sees everything, so every view
    /// change is also its own).
    pub fn includes(&self, caller: &Caller) -> bool {
        let own = caller.account_id.0;
        match *self {
            Self::Readers => true,
            Self::Everyone => true,
            Self::Accounts(account, partner) => {
                caller.account_kind == AccountKind::Provider
                    || account == own
                    || partner == Some(own)
            }
        }
    }

    /// Whether it may tell `caller` that the object left its view (a plain row change never
    /// does: it says nothing about who saw the object before).
    pub fn tells_departure(&self) -> bool {
        !matches!(self, Self::Readers)
    }
}

/// One logged change: the object it belongs to, at `version`, and whose view it is news to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoggedChange {
    pub version: i64,
    pub kind: ObjectKind,
    pub id: i64,
    pub audience: Audience,
}

/// Up to `limit` log rows after `since` and at most `until`, in version order, with the version
/// of the last row read (rows of tables the feed does not show are read and skipped).
pub fn logged_after(
    conn: &mut DbConnection,
    since: i64,
    until: i64,
    limit: i64,
) -> RepoResult<(Vec<LoggedChange>, Option<i64>)> {
    type Row = (i64, String, i64, Option<i64>, Option<i64>);
    let rows: Vec<Row> = data_changes::table
        .filter(data_changes::version.gt(since))
        .filter(data_changes::version.le(until))
        .order(data_changes::version.asc())
        .limit(limit)
        .select((
            data_changes::version,
            data_changes::table_name,
            data_changes::row_id,
            data_changes::account_id,
            data_changes::partner_id,
        ))
        .load(conn)?;
    let last = rows.last().map(|(version, ..)| *version);
    let changes = rows
        .into_iter()
        .filter_map(|(version, table, id, account, partner)| {
            let (table, audience) = match table.strip_prefix(VIEW) {
                None => (table.as_str(), Audience::Readers),
                Some(table) => (
                    table,
                    account.map_or(Audience::Everyone, |a| Audience::Accounts(a, partner)),
                ),
            };
            ObjectKind::of_table(table).map(|kind| LoggedChange {
                version,
                kind,
                id,
                audience,
            })
        })
        .collect();
    Ok((changes, last))
}

const PURGED: &str = "purged";

/// The newest version the log may no longer hold (0: it holds everything).
pub fn purged_through(conn: &mut DbConnection) -> RepoResult<i64> {
    Ok(change_counters::table
        .find(PURGED)
        .select(change_counters::value)
        .first::<i64>(conn)
        .optional()?
        .unwrap_or(0))
}

/// Forgets changes logged longer than `keep` ago, remembering the newest version
/// dropped; returns how many changes went.
pub fn purge(conn: &mut DbConnection, keep: time::Duration) -> RepoResult<usize> {
    let cutoff = crate::repo::now() - keep;
    crate::repo::transaction(conn, |conn| {
        let newest: Option<i64> = data_changes::table
            .filter(data_changes::at.lt(cutoff))
            .select(diesel::dsl::max(data_changes::version))
            .first(conn)?;
        let Some(newest) = newest else {
            return Ok(0);
        };
        diesel::update(change_counters::table.find(PURGED))
            .filter(change_counters::value.lt(newest))
            .set(change_counters::value.eq(newest))
            .execute(conn)?;
        Ok(
            diesel::delete(data_changes::table.filter(data_changes::version.le(newest)))
                .execute(conn)?,
        )
    })
}
