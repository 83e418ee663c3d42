//! The catalogue: services and SaaS classifications. Every caller reads; provider admins write.

use actix_web::{delete, get, patch, post, web, HttpRequest, HttpResponse};
use domain::catalogue::classification_label;
use domain::{
    Classification, ClassificationCode, ClassificationId, Region, Service, ServiceId, ServiceName,
    Tier,
};
use persistence::repo::catalogue::{self, NewClassification};
use persistence::Record;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;

use crate::http::auth::Authenticated;
use crate::http::error::{ApiError, ReadProblems, WriteProblems};
use crate::http::extract::{JsonBody, QueryParams};
use crate::http::idempotency::create_once;
use crate::http::pagination::{Page, PageParams};
use crate::http::state::AppState;
use crate::services::directory;

/// A product line in the catalogue.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ServiceResponse {
    pub id: i64,
    /// E.g. "Service Management Automation".
    pub name: String,
    #[serde(with = "crate::http::wire::instant")]
    pub created_at: OffsetDateTime,
    #[serde(with = "crate::http::wire::instant")]
    pub updated_at: OffsetDateTime,
}

impl From<Record<Service>> for ServiceResponse {
    fn from(record: Record<Service>) -> Self {
        Self {
            id: record.item.id.0,
            name: record.item.name.to_string(),
            created_at: record.created_at,
            updated_at: record.updated_at,
        }
    }
}

/// A new service, or a service's new name.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceRequest {
    /// 1–200 characters, unique.
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
}

/// List the service catalogue.
#[utoipa::path(tag = "catalogue", params(PageParams), responses((status = 200, body = Page<ServiceResponse>), ReadProblems))]
#[get("/services")]
pub async fn list_services(
    state: web::Data<AppState>,
    _caller: Authenticated,
    query: QueryParams<PageParams>,
) -> Result<web::Json<Page<ServiceResponse>>, ApiError> {
    let db = &state.db;
    let page = query.0.request()?;
    let found = db.read(move |model| Ok(model.services_page(page))).await?;
    Ok(web::Json(Page::from_records(found, ServiceResponse::from)))
}

/// Get one service.
#[utoipa::path(tag = "catalogue", params(("id" = i64, Path, description = "Service id")), responses((status = 200, body = ServiceResponse), ReadProblems))]
#[get("/services/{id}")]
pub async fn get_service(
    state: web::Data<AppState>,
    _caller: Authenticated,
    id: web::Path<i64>,
) -> Result<web::Json<ServiceResponse>, ApiError> {
    let db = &state.db;
    let id = ServiceId(id.into_inner());
    let found = db.read(move |model| model.service(id)).await?;
    Ok(web::Json(found.into()))
}

/// Add a service to the catalogue (provider admins).
#[utoipa::path(tag = "catalogue", params(crate::http::idempotency::IdempotencyKey), request_body = ServiceRequest, responses((status = 201, body = ServiceResponse), WriteProblems))]
#[post("/services")]
pub async fn create_service(
    state: web::Data<AppState>,
    caller: Authenticated,
    req: HttpRequest,
    body: JsonBody<ServiceRequest>,
) -> Result<HttpResponse, ApiError> {
    let db = &state.db;
    caller.require_writer()?;
    let JsonBody(body, raw) = body;
    let name = ServiceName::parse(&body.name)?;
    let writer = caller.0.clone();
    create_once(db, &caller.0, &req, &raw, move |conn| {
        let response = ServiceResponse::from(catalogue::create_service(conn, &name)?);
        crate::services::audit::created(conn, &writer, "service", response.id, &response)?;
        Ok((format!("/api/v1/services/{}", response.id), response))
    })
    .await
}

