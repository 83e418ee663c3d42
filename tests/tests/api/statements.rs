//! Closed periods: signed statements per tenant, offering and account, scoped by who held
//! them; service credits from credit policies; signatures verified outside the Rust code
//! (joserfc); and a correction after the close never changes a frozen statement.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::{Rng, SeedableRng};
use reqwest::StatusCode;
use serde_json::{json, Value};
use slr_tests::personas::{GLOBEX, NORTHWIND, STARK};
use slr_tests::{json_with, problem, problem_field, spawn_app, spawn_app_with, TestApp};
use time::format_description::well_known::Rfc3339;
use time::{Duration, Month, OffsetDateTime, UtcOffset};

/// Last month: its `YYYY-MM` and, in Europe/Berlin, its first instant and the next month's
/// (winter or summer time as the day falls; the test's instants stay well inside).
fn last_month() -> (String, OffsetDateTime, OffsetDateTime) {
    let today = OffsetDateTime::now_utc().date();
    let first_this = today.replace_day(1).unwrap();
    let first_last = (first_this - Duration::days(1)).replace_day(1).unwrap();
    let berlin = |d: time::Date| {
        // Central European Summer Time from the last Sunday of March to the last of October.
        let summer = matches!(
            d.month(),
            Month::April
                | Month::May
                | Month::June
                | Month::July
                | Month::August
                | Month::September
                | Month::October
        );
        let offset = UtcOffset::from_hms(if summer { 2 } else { 1 }, 0, 0).unwrap();
        d.midnight().assume_offset(offset).to_offset(UtcOffset::UTC)
    };
    (
        format!(
            "{:04}-{:02}",
            first_last.year(),
            u8::from(first_last.month())
        ),
        berlin(first_last),
        berlin(first_this),
    )
}

fn iso(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap()
}

fn q(t: OffsetDateTime) -> String {
    iso(t).replace('+', "%2B")
}

struct World {
    app: TestApp,
    admin: String,
    sma: i64,
    stark_prod: i64,
    /// Stark's direct offering of Service Management Automation.
    stark_offering: i64,
    stark_account: i64,
    northwind_account: i64,
    period: String,
    from: OffsetDateTime,
    to: OffsetDateTime,
}

async fn world() -> World {
    let app = spawn_app().await;
    app.seed_demo();
    let admin = app.admin_token();
    let sma = app
        .id_of("services", "name", "Service Management Automation")
        .await;
    let stark_prod = app.id_of("tenants", "name", "stark-prod").await;
    let stark = app.token(STARK);
    let offerings = app
        .list_all(
            &format!("/api/v1/offerings?service_id={sma}&kind=direct"),
            &stark,
        )
        .await;
    let stark_offering = offerings[0]["id"].as_i64().unwrap();
    let stark_account = offerings[0]["account_id"].as_i64().unwrap();
    let northwind_account = app.get_ok("/api/v1/me", &app.token(NORTHWIND)).await["account"]["id"]
        .as_i64()
        .unwrap();
    let (period, from, to) = last_month();
    World {
        app,
        admin,
        sma,
        stark_prod,
        stark_offering,
        stark_account,
        northwind_account,
        period,
        from,
        to,
    }
}

impl World {
    /// A back-filled resolved incident on stark-prod; its id.
    async fn incident(&self, start: OffsetDateTime, minutes: i64, impact: &str) -> i64 {
        let body = json!({"service_id": self.sma, "title": "Outage", "impact": impact,
            "scope": {"kind": "tenants", "tenant_ids": [self.stark_prod]}, "message": "Recorded.",
            "status": "resolved", "started_at": iso(start),
            "resolved_at": iso(start + Duration::minutes(minutes))});
        self.app.create("/api/v1/incidents", &body).await["id"]
            .as_i64()
            .unwrap()
    }

    async fn close(&self) -> reqwest::Response {
        self.app
            .post(
                "/api/v1/sla-periods",
                &self.admin,
                &json!({"period": self.period, "tz": "Europe/Berlin"}),
            )
            .await
    }

    async fn statements(&self, token: &str) -> Vec<Value> {
        self.app
            .list_all(&format!("/api/v1/statements?period={}", self.period), token)
            .await
    }

