//! Registration over the Handle.Net REST API, as pyhandle 1.5.0 and CNRI's tools send it
//! (CNRI's `REST-API.txt`): `PUT /api/handles/{prefix}/{suffix}` with `{"values":[…]}`
//! (or a bare array, or one value) creates an identifier (HTTP 201) or, with
//! `overwrite=true` (the default), replaces its values (HTTP 200); with `index=` (repeatable)
//! only the values at those indices are replaced or added, and the others kept;
//! `overwrite=false` on an existing identifier is HTTP 409 with `responseCode` 101 (or 201
//! for a value that exists, with `index=`). `DELETE` deletes the identifier, or with
//! `index=` only those values (none of them there: HTTP 400, `responseCode` 200).
//!
//! Callers: `Authorization: Basic base64(quote("INDEX:HANDLE") + ":" + password)`, where
//! the password is an Ironloom API key (`ilk_…`) of the tenant holding the prefix, with
//! `identifier:manage`; a bearer token or `X-API-Key` works as well. The user part names
//! the administrator's handle value in CNRI's server; here the key alone says who calls, so
//! the user part is only checked to be `INDEX:HANDLE`. Missing or bad credentials: HTTP
//! 401 with `responseCode` 402 (authentication needed); a handle under a prefix the tenant
//! does not hold, or a key without the permission: HTTP 403 with `responseCode` 400
//! (insufficient permissions, RFC 3652 §2.2.2.2, CNRI's `RC_INSUFFICIENT_PERMISSIONS`).
//!
//! Values are checked as every registration is (`identifiers::record_of`: the template's
//! rules included), `HS_ADMIN` kept ([`ReservedTypes::AdminKept`]); every change goes
//! through the same store calls as `/api/v1/identifiers` (audited, under the key's name),
//! and the resolver forgets its copy.

use super::handles::{answer, rc};
use super::identifiers::{
    IdentifierInput, ReservedTypes, delete_one, register_one, replace_values,
};
use crate::AppState;
use crate::authz::{CompatApi, Principal};
use crate::error::ApiError;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::Response;
use base64::Engine;
use ironloom_core::error::{AuthFailure, Error};
use ironloom_core::i18n::Locale;
use ironloom_identifiers::{Handle, HandleValue};
use serde_json::{Value, json};

/// Where the Handle.Net REST API's callers put their credentials, and how it refuses.
pub const HANDLE_API: CompatApi = CompatApi {
    presented,
    refuse,
    default_locale: Locale::En,
};

/// The API key a Handle client sends as its Basic password (its user `INDEX:HANDLE`,
/// percent-encoded, decoded and checked for that form), else a bearer token or API key.
fn presented(req: &axum::extract::Request) -> Result<Option<String>, ApiError> {
    let headers = req.headers();
    let bad = || ApiError::from(Error::Unauthenticated(AuthFailure::InvalidCredentials));
    let Some(basic) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Basic ")
                .or_else(|| v.strip_prefix("basic "))
        })
    else {
        return crate::authz::presented_credential(headers);
    };
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(basic.trim())
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(bad)?;
    // The user part is percent-encoded (its `:` too), so the first `:` ends it.
    let (user, password) = decoded.split_once(':').ok_or_else(bad)?;
    let user = percent_decode(user).ok_or_else(bad)?;
    let admin_value = user.split_once(':').is_some_and(|(index, handle)| {
        !index.is_empty() && index.bytes().all(|b| b.is_ascii_digit()) && handle.contains('/')
    });
    if !admin_value || password.is_empty() {
        return Err(bad());
    }
    Ok(Some(password.to_string()))
}

