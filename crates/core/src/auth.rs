//! Roles, permissions and the matrix between them: the single definition that the API's
//! authorisation middleware enforces and that `docs/permissions.md` is generated from.

use crate::i18n::Locale;
use serde::{Deserialize, Serialize};
use std::fmt;
use utoipa::ToSchema;

/// A role a user holds. `PlatformAdmin` and `Reviewer` (the marketplace's reviewers) stand
/// outside every tenant, as do `Developer`s who registered themselves in the marketplace;
/// the others are tenant roles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    PlatformAdmin,
    TenantAdmin,
    Engineer,
    Operator,
    Viewer,
    Reviewer,
    Developer,
}

impl Role {
    pub const ALL: [Role; 7] = [
        Role::PlatformAdmin,
        Role::TenantAdmin,
        Role::Engineer,
        Role::Operator,
        Role::Viewer,
        Role::Reviewer,
        Role::Developer,
    ];
    pub const TENANT_ROLES: [Role; 4] = [
        Role::TenantAdmin,
        Role::Engineer,
        Role::Operator,
        Role::Viewer,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::PlatformAdmin => "platform_admin",
            Role::TenantAdmin => "tenant_admin",
            Role::Engineer => "engineer",
            Role::Operator => "operator",
            Role::Viewer => "viewer",
            Role::Reviewer => "reviewer",
            Role::Developer => "developer",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    pub fn is_tenant_role(self) -> bool {
        Role::TENANT_ROLES.contains(&self)
    }

    pub fn name(self, locale: Locale) -> &'static str {
        match self {
            Role::PlatformAdmin => locale.pick("Platform administrator", "平台管理员"),
            Role::TenantAdmin => locale.pick("Tenant administrator", "租户管理员"),
            Role::Engineer => locale.pick("Engineer", "工程师"),
            Role::Operator => locale.pick("Operator", "操作员"),
            Role::Viewer => locale.pick("Viewer", "访客"),
            Role::Reviewer => locale.pick("Marketplace reviewer", "应用市场审核员"),
            Role::Developer => locale.pick("Developer", "开发者"),
        }
    }

