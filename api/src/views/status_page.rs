//! The status page rendered from views: HTML (maud) for one caller, its offerings' 90-day bars,
//! active events and links that carry the feed token.

use domain::availability::Weights;
use domain::{AccountScope, Caller, IncidentId, OfferingId};
use maud::{html, Markup, DOCTYPE};
use persistence::model::Reads;
use persistence::PageRequest;
use time::{Duration, OffsetDateTime, Time};

use crate::http::db::Db;
use crate::http::error::ApiError;
use crate::http::extract::ListWindow;
use crate::http::wire::{Level, MaintenanceStatus, OfferingStatus};
use crate::views::availability::{OfferingAvailabilityResponse, OfferingBucket};
use crate::views::events::{minute, Include};
use crate::views::incidents::{incident_meta, IncidentListParams, IncidentResponse};
use crate::views::maintenances::{window_meta, MaintenanceListParams, MaintenanceResponse};
use crate::views::status::{FullStatusResponse, OfferingStatusResponse};

/// Days of history the bars show (today's partial day last).
pub const DAYS: i64 = 90;
/// How far ahead the page lists maintenance, in days (the horizon it states; the default `days`
/// of `GET /api/v1/status`, whose rule it shares: running windows and those starting before the
/// horizon).
pub const UPCOMING_DAYS: i64 = 14;
/// How many of an event's tenants the page names (its own page names them all).
const SHOWN_TENANTS: usize = 25;
/// The most events the page reads (per kind).
const EVENT_LIMIT: i64 = 1000;
/// Where the stylesheet is served (versioned by its content, so it may be cached for good).
/// The stylesheet every page links (served by the status page route).
pub const STYLESHEET: &str = include_str!("status_page.css");
/// Where the stylesheet is served.
pub const STYLESHEET_PATH: &str = "/status-page/style.css";

/// What the page shows, read from the read model for one caller.
pub(crate) struct PageData {
    account: String,
    now: OffsetDateTime,
    overview: FullStatusResponse,
    availability: Vec<OfferingAvailabilityResponse>,
    /// The caller's incidents of the last 90 days, with the latest update of each open one.
    incidents: Vec<(IncidentResponse, Option<domain::IncidentUpdate>)>,
    /// The caller's windows over the bars' days (the last 90 days, today included).
    windows: Vec<MaintenanceResponse>,
    /// The caller's open windows running now or starting within [`UPCOMING_DAYS`], soonest first.
    upcoming: Vec<MaintenanceResponse>,
    /// The feed token the page was opened with, for the feed links.
    token: Option<String>,
}

pub(crate) async fn load(
    db: &Db,
    caller: Caller,
    weights: Weights,
    token: Option<String>,
) -> Result<PageData, ApiError> {
    let now = OffsetDateTime::now_utc();
    let tomorrow = now.replace_time(Time::MIDNIGHT) + Duration::days(1);
    let first_day = tomorrow - Duration::days(DAYS);
    let viewer = caller.clone();
    let (account, overview, incidents, windows, upcoming) = db
        .read(move |model| {
            let account = model
                .account(AccountScope::All, viewer.account_id)?
                .item
                .name
                .to_string();
            let overview = crate::views::status::overview(model, &viewer, UPCOMING_DAYS)?;
            let incidents = crate::views::incidents::list(
                model,
                &viewer,
                &IncidentListParams {
                    include: Some(Include::ImpactedTenants),
                    ..IncidentListParams::default()
                },
                ListWindow {
                    from: Some(first_day),
                    to: None,
                },
                PageRequest::first(EVENT_LIMIT),
            )?
            .items
            .into_iter()
            .map(|incident| {
                let latest = match incident.resolved_at {
                    Some(_) => None,
                    None => model.timeline(IncidentId(incident.id))?.pop(),
                };
                Ok((incident, latest))
            })
            .collect::<persistence::RepoResult<Vec<_>>>()?;
            let windows = crate::views::maintenances::list(
                model,
                &viewer,
                &MaintenanceListParams {
                    include: Some(Include::ImpactedTenants),
                    ..MaintenanceListParams::default()
                },
                ListWindow {
                    from: Some(first_day),
                    to: Some(tomorrow),
                },
                PageRequest::first(EVENT_LIMIT),
            )?
            .items;
            let upcoming = upcoming(model, &viewer, &overview, now)?;
            Ok((account, overview, incidents, windows, upcoming))
        })
        .await?;
    let ids = overview
        .offerings
        .iter()
        .map(|o| OfferingId(o.offering_id))
        .collect();
    let availability = crate::views::availability::offerings_availability(
        db, caller, ids, first_day, true, weights,
    )
    .await?;
    Ok(PageData {
        account,
        now,
        overview,
        availability,
        incidents,
        windows,
        upcoming,
        token,
    })
}

