//! Per-tenant state inside an incident: a provider admin marks tenants of an open incident
//! `recovered` at an instant or `unaffected` (ruled out). Availability counts the incident for
//! each tenant only until its own recovery; the incident, its impacted tenants, the status,
//! the Atom feed and the status page show each tenant's state. On the demo directory, an
//! incident over all of Service Management Automation reaches globex-prod, globex-analytics
//! (Globex, managed by Northwind), initech-prod (Initech, Northwind), umbrella-prod and
//! hooli-prod (Contoso's customers), northwind-internal (Northwind's own) and stark-prod.

use reqwest::StatusCode;
use serde_json::{json, Value};
use slr_tests::personas::{GLOBEX, INITECH, NORTHWIND, UMBRELLA};
use slr_tests::{at, json_with, problem_field, spawn_app, TestApp};
use time::Duration;

/// An open major outage over the whole of Service Management Automation, started four hours
/// ago; its id.
async fn service_wide_outage(app: &TestApp) -> i64 {
    let ids = app.demo_ids().await;
    let body = json!({
        "service_id": ids.sma, "title": "Login failures", "impact": "major_outage",
        "scope": {"kind": "service"}, "started_at": at(-Duration::hours(4)),
        "message": "Investigating.",
    });
    app.create("/api/v1/incidents", &body).await["id"]
        .as_i64()
        .unwrap()
}

async fn tenant(app: &TestApp, name: &str) -> i64 {
    app.id_of("tenants", "name", name).await
}

async fn mark(app: &TestApp, id: i64, body: &Value) -> reqwest::Response {
    app.patch(
        &format!("/api/v1/incidents/{id}/tenant-states"),
        &app.admin_token(),
        body,
    )
    .await
}

/// The unplanned downtime `token` is shown for tenant `name` from five hours ago to one hour
/// ago, in minutes.
async fn downtime(app: &TestApp, token: &str, name: &str, window: &str) -> f64 {
    let id = tenant(app, name).await;
    let figures = app
        .get_ok(
            &format!("/api/v1/tenants/{id}/availability?{window}"),
            token,
        )
        .await;
    figures["tenant"]["unplanned_downtime_minutes"]
        .as_f64()
        .unwrap()
}

/// Each impacted tenant `token` is shown on the incident: (name, state, has state_at).
async fn states(app: &TestApp, id: i64, token: &str) -> Vec<(String, String, bool)> {
    let incident = app.get_ok(&format!("/api/v1/incidents/{id}"), token).await;
    let mut states: Vec<(String, String, bool)> = incident["impacted_tenants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["name"].as_str().unwrap().to_owned(),
                t["state"].as_str().unwrap().to_owned(),
                t["state_at"].is_string(),
            )
        })
        .collect();
    states.sort();
    states
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 0.05
}

