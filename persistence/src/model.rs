//! The read model: everything the dashboard reads need — accounts, contacts, classifications,
//! tenants, offerings, incidents (scope, impact history, the status timeline of reopened ones)
//! and maintenance — in memory, at one data version. It is loaded once at start and then kept
//! current from `data_changes`: every write logs (version, table, object id) in its own
//! transaction (database triggers), and [`ReadModel::catch_up`] reloads just the objects
//! changed after the model's version. Reads ([`Reads`]) run the same filters as the SQL they
//! replace, over memory; the database stays the source of truth.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Mutex, PoisonError, RwLock};

use diesel::prelude::*;
use domain::availability::{ScopedOutage, ScopedPlanned, Window};
use domain::{
    Account, AccountId, AccountKind, AccountScope, Caller, CallerView, Classification,
    ClassificationId, Contact, ContactId, ContactScope, EventScope, Incident, IncidentId,
    IncidentStatus, IncidentUpdate, Maintenance, MaintenanceId, MaintenanceStatus, Offering,
    OfferingId, OfferingScope, ScopedTenant, Service, ServiceId, Tenant, TenantId, TenantScope,
};
use time::OffsetDateTime;

use crate::connection::DbConnection;
use crate::repo::accounts::{self, AccountFilter};
use crate::repo::incidents;
use crate::repo::maintenances;
use crate::repo::offerings::OfferingFilter;
use crate::repo::tenants::TenantFilter;
use crate::repo::{
    all_rows_in, availability, catalogue, contacts, events, feed_tokens, offerings, tenants,
};
use crate::repo::{Page, PageRequest, Record};
use crate::schema::{data_changes, incidents as incidents_t};
use crate::{RepoError, RepoResult};

/// What rendering one event needs, from the database (write answers, inside their
/// transaction) or from the read model (GETs): the same questions, the same answers. Lists,
/// availability and the directory are read from the model only (`Model`'s own methods).
pub trait Reads {
    /// The caller's visible offerings and tenants (optionally of one service).
    fn caller_view(
        &mut self,
        caller: &Caller,
        service: Option<ServiceId>,
    ) -> RepoResult<CallerView>;
    fn classifications(&mut self) -> RepoResult<Vec<Classification>>;
    fn incident(&mut self, id: IncidentId) -> RepoResult<Record<Incident>>;
    /// An incident's timeline, oldest first.
    fn timeline(&mut self, id: IncidentId) -> RepoResult<Vec<IncidentUpdate>>;
    fn maintenance(&mut self, id: MaintenanceId) -> RepoResult<Record<Maintenance>>;
}

impl Reads for DbConnection {
    fn caller_view(
        &mut self,
        caller: &Caller,
        service: Option<ServiceId>,
    ) -> RepoResult<CallerView> {
        events::caller_view(self, caller, service)
    }
    fn classifications(&mut self) -> RepoResult<Vec<Classification>> {
        catalogue::all_classifications(self)
    }
    fn incident(&mut self, id: IncidentId) -> RepoResult<Record<Incident>> {
        incidents::find(self, id)
    }
    fn timeline(&mut self, id: IncidentId) -> RepoResult<Vec<IncidentUpdate>> {
        incidents::timeline(self, id)
    }
    fn maintenance(&mut self, id: MaintenanceId) -> RepoResult<Record<Maintenance>> {
        maintenances::find(self, id)
    }
}

/// Reads for rendering an event inside its own write transaction against the read model's
/// directory: the event from the transaction (it is not committed yet), who sees which tenant
/// from the model (event writes do not change the directory). Webhook payloads are rendered so.
pub struct Mixed<'a> {
    pub model: &'a Model,
    pub conn: &'a mut DbConnection,
}

