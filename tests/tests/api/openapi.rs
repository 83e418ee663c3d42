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
                if slr_api::http::auth::feed_token::is_feed_route(path) {
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
