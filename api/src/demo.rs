//! The demo dataset and the provider-admin bootstrap, written through the repositories.

use domain::maintenance::Description;
use domain::{
    AccountId, AccountKind, AccountName, ClassificationCode, ClassificationId, ContactId,
    ContactName, Email, EventScope, ExpectedImpact, Impact, IncidentStatus, MaintenanceStatus,
    Message, OfferingName, Region, Role, ServiceId, ServiceName, SlaTarget, TenantName,
    TenantScope, Tier, Title,
};
use persistence::events::{NameGuard, NameIndex};
use persistence::repo::accounts::{self, NewAccount};
use persistence::repo::catalogue::{self, NewClassification};
use persistence::repo::contacts::{self, NewContact};
use persistence::repo::incidents::{self, NewIncident};
use persistence::repo::maintenances::{self, NewMaintenance};
use persistence::repo::offerings::{self, NewDirectOffering};
use persistence::repo::tenants::{self, NewTenant, TenantFilter};
use persistence::{DbConnection, PageRequest, RepoError, RepoResult};
use time::{Duration, OffsetDateTime};

/// A demo login worth a printed token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Persona {
    pub role: &'static str,
    pub email: &'static str,
}

/// The personas the demo prints tokens for, in order.
pub const PERSONAS: &[Persona] = &[
    Persona {
        role: "provider admin",
        email: "admin@acme-cloud.example",
    },
    Persona {
        role: "partner contact (Northwind)",
        email: "alice@northwind.example",
    },
    Persona {
        role: "customer contact (Globex, managed by Northwind)",
        email: "carol@globex.example",
    },
    Persona {
        role: "partner employee's contact inside a customer (Northwind at Globex)",
        email: "northwind-support@globex.example",
    },
    Persona {
        role: "direct customer contact (Stark)",
        email: "tony@stark.example",
    },
];

const PROVIDER: &str = "Acme Cloud";

/// Whether the demo dataset is already there.
pub fn is_seeded(conn: &mut DbConnection) -> RepoResult<bool> {
    let email = Email::parse(PERSONAS[0].email)?;
    match contacts::find_by_email(conn, &email) {
        Ok(_) => Ok(true),
        Err(RepoError::NotFound) => Ok(false),
        Err(other) => Err(other),
    }
}

/// Seeds the demo dataset unless it is there; true when it seeded.
pub fn seed_if_empty(conn: &mut DbConnection) -> RepoResult<bool> {
    if is_seeded(conn)? {
        return Ok(false);
    }
    seed(conn).map(|()| true)
}

/// A demo customer: name, managing partner, admin e-mail and name, and its tenants as
/// (service index, classification index, tenant name).
type CustomerSpec = (
    &'static str,
    Option<AccountId>,
    &'static str,
    &'static str,
    &'static [(usize, usize, &'static str)],
);

/// The id of the provider admin with this e-mail, if there is one (`None` also when the
/// e-mail belongs to a contact that is not a provider admin: creating it then fails clearly).
pub fn provider_admin(conn: &mut DbConnection, email: &Email) -> RepoResult<Option<ContactId>> {
    let Some(provider) = accounts::find_provider(conn)? else {
        return Ok(None);
    };
    match contacts::find_by_email(conn, email) {
        Ok(found)
            if found.item.account_id == provider.item.id && found.item.role == Role::Admin =>
        {
            Ok(Some(found.item.id))
        }
        Ok(_) | Err(persistence::RepoError::NotFound) => Ok(None),
        Err(other) => Err(other),
    }
}

/// Creates the provider account if missing and a provider admin contact.
pub fn create_provider_admin(
    conn: &mut DbConnection,
    email: &Email,
    name: &ContactName,
) -> RepoResult<ContactId> {
    persistence::repo::transaction(conn, |conn| {
        let provider = match accounts::find_provider(conn)? {
            Some(provider) => provider.item.id,
            None => account(conn, PROVIDER, AccountKind::Provider, None)?,
        };
        let new = NewContact {
            account_id: provider,
            email: email.clone(),
            name: name.clone(),
            role: Role::Admin,
        };
        Ok(contacts::create(conn, &new)?.item.id)
    })
}

fn account(
    conn: &mut DbConnection,
    name: &str,
    kind: AccountKind,
    partner: Option<AccountId>,
) -> RepoResult<AccountId> {
    let new = NewAccount {
        name: AccountName::parse(name)?,
        kind,
        managing_partner_id: partner,
    };
    Ok(accounts::create(conn, &new)?.item.id)
}