impl Reads for Mixed<'_> {
    fn caller_view(
        &mut self,
        caller: &Caller,
        service: Option<ServiceId>,
    ) -> RepoResult<CallerView> {
        Ok(self.model.caller_view(caller, service))
    }
    fn classifications(&mut self) -> RepoResult<Vec<Classification>> {
        (&mut &*self.model).classifications()
    }
    fn incident(&mut self, id: IncidentId) -> RepoResult<Record<Incident>> {
        self.conn.incident(id)
    }
    fn timeline(&mut self, id: IncidentId) -> RepoResult<Vec<IncidentUpdate>> {
        self.conn.timeline(id)
    }
    fn maintenance(&mut self, id: MaintenanceId) -> RepoResult<Record<Maintenance>> {
        self.conn.maintenance(id)
    }
}

/// The data, at one version.
#[derive(Debug, Default)]
pub struct Model {
    version: i64,
    accounts: BTreeMap<AccountId, Record<Account>>,
    contacts: BTreeMap<ContactId, Record<Contact>>,
    services: BTreeMap<ServiceId, Record<Service>>,
    classifications: BTreeMap<ClassificationId, Record<Classification>>,
    tenants: BTreeMap<TenantId, Record<Tenant>>,
    offerings: BTreeMap<OfferingId, Record<Offering>>,
    incidents: BTreeMap<IncidentId, Record<Incident>>,
    timelines: BTreeMap<IncidentId, Vec<IncidentUpdate>>,
    /// The status timeline of each reopened incident (availability needs its gaps).
    reopened: BTreeMap<IncidentId, Vec<(OffsetDateTime, IncidentStatus)>>,
    maintenances: BTreeMap<MaintenanceId, Record<Maintenance>>,
    /// Feed tokens: id → (contact, SHA-256 of the token), and the hash → id index.
    feed_tokens: BTreeMap<i64, (ContactId, String)>,
    feed_token_hashes: HashMap<String, i64>,
}

/// A page of `map`'s values after `page.after` (keys made by `key`), keeping those `keep`
/// accepts: it starts at the cursor, whatever the depth.
fn page_of<K: Ord + Copy, T: Clone>(
    map: &BTreeMap<K, Record<T>>,
    key: impl Fn(i64) -> K,
    page: PageRequest,
    id: impl Fn(&Record<T>) -> i64,
    keep: impl Fn(&T) -> bool,
) -> Page<Record<T>> {
    let limit = usize::try_from(page.limit).unwrap_or(usize::MAX);
    let from = page.after.map_or(i64::MIN, |after| after.saturating_add(1));
    let rows: Vec<Record<T>> = map
        .range(key(from)..)
        .map(|(_, record)| record)
        .filter(|record| keep(&record.item))
        .take(limit.saturating_add(1))
        .cloned()
        .collect();
    Page::from_rows(rows, page, id)
}

impl Model {
    /// The data version this model reflects.
    pub fn version(&self) -> i64 {
        self.version
    }

    /// The caller a token's contact is, or `NotFound` when the contact is gone.
    pub fn caller(&self, id: ContactId) -> RepoResult<Caller> {
        let contact = &self.contacts.get(&id).ok_or(RepoError::NotFound)?.item;
        let account = self
            .accounts
            .get(&contact.account_id)
            .ok_or(RepoError::NotFound)?;
        Ok(Caller::new(contact, &account.item))
    }

    /// The feed token with this hash (SHA-256, hex) and the caller it reads as.
    pub fn feed_caller(&self, hash: &str) -> Option<(i64, Caller)> {
        let id = *self.feed_token_hashes.get(hash)?;
        let (contact, _) = self.feed_tokens.get(&id)?;
        Some((id, self.caller(*contact).ok()?))
    }

    /// The hash → id index of the feed tokens.
    fn index_feed_tokens(&mut self) {
        self.feed_token_hashes = self
            .feed_tokens
            .iter()
            .map(|(id, (_, hash))| (hash.clone(), *id))
            .collect();
    }

