//! Typed settings, read from the environment once at start and validated.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use persistence::DatabaseTarget;

/// A secret value; `Debug` never prints it.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("***")
    }
}

/// Everything the server needs, passed down by value.
#[derive(Debug, Clone)]
pub struct Settings {
    pub database: DatabaseTarget,
    /// True when no `DATABASE_URL` was given: the embedded SQLite file with demo data.
    pub embedded: bool,
    /// Where to listen; port 0 picks a free port.
    pub bind: SocketAddr,
    pub jwt: JwtSettings,
    pub pool_size: u32,
    /// Weights of incident impacts in availability (`SLR_PARTIAL_OUTAGE_WEIGHT`).
    pub weights: domain::availability::Weights,
    /// Browser origins allowed to call the API (`SLR_CORS_ORIGINS`, comma-separated, e.g.
    /// `https://status.example.com`); none by default.
    pub cors_origins: Vec<String>,
    /// How long an `Idempotency-Key` answers retries (`SLR_IDEMPOTENCY_TTL`, e.g. `24h`).
    pub idempotency_ttl: std::time::Duration,
    /// Per token (or client IP) rate limit; `None` when `SLR_RATE_LIMIT_PER_SECOND=0`.
    pub rate_limit: Option<RateLimit>,
    /// How long a cached answer is reused when no write came (`SLR_ANSWER_MAX_AGE_MS`, 0–60000;
    /// 0 turns the answer cache off): answers also move with the clock.
    pub answer_max_age: std::time::Duration,
    /// How often each replica reads the data version besides listening for it
    /// (`SLR_VERSION_POLL_MS`, 50–60000; default 200).
    pub version_poll: std::time::Duration,
    /// Webhook delivery (`SLR_WEBHOOK_*`).
    pub webhooks: WebhookSettings,
    /// How long the change log keeps a change (`SLR_CHANGES_RETENTION`, e.g. `7d`): the change
    /// feed answers 410 for a `since` further back, and a replica further behind reloads.
    pub changes_retention: std::time::Duration,
    /// Maintenance that runs itself (`SLR_MAINTENANCE_*`).
    pub maintenance: MaintenanceSettings,
    /// Email notifications (`SLR_SMTP_*`, `SLR_PUBLIC_URL`).
    pub email: EmailSettings,
    /// The Ed25519 private key (PKCS#8 PEM) closed periods' statements are signed with
    /// (`SLR_STATEMENT_KEY`: PEM text or a path; embedded mode: generated into
    /// `./data/statement-key.pem`). Without one, periods cannot be closed.
    pub statement_key: Option<Secret>,
    /// Reverse proxies whose `X-Forwarded-For` names the client, for per-address rate limits
    /// (`SLR_TRUSTED_PROXIES`, comma-separated IP addresses); none by default, so the header
    /// is ignored.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// How long a client may take to send a request body (`SLR_BODY_TIMEOUT_MS`, default
    /// 10000): slower bodies answer 408.
    pub body_timeout: std::time::Duration,
    /// A bearer token `/metrics` requires (`SLR_METRICS_TOKEN`, at least 16 bytes); without
    /// it `/metrics` is open.
    pub metrics_token: Option<Secret>,
    /// How many integrations one account may keep.
    pub limits: AccountLimits,
}

/// How many webhook endpoints and email subscriptions one account may keep: every one is
/// rendered and sent to on each event, so none may grow without bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccountLimits {
    /// `SLR_MAX_WEBHOOKS_PER_ACCOUNT` (default 25).
    pub webhooks: u64,
    /// `SLR_MAX_EMAIL_SUBSCRIPTIONS_PER_ACCOUNT` (default 1000).
    pub email_subscriptions: u64,
}

impl Default for AccountLimits {
    fn default() -> Self {
        Self {
            webhooks: 25,
            email_subscriptions: 1000,
        }
    }
}

