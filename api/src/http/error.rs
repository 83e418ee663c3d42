//! API errors as `application/problem+json` (RFC 9457) with a stable snake_case `code`.
//! 5xx bodies stay generic; their cause goes to the log.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use domain::DomainError;
use persistence::RepoError;
use serde::Serialize;
use utoipa::{IntoResponses, ToSchema};

pub const PROBLEM_JSON: &str = "application/problem+json";

/// An RFC 9457 problem document.
#[derive(Debug, Clone, Serialize, serde::Deserialize, ToSchema, PartialEq)]
pub struct Problem {
    /// Always `about:blank`: `code` identifies the problem.
    #[serde(rename = "type")]
    pub problem_type: String,
    /// The HTTP status phrase.
    pub title: String,
    pub status: u16,
    /// What went wrong, for people.
    pub detail: String,
    /// What went wrong, for programs: stable snake_case, e.g. `validation_failed`.
    pub code: String,
    /// Per-field messages, when the request named bad values.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

/// A message about one request field (JSON body path, query or path parameter).
#[derive(Debug, Clone, Serialize, serde::Deserialize, ToSchema, PartialEq)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

/// Declares [`ErrorCode`]: each code, its wire spelling and its HTTP status, in one table.
macro_rules! error_codes {
    ($($variant:ident = $text:literal, $status:ident;)+) => {
        /// Every problem `code` the API answers with, with its HTTP status: stable snake_case
        /// strings clients may match on (the table is checked by a snapshot test).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ErrorCode {
            $($variant),+
        }

        impl ErrorCode {
            /// Every code, in the table's order.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant),+];

            /// The code as clients read it in `code`.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $text),+
                }
            }

            /// The status every answer with this code has.
            pub fn status(self) -> StatusCode {
                match self {
                    $(ErrorCode::$variant => StatusCode::$status),+
                }
            }
        }
    };
}

error_codes! {
    AlreadyExists = "already_exists", CONFLICT;
    CannotRemoveSelf = "cannot_remove_self", CONFLICT;
    Conflict = "conflict", CONFLICT;
    DatabaseUnavailable = "database_unavailable", SERVICE_UNAVAILABLE;
    EmailNotConfigured = "email_not_configured", CONFLICT;
    StatementKeyMissing = "statement_key_missing", CONFLICT;
    Forbidden = "forbidden", FORBIDDEN;
    IdempotencyKeyReused = "idempotency_key_reused", UNPROCESSABLE_ENTITY;
    InUse = "in_use", CONFLICT;
    InternalError = "internal_error", INTERNAL_SERVER_ERROR;
    InvalidFeedToken = "invalid_feed_token", UNAUTHORIZED;
    InvalidParameter = "invalid_parameter", BAD_REQUEST;
    InvalidToken = "invalid_token", UNAUTHORIZED;
    LimitReached = "limit_reached", CONFLICT;
    MalformedJson = "malformed_json", BAD_REQUEST;
    MethodNotAllowed = "method_not_allowed", METHOD_NOT_ALLOWED;
    MissingToken = "missing_token", UNAUTHORIZED;
    NameInText = "name_in_text", UNPROCESSABLE_ENTITY;
    NotFound = "not_found", NOT_FOUND;
    PayloadTooLarge = "payload_too_large", PAYLOAD_TOO_LARGE;
    PreconditionFailed = "precondition_failed", PRECONDITION_FAILED;
    RateLimited = "rate_limited", TOO_MANY_REQUESTS;
    RequestTimeout = "request_timeout", REQUEST_TIMEOUT;
    RouteNotFound = "route_not_found", NOT_FOUND;
    SinceExpired = "since_expired", GONE;
    TokenExpired = "token_expired", UNAUTHORIZED;
    UnknownContact = "unknown_contact", UNAUTHORIZED;
    UnreadableBody = "unreadable_body", BAD_REQUEST;
    UnsupportedMediaType = "unsupported_media_type", UNSUPPORTED_MEDIA_TYPE;
    ValidationFailed = "validation_failed", UNPROCESSABLE_ENTITY;
}

impl Serialize for ErrorCode {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// An error a handler answers with.
#[derive(Debug, Clone)]
pub struct ApiError {
    code: ErrorCode,
    detail: String,
    errors: Vec<FieldError>,
    challenge: bool,
    /// Seconds for a `Retry-After` header.
    retry_after: Option<u32>,
}

impl ApiError {
    pub fn new(code: ErrorCode, detail: impl Into<String>) -> Self {
        Self {
            code,
            detail: detail.into(),
            errors: Vec::new(),
            challenge: false,
            retry_after: None,
        }
    }

