//! The read model: everything the dashboard reads need — accounts, contacts, classifications,
//! tenants, offerings, incidents (scope, impact history, the status timeline of reopened ones)
//! and maintenance — in memory, at one data version. It is loaded once at start and then kept
//! current from `data_changes`: every write logs (version, table, object id) in its own
//! transaction (database triggers), and [`ReadModel::catch_up`] reloads just the objects
//! changed after the model's version. Reads ([`Reads`]) run the same filters as the SQL they
//! replace, over memory; the database stays the source of truth.

mod filters;
mod load;
mod outages;
mod reads;

pub use filters::{IncidentFilter, MaintenanceFilter};
pub use load::ReadModel;
pub use outages::Outages;
pub use reads::{Mixed, Reads};

use std::collections::{BTreeMap, HashMap};

use domain::availability::{ScopedPlanned, Window};
use domain::{
    Account, AccountId, AccountKind, AccountScope, Caller, CallerView, Classification,
    ClassificationId, Contact, ContactId, ContactScope, EventScope, Incident, IncidentId,
    IncidentReport, IncidentStatus, IncidentUpdate, Maintenance, MaintenanceId, Offering,
    OfferingId, OfferingScope, ScopedTenant, Service, ServiceId, Tenant, TenantId, TenantScope,
};
use time::OffsetDateTime;

