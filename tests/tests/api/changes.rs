//! The change feed: what changed after a version, scoped exactly like the objects, paged, and
//! 410 once the log no longer reaches back. On the demo directory: Northwind manages Globex and
//! Initech, Contoso manages Umbrella and Hooli, Stark is direct.

use std::collections::{BTreeMap, BTreeSet};

use reqwest::StatusCode;
use serde_json::json;
use slr_tests::personas::{ALL, CONTOSO, GLOBEX, INITECH, NORTHWIND, PROVIDER, UMBRELLA};
use slr_tests::{problem, problem_field, spawn_app, with_conn, TestApp};

/// The whole feed after `since` for `who`, page by page (`limit` a page): (kind, id) → deleted,
/// and the last `next_since`. Checks each page's order and that no object repeats in a page.
async fn follow(
    app: &TestApp,
    who: &str,
    since: i64,
    limit: usize,
) -> (BTreeMap<(String, i64), bool>, i64) {
    let token = app.token(who);
    let mut seen = BTreeMap::new();
    let mut since = since;
    loop {
        let page = app
            .get_ok(
                &format!("/api/v1/changes?since={since}&limit={limit}"),
                &token,
            )
            .await;
        let items = page["items"].as_array().unwrap();
        assert!(items.len() <= limit, "{who}: a page holds at most `limit`");
        let versions: Vec<i64> = items
            .iter()
            .map(|i| i["version"].as_i64().unwrap())
            .collect();
        assert!(
            versions.windows(2).all(|w| w[0] < w[1]),
            "{who}: in version order: {versions:?}"
        );
        assert!(
            versions.iter().all(|v| *v > since),
            "{who}: only what came after since"
        );
        for item in items {
            let key = (
                item["kind"].as_str().unwrap().to_owned(),
                item["id"].as_i64().unwrap(),
            );
            seen.insert(key, item["deleted"].as_bool().unwrap());
        }
        let next = page["next_since"].as_i64().unwrap();
        assert!(next >= since, "{who}: the cursor never goes back");
        if !page["has_more"].as_bool().unwrap() {
            return (seen, next);
        }
        assert!(next > since, "{who}: has_more moves the cursor on");
        since = next;
    }
}

/// The version to follow from, as each persona gets it before a sync.
async fn start(app: &TestApp) -> i64 {
    let page = app.get_ok("/api/v1/changes", &app.admin_token()).await;
    assert_eq!(page["items"], json!([]));
    assert_eq!(page["has_more"], false);
    page["next_since"].as_i64().unwrap()
}

async fn tenant(app: &TestApp, name: &str, account: &str, class: &str) -> i64 {
    let ids = app.demo_ids().await;
    let body = json!({
        "name": name, "account_id": app.id_of("accounts", "name", account).await,
        "service_id": ids.sma, "classification_id": ids.class[class],
    });
    app.create("/api/v1/tenants", &body).await["id"]
        .as_i64()
        .unwrap()
}

fn collection(kind: &str) -> &'static str {
    match kind {
        "account" => "accounts",
        "service" => "services",
        "classification" => "classifications",
        "tenant" => "tenants",
        "offering" => "offerings",
        "incident" => "incidents",
        "maintenance" => "maintenances",
        other => panic!("unexpected kind {other}"),
    }
}

