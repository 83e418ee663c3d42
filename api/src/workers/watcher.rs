//! The read-model watcher: keeps this replica's model current (polling, and Postgres `LISTEN`).

use std::sync::atomic::Ordering;
use std::sync::Weak;
use std::time::Duration;

use persistence::model::ReadModel;
use persistence::DatabaseTarget;

use crate::workers::Worker;

/// The watcher's Postgres `application_name`, to find it in `pg_stat_activity`.
pub const WATCHER_NAME: &str = "slr-data-version";

/// Keeps `model` current until the server holding it is gone: a watcher applies the changes
/// after the model's version (`ReadModel::catch_up`) every `every`, on a connection of its own
/// (outside the pool, so it never competes with requests) — which also covers writes by other
/// processes and a listener that lost its connection — and at once when, on Postgres, the
/// listener hears a commit's `NOTIFY slr_data` with a newer version. Changes older than
/// `retention` are purged from the log once a minute.
pub fn watch(
    target: DatabaseTarget,
    every: Duration,
    retention: Duration,
    model: Weak<ReadModel>,
) -> Worker {
    let keep = time::Duration::try_from(retention).unwrap_or(time::Duration::days(7));
    let (wake, woken) = std::sync::mpsc::channel::<()>();
    if let DatabaseTarget::Postgres(url) = &target {
        listen(url.clone(), model.clone(), wake.clone());
    }
    Worker::spawn("slr-data-version", wake, move |stopped| {
        let mut conn = None;
        // Consecutive failures: while the database is away, try less often (up to 16 × every).
        let mut failures: u32 = 0;
        let mut purged = std::time::Instant::now();
        loop {
            // A wake-up (the listener, or the stop), or the interval.
            let interval = every * 2u32.pow(failures.min(4));
            let _ = woken.recv_timeout(interval);
            if stopped.load(Ordering::Acquire) {
                return;
            }
            let Some(model) = model.upgrade() else {
                return;
            };
            if conn.is_none() {
                conn = connect_watcher(&target);
            }
            let caught_up = match conn.as_mut() {
                Some(open) => model.catch_up(open),
                None => Err(persistence::RepoError::Unavailable("no connection".into())),
            };
            if caught_up.is_ok() && purged.elapsed() > PURGE_EVERY {
                purged = std::time::Instant::now();
                if let Some(Err(error)) =
                    conn.as_mut().map(|c| persistence::changes::purge(c, keep))
                {
                    log::warn!("cannot purge the change log: {error}");
                }
            }
            match caught_up {
                Ok(_) => failures = 0,
                Err(error) => {
                    if failures == 0 {
                        log::warn!("cannot bring the read model up to date: {error}");
                    }
                    failures = failures.saturating_add(1);
                    conn = None;
                }
            }
        }
    })
}

/// How often each replica's watcher purges old changes from the log.
const PURGE_EVERY: Duration = Duration::from_secs(60);

/// The channel the data-version trigger notifies, with the new version as payload.
const CHANNEL: &str = "slr_data";

/// Runs a `LISTEN slr_data` connection (tokio-postgres, which waits for notifications instead
/// of polling) on a thread of its own, reconnecting after a second when it drops; wakes the
/// watcher for each version newer than the model's.
fn listen(url: String, model: Weak<ReadModel>, wake: std::sync::mpsc::Sender<()>) {
    let spawned = std::thread::Builder::new()
        .name("slr-data-listen".to_owned())
        .spawn(move || {
            let runtime = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(runtime) => runtime,
                Err(error) => return log::error!("cannot start the data listener: {error}"),
            };
            runtime.block_on(async move {
                let mut reported = false;
                while model.strong_count() > 0 {
                    if let Err(error) = listen_once(&url, &model, &wake).await {
                        if !reported {
                            log::warn!("the data listener stopped ({error}); polling covers it");
                        }
                        reported = true;
                    }
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            });
        });
    if let Err(error) = spawned {
        log::error!("cannot start the data listener: {error}");
    }
}

/// One listening connection, until it fails or the server is gone.
async fn listen_once(
    url: &str,
    model: &Weak<ReadModel>,
    wake: &std::sync::mpsc::Sender<()>,
) -> Result<(), tokio_postgres::Error> {
    use tokio_postgres::AsyncMessage;
    let (client, mut connection) = tokio_postgres::connect(url, tokio_postgres::NoTls).await?;
    let (heard, mut hearing) = tokio::sync::mpsc::unbounded_channel();
    // The connection must be polled for the client to work; it hands notifications over.
    let driver = tokio::spawn(async move {
        while let Some(message) = std::future::poll_fn(|cx| connection.poll_message(cx)).await {
            match message {
                Ok(AsyncMessage::Notification(note)) => {
                    let _ = heard.send(note.payload().parse::<i64>().ok());
                }
                Ok(_) => {}
                Err(error) => return Err(error),
            }
        }
        Ok(())
    });
    client
        .batch_execute(&format!(
            "SET application_name TO '{WATCHER_NAME}'; LISTEN {CHANNEL}"
        ))
        .await?;
    loop {
        match tokio::time::timeout(Duration::from_secs(1), hearing.recv()).await {
            Ok(Some(announced)) => {
                let Some(model) = model.upgrade() else { break };
                if announced.is_none_or(|version| version > model.version()) {
                    let _ = wake.send(());
                }
            }
            // Only to notice a server that is gone.
            Err(_) if model.strong_count() > 0 => {}
            Err(_) => break,
            // The connection ended: report why.
            Ok(None) => {
                return match driver.await {
                    Ok(result) => result,
                    Err(_) => Ok(()),
                }
            }
        }
    }
    driver.abort();
    Ok(())
}

/// The watcher's own connection, named on Postgres.
fn connect_watcher(target: &DatabaseTarget) -> Option<persistence::DbConnection> {
    use diesel::connection::SimpleConnection;
    let mut conn = persistence::connect_one(target.clone()).ok()?;
    if target.is_postgres() {
        conn.batch_execute(&format!("SET application_name TO '{WATCHER_NAME}'"))
            .ok()?;
    }
    Some(conn)
}