    fn scoped_tenants(&self, scope: TenantScope, service: Option<ServiceId>) -> Vec<ScopedTenant> {
        self.tenants
            .values()
            .map(|record| &record.item)
            .filter(|tenant| service.is_none_or(|s| tenant.service_id == s))
            .filter_map(|tenant| {
                let owner = &self.accounts.get(&tenant.account_id)?.item;
                scope.allows(tenant, owner).then(|| ScopedTenant {
                    id: tenant.id,
                    name: tenant.name.to_string(),
                    service_id: tenant.service_id,
                    classification_id: tenant.classification_id,
                    account_id: tenant.account_id,
                    managing_partner_id: owner.managing_partner_id,
                })
            })
            .collect()
    }

    /// Whether a window of this scope may impact a tenant of `class`.
    fn touches_class(&self, scope: &EventScope, class: ClassificationId) -> bool {
        match scope {
            EventScope::Service => true,
            EventScope::Classifications(ids) => ids.contains(&class),
            EventScope::Tenants(ids) => ids.iter().any(|id| {
                self.tenants
                    .get(id)
                    .is_some_and(|t| t.item.classification_id == class)
            }),
        }
    }

    fn maintenance_matches(&self, filter: &MaintenanceFilter, m: &Maintenance) -> bool {
        filter.matches(m)
            && filter
                .classification
                .is_none_or(|c| self.touches_class(&m.scope, c))
    }
}

/// The directory as GETs read it: the scopes and filters of the `repo` lists, over memory.
impl Model {
    pub fn accounts_page(
        &self,
        scope: AccountScope,
        filter: &AccountFilter,
        page: PageRequest,
    ) -> Page<Record<Account>> {
        page_of(
            &self.accounts,
            AccountId,
            page,
            |r| r.item.id.0,
            |a| {
                scope.allows(a)
                    && filter.kind.is_none_or(|k| a.kind == k)
                    && filter
                        .managing_partner_id
                        .is_none_or(|p| a.managing_partner_id == Some(p))
            },
        )
    }

    pub fn account(&self, scope: AccountScope, id: AccountId) -> RepoResult<Record<Account>> {
        found(self.accounts.get(&id), |a| scope.allows(a))
    }

    pub fn contacts_page(
        &self,
        scope: ContactScope,
        account: AccountId,
        page: PageRequest,
    ) -> Page<Record<Contact>> {
        page_of(
            &self.contacts,
            ContactId,
            page,
            |r| r.item.id.0,
            |c| c.account_id == account && scope.allows(c),
        )
    }

    pub fn contact(&self, scope: ContactScope, id: ContactId) -> RepoResult<Record<Contact>> {
        found(self.contacts.get(&id), |c| scope.allows(c))
    }

    pub fn tenants_page(
        &self,
        scope: TenantScope,
        filter: &TenantFilter,
        page: PageRequest,
    ) -> Page<Record<Tenant>> {
        page_of(
            &self.tenants,
            TenantId,
            page,
            |r| r.item.id.0,
            |t| {
                filter.account_id.is_none_or(|a| t.account_id == a)
                    && filter.service_id.is_none_or(|s| t.service_id == s)
                    && filter
                        .classification_id
                        .is_none_or(|c| t.classification_id == c)
                    && self
                        .accounts
                        .get(&t.account_id)
                        .is_some_and(|owner| scope.allows(t, &owner.item))
            },
        )
    }

    pub fn offerings_page(
        &self,
        scope: OfferingScope,
        filter: &OfferingFilter,
        page: PageRequest,
    ) -> Page<Record<Offering>> {
        page_of(
            &self.offerings,
            OfferingId,
            page,
            |r| r.item.id.0,
            |o| {
                scope.allows(o)
                    && filter.service_id.is_none_or(|s| o.service_id == s)
                    && filter.kind.is_none_or(|k| o.kind == k)
                    && filter.account_id.is_none_or(|a| o.account_id == a)
            },
        )
    }

