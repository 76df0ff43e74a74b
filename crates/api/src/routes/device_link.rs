//! The live side of devices: commands and parameter writes, client/shared attributes, the
//! error and event logs the device edge writes.

use crate::AppState;
use crate::authz::Principal;
use crate::error::{ApiError, ApiResult, ErrorBody, HttpFailure};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::params::page_request;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use ironloom_core::command::{
    Attribute, AttributeScope, Command, CommandFilter, CommandKind, CommandRequest, CommandStatus,
    DeviceLink, SET_PROPERTIES_METHOD,
};
use ironloom_core::entity::*;
use ironloom_core::error::{FieldError, FieldErrorKind};
use ironloom_core::ids::{CommandId, DeviceId, ProductId};
use ironloom_core::telemetry::{HistoryQuery, Order, Selection, Value};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::Duration;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn register(r: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    r.routes(routes!(send_command, list_commands))
        .routes(routes!(get_command))
        .routes(routes!(get_attributes))
        .routes(routes!(get_shared_attributes, update_shared_attributes))
        .routes(routes!(device_errors))
        .routes(routes!(device_events))
        .routes(routes!(get_provisioning, set_provisioning))
}

use ironloom_core::device::{ERRORS_SERIES, EVENTS_SERIES};

/// Default wait for a two-way answer, and the most a caller may ask for.
const DEFAULT_TIMEOUT_MS: u64 = 10_000;
const MAX_TIMEOUT_MS: u64 = 300_000;
/// Default and longest queue time for an offline device.
const DEFAULT_QUEUE_TTL_S: u64 = 24 * 3600;
const MAX_QUEUE_TTL_S: u64 = 30 * 24 * 3600;
const MAX_METHOD_LEN: usize = 128;
const MAX_PARAMS_BYTES: usize = 64 * 1024;

pub(crate) fn link(state: &AppState) -> ApiResult<&Arc<dyn DeviceLink>> {
    state
        .link
        .as_ref()
        .ok_or(ApiError::from(ironloom_core::error::Error::Overloaded(
            "device connectivity is not running on this node",
        )))
}

/// What to do when the device is not listening.
#[derive(Debug, Clone, Copy, Default, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OfflinePolicy {
    /// Refuse with `409 device_offline` (the attempt is recorded as failed).
    #[default]
    Fail,
    /// Keep the command until the device listens, for `queue_ttl_s`.
    Queue,
}

/// A command: either `method` (a thing-model service, or any RPC method when the model
/// declares no services) with `params`, or `properties` to write.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommandInput {
    #[serde(default)]
    pub method: Option<String>,
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub params: Option<serde_json::Value>,
    /// Property values to write (checked: known, writable, in range).
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub properties: Option<JsonMap>,
    /// Do not wait for an answer: done when delivered.
    #[serde(default)]
    pub one_way: bool,
    /// How long to wait for the answer (default 10 000, at most 300 000).
    #[serde(default)]
    pub timeout_ms: Option<u64>,
    #[serde(default)]
    pub offline: OfflinePolicy,
    /// How long a queued command waits for the device (default one day, at most 30 days).
    #[serde(default)]
    pub queue_ttl_s: Option<u64>,
    /// Wait for the answer before responding (default true; false returns at once with
    /// the command `sent` or `queued`, to be polled).
    #[serde(default)]
    pub wait: Option<bool>,
}

fn invalid(field: &str, en: &str, zh: &str) -> ApiError {
    FieldError::new(
        field,
        FieldErrorKind::Other {
            en: en.into(),
            zh: zh.into(),
        },
    )
    .into()
}

