//! NEMA MG 10-2001, Table 2-3 "Allowable number of starts and minimum time between starts"
//! for Design A and B motors (as reproduced in the EASA Electrical Engineering Handbook,
//! "Allowable Starts and Starting Intervals"), unit-tested natively.
//!
//! Per rating (hp) and poles: A = maximum number of starts per hour, B = maximum product of
//! starts per hour times load Wk² (lb·ft²), C = minimum rest or off time between starts (s).
//! Allowable starts per hour = the lesser of A and B / load Wk². The table holds for applied
//! voltage and frequency per NEMA MG 1-12.44, a load torque during acceleration at most
//! varying as the square of the speed and equal to 100 % of rated torque at rated speed, and
//! an external load Wk² at most the values of column B.

/// (hp, [(A, B, C) for 2, 4 and 6 poles]) — every row of the table.
pub const TABLE: [(f64, [(f64, f64, f64); 3]); 20] = [
    (1.0, [(15.0, 1.2, 75.0), (30.0, 5.8, 38.0), (34.0, 15.0, 33.0)]),
    (1.5, [(12.9, 1.8, 76.0), (25.7, 8.6, 38.0), (29.1, 23.0, 34.0)]),
    (2.0, [(11.5, 2.4, 77.0), (23.0, 11.0, 39.0), (26.1, 30.0, 35.0)]),
    (3.0, [(9.9, 3.5, 80.0), (19.8, 17.0, 40.0), (22.4, 44.0, 36.0)]),
    (5.0, [(8.1, 5.7, 83.0), (16.3, 27.0, 42.0), (18.4, 71.0, 37.0)]),
    (7.5, [(7.0, 8.3, 88.0), (13.9, 39.0, 44.0), (15.8, 104.0, 39.0)]),
    (10.0, [(6.2, 11.0, 92.0), (12.5, 51.0, 46.0), (14.2, 137.0, 41.0)]),
    (15.0, [(5.4, 16.0, 100.0), (10.7, 75.0, 50.0), (12.1, 200.0, 44.0)]),
    (20.0, [(4.8, 21.0, 110.0), (9.6, 99.0, 55.0), (10.9, 262.0, 48.0)]),
    (25.0, [(4.4, 26.0, 115.0), (8.8, 122.0, 58.0), (10.0, 324.0, 51.0)]),
    (30.0, [(4.1, 31.0, 120.0), (8.2, 144.0, 60.0), (9.3, 384.0, 53.0)]),
    (40.0, [(3.7, 40.0, 130.0), (7.4, 189.0, 65.0), (8.4, 503.0, 57.0)]),
    (50.0, [(3.4, 49.0, 145.0), (6.8, 232.0, 72.0), (7.7, 620.0, 64.0)]),
    (60.0, [(3.2, 58.0, 170.0), (6.3, 275.0, 85.0), (7.2, 735.0, 75.0)]),
    (75.0, [(2.9, 71.0, 180.0), (5.8, 338.0, 90.0), (6.6, 904.0, 79.0)]),
    (100.0, [(2.6, 92.0, 220.0), (5.2, 441.0, 110.0), (5.9, 1181.0, 97.0)]),
    (125.0, [(2.4, 113.0, 275.0), (4.8, 542.0, 140.0), (5.4, 1452.0, 120.0)]),
    (150.0, [(2.2, 133.0, 320.0), (4.5, 640.0, 160.0), (5.1, 1719.0, 140.0)]),
    (200.0, [(2.0, 172.0, 600.0), (4.0, 831.0, 300.0), (4.5, 2238.0, 265.0)]),
    (250.0, [(1.8, 210.0, 1000.0), (3.7, 1017.0, 500.0), (4.2, 2744.0, 440.0)]),
];

/// lb·ft² per kg·m² (1 lb·ft² = 0.45359237 kg × 0.3048² m² = 0.0421401 kg·m²).
pub const LBFT2_PER_KGM2: f64 = 1.0 / (0.453_592_37 * 0.3048 * 0.3048);

/// The limits of one motor.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Limits {
    pub hp: f64,
    pub poles: u32,
    pub a: f64,
    pub b: f64,
    pub c: f64,
    /// Load Wk² (lb·ft²), when known.
    pub wk2: Option<f64>,
    /// Allowable starts per hour: min(A, B / Wk²).
    pub per_hour: f64,
    /// Whether the load Wk² exceeds column B (the table does not apply: ask the maker).
    pub wk2_over_b: bool,
}

/// The table's row for a rating (exactly one of its horsepowers) and poles (2, 4, 6).
pub fn row(hp: f64, poles: u32) -> Option<(f64, f64, f64)> {
    let col = match poles {
        2 => 0,
        4 => 1,
        6 => 2,
        _ => return None,
    };
    TABLE
        .iter()
        .find(|(h, _)| (*h - hp).abs() < 1e-9)
        .map(|(_, cols)| cols[col])
}

/// The limits for a rating, poles and (optional) load Wk² in lb·ft².
pub fn limits(hp: f64, poles: u32, wk2: Option<f64>) -> Option<Limits> {
    let (a, b, c) = row(hp, poles)?;
    let wk2 = wk2.filter(|w| *w > 0.0);
    let per_hour = match wk2 {
        Some(w) => a.min(b / w),
        None => a,
    };
    Some(Limits {
        hp,
        poles,
        a,
        b,
        c,
        wk2,
        per_hour,
        wk2_over_b: wk2.map_or(false, |w| w > b),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn easa_example() {
        // 25 hp, 4 pole, load Wk² = 50: A = 8.8, B = 122, 122/50 = 2.44 < A.
        let l = limits(25.0, 4, Some(50.0)).unwrap();
        assert_eq!((l.a, l.b, l.c), (8.8, 122.0, 58.0));
        assert!((l.per_hour - 2.44).abs() < 1e-12);
        assert!(!l.wk2_over_b);
    }

    #[test]
    fn rows() {
        assert_eq!(row(75.0, 4), Some((5.8, 338.0, 90.0)));
        assert_eq!(row(250.0, 2), Some((1.8, 210.0, 1000.0)));
        assert_eq!(row(1.0, 6), Some((34.0, 15.0, 33.0)));
        assert_eq!(row(74.0, 4), None);
        assert_eq!(row(75.0, 8), None);
        // A falls and C grows with the rating in every column.
        for col in 0..3 {
            for w in TABLE.windows(2) {
                assert!(w[1].1[col].0 <= w[0].1[col].0 && w[1].1[col].2 >= w[0].1[col].2);
                assert!(w[1].1[col].1 > w[0].1[col].1);
            }
        }
        assert!((LBFT2_PER_KGM2 - 23.7304).abs() < 1e-4);
        assert_eq!(limits(75.0, 4, None).unwrap().per_hour, 5.8);
        assert!(limits(25.0, 4, Some(200.0)).unwrap().wk2_over_b);
    }
}
