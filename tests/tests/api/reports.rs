//! Post-incident reports: provider admins write one on a resolved incident; a draft is theirs
//! alone; once published it shows on the incident, the status page and the Atom feed of every
//! caller the incident reaches, and nowhere else. On the demo directory, an incident over
//! saas2-us on Service Management Automation reaches initech-prod (Initech, managed by
//! Northwind) and no tenant of Contoso's customers.

use reqwest::StatusCode;
use serde_json::{json, Value};
use slr_tests::personas::{CONTOSO, INITECH, NORTHWIND, PROVIDER, UMBRELLA};
use slr_tests::{json_with, problem, problem_field, spawn_app, TestApp};

fn report(publish: bool) -> Value {
    json!({
        "summary": "Logins failed for 40 minutes.\nSessions already open kept working.",
        "root_cause": "A certificate on the identity gateway expired.",
        "remediation": "Certificates now renew 30 days ahead, with an alert.",
        "publish": publish,
    })
}

/// A resolved incident reaching Initech (saas2-us); its id.
async fn resolved_incident(app: &TestApp) -> i64 {
    let ids = app.demo_ids().await;
    let id = app
        .classified_incident(&ids, "Login failures", "major_outage", "saas2-us")
        .await;
    app.resolve(id).await;
    id
}

/// The body `token` gets at `path` (a page or a feed).
async fn body(app: &TestApp, path: &str, token: &str) -> String {
    app.get(path, token).await.text().await.unwrap()
}

