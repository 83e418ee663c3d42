//! The built-in status page, per caller: the offerings it sees with their current status and
//! 90 daily availability bars, its active incidents with their latest update and its impacted
//! tenants, upcoming maintenance, and its feeds — server-rendered HTML (maud), readable without
//! JavaScript, styled by one embedded stylesheet under a strict Content-Security-Policy.

use actix_web::http::header;
use actix_web::{get, web, HttpRequest, HttpResponse};
use domain::availability::Weights;
use domain::{AccountScope, Caller, IncidentId, OfferingId};
use maud::{html, Markup, DOCTYPE};
use persistence::model::Reads;
use persistence::PageRequest;
use time::{Duration, OffsetDateTime, Time};

use crate::auth::Callers;
use crate::db::Db;
use crate::error::ApiError;
use crate::routes::availability::{OfferingAvailabilityResponse, OfferingBucket};
use crate::routes::events::Include;
use crate::routes::incidents::{IncidentListParams, IncidentResponse};
use crate::routes::maintenances::{MaintenanceListParams, MaintenanceResponse};
use crate::routes::status::{OfferingStatusResponse, StatusResponse};
use crate::wire::{Level, MaintenanceStatus, Phase};

/// Days of history the bars show (today's partial day last).
pub const DAYS: i64 = 90;
/// How many of an event's tenants the page names (its own page names them all).
const SHOWN_TENANTS: usize = 25;
/// The most events the page reads (per kind).
const EVENT_LIMIT: i64 = 1000;
/// No script, no inline style, nothing from elsewhere: only the page's own stylesheet.
const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
const STYLESHEET: &str = include_str!("status_page.css");
/// Where the stylesheet is served (versioned by its content, so it may be cached for good).
pub const STYLESHEET_PATH: &str = "/status-page/style.css";

/// What the page shows, read from the read model for one caller.
struct PageData {
    account: String,
    now: OffsetDateTime,
    overview: StatusResponse,
    availability: Vec<OfferingAvailabilityResponse>,
    /// The caller's incidents of the last 90 days, with the latest update of each open one.
    incidents: Vec<(IncidentResponse, Option<domain::IncidentUpdate>)>,
    /// The caller's windows of the last 90 days and ahead.
    windows: Vec<MaintenanceResponse>,
    /// The feed token the page was opened with, for the feed links.
    token: Option<String>,
}

/// The status page of the caller (a feed token as `?token=`, or a bearer token): HTML.
#[utoipa::path(
    tag = "feeds",
    params(crate::feeds::FeedTokenParam),
    responses(
        (status = 200, description = "The caller's status page", body = String, content_type = "text/html"),
        (status = 401, description = "No valid token: a short page saying how to open it", body = String, content_type = "text/html")
    ),
    security(("bearer" = []), ("feed_token" = []))
)]
#[get("/status-page")]
pub async fn get_status_page(
    req: HttpRequest,
    db: web::Data<Db>,
    callers: web::Data<Callers>,
    weights: web::Data<Weights>,
) -> Result<HttpResponse, ApiError> {
    let caller = match page_caller(&req, &callers).await {
        Ok(caller) => caller,
        Err(page) => return Ok(*page),
    };
    let token = crate::feeds::query_token(&req);
    let data = load(&db, caller, **weights, token).await?;
    Ok(page_response(HttpResponse::Ok(), render(&data)))
}

/// What the event pages show.
#[derive(Debug, Clone, Copy, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EventPageKind {
    Incidents,
    Maintenances,
}