    /// The bytes `GET /statements/{id}` answers and its `Statement-Signature`.
    async fn frozen(&self, id: i64, token: &str) -> (Vec<u8>, String) {
        let answer = self
            .app
            .get(&format!("/api/v1/statements/{id}"), token)
            .await;
        assert_eq!(answer.status(), StatusCode::OK);
        let signature = answer.headers()["statement-signature"]
            .to_str()
            .unwrap()
            .to_owned();
        (answer.bytes().await.unwrap().to_vec(), signature)
    }

    async fn jwks(&self) -> Value {
        let answer = self
            .app
            .client
            .get(self.app.url("/.well-known/jwks.json"))
            .send()
            .await
            .unwrap();
        json_with(answer, StatusCode::OK).await
    }
}

fn of_kind<'a>(items: &'a [Value], kind: &str, subject: i64) -> Option<&'a Value> {
    items
        .iter()
        .find(|s| s["kind"] == kind && s["subject_id"] == subject)
}

/// Equal values; numbers compared as numbers (canonical JSON writes 90 where serde writes 90.0).
fn same(a: &Value, b: &Value) -> bool {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => x == y,
        _ => a == b,
    }
}

/// Verifies a detached JWS over `payload` with the JWK set, in Rust (jsonwebtoken).
fn verifies(jwks: &Value, payload: &[u8], detached: &str) -> bool {
    let (header, signature) = detached.split_once("..").unwrap();
    let head: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).unwrap()).unwrap();
    let set: jsonwebtoken::jwk::JwkSet = serde_json::from_value(jwks.clone()).unwrap();
    let jwk = set.find(head["kid"].as_str().unwrap()).unwrap();
    let key = jsonwebtoken::DecodingKey::from_jwk(jwk).unwrap();
    let input = format!("{header}.{}", URL_SAFE_NO_PAD.encode(payload));
    jsonwebtoken::crypto::verify(
        signature,
        input.as_bytes(),
        &key,
        jsonwebtoken::Algorithm::EdDSA,
    )
    .unwrap_or(false)
}

