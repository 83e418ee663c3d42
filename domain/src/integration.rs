//! Integrations an account runs for itself: webhook endpoints (where events are sent, which
//! ones, and when a failed delivery is tried again) and feed tokens.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use crate::text::{text_type, wire_enum};
use crate::{DomainError, IncidentStatus, MaintenanceStatus};

wire_enum!(
    /// What happened to an event, as webhooks name it.
    WebhookEventType, field = "event_types" {
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
    }
);

wire_enum!(
    /// How an endpoint's deliveries are written: Standard Webhooks JSON, a Slack message, or a
    /// Microsoft Teams Adaptive Card.
    WebhookFormat, field = "format" {
        Standard => "standard",
        Slack => "slack",
        Teams => "teams",
    }
);

/// The type of the ping `POST /api/v1/webhooks/{id}/test` sends (not subscribable).
pub const TEST_EVENT: &str = "webhook.test";

impl WebhookEventType {
    /// What a write to an incident was: `before` is its status before the write (`None` for
    /// a new incident).
    pub fn of_incident(before: Option<IncidentStatus>, after: IncidentStatus) -> Self {
        use IncidentStatus::Resolved;
        match (before, after) {
            (None, _) => Self::IncidentCreated,
            (Some(b), Resolved) if b != Resolved => Self::IncidentResolved,
            (Some(Resolved), a) if a != Resolved => Self::IncidentReopened,
            _ => Self::IncidentUpdated,
        }
    }

    /// What a write to a maintenance window was (`before`: `None` for a new window).
    pub fn of_maintenance(before: Option<MaintenanceStatus>, after: MaintenanceStatus) -> Self {
        use MaintenanceStatus::{Cancelled, Completed, InProgress};
        match (before, after) {
            (None, _) => Self::MaintenanceScheduled,
            (Some(b), a) if b == a => Self::MaintenanceUpdated,
            (_, InProgress) => Self::MaintenanceStarted,
            (_, Completed) => Self::MaintenanceCompleted,
            (_, Cancelled) => Self::MaintenanceCancelled,
            _ => Self::MaintenanceUpdated,
        }
    }
}

/// The event types a webhook subscribes to: at least one, each once, in declaration order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventTypes(Vec<WebhookEventType>);

impl EventTypes {
    pub fn new(types: &[WebhookEventType]) -> Result<Self, DomainError> {
        let chosen: Vec<WebhookEventType> = WebhookEventType::ALL
            .iter()
            .copied()
            .filter(|t| types.contains(t))
            .collect();
        if chosen.is_empty() {
            return Err(DomainError::invalid(
                "event_types",
                "name at least one event type",
            ));
        }
        Ok(Self(chosen))
    }

    /// Parses the stored form (space-separated).
    pub fn parse(stored: &str) -> Result<Self, DomainError> {
        let types = stored
            .split_whitespace()
            .map(WebhookEventType::parse)
            .collect::<Result<Vec<_>, _>>()?;
        Self::new(&types)
    }

    pub fn contains(&self, event: WebhookEventType) -> bool {
        self.0.contains(&event)
    }

