//! The Modbus simulator behind `ironloom sim modbus`: eight machines with plausible,
//! changing process values that react to writes, and optional bulk units for benchmarks.
//! Units 5–8 live in [`machines`]: their physics follow the time of day at the demo site
//! (China Standard Time) — the compressor's demand, the cold room's door, the loom's
//! shifts — and each has its own deterministic noise source.
//!
//! Register map (0-based addresses; `f32` values take two registers, big endian `ABCD`):
//!
//! | unit | machine | holding registers | input registers | coils / discrete inputs |
//! |---|---|---|---|---|
//! | 1 | pump | 0 flow m³/h f32, 2 pressure bar f32, 4 speed setpoint r/min u16 (rw, 0–3000), 5 current A u16 ×0.1, 6 status (bit 0 running, bit 1 fault), 7 vibration mm/s u16 ×0.01, 8 head m f32, 10 shaft power kW f32 | 0 bearing temperature °C i16 ×0.1 | coil 0 run (rw); discrete 0 running |
//! | 2 | motor | 0 speed r/min f32, 2 torque N·m f32, 4 winding temperature °C i16 ×0.1, 5 vibration mm/s f32, 7 current A u16 ×0.1, 8 voltage V u16 ×0.1, 9 power kW u16 ×0.01, 10 speed setpoint r/min f32 (rw, 0–3000) | 0 operating hours u32 | coil 0 enable (rw) |
//! | 3 | boiler | 0 water temperature °C f32, 2 temperature setpoint °C f32 (rw, 20–95), 4 steam pressure bar f32, 6 level % u16 ×0.1 | 0 burner starts u32 | coil 0 burner enable (rw); discrete 0 burner on |
//! | 4 | CNC | 0 spindle speed r/min f32, 2 feed rate mm/min f32, 4 program name (8 registers, 16 ASCII bytes), 12 part count u32, 14 tool wear % u16 ×0.1, 15 mode u16 (0 idle, 1 running, 2 tool change) | 0 cycle time ms u32 | coil 0 cycle start (rw) |
//! | 5 | screw air compressor | 0 discharge pressure bar f32, 2 cut-in pressure bar f32 (rw, 4–12), 4 cut-out pressure bar f32 (rw, 5–13, at least 0.3 above the cut-in), 6 state u16 (0 stopped, 1 standby, 2 unloaded, 3 loaded), 7 input power kW f32, 9 free air delivery m³/min f32, 11 discharge temperature °C i16 ×0.1 | 0 running time s u32, 2 loaded time s u32, 4 load cycles u32, 6 energy kWh u32 ×0.1 | coil 0 run (rw); discrete 0 motor running, 1 loaded |
//! | 6 | cold room | 0 room temperature °C f32, 2 setpoint °C f32 (rw, −30–10), 4 evaporator temperature °C f32, 6 compressor power kW f32, 8 product temperature °C f32, 10 defrost interval h u16 (rw, 1–24), 11 state u16 (0 off, 1 idle, 2 cooling, 3 defrost, 4 drip) | 0 compressor starts u32, 2 door openings u32, 4 defrosts u32 | coil 0 enable (rw), 1 manual defrost (rw, cleared when the defrost starts); discrete 0 compressor on, 1 door open, 2 defrost heater on |
//! | 7 | injection moulding machine | 0 state u16 (0 manual, 1 automatic, 2 alarm), 1 phase u16 (0 none, 1 clamp, 2 inject, 3 hold, 4 cool, 5 open and eject), 2 shot count u32, 4 last cycle time s f32, 6 peak injection pressure bar f32, 8 melt temperature °C f32, 10 melt temperature setpoint °C f32 (rw, 180–300), 12 mould temperature °C f32, 14 mould temperature setpoint °C f32 (rw, 20–120), 16 cushion mm f32, 18 cooling time s f32 (rw, 2–60) | 0 reject count u32 | coil 0 automatic cycle (rw); discrete 0 last shot rejected, 1 alarm |
//! | 8 | weaving loom | 0 state u16 (0 stopped, 1 running), 1 stop cause u16 (0 none, 1 warp break, 2 weft break, 3 other, 4 switched off), 2 speed picks/min f32, 4 speed setpoint picks/min u16 (rw, 200–1000), 5 weft density picks/cm u16 ×0.1 (rw, 5.0–80.0), 6 pick count u32, 8 cloth length on the roll m f32, 10 shift efficiency % f32, 12 last stop's duration s f32, 14 current stop's duration s f32 | 0 warp stops u32, 2 weft stops u32, 4 other stops u32, 6 running time s u32 | coil 0 run (rw); discrete 0 running |
//! | 100… | bulk (benchmark) | 0–65535 all defined: `(address + generation) mod 65536`, the generation rising every second; writable | 0–65535 the same | – |
//!
//! Other units answer exception 0x0B (gateway target device failed to respond); addresses
//! outside a machine's map answer 0x02 (illegal data address); writes to read-only
//! registers 0x02 as well, values out of a setpoint's range 0x03 (and so does a cut-in
//! pressure written above the cut-out, or the other way round).

