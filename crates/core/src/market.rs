//! The marketplace's records: developers (accounts apart from tenants), submissions with
//! their automated check reports and the reviewer's decision, releases signed by the
//! platform on a channel, and the platform's signing keys.
//!
//! The flow: a developer uploads a package (a submission) → the automated checks run and
//! write their report → a passed submission waits in the review queue → a reviewer
//! approves it (the platform signs the package and releases it on the submission's channel)
//! or rejects it with comments. Tenants install releases; installation verifies the
//! platform's signature.

use crate::app::AppManifest;
use crate::i18n::Locale;
use crate::ids::{DeveloperId, SubmissionId, UserId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A developer's state: registered developers wait for a platform reviewer to verify them;
/// only verified developers may submit packages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeveloperStatus {
    Pending,
    Verified,
    Rejected,
    Suspended,
}

impl DeveloperStatus {
    pub const ALL: [DeveloperStatus; 4] = [
        DeveloperStatus::Pending,
        DeveloperStatus::Verified,
        DeveloperStatus::Rejected,
        DeveloperStatus::Suspended,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DeveloperStatus::Pending => "pending",
            DeveloperStatus::Verified => "verified",
            DeveloperStatus::Rejected => "rejected",
            DeveloperStatus::Suspended => "suspended",
        }
    }

    pub fn parse(s: &str) -> Option<DeveloperStatus> {
        Self::ALL.into_iter().find(|d| d.as_str() == s)
    }
}

/// A developer account: a person or an organisation that publishes apps. Its log-in is a
/// user (a tenant-less `developer` user when it registered itself, or a tenant's user who
/// also develops).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Developer {
    pub id: DeveloperId,
    pub user_id: UserId,
    /// Shown as the publisher of its apps; unique.
    pub name: String,
    pub email: String,
    /// The organisation it publishes for, if any.
    pub organisation: Option<String>,
    pub website: Option<String>,
    /// The platform's own developer (its built-in apps) is first-party; all others are
    /// third-party.
    pub first_party: bool,
    pub status: DeveloperStatus,
    /// The reviewer's comment on the last verification decision.
    pub review_comment: Option<String>,
    pub reviewed_by: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What a new developer account holds.
#[derive(Debug, Clone)]
pub struct NewDeveloper {
    pub user_id: UserId,
    pub name: String,
    pub email: String,
    pub organisation: Option<String>,
    pub website: Option<String>,
    pub first_party: bool,
    pub status: DeveloperStatus,
}

/// A release channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Stable,
    Beta,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Stable => "stable",
            Channel::Beta => "beta",
        }
    }

    pub fn parse(s: &str) -> Option<Channel> {
        [Channel::Stable, Channel::Beta]
            .into_iter()
            .find(|c| c.as_str() == s)
    }
}

/// Where a submission is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SubmissionStatus {
    /// The automated checks are running.
    Checking,
    /// A check failed: the report says which and why. Nothing more happens to it.
    CheckFailed,
    /// Every check passed: waiting for a reviewer.
    InReview,
    /// Approved, signed and released.
    Released,
    /// The reviewer refused it, with comments.
    Rejected,
    /// The developer took it back before a decision.
    Withdrawn,
}

impl SubmissionStatus {
    pub const ALL: [SubmissionStatus; 6] = [
        SubmissionStatus::Checking,
        SubmissionStatus::CheckFailed,
        SubmissionStatus::InReview,
        SubmissionStatus::Released,
        SubmissionStatus::Rejected,
        SubmissionStatus::Withdrawn,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SubmissionStatus::Checking => "checking",
            SubmissionStatus::CheckFailed => "check_failed",
            SubmissionStatus::InReview => "in_review",
            SubmissionStatus::Released => "released",
            SubmissionStatus::Rejected => "rejected",
            SubmissionStatus::Withdrawn => "withdrawn",
        }
    }

    pub fn parse(s: &str) -> Option<SubmissionStatus> {
        Self::ALL.into_iter().find(|d| d.as_str() == s)
    }

    /// No decision can follow.
    pub fn is_final(self) -> bool {
        !matches!(
            self,
            SubmissionStatus::Checking | SubmissionStatus::InReview
        )
    }
}

/// How one automated check ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CheckOutcome {
    Passed,
    /// Passed, with something the reviewer should look at.
    Warning,
    Failed,
    /// Not run: an earlier check it needs failed.
    Skipped,
}

/// One automated check of a submission.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CheckResult {
    /// `package`, `manifest`, `modules`, `permissions`, `limits`, `network`, `fixtures`.
    pub id: String,
    pub title: LocalText,
    pub outcome: CheckOutcome,
    /// What was found, one line each (in English; file and field names are not translated).
    pub details: Vec<String>,
    pub took_ms: u64,
}

/// A text in both languages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct LocalText {
    pub en: String,
    #[serde(rename = "zh-CN")]
    pub zh: String,
}

impl LocalText {
    pub fn new(en: impl Into<String>, zh: impl Into<String>) -> LocalText {
        LocalText {
            en: en.into(),
            zh: zh.into(),
        }
    }

    pub fn pick(&self, locale: Locale) -> &str {
        match locale {
            Locale::En => &self.en,
            Locale::ZhCn => &self.zh,
        }
    }
}

