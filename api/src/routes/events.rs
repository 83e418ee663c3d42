//! What incidents and maintenance share: on the wire, the offerings and tenants an event
//! reaches for the caller and its scope; the list filters; and the read, create and PATCH flows,
//! written once over [`EventKind`] with the two kinds as small specialisations.

use std::collections::HashMap;
use std::fmt::Display;

use time::OffsetDateTime;

use actix_web::{web, HttpRequest, HttpResponse};
use domain::catalogue::{Region, Tier};
use domain::{
    Caller, CallerView, ClassificationId, EventScope, OfferingId, Reach, ServiceId, TenantId,
};
use persistence::model::Reads;
use persistence::{DbConnection, Page, PageRequest, RepoResult};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::Authenticated;
use crate::conditional::{expected_version, versioned_json};
use crate::db::Db;
use crate::error::ApiError;
use crate::idempotency::create_once;

/// One kind of event (incidents, maintenance) as the shared flows see it.
pub trait EventKind {
    type Id: Copy + Display + Send + 'static;
    type Response: Serialize + Send + 'static;
    /// The collection's path, e.g. `/api/v1/incidents`.
    const PATH: &'static str;
    /// Its name in the audit log, e.g. `incident`.
    const OBJECT: &'static str;

    fn raw(id: Self::Id) -> i64;

    /// One event as the caller sees it; `NotFound` when the caller may not see it.
    fn load_one(
        reads: &mut impl Reads,
        caller: &Caller,
        id: Self::Id,
    ) -> RepoResult<Self::Response>;

    fn version(response: &Self::Response) -> i64;

    /// The caller-visible tenants of a response from [`EventKind::load_one`].
    fn impacted_tenants(response: Self::Response) -> Vec<TenantRef>;

    /// The event's service.
    fn service_id(response: &Self::Response) -> i64;

    /// The caller's offerings the event shows on.
    fn offering_ids(response: &Self::Response) -> Vec<i64>;

    /// What a write from `before` (`None`: a new event) to `after` was, as webhooks name it.
    fn webhook_event(
        before: Option<&Self::Response>,
        after: &Self::Response,
    ) -> domain::WebhookEventType;
}

/// `GET {PATH}/{id}`: the caller's view of the event, with a versioned `ETag`.
pub async fn get_event<K: EventKind>(
    db: &Db,
    caller: Caller,
    id: K::Id,
) -> Result<HttpResponse, ApiError> {
    let response = db
        .read(move |reads| K::load_one(reads, &caller, id))
        .await?;
    versioned_json(K::version(&response), &response)
}

/// `GET {PATH}/{id}/impacted-tenants`: the caller-visible tenants of the event, a page.
pub async fn impacted_tenants_page<K: EventKind>(
    db: &Db,
    caller: Caller,
    id: K::Id,
    page: crate::pagination::PageParams,
) -> Result<web::Json<crate::pagination::Page<TenantRef>>, ApiError> {
    let request = page.request()?;
    let response = db
        .read(move |reads| K::load_one(reads, &caller, id))
        .await?;
    let tenants = K::impacted_tenants(response);
    let page = Page::from_sorted(tenants, request, |t| t.id);
    Ok(web::Json(crate::pagination::Page::from_records(
        page,
        |t| t,
    )))
}

/// What event lists may embed beyond their default representation.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Include {
    /// Each event's full list of the caller's impacted tenants.
    ImpactedTenants,
}

impl Include {
    /// Drops the impacted tenants of a listed event unless the list was asked to include them.
    pub fn apply<R>(
        include: Option<Include>,
        mut response: R,
        tenants: impl FnOnce(&mut R) -> &mut Option<Vec<TenantRef>>,
    ) -> R {
        if include != Some(Include::ImpactedTenants) {
            *tenants(&mut response) = None;
        }
        response
    }
}

/// The order of an event list.
#[derive(Debug, Clone, Copy, Default, Deserialize, ToSchema, PartialEq, Eq)]
pub enum Sort {
    /// Oldest first, as created (the default).
    #[default]
    #[serde(rename = "id")]
    Id,
    /// Newest first: by when the event started (a window: its actual start, else its
    /// scheduled one), then by id.
    #[serde(rename = "-started_at")]
    NewestFirst,
}