mod machines;

use ironloom_core::sync::lock;
use std::collections::HashMap;
use std::future::{Ready, ready};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU16, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::net::TcpListener;
use tokio_modbus::server::Service;
use tokio_modbus::{ExceptionCode, Request, Response, SlaveRequest};
use tokio_util::sync::CancellationToken;

/// One machine's register image.
#[derive(Debug, Clone, Default)]
struct Image {
    holding: Vec<u16>,
    input: Vec<u16>,
    coils: Vec<bool>,
    discrete: Vec<bool>,
    /// Holding registers a client may write: the allowed range of the value, and whether
    /// it is an f32 (two registers) rather than a u16.
    writable: HashMap<u16, (f64, f64, bool)>,
    /// Coils a client may write.
    writable_coils: Vec<u16>,
    /// A condition over the whole image a register write must leave true (e.g. a cut-out
    /// pressure above the cut-in); a write that breaks it is undone and answered 0x03.
    check: Option<fn(&Image) -> bool>,
}

impl Image {
    fn new(holding: usize, input: usize, coils: usize, discrete: usize) -> Image {
        Image {
            holding: vec![0; holding],
            input: vec![0; input],
            coils: vec![false; coils],
            discrete: vec![false; discrete],
            ..Default::default()
        }
    }
}

fn put_f32(regs: &mut [u16], at: usize, v: f32) {
    let b = v.to_be_bytes();
    regs[at] = u16::from_be_bytes([b[0], b[1]]);
    regs[at + 1] = u16::from_be_bytes([b[2], b[3]]);
}

fn get_f32(regs: &[u16], at: usize) -> f32 {
    let [a, b] = regs[at].to_be_bytes();
    let [c, d] = regs[at + 1].to_be_bytes();
    f32::from_be_bytes([a, b, c, d])
}

fn put_u32(regs: &mut [u16], at: usize, v: u32) {
    regs[at] = (v >> 16) as u16;
    regs[at + 1] = v as u16;
}

/// A small deterministic noise source (xorshift), so runs are repeatable.
#[derive(Debug)]
struct Noise(u64);

impl Noise {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        // −1 … 1
        (self.0 >> 11) as f64 / (1u64 << 52) as f64 - 1.0
    }

    /// Uniform in 0 … 1 (1 excluded).
    fn uniform(&mut self) -> f64 {
        (self.next() + 1.0) / 2.0
    }

    /// Close to a standard normal deviate (the sum of four uniforms, scaled to σ = 1).
    fn gauss(&mut self) -> f64 {
        (self.next() + self.next() + self.next() + self.next()) * 0.866
    }
}

/// The simulated plant: the machines' state and images.
#[derive(Debug)]
struct Plant {
    units: HashMap<u8, Image>,
    noise: Noise,
    t: f64,
    pump_speed: f64,
    motor_speed: f64,
    motor_hours_ms: u64,
    boiler_temp: f64,
    burner: bool,
    burner_starts: u32,
    cnc_phase: f64,
    cnc_parts: u32,
    cnc_wear: f64,
    /// The local time of day (seconds after midnight) at `t` = 0: the compressor's demand,
    /// the cold room's door openings and the loom's shifts follow the clock.
    clock0: f64,
    compressor: machines::Compressor,
    cold_room: machines::ColdRoom,
    moulder: machines::Moulder,
    loom: machines::Loom,
}

