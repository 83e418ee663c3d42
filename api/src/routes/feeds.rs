//! Feed handlers for clients that cannot send an Authorization header — calendars, feed readers,
//! status pages embedding a badge. Every feed is the caller's JSON list rendered another way:
//! the same scope, the same filters, served from the read model and the answer cache.

use actix_web::http::header;
use actix_web::{get, web, HttpRequest, HttpResponse};
use domain::{IncidentId, OfferingId};
use persistence::model::Reads;
use persistence::PageRequest;
use serde::Deserialize;
use time::{Duration, OffsetDateTime};
use utoipa::IntoParams;

use crate::http::auth::feed_token::{query_token, FeedTokenParam};
use crate::http::auth::Authenticated;
use crate::http::error::{ApiError, ReadProblems};
use crate::http::extract::{ListWindow, QueryParams};
use crate::http::state::AppState;
use crate::http::wire::Level;
use crate::views::events::Include;
use crate::views::feeds::{badge, chrono_utc, incident_entry, link, maintenance_event, BadgeKind};
use crate::views::incidents::IncidentListParams;
use crate::views::maintenances::MaintenanceListParams;
use crate::views::status_page::{level_colour, status_look};

/// Feeds cover events from this many days back (unless `from` says otherwise).
const FEED_DAYS: i64 = 90;
/// The most entries a feed lists.
const FEED_LIMIT: i64 = 1000;

/// A feed answer: its media type, and for how long clients may reuse it without asking.
fn feed_answer(content_type: &'static str, body: String) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((header::CACHE_CONTROL, "private, max-age=60"))
        .body(body)
}

/// A feed's list window (`from` defaults to 90 days ago; checked like the JSON list's) and
/// what its list embeds (every event's impacted tenants).
fn feed_window(window: ListWindow) -> ListWindow {
    let from = window
        .from
        .unwrap_or_else(|| OffsetDateTime::now_utc() - Duration::days(FEED_DAYS));
    ListWindow {
        from: Some(from),
        ..window
    }
}

/// The maintenance calendar: one event per window the caller may see (the last 90 days and
/// everything ahead, unless `from`/`to` say otherwise), with the same filters as
/// `GET /api/v1/maintenances`. Each event keeps its `UID`; `SEQUENCE` is the window's version,
/// so calendar clients apply changes; cancelled windows stay, `STATUS:CANCELLED`. Times are UTC.
#[utoipa::path(
    tag = "feeds",
    params(MaintenanceListParams, ListWindow, FeedTokenParam),
    responses((status = 200, description = "An iCalendar (RFC 5545) calendar", body = String, content_type = "text/calendar"), (status = 422, description = "`from` or `to` outside the supported range, or `to` not after `from`", body = crate::http::error::Problem, content_type = "application/problem+json"), ReadProblems),
    security(("bearer" = []), ("feed_token" = []))
)]
#[get("/maintenances.ics")]
pub async fn get_maintenance_calendar(
    state: web::Data<AppState>,
    caller: Authenticated,
    params: QueryParams<MaintenanceListParams>,
    window: ListWindow,
) -> Result<HttpResponse, ApiError> {
    let db = &state.db;
    use icalendar::Calendar;
    let mut params = params.0;
    params.include = Some(Include::ImpactedTenants);
    let window = feed_window(window);
    let caller = caller.0;
    let windows = db
        .read(move |model| {
            crate::views::maintenances::list(
                model,
                &caller,
                &params,
                window,
                PageRequest::first(FEED_LIMIT),
            )
        })
        .await?;
    let mut calendar = Calendar::new();
    calendar
        .name("Maintenance")
        .description("Planned maintenance of your services (slr)");
    for m in &windows.items {
        calendar.push(maintenance_event(m).done());
    }
    let body = calendar.done().to_string();
    Ok(feed_answer("text/calendar; charset=utf-8", body))
}

