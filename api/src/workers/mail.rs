//! The mailer: every replica with `SLR_SMTP_URL` runs one. It claims due messages from the
//! email outbox (each for a lease, like webhook deliveries), sends them over SMTP with lettre
//! — plain text, with a one-click unsubscribe link (RFC 8058) — and records the attempt:
//! sent, retried later with the webhook backoff, or given up (an address the server refuses
//! for good is not retried).

use std::sync::atomic::AtomicBool;
use std::time::Duration;

use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::Mailbox;
use lettre::{Message, SmtpTransport, Transport};
use persistence::repo::email::{self, ClaimedEmail};
use persistence::{DatabaseTarget, DbConnection, RepoError, RepoResult};
use time::OffsetDateTime;

use crate::settings::{EmailSettings, WebhookSettings};
use crate::workers::delivery::{retry_at, run_outbox, Bell};
use crate::workers::Worker;

/// Messages claimed per turn.
const BATCH: i64 = 128;
/// Connections a turn sends over at once (below Postfix's default of 50 per client).
const SENDERS: usize = 32;

/// What one attempt at a message came to.
struct Attempt {
    id: i64,
    at: OffsetDateTime,
    error: Option<String>,
    /// After a failure: when to try again, or `None` to give up.
    retry: Option<OffsetDateTime>,
}

/// What sends email: the background worker runs it in a loop ([`start`]); tests run it on
/// demand ([`Mailer::send_due`]).
#[derive(Clone)]
pub struct Mailer {
    target: DatabaseTarget,
    email: EmailSettings,
    retries: WebhookSettings,
    /// `None` without `SLR_SMTP_URL`: nothing is sent.
    transport: Option<SmtpTransport>,
    from: Mailbox,
    worker: String,
}

impl Mailer {
    pub fn new(
        target: DatabaseTarget,
        email: EmailSettings,
        retries: WebhookSettings,
    ) -> Result<Self, String> {
        let transport = email
            .smtp_url
            .as_deref()
            .map(|url| {
                SmtpTransport::from_url(url)
                    .map(|b| b.timeout(Some(retries.timeout)).build())
                    .map_err(|e| format!("SLR_SMTP_URL: {e}"))
            })
            .transpose()?;
        let from = email
            .from
            .parse()
            .map_err(|e| format!("SLR_SMTP_FROM: {e}"))?;
        Ok(Self {
            target,
            email,
            retries,
            transport,
            from,
            worker: crate::workers::worker_name(),
        })
    }

    /// Whether this server sends email (`SLR_SMTP_URL` is set).
    pub fn enabled(&self) -> bool {
        self.transport.is_some()
    }

    /// Sends every message due now, batch after batch; how many were claimed.
    fn drain(&self, conn: &mut DbConnection) -> RepoResult<usize> {
        let Some(transport) = &self.transport else {
            return Ok(0);
        };
        let mut claimed = 0;
        loop {
            let now = OffsetDateTime::now_utc();
            let lease = self.retries.timeout * 3 + Duration::from_secs(60);
            let batch = persistence::repo::side_transaction(conn, |conn| {
                email::claim(conn, &self.worker, now, now + lease, BATCH)
            })?;
            if batch.is_empty() {
                return Ok(claimed);
            }
            claimed += batch.len();
            // Sent side by side over several connections: an SMTP exchange is a few round
            // trips, and lettre leaves Nagle on (a ~40 ms stall each message on a connection).
            let per_sender = batch.len().div_ceil(SENDERS);
            let outcomes: Vec<Attempt> = std::thread::scope(|scope| {
                let senders: Vec<_> = batch
                    .chunks(per_sender)
                    .map(|chunk| {
                        scope.spawn(move || {
                            chunk
                                .iter()
                                .map(|message| self.attempt(transport, message))
                                .collect::<Vec<_>>()
                        })
                    })
                    .collect();
                // A sender that panicked leaves its messages claimed: they are taken over
                // once the lease ends.
                senders
                    .into_iter()
                    .flat_map(|sender| sender.join().unwrap_or_default())
                    .collect()
            });
            // One transaction records the batch.
            let lost = persistence::repo::side_transaction(conn, |conn| {
                let mut lost = Vec::new();
                for attempt in &outcomes {
                    let recorded = email::record_attempt(
                        conn,
                        &self.worker,
                        attempt.id,
                        attempt.at,
                        attempt.error.as_deref(),
                        attempt.retry,
                    )?;
                    if !recorded {
                        lost.push(attempt.id);
                    }
                }
                Ok(lost)
            })?;
            if !lost.is_empty() {
                log::warn!("emails {lost:?} were taken over by another worker");
            }
        }
    }

