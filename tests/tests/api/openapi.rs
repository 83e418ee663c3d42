//! The committed openapi.yaml equals the generated spec; the served spec and Swagger UI work.
//! Run with `UPDATE_OPENAPI=1` to rewrite openapi.yaml after an intended API change.

use std::path::PathBuf;

use reqwest::StatusCode;
use slr_tests::spawn_app;

fn committed_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../openapi.yaml")
}

#[test]
fn committed_openapi_yaml_matches_the_code() {
    let generated = slr_api::openapi().to_yaml().expect("spec serialises");
    let path = committed_path();
    if std::env::var("UPDATE_OPENAPI").is_ok_and(|v| v == "1") {
        std::fs::write(&path, &generated).expect("openapi.yaml is writable");
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "openapi.yaml differs from the generated spec; run `UPDATE_OPENAPI=1 cargo test -p slr-tests openapi` and commit it"
    );
}

#[test]
fn every_api_operation_is_secured_and_documents_its_problems() {
    let spec = serde_json::to_value(slr_api::openapi()).expect("spec as JSON");
    let paths = spec["paths"].as_object().expect("paths");
    let mut operations = 0;
    for (path, item) in paths {
        for (method, operation) in item.as_object().expect("path item") {
            operations += 1;
            let responses = operation["responses"].as_object().expect("responses");
            assert!(operation["operationId"].is_string(), "{method} {path}");
            if path.starts_with("/api/v1") {
                if is_feed(path) {
                    assert_eq!(
                        operation["security"],
                        serde_json::json!([{"bearer": []}, {"feed_token": []}]),
                        "{method} {path}: a feed takes a bearer or a feed token"
                    );
                } else {
                    assert!(
                        operation["security"].is_null(),
                        "{method} {path} should inherit bearer security"
                    );
                }
                for status in ["401", "404"] {
                    let content = &responses[status]["content"]["application/problem+json"];
                    assert!(
                        content.is_object(),
                        "{method} {path} lacks a {status} problem"
                    );
                }
            }
        }
    }
    assert!(operations >= 30, "only {operations} operations");
    assert_eq!(spec["security"][0]["bearer"], serde_json::json!([]));
    assert_eq!(
        spec["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
}

#[tokio::test]
async fn served_spec_and_swagger_ui() {
    let app = spawn_app().await;
    let served: serde_json::Value = app
        .client
        .get(app.url("/api-docs/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(served, serde_json::to_value(slr_api::openapi()).unwrap());
    let ui = app
        .client
        .get(app.url("/swagger-ui/"))
        .send()
        .await
        .unwrap();
    assert_eq!(ui.status(), StatusCode::OK);
    assert!(ui.text().await.unwrap().contains("swagger-ui"));
    let redirect = app.client.get(app.url("/swagger-ui")).send().await.unwrap();
    assert!(redirect.status().is_redirection());
    assert_eq!(redirect.headers()["location"], "/swagger-ui/");
}

#[test]
fn every_schema_reference_resolves() {
    fn refs(value: &serde_json::Value, found: &mut Vec<String>) {
        match value {
            serde_json::Value::Object(map) => {
                if let Some(serde_json::Value::String(target)) = map.get("$ref") {
                    found.push(target.clone());
                }
                map.values().for_each(|v| refs(v, found));
            }
            serde_json::Value::Array(items) => items.iter().for_each(|v| refs(v, found)),
            _ => {}
        }
    }
    let spec = serde_json::to_value(slr_api::openapi()).expect("spec as JSON");
    let mut found = Vec::new();
    refs(&spec, &mut found);
    assert!(!found.is_empty());
    for target in found {
        let name = target
            .strip_prefix("#/components/schemas/")
            .unwrap_or_else(|| panic!("unexpected reference {target}"));
        assert!(
            spec["components"]["schemas"][name].is_object(),
            "{target} does not resolve"
        );
    }
}

/// Generated clients get one type per object: every paged list's `items` refers to the item's
/// own schema (the one its single GET answers), instead of a copy inlined per list.
#[test]
fn every_paged_list_refers_to_its_item_schema() {
    let spec = serde_json::to_value(slr_api::openapi()).expect("spec as JSON");
    let schemas = spec["components"]["schemas"].as_object().expect("schemas");
    let mut lists = 0;
    for (name, schema) in schemas {
        let Some(item) = name.strip_prefix("Page_") else {
            continue;
        };
        lists += 1;
        assert_eq!(
            schema["properties"]["items"]["items"],
            serde_json::json!({"$ref": format!("#/components/schemas/{item}")}),
            "{name}: items must refer to {item}"
        );
        assert!(schemas[item].is_object(), "{item} is a schema of its own");
    }
    assert_eq!(lists, 17, "every paged list, the statements list included");
    let incident = &spec["paths"]["/api/v1/incidents/{id}"]["get"]["responses"]["200"];
    assert_eq!(
        incident["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/IncidentResponse",
        "the list's item type is the single GET's"
    );
}

/// What the middleware answers for every route is declared on every operation: 429 from the
/// rate limiter (with `Retry-After`), and 304 from the answer cache on every GET (each one
/// honours `If-None-Match`).
#[test]
fn every_operation_declares_rate_limits_and_every_get_not_modified() {
    let spec = serde_json::to_value(slr_api::openapi()).expect("spec as JSON");
    let mut gets = 0;
    for (path, item) in spec["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("path item") {
            let responses = &operation["responses"];
            let limited = &responses["429"];
            assert!(
                limited["content"]["application/problem+json"].is_object(),
                "{method} {path} lacks a 429 problem"
            );
            assert!(
                limited["headers"]["Retry-After"].is_object(),
                "{method} {path}"
            );
            if method == "get" {
                gets += 1;
                let not_modified = &responses["304"];
                assert!(
                    not_modified["headers"]["ETag"].is_object(),
                    "{method} {path}"
                );
                assert!(not_modified["content"].is_null(), "a 304 has no body");
            } else {
                assert!(responses["304"].is_null(), "{method} {path}");
            }
        }
    }
    assert!(gets >= 40, "only {gets} GETs");
}

/// Every answer of an operation has one content type, so a generated client types it without
/// narrowing a union: the availability reports answer JSON at their path and CSV at the same
/// path plus `.csv`, an operation of its own.
#[test]
fn reports_answer_json_and_their_csv_forms_are_operations_of_their_own() {
    let spec = serde_json::to_value(slr_api::openapi()).expect("spec as JSON");
    let paths = spec["paths"].as_object().expect("paths");
    let mut reports = 0;
    for (path, item) in paths {
        for (method, operation) in item.as_object().expect("path item") {
            for (status, response) in operation["responses"].as_object().expect("responses") {
                let types = response["content"].as_object().map_or(0, |c| c.len());
                assert!(
                    types <= 1,
                    "{method} {path} {status}: {types} content types"
                );
            }
        }
        let Some(report) = path.strip_suffix(".csv") else {
            continue;
        };
        reports += 1;
        let csv = &item["get"];
        assert!(
            csv["responses"]["200"]["content"]["text/csv"].is_object(),
            "{path}"
        );
        let json = &paths[report]["get"];
        assert!(
            json["responses"]["200"]["content"]["application/json"].is_object(),
            "{report} answers JSON"
        );
        assert_eq!(
            csv["operationId"],
            format!("{}_csv", json["operationId"].as_str().unwrap_or_default()),
        );
        assert_eq!(
            csv["parameters"], json["parameters"],
            "{path} takes the report's parameters"
        );
    }
    assert_eq!(
        reports, 6,
        "the five availability reports and the statements list"
    );
}

/// Formats the server enforces are declared: a webhook target is an absolute URI (a relative
/// one is schema-invalid, not only refused), an email subscription's address an email.
#[test]
fn enforced_formats_are_declared() {
    let spec = serde_json::to_value(slr_api::openapi()).expect("spec as JSON");
    let schemas = &spec["components"]["schemas"];
    for request in ["CreateWebhookRequest", "UpdateWebhookRequest"] {
        let url = &schemas[request]["properties"]["url"];
        assert_eq!(url["format"], "uri", "{request}.url");
        assert_eq!(url["maxLength"], 2000, "{request}.url");
    }
    let email = &schemas["CreateEmailSubscriptionRequest"]["properties"]["email"];
    assert_eq!(email["format"], "email");
    assert_eq!(email["minLength"], 3);
}

/// The feed formats: calendars, Atom feeds and badges (the status page is outside `/api/v1`).
fn is_feed(path: &str) -> bool {
    path.ends_with(".ics") || path.ends_with(".atom") || path.ends_with("/badge.svg")
}

#[test]
fn the_route_table_reads_feed_tokens_and_caching_from_each_operation() {
    use actix_web::http::Method;
    use slr_api::http::routes::{Caching, RouteTable};
    let table = RouteTable::from_spec(&slr_api::openapi());
    let route = |method: Method, path: &str| table.find(&method, path);
    for feed in [
        "/api/v1/maintenances.ics",
        "/api/v1/incidents.atom",
        "/api/v1/offerings/7/badge.svg",
        "/status-page",
        "/status-page/incidents/3",
    ] {
        let found = route(Method::GET, feed).unwrap_or_else(|| panic!("{feed} is a route"));
        assert!(found.feed_token, "{feed} takes a feed token");
        assert_eq!(found.caching, Caching::PerAccount, "{feed}");
    }
    for (path, caching) in [
        ("/api/v1/incidents", Caching::PerAccount),
        ("/api/v1/incidents/3", Caching::PerAccount),
        ("/api/v1/me", Caching::PerContact),
        ("/api/v1/availability.csv", Caching::PerAccount),
        (
            "/api/v1/tenants/3/availability/intervals.csv",
            Caching::PerAccount,
        ),
        ("/api/v1/webhooks", Caching::None),
        ("/api/v1/webhooks/3/deliveries/4", Caching::None),
        ("/api/v1/feed-tokens/3", Caching::None),
        ("/healthz", Caching::None),
    ] {
        let found = route(Method::GET, path).unwrap_or_else(|| panic!("{path} is a route"));
        assert!(!found.feed_token, "{path} takes no feed token");
        assert_eq!(found.caching, caching, "{path}");
    }
    assert!(route(Method::GET, "/status-page/style.css").is_none());
    // Only reports that answer CSV have a `.csv` form.
    assert!(route(Method::GET, "/api/v1/incidents.csv").is_none());
    assert!(route(Method::GET, "/api/v1/incidents/3/nothing").is_none());
    assert!(route(Method::GET, "/api/v1/incidents//updates").is_none());
    assert_eq!(
        table.allowed("/api/v1/incidents/3"),
        Some(vec!["GET", "PATCH"])
    );
    // A misspelt caching declaration would silently cache: every one is a known value.
    let spec = serde_json::to_value(slr_api::openapi()).unwrap();
    let mut declared_ones = 0;
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            if let Some(declared) = operation.get(slr_api::http::routes::ANSWER_CACHE) {
                declared_ones += 1;
                assert!(
                    ["none", "per-contact"].contains(&declared.as_str().unwrap_or_default()),
                    "{method} {path}: x-answer-cache {declared}"
                );
            }
        }
    }
    assert_eq!(
        declared_ones, 11,
        "webhooks (4), feed tokens (2), /me, email subscriptions (2), the unsubscribe and confirmation pages"
    );
}
