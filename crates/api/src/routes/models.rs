//! The model and algorithm library: the catalogue (search in both languages, filters,
//! pages), one model's card with the JSON Schema of its inputs, and evaluation, one row
//! or many. Inputs may come in any unit of the right kind; refusals name the input.

use crate::AppState;
use crate::authz::Principal;
use crate::error::{ApiResult, ErrorBody, RequestLocale};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use axum::Json;
use axum::extract::{Extension, State};
use ironloom_core::entity::Page;
use ironloom_core::error::{Error, FieldError, FieldErrorKind};
use ironloom_core::i18n::Locale;
use ironloom_core::ids::TenantId;
use ironloom_core::model::{
    self, CallSource, Domain, Given, ModelCard, ModelError, ModelKind, OutputData, UsageRow,
};
use ironloom_models::meter::this_month;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Rows one batch call may evaluate.
pub const MAX_BATCH_ROWS: usize = 10_000;

pub fn register(r: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    r.routes(routes!(list_models))
        .routes(routes!(get_model))
        .routes(routes!(invoke))
        .routes(routes!(invoke_batch))
        .routes(routes!(usage))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ModelQuery {
    /// Words to find in the id, names, summaries and references (either language).
    q: Option<String>,
    /// `simulation`, `process`, `mechanism` or `algorithm`.
    kind: Option<String>,
    /// A GB/T 4754 division (`C34`) or section (`C`).
    industry: Option<String>,
    /// `design`, `production`, `operations`, `logistics`, `service`, `supply_chain`,
    /// `management`.
    domain: Option<String>,
    page: Option<u32>,
    page_size: Option<u32>,
}

/// A catalogue entry in the caller's language.
#[derive(Debug, Serialize, ToSchema)]
pub struct ModelSummary {
    pub id: String,
    pub version: u32,
    pub name: String,
    pub summary: String,
    pub kind: ModelKind,
    pub kind_name: String,
    pub industries: Vec<String>,
    pub domains: Vec<Domain>,
    /// The first reference's source.
    pub reference: String,
}

fn summary(c: &ModelCard, locale: Locale) -> ModelSummary {
    ModelSummary {
        id: c.id.into(),
        version: c.version,
        name: c.name.pick(locale).into(),
        summary: c.summary.pick(locale).into(),
        kind: c.kind,
        kind_name: c.kind.name().pick(locale).into(),
        industries: c.industries.iter().map(|s| s.to_string()).collect(),
        domains: c.domains.to_vec(),
        reference: c.references.first().map_or("", |r| r.source).into(),
    }
}

fn invalid(field: &str, en: String, zh: String) -> Error {
    FieldError::new(field.to_string(), FieldErrorKind::Other { en, zh }).into()
}

fn matches(c: &ModelCard, words: &[String]) -> bool {
    let hay = [c.id, c.name.en, c.name.zh, c.summary.en, c.summary.zh]
        .iter()
        .map(|s| s.to_lowercase())
        .chain(c.references.iter().map(|r| r.source.to_lowercase()))
        .collect::<Vec<_>>();
    words
        .iter()
        .all(|w| hay.iter().any(|h| h.contains(w.as_str())))
}

/// The catalogue: every model and algorithm that matches, a page at a time, by id.
#[utoipa::path(get, path = "/api/v1/models", tag = "models", params(ModelQuery),
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = Page<ModelSummary>), (status = 422, body = ErrorBody)))]
async fn list_models(
    State(state): State<AppState>,
    Extension(RequestLocale(locale)): Extension<RequestLocale>,
    ApiQuery(q): ApiQuery<ModelQuery>,
) -> ApiResult<Json<Page<ModelSummary>>> {
    let kind = match q.kind.as_deref() {
        None | Some("") => None,
        Some(k) => Some(
            ModelKind::ALL
                .into_iter()
                .find(|x| x.as_str() == k)
                .ok_or_else(|| {
                    invalid(
                        "kind",
                        format!("unknown kind {k:?} (simulation, process, mechanism, algorithm)"),
                        format!("未知类型 {k:?}（simulation、process、mechanism、algorithm）"),
                    )
                })?,
        ),
    };
    let domain = match q.domain.as_deref() {
        None | Some("") => None,
        Some(d) => Some(
            Domain::ALL
                .into_iter()
                .find(|x| x.as_str() == d)
                .ok_or_else(|| {
                    let all = Domain::ALL.map(|x| x.as_str()).join(", ");
                    invalid(
                        "domain",
                        format!("unknown domain {d:?} ({all})"),
                        format!("未知领域 {d:?}（{all}）"),
                    )
                })?,
        ),
    };
    let industry = q.industry.as_deref().filter(|s| !s.is_empty());
    let words: Vec<String> =
        q.q.as_deref()
            .unwrap_or("")
            .split_whitespace()
            .take(16)
            .map(str::to_lowercase)
            .collect();
    let page_size = q.page_size.unwrap_or(50).clamp(1, 500);
    let page = q.page.unwrap_or(1).max(1);
    let found: Vec<&ModelCard> = state
        .models
        .cards()
        .into_iter()
        .filter(|c| kind.is_none_or(|k| c.kind == k))
        .filter(|c| domain.is_none_or(|d| c.domains.contains(&d)))
        .filter(|c| industry.is_none_or(|i| c.industries.iter().any(|x| x.starts_with(i))))
        .filter(|c| matches(c, &words))
        .collect();
    let total = found.len() as u64;
    let items = found
        .into_iter()
        .skip((page as usize - 1).saturating_mul(page_size as usize))
        .take(page_size as usize)
        .map(|c| summary(c, locale))
        .collect();
    Ok(Json(Page {
        items,
        total,
        page,
        page_size,
    }))
}

