//! Units 5–8 of the Modbus simulator: a screw air compressor, a cold room, an injection
//! moulding machine and a weaving loom (register maps in the parent module's doc).
//!
//! Each machine keeps its own state and noise source (so the first four units' values do
//! not depend on these), reads its writable registers and coils from its image every step
//! and writes its process values back. The compressor's demand, the cold room's door
//! openings and ambient temperature and the loom's shifts follow the plant's time of day.

use super::{Image, Noise, get_f32, put_f32, put_u32};

/// Seconds in a day.
pub(super) const DAY: f64 = 86_400.0;
/// Atmospheric pressure, bar.
const P_ATM: f64 = 1.013;

/// Piecewise linear interpolation over knots `(x, y)` sorted by `x`.
fn profile(knots: &[(f64, f64)], x: f64) -> f64 {
    let mut prev = knots[0];
    for &(kx, ky) in knots {
        if x <= kx {
            let (px, py) = prev;
            return if kx > px {
                py + (ky - py) * (x - px) / (kx - px)
            } else {
                ky
            };
        }
        prev = (kx, ky);
    }
    prev.1
}

/// A daily swing of ±1 peaking at 15:00, for ambient temperatures.
fn afternoon(tod: f64) -> f64 {
    (std::f64::consts::TAU * (tod / 3600.0 - 9.0) / 24.0).sin()
}

/// One step of an Ornstein–Uhlenbeck process: mean 0, standard deviation `sigma`,
/// correlation time `tau` seconds.
fn ou(x: f64, noise: &mut Noise, sigma: f64, tau: f64, dt: f64) -> f64 {
    x - x * (dt / tau).min(1.0) + sigma * (2.0 * dt / tau).min(2.0).sqrt() * noise.gauss()
}

/// An exponentially distributed interval with the given mean (a Poisson process).
fn exponential(noise: &mut Noise, mean: f64) -> f64 {
    -mean * (1.0 - noise.uniform()).ln()
}

fn put_i16x10(regs: &mut [u16], at: usize, v: f64) {
    regs[at] = ((v * 10.0).round() as i16) as u16;
}

// ---------------------------------------------------------------------------------------
// Unit 5: screw air compressor
// ---------------------------------------------------------------------------------------

/// Compressor states (holding register 6).
pub(super) const STOPPED: u16 = 0;
pub(super) const STANDBY: u16 = 1;
pub(super) const UNLOADED: u16 = 2;
pub(super) const LOADED: u16 = 3;

/// Unit 5: an oil-injected screw compressor, 37 kW, 6.2 m³/min free air at 7 bar, with
/// load/unload control between a cut-in and a cut-out pressure on a 5 m³ receiver and
/// network. The plant draws a demand that follows the working day (night, the day shift,
/// lunch, a lighter evening) with minutes-long fluctuations, plus leaks that grow with the
/// pressure. Unloaded for longer than the run-on time the motor stops (standby) and
/// restarts at the cut-in pressure.
#[derive(Debug)]
pub(super) struct Compressor {
    noise: Noise,
    /// Discharge (receiver) pressure, bar g.
    pressure: f64,
    state: u16,
    /// Seconds since the compressor unloaded (blow-down, run-on timer).
    unloaded_for: f64,
    /// Discharge temperature, °C.
    temp: f64,
    /// Relative deviation of the demand from the day's profile.
    demand_dev: f64,
    run_s: f64,
    load_s: f64,
    energy_kwh: f64,
    load_cycles: u32,
}

impl Compressor {
    /// Free air delivery at 7 bar, m³/min.
    pub(super) const RATED_FAD: f64 = 6.2;
    /// Receiver and network volume, m³.
    const VOLUME: f64 = 5.0;
    /// Unloaded this long, the motor stops.
    pub(super) const RUN_ON_S: f64 = 240.0;
    /// Leaks at 7 bar, m³/min free air.
    pub(super) const LEAK: f64 = 0.6;
    /// Input power loaded at 7 bar, kW.
    const LOADED_KW: f64 = 38.0;

    pub(super) fn image() -> Image {
        let mut u = Image::new(12, 8, 1, 2);
        put_f32(&mut u.holding, 2, 6.5);
        put_f32(&mut u.holding, 4, 7.5);
        u.writable.insert(2, (4.0, 12.0, true));
        u.writable.insert(4, (5.0, 13.0, true));
        // The cut-out stays at least 0.3 bar above the cut-in.
        u.check = Some(|u| get_f32(&u.holding, 4) - get_f32(&u.holding, 2) >= 0.3);
        u.coils[0] = true;
        u.writable_coils.push(0);
        u
    }

    pub(super) fn new() -> Compressor {
        let run_s = 4711.0 * 3600.0;
        Compressor {
            noise: Noise(0x5c0f_fee5_1234_abcd),
            pressure: 7.0,
            state: LOADED,
            unloaded_for: 0.0,
            temp: 82.0,
            demand_dev: 0.0,
            run_s,
            load_s: 0.68 * run_s,
            energy_kwh: 4711.0 * 31.0,
            load_cycles: 96_123,
        }
    }

    /// What the plant's consumers draw at a time of day, m³/min free air (leaks apart).
    pub(super) fn demand_profile(tod: f64) -> f64 {
        const KNOTS: [(f64, f64); 12] = [
            (0.0, 0.5),
            (5.5, 0.5),
            (6.5, 4.0),
            (11.5, 4.0),
            (11.75, 2.5),
            (12.5, 2.5),
            (12.75, 4.2),
            (17.5, 4.2),
            (18.0, 3.2),
            (21.5, 3.2),
            (22.5, 0.5),
            (24.0, 0.5),
        ];
        profile(&KNOTS, tod / 3600.0)
    }

    /// Free air delivery loaded at a discharge pressure, m³/min.
    fn fad(p: f64) -> f64 {
        Self::RATED_FAD * (1.0 - 0.015 * (p - 7.0))
    }

    pub(super) fn step(&mut self, u: &mut Image, dt: f64, tod: f64) {
        let run = u.coils[0];
        let cut_in = f64::from(get_f32(&u.holding, 2));
        let cut_out = f64::from(get_f32(&u.holding, 4));
        let p = self.pressure;
        let next = match self.state {
            _ if !run => STOPPED,
            STOPPED | STANDBY if p <= cut_in => LOADED,
            STOPPED | STANDBY => STANDBY,
            UNLOADED if p <= cut_in => LOADED,
            UNLOADED if self.unloaded_for >= Self::RUN_ON_S => STANDBY,
            UNLOADED => UNLOADED,
            _ if p >= cut_out => UNLOADED,
            _ => LOADED,
        };
        if next == LOADED && self.state != LOADED {
            self.load_cycles = self.load_cycles.wrapping_add(1);
        }
        if next == UNLOADED && self.state != UNLOADED {
            self.unloaded_for = 0.0;
        }
        self.state = next;
        let loaded = next == LOADED;
        let running = matches!(next, LOADED | UNLOADED);

        // Pressure: the receiver fills with the delivery and empties into demand and leaks
        // (isothermal: dp/dt = p_atm · Q_free / V).
        self.demand_dev = ou(self.demand_dev, &mut self.noise, 0.12, 180.0, dt);
        let demand = (Self::demand_profile(tod) * (1.0 + self.demand_dev)).clamp(0.0, 5.0);
        let leak = Self::LEAK * (p.max(0.0) + P_ATM) / (7.0 + P_ATM);
        let fad = if loaded { Self::fad(p) } else { 0.0 };
        self.pressure = (p + P_ATM * (fad - demand - leak) / 60.0 / Self::VOLUME * dt).max(0.0);

        // Power: loaded it rises with the pressure (about 6 %/bar); unloaded it falls from
        // about 45 % to 22 % as the separator tank blows down; stopped the controller only.
        let power = match next {
            LOADED => Self::LOADED_KW * (1.0 + 0.06 * (p - 7.0)) + 0.25 * self.noise.next(),
            UNLOADED => {
                self.unloaded_for += dt;
                Self::LOADED_KW * (0.22 + 0.23 * (-self.unloaded_for / 20.0).exp())
                    + 0.1 * self.noise.next()
            }
            _ => 0.05,
        };
        // Discharge temperature toward the oil thermostat's level, cooling slowly to the
        // compressor room when stopped.
        let ambient = 24.0 + 4.0 * afternoon(tod);
        let (target, tau) = match next {
            LOADED => (80.0 + 0.5 * (ambient - 20.0), 120.0),
            UNLOADED => (72.0 + 0.5 * (ambient - 20.0), 180.0),
            _ => (ambient + 5.0, 1200.0),
        };
        self.temp += (target - self.temp) * (dt / tau).min(1.0);
        if running {
            self.run_s += dt;
        }
        if loaded {
            self.load_s += dt;
        }
        self.energy_kwh += power * dt / 3600.0;

        let n = 0.003 * self.noise.next();
        put_f32(&mut u.holding, 0, (self.pressure + n).max(0.0) as f32);
        u.holding[6] = next;
        put_f32(&mut u.holding, 7, power as f32);
        let fad_out = if loaded {
            fad + 0.02 * self.noise.next()
        } else {
            0.0
        };
        put_f32(&mut u.holding, 9, fad_out as f32);
        put_i16x10(&mut u.holding, 11, self.temp + 0.1 * self.noise.next());
        put_u32(&mut u.input, 0, self.run_s as u32);
        put_u32(&mut u.input, 2, self.load_s as u32);
        put_u32(&mut u.input, 4, self.load_cycles);
        put_u32(&mut u.input, 6, (self.energy_kwh * 10.0) as u32);
        u.discrete[0] = running;
        u.discrete[1] = loaded;
    }
}

