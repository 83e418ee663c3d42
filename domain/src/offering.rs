//! Offerings: what an account is subscribed to, and which tenants each covers.

use crate::text::{text_type, wire_enum};
use crate::{Account, AccountId, DomainError, OfferingId, ServiceId, Tenant};

wire_enum!(
    /// `direct`: registered to one account, covering that account's tenants of the service.
    /// `partner_tenants`: the partner's common offering, covering its customers' tenants.
    OfferingKind, field = "kind" {
        Direct => "direct",
        PartnerTenants => "partner_tenants",
    }
);

text_type!(
    /// An offering's name (1–300 characters).
    OfferingName, field = "name", max = 300
);

/// An availability target in percent, e.g. 99.9; strictly between 0 and 100, or exactly 100.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
pub struct SlaTarget(f64);

impl SlaTarget {
    pub const DEFAULT: SlaTarget = SlaTarget(99.9);

    pub fn parse(raw: f64) -> Result<Self, DomainError> {
        if raw.is_finite() && raw > 0.0 && raw <= 100.0 {
            Ok(Self(raw))
        } else {
            Err(DomainError::invalid(
                "sla_target",
                "must be a percentage above 0 and at most 100",
            ))
        }
    }

    pub fn percent(self) -> f64 {
        self.0
    }
}

/// A subscription of one account to one service.
#[derive(Debug, Clone, PartialEq)]
pub struct Offering {
    pub id: OfferingId,
    pub name: OfferingName,
    pub kind: OfferingKind,
    pub service_id: ServiceId,
    /// The account the offering is registered to (the partner, for `partner_tenants`).
    pub account_id: AccountId,
    pub sla_target: SlaTarget,
}

impl Offering {
    /// Whether this offering covers `tenant`, whose owning account is `owner`.
    pub fn covers(&self, tenant: &Tenant, owner: &Account) -> bool {
        debug_assert_eq!(tenant.account_id, owner.id);
        self.covers_owned(tenant.service_id, owner.id, owner.managing_partner_id)
    }

    /// The coverage rule: a direct offering covers its account's tenants of the service; a
    /// partner_tenants offering the service's tenants of every customer the partner manages.
    pub(crate) fn covers_owned(
        &self,
        service: ServiceId,
        owner: AccountId,
        owner_partner: Option<AccountId>,
    ) -> bool {
        service == self.service_id
            && match self.kind {
                OfferingKind::Direct => owner == self.account_id,
                OfferingKind::PartnerTenants => owner_partner == Some(self.account_id),
            }
    }
}

/// The name of the common offering the notice describes:
/// `"{Service} - {Partner} (Partner Tenants)"`.
pub fn partner_tenants_offering_name(service: &str, partner: &str) -> String {
    format!("{service} - {partner} (Partner Tenants)")
}

/// The name a direct offering gets when none is given: `"{Service} - {Account}"`.
pub fn default_direct_offering_name(service: &str, account: &str) -> String {
    format!("{service} - {account}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{AccountKind, AccountName, ClassificationId, TenantId, TenantName};

    #[test]
    fn partner_tenants_name_follows_the_notice_template() {
        assert_eq!(
            partner_tenants_offering_name("Service Management Automation", "Northwind"),
            "Service Management Automation - Northwind (Partner Tenants)"
        );
    }

    #[test]
    fn sla_target_bounds() {
        assert!(SlaTarget::parse(99.9).is_ok());
        assert!(SlaTarget::parse(100.0).is_ok());
        for bad in [0.0, -1.0, 100.01, f64::NAN, f64::INFINITY] {
            assert!(SlaTarget::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn coverage_of_direct_and_partner_tenants_offerings() {
        let partner = AccountId(1);
        let customer = Account {
            id: AccountId(2),
            name: AccountName::parse("Cust").unwrap(),
            kind: AccountKind::Customer,
            managing_partner_id: Some(partner),
        };
        let tenant = Tenant {
            id: TenantId(9),
            name: TenantName::parse("cust-prod").unwrap(),
            account_id: customer.id,
            service_id: ServiceId(5),
            classification_id: ClassificationId(1),
        };
        let offering = |kind, account_id, service| Offering {
            id: OfferingId(1),
            name: OfferingName::parse("o").unwrap(),
            kind,
            service_id: ServiceId(service),
            account_id,
            sla_target: SlaTarget::DEFAULT,
        };
        assert!(offering(OfferingKind::Direct, customer.id, 5).covers(&tenant, &customer));
        assert!(!offering(OfferingKind::Direct, customer.id, 6).covers(&tenant, &customer));
        assert!(!offering(OfferingKind::Direct, partner, 5).covers(&tenant, &customer));
        assert!(offering(OfferingKind::PartnerTenants, partner, 5).covers(&tenant, &customer));
        assert!(!offering(OfferingKind::PartnerTenants, AccountId(3), 5).covers(&tenant, &customer));
        let unmanaged = Account {
            managing_partner_id: None,
            ..customer.clone()
        };
        assert!(!offering(OfferingKind::PartnerTenants, partner, 5).covers(&tenant, &unmanaged));
    }
}
