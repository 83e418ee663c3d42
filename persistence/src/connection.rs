//! The database connection over Postgres or SQLite, its r2d2 pool and migrations.

use std::time::Duration;

use diesel::connection::{Instrumentation, InstrumentationEvent, SimpleConnection};
use diesel::{Connection, ConnectionError, PgConnection, SqliteConnection};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use crate::RepoError;

/// One connection to either backend; repositories take `&mut DbConnection`.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Postgresql(PgConnection),
    Sqlite(SqliteConnection),
}

pub type Pool = r2d2::Pool<ConnectionManager>;
pub type PooledConnection = r2d2::PooledConnection<ConnectionManager>;

const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../migrations/postgres");
const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../migrations/sqlite");

/// Which backend a database URL names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseTarget {
    /// A `postgres://` or `postgresql://` URL.
    Postgres(String),
    /// A SQLite file path (`sqlite://` prefix optional).
    Sqlite(String),
}

impl DatabaseTarget {
    /// Chooses the backend by URL scheme; any other scheme is an error.
    pub fn parse(url: &str) -> Result<Self, String> {
        let url = url.trim();
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Self::Postgres(url.to_owned()));
        }
        let path = url.strip_prefix("sqlite://").unwrap_or(url);
        if path.is_empty() {
            return Err("the database URL is empty".to_owned());
        }
        if path.contains("://") {
            return Err("the database URL must start with postgres://, postgresql:// or sqlite://, or be a SQLite file path".to_owned());
        }
        if path == ":memory:" {
            return Err(
                "an in-memory SQLite database cannot be shared by a pool; use a file path"
                    .to_owned(),
            );
        }
        Ok(Self::Sqlite(path.to_owned()))
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self, Self::Postgres(_))
    }
}

/// Opens connections for r2d2, choosing the backend by URL scheme so that a failure reports
/// the real cause at once (diesel's derived `establish` tries every backend and hides it).
#[derive(Debug, Clone)]
pub struct ConnectionManager {
    target: DatabaseTarget,
}

impl ConnectionManager {
    pub fn new(target: DatabaseTarget) -> Self {
        Self { target }
    }
}

impl r2d2::ManageConnection for ConnectionManager {
    type Connection = DbConnection;
    type Error = ConnectionError;

    fn connect(&self) -> Result<DbConnection, ConnectionError> {
        let mut conn = self.open()?;
        conn.set_instrumentation(Watch::default());
        Ok(conn)
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), ConnectionError> {
        conn.batch_execute("SELECT 1")
            .map_err(ConnectionError::CouldntSetupConfiguration)
    }

    /// As diesel's own manager: a connection left in a broken transaction (or by a panicking
    /// thread) is dropped instead of going back to the pool; so is one whose server closed it.
    fn has_broken(&self, conn: &mut DbConnection) -> bool {
        std::thread::panicking()
            || diesel::r2d2::R2D2Connection::is_broken(conn)
            || conn
                .instrumentation()
                .downcast_ref::<Watch>()
                .is_some_and(|watch| watch.closed)
    }
}

/// Notices when a pooled connection's server closed it.
#[derive(Debug, Default)]
struct Watch {
    closed: bool,
}

impl Instrumentation for Watch {
    fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
        use diesel::result::{DatabaseErrorKind, Error};
        if let InstrumentationEvent::FinishQuery {
            error:
                Some(Error::DatabaseError(
                    DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
                    _,
                )),
            ..
        } = event
        {
            self.closed = true;
        }
    }
}

impl ConnectionManager {
    /// A new connection of the target's backend, set up (not counted).
    fn open(&self) -> Result<DbConnection, ConnectionError> {
        match &self.target {
            DatabaseTarget::Postgres(url) => {
                PgConnection::establish(&with_bounds(url)).map(DbConnection::Postgresql)
            }
            DatabaseTarget::Sqlite(path) => {
                let mut conn = SqliteConnection::establish(path)?;
                // Foreign keys are off by default in SQLite; WAL lets readers run beside a
                // writer, and the busy timeout makes writers queue instead of failing.
                conn.batch_execute(
                    "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;",
                )
                .map_err(ConnectionError::CouldntSetupConfiguration)?;
                Ok(DbConnection::Sqlite(conn))
            }
        }
    }
}

