//! Signed webhooks: account admins register endpoints; every incident or maintenance write
//! puts one delivery per subscribed endpoint in the outbox, in its own transaction, with the
//! event as that endpoint's account sees it; workers (one per replica) send each once, signed
//! per the Standard Webhooks spec, retrying with backoff. A real local receiver checks all of it.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use reqwest::StatusCode;
use serde_json::{json, Value};
use slr_tests::{json_with, problem_field, spawn_app, spawn_app_with, DemoIds, TestApp};

/// One request the receiver got.
#[derive(Debug, Clone)]
struct Received {
    path: String,
    headers: reqwest::header::HeaderMap,
    body: String,
    /// What the receiver answered.
    status: u16,
}

impl Received {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap()
    }

    fn message_id(&self) -> String {
        self.headers["webhook-id"].to_str().unwrap().to_owned()
    }

    /// Whether the Standard Webhooks signature verifies with `secret`.
    fn verifies(&self, secret: &str) -> bool {
        standardwebhooks::Webhook::new(secret)
            .unwrap()
            .verify(self.body.as_bytes(), &self.headers)
            .is_ok()
    }
}

/// A local HTTP receiver: records every request; answers 503 to the first `failures` requests
/// of each path, then 204.
#[derive(Clone)]
struct Receiver {
    url: String,
    received: Arc<Mutex<Vec<Received>>>,
    failures: Arc<AtomicUsize>,
}

impl Receiver {
    async fn start(failures: usize) -> Self {
        let received: Arc<Mutex<Vec<Received>>> = Arc::default();
        let failures = Arc::new(AtomicUsize::new(failures));
        let (log, failing) = (Arc::clone(&received), Arc::clone(&failures));
        let server = HttpServer::new(move || {
            let (log, failing) = (Arc::clone(&log), Arc::clone(&failing));
            App::new().default_service(web::to(move |req: HttpRequest, body: web::Bytes| {
                let (log, failing) = (Arc::clone(&log), Arc::clone(&failing));
                async move {
                    let mut headers = reqwest::header::HeaderMap::new();
                    for (name, value) in req.headers() {
                        headers.insert(
                            reqwest::header::HeaderName::from_bytes(name.as_str().as_bytes())
                                .unwrap(),
                            reqwest::header::HeaderValue::from_bytes(value.as_bytes()).unwrap(),
                        );
                    }
                    let fail = failing
                        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                        .is_ok();
                    let status = if fail { 503 } else { 204 };
                    log.lock().unwrap().push(Received {
                        path: req.path().to_owned(),
                        headers,
                        body: String::from_utf8(body.to_vec()).unwrap(),
                        status,
                    });
                    if fail {
                        HttpResponse::ServiceUnavailable().finish()
                    } else {
                        HttpResponse::NoContent().finish()
                    }
                }
            }))
        })
        .workers(1)
        .bind("127.0.0.1:0")
        .unwrap();
        let port = server.addrs()[0].port();
        tokio::spawn(server.run());
        Self {
            url: format!("http://127.0.0.1:{port}"),
            received,
            failures,
        }
    }

    fn at(&self, path: &str) -> Vec<Received> {
        self.received
            .lock()
            .unwrap()
            .iter()
            .filter(|r| r.path == path)
            .cloned()
            .collect()
    }

