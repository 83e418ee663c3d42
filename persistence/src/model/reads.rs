//! [`Reads`]: the queries handlers run, answered by the database or by the in-memory model.

use domain::{
    Caller, CallerView, Classification, Incident, IncidentId, IncidentReport, IncidentUpdate,
    Maintenance, MaintenanceId, ServiceId,
};

use super::*;
use crate::connection::DbConnection;
use crate::events;
use crate::repo::{catalogue, incident_reports, incidents, maintenances, Record};
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
    /// An incident's post-incident report, draft or published.
    fn report(&mut self, id: IncidentId) -> RepoResult<Option<IncidentReport>>;
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
    fn report(&mut self, id: IncidentId) -> RepoResult<Option<IncidentReport>> {
        incident_reports::report(self, id)
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
    fn report(&mut self, id: IncidentId) -> RepoResult<Option<IncidentReport>> {
        self.conn.report(id)
    }
}

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

    fn report(&mut self, id: IncidentId) -> RepoResult<Option<IncidentReport>> {
        Ok(self.reports.get(&id).cloned())
    }
}
