//! Feeds: feed tokens (read-only, hashed, feed routes only, revocable), the maintenance
//! calendar (parsed with a real iCalendar parser), the incident feed (parsed as Atom) and
//! offering badges — each scoped exactly like the JSON it mirrors.

use std::collections::BTreeSet;
use std::time::{Duration as StdDuration, Instant};

use reqwest::StatusCode;
use serde_json::{json, Value};
use slr_tests::{json_with, problem, spawn_app, TestApp};

const ALICE: &str = "alice@northwind.example";
const CAROL: &str = "carol@globex.example";

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
    async fn maintenance(&self, title: &str, class: &str, days_ahead: i64) -> Value {
        self.app
            .classified_maintenance(&self.ids, title, class, days_ahead)
            .await
    }

    async fn incident(&self, title: &str, class: &str) -> i64 {
        self.app
            .classified_incident(&self.ids, title, "major_outage", class)
            .await
    }

    /// GET `path` with no Authorization header.
    async fn anonymous(&self, path: &str) -> reqwest::Response {
        self.app
            .client
            .get(self.app.url(path))
            .send()
            .await
            .unwrap()
    }

    async fn feed_token(&self, email: &str) -> (i64, String) {
        let created: Value = json_with(
            self.app
                .post(
                    "/api/v1/feed-tokens",
                    &self.app.token(email),
                    &json!({"name": "Team calendar"}),
                )
                .await,
            StatusCode::CREATED,
        )
        .await;
        (
            created["id"].as_i64().unwrap(),
            created["token"].as_str().unwrap().to_owned(),
        )
    }

    async fn calendar(&self, query: &str, token: &str) -> icalendar::Calendar {
        let response = self
            .anonymous(&format!("/api/v1/maintenances.ics?token={token}{query}"))
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        assert!(response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/calendar"));
        response.text().await.unwrap().parse().unwrap()
    }
}

fn events(calendar: &icalendar::Calendar) -> Vec<&icalendar::Event> {
    calendar
        .components
        .iter()
        .filter_map(|c| match c {
            icalendar::CalendarComponent::Event(e) => Some(e),
            _ => None,
        })
        .collect()
}

fn event(calendar: &icalendar::Calendar, id: i64) -> &icalendar::Event {
    use icalendar::Component;
    let uid = format!("maintenance-{id}@slr");
    events(calendar)
        .into_iter()
        .find(|e| e.get_uid() == Some(uid.as_str()))
        .unwrap_or_else(|| panic!("no event {uid}"))
}

