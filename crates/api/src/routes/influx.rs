//! InfluxDB-compatible writes: `POST /write` (InfluxDB 1.x) and `POST /api/v2/write`
//! (2.x) take the line protocol into the caller's tenant, so tools that speak it (the
//! InfluxDB client libraries, `influx -import`, Telegraf's InfluxDB outputs) send device
//! data without a line of new code. `GET|HEAD /ping` answers as InfluxDB does, for the
//! clients that check the server first. (Not `/health`: that path is the console's.)
//!
//! Credentials: an API key (or a session token) as `Authorization: Token …` (2.x),
//! as the password of HTTP Basic or the `p` parameter (1.x; the user name is not used),
//! or as `Bearer` / `X-API-Key` like the rest of the API. The key needs
//! `telemetry:write`.
//!
//! The mapping (docs/line-protocol.md): each line is a message of one device of the
//! tenant, named by its `device` tag (another tag with `device_tag=…`), or by the
//! measurement when the line has no such tag; each field is the property of that name (or
//! `measurement_field` with `properties=measurement`); other tags are not stored. Values
//! are checked against the device's thing model on the one ingest path, as if the device
//! had sent them. `db`, `rp`, `bucket` and `org` are accepted and not used: the tenant is
//! the key's.
//!
//! Answers: 204 when every line was stored. Otherwise the lines that could be stored are
//! (as InfluxDB's partial writes), and the answer is 400 with what was refused — the first
//! reasons with their line numbers and the counts — in the body InfluxDB 1.x clients read
//! (`error`) and the one 2.x clients read (`code`, `message`).

use crate::AppState;
use crate::authz::{CompatApi, Principal};
use crate::error::{ApiError, HttpFailure, RequestLocale};
use axum::Router;
use axum::body::Body;
use axum::extract::{Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine;
use ironloom_core::device::Reported;
use ironloom_core::error::{AuthFailure, Error};
use ironloom_core::i18n::Locale;
use ironloom_core::ids::{DeviceId, TenantId};
use ironloom_core::ingest::{IngestError, Origin};
use ironloom_tsdb_io::line::{self, FieldValue, Precision};
use serde_json::{Value as Json, json};
use std::collections::HashMap;
use std::io::Read;

/// Where InfluxDB clients put their credentials, and how InfluxDB refuses.
pub const INFLUX_API: CompatApi = CompatApi {
    presented,
    refuse,
    default_locale: Locale::En,
};

/// Refusals listed in an answer at most (the rest are counted).
const LISTED: usize = 10;

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/write", post(write_v1))
        .route("/api/v2/write", post(write_v2))
        .route("/ping", get(ping).head(ping))
        .route_layer(axum::middleware::from_fn_with_state(
            (state.clone(), INFLUX_API),
            crate::authz::authorize_compat,
        ))
        .with_state(state)
}

/// `Authorization: Token KEY`, Basic with the key as password, `p=KEY`, else a bearer
/// token or `X-API-Key`.
fn presented(req: &Request) -> Result<Option<String>, ApiError> {
    let bad = || ApiError::from(Error::Unauthenticated(AuthFailure::InvalidCredentials));
    let headers = req.headers();
    let auth = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    if let Some(a) = auth {
        if let Some(t) = a
            .strip_prefix("Token ")
            .or_else(|| a.strip_prefix("token "))
        {
            return Ok(Some(t.trim().to_string()));
        }
        if let Some(b) = a
            .strip_prefix("Basic ")
            .or_else(|| a.strip_prefix("basic "))
        {
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(b.trim())
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or_else(bad)?;
            let (_, password) = decoded.split_once(':').ok_or_else(bad)?;
            return Ok((!password.is_empty()).then(|| password.to_string()));
        }
    }
    // The query's pairs as `Query` reads them (the credential check runs before the
    // handler's extractors).
    let password = Query::<Vec<(String, String)>>::try_from_uri(req.uri())
        .ok()
        .and_then(|Query(pairs)| pairs.into_iter().find(|(k, _)| k == "p"))
        .map(|(_, v)| v)
        .filter(|p| !p.is_empty());
    if password.is_some() {
        return Ok(password);
    }
    crate::authz::presented_credential(headers)
}

/// A body as InfluxDB answers an error: `error` for 1.x clients, `code` and `message`
/// for 2.x clients.
fn influx_error(status: StatusCode, code: &str, message: &str) -> Response {
    let mut res = (
        status,
        axum::Json(json!({"code": code, "message": message, "error": message})),
    )
        .into_response();
    if let Ok(v) = HeaderValue::from_str(&message.replace(['\r', '\n'], " ")) {
        res.headers_mut().insert("x-influxdb-error", v);
    }
    version_headers(res.headers_mut());
    res
}

