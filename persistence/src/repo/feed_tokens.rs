//! Feed tokens: read-only credentials for feeds, stored only as a hash, bound to the contact
//! that created them (they die with it).

use diesel::prelude::*;
use domain::{AccountId, ContactId, FeedTokenName};
use time::OffsetDateTime;

use super::{now, stored, touched, utc, Page, PageRequest};
use crate::connection::DbConnection;
use crate::schema::{contacts, feed_tokens};
use crate::RepoResult;

/// A feed token as its account's contacts see it (never the token itself).
#[derive(Debug, Clone, PartialEq)]
pub struct FeedToken {
    pub id: i64,
    pub contact_id: ContactId,
    pub name: String,
    /// The token's first characters.
    pub prefix: String,
    pub created_at: OffsetDateTime,
    pub last_used_at: Option<OffsetDateTime>,
}

type Row = (
    i64,
    i64,
    String,
    String,
    time::PrimitiveDateTime,
    Option<time::PrimitiveDateTime>,
);

const COLUMNS: (
    feed_tokens::id,
    feed_tokens::contact_id,
    feed_tokens::name,
    feed_tokens::prefix,
    feed_tokens::created_at,
    feed_tokens::last_used_at,
) = (
    feed_tokens::id,
    feed_tokens::contact_id,
    feed_tokens::name,
    feed_tokens::prefix,
    feed_tokens::created_at,
    feed_tokens::last_used_at,
);

fn token((id, contact_id, name, prefix, created_at, last_used_at): Row) -> FeedToken {
    FeedToken {
        id,
        contact_id: ContactId(contact_id),
        name,
        prefix,
        created_at: utc(created_at),
        last_used_at: last_used_at.map(utc),
    }
}

/// The SHA-256 of a feed token (or an email link's view key), hex: all that is stored or
/// held in memory.
pub fn token_hash(token: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Stores a new token's hash for `contact`.
pub fn create(
    conn: &mut DbConnection,
    contact: ContactId,
    name: &FeedTokenName,
    hash: &str,
    prefix: &str,
) -> RepoResult<FeedToken> {
    let row: Row = diesel::insert_into(feed_tokens::table)
        .values((
            feed_tokens::contact_id.eq(contact.0),
            feed_tokens::name.eq(name.as_str()),
            feed_tokens::token_hash.eq(hash),
            feed_tokens::prefix.eq(prefix),
            feed_tokens::created_at.eq(now()),
        ))
        .returning(COLUMNS)
        .get_result(conn)?;
    Ok(token(row))
}

/// The tokens of `account`'s contacts, by id.
pub fn list(
    conn: &mut DbConnection,
    account: AccountId,
    page: PageRequest,
) -> RepoResult<Page<FeedToken>> {
    let rows: Vec<Row> = feed_tokens::table
        .inner_join(contacts::table)
        .filter(contacts::account_id.eq(account.0))
        .filter(feed_tokens::id.gt(page.after.unwrap_or(0)))
        .order(feed_tokens::id.asc())
        .limit(page.limit + 1)
        .select(COLUMNS)
        .load(conn)?;
    Ok(Page::from_rows(
        rows.into_iter().map(token).collect(),
        page,
        |t| t.id,
    ))
}

/// One of `account`'s tokens.
pub fn find(conn: &mut DbConnection, account: AccountId, id: i64) -> RepoResult<FeedToken> {
    let row: Row = feed_tokens::table
        .inner_join(contacts::table)
        .filter(contacts::account_id.eq(account.0))
        .filter(feed_tokens::id.eq(id))
        .select(COLUMNS)
        .first(conn)?;
    Ok(token(row))
}

/// Revokes one of `account`'s tokens.
pub fn delete(conn: &mut DbConnection, account: AccountId, id: i64) -> RepoResult<()> {
    find(conn, account, id)?;
    touched(diesel::delete(feed_tokens::table.filter(feed_tokens::id.eq(id))).execute(conn)?)
}

/// Makes `contact`'s only token named `name` the one with `hash` (revoking others of that
/// name), unless it already is; whether it was created. The demo's stable status-page tokens.
pub fn ensure_named(
    conn: &mut DbConnection,
    contact: ContactId,
    name: &FeedTokenName,
    hash: &str,
    prefix: &str,
) -> RepoResult<bool> {
    let existing: i64 = feed_tokens::table
        .filter(feed_tokens::contact_id.eq(contact.0))
        .filter(feed_tokens::name.eq(name.as_str()))
        .filter(feed_tokens::token_hash.eq(hash))
        .count()
        .get_result(conn)?;
    if existing > 0 {
        return Ok(false);
    }
    delete_named(conn, contact, name)?;
    create(conn, contact, name, hash, prefix)?;
    Ok(true)
}

/// Revokes `contact`'s tokens named `name`.
pub fn delete_named(
    conn: &mut DbConnection,
    contact: ContactId,
    name: &FeedTokenName,
) -> RepoResult<usize> {
    Ok(diesel::delete(
        feed_tokens::table
            .filter(feed_tokens::contact_id.eq(contact.0))
            .filter(feed_tokens::name.eq(name.as_str())),
    )
    .execute(conn)?)
}

/// (id, contact, hash) of every token, or of one (for the read model).
pub fn hashes(
    conn: &mut DbConnection,
    id: Option<i64>,
) -> RepoResult<Vec<(i64, ContactId, String)>> {
    let mut query = feed_tokens::table
        .select((
            feed_tokens::id,
            feed_tokens::contact_id,
            feed_tokens::token_hash,
        ))
        .into_boxed();
    if let Some(id) = id {
        query = query.filter(feed_tokens::id.eq(id));
    }
    let rows: Vec<(i64, i64, String)> = query.load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, contact, hash)| (id, ContactId(contact), hash))
        .collect())
}

/// Records that tokens were used at `at` (not a data change: no version, no log).
pub fn mark_used(conn: &mut DbConnection, ids: &[i64], at: OffsetDateTime) -> RepoResult<()> {
    diesel::update(feed_tokens::table.filter(feed_tokens::id.eq_any(ids)))
        .set(feed_tokens::last_used_at.eq(stored(at)))
        .execute(conn)?;
    Ok(())
}
