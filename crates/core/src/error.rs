//! The platform's errors as people and programs see them: each has a stable `code` (what
//! clients match on) and a message in English or 简体中文. Storage failures keep their
//! detail for the log and show people only that something went wrong inside.

use crate::auth::Permission;
use crate::entity::{Resource, Timestamp};
use crate::i18n::Locale;
use crate::thing_model::ThingModelError;
use std::fmt;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{} not found", .0.as_str())]
    NotFound(Resource),
    #[error("{} with {field} {value:?} already exists", resource.as_str())]
    AlreadyExists {
        resource: Resource,
        field: &'static str,
        value: String,
    },
    /// Something platform-wide (an identifier prefix) that another tenant holds.
    #[error("{} {value:?} is held by another tenant", resource.as_str())]
    HeldByAnotherTenant { resource: Resource, value: String },
    #[error("invalid input: {0}")]
    Invalid(FieldError),
    #[error("invalid thing model: {0}")]
    ThingModel(ThingModelError),
    #[error("{} was changed by someone else (now at version {actual})", resource.as_str())]
    VersionConflict { resource: Resource, actual: i64 },
    #[error("{} is still used by {count} {}", resource.as_str(), by.as_str())]
    InUse {
        resource: Resource,
        by: Resource,
        count: u64,
    },
    #[error("quota exceeded: at most {limit} {}", what.as_str())]
    QuotaExceeded { what: Resource, limit: u64 },
    #[error("authentication failed: {0:?}")]
    Unauthenticated(AuthFailure),
    #[error("forbidden")]
    Forbidden(Option<Permission>),
    /// Writes arrive faster than the storage can take them; retry later.
    #[error("overloaded: {0}")]
    Overloaded(&'static str),
    /// A command that does not fit the device's thing model.
    #[error("command refused: {}", .0.message(Locale::En))]
    Command(crate::command::CommandRejection),
    /// The device is not connected and the caller asked not to queue.
    #[error("the device is offline")]
    DeviceOffline,
    /// The device is connected but does not listen for commands (it has not subscribed
    /// to its command topic), and the caller asked not to queue.
    #[error("the device does not listen for commands")]
    DeviceNotListening,
    /// A model call refused: unknown model, bad input, or the model's own refusal.
    #[error("{0}")]
    Model(Box<crate::model::ModelError>),
    /// A cluster node wrote for a partition it no longer owns: a newer claim moved the
    /// partition's epoch past the node's fence (`current`: the epoch now recorded, `None`
    /// when the partition was never claimed). The node must step down.
    #[error(
        "fenced: partition {} is at epoch {current:?}, not {}",
        fence.partition,
        fence.epoch
    )]
    Fenced {
        fence: crate::cluster::Fence,
        current: Option<u64>,
    },
    /// The store or another dependency failed; the detail is for the log only.
    #[error("storage failure in {action}: {detail}")]
    Storage {
        action: &'static str,
        detail: String,
    },
}

/// Why a caller is not authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthFailure {
    MissingCredentials,
    InvalidToken,
    TokenExpired,
    /// Wrong user name, tenant or password (never says which).
    InvalidCredentials,
    AccountLocked {
        until: Timestamp,
    },
    AccountDisabled,
    TenantDisabled,
    /// More than one tenant has a user of that name: the tenant must be given.
    TenantRequired,
}

impl Error {
    pub fn invalid(field: impl Into<String>, kind: FieldErrorKind) -> Error {
        Error::Invalid(FieldError {
            field: field.into(),
            kind,
        })
    }

    pub fn storage(action: &'static str, detail: impl fmt::Display) -> Error {
        Error::Storage {
            action,
            detail: detail.to_string(),
        }
    }

