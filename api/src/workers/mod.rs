//! Background workers: the read-model watcher, the webhook delivery worker, the mailer and
//! the maintenance scheduler.

pub mod delivery;
pub mod mail;
pub mod schedule;
pub mod watcher;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// The name an outbox worker writes on its claims: the process and a random part, unique
/// across replicas and restarts.
pub fn worker_name() -> String {
    format!(
        "{}-{}",
        std::process::id(),
        crate::http::auth::feed_token::random_token(9)
    )
}

/// A background thread of the server (the read model's watcher, the webhook worker);
/// dropping it stops it and waits for it, so no query of its own is still running on its
/// (libpq) connection while the process exits.
pub struct Worker {
    stop: Arc<AtomicBool>,
    wake: std::sync::mpsc::Sender<()>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Worker {
    /// Runs `body` on a thread named `name`; `body` returns once the flag it is given is set
    /// (checked after each wake-up: the drop sends one on `wake`).
    pub fn spawn(
        name: &str,
        wake: std::sync::mpsc::Sender<()>,
        body: impl FnOnce(Arc<AtomicBool>) + Send + 'static,
    ) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = Arc::clone(&stop);
        let thread = std::thread::Builder::new()
            .name(name.to_owned())
            .spawn(move || body(stopped))
            .map_err(|error| log::error!("cannot start the {name} thread: {error}"))
            .ok();
        Self { stop, wake, thread }
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        let _ = self.wake.send(());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