fn refuse(e: &ApiError, locale: Locale) -> Response {
    let status = e.status();
    let code = match status {
        StatusCode::UNAUTHORIZED => "unauthorized",
        StatusCode::FORBIDDEN => "forbidden",
        StatusCode::PAYLOAD_TOO_LARGE => "request too large",
        StatusCode::SERVICE_UNAVAILABLE => "unavailable",
        s if s.is_server_error() => "internal error",
        _ => "invalid",
    };
    influx_error(status, code, &e.message(locale))
}

fn version_headers(h: &mut HeaderMap) {
    h.insert(
        "x-influxdb-version",
        HeaderValue::from_static(concat!("ironloom-", env!("CARGO_PKG_VERSION"))),
    );
    h.insert("x-influxdb-build", HeaderValue::from_static("OSS"));
}

async fn ping() -> Response {
    let mut res = StatusCode::NO_CONTENT.into_response();
    version_headers(res.headers_mut());
    res
}

/// Which InfluxDB API a write came through (their default precisions differ in name only).
#[derive(Clone, Copy)]
enum Api {
    V1,
    V2,
}

async fn write_v1(
    State(state): State<AppState>,
    axum::Extension(p): axum::Extension<Principal>,
    axum::Extension(RequestLocale(locale)): axum::Extension<RequestLocale>,
    Query(params): Query<Vec<(String, String)>>,
    req: Request,
) -> Response {
    write(state, p, locale, Api::V1, params, req).await
}

async fn write_v2(
    State(state): State<AppState>,
    axum::Extension(p): axum::Extension<Principal>,
    axum::Extension(RequestLocale(locale)): axum::Extension<RequestLocale>,
    Query(params): Query<Vec<(String, String)>>,
    req: Request,
) -> Response {
    write(state, p, locale, Api::V2, params, req).await
}

/// What a write's parameters say.
struct WriteParams {
    precision: Precision,
    device_tag: String,
    prefixed: bool,
}

/// The parameters, or why they are refused.
fn write_params(
    api: Api,
    params: &[(String, String)],
    locale: Locale,
) -> Result<WriteParams, String> {
    let bad = |en: String, zh: String| {
        Err(match locale {
            Locale::En => en,
            Locale::ZhCn => zh,
        })
    };
    let mut out = WriteParams {
        precision: Precision::Nanoseconds,
        device_tag: "device".into(),
        prefixed: false,
    };
    for (k, v) in params {
        match k.as_str() {
            "precision" => match Precision::parse(v) {
                // 2.x names four of them.
                Some(Precision::Minutes | Precision::Hours) if matches!(api, Api::V2) => {
                    return bad(
                        format!("precision {v:?} is not one of ns, us, ms, s"),
                        format!("精度 {v:?} 不是 ns、us、ms、s 之一"),
                    );
                }
                Some(p) => out.precision = p,
                None => {
                    return bad(
                        format!("precision {v:?} is not one of ns (n), us (u), ms, s, m, h"),
                        format!("精度 {v:?} 不是 ns（n）、us（u）、ms、s、m、h 之一"),
                    );
                }
            },
            "device_tag" if !v.is_empty() => out.device_tag = v.clone(),
            "properties" => match v.as_str() {
                "field" => out.prefixed = false,
                "measurement" => out.prefixed = true,
                _ => {
                    return bad(
                        format!("properties {v:?} is not field or measurement"),
                        format!("properties {v:?} 不是 field 或 measurement"),
                    );
                }
            },
            // InfluxDB's own parameters: the tenant is the key's, consistency is always
            // full (the answer comes when the data is durable).
            _ => {}
        }
    }
    Ok(out)
}

/// Reads the body, gzip-compressed or not, up to `limit` bytes (after decompression).
async fn read_body(req: Request, limit: usize, locale: Locale) -> Result<Vec<u8>, Response> {
    let too_large = || refuse(&HttpFailure::PayloadTooLarge { limit }.into(), locale);
    let gzip = req
        .headers()
        .get(header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("gzip"));
    let raw = axum::body::to_bytes(Body::new(req.into_body()), limit)
        .await
        .map_err(|_| too_large())?;
    if !gzip {
        return Ok(raw.to_vec());
    }
    let mut out = Vec::with_capacity(raw.len() * 4);
    let read = flate2::read::GzDecoder::new(&raw[..])
        .take(limit as u64 + 1)
        .read_to_end(&mut out);
    match read {
        Err(e) => Err(influx_error(
            StatusCode::BAD_REQUEST,
            "invalid",
            &match locale {
                Locale::En => format!("the gzip body could not be read: {e}"),
                Locale::ZhCn => format!("无法解压 gzip 请求体：{e}"),
            },
        )),
        Ok(_) if out.len() > limit => Err(too_large()),
        Ok(_) => Ok(out),
    }
}