// ---------------------------------------------------------------------------------------
// Unit 6: cold room
// ---------------------------------------------------------------------------------------

/// Cold room modes (holding register 11).
pub(super) const OFF: u16 = 0;
pub(super) const IDLE: u16 = 1;
pub(super) const COOLING: u16 = 2;
pub(super) const DEFROST: u16 = 3;
pub(super) const DRIP: u16 = 4;

/// Unit 6: a frozen-goods cold room (about 120 m³, −18 °C) with a condensing unit and an
/// electrically defrosted evaporator. Three thermal masses: the room air (with shelving),
/// the stored goods and the evaporator coil. The thermostat switches the compressor on at
/// the setpoint + 1 K and off at the setpoint − 1 K (at least 3 min off between runs).
/// Frost builds on the coil while it runs (faster with the door open) and lowers its
/// capacity; every defrost interval the heater melts it (the coil holds at 0 °C while ice
/// remains) until the coil reaches +8 °C (at most 30 min), then 2 min of drip time, then
/// the compressor pulls the coil down with the fans held off until it is below −5 °C. The
/// door opens every 20 min or so in the day (15–90 s, forklifts), rarely at night.
#[derive(Debug)]
pub(super) struct ColdRoom {
    noise: Noise,
    air: f64,
    goods: f64,
    coil: f64,
    /// Frost on the coil, kg.
    ice: f64,
    mode: u16,
    /// Seconds in the current mode.
    in_mode: f64,
    /// Seconds since the compressor stopped.
    comp_off: f64,
    /// Seconds since the last defrost ended.
    since_defrost: f64,
    /// Seconds the door stays open (0: closed).
    door_left: f64,
    /// Seconds until the next opening.
    next_door: f64,
    starts: u32,
    doors: u32,
    defrosts: u32,
}

impl ColdRoom {
    /// Heat capacities, kJ/K.
    const C_AIR: f64 = 300.0;
    const C_GOODS: f64 = 8000.0;
    const C_COIL: f64 = 60.0;
    /// Conductances, kW/K: walls, goods ↔ air, air through the open door, coil ↔ air with
    /// the fans on and off.
    const UA_WALL: f64 = 0.03;
    const UA_GOODS: f64 = 0.25;
    const UA_DOOR: f64 = 0.4;
    const UA_COIL: f64 = 0.75;
    const UA_COIL_STILL: f64 = 0.05;
    /// Evaporator fans (their heat goes into the room), kW.
    const FANS_KW: f64 = 0.25;
    /// Defrost heater, kW.
    const HEATER_KW: f64 = 4.0;
    /// Thermostat half-differential, K.
    pub(super) const DIFF: f64 = 1.0;
    const MIN_OFF_S: f64 = 180.0;
    const DEFROST_END: f64 = 8.0;
    const DEFROST_MAX_S: f64 = 1800.0;
    const DRIP_S: f64 = 120.0;
    /// The fans start below this coil temperature, °C.
    const FAN_START: f64 = -5.0;

    pub(super) fn image() -> Image {
        let mut u = Image::new(12, 6, 2, 3);
        put_f32(&mut u.holding, 2, -18.0);
        u.holding[10] = 6;
        u.writable.insert(2, (-30.0, 10.0, true));
        u.writable.insert(10, (1.0, 24.0, false));
        u.coils[0] = true;
        u.writable_coils.extend([0, 1]);
        u
    }

    pub(super) fn new() -> ColdRoom {
        ColdRoom {
            noise: Noise(0xc01d_5707_e000_0006),
            air: -18.3,
            goods: -18.0,
            coil: -19.0,
            ice: 1.5,
            mode: IDLE,
            in_mode: 0.0,
            comp_off: 0.0,
            // The first defrost comes half an hour after start.
            since_defrost: 5.5 * 3600.0,
            door_left: 0.0,
            next_door: 300.0,
            starts: 21_877,
            doors: 64_310,
            defrosts: 3_655,
        }
    }

    /// Opens the door for `seconds` now.
    #[cfg(test)]
    pub(super) fn open_door(&mut self, seconds: f64) {
        self.door_left = seconds;
        self.doors += 1;
    }

    #[cfg(test)]
    pub(super) fn air(&self) -> f64 {
        self.air
    }