    /// What went wrong, for people (the problem's `detail`).
    pub fn detail(&self) -> &str {
        &self.detail
    }

    /// Adds a per-field message.
    pub fn field(mut self, field: impl Into<String>, message: impl Into<String>) -> Self {
        self.errors.push(FieldError {
            field: field.into(),
            message: message.into(),
        });
        self
    }

    pub fn unauthorized(code: ErrorCode, detail: impl Into<String>) -> Self {
        Self {
            challenge: true,
            ..Self::new(code, detail)
        }
    }

    pub fn forbidden() -> Self {
        Self::new(ErrorCode::Forbidden, "only provider admins may change this")
    }

    pub fn not_found() -> Self {
        Self::new(ErrorCode::NotFound, "no such resource")
    }

    /// A request value that cannot be used, named by `field`.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(
            ErrorCode::ValidationFailed,
            "the request has invalid fields",
        )
        .field(field, message)
    }

    /// A query or path parameter that does not parse.
    pub fn bad_parameter(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(
            ErrorCode::InvalidParameter,
            "a query or path parameter is invalid",
        )
        .field(field, message)
    }

    pub fn internal(cause: impl std::fmt::Display) -> Self {
        log::error!("internal error: {cause}");
        Self::new(
            ErrorCode::InternalError,
            "the server failed to handle the request",
        )
    }

    pub fn unavailable(cause: impl std::fmt::Display) -> Self {
        log::warn!("database unavailable: {cause}");
        Self {
            retry_after: Some(1),
            ..Self::new(
                ErrorCode::DatabaseUnavailable,
                "the database cannot be reached; try again shortly",
            )
        }
    }

    /// Whether this is the 503 of an unreachable database.
    pub fn is_unavailable(&self) -> bool {
        self.code == ErrorCode::DatabaseUnavailable
    }

    pub fn code(&self) -> ErrorCode {
        self.code
    }

    pub fn problem(&self) -> Problem {
        Problem {
            problem_type: "about:blank".to_owned(),
            title: self
                .code
                .status()
                .canonical_reason()
                .unwrap_or("Error")
                .to_owned(),
            status: self.code.status().as_u16(),
            detail: self.detail.clone(),
            code: self.code.as_str().to_owned(),
            errors: self.errors.clone(),
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.code.status().as_u16(),
            self.code.as_str(),
            self.detail
        )
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.code.status()
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.code.status());
        response.insert_header((header::CONTENT_TYPE, PROBLEM_JSON));
        if let Some(seconds) = self.retry_after {
            response.insert_header((header::RETRY_AFTER, seconds.to_string()));
        }
        if self.challenge {
            response.insert_header((
                header::WWW_AUTHENTICATE,
                format!("Bearer realm=\"slr\", error=\"{}\"", self.code.as_str()),
            ));
        }
        response.body(serde_json::to_vec(&self.problem()).unwrap_or_default())
    }
}

impl From<DomainError> for ApiError {
    fn from(error: DomainError) -> Self {
        match error {
            DomainError::InvalidField { field, message } => ApiError::invalid(field, message),
            DomainError::NameInText {
                field,
                kind,
                message,
            } => ApiError::new(
                ErrorCode::NameInText,
                match kind {
                    domain::NamedKind::Tenant => "event text names a tenant",
                    domain::NamedKind::Account => "event text names an account",
                },
            )
            .field(field, message),
            DomainError::Conflict(message) => ApiError::new(ErrorCode::Conflict, message),
            DomainError::LimitReached(message) => ApiError::new(ErrorCode::LimitReached, message),
        }
    }
}

impl From<RepoError> for ApiError {
    fn from(error: RepoError) -> Self {
        match error {
            RepoError::NotFound => ApiError::not_found(),
            RepoError::Duplicate { field } => {
                let conflict = ApiError::new(
                    ErrorCode::AlreadyExists,
                    "a resource with these values already exists",
                );
                match field {
                    Some(field) => conflict.field(field, "is already taken"),
                    None => conflict,
                }
            }
            RepoError::InUse(cause) => {
                log::info!("foreign key refused a change: {cause}");
                ApiError::new(
                    ErrorCode::InUse,
                    "other resources still refer to this one; remove them first",
                )
            }
            RepoError::Domain(error) => error.into(),
            RepoError::Stale => ApiError::new(
                ErrorCode::PreconditionFailed,
                "the resource changed since you read it (If-Match); GET it again and retry",
            ),
            RepoError::Unavailable(cause) => ApiError::unavailable(cause),
            other => ApiError::internal(error_chain(&other)),
        }
    }
}

