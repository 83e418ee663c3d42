//! The OpenAPI document: metadata and security here; paths and schemas come from the routes.

use utoipa::openapi::security::{ApiKey, ApiKeyValue, Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::error::{FieldError, Problem};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "slr — Service Level Reporting API",
        description = "What is wrong, what is planned, and how available it was — for exactly the tenants the caller is responsible for.\n\nAuthenticate with `Authorization: Bearer <token>`; the token names a contact, and every answer is scoped by that contact's account. Objects outside the caller's scope answer 404. Errors are `application/problem+json` with a stable `code`.\n\nOne rule scopes events: a caller sees an incident or maintenance window when it affects at least one tenant the caller may see; it is shown with the caller-visible tenants it affects (`impacted_tenants`; lists carry `impacted_tenant_count` and embed the tenants only with `include=impacted_tenants`) and the caller-visible offerings covering them (`offerings`, possibly empty). Event text never names a tenant or a partner or customer account (422 `name_in_text`).",
        license(name = "Apache-2.0", identifier = "Apache-2.0")
    ),
    modifiers(&BearerSecurity),
    security(("bearer" = [])),
    tags(
        (name = "status", description = "Incidents, maintenance and the status overview: each caller sees the events that affect one of its tenants, with its own impacted tenants"),
        (name = "availability", description = "Availability rollups per offering, per tenant and across the caller's offerings, as JSON or CSV"),
        (name = "directory", description = "Who am I, accounts, contacts, tenants and offerings, scoped by the caller"),
        (name = "catalogue", description = "Services and SaaS classifications"),
        (name = "integrations", description = "What an account's admins set up for its own integrations: signed webhooks (Standard Webhooks) and read-only feed tokens; the account's other contacts read them"),
        (name = "feeds", description = "The maintenance calendar (iCalendar), the incident feed (Atom) and offering badges (SVG): the caller's JSON lists rendered for calendars, feed readers and status pages, opened with a bearer token or a feed token as `?token=`"),
        (name = "operations", description = "Liveness and readiness"),
    ),
    components(schemas(
        Problem,
        FieldError,
        crate::status_page::EventPageKind,
        crate::routes::events::Include,
        crate::feeds::BadgeKind
    ))
)]
pub struct ApiDoc;

struct BearerSecurity;

impl Modify for BearerSecurity {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let mut scheme = Http::new(HttpAuthScheme::Bearer);
        scheme.bearer_format = Some("JWT".to_owned());
        scheme.description =
            Some("A JWT whose `sub` is a contact id; `slr token EMAIL` prints one.".to_owned());
        components.add_security_scheme("bearer", SecurityScheme::Http(scheme));
        let mut feed = ApiKeyValue::new("token");
        feed.description = Some(
            "A feed token (`POST /api/v1/feed-tokens`), accepted on feed routes only.".to_owned(),
        );
        components.add_security_scheme("feed_token", SecurityScheme::ApiKey(ApiKey::Query(feed)));
    }
}