/// Asserts `token` gets the 404 of an object it may not see at `path`.
async fn hidden(app: &TestApp, path: &str, token: &str) {
    problem(
        app.get(path, token).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
}

async fn put(app: &TestApp, id: i64, token: &str, body: &Value) -> reqwest::Response {
    app.request(
        reqwest::Method::PUT,
        &format!("/api/v1/incidents/{id}/report"),
        Some(token),
        Some(body),
    )
    .await
}

#[actix_web::test]
async fn a_draft_is_the_provider_admins_alone_until_it_is_published() {
    let app = spawn_app().await;
    app.seed_demo();
    let id = resolved_incident(&app).await;
    let admin = app.admin_token();
    let draft: Value = json_with(put(&app, id, &admin, &report(false)).await, StatusCode::OK).await;
    assert_eq!(draft["published_at"], Value::Null);
    assert_eq!(
        draft["root_cause"],
        "A certificate on the identity gateway expired."
    );
    let path = format!("/api/v1/incidents/{id}/report");
    assert_eq!(app.get_ok(&path, &admin).await["summary"], draft["summary"]);
    assert_eq!(
        app.get_ok(&format!("/api/v1/incidents/{id}"), &admin).await["report"],
        draft
    );
    for who in [NORTHWIND, INITECH] {
        let token = app.token(who);
        hidden(&app, &path, &token).await;
        let incident = app.get_ok(&format!("/api/v1/incidents/{id}"), &token).await;
        assert!(
            incident.get("report").is_none(),
            "{who} sees no draft: {incident}"
        );
        let page = body(&app, &format!("/status-page/incidents/{id}"), &token).await;
        assert!(!page.contains("certificate"), "{who}'s page shows no draft");
    }

    let published: Value =
        json_with(put(&app, id, &admin, &report(true)).await, StatusCode::OK).await;
    assert!(published["published_at"].is_string(), "{published}");
    for who in [NORTHWIND, INITECH] {
        let token = app.token(who);
        assert_eq!(app.get_ok(&path, &token).await, published, "{who}");
        let incident = app.get_ok(&format!("/api/v1/incidents/{id}"), &token).await;
        assert_eq!(incident["report"], published);
        let listed = app.list_all("/api/v1/incidents", &token).await;
        let listed = listed.iter().find(|i| i["id"] == id).unwrap();
        assert_eq!(listed["report"], published, "{who}: lists carry the report");
        let page = body(&app, &format!("/status-page/incidents/{id}"), &token).await;
        assert!(page.contains("Post-incident report"), "{who}: {page}");
        assert!(page.contains("A certificate on the identity gateway expired."));
        assert!(
            page.contains("Sessions already open kept working."),
            "each line of the summary"
        );
        let overview = body(&app, "/status-page", &token).await;
        assert!(
            overview.contains("Post-incident reports"),
            "{who}: the overview lists it"
        );
        assert!(overview.contains(&format!("/status-page/incidents/{id}")));
        let atom = body(&app, "/api/v1/incidents.atom", &token).await;
        assert!(
            atom.contains("Root cause: A certificate on the identity gateway expired."),
            "{atom}"
        );
    }
    // Callers the incident does not reach learn nothing of it or its report.
    for who in [CONTOSO, UMBRELLA] {
        let token = app.token(who);
        hidden(&app, &path, &token).await;
        let overview = body(&app, "/status-page", &token).await;
        assert!(!overview.contains("Post-incident reports"), "{who}");
        let atom = body(&app, "/api/v1/incidents.atom", &token).await;
        assert!(!atom.contains("certificate"), "{who}");
    }
}

#[actix_web::test]
async fn reports_are_refused_on_open_incidents_from_non_admins_and_with_names_in_them() {
    let app = spawn_app().await;
    app.seed_demo();
    let ids = app.demo_ids().await;
    let admin = app.admin_token();
    let open = app
        .classified_incident(&ids, "Slow search", "degraded", "saas2-us")
        .await;
    let field = problem_field(
        put(&app, open, &admin, &report(true)).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert_eq!(field, "incident", "only resolved incidents take a report");

    let id = resolved_incident(&app).await;
    // Northwind sees the incident but may not write: 403; Contoso does not see it: 404.
    problem(
        put(&app, id, &app.token(NORTHWIND), &report(true)).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    problem(
        put(&app, id, &app.token(CONTOSO), &report(true)).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    problem(
        put(&app, 999_999, &admin, &report(true)).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;

    let mut named = report(true);
    named["root_cause"] = json!("The initech-prod database filled its disk.");
    let field = problem_field(
        put(&app, id, &admin, &named).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "name_in_text",
    )
    .await;
    assert_eq!(field, "root_cause");
    for (name, value) in [
        ("summary", json!("")),
        ("remediation", json!("x".repeat(20_001))),
        ("summary", json!("bell\u{7}")),
    ] {
        let mut bad = report(true);
        bad[name] = value;
        let field = problem_field(
            put(&app, id, &admin, &bad).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        )
        .await;
        assert_eq!(field, name);
    }
    let mut unknown = report(true);
    unknown["author"] = json!("me");
    assert_eq!(
        put(&app, id, &admin, &unknown).await.status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    // Nothing above was written.
    problem(
        app.get(&format!("/api/v1/incidents/{id}/report"), &admin)
            .await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;

    // Published, it stays published; it can still be corrected.
    json_with::<Value>(put(&app, id, &admin, &report(true)).await, StatusCode::OK).await;
    let field = problem_field(
        put(&app, id, &admin, &report(false)).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert_eq!(field, "publish");
    let mut corrected = report(true);
    corrected["remediation"] = json!("Certificates renew 30 days ahead; expiry pages the on-call.");
    let first: Value = app
        .get_ok(&format!("/api/v1/incidents/{id}/report"), &admin)
        .await;
    let fixed: Value = json_with(put(&app, id, &admin, &corrected).await, StatusCode::OK).await;
    assert_eq!(
        fixed["published_at"], first["published_at"],
        "publishing again keeps the date"
    );
    assert_eq!(
        app.get_ok(
            &format!("/api/v1/incidents/{id}/report"),
            &app.token(INITECH)
        )
        .await["remediation"],
        corrected["remediation"]
    );
    let audit = app
        .get_ok(
            "/api/v1/audit?object_type=incident_report",
            &app.token(PROVIDER),
        )
        .await;
    assert_eq!(
        audit["items"].as_array().unwrap().len(),
        2,
        "one audit entry per write: {audit}"
    );
}
