//! The traits a metadata backend implements. Every call on tenant data takes the tenant id
//! (or an explicit [`Scope`]), and every change takes the [`Actor`] so the backend writes
//! the audit record in the same transaction as the change.

use crate::alarm::{Alarm, AlarmCounts, AlarmFilter, NewAlarm};
use crate::command::{
    Attribute, AttributeScope, Command, CommandFilter, CommandResult, NewCommand,
};
use crate::dashboard::{Dashboard, DashboardDoc, DashboardUpdate};
use crate::device::LogPos;
use crate::enterprise::{EnterpriseProfile, ProfileFilter, ProfileInput, SizeClass};
use crate::entity::*;
use crate::error::Result;
use crate::ids::{
    AlarmId, ApiKeyId, CommandId, DashboardId, DeviceId, GroupId, ProductId, RuleId, TenantId,
    UserId,
};
use crate::rule::{Rule, RuleDoc, RuleUpdate, RuleVersion};
use async_trait::async_trait;

/// Which tenants a call may see: all of them (platform admin) or exactly one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    All,
    Tenant(TenantId),
}

impl Scope {
    /// Whether an object of `tenant` (`None`: platform-level) is visible in this scope.
    pub fn allows(self, tenant: Option<TenantId>) -> bool {
        match self {
            Scope::All => true,
            Scope::Tenant(t) => tenant == Some(t),
        }
    }
}

#[async_trait]
pub trait TenantRepo: Send + Sync {
    async fn create_tenant(&self, actor: &Actor, new: NewTenant) -> Result<Tenant>;
    async fn get_tenant(&self, id: TenantId) -> Result<Tenant>;
    async fn find_tenant_by_code(&self, code: &str) -> Result<Option<Tenant>>;
    async fn list_tenants(
        &self,
        filter: &TenantFilter,
        page: &PageRequest<TenantSort>,
    ) -> Result<Page<Tenant>>;
    async fn update_tenant(
        &self,
        actor: &Actor,
        id: TenantId,
        patch: TenantPatch,
    ) -> Result<Tenant>;
    /// Deletes the tenant and everything it owns.
    async fn delete_tenant(&self, actor: &Actor, id: TenantId) -> Result<()>;
}

#[async_trait]
pub trait UserRepo: Send + Sync {
    async fn create_user(&self, actor: &Actor, new: NewUser) -> Result<User>;
    async fn get_user(&self, scope: Scope, id: UserId) -> Result<User>;
    /// A user with the password hash, by id (authentication of each request).
    async fn get_user_credentials(&self, id: UserId) -> Result<UserCredentials>;
    /// The user of that name in that tenant (`None`: platform users), with the hash.
    async fn find_user_credentials(
        &self,
        tenant: Option<TenantId>,
        username: &str,
    ) -> Result<Option<UserCredentials>>;
    /// Every user of that name, platform and tenant users alike (log-in without a tenant).
    async fn find_users_by_username(&self, username: &str) -> Result<Vec<UserCredentials>>;
    async fn list_users(
        &self,
        scope: Scope,
        filter: &UserFilter,
        page: &PageRequest<UserSort>,
    ) -> Result<Page<User>>;
    async fn update_user(
        &self,
        actor: &Actor,
        scope: Scope,
        id: UserId,
        patch: UserPatch,
    ) -> Result<User>;
    async fn delete_user(&self, actor: &Actor, scope: Scope, id: UserId) -> Result<()>;
    /// Counts a log-in attempt: resets on success, locks after too many failures.
    /// Writes `login` / `login_failed` / `account_locked` to the audit log.
    async fn record_login(&self, actor: &Actor, id: UserId, outcome: LoginOutcome) -> Result<User>;
    async fn count_platform_admins(&self) -> Result<u64>;
}

#[async_trait]
pub trait ApiKeyRepo: Send + Sync {
    async fn create_api_key(&self, actor: &Actor, new: NewApiKey) -> Result<ApiKey>;
    /// The key with its secret hash, for authentication.
    async fn get_api_key_secret(&self, id: ApiKeyId) -> Result<Option<(ApiKey, String)>>;
    async fn get_api_key(&self, scope: Scope, id: ApiKeyId) -> Result<ApiKey>;
    async fn list_api_keys(
        &self,
        scope: Scope,
        filter: &ApiKeyFilter,
        page: &PageRequest<ApiKeySort>,
    ) -> Result<Page<ApiKey>>;
    async fn revoke_api_key(&self, actor: &Actor, scope: Scope, id: ApiKeyId) -> Result<ApiKey>;
    async fn touch_api_key(&self, id: ApiKeyId, at: Timestamp) -> Result<()>;
}

#[async_trait]
pub trait ProductRepo: Send + Sync {
    async fn create_product(
        &self,
        actor: &Actor,
        tenant: TenantId,
        new: NewProduct,
    ) -> Result<Product>;
    async fn get_product(&self, tenant: TenantId, id: ProductId) -> Result<Product>;
    async fn find_product_by_key(&self, tenant: TenantId, key: &str) -> Result<Option<Product>>;
    async fn list_products(
        &self,
        tenant: TenantId,
        filter: &ProductFilter,
        page: &PageRequest<ProductSort>,
    ) -> Result<Page<Product>>;
    async fn update_product(
        &self,
        actor: &Actor,
        tenant: TenantId,
        id: ProductId,
        patch: ProductPatch,
    ) -> Result<Product>;
    /// Refuses with `InUse` while devices of the product exist.
    async fn delete_product(&self, actor: &Actor, tenant: TenantId, id: ProductId) -> Result<()>;
}

