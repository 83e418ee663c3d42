//! Dependency arrows point one way: api → persistence → domain. The domain names no HTTP,
//! SQL, OpenAPI or JWT crate; persistence names no HTTP or OpenAPI crate.

use std::process::Command;

fn dependencies(package: &str) -> Vec<String> {
    let output = Command::new(env!("CARGO"))
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo metadata runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let metadata: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("metadata JSON");
    metadata["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .find(|p| p["name"] == package)
        .unwrap_or_else(|| panic!("package {package}"))["dependencies"]
        .as_array()
        .expect("dependencies")
        .iter()
        .filter(|d| d["kind"].is_null())
        .filter_map(|d| d["name"].as_str().map(str::to_owned))
        .collect()
}

const WEB: &[&str] = &[
    "actix-web",
    "actix-web-httpauth",
    "utoipa",
    "utoipa-actix-web",
    "utoipa-swagger-ui",
    "jsonwebtoken",
    "slr",
];
const SQL: &[&str] = &[
    "diesel",
    "diesel_migrations",
    "libsqlite3-sys",
    "pq-sys",
    "r2d2",
    "slr-persistence",
];

fn assert_free_of(package: &str, forbidden: &[&str]) {
    let deps = dependencies(package);
    for name in forbidden {
        assert!(
            !deps.iter().any(|d| d == name),
            "{package} must not depend on {name}: {deps:?}"
        );
    }
}

#[test]
fn domain_knows_no_http_sql_openapi_or_jwt() {
    assert_free_of("slr-domain", &[WEB, SQL].concat());
}

#[test]
fn persistence_knows_no_http_or_openapi() {
    assert_free_of("slr-persistence", WEB);
    assert!(dependencies("slr-persistence").contains(&"slr-domain".to_owned()));
}
