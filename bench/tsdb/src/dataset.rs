//! Deterministic TSBS-IoT-style dataset: `devices` pumps/motors, each reporting 10 process
//! metrics every `interval`.
//!
//! Every value is quantised to its sensor resolution (0.1 °C, 0.01 bar, whole rpm …) and
//! returned as the `f64` nearest to that decimal, so `61.3` is exactly what a database
//! parses from the text `61.3`. Integer-valued metrics (rpm, counter, state) are exact
//! integers. Compression results depend on this: real sensors do not produce 17
//! significant digits.
//!
//! Each device is an independent process driven by its own PRNG streams, seeded from
//! `(seed, device, metric)`. The PRNG is written here (splitmix64), so the data never
//! changes with a dependency's version, and any device can be generated on its own (in
//! parallel, or again to verify a query answer).
//!
//! The model, per device (parameters drawn once per device):
//! - `state` 0 stopped, 1 running, 2 idle, 3 fault: a Markov chain. A run lasts on
//!   average [`STATE_CHANGE_TICKS`] ticks (about 7 h at 10 s), a stop, idle or fault
//!   period a fifth of that; about 80 % of the time is spent running. 85 % of devices
//!   start running.
//! - `load` (hidden, 0–1.05): mean-reverting random walk around 0.75 while running, decays
//!   to 0 otherwise. It drives flow, power, current, temperature, vibration.
//! - `rpm`: first-order lag to the nominal speed of a 6/4/2-pole 50 Hz motor
//!   (980/1480/2960 rpm) minus slip, ±0.8 rpm noise; 0 when stopped. Whole numbers.
//! - `flow` m³/h (0.1): nominal flow (20–200) × load × speed ratio, 0.3 % noise.
//! - `pressure` bar gauge (0.01): nominal (2–8) × speed ratio², lagged, ±0.01 noise.
//! - `power` kW (0.01): nominal (7.5–90) × (0.15 + 0.85 load) when running, 12 % when
//!   idle, 0 when stopped, 0.3 % noise.
//! - `voltage` V (0.1): 380 ± device offset (±4) + daily grid swing (±2) + noise.
//! - `current` A (0.1): from power and voltage at power factor 0.86, ±0.15 A noise.
//! - `temperature` °C (0.1): slow mean-reverting walk towards ambient (18–28 with a ±4
//!   daily cycle, per-device phase) plus a load-dependent rise (25–50).
//! - `vibration` mm/s RMS (0.01): per-device base (1–4) × load/speed, 12 % noise; a
//!   little sensor noise around 0 when stopped.
//! - `produced_count`: monotonic counter, +0…3 per tick while running (more at high
//!   load); starts at a per-device value below 10⁶.

use std::ops::Range;

use anyhow::{Result, bail};
use chrono::{DateTime, Utc};

/// Number of metrics per device.
pub const METRICS: usize = 10;

/// Mean length of a run, in ticks; other states last a fifth of this.
pub const STATE_CHANGE_TICKS: f64 = 2500.0;

/// A metric: its name (field/column/metric name in every peer), unit and resolution as a
/// number of decimal places.
#[derive(Debug, Clone, Copy)]
pub struct Metric {
    pub name: &'static str,
    pub unit: &'static str,
    pub decimals: u32,
}

pub const METRIC_SPECS: [Metric; METRICS] = [
    Metric {
        name: "temperature",
        unit: "°C",
        decimals: 1,
    },
    Metric {
        name: "pressure",
        unit: "bar",
        decimals: 2,
    },
    Metric {
        name: "flow",
        unit: "m³/h",
        decimals: 1,
    },
    Metric {
        name: "vibration",
        unit: "mm/s",
        decimals: 2,
    },
    Metric {
        name: "current",
        unit: "A",
        decimals: 1,
    },
    Metric {
        name: "voltage",
        unit: "V",
        decimals: 1,
    },
    Metric {
        name: "rpm",
        unit: "1/min",
        decimals: 0,
    },
    Metric {
        name: "power",
        unit: "kW",
        decimals: 2,
    },
    Metric {
        name: "produced_count",
        unit: "",
        decimals: 0,
    },
    Metric {
        name: "state",
        unit: "",
        decimals: 0,
    },
];

