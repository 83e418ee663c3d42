//! Accounts: the provider, partners and customers.

use crate::text::{text_type, wire_enum};
use crate::{AccountId, DomainError};

wire_enum!(
    /// What kind of organisation an account is.
    AccountKind, field = "kind" {
        Provider => "provider",
        Partner => "partner",
        Customer => "customer",
    }
);

text_type!(
    /// An account's display name (1–200 characters).
    AccountName, field = "name", max = 200
);

/// An organisation that owns tenants and employs contacts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub id: AccountId,
    pub name: AccountName,
    pub kind: AccountKind,
    /// The partner managing this customer, if any (customers only).
    pub managing_partner_id: Option<AccountId>,
}

/// Checks that `kind` may have `partner` as managing partner.
///
/// Only customers have a managing partner, and it must be a partner account.
pub fn check_managing_partner(
    kind: AccountKind,
    partner: Option<&Account>,
) -> Result<(), DomainError> {
    match (kind, partner) {
        (_, None) => Ok(()),
        (AccountKind::Customer, Some(p)) if p.kind == AccountKind::Partner => Ok(()),
        (AccountKind::Customer, Some(_)) => Err(DomainError::invalid(
            "managing_partner_id",
            "must name an account of kind partner",
        )),
        (_, Some(_)) => Err(DomainError::invalid(
            "managing_partner_id",
            "only customer accounts can have a managing partner",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(id: i64, kind: AccountKind) -> Account {
        Account {
            id: AccountId(id),
            name: AccountName::parse("x").unwrap(),
            kind,
            managing_partner_id: None,
        }
    }

    #[test]
    fn kinds_round_trip_and_unknown_is_rejected() {
        for kind in AccountKind::ALL {
            assert_eq!(AccountKind::parse(kind.as_str()), Ok(*kind));
        }
        let err = AccountKind::parse("reseller").unwrap_err();
        assert_eq!(
            err,
            DomainError::invalid("kind", "must be one of: provider, partner, customer")
        );
    }

    #[test]
    fn only_customers_get_a_partner_and_only_a_partner() {
        let partner = account(1, AccountKind::Partner);
        let customer = account(2, AccountKind::Customer);
        assert!(check_managing_partner(AccountKind::Customer, Some(&partner)).is_ok());
        assert!(check_managing_partner(AccountKind::Customer, None).is_ok());
        assert!(check_managing_partner(AccountKind::Customer, Some(&customer)).is_err());
        assert!(check_managing_partner(AccountKind::Partner, Some(&partner)).is_err());
        assert!(check_managing_partner(AccountKind::Provider, Some(&partner)).is_err());
    }
}
