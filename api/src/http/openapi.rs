//! The OpenAPI document: metadata and security here; paths and schemas come from the routes.

use utoipa::openapi::security::{ApiKey, ApiKeyValue, Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::{RefOr, Schema};
use utoipa::{Modify, OpenApi};

use crate::http::error::FieldError;
use crate::http::error::Problem;

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
        crate::routes::status_page::EventPageKind,
        crate::views::events::Include,
        crate::views::events::Sort,
        crate::views::feeds::BadgeKind
    ))
)]
pub struct ApiDoc;

/// The document as served, after the routes added their schemas.
pub(crate) fn finish(mut openapi: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    declare_text_rule(&mut openapi);
    openapi
}

/// Every bounded text field — names, titles, messages, descriptions, labels, declared with
/// `min_length = 1` and a `max_length` — gets the pattern of the rule the server applies
/// ([`domain::text::PATTERN`]: not blank, no control character), so the spec says what a
/// name may hold instead of leaving it to a 422.
fn declare_text_rule(openapi: &mut utoipa::openapi::OpenApi) {
    let Some(components) = openapi.components.as_mut() else {
        return;
    };
    for schema in components.schemas.values_mut() {
        let RefOr::T(Schema::Object(object)) = schema else {
            continue;
        };
        for property in object.properties.values_mut() {
            if let RefOr::T(Schema::Object(field)) = property {
                let bounded = field.min_length == Some(1) && field.max_length.is_some();
                if bounded && field.pattern.is_none() {
                    field.pattern = Some(domain::text::PATTERN.to_owned());
                }
            }
        }
    }
}

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