#[tokio::test]
async fn closing_a_month_freezes_signed_statements_each_holder_reads_its_own() {
    let w = world().await;
    // 90 minutes of major outage on stark-prod: about 99.79 % over a month, below 99.9.
    w.incident(w.from + Duration::days(10), 90, "major_outage")
        .await;
    let policy = w
        .app
        .request(
            reqwest::Method::PUT,
            &format!("/api/v1/offerings/{}/credit-policy", w.stark_offering),
            Some(&w.admin),
            Some(&json!({"tiers": [{"below": 99.9, "credit_percent": 10}, {"below": 99.0, "credit_percent": 25}], "cap_percent": 20})),
        )
        .await;
    let policy: Value = json_with(policy, StatusCode::OK).await;
    assert_eq!(policy["tiers"][0]["below"], 99.9);
    // Stark reads its offering's policy; Northwind does not see that offering at all.
    let path = format!("/api/v1/offerings/{}/credit-policy", w.stark_offering);
    assert_eq!(
        w.app.get_ok(&path, &w.app.token(STARK)).await["cap_percent"],
        20.0
    );
    assert_eq!(
        w.app.get(&path, &w.app.token(NORTHWIND)).await.status(),
        StatusCode::NOT_FOUND
    );

    let closed: Value = json_with(w.close().await, StatusCode::CREATED).await;
    assert_eq!(closed["period"], w.period.as_str());
    assert_eq!(closed["tz"], "Europe/Berlin");
    // Closing again answers the first closing and changes nothing.
    let again: Value = json_with(w.close().await, StatusCode::OK).await;
    assert_eq!(again["id"], closed["id"]);
    assert_eq!(again["closed_at"], closed["closed_at"]);

    let everything = w.statements(&w.admin).await;
    assert_eq!(
        everything.len() as i64,
        closed["statement_count"].as_i64().unwrap()
    );

    // Stark: its tenants', its offerings' and its own account's statements, nothing else.
    let stark = w.app.token(STARK);
    let mine = w.statements(&stark).await;
    assert!(
        mine.iter().all(|s| s["account_id"] == w.stark_account),
        "{mine:#?}"
    );
    let tenant = of_kind(&mine, "tenant", w.stark_prod).expect("stark-prod's statement");
    let offering = of_kind(&mine, "offering", w.stark_offering).expect("the offering's");
    assert!(of_kind(&mine, "account", w.stark_account).is_some());
    // The figures are the tenant's availability over the month as Stark sees it.
    let live = w
        .app
        .get_ok(
            &format!(
                "/api/v1/tenants/{}/availability?from={}&to={}&tz=Europe/Berlin&granularity=month",
                w.stark_prod,
                q(w.from),
                q(w.to)
            ),
            &stark,
        )
        .await;
    let figures = &tenant["statement"]["figures"];
    for figure in [
        "availability",
        "sla_availability",
        "weighted_availability",
        "unplanned_downtime_minutes",
        "planned_downtime_minutes",
        "degraded_minutes",
        "incident_count",
        "mttr_minutes",
        "sla_met",
        "error_budget_left_minutes",
    ] {
        assert!(
            same(&figures[figure], &live["tenant"][figure]),
            "{figure}: {} vs {}",
            figures[figure],
            live["tenant"][figure]
        );
    }
    assert_eq!(figures["unplanned_downtime_minutes"], 90.0);
    assert_eq!(
        tenant["statement"]["sla_target"],
        live["tenant"]["sla_target"]
    );
    assert_eq!(tenant["statement"]["period"], w.period.as_str());
    assert_eq!(tenant["statement"]["from"], live["from"]);
    assert_eq!(tenant["statement"]["to"], live["to"]);
    // Credits: 10 % (below 99.9, not below 99.0) for the tenant and for the offering.
    assert_eq!(tenant["statement"]["credit_percent"].as_f64(), Some(10.0));
    assert_eq!(
        tenant["statement"]["offerings"][0]["credit_percent"].as_f64(),
        Some(10.0)
    );
    assert_eq!(offering["statement"]["credit_percent"].as_f64(), Some(10.0));
    assert_eq!(
        offering["statement"]["tenants"][0]["credit_percent"].as_f64(),
        Some(10.0)
    );
    let account = of_kind(&mine, "account", w.stark_account).unwrap();
    assert_eq!(
        account["statement"]["offerings"][0]["credit_percent"].as_f64(),
        Some(10.0)
    );

    // What GET /statements/{id} answers is what the list embeds, byte for byte.
    let id = tenant["id"].as_i64().unwrap();
    let (bytes, signature) = w.frozen(id, &stark).await;
    assert_eq!(signature, tenant["signature"].as_str().unwrap());
    let listed_text = w
        .app
        .get(
            &format!(
                "/api/v1/statements?period={}&kind=tenant&subject_id={}",
                w.period, w.stark_prod
            ),
            &stark,
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(listed_text.contains(std::str::from_utf8(&bytes).unwrap()));
    assert!(verifies(&w.jwks().await, &bytes, &signature));

    // Northwind: its own, its customers' tenants, its offerings, its account — not its
    // customers' direct offerings nor their account statements.
    let northwind = w.app.token(NORTHWIND);
    let theirs = w.statements(&northwind).await;
    let globex = w.app.token(GLOBEX);
    let globex_tenants: Vec<i64> = w
        .app
        .list_all("/api/v1/tenants", &globex)
        .await
        .iter()
        .map(|t| t["id"].as_i64().unwrap())
        .collect();
    for tenant in &globex_tenants {
        assert!(
            of_kind(&theirs, "tenant", *tenant).is_some(),
            "Globex tenant {tenant}"
        );
    }
    let globex_offerings: Vec<i64> = w
        .app
        .list_all("/api/v1/offerings", &globex)
        .await
        .iter()
        .map(|o| o["id"].as_i64().unwrap())
        .collect();
    for s in &theirs {
        match s["kind"].as_str().unwrap() {
            "account" => assert_eq!(s["subject_id"], w.northwind_account),
            "offering" => {
                assert_eq!(s["account_id"], w.northwind_account);
                assert!(!globex_offerings.contains(&s["subject_id"].as_i64().unwrap()));
            }
            _ => {}
        }
        // No credit policy on Northwind's offerings: no credit field anywhere.
        assert!(s["statement"].get("credit_percent").is_none(), "{s}");
    }
    assert!(of_kind(&theirs, "account", w.northwind_account).is_some());
    assert!(of_kind(&theirs, "tenant", w.stark_prod).is_none());
    // Out of scope is 404, as always.
    assert_eq!(
        w.app
            .get(&format!("/api/v1/statements/{id}"), &northwind)
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    let northwind_own = of_kind(&theirs, "account", w.northwind_account).unwrap()["id"]
        .as_i64()
        .unwrap();
    assert_eq!(
        w.app
            .get(&format!("/api/v1/statements/{northwind_own}"), &stark)
            .await
            .status(),
        StatusCode::NOT_FOUND
    );

    // CSV: one row per statement, with its figures and credit.
    let csv = w
        .app
        .get(
            &format!("/api/v1/statements.csv?period={}", w.period),
            &stark,
        )
        .await
        .text()
        .await
        .unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), mine.len() + 1, "{csv}");
    // The CSV takes the list's paging parameters, checked like the JSON form's.
    let bad = w
        .app
        .get(
            &format!("/api/v1/statements.csv?period={}&limit=0", w.period),
            &stark,
        )
        .await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    assert!(lines[0].starts_with("id,period,tz,kind,subject_id"));
    let row = lines
        .iter()
        .find(|l| l.starts_with(&format!("{id},")))
        .unwrap();
    let header: Vec<&str> = lines[0].split(',').collect();
    let cell = |name: &str| {
        let at = header.iter().position(|h| *h == name).unwrap();
        row.split(',').nth(at).unwrap().to_owned()
    };
    assert_eq!(cell("kind"), "tenant");
    assert_eq!(
        cell("credit_percent").parse::<f64>().unwrap(),
        10.0,
        "{row}"
    );
    assert_eq!(
        cell("unplanned_downtime_minutes").parse::<f64>().unwrap(),
        90.0
    );
    assert_eq!(cell("signature"), tenant["signature"].as_str().unwrap());
}

