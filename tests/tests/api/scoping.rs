//! One visibility rule for events, tenants and availability, event text that never names a
//! tenant or an account, and maintenance aimed at tenants. On the demo directory: Northwind
//! manages Globex and Initech, Contoso manages Umbrella and Hooli, Stark is direct.

use std::collections::BTreeSet;

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use slr_tests::personas::{
    ALL, CONTOSO, GLOBEX, HOOLI, INITECH, NORTHWIND, NORTHWIND_AT_GLOBEX, PROVIDER, STARK, UMBRELLA,
};
use slr_tests::{at, json_with, problem, problem_field, spawn_app, TestApp};
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

struct World {
    app: TestApp,
    sma: i64,
    am: i64,
    ob: i64,
}

async fn world(with_events: bool) -> World {
    let app = spawn_app().await;
    if with_events {
        app.seed_demo_with_events();
    } else {
        app.seed_demo();
    }
    let sma = app
        .id_of("services", "name", "Service Management Automation")
        .await;
    let am = app.id_of("services", "name", "Asset Management").await;
    let ob = app.id_of("services", "name", "Operations Bridge").await;
    World { app, sma, am, ob }
}

impl World {
    async fn id(&self, collection: &str, field: &str, value: &str) -> i64 {
        self.app.id_of(collection, field, value).await
    }

    async fn tenant(&self, name: &str, account: &str, service: i64, class: &str) -> i64 {
        let body = json!({
            "name": name,
            "account_id": self.id("accounts", "name", account).await,
            "service_id": service,
            "classification_id": self.id("classifications", "code", class).await,
        });
        self.app.create("/api/v1/tenants", &body).await["id"]
            .as_i64()
            .unwrap()
    }

    /// A resolved incident recorded two days ago, aimed at `tenants`.
    async fn recorded_incident(&self, title: &str, service: i64, tenants: &[i64]) -> i64 {
        let body = json!({
            "service_id": service, "title": title, "impact": "major_outage", "status": "resolved",
            "scope": {"kind": "tenants", "tenant_ids": tenants},
            "started_at": at(-Duration::days(2)), "resolved_at": at(-Duration::days(2) + Duration::hours(1)),
            "message": "Recorded.",
        });
        self.app.create("/api/v1/incidents", &body).await["id"]
            .as_i64()
            .unwrap()
    }

    async fn maintenance(&self, title: &str, scope: Value, extra: Value) -> Value {
        let mut body = json!({
            "service_id": self.sma, "title": title, "description": "Planned work.",
            "expected_impact": "downtime", "scope": scope,
            "scheduled_start": at(Duration::days(2)), "scheduled_end": at(Duration::days(2) + Duration::hours(2)),
        });
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        self.app.create("/api/v1/maintenances", &body).await
    }
}

/// `from` and `to` for the last 30 days, as a query string.
fn last_30_days() -> String {
    format!(
        "from={}&to={}",
        at(-Duration::days(30)),
        at(-Duration::minutes(1))
    )
    .replace('+', "%2B")
}

fn ids(items: &[Value]) -> BTreeSet<i64> {
    items.iter().map(|i| i["id"].as_i64().unwrap()).collect()
}

