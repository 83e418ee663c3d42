//! Each persona's view of the directory (demo world: Northwind manages Globex and Initech,
//! Contoso manages Umbrella and Hooli, Stark is a direct customer).

use reqwest::StatusCode;
use serde_json::{json, Value};
use slr_tests::personas::{GLOBEX, NORTHWIND, NORTHWIND_AT_GLOBEX, STARK};
use slr_tests::{names, problem, spawn_app, TestApp};

async fn demo_app() -> TestApp {
    let app = spawn_app().await;
    app.seed_demo();
    app
}

async fn visible(app: &TestApp, collection: &str, email: &str) -> Vec<String> {
    names(
        &app.list_all(&format!("/api/v1/{collection}"), &app.token(email))
            .await,
    )
}

fn strings(items: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = items.iter().map(|s| s.to_string()).collect();
    v.sort();
    v
}

#[tokio::test]
async fn partner_sees_its_own_and_partner_tenants_offerings_but_not_its_customers_direct_ones() {
    let app = demo_app().await;
    assert_eq!(
        visible(&app, "offerings", NORTHWIND).await,
        strings(&[
            "Asset Management - Northwind Partners (Partner Tenants)",
            "Operations Bridge - Northwind Partners (Partner Tenants)",
            "Service Management Automation - Northwind Partners",
            "Service Management Automation - Northwind Partners (Partner Tenants)",
        ])
    );
    let globex_direct = app
        .id_of(
            "offerings",
            "name",
            "Service Management Automation - Globex",
        )
        .await;
    let response = app
        .get(
            &format!("/api/v1/offerings/{globex_direct}"),
            &app.token(NORTHWIND),
        )
        .await;
    problem(response, StatusCode::NOT_FOUND, "not_found").await;
}