/// One incident or maintenance window of the caller's status page, naming all of the caller's
/// tenants it touches (the status page names the first 25 of each event): HTML.
#[utoipa::path(
    tag = "feeds",
    params(("kind" = EventPageKind, Path, description = "`incidents` or `maintenances`"), ("id" = i64, Path, description = "The event's id"), crate::feeds::FeedTokenParam),
    responses(
        (status = 200, description = "The event's page", body = String, content_type = "text/html"),
        (status = 401, description = "No valid token: a short page saying how to open it", body = String, content_type = "text/html"),
        (status = 404, description = "No such event among the caller's", body = String, content_type = "text/html"),
        (status = 400, description = "`kind` or `id` is not valid", body = crate::error::Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = []), ("feed_token" = []))
)]
#[get("/status-page/{kind}/{id}")]
pub async fn get_status_page_event(
    req: HttpRequest,
    db: web::Data<Db>,
    callers: web::Data<Callers>,
    path: web::Path<(EventPageKind, i64)>,
) -> Result<HttpResponse, ApiError> {
    use crate::routes::events::EventKind;
    use crate::routes::incidents::Incidents;
    use crate::routes::maintenances::Maintenances;
    let caller = match page_caller(&req, &callers).await {
        Ok(caller) => caller,
        Err(page) => return Ok(*page),
    };
    let token = crate::feeds::query_token(&req);
    let (kind, id) = path.into_inner();
    let found = db
        .read(move |model| {
            Ok(match kind {
                EventPageKind::Incidents => {
                    let incident = Incidents::load_one(model, &caller, IncidentId(id))?;
                    let latest = incident.updates.as_ref().and_then(|u| u.last()).map(|u| {
                        format!("Latest update ({}): {}", minute(u.created_at), u.message)
                    });
                    let meta = incident_meta(&incident);
                    (
                        incident.title,
                        meta,
                        latest,
                        "Your impacted tenants",
                        incident.impacted_tenants,
                    )
                }
                EventPageKind::Maintenances => {
                    let window = Maintenances::load_one(model, &caller, domain::MaintenanceId(id))?;
                    let meta = format!("{} · {}", window_meta(&window), window.impacted_label);
                    (
                        window.title,
                        meta,
                        None,
                        "Your tenants that may be impacted",
                        window.impacted_tenants,
                    )
                }
            })
        })
        .await;
    let (title, meta, latest, label, tenants) = match found {
        Ok(found) => found,
        Err(error)
            if actix_web::ResponseError::status_code(&error)
                == actix_web::http::StatusCode::NOT_FOUND =>
        {
            let page = layout(
                "Not found",
                None,
                html! {
                    header { h1 { "No such event" } }
                    main { p { "It does not exist, or it touches none of your tenants." } }
                },
            );
            return Ok(page_response(HttpResponse::NotFound(), page));
        }
        Err(error) => return Err(error),
    };
    let page = layout(
        &title,
        token.as_deref(),
        html! {
            header {
                p { a href=(feed_link("/status-page", token.as_deref())) { "← Service status" } }
                h1 { (title) }
                p.meta { (meta) }
            }
            main {
                @if let Some(latest) = latest { p { (latest) } }
                (tenant_list(label, tenants.as_deref(), None))
            }
        },
    );
    Ok(page_response(HttpResponse::Ok(), page))
}

/// Who opens a page (the caller the answer cache resolved, else resolved now), or the 401 page.
async fn page_caller(req: &HttpRequest, callers: &Callers) -> Result<Caller, Box<HttpResponse>> {
    callers
        .caller_of(req)
        .await
        .map_err(|error| Box::new(unauthorized(&error)))
}

/// Serves the page's stylesheet (embedded in the binary).
pub async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(STYLESHEET)
}

fn page_response(mut builder: actix_web::HttpResponseBuilder, page: Markup) -> HttpResponse {
    builder
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CONTENT_SECURITY_POLICY, CSP))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        // Revalidated on every load (cheap: the ETag answers 304 while nothing changed).
        .insert_header((header::CACHE_CONTROL, "private, no-cache"))
        .body(page.into_string())
}

/// 401: what to do instead, and nothing else.
fn unauthorized(error: &ApiError) -> HttpResponse {
    let page = layout(
        "Status page: sign-in needed",
        None,
        html! {
            header { h1 { "This status page needs a token" } }
            main {
                p { (error.detail()) }
                p {
                    "Open it as " code { "/status-page?token=<feed token>" }
                    " — an admin of your account creates feed tokens with "
                    code { "POST /api/v1/feed-tokens" }
                    " — or send " code { "Authorization: Bearer <token>" } "."
                }
            }
        },
    );
    let mut response = HttpResponse::Unauthorized();
    response.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
    page_response(response, page)
}