impl Plant {
    fn new(clock0: f64) -> Plant {
        let mut units = HashMap::new();
        let img = Image::new;
        let mut pump = img(12, 1, 1, 1);
        pump.holding[4] = 1450;
        pump.coils[0] = true;
        pump.writable.insert(4, (0.0, 3000.0, false));
        pump.writable_coils.push(0);
        units.insert(1, pump);
        let mut motor = img(12, 2, 1, 0);
        put_f32(&mut motor.holding, 10, 1480.0);
        motor.coils[0] = true;
        motor.writable.insert(10, (0.0, 3000.0, true));
        motor.writable_coils.push(0);
        units.insert(2, motor);
        let mut boiler = img(7, 2, 1, 1);
        put_f32(&mut boiler.holding, 2, 80.0);
        boiler.coils[0] = true;
        boiler.writable.insert(2, (20.0, 95.0, true));
        boiler.writable_coils.push(0);
        units.insert(3, boiler);
        let mut cnc = img(16, 2, 1, 0);
        for (i, pair) in b"O1234-FLANGE\0\0\0\0".chunks(2).enumerate() {
            cnc.holding[4 + i] = u16::from_be_bytes([pair[0], pair[1]]);
        }
        cnc.coils[0] = true;
        cnc.writable_coils.push(0);
        units.insert(4, cnc);
        units.insert(5, machines::Compressor::image());
        units.insert(6, machines::ColdRoom::image());
        units.insert(7, machines::Moulder::image());
        units.insert(8, machines::Loom::image());
        let clock0 = clock0.rem_euclid(machines::DAY);
        let mut p = Plant {
            units,
            noise: Noise(0x9e37_79b9_7f4a_7c15),
            t: 0.0,
            pump_speed: 0.0,
            motor_speed: 0.0,
            motor_hours_ms: 3_600_000 * 1234,
            boiler_temp: 60.0,
            burner: false,
            burner_starts: 812,
            cnc_phase: 0.0,
            cnc_parts: 4711,
            cnc_wear: 12.0,
            clock0,
            compressor: machines::Compressor::new(),
            cold_room: machines::ColdRoom::new(),
            moulder: machines::Moulder::new(),
            loom: machines::Loom::new(clock0),
        };
        p.step(0.1);
        p
    }

