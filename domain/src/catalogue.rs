//! The service catalogue: services and SaaS hosting classifications.

use crate::text::text_type;
use crate::{ClassificationId, DomainError, ServiceId};

text_type!(
    /// A service's name, e.g. "Service Management Automation" (1–200 characters).
    ServiceName, field = "name", max = 200
);

/// A product line in the catalogue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    pub id: ServiceId,
    pub name: ServiceName,
}

/// A classification code such as `saas2-eu`: 1–32 lower-case letters, digits and dashes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ClassificationCode(String);

impl ClassificationCode {
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let value = raw.trim();
        let ok = !value.is_empty()
            && value.len() <= 32
            && value
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && !value.starts_with('-')
            && !value.ends_with('-');
        if ok {
            Ok(Self(value.to_owned()))
        } else {
            Err(DomainError::invalid(
                "code",
                "must be 1-32 lower-case letters, digits or inner dashes, like saas2-eu",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The hosting tier of a classification: 1–99 ("SaaS 2").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Tier(i32);

impl Tier {
    pub fn parse(raw: i64) -> Result<Self, DomainError> {
        match i32::try_from(raw) {
            Ok(value @ 1..=99) => Ok(Self(value)),
            _ => Err(DomainError::invalid("tier", "must be between 1 and 99")),
        }
    }

    pub fn get(self) -> i32 {
        self.0
    }
}

/// A hosting region code such as `EU` or `US`: 2–8 upper-case ASCII letters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Region(String);

impl Region {
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let value = raw.trim().to_ascii_uppercase();
        if (2..=8).contains(&value.len()) && value.chars().all(|c| c.is_ascii_uppercase()) {
            Ok(Self(value))
        } else {
            Err(DomainError::invalid(
                "region",
                "must be 2-8 letters, like EU or US",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The hosting class of a tenant: tier plus region, with a display label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Classification {
    pub id: ClassificationId,
    pub code: ClassificationCode,
    pub tier: Tier,
    pub region: Region,
    pub label: String,
}

/// The label used when none is given: tier 2, region EU → "SaaS 2 EU-hosted".
pub fn default_classification_label(tier: Tier, region: &Region) -> String {
    format!("SaaS {} {}-hosted", tier.get(), region.as_str())
}

/// Validates an optional label, falling back to [`default_classification_label`].
pub fn classification_label(
    raw: Option<&str>,
    tier: Tier,
    region: &Region,
) -> Result<String, DomainError> {
    match raw {
        Some(raw) => crate::text::bounded("label", raw, 200),
        None => Ok(default_classification_label(tier, region)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_tiers_and_regions_are_validated() {
        assert_eq!(
            ClassificationCode::parse("saas2-eu").unwrap().as_str(),
            "saas2-eu"
        );
        for bad in ["", "SaaS2", "saas 2", "-eu", "eu-", "x".repeat(33).as_str()] {
            assert!(ClassificationCode::parse(bad).is_err(), "{bad:?}");
        }
        assert!(Tier::parse(0).is_err());
        assert!(Tier::parse(100).is_err());
        assert_eq!(Tier::parse(3).unwrap().get(), 3);
        assert_eq!(Region::parse("eu").unwrap().as_str(), "EU");
        assert!(Region::parse("E").is_err());
        assert!(Region::parse("E1").is_err());
    }

    #[test]
    fn default_label_reads_like_the_notice() {
        let label =
            classification_label(None, Tier::parse(2).unwrap(), &Region::parse("EU").unwrap());
        assert_eq!(label.unwrap(), "SaaS 2 EU-hosted");
        let custom = classification_label(
            Some(" Gov cloud "),
            Tier::parse(2).unwrap(),
            &Region::parse("US").unwrap(),
        );
        assert_eq!(custom.unwrap(), "Gov cloud");
    }
}
