//! A real SMTP receiver on loopback for the email tests: it speaks enough SMTP (RFC 5321) for
//! a client to deliver, keeps every message it accepted, and can answer the first recipients
//! with a temporary failure (451) to exercise retries.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// One accepted message.
#[derive(Debug, Clone)]
pub struct Mail {
    pub from: String,
    pub to: Vec<String>,
    /// The message as sent: headers, a blank line, the body.
    pub data: String,
}

impl Mail {
    /// The (unfolded) value of header `name`.
    pub fn header(&self, name: &str) -> Option<String> {
        let (head, _) = self.data.split_once("\r\n\r\n")?;
        let unfolded = head.replace("\r\n ", " ").replace("\r\n\t", " ");
        unfolded.lines().find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.eq_ignore_ascii_case(name)
                .then(|| value.trim().to_owned())
        })
    }

    /// The body, with quoted-printable soft line breaks and escapes undone.
    pub fn body(&self) -> String {
        let body = self.data.split_once("\r\n\r\n").map_or("", |(_, b)| b);
        if !self
            .header("Content-Transfer-Encoding")
            .is_some_and(|e| e.eq_ignore_ascii_case("quoted-printable"))
        {
            return body.replace("\r\n", "\n");
        }
        let joined = body.replace("=\r\n", "");
        let mut out = Vec::new();
        let bytes = joined.as_bytes();
        let mut at = 0;
        while at < bytes.len() {
            if bytes[at] == b'=' && at + 2 < bytes.len() {
                if let Ok(byte) = u8::from_str_radix(&joined[at + 1..at + 3], 16) {
                    out.push(byte);
                    at += 3;
                    continue;
                }
            }
            out.push(bytes[at]);
            at += 1;
        }
        String::from_utf8_lossy(&out).replace("\r\n", "\n")
    }
}

/// The receiver: `url` is what `SLR_SMTP_URL` takes.
#[derive(Clone)]
pub struct Receiver {
    pub url: String,
    mails: Arc<Mutex<Vec<Mail>>>,
    refusals: Arc<AtomicUsize>,
}

impl Receiver {
    /// Listens on a free loopback port; the first `refusals` recipients get 451.
    pub async fn start(refusals: usize) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a free port");
        let port = listener.local_addr().expect("bound").port();
        let receiver = Self {
            url: format!("smtp://127.0.0.1:{port}"),
            mails: Arc::default(),
            refusals: Arc::new(AtomicUsize::new(refusals)),
        };
        let session = receiver.clone();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                tokio::spawn(session.clone().serve(socket));
            }
        });
        receiver
    }

    async fn serve(self, socket: tokio::net::TcpStream) {
        let (read, mut write) = socket.into_split();
        let mut lines = BufReader::new(read);
        let reply = |text: &'static str| format!("{text}\r\n");
        let _ = write
            .write_all(reply("220 slr-test ESMTP").as_bytes())
            .await;
        let (mut from, mut to) = (String::new(), Vec::new());
        let mut line = String::new();
        loop {
            line.clear();
            if lines.read_line(&mut line).await.unwrap_or(0) == 0 {
                return;
            }
            let command = line.trim_end().to_owned();
            let upper = command.to_ascii_uppercase();
            let answer = if upper.starts_with("EHLO") || upper.starts_with("HELO") {
                "250-slr-test\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n".to_owned()
            } else if upper.starts_with("MAIL FROM:") {
                from = command[10..].trim().to_owned();
                to.clear();
                reply("250 2.1.0 OK")
            } else if upper.starts_with("RCPT TO:") {
                let refused = self
                    .refusals
                    .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                    .is_ok();
                if refused {
                    reply("451 4.3.0 Try again later")
                } else {
                    to.push(command[8..].trim().trim_matches(['<', '>']).to_owned());
                    reply("250 2.1.5 OK")
                }
            } else if upper == "DATA" {
                let _ = write
                    .write_all(reply("354 End data with <CR><LF>.<CR><LF>").as_bytes())
                    .await;
                let mut data = String::new();
                loop {
                    line.clear();
                    if lines.read_line(&mut line).await.unwrap_or(0) == 0 {
                        return;
                    }
                    if line == ".\r\n" {
                        break;
                    }
                    data.push_str(line.strip_prefix('.').unwrap_or(&line));
                }
                self.mails.lock().unwrap().push(Mail {
                    from: from.clone(),
                    to: std::mem::take(&mut to),
                    data,
                });
                reply("250 2.0.0 Queued")
            } else if upper == "QUIT" {
                let _ = write.write_all(reply("221 2.0.0 Bye").as_bytes()).await;
                return;
            } else if upper.starts_with("RSET") || upper.starts_with("NOOP") {
                reply("250 2.0.0 OK")
            } else {
                reply("502 5.5.1 Unrecognised command")
            };
            if write.write_all(answer.as_bytes()).await.is_err() {
                return;
            }
        }
    }

    /// Every message accepted so far, in order.
    pub fn mails(&self) -> Vec<Mail> {
        self.mails.lock().unwrap().clone()
    }

    /// The messages to `address`.
    pub fn to(&self, address: &str) -> Vec<Mail> {
        self.mails()
            .into_iter()
            .filter(|m| m.to.iter().any(|t| t.eq_ignore_ascii_case(address)))
            .collect()
    }

    /// Waits (up to 20 s) until `done` holds for what has arrived; for a background mailer.
    pub async fn wait_for(&self, done: impl Fn(&[Mail]) -> bool) -> Vec<Mail> {
        let started = Instant::now();
        loop {
            let got = self.mails();
            if done(&got) {
                return got;
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "received {} messages: {got:#?}",
                got.len()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}