/// Email notifications: where mail goes and what its links point at. Retries follow the
/// webhook settings (`SLR_WEBHOOK_RETRY_*`, `SLR_WEBHOOK_GIVE_UP_AFTER`).
#[derive(Debug, Clone)]
pub struct EmailSettings {
    /// The SMTP server (`SLR_SMTP_URL`, e.g. `smtp://mail.internal:25`,
    /// `smtp://user:pass@smtp.example.com:587?tls=required`, `smtps://smtp.example.com`);
    /// without it email subscriptions are refused.
    pub smtp_url: Option<String>,
    /// The sender (`SLR_SMTP_FROM`, default `slr <slr@localhost>`).
    pub from: String,
    /// Where people reach this API, for the links in messages (`SLR_PUBLIC_URL`, default
    /// `http://` and `SLR_BIND`).
    pub public_url: String,
    /// How often each replica's mailer looks for due messages (`SLR_SMTP_POLL_MS`, default
    /// 500); a replica's own new messages wake it at once.
    pub poll: std::time::Duration,
    /// Whether this replica runs the mailer (`SLR_SMTP_WORKER=0` turns it off).
    pub background: bool,
}

impl EmailSettings {
    pub const DEFAULT_FROM: &'static str = "slr <slr@localhost>";

    /// Email off, links at `public_url`.
    pub fn off(public_url: String) -> Self {
        Self {
            smtp_url: None,
            from: Self::DEFAULT_FROM.to_owned(),
            public_url,
            poll: std::time::Duration::from_millis(500),
            background: true,
        }
    }
}

/// The maintenance scheduler: reminders and automatic starts and completions.
#[derive(Debug, Clone)]
pub struct MaintenanceSettings {
    /// How long before a window's start `maintenance.reminder` goes out
    /// (`SLR_MAINTENANCE_REMINDER`, default `60m`; `off`: no reminders).
    pub remind_before: Option<time::Duration>,
    /// How often each replica's scheduler looks for due steps (`SLR_MAINTENANCE_POLL_MS`,
    /// default 1000).
    pub poll: std::time::Duration,
    /// Whether this replica runs the scheduler (`SLR_MAINTENANCE_WORKER=0` turns it off).
    pub background: bool,
}

impl Default for MaintenanceSettings {
    fn default() -> Self {
        Self {
            remind_before: Some(time::Duration::minutes(60)),
            poll: std::time::Duration::from_secs(1),
            background: true,
        }
    }
}

/// How webhooks are accepted and delivered.
#[derive(Debug, Clone)]
pub struct WebhookSettings {
    /// Accept `http` and loopback/private targets (`SLR_WEBHOOK_ALLOW_PRIVATE=1`; tests,
    /// on-premises receivers). Off by default: webhook URLs are public `https` only.
    pub allow_private: bool,
    /// How often each replica's worker looks for due deliveries (`SLR_WEBHOOK_POLL_MS`,
    /// default 500); a replica's own new deliveries wake it at once.
    pub poll: std::time::Duration,
    /// How long a receiver may take to answer (`SLR_WEBHOOK_TIMEOUT_MS`, default 10000).
    pub timeout: std::time::Duration,
    /// The wait after the first failed attempt, doubled after each (`SLR_WEBHOOK_RETRY_BASE_MS`,
    /// default 30000), up to `SLR_WEBHOOK_RETRY_CAP_MS` (default one hour).
    pub retry_base: std::time::Duration,
    pub retry_cap: std::time::Duration,
    /// How long a delivery is retried before it is given up (`SLR_WEBHOOK_GIVE_UP_AFTER`,
    /// default `24h`).
    pub give_up_after: std::time::Duration,
    /// Failed attempts in a row after which an endpoint is disabled
    /// (`SLR_WEBHOOK_DISABLE_AFTER`, default 50).
    pub disable_after: u32,
    /// Whether this replica runs the delivery worker (`SLR_WEBHOOK_WORKER=0` turns it off, e.g.
    /// on replicas that only answer reads; another replica sends what they announce).
    pub background: bool,
}

impl Default for WebhookSettings {
    /// The production defaults the variables override.
    fn default() -> Self {
        use std::time::Duration;
        Self {
            allow_private: false,
            poll: Duration::from_millis(500),
            timeout: Duration::from_secs(10),
            retry_base: Duration::from_secs(30),
            retry_cap: Duration::from_secs(3600),
            give_up_after: Duration::from_secs(24 * 3600),
            disable_after: 50,
            background: true,
        }
    }
}