    /// Advances the physics by `dt` seconds and writes the process values.
    fn step(&mut self, dt: f64) {
        self.t += dt;
        let n = |s: &mut Self, amp: f64| s.noise.next() * amp;
        // Pump: speed follows the setpoint with a 2 s lag; flow ∝ speed, pressure ∝ speed².
        let (run, set) = {
            let u = &self.units[&1];
            (u.coils[0], f64::from(u.holding[4]))
        };
        let target = if run { set } else { 0.0 };
        self.pump_speed += (target - self.pump_speed) * (dt / 2.0).min(1.0);
        let s = self.pump_speed / 1450.0;
        let flow = 42.0 * s + n(self, 0.3) * s;
        let pressure = 3.2 * s * s + n(self, 0.02);
        let current = 4.0 + 11.0 * s * s + n(self, 0.1);
        let bearing = 35.0 + 20.0 * s + 2.0 * (self.t / 60.0).sin();
        // Head from the pressure rise; shaft power from the hydraulic power and an efficiency
        // that is best (72 %) at the nominal speed and falls away from it.
        let head = pressure.max(0.0) * 1e5 / (998.0 * 9.80665);
        let efficiency = (0.72 - 0.3 * (1.0 - s).powi(2)).max(0.2);
        let shaft_kw = if s > 0.05 {
            998.0 * 9.80665 * flow.max(0.0) / 3600.0 * head / 1000.0 / efficiency
        } else {
            0.0
        };
        if let Some(u) = self.units.get_mut(&1) {
            put_f32(&mut u.holding, 0, flow.max(0.0) as f32);
            put_f32(&mut u.holding, 2, pressure.max(0.0) as f32);
            u.holding[5] = (current.max(0.0) * 10.0) as u16;
            u.holding[6] = u16::from(self.pump_speed > 50.0);
            u.holding[7] = ((0.8 + 1.6 * s + n_abs(self.t)) * 100.0) as u16;
            u.input[0] = ((bearing * 10.0) as i16) as u16;
            put_f32(&mut u.holding, 8, head as f32);
            put_f32(&mut u.holding, 10, shaft_kw as f32);
            u.discrete[0] = self.pump_speed > 50.0;
        }
        // Motor: speed toward its setpoint (1 s lag), torque with load ripple.
        let (enable, set) = {
            let u = &self.units[&2];
            (u.coils[0], f64::from(get_f32(&u.holding, 10)))
        };
        let target = if enable { set } else { 0.0 };
        self.motor_speed += (target - self.motor_speed) * dt.min(1.0);
        let torque = if enable {
            120.0 + 15.0 * (self.t * 0.7).sin() + n(self, 2.0)
        } else {
            0.0
        };
        let temp = 45.0 + torque / 10.0 + n(self, 0.2);
        let vib = 1.2 + self.motor_speed / 1000.0 + n(self, 0.1).abs();
        if enable {
            self.motor_hours_ms += (dt * 1000.0) as u64;
        }
        let (speed, hours) = (self.motor_speed, (self.motor_hours_ms / 3_600_000) as u32);
        // A 400 V, 30 kW motor: power from torque and speed, current from power.
        let power_kw = torque * speed * std::f64::consts::TAU / 60.0 / 1000.0;
        let voltage = if enable { 400.0 + n(self, 2.0) } else { 0.0 };
        let current = if enable {
            power_kw * 1000.0 / (3f64.sqrt() * 400.0 * 0.86) + 3.0
        } else {
            0.0
        };
        if let Some(u) = self.units.get_mut(&2) {
            put_f32(&mut u.holding, 0, speed as f32);
            put_f32(&mut u.holding, 2, torque as f32);
            u.holding[4] = ((temp * 10.0) as i16) as u16;
            put_f32(&mut u.holding, 5, vib as f32);
            u.holding[7] = (current.max(0.0) * 10.0) as u16;
            u.holding[8] = (voltage.max(0.0) * 10.0) as u16;
            u.holding[9] = (power_kw.max(0.0) * 100.0) as u16;
            put_u32(&mut u.input, 0, hours);
        }
        // Boiler: burner on below setpoint − 2, off above setpoint + 1 (hysteresis);
        // heating 0.8 °C/s, losses toward 20 °C.
        let (enable, set) = {
            let u = &self.units[&3];
            (u.coils[0], f64::from(get_f32(&u.holding, 2)))
        };
        let was = self.burner;
        if !enable || self.boiler_temp > set + 1.0 {
            self.burner = false;
        } else if self.boiler_temp < set - 2.0 {
            self.burner = true;
        }
        if self.burner && !was {
            self.burner_starts += 1;
        }
        let heat = if self.burner { 0.8 } else { 0.0 };
        self.boiler_temp += (heat - (self.boiler_temp - 20.0) * 0.004) * dt;
        let pressure = (0.2 + (self.boiler_temp - 20.0) * 0.03).max(0.0);
        let level = 62.0 + 3.0 * (self.t / 30.0).sin() + n(self, 0.2);
        let (bt, burner, starts) = (self.boiler_temp, self.burner, self.burner_starts);
        if let Some(u) = self.units.get_mut(&3) {
            put_f32(&mut u.holding, 0, bt as f32);
            put_f32(&mut u.holding, 4, pressure as f32);
            u.holding[6] = (level * 10.0) as u16;
            u.discrete[0] = burner;
            put_u32(&mut u.input, 0, starts);
        }
        // CNC: 40 s cycles (35 s cutting, 5 s tool change); a part per cycle.
        let running = self.units[&4].coils[0];
        let before = self.cnc_phase;
        if running {
            self.cnc_phase = (self.cnc_phase + dt) % 40.0;
            if self.cnc_phase < before {
                self.cnc_parts += 1;
                self.cnc_wear = (self.cnc_wear + 0.35) % 100.0;
            }
        }
        let cutting = running && self.cnc_phase < 35.0;
        let spindle = if cutting {
            8000.0 + 400.0 * (self.cnc_phase * 0.5).sin() + n(self, 20.0)
        } else {
            0.0
        };
        let feed = if cutting { 1200.0 + n(self, 15.0) } else { 0.0 };
        let mode = match (running, cutting) {
            (false, _) => 0,
            (true, true) => 1,
            (true, false) => 2,
        };
        let (parts, wear, phase) = (self.cnc_parts, self.cnc_wear, self.cnc_phase);
        if let Some(u) = self.units.get_mut(&4) {
            put_f32(&mut u.holding, 0, spindle as f32);
            put_f32(&mut u.holding, 2, feed as f32);
            put_u32(&mut u.holding, 12, parts);
            u.holding[14] = (wear * 10.0) as u16;
            u.holding[15] = mode;
            put_u32(&mut u.input, 0, (phase * 1000.0) as u32);
        }
        // Units 5–8, each with its own noise source.
        let tod = (self.clock0 + self.t).rem_euclid(machines::DAY);
        if let Some(u) = self.units.get_mut(&5) {
            self.compressor.step(u, dt, tod);
        }
        if let Some(u) = self.units.get_mut(&6) {
            self.cold_room.step(u, dt, tod);
        }
        if let Some(u) = self.units.get_mut(&7) {
            self.moulder.step(u, dt);
        }
        if let Some(u) = self.units.get_mut(&8) {
            self.loom.step(u, dt, tod);
        }
    }
}