#[tokio::test]
async fn a_statement_verifies_with_joserfc_and_a_changed_byte_does_not() {
    let w = world().await;
    w.incident(w.from + Duration::days(3), 30, "partial_outage")
        .await;
    json_with::<Value>(w.close().await, StatusCode::CREATED).await;
    let stark = w.app.token(STARK);
    let mine = w.statements(&stark).await;
    let id = of_kind(&mine, "tenant", w.stark_prod).unwrap()["id"]
        .as_i64()
        .unwrap();
    let (bytes, signature) = w.frozen(id, &stark).await;
    let dir = tempfile::tempdir().unwrap();
    let jwks = dir.path().join("jwks.json");
    std::fs::write(&jwks, serde_json::to_vec(&w.jwks().await).unwrap()).unwrap();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/jose/verify.sh");
    let verify = |payload: &[u8]| {
        let file = dir.path().join("statement.json");
        std::fs::write(&file, payload).unwrap();
        let out = std::process::Command::new("bash")
            .arg(script)
            .arg(&jwks)
            .arg(&file)
            .arg(&signature)
            .output()
            .expect("bash runs");
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).trim().to_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (ok, said, err) = verify(&bytes);
    assert!(ok && said == "verified", "{said} {err}");
    // One byte changed (a digit of a figure): refused.
    let mut changed = bytes.clone();
    let at = changed.iter().position(u8::is_ascii_digit).unwrap();
    changed[at] = if changed[at] == b'9' {
        b'8'
    } else {
        changed[at] + 1
    };
    let (ok, said, _) = verify(&changed);
    assert!(!ok && said.starts_with("refused"), "{said}");
}

