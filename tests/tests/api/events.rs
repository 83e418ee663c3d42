//! Incidents, maintenance and the status overview, per persona, on the demo directory:
//! Northwind manages Globex and Initech, Contoso manages Umbrella and Hooli, Stark is direct.

use std::collections::BTreeMap;

use reqwest::StatusCode;
use serde_json::{json, Value};
use slr_tests::personas::{
    CONTOSO, GLOBEX, INITECH, NORTHWIND, NORTHWIND_AT_GLOBEX, PROVIDER, STARK, UMBRELLA,
};
use slr_tests::{at, json_with, problem, problem_field, spawn_app, TestApp};
use time::Duration;

struct World {
    app: TestApp,
    sma: i64,
    am: i64,
    ob: i64,
    class: BTreeMap<&'static str, i64>,
}

async fn world() -> World {
    let app = spawn_app().await;
    app.seed_demo();
    let sma = app
        .id_of("services", "name", "Service Management Automation")
        .await;
    let am = app.id_of("services", "name", "Asset Management").await;
    let ob = app.id_of("services", "name", "Operations Bridge").await;
    let mut class = BTreeMap::new();
    for code in ["saas2-eu", "saas3-eu", "saas2-us", "saas3-us"] {
        class.insert(code, app.id_of("classifications", "code", code).await);
    }
    World {
        app,
        sma,
        am,
        ob,
        class,
    }
}

impl World {
    async fn incident(&self, title: &str, service: i64, scope: Value) -> i64 {
        let body = json!({"service_id": service, "title": title, "impact": "partial_outage", "scope": scope, "message": "Looking into it."});
        self.app.create("/api/v1/incidents", &body).await["id"]
            .as_i64()
            .unwrap()
    }

    async fn maintenance(
        &self,
        title: &str,
        service: i64,
        classes: &[&str],
        days_ahead: i64,
    ) -> Value {
        let ids: Vec<i64> = classes.iter().map(|c| self.class[c]).collect();
        let body = json!({
            "service_id": service, "title": title, "description": "Planned work.", "expected_impact": "downtime",
            "scheduled_start": at(Duration::days(days_ahead)), "scheduled_end": at(Duration::days(days_ahead) + Duration::hours(2)),
            "classification_ids": ids,
        });
        self.app.create("/api/v1/maintenances", &body).await
    }

    async fn tenant(&self, name: &str) -> i64 {
        self.app.id_of("tenants", "name", name).await
    }

    /// title → sorted impacted tenant names, from a list endpoint with
    /// `include=impacted_tenants`; checks the default list (counts, no tenant lists) and each
    /// event's paged `impacted-tenants` agree with it.
    async fn seen(&self, path: &str, email: &str) -> BTreeMap<String, Vec<String>> {
        let token = self.app.token(email);
        let included = self
            .app
            .list_all(&format!("{path}?include=impacted_tenants"), &token)
            .await;
        let plain = self.app.list_all(path, &token).await;
        assert_eq!(plain.len(), included.len());
        for (plain, full) in plain.iter().zip(&included) {
            assert_eq!(plain["id"], full["id"]);
            assert!(plain.get("impacted_tenants").is_none(), "{plain}");
            assert_eq!(plain["offerings"], full["offerings"]);
            let names = tenant_names(full);
            assert_eq!(plain["impacted_tenant_count"], names.len());
            let paged = self
                .app
                .list_all(
                    &format!("{path}/{}/impacted-tenants?limit=2", full["id"]),
                    &token,
                )
                .await;
            let mut paged: Vec<String> = paged
                .iter()
                .map(|t| t["name"].as_str().unwrap().to_owned())
                .collect();
            paged.sort();
            assert_eq!(paged, names);
        }
        included
            .iter()
            .map(|event| {
                (
                    event["title"].as_str().unwrap().to_owned(),
                    tenant_names(event),
                )
            })
            .collect()
    }
}

