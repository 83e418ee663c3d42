//! The `slr` command line: serve (default), migrate, demo, admin create, token, openapi.

use std::io::Write;
use std::time::Duration;

use clap::{Parser, Subcommand};
use domain::{ContactName, Email};
use persistence::repo::contacts;
use persistence::{Pool, RepoError};

use crate::demo;
use crate::http::auth::TokenAuthority;
use crate::settings::{parse_ttl, Settings};
use crate::startup::{open_database, Application};

/// slr — Service Level Reporting API. Configuration comes from the environment (see README).
#[derive(Debug, Parser)]
#[command(name = "slr", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP server (the default). Without DATABASE_URL: embedded SQLite with demo data.
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Seed the demo dataset into the configured database and print persona tokens.
    Demo,
    /// Manage provider administrators.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Print a signed token for an existing contact.
    Token {
        /// The contact's e-mail address.
        email: String,
        /// Lifetime, e.g. 30m, 1h, 7d.
        #[arg(long, default_value = "1h", value_parser = parse_ttl)]
        ttl: Duration,
    },
    /// Print the OpenAPI document as YAML.
    Openapi,
    /// Exit 0 when the server answers `/readyz` with 200 within 2 s (for container
    /// healthchecks; the image has no curl).
    Healthcheck {
        /// The URL to check; default: `/readyz` on the port of SLR_BIND, on loopback.
        #[arg(long)]
        url: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create a provider admin contact (and the provider account, if missing).
    Create {
        #[arg(long, env = "SLR_ADMIN_EMAIL")]
        email: String,
        #[arg(long, env = "SLR_ADMIN_NAME", default_value = "Administrator")]
        name: String,
        /// Succeed without change when a provider admin with this e-mail already exists (for
        /// a setup step that runs at every start).
        #[arg(long)]
        if_missing: bool,
    },
}

/// Runs the chosen command; the error is printed by `main`.
pub fn run(cli: Cli) -> Result<(), String> {
    // Every command but `openapi` needs the configuration.
    let settings = || Settings::from_env().map_err(|e| e.to_string());
    match cli.command.unwrap_or(Command::Serve) {
        Command::Openapi => {
            let yaml = crate::startup::openapi()
                .to_yaml()
                .map_err(|e| e.to_string())?;
            // Written, not print!ed: `slr openapi | head` must not panic on a closed pipe.
            match std::io::Write::write_all(&mut std::io::stdout(), yaml.as_bytes()) {
                Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.to_string()),
                _ => Ok(()),
            }
        }
        Command::Serve => serve(settings()?),
        Command::Migrate => open_one(&settings()?).map(|_| println!("migrations are up to date")),
        Command::Demo => {
            let settings = settings()?;
            let mut conn = open_one(&settings)?;
            if run_on(&mut conn, demo::seed_if_empty)? {
                println!("demo data seeded");
            } else {
                println!("demo data already present");
            }
            print_personas(&settings, &format!("http://{}", settings.bind), &mut conn)
        }
        Command::Admin {
            command:
                AdminCommand::Create {
                    email,
                    name,
                    if_missing,
                },
        } => {
            let email = Email::parse(&email).map_err(|e| e.to_string())?;
            let name = ContactName::parse(&name).map_err(|e| e.to_string())?;
            let mut conn = open_one(&settings()?)?;
            if if_missing {
                if let Some(id) = run_on(&mut conn, |conn| demo::provider_admin(conn, &email))? {
                    println!("provider admin {email} exists (contact {id}); get a token with: slr token {email}");
                    return Ok(());
                }
            }
            let id = run_on(&mut conn, |conn| {
                demo::create_provider_admin(conn, &email, &name)
            })?;
            println!("created provider admin {email} (contact {id}); get a token with: slr token {email}");
            Ok(())
        }
        Command::Healthcheck { url } => healthcheck(url),
        Command::Token { email, ttl } => {
            let settings = settings()?;
            let email = Email::parse(&email).map_err(|e| e.to_string())?;
            let mut conn = open_one(&settings)?;
            let contact = run_on(&mut conn, |conn| {
                match contacts::find_by_email(conn, &email) {
                    Err(RepoError::NotFound) => Ok(None),
                    other => other.map(Some),
                }
            })?
            .ok_or_else(|| format!("no contact with e-mail {email}"))?;
            let authority = TokenAuthority::new(&settings.jwt)?;
            println!("{}", authority.issue(contact.item.id, ttl)?);
            Ok(())
        }
    }
}

fn open(settings: &Settings) -> Result<Pool, String> {
    open_database(settings).map_err(|e| e.to_string())
}

fn open_one(settings: &Settings) -> Result<persistence::DbConnection, String> {
    crate::startup::open_connection(settings).map_err(|e| e.to_string())
}

fn run_on<T>(
    conn: &mut persistence::DbConnection,
    work: impl FnOnce(&mut persistence::DbConnection) -> Result<T, RepoError>,
) -> Result<T, String> {
    work(conn).map_err(|e| crate::http::error::error_chain(&e))
}

