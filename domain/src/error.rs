//! Typed errors of the domain rules.

/// What a domain rule rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    /// A field's value is not acceptable; `field` is the wire name of the field.
    #[error("{field}: {message}")]
    InvalidField {
        field: &'static str,
        message: String,
    },
    /// Event text names a tenant or an account (see [`crate::mentions`]).
    #[error("{field}: {message}")]
    NameInText {
        field: &'static str,
        kind: crate::mentions::NamedKind,
        message: String,
    },
    /// The requested change breaks a rule that spans several fields or objects.
    #[error("{0}")]
    Conflict(String),
    /// The account keeps as many of these as it may (the message names the limit).
    #[error("{0}")]
    LimitReached(String),
}

impl DomainError {
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        Self::InvalidField {
            field,
            message: message.into(),
        }
    }
}