impl CommandInput {
    fn into_request(self) -> ApiResult<CommandRequest> {
        let (kind, method, params) = match (self.method, self.properties) {
            (Some(m), None) => {
                if m.is_empty() || m.len() > MAX_METHOD_LEN || m.chars().any(char::is_control) {
                    return Err(FieldError::new(
                        "method",
                        FieldErrorKind::TooLong {
                            max: MAX_METHOD_LEN,
                        },
                    )
                    .into());
                }
                (
                    CommandKind::Call,
                    m,
                    self.params.unwrap_or(serde_json::Value::Null),
                )
            }
            (None, Some(props)) => {
                if self.params.is_some() {
                    return Err(invalid(
                        "params",
                        "give either method with params, or properties",
                        "请只提供 method（及 params）或 properties 之一",
                    ));
                }
                (
                    CommandKind::SetProperties,
                    SET_PROPERTIES_METHOD.to_owned(),
                    serde_json::Value::Object(props),
                )
            }
            _ => {
                return Err(invalid(
                    "method",
                    "give either method (with params) or properties",
                    "请提供 method（及 params）或 properties 之一",
                ));
            }
        };
        let size = serde_json::to_vec(&params).map_or(usize::MAX, |v| v.len());
        if size > MAX_PARAMS_BYTES {
            return Err(invalid(
                "params",
                &format!("params are {size} bytes, more than {MAX_PARAMS_BYTES}"),
                &format!("params 为 {size} 字节，超过上限 {MAX_PARAMS_BYTES}"),
            ));
        }
        let timeout_ms = self.timeout_ms.unwrap_or(DEFAULT_TIMEOUT_MS);
        if !(1..=MAX_TIMEOUT_MS).contains(&timeout_ms) {
            return Err(FieldError::new(
                "timeout_ms",
                FieldErrorKind::OutOfRange {
                    min: 1,
                    max: MAX_TIMEOUT_MS as i64,
                },
            )
            .into());
        }
        let queue_for = match self.offline {
            OfflinePolicy::Fail => {
                if self.queue_ttl_s.is_some() {
                    return Err(invalid(
                        "queue_ttl_s",
                        "queue_ttl_s needs \"offline\": \"queue\"",
                        "queue_ttl_s 需要配合 \"offline\": \"queue\" 使用",
                    ));
                }
                None
            }
            OfflinePolicy::Queue => {
                let ttl = self.queue_ttl_s.unwrap_or(DEFAULT_QUEUE_TTL_S);
                if !(1..=MAX_QUEUE_TTL_S).contains(&ttl) {
                    return Err(FieldError::new(
                        "queue_ttl_s",
                        FieldErrorKind::OutOfRange {
                            min: 1,
                            max: MAX_QUEUE_TTL_S as i64,
                        },
                    )
                    .into());
                }
                Some(Duration::from_secs(ttl))
            }
        };
        Ok(CommandRequest {
            kind,
            method,
            params,
            one_way: self.one_way,
            timeout: Duration::from_millis(timeout_ms),
            queue_for,
            wait: self.wait.unwrap_or(true),
        })
    }
}

/// Send a command or parameter write to a device.
///
/// `200` with the command when it ended (`succeeded`, `failed` — e.g. the device answered
/// with an error — or `timed_out`); `202` when it is `queued` or `sent` and not waited
/// for (poll `GET /api/v1/commands/{id}`); `409 device_offline` when the device is not
/// listening and `offline` is `fail`; `422` when the command does not fit the thing model
/// (`unknown_service`, `unknown_property`, `not_writable`, `no_writable_property`,
/// `out_of_range` …).
#[utoipa::path(post, path = "/api/v1/devices/{id}/commands", tag = "commands",
    params(("id" = DeviceId, Path)), request_body = CommandInput,
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = Command), (status = 202, body = Command),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn send_command(
    State(state): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<DeviceId>,
    ApiJson(input): ApiJson<CommandInput>,
) -> ApiResult<Response> {
    let req = input.into_request()?;
    let tenant = p.tenant()?;
    let c = link(&state)?
        .send_command(&p.actor(), tenant, id, req)
        .await?;
    let status = if c.status.is_final() {
        StatusCode::OK
    } else {
        StatusCode::ACCEPTED
    };
    Ok((status, Json(c)).into_response())
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CommandQuery {
    /// `queued`, `sent`, `succeeded`, `failed`, `timed_out`, `expired`.
    status: Option<String>,
    page: Option<u32>,
    page_size: Option<u32>,
    /// `created_at` (default, newest first with `-created_at`), `status`.
    sort: Option<String>,
}

/// A device's commands with their results (newest first by default).
#[utoipa::path(get, path = "/api/v1/devices/{id}/commands", tag = "commands",
    params(("id" = DeviceId, Path), CommandQuery), security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = Page<Command>), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn list_commands(
    State(state): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<DeviceId>,
    ApiQuery(q): ApiQuery<CommandQuery>,
) -> ApiResult<Json<Page<Command>>> {
    let tenant = p.tenant()?;
    // 404 for a device of another tenant rather than an empty list.
    state.store.get_device(tenant, id).await?;
    let page = page_request(
        q.page,
        q.page_size,
        Some(q.sort.as_deref().unwrap_or("-created_at")),
        None,
    )?;
    let status = match q.status.as_deref() {
        None => None,
        Some(s) => Some(CommandStatus::parse(s).ok_or_else(|| {
            ApiError::from(HttpFailure::InvalidQuery {
                detail: format!("unknown status {s:?}"),
            })
        })?),
    };
    let filter = CommandFilter {
        device_id: Some(id),
        status,
    };
    Ok(Json(
        state.store.list_commands(tenant, &filter, &page).await?,
    ))
}

/// One command and its result.
#[utoipa::path(get, path = "/api/v1/commands/{id}", tag = "commands",
    params(("id" = CommandId, Path)), security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = Command), (status = 404, body = ErrorBody)))]
