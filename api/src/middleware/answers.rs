//! Reads answered from memory. Every write to what reads show bumps one data version in the
//! writing transaction (database triggers); each replica's read model knows the version it
//! reflects. A GET's answer is kept per (caller's account and role, data version, path and query,
//! `Accept`) in a bounded cache: the same question at the same version is answered once, and
//! `If-None-Match` answers 304 from the same entry. After a write, this replica brings its model
//! up to date before it answers (read-your-writes); other replicas hear of it through the
//! watcher ([`crate::workers::watcher::watch`]). Which operations are cached, and per whom, each
//! operation declares in the spec (`http::routes`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use actix_web::body::{self, BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderMap, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::web::{self, Bytes};
use actix_web::{HttpMessage, HttpResponse};
use tokio::sync::Notify;

use crate::http::auth::{Callers, Resolved};
use crate::http::conditional::{hash, matches_any};
use crate::http::error::ApiError;
use crate::http::routes::Caching;
use crate::http::state::AppState;
use crate::workers::delivery::Outbox;

/// One cached answer: a 200 response to a GET, as the handler made it, and its gzip form, made
/// once with it. Both bodies are shared bytes: a hit hands them to the response as they are.
struct Answer {
    made: Instant,
    etag: HeaderValue,
    headers: HeaderMap,
    body: Bytes,
    gzip: Bytes,
}

/// Compresses an answer's body once, when the answer is made.
fn gzip(body: &[u8]) -> std::io::Result<Bytes> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(
        Vec::with_capacity(body.len() / 4 + 64),
        flate2::Compression::default(),
    );
    encoder.write_all(body)?;
    encoder.finish().map(Bytes::from)
}

/// Whether `Accept-Encoding` takes gzip (`gzip` or `*`, not with `q=0`).
fn accepts_gzip(req: &ServiceRequest) -> bool {
    let Some(accepted) = req
        .headers()
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    accepted.split(',').any(|coding| {
        let mut parts = coding.split(';').map(str::trim);
        let name = parts.next().unwrap_or_default();
        let refused = parts.any(|p| {
            p.strip_prefix("q=")
                .is_some_and(|q| q.parse::<f32>().is_ok_and(|q| q <= 0.0))
        });
        (name.eq_ignore_ascii_case("gzip") || name == "*") && !refused
    })
}

#[derive(Debug, Clone, Hash, PartialEq, Eq)]
struct AnswerKey {
    whose: Whose,
    version: i64,
    uri: String,
    accept: Option<HeaderValue>,
}

/// Whose answer it is. Every answer depends only on the caller's account (its scopes) and role
/// (admins may read the audit log), so contacts of one account with one role share answers;
/// `/me` names the contact itself.
#[derive(Debug, Clone, Hash, PartialEq, Eq)]
enum Whose {
    Contact(i64),
    Account(i64, &'static str),
}

/// The answer cache, bounded by the bytes it holds.
pub struct Answers {
    cache: moka::sync::Cache<AnswerKey, Arc<Answer>>,
    /// Answers also depend on the clock (running maintenance, availability up to now): one is
    /// fresh for this long even when no write came. After that, one request makes it again
    /// while the others still get it, for at most [`STALE_WHILE_REMAKING`].
    max_age: Duration,
    /// Keys whose answer one request is making; the others wait for it.
    making: Mutex<HashMap<AnswerKey, Arc<Notify>>>,
    /// `slr_answers_served_total` and `slr_answers_made_total`.
    served: prometheus::IntCounter,
    made: prometheus::IntCounter,
}

/// How long past `max_age` an answer may be given while it is being made again.
const STALE_WHILE_REMAKING: Duration = Duration::from_secs(5);

/// What a request does about a key's answer.
enum Turn {
    /// Serve this one.
    Serve(Arc<Answer>),
    /// Make it (the guard wakes those waiting when the request is done or dropped).
    Make(Option<Making>),
}

/// Held by the request making a key's answer.
struct Making {
    answers: web::Data<Answers>,
    key: AnswerKey,
}

impl Drop for Making {
    fn drop(&mut self) {
        let waiting = self
            .answers
            .making
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&self.key);
        if let Some(waiting) = waiting {
            waiting.notify_waiters();
        }
    }
}