/// The time of day at the demo site (Suzhou, China Standard Time, UTC+8), in seconds
/// after midnight.
fn site_time_of_day() -> f64 {
    let utc = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64());
    (utc + 8.0 * 3600.0).rem_euclid(machines::DAY)
}

/// A slow, bounded wobble (0 … 0.2) for values that should look alive.
fn n_abs(t: f64) -> f64 {
    0.1 + 0.1 * (t * 0.37).sin()
}

/// Settings of a simulator run.
#[derive(Debug, Clone)]
pub struct SimOptions {
    /// How often the physics advances.
    pub tick: Duration,
    /// Bulk units for benchmarks: units 100 … 100 + n − 1.
    pub bulk_units: u8,
}

impl Default for SimOptions {
    fn default() -> Self {
        SimOptions {
            tick: Duration::from_millis(100),
            bulk_units: 0,
        }
    }
}

/// The simulator shared by all its connections, with switches for tests.
#[derive(Debug)]
pub struct Simulator {
    plant: Mutex<Plant>,
    bulk: Vec<Mutex<Vec<u16>>>,
    generation: AtomicU16,
    silent: AtomicBool,
}

impl Simulator {
    pub fn new(opts: &SimOptions) -> Arc<Simulator> {
        Arc::new(Simulator {
            plant: Mutex::new(Plant::new(site_time_of_day())),
            bulk: (0..opts.bulk_units)
                .map(|_| Mutex::new((0..=u16::MAX).collect()))
                .collect(),
            generation: AtomicU16::new(0),
            silent: AtomicBool::new(false),
        })
    }

    /// While silent, requests get no answer at all (a PLC that stopped responding).
    pub fn set_silent(&self, silent: bool) {
        self.silent.store(silent, Ordering::Relaxed);
    }

