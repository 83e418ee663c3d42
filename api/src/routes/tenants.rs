//! Tenants, scoped by the caller; provider admins write.

use actix_web::{delete, get, patch, post, web, HttpRequest, HttpResponse};
use domain::{AccountId, ClassificationId, ServiceId, Tenant, TenantId, TenantName};
use persistence::repo::tenants::{self, NewTenant, TenantChanges, TenantFilter};
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
use crate::services::directory;

/// One running instance of a service, owned by a customer or partner account.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TenantResponse {
    pub id: i64,
    pub name: String,
    /// The owning account.
    pub account_id: i64,
    pub service_id: i64,
    pub classification_id: i64,
    #[serde(with = "crate::http::wire::instant")]
    pub created_at: OffsetDateTime,
    #[serde(with = "crate::http::wire::instant")]
    pub updated_at: OffsetDateTime,
}

impl From<Record<Tenant>> for TenantResponse {
    fn from(record: Record<Tenant>) -> Self {
        let t = record.item;
        Self {
            id: t.id.0,
            name: t.name.to_string(),
            account_id: t.account_id.0,
            service_id: t.service_id.0,
            classification_id: t.classification_id.0,
            created_at: record.created_at,
            updated_at: record.updated_at,
        }
    }
}

/// A new tenant. Under a customer with a managing partner, the partner's partner_tenants
/// offering for the service is created in the same transaction if missing.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTenantRequest {
    /// 1–200 characters, unique per service.
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    pub account_id: i64,
    pub service_id: i64,
    pub classification_id: i64,
}

/// Changes to a tenant; absent fields stay. The service never changes.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateTenantRequest {
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
    /// Move the tenant to another owner.
    pub account_id: Option<i64>,
    pub classification_id: Option<i64>,
}

/// Filters for the tenant list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TenantListParams {
    pub account_id: Option<i64>,
    pub service_id: Option<i64>,
    pub classification_id: Option<i64>,
}

/// List the tenants the caller may see.
#[utoipa::path(tag = "directory", params(TenantListParams, PageParams), responses((status = 200, body = Page<TenantResponse>), ReadProblems))]
#[get("/tenants")]
pub async fn list_tenants(
    state: web::Data<AppState>,
    caller: Authenticated,
    filter: QueryParams<TenantListParams>,
    page: QueryParams<PageParams>,
) -> Result<web::Json<Page<TenantResponse>>, ApiError> {
    let db = &state.db;
    let page = page.0.request()?;
    let filter = TenantFilter {
        account_id: filter.0.account_id.map(AccountId),
        service_id: filter.0.service_id.map(ServiceId),
        classification_id: filter.0.classification_id.map(ClassificationId),
    };
    let scope = caller.0.tenant_scope();
    let found = db
        .read(move |model| Ok(model.tenants_page(scope, &filter, page)))
        .await?;
    Ok(web::Json(Page::from_records(found, TenantResponse::from)))
}

/// Get one tenant in the caller's scope.
#[utoipa::path(tag = "directory", params(("id" = i64, Path, description = "Tenant id")), responses((status = 200, body = TenantResponse), ReadProblems))]
#[get("/tenants/{id}")]
pub async fn get_tenant(
    state: web::Data<AppState>,
    caller: Authenticated,
    id: web::Path<i64>,
) -> Result<web::Json<TenantResponse>, ApiError> {
    let db = &state.db;
    let (scope, id) = (caller.0.tenant_scope(), TenantId(id.into_inner()));
    let found = db.read(move |model| model.tenant(scope, id)).await?;
    Ok(web::Json(found.into()))
}

/// Create a tenant (provider admins).
#[utoipa::path(tag = "directory", params(crate::http::idempotency::IdempotencyKey), request_body = CreateTenantRequest, responses((status = 201, body = TenantResponse), WriteProblems))]
#[post("/tenants")]
pub async fn create_tenant(
    state: web::Data<AppState>,
    caller: Authenticated,
    req: HttpRequest,
    body: JsonBody<CreateTenantRequest>,
) -> Result<HttpResponse, ApiError> {
    let db = &state.db;
    caller.require_writer()?;
    let JsonBody(body, raw) = body;
    let new = NewTenant {
        name: TenantName::parse(&body.name)?,
        account_id: AccountId(body.account_id),
        service_id: ServiceId(body.service_id),
        classification_id: ClassificationId(body.classification_id),
    };
    let writer = caller.0.clone();
    create_once(db, &caller.0, &req, &raw, move |conn| {
        let response = TenantResponse::from(directory::create_tenant(conn, &new)?);
        crate::services::audit::created(conn, &writer, "tenant", response.id, &response)?;
        Ok((format!("/api/v1/tenants/{}", response.id), response))
    })
    .await
}

/// Rename, reclassify or move a tenant (provider admins).
#[utoipa::path(tag = "directory", params(("id" = i64, Path, description = "Tenant id")), request_body = UpdateTenantRequest, responses((status = 200, body = TenantResponse), WriteProblems))]
#[patch("/tenants/{id}")]
pub async fn update_tenant(
    state: web::Data<AppState>,
    caller: Authenticated,
    id: web::Path<i64>,
    body: JsonBody<UpdateTenantRequest>,
) -> Result<web::Json<TenantResponse>, ApiError> {
    let db = &state.db;
    let (scope, id) = (caller.0.tenant_scope(), TenantId(id.into_inner()));
    caller
        .require_writer_of(db, move |conn| tenants::find(conn, scope, id))
        .await?;
    let changes = TenantChanges {
        name: body.0.name.as_deref().map(TenantName::parse).transpose()?,
        account_id: body.0.account_id.map(AccountId),
        classification_id: body.0.classification_id.map(ClassificationId),
    };
    let updated = crate::services::audit::audited(
        db,
        &caller.0,
        "tenant",
        id.0,
        move |conn| tenants::find(conn, domain::TenantScope::All, id).map(TenantResponse::from),
        move |conn| Ok(Some(directory::update_tenant(conn, id, &changes)?.into())),
    )
    .await?;
    updated.map(web::Json).ok_or_else(ApiError::not_found)
}

/// Delete a tenant (provider admins).
#[utoipa::path(tag = "directory", params(("id" = i64, Path, description = "Tenant id")), responses((status = 204, description = "Deleted"), WriteProblems))]
#[delete("/tenants/{id}")]
pub async fn delete_tenant(
    state: web::Data<AppState>,
    caller: Authenticated,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let db = &state.db;
    let (scope, id) = (caller.0.tenant_scope(), TenantId(id.into_inner()));
    caller
        .require_writer_of(db, move |conn| tenants::find(conn, scope, id))
        .await?;
    crate::services::audit::audited(
        db,
        &caller.0,
        "tenant",
        id.0,
        move |conn| tenants::find(conn, domain::TenantScope::All, id).map(TenantResponse::from),
        move |conn| tenants::delete(conn, id).map(|()| None),
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