#[tokio::test]
async fn event_text_naming_any_tenant_or_account_is_refused_on_every_write_path() {
    let w = world(false).await;
    let admin = w.app.admin_token();
    let incident = w
        .app
        .create(
            "/api/v1/incidents",
            &json!({"service_id": w.sma, "title": "Login errors", "impact": "degraded",
                    "scope": {"kind": "service"}, "message": "Looking into it."}),
        )
        .await;
    let maintenance = w
        .maintenance("Upgrade", json!({"kind": "service"}), json!({}))
        .await;
    let (incident_id, maintenance_id) = (
        incident["id"].as_i64().unwrap(),
        maintenance["id"].as_i64().unwrap(),
    );

    // (text, what it names): a tenant of another service than the events', accounts, any case,
    // inside punctuation.
    let leaks = [
        ("Linked to the fault seen on umbrella-assets", "a tenant"),
        ("Customer GLOBEX reported it", "an account"),
        ("Raised by northwind partners.", "an account"),
        ("Fixed for (hooli-ops), finally", "a tenant"),
        ("\"Stark Industries\": restored", "an account"),
    ];
    let past = |hours: i64| at(-Duration::hours(hours));
    let eu2 = w.id("classifications", "code", "saas2-eu").await;
    // (method, path, body with the text, field): every write path that stores event text.
    let paths = |text: &str| -> Vec<(Method, String, Value, &'static str)> {
        let new_incident = |title: &str, message: &str| {
            json!({"service_id": w.sma, "title": title, "impact": "degraded",
                   "scope": {"kind": "service"}, "message": message})
        };
        let new_window = |title: &str, description: &str| {
            json!({"service_id": w.sma, "title": title, "description": description,
                   "expected_impact": "downtime", "classification_ids": [eu2],
                   "scheduled_start": at(Duration::days(1)), "scheduled_end": at(Duration::days(1) + Duration::hours(1))})
        };
        let mut recorded_incident = new_incident("Back-fill", text);
        recorded_incident["status"] = json!("resolved");
        recorded_incident["started_at"] = json!(past(5));
        recorded_incident["resolved_at"] = json!(past(4));
        let mut recorded_window = new_window("Back-fill", text);
        recorded_window["status"] = json!("completed");
        recorded_window["scheduled_start"] = json!(past(5));
        recorded_window["scheduled_end"] = json!(past(4));
        let incidents = "/api/v1/incidents".to_owned();
        let windows = "/api/v1/maintenances".to_owned();
        vec![
            (
                Method::POST,
                incidents.clone(),
                new_incident(text, "M"),
                "title",
            ),
            (
                Method::POST,
                incidents.clone(),
                new_incident("T", text),
                "message",
            ),
            (Method::POST, incidents, recorded_incident, "message"),
            (
                Method::PATCH,
                format!("/api/v1/incidents/{incident_id}"),
                json!({"title": text}),
                "title",
            ),
            (
                Method::POST,
                format!("/api/v1/incidents/{incident_id}/updates"),
                json!({"status": "identified", "message": text}),
                "message",
            ),
            (
                Method::POST,
                windows.clone(),
                new_window(text, "D"),
                "title",
            ),
            (
                Method::POST,
                windows.clone(),
                new_window("T", text),
                "description",
            ),
            (Method::POST, windows, recorded_window, "description"),
            (
                Method::PATCH,
                format!("/api/v1/maintenances/{maintenance_id}"),
                json!({"title": text}),
                "title",
            ),
            (
                Method::PATCH,
                format!("/api/v1/maintenances/{maintenance_id}"),
                json!({"description": text, "status": "in_progress"}),
                "description",
            ),
        ]
    };
    for (text, kind) in leaks {
        for (method, path, body, field) in paths(text) {
            let response = w
                .app
                .request(method, &path, Some(&admin), Some(&body))
                .await;
            let refused = problem(response, StatusCode::UNPROCESSABLE_ENTITY, "name_in_text").await;
            assert_eq!(refused.errors.len(), 1, "{path} {body}");
            assert_eq!(refused.errors[0].field, field, "{path} {body}");
            assert!(
                refused.errors[0]
                    .message
                    .contains(&format!("must not name {kind}")),
                "{path}: {:?}",
                refused.errors[0]
            );
        }
    }

    // Nothing was written: one incident with its first entry, one window, both unchanged.
    assert_eq!(w.app.list_all("/api/v1/incidents", &admin).await.len(), 1);
    assert_eq!(
        w.app.list_all("/api/v1/maintenances", &admin).await.len(),
        1
    );
    let after = w
        .app
        .get_ok(&format!("/api/v1/incidents/{incident_id}"), &admin)
        .await;
    assert_eq!(after["title"], "Login errors");
    assert_eq!(after["status"], "investigating");
    assert_eq!(after["version"], incident["version"]);
    assert_eq!(after["updates"].as_array().unwrap().len(), 1);
    let after = w
        .app
        .get_ok(&format!("/api/v1/maintenances/{maintenance_id}"), &admin)
        .await;
    assert_eq!(
        (&after["title"], &after["description"], &after["status"]),
        (
            &maintenance["title"],
            &maintenance["description"],
            &maintenance["status"]
        )
    );

    // A name inside a longer word is not a name; the provider's own name may be used.
    w.tenant("prod", "Stark Industries", w.sma, "saas2-eu")
        .await;
    let fine = json!({"service_id": w.sma, "title": "Production latency", "impact": "degraded",
        "scope": {"kind": "service"},
        "message": "prod_eu, preprod, globex-production and the Globexian cluster are fine; Acme Cloud engineers are on it."});
    let created = w.app.post("/api/v1/incidents", &admin, &fine).await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let named = |title: &str| {
        json!({"service_id": w.sma, "title": title, "impact": "degraded",
        "scope": {"kind": "service"}, "message": "M"})
    };
    problem(
        w.app
            .post("/api/v1/incidents", &admin, &named("Errors on PROD"))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "name_in_text",
    )
    .await;

    // Names that appear after the guard has seen the directory are caught at once: a new
    // tenant, a renamed account (its old name is free again).
    let refused = |title: &'static str| {
        let (app, token, body) = (&w.app, admin.clone(), named(title));
        async move { app.post("/api/v1/incidents", &token, &body).await.status() }
    };
    assert_eq!(refused("Ledger sync errors").await, StatusCode::CREATED);
    w.tenant("ledger", "Globex", w.am, "saas3-eu").await;
    assert_eq!(
        refused("Ledger sync errors").await,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let stark = w.id("accounts", "name", "Stark Industries").await;
    let renamed = w
        .app
        .patch(
            &format!("/api/v1/accounts/{stark}"),
            &admin,
            &json!({"name": "Tony Holdings"}),
        )
        .await;
    assert_eq!(renamed.status(), StatusCode::OK);
    assert_eq!(
        refused("Tony Holdings reported it").await,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        refused("Stark Industries reported it").await,
        StatusCode::CREATED
    );
}