#[tokio::test]
async fn correcting_a_closed_month_leaves_its_statements_byte_for_byte() {
    let w = world().await;
    let seed: u64 = rand::random();
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let span = (w.to - w.from).whole_minutes() - 24 * 60;
    let impacts = ["major_outage", "partial_outage", "degraded"];
    let mut ids = Vec::new();
    for _ in 0..rng.random_range(2..6) {
        let start = w.from + Duration::minutes(rng.random_range(0..span));
        let impact = impacts[rng.random_range(0..impacts.len())];
        ids.push(w.incident(start, rng.random_range(1..600), impact).await);
    }
    json_with::<Value>(w.close().await, StatusCode::CREATED).await;
    let stark = w.app.token(STARK);
    let before = w.statements(&stark).await;
    let mut frozen = Vec::new();
    for s in &before {
        frozen.push(w.frozen(s["id"].as_i64().unwrap(), &stark).await);
    }
    // Corrections after the close: a resolved incident's impact corrected over its whole
    // history, and an incident back-filled into the closed month.
    let patched = w
        .app
        .patch(
            &format!("/api/v1/incidents/{}", ids[0]),
            &w.admin,
            &json!({"impact": "major_outage", "title": "Corrected"}),
        )
        .await;
    assert_eq!(patched.status(), StatusCode::OK, "seed {seed}");
    w.incident(w.from + Duration::days(2), 240, "major_outage")
        .await;
    // The month's live figures moved …
    let live = w
        .app
        .get_ok(
            &format!(
                "/api/v1/tenants/{}/availability?from={}&to={}&tz=Europe/Berlin&granularity=month",
                w.stark_prod,
                q(w.from),
                q(w.to)
            ),
            &stark,
        )
        .await;
    let statement = of_kind(&before, "tenant", w.stark_prod).unwrap();
    assert_ne!(
        live["tenant"]["unplanned_downtime_minutes"],
        statement["statement"]["figures"]["unplanned_downtime_minutes"],
        "seed {seed}"
    );
    // … the frozen statements did not: same bytes, same signatures, still verifying.
    let jwks = w.jwks().await;
    let after = w.statements(&stark).await;
    assert_eq!(after.len(), before.len());
    for (s, (bytes, signature)) in before.iter().zip(&frozen) {
        let again = w.frozen(s["id"].as_i64().unwrap(), &stark).await;
        assert_eq!(&again.0, bytes, "seed {seed}");
        assert_eq!(&again.1, signature);
        assert!(verifies(&jwks, bytes, signature), "seed {seed}");
    }
}