/// `%XX` escapes decoded (Python's `quote` writes them; `+` stays a plus).
fn percent_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = std::str::from_utf8(b.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// A refusal as the Handle REST API answers one: 401 with `responseCode` 402 for
/// credentials, 403 with 400 for permissions, else the status with 2 (error).
fn refuse(e: &ApiError, locale: Locale) -> Response {
    let status = e.status();
    let code = match status {
        StatusCode::UNAUTHORIZED => rc::AUTHENTICATION_NEEDED,
        StatusCode::FORBIDDEN => rc::INSUFFICIENT_PERMISSIONS,
        _ => rc::ERROR,
    };
    answer(
        status,
        json!({"responseCode": code, "message": e.message(locale)}),
        false,
    )
}

/// What a write's query string says.
struct WriteQuery {
    indices: Vec<u32>,
    overwrite: bool,
}

fn write_query(params: &[(String, String)]) -> Result<WriteQuery, String> {
    let mut q = WriteQuery {
        indices: Vec::new(),
        // CNRI's server replaces an existing handle unless told not to.
        overwrite: true,
    };
    for (k, v) in params {
        match k.as_str() {
            "index" => q.indices.push(
                v.parse()
                    .map_err(|_| format!("index {v:?} is not a number"))?,
            ),
            "overwrite" => q.overwrite = v != "false",
            _ => {}
        }
    }
    Ok(q)
}

/// The request's handle, and whether its prefix is the caller's (else the answer).
async fn owned_handle(
    state: &AppState,
    p: &Principal,
    prefix: &str,
    suffix: &str,
) -> Result<(String, Handle), Response> {
    let written = format!("{prefix}/{suffix}");
    let handle = Handle::parse(&written).map_err(|e| {
        answer(
            StatusCode::BAD_REQUEST,
            json!({"responseCode": rc::INVALID_HANDLE, "handle": written, "message": e.to_string()}),
            false,
        )
    })?;
    let tenant = p.tenant().map_err(|e| refuse(&e, Locale::En))?;
    let owner = state
        .store
        .prefix_owner(&handle.prefix().to_ascii_uppercase())
        .await
        .map_err(|e| failed(&written, &ApiError::from(e)))?;
    if owner != Some(tenant) {
        return Err(answer(
            StatusCode::FORBIDDEN,
            json!({"responseCode": rc::INSUFFICIENT_PERMISSIONS, "handle": written,
                "message": format!("{} is not one of your prefixes", handle.prefix())}),
            false,
        ));
    }
    Ok((written, handle))
}

/// A store or check failure: a value refused is 400 with `responseCode` 202 (invalid
/// value), a conflict 409 with 101, the rest 500 with 2.
fn failed(written: &str, e: &ApiError) -> Response {
    let (status, code) = match e.status() {
        StatusCode::UNPROCESSABLE_ENTITY | StatusCode::BAD_REQUEST => {
            (StatusCode::BAD_REQUEST, rc::INVALID_VALUE)
        }
        StatusCode::CONFLICT => (StatusCode::CONFLICT, rc::HANDLE_ALREADY_EXISTS),
        StatusCode::NOT_FOUND => (StatusCode::NOT_FOUND, rc::HANDLE_NOT_FOUND),
        StatusCode::FORBIDDEN => (StatusCode::FORBIDDEN, rc::INSUFFICIENT_PERMISSIONS),
        s => (s, rc::ERROR),
    };
    answer(
        status,
        json!({"responseCode": code, "handle": written, "message": e.message(Locale::En)}),
        false,
    )
}

fn success(status: StatusCode, written: &str) -> Response {
    answer(
        status,
        json!({"responseCode": rc::SUCCESS, "handle": written}),
        false,
    )
}

/// The values a PUT body holds: `{"values":[…]}`, a bare array or one value.
fn body_values(body: &[u8]) -> Result<Vec<Value>, String> {
    match serde_json::from_slice::<Value>(body).map_err(|e| e.to_string())? {
        Value::Object(mut o) if o.contains_key("values") => match o.remove("values") {
            Some(Value::Array(vs)) => Ok(vs),
            _ => Err("values must be an array".into()),
        },
        Value::Array(vs) => Ok(vs),
        v @ Value::Object(_) => Ok(vec![v]),
        _ => Err("the body must hold handle values".into()),
    }
}

/// Create or replace an identifier, or some of its values.
pub async fn put(
    State(state): State<AppState>,
    axum::Extension(p): axum::Extension<Principal>,
    Path((prefix, suffix)): Path<(String, String)>,
    Query(params): Query<Vec<(String, String)>>,
    body: Bytes,
) -> Response {
    let (written, handle) = match owned_handle(&state, &p, &prefix, &suffix).await {
        Ok(h) => h,
        Err(r) => return r,
    };
    let bad_request = |message: String| {
        answer(
            StatusCode::BAD_REQUEST,
            json!({"responseCode": rc::ERROR, "handle": written, "message": message}),
            false,
        )
    };
    let q = match write_query(&params) {
        Ok(q) => q,
        Err(m) => return bad_request(m),
    };
    let sent = match body_values(&body) {
        Ok(v) => v,
        Err(m) => return bad_request(m),
    };
    let canonical = handle.canonical();
    let old = match state.store.get_identifier(&canonical).await {
        Ok(r) => r,
        Err(e) => return failed(&written, &e.into()),
    };
    let values = match (&old, q.indices.is_empty()) {
        (None, false) => {
            return answer(
                StatusCode::NOT_FOUND,
                json!({"responseCode": rc::HANDLE_NOT_FOUND, "handle": written, "message": "HANDLE NOT FOUND"}),
                false,
            );
        }
        (None, true) => sent,
        (Some(_), true) if !q.overwrite => {
            return answer(
                StatusCode::CONFLICT,
                json!({"responseCode": rc::HANDLE_ALREADY_EXISTS, "handle": written, "message": "HANDLE ALREADY EXISTS"}),
                false,
            );
        }
        (Some(_), true) => sent,
        (Some(old), false) => {
            // Only the values at the given indices change; the body's others are ignored.
            let index_of = |v: &Value| {
                HandleValue::from_rest_json(v)
                    .map(|h| h.index)
                    .map_err(|e| e.to_string())
            };
            let mut chosen = Vec::new();
            for v in sent {
                match index_of(&v) {
                    Ok(i) if q.indices.contains(&i) => chosen.push((i, v)),
                    Ok(_) => {}
                    Err(m) => return bad_request(m),
                }
            }
            if !q.overwrite
                && let Some((i, _)) = chosen
                    .iter()
                    .find(|(i, _)| old.values.iter().any(|o| o.index == *i))
            {
                return answer(
                    StatusCode::CONFLICT,
                    json!({"responseCode": rc::VALUE_ALREADY_EXISTS, "handle": written,
                        "message": format!("a value at index {i} exists")}),
                    false,
                );
            }
            let mut kept: Vec<Value> = old
                .values
                .iter()
                .filter(|o| !chosen.iter().any(|(i, _)| *i == o.index))
                .map(HandleValue::to_rest_json)
                .collect();
            kept.extend(chosen.into_iter().map(|(_, v)| v));
            kept
        }
    };
    let done = match &old {
        None => {
            let input = IdentifierInput {
                handle: canonical,
                template: None,
                values,
            };
            register_one(&state, &p, input, ReservedTypes::AdminKept)
                .await
                .map(|_| StatusCode::CREATED)
        }
        // Handle clients know nothing of templates: a record keeps the one it has.
        Some(old) => replace_values(
            &state,
            &p,
            old,
            old.template.clone(),
            values,
            ReservedTypes::AdminKept,
        )
        .await
        .map(|_| StatusCode::OK),
    };
    match done {
        Ok(status) => success(status, &written),
        Err(e) => failed(&written, &e),
    }
}

/// Delete an identifier, or some of its values.
pub async fn delete(
    State(state): State<AppState>,
    axum::Extension(p): axum::Extension<Principal>,
    Path((prefix, suffix)): Path<(String, String)>,
    Query(params): Query<Vec<(String, String)>>,
) -> Response {
    let (written, handle) = match owned_handle(&state, &p, &prefix, &suffix).await {
        Ok(h) => h,
        Err(r) => return r,
    };
    let q = match write_query(&params) {
        Ok(q) => q,
        Err(m) => {
            return answer(
                StatusCode::BAD_REQUEST,
                json!({"responseCode": rc::ERROR, "handle": written, "message": m}),
                false,
            );
        }
    };
    let canonical = handle.canonical();
    let old = match state.store.get_identifier(&canonical).await {
        Ok(Some(r)) => r,
        Ok(None) => {
            return answer(
                StatusCode::NOT_FOUND,
                json!({"responseCode": rc::HANDLE_NOT_FOUND, "handle": written, "message": "HANDLE NOT FOUND"}),
                false,
            );
        }
        Err(e) => return failed(&written, &e.into()),
    };
    if q.indices.is_empty() {
        return match delete_one(&state, &p, &canonical).await {
            Ok(()) => success(StatusCode::OK, &written),
            Err(e) => failed(&written, &e),
        };
    }
    if !old.values.iter().any(|v| q.indices.contains(&v.index)) {
        return answer(
            StatusCode::BAD_REQUEST,
            json!({"responseCode": rc::VALUES_NOT_FOUND, "handle": written, "message": "VALUES NOT FOUND"}),
            false,
        );
    }
    let rest = old
        .values
        .iter()
        .filter(|v| !q.indices.contains(&v.index))
        .map(HandleValue::to_rest_json)
        .collect();
    // The rest is checked again: a template's required value cannot go.
    match replace_values(
        &state,
        &p,
        &old,
        old.template.clone(),
        rest,
        ReservedTypes::AdminKept,
    )
    .await
    {
        Ok(_) => success(StatusCode::OK, &written),
        Err(e) => failed(&written, &e),
    }
}
