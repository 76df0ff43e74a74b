//! Authentication and authorisation, in one place. Every route of the API has an entry in
//! [`POLICIES`]; the middleware [`authorize`] resolves the caller (session token or API
//! key), looks up the matched route's policy and lets the request through only if the
//! caller holds the permission. A route without a policy is refused, and a test checks
//! that every route in the OpenAPI document has one.
//!
//! Tenant isolation is the second half: handlers never take a tenant id from the request
//! for tenant data; they pass the principal's own tenant to the store, whose every query
//! filters by it, so another tenant's object is simply not found (404).

use crate::AppState;
use crate::error::{ApiError, HttpFailure};
use crate::security::{constant_time_eq, parse_api_key, password_fingerprint, sha256_hex};
use axum::extract::{MatchedPath, Request, State};
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::Response;
use ironloom_core::auth::{Permission, PermissionSet, Role};
use ironloom_core::entity::{Actor, ActorKind};
use ironloom_core::error::{AuthFailure, Error};
use ironloom_core::i18n::Locale;
use ironloom_core::ids::{ApiKeyId, TenantId, UserId};
use ironloom_core::repo::Scope;

/// Who is calling, resolved from their credentials.
#[derive(Debug, Clone)]
pub struct Principal {
    pub via: Via,
    pub user_id: UserId,
    pub username: String,
    pub tenant_id: Option<TenantId>,
    pub role: Role,
    /// What this caller may do: the role's permissions, narrowed by an API key's scopes.
    pub permissions: PermissionSet,
    pub ip: Option<String>,
}

/// How the caller authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    Session,
    ApiKey(ApiKeyId),
}

impl Principal {
    /// The actor recorded in the audit log.
    pub fn actor(&self) -> Actor {
        match self.via {
            Via::Session => Actor {
                kind: ActorKind::User,
                id: Some(self.user_id.to_string()),
                name: self.username.clone(),
                tenant_id: self.tenant_id,
                ip: self.ip.clone(),
            },
            Via::ApiKey(k) => Actor {
                kind: ActorKind::ApiKey,
                id: Some(k.to_string()),
                name: format!("{} (API key)", self.username),
                tenant_id: self.tenant_id,
                ip: self.ip.clone(),
            },
        }
    }

    /// The tenants this caller may see.
    pub fn scope(&self) -> Scope {
        match self.tenant_id {
            Some(t) => Scope::Tenant(t),
            None if self.role == Role::PlatformAdmin => Scope::All,
            // A tenant-less non-admin cannot exist; if it did it must see nothing.
            None => Scope::Tenant(TenantId(uuid::Uuid::nil())),
        }
    }

    /// The caller's tenant, for tenant data. Platform admins have none and are refused.
    pub fn tenant(&self) -> Result<TenantId, ApiError> {
        self.tenant_id.ok_or_else(|| Error::Forbidden(None).into())
    }

    pub fn can(&self, p: Permission) -> bool {
        self.permissions.contains(p)
    }
}

/// What a route requires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anybody (log-in, health, the API description).
    Public,
    /// Any authenticated caller.
    Authenticated,
    /// A logged-in user, not an API key (changing one's own password).
    UserSession,
    Permission(Permission),
    /// A caller with a developer account of the marketplace (found here and handed to the
    /// handler as `DeveloperCaller`).
    Developer,
}

use Access::*;
use Permission as P;