#[tokio::test]
async fn partner_sees_its_customers_tenants_and_accounts_but_no_one_elses() {
    let app = demo_app().await;
    assert_eq!(
        visible(&app, "tenants", NORTHWIND).await,
        strings(&[
            "globex-analytics",
            "globex-assets",
            "globex-prod",
            "initech-monitoring",
            "initech-prod",
            "northwind-internal"
        ])
    );
    assert_eq!(
        visible(&app, "accounts", NORTHWIND).await,
        strings(&["Globex", "Initech", "Northwind Partners"])
    );
    let umbrella_tenant = app.id_of("tenants", "name", "umbrella-prod").await;
    let umbrella = app.id_of("accounts", "name", "Umbrella").await;
    let token = app.token(NORTHWIND);
    problem(
        app.get(&format!("/api/v1/tenants/{umbrella_tenant}"), &token)
            .await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    problem(
        app.get(&format!("/api/v1/accounts/{umbrella}"), &token)
            .await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    let globex_tenant = app.id_of("tenants", "name", "globex-prod").await;
    let tenant = app
        .get_ok(&format!("/api/v1/tenants/{globex_tenant}"), &token)
        .await;
    assert_eq!(tenant["name"], "globex-prod");
}

#[tokio::test]
async fn customer_sees_only_its_own_things() {
    let app = demo_app().await;
    assert_eq!(
        visible(&app, "tenants", GLOBEX).await,
        strings(&["globex-analytics", "globex-assets", "globex-prod"])
    );
    assert_eq!(
        visible(&app, "offerings", GLOBEX).await,
        strings(&[
            "Asset Management - Globex",
            "Service Management Automation - Globex"
        ])
    );
    assert_eq!(
        visible(&app, "accounts", GLOBEX).await,
        strings(&["Globex"])
    );
    let token = app.token(GLOBEX);
    for (collection, name) in [
        ("tenants", "initech-prod"),
        ("accounts", "Initech"),
        ("accounts", "Northwind Partners"),
    ] {
        let id = app.id_of(collection, "name", name).await;
        problem(
            app.get(&format!("/api/v1/{collection}/{id}"), &token).await,
            StatusCode::NOT_FOUND,
            "not_found",
        )
        .await;
    }
    let partner_tenants = app
        .id_of(
            "offerings",
            "name",
            "Service Management Automation - Northwind Partners (Partner Tenants)",
        )
        .await;
    problem(
        app.get(&format!("/api/v1/offerings/{partner_tenants}"), &token)
            .await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
}

#[tokio::test]
async fn partner_employee_logged_in_with_a_customer_contact_gets_the_customer_view_only() {
    let app = demo_app().await;
    for collection in ["tenants", "offerings", "accounts"] {
        assert_eq!(
            visible(&app, collection, NORTHWIND_AT_GLOBEX).await,
            visible(&app, collection, GLOBEX).await
        );
    }
    let initech = app.id_of("tenants", "name", "initech-prod").await;
    let response = app
        .get(
            &format!("/api/v1/tenants/{initech}"),
            &app.token(NORTHWIND_AT_GLOBEX),
        )
        .await;
    problem(response, StatusCode::NOT_FOUND, "not_found").await;
}

#[tokio::test]
async fn direct_customer_and_other_partner_are_isolated() {
    let app = demo_app().await;
    assert_eq!(
        visible(&app, "tenants", STARK).await,
        strings(&["stark-assets", "stark-prod"])
    );
    assert_eq!(
        visible(&app, "tenants", "dave@contoso.example").await,
        strings(&[
            "contoso-internal",
            "hooli-ops",
            "hooli-prod",
            "umbrella-assets",
            "umbrella-prod"
        ])
    );
    let contoso_offerings = visible(&app, "offerings", "dave@contoso.example").await;
    assert!(
        contoso_offerings
            .iter()
            .all(|name| name.contains("Contoso")),
        "{contoso_offerings:?}"
    );
}

#[tokio::test]
async fn provider_sees_everything_and_the_catalogue_is_shared() {
    let app = demo_app().await;
    let admin = app.admin_token();
    assert_eq!(app.list_all("/api/v1/tenants", &admin).await.len(), 13);
    assert_eq!(app.list_all("/api/v1/accounts", &admin).await.len(), 8);
    let offerings = app.list_all("/api/v1/offerings", &admin).await;
    assert_eq!(
        offerings
            .iter()
            .filter(|o| o["kind"] == "partner_tenants")
            .count(),
        6
    );
    let classifications = app
        .list_all("/api/v1/classifications", &app.token(GLOBEX))
        .await;
    let codes: Vec<&str> = classifications
        .iter()
        .filter_map(|c| c["code"].as_str())
        .collect();
    assert_eq!(codes, ["saas2-eu", "saas3-eu", "saas2-us", "saas3-us"]);
    assert_eq!(classifications[0]["label"], "SaaS 2 EU-hosted");
    assert_eq!(
        app.list_all("/api/v1/services", &app.token(STARK))
            .await
            .len(),
        3
    );
}

#[tokio::test]
async fn contacts_are_visible_only_inside_the_own_account_outside_the_provider() {
    let app = demo_app().await;
    let globex = app.id_of("accounts", "name", "Globex").await;
    let northwind = app.id_of("accounts", "name", "Northwind Partners").await;
    let partner = app.token(NORTHWIND);
    let own: Vec<Value> = app
        .list_all(&format!("/api/v1/accounts/{northwind}/contacts"), &partner)
        .await;
    assert_eq!(own.len(), 1);
    assert_eq!(own[0]["email"], NORTHWIND);
    let response = app
        .get(&format!("/api/v1/accounts/{globex}/contacts"), &partner)
        .await;
    problem(response, StatusCode::NOT_FOUND, "not_found").await;
    let carol = app.contact_id(GLOBEX);
    problem(
        app.get(&format!("/api/v1/contacts/{carol}"), &partner)
            .await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    let globex_contacts = app
        .list_all(
            &format!("/api/v1/accounts/{globex}/contacts"),
            &app.admin_token(),
        )
        .await;
    assert_eq!(globex_contacts.len(), 2);
}

#[tokio::test]
async fn me_names_the_caller_and_its_permissions() {
    let app = demo_app().await;
    let me = app
        .get_ok("/api/v1/me", &app.token(NORTHWIND_AT_GLOBEX))
        .await;
    assert_eq!(me["contact"]["email"], NORTHWIND_AT_GLOBEX);
    assert_eq!(me["account"]["name"], "Globex");
    assert_eq!(me["account"]["kind"], "customer");
    assert_eq!(me["can_write"], false);
    let me = app.get_ok("/api/v1/me", &app.admin_token()).await;
    assert_eq!(
        (me["account"]["kind"].as_str(), me["can_write"].as_bool()),
        (Some("provider"), Some(true))
    );
}

#[tokio::test]
async fn lists_page_with_a_cursor_without_gaps_or_repeats() {
    let app = demo_app().await;
    let admin = app.admin_token();
    let first = app.get_ok("/api/v1/tenants?limit=5", &admin).await;
    assert_eq!(first["items"].as_array().map(Vec::len), Some(5));
    assert!(first["next_cursor"].is_string());
    let paged = app.list_all("/api/v1/tenants?limit=5", &admin).await;
    let all = app.get_ok("/api/v1/tenants?limit=200", &admin).await;
    assert_eq!(&Value::Array(paged), &all["items"]);
    assert!(all["next_cursor"].is_null());
    let filtered = app
        .list_all(
            "/api/v1/offerings?kind=partner_tenants",
            &app.token(NORTHWIND),
        )
        .await;
    assert_eq!(filtered.len(), 3);
}

/// An admin cannot remove itself (its token would stop working mid-session), even while
/// another provider admin remains; that other admin may remove it.
#[tokio::test]
async fn admins_cannot_remove_themselves() {
    let app = demo_app().await;
    let admin = app.admin_token();
    let me = app.get_ok("/api/v1/me", &admin).await;
    let account = &me["account"]["id"];
    let second = app
        .create(
            &format!("/api/v1/accounts/{account}/contacts"),
            &json!({"email": "second@acme-cloud.example", "name": "Second", "role": "admin"}),
        )
        .await["id"]
        .clone();
    let own = format!("/api/v1/contacts/{}", me["contact"]["id"]);
    let refused = app.delete(&own, &admin).await;
    problem(refused, StatusCode::CONFLICT, "cannot_remove_self").await;
    assert_eq!(app.get_ok("/api/v1/me", &admin).await["can_write"], true);
    let second_token = app.token("second@acme-cloud.example");
    let removed = app.delete(&own, &second_token).await;
    assert_eq!(removed.status(), StatusCode::NO_CONTENT);
    let theirs = format!("/api/v1/contacts/{second}");
    problem(
        app.delete(&theirs, &second_token).await,
        StatusCode::CONFLICT,
        "cannot_remove_self",
    )
    .await;
}
