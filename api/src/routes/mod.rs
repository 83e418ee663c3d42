//! HTTP handlers, one module per area, and the `/api/v1` route table.

pub mod accounts;
pub mod audit;
pub mod availability;
pub mod catalogue;
pub mod changes;
pub mod email;
pub mod feed_tokens;
pub mod feeds;
pub mod health;
pub mod incidents;
pub mod maintenances;
pub mod me;
pub mod offerings;
pub mod statements;
pub mod status;
pub mod status_page;
pub mod tenants;
pub mod webhooks;

use utoipa::OpenApi;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::http::openapi::BearerSecurity;
use crate::http::report::Report;

/// The document's metadata, security and shared schemas; paths and the rest come from the
/// handlers registered below.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "slr — Service Level Reporting API",
        description = "What is wrong, what is planned, and how available it was — for exactly the tenants the caller is responsible for.\n\nAuthenticate with `Authorization: Bearer <token>`; the token names a contact, and every answer is scoped by that contact's account. Objects outside the caller's scope answer 404. Errors are `application/problem+json` with a stable `code`.\n\nOne rule scopes events: a caller sees an incident or maintenance window when it affects at least one tenant the caller may see; it is shown with the caller-visible tenants it affects (`impacted_tenants`; lists carry `impacted_tenant_count` and embed the tenants only with `include=impacted_tenants`) and the caller-visible offerings covering them (`offerings`, possibly empty). Event text never names a tenant or a partner or customer account (422 `name_in_text`).",
        license(name = "Apache-2.0", identifier = "Apache-2.0")
    ),
    modifiers(&BearerSecurity),
    security(("bearer" = [])),
    tags(
        (name = "status", description = "Incidents, maintenance and the status overview: each caller sees the events that affect one of its tenants, with its own impacted tenants"),
        (name = "availability", description = "Availability rollups per offering, per tenant and across the caller's offerings, as JSON or CSV"),
        (name = "directory", description = "Who am I, accounts, contacts, tenants and offerings, scoped by the caller"),
        (name = "catalogue", description = "Services and SaaS classifications"),
        (name = "integrations", description = "What an account's admins set up for its own integrations: signed webhooks (Standard Webhooks) and read-only feed tokens; the account's other contacts read them"),
        (name = "feeds", description = "The maintenance calendar (iCalendar), the incident feed (Atom) and offering badges (SVG): the caller's JSON lists rendered for calendars, feed readers and status pages, opened with a bearer token or a feed token as `?token=`"),
        (name = "statements", description = "Closed periods: signed monthly statements per tenant, offering and account, with service credits from the offerings' credit policies; the keys that verify them at `/.well-known/jwks.json`"),
        (name = "operations", description = "Liveness and readiness"),
    ),
    components(schemas(
        crate::http::error::Problem,
        crate::http::error::FieldError,
        status_page::EventPageKind,
        crate::views::events::Include,
        crate::views::events::Sort,
        crate::views::feeds::BadgeKind
    ))
)]
pub struct ApiDoc;

/// Registers every `/api/v1` operation (through utoipa-actix-web, so the spec follows).
pub fn api_v1(cfg: &mut ServiceConfig) {
    cfg.service(me::get_me)
        .service(audit::list_audit)
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
        .service(incidents::get_incident_report)
        .service(incidents::put_incident_report)
        .service(incidents::mark_incident_tenants)
        .service(maintenances::list_maintenances)
        .service(maintenances::create_maintenance)
        .service(maintenances::get_maintenance)
        .service(maintenances::update_maintenance)
        .service(maintenances::list_maintenance_impacted_tenants)
        .service(incidents::list_incident_impacted_tenants)
        .service(status::get_status)
        .service(changes::list_changes)
        .service(feeds::get_maintenance_calendar)
        .service(feeds::get_incident_feed)
        .service(feeds::get_offering_badge)
        .service(feed_tokens::list_feed_tokens)
        .service(feed_tokens::create_feed_token)
        .service(feed_tokens::get_feed_token)
        .service(feed_tokens::delete_feed_token)
        .service(email::list_email_subscriptions)
        .service(email::create_email_subscription)
        .service(email::get_email_subscription)
        .service(email::update_email_subscription)
        .service(email::delete_email_subscription)
        .service(webhooks::list_webhooks)
        .service(webhooks::create_webhook)
        .service(webhooks::get_webhook)
        .service(webhooks::update_webhook)
        .service(webhooks::delete_webhook)
        .service(webhooks::rotate_webhook_secret)
        .service(webhooks::test_webhook)
        .service(webhooks::list_webhook_deliveries)
        .service(webhooks::get_webhook_delivery)
        .service(webhooks::redeliver_webhook_delivery)
        .service(statements::get_credit_policy)
        .service(statements::put_credit_policy)
        .service(statements::delete_credit_policy)
        .service(statements::close_sla_period)
        .service(statements::get_statement)
        .service(Report::new(
            statements::__path_list_statements,
            statements::list_statements,
        ))
        .service(Report::new(
            availability::__path_get_availability,
            availability::get_availability,
        ))
        .service(Report::new(
            availability::__path_get_offering_availability,
            availability::get_offering_availability,
        ))
        .service(Report::new(
            availability::__path_list_offering_tenant_availability,
            availability::list_offering_tenant_availability,
        ))
        .service(Report::new(
            availability::__path_get_tenant_availability,
            availability::get_tenant_availability,
        ))
        .service(Report::new(
            availability::__path_list_tenant_availability_intervals,
            availability::list_tenant_availability_intervals,
        ));
}
