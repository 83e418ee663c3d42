//! Every enum the served spec declares round-trips through the server: each value of each enum
//! in a request body, query or path is accepted where the spec puts it, and a body's value
//! comes back in the answer. A generated client relies on exactly this (a spec that said
//! `IncidentCreated` while the server took `incident.created` left clients unable to subscribe).
//!
//! The enum sites are read from the spec, not listed here: an operation that gains an enum and
//! has no case below fails the test until a case says how to call it.

use reqwest::Method;
use serde_json::{json, Value};
use slr_tests::{at, TestApp};
use time::Duration;

/// Where an enum sits: `["body", "scope", "kind"]`, `["body", "event_types", "[]"]`,
/// `["query", "status"]`, `["path", "kind"]`.
struct Site {
    method: Method,
    path: String,
    location: Vec<String>,
    values: Vec<Value>,
}

fn sites(spec: &Value) -> Vec<Site> {
    let mut sites = Vec::new();
    for (path, item) in spec["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("path item") {
            let method: Method = method.to_uppercase().parse().expect("an HTTP method");
            let mut found = Vec::new();
            if let Some(content) = operation["requestBody"]["content"].as_object() {
                for media in content.values() {
                    walk(spec, &media["schema"], vec!["body".into()], &mut found);
                }
            }
            for parameter in operation["parameters"].as_array().into_iter().flatten() {
                let at = vec![
                    parameter["in"].as_str().expect("in").to_owned(),
                    parameter["name"].as_str().expect("name").to_owned(),
                ];
                walk(spec, &parameter["schema"], at, &mut found);
            }
            sites.extend(found.into_iter().map(|(location, values)| Site {
                method: method.clone(),
                path: path.clone(),
                location,
                values,
            }));
        }
    }
    sites
}

fn walk(spec: &Value, schema: &Value, at: Vec<String>, found: &mut Vec<(Vec<String>, Vec<Value>)>) {
    if let Some(reference) = schema["$ref"].as_str() {
        let name = reference.trim_start_matches("#/components/schemas/");
        return walk(spec, &spec["components"]["schemas"][name], at, found);
    }
    if let Some(values) = schema["enum"].as_array() {
        found.push((at.clone(), values.clone()));
    }
    for combinator in ["oneOf", "anyOf", "allOf"] {
        for part in schema[combinator].as_array().into_iter().flatten() {
            walk(spec, part, at.clone(), found);
        }
    }
    for (name, property) in schema["properties"].as_object().into_iter().flatten() {
        let mut deeper = at.clone();
        deeper.push(name.clone());
        walk(spec, property, deeper, found);
    }
    if schema["items"].is_object() {
        let mut deeper = at;
        deeper.push("[]".into());
        walk(spec, &schema["items"], deeper, found);
    }
}

/// The demo objects the cases build on.
struct Fixture {
    sma: i64,
    class: i64,
    tenant: i64,
    offering: i64,
    partner: i64,
}

impl Fixture {
    async fn new(app: &TestApp) -> Self {
        let ids = app.demo_ids().await;
        let tenant = app
            .list_all("/api/v1/tenants?limit=200", &app.admin_token())
            .await
            .into_iter()
            .find(|t| t["service_id"] == ids.sma)
            .expect("a tenant of Service Management Automation");
        Self {
            sma: ids.sma,
            class: ids.class["saas2-eu"],
            tenant: tenant["id"].as_i64().expect("tenant id"),
            offering: app
                .get_ok("/api/v1/offerings?limit=1", &app.admin_token())
                .await["items"][0]["id"]
                .as_i64()
                .expect("an offering"),
            partner: app.id_of("accounts", "name", "Northwind Partners").await,
        }
    }

    fn scope(&self, kind: &str) -> Value {
        match kind {
            "service" => json!({"kind": "service"}),
            "classifications" => {
                json!({"kind": "classifications", "classification_ids": [self.class]})
            }
            "tenants" => json!({"kind": "tenants", "tenant_ids": [self.tenant]}),
            other => panic!("no scope case for kind {other}"),
        }
    }

    fn incident(&self) -> Value {
        json!({
            "service_id": self.sma, "title": "Slow logins", "impact": "degraded",
            "scope": self.scope("classifications"), "message": "Investigating.",
        })
    }

    fn maintenance(&self, status: &str) -> Value {
        // A window that fits the status: past for completed, around now when in progress.
        let (start, end) = match status {
            "completed" => (Duration::hours(-3), Duration::hours(-1)),
            "in_progress" => (Duration::hours(-1), Duration::hours(1)),
            _ => (Duration::days(2), Duration::days(2) + Duration::hours(2)),
        };
        json!({
            "service_id": self.sma, "title": "Upgrade", "description": "Planned work.",
            "expected_impact": "downtime", "status": status,
            "scheduled_start": at(start), "scheduled_end": at(end),
            "scope": self.scope("classifications"),
        })
    }