async fn get_command(
    State(state): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<CommandId>,
) -> ApiResult<Json<Command>> {
    Ok(Json(state.store.get_command(p.tenant()?, id).await?))
}

/// Attributes of one scope: `client` (reported by the device), `shared` (set here, pushed
/// to the device) or `server` (on the device record).
#[utoipa::path(get, path = "/api/v1/devices/{id}/attributes/{scope}", tag = "devices",
    params(("id" = DeviceId, Path), ("scope" = String, Path, description = "client, shared or server")),
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = Vec<Attribute>), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_attributes(
    State(state): State<AppState>,
    p: Principal,
    ApiPath((id, scope)): ApiPath<(DeviceId, String)>,
) -> ApiResult<Json<Vec<Attribute>>> {
    read_attributes(&state, &p, id, &scope).await
}

/// Shared attributes (set here, pushed to the device). The path of their `PATCH`, which
/// the router matches before `…/attributes/{scope}`, so it answers `GET` itself.
#[utoipa::path(get, path = "/api/v1/devices/{id}/attributes/shared", tag = "devices",
    params(("id" = DeviceId, Path)),
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = Vec<Attribute>), (status = 404, body = ErrorBody)))]
async fn get_shared_attributes(
    State(state): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<DeviceId>,
) -> ApiResult<Json<Vec<Attribute>>> {
    read_attributes(&state, &p, id, "shared").await
}

