//! Rules: versioned documents per tenant (see `ironloom_core::rule`). Saving checks the
//! document against itself and against the thing models of the products it watches;
//! every problem is named with its path and, inside an expression, its position.

use crate::AppState;
use crate::authz::Principal;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::params::page_request;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use ironloom_core::entity::{Page, RuleSort};
use ironloom_core::error::{Error, FieldError, FieldErrorKind};
use ironloom_core::ids::{DeviceId, RuleId, TenantId};
use ironloom_core::peers::Change;
use ironloom_core::rule::{Rule, RuleCounters, RuleDoc, RuleProblem, RuleUpdate, RuleVersion};
use ironloom_core::telemetry::Value;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn register(r: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    r.routes(routes!(list_rules, create_rule))
        .routes(routes!(check_rule))
        .routes(routes!(get_rule, update_rule, delete_rule))
        .routes(routes!(rule_versions))
        .routes(routes!(rule_stats))
        .routes(routes!(dry_run))
        .routes(routes!(dry_run_saved))
}

/// Tells the running engine (if any) to read the rules again; the change is in force
/// on this node when this returns (other nodes of a cluster are told to follow).
async fn reload(state: &AppState, tenant: TenantId) -> ApiResult<()> {
    if let Some(r) = &state.rules {
        r.reload().await?;
    }
    state.changed(Change::Rules { tenant });
    Ok(())
}

/// The data of the platform's device events, by event.
pub const EVENT_FIELDS: [(&str, &[&str]); 3] = [
    ("connected", &["transport"]),
    ("disconnected", &["reason"]),
    ("rpc", &["method", "params"]),
];

/// Every problem of a rule: its own, and those against the products it watches (unknown
/// products; expressions reading properties none of them has).
async fn problems(
    state: &AppState,
    tenant: TenantId,
    doc: &RuleDoc,
) -> ApiResult<Vec<RuleProblem>> {
    let mut out = Vec::new();
    let mut properties: Option<Vec<String>> = None;
    if !doc.source.products.is_empty() {
        let mut all = Vec::new();
        let mut schemaless = false;
        for (i, key) in doc.source.products.iter().enumerate() {
            match state.store.find_product_by_key(tenant, key).await? {
                None => out.push(RuleProblem {
                    path: format!("source.products[{i}]"),
                    position: None,
                    message: format!("no product with the key `{key}`"),
                }),
                Some(p) if p.thing_model.properties.is_empty() => schemaless = true,
                Some(p) => {
                    // The fields of the thing-model events the rule watches read like
                    // properties.
                    for e in &p.thing_model.events {
                        if doc.source.events.contains(&e.identifier) {
                            all.extend(e.output.iter().map(|f| f.identifier.clone()));
                        }
                    }
                    all.extend(p.thing_model.properties.into_iter().map(|p| p.identifier));
                }
            }
        }
        // What the platform's own events carry.
        for (event, fields) in EVENT_FIELDS {
            if doc.source.events.iter().any(|e| e == event) {
                all.extend(fields.iter().map(|f| (*f).to_owned()));
            }
        }
        if doc.condition.no_data_seconds.is_some() {
            all.push("silent_ms".into());
        }
        if !schemaless && out.is_empty() {
            properties = Some(all);
        }
    }
    out.extend(doc.check_with(properties.as_deref(), Some(state.models)));
    app_problems(state, tenant, doc, &mut out).await?;
    Ok(out)
}

