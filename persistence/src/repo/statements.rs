//! Closed periods, their signed statements, the keys that signed them, and the offerings'
//! credit policies.

use std::collections::HashMap;

use diesel::prelude::*;
use domain::statement::{CreditPolicy, CreditTier};
use domain::OfferingId;
use time::{OffsetDateTime, PrimitiveDateTime};

use super::{now, stored, utc, Page, PageRequest, Record};
use crate::connection::DbConnection;
use crate::schema::{credit_policies, statement_keys, statement_periods, statements};
use crate::{RepoError, RepoResult};

/// Tiers as stored: `below:credit` pairs separated by spaces (shortest round-trip decimals).
fn encode_tiers(policy: &CreditPolicy) -> String {
    policy
        .tiers()
        .iter()
        .map(|t| format!("{}:{}", t.below, t.credit_percent))
        .collect::<Vec<_>>()
        .join(" ")
}

fn decode_policy(tiers: &str, cap_percent: f64) -> RepoResult<CreditPolicy> {
    let corrupt = || RepoError::Corrupt(format!("credit policy tiers {tiers:?}"));
    let tiers = tiers
        .split(' ')
        .map(|pair| {
            let (below, credit) = pair.split_once(':').ok_or_else(corrupt)?;
            Ok(CreditTier {
                below: below.parse().map_err(|_| corrupt())?,
                credit_percent: credit.parse().map_err(|_| corrupt())?,
            })
        })
        .collect::<RepoResult<Vec<_>>>()?;
    CreditPolicy::parse(tiers, Some(cap_percent)).map_err(|e| RepoError::Corrupt(e.to_string()))
}

type PolicyRow = (i64, String, f64, PrimitiveDateTime, PrimitiveDateTime);

/// The credit policy of `offering`, if it has one.
pub fn credit_policy(
    conn: &mut DbConnection,
    offering: OfferingId,
) -> RepoResult<Option<Record<CreditPolicy>>> {
    let row: Option<PolicyRow> = credit_policies::table
        .find(offering.0)
        .first(conn)
        .optional()?;
    row.map(|(_, tiers, cap, created_at, updated_at)| {
        Ok(Record {
            item: decode_policy(&tiers, cap)?,
            created_at: utc(created_at),
            updated_at: utc(updated_at),
        })
    })
    .transpose()
}

/// Every offering's credit policy.
pub fn credit_policies(conn: &mut DbConnection) -> RepoResult<HashMap<OfferingId, CreditPolicy>> {
    let rows: Vec<PolicyRow> = credit_policies::table.load(conn)?;
    rows.into_iter()
        .map(|(id, tiers, cap, _, _)| Ok((OfferingId(id), decode_policy(&tiers, cap)?)))
        .collect()
}

/// Sets the credit policy of `offering` (replacing any it had).
pub fn put_credit_policy(
    conn: &mut DbConnection,
    offering: OfferingId,
    policy: &CreditPolicy,
) -> RepoResult<Record<CreditPolicy>> {
    let at = now();
    let tiers = encode_tiers(policy);
    // Update, else insert: portable on both backends (no ON CONFLICT through MultiConnection).
    let updated = diesel::update(credit_policies::table.find(offering.0))
        .set((
            credit_policies::tiers.eq(&tiers),
            credit_policies::cap_percent.eq(policy.cap_percent()),
            credit_policies::updated_at.eq(at),
        ))
        .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(credit_policies::table)
            .values((
                credit_policies::offering_id.eq(offering.0),
                credit_policies::tiers.eq(&tiers),
                credit_policies::cap_percent.eq(policy.cap_percent()),
                credit_policies::created_at.eq(at),
                credit_policies::updated_at.eq(at),
            ))
            .execute(conn)?;
    }
    credit_policy(conn, offering)?.ok_or(RepoError::NotFound)
}

/// Removes the credit policy of `offering`; `NotFound` when it had none.
pub fn delete_credit_policy(conn: &mut DbConnection, offering: OfferingId) -> RepoResult<()> {
    match diesel::delete(credit_policies::table.find(offering.0)).execute(conn)? {
        0 => Err(RepoError::NotFound),
        _ => Ok(()),
    }
}

/// A closed period: a calendar month in a time zone, and what its closing froze.
#[derive(Debug, Clone, PartialEq)]
pub struct ClosedPeriod {
    pub id: i64,
    /// `YYYY-MM`.
    pub period: String,
    /// The IANA zone whose calendar the month follows.
    pub tz: String,
    pub from: OffsetDateTime,
    pub to: OffsetDateTime,
    /// The data version the statements were computed at.
    pub data_version: i64,
    pub statement_count: i64,
    pub closed_by: Option<i64>,
    pub closed_at: OffsetDateTime,
}

