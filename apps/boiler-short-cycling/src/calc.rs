//! The arithmetic of the cycling losses (US DOE Steam Tip Sheet #16), with no host call,
//! unit-tested natively.
//!
//! Over a period with firing time t_on, time hot t_hot (monitored) and N burner starts:
//!
//! * fuel input          F = Q_f · t_on
//! * radiation loss      R = r · Q_f · t_hot (a constant heat flow: r of the input at full
//!   fire, so r/φ of the input at a firing fraction φ = t_on/t_hot — the tip sheet's 1 % at
//!   full load, 2 % at half load, 4 % at a quarter)
//! * purge loss          P = Σ over starts of V̇·ρ_n·c_p·(T_boiler − T_air)·(t_pre + t_post)
//! * useful heat         U = η_c·F − R − P
//! * cycle efficiency    E1 = U / F  (the tip sheet's "useful heat … divided by the energy
//!   input … over the cycle duration")
//! * continuous firing   E2 = η_c − r (no purges, radiation at its full-load share)
//! * fractional fuel savings 1 − E1/E2 (the tip sheet's formula), lost fuel F·(1 − E1/E2)
//!   = (R − r·F + P)/E2.

/// Density of air at 0 °C and 101.325 kPa, kg/Nm³.
pub const RHO_AIR_N: f64 = 1.293;
/// Specific heat of air, kJ/(kg·K).
pub const CP_AIR: f64 = 1.005;

/// The boiler's configuration, in SI units and fractions.
#[derive(Clone, Copy, Debug)]
pub struct Boiler {
    /// Fuel input while firing, kW.
    pub q_in_kw: f64,
    /// Combustion (flue-gas) efficiency while firing, fraction.
    pub eta_c: f64,
    /// Radiation and convection loss at full fire, fraction of the input.
    pub r: f64,
}

/// The heat carried off by purge air, kW: V̇ (Nm³/h) · ρ_n · c_p · (T_boiler − T_air).
pub fn purge_kw(air_nm3h: f64, t_boiler: f64, t_air: f64) -> f64 {
    air_nm3h / 3600.0 * RHO_AIR_N * CP_AIR * (t_boiler - t_air).max(0.0)
}

/// The losses of a period.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Losses {
    pub fuel_kwh: f64,
    pub rad_kwh: f64,
    pub purge_kwh: f64,
    pub useful_kwh: f64,
    /// Cycle efficiency, fraction (0 when the losses exceed the heat from the fire).
    pub e1: f64,
    /// Efficiency at continuous full firing, fraction.
    pub e2: f64,
    /// Fractional fuel savings 1 − E1/E2.
    pub ffs: f64,
    /// Fuel burnt to cover the cycling losses, kWh: F · (1 − E1/E2).
    pub loss_kwh: f64,
}

/// The losses of a period with `on_s` seconds of firing, `hot_s` seconds monitored and the
/// purge heat already summed; `None` without firing (no fuel, no efficiency).
pub fn losses(b: &Boiler, on_s: f64, hot_s: f64, purge_kwh: f64) -> Option<Losses> {
    if !(on_s > 0.0) || !(b.q_in_kw > 0.0) {
        return None;
    }
    let fuel = b.q_in_kw * on_s / 3600.0;
    let rad = b.r * b.q_in_kw * hot_s.max(on_s) / 3600.0;
    let useful = b.eta_c * fuel - rad - purge_kwh;
    let e1 = (useful / fuel).max(0.0);
    let e2 = b.eta_c - b.r;
    let ffs = if e2 > 0.0 { 1.0 - e1 / e2 } else { 0.0 };
    Some(Losses {
        fuel_kwh: fuel,
        rad_kwh: rad,
        purge_kwh,
        useful_kwh: useful,
        e1,
        e2,
        ffs,
        loss_kwh: fuel * ffs,
    })
}

/// The tip sheet's savings of replacing operation at cycle efficiency `e1` with operation
/// at `e2`: (fractional fuel savings 1 − E1/E2, fuel saved, cost saved).
pub fn savings(e1: f64, e2: f64, annual_fuel: f64, price: f64) -> (f64, f64, f64) {
    let ffs = 1.0 - e1 / e2;
    (ffs, annual_fuel * ffs, annual_fuel * ffs * price)
}

/// The civil date (y, m, d) of a day number since 1970-01-01 (H. Hinnant's algorithm).
pub fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + if m <= 2 { 1 } else { 0 };
    (y, m, d)
}

/// "YYYY-MM-DD" of a day number.
pub fn date(days: i64) -> String {
    let (y, m, d) = civil(days);
    format!("{:04}-{:02}-{:02}", y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tip_sheet_example() {
        let (ffs, _, cost) = savings(0.727, 0.788, 200_000.0, 8.0);
        assert!((ffs - 0.077411).abs() < 1e-6);
        assert!((cost - 123_857.87).abs() < 0.01);
    }

    #[test]
    fn radiation_share_grows_as_the_load_falls() {
        let b = Boiler { q_in_kw: 1000.0, eta_c: 0.85, r: 0.01 };
        let half = losses(&b, 1800.0, 3600.0, 0.0).unwrap();
        assert!((half.rad_kwh / half.fuel_kwh - 0.02).abs() < 1e-12);
        let quarter = losses(&b, 900.0, 3600.0, 0.0).unwrap();
        assert!((quarter.rad_kwh / quarter.fuel_kwh - 0.04).abs() < 1e-12);
        let full = losses(&b, 3600.0, 3600.0, 0.0).unwrap();
        assert!(full.ffs.abs() < 1e-12 && (full.e1 - 0.84).abs() < 1e-12);
        // Lost fuel = (R − r·F + P)/E2.
        let p = losses(&b, 1800.0, 3600.0, 5.0).unwrap();
        let direct = (p.rad_kwh - 0.01 * p.fuel_kwh + 5.0) / p.e2;
        assert!((p.loss_kwh - direct).abs() < 1e-9);
        assert!(losses(&b, 0.0, 3600.0, 0.0).is_none());
    }

    #[test]
    fn purge_heat() {
        // 3600 Nm³/h is 1 Nm³/s: 1.293 kg/s × 1.005 × 100 K = 129.9465 kW.
        assert!((purge_kw(3600.0, 120.0, 20.0) - 129.9465).abs() < 1e-9);
        assert_eq!(purge_kw(3600.0, 10.0, 20.0), 0.0);
    }

    #[test]
    fn dates() {
        assert_eq!(date(0), "1970-01-01");
        assert_eq!(date(20_514), "2026-03-02");
        assert_eq!(date(-1), "1969-12-31");
        assert_eq!(date(11_016), "2000-02-29");
    }
}