    pub(super) fn step(&mut self, u: &mut Image, dt: f64, tod: f64) {
        let enable = u.coils[0];
        let set = f64::from(get_f32(&u.holding, 2));
        let interval = f64::from(u.holding[10]) * 3600.0;
        let hour = tod / 3600.0;
        let day = (6.0..20.0).contains(&hour);

        // The door: a Poisson process, busier in the day.
        if self.door_left > 0.0 {
            self.door_left = (self.door_left - dt).max(0.0);
        } else {
            self.next_door -= dt;
            if self.next_door <= 0.0 {
                let r = self.noise.uniform();
                self.door_left = if day {
                    15.0 + 75.0 * r
                } else {
                    10.0 + 20.0 * r
                };
                self.doors = self.doors.wrapping_add(1);
                let mean = if day { 1200.0 } else { 9000.0 };
                self.next_door = exponential(&mut self.noise, mean).max(60.0);
            }
        }
        let door = self.door_left > 0.0;

        // The controller.
        self.in_mode += dt;
        let defrost_due = self.since_defrost >= interval || u.coils[1];
        let next = match self.mode {
            _ if !enable => OFF,
            OFF => IDLE,
            DEFROST if self.coil >= Self::DEFROST_END || self.in_mode >= Self::DEFROST_MAX_S => {
                DRIP
            }
            DEFROST => DEFROST,
            // After the drip time the compressor pulls the coil down again at once.
            DRIP if self.in_mode >= Self::DRIP_S => {
                self.since_defrost = 0.0;
                COOLING
            }
            DRIP => DRIP,
            _ if defrost_due => DEFROST,
            IDLE if self.air >= set + Self::DIFF && self.comp_off >= Self::MIN_OFF_S => COOLING,
            IDLE => IDLE,
            _ if self.air <= set - Self::DIFF => IDLE,
            _ => COOLING,
        };
        if next != self.mode {
            if next == COOLING {
                self.starts = self.starts.wrapping_add(1);
            }
            if next == DEFROST {
                self.defrosts = self.defrosts.wrapping_add(1);
                u.coils[1] = false;
            }
            self.mode = next;
            self.in_mode = 0.0;
        }
        let comp = next == COOLING;
        // The fans wait for a cold coil (after a defrost), not to blow its heat and
        // moisture into the room.
        let fans = matches!(next, IDLE | COOLING) && self.coil < Self::FAN_START;
        let heater = next == DEFROST;
        if comp {
            self.comp_off = 0.0;
        } else {
            self.comp_off += dt;
        }
        if !matches!(next, DEFROST | DRIP) {
            self.since_defrost += dt;
        }

        // Heat flows, kW.
        let ambient = 20.0 + 5.0 * afternoon(tod);
        let ua_coil = if fans {
            Self::UA_COIL / (1.0 + self.ice / 8.0)
        } else {
            Self::UA_COIL_STILL
        };
        let to_coil = ua_coil * (self.air - self.coil);
        let refrigeration = if comp {
            (6.0 * (1.0 + 0.03 * (self.coil + 26.0))).clamp(2.0, 10.0)
        } else {
            0.0
        };
        let into_air = Self::UA_WALL * (ambient - self.air)
            + if door {
                Self::UA_DOOR * (ambient - self.air)
            } else {
                0.0
            }
            + Self::UA_GOODS * (self.goods - self.air)
            + if fans { Self::FANS_KW } else { 0.0 }
            - to_coil;
        let into_coil = to_coil - refrigeration + if heater { Self::HEATER_KW } else { 0.0 };
        self.air += into_air / Self::C_AIR * dt;
        self.goods += Self::UA_GOODS * (self.air - self.goods) / Self::C_GOODS * dt;
        // Frost grows on a cold coil; melting holds the coil at 0 °C.
        if self.coil < 0.0 && comp {
            self.ice += (0.5 / 3600.0 + if door { 0.005 } else { 0.0 }) * dt;
        }
        let warmed = self.coil + into_coil / Self::C_COIL * dt;
        if warmed > 0.0 && self.ice > 0.0 && into_coil > 0.0 {
            let melt = (into_coil * dt - (0.0 - self.coil).max(0.0) * Self::C_COIL) / 334.0;
            self.coil = 0.0;
            self.ice = (self.ice - melt.max(0.0)).max(0.0);
        } else {
            self.coil = warmed;
        }

        // Electrical input of the compressor: COP about 1.8 at −26 °C evaporating.
        let power = if comp {
            refrigeration / (1.8 + 0.04 * (self.coil + 26.0)).max(1.0) + 0.03 * self.noise.next()
        } else {
            0.0
        };
        let air = self.air + 0.05 * self.noise.next();
        put_f32(&mut u.holding, 0, air as f32);
        put_f32(
            &mut u.holding,
            4,
            (self.coil + 0.05 * self.noise.next()) as f32,
        );
        put_f32(&mut u.holding, 6, power.max(0.0) as f32);
        put_f32(
            &mut u.holding,
            8,
            (self.goods + 0.02 * self.noise.next()) as f32,
        );
        u.holding[11] = next;
        put_u32(&mut u.input, 0, self.starts);
        put_u32(&mut u.input, 2, self.doors);
        put_u32(&mut u.input, 4, self.defrosts);
        u.discrete[0] = comp;
        u.discrete[1] = door;
        u.discrete[2] = heater;
    }
}

// ---------------------------------------------------------------------------------------
// Unit 7: injection moulding machine
// ---------------------------------------------------------------------------------------

/// Machine states (holding register 0).
pub(super) const MANUAL: u16 = 0;
pub(super) const AUTO: u16 = 1;
pub(super) const ALARM: u16 = 2;
/// Cycle phases (holding register 1): none, clamp, inject, hold, cool, open and eject.
pub(super) const CLAMP: u16 = 1;
pub(super) const INJECT: u16 = 2;
pub(super) const HOLD: u16 = 3;
pub(super) const EJECT: u16 = 5;

/// Unit 7: a 250 t injection moulding machine in automatic cycles of about 30 s: clamp
/// (2 s), inject (about 1.2 s, shorter with a hotter melt), hold (3 s), cool (the cooling
/// time; screw recovery needs at least 7 s), open, eject and take-out (about 5.8 s). The
/// melt temperature follows its setpoint through the barrel heaters with slow wander and,
/// every hour and a half or so, a heater-band drift of 5–10 °C for about half an hour; the
/// peak injection pressure falls with a hotter melt (lower viscosity), the cushion shrinks.
/// Each shot is rejected with a probability of 0.4 % that rises with the melt's (and the
/// mould's) distance from their setpoints. About every 3 h a stoppage (a part stuck in
/// the mould) holds the machine in alarm for 1.5–6.5 min.
#[derive(Debug)]
pub(super) struct Moulder {
    noise: Noise,
    state: u16,
    phase: u16,
    /// Seconds into the current phase.
    phase_t: f64,
    /// This cycle's phase lengths (clamp … eject).
    lengths: [f64; 5],
    cycle_t: f64,
    last_cycle: f64,
    shots: u32,
    rejects: u32,
    last_reject: bool,
    melt_base: f64,
    melt_wander: f64,
    /// Seconds into a heater drift (negative: none), its amplitude, and the time to the
    /// next one.
    drift_t: f64,
    drift_amp: f64,
    next_drift: f64,
    mould: f64,
    peak: f64,
    cushion: f64,
    alarm_left: f64,
}

impl Moulder {
    /// Nominal phase lengths apart from cooling, s.
    const CLAMP_S: f64 = 2.0;
    const INJECT_S: f64 = 1.2;
    const HOLD_S: f64 = 3.0;
    const RECOVERY_S: f64 = 7.0;
    const EJECT_S: f64 = 5.8;
    /// A stoppage per cycle: about one every 3 h at 30 s.
    const ALARM_P: f64 = 1.0 / 360.0;

    pub(super) fn image() -> Image {
        let mut u = Image::new(20, 2, 1, 2);
        put_f32(&mut u.holding, 10, 230.0);
        put_f32(&mut u.holding, 14, 45.0);
        put_f32(&mut u.holding, 18, 18.0);
        u.writable.insert(10, (180.0, 300.0, true));
        u.writable.insert(14, (20.0, 120.0, true));
        u.writable.insert(18, (2.0, 60.0, true));
        u.coils[0] = true;
        u.writable_coils.push(0);
        u
    }

    pub(super) fn new() -> Moulder {
        Moulder {
            noise: Noise(0x1a1e_c7ed_0000_0007),
            state: AUTO,
            phase: CLAMP,
            phase_t: 0.0,
            lengths: [
                Self::CLAMP_S,
                Self::INJECT_S,
                Self::HOLD_S,
                18.0,
                Self::EJECT_S,
            ],
            cycle_t: 0.0,
            last_cycle: 30.0,
            shots: 182_340,
            rejects: 1_912,
            last_reject: false,
            melt_base: 230.0,
            melt_wander: 0.0,
            drift_t: -1.0,
            drift_amp: 0.0,
            next_drift: 2400.0,
            mould: 47.0,
            peak: 1050.0,
            cushion: 5.0,
            alarm_left: 0.0,
        }
    }

    /// The melt temperature now.
    fn melt(&self) -> f64 {
        let drift = if self.drift_t < 0.0 {
            0.0
        } else if self.drift_t < 600.0 {
            self.drift_t / 600.0
        } else if self.drift_t < 1500.0 {
            1.0
        } else {
            ((2100.0 - self.drift_t) / 600.0).max(0.0)
        };
        self.melt_base + self.melt_wander + drift * self.drift_amp
    }

    #[cfg(test)]
    pub(super) fn force_drift(&mut self, amplitude: f64) {
        self.drift_t = 600.0;
        self.drift_amp = amplitude;
    }