/// The policy of every API route: method, route template, requirement.
pub const POLICIES: &[(&str, &str, Access)] = &[
    ("POST", "/api/v1/auth/login", Public),
    ("GET", "/api/v1/auth/me", Authenticated),
    ("POST", "/api/v1/auth/password", UserSession),
    ("GET", "/api/v1/catalog", Authenticated),
    ("GET", "/api/v1/catalog/regions", Authenticated),
    (
        "GET",
        "/api/v1/enterprise-profile",
        Permission(P::TenantRead),
    ),
    (
        "PUT",
        "/api/v1/enterprise-profile",
        Permission(P::EnterpriseManage),
    ),
    ("POST", "/api/v1/enterprise-profile/check", Authenticated),
    (
        "GET",
        "/api/v1/enterprise-profiles",
        Permission(P::TenantManage),
    ),
    ("GET", "/api/v1/evaluation", Permission(P::EvaluationRead)),
    (
        "GET",
        "/api/v1/evaluation/records",
        Permission(P::EvaluationRead),
    ),
    (
        "GET",
        "/api/v1/evaluation/tenant-records",
        Permission(P::EvaluationRead),
    ),
    (
        "GET",
        "/api/v1/evaluation/snapshots",
        Permission(P::EvaluationRead),
    ),
    (
        "POST",
        "/api/v1/evaluation/snapshots",
        Permission(P::TenantManage),
    ),
    (
        "GET",
        "/api/v1/evaluation/export",
        Permission(P::EvaluationRead),
    ),
    ("GET", "/api/v1/models", Authenticated),
    ("GET", "/api/v1/models/{id}", Authenticated),
    ("POST", "/api/v1/models/{id}/invoke", Authenticated),
    ("POST", "/api/v1/models/{id}/invoke/batch", Authenticated),
    ("GET", "/api/v1/usage", Authenticated),
    ("GET", "/api/v1/model-bindings", Permission(P::ProductRead)),
    (
        "POST",
        "/api/v1/model-bindings",
        Permission(P::ProductWrite),
    ),
    (
        "GET",
        "/api/v1/model-bindings/{id}",
        Permission(P::ProductRead),
    ),
    (
        "PUT",
        "/api/v1/model-bindings/{id}",
        Permission(P::ProductWrite),
    ),
    (
        "DELETE",
        "/api/v1/model-bindings/{id}",
        Permission(P::ProductWrite),
    ),
    ("GET", "/api/v1/model-jobs", Permission(P::TelemetryRead)),
    ("POST", "/api/v1/model-jobs", Permission(P::TelemetryRead)),
    (
        "GET",
        "/api/v1/model-jobs/{id}",
        Permission(P::TelemetryRead),
    ),
    (
        "POST",
        "/api/v1/model-jobs/{id}/cancel",
        Permission(P::TelemetryRead),
    ),
    ("GET", "/api/v1/app-packages", Permission(P::AppRead)),
    ("POST", "/api/v1/app-packages", Permission(P::AppManage)),
    (
        "DELETE",
        "/api/v1/app-packages/{app_id}/{version}",
        Permission(P::AppManage),
    ),
    ("GET", "/api/v1/app-installations", Permission(P::AppRead)),
    (
        "POST",
        "/api/v1/app-installations",
        Permission(P::AppManage),
    ),
    (
        "GET",
        "/api/v1/app-installations/{id}",
        Permission(P::AppRead),
    ),
    (
        "PUT",
        "/api/v1/app-installations/{id}",
        Permission(P::AppManage),
    ),
    (
        "DELETE",
        "/api/v1/app-installations/{id}",
        Permission(P::AppManage),
    ),
    (
        "POST",
        "/api/v1/app-installations/{id}/upgrade",
        Permission(P::AppManage),
    ),
    (
        "POST",
        "/api/v1/app-installations/{id}/rollback",
        Permission(P::AppManage),
    ),
    (
        "POST",
        "/api/v1/app-installations/{id}/run",
        Permission(P::AppManage),
    ),
    (
        "GET",
        "/api/v1/app-installations/{id}/logs",
        Permission(P::AppRead),
    ),
    (
        "GET",
        "/api/v1/app-installations/{id}/state",
        Permission(P::AppRead),
    ),
    (
        "GET",
        "/api/v1/app-installations/{id}/panels/{panel}",
        Permission(P::AppRead),
    ),
    (
        "POST",
        "/api/v1/apps/{id}/http/{path}",
        Permission(P::AppManage),
    ),
    ("GET", "/api/v1/app-usage", Permission(P::AppRead)),
    ("GET", "/api/v1/app-settings", Permission(P::AppRead)),
    ("PUT", "/api/v1/app-settings", Permission(P::AppManage)),
    ("POST", "/api/v1/market/register", Public),
    ("GET", "/api/v1/market/developer", Developer),
    ("POST", "/api/v1/market/developer", Authenticated),
    ("GET", "/api/v1/market/submissions", Developer),
    ("POST", "/api/v1/market/submissions", Developer),
    ("GET", "/api/v1/market/submissions/{id}", Developer),
    (
        "POST",
        "/api/v1/market/submissions/{id}/withdraw",
        Developer,
    ),
    (
        "GET",
        "/api/v1/market/review/developers",
        Permission(P::MarketReview),
    ),
    (
        "POST",
        "/api/v1/market/review/developers/{id}",
        Permission(P::MarketReview),
    ),
    (
        "GET",
        "/api/v1/market/review/submissions",
        Permission(P::MarketReview),
    ),
    (
        "GET",
        "/api/v1/market/review/submissions/{id}",
        Permission(P::MarketReview),
    ),
    (
        "GET",
        "/api/v1/market/review/submissions/{id}/package",
        Permission(P::MarketReview),
    ),
    (
        "POST",
        "/api/v1/market/review/submissions/{id}/approve",
        Permission(P::MarketReview),
    ),
    (
        "POST",
        "/api/v1/market/review/submissions/{id}/reject",
        Permission(P::MarketReview),
    ),
    ("GET", "/api/v1/market/signing-keys", Public),
    (
        "POST",
        "/api/v1/market/signing-keys/rotate",
        Permission(P::MarketReview),
    ),
    (
        "POST",
        "/api/v1/market/signing-keys/{key_id}/revoke",
        Permission(P::MarketReview),
    ),
    ("GET", "/api/v1/market/catalogue", Authenticated),
    ("GET", "/api/v1/market/apps/{app_id}", Authenticated),
    (
        "GET",
        "/api/v1/market/apps/{app_id}/files/{name}",
        Authenticated,
    ),
    (
        "GET",
        "/api/v1/market/apps/{app_id}/screenshots/{name}",
        Authenticated,
    ),
    ("GET", "/api/v1/market/apps/{app_id}/reviews", Authenticated),
    (
        "GET",
        "/api/v1/market/apps/{app_id}/review",
        Permission(P::AppRead),
    ),
    (
        "PUT",
        "/api/v1/market/apps/{app_id}/review",
        Permission(P::AppManage),
    ),
    (
        "DELETE",
        "/api/v1/market/apps/{app_id}/review",
        Permission(P::AppManage),
    ),
    ("GET", "/api/v1/market/apps/{app_id}/plans", Authenticated),
    ("POST", "/api/v1/market/apps/{app_id}/plans", Developer),
    (
        "POST",
        "/api/v1/market/apps/{app_id}/plans/{plan_id}/retire",
        Developer,
    ),
    (
        "POST",
        "/api/v1/market/apps/{app_id}/subscribe",
        Permission(P::AppManage),
    ),
    (
        "GET",
        "/api/v1/market/subscriptions",
        Permission(P::AppRead),
    ),
    ("GET", "/api/v1/market/orders", Permission(P::AppRead)),
    ("GET", "/api/v1/market/orders/{id}", Permission(P::AppRead)),
    (
        "GET",
        "/api/v1/market/orders/{id}/invoice",
        Permission(P::AppRead),
    ),
    (
        "POST",
        "/api/v1/market/orders/{id}/cancel",
        Permission(P::AppManage),
    ),
    ("GET", "/api/v1/market/developer/orders", Developer),
    ("GET", "/api/v1/market/developer/analytics", Developer),
    (
        "GET",
        "/api/v1/identifier-prefixes",
        Permission(P::IdentifierRead),
    ),
    (
        "POST",
        "/api/v1/identifier-prefixes",
        Permission(P::IdentifierManage),
    ),
    (
        "DELETE",
        "/api/v1/identifier-prefixes/{prefix}",
        Permission(P::IdentifierManage),
    ),
    (
        "GET",
        "/api/v1/identifier-templates",
        Permission(P::IdentifierRead),
    ),
    (
        "POST",
        "/api/v1/identifier-templates",
        Permission(P::IdentifierManage),
    ),
    (
        "GET",
        "/api/v1/identifier-templates/{id}/{version}",
        Permission(P::IdentifierRead),
    ),
    ("GET", "/api/v1/identifiers", Permission(P::IdentifierRead)),
    (
        "POST",
        "/api/v1/identifiers",
        Permission(P::IdentifierManage),
    ),
    (
        "POST",
        "/api/v1/identifier-batches",
        Permission(P::IdentifierManage),
    ),
    (
        "GET",
        "/api/v1/identifiers/{handle}",
        Permission(P::IdentifierRead),
    ),
    (
        "PUT",
        "/api/v1/identifiers/{handle}",
        Permission(P::IdentifierManage),
    ),
    (
        "DELETE",
        "/api/v1/identifiers/{handle}",
        Permission(P::IdentifierManage),
    ),
    (
        "GET",
        "/api/v1/identifiers/{handle}/links",
        Permission(P::IdentifierRead),
    ),
    (
        "POST",
        "/api/v1/identifiers/{handle}/links",
        Permission(P::IdentifierManage),
    ),
    (
        "POST",
        "/api/v1/identifier-detect",
        Permission(P::IdentifierRead),
    ),
    (
        "GET",
        "/api/v1/shared/identifier-templates/{id}/{version}",
        Public,
    ),
    (
        "DELETE",
        "/api/v1/identifiers/{handle}/links/{child}",
        Permission(P::IdentifierManage),
    ),
    (
        "GET",
        "/api/v1/identifiers/{handle}/trace",
        Permission(P::IdentifierRead),
    ),
    (
        "GET",
        "/api/v1/identifiers/{handle}/carrier",
        Permission(P::IdentifierRead),
    ),
    (
        "POST",
        "/api/v1/identifier-labels",
        Permission(P::IdentifierRead),
    ),
    (
        "GET",
        "/api/v1/identifier-stats",
        Permission(P::IdentifierRead),
    ),
    (
        "GET",
        "/api/v1/identifier-grants",
        Permission(P::IdentifierRead),
    ),
    (
        "POST",
        "/api/v1/identifier-grants",
        Permission(P::IdentifierManage),
    ),
    (
        "DELETE",
        "/api/v1/identifier-grants/{reader}/{scope}",
        Permission(P::IdentifierManage),
    ),
    (
        "GET",
        "/api/v1/identifier-imports",
        Permission(P::IdentifierRead),
    ),
    (
        "POST",
        "/api/v1/identifier-imports",
        Permission(P::IdentifierManage),
    ),
    (
        "GET",
        "/api/v1/identifier-imports/{id}",
        Permission(P::IdentifierRead),
    ),
    (
        "DELETE",
        "/api/v1/identifier-imports/{id}",
        Permission(P::IdentifierManage),
    ),
    (
        "POST",
        "/api/v1/identifier-imports/{id}/cancel",
        Permission(P::IdentifierManage),
    ),
    (
        "GET",
        "/api/v1/market/statistics",
        Permission(P::MarketReview),
    ),
    (
        "GET",
        "/api/v1/market/finance/orders",
        Permission(P::MarketFinance),
    ),
    (
        "POST",
        "/api/v1/market/finance/orders/{id}/confirm-payment",
        Permission(P::MarketFinance),
    ),
    (
        "POST",
        "/api/v1/market/finance/orders/{id}/refund",
        Permission(P::MarketFinance),
    ),
    (
        "POST",
        "/api/v1/market/finance/usage-billing",
        Permission(P::MarketFinance),
    ),
    (
        "POST",
        "/api/v1/market/finance/expire-due",
        Permission(P::MarketFinance),
    ),
    (
        "GET",
        "/api/v1/market/finance/ledger",
        Permission(P::MarketFinance),
    ),
    (
        "GET",
        "/api/v1/market/finance/balances",
        Permission(P::MarketFinance),
    ),
    ("GET", "/api/v1/market/releases", Authenticated),
    (
        "GET",
        "/api/v1/market/releases/{app_id}/{version}",
        Authenticated,
    ),
    (
        "GET",
        "/api/v1/market/releases/{app_id}/{version}/package",
        Authenticated,
    ),
    (
        "POST",
        "/api/v1/market/releases/{app_id}/{version}/acquire",
        Permission(P::AppManage),
    ),
    (
        "POST",
        "/api/v1/market/releases/{app_id}/{version}/install",
        Permission(P::AppManage),
    ),
    ("GET", "/api/v1/system/health", Authenticated),
    // The platform administrator only (checked by the handler).
    ("POST", "/api/v1/system/drain", Authenticated),
    ("GET", "/api/v1/tenants", Permission(P::TenantRead)),
    ("POST", "/api/v1/tenants", Permission(P::TenantManage)),
    ("GET", "/api/v1/tenants/{id}", Permission(P::TenantRead)),
    ("PATCH", "/api/v1/tenants/{id}", Permission(P::TenantManage)),
    (
        "DELETE",
        "/api/v1/tenants/{id}",
        Permission(P::TenantManage),
    ),
    ("GET", "/api/v1/users", Permission(P::UserRead)),
    ("POST", "/api/v1/users", Permission(P::UserManage)),
    ("GET", "/api/v1/users/{id}", Permission(P::UserRead)),
    ("PATCH", "/api/v1/users/{id}", Permission(P::UserManage)),
    ("DELETE", "/api/v1/users/{id}", Permission(P::UserManage)),
    (
        "POST",
        "/api/v1/users/{id}/unlock",
        Permission(P::UserManage),
    ),
    (
        "POST",
        "/api/v1/users/{id}/password",
        Permission(P::UserManage),
    ),
    ("GET", "/api/v1/api-keys", Permission(P::ApiKeyRead)),
    ("POST", "/api/v1/api-keys", Permission(P::ApiKeyManage)),
    ("GET", "/api/v1/api-keys/{id}", Permission(P::ApiKeyRead)),
    (
        "DELETE",
        "/api/v1/api-keys/{id}",
        Permission(P::ApiKeyManage),
    ),
    ("GET", "/api/v1/products", Permission(P::ProductRead)),
    ("POST", "/api/v1/products", Permission(P::ProductWrite)),
    (
        "POST",
        "/api/v1/products/import",
        Permission(P::ProductWrite),
    ),
    ("GET", "/api/v1/products/{id}", Permission(P::ProductRead)),
    (
        "PATCH",
        "/api/v1/products/{id}",
        Permission(P::ProductWrite),
    ),
    (
        "DELETE",
        "/api/v1/products/{id}",
        Permission(P::ProductWrite),
    ),
    (
        "GET",
        "/api/v1/products/{id}/thing-model",
        Permission(P::ProductRead),
    ),
    (
        "PUT",
        "/api/v1/products/{id}/thing-model",
        Permission(P::ProductWrite),
    ),
    ("GET", "/api/v1/devices", Permission(P::DeviceRead)),
    ("POST", "/api/v1/devices", Permission(P::DeviceWrite)),
    ("POST", "/api/v1/devices/import", Permission(P::DeviceWrite)),
    ("GET", "/api/v1/devices/{id}", Permission(P::DeviceRead)),
    ("PATCH", "/api/v1/devices/{id}", Permission(P::DeviceWrite)),
    ("DELETE", "/api/v1/devices/{id}", Permission(P::DeviceWrite)),
    (
        "GET",
        "/api/v1/devices/{id}/credentials",
        Permission(P::DeviceCredentials),
    ),
    (
        "POST",
        "/api/v1/devices/{id}/credentials/rotate",
        Permission(P::DeviceCredentials),
    ),
    (
        "PATCH",
        "/api/v1/devices/{id}/attributes",
        Permission(P::DeviceAttributes),
    ),
    ("GET", "/api/v1/device-groups", Permission(P::DeviceRead)),
    ("POST", "/api/v1/device-groups", Permission(P::DeviceWrite)),
    (
        "GET",
        "/api/v1/device-groups/{id}",
        Permission(P::DeviceRead),
    ),
    (
        "PATCH",
        "/api/v1/device-groups/{id}",
        Permission(P::DeviceWrite),
    ),
    (
        "DELETE",
        "/api/v1/device-groups/{id}",
        Permission(P::DeviceWrite),
    ),
    ("GET", "/api/v1/audit", Permission(P::AuditRead)),
    (
        "GET",
        "/api/v1/devices/{id}/telemetry",
        Permission(P::TelemetryRead),
    ),
    (
        "POST",
        "/api/v1/devices/{id}/telemetry",
        Permission(P::TelemetryWrite),
    ),
    (
        "GET",
        "/api/v1/devices/{id}/telemetry/aggregate",
        Permission(P::TelemetryRead),
    ),
    (
        "GET",
        "/api/v1/devices/{id}/telemetry/latest",
        Permission(P::TelemetryRead),
    ),
    (
        "GET",
        "/api/v1/devices/{id}/telemetry/stream",
        Permission(P::TelemetryRead),
    ),
    ("POST", "/api/v1/telemetry", Permission(P::TelemetryWrite)),
    (
        "POST",
        "/api/v1/telemetry/aggregate",
        Permission(P::TelemetryRead),
    ),
    (
        "POST",
        "/api/v1/telemetry/latest",
        Permission(P::TelemetryRead),
    ),
    (
        "POST",
        "/api/v1/telemetry/latest/columns",
        Permission(P::TelemetryRead),
    ),
    (
        "GET",
        "/api/v1/telemetry/stats",
        Permission(P::TelemetryRead),
    ),
    (
        "GET",
        "/api/v1/telemetry/export",
        Permission(P::TelemetryRead),
    ),
    (
        "POST",
        "/api/v1/telemetry/import",
        Permission(P::TelemetryWrite),
    ),
    (
        "GET",
        "/api/v1/telemetry/retention",
        Permission(P::TelemetryRead),
    ),
    (
        "PUT",
        "/api/v1/telemetry/retention",
        Permission(P::TelemetryManage),
    ),
    (
        "POST",
        "/api/v1/devices/{id}/commands",
        Permission(P::DeviceCommand),
    ),
    (
        "GET",
        "/api/v1/devices/{id}/commands",
        Permission(P::DeviceRead),
    ),
    ("GET", "/api/v1/commands/{id}", Permission(P::DeviceRead)),
    (
        "GET",
        "/api/v1/devices/{id}/attributes/{scope}",
        Permission(P::DeviceRead),
    ),
    (
        "GET",
        "/api/v1/devices/{id}/attributes/shared",
        Permission(P::DeviceRead),
    ),
    (
        "PATCH",
        "/api/v1/devices/{id}/attributes/shared",
        Permission(P::DeviceCommand),
    ),
    ("GET", "/api/v1/alarms", Permission(P::AlarmRead)),
    ("GET", "/api/v1/alarms/counts", Permission(P::AlarmRead)),
    ("GET", "/api/v1/alarms/stream", Permission(P::AlarmRead)),
    ("GET", "/api/v1/alarms/{id}", Permission(P::AlarmRead)),
    (
        "POST",
        "/api/v1/alarms/{id}/ack",
        Permission(P::AlarmManage),
    ),
    (
        "POST",
        "/api/v1/alarms/{id}/clear",
        Permission(P::AlarmManage),
    ),
    ("GET", "/api/v1/dashboards", Permission(P::DashboardRead)),
    ("POST", "/api/v1/dashboards", Permission(P::DashboardWrite)),
    (
        "GET",
        "/api/v1/dashboards/{id}",
        Permission(P::DashboardRead),
    ),
    (
        "PUT",
        "/api/v1/dashboards/{id}",
        Permission(P::DashboardWrite),
    ),
    (
        "DELETE",
        "/api/v1/dashboards/{id}",
        Permission(P::DashboardWrite),
    ),
    (
        "POST",
        "/api/v1/dashboards/{id}/share",
        Permission(P::DashboardWrite),
    ),
    (
        "DELETE",
        "/api/v1/dashboards/{id}/share",
        Permission(P::DashboardWrite),
    ),
    (
        "GET",
        "/api/v1/dashboards/{id}/data",
        Permission(P::DashboardRead),
    ),
    ("GET", "/api/v1/shared/dashboards/{token}", Public),
    ("GET", "/api/v1/shared/dashboards/{token}/data", Public),
    ("GET", "/api/v1/rules", Permission(P::RuleRead)),
    ("POST", "/api/v1/rules", Permission(P::RuleWrite)),
    ("POST", "/api/v1/rules/check", Permission(P::RuleRead)),
    ("POST", "/api/v1/rules/dry-run", Permission(P::RuleRead)),
    (
        "POST",
        "/api/v1/rules/{id}/dry-run",
        Permission(P::RuleRead),
    ),
    ("GET", "/api/v1/rules/{id}/stats", Permission(P::RuleRead)),
    ("GET", "/api/v1/rules/{id}", Permission(P::RuleRead)),
    ("PUT", "/api/v1/rules/{id}", Permission(P::RuleWrite)),
    ("DELETE", "/api/v1/rules/{id}", Permission(P::RuleWrite)),
    (
        "GET",
        "/api/v1/rules/{id}/versions",
        Permission(P::RuleRead),
    ),
    (
        "GET",
        "/api/v1/devices/{id}/gateway-config",
        Permission(P::DeviceRead),
    ),
    (
        "GET",
        "/api/v1/devices/{id}/gateway-apps",
        Permission(P::DeviceRead),
    ),
    (
        "PUT",
        "/api/v1/devices/{id}/gateway-config",
        Permission(P::DeviceWrite),
    ),
    (
        "DELETE",
        "/api/v1/devices/{id}/gateway-config",
        Permission(P::DeviceWrite),
    ),
    (
        "GET",
        "/api/v1/devices/{id}/errors",
        Permission(P::DeviceRead),
    ),
    (
        "GET",
        "/api/v1/devices/{id}/events",
        Permission(P::DeviceRead),
    ),
    // The answer holds the secret: only for those who may change products.
    (
        "GET",
        "/api/v1/products/{id}/provisioning",
        Permission(P::ProductWrite),
    ),
    (
        "PUT",
        "/api/v1/products/{id}/provisioning",
        Permission(P::ProductWrite),
    ),
];

