//! Wire types shared by several resources: enums as snake_case strings, timestamps, helpers.

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
    /// A tenant's own state inside an incident: `affected` while the incident runs for it,
    /// `recovered` from the instant it came back, `unaffected` when ruled out.
    TenantState => TenantState { Affected, Recovered, Unaffected }
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
    /// How deliveries are written: `standard` (Standard Webhooks JSON, signed), `slack` (a
    /// Slack incoming-webhook message) or `teams` (an Adaptive Card for a Microsoft Teams
    /// workflow webhook). All are signed alike.
    WebhookFormat => WebhookFormat { Standard, Slack, Teams }
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

/// RFC 3339 instants as the API accepts them: any UTC offset, normalised to UTC, and only from
/// 1970 up to (not including) 9000 — a value outside answers 422 (400 in a query string)
/// naming the field, before anything is stored. Serialises like `time::serde::rfc3339`.
pub mod instant {
    use serde::{Deserialize, Deserializer, Serializer};
    use time::format_description::well_known::Rfc3339;
    use time::OffsetDateTime;

    pub fn serialize<S: Serializer>(at: &OffsetDateTime, serializer: S) -> Result<S::Ok, S::Error> {
        time::serde::rfc3339::serialize(at, serializer)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<OffsetDateTime, D::Error> {
        supported(parse(deserializer)?)
    }

    fn supported<E: serde::de::Error>(at: OffsetDateTime) -> Result<OffsetDateTime, E> {
        domain::availability::supported_instant(at)
            .ok_or_else(|| E::custom(domain::availability::OUT_OF_RANGE))
    }

    /// What a client is told about a timestamp that does not parse (not the parser's
    /// internals).
    pub const EXPECTED: &str = "must be an RFC 3339 timestamp, e.g. 2026-11-01T00:00:00Z";

    fn parse<'de, D: Deserializer<'de>>(deserializer: D) -> Result<OffsetDateTime, D::Error> {
        let raw = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        OffsetDateTime::parse(&raw, &Rfc3339).map_err(|_| serde::de::Error::custom(EXPECTED))
    }

    /// Optional query parameters (`from`, `to`): parsed here, their range checked by the
    /// handler with the window (422, see `extract::ListWindow`).
    pub mod query {
        use serde::{Deserialize, Deserializer};
        use time::OffsetDateTime;

        pub fn deserialize<'de, D: Deserializer<'de>>(
            deserializer: D,
        ) -> Result<Option<OffsetDateTime>, D::Error> {
            #[derive(Deserialize)]
            struct Parsed(#[serde(deserialize_with = "super::parse")] OffsetDateTime);
            Ok(Option::<Parsed>::deserialize(deserializer)?.map(|Parsed(at)| at))
        }
    }

    /// The same for optional fields.
    pub mod option {
        use serde::{Deserializer, Serializer};
        use time::OffsetDateTime;

        pub fn serialize<S: Serializer>(
            at: &Option<OffsetDateTime>,
            serializer: S,
        ) -> Result<S::Ok, S::Error> {
            time::serde::rfc3339::option::serialize(at, serializer)
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(
            deserializer: D,
        ) -> Result<Option<OffsetDateTime>, D::Error> {
            super::query::deserialize(deserializer)?
                .map(super::supported)
                .transpose()
        }
    }
}

/// How an availability figure reads against an SLA target, for people (status page bars and
/// headlines, badges). The verdict is always the SLA figure's — planned maintenance excluded,
/// as the SLA is — so a span whose only downtime was planned maintenance meets the target and
/// reads as [`Level::Maintenance`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    NoData,
    NoDowntime,
    /// Down only for planned maintenance.
    Maintenance,
    Met,
    /// Below the target but at least 99 %.
    Minor,
    /// At least 95 %.
    Major,
    Down,
}

impl Level {
    /// The level of `sla_availability` against `target_percent`; `availability` (planned
    /// maintenance counted as down) only tells whether there was planned downtime, which
    /// lowers it below the SLA figure (nothing else does).
    pub fn of(
        sla_availability: Option<f64>,
        availability: Option<f64>,
        target_percent: f64,
    ) -> Self {
        let (Some(sla), Some(overall)) = (sla_availability, availability) else {
            return Level::NoData;
        };
        let planned = overall < sla - 1e-12;
        match sla * 100.0 {
            p if p >= 100.0 - 1e-10 && planned => Level::Maintenance,
            p if p >= 100.0 - 1e-10 => Level::NoDowntime,
            p if p >= target_percent => Level::Met,
            p if p >= 99.0 => Level::Minor,
            p if p >= 95.0 => Level::Major,
            _ => Level::Down,
        }
    }

    /// Whether the SLA target was met (`None` without data).
    pub fn met(self) -> Option<bool> {
        match self {
            Level::NoData => None,
            Level::NoDowntime | Level::Maintenance | Level::Met => Some(true),
            Level::Minor | Level::Major | Level::Down => Some(false),
        }
    }

    /// The status page's CSS class.
    pub fn class(self) -> &'static str {
        match self {
            Level::NoData => "none",
            Level::NoDowntime | Level::Met => "ok",
            Level::Maintenance => "maint",
            Level::Minor => "minor",
            Level::Major => "major",
            Level::Down => "down",
        }
    }

    /// The level in words (colour is never the only signal).
    pub fn words(self) -> &'static str {
        match self {
            Level::NoData => "no tenants to measure",
            Level::NoDowntime => "no downtime",
            Level::Maintenance => "planned maintenance only, SLA target met",
            Level::Met => "SLA target met",
            Level::Minor => "below the SLA target",
            Level::Major => "significant downtime",
            Level::Down => "long outage",
        }
    }
}

