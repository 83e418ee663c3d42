//! Bearer JWT authentication: tokens name a contact (`sub`); the contact and its account come
//! from the read model (see [`Callers`]), so a removed contact's token stops at once.

mod extract;
pub mod feed_token;

use std::time::Duration;

use actix_web::{web, HttpMessage, HttpRequest};
use domain::{Caller, ContactId};
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header as JwtHeader, Validation};
use serde::{Deserialize, Serialize};

use crate::http::db::Db;
use crate::http::error::{ApiError, ErrorCode};
use crate::http::routes::RouteTable;
use crate::settings::{JwtKey, JwtSettings};

/// How many seconds past `exp` (and before `nbf`) a token is still accepted, for clocks a
/// little apart. Small on purpose: a verified token is cached only until its `exp`, and then
/// checked again with this leeway, so no token works more than this long after it expired.
pub const LEEWAY_SECONDS: u64 = 5;

/// The registered claims slr issues and requires.
#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    /// The contact id, as a string.
    pub sub: String,
    pub iss: String,
    pub aud: String,
    pub exp: u64,
    pub nbf: u64,
    pub iat: u64,
}

/// Signs and checks tokens with the configured key.
pub struct TokenAuthority {
    algorithm: Algorithm,
    decoding: DecodingKey,
    encoding: Option<EncodingKey>,
    validation: Validation,
    issuer: String,
    audience: String,
}

impl TokenAuthority {
    pub fn new(settings: &JwtSettings) -> Result<Self, String> {
        let (algorithm, decoding, encoding) = match &settings.key {
            JwtKey::Secret(secret) => {
                let bytes = secret.expose().as_bytes();
                (
                    Algorithm::HS256,
                    DecodingKey::from_secret(bytes),
                    Some(EncodingKey::from_secret(bytes)),
                )
            }
            JwtKey::Pem { public, private } => {
                let public = public.as_bytes();
                let (algorithm, decoding) = if let Ok(key) = DecodingKey::from_rsa_pem(public) {
                    (Algorithm::RS256, key)
                } else if let Ok(key) = DecodingKey::from_ec_pem(public) {
                    (Algorithm::ES256, key)
                } else if let Ok(key) = DecodingKey::from_ed_pem(public) {
                    (Algorithm::EdDSA, key)
                } else {
                    return Err(
                        "SLR_JWT_PUBLIC_KEY: not an RSA, EC (P-256) or Ed25519 public key in PEM"
                            .to_owned(),
                    );
                };
                let encoding = private
                    .as_ref()
                    .map(|pem| {
                        let pem = pem.expose().as_bytes();
                        match algorithm {
                            Algorithm::RS256 => EncodingKey::from_rsa_pem(pem),
                            Algorithm::ES256 => EncodingKey::from_ec_pem(pem),
                            _ => EncodingKey::from_ed_pem(pem),
                        }
                        .map_err(|e| {
                            format!(
                                "SLR_JWT_PRIVATE_KEY: not a {algorithm:?} private key in PEM: {e}"
                            )
                        })
                    })
                    .transpose()?;
                (algorithm, decoding, encoding)
            }
        };
        let mut validation = Validation::new(algorithm);
        validation.set_issuer(&[&settings.issuer]);
        validation.set_audience(&[&settings.audience]);
        validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud", "sub"]);
        validation.validate_nbf = true;
        validation.leeway = LEEWAY_SECONDS;
        Ok(Self {
            algorithm,
            decoding,
            encoding,
            validation,
            issuer: settings.issuer.clone(),
            audience: settings.audience.clone(),
        })
    }

    /// A signed token for `contact`, valid from now for `ttl`.
    pub fn issue(&self, contact: ContactId, ttl: Duration) -> Result<String, String> {
        let key = self
            .encoding
            .as_ref()
            .ok_or("no private key configured (SLR_JWT_PRIVATE_KEY)")?;
        let now = jsonwebtoken::get_current_timestamp();
        let claims = Claims {
            sub: contact.to_string(),
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            iat: now,
            nbf: now,
            exp: now + ttl.as_secs(),
        };
        jsonwebtoken::encode(&JwtHeader::new(self.algorithm), &claims, key)
            .map_err(|e| e.to_string())
    }