fn contact(
    conn: &mut DbConnection,
    account_id: AccountId,
    email: &str,
    name: &str,
    role: Role,
) -> RepoResult<()> {
    let new = NewContact {
        account_id,
        email: Email::parse(email)?,
        name: ContactName::parse(name)?,
        role,
    };
    contacts::create(conn, &new).map(drop)
}

/// Seeds the directory and ninety days of events, in one transaction.
pub fn seed(conn: &mut DbConnection) -> RepoResult<()> {
    persistence::repo::transaction(conn, |conn| {
        let (services, classes) = seed_directory(conn)?;
        let admin = contacts::find_by_email(conn, &Email::parse(PERSONAS[0].email)?)?
            .item
            .id;
        seed_events(conn, &services, &classes, admin)
    })
}

/// Seeds one provider, two partners with customers, a direct customer, four classifications,
/// three services, tenants across them, direct offerings and the personas' contacts; returns
/// the services and classifications in creation order.
pub fn seed_directory(
    conn: &mut DbConnection,
) -> RepoResult<(Vec<ServiceId>, Vec<ClassificationId>)> {
    persistence::repo::transaction(conn, |conn| {
        let provider = match accounts::find_provider(conn)? {
            Some(provider) => provider.item.id,
            None => account(conn, PROVIDER, AccountKind::Provider, None)?,
        };
        contact(conn, provider, PERSONAS[0].email, "Ada Admin", Role::Admin)?;
        contact(
            conn,
            provider,
            "ops@acme-cloud.example",
            "Oscar Ops",
            Role::Viewer,
        )?;

        let mut services = Vec::new();
        for name in [
            "Service Management Automation",
            "Asset Management",
            "Operations Bridge",
        ] {
            services.push(
                catalogue::create_service(conn, &ServiceName::parse(name)?)?
                    .item
                    .id,
            );
        }
        let mut classes = Vec::new();
        for (code, tier, region) in [
            ("saas2-eu", 2, "EU"),
            ("saas3-eu", 3, "EU"),
            ("saas2-us", 2, "US"),
            ("saas3-us", 3, "US"),
        ] {
            let tier = Tier::parse(tier)?;
            let region = Region::parse(region)?;
            let new = NewClassification {
                code: ClassificationCode::parse(code)?,
                label: domain::catalogue::default_classification_label(tier, &region),
                tier,
                region,
            };
            classes.push(catalogue::create_classification(conn, &new)?.item.id);
        }

        let northwind = account(conn, "Northwind Partners", AccountKind::Partner, None)?;
        let contoso = account(conn, "Contoso Consulting", AccountKind::Partner, None)?;
        contact(
            conn,
            northwind,
            PERSONAS[1].email,
            "Alice Northwind",
            Role::Admin,
        )?;
        contact(
            conn,
            contoso,
            "dave@contoso.example",
            "Dave Contoso",
            Role::Viewer,
        )?;

        let customers: [CustomerSpec; 5] = [
            (
                "Globex",
                Some(northwind),
                PERSONAS[2].email,
                "Carol Globex",
                &[
                    (0, 0, "globex-prod"),
                    (0, 1, "globex-analytics"),
                    (1, 0, "globex-assets"),
                ],
            ),
            (
                "Initech",
                Some(northwind),
                "ian@initech.example",
                "Ian Initech",
                &[(0, 2, "initech-prod"), (2, 2, "initech-monitoring")],
            ),
            (
                "Umbrella",
                Some(contoso),
                "uma@umbrella.example",
                "Uma Umbrella",
                &[(0, 1, "umbrella-prod"), (1, 3, "umbrella-assets")],
            ),
            (
                "Hooli",
                Some(contoso),
                "hank@hooli.example",
                "Hank Hooli",
                &[(0, 3, "hooli-prod"), (2, 0, "hooli-ops")],
            ),
            (
                "Stark Industries",
                None,
                PERSONAS[4].email,
                "Tony Stark",
                &[(0, 0, "stark-prod"), (1, 2, "stark-assets")],
            ),
        ];
        let mut customer_ids = Vec::new();
        for (name, partner, email, person, specs) in customers {
            let customer = account(conn, name, AccountKind::Customer, partner)?;
            customer_ids.push(customer);
            contact(conn, customer, email, person, Role::Admin)?;
            let mut subscribed: Vec<ServiceId> = Vec::new();
            for &(service, class, tenant) in specs {
                tenant_of(conn, customer, services[service], classes[class], tenant)?;
                if !subscribed.contains(&services[service]) {
                    subscribed.push(services[service]);
                    direct_offering(conn, customer, services[service])?;
                }
            }
        }
        // A Northwind employee also holds a contact inside Globex: it gets Globex's view only.
        contact(
            conn,
            customer_ids[0],
            PERSONAS[3].email,
            "Bob (Northwind) at Globex",
            Role::Viewer,
        )?;

        // Partners run tenants of their own too, under direct offerings.
        tenant_of(
            conn,
            northwind,
            services[0],
            classes[1],
            "northwind-internal",
        )?;
        direct_offering(conn, northwind, services[0])?;
        tenant_of(conn, contoso, services[2], classes[3], "contoso-internal")?;
        direct_offering(conn, contoso, services[2])?;
        Ok((services, classes))
    })
}

