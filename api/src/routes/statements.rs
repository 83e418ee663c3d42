//! Closed periods and their signed statements, the keys that verify them, and the offerings'
//! credit policies.

use actix_web::http::{header, StatusCode};
use actix_web::{delete, get, post, put, web, HttpRequest, HttpResponse};
use domain::availability::Calendar;
use domain::statement::{CreditPolicy, CreditTier, Month};
use domain::{AccountKind, OfferingId};
use persistence::repo::audit::Action;
use persistence::repo::statements::{
    self as repo, ClosedPeriod, Holder, NewPeriod, NewStatement, Statement, StatementFilter,
    StatementKind,
};
use persistence::{Record, RepoError};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};

use crate::http::auth::Authenticated;
use crate::http::error::{ApiError, ErrorCode, ReadProblems, WriteProblems};
use crate::http::extract::{JsonBody, QueryParams};
use crate::http::negotiate::{csv_response, wants_csv};
use crate::http::pagination::{Page, PageParams};
use crate::http::state::AppState;
use crate::views::statements::{closing_input, statements, Closing};

/// One tier of a credit policy.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreditTierBody {
    /// An SLA availability (percent) below this earns the tier's credit.
    #[schema(minimum = 0.0, maximum = 100.0)]
    pub below: f64,
    /// The credit, in percent of the month's fee.
    #[schema(minimum = 0.0, maximum = 100.0)]
    pub credit_percent: f64,
}

/// An offering's service credits, judged on the month's `sla_availability`: the largest credit
/// among the tiers whose `below` the availability misses, at most `cap_percent`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreditPolicyBody {
    /// 1–20 tiers, each with its own threshold.
    #[schema(min_items = 1, max_items = 20)]
    pub tiers: Vec<CreditTierBody>,
    /// The most credit any month earns (default 100).
    #[schema(minimum = 0.0, maximum = 100.0)]
    pub cap_percent: Option<f64>,
}

/// An offering's credit policy as stored.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CreditPolicyResponse {
    pub offering_id: i64,
    /// Highest threshold first.
    pub tiers: Vec<CreditTierBody>,
    pub cap_percent: f64,
    #[serde(with = "crate::http::wire::instant")]
    pub updated_at: OffsetDateTime,
}

impl CreditPolicyResponse {
    fn new(offering: OfferingId, record: &Record<CreditPolicy>) -> Self {
        Self {
            offering_id: offering.0,
            tiers: record
                .item
                .tiers()
                .iter()
                .map(|t| CreditTierBody {
                    below: t.below,
                    credit_percent: t.credit_percent,
                })
                .collect(),
            cap_percent: record.item.cap_percent(),
            updated_at: record.updated_at,
        }
    }
}

/// The credit policy of an offering the caller sees; 404 when it has none.
#[utoipa::path(tag = "statements", params(("id" = i64, Path, description = "Offering id")), responses((status = 200, body = CreditPolicyResponse), ReadProblems))]
#[get("/offerings/{id}/credit-policy")]
pub async fn get_credit_policy(
    state: web::Data<AppState>,
    caller: Authenticated,
    id: web::Path<i64>,
) -> Result<web::Json<CreditPolicyResponse>, ApiError> {
    let db = &state.db;
    let (scope, id) = (caller.0.offering_scope(), OfferingId(id.into_inner()));
    db.read(move |model| model.offering(scope, id)).await?;
    let found = db.run(move |conn| repo::credit_policy(conn, id)).await?;
    let record = found.ok_or_else(ApiError::not_found)?;
    Ok(web::Json(CreditPolicyResponse::new(id, &record)))
}