#[actix_web::test]
async fn each_persona_is_told_exactly_the_changes_to_what_it_may_read() {
    let app = spawn_app().await;
    app.seed_demo();
    let ids = app.demo_ids().await;
    let since = start(&app).await;
    // Writes across partners: tenants for Globex (Northwind) and Umbrella (Contoso), an
    // incident over one classification, a maintenance window aimed at one tenant, a service.
    let globex_tenant = tenant(&app, "gx-feed", "Globex", "saas2-eu").await;
    let umbrella_tenant = tenant(&app, "um-feed", "Umbrella", "saas3-us").await;
    let incident = app
        .classified_incident(&ids, "Queue delays", "degraded", "saas3-us")
        .await;
    let window = app
        .create(
            "/api/v1/maintenances",
            &json!({
                "service_id": ids.sma, "title": "Index rebuild", "description": "Planned work.",
                "expected_impact": "degraded",
                "scheduled_start": slr_tests::at(time::Duration::days(1)),
                "scheduled_end": slr_tests::at(time::Duration::days(1) + time::Duration::hours(1)),
                "scope": {"kind": "tenants", "tenant_ids": [globex_tenant]},
            }),
        )
        .await["id"]
        .as_i64()
        .unwrap();
    app.create("/api/v1/services", &json!({"name": "Feed Service"}))
        .await;

    let (everything, _) = follow(&app, PROVIDER, since, 1000).await;
    for key in [
        ("tenant".to_owned(), globex_tenant),
        ("tenant".to_owned(), umbrella_tenant),
        ("incident".to_owned(), incident),
        ("maintenance".to_owned(), window),
    ] {
        assert_eq!(
            everything.get(&key),
            Some(&false),
            "the provider is told of {key:?}"
        );
    }
    // For every persona: listed (as present) exactly when the persona may GET it now.
    for who in ALL {
        let token = app.token(who);
        let (told, _) = follow(&app, who, since, 1000).await;
        for ((kind, id), deleted) in &told {
            assert!(!deleted, "{who}: nothing was deleted");
            assert!(
                everything.contains_key(&(kind.clone(), *id)),
                "{who}: {kind} {id} changed"
            );
        }
        for (kind, id) in everything.keys() {
            if kind == "contact" {
                continue;
            }
            let status = app
                .get(&format!("/api/v1/{}/{id}", collection(kind)), &token)
                .await
                .status();
            assert_eq!(
                told.contains_key(&(kind.clone(), *id)),
                status == StatusCode::OK,
                "{who}: {kind} {id} is listed exactly when it can be read ({status})"
            );
        }
    }
    let (northwind, _) = follow(&app, NORTHWIND, since, 1000).await;
    assert!(northwind.contains_key(&("tenant".to_owned(), globex_tenant)));
    assert!(northwind.contains_key(&("maintenance".to_owned(), window)));
    assert!(!northwind.contains_key(&("tenant".to_owned(), umbrella_tenant)));
    let (umbrella, _) = follow(&app, UMBRELLA, since, 1000).await;
    assert!(umbrella.contains_key(&("incident".to_owned(), incident)));
    assert!(!umbrella.contains_key(&("maintenance".to_owned(), window)));
}

#[actix_web::test]
async fn objects_deleted_or_moved_away_are_told_as_deleted_to_those_who_saw_them() {
    let app = spawn_app().await;
    app.seed_demo();
    let doomed = tenant(&app, "gx-doomed", "Globex", "saas2-eu").await;
    let mover = tenant(&app, "gx-mover", "Globex", "saas2-eu").await;
    let since = start(&app).await;
    let admin = app.admin_token();
    assert_eq!(
        app.delete(&format!("/api/v1/tenants/{doomed}"), &admin)
            .await
            .status(),
        StatusCode::NO_CONTENT
    );
    let umbrella = app.id_of("accounts", "name", "Umbrella").await;
    let moved = app
        .patch(
            &format!("/api/v1/tenants/{mover}"),
            &admin,
            &json!({"account_id": umbrella}),
        )
        .await;
    assert_eq!(moved.status(), StatusCode::OK);

    let told = |feed: &BTreeMap<(String, i64), bool>, id: i64| {
        feed.get(&("tenant".to_owned(), id)).copied()
    };
    for who in [NORTHWIND, GLOBEX] {
        let (feed, _) = follow(&app, who, since, 1000).await;
        assert_eq!(
            told(&feed, doomed),
            Some(true),
            "{who}: the deleted tenant is gone"
        );
        assert_eq!(
            told(&feed, mover),
            Some(true),
            "{who}: the tenant moved out of its view"
        );
    }
    for who in [CONTOSO, UMBRELLA] {
        let (feed, _) = follow(&app, who, since, 1000).await;
        assert_eq!(
            told(&feed, doomed),
            None,
            "{who} never saw the deleted tenant"
        );
        assert_eq!(
            told(&feed, mover),
            Some(false),
            "{who}: the tenant moved into its view"
        );
    }
    let (initech, _) = follow(&app, INITECH, since, 1000).await;
    assert_eq!(initech, BTreeMap::new(), "Initech saw none of it");
    let (provider, _) = follow(&app, PROVIDER, since, 1000).await;
    assert_eq!(told(&provider, doomed), Some(true));
    assert_eq!(told(&provider, mover), Some(false));
}

