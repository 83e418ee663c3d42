//! What incidents and maintenance share: their scope rows, the checks on scope and text, and
//! what a caller can see for the event rules (its visible offerings and tenants).

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex, PoisonError};

use diesel::prelude::*;
use domain::{
    AccountId, AccountKind, AllowedNames, CallerView, ClassificationId, DomainError, EventScope,
    ForbiddenNames, NamedKind, Offering, ScopedTenant, ServiceId, TenantId, TenantScope,
};

use crate::connection::DbConnection;
use crate::repo::offerings;
use crate::schema::{accounts, change_counters, classifications, tenants};
use crate::RepoResult;

/// The caller's visible offerings and visible tenants (optionally only of `service`): the
/// event rules decide from these alone.
pub fn caller_view(
    conn: &mut DbConnection,
    caller: &domain::Caller,
    service: Option<ServiceId>,
) -> RepoResult<CallerView> {
    let offerings: Vec<Offering> = offerings::all_in_scope(conn, caller.offering_scope(), service)?;
    let tenants = scoped_tenants(conn, caller.tenant_scope(), service)?;
    Ok(CallerView::new(
        offerings,
        tenants,
        caller.account_kind == AccountKind::Provider,
    ))
}

/// Scope rows grouped by event, turned into each event's [`EventScope`].
pub(crate) struct ScopeRows {
    classes: HashMap<i64, BTreeSet<ClassificationId>>,
    targets: HashMap<i64, BTreeSet<TenantId>>,
}

impl ScopeRows {
    /// From (event, classification) and (event, tenant) rows.
    pub(crate) fn new(class_rows: Vec<(i64, i64)>, tenant_rows: Vec<(i64, i64)>) -> Self {
        let mut classes: HashMap<i64, BTreeSet<ClassificationId>> = HashMap::new();
        for (event, class) in class_rows {
            classes
                .entry(event)
                .or_default()
                .insert(ClassificationId(class));
        }
        let mut targets: HashMap<i64, BTreeSet<TenantId>> = HashMap::new();
        for (event, tenant) in tenant_rows {
            targets.entry(event).or_default().insert(TenantId(tenant));
        }
        Self { classes, targets }
    }

    /// The scope of event `id`, whose stored kind is `kind`.
    pub(crate) fn take(&mut self, id: i64, kind: &str) -> EventScope {
        match kind {
            "service" => EventScope::Service,
            "classifications" => {
                EventScope::Classifications(self.classes.remove(&id).unwrap_or_default())
            }
            _ => EventScope::Tenants(self.targets.remove(&id).unwrap_or_default()),
        }
    }
}

/// Declares the scope storage of one kind of event: its classification and tenant join tables,
/// keyed by the event's id column. Both kinds store scopes the same way.
macro_rules! scope_store {
    ($name:ident, $classes:ident, $targets:ident, $event:ident) => {
        /// Loads and replaces the scope rows of one kind of event.
        pub(crate) mod $name {
            use diesel::prelude::*;
            use domain::EventScope;

            use super::ScopeRows;
            use crate::connection::DbConnection;
            use crate::schema::{$classes, $targets};
            use crate::RepoResult;

            /// The scope rows of these events.
            pub(crate) fn load(conn: &mut DbConnection, ids: &[i64]) -> RepoResult<ScopeRows> {
                let class_rows: Vec<(i64, i64)> = $classes::table
                    .filter($classes::$event.eq_any(ids))
                    .select(($classes::$event, $classes::classification_id))
                    .load(conn)?;
                let tenant_rows: Vec<(i64, i64)> = $targets::table
                    .filter($targets::$event.eq_any(ids))
                    .select(($targets::$event, $targets::tenant_id))
                    .load(conn)?;
                Ok(ScopeRows::new(class_rows, tenant_rows))
            }

            /// Replaces the scope rows of event `id` with those of `scope`.
            pub(crate) fn replace(
                conn: &mut DbConnection,
                id: i64,
                scope: &EventScope,
            ) -> RepoResult<()> {
                diesel::delete($classes::table.filter($classes::$event.eq(id))).execute(conn)?;
                diesel::delete($targets::table.filter($targets::$event.eq(id))).execute(conn)?;
                match scope {
                    EventScope::Service => {}
                    // One row per insert: batch inserts do not compile through the
                    // MultiConnection (FACTS.md).
                    EventScope::Classifications(ids) => {
                        for class in ids {
                            diesel::insert_into($classes::table)
                                .values((
                                    $classes::$event.eq(id),
                                    $classes::classification_id.eq(class.0),
                                ))
                                .execute(conn)?;
                        }
                    }
                    EventScope::Tenants(ids) => {
                        for tenant in ids {
                            diesel::insert_into($targets::table)
                                .values(($targets::$event.eq(id), $targets::tenant_id.eq(tenant.0)))
                                .execute(conn)?;
                        }
                    }
                }
                Ok(())
            }
        }
    };
}

