//! The objects the metadata store keeps, the inputs that create and change them, and the
//! pagination, filter and sort types every list uses.

use crate::auth::{Permission, Role};
use crate::i18n::Locale;
use crate::ids::{ApiKeyId, AuditId, DeviceId, GroupId, ProductId, TenantId, UserId};
use crate::industry::{DeviceCategory, Industry, Protocol};
use crate::thing_model::ThingModel;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub type Timestamp = DateTime<Utc>;
pub type JsonMap = serde_json::Map<String, serde_json::Value>;

/// The kinds of object the platform keeps, for error messages and the audit log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Resource {
    Tenant,
    User,
    ApiKey,
    Product,
    Device,
    DeviceGroup,
    AuditEntry,
    Session,
    /// How long a tenant's (or product's) telemetry is kept.
    Retention,
    /// A command sent to a device.
    Command,
    /// A rule of the rule engine.
    Rule,
    Alarm,
    Dashboard,
    /// A model bound to a product's live messages.
    ModelBinding,
    /// A model or algorithm run over stored history.
    ModelJob,
    /// An app package (one version of an app) uploaded to a tenant.
    AppPackage,
    /// An app installed for a tenant.
    AppInstallation,
    /// A key of an installation's state.
    AppState,
    /// A developer account of the marketplace.
    Developer,
    /// A package submitted to the marketplace.
    Submission,
    /// A released version of an app in the marketplace.
    Release,
    /// One of the platform's package signing keys.
    SigningKey,
    /// A tenant's rating and review of an app.
    Review,
    /// A plan offered for an app.
    Plan,
    /// A tenant's subscription to an app.
    Subscription,
    /// An order in the marketplace.
    Order,
    /// An identifier prefix a tenant holds (标识前缀).
    IdPrefix,
    /// A metadata template for identifiers (元数据模板).
    IdTemplate,
    /// A registered identifier (标识).
    Identifier,
    /// A job registering identifiers from an uploaded file.
    IdImport,
    /// A reader another tenant lets see its identifiers' values that are not public.
    IdGrant,
    /// The enterprise profile of a tenant (企业画像).
    EnterpriseProfile,
}

