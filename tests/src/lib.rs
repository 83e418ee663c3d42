//! Test harness for the end-to-end suite: `spawn_app()` starts the real server on a random
//! port against a brand-new database (a SQLite temp file, or a Postgres database cloned from a
//! migrated template when `SLR_TEST_DATABASE_URL` is set) and offers HTTP helpers and tokens.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test harness: failing loudly is its job

use std::sync::OnceLock;
use std::time::Duration;

use diesel::{Connection, PgConnection, RunQueryDsl};
use domain::{ContactId, ContactName, Email};
use persistence::{DatabaseTarget, DbConnection, Pool};
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde_json::Value;
use slr_api::settings::{JwtKey, JwtSettings, Secret};
use slr_api::{Application, Settings};

pub use slr_api::http::error::Problem;

pub const ISSUER: &str = "slr-test";
pub const AUDIENCE: &str = "slr-test-api";
pub const ADMIN_EMAIL: &str = "root@acme-cloud.example";
/// The one browser origin the test server allows.
pub const CORS_ORIGIN: &str = "https://status.example.com";

/// The demo personas' e-mails (`TestApp::seed_demo`): Northwind manages Globex and Initech,
/// Contoso manages Umbrella and Hooli, Stark is a direct customer.
pub mod smtp;

pub mod personas {
    pub const PROVIDER: &str = super::ADMIN_EMAIL;
    pub const NORTHWIND: &str = "alice@northwind.example";
    pub const CONTOSO: &str = "dave@contoso.example";
    pub const GLOBEX: &str = "carol@globex.example";
    /// A Northwind employee's contact inside Globex: Globex's view only.
    pub const NORTHWIND_AT_GLOBEX: &str = "northwind-support@globex.example";
    pub const INITECH: &str = "ian@initech.example";
    pub const UMBRELLA: &str = "uma@umbrella.example";
    pub const HOOLI: &str = "hank@hooli.example";
    pub const STARK: &str = "tony@stark.example";
    /// Every persona above.
    pub const ALL: [&str; 9] = [
        PROVIDER,
        NORTHWIND,
        CONTOSO,
        GLOBEX,
        NORTHWIND_AT_GLOBEX,
        INITECH,
        UMBRELLA,
        HOOLI,
        STARK,
    ];
}

/// Now plus `offset`, in RFC 3339.
pub fn at(offset: time::Duration) -> String {
    (time::OffsetDateTime::now_utc() + offset)
        .format(&time::format_description::well_known::Rfc3339)
        .expect("a time formats")
}

/// A running server and its private database.
pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub pool: Pool,
    pub secret: String,
    /// The server's read model: direct writes through [`TestApp::conn`] reach it at once, as
    /// its watcher would bring them a moment later.
    model: std::sync::Arc<persistence::model::ReadModel>,
    settings: Settings,
    /// Sends this server's due webhook deliveries on demand.
    deliverer: slr_api::workers::delivery::Deliverer,
    /// Sends this server's due email on demand.
    mailer: slr_api::workers::mail::Mailer,
    scheduler: slr_api::workers::schedule::Scheduler,
    _database: std::sync::Arc<TestDatabase>,
}

/// A connection to the app's database; when dropped, the app's read model takes in what was
/// written on it.
pub struct DirectConnection {
    conn: r2d2::PooledConnection<persistence::connection::ConnectionManager>,
    model: std::sync::Arc<persistence::model::ReadModel>,
}

impl std::ops::Deref for DirectConnection {
    type Target = DbConnection;
    fn deref(&self) -> &DbConnection {
        &self.conn
    }
}

impl std::ops::DerefMut for DirectConnection {
    fn deref_mut(&mut self) -> &mut DbConnection {
        &mut self.conn
    }
}

impl Drop for DirectConnection {
    fn drop(&mut self) {
        self.model
            .catch_up(&mut self.conn)
            .expect("the read model takes in a direct write");
    }
}