#[actix_web::test]
async fn each_tenant_counts_an_incident_until_its_own_recovery() {
    let app = spawn_app().await;
    app.seed_demo();
    let id = service_wide_outage(&app).await;
    let (globex_prod, stark) = (
        tenant(&app, "globex-prod").await,
        tenant(&app, "stark-prod").await,
    );
    let marked: Value = json_with(
        mark(
            &app,
            id,
            &json!({"tenant_ids": [globex_prod], "state": "recovered", "at": at(-Duration::hours(3))}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(marked["impacted_tenant_count"], 7);
    assert_eq!(marked["affected_tenant_count"], 6);
    let response = mark(
        &app,
        id,
        &json!({"tenant_ids": [stark], "state": "unaffected"}),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);

    // Each caller sees its own tenants' states, and no one else's.
    let globex = app.token(GLOBEX);
    assert_eq!(
        states(&app, id, &globex).await,
        [
            ("globex-analytics".into(), "affected".into(), false),
            ("globex-prod".into(), "recovered".into(), true),
        ]
    );
    let northwind = app.token(NORTHWIND);
    let page = app
        .get_ok(
            &format!("/api/v1/incidents/{id}/impacted-tenants"),
            &northwind,
        )
        .await;
    let mut names: Vec<(&str, &str)> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["name"].as_str().unwrap(), t["state"].as_str().unwrap()))
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            ("globex-analytics", "affected"),
            ("globex-prod", "recovered"),
            ("initech-prod", "affected"),
            ("northwind-internal", "affected"),
        ]
    );

    // Availability: globex-prod counts one hour, globex-analytics three, stark-prod none.
    let window = format!(
        "from={}&to={}",
        at(-Duration::hours(5)),
        at(-Duration::hours(1))
    );
    let window = window.replace('+', "%2B");
    assert!(close(
        downtime(&app, &globex, "globex-prod", &window).await,
        60.0
    ));
    assert!(close(
        downtime(&app, &globex, "globex-analytics", &window).await,
        180.0
    ));
    let stark_token = app.token(slr_tests::personas::STARK);
    assert!(close(
        downtime(&app, &stark_token, "stark-prod", &window).await,
        0.0
    ));
    let figures = app
        .get_ok(
            &format!("/api/v1/tenants/{globex_prod}/availability?{window}"),
            &globex,
        )
        .await;
    assert_eq!(figures["tenant"]["incident_count"], 1, "{figures}");

    // The Atom feed and the status page say who recovered.
    let atom = app
        .get("/api/v1/incidents.atom", &globex)
        .await
        .text()
        .await
        .unwrap();
    assert!(atom.contains("globex-prod (recovered "), "{atom}");
    assert!(atom.contains("(2, 1 still affected)"), "{atom}");
    let page = app
        .get(&format!("/status-page/incidents/{id}"), &globex)
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("globex-prod (recovered "), "{page}");
    let stark_page = app
        .get(&format!("/status-page/incidents/{id}"), &stark_token)
        .await
        .text()
        .await
        .unwrap();
    assert!(
        stark_page.contains("stark-prod (ruled out)"),
        "{stark_page}"
    );

    // Undone: globex-prod is affected again and counts the whole four hours.
    let response = mark(
        &app,
        id,
        &json!({"tenant_ids": [globex_prod], "state": "affected"}),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(close(
        downtime(&app, &globex, "globex-prod", &window).await,
        180.0
    ));
}