#[actix_web::test]
async fn an_event_narrowed_away_and_a_customer_moved_away_leave_the_old_view() {
    let app = spawn_app().await;
    app.seed_demo();
    let ids = app.demo_ids().await;
    let globex = tenant(&app, "gx-narrowed", "Globex", "saas2-eu").await;
    let umbrella = tenant(&app, "um-kept", "Umbrella", "saas2-eu").await;
    let incident = app
        .create(
            "/api/v1/incidents",
            &json!({
                "service_id": ids.sma, "title": "Login errors", "impact": "partial_outage",
                "scope": {"kind": "tenants", "tenant_ids": [globex, umbrella]},
                "message": "Investigating.",
            }),
        )
        .await["id"]
        .as_i64()
        .unwrap();
    let admin = app.admin_token();
    // Resolved, so narrowing its scope corrects its history (an open incident's narrowing
    // keeps the tenants it leaves, as recovered: see recoveries.rs).
    app.resolve(incident).await;
    let since = start(&app).await;
    let narrowed = app
        .patch(
            &format!("/api/v1/incidents/{incident}"),
            &admin,
            &json!({"scope": {"kind": "tenants", "tenant_ids": [umbrella]}}),
        )
        .await;
    assert_eq!(narrowed.status(), StatusCode::OK);
    let key = ("incident".to_owned(), incident);
    for (who, deleted) in [
        (NORTHWIND, true),
        (GLOBEX, true),
        (CONTOSO, false),
        (UMBRELLA, false),
    ] {
        let (feed, _) = follow(&app, who, since, 1000).await;
        assert_eq!(feed.get(&key), Some(&deleted), "{who}");
    }
    let (initech, _) = follow(&app, INITECH, since, 1000).await;
    assert_eq!(initech.get(&key), None, "Initech never saw it");

    // Globex moves from Northwind to Contoso: Northwind is told Globex and its tenants left.
    let since = start(&app).await;
    let contoso = app.id_of("accounts", "name", "Contoso Consulting").await;
    let globex_account = app.id_of("accounts", "name", "Globex").await;
    let moved = app
        .patch(
            &format!("/api/v1/accounts/{globex_account}"),
            &admin,
            &json!({"managing_partner_id": contoso}),
        )
        .await;
    assert_eq!(moved.status(), StatusCode::OK);
    let (northwind, _) = follow(&app, NORTHWIND, since, 1000).await;
    assert_eq!(
        northwind.get(&("account".to_owned(), globex_account)),
        Some(&true)
    );
    assert_eq!(northwind.get(&("tenant".to_owned(), globex)), Some(&true));
    let (contoso_feed, _) = follow(&app, CONTOSO, since, 1000).await;
    assert_eq!(
        contoso_feed.get(&("account".to_owned(), globex_account)),
        Some(&false)
    );
    assert_eq!(
        contoso_feed.get(&("tenant".to_owned(), globex)),
        Some(&false)
    );
    let (globex_feed, _) = follow(&app, GLOBEX, since, 1000).await;
    assert_eq!(
        globex_feed.get(&("account".to_owned(), globex_account)),
        Some(&false)
    );
}

#[actix_web::test]
async fn small_pages_add_up_to_the_whole_feed() {
    let app = spawn_app().await;
    app.seed_demo();
    let since = start(&app).await;
    let mut names = BTreeSet::new();
    for n in 0..7 {
        names.insert(tenant(&app, &format!("page-{n}"), "Globex", "saas2-eu").await);
    }
    // Change the first again: it is told once, at its latest version.
    let first = *names.iter().next().unwrap();
    app.patch(
        &format!("/api/v1/tenants/{first}"),
        &app.admin_token(),
        &json!({"name": "page-first"}),
    )
    .await;
    let (whole, end) = follow(&app, NORTHWIND, since, 1000).await;
    let (paged, paged_end) = follow(&app, NORTHWIND, since, 2).await;
    assert_eq!(paged, whole, "pages of two list what one page lists");
    assert_eq!(paged_end, end);
    let tenants: BTreeSet<i64> = whole
        .keys()
        .filter(|(k, _)| k == "tenant")
        .map(|(_, id)| *id)
        .collect();
    assert_eq!(tenants, names);
    let page = app
        .get_ok(
            &format!("/api/v1/changes?since={since}"),
            &app.token(NORTHWIND),
        )
        .await;
    let last = page["items"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        last["id"], first,
        "the renamed tenant comes last, at its latest version"
    );
    assert_eq!(last["href"], format!("/api/v1/tenants/{first}"));
    // Nothing new: an empty page that keeps the cursor.
    let quiet = app
        .get_ok(
            &format!("/api/v1/changes?since={end}"),
            &app.token(NORTHWIND),
        )
        .await;
    assert_eq!(quiet["items"], json!([]));
    assert_eq!(quiet["next_since"], end);
}

