//! The OpenAPI document's security schemes and the finish every served and generated spec gets;
//! its metadata is declared with the route table (`routes::ApiDoc`).

use utoipa::openapi::security::{ApiKey, ApiKeyValue, Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::{RefOr, Schema};
use utoipa::Modify;

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