    /// Sends one message and says what came of it.
    fn attempt(&self, transport: &SmtpTransport, message: &ClaimedEmail) -> Attempt {
        let at = OffsetDateTime::now_utc();
        let (error, retry) = match self.send(transport, message) {
            Ok(()) => (None, None),
            Err((error, permanent)) => {
                let retry = (!permanent)
                    .then(|| retry_at(&self.retries, message.attempts, message.created_at, at))
                    .flatten();
                (Some(error), retry)
            }
        };
        Attempt {
            id: message.id,
            at,
            error,
            retry,
        }
    }

    /// Sends one message; on failure why, and whether it is for good.
    fn send(
        &self,
        transport: &SmtpTransport,
        message: &ClaimedEmail,
    ) -> Result<(), (String, bool)> {
        let unsubscribe = format!(
            "{}/unsubscribe?key={}",
            self.email.public_url, message.unsubscribe_token
        );
        let to: Mailbox = message
            .recipient
            .parse()
            .map_err(|e| (format!("not an address: {e}"), true))?;
        let public = &self.email.public_url;
        let body = if message.event_type == crate::services::email::CONFIRMATION {
            format!(
                "{}\nConfirm: {public}/confirm-subscription?key={}\n\n--\nUnsubscribe: {unsubscribe}\n",
                message.body, message.unsubscribe_token
            )
        } else {
            // The link opens the event's page as this subscription's reader (its view key
            // works only there and in the feeds, and ends with the subscription).
            format!(
                "{}\nDetails: {public}{}?token={}\n\n--\nYou get this because you subscribed to these notifications.\nUnsubscribe: {unsubscribe}\n",
                message.body,
                message.link,
                email::view_key(&message.unsubscribe_token)
            )
        };
        let host = self.from.email.domain().to_owned();
        let email = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(&message.subject)
            .message_id(Some(format!(
                "<{}.{}@{host}>",
                message.announcement, message.id
            )))
            .header(ContentType::TEXT_PLAIN)
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("List-Unsubscribe"),
                format!("<{unsubscribe}>"),
            ))
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
                "List-Unsubscribe=One-Click".to_owned(),
            ))
            .body(body)
            .map_err(|e| (format!("cannot build the message: {e}"), true))?;
        transport
            .send(&email)
            .map(drop)
            .map_err(|e| (e.to_string(), e.is_permanent()))
    }

    /// Forgets messages sent or given up before `before`; without SMTP also those waiting
    /// longer than a mailer would retry them (nothing here will ever send them).
    fn purge(&self, conn: &mut DbConnection, before: OffsetDateTime) -> RepoResult<usize> {
        let mut purged = email::purge_finished(conn, before)?;
        if !self.enabled() {
            let given_up = OffsetDateTime::now_utc() - self.retries.give_up_after;
            purged += email::purge_waiting(conn, given_up)?;
        }
        Ok(purged)
    }

    /// One turn on demand, on a blocking thread with its own connection: sends what is due
    /// now; how many messages it claimed.
    pub async fn send_due(&self) -> RepoResult<usize> {
        let this = self.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = persistence::connect_one(this.target.clone())?;
            this.drain(&mut conn)
        })
        .await
        .map_err(|e| RepoError::Unavailable(e.to_string()))?
    }
}

/// Starts the mailer, woken by `bell`; it stops when the returned handle is dropped.
pub fn start(mailer: Mailer, bell: Bell) -> Worker {
    Worker::spawn(
        "slr-mail",
        bell.ring.clone(),
        move |stop: std::sync::Arc<AtomicBool>| {
            run_outbox(
                "email",
                &mailer.target,
                mailer.email.poll,
                &bell.woken,
                &stop,
                |conn| mailer.drain(conn),
                |conn, before| mailer.purge(conn, before),
            );
        },
    )
}
