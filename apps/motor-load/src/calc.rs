//! Motor load arithmetic that needs no host call, unit-tested natively.

/// Load bands of the histogram, in % of rated output: their lower edges. DOE: most motors
/// are designed to run at 50–100 % of rated load, their efficiency peaks near 75 % and
/// falls off quickly below 50 %; below 40 % a motor is oversized; a service factor of 1.15
/// allows 115 % only for short times.
pub const BANDS: [f64; 7] = [0.0, 25.0, 40.0, 50.0, 75.0, 100.0, 115.0];

/// The histogram band of a load in %.
pub fn band(load_pct: f64) -> usize {
    BANDS.iter().rposition(|edge| load_pct >= *edge).unwrap_or(0)
}

/// DOE line-current method (fact sheet "Determining Electric Motor Load and Efficiency"):
/// load = (I / I_r) × (V / V_r); the voltage ratio is 1 when no voltage is known.
pub fn load_from_current(i: f64, i_rated: f64, v: Option<f64>, v_rated: f64) -> f64 {
    let vr = match v {
        Some(v) if v > 0.0 && v_rated > 0.0 => v / v_rated,
        _ => 1.0,
    };
    i / i_rated * vr
}

/// DOE input-power method with a measured input power: the input at rated
/// output is P_ir = P_r / η_fl, load = P_i / P_ir.
pub fn load_from_power(p_in: f64, p_rated: f64, eta_fl: f64) -> f64 {
    p_in * eta_fl / p_rated
}

/// Efficiency at a load (share of rated output) from a two-part loss model: the full-load
/// losses L = P_r (1/η_fl − 1) split into a constant part (iron, friction and windage:
/// `fixed_share` of L) and a part growing with the square of the load (I²R), so that
/// η(x) = x·P_r / (x·P_r + L·(k + (1 − k)·x²)). It gives η_fl at full load, a maximum at
/// x = √(k/(1−k)) (≈ 73 % for k = 0.35, where DOE puts the peak) and the sharp fall
/// below 40 % of the DOE part-load curves.
pub fn efficiency_at(x: f64, eta_fl: f64, fixed_share: f64) -> Option<f64> {
    if x <= 0.0 || eta_fl <= 0.0 || eta_fl >= 1.0 {
        return None;
    }
    let losses = 1.0 / eta_fl - 1.0; // per unit of rated output
    Some(x / (x + losses * (fixed_share + (1.0 - fixed_share) * x * x)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bands() {
        assert_eq!(band(10.0), 0);
        assert_eq!(band(39.99), 1);
        assert_eq!(band(40.0), 2);
        assert_eq!(band(115.0), 6);
        assert_eq!(band(-1.0), 0);
    }

    #[test]
    fn efficiency_curve() {
        assert!((efficiency_at(1.0, 0.93, 0.35).unwrap() - 0.93).abs() < 1e-12);
        let peak = (0.35f64 / 0.65).sqrt();
        let e = efficiency_at(peak, 0.93, 0.35).unwrap();
        assert!(e > 0.93 && e > efficiency_at(0.5, 0.93, 0.35).unwrap());
        assert!(efficiency_at(0.25, 0.93, 0.35).unwrap() < 0.9);
    }

    #[test]
    fn current_method() {
        assert!((load_from_current(40.5, 54.0, Some(396.0), 400.0) - 0.7425).abs() < 1e-12);
    }
}
