//! A point's edge preprocessing as configured in a driver table (deadbands, report on
//! change with a heartbeat, range and rate checks, moving windows) and its checks. The
//! gateway's drivers carry it out (`ironloom_drivers::preprocess`).

use serde::{Deserialize, Serialize};

/// A point's preprocessing, as configured.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Preprocess {
    /// Forward only when the value moved by more than this since the last forwarded one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadband: Option<f64>,
    /// The same in percent of the last forwarded value's magnitude.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadband_percent: Option<f64>,
    /// Forward only readings that differ from the last forwarded one.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub on_change: bool,
    /// With a deadband or `on_change`: forward anyway after this long without forwarding.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub heartbeat_ms: Option<u64>,
    /// Readings below are marked bad.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_min: Option<f64>,
    /// Readings above are marked bad.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_max: Option<f64>,
    /// Largest plausible change per second; faster readings are marked bad.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_rate: Option<f64>,
    /// Moving window over the last `window_ms` of good readings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window_ms: Option<u64>,
    /// Which aggregates of the window to forward: `min`, `max`, `avg`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub window: Vec<WindowFn>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WindowFn {
    Min,
    Max,
    Avg,
}

impl WindowFn {
    pub fn suffix(self) -> &'static str {
        match self {
            WindowFn::Min => "_min",
            WindowFn::Max => "_max",
            WindowFn::Avg => "_avg",
        }
    }
}

impl Preprocess {
    /// Problems with the settings, in words.
    pub fn check(&self) -> Result<(), String> {
        let finite_pos = |name: &str, v: Option<f64>| match v {
            Some(x) if !(x.is_finite() && x >= 0.0) => {
                Err(format!("{name} must be a number of at least 0"))
            }
            _ => Ok(()),
        };
        finite_pos("deadband", self.deadband)?;
        finite_pos("deadband_percent", self.deadband_percent)?;
        finite_pos("max_rate", self.max_rate)?;
        for (n, v) in [("valid_min", self.valid_min), ("valid_max", self.valid_max)] {
            if v.is_some_and(|x| !x.is_finite()) {
                return Err(format!("{n} must be a finite number"));
            }
        }
        if let (Some(lo), Some(hi)) = (self.valid_min, self.valid_max)
            && lo > hi
        {
            return Err(format!("valid_min {lo} is above valid_max {hi}"));
        }
        if self.heartbeat_ms == Some(0) || self.window_ms == Some(0) {
            return Err("heartbeat_ms and window_ms must be above 0".into());
        }
        if self.window.is_empty() != self.window_ms.is_none() {
            return Err("window and window_ms go together".into());
        }
        Ok(())
    }

    /// Whether the settings do anything at all.
    pub fn is_noop(&self) -> bool {
        self == &Preprocess::default()
    }

    /// Whether readings are filtered (a deadband or `on_change`) rather than all forwarded.
    pub fn filters(&self) -> bool {
        self.deadband.is_some() || self.deadband_percent.is_some() || self.on_change
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_are_checked() {
        let bad = [
            Preprocess {
                deadband: Some(-1.0),
                ..Default::default()
            },
            Preprocess {
                valid_min: Some(5.0),
                valid_max: Some(1.0),
                ..Default::default()
            },
            Preprocess {
                window: vec![WindowFn::Avg],
                ..Default::default()
            },
            Preprocess {
                heartbeat_ms: Some(0),
                ..Default::default()
            },
        ];
        for b in bad {
            assert!(b.check().is_err(), "{b:?}");
        }
        assert!(Preprocess::default().check().is_ok());
    }
}
