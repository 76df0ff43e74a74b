//! Links between identifiers (a component in an assembly, a batch in a shipment, across
//! tenants: a supplier's part in a customer's product), the trace along them, and the
//! readers a tenant lets see its identifiers' values that are not public: a trace shows
//! of another tenant's identifier its public values, or all of them when that tenant
//! granted them to the reader.

use crate::AppState;
use crate::authz::Principal;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::routes::identifiers::own_record;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::Utc;
use ironloom_core::entity::Resource;
use ironloom_core::error::{Error, FieldError, FieldErrorKind};
use ironloom_core::identifier::*;
use ironloom_core::ids::TenantId;
use ironloom_identifiers::{Handle, HandleValue};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::HashMap;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn register(r: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    r.routes(routes!(list_links, add_link))
        .routes(routes!(remove_link))
        .routes(routes!(trace))
        .routes(routes!(list_grants, grant_reader))
        .routes(routes!(revoke_reader))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkInput {
    /// Any registered identifier (another tenant's too: a supplier's part).
    pub child: String,
    pub kind: LinkKind,
}

/// Link one of the tenant's identifiers (the parent) to another (the child).
#[utoipa::path(post, path = "/api/v1/identifiers/{handle}/links", tag = "identifiers",
    params(("handle" = String, Path)), request_body = LinkInput,
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 201, body = IdLink), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn add_link(
    State(state): State<AppState>,
    p: Principal,
    ApiPath(handle): ApiPath<String>,
    ApiJson(input): ApiJson<LinkInput>,
) -> ApiResult<(StatusCode, Json<IdLink>)> {
    let tenant = p.tenant()?;
    let parent = own_record(&state, tenant, &handle).await?;
    let child = Handle::parse(input.child.trim())
        .map_err(|_| {
            FieldError::new(
                "child",
                FieldErrorKind::UnknownReference(Resource::Identifier),
            )
        })?
        .canonical();
    if state.store.get_identifier(&child).await?.is_none() {
        return Err(FieldError::new(
            "child",
            FieldErrorKind::UnknownReference(Resource::Identifier),
        )
        .into());
    }
    if child == parent.handle {
        return Err(FieldError::new("child", FieldErrorKind::NotAllowed).into());
    }
    let link = state
        .store
        .add_link(
            &p.actor(),
            &IdLink {
                parent: parent.handle,
                child,
                kind: input.kind,
                tenant_id: tenant,
                created_at: Utc::now(),
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(link)))
}

/// An identifier's links, both ways.
#[derive(Debug, Serialize, ToSchema)]
pub struct Links {
    /// Where it is the parent: its components, the batches in it.
    pub children: Vec<IdLink>,
    /// Where it is the child: what it went into.
    pub parents: Vec<IdLink>,
}

/// The links of one of the tenant's identifiers: its children and its parents (other
/// tenants' links to it included: a customer's assembly holding this part).
#[utoipa::path(get, path = "/api/v1/identifiers/{handle}/links", tag = "identifiers",
    params(("handle" = String, Path)), security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = Links), (status = 404, body = ErrorBody)))]
async fn list_links(
    State(state): State<AppState>,
    p: Principal,
    ApiPath(handle): ApiPath<String>,
) -> ApiResult<Json<Links>> {
    let r = own_record(&state, p.tenant()?, &handle).await?;
    let (children, parents) = state.store.links_of(&r.handle).await?;
    Ok(Json(Links { children, parents }))
}

