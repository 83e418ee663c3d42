//! Offerings: direct subscriptions, and the automatic partner_tenants offering per
//! (service, partner), created and renamed inside the transactions that change its inputs.

use diesel::prelude::*;
use domain::offering::{default_direct_offering_name, partner_tenants_offering_name};
use domain::{
    AccountId, AccountKind, DomainError, Offering, OfferingId, OfferingKind, OfferingName,
    OfferingScope, ServiceId, SlaTarget,
};

use super::{now, record, referenced, touched, Page, PageRequest, Record};
use crate::connection::{DbConnection, MultiBackend};
use crate::schema::{accounts as accounts_t, offerings, services, tenants};
use crate::{RepoError, RepoResult};

#[derive(Queryable, Selectable)]
#[diesel(table_name = offerings)]
struct OfferingRow {
    id: i64,
    name: String,
    kind: String,
    service_id: i64,
    account_id: i64,
    sla_target: f64,
    created_at: time::PrimitiveDateTime,
    updated_at: time::PrimitiveDateTime,
}

impl OfferingRow {
    fn into_record(self) -> RepoResult<Record<Offering>> {
        let item = (|| {
            Ok::<_, DomainError>(Offering {
                id: OfferingId(self.id),
                name: OfferingName::parse(&self.name)?,
                kind: OfferingKind::parse(&self.kind)?,
                service_id: ServiceId(self.service_id),
                account_id: AccountId(self.account_id),
                sla_target: SlaTarget::parse(self.sla_target)?,
            })
        })();
        record(item, self.created_at, self.updated_at)
    }
}

/// Optional list filters.
#[derive(Debug, Clone, Default)]
pub struct OfferingFilter {
    pub service_id: Option<ServiceId>,
    pub kind: Option<OfferingKind>,
    pub account_id: Option<AccountId>,
}

/// A direct offering to register; without a name it is called "{Service} - {Account}".
#[derive(Debug, Clone)]
pub struct NewDirectOffering {
    pub name: Option<OfferingName>,
    pub service_id: ServiceId,
    pub account_id: AccountId,
    pub sla_target: SlaTarget,
}

/// Changes to an offering; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct OfferingChanges {
    pub name: Option<OfferingName>,
    pub sla_target: Option<SlaTarget>,
}

/// Whose rename makes partner_tenants offering names stale.
#[derive(Debug, Clone, Copy)]
pub enum NameSource {
    Partner(AccountId),
    Service(ServiceId),
}

fn scoped(scope: OfferingScope) -> offerings::BoxedQuery<'static, MultiBackend> {
    let query = offerings::table.into_boxed();
    match scope {
        OfferingScope::All => query,
        OfferingScope::RegisteredTo(id) => query.filter(offerings::account_id.eq(id.0)),
        OfferingScope::DirectOf(id) => query
            .filter(offerings::account_id.eq(id.0))
            .filter(offerings::kind.eq(OfferingKind::Direct.as_str())),
    }
}

/// Every offering, a page at a time (the read model's load).
pub fn all(conn: &mut DbConnection, page: PageRequest) -> RepoResult<Page<Record<Offering>>> {
    let rows = offerings::table
        .filter(offerings::id.gt(page.after.unwrap_or(i64::MIN)))
        .order(offerings::id.asc())
        .limit(page.limit + 1)
        .select(OfferingRow::as_select())
        .load(conn)?;
    Page::from_rows(rows, page, |row| row.id).try_map(OfferingRow::into_record)
}

/// Every offering in scope (optionally of one service), unpaged: the event rules need them all.
pub fn all_in_scope(
    conn: &mut DbConnection,
    scope: OfferingScope,
    service: Option<ServiceId>,
) -> RepoResult<Vec<Offering>> {
    let mut query = scoped(scope);
    if let Some(service) = service {
        query = query.filter(offerings::service_id.eq(service.0));
    }
    let rows = query
        .order(offerings::id.asc())
        .select(OfferingRow::as_select())
        .load(conn)?;
    rows.into_iter()
        .map(|row| row.into_record().map(|r| r.item))
        .collect()
}

pub fn find(
    conn: &mut DbConnection,
    scope: OfferingScope,
    id: OfferingId,
) -> RepoResult<Record<Offering>> {
    scoped(scope)
        .filter(offerings::id.eq(id.0))
        .select(OfferingRow::as_select())
        .first(conn)?
        .into_record()
}

pub fn create_direct(
    conn: &mut DbConnection,
    new: &NewDirectOffering,
) -> RepoResult<Record<Offering>> {
    super::transaction(conn, |conn| {
        let service = referenced(
            super::service_name(conn, new.service_id),
            "service_id",
            "service",
        )?;
        let account = referenced(
            super::account_ref(conn, new.account_id),
            "account_id",
            "account",
        )?;
        if account.kind == AccountKind::Provider {
            return Err(DomainError::invalid(
                "account_id",
                "offerings are registered to partner or customer accounts",
            )
            .into());
        }
        let name = match &new.name {
            Some(name) => name.clone(),
            None => OfferingName::parse(&default_direct_offering_name(&service, &account.name))?,
        };
        insert(
            conn,
            &name,
            OfferingKind::Direct,
            new.service_id,
            new.account_id,
            new.sla_target,
        )
    })
}

