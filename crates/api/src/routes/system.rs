//! System health for the console: this node (version, uptime, metadata backend), device
//! traffic since it started (connected devices, messages and values stored: the console
//! turns two readings into rates), and the tenant's devices and storage.

use std::sync::OnceLock;

use crate::AppState;
use crate::authz::Principal;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::ApiJson;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use ironloom_core::command::Traffic;
use ironloom_core::entity::{DeviceFilter, DeviceSort, PageRequest};
use ironloom_core::error::{Error, FieldErrorKind};
use ironloom_core::telemetry::StorageStats;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

static STARTED: OnceLock<DateTime<Utc>> = OnceLock::new();

pub fn register(r: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    STARTED.get_or_init(Utc::now);
    r.routes(routes!(health)).routes(routes!(drain))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SystemHealth {
    pub version: String,
    /// When this node's API started, and the time now (for rates between two readings).
    pub started_at: DateTime<Utc>,
    pub now: DateTime<Utc>,
    pub uptime_s: i64,
    /// `sqlite` or `postgres`.
    pub metadata_backend: String,
    /// The caller's tenant's devices (absent for the platform administrator).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub devices: Option<u64>,
    /// Device traffic on this node since it started: the caller's tenant, or all tenants
    /// for the platform administrator. Absent where no device edge runs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub traffic: Option<Traffic>,
    /// Time-series storage of the caller's tenant.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub storage: Option<StorageStats>,
    /// Cluster mode, for the platform administrator: the live nodes, the partitions'
    /// owners and this node's lag.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster: Option<ironloom_core::cluster::ClusterHealth>,
    /// This node is being drained for an upgrade.
    pub draining: bool,
}

/// How fast to send a drained node's devices elsewhere.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DrainInput {
    /// Devices told to reconnect to another node each second (1 to 100000; 500 if not
    /// given), so the other nodes take them over gradually.
    #[serde(default)]
    pub devices_per_second: Option<u32>,
}

/// What draining started.
#[derive(Debug, Serialize, ToSchema)]
pub struct DrainStatus {
    pub draining: bool,
    pub devices_per_second: u32,
}

/// This node's health and the caller's tenant's traffic and storage.
#[utoipa::path(get, path = "/api/v1/system/health", tag = "system",
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = SystemHealth), (status = 401, body = ErrorBody)))]
async fn health(State(state): State<AppState>, p: Principal) -> ApiResult<Json<SystemHealth>> {
    let tenant = p.tenant().ok();
    let started_at = *STARTED.get_or_init(Utc::now);
    let now = Utc::now();
    let (devices, storage) = match tenant {
        Some(t) => {
            let page: PageRequest<DeviceSort> = PageRequest {
                page_size: 1,
                ..Default::default()
            };
            let devices = state
                .store
                .list_devices(t, &DeviceFilter::default(), &page)
                .await?
                .total;
            (Some(devices), Some(state.telemetry.stats(t).await?))
        }
        None => (None, None),
    };
    let cluster = match &state.cluster {
        Some(c) if p.role == ironloom_core::auth::Role::PlatformAdmin => Some(c.health().await),
        _ => None,
    };
    Ok(Json(SystemHealth {
        version: env!("CARGO_PKG_VERSION").into(),
        started_at,
        now,
        uptime_s: (now - started_at).num_seconds(),
        metadata_backend: state.store.backend().into(),
        devices,
        traffic: state.link.as_ref().map(|l| l.traffic(tenant)),
        storage,
        cluster,
        draining: state.drain.as_ref().is_some_and(|d| d.draining()),
    }))
}

/// Drains this node for a rolling upgrade (platform administrator): new device
/// connections are refused with "use another server", connected devices are told to
/// reconnect elsewhere a few at a time, `/readyz` fails so load balancers send nothing
/// new, and in a cluster the node hands its partitions to the other nodes. Stop the node
/// once `GET /api/v1/system/health` shows no devices and (in a cluster) no partitions.
/// Asking again changes nothing.
#[utoipa::path(post, path = "/api/v1/system/drain", tag = "system",
    security(("bearer" = []), ("api_key" = [])),
    request_body = DrainInput,
    responses((status = 202, body = DrainStatus), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 503, body = ErrorBody)))]
async fn drain(
    State(state): State<AppState>,
    p: Principal,
    ApiJson(input): ApiJson<DrainInput>,
) -> ApiResult<(StatusCode, Json<DrainStatus>)> {
    if p.role != ironloom_core::auth::Role::PlatformAdmin {
        return Err(Error::Forbidden(None).into());
    }
    let rate = input.devices_per_second.unwrap_or(500);
    if !(1..=100_000).contains(&rate) {
        return Err(Error::invalid(
            "devices_per_second",
            FieldErrorKind::OutOfRange {
                min: 1,
                max: 100_000,
            },
        )
        .into());
    }
    let node = state
        .drain
        .as_ref()
        .ok_or(Error::Overloaded("no device edge runs in this process"))?;
    node.drain(rate).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(DrainStatus {
            draining: true,
            devices_per_second: rate,
        }),
    ))
}