    #[cfg(test)]
    pub(super) fn stop_drifts(&mut self) {
        self.drift_t = -1.0;
        self.next_drift = f64::INFINITY;
    }

    fn start_cycle(&mut self, cooling: f64) {
        let melt = self.melt();
        let g = |n: &mut Noise, sd: f64| sd * n.gauss().clamp(-3.0, 3.0);
        let inject = Self::INJECT_S * (-0.004 * (melt - 230.0)).exp();
        self.lengths = [
            Self::CLAMP_S + g(&mut self.noise, 0.03),
            inject * (1.0 + g(&mut self.noise, 0.02)),
            Self::HOLD_S,
            cooling.max(Self::RECOVERY_S + g(&mut self.noise, 0.1)),
            Self::EJECT_S + g(&mut self.noise, 0.1),
        ];
        self.phase = CLAMP;
        self.phase_t = 0.0;
        self.cycle_t = 0.0;
    }

    pub(super) fn step(&mut self, u: &mut Image, dt: f64) {
        let auto = u.coils[0];
        let melt_set = f64::from(get_f32(&u.holding, 10));
        let mould_set = f64::from(get_f32(&u.holding, 14));
        let cooling = f64::from(get_f32(&u.holding, 18));

        // Barrel: the melt follows its setpoint (about 4 min), wanders, and drifts now and
        // then when a heater band misbehaves.
        self.melt_base += (melt_set - self.melt_base) * (dt / 240.0).min(1.0);
        self.melt_wander = ou(self.melt_wander, &mut self.noise, 1.0, 300.0, dt);
        if self.drift_t >= 0.0 {
            self.drift_t += dt;
            if self.drift_t >= 2100.0 {
                self.drift_t = -1.0;
                self.next_drift = exponential(&mut self.noise, 5400.0);
            }
        } else {
            self.next_drift -= dt;
            if self.next_drift <= 0.0 {
                self.drift_t = 0.0;
                let sign = if self.noise.next() < 0.0 { -1.0 } else { 1.0 };
                self.drift_amp = sign * (5.0 + 5.0 * self.noise.uniform());
            }
        }
        let melt = self.melt();
        // Mould: each shot brings heat, the temperature control unit takes it away.
        let shot_heat = if self.state == AUTO && matches!(self.phase, INJECT | HOLD) {
            0.12
        } else {
            0.0
        };
        self.mould += ((mould_set - self.mould) / 150.0 + shot_heat) * dt;

        // The cycle, carrying time over phase ends so cycle times do not depend on `dt`.
        match self.state {
            ALARM => {
                self.alarm_left -= dt;
                if self.alarm_left <= 0.0 {
                    self.state = MANUAL;
                    self.phase = 0;
                }
            }
            MANUAL if auto => {
                self.state = AUTO;
                self.start_cycle(cooling);
            }
            MANUAL => {}
            _ => {
                let mut left = dt;
                while left > 0.0 && self.state == AUTO {
                    let i = usize::from(self.phase - 1);
                    let rest = self.lengths[i] - self.phase_t;
                    if left < rest {
                        self.phase_t += left;
                        self.cycle_t += left;
                        break;
                    }
                    left -= rest;
                    self.cycle_t += rest;
                    if self.phase == INJECT {
                        // The shot: peak pressure and cushion.
                        self.peak = 1050.0 * (-0.006 * (melt - 230.0)).exp() - (self.mould - 45.0)
                            + 6.0 * self.noise.gauss();
                        self.cushion = 5.0 - 0.06 * (melt - melt_set) + 0.06 * self.noise.gauss();
                    }
                    if self.phase < EJECT {
                        self.phase += 1;
                        self.phase_t = 0.0;
                        continue;
                    }
                    // The part is out.
                    self.shots = self.shots.wrapping_add(1);
                    self.last_cycle = self.cycle_t;
                    let dev = ((melt - melt_set).abs() - 2.0).max(0.0) / 8.0;
                    let mdev = ((self.mould - mould_set).abs() - 4.0).max(0.0) / 6.0;
                    let p = (0.004 + 0.25 * dev * dev + 0.1 * mdev * mdev).min(0.6);
                    self.last_reject = self.noise.uniform() < p;
                    if self.last_reject {
                        self.rejects = self.rejects.wrapping_add(1);
                    }
                    if self.noise.uniform() < Self::ALARM_P {
                        self.state = ALARM;
                        self.alarm_left = 90.0 + 300.0 * self.noise.uniform();
                        self.phase = 0;
                    } else if !auto {
                        self.state = MANUAL;
                        self.phase = 0;
                    } else {
                        self.start_cycle(cooling);
                    }
                }
            }
        }

        u.holding[0] = self.state;
        u.holding[1] = self.phase;
        put_u32(&mut u.holding, 2, self.shots);
        put_f32(&mut u.holding, 4, self.last_cycle as f32);
        put_f32(&mut u.holding, 6, self.peak as f32);
        put_f32(&mut u.holding, 8, (melt + 0.2 * self.noise.next()) as f32);
        put_f32(
            &mut u.holding,
            12,
            (self.mould + 0.1 * self.noise.next()) as f32,
        );
        put_f32(&mut u.holding, 16, self.cushion as f32);
        put_u32(&mut u.input, 0, self.rejects);
        u.discrete[0] = self.last_reject;
        u.discrete[1] = self.state == ALARM;
    }

    #[cfg(test)]
    pub(super) fn melt_now(&self) -> f64 {
        self.melt()
    }
}

// ---------------------------------------------------------------------------------------
// Unit 8: weaving loom
// ---------------------------------------------------------------------------------------

/// Stop causes (holding register 1).
pub(super) const NO_STOP: u16 = 0;
pub(super) const WARP_BREAK: u16 = 1;
pub(super) const WEFT_BREAK: u16 = 2;
pub(super) const OTHER: u16 = 3;
pub(super) const SWITCHED_OFF: u16 = 4;

/// Unit 8: an air-jet loom at about 600 picks/min. Stops come as Poisson processes: weft
/// breaks about 2 an hour and warp breaks about 0.8 an hour at 600 picks/min (both growing
/// with the square of the speed), other stops 0.12 an hour, and a doffing stop (other)
/// when the cloth roll reaches 120 m. A weft break takes about 70 s to mend (median), a
/// warp break about 4 min, other stops about 7 min, so an hour runs at 80–95 %. The shift
/// efficiency is the running time over the time switched on since the shift began (shifts
/// at 06:00, 14:00 and 22:00).
#[derive(Debug)]
pub(super) struct Loom {
    noise: Noise,
    running: bool,
    cause: u16,
    /// Seconds until the current stop is mended.
    stop_left: f64,
    stopped_for: f64,
    last_stop: f64,
    speed: f64,
    picks: u64,
    /// Fraction of a pick carried to the next step.
    pick_frac: f64,
    length_m: f64,
    warp: u32,
    weft: u32,
    other: u32,
    run_s: f64,
    shift: i64,
    shift_on: f64,
    shift_run: f64,
}

impl Loom {
    /// Cloth roll length, m: a full roll is doffed.
    const ROLL_M: f64 = 120.0;

    pub(super) fn image() -> Image {
        let mut u = Image::new(16, 8, 1, 1);
        u.holding[4] = 600;
        u.holding[5] = 240;
        u.writable.insert(4, (200.0, 1000.0, false));
        u.writable.insert(5, (50.0, 800.0, false));
        u.coils[0] = true;
        u.writable_coils.push(0);
        u
    }

    fn shift_of(tod: f64) -> i64 {
        ((tod - 6.0 * 3600.0).rem_euclid(DAY) / (8.0 * 3600.0)) as i64
    }