#[async_trait]
pub trait DeviceRepo: Send + Sync {
    async fn create_device(
        &self,
        actor: &Actor,
        tenant: TenantId,
        new: NewDevice,
    ) -> Result<Device>;
    /// Creates all or none (bulk import).
    async fn create_devices(
        &self,
        actor: &Actor,
        tenant: TenantId,
        new: Vec<NewDevice>,
    ) -> Result<Vec<Device>>;
    async fn get_device(&self, tenant: TenantId, id: DeviceId) -> Result<Device>;
    async fn find_device_by_name(&self, tenant: TenantId, name: &str) -> Result<Option<Device>>;
    async fn list_devices(
        &self,
        tenant: TenantId,
        filter: &DeviceFilter,
        page: &PageRequest<DeviceSort>,
    ) -> Result<Page<Device>>;
    async fn count_devices(&self, tenant: TenantId) -> Result<u64>;
    async fn update_device(
        &self,
        actor: &Actor,
        tenant: TenantId,
        id: DeviceId,
        patch: DevicePatch,
    ) -> Result<Device>;
    async fn update_device_attributes(
        &self,
        actor: &Actor,
        tenant: TenantId,
        id: DeviceId,
        patch: AttributesPatch,
    ) -> Result<Device>;
    async fn delete_device(&self, actor: &Actor, tenant: TenantId, id: DeviceId) -> Result<()>;
    async fn get_device_credentials(
        &self,
        tenant: TenantId,
        id: DeviceId,
    ) -> Result<DeviceCredentials>;
    async fn set_device_credentials(
        &self,
        actor: &Actor,
        tenant: TenantId,
        id: DeviceId,
        credentials: DeviceCredentials,
    ) -> Result<DeviceCredentials>;
    /// Device by access token, platform-wide (transports authenticate with it).
    async fn find_device_by_token(&self, token: &str) -> Result<Option<Device>>;
    /// Device by the SHA-256 fingerprint of its X.509 client certificate (lower-case hex),
    /// platform-wide.
    async fn find_device_by_x509(&self, fingerprint: &str) -> Result<Option<Device>>;
    /// Device and credentials by MQTT user name, platform-wide.
    async fn find_device_by_username(
        &self,
        username: &str,
    ) -> Result<Option<(Device, DeviceCredentials)>>;
    /// Device and credentials by product key and device name, platform-wide (product keys
    /// are unique platform-wide; Alibaba-style sign-in names a device this way).
    async fn find_device_by_product_key(
        &self,
        product_key: &str,
        device_name: &str,
    ) -> Result<Option<(Device, DeviceCredentials)>>;
    /// Writes connection state for many devices at once (transports batch these).
    async fn update_device_status(&self, updates: &[DeviceStatusUpdate]) -> Result<()>;
}

#[async_trait]
pub trait GroupRepo: Send + Sync {
    async fn create_group(
        &self,
        actor: &Actor,
        tenant: TenantId,
        new: NewDeviceGroup,
    ) -> Result<DeviceGroup>;
    async fn get_group(&self, tenant: TenantId, id: GroupId) -> Result<DeviceGroup>;
    async fn list_groups(
        &self,
        tenant: TenantId,
        filter: &GroupFilter,
        page: &PageRequest<GroupSort>,
    ) -> Result<Page<DeviceGroup>>;
    async fn update_group(
        &self,
        actor: &Actor,
        tenant: TenantId,
        id: GroupId,
        patch: DeviceGroupPatch,
    ) -> Result<DeviceGroup>;
    /// Deletes the group; its devices stay, without the membership.
    async fn delete_group(&self, actor: &Actor, tenant: TenantId, id: GroupId) -> Result<()>;
}

#[async_trait]
pub trait AuditRepo: Send + Sync {
    /// Records an event that is not itself a stored change (e.g. a refused log-in).
    async fn append_audit(&self, actor: &Actor, entry: NewAuditEntry) -> Result<()>;
    async fn list_audit(
        &self,
        scope: Scope,
        filter: &AuditFilter,
        page: &PageRequest<AuditSort>,
    ) -> Result<Page<AuditEntry>>;
}

/// Commands to devices. Creating and ending a command each write an audit entry.
#[async_trait]
pub trait CommandRepo: Send + Sync {
    /// Records a command as `queued` (the device must be in the tenant).
    async fn create_command(
        &self,
        actor: &Actor,
        tenant: TenantId,
        new: NewCommand,
    ) -> Result<Command>;
    async fn get_command(&self, tenant: TenantId, id: CommandId) -> Result<Command>;
    /// Newest first.
    async fn list_commands(
        &self,
        tenant: TenantId,
        filter: &CommandFilter,
        page: &PageRequest<CommandSort>,
    ) -> Result<Page<Command>>;
    /// `queued` → `sent`; false if the command was not queued any more.
    async fn mark_command_sent(&self, id: CommandId, at: Timestamp) -> Result<bool>;
    /// Ends an open command with its result; `None` if it had ended already.
    async fn finish_command(&self, id: CommandId, result: CommandResult)
    -> Result<Option<Command>>;
    /// The device's queued, unexpired commands, oldest first.
    async fn queued_commands(&self, tenant: TenantId, device: DeviceId) -> Result<Vec<Command>>;
    /// Ends queued commands whose expiry has passed (`expired`) and commands left `sent`
    /// longer than their timeout, e.g. across a restart (`timed_out`).
    async fn expire_commands(&self, now: Timestamp) -> Result<Vec<Command>>;
}

/// Client and shared attributes of devices (server attributes live on the device).
#[async_trait]
pub trait AttributeRepo: Send + Sync {
    /// All attributes of the scope, or only `keys`; sorted by key.
    async fn get_attributes(
        &self,
        tenant: TenantId,
        device: DeviceId,
        scope: AttributeScope,
        keys: Option<&[String]>,
    ) -> Result<Vec<Attribute>>;
    /// Writes (inserts or replaces) values; shared-attribute changes are audited.
    async fn set_attributes(
        &self,
        actor: &Actor,
        tenant: TenantId,
        device: DeviceId,
        scope: AttributeScope,
        values: JsonMap,
    ) -> Result<Vec<Attribute>>;
    /// Deletes keys; returns those that existed.
    async fn delete_attributes(
        &self,
        actor: &Actor,
        tenant: TenantId,
        device: DeviceId,
        scope: AttributeScope,
        keys: &[String],
    ) -> Result<Vec<String>>;
}

/// Products' provisioning keys.
#[async_trait]
pub trait ProvisioningRepo: Send + Sync {
    /// Sets (or with `None` removes) a product's provisioning; audited.
    async fn set_provisioning(
        &self,
        actor: &Actor,
        tenant: TenantId,
        product: ProductId,
        new: Option<NewProvisioning>,
    ) -> Result<Option<ProductProvisioning>>;
    async fn get_provisioning(
        &self,
        tenant: TenantId,
        product: ProductId,
    ) -> Result<Option<ProductProvisioning>>;
    /// By key, platform-wide (a device names no tenant), with the product's tenant.
    async fn find_provisioning(&self, key: &str)
    -> Result<Option<(TenantId, ProductProvisioning)>>;
}

