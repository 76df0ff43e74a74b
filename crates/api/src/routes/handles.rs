//! Resolution for everybody over the Handle.Net REST API (CNRI's `REST-API.txt`, as
//! pyhandle and the ePIC clients use it): `GET /api/handles/{prefix}/{suffix}` answers
//! the identifier's public values as `{"responseCode":1,"handle":…,"values":[…]}`, with
//! `type=` (a trailing `.` matches sub-types) and `index=` filters (repeatable, OR-ed) and
//! `pretty=true`; a handle that does not exist is HTTP 404 with `responseCode` 100, one
//! whose filters match nothing HTTP 200 with `responseCode` 200, a malformed one HTTP 400
//! with `responseCode` 102. No log-in: only values with public read are shown. The
//! answer comes from the resolver the Handle protocol uses (its cache, and in recursive
//! mode the upstream service for prefixes not held here).

use crate::AppState;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use ironloom_identifiers::{Handle, HandleValue};
use ironloom_resolver::{ResolveError, Resolved};
use serde_json::{Value, json};

/// Resolution for everybody, and registration for the prefixes' tenants
/// (`handle_writes`), behind the compatible APIs' authorisation (`authz::COMPAT_POLICIES`).
pub fn router(state: AppState) -> Router {
    use super::handle_writes;
    Router::new()
        .route(
            "/api/handles/{prefix}/{*suffix}",
            get(resolve)
                .put(handle_writes::put)
                .delete(handle_writes::delete),
        )
        .route_layer(axum::middleware::from_fn_with_state(
            (state.clone(), handle_writes::HANDLE_API),
            crate::authz::authorize_compat,
        ))
        .with_state(state)
}

/// Handle response codes the REST API answers with (RFC 3652 §2.2.2.2, CNRI's names).
pub(crate) mod rc {
    pub const SUCCESS: u32 = 1;
    pub const ERROR: u32 = 2;
    pub const HANDLE_NOT_FOUND: u32 = 100;
    pub const HANDLE_ALREADY_EXISTS: u32 = 101;
    pub const INVALID_HANDLE: u32 = 102;
    pub const VALUES_NOT_FOUND: u32 = 200;
    pub const VALUE_ALREADY_EXISTS: u32 = 201;
    pub const INVALID_VALUE: u32 = 202;
    pub const INSUFFICIENT_PERMISSIONS: u32 = 400;
    pub const AUTHENTICATION_NEEDED: u32 = 402;
}

pub(crate) fn answer(status: StatusCode, body: Value, pretty: bool) -> Response {
    let text = if pretty {
        serde_json::to_string_pretty(&body)
    } else {
        serde_json::to_string(&body)
    }
    .unwrap_or_default();
    (
        status,
        [
            (header::CONTENT_TYPE, "application/json;charset=UTF-8"),
            (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"),
        ],
        text,
    )
        .into_response()
}

/// The public values of an identifier that match the filters (all without filters).
pub fn public_values<'a>(
    values: &'a [HandleValue],
    types: &'a [String],
    indices: &'a [u32],
) -> impl Iterator<Item = &'a HandleValue> + 'a {
    values.iter().filter(move |v| {
        v.permissions.public_read
            && ((types.is_empty() && indices.is_empty())
                || indices.contains(&v.index)
                || types.iter().any(|t| v.matches_type(t)))
    })
}

async fn resolve(
    State(state): State<AppState>,
    Path((prefix, suffix)): Path<(String, String)>,
    Query(params): Query<Vec<(String, String)>>,
) -> Response {
    let pretty = params.iter().any(|(k, v)| k == "pretty" && v == "true");
    let written = format!("{prefix}/{suffix}");
    let handle = match Handle::parse(&written) {
        Ok(h) => h,
        Err(e) => {
            return answer(
                StatusCode::BAD_REQUEST,
                json!({"responseCode": rc::INVALID_HANDLE, "handle": written, "message": e.to_string()}),
                pretty,
            );
        }
    };
    let mut types = Vec::new();
    let mut indices = Vec::new();
    for (k, v) in &params {
        match k.as_str() {
            "type" => types.push(v.clone()),
            "index" => match v.parse::<u32>() {
                Ok(i) => indices.push(i),
                Err(_) => {
                    return answer(
                        StatusCode::BAD_REQUEST,
                        json!({"responseCode": rc::ERROR, "handle": written, "message": format!("index {v:?} is not a number")}),
                        pretty,
                    );
                }
            },
            _ => {}
        }
    }
    let found = match state.resolver.resolve(&handle, 0).await {
        Ok(a) => a,
        Err(e) => {
            tracing::warn!(error = %e, "handle resolution failed");
            let status = match e {
                ResolveError::Store(_) => StatusCode::INTERNAL_SERVER_ERROR,
                // The upstream service of recursive mode failed us.
                ResolveError::Upstream(_) | ResolveError::TooManyHops => StatusCode::BAD_GATEWAY,
            };
            return answer(
                status,
                json!({"responseCode": rc::ERROR, "handle": written, "message": e.to_string()}),
                pretty,
            );
        }
    };
    if *found == Resolved::NotFound {
        return answer(
            StatusCode::NOT_FOUND,
            json!({"responseCode": rc::HANDLE_NOT_FOUND, "handle": written, "message": "HANDLE NOT FOUND"}),
            pretty,
        );
    }
    let values: Vec<Value> = public_values(found.values(), &types, &indices)
        .map(HandleValue::to_rest_json)
        .collect();
    if values.is_empty() {
        return answer(
            StatusCode::OK,
            json!({"responseCode": rc::VALUES_NOT_FOUND, "handle": written}),
            pretty,
        );
    }
    answer(
        StatusCode::OK,
        json!({"responseCode": rc::SUCCESS, "handle": written, "values": values}),
        pretty,
    )
}