/// `fetch` for [`visible_page`] over `rows` in [`Sort::NewestFirst`] order: a cursor is the
/// id of the last row shown, placed by its own start time (an id no longer listed ends the list).
pub fn newest_first<T>(
    mut rows: Vec<T>,
    key: impl Fn(&T) -> (OffsetDateTime, i64),
) -> impl FnMut(PageRequest) -> RepoResult<Page<T>>
where
    T: Clone,
{
    rows.sort_by_key(|row| std::cmp::Reverse(key(row)));
    let position: std::collections::HashMap<i64, usize> = rows
        .iter()
        .enumerate()
        .map(|(at, row)| (key(row).1, at))
        .collect();
    move |request| {
        let start = match request.after {
            None => 0,
            Some(after) => position.get(&after).map_or(rows.len(), |at| at + 1),
        };
        let limit = usize::try_from(request.limit).unwrap_or(usize::MAX);
        let items: Vec<T> = rows.iter().skip(start).take(limit).cloned().collect();
        let more = start.saturating_add(items.len()) < rows.len();
        let next_after = if more {
            items.last().map(|row| key(row).1)
        } else {
            None
        };
        Ok(Page { items, next_after })
    }
}

/// `POST {PATH}`: runs `create` at most once per `Idempotency-Key` and answers 201 with the
/// writer's view of the new event.
pub async fn create_event<K: EventKind>(
    db: &Db,
    caller: &Authenticated,
    req: &HttpRequest,
    raw_body: &web::Bytes,
    create: impl Fn(&mut DbConnection) -> RepoResult<K::Id> + Send + 'static,
) -> Result<HttpResponse, ApiError> {
    caller.require_writer()?;
    let writer = caller.0.clone();
    let model = db.model_for_announcing().await;
    create_once(db, &caller.0, req, raw_body, move |conn| {
        let id = create(conn)?;
        let response = K::load_one(conn, &writer, id)?;
        crate::audit::created(conn, &writer, K::OBJECT, K::raw(id), &response)?;
        let event = K::webhook_event(None, &response);
        crate::webhooks::announce::<K>(conn, &model, event, id)?;
        Ok((format!("{}/{id}", K::PATH), response))
    })
    .await
}

/// Before a change to event `id` is even parsed: 404 when the caller may not see it, 403 when
/// it may see but not write it.
pub async fn require_writer_of<K: EventKind>(
    db: &Db,
    caller: &Authenticated,
    id: K::Id,
) -> Result<(), ApiError> {
    let reader = caller.0.clone();
    caller
        .require_writer_of(db, move |conn| K::load_one(conn, &reader, id))
        .await
}

/// `PATCH {PATH}/{id}`: `apply` with the `If-Match` version (412 when stale) and its audit
/// entry in one transaction, then the fresh view with its new `ETag`.
pub async fn patch_event<K: EventKind>(
    db: &Db,
    caller: Caller,
    req: &HttpRequest,
    id: K::Id,
    apply: impl Fn(&mut DbConnection, Option<i64>) -> RepoResult<()> + Send + 'static,
) -> Result<HttpResponse, ApiError> {
    let expected = expected_version(req);
    let (reader, writer) = (caller.clone(), caller.clone());
    let model = db.model_for_announcing().await;
    let response = crate::audit::audited_from(
        db,
        &caller,
        K::OBJECT,
        K::raw(id),
        move |conn| K::load_one(conn, &reader, id),
        move |conn, before| {
            apply(conn, expected)?;
            let after = K::load_one(conn, &writer, id)?;
            let event = K::webhook_event(Some(before), &after);
            crate::webhooks::announce::<K>(conn, &model, event, id)?;
            Ok(Some(after))
        },
    )
    .await?
    .ok_or_else(ApiError::not_found)?;
    versioned_json(K::version(&response), &response)
}

/// The list filters both kinds share, applied to what the caller is shown of an event.
#[derive(Debug, Clone, Copy)]
pub struct ShownFilter {
    /// Only events showing on this offering.
    pub offering: Option<OfferingId>,
    /// Only events affecting this tenant.
    pub tenant: Option<TenantId>,
}

impl ShownFilter {
    pub fn keeps(&self, offerings: &[OfferingRef], tenants: Option<&[TenantRef]>) -> bool {
        self.offering
            .is_none_or(|o| offerings.iter().any(|shown| shown.id == o.0))
            && self.tenant.is_none_or(|t| {
                tenants
                    .unwrap_or_default()
                    .iter()
                    .any(|shown| shown.id == t.0)
            })
    }
}

/// An offering an event shows on, among those the caller sees.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct OfferingRef {
    pub id: i64,
    pub name: String,
}

/// A tenant an event affects (or, for maintenance, may affect), among those the caller sees.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct TenantRef {
    pub id: i64,
    pub name: String,
    pub classification_id: i64,
}

/// `service` (every tenant of the service), `classifications` or `tenants`.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ScopeKind {
    Service,
    Classifications,
    Tenants,
}