impl Answers {
    pub fn new(max_bytes: u64, max_age: Duration) -> Result<Self, prometheus::Error> {
        let counter = |name: &str, help: &str| {
            prometheus::IntCounter::with_opts(prometheus::Opts::new(name, help).namespace("slr"))
        };
        Ok(Self {
            cache: moka::sync::Cache::builder()
                .max_capacity(max_bytes)
                .weigher(|key: &AnswerKey, answer: &Arc<Answer>| {
                    u32::try_from(key.uri.len() + answer.body.len() + answer.gzip.len() + 256)
                        .unwrap_or(u32::MAX)
                })
                .time_to_live(max_age + STALE_WHILE_REMAKING)
                .build(),
            max_age,
            making: Mutex::default(),
            served: counter(
                "answers_served_total",
                "GET answers given from the answer cache",
            )?,
            made: counter(
                "answers_made_total",
                "GET answers made and kept in the answer cache",
            )?,
        })
    }

    /// The cache's counters, for `/metrics`.
    pub fn counters(&self) -> [prometheus::IntCounter; 2] {
        [self.served.clone(), self.made.clone()]
    }

    /// A fresh answer; else a stale one while another request makes it again; else, when
    /// another request is making it, that one's answer (waiting once); else make it.
    async fn turn(this: &web::Data<Self>, key: &AnswerKey) -> Turn {
        let mut waited = false;
        loop {
            let cached = this.cache.get(key);
            if let Some(answer) = &cached {
                if answer.made.elapsed() < this.max_age {
                    return Turn::Serve(Arc::clone(answer));
                }
            }
            let notify;
            let mut wait = {
                let mut making = this.making.lock().unwrap_or_else(PoisonError::into_inner);
                let Some(being_made) = making.get(key).map(Arc::clone) else {
                    making.insert(key.clone(), Arc::default());
                    return Turn::Make(Some(Making {
                        answers: this.clone(),
                        key: key.clone(),
                    }));
                };
                match cached {
                    Some(stale) => return Turn::Serve(stale),
                    None if waited => return Turn::Make(None),
                    None => {}
                }
                notify = being_made;
                // Registered while the key is still being made (under the lock), so the
                // maker's wake-up, which comes after it removed the key, cannot be missed.
                let mut wait = Box::pin(notify.notified());
                wait.as_mut().enable();
                wait
            };
            wait.as_mut().await;
            waited = true;
        }
    }
}