pub fn policy(method: &Method, route: &str) -> Option<Access> {
    POLICIES
        .iter()
        .find(|(m, r, _)| *m == method.as_str() && *r == route)
        .map(|(_, _, a)| *a)
}

/// The policy of every route of the compatible APIs, outside `/api/v1` and its OpenAPI
/// description: the Handle.Net REST API (`/api/handles`, as pyhandle and CNRI's tools
/// speak it) and the secondary-node (SNMS) compatible API. They answer in their own
/// formats, refusals included, so they pass [`authorize_compat`] instead of
/// [`authorize`], with the same callers, permissions and checks.
pub const COMPAT_POLICIES: &[(&str, &str, Access)] = &[
    ("POST", "/write", Permission(P::TelemetryWrite)),
    ("POST", "/api/v2/write", Permission(P::TelemetryWrite)),
    ("GET", "/ping", Public),
    ("HEAD", "/ping", Public),
    ("GET", "/api/handles/{prefix}/{*suffix}", Public),
    (
        "PUT",
        "/api/handles/{prefix}/{*suffix}",
        Permission(P::IdentifierManage),
    ),
    (
        "DELETE",
        "/api/handles/{prefix}/{*suffix}",
        Permission(P::IdentifierManage),
    ),
    ("POST", "/identity/token", Public),
    ("POST", "/identity/token/v1", Public),
    (
        "GET",
        "/snms/api/v3/template",
        Permission(P::IdentifierRead),
    ),
    (
        "POST",
        "/snms/api/v3/template",
        Permission(P::IdentifierManage),
    ),
    (
        "DELETE",
        "/snms/api/v3/template",
        Permission(P::IdentifierManage),
    ),
    (
        "GET",
        "/snms/api/v5/template",
        Permission(P::IdentifierRead),
    ),
    (
        "POST",
        "/snms/api/v5/template",
        Permission(P::IdentifierManage),
    ),
    (
        "PUT",
        "/snms/api/v5/template",
        Permission(P::IdentifierManage),
    ),
    (
        "DELETE",
        "/snms/api/v5/template",
        Permission(P::IdentifierManage),
    ),
    (
        "GET",
        "/identityv2/data/detail",
        Permission(P::IdentifierRead),
    ),
    ("POST", "/identityv2/data", Permission(P::IdentifierManage)),
    ("PUT", "/identityv2/data", Permission(P::IdentifierManage)),
    (
        "DELETE",
        "/identityv2/data",
        Permission(P::IdentifierManage),
    ),
    (
        "POST",
        "/identityv2/data/batchCreate",
        Permission(P::IdentifierManage),
    ),
    (
        "PUT",
        "/identityv2/data/batchUpdate",
        Permission(P::IdentifierManage),
    ),
    (
        "DELETE",
        "/identityv2/data/batchDelete",
        Permission(P::IdentifierManage),
    ),
];