    pub fn services_page(&self, page: PageRequest) -> Page<Record<Service>> {
        page_of(&self.services, ServiceId, page, |r| r.item.id.0, |_| true)
    }

    pub fn service(&self, id: ServiceId) -> RepoResult<Record<Service>> {
        found(self.services.get(&id), |_| true)
    }

    pub fn classifications_page(&self, page: PageRequest) -> Page<Record<Classification>> {
        page_of(
            &self.classifications,
            ClassificationId,
            page,
            |r| r.item.id.0,
            |_| true,
        )
    }

    pub fn classification(&self, id: ClassificationId) -> RepoResult<Record<Classification>> {
        found(self.classifications.get(&id), |_| true)
    }
}

/// A copy of `record` when `visible` allows it; `NotFound` otherwise (or when absent).
fn found<T: Clone>(
    record: Option<&Record<T>>,
    visible: impl Fn(&T) -> bool,
) -> RepoResult<Record<T>> {
    record
        .filter(|r| visible(&r.item))
        .cloned()
        .ok_or(RepoError::NotFound)
}

/// Reads answered from a model.
impl Reads for &Model {
    fn caller_view(
        &mut self,
        caller: &Caller,
        service: Option<ServiceId>,
    ) -> RepoResult<CallerView> {
        Ok(Model::caller_view(self, caller, service))
    }

    fn classifications(&mut self) -> RepoResult<Vec<Classification>> {
        Ok(self
            .classifications
            .values()
            .map(|record| record.item.clone())
            .collect())
    }

    fn incident(&mut self, id: IncidentId) -> RepoResult<Record<Incident>> {
        self.incidents.get(&id).cloned().ok_or(RepoError::NotFound)
    }

    fn timeline(&mut self, id: IncidentId) -> RepoResult<Vec<IncidentUpdate>> {
        Ok(self.timelines.get(&id).cloned().unwrap_or_default())
    }

    fn maintenance(&mut self, id: MaintenanceId) -> RepoResult<Record<Maintenance>> {
        self.maintenances
            .get(&id)
            .cloned()
            .ok_or(RepoError::NotFound)
    }
}

/// Event lists, availability histories and scoped finds, from the model.
impl Model {
    /// The caller's visible offerings and tenants (optionally of one service).
    pub fn caller_view(&self, caller: &Caller, service: Option<ServiceId>) -> CallerView {
        let scope = caller.offering_scope();
        let offerings = self
            .offerings
            .values()
            .map(|record| &record.item)
            .filter(|o| service.is_none_or(|s| o.service_id == s) && scope.allows(o))
            .cloned()
            .collect();
        let tenants = self.scoped_tenants(caller.tenant_scope(), service);
        CallerView::new(
            offerings,
            tenants,
            caller.account_kind == AccountKind::Provider,
        )
    }

    pub fn incidents(
        &self,
        filter: &IncidentFilter,
        page: PageRequest,
    ) -> RepoResult<Page<Record<Incident>>> {
        Ok(page_of(
            &self.incidents,
            IncidentId,
            page,
            |r| r.item.id.0,
            |i| filter.matches(i),
        ))
    }

    pub fn maintenances(
        &self,
        filter: &MaintenanceFilter,
        page: PageRequest,
    ) -> RepoResult<Page<Record<Maintenance>>> {
        Ok(page_of(
            &self.maintenances,
            MaintenanceId,
            page,
            |r| r.item.id.0,
            |m| self.maintenance_matches(filter, m),
        ))
    }

