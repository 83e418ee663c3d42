//! Limits a hostile or careless client meets (issue 28): rate limits per verified caller and
//! per address, token expiry with a small leeway, recurrences that would run out of range,
//! trickled bodies, protected metrics, error texts in plain words naming every bad field, and
//! the name guard's audited way through.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{json, Value};
use time::Duration as Span;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use slr_tests::{at, claims, personas, problem, spawn_app, spawn_app_with, AUDIENCE, ISSUER};

fn low_limit(settings: &mut slr_api::Settings) {
    settings.rate_limit = Some(slr_api::settings::RateLimit {
        per_second: 1,
        burst: 3,
    });
}

async fn me(app: &slr_tests::TestApp, bearer: &str) -> StatusCode {
    app.get("/api/v1/me", bearer).await.status()
}

#[tokio::test]
async fn random_bearers_share_their_address_allowance_and_verified_callers_keep_their_own() {
    let app = spawn_app_with(low_limit).await;
    app.seed_demo();
    // A new bearer string each time does not buy a new allowance: they all count against the
    // client's address, as requests without a token do.
    let mut statuses = Vec::new();
    for i in 0..5 {
        statuses.push(me(&app, &format!("random-{i}")).await);
    }
    assert_eq!(statuses[..3], [StatusCode::UNAUTHORIZED; 3], "{statuses:?}");
    assert_eq!(
        statuses[3..],
        [StatusCode::TOO_MANY_REQUESTS; 2],
        "{statuses:?}"
    );
    let anonymous = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::TOO_MANY_REQUESTS);
    // A verified caller has its own allowance, whatever its address spent.
    let admin = app.admin_token();
    for _ in 0..3 {
        assert_eq!(me(&app, &admin).await, StatusCode::OK);
    }
    assert_eq!(me(&app, &admin).await, StatusCode::TOO_MANY_REQUESTS);
    // The allowance is the contact's: another token of the same contact shares it…
    let id = app.contact_id(slr_tests::ADMIN_EMAIL).to_string();
    let second = app.token_with(&claims(&id, ISSUER, AUDIENCE, 120), app.secret.as_bytes());
    assert_ne!(second, admin);
    assert_eq!(me(&app, &second).await, StatusCode::TOO_MANY_REQUESTS);
    // …and another contact has its own.
    let other = app.token(personas::NORTHWIND);
    assert_eq!(me(&app, &other).await, StatusCode::OK);
}