/// Each `app` action names an installation of the tenant that takes calls from rules,
/// and the rule's products are among the installation's.
async fn app_problems(
    state: &AppState,
    tenant: TenantId,
    doc: &RuleDoc,
    out: &mut Vec<RuleProblem>,
) -> ApiResult<()> {
    for (i, a) in doc.actions.iter().enumerate() {
        let ironloom_core::rule::Action::App { installation } = a else {
            continue;
        };
        // A malformed id is already a problem of the document.
        let Ok(id) = installation.parse() else {
            continue;
        };
        let mut problem = |message: String| {
            out.push(RuleProblem {
                path: format!("actions[{i}].installation"),
                position: None,
                message,
            })
        };
        let inst = match state.store.get_installation(tenant, id).await {
            Ok(inst) => inst,
            Err(Error::NotFound(_)) => {
                problem(format!("no app installation `{installation}`"));
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        if let Some(edge) = &inst.spec.edge {
            problem(format!(
                "`{}` runs on the gateway `{}`; rules call apps that run on the platform",
                inst.spec.name, edge.gateway
            ));
        }
        let info = state
            .store
            .get_app_package_info(tenant, &inst.spec.app_id, &inst.spec.version)
            .await?;
        if !info
            .manifest
            .triggers
            .contains(&ironloom_core::app::Trigger::Rule)
        {
            problem(format!(
                "the app of `{}` takes no calls from rules (its manifest has no `rule` trigger)",
                inst.spec.name
            ));
        }
        for key in &doc.source.products {
            if !inst.spec.products.contains(key) {
                problem(format!(
                    "the rule reads product `{key}`, which is not one of `{}`'s products",
                    inst.spec.name
                ));
            }
        }
        if doc.source.products.is_empty() {
            problem(format!(
                "the rule reads every product; name the products of `{}`",
                inst.spec.name
            ));
        }
    }
    Ok(())
}

fn refused(problems: &[RuleProblem]) -> Error {
    let all: Vec<String> = problems.iter().map(ToString::to_string).collect();
    let first = problems.first().map_or("document", |p| p.path.as_str());
    crate::error::document_refused(first, &all, "规则")
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct RuleQuery {
    page: Option<u32>,
    page_size: Option<u32>,
    /// `name`, `created_at`, `updated_at`; `-` prefix for descending.
    sort: Option<String>,
}

/// List the tenant's rules.
#[utoipa::path(get, path = "/api/v1/rules", tag = "rules", params(RuleQuery),
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = Page<Rule>), (status = 400, body = ErrorBody)))]
async fn list_rules(
    State(state): State<AppState>,
    p: Principal,
    ApiQuery(q): ApiQuery<RuleQuery>,
) -> ApiResult<Json<Page<Rule>>> {
    let page = page_request::<RuleSort>(q.page, q.page_size, q.sort.as_deref(), None)?;
    Ok(Json(state.store.list_rules(p.tenant()?, &page).await?))
}

/// Create a rule (version 1). A document with problems is refused with every one of them.
#[utoipa::path(post, path = "/api/v1/rules", tag = "rules", request_body = RuleDoc,
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 201, body = Rule), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_rule(
    State(state): State<AppState>,
    p: Principal,
    ApiJson(doc): ApiJson<RuleDoc>,
) -> ApiResult<(StatusCode, Json<Rule>)> {
    let tenant = p.tenant()?;
    let found = problems(&state, tenant, &doc).await?;
    if !found.is_empty() {
        return Err(refused(&found).into());
    }
    let r = state.store.create_rule(&p.actor(), tenant, doc).await?;
    reload(&state, tenant).await?;
    Ok((StatusCode::CREATED, Json(r)))
}

/// What a check found.
#[derive(Debug, Serialize, ToSchema)]
pub struct RuleCheck {
    /// Empty when the rule can be saved.
    pub problems: Vec<RuleProblem>,
}

/// Check a rule without saving it: every problem, with its path and position.
#[utoipa::path(post, path = "/api/v1/rules/check", tag = "rules", request_body = RuleDoc,
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = RuleCheck), (status = 422, body = ErrorBody)))]
async fn check_rule(
    State(state): State<AppState>,
    p: Principal,
    ApiJson(doc): ApiJson<RuleDoc>,
) -> ApiResult<Json<RuleCheck>> {
    Ok(Json(RuleCheck {
        problems: problems(&state, p.tenant()?, &doc).await?,
    }))
}

/// A rule at its current version.
#[utoipa::path(get, path = "/api/v1/rules/{id}", tag = "rules", params(("id" = RuleId, Path)),
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = Rule), (status = 404, body = ErrorBody)))]
async fn get_rule(
    State(state): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<RuleId>,
) -> ApiResult<Json<Rule>> {
    Ok(Json(state.store.get_rule(p.tenant()?, id).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct VersionQuery {
    /// Apply only if the rule is still at this version (409 otherwise).
    version: Option<i64>,
}

/// Replace a rule's document (the next version; the old one stays in the history).
/// Enabling and disabling is a change of `enabled`, in force at once.
#[utoipa::path(put, path = "/api/v1/rules/{id}", tag = "rules", params(("id" = RuleId, Path), VersionQuery),
    request_body = RuleDoc, security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = Rule), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update_rule(
    State(state): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<RuleId>,
    ApiQuery(q): ApiQuery<VersionQuery>,
    ApiJson(doc): ApiJson<RuleDoc>,
) -> ApiResult<Json<Rule>> {
    let tenant = p.tenant()?;
    // 404 before 422: another tenant's rule is not there to be checked against.
    state.store.get_rule(tenant, id).await?;
    let found = problems(&state, tenant, &doc).await?;
    if !found.is_empty() {
        return Err(refused(&found).into());
    }
    let r = state
        .store
        .update_rule(
            &p.actor(),
            tenant,
            id,
            RuleUpdate {
                document: doc,
                expected_version: q.version,
            },
        )
        .await?;
    reload(&state, tenant).await?;
    Ok(Json(r))
}

/// Delete a rule and its history.
#[utoipa::path(delete, path = "/api/v1/rules/{id}", tag = "rules", params(("id" = RuleId, Path)),
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 204), (status = 404, body = ErrorBody)))]
async fn delete_rule(
    State(state): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<RuleId>,
) -> ApiResult<StatusCode> {
    let tenant = p.tenant()?;
    state.store.delete_rule(&p.actor(), tenant, id).await?;
    reload(&state, tenant).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Every version of a rule, newest first.
#[utoipa::path(get, path = "/api/v1/rules/{id}/versions", tag = "rules", params(("id" = RuleId, Path)),
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = Vec<RuleVersion>), (status = 404, body = ErrorBody)))]
async fn rule_versions(
    State(state): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<RuleId>,
) -> ApiResult<Json<Vec<RuleVersion>>> {
    Ok(Json(state.store.rule_versions(p.tenant()?, id).await?))
}

