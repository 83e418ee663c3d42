//! Incidents: the incident row, its scope rows, its append-only timeline, and optimistic
//! versions for `If-Match`.

use std::collections::{BTreeMap, HashMap};

use diesel::prelude::*;
use domain::incident::{check_impact_changes, check_resolved_at, check_started_at, ImpactChange};
use domain::{
    ClassificationId, ContactId, DomainError, EventScope, Impact, Incident, IncidentId,
    IncidentStatus, IncidentUpdate, IncidentUpdateId, Message, ServiceId, TenantId, TenantMark,
    TenantState, Title,
};
use time::{OffsetDateTime, PrimitiveDateTime};

use super::{now, record, referenced, stored, transaction, utc, Page, PageRequest, Record};
use crate::connection::DbConnection;
use crate::events::{check_scope, incident_scopes, NameGuard};
use crate::schema::{
    incident_impacts, incident_tenant_states, incident_updates, incidents, tenants,
};
use crate::{RepoError, RepoResult};

#[derive(Queryable, Selectable)]
#[diesel(table_name = incidents)]
struct IncidentRow {
    id: i64,
    service_id: i64,
    title: String,
    impact: String,
    status: String,
    scope_kind: String,
    started_at: PrimitiveDateTime,
    resolved_at: Option<PrimitiveDateTime>,
    version: i64,
    created_at: PrimitiveDateTime,
    updated_at: PrimitiveDateTime,
    initial_impact: String,
}

#[derive(Debug, Clone)]
pub struct NewIncident {
    pub service_id: ServiceId,
    pub title: Title,
    /// The impact it started with.
    pub impact: Impact,
    /// Back-filled history: later impacts and when each took effect, in time order.
    pub impact_changes: Vec<(OffsetDateTime, Impact)>,
    pub status: IncidentStatus,
    pub scope: EventScope,
    pub started_at: OffsetDateTime,
    /// For incidents recorded as already resolved (back-filled history); default now.
    pub resolved_at: Option<OffsetDateTime>,
    /// The first timeline entry.
    pub message: Message,
    pub author: ContactId,
}

/// Changes to an incident's description; `None` leaves a field as it is. Status changes go
/// through [`add_update`], so the timeline records them.
#[derive(Debug, Clone, Default)]
pub struct IncidentChanges {
    pub title: Option<Title>,
    pub impact: Option<Impact>,
    pub started_at: Option<OffsetDateTime>,
    pub scope: Option<EventScope>,
}

/// A new timeline entry, optionally changing the status and the impact (from now).
#[derive(Debug, Clone)]
pub struct NewUpdate {
    pub status: Option<IncidentStatus>,
    pub impact: Option<Impact>,
    pub reopen: bool,
    pub message: Message,
    pub author: ContactId,
}

fn into_records(
    conn: &mut DbConnection,
    rows: Vec<IncidentRow>,
) -> RepoResult<Vec<Record<Incident>>> {
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let mut scopes = incident_scopes::load(conn, &ids)?;
    let mut changes = impact_changes(conn, &ids)?;
    let mut marks = tenant_marks(conn, &ids)?;
    rows.into_iter()
        .map(|row| {
            let scope = scopes.take(row.id, &row.scope_kind);
            let item = (|| {
                Ok::<_, DomainError>(Incident {
                    id: IncidentId(row.id),
                    service_id: ServiceId(row.service_id),
                    title: Title::parse(&row.title)?,
                    impact: Impact::parse(&row.impact)?,
                    initial_impact: Impact::parse(&row.initial_impact)?,
                    impact_changes: changes.remove(&row.id).unwrap_or_default(),
                    status: IncidentStatus::parse(&row.status)?,
                    scope,
                    started_at: utc(row.started_at),
                    resolved_at: row.resolved_at.map(utc),
                    tenant_marks: std::sync::Arc::new(marks.remove(&row.id).unwrap_or_default()),
                    version: row.version,
                })
            })();
            record(item, row.created_at, row.updated_at)
        })
        .collect()
}