/// Rules, versioned: every change keeps the previous document.
#[async_trait]
pub trait RuleRepo: Send + Sync {
    /// A new rule at version 1; names are unique per tenant; audited.
    async fn create_rule(&self, actor: &Actor, tenant: TenantId, doc: RuleDoc) -> Result<Rule>;
    async fn get_rule(&self, tenant: TenantId, id: RuleId) -> Result<Rule>;
    async fn list_rules(
        &self,
        tenant: TenantId,
        page: &PageRequest<RuleSort>,
    ) -> Result<Page<Rule>>;
    /// Replaces the document (version + 1); `VersionConflict` when `expected_version` is
    /// stale; audited.
    async fn update_rule(
        &self,
        actor: &Actor,
        tenant: TenantId,
        id: RuleId,
        update: RuleUpdate,
    ) -> Result<Rule>;
    async fn delete_rule(&self, actor: &Actor, tenant: TenantId, id: RuleId) -> Result<()>;
    /// Every version, newest first.
    async fn rule_versions(&self, tenant: TenantId, id: RuleId) -> Result<Vec<RuleVersion>>;
    /// Every enabled rule of every tenant (for the engine at start-up).
    async fn enabled_rules(&self) -> Result<Vec<Rule>>;
}

/// Dashboards of a tenant, and the read-only links they are shared by.
#[async_trait]
pub trait DashboardRepo: Send + Sync {
    /// A new dashboard at version 1; names are unique per tenant; audited.
    async fn create_dashboard(
        &self,
        actor: &Actor,
        tenant: TenantId,
        doc: DashboardDoc,
    ) -> Result<Dashboard>;
    async fn get_dashboard(&self, tenant: TenantId, id: DashboardId) -> Result<Dashboard>;
    /// `search` matches the name and description (case-insensitive).
    async fn list_dashboards(
        &self,
        tenant: TenantId,
        search: Option<&str>,
        page: &PageRequest<DashboardSort>,
    ) -> Result<Page<Dashboard>>;
    /// Replaces the document (version + 1); `VersionConflict` when `expected_version` is
    /// stale; audited.
    async fn update_dashboard(
        &self,
        actor: &Actor,
        tenant: TenantId,
        id: DashboardId,
        update: DashboardUpdate,
    ) -> Result<Dashboard>;
    async fn delete_dashboard(
        &self,
        actor: &Actor,
        tenant: TenantId,
        id: DashboardId,
    ) -> Result<()>;
    /// Sets (a new token: the old link stops working) or removes the share token; audited.
    async fn set_dashboard_share(
        &self,
        actor: &Actor,
        tenant: TenantId,
        id: DashboardId,
        token: Option<String>,
    ) -> Result<Dashboard>;
    /// The dashboard shared by that token, of whichever tenant (public links).
    async fn find_shared_dashboard(&self, token: &str) -> Result<Option<Dashboard>>;
}

/// Alarms: at most one active per (device, type).
#[async_trait]
pub trait AlarmRepo: Send + Sync {
    /// Raises an alarm, or, when one of the type is active on the device, updates its
    /// severity and details and counts the repeat. Returns it and whether it is new;
    /// `None` when `new.source` is a log position at or before the last one that raised
    /// or cleared this type on the device (a repeat: nothing changed).
    async fn raise_alarm(&self, tenant: TenantId, new: NewAlarm) -> Result<Option<(Alarm, bool)>>;
    /// Clears the active alarm of a type on a device (by its rule); `None` when none is,
    /// or when `source` is a repeat as for [`raise_alarm`](AlarmRepo::raise_alarm).
    async fn clear_alarm_by_type(
        &self,
        tenant: TenantId,
        device: DeviceId,
        alarm_type: &str,
        at: Timestamp,
        source: Option<LogPos>,
    ) -> Result<Option<Alarm>>;
    async fn get_alarm(&self, tenant: TenantId, id: AlarmId) -> Result<Alarm>;
    async fn list_alarms(
        &self,
        tenant: TenantId,
        filter: &AlarmFilter,
        page: &PageRequest<AlarmSort>,
    ) -> Result<Page<Alarm>>;
    /// Acknowledges (idempotent); audited.
    async fn ack_alarm(
        &self,
        actor: &Actor,
        tenant: TenantId,
        id: AlarmId,
        comment: Option<String>,
    ) -> Result<Alarm>;
    /// Clears by a user (idempotent); audited.
    async fn clear_alarm(
        &self,
        actor: &Actor,
        tenant: TenantId,
        id: AlarmId,
        comment: Option<String>,
    ) -> Result<Alarm>;
    /// Active alarms by severity, and how many are unacknowledged.
    async fn alarm_counts(&self, tenant: TenantId) -> Result<AlarmCounts>;
}

/// Model and algorithm usage, per tenant, month, model and path.
#[async_trait]
pub trait UsageRepo: Send + Sync {
    /// Adds counts to the tenant's rows (creating them), in one transaction.
    async fn add_model_usage(
        &self,
        tenant: TenantId,
        rows: &[crate::model::UsageRow],
    ) -> Result<()>;
    /// The tenant's rows of the months `from` to `to` (`YYYY-MM`, inclusive), by month,
    /// model and path.
    async fn model_usage(
        &self,
        tenant: TenantId,
        from: &str,
        to: &str,
    ) -> Result<Vec<crate::model::UsageRow>>;
}

/// Apps: uploaded packages, installations, their state, logs and usage.
#[async_trait]
pub trait AppRepo: Send + Sync {
    /// Keeps one version of an app with its bytes; uploading the same version again with
    /// the same digest is a no-op, with another digest a conflict; audited.
    async fn put_app_package(
        &self,
        actor: &Actor,
        info: &crate::app_install::AppPackageInfo,
        bytes: &[u8],
    ) -> Result<crate::app_install::AppPackageInfo>;
    /// The tenant's packages, by app and version.
    async fn list_app_packages(
        &self,
        tenant: TenantId,
    ) -> Result<Vec<crate::app_install::AppPackageInfo>>;
    /// One version's description, without its bytes.
    async fn get_app_package_info(
        &self,
        tenant: TenantId,
        app_id: &str,
        version: &str,
    ) -> Result<crate::app_install::AppPackageInfo>;
    /// One version with its bytes.
    async fn get_app_package(
        &self,
        tenant: TenantId,
        app_id: &str,
        version: &str,
    ) -> Result<(crate::app_install::AppPackageInfo, Vec<u8>)>;
    /// Refused while an installation uses the version; audited.
    async fn delete_app_package(
        &self,
        actor: &Actor,
        tenant: TenantId,
        app_id: &str,
        version: &str,
    ) -> Result<()>;

