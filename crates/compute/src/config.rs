//! The model runtime's settings: the `[compute]` section.

use serde::Deserialize;

pub use ironloom_core::units::InvalidConfig;

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ComputeConfig {
    /// Jobs over history running at once; others wait in the queue.
    pub concurrent_jobs: usize,
    /// Unfinished jobs one tenant may have.
    pub jobs_per_tenant: usize,
    /// Points a job reads per slice (its memory per series input).
    pub slice_points: usize,
    /// Device messages waiting for the live bindings; devices wait when it is full.
    pub queue: usize,
}

impl Default for ComputeConfig {
    fn default() -> Self {
        ComputeConfig {
            concurrent_jobs: 2,
            jobs_per_tenant: 8,
            slice_points: 65_536,
            queue: 4096,
        }
    }
}

impl ComputeConfig {
    /// What is wrong with the section, named by key.
    pub fn validate(&self) -> Result<(), InvalidConfig> {
        let invalid = |m: &str| Err(InvalidConfig(m.into()));
        if !(1..=64).contains(&self.concurrent_jobs) {
            return invalid("compute.concurrent_jobs must be between 1 and 64");
        }
        if !(1..=1000).contains(&self.jobs_per_tenant) {
            return invalid("compute.jobs_per_tenant must be between 1 and 1000");
        }
        if !(1024..=4 << 20).contains(&self.slice_points) {
            return invalid("compute.slice_points must be between 1024 and 4194304");
        }
        if self.queue == 0 || self.queue > 16 << 20 {
            return invalid("compute.queue must be between 1 and 16777216 messages");
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
        ComputeConfig::default().validate().unwrap();
        let bad = ComputeConfig {
            slice_points: 10,
            ..ComputeConfig::default()
        };
        assert!(bad.validate().unwrap_err().0.contains("slice_points"));
        let bad = ComputeConfig {
            concurrent_jobs: 0,
            ..ComputeConfig::default()
        };
        assert!(bad.validate().unwrap_err().0.contains("concurrent_jobs"));
    }
}