/// The windows the overview lists as upcoming (running, or starting before the horizon; open,
/// on one of the caller's offerings), in full and soonest first: by actual start, else
/// scheduled start. Every one within the horizon is read, so none hides behind later ones.
fn upcoming(
    model: &mut &persistence::model::Model,
    caller: &Caller,
    overview: &FullStatusResponse,
    now: OffsetDateTime,
) -> persistence::RepoResult<Vec<MaintenanceResponse>> {
    let listed: std::collections::HashSet<i64> = overview
        .offerings
        .iter()
        .flat_map(|o| o.upcoming_maintenance.iter().map(|m| m.id))
        .collect();
    let params = MaintenanceListParams {
        include: Some(Include::ImpactedTenants),
        ..MaintenanceListParams::default()
    };
    let window = ListWindow {
        from: Some(now),
        to: Some(now + Duration::days(UPCOMING_DAYS)),
    };
    let mut windows: Vec<MaintenanceResponse> = persistence::repo::all_rows(|page| {
        crate::views::maintenances::list(model, caller, &params, window, page)
    })?
    .into_iter()
    .filter(|m| listed.contains(&m.id))
    .collect();
    windows.sort_by_key(|m| (m.actual_start.unwrap_or(m.scheduled_start), m.id));
    Ok(windows)
}

fn day(at: OffsetDateTime) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    at.format(format).unwrap_or_default()
}

fn percent(availability: Option<f64>) -> String {
    availability.map_or_else(|| "no data".to_owned(), |a| format!("{:.3} %", a * 100.0))
}

/// A feed URL, with the page's feed token when it was opened with one.
pub(crate) fn feed_link(path: &str, token: Option<&str>) -> String {
    match token {
        Some(token) => format!(
            "{path}?token={}",
            form_urlencoded::byte_serialize(token.as_bytes()).collect::<String>()
        ),
        None => path.to_owned(),
    }
}

/// The status page, with the page's feed token.
pub(crate) fn page_link(token: Option<&str>) -> String {
    feed_link("/status-page", token)
}

/// An event's own page, with the page's feed token.
pub(crate) fn event_link(kind: &str, id: i64, token: Option<&str>) -> String {
    feed_link(&format!("/status-page/{kind}/{id}"), token)
}

pub(crate) fn layout(title: &str, token: Option<&str>, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="color-scheme" content="light dark";
                title { (title) }
                link rel="stylesheet" href=(STYLESHEET_PATH);
                @if let Some(token) = token {
                    link rel="alternate" type="application/atom+xml" title="Incidents"
                        href=(feed_link("/api/v1/incidents.atom", Some(token)));
                }
            }
            body { (body) }
        }
    }
}