    /// A new installation of a version the tenant holds; names unique per tenant; audited.
    async fn create_installation(
        &self,
        actor: &Actor,
        tenant: TenantId,
        spec: crate::app_install::InstallationSpec,
    ) -> Result<crate::app_install::AppInstallation>;
    async fn get_installation(
        &self,
        tenant: TenantId,
        id: crate::ids::InstallationId,
    ) -> Result<crate::app_install::AppInstallation>;
    /// The tenant's installations, by name.
    async fn list_installations(
        &self,
        tenant: TenantId,
    ) -> Result<Vec<crate::app_install::AppInstallation>>;
    /// Replaces the spec (the name stays) and the version to roll back to; audited with
    /// `action` (`update`, `enable`, `disable`, `upgrade`, `rollback`).
    async fn update_installation(
        &self,
        actor: &Actor,
        tenant: TenantId,
        id: crate::ids::InstallationId,
        spec: crate::app_install::InstallationSpec,
        previous_version: Option<String>,
        action: &str,
    ) -> Result<crate::app_install::AppInstallation>;
    /// Removes the installation, and its state and logs unless `keep_data`; audited.
    async fn delete_installation(
        &self,
        actor: &Actor,
        tenant: TenantId,
        id: crate::ids::InstallationId,
        keep_data: bool,
    ) -> Result<()>;
    /// Every enabled installation of every tenant (for the runtime).
    async fn enabled_installations(&self) -> Result<Vec<crate::app_install::AppInstallation>>;

    /// A value of an installation's state (by installation name).
    async fn app_state_get(
        &self,
        tenant: TenantId,
        installation: &str,
        key: &str,
    ) -> Result<Option<serde_json::Value>>;
    /// Sets (or with `None` deletes) a value; at most
    /// [`crate::app_install::MAX_STATE_KEYS`] keys of
    /// [`crate::app_install::MAX_STATE_VALUE_BYTES`] each.
    async fn app_state_set(
        &self,
        tenant: TenantId,
        installation: &str,
        key: &str,
        value: Option<&serde_json::Value>,
    ) -> Result<()>;
    /// An installation's state in key order, from the first key after `after`; at most
    /// `limit` entries.
    async fn app_state_list(
        &self,
        tenant: TenantId,
        installation: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<(String, serde_json::Value)>>;
    /// Appends log lines, keeping the newest [`crate::app_install::MAX_LOG_LINES`].
    async fn add_app_logs(
        &self,
        tenant: TenantId,
        installation: &str,
        entries: &[crate::app_install::AppLogEntry],
    ) -> Result<()>;
    /// The newest `limit` lines, newest first.
    async fn app_logs(
        &self,
        tenant: TenantId,
        installation: &str,
        limit: usize,
    ) -> Result<Vec<crate::app_install::AppLogEntry>>;
    /// Adds counts to the tenant's rows (creating them).
    async fn add_app_usage(
        &self,
        tenant: TenantId,
        rows: &[crate::app_install::AppUsageRow],
    ) -> Result<()>;
    /// Rows of months `from` to `to` (`YYYY-MM`, inclusive).
    async fn app_usage(
        &self,
        tenant: TenantId,
        from: &str,
        to: &str,
    ) -> Result<Vec<crate::app_install::AppUsageRow>>;
    /// The hosts the tenant lets its apps reach over HTTP (sorted).
    async fn app_http_hosts(&self, tenant: TenantId) -> Result<Vec<String>>;
    /// Replaces that list (host names, checked); audited.
    async fn set_app_http_hosts(
        &self,
        actor: &Actor,
        tenant: TenantId,
        hosts: &[String],
    ) -> Result<Vec<String>>;
}

/// Models bound to products' live messages, and jobs over history.
#[async_trait]
pub trait ModelRunRepo: Send + Sync {
    /// A new binding; names are unique per tenant; audited.
    async fn create_binding(
        &self,
        actor: &Actor,
        tenant: TenantId,
        spec: crate::model_run::BindingSpec,
    ) -> Result<crate::model_run::ModelBinding>;
    async fn get_binding(
        &self,
        tenant: TenantId,
        id: crate::ids::BindingId,
    ) -> Result<crate::model_run::ModelBinding>;
    /// The tenant's bindings (of one product when `product_key` is given), by name. A
    /// tenant has at most [`crate::model_run::MAX_BINDINGS_PER_TENANT`].
    async fn list_bindings(
        &self,
        tenant: TenantId,
        product_key: Option<&str>,
    ) -> Result<Vec<crate::model_run::ModelBinding>>;
    /// Replaces the document; audited.
    async fn update_binding(
        &self,
        actor: &Actor,
        tenant: TenantId,
        id: crate::ids::BindingId,
        spec: crate::model_run::BindingSpec,
    ) -> Result<crate::model_run::ModelBinding>;
    async fn delete_binding(
        &self,
        actor: &Actor,
        tenant: TenantId,
        id: crate::ids::BindingId,
    ) -> Result<()>;
    /// Every enabled binding of every tenant (for the runtime).
    async fn enabled_bindings(&self) -> Result<Vec<crate::model_run::ModelBinding>>;

    /// Records a new job (queued); audited.
    async fn create_job(&self, actor: &Actor, job: &crate::model_run::Job) -> Result<()>;
    async fn get_job(
        &self,
        tenant: TenantId,
        id: crate::ids::JobId,
    ) -> Result<crate::model_run::Job>;
    async fn list_jobs(
        &self,
        tenant: TenantId,
        page: &PageRequest<JobSort>,
    ) -> Result<Page<crate::model_run::Job>>;
    /// Saves a job's status, progress, error and result.
    async fn save_job(&self, job: &crate::model_run::Job) -> Result<()>;
    /// Marks jobs left queued or running by a stopped platform as interrupted; returns
    /// how many.
    async fn interrupt_jobs(&self) -> Result<u64>;
}

/// The marketplace: developers, submissions and their reports, signed releases, signing
/// keys. Platform-wide records (not a tenant's); every change is audited.
#[async_trait]
pub trait MarketRepo: Send + Sync {
    /// A new developer account (its name is unique, one per user).
    async fn create_developer(
        &self,
        actor: &Actor,
        new: crate::market::NewDeveloper,
    ) -> Result<crate::market::Developer>;
    async fn get_developer(&self, id: crate::ids::DeveloperId) -> Result<crate::market::Developer>;
    /// The developer account of a user, if it has one.
    async fn developer_of_user(
        &self,
        user: crate::ids::UserId,
    ) -> Result<Option<crate::market::Developer>>;
    async fn list_developers(
        &self,
        filter: &crate::market::DeveloperFilter,
        page: &PageRequest<DeveloperSort>,
    ) -> Result<Page<crate::market::Developer>>;
    /// A reviewer's decision on a developer (verify, reject, suspend).
    async fn review_developer(
        &self,
        actor: &Actor,
        id: crate::ids::DeveloperId,
        status: crate::market::DeveloperStatus,
        comment: Option<String>,
    ) -> Result<crate::market::Developer>;