/// Set an offering's credit policy (provider admins); statements of periods closed later
/// carry its credits.
#[utoipa::path(tag = "statements", params(("id" = i64, Path, description = "Offering id")), request_body = CreditPolicyBody, responses((status = 200, body = CreditPolicyResponse), WriteProblems))]
#[put("/offerings/{id}/credit-policy")]
pub async fn put_credit_policy(
    state: web::Data<AppState>,
    caller: Authenticated,
    id: web::Path<i64>,
    body: JsonBody<CreditPolicyBody>,
) -> Result<web::Json<CreditPolicyResponse>, ApiError> {
    let db = &state.db;
    let (scope, id) = (caller.0.offering_scope(), OfferingId(id.into_inner()));
    caller
        .require_writer_of(db, move |conn| {
            persistence::repo::offerings::find(conn, scope, id)
        })
        .await?;
    let body = body.0;
    let tiers = body
        .tiers
        .iter()
        .map(|t| CreditTier {
            below: t.below,
            credit_percent: t.credit_percent,
        })
        .collect();
    let policy = CreditPolicy::parse(tiers, body.cap_percent)?;
    let writer = caller.0.clone();
    let saved = db
        .run(move |conn| {
            persistence::repo::transaction(conn, |conn| {
                persistence::repo::offerings::find(conn, domain::OfferingScope::All, id)?;
                let before =
                    repo::credit_policy(conn, id)?.map(|r| CreditPolicyResponse::new(id, &r));
                let after =
                    CreditPolicyResponse::new(id, &repo::put_credit_policy(conn, id, &policy)?);
                let action = if before.is_some() {
                    Action::Update
                } else {
                    Action::Create
                };
                crate::services::audit::record(
                    conn,
                    &writer,
                    action,
                    "credit_policy",
                    id.0,
                    before.as_ref(),
                    Some(&after),
                )?;
                Ok(after)
            })
        })
        .await?;
    Ok(web::Json(saved))
}

