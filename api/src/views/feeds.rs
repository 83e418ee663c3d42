//! Feeds rendered from views: the maintenance calendar (iCalendar), the incident feed (Atom)
//! and offering badges (SVG).

use serde::Deserialize;
use time::OffsetDateTime;
use utoipa::ToSchema;

use crate::http::wire::{in_words, serde_plain, MaintenanceStatus};
use crate::views::events::{OfferingRef, TenantRef};
use crate::views::incidents::IncidentResponse;
use crate::views::maintenances::MaintenanceResponse;

pub(crate) fn chrono_utc(at: OffsetDateTime) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp(at.unix_timestamp(), at.nanosecond()).unwrap_or_default()
}

/// `names` joined with commas, or `none` when there are none.
fn listed<'a>(names: impl Iterator<Item = &'a str>, none: &str) -> String {
    let names: Vec<&str> = names.collect();
    if names.is_empty() {
        none.to_owned()
    } else {
        names.join(", ")
    }
}

/// The caller's offerings an event shows on.
fn offering_names(offerings: &[OfferingRef]) -> String {
    listed(offerings.iter().map(|o| o.name.as_str()), "none")
}

/// The caller's tenants an event affects.
fn tenant_names(tenants: Option<&[TenantRef]>) -> String {
    let names: Vec<String> = tenants
        .unwrap_or_default()
        .iter()
        .map(TenantRef::described)
        .collect();
    listed(names.iter().map(String::as_str), "none of yours")
}

/// One window as a calendar event.
pub(crate) fn maintenance_event(m: &MaintenanceResponse) -> icalendar::Event {
    use icalendar::{CalendarDateTime, Component, EventLike, EventStatus};
    let start = m.actual_start.unwrap_or(m.scheduled_start);
    let end = m.actual_end.unwrap_or(m.scheduled_end);
    let description = format!(
        "{}\n\nExpected impact: {}\nImpacted: {}\nYour tenants that may be impacted ({}): {}\nYour offerings: {}",
        m.description,
        serde_plain(&m.expected_impact),
        m.impacted_label,
        m.impacted_tenant_count,
        tenant_names(m.impacted_tenants.as_deref()),
        offering_names(&m.offerings),
    );
    let mut event = icalendar::Event::new();
    event
        .uid(&format!("maintenance-{}@slr", m.id))
        .sequence(u32::try_from(m.version).unwrap_or(u32::MAX))
        .summary(&format!("{} ({})", m.title, m.impacted_label))
        .description(&description)
        .starts(CalendarDateTime::Utc(chrono_utc(start)))
        .ends(CalendarDateTime::Utc(chrono_utc(end)))
        .timestamp(chrono_utc(m.updated_at))
        .last_modified(chrono_utc(m.updated_at))
        .created(chrono_utc(m.created_at))
        .status(match m.status {
            MaintenanceStatus::Cancelled => EventStatus::Cancelled,
            _ => EventStatus::Confirmed,
        });
    event
}

/// One incident as an Atom entry.
pub(crate) fn incident_entry(
    incident: &IncidentResponse,
    timeline: &[domain::IncidentUpdate],
    token: Option<&str>,
) -> atom_syndication::Entry {
    let latest = timeline.last();
    let updated = latest
        .map(|u| u.created_at)
        .unwrap_or(incident.updated_at)
        .max(incident.updated_at);
    let mut content = format!(
        "Status: {}. Impact: {}.\nYour impacted tenants ({}, {} still affected): {}\nYour offerings: {}\n",
        in_words(&incident.status),
        in_words(&incident.impact),
        incident.impacted_tenant_count,
        incident.affected_tenant_count,
        tenant_names(incident.impacted_tenants.as_deref()),
        offering_names(&incident.offerings),
    );
    if let Some(report) = incident
        .report
        .as_ref()
        .filter(|r| r.published_at.is_some())
    {
        content.push_str(&format!(
            "\nPost-incident report\nSummary: {}\nRoot cause: {}\nRemediation: {}\n",
            report.summary, report.root_cause, report.remediation
        ));
    }
    for update in timeline.iter().rev() {
        content.push_str(&format!(
            "\n{} [{}] {}",
            update
                .created_at
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default(),
            update.status.as_str(),
            update.message
        ));
    }
    let mut entry = atom_syndication::Entry::default();
    entry.set_id(format!("urn:slr:incident:{}", incident.id));
    entry.set_title(format!(
        "{} ({}, {})",
        incident.title,
        in_words(&incident.impact),
        in_words(&incident.status)
    ));
    entry.set_updated(chrono_utc(updated));
    entry.set_published(Some(chrono_utc(incident.started_at).into()));
    entry.set_summary(latest.map(|u| atom_syndication::Text::plain(u.message.to_string())));
    let mut body = atom_syndication::Content::default();
    body.set_content_type(Some("text".to_owned()));
    body.set_value(Some(content));
    entry.set_content(Some(body));
    // First the page a reader opens, then the JSON an integration reads.
    entry.set_links(vec![
        link(
            crate::views::status_page::event_link("incidents", incident.id, token),
            "alternate",
            "text/html",
        ),
        link(
            format!("/api/v1/incidents/{}", incident.id),
            "alternate",
            "application/json",
        ),
    ]);
    entry
}

pub(crate) fn link(href: String, rel: &str, mime_type: &str) -> atom_syndication::Link {
    let mut link = atom_syndication::Link::default();
    link.set_href(href);
    link.set_rel(rel);
    link.set_mime_type(Some(mime_type.to_owned()));
    link
}

/// What a badge shows.
#[derive(Debug, Clone, Copy, Default, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum BadgeKind {
    /// The offering's current status.
    #[default]
    Status,
    /// The offering's availability over `window`.
    Availability,
}

/// Escapes text for SVG/XML content and attributes.
pub fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

/// A flat two-part badge: `label` on grey, `value` on `colour`. Widths are estimated from the
/// character count (Verdana 11 px averages about 7 px a character).
pub(crate) fn badge(label: &str, value: &str, colour: &str) -> String {
    let width = |text: &str| 10 + 7 * i64::try_from(text.chars().count()).unwrap_or(0);
    let (left, right) = (width(label), width(value));
    let total = left + right;
    let (label, value) = (xml_escape(label), xml_escape(value));
    format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{total}" height="20" role="img" aria-label="{label}: {value}"><title>{label}: {value}</title><rect width="{left}" height="20" fill="#555"/><rect x="{left}" width="{right}" height="20" fill="{colour}"/><g fill="#fff" text-anchor="middle" font-family="Verdana,DejaVu Sans,sans-serif" font-size="11"><text x="{lx}" y="14">{label}</text><text x="{rx}" y="14">{value}</text></g></svg>"##,
        lx = left / 2,
        rx = left + right / 2,
    )
}