    pub fn history(
        &self,
        service: ServiceId,
        window: Window,
        now: OffsetDateTime,
    ) -> RepoResult<(Vec<ScopedOutage>, Vec<ScopedPlanned>)> {
        let in_window = IncidentFilter {
            services: Some(vec![service]),
            from: Some(window.from),
            to: Some(window.to),
            ..IncidentFilter::default()
        };
        let outages = self
            .incidents
            .values()
            .map(|record| &record.item)
            .filter(|i| in_window.matches(i))
            .map(|i| availability::scoped_outage(i, self.reopened.get(&i.id).map(Vec::as_slice)))
            .collect();
        let counted = MaintenanceFilter {
            services: Some(vec![service]),
            from: Some(window.from),
            to: Some(window.to),
            counted_only: true,
            ..MaintenanceFilter::default()
        };
        let planned = self
            .maintenances
            .values()
            .map(|record| &record.item)
            .filter(|m| self.maintenance_matches(&counted, m))
            .filter_map(|m| {
                m.counted(now).map(|planned| ScopedPlanned {
                    scope: m.scope.clone(),
                    planned,
                })
            })
            .collect();
        Ok((outages, planned))
    }

    pub fn offering(&self, scope: OfferingScope, id: OfferingId) -> RepoResult<Record<Offering>> {
        found(self.offerings.get(&id), |o| scope.allows(o))
    }

    pub fn tenant(&self, scope: TenantScope, id: TenantId) -> RepoResult<Record<Tenant>> {
        let record = self.tenants.get(&id).ok_or(RepoError::NotFound)?;
        let owner = self
            .accounts
            .get(&record.item.account_id)
            .ok_or(RepoError::NotFound)?;
        if scope.allows(&record.item, &owner.item) {
            Ok(record.clone())
        } else {
            Err(RepoError::NotFound)
        }
    }
}

/// Rows loaded per query when loading everything.
const BATCH: i64 = 5000;
/// More changed objects than this after the model's version: reload everything instead.
const MAX_INCREMENTAL: usize = 20_000;

/// Objects changed after some version, by kind.
#[derive(Debug, Default)]
struct Changed {
    accounts: HashSet<i64>,
    contacts: HashSet<i64>,
    services: HashSet<i64>,
    classifications: HashSet<i64>,
    tenants: HashSet<i64>,
    offerings: HashSet<i64>,
    incidents: HashSet<i64>,
    maintenances: HashSet<i64>,
    feed_tokens: HashSet<i64>,
}

impl Changed {
    fn add(&mut self, table: &str, id: i64) {
        let set = match table {
            "accounts" => &mut self.accounts,
            "contacts" => &mut self.contacts,
            "services" => &mut self.services,
            "classifications" => &mut self.classifications,
            "tenants" => &mut self.tenants,
            "offerings" => &mut self.offerings,
            "incidents"
            | "incident_impacts"
            | "incident_classifications"
            | "incident_tenants"
            | "incident_updates" => &mut self.incidents,
            "maintenances" | "maintenance_classifications" | "maintenance_tenants" => {
                &mut self.maintenances
            }
            "feed_tokens" => &mut self.feed_tokens,
            // The audit log: read from the database (provider admins only).
            _ => return,
        };
        set.insert(id);
    }

    fn len(&self) -> usize {
        self.accounts.len()
            + self.contacts.len()
            + self.services.len()
            + self.classifications.len()
            + self.tenants.len()
            + self.offerings.len()
            + self.incidents.len()
            + self.maintenances.len()
            + self.feed_tokens.len()
    }
}

/// Reloads each id of `ids` with `find`, putting what exists into `map` and removing the rest.
fn reload<K: Ord + Copy, V>(
    map: &mut BTreeMap<K, V>,
    ids: &HashSet<i64>,
    key: impl Fn(i64) -> K,
    mut find: impl FnMut(K) -> RepoResult<V>,
) -> RepoResult<()> {
    for &id in ids {
        match find(key(id)) {
            Ok(value) => {
                map.insert(key(id), value);
            }
            Err(RepoError::NotFound) => {
                map.remove(&key(id));
            }
            Err(other) => return Err(other),
        }
    }
    Ok(())
}