async fn read_attributes(
    state: &AppState,
    p: &Principal,
    id: DeviceId,
    scope: &str,
) -> ApiResult<Json<Vec<Attribute>>> {
    let tenant = p.tenant()?;
    if scope == "server" {
        let d = state.store.get_device(tenant, id).await?;
        return Ok(Json(
            d.attributes
                .into_iter()
                .map(|(key, value)| Attribute {
                    key,
                    value,
                    updated_at: d.updated_at,
                })
                .collect(),
        ));
    }
    let scope = AttributeScope::parse(scope).ok_or_else(|| {
        ApiError::from(HttpFailure::InvalidPath {
            detail: format!("unknown attribute scope {scope:?}: client, shared or server"),
        })
    })?;
    Ok(Json(
        state.store.get_attributes(tenant, id, scope, None).await?,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SharedAttributesInput {
    /// Values to write.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub set: JsonMap,
    /// Keys to delete.
    #[serde(default)]
    pub remove: Vec<String>,
}

/// Write or delete shared attributes; a connected device gets the change at once.
#[utoipa::path(patch, path = "/api/v1/devices/{id}/attributes/shared", tag = "devices",
    params(("id" = DeviceId, Path)), request_body = SharedAttributesInput,
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = Vec<Attribute>), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update_shared_attributes(
    State(state): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<DeviceId>,
    ApiJson(input): ApiJson<SharedAttributesInput>,
) -> ApiResult<Json<Vec<Attribute>>> {
    let tenant = p.tenant()?;
    let actor = p.actor();
    let link = link(&state)?;
    if input.remove.len() > ironloom_core::command::MAX_ATTRIBUTES {
        return Err(FieldError::new(
            "remove",
            FieldErrorKind::TooMany {
                max: ironloom_core::command::MAX_ATTRIBUTES,
            },
        )
        .into());
    }
    if !input.set.is_empty() {
        link.set_shared_attributes(&actor, tenant, id, input.set)
            .await?;
    }
    if !input.remove.is_empty() {
        link.delete_shared_attributes(&actor, tenant, id, input.remove)
            .await?;
    }
    Ok(Json(
        state
            .store
            .get_attributes(tenant, id, AttributeScope::Shared, None)
            .await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct LogQuery {
    /// Entries at or after this time (ms since the epoch).
    from: Option<i64>,
    /// Entries before this time (ms since the epoch).
    to: Option<i64>,
    /// Most entries per page (default 50, at most 1000).
    limit: Option<u32>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
}

/// One entry of a device's error or event log.
#[derive(Debug, Serialize, ToSchema)]
pub struct LogEntry {
    /// When it happened (ms since the epoch).
    pub ts: i64,
    /// The entry: errors have `code`, `key`, `message`, `message_zh`, `source`; events have
    /// `type` (`event`, `connected`, `disconnected`) and its details.
    #[schema(value_type = Object)]
    pub entry: serde_json::Value,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LogPage {
    pub items: Vec<LogEntry>,
    /// Pass as `cursor` for the next (older) page; absent on the last page.
    pub next_cursor: Option<String>,
}

async fn read_log(
    state: &AppState,
    p: &Principal,
    id: DeviceId,
    series: &str,
    q: LogQuery,
) -> ApiResult<Json<LogPage>> {
    let tenant = p.tenant()?;
    state.store.get_device(tenant, id).await?;
    let limit = q.limit.unwrap_or(50);
    if !(1..=1000).contains(&limit) {
        return Err(HttpFailure::InvalidQuery {
            detail: "limit must be 1 to 1000".into(),
        }
        .into());
    }
    let ms = |v: Option<i64>, default: i64| -> ApiResult<i64> {
        let v = v.unwrap_or(default);
        v.checked_mul(1000).ok_or_else(|| {
            ApiError::from(HttpFailure::InvalidQuery {
                detail: "time out of range".into(),
            })
        })
    };
    let page = state
        .telemetry
        .history(
            tenant,
            HistoryQuery {
                selection: Selection {
                    devices: vec![id],
                    properties: vec![series.into()],
                },
                from: ms(q.from, 0)?,
                to: ms(q.to, i64::MAX / 1000)?,
                order: Order::Desc,
                limit: limit as usize,
                cursor: q.cursor,
            },
        )
        .await?;
    let items = page
        .points
        .into_iter()
        .map(|pt| LogEntry {
            ts: pt.ts / 1000,
            entry: match pt.value {
                Value::Str(s) => serde_json::from_str(&s).unwrap_or(serde_json::Value::String(s)),
                other => serde_json::json!(format!("{other:?}")),
            },
        })
        .collect();
    Ok(Json(LogPage {
        items,
        next_cursor: page.next_cursor,
    }))
}

/// A device's error log: refused values and messages, newest first.
#[utoipa::path(get, path = "/api/v1/devices/{id}/errors", tag = "devices",
    params(("id" = DeviceId, Path), LogQuery), security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = LogPage), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn device_errors(
    State(state): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<DeviceId>,
    ApiQuery(q): ApiQuery<LogQuery>,
) -> ApiResult<Json<LogPage>> {
    read_log(&state, &p, id, ERRORS_SERIES, q).await
}

/// A device's event log: thing-model events, connects and disconnects, newest first.
#[utoipa::path(get, path = "/api/v1/devices/{id}/events", tag = "devices",
    params(("id" = DeviceId, Path), LogQuery), security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = LogPage), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn device_events(
    State(state): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<DeviceId>,
    ApiQuery(q): ApiQuery<LogQuery>,
) -> ApiResult<Json<LogPage>> {
    read_log(&state, &p, id, EVENTS_SERIES, q).await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProvisioningInput {
    /// False removes the product's provisioning (devices can no longer provision).
    pub enabled: bool,
    /// True: devices that do not exist are created; false: only devices registered
    /// beforehand get their credentials, once. Default true.
    #[serde(default)]
    pub allow_create: Option<bool>,
    /// Default: generated. Unique platform-wide.
    #[serde(default)]
    pub provision_key: Option<String>,
    /// Default: generated.
    #[serde(default)]
    pub provision_secret: Option<String>,
}

/// A product's device-provisioning key and secret (`null` when off).
#[utoipa::path(get, path = "/api/v1/products/{id}/provisioning", tag = "products",
    params(("id" = ProductId, Path)), security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = Option<ProductProvisioning>), (status = 404, body = ErrorBody)))]
async fn get_provisioning(
    State(state): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<ProductId>,
) -> ApiResult<Json<Option<ProductProvisioning>>> {
    let tenant = p.tenant()?;
    state.store.get_product(tenant, id).await?;
    Ok(Json(state.store.get_provisioning(tenant, id).await?))
}

/// Turn device provisioning of a product on (with a new or given key and secret) or off.
#[utoipa::path(put, path = "/api/v1/products/{id}/provisioning", tag = "products",
    params(("id" = ProductId, Path)), request_body = ProvisioningInput,
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = Option<ProductProvisioning>), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn set_provisioning(
    State(state): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<ProductId>,
    ApiJson(input): ApiJson<ProvisioningInput>,
) -> ApiResult<Json<Option<ProductProvisioning>>> {
    let tenant = p.tenant()?;
    let new = if input.enabled {
        let key = input
            .provision_key
            .unwrap_or_else(|| format!("pv{}", crate::security::random_token(18)));
        let secret = input
            .provision_secret
            .unwrap_or_else(|| crate::security::random_token(32));
        ironloom_core::validate::identifier("provision_key", &key, 128)?;
        if secret.len() < 16 || secret.len() > 128 || !secret.chars().all(|c| c.is_ascii_graphic())
        {
            return Err(invalid(
                "provision_secret",
                "the secret must be 16 to 128 printable characters without spaces",
                "密钥须为 16 至 128 个不含空格的可打印字符",
            ));
        }
        Some(NewProvisioning {
            provision_key: key,
            provision_secret: secret,
            allow_create: input.allow_create.unwrap_or(true),
        })
    } else {
        None
    };
    Ok(Json(
        state
            .store
            .set_provisioning(&p.actor(), tenant, id, new)
            .await?,
    ))
}