/// The impact changes of these incidents, each in time order.
fn impact_changes(
    conn: &mut DbConnection,
    ids: &[i64],
) -> RepoResult<HashMap<i64, Vec<(OffsetDateTime, Impact)>>> {
    let rows = incident_impacts::table
        .filter(incident_impacts::incident_id.eq_any(ids))
        .order((
            incident_impacts::incident_id,
            incident_impacts::effective_at,
        ))
        .select((
            incident_impacts::incident_id,
            incident_impacts::impact,
            incident_impacts::effective_at,
        ))
        .load(conn)?;
    impact_changes_by_incident(rows)
}

/// The tenants marked inside these incidents.
fn tenant_marks(
    conn: &mut DbConnection,
    ids: &[i64],
) -> RepoResult<HashMap<i64, BTreeMap<TenantId, TenantMark>>> {
    let rows: Vec<(i64, i64, String, PrimitiveDateTime)> = incident_tenant_states::table
        .filter(incident_tenant_states::incident_id.eq_any(ids))
        .select((
            incident_tenant_states::incident_id,
            incident_tenant_states::tenant_id,
            incident_tenant_states::state,
            incident_tenant_states::effective_at,
        ))
        .load(conn)?;
    let mut marks: HashMap<i64, BTreeMap<TenantId, TenantMark>> = HashMap::new();
    for (incident, tenant, state, at) in rows {
        let state = TenantState::parse(&state).map_err(|e| RepoError::Corrupt(e.to_string()))?;
        marks
            .entry(incident)
            .or_default()
            .insert(TenantId(tenant), TenantMark { state, at: utc(at) });
    }
    Ok(marks)
}

/// (incident, impact, effective at) rows in time order, grouped by incident.
pub(crate) fn impact_changes_by_incident(
    rows: Vec<(i64, String, PrimitiveDateTime)>,
) -> RepoResult<HashMap<i64, Vec<(OffsetDateTime, Impact)>>> {
    let mut changes: HashMap<i64, Vec<(OffsetDateTime, Impact)>> = HashMap::new();
    for (id, impact, at) in rows {
        let impact = Impact::parse(&impact).map_err(|e| RepoError::Corrupt(e.to_string()))?;
        changes.entry(id).or_default().push((utc(at), impact));
    }
    Ok(changes)
}

/// Records an impact change: from an instant (a new history entry), or as a correction of the
/// whole history. Keeps `impact` the impact in effect now.
fn record_impact(conn: &mut DbConnection, id: i64, change: ImpactChange) -> RepoResult<()> {
    match change {
        ImpactChange::Unchanged => {}
        ImpactChange::From(at, impact) => {
            diesel::insert_into(incident_impacts::table)
                .values((
                    incident_impacts::incident_id.eq(id),
                    incident_impacts::impact.eq(impact.as_str()),
                    incident_impacts::effective_at.eq(stored(at)),
                ))
                .execute(conn)?;
            diesel::update(incidents::table.find(id))
                .set(incidents::impact.eq(impact.as_str()))
                .execute(conn)?;
        }
        ImpactChange::Correction(impact) => {
            diesel::delete(incident_impacts::table.filter(incident_impacts::incident_id.eq(id)))
                .execute(conn)?;
            diesel::update(incidents::table.find(id))
                .set((
                    incidents::impact.eq(impact.as_str()),
                    incidents::initial_impact.eq(impact.as_str()),
                ))
                .execute(conn)?;
        }
    }
    Ok(())
}

/// Every incident, a page at a time (the read model's load).
pub fn all(conn: &mut DbConnection, page: PageRequest) -> RepoResult<Page<Record<Incident>>> {
    let rows = incidents::table
        .filter(incidents::id.gt(page.after.unwrap_or(i64::MIN)))
        .order(incidents::id.asc())
        .limit(page.limit + 1)
        .select(IncidentRow::as_select())
        .load(conn)?;
    Page::from_rows(rows, page, |row| row.id).and_then_items(|rows| into_records(conn, rows))
}

pub fn find(conn: &mut DbConnection, id: IncidentId) -> RepoResult<Record<Incident>> {
    let row = incidents::table
        .find(id.0)
        .select(IncidentRow::as_select())
        .first(conn)?;
    into_records(conn, vec![row])?
        .pop()
        .ok_or(RepoError::NotFound)
}

