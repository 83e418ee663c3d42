//! The catalogue: services and SaaS classifications, visible to every caller.

use diesel::prelude::*;
use domain::{
    Classification, ClassificationCode, ClassificationId, DomainError, Region, Service, ServiceId,
    ServiceName, Tier,
};

use super::{now, record, touched, Page, PageRequest, Record};
use crate::connection::DbConnection;
use crate::schema::{classifications, services};
use crate::RepoResult;

#[derive(Queryable, Selectable)]
#[diesel(table_name = services)]
struct ServiceRow {
    id: i64,
    name: String,
    created_at: time::PrimitiveDateTime,
    updated_at: time::PrimitiveDateTime,
}

impl ServiceRow {
    fn into_record(self) -> RepoResult<Record<Service>> {
        let item = ServiceName::parse(&self.name).map(|name| Service {
            id: ServiceId(self.id),
            name,
        });
        record(item, self.created_at, self.updated_at)
    }
}

pub fn list_services(
    conn: &mut DbConnection,
    page: PageRequest,
) -> RepoResult<Page<Record<Service>>> {
    let rows = services::table
        .filter(services::id.gt(page.after.unwrap_or(i64::MIN)))
        .order(services::id.asc())
        .limit(page.limit + 1)
        .select(ServiceRow::as_select())
        .load(conn)?;
    Page::from_rows(rows, page, |row| row.id).try_map(ServiceRow::into_record)
}

pub fn find_service(conn: &mut DbConnection, id: ServiceId) -> RepoResult<Record<Service>> {
    services::table
        .find(id.0)
        .select(ServiceRow::as_select())
        .first(conn)?
        .into_record()
}

pub fn create_service(conn: &mut DbConnection, name: &ServiceName) -> RepoResult<Record<Service>> {
    let now = now();
    let id: i64 = diesel::insert_into(services::table)
        .values((
            services::name.eq(name.as_str()),
            services::created_at.eq(now),
            services::updated_at.eq(now),
        ))
        .returning(services::id)
        .get_result(conn)?;
    find_service(conn, ServiceId(id))
}

/// Renames a service (its partner_tenants offerings follow in the caller's transaction).
pub fn rename_service(
    conn: &mut DbConnection,
    id: ServiceId,
    name: &ServiceName,
) -> RepoResult<Record<Service>> {
    super::transaction(conn, |conn| {
        touched(
            diesel::update(services::table.find(id.0))
                .set((
                    services::name.eq(name.as_str()),
                    services::updated_at.eq(now()),
                ))
                .execute(conn)?,
        )?;
        find_service(conn, id)
    })
}

pub fn delete_service(conn: &mut DbConnection, id: ServiceId) -> RepoResult<()> {
    touched(diesel::delete(services::table.find(id.0)).execute(conn)?)
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = classifications)]
struct ClassificationRow {
    id: i64,
    code: String,
    tier: i32,
    region: String,
    label: String,
    created_at: time::PrimitiveDateTime,
    updated_at: time::PrimitiveDateTime,
}

impl ClassificationRow {
    fn into_record(self) -> RepoResult<Record<Classification>> {
        let item = (|| {
            Ok::<_, DomainError>(Classification {
                id: ClassificationId(self.id),
                code: ClassificationCode::parse(&self.code)?,
                tier: Tier::parse(i64::from(self.tier))?,
                region: Region::parse(&self.region)?,
                label: self.label.clone(),
            })
        })();
        record(item, self.created_at, self.updated_at)
    }
}

/// A classification to store; the label is already rendered or validated.
#[derive(Debug, Clone)]
pub struct NewClassification {
    pub code: ClassificationCode,
    pub tier: Tier,
    pub region: Region,
    pub label: String,
}

pub fn list_classifications(
    conn: &mut DbConnection,
    page: PageRequest,
) -> RepoResult<Page<Record<Classification>>> {
    let rows = classifications::table
        .filter(classifications::id.gt(page.after.unwrap_or(i64::MIN)))
        .order(classifications::id.asc())
        .limit(page.limit + 1)
        .select(ClassificationRow::as_select())
        .load(conn)?;
    Page::from_rows(rows, page, |row| row.id).try_map(ClassificationRow::into_record)
}

/// Every classification (a small table), for rendering labels.
pub fn all_classifications(conn: &mut DbConnection) -> RepoResult<Vec<Classification>> {
    let rows = classifications::table
        .order(classifications::id.asc())
        .select(ClassificationRow::as_select())
        .load(conn)?;
    rows.into_iter()
        .map(|row| row.into_record().map(|r| r.item))
        .collect()
}

pub fn find_classification(
    conn: &mut DbConnection,
    id: ClassificationId,
) -> RepoResult<Record<Classification>> {
    classifications::table
        .find(id.0)
        .select(ClassificationRow::as_select())
        .first(conn)?
        .into_record()
}

pub fn create_classification(
    conn: &mut DbConnection,
    new: &NewClassification,
) -> RepoResult<Record<Classification>> {
    let now = now();
    let id: i64 = diesel::insert_into(classifications::table)
        .values((
            classifications::code.eq(new.code.as_str()),
            classifications::tier.eq(new.tier.get()),
            classifications::region.eq(new.region.as_str()),
            classifications::label.eq(&new.label),
            classifications::created_at.eq(now),
            classifications::updated_at.eq(now),
        ))
        .returning(classifications::id)
        .get_result(conn)?;
    find_classification(conn, ClassificationId(id))
}

/// Replaces a classification's fields (the caller merged the changes onto the current value).
pub fn update_classification(
    conn: &mut DbConnection,
    id: ClassificationId,
    new: &NewClassification,
) -> RepoResult<Record<Classification>> {
    touched(
        diesel::update(classifications::table.find(id.0))
            .set((
                classifications::code.eq(new.code.as_str()),
                classifications::tier.eq(new.tier.get()),
                classifications::region.eq(new.region.as_str()),
                classifications::label.eq(&new.label),
                classifications::updated_at.eq(now()),
            ))
            .execute(conn)?,
    )?;
    find_classification(conn, id)
}

pub fn delete_classification(conn: &mut DbConnection, id: ClassificationId) -> RepoResult<()> {
    touched(diesel::delete(classifications::table.find(id.0)).execute(conn)?)
}