type PeriodRow = (
    i64,
    String,
    String,
    PrimitiveDateTime,
    PrimitiveDateTime,
    i64,
    i64,
    Option<i64>,
    PrimitiveDateTime,
);

fn period_of(row: PeriodRow) -> ClosedPeriod {
    let (id, period, tz, from, to, data_version, statement_count, closed_by, closed_at) = row;
    ClosedPeriod {
        id,
        period,
        tz,
        from: utc(from),
        to: utc(to),
        data_version,
        statement_count,
        closed_by,
        closed_at: utc(closed_at),
    }
}

/// The closing of `period` in `tz`, if it was closed.
pub fn find_period(
    conn: &mut DbConnection,
    period: &str,
    tz: &str,
) -> RepoResult<Option<ClosedPeriod>> {
    let row: Option<PeriodRow> = statement_periods::table
        .filter(statement_periods::period.eq(period))
        .filter(statement_periods::tz.eq(tz))
        .first(conn)
        .optional()?;
    Ok(row.map(period_of))
}

/// A closing about to be stored.
#[derive(Debug, Clone)]
pub struct NewPeriod<'a> {
    pub period: &'a str,
    pub tz: &'a str,
    pub from: OffsetDateTime,
    pub to: OffsetDateTime,
    pub data_version: i64,
    pub statement_count: i64,
    pub closed_by: Option<i64>,
}

/// Records a closing; `Duplicate` when (period, tz) was closed already.
pub fn insert_period(conn: &mut DbConnection, new: &NewPeriod<'_>) -> RepoResult<ClosedPeriod> {
    diesel::insert_into(statement_periods::table)
        .values((
            statement_periods::period.eq(new.period),
            statement_periods::tz.eq(new.tz),
            statement_periods::window_from.eq(stored(new.from)),
            statement_periods::window_to.eq(stored(new.to)),
            statement_periods::data_version.eq(new.data_version),
            statement_periods::statement_count.eq(new.statement_count),
            statement_periods::closed_by.eq(new.closed_by),
            statement_periods::closed_at.eq(now()),
        ))
        .execute(conn)?;
    find_period(conn, new.period, new.tz)?.ok_or(RepoError::NotFound)
}

/// What a statement is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StatementKind {
    Tenant,
    Offering,
    Account,
}

impl StatementKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Tenant => "tenant",
            Self::Offering => "offering",
            Self::Account => "account",
        }
    }

    fn parse(raw: &str) -> RepoResult<Self> {
        Ok(match raw {
            "tenant" => Self::Tenant,
            "offering" => Self::Offering,
            "account" => Self::Account,
            other => return Err(RepoError::Corrupt(format!("statement kind {other:?}"))),
        })
    }
}

/// A signed statement about to be stored.
#[derive(Debug, Clone)]
pub struct NewStatement {
    pub kind: StatementKind,
    pub subject_id: i64,
    pub version: i32,
    /// Who held the subject at the close: the tenant's owner, the offering's account, the
    /// account itself.
    pub account_id: i64,
    /// The owner's managing partner (tenant statements).
    pub partner_id: Option<i64>,
    /// The exact bytes signed (canonical JSON).
    pub body: String,
    /// The detached JWS over `body`.
    pub signature: String,
    pub key_id: String,
}

/// Rows per INSERT: well within both backends' bound-parameter limits.
const BATCH: usize = 500;

/// Stores the statements of the closing `period_id`, in batches.
pub fn insert_statements(
    conn: &mut DbConnection,
    period_id: i64,
    new: &[NewStatement],
) -> RepoResult<()> {
    let at = now();
    for chunk in new.chunks(BATCH) {
        let rows: Vec<_> = chunk
            .iter()
            .map(|s| {
                (
                    statements::period_id.eq(period_id),
                    statements::kind.eq(s.kind.as_str()),
                    statements::subject_id.eq(s.subject_id),
                    statements::version.eq(s.version),
                    statements::account_id.eq(s.account_id),
                    statements::partner_id.eq(s.partner_id),
                    statements::body.eq(&s.body),
                    statements::signature.eq(&s.signature),
                    statements::key_id.eq(&s.key_id),
                    statements::created_at.eq(at),
                )
            })
            .collect();
        // A multi-row INSERT does not compile through the MultiConnection (its DEFAULT
        // keyword): it runs on the backend's own connection.
        match conn {
            DbConnection::Postgresql(pg) => diesel::insert_into(statements::table)
                .values(rows)
                .execute(pg)?,
            DbConnection::Sqlite(lite) => diesel::insert_into(statements::table)
                .values(rows)
                .execute(lite)?,
        };
    }
    Ok(())
}

