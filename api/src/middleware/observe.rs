//! Request ids, one access log line per request, panics answered as 500 problem+json, and the
//! log format (text or JSON lines, `SLR_LOG_FORMAT`): every line carries the request id of the
//! request it was written for.

use std::io::Write;
use std::panic::AssertUnwindSafe;
use std::time::Instant;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::ResponseError;
use futures_util::FutureExt;

use crate::http::error::{ApiError, ErrorCode};
use crate::http::request_id::{REQUEST_ID, TASK_REQUEST_ID};
use crate::http::state::AppState;

/// A client's id is kept when it is 1–128 visible ASCII characters; otherwise one is made.
fn accepted(value: &HeaderValue) -> Option<String> {
    let id = value.to_str().ok()?.trim();
    (!id.is_empty() && id.len() <= 128 && id.bytes().all(|b| b.is_ascii_graphic()))
        .then(|| id.to_owned())
}

fn echo_request_id(headers: &mut actix_web::http::header::HeaderMap, id: &str) {
    if let Ok(value) = HeaderValue::from_str(id) {
        headers.insert(HeaderName::from_static(REQUEST_ID), value);
    }
}

fn generated() -> String {
    hex::encode(rand::random::<[u8; 16]>())
}

/// Takes or makes the request id, runs the request with it (a panic becomes a 500
/// problem+json, logged with the id and the panic message), echoes it and logs one line.
pub async fn observe(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let id = req
        .headers()
        .get(REQUEST_ID)
        .and_then(accepted)
        .unwrap_or_else(generated);
    // The access line's fields, only when it is written (each costs a little on every request).
    let logged = log::log_enabled!(target: "slr::access", log::Level::Info);
    let method = req.method().clone();
    let route = match logged {
        true => AppState::of(req.request())
            .and_then(|state| state.routes.template(req.path()).map(str::to_owned))
            .unwrap_or_else(|| "(unmatched)".to_owned()),
        false => String::new(),
    };
    let started = Instant::now();
    let handled = crate::http::db::within_budget(AssertUnwindSafe(next.call(req)).catch_unwind());
    let outcome = TASK_REQUEST_ID.scope(id.clone(), handled).await;
    let mut response = match outcome {
        Ok(Ok(response)) => response.map_into_boxed_body(),
        Ok(Err(error)) => return Err(error),
        Err(panic) => {
            let message = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "(no message)".to_owned());
            TASK_REQUEST_ID.sync_scope(id.clone(), || {
                log::error!(
                    target: "slr::access",
                    method = method.as_str(), route = route.as_str(), status = 500u16;
                    "the handler panicked: {message}"
                );
            });
            // The request went into the panicking handler; the dispatcher answers this error.
            return Err(Panicked { request_id: id }.into());
        }
    };
    echo_request_id(response.headers_mut(), &id);
    let status = response.status().as_u16();
    let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
    if !logged {
        return Ok(response);
    }
    TASK_REQUEST_ID.sync_scope(id, || {
        log::info!(
            target: "slr::access",
            method = method.as_str(), route = route.as_str(), status = status, latency_ms = latency_ms;
            "{method} {route} {status} {latency_ms:.1}ms"
        );
    });
    Ok(response)
}

/// A request whose handler panicked: a generic 500 problem+json carrying the request id.
#[derive(Debug)]
struct Panicked {
    request_id: String,
}

impl std::fmt::Display for Panicked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "request {} panicked", self.request_id)
    }
}

impl ResponseError for Panicked {
    fn status_code(&self) -> actix_web::http::StatusCode {
        actix_web::http::StatusCode::INTERNAL_SERVER_ERROR
    }

    fn error_response(&self) -> actix_web::HttpResponse {
        let mut response = ApiError::new(
            ErrorCode::InternalError,
            "the server failed to handle the request",
        )
        .error_response();
        echo_request_id(response.headers_mut(), &self.request_id);
        response
    }
}

/// Collects a record's key-values as JSON fields.
struct Fields<'a>(&'a mut serde_json::Map<String, serde_json::Value>);

