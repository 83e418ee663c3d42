//! Feeds for clients that cannot send an Authorization header — calendars, feed readers,
//! status pages embedding a badge: feed tokens (read-only, accepted as `?token=` on feed routes
//! only), the maintenance calendar (iCalendar), the incident feed (Atom) and offering badges
//! (SVG). Every feed is the caller's JSON list rendered another way: the same scope, the same
//! filters, served from the read model and the answer cache (with `ETag`/304).

use actix_web::http::header;
use actix_web::{delete, get, post, web, HttpRequest, HttpResponse};
use domain::{FeedTokenName, IncidentId, OfferingId};
use persistence::model::Reads;
use persistence::repo::feed_tokens::{self, FeedToken};
use persistence::PageRequest;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::{Duration, OffsetDateTime};
use utoipa::{IntoParams, ToSchema};

use crate::auth::Authenticated;
use crate::db::Db;
use crate::error::{ApiError, ReadProblems, WriteProblems};
use crate::extract::{JsonBody, QueryParams};
use crate::pagination::{Page, PageParams};
use crate::routes::events::{Include, OfferingRef, TenantRef};
use crate::routes::incidents::{IncidentListParams, IncidentResponse};
use crate::routes::maintenances::{MaintenanceListParams, MaintenanceResponse};
use crate::wire::{Level, MaintenanceStatus, OfferingStatus};

/// How feed tokens start (so a leaked one is recognisable, e.g. by secret scanners).
pub const TOKEN_PREFIX: &str = "slrf_";
/// Feeds cover events from this many days back (unless `from` says otherwise).
const FEED_DAYS: i64 = 90;
/// The most entries a feed lists.
const FEED_LIMIT: i64 = 1000;

/// The SHA-256 of a feed token, hex: all that is stored.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Whether `path` is a feed route, where `?token=` is accepted instead of a bearer token.
pub fn is_feed_route(path: &str) -> bool {
    path == "/status-page"
        || path.starts_with("/status-page/") && path != crate::status_page::STYLESHEET_PATH
        || path.starts_with("/api/v1/")
            && (path.ends_with(".ics") || path.ends_with(".atom") || path.ends_with("/badge.svg"))
}

/// The feed token a request carries as `?token=`, if any.
pub fn query_token(req: &actix_web::HttpRequest) -> Option<String> {
    form_urlencoded::parse(req.query_string().as_bytes())
        .find(|(name, _)| name == "token")
        .map(|(_, value)| value.into_owned())
}

/// A new random feed token.
pub fn new_token() -> String {
    format!("{TOKEN_PREFIX}{}", crate::webhooks::random_token(32))
}

/// Stores `token` (its hash and first characters) for `contact`.
pub fn store_token(
    conn: &mut persistence::DbConnection,
    contact: domain::ContactId,
    name: &FeedTokenName,
    token: &str,
) -> persistence::RepoResult<FeedToken> {
    feed_tokens::create(
        conn,
        contact,
        name,
        &token_hash(token),
        &token_prefix(token),
    )
}

/// The characters of a token shown to tell tokens apart.
pub fn token_prefix(token: &str) -> String {
    token.chars().take(TOKEN_PREFIX.len() + 6).collect()
}

/// A feed token (the token itself is shown only when created).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FeedTokenResponse {
    pub id: i64,
    pub name: String,
    /// The token's first characters, to tell tokens apart.
    pub prefix: String,
    /// The contact it reads as: its scope is the token's scope.
    pub contact_id: i64,
    #[serde(with = "crate::wire::instant")]
    pub created_at: OffsetDateTime,
    /// When a feed was last read with it (to the minute).
    #[serde(with = "crate::wire::instant::option")]
    pub last_used_at: Option<OffsetDateTime>,
}

impl From<FeedToken> for FeedTokenResponse {
    fn from(t: FeedToken) -> Self {
        Self {
            id: t.id,
            name: t.name,
            prefix: t.prefix,
            contact_id: t.contact_id.0,
            created_at: t.created_at,
            last_used_at: t.last_used_at,
        }
    }
}

/// A new feed token, with the token (shown only now: keep it).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CreatedFeedTokenResponse {
    #[serde(flatten)]
    pub feed_token: FeedTokenResponse,
    /// Append as `?token=` to feed URLs (`.ics`, `.atom`, `badge.svg`); the JSON API does not
    /// accept it.
    pub token: String,
}

/// A new feed token.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateFeedTokenRequest {
    /// What it is for, e.g. "Team calendar".
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
}

/// The feed tokens of the caller's account.
#[utoipa::path(tag = "integrations", params(PageParams), responses((status = 200, body = Page<FeedTokenResponse>), ReadProblems))]
#[get("/feed-tokens")]
pub async fn list_feed_tokens(
    db: web::Data<Db>,
    caller: Authenticated,
    page: QueryParams<PageParams>,
) -> Result<web::Json<Page<FeedTokenResponse>>, ApiError> {
    let (page, account) = (page.0.request()?, caller.0.account_id);
    let found = db
        .run(move |conn| feed_tokens::list(conn, account, page))
        .await?;
    Ok(web::Json(Page::from_records(
        found,
        FeedTokenResponse::from,
    )))
}