/// Starts the server against a fresh database with one provider admin (`ADMIN_EMAIL`).
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// [`spawn_app`] with settings changed by `configure` (e.g. a low rate limit).
pub async fn spawn_app_with(configure: impl FnOnce(&mut Settings)) -> TestApp {
    let database = TestDatabase::create();
    let secret = format!("test-secret-{}", random_suffix());
    let mut settings = Settings {
        database: database.target.clone(),
        embedded: false,
        bind: "127.0.0.1:0".parse().expect("valid address"),
        jwt: JwtSettings {
            key: JwtKey::Secret(Secret::new(secret.clone())),
            issuer: ISSUER.to_owned(),
            audience: AUDIENCE.to_owned(),
        },
        pool_size: 4,
        weights: Default::default(),
        cors_origins: vec![CORS_ORIGIN.to_owned()],
        idempotency_ttl: std::time::Duration::from_secs(24 * 3600),
        // Tests fire hundreds of requests a second with one token: far above any real limit.
        rate_limit: Some(slr_api::settings::RateLimit {
            per_second: 100_000,
            burst: 100_000,
        }),
        answer_max_age: std::time::Duration::from_secs(1),
        version_poll: std::time::Duration::from_millis(200),
        webhooks: Default::default(),
        changes_retention: slr_api::settings::CHANGES_RETENTION,
        // Tests take maintenance steps at instants they choose (`run_schedule_at`).
        maintenance: slr_api::settings::MaintenanceSettings {
            background: false,
            ..Default::default()
        },
        // Email off unless a test points it at its SMTP receiver (`smtp::Receiver`).
        email: slr_api::settings::EmailSettings::off("http://slr.test".to_owned()),
        trusted_proxies: Vec::new(),
        body_timeout: slr_api::http::extract::BODY_TIMEOUT,
        metrics_token: None,
        // Tests make many endpoints for one account: far above any real limit (the limits
        // test sets its own).
        limits: slr_api::settings::AccountLimits {
            webhooks: 10_000,
            email_subscriptions: 10_000,
        },
        statement_key: Some(Secret::new(slr_api::settings::new_statement_key())),
    };
    configure(&mut settings);
    let pool = slr_api::startup::open_database(&settings).expect("database opens and migrates");
    {
        let mut conn = pool.get().expect("connection");
        let email = Email::parse(ADMIN_EMAIL).expect("email");
        slr_api::demo::create_provider_admin(
            &mut conn,
            &email,
            &ContactName::parse("Root").expect("name"),
        )
        .expect("provider admin");
    }
    start(settings, pool, secret, std::sync::Arc::new(database))
}

/// Runs a server with these settings on `pool`'s database.
fn start(
    settings: Settings,
    pool: Pool,
    secret: String,
    database: std::sync::Arc<TestDatabase>,
) -> TestApp {
    let app = Application::build_with_pool(&settings, pool.clone()).expect("server builds");
    let address = format!("http://127.0.0.1:{}", app.port());
    let model = app.read_model();
    let deliverer = app.deliverer();
    let mailer = app.mailer();
    let scheduler = app.scheduler();
    tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client");
    TestApp {
        address,
        client,
        pool,
        secret,
        model,
        settings,
        deliverer,
        mailer,
        scheduler,
        _database: database,
    }
}

impl TestApp {
    /// A second server on this app's database, as another replica behind a load balancer: it
    /// has its own pool, caches and watcher, and learns of this app's writes only through the
    /// database.
    pub fn replica(&self) -> TestApp {
        self.replica_with(|_| {})
    }

    /// [`TestApp::replica`] with settings changed by `configure`: the same database served by
    /// a server configured differently (e.g. after an operator changed a setting).
    pub fn replica_with(&self, configure: impl FnOnce(&mut Settings)) -> TestApp {
        let mut settings = self.settings.clone();
        configure(&mut settings);
        let pool = slr_api::startup::open_database(&settings).expect("database opens and migrates");
        start(
            settings,
            pool,
            self.secret.clone(),
            std::sync::Arc::clone(&self._database),
        )
    }

