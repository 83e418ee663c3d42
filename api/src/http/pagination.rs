//! Cursor pagination: `limit` and an opaque `cursor`, answered with `next_cursor`.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use persistence::PageRequest;
use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Ref, Schema, SchemaType, Type};
use utoipa::openapi::RefOr;
use utoipa::{IntoParams, ToSchema};

use crate::http::error::ApiError;

pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 200;

/// One page of a list.
#[derive(Debug, Serialize, Deserialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// `Page_{T}` in the spec, its `items` a `$ref` to `T`'s own schema — so a generated client has
/// one `IncidentResponse` type, used by the list and the single GET alike. Written out because
/// utoipa 5's derive inlines a type parameter's whole schema into each specialisation
/// (juhaku/utoipa#1586, open).
impl<T: ToSchema> utoipa::__dev::ComposeSchema for Page<T> {
    fn compose(_inlined: Vec<RefOr<Schema>>) -> RefOr<Schema> {
        ObjectBuilder::new()
            .description(Some("One page of a list."))
            .property(
                "items",
                ArrayBuilder::new().items(Ref::from_schema_name(T::name())),
            )
            .required("items")
            .property(
                "next_cursor",
                ObjectBuilder::new()
                    .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
                    .description(Some(
                        "Pass as `cursor` to get the next page; `null` on the last page.",
                    )),
            )
            .into()
    }
}

impl<T: ToSchema> ToSchema for Page<T> {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("Page")
    }

    /// The item's schema, which `items` refers to, and whatever that one refers to.
    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        schemas.push((T::name().into_owned(), T::schema()));
        T::schemas(schemas);
    }
}

impl<T> Page<T> {
    pub fn from_records<R>(page: persistence::Page<R>, convert: impl FnMut(R) -> T) -> Self {
        Page {
            items: page.items.into_iter().map(convert).collect(),
            next_cursor: page.next_after.map(encode_cursor),
        }
    }
}

/// Paging parameters of every list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Items per page, 1–200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page (opaque; every string of this pattern is a
    /// position in the list).
    #[param(
        pattern = "^[A-Za-z0-9_-]{10}[AEIMQUYcgkosw048]$",
        min_length = 11,
        max_length = 11
    )]
    pub cursor: Option<String>,
}

impl PageParams {
    pub fn request(&self) -> Result<PageRequest, ApiError> {
        let limit = self.limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(ApiError::bad_parameter(
                "limit",
                format!("must be between 1 and {MAX_LIMIT}"),
            ));
        }
        let after = self.cursor.as_deref().map(decode_cursor).transpose()?;
        Ok(PageRequest { after, limit })
    }
}

/// A position as 11 URL-safe characters: the last id of the page, 8 bytes big-endian in
/// unpadded base64url — so every string of the declared pattern decodes to a position.
fn encode_cursor(after: i64) -> String {
    URL_SAFE_NO_PAD.encode(after.to_be_bytes())
}

fn decode_cursor(cursor: &str) -> Result<i64, ApiError> {
    URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|bytes| <[u8; 8]>::try_from(bytes).ok())
        .map(i64::from_be_bytes)
        .ok_or_else(|| {
            ApiError::bad_parameter(
                "cursor",
                "is not a cursor this API returned (11 characters)",
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_garbage_is_rejected() {
        assert_eq!(decode_cursor(&encode_cursor(42)).unwrap(), 42);
        assert!(decode_cursor("nope").is_err());
        assert!(decode_cursor("").is_err());
        // Every string of the declared pattern is a position; its last character carries
        // only 4 bits, so the others are refused.
        assert_eq!(encode_cursor(i64::MAX).len(), 11);
        assert!(decode_cursor("AAAAAAAAAAw").is_ok());
        assert!(decode_cursor("AAAAAAAAAAB").is_err());
        let params = PageParams {
            limit: Some(0),
            cursor: None,
        };
        assert_eq!(
            params.request().unwrap_err().problem().errors[0].field,
            "limit"
        );
    }
}
