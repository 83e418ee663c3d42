//! Incidents: unplanned events on one service, with an impact, a status lifecycle, an
//! append-only timeline and a scope.

use std::collections::BTreeMap;
use std::sync::Arc;

use time::{Duration, OffsetDateTime};

use crate::availability::{Cut, IncidentHistory, Outage};
use crate::text::{text_type, wire_enum};
use crate::{
    ContactId, DomainError, EventScope, IncidentId, IncidentUpdateId, ServiceId, TenantId,
};

/// An unplanned event on one service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incident {
    pub id: IncidentId,
    pub service_id: ServiceId,
    pub title: Title,
    /// The impact in effect now (the last of its history).
    pub impact: Impact,
    /// The impact it started with, and each later change from the instant it took effect.
    pub initial_impact: Impact,
    pub impact_changes: Vec<(OffsetDateTime, Impact)>,
    pub status: IncidentStatus,
    pub scope: EventScope,
    pub started_at: OffsetDateTime,
    pub resolved_at: Option<OffsetDateTime>,
    /// The tenants whose own state differs from the incident's: recovered at an instant, or
    /// ruled out. Every other tenant the scope reaches is affected while the incident is open.
    /// Shared: the availability maths reads the same map on every request.
    pub tenant_marks: Arc<BTreeMap<TenantId, TenantMark>>,
    /// Grows by one with every change; `If-Match` compares against it.
    pub version: i64,
}

wire_enum!(
    /// A tenant's own state inside an incident: `affected` while the incident runs for it,
    /// `recovered` from the instant it came back, `unaffected` when ruled out.
    TenantState, field = "state" {
        Affected => "affected",
        Recovered => "recovered",
        Unaffected => "unaffected",
    }
);

/// A tenant marked inside an incident: its state and the instant it took effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TenantMark {
    pub state: TenantState,
    pub at: OffsetDateTime,
}

impl TenantMark {
    /// What the mark does to the tenant's share of the incident's history (`None`: nothing,
    /// the tenant is affected).
    pub fn cut(self) -> Option<Cut> {
        match self.state {
            TenantState::Affected => None,
            TenantState::Recovered => Some(Cut::RecoveredAt(self.at)),
            TenantState::Unaffected => Some(Cut::Unaffected),
        }
    }
}

/// What asking for an impact does to an incident's history.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImpactChange {
    Unchanged,
    /// A change taking effect from this instant (the incident is or becomes open).
    From(OffsetDateTime, Impact),
    /// A correction of a resolved incident: its whole history becomes this impact.
    Correction(Impact),
}

impl Incident {
    /// A tenant's own state in the incident, and since when (`None` for an affected tenant:
    /// since the incident started).
    pub fn tenant_state(&self, tenant: TenantId) -> (TenantState, Option<OffsetDateTime>) {
        self.tenant_marks
            .get(&tenant)
            .map_or((TenantState::Affected, None), |m| (m.state, Some(m.at)))
    }

    /// Whether the incident reaches the tenant `id` of classification `class` (of its
    /// service): inside its scope, or recovered inside it before the scope narrowed away from
    /// it (it keeps the incident until its recovery).
    pub fn reaches_tenant(&self, id: TenantId, class: crate::ClassificationId) -> bool {
        self.scope.reaches_tenant(id, class)
            || self
                .tenant_marks
                .get(&id)
                .is_some_and(|m| m.state == TenantState::Recovered)
    }

    pub fn reaches(&self, tenant: &crate::ScopedTenant) -> bool {
        self.reaches_tenant(tenant.id, tenant.classification_id)
    }

    /// Whether the incident still counts for the tenant now: it is open and the tenant was
    /// neither recovered nor ruled out.
    pub fn still_affects(&self, tenant: TenantId) -> bool {
        self.status.is_active() && self.tenant_state(tenant).0 == TenantState::Affected
    }

    /// Checks marking tenants `state` at `at` (default now): only an open incident's tenants
    /// are marked, and a recovery lies between the start and now.
    pub fn mark(
        &self,
        state: TenantState,
        at: Option<OffsetDateTime>,
        now: OffsetDateTime,
    ) -> Result<TenantMark, DomainError> {
        if !self.status.is_active() {
            return Err(DomainError::invalid(
                "incident",
                "only an open incident's tenants are marked; reopen it first",
            ));
        }
        let at = at.unwrap_or(now);
        if at < self.started_at || at > now {
            return Err(DomainError::invalid(
                "at",
                "must lie between the incident's start and now",
            ));
        }
        Ok(TenantMark { state, at })
    }