#[tokio::test]
async fn bad_closings_and_policies_are_refused_by_field() {
    let w = world().await;
    let close = |body: Value| {
        let app = &w.app;
        let admin = w.admin.clone();
        async move { app.post("/api/v1/sla-periods", &admin, &body).await }
    };
    for (body, field) in [
        (json!({"period": "2026-13"}), "period"),
        (json!({"period": "26-11"}), "period"),
        (json!({"period": w.period, "tz": "Mars/Olympus"}), "tz"),
        (json!({"period": "8999-12"}), "period"),
    ] {
        assert_eq!(
            problem_field(
                close(body.clone()).await,
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation_failed"
            )
            .await,
            field,
            "{body}"
        );
    }
    // This month has not ended.
    let now = OffsetDateTime::now_utc();
    let this_month = format!("{:04}-{:02}", now.year(), u8::from(now.month()));
    assert_eq!(
        problem_field(
            close(json!({"period": this_month})).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed"
        )
        .await,
        "period"
    );
    // Only provider admins close periods and set policies.
    let stark = w.app.token(STARK);
    problem(
        w.app
            .post("/api/v1/sla-periods", &stark, &json!({"period": w.period}))
            .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    let path = format!("/api/v1/offerings/{}/credit-policy", w.stark_offering);
    let put = |token: String, body: Value| {
        let app = &w.app;
        let path = path.clone();
        async move {
            app.request(reqwest::Method::PUT, &path, Some(&token), Some(&body))
                .await
        }
    };
    problem(
        put(
            stark.clone(),
            json!({"tiers": [{"below": 99.9, "credit_percent": 10}]}),
        )
        .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    for body in [
        json!({"tiers": []}),
        json!({"tiers": [{"below": 120, "credit_percent": 10}]}),
        json!({"tiers": [{"below": 99.9, "credit_percent": 10}, {"below": 99.9, "credit_percent": 20}]}),
    ] {
        assert_eq!(
            problem_field(
                put(w.admin.clone(), body.clone()).await,
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation_failed"
            )
            .await,
            "tiers",
            "{body}"
        );
    }
    assert_eq!(
        problem_field(
            put(
                w.admin.clone(),
                json!({"tiers": [{"below": 99.9, "credit_percent": 10}], "cap_percent": 101})
            )
            .await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed"
        )
        .await,
        "cap_percent"
    );
    // No policy: 404; a bad period filter: 400 naming it.
    assert_eq!(
        w.app.get(&path, &w.admin).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        problem_field(
            w.app.get("/api/v1/statements?period=11-2026", &stark).await,
            StatusCode::BAD_REQUEST,
            "invalid_parameter"
        )
        .await,
        "period"
    );
    // Without a signing key a server refuses to close.
    let keyless = spawn_app_with(|s| s.statement_key = None).await;
    problem(
        keyless
            .post(
                "/api/v1/sla-periods",
                &keyless.admin_token(),
                &json!({"period": w.period}),
            )
            .await,
        StatusCode::CONFLICT,
        "statement_key_missing",
    )
    .await;
}

#[tokio::test]
async fn statements_signed_before_a_key_rotation_still_verify() {
    let w = world().await;
    json_with::<Value>(w.close().await, StatusCode::CREATED).await;
    let stark = w.app.token(STARK);
    let old = w.statements(&stark).await;
    let old_kid = old[0]["key_id"].as_str().unwrap().to_owned();
    // The operator rotates the key: a server with the new one closes the month before.
    let rotated = w.app.replica_with(|s| {
        s.statement_key = Some(slr_api::settings::Secret::new(
            slr_api::settings::new_statement_key(),
        ))
    });
    let (_, before_from, _) = last_month();
    let earlier = (before_from - Duration::days(2)).date();
    let period = format!("{:04}-{:02}", earlier.year(), u8::from(earlier.month()));
    json_with::<Value>(
        rotated
            .post(
                "/api/v1/sla-periods",
                &rotated.admin_token(),
                &json!({"period": period, "tz": "Europe/Berlin"}),
            )
            .await,
        StatusCode::CREATED,
    )
    .await;
    let new = rotated
        .list_all(&format!("/api/v1/statements?period={period}"), &stark)
        .await;
    let new_kid = new[0]["key_id"].as_str().unwrap().to_owned();
    assert_ne!(new_kid, old_kid);
    let answer = rotated
        .client
        .get(rotated.url("/.well-known/jwks.json"))
        .send()
        .await
        .unwrap();
    let jwks: Value = json_with(answer, StatusCode::OK).await;
    let kids: Vec<&str> = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap())
        .collect();
    assert!(
        kids.contains(&old_kid.as_str()) && kids.contains(&new_kid.as_str()),
        "{kids:?}"
    );
    for s in old.iter().chain(&new) {
        let served = rotated
            .get(&format!("/api/v1/statements/{}", s["id"]), &stark)
            .await
            .bytes()
            .await
            .unwrap();
        assert!(
            verifies(&jwks, &served, s["signature"].as_str().unwrap()),
            "{}",
            s["id"]
        );
    }
}

#[tokio::test]
async fn two_closings_of_one_month_at_once_freeze_it_once() {
    let w = world().await;
    w.incident(w.from + Duration::days(5), 45, "major_outage")
        .await;
    let answers = slr_tests::join_all([w.close(), w.close(), w.close()].into_iter()).await;
    let mut statuses = Vec::new();
    let mut ids = Vec::new();
    for answer in answers {
        statuses.push(answer.status());
        let body: Value = answer.json().await.unwrap();
        ids.push(body["id"].clone());
    }
    statuses.sort();
    assert_eq!(
        statuses,
        [StatusCode::OK, StatusCode::OK, StatusCode::CREATED],
        "one closing wins, the others answer it"
    );
    assert!(ids.iter().all(|id| *id == ids[0]), "{ids:?}");
    let everything = w.statements(&w.admin).await;
    let tenants = everything
        .iter()
        .filter(|s| s["kind"] == "tenant" && s["subject_id"] == w.stark_prod)
        .count();
    assert_eq!(tenants, 1, "stark-prod's statement exists once");
}
