//! Who sees what (PRODUCT.md "Who sees what"): every scope a caller gets, as data that
//! persistence turns into SQL filters, and as predicates for objects already in memory.

use crate::{
    Account, AccountId, AccountKind, Contact, ContactId, Offering, OfferingKind, Role, Tenant,
};

/// The authenticated contact behind a request, with its account as loaded from the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub contact_id: ContactId,
    pub account_id: AccountId,
    pub account_kind: AccountKind,
    pub role: Role,
}

impl Caller {
    pub fn new(contact: &Contact, account: &Account) -> Self {
        debug_assert_eq!(contact.account_id, account.id);
        Self {
            contact_id: contact.id,
            account_id: account.id,
            account_kind: account.kind,
            role: contact.role,
        }
    }

    /// Any account's admins manage its own integrations (webhooks, feed tokens).
    pub fn may_manage_integrations(&self) -> bool {
        self.role == Role::Admin
    }

    /// Only provider admins write accounts, contacts, the catalogue, tenants and events.
    pub fn may_write(&self) -> bool {
        self.account_kind == AccountKind::Provider && self.role == Role::Admin
    }

    /// Tenants: the provider sees all; a partner its own and its customers'; a customer its own.
    pub fn tenant_scope(&self) -> TenantScope {
        match self.account_kind {
            AccountKind::Provider => TenantScope::All,
            AccountKind::Partner => TenantScope::OwnedOrManagedBy(self.account_id),
            AccountKind::Customer => TenantScope::OwnedBy(self.account_id),
        }
    }

    /// Offerings: a partner sees its direct and partner_tenants offerings but never its
    /// customers' direct offerings; a customer sees its direct offerings.
    pub fn offering_scope(&self) -> OfferingScope {
        match self.account_kind {
            AccountKind::Provider => OfferingScope::All,
            AccountKind::Partner => OfferingScope::RegisteredTo(self.account_id),
            AccountKind::Customer => OfferingScope::DirectOf(self.account_id),
        }
    }

    /// Accounts: a partner sees itself and the customers it manages; a customer itself.
    pub fn account_scope(&self) -> AccountScope {
        match self.account_kind {
            AccountKind::Provider => AccountScope::All,
            AccountKind::Partner => AccountScope::SelfAndManaged(self.account_id),
            AccountKind::Customer => AccountScope::SelfOnly(self.account_id),
        }
    }

    /// Contacts: outside the provider, only the contacts of one's own account. A partner does
    /// not see who logs in to its customers' accounts.
    pub fn contact_scope(&self) -> ContactScope {
        match self.account_kind {
            AccountKind::Provider => ContactScope::All,
            AccountKind::Partner | AccountKind::Customer => {
                ContactScope::OfAccount(self.account_id)
            }
        }
    }
}

/// Which tenants a caller sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TenantScope {
    All,
    /// Tenants owned by this account.
    OwnedBy(AccountId),
    /// Tenants owned by this partner or by a customer it manages.
    OwnedOrManagedBy(AccountId),
}

impl TenantScope {
    /// Whether `tenant`, owned by `owner`, is in scope.
    pub fn allows(self, tenant: &Tenant, owner: &Account) -> bool {
        debug_assert_eq!(tenant.account_id, owner.id);
        match self {
            TenantScope::All => true,
            TenantScope::OwnedBy(id) => owner.id == id,
            TenantScope::OwnedOrManagedBy(id) => {
                owner.id == id || owner.managing_partner_id == Some(id)
            }
        }
    }
}

/// Which offerings a caller sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OfferingScope {
    All,
    /// Offerings of any kind registered to this account.
    RegisteredTo(AccountId),
    /// Only `direct` offerings registered to this account.
    DirectOf(AccountId),
}

impl OfferingScope {
    pub fn allows(self, offering: &Offering) -> bool {
        match self {
            OfferingScope::All => true,
            OfferingScope::RegisteredTo(id) => offering.account_id == id,
            OfferingScope::DirectOf(id) => {
                offering.account_id == id && offering.kind == OfferingKind::Direct
            }
        }
    }
}

/// Which accounts a caller sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountScope {
    All,
    /// This partner and the customers it manages.
    SelfAndManaged(AccountId),
    SelfOnly(AccountId),
}

impl AccountScope {
    pub fn allows(self, account: &Account) -> bool {
        match self {
            AccountScope::All => true,
            AccountScope::SelfAndManaged(id) => {
                account.id == id || account.managing_partner_id == Some(id)
            }
            AccountScope::SelfOnly(id) => account.id == id,
        }
    }
}

/// Which contacts a caller sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContactScope {
    All,
    OfAccount(AccountId),
}

impl ContactScope {
    pub fn allows(self, contact: &Contact) -> bool {
        self.covers_account(contact.account_id)
    }

    /// Whether the contacts of `account` are in scope.
    pub fn covers_account(self, account: AccountId) -> bool {
        match self {
            ContactScope::All => true,
            ContactScope::OfAccount(id) => account == id,
        }
    }
}

#[cfg(test)]
mod tests {
    //! A small world: provider P; partners A and B; A manages customers A1 and A2, B manages B1;
    //! D is a direct customer. Every account owns a tenant of service 1 and has a direct
    //! offering of it; A and B have their partner_tenants offerings.
    use super::*;
    use crate::*;

    const P: AccountId = AccountId(1);
    const A: AccountId = AccountId(2);
    const B: AccountId = AccountId(3);
    const A1: AccountId = AccountId(4);
    const A2: AccountId = AccountId(5);
    const B1: AccountId = AccountId(6);
    const D: AccountId = AccountId(7);