/// libpq settings that bound how long a dead database can hold a request, unless the URL sets
/// them: `connect_timeout` (seconds; libpq's minimum, 2) gives up a connection attempt to a host
/// that does not answer, and `tcp_user_timeout` (ms) drops a connection whose sent data goes
/// unacknowledged, so a query in flight when the host vanishes fails (503) instead of waiting
/// out the kernel's retransmissions.
const BOUNDS: [(&str, &str); 2] = [("connect_timeout", "2"), ("tcp_user_timeout", "800")];

fn with_bounds(url: &str) -> std::borrow::Cow<'_, str> {
    let mut bounded = url.to_owned();
    for (name, value) in BOUNDS {
        if !url.contains(&format!("{name}=")) {
            let separator = if bounded.contains('?') { '&' } else { '?' };
            bounded.push_str(&format!("{separator}{name}={value}"));
        }
    }
    if bounded == url {
        url.into()
    } else {
        bounded.into()
    }
}

/// One connection, no pool: for one-shot commands, which must not leave pool threads still
/// connecting when the process exits (libpq/OpenSSL clean up at exit under their feet).
pub fn connect_one(target: DatabaseTarget) -> Result<DbConnection, RepoError> {
    ConnectionManager::new(target)
        .open()
        .map_err(|e| RepoError::Unavailable(e.to_string()))
}

/// Connects once (to report the real error quickly), then builds the pool.
pub fn connect(target: DatabaseTarget, max_size: u32) -> Result<Pool, RepoError> {
    let manager = ConnectionManager::new(target);
    r2d2::ManageConnection::connect(&manager).map_err(|e| RepoError::Unavailable(e.to_string()))?;
    Ok(r2d2::Pool::builder()
        .max_size(max_size)
        // No `SELECT 1` round trip per checkout: a broken connection fails its query, is
        // reported as unavailable and dropped by `has_broken`.
        .test_on_check_out(false)
        .connection_timeout(Duration::from_secs(5))
        .build_unchecked(manager))
}

/// Applies every pending migration of the connection's backend; returns the versions applied.
pub fn run_migrations(conn: &mut DbConnection) -> Result<Vec<String>, RepoError> {
    let migrations = match conn {
        DbConnection::Postgresql(_) => POSTGRES_MIGRATIONS,
        DbConnection::Sqlite(_) => SQLITE_MIGRATIONS,
    };
    let applied = conn
        .run_pending_migrations(migrations)
        .map_err(|e| RepoError::Migration(e.to_string()))?;
    Ok(applied.iter().map(ToString::to_string).collect())
}

#[cfg(test)]
mod bounds_tests {
    use super::with_bounds;

    #[test]
    fn bounds_are_added_unless_set() {
        assert_eq!(
            with_bounds("postgres://u@h/db"),
            "postgres://u@h/db?connect_timeout=2&tcp_user_timeout=800"
        );
        assert_eq!(
            with_bounds("postgres://u@h/db?sslmode=disable"),
            "postgres://u@h/db?sslmode=disable&connect_timeout=2&tcp_user_timeout=800"
        );
        let set = "postgres://u@h/db?connect_timeout=9&tcp_user_timeout=5000";
        assert_eq!(with_bounds(set), set);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_choose_the_backend() {
        assert!(DatabaseTarget::parse("postgres://u@h/db")
            .unwrap()
            .is_postgres());
        assert!(DatabaseTarget::parse("postgresql://u@h/db")
            .unwrap()
            .is_postgres());
        assert_eq!(
            DatabaseTarget::parse("sqlite://data/slr.db"),
            Ok(DatabaseTarget::Sqlite("data/slr.db".into()))
        );
        assert_eq!(
            DatabaseTarget::parse("/tmp/x.db"),
            Ok(DatabaseTarget::Sqlite("/tmp/x.db".into()))
        );
        assert!(DatabaseTarget::parse("mysql://h/db").is_err());
        assert!(DatabaseTarget::parse(":memory:").is_err());
        assert!(DatabaseTarget::parse("").is_err());
    }
}