/// One device's part of a write.
struct DeviceLines {
    name: String,
    /// How many values the body has for it.
    values: usize,
    /// The first line that named it (for refusals).
    first_line: usize,
    /// How many lines named it.
    lines: usize,
}

async fn write(
    state: AppState,
    p: Principal,
    locale: Locale,
    api: Api,
    params: Vec<(String, String)>,
    req: Request,
) -> Response {
    let tenant = match p.tenant() {
        Ok(t) => t,
        Err(e) => return refuse(&e, locale),
    };
    let Some(ingest) = state.ingest.clone() else {
        return refuse(
            &Error::Overloaded("device ingest is not running on this node").into(),
            locale,
        );
    };
    let params = match write_params(api, &params, locale) {
        Ok(p) => p,
        Err(why) => return influx_error(StatusCode::BAD_REQUEST, "invalid", &why),
    };
    let body = match read_body(req, state.settings.import_body_limit, locale).await {
        Ok(b) => b,
        Err(r) => return r,
    };
    let mut refused: Vec<String> = Vec::new();
    let mut refused_lines = 0usize;
    let mut devices: Vec<DeviceLines> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    // Every value with its device's position in `devices`, in the body's order; dealt out
    // per device once their numbers are known (growing thousands of small lists one value
    // at a time cost more than parsing).
    let mut values: Vec<(u32, Reported)> = Vec::new();
    for l in line::lines(&body) {
        let l = match l {
            Ok(l) => l,
            Err(e) => {
                refused_lines += 1;
                if refused.len() < LISTED {
                    refused.push(line_message(locale, e.line, e.kind.message(locale)));
                }
                continue;
            }
        };
        let ts_ms = match l.timestamp.map(|t| params.precision.to_millis(t)) {
            Some(None) => {
                refused_lines += 1;
                if refused.len() < LISTED {
                    refused.push(line_message(
                        locale,
                        l.line,
                        locale.pick("the timestamp is out of range", "时间戳超出范围"),
                    ));
                }
                continue;
            }
            Some(Some(ms)) => Some(ms),
            None => None,
        };
        let name = l.tag(&params.device_tag).unwrap_or(&l.measurement);
        let at = match index.get(name) {
            Some(&i) => i,
            None => {
                index.insert(name.to_string(), devices.len());
                devices.push(DeviceLines {
                    name: name.to_string(),
                    values: 0,
                    first_line: l.line,
                    lines: 0,
                });
                devices.len() - 1
            }
        };
        devices[at].lines += 1;
        devices[at].values += l.fields.len();
        for (key, value) in l.fields {
            let key = if params.prefixed {
                format!("{}_{key}", l.measurement)
            } else {
                key.into_owned()
            };
            values.push((at as u32, Reported::new(key, ts_ms, json_value(value))));
        }
    }
    let mut per_device: Vec<Vec<Reported>> = devices
        .iter()
        .map(|d| Vec::with_capacity(d.values))
        .collect();
    for (at, v) in values {
        per_device[at as usize].push(v);
    }
    // The devices, by name, of the tenant.
    let mut known: Vec<(DeviceId, Vec<Reported>)> = Vec::with_capacity(devices.len());
    let mut names: Vec<(String, usize)> = Vec::with_capacity(devices.len());
    for (d, values) in devices.into_iter().zip(per_device) {
        match device_id(&state, tenant, &d.name).await {
            Ok(Some(id)) => {
                known.push((id, values));
                names.push((d.name, d.lines));
            }
            Ok(None) => {
                refused_lines += d.lines;
                if refused.len() < LISTED {
                    refused.push(line_message(
                        locale,
                        d.first_line,
                        &match locale {
                            Locale::En => format!("no device named {:?} in this tenant", d.name),
                            Locale::ZhCn => format!("本租户没有名为 {:?} 的设备", d.name),
                        },
                    ));
                }
            }
            Err(e) => return refuse(&e, locale),
        }
    }
    let outcomes = match ingest.ingest_devices(tenant, Origin::Device, known).await {
        Ok(o) => o,
        // The store's own refusal (an overloaded disk is a 503 the clients retry).
        Err(IngestError::Device(e) | IngestError::Product(e) | IngestError::Store(e)) => {
            return refuse(&e.into(), locale);
        }
    };
    let mut stored = 0u64;
    let mut refused_values = 0usize;
    for ((name, lines), o) in names.iter().zip(outcomes) {
        match o {
            Ok(o) => {
                stored += o.stored;
                refused_values += o.refused.len();
                for r in o.refused.iter() {
                    if refused.len() < LISTED {
                        refused.push(format!("{name}.{}: {}", r.key, r.reason.message(locale)));
                    }
                }
            }
            Err(IngestError::Device(Error::NotFound(_))) => {
                state.devices.forget_name(tenant, name);
                refused_lines += lines;
                if refused.len() < LISTED {
                    refused.push(match locale {
                        Locale::En => format!("device {name:?} was deleted"),
                        Locale::ZhCn => format!("设备 {name:?} 已被删除"),
                    });
                }
            }
            // The store's own refusal (an overloaded disk is a 503 the clients retry).
            Err(IngestError::Device(e) | IngestError::Product(e) | IngestError::Store(e)) => {
                return refuse(&e.into(), locale);
            }
        }
    }
    if refused_lines == 0 && refused_values == 0 {
        let mut res = StatusCode::NO_CONTENT.into_response();
        version_headers(res.headers_mut());
        return res;
    }
    let head = match locale {
        Locale::En => format!(
            "partial write: {refused_lines} lines and {refused_values} values refused, {stored} values stored"
        ),
        Locale::ZhCn => format!(
            "部分写入：拒绝 {refused_lines} 行、{refused_values} 个值，已存储 {stored} 个值"
        ),
    };
    influx_error(
        StatusCode::BAD_REQUEST,
        "invalid",
        &format!("{head}: {}", refused.join("; ")),
    )
}