/// A model's card (both languages) and the JSON Schema of an invocation's inputs.
#[derive(Debug, Serialize, ToSchema)]
pub struct ModelDetail {
    #[schema(value_type = Object)]
    pub card: Value,
    /// JSON Schema of `inputs` in an invocation.
    #[schema(value_type = Object)]
    pub input_schema: Value,
}

fn input_schema(c: &ModelCard) -> Value {
    let mut props = serde_json::Map::new();
    let mut required = Vec::new();
    for p in c.inputs {
        let mut number = json!({"type": "number", "description": p.label.en});
        if p.min.is_finite() {
            number["minimum"] = json!(p.min);
        }
        if p.max.is_finite() {
            number["maximum"] = json!(p.max);
        }
        let series = json!({"type": "array", "items": {"type": ["number", "null"]}, "minItems": 1,
            "maxItems": ironloom_core::model::MAX_SERIES});
        let schema = if p.shape == ironloom_core::model::Shape::Text {
            json!({
                "description": format!("{} / {}", p.label.en, p.label.zh),
                "type": "array", "minItems": 1, "maxItems": ironloom_core::model::MAX_TEXTS,
                "items": {"type": "string", "maxLength": ironloom_core::model::MAX_TEXT_CHARS}
            })
        } else if p.shape == ironloom_core::model::Shape::Series {
            json!({
                "description": format!("{} / {} [{}]", p.label.en, p.label.zh, p.unit),
                "oneOf": [
                    series,
                    {"type": "object", "required": ["values", "unit"],
                     "properties": {"values": series, "unit": {"type": "string"}},
                     "additionalProperties": false}
                ]
            })
        } else if p.choices.is_empty() {
            json!({
                "description": format!("{} / {} [{}]", p.label.en, p.label.zh, p.unit),
                "oneOf": [
                    number,
                    {"type": "object", "required": ["value", "unit"],
                     "properties": {"value": {"type": "number"}, "unit": {"type": "string"}},
                     "additionalProperties": false}
                ]
            })
        } else {
            json!({
                "description": format!("{} / {}", p.label.en, p.label.zh),
                "oneOf": [{"enum": p.choices}, {"type": "integer", "minimum": 0, "maximum": p.choices.len() - 1}]
            })
        };
        if p.default.is_none() {
            required.push(p.name);
        }
        props.insert(p.name.to_string(), schema);
    }
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "properties": props,
        "required": required,
        "additionalProperties": false
    })
}

fn card_of(state: &AppState, id: &str) -> Result<&'static ModelCard, Error> {
    state
        .models
        .card(id)
        .ok_or_else(|| ModelError::UnknownModel(id.to_string()).into())
}