/// A demo maintenance window: service index, classification indexes, days from now, hours
/// long, expected impact, status.
type WindowSpec = (
    usize,
    &'static [usize],
    i64,
    i64,
    ExpectedImpact,
    MaintenanceStatus,
);

/// A tiny deterministic generator, so every demo database tells the same story.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, below: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % below.max(1)
    }
}

const INCIDENT_TITLES: &[(&str, &str)] = &[
    (
        "Slow logins",
        "Users see slow logins; we are investigating.",
    ),
    (
        "Elevated error rates",
        "Some requests fail with server errors.",
    ),
    ("Delayed notifications", "E-mail notifications are delayed."),
    ("Search unavailable", "Full-text search returns no results."),
    ("Reports time out", "Scheduled reports do not complete."),
    (
        "Integration sync delays",
        "Inbound integrations are processed late.",
    ),
];

/// Ninety days of history plus what is happening now: resolved incidents across services and
/// scopes, three active incidents, completed, running, cancelled and upcoming maintenance.
fn seed_events(
    conn: &mut DbConnection,
    services: &[ServiceId],
    classes: &[ClassificationId],
    author: ContactId,
) -> RepoResult<()> {
    let now = OffsetDateTime::now_utc()
        .replace_second(0)
        .unwrap_or(OffsetDateTime::now_utc());
    let names = NameGuard::strict(std::sync::Arc::new(NameIndex::default()));
    let mut rng = Lcg(42);
    for i in 0..36u64 {
        let service = services[(i % 3) as usize];
        let (title, message) = INCIDENT_TITLES[rng.next(INCIDENT_TITLES.len() as u64) as usize];
        let started_at = now
            - Duration::days(2 + (i * 88 / 36) as i64)
            - Duration::minutes(rng.next(600) as i64);
        let scope = match i % 3 {
            0 => EventScope::Service,
            1 => EventScope::Classifications([classes[rng.next(4) as usize]].into_iter().collect()),
            _ => EventScope::Tenants(
                tenants::list(
                    conn,
                    TenantScope::All,
                    &TenantFilter {
                        service_id: Some(service),
                        ..Default::default()
                    },
                    PageRequest::first(1),
                )?
                .items
                .into_iter()
                .map(|t| t.item.id)
                .collect(),
            ),
        };
        let impact =
            [Impact::Degraded, Impact::PartialOutage, Impact::MajorOutage][rng.next(3) as usize];
        incidents::create(
            conn,
            &names,
            &NewIncident {
                service_id: service,
                title: Title::parse(title)?,
                impact,
                impact_changes: Vec::new(),
                status: IncidentStatus::Resolved,
                scope,
                started_at,
                resolved_at: Some(started_at + Duration::minutes(20 + rng.next(340) as i64)),
                message: Message::parse(message)?,
                author,
            },
        )?;
    }
    let active = [
        (
            0,
            Impact::PartialOutage,
            IncidentStatus::Identified,
            EventScope::Classifications([classes[0]].into_iter().collect()),
            "Elevated error rates",
            40,
        ),
        (
            1,
            Impact::Degraded,
            IncidentStatus::Investigating,
            EventScope::Classifications([classes[2]].into_iter().collect()),
            "Slow asset imports",
            15,
        ),
        (
            2,
            Impact::MajorOutage,
            IncidentStatus::Monitoring,
            EventScope::Service,
            "Event ingestion stopped",
            90,
        ),
    ];
    for (service, impact, status, scope, title, minutes_ago) in active {
        incidents::create(
            conn,
            &names,
            &NewIncident {
                service_id: services[service],
                title: Title::parse(title)?,
                impact,
                impact_changes: Vec::new(),
                status,
                scope,
                started_at: now - Duration::minutes(minutes_ago),
                resolved_at: None,
                message: Message::parse(
                    "We are working on it and will post an update within 30 minutes.",
                )?,
                author,
            },
        )?;
    }
    let windows: &[WindowSpec] = &[
        (
            0,
            &[0, 1],
            -84,
            2,
            ExpectedImpact::Downtime,
            MaintenanceStatus::Completed,
        ),
        (
            1,
            &[0, 2],
            -77,
            3,
            ExpectedImpact::Degraded,
            MaintenanceStatus::Completed,
        ),
        (
            2,
            &[2, 3],
            -70,
            2,
            ExpectedImpact::Downtime,
            MaintenanceStatus::Completed,
        ),
        (
            0,
            &[2, 3],
            -63,
            4,
            ExpectedImpact::None,
            MaintenanceStatus::Completed,
        ),
        (
            1,
            &[1, 3],
            -56,
            2,
            ExpectedImpact::Downtime,
            MaintenanceStatus::Completed,
        ),
        (
            2,
            &[0],
            -49,
            1,
            ExpectedImpact::Degraded,
            MaintenanceStatus::Cancelled,
        ),
        (
            0,
            &[0, 2],
            -42,
            2,
            ExpectedImpact::Downtime,
            MaintenanceStatus::Completed,
        ),
        (
            1,
            &[0, 1, 2, 3],
            -35,
            3,
            ExpectedImpact::Degraded,
            MaintenanceStatus::Completed,
        ),
        (
            2,
            &[1],
            -28,
            2,
            ExpectedImpact::Downtime,
            MaintenanceStatus::Completed,
        ),
        (
            0,
            &[1, 3],
            -21,
            2,
            ExpectedImpact::Downtime,
            MaintenanceStatus::Completed,
        ),
        (
            1,
            &[2],
            -14,
            2,
            ExpectedImpact::None,
            MaintenanceStatus::Completed,
        ),
        (
            2,
            &[0, 2],
            -7,
            3,
            ExpectedImpact::Downtime,
            MaintenanceStatus::Completed,
        ),
        (
            0,
            &[1, 3],
            0,
            3,
            ExpectedImpact::Downtime,
            MaintenanceStatus::InProgress,
        ),
        (
            0,
            &[0, 1],
            3,
            2,
            ExpectedImpact::Downtime,
            MaintenanceStatus::Scheduled,
        ),
        (
            1,
            &[0, 2],
            5,
            4,
            ExpectedImpact::Degraded,
            MaintenanceStatus::Scheduled,
        ),
        (
            2,
            &[2, 3],
            9,
            2,
            ExpectedImpact::Downtime,
            MaintenanceStatus::Scheduled,
        ),
        (
            0,
            &[0, 1, 2, 3],
            12,
            6,
            ExpectedImpact::Degraded,
            MaintenanceStatus::Scheduled,
        ),
        (
            1,
            &[3],
            30,
            2,
            ExpectedImpact::Downtime,
            MaintenanceStatus::Scheduled,
        ),
    ];
    for &(service, class_indexes, days, hours, expected_impact, status) in windows {
        // The running window started an hour ago; the others start at 22:00 on their day.
        let start = match status {
            MaintenanceStatus::InProgress => now - Duration::hours(1),
            _ => (now + Duration::days(days)).replace_time(time::macros::time!(22:00)),
        };
        maintenances::create(conn, &names, &NewMaintenance {
            service_id: services[service],
            title: Title::parse(if expected_impact == ExpectedImpact::Downtime { "Database upgrade" } else { "Platform patching" })?,
            description: Description::parse("Planned work on the hosting platform; see the expected impact for what users will notice.")?,
            expected_impact,
            scheduled_start: start,
            scheduled_end: start + Duration::hours(hours),
            scope: EventScope::Classifications(class_indexes.iter().map(|&c| classes[c]).collect()),
            classes_field: "classification_ids",
            status,
            actual_start: None,
            actual_end: None,
            auto_transition: true,
            series_id: None,
        })?;
    }
    Ok(())
}

fn tenant_of(
    conn: &mut DbConnection,
    owner: AccountId,
    service: ServiceId,
    class: ClassificationId,
    name: &str,
) -> RepoResult<()> {
    let new = NewTenant {
        name: TenantName::parse(name)?,
        account_id: owner,
        service_id: service,
        classification_id: class,
    };
    crate::services::directory::create_tenant(conn, &new).map(drop)
}

fn direct_offering(
    conn: &mut DbConnection,
    account_id: AccountId,
    service_id: ServiceId,
) -> RepoResult<()> {
    let new = NewDirectOffering {
        name: None::<OfferingName>,
        service_id,
        account_id,
        sla_target: SlaTarget::DEFAULT,
    };
    offerings::create_direct(conn, &new).map(drop)
}
