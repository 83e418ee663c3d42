//! The statements a period's closing freezes — per tenant, per offering and per account, each
//! as its holder sees the month, with service credits — computed from the read model with the
//! availability views' maths (`per_tenant`, `rollup`, the holder's offerings and targets).

use std::collections::HashMap;

use domain::availability::{per_tenant, rollup, Figures, ScopedPlanned, Weights, Window};
use domain::statement::CreditPolicy;
use domain::{
    Account, AccountId, AccountKind, Caller, ContactId, Offering, OfferingId, OfferingScope, Role,
    ScopedTenant, ServiceId, TenantId,
};
use persistence::model::{Model, Outages};
use persistence::repo::accounts::AccountFilter;
use persistence::repo::statements::StatementKind;
use persistence::{PageRequest, RepoError, RepoResult};
use serde::Serialize;
use time::OffsetDateTime;

use crate::http::wire::OfferingKind;
use crate::views::availability::{side_by_side, Measures, TenantBrief};

/// More than any directory holds: every row in one page.
const ALL: i64 = i64::MAX / 2;

/// One service's tenants and history over the month.
struct ServiceInput {
    id: ServiceId,
    tenants: Vec<ScopedTenant>,
    outages: Outages,
    planned: Vec<ScopedPlanned>,
}

/// Everything a closing computes from, taken from the read model at one version (then the
/// model's lock is let go: the computation runs without it).
pub(crate) struct ClosingInput {
    pub(crate) version: i64,
    services: Vec<ServiceInput>,
    /// Every offering, by service.
    offerings: HashMap<ServiceId, Vec<Offering>>,
    /// Partners and customers (the statements' holders), in id order, with the offerings
    /// each may see.
    accounts: Vec<(Account, OfferingScope)>,
}

pub(crate) fn closing_input(
    model: &Model,
    window: Window,
    now: OffsetDateTime,
) -> RepoResult<ClosingInput> {
    let provider = Caller {
        contact_id: ContactId(0),
        account_id: AccountId(0),
        account_kind: AccountKind::Provider,
        role: Role::Viewer,
    };
    let everything = model.caller_view(&provider, None);
    let mut offerings: HashMap<ServiceId, Vec<Offering>> = HashMap::new();
    for offering in everything.offerings() {
        offerings
            .entry(offering.service_id)
            .or_default()
            .push(offering.clone());
    }
    for list in offerings.values_mut() {
        list.sort_by_key(|o| o.id);
    }
    let services = model
        .services_page(PageRequest::first(ALL))
        .items
        .into_iter()
        .map(|service| {
            let id = service.item.id;
            let (outages, planned) = model.history(id, window, now)?;
            Ok(ServiceInput {
                id,
                tenants: everything.tenants_of(id).to_vec(),
                outages,
                planned,
            })
        })
        .collect::<RepoResult<Vec<_>>>()?;
    let accounts = model
        .accounts_page(
            domain::AccountScope::All,
            &AccountFilter::default(),
            PageRequest::first(ALL),
        )
        .items
        .into_iter()
        .map(|record| record.item)
        .filter(|a| a.kind != AccountKind::Provider)
        .map(|account| {
            let scope = model.account_viewer(account.id)?.offering_scope();
            Ok((account, scope))
        })
        .collect::<Result<Vec<_>, RepoError>>()?;
    Ok(ClosingInput {
        version: model.version(),
        services,
        offerings,
        accounts,
    })
}

/// What a closing is about and when it ran.
pub(crate) struct Closing<'a> {
    /// `YYYY-MM`.
    pub(crate) period: String,
    pub(crate) calendar: &'a domain::availability::Calendar,
    pub(crate) window: Window,
    pub(crate) issued_at: OffsetDateTime,
    pub(crate) policies: &'a HashMap<OfferingId, CreditPolicy>,
    pub(crate) weights: Weights,
}