    /// Keeps a new submission with its package bytes (status `checking`). Refused when the
    /// app id belongs to another developer, the version is already released or waiting,
    /// or the developer has too many open submissions.
    async fn create_submission(
        &self,
        actor: &Actor,
        submission: &crate::market::Submission,
        bytes: &[u8],
    ) -> Result<crate::market::Submission>;
    async fn get_submission(
        &self,
        id: crate::ids::SubmissionId,
    ) -> Result<crate::market::Submission>;
    async fn submission_bytes(&self, id: crate::ids::SubmissionId) -> Result<Vec<u8>>;
    async fn list_submissions(
        &self,
        filter: &crate::market::SubmissionFilter,
        page: &PageRequest<SubmissionSort>,
    ) -> Result<Page<crate::market::Submission>>;
    /// The automated checks finished: keeps the report, moves the submission to
    /// `in_review` (passed) or `check_failed`.
    async fn finish_checks(
        &self,
        id: crate::ids::SubmissionId,
        report: &crate::market::CheckReport,
    ) -> Result<crate::market::Submission>;
    /// A decision on a submission in review, or the developer's withdrawal: `rejected` or
    /// `withdrawn` with a comment. Only from `in_review` (or `checking` for a withdrawal).
    async fn close_submission(
        &self,
        actor: &Actor,
        id: crate::ids::SubmissionId,
        status: crate::market::SubmissionStatus,
        comment: Option<String>,
    ) -> Result<crate::market::Submission>;
    /// Approves a submission in review: keeps the signed package as a release and marks
    /// the submission released, in one transaction.
    async fn release_submission(
        &self,
        actor: &Actor,
        id: crate::ids::SubmissionId,
        release: &crate::market::Release,
        signed: &[u8],
        comment: Option<String>,
    ) -> Result<crate::market::Release>;
    async fn get_release(&self, app_id: &str, version: &str) -> Result<crate::market::Release>;
    async fn release_bytes(&self, app_id: &str, version: &str) -> Result<Vec<u8>>;
    /// Releases, newest first; of one app, or of all.
    async fn list_releases(
        &self,
        app_id: Option<&str>,
        page: &PageRequest<ReleaseSort>,
    ) -> Result<Page<crate::market::Release>>;

    /// Every signing key, newest first.
    async fn list_signing_keys(&self) -> Result<Vec<crate::market::SigningKey>>;
    /// The active key with its sealed private half (none before the first is made).
    async fn active_signing_key(&self) -> Result<Option<crate::market::SealedSigningKey>>;
    /// Adds a key as the active one; the previously active key is retired.
    async fn rotate_signing_key(
        &self,
        actor: &Actor,
        key: &crate::market::SealedSigningKey,
    ) -> Result<crate::market::SigningKey>;
    /// Revokes a key: what it signed is refused from now on.
    async fn revoke_signing_key(
        &self,
        actor: &Actor,
        key_id: &str,
    ) -> Result<crate::market::SigningKey>;
}

/// The marketplace's ratings and reviews, and what it counts of apps' use.
#[async_trait]
pub trait ReviewRepo: Send + Sync {
    /// Writes the tenant's review of an app (a second one replaces the first); audited.
    async fn put_review(
        &self,
        actor: &Actor,
        review: &crate::market::Review,
    ) -> Result<crate::market::Review>;
    async fn delete_review(&self, actor: &Actor, tenant: TenantId, app_id: &str) -> Result<()>;
    async fn review_of(
        &self,
        tenant: TenantId,
        app_id: &str,
    ) -> Result<Option<crate::market::Review>>;
    /// An app's reviews, newest first.
    async fn list_reviews(
        &self,
        app_id: &str,
        page: &PageRequest<ReviewSort>,
    ) -> Result<Page<crate::market::Review>>;
    /// Per app: tenants holding it from the store, installations, ratings.
    async fn app_stats(&self)
    -> Result<std::collections::HashMap<String, crate::market::AppStats>>;
    /// Whether the tenant took any version of the app from the store.
    async fn tenant_holds_app(&self, tenant: TenantId, app_id: &str) -> Result<bool>;
}

/// The marketplace's trading: plans, subscriptions, orders and the ledger. Every change
/// of an order writes its ledger postings in the same transaction; each posting set sums
/// to zero.
#[async_trait]
pub trait TradeRepo: Send + Sync {
    async fn create_plan(
        &self,
        actor: &Actor,
        plan: &crate::trade::Plan,
    ) -> Result<crate::trade::Plan>;
    async fn get_plan(&self, id: crate::ids::PlanId) -> Result<crate::trade::Plan>;
    /// An app's plans, oldest first.
    async fn list_plans(&self, app_id: &str) -> Result<Vec<crate::trade::Plan>>;
    /// Every app's plans, by app and age.
    async fn all_plans(&self) -> Result<Vec<crate::trade::Plan>>;
    async fn set_plan_active(
        &self,
        actor: &Actor,
        id: crate::ids::PlanId,
        active: bool,
    ) -> Result<crate::trade::Plan>;