/// The timeline, oldest first.
pub fn timeline(conn: &mut DbConnection, id: IncidentId) -> RepoResult<Vec<IncidentUpdate>> {
    Ok(timelines(conn, Some(id))?.remove(&id).unwrap_or_default())
}

/// The timelines of one incident or of all, each oldest first (one query).
pub fn timelines(
    conn: &mut DbConnection,
    of: Option<IncidentId>,
) -> RepoResult<HashMap<IncidentId, Vec<IncidentUpdate>>> {
    let mut query = incident_updates::table
        .order(incident_updates::id.asc())
        .select((
            incident_updates::incident_id,
            incident_updates::id,
            incident_updates::status,
            incident_updates::message,
            incident_updates::author_contact_id,
            incident_updates::created_at,
        ))
        .into_boxed();
    if let Some(id) = of {
        query = query.filter(incident_updates::incident_id.eq(id.0));
    }
    let rows: Vec<(i64, i64, String, String, Option<i64>, PrimitiveDateTime)> = query.load(conn)?;
    let corrupt = |e: DomainError| RepoError::Corrupt(e.to_string());
    let mut timelines: HashMap<IncidentId, Vec<IncidentUpdate>> = HashMap::new();
    for (incident, id, status, message, author, at) in rows {
        timelines
            .entry(IncidentId(incident))
            .or_default()
            .push(IncidentUpdate {
                id: IncidentUpdateId(id),
                status: IncidentStatus::parse(&status).map_err(corrupt)?,
                message: Message::parse(&message).map_err(corrupt)?,
                author: author.map(ContactId),
                created_at: utc(at),
            });
    }
    Ok(timelines)
}

fn insert_update(
    conn: &mut DbConnection,
    incident: i64,
    status: IncidentStatus,
    message: &Message,
    author: ContactId,
    at: PrimitiveDateTime,
) -> RepoResult<()> {
    diesel::insert_into(incident_updates::table)
        .values((
            incident_updates::incident_id.eq(incident),
            incident_updates::status.eq(status.as_str()),
            incident_updates::message.eq(message.as_str()),
            incident_updates::author_contact_id.eq(author.0),
            incident_updates::created_at.eq(at),
        ))
        .execute(conn)?;
    Ok(())
}

/// Creates an incident with its scope and first timeline entry, in one transaction.
pub fn create(
    conn: &mut DbConnection,
    names: &NameGuard,
    new: &NewIncident,
) -> RepoResult<Record<Incident>> {
    transaction(conn, |conn| {
        let now = now();
        check_started_at(new.started_at, utc(now))?;
        referenced(
            super::service_name(conn, new.service_id),
            "service_id",
            "service",
        )?;
        check_scope(conn, new.service_id, &new.scope, "scope.classification_ids")?;
        names.check(
            conn,
            &[
                ("title", Some(new.title.as_str())),
                ("message", Some(new.message.as_str())),
            ],
        )?;
        let resolved_at = check_resolved_at(new.status, new.started_at, new.resolved_at, utc(now))?;
        check_impact_changes(new.started_at, resolved_at, &new.impact_changes, utc(now))?;
        let resolved_at = resolved_at.map(stored);
        let id: i64 = diesel::insert_into(incidents::table)
            .values((
                incidents::service_id.eq(new.service_id.0),
                incidents::title.eq(new.title.as_str()),
                incidents::impact.eq(new.impact.as_str()),
                incidents::initial_impact.eq(new.impact.as_str()),
                incidents::status.eq(new.status.as_str()),
                incidents::scope_kind.eq(new.scope.kind()),
                incidents::started_at.eq(stored(new.started_at)),
                incidents::resolved_at.eq(resolved_at),
                incidents::version.eq(1),
                incidents::created_at.eq(now),
                incidents::updated_at.eq(now),
            ))
            .returning(incidents::id)
            .get_result(conn)?;
        incident_scopes::replace(conn, id, &new.scope)?;
        for &(at, impact) in &new.impact_changes {
            record_impact(conn, id, ImpactChange::From(at, impact))?;
        }
        insert_update(
            conn,
            id,
            new.status,
            &new.message,
            new.author,
            resolved_at.unwrap_or(now),
        )?;
        find(conn, IncidentId(id))
    })
}

