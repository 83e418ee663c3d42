//! Availability through the API: hand-computed figures, the same tenant through the partner's
//! and the customer's offerings, CSV, bad windows and scoping.

use reqwest::StatusCode;
use serde_json::{json, Value};
use slr_tests::personas::{GLOBEX, NORTHWIND, STARK};
use slr_tests::{problem, problem_field, spawn_app, TestApp};
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime, Time};

fn iso(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap()
}

/// Midnight UTC ten days ago: the one-day window the hand-computed cases use.
fn day() -> OffsetDateTime {
    (OffsetDateTime::now_utc() - Duration::days(10)).replace_time(Time::MIDNIGHT)
}

struct World {
    app: TestApp,
    globex_prod: i64,
    globex_analytics: i64,
}

/// On Service Management Automation, in the one-day window:
/// - a major outage on saas2-eu from 01:00 to 02:00 (globex-prod, stark-prod);
/// - a service-wide partial outage from 01:30 to 03:30;
/// - a downtime maintenance on saas3-eu from 05:00 to 06:00 (globex-analytics,
///   umbrella-prod, northwind-internal), completed;
/// - a degraded incident on saas2-eu from 10:00 to 10:45.
async fn world() -> World {
    let app = spawn_app().await;
    app.seed_demo();
    let sma = app
        .id_of("services", "name", "Service Management Automation")
        .await;
    let eu2 = app.id_of("classifications", "code", "saas2-eu").await;
    let eu3 = app.id_of("classifications", "code", "saas3-eu").await;
    let d = day();
    let incident = |title: &str, impact: &str, scope: Value, from: i64, to: i64| {
        json!({"service_id": sma, "title": title, "impact": impact, "status": "resolved", "scope": scope,
               "started_at": iso(d + Duration::minutes(from)), "resolved_at": iso(d + Duration::minutes(to)), "message": "Recorded."})
    };
    app.create(
        "/api/v1/incidents",
        &incident(
            "Major",
            "major_outage",
            json!({"kind": "classifications", "classification_ids": [eu2]}),
            60,
            120,
        ),
    )
    .await;
    app.create(
        "/api/v1/incidents",
        &incident(
            "Partial",
            "partial_outage",
            json!({"kind": "service"}),
            90,
            210,
        ),
    )
    .await;
    app.create(
        "/api/v1/incidents",
        &incident(
            "Slow",
            "degraded",
            json!({"kind": "classifications", "classification_ids": [eu2]}),
            600,
            645,
        ),
    )
    .await;
    let maintenance = json!({"service_id": sma, "title": "Upgrade", "description": "Planned.", "expected_impact": "downtime",
        "scheduled_start": iso(d + Duration::hours(5)), "scheduled_end": iso(d + Duration::hours(6)),
        "classification_ids": [eu3], "status": "completed"});
    app.create("/api/v1/maintenances", &maintenance).await;
    let globex_prod = app.id_of("tenants", "name", "globex-prod").await;
    let globex_analytics = app.id_of("tenants", "name", "globex-analytics").await;
    World {
        app,
        globex_prod,
        globex_analytics,
    }
}

fn window_query() -> String {
    format!(
        "from={}&to={}",
        iso(day()).replace('+', "%2B"),
        iso(day() + Duration::days(1)).replace('+', "%2B")
    )
}

fn close(a: &Value, b: f64) {
    let a = a.as_f64().unwrap_or_else(|| panic!("not a number: {a}"));
    assert!((a - b).abs() < 1e-9, "{a} != {b}");
}

#[tokio::test]
async fn hand_computed_figures_for_one_day() {
    let w = world().await;
    let token = w.app.token(GLOBEX);
    let prod = w
        .app
        .get_ok(
            &format!(
                "/api/v1/tenants/{}/availability?{}",
                w.globex_prod,
                window_query()
            ),
            &token,
        )
        .await;
    let t = &prod["tenant"];
    // 60 min major, then the partial outage alone from 02:00 to 03:30: 90 × 0.3 = 27 min.
    close(&t["unplanned_downtime_minutes"], 87.0);
    close(&t["planned_downtime_minutes"], 0.0);
    close(&t["degraded_minutes"], 45.0);
    close(&t["availability"], 1.0 - 87.0 / 1440.0);
    close(&t["sla_availability"], 1.0 - 87.0 / 1440.0);
    assert_eq!(t["incident_count"], 3);
    close(&t["mttr_minutes"], (60.0 + 120.0 + 45.0) / 3.0);
    assert_eq!(t["sla_met"], false);
    close(&t["error_budget_left_minutes"], 0.001 * 1440.0 - 87.0);
    assert_eq!(prod["buckets"].as_array().unwrap().len(), 1);

    // globex-analytics (saas3-eu): the partial outage (120 × 0.3 = 36 min) and the planned hour.
    let analytics = w
        .app
        .get_ok(
            &format!(
                "/api/v1/tenants/{}/availability?{}",
                w.globex_analytics,
                window_query()
            ),
            &token,
        )
        .await;
    let a = &analytics["tenant"];
    close(&a["unplanned_downtime_minutes"], 36.0);
    close(&a["planned_downtime_minutes"], 60.0);
    close(&a["availability"], 1.0 - 96.0 / 1440.0);
    close(&a["sla_availability"], 1.0 - 36.0 / 1380.0);
}