/// What one catch-up loaded (the changed objects that still exist), applied under the write
/// lock in one step.
#[derive(Default)]
struct Delta {
    version: i64,
    loaded: Model,
    changed: Changed,
}

/// Replaces the entries of `ids` in `target` with those in `loaded` (absent: removed).
fn apply<K: Ord + Copy, V>(
    target: &mut BTreeMap<K, V>,
    ids: &HashSet<i64>,
    key: impl Fn(i64) -> K,
    loaded: &mut BTreeMap<K, V>,
) {
    for &id in ids {
        match loaded.remove(&key(id)) {
            Some(value) => target.insert(key(id), value),
            None => target.remove(&key(id)),
        };
    }
}

/// The model shared by a server's requests, and what keeps it current.
#[derive(Debug, Default)]
pub struct ReadModel {
    model: RwLock<Model>,
    /// One catch-up at a time.
    catching_up: Mutex<()>,
}

impl ReadModel {
    /// Loads everything at the database's current version.
    pub fn load(conn: &mut DbConnection) -> RepoResult<Self> {
        Ok(Self {
            model: RwLock::new(load_all(conn)?),
            catching_up: Mutex::new(()),
        })
    }

    /// Runs `read` on the current model.
    pub fn read<T>(&self, read: impl FnOnce(&Model) -> T) -> T {
        read(&self.model.read().unwrap_or_else(PoisonError::into_inner))
    }

    /// The version the model reflects.
    pub fn version(&self) -> i64 {
        self.read(Model::version)
    }

    /// Replaces the model with everything as it is now.
    fn reload(&self, conn: &mut DbConnection) -> RepoResult<i64> {
        let fresh = load_all(conn)?;
        let version = fresh.version;
        *self.model.write().unwrap_or_else(PoisonError::into_inner) = fresh;
        Ok(version)
    }

    /// Applies every change committed after the model's version (reloading everything when
    /// the log no longer reaches back that far, or too much changed); returns the new version.
    pub fn catch_up(&self, conn: &mut DbConnection) -> RepoResult<i64> {
        // The counter first: every change up to it is in the log read next (or was purged).
        // Often another catch-up (the watcher, woken by the same commit) already applied it.
        let current = crate::repo::data_version(conn)?;
        if current <= self.version() {
            return Ok(self.version());
        }
        let _one = self
            .catching_up
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let from = self.version();
        if current <= from {
            return Ok(from);
        }
        let rows: Vec<(i64, String, i64)> = data_changes::table
            .filter(data_changes::version.gt(from))
            .order(data_changes::version.asc())
            .limit(i64::try_from(MAX_INCREMENTAL).unwrap_or(i64::MAX) + 1)
            .select((
                data_changes::version,
                data_changes::table_name,
                data_changes::row_id,
            ))
            .load(conn)?;
        let complete =
            rows.first().is_some_and(|(v, _, _)| *v == from + 1) && rows.len() <= MAX_INCREMENTAL;
        if !complete {
            log::info!(
                "the change log does not reach back to version {from}: reloading everything"
            );
            return self.reload(conn);
        }
        let mut delta = Delta {
            version: rows.last().map_or(from, |(v, _, _)| *v),
            ..Delta::default()
        };
        for (_, table, id) in &rows {
            delta.changed.add(table, *id);
        }
        if delta.changed.len() > MAX_INCREMENTAL {
            log::info!("over {MAX_INCREMENTAL} objects changed: reloading everything");
            return self.reload(conn);
        }
        load_delta(conn, &mut delta)?;
        let mut model = self.model.write().unwrap_or_else(PoisonError::into_inner);
        let c = &delta.changed;
        apply(
            &mut model.accounts,
            &c.accounts,
            AccountId,
            &mut delta.loaded.accounts,
        );
        apply(
            &mut model.contacts,
            &c.contacts,
            ContactId,
            &mut delta.loaded.contacts,
        );
        apply(
            &mut model.services,
            &c.services,
            ServiceId,
            &mut delta.loaded.services,
        );
        apply(
            &mut model.classifications,
            &c.classifications,
            ClassificationId,
            &mut delta.loaded.classifications,
        );
        apply(
            &mut model.tenants,
            &c.tenants,
            TenantId,
            &mut delta.loaded.tenants,
        );
        apply(
            &mut model.offerings,
            &c.offerings,
            OfferingId,
            &mut delta.loaded.offerings,
        );
        apply(
            &mut model.incidents,
            &c.incidents,
            IncidentId,
            &mut delta.loaded.incidents,
        );
        apply(
            &mut model.timelines,
            &c.incidents,
            IncidentId,
            &mut delta.loaded.timelines,
        );
        apply(
            &mut model.reopened,
            &c.incidents,
            IncidentId,
            &mut delta.loaded.reopened,
        );
        apply(
            &mut model.maintenances,
            &c.maintenances,
            MaintenanceId,
            &mut delta.loaded.maintenances,
        );
        if !c.feed_tokens.is_empty() {
            apply(
                &mut model.feed_tokens,
                &c.feed_tokens,
                |id| id,
                &mut delta.loaded.feed_tokens,
            );
            model.index_feed_tokens();
        }
        model.version = model.version.max(delta.version);
        Ok(model.version)
    }
}

