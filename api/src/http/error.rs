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

/// An error a handler answers with.
#[derive(Debug, Clone)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    detail: String,
    errors: Vec<FieldError>,
    challenge: bool,
    /// Seconds for a `Retry-After` header.
    retry_after: Option<u32>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, detail: impl Into<String>) -> Self {
        Self {
            status,
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

    pub fn unauthorized(code: &'static str, detail: impl Into<String>) -> Self {
        Self {
            challenge: true,
            ..Self::new(StatusCode::UNAUTHORIZED, code, detail)
        }
    }

    pub fn forbidden() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "only provider admins may change this",
        )
    }

    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", "no such resource")
    }

    /// A request value that cannot be used, named by `field`.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            "the request has invalid fields",
        )
        .field(field, message)
    }

    /// A query or path parameter that does not parse.
    pub fn bad_parameter(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "invalid_parameter",
            "a query or path parameter is invalid",
        )
        .field(field, message)
    }

    pub fn internal(cause: impl std::fmt::Display) -> Self {
        log::error!("internal error: {cause}");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "the server failed to handle the request",
        )
    }

    pub fn unavailable(cause: impl std::fmt::Display) -> Self {
        log::warn!("database unavailable: {cause}");
        Self {
            retry_after: Some(1),
            ..Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "database_unavailable",
                "the database cannot be reached; try again shortly",
            )
        }
    }

    /// Whether this is the 503 of an unreachable database.
    pub fn is_unavailable(&self) -> bool {
        self.code() == "database_unavailable"
    }

    pub fn code(&self) -> &'static str {
        self.code
    }

    pub fn problem(&self) -> Problem {
        Problem {
            problem_type: "about:blank".to_owned(),
            title: self.status.canonical_reason().unwrap_or("Error").to_owned(),
            status: self.status.as_u16(),
            detail: self.detail.clone(),
            code: self.code.to_owned(),
            errors: self.errors.clone(),
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.status.as_u16(), self.code, self.detail)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status);
        response.insert_header((header::CONTENT_TYPE, PROBLEM_JSON));
        if let Some(seconds) = self.retry_after {
            response.insert_header((header::RETRY_AFTER, seconds.to_string()));
        }
        if self.challenge {
            response.insert_header((
                header::WWW_AUTHENTICATE,
                format!("Bearer realm=\"slr\", error=\"{}\"", self.code),
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
                StatusCode::UNPROCESSABLE_ENTITY,
                "name_in_text",
                match kind {
                    domain::NamedKind::Tenant => "event text names a tenant",
                    domain::NamedKind::Account => "event text names an account",
                },
            )
            .field(field, message),
            DomainError::Conflict(message) => {
                ApiError::new(StatusCode::CONFLICT, "conflict", message)
            }
        }
    }
}

impl From<RepoError> for ApiError {
    fn from(error: RepoError) -> Self {
        match error {
            RepoError::NotFound => ApiError::not_found(),
            RepoError::Duplicate { field } => {
                let conflict = ApiError::new(
                    StatusCode::CONFLICT,
                    "already_exists",
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
                    StatusCode::CONFLICT,
                    "in_use",
                    "other resources still refer to this one; remove them first",
                )
            }
            RepoError::Domain(error) => error.into(),
            RepoError::Stale => ApiError::new(
                StatusCode::PRECONDITION_FAILED,
                "precondition_failed",
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
