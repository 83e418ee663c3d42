//! Each service's incidents as availability counts them, kept in the read model beside the
//! incidents: rebuilt per incident when it changes, and laid out side by side once per data
//! version for the rollups to share, instead of being rebuilt on every request.

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use domain::availability::{ScopedOutage, Window};
use domain::IncidentId;
use time::OffsetDateTime;

use super::IncidentFilter;

/// An incident as availability reads it: when it ran (for the window filter) and its outage.
#[derive(Debug, Clone)]
struct Counted {
    started_at: OffsetDateTime,
    resolved_at: Option<OffsetDateTime>,
    outage: ScopedOutage,
}

/// One service's incidents, by id, and their layout for the current data version (made by the
/// first rollup that needs it, dropped by any change).
#[derive(Debug, Default)]
pub(super) struct ServiceOutages {
    by_id: BTreeMap<IncidentId, Counted>,
    laid_out: OnceLock<Arc<[Counted]>>,
}

impl ServiceOutages {
    pub(super) fn insert(
        &mut self,
        id: IncidentId,
        started_at: OffsetDateTime,
        resolved_at: Option<OffsetDateTime>,
        outage: ScopedOutage,
    ) {
        let counted = Counted {
            started_at,
            resolved_at,
            outage,
        };
        self.by_id.insert(id, counted);
        self.laid_out = OnceLock::new();
    }

    /// The incident `id` as availability counts it.
    pub(super) fn get(&self, id: IncidentId) -> Option<&ScopedOutage> {
        self.by_id.get(&id).map(|c| &c.outage)
    }

    pub(super) fn remove(&mut self, id: IncidentId) {
        if self.by_id.remove(&id).is_some() {
            self.laid_out = OnceLock::new();
        }
    }

    /// The incidents that ran at some point in the window.
    pub(super) fn in_window(&self, window: Window) -> Outages {
        let all = Arc::clone(
            self.laid_out
                .get_or_init(|| self.by_id.values().cloned().collect()),
        );
        let in_window = IncidentFilter {
            from: Some(window.from),
            to: Some(window.to),
            ..IncidentFilter::default()
        };
        let picked = all
            .iter()
            .enumerate()
            .filter(|(_, c)| in_window.runs_in(c.started_at, c.resolved_at))
            .map(|(at, _)| at)
            .collect();
        Outages { all, picked }
    }
}

/// Some of a service's incidents, shared with the read model (no copy per request).
#[derive(Debug, Clone, Default)]
pub struct Outages {
    all: Arc<[Counted]>,
    picked: Vec<usize>,
}

impl Outages {
    /// The incidents, in id order.
    pub fn list(&self) -> Vec<&ScopedOutage> {
        self.picked.iter().map(|&at| &self.all[at].outage).collect()
    }
}