/// How long the change log keeps a change: a replica further behind reloads everything.
pub const KEEP_CHANGES: time::Duration = time::Duration::hours(1);

/// Forgets changes older than [`KEEP_CHANGES`]; returns how many.
pub fn purge_changes(conn: &mut DbConnection) -> RepoResult<usize> {
    let cutoff = crate::repo::now() - KEEP_CHANGES;
    Ok(diesel::delete(data_changes::table.filter(data_changes::at.lt(cutoff))).execute(conn)?)
}

/// Loads the objects `delta.changed` names, as they are now.
fn load_delta(conn: &mut DbConnection, delta: &mut Delta) -> RepoResult<()> {
    let c = &delta.changed;
    reload(&mut delta.loaded.accounts, &c.accounts, AccountId, |id| {
        accounts::find(conn, AccountScope::All, id)
    })?;
    reload(&mut delta.loaded.contacts, &c.contacts, ContactId, |id| {
        contacts::find(conn, ContactScope::All, id)
    })?;
    reload(&mut delta.loaded.services, &c.services, ServiceId, |id| {
        catalogue::find_service(conn, id)
    })?;
    reload(
        &mut delta.loaded.classifications,
        &c.classifications,
        ClassificationId,
        |id| catalogue::find_classification(conn, id),
    )?;
    reload(&mut delta.loaded.tenants, &c.tenants, TenantId, |id| {
        tenants::find(conn, TenantScope::All, id)
    })?;
    reload(
        &mut delta.loaded.offerings,
        &c.offerings,
        OfferingId,
        |id| offerings::find(conn, OfferingScope::All, id),
    )?;
    reload(
        &mut delta.loaded.incidents,
        &c.incidents,
        IncidentId,
        |id| incidents::find(conn, id),
    )?;
    for &id in &c.incidents {
        let timeline = incidents::timeline(conn, IncidentId(id))?;
        if !timeline.is_empty() {
            delta.loaded.timelines.insert(IncidentId(id), timeline);
        }
    }
    let ids: Vec<i64> = c.incidents.iter().copied().collect();
    delta.loaded.reopened = reopened_timelines(conn, Some(&ids))?;
    reload(
        &mut delta.loaded.maintenances,
        &c.maintenances,
        MaintenanceId,
        |id| maintenances::find(conn, id),
    )?;
    for &id in &c.feed_tokens {
        for (id, contact, hash) in feed_tokens::hashes(conn, Some(id))? {
            delta.loaded.feed_tokens.insert(id, (contact, hash));
        }
    }
    Ok(())
}

