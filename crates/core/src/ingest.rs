//! What an ingest did: values stored, values refused and why. Every producer of device
//! data (devices over any transport, gateways, rules, later models and apps) gets these
//! from the one ingest path.

use crate::device::ValueRejection;
use crate::i18n::Locale;
use crate::ids::{BindingId, JobId, RuleId};
use crate::telemetry::PointRejection;

/// Who produced data that is ingested: the device itself (directly or through a gateway),
/// or the platform on its behalf.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Origin {
    #[default]
    Device,
    /// Derived telemetry written by a rule. `depth` counts rules in a chain (a rule
    /// reacting to another rule's output): the engine never feeds a rule its own output
    /// and stops chains at a fixed depth, so rules cannot loop.
    Rule { rule: RuleId, depth: u8 },
    /// Derived properties computed by a model bound to the device's product. Bindings
    /// compute only from what devices send, so their outputs never feed a binding.
    Binding { binding: BindingId },
    /// Outputs of a job over stored history, written back.
    Job { job: JobId },
    /// Derived telemetry written by an installed app. Apps are triggered only by what
    /// devices, bindings and jobs write, so apps (and apps through rules) cannot loop.
    App {
        installation: crate::ids::InstallationId,
    },
}

impl Origin {
    /// The source recorded with refusals in the device's error log.
    pub fn source(&self) -> String {
        match self {
            Origin::Device => "device".into(),
            Origin::Rule { rule, .. } => format!("rule:{rule}"),
            Origin::Binding { binding } => format!("binding:{binding}"),
            Origin::Job { job } => format!("job:{job}"),
            Origin::App { installation } => format!("app:{installation}"),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("the device could not be read: {0}")]
    Device(crate::error::Error),
    #[error("the device's product could not be read: {0}")]
    Product(crate::error::Error),
    #[error("the data could not be stored: {0}")]
    Store(crate::error::Error),
}

/// Why one value was not stored: by the thing model, or by the store.
#[derive(Debug, Clone, PartialEq)]
pub enum Rejection {
    Model(ValueRejection),
    Store(PointRejection),
    /// The payload could not be read at all.
    Payload(String),
    /// The topic or path is not part of the device API.
    UnknownTopic,
    /// An event the thing model does not declare.
    UnknownEvent,
}

impl Rejection {
    pub fn code(&self) -> &'static str {
        match self {
            Rejection::Model(r) => r.code(),
            Rejection::Store(r) => r.code(),
            Rejection::Payload(_) => "invalid_payload",
            Rejection::UnknownTopic => "unknown_topic",
            Rejection::UnknownEvent => "unknown_event",
        }
    }

    pub fn alink_code(&self) -> u32 {
        match self {
            Rejection::Model(r) => r.alink_code(),
            Rejection::UnknownEvent => 6300,
            Rejection::UnknownTopic => 6203,
            Rejection::Store(_) | Rejection::Payload(_) => 460,
        }
    }

    pub fn message(&self, locale: Locale) -> String {
        match self {
            Rejection::Model(r) => r.message(locale),
            Rejection::Store(r) => r.message(locale),
            Rejection::Payload(e) => match locale {
                Locale::En => format!("the payload could not be read: {e}"),
                Locale::ZhCn => format!("无法解析消息内容：{e}"),
            },
            Rejection::UnknownTopic => locale
                .pick(
                    "this topic is not part of the device API",
                    "该主题不属于设备接口",
                )
                .into(),
            Rejection::UnknownEvent => locale
                .pick(
                    "the product's thing model has no such event",
                    "产品物模型中没有该事件",
                )
                .into(),
        }
    }
}

/// One refused value (or message, with an empty key).
#[derive(Debug, Clone, PartialEq)]
pub struct Refused {
    pub key: String,
    pub reason: Rejection,
}

impl Refused {
    /// The refusal as an entry of the device's error log (the `$errors` series): the same
    /// text on every node that stores one.
    pub fn log_entry(&self, source: &str) -> String {
        serde_json::json!({
            "code": self.reason.code(),
            "key": self.key,
            "message": self.reason.message(Locale::En),
            "message_zh": self.reason.message(Locale::ZhCn),
            "source": source,
        })
        .to_string()
    }
}

/// What an ingest did. Stored values are durable when this is returned.
#[derive(Debug, Clone, Default)]
pub struct IngestOutcome {
    pub stored: u64,
    pub refused: Vec<Refused>,
}

impl IngestOutcome {
    /// Accepted under the documented rule: something was stored, or nothing was sent.
    pub fn accepted(&self) -> bool {
        self.stored > 0 || self.refused.is_empty()
    }

    /// One line for a reason string: the first refusals, counted.
    pub fn summary(&self, locale: Locale) -> Option<String> {
        let first = self.refused.first()?;
        let head = if first.key.is_empty() {
            first.reason.message(locale)
        } else {
            format!("{}: {}", first.key, first.reason.message(locale))
        };
        Some(match (self.refused.len(), locale) {
            (1, _) => head,
            (n, Locale::En) => format!("{head} (and {} more refused)", n - 1),
            (n, Locale::ZhCn) => format!("{head}（另有 {} 项被拒绝）", n - 1),
        })
    }
}