fn line_message(locale: Locale, line: usize, what: &str) -> String {
    match locale {
        Locale::En => format!("line {line}: {what}"),
        Locale::ZhCn => format!("第 {line} 行：{what}"),
    }
}

fn json_value(v: FieldValue<'_>) -> Json {
    match v {
        FieldValue::Float(f) => serde_json::Number::from_f64(f).map_or(Json::Null, Json::Number),
        FieldValue::Int(i) => Json::from(i),
        FieldValue::UInt(u) => Json::from(u),
        FieldValue::Bool(b) => Json::Bool(b),
        FieldValue::Str(s) => Json::String(s.into_owned()),
    }
}

/// The id of the tenant's device of that name, remembered for a while.
async fn device_id(
    state: &AppState,
    tenant: TenantId,
    name: &str,
) -> Result<Option<DeviceId>, ApiError> {
    if let Some(id) = state.devices.get_name(tenant, name) {
        return Ok(Some(id));
    }
    let Some(d) = state.store.find_device_by_name(tenant, name).await? else {
        return Ok(None);
    };
    state.devices.put_name(tenant, name, d.id);
    state.devices.put(tenant, d.id, d.product_id);
    Ok(Some(d.id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_come_from_every_place_influx_clients_put_them() {
        let req = |auth: Option<&str>, uri: &str| {
            let mut b = Request::builder().uri(uri);
            if let Some(a) = auth {
                b = b.header(header::AUTHORIZATION, a);
            }
            b.body(Body::empty()).unwrap()
        };
        let got = |r: Request| presented(&r).ok().flatten();
        assert_eq!(
            got(req(Some("Token ilk_abc"), "/api/v2/write")).as_deref(),
            Some("ilk_abc")
        );
        let basic = base64::engine::general_purpose::STANDARD.encode("anyone:ilk_abc");
        assert_eq!(
            got(req(Some(&format!("Basic {basic}")), "/write?db=x")).as_deref(),
            Some("ilk_abc")
        );
        assert_eq!(
            got(req(None, "/write?db=x&u=me&p=ilk%5Fabc")).as_deref(),
            Some("ilk_abc")
        );
        assert_eq!(
            got(req(Some("Bearer tok"), "/write")).as_deref(),
            Some("tok")
        );
        assert_eq!(got(req(None, "/write?db=x")), None);
        assert!(presented(&req(Some("Basic !!!"), "/write")).is_err());
    }

    #[test]
    fn parameters_are_checked() {
        let p = |q: &[(&str, &str)], api| {
            let v: Vec<(String, String)> = q
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            write_params(api, &v, Locale::En)
        };
        let w = p(
            &[("precision", "s"), ("db", "x"), ("device_tag", "host")],
            Api::V1,
        )
        .ok()
        .unwrap();
        assert_eq!(w.precision, Precision::Seconds);
        assert_eq!(w.device_tag, "host");
        assert!(!w.prefixed);
        assert!(
            p(&[("properties", "measurement")], Api::V2)
                .ok()
                .unwrap()
                .prefixed
        );
        assert!(p(&[("precision", "h")], Api::V1).is_ok());
        assert!(p(&[("precision", "h")], Api::V2).is_err());
        assert!(p(&[("precision", "weeks")], Api::V1).is_err());
        assert!(p(&[("properties", "tags")], Api::V1).is_err());
    }
}