scope_store!(
    incident_scopes,
    incident_classifications,
    incident_tenants,
    incident_id
);
scope_store!(
    maintenance_scopes,
    maintenance_classifications,
    maintenance_tenants,
    maintenance_id
);

/// Checks the scope's classifications exist (a missing one is reported on `classes_field`) and
/// its tenants are tenants of the service.
pub(crate) fn check_scope(
    conn: &mut DbConnection,
    service: ServiceId,
    scope: &EventScope,
    classes_field: &'static str,
) -> RepoResult<()> {
    let first_missing =
        |wanted: &[i64], found: Vec<i64>| wanted.iter().copied().find(|id| !found.contains(id));
    match scope {
        EventScope::Service => Ok(()),
        EventScope::Classifications(ids) => {
            let wanted: Vec<i64> = ids.iter().map(|c| c.0).collect();
            let found = classifications::table
                .filter(classifications::id.eq_any(&wanted))
                .select(classifications::id)
                .load(conn)?;
            match first_missing(&wanted, found) {
                Some(id) => Err(DomainError::invalid(
                    classes_field,
                    format!("no classification with id {id}"),
                )
                .into()),
                None => Ok(()),
            }
        }
        EventScope::Tenants(ids) => {
            let wanted: Vec<i64> = ids.iter().map(|t| t.0).collect();
            let found = tenants::table
                .filter(tenants::id.eq_any(&wanted))
                .filter(tenants::service_id.eq(service.0))
                .select(tenants::id)
                .load(conn)?;
            match first_missing(&wanted, found) {
                Some(id) => Err(DomainError::invalid(
                    "scope.tenant_ids",
                    format!("no tenant {id} of this service"),
                )
                .into()),
                None => Ok(()),
            }
        }
    }
}

/// Every name event text must not carry: all tenants' names (of every service) and the names
/// of partner and customer accounts. Two lean queries, indexed in memory.
fn forbidden_names(conn: &mut DbConnection) -> RepoResult<ForbiddenNames> {
    let tenant_names: Vec<String> = tenants::table.select(tenants::name).load(conn)?;
    let account_names: Vec<String> = accounts::table
        .filter(accounts::kind.ne(AccountKind::Provider.as_str()))
        .select(accounts::name)
        .load(conn)?;
    Ok(ForbiddenNames::new(
        tenant_names
            .into_iter()
            .map(|n| (NamedKind::Tenant, n))
            .chain(account_names.into_iter().map(|n| (NamedKind::Account, n))),
    ))
}

const NAMES_COUNTER: &str = "names";

/// Records that tenant or account names changed; called in the same transaction as the change.
pub(crate) fn names_changed(conn: &mut DbConnection) -> RepoResult<()> {
    diesel::update(change_counters::table.find(NAMES_COUNTER))
        .set(change_counters::value.eq(change_counters::value + 1))
        .execute(conn)?;
    Ok(())
}

/// The event-text guard's name index, loaded once and reloaded only when tenant or account
/// names changed (a primary-key read of the `names` counter tells, on every replica): a check
/// costs the same at 100,000 tenants as at ten.
#[derive(Debug, Default)]
pub struct NameIndex {
    cached: Mutex<Option<(i64, Arc<ForbiddenNames>)>>,
}