pub(crate) fn render(data: &PageData) -> Markup {
    let token = data.token.as_deref();
    let open: Vec<&(IncidentResponse, Option<domain::IncidentUpdate>)> = data
        .incidents
        .iter()
        .filter(|(i, _)| i.resolved_at.is_none())
        .collect();
    // Published reports, newest first.
    let mut reports: Vec<(&IncidentResponse, OffsetDateTime)> = data
        .incidents
        .iter()
        .filter_map(|(i, _)| Some((i, i.report.as_ref()?.published_at?)))
        .collect();
    reports.sort_by_key(|(_, published)| std::cmp::Reverse(*published));
    layout(
        &format!("Service status — {}", data.account),
        token,
        html! {
            header {
                h1 { "Service status" }
                p.meta { "For " strong { (data.account) } " · as of " (minute(data.now)) }
            }
            main {
                section aria-labelledby="offerings-title" {
                    h2 #offerings-title { "Your offerings" }
                    @if data.overview.offerings.is_empty() {
                        p { "You have no offerings." }
                    }
                    @for (offering, availability) in data.overview.offerings.iter().zip(&data.availability) {
                        (offering_card(data, offering, availability))
                    }
                    ul.legend aria-label="What the bars mean" {
                        li.ok { "SLA target met" }
                        li.maint { "planned maintenance only (SLA target met)" }
                        li.minor { "below target (≥ 99 %)" }
                        li.major { "significant downtime (≥ 95 %)" }
                        li.down { "long outage" }
                        li { "no data" }
                    }
                }
                section aria-labelledby="incidents-title" {
                    h2 #incidents-title { "Active incidents" }
                    @if open.is_empty() {
                        p { "No active incidents." }
                    }
                    @for (incident, latest) in &open {
                        article.event.incident data-incident-id=(incident.id) {
                            h3 { a href=(event_link("incidents", incident.id, token)) { (incident.title) } }
                            p.meta {
                                (incident_meta(incident))
                            }
                            @if let Some(update) = latest {
                                p { strong { "Latest update" } " (" (minute(update.created_at)) "): " (update.message.as_str()) }
                            }
                            (tenant_list("Your impacted tenants", incident.impacted_tenants.as_deref(), Some(&event_link("incidents", incident.id, token))))
                        }
                    }
                }
                section aria-labelledby="maintenance-title" {
                    h2 #maintenance-title { "Upcoming maintenance" }
                    p.muted.horizon { "Running now or starting in the next " (UPCOMING_DAYS) " days, soonest first." }
                    @if data.upcoming.is_empty() {
                        p { "No maintenance planned." }
                    }
                    @for window in &data.upcoming {
                        article.event.maintenance data-maintenance-id=(window.id) {
                            h3 { a href=(event_link("maintenances", window.id, token)) { (window.title) } }
                            p.meta {
                                (window_meta(window))
                            }
                            p { "Impacted: " (window.impacted_label) }
                            (tenant_list("Your tenants that may be impacted", window.impacted_tenants.as_deref(), Some(&event_link("maintenances", window.id, token))))
                        }
                    }
                }
                @if !reports.is_empty() {
                    section aria-labelledby="reports-title" {
                        h2 #reports-title { "Post-incident reports" }
                        @for (incident, published) in &reports {
                            article.event.report data-incident-id=(incident.id) {
                                h3 { a href=(event_link("incidents", incident.id, token)) { (incident.title) } }
                                p.meta { "Published " (minute(*published)) " · " (incident_meta(incident)) }
                            }
                        }
                    }
                }
            }
            footer {
                h2 { "Follow along" }
                ul {
                    li { a href=(feed_link("/api/v1/maintenances.ics", token)) { "Maintenance calendar (iCalendar)" } }
                    li { a href=(feed_link("/api/v1/incidents.atom", token)) { "Incident feed (Atom)" } }
                }
                @if token.is_none() {
                    p.muted { "Opened with a bearer token: calendar apps and feed readers need a feed token (POST /api/v1/feed-tokens)." }
                }
            }
        },
    )
}

/// The caller's tenants an event touches, as plain comma-separated names. A partner's list
/// can run to hundreds: the page then names the first [`SHOWN_TENANTS`] and links the event's
/// own page, which names them all (the page stays small enough to serve fast).
pub(crate) fn tenant_list(
    label: &str,
    tenants: Option<&[crate::views::events::TenantRef]>,
    all_at: Option<&str>,
) -> Markup {
    let tenants = tenants.unwrap_or_default();
    let shown = match all_at {
        Some(_) => tenants.len().min(SHOWN_TENANTS),
        None => tenants.len(),
    };
    let names = tenants[..shown]
        .iter()
        .map(crate::views::events::TenantRef::described)
        .collect::<Vec<_>>()
        .join(", ");
    html! {
        p.tenants {
            (label) " (" (tenants.len()) "): " span.names { (names) }
            @if shown < tenants.len() {
                @if let Some(href) = all_at {
                    " … " a href=(href) { "all " (tenants.len()) }
                }
            }
        }
    }
}

