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

impl<T: DeserializeOwned + utoipa::ToSchema + 'static> FromRequest for JsonBody<T> {
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
pub fn parse_json<T: DeserializeOwned + utoipa::ToSchema + 'static>(
    bytes: &[u8],
) -> Result<T, ApiError> {
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
    // The limits the spec declares on the body's own fields (lengths, ranges, list sizes).
    let limits = beyond_limits(&value, &schema_of::<T>());
    every_field_error(value, limits)
}

/// `T`'s schema as JSON, made once per type (it never changes; every body of the type is
/// checked against it).
fn schema_of<T: utoipa::PartialSchema + 'static>() -> std::sync::Arc<serde_json::Value> {
    use std::sync::{Arc, OnceLock, PoisonError, RwLock};
    type Schemas = RwLock<std::collections::HashMap<std::any::TypeId, Arc<serde_json::Value>>>;
    static SCHEMAS: OnceLock<Schemas> = OnceLock::new();
    let schemas = SCHEMAS.get_or_init(Schemas::default);
    let id = std::any::TypeId::of::<T>();
    if let Some(found) = schemas
        .read()
        .unwrap_or_else(PoisonError::into_inner)
        .get(&id)
    {
        return Arc::clone(found);
    }
    let made = Arc::new(serde_json::to_value(T::schema()).unwrap_or_default());
    let mut schemas = schemas.write().unwrap_or_else(PoisonError::into_inner);
    Arc::clone(schemas.entry(id).or_insert(made))
}

/// The body's top-level fields that break a limit their schema declares (`minLength`,
/// `maxLength`, `minimum`, `maximum`, `exclusiveMinimum`, `minItems`, `maxItems`), with what
/// is wrong, in the words the domain's own checks use: so one answer names them together with
/// the fields of the wrong type.
fn beyond_limits(value: &serde_json::Value, schema: &serde_json::Value) -> Vec<(String, String)> {
    use serde_json::Value;
    let (Some(fields), Some(properties)) = (value.as_object(), schema["properties"].as_object())
    else {
        return Vec::new();
    };
    let mut problems = Vec::new();
    for (name, field) in fields {
        let Some(limits) = properties.get(name) else {
            continue;
        };
        let number = |key: &str| limits.get(key).and_then(Value::as_f64);
        let count = |key: &str| limits.get(key).and_then(Value::as_u64);
        let problem = match field {
            Value::String(text) => {
                let length = u64::try_from(text.chars().count()).unwrap_or(u64::MAX);
                match (count("minLength"), count("maxLength")) {
                    (Some(min), _) if min >= 1 && text.trim().is_empty() => {
                        Some("must not be empty".to_owned())
                    }
                    (Some(min), _) if length < min => {
                        Some(format!("must be at least {min} characters"))
                    }
                    (_, Some(max)) if length > max => {
                        Some(format!("must be at most {max} characters"))
                    }
                    _ => None,
                }
            }
            Value::Number(n) => n.as_f64().and_then(|n| {
                let (min, max) = (number("minimum"), number("maximum"));
                let above = number("exclusiveMinimum");
                let out = min.is_some_and(|min| n < min)
                    || max.is_some_and(|max| n > max)
                    || above.is_some_and(|above| n <= above);
                out.then(|| match (min, above, max) {
                    (Some(min), _, Some(max)) => format!("must be from {min} to {max}"),
                    (_, Some(above), Some(max)) => {
                        format!("must be above {above} and at most {max}")
                    }
                    (Some(min), _, None) => format!("must be at least {min}"),
                    (_, Some(above), None) => format!("must be above {above}"),
                    (None, None, Some(max)) => format!("must be at most {max}"),
                    (None, None, None) => "is out of range".to_owned(),
                })
            }),
            Value::Array(items) => {
                let length = u64::try_from(items.len()).unwrap_or(u64::MAX);
                match (count("minItems"), count("maxItems")) {
                    (Some(min), _) if length < min => Some(format!("must list at least {min}")),
                    (_, Some(max)) if length > max => Some(format!("must list at most {max}")),
                    _ => None,
                }
            }
            _ => None,
        };
        if let Some(problem) = problem {
            problems.push((name.clone(), problem));
        }
    }
    problems
}

/// How many times a body is read again to find its next bad field: enough for any request
/// type of the API, bounded so a hostile body costs little.
const MAX_ATTEMPTS: usize = 100;