    async fn get_subscription(
        &self,
        tenant: TenantId,
        app_id: &str,
    ) -> Result<Option<crate::trade::Subscription>>;
    /// A tenant's subscriptions, or every tenant's.
    async fn list_subscriptions(
        &self,
        tenant: Option<TenantId>,
    ) -> Result<Vec<crate::trade::Subscription>>;
    /// Writes a subscription (one per tenant and app); audited in the tenant.
    async fn put_subscription(
        &self,
        actor: &Actor,
        sub: &crate::trade::Subscription,
    ) -> Result<crate::trade::Subscription>;
    /// Subscriptions that run (trial, active) with their period ended before `now`.
    async fn due_subscriptions(
        &self,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Vec<crate::trade::Subscription>>;

    /// Keeps an order, its invoice postings and (if given) the tenant's subscription in
    /// one transaction. A usage order of a tenant, app and month is made once.
    async fn create_order(
        &self,
        actor: &Actor,
        order: &crate::trade::Order,
        sub: Option<&crate::trade::Subscription>,
    ) -> Result<crate::trade::Order>;
    async fn get_order(&self, id: crate::ids::OrderId) -> Result<crate::trade::Order>;
    async fn list_orders(
        &self,
        filter: &crate::trade::OrderFilter,
        page: &PageRequest<OrderSort>,
    ) -> Result<Page<crate::trade::Order>>;
    /// A pending order paid: its invoice number, the payment postings, and for a
    /// subscription order the subscription active until a period after the later of now
    /// and its current end — one transaction.
    async fn pay_order(
        &self,
        actor: &Actor,
        id: crate::ids::OrderId,
        extend: Option<crate::trade::PlanKind>,
    ) -> Result<(crate::trade::Order, Option<crate::trade::Subscription>)>;
    /// A pending order cancelled or a paid one refunded, with the reversing postings; a
    /// refunded subscription order ends the subscription now.
    async fn close_order(
        &self,
        actor: &Actor,
        id: crate::ids::OrderId,
        status: crate::trade::OrderStatus,
        note: Option<String>,
    ) -> Result<(crate::trade::Order, Option<crate::trade::Subscription>)>;

    /// Posts one balanced ledger transaction on its own (refused unless it sums to zero).
    async fn post_transaction(&self, memo: &str, postings: &[(String, i64)]) -> Result<String>;
    /// Posts balanced ledger transactions, all or none, durably (on SQLite the commit is
    /// synced to disk, as PostgreSQL's is): one commit for the whole batch.
    async fn post_transactions(
        &self,
        batch: &[(String, Vec<(String, i64)>)],
    ) -> Result<Vec<String>>;
    async fn list_postings(
        &self,
        account: Option<&str>,
        page: &PageRequest<PostingSort>,
    ) -> Result<Page<crate::trade::Posting>>;
    /// Every account's balance (the accounts' sum is zero).
    async fn balances(&self) -> Result<Vec<crate::trade::Balance>>;
}

/// What the marketplace counts of developers: their developer API requests per month,
/// and the raw counts [`crate::developer_stats`] adds up.
#[async_trait]
pub trait DeveloperStatsRepo: Send + Sync {
    /// Adds requests to the developer API to each developer's month.
    async fn add_developer_api_usage(
        &self,
        rows: &[crate::developer_stats::DeveloperApiUsage],
    ) -> Result<()>;
    /// The requests of one developer, or of all, in the months `from..=to`.
    async fn developer_api_usage(
        &self,
        developer: Option<crate::ids::DeveloperId>,
        from: &str,
        to: &str,
    ) -> Result<Vec<crate::developer_stats::DeveloperApiUsage>>;
    /// Every developer (or one) with the apps it owns.
    async fn developer_census(
        &self,
        developer: Option<crate::ids::DeveloperId>,
    ) -> Result<Vec<crate::developer_stats::DeveloperCensus>>;
    /// When each submission since `since` was made, and by whom.
    async fn submission_times(
        &self,
        since: chrono::DateTime<chrono::Utc>,
    ) -> Result<Vec<(crate::ids::DeveloperId, chrono::DateTime<chrono::Utc>)>>;
    /// Each marketplace app's use per month in `from..=to`, summed over the tenants that
    /// took it from the store (of one developer's apps, or of all).
    async fn store_app_usage(
        &self,
        developer: Option<crate::ids::DeveloperId>,
        from: &str,
        to: &str,
    ) -> Result<Vec<crate::developer_stats::StoreAppUsage>>;
    /// Apps with a release in the store, and tenants that took at least one from it.
    async fn store_reach(&self) -> Result<(u64, u64)>;
    /// A developer's share of each paid order of its apps, when it was paid, and the
    /// share taken back when a paid order was refunded.
    async fn developer_earnings(
        &self,
        developer: crate::ids::DeveloperId,
    ) -> Result<Vec<crate::developer_stats::Earning>>;
}

/// Reads identifiers one at a time on the calling thread, blocking: a resolver thread
/// holds one of its own, so what its cache misses is read without crossing to another
/// thread and back (see [`IdentifierRepo::identifier_reader`]).
pub trait IdentifierReader: Send {
    /// The identifier `handle` (canonical), if it exists.
    fn identifier(&mut self, handle: &str) -> Result<Option<crate::identifier::IdentifierRecord>>;
}

/// Identifier resolution's records: prefixes, metadata templates, identifiers and their
/// links. Prefixes and identifiers are unique platform-wide; every change is audited in
/// the owning tenant.
#[async_trait]
pub trait IdentifierRepo: Send + Sync {
    /// A blocking reader of identifiers for one thread, where the store has one (SQLite
    /// on a file: a read-only connection of its own); `None` where reads go through the
    /// store's asynchronous queries only.
    fn identifier_reader(&self) -> Result<Option<Box<dyn IdentifierReader>>> {
        Ok(None)
    }
    /// Refused when any tenant holds the prefix already, or the tenant holds too many.
    async fn create_prefix(
        &self,
        actor: &Actor,
        prefix: &crate::identifier::IdPrefix,
    ) -> Result<crate::identifier::IdPrefix>;
    /// The tenant's prefixes with how many identifiers each has.
    async fn list_prefixes(&self, tenant: TenantId) -> Result<Vec<crate::identifier::IdPrefix>>;
    /// Who holds a prefix (compared without regard to ASCII case).
    async fn prefix_owner(&self, prefix: &str) -> Result<Option<TenantId>>;
    /// Refused while identifiers are registered under it.
    async fn delete_prefix(&self, actor: &Actor, tenant: TenantId, prefix: &str) -> Result<()>;

