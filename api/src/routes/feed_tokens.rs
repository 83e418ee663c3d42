//! Feed-token handlers: an account's admins mint and revoke read-only tokens for feeds.

use actix_web::{delete, get, post, web, HttpRequest, HttpResponse};
use domain::FeedTokenName;
use persistence::repo::feed_tokens::{self, FeedToken};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;

use crate::http::auth::feed_token::{store_token, TOKEN_PREFIX};
use crate::http::auth::Authenticated;
use crate::http::error::{ApiError, ReadProblems, WriteProblems};
use crate::http::extract::{JsonBody, QueryParams};
use crate::http::pagination::{Page, PageParams};
use crate::http::state::AppState;

/// A feed token (the token itself is shown only when created).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FeedTokenResponse {
    pub id: i64,
    pub name: String,
    /// The token's first characters, to tell tokens apart.
    pub prefix: String,
    /// The contact it reads as: its scope is the token's scope.
    pub contact_id: i64,
    #[serde(with = "crate::http::wire::instant")]
    pub created_at: OffsetDateTime,
    /// When a feed was last read with it (to the minute).
    #[serde(with = "crate::http::wire::instant::option")]
    pub last_used_at: Option<OffsetDateTime>,
}

impl From<FeedToken> for FeedTokenResponse {
    fn from(t: FeedToken) -> Self {
        Self {
            id: t.id,
            name: t.name,
            prefix: t.prefix,
            contact_id: t.contact_id.0,
            created_at: t.created_at,
            last_used_at: t.last_used_at,
        }
    }
}

/// A new feed token, with the token (shown only now: keep it).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CreatedFeedTokenResponse {
    #[serde(flatten)]
    pub feed_token: FeedTokenResponse,
    /// Append as `?token=` to feed URLs (`.ics`, `.atom`, `badge.svg`); the JSON API does not
    /// accept it.
    pub token: String,
}

/// A new feed token.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateFeedTokenRequest {
    /// What it is for, e.g. "Team calendar".
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
}

/// The feed tokens of the caller's account.
#[utoipa::path(tag = "integrations", params(PageParams), responses((status = 200, body = Page<FeedTokenResponse>), ReadProblems), extensions(("x-answer-cache" = json!("none"))))]
#[get("/feed-tokens")]
pub async fn list_feed_tokens(
    state: web::Data<AppState>,
    caller: Authenticated,
    page: QueryParams<PageParams>,
) -> Result<web::Json<Page<FeedTokenResponse>>, ApiError> {
    let db = &state.db;
    let (page, account) = (page.0.request()?, caller.0.account_id);
    let found = db
        .run(move |conn| feed_tokens::list(conn, account, page))
        .await?;
    Ok(web::Json(Page::from_records(
        found,
        FeedTokenResponse::from,
    )))
}

/// One feed token of the caller's account.
#[utoipa::path(tag = "integrations", params(("id" = i64, Path, description = "Feed token id")), responses((status = 200, body = FeedTokenResponse), ReadProblems), extensions(("x-answer-cache" = json!("none"))))]
#[get("/feed-tokens/{id}")]
pub async fn get_feed_token(
    state: web::Data<AppState>,
    caller: Authenticated,
    id: web::Path<i64>,
) -> Result<web::Json<FeedTokenResponse>, ApiError> {
    let db = &state.db;
    let (account, id) = (caller.0.account_id, id.into_inner());
    let found = db
        .run(move |conn| feed_tokens::find(conn, account, id))
        .await?;
    Ok(web::Json(found.into()))
}

/// Create a read-only feed token (the account's admins). It reads exactly what the creating
/// contact reads, only on feed routes, until revoked or the contact is removed. The answer
/// carries the token, shown only this once; only its hash is stored.
#[utoipa::path(tag = "integrations", params(crate::http::idempotency::IdempotencyKey), request_body = CreateFeedTokenRequest, responses((status = 201, body = CreatedFeedTokenResponse), WriteProblems))]
#[post("/feed-tokens")]
pub async fn create_feed_token(
    state: web::Data<AppState>,
    caller: Authenticated,
    req: HttpRequest,
    body: JsonBody<CreateFeedTokenRequest>,
) -> Result<HttpResponse, ApiError> {
    let db = &state.db;
    crate::http::auth::require_account_admin(&caller.0)?;
    let JsonBody(body, raw) = body;
    let name = FeedTokenName::parse(&body.name)?;
    let token = format!(
        "{TOKEN_PREFIX}{}",
        crate::http::auth::feed_token::random_token(32)
    );
    let caller = caller.0;
    let writer = caller.clone();
    crate::http::idempotency::create_once(db, &caller, &req, &raw, move |conn| {
        let created = FeedTokenResponse::from(store_token(conn, writer.contact_id, &name, &token)?);
        crate::services::audit::created(conn, &writer, "feed_token", created.id, &created)?;
        let location = format!("/api/v1/feed-tokens/{}", created.id);
        let response = CreatedFeedTokenResponse {
            feed_token: created,
            token: token.clone(),
        };
        Ok((location, response))
    })
    .await
}

/// Revoke a feed token (the account's admins): it stops working on every replica at once.
#[utoipa::path(tag = "integrations", params(("id" = i64, Path, description = "Feed token id")), responses((status = 204, description = "Revoked"), WriteProblems))]
#[delete("/feed-tokens/{id}")]
pub async fn delete_feed_token(
    state: web::Data<AppState>,
    caller: Authenticated,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let db = &state.db;
    let (account, id) = (caller.0.account_id, id.into_inner());
    db.run(move |conn| feed_tokens::find(conn, account, id))
        .await?;
    crate::http::auth::require_account_admin(&caller.0)?;
    crate::services::audit::audited(
        db,
        &caller.0,
        "feed_token",
        id,
        move |conn| feed_tokens::find(conn, account, id).map(FeedTokenResponse::from),
        move |conn| feed_tokens::delete(conn, account, id).map(|()| None),
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
