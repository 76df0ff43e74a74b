//! Latest values: of one device (`GET /api/v1/devices/{id}/telemetry/latest`) or of many
//! (`POST /api/v1/telemetry/latest`), one object per value, or of many grouped by device in
//! arrays (`POST /api/v1/telemetry/latest/columns`): the device's id once, then its
//! properties, timestamps and values side by side, much less work to write and to read
//! for a whole plant, in JSON and in CBOR. (A route of its own rather than a parameter: each
//! route keeps one answer type, which typed clients rely on.)

use super::{Precision, check_device, selection, split_list};
use crate::AppState;
use crate::authz::Principal;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Encoded, Encoding};
use axum::extract::State;
use ironloom_core::ids::DeviceId;
use ironloom_core::telemetry::{LatestValue, Quality, Value};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct LatestParams {
    properties: Option<String>,
    precision: Option<Precision>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LatestOut {
    pub device: DeviceId,
    pub property: String,
    pub ts: i64,
    pub value: Value,
    pub quality: Quality,
}

/// One device's latest values as columns: the i-th property's newest point is at
/// `ts[i]` with `values[i]`.
#[derive(Debug, Serialize, ToSchema)]
pub struct LatestDeviceOut {
    pub device: DeviceId,
    pub properties: Vec<String>,
    pub ts: Vec<i64>,
    pub values: Vec<Value>,
    /// Present when some value is not `good`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quality: Option<Vec<Quality>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LatestColumnsOut {
    pub series: Vec<LatestDeviceOut>,
}

fn points(v: Vec<LatestValue>, precision: Precision) -> Vec<LatestOut> {
    v.into_iter()
        .map(|l| LatestOut {
            device: l.device,
            property: l.property,
            ts: precision.out(l.ts),
            value: l.value,
            quality: l.quality,
        })
        .collect()
}

fn columns(v: Vec<LatestValue>, precision: Precision) -> LatestColumnsOut {
    let mut series: Vec<LatestDeviceOut> = Vec::new();
    // The engine lists a device's series together; the index covers any other order.
    let mut at: HashMap<DeviceId, usize> = HashMap::new();
    for l in v {
        let i = match series.last() {
            Some(last) if last.device == l.device => series.len() - 1,
            _ => *at.entry(l.device).or_insert_with(|| {
                series.push(LatestDeviceOut {
                    device: l.device,
                    properties: Vec::new(),
                    ts: Vec::new(),
                    values: Vec::new(),
                    quality: None,
                });
                series.len() - 1
            }),
        };
        let d = &mut series[i];
        if l.quality != Quality::Good && d.quality.is_none() {
            d.quality = Some(vec![Quality::Good; d.values.len()]);
        }
        if let Some(q) = &mut d.quality {
            q.push(l.quality);
        }
        d.properties.push(l.property);
        d.ts.push(precision.out(l.ts));
        d.values.push(l.value);
    }
    LatestColumnsOut { series }
}

/// The newest value of each of a device's properties.
#[utoipa::path(get, path = "/api/v1/devices/{id}/telemetry/latest", tag = "telemetry",
    params(("id" = DeviceId, Path), LatestParams),
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, content((Vec<LatestOut> = "application/json"), (Vec<LatestOut> = "application/cbor"))), (status = 404, body = ErrorBody)))]
pub(super) async fn device_latest(
    State(state): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<DeviceId>,
    enc: Encoding,
    ApiQuery(q): ApiQuery<LatestParams>,
) -> ApiResult<Encoded<Vec<LatestOut>>> {
    let tenant = p.tenant()?;
    check_device(&state, tenant, id).await?;
    let v = state
        .telemetry
        .latest(
            tenant,
            selection(vec![id], split_list(q.properties.as_deref()))?,
        )
        .await?;
    Ok(Encoded(enc, points(v, q.precision.unwrap_or_default())))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ManyLatestInput {
    /// Devices; every device of the tenant with data when empty.
    #[serde(default)]
    pub devices: Vec<DeviceId>,
    #[serde(default)]
    pub properties: Vec<String>,
    #[serde(default)]
    pub precision: Precision,
}

/// The latest values a [`ManyLatestInput`] selects, of the caller's tenant.
async fn many(
    state: &AppState,
    p: &Principal,
    body: ManyLatestInput,
) -> ApiResult<Vec<LatestValue>> {
    let tenant = p.tenant()?;
    Ok(state
        .telemetry
        .latest(tenant, selection(body.devices, body.properties)?)
        .await?)
}

/// The newest value of each property of many devices.
#[utoipa::path(post, path = "/api/v1/telemetry/latest", tag = "telemetry",
    request_body = ManyLatestInput, security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, content((Vec<LatestOut> = "application/json"), (Vec<LatestOut> = "application/cbor")))))]
pub(super) async fn latest_many(
    State(state): State<AppState>,
    p: Principal,
    enc: Encoding,
    ApiJson(body): ApiJson<ManyLatestInput>,
) -> ApiResult<Encoded<Vec<LatestOut>>> {
    let precision = body.precision;
    Ok(Encoded(
        enc,
        points(many(&state, &p, body).await?, precision),
    ))
}

/// The newest value of each property of many devices, grouped by device: per device its
/// properties, timestamps and values as arrays (and qualities when one is not good).
#[utoipa::path(post, path = "/api/v1/telemetry/latest/columns", tag = "telemetry",
    request_body = ManyLatestInput, security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, content((LatestColumnsOut = "application/json"), (LatestColumnsOut = "application/cbor")))))]
pub(super) async fn latest_columns(
    State(state): State<AppState>,
    p: Principal,
    enc: Encoding,
    ApiJson(body): ApiJson<ManyLatestInput>,
) -> ApiResult<Encoded<LatestColumnsOut>> {
    let precision = body.precision;
    Ok(Encoded(
        enc,
        columns(many(&state, &p, body).await?, precision),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(device: DeviceId, property: &str, ts: i64, q: Quality) -> LatestValue {
        LatestValue {
            device,
            property: property.into(),
            ts,
            value: Value::F64(ts as f64),
            quality: q,
        }
    }

    #[test]
    fn columns_group_by_device_in_order_and_list_qualities_only_when_needed() {
        let (a, b) = (DeviceId::new(), DeviceId::new());
        let v = vec![
            value(a, "t", 1_000, Quality::Good),
            value(a, "p", 2_000, Quality::Good),
            value(b, "t", 3_000, Quality::Good),
            value(b, "p", 4_000, Quality::Bad),
            value(a, "late", 5_000, Quality::Good),
        ];
        let c = columns(v, Precision::Ms);
        assert_eq!(c.series.len(), 2);
        assert_eq!(c.series[0].device, a);
        assert_eq!(c.series[0].properties, ["t", "p", "late"]);
        assert_eq!(c.series[0].ts, [1, 2, 5]);
        assert!(c.series[0].quality.is_none());
        assert_eq!(c.series[1].properties, ["t", "p"]);
        assert_eq!(
            c.series[1].quality.as_deref(),
            Some(&[Quality::Good, Quality::Bad][..])
        );
        let p = points(vec![value(a, "t", 1_000, Quality::Good)], Precision::Us);
        assert_eq!((p.len(), p[0].ts), (1, 1_000));
    }
}