/// One model's card and input schema.
#[utoipa::path(get, path = "/api/v1/models/{id}", tag = "models", params(("id" = String, Path)),
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = ModelDetail), (status = 404, body = ErrorBody)))]
async fn get_model(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<ModelDetail>> {
    let card = card_of(&state, &id)?;
    Ok(Json(ModelDetail {
        card: serde_json::to_value(card).map_err(|e| Error::storage("model card", e))?,
        input_schema: input_schema(card),
    }))
}

/// One evaluation: inputs by name, each a number in the declared unit, `{"value", "unit"}`
/// in another, an option's name, or for a series input an array (`null` for a gap) or
/// `{"values", "unit"}`; outputs optionally in other units.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InvokeRequest {
    #[schema(value_type = Object)]
    pub inputs: BTreeMap<String, Given>,
    /// Units for outputs, by output name.
    #[serde(default)]
    pub units: BTreeMap<String, String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InvokeResult {
    pub model: String,
    pub version: u32,
    /// Each output `{"value", "unit"}`, or for a series `{"values", "unit"}` (gaps `null`).
    #[schema(value_type = Object)]
    pub outputs: BTreeMap<&'static str, OutputData>,
    /// Time spent evaluating, microseconds.
    pub elapsed_us: u64,
}

fn evaluate(
    state: &AppState,
    card: &ModelCard,
    inputs: &BTreeMap<String, Given>,
    units: &BTreeMap<String, String>,
) -> Result<BTreeMap<&'static str, OutputData>, ModelError> {
    let x = model::prepare_data(card, inputs)?;
    let y = state.models.evaluate_data(card.id, x)?;
    model::present_data(card, y, units)
}

/// Evaluate a model once.
#[utoipa::path(post, path = "/api/v1/models/{id}/invoke", tag = "models", params(("id" = String, Path)),
    request_body = InvokeRequest, security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = InvokeResult), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn invoke(
    State(state): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<InvokeRequest>,
) -> ApiResult<Json<InvokeResult>> {
    let tenant = p.tenant()?;
    let card = card_of(&state, &id)?;
    admit(&state, tenant, 1).await?;
    let started = std::time::Instant::now();
    let result = evaluate(&state, card, &req.inputs, &req.units);
    let us = started.elapsed().as_micros() as u64;
    state
        .meter
        .record(tenant, card.id, CallSource::Api, result.is_ok(), us);
    let outputs = result.map_err(Error::from)?;
    Ok(Json(InvokeResult {
        model: card.id.into(),
        version: card.version,
        outputs,
        elapsed_us: us,
    }))
}

/// Refuses a tenant's calls beyond its monthly quota (429).
async fn admit(state: &AppState, tenant: TenantId, calls: u64) -> Result<(), Error> {
    state.meter.admit(&*state.store, tenant, calls).await
}

/// Many evaluations of one model: each row its own inputs; the output units are shared.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchRequest {
    #[schema(value_type = Vec<Object>)]
    pub rows: Vec<BTreeMap<String, Given>>,
    #[serde(default)]
    pub units: BTreeMap<String, String>,
}

/// One row's outcome: outputs, or the refusal of that row alone.
#[derive(Debug, Serialize, ToSchema)]
pub struct BatchRow {
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub outputs: Option<BTreeMap<&'static str, OutputData>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorBody>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BatchResult {
    pub model: String,
    pub version: u32,
    pub rows: Vec<BatchRow>,
    /// Rows evaluated without a refusal.
    pub ok: u64,
    pub elapsed_us: u64,
}