/// The policy of a compatible API's route.
pub fn compat_policy(method: &Method, route: &str) -> Option<Access> {
    COMPAT_POLICIES
        .iter()
        .find(|(m, r, _)| *m == method.as_str() && *r == route)
        .map(|(_, _, a)| *a)
}

/// The middleware: authenticate, then authorise against the route's policy.
pub async fn authorize(
    State(state): State<AppState>,
    mut req: Request,
    next: Next,
) -> Result<Response, ApiError> {
    admit(&state, &mut req, POLICIES, |r| {
        presented_credential(r.headers())
    })
    .await?;
    let changes_callers = !matches!(*req.method(), Method::GET | Method::HEAD)
        && req.extensions().get::<MatchedPath>().is_some_and(|m| {
            let r = m.as_str();
            [
                "/api/v1/users",
                "/api/v1/tenants",
                "/api/v1/api-keys",
                "/api/v1/auth/password",
            ]
            .iter()
            .any(|p| r.starts_with(p))
        });
    let res = next.run(req).await;
    if changes_callers {
        // A user, tenant or key may have been disabled, deleted or changed.
        state.principals.clear();
    }
    Ok(res)
}

/// How long what the store says about a caller (its user, tenant and key) is trusted
/// without asking it again. Changes made through this node's API take effect at once
/// (the cache is cleared); changes made through another node of a cluster within this.
pub const PRINCIPAL_TTL: std::time::Duration = std::time::Duration::from_secs(2);
/// Most callers remembered.
const PRINCIPAL_CAPACITY: usize = 10_000;

