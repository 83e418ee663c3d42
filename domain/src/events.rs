//! Which tenants an event affects, and what a caller is shown of it. One rule decides: a caller
//! sees an event when it affects at least one tenant the caller may see (the provider sees
//! every event). The caller is then shown the caller-visible tenants it affects and the
//! caller-visible offerings it shows on (those covering one of those tenants; possibly none).

use std::collections::{BTreeSet, HashMap};

use crate::text::wire_enum;
use crate::{
    AccountId, ClassificationId, DomainError, Impact, Offering, OfferingId, ServiceId, TenantId,
};

/// Which tenants of its service an event reaches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventScope {
    /// Every tenant of the service.
    Service,
    /// The service's tenants in these classifications.
    Classifications(BTreeSet<ClassificationId>),
    /// Exactly these tenants (of the service).
    Tenants(BTreeSet<TenantId>),
}

impl EventScope {
    /// Builds a scope from its wire form: `service`, or a non-empty set of classifications or
    /// tenants.
    pub fn parse(
        kind: &str,
        classifications: &[i64],
        tenants: &[i64],
    ) -> Result<Self, DomainError> {
        let scope = match kind {
            "service" => EventScope::Service,
            "classifications" => EventScope::Classifications(
                classifications
                    .iter()
                    .copied()
                    .map(ClassificationId)
                    .collect(),
            ),
            "tenants" => EventScope::Tenants(tenants.iter().copied().map(TenantId).collect()),
            _ => {
                return Err(DomainError::invalid(
                    "scope.kind",
                    "must be one of: service, classifications, tenants",
                ))
            }
        };
        match &scope {
            EventScope::Classifications(ids) if ids.is_empty() => Err(DomainError::invalid(
                "scope.classification_ids",
                "must name at least one classification",
            )),
            EventScope::Tenants(ids) if ids.is_empty() => Err(DomainError::invalid(
                "scope.tenant_ids",
                "must name at least one tenant",
            )),
            EventScope::Service if !classifications.is_empty() || !tenants.is_empty() => {
                Err(DomainError::invalid(
                    "scope.kind",
                    "a whole-service scope takes no classification or tenant ids",
                ))
            }
            _ => Ok(scope),
        }
    }

    /// The wire name of the scope's kind.
    pub fn kind(&self) -> &'static str {
        match self {
            EventScope::Service => "service",
            EventScope::Classifications(_) => "classifications",
            EventScope::Tenants(_) => "tenants",
        }
    }

    pub fn reaches(&self, tenant: &ScopedTenant) -> bool {
        self.reaches_tenant(tenant.id, tenant.classification_id)
    }

    /// Whether the scope reaches the tenant `id` of classification `class` (of its service).
    pub fn reaches_tenant(&self, id: TenantId, class: ClassificationId) -> bool {
        match self {
            EventScope::Service => true,
            EventScope::Classifications(classes) => classes.contains(&class),
            EventScope::Tenants(ids) => ids.contains(&id),
        }
    }
}

/// What the event rules need of a tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopedTenant {
    pub id: TenantId,
    pub name: String,
    pub service_id: ServiceId,
    pub classification_id: ClassificationId,
    pub account_id: AccountId,
    /// The owner's managing partner, if any.
    pub managing_partner_id: Option<AccountId>,
}

impl Offering {
    /// Whether this offering covers the tenant (same rule as [`Offering::covers`]).
    pub fn covers_scoped(&self, tenant: &ScopedTenant) -> bool {
        self.covers_owned(
            tenant.service_id,
            tenant.account_id,
            tenant.managing_partner_id,
        )
    }
}

wire_enum!(
    /// An offering's current status: the worst impact among its active incidents, else
    /// `under_maintenance` while a maintenance window runs, else `operational`.
    OfferingStatus, field = "status" {
        Operational => "operational",
        UnderMaintenance => "under_maintenance",
        Degraded => "degraded",
        PartialOutage => "partial_outage",
        MajorOutage => "major_outage",
    }
);