fn serve(settings: Settings) -> Result<(), String> {
    // The port first: a second `slr` on a taken port fails before it touches the data.
    let listener = crate::startup::bind(&settings).map_err(|e| e.to_string())?;
    let pool = open(&settings)?;
    let address = format!("http://{}:{}", settings.bind.ip(), local_port(&listener)?);
    if settings.embedded {
        let mut conn = pool.get().map_err(|e| e.to_string())?;
        if run_on(&mut conn, demo::seed_if_empty)? {
            log::info!("seeded the demo dataset into {:?}", settings.database);
        }
        print_personas(&settings, &address, &mut conn)?;
    }
    let app = Application::build_on(&settings, pool, listener).map_err(|e| e.to_string())?;
    // A closed stdout (a reader that stopped at the first line) must not stop the server, so
    // write errors are ignored; "listening" comes last, once everything else is printed.
    let mut out = std::io::stdout().lock();
    for line in [
        format!("Swagger UI:   {address}/swagger-ui/"),
        format!("OpenAPI:      {address}/api-docs/openapi.json"),
        format!("slr listening on {address}"),
    ] {
        let _ = writeln!(out, "{line}");
    }
    let _ = out.flush();
    drop(out);
    actix_web::rt::System::new()
        .block_on(app.run_until_stopped())
        .map_err(|e| e.to_string())
}

fn healthcheck(url: Option<String>) -> Result<(), String> {
    let url = match url {
        Some(url) => url,
        None => {
            let bind = std::env::var("SLR_BIND").unwrap_or_else(|_| "127.0.0.1:8080".to_owned());
            let port = bind
                .parse::<std::net::SocketAddr>()
                .map_err(|e| format!("SLR_BIND {bind:?}: {e}"))?
                .port();
            format!("http://127.0.0.1:{port}/readyz")
        }
    };
    let status = actix_web::rt::System::new().block_on(async {
        reqwest::Client::builder()
            .timeout(Duration::from_secs(2))
            .build()
            .map_err(|e| e.to_string())?
            .get(&url)
            .send()
            .await
            .map(|response| response.status())
            .map_err(|e| format!("{url}: {e}"))
    })?;
    if status.is_success() {
        println!("{url}: {status}");
        Ok(())
    } else {
        Err(format!("{url}: {status}"))
    }
}

fn local_port(listener: &std::net::TcpListener) -> Result<u16, String> {
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| e.to_string())
}

/// Prints a 24-hour token for each demo persona present in the database, as `export` lines
/// to paste into a shell, and its status page, opened with a feed token that stays the same
/// across restarts on the same data folder (derived from its signing secret and the contact).
fn print_personas(
    settings: &Settings,
    address: &str,
    conn: &mut persistence::DbConnection,
) -> Result<(), String> {
    let authority = TokenAuthority::new(&settings.jwt)?;
    let page_token = domain::FeedTokenName::parse("Demo status page").map_err(|e| e.to_string())?;
    // A reader that stops early (`slr serve | head`) must not stop the server: write errors
    // on stdout are ignored.
    let mut out = std::io::stdout().lock();
    let _ = writeln!(
        out,
        "Demo tokens (valid 24h; paste the export lines into a shell, or a token into Swagger UI's"
    );
    let _ = writeln!(out, "Authorize), and each persona's status page:");
    for persona in demo::PERSONAS {
        let email = Email::parse(persona.email).map_err(|e| e.to_string())?;
        let Ok(contact) = run_on(conn, |conn| contacts::find_by_email(conn, &email)) else {
            continue;
        };
        let id = contact.item.id;
        let token = authority.issue(id, Duration::from_secs(24 * 3600))?;
        let feed = demo_feed_token(settings, id)?;
        let (hash, prefix) = (
            crate::http::auth::feed_token::token_hash(&feed),
            crate::http::auth::feed_token::token_prefix(&feed),
        );
        run_on(conn, |conn| {
            persistence::repo::transaction(conn, |conn| {
                persistence::repo::feed_tokens::ensure_named(conn, id, &page_token, &hash, &prefix)
            })
        })?;
        let _ = writeln!(out, "  {} <{}>:", persona.role, persona.email);
        let _ = writeln!(out, "    export {}={token}", token_variable(persona.email));
        let _ = writeln!(out, "    status page: {address}/status-page?token={feed}");
    }
    let _ = writeln!(
        out,
        "  then e.g.: curl -H \"Authorization: Bearer ${}\" {address}/api/v1/status",
        token_variable(demo::PERSONAS[0].email)
    );
    Ok(())
}

/// `SLR_TOKEN_ALICE` for alice@northwind.example: a shell variable name per persona.
fn token_variable(email: &str) -> String {
    let local = email.split('@').next().unwrap_or(email);
    let name: String = local
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect();
    format!("SLR_TOKEN_{name}")
}

/// The demo status-page feed token of `contact`: an HMAC of the contact id under the data
/// folder's signing secret, so restarts print (and keep valid) the same URLs, and nobody
/// without the secret can derive one.
fn demo_feed_token(settings: &Settings, contact: domain::ContactId) -> Result<String, String> {
    let crate::settings::JwtKey::Secret(secret) = &settings.jwt.key else {
        return Ok(crate::http::auth::feed_token::new_token());
    };
    let key = jsonwebtoken::EncodingKey::from_secret(secret.expose().as_bytes());
    let message = format!("slr demo status page\0{}", contact.0);
    let mac = jsonwebtoken::crypto::sign(message.as_bytes(), &key, jsonwebtoken::Algorithm::HS256)
        .map_err(|e| e.to_string())?;
    Ok(format!(
        "{}{mac}",
        crate::http::auth::feed_token::TOKEN_PREFIX
    ))
}
