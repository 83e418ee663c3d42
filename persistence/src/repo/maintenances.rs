//! Maintenance windows with their scope (like incidents'), and optimistic versions.

use diesel::prelude::*;
use domain::maintenance::{
    check_maintenance_transition, check_recorded, check_window, Description,
};
use domain::{
    DomainError, EventScope, ExpectedImpact, Maintenance, MaintenanceId, MaintenanceStatus,
    ServiceId, Title,
};
use time::{OffsetDateTime, PrimitiveDateTime};

use super::{now, record, referenced, stored, transaction, utc, Page, PageRequest, Record};
use crate::connection::DbConnection;
use crate::events::{check_scope, maintenance_scopes, NameIndex};
use crate::schema::maintenances;
use crate::{RepoError, RepoResult};

#[derive(Queryable, Selectable)]
#[diesel(table_name = maintenances)]
struct MaintenanceRow {
    id: i64,
    service_id: i64,
    title: String,
    description: String,
    status: String,
    expected_impact: String,
    scheduled_start: PrimitiveDateTime,
    scheduled_end: PrimitiveDateTime,
    actual_start: Option<PrimitiveDateTime>,
    actual_end: Option<PrimitiveDateTime>,
    version: i64,
    created_at: PrimitiveDateTime,
    updated_at: PrimitiveDateTime,
    scope_kind: String,
}

#[derive(Debug, Clone)]
pub struct NewMaintenance {
    pub service_id: ServiceId,
    pub title: Title,
    pub description: Description,
    pub expected_impact: ExpectedImpact,
    pub scheduled_start: OffsetDateTime,
    pub scheduled_end: OffsetDateTime,
    pub scope: EventScope,
    /// The request field a missing classification is reported on.
    pub classes_field: &'static str,
    /// `scheduled` for new windows; another status records history (see `check_recorded`).
    pub status: MaintenanceStatus,
    pub actual_start: Option<OffsetDateTime>,
    pub actual_end: Option<OffsetDateTime>,
}

/// Changes; `None` leaves a field as it is. A status change records actual start/end.
#[derive(Debug, Clone, Default)]
pub struct MaintenanceChanges {
    pub title: Option<Title>,
    pub description: Option<Description>,
    pub expected_impact: Option<ExpectedImpact>,
    pub scheduled_start: Option<OffsetDateTime>,
    pub scheduled_end: Option<OffsetDateTime>,
    pub scope: Option<EventScope>,
    /// The request field a missing classification is reported on.
    pub classes_field: &'static str,
    pub status: Option<MaintenanceStatus>,
}

fn into_records(
    conn: &mut DbConnection,
    rows: Vec<MaintenanceRow>,
) -> RepoResult<Vec<Record<Maintenance>>> {
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let mut scopes = maintenance_scopes::load(conn, &ids)?;
    rows.into_iter()
        .map(|row| {
            let scope = scopes.take(row.id, &row.scope_kind);
            let item = (|| {
                Ok::<_, DomainError>(Maintenance {
                    id: MaintenanceId(row.id),
                    service_id: ServiceId(row.service_id),
                    title: Title::parse(&row.title)?,
                    description: Description::parse(&row.description)?,
                    status: MaintenanceStatus::parse(&row.status)?,
                    expected_impact: ExpectedImpact::parse(&row.expected_impact)?,
                    scheduled_start: utc(row.scheduled_start),
                    scheduled_end: utc(row.scheduled_end),
                    actual_start: row.actual_start.map(utc),
                    actual_end: row.actual_end.map(utc),
                    scope,
                    version: row.version,
                })
            })();
            record(item, row.created_at, row.updated_at)
        })
        .collect()
}

/// Every maintenance window, a page at a time (the read model's load).
pub fn all(conn: &mut DbConnection, page: PageRequest) -> RepoResult<Page<Record<Maintenance>>> {
    let rows = maintenances::table
        .filter(maintenances::id.gt(page.after.unwrap_or(i64::MIN)))
        .order(maintenances::id.asc())
        .limit(page.limit + 1)
        .select(MaintenanceRow::as_select())
        .load(conn)?;
    Page::from_rows(rows, page, |row| row.id).and_then_items(|rows| into_records(conn, rows))
}

pub fn find(conn: &mut DbConnection, id: MaintenanceId) -> RepoResult<Record<Maintenance>> {
    let row = maintenances::table
        .find(id.0)
        .select(MaintenanceRow::as_select())
        .first(conn)?;
    into_records(conn, vec![row])?
        .pop()
        .ok_or(RepoError::NotFound)
}

