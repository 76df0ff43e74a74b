//! `[apps]`: the sandbox's capacity.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AppsConfig {
    /// Instances kept at once (the pooled allocator's slots); one per active installation.
    pub max_instances: u32,
    /// The largest WebAssembly module accepted, in bytes.
    pub max_module_bytes: usize,
    /// Log bytes kept per invocation; the rest is cut with a note.
    pub max_log_bytes: usize,
    /// Bytes of a host call's request or reply.
    pub max_call_bytes: usize,
    /// Invocations running at once (each on a blocking thread).
    pub workers: usize,
    /// Device events queued for telemetry-triggered apps.
    pub queue: usize,
    /// How long one outbound HTTP request of an app may take, in milliseconds.
    pub http_timeout_ms: u64,
    /// The largest outbound HTTP answer an app gets, in bytes.
    pub http_max_response_bytes: usize,
    /// Whether apps may reach loopback, private and link-local addresses (a host name on
    /// the tenant's list that resolves to one is refused otherwise).
    pub http_allow_private: bool,
}

impl Default for AppsConfig {
    fn default() -> Self {
        AppsConfig {
            max_instances: 1000,
            max_module_bytes: 16 << 20,
            max_log_bytes: 64 << 10,
            max_call_bytes: 4 << 20,
            workers: 8,
            queue: 4096,
            http_timeout_ms: 10_000,
            http_max_response_bytes: 1 << 20,
            http_allow_private: false,
        }
    }
}

impl AppsConfig {
    pub fn validate(&self) -> Result<(), String> {
        if !(1..=100_000).contains(&self.max_instances) {
            return Err("apps.max_instances must be between 1 and 100000".into());
        }
        if !(1024..=256 << 20).contains(&self.max_module_bytes) {
            return Err("apps.max_module_bytes must be between 1 KiB and 256 MiB".into());
        }
        if !(1..=1024).contains(&self.workers) || !(1..=1_000_000).contains(&self.queue) {
            return Err("apps.workers must be 1–1024 and apps.queue 1–1000000".into());
        }
        if !(100..=60_000).contains(&self.http_timeout_ms)
            || !(1024..=16 << 20).contains(&self.http_max_response_bytes)
        {
            return Err(
                "apps.http_timeout_ms must be 100–60000 and apps.http_max_response_bytes 1 KiB–16 MiB"
                    .into(),
            );
        }
        if self.max_log_bytes < 256 || self.max_call_bytes < 1024 {
            return Err("apps.max_log_bytes must be ≥ 256 and apps.max_call_bytes ≥ 1024".into());
        }
        Ok(())
    }
}
