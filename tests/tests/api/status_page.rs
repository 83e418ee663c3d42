//! The built-in status page, per caller: parsed as HTML (html5ever, as browsers do), each
//! persona's page shows exactly its offerings, incidents, windows and tenants.

use std::collections::BTreeSet;

use reqwest::StatusCode;
use scraper::{Html, Selector};
use serde_json::{json, Value};
use slr_tests::{json_with, spawn_app, TestApp};

struct World {
    app: TestApp,
    ids: slr_tests::DemoIds,
}

async fn world() -> World {
    let app = spawn_app().await;
    app.seed_demo();
    let ids = app.demo_ids().await;
    World { app, ids }
}

impl World {
    async fn incident(&self, title: &str, class: &str) -> i64 {
        self.app
            .classified_incident(&self.ids, title, "partial_outage", class)
            .await
    }

    async fn maintenance(&self, title: &str, class: &str) -> i64 {
        self.app
            .classified_maintenance(&self.ids, title, class, 2)
            .await["id"]
            .as_i64()
            .unwrap()
    }

    async fn page(&self, email: &str) -> (reqwest::header::HeaderMap, Html) {
        let response = self.app.get("/status-page", &self.app.token(email)).await;
        assert_eq!(response.status(), StatusCode::OK, "{email}");
        let headers = response.headers().clone();
        (
            headers,
            Html::parse_document(&response.text().await.unwrap()),
        )
    }
}

fn select<'a>(html: &'a Html, css: &str) -> Vec<scraper::ElementRef<'a>> {
    html.select(&Selector::parse(css).unwrap()).collect()
}

fn ids(html: &Html, css: &str, attribute: &str) -> BTreeSet<i64> {
    select(html, css)
        .iter()
        .map(|e| e.value().attr(attribute).unwrap().parse().unwrap())
        .collect()
}

fn text(html: &Html) -> String {
    html.root_element().text().collect::<Vec<_>>().join(" ")
}