/// Rename a service; its partner_tenants offerings are renamed with it (provider admins).
#[utoipa::path(tag = "catalogue", params(("id" = i64, Path, description = "Service id")), request_body = ServiceRequest, responses((status = 200, body = ServiceResponse), WriteProblems))]
#[patch("/services/{id}")]
pub async fn update_service(
    state: web::Data<AppState>,
    caller: Authenticated,
    id: web::Path<i64>,
    body: JsonBody<ServiceRequest>,
) -> Result<web::Json<ServiceResponse>, ApiError> {
    let db = &state.db;
    caller.require_writer()?;
    let id = ServiceId(id.into_inner());
    let name = ServiceName::parse(&body.0.name)?;
    let updated = crate::services::audit::audited(
        db,
        &caller.0,
        "service",
        id.0,
        move |conn| catalogue::find_service(conn, id).map(ServiceResponse::from),
        move |conn| Ok(Some(directory::rename_service(conn, id, &name)?.into())),
    )
    .await?;
    updated.map(web::Json).ok_or_else(ApiError::not_found)
}

/// Remove a service that no tenant or offering uses (provider admins).
#[utoipa::path(tag = "catalogue", params(("id" = i64, Path, description = "Service id")), responses((status = 204, description = "Deleted"), WriteProblems))]
#[delete("/services/{id}")]
pub async fn delete_service(
    state: web::Data<AppState>,
    caller: Authenticated,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let db = &state.db;
    caller.require_writer()?;
    let id = ServiceId(id.into_inner());
    crate::services::audit::audited(
        db,
        &caller.0,
        "service",
        id.0,
        move |conn| catalogue::find_service(conn, id).map(ServiceResponse::from),
        move |conn| catalogue::delete_service(conn, id).map(|()| None),
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A SaaS hosting classification, e.g. `saas2-eu` "SaaS 2 EU-hosted".
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ClassificationResponse {
    pub id: i64,
    /// E.g. `saas2-eu`.
    pub code: String,
    /// The SaaS tier, e.g. 2.
    pub tier: i32,
    /// The hosting region, e.g. `EU`.
    pub region: String,
    /// E.g. "SaaS 2 EU-hosted".
    pub label: String,
    #[serde(with = "crate::http::wire::instant")]
    pub created_at: OffsetDateTime,
    #[serde(with = "crate::http::wire::instant")]
    pub updated_at: OffsetDateTime,
}

impl From<Record<Classification>> for ClassificationResponse {
    fn from(record: Record<Classification>) -> Self {
        let c = record.item;
        Self {
            id: c.id.0,
            code: c.code.as_str().to_owned(),
            tier: c.tier.get(),
            region: c.region.as_str().to_owned(),
            label: c.label,
            created_at: record.created_at,
            updated_at: record.updated_at,
        }
    }
}

/// A new classification.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateClassificationRequest {
    /// 1–32 lower-case letters, digits, dashes; unique. E.g. `saas2-eu`.
    #[schema(pattern = r"^\s*[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?\s*$")]
    pub code: String,
    /// 1–99.
    #[schema(minimum = 1, maximum = 99)]
    pub tier: i64,
    /// 2–8 letters, e.g. `EU`.
    #[schema(pattern = r"^\s*[A-Za-z]{2,8}\s*$")]
    pub region: String,
    /// Defaults to "SaaS {tier} {region}-hosted".
    #[schema(min_length = 1, max_length = 200)]
    pub label: Option<String>,
}

/// Changes to a classification; absent fields stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateClassificationRequest {
    #[schema(pattern = r"^\s*[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?\s*$")]
    pub code: Option<String>,
    #[schema(minimum = 1, maximum = 99)]
    pub tier: Option<i64>,
    #[schema(pattern = r"^\s*[A-Za-z]{2,8}\s*$")]
    pub region: Option<String>,
    #[schema(min_length = 1, max_length = 200)]
    pub label: Option<String>,
}

/// List the SaaS classifications.
#[utoipa::path(tag = "catalogue", params(PageParams), responses((status = 200, body = Page<ClassificationResponse>), ReadProblems))]
#[get("/classifications")]
pub async fn list_classifications(
    state: web::Data<AppState>,
    _caller: Authenticated,
    query: QueryParams<PageParams>,
) -> Result<web::Json<Page<ClassificationResponse>>, ApiError> {
    let db = &state.db;
    let page = query.0.request()?;
    let found = db
        .read(move |model| Ok(model.classifications_page(page)))
        .await?;
    Ok(web::Json(Page::from_records(
        found,
        ClassificationResponse::from,
    )))
}