/// Index of each metric in a row.
pub mod metric {
    pub const TEMPERATURE: usize = 0;
    pub const PRESSURE: usize = 1;
    pub const FLOW: usize = 2;
    pub const VIBRATION: usize = 3;
    pub const CURRENT: usize = 4;
    pub const VOLTAGE: usize = 5;
    pub const RPM: usize = 6;
    pub const POWER: usize = 7;
    pub const PRODUCED_COUNT: usize = 8;
    pub const STATE: usize = 9;
}

const POW10: [f64; 3] = [1.0, 10.0, 100.0];

/// Quantises `x` to `decimals` places: the `f64` nearest to the decimal `k / 10^decimals`.
/// Dividing the exact integer `k` by the exact power of ten rounds once, to that nearest
/// double, which is also what every database's text parser produces.
pub fn quantize(x: f64, decimals: u32) -> f64 {
    let scale = POW10[decimals as usize];
    (x * scale).round() / scale
}

pub const MS_PER_DAY: i64 = 86_400_000;

/// Named sizes. `large` is 4000 devices × 24 h (more series rather than a longer window,
/// so every query keeps the same shape and the index/cardinality side grows).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Preset {
    /// 100 devices × 24 h at 10 s = 8.64 M points.
    Small,
    /// 1000 devices × 24 h at 10 s = 86.4 M points.
    Default,
    /// 4000 devices × 24 h at 10 s = 345.6 M points.
    Large,
}

impl Preset {
    pub fn devices(self) -> usize {
        match self {
            Preset::Small => 100,
            Preset::Default => 1000,
            Preset::Large => 4000,
        }
    }
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct DatasetConfig {
    pub devices: usize,
    pub interval_ms: i64,
    pub duration_ms: i64,
    pub start_ms: i64,
    pub seed: u64,
}

impl Default for DatasetConfig {
    fn default() -> Self {
        Self {
            devices: 1000,
            interval_ms: 10_000,
            duration_ms: MS_PER_DAY,
            // 2026-01-01T00:00:00Z
            start_ms: 1_767_225_600_000,
            seed: 1,
        }
    }
}

impl DatasetConfig {
    pub fn preset(preset: Preset) -> Self {
        Self {
            devices: preset.devices(),
            ..Self::default()
        }
    }
}

/// The order in which rows are produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// Tick by tick, every device at each tick: how the data arrives from a plant.
    TimeMajor,
    /// Device by device, each device's whole history: how a bulk export looks.
    DeviceMajor,
}

/// One row: every metric of one device at one instant.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Row {
    pub ts_ms: i64,
    pub device: usize,
    pub values: [f64; METRICS],
}

#[derive(Debug, Clone)]
pub struct Dataset {
    config: DatasetConfig,
    ticks: u64,
}

impl Dataset {
    pub fn new(config: DatasetConfig) -> Result<Self> {
        if config.devices == 0 || config.devices > 100_000 {
            bail!("devices must be 1..=100000, got {}", config.devices);
        }
        if config.interval_ms <= 0 {
            bail!("interval must be positive");
        }
        if config.duration_ms < config.interval_ms {
            bail!("duration must be at least one interval");
        }
        let ticks = (config.duration_ms / config.interval_ms) as u64;
        Ok(Self { config, ticks })
    }

    pub fn config(&self) -> &DatasetConfig {
        &self.config
    }

    pub fn devices(&self) -> usize {
        self.config.devices
    }

    /// Reports per device.
    pub fn ticks(&self) -> u64 {
        self.ticks
    }

    /// Points (single metric values) in the whole dataset.
    pub fn points(&self) -> u64 {
        self.rows() * METRICS as u64
    }

    /// Rows (device × tick).
    pub fn rows(&self) -> u64 {
        self.config.devices as u64 * self.ticks
    }

    pub fn start_ms(&self) -> i64 {
        self.config.start_ms
    }

    /// One past the last timestamp.
    pub fn end_ms(&self) -> i64 {
        self.ts(self.ticks)
    }

