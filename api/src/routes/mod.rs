//! HTTP handlers, one module per area, and the `/api/v1` route table.

pub mod accounts;
pub mod audit;
pub mod availability;
pub mod catalogue;
pub mod feed_tokens;
pub mod feeds;
pub mod health;
pub mod incidents;
pub mod maintenances;
pub mod me;
pub mod offerings;
pub mod status;
pub mod status_page;
pub mod tenants;
pub mod webhooks;

use utoipa_actix_web::service_config::ServiceConfig;

/// Registers every `/api/v1` operation (through utoipa-actix-web, so the spec follows).
pub fn api_v1(cfg: &mut ServiceConfig) {
    cfg.service(me::get_me)
        .service(crate::routes::audit::list_audit)
        .service(catalogue::list_services)
        .service(catalogue::get_service)
        .service(catalogue::create_service)
        .service(catalogue::update_service)
        .service(catalogue::delete_service)
        .service(catalogue::list_classifications)
        .service(catalogue::get_classification)
        .service(catalogue::create_classification)
        .service(catalogue::update_classification)
        .service(catalogue::delete_classification)
        .service(accounts::list_accounts)
        .service(accounts::get_account)
        .service(accounts::create_account)
        .service(accounts::update_account)
        .service(accounts::delete_account)
        .service(accounts::list_account_contacts)
        .service(accounts::create_contact)
        .service(accounts::get_contact)
        .service(accounts::update_contact)
        .service(accounts::delete_contact)
        .service(tenants::list_tenants)
        .service(tenants::get_tenant)
        .service(tenants::create_tenant)
        .service(tenants::update_tenant)
        .service(tenants::delete_tenant)
        .service(offerings::list_offerings)
        .service(offerings::get_offering)
        .service(offerings::create_offering)
        .service(offerings::update_offering)
        .service(offerings::delete_offering)
        .service(incidents::list_incidents)
        .service(incidents::create_incident)
        .service(incidents::get_incident)
        .service(incidents::update_incident)
        .service(incidents::list_incident_updates)
        .service(incidents::create_incident_update)
        .service(maintenances::list_maintenances)
        .service(maintenances::create_maintenance)
        .service(maintenances::get_maintenance)
        .service(maintenances::update_maintenance)
        .service(maintenances::list_maintenance_impacted_tenants)
        .service(incidents::list_incident_impacted_tenants)
        .service(status::get_status)
        .service(availability::get_availability)
        .service(availability::get_availability_csv)
        .service(availability::get_offering_availability)
        .service(availability::get_offering_availability_csv)
        .service(availability::list_offering_tenant_availability)
        .service(availability::list_offering_tenant_availability_csv)
        .service(availability::get_tenant_availability)
        .service(availability::get_tenant_availability_csv)
        .service(availability::list_tenant_availability_intervals)
        .service(availability::list_tenant_availability_intervals_csv)
        .service(crate::routes::feeds::get_maintenance_calendar)
        .service(crate::routes::feeds::get_incident_feed)
        .service(crate::routes::feeds::get_offering_badge)
        .service(crate::routes::feed_tokens::list_feed_tokens)
        .service(crate::routes::feed_tokens::create_feed_token)
        .service(crate::routes::feed_tokens::get_feed_token)
        .service(crate::routes::feed_tokens::delete_feed_token)
        .service(crate::routes::webhooks::list_webhooks)
        .service(crate::routes::webhooks::create_webhook)
        .service(crate::routes::webhooks::get_webhook)
        .service(crate::routes::webhooks::update_webhook)
        .service(crate::routes::webhooks::delete_webhook)
        .service(crate::routes::webhooks::rotate_webhook_secret)
        .service(crate::routes::webhooks::test_webhook)
        .service(crate::routes::webhooks::list_webhook_deliveries)
        .service(crate::routes::webhooks::get_webhook_delivery)
        .service(crate::routes::webhooks::redeliver_webhook_delivery);
}