    /// A new template version (id and version unique platform-wide).
    async fn create_template(
        &self,
        actor: &Actor,
        template: &crate::identifier::IdTemplate,
    ) -> Result<crate::identifier::IdTemplate>;
    async fn get_template(&self, id: &str, version: &str) -> Result<crate::identifier::IdTemplate>;
    /// The shipped templates and, given a tenant, its own.
    async fn list_templates(
        &self,
        tenant: Option<TenantId>,
    ) -> Result<Vec<crate::identifier::IdTemplate>>;
    /// Replaces a version of one of the tenant's templates (for the SNMS API, whose v5
    /// templates change in place: the caller keeps every field, at most disabled, so the
    /// identifiers registered with it stay valid); audited.
    async fn update_template(
        &self,
        actor: &Actor,
        tenant: TenantId,
        template: &crate::identifier::IdTemplate,
    ) -> Result<crate::identifier::IdTemplate>;
    /// Deletes a version of one of the tenant's templates: refused (`InUse`) while
    /// identifiers name it; audited.
    async fn delete_template(
        &self,
        actor: &Actor,
        tenant: TenantId,
        id: &str,
        version: &str,
    ) -> Result<()>;

    /// Registers identifiers in one transaction; one that exists already is left as it
    /// is and reported. Audited once per call (with the count), so a batch of a million
    /// does not write a million audit entries.
    async fn create_identifiers(
        &self,
        actor: &Actor,
        tenant: TenantId,
        records: &[crate::identifier::IdentifierRecord],
    ) -> Result<Vec<crate::identifier::BatchOutcome>>;
    /// Replaces an identifier's values (and template); audited.
    async fn update_identifier(
        &self,
        actor: &Actor,
        record: &crate::identifier::IdentifierRecord,
    ) -> Result<crate::identifier::IdentifierRecord>;
    async fn get_identifier(
        &self,
        handle: &str,
    ) -> Result<Option<crate::identifier::IdentifierRecord>>;
    /// The identifiers among `handles` (canonical) that exist, in one query (at most
    /// [`crate::identifier::MAX_LOOKUP`] handles), in no particular order.
    async fn get_identifiers(
        &self,
        handles: &[String],
    ) -> Result<Vec<crate::identifier::IdentifierRecord>>;
    /// Deletes one of the tenant's identifiers (and the links it is the parent of).
    async fn delete_identifier(&self, actor: &Actor, tenant: TenantId, handle: &str) -> Result<()>;
    /// The tenant's identifiers, of one prefix, or whose handle contains `q`.
    async fn list_identifiers(
        &self,
        tenant: TenantId,
        prefix: Option<&str>,
        q: Option<&str>,
        page: &PageRequest<IdentifierSort>,
    ) -> Result<Page<crate::identifier::IdentifierRecord>>;

    /// Links a parent (the tenant's) to a child (any identifier); audited.
    async fn add_link(
        &self,
        actor: &Actor,
        link: &crate::identifier::IdLink,
    ) -> Result<crate::identifier::IdLink>;
    async fn remove_link(
        &self,
        actor: &Actor,
        tenant: TenantId,
        parent: &str,
        child: &str,
    ) -> Result<()>;
    /// Adds resolutions to each identifier's month.
    async fn add_resolutions(&self, rows: &[crate::identifier::ResolutionCount]) -> Result<()>;
    /// A tenant's resolutions in a month (`YYYY-MM`), with its `top` most resolved
    /// identifiers.
    async fn resolution_stats(
        &self,
        tenant: TenantId,
        month: &str,
        top: u32,
    ) -> Result<crate::identifier::ResolutionStats>;
    /// An identifier's links: those where it is the parent (its children) and those
    /// where it is the child (its parents).
    async fn links_of(
        &self,
        handle: &str,
    ) -> Result<(
        Vec<crate::identifier::IdLink>,
        Vec<crate::identifier::IdLink>,
    )>;