/// The fields every statement opens with.
#[derive(Debug, Serialize)]
struct Head<'a> {
    /// `tenant`, `offering` or `account`.
    kind: &'static str,
    /// 1 for the statement frozen at the close.
    version: i32,
    period: &'a str,
    tz: &'a str,
    #[serde(with = "crate::http::wire::instant")]
    from: OffsetDateTime,
    #[serde(with = "crate::http::wire::instant")]
    to: OffsetDateTime,
    /// The data version the figures were computed at.
    data_version: i64,
    #[serde(with = "crate::http::wire::instant")]
    issued_at: OffsetDateTime,
}

#[derive(Debug, Serialize)]
struct TenantRef<'a> {
    id: i64,
    name: &'a str,
    service_id: i64,
    classification_id: i64,
    account_id: i64,
}

/// One of the holder's offerings covering a tenant, with the credit its policy grants.
#[derive(Debug, Serialize)]
struct TenantOffering {
    offering_id: i64,
    sla_target: f64,
    sla_met: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    credit_percent: Option<f64>,
}

#[derive(Debug, Serialize)]
struct TenantStatement<'a> {
    #[serde(flatten)]
    head: &'a Head<'a>,
    tenant: TenantRef<'a>,
    /// The strictest among the holder's offerings covering the tenant (99.9 where none does).
    sla_target: f64,
    figures: Measures,
    offerings: Vec<TenantOffering>,
    /// The largest credit among `offerings`; absent when none has a credit policy.
    #[serde(skip_serializing_if = "Option::is_none")]
    credit_percent: Option<f64>,
}

#[derive(Debug, Serialize)]
struct OfferingRef<'a> {
    id: i64,
    name: &'a str,
    kind: OfferingKind,
    service_id: i64,
    account_id: i64,
}

/// A covered tenant in an offering's statement.
#[derive(Debug, Serialize)]
struct OfferingTenant<'a> {
    tenant_id: i64,
    tenant_name: &'a str,
    availability: Option<f64>,
    sla_availability: Option<f64>,
    sla_met: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    credit_percent: Option<f64>,
}

#[derive(Debug, Serialize)]
struct OfferingStatement<'a> {
    #[serde(flatten)]
    head: &'a Head<'a>,
    offering: OfferingRef<'a>,
    sla_target: f64,
    tenant_count: usize,
    availability: Option<f64>,
    sla_availability: Option<f64>,
    weighted_availability: Option<f64>,
    worst_tenant: Option<TenantBrief>,
    tenants_below_target: Vec<i64>,
    /// Judged on the offering's `sla_availability`; absent without a credit policy.
    #[serde(skip_serializing_if = "Option::is_none")]
    credit_percent: Option<f64>,
    tenants: Vec<OfferingTenant<'a>>,
}

/// An offering's row in an account's statement (the overview's row, with its credit).
#[derive(Debug, Clone, Serialize)]
struct AccountOffering {
    offering_id: i64,
    offering_name: String,
    kind: OfferingKind,
    service_id: i64,
    sla_target: f64,
    tenant_count: usize,
    availability: Option<f64>,
    sla_availability: Option<f64>,
    weighted_availability: Option<f64>,
    worst_tenant_sla_availability: Option<f64>,
    tenants_below_target: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    credit_percent: Option<f64>,
}

#[derive(Debug, Serialize)]
struct AccountRef<'a> {
    id: i64,
    name: &'a str,
    kind: crate::http::wire::AccountKind,
}

#[derive(Debug, Serialize)]
struct AccountStatement<'a> {
    #[serde(flatten)]
    head: &'a Head<'a>,
    account: AccountRef<'a>,
    /// Each offering the account sees, as the availability overview shows it.
    offerings: Vec<&'a AccountOffering>,
}

/// A statement ready to be signed: its subject, holder and canonical bytes (RFC 8785).
pub(crate) struct Draft {
    pub(crate) kind: StatementKind,
    pub(crate) subject_id: i64,
    pub(crate) account_id: i64,
    pub(crate) partner_id: Option<i64>,
    pub(crate) body: String,
}