/// A stored statement with its period.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    pub id: i64,
    pub period: String,
    pub tz: String,
    pub kind: StatementKind,
    pub subject_id: i64,
    pub version: i32,
    pub account_id: i64,
    pub body: String,
    pub signature: String,
    pub key_id: String,
    pub created_at: OffsetDateTime,
}

/// Whose statements a reader gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Holder {
    /// The provider: every statement.
    Everyone,
    /// A customer: what it held at the close (its tenants, its offerings, its account).
    Customer(i64),
    /// A partner: what it held, and its customers' tenants.
    Partner(i64),
}

/// Filters of the statement list.
#[derive(Debug, Clone, Default)]
pub struct StatementFilter {
    pub period: Option<String>,
    pub tz: Option<String>,
    pub kind: Option<StatementKind>,
    pub subject_id: Option<i64>,
}

type StatementRow = (
    i64,
    String,
    String,
    String,
    i64,
    i32,
    i64,
    String,
    String,
    String,
    PrimitiveDateTime,
);

fn statement_of(row: StatementRow) -> RepoResult<Statement> {
    let (id, period, tz, kind, subject_id, version, account_id, body, signature, key_id, at) = row;
    Ok(Statement {
        id,
        period,
        tz,
        kind: StatementKind::parse(&kind)?,
        subject_id,
        version,
        account_id,
        body,
        signature,
        key_id,
        created_at: utc(at),
    })
}

macro_rules! statement_query {
    ($holder:expr) => {{
        let mut query = statements::table
            .inner_join(statement_periods::table)
            .select((
                statements::id,
                statement_periods::period,
                statement_periods::tz,
                statements::kind,
                statements::subject_id,
                statements::version,
                statements::account_id,
                statements::body,
                statements::signature,
                statements::key_id,
                statements::created_at,
            ))
            .into_boxed();
        match $holder {
            Holder::Everyone => {}
            Holder::Customer(id) => query = query.filter(statements::account_id.eq(id)),
            Holder::Partner(id) => {
                query = query.filter(
                    statements::account_id.eq(id).or(statements::kind
                        .eq(StatementKind::Tenant.as_str())
                        .and(statements::partner_id.eq(id))),
                )
            }
        }
        query
    }};
}

/// The statements `holder` may read, in id order.
pub fn statements_page(
    conn: &mut DbConnection,
    holder: Holder,
    filter: &StatementFilter,
    page: PageRequest,
) -> RepoResult<Page<Statement>> {
    let mut query = statement_query!(holder);
    if let Some(period) = &filter.period {
        query = query.filter(statement_periods::period.eq(period.clone()));
    }
    if let Some(tz) = &filter.tz {
        query = query.filter(statement_periods::tz.eq(tz.clone()));
    }
    if let Some(kind) = filter.kind {
        query = query.filter(statements::kind.eq(kind.as_str()));
    }
    if let Some(subject) = filter.subject_id {
        query = query.filter(statements::subject_id.eq(subject));
    }
    if let Some(after) = page.after {
        query = query.filter(statements::id.gt(after));
    }
    let rows: Vec<StatementRow> = query
        .order(statements::id.asc())
        .limit(page.limit + 1)
        .load(conn)?;
    let rows = rows
        .into_iter()
        .map(statement_of)
        .collect::<RepoResult<Vec<_>>>()?;
    Ok(Page::from_rows(rows, page, |s| s.id))
}

/// Statement `id`, when `holder` may read it.
pub fn statement(conn: &mut DbConnection, holder: Holder, id: i64) -> RepoResult<Statement> {
    let row: StatementRow = statement_query!(holder)
        .filter(statements::id.eq(id))
        .first(conn)?;
    statement_of(row)
}

/// Keeps a signing key's public JWK (JSON) under its key id, once.
pub fn register_key(conn: &mut DbConnection, key_id: &str, jwk: &str) -> RepoResult<()> {
    let known: i64 = statement_keys::table
        .filter(statement_keys::key_id.eq(key_id))
        .count()
        .get_result(conn)?;
    if known == 0 {
        diesel::insert_into(statement_keys::table)
            .values((
                statement_keys::key_id.eq(key_id),
                statement_keys::jwk.eq(jwk),
                statement_keys::created_at.eq(now()),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Every public key that ever signed a statement (JWK JSON), oldest first.
pub fn keys(conn: &mut DbConnection) -> RepoResult<Vec<(String, String)>> {
    Ok(statement_keys::table
        .select((statement_keys::key_id, statement_keys::jwk))
        .order(statement_keys::created_at.asc())
        .load(conn)?)
}