    /// Runs the physics until cancelled.
    pub async fn run(self: Arc<Self>, tick: Duration, cancel: CancellationToken) {
        let mut iv = tokio::time::interval(tick);
        iv.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut since_gen = Duration::ZERO;
        loop {
            tokio::select! {
                () = cancel.cancelled() => return,
                _ = iv.tick() => {}
            }
            lock(&self.plant).step(tick.as_secs_f64());
            since_gen += tick;
            if since_gen >= Duration::from_secs(1) {
                since_gen = Duration::ZERO;
                self.generation.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    fn handle(&self, unit: u8, req: Request<'_>) -> Result<Response, ExceptionCode> {
        if unit >= 100 {
            return self.bulk(unit, req);
        }
        let mut plant = lock(&self.plant);
        let img = plant
            .units
            .get_mut(&unit)
            .ok_or(ExceptionCode::GatewayTargetDevice)?;
        let range = |len: usize, addr: u16, cnt: u16| {
            let (a, n) = (usize::from(addr), usize::from(cnt));
            if n == 0 || a + n > len {
                Err(ExceptionCode::IllegalDataAddress)
            } else {
                Ok(a..a + n)
            }
        };
        Ok(match req {
            Request::ReadHoldingRegisters(a, n) => Response::ReadHoldingRegisters(
                img.holding[range(img.holding.len(), a, n)?].to_vec(),
            ),
            Request::ReadInputRegisters(a, n) => {
                Response::ReadInputRegisters(img.input[range(img.input.len(), a, n)?].to_vec())
            }
            Request::ReadCoils(a, n) => {
                Response::ReadCoils(img.coils[range(img.coils.len(), a, n)?].to_vec())
            }
            Request::ReadDiscreteInputs(a, n) => Response::ReadDiscreteInputs(
                img.discrete[range(img.discrete.len(), a, n)?].to_vec(),
            ),
            Request::WriteSingleCoil(a, v) => {
                write_coils(img, a, &[v])?;
                Response::WriteSingleCoil(a, v)
            }
            Request::WriteMultipleCoils(a, vs) => {
                write_coils(img, a, &vs)?;
                Response::WriteMultipleCoils(a, vs.len() as u16)
            }
            Request::WriteSingleRegister(a, v) => {
                write_registers(img, a, &[v])?;
                Response::WriteSingleRegister(a, v)
            }
            Request::WriteMultipleRegisters(a, vs) => {
                write_registers(img, a, &vs)?;
                Response::WriteMultipleRegisters(a, vs.len() as u16)
            }
            Request::ReadWriteMultipleRegisters(ra, rn, wa, vs) => {
                write_registers(img, wa, &vs)?;
                Response::ReadWriteMultipleRegisters(
                    img.holding[range(img.holding.len(), ra, rn)?].to_vec(),
                )
            }
            _ => return Err(ExceptionCode::IllegalFunction),
        })
    }

    fn bulk(&self, unit: u8, req: Request<'_>) -> Result<Response, ExceptionCode> {
        let regs = self
            .bulk
            .get(usize::from(unit - 100))
            .ok_or(ExceptionCode::GatewayTargetDevice)?;
        let generation = self.generation.load(Ordering::Relaxed);
        let check = |a: u16, n: u16| {
            if n == 0 || usize::from(a) + usize::from(n) > 65_536 {
                Err(ExceptionCode::IllegalDataAddress)
            } else {
                Ok(usize::from(a)..usize::from(a) + usize::from(n))
            }
        };
        let read = |a: u16, n: u16| -> Result<Vec<u16>, ExceptionCode> {
            let r = check(a, n)?;
            Ok(lock(regs)[r]
                .iter()
                .map(|v| v.wrapping_add(generation))
                .collect())
        };
        let write = |a: u16, vs: &[u16]| -> Result<(), ExceptionCode> {
            let r = check(a, vs.len() as u16)?;
            let mut g = lock(regs);
            for (slot, v) in g[r].iter_mut().zip(vs) {
                *slot = v.wrapping_sub(generation);
            }
            Ok(())
        };
        Ok(match req {
            Request::ReadHoldingRegisters(a, n) => Response::ReadHoldingRegisters(read(a, n)?),
            Request::ReadInputRegisters(a, n) => Response::ReadInputRegisters(read(a, n)?),
            Request::WriteSingleRegister(a, v) => {
                write(a, &[v])?;
                Response::WriteSingleRegister(a, v)
            }
            Request::WriteMultipleRegisters(a, vs) => {
                write(a, &vs)?;
                Response::WriteMultipleRegisters(a, vs.len() as u16)
            }
            Request::ReadWriteMultipleRegisters(ra, rn, wa, vs) => {
                write(wa, &vs)?;
                Response::ReadWriteMultipleRegisters(read(ra, rn)?)
            }
            _ => return Err(ExceptionCode::IllegalFunction),
        })
    }
}

fn write_coils(img: &mut Image, a: u16, vs: &[bool]) -> Result<(), ExceptionCode> {
    for (i, v) in vs.iter().enumerate() {
        let addr = a
            .checked_add(i as u16)
            .ok_or(ExceptionCode::IllegalDataAddress)?;
        if !img.writable_coils.contains(&addr) {
            return Err(ExceptionCode::IllegalDataAddress);
        }
        img.coils[usize::from(addr)] = *v;
    }
    Ok(())
}

fn write_registers(img: &mut Image, a: u16, vs: &[u16]) -> Result<(), ExceptionCode> {
    // A write must cover whole writable values: 1 register (u16) or 2 (f32).
    let (lo, hi, float) = *img
        .writable
        .get(&a)
        .ok_or(ExceptionCode::IllegalDataAddress)?;
    let width = if float { 2 } else { 1 };
    if vs.len() != width {
        return Err(ExceptionCode::IllegalDataAddress);
    }
    let v = if float {
        f64::from(get_f32(vs, 0))
    } else {
        f64::from(vs[0])
    };
    if !(v.is_finite() && v >= lo && v <= hi) {
        return Err(ExceptionCode::IllegalDataValue);
    }
    let at = usize::from(a)..usize::from(a) + width;
    let before = img.holding[at.clone()].to_vec();
    img.holding[at.clone()].copy_from_slice(vs);
    if img.check.is_some_and(|ok| !ok(img)) {
        img.holding[at].copy_from_slice(&before);
        return Err(ExceptionCode::IllegalDataValue);
    }
    Ok(())
}

/// The simulator as a tokio-modbus service (TCP and RTU alike).
#[derive(Debug, Clone)]
pub struct SimService(pub Arc<Simulator>);

impl Service for SimService {
    type Request = SlaveRequest<'static>;
    type Response = Option<Response>;
    type Exception = ExceptionCode;
    type Future = Ready<Result<Option<Response>, ExceptionCode>>;

    fn call(&self, req: Self::Request) -> Self::Future {
        if self.0.silent.load(Ordering::Relaxed) {
            return ready(Ok(None));
        }
        ready(self.0.handle(req.slave, req.request).map(Some))
    }
}

/// Serves Modbus TCP on `listener` until cancelled.
pub async fn serve_tcp(sim: Arc<Simulator>, listener: TcpListener, cancel: CancellationToken) {
    let server = tokio_modbus::server::tcp::Server::new(listener);
    let new = move |stream, addr: SocketAddr| {
        let sim = sim.clone();
        async move {
            tracing::debug!(peer = %addr, "Modbus simulator: client connected");
            Ok(Some((SimService(sim), stream)))
        }
    };
    let r = server
        .serve_until(
            &new,
            |e| tracing::debug!(error = %e, "Modbus simulator connection"),
            cancel.cancelled_owned(),
        )
        .await;
    if let Err(e) = r {
        tracing::warn!(error = %e, "Modbus simulator stopped");
    }
}

/// Serves Modbus RTU frames over TCP on `listener` until cancelled.
pub async fn serve_rtu_over_tcp(
    sim: Arc<Simulator>,
    listener: TcpListener,
    cancel: CancellationToken,
) {
    let server = tokio_modbus::server::rtu_over_tcp::Server::new(listener);
    let new = move |stream, _addr: SocketAddr| {
        let sim = sim.clone();
        async move { Ok(Some((SimService(sim), stream))) }
    };
    let r = server
        .serve_until(
            &new,
            |e| tracing::debug!(error = %e, "Modbus simulator connection"),
            cancel.cancelled_owned(),
        )
        .await;
    if let Err(e) = r {
        tracing::warn!(error = %e, "Modbus simulator stopped");
    }
}

/// Serves Modbus RTU on a serial port (or a pty) until cancelled.
pub async fn serve_rtu(
    sim: Arc<Simulator>,
    path: String,
    baud: u32,
    cancel: CancellationToken,
) -> std::io::Result<()> {
    let server = tokio_modbus::server::rtu::Server::new_from_path(&path, baud)?;
    server
        .serve_until(SimService(sim), cancel.cancelled_owned())
        .await
        .map(|_| ())
}