/// Bumps the version, failing with `Stale` when someone else changed the incident first.
fn bump(conn: &mut DbConnection, id: i64, version: i64) -> RepoResult<()> {
    let rows = diesel::update(
        incidents::table
            .filter(incidents::id.eq(id))
            .filter(incidents::version.eq(version)),
    )
    .set((
        incidents::version.eq(version + 1),
        incidents::updated_at.eq(now()),
    ))
    .execute(conn)?;
    if rows == 0 {
        Err(RepoError::Stale)
    } else {
        Ok(())
    }
}

/// Changes title, impact, start or scope; `expected_version` (from `If-Match`) must be current.
pub fn update(
    conn: &mut DbConnection,
    names: &NameGuard,
    id: IncidentId,
    expected_version: Option<i64>,
    changes: &IncidentChanges,
) -> RepoResult<Record<Incident>> {
    transaction(conn, |conn| {
        let current = find(conn, id)?.item;
        if expected_version.is_some_and(|v| v != current.version) {
            return Err(RepoError::Stale);
        }
        if let Some(started_at) = changes.started_at {
            current.check_new_start(started_at, utc(now()))?;
        }
        if let Some(scope) = &changes.scope {
            check_scope(conn, current.service_id, scope, "scope.classification_ids")?;
            if current.status.is_active() {
                recover_those_left(conn, &current, scope, now())?;
            }
            incident_scopes::replace(conn, id.0, scope)?;
        }
        if let Some(impact) = changes.impact {
            let open = current.status.is_active();
            record_impact(conn, id.0, current.impact_change(impact, open, utc(now())))?;
        }
        names.check(
            conn,
            &[("title", changes.title.as_ref().map(Title::as_str))],
        )?;
        diesel::update(incidents::table.find(id.0))
            .set((
                incidents::title.eq(changes.title.as_ref().unwrap_or(&current.title).as_str()),
                incidents::scope_kind.eq(changes.scope.as_ref().unwrap_or(&current.scope).kind()),
                incidents::started_at.eq(stored(changes.started_at.unwrap_or(current.started_at))),
            ))
            .execute(conn)?;
        bump(conn, id.0, current.version)?;
        find(conn, id)
    })
}

/// An open incident's scope narrowing is a change from now, not a correction: the tenants it
/// leaves (those not marked already) are recorded as recovered `at`, so each keeps the
/// incident — in its availability and in its view — until then.
fn recover_those_left(
    conn: &mut DbConnection,
    current: &Incident,
    scope: &EventScope,
    at: PrimitiveDateTime,
) -> RepoResult<()> {
    let of_service: Vec<(i64, i64)> = tenants::table
        .filter(tenants::service_id.eq(current.service_id.0))
        .select((tenants::id, tenants::classification_id))
        .load(conn)?;
    for (tenant, class) in of_service {
        let (id, class) = (TenantId(tenant), ClassificationId(class));
        let leaves = current.scope.reaches_tenant(id, class) && !scope.reaches_tenant(id, class);
        if leaves && !current.tenant_marks.contains_key(&id) {
            diesel::insert_into(incident_tenant_states::table)
                .values((
                    incident_tenant_states::incident_id.eq(current.id.0),
                    incident_tenant_states::tenant_id.eq(tenant),
                    incident_tenant_states::state.eq(TenantState::Recovered.as_str()),
                    incident_tenant_states::effective_at.eq(at),
                ))
                .execute(conn)?;
        }
    }
    Ok(())
}

/// Tenants of an open incident marked `recovered` or `unaffected` at an instant (default now),
/// or back to `affected`.
#[derive(Debug, Clone)]
pub struct NewMarks {
    pub tenants: Vec<TenantId>,
    pub state: TenantState,
    pub at: Option<OffsetDateTime>,
}

/// The most tenants one request marks.
pub const MAX_MARKED: usize = 1000;

