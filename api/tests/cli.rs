//! The one-shot commands exit cleanly every time (issue 9): a script or CI job must never see
//! a crash after the work is done, as it did when pool threads were still connecting while
//! libpq and OpenSSL cleaned up at exit. Runs against `SLR_TEST_DATABASE_URL`'s server when set
//! (a database of its own, dropped afterwards), else a SQLite file.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test: failing loudly is its job

use std::process::{Command, Output};

use diesel::{Connection, PgConnection, RunQueryDsl};

const RUNS: usize = 50;

/// A database for this test, dropped when it ends.
enum Database {
    Postgres { server: String, name: String },
    Sqlite(tempfile::TempDir),
}

impl Database {
    /// `tag` tells apart the databases of the tests of one process.
    fn create(tag: &str) -> Self {
        match std::env::var("SLR_TEST_DATABASE_URL") {
            Ok(url) if !url.trim().is_empty() => {
                let name = format!("slr_cli_{tag}_{}", std::process::id());
                let mut conn = PgConnection::establish(&url).expect("Postgres is reachable");
                diesel::sql_query(format!("DROP DATABASE IF EXISTS {name}"))
                    .execute(&mut conn)
                    .unwrap();
                diesel::sql_query(format!("CREATE DATABASE {name}"))
                    .execute(&mut conn)
                    .unwrap();
                Database::Postgres { server: url, name }
            }
            _ => Database::Sqlite(tempfile::tempdir().unwrap()),
        }
    }

    fn url(&self) -> String {
        match self {
            Database::Postgres { server, name } => {
                let (base, query) = server
                    .split_once('?')
                    .map_or((server.as_str(), None), |(b, q)| (b, Some(q)));
                let root = base.rsplit_once('/').map_or(base, |(root, _)| root);
                match query {
                    Some(query) => format!("{root}/{name}?{query}"),
                    None => format!("{root}/{name}"),
                }
            }
            Database::Sqlite(dir) => format!("sqlite://{}", dir.path().join("slr.db").display()),
        }
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        if let Database::Postgres { server, name } = self {
            if let Ok(mut conn) = PgConnection::establish(server) {
                let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&mut conn);
            }
        }
    }
}

fn slr(database: &str, args: &[&str]) -> Output {
    slr_with(database, args, &[])
}

fn slr_with(database: &str, args: &[&str], env: &[(&str, &str)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_slr"))
        .args(args)
        .env_clear()
        .envs(env.iter().copied())
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATABASE_URL", database)
        .env("SLR_JWT_SECRET", "cli-test-secret-cli-test-secret-cli-test")
        .env("RUST_LOG", "warn")
        .output()
        .expect("slr runs")
}

fn assert_clean(output: &Output, what: &str) {
    assert!(
        output.status.success(),
        "{what}: {:?}\nstdout: {}\nstderr: {}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn one_shot_commands_exit_cleanly_fifty_times_in_a_row() {
    let database = Database::create("oneshot");
    let url = database.url();
    for run in 0..RUNS {
        assert_clean(&slr(&url, &["migrate"]), &format!("migrate #{run}"));
        let email = format!("admin{run}@cli.example");
        assert_clean(
            &slr(
                &url,
                &["admin", "create", "--email", &email, "--name", "Admin"],
            ),
            &format!("admin create #{run}"),
        );
        let token = slr(&url, &["token", &email, "--ttl", "1h"]);
        assert_clean(&token, &format!("token #{run}"));
        assert_eq!(
            String::from_utf8_lossy(&token.stdout)
                .trim()
                .split('.')
                .count(),
            3,
            "token #{run} prints a JWT"
        );
    }
}

/// The `slr` arguments docker-compose.yml runs for `service` under `key` (a JSON-style list).
fn compose_args(service: &str, key: &str) -> Vec<String> {
    let compose = include_str!("../../docker-compose.yml");
    let block = compose
        .split(&format!("\n  {service}:\n"))
        .nth(1)
        .unwrap_or_else(|| panic!("no {service} service"));
    let line = block
        .lines()
        .find(|l| l.trim_start().starts_with(&format!("{key}:")))
        .unwrap_or_else(|| panic!("no {key} in {service}"));
    let list = line.split_once(':').unwrap().1.trim();
    let mut args: Vec<String> = serde_json::from_str(list).expect("a JSON-style list");
    if args.first().is_some_and(|a| a == "CMD") {
        args.remove(0);
    }
    if args.first().is_some_and(|a| a == "slr") {
        args.remove(0);
    }
    args
}

/// What docker-compose.yml runs exists and behaves: the one-shot `admin` service leaves a
/// provider admin on the first start and succeeds unchanged on every later one; the image's
/// and compose's healthcheck is `slr healthcheck` (exercised against a server in serve.rs).
#[test]
fn the_compose_admin_step_is_idempotent_and_its_commands_exist() {
    let database = Database::create("compose");
    let url = database.url();
    assert_clean(&slr(&url, &["migrate"]), "migrate");
    let admin = compose_args("admin", "command");
    assert_eq!(admin, ["admin", "create", "--if-missing"]);
    let args: Vec<&str> = admin.iter().map(String::as_str).collect();
    let env = [("SLR_ADMIN_EMAIL", "ops@compose.example")];
    let first = slr_with(&url, &args, &env);
    assert_clean(&first, "first start");
    assert!(String::from_utf8_lossy(&first.stdout).contains("created provider admin"));
    let again = slr_with(&url, &args, &env);
    assert_clean(&again, "second start");
    assert!(String::from_utf8_lossy(&again.stdout).contains("exists"));
    // Without --if-missing, a second create is the conflict it always was.
    assert!(!slr_with(&url, &["admin", "create"], &env).status.success());
    let token = slr(&url, &["token", "ops@compose.example"]);
    assert_clean(&token, "token for the compose admin");
    // The healthcheck command exists (the image's HEALTHCHECK runs the same).
    let health = compose_args("api", "test");
    assert_eq!(health, ["healthcheck"]);
    assert!(include_str!("../../Dockerfile").contains(r#"CMD ["slr", "healthcheck"]"#));
    assert!(include_str!("../../Dockerfile").contains("ca-certificates"));
}
