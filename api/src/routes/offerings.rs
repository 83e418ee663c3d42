//! Offerings, scoped by the caller: a partner sees its direct and partner_tenants offerings,
//! never its customers' direct ones. Provider admins register direct offerings.

use actix_web::{delete, get, patch, post, web, HttpRequest, HttpResponse};
use domain::{AccountId, Offering, OfferingId, OfferingName, ServiceId, SlaTarget};
use persistence::repo::offerings::{self, NewDirectOffering, OfferingChanges, OfferingFilter};
use persistence::Record;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};

use crate::http::auth::Authenticated;
use crate::http::error::{ApiError, ReadProblems, WriteProblems};
use crate::http::extract::{JsonBody, QueryParams};
use crate::http::idempotency::create_once;
use crate::http::pagination::{Page, PageParams};
use crate::http::state::AppState;
use crate::http::wire::OfferingKind;

/// What an account is subscribed to.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct OfferingResponse {
    pub id: i64,
    /// For partner_tenants: "{Service} - {Partner} (Partner Tenants)".
    pub name: String,
    pub kind: OfferingKind,
    pub service_id: i64,
    /// The account it is registered to (the partner, for partner_tenants).
    pub account_id: i64,
    /// The availability target in percent, e.g. 99.9.
    pub sla_target: f64,
    #[serde(with = "crate::http::wire::instant")]
    pub created_at: OffsetDateTime,
    #[serde(with = "crate::http::wire::instant")]
    pub updated_at: OffsetDateTime,
}

impl From<Record<Offering>> for OfferingResponse {
    fn from(record: Record<Offering>) -> Self {
        let o = record.item;
        Self {
            id: o.id.0,
            name: o.name.to_string(),
            kind: o.kind.into(),
            service_id: o.service_id.0,
            account_id: o.account_id.0,
            sla_target: o.sla_target.percent(),
            created_at: record.created_at,
            updated_at: record.updated_at,
        }
    }
}

/// A new direct offering (partner_tenants offerings are created by slr).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateOfferingRequest {
    /// Defaults to "{Service} - {Account}".
    #[schema(min_length = 1, max_length = 300)]
    pub name: Option<String>,
    pub service_id: i64,
    pub account_id: i64,
    /// Percent, above 0 and at most 100 (default 99.9).
    #[schema(exclusive_minimum = 0.0, maximum = 100.0)]
    pub sla_target: Option<f64>,
}

/// Changes to an offering; absent fields stay. A partner_tenants offering keeps its name.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateOfferingRequest {
    #[schema(min_length = 1, max_length = 300)]
    pub name: Option<String>,
    #[schema(exclusive_minimum = 0.0, maximum = 100.0)]
    pub sla_target: Option<f64>,
}

/// Filters for the offering list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OfferingListParams {
    pub service_id: Option<i64>,
    pub kind: Option<OfferingKind>,
    pub account_id: Option<i64>,
}

/// List the offerings the caller may see.
#[utoipa::path(tag = "directory", params(OfferingListParams, PageParams), responses((status = 200, body = Page<OfferingResponse>), ReadProblems))]
#[get("/offerings")]
pub async fn list_offerings(
    state: web::Data<AppState>,
    caller: Authenticated,
    filter: QueryParams<OfferingListParams>,
    page: QueryParams<PageParams>,
) -> Result<web::Json<Page<OfferingResponse>>, ApiError> {
    let db = &state.db;
    let page = page.0.request()?;
    let filter = OfferingFilter {
        service_id: filter.0.service_id.map(ServiceId),
        kind: filter.0.kind.map(Into::into),
        account_id: filter.0.account_id.map(AccountId),
    };
    let scope = caller.0.offering_scope();
    let found = db
        .read(move |model| Ok(model.offerings_page(scope, &filter, page)))
        .await?;
    Ok(web::Json(Page::from_records(found, OfferingResponse::from)))
}

