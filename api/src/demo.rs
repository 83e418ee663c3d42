//! The demo dataset and the provider-admin bootstrap, written through the repositories.

use domain::{
    AccountId, AccountKind, AccountName, ClassificationCode, ClassificationId, ContactId,
    ContactName, Email, OfferingName, Region, Role, ServiceId, ServiceName, SlaTarget, TenantName,
    Tier,
};
use persistence::repo::accounts::{self, NewAccount};
use persistence::repo::catalogue::{self, NewClassification};
use persistence::repo::contacts::{self, NewContact};
use persistence::repo::offerings::{self, NewDirectOffering};
use persistence::repo::tenants::{self, NewTenant};
use persistence::{DbConnection, RepoError, RepoResult};

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

/// Seeds one provider, two partners with customers, a direct customer, four classifications,
/// three services, tenants across them, direct offerings and the personas' contacts — in one
/// transaction.
pub fn seed(conn: &mut DbConnection) -> RepoResult<()> {
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
        Ok(())
    })
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
    tenants::create(conn, &new).map(drop)
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