    pub(super) fn new(tod: f64) -> Loom {
        // The shift so far is taken to have run at 88 %.
        let into_shift = (tod - 6.0 * 3600.0).rem_euclid(8.0 * 3600.0);
        let picks = 187_654_321u64;
        Loom {
            noise: Noise(0x100b_0000_0bad_f00d),
            running: true,
            cause: NO_STOP,
            stop_left: 0.0,
            stopped_for: 0.0,
            last_stop: 64.0,
            speed: 600.0,
            picks,
            pick_frac: 0.0,
            length_m: 47.3,
            warp: 1_834,
            weft: 5_127,
            other: 622,
            run_s: picks as f64 / 600.0 * 60.0,
            shift: Self::shift_of(tod),
            shift_on: into_shift,
            shift_run: 0.88 * into_shift,
        }
    }

    fn stop(&mut self, cause: u16, seconds: f64) {
        self.running = false;
        self.cause = cause;
        self.stop_left = seconds;
        self.stopped_for = 0.0;
        match cause {
            WARP_BREAK => self.warp = self.warp.wrapping_add(1),
            WEFT_BREAK => self.weft = self.weft.wrapping_add(1),
            OTHER => self.other = self.other.wrapping_add(1),
            _ => {}
        }
    }

    fn restart(&mut self) {
        self.running = true;
        self.cause = NO_STOP;
        self.last_stop = self.stopped_for;
        self.stopped_for = 0.0;
    }

