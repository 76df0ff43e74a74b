//! The rule engine's settings: the `[rules]` section. Its state and webhook outbox live
//! in `state_dir` (`<data_dir>/rules`, set by the binary).

use std::path::PathBuf;

use serde::Deserialize;

pub use ironloom_core::units::{Duration, InvalidConfig};

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RuntimeConfig {
    /// Where the checkpoint and the webhook outbox live (not a setting: the binary puts
    /// it in the data directory).
    #[serde(skip)]
    pub state_dir: PathBuf,
    /// How often window and duration state is written to disk (a crash loses at most
    /// this much of it).
    pub checkpoint_interval: Duration,
    /// Device messages waiting for the engine; devices wait when it is full.
    pub queue: usize,
    /// Wait before the first webhook retry; it doubles each retry up to
    /// `webhook_max_backoff`.
    pub webhook_backoff: Duration,
    pub webhook_max_backoff: Duration,
    /// How long one webhook request may take.
    pub webhook_timeout: Duration,
    /// Repeats of an active alarm at the same severity are written at most this often.
    pub alarm_repeat_interval: Duration,
}

impl Default for RuntimeConfig {
    fn default() -> Self {
        let secs = |s| Duration(std::time::Duration::from_secs(s));
        RuntimeConfig {
            state_dir: PathBuf::new(),
            checkpoint_interval: secs(5),
            queue: 65_536,
            webhook_backoff: secs(1),
            webhook_max_backoff: secs(60),
            webhook_timeout: secs(10),
            alarm_repeat_interval: secs(1),
        }
    }
}

impl RuntimeConfig {
    /// The defaults, keeping state in `state_dir`.
    pub fn new(state_dir: PathBuf) -> RuntimeConfig {
        RuntimeConfig {
            state_dir,
            ..RuntimeConfig::default()
        }
    }

    /// What is wrong with the section, named by key.
    pub fn validate(&self) -> Result<(), InvalidConfig> {
        let invalid = |m: &str| Err(InvalidConfig(m.into()));
        if self.checkpoint_interval.0 < std::time::Duration::from_millis(100) {
            return invalid("rules.checkpoint_interval must be at least 100ms");
        }
        if self.queue == 0 || self.queue > 16 << 20 {
            return invalid("rules.queue must be between 1 and 16777216 messages");
        }
        if self.webhook_backoff.0.is_zero() || self.webhook_max_backoff.0 < self.webhook_backoff.0 {
            return invalid(
                "rules.webhook_backoff must not be zero, nor more than rules.webhook_max_backoff",
            );
        }
        if self.webhook_timeout.0.is_zero() {
            return invalid("rules.webhook_timeout must not be zero");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn defaults_are_valid_and_bad_values_are_named() {
        RuntimeConfig::default().validate().unwrap();
        let bad = |json: &str| {
            serde_json::from_str::<RuntimeConfig>(json)
                .unwrap()
                .validate()
                .unwrap_err()
                .0
        };
        assert!(bad(r#"{"checkpoint_interval": "10ms"}"#).contains("rules.checkpoint_interval"));
        assert!(bad(r#"{"queue": 0}"#).contains("rules.queue"));
        assert!(
            bad(r#"{"webhook_backoff": "2m", "webhook_max_backoff": "1m"}"#)
                .contains("webhook_max_backoff")
        );
        assert!(serde_json::from_str::<RuntimeConfig>(r#"{"queues": 1}"#).is_err());
    }
}