/// Remove a link of one of the tenant's identifiers.
#[utoipa::path(delete, path = "/api/v1/identifiers/{handle}/links/{child}", tag = "identifiers",
    params(("handle" = String, Path), ("child" = String, Path)),
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 204), (status = 404, body = ErrorBody)))]
async fn remove_link(
    State(state): State<AppState>,
    p: Principal,
    ApiPath((handle, child)): ApiPath<(String, String)>,
) -> ApiResult<StatusCode> {
    let tenant = p.tenant()?;
    let parent = own_record(&state, tenant, &handle).await?;
    let child = Handle::parse(&child)
        .map_err(|_| Error::NotFound(Resource::Identifier))?
        .canonical();
    state
        .store
        .remove_link(&p.actor(), tenant, &parent.handle, &child)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct TraceQuery {
    /// How many links to follow each way (1–10, default 5).
    depth: Option<u32>,
}

/// A node of a trace: an identifier and what the reader may see of it.
#[derive(Debug, Serialize, ToSchema)]
pub struct TraceNode {
    pub handle: String,
    /// Whether the reader's tenant owns it (then every value is shown, else the public
    /// ones).
    pub own: bool,
    /// Whether its owner granted the reader its values that are not public (then every
    /// value is shown too).
    pub granted: bool,
    pub template: Option<TemplateRef>,
    #[schema(value_type = Vec<Object>)]
    pub values: Vec<Value>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TraceEdge {
    pub parent: String,
    pub child: String,
    pub kind: LinkKind,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Trace {
    pub root: String,
    pub nodes: Vec<TraceNode>,
    pub edges: Vec<TraceEdge>,
    /// Whether the walk stopped at the depth or node limit before the end.
    pub truncated: bool,
}

/// Most identifiers one trace visits.
const MAX_TRACE_NODES: usize = 500;

/// Walk an identifier's links both ways (its components, batches and shipments, and what
/// it went into), across tenants: of another tenant's identifiers only the public values
/// are shown, or all of them when that tenant granted them to the reader.
#[utoipa::path(get, path = "/api/v1/identifiers/{handle}/trace", tag = "identifiers",
    params(("handle" = String, Path), TraceQuery), security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = Trace), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn trace(
    State(state): State<AppState>,
    p: Principal,
    ApiPath(handle): ApiPath<String>,
    ApiQuery(q): ApiQuery<TraceQuery>,
) -> ApiResult<Json<Trace>> {
    let tenant = p.tenant()?;
    let depth = q.depth.unwrap_or(5);
    if !(1..=10).contains(&depth) {
        return Err(
            FieldError::new("depth", FieldErrorKind::OutOfRange { min: 1, max: 10 }).into(),
        );
    }
    let root = Handle::parse(&handle)
        .map_err(|_| Error::NotFound(Resource::Identifier))?
        .canonical();
    // The reader must see the root: its own, or one with public values.
    let Some(first) = state.store.get_identifier(&root).await? else {
        return Err(Error::NotFound(Resource::Identifier).into());
    };
    let mut nodes = Vec::new();
    let mut edges = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut frontier = vec![(first, 0u32)];
    seen.insert(root.clone());
    let mut truncated = false;
    // What each other owner met on the way granted this reader.
    let mut grants: HashMap<TenantId, Vec<IdGrant>> = HashMap::new();
    while let Some((r, d)) = frontier.pop() {
        let own = r.tenant_id == tenant;
        let granted = !own && {
            let given = match grants.entry(r.tenant_id) {
                std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
                std::collections::hash_map::Entry::Vacant(e) => {
                    e.insert(state.store.grants_to(r.tenant_id, tenant).await?)
                }
            };
            given.iter().any(|g| g.covers(&r.handle, &r.prefix))
        };
        nodes.push(TraceNode {
            handle: r.handle.clone(),
            own,
            granted,
            template: r.template.clone(),
            values: r
                .values
                .iter()
                .filter(|v| own || granted || v.permissions.public_read)
                .map(HandleValue::to_rest_json)
                .collect(),
        });
        let (children, parents) = state.store.links_of(&r.handle).await?;
        for l in children.iter().chain(&parents) {
            let next = if l.parent == r.handle {
                &l.child
            } else {
                &l.parent
            };
            if !edges
                .iter()
                .any(|e: &TraceEdge| e.parent == l.parent && e.child == l.child)
            {
                edges.push(TraceEdge {
                    parent: l.parent.clone(),
                    child: l.child.clone(),
                    kind: l.kind,
                });
            }
            if seen.contains(next) {
                continue;
            }
            if d + 1 > depth || seen.len() >= MAX_TRACE_NODES {
                truncated = true;
                continue;
            }
            seen.insert(next.clone());
            if let Some(n) = state.store.get_identifier(next).await? {
                frontier.push((n, d + 1));
            }
        }
    }
    // Edges to identifiers not visited (beyond the depth) are left out.
    let visited: std::collections::HashSet<&str> =
        nodes.iter().map(|n| n.handle.as_str()).collect();
    edges.retain(|e| visited.contains(e.parent.as_str()) && visited.contains(e.child.as_str()));
    nodes.sort_by(|a, b| {
        (a.handle != root)
            .cmp(&(b.handle != root))
            .then(a.handle.cmp(&b.handle))
    });
    Ok(Json(Trace {
        root,
        nodes,
        edges,
        truncated,
    }))
}

// ---------------------------------------------------------------------------------------
// Readers granted values that are not public

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GrantInput {
    /// One of the tenant's prefixes (every identifier under it) or one of its identifiers.
    pub scope: String,
    /// The reader: another tenant's code.
    pub reader: String,
}

/// The readers the tenant lets see its identifiers' values that are not public.
#[utoipa::path(get, path = "/api/v1/identifier-grants", tag = "identifiers",
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = Vec<IdGrant>)))]
async fn list_grants(State(state): State<AppState>, p: Principal) -> ApiResult<Json<Vec<IdGrant>>> {
    Ok(Json(state.store.list_grants(p.tenant()?).await?))
}

