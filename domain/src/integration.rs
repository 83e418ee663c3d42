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

/// Whether an address is on the public internet, so a webhook may be sent to it. Checked on
/// the host of every webhook URL, on every address its name resolves to, and again at every
/// delivery, so a public name pointing inside is refused too.
///
/// Refused: IPv4 `0.0.0.0/8`, `10/8`, `100.64/10` (carrier-grade NAT), `127/8`, `169.254/16`,
/// `172.16/12`, `192.0.0/24`, the documentation ranges, `192.88.99/24` (6to4 relays),
/// `192.168/16`, `198.18/15`, `224/4`, `240/4` and the broadcast address. IPv6 outside global
/// unicast `2000::/3` (so `::`, `::1`, multicast, link-local `fe80::/10`, site-local
/// `fec0::/10`, unique-local `fc00::/7`, IPv4-compatible `::a.b.c.d`, `100::/64`), the IETF
/// protocol block `2001::/23` (Teredo `2001::/32` among them), documentation `2001:db8::/32`
/// and `3fff::/20`, the old 6bone `3ffe::/16`, and local-use NAT64 `64:ff9b:1::/48`. An IPv6
/// address that carries an IPv4 one a router would reach — IPv4-mapped `::ffff:a.b.c.d`,
/// NAT64 `64:ff9b::a.b.c.d` and 6to4 `2002:AABB:CCDD::/48` — is public only when that IPv4
/// address is.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(ip) => is_public_v4(ip),
        IpAddr::V6(ip) => is_public_v6(ip),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(a == 0
        || a == 10
        || a == 127
        || a >= 224
        // 100.64.0.0/10 carrier-grade NAT.
        || (a == 100 && (64..128).contains(&b))
        || (a == 169 && b == 254)
        || (a == 172 && (16..32).contains(&b))
        || (a == 192 && b == 168)
        // 192.0.0.0/24 IETF assignments, 192.0.2.0/24 documentation, 192.88.99.0/24 6to4 relays.
        || (a == 192 && b == 0 && (c == 0 || c == 2))
        || (a == 192 && b == 88 && c == 99)
        // 198.18.0.0/15 benchmarking; 198.51.100.0/24 and 203.0.113.0/24 documentation.
        || (a == 198 && (b == 18 || b == 19))
        || (a == 198 && b == 51 && c == 100)
        || (a == 203 && b == 0 && c == 113))
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let s = ip.segments();
    let embedded = |high: u16, low: u16| {
        let [a, b] = high.to_be_bytes();
        let [c, d] = low.to_be_bytes();
        Ipv4Addr::new(a, b, c, d)
    };
    match s {
        // ::ffff:a.b.c.d, IPv4-mapped: the IPv4 address itself.
        [0, 0, 0, 0, 0, 0xffff, high, low] => is_public_v4(embedded(high, low)),
        // 64:ff9b::a.b.c.d, the NAT64 well-known prefix: a NAT64 gateway sends it there.
        [0x64, 0xff9b, 0, 0, 0, 0, high, low] => is_public_v4(embedded(high, low)),
        // 2002:AABB:CCDD::/48, 6to4: a relay sends it to AA.BB.CC.DD.
        [0x2002, high, low, ..] => is_public_v4(embedded(high, low)),
        // Only global unicast is public …
        [first, ..] if first & 0xe000 != 0x2000 => false,
        // … less the IETF protocol block (Teredo 2001::/32, benchmarking, ORCHID, …),
        // documentation (2001:db8::/32, 3fff::/20) and the retired 6bone (3ffe::/16).
        [0x2001, second, ..] if second < 0x0200 || second == 0x0db8 => false,
        [0x3fff, second, ..] if second < 0x1000 => false,
        [0x3ffe, ..] => false,
        _ => true,
    }
}

