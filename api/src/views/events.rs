//! What incidents and maintenance windows share when they are read: scope, reach, the refs a
//! caller is shown, the list filters and the `EventKind` both implement.

use std::collections::HashMap;
use std::fmt::Display;

use actix_web::{web, HttpResponse};
use domain::catalogue::{Region, Tier};
use domain::{
    Caller, CallerView, ClassificationId, EventScope, OfferingId, Reach, ServiceId, TenantId,
};
use persistence::model::Reads;
use persistence::{Page, PageRequest, RepoResult};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;

use crate::http::conditional::versioned_json;
use crate::http::db::Db;
use crate::http::error::ApiError;

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

    /// The event in words for a chat message or an email: its title, a line about it, and the
    /// caller's impacted tenants.
    fn in_words(response: &Self::Response) -> EventWords;

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
    page: crate::http::pagination::PageParams,
) -> Result<web::Json<crate::http::pagination::Page<TenantRef>>, ApiError> {
    let request = page.request()?;
    let response = db
        .read(move |reads| K::load_one(reads, &caller, id))
        .await?;
    let tenants = K::impacted_tenants(response);
    let page = Page::from_sorted(tenants, request, |t| t.id);
    Ok(web::Json(crate::http::pagination::Page::from_records(
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
    /// Inside an incident: the tenant's own state (`affected` while the incident runs for it,
    /// `recovered`, or `unaffected`: ruled out). Absent for maintenance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<crate::http::wire::TenantState>,
    /// When it recovered or was ruled out (absent while affected).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::http::wire::instant::option"
    )]
    pub state_at: Option<OffsetDateTime>,
}

impl TenantRef {
    /// The tenant as a line names it: its name, and inside an incident when it recovered or
    /// that it was ruled out ("eu-prod (recovered 2027-01-02 22:00 UTC)").
    pub fn described(&self) -> String {
        use crate::http::wire::TenantState;
        match (self.state, self.state_at) {
            (Some(TenantState::Recovered), Some(at)) => {
                format!("{} (recovered {})", self.name, minute(at))
            }
            (Some(TenantState::Unaffected), _) => format!("{} (ruled out)", self.name),
            _ => self.name.clone(),
        }
    }
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

    /// The scope as shown to a caller: explicit tenants are limited to those it may see (and
    /// still listed: a tenant recovered before the list narrowed is reached, not listed).
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
            EventScope::Tenants(ids) => Scope {
                kind: ScopeKind::Tenants,
                classification_ids: vec![],
                tenant_ids: reach
                    .tenants
                    .iter()
                    .filter(|t| ids.contains(t))
                    .map(|t| t.0)
                    .collect(),
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
                state: None,
                state_at: None,
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

/// An event in words, for chat messages and email: all of it text the event's writers and the
/// directory chose (chat formats escape it for their markup).
#[derive(Debug, Clone, PartialEq)]
pub struct EventWords {
    pub title: String,
    /// A line about the event: its impact, status and time, or its window.
    pub about: String,
    /// The reader's tenants it touches; `None` for a message about no event (a ping).
    pub tenants: Option<TenantList>,
}

/// The reader's tenants an event touches, each as a line names it, with what they are.
#[derive(Debug, Clone, PartialEq)]
pub struct TenantList {
    /// E.g. "Your impacted tenants".
    pub label: &'static str,
    pub names: Vec<String>,
}

impl TenantList {
    pub fn new(label: &'static str, tenants: Option<&[TenantRef]>) -> Self {
        Self {
            label,
            names: tenants
                .unwrap_or_default()
                .iter()
                .map(TenantRef::described)
                .collect(),
        }
    }

    /// "label (n): a, b": every tenant in a line (for email).
    pub fn line(&self) -> String {
        format!(
            "{} ({}): {}",
            self.label,
            self.names.len(),
            self.names.join(", ")
        )
    }
}

/// An instant to the minute, as pages and chat messages show it: "2027-01-02 22:00 UTC".
pub fn minute(at: OffsetDateTime) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute] UTC");
    at.format(format).unwrap_or_default()
}