    pub fn interval_ms(&self) -> i64 {
        self.config.interval_ms
    }

    pub fn ts(&self, tick: u64) -> i64 {
        self.config.start_ms + tick as i64 * self.config.interval_ms
    }

    /// The tick index of the first timestamp `>= ts_ms`.
    pub fn tick_at_or_after(&self, ts_ms: i64) -> u64 {
        let d = ts_ms - self.config.start_ms;
        if d <= 0 {
            0
        } else {
            ((d + self.config.interval_ms - 1) / self.config.interval_ms) as u64
        }
    }

    pub fn device_name(device: usize) -> String {
        format!("dev-{device:05}")
    }

    /// Parses `dev-00042` back into 42.
    pub fn parse_device_name(name: &str) -> Option<usize> {
        name.strip_prefix("dev-")?.parse().ok()
    }

    pub fn start_rfc3339(&self) -> String {
        DateTime::<Utc>::from_timestamp_millis(self.config.start_ms)
            .map(|t| t.to_rfc3339())
            .unwrap_or_default()
    }

    /// The history of one device, tick by tick.
    pub fn device_series(&self, device: usize) -> DeviceSeries {
        DeviceSeries {
            sim: DeviceSim::new(self.config.seed, device, self.config.start_ms),
            interval_ms: self.config.interval_ms,
            tick: 0,
            ticks: self.ticks,
            start_ms: self.config.start_ms,
        }
    }

    /// Rows of the devices in `devices`, in the given order.
    pub fn rows_of(&self, devices: Range<usize>, order: Order) -> Rows {
        let devices = devices.start.min(self.devices())..devices.end.min(self.devices());
        match order {
            Order::TimeMajor => Rows::TimeMajor(TimeMajor {
                sims: devices
                    .clone()
                    .map(|d| DeviceSim::new(self.config.seed, d, self.config.start_ms))
                    .collect(),
                first: devices.start,
                tick: 0,
                next: 0,
                ticks: self.ticks,
                start_ms: self.config.start_ms,
                interval_ms: self.config.interval_ms,
                current: [0.0; METRICS],
            }),
            Order::DeviceMajor => Rows::DeviceMajor(DeviceMajor {
                devices: devices.clone(),
                device: devices.start,
                series: (!devices.is_empty()).then(|| self.device_series(devices.start)),
                dataset: self.clone(),
            }),
        }
    }

    /// All rows, in the given order.
    pub fn all_rows(&self, order: Order) -> Rows {
        self.rows_of(0..self.devices(), order)
    }

    /// Calls `f` for every row, in the given order.
    pub fn for_each_row(&self, order: Order, mut f: impl FnMut(&Row)) {
        for row in self.all_rows(order) {
            f(&row);
        }
    }
}

/// One device's history: `(ts_ms, values)` for each tick.
#[derive(Debug)]
pub struct DeviceSeries {
    sim: DeviceSim,
    interval_ms: i64,
    start_ms: i64,
    tick: u64,
    ticks: u64,
}

impl Iterator for DeviceSeries {
    type Item = (i64, [f64; METRICS]);

    fn next(&mut self) -> Option<Self::Item> {
        if self.tick >= self.ticks {
            return None;
        }
        let ts = self.start_ms + self.tick as i64 * self.interval_ms;
        let v = self.sim.step(ts);
        self.tick += 1;
        Some((ts, v))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = (self.ticks - self.tick) as usize;
        (n, Some(n))
    }
}

#[derive(Debug)]
pub enum Rows {
    TimeMajor(TimeMajor),
    DeviceMajor(DeviceMajor),
}

impl Iterator for Rows {
    type Item = Row;

    fn next(&mut self) -> Option<Row> {
        match self {
            Rows::TimeMajor(r) => r.next(),
            Rows::DeviceMajor(r) => r.next(),
        }
    }
}

#[derive(Debug)]
pub struct TimeMajor {
    sims: Vec<DeviceSim>,
    first: usize,
    tick: u64,
    next: usize,
    ticks: u64,
    start_ms: i64,
    interval_ms: i64,
    current: [f64; METRICS],
}

