//! Inputs that used to break the server (issue 9): out-of-range instants, JSON that is not one
//! object, the last provider admin, and the bearer scheme's case.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::collections::BTreeSet;

use slr_tests::{claims, json_with, problem, problem_field, spawn_app, AUDIENCE, ISSUER};

/// Sends `body` as raw bytes with a JSON content type.
async fn raw(
    app: &slr_tests::TestApp,
    method: Method,
    path: &str,
    body: &str,
) -> reqwest::Response {
    app.client
        .request(method, app.url(path))
        .bearer_auth(app.admin_token())
        .header("content-type", "application/json")
        .body(body.to_owned())
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn out_of_range_instants_answer_422_and_write_nothing() {
    let app = spawn_app().await;
    app.seed_demo();
    let admin = app.admin_token();
    let sma = app
        .id_of("services", "name", "Service Management Automation")
        .await;
    let new = |started_at: &str| {
        json!({"service_id": sma, "title": "T", "impact": "degraded", "scope": {"kind": "service"},
               "message": "M", "started_at": started_at})
    };
    for at in [
        "0000-01-01T00:00:00+23:59",
        "9999-12-31T23:59:59-23:59",
        "1969-12-31T23:59:59Z",
    ] {
        let response = app.post("/api/v1/incidents", &admin, &new(at)).await;
        assert_eq!(
            problem_field(
                response,
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation_failed"
            )
            .await,
            "started_at",
            "{at}"
        );
    }
    assert!(app.list_all("/api/v1/incidents", &admin).await.is_empty());
    // Everyone can still read.
    for path in [
        "/api/v1/incidents",
        "/api/v1/status",
        "/api/v1/maintenances",
    ] {
        assert_eq!(app.get(path, &admin).await.status(), StatusCode::OK);
    }
    let incident = app
        .create("/api/v1/incidents", &new("2026-01-01T00:00:00+02:00"))
        .await;
    assert_eq!(
        incident["started_at"], "2025-12-31T22:00:00Z",
        "normalised to UTC"
    );
    let patched = app
        .patch(
            &format!("/api/v1/incidents/{}", incident["id"]),
            &admin,
            &json!({"started_at": "0000-01-01T00:00:00+23:59"}),
        )
        .await;
    assert_eq!(
        problem_field(
            patched,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed"
        )
        .await,
        "started_at"
    );
    let eu2 = app.id_of("classifications", "code", "saas2-eu").await;
    let window = app
        .create(
            "/api/v1/maintenances",
            &json!({"service_id": sma, "title": "W", "description": "D", "expected_impact": "none",
                "classification_ids": [eu2], "scheduled_start": "2030-01-01T00:00:00Z", "scheduled_end": "2030-01-01T01:00:00Z"}),
        )
        .await;
    let patched = app
        .patch(
            &format!("/api/v1/maintenances/{}", window["id"]),
            &admin,
            &json!({"scheduled_end": "9999-12-31T23:59:59-23:59"}),
        )
        .await;
    assert_eq!(
        problem_field(
            patched,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed"
        )
        .await,
        "scheduled_end"
    );
    for path in [
        "/api/v1/incidents?from=0000-01-01T00:00:00%2B23:59",
        "/api/v1/maintenances?to=9999-12-31T23:59:59-23:59",
    ] {
        let response = app.get(path, &admin).await;
        problem(
            response,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        )
        .await;
    }
}

#[tokio::test]
async fn bodies_must_be_one_json_object_without_repeated_keys_or_trailing_text() {
    let app = spawn_app().await;
    app.seed_demo();
    let admin = app.admin_token();
    let globex = app.id_of("accounts", "name", "Globex").await;
    let tenant = app.id_of("tenants", "name", "globex-prod").await;
    let class = app.id_of("classifications", "code", "saas2-eu").await;
    let before: Value = app
        .get_ok(&format!("/api/v1/accounts/{globex}"), &admin)
        .await;
    for (method, path, body) in [
        (Method::POST, "/api/v1/services".to_owned(), r#"["x"]"#),
        (
            Method::PATCH,
            format!("/api/v1/accounts/{globex}"),
            "[null,null]",
        ),
        (
            Method::PATCH,
            format!("/api/v1/tenants/{tenant}"),
            r#"{"name":"x"} trailing"#,
        ),
        (
            Method::PATCH,
            format!("/api/v1/classifications/{class}"),
            r#"{"code":"a","code":"b"}"#,
        ),
        (
            Method::POST,
            "/api/v1/services".to_owned(),
            r#"{"name":"x","name":"y"}"#,
        ),
        (Method::POST, "/api/v1/services".to_owned(), "42"),
        (
            Method::POST,
            "/api/v1/services".to_owned(),
            r#""just text""#,
        ),
    ] {
        let response = raw(&app, method, &path, body).await;
        problem(response, StatusCode::BAD_REQUEST, "malformed_json").await;
    }
    let after: Value = app
        .get_ok(&format!("/api/v1/accounts/{globex}"), &admin)
        .await;
    assert_eq!(before["managing_partner_id"], after["managing_partner_id"]);
    assert_eq!(
        app.get_ok(&format!("/api/v1/tenants/{tenant}"), &admin)
            .await["name"],
        "globex-prod"
    );
}

#[tokio::test]
async fn the_last_provider_admin_cannot_be_demoted_or_deleted() {
    let app = spawn_app().await;
    let admin = app.admin_token();
    let me = app.get_ok("/api/v1/me", &admin).await;
    let id = me["contact"]["id"].as_i64().unwrap();
    let path = format!("/api/v1/contacts/{id}");
    let demote = app.patch(&path, &admin, &json!({"role": "viewer"})).await;
    problem(demote, StatusCode::CONFLICT, "conflict").await;
    let delete = app.delete(&path, &admin).await;
    problem(delete, StatusCode::CONFLICT, "cannot_remove_self").await;
    assert_eq!(app.get_ok(&path, &admin).await["role"], "admin");
    // With a second admin, the first may step down.
    let provider = &me["account"]["id"];
    let second = app
        .create(
            &format!("/api/v1/accounts/{provider}/contacts"),
            &json!({"email": "second@acme-cloud.example", "name": "Second", "role": "admin"}),
        )
        .await;
    assert_eq!(
        app.patch(&path, &admin, &json!({"role": "viewer"}))
            .await
            .status(),
        StatusCode::OK
    );
    let second_token = app.token("second@acme-cloud.example");
    let last = app
        .patch(
            &format!("/api/v1/contacts/{}", second["id"]),
            &second_token,
            &json!({"role": "viewer"}),
        )
        .await;
    problem(last, StatusCode::CONFLICT, "conflict").await;
}

#[tokio::test]
async fn the_bearer_scheme_is_case_insensitive_and_subjects_are_canonical() {
    let app = spawn_app().await;
    let token = app.admin_token();
    for scheme in ["bearer", "BEARER", "Bearer", "bEaReR"] {
        let response = app
            .client
            .get(app.url("/api/v1/me"))
            .header("authorization", format!("{scheme} {token}"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{scheme}");
    }
    let id = app.contact_id(slr_tests::ADMIN_EMAIL).0;
    for sub in [format!("+{id}"), format!("00{id}"), format!(" {id}")] {
        let forged = app.token_with(&claims(&sub, ISSUER, AUDIENCE, 600), app.secret.as_bytes());
        let response = app.get("/api/v1/me", &forged).await;
        problem(response, StatusCode::UNAUTHORIZED, "invalid_token").await;
    }
    let basic = app
        .client
        .get(app.url("/api/v1/me"))
        .header("authorization", "Basic dXNlcjpwYXNz")
        .send()
        .await
        .unwrap();
    problem(basic, StatusCode::UNAUTHORIZED, "invalid_token").await;
}

#[tokio::test]
async fn parallel_writes_all_land_on_either_backend() {
    let app = spawn_app().await;
    app.seed_demo();
    let admin = app.admin_token();
    let tenants = app.list_all("/api/v1/tenants?limit=200", &admin).await;
    let offerings = app.list_all("/api/v1/offerings?limit=200", &admin).await;
    let accounts: Vec<Value> = app
        .list_all("/api/v1/accounts?limit=200", &admin)
        .await
        .into_iter()
        .filter(|a| a["kind"] != "provider")
        .collect();
    let globex = app.id_of("accounts", "name", "Globex").await;
    let am = app.id_of("services", "name", "Asset Management").await;
    let class = app.id_of("classifications", "code", "saas2-eu").await;
    let mut writes: Vec<(Method, String, Value)> = Vec::new();
    for t in &tenants {
        let name = format!("{}-renamed", t["name"].as_str().unwrap());
        writes.push((
            Method::PATCH,
            format!("/api/v1/tenants/{}", t["id"]),
            json!({"name": name}),
        ));
    }
    for o in offerings.iter().filter(|o| o["kind"] == "direct") {
        writes.push((
            Method::PATCH,
            format!("/api/v1/offerings/{}", o["id"]),
            json!({"sla_target": 99.5}),
        ));
    }
    for a in &accounts {
        let name = format!("{} Renamed", a["name"].as_str().unwrap());
        writes.push((
            Method::PATCH,
            format!("/api/v1/accounts/{}", a["id"]),
            json!({"name": name}),
        ));
    }
    for i in 0..20 {
        writes.push((
            Method::POST,
            "/api/v1/tenants".to_owned(),
            json!({"name": format!("parallel-{i}"), "account_id": globex, "service_id": am, "classification_id": class}),
        ));
        writes.push((
            Method::POST,
            format!("/api/v1/accounts/{globex}/contacts"),
            json!({"email": format!("p{i}@globex.example"), "name": "P", "role": "viewer"}),
        ));
    }
    let statuses: Vec<StatusCode> =
        slr_tests::join_all(writes.iter().map(|(method, path, body)| {
            let (app, token) = (&app, &admin);
            async move {
                app.request(method.clone(), path, Some(token), Some(body))
                    .await
                    .status()
            }
        }))
        .await;
    for ((method, path, _), status) in writes.iter().zip(&statuses) {
        assert!(status.is_success(), "{method} {path}: {status}");
    }
    assert!(writes.len() >= 60, "{} parallel writes", writes.len());
}

#[tokio::test]
async fn twenty_parallel_tenants_of_one_partners_customers_on_a_new_service_all_land() {
    let app = spawn_app().await;
    app.seed_demo();
    let service = app
        .create("/api/v1/services", &json!({"name": "Parallel Service"}))
        .await["id"]
        .clone();
    let class = app.id_of("classifications", "code", "saas2-eu").await;
    let customers = [
        app.id_of("accounts", "name", "Globex").await,
        app.id_of("accounts", "name", "Initech").await,
    ];
    let admin = app.admin_token();
    let bodies: Vec<Value> = (0..20)
        .map(|i| {
            json!({"name": format!("new-{i}"), "account_id": customers[i % 2],
                   "service_id": service, "classification_id": class})
        })
        .collect();
    let statuses = slr_tests::join_all(bodies.iter().map(|body| {
        let (app, token) = (&app, &admin);
        async move { app.post("/api/v1/tenants", token, body).await.status() }
    }))
    .await;
    assert!(
        statuses.iter().all(|s| *s == StatusCode::CREATED),
        "{statuses:?}"
    );
    let partner_offerings: Vec<Value> = app
        .list_all("/api/v1/offerings?limit=200", &admin)
        .await
        .into_iter()
        .filter(|o| o["service_id"] == service && o["kind"] == "partner_tenants")
        .collect();
    assert_eq!(
        partner_offerings.len(),
        1,
        "one partner_tenants offering for Northwind"
    );
}

#[tokio::test]
async fn request_ids_are_taken_or_made_and_echoed_on_every_answer() {
    let app = spawn_app().await;
    let given = app
        .client
        .get(app.url("/api/v1/me"))
        .bearer_auth(app.admin_token())
        .header("x-request-id", "trace-42")
        .send()
        .await
        .unwrap();
    assert_eq!(given.headers()["x-request-id"], "trace-42");
    for response in [
        app.client.get(app.url("/healthz")).send().await.unwrap(),
        app.client.get(app.url("/api/v1/me")).send().await.unwrap(),
        app.client
            .get(app.url("/no/such/route"))
            .send()
            .await
            .unwrap(),
    ] {
        let id = response.headers()["x-request-id"]
            .to_str()
            .unwrap()
            .to_owned();
        assert_eq!(id.len(), 32, "{id}");
    }
}

#[tokio::test]
async fn cors_allows_configured_origins_only() {
    let app = spawn_app().await;
    let preflight = |origin: &'static str| {
        app.client
            .request(Method::OPTIONS, app.url("/api/v1/incidents"))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "authorization, content-type, idempotency-key",
            )
            .send()
    };
    let allowed = preflight(slr_tests::CORS_ORIGIN).await.unwrap();
    assert!(allowed.status().is_success(), "{}", allowed.status());
    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        slr_tests::CORS_ORIGIN
    );
    let methods = allowed.headers()["access-control-allow-methods"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        methods.contains("POST") && methods.contains("PATCH"),
        "{methods}"
    );
    let other = preflight("https://evil.example").await.unwrap();
    assert!(other.headers().get("access-control-allow-origin").is_none());
    // A simple cross-origin GET carries the header, and exposes the ETag.
    let get = app
        .client
        .get(app.url("/api/v1/me"))
        .bearer_auth(app.admin_token())
        .header("origin", slr_tests::CORS_ORIGIN)
        .send()
        .await
        .unwrap();
    assert_eq!(
        get.headers()["access-control-allow-origin"],
        slr_tests::CORS_ORIGIN
    );
    let exposed = get.headers()["access-control-expose-headers"]
        .to_str()
        .unwrap()
        .to_lowercase();
    assert!(
        exposed.contains("etag") && exposed.contains("x-request-id"),
        "{exposed}"
    );
}

#[tokio::test]
async fn a_database_outage_fails_fast_and_service_resumes_by_itself() {
    let app = spawn_app().await;
    let token = app.admin_token();
    // Every request in this test must answer within two seconds, outage or not.
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(2))
        .build()
        .unwrap();
    let get = |path: &str| client.get(app.url(path)).bearer_auth(&token).send();
    let write = |name: &str| {
        client
            .post(app.url("/api/v1/services"))
            .bearer_auth(&token)
            .json(&json!({ "name": name }))
            .send()
    };
    assert_eq!(get("/readyz").await.unwrap().status(), StatusCode::OK);
    if !app.set_database_reachable(false) {
        return; // SQLite: an embedded file cannot be down.
    }
    let ready = get("/readyz").await.expect("readyz answers within 2 s");
    assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE);
    for attempt in 0..5 {
        let response = write(&format!("During the outage {attempt}"))
            .await
            .expect("fails fast, not after the pool timeout");
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(response.headers()["retry-after"], "1");
        problem(
            response,
            StatusCode::SERVICE_UNAVAILABLE,
            "database_unavailable",
        )
        .await;
        // Reads come from the read model: they keep answering, at the last version it saw.
        assert_eq!(get("/api/v1/me").await.unwrap().status(), StatusCode::OK);
    }
    assert_eq!(
        get("/healthz").await.unwrap().status(),
        StatusCode::OK,
        "the process is alive"
    );
    app.set_database_reachable(true);
    // Polled with a deadline: service resumes without a restart.
    let mut resumed = false;
    for attempt in 0..50 {
        if write(&format!("After the outage {attempt}"))
            .await
            .is_ok_and(|r| r.status() == StatusCode::CREATED)
        {
            resumed = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(resumed, "writes succeed again once the database is back");
    assert!(app
        .list_all("/api/v1/services", &token)
        .await
        .iter()
        .all(|s| !s["name"].as_str().unwrap().starts_with("During")));
}

#[tokio::test]
async fn every_post_honours_an_idempotency_key_until_it_expires() {
    // Loopback endpoints: deliveries fail at once, nothing leaves the machine.
    let app = slr_tests::spawn_app_with(|s| {
        s.webhooks.allow_private = true;
        s.email.smtp_url = Some("smtp://127.0.0.1:9".to_owned());
        s.email.background = false;
    })
    .await;
    app.seed_demo();
    let admin = app.admin_token();
    let globex = app.id_of("accounts", "name", "Globex").await;
    let am = app.id_of("services", "name", "Asset Management").await;
    let class = app.id_of("classifications", "code", "saas2-eu").await;
    let hooli = app.id_of("accounts", "name", "Hooli").await;
    let incident = json!({
        "service_id": am, "title": "Keyed incident", "impact": "degraded",
        "scope": {"kind": "service"}, "message": "Investigating.",
    });
    let open = app.create("/api/v1/incidents", &incident).await["id"].clone();
    let hook = json!({"url": "http://127.0.0.1:9/slr", "event_types": ["incident.created"]});
    let webhook = app.create("/api/v1/webhooks", &hook).await["id"].clone();
    let ping = app
        .post(
            &format!("/api/v1/webhooks/{webhook}/test"),
            &admin,
            &json!({}),
        )
        .await;
    let delivery = json_with::<Value>(ping, StatusCode::ACCEPTED).await["id"].clone();
    // Every POST of the spec, by its path template: where to send it, the body, the status.
    let last_month = {
        let first = time::OffsetDateTime::now_utc()
            .date()
            .replace_day(1)
            .unwrap();
        let last = first - time::Duration::days(1);
        format!("{:04}-{:02}", last.year(), u8::from(last.month()))
    };
    let cases = [
        (
            "/api/v1/services",
            None,
            json!({"name": "Keyed Service"}),
            StatusCode::CREATED,
        ),
        (
            "/api/v1/classifications",
            None,
            json!({"code": "saas4-eu", "tier": 4, "region": "EU"}),
            StatusCode::CREATED,
        ),
        (
            "/api/v1/accounts",
            None,
            json!({"name": "Keyed Customer", "kind": "customer"}),
            StatusCode::CREATED,
        ),
        (
            "/api/v1/accounts/{id}/contacts",
            Some(format!("/api/v1/accounts/{globex}/contacts")),
            json!({"email": "keyed@globex.example", "name": "K", "role": "viewer"}),
            StatusCode::CREATED,
        ),
        (
            "/api/v1/tenants",
            None,
            json!({"name": "keyed-tenant", "account_id": globex, "service_id": am, "classification_id": class}),
            StatusCode::CREATED,
        ),
        (
            "/api/v1/offerings",
            None,
            json!({"service_id": am, "account_id": hooli}),
            StatusCode::CREATED,
        ),
        (
            "/api/v1/incidents",
            None,
            incident.clone(),
            StatusCode::CREATED,
        ),
        (
            "/api/v1/incidents/{id}/updates",
            Some(format!("/api/v1/incidents/{open}/updates")),
            json!({"message": "Still looking."}),
            StatusCode::CREATED,
        ),
        (
            "/api/v1/maintenances",
            None,
            json!({"service_id": am, "title": "Keyed window", "description": "Planned.",
                   "expected_impact": "none", "scope": {"kind": "service"}, "scheduled_start": slr_tests::at(time::Duration::days(3)),
                   "scheduled_end": slr_tests::at(time::Duration::days(3) + time::Duration::hours(1))}),
            StatusCode::CREATED,
        ),
        ("/api/v1/webhooks", None, hook.clone(), StatusCode::CREATED),
        (
            "/api/v1/webhooks/{id}/rotate-secret",
            Some(format!("/api/v1/webhooks/{webhook}/rotate-secret")),
            json!({"grace_seconds": 60}),
            StatusCode::OK,
        ),
        (
            "/api/v1/webhooks/{id}/test",
            Some(format!("/api/v1/webhooks/{webhook}/test")),
            json!({}),
            StatusCode::ACCEPTED,
        ),
        (
            "/api/v1/webhooks/{id}/deliveries/{delivery_id}/redeliver",
            Some(format!(
                "/api/v1/webhooks/{webhook}/deliveries/{delivery}/redeliver"
            )),
            json!({}),
            StatusCode::ACCEPTED,
        ),
        (
            "/api/v1/feed-tokens",
            None,
            json!({"name": "Keyed"}),
            StatusCode::CREATED,
        ),
        (
            "/api/v1/sla-periods",
            None,
            json!({"period": last_month}),
            StatusCode::CREATED,
        ),
        (
            "/api/v1/email-subscriptions",
            None,
            json!({"event_types": ["incident.created"]}),
            StatusCode::CREATED,
        ),
    ];
    let spec = serde_json::to_value(slr_api::openapi()).unwrap();
    let posts: BTreeSet<&str> = spec["paths"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, item)| item.get("post").is_some())
        // Idempotency keys are per caller; the anonymous one-click unsubscribe (RFC 8058) is
        // idempotent by itself (a repeat answers the same page).
        .filter(|(_, item)| item["post"]["security"] != json!([{}]))
        .map(|(path, _)| path.as_str())
        .collect();
    let covered: BTreeSet<&str> = cases.iter().map(|case| case.0).collect();
    assert_eq!(posts, covered, "every POST of the spec has a case here");
    for (at, (template, path, body, status)) in cases.iter().enumerate() {
        let operation = &spec["paths"][*template]["post"];
        assert!(
            operation["parameters"]
                .as_array()
                .is_some_and(|p| p.iter().any(|p| p["name"] == "Idempotency-Key")),
            "{template} declares Idempotency-Key"
        );
        let path = path.as_deref().unwrap_or(template);
        let key = format!("key-{at}");
        let send = || {
            app.client
                .post(app.url(path))
                .bearer_auth(&admin)
                .header("idempotency-key", &key)
                .json(body)
                .send()
        };
        let first = send().await.unwrap();
        assert_eq!(first.status(), *status, "{path}");
        let etag = first
            .headers()
            .get("etag")
            .map(|v| v.to_str().unwrap().to_owned());
        let first_body: Value = first.json().await.unwrap();
        let retry = send().await.unwrap();
        assert_eq!(retry.status(), *status, "{path}");
        assert_eq!(retry.headers()["idempotent-replayed"], "true", "{path}");
        assert_eq!(
            retry
                .headers()
                .get("etag")
                .map(|v| v.to_str().unwrap().to_owned()),
            etag,
            "{path}"
        );
        let retry_body: Value = retry.json().await.unwrap();
        assert_eq!(
            first_body, retry_body,
            "{path}: the retry wrote nothing new"
        );
        // Every 201 has an ETag; a versioned resource's names its version (for If-Match).
        if *status == StatusCode::CREATED {
            let etag = etag.unwrap_or_else(|| panic!("{path}: a 201 without ETag"));
            if let Some(version) = first_body["version"].as_i64() {
                assert!(
                    etag.starts_with(&format!("\"v{version}-")),
                    "{path}: {etag}"
                );
            }
        }
    }
    // One key made one object: one webhook besides the first, one feed token, one rotation.
    assert_eq!(app.list_all("/api/v1/webhooks", &admin).await.len(), 2);
    assert_eq!(app.list_all("/api/v1/feed-tokens", &admin).await.len(), 1);
    let hook = app
        .get_ok(&format!("/api/v1/webhooks/{webhook}"), &admin)
        .await;
    assert_eq!(hook["version"], 2, "rotated once: {hook}");
    let pings = app
        .list_all(&format!("/api/v1/webhooks/{webhook}/deliveries"), &admin)
        .await
        .into_iter()
        .filter(|d| d["event_type"] == "webhook.test")
        .count();
    assert_eq!(pings, 2, "the first ping and one keyed ping");
    // Once a key is older than the TTL (24 h here) it is forgotten: the retry creates again,
    // which for a service of the same name is a conflict.
    slr_tests::with_conn(&app, |conn| {
        use diesel::prelude::*;
        use persistence::schema::idempotency_keys as k;
        let old = time::OffsetDateTime::now_utc() - time::Duration::days(2);
        diesel::update(k::table.filter(k::idempotency_key.eq("key-0")))
            .set(k::created_at.eq(time::PrimitiveDateTime::new(old.date(), old.time())))
            .execute(conn)
            .unwrap();
    });
    let expired = app
        .client
        .post(app.url("/api/v1/services"))
        .bearer_auth(&admin)
        .header("idempotency-key", "key-0")
        .json(&cases[0].2)
        .send()
        .await
        .unwrap();
    problem(expired, StatusCode::CONFLICT, "already_exists").await;
}