/// How deliveries are retried: the wait after the `attempt`-th failed attempt doubles from
/// `base` up to `cap`, spread by ±25 % (`jitter` in [0, 1)) so endpoints coming back are not
/// hit by every sender at once.
pub fn retry_delay(attempt: u32, base: Duration, cap: Duration, jitter: f64) -> Duration {
    let doubled = base.saturating_mul(1u32 << attempt.saturating_sub(1).min(20));
    let delay = doubled.min(cap);
    delay.mul_f64(0.75 + 0.5 * jitter.clamp(0.0, 1.0))
}

/// Refuses one more of `what` (e.g. "webhook endpoints") for an account that keeps `kept`
/// already when the most it may keep is `limit` (the setting `setting` names it).
pub fn within_limit(kept: i64, limit: u64, what: &str, setting: &str) -> Result<(), DomainError> {
    if u64::try_from(kept).unwrap_or(0) < limit {
        return Ok(());
    }
    Err(DomainError::LimitReached(format!(
        "this account keeps {kept} {what}, the most it may ({limit}, {setting}); delete one first"
    )))
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

    /// Every special-purpose range, each at its first and last address and at a typical one,
    /// and the public neighbours just outside it.
    #[test]
    fn only_public_addresses_are_public_whatever_form_they_take() {
        let refused = [
            // IPv4 special ranges: 0/8, 10/8, 100.64/10, 127/8, 169.254/16, 172.16/12,
            // 192.0.0/24, 192.0.2/24, 192.88.99/24, 192.168/16, 198.18/15, 198.51.100/24,
            // 203.0.113/24, 224/4, 240/4, broadcast.
            "0.0.0.0",
            "0.1.2.3",
            "0.255.255.255",
            "10.0.0.0",
            "10.1.2.3",
            "10.255.255.255",
            "100.64.0.0",
            "100.100.100.100",
            "100.127.255.255",
            "127.0.0.1",
            "127.255.255.254",
            "169.254.0.0",
            "169.254.169.254",
            "169.254.255.255",
            "172.16.0.0",
            "172.20.1.1",
            "172.31.255.255",
            "192.0.0.0",
            "192.0.0.170",
            "192.0.0.255",
            "192.0.2.1",
            "192.88.99.1",
            "192.168.0.0",
            "192.168.1.1",
            "192.168.255.255",
            "198.18.0.0",
            "198.19.255.255",
            "198.51.100.7",
            "203.0.113.9",
            "224.0.0.1",
            "239.255.255.250",
            "240.0.0.1",
            "255.255.255.254",
            "255.255.255.255",
            // IPv6: unspecified, loopback, IPv4-compatible (deprecated) ::a.b.c.d.
            "::",
            "::1",
            "::8.8.8.8",
            "::a9fe:a9fe",
            "::7f00:1",
            // IPv4-mapped and IPv4-translated (SIIT) forms of private addresses.
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::ffff:169.254.169.254",
            "::ffff:0.0.0.0",
            "::ffff:0:10.0.0.1",
            "::ffff:0:8.8.8.8",
            // NAT64: the well-known prefix with a private IPv4 address, and local-use NAT64.
            "64:ff9b::a9fe:a9fe",
            "64:ff9b::169.254.169.254",
            "64:ff9b::10.0.0.1",
            "64:ff9b::127.0.0.1",
            "64:ff9b::192.168.1.1",
            "64:ff9b::100.64.0.1",
            "64:ff9b:1::8.8.8.8",
            "64:ff9b:1:ffff::1",
            "64:ff9b::1:0:0:8.8.8.8",
            // 6to4 with a private IPv4 address inside.
            "2002:a9fe:a9fe::",
            "2002:a9fe:a9fe::1",
            "2002:0a00:0001::1",
            "2002:7f00:1::",
            "2002:c0a8:0101:1::1",
            "2002::",
            "2002:ffff:ffff::1",
            // Teredo and the rest of the IETF protocol block 2001::/23.
            "2001::",
            "2001:0:4136:e378:8000:63bf:3fff:fdd2",
            "2001:0:ffff::1",
            "2001:2::1",
            "2001:10::1",
            "2001:20::1",
            "2001:1ff:ffff::1",
            // Documentation, 6bone.
            "2001:db8::",
            "2001:db8:ffff::1",
            "3fff::1",
            "3fff:fff:ffff::1",
            "3ffe::1",
            // Unique-local, site-local, link-local, multicast, discard-only, other non-global.
            "fc00::",
            "fc00::1",
            "fd00::1",
            "fdff:ffff::1",
            "fec0::",
            "fec0::1",
            "feff:ffff::1",
            "fe80::",
            "fe80::1",
            "febf:ffff::1",
            "ff00::",
            "ff02::1",
            "ff05::1:3",
            "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
            "100::",
            "100::1",
            "1::1",
            "400::1",
            "4000::1",
            "e000::1",
            "8000::1",
        ];
        for text in refused {
            let ip: IpAddr = text.parse().unwrap_or_else(|_| panic!("{text} parses"));
            assert!(!is_public(ip), "{text} must not be public");
        }
        let public = [
            "1.1.1.1",
            "8.8.8.8",
            "9.255.255.255",
            "11.0.0.0",
            "93.184.216.34",
            "100.63.255.255",
            "100.128.0.0",
            "126.255.255.255",
            "128.0.0.0",
            "169.253.255.255",
            "169.255.0.0",
            "172.15.255.255",
            "172.32.0.0",
            "192.0.1.1",
            "192.0.3.1",
            "192.88.98.1",
            "192.167.255.255",
            "192.169.0.0",
            "198.17.255.255",
            "198.20.0.0",
            "198.51.101.1",
            "203.0.114.1",
            "223.255.255.255",
            "::ffff:8.8.8.8",
            "::ffff:93.184.216.34",
            "64:ff9b::8.8.8.8",
            "64:ff9b::5db8:d822",
            "2002:0808:0808::1",
            "2002:5db8:d822:1::1",
            "2000::1",
            "2001:200::1",
            "2001:4860:4860::8888",
            "2001:db7:ffff::1",
            "2001:db9::1",
            "2400:cb00::1",
            "2606:4700:4700::1111",
            "2a00:1450:4001::1",
            "3ffd::1",
            "3fff:1000::1",
            "3ffc::1",
        ];
        for text in public {
            let ip: IpAddr = text.parse().unwrap_or_else(|_| panic!("{text} parses"));
            assert!(is_public(ip), "{text} is public");
        }
    }

    #[test]
    fn webhook_urls_naming_embedded_or_special_addresses_are_refused() {
        for bad in [
            "https://[64:ff9b::a9fe:a9fe]/latest/meta-data",
            "https://[64:ff9b::10.0.0.1]/",
            "https://[64:ff9b:1::8.8.8.8]/",
            "https://[2002:a9fe:a9fe::1]/",
            "https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/",
            "https://[::127.0.0.1]/",
            "https://[::a9fe:a9fe]/",
            "https://[fec0::1]/",
            "https://[fe80::1]/",
            "https://[ff02::1]/",
            "https://[2001:db8::1]/",
            "https://[::]/",
            "https://198.18.0.1/",
            "https://192.0.0.8/",
            "https://255.255.255.255/",
            "https://224.0.0.1/",
            // Numeric host spellings the URL parser turns into IPv4 addresses.
            "https://2130706433/",
            "https://0x7f.1/",
            "https://0251.0376.0251.0376/",
        ] {
            assert!(WebhookUrl::parse(bad, false).is_err(), "{bad}");
            assert!(
                WebhookUrl::parse(bad, true).is_ok(),
                "{bad} with private targets"
            );
        }
        for good in [
            "https://[64:ff9b::8.8.8.8]/hook",
            "https://[2606:4700:4700::1111]/hook",
            "https://[2002:0808:0808::1]/hook",
        ] {
            assert!(WebhookUrl::parse(good, false).is_ok(), "{good}");
        }
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