#[tokio::test]
async fn a_feed_token_opens_feeds_only_and_stops_when_revoked() {
    let w = world().await;
    let (id, token) = w.feed_token(ALICE).await;
    assert!(token.starts_with("slrf_") && token.len() > 40);
    // Only a hash is stored.
    let stored: Vec<(String, String)> = slr_tests::with_conn(&w.app, |conn| {
        use diesel::prelude::*;
        diesel::sql_query("SELECT token_hash, prefix FROM feed_tokens")
            .load::<HashRow>(conn)
            .unwrap()
            .into_iter()
            .map(|r| (r.token_hash, r.prefix))
            .collect()
    });
    assert_eq!(stored.len(), 1);
    assert!(!stored[0].0.contains(&token) && stored[0].0.len() == 64);
    assert!(token.starts_with(&stored[0].1));

    for feed in ["/api/v1/maintenances.ics", "/api/v1/incidents.atom"] {
        let response = w.anonymous(&format!("{feed}?token={token}")).await;
        assert_eq!(response.status(), StatusCode::OK, "{feed}");
        let response = w.anonymous(feed).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{feed}");
    }
    // Never on the JSON API.
    for path in [
        "/api/v1/maintenances",
        "/api/v1/me",
        "/api/v1/status",
        "/api/v1/feed-tokens",
    ] {
        let response = w.anonymous(&format!("{path}?token={token}")).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{path}");
    }
    let response = w
        .anonymous("/api/v1/maintenances.ics?token=slrf_forged")
        .await;
    problem(response, StatusCode::UNAUTHORIZED, "invalid_feed_token").await;

    // Its account sees it (with its last use, recorded to the minute); others do not.
    let alice = w.app.token(ALICE);
    let started = Instant::now();
    let listed = loop {
        let listed = w.app.get_ok("/api/v1/feed-tokens", &alice).await;
        if listed["items"][0]["last_used_at"].is_string()
            || started.elapsed() > StdDuration::from_secs(5)
        {
            break listed;
        }
        tokio::time::sleep(StdDuration::from_millis(20)).await;
    };
    assert_eq!(listed["items"][0]["id"], id);
    assert!(listed["items"][0]["last_used_at"].is_string(), "{listed}");
    assert!(listed["items"][0].get("token").is_none());
    let carol = w.app.token(CAROL);
    assert_eq!(
        w.app.get_ok("/api/v1/feed-tokens", &carol).await["items"],
        json!([])
    );
    let response = w
        .app
        .delete(&format!("/api/v1/feed-tokens/{id}"), &carol)
        .await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);

    // Revoked: it stops at once, here and on another replica.
    let replica = w.app.replica();
    let on_replica = replica
        .client
        .get(replica.url(&format!("/api/v1/maintenances.ics?token={token}")))
        .send()
        .await
        .unwrap();
    assert_eq!(on_replica.status(), StatusCode::OK);
    let response = w
        .app
        .delete(&format!("/api/v1/feed-tokens/{id}"), &alice)
        .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let response = w
        .anonymous(&format!("/api/v1/maintenances.ics?token={token}"))
        .await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let started = Instant::now();
    loop {
        let status = replica
            .client
            .get(replica.url(&format!("/api/v1/maintenances.ics?token={token}")))
            .send()
            .await
            .unwrap()
            .status();
        if status == StatusCode::UNAUTHORIZED {
            break;
        }
        assert!(
            started.elapsed() < StdDuration::from_secs(2),
            "still {status} on the replica"
        );
        tokio::time::sleep(StdDuration::from_millis(20)).await;
    }
}

#[derive(diesel::QueryableByName)]
struct HashRow {
    #[diesel(sql_type = diesel::sql_types::Text)]
    token_hash: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    prefix: String,
}

