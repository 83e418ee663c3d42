//! Closed periods and their statements: the month a period names, and the service credit an
//! offering's credit policy grants for an SLA availability.

use crate::availability::{Calendar, Window};
use crate::DomainError;

/// A calendar month named `YYYY-MM` (years 1970–8999).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Month {
    pub year: i16,
    pub month: i8,
}

impl Month {
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let invalid = || DomainError::invalid("period", "must be a month YYYY-MM, e.g. 2026-11");
        let (year, month) = raw.split_once('-').ok_or_else(invalid)?;
        if year.len() != 4
            || month.len() != 2
            || !(year.bytes().chain(month.bytes())).all(|b| b.is_ascii_digit())
        {
            return Err(invalid());
        }
        let year: i16 = year.parse().map_err(|_| invalid())?;
        let month: i8 = month.parse().map_err(|_| invalid())?;
        if !(1970..9000).contains(&year) || !(1..=12).contains(&month) {
            return Err(invalid());
        }
        Ok(Self { year, month })
    }

    /// The month in `calendar`: from its first local midnight to the next month's.
    pub fn window(self, calendar: &Calendar) -> Result<Window, DomainError> {
        calendar.month(self.year, self.month)
    }
}

impl std::fmt::Display for Month {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

/// One step of a credit policy: an SLA availability below `below` percent earns
/// `credit_percent`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CreditTier {
    pub below: f64,
    pub credit_percent: f64,
}

/// An offering's service credits: the tiers (the deepest one reached counts) and a cap.
#[derive(Debug, Clone, PartialEq)]
pub struct CreditPolicy {
    tiers: Vec<CreditTier>,
    cap_percent: f64,
}

/// At most this many tiers in one policy.
pub const MAX_TIERS: usize = 20;

fn percent(field: &'static str, value: f64) -> Result<f64, DomainError> {
    if value.is_finite() && (0.0..=100.0).contains(&value) {
        Ok(value)
    } else {
        Err(DomainError::invalid(
            field,
            "must be a percentage from 0 to 100",
        ))
    }
}

impl CreditPolicy {
    /// 1–20 tiers with distinct `below` thresholds (0–100) and credits (0–100); the cap
    /// (0–100, default 100) bounds the credit.
    pub fn parse(tiers: Vec<CreditTier>, cap_percent: Option<f64>) -> Result<Self, DomainError> {
        if tiers.is_empty() || tiers.len() > MAX_TIERS {
            return Err(DomainError::invalid(
                "tiers",
                format!("must hold 1 to {MAX_TIERS} tiers"),
            ));
        }
        for tier in &tiers {
            percent("tiers", tier.below)?;
            percent("tiers", tier.credit_percent)?;
        }
        let mut tiers = tiers;
        tiers.sort_by(|a, b| b.below.total_cmp(&a.below));
        if tiers.windows(2).any(|pair| pair[0].below == pair[1].below) {
            return Err(DomainError::invalid(
                "tiers",
                "each tier needs its own `below` threshold",
            ));
        }
        let cap_percent = percent("cap_percent", cap_percent.unwrap_or(100.0))?;
        Ok(Self { tiers, cap_percent })
    }

    /// The tiers, highest threshold first.
    pub fn tiers(&self) -> &[CreditTier] {
        &self.tiers
    }

    pub fn cap_percent(&self) -> f64 {
        self.cap_percent
    }

    /// The credit for an SLA availability (a fraction, as the figures carry it): the largest
    /// credit among the tiers whose threshold it is below, at most the cap; 0 when it meets
    /// every threshold or when nothing was left to judge (`None`: a wholly planned or future
    /// span).
    pub fn credit_percent(&self, sla_availability: Option<f64>) -> f64 {
        let Some(fraction) = sla_availability else {
            return 0.0;
        };
        let achieved = fraction * 100.0;
        self.tiers
            .iter()
            .filter(|tier| achieved < tier.below)
            .map(|tier| tier.credit_percent)
            .fold(0.0, f64::max)
            .min(self.cap_percent)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tier(below: f64, credit_percent: f64) -> CreditTier {
        CreditTier {
            below,
            credit_percent,
        }
    }

    #[test]
    fn months_parse_strictly() {
        assert_eq!(Month::parse("2026-11").unwrap().to_string(), "2026-11");
        for bad in [
            "2026-13",
            "2026-00",
            "26-11",
            "2026-1",
            "2026/11",
            "",
            "2026-11-01",
            "1969-12",
            "+026-11",
        ] {
            assert!(Month::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_month_follows_the_zone() {
        let berlin = Calendar::parse("Europe/Berlin").unwrap();
        let w = Month::parse("2026-11").unwrap().window(&berlin).unwrap();
        assert_eq!(w.from, time::macros::datetime!(2026-10-31 23:00 UTC));
        assert_eq!(w.to, time::macros::datetime!(2026-11-30 23:00 UTC));
        // October holds the change back to winter time: 31 days and one hour.
        let oct = Month::parse("2026-10").unwrap().window(&berlin).unwrap();
        assert_eq!(oct.to - oct.from, time::Duration::hours(31 * 24 + 1));
        let dec = Month::parse("2026-12")
            .unwrap()
            .window(&Calendar::default())
            .unwrap();
        assert_eq!(dec.to, time::macros::datetime!(2027-01-01 00:00 UTC));
    }

    #[test]
    fn credits_take_the_deepest_tier_reached_up_to_the_cap() {
        let policy = CreditPolicy::parse(vec![tier(99.9, 10.0), tier(99.0, 25.0)], None).unwrap();
        assert_eq!(policy.credit_percent(Some(1.0)), 0.0);
        assert_eq!(
            policy.credit_percent(Some(0.999)),
            0.0,
            "99.9 meets `below 99.9`"
        );
        assert_eq!(policy.credit_percent(Some(0.9985)), 10.0);
        assert_eq!(policy.credit_percent(Some(0.99)), 10.0);
        assert_eq!(policy.credit_percent(Some(0.95)), 25.0);
        assert_eq!(policy.credit_percent(None), 0.0);
        let capped =
            CreditPolicy::parse(vec![tier(99.9, 10.0), tier(99.0, 25.0)], Some(15.0)).unwrap();
        assert_eq!(capped.credit_percent(Some(0.5)), 15.0);
    }

    #[test]
    fn bad_policies_name_the_field() {
        let field = |r: Result<CreditPolicy, DomainError>| match r.unwrap_err() {
            DomainError::InvalidField { field, .. } => field,
            other => panic!("{other:?}"),
        };
        assert_eq!(field(CreditPolicy::parse(vec![], None)), "tiers");
        assert_eq!(
            field(CreditPolicy::parse(vec![tier(101.0, 1.0)], None)),
            "tiers"
        );
        assert_eq!(
            field(CreditPolicy::parse(vec![tier(99.0, f64::NAN)], None)),
            "tiers"
        );
        assert_eq!(
            field(CreditPolicy::parse(
                vec![tier(99.0, 1.0), tier(99.0, 2.0)],
                None
            )),
            "tiers"
        );
        assert_eq!(
            field(CreditPolicy::parse(vec![tier(99.0, 1.0)], Some(-1.0))),
            "cap_percent"
        );
    }
}