fn canonical<T: Serialize>(value: &T) -> RepoResult<String> {
    let mut bytes = serde_jcs::to_string(value).map_err(|e| RepoError::Corrupt(e.to_string()))?;
    // A month's statements are all held until they are stored: no spare capacity each.
    bytes.shrink_to_fit();
    Ok(bytes)
}

fn credit(policy: Option<&CreditPolicy>, sla_availability: Option<f64>) -> Option<f64> {
    policy.map(|p| p.credit_percent(sla_availability))
}

/// What one service's share of a closing makes: its tenants' and offerings' statements, and
/// its offerings' rows for the accounts' statements.
struct ServiceStatements {
    drafts: Vec<Draft>,
    rows: Vec<(Offering, AccountOffering)>,
}

fn service_statements(
    input: &ServiceInput,
    offerings: &[Offering],
    scopes: &HashMap<AccountId, OfferingScope>,
    closing: &Closing<'_>,
    head: &Head<'_>,
) -> RepoResult<ServiceStatements> {
    let keys: Vec<(TenantId, domain::ClassificationId)> = input
        .tenants
        .iter()
        .map(|t| (t.id, t.classification_id))
        .collect();
    let series = per_tenant(
        &keys,
        &input.outages.list(),
        &input.planned,
        closing.window,
        &[],
        closing.weights,
        closing.issued_at,
    );
    let figures = |t: &ScopedTenant| series.get(&t.id).map(|s| s.total);
    let mut drafts = Vec::new();
    let tenant_head = Head {
        kind: StatementKind::Tenant.as_str(),
        ..*head
    };
    for tenant in &input.tenants {
        let Some(f) = figures(tenant) else { continue };
        // The holder's offerings covering the tenant, as its own availability shows it.
        let owner_scope = scopes
            .get(&tenant.account_id)
            .copied()
            .unwrap_or(OfferingScope::All);
        let covering: Vec<&Offering> = offerings
            .iter()
            .filter(|o| o.covers_scoped(tenant) && owner_scope.allows(o))
            .collect();
        let target = covering
            .iter()
            .map(|o| o.sla_target.percent())
            .fold(None, |best: Option<f64>, t| {
                Some(best.map_or(t, |b| b.max(t)))
            })
            .unwrap_or(domain::SlaTarget::DEFAULT.percent());
        let lines: Vec<TenantOffering> = covering
            .iter()
            .map(|o| TenantOffering {
                offering_id: o.id.0,
                sla_target: o.sla_target.percent(),
                sla_met: f.sla_met(o.sla_target.percent()),
                credit_percent: credit(closing.policies.get(&o.id), f.sla_availability()),
            })
            .collect();
        let credit_percent = lines
            .iter()
            .filter_map(|l| l.credit_percent)
            .reduce(f64::max);
        let body = canonical(&TenantStatement {
            head: &tenant_head,
            tenant: TenantRef {
                id: tenant.id.0,
                name: &tenant.name,
                service_id: tenant.service_id.0,
                classification_id: tenant.classification_id.0,
                account_id: tenant.account_id.0,
            },
            sla_target: target,
            figures: Measures::new(&f, target),
            offerings: lines,
            credit_percent,
        })?;
        drafts.push(Draft {
            kind: StatementKind::Tenant,
            subject_id: tenant.id.0,
            account_id: tenant.account_id.0,
            partner_id: tenant.managing_partner_id.map(|p| p.0),
            body,
        });
    }
    let offering_head = Head {
        kind: StatementKind::Offering.as_str(),
        ..*head
    };
    let mut rows = Vec::new();
    for offering in offerings {
        let target = offering.sla_target.percent();
        let policy = closing.policies.get(&offering.id);
        let covered: Vec<(&ScopedTenant, Figures)> = input
            .tenants
            .iter()
            .filter(|t| offering.covers_scoped(t))
            .filter_map(|t| figures(t).map(|f| (t, f)))
            .collect();
        let indexed: Vec<(usize, Figures)> = covered
            .iter()
            .enumerate()
            .map(|(at, (_, f))| (at, *f))
            .collect();
        let summary = rollup(&indexed, target);
        let credit_percent = credit(policy, summary.sla_availability);
        let brief = |at: usize| TenantBrief {
            tenant_id: covered[at].0.id.0,
            tenant_name: covered[at].0.name.clone(),
            availability: covered[at].1.availability(),
            sla_availability: covered[at].1.sla_availability(),
        };
        let body = canonical(&OfferingStatement {
            head: &offering_head,
            offering: OfferingRef {
                id: offering.id.0,
                name: offering.name.as_str(),
                kind: offering.kind.into(),
                service_id: offering.service_id.0,
                account_id: offering.account_id.0,
            },
            sla_target: target,
            tenant_count: covered.len(),
            availability: summary.availability,
            sla_availability: summary.sla_availability,
            weighted_availability: summary.weighted_availability,
            worst_tenant: summary.worst.map(|(at, _)| brief(at)),
            tenants_below_target: summary
                .below_target
                .iter()
                .map(|&at| covered[at].0.id.0)
                .collect(),
            credit_percent,
            tenants: covered
                .iter()
                .map(|(t, f)| OfferingTenant {
                    tenant_id: t.id.0,
                    tenant_name: &t.name,
                    availability: f.availability(),
                    sla_availability: f.sla_availability(),
                    sla_met: f.sla_met(target),
                    credit_percent: credit(policy, f.sla_availability()),
                })
                .collect(),
        })?;
        drafts.push(Draft {
            kind: StatementKind::Offering,
            subject_id: offering.id.0,
            account_id: offering.account_id.0,
            partner_id: None,
            body,
        });
        rows.push((
            offering.clone(),
            AccountOffering {
                offering_id: offering.id.0,
                offering_name: offering.name.to_string(),
                kind: offering.kind.into(),
                service_id: offering.service_id.0,
                sla_target: target,
                tenant_count: covered.len(),
                availability: summary.availability,
                sla_availability: summary.sla_availability,
                weighted_availability: summary.weighted_availability,
                worst_tenant_sla_availability: summary.worst.map(|(_, a)| a),
                tenants_below_target: summary.below_target.len(),
                credit_percent,
            },
        ));
    }
    Ok(ServiceStatements { drafts, rows })
}

