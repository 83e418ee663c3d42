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
use crate::events::{check_scope, maintenance_scopes, NameGuard};
use crate::schema::{maintenance_schedules, maintenances};
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
    /// Start and complete by itself at the scheduled times.
    pub auto_transition: bool,
    /// The first window of the series this one repeats (`None`: not recurring, or the first).
    pub series_id: Option<MaintenanceId>,
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
    pub auto_transition: Option<bool>,
}

fn into_records(
    conn: &mut DbConnection,
    rows: Vec<MaintenanceRow>,
) -> RepoResult<Vec<Record<Maintenance>>> {
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let mut scopes = maintenance_scopes::load(conn, &ids)?;
    let schedules: std::collections::HashMap<i64, (bool, Option<i64>)> =
        maintenance_schedules::table
            .filter(maintenance_schedules::maintenance_id.eq_any(&ids))
            .select((
                maintenance_schedules::maintenance_id,
                maintenance_schedules::auto_transition,
                maintenance_schedules::series_id,
            ))
            .load::<(i64, bool, Option<i64>)>(conn)?
            .into_iter()
            .map(|(id, auto, series)| (id, (auto, series)))
            .collect();
    rows.into_iter()
        .map(|row| {
            let scope = scopes.take(row.id, &row.scope_kind);
            let (auto_transition, series_id) =
                schedules.get(&row.id).copied().unwrap_or((false, None));
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
                    auto_transition,
                    series_id: series_id.map(MaintenanceId),
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
    names: &NameGuard,
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
        diesel::insert_into(maintenance_schedules::table)
            .values((
                maintenance_schedules::maintenance_id.eq(id),
                maintenance_schedules::auto_transition.eq(new.auto_transition),
                maintenance_schedules::series_id.eq(new.series_id.map(|s| s.0)),
            ))
            .execute(conn)?;
        find(conn, MaintenanceId(id))
    })
}