/// The incident feed: one Atom entry per incident the caller may see (the last 90 days unless
/// `from`/`to` say otherwise, newest change first), with the same filters as
/// `GET /api/v1/incidents`; an entry is updated with every timeline update and names the
/// caller's impacted tenants.
#[utoipa::path(
    tag = "feeds",
    params(IncidentListParams, ListWindow, FeedTokenParam),
    responses((status = 200, description = "An Atom (RFC 4287) feed", body = String, content_type = "application/atom+xml"), (status = 422, description = "`from` or `to` outside the supported range, or `to` not after `from`", body = crate::http::error::Problem, content_type = "application/problem+json"), ReadProblems),
    security(("bearer" = []), ("feed_token" = []))
)]
#[get("/incidents.atom")]
pub async fn get_incident_feed(
    state: web::Data<AppState>,
    caller: Authenticated,
    req: HttpRequest,
    params: QueryParams<IncidentListParams>,
    window: ListWindow,
) -> Result<HttpResponse, ApiError> {
    let db = &state.db;
    // Links are relative (a reader resolves them against the feed's URL), so an answer never
    // carries a Host header it was asked with; they keep the feed token the feed was opened with.
    let token = query_token(&req);
    let mut params = params.0;
    params.include = Some(Include::ImpactedTenants);
    let window = feed_window(window);
    let caller = caller.0;
    let incidents = db
        .read(move |model| {
            let found = crate::views::incidents::list(
                model,
                &caller,
                &params,
                window,
                PageRequest::first(FEED_LIMIT),
            )?;
            found
                .items
                .into_iter()
                .map(|incident| {
                    let timeline = model.timeline(IncidentId(incident.id))?;
                    Ok((incident, timeline))
                })
                .collect::<persistence::RepoResult<Vec<_>>>()
        })
        .await?;
    let mut entries: Vec<atom_syndication::Entry> = incidents
        .iter()
        .map(|(incident, timeline)| incident_entry(incident, timeline, token.as_deref()))
        .collect();
    entries.sort_by(|a, b| b.updated().cmp(a.updated()).then(a.id().cmp(b.id())));
    let mut feed = atom_syndication::Feed::default();
    feed.set_title("Incidents");
    feed.set_id("urn:slr:incidents");
    feed.set_updated(entries.first().map_or_else(
        || chrono_utc(OffsetDateTime::UNIX_EPOCH).into(),
        |e| *e.updated(),
    ));
    let mut generator = atom_syndication::Generator::default();
    generator.set_value("slr");
    feed.set_generator(generator);
    let mut author = atom_syndication::Person::default();
    author.set_name("Service status");
    feed.set_authors(vec![author]);
    let this = match req.query_string() {
        "" => req.path().to_owned(),
        query => format!("{}?{query}", req.path()),
    };
    feed.set_links(vec![
        link(this, "self", "application/atom+xml"),
        link(
            crate::views::status_page::page_link(token.as_deref()),
            "alternate",
            "text/html",
        ),
    ]);
    feed.set_entries(entries);
    Ok(feed_answer(
        "application/atom+xml; charset=utf-8",
        feed.to_string(),
    ))
}

/// Badge options.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BadgeParams {
    /// `status` (default) or `availability`.
    pub kind: Option<BadgeKind>,
    /// For `availability`: the window ending now, `1d`–`365d` (default `30d`; checked for
    /// either kind).
    #[param(
        example = "30d",
        pattern = r"^\+?0*(36[0-5]|3[0-5][0-9]|[12][0-9]{2}|[1-9][0-9]?)d$"
    )]
    pub window: Option<String>,
    /// A feed token, instead of `Authorization: Bearer`.
    pub token: Option<String>,
}

/// A shields-style SVG badge for an offering the caller sees: its current status, or its
/// availability over a window, coloured and labelled in words (with an accessible `<title>`).
#[utoipa::path(
    tag = "feeds",
    params(("id" = i64, Path, description = "Offering id"), BadgeParams),
    responses((status = 200, description = "An SVG badge", body = String, content_type = "image/svg+xml"), ReadProblems),
    security(("bearer" = []), ("feed_token" = []))
)]
#[get("/offerings/{id}/badge.svg")]
pub async fn get_offering_badge(
    state: web::Data<AppState>,
    caller: Authenticated,
    id: web::Path<i64>,
    params: QueryParams<BadgeParams>,
) -> Result<HttpResponse, ApiError> {
    let db = &state.db;
    let weights = state.weights;
    let id = OfferingId(id.into_inner());
    let caller = caller.0;
    // Checked whatever the kind, so a `window` the spec refuses is refused here too.
    let days = window_days(params.0.window.as_deref())?;
    let (label, value, colour) = match params.0.kind.unwrap_or_default() {
        BadgeKind::Status => {
            let viewer = caller.clone();
            let overview = db
                .read(move |model| crate::views::status::overview(model, &viewer, 14))
                .await?;
            let offering = overview
                .offerings
                .into_iter()
                .find(|o| o.offering_id == id.0)
                .ok_or_else(ApiError::not_found)?;
            let (text, colour) = status_look(offering.status);
            (offering.name, text.to_owned(), colour)
        }
        BadgeKind::Availability => {
            let from = OffsetDateTime::now_utc() - Duration::days(days);
            let report = crate::views::availability::offerings_availability(
                db,
                caller,
                vec![id],
                from,
                false,
                weights,
            )
            .await?
            .pop()
            .ok_or_else(ApiError::not_found)?;
            // The verdict (colour) is the SLA figure's: planned maintenance does not count
            // against the target.
            let level = Level::of(
                report.sla_availability,
                report.availability,
                report.sla_target,
            );
            let value = match report.sla_availability {
                Some(sla) => format!("{:.3} % SLA ({days}d)", sla * 100.0),
                None => format!("no tenants ({days}d)"),
            };
            (report.offering_name, value, level_colour(level))
        }
    };
    Ok(feed_answer(
        "image/svg+xml; charset=utf-8",
        badge(&label, &value, colour),
    ))
}

fn window_days(raw: Option<&str>) -> Result<i64, ApiError> {
    let Some(raw) = raw else { return Ok(30) };
    raw.strip_suffix('d')
        .and_then(|n| n.parse::<i64>().ok())
        .filter(|n| (1..=365).contains(n))
        .ok_or_else(|| {
            ApiError::bad_parameter(
                "window",
                "must be a number of days from 1d to 365d, e.g. 30d",
            )
        })
}
