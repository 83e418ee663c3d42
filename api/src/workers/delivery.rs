//! The webhook delivery worker: every replica runs one. It claims due deliveries from the
//! outbox (each for a lease, so no other replica sends it meanwhile; `FOR UPDATE SKIP LOCKED`
//! on Postgres), signs them per the Standard Webhooks spec with the endpoint's secret(s), POSTs
//! them with a timeout and records the attempt: delivered, retried later with exponential
//! backoff and jitter, or given up after `give_up_after`. An endpoint failing `disable_after`
//! times in a row is disabled.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, Sender};
use std::sync::Arc;
use std::time::{Duration, Instant};

use persistence::repo::webhooks::{self, Claimed, Outcome};
use persistence::{DatabaseTarget, DbConnection, RepoResult};
use rand::Rng;
use time::OffsetDateTime;

use crate::settings::WebhookSettings;
use crate::workers::Worker;

/// Deliveries claimed per turn (sent concurrently).
const BATCH: i64 = 16;
/// Delivered and failed deliveries are kept this long (for `GET …/deliveries`), then purged.
const KEEP: time::Duration = time::Duration::days(30);
/// How often each worker purges them.
const PURGE_EVERY: Duration = Duration::from_secs(3600);

/// The worker's counters on `/metrics`.
#[derive(Clone)]
pub struct Counters {
    /// `slr_webhook_deliveries_delivered_total`: attempts a receiver accepted (2xx).
    delivered: prometheus::IntCounter,
    /// `slr_webhook_attempts_failed_total`: attempts that failed (non-2xx, timeout, no connection).
    failed: prometheus::IntCounter,
    /// `slr_webhook_deliveries_given_up_total`: deliveries marked `failed` after their last retry.
    given_up: prometheus::IntCounter,
}

impl Counters {
    pub fn new() -> Result<Self, prometheus::Error> {
        let counter = |name: &str, help: &str| {
            prometheus::IntCounter::with_opts(prometheus::Opts::new(name, help).namespace("slr"))
        };
        Ok(Self {
            delivered: counter(
                "webhook_deliveries_delivered_total",
                "Webhook deliveries a receiver accepted (2xx)",
            )?,
            failed: counter(
                "webhook_attempts_failed_total",
                "Webhook delivery attempts that failed (non-2xx, timeout, no connection)",
            )?,
            given_up: counter(
                "webhook_deliveries_given_up_total",
                "Webhook deliveries marked failed after their last retry",
            )?,
        })
    }

    /// For `/metrics`.
    pub fn all(&self) -> [prometheus::IntCounter; 3] {
        [
            self.delivered.clone(),
            self.failed.clone(),
            self.given_up.clone(),
        ]
    }

    fn count(&self, outcome: &Outcome) {
        if outcome.succeeded {
            self.delivered.inc();
        } else {
            self.failed.inc();
            if outcome.retry_at.is_none() {
                self.given_up.inc();
            }
        }
    }
}

/// Wakes the replica's outbox workers — webhook deliveries and email — after a write that may
/// have put messages in the outbox.
#[derive(Clone)]
pub struct Outbox(Vec<Sender<()>>);

impl Outbox {
    pub fn wake(&self) {
        for bell in &self.0 {
            let _ = bell.send(());
        }
    }
}

/// One worker's bell: what wakes it, and what it waits on.
pub struct Bell {
    pub ring: Sender<()>,
    pub woken: Receiver<()>,
}

impl Bell {
    pub fn new() -> Self {
        let (ring, woken) = std::sync::mpsc::channel::<()>();
        Self { ring, woken }
    }
}

impl Default for Bell {
    fn default() -> Self {
        Self::new()
    }
}

/// What sends deliveries: the background worker runs it in a loop ([`start`]); tests and tools
/// run it on demand ([`Deliverer::deliver_due`]). Claims are leases, so both may run at once
/// and still send each delivery once.
#[derive(Clone)]
pub struct Deliverer {
    target: DatabaseTarget,
    settings: WebhookSettings,
    counters: Counters,
    client: reqwest::Client,
    /// This worker's name on its claims.
    worker: String,
}

impl Deliverer {
    pub fn new(
        target: DatabaseTarget,
        settings: WebhookSettings,
        counters: Counters,
    ) -> reqwest::Result<Self> {
        Ok(Self {
            client: client(&settings)?,
            target,
            settings,
            counters,
            worker: crate::workers::worker_name(),
        })
    }

