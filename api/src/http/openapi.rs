//! The OpenAPI document's security schemes and the finish every served and generated spec gets;
//! its metadata is declared with the route table (`routes::ApiDoc`).

use utoipa::openapi::security::{ApiKey, ApiKeyValue, Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::{RefOr, Schema};
use utoipa::{IntoResponses, Modify};

use crate::http::error::Problem;

/// The document as served, after the routes added their schemas.
pub(crate) fn finish(mut openapi: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    declare_text_rule(&mut openapi);
    declare_middleware_answers(&mut openapi);
    openapi
}

/// What the rate limiter answers: it wraps every route (`middleware::ratelimit`).
#[derive(IntoResponses)]
#[allow(dead_code)]
enum RateLimitAnswers {
    /// Too many requests from this token (or, without one, this address): more than
    /// `SLR_RATE_LIMIT_PER_SECOND` a second after a burst of `SLR_RATE_LIMIT_BURST`.
    #[response(
        status = 429,
        content_type = "application/problem+json",
        headers(
            ("Retry-After" = u32, description = "Seconds to wait before retrying"),
            ("RateLimit-Limit" = u32, description = "Requests allowed in a burst"),
            ("RateLimit-Remaining" = u32, description = "Requests left now (0)"),
            ("RateLimit-Reset" = u32, description = "Seconds until a request is allowed again")
        )
    )]
    RateLimited(Problem),
}

/// What the answer cache answers to a GET: it tags every 200 with an `ETag` and answers
/// `If-None-Match` naming it with 304 (`middleware::answers`).
#[derive(IntoResponses)]
#[allow(dead_code)]
enum ConditionalAnswers {
    /// Not modified: `If-None-Match` names the current `ETag`; no body.
    #[response(
        status = 304,
        headers(("ETag" = String, description = "The current representation's validator"))
    )]
    NotModified,
}

/// Declares what the middleware around every route answers on its behalf: 429 on every
/// operation, 304 on every GET. The middleware applies to all routes, so the operations do not
/// repeat it in their own declarations.
fn declare_middleware_answers(openapi: &mut utoipa::openapi::OpenApi) {
    let limited = RateLimitAnswers::responses();
    let conditional = ConditionalAnswers::responses();
    type Answers = std::collections::BTreeMap<String, RefOr<utoipa::openapi::Response>>;
    let add = |operation: &mut utoipa::openapi::path::Operation, answers: &Answers| {
        for (status, answer) in answers {
            let responses = &mut operation.responses.responses;
            responses
                .entry(status.clone())
                .or_insert_with(|| answer.clone());
        }
    };
    for item in openapi.paths.paths.values_mut() {
        if let Some(get) = item.get.as_mut() {
            add(get, &conditional);
        }
        let operations = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ];
        for operation in operations.into_iter().flatten() {
            add(operation, &limited);
        }
    }
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

pub struct BearerSecurity;

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
