//! The list filters incidents and maintenance windows are read with.

use domain::{
    ClassificationId, Incident, IncidentStatus, Maintenance, MaintenanceStatus, ServiceId,
};
use time::OffsetDateTime;

/// Which incidents a list wants.
#[derive(Debug, Clone, Default)]
pub struct IncidentFilter {
    /// Only incidents of these services.
    pub services: Option<Vec<ServiceId>>,
    pub status: Option<IncidentStatus>,
    /// Only unresolved incidents.
    pub active_only: bool,
    /// Only incidents running at some point in [from, to).
    pub from: Option<OffsetDateTime>,
    pub to: Option<OffsetDateTime>,
}

/// Which maintenance windows a list wants (the phase — upcoming, active, past — is applied by the caller, as it
/// depends on the status and the clock).
#[derive(Debug, Clone, Default)]
pub struct MaintenanceFilter {
    pub services: Option<Vec<ServiceId>>,
    pub status: Option<MaintenanceStatus>,
    /// Only windows that may impact tenants of this classification: whole-service windows,
    /// windows listing it, and windows aimed at a tenant in it.
    pub classification: Option<ClassificationId>,
    /// Only windows overlapping [from, to): the window each really ran (or runs) where
    /// recorded — actual start and end, until now while in progress — else the scheduled one.
    pub from: Option<OffsetDateTime>,
    pub to: Option<OffsetDateTime>,
    /// Leave out completed and cancelled windows.
    pub open_only: bool,
    /// Only windows availability may count: not cancelled, expected impact other than `none`.
    pub counted_only: bool,
    /// Only the windows of this recurring series.
    pub series: Option<domain::MaintenanceId>,
}

impl IncidentFilter {
    /// Whether the incident passes every filter.
    pub fn matches(&self, i: &Incident) -> bool {
        self.services
            .as_ref()
            .is_none_or(|s| s.contains(&i.service_id))
            && self.status.is_none_or(|s| i.status == s)
            && (!self.active_only || i.status != IncidentStatus::Resolved)
            && self.runs_in(i.started_at, i.resolved_at)
    }

    /// Whether an incident started at `started_at` and resolved at `resolved_at` (if it is)
    /// ran at some point in [from, to).
    pub(crate) fn runs_in(
        &self,
        started_at: OffsetDateTime,
        resolved_at: Option<OffsetDateTime>,
    ) -> bool {
        self.to.is_none_or(|to| started_at < to)
            && self
                .from
                .is_none_or(|from| resolved_at.is_none_or(|r| r >= from))
    }
}

impl MaintenanceFilter {
    /// Whether the window passes every filter but the classification (`Model` checks that).
    pub fn matches(&self, m: &Maintenance) -> bool {
        self.services
            .as_ref()
            .is_none_or(|s| s.contains(&m.service_id))
            && self.status.is_none_or(|s| m.status == s)
            && self.series.is_none_or(|s| m.series_id == Some(s))
            && (!self.open_only
                || matches!(
                    m.status,
                    MaintenanceStatus::Scheduled | MaintenanceStatus::InProgress
                ))
            && (!self.counted_only
                || (m.status != MaintenanceStatus::Cancelled
                    && m.expected_impact != domain::ExpectedImpact::None))
            && self.to.is_none_or(|to| match m.actual_start {
                Some(start) => start < to,
                None => m.scheduled_start < to,
            })
            && self.from.is_none_or(|from| match m.actual_end {
                Some(end) => end > from,
                None => m.status == MaintenanceStatus::InProgress || m.scheduled_end > from,
            })
    }
}