    /// Sends every delivery due now, turn after turn until none is left (a burst of events is
    /// sent without waiting for the poll); how many were claimed. Blocks: run it on a thread of
    /// its own.
    fn drain(
        &self,
        conn: &mut DbConnection,
        runtime: &tokio::runtime::Runtime,
        stop: &AtomicBool,
    ) -> RepoResult<usize> {
        let mut claimed = 0;
        loop {
            match turn(
                conn,
                runtime,
                &self.client,
                &self.worker,
                &self.settings,
                &self.counters,
            )? {
                0 => return Ok(claimed),
                n => claimed += n,
            }
            if stop.load(Ordering::Acquire) {
                return Ok(claimed);
            }
        }
    }

    /// One turn on demand, on a blocking thread with its own connection: sends what is due
    /// now and returns how many deliveries it claimed (0 when another worker had them).
    pub async fn deliver_due(&self) -> RepoResult<usize> {
        let this = self.clone();
        tokio::task::spawn_blocking(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| persistence::RepoError::Unavailable(e.to_string()))?;
            let mut conn = persistence::connect_one(this.target.clone())?;
            this.drain(&mut conn, &runtime, &AtomicBool::new(false))
        })
        .await
        .map_err(|e| persistence::RepoError::Unavailable(e.to_string()))?
    }
}

/// Starts the background worker, woken by `bell`; it stops when the returned handle is dropped.
pub fn start(deliverer: Deliverer, bell: Bell) -> Worker {
    Worker::spawn("slr-webhooks", bell.ring.clone(), move |stop| {
        run(&deliverer, &bell.woken, &stop);
    })
}

/// The outbox ringing these workers' bells.
pub fn outbox(bells: &[&Bell]) -> Outbox {
    Outbox(bells.iter().map(|b| b.ring.clone()).collect())
}

fn run(deliverer: &Deliverer, woken: &Receiver<()>, stop: &AtomicBool) {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            log::error!("webhook deliveries are off: cannot start their runtime: {error}");
            return;
        }
    };
    run_outbox(
        "webhook deliveries",
        &deliverer.target,
        deliverer.settings.poll,
        woken,
        stop,
        |conn| deliverer.drain(conn, &runtime, stop),
        webhooks::purge_finished,
    );
}

/// The loop of an outbox worker (webhook deliveries, email): waits for its bell or `poll`
/// (backing off while the database is away), sends what is due with `drain`, and hourly purges
/// finished rows older than [`KEEP`] with `purge`. Returns once `stop` is set.
pub(crate) fn run_outbox(
    what: &str,
    target: &DatabaseTarget,
    poll: Duration,
    woken: &Receiver<()>,
    stop: &AtomicBool,
    mut drain: impl FnMut(&mut DbConnection) -> RepoResult<usize>,
    purge: impl Fn(&mut DbConnection, OffsetDateTime) -> RepoResult<usize>,
) {
    let mut conn: Option<DbConnection> = None;
    let mut failures: u32 = 0;
    let mut purged: Option<Instant> = None;
    loop {
        let _ = woken.recv_timeout(poll * 2u32.pow(failures.min(4)));
        if stop.load(Ordering::Acquire) {
            return;
        }
        if conn.is_none() {
            conn = persistence::connect_one(target.clone())
                .map_err(|error| log::debug!("{what}: cannot connect: {error}"))
                .ok();
        }
        let Some(open) = conn.as_mut() else {
            failures = failures.saturating_add(1);
            continue;
        };
        let turned = drain(open).map(|_| ());
        if stop.load(Ordering::Acquire) {
            return;
        }
        if turned.is_ok() && purged.is_none_or(|at| at.elapsed() > PURGE_EVERY) {
            purged = Some(Instant::now());
            if let Err(error) = purge(open, OffsetDateTime::now_utc() - KEEP) {
                log::warn!("{what}: cannot purge old rows: {error}");
            }
        }
        match turned {
            Ok(()) => failures = 0,
            Err(error) => {
                if failures == 0 {
                    log::warn!("{what} paused: {error}");
                }
                failures = failures.saturating_add(1);
                conn = None;
            }
        }
    }
}

