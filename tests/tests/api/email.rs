//! Email notifications end to end, through a real SMTP receiver on loopback: contacts subscribe
//! themselves, account admins subscribe their account; each recipient gets one message per
//! event, naming only its own tenants; the unsubscribe link works; a refusing server is retried.
//! On the demo directory an incident over saas2-eu on Service Management Automation reaches
//! globex-prod (Globex, managed by Northwind) and stark-prod (Stark, a direct customer).

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{json, Value};
use slr_tests::personas::{CONTOSO, GLOBEX, NORTHWIND, NORTHWIND_AT_GLOBEX, STARK, UMBRELLA};
use slr_tests::smtp::{Mail, Receiver};
use slr_tests::{json_with, problem, problem_field, spawn_app_with, TestApp};

/// An app sending email to `receiver`; the mailer runs when the test says
/// ([`TestApp::send_mail_due`]) unless `background`.
async fn app(receiver: &Receiver, background: bool) -> TestApp {
    let url = receiver.url.clone();
    let app = spawn_app_with(move |s| {
        s.email.smtp_url = Some(url);
        s.email.from = "Acme Cloud status <status@acme-cloud.example>".to_owned();
        s.email.background = background;
        s.email.poll = Duration::from_millis(20);
        s.webhooks.retry_base = Duration::from_millis(20);
        s.webhooks.retry_cap = Duration::from_millis(40);
    })
    .await;
    app.seed_demo();
    app
}

async fn subscribe(app: &TestApp, who: &str, body: &Value) -> reqwest::Response {
    app.post("/api/v1/email-subscriptions", &app.token(who), body)
        .await
}

async fn subscribed(app: &TestApp, who: &str, body: &Value) -> Value {
    json_with(subscribe(app, who, body).await, StatusCode::CREATED).await
}

/// Opens an incident over `class` on Service Management Automation; its id.
async fn incident(app: &TestApp, title: &str, class: &str) -> i64 {
    let ids = app.demo_ids().await;
    app.classified_incident(&ids, title, "major_outage", class)
        .await
}

/// The path of the app a message's line `label: <url>` links to.
fn linked(mail: &Mail, label: &str) -> String {
    let body = mail.body();
    let line = body
        .lines()
        .find_map(|line| line.strip_prefix(&format!("{label}: ")))
        .unwrap_or_else(|| panic!("no {label} line in {body}"));
    line.trim()
        .strip_prefix("http://slr.test")
        .expect("at SLR_PUBLIC_URL")
        .to_owned()
}

/// Confirms the subscription whose confirmation message `address` got last, as its reader
/// would: open the link (a page asking), then press the button.
async fn confirm(app: &TestApp, receiver: &Receiver, address: &str) {
    let asked = receiver.to(address);
    let mail = asked
        .iter()
        .rev()
        .find(|m| {
            m.header("Subject")
                .is_some_and(|s| s.starts_with("Confirm status emails"))
        })
        .expect("a confirmation message");
    let path = linked(mail, "Confirm");
    let page = reqwest::get(app.url(&path)).await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains(address));
    let done = app.client.post(app.url(&path)).send().await.unwrap();
    assert_eq!(done.status(), StatusCode::OK);
}

/// The unsubscribe link of a message, as a path of the app.
fn unsubscribe_path(mail: &Mail) -> String {
    let header = mail.header("List-Unsubscribe").expect("List-Unsubscribe");
    let url = header.trim_matches(['<', '>']);
    assert!(mail.body().contains(url), "the body carries the link too");
    url.strip_prefix("http://slr.test")
        .expect("at SLR_PUBLIC_URL")
        .to_owned()
}