    /// The contact a valid token names, and the token's `exp`.
    pub fn verify(&self, token: &str) -> Result<(ContactId, u64), ApiError> {
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map_err(|e| {
                let detail = match e.kind() {
                    ErrorKind::ExpiredSignature => {
                        return ApiError::unauthorized(
                            ErrorCode::TokenExpired,
                            "the token has expired",
                        )
                    }
                    ErrorKind::ImmatureSignature => "the token is not valid yet (nbf)",
                    ErrorKind::InvalidSignature => "the token's signature does not verify",
                    ErrorKind::InvalidIssuer => "the token's issuer (iss) is not accepted",
                    ErrorKind::InvalidAudience => "the token's audience (aud) is not accepted",
                    ErrorKind::InvalidAlgorithm | ErrorKind::MissingAlgorithm => {
                        "the token's algorithm is not accepted"
                    }
                    ErrorKind::MissingRequiredClaim(_) => {
                        "the token lacks a required claim (exp, nbf, iss, aud, sub)"
                    }
                    _ => "the token is malformed",
                };
                ApiError::unauthorized(ErrorCode::InvalidToken, detail)
            })?;
        canonical_id(&data.claims.sub)
            .map(|id| (ContactId(id), data.claims.exp))
            .ok_or_else(|| {
                ApiError::unauthorized(
                    ErrorCode::InvalidToken,
                    "the token's subject is not a contact id",
                )
            })
    }
}

/// A positive id written the one canonical way (`"17"`, not `"+17"`, `"017"` or `" 17"`): a
/// token names exactly one contact by exactly one spelling.
fn canonical_id(raw: &str) -> Option<i64> {
    let id: i64 = raw.parse().ok()?;
    (id > 0 && id.to_string() == raw).then_some(id)
}

/// The token of an `Authorization: Bearer <token>` header. The scheme is matched without
/// regard to case, as RFC 9110 says (actix-web-httpauth insists on `Bearer`); `Ok(None)` when
/// there is no header, `Err` when it is not a bearer token.
pub(crate) fn bearer_token(req: &HttpRequest) -> Result<Option<String>, ()> {
    let Some(value) = req.headers().get(actix_web::http::header::AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value.to_str().map_err(drop)?.trim();
    let (scheme, token) = value.split_once(' ').ok_or(())?;
    let token = token.trim();
    if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() || token.contains(' ') {
        return Err(());
    }
    Ok(Some(token.to_owned()))
}

/// The caller of an authenticated endpoint.
pub struct Authenticated(pub Caller);

impl Authenticated {
    /// Only provider admins write; anyone else gets 403 for objects they can see.
    pub fn require_writer(&self) -> Result<(), ApiError> {
        if self.0.may_write() {
            Ok(())
        } else {
            Err(ApiError::forbidden())
        }
    }

    /// For reads only provider admins may make (e.g. the audit log): 403 saying so.
    pub fn require_provider_admin(&self, what: &str) -> Result<(), ApiError> {
        if self.0.may_write() {
            Ok(())
        } else {
            Err(ApiError::new(
                ErrorCode::Forbidden,
                format!("{what} is for provider admins only"),
            ))
        }
    }

    /// For writes to an existing object: a non-writer gets 404 when `find` (run in the
    /// caller's scope) does not see the object, 403 when it does.
    pub async fn require_writer_of<T, F>(&self, db: &Db, find: F) -> Result<(), ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut persistence::DbConnection) -> persistence::RepoResult<T> + Send + 'static,
    {
        if self.0.may_write() {
            return Ok(());
        }
        db.run(find).await?;
        Err(ApiError::forbidden())
    }
}

/// A request's caller, once resolved (kept in the request's extensions).
#[derive(Clone)]
pub struct Resolved(pub Caller);

/// Who calls: a token is verified once and then trusted until its `exp` (bounded cache); the
/// contact it names is looked up in the read model, so a removed contact's tokens answer 401 on
/// every replica as soon as its model has the removal.
pub struct Callers {
    authority: web::Data<TokenAuthority>,
    db: web::Data<Db>,
    /// Which operations take a feed token.
    routes: web::Data<RouteTable>,
    /// Token → (contact, `exp`), for verified tokens only.
    tokens: moka::sync::Cache<String, (ContactId, u64)>,
    /// Feed tokens whose use was recorded in the last minute (their `last_used_at` is kept to
    /// the minute, so feeds polled every few seconds do not write on every read).
    feed_uses: moka::sync::Cache<i64, ()>,
    /// Unknown contacts and feed tokens that made this replica catch up in the last second:
    /// they are refused without another catch-up until then.
    caught_up_for: moka::sync::Cache<String, ()>,
    /// Catch-ups for unknown callers, across keys ([`CATCH_UPS_PER_SECOND`]): validly signed
    /// tokens for contacts that do not exist cannot make the replica reload without bound.
    catch_ups: governor::DefaultDirectRateLimiter,
}