/// Evaluate a model on many rows (at most 10 000); a refused row does not stop the others.
#[utoipa::path(post, path = "/api/v1/models/{id}/invoke/batch", tag = "models", params(("id" = String, Path)),
    request_body = BatchRequest, security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = BatchResult), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn invoke_batch(
    State(state): State<AppState>,
    p: Principal,
    Extension(RequestLocale(locale)): Extension<RequestLocale>,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<BatchRequest>,
) -> ApiResult<Json<BatchResult>> {
    let tenant = p.tenant()?;
    let card = card_of(&state, &id)?;
    if req.rows.len() > MAX_BATCH_ROWS {
        return Err(invalid(
            "rows",
            format!(
                "at most {MAX_BATCH_ROWS} rows in one call, not {}",
                req.rows.len()
            ),
            format!("一次最多 {MAX_BATCH_ROWS} 行，而不是 {} 行", req.rows.len()),
        )
        .into());
    }
    admit(&state, tenant, req.rows.len() as u64).await?;
    let started = std::time::Instant::now();
    let mut ok = 0;
    let rows = req
        .rows
        .iter()
        .map(|inputs| match evaluate(&state, card, inputs, &req.units) {
            Ok(outputs) => {
                ok += 1;
                BatchRow {
                    outputs: Some(outputs),
                    error: None,
                }
            }
            Err(e) => BatchRow {
                outputs: None,
                error: Some(ErrorBody {
                    code: e.code().into(),
                    message: e.message(locale),
                }),
            },
        })
        .collect();
    let us = started.elapsed().as_micros() as u64;
    let n = req.rows.len() as u64;
    state
        .meter
        .record_many(tenant, card.id, CallSource::Batch, n, n - ok, us);
    Ok(Json(BatchResult {
        model: card.id.into(),
        version: card.version,
        rows,
        ok,
        elapsed_us: us,
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct UsageQuery {
    /// First month, `YYYY-MM` (default: eleven months before `to`).
    from: Option<String>,
    /// Last month, `YYYY-MM` (default: this month, UTC).
    to: Option<String>,
}

/// A month's calls over every model and path.
#[derive(Debug, Serialize, ToSchema)]
pub struct MonthTotal {
    pub month: String,
    pub calls: u64,
    pub errors: u64,
    pub cpu_us: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Quota {
    /// `null`: no limit.
    pub limit: Option<u64>,
    /// Calls this month.
    pub used: u64,
    pub month: String,
}

/// The tenant's model and algorithm calls.
#[derive(Debug, Serialize, ToSchema)]
pub struct Usage {
    pub from: String,
    pub to: String,
    pub quota: Quota,
    /// Per month, model and path (`api`, `batch`, `job`, `live`, `rule`).
    pub rows: Vec<UsageRow>,
    /// Per month, every month of the range (zero where nothing was called).
    pub months: Vec<MonthTotal>,
    /// Average calls a month (每月平均调用次数), over the months of the range from the first
    /// with calls up to this one.
    pub monthly_average: f64,
}

fn parse_month(field: &str, s: &str) -> Result<(i32, u32), Error> {
    let bad = || {
        invalid(
            field,
            format!("{s:?} is not a month written YYYY-MM"),
            format!("{s:?} 不是 YYYY-MM 格式的月份"),
        )
    };
    let (y, m) = s.split_once('-').ok_or_else(bad)?;
    let (y, m): (i32, u32) = (y.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    if s.len() != 7 || !(1970..=9999).contains(&y) || !(1..=12).contains(&m) {
        return Err(bad());
    }
    Ok((y, m))
}

fn next_month((y, m): (i32, u32)) -> (i32, u32) {
    if m == 12 { (y + 1, 1) } else { (y, m + 1) }
}

/// Calls per month, model and path, the months' totals and the quota.
#[utoipa::path(get, path = "/api/v1/usage", tag = "models", params(UsageQuery),
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = Usage), (status = 422, body = ErrorBody)))]
async fn usage(
    State(state): State<AppState>,
    p: Principal,
    ApiQuery(q): ApiQuery<UsageQuery>,
) -> ApiResult<Json<Usage>> {
    let tenant = p.tenant()?;
    let month = this_month();
    let to = parse_month("to", q.to.as_deref().unwrap_or(&month))?;
    let from = match q.from.as_deref() {
        Some(f) => parse_month("from", f)?,
        None if to.1 == 12 => (to.0, 1),
        None => (to.0 - 1, to.1 + 1),
    };
    if from > to {
        return Err(invalid(
            "from",
            "the first month is after the last".into(),
            "起始月份晚于结束月份".into(),
        )
        .into());
    }
    if (to.0 - from.0) * 12 + to.1 as i32 - from.1 as i32 >= 120 {
        return Err(invalid(
            "from",
            "at most 120 months at once".into(),
            "一次最多 120 个月".into(),
        )
        .into());
    }
    let fmt = |(y, m): (i32, u32)| format!("{y:04}-{m:02}");
    // What is counted but not yet stored goes first, so the answer has every call.
    ironloom_models::meter::flush(&state.meter, &*state.store).await?;
    let rows = state
        .store
        .model_usage(tenant, &fmt(from), &fmt(to))
        .await?;
    let mut months = Vec::new();
    let mut at = from;
    while at <= to {
        let key = fmt(at);
        let of = rows.iter().filter(|r| r.month == key);
        months.push(MonthTotal {
            calls: of.clone().map(|r| r.calls).sum(),
            errors: of.clone().map(|r| r.errors).sum(),
            cpu_us: of.map(|r| r.cpu_us).sum(),
            month: key,
        });
        at = next_month(at);
    }
    // From the first month with calls (a tenant's months before it used the library would
    // only dilute the figure) to this one.
    let past: Vec<&MonthTotal> = months
        .iter()
        .skip_while(|m| m.calls == 0)
        .filter(|m| m.month <= month)
        .collect();
    let monthly_average = if past.is_empty() {
        0.0
    } else {
        past.iter().map(|m| m.calls as f64).sum::<f64>() / past.len() as f64
    };
    let used: u64 = state
        .store
        .model_usage(tenant, &month, &month)
        .await?
        .iter()
        .map(|r| r.calls)
        .sum();
    let limit = state.store.get_tenant(tenant).await?.max_model_calls;
    Ok(Json(Usage {
        from: fmt(from),
        to: fmt(to),
        quota: Quota { limit, used, month },
        rows,
        months,
        monthly_average,
    }))
}