impl OfferingStatus {
    /// From the impacts of the active incidents and whether maintenance is running.
    pub fn current(
        active_impacts: impl IntoIterator<Item = Impact>,
        maintenance_running: bool,
    ) -> Self {
        match active_impacts.into_iter().max_by_key(|i| i.severity()) {
            Some(Impact::MajorOutage) => OfferingStatus::MajorOutage,
            Some(Impact::PartialOutage) => OfferingStatus::PartialOutage,
            Some(Impact::Degraded) => OfferingStatus::Degraded,
            None if maintenance_running => OfferingStatus::UnderMaintenance,
            None => OfferingStatus::Operational,
        }
    }
}

/// What one caller is shown of one event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reach {
    /// The caller-visible offerings the event shows on.
    pub offerings: Vec<OfferingId>,
    /// How many of the affected tenants each of those offerings covers (same order).
    pub covered: Vec<usize>,
    /// The caller-visible tenants it affects, in id order.
    pub tenants: Vec<TenantId>,
}

impl Reach {
    /// How many affected tenants `offering` covers (0 when the event does not show on it).
    pub fn covered_by(&self, offering: OfferingId) -> usize {
        self.offerings
            .iter()
            .position(|o| *o == offering)
            .map_or(0, |at| self.covered[at])
    }
}

/// A caller's visible offerings and tenants, grouped by service.
#[derive(Debug, Clone, Default)]
pub struct CallerView {
    offerings: HashMap<ServiceId, Vec<Offering>>,
    tenants: HashMap<ServiceId, Vec<ScopedTenant>>,
    /// The provider sees every event, even one that shows on no offering.
    sees_every_event: bool,
}

impl CallerView {
    /// From the offerings and tenants the caller's scopes allow.
    pub fn new(
        offerings: Vec<Offering>,
        tenants: Vec<ScopedTenant>,
        sees_every_event: bool,
    ) -> Self {
        let mut view = CallerView {
            sees_every_event,
            ..CallerView::default()
        };
        for offering in offerings {
            view.offerings
                .entry(offering.service_id)
                .or_default()
                .push(offering);
        }
        for tenant in tenants {
            view.tenants
                .entry(tenant.service_id)
                .or_default()
                .push(tenant);
        }
        for list in view.tenants.values_mut() {
            list.sort_by_key(|t| t.id);
        }
        view
    }

    /// The services whose events can reach the caller (those it has a visible tenant of);
    /// `None` when every service's events can.
    pub fn services(&self) -> Option<Vec<ServiceId>> {
        if self.sees_every_event {
            return None;
        }
        let mut services: Vec<ServiceId> = self.tenants.keys().copied().collect();
        services.sort();
        Some(services)
    }

    pub fn offerings(&self) -> impl Iterator<Item = &Offering> {
        self.offerings.values().flatten()
    }

