//! What the change feed reads: the change log after a version (one row per changed row, named
//! by the object it belongs to), whose view a departed object left, and how far back the log
//! still reaches. The log is kept for a configurable time (`SLR_CHANGES_RETENTION`); purging
//! records the newest version it dropped, so a `since` before it is known to be incomplete.

use std::collections::HashMap;

use diesel::prelude::*;
use domain::{AccountKind, Caller};

use crate::connection::DbConnection;
use crate::schema::{change_counters, data_changes, data_departures};
use crate::RepoResult;

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
    /// are the incident's); `None` for tables the feed does not show.
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
            | "incident_updates"
            | "incident_reports" => Self::Incident,
            "maintenances"
            | "maintenance_classifications"
            | "maintenance_tenants"
            | "maintenance_schedules" => Self::Maintenance,
            _ => return None,
        })
    }

    /// The table its departures are recorded under.
    fn table(self) -> &'static str {
        match self {
            Self::Account => "accounts",
            Self::Contact => "contacts",
            Self::Service => "services",
            Self::Classification => "classifications",
            Self::Tenant => "tenants",
            Self::Offering => "offerings",
            Self::Incident => "incidents",
            Self::Maintenance => "maintenances",
        }
    }
}

/// One logged change: the object it belongs to, at `version`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoggedChange {
    pub version: i64,
    pub kind: ObjectKind,
    pub id: i64,
}

/// Up to `limit` log rows after `since` and at most `until`, in version order, with the version
/// of the last row read (rows of tables the feed does not show are read and skipped).
pub fn logged_after(
    conn: &mut DbConnection,
    since: i64,
    until: i64,
    limit: i64,
) -> RepoResult<(Vec<LoggedChange>, Option<i64>)> {
    let rows: Vec<(i64, String, i64)> = data_changes::table
        .filter(data_changes::version.gt(since))
        .filter(data_changes::version.le(until))
        .order(data_changes::version.asc())
        .limit(limit)
        .select((
            data_changes::version,
            data_changes::table_name,
            data_changes::row_id,
        ))
        .load(conn)?;
    let last = rows.last().map(|(version, _, _)| *version);
    let changes = rows
        .into_iter()
        .filter_map(|(version, table, id)| {
            ObjectKind::of_table(&table).map(|kind| LoggedChange { version, kind, id })
        })
        .collect();
    Ok((changes, last))
}

/// Whose view an object left: an account (and its managing partner), or everyone's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Departure {
    pub account_id: Option<i64>,
    pub partner_id: Option<i64>,
}

impl Departure {
    /// Whether the object was in `caller`'s view before it left (as far as the log tells).
    pub fn left_view_of(&self, caller: &Caller) -> bool {
        let own = Some(caller.account_id.0);
        caller.account_kind == AccountKind::Provider
            || (self.account_id.is_none() && self.partner_id.is_none())
            || self.account_id == own
            || (caller.account_kind == AccountKind::Partner && self.partner_id == own)
    }
}

/// The recorded departures of `objects`.
pub fn departures(
    conn: &mut DbConnection,
    objects: &[(ObjectKind, i64)],
) -> RepoResult<HashMap<(ObjectKind, i64), Vec<Departure>>> {
    let mut found: HashMap<(ObjectKind, i64), Vec<Departure>> = HashMap::new();
    let mut by_kind: HashMap<ObjectKind, Vec<i64>> = HashMap::new();
    for (kind, id) in objects {
        by_kind.entry(*kind).or_default().push(*id);
    }
    for (kind, ids) in by_kind {
        for chunk in ids.chunks(500) {
            let rows: Vec<(i64, Option<i64>, Option<i64>)> = data_departures::table
                .filter(data_departures::table_name.eq(kind.table()))
                .filter(data_departures::row_id.eq_any(chunk.to_vec()))
                .select((
                    data_departures::row_id,
                    data_departures::account_id,
                    data_departures::partner_id,
                ))
                .load(conn)?;
            for (id, account_id, partner_id) in rows {
                found.entry((kind, id)).or_default().push(Departure {
                    account_id,
                    partner_id,
                });
            }
        }
    }
    Ok(found)
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

/// Forgets changes and departures logged longer than `keep` ago, remembering the newest version
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
        diesel::delete(data_departures::table.filter(data_departures::at.lt(cutoff)))
            .execute(conn)?;
        Ok(
            diesel::delete(data_changes::table.filter(data_changes::version.le(newest)))
                .execute(conn)?,
        )
    })
}