#[tokio::test]
async fn rate_limits_apply_per_caller_and_per_address_with_a_problem_and_retry_after() {
    let app = slr_tests::spawn_app_with(|settings| {
        settings.rate_limit = Some(slr_api::settings::RateLimit {
            per_second: 1,
            burst: 3,
        });
    })
    .await;
    let token = app.admin_token();
    let mut statuses = Vec::new();
    for _ in 0..4 {
        statuses.push(app.get("/api/v1/me", &token).await);
    }
    for ok in &statuses[..3] {
        assert_eq!(ok.status(), StatusCode::OK);
        assert!(ok.headers().contains_key("x-ratelimit-remaining"));
    }
    let limited = statuses.pop().unwrap();
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    for header in [
        "retry-after",
        "ratelimit-limit",
        "ratelimit-remaining",
        "ratelimit-reset",
    ] {
        assert!(limited.headers().contains_key(header), "{header}");
    }
    assert_eq!(limited.headers()["ratelimit-limit"], "3");
    problem(limited, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
    // Another caller has its own allowance; requests without a token count per address.
    app.seed_demo();
    let other = app.token(slr_tests::personas::NORTHWIND);
    assert_eq!(app.get("/api/v1/me", &other).await.status(), StatusCode::OK);
    let mut anonymous = Vec::new();
    for _ in 0..4 {
        anonymous.push(
            app.client
                .get(app.url("/healthz"))
                .send()
                .await
                .unwrap()
                .status(),
        );
    }
    assert_eq!(
        anonymous.last(),
        Some(&StatusCode::TOO_MANY_REQUESTS),
        "{anonymous:?}"
    );
}

#[tokio::test]
async fn metrics_count_requests_by_route_template_and_report_the_pool_and_build() {
    let app = spawn_app().await;
    let token = app.admin_token();
    assert_eq!(
        app.get("/api/v1/incidents/12345", &token).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(app.get("/api/v1/me", &token).await.status(), StatusCode::OK);
    app.client
        .get(app.url("/wp-admin/setup.php"))
        .send()
        .await
        .unwrap();
    let text = app.metrics().await;
    for expected in [
        r#"slr_http_requests_total{endpoint="/api/v1/incidents/{id}",method="GET",status="404"} 1"#,
        r#"slr_http_requests_total{endpoint="/api/v1/me",method="GET",status="200"} 1"#,
        r#"slr_http_requests_duration_seconds_bucket{endpoint="/api/v1/me",method="GET",status="200",le="#,
        r#"endpoint="UNKNOWN""#,
        "slr_db_pool_connections ",
        "slr_db_pool_idle ",
        r#"slr_build_info{version=""#,
    ] {
        assert!(text.contains(expected), "missing {expected} in\n{text}");
    }
    assert!(!text.contains("wp-admin"), "unmatched paths are masked");
}

#[tokio::test]
async fn the_spec_declares_the_limits_the_server_enforces() {
    let app = spawn_app().await;
    let spec: Value = app
        .client
        .get(app.url("/api-docs/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let schemas = &spec["components"]["schemas"];
    assert_eq!(
        schemas["CreateIncidentRequest"]["properties"]["title"]["maxLength"],
        200
    );
    assert_eq!(
        schemas["CreateIncidentRequest"]["properties"]["message"]["maxLength"],
        5000
    );
    assert_eq!(
        schemas["CreateClassificationRequest"]["properties"]["tier"]["maximum"],
        99
    );
    assert_eq!(
        schemas["CreateOfferingRequest"]["properties"]["name"]["maxLength"],
        300
    );
    let limit = spec["paths"]["/api/v1/incidents"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "limit")
        .unwrap();
    assert_eq!(
        (&limit["schema"]["minimum"], &limit["schema"]["maximum"]),
        (&json!(1), &json!(200))
    );
    // As in JSON Schema, 2.0 is the integer 2; 2.5 is refused, naming the field.
    let admin = app.admin_token();
    let accepted = app
        .post(
            "/api/v1/classifications",
            &admin,
            &json!({"code": "saas5-eu", "tier": 2.0, "region": "EU"}),
        )
        .await;
    assert_eq!(accepted.status(), StatusCode::CREATED);
    let refused = app
        .post(
            "/api/v1/classifications",
            &admin,
            &json!({"code": "saas6-eu", "tier": 2.5, "region": "EU"}),
        )
        .await;
    assert_eq!(
        problem_field(
            refused,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed"
        )
        .await,
        "tier"
    );
}

#[tokio::test]
async fn every_write_is_audited_with_who_what_before_after_and_the_request_id() {
    let app = spawn_app().await;
    app.seed_demo();
    let admin = app.admin_token();
    let me = app.get_ok("/api/v1/me", &admin).await;
    let globex = app.id_of("accounts", "name", "Globex").await;
    let am = app.id_of("services", "name", "Asset Management").await;
    let class = app.id_of("classifications", "code", "saas2-eu").await;
    let send = |method: Method, path: String, body: Option<Value>, request_id: &'static str| {
        let app = &app;
        let admin = admin.clone();
        async move {
            let mut request = app
                .client
                .request(method, app.url(&path))
                .bearer_auth(admin)
                .header("x-request-id", request_id);
            if let Some(body) = body {
                request = request.json(&body);
            }
            request.send().await.unwrap()
        }
    };
    let created: Value = send(
        Method::POST,
        "/api/v1/tenants".to_owned(),
        Some(json!({"name": "audited", "account_id": globex, "service_id": am, "classification_id": class})),
        "audit-create",
    )
    .await
    .json()
    .await
    .unwrap();
    let path = format!("/api/v1/tenants/{}", created["id"]);
    assert_eq!(
        send(
            Method::PATCH,
            path.clone(),
            Some(json!({"name": "audited-2"})),
            "audit-update"
        )
        .await
        .status(),
        StatusCode::OK
    );
    // A refused write leaves no trace.
    let refused = send(
        Method::PATCH,
        path.clone(),
        Some(json!({"name": ""})),
        "audit-refused",
    )
    .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        send(Method::DELETE, path.clone(), None, "audit-delete")
            .await
            .status(),
        StatusCode::NO_CONTENT
    );
    let entries = app
        .list_all(
            &format!(
                "/api/v1/audit?object_type=tenant&object_id={}&limit=2",
                created["id"]
            ),
            &admin,
        )
        .await;
    let summary: Vec<(&str, &str, Value, Value)> = entries
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap(),
                e["request_id"].as_str().unwrap(),
                e["before"]["name"].clone(),
                e["after"]["name"].clone(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            ("create", "audit-create", Value::Null, json!("audited")),
            (
                "update",
                "audit-update",
                json!("audited"),
                json!("audited-2")
            ),
            ("delete", "audit-delete", json!("audited-2"), Value::Null),
        ]
    );
    for entry in &entries {
        assert_eq!(entry["contact_id"], me["contact"]["id"]);
        assert_eq!(entry["account_id"], me["account"]["id"]);
        assert!(entry["at"].is_string());
    }
    // Events too: a create, a PATCH and a timeline update.
    let sma = app
        .id_of("services", "name", "Service Management Automation")
        .await;
    let incident = app
        .create(
            "/api/v1/incidents",
            &json!({"service_id": sma, "title": "T", "impact": "degraded", "scope": {"kind": "service"}, "message": "M"}),
        )
        .await;
    let incident_path = format!("/api/v1/incidents/{}", incident["id"]);
    app.patch(&incident_path, &admin, &json!({"title": "T2"}))
        .await;
    app.post(
        &format!("{incident_path}/updates"),
        &admin,
        &json!({"message": "More."}),
    )
    .await;
    let actions: Vec<(String, String)> = app
        .list_all("/api/v1/audit?limit=200", &admin)
        .await
        .iter()
        .filter(|e| e["object_type"] != "tenant")
        .map(|e| {
            (
                e["object_type"].as_str().unwrap().to_owned(),
                e["action"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        actions,
        [
            ("incident".to_owned(), "create".to_owned()),
            ("incident".to_owned(), "update".to_owned()),
            ("incident_update".to_owned(), "create".to_owned()),
        ]
    );
    // Only provider admins read it.
    let partner = app
        .get("/api/v1/audit", &app.token(slr_tests::personas::NORTHWIND))
        .await;
    problem(partner, StatusCode::FORBIDDEN, "forbidden").await;
}

#[tokio::test]
async fn a_known_path_with_another_method_answers_405_with_allow() {
    let app = spawn_app().await;
    let token = app.admin_token();
    for (method, path, allow) in [
        (Method::DELETE, "/api/v1/me", "GET"),
        (Method::TRACE, "/healthz", "GET"),
        (Method::PUT, "/api/v1/incidents", "GET, POST"),
        (Method::POST, "/api/v1/incidents/7", "GET, PATCH"),
    ] {
        let response = app.request(method.clone(), path, Some(&token), None).await;
        assert_eq!(
            response
                .headers()
                .get("allow")
                .map(|v| v.to_str().unwrap().to_owned()),
            Some(allow.to_owned()),
            "{method} {path}"
        );
        problem(
            response,
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
        )
        .await;
    }
    let unknown = app
        .request(Method::GET, "/api/v1/nothing-here", Some(&token), None)
        .await;
    problem(unknown, StatusCode::NOT_FOUND, "route_not_found").await;
}

/// However many database steps a write takes (catching the read model up, checking, writing),
/// during an outage it answers 503 within a second: once one step found the database
/// unreachable, the request's later steps fail at once instead of each probing again.
#[tokio::test]
async fn every_write_answers_within_a_second_during_an_outage() {
    let app = spawn_app().await;
    app.seed_demo();
    let token = app.admin_token();
    let sma = app
        .id_of("services", "name", "Service Management Automation")
        .await;
    let incident = json!({"service_id": sma, "title": "Before", "impact": "degraded",
        "scope": {"kind": "service"}, "message": "Looking."});
    let id = app.create("/api/v1/incidents", &incident).await["id"].clone();
    if !app.set_database_reachable(false) {
        return; // SQLite: an embedded file cannot be down.
    }
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(1))
        .build()
        .unwrap();
    let writes = [
        (
            Method::POST,
            "/api/v1/incidents".to_owned(),
            incident.clone(),
        ),
        (
            Method::PATCH,
            format!("/api/v1/incidents/{id}"),
            json!({"title": "During"}),
        ),
        (
            Method::POST,
            format!("/api/v1/incidents/{id}/updates"),
            json!({"message": "Still."}),
        ),
        (
            Method::POST,
            "/api/v1/services".to_owned(),
            json!({"name": "During"}),
        ),
        (
            Method::POST,
            "/api/v1/feed-tokens".to_owned(),
            json!({"name": "During"}),
        ),
    ];
    for round in 0..3 {
        for (method, path, body) in &writes {
            let response = client
                .request(method.clone(), app.url(path))
                .bearer_auth(&token)
                .json(body)
                .send()
                .await
                .unwrap_or_else(|e| panic!("{method} {path} (round {round}) within 1 s: {e}"));
            problem(
                response,
                StatusCode::SERVICE_UNAVAILABLE,
                "database_unavailable",
            )
            .await;
        }
    }
    app.set_database_reachable(true);
}