    /// Asking for `impact` at `now`, with the incident open (before or after the request):
    /// open incidents change from now; a resolved one is corrected as a whole.
    pub fn impact_change(&self, impact: Impact, open: bool, now: OffsetDateTime) -> ImpactChange {
        if impact == self.impact {
            ImpactChange::Unchanged
        } else if open {
            ImpactChange::From(now, impact)
        } else {
            ImpactChange::Correction(impact)
        }
    }

    /// Where a timeline update asking for `requested` (and `reopen`) at `now` leaves the
    /// incident: its status and resolution time (set on resolve, cleared on reopen).
    pub fn after_update(
        &self,
        requested: Option<IncidentStatus>,
        reopen: bool,
        now: OffsetDateTime,
    ) -> Result<(IncidentStatus, Option<OffsetDateTime>), DomainError> {
        let status = next_status(self.status, requested, reopen)?;
        Ok((status, resolved_at_after(status, self.resolved_at, now)))
    }

    /// Checks a new start time: it may be back-dated, never in the future, nor after the
    /// incident's resolution.
    pub fn check_new_start(
        &self,
        started_at: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<(), DomainError> {
        check_started_at(started_at, now)?;
        if self
            .resolved_at
            .is_some_and(|resolved| started_at > resolved)
        {
            return Err(DomainError::invalid(
                "started_at",
                "must not be after the incident was resolved",
            ));
        }
        Ok(())
    }
}

/// One entry of an incident's append-only timeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncidentUpdate {
    pub id: IncidentUpdateId,
    pub status: IncidentStatus,
    pub message: Message,
    /// `None` once the author's contact was removed.
    pub author: Option<ContactId>,
    pub created_at: OffsetDateTime,
}

/// A post-incident report: what happened, why, and what is done so it does not happen again.
/// A draft (`published_at: None`) is read by provider admins only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncidentReport {
    pub summary: ReportText,
    pub root_cause: ReportText,
    pub remediation: ReportText,
    pub published_at: Option<OffsetDateTime>,
    /// `None` once the author's contact was removed.
    pub author: Option<ContactId>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

/// A report section: 1–20000 characters, trimmed; unlike one-line text it may hold line breaks
/// and tabs, but no other control character.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportText(String);

impl ReportText {
    pub const MAX: usize = 20_000;