/// Callers authenticated in the last [`PRINCIPAL_TTL`], by the credential they
/// presented: a request does not ask the metadata store about its caller each time (two
/// queries, a third of a small query's time on the REST path).
#[derive(Debug, Clone, Default)]
pub struct PrincipalCache {
    inner: std::sync::Arc<
        std::sync::Mutex<std::collections::HashMap<String, (Principal, std::time::Instant)>>,
    >,
}

impl PrincipalCache {
    fn get(&self, credential: &str) -> Option<Principal> {
        let map = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        map.get(credential)
            .filter(|(_, at)| at.elapsed() < PRINCIPAL_TTL)
            .map(|(p, _)| p.clone())
    }

    fn put(&self, credential: &str, p: &Principal) {
        let mut map = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= PRINCIPAL_CAPACITY {
            map.retain(|_, (_, at)| at.elapsed() < PRINCIPAL_TTL);
            if map.len() >= PRINCIPAL_CAPACITY {
                map.clear();
            }
        }
        map.insert(
            credential.to_string(),
            (p.clone(), std::time::Instant::now()),
        );
    }

    /// Forgets every caller.
    pub fn clear(&self) {
        self.inner.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }
}

/// A compatible API: where its callers put their credentials, how it refuses, and the
/// language of its messages when the request does not say.
#[derive(Debug, Clone, Copy)]
pub struct CompatApi {
    /// The credential (a session token or an API key) a request presents, if any.
    pub presented: fn(&Request) -> Result<Option<String>, ApiError>,
    /// The answer to a request refused, in the API's own format.
    pub refuse: fn(&ApiError, Locale) -> Response,
    pub default_locale: Locale,
}