/// The status timelines of reopened incidents (of `ids`, or all).
fn reopened_timelines(
    conn: &mut DbConnection,
    ids: Option<&[i64]>,
) -> RepoResult<BTreeMap<IncidentId, Vec<(OffsetDateTime, IncidentStatus)>>> {
    let mut query = incidents_t::table
        .filter(incidents_t::reopened.eq(true))
        .select(incidents_t::id)
        .into_boxed();
    if let Some(ids) = ids {
        query = query.filter(incidents_t::id.eq_any(ids.to_vec()));
    }
    let reopened: Vec<i64> = query.load(conn)?;
    Ok(availability::status_timelines(conn, &reopened)?
        .into_iter()
        .map(|(id, timeline)| (IncidentId(id), timeline))
        .collect())
}

/// Every row the model holds. Rows committed while this runs may already be in it; the next
/// catch-up reloads them again, at their latest.
fn load_all(conn: &mut DbConnection) -> RepoResult<Model> {
    let version = crate::repo::data_version(conn)?;
    let accounts = all_rows_in(BATCH, |page| accounts::all(conn, page))?;
    let contacts = all_rows_in(BATCH, |page| contacts::all(conn, page))?;
    let services = all_rows_in(BATCH, |page| catalogue::list_services(conn, page))?;
    let classifications = all_rows_in(BATCH, |page| catalogue::list_classifications(conn, page))?;
    let tenants = all_rows_in(BATCH, |page| {
        tenants::list(conn, TenantScope::All, &Default::default(), page)
    })?;
    let offerings = all_rows_in(BATCH, |page| offerings::all(conn, page))?;
    let incidents = all_rows_in(BATCH, |page| incidents::all(conn, page))?;
    let timelines = incidents::timelines(conn, None)?.into_iter().collect();
    let reopened = reopened_timelines(conn, None)?;
    let maintenances = all_rows_in(BATCH, |page| maintenances::all(conn, page))?;
    let feed_tokens = feed_tokens::hashes(conn, None)?
        .into_iter()
        .map(|(id, contact, hash)| (id, (contact, hash)))
        .collect();
    let mut model = Model {
        version,
        accounts: accounts.into_iter().map(|r| (r.item.id, r)).collect(),
        contacts: contacts.into_iter().map(|r| (r.item.id, r)).collect(),
        services: services.into_iter().map(|r| (r.item.id, r)).collect(),
        classifications: classifications
            .into_iter()
            .map(|r| (r.item.id, r))
            .collect(),
        tenants: tenants.into_iter().map(|r| (r.item.id, r)).collect(),
        offerings: offerings.into_iter().map(|r| (r.item.id, r)).collect(),
        incidents: incidents.into_iter().map(|r| (r.item.id, r)).collect(),
        timelines,
        reopened,
        maintenances: maintenances.into_iter().map(|r| (r.item.id, r)).collect(),
        feed_tokens,
        feed_token_hashes: HashMap::new(),
    };
    model.index_feed_tokens();
    Ok(model)
}

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
}

impl IncidentFilter {
    /// Whether the incident passes every filter.
    pub fn matches(&self, i: &Incident) -> bool {
        self.services
            .as_ref()
            .is_none_or(|s| s.contains(&i.service_id))
            && self.status.is_none_or(|s| i.status == s)
            && (!self.active_only || i.status != IncidentStatus::Resolved)
            && self.to.is_none_or(|to| i.started_at < to)
            && self
                .from
                .is_none_or(|from| i.resolved_at.is_none_or(|r| r >= from))
    }
}

impl MaintenanceFilter {
    /// Whether the window passes every filter but the classification (`Model` checks that).
    pub fn matches(&self, m: &Maintenance) -> bool {
        self.services
            .as_ref()
            .is_none_or(|s| s.contains(&m.service_id))
            && self.status.is_none_or(|s| m.status == s)
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