/// For every persona and every tenant it can read: the tenant's availability answers (JSON,
/// `.csv`, and `Accept: text/csv`), its incident count equals the incidents the caller can list
/// for it in the same window, and each of those incidents answers 200.
async fn assert_counts_match_what_each_persona_can_read(w: &World) {
    let window = last_30_days();
    for email in ALL {
        let token = w.app.token(email);
        for tenant in w.app.list_all("/api/v1/tenants?limit=200", &token).await {
            let id = tenant["id"].as_i64().unwrap();
            let figures = w
                .app
                .get_ok(
                    &format!("/api/v1/tenants/{id}/availability?{window}"),
                    &token,
                )
                .await;
            let csv = w
                .app
                .get(
                    &format!("/api/v1/tenants/{id}/availability.csv?{window}"),
                    &token,
                )
                .await;
            assert_eq!(csv.status(), StatusCode::OK, "{email} tenant {id} csv");
            let negotiated = w
                .app
                .client
                .get(w.app.url(&format!("/api/v1/tenants/{id}/availability")))
                .bearer_auth(&token)
                .header("accept", "text/csv")
                .send()
                .await
                .unwrap();
            assert_eq!(negotiated.status(), StatusCode::OK, "{email} tenant {id}");
            let listed = w
                .app
                .list_all(
                    &format!("/api/v1/incidents?tenant_id={id}&{window}"),
                    &token,
                )
                .await;
            assert_eq!(
                figures["tenant"]["incident_count"].as_u64().unwrap() as usize,
                listed.len(),
                "{email}: incidents of tenant {}",
                tenant["name"]
            );
            for incident in &listed {
                let path = format!("/api/v1/incidents/{}", incident["id"]);
                let one = w.app.get_ok(&path, &token).await;
                assert!(
                    ids(one["impacted_tenants"].as_array().unwrap()).contains(&id),
                    "{email}: {path} lists the tenant"
                );
            }
        }
    }
}

#[tokio::test]
async fn a_visible_tenant_without_a_covering_offering_has_its_availability_and_events() {
    let w = world(true).await;
    // Globex has no Operations Bridge offering; Northwind's own Asset Management tenant is not
    // covered by its partner_tenants offering (that covers its customers' tenants only).
    let bridge = w.tenant("globex-bridge", "Globex", w.ob, "saas2-eu").await;
    let assets = w
        .tenant("northwind-assets", "Northwind Partners", w.am, "saas2-eu")
        .await;
    let on_bridge = w.recorded_incident("Bridge outage", w.ob, &[bridge]).await;
    let on_assets = w.recorded_incident("Assets outage", w.am, &[assets]).await;

    for (email, tenant, incident, offerings) in [
        (GLOBEX, bridge, on_bridge, 0),
        (NORTHWIND_AT_GLOBEX, bridge, on_bridge, 0),
        // Northwind reaches Globex's tenant through its partner_tenants offering.
        (NORTHWIND, bridge, on_bridge, 1),
        (NORTHWIND, assets, on_assets, 0),
    ] {
        let token = w.app.token(email);
        let window = last_30_days();
        let figures = w
            .app
            .get_ok(
                &format!("/api/v1/tenants/{tenant}/availability?{window}"),
                &token,
            )
            .await;
        let listed = w
            .app
            .list_all(
                &format!("/api/v1/incidents?tenant_id={tenant}&{window}"),
                &token,
            )
            .await;
        assert!(ids(&listed).contains(&incident), "{email}");
        assert_eq!(
            figures["tenant"]["incident_count"].as_u64().unwrap() as usize,
            listed.len(),
            "{email}"
        );
        assert_eq!(
            figures["tenant"]["sla_target"], 99.9,
            "{email}: no covering offering of its own, or the partner's default"
        );
        let shown = w
            .app
            .get_ok(&format!("/api/v1/incidents/{incident}"), &token)
            .await;
        assert_eq!(
            ids(shown["impacted_tenants"].as_array().unwrap()),
            [tenant].into()
        );
        assert_eq!(
            shown["offerings"].as_array().unwrap().len(),
            offerings,
            "{email}"
        );
    }
    // Nobody else learns of them.
    for email in [INITECH, CONTOSO, UMBRELLA, HOOLI, STARK] {
        for incident in [on_bridge, on_assets] {
            problem(
                w.app
                    .get(
                        &format!("/api/v1/incidents/{incident}"),
                        &w.app.token(email),
                    )
                    .await,
                StatusCode::NOT_FOUND,
                "not_found",
            )
            .await;
        }
    }
    for email in [GLOBEX, INITECH] {
        problem(
            w.app
                .get(
                    &format!("/api/v1/tenants/{assets}/availability"),
                    &w.app.token(email),
                )
                .await,
            StatusCode::NOT_FOUND,
            "not_found",
        )
        .await;
    }
    assert_counts_match_what_each_persona_can_read(&w).await;
}