/// Get one classification.
#[utoipa::path(tag = "catalogue", params(("id" = i64, Path, description = "Classification id")), responses((status = 200, body = ClassificationResponse), ReadProblems))]
#[get("/classifications/{id}")]
pub async fn get_classification(
    state: web::Data<AppState>,
    _caller: Authenticated,
    id: web::Path<i64>,
) -> Result<web::Json<ClassificationResponse>, ApiError> {
    let db = &state.db;
    let id = ClassificationId(id.into_inner());
    let found = db.read(move |model| model.classification(id)).await?;
    Ok(web::Json(found.into()))
}

/// Add a classification (provider admins).
#[utoipa::path(tag = "catalogue", params(crate::http::idempotency::IdempotencyKey), request_body = CreateClassificationRequest, responses((status = 201, body = ClassificationResponse), WriteProblems))]
#[post("/classifications")]
pub async fn create_classification(
    state: web::Data<AppState>,
    caller: Authenticated,
    req: HttpRequest,
    body: JsonBody<CreateClassificationRequest>,
) -> Result<HttpResponse, ApiError> {
    let db = &state.db;
    caller.require_writer()?;
    let JsonBody(body, raw) = body;
    let tier = Tier::parse(body.tier)?;
    let region = Region::parse(&body.region)?;
    let new = NewClassification {
        code: ClassificationCode::parse(&body.code)?,
        label: classification_label(body.label.as_deref(), tier, &region)?,
        tier,
        region,
    };
    let writer = caller.0.clone();
    create_once(db, &caller.0, &req, &raw, move |conn| {
        let response = ClassificationResponse::from(catalogue::create_classification(conn, &new)?);
        crate::services::audit::created(conn, &writer, "classification", response.id, &response)?;
        Ok((format!("/api/v1/classifications/{}", response.id), response))
    })
    .await
}

/// Change a classification (provider admins).
#[utoipa::path(tag = "catalogue", params(("id" = i64, Path, description = "Classification id")), request_body = UpdateClassificationRequest, responses((status = 200, body = ClassificationResponse), WriteProblems))]
#[patch("/classifications/{id}")]
pub async fn update_classification(
    state: web::Data<AppState>,
    caller: Authenticated,
    id: web::Path<i64>,
    body: JsonBody<UpdateClassificationRequest>,
) -> Result<web::Json<ClassificationResponse>, ApiError> {
    let db = &state.db;
    caller.require_writer()?;
    let id = ClassificationId(id.into_inner());
    let body = body.0;
    let updated = crate::services::audit::audited(
        db,
        &caller.0,
        "classification",
        id.0,
        move |conn| catalogue::find_classification(conn, id).map(ClassificationResponse::from),
        move |conn| {
            let current = catalogue::find_classification(conn, id)?.item;
            let tier = body
                .tier
                .map(Tier::parse)
                .transpose()?
                .unwrap_or(current.tier);
            let region = body
                .region
                .as_deref()
                .map(Region::parse)
                .transpose()?
                .unwrap_or(current.region);
            let label = match body.label.as_deref() {
                Some(label) => classification_label(Some(label), tier, &region)?,
                None => current.label,
            };
            let code = body
                .code
                .as_deref()
                .map(ClassificationCode::parse)
                .transpose()?
                .unwrap_or(current.code);
            catalogue::update_classification(
                conn,
                id,
                &NewClassification {
                    code,
                    tier,
                    region,
                    label,
                },
            )
            .map(|stored| Some(stored.into()))
        },
    )
    .await?;
    updated.map(web::Json).ok_or_else(ApiError::not_found)
}

/// Remove a classification no tenant uses (provider admins).
#[utoipa::path(tag = "catalogue", params(("id" = i64, Path, description = "Classification id")), responses((status = 204, description = "Deleted"), WriteProblems))]
#[delete("/classifications/{id}")]
pub async fn delete_classification(
    state: web::Data<AppState>,
    caller: Authenticated,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let db = &state.db;
    caller.require_writer()?;
    let id = ClassificationId(id.into_inner());
    crate::services::audit::audited(
        db,
        &caller.0,
        "classification",
        id.0,
        move |conn| catalogue::find_classification(conn, id).map(ClassificationResponse::from),
        move |conn| catalogue::delete_classification(conn, id).map(|()| None),
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
