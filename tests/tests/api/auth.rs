//! Token failures answer 401 problem+json with a Bearer challenge.

use base64::Engine;
use reqwest::{Method, StatusCode};
use slr_tests::{claims, problem, spawn_app, TestApp, ADMIN_EMAIL, AUDIENCE, ISSUER};

async fn rejected(app: &TestApp, token: &str, code: &str) {
    let response = app.get("/api/v1/me", token).await;
    let challenge = response
        .headers()
        .get("www-authenticate")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    assert!(
        challenge.is_some_and(|c| c.starts_with("Bearer")),
        "no Bearer challenge"
    );
    problem(response, StatusCode::UNAUTHORIZED, code).await;
}

#[tokio::test]
async fn a_valid_token_is_accepted() {
    let app = spawn_app().await;
    let me = app.get_ok("/api/v1/me", &app.admin_token()).await;
    assert_eq!(me["contact"]["email"], ADMIN_EMAIL);
}

#[tokio::test]
async fn missing_and_malformed_authorization_is_rejected() {
    let app = spawn_app().await;
    let response = app.request(Method::GET, "/api/v1/me", None, None).await;
    problem(response, StatusCode::UNAUTHORIZED, "missing_token").await;
    let response = app
        .client
        .get(app.url("/api/v1/tenants"))
        .header("Authorization", "Basic YTpi")
        .send()
        .await
        .unwrap();
    problem(response, StatusCode::UNAUTHORIZED, "invalid_token").await;
    rejected(&app, "not-a-jwt", "invalid_token").await;
}

#[tokio::test]
async fn expired_wrongly_signed_and_misaddressed_tokens_are_rejected() {
    let app = spawn_app().await;
    let id = app.contact_id(ADMIN_EMAIL).to_string();
    let key = app.secret.clone();
    rejected(
        &app,
        &app.token_with(&claims(&id, ISSUER, AUDIENCE, -600), key.as_bytes()),
        "token_expired",
    )
    .await;
    rejected(
        &app,
        &app.token_with(
            &claims(&id, ISSUER, AUDIENCE, 600),
            b"another-secret-of-enough-length!!",
        ),
        "invalid_token",
    )
    .await;
    rejected(
        &app,
        &app.token_with(&claims(&id, "someone-else", AUDIENCE, 600), key.as_bytes()),
        "invalid_token",
    )
    .await;
    rejected(
        &app,
        &app.token_with(&claims(&id, ISSUER, "another-api", 600), key.as_bytes()),
        "invalid_token",
    )
    .await;
    let mut not_yet = claims(&id, ISSUER, AUDIENCE, 7200);
    not_yet["nbf"] = serde_json::json!(jsonwebtoken::get_current_timestamp() + 3600);
    rejected(
        &app,
        &app.token_with(&not_yet, key.as_bytes()),
        "invalid_token",
    )
    .await;
    let mut no_sub = claims(&id, ISSUER, AUDIENCE, 600);
    no_sub.as_object_mut().unwrap().remove("sub");
    rejected(
        &app,
        &app.token_with(&no_sub, key.as_bytes()),
        "invalid_token",
    )
    .await;
}

#[tokio::test]
async fn unsigned_alg_none_tokens_are_rejected() {
    let app = spawn_app().await;
    let id = app.contact_id(ADMIN_EMAIL).to_string();
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let header = engine.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let body = engine.encode(claims(&id, ISSUER, AUDIENCE, 600).to_string());
    rejected(&app, &format!("{header}.{body}."), "invalid_token").await;
    // A valid HS256 token with its header swapped to alg none keeps its claims but fails too.
    let signed = app.admin_token();
    let parts: Vec<&str> = signed.split('.').collect();
    rejected(
        &app,
        &format!("{header}.{}.{}", parts[1], parts[2]),
        "invalid_token",
    )
    .await;
}

#[tokio::test]
async fn tokens_for_unknown_contacts_or_non_numeric_subjects_are_rejected() {
    let app = spawn_app().await;
    let key = app.secret.clone();
    rejected(
        &app,
        &app.token_with(&claims("999999", ISSUER, AUDIENCE, 600), key.as_bytes()),
        "unknown_contact",
    )
    .await;
    rejected(
        &app,
        &app.token_with(&claims("root", ISSUER, AUDIENCE, 600), key.as_bytes()),
        "invalid_token",
    )
    .await;
}
