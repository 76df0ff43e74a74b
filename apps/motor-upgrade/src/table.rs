//! Nominal efficiency limits (%) of the IE1–IE4 classes for 50 Hz, 4-pole line-operated
//! motors, IEC 60034-30-1:2014 (the 50 Hz tables of IE1, IE2, IE3 and IE4; the values from
//! 200 kW hold up to 1000 kW). Between two rated powers of the table the standard's
//! interpolation formula η = A·x³ + B·x² + C·x + D, x = log₁₀(P/1 kW), gives IE2–IE4 (the
//! 0.75–200 kW coefficients, as reproduced in UK SI 2021/745, Schedule 16, and used by the
//! platform's model `motor.ie_efficiency_class`); IE1 is interpolated linearly in log₁₀ P
//! between the neighbouring rows (this app's approximation). Both are rounded to 0.1 %.

use ironloom::Json;

/// Rated power (kW), IE1, IE2, IE3, IE4 (%).
pub const ROWS: [(f64, [f64; 4]); 22] = [
    (0.75, [72.1, 79.6, 82.5, 85.7]),
    (1.1, [75.0, 81.4, 84.1, 87.2]),
    (1.5, [77.2, 82.8, 85.3, 88.2]),
    (2.2, [79.7, 84.3, 86.7, 89.5]),
    (3.0, [81.5, 85.5, 87.7, 90.4]),
    (4.0, [83.1, 86.6, 88.6, 91.1]),
    (5.5, [84.7, 87.7, 89.6, 91.9]),
    (7.5, [86.0, 88.7, 90.4, 92.6]),
    (11.0, [87.6, 89.8, 91.4, 93.3]),
    (15.0, [88.7, 90.6, 92.1, 93.9]),
    (18.5, [89.3, 91.2, 92.6, 94.2]),
    (22.0, [89.9, 91.6, 93.0, 94.5]),
    (30.0, [90.7, 92.3, 93.6, 94.9]),
    (37.0, [91.2, 92.7, 93.9, 95.2]),
    (45.0, [91.7, 93.1, 94.2, 95.4]),
    (55.0, [92.1, 93.5, 94.6, 95.7]),
    (75.0, [92.7, 94.0, 95.0, 96.0]),
    (90.0, [93.0, 94.2, 95.2, 96.1]),
    (110.0, [93.3, 94.5, 95.4, 96.3]),
    (132.0, [93.5, 94.7, 95.6, 96.4]),
    (160.0, [93.8, 94.9, 95.8, 96.6]),
    (200.0, [94.0, 95.1, 96.0, 96.7]),
];

/// A, B, C, D of IE2, IE3, IE4, 4 poles, 0.75–200 kW.
const COEF: [[f64; 4]; 3] = [
    [0.0278, -1.9247, 10.4395, 80.9761],
    [0.0773, -1.8951, 9.2984, 83.7025],
    [0.2412, -2.3608, 8.446, 86.8321],
];

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// The limit (%) of class `class` (1–4) at `kw`, or `None` outside 0.75–1000 kW.
pub fn efficiency(class: usize, kw: f64) -> Option<f64> {
    if !(1..=4).contains(&class) || !(kw >= 0.75 - 1e-9 && kw <= 1000.0) {
        return None;
    }
    let i = class - 1;
    if kw >= 200.0 {
        return Some(ROWS[21].1[i]);
    }
    if let Some(row) = ROWS.iter().find(|r| (r.0 - kw).abs() < 1e-9) {
        return Some(row.1[i]);
    }
    let x = kw.log10();
    if class >= 2 {
        let [a, b, c, d] = COEF[class - 2];
        return Some(round1(a * x * x * x + b * x * x + c * x + d));
    }
    let j = ROWS.iter().position(|r| r.0 > kw)?;
    let (lo, hi) = (ROWS[j - 1], ROWS[j]);
    let f = (x - lo.0.log10()) / (hi.0.log10() - lo.0.log10());
    Some(round1(lo.1[0] + f * (hi.1[0] - lo.1[0])))
}

/// The four limits at `kw` for the panel, and whether they are a row of the table.
pub fn row(kw: f64) -> Json {
    let mut o = Json::object();
    for (i, name) in ["IE1", "IE2", "IE3", "IE4"].iter().enumerate() {
        o.set(name, efficiency(i + 1, kw));
    }
    o.set("tabulated", kw >= 200.0 || ROWS.iter().any(|r| (r.0 - kw).abs() < 1e-9));
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_gives_the_rows() {
        // The interpolation formula reproduces every tabulated IE2–IE4 value.
        for (kw, v) in ROWS.iter() {
            let x = kw.log10();
            for c in 0..3 {
                let [a, b, cc, d] = COEF[c];
                assert_eq!(round1(a * x * x * x + b * x * x + cc * x + d), v[c + 1], "{} kW IE{}", kw, c + 2);
            }
        }
    }

    #[test]
    fn lookups() {
        assert_eq!(efficiency(2, 30.0), Some(92.3));
        assert_eq!(efficiency(4, 500.0), Some(96.7));
        assert_eq!(efficiency(3, 0.5), None);
        // IE1 between 22 (89.9) and 30 kW (90.7) at 25 kW.
        let f = (25f64.log10() - 22f64.log10()) / (30f64.log10() - 22f64.log10());
        assert_eq!(efficiency(1, 25.0), Some(round1(89.9 + f * 0.8)));
    }
}