/// Every statement of a closing, in a fixed order: by service its tenants then its offerings
/// (each in id order), then the accounts (in id order). Services are computed side by side on
/// the machine's cores.
pub(crate) fn statements(input: &ClosingInput, closing: &Closing<'_>) -> RepoResult<Vec<Draft>> {
    let head = Head {
        kind: "",
        version: 1,
        period: &closing.period,
        tz: closing.calendar.name(),
        from: closing.calendar.local(closing.window.from),
        to: closing.calendar.local(closing.window.to),
        data_version: input.version,
        issued_at: closing.issued_at,
    };
    let scopes: HashMap<AccountId, OfferingScope> = input
        .accounts
        .iter()
        .map(|(a, scope)| (a.id, *scope))
        .collect();
    let no_offerings = Vec::new();
    let computed = side_by_side(&input.services, |service| {
        let offerings = input.offerings.get(&service.id).unwrap_or(&no_offerings);
        service_statements(service, offerings, &scopes, closing, &head)
    });
    let mut drafts = Vec::new();
    let mut rows = Vec::new();
    for share in computed {
        let share = share?;
        drafts.extend(share.drafts);
        rows.extend(share.rows);
    }
    rows.sort_by_key(|(o, _)| o.id);
    let account_head = Head {
        kind: StatementKind::Account.as_str(),
        ..head
    };
    for (account, scope) in &input.accounts {
        let body = canonical(&AccountStatement {
            head: &account_head,
            account: AccountRef {
                id: account.id.0,
                name: account.name.as_str(),
                kind: account.kind.into(),
            },
            offerings: rows
                .iter()
                .filter(|(o, _)| scope.allows(o))
                .map(|(_, row)| row)
                .collect(),
        })?;
        drafts.push(Draft {
            kind: StatementKind::Account,
            subject_id: account.id.0,
            account_id: account.id.0,
            partner_id: None,
            body,
        });
    }
    Ok(drafts)
}
