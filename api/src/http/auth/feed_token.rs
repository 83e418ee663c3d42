//! Feed tokens and other random tokens in one place: minting, the hash that is all that is
//! stored, and reading `?token=`.

use domain::FeedTokenName;
use persistence::repo::feed_tokens::{self, FeedToken};
use rand::RngCore;

pub use persistence::repo::feed_tokens::token_hash;
pub use persistence::repo::TOKEN_PREFIX;

/// The feed token a request carries as `?token=`, if any.
pub fn query_token(req: &actix_web::HttpRequest) -> Option<String> {
    form_urlencoded::parse(req.query_string().as_bytes())
        .find(|(name, _)| name == "token")
        .map(|(_, value)| value.into_owned())
}

/// A new random feed token.
pub fn new_token() -> String {
    format!(
        "{TOKEN_PREFIX}{}",
        crate::http::auth::feed_token::random_token(32)
    )
}

/// Stores `token` (its hash and first characters) for `contact`.
pub fn store_token(
    conn: &mut persistence::DbConnection,
    contact: domain::ContactId,
    name: &FeedTokenName,
    token: &str,
) -> persistence::RepoResult<FeedToken> {
    feed_tokens::create(
        conn,
        contact,
        name,
        &token_hash(token),
        &token_prefix(token),
    )
}

/// The characters of a token shown to tell tokens apart.
pub fn token_prefix(token: &str) -> String {
    token.chars().take(TOKEN_PREFIX.len() + 6).collect()
}

/// A random token of `bytes` bytes, URL-safe base64 without padding.
pub(crate) fn random_token(bytes: usize) -> String {
    use base64::Engine;
    let mut raw = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut raw);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
}

/// How a feed may be opened without an Authorization header.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FeedTokenParam {
    /// A feed token (`POST /api/v1/feed-tokens`); instead of `Authorization: Bearer`.
    pub token: Option<String>,
}