    async fn created(&self, app: &TestApp, path: &str, body: Value) -> i64 {
        app.create(path, &body).await["id"].as_i64().expect("id")
    }

    /// The request that puts `value` at the site: its path (with query) and body.
    async fn request(&self, app: &TestApp, site: &Site, value: &Value) -> (String, Option<Value>) {
        let text = value.as_str().expect("string enums");
        let field = site.location.last().expect("a location");
        let query = |path: &str| format!("{path}?{field}={text}");
        let route = (site.method.clone(), site.path.as_str());
        let body = match route {
            (Method::POST, "/api/v1/accounts") => {
                let mut body = json!({"name": format!("Enum {text}"), "kind": text});
                if text == "customer" {
                    body["managing_partner_id"] = json!(self.partner);
                }
                body
            }
            (Method::POST, "/api/v1/accounts/{id}/contacts") => {
                let path = format!("/api/v1/accounts/{}/contacts", self.partner);
                let email = format!("enum-{text}@northwind.example");
                return (
                    path,
                    Some(json!({"email": email, "name": "Enum", "role": text})),
                );
            }
            (Method::PATCH, "/api/v1/contacts/{id}") => {
                let contact = app.contact_id(slr_tests::personas::NORTHWIND);
                return (
                    format!("/api/v1/contacts/{contact}"),
                    Some(json!({"role": text})),
                );
            }
            (Method::POST, "/api/v1/incidents") => {
                let mut body = self.incident();
                if site.location[1] == "impact_changes" {
                    body["started_at"] = json!(at(Duration::hours(-2)));
                    body["impact_changes"] =
                        json!([{"from": at(Duration::hours(-1)), "impact": "major_outage"}]);
                }
                body
            }
            (Method::PATCH, "/api/v1/incidents/{id}") => {
                let id = self
                    .created(app, "/api/v1/incidents", self.incident())
                    .await;
                return (
                    format!("/api/v1/incidents/{id}"),
                    Some(set(json!({}), &site.location[1..], value, self)),
                );
            }
            (Method::PATCH, "/api/v1/incidents/{id}/tenant-states") => {
                let body = json!({
                    "service_id": self.sma, "title": "Slow logins", "impact": "degraded",
                    "scope": self.scope("tenants"), "message": "Investigating.",
                });
                let id = self.created(app, "/api/v1/incidents", body).await;
                return (
                    format!("/api/v1/incidents/{id}/tenant-states"),
                    Some(json!({"tenant_ids": [self.tenant], "state": text})),
                );
            }
            (Method::POST, "/api/v1/incidents/{id}/updates") => {
                let id = self
                    .created(app, "/api/v1/incidents", self.incident())
                    .await;
                let body = json!({"message": "Still looking."});
                return (
                    format!("/api/v1/incidents/{id}/updates"),
                    Some(set(body, &site.location[1..], value, self)),
                );
            }
            (Method::POST, "/api/v1/maintenances") if field == "status" => self.maintenance(text),
            (Method::POST, "/api/v1/maintenances") => self.maintenance("scheduled"),
            (Method::PATCH, "/api/v1/maintenances/{id}") => {
                // A window the status can be reached from.
                let from = if text == "completed" {
                    "in_progress"
                } else {
                    "scheduled"
                };
                let id = self
                    .created(app, "/api/v1/maintenances", self.maintenance(from))
                    .await;
                let path = format!("/api/v1/maintenances/{id}");
                if field == "status" {
                    return (path, Some(json!({"status": text})));
                }
                return (path, Some(set(json!({}), &site.location[1..], value, self)));
            }
            (Method::POST, "/api/v1/webhooks")
                if site.location.iter().any(|l| l == "event_types") =>
            {
                json!({"url": "https://hooks.example.com/slr", "event_types": []})
            }
            (Method::POST, "/api/v1/webhooks") => {
                json!({"url": "https://hooks.example.com/slr", "event_types": ["incident.created"]})
            }
            (Method::PATCH, "/api/v1/webhooks/{id}") => {
                let body = json!({"url": "https://hooks.example.com/slr", "event_types": ["incident.created"]});
                let id = self.created(app, "/api/v1/webhooks", body).await;
                return (
                    format!("/api/v1/webhooks/{id}"),
                    Some(set(json!({}), &site.location[1..], value, self)),
                );
            }
            // One subscription per address and account: a new address for each value.
            (Method::POST, "/api/v1/email-subscriptions") => {
                json!({"email": format!("enum-{text}@acme-cloud.example")})
            }
            (Method::PATCH, "/api/v1/email-subscriptions/{id}") => {
                let address = format!("patch-{text}@acme-cloud.example");
                let id = self
                    .created(
                        app,
                        "/api/v1/email-subscriptions",
                        json!({ "email": address }),
                    )
                    .await;
                return (
                    format!("/api/v1/email-subscriptions/{id}"),
                    Some(set(json!({}), &site.location[1..], value, self)),
                );
            }
            (Method::GET, "/status-page/{kind}/{id}") => {
                let id = match text {
                    "incidents" => {
                        self.created(app, "/api/v1/incidents", self.incident())
                            .await
                    }
                    _ => {
                        self.created(app, "/api/v1/maintenances", self.maintenance("scheduled"))
                            .await
                    }
                };
                return (format!("/status-page/{text}/{id}"), None);
            }
            (Method::GET, path) if site.location[0] == "query" => {
                let path = path
                    .replace("/offerings/{id}", &format!("/offerings/{}", self.offering))
                    .replace("/tenants/{id}", &format!("/tenants/{}", self.tenant));
                return (query(&path), None);
            }
            (method, path) => panic!(
                "no case for the enum at {method} {path} {:?}: add one",
                site.location
            ),
        };
        (
            site.path.clone(),
            Some(set(body, &site.location[1..], value, self)),
        )
    }
}

