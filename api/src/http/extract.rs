//! Request extractors that answer problem+json naming the offending field: JSON bodies,
//! query strings and path ids.

use std::future::Future;
use std::pin::Pin;

use actix_web::error::{PathError, PayloadError};
use actix_web::http::header;
use actix_web::{dev::Payload, mime, web, FromRequest, HttpRequest};
use serde::de::DeserializeOwned;
use serde::Deserialize;

use crate::http::error::{ApiError, ErrorCode};
use crate::http::state::AppState;

/// The largest JSON body accepted (413 beyond).
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// How long a body may take to arrive unless `SLR_BODY_TIMEOUT_MS` says otherwise (408 beyond).
pub const BODY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// A JSON request body (and its raw bytes). Wrong content type → 415, too large → 413, too
/// slow (`SLR_BODY_TIMEOUT_MS`) → 408,
/// malformed JSON → 400, a well-formed body with a bad field → 422 naming the field's path.
pub struct JsonBody<T>(pub T, pub web::Bytes);

impl<T: DeserializeOwned + 'static> FromRequest for JsonBody<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<mime::Mime>().ok())
            .is_some_and(|m| m.subtype() == mime::JSON || m.suffix() == Some(mime::JSON));
        let body = web::Bytes::from_request(req, payload);
        let deadline = AppState::of(req).map_or(BODY_TIMEOUT, |state| state.body_timeout);
        Box::pin(async move {
            if !is_json {
                return Err(ApiError::new(
                    ErrorCode::UnsupportedMediaType,
                    "send the body as application/json",
                ));
            }
            // A body trickled in byte by byte would hold a worker's connection without end.
            let bytes = actix_web::rt::time::timeout(deadline, body)
                .await
                .map_err(|_| {
                    ApiError::new(
                        ErrorCode::RequestTimeout,
                        format!(
                            "the request body did not arrive within {} s",
                            deadline.as_secs_f64()
                        ),
                    )
                })?
                .map_err(|error| match error.as_error::<PayloadError>() {
                    Some(PayloadError::Overflow) => too_large(),
                    _ => ApiError::new(
                        ErrorCode::UnreadableBody,
                        "the request body could not be read",
                    ),
                })?;
            parse_json(&bytes).map(|value| JsonBody(value, bytes))
        })
    }
}

fn too_large() -> ApiError {
    ApiError::new(
        ErrorCode::PayloadTooLarge,
        format!("the body must be at most {MAX_BODY_BYTES} bytes"),
    )
}

/// Deserialises a JSON object, reporting the path of a bad field. Stricter than serde_json:
/// the body must be one object (not an array standing in for one), with nothing after it and
/// no key given twice at any depth — 400 otherwise.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let malformed = |detail: String| {
        ApiError::new(
            ErrorCode::MalformedJson,
            format!("the body is not valid JSON: {detail}"),
        )
    };
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    if first.is_some_and(|b| *b != b'{') {
        return Err(malformed("it must be a JSON object".to_owned()));
    }
    let mut strict = serde_json::Deserializer::from_slice(bytes);
    serde::de::IgnoredAny::deserialize(Unique(&mut strict))
        .and_then(|_| strict.end())
        .map_err(|e| malformed(e.to_string()))?;
    // JSON Schema (and so the spec) counts 2.0 as the integer 2: such numbers are read as
    // integers; 2.5 still fails where an integer is expected.
    let mut value: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| malformed(e.to_string()))?;
    integral_floats_as_integers(&mut value);
    serde_path_to_error::deserialize(value).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            ApiError::new(
                ErrorCode::MalformedJson,
                format!("the body is not valid JSON: {inner}"),
            )
        } else {
            let message = strip_position(&inner.to_string());
            ApiError::invalid(field_name(&path, &message), message)
        }
    })
}

/// Rewrites every number with no fractional part (within i64) as an integer, at any depth.
fn integral_floats_as_integers(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Number(number) if number.is_f64() => {
            if let Some(f) = number.as_f64() {
                let whole = f.fract() == 0.0 && f >= i64::MIN as f64 && f < i64::MAX as f64;
                if whole {
                    // The range check above makes the cast exact.
                    #[allow(clippy::cast_possible_truncation)]
                    let integer = f as i64;
                    *value = serde_json::Value::from(integer);
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(integral_floats_as_integers),
        serde_json::Value::Object(fields) => {
            fields.values_mut().for_each(integral_floats_as_integers);
        }
        _ => {}
    }
}

/// Walks a JSON document refusing any object that repeats a key (serde_json would keep the last).
struct Unique<D>(D);

impl<'de, D: serde::Deserializer<'de>> serde::Deserializer<'de> for Unique<D> {
    type Error = D::Error;

    fn deserialize_any<V: serde::de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_any(UniqueVisitor(visitor))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map struct enum identifier
        ignored_any
    }
}

/// Passes scalars through, walks sequences, and checks each map's keys for repeats.
struct UniqueVisitor<V>(V);

impl<'de, V: serde::de::Visitor<'de>> serde::de::Visitor<'de> for UniqueVisitor<V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        self.0.expecting(f)
    }

    fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<Self::Value, E> {
        self.0.visit_bool(v)
    }
    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Self::Value, E> {
        self.0.visit_i64(v)
    }
    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Self::Value, E> {
        self.0.visit_u64(v)
    }
    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Self::Value, E> {
        self.0.visit_f64(v)
    }
    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
        self.0.visit_str(v)
    }
    fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
        self.0.visit_unit()
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element_seed(UniqueSeed)?.is_some() {}
        self.0.visit_unit()
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut seen = std::collections::HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            if !seen.insert(key.clone()) {
                return Err(serde::de::Error::custom(format!("duplicate key `{key}`")));
            }
            map.next_value_seed(UniqueSeed)?;
        }
        self.0.visit_unit()
    }
}