    /// The stable code clients match on.
    pub fn code(&self) -> &'static str {
        match self {
            Error::NotFound(_) => "not_found",
            Error::AlreadyExists { .. } => "already_exists",
            Error::HeldByAnotherTenant { .. } => "held_by_another_tenant",
            Error::Invalid(_) => "invalid_input",
            Error::ThingModel(_) => "invalid_thing_model",
            Error::VersionConflict { .. } => "version_conflict",
            Error::InUse { .. } => "in_use",
            Error::QuotaExceeded { .. } => "quota_exceeded",
            Error::Unauthenticated(f) => match f {
                AuthFailure::MissingCredentials => "unauthenticated",
                AuthFailure::InvalidToken => "invalid_token",
                AuthFailure::TokenExpired => "token_expired",
                AuthFailure::InvalidCredentials => "invalid_credentials",
                AuthFailure::AccountLocked { .. } => "account_locked",
                AuthFailure::AccountDisabled => "account_disabled",
                AuthFailure::TenantDisabled => "tenant_disabled",
                AuthFailure::TenantRequired => "tenant_required",
            },
            Error::Forbidden(_) => "forbidden",
            Error::Overloaded(_) => "overloaded",
            Error::Command(r) => r.code(),
            Error::DeviceOffline => "device_offline",
            Error::DeviceNotListening => "device_not_listening",
            Error::Model(e) => e.code(),
            Error::Fenced { .. } => "fenced",
            Error::Storage { .. } => "internal",
        }
    }

    /// The message for people, in their language.
    pub fn message(&self, locale: Locale) -> String {
        let zh = locale == Locale::ZhCn;
        match self {
            Error::Model(e) => e.message(locale),
            Error::NotFound(r) => {
                if zh {
                    format!("{}不存在", r.name(locale))
                } else {
                    format!("{} not found", r.name(locale))
                }
            }
            Error::AlreadyExists {
                resource,
                field,
                value,
            } => {
                if zh {
                    format!(
                        "{}的{}「{}」已存在",
                        resource.name(locale),
                        field_name(field, locale),
                        value
                    )
                } else {
                    let name = resource.name(locale);
                    // "an" before a vowel sound ("an API key", "an order"), "a user".
                    let article = if name.starts_with(['a', 'e', 'i', 'o', 'A', 'E', 'I', 'O']) {
                        "an"
                    } else {
                        "a"
                    };
                    format!("{article} {name} with {field} \"{value}\" already exists")
                }
            }
            Error::HeldByAnotherTenant { resource, value } => {
                if zh {
                    format!("{}“{}”已被其他租户持有", resource.name(locale), value)
                } else {
                    format!(
                        "the {} \"{}\" is held by another tenant",
                        resource.name(locale),
                        value
                    )
                }
            }
            Error::Invalid(e) => e.message(locale),
            Error::ThingModel(e) => {
                if zh {
                    format!("物模型无效：{}：{}", e.path, e.message(locale))
                } else {
                    format!("invalid thing model: {}: {}", e.path, e.message(locale))
                }
            }
            Error::VersionConflict { resource, actual } => {
                if zh {
                    format!(
                        "{}已被他人修改（当前版本 {}），请刷新后重试",
                        resource.name(locale),
                        actual
                    )
                } else {
                    format!(
                        "the {} was changed by someone else (now at version {}); reload and try again",
                        resource.name(locale),
                        actual
                    )
                }
            }
            Error::InUse {
                resource,
                by,
                count,
            } => {
                if zh {
                    format!(
                        "{}仍被 {} 个{}使用，无法删除",
                        resource.name(locale),
                        count,
                        by.name(locale)
                    )
                } else {
                    format!(
                        "the {} is still used by {} {}(s) and cannot be deleted",
                        resource.name(locale),
                        count,
                        by.name(locale)
                    )
                }
            }
            Error::QuotaExceeded { what, limit } => {
                if zh {
                    format!("已达到配额上限：最多 {} 个{}", limit, what.name(locale))
                } else {
                    format!("quota reached: at most {} {}(s)", limit, what.name(locale))
                }
            }
            Error::Unauthenticated(f) => match f {
                AuthFailure::MissingCredentials => locale
                    .pick(
                        "authentication required: send a bearer token or an API key",
                        "需要认证：请提供 Bearer 令牌或 API 密钥",
                    )
                    .to_string(),
                AuthFailure::InvalidToken => locale
                    .pick("the token or API key is not valid", "令牌或 API 密钥无效")
                    .to_string(),
                AuthFailure::TokenExpired => locale
                    .pick(
                        "the token or API key has expired; log in again",
                        "令牌或 API 密钥已过期，请重新登录",
                    )
                    .to_string(),
                AuthFailure::InvalidCredentials => locale
                    .pick("wrong user name or password", "用户名或密码错误")
                    .to_string(),
                AuthFailure::AccountLocked { until } => {
                    let until = until.format("%Y-%m-%d %H:%M:%S UTC");
                    if zh {
                        format!("登录失败次数过多，账号已锁定至 {until}")
                    } else {
                        format!("too many failed log-ins: the account is locked until {until}")
                    }
                }
                AuthFailure::AccountDisabled => locale
                    .pick("the account is disabled", "账号已停用")
                    .to_string(),
                AuthFailure::TenantDisabled => locale
                    .pick("the tenant is disabled", "租户已停用")
                    .to_string(),
                AuthFailure::TenantRequired => locale
                    .pick(
                        "several tenants have a user of that name: give the tenant code",
                        "多个租户存在同名用户，请提供租户编码",
                    )
                    .to_string(),
            },
            Error::Forbidden(p) => match p {
                Some(p) => {
                    if zh {
                        format!("没有权限执行此操作（需要 {p}）")
                    } else {
                        format!("you are not allowed to do this (needs {p})")
                    }
                }
                None => locale
                    .pick("you are not allowed to do this", "没有权限执行此操作")
                    .to_string(),
            },
            Error::Overloaded(_) => locale
                .pick(
                    "the server is busy writing data; retry in a few seconds",
                    "服务器正忙于写入数据，请稍后重试",
                )
                .to_string(),
            Error::Command(r) => r.message(locale),
            Error::DeviceOffline => locale
                .pick(
                    "the device is offline; send the command with a queue expiry to deliver it when the device connects",
                    "设备离线；如需在设备上线后送达，请在发送指令时设置排队有效期",
                )
                .to_string(),
            Error::DeviceNotListening => locale
                .pick(
                    "the device is connected but has not subscribed to its command topic; send the command with a queue expiry to deliver it once the device subscribes",
                    "设备在线，但未订阅其指令主题；如需在设备订阅后送达，请在发送指令时设置排队有效期",
                )
                .to_string(),
            Error::Fenced { fence, .. } => {
                if zh {
                    format!(
                        "分区 {} 已由其他节点接管，本节点对该分区的写入被拒绝",
                        fence.partition
                    )
                } else {
                    format!(
                        "partition {} has been taken over by another node; this node's write for it was refused",
                        fence.partition
                    )
                }
            }
            Error::Storage { .. } => locale
                .pick(
                    "an internal error occurred; it has been logged",
                    "服务器内部错误，已记录日志",
                )
                .to_string(),
        }
    }
}