/// Claims, sends and records one batch; returns how many were claimed.
fn turn(
    conn: &mut DbConnection,
    runtime: &tokio::runtime::Runtime,
    client: &reqwest::Client,
    worker: &str,
    settings: &WebhookSettings,
    counters: &Counters,
) -> RepoResult<usize> {
    let now = OffsetDateTime::now_utc();
    let lease = settings.timeout + Duration::from_secs(60);
    let claimed = persistence::repo::side_transaction(conn, |conn| {
        webhooks::claim(conn, worker, now, now + lease, BATCH)
    })?;
    if claimed.is_empty() {
        return Ok(0);
    }
    let outcomes = runtime.block_on(futures_util::future::join_all(
        claimed.iter().map(|c| send(client, c, settings)),
    ));
    let disable_after = i32::try_from(settings.disable_after).unwrap_or(i32::MAX);
    for (claim, outcome) in claimed.iter().zip(&outcomes) {
        let recorded = persistence::repo::side_transaction(conn, |conn| {
            webhooks::record_attempt(conn, worker, claim, outcome, disable_after)
        })?;
        if recorded {
            counters.count(outcome);
        } else {
            log::warn!(
                "delivery {} was taken over by another worker before its attempt was recorded",
                claim.delivery.id
            );
        }
    }
    Ok(claimed.len())
}

/// Signs and POSTs one delivery; what came of it, and when to try again after a failure.
async fn send(client: &reqwest::Client, claimed: &Claimed, settings: &WebhookSettings) -> Outcome {
    let attempted_at = OffsetDateTime::now_utc();
    let started = Instant::now();
    let result = match allowed(&claimed.webhook.url, settings) {
        Ok(()) => post(client, claimed, attempted_at).await,
        Err(refused) => Err(refused),
    };
    let duration_ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
    let (status, error) = match result {
        Ok(status) if (200..300).contains(&status) => (Some(i32::from(status)), None),
        Ok(status) => (
            Some(i32::from(status)),
            Some(format!("the receiver answered HTTP {status}")),
        ),
        Err(error) => (None, Some(error)),
    };
    let succeeded = error.is_none();
    let retry_at = (!succeeded)
        .then(|| {
            retry_at(
                settings,
                claimed.delivery.attempts,
                claimed.delivery.created_at,
                attempted_at,
            )
        })
        .flatten();
    Outcome {
        attempted_at,
        duration_ms,
        status,
        error,
        succeeded,
        retry_at,
    }
}

/// Whether the endpoint's URL is one this server may send to now: the policy in force at each
/// delivery, not the one its URL was saved under (an endpoint saved while
/// `SLR_WEBHOOK_ALLOW_PRIVATE=1` stops receiving once it is off). A refused delivery is not
/// sent; the attempt records why.
fn allowed(url: &str, settings: &WebhookSettings) -> Result<(), String> {
    domain::WebhookUrl::parse(url, settings.allow_private)
        .map(drop)
        .map_err(|refused| {
            let why = match &refused {
                domain::DomainError::InvalidField { message, .. } => message.clone(),
                other => other.to_string(),
            };
            format!("not sent: this server does not deliver to this URL ({why})")
        })
}

/// When to try a message again after its failed attempt number `attempts + 1` at
/// `attempted_at`: exponential backoff with jitter, or `None` once `give_up_after` has passed
/// since it was `created_at`.
pub(crate) fn retry_at(
    settings: &WebhookSettings,
    attempts: i32,
    created_at: OffsetDateTime,
    attempted_at: OffsetDateTime,
) -> Option<OffsetDateTime> {
    let attempt = u32::try_from(attempts).unwrap_or(0) + 1;
    let delay = domain::integration::retry_delay(
        attempt,
        settings.retry_base,
        settings.retry_cap,
        rand::rng().random::<f64>(),
    );
    let give_up = created_at
        + time::Duration::try_from(settings.give_up_after).unwrap_or(time::Duration::DAY);
    let at = attempted_at + time::Duration::try_from(delay).unwrap_or(time::Duration::HOUR);
    (at <= give_up).then_some(at)
}

/// The receiver's status, or why there was none.
async fn post(
    client: &reqwest::Client,
    claimed: &Claimed,
    at: OffsetDateTime,
) -> Result<u16, String> {
    let delivery = &claimed.delivery;
    let timestamp = at.unix_timestamp();
    let mut signatures = Vec::new();
    for secret in claimed.webhook.signing_secrets(at) {
        let signer = standardwebhooks::Webhook::new(secret)
            .map_err(|e| format!("the endpoint's secret is unusable: {e}"))?;
        signatures.push(
            signer
                .sign(&delivery.message_id, timestamp, delivery.payload.as_bytes())
                .map_err(|e| format!("cannot sign: {e}"))?,
        );
    }
    let response = client
        .post(&claimed.webhook.url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(standardwebhooks::HEADER_WEBHOOK_ID, &delivery.message_id)
        .header(
            standardwebhooks::HEADER_WEBHOOK_TIMESTAMP,
            timestamp.to_string(),
        )
        .header(
            standardwebhooks::HEADER_WEBHOOK_SIGNATURE,
            signatures.join(" "),
        )
        .body(delivery.payload.clone())
        .send()
        .await
        .map_err(|e| describe(&e))?;
    Ok(response.status().as_u16())
}

/// A send error in a sentence, with its causes (each once). A host that cannot be resolved
/// to an address deliveries may use gets one sentence, whatever the reason (see
/// [`Unresolvable`]).
fn describe(error: &reqwest::Error) -> String {
    if error.is_timeout() {
        return "the receiver did not answer in time".to_owned();
    }
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        if cause.downcast_ref::<Unresolvable>().is_some() {
            return Unresolvable.to_string();
        }
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text = format!("{text}: {cause_text}");
        }
        source = cause.source();
    }
    text
}