/// Remove an offering's credit policy (provider admins): later statements carry no credit.
#[utoipa::path(tag = "statements", params(("id" = i64, Path, description = "Offering id")), responses((status = 204, description = "Removed"), WriteProblems))]
#[delete("/offerings/{id}/credit-policy")]
pub async fn delete_credit_policy(
    state: web::Data<AppState>,
    caller: Authenticated,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let db = &state.db;
    let (scope, id) = (caller.0.offering_scope(), OfferingId(id.into_inner()));
    caller
        .require_writer_of(db, move |conn| {
            persistence::repo::offerings::find(conn, scope, id)
        })
        .await?;
    crate::services::audit::audited(
        db,
        &caller.0,
        "credit_policy",
        id.0,
        move |conn| {
            repo::credit_policy(conn, id)?
                .map(|r| CreditPolicyResponse::new(id, &r))
                .ok_or(RepoError::NotFound)
        },
        move |conn| repo::delete_credit_policy(conn, id).map(|()| None),
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Close a period: a calendar month in a time zone.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClosePeriodRequest {
    /// The month, `YYYY-MM`; it must have ended.
    #[schema(pattern = "^[0-9]{4}-[0-9]{2}$", example = "2026-11")]
    pub period: String,
    /// IANA time zone whose calendar the month follows (default `UTC`).
    #[schema(example = "Europe/Berlin")]
    pub tz: Option<String>,
}

/// A closed period.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SlaPeriodResponse {
    pub id: i64,
    pub period: String,
    pub tz: String,
    /// The month's first instant, in the zone's offset then.
    #[serde(with = "crate::http::wire::instant")]
    pub from: OffsetDateTime,
    /// The next month's first instant (exclusive).
    #[serde(with = "crate::http::wire::instant")]
    pub to: OffsetDateTime,
    /// The data version the statements were computed at.
    pub data_version: i64,
    /// Statements frozen: one per tenant, per offering and per partner or customer account.
    pub statement_count: i64,
    #[serde(with = "crate::http::wire::instant")]
    pub closed_at: OffsetDateTime,
}

impl SlaPeriodResponse {
    fn new(p: &ClosedPeriod) -> Self {
        let calendar = Calendar::parse(&p.tz).unwrap_or_default();
        Self {
            id: p.id,
            period: p.period.clone(),
            tz: p.tz.clone(),
            from: calendar.local(p.from),
            to: calendar.local(p.to),
            data_version: p.data_version,
            statement_count: p.statement_count,
            closed_at: p.closed_at,
        }
    }
}

/// Close a month (provider admins): freeze a signed statement per tenant, per offering and
/// per partner or customer account, each as its holder sees the month, with the credits of
/// the offerings' credit policies. Closing a (period, tz) again answers the first closing
/// with 200 and changes nothing.
#[utoipa::path(
    tag = "statements",
    params(crate::http::idempotency::IdempotencyKey),
    request_body = ClosePeriodRequest,
    responses(
        (status = 201, body = SlaPeriodResponse, description = "Closed now"),
        (status = 200, body = SlaPeriodResponse, description = "Closed before: the first closing"),
        WriteProblems
    )
)]
#[post("/sla-periods")]
pub async fn close_sla_period(
    state: web::Data<AppState>,
    caller: Authenticated,
    req: HttpRequest,
    body: JsonBody<ClosePeriodRequest>,
) -> Result<HttpResponse, ApiError> {
    let db = state.db.clone();
    caller.require_writer()?;
    let JsonBody(body, raw) = body;
    let month = Month::parse(&body.period)?;
    let calendar = Calendar::parse(body.tz.as_deref().unwrap_or("UTC"))?;
    let window = month.window(&calendar)?;
    let now = OffsetDateTime::now_utc();
    if window.to > now {
        return Err(ApiError::invalid(
            "period",
            "has not ended yet in this time zone: only a past month can be closed",
        ));
    }
    let signer = state.signer.clone().ok_or_else(|| {
        ApiError::new(
            ErrorCode::StatementKeyMissing,
            "this server has no statement signing key (SLR_STATEMENT_KEY)",
        )
    })?;
    let (p, t) = (month.to_string(), calendar.name().to_owned());
    let outcome = match db.run(move |conn| repo::find_period(conn, &p, &t)).await? {
        Some(existing) => (StatusCode::OK, existing),
        None => close_period(&state, &caller.0, (month, calendar), window, now, signer).await?,
    };
    // The answer goes through `Idempotency-Key` like every POST's: a retry with the key is
    // answered what the first request was (201), marked replayed.
    let (status, closed) = outcome;
    let response = SlaPeriodResponse::new(&closed);
    let location = format!(
        "/api/v1/statements?period={}&tz={}",
        response.period,
        form_urlencoded::byte_serialize(response.tz.as_bytes()).collect::<String>()
    );
    crate::http::idempotency::once(&db, &caller.0, &req, &raw, status, move |_| {
        Ok((Some(location.clone()), SlaPeriodResponse::new(&closed)))
    })
    .await
}