    /// What this role may do: the permission matrix.
    pub fn permissions(self) -> PermissionSet {
        use Permission::*;
        match self {
            Role::PlatformAdmin => PermissionSet::of(&[
                TenantRead,
                TenantManage,
                UserRead,
                UserManage,
                ApiKeyRead,
                ApiKeyManage,
                AuditRead,
                MarketReview,
                MarketFinance,
                EnterpriseManage,
                EvaluationRead,
            ]),
            Role::TenantAdmin => PermissionSet::of(&[
                TenantRead,
                UserRead,
                UserManage,
                ApiKeyRead,
                ApiKeyManage,
                ProductRead,
                ProductWrite,
                DeviceRead,
                DeviceWrite,
                DeviceCredentials,
                DeviceAttributes,
                DeviceCommand,
                AuditRead,
                RuleRead,
                RuleWrite,
                AlarmRead,
                AlarmManage,
                TelemetryRead,
                TelemetryWrite,
                TelemetryManage,
                DashboardRead,
                DashboardWrite,
                AppRead,
                AppManage,
                IdentifierRead,
                IdentifierManage,
                EnterpriseManage,
                EvaluationRead,
            ]),
            Role::Engineer => PermissionSet::of(&[
                TenantRead,
                ProductRead,
                ProductWrite,
                DeviceRead,
                DeviceWrite,
                DeviceCredentials,
                DeviceAttributes,
                DeviceCommand,
                TelemetryRead,
                TelemetryWrite,
                RuleRead,
                RuleWrite,
                AlarmRead,
                AlarmManage,
                DashboardRead,
                DashboardWrite,
                AppRead,
                AppManage,
                IdentifierRead,
                IdentifierManage,
            ]),
            Role::Operator => PermissionSet::of(&[
                TenantRead,
                ProductRead,
                DeviceRead,
                DeviceAttributes,
                DeviceCommand,
                TelemetryRead,
                RuleRead,
                AlarmRead,
                AlarmManage,
                DashboardRead,
                AppRead,
                IdentifierRead,
            ]),
            Role::Viewer => PermissionSet::of(&[
                TenantRead,
                ProductRead,
                DeviceRead,
                TelemetryRead,
                RuleRead,
                AlarmRead,
                DashboardRead,
                AppRead,
                IdentifierRead,
            ]),
            // Verifies developers, reviews submissions, manages the signing keys.
            Role::Reviewer => PermissionSet::of(&[MarketReview]),
            // What a developer does in the marketplace is checked against its developer
            // account (the API's `Developer` access); its keys act for it.
            Role::Developer => PermissionSet::of(&[ApiKeyRead, ApiKeyManage]),
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One thing a principal may be allowed to do. API keys carry a subset as their scopes.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
pub enum Permission {
    /// See tenants: all of them for the platform admin, one's own for everybody else.
    #[serde(rename = "tenant:read")]
    TenantRead,
    /// Create, change and delete tenants.
    #[serde(rename = "tenant:manage")]
    TenantManage,
    #[serde(rename = "user:read")]
    UserRead,
    /// Create, change, unlock and delete users.
    #[serde(rename = "user:manage")]
    UserManage,
    #[serde(rename = "api_key:read")]
    ApiKeyRead,
    /// Create and revoke API keys.
    #[serde(rename = "api_key:manage")]
    ApiKeyManage,
    #[serde(rename = "product:read")]
    ProductRead,
    /// Create, change, import and delete products and their thing models.
    #[serde(rename = "product:write")]
    ProductWrite,
    /// See devices, groups and their status (not their credentials).
    #[serde(rename = "device:read")]
    DeviceRead,
    /// Create, change, import and delete devices and groups.
    #[serde(rename = "device:write")]
    DeviceWrite,
    /// Read and rotate device credentials.
    #[serde(rename = "device:credentials")]
    DeviceCredentials,
    /// Change devices' server-side attributes.
    #[serde(rename = "device:attributes")]
    DeviceAttributes,
    /// Send commands and parameter writes to devices, and set their shared attributes.
    #[serde(rename = "device:command")]
    DeviceCommand,
    #[serde(rename = "audit:read")]
    AuditRead,
    /// Read telemetry: history, aggregates, latest values, storage statistics, exports.
    #[serde(rename = "telemetry:read")]
    TelemetryRead,
    /// Write telemetry through the API (manual entry, imports).
    #[serde(rename = "telemetry:write")]
    TelemetryWrite,
    /// Set how long telemetry is kept.
    #[serde(rename = "telemetry:manage")]
    TelemetryManage,
    /// See rules, their versions and counters.
    #[serde(rename = "rule:read")]
    RuleRead,
    /// Create, change, enable, disable and delete rules.
    #[serde(rename = "rule:write")]
    RuleWrite,
    /// See alarms and their counts.
    #[serde(rename = "alarm:read")]
    AlarmRead,
    /// Acknowledge and clear alarms.
    #[serde(rename = "alarm:manage")]
    AlarmManage,
    /// See dashboards and their data.
    #[serde(rename = "dashboard:read")]
    DashboardRead,
    /// Build, change, share and delete dashboards.
    #[serde(rename = "dashboard:write")]
    DashboardWrite,
    /// See app packages, installations, their logs and usage.
    #[serde(rename = "app:read")]
    AppRead,
    /// Upload packages; install, configure, upgrade, roll back, run and uninstall apps
    /// (granting an app only what the installer may do).
    #[serde(rename = "app:manage")]
    AppManage,
    /// Verify developers, review submissions (approve and sign, or reject), manage the
    /// marketplace's signing keys.
    #[serde(rename = "market:review")]
    MarketReview,
    /// Confirm payments, refund orders, run the monthly usage billing, read the ledger.
    #[serde(rename = "market:finance")]
    MarketFinance,
    /// See the tenant's identifier prefixes, identifiers with all their values, and links.
    #[serde(rename = "identifier:read")]
    IdentifierRead,
    /// Hold prefixes; register, change and delete identifiers, templates and links.
    #[serde(rename = "identifier:manage")]
    IdentifierManage,
    /// Fill in and change the enterprise profile of the tenant (the platform administrator:
    /// of any tenant).
    #[serde(rename = "enterprise:manage")]
    EnterpriseManage,
    /// Read the evaluation report: the whole platform's for the platform administrator,
    /// the tenant's own figures for everybody else.
    #[serde(rename = "evaluation:read")]
    EvaluationRead,
}

impl Permission {
    pub const ALL: [Permission; 31] = [
        Permission::TenantRead,
        Permission::TenantManage,
        Permission::UserRead,
        Permission::UserManage,
        Permission::ApiKeyRead,
        Permission::ApiKeyManage,
        Permission::ProductRead,
        Permission::ProductWrite,
        Permission::DeviceRead,
        Permission::DeviceWrite,
        Permission::DeviceCredentials,
        Permission::DeviceAttributes,
        Permission::DeviceCommand,
        Permission::AuditRead,
        Permission::TelemetryRead,
        Permission::TelemetryWrite,
        Permission::TelemetryManage,
        Permission::RuleRead,
        Permission::RuleWrite,
        Permission::AlarmRead,
        Permission::AlarmManage,
        Permission::DashboardRead,
        Permission::DashboardWrite,
        Permission::AppRead,
        Permission::AppManage,
        Permission::MarketReview,
        Permission::MarketFinance,
        Permission::IdentifierRead,
        Permission::IdentifierManage,
        Permission::EnterpriseManage,
        Permission::EvaluationRead,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Permission::TenantRead => "tenant:read",
            Permission::TenantManage => "tenant:manage",
            Permission::UserRead => "user:read",
            Permission::UserManage => "user:manage",
            Permission::ApiKeyRead => "api_key:read",
            Permission::ApiKeyManage => "api_key:manage",
            Permission::ProductRead => "product:read",
            Permission::ProductWrite => "product:write",
            Permission::DeviceRead => "device:read",
            Permission::DeviceWrite => "device:write",
            Permission::DeviceCredentials => "device:credentials",
            Permission::DeviceAttributes => "device:attributes",
            Permission::AuditRead => "audit:read",
            Permission::TelemetryRead => "telemetry:read",
            Permission::TelemetryWrite => "telemetry:write",
            Permission::TelemetryManage => "telemetry:manage",
            Permission::DeviceCommand => "device:command",
            Permission::RuleRead => "rule:read",
            Permission::RuleWrite => "rule:write",
            Permission::AlarmRead => "alarm:read",
            Permission::AlarmManage => "alarm:manage",
            Permission::DashboardRead => "dashboard:read",
            Permission::DashboardWrite => "dashboard:write",
            Permission::AppRead => "app:read",
            Permission::AppManage => "app:manage",
            Permission::MarketReview => "market:review",
            Permission::MarketFinance => "market:finance",
            Permission::IdentifierRead => "identifier:read",
            Permission::IdentifierManage => "identifier:manage",
            Permission::EnterpriseManage => "enterprise:manage",
            Permission::EvaluationRead => "evaluation:read",
        }
    }

    pub fn parse(s: &str) -> Option<Permission> {
        Permission::ALL.into_iter().find(|p| p.as_str() == s)
    }

    fn bit(self) -> u32 {
        1 << (self as u32)
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A set of permissions, as a bit set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PermissionSet(u32);

impl PermissionSet {
    pub fn of(perms: &[Permission]) -> Self {
        Self(perms.iter().fold(0, |acc, p| acc | p.bit()))
    }

    pub fn contains(self, p: Permission) -> bool {
        self.0 & p.bit() != 0
    }

    pub fn is_subset_of(self, other: PermissionSet) -> bool {
        self.0 & !other.0 == 0
    }

    pub fn intersect(self, other: PermissionSet) -> Self {
        Self(self.0 & other.0)
    }

    pub fn iter(self) -> impl Iterator<Item = Permission> {
        Permission::ALL
            .into_iter()
            .filter(move |p| self.contains(*p))
    }

    pub fn to_vec(self) -> Vec<Permission> {
        self.iter().collect()
    }
}

/// A random token of `len` characters from an alphabet without look-alikes (no 0/O, 1/l/I),
/// from the operating system's cryptographic generator.
/// API keys look like `ilk_<key id, 32 hex>_<secret, 40 chars>`.
pub const API_KEY_PREFIX: &str = "ilk_";

/// Splits a presented API key into its id; the whole key is what is hashed and compared
/// (by the REST API and by MQTT application log-in alike).
pub fn parse_api_key(key: &str) -> Option<crate::ids::ApiKeyId> {
    let rest = key.strip_prefix(API_KEY_PREFIX)?;
    let (id, secret) = rest.split_once('_')?;
    if secret.len() != 40 {
        return None;
    }
    id.parse().ok()
}

pub fn random_token(len: usize) -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
    let mut rng = rand::rng();
    (0..len)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_ordered_by_power_within_a_tenant() {
        let order = [
            Role::Viewer,
            Role::Operator,
            Role::Engineer,
            Role::TenantAdmin,
        ];
        for pair in order.windows(2) {
            assert!(
                pair[0].permissions().is_subset_of(pair[1].permissions()),
                "{} should not exceed {}",
                pair[0],
                pair[1]
            );
            assert_ne!(pair[0].permissions(), pair[1].permissions());
        }
    }

    #[test]
    fn platform_admin_does_not_touch_tenant_data() {
        let p = Role::PlatformAdmin.permissions();
        assert!(!p.contains(Permission::DeviceRead));
        assert!(!p.contains(Permission::ProductRead));
        assert!(p.contains(Permission::TenantManage));
        assert!(
            !Role::TenantAdmin
                .permissions()
                .contains(Permission::TenantManage)
        );
    }

    #[test]
    fn names_parse_back() {
        for p in Permission::ALL {
            assert_eq!(Permission::parse(p.as_str()), Some(p));
            assert_eq!(serde_json::to_string(&p).unwrap(), format!("\"{p}\""));
        }
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
    }
}
