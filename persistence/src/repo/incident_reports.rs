//! Post-incident reports: one per resolved incident, a draft until published. Saving a published
//! one moves its incident's version, since the incident shows it; a draft moves nothing a caller
//! outside the provider can observe.

use std::collections::HashMap;

use diesel::prelude::*;
use domain::{ContactId, DomainError, IncidentId, IncidentReport, IncidentStatus, ReportText};
use time::PrimitiveDateTime;

use super::{now, stored, transaction, utc};
use crate::connection::DbConnection;
use crate::events::NameGuard;
use crate::schema::{incident_reports, incidents};
use crate::{RepoError, RepoResult};

/// A report as written: its sections, and whether to publish it now.
#[derive(Debug, Clone)]
pub struct NewReport {
    pub summary: ReportText,
    pub root_cause: ReportText,
    pub remediation: ReportText,
    pub publish: bool,
    pub author: ContactId,
}

type Row = (
    i64,
    String,
    String,
    String,
    Option<PrimitiveDateTime>,
    Option<i64>,
    PrimitiveDateTime,
    PrimitiveDateTime,
);

fn from_row(row: Row) -> RepoResult<(IncidentId, IncidentReport)> {
    let (id, summary, root_cause, remediation, published_at, author, created_at, updated_at) = row;
    let corrupt = |e: DomainError| RepoError::Corrupt(e.to_string());
    Ok((
        IncidentId(id),
        IncidentReport {
            summary: ReportText::parse("summary", &summary).map_err(corrupt)?,
            root_cause: ReportText::parse("root_cause", &root_cause).map_err(corrupt)?,
            remediation: ReportText::parse("remediation", &remediation).map_err(corrupt)?,
            published_at: published_at.map(utc),
            author: author.map(ContactId),
            created_at: utc(created_at),
            updated_at: utc(updated_at),
        },
    ))
}

/// The reports of `ids`, or of every incident.
pub fn reports(
    conn: &mut DbConnection,
    ids: Option<&[i64]>,
) -> RepoResult<HashMap<IncidentId, IncidentReport>> {
    let mut query = incident_reports::table
        .select((
            incident_reports::incident_id,
            incident_reports::summary,
            incident_reports::root_cause,
            incident_reports::remediation,
            incident_reports::published_at,
            incident_reports::author_contact_id,
            incident_reports::created_at,
            incident_reports::updated_at,
        ))
        .into_boxed();
    if let Some(ids) = ids {
        query = query.filter(incident_reports::incident_id.eq_any(ids.to_vec()));
    }
    let rows: Vec<Row> = query.load(conn)?;
    rows.into_iter().map(from_row).collect()
}

/// The report of incident `id`, draft or not.
pub fn report(conn: &mut DbConnection, id: IncidentId) -> RepoResult<Option<IncidentReport>> {
    Ok(reports(conn, Some(&[id.0]))?.remove(&id))
}

/// Writes the report of a resolved incident (its text checked for names like all event text)
/// and, when it is published, moves the incident's version; returns the report before and after. A published report
/// stays published.
pub fn save(
    conn: &mut DbConnection,
    names: &NameGuard,
    id: IncidentId,
    new: &NewReport,
) -> RepoResult<(Option<IncidentReport>, IncidentReport)> {
    transaction(conn, |conn| {
        let status: String = incidents::table
            .find(id.0)
            .select(incidents::status)
            .first(conn)
            .optional()?
            .ok_or(RepoError::NotFound)?;
        if status != IncidentStatus::Resolved.as_str() {
            return Err(DomainError::invalid(
                "incident",
                "only a resolved incident takes a post-incident report: resolve it first",
            )
            .into());
        }
        let before = report(conn, id)?;
        if !new.publish && before.as_ref().is_some_and(|r| r.published_at.is_some()) {
            return Err(DomainError::invalid(
                "publish",
                "the report is published and stays published; send publish: true to change it",
            )
            .into());
        }
        names.check(
            conn,
            &[
                ("summary", Some(new.summary.as_str())),
                ("root_cause", Some(new.root_cause.as_str())),
                ("remediation", Some(new.remediation.as_str())),
            ],
        )?;
        let now = now();
        let published_at = match before.as_ref().and_then(|r| r.published_at) {
            Some(at) => Some(stored(at)),
            None => new.publish.then_some(now),
        };
        let values = (
            incident_reports::summary.eq(new.summary.as_str()),
            incident_reports::root_cause.eq(new.root_cause.as_str()),
            incident_reports::remediation.eq(new.remediation.as_str()),
            incident_reports::published_at.eq(published_at),
            incident_reports::author_contact_id.eq(new.author.0),
            incident_reports::updated_at.eq(now),
        );
        if before.is_some() {
            diesel::update(incident_reports::table.find(id.0))
                .set(values)
                .execute(conn)?;
        } else {
            diesel::insert_into(incident_reports::table)
                .values((
                    incident_reports::incident_id.eq(id.0),
                    values,
                    incident_reports::created_at.eq(now),
                ))
                .execute(conn)?;
        }
        // A draft is invisible outside the provider, its existence included: only a published
        // report (publishing it, or editing it once published) moves the incident's version,
        // `updated_at` (the ETag, the Atom entry) and so its entry in the change feed.
        if published_at.is_some() {
            diesel::update(incidents::table.find(id.0))
                .set((
                    incidents::version.eq(incidents::version + 1),
                    incidents::updated_at.eq(now),
                ))
                .execute(conn)?;
        }
        let after = report(conn, id)?.ok_or(RepoError::NotFound)?;
        Ok((before, after))
    })
}
