//! Loading the model and keeping it current: the change log, catch-up and purge.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Mutex, PoisonError, RwLock};

use diesel::prelude::*;
use domain::{
    AccountId, AccountScope, ClassificationId, ContactId, ContactScope, IncidentId, IncidentStatus,
    MaintenanceId, OfferingId, OfferingScope, ServiceId, TenantId, TenantScope,
};
use time::OffsetDateTime;

use super::*;
use crate::connection::DbConnection;
use crate::repo::accounts;
use crate::repo::{
    all_rows_in, availability, catalogue, contacts, email, feed_tokens, incident_reports,
    incidents, maintenances, offerings, tenants,
};
use crate::schema::{data_changes, incidents as incidents_t};
use crate::{RepoError, RepoResult};

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
    email_subscriptions: HashSet<i64>,
}

impl Changed {
    fn add(&mut self, table: &str, id: i64) {
        use crate::changes::ObjectKind;
        if ObjectKind::is_view(table) {
            // Whose view changed: news for the change feed, nothing to reload.
            return;
        }
        let set = match ObjectKind::of_table(table) {
            Some(ObjectKind::Account) => &mut self.accounts,
            Some(ObjectKind::Contact) => &mut self.contacts,
            Some(ObjectKind::Service) => &mut self.services,
            Some(ObjectKind::Classification) => &mut self.classifications,
            Some(ObjectKind::Tenant) => &mut self.tenants,
            Some(ObjectKind::Offering) => &mut self.offerings,
            Some(ObjectKind::Incident) => &mut self.incidents,
            Some(ObjectKind::Maintenance) => &mut self.maintenances,
            None if table == "feed_tokens" => &mut self.feed_tokens,
            None if table == "email_subscriptions" => &mut self.email_subscriptions,
            // A report is shown with its incident (a draft to provider admins only).
            None if table == "incident_reports" => &mut self.incidents,
            // The audit log: read from the database (provider admins only).
            None => return,
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
            + self.email_subscriptions.len()
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
        let first: Option<i64> = data_changes::table
            .filter(data_changes::version.gt(from))
            .select(diesel::dsl::min(data_changes::version))
            .first(conn)?;
        // View rows (whose view an object's rendering changed in) are the change feed's: the
        // model has nothing to reload for them, and one tenant write may log thousands.
        let rows: Vec<(i64, String, i64)> = data_changes::table
            .filter(data_changes::version.gt(from))
            .filter(data_changes::version.le(current))
            .filter(data_changes::table_name.not_like("view:%"))
            .order(data_changes::version.asc())
            .limit(i64::try_from(MAX_INCREMENTAL).unwrap_or(i64::MAX) + 1)
            .select((
                data_changes::version,
                data_changes::table_name,
                data_changes::row_id,
            ))
            .load(conn)?;
        let complete = first == Some(from + 1) && rows.len() <= MAX_INCREMENTAL;
        if !complete {
            log::info!(
                "the change log does not reach back to version {from}: reloading everything"
            );
            return self.reload(conn);
        }
        let mut delta = Delta {
            // Every change up to the counter read first is in the log: the model reflects it.
            version: current,
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
        for &id in &c.incidents {
            model.unindex_outage(IncidentId(id));
        }
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
            &mut model.reports,
            &c.incidents,
            IncidentId,
            &mut delta.loaded.reports,
        );
        apply(
            &mut model.reopened,
            &c.incidents,
            IncidentId,
            &mut delta.loaded.reopened,
        );
        for &id in &c.incidents {
            model.index_outage(IncidentId(id));
        }
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
        if !c.email_subscriptions.is_empty() {
            apply(
                &mut model.email_links,
                &c.email_subscriptions,
                |id| id,
                &mut delta.loaded.email_links,
            );
            model.index_email_links();
        }
        model.version = model.version.max(delta.version);
        Ok(model.version)
    }
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
    delta.loaded.reports = incident_reports::reports(conn, Some(&ids))?
        .into_iter()
        .collect();
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
    for &id in &c.email_subscriptions {
        delta
            .loaded
            .email_links
            .extend(email_links(conn, Some(id))?);
    }
    Ok(())
}

/// The readers of confirmed email subscriptions (all, or only `id`) and the hashes of the view
/// keys in their messages' links.
fn email_links(
    conn: &mut DbConnection,
    id: Option<i64>,
) -> RepoResult<impl Iterator<Item = (i64, (email::Reader, String))>> {
    Ok(email::link_secrets(conn, id)?
        .into_iter()
        .map(|(id, reader, secret)| {
            let hash = feed_tokens::token_hash(&email::view_key(&secret));
            (id, (reader, hash))
        }))
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
    let reports = incident_reports::reports(conn, None)?.into_iter().collect();
    let maintenances = all_rows_in(BATCH, |page| maintenances::all(conn, page))?;
    let feed_tokens = feed_tokens::hashes(conn, None)?
        .into_iter()
        .map(|(id, contact, hash)| (id, (contact, hash)))
        .collect();
    let email_links = email_links(conn, None)?.collect();
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
        reports,
        reopened,
        maintenances: maintenances.into_iter().map(|r| (r.item.id, r)).collect(),
        feed_tokens,
        outages: BTreeMap::new(),
        feed_token_hashes: HashMap::new(),
        email_links,
        email_link_hashes: HashMap::new(),
    };
    model.index_feed_tokens();
    model.index_email_links();
    model.index_outages();
    Ok(model)
}