#[tokio::test]
async fn forwarded_addresses_count_only_behind_a_trusted_proxy() {
    let forwarded = |app: &slr_tests::TestApp, client: &'static str| {
        app.client
            .get(app.url("/healthz"))
            .header("x-forwarded-for", format!("{client}, 127.0.0.1"))
            .send()
    };
    // Not trusted (the default): the header is ignored, all clients are the peer address.
    let app = spawn_app_with(low_limit).await;
    for _ in 0..3 {
        assert_eq!(
            forwarded(&app, "203.0.113.1").await.unwrap().status(),
            StatusCode::OK
        );
    }
    let other = forwarded(&app, "203.0.113.2").await.unwrap();
    assert_eq!(other.status(), StatusCode::TOO_MANY_REQUESTS);
    // Behind a trusted proxy each forwarded client has its own allowance.
    let app = spawn_app_with(|settings| {
        low_limit(settings);
        settings.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
    })
    .await;
    for _ in 0..3 {
        assert_eq!(
            forwarded(&app, "203.0.113.1").await.unwrap().status(),
            StatusCode::OK
        );
    }
    let spent = forwarded(&app, "203.0.113.1").await.unwrap();
    assert_eq!(spent.status(), StatusCode::TOO_MANY_REQUESTS);
    let other = forwarded(&app, "203.0.113.2").await.unwrap();
    assert_eq!(other.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_token_is_refused_once_its_exp_plus_a_few_seconds_passed_even_if_it_was_cached() {
    let app = spawn_app().await;
    let id = app.contact_id(slr_tests::ADMIN_EMAIL).to_string();
    let leeway = i64::try_from(slr_api::http::auth::LEEWAY_SECONDS).unwrap();
    assert!(leeway <= 10, "the leeway stays a few seconds");
    let key = app.secret.clone();
    // Expired a moment longer ago than the leeway: refused on first use.
    let stale = app.token_with(
        &claims(&id, ISSUER, AUDIENCE, -(leeway + 2)),
        key.as_bytes(),
    );
    let refused = app.get("/api/v1/me", &stale).await;
    problem(refused, StatusCode::UNAUTHORIZED, "token_expired").await;
    // Valid for two seconds: accepted (and its verification cached), then refused once its
    // exp plus the leeway has passed.
    let short = claims(&id, ISSUER, AUDIENCE, 2);
    let exp = short["exp"].as_u64().unwrap();
    let token = app.token_with(&short, key.as_bytes());
    assert_eq!(me(&app, &token).await, StatusCode::OK);
    let refused_from = exp + slr_api::http::auth::LEEWAY_SECONDS + 1;
    let now = jsonwebtoken::get_current_timestamp();
    tokio::time::sleep(Duration::from_millis(
        refused_from.saturating_sub(now) * 1000 + 100,
    ))
    .await;
    let refused = app.get("/api/v1/me", &token).await;
    problem(refused, StatusCode::UNAUTHORIZED, "token_expired").await;
}

#[tokio::test]
async fn recurrences_that_break_rfc_5545_or_leave_the_supported_range_are_refused() {
    let app = spawn_app().await;
    app.seed_demo();
    let ids = app.demo_ids().await;
    let admin = app.admin_token();
    let start = Span::days(2);
    for (rule, says) in [
        ("FREQ=DAILY;COUNT=3;UNTIL=20991231T000000Z", "not both"),
        ("FREQ=YEARLY;INTERVAL=80;COUNT=100", "9000"),
        ("FREQ=YEARLY;INTERVAL=65535;COUNT=2", "COUNT=2"),
        ("FREQ=DAILY;UNTIL=99991231T000000Z", "UNTIL"),
    ] {
        let body = json!({
            "service_id": ids.sma, "title": "Patching", "description": "Planned work.",
            "expected_impact": "downtime", "classification_ids": [ids.class["saas2-eu"]],
            "scheduled_start": at(start), "scheduled_end": at(start + Span::hours(2)),
            "recurrence": rule,
        });
        let refused = app.post("/api/v1/maintenances", &admin, &body).await;
        let refused = problem(
            refused,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        )
        .await;
        assert_eq!(refused.errors[0].field, "recurrence", "{rule}");
        assert!(
            refused.errors[0].message.contains(says),
            "{rule}: {refused:?}"
        );
    }
    assert!(app
        .list_all("/api/v1/maintenances", &admin)
        .await
        .is_empty());
    // What is asked is made exactly.
    let body = json!({
        "service_id": ids.sma, "title": "Patching", "description": "Planned work.",
        "expected_impact": "downtime", "classification_ids": [ids.class["saas2-eu"]],
        "scheduled_start": at(start), "scheduled_end": at(start + Span::hours(2)),
        "recurrence": "FREQ=YEARLY;INTERVAL=1000;COUNT=6",
    });
    app.create("/api/v1/maintenances", &body).await;
    assert_eq!(app.list_all("/api/v1/maintenances", &admin).await.len(), 6);
}

#[tokio::test]
async fn a_trickled_body_is_cut_off_with_408() {
    let app = spawn_app_with(|settings| settings.body_timeout = Duration::from_millis(800)).await;
    let address = app.address.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(&address).await.unwrap();
    let head = format!(
        "POST /api/v1/accounts HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nContent-Length: 100\r\n\r\n",
        app.admin_token()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let started = std::time::Instant::now();
    let trickle = async {
        for byte in b"{\"name\": \"Slow\"".iter().cycle() {
            if stream.write_all(&[*byte]).await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
            let mut buffer = [0u8; 4096];
            let read = tokio::time::timeout(Duration::from_millis(1), stream.read(&mut buffer));
            if let Ok(Ok(n)) = read.await {
                return String::from_utf8_lossy(&buffer[..n]).into_owned();
            }
        }
        String::new()
    };
    let answer = tokio::time::timeout(Duration::from_secs(10), trickle)
        .await
        .expect("the server answers a trickled body instead of waiting for it");
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("application/problem+json"), "{answer}");
    assert!(answer.contains("request_timeout"), "{answer}");
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn metrics_can_require_a_bearer_token() {
    let token = "metrics-token-0123456789";
    let app = spawn_app_with(|settings| {
        settings.metrics_token = Some(slr_api::settings::Secret::new(token));
    })
    .await;
    let open = app.client.get(app.url("/metrics")).send().await.unwrap();
    problem(open, StatusCode::UNAUTHORIZED, "missing_token").await;
    let wrong = app.get("/metrics", "metrics-token-wrong-guess").await;
    problem(wrong, StatusCode::UNAUTHORIZED, "invalid_token").await;
    let admin = app.get("/metrics", &app.admin_token()).await;
    assert_eq!(admin.status(), StatusCode::UNAUTHORIZED);
    let scraped = app.get("/metrics", token).await;
    assert_eq!(scraped.status(), StatusCode::OK);
    assert!(scraped.text().await.unwrap().contains("slr_build_info"));
    // Without the setting, metrics stay open (the default).
    let app = spawn_app().await;
    assert!(app.metrics().await.contains("slr_build_info"));
}

/// No Rust type names or parser internals in what people read.
fn assert_plain(problem: &slr_tests::Problem) {
    let text = serde_json::to_string(problem).unwrap();
    for internal in [
        "i64",
        "u32",
        "u64",
        "i32",
        "expected",
        "invalid type",
        "invalid digit",
        "Some(",
        "`",
    ] {
        assert!(!text.contains(internal), "{internal:?} in {text}");
    }
}

#[tokio::test]
async fn every_bad_field_of_a_body_is_named_at_once_in_plain_words() {
    let app = spawn_app().await;
    app.seed_demo();
    let admin = app.admin_token();
    let body = json!({"service_id": "abc", "title": 5, "impact": "bogus",
                      "scope": {"kind": "service"}, "message": "Looking into it."});
    let refused = app.post("/api/v1/incidents", &admin, &body).await;
    let refused = problem(
        refused,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    let message = |field: &str| {
        refused
            .errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.clone())
            .unwrap_or_else(|| panic!("no {field} in {refused:?}"))
    };
    assert_eq!(refused.errors.len(), 3, "{refused:?}");
    assert_eq!(message("service_id"), "must be a whole number");
    assert_eq!(message("title"), "must be a string");
    assert_eq!(
        message("impact"),
        "must be one of degraded, partial_outage, major_outage"
    );
    assert_plain(&refused);
    // Values past the spec's limits are named with the rest.
    let body = json!({"name": "", "kind": "bogus", "managing_partner_id": "x"});
    let refused = app.post("/api/v1/accounts", &admin, &body).await;
    let refused = problem(
        refused,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    let found: Vec<(&str, &str)> = refused
        .errors
        .iter()
        .map(|e| (e.field.as_str(), e.message.as_str()))
        .collect();
    assert_eq!(
        found,
        [
            ("kind", "must be one of provider, partner, customer"),
            ("managing_partner_id", "must be a whole number"),
            ("name", "must not be empty"),
        ]
    );
    assert_plain(&refused);
    // Missing fields, an unknown one and a bad nested one, all in one answer.
    let body = json!({"name": 7, "colour": "red", "kind": "partner", "managing_partner_id": "x"});
    let refused = app.post("/api/v1/accounts", &admin, &body).await;
    let refused = problem(
        refused,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    let mut fields: Vec<&str> = refused.errors.iter().map(|e| e.field.as_str()).collect();
    fields.sort_unstable();
    assert_eq!(
        fields,
        ["colour", "managing_partner_id", "name"],
        "{refused:?}"
    );
    let refused = app.post("/api/v1/incidents", &admin, &json!({})).await;
    let refused = problem(
        refused,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    let mut fields: Vec<&str> = refused.errors.iter().map(|e| e.field.as_str()).collect();
    fields.sort_unstable();
    assert_eq!(
        fields,
        ["impact", "message", "scope", "service_id", "title"],
        "{refused:?}"
    );
    assert!(refused.errors.iter().all(|e| e.message == "is required"));
    // Query parameters too.
    let refused = app.get("/api/v1/incidents?limit=abc", &admin).await;
    let refused = problem(refused, StatusCode::BAD_REQUEST, "invalid_parameter").await;
    assert_eq!(refused.errors[0].field, "limit");
    assert_eq!(refused.errors[0].message, "must be a whole number");
    assert_plain(&refused);
    // A taken name says which field, in words.
    app.create(
        "/api/v1/accounts",
        &json!({"name": "Taken", "kind": "partner"}),
    )
    .await;
    let taken = app
        .post(
            "/api/v1/accounts",
            &admin,
            &json!({"name": "Taken", "kind": "partner"}),
        )
        .await;
    let taken = problem(taken, StatusCode::CONFLICT, "already_exists").await;
    assert_plain(&taken);
}

#[tokio::test]
async fn the_audit_log_refuses_partners_saying_it_is_for_provider_admins() {
    let app = spawn_app().await;
    app.seed_demo();
    let refused = app
        .get("/api/v1/audit", &app.token(personas::NORTHWIND))
        .await;
    let refused = problem(refused, StatusCode::FORBIDDEN, "forbidden").await;
    assert!(
        refused.detail.contains("provider admins"),
        "{}",
        refused.detail
    );
    assert!(!refused.detail.contains("change"), "{}", refused.detail);
}

#[tokio::test]
async fn an_admin_lets_a_named_word_through_explicitly_and_the_audit_log_keeps_it() {
    let app = spawn_app().await;
    app.seed_demo();
    let admin = app.admin_token();
    app.create(
        "/api/v1/accounts",
        &json!({"name": "Data", "kind": "partner"}),
    )
    .await;
    let sma = app
        .id_of("services", "name", "Service Management Automation")
        .await;
    let body = |title: &str, allow: Value| {
        json!({"service_id": sma, "title": title, "impact": "degraded",
               "scope": {"kind": "service"}, "message": "Looking into it.",
               "allow_names": allow})
    };
    // The guard still refuses by default…
    let refused = app
        .post(
            "/api/v1/incidents",
            &admin,
            &body("Data export slow", json!([])),
        )
        .await;
    problem(refused, StatusCode::UNPROCESSABLE_ENTITY, "name_in_text").await;
    // …lets exactly the listed name through…
    let created = app
        .post(
            "/api/v1/incidents",
            &admin,
            &body("Data export slow", json!(["Data"])),
        )
        .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let id = created.json::<Value>().await.unwrap()["id"]
        .as_i64()
        .unwrap();
    // …and no other: an allowance for Data does not pass Northwind.
    let refused = app
        .post(
            "/api/v1/incidents",
            &admin,
            &body("Data export slow for Northwind Partners", json!(["Data"])),
        )
        .await;
    problem(refused, StatusCode::UNPROCESSABLE_ENTITY, "name_in_text").await;
    // Only names the guard knows may be listed.
    let refused = app
        .post(
            "/api/v1/incidents",
            &admin,
            &body("Cloud export slow", json!(["Cloud"])),
        )
        .await;
    let refused = problem(
        refused,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert_eq!(refused.errors[0].field, "allow_names");
    // The audit log says who let which name through on what.
    let entries = app
        .list_all("/api/v1/audit?object_type=name_allowance", &admin)
        .await;
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(entries[0]["object_id"], id);
    assert_eq!(entries[0]["after"]["object_type"], "incident");
    assert_eq!(entries[0]["after"]["allow_names"], json!(["Data"]));
    assert_eq!(
        entries[0]["contact_id"],
        app.contact_id(slr_tests::ADMIN_EMAIL).0
    );
}

/// An account keeps at most the configured number of webhook endpoints and email
/// subscriptions: one more answers 409 `limit_reached` naming the limit, other accounts are
/// not affected, and deleting one makes room again.
#[tokio::test]
async fn webhook_endpoints_and_email_subscriptions_are_capped_per_account() {
    let receiver = slr_tests::smtp::Receiver::start(0).await;
    let url = receiver.url.clone();
    let app = spawn_app_with(move |s| {
        s.webhooks.allow_private = true;
        s.email.smtp_url = Some(url);
        s.limits = slr_api::settings::AccountLimits {
            webhooks: 2,
            email_subscriptions: 2,
        };
    })
    .await;
    app.seed_demo();
    let (alice, carol) = (app.token(personas::NORTHWIND), app.token(personas::GLOBEX));
    let hook = |n: u32| json!({"url": format!("http://127.0.0.1:9/hook-{n}"), "event_types": ["incident.created"]});
    let mut made = Vec::new();
    for n in 0..2 {
        let created = app.post("/api/v1/webhooks", &alice, &hook(n)).await;
        assert_eq!(created.status(), StatusCode::CREATED);
        made.push(created.json::<Value>().await.unwrap()["id"].clone());
    }
    let refused = problem(
        app.post("/api/v1/webhooks", &alice, &hook(2)).await,
        StatusCode::CONFLICT,
        "limit_reached",
    )
    .await;
    assert!(
        refused.detail.contains("SLR_MAX_WEBHOOKS_PER_ACCOUNT") && refused.detail.contains('2'),
        "{}",
        refused.detail
    );
    // Another account has its own allowance.
    let other = app.post("/api/v1/webhooks", &carol, &hook(3)).await;
    assert_eq!(other.status(), StatusCode::CREATED);
    // Deleting one makes room again.
    let gone = app
        .delete(&format!("/api/v1/webhooks/{}", made[0]), &alice)
        .await;
    assert_eq!(gone.status(), StatusCode::NO_CONTENT);
    let again = app.post("/api/v1/webhooks", &alice, &hook(4)).await;
    assert_eq!(again.status(), StatusCode::CREATED);

    let subscriptions = "/api/v1/email-subscriptions";
    for body in [json!({}), json!({"email": "ops@northwind.example"})] {
        let created = app.post(subscriptions, &alice, &body).await;
        assert_eq!(created.status(), StatusCode::CREATED);
    }
    let third = json!({"email": "noc@northwind.example"});
    let refused = problem(
        app.post(subscriptions, &alice, &third).await,
        StatusCode::CONFLICT,
        "limit_reached",
    )
    .await;
    assert!(
        refused
            .detail
            .contains("SLR_MAX_EMAIL_SUBSCRIPTIONS_PER_ACCOUNT"),
        "{}",
        refused.detail
    );
}