impl Iterator for TimeMajor {
    type Item = Row;

    fn next(&mut self) -> Option<Row> {
        if self.sims.is_empty() || self.tick >= self.ticks {
            return None;
        }
        let ts = self.start_ms + self.tick as i64 * self.interval_ms;
        let i = self.next;
        self.current = self.sims[i].step(ts);
        self.next += 1;
        if self.next == self.sims.len() {
            self.next = 0;
            self.tick += 1;
        }
        Some(Row {
            ts_ms: ts,
            device: self.first + i,
            values: self.current,
        })
    }
}

#[derive(Debug)]
pub struct DeviceMajor {
    devices: Range<usize>,
    device: usize,
    series: Option<DeviceSeries>,
    dataset: Dataset,
}

impl Iterator for DeviceMajor {
    type Item = Row;

    fn next(&mut self) -> Option<Row> {
        loop {
            let series = self.series.as_mut()?;
            if let Some((ts_ms, values)) = series.next() {
                return Some(Row {
                    ts_ms,
                    device: self.device,
                    values,
                });
            }
            self.device += 1;
            self.series =
                (self.device < self.devices.end).then(|| self.dataset.device_series(self.device));
        }
    }
}

/// splitmix64 (Steele, Lea, Flood 2014): tiny, fast, good enough for synthetic data, and
/// fixed here so the data set never changes.
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// Seeds one stream per `(seed, device, stream)`, mixing each part so nearby inputs
    /// give unrelated streams.
    pub fn for_stream(seed: u64, device: u64, stream: u64) -> Self {
        let a = mix(seed ^ 0x6a09_e667_f3bc_c908);
        let b = mix(a ^ device.wrapping_mul(0x9e37_79b9_7f4a_7c15));
        Self(mix(b ^ stream.wrapping_mul(0xbf58_476d_1ce4_e5b9)))
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        mix(self.0)
    }

    /// Uniform in [0, 1).
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    pub fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.uniform()
    }

    /// Approximately standard normal: Irwin–Hall sum of four 16-bit uniforms taken from
    /// one draw, rescaled to unit variance. Bounded (±3.46), cheap, and plenty for sensor
    /// noise.
    pub fn normal(&mut self) -> f64 {
        let r = self.next_u64();
        let sum = (r & 0xffff) + ((r >> 16) & 0xffff) + ((r >> 32) & 0xffff) + (r >> 48);
        (sum as f64 / 65536.0 - 2.0) * 1.732_050_807_568_877_2
    }
}

fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

const PARAM_STREAM: u64 = 1000;

#[derive(Debug, Clone)]
struct DeviceParams {
    nominal_rpm: f64,
    ambient: f64,
    temp_rise: f64,
    pressure_nom: f64,
    flow_nom: f64,
    power_nom: f64,
    voltage_nom: f64,
    vib_base: f64,
    day_phase: f64,
}

/// The state of one simulated device.
#[derive(Debug, Clone)]
struct DeviceSim {
    p: DeviceParams,
    rng: [SplitMix64; METRICS],
    state: u8,
    load: f64,
    rpm: f64,
    pressure: f64,
    temperature: f64,
    voltage_dev: f64,
    count: f64,
}

const TAU: f64 = std::f64::consts::TAU;
const SQRT3: f64 = 1.732_050_807_568_877_2;
const POWER_FACTOR: f64 = 0.86;