#[actix_web::test]
async fn each_recipient_gets_one_message_per_event_naming_only_its_own_tenants() {
    let receiver = Receiver::start(0).await;
    let app = app(&receiver, false).await;
    let carol = subscribed(&app, GLOBEX, &json!({})).await;
    assert_eq!(carol["email"], GLOBEX);
    assert_eq!(carol["subscriber"], "contact");
    // Northwind: its admin herself, and the account for a team mailbox (confirmed by the
    // mailbox first: it is no contact's address). Her own address again is refused: one
    // subscription per address and account, so one unsubscribe link stops it.
    subscribed(&app, NORTHWIND, &json!({})).await;
    let team = subscribed(&app, NORTHWIND, &json!({"email": "ops@northwind.example"})).await;
    assert_eq!(team["subscriber"], "account");
    assert_eq!(team["status"], "pending_confirmation");
    let again = subscribe(
        &app,
        NORTHWIND,
        &json!({"email": "ALICE@northwind.example"}),
    )
    .await;
    assert_eq!(
        problem_field(again, StatusCode::CONFLICT, "already_exists").await,
        "email"
    );
    app.send_mail_due().await;
    confirm(&app, &receiver, "ops@northwind.example").await;
    // Umbrella has no saas2-eu tenant; Dave (Contoso) only wants another service's events.
    subscribed(&app, UMBRELLA, &json!({})).await;
    let other_service = app
        .list_all("/api/v1/services", &app.admin_token())
        .await
        .into_iter()
        .find(|s| s["name"] != "Service Management Automation")
        .unwrap()["id"]
        .clone();
    subscribed(&app, CONTOSO, &json!({"service_ids": [other_service]})).await;

    let id = incident(&app, "Login failures", "saas2-eu").await;
    assert!(app.send_mail_due().await > 0);
    assert_eq!(app.send_mail_due().await, 0, "each message is sent once");
    let to_carol = receiver.to(GLOBEX);
    assert_eq!(to_carol.len(), 1, "{to_carol:#?}");
    let mail = &to_carol[0];
    assert_eq!(
        mail.header("Subject").as_deref(),
        Some("New incident: Login failures")
    );
    assert!(mail.from.contains("status@acme-cloud.example"));
    let body = mail.body();
    assert!(body.contains("globex-prod"), "{body}");
    assert!(!body.contains("stark-prod"), "{body}");
    assert!(
        body.contains(&format!("http://slr.test/status-page/incidents/{id}")),
        "{body}"
    );
    assert_eq!(
        mail.header("List-Unsubscribe-Post").as_deref(),
        Some("List-Unsubscribe=One-Click")
    );
    assert_eq!(receiver.to(NORTHWIND).len(), 1, "one message to Alice");
    let to_team = receiver.to("ops@northwind.example");
    assert_eq!(to_team.len(), 2, "the confirmation, then the incident");
    let team_body = to_team[1].body();
    assert!(team_body.contains("globex-prod"), "{team_body}");
    assert!(!team_body.contains("stark-prod"), "{team_body}");
    assert!(receiver.to(UMBRELLA).is_empty(), "Umbrella is not reached");
    assert!(
        receiver.to(CONTOSO).is_empty(),
        "Dave filtered the service out"
    );

    // The link asks first (a prefetch unsubscribes nobody), then unsubscribes.
    let path = unsubscribe_path(mail);
    let page = reqwest::get(app.url(&path)).await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains(GLOBEX));
    let list = app
        .get_ok("/api/v1/email-subscriptions", &app.token(GLOBEX))
        .await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    let done = app
        .client
        .post(app.url(&path))
        .form(&[("List-Unsubscribe", "One-Click")])
        .send()
        .await
        .unwrap();
    assert_eq!(done.status(), StatusCode::OK);
    let again = app.client.post(app.url(&path)).send().await.unwrap();
    assert_eq!(again.status(), StatusCode::OK, "a repeat is harmless");
    assert_eq!(
        reqwest::get(app.url(&path)).await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
    let list = app
        .get_ok("/api/v1/email-subscriptions", &app.token(GLOBEX))
        .await;
    assert!(list["items"].as_array().unwrap().is_empty());

    app.resolve(id).await;
    app.send_mail_due().await;
    assert_eq!(receiver.to(GLOBEX).len(), 1, "Carol unsubscribed");
    let resolved = receiver.to(NORTHWIND);
    assert_eq!(resolved.len(), 2);
    assert_eq!(
        resolved[1].header("Subject").as_deref(),
        Some("Incident resolved: Login failures")
    );
}