/// How many times a second unknown callers may make a replica catch up with the database.
pub const CATCH_UPS_PER_SECOND: u32 = 20;

/// Why a request has no caller.
enum Refusal {
    /// A validly signed token whose contact, or a feed token, this replica's read model does
    /// not know — perhaps only not yet (made by another process); `key` names it.
    Unknown { key: String, error: ApiError },
    /// Anything else (no token, a bad signature, expired…).
    Final(ApiError),
}

impl From<ApiError> for Refusal {
    fn from(error: ApiError) -> Self {
        Refusal::Final(error)
    }
}

impl Refusal {
    fn into_error(self) -> ApiError {
        match self {
            Refusal::Unknown { error, .. } | Refusal::Final(error) => error,
        }
    }
}

impl Callers {
    pub fn new(
        authority: web::Data<TokenAuthority>,
        db: web::Data<Db>,
        routes: web::Data<RouteTable>,
    ) -> Self {
        Self {
            authority,
            db,
            routes,
            tokens: moka::sync::Cache::new(100_000),
            feed_uses: moka::sync::Cache::builder()
                .max_capacity(100_000)
                .time_to_live(Duration::from_secs(60))
                .build(),
            caught_up_for: moka::sync::Cache::builder()
                .max_capacity(100_000)
                .time_to_live(Duration::from_secs(1))
                .build(),
            catch_ups: governor::RateLimiter::direct(governor::Quota::per_second(
                std::num::NonZeroU32::new(CATCH_UPS_PER_SECOND)
                    .unwrap_or(std::num::NonZeroU32::MIN),
            )),
        }
    }

    /// The caller behind a feed token (or an email link's view key), recording (at most once a
    /// minute) that a feed token was used.
    fn feed_caller(&self, token: &str) -> Result<Caller, Refusal> {
        let hash = crate::http::auth::feed_token::token_hash(token);
        let Some((id, caller)) = self.db.feed_caller(&hash) else {
            // The view key in an email's link reads as its subscription's reader.
            if let Some(caller) = self.db.email_link_caller(&hash) {
                return Ok(caller);
            }
            let error = ApiError::unauthorized(
                ErrorCode::InvalidFeedToken,
                "the feed token is unknown, revoked, or its contact was removed",
            );
            return Err(Refusal::Unknown {
                key: format!("feed:{hash}"),
                error,
            });
        };
        if !self.feed_uses.contains_key(&id) {
            self.feed_uses.insert(id, ());
            let db = self.db.clone();
            actix_web::rt::spawn(async move {
                let at = time::OffsetDateTime::now_utc();
                let recorded = db
                    .run(move |conn| persistence::repo::feed_tokens::mark_used(conn, &[id], at))
                    .await;
                if let Err(error) = recorded {
                    log::warn!("cannot record the use of feed token {id}: {error}");
                }
            });
        }
        Ok(caller)
    }

    /// The caller of a request from what this replica knows, or why it has none (401). Feed
    /// routes also accept a feed token as `?token=` (and only they: the JSON API takes bearer
    /// tokens only). See [`Callers::caller_of`] for callers made elsewhere a moment ago.
    pub fn resolve(&self, req: &HttpRequest) -> Result<Caller, ApiError> {
        self.resolve_known(req).map_err(Refusal::into_error)
    }

    /// [`Callers::resolve`] for a request whose route the caller already looked up (the answer
    /// cache): `feed_token` says whether the route takes `?token=`.
    pub fn resolve_on(&self, req: &HttpRequest, feed_token: bool) -> Result<Caller, ApiError> {
        self.resolve_on_route(req, feed_token)
            .map_err(Refusal::into_error)
    }