/// Computes, signs and stores the statements of a month not closed yet: 201 and the closing,
/// or 200 and the closing another request stored meanwhile.
async fn close_period(
    state: &AppState,
    writer: &domain::Caller,
    (month, calendar): (Month, Calendar),
    window: domain::availability::Window,
    now: OffsetDateTime,
    signer: std::sync::Arc<crate::http::signing::StatementSigner>,
) -> Result<(StatusCode, ClosedPeriod), ApiError> {
    let db = &state.db;
    let (period, tz) = (month.to_string(), calendar.name().to_owned());
    let policies = db.run(repo::credit_policies).await?;
    // The figures come from the read model, brought up to date first; its lock is held only
    // while the month's history is copied out, and the statements are computed and signed
    // without it and without a connection.
    db.catch_up().await?;
    let input = db
        .read(move |model| closing_input(model, window, now))
        .await?;
    let weights = state.weights;
    let version = input.version;
    let key = std::sync::Arc::clone(&signer);
    let period_name = period.clone();
    let signed = web::block(move || {
        let closing = Closing {
            period: period_name,
            calendar: &calendar,
            window,
            issued_at: now,
            policies: &policies,
            weights,
        };
        statements(&input, &closing)?
            .into_iter()
            .map(|draft| {
                let signature = key
                    .sign_detached(draft.body.as_bytes())
                    .map_err(|e| RepoError::Corrupt(e.to_string()))?;
                Ok(NewStatement {
                    kind: draft.kind,
                    subject_id: draft.subject_id,
                    version: 1,
                    account_id: draft.account_id,
                    partner_id: draft.partner_id,
                    body: draft.body,
                    signature,
                    key_id: key.key_id().to_owned(),
                })
            })
            .collect::<Result<Vec<_>, RepoError>>()
    })
    .await
    .map_err(ApiError::internal)??;
    let writer = writer.clone();
    let (p, t) = (period.clone(), tz.clone());
    let written = db
        .run(move |conn| {
            // Outside the data writers' queue until the audit entry (which moves the data
            // version, at the end): other writes go on while the statements are inserted.
            persistence::repo::side_transaction(conn, |conn| {
                let closed = repo::insert_period(
                    conn,
                    &NewPeriod {
                        period: &p,
                        tz: &t,
                        from: window.from,
                        to: window.to,
                        data_version: version,
                        statement_count: i64::try_from(signed.len()).unwrap_or(i64::MAX),
                        closed_by: Some(writer.contact_id.0),
                    },
                )?;
                repo::insert_statements(conn, closed.id, &signed)?;
                repo::register_key(conn, signer.key_id(), signer.jwk())?;
                let response = SlaPeriodResponse::new(&closed);
                crate::services::audit::created(conn, &writer, "sla_period", closed.id, &response)?;
                Ok(closed)
            })
        })
        .await;
    match written {
        Ok(closed) => Ok((StatusCode::CREATED, closed)),
        // Closed meanwhile by another request: its closing stands.
        Err(e) if e.code() == ErrorCode::AlreadyExists => db
            .run(move |conn| repo::find_period(conn, &period, &tz))
            .await?
            .map(|existing| (StatusCode::OK, existing))
            .ok_or_else(ApiError::not_found),
        Err(e) => Err(e),
    }
}

/// Which statements to list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatementListParams {
    /// The month, `YYYY-MM`.
    #[param(pattern = "^[0-9]{4}-[0-9]{2}$", example = "2026-11")]
    pub period: Option<String>,
    /// The time zone the period was closed in (every closing of the month when absent).
    pub tz: Option<String>,
    /// `tenant`, `offering` or `account`.
    pub kind: Option<StatementKindParam>,
    /// The tenant, offering or account the statement is about.
    pub subject_id: Option<i64>,
}

/// What a statement is about.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StatementKindParam {
    Tenant,
    Offering,
    Account,
}

impl From<StatementKindParam> for StatementKind {
    fn from(kind: StatementKindParam) -> Self {
        match kind {
            StatementKindParam::Tenant => Self::Tenant,
            StatementKindParam::Offering => Self::Offering,
            StatementKindParam::Account => Self::Account,
        }
    }
}

impl From<StatementKind> for StatementKindParam {
    fn from(kind: StatementKind) -> Self {
        match kind {
            StatementKind::Tenant => Self::Tenant,
            StatementKind::Offering => Self::Offering,
            StatementKind::Account => Self::Account,
        }
    }
}