/// The scope as stored: a handle in its canonical form, a prefix in upper case.
fn scope_of(scope: &str) -> String {
    let scope = scope.trim();
    match Handle::parse(scope) {
        Ok(h) => h.canonical(),
        Err(_) => scope.to_ascii_uppercase(),
    }
}

/// Let another tenant (a customer, a regulator) see the values that are not public of
/// the identifiers under one of the tenant's prefixes, or of one identifier, in its
/// traces.
#[utoipa::path(post, path = "/api/v1/identifier-grants", tag = "identifiers",
    request_body = GrantInput, security(("bearer" = []), ("api_key" = [])),
    responses((status = 201, body = IdGrant), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn grant_reader(
    State(state): State<AppState>,
    p: Principal,
    ApiJson(input): ApiJson<GrantInput>,
) -> ApiResult<(StatusCode, Json<IdGrant>)> {
    let tenant = p.tenant()?;
    let reader = state
        .store
        .find_tenant_by_code(input.reader.trim())
        .await?
        .ok_or_else(|| {
            FieldError::new("reader", FieldErrorKind::UnknownReference(Resource::Tenant))
        })?;
    let made = state
        .store
        .grant_reader(
            &p.actor(),
            &IdGrant {
                scope: scope_of(&input.scope),
                tenant_id: tenant,
                reader_tenant_id: reader.id,
                reader: reader.code,
                created_at: Utc::now(),
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(made)))
}

/// Take a grant back.
#[utoipa::path(delete, path = "/api/v1/identifier-grants/{reader}/{scope}", tag = "identifiers",
    params(("reader" = String, Path, description = "the reader's tenant code"),
           ("scope" = String, Path, description = "a prefix, or a handle with its slash as %2F")),
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 204), (status = 404, body = ErrorBody)))]
async fn revoke_reader(
    State(state): State<AppState>,
    p: Principal,
    ApiPath((reader, scope)): ApiPath<(String, String)>,
) -> ApiResult<StatusCode> {
    let tenant = p.tenant()?;
    let Some(reader) = state.store.find_tenant_by_code(&reader).await? else {
        return Err(Error::NotFound(Resource::IdGrant).into());
    };
    state
        .store
        .revoke_reader(&p.actor(), tenant, &scope_of(&scope), reader.id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