    /// The visible tenants of `service`, in id order.
    pub fn tenants_of(&self, service: ServiceId) -> &[ScopedTenant] {
        self.tenants
            .get(&service)
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    /// A visible tenant of `service` (binary search: the lists are kept in id order).
    pub fn tenant(&self, service: ServiceId, id: TenantId) -> Option<&ScopedTenant> {
        let tenants = self.tenants.get(&service)?;
        tenants
            .binary_search_by_key(&id, |t| t.id)
            .ok()
            .map(|at| &tenants[at])
    }

    /// Whether the caller sees an event on `service` with `scope` (what [`CallerView::reach`]
    /// answers `Some` for, without computing the reach).
    pub fn sees(&self, service: ServiceId, scope: &EventScope) -> bool {
        self.sees_by(service, |t| scope.reaches(t))
    }

    /// [`CallerView::sees`] for an event reaching the tenants `reaches` accepts (an incident
    /// also reaches the tenants it recovered before its scope narrowed).
    pub fn sees_by(&self, service: ServiceId, reaches: impl Fn(&ScopedTenant) -> bool) -> bool {
        self.sees_every_event || self.tenants_of(service).iter().any(reaches)
    }

    /// What the caller sees of an event on `service` with `scope`; `None` when it affects none
    /// of the caller's tenants (the caller must not learn it exists).
    pub fn reach(&self, service: ServiceId, scope: &EventScope) -> Option<Reach> {
        self.reach_by(service, |t| scope.reaches(t))
    }

    /// [`CallerView::reach`] of an event reaching the tenants `reaches` accepts (an incident's
    /// own rule, or only the tenants it still affects).
    pub fn reach_by(
        &self,
        service: ServiceId,
        reaches: impl Fn(&ScopedTenant) -> bool,
    ) -> Option<Reach> {
        let affected: Vec<&ScopedTenant> = self
            .tenants
            .get(&service)
            .map(|tenants| tenants.iter().filter(|t| reaches(t)).collect())
            .unwrap_or_default();
        let (offerings, covered): (Vec<OfferingId>, Vec<usize>) = self
            .offerings
            .get(&service)
            .into_iter()
            .flatten()
            .map(|o| (o.id, affected.iter().filter(|t| o.covers_scoped(t)).count()))
            .filter(|(_, count)| *count > 0)
            .unzip();
        if affected.is_empty() && !self.sees_every_event {
            return None;
        }
        Some(Reach {
            offerings,
            covered,
            tenants: affected.iter().map(|t| t.id).collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    //! Partner A manages customers C1 (tenants 1: saas2-eu, 2: saas3-eu) and C2 (tenant 3:
    //! saas2-us); all of service S. A has its partner_tenants offering, C1 and C2 direct ones.
    use super::*;
    use crate::{OfferingKind, OfferingName, SlaTarget};

    const S: ServiceId = ServiceId(1);
    const OTHER: ServiceId = ServiceId(2);
    const A: AccountId = AccountId(10);
    const C1: AccountId = AccountId(11);
    const C2: AccountId = AccountId(12);
    const EU2: ClassificationId = ClassificationId(1);
    const EU3: ClassificationId = ClassificationId(2);
    const US2: ClassificationId = ClassificationId(3);

    fn tenant(id: i64, owner: AccountId, class: ClassificationId) -> ScopedTenant {
        ScopedTenant {
            id: TenantId(id),
            name: format!("t{id}"),
            service_id: S,
            classification_id: class,
            account_id: owner,
            managing_partner_id: Some(A),
        }
    }

    fn offering(id: i64, kind: OfferingKind, account: AccountId) -> Offering {
        Offering {
            id: OfferingId(id),
            name: OfferingName::parse("o").unwrap(),
            kind,
            service_id: S,
            account_id: account,
            sla_target: SlaTarget::DEFAULT,
        }
    }

    fn all_tenants() -> Vec<ScopedTenant> {
        vec![tenant(1, C1, EU2), tenant(2, C1, EU3), tenant(3, C2, US2)]
    }

    fn partner() -> CallerView {
        CallerView::new(
            vec![offering(100, OfferingKind::PartnerTenants, A)],
            all_tenants(),
            false,
        )
    }

    fn customer(c: AccountId, offering_id: i64) -> CallerView {
        let tenants = all_tenants()
            .into_iter()
            .filter(|t| t.account_id == c)
            .collect();
        CallerView::new(
            vec![offering(offering_id, OfferingKind::Direct, c)],
            tenants,
            false,
        )
    }

    fn classes(ids: &[ClassificationId]) -> EventScope {
        EventScope::Classifications(ids.iter().copied().collect())
    }

    #[test]
    fn a_whole_service_event_reaches_every_visible_tenant() {
        let reach = partner().reach(S, &EventScope::Service).unwrap();
        assert_eq!(reach.tenants, [TenantId(1), TenantId(2), TenantId(3)]);
        assert_eq!(reach.offerings, [OfferingId(100)]);
        let reach = customer(C2, 102).reach(S, &EventScope::Service).unwrap();
        assert_eq!(
            (reach.offerings, reach.tenants),
            (vec![OfferingId(102)], vec![TenantId(3)])
        );
    }

    #[test]
    fn a_classification_only_one_customer_has_shows_to_that_customer_and_the_partner_only() {
        let scope = classes(&[US2]);
        assert_eq!(partner().reach(S, &scope).unwrap().tenants, [TenantId(3)]);
        assert_eq!(
            customer(C2, 102).reach(S, &scope).unwrap().tenants,
            [TenantId(3)]
        );
        assert_eq!(customer(C1, 101).reach(S, &scope), None);
    }

    #[test]
    fn explicit_tenants_and_other_services() {
        let scope = EventScope::Tenants([TenantId(2)].into_iter().collect());
        assert_eq!(
            customer(C1, 101).reach(S, &scope).unwrap().tenants,
            [TenantId(2)]
        );
        assert_eq!(customer(C2, 102).reach(S, &scope), None);
        assert_eq!(partner().reach(OTHER, &EventScope::Service), None);
        assert_eq!(partner().services(), Some(vec![S]));
    }

    #[test]
    fn scopes_parse_and_empty_sets_are_refused() {
        assert_eq!(
            EventScope::parse("service", &[], &[]),
            Ok(EventScope::Service)
        );
        assert_eq!(
            EventScope::parse("classifications", &[3, 1, 3], &[]),
            Ok(classes(&[ClassificationId(1), US2]))
        );
        assert_eq!(
            EventScope::parse("classifications", &[], &[]).unwrap_err(),
            DomainError::invalid(
                "scope.classification_ids",
                "must name at least one classification"
            )
        );
        assert!(EventScope::parse("tenants", &[], &[]).is_err());
        assert!(EventScope::parse("service", &[1], &[]).is_err());
        assert!(EventScope::parse("region", &[], &[]).is_err());
    }

    #[test]
    fn status_is_the_worst_active_impact_then_maintenance() {
        use Impact::*;
        assert_eq!(
            OfferingStatus::current([Degraded, MajorOutage, PartialOutage], true),
            OfferingStatus::MajorOutage
        );
        assert_eq!(
            OfferingStatus::current([Degraded], true),
            OfferingStatus::Degraded
        );
        assert_eq!(
            OfferingStatus::current([], true),
            OfferingStatus::UnderMaintenance
        );
        assert_eq!(
            OfferingStatus::current([], false),
            OfferingStatus::Operational
        );
    }

    #[test]
    fn an_event_on_a_visible_tenant_without_a_covering_offering_is_seen_with_no_offerings() {
        // C1 owns tenant 4 of another service, where it has no offering.
        let mut tenants = all_tenants();
        tenants.push(ScopedTenant {
            service_id: OTHER,
            ..tenant(4, C1, EU2)
        });
        let c1 = CallerView::new(
            vec![offering(101, OfferingKind::Direct, C1)],
            tenants.into_iter().filter(|t| t.account_id == C1).collect(),
            false,
        );
        let reach = c1.reach(OTHER, &EventScope::Service).unwrap();
        assert_eq!(reach.tenants, [TenantId(4)]);
        assert!(reach.offerings.is_empty());
        assert_eq!(c1.services(), Some(vec![S, OTHER]));
        assert_eq!(customer(C2, 102).reach(OTHER, &EventScope::Service), None);
    }

    #[test]
    fn an_event_reaching_no_tenant_shows_nowhere_except_to_the_provider() {
        assert_eq!(partner().reach(S, &classes(&[ClassificationId(99)])), None);
        let provider = CallerView::new(vec![], all_tenants(), true);
        let reach = provider.reach(OTHER, &EventScope::Service).unwrap();
        assert!(reach.offerings.is_empty() && reach.tenants.is_empty());
        assert_eq!(provider.services(), None);
    }
}