/// Marks tenants inside an open incident (each must be of its service and inside its scope);
/// `expected_version` (from `If-Match`) must be current. Returns the tenants whose state
/// changed, with their new state, and the incident after.
pub fn mark_tenants(
    conn: &mut DbConnection,
    id: IncidentId,
    expected_version: Option<i64>,
    marks: &NewMarks,
) -> RepoResult<(Vec<TenantId>, Record<Incident>)> {
    transaction(conn, |conn| {
        let current = find(conn, id)?.item;
        if expected_version.is_some_and(|v| v != current.version) {
            return Err(RepoError::Stale);
        }
        let mark = current.mark(marks.state, marks.at, utc(now()))?;
        let wanted: Vec<i64> = marks.tenants.iter().map(|t| t.0).collect();
        let found: HashMap<i64, (i64, i64)> = tenants::table
            .filter(tenants::id.eq_any(&wanted))
            .select((tenants::id, tenants::service_id, tenants::classification_id))
            .load::<(i64, i64, i64)>(conn)?
            .into_iter()
            .map(|(t, service, class)| (t, (service, class)))
            .collect();
        for tenant in &marks.tenants {
            let reached = found.get(&tenant.0).is_some_and(|&(service, class)| {
                service == current.service_id.0
                    && current.reaches_tenant(*tenant, ClassificationId(class))
            });
            if !reached {
                return Err(DomainError::invalid(
                    "tenant_ids",
                    format!("tenant {tenant} is not inside the incident's scope"),
                )
                .into());
            }
        }
        let changed: Vec<TenantId> = marks
            .tenants
            .iter()
            .copied()
            .filter(|t| {
                // Marked again in the same state without an instant: it keeps its own.
                match current.tenant_marks.get(t) {
                    None => mark.state != TenantState::Affected,
                    Some(before) if before.state == mark.state => {
                        marks.at.is_some() && before.at != mark.at
                    }
                    Some(_) => true,
                }
            })
            .collect();
        if changed.is_empty() {
            return Ok((changed, find(conn, id)?));
        }
        let ids: Vec<i64> = changed.iter().map(|t| t.0).collect();
        diesel::delete(
            incident_tenant_states::table
                .filter(incident_tenant_states::incident_id.eq(id.0))
                .filter(incident_tenant_states::tenant_id.eq_any(&ids)),
        )
        .execute(conn)?;
        if mark.state != TenantState::Affected {
            // One row per insert: batch inserts do not compile through the MultiConnection.
            for tenant in &ids {
                diesel::insert_into(incident_tenant_states::table)
                    .values((
                        incident_tenant_states::incident_id.eq(id.0),
                        incident_tenant_states::tenant_id.eq(*tenant),
                        incident_tenant_states::state.eq(mark.state.as_str()),
                        incident_tenant_states::effective_at.eq(stored(mark.at)),
                    ))
                    .execute(conn)?;
            }
        }
        bump(conn, id.0, current.version)?;
        Ok((changed, find(conn, id)?))
    })
}

/// Appends a timeline entry, moving the status when asked (checked by the lifecycle rules).
pub fn add_update(
    conn: &mut DbConnection,
    names: &NameGuard,
    id: IncidentId,
    new: &NewUpdate,
) -> RepoResult<(Record<Incident>, IncidentUpdate)> {
    transaction(conn, |conn| {
        let current = find(conn, id)?.item;
        let now = now();
        let (status, resolved_at) = current.after_update(new.status, new.reopen, utc(now))?;
        names.check(conn, &[("message", Some(new.message.as_str()))])?;
        let reopened = !current.status.is_active() && status.is_active();
        diesel::update(incidents::table.find(id.0))
            .set((
                incidents::status.eq(status.as_str()),
                incidents::resolved_at.eq(resolved_at.map(stored)),
            ))
            .execute(conn)?;
        if reopened {
            diesel::update(incidents::table.find(id.0))
                .set(incidents::reopened.eq(true))
                .execute(conn)?;
        }
        if let Some(impact) = new.impact {
            let open = current.status.is_active() || status.is_active();
            record_impact(conn, id.0, current.impact_change(impact, open, utc(now)))?;
        }
        insert_update(conn, id.0, status, &new.message, new.author, now)?;
        bump(conn, id.0, current.version)?;
        let update = timeline(conn, id)?.pop().ok_or(RepoError::NotFound)?;
        Ok((find(conn, id)?, update))
    })
}