#[tokio::test]
async fn a_tenant_has_the_same_numbers_through_the_partner_and_the_customer() {
    let w = world().await;
    let q = window_query();
    let partner_offering = w
        .app
        .id_of(
            "offerings",
            "name",
            "Service Management Automation - Northwind Partners (Partner Tenants)",
        )
        .await;
    let globex_offering = w
        .app
        .id_of(
            "offerings",
            "name",
            "Service Management Automation - Globex",
        )
        .await;
    let via_partner = w
        .app
        .list_all(
            &format!("/api/v1/offerings/{partner_offering}/availability/tenants?{q}"),
            &w.app.token(NORTHWIND),
        )
        .await;
    let via_customer = w
        .app
        .list_all(
            &format!("/api/v1/offerings/{globex_offering}/availability/tenants?{q}"),
            &w.app.token(GLOBEX),
        )
        .await;
    let names = |rows: &[Value]| {
        rows.iter()
            .map(|r| r["tenant_name"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        names(&via_partner),
        ["globex-prod", "globex-analytics", "initech-prod"]
    );
    assert_eq!(names(&via_customer), ["globex-prod", "globex-analytics"]);
    for row in &via_customer {
        let twin = via_partner
            .iter()
            .find(|p| p["tenant_id"] == row["tenant_id"])
            .unwrap();
        for field in [
            "availability",
            "sla_availability",
            "unplanned_downtime_minutes",
            "planned_downtime_minutes",
            "incident_count",
        ] {
            assert_eq!(twin[field], row[field], "{field}");
        }
    }
    let direct = w
        .app
        .get_ok(
            &format!("/api/v1/tenants/{}/availability?{q}", w.globex_prod),
            &w.app.token(NORTHWIND),
        )
        .await;
    assert_eq!(
        direct["tenant"]["availability"],
        via_customer[0]["availability"]
    );

    // The partner's rollup: mean over its three customer tenants, worst is globex-prod.
    let rollup = w
        .app
        .get_ok(
            &format!("/api/v1/offerings/{partner_offering}/availability?{q}"),
            &w.app.token(NORTHWIND),
        )
        .await;
    assert_eq!(rollup["tenant_count"], 3);
    let mean: f64 = via_partner
        .iter()
        .map(|r| r["availability"].as_f64().unwrap())
        .sum::<f64>()
        / 3.0;
    close(&rollup["availability"], mean);
    // Worst and below-target are judged on the SLA figure: globex-prod's 87 unplanned minutes
    // weigh more than globex-analytics' 36 (its 60 planned minutes are excluded).
    assert_eq!(rollup["worst_tenant"]["tenant_name"], "globex-prod");
    assert_eq!(rollup["tenants_below_target"].as_array().unwrap().len(), 3);
    // The customer cannot reach the partner's offering, nor another customer's tenant.
    let initech = w.app.id_of("tenants", "name", "initech-prod").await;
    problem(
        w.app
            .get(
                &format!("/api/v1/offerings/{partner_offering}/availability?{q}"),
                &w.app.token(GLOBEX),
            )
            .await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    problem(
        w.app
            .get(
                &format!("/api/v1/tenants/{initech}/availability?{q}"),
                &w.app.token(GLOBEX),
            )
            .await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
}

#[tokio::test]
async fn the_overview_lists_every_visible_offering() {
    let w = world().await;
    let q = window_query();
    let overview = w
        .app
        .get_ok(
            &format!("/api/v1/availability?{q}"),
            &w.app.token(NORTHWIND),
        )
        .await;
    let rows = overview["offerings"].as_array().unwrap();
    assert_eq!(rows.len(), 4);
    let partner_sma = rows
        .iter()
        .find(|r| {
            r["offering_name"]
                == "Service Management Automation - Northwind Partners (Partner Tenants)"
        })
        .unwrap();
    assert_eq!(partner_sma["tenant_count"], 3);
    assert_eq!(partner_sma["tenants_below_target"], 3);
    let stark = w
        .app
        .get_ok(&format!("/api/v1/availability?{q}"), &w.app.token(STARK))
        .await;
    assert_eq!(stark["offerings"].as_array().unwrap().len(), 2);
    // Defaults: the last 30 days in daily buckets.
    let globex_offering = w
        .app
        .id_of(
            "offerings",
            "name",
            "Service Management Automation - Globex",
        )
        .await;
    let defaults = w
        .app
        .get_ok(
            &format!("/api/v1/offerings/{globex_offering}/availability"),
            &w.app.token(GLOBEX),
        )
        .await;
    assert_eq!(defaults["granularity"], "day");
    let buckets = defaults["buckets"].as_array().unwrap().len();
    assert!((30..=31).contains(&buckets), "{buckets} buckets");
}

#[tokio::test]
async fn csv_answers_have_a_header_row_and_one_row_per_bucket_or_tenant() {
    let w = world().await;
    let token = w.app.token(NORTHWIND);
    let partner_offering = w
        .app
        .id_of(
            "offerings",
            "name",
            "Service Management Automation - Northwind Partners (Partner Tenants)",
        )
        .await;
    let week = format!(
        "from={}&to={}&granularity=day",
        iso(day()).replace('+', "%2B"),
        iso(day() + Duration::days(7)).replace('+', "%2B")
    );
    let by_accept = w
        .app
        .client
        .get(w.app.url(&format!(
            "/api/v1/offerings/{partner_offering}/availability?{week}"
        )))
        .bearer_auth(&token)
        .header("Accept", "text/csv")
        .send()
        .await
        .unwrap();
    assert_eq!(by_accept.status(), StatusCode::OK);
    assert!(by_accept.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let text = by_accept.text().await.unwrap();
    let lines: Vec<&str> = text.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(
        lines[0],
        "row,from,to,availability,sla_availability,weighted_availability,tenants_below_target,worst_tenant_id,worst_tenant_name,worst_tenant_sla_availability,tenants_below_target_ids"
    );
    assert_eq!(lines.len(), 1 + 7 + 1, "a row per day, then the rollup");
    assert!(lines[8].starts_with("rollup,"));
    let by_path = w
        .app
        .get(
            &format!("/api/v1/offerings/{partner_offering}/availability.csv?{week}"),
            &token,
        )
        .await;
    assert_eq!(by_path.text().await.unwrap(), text);

    let tenants = w
        .app
        .get(
            &format!("/api/v1/offerings/{partner_offering}/availability/tenants.csv?{week}"),
            &token,
        )
        .await
        .text()
        .await
        .unwrap();
    let mut reader = csv_rows(&tenants);
    let header = reader.remove(0);
    assert_eq!(header[..4], ["row", "from", "to", "tenant_id"]);
    assert!(header.contains(&"error_budget_left_minutes".to_owned()));
    assert_eq!(reader.len(), 3);
    assert!(reader.iter().all(|r| r.len() == header.len()));
    // The CSV form holds every tenant but takes the JSON pages' parameters, checked alike.
    let bad_limit = w
        .app
        .get(
            &format!(
                "/api/v1/offerings/{partner_offering}/availability/tenants.csv?{week}&limit=0"
            ),
            &token,
        )
        .await;
    assert_eq!(bad_limit.status(), StatusCode::BAD_REQUEST);
    let overview = w
        .app
        .get(&format!("/api/v1/availability.csv?{week}"), &token)
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(csv_rows(&overview).len(), 1 + 4);
}

/// Splits RFC 4180 text (no quoted commas in these reports) into rows of fields.
fn csv_rows(text: &str) -> Vec<Vec<String>> {
    text.split("\r\n")
        .filter(|l| !l.is_empty())
        .map(|l| l.split(',').map(str::to_owned).collect())
        .collect()
}

#[tokio::test]
async fn bad_windows_are_refused() {
    let w = world().await;
    let token = w.app.token(GLOBEX);
    let now = OffsetDateTime::now_utc();
    let q = |from: OffsetDateTime, to: OffsetDateTime| {
        format!(
            "/api/v1/availability?from={}&to={}",
            iso(from).replace('+', "%2B"),
            iso(to).replace('+', "%2B")
        )
    };
    let backwards = w.app.get(&q(now, now - Duration::days(1)), &token).await;
    assert_eq!(
        problem_field(
            backwards,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed"
        )
        .await,
        "to"
    );
    let too_long = w.app.get(&q(now - Duration::days(401), now), &token).await;
    assert_eq!(
        problem_field(
            too_long,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed"
        )
        .await,
        "to"
    );
    let bogus = w
        .app
        .get("/api/v1/availability?granularity=hour", &token)
        .await;
    assert_eq!(
        problem_field(bogus, StatusCode::BAD_REQUEST, "invalid_parameter").await,
        "granularity"
    );
    let year = w.app.get(&q(now - Duration::days(365), now), &token).await;
    assert_eq!(year.status(), StatusCode::OK);
}