impl DeviceSim {
    fn new(seed: u64, device: usize, start_ms: i64) -> Self {
        let mut pr = SplitMix64::for_stream(seed, device as u64, PARAM_STREAM);
        let p = DeviceParams {
            nominal_rpm: [980.0, 1480.0, 2960.0][(pr.next_u64() % 3) as usize],
            ambient: pr.range(18.0, 28.0),
            temp_rise: pr.range(25.0, 50.0),
            pressure_nom: pr.range(2.0, 8.0),
            flow_nom: pr.range(20.0, 200.0),
            power_nom: pr.range(7.5, 90.0),
            voltage_nom: 380.0 + pr.range(-4.0, 4.0),
            vib_base: pr.range(1.0, 4.0),
            day_phase: pr.uniform(),
        };
        let u = pr.uniform();
        let state = if u < 0.85 {
            1
        } else if u < 0.92 {
            2
        } else if u < 0.98 {
            0
        } else {
            3
        };
        let load = if state == 1 { pr.range(0.6, 0.9) } else { 0.0 };
        let rpm = match state {
            1 => p.nominal_rpm * (1.0 - 0.02 * load),
            2 => p.nominal_rpm * 0.998,
            _ => 0.0,
        };
        let speed = rpm / p.nominal_rpm;
        let pressure = p.pressure_nom * speed * speed;
        let temperature = Self::ambient_at(&p, start_ms) + p.temp_rise * load;
        let count = (pr.uniform() * 1_000_000.0).floor();
        let rng = std::array::from_fn(|m| SplitMix64::for_stream(seed, device as u64, m as u64));
        Self {
            p,
            rng,
            state,
            load,
            rpm,
            pressure,
            temperature,
            voltage_dev: 0.0,
            count,
        }
    }

    fn day_wave(p: &DeviceParams, ts_ms: i64) -> f64 {
        let day_frac = ts_ms.rem_euclid(MS_PER_DAY) as f64 / MS_PER_DAY as f64;
        (TAU * (day_frac + p.day_phase)).sin()
    }

    fn ambient_at(p: &DeviceParams, ts_ms: i64) -> f64 {
        p.ambient + 4.0 * Self::day_wave(p, ts_ms)
    }

