//! The status overview: each offering the caller sees, its current status, its active
//! incidents and its maintenance in the next days.

use actix_web::{get, web};
use domain::OfferingStatus as DomainOfferingStatus;
use persistence::repo::incidents::{self, IncidentFilter};
use persistence::repo::maintenances::{self, MaintenanceFilter};
use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};
use utoipa::{IntoParams, ToSchema};

use super::events::{all_rows, EventContext};
use super::incidents::{render as render_incident, IncidentResponse};
use super::maintenances::{render as render_maintenance, MaintenanceResponse};
use crate::auth::Authenticated;
use crate::db::Db;
use crate::error::{ApiError, ReadProblems};
use crate::extract::QueryParams;
use crate::wire::{OfferingKind, OfferingStatus, Phase};

/// The status overview.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct StatusResponse {
    /// Every offering the caller sees, in id order.
    pub offerings: Vec<OfferingStatusResponse>,
}

/// One offering's current state.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct OfferingStatusResponse {
    pub offering_id: i64,
    pub name: String,
    pub kind: OfferingKind,
    pub service_id: i64,
    /// The worst impact among its active incidents, else `under_maintenance` while a window
    /// runs, else `operational`.
    pub status: OfferingStatus,
    /// Unresolved incidents that show on the offering.
    pub active_incidents: Vec<IncidentResponse>,
    /// Running windows and those starting within `days`.
    pub upcoming_maintenance: Vec<MaintenanceResponse>,
}

/// How far ahead to look for maintenance.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatusParams {
    /// Days ahead, 1–90 (default 14).
    pub days: Option<i64>,
}

/// For each offering the caller sees: its current status, active incidents and maintenance in
/// the next `days` days.
#[utoipa::path(tag = "status", params(StatusParams), responses((status = 200, body = StatusResponse), ReadProblems))]
#[get("/status")]
pub async fn get_status(
    db: web::Data<Db>,
    caller: Authenticated,
    params: QueryParams<StatusParams>,
) -> Result<web::Json<StatusResponse>, ApiError> {
    let days = params.0.days.unwrap_or(14);
    if !(1..=90).contains(&days) {
        return Err(ApiError::bad_parameter("days", "must be between 1 and 90"));
    }
    let caller = caller.0;
    let response = db
        .run(move |conn| {
            let ctx = EventContext::load(conn, &caller, None)?;
            let now = OffsetDateTime::now_utc();
            let services = ctx.view.services();
            let incident_filter = IncidentFilter {
                services: services.clone(),
                active_only: true,
                ..Default::default()
            };
            let active: Vec<IncidentResponse> =
                all_rows(|page| incidents::list(conn, &incident_filter, page))?
                    .into_iter()
                    .filter_map(|record| render_incident(&ctx, &caller, record))
                    .collect();
            let maintenance_filter = MaintenanceFilter {
                services,
                from: Some(now),
                to: Some(now + Duration::days(days)),
                open_only: true,
                ..Default::default()
            };
            let upcoming: Vec<MaintenanceResponse> =
                all_rows(|page| maintenances::list(conn, &maintenance_filter, page))?
                    .into_iter()
                    .filter_map(|record| render_maintenance(&ctx, record, now))
                    .collect();
            let mut offerings: Vec<&domain::Offering> = ctx.view.offerings().collect();
            offerings.sort_by_key(|o| o.id);
            let offerings = offerings
                .into_iter()
                .map(|offering| {
                    let shows = |ids: &[super::events::OfferingRef]| {
                        ids.iter().any(|o| o.id == offering.id.0)
                    };
                    let active_incidents: Vec<IncidentResponse> = active
                        .iter()
                        .filter(|i| shows(&i.offerings))
                        .cloned()
                        .collect();
                    let upcoming_maintenance: Vec<MaintenanceResponse> = upcoming
                        .iter()
                        .filter(|m| shows(&m.offerings))
                        .cloned()
                        .collect();
                    let running = upcoming_maintenance
                        .iter()
                        .any(|m| m.phase == Phase::Active);
                    let impacts = active_incidents
                        .iter()
                        .map(|i| domain::Impact::from(i.impact));
                    OfferingStatusResponse {
                        offering_id: offering.id.0,
                        name: offering.name.to_string(),
                        kind: offering.kind.into(),
                        service_id: offering.service_id.0,
                        status: DomainOfferingStatus::current(impacts, running).into(),
                        active_incidents,
                        upcoming_maintenance,
                    }
                })
                .collect();
            Ok(StatusResponse { offerings })
        })
        .await?;
    Ok(web::Json(response))
}