/// The error and all its sources, for the log.
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Problems any authenticated read can answer.
#[derive(IntoResponses)]
#[allow(dead_code)]
pub enum ReadProblems {
    /// A query or path parameter is invalid.
    #[response(status = 400, content_type = "application/problem+json")]
    BadRequest(Problem),
    /// The bearer token is missing, invalid, expired, or names no contact.
    #[response(status = 401, content_type = "application/problem+json")]
    Unauthorized(Problem),
    /// No such resource in the caller's scope.
    #[response(status = 404, content_type = "application/problem+json")]
    NotFound(Problem),
    /// The database cannot be reached (answered at once while an outage lasts).
    #[response(
        status = 503,
        content_type = "application/problem+json",
        headers(("Retry-After" = u32, description = "Seconds to wait before retrying"))
    )]
    Unavailable(Problem),
}

/// Problems any write can answer.
#[derive(IntoResponses)]
#[allow(dead_code)]
pub enum WriteProblems {
    /// Malformed JSON or an invalid parameter.
    #[response(status = 400, content_type = "application/problem+json")]
    BadRequest(Problem),
    /// The bearer token is missing, invalid, expired, or names no contact.
    #[response(status = 401, content_type = "application/problem+json")]
    Unauthorized(Problem),
    /// The caller may see but not change this: only provider admins write.
    #[response(status = 403, content_type = "application/problem+json")]
    Forbidden(Problem),
    /// No such resource in the caller's scope.
    #[response(status = 404, content_type = "application/problem+json")]
    NotFound(Problem),
    /// A unique value is taken, or other resources still refer to this one.
    #[response(status = 409, content_type = "application/problem+json")]
    Conflict(Problem),
    /// The body did not arrive in time (`SLR_BODY_TIMEOUT_MS`).
    #[response(status = 408, content_type = "application/problem+json")]
    RequestTimeout(Problem),
    /// The body is larger than the server accepts.
    #[response(status = 413, content_type = "application/problem+json")]
    PayloadTooLarge(Problem),
    /// The body is not `application/json`.
    #[response(status = 415, content_type = "application/problem+json")]
    UnsupportedMediaType(Problem),
    /// A field has an invalid value; `errors` names it.
    #[response(status = 422, content_type = "application/problem+json")]
    Unprocessable(Problem),
    /// The database cannot be reached (answered at once while an outage lasts).
    #[response(
        status = 503,
        content_type = "application/problem+json",
        headers(("Retry-After" = u32, description = "Seconds to wait before retrying"))
    )]
    Unavailable(Problem),
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The codes are part of the contract: a rename, a removal or a status change shows here.
    #[test]
    fn every_error_code_keeps_its_spelling_and_status() {
        let table: Vec<serde_json::Value> = ErrorCode::ALL
            .iter()
            .map(|code| json!([code, code.status().as_u16()]))
            .collect();
        assert_eq!(
            serde_json::Value::Array(table),
            json!([
                ["already_exists", 409],
                ["cannot_remove_self", 409],
                ["conflict", 409],
                ["database_unavailable", 503],
                ["email_not_configured", 409],
                ["statement_key_missing", 409],
                ["forbidden", 403],
                ["idempotency_key_reused", 422],
                ["in_use", 409],
                ["internal_error", 500],
                ["invalid_feed_token", 401],
                ["invalid_parameter", 400],
                ["invalid_token", 401],
                ["limit_reached", 409],
                ["malformed_json", 400],
                ["method_not_allowed", 405],
                ["missing_token", 401],
                ["name_in_text", 422],
                ["not_found", 404],
                ["payload_too_large", 413],
                ["precondition_failed", 412],
                ["rate_limited", 429],
                ["request_timeout", 408],
                ["route_not_found", 404],
                ["since_expired", 410],
                ["token_expired", 401],
                ["unknown_contact", 401],
                ["unreadable_body", 400],
                ["unsupported_media_type", 415],
                ["validation_failed", 422]
            ])
        );
    }

    #[test]
    fn a_problem_reads_exactly_so_on_the_wire() {
        let problem = ApiError::invalid("title", "must not be blank").problem();
        assert_eq!(
            serde_json::to_value(problem).unwrap(),
            json!({
                "type": "about:blank",
                "title": "Unprocessable Entity",
                "status": 422,
                "detail": "the request has invalid fields",
                "code": "validation_failed",
                "errors": [{"field": "title", "message": "must not be blank"}]
            })
        );
    }
}