/// How tokens are signed and checked.
#[derive(Debug, Clone)]
pub struct JwtSettings {
    pub key: JwtKey,
    pub issuer: String,
    pub audience: String,
}

#[derive(Debug, Clone)]
pub enum JwtKey {
    /// HS256 with a shared secret (development, tests).
    Secret(Secret),
    /// RS256, ES256 or EdDSA: the public key checks tokens, the private key (optional on the
    /// server) signs them for `slr token`.
    Pem {
        public: String,
        private: Option<Secret>,
    },
}

/// A setting that is missing or invalid, with the variable to fix.
#[derive(Debug, thiserror::Error)]
#[error("{variable}: {message}")]
pub struct SettingsError {
    pub variable: &'static str,
    pub message: String,
}

fn error(variable: &'static str, message: impl Into<String>) -> SettingsError {
    SettingsError {
        variable,
        message: message.into(),
    }
}

pub const DEFAULT_BIND: &str = "127.0.0.1:8080";
pub const MIN_SECRET_BYTES: usize = 32;
pub const MIN_METRICS_TOKEN_BYTES: usize = 16;

/// Whether an SMTP URL logs in without TLS: credentials over `smtp://` without `tls=required`
/// (`tls=opportunistic` falls back to clear text when an attacker strips `STARTTLS`).
fn sends_password_in_clear(url: &str) -> bool {
    let Ok(url) = reqwest::Url::parse(url) else {
        return false;
    };
    let has_credentials = !url.username().is_empty() || url.password().is_some();
    let tls_required = url.scheme() == "smtps"
        || url
            .query_pairs()
            .any(|(key, value)| key == "tls" && value == "required");
    has_credentials && !tls_required
}

impl Settings {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, SettingsError> {
        Self::from_vars(|name| std::env::var(name).ok().filter(|v| !v.trim().is_empty()))
    }