/// Deserialises `value`, naming every bad field rather than only the first: after each error
/// the offending field is set aside (an unknown key removed, a bad or missing value replaced by
/// a stand-in that reads) and the body is read again, so one answer lists all of them.
fn every_field_error<T: DeserializeOwned>(
    mut value: serde_json::Value,
    limits: Vec<(String, String)>,
) -> Result<T, ApiError> {
    let mut problems: Vec<(String, String)> = Vec::new();
    let mut stand_ins: Vec<StandIn> = Vec::new();
    for _ in 0..MAX_ATTEMPTS {
        let error = match serde_path_to_error::deserialize::<_, T>(&value) {
            Ok(parsed) if problems.is_empty() && limits.is_empty() => return Ok(parsed),
            Ok(_) => break,
            Err(error) => error,
        };
        let bad = BadField::of(&error);
        // An error inside a stand-in of ours is no problem of the request's.
        let ours = stand_ins
            .iter()
            .any(|stand_in| bad.path.starts_with_path(&stand_in.path));
        if !ours {
            let field = bad.field_name();
            if problems.iter().any(|(known, _)| *known == field) {
                break;
            }
            problems.push((field, plain_words(&error.inner().to_string())));
        }
        let set_aside = if bad.kind == Wrong::Unknown {
            bad.remove(&mut value)
        } else {
            let at = match stand_ins.iter().position(|s| s.path.0 == bad.path.0) {
                Some(at) => at,
                None => {
                    stand_ins.push(StandIn::new(bad.path.clone()));
                    stand_ins.len() - 1
                }
            };
            stand_ins[at].next(&bad.variants, &mut value)
        };
        if !set_aside {
            break;
        }
    }
    for (field, message) in limits {
        if !problems.iter().any(|(known, _)| *known == field) {
            problems.push((field, message));
        }
    }
    problems.sort_by(|a, b| a.0.cmp(&b.0));
    let mut error = ApiError::new(
        ErrorCode::ValidationFailed,
        "the request has invalid fields",
    );
    if problems.is_empty() {
        error = error.field("body", "does not match the request's schema");
    }
    for (field, message) in problems {
        error = error.field(field, message);
    }
    Err(error)
}

/// Values tried in place of a bad or missing one, in turn, until the body reads past it.
struct StandIn {
    path: Path,
    tried: Vec<serde_json::Value>,
}

impl StandIn {
    fn new(path: Path) -> Self {
        StandIn {
            path,
            tried: Vec::new(),
        }
    }

    /// Puts the next untried stand-in at the path (a variant the error listed first); `false`
    /// when none is left.
    fn next(&mut self, variants: &[String], value: &mut serde_json::Value) -> bool {
        use serde_json::{json, Value};
        let defaults = [
            Value::Null,
            json!(0),
            json!(""),
            json!(false),
            json!("1970-01-01T00:00:00Z"),
            json!([]),
            json!({}),
        ];
        let candidate = variants
            .iter()
            .map(|v| Value::String(v.clone()))
            .chain(defaults)
            .find(|candidate| !self.tried.contains(candidate));
        let Some(candidate) = candidate else {
            return false;
        };
        self.tried.push(candidate.clone());
        self.path.put(value, candidate)
    }
}

/// One step into a JSON document: an object key or an array index.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    Key(String),
    Index(usize),
}

/// Where a value is in a JSON document.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Path(Vec<Step>);

impl Path {
    fn starts_with_path(&self, prefix: &Path) -> bool {
        self.0.starts_with(&prefix.0)
    }

    /// Sets the value at this path (adding an object's missing key); `false` when its parent
    /// is not there.
    fn put(&self, value: &mut serde_json::Value, new: serde_json::Value) -> bool {
        let Some((last, parent)) = self.0.split_last() else {
            return false;
        };
        let parent = parent.iter().try_fold(value, |value, step| match step {
            Step::Key(key) => value.get_mut(key.as_str()),
            Step::Index(index) => value.get_mut(*index),
        });
        match (last, parent) {
            (Step::Key(key), Some(serde_json::Value::Object(fields))) => {
                fields.insert(key.clone(), new);
                true
            }
            (Step::Index(index), Some(serde_json::Value::Array(items))) => {
                match items.get_mut(*index) {
                    Some(item) => {
                        *item = new;
                        true
                    }
                    None => false,
                }
            }
            _ => false,
        }
    }
}