    fn step(&mut self, ts_ms: i64) -> [f64; METRICS] {
        use metric::*;
        let p = &self.p;
        let rng = &mut self.rng;

        // State machine.
        let mean_ticks = if self.state == 1 {
            STATE_CHANGE_TICKS
        } else {
            STATE_CHANGE_TICKS / 5.0
        };
        if rng[STATE].uniform() < 1.0 / mean_ticks {
            let u = rng[STATE].uniform();
            self.state = match self.state {
                1 if u < 0.5 => 2,
                1 if u < 0.85 => 0,
                1 => 3,
                _ if u < 0.85 => 1,
                0 => 2,
                _ => 0,
            };
        }
        let running = self.state == 1;

        // Process load.
        if running {
            self.load += 0.02 * (0.75 - self.load) + 0.015 * rng[FLOW].normal();
            self.load = self.load.clamp(0.3, 1.05);
        } else {
            self.load *= 0.5;
        }

        // Speed.
        let rpm_target = match self.state {
            1 => p.nominal_rpm * (1.0 - 0.02 * self.load),
            2 => p.nominal_rpm * 0.998,
            _ => 0.0,
        };
        self.rpm += 0.5 * (rpm_target - self.rpm);
        let spinning = self.rpm >= 1.0;
        let rpm_out = if spinning {
            (self.rpm + 0.8 * rng[RPM].normal()).max(0.0)
        } else {
            0.0
        };
        let speed = self.rpm / p.nominal_rpm;

        let flow = (p.flow_nom * self.load * speed * (1.0 + 0.003 * rng[FLOW].normal())).max(0.0);

        let p_target = p.pressure_nom * speed * speed;
        self.pressure += 0.3 * (p_target - self.pressure);
        let pressure = (self.pressure + 0.01 * rng[PRESSURE].normal()).max(0.0);

        let power = match self.state {
            1 => p.power_nom * (0.15 + 0.85 * self.load),
            2 => p.power_nom * 0.12,
            _ => p.power_nom * 0.12 * speed,
        };
        let power = (power * (1.0 + 0.003 * rng[POWER].normal())).max(0.0);

        let wave = Self::day_wave(p, ts_ms);
        self.voltage_dev += -0.05 * self.voltage_dev + 0.15 * rng[VOLTAGE].normal();
        let voltage = p.voltage_nom + 2.0 * wave + self.voltage_dev;

        let current = if power > 0.0 {
            (power * 1000.0 / (SQRT3 * voltage * POWER_FACTOR) + 0.15 * rng[CURRENT].normal())
                .max(0.0)
        } else {
            0.0
        };

        let target_temp = p.ambient + 4.0 * wave + p.temp_rise * self.load;
        self.temperature +=
            0.003 * (target_temp - self.temperature) + 0.02 * rng[TEMPERATURE].normal();

        let vibration = if spinning {
            p.vib_base * (0.6 + 0.4 * self.load) * speed * (1.0 + 0.12 * rng[VIBRATION].normal())
        } else {
            0.02 * rng[VIBRATION].normal()
        }
        .abs();

        if running {
            // 0..=3 parts per tick, more at high load.
            let k = (rng[PRODUCED_COUNT].uniform() * 4.0 * self.load.min(1.0)).floor();
            self.count += k.min(3.0);
        }

        let mut out = [0.0; METRICS];
        out[TEMPERATURE] = self.temperature;
        out[PRESSURE] = pressure;
        out[FLOW] = flow;
        out[VIBRATION] = vibration;
        out[CURRENT] = current;
        out[VOLTAGE] = voltage;
        out[RPM] = rpm_out;
        out[POWER] = power;
        out[PRODUCED_COUNT] = self.count;
        out[STATE] = f64::from(self.state);
        for (v, spec) in out.iter_mut().zip(METRIC_SPECS.iter()) {
            *v = quantize(*v, spec.decimals);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small(seed: u64) -> Dataset {
        Dataset::new(DatasetConfig {
            devices: 20,
            duration_ms: 6 * 3_600_000,
            seed,
            ..DatasetConfig::default()
        })
        .unwrap()
    }

    #[test]
    fn counts_points_and_ticks() {
        let ds = small(1);
        assert_eq!(ds.ticks(), 2160);
        assert_eq!(ds.points(), 20 * 2160 * 10);
        assert_eq!(ds.all_rows(Order::TimeMajor).count() as u64, ds.rows());
        assert_eq!(ds.all_rows(Order::DeviceMajor).count() as u64, ds.rows());
        let def = Dataset::new(DatasetConfig::preset(Preset::Default)).unwrap();
        assert_eq!(def.points(), 86_400_000);
    }

    #[test]
    fn same_seed_gives_same_values() {
        let a: Vec<Row> = small(7).all_rows(Order::TimeMajor).collect();
        let b: Vec<Row> = small(7).all_rows(Order::TimeMajor).collect();
        assert_eq!(a, b);
    }

    #[test]
    fn different_seed_gives_different_values() {
        let a: Vec<Row> = small(1).all_rows(Order::TimeMajor).take(1000).collect();
        let b: Vec<Row> = small(2).all_rows(Order::TimeMajor).take(1000).collect();
        let differing = a
            .iter()
            .zip(&b)
            .filter(|(x, y)| x.values != y.values)
            .count();
        assert!(differing > 900, "only {differing} rows differ");
    }

    #[test]
    fn time_major_and_device_major_agree() {
        let ds = small(3);
        let mut tm: Vec<Row> = ds.all_rows(Order::TimeMajor).collect();
        let dm: Vec<Row> = ds.all_rows(Order::DeviceMajor).collect();
        tm.sort_by_key(|r| (r.device, r.ts_ms));
        assert_eq!(tm, dm);
        // A device generated on its own equals its rows in the full set.
        let alone: Vec<(i64, [f64; METRICS])> = ds.device_series(5).collect();
        let in_set: Vec<(i64, [f64; METRICS])> = dm
            .iter()
            .filter(|r| r.device == 5)
            .map(|r| (r.ts_ms, r.values))
            .collect();
        assert_eq!(alone, in_set);
    }

    #[test]
    fn time_major_is_ordered_by_time_then_device() {
        let ds = small(1);
        let rows: Vec<Row> = ds.rows_of(3..8, Order::TimeMajor).take(12).collect();
        let keys: Vec<(i64, usize)> = rows.iter().map(|r| (r.ts_ms, r.device)).collect();
        let start = ds.start_ms();
        assert_eq!(keys[0], (start, 3));
        assert_eq!(keys[4], (start, 7));
        assert_eq!(keys[5], (start + 10_000, 3));
        assert_eq!(keys[11], (start + 20_000, 4));
    }

    #[test]
    fn devices_differ_from_each_other() {
        let ds = small(1);
        let a: Vec<_> = ds.device_series(0).take(100).map(|(_, v)| v).collect();
        let b: Vec<_> = ds.device_series(1).take(100).map(|(_, v)| v).collect();
        assert_ne!(a, b);
    }

    #[test]
    fn values_stay_in_physical_ranges() {
        use metric::*;
        let ds = Dataset::new(DatasetConfig {
            devices: 50,
            duration_ms: MS_PER_DAY,
            ..DatasetConfig::default()
        })
        .unwrap();
        let mut last_count = vec![f64::NAN; ds.devices()];
        let mut states = [0u64; 4];
        for r in ds.all_rows(Order::TimeMajor) {
            let v = r.values;
            assert!((-20.0..=110.0).contains(&v[TEMPERATURE]), "{v:?}");
            assert!((0.0..=10.0).contains(&v[PRESSURE]), "{v:?}");
            assert!((0.0..=230.0).contains(&v[FLOW]), "{v:?}");
            assert!((0.0..=10.0).contains(&v[VIBRATION]), "{v:?}");
            assert!((0.0..=200.0).contains(&v[CURRENT]), "{v:?}");
            assert!((360.0..=400.0).contains(&v[VOLTAGE]), "{v:?}");
            assert!((0.0..=3000.0).contains(&v[RPM]), "{v:?}");
            assert!((0.0..=100.0).contains(&v[POWER]), "{v:?}");
            assert!((0.0..=4.0).contains(&v[STATE]), "{v:?}");
            let prev = last_count[r.device];
            if !prev.is_nan() {
                let inc = v[PRODUCED_COUNT] - prev;
                assert!((0.0..=3.0).contains(&inc), "counter step {inc}");
            }
            last_count[r.device] = v[PRODUCED_COUNT];
            states[v[STATE] as usize] += 1;
        }
        // Mostly running, but every state occurs somewhere.
        let total: u64 = states.iter().sum();
        assert!(states[1] * 10 > total * 6, "{states:?}");
        assert!(states.iter().all(|&n| n > 0), "{states:?}");
    }

    #[test]
    fn values_are_multiples_of_their_resolution() {
        let ds = small(1);
        for r in ds.all_rows(Order::TimeMajor).step_by(7) {
            for (v, spec) in r.values.iter().zip(METRIC_SPECS.iter()) {
                let scale = POW10[spec.decimals as usize];
                let k = (v * scale).round();
                assert_eq!(k / scale, *v, "{} = {v}", spec.name);
                // The shortest representation has at most `decimals` places.
                let text = format!("{v}");
                let places = text.split_once('.').map_or(0, |(_, f)| f.len());
                assert!(places <= spec.decimals as usize, "{} = {text}", spec.name);
                if spec.decimals == 0 {
                    assert_eq!(v.fract(), 0.0);
                }
            }
        }
    }

    #[test]
    fn state_changes_rarely() {
        let ds = small(1);
        let mut changes = 0;
        for d in 0..ds.devices() {
            let mut prev = None;
            for (_, v) in ds.device_series(d) {
                if prev.is_some_and(|p| p != v[metric::STATE]) {
                    changes += 1;
                }
                prev = Some(v[metric::STATE]);
            }
        }
        // About 20 devices × 2160 ticks × 1.6 / 2500 ≈ 28 expected.
        assert!((3..60).contains(&changes), "{changes} state changes");
    }

    #[test]
    fn parses_device_names() {
        assert_eq!(Dataset::device_name(42), "dev-00042");
        assert_eq!(Dataset::parse_device_name("dev-00042"), Some(42));
        assert_eq!(Dataset::parse_device_name("x-1"), None);
    }

    #[test]
    fn tick_at_or_after_rounds_up() {
        let ds = small(1);
        let s = ds.start_ms();
        assert_eq!(ds.tick_at_or_after(s - 5), 0);
        assert_eq!(ds.tick_at_or_after(s), 0);
        assert_eq!(ds.tick_at_or_after(s + 1), 1);
        assert_eq!(ds.tick_at_or_after(s + 10_000), 1);
    }
}