    pub fn parse(field: &'static str, raw: &str) -> Result<Self, DomainError> {
        crate::text::bounded_allowing(
            field,
            raw,
            Self::MAX,
            |c| matches!(c, '\n' | '\r' | '\t'),
            "must not contain control characters other than line breaks and tabs",
        )
        .map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

wire_enum!(
    /// How badly an incident hurts, from mild to severe.
    Impact, field = "impact" {
        Degraded => "degraded",
        PartialOutage => "partial_outage",
        MajorOutage => "major_outage",
    }
);

impl Impact {
    /// Severity order: degraded < partial_outage < major_outage.
    pub fn severity(self) -> u8 {
        match self {
            Impact::Degraded => 1,
            Impact::PartialOutage => 2,
            Impact::MajorOutage => 3,
        }
    }
}

wire_enum!(
    /// Where an incident stands: investigating → identified → monitoring → resolved.
    IncidentStatus, field = "status" {
        Investigating => "investigating",
        Identified => "identified",
        Monitoring => "monitoring",
        Resolved => "resolved",
    }
);

impl IncidentStatus {
    fn rank(self) -> u8 {
        match self {
            IncidentStatus::Investigating => 0,
            IncidentStatus::Identified => 1,
            IncidentStatus::Monitoring => 2,
            IncidentStatus::Resolved => 3,
        }
    }

    pub fn is_active(self) -> bool {
        self != IncidentStatus::Resolved
    }
}

text_type!(
    /// An event's title (1–200 characters).
    Title, field = "title", max = 200
);

text_type!(
    /// A timeline message (1–5000 characters).
    Message, field = "message", max = 5000
);

/// Checks a status change: forward moves only (steps may be skipped); leaving `resolved`
/// needs `reopen`; staying put is allowed (an update without a status change).
fn check_transition(
    from: IncidentStatus,
    to: IncidentStatus,
    reopen: bool,
) -> Result<(), DomainError> {
    if from == to {
        return Ok(());
    }
    if from == IncidentStatus::Resolved {
        return if reopen {
            Ok(())
        } else {
            Err(DomainError::invalid(
                "status",
                "the incident is resolved; set reopen to true to reopen it",
            ))
        };
    }
    if reopen {
        return Err(DomainError::invalid(
            "reopen",
            "only a resolved incident can be reopened",
        ));
    }
    if to.rank() < from.rank() {
        return Err(DomainError::invalid(
            "status",
            format!("cannot go back from {from} to {to}"),
        ));
    }
    Ok(())
}

/// The status after a timeline update asking for `requested` (absent: keep the status), with
/// `reopen` set to reopen a resolved incident — to `investigating` unless another open status
/// is asked for. Anything the lifecycle forbids is refused, so a reopen always reopens.
fn next_status(
    current: IncidentStatus,
    requested: Option<IncidentStatus>,
    reopen: bool,
) -> Result<IncidentStatus, DomainError> {
    let to = match (requested, reopen) {
        (None, true) => IncidentStatus::Investigating,
        (Some(IncidentStatus::Resolved), true) if current == IncidentStatus::Resolved => {
            return Err(DomainError::invalid(
                "status",
                "reopening needs an open status (investigating, identified or monitoring)",
            ))
        }
        (requested, _) => requested.unwrap_or(current),
    };
    check_transition(current, to, reopen)?;
    Ok(to)
}

/// `resolved_at` after moving to `to`: set on resolve (keeping an earlier one), cleared on reopen.
fn resolved_at_after(
    to: IncidentStatus,
    previous: Option<OffsetDateTime>,
    now: OffsetDateTime,
) -> Option<OffsetDateTime> {
    match to {
        IncidentStatus::Resolved => Some(previous.unwrap_or(now)),
        _ => None,
    }
}

/// Checks a back-filled impact history: changes in time order, after the start, not after the
/// resolution (of a resolved incident) nor in the future.
pub fn check_impact_changes(
    started_at: OffsetDateTime,
    resolved_at: Option<OffsetDateTime>,
    changes: &[(OffsetDateTime, Impact)],
    now: OffsetDateTime,
) -> Result<(), DomainError> {
    let mut after = started_at;
    for &(at, _) in changes {
        if at <= after {
            return Err(DomainError::invalid(
                "impact_changes",
                "each change must come after started_at and after the change before it",
            ));
        }
        if resolved_at.is_some_and(|resolved| at > resolved) || at > now + CLOCK_SKEW {
            return Err(DomainError::invalid(
                "impact_changes",
                "a change must not come after the resolution nor lie in the future",
            ));
        }
        after = at;
    }
    Ok(())
}

/// The stretches an incident stood open: from its start to its resolution — or, for a reopened
/// incident, from the start to each resolution and from each reopening to the next resolution,
/// read from its timeline's status entries (oldest first); the last may still be open.
pub fn open_periods(
    started_at: OffsetDateTime,
    resolved_at: Option<OffsetDateTime>,
    reopened_timeline: Option<&[(OffsetDateTime, IncidentStatus)]>,
) -> Vec<(OffsetDateTime, Option<OffsetDateTime>)> {
    let Some(timeline) = reopened_timeline else {
        return vec![(started_at, resolved_at)];
    };
    let mut periods = Vec::new();
    let mut open = Some(started_at);
    for &(at, status) in timeline {
        let at = at.max(started_at);
        match (status, open) {
            (IncidentStatus::Resolved, Some(from)) => {
                periods.push((from, Some(at)));
                open = None;
            }
            (status, None) if status.is_active() => open = Some(at),
            _ => {}
        }
    }
    if let Some(from) = open {
        periods.push((from, None));
    }
    periods
}

/// An incident as the availability maths sees it: its open periods split wherever the impact
/// changed, each at the impact in effect then (`initial` until the first change).
pub fn outage_history(
    id: IncidentId,
    open: &[(OffsetDateTime, Option<OffsetDateTime>)],
    initial: Impact,
    changes: &[(OffsetDateTime, Impact)],
) -> IncidentHistory {
    let impact_at = |t: OffsetDateTime| {
        changes
            .iter()
            .rev()
            .find(|(at, _)| *at <= t)
            .map_or(initial, |&(_, impact)| impact)
    };
    let mut periods = Vec::new();
    for &(start, end) in open {
        let mut from = start;
        for &(at, _) in changes {
            if at > from && end.is_none_or(|end| at < end) {
                periods.push(Outage {
                    start: from,
                    end: Some(at),
                    impact: impact_at(from),
                });
                from = at;
            }
        }
        periods.push(Outage {
            start: from,
            end,
            impact: impact_at(from),
        });
    }
    IncidentHistory {
        id,
        periods,
        repaired_at: None,
    }
}

/// How far in the future a client's clock may be before a start time is refused.
pub const CLOCK_SKEW: Duration = Duration::minutes(1);

/// Checks a start time: it may be back-dated, never in the future.
pub fn check_started_at(
    started_at: OffsetDateTime,
    now: OffsetDateTime,
) -> Result<(), DomainError> {
    if started_at > now + CLOCK_SKEW {
        Err(DomainError::invalid(
            "started_at",
            "must not be in the future",
        ))
    } else {
        Ok(())
    }
}

/// Checks a recorded resolution (back-filled history): only for resolved incidents, not
/// before the start, not in the future.
pub fn check_resolved_at(
    status: IncidentStatus,
    started_at: OffsetDateTime,
    resolved_at: Option<OffsetDateTime>,
    now: OffsetDateTime,
) -> Result<Option<OffsetDateTime>, DomainError> {
    match (status, resolved_at) {
        (IncidentStatus::Resolved, Some(at)) if at < started_at => Err(DomainError::invalid(
            "resolved_at",
            "must not be before started_at",
        )),
        (IncidentStatus::Resolved, Some(at)) if at > now + CLOCK_SKEW => Err(DomainError::invalid(
            "resolved_at",
            "must not be in the future",
        )),
        (IncidentStatus::Resolved, at) => Ok(Some(at.unwrap_or(now))),
        (_, Some(_)) => Err(DomainError::invalid(
            "resolved_at",
            "only a resolved incident has a resolution time",
        )),
        (_, None) => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use IncidentStatus::*;

    #[test]
    fn lifecycle_moves_forward_and_reopens_only_explicitly() {
        assert!(check_transition(Investigating, Identified, false).is_ok());
        assert!(
            check_transition(Investigating, Resolved, false).is_ok(),
            "steps may be skipped"
        );
        assert!(check_transition(Monitoring, Monitoring, false).is_ok());
        assert_eq!(
            check_transition(Monitoring, Identified, false).unwrap_err(),
            DomainError::invalid("status", "cannot go back from monitoring to identified")
        );
        assert!(check_transition(Resolved, Investigating, false).is_err());
        assert!(check_transition(Resolved, Identified, true).is_ok());
        assert!(
            check_transition(Identified, Monitoring, true).is_err(),
            "reopen is for resolved incidents"
        );
    }

    #[test]
    fn reopen_reopens_to_investigating_unless_told_otherwise() {
        assert_eq!(next_status(Resolved, None, true), Ok(Investigating));
        assert_eq!(
            next_status(Resolved, Some(Monitoring), true),
            Ok(Monitoring)
        );
        assert!(next_status(Resolved, Some(Resolved), true).is_err());
        assert!(next_status(Identified, None, true).is_err());
        assert_eq!(next_status(Resolved, None, false), Ok(Resolved));
        assert_eq!(next_status(Identified, None, false), Ok(Identified));
        assert!(next_status(Resolved, Some(Identified), false).is_err());
    }

    #[test]
    fn resolved_at_is_set_on_resolve_and_cleared_on_reopen() {
        let t0 = OffsetDateTime::UNIX_EPOCH;
        let t1 = t0 + Duration::hours(1);
        assert_eq!(resolved_at_after(Resolved, None, t1), Some(t1));
        assert_eq!(resolved_at_after(Resolved, Some(t0), t1), Some(t0));
        assert_eq!(resolved_at_after(Investigating, Some(t0), t1), None);
    }

    #[test]
    fn recorded_resolutions_are_checked() {
        let now = OffsetDateTime::UNIX_EPOCH + Duration::days(1000);
        let start = now - Duration::days(2);
        assert_eq!(check_resolved_at(Resolved, start, None, now), Ok(Some(now)));
        assert_eq!(
            check_resolved_at(Resolved, start, Some(start + Duration::hours(1)), now),
            Ok(Some(start + Duration::hours(1)))
        );
        assert!(check_resolved_at(Resolved, start, Some(start - Duration::hours(1)), now).is_err());
        assert!(check_resolved_at(Resolved, start, Some(now + Duration::hours(1)), now).is_err());
        assert!(check_resolved_at(Monitoring, start, Some(now), now).is_err());
        assert_eq!(check_resolved_at(Monitoring, start, None, now), Ok(None));
    }

    #[test]
    fn start_may_be_back_dated_but_not_in_the_future() {
        let now = OffsetDateTime::UNIX_EPOCH + Duration::days(1000);
        assert!(check_started_at(now - Duration::days(3), now).is_ok());
        assert!(
            check_started_at(now + Duration::seconds(30), now).is_ok(),
            "small clock skew"
        );
        assert!(check_started_at(now + Duration::hours(1), now).is_err());
    }

    #[test]
    fn a_reopened_incident_is_down_in_periods_split_where_its_impact_changed() {
        let t = |minutes: i64| OffsetDateTime::UNIX_EPOCH + Duration::minutes(minutes);
        let timeline = [
            (t(0), Investigating),
            (t(30), Resolved),
            (t(30), Resolved),
            (t(100), Investigating),
            (t(120), Monitoring),
            (t(150), Resolved),
            (t(200), Identified),
        ];
        let open = open_periods(t(0), None, Some(&timeline));
        assert_eq!(
            open,
            [(t(0), Some(t(30))), (t(100), Some(t(150))), (t(200), None)]
        );
        assert_eq!(open_periods(t(0), Some(t(9)), None), [(t(0), Some(t(9)))]);
        let history = outage_history(
            IncidentId(1),
            &open,
            Impact::MajorOutage,
            &[(t(20), Impact::PartialOutage), (t(110), Impact::Degraded)],
        );
        let periods: Vec<(i64, Option<i64>, Impact)> = history
            .periods
            .iter()
            .map(|p| {
                (
                    (p.start - t(0)).whole_minutes(),
                    p.end.map(|e| (e - t(0)).whole_minutes()),
                    p.impact,
                )
            })
            .collect();
        assert_eq!(
            periods,
            [
                (0, Some(20), Impact::MajorOutage),
                (20, Some(30), Impact::PartialOutage),
                (100, Some(110), Impact::PartialOutage),
                (110, Some(150), Impact::Degraded),
                (200, None, Impact::Degraded),
            ]
        );
    }

    #[test]
    fn impact_changes_take_effect_from_now_or_correct_a_resolved_incident() {
        let now = OffsetDateTime::UNIX_EPOCH + Duration::days(10);
        let incident = Incident {
            id: IncidentId(1),
            service_id: ServiceId(1),
            title: Title::parse("t").unwrap(),
            impact: Impact::MajorOutage,
            initial_impact: Impact::MajorOutage,
            impact_changes: vec![],
            status: Resolved,
            scope: EventScope::Service,
            started_at: now - Duration::hours(2),
            resolved_at: Some(now - Duration::hours(1)),
            tenant_marks: Arc::default(),
            version: 1,
        };
        assert_eq!(
            incident.impact_change(Impact::Degraded, true, now),
            ImpactChange::From(now, Impact::Degraded)
        );
        assert_eq!(
            incident.impact_change(Impact::Degraded, false, now),
            ImpactChange::Correction(Impact::Degraded)
        );
        assert_eq!(
            incident.impact_change(Impact::MajorOutage, true, now),
            ImpactChange::Unchanged
        );
        let start = incident.started_at;
        let h = Duration::hours;
        assert!(
            check_impact_changes(start, Some(now), &[(start + h(1), Impact::Degraded)], now)
                .is_ok()
        );
        assert!(check_impact_changes(start, Some(now), &[(start, Impact::Degraded)], now).is_err());
        assert!(check_impact_changes(
            start,
            Some(start + h(1)),
            &[(start + h(1) + h(1), Impact::Degraded)],
            now
        )
        .is_err());
        assert!(check_impact_changes(
            start,
            None,
            &[
                (start + h(1), Impact::Degraded),
                (start + h(1), Impact::PartialOutage)
            ],
            now
        )
        .is_err());
    }

    #[test]
    fn impact_severity_orders_impacts() {
        assert!(Impact::MajorOutage.severity() > Impact::PartialOutage.severity());
        assert!(Impact::PartialOutage.severity() > Impact::Degraded.severity());
    }
}