#[actix_web::test]
async fn a_since_older_than_the_log_answers_410_and_bad_parameters_400() {
    let app = spawn_app().await;
    app.seed_demo();
    let token = app.token(NORTHWIND);
    assert_eq!(
        app.get("/api/v1/changes?since=0", &token).await.status(),
        StatusCode::OK
    );
    let current = start(&app).await;
    with_conn(&app, |conn| {
        persistence::changes::purge(conn, time::Duration::seconds(-5)).unwrap()
    });
    // (A new query: the answer made before the purge stays true until the data changes.)
    let gone = problem(
        app.get("/api/v1/changes?since=0&limit=100", &token).await,
        StatusCode::GONE,
        "since_expired",
    )
    .await;
    assert!(
        gone.detail.contains("list the objects again"),
        "{}",
        gone.detail
    );
    // From the current version on, the feed works again.
    let fresh = app
        .get_ok(&format!("/api/v1/changes?since={current}"), &token)
        .await;
    assert_eq!(fresh["next_since"], current);
    tenant(&app, "after-purge", "Globex", "saas2-eu").await;
    let (after, _) = follow(&app, NORTHWIND, current, 10).await;
    assert_eq!(after.len(), 1, "{after:?}");

    // A since no version reached yet starts the client again from the current version.
    let ahead = app
        .get_ok("/api/v1/changes?since=9223372036854775806", &token)
        .await;
    assert_eq!(ahead["items"], json!([]));
    assert_eq!(ahead["next_since"], start(&app).await);
    for (query, field) in [
        ("since=-1", "since"),
        ("since=abc", "since"),
        ("since=0&limit=0", "limit"),
        ("since=0&limit=1001", "limit"),
    ] {
        let answer = app.get(&format!("/api/v1/changes?{query}"), &token).await;
        let named = problem_field(answer, StatusCode::BAD_REQUEST, "invalid_parameter").await;
        assert_eq!(named, field, "{query}");
    }
}

#[actix_web::test]
async fn an_event_whose_classification_or_service_scope_narrows_away_is_told_as_deleted() {
    let app = spawn_app().await;
    app.seed_demo();
    let ids = app.demo_ids().await;
    let admin = app.admin_token();
    // saas2-eu on Service Management Automation: globex-prod (Globex, Northwind) and
    // stark-prod (Stark, direct).
    let classified = app
        .classified_incident(&ids, "Slow pages", "degraded", "saas2-eu")
        .await;
    let wide = app
        .create(
            "/api/v1/incidents",
            &json!({"service_id": ids.sma, "title": "Outage", "impact": "major_outage",
                    "scope": {"kind": "service"}, "message": "Investigating."}),
        )
        .await["id"]
        .as_i64()
        .unwrap();
    // Resolved: each narrowing is a correction of the incident's history.
    app.resolve(classified).await;
    app.resolve(wide).await;
    let since = start(&app).await;
    for (id, class) in [(classified, "saas2-us"), (wide, "saas3-us")] {
        let narrowed = app
            .patch(
                &format!("/api/v1/incidents/{id}"),
                &admin,
                &json!({"scope": {"kind": "classifications", "classification_ids": [ids.class[class]]}}),
            )
            .await;
        assert_eq!(narrowed.status(), StatusCode::OK);
    }
    // Now: `classified` reaches initech-prod only; `wide` reaches hooli-prod only.
    let told = |feed: &BTreeMap<(String, i64), bool>, id: i64| {
        feed.get(&("incident".to_owned(), id)).copied()
    };
    for (who, on_classified, on_wide) in [
        (GLOBEX, Some(true), Some(true)),
        (slr_tests::personas::STARK, Some(true), Some(true)),
        (NORTHWIND, Some(false), Some(true)),
        (INITECH, Some(false), Some(true)),
        (CONTOSO, None, Some(false)),
        (UMBRELLA, None, Some(true)),
    ] {
        let (feed, _) = follow(&app, who, since, 1000).await;
        assert_eq!(
            told(&feed, classified),
            on_classified,
            "{who}: the classified incident"
        );
        assert_eq!(
            told(&feed, wide),
            on_wide,
            "{who}: the service-wide incident"
        );
    }
}

/// The collections a mirror keeps (contacts are read under their account, not mirrored).
const MIRRORED: [&str; 7] = [
    "accounts",
    "services",
    "classifications",
    "tenants",
    "offerings",
    "incidents",
    "maintenances",
];