impl From<ThingModelError> for Error {
    fn from(e: ThingModelError) -> Self {
        Error::ThingModel(e)
    }
}

impl From<FieldError> for Error {
    fn from(e: FieldError) -> Self {
        Error::Invalid(e)
    }
}

/// What is wrong with one input field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The field's name or JSON path, e.g. `name` or `tags[2]`, or a CSV `row 3, name`.
    pub field: String,
    pub kind: FieldErrorKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldErrorKind {
    Required,
    Empty,
    TooLong {
        max: usize,
    },
    TooShort {
        min: usize,
    },
    TooMany {
        max: usize,
    },
    /// Control characters (including NUL) are not allowed.
    ControlCharacters,
    /// Does not have the expected shape; `expected` is an English description of it.
    Format {
        expected: &'static str,
        expected_zh: &'static str,
    },
    OutOfRange {
        min: i64,
        max: i64,
    },
    /// Not one of the allowed values.
    OneOf {
        allowed: Vec<String>,
    },
    /// Refers to an object that does not exist (in the caller's tenant).
    UnknownReference(Resource),
    /// Not allowed for the caller (e.g. granting a role above one's own).
    NotAllowed,
    /// A password that is too weak.
    WeakPassword {
        min_len: usize,
    },
    /// Free-form reason with both languages, for rare cases.
    Other {
        en: String,
        zh: String,
    },
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message(Locale::En))
    }
}

impl std::error::Error for FieldError {}

impl FieldError {
    pub fn new(field: impl Into<String>, kind: FieldErrorKind) -> Self {
        FieldError {
            field: field.into(),
            kind,
        }
    }

