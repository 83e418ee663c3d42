//! `GET /changes`: what changed after a data version that the caller may see, for integrations
//! that sync instead of re-listing.

use std::collections::{HashMap, HashSet};

use actix_web::{get, web};
use domain::Caller;
use persistence::changes::{self, LoggedChange, ObjectKind};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::http::auth::Authenticated;
use crate::http::error::{ApiError, ErrorCode, ReadProblems};
use crate::http::extract::QueryParams;
use crate::http::state::AppState;
use crate::views::changes::{collect, ChangesPage, Told};

/// Log rows read per round, and at most per request (a page may then end short of `limit`,
/// with `has_more`).
const BATCH: i64 = 2_000;
const MAX_SCANNED: usize = 50_000;

/// Where to start and how much to take.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ChangesParams {
    /// The `next_since` of the previous page. Without it the page is empty and `next_since` is
    /// the current version: ask for it before listing the objects, then follow it. One past
    /// the current version also answers an empty page with the current version.
    #[param(minimum = 0)]
    pub since: Option<i64>,
    /// Objects per page, 1–1000 (default 200).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<i64>,
}

/// What changed after `since` that the caller may see: each object once, in version order, with
/// its latest version and whether it is gone from the caller's view. Scoped like the objects:
/// an object is listed when the caller may read it now and it, or what the caller sees of it
/// (an event's impacted tenants, counts and offerings), changed; it is listed as deleted once,
/// when it was deleted or left the caller's view (a tenant moved away, an event no longer
/// affecting the caller's tenants), and never names an object the caller could not see.
/// Applying every page leaves a client with exactly what the list endpoints show it. The log is kept for `SLR_CHANGES_RETENTION` (7 days by default): a `since` from
/// before that answers 410, and the client lists the objects again and follows the `next_since`
/// it got just before.
#[utoipa::path(
    tag = "integrations",
    params(ChangesParams),
    responses(
        (status = 200, body = ChangesPage),
        (status = 410, description = "`since` is older than the change log reaches: list the objects again, then follow the feed from a fresh `next_since` (ask without `since`)", body = crate::http::error::Problem, content_type = "application/problem+json"),
        ReadProblems
    )
)]
#[get("/changes")]
pub async fn list_changes(
    state: web::Data<AppState>,
    caller: Authenticated,
    params: QueryParams<ChangesParams>,
) -> Result<web::Json<ChangesPage>, ApiError> {
    let db = &state.db;
    let caller = caller.0;
    let limit = params.0.limit.unwrap_or(200);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::bad_parameter(
            "limit",
            "must be between 1 and 1000",
        ));
    }
    let mut until = db.version();
    let Some(since) = params.0.since else {
        return Ok(web::Json(ChangesPage::empty(until)));
    };
    if since < 0 {
        return Err(ApiError::bad_parameter("since", "must be 0 or more"));
    }
    if since > until {
        // Another replica may already be further: this one catches up first.
        until = db.catch_up().await?;
        if since > until {
            // No version this far on was ever handed out: start again from the current one
            // (a client told an object twice re-reads it; one that skipped it would miss it).
            return Ok(web::Json(ChangesPage::empty(until)));
        }
    }
    let purged = db.run(changes::purged_through).await?;
    if since < purged {
        return Err(ApiError::new(
            ErrorCode::SinceExpired,
            format!(
                "changes up to version {purged} are no longer kept; list the objects again, then follow GET /api/v1/changes from the next_since you get without since"
            ),
        ));
    }
    let view_of = caller.clone();
    let view = db
        .read(move |model| Ok(model.caller_view(&view_of, None)))
        .await?;
    let view = std::sync::Arc::new(view);
    let limit = usize::try_from(limit).unwrap_or(200);
    let (mut items, mut at) = (Vec::new(), HashMap::new());
    let mut cursor = since;
    let mut scanned = 0;
    let stopped = loop {
        let (batch, read_through) = db
            .run(move |conn| changes::logged_after(conn, cursor, until, BATCH))
            .await?;
        let Some(read_through) = read_through else {
            break None;
        };
        scanned += usize::try_from(BATCH).unwrap_or(0);
        let mut objects: Vec<(ObjectKind, i64)> = batch.iter().map(|c| (c.kind, c.id)).collect();
        objects.sort_unstable();
        objects.dedup();
        let (who, seen) = (caller.clone(), std::sync::Arc::clone(&view));
        let sees: HashSet<(ObjectKind, i64)> = db
            .read(move |model| {
                Ok(objects
                    .into_iter()
                    .filter(|&(kind, id)| model.sees(&who, &seen, kind, id) == Some(true))
                    .collect())
            })
            .await?;
        let tell = |change: &LoggedChange| told(&caller, &sees, change);
        if let Some(stop) = collect(&batch, tell, limit, &mut items, &mut at) {
            break Some(stop);
        }
        cursor = read_through;
        if scanned >= MAX_SCANNED {
            break Some(read_through);
        }
    };
    items.sort_by_key(|item| item.version);
    let next_since = stopped.unwrap_or(until).max(since);
    Ok(web::Json(ChangesPage {
        items,
        next_since,
        has_more: next_since < until,
    }))
}

/// What one logged change tells `caller`: a change it is in the audience of shows the object as
/// it is now when the caller sees it, and as deleted when it does not — but only a view change
/// (one naming whose view it changed, or a deletion) says it was there before; a plain row
/// change of an object the caller does not see tells nothing. So an object that left the
/// caller's view is told deleted once, at the change that took it away, and later edits of it
/// are not news to the caller.
fn told(caller: &Caller, sees: &HashSet<(ObjectKind, i64)>, change: &LoggedChange) -> Told {
    if !change.audience.includes(caller) {
        Told::Hidden
    } else if sees.contains(&(change.kind, change.id)) {
        Told::Present
    } else if change.audience.tells_departure() {
        Told::Deleted
    } else {
        Told::Hidden
    }
}
