//! Maintenance windows with the classifications they impact, and optimistic versions.

use std::collections::{BTreeSet, HashMap};

use diesel::prelude::*;
use domain::maintenance::{
    check_classifications as check_not_empty, check_maintenance_transition, check_recorded,
    check_window, Description,
};
use domain::{
    ClassificationId, DomainError, ExpectedImpact, Maintenance, MaintenanceId, MaintenanceStatus,
    ServiceId, Title,
};
use time::{OffsetDateTime, PrimitiveDateTime};

use super::incidents::{check_classifications, check_text};
use super::{
    catalogue, now, record, referenced, stored, transaction, utc, Page, PageRequest, Record,
};
use crate::connection::DbConnection;
use crate::schema::{maintenance_classifications, maintenances};
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
}

/// Optional list filters (the phase — upcoming, active, past — is applied by the caller, as it
/// depends on the status and the clock).
#[derive(Debug, Clone, Default)]
pub struct MaintenanceFilter {
    pub services: Option<Vec<ServiceId>>,
    pub status: Option<MaintenanceStatus>,
    /// Only windows impacting this classification.
    pub classification: Option<ClassificationId>,
    /// Only windows overlapping [from, to).
    pub from: Option<OffsetDateTime>,
    pub to: Option<OffsetDateTime>,
    /// Leave out completed and cancelled windows.
    pub open_only: bool,
}

#[derive(Debug, Clone)]
pub struct NewMaintenance {
    pub service_id: ServiceId,
    pub title: Title,
    pub description: Description,
    pub expected_impact: ExpectedImpact,
    pub scheduled_start: OffsetDateTime,
    pub scheduled_end: OffsetDateTime,
    pub classifications: BTreeSet<ClassificationId>,
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
    pub classifications: Option<BTreeSet<ClassificationId>>,
    pub status: Option<MaintenanceStatus>,
}

fn into_records(
    conn: &mut DbConnection,
    rows: Vec<MaintenanceRow>,
) -> RepoResult<Vec<Record<Maintenance>>> {
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let mut classes: HashMap<i64, BTreeSet<ClassificationId>> = HashMap::new();
    let class_rows: Vec<(i64, i64)> = maintenance_classifications::table
        .filter(maintenance_classifications::maintenance_id.eq_any(&ids))
        .select((
            maintenance_classifications::maintenance_id,
            maintenance_classifications::classification_id,
        ))
        .load(conn)?;
    for (maintenance, class) in class_rows {
        classes
            .entry(maintenance)
            .or_default()
            .insert(ClassificationId(class));
    }
    rows.into_iter()
        .map(|row| {
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
                    classifications: classes.remove(&row.id).unwrap_or_default(),
                    version: row.version,
                })
            })();
            record(item, row.created_at, row.updated_at)
        })
        .collect()
}

pub fn list(
    conn: &mut DbConnection,
    filter: &MaintenanceFilter,
    page: PageRequest,
) -> RepoResult<Page<Record<Maintenance>>> {
    let mut query = maintenances::table.into_boxed();
    if let Some(services) = &filter.services {
        query = query.filter(
            maintenances::service_id.eq_any(services.iter().map(|s| s.0).collect::<Vec<_>>()),
        );
    }
    if let Some(status) = filter.status {
        query = query.filter(maintenances::status.eq(status.as_str()));
    }
    if filter.open_only {
        query = query.filter(maintenances::status.eq_any([
            MaintenanceStatus::Scheduled.as_str(),
            MaintenanceStatus::InProgress.as_str(),
        ]));
    }
    if let Some(class) = filter.classification {
        query = query.filter(
            maintenances::id.eq_any(
                maintenance_classifications::table
                    .filter(maintenance_classifications::classification_id.eq(class.0))
                    .select(maintenance_classifications::maintenance_id),
            ),
        );
    }
    if let Some(to) = filter.to {
        query = query.filter(maintenances::scheduled_start.lt(stored(to)));
    }
    if let Some(from) = filter.from {
        query = query.filter(maintenances::scheduled_end.gt(stored(from)));
    }
    if let Some(after) = page.after {
        query = query.filter(maintenances::id.gt(after));
    }
    let rows = query
        .order(maintenances::id.asc())
        .limit(page.limit + 1)
        .select(MaintenanceRow::as_select())
        .load(conn)?;
    let page = Page::from_rows(rows, page, |row| row.id);
    let items = into_records(conn, page.items)?;
    Ok(Page {
        items,
        next_after: page.next_after,
    })
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

fn replace_classifications(
    conn: &mut DbConnection,
    id: i64,
    classes: &BTreeSet<ClassificationId>,
) -> RepoResult<()> {
    check_not_empty(classes)?;
    check_classifications(conn, classes, "classification_ids")?;
    diesel::delete(
        maintenance_classifications::table
            .filter(maintenance_classifications::maintenance_id.eq(id)),
    )
    .execute(conn)?;
    for class in classes {
        diesel::insert_into(maintenance_classifications::table)
            .values((
                maintenance_classifications::maintenance_id.eq(id),
                maintenance_classifications::classification_id.eq(class.0),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Schedules a window, in one transaction.
pub fn create(conn: &mut DbConnection, new: &NewMaintenance) -> RepoResult<Record<Maintenance>> {
    transaction(conn, |conn| {
        check_window(new.scheduled_start, new.scheduled_end)?;
        check_not_empty(&new.classifications)?;
        referenced(
            catalogue::find_service(conn, new.service_id),
            "service_id",
            "service",
        )?;
        check_text(
            conn,
            new.service_id,
            &[
                ("title", new.title.as_str()),
                ("description", new.description.as_str()),
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
                maintenances::version.eq(1),
                maintenances::created_at.eq(now),
                maintenances::updated_at.eq(now),
            ))
            .returning(maintenances::id)
            .get_result(conn)?;
        replace_classifications(conn, id, &new.classifications)?;
        find(conn, MaintenanceId(id))
    })
}

/// Applies changes; `expected_version` (from `If-Match`) must be current.
pub fn update(
    conn: &mut DbConnection,
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
        let title = changes.title.as_ref().unwrap_or(&current.title);
        let description = changes.description.as_ref().unwrap_or(&current.description);
        check_text(
            conn,
            current.service_id,
            &[
                ("title", title.as_str()),
                ("description", description.as_str()),
            ],
        )?;
        if let Some(classes) = &changes.classifications {
            replace_classifications(conn, id.0, classes)?;
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