fn tenant_names(event: &Value) -> Vec<String> {
    let mut names: Vec<String> = event["impacted_tenants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_owned())
        .collect();
    names.sort();
    names
}

/// Event titles with the impacted tenant names a persona should see.
type Expected<'a> = &'a [(&'a str, &'a [&'a str])];

fn expect(pairs: &[(&str, &[&str])]) -> BTreeMap<String, Vec<String>> {
    pairs
        .iter()
        .map(|(t, names)| (t.to_string(), names.iter().map(|n| n.to_string()).collect()))
        .collect()
}

#[tokio::test]
async fn every_persona_sees_exactly_the_events_on_its_offerings_with_its_own_tenants() {
    let w = world().await;
    let initech_only = w
        .incident(
            "US tier 2 errors",
            w.sma,
            json!({"kind": "classifications", "classification_ids": [w.class["saas2-us"]]}),
        )
        .await;
    w.incident("Service-wide slowness", w.sma, json!({"kind": "service"}))
        .await;
    let umbrella_assets = w.tenant("umbrella-assets").await;
    let targeted = w
        .incident(
            "Import failures",
            w.am,
            json!({"kind": "tenants", "tenant_ids": [umbrella_assets]}),
        )
        .await;
    w.maintenance("Network work", w.ob, &["saas2-eu", "saas3-us"], 3)
        .await;
    // A window aimed at one customer's tenant: that customer, its partner and the provider.
    w.app
        .create(
            "/api/v1/maintenances",
            &json!({"service_id": w.am, "title": "Tenant restore", "description": "Restoring a backup.",
                "expected_impact": "downtime", "scope": {"kind": "tenants", "tenant_ids": [umbrella_assets]},
                "scheduled_start": at(Duration::days(4)), "scheduled_end": at(Duration::days(4) + Duration::hours(1))}),
        )
        .await;

    let all_sma: &[&str] = &[
        "globex-analytics",
        "globex-prod",
        "hooli-prod",
        "initech-prod",
        "northwind-internal",
        "stark-prod",
        "umbrella-prod",
    ];
    // (persona, incidents with impacted tenants, maintenance with tenants that may be impacted)
    let cases: &[(&str, Expected, Expected)] = &[
        (
            PROVIDER,
            &[
                ("US tier 2 errors", &["initech-prod"]),
                ("Service-wide slowness", all_sma),
                ("Import failures", &["umbrella-assets"]),
            ],
            &[
                ("Network work", &["contoso-internal", "hooli-ops"]),
                ("Tenant restore", &["umbrella-assets"]),
            ],
        ),
        (
            NORTHWIND,
            &[
                ("US tier 2 errors", &["initech-prod"]),
                (
                    "Service-wide slowness",
                    &[
                        "globex-analytics",
                        "globex-prod",
                        "initech-prod",
                        "northwind-internal",
                    ],
                ),
            ],
            &[],
        ),
        (
            CONTOSO,
            &[
                ("Service-wide slowness", &["hooli-prod", "umbrella-prod"]),
                ("Import failures", &["umbrella-assets"]),
            ],
            &[
                ("Network work", &["contoso-internal", "hooli-ops"]),
                ("Tenant restore", &["umbrella-assets"]),
            ],
        ),
        (
            GLOBEX,
            &[(
                "Service-wide slowness",
                &["globex-analytics", "globex-prod"],
            )],
            &[],
        ),
        (
            NORTHWIND_AT_GLOBEX,
            &[(
                "Service-wide slowness",
                &["globex-analytics", "globex-prod"],
            )],
            &[],
        ),
        (
            INITECH,
            &[
                ("US tier 2 errors", &["initech-prod"]),
                ("Service-wide slowness", &["initech-prod"]),
            ],
            &[],
        ),
        (
            UMBRELLA,
            &[
                ("Service-wide slowness", &["umbrella-prod"]),
                ("Import failures", &["umbrella-assets"]),
            ],
            &[("Tenant restore", &["umbrella-assets"])],
        ),
        (STARK, &[("Service-wide slowness", &["stark-prod"])], &[]),
    ];
    for (email, incidents, maintenance) in cases {
        assert_eq!(
            w.seen("/api/v1/incidents", email).await,
            expect(incidents),
            "incidents of {email}"
        );
        assert_eq!(
            w.seen("/api/v1/maintenances", email).await,
            expect(maintenance),
            "maintenance of {email}"
        );
        // The status overview agrees with the lists: the same incidents, and per offering
        // counts that add up to the caller's impacted tenants.
        let status = w
            .app
            .get_ok(
                "/api/v1/status?include=impacted_tenants",
                &w.app.token(email),
            )
            .await;
        let mut from_status: BTreeMap<String, usize> = BTreeMap::new();
        for offering in status["offerings"].as_array().unwrap() {
            for incident in offering["active_incidents"].as_array().unwrap() {
                let count = incident["impacted_tenant_count"].as_u64().unwrap() as usize;
                *from_status
                    .entry(incident["title"].as_str().unwrap().to_owned())
                    .or_default() += count;
            }
        }
        let from_lists: BTreeMap<String, usize> = expect(incidents)
            .into_iter()
            .map(|(t, names)| (t, names.len()))
            .collect();
        if *email == PROVIDER {
            // The provider sees a customer's tenant through both the customer's and the
            // partner's offering, so only the incidents themselves are compared.
            assert!(
                from_status.keys().eq(from_lists.keys()),
                "status of {email}"
            );
        } else {
            assert_eq!(from_status, from_lists, "status of {email}");
        }
    }

    // Gets agree, and out-of-scope ids answer 404.
    let token = w.app.token(INITECH);
    let incident = w
        .app
        .get_ok(&format!("/api/v1/incidents/{initech_only}"), &token)
        .await;
    assert_eq!(tenant_names(&incident), ["initech-prod"]);
    assert_eq!(incident["offerings"].as_array().unwrap().len(), 1);
    for email in [GLOBEX, CONTOSO, STARK, NORTHWIND_AT_GLOBEX] {
        let response = w
            .app
            .get(
                &format!("/api/v1/incidents/{initech_only}"),
                &w.app.token(email),
            )
            .await;
        problem(response, StatusCode::NOT_FOUND, "not_found").await;
    }
    problem(
        w.app
            .get(
                &format!("/api/v1/incidents/{targeted}"),
                &w.app.token(NORTHWIND),
            )
            .await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    // A partner's view names the offering the event shows on: its partner_tenants offering.
    let via_partner = w
        .app
        .get_ok(
            &format!("/api/v1/incidents/{initech_only}"),
            &w.app.token(NORTHWIND),
        )
        .await;
    assert_eq!(
        via_partner["offerings"][0]["name"],
        "Service Management Automation - Northwind Partners (Partner Tenants)"
    );
}

#[tokio::test]
async fn maintenance_shows_its_label_and_may_impact_tenants_by_classification() {
    let w = world().await;
    let m = w
        .maintenance("Database upgrade", w.sma, &["saas2-eu", "saas3-eu"], 2)
        .await;
    assert_eq!(m["impacted_label"], "SaaS 2 & 3 EU-hosted Tenants");
    assert_eq!(m["status"], "scheduled");
    assert_eq!(m["phase"], "upcoming");
    let m2 = w
        .maintenance("Storage work", w.sma, &["saas2-eu", "saas2-us"], 4)
        .await;
    assert_eq!(m2["impacted_label"], "SaaS 2 EU- & US-hosted Tenants");

    let path = format!("/api/v1/maintenances/{}/impacted-tenants", m["id"]);
    let names = |items: Vec<Value>| {
        items
            .iter()
            .map(|t| t["name"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        names(
            w.app
                .list_all(&format!("{path}?limit=1"), &w.app.token(NORTHWIND))
                .await
        ),
        ["globex-prod", "globex-analytics", "northwind-internal"]
    );
    assert_eq!(
        names(w.app.list_all(&path, &w.app.token(STARK)).await),
        ["stark-prod"]
    );
    problem(
        w.app.get(&path, &w.app.token(INITECH)).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;

    // Filters: by classification and phase.
    let eu3 = w.class["saas3-eu"];
    let only_eu3 = w
        .app
        .list_all(
            &format!("/api/v1/maintenances?classification_id={eu3}"),
            &w.app.admin_token(),
        )
        .await;
    assert_eq!(only_eu3.len(), 1);
    assert!(w
        .app
        .list_all("/api/v1/maintenances?phase=past", &w.app.admin_token())
        .await
        .is_empty());
    assert_eq!(
        w.app
            .list_all("/api/v1/maintenances?phase=upcoming", &w.app.admin_token())
            .await
            .len(),
        2
    );
}

#[tokio::test]
async fn maintenance_status_transitions_record_actual_times() {
    let w = world().await;
    let m = w.maintenance("Upgrade", w.ob, &["saas2-us"], 1).await;
    let path = format!("/api/v1/maintenances/{}", m["id"]);
    let admin = w.app.admin_token();
    let running: Value = json_with(
        w.app
            .patch(&path, &admin, &json!({"status": "in_progress"}))
            .await,
        StatusCode::OK,
    )
    .await;
    assert!(running["actual_start"].is_string());
    assert_eq!(running["phase"], "active");
    let status = w.app.get_ok("/api/v1/status", &w.app.token(INITECH)).await;
    let ob = status["offerings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["service_id"] == w.ob)
        .unwrap()
        .clone();
    assert_eq!(ob["status"], "under_maintenance");
    let done: Value = json_with(
        w.app
            .patch(&path, &admin, &json!({"status": "completed"}))
            .await,
        StatusCode::OK,
    )
    .await;
    assert!(done["actual_end"].is_string());
    let again = w
        .app
        .patch(&path, &admin, &json!({"status": "in_progress"}))
        .await;
    assert_eq!(
        problem_field(again, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await,
        "status"
    );
}

#[tokio::test]
async fn incident_lifecycle_and_timeline() {
    let w = world().await;
    let id = w
        .incident("Login errors", w.sma, json!({"kind": "service"}))
        .await;
    let admin = w.app.admin_token();
    let updates = format!("/api/v1/incidents/{id}/updates");
    let post = |body: Value| {
        let (app, path, token) = (&w.app, updates.clone(), admin.clone());
        async move { app.post(&path, &token, &body).await }
    };
    assert_eq!(
        post(json!({"status": "identified", "message": "Cause found."}))
            .await
            .status(),
        StatusCode::CREATED
    );
    let back = post(json!({"status": "investigating", "message": "Hm."})).await;
    assert_eq!(
        problem_field(back, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await,
        "status"
    );
    assert_eq!(
        post(json!({"status": "resolved", "message": "Fixed."}))
            .await
            .status(),
        StatusCode::CREATED
    );
    let resolved = w
        .app
        .get_ok(&format!("/api/v1/incidents/{id}"), &admin)
        .await;
    assert_eq!(resolved["status"], "resolved");
    assert!(resolved["resolved_at"].is_string());
    let no_reopen = post(json!({"status": "investigating", "message": "Back again."})).await;
    problem(
        no_reopen,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert_eq!(
        post(json!({"status": "investigating", "reopen": true, "message": "Back again."}))
            .await
            .status(),
        StatusCode::CREATED
    );
    let reopened = w
        .app
        .get_ok(&format!("/api/v1/incidents/{id}"), &w.app.token(GLOBEX))
        .await;
    assert!(reopened["resolved_at"].is_null());
    let timeline: Vec<&str> = reopened["updates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        timeline,
        ["investigating", "identified", "resolved", "investigating"]
    );
    assert!(
        reopened["updates"][0]["author_contact_id"].is_null(),
        "customers do not see provider contact ids"
    );
    // The timeline is a page like every other list.
    let first: Value = json_with(
        w.app.get(&format!("{updates}?limit=3"), &admin).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(first["items"].as_array().unwrap().len(), 3);
    assert!(first["items"][0]["author_contact_id"].is_i64());
    let cursor = first["next_cursor"].as_str().expect("a next page");
    let rest: Value = json_with(
        w.app
            .get(&format!("{updates}?limit=3&cursor={cursor}"), &admin)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(rest["items"][0]["status"], "investigating");
    assert!(rest["next_cursor"].is_null());
    assert_eq!(w.app.list_all(&updates, &admin).await.len(), 4);

    // A reopen without a status reopens to investigating; a reopen to resolved is refused.
    post(json!({"status": "resolved", "message": "Fixed again."})).await;
    let to_resolved = post(json!({"status": "resolved", "reopen": true, "message": "?"})).await;
    assert_eq!(
        problem_field(
            to_resolved,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed"
        )
        .await,
        "status"
    );
    let reopen = post(json!({"reopen": true, "message": "Seen again."})).await;
    assert_eq!(reopen.status(), StatusCode::CREATED);
    let entry: Value = reopen.json().await.unwrap();
    assert_eq!(entry["status"], "investigating");
    let incident = w
        .app
        .get_ok(&format!("/api/v1/incidents/{id}"), &admin)
        .await;
    assert_eq!(incident["status"], "investigating");
    assert!(incident["resolved_at"].is_null());
}

#[tokio::test]
async fn stale_if_match_answers_412_and_a_fresh_one_applies() {
    let w = world().await;
    let id = w
        .incident("Slow search", w.sma, json!({"kind": "service"}))
        .await;
    let path = format!("/api/v1/incidents/{id}");
    let admin = w.app.admin_token();
    let first = w.app.get(&path, &admin).await;
    let etag = first.headers()["etag"].to_str().unwrap().to_owned();
    let patched = w
        .app
        .client
        .patch(w.app.url(&path))
        .bearer_auth(&admin)
        .header("If-Match", &etag)
        .json(&json!({"impact": "major_outage"}))
        .send()
        .await
        .unwrap();
    assert_eq!(patched.status(), StatusCode::OK);
    let patched: Value = patched.json().await.unwrap();
    assert_eq!(
        (patched["impact"].as_str(), patched["version"].as_i64()),
        (Some("major_outage"), Some(2))
    );
    let stale = w
        .app
        .client
        .patch(w.app.url(&path))
        .bearer_auth(&admin)
        .header("If-Match", &etag)
        .json(&json!({"impact": "degraded"}))
        .send()
        .await
        .unwrap();
    problem(
        stale,
        StatusCode::PRECONDITION_FAILED,
        "precondition_failed",
    )
    .await;
    assert_eq!(
        w.app.get_ok(&path, &admin).await["impact"],
        "major_outage",
        "the stale write changed nothing"
    );
}

#[tokio::test]
async fn polling_with_if_none_match_gets_304_until_something_changes() {
    let w = world().await;
    w.incident("Slow search", w.sma, json!({"kind": "service"}))
        .await;
    let token = w.app.token(GLOBEX);
    for path in ["/api/v1/status", "/api/v1/incidents", "/api/v1/tenants"] {
        let first = w.app.get(path, &token).await;
        let etag = first.headers()["etag"].to_str().unwrap().to_owned();
        let again = w
            .app
            .client
            .get(w.app.url(path))
            .bearer_auth(&token)
            .header("If-None-Match", &etag)
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED, "{path}");
        assert_eq!(again.headers()["etag"].to_str().unwrap(), etag);
        assert!(again.bytes().await.unwrap().is_empty());
    }
    let first = w.app.get("/api/v1/status", &token).await;
    let etag = first.headers()["etag"].to_str().unwrap().to_owned();
    w.incident("Second problem", w.sma, json!({"kind": "service"}))
        .await;
    let changed = w
        .app
        .client
        .get(w.app.url("/api/v1/status"))
        .bearer_auth(&token)
        .header("If-None-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(changed.status(), StatusCode::OK);
}

async fn incident_count(w: &World) -> usize {
    w.app
        .list_all("/api/v1/incidents", &w.app.admin_token())
        .await
        .len()
}

#[tokio::test]
async fn a_retried_post_with_the_same_idempotency_key_creates_once() {
    let w = world().await;
    let admin = w.app.admin_token();
    let body = json!({"service_id": w.sma, "title": "Outage", "impact": "major_outage", "scope": {"kind": "service"}, "message": "Down."});
    let send = |key: &'static str, body: Value| {
        let (app, token) = (&w.app, admin.clone());
        async move {
            app.client
                .post(app.url("/api/v1/incidents"))
                .bearer_auth(token)
                .header("Idempotency-Key", key)
                .json(&body)
                .send()
                .await
                .unwrap()
        }
    };
    let first = send("key-1", body.clone()).await;
    assert_eq!(first.status(), StatusCode::CREATED);
    let first: Value = first.json().await.unwrap();
    let retry = send("key-1", body.clone()).await;
    assert_eq!(retry.status(), StatusCode::CREATED);
    assert_eq!(retry.headers()["idempotent-replayed"], "true");
    let retry: Value = retry.json().await.unwrap();
    assert_eq!(retry["id"], first["id"]);
    assert_eq!(incident_count(&w).await, 1);
    let mut other = body.clone();
    other["title"] = json!("Something else");
    let reused = send("key-1", other).await;
    assert_eq!(
        problem_field(
            reused,
            StatusCode::UNPROCESSABLE_ENTITY,
            "idempotency_key_reused"
        )
        .await,
        "Idempotency-Key"
    );
    assert_eq!(incident_count(&w).await, 1);
}

#[tokio::test]
async fn concurrent_retries_with_one_idempotency_key_create_once() {
    let w = world().await;
    let admin = w.app.admin_token();
    let body = json!({"service_id": w.sma, "title": "Outage", "impact": "major_outage", "scope": {"kind": "service"}, "message": "Down."});
    let requests = (0..8).map(|_| {
        w.app
            .client
            .post(w.app.url("/api/v1/incidents"))
            .bearer_auth(&admin)
            .header("Idempotency-Key", "same")
            .json(&body)
            .send()
    });
    let responses = slr_tests::join_all(requests).await;
    let mut ids = Vec::new();
    for response in responses {
        let response = response.unwrap();
        assert_eq!(response.status(), StatusCode::CREATED);
        ids.push(response.json::<Value>().await.unwrap()["id"].clone());
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "{ids:?}");
    assert_eq!(incident_count(&w).await, 1);
}

/// Runs the futures concurrently (tokio tasks would need 'static borrows).
#[tokio::test]
async fn bad_event_input_is_refused_by_field_and_writes_nothing() {
    let w = world().await;
    let admin = w.app.admin_token();
    let incident = |patch: Value| {
        let mut body = json!({"service_id": w.sma, "title": "T", "impact": "degraded", "scope": {"kind": "service"}, "message": "M"});
        for (k, v) in patch.as_object().unwrap() {
            body[k] = v.clone();
        }
        body
    };
    let cases = [
        (incident(json!({"impact": "apocalypse"})), "impact"),
        (
            incident(json!({"started_at": at(Duration::hours(2))})),
            "started_at",
        ),
        (
            incident(json!({"scope": {"kind": "classifications", "classification_ids": []}})),
            "scope.classification_ids",
        ),
        (
            incident(json!({"scope": {"kind": "classifications", "classification_ids": [9999]}})),
            "scope.classification_ids",
        ),
        (
            incident(json!({"scope": {"kind": "tenants", "tenant_ids": []}})),
            "scope.tenant_ids",
        ),
        (incident(json!({"service_id": 9999})), "service_id"),
    ];
    for (body, field) in cases {
        let response = w.app.post("/api/v1/incidents", &admin, &body).await;
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
    assert_eq!(incident_count(&w).await, 0);

    let maintenance = |patch: Value| {
        let mut body = json!({"service_id": w.sma, "title": "T", "description": "D", "expected_impact": "downtime",
            "scheduled_start": at(Duration::days(1)), "scheduled_end": at(Duration::days(1) + Duration::hours(1)),
            "classification_ids": [w.class["saas2-eu"]]});
        for (k, v) in patch.as_object().unwrap() {
            body[k] = v.clone();
        }
        body
    };
    let cases = [
        (
            maintenance(json!({"scheduled_end": at(Duration::hours(1))})),
            "scheduled_end",
        ),
        (
            maintenance(json!({"classification_ids": [4242]})),
            "classification_ids",
        ),
        (
            maintenance(json!({"classification_ids": []})),
            "classification_ids",
        ),
        (
            maintenance(json!({"expected_impact": "some"})),
            "expected_impact",
        ),
        (
            maintenance(json!({"scheduled_start": "tomorrow"})),
            "scheduled_start",
        ),
    ];
    for (body, field) in cases {
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
    assert!(w
        .app
        .list_all("/api/v1/maintenances", &admin)
        .await
        .is_empty());
    let bad_window = w
        .app
        .get(
            "/api/v1/incidents?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z",
            &admin,
        )
        .await;
    assert_eq!(
        problem_field(
            bad_window,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed"
        )
        .await,
        "to"
    );
}

#[tokio::test]
async fn only_provider_admins_write_events() {
    let w = world().await;
    let visible = w
        .incident("Visible to Northwind", w.sma, json!({"kind": "service"}))
        .await;
    let umbrella_assets = w.tenant("umbrella-assets").await;
    let hidden = w
        .incident(
            "Contoso only",
            w.am,
            json!({"kind": "tenants", "tenant_ids": [umbrella_assets]}),
        )
        .await;
    let partner = w.app.token(NORTHWIND);
    let body = json!({"service_id": w.sma, "title": "T", "impact": "degraded", "scope": {"kind": "service"}, "message": "M"});
    problem(
        w.app.post("/api/v1/incidents", &partner, &body).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    let viewer = w.app.token("ops@acme-cloud.example");
    problem(
        w.app.post("/api/v1/incidents", &viewer, &body).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    let change = json!({"title": "Mine now"});
    problem(
        w.app
            .patch(&format!("/api/v1/incidents/{visible}"), &partner, &change)
            .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    problem(
        w.app
            .patch(&format!("/api/v1/incidents/{hidden}"), &partner, &change)
            .await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    let update = json!({"message": "hello"});
    problem(
        w.app
            .post(
                &format!("/api/v1/incidents/{visible}/updates"),
                &partner,
                &update,
            )
            .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    problem(
        w.app
            .post(
                &format!("/api/v1/incidents/{hidden}/updates"),
                &partner,
                &update,
            )
            .await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
}

#[tokio::test]
async fn the_demo_status_is_interesting_for_every_persona() {
    let app = spawn_app().await;
    app.seed_demo_with_events();
    for email in [
        NORTHWIND,
        CONTOSO,
        GLOBEX,
        INITECH,
        UMBRELLA,
        STARK,
        NORTHWIND_AT_GLOBEX,
        "admin@acme-cloud.example",
    ] {
        let status = app
            .get_ok("/api/v1/status?include=impacted_tenants", &app.token(email))
            .await;
        let offerings = status["offerings"].as_array().unwrap();
        assert!(!offerings.is_empty(), "{email}");
        let events: usize = offerings
            .iter()
            .map(|o| {
                o["active_incidents"].as_array().unwrap().len()
                    + o["upcoming_maintenance"].as_array().unwrap().len()
            })
            .sum();
        assert!(events > 0, "{email} sees a quiet status page");
    }
    let history = app
        .list_all(
            "/api/v1/incidents?active=false&limit=100",
            &app.admin_token(),
        )
        .await;
    assert!(
        history.len() >= 30,
        "90 days of resolved incidents, got {}",
        history.len()
    );
}

/// `GET /status` answers the summary by default: per-offering counts, and each active incident
/// and running window once with the offerings it shows on; it agrees with the full form
/// (`include=impacted_tenants`), in fewer bytes.
#[tokio::test]
async fn the_status_summary_says_what_the_full_form_says_each_event_once() {
    let app = spawn_app().await;
    app.seed_demo_with_events();
    let mut checked = BTreeMap::<&str, usize>::new();
    for email in [NORTHWIND, GLOBEX, STARK, "admin@acme-cloud.example"] {
        let token = app.token(email);
        let full = app
            .get_ok("/api/v1/status?include=impacted_tenants", &token)
            .await;
        let summary = app.get_ok("/api/v1/status", &token).await;
        if [NORTHWIND, "admin@acme-cloud.example"].contains(&email) {
            // Their events show on several offerings: listed once, they take fewer bytes.
            let (short, long) = (summary.to_string().len(), full.to_string().len());
            assert!(short < long, "{email}: summary {short} B, full {long} B");
        }
        let full_offerings = full["offerings"].as_array().unwrap();
        let offerings = summary["offerings"].as_array().unwrap();
        assert_eq!(offerings.len(), full_offerings.len(), "{email}");
        for (short, long) in offerings.iter().zip(full_offerings) {
            for key in ["offering_id", "name", "kind", "service_id", "status"] {
                assert_eq!(short[key], long[key], "{email} {key}");
            }
            for (count, list) in [
                ("active_incident_count", "active_incidents"),
                ("upcoming_maintenance_count", "upcoming_maintenance"),
            ] {
                assert_eq!(
                    short[count].as_u64().unwrap() as usize,
                    long[list].as_array().unwrap().len(),
                    "{email} {count}"
                );
            }
        }
        for (list, full_list, collection) in [
            ("active_incidents", "active_incidents", "incidents"),
            ("active_maintenance", "upcoming_maintenance", "maintenances"),
        ] {
            // Each running event of the full form's offerings, once, naming those offerings.
            let mut expected: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
            for offering in full_offerings {
                let events = offering[full_list].as_array().unwrap();
                let running = events
                    .iter()
                    .filter(|e| e.get("phase").is_none_or(|p| p == "active"));
                for event in running {
                    expected
                        .entry(event["id"].as_i64().unwrap())
                        .or_default()
                        .push(offering["offering_id"].as_i64().unwrap());
                }
            }
            let events = summary[list].as_array().unwrap();
            let listed: BTreeMap<i64, Vec<i64>> = events
                .iter()
                .map(|e| {
                    let offerings = e["offering_ids"].as_array().unwrap();
                    let ids = offerings.iter().map(|o| o.as_i64().unwrap()).collect();
                    (e["id"].as_i64().unwrap(), ids)
                })
                .collect();
            assert_eq!(listed, expected, "{email} {list}");
            assert_eq!(listed.len(), events.len(), "{email}: each {list} once");
            *checked.entry(list).or_default() += events.len();
            // Its tenant count is the caller's, as the event itself says.
            for event in events {
                let id = event["id"].as_i64().unwrap();
                let own = app
                    .get_ok(&format!("/api/v1/{collection}/{id}"), &token)
                    .await;
                assert_eq!(
                    event["impacted_tenant_count"].as_u64().unwrap() as usize,
                    own["impacted_tenants"].as_array().unwrap().len(),
                    "{email} {collection}/{id}"
                );
            }
        }
    }
    // The demo has both kinds running: neither check above was vacuous.
    assert!(checked.values().all(|n| *n > 0), "{checked:?}");
}
