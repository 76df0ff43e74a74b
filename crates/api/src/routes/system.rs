//! System health for the console: this node (version, uptime, metadata backend), device
//! traffic since it started (connected devices, messages and values stored: the console
//! turns two readings into rates), and the tenant's devices and storage.

use std::sync::OnceLock;

use crate::AppState;
use crate::authz::Principal;
use crate::error::{ApiResult, ErrorBody};
use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use ironloom_core::command::Traffic;
use ironloom_core::entity::{DeviceFilter, DeviceSort, PageRequest};
use ironloom_core::telemetry::StorageStats;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

static STARTED: OnceLock<DateTime<Utc>> = OnceLock::new();

pub fn register(r: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    STARTED.get_or_init(Utc::now);
    r.routes(routes!(health))
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
    }))
}
