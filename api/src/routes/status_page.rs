//! `GET /status-page` and `/status-page/{kind}/{id}`: the caller's status page, opened with a
//! feed token.

use actix_web::http::header;
use actix_web::{get, web, HttpRequest, HttpResponse};
use domain::{Caller, IncidentId, ServiceId};
use maud::{html, Markup};
use time::OffsetDateTime;

use crate::http::auth::Callers;
use crate::http::error::ApiError;
use crate::http::state::AppState;
use crate::views::incidents::IncidentResponse;
use crate::views::maintenances::MaintenanceResponse;
use crate::views::status_page::{
    incident_page, layout, load, maintenance_page, render, STYLESHEET,
};

/// No script, no inline style, nothing from elsewhere: only the page's own stylesheet.
const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
/// The status page of the caller (a feed token as `?token=`, or a bearer token): HTML.
#[utoipa::path(
    tag = "feeds",
    params(crate::http::auth::feed_token::FeedTokenParam),
    responses(
        (status = 200, description = "The caller's status page", body = String, content_type = "text/html"),
        (status = 401, description = "No valid token: a short page saying how to open it", body = String, content_type = "text/html")
    ),
    security(("bearer" = []), ("feed_token" = []))
)]
#[get("/status-page")]
pub async fn get_status_page(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let db = &state.db;
    let weights = state.weights;
    let callers = &state.callers;
    let caller = match page_caller(&req, callers).await {
        Ok(caller) => caller,
        Err(page) => return Ok(*page),
    };
    let token = crate::http::auth::feed_token::query_token(&req);
    let data = load(db, caller, weights, token).await?;
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
/// tenants it touches (the status page names the first 25 of each event): HTML. An incident's
/// page has its service, start, end and duration, its whole timeline (newest first) and its
/// published post-incident report; a window's page its service and description.
#[utoipa::path(
    tag = "feeds",
    params(("kind" = EventPageKind, Path, description = "`incidents` or `maintenances`"), ("id" = i64, Path, description = "The event's id"), crate::http::auth::feed_token::FeedTokenParam),
    responses(
        (status = 200, description = "The event's page", body = String, content_type = "text/html"),
        (status = 401, description = "No valid token: a short page saying how to open it", body = String, content_type = "text/html"),
        (status = 404, description = "No such event among the caller's", body = String, content_type = "text/html"),
        (status = 400, description = "`kind` or `id` is not valid", body = crate::http::error::Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = []), ("feed_token" = []))
)]
#[get("/status-page/{kind}/{id}")]
pub async fn get_status_page_event(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(EventPageKind, i64)>,
) -> Result<HttpResponse, ApiError> {
    let db = &state.db;
    let callers = &state.callers;
    use crate::views::events::EventKind;
    use crate::views::incidents::Incidents;
    use crate::views::maintenances::Maintenances;
    let caller = match page_caller(&req, callers).await {
        Ok(caller) => caller,
        Err(page) => return Ok(*page),
    };
    let token = crate::http::auth::feed_token::query_token(&req);
    let (kind, id) = path.into_inner();
    let found = db
        .read(move |model| {
            Ok(match kind {
                EventPageKind::Incidents => {
                    let incident = Incidents::load_one(model, &caller, IncidentId(id))?;
                    let service = service_name(model, incident.service_id)?;
                    EventPage::Incident(Box::new(incident), service)
                }
                EventPageKind::Maintenances => {
                    let window = Maintenances::load_one(model, &caller, domain::MaintenanceId(id))?;
                    let service = service_name(model, window.service_id)?;
                    EventPage::Maintenance(Box::new(window), service)
                }
            })
        })
        .await;
    let page = match found {
        Ok(EventPage::Incident(incident, service)) => incident_page(
            &incident,
            &service,
            OffsetDateTime::now_utc(),
            token.as_deref(),
        ),
        Ok(EventPage::Maintenance(window, service)) => {
            maintenance_page(&window, &service, token.as_deref())
        }
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
    Ok(page_response(HttpResponse::Ok(), page))
}

/// An event as its own page shows it, with its service's name.
enum EventPage {
    Incident(Box<IncidentResponse>, String),
    Maintenance(Box<MaintenanceResponse>, String),
}

fn service_name(
    model: &mut &persistence::model::Model,
    id: i64,
) -> persistence::RepoResult<String> {
    Ok(model.service(ServiceId(id))?.item.name.to_string())
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