fn insert(
    conn: &mut DbConnection,
    name: &OfferingName,
    kind: OfferingKind,
    service_id: ServiceId,
    account_id: AccountId,
    sla_target: SlaTarget,
) -> RepoResult<Record<Offering>> {
    let now = now();
    let id: i64 = diesel::insert_into(offerings::table)
        .values((
            offerings::name.eq(name.as_str()),
            offerings::kind.eq(kind.as_str()),
            offerings::service_id.eq(service_id.0),
            offerings::account_id.eq(account_id.0),
            offerings::sla_target.eq(sla_target.percent()),
            offerings::created_at.eq(now),
            offerings::updated_at.eq(now),
        ))
        .returning(offerings::id)
        .get_result(conn)?;
    find(conn, OfferingScope::All, OfferingId(id))
}

pub fn update(
    conn: &mut DbConnection,
    id: OfferingId,
    changes: &OfferingChanges,
) -> RepoResult<Record<Offering>> {
    super::transaction(conn, |conn| {
        let current = find(conn, OfferingScope::All, id)?.item;
        if current.kind == OfferingKind::PartnerTenants && changes.name.is_some() {
            return Err(DomainError::invalid(
                "name",
                "a partner_tenants offering is named by slr after its service and partner",
            )
            .into());
        }
        diesel::update(offerings::table.find(id.0))
            .set((
                offerings::name.eq(changes.name.as_ref().unwrap_or(&current.name).as_str()),
                offerings::sla_target
                    .eq(changes.sla_target.unwrap_or(current.sla_target).percent()),
                offerings::updated_at.eq(now()),
            ))
            .execute(conn)?;
        find(conn, OfferingScope::All, id)
    })
}

/// Deletes a direct offering; partner_tenants offerings are kept by slr.
pub fn delete_direct(conn: &mut DbConnection, id: OfferingId) -> RepoResult<()> {
    super::transaction(conn, |conn| {
        let current = find(conn, OfferingScope::All, id)?.item;
        if current.kind == OfferingKind::PartnerTenants {
            return Err(DomainError::Conflict(
                "a partner_tenants offering is maintained by slr and cannot be deleted".to_owned(),
            )
            .into());
        }
        touched(diesel::delete(offerings::table.find(id.0)).execute(conn)?)
    })
}

/// Creates the partner's common offering for `service_id` unless it exists.
pub fn ensure_partner_tenants(
    conn: &mut DbConnection,
    service_id: ServiceId,
    partner_id: AccountId,
) -> RepoResult<()> {
    let exists = |conn: &mut DbConnection| -> RepoResult<bool> {
        Ok(offerings::table
            .filter(offerings::service_id.eq(service_id.0))
            .filter(offerings::account_id.eq(partner_id.0))
            .filter(offerings::kind.eq(OfferingKind::PartnerTenants.as_str()))
            .select(offerings::id)
            .first::<i64>(conn)
            .optional()?
            .is_some())
    };
    if exists(conn)? {
        return Ok(());
    }
    let service = super::service_name(conn, service_id)?;
    let partner = super::account_ref(conn, partner_id)?;
    let name = OfferingName::parse(&partner_tenants_offering_name(&service, &partner.name))?;
    // Concurrent writers may all find none: the unique index makes the losers wait for the
    // winner and then refuse their insert, which a savepoint turns into "it exists now".
    let inserted = diesel::Connection::transaction(conn, |conn| {
        insert(
            conn,
            &name,
            OfferingKind::PartnerTenants,
            service_id,
            partner_id,
            SlaTarget::DEFAULT,
        )
    });
    match inserted {
        Err(RepoError::Duplicate { .. }) if exists(conn)? => Ok(()),
        other => other.map(drop),
    }
}

/// Ensures the partner has a partner_tenants offering for every service the customer has a
/// tenant of (used when a customer moves to a partner).
pub fn ensure_partner_tenants_for_customer(
    conn: &mut DbConnection,
    customer: AccountId,
    partner: AccountId,
) -> RepoResult<()> {
    let services: Vec<i64> = tenants::table
        .filter(tenants::account_id.eq(customer.0))
        .select(tenants::service_id)
        .distinct()
        .load(conn)?;
    for service in services {
        ensure_partner_tenants(conn, ServiceId(service), partner)?;
    }
    Ok(())
}

/// Recomputes the names of the partner_tenants offerings a rename affects.
pub fn refresh_partner_tenants_names(
    conn: &mut DbConnection,
    source: NameSource,
) -> RepoResult<()> {
    let mut query = offerings::table
        .inner_join(services::table)
        .inner_join(accounts_t::table)
        .filter(offerings::kind.eq(OfferingKind::PartnerTenants.as_str()))
        .select((offerings::id, services::name, accounts_t::name))
        .into_boxed();
    query = match source {
        NameSource::Partner(id) => query.filter(offerings::account_id.eq(id.0)),
        NameSource::Service(id) => query.filter(offerings::service_id.eq(id.0)),
    };
    let stale: Vec<(i64, String, String)> = query.load(conn)?;
    for (id, service, partner) in stale {
        let name = OfferingName::parse(&partner_tenants_offering_name(&service, &partner))?;
        diesel::update(offerings::table.find(id))
            .set((
                offerings::name.eq(name.as_str()),
                offerings::updated_at.eq(now()),
            ))
            .execute(conn)?;
    }
    Ok(())
}
