//! The device hub's settings: the `[devices]` section.

use serde::Deserialize;

pub use ironloom_core::units::{Duration, InvalidConfig};

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HubConfig {
    /// How long a product's thing model (and a device's identity, for data the platform
    /// writes for it) is used before it is read again.
    pub product_ttl: Duration,
    /// How often changed connection state is written to the metadata store.
    pub status_flush: Duration,
    /// How often devices' monthly activity (the evaluation report's connected devices and
    /// data points) is written: a report sees new data at most this late.
    pub activity_flush: Duration,
    /// Failed log-ins within `login_window` that ban the address (or device) for
    /// `login_ban`.
    pub login_max_failures: u32,
    pub login_window: Duration,
    pub login_ban: Duration,
}

impl Default for HubConfig {
    fn default() -> Self {
        let secs = |s| Duration(std::time::Duration::from_secs(s));
        HubConfig {
            product_ttl: secs(10),
            status_flush: secs(2),
            activity_flush: secs(10),
            login_max_failures: 10,
            login_window: secs(60),
            login_ban: secs(300),
        }
    }
}

impl HubConfig {
    /// What is wrong with the section, named by key.
    pub fn validate(&self) -> Result<(), InvalidConfig> {
        let invalid = |m: &str| Err(InvalidConfig(m.into()));
        if self.product_ttl.0.is_zero() || self.product_ttl.0.as_secs() > 3600 {
            return invalid("devices.product_ttl must be between 1ms and 1h");
        }
        if self.status_flush.0 < std::time::Duration::from_millis(100)
            || self.status_flush.0.as_secs() > 600
        {
            return invalid("devices.status_flush must be between 100ms and 10m");
        }
        if self.activity_flush.0 < std::time::Duration::from_millis(100)
            || self.activity_flush.0.as_secs() > 3600
        {
            return invalid("devices.activity_flush must be between 100ms and 1h");
        }
        if self.login_max_failures == 0 {
            return invalid("devices.login_max_failures must be at least 1");
        }
        if self.login_window.0.is_zero() || self.login_ban.0.is_zero() {
            return invalid("devices.login_window and devices.login_ban must not be zero");
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
        HubConfig::default().validate().unwrap();
        let c: HubConfig = toml_like(r#"{"product_ttl": "0s"}"#);
        assert!(c.validate().unwrap_err().0.contains("devices.product_ttl"));
        let c: HubConfig = toml_like(r#"{"login_max_failures": 0}"#);
        assert!(c.validate().unwrap_err().0.contains("login_max_failures"));
        assert!(serde_json::from_str::<HubConfig>(r#"{"product_tt": "1s"}"#).is_err());
    }

    fn toml_like(s: &str) -> HubConfig {
        serde_json::from_str(s).unwrap()
    }
}