/// A wire value in words: `partial_outage` → "partial outage".
pub fn in_words<T: Serialize>(value: &T) -> String {
    serde_plain(value).replace('_', " ")
}

/// A wire enum as its JSON string (e.g. `partial_outage`).
pub fn serde_plain<T: Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// Declares the wire enum of the webhook event types, spelled as on the wire, with the
/// conversions to and from the domain's.
macro_rules! event_types {
    ($($variant:ident => $text:tt),+ $(,)?) => {
        /// What a webhook can subscribe to.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
        pub enum WebhookEventType {
            $(#[serde(rename = $text)] $variant),+
        }

        impl From<WebhookEventType> for domain::WebhookEventType {
            fn from(value: WebhookEventType) -> Self {
                match value { $(WebhookEventType::$variant => Self::$variant),+ }
            }
        }

        impl From<domain::WebhookEventType> for WebhookEventType {
            fn from(value: domain::WebhookEventType) -> Self {
                match value { $(domain::WebhookEventType::$variant => Self::$variant),+ }
            }
        }
    };
}

/// The event types a subscription names (at least one, each once).
pub fn event_types(types: &[WebhookEventType]) -> Result<domain::EventTypes, domain::DomainError> {
    let types: Vec<domain::WebhookEventType> = types.iter().map(|t| (*t).into()).collect();
    domain::EventTypes::new(&types)
}

event_types!(
    IncidentCreated => "incident.created",
    IncidentUpdated => "incident.updated",
    IncidentResolved => "incident.resolved",
    IncidentReopened => "incident.reopened",
    IncidentReportPublished => "incident.report_published",
    IncidentTenantsRecovered => "incident.tenants_recovered",
    MaintenanceScheduled => "maintenance.scheduled",
    MaintenanceUpdated => "maintenance.updated",
    MaintenanceStarted => "maintenance.started",
    MaintenanceCompleted => "maintenance.completed",
    MaintenanceCancelled => "maintenance.cancelled",
    MaintenanceReminder => "maintenance.reminder",
);

#[cfg(test)]
mod tests {
    use super::Level;

    #[test]
    fn the_verdict_is_the_sla_figures() {
        // A day with only planned maintenance: 95 % overall, 100 % against the SLA.
        assert_eq!(Level::of(Some(1.0), Some(0.95), 99.9), Level::Maintenance);
        assert_eq!(Level::of(Some(1.0), Some(0.95), 99.9).met(), Some(true));
        assert_eq!(Level::of(Some(1.0), Some(1.0), 99.9), Level::NoDowntime);
        // Unplanned downtime is judged on the SLA figure, whatever the overall one says.
        assert_eq!(Level::of(Some(0.9995), Some(0.98), 99.9), Level::Met);
        assert_eq!(Level::of(Some(0.995), Some(0.995), 99.9), Level::Minor);
        assert_eq!(Level::of(Some(0.96), Some(0.96), 99.9), Level::Major);
        assert_eq!(Level::of(Some(0.5), Some(0.5), 99.9), Level::Down);
        assert_eq!(Level::of(Some(0.5), Some(0.5), 99.9).met(), Some(false));
        assert_eq!(Level::of(None, None, 99.9).met(), None);
    }
}
