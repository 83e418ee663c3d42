//! The change feed as a caller sees it: the objects the log names after a version, each once at
//! its latest version in the page, kept when the caller sees it now (or, gone from the caller's
//! view, at the change that took it away).

use std::collections::HashMap;

use persistence::changes::{LoggedChange, ObjectKind};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The kind of a changed object, as its collection names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    Account,
    Contact,
    Service,
    Classification,
    Tenant,
    Offering,
    Incident,
    Maintenance,
}

impl From<ObjectKind> for ChangeKind {
    fn from(kind: ObjectKind) -> Self {
        match kind {
            ObjectKind::Account => Self::Account,
            ObjectKind::Contact => Self::Contact,
            ObjectKind::Service => Self::Service,
            ObjectKind::Classification => Self::Classification,
            ObjectKind::Tenant => Self::Tenant,
            ObjectKind::Offering => Self::Offering,
            ObjectKind::Incident => Self::Incident,
            ObjectKind::Maintenance => Self::Maintenance,
        }
    }
}

/// Where an object of `kind` is read (a contact under its account, which the feed does not
/// name: `None`).
fn href(kind: ObjectKind, id: i64) -> Option<String> {
    let collection = match kind {
        ObjectKind::Account => "accounts",
        ObjectKind::Contact => return None,
        ObjectKind::Service => "services",
        ObjectKind::Classification => "classifications",
        ObjectKind::Tenant => "tenants",
        ObjectKind::Offering => "offerings",
        ObjectKind::Incident => "incidents",
        ObjectKind::Maintenance => "maintenances",
    };
    Some(format!("/api/v1/{collection}/{id}"))
}

/// One object that changed.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ChangeResponse {
    pub kind: ChangeKind,
    pub id: i64,
    /// The data version of its latest change in this page.
    pub version: i64,
    /// True when it was deleted or left the caller's view (told once, at the change that took
    /// it away): drop it. False: GET it again (at `href`) for what it is now.
    pub deleted: bool,
    /// Where to read it (absent when deleted, and for contacts: read them under their account).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub href: Option<String>,
}

/// A page of the change feed.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ChangesPage {
    /// What changed after `since`, in version order, each object once.
    pub items: Vec<ChangeResponse>,
    /// Pass as `since` for what changed after this page (also when `items` is empty).
    pub next_since: i64,
    /// Whether more changes are already logged after `next_since`: ask again at once.
    pub has_more: bool,
}

impl ChangesPage {
    /// Nothing to tell: follow on from `version`.
    pub fn empty(version: i64) -> Self {
        Self {
            items: Vec::new(),
            next_since: version,
            has_more: false,
        }
    }
}

/// What the caller may be told of an object: shown as it is now, told as gone, or nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Told {
    Present,
    Deleted,
    Hidden,
}

/// Walks `changes` (in version order) into at most `limit` entries: the walk stops before the
/// change that would add one more object, so `next_since` is the version of the last change
/// used (or `read_through` when the whole batch was).
pub fn collect(
    changes: &[LoggedChange],
    told: impl Fn(&LoggedChange) -> Told,
    limit: usize,
    items: &mut Vec<ChangeResponse>,
    at: &mut HashMap<(ObjectKind, i64), usize>,
) -> Option<i64> {
    for change in changes {
        let key = (change.kind, change.id);
        let deleted = match told(change) {
            Told::Present => false,
            Told::Deleted => true,
            Told::Hidden => continue,
        };
        match at.get(&key) {
            Some(&index) => items[index].version = change.version,
            None if items.len() >= limit => return Some(change.version - 1),
            None => {
                at.insert(key, items.len());
                items.push(ChangeResponse {
                    kind: change.kind.into(),
                    id: change.id,
                    version: change.version,
                    deleted,
                    href: if deleted {
                        None
                    } else {
                        href(change.kind, change.id)
                    },
                });
            }
        }
    }
    None
}
