//! The slr domain: accounts, contacts, the service catalogue, tenants, offerings and who may see
//! what. Pure types and rules: no I/O, no HTTP, no SQL.

pub mod account;
pub mod availability;
pub mod catalogue;
pub mod contact;
pub mod error;
pub mod events;
pub mod incident;
pub mod integration;
pub mod maintenance;
pub mod mentions;
pub mod offering;
pub mod statement;
pub mod tenant;
pub mod text;
pub mod visibility;

pub use account::{Account, AccountKind, AccountName};
pub use catalogue::{Classification, ClassificationCode, Region, Service, ServiceName, Tier};
pub use contact::{Contact, ContactName, Email, Role};
pub use error::DomainError;
pub use events::{CallerView, EventScope, OfferingStatus, Reach, ScopedTenant};
pub use incident::{
    Impact, Incident, IncidentReport, IncidentStatus, IncidentUpdate, Message, ReportText,
    TenantMark, TenantState, Title,
};
pub use integration::{
    EventTypes, FeedTokenName, WebhookDescription, WebhookEventType, WebhookFormat, WebhookUrl,
};
pub use maintenance::{Description, ExpectedImpact, Maintenance, MaintenanceStatus, Phase};
pub use mentions::{AllowedNames, ForbiddenNames, Mention, NamedKind};
pub use offering::{Offering, OfferingKind, OfferingName, SlaTarget};
pub use tenant::{Tenant, TenantName};
pub use visibility::{AccountScope, Caller, ContactScope, OfferingScope, TenantScope};

/// Declares an `i64` id newtype; ids are assigned by the database.
macro_rules! id_type {
    ($($(#[$meta:meta])* $name:ident),* $(,)?) => {$(
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub i64);

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    )*};
}

id_type!(
    /// Identifies an [`Account`].
    AccountId,
    /// Identifies a [`Contact`].
    ContactId,
    /// Identifies a [`Service`].
    ServiceId,
    /// Identifies a [`Classification`].
    ClassificationId,
    /// Identifies a [`Tenant`].
    TenantId,
    /// Identifies an [`Offering`].
    OfferingId,
    /// Identifies an incident.
    IncidentId,
    /// Identifies one entry of an incident's timeline.
    IncidentUpdateId,
    /// Identifies a maintenance window.
    MaintenanceId,
);