/// Get one offering in the caller's scope.
#[utoipa::path(tag = "directory", params(("id" = i64, Path, description = "Offering id")), responses((status = 200, body = OfferingResponse), ReadProblems))]
#[get("/offerings/{id}")]
pub async fn get_offering(
    state: web::Data<AppState>,
    caller: Authenticated,
    id: web::Path<i64>,
) -> Result<web::Json<OfferingResponse>, ApiError> {
    let db = &state.db;
    let (scope, id) = (caller.0.offering_scope(), OfferingId(id.into_inner()));
    let found = db.read(move |model| model.offering(scope, id)).await?;
    Ok(web::Json(found.into()))
}

/// Register a direct offering to an account (provider admins).
#[utoipa::path(tag = "directory", params(crate::http::idempotency::IdempotencyKey), request_body = CreateOfferingRequest, responses((status = 201, body = OfferingResponse), WriteProblems))]
#[post("/offerings")]
pub async fn create_offering(
    state: web::Data<AppState>,
    caller: Authenticated,
    req: HttpRequest,
    body: JsonBody<CreateOfferingRequest>,
) -> Result<HttpResponse, ApiError> {
    let db = &state.db;
    caller.require_writer()?;
    let JsonBody(body, raw) = body;
    let new = NewDirectOffering {
        name: body.name.as_deref().map(OfferingName::parse).transpose()?,
        service_id: ServiceId(body.service_id),
        account_id: AccountId(body.account_id),
        sla_target: body
            .sla_target
            .map(SlaTarget::parse)
            .transpose()?
            .unwrap_or(SlaTarget::DEFAULT),
    };
    let writer = caller.0.clone();
    create_once(db, &caller.0, &req, &raw, move |conn| {
        let response = OfferingResponse::from(offerings::create_direct(conn, &new)?);
        crate::services::audit::created(conn, &writer, "offering", response.id, &response)?;
        Ok((format!("/api/v1/offerings/{}", response.id), response))
    })
    .await
}

/// Rename an offering or change its SLA target (provider admins).
#[utoipa::path(tag = "directory", params(("id" = i64, Path, description = "Offering id")), request_body = UpdateOfferingRequest, responses((status = 200, body = OfferingResponse), WriteProblems))]
#[patch("/offerings/{id}")]
pub async fn update_offering(
    state: web::Data<AppState>,
    caller: Authenticated,
    id: web::Path<i64>,
    body: JsonBody<UpdateOfferingRequest>,
) -> Result<web::Json<OfferingResponse>, ApiError> {
    let db = &state.db;
    let (scope, id) = (caller.0.offering_scope(), OfferingId(id.into_inner()));
    caller
        .require_writer_of(db, move |conn| offerings::find(conn, scope, id))
        .await?;
    let changes = OfferingChanges {
        name: body
            .0
            .name
            .as_deref()
            .map(OfferingName::parse)
            .transpose()?,
        sla_target: body.0.sla_target.map(SlaTarget::parse).transpose()?,
    };
    let updated = crate::services::audit::audited(
        db,
        &caller.0,
        "offering",
        id.0,
        move |conn| {
            offerings::find(conn, domain::OfferingScope::All, id).map(OfferingResponse::from)
        },
        move |conn| Ok(Some(offerings::update(conn, id, &changes)?.into())),
    )
    .await?;
    updated.map(web::Json).ok_or_else(ApiError::not_found)
}

/// Delete a direct offering (provider admins); partner_tenants offerings are kept by slr.
#[utoipa::path(tag = "directory", params(("id" = i64, Path, description = "Offering id")), responses((status = 204, description = "Deleted"), WriteProblems))]
#[delete("/offerings/{id}")]
pub async fn delete_offering(
    state: web::Data<AppState>,
    caller: Authenticated,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let db = &state.db;
    let (scope, id) = (caller.0.offering_scope(), OfferingId(id.into_inner()));
    caller
        .require_writer_of(db, move |conn| offerings::find(conn, scope, id))
        .await?;
    crate::services::audit::audited(
        db,
        &caller.0,
        "offering",
        id.0,
        move |conn| {
            offerings::find(conn, domain::OfferingScope::All, id).map(OfferingResponse::from)
        },
        move |conn| offerings::delete_direct(conn, id).map(|()| None),
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
