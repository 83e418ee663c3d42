//! Bad input answers a 4xx problem+json naming the field, and writes nothing.

use reqwest::StatusCode;
use serde_json::json;
use slr_tests::{problem, spawn_app, TestApp};

async fn field_of(response: reqwest::Response, status: StatusCode, code: &str) -> String {
    let problem = problem(response, status, code).await;
    assert_eq!(problem.errors.len(), 1, "{problem:?}");
    problem.errors[0].field.clone()
}

async fn tenant_count(app: &TestApp) -> usize {
    app.list_all("/api/v1/tenants", &app.admin_token())
        .await
        .len()
}

#[tokio::test]
async fn invalid_fields_are_named() {
    let app = spawn_app().await;
    let admin = app.admin_token();
    let cases = [
        ("/api/v1/services", json!({"name": "   "}), "name"),
        ("/api/v1/services", json!({"name": 42}), "name"),
        ("/api/v1/services", json!({}), "name"),
        (
            "/api/v1/services",
            json!({"name": "x", "nmae": "typo"}),
            "nmae",
        ),
        (
            "/api/v1/accounts",
            json!({"name": "A", "kind": "reseller"}),
            "kind",
        ),
        (
            "/api/v1/classifications",
            json!({"code": "saas2-eu", "tier": "two", "region": "EU"}),
            "tier",
        ),
        (
            "/api/v1/classifications",
            json!({"code": "saas2-eu", "tier": 0, "region": "EU"}),
            "tier",
        ),
        (
            "/api/v1/classifications",
            json!({"code": "SaaS 2", "tier": 2, "region": "EU"}),
            "code",
        ),
        (
            "/api/v1/classifications",
            json!({"code": "saas2-eu", "tier": 2, "region": "E1"}),
            "region",
        ),
    ];
    for (path, body, field) in cases {
        let response = app.post(path, &admin, &body).await;
        assert_eq!(
            field_of(
                response,
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation_failed"
            )
            .await,
            field,
            "{path} {body}"
        );
    }
    let account = app
        .create(
            "/api/v1/accounts",
            &json!({"name": "A", "kind": "customer"}),
        )
        .await;
    let contact = json!({"email": "not-an-email", "name": "N", "role": "viewer"});
    let response = app
        .post(
            &format!("/api/v1/accounts/{}/contacts", account["id"]),
            &admin,
            &contact,
        )
        .await;
    assert_eq!(
        field_of(
            response,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed"
        )
        .await,
        "email"
    );
    let not_partner =
        json!({"name": "B", "kind": "customer", "managing_partner_id": account["id"]});
    let response = app.post("/api/v1/accounts", &admin, &not_partner).await;
    assert_eq!(
        field_of(
            response,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed"
        )
        .await,
        "managing_partner_id"
    );
}

#[tokio::test]
async fn references_to_missing_objects_are_named_and_nothing_is_written() {
    let app = spawn_app().await;
    let admin = app.admin_token();
    let account = app
        .create(
            "/api/v1/accounts",
            &json!({"name": "A", "kind": "customer"}),
        )
        .await;
    let service = app.create("/api/v1/services", &json!({"name": "S"})).await;
    let tenant = json!({"name": "t", "account_id": account["id"], "service_id": service["id"], "classification_id": 4242});
    let response = app.post("/api/v1/tenants", &admin, &tenant).await;
    assert_eq!(
        field_of(
            response,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed"
        )
        .await,
        "classification_id"
    );
    let tenant = json!({"name": "t", "account_id": 4242, "service_id": service["id"], "classification_id": 1});
    let response = app.post("/api/v1/tenants", &admin, &tenant).await;
    assert_eq!(
        field_of(
            response,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed"
        )
        .await,
        "account_id"
    );
    assert_eq!(tenant_count(&app).await, 0);
    let offerings = app.list_all("/api/v1/offerings", &admin).await;
    assert!(offerings.is_empty());
}

#[tokio::test]
async fn malformed_json_wrong_media_type_and_oversized_bodies() {
    let app = spawn_app().await;
    let admin = app.admin_token();
    let send = |content_type: &'static str, body: Vec<u8>| {
        app.client
            .post(app.url("/api/v1/services"))
            .bearer_auth(&admin)
            .header("content-type", content_type)
            .body(body)
            .send()
    };
    problem(
        send("application/json", b"{\"name\":".to_vec())
            .await
            .unwrap(),
        StatusCode::BAD_REQUEST,
        "malformed_json",
    )
    .await;
    problem(
        send("text/plain", b"{\"name\":\"x\"}".to_vec())
            .await
            .unwrap(),
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    )
    .await;
    let huge = format!("{{\"name\":\"{}\"}}", "x".repeat(200 * 1024)).into_bytes();
    problem(
        send("application/json", huge).await.unwrap(),
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
    )
    .await;
    assert!(app.list_all("/api/v1/services", &admin).await.is_empty());
}

#[tokio::test]
async fn bad_path_and_query_parameters_and_unknown_routes() {
    let app = spawn_app().await;
    let admin = app.admin_token();
    assert_eq!(
        field_of(
            app.get("/api/v1/tenants/abc", &admin).await,
            StatusCode::BAD_REQUEST,
            "invalid_parameter"
        )
        .await,
        "id"
    );
    for (query, field) in [
        ("limit=abc", "limit"),
        ("limit=0", "limit"),
        ("limit=201", "limit"),
        ("cursor=garbage", "cursor"),
        ("service_id=x", "service_id"),
    ] {
        let response = app.get(&format!("/api/v1/tenants?{query}"), &admin).await;
        assert_eq!(
            field_of(response, StatusCode::BAD_REQUEST, "invalid_parameter").await,
            field,
            "{query}"
        );
    }
    for (path, field) in [
        ("/api/v1/offerings?kind=bogus", "kind"),
        ("/api/v1/incidents?include=everything", "include"),
        ("/api/v1/maintenances?include=timeline", "include"),
    ] {
        let response = app.get(path, &admin).await;
        assert_eq!(
            field_of(response, StatusCode::BAD_REQUEST, "invalid_parameter").await,
            field,
            "{path}"
        );
    }
    problem(
        app.get("/api/v1/nothing-here", &admin).await,
        StatusCode::NOT_FOUND,
        "route_not_found",
    )
    .await;
    problem(
        app.get("/api/v1/tenants/999999", &admin).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
}