fn offering_card(
    data: &PageData,
    offering: &OfferingStatusResponse,
    availability: &OfferingAvailabilityResponse,
) -> Markup {
    let (status, _) = crate::views::status_page::status_look(offering.status);
    let status_class = format!(
        "status status-{}",
        crate::http::wire::serde_plain(&offering.status)
    );
    let title_id = format!("offering-{}", offering.offering_id);
    html! {
        article.offering data-offering-id=(offering.offering_id) aria-labelledby=(title_id) {
            div.offering-head {
                h3 #(title_id) { (offering.name) }
                p class=(status_class) { (status) }
            }
            p.meta {
                (headline(availability))
            }
            ol.days aria-label=(format!("Availability of {} per day, oldest first", offering.name)) {
                @for bucket in &availability.buckets {
                    (day_bar(data, offering.offering_id, bucket, availability.sla_target))
                }
            }
            p.range.muted aria-hidden="true" {
                span { (DAYS) " days ago" } span { "today" }
            }
        }
    }
}

/// An offering's figures over the page's days: the SLA figure (what the target is about) with
/// its verdict, and the figure with planned maintenance counted as down.
fn headline(report: &OfferingAvailabilityResponse) -> String {
    let level = Level::of(
        report.sla_availability,
        report.availability,
        report.sla_target,
    );
    let verdict = match level.met() {
        Some(true) => " (met)",
        Some(false) => " (missed)",
        None => "",
    };
    format!(
        "{} SLA availability over {DAYS} days · SLA target {} %{verdict} · {} including planned maintenance",
        percent(report.sla_availability),
        report.sla_target,
        percent(report.availability),
    )
}

/// One day's bar: its figure and its events in words, as its `title` — shown on hover, read by
/// screen readers (a list item's name comes from it), and shown on keyboard focus by the
/// stylesheet (`attr(title)`), so the words are written once.
fn day_bar(data: &PageData, offering: i64, bucket: &OfferingBucket, target: f64) -> Markup {
    let level = Level::of(bucket.sla_availability, bucket.availability, target);
    let (class, words) = (level.class(), level.words());
    let incidents: Vec<&str> = data
        .incidents
        .iter()
        .map(|(i, _)| i)
        .filter(|i| i.offerings.iter().any(|o| o.id == offering))
        .filter(|i| i.started_at < bucket.to && i.resolved_at.unwrap_or(data.now) > bucket.from)
        .map(|i| i.title.as_str())
        .collect();
    let windows: Vec<&str> = data
        .windows
        .iter()
        .filter(|m| m.status != MaintenanceStatus::Cancelled)
        .filter(|m| m.offerings.iter().any(|o| o.id == offering))
        .filter(|m| {
            m.actual_start.unwrap_or(m.scheduled_start) < bucket.to
                && m.actual_end.unwrap_or(m.scheduled_end) > bucket.from
        })
        .map(|m| m.title.as_str())
        .collect();
    let mut text = match (bucket.sla_availability, bucket.availability) {
        (Some(_), Some(_)) => format!(
            "{}: {} SLA availability ({} including planned maintenance), {words}",
            day(bucket.from),
            percent(bucket.sla_availability),
            percent(bucket.availability)
        ),
        _ => format!("{}: {words}", day(bucket.from)),
    };
    if !incidents.is_empty() {
        text.push_str(&format!(". Incidents: {}", incidents.join("; ")));
    }
    if !windows.is_empty() {
        text.push_str(&format!(". Maintenance: {}", windows.join("; ")));
    }
    html! {
        li class=(format!("day {class}")) title=(text) tabindex="0" {}
    }
}

const GREEN: &str = "#2e7d32";
const YELLOW: &str = "#9a6700";
const ORANGE: &str = "#c2410c";
const RED: &str = "#b91c1c";
const BLUE: &str = "#1d4ed8";
const GREY: &str = "#555555";