/// The language a compatible API answers a request in.
pub fn compat_locale(headers: &axum::http::HeaderMap, default: Locale) -> Locale {
    headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .and_then(Locale::from_accept_language)
        .unwrap_or(default)
}

/// The middleware of the compatible APIs: [`authorize`] against [`COMPAT_POLICIES`], a
/// refusal answered in the API's own format.
pub async fn authorize_compat(
    State((state, api)): State<(AppState, CompatApi)>,
    mut req: Request,
    next: Next,
) -> Response {
    let locale = compat_locale(req.headers(), api.default_locale);
    match admit(&state, &mut req, COMPAT_POLICIES, api.presented).await {
        Ok(()) => next.run(req).await,
        Err(e) => (api.refuse)(&e, locale),
    }
}

/// Finds the matched route's policy in `table`, authenticates the caller unless the
/// route is public, checks the policy and hands the principal to the handler.
async fn admit(
    state: &AppState,
    req: &mut Request,
    table: &[(&str, &str, Access)],
    presented: fn(&Request) -> Result<Option<String>, ApiError>,
) -> Result<(), ApiError> {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_string())
        .unwrap_or_default();
    let route = route.as_str();
    let access = table
        .iter()
        .find(|(m, r, _)| *m == req.method().as_str() && *r == route)
        .map(|(_, _, a)| *a);
    let Some(access) = access else {
        if table.iter().any(|(_, r, _)| *r == route) {
            // The route exists, just not with this method.
            return Err(HttpFailure::MethodNotAllowed.into());
        }
        tracing::warn!(route, method = %req.method(), "route has no access policy; refused");
        return Err(Error::Forbidden(None).into());
    };
    if access == Public {
        return Ok(());
    }
    let ip = crate::extract::client_ip(req.extensions());
    let principal = match presented(req)? {
        Some(credential) => authenticate(state, &credential, ip).await?,
        None => return Err(Error::Unauthenticated(AuthFailure::MissingCredentials).into()),
    };
    match access {
        Public | Authenticated => {}
        UserSession => {
            if principal.via != Via::Session {
                return Err(HttpFailure::UserSessionRequired.into());
            }
        }
        Permission(p) => {
            if !principal.can(p) {
                return Err(Error::Forbidden(Some(p)).into());
            }
        }
        Developer => match state.store.developer_of_user(principal.user_id).await? {
            Some(d) => {
                if let Some(m) = &state.market {
                    m.calls
                        .record(d.id, matches!(principal.via, Via::ApiKey(_)));
                }
                req.extensions_mut()
                    .insert(crate::routes::market::DeveloperCaller(d));
            }
            None => return Err(HttpFailure::NotADeveloper.into()),
        },
    }
    req.extensions_mut().insert(principal);
    Ok(())
}