/// What a rule has done since the engine started.
#[derive(Debug, Serialize, ToSchema)]
pub struct RuleStats {
    /// Whether the engine runs the rule (it is enabled and an engine runs on this node).
    pub running: bool,
    #[serde(flatten)]
    pub counters: RuleCounters,
}

/// A rule's counters: messages evaluated, matched, actions, errors and the last error.
#[utoipa::path(get, path = "/api/v1/rules/{id}/stats", tag = "rules", params(("id" = RuleId, Path)),
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = RuleStats), (status = 404, body = ErrorBody)))]
async fn rule_stats(
    State(state): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<RuleId>,
) -> ApiResult<Json<RuleStats>> {
    state.store.get_rule(p.tenant()?, id).await?;
    let counters = match &state.rules {
        Some(r) => r.counters(id).await,
        None => None,
    };
    Ok(Json(RuleStats {
        running: counters.is_some(),
        counters: counters.unwrap_or_default(),
    }))
}

/// Most sample messages in one dry run.
pub const MAX_DRY_RUN_MESSAGES: usize = 1000;

/// One sample message: telemetry (`values`), a device event (`event`, with `data`), or
/// with `tick: true` only the clock moving to `ts` (for no-data rules).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SampleMessage {
    /// Device name (default `device-1`).
    #[serde(default)]
    pub device: Option<String>,
    /// Product key (default: the rule's first product, else `product`).
    #[serde(default)]
    pub product: Option<String>,
    /// Milliseconds since 1970 (default: one second after the previous message; the first
    /// is now).
    #[serde(default)]
    pub ts: Option<i64>,
    #[serde(default)]
    #[schema(value_type = Object)]
    pub values: serde_json::Map<String, serde_json::Value>,
    #[serde(default)]
    pub event: Option<String>,
    #[serde(default)]
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
    /// The device's attributes (`attr.…`).
    #[serde(default)]
    #[schema(value_type = Object)]
    pub attributes: serde_json::Map<String, serde_json::Value>,
    /// The device's groups, by name.
    #[serde(default)]
    pub groups: Vec<String>,
    #[serde(default)]
    pub tick: bool,
}

/// A rule (unsaved) and sample messages.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DryRun {
    pub rule: RuleDoc,
    pub messages: Vec<SampleMessage>,
}

/// Sample messages for a saved rule.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DryRunSaved {
    pub messages: Vec<SampleMessage>,
}

/// What a dry run did: one step per message the rule looked at (its variables, windows,
/// condition, duration and effects), and its counters at the end. Nothing is carried out.
#[derive(Debug, Serialize, ToSchema)]
pub struct DryRunResult {
    #[schema(value_type = Vec<Object>)]
    pub steps: Vec<ironloom_rules::Step>,
    /// Effects of clock ticks (no-data firings), with the message index they follow.
    #[schema(value_type = Vec<Object>)]
    pub tick_effects: Vec<serde_json::Value>,
    pub counters: RuleCounters,
}

fn sample_value(v: &serde_json::Value) -> Option<Value> {
    match v {
        serde_json::Value::Bool(b) => Some(Value::Bool(*b)),
        serde_json::Value::Number(n) => match n.as_i64() {
            Some(i) => Some(Value::I64(i)),
            None => n.as_f64().map(Value::F64),
        },
        serde_json::Value::String(s) => Some(Value::Str(s.clone())),
        _ => None,
    }
}