/// Schedules a window, in one transaction.
pub fn create(
    conn: &mut DbConnection,
    names: &NameIndex,
    new: &NewMaintenance,
) -> RepoResult<Record<Maintenance>> {
    transaction(conn, |conn| {
        check_window(new.scheduled_start, new.scheduled_end)?;
        referenced(
            super::service_name(conn, new.service_id),
            "service_id",
            "service",
        )?;
        check_scope(conn, new.service_id, &new.scope, new.classes_field)?;
        names.check(
            conn,
            &[
                ("title", Some(new.title.as_str())),
                ("description", Some(new.description.as_str())),
            ],
        )?;
        let now = now();
        let (actual_start, actual_end) = check_recorded(
            new.status,
            (new.scheduled_start, new.scheduled_end),
            (new.actual_start, new.actual_end),
            utc(now),
        )?;
        let id: i64 = diesel::insert_into(maintenances::table)
            .values((
                maintenances::service_id.eq(new.service_id.0),
                maintenances::title.eq(new.title.as_str()),
                maintenances::description.eq(new.description.as_str()),
                maintenances::status.eq(new.status.as_str()),
                maintenances::expected_impact.eq(new.expected_impact.as_str()),
                maintenances::scheduled_start.eq(stored(new.scheduled_start)),
                maintenances::scheduled_end.eq(stored(new.scheduled_end)),
                maintenances::actual_start.eq(actual_start.map(stored)),
                maintenances::actual_end.eq(actual_end.map(stored)),
                maintenances::scope_kind.eq(new.scope.kind()),
                maintenances::version.eq(1),
                maintenances::created_at.eq(now),
                maintenances::updated_at.eq(now),
            ))
            .returning(maintenances::id)
            .get_result(conn)?;
        maintenance_scopes::replace(conn, id, &new.scope)?;
        find(conn, MaintenanceId(id))
    })
}

/// Applies changes; `expected_version` (from `If-Match`) must be current.
pub fn update(
    conn: &mut DbConnection,
    names: &NameIndex,
    id: MaintenanceId,
    expected_version: Option<i64>,
    changes: &MaintenanceChanges,
) -> RepoResult<Record<Maintenance>> {
    transaction(conn, |conn| {
        let current = find(conn, id)?.item;
        if expected_version.is_some_and(|v| v != current.version) {
            return Err(RepoError::Stale);
        }
        let start = changes.scheduled_start.unwrap_or(current.scheduled_start);
        let end = changes.scheduled_end.unwrap_or(current.scheduled_end);
        check_window(start, end)?;
        let status = changes.status.unwrap_or(current.status);
        let (actual_start, actual_end) = check_maintenance_transition(
            current.status,
            status,
            (current.actual_start, current.actual_end),
            utc(now()),
        )?;
        // Only new text is checked: a name that appeared later must not block other changes.
        names.check(
            conn,
            &[
                ("title", changes.title.as_ref().map(Title::as_str)),
                (
                    "description",
                    changes.description.as_ref().map(Description::as_str),
                ),
            ],
        )?;
        let title = changes.title.as_ref().unwrap_or(&current.title);
        let description = changes.description.as_ref().unwrap_or(&current.description);
        let scope = changes.scope.as_ref().unwrap_or(&current.scope);
        if let Some(scope) = &changes.scope {
            check_scope(conn, current.service_id, scope, changes.classes_field)?;
            maintenance_scopes::replace(conn, id.0, scope)?;
        }
        let rows = diesel::update(
            maintenances::table
                .filter(maintenances::id.eq(id.0))
                .filter(maintenances::version.eq(current.version)),
        )
        .set((
            maintenances::title.eq(title.as_str()),
            maintenances::description.eq(description.as_str()),
            maintenances::status.eq(status.as_str()),
            maintenances::expected_impact.eq(changes
                .expected_impact
                .unwrap_or(current.expected_impact)
                .as_str()),
            maintenances::scheduled_start.eq(stored(start)),
            maintenances::scheduled_end.eq(stored(end)),
            maintenances::actual_start.eq(actual_start.map(stored)),
            maintenances::actual_end.eq(actual_end.map(stored)),
            maintenances::scope_kind.eq(scope.kind()),
            maintenances::version.eq(current.version + 1),
            maintenances::updated_at.eq(now()),
        ))
        .execute(conn)?;
        if rows == 0 {
            return Err(RepoError::Stale);
        }
        find(conn, id)
    })
}