    /// A new import job (queued); audited as the job's start.
    async fn create_import(
        &self,
        actor: &Actor,
        job: &crate::identifier_import::IdImport,
    ) -> Result<crate::identifier_import::IdImport>;
    /// One of the tenant's import jobs (another tenant's is not found).
    async fn get_import(
        &self,
        tenant: TenantId,
        id: crate::ids::IdImportId,
    ) -> Result<crate::identifier_import::IdImport>;
    async fn list_imports(
        &self,
        tenant: TenantId,
        page: &PageRequest<IdImportSort>,
    ) -> Result<Page<crate::identifier_import::IdImport>>;
    /// Every tenant's queued and running jobs, oldest first (to resume them at start).
    async fn open_imports(&self) -> Result<Vec<crate::identifier_import::IdImport>>;
    /// Marks a queued or running job running (its start time kept from the first run);
    /// returns it as it is now (a cancelled one stays cancelled).
    async fn start_import(
        &self,
        id: crate::ids::IdImportId,
    ) -> Result<crate::identifier_import::IdImport>;
    /// Registers a chunk's identifiers as [`IdentifierRepo::create_identifiers`] does and
    /// records the job's progress in the same transaction (so a chunk is counted exactly
    /// once, whenever the process stops); not audited per chunk. Returns each record's
    /// outcome and the job as it is now (cancelled meanwhile, perhaps).
    async fn import_chunk(
        &self,
        tenant: TenantId,
        id: crate::ids::IdImportId,
        progress: &crate::identifier_import::ImportProgress,
        records: &[crate::identifier::IdentifierRecord],
    ) -> Result<(
        Vec<crate::identifier::BatchOutcome>,
        crate::identifier_import::IdImport,
    )>;
    /// Ends a queued or running job as done or failed (with why); audited. A job
    /// cancelled meanwhile stays cancelled.
    async fn finish_import(
        &self,
        id: crate::ids::IdImportId,
        state: crate::identifier_import::ImportState,
        failure: Option<&crate::market::LocalText>,
    ) -> Result<crate::identifier_import::IdImport>;
    /// Cancels one of the tenant's queued or running jobs (its runner stops after the
    /// chunk it is at); audited. A finished job is refused.
    async fn cancel_import(
        &self,
        actor: &Actor,
        tenant: TenantId,
        id: crate::ids::IdImportId,
    ) -> Result<crate::identifier_import::IdImport>;
    /// Deletes one of the tenant's finished jobs; audited. A queued or running one is
    /// refused.
    async fn delete_import(
        &self,
        actor: &Actor,
        tenant: TenantId,
        id: crate::ids::IdImportId,
    ) -> Result<()>;
}

/// Readers a tenant lets see its identifiers' values that are not public.
#[async_trait]
pub trait IdentifierGrantRepo: Send + Sync {
    /// Grants (409 when it exists). The scope must be one of the owner's prefixes or
    /// identifiers (else not found), the reader another tenant.
    async fn grant_reader(
        &self,
        actor: &Actor,
        grant: &crate::identifier::IdGrant,
    ) -> Result<crate::identifier::IdGrant>;
    /// Takes a grant back (not found when there is none).
    async fn revoke_reader(
        &self,
        actor: &Actor,
        owner: TenantId,
        scope: &str,
        reader: TenantId,
    ) -> Result<()>;
    /// The owner's grants, by scope and reader.
    async fn list_grants(&self, owner: TenantId) -> Result<Vec<crate::identifier::IdGrant>>;
    /// The grants `owner` gave `reader`.
    async fn grants_to(
        &self,
        owner: TenantId,
        reader: TenantId,
    ) -> Result<Vec<crate::identifier::IdGrant>>;
}

/// Devices' live data per month (see [`crate::activity`]).
#[async_trait]
pub trait ActivityRepo: Send + Sync {
    /// Adds the deltas to the stored months (counts add up, first and last widen, the
    /// property sets merge).
    async fn add_device_activity(&self, rows: &[crate::activity::ActivityDelta]) -> Result<()>;
    /// A device's stored month.
    async fn device_month(
        &self,
        tenant: TenantId,
        device: DeviceId,
        month: &str,
    ) -> Result<Option<crate::activity::DeviceMonth>>;
}

/// The grouped counts and records the evaluation report reads (see [`crate::evaluation`]).
#[async_trait]
pub trait EvaluationRepo: Send + Sync {
    /// Devices per tenant, category and kind: registered now, connected and managed (a
    /// command succeeded) in `month`, with their data points; of one tenant or all.
    async fn device_groups(
        &self,
        month: &str,
        tenant: Option<TenantId>,
    ) -> Result<Vec<crate::evaluation::DeviceGroup>>;
    /// Model and algorithm calls per tenant and month in `from..=to`, of one tenant or all.
    async fn model_calls(
        &self,
        from: &str,
        to: &str,
        tenant: Option<TenantId>,
    ) -> Result<Vec<(TenantId, String, u64)>>;
    /// Every app released in the store (its newest release's manifest).
    async fn released_apps(&self) -> Result<Vec<crate::evaluation::AppFacts>>;
    /// Tenants that took an app from the store.
    async fn store_subscribers(&self) -> Result<Vec<TenantId>>;
    /// Tenants that paid an order.
    async fn paying_tenants(&self) -> Result<Vec<TenantId>>;
    /// Every tenant's profile.
    async fn all_profiles(&self) -> Result<Vec<EnterpriseProfile>>;
    /// The devices that delivered data in `month`.
    async fn connected_devices(
        &self,
        month: &str,
        filter: &crate::evaluation::RecordFilter,
        page: u32,
        page_size: u32,
    ) -> Result<Page<crate::evaluation::DeviceRecord>>;
    /// Keeps a month's report (JSON); a month already kept is replaced only when
    /// `replace`. Whether it was written.
    async fn put_snapshot(
        &self,
        month: &str,
        computed_at: chrono::DateTime<chrono::Utc>,
        version: &str,
        report: &str,
        replace: bool,
    ) -> Result<bool>;
    /// The kept reports of `from..=to`, oldest first: month, when, version, JSON.
    async fn snapshots(
        &self,
        from: &str,
        to: &str,
    ) -> Result<Vec<(String, chrono::DateTime<chrono::Utc>, String, String)>>;
    /// Adds a node's transactions per minute (rows of a node and minute add up, their
    /// peaks take the larger).
    async fn add_load(&self, node: &str, rows: &[crate::load::LoadRow]) -> Result<()>;
    /// The transactions of the minutes `from..to` (Unix minutes), all nodes: totals, the
    /// busiest second and the busiest hour (`average_tps` and `sustained_tps` are left to
    /// the caller, who knows the period's length).
    async fn load_figures(&self, from: i64, to: i64) -> Result<crate::load::LoadFigures>;
    /// The model and algorithm calls of the months `from..=to` per tenant, month, model
    /// and path, newest month first (the filter's tenant, industry and region).
    async fn call_records(
        &self,
        from: &str,
        to: &str,
        filter: &crate::evaluation::RecordFilter,
        page: u32,
        page_size: u32,
    ) -> Result<Page<crate::evaluation::TenantRecord>>;
    /// The apps tenants took from the store, newest first (the filter's tenant, industry
    /// and region).
    async fn subscriber_records(
        &self,
        filter: &crate::evaluation::RecordFilter,
        page: u32,
        page_size: u32,
    ) -> Result<Page<crate::evaluation::TenantRecord>>;
    /// The devices with a command that succeeded in `month`.
    async fn managed_devices(
        &self,
        month: &str,
        filter: &crate::evaluation::RecordFilter,
        page: u32,
        page_size: u32,
    ) -> Result<Page<crate::evaluation::DeviceRecord>>;
}

/// The enterprise profiles of tenants (see [`crate::enterprise`]).
#[async_trait]
pub trait EnterpriseRepo: Send + Sync {
    async fn get_profile(&self, tenant: TenantId) -> Result<Option<EnterpriseProfile>>;
    /// Creates or replaces the tenant's profile (checked by the caller, with the size class
    /// it derives), audited with each changed field. `expected_version`: refused with a
    /// conflict when the stored profile is at another version.
    async fn put_profile(
        &self,
        actor: &Actor,
        tenant: TenantId,
        input: &ProfileInput,
        size: SizeClass,
        expected_version: Option<i64>,
    ) -> Result<EnterpriseProfile>;
    async fn list_profiles(
        &self,
        filter: &ProfileFilter,
        page: &PageRequest<ProfileSort>,
    ) -> Result<Page<EnterpriseProfile>>;
}

/// Everything the platform keeps in its relational store.
#[async_trait]
pub trait MetaStore:
    TenantRepo
    + UserRepo
    + ApiKeyRepo
    + ProductRepo
    + DeviceRepo
    + GroupRepo
    + AuditRepo
    + CommandRepo
    + AttributeRepo
    + ProvisioningRepo
    + RuleRepo
    + AlarmRepo
    + DashboardRepo
    + UsageRepo
    + ModelRunRepo
    + AppRepo
    + MarketRepo
    + ReviewRepo
    + TradeRepo
    + DeveloperStatsRepo
    + IdentifierRepo
    + IdentifierGrantRepo
    + EnterpriseRepo
    + ActivityRepo
    + EvaluationRepo
{
    /// `sqlite` or `postgres`.
    fn backend(&self) -> &'static str;
    /// Checks the store answers (readiness).
    async fn ping(&self) -> Result<()>;
}