/// Checks one nested value for repeated keys.
struct UniqueSeed;

impl<'de> serde::de::DeserializeSeed<'de> for UniqueSeed {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        serde::de::IgnoredAny::deserialize(Unique(deserializer)).map(drop)
    }
}

/// The field a deserialisation error is about: its path, or for a missing field the path of
/// the missing field itself.
fn field_name(path: &str, message: &str) -> String {
    let parent = if path == "." { None } else { Some(path) };
    let missing = message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.split('`').next());
    match (parent, missing) {
        (Some(parent), Some(missing)) => format!("{parent}.{missing}"),
        (None, Some(missing)) => missing.to_owned(),
        (Some(parent), None) => parent.to_owned(),
        (None, None) => "body".to_owned(),
    }
}

/// serde_json appends " at line 1 column 9"; field messages read better without it.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(at) => message[..at].to_owned(),
        None => message.to_owned(),
    }
}

/// Query parameters; a bad value → 400 naming the parameter.
pub struct QueryParams<T>(pub T);

impl<T: DeserializeOwned> FromRequest for QueryParams<T> {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let parser = form_urlencoded::parse(req.query_string().as_bytes());
        let result = serde_path_to_error::deserialize(serde_urlencoded::Deserializer::new(parser))
            .map(QueryParams)
            .map_err(|error| {
                let field = error.path().to_string();
                let message = error.into_inner().to_string();
                if field == "." {
                    ApiError::new(ErrorCode::InvalidParameter, message)
                } else {
                    ApiError::bad_parameter(field, message)
                }
            });
        std::future::ready(result)
    }
}

/// A list's optional `from`/`to` query window, as an extractor: a malformed instant is 400
/// naming it (like any query parameter); instants outside the supported range and a `to` not
/// after `from` are 422 (a rule across fields, as for availability windows).
#[derive(Debug, Clone, Copy, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListWindow {
    /// Only what is on or after this time (RFC 3339): events running then or later, writes
    /// made then or later.
    #[serde(
        default,
        deserialize_with = "crate::http::wire::instant::query::deserialize"
    )]
    #[param(value_type = Option<String>, format = DateTime)]
    pub from: Option<time::OffsetDateTime>,
    /// Only what began before this time (RFC 3339).
    #[serde(
        default,
        deserialize_with = "crate::http::wire::instant::query::deserialize"
    )]
    #[param(value_type = Option<String>, format = DateTime)]
    pub to: Option<time::OffsetDateTime>,
}

impl ListWindow {
    fn checked(self) -> Result<Self, ApiError> {
        for (field, at) in [("from", self.from), ("to", self.to)] {
            if let Some(at) = at {
                domain::availability::check_instant(field, at)?;
            }
        }
        match (self.from, self.to) {
            (Some(from), Some(to)) if to <= from => {
                Err(ApiError::invalid("to", "must be after from"))
            }
            _ => Ok(self),
        }
    }
}

impl FromRequest for ListWindow {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let parsed = QueryParams::<ListWindow>::from_request(req, payload).into_inner();
        std::future::ready(parsed.and_then(|QueryParams(window)| window.checked()))
    }
}

/// Path parameters that do not parse (every id in the API is an integer) → 400.
pub fn path_error(error: PathError, _: &HttpRequest) -> actix_web::Error {
    log::debug!("bad path parameter: {error}");
    ApiError::bad_parameter("id", "must be an integer id").into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Inner {
        tier: i32,
    }

    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Outer {
        name: String,
        inner: Inner,
    }

    #[test]
    fn integral_numbers_are_integers_and_fractions_are_not() {
        let tier = |body: &[u8]| {
            parse_json::<Inner>(body)
                .map(|i| i.tier)
                .map_err(|e| e.problem().status)
        };
        assert_eq!(tier(br#"{"tier":2.0}"#), Ok(2));
        assert_eq!(tier(br#"{"tier":2}"#), Ok(2));
        assert_eq!(tier(br#"{"tier":2.5}"#), Err(422));
    }

    #[test]
    fn bodies_must_be_one_object_without_repeated_keys() {
        let code = |body: &[u8]| {
            parse_json::<Outer>(body)
                .map(drop)
                .map_err(|e| e.problem().code)
        };
        assert_eq!(code(br#"{"name":"x","inner":{"tier":2}}"#), Ok(()));
        assert_eq!(
            code(br#"["x",{"tier":2}]"#),
            Err("malformed_json".to_owned())
        );
        assert_eq!(
            code(br#"{"name":"x","inner":{"tier":2}} trailing"#),
            Err("malformed_json".to_owned())
        );
        assert_eq!(
            code(br#"{"name":"x","name":"y","inner":{"tier":2}}"#),
            Err("malformed_json".to_owned())
        );
        assert_eq!(
            code(br#"{"name":"x","inner":{"tier":2,"tier":3}}"#),
            Err("malformed_json".to_owned())
        );
        assert_eq!(code(br#"  {"name":"x","inner":{"tier":2}}  "#), Ok(()));
    }

    #[test]
    fn json_errors_name_the_field_path() {
        let problem = parse_json::<Outer>(br#"{"name":"x","inner":{"tier":"two"}}"#)
            .unwrap_err()
            .problem();
        assert_eq!(problem.status, 422);
        assert_eq!(problem.errors[0].field, "inner.tier");
        assert!(
            !problem.errors[0].message.contains("line"),
            "{}",
            problem.errors[0].message
        );
        let problem = parse_json::<Outer>(br#"{"name":"x""#)
            .unwrap_err()
            .problem();
        assert_eq!(
            (problem.status, problem.code.as_str()),
            (400, "malformed_json")
        );
    }
}