/// Middleware: answers GETs of the API from the answer cache, tags every 200 GET with an `ETag`
/// (the handler's, or a hash of the body) and answers 304 when `If-None-Match` names it; after
/// any other request, brings the read model up to date so this replica's next GET sees the write.
pub async fn answer_from_memory<B>(
    answers: web::Data<Answers>,
    outbox: web::Data<Outbox>,
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error>
where
    B: MessageBody + 'static,
    B::Error: std::fmt::Debug,
{
    let Some(state) = AppState::of(req.request()).cloned() else {
        return Err(ApiError::internal("the application state is not configured").into());
    };
    let db = &state.db;
    if req.method() != Method::GET {
        let writes = req.method() != Method::OPTIONS && req.method() != Method::HEAD;
        let response = next.call(req).await?;
        // A refused write committed nothing. A failure to catch up only delays this replica's
        // view until the watcher's next turn.
        if writes && response.status().is_success() {
            let _ = db.catch_up().await;
            // The write may have put webhook deliveries in the outbox: send them now.
            outbox.wake();
        }
        return Ok(response.map_into_boxed_body());
    }
    let if_none_match = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let gzipped = accepts_gzip(&req);
    // Each operation declares its caching in the spec (see `http::routes`).
    let route = state.routes.find(req.method(), req.path());
    let caching = route.map_or(Caching::None, |route| route.caching);
    let key = match caching != Caching::None && !answers.max_age.is_zero() {
        true => {
            let feed_token = route.is_some_and(|route| route.feed_token);
            cache_key(&req, &state.callers, caching, feed_token, db.version()).await
        }
        false => None,
    };
    let mut making = None;
    if let Some(key) = &key {
        match Answers::turn(&answers, key).await {
            Turn::Serve(answer) => {
                answers.served.inc();
                let response = respond(&answer, if_none_match.as_deref(), gzipped);
                return Ok(req.into_response(response));
            }
            Turn::Make(guard) => making = guard,
        }
    }
    let response = next.call(req).await?;
    if response.status() != StatusCode::OK {
        return Ok(response.map_into_boxed_body());
    }
    let (request, response) = response.into_parts();
    let (head, payload) = response.into_parts();
    let bytes = body::to_bytes(payload)
        .await
        .map_err(|e| ApiError::internal(format!("reading a response body: {e:?}")))?;
    let etag = match head.headers().get(header::ETAG) {
        Some(etag) => etag.clone(),
        None => {
            HeaderValue::from_str(&format!("\"{}\"", hash(&bytes))).map_err(ApiError::internal)?
        }
    };
    let answer = Answer {
        made: Instant::now(),
        etag,
        headers: head.headers().clone(),
        gzip: gzip(&bytes).map_err(ApiError::internal)?,
        body: bytes,
    };
    let response = respond(&answer, if_none_match.as_deref(), gzipped);
    if let Some(key) = key {
        answers.made.inc();
        answers.cache.insert(key, Arc::new(answer));
    }
    drop(making);
    Ok(ServiceResponse::new(request, response))
}

/// The key of this GET's answer, when it has a caller (else the handler answers, e.g. 401).
async fn cache_key(
    req: &ServiceRequest,
    callers: &Callers,
    caching: Caching,
    feed_token: bool,
    version: i64,
) -> Option<AnswerKey> {
    // The route is looked up once per request: the caller is resolved on it.
    // The rate limiter may have resolved the caller already.
    let resolved = req.extensions().get::<Resolved>().map(|r| r.0.clone());
    let caller = match resolved {
        Some(caller) => caller,
        None => {
            let caller = callers.resolve_on(req.request(), feed_token).ok()?;
            // The handler's `Authenticated` takes it from here instead of resolving it again.
            req.extensions_mut().insert(Resolved(caller.clone()));
            caller
        }
    };
    let whose = match caching {
        Caching::PerContact => Whose::Contact(caller.contact_id.0),
        _ => Whose::Account(caller.account_id.0, caller.role.as_str()),
    };
    Some(AnswerKey {
        whose,
        version,
        uri: req.uri().to_string(),
        accept: req.headers().get(header::ACCEPT).cloned(),
    })
}

/// The answer (its stored gzip bytes when the client takes gzip), or 304 when the client
/// already has it. Both forms carry the same `ETag`: they are one representation's content.
fn respond(answer: &Answer, if_none_match: Option<&str>, gzipped: bool) -> HttpResponse<BoxBody> {
    let etag = answer.etag.to_str().unwrap_or_default();
    if if_none_match.is_some_and(|header| matches_any(header, etag)) {
        return HttpResponse::NotModified()
            .insert_header((header::ETAG, answer.etag.clone()))
            .insert_header((header::VARY, ACCEPT_ENCODING))
            .finish();
    }
    let mut response = HttpResponse::Ok();
    for (name, value) in &answer.headers {
        response.append_header((name.clone(), value.clone()));
    }
    response
        .insert_header((header::ETAG, answer.etag.clone()))
        .insert_header((header::VARY, ACCEPT_ENCODING));
    if gzipped {
        // Set, so the compression middleware passes the stored bytes on as they are.
        response.insert_header((header::CONTENT_ENCODING, "gzip"));
        response.body(answer.gzip.clone())
    } else {
        response.body(answer.body.clone())
    }
}

const ACCEPT_ENCODING: HeaderValue = HeaderValue::from_static("accept-encoding");