impl Resource {
    pub fn as_str(self) -> &'static str {
        match self {
            Resource::Tenant => "tenant",
            Resource::User => "user",
            Resource::ApiKey => "api_key",
            Resource::Product => "product",
            Resource::Device => "device",
            Resource::DeviceGroup => "device_group",
            Resource::AuditEntry => "audit_entry",
            Resource::Session => "session",
            Resource::Retention => "retention",
            Resource::Command => "command",
            Resource::Rule => "rule",
            Resource::Alarm => "alarm",
            Resource::Dashboard => "dashboard",
            Resource::ModelBinding => "model_binding",
            Resource::ModelJob => "model_job",
            Resource::AppPackage => "app_package",
            Resource::AppInstallation => "app_installation",
            Resource::AppState => "app_state",
            Resource::Developer => "developer",
            Resource::Submission => "submission",
            Resource::Release => "release",
            Resource::SigningKey => "signing_key",
            Resource::Review => "review",
            Resource::Plan => "plan",
            Resource::Subscription => "subscription",
            Resource::Order => "order",
            Resource::IdPrefix => "id_prefix",
            Resource::IdTemplate => "id_template",
            Resource::IdGrant => "id_grant",
            Resource::Identifier => "identifier",
            Resource::IdImport => "id_import",
            Resource::EnterpriseProfile => "enterprise_profile",
        }
    }

    pub fn parse(s: &str) -> Option<Resource> {
        [
            Resource::Tenant,
            Resource::User,
            Resource::ApiKey,
            Resource::Product,
            Resource::Device,
            Resource::DeviceGroup,
            Resource::AuditEntry,
            Resource::Session,
            Resource::Retention,
            Resource::Command,
            Resource::Rule,
            Resource::Alarm,
            Resource::Dashboard,
            Resource::ModelBinding,
            Resource::ModelJob,
            Resource::AppPackage,
            Resource::AppInstallation,
            Resource::AppState,
            Resource::Developer,
            Resource::Submission,
            Resource::Release,
            Resource::SigningKey,
            Resource::Review,
            Resource::Plan,
            Resource::Subscription,
            Resource::Order,
            Resource::IdPrefix,
            Resource::IdTemplate,
            Resource::IdGrant,
            Resource::Identifier,
            Resource::IdImport,
            Resource::EnterpriseProfile,
        ]
        .into_iter()
        .find(|r| r.as_str() == s)
    }

    pub fn name(self, locale: Locale) -> &'static str {
        match self {
            Resource::Tenant => locale.pick("tenant", "租户"),
            Resource::User => locale.pick("user", "用户"),
            Resource::ApiKey => locale.pick("API key", "API 密钥"),
            Resource::Product => locale.pick("product", "产品"),
            Resource::Device => locale.pick("device", "设备"),
            Resource::DeviceGroup => locale.pick("device group", "设备分组"),
            Resource::AuditEntry => locale.pick("audit entry", "审计记录"),
            Resource::Session => locale.pick("session", "会话"),
            Resource::Retention => locale.pick("retention policy", "数据保留策略"),
            Resource::Command => locale.pick("command", "指令"),
            Resource::Rule => locale.pick("rule", "规则"),
            Resource::Alarm => locale.pick("alarm", "告警"),
            Resource::Dashboard => locale.pick("dashboard", "看板"),
            Resource::ModelBinding => locale.pick("model binding", "模型绑定"),
            Resource::ModelJob => locale.pick("model job", "模型作业"),
            Resource::AppPackage => locale.pick("app package", "应用包"),
            Resource::AppInstallation => locale.pick("app installation", "应用安装"),
            Resource::AppState => locale.pick("app state key", "应用状态键"),
            Resource::Developer => locale.pick("developer", "开发者"),
            Resource::Submission => locale.pick("submission", "应用提交"),
            Resource::Release => locale.pick("release", "应用发布版本"),
            Resource::SigningKey => locale.pick("signing key", "签名密钥"),
            Resource::Review => locale.pick("review", "评价"),
            Resource::Plan => locale.pick("plan", "套餐"),
            Resource::Subscription => locale.pick("subscription", "订阅"),
            Resource::Order => locale.pick("order", "订单"),
            Resource::IdPrefix => locale.pick("identifier prefix", "标识前缀"),
            Resource::IdTemplate => locale.pick("metadata template", "元数据模板"),
            Resource::IdGrant => locale.pick("identifier reader grant", "标识授权"),
            Resource::Identifier => locale.pick("identifier", "标识"),
            Resource::IdImport => locale.pick("identifier import", "标识导入任务"),
            Resource::EnterpriseProfile => locale.pick("enterprise profile", "企业画像"),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Who did something: recorded with every change.

/// What kind of principal acted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ActorKind {
    User,
    ApiKey,
    Device,
    System,
    Anonymous,
    /// An installed app acting through the host API.
    App,
}

impl ActorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ActorKind::User => "user",
            ActorKind::ApiKey => "api_key",
            ActorKind::Device => "device",
            ActorKind::System => "system",
            ActorKind::Anonymous => "anonymous",
            ActorKind::App => "app",
        }
    }

    pub fn parse(s: &str) -> Option<ActorKind> {
        [
            ActorKind::User,
            ActorKind::ApiKey,
            ActorKind::Device,
            ActorKind::System,
            ActorKind::Anonymous,
            ActorKind::App,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

/// Who is making a change and from where; every mutating store call takes one and writes it
/// to the audit log in the same transaction as the change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Actor {
    pub kind: ActorKind,
    /// Id of the user, key or device; absent for the system.
    pub id: Option<String>,
    pub name: String,
    /// The acting principal's tenant; `None` for the platform admin and the system.
    pub tenant_id: Option<TenantId>,
    /// Client address as seen by the server.
    pub ip: Option<String>,
}

impl Actor {
    /// The platform itself (first start, demo data, background jobs).
    pub fn system(what: &str) -> Actor {
        Actor {
            kind: ActorKind::System,
            id: None,
            name: what.to_string(),
            tenant_id: None,
            ip: None,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Pagination, filters and sorting.

pub const DEFAULT_PAGE_SIZE: u32 = 20;
pub const MAX_PAGE_SIZE: u32 = 500;

/// Direction of a sort.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortOrder {
    #[default]
    Asc,
    Desc,
}

/// A sort over one of the fields a list allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sort<F> {
    pub field: F,
    pub order: SortOrder,
}

impl<F: SortField> Sort<F> {
    /// Parses `name` or `-name` (descending).
    pub fn parse(s: &str) -> Option<Self> {
        let (order, name) = match s.strip_prefix('-') {
            Some(rest) => (SortOrder::Desc, rest),
            None => (SortOrder::Asc, s.strip_prefix('+').unwrap_or(s)),
        };
        F::parse(name).map(|field| Sort { field, order })
    }
}

impl<F: SortField> Default for Sort<F> {
    fn default() -> Self {
        Sort {
            field: F::default(),
            order: SortOrder::Asc,
        }
    }
}

/// A field a list can be sorted by; `column` names the storage column.
pub trait SortField: Copy + Default {
    const NAMES: &'static [&'static str];
    fn parse(name: &str) -> Option<Self>;
    fn column(self) -> &'static str;
}

macro_rules! sort_fields {
    ($(#[$doc:meta])* $name:ident default $default:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum $name {
            $($variant),+
        }

        impl Default for $name {
            fn default() -> Self {
                $name::$default
            }
        }

        impl SortField for $name {
            const NAMES: &'static [&'static str] = &[$($text),+];
            fn parse(name: &str) -> Option<Self> {
                match name {
                    $($text => Some($name::$variant),)+
                    _ => None,
                }
            }
            // API sort names are the storage column names, so this is a closed set of
            // identifiers safe to put into SQL.
            fn column(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }
        }
    };
}

