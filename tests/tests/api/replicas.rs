//! Reads from memory, fresh everywhere: two servers on one database (replicas behind a load
//! balancer) see each other's writes within a second, whatever the write; a replica whose
//! watcher connection was killed still catches up; cached answers and 304s take no database
//! connection.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{json, Value};
use slr_tests::{join_all, personas, spawn_app_with, TestApp};

/// How soon another replica must show a write.
const WITHIN: Duration = Duration::from_secs(1);

/// Polls `check` on `app` until it holds; panics if it still does not after [`WITHIN`] from
/// `since` (when the write was acknowledged).
async fn converges<F, Fut>(what: &str, since: Instant, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    loop {
        if check().await {
            return;
        }
        assert!(
            since.elapsed() < WITHIN,
            "the other replica did not show {what} within {WITHIN:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Two replicas on one database whose cached answers never age out while a test runs: only the
/// data version can tell them an answer is stale.
async fn world() -> (TestApp, TestApp, i64) {
    let a = spawn_app_with(|s| s.answer_max_age = Duration::from_secs(60)).await;
    a.seed_demo();
    let b = a.replica();
    let sma = a
        .id_of("services", "name", "Service Management Automation")
        .await;
    (a, b, sma)
}

#[tokio::test]
async fn every_kind_of_write_on_one_replica_is_read_on_the_other_within_a_second() {
    let (a, b, sma) = world().await;
    let admin = a.admin_token();
    let northwind = a.token(personas::NORTHWIND);
    let globex_contact = a.token(personas::GLOBEX);
    let globex = a.id_of("accounts", "name", "Globex").await;
    // B has answered every question below once, so a stale answer would be in its cache.
    for (path, token) in [
        ("/api/v1/services", &admin),
        ("/api/v1/incidents", &northwind),
        ("/api/v1/status", &northwind),
        ("/api/v1/status", &globex_contact),
    ] {
        b.get_ok(path, token).await;
    }
    b.get_ok(&format!("/api/v1/accounts/{globex}"), &northwind)
        .await;

    // Catalogue.
    a.create("/api/v1/services", &json!({"name": "Replicated Service"}))
        .await;
    let since = Instant::now();
    converges("a new service", since, || async {
        b.get_ok("/api/v1/services?limit=200", &admin).await["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["name"] == "Replicated Service")
    })
    .await;

    // Directory: a partner reads its customer's new name.
    let renamed = a
        .patch(
            &format!("/api/v1/accounts/{globex}"),
            &admin,
            &json!({"name": "Globex Renamed"}),
        )
        .await;
    assert_eq!(renamed.status(), StatusCode::OK);
    let since = Instant::now();
    converges("an account's new name", since, || async {
        b.get_ok(&format!("/api/v1/accounts/{globex}"), &northwind)
            .await["name"]
            == "Globex Renamed"
    })
    .await;

    // Events: a new incident, then a timeline update.
    let incident = a
        .create(
            "/api/v1/incidents",
            &json!({"service_id": sma, "title": "Replicated outage", "impact": "major_outage",
                "scope": {"kind": "service"}, "message": "Looking into it."}),
        )
        .await;
    let path = format!("/api/v1/incidents/{}", incident["id"]);
    let since = Instant::now();
    converges("a new incident", since, || async {
        b.get_ok("/api/v1/status", &northwind)
            .await
            .to_string()
            .contains("Replicated outage")
    })
    .await;
    let update = a
        .post(
            &format!("{path}/updates"),
            &admin,
            &json!({"status": "identified", "message": "Cause found."}),
        )
        .await;
    assert_eq!(update.status(), StatusCode::CREATED);
    let since = Instant::now();
    converges("a timeline update", since, || async {
        b.get_ok(&path, &northwind).await["status"] == "identified"
    })
    .await;

    // A removed contact's token stops on the other replica too.
    let carol = a.contact_id(personas::GLOBEX);
    let removed = a.delete(&format!("/api/v1/contacts/{carol}"), &admin).await;
    assert_eq!(removed.status(), StatusCode::NO_CONTENT);
    let since = Instant::now();
    converges("the removal of a contact", since, || async {
        b.get("/api/v1/status", &globex_contact).await.status() == StatusCode::UNAUTHORIZED
    })
    .await;
}

#[tokio::test]
async fn a_replica_whose_watcher_connection_was_killed_still_catches_up() {
    let (a, b, sma) = world().await;
    let northwind = a.token(personas::NORTHWIND);
    b.get_ok("/api/v1/status", &northwind).await;
    // On SQLite (no server connection to kill) this checks plain convergence.
    a.terminate_connections(slr_api::workers::watcher::WATCHER_NAME);
    a.create(
        "/api/v1/incidents",
        &json!({"service_id": sma, "title": "After the cut", "impact": "partial_outage",
            "scope": {"kind": "service"}, "message": "Looking into it."}),
    )
    .await;
    let since = Instant::now();
    converges(
        "an incident after its watcher was cut off",
        since,
        || async {
            b.get_ok("/api/v1/status", &northwind)
                .await
                .to_string()
                .contains("After the cut")
        },
    )
    .await;
}

#[tokio::test]
async fn on_postgres_a_replica_hears_a_commit_without_waiting_for_its_poll() {
    // Polling once a minute: only the LISTEN connection can tell B in time.
    let a = spawn_app_with(|s| {
        s.answer_max_age = Duration::from_secs(60);
        s.version_poll = Duration::from_secs(60);
    })
    .await;
    if !a.is_postgres() {
        return; // NOTIFY is Postgres's; a SQLite file has one process and the poll.
    }
    a.seed_demo();
    let b = a.replica();
    let northwind = a.token(personas::NORTHWIND);
    b.get_ok("/api/v1/status", &northwind).await;
    let sma = a
        .id_of("services", "name", "Service Management Automation")
        .await;
    a.create(
        "/api/v1/incidents",
        &json!({"service_id": sma, "title": "Heard at once", "impact": "partial_outage",
            "scope": {"kind": "service"}, "message": "Looking into it."}),
    )
    .await;
    let since = Instant::now();
    converges("an incident announced by NOTIFY", since, || async {
        b.get_ok("/api/v1/status", &northwind)
            .await
            .to_string()
            .contains("Heard at once")
    })
    .await;
}

/// Every list a dashboard reads, as `token` sees it on `app`.
async fn everything(app: &TestApp, token: &str) -> Vec<Value> {
    let mut answers = Vec::new();
    for list in [
        "incidents?include=impacted_tenants&",
        "maintenances?include=impacted_tenants&",
        "tenants?",
        "offerings?",
        "accounts?",
        "services?",
        "classifications?",
    ] {
        answers.push(Value::Array(
            app.list_all(&format!("/api/v1/{list}limit=200"), token)
                .await,
        ));
    }
    answers.push(app.get_ok("/api/v1/status", token).await);
    answers
}

#[tokio::test]
async fn a_write_storm_on_one_replica_leaves_the_other_identical_to_a_fresh_load() {
    let (a, b, sma) = world().await;
    let admin = a.admin_token();
    let tokens = [
        admin.clone(),
        a.token(personas::NORTHWIND),
        a.token(personas::GLOBEX),
    ];
    for token in &tokens {
        everything(&b, token).await;
    }
    let globex_prod = a.id_of("tenants", "name", "globex-prod").await;
    let initech_prod = a.id_of("tenants", "name", "initech-prod").await;
    let globex = a.id_of("accounts", "name", "Globex").await;
    let class = a.id_of("classifications", "code", "saas2-eu").await;
    // 225 writes: 50 incidents, each with two timeline updates, and 50 windows, 20 at a time
    // (the updates of one incident in order), and 25 directory changes.
    let (app, admin) = (&a, admin.as_str());
    for batch in 0..5 {
        let incidents = join_all((0..10).map(|i| async move {
            let n = batch * 10 + i;
            let tenant = if n % 2 == 0 {
                globex_prod
            } else {
                initech_prod
            };
            let body = json!({"service_id": sma, "title": format!("Storm {n}"),
                "impact": "degraded", "scope": {"kind": "tenants", "tenant_ids": [tenant]},
                "message": "Checking."});
            app.create("/api/v1/incidents", &body).await
        }))
        .await;
        join_all(incidents.iter().map(|incident| async move {
            let path = format!("/api/v1/incidents/{}/updates", incident["id"]);
            for body in [
                json!({"status": "identified", "message": "Found it."}),
                json!({"status": "resolved", "message": "Fixed."}),
            ] {
                let answer = app.post(&path, admin, &body).await;
                assert_eq!(answer.status(), StatusCode::CREATED);
            }
        }))
        .await;
        join_all((0..10).map(|i| async move {
            let n = batch * 10 + i;
            let start = time::Duration::days(n + 1);
            let body = json!({"service_id": sma, "title": format!("Window {n}"),
                "description": "Planned.", "expected_impact": "degraded",
                "scope": {"kind": "tenants", "tenant_ids": [globex_prod]},
                "scheduled_start": slr_tests::at(start),
                "scheduled_end": slr_tests::at(start + time::Duration::hours(2))});
            app.create("/api/v1/maintenances", &body).await
        }))
        .await;
        // Directory churn: new tenants (and a renamed one), a contact added and removed.
        join_all((0..2).map(|i| async move {
            let body = json!({"name": format!("storm-{batch}-{i}"), "account_id": globex,
                "service_id": sma, "classification_id": class});
            app.create("/api/v1/tenants", &body).await
        }))
        .await;
        let renamed = app
            .patch(
                &format!("/api/v1/tenants/{globex_prod}"),
                admin,
                &json!({"name": format!("globex-prod-{batch}")}),
            )
            .await;
        assert_eq!(renamed.status(), StatusCode::OK);
        let contact = app
            .create(
                &format!("/api/v1/accounts/{globex}/contacts"),
                &json!({"email": format!("storm{batch}@globex.example"), "name": "Storm",
                    "role": "viewer"}),
            )
            .await;
        let removed = app
            .delete(&format!("/api/v1/contacts/{}", contact["id"]), admin)
            .await;
        assert_eq!(removed.status(), StatusCode::NO_CONTENT);
    }
    let since = Instant::now();
    for token in &tokens {
        converges("the storm's last state", since, || async {
            everything(&a, token).await == everything(&b, token).await
        })
        .await;
    }
    // And what both took in change by change equals a model loaded from scratch.
    let fresh = a.replica();
    for token in &tokens {
        assert!(everything(&a, token).await == everything(&fresh, token).await);
    }
}

/// A counter as `/metrics` reports it.
async fn counter(app: &TestApp, name: &str) -> u64 {
    app.metrics()
        .await
        .lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' '))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("{name} is reported"))
}

async fn checkouts(app: &TestApp) -> u64 {
    counter(app, "slr_db_checkouts_total").await
}

#[tokio::test]
async fn cached_answers_and_304s_take_no_database_connection() {
    // Long enough that no entry ages out while the test runs.
    let app = spawn_app_with(|s| s.answer_max_age = Duration::from_secs(60)).await;
    app.seed_demo();
    let token = app.token(personas::NORTHWIND);
    let paths = ["/api/v1/status", "/api/v1/incidents", "/api/v1/tenants"];
    let mut first = Vec::new();
    for path in paths {
        let answer = app.get(path, &token).await;
        assert_eq!(answer.status(), StatusCode::OK);
        let etag = answer.headers()["etag"].to_str().unwrap().to_owned();
        first.push((etag, answer.text().await.unwrap()));
    }
    let before = checkouts(&app).await;
    for _ in 0..10 {
        for (path, (etag, body)) in paths.iter().zip(&first) {
            let again = app.get(path, &token).await;
            assert_eq!(again.status(), StatusCode::OK);
            assert_eq!(&again.headers()["etag"].to_str().unwrap(), etag);
            assert_eq!(&again.text().await.unwrap(), body);
            let not_modified = app
                .client
                .get(app.url(path))
                .bearer_auth(&token)
                .header("If-None-Match", etag)
                .send()
                .await
                .unwrap();
            assert_eq!(not_modified.status(), StatusCode::NOT_MODIFIED);
        }
    }
    assert_eq!(
        checkouts(&app).await,
        before,
        "a cached read used the database"
    );

    // A write is seen by the next read on the replica that wrote it, with a new ETag.
    let sma = app
        .id_of("services", "name", "Service Management Automation")
        .await;
    app.create(
        "/api/v1/incidents",
        &json!({"service_id": sma, "title": "Fresh", "impact": "partial_outage",
            "scope": {"kind": "service"}, "message": "Looking into it."}),
    )
    .await;
    let fresh = app
        .client
        .get(app.url("/api/v1/status"))
        .bearer_auth(&token)
        .header("If-None-Match", &first[0].0)
        .send()
        .await
        .unwrap();
    assert_eq!(fresh.status(), StatusCode::OK);
    assert!(fresh.text().await.unwrap().contains("Fresh"));
}

#[tokio::test]
async fn a_model_behind_the_purged_change_log_reloads_everything() {
    use persistence::model::{ReadModel, Reads};
    let app = spawn_app_with(|_| {}).await;
    app.seed_demo();
    // A model loaded now, then left behind while the API writes and the log is purged.
    let model = ReadModel::load(&mut app.conn()).unwrap();
    let sma = app
        .id_of("services", "name", "Service Management Automation")
        .await;
    let created = app
        .create(
            "/api/v1/incidents",
            &json!({"service_id": sma, "title": "While away", "impact": "degraded",
                "scope": {"kind": "service"}, "message": "Looking into it."}),
        )
        .await;
    let id = domain::IncidentId(created["id"].as_i64().unwrap());
    let mut conn = app.conn();
    assert!(model.read(|m| { (&mut &*m).incident(id) }).is_err());
    diesel::RunQueryDsl::execute(diesel::sql_query("DELETE FROM data_changes"), &mut *conn)
        .unwrap();
    let version = model.catch_up(&mut conn).unwrap();
    assert_eq!(version, persistence::repo::data_version(&mut conn).unwrap());
    let found = model.read(|m| (&mut &*m).incident(id)).unwrap();
    assert_eq!(found.item.title.to_string(), "While away");
}

#[tokio::test]
async fn contacts_of_one_account_share_answers_but_each_gets_its_own_me() {
    let app = spawn_app_with(|s| s.answer_max_age = Duration::from_secs(60)).await;
    app.seed_demo();
    // Two admins of Globex: the same view of everything.
    let globex = app.id_of("accounts", "name", "Globex").await;
    app.create(
        &format!("/api/v1/accounts/{globex}/contacts"),
        &json!({"email": "second@globex.example", "name": "Second", "role": "admin"}),
    )
    .await;
    let carol = app.token(personas::GLOBEX);
    let support = app.token("second@globex.example");
    let status = app.get_ok("/api/v1/status", &carol).await;
    let made = counter(&app, "slr_answers_made_total").await;
    let served = counter(&app, "slr_answers_served_total").await;
    assert_eq!(app.get_ok("/api/v1/status", &support).await, status);
    assert_eq!(
        counter(&app, "slr_answers_made_total").await,
        made,
        "made again"
    );
    assert_eq!(counter(&app, "slr_answers_served_total").await, served + 1);
    for (token, email) in [
        (&carol, personas::GLOBEX),
        (&support, "second@globex.example"),
        (
            &app.token(personas::NORTHWIND_AT_GLOBEX),
            personas::NORTHWIND_AT_GLOBEX,
        ),
    ] {
        assert_eq!(
            app.get_ok("/api/v1/me", token).await["contact"]["email"],
            email
        );
    }
}

/// A contact or feed token made by another process (another replica, `slr admin create`) works
/// on this replica at once, before its next poll: an unknown but validly signed caller makes it
/// catch up once. Tokens for contacts that do not exist cannot make it reload without bound.
#[tokio::test]
async fn a_caller_made_elsewhere_is_known_at_once_and_unknown_ones_cannot_force_reloads() {
    // Polling once a minute: only the catch-up on an unknown caller can tell B in time.
    let a = spawn_app_with(|s| s.version_poll = Duration::from_secs(60)).await;
    a.seed_demo();
    let b = a.replica();
    let admin = a.admin_token();
    let provider = a.get_ok("/api/v1/me", &admin).await["account"]["id"].clone();
    let made = a
        .create(
            &format!("/api/v1/accounts/{provider}/contacts"),
            &json!({"email": "new-admin@acme-cloud.example", "name": "New", "role": "admin"}),
        )
        .await;
    let token = a.token("new-admin@acme-cloud.example");
    let me = b.get_ok("/api/v1/me", &token).await;
    assert_eq!(me["contact"]["id"], made["id"]);
    // A feed token made on A opens B's feeds and status page at once.
    let feed: Value = slr_tests::json_with(
        a.post("/api/v1/feed-tokens", &token, &json!({"name": "Wall"}))
            .await,
        StatusCode::CREATED,
    )
    .await;
    let secret = feed["token"].as_str().unwrap();
    for path in ["/api/v1/incidents.atom", "/status-page"] {
        let response = b
            .client
            .get(b.url(&format!("{path}?token={secret}")))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
    }

    // Validly signed tokens for contacts that do not exist: 401, and at most one catch-up per
    // unknown contact a second and CATCH_UPS_PER_SECOND in all (each takes one connection).
    let before = checkouts(&b).await;
    let ghost = b.token_with(
        &slr_tests::claims("990001", slr_tests::ISSUER, slr_tests::AUDIENCE, 60),
        b.secret.as_bytes(),
    );
    for _ in 0..30 {
        assert_eq!(
            b.get("/api/v1/me", &ghost).await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    assert!(checkouts(&b).await - before <= 1, "one ghost, one catch-up");
    let started = Instant::now();
    let ghosts: Vec<String> = (0..200)
        .map(|i| {
            b.token_with(
                &slr_tests::claims(
                    &(991_000 + i).to_string(),
                    slr_tests::ISSUER,
                    slr_tests::AUDIENCE,
                    60,
                ),
                b.secret.as_bytes(),
            )
        })
        .collect();
    let before = checkouts(&b).await;
    for ghost in &ghosts {
        assert_eq!(
            b.get("/api/v1/me", ghost).await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    let seconds = started.elapsed().as_secs() + 1;
    let allowed = u64::from(slr_api::http::auth::CATCH_UPS_PER_SECOND) * (seconds + 1);
    let used = checkouts(&b).await - before;
    assert!(
        used <= allowed,
        "{used} catch-ups for 200 ghosts in {seconds} s (allowed {allowed})"
    );
}

#[tokio::test]
async fn a_cached_answer_is_gzipped_once_when_made_and_handed_out_as_stored() {
    use reqwest::header::{ACCEPT_ENCODING, CONTENT_ENCODING, ETAG, IF_NONE_MATCH, VARY};
    let app = spawn_app_with(|s| s.answer_max_age = Duration::from_secs(60)).await;
    app.seed_demo_with_events();
    let token = app.token(personas::NORTHWIND);
    let get = |encoding: Option<&'static str>, etag: Option<String>| {
        let mut request = app
            .client
            .get(app.url("/api/v1/status?include=impacted_tenants"))
            .bearer_auth(&token);
        if let Some(encoding) = encoding {
            request = request.header(ACCEPT_ENCODING, encoding);
        }
        if let Some(etag) = etag {
            request = request.header(IF_NONE_MATCH, etag);
        }
        async move {
            let response = request.send().await.unwrap();
            let header = |name| {
                response
                    .headers()
                    .get(name)
                    .map(|v: &reqwest::header::HeaderValue| v.to_str().unwrap().to_owned())
            };
            let (status, encoding, vary, etag) = (
                response.status(),
                header(CONTENT_ENCODING),
                header(VARY),
                header(ETAG),
            );
            let body = response.bytes().await.unwrap();
            (status, encoding, vary, etag, body)
        }
    };
    let (status, encoding, vary, etag, plain) = get(None, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(encoding, None, "no Accept-Encoding, no compression");
    let varies = |vary: &Option<String>| {
        vary.as_deref().is_some_and(|v| {
            v.split(',')
                .any(|h| h.trim().eq_ignore_ascii_case("accept-encoding"))
        })
    };
    assert!(varies(&vary), "{vary:?}");
    let made = counter(&app, "slr_answers_made_total").await;

    let (status, encoding, vary, zipped_etag, zipped) = get(Some("br, gzip"), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(encoding.as_deref(), Some("gzip"));
    assert!(varies(&vary), "{vary:?}");
    assert_eq!(zipped_etag, etag, "one representation, one ETag");
    let mut unzipped = Vec::new();
    std::io::Read::read_to_end(
        &mut flate2::read::GzDecoder::new(&zipped[..]),
        &mut unzipped,
    )
    .unwrap();
    assert_eq!(unzipped, plain.to_vec(), "the same answer");
    assert!(
        zipped.len() * 3 < plain.len(),
        "{} of {} bytes",
        zipped.len(),
        plain.len()
    );
    // Made once: the gzip form came from the stored answer, byte for byte each time.
    assert_eq!(counter(&app, "slr_answers_made_total").await, made);
    assert_eq!(get(Some("gzip"), None).await.4, zipped);
    // gzip refused: the plain bytes.
    let (_, encoding, _, _, body) = get(Some("gzip;q=0, identity"), None).await;
    assert_eq!((encoding, body), (None, plain));
    // A 304 does no work either way.
    let (status, _, _, _, body) = get(Some("gzip"), etag).await;
    assert_eq!(status, StatusCode::NOT_MODIFIED);
    assert!(body.is_empty());
}
