//! Small edges a new user meets first: timestamp errors in words, `GET /`, newest-first event
//! lists that page correctly, and `/me` saying what the caller may manage.

use reqwest::StatusCode;
use serde_json::{json, Value};
use slr_tests::{at, personas, problem, spawn_app, TestApp};
use time::Duration;

async fn demo() -> TestApp {
    let app = spawn_app().await;
    app.seed_demo();
    app
}

#[tokio::test]
async fn a_bad_timestamp_is_explained_with_an_example_in_bodies_and_queries() {
    let app = demo().await;
    let admin = app.admin_token();
    let sma = app
        .id_of("services", "name", "Service Management Automation")
        .await;
    let body = json!({"service_id": sma, "title": "T", "impact": "degraded",
        "scope": {"kind": "service"}, "message": "M", "started_at": "yesterday 10:00"});
    let refused = problem(
        app.post("/api/v1/incidents", &admin, &body).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    let expected = "must be an RFC 3339 timestamp, e.g. 2026-11-01T00:00:00Z";
    let error = &refused.errors[0];
    assert_eq!(
        (error.field.as_str(), error.message.as_str()),
        ("started_at", expected)
    );
    for list in ["incidents", "maintenances", "audit", "availability"] {
        let refused = problem(
            app.get(&format!("/api/v1/{list}?from=2026-13-01"), &admin)
                .await,
            StatusCode::BAD_REQUEST,
            "invalid_parameter",
        )
        .await;
        let error = &refused.errors[0];
        assert_eq!(
            (error.field.as_str(), error.message.as_str()),
            ("from", expected),
            "{list}"
        );
    }
}

#[tokio::test]
async fn the_root_leads_to_the_api_documentation() {
    let app = spawn_app().await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let root = client.get(app.url("/")).send().await.unwrap();
    assert_eq!(root.status(), StatusCode::FOUND);
    assert_eq!(root.headers()["location"], "/swagger-ui/");
    // Followed, it is Swagger UI.
    let page = reqwest::get(app.url("/")).await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains("swagger"));
}

/// The ids of a whole list, read `limit` at a time.
async fn ids(app: &TestApp, path: &str, token: &str) -> Vec<i64> {
    app.list_all(path, token)
        .await
        .iter()
        .map(|item| item["id"].as_i64().unwrap())
        .collect()
}

#[tokio::test]
async fn event_lists_sort_newest_first_and_page_through_in_that_order() {
    let app = demo().await;
    let admin = app.admin_token();
    let sma = app
        .id_of("services", "name", "Service Management Automation")
        .await;
    // Created in one order, started in another: hours ago 5, 1, 3, 2, 4.
    let mut incidents = Vec::new();
    for hours in [5, 1, 3, 2, 4] {
        let body = json!({"service_id": sma, "title": format!("Started {hours} h ago"),
            "impact": "degraded", "scope": {"kind": "service"}, "message": "M",
            "started_at": at(Duration::hours(-hours))});
        incidents.push((
            hours,
            app.create("/api/v1/incidents", &body).await["id"]
                .as_i64()
                .unwrap(),
        ));
    }
    let mut newest_first = incidents.clone();
    newest_first.sort_by_key(|(hours, _)| *hours);
    let expected: Vec<i64> = newest_first.iter().map(|(_, id)| *id).collect();
    let created: Vec<i64> = incidents.iter().map(|(_, id)| *id).collect();
    assert_eq!(
        ids(&app, "/api/v1/incidents?sort=-started_at&limit=2", &admin).await,
        expected
    );
    assert_eq!(
        ids(&app, "/api/v1/incidents?limit=2", &admin).await,
        created,
        "default: by id"
    );
    // A partner sees the same order among what it may see.
    let alice = app.token(personas::NORTHWIND);
    assert_eq!(
        ids(&app, "/api/v1/incidents?sort=-started_at&limit=1", &alice).await,
        expected
    );

    // Windows sort by their start: scheduled days ahead 3, 1, 2.
    let mut windows = Vec::new();
    for days in [3, 1, 2] {
        let start = Duration::days(days);
        let body = json!({"service_id": sma, "title": format!("In {days} days"),
            "description": "Planned.", "expected_impact": "none", "scope": {"kind": "service"},
            "scheduled_start": at(start), "scheduled_end": at(start + Duration::hours(1))});
        windows.push((
            days,
            app.create("/api/v1/maintenances", &body).await["id"]
                .as_i64()
                .unwrap(),
        ));
    }
    windows.sort_by_key(|(days, _)| -days);
    let expected: Vec<i64> = windows.iter().map(|(_, id)| *id).collect();
    assert_eq!(
        ids(
            &app,
            "/api/v1/maintenances?sort=-started_at&limit=1",
            &admin
        )
        .await,
        expected
    );
    let bad = app.get("/api/v1/incidents?sort=started_at", &admin).await;
    problem(bad, StatusCode::BAD_REQUEST, "invalid_parameter").await;
}

#[tokio::test]
async fn me_says_what_the_caller_may_manage() {
    let app = demo().await;
    let may_manage = |me: Value| me["may_manage"].clone();
    let admin = app.get_ok("/api/v1/me", &app.admin_token()).await;
    assert_eq!(
        may_manage(admin),
        json!({"integrations": true, "directory": true, "events": true, "audit": true})
    );
    // Alice administers Northwind: its integrations, nothing else.
    let alice = app
        .get_ok("/api/v1/me", &app.token(personas::NORTHWIND))
        .await;
    assert_eq!(alice["can_write"], false);
    assert_eq!(
        may_manage(alice),
        json!({"integrations": true, "directory": false, "events": false, "audit": false})
    );
    // Dave is a viewer at Contoso: reads only — and the API agrees.
    let dave_token = app.token(personas::CONTOSO);
    let dave = app.get_ok("/api/v1/me", &dave_token).await;
    assert_eq!(
        may_manage(dave),
        json!({"integrations": false, "directory": false, "events": false, "audit": false})
    );
    let refused = app
        .post("/api/v1/feed-tokens", &dave_token, &json!({"name": "Wall"}))
        .await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let alice_hook = app
        .post(
            "/api/v1/feed-tokens",
            &app.token(personas::NORTHWIND),
            &json!({"name": "Wall"}),
        )
        .await;
    assert_eq!(alice_hook.status(), StatusCode::CREATED);
}
