//! Wire types shared by several resources: enums as snake_case strings, timestamps, helpers.

use actix_web::http::header;
use actix_web::HttpResponse;
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;

/// Declares a wire enum mirroring a domain enum, with conversions both ways.
macro_rules! wire_enum {
    ($(#[$meta:meta])* $name:ident => $domain:ident { $($variant:ident),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl From<domain::$domain> for $name {
            fn from(value: domain::$domain) -> Self {
                match value { $(domain::$domain::$variant => Self::$variant),+ }
            }
        }

        impl From<$name> for domain::$domain {
            fn from(value: $name) -> Self {
                match value { $($name::$variant => domain::$domain::$variant),+ }
            }
        }
    };
}

wire_enum!(
    /// `provider` (the SaaS vendor), `partner` or `customer`.
    AccountKind => AccountKind { Provider, Partner, Customer }
);
wire_enum!(
    /// `viewer` reads; `admin` of the provider account also writes.
    Role => Role { Viewer, Admin }
);
wire_enum!(
    /// `direct` (registered to one account) or `partner_tenants` (a partner's common offering
    /// covering all its customers' tenants of the service; kept by slr).
    OfferingKind => OfferingKind { Direct, PartnerTenants }
);

wire_enum!(
    /// `degraded`, `partial_outage` or `major_outage`.
    Impact => Impact { Degraded, PartialOutage, MajorOutage }
);
wire_enum!(
    /// `investigating` → `identified` → `monitoring` → `resolved`.
    IncidentStatus => IncidentStatus { Investigating, Identified, Monitoring, Resolved }
);
wire_enum!(
    /// `scheduled` → `in_progress` → `completed`, or `cancelled`.
    MaintenanceStatus => MaintenanceStatus { Scheduled, InProgress, Completed, Cancelled }
);
wire_enum!(
    /// `none`, `degraded` or `downtime`.
    ExpectedImpact => ExpectedImpact { None, Degraded, Downtime }
);
wire_enum!(
    /// A window relative to now: `upcoming`, `active` (running or due) or `past`.
    Phase => Phase { Upcoming, Active, Past }
);
wire_enum!(
    /// `operational`, `under_maintenance`, or the worst active incident impact.
    OfferingStatus => OfferingStatus { Operational, UnderMaintenance, Degraded, PartialOutage, MajorOutage }
);

/// For PATCH fields that may be set to `null`: absent → `None`, `null` → `Some(None)`.
pub fn double_option<'de, T, D>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    T: Deserialize<'de>,
    D: Deserializer<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// 201 Created with a `Location` header and the new resource.
pub fn created<T: Serialize>(location: String, body: &T) -> HttpResponse {
    HttpResponse::Created()
        .insert_header((header::LOCATION, location))
        .json(body)
}