    /// The caller of `req` — the one the answer cache already resolved for it, else
    /// [`Callers::resolve`]'s, except that a validly signed token for a contact (or a feed
    /// token) the read model does not know first makes the replica catch up with the database
    /// once: a contact created by another process (`slr admin create`, another replica) works
    /// at once instead of after the next poll. Bounded: once per unknown key a second, and
    /// [`CATCH_UPS_PER_SECOND`] in all.
    pub async fn caller_of(&self, req: &HttpRequest) -> Result<Caller, ApiError> {
        match self.known_caller(req) {
            Ok(caller) => Ok(caller),
            Err(refusal) => self.after_catch_up(req, refusal).await,
        }
    }

    /// The caller of `req` from what this replica knows now (the answer cache's, if it
    /// resolved one).
    fn known_caller(&self, req: &HttpRequest) -> Result<Caller, Refusal> {
        let resolved = req.extensions().get::<Resolved>().map(|r| r.0.clone());
        resolved.map_or_else(|| self.resolve_known(req), Ok)
    }

    /// A refused caller, once more after catching up if it was only unknown (see
    /// [`Callers::caller_of`]).
    async fn after_catch_up(
        &self,
        req: &HttpRequest,
        refusal: Refusal,
    ) -> Result<Caller, ApiError> {
        match refusal {
            Refusal::Final(error) => Err(error),
            Refusal::Unknown { key, error } => {
                if !self.may_catch_up(key) {
                    return Err(error);
                }
                self.db.catch_up().await?;
                self.resolve(req)
            }
        }
    }

    fn may_catch_up(&self, key: String) -> bool {
        self.caught_up_for.entry(key).or_insert(()).is_fresh() && self.catch_ups.check().is_ok()
    }

    fn resolve_known(&self, req: &HttpRequest) -> Result<Caller, Refusal> {
        let feed_token = self
            .routes
            .find(req.method(), req.path())
            .is_some_and(|route| route.feed_token);
        self.resolve_on_route(req, feed_token)
    }

    fn resolve_on_route(&self, req: &HttpRequest, feed_token: bool) -> Result<Caller, Refusal> {
        if feed_token {
            if let Some(token) = feed_token::query_token(req) {
                return self.feed_caller(&token);
            }
        }
        let token = bearer_token(req)
            .map_err(|()| {
                ApiError::unauthorized(
                    ErrorCode::InvalidToken,
                    "the Authorization header is not a Bearer token",
                )
            })?
            .ok_or_else(|| {
                ApiError::unauthorized(
                    ErrorCode::MissingToken,
                    "send a token as: Authorization: Bearer <token>",
                )
            })?;
        let now = jsonwebtoken::get_current_timestamp();
        // A cached verification never outlives the token's `exp`; past it, the token is
        // verified again (and refused once `exp` plus the leeway has passed).
        let contact = match self.tokens.get(&token) {
            Some((contact, exp)) if now < exp => contact,
            _ => {
                let (contact, exp) = self.authority.verify(&token)?;
                self.tokens.insert(token, (contact, exp));
                contact
            }
        };
        self.db.caller(contact).map_err(|e| match e {
            persistence::RepoError::NotFound => Refusal::Unknown {
                key: format!("contact:{}", contact.0),
                error: ApiError::unauthorized(
                    ErrorCode::UnknownContact,
                    "the token's contact no longer exists",
                ),
            },
            other => Refusal::Final(ApiError::from(other)),
        })
    }
}

/// Only the account's admins configure its integrations; its other contacts read them.
pub fn require_account_admin(caller: &Caller) -> Result<(), ApiError> {
    if caller.may_manage_integrations() {
        Ok(())
    } else {
        Err(ApiError::new(
            ErrorCode::Forbidden,
            "only the account's admins may change its integrations",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::parse_ttl;

    #[test]
    fn subjects_are_canonical_decimal_ids() {
        assert_eq!(canonical_id("17"), Some(17));
        for bad in ["+17", "017", " 17", "17 ", "0", "-3", "1e3", ""] {
            assert_eq!(canonical_id(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn ttls_parse() {
        assert_eq!(parse_ttl("1h").unwrap(), Duration::from_secs(3600));
        assert_eq!(parse_ttl("30m").unwrap(), Duration::from_secs(1800));
        assert_eq!(parse_ttl("7d").unwrap(), Duration::from_secs(7 * 86_400));
        assert!(parse_ttl("0h").is_err());
        assert!(parse_ttl("2y").is_err());
        assert!(parse_ttl("400d").is_err());
    }
}