/// How an offering status reads and its colour (badges and the page).
pub(crate) fn status_look(status: OfferingStatus) -> (&'static str, &'static str) {
    match status {
        OfferingStatus::Operational => ("operational", GREEN),
        OfferingStatus::UnderMaintenance => ("under maintenance", BLUE),
        OfferingStatus::Degraded => ("degraded", YELLOW),
        OfferingStatus::PartialOutage => ("partial outage", ORANGE),
        OfferingStatus::MajorOutage => ("major outage", RED),
    }
}

/// A verdict's colour on a badge.
pub(crate) fn level_colour(level: Level) -> &'static str {
    match level {
        Level::NoData => GREY,
        // A badge tells met or not: planned maintenance alone meets the target.
        Level::NoDowntime | Level::Met | Level::Maintenance => GREEN,
        Level::Minor => YELLOW,
        Level::Major => ORANGE,
        Level::Down => RED,
    }
}

/// A span of time in words: "2 d 3 h 5 min", "45 min", "0 min" (whole minutes, rounded down).
pub(crate) fn span_words(span: Duration) -> String {
    let minutes = span.whole_minutes().max(0);
    let (days, hours, minutes) = (minutes / 1440, minutes / 60 % 24, minutes % 60);
    let parts: Vec<String> = [(days, "d"), (hours, "h"), (minutes, "min")]
        .into_iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, unit)| format!("{n} {unit}"))
        .collect();
    if parts.is_empty() {
        "0 min".to_owned()
    } else {
        parts.join(" ")
    }
}

/// Multi-line text as paragraphs.
fn paragraphs(text: &str) -> Markup {
    html! {
        @for line in text.lines().filter(|l| !l.trim().is_empty()) { p { (line) } }
    }
}

/// A time as the page shows it, machine-readable too.
fn time_tag(at: OffsetDateTime) -> Markup {
    let rfc3339 = at
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    html! { time datetime=(rfc3339) { (minute(at)) } }
}

/// The head of an event's own page: back to the status page, its title and meta line.
fn event_header(title: &str, meta: &str, token: Option<&str>) -> Markup {
    html! {
        header {
            p { a href=(page_link(token)) { "← Service status" } }
            h1 { (title) }
            p.meta { (meta) }
        }
    }
}

/// An incident's own page: its service, when it started and ended and how long it has run,
/// all of the caller's tenants it touches, its whole timeline (newest update first, each with
/// its status and time) and its post-incident report once published — never a draft, even
/// for the provider admins who may read one through the API.
pub(crate) fn incident_page(
    incident: &IncidentResponse,
    service: &str,
    now: OffsetDateTime,
    token: Option<&str>,
) -> Markup {
    let updates = incident.updates.as_deref().unwrap_or_default();
    let report = incident
        .report
        .as_ref()
        .and_then(|r| Some((r, r.published_at?)));
    layout(
        &incident.title,
        token,
        html! {
            (event_header(&incident.title, &incident_meta(incident), token))
            main {
                dl.facts {
                    dt { "Service" } dd.service { (service) }
                    dt { "Started" } dd { (time_tag(incident.started_at)) }
                    @match incident.resolved_at {
                        Some(resolved) => {
                            dt { "Resolved" } dd { (time_tag(resolved)) }
                            dt { "Duration" } dd.duration { (span_words(resolved - incident.started_at)) }
                        }
                        None => {
                            dt { "Resolved" } dd { "not yet" }
                            dt { "Duration" } dd.duration { (span_words(now - incident.started_at)) " so far" }
                        }
                    }
                }
                (tenant_list("Your impacted tenants", incident.impacted_tenants.as_deref(), None))
                section aria-labelledby="timeline-title" {
                    h2 #timeline-title { "Updates" }
                    p.muted { "Newest first." }
                    ol.timeline reversed {
                        @for update in updates.iter().rev() {
                            li.update data-update-id=(update.id) {
                                p.meta {
                                    strong.update-status { (crate::http::wire::in_words(&update.status)) }
                                    " · " (time_tag(update.created_at))
                                }
                                div.message { (paragraphs(&update.message)) }
                            }
                        }
                    }
                }
                @if let Some((report, published)) = report {
                    section.report aria-labelledby="report-title" {
                        h2 #report-title { "Post-incident report" }
                        p.meta { "Published " (time_tag(published)) }
                        h3 { "Summary" }
                        (paragraphs(&report.summary))
                        h3 { "Root cause" }
                        (paragraphs(&report.root_cause))
                        h3 { "Remediation" }
                        (paragraphs(&report.remediation))
                    }
                }
            }
        },
    )
}