async fn load(
    db: &Db,
    caller: Caller,
    weights: Weights,
    token: Option<String>,
) -> Result<PageData, ApiError> {
    let now = OffsetDateTime::now_utc();
    let first_day = now.replace_time(Time::MIDNIGHT) - Duration::days(DAYS - 1);
    let viewer = caller.clone();
    let (account, overview, incidents, windows) = db
        .read(move |model| {
            let account = model
                .account(AccountScope::All, viewer.account_id)?
                .item
                .name
                .to_string();
            let overview = crate::routes::status::overview(model, &viewer, 14)?;
            let incidents = crate::routes::incidents::list(
                model,
                &viewer,
                &IncidentListParams {
                    from: Some(first_day),
                    include: Some(Include::ImpactedTenants),
                    ..IncidentListParams::default()
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
            let windows = crate::routes::maintenances::list(
                model,
                &viewer,
                &MaintenanceListParams {
                    from: Some(first_day),
                    include: Some(Include::ImpactedTenants),
                    ..MaintenanceListParams::default()
                },
                PageRequest::first(EVENT_LIMIT),
            )?
            .items;
            Ok((account, overview, incidents, windows))
        })
        .await?;
    let ids = overview
        .offerings
        .iter()
        .map(|o| OfferingId(o.offering_id))
        .collect();
    let availability = crate::routes::availability::offerings_availability(
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
        token,
    })
}

fn minute(at: OffsetDateTime) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute] UTC");
    at.format(format).unwrap_or_default()
}

fn day(at: OffsetDateTime) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    at.format(format).unwrap_or_default()
}

/// "partial outage · identified · since …": an incident in a line.
fn incident_meta(incident: &IncidentResponse) -> String {
    format!(
        "{} · {} · since {}",
        crate::feeds::in_words(&incident.impact),
        crate::feeds::serde_plain(&incident.status),
        minute(incident.started_at)
    )
}

/// "start – end · expected impact: downtime · scheduled": a window in a line.
fn window_meta(window: &MaintenanceResponse) -> String {
    format!(
        "{} – {} · expected impact: {} · {}",
        minute(window.scheduled_start),
        minute(window.scheduled_end),
        crate::feeds::serde_plain(&window.expected_impact),
        crate::feeds::in_words(&window.status)
    )
}

fn percent(availability: Option<f64>) -> String {
    availability.map_or_else(|| "no data".to_owned(), |a| format!("{:.3} %", a * 100.0))
}

/// A feed URL, with the page's feed token when it was opened with one.
fn feed_link(path: &str, token: Option<&str>) -> String {
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

fn layout(title: &str, token: Option<&str>, body: Markup) -> Markup {
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

fn render(data: &PageData) -> Markup {
    let token = data.token.as_deref();
    let open: Vec<&(IncidentResponse, Option<domain::IncidentUpdate>)> = data
        .incidents
        .iter()
        .filter(|(i, _)| i.resolved_at.is_none())
        .collect();
    let upcoming: Vec<&MaintenanceResponse> = data
        .windows
        .iter()
        .filter(|m| m.phase != Phase::Past && m.status != MaintenanceStatus::Cancelled)
        .collect();
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
                            h3 { (incident.title) }
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
                    @if upcoming.is_empty() {
                        p { "No maintenance planned." }
                    }
                    @for window in &upcoming {
                        article.event.maintenance data-maintenance-id=(window.id) {
                            h3 { (window.title) }
                            p.meta {
                                (window_meta(window))
                            }
                            p { "Impacted: " (window.impacted_label) }
                            (tenant_list("Your tenants that may be impacted", window.impacted_tenants.as_deref(), Some(&event_link("maintenances", window.id, token))))
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
fn tenant_list(
    label: &str,
    tenants: Option<&[crate::routes::events::TenantRef]>,
    all_at: Option<&str>,
) -> Markup {
    let tenants = tenants.unwrap_or_default();
    let shown = match all_at {
        Some(_) => tenants.len().min(SHOWN_TENANTS),
        None => tenants.len(),
    };
    let names = tenants[..shown]
        .iter()
        .map(|t| t.name.as_str())
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
    let (status, _) = crate::feeds::status_look(offering.status);
    let status_class = format!(
        "status status-{}",
        crate::feeds::serde_plain(&offering.status)
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