impl NameIndex {
    /// The names as of now.
    pub fn current(&self, conn: &mut DbConnection) -> RepoResult<Arc<ForbiddenNames>> {
        let version: i64 = change_counters::table
            .find(NAMES_COUNTER)
            .select(change_counters::value)
            .first(conn)?;
        let mut cached = self.cached.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((seen, names)) = cached.as_ref() {
            if *seen == version {
                return Ok(Arc::clone(names));
            }
        }
        let names = Arc::new(forbidden_names(conn)?);
        *cached = Some((version, Arc::clone(&names)));
        Ok(names)
    }

    /// Refuses event text (pairs of wire field and value, `None` when unchanged) that names a
    /// tenant or an account: text reaches every caller the event shows to, and tenant names
    /// belong only in each caller's own impacted-tenants list.
    pub(crate) fn check(
        &self,
        conn: &mut DbConnection,
        texts: &[(&'static str, Option<&str>)],
    ) -> RepoResult<()> {
        if texts.iter().all(|(_, text)| text.is_none()) {
            return Ok(());
        }
        let names = self.current(conn)?;
        for (field, text) in texts {
            if let Some(text) = text {
                names.check(field, text)?;
            }
        }
        Ok(())
    }
}

/// The guard one write's event text passes: the name index, and the names a provider admin
/// confirmed are ordinary words in this write (`allow_names`; empty for nearly every write).
#[derive(Debug, Clone)]
pub struct NameGuard {
    index: Arc<NameIndex>,
    allowed: AllowedNames,
}

impl NameGuard {
    pub fn new(index: Arc<NameIndex>, allowed: AllowedNames) -> Self {
        NameGuard { index, allowed }
    }

    /// A guard with no allowance.
    pub fn strict(index: Arc<NameIndex>) -> Self {
        Self::new(index, AllowedNames::default())
    }

    /// What this write is allowed, for its audit entry.
    pub fn allowed(&self) -> &AllowedNames {
        &self.allowed
    }

    /// [`NameIndex::check`] with this write's allowance; an allowance naming no tenant or
    /// account is refused (field `allow_names`).
    pub(crate) fn check(
        &self,
        conn: &mut DbConnection,
        texts: &[(&'static str, Option<&str>)],
    ) -> RepoResult<()> {
        if self.allowed.is_empty() {
            return self.index.check(conn, texts);
        }
        let names = self.index.current(conn)?;
        self.allowed.check_known("allow_names", &names)?;
        for (field, text) in texts {
            if let Some(text) = text {
                names.check_allowing(field, text, &self.allowed)?;
            }
        }
        Ok(())
    }
}

/// The tenants the scope allows (of `service`, or of all), with what the event rules need.
pub fn scoped_tenants(
    conn: &mut DbConnection,
    scope: TenantScope,
    service: Option<ServiceId>,
) -> RepoResult<Vec<ScopedTenant>> {
    let owners = diesel::alias!(accounts as owners);
    let mut query = tenants::table
        .inner_join(accounts::table)
        .select((
            tenants::id,
            tenants::name,
            tenants::service_id,
            tenants::classification_id,
            tenants::account_id,
            accounts::managing_partner_id,
        ))
        .into_boxed();
    if let Some(service) = service {
        query = query.filter(tenants::service_id.eq(service.0));
    }
    query = match scope {
        TenantScope::All => query,
        TenantScope::OwnedBy(id) => query.filter(tenants::account_id.eq(id.0)),
        // A subquery on accounts (indexed by managing partner) lets the planner use the
        // tenants' account index instead of scanning every tenant.
        TenantScope::OwnedOrManagedBy(id) => {
            let (owner_id, owner_partner) = (
                owners.field(accounts::id),
                owners.field(accounts::managing_partner_id),
            );
            query.filter(
                tenants::account_id.eq_any(
                    owners
                        .filter(owner_id.eq(id.0).or(owner_partner.eq(id.0)))
                        .select(owner_id),
                ),
            )
        }
    };
    let rows: Vec<(i64, String, i64, i64, i64, Option<i64>)> = query.load(conn)?;
    Ok(rows
        .into_iter()
        .map(
            |(id, name, service, class, account, partner)| ScopedTenant {
                id: TenantId(id),
                name,
                service_id: ServiceId(service),
                classification_id: ClassificationId(class),
                account_id: AccountId(account),
                managing_partner_id: partner.map(AccountId),
            },
        )
        .collect())
}