/// The automated checks' report on a submission.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CheckReport {
    pub passed: bool,
    pub checks: Vec<CheckResult>,
    pub took_ms: u64,
    pub finished_at: DateTime<Utc>,
}

impl CheckReport {
    /// Passed when no check failed.
    pub fn new(checks: Vec<CheckResult>, took_ms: u64, finished_at: DateTime<Utc>) -> CheckReport {
        CheckReport {
            passed: checks.iter().all(|c| c.outcome != CheckOutcome::Failed),
            checks,
            took_ms,
            finished_at,
        }
    }
}

/// A package a developer submitted for release.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Submission {
    pub id: SubmissionId,
    pub developer_id: DeveloperId,
    /// The developer's name, for the review queue.
    pub developer: String,
    pub app_id: String,
    pub version: String,
    pub channel: Channel,
    pub digest: String,
    pub size: u64,
    /// The package's manifest (absent when the package could not be read).
    #[schema(value_type = Option<Object>)]
    pub manifest: Option<AppManifest>,
    /// What changed in this version, from the developer.
    pub changelog: Option<String>,
    pub status: SubmissionStatus,
    pub report: Option<CheckReport>,
    pub review_comment: Option<String>,
    pub reviewed_by: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Submission {
    /// A developer's new submission of a package, waiting for its checks.
    pub fn checking(
        developer: &Developer,
        manifest: AppManifest,
        digest: String,
        size: u64,
        channel: Channel,
        changelog: Option<String>,
    ) -> Submission {
        let at = Utc::now();
        Submission {
            id: SubmissionId::new(),
            developer_id: developer.id,
            developer: developer.name.clone(),
            app_id: manifest.id.clone(),
            version: manifest.version.clone(),
            channel,
            digest,
            size,
            manifest: Some(manifest),
            changelog,
            status: SubmissionStatus::Checking,
            report: None,
            review_comment: None,
            reviewed_by: None,
            created_at: at,
            updated_at: at,
        }
    }
}

/// A released version of an app: the platform signed it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Release {
    pub app_id: String,
    pub version: String,
    pub channel: Channel,
    pub developer_id: DeveloperId,
    pub developer: String,
    pub submission_id: SubmissionId,
    /// The digest of the package's files (what the signature signs).
    pub digest: String,
    /// The signing key's id (see [`SigningKey`]).
    pub key_id: String,
    /// The size of the signed package.
    pub size: u64,
    #[schema(value_type = Object)]
    pub manifest: AppManifest,
    pub changelog: Option<String>,
    pub released_at: DateTime<Utc>,
}

/// A signing key's state. Exactly one key is active; retired keys still verify what they
/// signed; revoked keys verify nothing (their packages are refused).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum KeyState {
    Active,
    Retired,
    Revoked,
}

impl KeyState {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyState::Active => "active",
            KeyState::Retired => "retired",
            KeyState::Revoked => "revoked",
        }
    }

    pub fn parse(s: &str) -> Option<KeyState> {
        [KeyState::Active, KeyState::Retired, KeyState::Revoked]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

/// One of the platform's package signing keys (ed25519). The private half is kept sealed
/// and never leaves the store through the API.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SigningKey {
    /// The first 16 hex digits of the SHA-256 of the public key.
    pub key_id: String,
    pub algorithm: String,
    /// The public key, base64 (32 bytes).
    pub public_key: String,
    pub state: KeyState,
    pub created_at: DateTime<Utc>,
    pub retired_at: Option<DateTime<Utc>>,
}

/// A signing key with its sealed private half, for the signer only.
#[derive(Debug, Clone)]
pub struct SealedSigningKey {
    pub key: SigningKey,
    /// The PKCS#8 document, sealed with the platform's key-encryption key.
    pub sealed_private: Vec<u8>,
}

/// Filters of the developer list.
#[derive(Debug, Clone, Default)]
pub struct DeveloperFilter {
    pub status: Option<DeveloperStatus>,
    pub q: Option<String>,
}

/// Filters of the submission list.
#[derive(Debug, Clone, Default)]
pub struct SubmissionFilter {
    pub developer_id: Option<DeveloperId>,
    pub status: Option<SubmissionStatus>,
    pub app_id: Option<String>,
}

/// Most submissions a developer may have waiting (checking or in review) at once.
pub const MAX_OPEN_SUBMISSIONS: u64 = 20;
/// Longest review comment or changelog.
pub const MAX_COMMENT_LEN: usize = 4000;

/// A tenant's rating and review of an app: one per tenant and app, editable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Review {
    pub app_id: String,
    #[serde(skip_serializing)]
    pub tenant_id: crate::ids::TenantId,
    /// 1 to 5 stars.
    pub rating: u8,
    pub title: Option<String>,
    pub body: Option<String>,
    /// Who wrote it (the user's log-in name), and for which version.
    pub author: String,
    pub version: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What the store knows of an app's use: tenants holding it, installations, ratings.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AppStats {
    /// Tenants that took it from the store (订阅用户数).
    pub tenants: u64,
    /// Installations from the store, in all tenants (not of tenants' own uploads).
    pub installations: u64,
    /// Installations that are enabled.
    pub active_installations: u64,
    pub ratings: u64,
    /// The mean rating (0 without ratings).
    pub rating: f64,
}

/// Longest review title and text.
pub const MAX_REVIEW_TITLE: usize = 120;
pub const MAX_REVIEW_BODY: usize = 4000;