impl<'kvs> log::kv::VisitSource<'kvs> for Fields<'_> {
    fn visit_pair(
        &mut self,
        key: log::kv::Key<'kvs>,
        value: log::kv::Value<'kvs>,
    ) -> Result<(), log::kv::Error> {
        let number = value
            .to_u64()
            .map(serde_json::Number::from)
            .or_else(|| value.to_i64().map(serde_json::Number::from))
            .or_else(|| value.to_f64().and_then(serde_json::Number::from_f64));
        let value = number
            .map(serde_json::Value::Number)
            .unwrap_or_else(|| serde_json::Value::String(value.to_string()));
        self.0.insert(key.to_string(), value);
        Ok(())
    }
}

/// Installs env_logger (`RUST_LOG`, default `info`) with the request id on every line: plain
/// text, or with `SLR_LOG_FORMAT=json` one JSON object per line (`ts`, `level`, `target`,
/// `message`, `request_id`, and fields such as `method`, `route`, `status`, `latency_ms`).
pub fn init_logging() {
    let json = std::env::var("SLR_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json"));
    let mut builder =
        env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info"));
    builder.format(move |buf, record| {
        let request_id = crate::http::request_id::current_request_id();
        if json {
            let mut line = serde_json::Map::new();
            line.insert("ts".into(), buf.timestamp_micros().to_string().into());
            line.insert("level".into(), record.level().as_str().into());
            line.insert("target".into(), record.target().into());
            line.insert("message".into(), record.args().to_string().into());
            if let Some(id) = request_id {
                line.insert("request_id".into(), id.into());
            }
            let _ = record.key_values().visit(&mut Fields(&mut line));
            writeln!(buf, "{}", serde_json::Value::Object(line))
        } else {
            let id = request_id
                .map(|id| format!(" request_id={id}"))
                .unwrap_or_default();
            writeln!(
                buf,
                "[{} {} {}{id}] {}",
                buf.timestamp_micros(),
                record.level(),
                record.target(),
                record.args()
            )
        }
    });
    builder.init();
}

#[cfg(test)]
mod tests {
    use actix_web::{middleware, test, web, App, HttpResponse};

    use super::*;

    async fn panics() -> HttpResponse {
        panic!("boom")
    }

    async fn fine() -> HttpResponse {
        HttpResponse::Ok().body(crate::http::request_id::current_request_id().unwrap_or_default())
    }

    #[actix_web::test]
    async fn a_panic_answers_500_problem_json_with_the_request_id() {
        let app = test::init_service(
            App::new()
                .route("/boom", web::get().to(panics))
                .route("/fine", web::get().to(fine))
                .wrap(middleware::from_fn(observe)),
        )
        .await;
        // The server's dispatcher answers a service error with its response.
        let error =
            test::try_call_service(&app, test::TestRequest::get().uri("/boom").to_request())
                .await
                .expect_err("the panic becomes an error");
        let response = error.error_response();
        assert_eq!(response.status(), 500);
        let header = |headers: &actix_web::http::header::HeaderMap, name: &str| {
            headers
                .get(name)
                .map(|v| v.to_str().unwrap().to_owned())
                .unwrap_or_default()
        };
        assert_eq!(
            header(response.headers(), "content-type"),
            "application/problem+json"
        );
        assert_eq!(
            header(response.headers(), REQUEST_ID).len(),
            32,
            "a generated id"
        );
        let body = actix_web::body::to_bytes(response.into_body())
            .await
            .unwrap();
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(body["code"], "internal_error");
        // A client's id is kept, echoed, and known to the handler.
        let request = test::TestRequest::get()
            .uri("/fine")
            .insert_header((REQUEST_ID, "abc-123"))
            .to_request();
        let response = test::call_service(&app, request).await;
        assert_eq!(header(response.headers(), REQUEST_ID), "abc-123");
        assert_eq!(test::read_body(response).await, "abc-123");
        // One that is not a plain token is replaced.
        let request = test::TestRequest::get()
            .uri("/fine")
            .insert_header((REQUEST_ID, "has space"))
            .to_request();
        let response = test::call_service(&app, request).await;
        assert_ne!(header(response.headers(), REQUEST_ID), "has space");
    }
}