    pub(super) fn step(&mut self, u: &mut Image, dt: f64, tod: f64) {
        let on = u.coils[0];
        let set = f64::from(u.holding[4]);
        let density = f64::from(u.holding[5]) / 10.0;
        let shift = Self::shift_of(tod);
        if shift != self.shift {
            self.shift = shift;
            self.shift_on = 0.0;
            self.shift_run = 0.0;
        }
        if !on {
            if self.cause != SWITCHED_OFF {
                self.running = false;
                self.cause = SWITCHED_OFF;
                self.stop_left = 0.0;
                self.stopped_for = 0.0;
            }
        } else if self.cause == SWITCHED_OFF {
            self.restart();
        }
        if self.running {
            let k = (set / 600.0).powi(2);
            let (weft, warp, other) = (2.0 * k / 3600.0, 0.8 * k / 3600.0, 0.12 / 3600.0);
            let r = self.noise.uniform() / dt;
            if self.length_m >= Self::ROLL_M {
                self.length_m = 0.0;
                let d = 360.0 + 120.0 * self.noise.uniform();
                self.stop(OTHER, d);
            } else if r < weft {
                let d = 70.0 * (0.4 * self.noise.gauss()).exp();
                self.stop(WEFT_BREAK, d);
            } else if r < weft + warp {
                let d = 240.0 * (0.5 * self.noise.gauss()).exp();
                self.stop(WARP_BREAK, d);
            } else if r < weft + warp + other {
                let d = 420.0 * (0.6 * self.noise.gauss()).exp();
                self.stop(OTHER, d);
            }
        } else if self.cause != SWITCHED_OFF {
            self.stop_left -= dt;
            if self.stop_left <= 0.0 {
                self.restart();
            }
        }
        if self.running {
            self.speed = set * (1.0 + 0.002 * self.noise.gauss());
            let picks = self.speed / 60.0 * dt + self.pick_frac;
            self.picks += picks.floor() as u64;
            self.pick_frac = picks.fract();
            self.length_m += self.speed / 60.0 * dt / density / 100.0;
            self.run_s += dt;
            self.shift_run += dt;
        } else {
            self.speed = 0.0;
            self.stopped_for += dt;
        }
        if on {
            self.shift_on += dt;
        }
        let efficiency = if self.shift_on > 0.0 {
            100.0 * self.shift_run / self.shift_on
        } else {
            100.0
        };

        u.holding[0] = u16::from(self.running);
        u.holding[1] = self.cause;
        put_f32(&mut u.holding, 2, self.speed as f32);
        put_u32(&mut u.holding, 6, self.picks as u32);
        put_f32(&mut u.holding, 8, self.length_m as f32);
        put_f32(&mut u.holding, 10, efficiency.min(100.0) as f32);
        put_f32(&mut u.holding, 12, self.last_stop as f32);
        let stopped_for = if self.running { 0.0 } else { self.stopped_for };
        put_f32(&mut u.holding, 14, stopped_for as f32);
        put_u32(&mut u.input, 0, self.warp);
        put_u32(&mut u.input, 2, self.weft);
        put_u32(&mut u.input, 4, self.other);
        put_u32(&mut u.input, 6, self.run_s as u32);
        u.discrete[0] = self.running;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: f64 = 3600.0;

    fn f(u: &Image, at: usize) -> f64 {
        f64::from(get_f32(&u.holding, at))
    }

    fn u32_at(regs: &[u16], at: usize) -> u32 {
        (u32::from(regs[at]) << 16) | u32::from(regs[at + 1])
    }

    /// Runs a machine's `step` for `seconds` from the time of day `tod`, calling `each`
    /// after every step with the time of day.
    fn run(
        u: &mut Image,
        tod: &mut f64,
        seconds: f64,
        dt: f64,
        mut step: impl FnMut(&mut Image, f64),
        mut each: impl FnMut(&Image, f64),
    ) {
        let n = (seconds / dt).round() as usize;
        for _ in 0..n {
            *tod = (*tod + dt).rem_euclid(DAY);
            step(u, *tod);
            each(u, *tod);
        }
    }

    #[test]
    fn the_compressor_holds_the_band_with_a_realistic_duty_cycle_day_and_night() {
        let (mut u, mut c) = (Compressor::image(), Compressor::new());
        c.step(&mut u, 1e-3, 0.0);
        let dt = 0.1;
        for (start, hours, duty_range, cycles_range) in [
            // Day shift: demand about 4 m³/min plus leaks against 6.2 delivered.
            (8.0 * H, 2.0, 0.55..0.95, 10..80),
            // Night: little besides the leaks; the motor stops after its run-on time.
            (1.0 * H, 2.0, 0.10..0.35, 5..60),
        ] {
            let mut tod = start;
            let (run0, load0, cycles0) = (
                u32_at(&u.input, 0),
                u32_at(&u.input, 2),
                u32_at(&u.input, 4),
            );
            let (mut loaded, mut states, mut lo, mut hi) = (0.0, [0usize; 4], f64::MAX, 0.0f64);
            let (mut p_loaded, mut p_unloaded) = (Vec::new(), Vec::new());
            run(
                &mut u,
                &mut tod,
                hours * H,
                dt,
                |u, tod| c.step(u, dt, tod),
                |u, _| {
                    let p = f(u, 0);
                    lo = lo.min(p);
                    hi = hi.max(p);
                    let state = u.holding[6];
                    states[usize::from(state)] += 1;
                    match state {
                        LOADED => {
                            loaded += dt;
                            p_loaded.push(f(u, 7));
                            assert!((5.9..6.4).contains(&f(u, 9)), "FAD {}", f(u, 9));
                            assert!(u.discrete[0] && u.discrete[1]);
                        }
                        UNLOADED => {
                            p_unloaded.push(f(u, 7));
                            assert_eq!(f(u, 9), 0.0);
                        }
                        _ => assert!(f(u, 7) < 0.1 && !u.discrete[0]),
                    }
                },
            );
            // The pressure stays within cut-in … cut-out (6.5 … 7.5 bar), and uses it.
            assert!(lo > 6.5 - 0.02 && hi < 7.5 + 0.02, "{lo} … {hi}");
            assert!(lo < 6.6 && hi > 7.4, "{lo} … {hi}");
            let duty = loaded / (hours * H);
            assert!(duty_range.contains(&duty), "duty {duty} from {start}");
            let cycles = u32_at(&u.input, 4) - cycles0;
            assert!(cycles_range.contains(&cycles), "{cycles} load cycles");
            // Loaded about 38 kW (more at a higher pressure), unloaded 8–18 kW.
            let (pl_min, pl_max) = p_loaded
                .iter()
                .fold((f64::MAX, 0.0f64), |(a, b), &x| (a.min(x), b.max(x)));
            assert!(pl_min > 35.5 && pl_max < 40.5, "{pl_min} … {pl_max}");
            assert!(p_unloaded.iter().all(|p| (8.0..18.0).contains(p)));
            // The counters: running and loaded seconds, consistent with the states.
            let ran = u32_at(&u.input, 0) - run0;
            let load = u32_at(&u.input, 2) - load0;
            let running_steps = states[usize::from(LOADED)] + states[usize::from(UNLOADED)];
            assert!((f64::from(ran) - running_steps as f64 * dt).abs() < 2.0);
            assert!((f64::from(load) - loaded).abs() < 2.0);
            if start < 6.0 * H {
                assert!(states[usize::from(STANDBY)] > 0, "no standby at night");
            }
            let t = f64::from(i16::from_be_bytes(u.holding[11].to_be_bytes())) / 10.0;
            assert!((60.0..100.0).contains(&t), "discharge temperature {t}");
        }
        // Specific power over the two windows: about 6–8 kW per m³/min.
        let kwh = f64::from(u32_at(&u.input, 6)) / 10.0;
        assert!(kwh > 4711.0 * 31.0);
    }

    #[test]
    fn the_compressor_follows_a_moved_band_and_stops() {
        let (mut u, mut c) = (Compressor::image(), Compressor::new());
        c.step(&mut u, 1e-3, 0.0);
        let mut tod = 10.0 * H;
        let dt = 0.2;
        put_f32(&mut u.holding, 2, 5.5);
        put_f32(&mut u.holding, 4, 6.5);
        run(
            &mut u,
            &mut tod,
            600.0,
            dt,
            |u, t| c.step(u, dt, t),
            |_, _| {},
        );
        let (mut lo, mut hi) = (f64::MAX, 0.0f64);
        run(
            &mut u,
            &mut tod,
            1800.0,
            dt,
            |u, t| c.step(u, dt, t),
            |u, _| {
                lo = lo.min(f(u, 0));
                hi = hi.max(f(u, 0));
                assert_eq!(u.holding[6] == LOADED, u.discrete[1]);
            },
        );
        assert!(
            lo > 5.48 && hi < 6.52 && lo < 5.6 && hi > 6.4,
            "{lo} … {hi}"
        );
        // Stopped: no power, no delivery, the pressure falls away with the demand.
        u.coils[0] = false;
        run(
            &mut u,
            &mut tod,
            600.0,
            dt,
            |u, t| c.step(u, dt, t),
            |_, _| {},
        );
        assert_eq!(u.holding[6], STOPPED);
        assert!(f(&u, 0) < 4.0, "{}", f(&u, 0));
        assert!(!u.discrete[0]);
        // Started again below the cut-in: loaded at once.
        let cycles = u32_at(&u.input, 4);
        u.coils[0] = true;
        run(
            &mut u,
            &mut tod,
            1.0,
            dt,
            |u, t| c.step(u, dt, t),
            |_, _| {},
        );
        assert_eq!(u.holding[6], LOADED);
        assert_eq!(u32_at(&u.input, 4), cycles + 1);
    }

    #[test]
    fn the_demand_follows_the_working_day() {
        let d = Compressor::demand_profile;
        assert_eq!(d(3.0 * H), 0.5);
        assert_eq!(d(9.0 * H), 4.0);
        assert_eq!(d(12.0 * H), 2.5);
        assert_eq!(d(15.0 * H), 4.2);
        assert_eq!(d(20.0 * H), 3.2);
        assert!((d(6.0 * H) - 2.25).abs() < 1e-9);
        assert_eq!(d(23.9 * H), 0.5);
        // At the day's peak with leaks, one machine still keeps up.
        assert!(5.0 + Compressor::LEAK * 1.1 < Compressor::fad(7.5));
    }

    #[test]
    fn the_cold_room_cycles_around_its_setpoint_defrosts_and_recovers_from_the_door() {
        let (mut u, mut r) = (ColdRoom::image(), ColdRoom::new());
        r.step(&mut u, 1e-3, 0.0);
        let mut tod = 9.0 * H;
        let dt = 0.2;
        // Four hours of a working day: thermostat cycles, door openings, one defrost (the
        // first is due half an hour after start).
        let starts0 = u32_at(&u.input, 0);
        let doors0 = u32_at(&u.input, 2);
        let defrosts0 = u32_at(&u.input, 4);
        let (mut inside, mut total, mut cooling) = (0usize, 0usize, 0usize);
        let (mut coil_max, mut plateau, mut defrost_s, mut air_max) =
            (-99.0f64, 0.0, 0.0, -99.0f64);
        let (mut cooling_for, mut air_sum) = (0.0, 0.0);
        run(
            &mut u,
            &mut tod,
            4.0 * H,
            dt,
            |u, t| r.step(u, dt, t),
            |u, _| {
                let (air, coil, mode) = (f(u, 0), f(u, 4), u.holding[11]);
                total += 1;
                if (air - -18.0).abs() <= ColdRoom::DIFF + 0.6 {
                    inside += 1;
                }
                air_sum += air;
                air_max = air_max.max(air);
                if mode == COOLING {
                    cooling_for += dt;
                } else {
                    cooling_for = 0.0;
                }
                match mode {
                    COOLING => {
                        cooling += 1;
                        assert!(
                            u.discrete[0] && (2.0..5.0).contains(&f(u, 6)),
                            "{}",
                            f(u, 6)
                        );
                        // Soon after the start the coil runs well below the air.
                        if cooling_for > 300.0 {
                            assert!(coil < air - 3.0, "coil {coil}, air {air}");
                        }
                    }
                    DEFROST => {
                        defrost_s += dt;
                        coil_max = coil_max.max(coil);
                        if coil.abs() < 0.2 {
                            plateau += dt;
                        }
                        assert!(u.discrete[2] && !u.discrete[0] && f(u, 6) == 0.0);
                    }
                    _ => assert!(!u.discrete[0] && f(u, 6) == 0.0),
                }
            },
        );
        let starts = u32_at(&u.input, 0) - starts0;
        let doors = u32_at(&u.input, 2) - doors0;
        assert!(
            (8..60).contains(&starts),
            "{starts} compressor starts in 4 h"
        );
        assert!((5..25).contains(&doors), "{doors} door openings in 4 h");
        assert_eq!(u32_at(&u.input, 4) - defrosts0, 1);
        let duty = cooling as f64 / total as f64;
        assert!((0.15..0.7).contains(&duty), "duty {duty}");
        // Mostly within the thermostat's band (with its overshoot), and on average at
        // the setpoint: outside only after the door and during the defrost.
        assert!(inside as f64 / total as f64 > 0.8, "{inside} of {total}");
        let mean = air_sum / total as f64;
        assert!((mean - -18.0).abs() < 0.8, "mean {mean}");
        assert!(air_max < -10.0, "{air_max}");
        // The defrost melted the frost (the coil held at 0 °C) and ended at +8 °C.
        assert!((8.0..9.0).contains(&coil_max), "{coil_max}");
        assert!(plateau > 30.0, "{plateau} s at 0 °C");
        assert!(
            (300.0..1800.0).contains(&defrost_s),
            "{defrost_s} s defrost"
        );
        // The goods barely notice.
        assert!((f(&u, 8) - -18.0).abs() < 1.0, "{}", f(&u, 8));

        // A long door opening warms the room by a few kelvin; it is back in its band
        // within 20 minutes.
        r.next_door = f64::INFINITY;
        run(
            &mut u,
            &mut tod,
            600.0,
            dt,
            |u, t| r.step(u, dt, t),
            |_, _| {},
        );
        assert!(matches!(u.holding[11], IDLE | COOLING));
        let before = r.air();
        r.open_door(90.0);
        let mut peak = before;
        let mut back = None;
        let mut secs = 0.0;
        run(
            &mut u,
            &mut tod,
            1800.0,
            dt,
            |u, t| r.step(u, dt, t),
            |u, _| {
                secs += dt;
                peak = peak.max(f(u, 0));
                if secs < 90.0 {
                    assert!(u.discrete[1]);
                } else if back.is_none() && f(u, 0) <= -18.0 + ColdRoom::DIFF {
                    back = Some(secs);
                }
            },
        );
        assert!(peak - before > 2.0, "{before} → {peak}");
        let back = back.unwrap();
        assert!(back < 1200.0, "back in its band after {back} s");
        assert!(
            (r.air() - -18.0).abs() <= ColdRoom::DIFF + 0.2,
            "{}",
            r.air()
        );
    }

    #[test]
    fn the_cold_room_follows_its_setpoint_a_manual_defrost_and_the_switch() {
        let (mut u, mut r) = (ColdRoom::image(), ColdRoom::new());
        r.step(&mut u, 1e-3, 0.0);
        r.since_defrost = 0.0;
        let mut tod = 2.0 * H;
        let dt = 0.5;
        put_f32(&mut u.holding, 2, -22.0);
        run(
            &mut u,
            &mut tod,
            3.0 * H,
            dt,
            |u, t| r.step(u, dt, t),
            |_, _| {},
        );
        assert!((r.air() - -22.0).abs() < 1.5, "{}", r.air());
        // A manual defrost starts at once; the coil resets.
        u.coils[1] = true;
        run(
            &mut u,
            &mut tod,
            1.0,
            dt,
            |u, t| r.step(u, dt, t),
            |_, _| {},
        );
        assert_eq!(u.holding[11], DEFROST);
        assert!(!u.coils[1] && u.discrete[2]);
        run(
            &mut u,
            &mut tod,
            1800.0,
            dt,
            |u, t| r.step(u, dt, t),
            |_, _| {},
        );
        assert!(matches!(u.holding[11], IDLE | COOLING), "{}", u.holding[11]);
        // Switched off, the room warms.
        u.coils[0] = false;
        let before = r.air();
        run(
            &mut u,
            &mut tod,
            1800.0,
            dt,
            |u, t| r.step(u, dt, t),
            |_, _| {},
        );
        assert_eq!(u.holding[11], OFF);
        assert!(
            !u.discrete[0] && r.air() > before + 1.0,
            "{before} → {}",
            r.air()
        );
    }

    #[test]
    fn the_moulding_machine_counts_shots_of_the_configured_cycle() {
        let (mut u, mut m) = (Moulder::image(), Moulder::new());
        m.step(&mut u, 1e-3);
        m.stop_drifts();
        let mut tod = 0.0;
        let dt = 0.1;
        let shots0 = u32_at(&u.holding, 2);
        let rejects0 = u32_at(&u.input, 0);
        let (mut auto_s, mut cycles, mut last_shots) = (0.0, Vec::new(), shots0);
        let mut phases = [false; 6];
        run(
            &mut u,
            &mut tod,
            2.0 * H,
            dt,
            |u, _| m.step(u, dt),
            |u, _| {
                if u.holding[0] == AUTO {
                    auto_s += dt;
                    phases[usize::from(u.holding[1])] = true;
                }
                let shots = u32_at(&u.holding, 2);
                if shots != last_shots {
                    assert_eq!(shots, last_shots + 1);
                    last_shots = shots;
                    cycles.push(f(u, 4));
                    // Each shot: pressure peak, melt, mould and cushion near their marks.
                    assert!((980.0..1120.0).contains(&f(u, 6)), "peak {}", f(u, 6));
                    assert!((224.0..236.0).contains(&f(u, 8)), "melt {}", f(u, 8));
                    assert!((44.0..51.0).contains(&f(u, 12)), "mould {}", f(u, 12));
                    assert!((4.5..5.5).contains(&f(u, 16)), "cushion {}", f(u, 16));
                }
            },
        );
        assert!(phases[1..].iter().all(|p| *p), "{phases:?}");
        let shots = u32_at(&u.holding, 2) - shots0;
        // A 30 s cycle: every cycle 29.5–30.5 s, and the shots fill the automatic time.
        assert!(
            cycles.iter().all(|c| (29.5..30.5).contains(c)),
            "{cycles:?}"
        );
        let mean = cycles.iter().sum::<f64>() / cycles.len() as f64;
        assert!((mean - 30.0).abs() < 0.1, "{mean}");
        assert!(
            (f64::from(shots) * mean - auto_s).abs() < 31.0 * 3.0,
            "{shots} shots in {auto_s} s"
        );
        assert!(shots > 200, "{shots}");
        // In control the rejects are rare.
        let rejects = u32_at(&u.input, 0) - rejects0;
        assert!(rejects <= 6, "{rejects} rejects of {shots}");

        // A longer cooling time makes a longer cycle: 28 s cooling, 40 s cycles.
        put_f32(&mut u.holding, 18, 28.0);
        run(&mut u, &mut tod, 120.0, dt, |u, _| m.step(u, dt), |_, _| {});
        let shots0 = u32_at(&u.holding, 2);
        let mut cycles = Vec::new();
        let mut last = shots0;
        run(
            &mut u,
            &mut tod,
            1200.0,
            dt,
            |u, _| m.step(u, dt),
            |u, _| {
                if u32_at(&u.holding, 2) != last {
                    last = u32_at(&u.holding, 2);
                    cycles.push(f(u, 4));
                }
            },
        );
        assert!(cycles.len() >= 25 && cycles.len() <= 31, "{}", cycles.len());
        assert!(
            cycles.iter().all(|c| (39.5..40.5).contains(c)),
            "{cycles:?}"
        );

        // Cycle stop: the machine finishes its cycle and waits in manual.
        u.coils[0] = false;
        run(&mut u, &mut tod, 60.0, dt, |u, _| m.step(u, dt), |_, _| {});
        assert_eq!((u.holding[0], u.holding[1]), (MANUAL, 0));
        let stopped = u32_at(&u.holding, 2);
        run(&mut u, &mut tod, 300.0, dt, |u, _| m.step(u, dt), |_, _| {});
        assert_eq!(u32_at(&u.holding, 2), stopped);
        u.coils[0] = true;
        run(&mut u, &mut tod, 45.0, dt, |u, _| m.step(u, dt), |_, _| {});
        assert_eq!(u.holding[0], AUTO);
        assert_eq!(u32_at(&u.holding, 2), stopped + 1);
    }

    /// An hour of shots (the melt held `drift` kelvin off when given): shots, rejects and
    /// the mean peak pressure.
    fn hour_of_shots(u: &mut Image, m: &mut Moulder, drift: Option<f64>) -> (u32, u32, f64) {
        let dt = 0.2;
        let mut tod = 0.0;
        let (s0, r0) = (u32_at(&u.holding, 2), u32_at(&u.input, 0));
        let mut peaks = Vec::new();
        let mut last = s0;
        run(
            u,
            &mut tod,
            H,
            dt,
            |u, _| {
                if let Some(a) = drift {
                    m.force_drift(a);
                }
                m.step(u, dt);
            },
            |u, _| {
                if u32_at(&u.holding, 2) != last {
                    last = u32_at(&u.holding, 2);
                    peaks.push(f(u, 6));
                }
            },
        );
        let shots = u32_at(&u.holding, 2) - s0;
        let rejects = u32_at(&u.input, 0) - r0;
        let peak = peaks.iter().sum::<f64>() / peaks.len() as f64;
        (shots, rejects, peak)
    }

    #[test]
    fn a_drifting_melt_raises_the_reject_rate_and_lowers_the_pressure() {
        let (mut u, mut m) = (Moulder::image(), Moulder::new());
        m.step(&mut u, 1e-3);
        m.stop_drifts();
        let (shots, rejects, peak) = hour_of_shots(&mut u, &mut m, None);
        assert!(shots > 90 && rejects * 30 <= shots, "{rejects} of {shots}");
        assert!((1030.0..1070.0).contains(&peak), "{peak}");
        // Nine kelvin too hot: about one shot in five is scrap, the pressure drops ~50 bar.
        let (shots, rejects, hot_peak) = hour_of_shots(&mut u, &mut m, Some(9.0));
        assert!((236.0..242.0).contains(&m.melt_now()), "{}", m.melt_now());
        assert!(
            rejects * 10 >= shots && rejects * 2 <= shots,
            "{rejects} of {shots}"
        );
        assert!(peak - hot_peak > 35.0, "{peak} → {hot_peak}");
        // The drift over, the scrap stops.
        m.stop_drifts();
        let (shots, rejects, _) = hour_of_shots(&mut u, &mut m, None);
        assert!(rejects * 30 <= shots, "{rejects} of {shots}");
    }

    #[test]
    fn the_melt_and_the_mould_follow_their_setpoints() {
        let (mut u, mut m) = (Moulder::image(), Moulder::new());
        m.step(&mut u, 1e-3);
        m.stop_drifts();
        let mut tod = 0.0;
        let dt = 0.2;
        let (_, _, peak) = hour_of_shots(&mut u, &mut m, None);
        // Hotter melt and mould: thinner melt, lower pressure; both settle within ~20 min.
        put_f32(&mut u.holding, 10, 250.0);
        put_f32(&mut u.holding, 14, 60.0);
        run(
            &mut u,
            &mut tod,
            1800.0,
            dt,
            |u, _| m.step(u, dt),
            |_, _| {},
        );
        assert!((f(&u, 8) - 250.0).abs() < 4.0, "melt {}", f(&u, 8));
        assert!((60.0..65.0).contains(&f(&u, 12)), "mould {}", f(&u, 12));
        let (shots, rejects, hot) = hour_of_shots(&mut u, &mut m, None);
        assert!(peak - hot > 100.0, "{peak} → {hot}");
        assert!(rejects * 30 <= shots, "{rejects} of {shots}");
    }

    #[test]
    fn the_loom_stops_a_few_times_an_hour_and_runs_at_80_to_95_percent() {
        let mut tod = 6.0 * H;
        let (mut u, mut l) = (Loom::image(), Loom::new(tod));
        l.step(&mut u, 1e-3, tod);
        let dt = 0.2;
        let stops0 = |u: &Image| {
            [
                u32_at(&u.input, 0),
                u32_at(&u.input, 2),
                u32_at(&u.input, 4),
            ]
        };
        let first = stops0(&u);
        let picks_start = u32_at(&u.holding, 6);
        let mut hours = Vec::new();
        let mut durations: [Vec<f64>; 4] = Default::default();
        let mut run_total = 0.0;
        let mut last_cause = NO_STOP;
        for _ in 0..8 {
            let mut ran = 0.0;
            let mut stops = 0;
            run(
                &mut u,
                &mut tod,
                H,
                dt,
                |u, t| l.step(u, dt, t),
                |u, _| {
                    let (state, cause) = (u.holding[0], u.holding[1]);
                    if state == 1 {
                        ran += dt;
                        assert_eq!(cause, NO_STOP);
                        assert!((590.0..610.0).contains(&f(u, 2)), "{}", f(u, 2));
                        if last_cause != NO_STOP {
                            durations[usize::from(last_cause)].push(f(u, 12));
                        }
                    } else {
                        assert!(matches!(cause, WARP_BREAK | WEFT_BREAK | OTHER));
                        assert!(!u.discrete[0] && f(u, 2) == 0.0);
                        if last_cause == NO_STOP {
                            stops += 1;
                        }
                    }
                    last_cause = cause;
                },
            );
            hours.push((ran / H, stops));
            run_total += ran;
        }
        // A few stops an hour; the first hour and the shift as a whole at 80–95 % (single
        // hours scatter more: a long warp break or two).
        for (i, &(eff, stops)) in hours.iter().enumerate() {
            assert!((0.65..0.995).contains(&eff), "hour {i}: {hours:?}");
            assert!((1..10).contains(&stops), "hour {i}: {hours:?}");
        }
        assert!((0.80..0.95).contains(&hours[0].0), "{hours:?}");
        let shift = run_total / (8.0 * H);
        assert!((0.80..0.95).contains(&shift), "{shift}");
        // The loom's own shift efficiency (at 14:00 the next shift begins: 8 h ran).
        assert!(f(&u, 10) > 80.0 && f(&u, 10) <= 100.0);
        // Counters agree with what was seen; the durations are those of their causes.
        let now = stops0(&u);
        let counted: u32 = (0..3).map(|i| now[i] - first[i]).sum();
        let seen: usize = hours.iter().map(|h| h.1).sum();
        assert!((counted as usize).abs_diff(seen) <= 1, "{counted} / {seen}");
        let mean = |v: &Vec<f64>| v.iter().sum::<f64>() / v.len().max(1) as f64;
        let (warp, weft, other) = (
            mean(&durations[1]),
            mean(&durations[2]),
            mean(&durations[3]),
        );
        assert!((40.0..150.0).contains(&weft), "weft {weft}");
        assert!((120.0..600.0).contains(&warp), "warp {warp}");
        assert!(
            other == 0.0 || (180.0..1500.0).contains(&other),
            "other {other}"
        );
        assert!(durations[2].len() > durations[1].len(), "{durations:?}");
        // Picks: 600 a minute while running; the roll of about 15 m an hour.
        let picks = f64::from(u32_at(&u.holding, 6).wrapping_sub(picks_start));
        assert!((picks / (run_total / 60.0) - 600.0).abs() < 3.0, "{picks}");
    }

    #[test]
    fn the_loom_follows_its_speed_its_switch_and_the_shifts() {
        let mut tod = 13.5 * H;
        let (mut u, mut l) = (Loom::image(), Loom::new(tod));
        l.step(&mut u, 1e-3, tod);
        let dt = 0.2;
        // Faster weaves more picks a minute but breaks more often.
        u.holding[4] = 900;
        let warp_weft = |u: &Image| u32_at(&u.input, 0) + u32_at(&u.input, 2);
        let before = warp_weft(&u);
        let mut speeds = Vec::new();
        run(
            &mut u,
            &mut tod,
            1800.0,
            dt,
            |u, t| l.step(u, dt, t),
            |u, _| {
                if u.holding[0] == 1 {
                    speeds.push(f(u, 2));
                }
            },
        );
        assert!(speeds.iter().all(|s| (885.0..915.0).contains(s)));
        assert!(warp_weft(&u) - before >= 2, "{}", warp_weft(&u) - before);
        // At 14:00 a new shift starts: the efficiency starts over.
        assert!(l.shift_on > 7.0 * H);
        run(
            &mut u,
            &mut tod,
            60.0,
            dt,
            |u, t| l.step(u, dt, t),
            |_, _| {},
        );
        assert!(l.shift_on <= 60.5, "{}", l.shift_on);
        // Switched off: stopped with its own cause, no picks; on again, it runs.
        u.coils[0] = false;
        run(
            &mut u,
            &mut tod,
            1.0,
            dt,
            |u, t| l.step(u, dt, t),
            |_, _| {},
        );
        assert_eq!((u.holding[0], u.holding[1]), (0, SWITCHED_OFF));
        let picks = u32_at(&u.holding, 6);
        let on = l.shift_on;
        run(
            &mut u,
            &mut tod,
            600.0,
            dt,
            |u, t| l.step(u, dt, t),
            |_, _| {},
        );
        assert_eq!(u32_at(&u.holding, 6), picks);
        assert!(f(&u, 14) >= 599.0);
        // Switched-off time is planned: it does not count against the shift.
        assert_eq!(l.shift_on, on);
        u.coils[0] = true;
        run(
            &mut u,
            &mut tod,
            1.0,
            dt,
            |u, t| l.step(u, dt, t),
            |_, _| {},
        );
        assert_eq!((u.holding[0], u.holding[1]), (1, NO_STOP));
        assert!(f(&u, 12) >= 600.0);
    }
}
