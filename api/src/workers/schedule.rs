//! Maintenance that runs itself: at each turn, every window whose time came takes its step —
//! a `maintenance.reminder` before its start, `in_progress` at its scheduled start, `completed`
//! at its scheduled end — each in its own transaction with its announcement. A step is a
//! conditional update, so when two replicas (or a replica and a test's turn) run at once, one
//! of them takes it and announces it; the other finds nothing to do: exactly once, without a
//! lock held between turns.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, Sender};

use domain::WebhookEventType;
use persistence::repo::maintenances::{self, Step};
use persistence::{DatabaseTarget, DbConnection, RepoResult};
use time::OffsetDateTime;

use crate::http::db::Announcing;
use crate::settings::MaintenanceSettings;
use crate::views::maintenances::Maintenances;
use crate::workers::delivery::Outbox;
use crate::workers::Worker;

/// What takes maintenance steps: the background worker runs it in a loop; tests run a turn on
/// demand at an instant of their choosing ([`Scheduler::run_due_at`]).
#[derive(Clone)]
pub struct Scheduler {
    target: DatabaseTarget,
    model: Announcing,
    outbox: Outbox,
    settings: MaintenanceSettings,
}

impl Scheduler {
    pub fn new(
        target: DatabaseTarget,
        model: Announcing,
        outbox: Outbox,
        settings: MaintenanceSettings,
    ) -> Self {
        Self {
            target,
            model,
            outbox,
            settings,
        }
    }

    /// Takes every step due at `now`; how many this turn took.
    fn turn(&self, conn: &mut DbConnection, now: OffsetDateTime) -> RepoResult<usize> {
        let due = maintenances::due(conn, now, self.settings.remind_before)?;
        if due.is_empty() {
            return Ok(0);
        }
        // The directory the announcements are rendered with includes every committed change.
        self.model.catch_up(conn)?;
        let mut taken = 0;
        for (id, step) in due {
            let event = match step {
                Step::Remind => WebhookEventType::MaintenanceReminder,
                Step::Start => WebhookEventType::MaintenanceStarted,
                Step::Complete => WebhookEventType::MaintenanceCompleted,
            };
            let took = persistence::repo::transaction(conn, |conn| {
                let took = maintenances::take_step(conn, id, step, now)?;
                if took {
                    crate::services::webhooks::announce::<Maintenances>(
                        conn,
                        &self.model,
                        event,
                        id,
                    )?;
                }
                Ok(took)
            })?;
            if took {
                log::info!("maintenance {id}: {}", event.as_str());
                taken += 1;
            }
        }
        if taken > 0 {
            // Like a write request: this replica reads its own steps at once (not at the
            // watcher's next poll), and its worker sends what they announced.
            self.model.catch_up(conn)?;
            self.outbox.wake();
        }
        Ok(taken)
    }

    /// One turn at `now` on a connection of its own (blocking work on a blocking thread).
    pub async fn run_due_at(&self, now: OffsetDateTime) -> RepoResult<usize> {
        let this = self.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = persistence::connect_one(this.target.clone())?;
            this.turn(&mut conn, now)
        })
        .await
        .map_err(|e| persistence::RepoError::Unavailable(e.to_string()))?
    }
}

/// Starts the background scheduler; it stops when the returned handle is dropped.
pub fn start(scheduler: Scheduler) -> Worker {
    let (wake, woken): (Sender<()>, Receiver<()>) = std::sync::mpsc::channel();
    Worker::spawn("slr-maintenance", wake, move |stop| {
        run(&scheduler, &woken, &stop);
    })
}

fn run(scheduler: &Scheduler, woken: &Receiver<()>, stop: &AtomicBool) {
    let mut conn: Option<DbConnection> = None;
    let mut failures: u32 = 0;
    loop {
        let _ = woken.recv_timeout(scheduler.settings.poll * 2u32.pow(failures.min(4)));
        if stop.load(Ordering::Acquire) {
            return;
        }
        if conn.is_none() {
            conn = persistence::connect_one(scheduler.target.clone())
                .map_err(|error| log::debug!("the maintenance scheduler cannot connect: {error}"))
                .ok();
        }
        let Some(open) = conn.as_mut() else {
            failures = failures.saturating_add(1);
            continue;
        };
        match scheduler.turn(open, OffsetDateTime::now_utc()) {
            Ok(_) => failures = 0,
            Err(error) => {
                if failures == 0 {
                    log::warn!("maintenance scheduler: {error}");
                }
                failures = failures.saturating_add(1);
                conn = None;
            }
        }
    }
}