/// One feed token of the caller's account.
#[utoipa::path(tag = "integrations", params(("id" = i64, Path, description = "Feed token id")), responses((status = 200, body = FeedTokenResponse), ReadProblems))]
#[get("/feed-tokens/{id}")]
pub async fn get_feed_token(
    db: web::Data<Db>,
    caller: Authenticated,
    id: web::Path<i64>,
) -> Result<web::Json<FeedTokenResponse>, ApiError> {
    let (account, id) = (caller.0.account_id, id.into_inner());
    let found = db
        .run(move |conn| feed_tokens::find(conn, account, id))
        .await?;
    Ok(web::Json(found.into()))
}

/// Create a read-only feed token (the account's admins). It reads exactly what the creating
/// contact reads, only on feed routes, until revoked or the contact is removed. The answer
/// carries the token, shown only this once; only its hash is stored.
#[utoipa::path(tag = "integrations", params(crate::idempotency::IdempotencyKey), request_body = CreateFeedTokenRequest, responses((status = 201, body = CreatedFeedTokenResponse), WriteProblems))]
#[post("/feed-tokens")]
pub async fn create_feed_token(
    db: web::Data<Db>,
    caller: Authenticated,
    req: HttpRequest,
    body: JsonBody<CreateFeedTokenRequest>,
) -> Result<HttpResponse, ApiError> {
    crate::webhooks::require_account_admin(&caller.0)?;
    let JsonBody(body, raw) = body;
    let name = FeedTokenName::parse(&body.name)?;
    let token = format!("{TOKEN_PREFIX}{}", crate::webhooks::random_token(32));
    let caller = caller.0;
    let writer = caller.clone();
    crate::idempotency::create_once(&db, &caller, &req, &raw, move |conn| {
        let created = FeedTokenResponse::from(store_token(conn, writer.contact_id, &name, &token)?);
        crate::audit::created(conn, &writer, "feed_token", created.id, &created)?;
        let location = format!("/api/v1/feed-tokens/{}", created.id);
        let response = CreatedFeedTokenResponse {
            feed_token: created,
            token: token.clone(),
        };
        Ok((location, response))
    })
    .await
}