sort_fields!(
    /// Sortable tenant fields.
    TenantSort default CreatedAt { CreatedAt => "created_at", Name => "name", Code => "code", UpdatedAt => "updated_at" }
);
sort_fields!(
    /// Sortable user fields.
    UserSort default CreatedAt { CreatedAt => "created_at", Username => "username", Role => "role", LastLoginAt => "last_login_at" }
);
sort_fields!(
    /// Sortable developer fields.
    DeveloperSort default CreatedAt { CreatedAt => "created_at", Name => "name" }
);
sort_fields!(
    /// Sortable submission fields.
    SubmissionSort default CreatedAt { CreatedAt => "created_at", UpdatedAt => "updated_at", AppId => "app_id" }
);
sort_fields!(
    /// Sortable review fields.
    ReviewSort default UpdatedAt { UpdatedAt => "updated_at", Rating => "rating" }
);
sort_fields!(
    /// Sortable order fields.
    OrderSort default CreatedAt { CreatedAt => "created_at", Amount => "amount" }
);
sort_fields!(
    /// Sortable identifier fields.
    IdentifierSort default Handle { Handle => "handle", CreatedAt => "created_at", UpdatedAt => "updated_at" }
);
sort_fields!(
    /// Sortable enterprise profile fields.
    ProfileSort default UpdatedAt { UpdatedAt => "updated_at", LegalName => "legal_name", Industry => "industry", Region => "region" }
);
sort_fields!(
    /// Sortable identifier import fields.
    IdImportSort default CreatedAt { CreatedAt => "created_at", FinishedAt => "finished_at" }
);
sort_fields!(
    /// Sortable ledger fields.
    PostingSort default PostedAt { PostedAt => "posted_at" }
);
sort_fields!(
    /// Sortable release fields.
    ReleaseSort default ReleasedAt { ReleasedAt => "released_at", AppId => "app_id" }
);
sort_fields!(
    /// Sortable API key fields.
    ApiKeySort default CreatedAt { CreatedAt => "created_at", Name => "name", ExpiresAt => "expires_at" }
);
sort_fields!(
    /// Sortable product fields.
    ProductSort default CreatedAt { CreatedAt => "created_at", Name => "name", UpdatedAt => "updated_at" }
);
sort_fields!(
    /// Sortable device fields.
    DeviceSort default CreatedAt { CreatedAt => "created_at", Name => "name", Label => "label", UpdatedAt => "updated_at", LastSeenAt => "last_seen_at" }
);
sort_fields!(
    /// Sortable device group fields.
    GroupSort default CreatedAt { CreatedAt => "created_at", Name => "name" }
);
sort_fields!(
    /// Sortable command fields.
    CommandSort default CreatedAt { CreatedAt => "created_at", Status => "status" }
);
sort_fields!(
    /// Sortable rule fields.
    RuleSort default CreatedAt { CreatedAt => "created_at", Name => "name", UpdatedAt => "updated_at" }
);
sort_fields!(
    /// Sortable alarm fields.
    AlarmSort default LastTs { LastTs => "last_ts", StartTs => "start_ts", Severity => "severity_rank" }
);
sort_fields!(
    /// Sortable dashboard fields.
    DashboardSort default Name { Name => "name", CreatedAt => "created_at", UpdatedAt => "updated_at" }
);
sort_fields!(
    /// Sortable model job fields.
    JobSort default CreatedAt { CreatedAt => "created_at", Status => "status" }
);
sort_fields!(
    /// Sortable audit fields.
    AuditSort default At { At => "at" }
);