/// A maintenance window's own page: its service, window, what is done and why (its
/// description), and all of the caller's tenants it may impact.
pub(crate) fn maintenance_page(
    window: &MaintenanceResponse,
    service: &str,
    token: Option<&str>,
) -> Markup {
    let meta = format!("{} · {}", window_meta(window), window.impacted_label);
    layout(
        &window.title,
        token,
        html! {
            (event_header(&window.title, &meta, token))
            main {
                dl.facts {
                    dt { "Service" } dd.service { (service) }
                    @if let Some(start) = window.actual_start {
                        dt { "Started" } dd { (time_tag(start)) }
                    }
                    @if let Some(end) = window.actual_end {
                        dt { "Ended" } dd { (time_tag(end)) }
                    }
                }
                section.description aria-labelledby="description-title" {
                    h2 #description-title { "What is planned" }
                    (paragraphs(&window.description))
                }
                (tenant_list("Your tenants that may be impacted", window.impacted_tenants.as_deref(), None))
            }
        },
    )
}

/// The unsubscribe link's page: which address stops getting status emails, and a button that
/// confirms (a link prefetched by a mail client unsubscribes nobody). In the status page's
/// layout and stylesheet.
pub(crate) fn unsubscribe_confirmation(email: &str, key: &str) -> Markup {
    unsubscribe_layout(
        "Unsubscribe",
        html! {
            p { "Stop the status emails to " strong { (email) } "?" }
            (link_button("/unsubscribe", key, "Unsubscribe"))
        },
    )
}

/// The button a link's page confirms with: a POST to `path` with the link's `key`.
fn link_button(path: &str, key: &str, label: &str) -> Markup {
    let action = format!(
        "{path}?key={}",
        form_urlencoded::byte_serialize(key.as_bytes()).collect::<String>()
    );
    html! {
        form method="post" action=(action) {
            button.button type="submit" { (label) }
        }
    }
}

/// The page of a confirmation message's link: which account asks to mail which address, and
/// a button that confirms (a prefetched link confirms nothing).
pub(crate) fn subscription_confirmation(account: &str, email: &str, key: &str) -> Markup {
    unsubscribe_layout(
        "Confirm status emails",
        html! {
            p { "Send " (account) "'s status emails to " strong { (email) } "?" }
            (link_button("/confirm-subscription", key, "Confirm"))
        },
    )
}

/// The confirmation page of a link that is not one of ours, or whose subscription ended.
pub(crate) fn confirmation_unknown() -> Markup {
    unsubscribe_layout(
        "Nothing to confirm",
        html! { p { "This link is not one of ours, or its subscription has ended." } },
    )
}

/// The page after confirming.
pub(crate) fn confirmed() -> Markup {
    unsubscribe_layout(
        "Confirmed",
        html! { p { "Status emails will be sent to this address. Every message carries a link to stop them." } },
    )
}

/// The unsubscribe page of a link used already, or not one of ours.
pub(crate) fn unsubscribe_unknown() -> Markup {
    unsubscribe_layout(
        "Nothing to unsubscribe",
        html! { p { "This link was used already, or is not one of ours." } },
    )
}

/// The page after unsubscribing.
pub(crate) fn unsubscribed() -> Markup {
    unsubscribe_layout(
        "Unsubscribed",
        html! { p { "No more status emails will be sent for this subscription." } },
    )
}

fn unsubscribe_layout(heading: &str, body: Markup) -> Markup {
    layout(
        heading,
        None,
        html! {
            header {
                p.meta { "Status emails" }
                h1 { (heading) }
            }
            main { div.event { (body) } }
        },
    )
}