#[actix_web::test]
async fn an_account_whose_tenants_all_recovered_is_operational_while_the_incident_runs() {
    let app = spawn_app().await;
    app.seed_demo();
    let id = service_wide_outage(&app).await;
    let initech_prod = tenant(&app, "initech-prod").await;
    let response = mark(
        &app,
        id,
        &json!({"tenant_ids": [initech_prod], "state": "recovered"}),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);

    let sma_id = app.demo_ids().await.sma;
    let on_sma = |status: &Value| -> Value {
        status["offerings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["service_id"] == sma_id)
            .unwrap()
            .clone()
    };
    let initech = app.get_ok("/api/v1/status", &app.token(INITECH)).await;
    let sma = on_sma(&initech);
    assert_eq!(sma["status"], "operational", "{initech}");
    assert_eq!(initech["active_incidents"][0]["id"], id, "still listed");
    assert_eq!(initech["active_incidents"][0]["affected_tenant_count"], 0);
    assert_eq!(initech["active_incidents"][0]["impacted_tenant_count"], 1);

    // Northwind still has affected tenants of Globex: its partner offering is down.
    let northwind = app.get_ok("/api/v1/status", &app.token(NORTHWIND)).await;
    let statuses: Vec<&str> = northwind["offerings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["service_id"] == sma["service_id"])
        .map(|o| o["status"].as_str().unwrap())
        .collect();
    assert!(statuses.contains(&"major_outage"), "{northwind}");
    let full = app
        .get_ok(
            "/api/v1/status?include=impacted_tenants",
            &app.token(INITECH),
        )
        .await;
    let listed = &on_sma(&full)["active_incidents"][0];
    assert_eq!(listed["affected_tenant_count"], 0, "{full}");
    assert_eq!(on_sma(&full)["status"], "operational");
}

#[actix_web::test]
async fn marks_are_checked_and_a_refused_request_changes_nothing() {
    let app = spawn_app().await;
    app.seed_demo();
    let ids = app.demo_ids().await;
    // saas2-us: initech-prod alone.
    let id = app
        .classified_incident(&ids, "Slow search", "degraded", "saas2-us")
        .await;
    let (initech_prod, globex_prod) = (
        tenant(&app, "initech-prod").await,
        tenant(&app, "globex-prod").await,
    );
    let path = format!("/api/v1/incidents/{id}");
    let before = app.get_ok(&path, &app.admin_token()).await;
    let refused = [
        (
            json!({"tenant_ids": [initech_prod, globex_prod], "state": "recovered"}),
            "tenant_ids",
        ),
        (
            json!({"tenant_ids": [initech_prod, 999_999], "state": "recovered"}),
            "tenant_ids",
        ),
        (
            json!({"tenant_ids": [], "state": "recovered"}),
            "tenant_ids",
        ),
        (
            json!({"tenant_ids": [initech_prod], "state": "recovered", "at": at(-Duration::days(1))}),
            "at",
        ),
        (
            json!({"tenant_ids": [initech_prod], "state": "recovered", "at": at(Duration::hours(1))}),
            "at",
        ),
        (
            json!({"tenant_ids": [initech_prod], "state": "gone"}),
            "state",
        ),
    ];
    for (body, field) in refused {
        let response = mark(&app, id, &body).await;
        let named = problem_field(
            response,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        )
        .await;
        assert_eq!(named, field, "{body}");
    }
    assert_eq!(
        app.get_ok(&path, &app.admin_token()).await["version"],
        before["version"]
    );
    assert_eq!(
        states(&app, id, &app.token(INITECH)).await,
        [("initech-prod".into(), "affected".into(), false)]
    );

    // Only provider admins mark; callers who cannot see the incident get 404.
    let body = json!({"tenant_ids": [initech_prod], "state": "recovered"});
    let forbidden = app
        .patch(
            &format!("{path}/tenant-states"),
            &app.token(NORTHWIND),
            &body,
        )
        .await;
    assert_eq!(forbidden.status(), StatusCode::FORBIDDEN);
    let hidden = app
        .patch(
            &format!("{path}/tenant-states"),
            &app.token(UMBRELLA),
            &body,
        )
        .await;
    assert_eq!(hidden.status(), StatusCode::NOT_FOUND);
    let marked: Value = json_with(mark(&app, id, &body).await, StatusCode::OK).await;
    assert_eq!(marked["version"], before["version"].as_i64().unwrap() + 1);

    // A resolved incident's tenants are not marked.
    app.resolve(id).await;
    let response = mark(
        &app,
        id,
        &json!({"tenant_ids": [initech_prod], "state": "affected"}),
    )
    .await;
    let named = problem_field(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert_eq!(named, "incident");
}

#[actix_web::test]
async fn narrowing_an_open_incident_recovers_the_tenants_it_leaves_instead_of_erasing_them() {
    let app = spawn_app().await;
    app.seed_demo();
    let ids = app.demo_ids().await;
    let id = service_wide_outage(&app).await;
    // From now on only saas3-us (hooli-prod) is affected.
    let narrowed = app
        .patch(
            &format!("/api/v1/incidents/{id}"),
            &app.admin_token(),
            &json!({"scope": {"kind": "classifications", "classification_ids": [ids.class["saas3-us"]]}}),
        )
        .await;
    let narrowed: Value = json_with(narrowed, StatusCode::OK).await;
    assert_eq!(narrowed["affected_tenant_count"], 1, "{narrowed}");
    assert_eq!(narrowed["impacted_tenant_count"], 7);

    // Globex still sees the incident: its tenants recovered when the scope left them.
    let globex = app.token(GLOBEX);
    assert_eq!(
        states(&app, id, &globex).await,
        [
            ("globex-analytics".into(), "recovered".into(), true),
            ("globex-prod".into(), "recovered".into(), true),
        ]
    );
    let shown = app
        .get_ok(&format!("/api/v1/incidents/{id}"), &globex)
        .await;
    assert_eq!(shown["scope"]["kind"], "classifications");
    assert_eq!(shown["affected_tenant_count"], 0);
    // Its downtime before the narrowing stays counted.
    let window = format!(
        "from={}&to={}",
        at(-Duration::hours(5)),
        at(-Duration::hours(1))
    )
    .replace('+', "%2B");
    assert!(close(
        downtime(&app, &globex, "globex-prod", &window).await,
        180.0
    ));
    // Hooli is still affected; Globex's offering is not down any more.
    let hooli = app.token(slr_tests::personas::HOOLI);
    assert_eq!(
        states(&app, id, &hooli).await,
        [("hooli-prod".into(), "affected".into(), false)]
    );
    let status = app.get_ok("/api/v1/status", &globex).await;
    let sma = status["offerings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["service_id"] == ids.sma)
        .unwrap()
        .clone();
    assert_eq!(sma["status"], "operational", "{status}");
}

/// Each offering's availability in `token`'s partner-wide rollup over `window`, by id.
async fn overview(app: &TestApp, token: &str, window: &str) -> Vec<(i64, f64)> {
    let answer = app
        .get_ok(&format!("/api/v1/availability?{window}"), token)
        .await;
    let mut rows: Vec<(i64, f64)> = answer["offerings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["offering_id"].as_i64().unwrap(),
                o["availability"].as_f64().unwrap_or(-1.0),
            )
        })
        .collect();
    rows.sort_by_key(|r| r.0);
    rows
}

/// The read model keeps each service's incidents laid out for the rollups between requests:
/// every change to an incident must show in the very next answer, per tenant and partner-wide.
#[actix_web::test]
async fn availability_follows_each_change_to_an_incident_at_once() {
    let app = spawn_app().await;
    app.seed_demo();
    let globex = app.token(GLOBEX);
    let northwind = app.token(NORTHWIND);
    let window = format!(
        "from={}&to={}",
        at(-Duration::hours(5)),
        at(-Duration::hours(1))
    )
    .replace('+', "%2B");
    let before = downtime(&app, &globex, "globex-prod", &window).await;
    let overview_before = overview(&app, &northwind, &window).await;

    let id = service_wide_outage(&app).await;
    assert!(close(
        downtime(&app, &globex, "globex-prod", &window).await,
        before + 180.0
    ));
    let overview_down = overview(&app, &northwind, &window).await;
    assert_ne!(
        overview_down, overview_before,
        "a new incident shows partner-wide"
    );

    let recovered = json!({"tenant_ids": [tenant(&app, "globex-prod").await], "state": "recovered", "at": at(-Duration::hours(3))});
    assert_eq!(mark(&app, id, &recovered).await.status(), StatusCode::OK);
    assert!(close(
        downtime(&app, &globex, "globex-prod", &window).await,
        before + 60.0
    ));
    let undone = json!({"tenant_ids": [tenant(&app, "globex-prod").await], "state": "affected"});
    assert_eq!(mark(&app, id, &undone).await.status(), StatusCode::OK);
    assert!(close(
        downtime(&app, &globex, "globex-prod", &window).await,
        before + 180.0
    ));
    assert_eq!(overview(&app, &northwind, &window).await, overview_down);

    // Resolved, then corrected to have reached stark-prod only: globex-prod never had it.
    app.resolve(id).await;
    let corrected = app
        .patch(
            &format!("/api/v1/incidents/{id}"),
            &app.admin_token(),
            &json!({"scope": {"kind": "tenants", "tenant_ids": [tenant(&app, "stark-prod").await]}}),
        )
        .await;
    assert_eq!(corrected.status(), StatusCode::OK);
    assert!(close(
        downtime(&app, &globex, "globex-prod", &window).await,
        before
    ));
    assert_eq!(overview(&app, &northwind, &window).await, overview_before);
}