/// The field a deserialisation error is about, and what is wrong with it.
struct BadField {
    /// The path of the bad (or missing) value.
    path: Path,
    kind: Wrong,
    /// For an enum, the variants the message lists (stand-ins worth trying first).
    variants: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Wrong {
    /// A required field is absent.
    Missing,
    /// A key the request type does not have.
    Unknown,
    /// A value of the wrong type or out of range.
    Value,
}

impl BadField {
    fn of(error: &serde_path_to_error::Error<serde_json::Error>) -> Self {
        use serde_path_to_error::Segment;
        let mut path: Vec<Step> = error
            .path()
            .iter()
            .filter_map(|segment| match segment {
                Segment::Map { key } => Some(Step::Key(key.clone())),
                Segment::Seq { index } => Some(Step::Index(*index)),
                Segment::Enum { .. } | Segment::Unknown => None,
            })
            .collect();
        let message = error.inner().to_string();
        let quoted = |prefix: &str| {
            message
                .strip_prefix(prefix)
                .and_then(|rest| rest.split('`').next())
                .map(str::to_owned)
        };
        let kind = if let Some(missing) = quoted("missing field `") {
            path.push(Step::Key(missing));
            Wrong::Missing
        } else if let Some(unknown) = quoted("unknown field `") {
            // serde_path_to_error names the unknown key itself, or only its parent object.
            if path.last() != Some(&Step::Key(unknown.clone())) {
                path.push(Step::Key(unknown));
            }
            Wrong::Unknown
        } else {
            Wrong::Value
        };
        let variants = message
            .split_once("expected one of ")
            .map(|(_, list)| {
                list.split('`')
                    .skip(1)
                    .step_by(2)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        BadField {
            path: Path(path),
            kind,
            variants,
        }
    }

    /// The field as the problem names it: `title`, `scope.tenant_ids[2]`, or `body`.
    fn field_name(&self) -> String {
        let mut name = String::new();
        for step in &self.path.0 {
            match step {
                Step::Key(key) => {
                    if !name.is_empty() {
                        name.push('.');
                    }
                    name.push_str(key);
                }
                Step::Index(index) => name.push_str(&format!("[{index}]")),
            }
        }
        if name.is_empty() {
            "body".to_owned()
        } else {
            name
        }
    }

    /// Removes an unknown key; `false` when it is not there.
    fn remove(&self, value: &mut serde_json::Value) -> bool {
        let Some((Step::Key(key), parent)) = self.path.0.split_last() else {
            return false;
        };
        let parent = parent.iter().try_fold(value, |value, step| match step {
            Step::Key(key) => value.get_mut(key.as_str()),
            Step::Index(index) => value.get_mut(*index),
        });
        match parent {
            Some(serde_json::Value::Object(fields)) => fields.remove(key).is_some(),
            _ => false,
        }
    }
}

/// serde's messages (`invalid type: string "x", expected i64`) in words for people who never
/// saw Rust: `must be a whole number`. Messages of our own deserialisers pass unchanged.
pub fn plain_words(message: &str) -> String {
    let message = strip_position(message);
    if message.starts_with("missing field `") {
        return "is required".to_owned();
    }
    if let Some(rest) = message.strip_prefix("unknown field `") {
        let expected = rest.split_once("expected one of ").map(|(_, list)| list);
        return match expected {
            Some(list) => format!(
                "is not a field of this request (it takes {})",
                unquote(list)
            ),
            None => "is not a field of this request".to_owned(),
        };
    }
    if let Some(rest) = message.strip_prefix("unknown variant `") {
        return match rest.split_once("expected one of ") {
            Some((_, list)) => format!("must be one of {}", unquote(list)),
            None => match rest.split_once("expected ") {
                Some((_, one)) => format!("must be {}", unquote(one)),
                None => "is not one of the accepted values".to_owned(),
            },
        };
    }
    if let Some(expected) = message
        .strip_prefix("invalid type: ")
        .or_else(|| message.strip_prefix("invalid value: "))
        .and_then(|rest| rest.rsplit_once(", expected ").map(|(_, e)| e))
    {
        return expected_in_words(expected);
    }
    if message.starts_with("data did not match any variant") {
        return "does not have any of the accepted shapes (see the API's schema)".to_owned();
    }
    if let Some(expected) = message
        .strip_prefix("invalid length ")
        .and_then(|rest| rest.split_once(", expected ").map(|(_, e)| e))
    {
        return format!("must have {expected}");
    }
    match message.as_str() {
        "invalid digit found in string"
        | "cannot parse integer from empty string"
        | "number too large to fit in target type"
        | "number too small to fit in target type" => "must be a whole number".to_owned(),
        "invalid float literal" => "must be a number".to_owned(),
        "provided string was not `true` or `false`" => "must be true or false".to_owned(),
        _ => message,
    }
}

/// What serde expected, in words: `i64` → `must be a whole number`.
fn expected_in_words(expected: &str) -> String {
    let range = |low: i128, high: i128| format!("must be a whole number from {low} to {high}");
    match expected {
        "i64" | "i128" | "u128" | "an integer" => "must be a whole number".to_owned(),
        "u64" => "must be a whole number, 0 or more".to_owned(),
        "i32" => range(i32::MIN.into(), i32::MAX.into()),
        "u32" => range(0, u32::MAX.into()),
        "i16" => range(i16::MIN.into(), i16::MAX.into()),
        "u16" => range(0, u16::MAX.into()),
        "i8" => range(i8::MIN.into(), i8::MAX.into()),
        "u8" => range(0, u8::MAX.into()),
        "f64" | "f32" => "must be a number".to_owned(),
        "a boolean" => "must be true or false".to_owned(),
        "a string" | "a borrowed string" | "a char" => "must be a string".to_owned(),
        "a sequence" => "must be a list".to_owned(),
        "a map" => "must be an object".to_owned(),
        other if other.starts_with("struct ") || other.starts_with("a map") => {
            "must be an object".to_owned()
        }
        other if other.starts_with("a sequence") || other.starts_with("a tuple") => {
            "must be a list".to_owned()
        }
        other if other.starts_with("variant identifier") || other.starts_with("enum ") => {
            "must be one of the accepted values".to_owned()
        }
        other => format!("must be {}", unquote(other)),
    }
}

/// `` `a`, `b` `` → `a, b`.
fn unquote(list: &str) -> String {
    list.replace('`', "")
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

    /// Names every bad parameter: after each error the parameter is left out and the query
    /// read again.
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let mut pairs: Vec<(String, String)> =
            form_urlencoded::parse(req.query_string().as_bytes())
                .into_owned()
                .collect();
        let mut problems: Vec<(String, String)> = Vec::new();
        let result = loop {
            let query = form_urlencoded::Serializer::new(String::new())
                .extend_pairs(&pairs)
                .finish();
            let parser = form_urlencoded::parse(query.as_bytes());
            let error =
                match serde_path_to_error::deserialize(serde_urlencoded::Deserializer::new(parser))
                {
                    Ok(parsed) if problems.is_empty() => break Ok(QueryParams(parsed)),
                    Ok(_) => break Err(()),
                    Err(error) => error,
                };
            let field = error.path().to_string();
            let raw = error.into_inner().to_string();
            let field = match field.as_str() {
                "." => raw
                    .strip_prefix("missing field `")
                    .and_then(|rest| rest.split('`').next())
                    .map_or_else(|| ".".to_owned(), str::to_owned),
                _ => field,
            };
            let message = plain_words(&raw);
            let before = pairs.len();
            pairs.retain(|(key, _)| *key != field);
            let known = problems.iter().any(|(seen, _)| *seen == field);
            if !known {
                problems.push((field, message));
            }
            if known || pairs.len() == before {
                break Err(());
            }
        };
        let result = result.map_err(|()| {
            let mut error = ApiError::new(
                ErrorCode::InvalidParameter,
                "a query or path parameter is invalid",
            );
            for (field, message) in problems {
                error = match field.as_str() {
                    "." => ApiError::new(ErrorCode::InvalidParameter, message),
                    _ => error.field(field, message),
                };
            }
            error
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

    #[derive(serde::Deserialize, utoipa::ToSchema, Debug)]
    #[allow(dead_code)]
    struct Inner {
        tier: i32,
    }

    #[derive(serde::Deserialize, utoipa::ToSchema, Debug)]
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

    #[derive(serde::Deserialize, utoipa::ToSchema, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Limited {
        #[schema(min_length = 1, max_length = 5)]
        name: String,
        #[schema(minimum = 1, maximum = 99)]
        tier: i64,
        #[schema(max_items = 2)]
        tags: Vec<String>,
        count: u32,
        kind: Kind,
    }

    #[derive(serde::Deserialize, utoipa::ToSchema, Debug)]
    #[serde(rename_all = "snake_case")]
    enum Kind {
        Partner,
        Customer,
    }

    #[test]
    fn every_bad_field_is_named_with_limits_and_types_together() {
        let problem = parse_json::<Limited>(
            br#"{"name":"  ","tier":100,"tags":["a","b","c"],"count":-1,"kind":"x","extra":1}"#,
        )
        .unwrap_err()
        .problem();
        let found: Vec<(&str, &str)> = problem
            .errors
            .iter()
            .map(|e| (e.field.as_str(), e.message.as_str()))
            .collect();
        assert_eq!(
            found,
            [
                ("count", "must be a whole number from 0 to 4294967295"),
                (
                    "extra",
                    "is not a field of this request (it takes name, tier, tags, count, kind)"
                ),
                ("kind", "must be partner or customer"),
                ("name", "must not be empty"),
                ("tags", "must list at most 2"),
                ("tier", "must be from 1 to 99"),
            ]
        );
        let problem = parse_json::<Limited>(br#"{}"#).unwrap_err().problem();
        assert_eq!(problem.errors.len(), 5, "{problem:?}");
        assert!(problem.errors.iter().all(|e| e.message == "is required"));
        assert!(parse_json::<Limited>(
            br#"{"name":"abc","tier":3,"tags":[],"count":0,"kind":"partner"}"#
        )
        .is_ok());
    }
}