/// Which tenants of its service an event reaches.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Scope {
    pub kind: ScopeKind,
    /// For `classifications`: at least one.
    #[serde(default)]
    pub classification_ids: Vec<i64>,
    /// For `tenants`: at least one, all of the event's service. In answers, only the
    /// tenants the caller may see.
    #[serde(default)]
    pub tenant_ids: Vec<i64>,
}

impl Scope {
    pub fn parse(&self) -> Result<EventScope, domain::DomainError> {
        let kind = match self.kind {
            ScopeKind::Service => "service",
            ScopeKind::Classifications => "classifications",
            ScopeKind::Tenants => "tenants",
        };
        EventScope::parse(kind, &self.classification_ids, &self.tenant_ids)
    }

    /// The scope as shown to a caller: explicit tenants are limited to those it may see.
    pub fn shown(scope: &EventScope, reach: &Reach) -> Self {
        match scope {
            EventScope::Service => Scope {
                kind: ScopeKind::Service,
                classification_ids: vec![],
                tenant_ids: vec![],
            },
            EventScope::Classifications(ids) => Scope {
                kind: ScopeKind::Classifications,
                classification_ids: ids.iter().map(|c| c.0).collect(),
                tenant_ids: vec![],
            },
            EventScope::Tenants(_) => Scope {
                kind: ScopeKind::Tenants,
                classification_ids: vec![],
                tenant_ids: reach.tenants.iter().map(|t| t.0).collect(),
            },
        }
    }
}

/// The caller's view plus what rendering events needs.
pub struct EventContext {
    pub view: CallerView,
    pub classes: HashMap<ClassificationId, (Tier, Region)>,
}

impl EventContext {
    /// The caller's view (of one service, or all); classifications only when maintenance
    /// labels will be rendered.
    pub fn load(
        reads: &mut impl Reads,
        caller: &domain::Caller,
        service: Option<ServiceId>,
        with_labels: bool,
    ) -> RepoResult<Self> {
        let view = reads.caller_view(caller, service)?;
        let classes = if with_labels {
            reads
                .classifications()?
                .into_iter()
                .map(|c| (c.id, (c.tier, c.region)))
                .collect()
        } else {
            HashMap::new()
        };
        Ok(Self { view, classes })
    }

    pub fn offerings(&self, reach: &Reach) -> Vec<OfferingRef> {
        self.view
            .offerings()
            .filter(|o| reach.offerings.contains(&o.id))
            .map(|o| OfferingRef {
                id: o.id.0,
                name: o.name.to_string(),
            })
            .collect()
    }

    pub fn tenants(&self, service: ServiceId, reach: &Reach) -> Vec<TenantRef> {
        reach
            .tenants
            .iter()
            .filter_map(|id| self.view.tenant(service, *id))
            .map(|t| TenantRef {
                id: t.id.0,
                name: t.name.clone(),
                classification_id: t.classification_id.0,
            })
            .collect()
    }

    /// The label of a window's scope, e.g. "SaaS 2 & 3 EU-hosted Tenants".
    pub fn label(&self, scope: &EventScope) -> String {
        let classes: Vec<(Tier, Region)> = match scope {
            EventScope::Classifications(ids) => ids
                .iter()
                .filter_map(|id| self.classes.get(id).cloned())
                .collect(),
            EventScope::Service | EventScope::Tenants(_) => Vec::new(),
        };
        domain::maintenance::scope_label(scope, &classes)
    }
}

/// Pages through candidate rows (in id order), keeping those `keep` turns into an answer,
/// until `request.limit` are kept; the cursor continues after the last kept row.
pub fn visible_page<T, U>(
    mut fetch: impl FnMut(PageRequest) -> RepoResult<Page<T>>,
    request: PageRequest,
    id: impl Fn(&T) -> i64,
    mut keep: impl FnMut(T) -> Option<U>,
) -> RepoResult<Page<U>> {
    let wanted = usize::try_from(request.limit).unwrap_or(0);
    let mut kept: Vec<(i64, U)> = Vec::new();
    let mut after = request.after;
    loop {
        let page = fetch(PageRequest {
            after,
            limit: request.limit.max(100),
        })?;
        for row in page.items {
            let row_id = id(&row);
            if let Some(answer) = keep(row) {
                kept.push((row_id, answer));
                if kept.len() > wanted {
                    kept.truncate(wanted);
                    let next_after = kept.last().map(|(id, _)| *id);
                    return Ok(Page {
                        items: kept.into_iter().map(|(_, u)| u).collect(),
                        next_after,
                    });
                }
            }
        }
        match page.next_after {
            Some(next) => after = Some(next),
            None => {
                return Ok(Page {
                    items: kept.into_iter().map(|(_, u)| u).collect(),
                    next_after: None,
                })
            }
        }
    }
}
