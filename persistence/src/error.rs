//! Repository errors: every diesel and pool error is mapped here, in one place.

use diesel::result::{DatabaseErrorInformation, DatabaseErrorKind, Error as DieselError};
use domain::DomainError;

/// What a repository call can fail with.
#[derive(Debug, thiserror::Error)]
pub enum RepoError {
    /// No such row, or not in the caller's scope.
    #[error("not found")]
    NotFound,
    /// A unique constraint refused the write; `field` is the offending column when known.
    #[error("{}", duplicate(.field.as_deref()))]
    Duplicate { field: Option<String> },
    /// A foreign key refused the write or delete: the row is referenced or references nothing.
    #[error("still referenced or referencing a missing row: {0}")]
    InUse(String),
    /// The row changed since the caller read it (optimistic concurrency).
    #[error("stale version")]
    Stale,
    /// SQLite could not take its write lock; the transaction may be retried.
    #[error("database busy: {0}")]
    Busy(String),
    /// A domain rule refused the change.
    #[error(transparent)]
    Domain(#[from] DomainError),
    /// The database cannot be reached.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    #[error("migration failed: {0}")]
    Migration(String),
    /// A stored row no longer satisfies the domain rules.
    #[error("corrupt row: {0}")]
    Corrupt(String),
    #[error("database error")]
    Database(#[source] DieselError),
}

/// A unique violation in words: `another row already has this email`.
fn duplicate(field: Option<&str>) -> String {
    match field {
        Some(field) => format!("another row already has this {field}"),
        None => "such a row already exists".to_owned(),
    }
}

impl From<DieselError> for RepoError {
    fn from(error: DieselError) -> Self {
        match error {
            DieselError::NotFound => RepoError::NotFound,
            DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
                RepoError::Duplicate {
                    field: unique_column(info.as_ref()),
                }
            }
            DieselError::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, info) => {
                RepoError::InUse(info.message().to_owned())
            }
            DieselError::DatabaseError(DatabaseErrorKind::ClosedConnection, info) => {
                RepoError::Unavailable(info.message().to_owned())
            }
            DieselError::DatabaseError(_, info) if is_busy(info.message()) => {
                RepoError::Busy(info.message().to_owned())
            }
            other => RepoError::Database(other),
        }
    }
}

impl From<r2d2::Error> for RepoError {
    fn from(error: r2d2::Error) -> Self {
        RepoError::Unavailable(error.to_string())
    }
}

/// The last column named by a unique violation.
///
/// Postgres: details `Key (service_id, name)=(1, x) already exists.`;
/// SQLite: message `UNIQUE constraint failed: tenants.service_id, tenants.name`.
fn unique_column(info: &dyn DatabaseErrorInformation) -> Option<String> {
    if let Some(details) = info.details() {
        let inner = details.strip_prefix("Key (")?.split(")=").next()?;
        return inner.rsplit(", ").next().map(str::to_owned);
    }
    let list = info.message().strip_prefix("UNIQUE constraint failed: ")?;
    let last = list.rsplit(", ").next()?;
    last.rsplit('.').next().map(str::to_owned)
}

/// SQLite's "database is locked" (SQLITE_BUSY): another connection holds the write lock, or a
/// read transaction could not be upgraded after another commit.
fn is_busy(message: &str) -> bool {
    message.contains("database is locked") || message.contains("database table is locked")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_duplicate_reads_as_words() {
        let field = RepoError::Duplicate {
            field: Some("email".to_owned()),
        };
        assert_eq!(field.to_string(), "another row already has this email");
        let unnamed = RepoError::Duplicate { field: None };
        assert_eq!(unnamed.to_string(), "such a row already exists");
    }
}
