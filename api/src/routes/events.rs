//! What incidents and maintenance share on the wire: the offerings and tenants an event
//! reaches for the caller, scopes, and paging through candidates the caller may see.

use std::collections::HashMap;

use domain::catalogue::{Region, Tier};
use domain::{CallerView, ClassificationId, EventScope, Reach, ServiceId};
use persistence::repo::catalogue;
use persistence::{DbConnection, Page, PageRequest, RepoResult};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

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
        conn: &mut DbConnection,
        caller: &domain::Caller,
        service: Option<ServiceId>,
        with_labels: bool,
    ) -> RepoResult<Self> {
        let view = persistence::repo::events::caller_view(conn, caller, service)?;
        let classes = if with_labels {
            catalogue::all_classifications(conn)?
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