fn run_dry(
    state: &AppState,
    tenant: TenantId,
    doc: RuleDoc,
    messages: Vec<SampleMessage>,
) -> ApiResult<DryRunResult> {
    if messages.len() > MAX_DRY_RUN_MESSAGES {
        return Err(Error::from(FieldError::new(
            "messages",
            FieldErrorKind::Other {
                en: format!("at most {MAX_DRY_RUN_MESSAGES} sample messages"),
                zh: format!("样例消息最多 {MAX_DRY_RUN_MESSAGES} 条"),
            },
        ))
        .into());
    }
    let rule = Rule {
        id: RuleId::new(),
        tenant_id: tenant,
        version: 1,
        document: doc,
        created_at: chrono::Utc::now(),
        updated_at: chrono::Utc::now(),
    };
    let rule_id = rule.id;
    let default_product = rule
        .document
        .source
        .products
        .first()
        .cloned()
        .unwrap_or_else(|| "product".into());
    let mut engine = ironloom_rules::Engine::with_trace();
    // Model calls of a dry run are calls like any other (counted for the tenant).
    engine.set_models(std::sync::Arc::new(
        ironloom_models::meter::MeteredCaller::new(state.meter.clone()),
    ));
    // A dry run shows a disabled rule at work too.
    let mut r = rule;
    r.document.enabled = true;
    engine.set_rules(vec![r]);
    let mut ids: std::collections::HashMap<String, DeviceId> = Default::default();
    let mut ts = chrono::Utc::now().timestamp_millis();
    let mut tick_effects = Vec::new();
    for (i, m) in messages.into_iter().enumerate() {
        ts = match m.ts {
            Some(t) => t,
            None if i == 0 => ts,
            None => ts + 1000,
        };
        if m.tick {
            for e in engine.tick(ts) {
                let mut j = e.to_json();
                j["after_message"] = serde_json::json!(i);
                tick_effects.push(j);
            }
            // Keep the step numbering in line with the message indexes.
            engine.skip_message();
            continue;
        }
        let name = m.device.unwrap_or_else(|| "device-1".into());
        let device = *ids.entry(name.clone()).or_default();
        let kind = match m.event {
            Some(e) => ironloom_rules::MessageKind::Event(e, m.data),
            None => {
                let mut vs = Vec::with_capacity(m.values.len());
                for (k, v) in &m.values {
                    let Some(x) = sample_value(v) else {
                        return Err(Error::from(FieldError::new(
                            format!("messages[{i}].values.{k}"),
                            FieldErrorKind::Other {
                                en: "a value must be a number, text or true/false".into(),
                                zh: "值必须是数字、文本或布尔值".into(),
                            },
                        ))
                        .into());
                    };
                    vs.push((k.clone(), x));
                }
                ironloom_rules::MessageKind::Telemetry(vs)
            }
        };
        let msg = ironloom_rules::Message {
            tenant,
            device,
            device_name: name.into(),
            product_key: m.product.unwrap_or_else(|| default_product.clone()).into(),
            groups: m.groups.into(),
            attributes: std::sync::Arc::new(m.attributes),
            ts_ms: ts,
            kind,
            origin: ironloom_core::ingest::Origin::Device,
            pos: None,
        };
        engine.on_message(&msg);
    }
    Ok(DryRunResult {
        steps: engine.take_trace(),
        tick_effects,
        counters: engine.counters(rule_id),
    })
}

/// Try an unsaved rule on sample messages and see each step. The rule is checked first
/// (422 with every problem); nothing is carried out, and rules it calls are not followed.
#[utoipa::path(post, path = "/api/v1/rules/dry-run", tag = "rules", request_body = DryRun,
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = DryRunResult), (status = 422, body = ErrorBody)))]
async fn dry_run(
    State(state): State<AppState>,
    p: Principal,
    ApiJson(req): ApiJson<DryRun>,
) -> ApiResult<Json<DryRunResult>> {
    let tenant = p.tenant()?;
    let found = problems(&state, tenant, &req.rule).await?;
    if !found.is_empty() {
        return Err(refused(&found).into());
    }
    Ok(Json(run_dry(&state, tenant, req.rule, req.messages)?))
}

/// Try a saved rule (its current version) on sample messages.
#[utoipa::path(post, path = "/api/v1/rules/{id}/dry-run", tag = "rules", params(("id" = RuleId, Path)),
    request_body = DryRunSaved, security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = DryRunResult), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn dry_run_saved(
    State(state): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<RuleId>,
    ApiJson(req): ApiJson<DryRunSaved>,
) -> ApiResult<Json<DryRunResult>> {
    let tenant = p.tenant()?;
    let rule = state.store.get_rule(tenant, id).await?;
    Ok(Json(run_dry(&state, tenant, rule.document, req.messages)?))
}
