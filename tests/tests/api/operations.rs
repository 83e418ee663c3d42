//! Liveness and readiness.

use reqwest::StatusCode;
use slr_tests::{json_with, spawn_app};

#[tokio::test]
async fn health_and_readiness_answer_without_a_token() {
    let app = spawn_app().await;
    for path in ["/healthz", "/readyz"] {
        let response = app.client.get(app.url(path)).send().await.unwrap();
        let body: serde_json::Value = json_with(response, StatusCode::OK).await;
        assert_eq!(body["status"], "ok", "{path}");
    }
}