/// `body` with `value` at `location` (a scope kind brings the scope's other fields along; an
/// array element becomes the array's only element).
fn set(mut body: Value, location: &[String], value: &Value, fixture: &Fixture) -> Value {
    match location {
        [scope, kind] if scope == "scope" && kind == "kind" => {
            body["scope"] = fixture.scope(value.as_str().expect("kind"));
        }
        [field, all] if all == "[]" => body[field.as_str()] = json!([value]),
        [field, all, rest @ ..] if all == "[]" => {
            let mut first = body[field.as_str()][0].take();
            first = set(first, rest, value, fixture);
            body[field.as_str()] = json!([first]);
        }
        [field] => body[field.as_str()] = value.clone(),
        [field, rest @ ..] => {
            let inner = body[field.as_str()].take();
            body[field.as_str()] = set(inner, rest, value, fixture);
        }
        [] => unreachable!("a site has a location"),
    }
    body
}

/// Where an answer echoes a body's enum: the same location (arrays: any element).
fn echoes(answer: &Value, location: &[String], value: &Value) -> Option<bool> {
    match location {
        [] => Some(answer == value),
        [all, rest @ ..] if all == "[]" => {
            let items = answer.as_array()?;
            Some(
                items
                    .iter()
                    .any(|item| echoes(item, rest, value) == Some(true)),
            )
        }
        [field, rest @ ..] => echoes(answer.get(field.as_str())?, rest, value),
    }
}

#[tokio::test]
async fn every_enum_value_in_the_spec_is_accepted_where_the_spec_puts_it() {
    // Email on (nothing is sent: the mailer runs only when asked).
    let app = slr_tests::spawn_app_with(|s| {
        s.email.smtp_url = Some("smtp://127.0.0.1:9".to_owned());
        s.email.background = false;
    })
    .await;
    app.seed_demo();
    let fixture = Fixture::new(&app).await;
    let spec: Value = app
        .client
        .get(app.url("/api-docs/openapi.json"))
        .send()
        .await
        .expect("spec")
        .json()
        .await
        .expect("spec JSON");
    let sites = sites(&spec);
    assert!(
        sites.len() > 20,
        "the spec's enum sites were found: {}",
        sites.len()
    );
    let token = app.admin_token();
    for site in &sites {
        for value in &site.values {
            let (path, body) = fixture.request(&app, site, value).await;
            let response = app
                .request(site.method.clone(), &path, Some(&token), body.as_ref())
                .await;
            let status = response.status();
            let text = response.text().await.unwrap_or_default();
            assert!(
                status.is_success(),
                "{} {path} with {:?} = {value} answered {status}: {text}",
                site.method,
                site.location
            );
            if site.location[0] == "body"
                && site.location.get(1).is_some_and(|f| f != "impact_changes")
            {
                let answer: Value = serde_json::from_str(&text).expect("a JSON answer");
                if let Some(echoed) = echoes(&answer, &site.location[1..], value) {
                    assert!(
                        echoed,
                        "{} {path}: {value} did not come back: {text}",
                        site.method
                    );
                }
            }
        }
    }
}