    /// Whether the app runs on Postgres (else on a SQLite file).
    /// Sends the webhook deliveries due now and returns how many it claimed: a test drains the
    /// outbox instead of waiting for the worker's next turn.
    /// Takes the maintenance steps due at `now` (reminders, automatic starts and completions),
    /// as the scheduler would then; how many it took.
    pub async fn run_schedule_at(&self, now: time::OffsetDateTime) -> usize {
        self.scheduler
            .run_due_at(now)
            .await
            .expect("the schedule runs")
    }

    pub async fn deliver_due(&self) -> usize {
        self.deliverer.deliver_due().await.expect("deliveries run")
    }

    /// Sends the email due now and returns how many messages it claimed.
    pub async fn send_mail_due(&self) -> usize {
        self.mailer.send_due().await.expect("the mailer runs")
    }

    pub fn is_postgres(&self) -> bool {
        self._database.postgres.is_some()
    }

    /// Postgres only: terminates the connections of this database whose `application_name` is
    /// `name`; `false` on SQLite.
    pub fn terminate_connections(&self, name: &str) -> bool {
        let Some((server, database)) = &self._database.postgres else {
            return false;
        };
        let mut conn = PgConnection::establish(server).expect("Postgres server reachable");
        diesel::sql_query(format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = '{database}' AND application_name = '{name}'"
        ))
        .execute(&mut conn)
        .expect("terminate connections");
        true
    }

    /// Postgres only: makes the app's database refuse new connections and drops the open ones
    /// (an outage), or lets it accept connections again. `false` on SQLite, an embedded file
    /// that has no outage to simulate.
    pub fn set_database_reachable(&self, reachable: bool) -> bool {
        let Some((server, name)) = &self._database.postgres else {
            return false;
        };
        let mut conn = PgConnection::establish(server).expect("Postgres server reachable");
        diesel::sql_query(format!(
            "ALTER DATABASE {name} WITH ALLOW_CONNECTIONS {reachable}"
        ))
        .execute(&mut conn)
        .expect("toggle connections");
        if !reachable {
            diesel::sql_query(format!(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"
            ))
            .execute(&mut conn)
            .expect("drop open connections");
        }
        true
    }

    pub fn conn(&self) -> DirectConnection {
        DirectConnection {
            conn: self.pool.get().expect("connection"),
            model: std::sync::Arc::clone(&self.model),
        }
    }

    /// Seeds the demo directory (provider, partners Northwind and Contoso, customers, tenants,
    /// offerings), without events.
    pub fn seed_demo(&self) {
        let mut conn = self.conn();
        slr_api::demo::seed_directory(&mut conn).expect("demo seeds");
    }

    /// Seeds the whole demo dataset, events included.
    pub fn seed_demo_with_events(&self) {
        let mut conn = self.conn();
        slr_api::demo::seed(&mut conn).expect("demo seeds");
    }

    /// The id of the contact with this e-mail.
    pub fn contact_id(&self, email: &str) -> ContactId {
        let mut conn = self.conn();
        let email = Email::parse(email).expect("email");
        persistence::repo::contacts::find_by_email(&mut conn, &email)
            .expect("contact exists")
            .item
            .id
    }

    /// A valid token for the contact with this e-mail.
    pub fn token(&self, email: &str) -> String {
        let id = self.contact_id(email);
        self.token_with(
            &claims(&id.to_string(), ISSUER, AUDIENCE, 3600),
            self.secret.as_bytes(),
        )
    }

    pub fn admin_token(&self) -> String {
        self.token(ADMIN_EMAIL)
    }

    /// Signs arbitrary claims with HS256 and `key`.
    pub fn token_with(&self, claims: &Value, key: &[u8]) -> String {
        jsonwebtoken::encode(
            &jsonwebtoken::Header::default(),
            claims,
            &jsonwebtoken::EncodingKey::from_secret(key),
        )
        .expect("token encodes")
    }

    /// The Prometheus text at `/metrics`.
    pub async fn metrics(&self) -> String {
        self.client
            .get(self.url("/metrics"))
            .send()
            .await
            .expect("metrics answer")
            .text()
            .await
            .expect("metrics text")
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// Sends a request with an optional bearer token and JSON body.
    pub async fn request(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> reqwest::Response {
        let mut request = self.client.request(method, self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        request.send().await.expect("request is sent")
    }

    pub async fn get(&self, path: &str, token: &str) -> reqwest::Response {
        self.request(Method::GET, path, Some(token), None).await
    }

    /// GET that must answer 200; returns the JSON body.
    pub async fn get_ok(&self, path: &str, token: &str) -> Value {
        json_with(self.get(path, token).await, StatusCode::OK).await
    }

    pub async fn post(&self, path: &str, token: &str, body: &Value) -> reqwest::Response {
        self.request(Method::POST, path, Some(token), Some(body))
            .await
    }

    pub async fn patch(&self, path: &str, token: &str, body: &Value) -> reqwest::Response {
        self.request(Method::PATCH, path, Some(token), Some(body))
            .await
    }

    pub async fn delete(&self, path: &str, token: &str) -> reqwest::Response {
        self.request(Method::DELETE, path, Some(token), None).await
    }

    /// POST as the provider admin that must answer 201; returns the created resource.
    pub async fn create(&self, path: &str, body: &Value) -> Value {
        json_with(
            self.post(path, &self.admin_token(), body).await,
            StatusCode::CREATED,
        )
        .await
    }

    /// Every item of a list, following `next_cursor`.
    pub async fn list_all(&self, path: &str, token: &str) -> Vec<Value> {
        let mut items = Vec::new();
        let separator = if path.contains('?') { '&' } else { '?' };
        let mut next: Option<String> = None;
        loop {
            let url = match &next {
                Some(cursor) => format!("{path}{separator}cursor={cursor}"),
                None => path.to_owned(),
            };
            let page = self.get_ok(&url, token).await;
            items.extend(
                page["items"]
                    .as_array()
                    .expect("items array")
                    .iter()
                    .cloned(),
            );
            match page["next_cursor"].as_str() {
                Some(cursor) => next = Some(cursor.to_owned()),
                None => return items,
            }
        }
    }

    /// The ids the demo directory's tests name: Service Management Automation and the
    /// classifications by code.
    pub async fn demo_ids(&self) -> DemoIds {
        let sma = self
            .id_of("services", "name", "Service Management Automation")
            .await;
        let mut class = std::collections::BTreeMap::new();
        for code in ["saas2-eu", "saas3-eu", "saas2-us", "saas3-us"] {
            class.insert(code, self.id_of("classifications", "code", code).await);
        }
        DemoIds { sma, class }
    }

    /// Opens an incident on Service Management Automation over one classification (as the
    /// provider admin), with the first update "{title}: investigating."; its id.
    pub async fn classified_incident(
        &self,
        ids: &DemoIds,
        title: &str,
        impact: &str,
        class: &str,
    ) -> i64 {
        let body = serde_json::json!({
            "service_id": ids.sma, "title": title, "impact": impact,
            "scope": {"kind": "classifications", "classification_ids": [ids.class[class]]},
            "message": format!("{title}: investigating."),
        });
        self.create("/api/v1/incidents", &body).await["id"]
            .as_i64()
            .expect("incident id")
    }

    /// Resolves incident `id` with the update "Fixed." (as the provider admin).
    pub async fn resolve(&self, id: i64) {
        let resolved = self
            .post(
                &format!("/api/v1/incidents/{id}/updates"),
                &self.admin_token(),
                &serde_json::json!({"status": "resolved", "message": "Fixed."}),
            )
            .await;
        assert_eq!(
            resolved.status(),
            StatusCode::CREATED,
            "incident {id} resolves"
        );
    }

    /// Schedules a two-hour downtime window on Service Management Automation over one
    /// classification, `days_ahead` from now (as the provider admin); the window.
    pub async fn classified_maintenance(
        &self,
        ids: &DemoIds,
        title: &str,
        class: &str,
        days_ahead: i64,
    ) -> Value {
        let start = time::Duration::days(days_ahead);
        let body = serde_json::json!({
            "service_id": ids.sma, "title": title, "description": "Planned work.",
            "expected_impact": "downtime",
            "scheduled_start": at(start), "scheduled_end": at(start + time::Duration::hours(2)),
            "classification_ids": [ids.class[class]],
        });
        self.create("/api/v1/maintenances", &body).await
    }

    /// The id of the listed item whose `field` equals `value`, as the provider sees it.
    pub async fn id_of(&self, collection: &str, field: &str, value: &str) -> i64 {
        self.list_all(
            &format!("/api/v1/{collection}?limit=200"),
            &self.admin_token(),
        )
        .await
        .into_iter()
        .find(|item| item[field] == value)
        .and_then(|item| item["id"].as_i64())
        .unwrap_or_else(|| panic!("no {collection} with {field} = {value}"))
    }
}

/// See [`TestApp::demo_ids`].
pub struct DemoIds {
    pub sma: i64,
    pub class: std::collections::BTreeMap<&'static str, i64>,
}

/// Runs the futures concurrently (on this task) and collects their outputs in order: parallel
/// requests without another dependency.
pub async fn join_all<F: std::future::Future>(futures: impl Iterator<Item = F>) -> Vec<F::Output> {
    let mut pinned: Vec<std::pin::Pin<Box<F>>> = futures.map(Box::pin).collect();
    let mut outputs: Vec<Option<F::Output>> = pinned.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (future, output) in pinned.iter_mut().zip(outputs.iter_mut()) {
            if output.is_none() {
                match future.as_mut().poll(cx) {
                    std::task::Poll::Ready(value) => *output = Some(value),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    outputs.into_iter().map(|o| o.unwrap()).collect()
}

/// Registered claims valid for `ttl` seconds (negative: already expired).
pub fn claims(sub: &str, iss: &str, aud: &str, ttl: i64) -> Value {
    let now = i64::try_from(jsonwebtoken::get_current_timestamp()).expect("timestamp");
    serde_json::json!({ "sub": sub, "iss": iss, "aud": aud, "iat": now, "nbf": now - 5, "exp": now + ttl })
}

/// Asserts the status and parses the JSON body.
pub async fn json_with<T: DeserializeOwned>(response: reqwest::Response, status: StatusCode) -> T {
    let actual = response.status();
    let text = response.text().await.expect("body");
    assert_eq!(actual, status, "unexpected status; body: {text}");
    serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("body is not the expected JSON ({e}): {text}"))
}

/// Asserts an `application/problem+json` answer with this status and code.
pub async fn problem(response: reqwest::Response, status: StatusCode, code: &str) -> Problem {
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    assert_eq!(
        content_type.as_deref(),
        Some("application/problem+json"),
        "status {}",
        response.status()
    );
    let problem: Problem = json_with(response, status).await;
    assert_eq!(problem.code, code, "{problem:?}");
    assert_eq!(problem.status, status.as_u16());
    problem
}

/// Asserts a problem with this status and code; returns the field its first error names.
pub async fn problem_field(response: reqwest::Response, status: StatusCode, code: &str) -> String {
    let problem = problem(response, status, code).await;
    problem
        .errors
        .first()
        .map(|e| e.field.clone())
        .unwrap_or_else(|| panic!("no field errors in {problem:?}"))
}

/// Names of the listed items, sorted.
pub fn names(items: &[Value]) -> Vec<String> {
    let mut names: Vec<String> = items
        .iter()
        .filter_map(|i| i["name"].as_str().map(str::to_owned))
        .collect();
    names.sort();
    names
}

fn random_suffix() -> String {
    format!("{:016x}", rand::random::<u64>())
}

/// A database owned by one test; dropped with it.
struct TestDatabase {
    target: DatabaseTarget,
    postgres: Option<(String, String)>,
    _dir: Option<tempfile::TempDir>,
}

impl TestDatabase {
    fn create() -> Self {
        match std::env::var("SLR_TEST_DATABASE_URL")
            .ok()
            .filter(|v| !v.is_empty())
        {
            None => {
                let dir = tempfile::tempdir().expect("temp dir");
                let path = dir.path().join("slr.db").to_string_lossy().into_owned();
                TestDatabase {
                    target: DatabaseTarget::Sqlite(path),
                    postgres: None,
                    _dir: Some(dir),
                }
            }
            Some(server) => {
                let template = postgres_template(&server);
                let name = format!("slr_test_{}", random_suffix());
                let mut admin = PgConnection::establish(&server)
                    .expect("SLR_TEST_DATABASE_URL: Postgres reachable");
                diesel::sql_query(format!("CREATE DATABASE {name} TEMPLATE {template}"))
                    .execute(&mut admin)
                    .expect("test database is created from the template");
                TestDatabase {
                    target: DatabaseTarget::Postgres(with_database(&server, &name)),
                    postgres: Some((server, name)),
                    _dir: None,
                }
            }
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Some((server, name)) = &self.postgres {
            if let Ok(mut admin) = PgConnection::establish(server) {
                let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&mut admin);
            }
        }
    }
}

/// The URL of database `name` on the server of `url`.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let server = match base[scheme_end..].find('/') {
        Some(slash) => &base[..scheme_end + slash],
        None => base,
    };
    match query {
        Some(query) => format!("{server}/{name}?{query}"),
        None => format!("{server}/{name}"),
    }
}

/// A hash of the Postgres migrations' names and text: a template is rebuilt when either changes.
fn migrations_fingerprint() -> String {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../migrations/postgres");
    let mut files: Vec<std::path::PathBuf> = std::fs::read_dir(&dir)
        .expect("the migrations directory")
        .filter_map(|entry| Some(entry.ok()?.path().join("up.sql")))
        .collect();
    files.sort();
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for file in files {
        let text = std::fs::read(&file).unwrap_or_default();
        for byte in file.to_string_lossy().bytes().chain(text) {
            hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{hash:016x}")
}

/// A migrated template database named after the migrations, built once per server: under an
/// advisory lock, migrated under a temporary name and renamed, so no test ever clones a
/// half-migrated template.
fn postgres_template(server: &str) -> String {
    static TEMPLATE: OnceLock<String> = OnceLock::new();
    TEMPLATE
        .get_or_init(|| {
            let name = format!("slr_template_{}", migrations_fingerprint());
            let mut admin = PgConnection::establish(server).unwrap_or_else(|e| {
                panic!("SLR_TEST_DATABASE_URL={server}: Postgres is not reachable: {e}")
            });
            diesel::sql_query("SELECT pg_advisory_lock(7420001)")
                .execute(&mut admin)
                .expect("lock");
            #[derive(diesel::QueryableByName)]
            struct Found {
                #[diesel(sql_type = diesel::sql_types::BigInt)]
                n: i64,
            }
            let found: Found = diesel::sql_query(format!(
                "SELECT count(*) AS n FROM pg_database WHERE datname = '{name}'"
            ))
            .get_result(&mut admin)
            .expect("catalog query");
            if found.n == 0 {
                let building = format!("{name}_build_{}", random_suffix());
                diesel::sql_query(format!("CREATE DATABASE {building}"))
                    .execute(&mut admin)
                    .expect("create template");
                {
                    let target = DatabaseTarget::Postgres(with_database(server, &building));
                    let pool = persistence::connect(target, 1).expect("template reachable");
                    let mut conn = pool.get().expect("connection");
                    persistence::run_migrations(&mut conn).expect("template migrates");
                }
                diesel::sql_query(format!("ALTER DATABASE {building} RENAME TO {name}"))
                    .execute(&mut admin)
                    .expect("rename template");
            }
            diesel::sql_query("SELECT pg_advisory_unlock(7420001)")
                .execute(&mut admin)
                .expect("unlock");
            name
        })
        .clone()
}

/// Runs `work` on a raw connection to the test database.
pub fn with_conn<T>(app: &TestApp, work: impl FnOnce(&mut DbConnection) -> T) -> T {
    let mut conn = app.conn();
    work(&mut conn)
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn database_urls_are_rewritten() {
        assert_eq!(
            with_database("postgres://u@h:5432/postgres", "x"),
            "postgres://u@h:5432/x"
        );
        assert_eq!(
            with_database("postgres://u@h:5432", "x"),
            "postgres://u@h:5432/x"
        );
        assert_eq!(
            with_database("postgres://u@h/db?sslmode=disable", "x"),
            "postgres://u@h/x?sslmode=disable"
        );
    }
}