use crate::changes::ObjectKind;
use crate::repo::accounts::AccountFilter;
use crate::repo::availability;
use crate::repo::email::Reader;
use crate::repo::offerings::OfferingFilter;
use crate::repo::tenants::TenantFilter;
use crate::repo::{Page, PageRequest, Record};
use crate::{RepoError, RepoResult};
use outages::ServiceOutages;

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
    /// Post-incident reports, drafts included.
    reports: BTreeMap<IncidentId, IncidentReport>,
    /// The status timeline of each reopened incident (availability needs its gaps).
    reopened: BTreeMap<IncidentId, Vec<(OffsetDateTime, IncidentStatus)>>,
    maintenances: BTreeMap<MaintenanceId, Record<Maintenance>>,
    /// Each service's incidents as availability counts them, kept beside the incidents (see
    /// [`Model::index_outage`]) so that a rollup shares them instead of rebuilding them.
    outages: BTreeMap<ServiceId, ServiceOutages>,
    /// Feed tokens: id → (contact, SHA-256 of the token), and the hash → id index.
    feed_tokens: BTreeMap<i64, (ContactId, String)>,
    feed_token_hashes: HashMap<String, i64>,
    /// Confirmed email subscriptions: id → (reader, SHA-256 of the view key in their
    /// messages' links), and the hash → id index.
    email_links: BTreeMap<i64, (Reader, String)>,
    email_link_hashes: HashMap<String, i64>,
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

    /// The reader behind the view key (by its hash) in an email's link: the subscription's
    /// contact, or its account as a viewer.
    pub fn email_link_caller(&self, hash: &str) -> Option<Caller> {
        let id = self.email_link_hashes.get(hash)?;
        self.reader_caller(self.email_links.get(id)?.0).ok()
    }

    /// The caller an email subscription's reader reads as: its contact, or its account as a
    /// viewer; `NotFound` when gone.
    pub fn reader_caller(&self, reader: Reader) -> RepoResult<Caller> {
        match reader {
            Reader::Contact(contact) => self.caller(contact),
            Reader::Account(account) => self.account_viewer(account),
        }
    }

    /// An account as a viewer reads it (the reader of an account's webhooks and email).
    pub fn account_viewer(&self, id: AccountId) -> RepoResult<Caller> {
        let account = &self.accounts.get(&id).ok_or(RepoError::NotFound)?.item;
        Ok(Caller {
            contact_id: ContactId(0),
            account_id: account.id,
            account_kind: account.kind,
            role: domain::Role::Viewer,
        })
    }

    /// The hash → id index of the email subscriptions' view keys.
    fn index_email_links(&mut self) {
        self.email_link_hashes = self
            .email_links
            .iter()
            .map(|(id, (_, hash))| (hash.clone(), *id))
            .collect();
    }

    /// The hash → id index of the feed tokens.
    fn index_feed_tokens(&mut self) {
        self.feed_token_hashes = self
            .feed_tokens
            .iter()
            .map(|(id, (_, hash))| (hash.clone(), *id))
            .collect();
    }

    /// Puts the incident `id` (as the model holds it now, with its timeline) into its
    /// service's outages; a gone incident stays out. Call [`Model::unindex_outage`] first.
    fn index_outage(&mut self, id: IncidentId) {
        let Some(record) = self.incidents.get(&id) else {
            return;
        };
        let incident = &record.item;
        let outage =
            availability::scoped_outage(incident, self.reopened.get(&id).map(Vec::as_slice));
        self.outages.entry(incident.service_id).or_default().insert(
            id,
            incident.started_at,
            incident.resolved_at,
            outage,
        );
    }

    /// Takes the incident `id` (as the model holds it now) out of its service's outages.
    fn unindex_outage(&mut self, id: IncidentId) {
        if let Some(record) = self.incidents.get(&id) {
            if let Some(outages) = self.outages.get_mut(&record.item.service_id) {
                outages.remove(id);
            }
        }
    }

    /// Every incident's outage, from scratch.
    fn index_outages(&mut self) {
        self.outages.clear();
        let ids: Vec<IncidentId> = self.incidents.keys().copied().collect();
        for id in ids {
            self.index_outage(id);
        }
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

    /// Whether incident `incident` counts in tenant `tenant`'s `incident_count` over
    /// [from, to) (open ends: from the start of time, until now) — the rule an incident list
    /// filtered by tenant and window keeps to, so the two agree.
    pub fn counts_for_tenant(
        &self,
        incident: IncidentId,
        tenant: TenantId,
        from: Option<OffsetDateTime>,
        to: Option<OffsetDateTime>,
        now: OffsetDateTime,
    ) -> bool {
        let (Some(record), Some(t)) = (self.incidents.get(&incident), self.tenants.get(&tenant))
        else {
            return false;
        };
        let window = Window {
            from: from.unwrap_or(OffsetDateTime::UNIX_EPOCH),
            to: to.unwrap_or(now),
        };
        self.outages
            .get(&record.item.service_id)
            .and_then(|o| o.get(incident))
            .is_some_and(|o| o.counts_for(tenant, t.item.classification_id, window, now))
    }

    pub fn history(
        &self,
        service: ServiceId,
        window: Window,
        now: OffsetDateTime,
    ) -> RepoResult<(Outages, Vec<ScopedPlanned>)> {
        let outages = self
            .outages
            .get(&service)
            .map(|o| o.in_window(window))
            .unwrap_or_default();
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

    /// Whether the caller (with its `view`) sees the object now; `None` when it is gone.
    pub fn sees(
        &self,
        caller: &Caller,
        view: &CallerView,
        kind: ObjectKind,
        id: i64,
    ) -> Option<bool> {
        Some(match kind {
            ObjectKind::Account => caller
                .account_scope()
                .allows(&self.accounts.get(&AccountId(id))?.item),
            ObjectKind::Contact => caller
                .contact_scope()
                .allows(&self.contacts.get(&ContactId(id))?.item),
            ObjectKind::Service => self.services.contains_key(&ServiceId(id)),
            ObjectKind::Classification => self.classifications.contains_key(&ClassificationId(id)),
            ObjectKind::Tenant => {
                let tenant = &self.tenants.get(&TenantId(id))?.item;
                self.accounts
                    .get(&tenant.account_id)
                    .is_some_and(|owner| caller.tenant_scope().allows(tenant, &owner.item))
            }
            ObjectKind::Offering => caller
                .offering_scope()
                .allows(&self.offerings.get(&OfferingId(id))?.item),
            ObjectKind::Incident => {
                let incident = &self.incidents.get(&IncidentId(id))?.item;
                view.sees_by(incident.service_id, |t| incident.reaches(t))
            }
            ObjectKind::Maintenance => {
                let maintenance = &self.maintenances.get(&MaintenanceId(id))?.item;
                view.sees(maintenance.service_id, &maintenance.scope)
            }
        })
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