    fn accounts() -> Vec<Account> {
        let mk = |id, kind, partner| Account {
            id,
            name: AccountName::parse(&format!("acc{id}")).unwrap(),
            kind,
            managing_partner_id: partner,
        };
        vec![
            mk(P, AccountKind::Provider, None),
            mk(A, AccountKind::Partner, None),
            mk(B, AccountKind::Partner, None),
            mk(A1, AccountKind::Customer, Some(A)),
            mk(A2, AccountKind::Customer, Some(A)),
            mk(B1, AccountKind::Customer, Some(B)),
            mk(D, AccountKind::Customer, None),
        ]
    }

    fn tenant_of(owner: AccountId) -> Tenant {
        Tenant {
            id: TenantId(100 + owner.0),
            name: TenantName::parse(&format!("t{owner}")).unwrap(),
            account_id: owner,
            service_id: ServiceId(1),
            classification_id: ClassificationId(1),
        }
    }

    fn offerings() -> Vec<Offering> {
        let mk = |id, kind, account_id| Offering {
            id: OfferingId(id),
            name: OfferingName::parse("o").unwrap(),
            kind,
            service_id: ServiceId(1),
            account_id,
            sla_target: SlaTarget::DEFAULT,
        };
        let mut all: Vec<Offering> = accounts()
            .iter()
            .map(|a| mk(a.id.0, OfferingKind::Direct, a.id))
            .collect();
        all.push(mk(20 + A.0, OfferingKind::PartnerTenants, A));
        all.push(mk(20 + B.0, OfferingKind::PartnerTenants, B));
        all
    }

    fn caller(account: AccountId, role: Role) -> Caller {
        let kind = accounts()
            .into_iter()
            .find(|a| a.id == account)
            .unwrap()
            .kind;
        Caller {
            contact_id: ContactId(account.0 * 10),
            account_id: account,
            account_kind: kind,
            role,
        }
    }

    fn visible_tenant_owners(c: &Caller) -> Vec<AccountId> {
        accounts()
            .iter()
            .filter(|owner| c.tenant_scope().allows(&tenant_of(owner.id), owner))
            .map(|a| a.id)
            .collect()
    }

    fn visible_offerings(c: &Caller) -> Vec<(OfferingKind, AccountId)> {
        offerings()
            .into_iter()
            .filter(|o| c.offering_scope().allows(o))
            .map(|o| (o.kind, o.account_id))
            .collect()
    }

    fn visible_accounts(c: &Caller) -> Vec<AccountId> {
        accounts()
            .into_iter()
            .filter(|a| c.account_scope().allows(a))
            .map(|a| a.id)
            .collect()
    }

    #[test]
    fn provider_sees_everything_and_only_its_admins_write() {
        let admin = caller(P, Role::Admin);
        assert_eq!(visible_tenant_owners(&admin).len(), 7);
        assert_eq!(visible_offerings(&admin).len(), 9);
        assert_eq!(visible_accounts(&admin).len(), 7);
        assert!(admin.may_write());
        assert!(!caller(P, Role::Viewer).may_write());
        assert_eq!(caller(P, Role::Viewer).tenant_scope(), TenantScope::All);
    }

    #[test]
    fn partner_sees_own_and_customers_tenants_but_not_customers_direct_offerings() {
        let a = caller(A, Role::Admin);
        assert_eq!(visible_tenant_owners(&a), vec![A, A1, A2]);
        assert_eq!(
            visible_offerings(&a),
            vec![(OfferingKind::Direct, A), (OfferingKind::PartnerTenants, A)]
        );
        assert_eq!(visible_accounts(&a), vec![A, A1, A2]);
        assert!(!a.may_write(), "a partner admin is not a provider admin");

        let b = caller(B, Role::Viewer);
        assert_eq!(visible_tenant_owners(&b), vec![B, B1]);
        assert_eq!(
            visible_offerings(&b),
            vec![(OfferingKind::Direct, B), (OfferingKind::PartnerTenants, B)]
        );
    }

    #[test]
    fn customers_see_only_their_own_direct_offerings_and_tenants() {
        for customer in [A1, A2, B1, D] {
            let c = caller(customer, Role::Admin);
            assert_eq!(visible_tenant_owners(&c), vec![customer]);
            assert_eq!(
                visible_offerings(&c),
                vec![(OfferingKind::Direct, customer)]
            );
            assert_eq!(visible_accounts(&c), vec![customer]);
            assert!(!c.may_write());
        }
    }

    #[test]
    fn partner_employee_with_a_customer_contact_gets_the_customer_view_only() {
        // The contact belongs to A1's account; being employed by A changes nothing.
        let employee = caller(A1, Role::Viewer);
        assert_eq!(visible_tenant_owners(&employee), vec![A1]);
        assert_eq!(
            visible_offerings(&employee),
            vec![(OfferingKind::Direct, A1)]
        );
        assert!(!visible_offerings(&employee).contains(&(OfferingKind::PartnerTenants, A)));
    }

    #[test]
    fn contacts_outside_the_provider_are_limited_to_the_own_account() {
        let contact = |account| Contact {
            id: ContactId(1),
            account_id: account,
            email: Email::parse("x@example.com").unwrap(),
            name: ContactName::parse("x").unwrap(),
            role: Role::Viewer,
        };
        let a = caller(A, Role::Admin);
        assert!(a.contact_scope().allows(&contact(A)));
        assert!(
            !a.contact_scope().allows(&contact(A1)),
            "partner must not list its customers' logins"
        );
        assert!(caller(P, Role::Viewer).contact_scope().allows(&contact(A1)));
    }
}