/// Applies changes; `expected_version` (from `If-Match`) must be current.
pub fn update(
    conn: &mut DbConnection,
    names: &NameGuard,
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
        // A status moved by hand takes the window out of automation; a new start asks for a
        // new reminder.
        let auto_transition = changes.auto_transition.unwrap_or(
            current.auto_transition && changes.status.is_none_or(|s| s == current.status),
        );
        if auto_transition != current.auto_transition || start != current.scheduled_start {
            let moved = start != current.scheduled_start;
            upsert_schedule(conn, id, auto_transition, current.series_id, moved)?;
        }
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

/// Schedules one window per start of `starts` (`new`'s own times give the length), in one
/// transaction, as one series: each names the first as its `series_id` (a single window is
/// no series). Their ids, in order.
pub fn create_series(
    conn: &mut DbConnection,
    names: &NameGuard,
    new: &NewMaintenance,
    starts: &[OffsetDateTime],
) -> RepoResult<Vec<MaintenanceId>> {
    let length = new.scheduled_end - new.scheduled_start;
    transaction(conn, |conn| {
        let mut ids: Vec<MaintenanceId> = Vec::with_capacity(starts.len());
        for &start in starts {
            let one = NewMaintenance {
                scheduled_start: start,
                scheduled_end: start + length,
                series_id: ids.first().copied(),
                ..new.clone()
            };
            let id = create(conn, names, &one)?.item.id;
            ids.push(id);
        }
        if let (Some(&first), true) = (ids.first(), ids.len() > 1) {
            diesel::update(maintenance_schedules::table.find(first.0))
                .set(maintenance_schedules::series_id.eq(first.0))
                .execute(conn)?;
        }
        Ok(ids)
    })
}

/// Sets a window's automation (a row for windows from before it existed); a moved start
/// forgets the reminder sent, so the new start gets its own.
fn upsert_schedule(
    conn: &mut DbConnection,
    id: MaintenanceId,
    auto_transition: bool,
    series_id: Option<MaintenanceId>,
    moved: bool,
) -> RepoResult<()> {
    let row = maintenance_schedules::table.find(id.0);
    let updated = diesel::update(row)
        .set(maintenance_schedules::auto_transition.eq(auto_transition))
        .execute(conn)?;
    if moved {
        diesel::update(row)
            .set(maintenance_schedules::reminded_at.eq(None::<PrimitiveDateTime>))
            .execute(conn)?;
    }
    if updated == 0 {
        diesel::insert_into(maintenance_schedules::table)
            .values((
                maintenance_schedules::maintenance_id.eq(id.0),
                maintenance_schedules::auto_transition.eq(auto_transition),
                maintenance_schedules::series_id.eq(series_id.map(|s| s.0)),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// What the scheduler does to a window when its time comes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// `maintenance.reminder`, once, within the lead time before its start.
    Remind,
    /// Scheduled → in progress at its scheduled start.
    Start,
    /// In progress → completed at its scheduled end.
    Complete,
}

/// The steps due at `now`, in time order: reminders for scheduled windows starting within
/// `remind_before` (none when `None`), and the automatic starts and completions.
pub fn due(
    conn: &mut DbConnection,
    now: OffsetDateTime,
    remind_before: Option<time::Duration>,
) -> RepoResult<Vec<(MaintenanceId, Step)>> {
    let now = stored(now);
    let scheduled = MaintenanceStatus::Scheduled.as_str();
    let in_progress = MaintenanceStatus::InProgress.as_str();
    let mut due: Vec<(PrimitiveDateTime, MaintenanceId, Step)> = Vec::new();
    let windows = || maintenances::table.inner_join(maintenance_schedules::table);
    if let Some(lead) = remind_before {
        let rows: Vec<(i64, PrimitiveDateTime)> = windows()
            .filter(maintenances::status.eq(scheduled))
            .filter(maintenance_schedules::reminded_at.is_null())
            .filter(maintenances::scheduled_start.gt(now))
            .filter(maintenances::scheduled_start.le(now + lead))
            .select((maintenances::id, maintenances::scheduled_start))
            .load(conn)?;
        due.extend(
            rows.into_iter()
                .map(|(id, at)| (at - lead, MaintenanceId(id), Step::Remind)),
        );
    }
    let starting: Vec<(i64, PrimitiveDateTime)> = windows()
        .filter(maintenances::status.eq(scheduled))
        .filter(maintenance_schedules::auto_transition.eq(true))
        .filter(maintenances::scheduled_start.le(now))
        .select((maintenances::id, maintenances::scheduled_start))
        .load(conn)?;
    let ending: Vec<(i64, PrimitiveDateTime)> = windows()
        .filter(maintenances::status.eq_any([scheduled, in_progress]))
        .filter(maintenance_schedules::auto_transition.eq(true))
        .filter(maintenances::scheduled_end.le(now))
        .select((maintenances::id, maintenances::scheduled_end))
        .load(conn)?;
    due.extend(
        starting
            .into_iter()
            .map(|(id, at)| (at, MaintenanceId(id), Step::Start)),
    );
    due.extend(
        ending
            .into_iter()
            .map(|(id, at)| (at, MaintenanceId(id), Step::Complete)),
    );
    due.sort_by_key(|(at, id, _)| (*at, *id));
    Ok(due.into_iter().map(|(_, id, step)| (id, step)).collect())
}

/// Takes `step` on window `id` if it is still due at `now` (a conditional update: of two
/// replicas racing, one changes the row and the other finds nothing to do); whether it did.
/// Automatic steps record the scheduled times as the actual ones.
pub fn take_step(
    conn: &mut DbConnection,
    id: MaintenanceId,
    step: Step,
    now: OffsetDateTime,
) -> RepoResult<bool> {
    let now = stored(now);
    let scheduled = MaintenanceStatus::Scheduled.as_str();
    let automated = maintenance_schedules::table
        .filter(maintenance_schedules::auto_transition.eq(true))
        .select(maintenance_schedules::maintenance_id);
    let this = maintenances::table
        .filter(maintenances::id.eq(id.0))
        .filter(maintenances::id.eq_any(automated));
    let rows = match step {
        Step::Remind => {
            let still_scheduled = maintenances::table
                .filter(maintenances::status.eq(scheduled))
                .filter(maintenances::scheduled_start.gt(now))
                .select(maintenances::id);
            diesel::update(
                maintenance_schedules::table
                    .filter(maintenance_schedules::maintenance_id.eq(id.0))
                    .filter(maintenance_schedules::maintenance_id.eq_any(still_scheduled))
                    .filter(maintenance_schedules::reminded_at.is_null()),
            )
            .set(maintenance_schedules::reminded_at.eq(now))
            .execute(conn)?
        }
        Step::Start => diesel::update(
            this.filter(maintenances::status.eq(scheduled))
                .filter(maintenances::scheduled_start.le(now)),
        )
        .set((
            maintenances::status.eq(MaintenanceStatus::InProgress.as_str()),
            maintenances::actual_start.eq(maintenances::scheduled_start.nullable()),
            maintenances::version.eq(maintenances::version + 1),
            maintenances::updated_at.eq(now),
        ))
        .execute(conn)?,
        Step::Complete => diesel::update(
            this.filter(maintenances::status.eq(MaintenanceStatus::InProgress.as_str()))
                .filter(maintenances::scheduled_end.le(now)),
        )
        .set((
            maintenances::status.eq(MaintenanceStatus::Completed.as_str()),
            maintenances::actual_end.eq(maintenances::scheduled_end.nullable()),
            maintenances::version.eq(maintenances::version + 1),
            maintenances::updated_at.eq(now),
        ))
        .execute(conn)?,
    };
    Ok(rows == 1)
}