    /// Reads settings through `var`, so tests can supply their own environment.
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Self, SettingsError> {
        let data_dir = PathBuf::from(var("SLR_DATA_DIR").unwrap_or_else(|| "data".to_owned()));
        let (database, embedded) = match var("DATABASE_URL") {
            Some(url) => (
                DatabaseTarget::parse(&url).map_err(|m| error("DATABASE_URL", m))?,
                false,
            ),
            None => {
                ensure_dir(&data_dir)?;
                let path = data_dir.join("slr.db");
                (
                    DatabaseTarget::Sqlite(path.to_string_lossy().into_owned()),
                    true,
                )
            }
        };
        let bind = var("SLR_BIND")
            .unwrap_or_else(|| DEFAULT_BIND.to_owned())
            .parse()
            .map_err(|_| {
                error(
                    "SLR_BIND",
                    "must be an address like 127.0.0.1:8080 or 0.0.0.0:8080",
                )
            })?;
        let key = match (
            var("SLR_JWT_SECRET"),
            var("SLR_JWT_PUBLIC_KEY"),
            var("SLR_JWT_PRIVATE_KEY"),
        ) {
            (Some(_), Some(_), _) | (Some(_), _, Some(_)) => {
                return Err(error(
                    "SLR_JWT_SECRET",
                    "set either SLR_JWT_SECRET or SLR_JWT_PUBLIC_KEY/SLR_JWT_PRIVATE_KEY, not both",
                ))
            }
            (Some(secret), None, None) => JwtKey::Secret(checked_secret("SLR_JWT_SECRET", secret)?),
            (None, Some(public), private) => JwtKey::Pem {
                public: pem("SLR_JWT_PUBLIC_KEY", &public)?,
                private: private
                    .map(|p| pem("SLR_JWT_PRIVATE_KEY", &p).map(Secret))
                    .transpose()?,
            },
            (None, None, Some(_)) => {
                return Err(error(
                    "SLR_JWT_PUBLIC_KEY",
                    "is required with SLR_JWT_PRIVATE_KEY",
                ))
            }
            (None, None, None) if embedded => JwtKey::Secret(development_secret(&data_dir)?),
            (None, None, None) => {
                return Err(error(
                    "SLR_JWT_SECRET",
                    "set SLR_JWT_SECRET or SLR_JWT_PUBLIC_KEY when DATABASE_URL is set",
                ))
            }
        };
        let pool_size = match var("SLR_DB_POOL_SIZE") {
            Some(raw) => raw
                .parse()
                .ok()
                .filter(|n| (1..=256).contains(n))
                .ok_or_else(|| error("SLR_DB_POOL_SIZE", "must be 1-256"))?,
            None => 16,
        };
        let weights = match var("SLR_PARTIAL_OUTAGE_WEIGHT") {
            Some(raw) => raw
                .parse()
                .ok()
                .and_then(|w| domain::availability::Weights::parse(w).ok())
                .ok_or_else(|| {
                    error(
                        "SLR_PARTIAL_OUTAGE_WEIGHT",
                        "must be a number between 0 and 1",
                    )
                })?,
            None => domain::availability::Weights::default(),
        };
        let cors_origins = var("SLR_CORS_ORIGINS")
            .map(|raw| parse_origins(&raw).map_err(|m| error("SLR_CORS_ORIGINS", m)))
            .transpose()?
            .unwrap_or_default();
        let idempotency_ttl = match var("SLR_IDEMPOTENCY_TTL") {
            Some(raw) => parse_ttl(&raw).map_err(|m| error("SLR_IDEMPOTENCY_TTL", m))?,
            None => IDEMPOTENCY_TTL,
        };
        let changes_retention = match var("SLR_CHANGES_RETENTION") {
            Some(raw) => parse_ttl(&raw).map_err(|m| error("SLR_CHANGES_RETENTION", m))?,
            None => CHANGES_RETENTION,
        };
        let default_limit = RateLimit::default();
        let number = |name: &'static str, default: u64, max: u64| match var(name) {
            Some(raw) => raw
                .parse::<u64>()
                .ok()
                .filter(|n| *n <= max)
                .ok_or_else(|| error(name, format!("must be a whole number from 0 to {max}"))),
            None => Ok(default),
        };
        let per_second = number(
            "SLR_RATE_LIMIT_PER_SECOND",
            default_limit.per_second,
            1_000_000,
        )?;
        let burst = number(
            "SLR_RATE_LIMIT_BURST",
            u64::from(default_limit.burst),
            1_000_000,
        )?;
        let rate_limit = (per_second > 0).then(|| RateLimit {
            per_second,
            burst: u32::try_from(burst.max(1)).unwrap_or(u32::MAX),
        });
        let answer_max_age =
            std::time::Duration::from_millis(number("SLR_ANSWER_MAX_AGE_MS", 1000, 60_000)?);
        let version_poll =
            std::time::Duration::from_millis(number("SLR_VERSION_POLL_MS", 200, 60_000)?.max(50));
        let millis =
            |name, default, max| number(name, default, max).map(std::time::Duration::from_millis);
        let webhooks = WebhookSettings {
            allow_private: match var("SLR_WEBHOOK_ALLOW_PRIVATE").as_deref() {
                None | Some("0" | "false" | "") => false,
                Some("1" | "true") => true,
                Some(_) => return Err(error("SLR_WEBHOOK_ALLOW_PRIVATE", "must be 1 or 0")),
            },
            background: match var("SLR_WEBHOOK_WORKER").as_deref() {
                None | Some("1" | "true" | "") => true,
                Some("0" | "false") => false,
                Some(_) => return Err(error("SLR_WEBHOOK_WORKER", "must be 1 or 0")),
            },
            poll: millis("SLR_WEBHOOK_POLL_MS", 500, 60_000)?
                .max(std::time::Duration::from_millis(20)),
            timeout: millis("SLR_WEBHOOK_TIMEOUT_MS", 10_000, 60_000)?
                .max(std::time::Duration::from_millis(100)),
            retry_base: millis("SLR_WEBHOOK_RETRY_BASE_MS", 30_000, 3_600_000)?
                .max(std::time::Duration::from_millis(10)),
            retry_cap: millis("SLR_WEBHOOK_RETRY_CAP_MS", 3_600_000, 86_400_000)?
                .max(std::time::Duration::from_millis(10)),
            give_up_after: match var("SLR_WEBHOOK_GIVE_UP_AFTER") {
                Some(raw) => parse_ttl(&raw).map_err(|m| error("SLR_WEBHOOK_GIVE_UP_AFTER", m))?,
                None => std::time::Duration::from_secs(24 * 3600),
            },
            disable_after: u32::try_from(number("SLR_WEBHOOK_DISABLE_AFTER", 50, 100_000)?.max(1))
                .unwrap_or(50),
        };
        let maintenance = MaintenanceSettings {
            remind_before: match var("SLR_MAINTENANCE_REMINDER").as_deref() {
                None => MaintenanceSettings::default().remind_before,
                Some("off" | "0") => None,
                Some(raw) => Some(
                    parse_ttl(raw)
                        .ok()
                        .and_then(|d| time::Duration::try_from(d).ok())
                        .ok_or_else(|| {
                            error("SLR_MAINTENANCE_REMINDER", "use e.g. 30m, 2h, 1d, or off")
                        })?,
                ),
            },
            poll: millis("SLR_MAINTENANCE_POLL_MS", 1000, 60_000)?
                .max(std::time::Duration::from_millis(50)),
            background: match var("SLR_MAINTENANCE_WORKER").as_deref() {
                None | Some("1" | "true" | "") => true,
                Some("0" | "false") => false,
                Some(_) => return Err(error("SLR_MAINTENANCE_WORKER", "must be 1 or 0")),
            },
        };
        let mut email = EmailSettings::off(
            var("SLR_PUBLIC_URL")
                .map(|url| url.trim_end_matches('/').to_owned())
                .unwrap_or_else(|| format!("http://{bind}")),
        );
        let allow_plaintext_auth = match var("SLR_SMTP_ALLOW_PLAINTEXT_AUTH").as_deref() {
            None | Some("0" | "false" | "") => false,
            Some("1" | "true") => true,
            Some(_) => return Err(error("SLR_SMTP_ALLOW_PLAINTEXT_AUTH", "must be 1 or 0")),
        };
        if let Some(url) = var("SLR_SMTP_URL").filter(|u| !u.is_empty()) {
            lettre::SmtpTransport::from_url(&url).map_err(|e| {
                error(
                    "SLR_SMTP_URL",
                    format!("not an SMTP URL (e.g. smtp://host:25): {e}"),
                )
            })?;
            if !allow_plaintext_auth && sends_password_in_clear(&url) {
                return Err(error(
                    "SLR_SMTP_URL",
                    "has a user and password but no TLS, so the password would cross the \
                     network in clear: use smtps://… or add ?tls=required, or set \
                     SLR_SMTP_ALLOW_PLAINTEXT_AUTH=1 to accept that",
                ));
            }
            email.smtp_url = Some(url);
        }
        if let Some(from) = var("SLR_SMTP_FROM") {
            from.parse::<lettre::message::Mailbox>().map_err(|e| {
                error(
                    "SLR_SMTP_FROM",
                    format!("not an address (e.g. slr <slr@example.com>): {e}"),
                )
            })?;
            email.from = from;
        }
        email.poll =
            millis("SLR_SMTP_POLL_MS", 500, 60_000)?.max(std::time::Duration::from_millis(20));
        email.background = match var("SLR_SMTP_WORKER").as_deref() {
            None | Some("1" | "true" | "") => true,
            Some("0" | "false") => false,
            Some(_) => return Err(error("SLR_SMTP_WORKER", "must be 1 or 0")),
        };
        let statement_key = match var("SLR_STATEMENT_KEY") {
            Some(value) => Some(Secret(pem("SLR_STATEMENT_KEY", &value)?)),
            None if embedded => Some(development_statement_key(&data_dir)?),
            None => None,
        };
        let trusted_proxies = var("SLR_TRUSTED_PROXIES")
            .map(|raw| {
                raw.split(',')
                    .map(str::trim)
                    .filter(|p| !p.is_empty())
                    .map(|p| {
                        p.parse().map_err(|_| {
                            error(
                                "SLR_TRUSTED_PROXIES",
                                format!("{p:?} is not an IP address like 10.0.0.2"),
                            )
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()
            })
            .transpose()?
            .unwrap_or_default();
        let body_timeout = millis("SLR_BODY_TIMEOUT_MS", 10_000, 300_000)?
            .max(std::time::Duration::from_millis(100));
        let metrics_token = var("SLR_METRICS_TOKEN")
            .map(|token| {
                if token.len() < MIN_METRICS_TOKEN_BYTES || token.contains(char::is_whitespace) {
                    Err(error(
                        "SLR_METRICS_TOKEN",
                        format!("must be at least {MIN_METRICS_TOKEN_BYTES} bytes without spaces"),
                    ))
                } else {
                    Ok(Secret(token))
                }
            })
            .transpose()?;
        let defaults = AccountLimits::default();
        let limits = AccountLimits {
            webhooks: number("SLR_MAX_WEBHOOKS_PER_ACCOUNT", defaults.webhooks, 100_000)?,
            email_subscriptions: number(
                "SLR_MAX_EMAIL_SUBSCRIPTIONS_PER_ACCOUNT",
                defaults.email_subscriptions,
                1_000_000,
            )?,
        };
        Ok(Settings {
            statement_key,
            limits,
            trusted_proxies,
            body_timeout,
            metrics_token,
            email,
            maintenance,
            changes_retention,
            webhooks,
            version_poll,
            answer_max_age,
            rate_limit,
            idempotency_ttl,
            cors_origins,
            weights,
            database,
            embedded,
            bind,
            jwt: JwtSettings {
                key,
                issuer: var("SLR_JWT_ISSUER").unwrap_or_else(|| "slr".to_owned()),
                audience: var("SLR_JWT_AUDIENCE").unwrap_or_else(|| "slr-api".to_owned()),
            },
            pool_size,
        })
    }
}

fn ensure_dir(dir: &Path) -> Result<(), SettingsError> {
    std::fs::create_dir_all(dir).map_err(|e| {
        error(
            "SLR_DATA_DIR",
            format!("cannot create {}: {e}", dir.display()),
        )
    })
}

fn checked_secret(variable: &'static str, secret: String) -> Result<Secret, SettingsError> {
    if secret.len() < MIN_SECRET_BYTES {
        return Err(error(
            variable,
            format!("must be at least {MIN_SECRET_BYTES} bytes"),
        ));
    }
    Ok(Secret(secret))
}

/// A PEM given inline, or the path of a PEM file.
fn pem(variable: &'static str, value: &str) -> Result<String, SettingsError> {
    if value.trim_start().starts_with("-----BEGIN") {
        return Ok(value.to_owned());
    }
    std::fs::read_to_string(value).map_err(|e| {
        error(
            variable,
            format!("is neither a PEM nor a readable file ({value}): {e}"),
        )
    })
}

/// The development signing secret kept beside the embedded database, created on first start.
fn development_secret(data_dir: &Path) -> Result<Secret, SettingsError> {
    let path = data_dir.join("jwt-secret");
    let read_error = |e: std::io::Error| {
        error(
            "SLR_DATA_DIR",
            format!("cannot use {}: {e}", path.display()),
        )
    };
    match std::fs::read_to_string(&path) {
        Ok(secret) => checked_secret("SLR_DATA_DIR", secret.trim().to_owned()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let secret = hex::encode(rand::random::<[u8; 32]>());
            write_private(&path, &secret).map_err(read_error)?;
            Ok(Secret(secret))
        }
        Err(e) => Err(read_error(e)),
    }
}

/// A new Ed25519 private key as PKCS#8 (v1) PEM: the fixed DER prefix of an Ed25519
/// `PrivateKeyInfo` (RFC 8410) and 32 random bytes.
pub fn new_statement_key() -> String {
    use base64::Engine;
    const PREFIX: [u8; 16] = [
        0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04,
        0x20,
    ];
    let mut der = PREFIX.to_vec();
    der.extend_from_slice(&rand::random::<[u8; 32]>());
    let body = base64::engine::general_purpose::STANDARD.encode(der);
    format!("-----BEGIN PRIVATE KEY-----\n{body}\n-----END PRIVATE KEY-----\n")
}

/// The development statement key kept beside the embedded database, created on first start.
fn development_statement_key(data_dir: &Path) -> Result<Secret, SettingsError> {
    let path = data_dir.join("statement-key.pem");
    let read_error = |e: std::io::Error| {
        error(
            "SLR_DATA_DIR",
            format!("cannot use {}: {e}", path.display()),
        )
    };
    match std::fs::read_to_string(&path) {
        Ok(pem) => Ok(Secret(pem)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let pem = new_statement_key();
            write_private(&path, &pem).map_err(read_error)?;
            Ok(Secret(pem))
        }
        Err(e) => Err(read_error(e)),
    }
}

fn write_private(path: &Path, content: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(content.as_bytes())
}

/// Comma-separated origins: each `http(s)://host[:port]`, no path.
fn parse_origins(raw: &str) -> Result<Vec<String>, String> {
    raw.split(',')
        .map(str::trim)
        .filter(|o| !o.is_empty())
        .map(|origin| {
            let rest = origin
                .strip_prefix("https://")
                .or_else(|| origin.strip_prefix("http://"));
            match rest {
                Some(host) if !host.is_empty() && !host.contains('/') => Ok(origin.to_owned()),
                _ => Err(format!(
                    "{origin:?} is not an origin like https://status.example.com"
                )),
            }
        })
        .collect()
}

/// A sustained rate and a burst, per caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    pub per_second: u64,
    pub burst: u32,
}

impl Default for RateLimit {
    /// 20 requests a second sustained, bursts of 100: a dashboard polling a dozen widgets every
    /// few seconds never meets it; a runaway script does.
    fn default() -> Self {
        RateLimit {
            per_second: 20,
            burst: 100,
        }
    }
}

/// How long the change log keeps a change unless `SLR_CHANGES_RETENTION` says otherwise.
pub const CHANGES_RETENTION: Duration = Duration::from_secs(7 * 24 * 3600);

/// How long a stored response answers retries unless `SLR_IDEMPOTENCY_TTL` says otherwise.
pub const IDEMPOTENCY_TTL: Duration = Duration::from_secs(24 * 3600);

/// Parses a duration like `30m`, `1h`, `7d` or `3600s` (for `slr token --ttl`).
pub fn parse_ttl(raw: &str) -> Result<Duration, String> {
    let raw = raw.trim();
    let split = raw.find(|c: char| !c.is_ascii_digit()).unwrap_or(raw.len());
    let (number, unit) = raw.split_at(split);
    let number: u64 = number
        .parse()
        .map_err(|_| format!("invalid duration {raw:?}: use e.g. 30m, 1h, 7d"))?;
    let seconds = match unit {
        "s" => 1,
        "m" => 60,
        "h" | "" => 3600,
        "d" => 86_400,
        _ => {
            return Err(format!(
                "invalid duration unit in {raw:?}: use s, m, h or d"
            ))
        }
    };
    if number == 0 || number > 366 * 86_400 / seconds {
        return Err(format!(
            "duration {raw:?} must be above zero and at most a year"
        ));
    }
    Ok(Duration::from_secs(number * seconds))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn load(pairs: &[(&str, &str)]) -> Result<Settings, SettingsError> {
        let env: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::from_vars(|name| env.get(name).cloned())
    }

    #[test]
    fn production_needs_a_key_and_valid_values() {
        let err = load(&[("DATABASE_URL", "postgres://x@h/db")]).unwrap_err();
        assert_eq!(err.variable, "SLR_JWT_SECRET");
        let err = load(&[
            ("DATABASE_URL", "postgres://x@h/db"),
            ("SLR_JWT_SECRET", "short"),
        ])
        .unwrap_err();
        assert_eq!(err.variable, "SLR_JWT_SECRET");
        let secret = "s".repeat(32);
        let err = load(&[("DATABASE_URL", "mysql://h"), ("SLR_JWT_SECRET", &secret)]).unwrap_err();
        assert_eq!(err.variable, "DATABASE_URL");
        let err = load(&[
            ("DATABASE_URL", "postgres://x@h/db"),
            ("SLR_JWT_SECRET", &secret),
            ("SLR_BIND", "nope"),
        ])
        .unwrap_err();
        assert_eq!(err.variable, "SLR_BIND");
        let ok = load(&[
            ("DATABASE_URL", "postgres://x@h/db"),
            ("SLR_JWT_SECRET", &secret),
        ])
        .unwrap();
        assert!(!ok.embedded);
        assert_eq!(ok.bind.to_string(), DEFAULT_BIND);
        assert_eq!(format!("{:?}", ok.jwt.key), "Secret(***)");
    }

    #[test]
    fn smtp_logins_without_tls_are_refused_unless_explicitly_allowed() {
        let secret = "s".repeat(32);
        let with = |pairs: &[(&str, &str)]| {
            let mut all = vec![
                ("DATABASE_URL", "postgres://x@h/db"),
                ("SLR_JWT_SECRET", secret.as_str()),
            ];
            all.extend_from_slice(pairs);
            load(&all)
        };
        for clear in [
            "smtp://user:pass@mail.example.com:587",
            "smtp://user:pass@mail.example.com:587?tls=opportunistic",
            "smtp://user@mail.example.com",
        ] {
            let err = with(&[("SLR_SMTP_URL", clear)]).unwrap_err();
            assert_eq!(err.variable, "SLR_SMTP_URL", "{clear}");
            assert!(
                err.to_string().contains("SLR_SMTP_ALLOW_PLAINTEXT_AUTH"),
                "{err}"
            );
            assert!(
                !err.to_string().contains("pass@"),
                "the password is not echoed: {err}"
            );
            let allowed = with(&[
                ("SLR_SMTP_URL", clear),
                ("SLR_SMTP_ALLOW_PLAINTEXT_AUTH", "1"),
            ]);
            assert!(allowed.is_ok(), "{clear}");
        }
        for safe in [
            "smtps://user:pass@mail.example.com",
            "smtp://user:pass@mail.example.com:587?tls=required",
            "smtp://mail.internal:25",
        ] {
            assert!(with(&[("SLR_SMTP_URL", safe)]).is_ok(), "{safe}");
        }
        let err = with(&[("SLR_SMTP_ALLOW_PLAINTEXT_AUTH", "yes")]).unwrap_err();
        assert_eq!(err.variable, "SLR_SMTP_ALLOW_PLAINTEXT_AUTH");
    }

    #[test]
    fn limits_settings_are_read_and_checked() {
        let secret = "s".repeat(32);
        let base = [
            ("DATABASE_URL", "postgres://x@h/db"),
            ("SLR_JWT_SECRET", secret.as_str()),
        ];
        let ok = load(&base).unwrap();
        assert!(ok.trusted_proxies.is_empty());
        assert!(ok.metrics_token.is_none());
        assert_eq!(ok.body_timeout, std::time::Duration::from_secs(10));
        let mut set = base.to_vec();
        set.extend([
            ("SLR_TRUSTED_PROXIES", "10.0.0.2, ::1"),
            ("SLR_METRICS_TOKEN", "0123456789abcdef"),
            ("SLR_BODY_TIMEOUT_MS", "2500"),
        ]);
        let ok = load(&set).unwrap();
        assert_eq!(ok.trusted_proxies.len(), 2);
        assert_eq!(format!("{:?}", ok.metrics_token), "Some(***)");
        assert_eq!(ok.body_timeout, std::time::Duration::from_millis(2500));
        for (variable, bad) in [
            ("SLR_TRUSTED_PROXIES", "10.0.0.0/8"),
            ("SLR_METRICS_TOKEN", "short"),
            ("SLR_BODY_TIMEOUT_MS", "forever"),
        ] {
            let mut set = base.to_vec();
            set.push((variable, bad));
            assert_eq!(load(&set).unwrap_err().variable, variable);
        }
    }

    #[test]
    fn embedded_mode_creates_and_reuses_a_development_secret() {
        let dir = std::env::temp_dir().join(format!("slr-settings-{}", std::process::id()));
        let dir_text = dir.to_string_lossy().into_owned();
        let first = load(&[("SLR_DATA_DIR", &dir_text)]).unwrap();
        let second = load(&[("SLR_DATA_DIR", &dir_text)]).unwrap();
        assert!(first.embedded);
        match (first.jwt.key, second.jwt.key) {
            (JwtKey::Secret(a), JwtKey::Secret(b)) => assert_eq!(a.expose(), b.expose()),
            other => panic!("expected secrets, got {other:?}"),
        }
        std::fs::remove_dir_all(dir).unwrap();
    }
}