/// A frozen statement: `statement` is the signed bytes themselves (canonical JSON, RFC 8785),
/// `signature` a detached JWS over them (EdDSA; keys at `/.well-known/jwks.json`).
#[derive(Debug, Serialize, ToSchema)]
pub struct StatementResponse {
    pub id: i64,
    pub period: String,
    pub tz: String,
    pub kind: StatementKindParam,
    pub subject_id: i64,
    pub version: i32,
    /// Who held the subject at the close.
    pub account_id: i64,
    /// `BASE64URL(header)..BASE64URL(signature)`: put `BASE64URL(statement bytes)` between
    /// the dots to verify it as a compact JWS.
    pub signature: String,
    /// The key id (`kid`) that signed it.
    pub key_id: String,
    #[serde(with = "crate::http::wire::instant")]
    pub created_at: OffsetDateTime,
    /// The statement, exactly the bytes signed.
    #[schema(value_type = Object)]
    pub statement: Box<serde_json::value::RawValue>,
}

impl TryFrom<Statement> for StatementResponse {
    type Error = ApiError;

    fn try_from(s: Statement) -> Result<Self, ApiError> {
        Ok(Self {
            id: s.id,
            period: s.period,
            tz: s.tz,
            kind: s.kind.into(),
            subject_id: s.subject_id,
            version: s.version,
            account_id: s.account_id,
            signature: s.signature,
            key_id: s.key_id,
            created_at: s.created_at,
            statement: serde_json::value::RawValue::from_string(s.body)
                .map_err(ApiError::internal)?,
        })
    }
}

/// Whose statements a caller reads: the provider every one; a partner what it held and its
/// customers' tenants; a customer what it held.
fn holder(caller: &domain::Caller) -> Holder {
    match caller.account_kind {
        AccountKind::Provider => Holder::Everyone,
        AccountKind::Partner => Holder::Partner(caller.account_id.0),
        AccountKind::Customer => Holder::Customer(caller.account_id.0),
    }
}

/// A CSV row of the statement list: the main figures of each statement.
#[derive(Debug, Serialize)]
struct StatementRow {
    id: i64,
    period: String,
    tz: String,
    kind: &'static str,
    subject_id: i64,
    subject_name: Option<String>,
    version: i32,
    account_id: i64,
    sla_target: Option<f64>,
    availability: Option<f64>,
    sla_availability: Option<f64>,
    weighted_availability: Option<f64>,
    unplanned_downtime_minutes: Option<f64>,
    planned_downtime_minutes: Option<f64>,
    degraded_minutes: Option<f64>,
    incident_count: Option<u64>,
    sla_met: Option<bool>,
    credit_percent: Option<f64>,
    signature: String,
}

impl StatementRow {
    fn new(s: &Statement) -> Result<Self, ApiError> {
        let body: serde_json::Value = serde_json::from_str(&s.body).map_err(ApiError::internal)?;
        let (subject, figures) = match s.kind {
            StatementKind::Tenant => (&body["tenant"], &body["figures"]),
            StatementKind::Offering => (&body["offering"], &body),
            StatementKind::Account => (&body["account"], &serde_json::Value::Null),
        };
        let number = |key: &str| figures[key].as_f64();
        Ok(Self {
            id: s.id,
            period: s.period.clone(),
            tz: s.tz.clone(),
            kind: s.kind.as_str(),
            subject_id: s.subject_id,
            subject_name: subject["name"].as_str().map(str::to_owned),
            version: s.version,
            account_id: s.account_id,
            sla_target: body["sla_target"].as_f64(),
            availability: number("availability"),
            sla_availability: number("sla_availability"),
            weighted_availability: number("weighted_availability"),
            unplanned_downtime_minutes: number("unplanned_downtime_minutes"),
            planned_downtime_minutes: number("planned_downtime_minutes"),
            degraded_minutes: number("degraded_minutes"),
            incident_count: figures["incident_count"].as_u64(),
            sla_met: figures["sla_met"].as_bool(),
            credit_percent: body["credit_percent"].as_f64(),
            signature: s.signature.clone(),
        })
    }
}