/// Everything `token` may read now: each item the list endpoints show, as GET shows it.
async fn listed(app: &TestApp, token: &str) -> BTreeMap<(String, i64), serde_json::Value> {
    let mut all = BTreeMap::new();
    for collection in MIRRORED {
        for item in app
            .list_all(&format!("/api/v1/{collection}?limit=200"), token)
            .await
        {
            let id = item["id"].as_i64().unwrap();
            let kind = collection.trim_end_matches('s').to_owned();
            let shown = app
                .get_ok(&format!("/api/v1/{collection}/{id}"), token)
                .await;
            all.insert((kind, id), shown);
        }
    }
    all
}

/// An integration that lists its view once, then keeps it by applying every page of the feed:
/// a listed object is read again at its `href`, a deleted one dropped.
struct Mirror {
    who: &'static str,
    token: String,
    since: i64,
    objects: BTreeMap<(String, i64), serde_json::Value>,
}

impl Mirror {
    async fn start(app: &TestApp, who: &'static str) -> Self {
        let token = app.token(who);
        let since = app.get_ok("/api/v1/changes", &token).await["next_since"]
            .as_i64()
            .unwrap();
        let objects = listed(app, &token).await;
        Self {
            who,
            token,
            since,
            objects,
        }
    }

    /// Applies every page after the last sync, `limit` objects a page. Every object told deleted
    /// must be one the mirror holds: told once, and only to those who had it.
    async fn sync(&mut self, app: &TestApp, limit: usize, step: &str) {
        let who = self.who;
        loop {
            let page = app
                .get_ok(
                    &format!("/api/v1/changes?since={}&limit={limit}", self.since),
                    &self.token,
                )
                .await;
            for item in page["items"].as_array().unwrap() {
                let kind = item["kind"].as_str().unwrap().to_owned();
                if kind == "contact" {
                    continue;
                }
                let key = (kind, item["id"].as_i64().unwrap());
                if item["deleted"].as_bool().unwrap() {
                    assert!(
                        self.objects.remove(&key).is_some(),
                        "{who} after {step}: told {key:?} deleted, but it never had it or was told already"
                    );
                } else {
                    let href = item["href"].as_str().unwrap();
                    let response = app.get(href, &self.token).await;
                    assert_eq!(
                        response.status(),
                        StatusCode::OK,
                        "{who} after {step}: told {key:?} is there, but cannot read it"
                    );
                    self.objects.insert(key, response.json().await.unwrap());
                }
            }
            let next = page["next_since"].as_i64().unwrap();
            let more = page["has_more"].as_bool().unwrap();
            assert!(!more || next > self.since, "{who}: has_more moves on");
            self.since = next;
            if !more {
                break;
            }
        }
        let now = listed(app, &self.token).await;
        let stale: Vec<_> = self
            .objects
            .iter()
            .filter(|(key, value)| now.get(*key) != Some(*value))
            .map(|(key, _)| key.clone())
            .collect();
        let missing: Vec<_> = now
            .keys()
            .filter(|key| !self.objects.contains_key(*key))
            .cloned()
            .collect();
        assert!(
            stale.is_empty() && missing.is_empty(),
            "{who} after {step}: the mirror differs from the lists: stale or extra {stale:?}, missing {missing:?}"
        );
    }
}