/// Which page of a list, and in what order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest<F> {
    /// 1-based.
    pub page: u32,
    pub page_size: u32,
    pub sort: Sort<F>,
}

impl<F: SortField> Default for PageRequest<F> {
    fn default() -> Self {
        PageRequest {
            page: 1,
            page_size: DEFAULT_PAGE_SIZE,
            sort: Sort::default(),
        }
    }
}

impl<F> PageRequest<F> {
    pub fn offset(&self) -> u64 {
        u64::from(self.page.saturating_sub(1)) * u64::from(self.page_size)
    }
}

/// One page of a list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Matching items over all pages.
    pub total: u64,
    pub page: u32,
    pub page_size: u32,
}

impl<T> Page<T> {
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            total: self.total,
            page: self.page,
            page_size: self.page_size,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Tenants.

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Tenant {
    pub id: TenantId,
    /// Short unique code used at log-in and in topics, e.g. `acme`.
    pub code: String,
    pub name: String,
    pub description: Option<String>,
    pub enabled: bool,
    /// Most devices the tenant may register; `None` for no limit.
    pub max_devices: Option<u64>,
    /// Most model and algorithm calls a calendar month (UTC); `None` for no limit.
    pub max_model_calls: Option<u64>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewTenant {
    pub code: String,
    pub name: String,
    pub description: Option<String>,
    pub max_devices: Option<u64>,
    pub max_model_calls: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct TenantPatch {
    pub name: Option<String>,
    pub description: Option<Option<String>>,
    pub enabled: Option<bool>,
    pub max_devices: Option<Option<u64>>,
    pub max_model_calls: Option<Option<u64>>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct TenantFilter {
    /// Substring of code or name.
    pub q: Option<String>,
    pub enabled: Option<bool>,
}

// ---------------------------------------------------------------------------------------------
// Users.

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct User {
    pub id: UserId,
    /// `None` for platform admins.
    pub tenant_id: Option<TenantId>,
    pub username: String,
    pub display_name: Option<String>,
    pub email: Option<String>,
    pub role: Role,
    pub enabled: bool,
    /// Set when the password was generated by the platform and should be changed.
    pub password_change_required: bool,
    pub failed_logins: u32,
    /// While in the future, log-in is refused.
    pub locked_until: Option<DateTime<Utc>>,
    pub last_login_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

/// A user with the password hash, for log-in only; never serialised.
#[derive(Debug, Clone, PartialEq)]
pub struct UserCredentials {
    pub user: User,
    pub password_hash: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewUser {
    pub tenant_id: Option<TenantId>,
    pub username: String,
    pub display_name: Option<String>,
    pub email: Option<String>,
    pub role: Role,
    pub password_hash: String,
    pub password_change_required: bool,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct UserPatch {
    pub display_name: Option<Option<String>>,
    pub email: Option<Option<String>>,
    pub role: Option<Role>,
    pub enabled: Option<bool>,
    pub password_hash: Option<String>,
    pub password_change_required: Option<bool>,
    /// Clears failed log-ins and any lock.
    pub unlock: bool,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct UserFilter {
    /// `Some(None)` selects platform users; `None` selects all.
    pub tenant_id: Option<Option<TenantId>>,
    pub q: Option<String>,
    pub role: Option<Role>,
    pub enabled: Option<bool>,
}

/// What happened at a log-in attempt, for the lock-out counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginOutcome {
    Success,
    /// Wrong password; lock the account once `threshold` failures in a row are reached.
    Failure {
        threshold: u32,
        lock_for: chrono::Duration,
    },
}

// ---------------------------------------------------------------------------------------------
// API keys.

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ApiKey {
    pub id: ApiKeyId,
    pub tenant_id: Option<TenantId>,
    pub name: String,
    /// First characters of the key, to recognise it; the key itself is shown once.
    pub prefix: String,
    pub scopes: Vec<Permission>,
    pub expires_at: Option<DateTime<Utc>>,
    pub created_by: UserId,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewApiKey {
    /// Chosen by the caller because the key text embeds it.
    pub id: ApiKeyId,
    pub tenant_id: Option<TenantId>,
    pub name: String,
    pub prefix: String,
    /// SHA-256 of the secret, hex; the secret is high-entropy so a slow hash adds nothing.
    pub secret_hash: String,
    pub scopes: Vec<Permission>,
    pub expires_at: Option<DateTime<Utc>>,
    pub created_by: UserId,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct ApiKeyFilter {
    pub tenant_id: Option<Option<TenantId>>,
    pub q: Option<String>,
    pub include_revoked: bool,
    /// Only the keys this user made.
    pub created_by: Option<UserId>,
}

// ---------------------------------------------------------------------------------------------
// Products.

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Product {
    pub id: ProductId,
    pub tenant_id: TenantId,
    pub name: String,
    /// Short key devices use to name their product (Alibaba-style `productKey`).
    pub product_key: String,
    pub description: Option<String>,
    pub industry: Option<Industry>,
    pub category: DeviceCategory,
    /// The device kind (`pump`, `cnc_lathe` …) of [`crate::device_kind::KINDS`].
    pub kind: Option<String>,
    pub protocol: Protocol,
    pub thing_model: ThingModel,
    /// WoT Thing Model keys Ironloom keeps but does not model (links, forms …), so an
    /// imported model exports unchanged.
    #[schema(value_type = Object)]
    pub tm_extensions: JsonMap,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Increases with every change; thing-model consumers key their caches on it.
    pub version: i64,
}

/// Document keys that carry product fields; the columns are authoritative, so they are
/// written into the document on the way out and dropped from the extensions on the way in.
const PRODUCT_TM_KEYS: [&str; 5] = [
    "ironloom:productKey",
    "ironloom:industry",
    "ironloom:category",
    "ironloom:kind",
    "ironloom:protocol",
];

impl Product {
    /// The product as a W3C WoT Thing Model document: its stored and exported form.
    pub fn wot_document(&self) -> serde_json::Value {
        use serde_json::json;
        let mut extensions = self.tm_extensions.clone();
        extensions.insert("ironloom:productKey".into(), json!(self.product_key));
        if let Some(i) = self.industry {
            extensions.insert("ironloom:industry".into(), json!(i.code()));
        }
        extensions.insert("ironloom:category".into(), json!(self.category.as_str()));
        if let Some(k) = &self.kind {
            extensions.insert("ironloom:kind".into(), json!(k));
        }
        extensions.insert("ironloom:protocol".into(), json!(self.protocol.as_str()));
        let meta = crate::thing_model::TmMeta {
            title: self.name.clone(),
            description: self.description.clone(),
            version: Some(self.version.to_string()),
            extensions,
        };
        self.thing_model.to_wot_tm(&meta)
    }

    /// Reads a stored document back into the typed model and the extensions to keep.
    pub fn decode_wot_document(
        doc: &serde_json::Value,
    ) -> Result<(ThingModel, JsonMap), crate::thing_model::ThingModelError> {
        let (model, meta) = ThingModel::from_wot(doc)?;
        let mut extensions = meta.extensions;
        for k in PRODUCT_TM_KEYS {
            extensions.remove(k);
        }
        Ok((model, extensions))
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewProduct {
    pub name: String,
    pub product_key: String,
    pub description: Option<String>,
    pub industry: Option<Industry>,
    pub category: DeviceCategory,
    pub kind: Option<String>,
    pub protocol: Protocol,
    pub thing_model: ThingModel,
    pub tm_extensions: JsonMap,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct ProductPatch {
    pub name: Option<String>,
    pub description: Option<Option<String>>,
    pub industry: Option<Option<Industry>>,
    pub category: Option<DeviceCategory>,
    pub kind: Option<Option<String>>,
    pub protocol: Option<Protocol>,
    pub thing_model: Option<ThingModel>,
    pub tm_extensions: Option<JsonMap>,
    /// When set, the change applies only if the product is still at this version.
    pub expected_version: Option<i64>,
}

/// How devices of a product obtain their own credentials (ThingsBoard device provisioning).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ProductProvisioning {
    pub product_id: ProductId,
    /// Unique platform-wide: it names the product (and tenant) to a device.
    pub provision_key: String,
    pub provision_secret: String,
    /// True: a device that does not exist is created. False: only devices registered
    /// beforehand get their credentials, once.
    pub allow_create: bool,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewProvisioning {
    pub provision_key: String,
    pub provision_secret: String,
    pub allow_create: bool,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct ProductFilter {
    pub q: Option<String>,
    pub industry: Option<Industry>,
    pub category: Option<DeviceCategory>,
    pub kind: Option<String>,
    pub protocol: Option<Protocol>,
}

// ---------------------------------------------------------------------------------------------
// Devices.

/// Connection state, written by the transports in batches.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, ToSchema)]
pub struct DeviceStatus {
    pub online: bool,
    pub last_seen_at: Option<DateTime<Utc>>,
    pub last_connected_at: Option<DateTime<Utc>>,
    pub last_disconnected_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Device {
    pub id: DeviceId,
    pub tenant_id: TenantId,
    pub product_id: ProductId,
    /// Unique within the tenant; devices use it as their `deviceName`.
    pub name: String,
    pub label: Option<String>,
    pub description: Option<String>,
    pub tags: Vec<String>,
    pub groups: Vec<GroupId>,
    /// Server-side attributes (set by people and rules, not by the device).
    #[schema(value_type = Object)]
    pub attributes: JsonMap,
    pub status: DeviceStatus,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

/// How a device proves who it is. Stored retrievable (like ThingsBoard's access token and
/// Alibaba's `deviceSecret`, which HMAC sign-in needs in clear), readable only with
/// `device:credentials`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DeviceCredentials {
    /// MQTT user name / HTTP path token (ThingsBoard style). Unique platform-wide.
    pub access_token: String,
    /// MQTT basic credentials. The user name is unique platform-wide.
    pub username: String,
    pub password: String,
    /// Secret for HMAC sign-in (Alibaba style).
    pub secret: String,
    /// SHA-256 fingerprint (64 lower-case hex digits) of the device's X.509 client
    /// certificate: over mutual TLS the certificate alone logs the device in. Not a
    /// secret (the private key stays on the device). Unique platform-wide, so a
    /// certificate can only ever be one device.
    #[serde(default)]
    pub x509_fingerprint: Option<String>,
}

impl DeviceCredentials {
    /// Fresh random credentials of every kind.
    pub fn generate() -> DeviceCredentials {
        use crate::auth::random_token;
        DeviceCredentials {
            access_token: random_token(20),
            username: format!("dev-{}", random_token(16)),
            password: random_token(24),
            secret: random_token(32),
            x509_fingerprint: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewDevice {
    pub product_id: ProductId,
    pub name: String,
    pub label: Option<String>,
    pub description: Option<String>,
    pub tags: Vec<String>,
    pub groups: Vec<GroupId>,
    pub attributes: JsonMap,
    pub credentials: DeviceCredentials,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct DevicePatch {
    pub name: Option<String>,
    pub product_id: Option<ProductId>,
    pub label: Option<Option<String>>,
    pub description: Option<Option<String>>,
    pub tags: Option<Vec<String>>,
    pub groups: Option<Vec<GroupId>>,
    pub expected_version: Option<i64>,
}

/// A change to server-side attributes: `set` keys are written, `remove` keys deleted.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AttributesPatch {
    pub set: JsonMap,
    pub remove: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct DeviceFilter {
    /// Substring of name or label.
    pub q: Option<String>,
    pub product_id: Option<ProductId>,
    pub tag: Option<String>,
    pub group_id: Option<GroupId>,
    pub online: Option<bool>,
}

/// A status change reported by a transport.
#[derive(Debug, Clone, PartialEq)]
pub struct DeviceStatusUpdate {
    pub device_id: DeviceId,
    pub status: DeviceStatus,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DeviceGroup {
    pub id: GroupId,
    pub tenant_id: TenantId,
    pub name: String,
    pub description: Option<String>,
    pub device_count: u64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewDeviceGroup {
    pub name: String,
    pub description: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct DeviceGroupPatch {
    pub name: Option<String>,
    pub description: Option<Option<String>>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct GroupFilter {
    pub q: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Audit.

/// One recorded change or security event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AuditEntry {
    pub id: AuditId,
    /// Tenant whose data changed; `None` for platform-level changes.
    pub tenant_id: Option<TenantId>,
    pub at: DateTime<Utc>,
    pub actor: Actor,
    /// `create`, `update`, `delete`, `login`, `login_failed`, `rotate_credentials` …
    pub action: String,
    pub resource: Resource,
    pub resource_id: Option<String>,
    /// What changed, without secrets.
    pub details: serde_json::Value,
}

/// An audit record to write alongside a change.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAuditEntry {
    pub tenant_id: Option<TenantId>,
    pub action: String,
    pub resource: Resource,
    pub resource_id: Option<String>,
    pub details: serde_json::Value,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct AuditFilter {
    /// `Some(None)`: platform-level entries only.
    pub tenant_id: Option<Option<TenantId>>,
    pub resource: Option<Resource>,
    pub resource_id: Option<String>,
    pub action: Option<String>,
    pub actor_id: Option<String>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
}