    pub fn message(&self, locale: Locale) -> String {
        use FieldErrorKind::*;
        let f = &self.field;
        match locale {
            Locale::En => match &self.kind {
                Required => format!("{f}: is required"),
                Empty => format!("{f}: must not be empty"),
                TooLong { max } => format!("{f}: is too long (at most {max} characters)"),
                TooShort { min } => format!("{f}: is too short (at least {min} characters)"),
                TooMany { max } => format!("{f}: has too many items (at most {max})"),
                ControlCharacters => format!("{f}: must not contain control characters"),
                Format { expected, .. } => format!("{f}: must be {expected}"),
                OutOfRange { min, max } => format!("{f}: must be between {min} and {max}"),
                OneOf { allowed } => format!("{f}: must be one of {}", allowed.join(", ")),
                UnknownReference(r) => format!("{f}: no such {}", r.name(locale)),
                NotAllowed => format!("{f}: this value is not allowed for you"),
                WeakPassword { min_len } => format!(
                    "{f}: the password must have at least {min_len} characters and mix letters with digits or symbols"
                ),
                Other { en, .. } => format!("{f}: {en}"),
            },
            Locale::ZhCn => match &self.kind {
                Required => format!("{f}：为必填项"),
                Empty => format!("{f}：不能为空"),
                TooLong { max } => format!("{f}：过长（最多 {max} 个字符）"),
                TooShort { min } => format!("{f}：过短（至少 {min} 个字符）"),
                TooMany { max } => format!("{f}：项目过多（最多 {max} 项）"),
                ControlCharacters => format!("{f}：不能包含控制字符"),
                Format { expected_zh, .. } => format!("{f}：必须是{expected_zh}"),
                OutOfRange { min, max } => format!("{f}：必须在 {min} 到 {max} 之间"),
                OneOf { allowed } => format!("{f}：必须是以下之一：{}", allowed.join("、")),
                UnknownReference(r) => format!("{f}：{}不存在", r.name(locale)),
                NotAllowed => format!("{f}：您无权设置此值"),
                WeakPassword { min_len } => {
                    format!("{f}：密码至少 {min_len} 个字符，且须同时包含字母和数字或符号")
                }
                Other { zh, .. } => format!("{f}：{zh}"),
            },
        }
    }
}

fn field_name(field: &str, locale: Locale) -> String {
    match (field, locale) {
        (_, Locale::En) => field.to_string(),
        ("name", _) => "名称".into(),
        ("code", _) => "编码".into(),
        ("username", _) => "用户名".into(),
        ("access_token", _) => "访问令牌".into(),
        ("product_key", _) => "产品密钥".into(),
        (other, _) => other.to_string(),
    }
}

impl From<crate::model::ModelError> for Error {
    fn from(e: crate::model::ModelError) -> Self {
        Error::Model(Box::new(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn existing_objects_take_the_right_article() {
        let exists = |resource| Error::AlreadyExists {
            resource,
            field: "name",
            value: "x".into(),
        };
        let en = |r| exists(r).message(Locale::En);
        assert!(en(Resource::Identifier).starts_with("an identifier with name"));
        assert!(en(Resource::ApiKey).starts_with("an API key"));
        assert!(en(Resource::User).starts_with("a user"));
        assert!(en(Resource::Device).starts_with("a device"));
    }

    #[test]
    fn every_error_has_messages_in_both_languages() {
        let errors = vec![
            Error::NotFound(Resource::Device),
            Error::AlreadyExists {
                resource: Resource::Device,
                field: "name",
                value: "p1".into(),
            },
            Error::invalid("name", FieldErrorKind::TooLong { max: 10 }),
            Error::VersionConflict {
                resource: Resource::Product,
                actual: 3,
            },
            Error::InUse {
                resource: Resource::Product,
                by: Resource::Device,
                count: 2,
            },
            Error::QuotaExceeded {
                what: Resource::Device,
                limit: 5,
            },
            Error::HeldByAnotherTenant {
                resource: Resource::IdPrefix,
                value: "88.118.8".into(),
            },
            Error::Unauthenticated(AuthFailure::InvalidCredentials),
            Error::Forbidden(Some(Permission::DeviceWrite)),
            Error::storage("insert device", "disk full"),
            Error::Overloaded("write-ahead log queue full"),
            Error::Fenced {
                fence: crate::cluster::Fence {
                    partition: 7,
                    epoch: 2,
                },
                current: Some(3),
            },
        ];
        for e in errors {
            let en = e.message(Locale::En);
            let zh = e.message(Locale::ZhCn);
            assert!(!en.is_empty() && !zh.is_empty());
            assert_ne!(en, zh, "{}", e.code());
            assert!(
                zh.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
                "{zh}"
            );
        }
    }

    #[test]
    fn storage_details_are_not_shown_to_people() {
        let e = Error::storage("insert device", "secret table layout");
        assert!(!e.message(Locale::En).contains("secret"));
        assert_eq!(e.code(), "internal");
    }
}