/// The tenants an event's article names.
fn tenants_of(html: &Html, article: &str) -> BTreeSet<String> {
    select(html, &format!("{article} .names"))
        .iter()
        .flat_map(|names| {
            names
                .text()
                .collect::<String>()
                .split(", ")
                .filter(|n| !n.is_empty())
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .collect()
}

#[tokio::test]
async fn each_persona_sees_exactly_its_offerings_events_and_tenants() {
    let w = world().await;
    let eu = w.incident("Login failures", "saas2-eu").await; // globex-prod, stark-prod
    let us3 = w.incident("Slow reports", "saas3-us").await; // hooli-prod (Contoso)
    let window = w.maintenance("Database upgrade", "saas2-us").await; // initech-prod
    let all = [
        "globex-prod",
        "globex-analytics",
        "initech-prod",
        "stark-prod",
        "hooli-prod",
        "umbrella-prod",
        "northwind-internal",
    ];
    for (email, incidents, windows, tenants) in [
        (
            "alice@northwind.example",
            vec![(eu, vec!["globex-prod"])],
            vec![(window, vec!["initech-prod"])],
            vec!["globex-prod", "initech-prod"],
        ),
        (
            "carol@globex.example",
            vec![(eu, vec!["globex-prod"])],
            vec![],
            vec!["globex-prod"],
        ),
        (
            "northwind-support@globex.example",
            vec![(eu, vec!["globex-prod"])],
            vec![],
            vec!["globex-prod"],
        ),
        (
            "tony@stark.example",
            vec![(eu, vec!["stark-prod"])],
            vec![],
            vec!["stark-prod"],
        ),
        (
            "admin@acme-cloud.example",
            vec![
                (eu, vec!["globex-prod", "stark-prod"]),
                (us3, vec!["hooli-prod"]),
            ],
            vec![(window, vec!["initech-prod"])],
            vec!["globex-prod", "stark-prod", "hooli-prod", "initech-prod"],
        ),
    ] {
        let (_, html) = w.page(email).await;
        // Exactly the offerings of the caller's status overview, each with 90 daily bars.
        let status = w.app.get_ok("/api/v1/status", &w.app.token(email)).await;
        let expected: BTreeSet<i64> = status["offerings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["offering_id"].as_i64().unwrap())
            .collect();
        assert_eq!(
            ids(&html, "article.offering", "data-offering-id"),
            expected,
            "{email}"
        );
        for offering in select(&html, "article.offering") {
            let days = offering
                .select(&Selector::parse("ol.days > li.day").unwrap())
                .count();
            assert_eq!(days, 90, "{email}");
        }
        let shown: BTreeSet<i64> = incidents.iter().map(|(id, _)| *id).collect();
        assert_eq!(
            ids(&html, "article.incident", "data-incident-id"),
            shown,
            "{email}"
        );
        for (id, names) in &incidents {
            let names: BTreeSet<String> = names.iter().map(|n| n.to_string()).collect();
            assert_eq!(
                tenants_of(&html, &format!("article[data-incident-id=\"{id}\"]")),
                names,
                "{email}"
            );
        }
        let shown: BTreeSet<i64> = windows.iter().map(|(id, _)| *id).collect();
        assert_eq!(
            ids(&html, "article.maintenance", "data-maintenance-id"),
            shown,
            "{email}"
        );
        for (id, names) in &windows {
            let names: BTreeSet<String> = names.iter().map(|n| n.to_string()).collect();
            assert_eq!(
                tenants_of(&html, &format!("article[data-maintenance-id=\"{id}\"]")),
                names,
                "{email}"
            );
        }
        // No other tenant's name anywhere on the page.
        let page = text(&html);
        for name in all.iter().filter(|n| !tenants.contains(n)) {
            assert!(!page.contains(name), "{email} sees {name}");
        }
        // The latest update of each active incident.
        if !incidents.is_empty() {
            assert!(page.contains("Login failures: investigating."), "{email}");
        }
    }
}

#[tokio::test]
async fn a_feed_token_opens_the_page_and_anything_else_gets_a_short_401_page() {
    let w = world().await;
    w.incident("Login failures", "saas2-eu").await;
    let created: Value = json_with(
        w.app
            .post(
                "/api/v1/feed-tokens",
                &w.app.token("carol@globex.example"),
                &json!({"name": "Wall screen"}),
            )
            .await,
        StatusCode::CREATED,
    )
    .await;
    let (id, token) = (
        created["id"].as_i64().unwrap(),
        created["token"].as_str().unwrap(),
    );
    let anonymous = |path: String| {
        let app = &w.app;
        async move { app.client.get(app.url(&path)).send().await.unwrap() }
    };
    let response = anonymous(format!("/status-page?token={token}")).await;
    assert_eq!(response.status(), StatusCode::OK);
    let html = Html::parse_document(&response.text().await.unwrap());
    assert!(text(&html).contains("globex-prod"));
    // Its feed links carry the token.
    let links: Vec<String> = select(&html, "footer a")
        .iter()
        .map(|a| a.value().attr("href").unwrap().to_owned())
        .collect();
    assert_eq!(
        links,
        [
            format!("/api/v1/maintenances.ics?token={token}"),
            format!("/api/v1/incidents.atom?token={token}")
        ]
    );
    for link in &links {
        assert_eq!(
            anonymous(link.clone()).await.status(),
            StatusCode::OK,
            "{link}"
        );
    }

    let response = w
        .app
        .delete(
            &format!("/api/v1/feed-tokens/{id}"),
            &w.app.token("carol@globex.example"),
        )
        .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    for path in [
        format!("/status-page?token={token}"),
        "/status-page?token=slrf_forged".to_owned(),
        "/status-page".to_owned(),
    ] {
        let response = anonymous(path.clone()).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{path}");
        assert!(response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html"));
        let page = response.text().await.unwrap();
        assert!(page.contains("needs a token"), "{page}");
        assert!(
            !page.contains("globex") && !page.contains("Login failures"),
            "{page}"
        );
    }
    // A JWT in `?token=` is not a feed token.
    let response = anonymous(format!(
        "/status-page?token={}",
        w.app.token("carol@globex.example")
    ))
    .await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_page_is_strict_accessible_themed_and_cacheable() {
    let w = world().await;
    w.incident("Login failures", "saas2-eu").await;
    let (headers, html) = w.page("alice@northwind.example").await;
    let csp = headers["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("default-src 'none'") && csp.contains("style-src 'self'"),
        "{csp}"
    );
    assert!(!csp.contains("unsafe-inline"));
    assert!(select(&html, "script").is_empty());
    assert!(
        select(&html, "[style]").is_empty(),
        "no inline styles (the CSP forbids them)"
    );
    assert_eq!(select(&html, "html")[0].value().attr("lang"), Some("en"));
    assert_eq!(select(&html, "meta[name=viewport]").len(), 1);
    assert_eq!(select(&html, "main").len(), 1);
    assert_eq!(select(&html, "h1").len(), 1);
    // Status and days in words, not only colours.
    let statuses: Vec<String> = select(&html, "article.offering .status")
        .iter()
        .map(|s| s.text().collect())
        .collect();
    assert!(
        statuses.contains(&"partial outage".to_owned()),
        "{statuses:?}"
    );
    for day in select(&html, "li.day") {
        let title = day.value().attr("title").unwrap();
        assert!(
            title.contains("SLA availability") || title.contains("no tenants"),
            "{title}"
        );
        assert_eq!(day.value().attr("tabindex"), Some("0"));
    }
    let today = select(&html, "article.offering")
        .into_iter()
        .flat_map(|o| o.select(&Selector::parse("li.day").unwrap()).last())
        .filter_map(|d| d.value().attr("title"))
        .any(|t| t.contains("Incidents: Login failures"));
    assert!(today, "today's bar names the incident");

    // The one stylesheet, from the binary, with a dark theme.
    let href = select(&html, "link[rel=stylesheet]")[0]
        .value()
        .attr("href")
        .unwrap()
        .to_owned();
    let css = w.app.client.get(w.app.url(&href)).send().await.unwrap();
    assert_eq!(css.status(), StatusCode::OK);
    assert!(css.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/css"));
    assert!(css
        .text()
        .await
        .unwrap()
        .contains("prefers-color-scheme: dark"));

    // Pollers get 304 while nothing changed.
    let etag = headers["etag"].to_str().unwrap();
    let response = w
        .app
        .client
        .get(w.app.url("/status-page"))
        .bearer_auth(w.app.token("alice@northwind.example"))
        .header("if-none-match", etag)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_MODIFIED);
}

#[tokio::test]
async fn an_event_touching_many_tenants_links_its_own_page_naming_them_all() {
    let w = world().await;
    let globex = w.app.id_of("accounts", "name", "Globex").await;
    for n in 0..30 {
        w.app
            .create(
                "/api/v1/tenants",
                &json!({"name": format!("globex-extra-{n:02}"), "account_id": globex,
                        "service_id": w.ids.sma, "classification_id": w.ids.class["saas2-eu"]}),
            )
            .await;
    }
    let id = w.incident("Login failures", "saas2-eu").await;
    let (_, html) = w.page("carol@globex.example").await;
    let article = format!("article[data-incident-id=\"{id}\"]");
    // 31 of Carol's tenants are hit: the page names 25 and links the rest.
    assert_eq!(tenants_of(&html, &article).len(), 25);
    let summary: String = select(&html, &format!("{article} .tenants"))[0]
        .text()
        .collect();
    assert!(summary.contains("(31)"), "{summary}");
    let link = select(&html, &format!("{article} .tenants a"))[0]
        .value()
        .attr("href")
        .unwrap()
        .to_owned();
    assert_eq!(link, format!("/status-page/incidents/{id}"));
    let carol = w.app.token("carol@globex.example");
    let response = w.app.get(&link, &carol).await;
    assert_eq!(response.status(), StatusCode::OK);
    let event = Html::parse_document(&response.text().await.unwrap());
    let all = tenants_of(&event, "main");
    assert_eq!(all.len(), 31);
    assert!(all.contains("globex-prod") && all.contains("globex-extra-29"));
    assert!(!text(&event).contains("stark-prod"));
    // Another caller's view of it: its own tenants only; an event it cannot see: 404.
    let response = w.app.get(&link, &w.app.token("tony@stark.example")).await;
    let stark = Html::parse_document(&response.text().await.unwrap());
    assert_eq!(
        tenants_of(&stark, "main"),
        BTreeSet::from(["stark-prod".to_owned()])
    );
    let hooli = w.incident("Slow reports", "saas3-us").await;
    let response = w
        .app
        .get(&format!("/status-page/incidents/{hooli}"), &carol)
        .await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let page = response.text().await.unwrap();
    assert!(!page.contains("Slow reports") && !page.contains("hooli"));
    let response = w.app.client.get(w.app.url(&link)).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

/// Planned maintenance is not SLA downtime: a day with only a planned window is coloured as
/// maintenance, not as an outage; the headline and the availability badge compare the SLA
/// figure with the target and show the figure including maintenance beside it.
#[tokio::test]
async fn a_day_with_only_planned_maintenance_meets_the_sla_wherever_a_verdict_is_given() {
    let w = world().await;
    let yesterday = (time::OffsetDateTime::now_utc() - time::Duration::days(1))
        .replace_time(time::macros::time!(06:00));
    let rfc3339 = |at: time::OffsetDateTime| {
        at.format(&time::format_description::well_known::Rfc3339)
            .unwrap()
    };
    // Six hours of planned downtime on Globex's tenants of this classification, yesterday.
    w.app
        .create(
            "/api/v1/maintenances",
            &json!({
                "service_id": w.ids.sma, "title": "Storage migration", "description": "Planned.",
                "expected_impact": "downtime", "status": "completed",
                "scheduled_start": rfc3339(yesterday),
                "scheduled_end": rfc3339(yesterday + time::Duration::hours(6)),
                "classification_ids": [w.ids.class["saas2-eu"]],
            }),
        )
        .await;
    let globex = w
        .app
        .id_of(
            "offerings",
            "name",
            "Service Management Automation - Globex",
        )
        .await;
    let (_, html) = w.page("carol@globex.example").await;
    let article = format!("article.offering[data-offering-id=\"{globex}\"]");
    let bars = select(&html, &format!("{article} li.day"));
    assert_eq!(bars.len(), 90);
    let bar = bars[88].value();
    let title = bar.attr("title").unwrap();
    assert!(title.starts_with(&day_of(yesterday)), "{title}");
    assert_eq!(bar.attr("class"), Some("day maint"), "{title}");
    // Globex has two tenants on this service, one of them under the window: 3 h of 24 down.
    assert!(
        title.contains("100.000 % SLA availability (87.500 % including planned maintenance)"),
        "{title}"
    );
    // The other days had no downtime at all: they met the target.
    assert!(bars[..88]
        .iter()
        .all(|b| b.value().attr("class") == Some("day ok")));

    // 6 h of 90 days is below 99.9 % counting maintenance; the SLA figure meets the target.
    let headline: String = select(&html, &format!("{article} .meta"))
        .iter()
        .flat_map(|e| e.text())
        .collect();
    assert!(
        headline.contains("100.000 % SLA availability over 90 days · SLA target 99.9 % (met)"),
        "{headline}"
    );
    let including: f64 = headline
        .split(" · ")
        .find_map(|part| part.strip_suffix(" % including planned maintenance"))
        .and_then(|figure| figure.parse().ok())
        .unwrap_or_else(|| panic!("no figure including maintenance: {headline}"));
    assert!(including < 99.9, "{headline}");

    // The availability badge: the SLA figure, green.
    let svg = w
        .app
        .get(
            &format!("/api/v1/offerings/{globex}/badge.svg?kind=availability&window=7d"),
            &w.app.token("carol@globex.example"),
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(svg.contains(": 100.000 % SLA (7d)</title>"), "{svg}");
    assert!(svg.contains("fill=\"#2e7d32\""), "green: {svg}");
}

fn day_of(at: time::OffsetDateTime) -> String {
    at.format(time::macros::format_description!("[year]-[month]-[day]"))
        .unwrap()
}

fn rfc3339(at: time::OffsetDateTime) -> String {
    at.format(&time::format_description::well_known::Rfc3339)
        .unwrap()
}

/// The upcoming windows lists the page and the overview give, soonest first, are the same
/// windows: those running or starting within the horizon the page states — not a window
/// planned half a year ahead, and never a sooner window behind later ones.
#[tokio::test]
async fn upcoming_maintenance_is_soonest_first_and_within_the_stated_horizon() {
    let w = world().await;
    let now = time::OffsetDateTime::now_utc();
    let hours = time::Duration::hours;
    let window = |title: &str, start: time::OffsetDateTime, extra: Value| {
        let mut body = json!({
            "service_id": w.ids.sma, "title": title, "description": "Planned work.",
            "expected_impact": "downtime",
            "scheduled_start": rfc3339(start), "scheduled_end": rfc3339(start + hours(2)),
            "classification_ids": [w.ids.class["saas2-eu"]],
        });
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        let app = &w.app;
        async move { app.create("/api/v1/maintenances", &body).await }
    };
    // Created first, so lowest ids: six monthly windows from the day after tomorrow (the
    // series runs half a year ahead), and one a month ahead.
    let series = window(
        "Monthly patching",
        now + time::Duration::days(2),
        json!({"recurrence": "FREQ=MONTHLY;COUNT=6"}),
    )
    .await;
    let series_first = series["id"].as_i64().unwrap();
    let later = window("Storage upgrade", now + time::Duration::days(30), json!({})).await;
    // Scheduled for in twelve hours but started early: it sorts by its actual start.
    let running = window(
        "Network maintenance",
        now + hours(12),
        json!({"status": "in_progress", "actual_start": rfc3339(now - time::Duration::minutes(30))}),
    )
    .await;
    let cancelled = window("Called off", now + hours(20), json!({})).await;
    w.app
        .patch(
            &format!("/api/v1/maintenances/{}", cancelled["id"]),
            &w.app.admin_token(),
            &json!({"status": "cancelled"}),
        )
        .await;
    // Created last (highest id), and the soonest not yet started.
    let tomorrow = window(
        "Database failover",
        now + time::Duration::days(1),
        json!({}),
    )
    .await;
    let expected = vec![
        running["id"].as_i64().unwrap(),
        tomorrow["id"].as_i64().unwrap(),
        series_first,
    ];

    let carol = w.app.token("carol@globex.example");
    let (_, html) = w.page("carol@globex.example").await;
    let listed: Vec<i64> = select(&html, "article.maintenance")
        .iter()
        .map(|a| {
            a.value()
                .attr("data-maintenance-id")
                .unwrap()
                .parse()
                .unwrap()
        })
        .collect();
    assert_eq!(listed, expected, "soonest first, within 14 days");
    assert!(!listed.contains(&later["id"].as_i64().unwrap()));
    let horizon: String = select(&html, "#maintenance-title + p")[0].text().collect();
    assert!(horizon.contains("next 14 days"), "{horizon}");

    // The overview says the same, in the same order, for the offering the windows show on.
    let globex = w
        .app
        .id_of(
            "offerings",
            "name",
            "Service Management Automation - Globex",
        )
        .await;
    let full = w
        .app
        .get_ok("/api/v1/status?include=impacted_tenants&days=14", &carol)
        .await;
    let offering = full["offerings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["offering_id"] == globex)
        .unwrap();
    let ids: Vec<i64> = offering["upcoming_maintenance"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, expected);
    let summary = w.app.get_ok("/api/v1/status", &carol).await;
    let counted = summary["offerings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["offering_id"] == globex)
        .unwrap()["upcoming_maintenance_count"]
        .clone();
    assert_eq!(counted, json!(expected.len()));
}

/// An incident's own page: its service, start, end and duration, every update of its timeline
/// (newest first) with its status and time, and its post-incident report once published —
/// a draft never, not even to the provider admin who may read it through the API.
#[tokio::test]
async fn an_incident_page_shows_its_whole_timeline_service_duration_and_published_report() {
    let w = world().await;
    let started = time::OffsetDateTime::now_utc() - time::Duration::minutes(125)
        + time::Duration::seconds(-20);
    let id = w
        .app
        .create(
            "/api/v1/incidents",
            &json!({
                "service_id": w.ids.sma, "title": "Login failures", "impact": "major_outage",
                "scope": {"kind": "classifications", "classification_ids": [w.ids.class["saas2-eu"]]},
                "started_at": rfc3339(started),
                "message": "We are looking into failed logins.",
            }),
        )
        .await["id"]
        .as_i64()
        .unwrap();
    for (status, message) in [
        ("identified", "A certificate expired on the login service."),
        (
            "monitoring",
            "A new certificate is in place; we are watching the error rate.",
        ),
    ] {
        let response = w
            .app
            .post(
                &format!("/api/v1/incidents/{id}/updates"),
                &w.app.admin_token(),
                &json!({"status": status, "message": message}),
            )
            .await;
        assert_eq!(response.status(), StatusCode::CREATED);
    }
    let page = |email: &'static str| {
        let w = &w;
        async move {
            let token = if email == "provider" {
                w.app.admin_token()
            } else {
                w.app.token(email)
            };
            let response = w
                .app
                .get(&format!("/status-page/incidents/{id}"), &token)
                .await;
            assert_eq!(response.status(), StatusCode::OK, "{email}");
            Html::parse_document(&response.text().await.unwrap())
        }
    };
    let fact = |html: &Html, name: &str| -> String {
        let dts = select(html, "dl.facts > dt");
        let dds = select(html, "dl.facts > dd");
        let at = dts
            .iter()
            .position(|dt| dt.text().collect::<String>() == name)
            .unwrap_or_else(|| panic!("no {name}"));
        dds[at].text().collect()
    };

    let html = page("carol@globex.example").await;
    assert_eq!(fact(&html, "Service"), "Service Management Automation");
    assert_eq!(fact(&html, "Duration"), "2 h 5 min so far");
    assert_eq!(fact(&html, "Resolved"), "not yet");
    let timeline = |html: &Html| -> Vec<(String, String, String)> {
        select(html, "ol.timeline > li.update")
            .iter()
            .map(|li| {
                let status = li
                    .select(&Selector::parse(".update-status").unwrap())
                    .next()
                    .unwrap()
                    .text()
                    .collect::<String>();
                let time = li
                    .select(&Selector::parse("time").unwrap())
                    .next()
                    .unwrap()
                    .value()
                    .attr("datetime")
                    .unwrap()
                    .to_owned();
                let message = li
                    .select(&Selector::parse(".message p").unwrap())
                    .map(|p| p.text().collect::<String>())
                    .collect::<Vec<_>>()
                    .join("\n");
                (status, time, message)
            })
            .collect()
    };
    let shown = timeline(&html);
    let statuses: Vec<&str> = shown.iter().map(|(s, _, _)| s.as_str()).collect();
    assert_eq!(statuses, ["monitoring", "identified", "investigating"]);
    assert_eq!(
        shown[0].2,
        "A new certificate is in place; we are watching the error rate."
    );
    assert_eq!(shown[2].2, "We are looking into failed logins.");
    // Each update's time, as the API gives it, newest first.
    let api = w
        .app
        .get_ok(
            &format!("/api/v1/incidents/{id}"),
            &w.app.token("carol@globex.example"),
        )
        .await;
    let parse = |s: &str| {
        time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).unwrap()
    };
    let mut times: Vec<time::OffsetDateTime> = api["updates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| parse(u["created_at"].as_str().unwrap()))
        .collect();
    times.reverse();
    let on_page: Vec<time::OffsetDateTime> = shown.iter().map(|(_, t, _)| parse(t)).collect();
    assert_eq!(on_page, times);

    // Resolved, with a draft report: no report on the page, for anyone.
    w.app.resolve(id).await;
    let report = |publish: bool| {
        let w = &w;
        async move {
            let response = w
                .app
                .request(
                    reqwest::Method::PUT,
                    &format!("/api/v1/incidents/{id}/report"),
                    Some(&w.app.admin_token()),
                    Some(&json!({
                        "summary": "Logins failed for two hours.",
                        "root_cause": "An expired certificate.",
                        "remediation": "Certificates now renew themselves.",
                        "publish": publish,
                    })),
                )
                .await;
            assert_eq!(response.status(), StatusCode::OK);
        }
    };
    report(false).await;
    for who in ["carol@globex.example", "provider"] {
        let html = page(who).await;
        assert!(select(&html, "section.report").is_empty(), "{who}: a draft");
        assert!(!text(&html).contains("expired certificate"), "{who}");
        assert_eq!(timeline(&html).len(), 4, "{who}");
        assert_eq!(timeline(&html)[0].0, "resolved");
        assert_eq!(fact(&html, "Duration"), "2 h 5 min");
    }
    report(true).await;
    let html = page("carol@globex.example").await;
    let section: String = select(&html, "section.report")[0].text().collect();
    assert!(section.contains("Published"), "{section}");
    assert!(
        section.contains("Logins failed for two hours."),
        "{section}"
    );
    assert!(section.contains("An expired certificate."), "{section}");
    assert!(
        section.contains("Certificates now renew themselves."),
        "{section}"
    );
}

/// A resolved incident's duration runs from its start to its resolution.
#[tokio::test]
async fn a_resolved_incident_page_gives_start_to_resolution_as_its_duration() {
    let w = world().await;
    let started = time::OffsetDateTime::now_utc() - time::Duration::days(3);
    let id = w
        .app
        .create(
            "/api/v1/incidents",
            &json!({
                "service_id": w.ids.sma, "title": "Slow search", "impact": "degraded",
                "scope": {"kind": "classifications", "classification_ids": [w.ids.class["saas2-eu"]]},
                "status": "resolved",
                "started_at": rfc3339(started),
                "resolved_at": rfc3339(started + time::Duration::minutes(26 * 60 + 7)),
                "message": "Search was slow.",
            }),
        )
        .await["id"]
        .as_i64()
        .unwrap();
    let response = w
        .app
        .get(
            &format!("/status-page/incidents/{id}"),
            &w.app.token("carol@globex.example"),
        )
        .await;
    let html = Html::parse_document(&response.text().await.unwrap());
    let facts: String = select(&html, "dl.facts")[0].text().collect();
    assert!(facts.contains("Duration1 d 2 h 7 min"), "{facts}");
}

/// A maintenance window's own page says what is planned (its description) and on which service.
#[tokio::test]
async fn a_maintenance_page_shows_its_description_and_service() {
    let w = world().await;
    let start = time::OffsetDateTime::now_utc() + time::Duration::days(3);
    let id = w
        .app
        .create(
            "/api/v1/maintenances",
            &json!({
                "service_id": w.ids.sma, "title": "Database upgrade",
                "description": "We move the database to version 17. Logins may fail for ten minutes.",
                "expected_impact": "downtime",
                "scheduled_start": rfc3339(start),
                "scheduled_end": rfc3339(start + time::Duration::hours(2)),
                "classification_ids": [w.ids.class["saas2-eu"]],
            }),
        )
        .await["id"]
        .as_i64()
        .unwrap();
    let response = w
        .app
        .get(
            &format!("/status-page/maintenances/{id}"),
            &w.app.token("carol@globex.example"),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let html = Html::parse_document(&response.text().await.unwrap());
    let description: Vec<String> = select(&html, "section.description p")
        .iter()
        .map(|p| p.text().collect())
        .collect();
    assert_eq!(
        description,
        ["We move the database to version 17. Logins may fail for ten minutes."]
    );
    let service: String = select(&html, "dd.service")[0].text().collect();
    assert_eq!(service, "Service Management Automation");
}

/// The unsubscribe pages (the link's confirmation, its answer, a used link) are pages of the
/// status page's kind: its layout (header, main) and its stylesheet, which styles the button.
#[tokio::test]
async fn the_unsubscribe_pages_use_the_status_page_layout_and_style() {
    use slr_tests::smtp::Receiver;
    let receiver = Receiver::start(0).await;
    let url = receiver.url.clone();
    let app = slr_tests::spawn_app_with(move |s| {
        s.email.smtp_url = Some(url);
        s.email.from = "Acme Cloud status <status@acme-cloud.example>".to_owned();
        s.email.background = false;
    })
    .await;
    app.seed_demo();
    let carol = "carol@globex.example";
    let response = app
        .post("/api/v1/email-subscriptions", &app.token(carol), &json!({}))
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let ids = app.demo_ids().await;
    app.classified_incident(&ids, "Login failures", "major_outage", "saas2-eu")
        .await;
    assert!(app.send_mail_due().await > 0);
    let mail = receiver.to(carol).pop().expect("a message to Carol");
    let link = mail.header("List-Unsubscribe").unwrap();
    let path = link
        .trim_matches(['<', '>'])
        .split_once("/unsubscribe")
        .map(|(_, rest)| format!("/unsubscribe{rest}"))
        .unwrap();

    let status_page = Html::parse_document(
        &app.get("/status-page", &app.token(carol))
            .await
            .text()
            .await
            .unwrap(),
    );
    let layout_of = |html: &Html| {
        (
            select(html, "link[rel=stylesheet]")
                .iter()
                .map(|l| l.value().attr("href").unwrap().to_owned())
                .collect::<Vec<_>>(),
            select(html, "meta[name=viewport]").len(),
            select(html, "meta[name=color-scheme]").len(),
            select(html, "body > header h1").len(),
            select(html, "body > main").len(),
        )
    };
    let expected = layout_of(&status_page);
    assert_eq!(expected.3, 1, "the status page has a header with its h1");
    let anonymous = |method: reqwest::Method, path: String| {
        let app = &app;
        async move {
            let response = app
                .client
                .request(method, app.url(&path))
                .send()
                .await
                .unwrap();
            let status = response.status();
            (
                status,
                Html::parse_document(&response.text().await.unwrap()),
            )
        }
    };

    // The confirmation page: the address, and a styled button that posts to the same link.
    let (status, confirm) = anonymous(reqwest::Method::GET, path.clone()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(layout_of(&confirm), expected);
    assert!(text(&confirm).contains(carol));
    let form = select(&confirm, "main form[method=post]");
    assert_eq!(form.len(), 1);
    assert_eq!(form[0].value().attr("action"), Some(path.as_str()));
    let button = select(&confirm, "main form button[type=submit]");
    let class = button[0].value().attr("class").expect("a styled button");
    let css = app
        .client
        .get(app.url(&expected.0[0]))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        class
            .split(' ')
            .any(|c| css.contains(&format!(".{c} {{")) || css.contains(&format!(".{c},"))),
        "the stylesheet styles the button's class {class}"
    );

    // The answer, and the same link once used.
    let (status, done) = anonymous(reqwest::Method::POST, path.clone()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(layout_of(&done), expected);
    assert!(text(&done).contains("Unsubscribed"));
    let (status, used) = anonymous(reqwest::Method::GET, path).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(layout_of(&used), expected);
    assert!(text(&used).contains("Nothing to unsubscribe"));
}