/// The statements of closed periods the caller holds, oldest first. `Accept: text/csv` (or
/// `/api/v1/statements.csv`) answers every matching statement (no paging) as one row each with
/// its main figures and signature.
#[utoipa::path(
    get,
    path = "/statements",
    tag = "statements",
    params(StatementListParams, PageParams),
    responses((status = 200, description = "The statements", content((Page<StatementResponse> = "application/json"), (String = "text/csv"))), ReadProblems)
)]
pub async fn list_statements(
    state: web::Data<AppState>,
    caller: Authenticated,
    req: HttpRequest,
    params: QueryParams<StatementListParams>,
    page: QueryParams<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let db = &state.db;
    let params = params.0;
    // The shape is checked; a month that cannot exist (`2026-13`) was never closed: no rows.
    if let Some(period) = &params.period {
        let shaped = period.len() == 7
            && period.bytes().enumerate().all(|(at, b)| {
                if at == 4 {
                    b == b'-'
                } else {
                    b.is_ascii_digit()
                }
            });
        if !shaped {
            return Err(ApiError::bad_parameter("period", "must be a month YYYY-MM"));
        }
    }
    let filter = StatementFilter {
        period: params.period,
        tz: params.tz,
        kind: params.kind.map(Into::into),
        subject_id: params.subject_id,
    };
    let holder = holder(&caller.0);
    // Both forms take the same (valid) paging parameters; the CSV holds every statement.
    let request = page.0.request()?;
    if wants_csv(&req) {
        let rows = db
            .run(move |conn| {
                persistence::repo::all_rows(|page| {
                    repo::statements_page(conn, holder, &filter, page)
                })
            })
            .await?;
        let rows = rows
            .iter()
            .map(StatementRow::new)
            .collect::<Result<Vec<_>, _>>()?;
        return csv_response(&rows, "statements.csv");
    }
    let found = db
        .run(move |conn| repo::statements_page(conn, holder, &filter, request))
        .await?;
    let found = found.try_map(StatementResponse::try_from)?;
    let page = Page::from_records(found, |item| item);
    Ok(HttpResponse::Ok().json(page))
}

/// One statement the caller holds: the body is exactly the signed bytes, the detached JWS is
/// in `Statement-Signature`.
#[utoipa::path(
    tag = "statements",
    params(("id" = i64, Path, description = "Statement id")),
    responses(
        (status = 200, description = "The signed bytes", body = Object,
         headers(("Statement-Signature" = String, description = "Detached JWS over the body (EdDSA)"))),
        ReadProblems
    )
)]
#[get("/statements/{id}")]
pub async fn get_statement(
    state: web::Data<AppState>,
    caller: Authenticated,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let (holder, id) = (holder(&caller.0), id.into_inner());
    let found = state
        .db
        .run(move |conn| repo::statement(conn, holder, id))
        .await?;
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .insert_header(("Statement-Signature", found.signature))
        .body(found.body))
}

/// A JSON Web Key Set (RFC 7517).
#[derive(Debug, Serialize, ToSchema)]
pub struct JwksResponse {
    /// Every public key that signed a statement, and the current one (OKP, Ed25519).
    #[schema(value_type = Vec<Object>)]
    pub keys: Vec<Box<serde_json::value::RawValue>>,
}

/// The public keys statements are verified with: the current key and every earlier one, so a
/// statement signed before a key rotation still verifies.
#[utoipa::path(tag = "statements", security(()), responses((status = 200, body = JwksResponse), (status = 503, description = "The database cannot be reached", body = crate::http::error::Problem, content_type = "application/problem+json")))]
#[get("/.well-known/jwks.json")]
pub async fn get_jwks(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let mut keys = state.db.run(repo::keys).await?;
    if let Some(signer) = &state.signer {
        if !keys.iter().any(|(kid, _)| kid == signer.key_id()) {
            keys.push((signer.key_id().to_owned(), signer.jwk().to_owned()));
        }
    }
    let keys = keys
        .into_iter()
        .map(|(_, jwk)| serde_json::value::RawValue::from_string(jwk).map_err(ApiError::internal))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .json(JwksResponse { keys }))
}