/// The credential of `/api/v1`: a bearer token or API key, or an API key in `X-API-Key`.
pub fn presented_credential(headers: &axum::http::HeaderMap) -> Result<Option<String>, ApiError> {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim);
    let api_key = headers
        .get("x-api-key")
        .and_then(|v| v.to_str().ok())
        .map(str::trim);
    Ok(api_key.or(bearer).map(str::to_string))
}

/// The caller a credential (a session token or an API key) stands for.
pub(crate) async fn authenticate(
    state: &AppState,
    presented: &str,
    ip: Option<String>,
) -> Result<Principal, ApiError> {
    let is_key = presented.starts_with(crate::security::API_KEY_PREFIX);
    if let Some(p) = state.principals.get(presented) {
        // A token's signature and expiry are checked every time (no store involved).
        if !is_key {
            state
                .tokens
                .verify(presented, chrono::Utc::now().timestamp())?;
        }
        return Ok(Principal { ip, ..p });
    }
    let p = if is_key {
        authenticate_key(state, presented, ip).await?
    } else {
        authenticate_token(state, presented, ip).await?
    };
    state.principals.put(presented, &p);
    Ok(p)
}

async fn authenticate_token(
    state: &AppState,
    token: &str,
    ip: Option<String>,
) -> Result<Principal, ApiError> {
    let now = chrono::Utc::now().timestamp();
    let claims = state.tokens.verify(token, now)?;
    if let Some(key) = claims.key {
        return key_principal(state, key, KeyProof::Token(&claims.pwd), ip).await;
    }
    let invalid = || ApiError::from(Error::Unauthenticated(AuthFailure::InvalidToken));
    let creds = match state.store.get_user_credentials(claims.sub).await {
        Ok(c) => c,
        Err(Error::NotFound(_)) => return Err(invalid()),
        Err(e) => return Err(e.into()),
    };
    let user = creds.user;
    // The password fingerprint ties the token to the password it was issued under.
    if !constant_time_eq(&password_fingerprint(&creds.password_hash), &claims.pwd)
        || claims.tid != user.tenant_id
    {
        return Err(invalid());
    }
    check_user_active(state, &user).await?;
    Ok(Principal {
        via: Via::Session,
        user_id: user.id,
        username: user.username,
        tenant_id: user.tenant_id,
        role: user.role,
        permissions: user.role.permissions(),
        ip,
    })
}

async fn authenticate_key(
    state: &AppState,
    key: &str,
    ip: Option<String>,
) -> Result<Principal, ApiError> {
    let invalid = || ApiError::from(Error::Unauthenticated(AuthFailure::InvalidToken));
    let id = parse_api_key(key).ok_or_else(invalid)?;
    key_principal(state, id, KeyProof::Key(key), ip).await
}