#[actix_web::test]
async fn a_mirror_following_the_feed_ends_with_exactly_what_the_lists_show_it() {
    let app = spawn_app().await;
    app.seed_demo();
    let admin = app.admin_token();
    let ids = app.demo_ids().await;
    let (class_a, class_b) = (ids.class["saas2-eu"], ids.class["saas3-us"]);
    let service = app
        .create("/api/v1/services", &json!({"name": "Mirror Service"}))
        .await["id"]
        .as_i64()
        .unwrap();
    let account = |name: &'static str| {
        let app = &app;
        async move { app.id_of("accounts", "name", name).await }
    };
    let (globex, initech, umbrella, hooli, stark) = (
        account("Globex").await,
        account("Initech").await,
        account("Umbrella").await,
        account("Hooli").await,
        account("Stark Industries").await,
    );
    let northwind = account("Northwind Partners").await;
    let new_tenant = |name: &'static str, owner: i64, class: i64| {
        let app = &app;
        async move {
            app.create(
                "/api/v1/tenants",
                &json!({"name": name, "account_id": owner, "service_id": service, "classification_id": class}),
            )
            .await["id"]
                .as_i64()
                .unwrap()
        }
    };
    let gx = new_tenant("gx-mirror", globex, class_a).await;
    let initech_tenant = new_tenant("in-mirror", initech, class_a).await;
    new_tenant("um-mirror", umbrella, class_b).await;
    new_tenant("hk-mirror", hooli, class_a).await;
    app.create(
        "/api/v1/offerings",
        &json!({"service_id": service, "account_id": stark, "name": "Stark on Mirror"}),
    )
    .await;
    let event = |body: serde_json::Value, path: &'static str| {
        let app = &app;
        async move { app.create(path, &body).await["id"].as_i64().unwrap() }
    };
    let on_a = event(
        json!({"service_id": service, "title": "Slow queues", "impact": "degraded",
               "scope": {"kind": "classifications", "classification_ids": [class_a]}, "message": "Investigating."}),
        "/api/v1/incidents",
    )
    .await;
    let on_gx = event(
        json!({"service_id": service, "title": "Login errors", "impact": "partial_outage",
               "scope": {"kind": "tenants", "tenant_ids": [gx]}, "message": "Investigating."}),
        "/api/v1/incidents",
    )
    .await;
    let wide = event(
        json!({"service_id": service, "title": "Outage", "impact": "major_outage",
               "scope": {"kind": "service"}, "message": "Investigating."}),
        "/api/v1/incidents",
    )
    .await;
    let start = time::Duration::days(3);
    event(
        json!({"service_id": service, "title": "Upgrade", "description": "Planned work.",
               "expected_impact": "downtime", "scheduled_start": slr_tests::at(start),
               "scheduled_end": slr_tests::at(start + time::Duration::hours(2)),
               "scope": {"kind": "classifications", "classification_ids": [class_b]}}),
        "/api/v1/maintenances",
    )
    .await;
    // Resolved, so narrowing it later corrects its history instead of keeping recovered tenants.
    app.resolve(wide).await;

    let mut mirrors = Vec::new();
    for who in [
        PROVIDER,
        NORTHWIND,
        CONTOSO,
        GLOBEX,
        INITECH,
        UMBRELLA,
        slr_tests::personas::HOOLI,
        slr_tests::personas::STARK,
    ] {
        mirrors.push(Mirror::start(&app, who).await);
    }
    macro_rules! step {
        ($name:expr, $write:expr) => {{
            let response = $write;
            assert!(
                response.status().is_success(),
                "{}: {}",
                $name,
                response.text().await.unwrap()
            );
            for mirror in mirrors.iter_mut() {
                mirror.sync(&app, 2, $name).await;
            }
        }};
    }
    // A tenant created in the classification of an open incident (and so inside the
    // service-wide one): both enter Stark's view.
    let stark_tenant = new_tenant("st-mirror", stark, class_a).await;
    for mirror in mirrors.iter_mut() {
        mirror.sync(&app, 2, "a tenant created").await;
    }
    step!(
        "a tenant moved to a customer of another partner",
        app.patch(
            &format!("/api/v1/tenants/{gx}"),
            &admin,
            &json!({"account_id": umbrella})
        )
        .await
    );
    step!(
        "a tenant reclassified",
        app.patch(
            &format!("/api/v1/tenants/{stark_tenant}"),
            &admin,
            &json!({"classification_id": class_b})
        )
        .await
    );
    step!(
        "a direct customer moved under a partner",
        app.patch(
            &format!("/api/v1/accounts/{stark}"),
            &admin,
            &json!({"managing_partner_id": northwind})
        )
        .await
    );
    step!(
        "a customer changing partner",
        app.patch(
            &format!("/api/v1/accounts/{hooli}"),
            &admin,
            &json!({"managing_partner_id": northwind})
        )
        .await
    );
    step!(
        "a tenant deleted",
        app.delete(&format!("/api/v1/tenants/{initech_tenant}"), &admin)
            .await
    );
    step!(
        "a service-wide event narrowed",
        app.patch(
            &format!("/api/v1/incidents/{wide}"),
            &admin,
            &json!({"scope": {"kind": "classifications", "classification_ids": [class_b]}})
        )
        .await
    );
    // An offering written: the events its account sees now show it, or no longer do.
    let offering = app
        .create(
            "/api/v1/offerings",
            &json!({"service_id": service, "account_id": umbrella, "name": "Umbrella on Mirror"}),
        )
        .await["id"]
        .as_i64()
        .unwrap();
    for mirror in mirrors.iter_mut() {
        mirror.sync(&app, 2, "an offering created").await;
    }
    step!(
        "an offering deleted",
        app.delete(&format!("/api/v1/offerings/{offering}"), &admin)
            .await
    );
    // A classification's region shows in the impacted label of the windows scoped to it.
    step!(
        "a classification relabelled",
        app.patch(
            &format!("/api/v1/classifications/{class_b}"),
            &admin,
            &json!({"region": "APAC"})
        )
        .await
    );
    // Later edits of what left some views: told to those who see it, to nobody else again.
    step!(
        "an update of an incident that left some views",
        app.post(
            &format!("/api/v1/incidents/{on_gx}/updates"),
            &admin,
            &json!({"status": "identified", "message": "Found it."})
        )
        .await
    );
    step!(
        "an update of another",
        app.post(
            &format!("/api/v1/incidents/{on_a}/updates"),
            &admin,
            &json!({"status": "monitoring", "message": "Watching."})
        )
        .await
    );
    step!(
        "a moved tenant renamed",
        app.patch(
            &format!("/api/v1/tenants/{gx}"),
            &admin,
            &json!({"name": "gx-renamed"})
        )
        .await
    );
    step!(
        "a narrowed incident edited",
        app.patch(
            &format!("/api/v1/incidents/{wide}"),
            &admin,
            &json!({"title": "Outage (corrected)"})
        )
        .await
    );
}