    pub fn iter(&self) -> impl Iterator<Item = WebhookEventType> + '_ {
        self.0.iter().copied()
    }

    /// The stored form (space-separated).
    pub fn stored(&self) -> String {
        self.0
            .iter()
            .map(|t| t.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

text_type!(
    /// What a webhook endpoint is for (up to 200 characters).
    WebhookDescription, field = "description", max = 200
);
text_type!(
    /// A feed token's name, e.g. "Team calendar" (1–100 characters).
    FeedTokenName, field = "name", max = 100
);

/// Where a webhook is sent: an absolute `https` URL without credentials, to a public host.
/// Plain `http` and loopback, private, link-local or otherwise non-public addresses are
/// accepted only when the deployment allows private targets (tests, on-premises setups).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookUrl(String);

impl WebhookUrl {
    pub fn parse(raw: &str, allow_private: bool) -> Result<Self, DomainError> {
        let invalid = |message: &str| DomainError::invalid("url", message);
        if raw.len() > 2000 {
            return Err(invalid("must be at most 2000 characters"));
        }
        let url = url::Url::parse(raw.trim()).map_err(|e| invalid(&format!("not a URL: {e}")))?;
        match url.scheme() {
            "https" => {}
            "http" if allow_private => {}
            _ => return Err(invalid("must be an https URL")),
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(invalid(
                "must not carry credentials (use the signing secret)",
            ));
        }
        if url.fragment().is_some() {
            return Err(invalid("must not have a #fragment"));
        }
        let public = match url.host() {
            None => return Err(invalid("must name a host")),
            Some(url::Host::Ipv4(ip)) => is_public(IpAddr::V4(ip)),
            Some(url::Host::Ipv6(ip)) => is_public(IpAddr::V6(ip)),
            Some(url::Host::Domain(name)) => {
                let name = name.trim_end_matches('.').to_ascii_lowercase();
                name.contains('.')
                    && !(name == "localhost"
                        || name.ends_with(".localhost")
                        || name.ends_with(".local")
                        || name.ends_with(".internal"))
            }
        };
        if !public && !allow_private {
            return Err(invalid(
                "must be a public host: loopback, private and link-local addresses are refused",
            ));
        }
        Ok(Self(url.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Whether an address is on the public internet (not loopback, private, link-local, shared,
/// documentation, multicast, unspecified or reserved). Also checked on every address a webhook
/// host resolves to, so a public name pointing inside is refused too.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(ip) => is_public_v4(ip),
        IpAddr::V6(ip) => match ip.to_ipv4_mapped() {
            Some(v4) => is_public_v4(v4),
            None => is_public_v6(ip),
        },
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_documentation()
        || ip.is_unspecified()
        || ip.is_multicast()
        || a == 0
        || a >= 240
        // 100.64.0.0/10 (carrier-grade NAT), 192.0.0.0/24, 198.18.0.0/15 (benchmarking).
        || (a == 100 && (64..128).contains(&b))
        || (a == 192 && b == 0 && c == 0)
        || (a == 198 && (b == 18 || b == 19)))
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    !(ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        // fc00::/7 unique local, fe80::/10 link-local, 2001:db8::/32 documentation.
        || (first & 0xfe00) == 0xfc00
        || (first & 0xffc0) == 0xfe80
        || (first == 0x2001 && ip.segments()[1] == 0x0db8))
}

/// How deliveries are retried: the wait after the `attempt`-th failed attempt doubles from
/// `base` up to `cap`, spread by ±25 % (`jitter` in [0, 1)) so endpoints coming back are not
/// hit by every sender at once.
pub fn retry_delay(attempt: u32, base: Duration, cap: Duration, jitter: f64) -> Duration {
    let doubled = base.saturating_mul(1u32 << attempt.saturating_sub(1).min(20));
    let delay = doubled.min(cap);
    delay.mul_f64(0.75 + 0.5 * jitter.clamp(0.0, 1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_changes_name_the_event() {
        use IncidentStatus::*;
        let of = WebhookEventType::of_incident;
        assert_eq!(of(None, Investigating), WebhookEventType::IncidentCreated);
        assert_eq!(
            of(Some(Investigating), Identified),
            WebhookEventType::IncidentUpdated
        );
        assert_eq!(
            of(Some(Monitoring), Resolved),
            WebhookEventType::IncidentResolved
        );
        assert_eq!(
            of(Some(Resolved), Investigating),
            WebhookEventType::IncidentReopened
        );
        assert_eq!(
            of(Some(Resolved), Resolved),
            WebhookEventType::IncidentUpdated
        );
        use MaintenanceStatus::*;
        let of = WebhookEventType::of_maintenance;
        assert_eq!(of(None, Scheduled), WebhookEventType::MaintenanceScheduled);
        assert_eq!(
            of(Some(Scheduled), Scheduled),
            WebhookEventType::MaintenanceUpdated
        );
        assert_eq!(
            of(Some(Scheduled), InProgress),
            WebhookEventType::MaintenanceStarted
        );
        assert_eq!(
            of(Some(InProgress), Completed),
            WebhookEventType::MaintenanceCompleted
        );
        assert_eq!(
            of(Some(Scheduled), Cancelled),
            WebhookEventType::MaintenanceCancelled
        );
    }

    #[test]
    fn event_types_are_a_non_empty_ordered_set() {
        use WebhookEventType::*;
        let types = EventTypes::new(&[MaintenanceStarted, IncidentCreated, IncidentCreated]);
        assert_eq!(
            types.as_ref().map(EventTypes::stored).ok().as_deref(),
            Some("incident.created maintenance.started")
        );
        assert_eq!(
            EventTypes::parse("incident.created maintenance.started"),
            types
        );
        assert!(EventTypes::new(&[]).is_err());
        assert!(EventTypes::parse("incident.deleted").is_err());
    }

    #[test]
    fn webhook_urls_must_be_public_https_unless_private_targets_are_allowed() {
        for good in [
            "https://hooks.example.com/slr",
            "https://93.184.216.34:8443/x?y=1",
        ] {
            assert!(WebhookUrl::parse(good, false).is_ok(), "{good}");
        }
        for bad in [
            "http://hooks.example.com/slr",
            "ftp://hooks.example.com/",
            "https://user:pw@hooks.example.com/",
            "https://127.0.0.1/",
            "https://localhost:8080/",
            "https://10.1.2.3/",
            "https://192.168.0.10/",
            "https://172.16.5.4/",
            "https://169.254.169.254/latest/meta-data",
            "https://[::1]/",
            "https://[fd00::1]/",
            "https://[::ffff:10.0.0.1]/",
            "https://100.64.0.1/",
            "https://0.0.0.0/",
            "https://intranet/",
            "not a url",
        ] {
            assert!(WebhookUrl::parse(bad, false).is_err(), "{bad}");
        }
        assert!(WebhookUrl::parse("http://127.0.0.1:9000/hook", true).is_ok());
        assert!(WebhookUrl::parse("ftp://127.0.0.1/", true).is_err());
    }

    #[test]
    fn retries_back_off_exponentially_with_jitter_up_to_a_cap() {
        let base = Duration::from_secs(10);
        let cap = Duration::from_secs(3600);
        assert_eq!(retry_delay(1, base, cap, 0.5), Duration::from_secs(10));
        assert_eq!(retry_delay(2, base, cap, 0.5), Duration::from_secs(20));
        assert_eq!(retry_delay(4, base, cap, 0.5), Duration::from_secs(80));
        assert_eq!(retry_delay(30, base, cap, 0.5), cap);
        assert_eq!(retry_delay(1, base, cap, 0.0), Duration::from_millis(7500));
        assert!(retry_delay(1, base, cap, 0.999) < Duration::from_millis(12_500));
    }
}