#[tokio::test]
async fn the_calendar_lists_the_callers_windows_and_follows_their_changes() {
    use icalendar::Component;
    let w = world().await;
    let ours = w.maintenance("Database upgrade", "saas2-eu", 3).await;
    let theirs = w.maintenance("Network work", "saas3-us", 4).await;
    let (_, token) = w.feed_token(ALICE).await;

    let calendar = w.calendar("", &token).await;
    // Exactly the windows of Alice's JSON list (Hooli's saas3-us window is Contoso's).
    let listed = w
        .app
        .list_all("/api/v1/maintenances", &w.app.token(ALICE))
        .await;
    let listed: BTreeSet<String> = listed
        .iter()
        .map(|m| format!("maintenance-{}@slr", m["id"]))
        .collect();
    let uids: BTreeSet<String> = events(&calendar)
        .iter()
        .map(|e| e.get_uid().unwrap().to_owned())
        .collect();
    assert_eq!(uids, listed);
    assert!(!uids.contains(&format!("maintenance-{}@slr", theirs["id"])));

    let id = ours["id"].as_i64().unwrap();
    let vevent = event(&calendar, id);
    assert_eq!(vevent.get_sequence(), Some(1));
    assert_eq!(
        vevent.get_summary(),
        Some("Database upgrade (SaaS 2 EU-hosted Tenants)")
    );
    let description = vevent.get_description().unwrap();
    assert!(description.contains("globex-prod"), "{description}");
    for other in ["stark-prod", "hooli", "umbrella"] {
        assert!(!description.contains(other), "{other} in {description}");
    }
    assert_eq!(vevent.property_value("STATUS"), Some("CONFIRMED"));
    assert!(vevent.property_value("DTSTART").unwrap().ends_with('Z'));
    assert!(matches!(
        vevent.get_start(),
        Some(icalendar::DatePerhapsTime::DateTime(
            icalendar::CalendarDateTime::Utc(_)
        ))
    ));

    // An update bumps SEQUENCE; a cancellation keeps the event, cancelled.
    let admin = w.app.admin_token();
    let response = w
        .app
        .patch(
            &format!("/api/v1/maintenances/{id}"),
            &admin,
            &json!({"title": "Database upgrade (extended)"}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let calendar = w.calendar("", &token).await;
    assert_eq!(event(&calendar, id).get_sequence(), Some(2));
    let response = w
        .app
        .patch(
            &format!("/api/v1/maintenances/{id}"),
            &admin,
            &json!({"status": "cancelled"}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let calendar = w.calendar("", &token).await;
    let cancelled = event(&calendar, id);
    assert_eq!(cancelled.get_sequence(), Some(3));
    assert_eq!(cancelled.property_value("STATUS"), Some("CANCELLED"));

    // The JSON list's filters apply; bad ones are refused the same way.
    let calendar = w.calendar("&status=scheduled", &token).await;
    assert!(!events(&calendar)
        .iter()
        .any(|e| e.get_uid() == Some(&*format!("maintenance-{id}@slr"))));
    let response = w
        .anonymous(&format!(
            "/api/v1/maintenances.ics?token={token}&status=bogus"
        ))
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);

    // Pollers get 304 while nothing changed.
    let response = w
        .anonymous(&format!("/api/v1/maintenances.ics?token={token}"))
        .await;
    let etag = response.headers()["etag"].to_str().unwrap().to_owned();
    let response = w
        .app
        .client
        .get(
            w.app
                .url(&format!("/api/v1/maintenances.ics?token={token}")),
        )
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_MODIFIED);
}

#[tokio::test]
async fn the_atom_feed_lists_the_callers_incidents_and_moves_with_their_timeline() {
    let w = world().await;
    let ours = w.incident("Login failures", "saas2-eu").await;
    let theirs = w.incident("Slow reports", "saas3-us").await;
    let carol = w.app.token(CAROL);
    let read = |token: String| {
        let app = &w.app;
        async move {
            let response = app.get("/api/v1/incidents.atom", &token).await;
            assert_eq!(response.status(), StatusCode::OK);
            assert!(response.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("application/atom+xml"));
            atom_syndication::Feed::read_from(&response.bytes().await.unwrap()[..]).unwrap()
        }
    };
    let feed = read(carol.clone()).await;
    let ids: Vec<&str> = feed.entries().iter().map(|e| e.id()).collect();
    assert_eq!(ids, [format!("urn:slr:incident:{ours}")]);
    assert!(!ids.contains(&format!("urn:slr:incident:{theirs}").as_str()));
    let entry = &feed.entries()[0];
    assert!(entry.title().as_str().contains("Login failures"));
    let content = entry.content().unwrap().value().unwrap();
    assert!(
        content.contains("globex-prod") && content.contains("Login failures: investigating."),
        "{content}"
    );
    assert!(
        !content.contains("initech") && !content.contains("stark"),
        "{content}"
    );
    let before = *entry.updated();

    // A timeline update moves the entry's `updated` and shows as its summary.
    tokio::time::sleep(StdDuration::from_millis(1100)).await;
    let response = w
        .app
        .post(
            &format!("/api/v1/incidents/{ours}/updates"),
            &w.app.admin_token(),
            &json!({"status": "identified", "message": "Cause found."}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let feed = read(carol).await;
    let entry = &feed.entries()[0];
    assert!(*entry.updated() > before);
    assert_eq!(entry.summary().unwrap().as_str(), "Cause found.");
    assert_eq!(feed.updated(), entry.updated());

    // Alice (Northwind) sees both of its customers' tenants hit, not Hooli's incident.
    let feed = read(w.app.token(ALICE)).await;
    assert_eq!(feed.entries().len(), 1);
}

#[tokio::test]
async fn badges_show_status_and_availability_in_words_for_visible_offerings_only() {
    let w = world().await;
    let globex = w
        .app
        .id_of(
            "offerings",
            "name",
            "Service Management Automation - Globex",
        )
        .await;
    let stark = w
        .app
        .id_of(
            "offerings",
            "name",
            "Service Management Automation - Stark Industries",
        )
        .await;
    let (_, token) = w.feed_token(CAROL).await;
    let token = &token;
    let badge = |query: String| {
        let w = &w;
        async move {
            w.anonymous(&format!(
                "/api/v1/offerings/{globex}/badge.svg?token={token}{query}"
            ))
            .await
        }
    };
    let response = badge(String::new()).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("image/svg+xml"));
    assert!(response.headers()["cache-control"]
        .to_str()
        .unwrap()
        .contains("max-age"));
    let svg = response.text().await.unwrap();
    assert!(
        svg.contains("<title>Service Management Automation - Globex: operational</title>"),
        "{svg}"
    );
    assert!(svg.contains("role=\"img\""));

    w.incident("Login failures", "saas2-eu").await;
    let svg = badge(String::new()).await.text().await.unwrap();
    assert!(svg.contains(": major outage</title>"), "{svg}");
    let svg = badge("&kind=availability&window=7d".to_owned())
        .await
        .text()
        .await
        .unwrap();
    assert!(svg.contains("% SLA (7d)</title>"), "{svg}");

    let response = badge("&window=0d&kind=availability".to_owned()).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    // A window outside the spec's pattern is refused whatever the kind (the status badge
    // does not use it, but takes only what the spec allows).
    for window in ["", "0d", "30"] {
        let response = badge(format!("&window={window}")).await;
        assert_eq!(
            response.status(),
            StatusCode::BAD_REQUEST,
            "window={window}"
        );
    }
    let response = badge("&window=%2B030d".to_owned()).await;
    assert_eq!(response.status(), StatusCode::OK, "+030d is 30 days");
    // Another account's offering is not there for Carol.
    let response = w
        .anonymous(&format!(
            "/api/v1/offerings/{stark}/badge.svg?token={}",
            w.feed_token(CAROL).await.1
        ))
        .await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    // A bearer token works too.
    let response = w
        .app
        .get(
            &format!("/api/v1/offerings/{stark}/badge.svg"),
            &w.app.token("tony@stark.example"),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
}

/// What a feed reader needs: the feed's author and `self` link, entries whose link opens the
/// incident's status page (with the feed token the feed was read with) as HTML, and titles
/// that say the impact and status in words.
#[tokio::test]
async fn a_feed_reader_gets_an_author_a_self_link_and_entry_pages_it_can_open() {
    let w = world().await;
    let id = w.incident("Login failures", "saas2-eu").await; // major_outage
    let (_, token) = w.feed_token(CAROL).await;
    let feed_path = format!("/api/v1/incidents.atom?token={token}");
    let response = w.anonymous(&feed_path).await;
    assert_eq!(response.status(), StatusCode::OK);
    let feed = atom_syndication::Feed::read_from(&response.bytes().await.unwrap()[..]).unwrap();
    assert!(!feed.authors().is_empty(), "a feed has an author");
    let this = feed
        .links()
        .iter()
        .find(|l| l.rel() == "self")
        .expect("rel=self");
    assert_eq!(this.href(), feed_path);
    assert_eq!(this.mime_type(), Some("application/atom+xml"));
    let entry = &feed.entries()[0];
    assert_eq!(
        entry.title().as_str(),
        "Login failures (major outage, investigating)"
    );
    let page = entry
        .links()
        .iter()
        .find(|l| l.mime_type() == Some("text/html"))
        .expect("an HTML link");
    assert_eq!(page.rel(), "alternate");
    assert!(page
        .href()
        .starts_with(&format!("/status-page/incidents/{id}?token=")));
    // Resolved against the feed's URL, as a reader does, it opens without any other credential.
    let opened = w.anonymous(page.href()).await;
    assert_eq!(opened.status(), StatusCode::OK);
    assert!(opened.text().await.unwrap().contains("Login failures"));
    // Read with a bearer token instead, the links carry no token.
    let feed = w
        .app
        .get("/api/v1/incidents.atom", &w.app.token(CAROL))
        .await;
    let feed = atom_syndication::Feed::read_from(&feed.bytes().await.unwrap()[..]).unwrap();
    let hrefs: Vec<&str> = feed.entries()[0].links().iter().map(|l| l.href()).collect();
    assert_eq!(
        hrefs,
        [
            format!("/status-page/incidents/{id}"),
            format!("/api/v1/incidents/{id}")
        ]
    );
}