/// How a caller shows it holds an API key.
pub(crate) enum KeyProof<'a> {
    /// The key itself.
    Key(&'a str),
    /// A token issued for the key: the fingerprint of the key's hash it carries.
    Token(&'a str),
    /// The SNMS API's hashed log-in: `sha256hex(sha256hex(key) + date)` for one of
    /// `dates` (`yyyy-MM-dd`), made from the key's hash the store keeps.
    DatedHash { sent: &'a str, dates: &'a [String] },
}

/// The caller an API key stands for, once the proof matches the key's stored hash.
pub(crate) async fn key_principal(
    state: &AppState,
    id: ApiKeyId,
    proof: KeyProof<'_>,
    ip: Option<String>,
) -> Result<Principal, ApiError> {
    let invalid = || ApiError::from(Error::Unauthenticated(AuthFailure::InvalidToken));
    let (api_key, hash) = state
        .store
        .get_api_key_secret(id)
        .await?
        .ok_or_else(invalid)?;
    let proven = match proof {
        KeyProof::Key(key) => constant_time_eq(&sha256_hex(key), &hash),
        KeyProof::Token(fingerprint) => constant_time_eq(&password_fingerprint(&hash), fingerprint),
        KeyProof::DatedHash { sent, dates } => dates.iter().any(|d| {
            constant_time_eq(
                &sha256_hex(&format!("{hash}{d}")),
                &sent.to_ascii_lowercase(),
            )
        }),
    };
    if !proven || api_key.revoked {
        return Err(invalid());
    }
    let now = chrono::Utc::now();
    if api_key.expires_at.is_some_and(|e| e <= now) {
        return Err(Error::Unauthenticated(AuthFailure::TokenExpired).into());
    }
    // A key acts for its creator and never beyond the creator's current role.
    let user = state
        .store
        .get_user(Scope::All, api_key.created_by)
        .await
        .map_err(|_| invalid())?;
    check_user_active(state, &user).await?;
    if api_key
        .last_used_at
        .is_none_or(|t| now - t > chrono::Duration::minutes(1))
    {
        state.store.touch_api_key(id, now).await?;
    }
    Ok(Principal {
        via: Via::ApiKey(id),
        user_id: user.id,
        username: user.username,
        tenant_id: user.tenant_id,
        role: user.role,
        permissions: user
            .role
            .permissions()
            .intersect(PermissionSet::of(&api_key.scopes)),
        ip,
    })
}

async fn check_user_active(
    state: &AppState,
    user: &ironloom_core::entity::User,
) -> Result<(), ApiError> {
    if !user.enabled {
        return Err(Error::Unauthenticated(AuthFailure::AccountDisabled).into());
    }
    if let Some(t) = user.tenant_id {
        let tenant = state.store.get_tenant(t).await?;
        if !tenant.enabled {
            return Err(Error::Unauthenticated(AuthFailure::TenantDisabled).into());
        }
    }
    Ok(())
}

/// The roles × permissions matrix and the route table, as Markdown (`docs/permissions.md`).
pub fn permissions_markdown() -> String {
    let mut out = String::from(
        "# Roles and permissions\n\n\
         Generated from `crates/core/src/auth.rs` and `crates/api/src/authz.rs` \
         (a test fails when this file and the code disagree; regenerate with \
         `ironloom admin permissions > docs/permissions.md`).\n\n\
         Every request is checked in one middleware against the table of routes below. \
         Tenant roles only ever see their own tenant's objects: another tenant's object \
         answers 404, as if it did not exist. The platform administrator manages tenants \
         and their users but does not see inside tenants (products, devices). API keys act \
         for the user who created them, limited to the scopes given at creation and to \
         that user's current role.\n\n## Roles\n\n| permission |",
    );
    for r in Role::ALL {
        out.push_str(&format!(" {} |", r.as_str()));
    }
    out.push_str("\n|---|");
    for _ in Role::ALL {
        out.push_str(":---:|");
    }
    out.push('\n');
    for p in Permission::ALL {
        out.push_str(&format!("| `{}` |", p.as_str()));
        for r in Role::ALL {
            out.push_str(if r.permissions().contains(p) {
                " ✔ |"
            } else {
                " |"
            });
        }
        out.push('\n');
    }
    out.push_str("\nRole names: ");
    let names: Vec<String> = Role::ALL
        .iter()
        .map(|r| {
            format!(
                "`{}` {} ({})",
                r.as_str(),
                r.name(ironloom_core::i18n::Locale::En),
                r.name(ironloom_core::i18n::Locale::ZhCn)
            )
        })
        .collect();
    out.push_str(&names.join(", "));
    out.push_str(".\n\n## Routes\n\n| method | route | requires |\n|---|---|---|\n");
    for (m, r, a) in POLICIES {
        let req = access_text(*a);
        out.push_str(&format!("| {m} | `{r}` | {req} |\n"));
    }
    out.push_str(
        "\n## Routes of the compatible APIs\n\n\
         The InfluxDB-compatible writes (`/write`, `/api/v2/write`), the Handle.Net REST \
         API (`/api/handles`) and the secondary-node (SNMS) compatible API answer in their \
         own formats, outside `/api/v1`; the same callers and permissions (an InfluxDB \
         client's token or password and a Handle client's Basic password are API keys, an \
         SNMS token comes from `/identity/token`).\n\n| method | route | requires |\n|---|---|---|\n",
    );
    for (m, r, a) in COMPAT_POLICIES {
        out.push_str(&format!("| {m} | `{r}` | {} |\n", access_text(*a)));
    }
    out
}

fn access_text(a: Access) -> String {
    match a {
        Public => "public".to_string(),
        Authenticated => "any authenticated caller".to_string(),
        UserSession => "a logged-in user (not an API key)".to_string(),
        Permission(p) => format!("`{}`", p.as_str()),
        Developer => "a developer account of the marketplace".to_string(),
    }
}

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Principal {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _state: &S,
    ) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Principal>()
            .cloned()
            .ok_or_else(|| Error::Unauthenticated(AuthFailure::MissingCredentials).into())
    }
}