/// The HTTP client: no redirects (a receiver cannot bounce a delivery elsewhere), a timeout,
/// no proxy (`HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY` and the system's settings are ignored:
/// a proxy would resolve and connect to hosts this worker never checked), and a resolver
/// that hands the connector only the addresses it checked ([`Checked`]). Hosts written as
/// addresses are checked by [`allowed`] before each delivery.
fn client(settings: &WebhookSettings) -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(settings.timeout)
        .connect_timeout(settings.timeout)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("slr-webhooks/", env!("CARGO_PKG_VERSION")))
        .dns_resolver(Arc::new(Checked {
            allow_private: settings.allow_private,
        }))
        .build()
}

/// Why a webhook host's name gave no address to connect to. One sentence whether the name
/// does not exist or resolves only to refused addresses: a delivery's error is shown to the
/// endpoint's account admins, and telling the two apart would let any of them probe which
/// internal names exist.
#[derive(Debug, thiserror::Error)]
#[error("the host does not resolve to a public address")]
struct Unresolvable;

/// Resolves webhook hosts itself and returns only the addresses the policy allows (every
/// address unless private targets are allowed: only public ones), so the connection goes to
/// exactly the addresses checked — no second lookup a rebinding name could answer differently.
struct Checked {
    allow_private: bool,
}

impl Checked {
    async fn lookup(&self, host: &str) -> Result<Vec<SocketAddr>, Unresolvable> {
        let found = tokio::net::lookup_host((host, 0)).await.map_err(|error| {
            log::debug!("webhook host {host}: lookup failed: {error}");
            Unresolvable
        })?;
        let allow_private = self.allow_private;
        let allowed: Vec<SocketAddr> = found
            .filter(|addr| allow_private || domain::integration::is_public(addr.ip()))
            .collect();
        if allowed.is_empty() {
            log::debug!("webhook host {host}: no allowed address");
            return Err(Unresolvable);
        }
        Ok(allowed)
    }
}

impl reqwest::dns::Resolve for Checked {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let checked = Checked {
            allow_private: self.allow_private,
        };
        Box::pin(async move {
            let found = checked.lookup(name.as_str()).await?;
            let addrs: reqwest::dns::Addrs = Box::new(found.into_iter());
            Ok(addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_name_that_does_not_resolve_and_one_resolving_inside_read_the_same() {
        let public_only = Checked {
            allow_private: false,
        };
        let inside = public_only.lookup("localhost").await;
        let missing = public_only.lookup("no-such-host.invalid").await;
        let (Err(inside), Err(missing)) = (inside, missing) else {
            panic!("both are refused");
        };
        assert_eq!(inside.to_string(), missing.to_string());
        let private_allowed = Checked {
            allow_private: true,
        };
        let found = private_allowed
            .lookup("localhost")
            .await
            .unwrap_or_default();
        assert!(found.iter().all(|a| a.ip().is_loopback()) && !found.is_empty());
    }

    #[test]
    fn a_saved_url_is_checked_against_the_policy_in_force() {
        let mut settings = WebhookSettings {
            allow_private: true,
            ..WebhookSettings::default()
        };
        for url in [
            "http://127.0.0.1:9000/hook",
            "https://10.0.0.8/hook",
            "https://[64:ff9b::a9fe:a9fe]/",
            "https://[2002:a9fe:a9fe::1]/",
            "https://[fec0::1]/",
        ] {
            assert_eq!(allowed(url, &settings), Ok(()), "{url}");
        }
        settings.allow_private = false;
        for url in [
            "http://127.0.0.1:9000/hook",
            "https://10.0.0.8/hook",
            "https://[64:ff9b::a9fe:a9fe]/",
            "https://[2002:a9fe:a9fe::1]/",
            "https://[fec0::1]/",
        ] {
            let refused = allowed(url, &settings).err().unwrap_or_default();
            assert!(refused.starts_with("not sent:"), "{url}: {refused}");
        }
        assert_eq!(allowed("https://hooks.example.com/x", &settings), Ok(()));
    }
}
