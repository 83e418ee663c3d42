//! `slr serve` with the embedded demo (issue 17): it binds its port before anything else, so a
//! second one on a taken port fails without seeding or rotating the running one's feed tokens;
//! the demo's status-page URLs stay the same across restarts of one data folder; the persona
//! tokens are printed as `export` lines that work.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test: failing loudly is its job

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

fn command(data: &Path, port: u16) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_slr"));
    command
        .arg("serve")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("SLR_DATA_DIR", data)
        .env("SLR_BIND", format!("127.0.0.1:{port}"))
        .env("RUST_LOG", "warn");
    command
}

/// A running `slr serve` and what it printed until it listened.
struct Server {
    child: Child,
    printed: String,
}

impl Server {
    /// `slr serve` with its stdout piped to the test, owned at once, so a failure later still
    /// kills and reaps it (Drop).
    fn spawn(data: &Path, port: u16) -> Self {
        let child = command(data, port)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("slr starts");
        Server {
            child,
            printed: String::new(),
        }
    }

    /// A server that has printed everything up to "slr listening on".
    fn start(data: &Path, port: u16) -> Self {
        let mut server = Self::spawn(data, port);
        let stdout = server.child.stdout.take().unwrap();
        let (lines, received) = mpsc::channel();
        std::thread::spawn(move || {
            // Read to the end even once nobody listens: a closed pipe would fail the server's
            // next write.
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = lines.send(line);
            }
        });
        loop {
            let line = received
                .recv_timeout(Duration::from_secs(120))
                .unwrap_or_else(|_| {
                    panic!("slr serve did not listen; printed:\n{}", server.printed)
                });
            server.printed.push_str(&line);
            server.printed.push('\n');
            if line.starts_with("slr listening on") {
                return server;
            }
        }
    }

    /// The value after `prefix` on the first line under `email` that has it.
    fn value_for(&self, email: &str, prefix: &str) -> String {
        self.printed
            .lines()
            .skip_while(|line| !line.contains(email))
            .find_map(|line| line.trim().strip_prefix(prefix).map(str::to_owned))
            .unwrap_or_else(|| panic!("no {prefix:?} for {email} in:\n{}", self.printed))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Whether `slr healthcheck` (the container's) passes: 200 from /readyz on SLR_BIND's port.
fn healthcheck(port: u16) -> bool {
    Command::new(env!("CARGO_BIN_EXE_slr"))
        .arg("healthcheck")
        .env("SLR_BIND", format!("0.0.0.0:{port}"))
        .output()
        .unwrap()
        .status
        .success()
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The status code of a GET.
fn status_of(port: u16, path_and_query: &str, token: Option<&str>) -> u16 {
    let url = format!("http://127.0.0.1:{port}{path_and_query}");
    actix_web::rt::System::new().block_on(async {
        let mut request = reqwest::Client::new().get(&url);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().await.unwrap().status().as_u16()
    })
}

fn path_of(url: &str) -> &str {
    let after_scheme = url.strip_prefix("http://").unwrap();
    &after_scheme[after_scheme.find('/').unwrap()..]
}

#[test]
fn serve_binds_first_keeps_demo_urls_and_prints_export_lines() {
    let data = tempfile::tempdir().unwrap();
    let port = free_port();
    let first = Server::start(data.path(), port);
    let page = first.value_for("alice@northwind.example", "status page: ");
    assert_eq!(status_of(port, path_of(&page), None), 200, "{page}");
    let token = first.value_for("alice@northwind.example", "export SLR_TOKEN_ALICE=");
    assert_eq!(token.split('.').count(), 3, "a JWT: {token}");
    assert_eq!(status_of(port, "/api/v1/me", Some(&token)), 200);

    // A second server on the taken port: fails, prints no demo, touches neither the running
    // server's data (its page URL still opens) nor an empty data folder.
    let fresh = tempfile::tempdir().unwrap();
    for folder in [data.path(), fresh.path()] {
        let second: Output = command(folder, port).output().unwrap();
        assert!(
            !second.status.success(),
            "a second server on a taken port fails"
        );
        let printed = String::from_utf8_lossy(&second.stdout);
        assert!(!printed.contains("status page"), "{printed}");
        assert!(
            String::from_utf8_lossy(&second.stderr).contains(&port.to_string()),
            "the error names the address"
        );
    }
    assert!(!fresh.path().join("slr.db").exists(), "nothing seeded");
    assert_eq!(status_of(port, path_of(&page), None), 200, "still opens");

    // The container healthcheck: 200 from /readyz, on SLR_BIND's port by default.
    assert!(healthcheck(port));

    // A restart on the same folder prints the same status page URL.
    drop(first);
    assert!(!healthcheck(port), "nothing listens");
    let port = free_port();
    let again = Server::start(data.path(), port);
    let page_again = again.value_for("alice@northwind.example", "status page: ");
    assert_eq!(path_of(&page_again), path_of(&page));
    assert_eq!(status_of(port, path_of(&page_again), None), 200);
}

/// `slr serve | head -1` and the like: a reader that closes stdout early must not stop the
/// server (its banner is written, not `println!`ed, and write errors are ignored).
#[test]
fn a_reader_that_closes_stdout_at_once_does_not_stop_the_server() {
    let data = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut server = Server::spawn(data.path(), port);
    drop(server.child.stdout.take());
    // Ready once it answers; it exits instead if writing its banner failed it.
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    let ready = loop {
        if let Some(status) = server.child.try_wait().unwrap() {
            panic!("slr serve exited with a closed stdout: {status}");
        }
        let healthy = healthcheck(port);
        if healthy || std::time::Instant::now() > deadline {
            break healthy;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(ready, "slr serve never became ready");
    assert_eq!(status_of(port, "/healthz", None), 200);
    assert!(server.child.try_wait().unwrap().is_none(), "still running");
}