#[actix_web::test]
async fn a_refusing_server_is_retried_until_the_message_is_accepted() {
    // The first two recipients are refused with 451: the message is tried again.
    let receiver = Receiver::start(2).await;
    let app = app(&receiver, true).await;
    subscribed(&app, GLOBEX, &json!({"event_types": ["incident.created"]})).await;
    incident(&app, "Slow search", "saas2-eu").await;
    let got = receiver.wait_for(|mails| !mails.is_empty()).await;
    assert_eq!(got.len(), 1);
    assert_eq!(receiver.to(GLOBEX).len(), 1);
    // The receiver holds the message once it accepts it; the mailer records the delivery just
    // after that: wait for the record (bounded, as the receiver waits).
    let started = std::time::Instant::now();
    let outcomes = loop {
        let outcomes = slr_tests::with_conn(&app, |conn| {
            persistence::repo::email::sent_to(conn, GLOBEX, 10).unwrap()
        });
        let recorded = outcomes.iter().any(|(_, state, _, _)| state != "pending");
        if recorded || started.elapsed() > Duration::from_secs(20) {
            break outcomes;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(outcomes.len(), 1, "one message, however many attempts");
    let (event, state, attempts, _) = &outcomes[0];
    assert_eq!(
        (event.as_str(), state.as_str(), *attempts),
        ("incident.created", "delivered", 3)
    );
}

#[actix_web::test]
async fn subscriptions_are_scoped_checked_and_refused_without_smtp() {
    let receiver = Receiver::start(0).await;
    let app = app(&receiver, false).await;
    // Only admins subscribe the account; the address and services are checked.
    let refused = subscribe(
        &app,
        NORTHWIND_AT_GLOBEX,
        &json!({"email": "team@globex.example"}),
    )
    .await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let bad = subscribe(&app, GLOBEX, &json!({"email": "not an address"})).await;
    assert_eq!(
        problem_field(bad, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await,
        "email"
    );
    let bad = subscribe(&app, GLOBEX, &json!({"service_ids": [999_999]})).await;
    assert_eq!(
        problem_field(bad, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await,
        "service_ids"
    );
    let bad = subscribe(&app, GLOBEX, &json!({"event_types": []})).await;
    assert_eq!(
        problem_field(bad, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await,
        "event_types"
    );

    // A viewer sees its own; the account's admin sees all of the account's; others nothing.
    let own = subscribed(&app, NORTHWIND_AT_GLOBEX, &json!({})).await;
    let team = subscribed(&app, GLOBEX, &json!({"email": "team@globex.example"})).await;
    let path = |s: &Value| format!("/api/v1/email-subscriptions/{}", s["id"]);
    let viewer = app.token(NORTHWIND_AT_GLOBEX);
    let listed = app.get_ok("/api/v1/email-subscriptions", &viewer).await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
    problem(
        app.get(&path(&team), &viewer).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    let admin_list = app
        .get_ok("/api/v1/email-subscriptions", &app.token(GLOBEX))
        .await;
    assert_eq!(admin_list["items"].as_array().unwrap().len(), 2);
    for outsider in [NORTHWIND, UMBRELLA] {
        let token = app.token(outsider);
        problem(
            app.get(&path(&own), &token).await,
            StatusCode::NOT_FOUND,
            "not_found",
        )
        .await;
        let gone = app.delete(&path(&own), &token).await;
        assert_eq!(gone.status(), StatusCode::NOT_FOUND);
    }
    let changed = app
        .patch(
            &path(&own),
            &viewer,
            &json!({"event_types": ["incident.resolved"]}),
        )
        .await;
    let changed: Value = json_with(changed, StatusCode::OK).await;
    assert_eq!(changed["event_types"], json!(["incident.resolved"]));
    assert_eq!(changed["version"], 2);
    assert_eq!(
        app.delete(&path(&own), &viewer).await.status(),
        StatusCode::NO_CONTENT
    );

    // Without SLR_SMTP_URL: refused, saying why.
    let off = spawn_app_with(|_| {}).await;
    off.seed_demo();
    let refused = subscribe(&off, GLOBEX, &json!({})).await;
    let problem = problem(refused, StatusCode::CONFLICT, "email_not_configured").await;
    assert!(
        problem.detail.contains("SLR_SMTP_URL"),
        "{}",
        problem.detail
    );
}

/// The ids of the email subscriptions `who` lists.
async fn subscription_ids(app: &TestApp, who: &str) -> Vec<i64> {
    app.get_ok("/api/v1/email-subscriptions", &app.token(who))
        .await["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_i64().unwrap())
        .collect()
}

/// The messages to `address` naming `tenant`.
fn naming(receiver: &Receiver, address: &str, tenant: &str) -> Vec<Mail> {
    receiver
        .to(address)
        .into_iter()
        .filter(|mail| mail.body().contains(tenant))
        .collect()
}

#[actix_web::test]
async fn a_message_belongs_to_one_subscription_and_a_foreign_address_confirms_first() {
    let receiver = Receiver::start(0).await;
    let app = app(&receiver, false).await;
    // Stark's admin subscribes Carol (a Globex contact) before Carol subscribes herself.
    let stark = subscribed(&app, STARK, &json!({"email": GLOBEX})).await;
    assert_eq!(stark["status"], "pending_confirmation");
    assert_eq!(stark["confirmed_at"], Value::Null);
    let carol = subscribed(&app, GLOBEX, &json!({})).await;
    assert_eq!(carol["status"], "active");
    app.send_mail_due().await;
    let asked = receiver.to(GLOBEX);
    assert_eq!(asked.len(), 1, "only the request to confirm: {asked:#?}");
    assert!(!asked[0].body().contains("stark-prod"));

    // Unconfirmed, Stark's subscription sends nothing: Carol gets her own Globex message.
    incident(&app, "Login failures", "saas2-eu").await;
    app.send_mail_due().await;
    let globex = naming(&receiver, GLOBEX, "globex-prod");
    assert_eq!(globex.len(), 1);
    assert!(
        !globex[0].body().contains("stark-prod"),
        "{}",
        globex[0].body()
    );
    assert!(naming(&receiver, GLOBEX, "stark-prod").is_empty());

    // Once she confirms, each account's message comes on its own, as that account sees it,
    // each with its own unsubscribe link.
    confirm(&app, &receiver, GLOBEX).await;
    incident(&app, "Slow search", "saas2-eu").await;
    app.send_mail_due().await;
    let slow: Vec<Mail> = receiver
        .to(GLOBEX)
        .into_iter()
        .filter(|m| m.header("Subject").as_deref() == Some("New incident: Slow search"))
        .collect();
    assert_eq!(slow.len(), 2, "{slow:#?}");
    let of_stark = slow
        .iter()
        .find(|m| m.body().contains("stark-prod"))
        .unwrap();
    let of_globex = slow
        .iter()
        .find(|m| m.body().contains("globex-prod"))
        .unwrap();
    assert!(!of_stark.body().contains("globex-prod"));
    assert!(!of_globex.body().contains("stark-prod"));
    assert_ne!(unsubscribe_path(of_stark), unsubscribe_path(of_globex));

    // Stark's link ends Stark's subscription only.
    let done = app
        .client
        .post(app.url(&unsubscribe_path(of_stark)))
        .send()
        .await
        .unwrap();
    assert_eq!(done.status(), StatusCode::OK);
    assert_eq!(
        subscription_ids(&app, GLOBEX).await,
        vec![carol["id"].as_i64().unwrap()]
    );
    assert!(subscription_ids(&app, STARK).await.is_empty());
    // The unsubscribe is in the audit log, as the subscription's account.
    let audit = app
        .get_ok(
            &format!(
                "/api/v1/audit?object_type=email_subscription&object_id={}",
                stark["id"]
            ),
            &app.admin_token(),
        )
        .await;
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert!(actions.contains(&"delete"), "{audit:#}");
    assert!(actions.contains(&"update"), "the confirmation: {audit:#}");

    // A partner's admin cannot make another customer's person read its tenants either.
    let northwind = subscribed(&app, NORTHWIND, &json!({"email": UMBRELLA})).await;
    assert_eq!(northwind["status"], "pending_confirmation");
    incident(&app, "Timeouts", "saas2-eu").await;
    app.send_mail_due().await;
    assert!(
        receiver
            .to(UMBRELLA)
            .iter()
            .all(|m| !m.body().contains("globex-prod")),
        "nothing but the request to confirm"
    );
}

#[actix_web::test]
async fn a_messages_link_opens_the_event_page_as_its_reader_until_it_unsubscribes() {
    let receiver = Receiver::start(0).await;
    let app = app(&receiver, false).await;
    subscribed(&app, GLOBEX, &json!({})).await;
    subscribed(&app, STARK, &json!({})).await;
    let id = incident(&app, "Login failures", "saas2-eu").await;
    app.send_mail_due().await;
    let mail = &receiver.to(GLOBEX)[0];
    let details = linked(mail, "Details");
    assert!(
        details.starts_with(&format!("/status-page/incidents/{id}?token=")),
        "{details}"
    );
    let page = app.client.get(app.url(&details)).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("globex-prod"), "{html}");
    assert!(!html.contains("stark-prod"), "Carol's view only");
    // Read-only and only where feed tokens go: not a bearer for the JSON API.
    let key = details.split("token=").nth(1).unwrap();
    let json = app.get(&format!("/api/v1/incidents/{id}"), key).await;
    assert_eq!(json.status(), StatusCode::UNAUTHORIZED);
    let json = app
        .client
        .get(app.url(&format!("/api/v1/incidents/{id}?token={key}")))
        .send()
        .await
        .unwrap();
    assert_eq!(json.status(), StatusCode::UNAUTHORIZED);

    // Unsubscribing revokes the link, on every replica.
    let replica = app.replica();
    let on_replica = replica
        .client
        .get(replica.url(&details))
        .send()
        .await
        .unwrap();
    assert_eq!(on_replica.status(), StatusCode::OK);
    let done = app
        .client
        .post(app.url(&unsubscribe_path(mail)))
        .send()
        .await
        .unwrap();
    assert_eq!(done.status(), StatusCode::OK);
    let gone = app.client.get(app.url(&details)).send().await.unwrap();
    assert_eq!(gone.status(), StatusCode::UNAUTHORIZED);
    let started = std::time::Instant::now();
    loop {
        let status = replica
            .client
            .get(replica.url(&details))
            .send()
            .await
            .unwrap()
            .status();
        if status == StatusCode::UNAUTHORIZED {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "the replica still opens it: {status}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[actix_web::test]
async fn without_smtp_nothing_is_queued_for_existing_subscriptions() {
    let receiver = Receiver::start(0).await;
    let app = app(&receiver, false).await;
    subscribed(&app, GLOBEX, &json!({})).await;
    let queued = || {
        slr_tests::with_conn(&app, |conn| {
            persistence::repo::email::sent_to(conn, GLOBEX, 100)
                .unwrap()
                .len()
        })
    };
    // The same database served without SLR_SMTP_URL: incidents queue no email.
    let off = app.replica_with(|s| {
        s.email.smtp_url = None;
    });
    let ids = off.demo_ids().await;
    off.classified_incident(&ids, "Login failures", "major_outage", "saas2-eu")
        .await;
    assert_eq!(queued(), 0, "nothing waits for a mailer that never comes");
    // With SMTP it does.
    incident(&app, "Slow search", "saas2-eu").await;
    assert_eq!(queued(), 1);
    // Waiting messages older than a mailer would retry are purged without SMTP.
    let purged = slr_tests::with_conn(&app, |conn| {
        persistence::repo::email::purge_waiting(
            conn,
            time::OffsetDateTime::now_utc() + time::Duration::seconds(1),
        )
        .unwrap()
    });
    assert_eq!(purged, 1);
    assert_eq!(queued(), 0);
}