/// Revoke a feed token (the account's admins): it stops working on every replica at once.
#[utoipa::path(tag = "integrations", params(("id" = i64, Path, description = "Feed token id")), responses((status = 204, description = "Revoked"), WriteProblems))]
#[delete("/feed-tokens/{id}")]
pub async fn delete_feed_token(
    db: web::Data<Db>,
    caller: Authenticated,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let (account, id) = (caller.0.account_id, id.into_inner());
    db.run(move |conn| feed_tokens::find(conn, account, id))
        .await?;
    crate::webhooks::require_account_admin(&caller.0)?;
    crate::audit::audited(
        &db,
        &caller.0,
        "feed_token",
        id,
        move |conn| feed_tokens::find(conn, account, id).map(FeedTokenResponse::from),
        move |conn| feed_tokens::delete(conn, account, id).map(|()| None),
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// How a feed may be opened without an Authorization header.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FeedTokenParam {
    /// A feed token (`POST /api/v1/feed-tokens`); instead of `Authorization: Bearer`.
    pub token: Option<String>,
}

fn chrono_utc(at: OffsetDateTime) -> chrono::DateTime<chrono::Utc> {
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
    listed(
        tenants.unwrap_or_default().iter().map(|t| t.name.as_str()),
        "none of yours",
    )
}

/// A feed answer: its media type, and for how long clients may reuse it without asking.
fn feed_answer(content_type: &'static str, body: String) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((header::CACHE_CONTROL, "private, max-age=60"))
        .body(body)
}

/// A feed's list window (`from` defaults to 90 days ago; checked like the JSON list's) and
/// what its list embeds (every event's impacted tenants).
fn feed_window(
    from: Option<OffsetDateTime>,
    to: Option<OffsetDateTime>,
) -> Result<(Option<OffsetDateTime>, Option<Include>), ApiError> {
    crate::extract::check_list_window(from, to)?;
    let from = from.unwrap_or_else(|| OffsetDateTime::now_utc() - Duration::days(FEED_DAYS));
    Ok((Some(from), Some(Include::ImpactedTenants)))
}

/// The maintenance calendar: one event per window the caller may see (the last 90 days and
/// everything ahead, unless `from`/`to` say otherwise), with the same filters as
/// `GET /api/v1/maintenances`. Each event keeps its `UID`; `SEQUENCE` is the window's version,
/// so calendar clients apply changes; cancelled windows stay, `STATUS:CANCELLED`. Times are UTC.
#[utoipa::path(
    tag = "feeds",
    params(MaintenanceListParams, FeedTokenParam),
    responses((status = 200, description = "An iCalendar (RFC 5545) calendar", body = String, content_type = "text/calendar"), (status = 422, description = "`from` or `to` outside the supported range, or `to` not after `from`", body = crate::error::Problem, content_type = "application/problem+json"), ReadProblems),
    security(("bearer" = []), ("feed_token" = []))
)]
#[get("/maintenances.ics")]
pub async fn get_maintenance_calendar(
    db: web::Data<Db>,
    caller: Authenticated,
    params: QueryParams<MaintenanceListParams>,
) -> Result<HttpResponse, ApiError> {
    use icalendar::Calendar;
    let mut params = params.0;
    (params.from, params.include) = feed_window(params.from, params.to)?;
    let caller = caller.0;
    let windows = db
        .read(move |model| {
            crate::routes::maintenances::list(
                model,
                &caller,
                &params,
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

/// One window as a calendar event.
fn maintenance_event(m: &MaintenanceResponse) -> icalendar::Event {
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

/// A wire value in words: `partial_outage` → "partial outage".
pub(crate) fn in_words<T: Serialize>(value: &T) -> String {
    serde_plain(value).replace('_', " ")
}

/// A wire enum as its JSON string (e.g. `partial_outage`).
pub(crate) fn serde_plain<T: Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// The incident feed: one Atom entry per incident the caller may see (the last 90 days unless
/// `from`/`to` say otherwise, newest change first), with the same filters as
/// `GET /api/v1/incidents`; an entry is updated with every timeline update and names the
/// caller's impacted tenants.
#[utoipa::path(
    tag = "feeds",
    params(IncidentListParams, FeedTokenParam),
    responses((status = 200, description = "An Atom (RFC 4287) feed", body = String, content_type = "application/atom+xml"), (status = 422, description = "`from` or `to` outside the supported range, or `to` not after `from`", body = crate::error::Problem, content_type = "application/problem+json"), ReadProblems),
    security(("bearer" = []), ("feed_token" = []))
)]
#[get("/incidents.atom")]
pub async fn get_incident_feed(
    db: web::Data<Db>,
    caller: Authenticated,
    req: HttpRequest,
    params: QueryParams<IncidentListParams>,
) -> Result<HttpResponse, ApiError> {
    // Links are relative (a reader resolves them against the feed's URL), so an answer never
    // carries a Host header it was asked with; they keep the feed token the feed was opened with.
    let token = query_token(&req);
    let mut params = params.0;
    (params.from, params.include) = feed_window(params.from, params.to)?;
    let caller = caller.0;
    let incidents = db
        .read(move |model| {
            let found = crate::routes::incidents::list(
                model,
                &caller,
                &params,
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
            crate::status_page::page_link(token.as_deref()),
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

/// One incident as an Atom entry.
fn incident_entry(
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
        "Status: {}. Impact: {}.\nYour impacted tenants ({}): {}\nYour offerings: {}\n",
        in_words(&incident.status),
        in_words(&incident.impact),
        incident.impacted_tenant_count,
        tenant_names(incident.impacted_tenants.as_deref()),
        offering_names(&incident.offerings),
    );
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
            crate::status_page::event_link("incidents", incident.id, token),
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

fn link(href: String, rel: &str, mime_type: &str) -> atom_syndication::Link {
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

/// Badge options.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BadgeParams {
    /// `status` (default) or `availability`.
    pub kind: Option<BadgeKind>,
    /// For `availability`: the window ending now, `1d`–`365d` (default `30d`).
    #[param(example = "30d")]
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
    db: web::Data<Db>,
    weights: web::Data<domain::availability::Weights>,
    caller: Authenticated,
    id: web::Path<i64>,
    params: QueryParams<BadgeParams>,
) -> Result<HttpResponse, ApiError> {
    let id = OfferingId(id.into_inner());
    let caller = caller.0;
    let (label, value, colour) = match params.0.kind.unwrap_or_default() {
        BadgeKind::Status => {
            let viewer = caller.clone();
            let overview = db
                .read(move |model| crate::routes::status::overview(model, &viewer, 14))
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
            let days = window_days(params.0.window.as_deref())?;
            let from = OffsetDateTime::now_utc() - Duration::days(days);
            let report = crate::routes::availability::offerings_availability(
                &db,
                caller,
                vec![id],
                from,
                false,
                **weights,
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

const GREEN: &str = "#2e7d32";
const YELLOW: &str = "#9a6700";
const ORANGE: &str = "#c2410c";
const RED: &str = "#b91c1c";
const BLUE: &str = "#1d4ed8";
const GREY: &str = "#555555";

pub(crate) fn status_look(status: OfferingStatus) -> (&'static str, &'static str) {
    match status {
        OfferingStatus::Operational => ("operational", GREEN),
        OfferingStatus::UnderMaintenance => ("under maintenance", BLUE),
        OfferingStatus::Degraded => ("degraded", YELLOW),
        OfferingStatus::PartialOutage => ("partial outage", ORANGE),
        OfferingStatus::MajorOutage => ("major outage", RED),
    }
}

fn level_colour(level: Level) -> &'static str {
    match level {
        Level::NoData => GREY,
        // A badge tells met or not: planned maintenance alone meets the target.
        Level::NoDowntime | Level::Met | Level::Maintenance => GREEN,
        Level::Minor => YELLOW,
        Level::Major => ORANGE,
        Level::Down => RED,
    }
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
fn badge(label: &str, value: &str, colour: &str) -> String {
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