#[actix_web::test]
async fn a_departed_object_is_told_deleted_once_and_not_for_its_later_edits() {
    let app = spawn_app().await;
    app.seed_demo();
    let admin = app.admin_token();
    let ids = app.demo_ids().await;
    let moved = tenant(&app, "gx-leaving", "Globex", "saas2-eu").await;
    let incident = app
        .create(
            "/api/v1/incidents",
            &json!({"service_id": ids.sma, "title": "Login errors", "impact": "partial_outage",
                    "scope": {"kind": "tenants", "tenant_ids": [moved]}, "message": "Investigating."}),
        )
        .await["id"]
        .as_i64()
        .unwrap();
    let since = start(&app).await;
    let umbrella = app.id_of("accounts", "name", "Umbrella").await;
    let response = app
        .patch(
            &format!("/api/v1/tenants/{moved}"),
            &admin,
            &json!({"account_id": umbrella}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let (feed, after_move) = follow(&app, NORTHWIND, since, 1000).await;
    assert_eq!(feed.get(&("tenant".to_owned(), moved)), Some(&true));
    assert_eq!(feed.get(&("incident".to_owned(), incident)), Some(&true));
    // Edits after the departure: news to Contoso, nothing to Northwind.
    app.patch(
        &format!("/api/v1/tenants/{moved}"),
        &admin,
        &json!({"name": "um-arrived"}),
    )
    .await;
    app.post(
        &format!("/api/v1/incidents/{incident}/updates"),
        &admin,
        &json!({"status": "identified", "message": "Found it."}),
    )
    .await;
    let (later, _) = follow(&app, NORTHWIND, after_move, 1000).await;
    assert_eq!(later, BTreeMap::new(), "Northwind was told once");
    let (contoso, _) = follow(&app, CONTOSO, after_move, 1000).await;
    assert_eq!(
        contoso.get(&("incident".to_owned(), incident)),
        Some(&false)
    );
    assert_eq!(contoso.get(&("tenant".to_owned(), moved)), Some(&false));

    // A direct customer moved under a partner left nobody's view: no other partner hears of it.
    let since = start(&app).await;
    let stark = app.id_of("accounts", "name", "Stark Industries").await;
    let northwind = app.id_of("accounts", "name", "Northwind Partners").await;
    let response = app
        .patch(
            &format!("/api/v1/accounts/{stark}"),
            &admin,
            &json!({"managing_partner_id": northwind}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    for who in [CONTOSO, UMBRELLA, GLOBEX, INITECH] {
        let (feed, _) = follow(&app, who, since, 1000).await;
        assert_eq!(feed, BTreeMap::new(), "{who} never saw Stark");
    }
    let (northwind_feed, _) = follow(&app, NORTHWIND, since, 1000).await;
    assert_eq!(
        northwind_feed.get(&("account".to_owned(), stark)),
        Some(&false)
    );
}

#[actix_web::test]
async fn a_draft_report_moves_nothing_a_partner_can_observe() {
    let app = spawn_app().await;
    app.seed_demo();
    let admin = app.admin_token();
    let ids = app.demo_ids().await;
    tenant(&app, "gx-report", "Globex", "saas2-eu").await;
    let incident = app
        .classified_incident(&ids, "Slow pages", "degraded", "saas2-eu")
        .await;
    app.resolve(incident).await;
    let partner = app.token(NORTHWIND);
    let path = format!("/api/v1/incidents/{incident}");
    let observe = || {
        let (app, partner, path) = (&app, &partner, &path);
        async move {
            let response = app.get(path, partner).await;
            assert_eq!(response.status(), StatusCode::OK);
            let etag = response.headers()["etag"].to_str().unwrap().to_owned();
            let body: serde_json::Value = response.json().await.unwrap();
            let atom = app.get("/api/v1/incidents.atom", partner).await;
            assert_eq!(atom.status(), StatusCode::OK);
            let feed = atom_syndication::Feed::read_from(&atom.bytes().await.unwrap()[..]).unwrap();
            let entry = feed
                .entries()
                .iter()
                .find(|e| e.id() == format!("urn:slr:incident:{incident}"))
                .map(|e| e.updated().to_rfc3339());
            (
                etag,
                body["version"].clone(),
                body["updated_at"].clone(),
                body["report"].clone(),
                feed.updated().to_rfc3339(),
                entry,
            )
        }
    };
    let before = observe().await;
    let since = start(&app).await;
    let report = |publish: bool, summary: &'static str| {
        let (app, admin, incident) = (&app, &admin, incident);
        async move {
            let response = app
                .request(
                    reqwest::Method::PUT,
                    &format!("/api/v1/incidents/{incident}/report"),
                    Some(admin),
                    Some(&json!({"summary": summary, "root_cause": "A full disk.",
                                  "remediation": "Alerts on disk space.", "publish": publish})),
                )
                .await;
            assert_eq!(response.status(), StatusCode::OK);
        }
    };
    report(false, "A first draft.").await;
    report(false, "A second draft.").await;
    assert_eq!(
        observe().await,
        before,
        "a draft moves nothing Northwind sees"
    );
    let (feed, after_drafts) = follow(&app, NORTHWIND, since, 1000).await;
    assert_eq!(feed, BTreeMap::new(), "nor its change feed");
    let drafted = app.get_ok(&format!("{path}/report"), &admin).await;
    assert_eq!(
        drafted["summary"], "A second draft.",
        "the provider reads the draft"
    );

    report(true, "What happened.").await;
    let published = observe().await;
    assert_ne!(published.0, before.0, "publishing moves the ETag");
    assert_eq!(published.1, json!(before.1.as_i64().unwrap() + 1));
    assert_ne!(published.2, before.2);
    assert_eq!(published.3["summary"], "What happened.");
    assert_ne!(published.5, before.5, "and the Atom entry's updated");
    let (feed, _) = follow(&app, NORTHWIND, after_drafts, 1000).await;
    assert_eq!(feed.get(&("incident".to_owned(), incident)), Some(&false));
}

/// A tenant an open incident's scope narrowed away from keeps the incident as recovered; when
/// that tenant is deleted, its owner is told the incident left its view (the mark goes with the
/// tenant, and was the only thing that put the incident there).
#[actix_web::test]
async fn deleting_a_tenant_kept_only_by_its_recovery_mark_tells_its_owner_the_incident_left() {
    let app = spawn_app().await;
    app.seed_demo();
    let admin = app.admin_token();
    let ids = app.demo_ids().await;
    let globex_prod = app.id_of("tenants", "name", "globex-prod").await;
    let stark_prod = app.id_of("tenants", "name", "stark-prod").await;
    let incident = app
        .create(
            "/api/v1/incidents",
            &json!({"service_id": ids.sma, "title": "Login failures", "impact": "major_outage",
                "message": "Investigating.",
                "scope": {"kind": "tenants", "tenant_ids": [globex_prod, stark_prod]}}),
        )
        .await["id"]
        .as_i64()
        .unwrap();
    let mut globex = Mirror::start(&app, GLOBEX).await;
    let narrowed = app
        .patch(
            &format!("/api/v1/incidents/{incident}"),
            &admin,
            &json!({"scope": {"kind": "tenants", "tenant_ids": [stark_prod]}}),
        )
        .await;
    assert_eq!(narrowed.status(), StatusCode::OK);
    globex.sync(&app, 2, "narrowed: kept as recovered").await;
    assert!(globex
        .objects
        .contains_key(&("incident".to_owned(), incident)));
    let gone = app
        .delete(&format!("/api/v1/tenants/{globex_prod}"), &admin)
        .await;
    assert_eq!(gone.status(), StatusCode::NO_CONTENT);
    globex.sync(&app, 2, "the recovered tenant deleted").await;
    assert!(!globex
        .objects
        .contains_key(&("incident".to_owned(), incident)));
}