#[tokio::test]
async fn maintenance_aimed_at_one_tenant_shows_only_to_those_who_may_see_it() {
    let w = world(false).await;
    let admin = w.app.admin_token();
    let globex_prod = w.id("tenants", "name", "globex-prod").await;
    let eu2 = w.id("classifications", "code", "saas2-eu").await;
    let eu3 = w.id("classifications", "code", "saas3-eu").await;
    let window = w
        .maintenance(
            "Tenant migration",
            json!({"kind": "tenants", "tenant_ids": [globex_prod]}),
            json!({}),
        )
        .await;
    let id = window["id"].as_i64().unwrap();
    assert_eq!(window["impacted_label"], "Selected tenants");
    assert_eq!(window["scope"]["kind"], "tenants");
    assert_eq!(window["scope"]["tenant_ids"], json!([globex_prod]));
    assert_eq!(window["classification_ids"], json!([]));
    assert_eq!(
        ids(window["impacted_tenants"].as_array().unwrap()),
        [globex_prod].into()
    );

    let path = format!("/api/v1/maintenances/{id}");
    for email in [PROVIDER, NORTHWIND, GLOBEX, NORTHWIND_AT_GLOBEX] {
        let token = w.app.token(email);
        let seen = w.app.get_ok(&path, &token).await;
        assert_eq!(
            ids(seen["impacted_tenants"].as_array().unwrap()),
            [globex_prod].into()
        );
        let listed = w.app.list_all("/api/v1/maintenances", &token).await;
        assert_eq!(ids(&listed), [id].into(), "{email}");
        let by_tenant = w
            .app
            .list_all(
                &format!("/api/v1/maintenances?tenant_id={globex_prod}"),
                &token,
            )
            .await;
        assert_eq!(ids(&by_tenant), [id].into(), "{email}");
    }
    for email in [INITECH, CONTOSO, UMBRELLA, HOOLI, STARK] {
        let token = w.app.token(email);
        problem(
            w.app.get(&path, &token).await,
            StatusCode::NOT_FOUND,
            "not_found",
        )
        .await;
        assert!(w
            .app
            .list_all("/api/v1/maintenances", &token)
            .await
            .is_empty());
        let status = w
            .app
            .get_ok("/api/v1/status?include=impacted_tenants", &token)
            .await;
        for offering in status["offerings"].as_array().unwrap() {
            assert_eq!(offering["upcoming_maintenance"], json!([]), "{email}");
        }
    }
    // The classification filter follows the targeted tenant's classification.
    let by_class = |class: i64| {
        let app = &w.app;
        let token = admin.clone();
        async move {
            ids(&app
                .list_all(
                    &format!("/api/v1/maintenances?classification_id={class}"),
                    &token,
                )
                .await)
        }
    };
    assert_eq!(by_class(eu2).await, [id].into());
    assert!(by_class(eu3).await.is_empty());

    // Running, it puts Globex's offering under maintenance, and Northwind's partner offering;
    // Stark's offering of the same service stays operational.
    let running = w
        .app
        .patch(&path, &admin, &json!({"status": "in_progress"}))
        .await;
    assert_eq!(running.status(), StatusCode::OK);
    let status_of = |email: &'static str| {
        let app = &w.app;
        async move {
            let status = app.get_ok("/api/v1/status", &app.token(email)).await;
            status["offerings"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|o| o["status"] == "under_maintenance")
                .map(|o| o["name"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        status_of(GLOBEX).await,
        ["Service Management Automation - Globex"]
    );
    assert_eq!(
        status_of(NORTHWIND).await,
        ["Service Management Automation - Northwind Partners (Partner Tenants)"]
    );
    assert!(status_of(STARK).await.is_empty());

    // A whole-service window reaches every tenant of the service and says so.
    let everyone = w
        .maintenance("Platform patching", json!({"kind": "service"}), json!({}))
        .await;
    assert_eq!(everyone["impacted_label"], "All tenants");
    let stark = w.app.token(STARK);
    let seen = w
        .app
        .get_ok(&format!("/api/v1/maintenances/{}", everyone["id"]), &stark)
        .await;
    assert_eq!(seen["impacted_tenants"].as_array().unwrap().len(), 1);

    // Moving a classification window onto one tenant hides it from the others.
    let classes = w
        .maintenance(
            "Storage work",
            json!({"kind": "classifications", "classification_ids": [eu2]}),
            json!({}),
        )
        .await;
    let storage = format!("/api/v1/maintenances/{}", classes["id"]);
    w.app.get_ok(&storage, &stark).await;
    let moved: Value = json_with(
        w.app
            .patch(
                &storage,
                &admin,
                &json!({"scope": {"kind": "tenants", "tenant_ids": [globex_prod]}}),
            )
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(moved["impacted_label"], "Selected tenants");
    problem(
        w.app.get(&storage, &stark).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;

    // Bad scopes name their field and write nothing.
    let umbrella_assets = w.id("tenants", "name", "umbrella-assets").await;
    let before = w.app.list_all("/api/v1/maintenances", &admin).await.len();
    for (scope, extra, field) in [
        (
            json!({"kind": "tenants", "tenant_ids": [umbrella_assets]}),
            json!({}),
            "scope.tenant_ids",
        ),
        (
            json!({"kind": "tenants", "tenant_ids": []}),
            json!({}),
            "scope.tenant_ids",
        ),
        (
            json!({"kind": "service"}),
            json!({"classification_ids": [eu2]}),
            "classification_ids",
        ),
        (
            json!({"kind": "classifications", "classification_ids": [4242]}),
            json!({}),
            "scope.classification_ids",
        ),
    ] {
        let mut body = json!({"service_id": w.sma, "title": "T", "description": "D", "expected_impact": "none",
            "scheduled_start": at(Duration::days(1)), "scheduled_end": at(Duration::days(1) + Duration::hours(1)),
            "scope": scope});
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        let response = w.app.post("/api/v1/maintenances", &admin, &body).await;
        assert_eq!(
            problem_field(
                response,
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation_failed"
            )
            .await,
            field,
            "{body}"
        );
    }
    assert_eq!(
        w.app.list_all("/api/v1/maintenances", &admin).await.len(),
        before
    );
}

#[tokio::test]
async fn downtime_maintenance_aimed_at_one_tenant_counts_for_that_tenant_only() {
    let w = world(false).await;
    let globex_prod = w.id("tenants", "name", "globex-prod").await;
    let stark_prod = w.id("tenants", "name", "stark-prod").await;
    let start = OffsetDateTime::now_utc() - Duration::days(3);
    let iso = |t: OffsetDateTime| t.format(&Rfc3339).unwrap();
    w.maintenance(
        "Restore",
        json!({"kind": "tenants", "tenant_ids": [globex_prod]}),
        json!({"status": "completed", "scheduled_start": iso(start), "scheduled_end": iso(start + Duration::minutes(90))}),
    )
    .await;
    let from = iso(start - Duration::days(1)).replace('+', "%2B");
    let to = iso(start + Duration::days(1)).replace('+', "%2B");
    let planned = |tenant: i64| {
        let app = &w.app;
        let path = format!("/api/v1/tenants/{tenant}/availability?from={from}&to={to}");
        async move {
            app.get_ok(&path, &app.admin_token()).await["tenant"]["planned_downtime_minutes"]
                .as_f64()
                .unwrap()
        }
    };
    assert_eq!(planned(globex_prod).await, 90.0);
    assert_eq!(
        planned(stark_prod).await,
        0.0,
        "same classification, not aimed at"
    );
}
