//! Ordinary least squares of daily energy on one driver, with the goodness-of-fit statistics
//! of ASHRAE Guideline 14-2014 (CV(RMSE) and NMBE with n − p degrees of freedom), and the
//! civil-date arithmetic of the day records; unit-tested natively.

/// A fitted energy baseline E = a + b·x.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Fit {
    pub n: usize,
    pub a: f64,
    pub b: f64,
    pub r2: f64,
    /// √(SSE / (n − p)), p = 2.
    pub rmse: f64,
    /// RMSE / ȳ.
    pub cvrmse: f64,
    /// Σ(y − ŷ) / ((n − p) · ȳ).
    pub nmbe: f64,
    /// b / se(b), se(b) = √(MSE / Sxx).
    pub t_slope: f64,
    pub mean_y: f64,
    pub mean_x: f64,
    pub min_x: f64,
    pub max_x: f64,
    pub sse: f64,
    pub sst: f64,
}

/// Fits y = a + b·x; `None` with fewer than 3 points or no spread in x.
pub fn fit(x: &[f64], y: &[f64]) -> Option<Fit> {
    let n = x.len();
    if n < 3 || y.len() != n {
        return None;
    }
    let nf = n as f64;
    let mx = x.iter().sum::<f64>() / nf;
    let my = y.iter().sum::<f64>() / nf;
    let sxx: f64 = x.iter().map(|v| (v - mx) * (v - mx)).sum();
    let sxy: f64 = x.iter().zip(y).map(|(a, b)| (a - mx) * (b - my)).sum();
    if !(sxx > 0.0) {
        return None;
    }
    let b = sxy / sxx;
    let a = my - b * mx;
    let resid: Vec<f64> = x.iter().zip(y).map(|(xi, yi)| yi - (a + b * xi)).collect();
    let sse: f64 = resid.iter().map(|r| r * r).sum();
    let sst: f64 = y.iter().map(|v| (v - my) * (v - my)).sum();
    let dof = nf - 2.0;
    let mse = sse / dof;
    let rmse = mse.sqrt();
    let se_b = (mse / sxx).sqrt();
    Some(Fit {
        n,
        a,
        b,
        r2: if sst > 0.0 { 1.0 - sse / sst } else { 1.0 },
        rmse,
        cvrmse: rmse / my,
        nmbe: resid.iter().sum::<f64>() / (dof * my),
        t_slope: if se_b > 0.0 { b / se_b } else { f64::INFINITY },
        mean_y: my,
        mean_x: mx,
        min_x: x.iter().cloned().fold(f64::INFINITY, f64::min),
        max_x: x.iter().cloned().fold(f64::NEG_INFINITY, f64::max),
        sse,
        sst,
    })
}

/// Days since 1970-01-01 of a civil date (H. Hinnant's days-from-civil).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = m as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date of a day number, "YYYY-MM-DD".
pub fn date(days: i64) -> String {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + if m <= 2 { 1 } else { 0 };
    format!("{:04}-{:02}-{:02}", y, m, d)
}

/// A "YYYY-MM-DD" text as a day number; `None` when it is no valid date.
pub fn parse_date(s: &str) -> Option<i64> {
    let mut it = s.trim().split('-');
    let y: i64 = it.next()?.parse().ok()?;
    let m: u32 = it.next()?.parse().ok()?;
    let d: u32 = it.next()?.parse().ok()?;
    if it.next().is_some() || !(1..=12).contains(&m) || d < 1 || d > 31 {
        return None;
    }
    let n = days_from_civil(y, m, d);
    if date(n) == format!("{:04}-{:02}-{:02}", y, m, d) {
        Some(n)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn montgomery_runger_example_11_1() {
        let x = [0.99, 1.02, 1.15, 1.29, 1.46, 1.36, 0.87, 1.23, 1.55, 1.40, 1.19, 1.15, 0.98, 1.01, 1.11, 1.20, 1.26, 1.32, 1.43, 0.95];
        let y = [90.01, 89.05, 91.43, 93.74, 96.73, 94.45, 87.59, 91.77, 99.42, 93.65, 93.54, 92.52, 90.56, 89.54, 89.85, 90.39, 93.25, 93.41, 94.98, 87.33];
        let f = fit(&x, &y).unwrap();
        assert!((f.b - 14.947).abs() < 5e-4 && (f.a - 74.283).abs() < 5e-4);
        assert!((f.r2 - 0.877).abs() < 5e-4);
        assert!((f.rmse * f.rmse - 1.18).abs() < 5e-3);
        assert!(f.nmbe.abs() < 1e-12);
        assert!(fit(&[1.0, 1.0, 1.0], &[1.0, 2.0, 3.0]).is_none());
    }

    #[test]
    fn dates() {
        for n in [-1, 0, 11_016, 20_514, 20_515] {
            assert_eq!(parse_date(&date(n)), Some(n));
        }
        assert_eq!(parse_date("2026-03-02"), Some(20_514));
        assert_eq!(parse_date("2026-02-30"), None);
        assert_eq!(parse_date("2026-3"), None);
    }
}