    /// Waits (up to 20 s) until `done` holds for what `path` received.
    async fn wait_for(&self, path: &str, done: impl Fn(&[Received]) -> bool) -> Vec<Received> {
        let started = Instant::now();
        loop {
            let got = self.at(path);
            if done(&got) {
                return got;
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "{path} received {} requests: {got:#?}",
                got.len()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// An app that accepts loopback receivers and retries fast.
async fn app() -> TestApp {
    let app = spawn_app_with(|s| {
        s.webhooks.allow_private = true;
        s.webhooks.poll = Duration::from_millis(50);
        s.webhooks.retry_base = Duration::from_millis(100);
        s.webhooks.retry_cap = Duration::from_millis(400);
    })
    .await;
    app.seed_demo();
    app
}

/// Like [`app`] without the background worker: a test sends what is due with [`drain`] and
/// reads what arrived, with nothing to wait for.
async fn drained_app() -> TestApp {
    let app = spawn_app_with(|s| {
        s.webhooks.allow_private = true;
        s.webhooks.background = false;
    })
    .await;
    app.seed_demo();
    app
}

/// Sends every delivery due now, then what `path` has received.
async fn drain(app: &TestApp, receiver: &Receiver, path: &str) -> Vec<Received> {
    app.deliver_due().await;
    receiver.at(path)
}

/// Registers an endpoint as `email`; returns (id, secret).
async fn register(app: &TestApp, email: &str, url: &str, events: &[&str]) -> (i64, String) {
    let response = app
        .post(
            "/api/v1/webhooks",
            &app.token(email),
            &json!({"url": url, "event_types": events, "description": "Dashboard"}),
        )
        .await;
    let created: Value = json_with(response, StatusCode::CREATED).await;
    assert!(created["secret"].as_str().unwrap().starts_with("whsec_"));
    (
        created["id"].as_i64().unwrap(),
        created["secret"].as_str().unwrap().to_owned(),
    )
}

/// An incident over these classifications; its id.
async fn incident(app: &TestApp, ids: &DemoIds, classes: &[&str]) -> i64 {
    let classes: Vec<i64> = classes.iter().map(|c| ids.class[c]).collect();
    app.create(
        "/api/v1/incidents",
        &json!({"service_id": ids.sma, "title": "Login failures", "impact": "major_outage",
                "scope": {"kind": "classifications", "classification_ids": classes},
                "message": "Investigating."}),
    )
    .await["id"]
        .as_i64()
        .unwrap()
}

/// Alice (Northwind's admin) registers `receiver`'s `/hook` for `events`.
async fn alice_hook(app: &TestApp, receiver: &Receiver, events: &[&str]) -> (i64, String) {
    register(
        app,
        "alice@northwind.example",
        &format!("{}/hook", receiver.url),
        events,
    )
    .await
}

fn tenant_names(payload: &Value) -> Vec<String> {
    let mut names: Vec<String> = payload["data"]["impacted_tenants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_owned())
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn each_account_gets_one_signed_delivery_naming_only_its_own_tenants() {
    let app = drained_app().await;
    let ids = app.demo_ids().await;
    let receiver = Receiver::start(0).await;
    let events = ["incident.created", "incident.resolved"];
    let (partner_hook, partner_secret) = register(
        &app,
        "alice@northwind.example",
        &format!("{}/northwind", receiver.url),
        &events,
    )
    .await;
    let (_, customer_secret) = register(
        &app,
        "carol@globex.example",
        &format!("{}/globex", receiver.url),
        &events,
    )
    .await;
    // Umbrella's only SMA tenant is saas3-eu: the incident does not touch it.
    register(
        &app,
        "uma@umbrella.example",
        &format!("{}/umbrella", receiver.url),
        &events,
    )
    .await;

    let id = incident(&app, &ids, &["saas2-eu", "saas2-us"]).await;

    let partner = drain(&app, &receiver, "/northwind").await;
    let customer = drain(&app, &receiver, "/globex").await;
    // One message for the partner, naming both of its affected customers' tenants.
    assert_eq!(partner.len(), 1);
    let message = &partner[0];
    assert!(message.verifies(&partner_secret));
    assert!(!message.verifies(&customer_secret));
    let payload = message.json();
    assert_eq!(payload["type"], "incident.created");
    assert_eq!(payload["data"]["id"], id);
    assert_eq!(tenant_names(&payload), ["globex-prod", "initech-prod"]);
    assert_eq!(payload["data"]["impacted_tenant_count"], 2);
    for other in [
        "stark-prod",
        "hooli-prod",
        "umbrella-prod",
        "Stark",
        "Contoso",
    ] {
        assert!(
            !message.body.contains(other),
            "{other} leaked: {}",
            message.body
        );
    }
    assert_eq!(customer.len(), 1);
    assert!(customer[0].verifies(&customer_secret));
    assert_eq!(tenant_names(&customer[0].json()), ["globex-prod"]);
    assert!(!customer[0].body.contains("initech"));

    // Resolving is announced too; updates nobody subscribed to are not.
    let admin = app.admin_token();
    let update = app
        .post(
            &format!("/api/v1/incidents/{id}/updates"),
            &admin,
            &json!({"status": "monitoring", "message": "Fix deployed."}),
        )
        .await;
    assert_eq!(update.status(), StatusCode::CREATED);
    let update = app
        .post(
            &format!("/api/v1/incidents/{id}/updates"),
            &admin,
            &json!({"status": "resolved", "message": "Resolved."}),
        )
        .await;
    assert_eq!(update.status(), StatusCode::CREATED);
    let partner = drain(&app, &receiver, "/northwind").await;
    assert_eq!(partner.len(), 2, "the second delivery arrived, and only it");
    let resolved = partner[1].json();
    assert_eq!(resolved["type"], "incident.resolved");
    assert_eq!(resolved["data"]["status"], "resolved");
    assert_ne!(partner[0].message_id(), partner[1].message_id());

    // The endpoint's deliveries, newest first, each with its attempt.
    let deliveries = app
        .get_ok(
            &format!("/api/v1/webhooks/{partner_hook}/deliveries"),
            &app.token("alice@northwind.example"),
        )
        .await;
    let items = deliveries["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["event_type"], "incident.resolved");
    assert_eq!(items[1]["state"], "delivered");
    assert_eq!(items[1]["attempts"][0]["status"], 204);
    assert_eq!(items[1]["message_id"], partner[0].message_id());
    assert!(receiver.at("/umbrella").is_empty());
}

#[tokio::test]
async fn without_a_background_worker_a_turn_on_demand_sends_each_delivery_once() {
    let app = spawn_app_with(|s| {
        s.webhooks.allow_private = true;
        s.webhooks.background = false;
    })
    .await;
    app.seed_demo();
    let ids = app.demo_ids().await;
    let receiver = Receiver::start(0).await;
    let (_, secret) = alice_hook(&app, &receiver, &["incident.created"]).await;
    let id = incident(&app, &ids, &["saas2-eu"]).await;
    // Nothing sends it until a turn runs; the turn returns once it was received.
    assert_eq!(app.deliver_due().await, 1);
    let got = receiver.at("/hook");
    assert_eq!(got.len(), 1);
    assert!(got[0].verifies(&secret));
    assert_eq!(got[0].json()["data"]["id"], id);
    // Delivered: another turn finds nothing due.
    assert_eq!(app.deliver_due().await, 0);
    assert_eq!(receiver.at("/hook").len(), 1);
}

#[tokio::test]
async fn a_receiver_that_is_down_gets_the_message_once_it_is_back() {
    let app = app().await;
    let ids = app.demo_ids().await;
    // The first three attempts fail (503), the fourth succeeds.
    let receiver = Receiver::start(3).await;
    let (hook, secret) = alice_hook(&app, &receiver, &["incident.created"]).await;
    incident(&app, &ids, &["saas2-eu"]).await;
    let got = receiver
        .wait_for("/hook", |r| r.iter().any(|r| r.status == 204))
        .await;
    assert_eq!(got.len(), 4, "three failures, then one success");
    // Every attempt is the same message, signed afresh.
    assert!(got.iter().all(|r| r.message_id() == got[0].message_id()));
    assert!(got.iter().all(|r| r.verifies(&secret)));
    // Nothing more is sent once it was delivered.
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(receiver.at("/hook").len(), 4);

    let alice = app.token("alice@northwind.example");
    let delivery = &app
        .get_ok(&format!("/api/v1/webhooks/{hook}/deliveries"), &alice)
        .await["items"][0];
    assert_eq!(delivery["state"], "delivered");
    let attempts = delivery["attempts"].as_array().unwrap();
    let statuses: Vec<i64> = attempts
        .iter()
        .map(|a| a["status"].as_i64().unwrap())
        .collect();
    assert_eq!(statuses, [503, 503, 503, 204]);
    assert!(attempts[0]["error"].as_str().unwrap().contains("503"));
    // Backoff: the waits between attempts grow.
    let at = |i: usize| {
        time::OffsetDateTime::parse(
            attempts[i]["attempted_at"].as_str().unwrap(),
            &time::format_description::well_known::Rfc3339,
        )
        .unwrap()
    };
    assert!(at(3) - at(2) > at(1) - at(0), "{attempts:#?}");
    let hook = app
        .get_ok(&format!("/api/v1/webhooks/{hook}"), &alice)
        .await;
    assert_eq!(hook["consecutive_failures"], 0);
    assert_eq!(hook["enabled"], true);
}

#[tokio::test]
async fn two_replicas_send_every_delivery_exactly_once() {
    let app = app().await;
    let replica = app.replica();
    let ids = app.demo_ids().await;
    let receiver = Receiver::start(0).await;
    alice_hook(&app, &receiver, &["incident.created", "incident.updated"]).await;
    let admin = app.admin_token();
    // Writes through both replicas, concurrently.
    let writes = (0..30).map(|n| {
        let (server, admin, sma, class) = (
            if n % 2 == 0 { &app } else { &replica },
            admin.clone(),
            ids.sma,
            ids.class["saas2-eu"],
        );
        async move {
            let response = server
                .post(
                    "/api/v1/incidents",
                    &admin,
                    &json!({"service_id": sma, "title": format!("Incident {n}"), "impact": "degraded",
                            "scope": {"kind": "classifications", "classification_ids": [class]},
                            "message": "Investigating."}),
                )
                .await;
            assert_eq!(response.status(), StatusCode::CREATED);
        }
    });
    slr_tests::join_all(writes).await;
    let got = receiver.wait_for("/hook", |r| r.len() >= 30).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let got_after = receiver.at("/hook");
    assert_eq!(got_after.len(), got.len());
    let mut per_message: BTreeMap<String, usize> = BTreeMap::new();
    for r in &got_after {
        *per_message.entry(r.message_id()).or_default() += 1;
    }
    assert_eq!(per_message.len(), 30);
    assert!(per_message.values().all(|n| *n == 1), "{per_message:?}");
    let mut titles: Vec<String> = got_after
        .iter()
        .map(|r| r.json()["data"]["title"].as_str().unwrap().to_owned())
        .collect();
    titles.sort();
    titles.dedup();
    assert_eq!(titles.len(), 30);
}

#[tokio::test]
async fn integrations_are_the_accounts_own_admins_write_viewers_read_others_get_404() {
    let app = app().await;
    let alice = app.token("alice@northwind.example");
    let (hook, _) = register(
        &app,
        "alice@northwind.example",
        "http://127.0.0.1:9/hook",
        &["incident.created"],
    )
    .await;
    // Another account, the provider included, cannot see it.
    for email in [
        "carol@globex.example",
        "dave@contoso.example",
        "admin@acme-cloud.example",
    ] {
        let token = app.token(email);
        let response = app.get(&format!("/api/v1/webhooks/{hook}"), &token).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{email}");
        let response = app
            .patch(
                &format!("/api/v1/webhooks/{hook}"),
                &token,
                &json!({"enabled": false}),
            )
            .await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{email}");
        let listed = app.get_ok("/api/v1/webhooks", &token).await;
        assert_eq!(listed["items"], json!([]), "{email}");
    }
    // A viewer (Dave at Contoso) reads its account's integrations but cannot create them.
    let dave = app.token("dave@contoso.example");
    let response = app
        .post(
            "/api/v1/webhooks",
            &dave,
            &json!({"url": "http://127.0.0.1:9/x", "event_types": ["incident.created"]}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let response = app
        .post("/api/v1/feed-tokens", &dave, &json!({"name": "Calendar"}))
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    // The secret is never shown again.
    let shown = app
        .get_ok(&format!("/api/v1/webhooks/{hook}"), &alice)
        .await;
    assert!(shown.get("secret").is_none());
    assert_eq!(shown["event_types"], json!(["incident.created"]));

    // Filters name only what the account can see.
    let stark_offering = app
        .id_of(
            "offerings",
            "name",
            "Service Management Automation - Stark Industries",
        )
        .await;
    let response = app
        .post(
            "/api/v1/webhooks",
            &alice,
            &json!({"url": "http://127.0.0.1:9/x", "event_types": ["incident.created"], "offering_ids": [stark_offering]}),
        )
        .await;
    assert_eq!(
        problem_field(
            response,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed"
        )
        .await,
        "offering_ids"
    );
    // Unknown event types, none at all, bad URLs: 4xx naming the field.
    for (body, field) in [
        (
            json!({"url": "http://127.0.0.1:9/x", "event_types": []}),
            "event_types",
        ),
        (
            json!({"url": "ftp://127.0.0.1/x", "event_types": ["incident.created"]}),
            "url",
        ),
        (
            json!({"url": "not a url", "event_types": ["incident.created"]}),
            "url",
        ),
    ] {
        let response = app.post("/api/v1/webhooks", &alice, &body).await;
        assert_eq!(
            problem_field(
                response,
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation_failed"
            )
            .await,
            field
        );
    }
    let response = app
        .post(
            "/api/v1/webhooks",
            &alice,
            &json!({"url": "http://127.0.0.1:9/x", "event_types": ["incident.deleted"]}),
        )
        .await;
    assert!(response.status().is_client_error());

    // Deleting takes it away.
    let response = app
        .delete(&format!("/api/v1/webhooks/{hook}"), &alice)
        .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let response = app.get(&format!("/api/v1/webhooks/{hook}"), &alice).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn webhook_urls_must_be_public_https_unless_private_targets_are_allowed() {
    let app = spawn_app().await;
    app.seed_demo();
    let alice = app.token("alice@northwind.example");
    for url in [
        "http://hooks.example.com/slr",
        "https://127.0.0.1/hook",
        "https://localhost/hook",
        "https://10.0.0.8/hook",
        "https://169.254.169.254/latest",
        "https://[::1]/hook",
        // IPv6 forms that reach IPv4 or private space: NAT64 (on such a network this is
        // 169.254.169.254), local-use NAT64, 6to4, IPv4-compatible, IPv4-mapped, Teredo,
        // site-local, unique-local, link-local, multicast, documentation, unspecified.
        "https://[64:ff9b::a9fe:a9fe]/latest/meta-data",
        "https://[64:ff9b::10.0.0.1]/hook",
        "https://[64:ff9b:1::808:808]/hook",
        "https://[2002:a9fe:a9fe::1]/hook",
        "https://[2002:c0a8:101::1]/hook",
        "https://[::a9fe:a9fe]/hook",
        "https://[::127.0.0.1]/hook",
        "https://[::ffff:169.254.169.254]/hook",
        "https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/hook",
        "https://[fec0::1]/hook",
        "https://[fd12:3456::1]/hook",
        "https://[fe80::1]/hook",
        "https://[ff02::1]/hook",
        "https://[2001:db8::1]/hook",
        "https://[::]/hook",
        // IPv4 special ranges beyond the private ones.
        "https://100.64.0.1/hook",
        "https://198.18.0.1/hook",
        "https://192.0.0.170/hook",
        "https://0.0.0.0/hook",
        "https://255.255.255.255/hook",
        "https://240.0.0.1/hook",
        "https://2130706433/hook",
    ] {
        let response = app
            .post(
                "/api/v1/webhooks",
                &alice,
                &json!({"url": url, "event_types": ["incident.created"]}),
            )
            .await;
        assert_eq!(
            problem_field(
                response,
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation_failed"
            )
            .await,
            "url",
            "{url}"
        );
    }
    let response = app
        .post(
            "/api/v1/webhooks",
            &alice,
            &json!({"url": "https://hooks.example.com/slr", "event_types": ["incident.created"]}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn a_rotated_secret_and_the_old_one_both_sign_during_the_grace_period() {
    let app = drained_app().await;
    let ids = app.demo_ids().await;
    let receiver = Receiver::start(0).await;
    let (hook, old) = alice_hook(&app, &receiver, &["incident.created"]).await;
    let alice = app.token("alice@northwind.example");
    let rotated: Value = json_with(
        app.post(
            &format!("/api/v1/webhooks/{hook}/rotate-secret"),
            &alice,
            &json!({"grace_seconds": 3600}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let new = rotated["secret"].as_str().unwrap().to_owned();
    assert_ne!(new, old);
    assert!(rotated["previous_secret_expires_at"].is_string());
    incident(&app, &ids, &["saas2-eu"]).await;
    let got = drain(&app, &receiver, "/hook").await;
    assert!(got[0].verifies(&new) && got[0].verifies(&old));

    // Without a grace period only the new secret signs.
    let rotated: Value = json_with(
        app.post(
            &format!("/api/v1/webhooks/{hook}/rotate-secret"),
            &alice,
            &json!({"grace_seconds": 0}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let newest = rotated["secret"].as_str().unwrap().to_owned();
    incident(&app, &ids, &["saas2-eu"]).await;
    let got = drain(&app, &receiver, "/hook").await;
    assert_eq!(got.len(), 2, "the second delivery arrived, and only it");
    assert!(got[1].verifies(&newest));
    assert!(!got[1].verifies(&new));
    // Only its account's admins rotate.
    let response = app
        .post(
            &format!("/api/v1/webhooks/{hook}/rotate-secret"),
            &app.token("carol@globex.example"),
            &json!({}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn an_endpoint_failing_too_often_is_disabled_and_resumes_when_enabled() {
    let app = spawn_app_with(|s| {
        s.webhooks.allow_private = true;
        s.webhooks.poll = Duration::from_millis(50);
        s.webhooks.retry_base = Duration::from_millis(50);
        s.webhooks.retry_cap = Duration::from_millis(100);
        s.webhooks.disable_after = 3;
    })
    .await;
    app.seed_demo();
    let ids = app.demo_ids().await;
    let receiver = Receiver::start(1000).await;
    let (hook, _) = alice_hook(&app, &receiver, &["incident.created"]).await;
    incident(&app, &ids, &["saas2-eu"]).await;
    receiver.wait_for("/hook", |r| r.len() >= 3).await;
    let alice = app.token("alice@northwind.example");
    let started = Instant::now();
    let shown = loop {
        let shown = app
            .get_ok(&format!("/api/v1/webhooks/{hook}"), &alice)
            .await;
        if shown["enabled"] == false || started.elapsed() > Duration::from_secs(10) {
            break shown;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(shown["enabled"], false, "{shown}");
    assert!(shown["disabled_reason"].as_str().unwrap().contains("503"));
    assert_eq!(shown["consecutive_failures"], 3);
    // Disabled: no more attempts, and new events are not queued for it.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(receiver.at("/hook").len(), 3);

    // Back up and re-enabled: the pending delivery goes out.
    receiver.failures.store(0, Ordering::SeqCst);
    let response = app
        .patch(
            &format!("/api/v1/webhooks/{hook}"),
            &alice,
            &json!({"enabled": true}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let got = receiver
        .wait_for("/hook", |r| r.iter().any(|r| r.status == 204))
        .await;
    assert_eq!(got.len(), 4);
}

#[tokio::test]
async fn a_ping_and_a_redelivery_go_out_on_request() {
    let app = drained_app().await;
    let receiver = Receiver::start(0).await;
    let (hook, secret) = register(
        &app,
        "carol@globex.example",
        &format!("{}/hook", receiver.url),
        &["maintenance.scheduled"],
    )
    .await;
    let carol = app.token("carol@globex.example");
    let ping: Value = json_with(
        app.post(&format!("/api/v1/webhooks/{hook}/test"), &carol, &json!({}))
            .await,
        StatusCode::ACCEPTED,
    )
    .await;
    assert_eq!(ping["event_type"], "webhook.test");
    let got = drain(&app, &receiver, "/hook").await;
    assert!(got[0].verifies(&secret));
    assert_eq!(got[0].json()["type"], "webhook.test");
    assert_eq!(got[0].json()["data"]["webhook_id"], hook);

    let delivery = ping["id"].as_i64().unwrap();
    let again: Value = json_with(
        app.post(
            &format!("/api/v1/webhooks/{hook}/deliveries/{delivery}/redeliver"),
            &carol,
            &json!({}),
        )
        .await,
        StatusCode::ACCEPTED,
    )
    .await;
    assert_eq!(again["state"], "pending");
    let got = drain(&app, &receiver, "/hook").await;
    assert_eq!(got.len(), 2, "the second delivery arrived, and only it");
    assert_eq!(got[1].message_id(), got[0].message_id());
    let shown = app
        .get_ok(
            &format!("/api/v1/webhooks/{hook}/deliveries/{delivery}"),
            &carol,
        )
        .await;
    assert_eq!(shown["attempts"].as_array().unwrap().len(), 2);
    // Another account cannot see or redeliver it.
    let alice = app.token("alice@northwind.example");
    let response = app
        .get(
            &format!("/api/v1/webhooks/{hook}/deliveries/{delivery}"),
            &alice,
        )
        .await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let response = app
        .post(
            &format!("/api/v1/webhooks/{hook}/deliveries/{delivery}/redeliver"),
            &alice,
            &json!({}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn finished_deliveries_are_purged_after_thirty_days_pending_ones_never() {
    let app = app().await;
    let (hook, _) = register(
        &app,
        "alice@northwind.example",
        "http://127.0.0.1:9/hook",
        &["incident.created"],
    )
    .await;
    // Disabled, so the worker leaves its deliveries alone.
    let alice = app.token("alice@northwind.example");
    let response = app
        .patch(
            &format!("/api/v1/webhooks/{hook}"),
            &alice,
            &json!({"enabled": false}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    slr_tests::with_conn(&app, |conn| {
        use diesel::prelude::*;
        use persistence::schema::webhook_deliveries as d;
        let now = time::OffsetDateTime::now_utc();
        for (message, state, days) in [
            ("old-done", "delivered", 40),
            ("old-pending", "pending", 40),
            ("new-done", "failed", 2),
        ] {
            let created = now - time::Duration::days(days);
            let created = time::PrimitiveDateTime::new(created.date(), created.time());
            diesel::insert_into(d::table)
                .values((
                    d::webhook_id.eq(hook),
                    d::message_id.eq(message),
                    d::event_type.eq("incident.created"),
                    d::payload.eq("{}"),
                    d::state.eq(state),
                    d::attempts.eq(1),
                    d::next_attempt_at.eq(created),
                    d::created_at.eq(created),
                ))
                .execute(conn)
                .unwrap();
        }
    });
    // A new replica's worker purges at its first turn.
    let replica = app.replica();
    let started = Instant::now();
    loop {
        let listed = replica
            .get_ok(&format!("/api/v1/webhooks/{hook}/deliveries"), &alice)
            .await;
        let mut ids: Vec<&str> = listed["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["message_id"].as_str().unwrap())
            .collect();
        ids.sort();
        if ids == ["new-done", "old-pending"] {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "{ids:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn publishing_a_report_announces_it_once_to_the_accounts_the_incident_reaches() {
    let app = drained_app().await;
    let ids = app.demo_ids().await;
    let receiver = Receiver::start(0).await;
    let (_, secret) = alice_hook(&app, &receiver, &["incident.report_published"]).await;
    let (_, _) = register(
        &app,
        "uma@umbrella.example",
        &format!("{}/umbrella", receiver.url),
        &["incident.report_published"],
    )
    .await;
    let id = incident(&app, &ids, &["saas2-eu"]).await;
    let admin = app.admin_token();
    app.post(
        &format!("/api/v1/incidents/{id}/updates"),
        &admin,
        &json!({"status": "resolved", "message": "Fixed."}),
    )
    .await;
    let write = |publish: bool, summary: &'static str| {
        let app = &app;
        let admin = admin.clone();
        async move {
            let body = json!({"summary": summary, "root_cause": "An expired certificate.",
                              "remediation": "Renewal alerts.", "publish": publish});
            let path = format!("/api/v1/incidents/{id}/report");
            let response = app
                .request(reqwest::Method::PUT, &path, Some(&admin), Some(&body))
                .await;
            assert_eq!(response.status(), StatusCode::OK);
        }
    };
    write(false, "Draft.").await;
    assert!(
        drain(&app, &receiver, "/hook").await.is_empty(),
        "a draft announces nothing"
    );
    write(true, "Logins failed for 40 minutes.").await;
    write(true, "Logins failed for 40 minutes; corrected.").await;
    let got = drain(&app, &receiver, "/hook").await;
    assert_eq!(got.len(), 1, "published once, announced once: {got:#?}");
    assert!(got[0].verifies(&secret));
    let payload = got[0].json();
    assert_eq!(payload["type"], "incident.report_published");
    assert_eq!(payload["data"]["id"], id);
    assert_eq!(
        payload["data"]["report"]["summary"],
        "Logins failed for 40 minutes."
    );
    assert_eq!(tenant_names(&payload), ["globex-prod"]);
    assert!(
        receiver.at("/umbrella").is_empty(),
        "Umbrella has no saas2-eu tenant"
    );
}

/// The instant of an RFC 3339 field of `value`.
fn instant(value: &Value, field: &str) -> time::OffsetDateTime {
    time::OffsetDateTime::parse(
        value[field].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap()
}

/// A window over saas2-eu (Northwind's globex-prod) from `start` for an hour, from now.
async fn window(app: &TestApp, ids: &DemoIds, start: time::Duration, extra: Value) -> Value {
    let mut body = json!({
        "service_id": ids.sma, "title": "Database upgrade", "description": "Planned work.",
        "expected_impact": "downtime", "classification_ids": [ids.class["saas2-eu"]],
        "scheduled_start": slr_tests::at(start),
        "scheduled_end": slr_tests::at(start + time::Duration::hours(1)),
    });
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    app.create("/api/v1/maintenances", &body).await
}

#[tokio::test]
async fn maintenance_reminds_starts_and_completes_by_itself_once_across_replicas() {
    let app = drained_app().await;
    let ids = app.demo_ids().await;
    let receiver = Receiver::start(0).await;
    let types = [
        "maintenance.reminder",
        "maintenance.started",
        "maintenance.completed",
    ];
    let (_, secret) = alice_hook(&app, &receiver, &types).await;
    let created = window(&app, &ids, time::Duration::hours(2), json!({})).await;
    assert_eq!(created["auto_transition"], true);
    let id = created["id"].as_i64().unwrap();
    let (start, end) = (
        instant(&created, "scheduled_start"),
        instant(&created, "scheduled_end"),
    );
    let replica = app.replica();
    let second = time::Duration::seconds(1);

    assert_eq!(
        app.run_schedule_at(start - time::Duration::minutes(61))
            .await,
        0,
        "not yet"
    );
    // Two replicas' schedulers at the same instants: each step is taken once.
    for at in [
        start - time::Duration::minutes(59),
        start + second,
        end + second,
    ] {
        let (a, b) = tokio::join!(app.run_schedule_at(at), replica.run_schedule_at(at));
        assert_eq!(a + b, 1, "one step at {at}");
        assert_eq!(app.run_schedule_at(at).await, 0, "taken already");
    }
    let done = app
        .get_ok(&format!("/api/v1/maintenances/{id}"), &app.admin_token())
        .await;
    assert_eq!(done["status"], "completed");
    assert_eq!(
        done["actual_start"], created["scheduled_start"],
        "it ran on schedule"
    );
    assert_eq!(done["actual_end"], created["scheduled_end"]);
    let got = drain(&app, &receiver, "/hook").await;
    let sent: Vec<String> = got
        .iter()
        .map(|r| r.json()["type"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(sent, types, "each once, in order");
    assert!(got.iter().all(|r| r.verifies(&secret)));
    assert_eq!(got[1].json()["data"]["status"], "in_progress");
    assert_eq!(tenant_names(&got[0].json()), ["globex-prod"]);
}

#[tokio::test]
async fn windows_opted_out_or_moved_by_hand_are_left_alone_and_missed_steps_catch_up() {
    let app = drained_app().await;
    let ids = app.demo_ids().await;
    let admin = app.admin_token();
    let hour = time::Duration::hours(1);
    let opted_out = window(&app, &ids, hour, json!({"auto_transition": false})).await;
    let by_hand = window(&app, &ids, hour, json!({})).await;
    let moved = app
        .patch(
            &format!("/api/v1/maintenances/{}", by_hand["id"]),
            &admin,
            &json!({"status": "in_progress"}),
        )
        .await;
    let moved: Value = json_with(moved, StatusCode::OK).await;
    assert_eq!(
        moved["auto_transition"], false,
        "moving it by hand ends automation"
    );
    let missed = window(&app, &ids, hour, json!({})).await;
    // Long after all three ended: the automated one starts and completes in one turn; the
    // others only get their (late) reminder skipped, as they already began.
    let later = instant(&missed, "scheduled_end") + hour;
    assert_eq!(
        app.run_schedule_at(later).await,
        2,
        "started, then completed"
    );
    let read = |w: &Value| {
        let path = format!("/api/v1/maintenances/{}", w["id"]);
        let (app, admin) = (&app, admin.clone());
        async move { app.get_ok(&path, &admin).await }
    };
    assert_eq!(read(&missed).await["status"], "completed");
    assert_eq!(read(&opted_out).await["status"], "scheduled");
    assert_eq!(read(&by_hand).await["status"], "in_progress");
    // Opting back in: it catches up at the next turn.
    let back = app
        .patch(
            &format!("/api/v1/maintenances/{}", opted_out["id"]),
            &admin,
            &json!({"auto_transition": true}),
        )
        .await;
    assert_eq!(back.status(), StatusCode::OK);
    assert_eq!(app.run_schedule_at(later).await, 2);
    assert_eq!(read(&opted_out).await["status"], "completed");
    // A new start gets its own reminder.
    let soon = window(&app, &ids, time::Duration::hours(3), json!({})).await;
    let start = instant(&soon, "scheduled_start");
    assert_eq!(
        app.run_schedule_at(start - time::Duration::minutes(30))
            .await,
        1,
        "reminded"
    );
    // Toggling automation is not a new start: no second reminder.
    for auto in [false, true] {
        let toggled = app
            .patch(
                &format!("/api/v1/maintenances/{}", soon["id"]),
                &admin,
                &json!({"auto_transition": auto}),
            )
            .await;
        assert_eq!(toggled.status(), StatusCode::OK);
    }
    assert_eq!(
        app.run_schedule_at(start - time::Duration::minutes(20))
            .await,
        0
    );
    let moved = app
        .patch(&format!("/api/v1/maintenances/{}", soon["id"]), &admin, &json!({"scheduled_start": slr_tests::at(time::Duration::hours(5)), "scheduled_end": slr_tests::at(time::Duration::hours(6))}))
        .await;
    assert_eq!(moved.status(), StatusCode::OK);
    let start = start + time::Duration::hours(2);
    assert_eq!(
        app.run_schedule_at(start - time::Duration::minutes(30))
            .await,
        1,
        "reminded again"
    );
}

#[tokio::test]
async fn a_recurring_window_expands_into_windows_of_their_own_each_announced_and_run() {
    let app = drained_app().await;
    let ids = app.demo_ids().await;
    let receiver = Receiver::start(0).await;
    alice_hook(
        &app,
        &receiver,
        &["maintenance.scheduled", "maintenance.started"],
    )
    .await;
    let first = window(
        &app,
        &ids,
        time::Duration::days(2),
        json!({"recurrence": "FREQ=WEEKLY;COUNT=4"}),
    )
    .await;
    let series = first["id"].as_i64().unwrap();
    assert_eq!(first["series_id"], series, "the first window names itself");
    let admin = app.admin_token();
    let listed = app
        .list_all(&format!("/api/v1/maintenances?series_id={series}"), &admin)
        .await;
    assert_eq!(listed.len(), 4);
    let start = instant(&first, "scheduled_start");
    for (n, w) in listed.iter().enumerate() {
        let week = time::Duration::weeks(i64::try_from(n).unwrap());
        assert_eq!(instant(w, "scheduled_start"), start + week);
        let length = instant(&first, "scheduled_end") - start;
        assert_eq!(
            instant(w, "scheduled_end"),
            start + week + length,
            "as long as the first"
        );
        assert_eq!(w["series_id"], series);
    }
    let ics = app
        .get(
            "/api/v1/maintenances.ics",
            &app.token("alice@northwind.example"),
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(
        ics.matches("BEGIN:VEVENT").count() >= 4,
        "each window is a calendar event"
    );
    let got = drain(&app, &receiver, "/hook").await;
    assert_eq!(got.len(), 4, "one maintenance.scheduled per window");
    // Each runs by itself: the second week's start starts the first two.
    let second = start + time::Duration::weeks(1) + time::Duration::minutes(1);
    assert_eq!(
        app.run_schedule_at(second).await,
        3,
        "first started and completed, second started"
    );
    // A window on its own stays one: no series.
    let single = window(&app, &ids, time::Duration::days(3), json!({})).await;
    assert_eq!(single["series_id"], Value::Null);
    for (rule, why) in [
        ("FREQ=DAILY", "unbounded"),
        ("FREQ=FORTNIGHTLY;COUNT=2", "not a rule"),
        ("FREQ=DAILY;COUNT=101", "too many"),
    ] {
        let body = json!({
            "service_id": ids.sma, "title": "Patching", "description": "Planned work.",
            "expected_impact": "degraded", "classification_ids": [ids.class["saas2-eu"]],
            "scheduled_start": slr_tests::at(time::Duration::days(1)),
            "scheduled_end": slr_tests::at(time::Duration::days(1) + time::Duration::hours(1)),
            "recurrence": rule,
        });
        let refused = app.post("/api/v1/maintenances", &admin, &body).await;
        assert_eq!(
            problem_field(
                refused,
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation_failed"
            )
            .await,
            "recurrence",
            "{why}"
        );
    }
    assert_eq!(
        app.list_all("/api/v1/maintenances?series_id=999999", &admin)
            .await
            .len(),
        0
    );
}

#[tokio::test]
async fn slack_and_teams_endpoints_get_chat_messages_naming_only_their_accounts_tenants() {
    let app = drained_app().await;
    let ids = app.demo_ids().await;
    let receiver = Receiver::start(0).await;
    let token = app.token("alice@northwind.example");
    let mut made = Vec::new();
    for format in ["slack", "teams"] {
        let response = app
            .post(
                "/api/v1/webhooks",
                &token,
                &json!({"url": format!("{}/{format}", receiver.url), "event_types": ["incident.created"], "format": format}),
            )
            .await;
        let created: Value = json_with(response, StatusCode::CREATED).await;
        assert_eq!(created["format"], format);
        made.push(created);
    }
    incident(&app, &ids, &["saas2-eu"]).await;
    let slack = drain(&app, &receiver, "/slack").await;
    assert_eq!(slack.len(), 1);
    let message = slack[0].json();
    assert_eq!(message["text"], "incident.created: Login failures");
    let section = message["blocks"][1]["text"]["text"].as_str().unwrap();
    assert!(section.contains("major outage"), "{section}");
    assert!(
        section.contains("Your impacted tenants (1): globex-prod"),
        "{section}"
    );
    let teams = receiver.at("/teams");
    assert_eq!(teams.len(), 1);
    let card = &teams[0].json()["attachments"][0];
    assert_eq!(
        card["contentType"],
        "application/vnd.microsoft.card.adaptive"
    );
    let body = card["content"]["body"].as_array().unwrap();
    assert_eq!(body[0]["text"], "Login failures");
    assert_eq!(body[2]["text"], "Your impacted tenants (1): globex-prod");
    assert!(
        teams[0].headers.contains_key("webhook-signature"),
        "signed like any delivery"
    );
    // A ping is a chat message too; the format can be changed back.
    let id = made[0]["id"].as_i64().unwrap();
    app.post(&format!("/api/v1/webhooks/{id}/test"), &token, &json!({}))
        .await;
    let pinged = drain(&app, &receiver, "/slack").await;
    assert_eq!(
        pinged[1].json()["blocks"][0]["text"]["text"],
        "Test message from slr"
    );
    let back = app
        .patch(
            &format!("/api/v1/webhooks/{id}"),
            &token,
            &json!({"format": "standard"}),
        )
        .await;
    assert_eq!(
        json_with::<Value>(back, StatusCode::OK).await["format"],
        "standard"
    );
    let bad = app
        .post("/api/v1/webhooks", &token, &json!({"url": format!("{}/x", receiver.url), "event_types": ["incident.created"], "format": "discord"}))
        .await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

/// Marks `tenants` (by name) of incident `id` `state`, as the provider admin.
async fn mark(app: &TestApp, id: i64, tenants: &[&str], state: &str) {
    let mut tenant_ids = Vec::new();
    for name in tenants {
        tenant_ids.push(app.id_of("tenants", "name", name).await);
    }
    let response = app
        .patch(
            &format!("/api/v1/incidents/{id}/tenant-states"),
            &app.admin_token(),
            &json!({"tenant_ids": tenant_ids, "state": state}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_recovery_is_announced_to_the_accounts_seeing_a_recovered_tenant_and_no_others() {
    let app = drained_app().await;
    let ids = app.demo_ids().await;
    let receiver = Receiver::start(0).await;
    let (_, secret) = alice_hook(&app, &receiver, &["incident.tenants_recovered"]).await;
    register(
        &app,
        "uma@umbrella.example",
        &format!("{}/umbrella", receiver.url),
        &["incident.tenants_recovered"],
    )
    .await;
    // saas2-eu and saas3-eu: globex-prod, globex-analytics (Northwind's Globex),
    // northwind-internal, stark-prod, umbrella-prod (Contoso's Umbrella).
    let id = incident(&app, &ids, &["saas2-eu", "saas3-eu"]).await;
    mark(&app, id, &["umbrella-prod"], "recovered").await;
    assert!(
        drain(&app, &receiver, "/hook").await.is_empty(),
        "none of Northwind's tenants recovered"
    );
    let umbrella = receiver.at("/umbrella");
    assert_eq!(umbrella.len(), 1);
    let payload = umbrella[0].json();
    assert_eq!(payload["type"], "incident.tenants_recovered");
    assert_eq!(payload["data"]["impacted_tenants"][0]["state"], "recovered");
    assert_eq!(tenant_names(&payload), ["umbrella-prod"]);

    mark(&app, id, &["globex-prod"], "recovered").await;
    // Marked again without an instant: nothing changes, nothing is announced.
    mark(&app, id, &["globex-prod"], "recovered").await;
    let got = drain(&app, &receiver, "/hook").await;
    assert_eq!(got.len(), 1, "{got:#?}");
    assert!(got[0].verifies(&secret));
    let payload = got[0].json();
    assert_eq!(payload["type"], "incident.tenants_recovered");
    assert_eq!(
        tenant_names(&payload),
        ["globex-analytics", "globex-prod", "northwind-internal"]
    );
    let states: Vec<(&str, &str)> = payload["data"]["impacted_tenants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["name"].as_str().unwrap(), t["state"].as_str().unwrap()))
        .collect();
    assert!(states.contains(&("globex-prod", "recovered")), "{states:?}");
    assert!(
        states.contains(&("globex-analytics", "affected")),
        "{states:?}"
    );
    assert_eq!(payload["data"]["affected_tenant_count"], 2);
    assert_eq!(
        receiver.at("/umbrella").len(),
        1,
        "Umbrella saw no new recovery"
    );
}

/// The first attempt of the newest delivery of each of `hooks`,
/// as their account's admin (`email`) reads it.
async fn first_attempts(app: &TestApp, email: &str, hooks: &[i64]) -> Vec<Value> {
    let token = app.token(email);
    let mut attempts = Vec::new();
    for hook in hooks {
        let page = app
            .get_ok(&format!("/api/v1/webhooks/{hook}/deliveries"), &token)
            .await;
        attempts.push(page["items"][0]["attempts"][0].clone());
    }
    attempts
}

#[tokio::test]
async fn endpoints_saved_while_private_targets_were_allowed_stop_receiving_once_they_are_not() {
    let app = drained_app().await;
    let ids = app.demo_ids().await;
    let receiver = Receiver::start(0).await;
    let (loopback, _) = alice_hook(&app, &receiver, &["incident.created"]).await;
    let (nat64, _) = register(
        &app,
        "alice@northwind.example",
        "https://[64:ff9b::a9fe:a9fe]/latest/meta-data",
        &["incident.created"],
    )
    .await;
    // The operator turns SLR_WEBHOOK_ALLOW_PRIVATE off: a server on the same database.
    let strict = app.replica_with(|s| {
        s.webhooks.allow_private = false;
        s.webhooks.background = false;
    });
    incident(&app, &ids, &["saas2-eu"]).await;
    assert_eq!(strict.deliver_due().await, 2);
    assert!(receiver.at("/hook").is_empty(), "nothing was sent");
    for attempt in first_attempts(&strict, "alice@northwind.example", &[loopback, nat64]).await {
        assert_eq!(attempt["succeeded"], false, "{attempt}");
        assert_eq!(attempt["status"], Value::Null, "{attempt}");
        let error = attempt["error"].as_str().unwrap();
        assert!(
            error.starts_with("not sent: this server does not deliver to this URL"),
            "{error}"
        );
    }
    // A ping is checked the same way.
    let alice = app.token("alice@northwind.example");
    strict
        .post(
            &format!("/api/v1/webhooks/{loopback}/test"),
            &alice,
            &json!({}),
        )
        .await;
    strict.deliver_due().await;
    assert!(receiver.at("/hook").is_empty(), "the ping was not sent");
}

#[tokio::test]
async fn a_host_that_does_not_resolve_reads_like_one_resolving_inside() {
    let app = spawn_app_with(|s| s.webhooks.background = false).await;
    app.seed_demo();
    let ids = app.demo_ids().await;
    let (missing, _) = register(
        &app,
        "alice@northwind.example",
        "https://no-such-host.invalid/hook",
        &["incident.created"],
    )
    .await;
    incident(&app, &ids, &["saas2-eu"]).await;
    app.deliver_due().await;
    let attempt = &first_attempts(&app, "alice@northwind.example", &[missing]).await[0];
    // The same sentence the resolver gives for a name resolving only to refused addresses
    // (checked in the worker's unit tests: no public name here resolves inside).
    assert_eq!(
        attempt["error"], "the host does not resolve to a public address",
        "{attempt}"
    );
}

/// Set in the environment of the child process [`deliveries_never_go_through_a_proxy_from_the_environment`] starts.
const PROXY_CHILD: &str = "SLR_TEST_PROXY_CHILD";

/// Proxy variables are process-wide, so this runs the delivery in a child process (this test
/// binary, running only [`proxied_environment_child`]) whose environment names a proxy: a
/// loopback listener recording every connection. Nothing may reach it.
#[tokio::test]
async fn deliveries_never_go_through_a_proxy_from_the_environment() {
    use std::io::Read;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let proxy = format!("http://{}", listener.local_addr().unwrap());
    let asked: Arc<Mutex<Vec<String>>> = Arc::default();
    let log = Arc::clone(&asked);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
            let mut buf = [0u8; 512];
            let n = stream.read(&mut buf).unwrap_or(0);
            let line = String::from_utf8_lossy(&buf[..n]);
            log.lock()
                .unwrap()
                .push(line.lines().next().unwrap_or("(connected)").to_owned());
        }
    });
    let exe = std::env::current_exe().unwrap();
    let child = tokio::task::spawn_blocking(move || {
        let mut command = std::process::Command::new(exe);
        command.args([
            "webhooks::proxied_environment_child",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ]);
        command.env(PROXY_CHILD, "1");
        for name in ["HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY"] {
            command.env(name, &proxy).env(name.to_lowercase(), &proxy);
        }
        command.env_remove("NO_PROXY").env_remove("no_proxy");
        command.output().unwrap()
    })
    .await
    .unwrap();
    let output = format!(
        "{}\n{}",
        String::from_utf8_lossy(&child.stdout),
        String::from_utf8_lossy(&child.stderr)
    );
    assert!(child.status.success(), "{output}");
    assert!(
        output.contains("1 passed"),
        "the child ran its test: {output}"
    );
    assert_eq!(
        *asked.lock().unwrap(),
        Vec::<String>::new(),
        "the proxy was asked"
    );
}

/// Only in the child process of [`deliveries_never_go_through_a_proxy_from_the_environment`]
/// (elsewhere it returns at once): delivers to a loopback receiver and to a public name with
/// proxy variables set.
#[tokio::test]
async fn proxied_environment_child() {
    if std::env::var_os(PROXY_CHILD).is_none() {
        return;
    }
    let mut app = drained_app().await;
    // The test's own requests to the server must not go to the proxy either.
    app.client = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let ids = app.demo_ids().await;
    let receiver = Receiver::start(0).await;
    alice_hook(&app, &receiver, &["incident.created"]).await;
    register(
        &app,
        "alice@northwind.example",
        "https://hooks.example.com/slr",
        &["incident.created"],
    )
    .await;
    incident(&app, &ids, &["saas2-eu"]).await;
    let got = drain(&app, &receiver, "/hook").await;
    assert_eq!(got.len(), 1, "delivered straight to the receiver");
}

#[tokio::test]
async fn chat_messages_of_a_huge_incident_keep_to_slack_and_teams_limits_and_escape_markup() {
    let app = drained_app().await;
    let ids = app.demo_ids().await;
    let globex = app.id_of("accounts", "name", "Globex").await;
    {
        let mut conn = app.conn();
        for i in 0..300 {
            let name = format!(
                "{i:03}-[Reset](https://evil.example/{i})-{}",
                "t".repeat(150)
            );
            let new = persistence::repo::tenants::NewTenant {
                name: domain::TenantName::parse(&name).unwrap(),
                account_id: domain::AccountId(globex),
                service_id: domain::ServiceId(ids.sma),
                classification_id: domain::ClassificationId(ids.class["saas2-eu"]),
            };
            slr_api::services::directory::create_tenant(&mut conn, &new).unwrap();
        }
    }
    let receiver = Receiver::start(0).await;
    let token = app.token("alice@northwind.example");
    for format in ["slack", "teams"] {
        let response = app
            .post(
                "/api/v1/webhooks",
                &token,
                &json!({"url": format!("{}/{format}", receiver.url), "event_types": ["incident.created"], "format": format}),
            )
            .await;
        assert_eq!(response.status(), StatusCode::CREATED);
    }
    // 200 characters, the most a title may have, with a link in Markdown and a character
    // of two bytes where the header is cut.
    let title = format!("[Reset](https://evil.example/x) {}", "é".repeat(168));
    assert_eq!(title.chars().count(), 200);
    let id = app
        .create(
            "/api/v1/incidents",
            &json!({"service_id": ids.sma, "title": title, "impact": "major_outage",
                    "scope": {"kind": "classifications", "classification_ids": [ids.class["saas2-eu"]]},
                    "message": "Investigating."}),
        )
        .await["id"]
        .as_i64()
        .unwrap();
    let slack = drain(&app, &receiver, "/slack").await;
    assert_eq!(slack.len(), 1);
    let message = slack[0].json();
    let blocks = message["blocks"].as_array().unwrap();
    assert!(blocks.len() <= 50);
    let header = blocks[0]["text"]["text"].as_str().unwrap();
    assert_eq!(blocks[0]["type"], "header");
    assert!(header.chars().count() <= 150, "{header}");
    assert!(header.starts_with("[Reset](https://evil.example/x) éé") && header.ends_with('…'));
    for block in blocks.iter().filter(|b| b["type"] == "section") {
        let text = block["text"]["text"].as_str().unwrap();
        assert!(
            text.chars().count() <= 3000,
            "{} characters",
            text.chars().count()
        );
    }
    let section = blocks[1]["text"]["text"].as_str().unwrap();
    // 301: Globex's own globex-prod and the 300 new ones.
    assert!(
        section.contains("Your impacted tenants (301): "),
        "{section}"
    );
    assert!(
        section.contains(
            " more — <http://slr.test/status-page/incidents/{id}|all 301>"
                .replace("{id}", &id.to_string())
                .as_str()
        ),
        "{section}"
    );
    let teams = receiver.at("/teams");
    assert_eq!(teams.len(), 1);
    assert!(
        teams[0].body.len() < 28_000,
        "{} bytes",
        teams[0].body.len()
    );
    let card = &teams[0].json()["attachments"][0]["content"];
    let texts: Vec<&str> = card["body"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["text"].as_str().unwrap())
        .collect();
    assert!(
        texts[0].starts_with(r"\[Reset\]\(https://evil.example/x\) éé"),
        "{}",
        texts[0]
    );
    for text in &texts {
        assert!(
            !text.contains("[Reset]("),
            "unescaped Markdown link: {text}"
        );
    }
    assert!(
        texts[2].contains(r"\[Reset\]\(https://evil.example/"),
        "{}",
        texts[2]
    );
    assert!(
        texts[2].ends_with(&format!(
            "more — [all 301](http://slr.test/status-page/incidents/{id})"
        )),
        "{}",
        texts[2]
    );
}

/// A window recorded as already running when it is created, with `auto_transition` on (the
/// default), completes itself at its scheduled end; created with it off, it is left alone.
#[tokio::test]
async fn a_window_created_in_progress_completes_itself_at_its_scheduled_end() {
    let app = drained_app().await;
    let ids = app.demo_ids().await;
    let running = window(
        &app,
        &ids,
        -time::Duration::minutes(30),
        json!({"status": "in_progress"}),
    )
    .await;
    assert_eq!(running["auto_transition"], true);
    let left = window(
        &app,
        &ids,
        -time::Duration::minutes(30),
        json!({"status": "in_progress", "auto_transition": false}),
    )
    .await;
    let end = instant(&running, "scheduled_end");
    assert_eq!(
        app.run_schedule_at(end - time::Duration::seconds(1)).await,
        0
    );
    assert_eq!(
        app.run_schedule_at(end + time::Duration::seconds(1)).await,
        1
    );
    let admin = app.admin_token();
    let done = app
        .get_ok(&format!("/api/v1/maintenances/{}", running["id"]), &admin)
        .await;
    assert_eq!(done["status"], "completed");
    assert_eq!(done["actual_end"], running["scheduled_end"]);
    let still = app
        .get_ok(&format!("/api/v1/maintenances/{}", left["id"]), &admin)
        .await;
    assert_eq!(still["status"], "in_progress");
}
