//! Numerical helpers the data algorithms share: least squares by Householder QR, the
//! special functions behind Student's t, χ² and F distributions, and the refusals for
//! series that are too short or have gaps.

use ironloom_core::model::Refusal;

/// Refuses a series with gaps or fewer than `need` values.
pub(crate) fn no_gaps(x: &[f64], what: &str, need: usize) -> Result<(), Refusal> {
    if x.iter().any(|v| !v.is_finite()) {
        return Err(Refusal::new(
            format!("{what} needs a series without gaps: fill or cut them first"),
            format!("{what}需要无缺失的序列：请先补齐或截取"),
        ));
    }
    if x.len() < need {
        return Err(Refusal::new(
            format!("{what} needs at least {need} values"),
            format!("{what}至少需要 {need} 个值"),
        ));
    }
    Ok(())
}

/// A whole number from a scalar input (already range-checked against its card).
pub(crate) fn whole(v: f64) -> usize {
    v.round().max(0.0) as usize
}

/// Least squares min‖A β − y‖ for A with `rows` rows, given by columns; `None` when the
/// columns are (numerically) dependent. Householder QR, so no normal equations square
/// the condition number.
pub(crate) fn lstsq(cols: &[Vec<f64>], y: &[f64]) -> Option<Vec<f64>> {
    let p = cols.len();
    let m = y.len();
    if p == 0 || p > m || cols.iter().any(|c| c.len() != m) {
        return None;
    }
    let mut a: Vec<Vec<f64>> = cols.to_vec();
    let mut b = y.to_vec();
    let scale: f64 = a
        .iter()
        .map(|c| c.iter().map(|v| v * v).sum::<f64>().sqrt())
        .fold(0.0, f64::max);
    for k in 0..p {
        let norm = a[k][k..].iter().map(|v| v * v).sum::<f64>().sqrt();
        if norm <= 1e-13 * scale || norm == 0.0 {
            return None;
        }
        let alpha = if a[k][k] > 0.0 { -norm } else { norm };
        let mut v: Vec<f64> = a[k][k..].to_vec();
        v[0] -= alpha;
        let vv: f64 = v.iter().map(|t| t * t).sum();
        if vv == 0.0 {
            continue;
        }
        for col in a.iter_mut().skip(k) {
            let dot: f64 = v.iter().zip(&col[k..]).map(|(a, b)| a * b).sum();
            let f = 2.0 * dot / vv;
            for (c, vi) in col[k..].iter_mut().zip(&v) {
                *c -= f * vi;
            }
        }
        let dot: f64 = v.iter().zip(&b[k..]).map(|(a, b)| a * b).sum();
        let f = 2.0 * dot / vv;
        for (c, vi) in b[k..].iter_mut().zip(&v) {
            *c -= f * vi;
        }
    }
    let mut beta = vec![0.0; p];
    for i in (0..p).rev() {
        let s: f64 = ((i + 1)..p).map(|j| a[j][i] * beta[j]).sum();
        beta[i] = (b[i] - s) / a[i][i];
    }
    Some(beta)
}

/// Solves the square system M z = r (M by rows) by Gaussian elimination with partial
/// pivoting; `None` when singular.
pub(crate) fn solve(mut m: Vec<Vec<f64>>, mut r: Vec<f64>) -> Option<Vec<f64>> {
    let n = r.len();
    for k in 0..n {
        let piv = (k..n).max_by(|&i, &j| m[i][k].abs().total_cmp(&m[j][k].abs()))?;
        if m[piv][k] == 0.0 || !m[piv][k].is_finite() {
            return None;
        }
        m.swap(k, piv);
        r.swap(k, piv);
        let (top, rest) = m.split_at_mut(k + 1);
        let pivot = &top[k];
        for (i, row) in rest.iter_mut().enumerate() {
            let f = row[k] / pivot[k];
            if f != 0.0 {
                for (a, b) in row[k..].iter_mut().zip(&pivot[k..]) {
                    *a -= f * b;
                }
                r[k + 1 + i] -= f * r[k];
            }
        }
    }
    let mut z = vec![0.0; n];
    for i in (0..n).rev() {
        let s: f64 = ((i + 1)..n).map(|j| m[i][j] * z[j]).sum();
        z[i] = (r[i] - s) / m[i][i];
    }
    Some(z)
}

/// ln Γ(x) for x > 0 (Lanczos, g = 7, about 1e-15 relative).
pub(crate) fn ln_gamma(x: f64) -> f64 {
    const G: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        let pi = std::f64::consts::PI;
        return (pi / (pi * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut a = G[0];
    let t = x + 7.5;
    for (i, g) in G.iter().enumerate().skip(1) {
        a += g / (x + i as f64);
    }
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + a.ln()
}

/// Continued fraction of the incomplete beta function (modified Lentz).
fn beta_cf(a: f64, b: f64, x: f64) -> f64 {
    let tiny = 1e-300;
    let (qab, qap, qam) = (a + b, a + 1.0, a - 1.0);
    let mut c = 1.0;
    let mut d = 1.0 - qab * x / qap;
    if d.abs() < tiny {
        d = tiny;
    }
    d = 1.0 / d;
    let mut h = d;
    for m in 1..10_000 {
        let m = m as f64;
        let m2 = 2.0 * m;
        let aa = m * (b - m) * x / ((qam + m2) * (a + m2));
        d = 1.0 + aa * d;
        d = if d.abs() < tiny { tiny } else { d };
        c = 1.0 + aa / c;
        c = if c.abs() < tiny { tiny } else { c };
        d = 1.0 / d;
        h *= d * c;
        let aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        d = 1.0 + aa * d;
        d = if d.abs() < tiny { tiny } else { d };
        c = 1.0 + aa / c;
        c = if c.abs() < tiny { tiny } else { c };
        d = 1.0 / d;
        let del = d * c;
        h *= del;
        if (del - 1.0).abs() < 1e-16 {
            break;
        }
    }
    h
}

/// The regularised incomplete beta function I_x(a, b).
pub(crate) fn beta_inc(a: f64, b: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let ln_front = ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b) + a * x.ln() + b * (1.0 - x).ln();
    if x < (a + 1.0) / (a + b + 2.0) {
        ln_front.exp() * beta_cf(a, b, x) / a
    } else {
        1.0 - ln_front.exp() * beta_cf(b, a, 1.0 - x) / b
    }
}

/// The regularised upper incomplete gamma function Q(a, x).
pub(crate) fn gamma_q(a: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 1.0;
    }
    let ln_front = a * x.ln() - x - ln_gamma(a);
    if x < a + 1.0 {
        let (mut ap, mut sum) = (a, 1.0 / a);
        let mut del = sum;
        for _ in 0..100_000 {
            ap += 1.0;
            del *= x / ap;
            sum += del;
            if del.abs() < sum.abs() * 1e-17 {
                break;
            }
        }
        1.0 - sum * ln_front.exp()
    } else {
        let tiny = 1e-300;
        let mut b = x + 1.0 - a;
        let mut c = 1.0 / tiny;
        let mut d = 1.0 / b;
        let mut h = d;
        for i in 1..100_000 {
            let an = -(i as f64) * (i as f64 - a);
            b += 2.0;
            d = an * d + b;
            d = if d.abs() < tiny { tiny } else { d };
            c = b + an / c;
            c = if c.abs() < tiny { tiny } else { c };
            d = 1.0 / d;
            let del = d * c;
            h *= del;
            if (del - 1.0).abs() < 1e-16 {
                break;
            }
        }
        ln_front.exp() * h
    }
}

/// P(T > t) for Student's t with `df` degrees of freedom.
pub(crate) fn t_sf(t: f64, df: f64) -> f64 {
    let tail = 0.5 * beta_inc(df / 2.0, 0.5, df / (df + t * t));
    if t >= 0.0 { tail } else { 1.0 - tail }
}

/// The t with P(T > t) = p (0 < p < 0.5), by bisection on x = df/(df + t²), where the
/// tail is 0.5·I_x(df/2, 1/2) and increases with x.
pub(crate) fn t_isf(p: f64, df: f64) -> f64 {
    let (mut lo, mut hi) = (0.0f64, 1.0f64);
    for _ in 0..2000 {
        let mid = 0.5 * (lo + hi);
        if mid <= lo || mid >= hi {
            break;
        }
        if 0.5 * beta_inc(df / 2.0, 0.5, mid) < p {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    let x = 0.5 * (lo + hi);
    (df * (1.0 - x) / x).sqrt()
}

/// P(χ² > x) with k degrees of freedom.
pub(crate) fn chi2_sf(x: f64, k: f64) -> f64 {
    gamma_q(k / 2.0, x / 2.0)
}

/// P(F > f) with (d1, d2) degrees of freedom.
pub(crate) fn f_sf(f: f64, d1: f64, d2: f64) -> f64 {
    if f <= 0.0 {
        return 1.0;
    }
    beta_inc(d2 / 2.0, d1 / 2.0, d2 / (d2 + d1 * f))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn special_functions_match_closed_forms() {
        // Γ(5) = 24, Γ(1/2) = √π.
        assert!((ln_gamma(5.0) - 24f64.ln()).abs() < 1e-14);
        assert!((ln_gamma(0.5) - std::f64::consts::PI.sqrt().ln()).abs() < 1e-14);
        // t with 1 degree of freedom is Cauchy: P(T > 1) = 1/4.
        assert!((t_sf(1.0, 1.0) - 0.25).abs() < 1e-14);
        assert!((t_isf(0.25, 1.0) - 1.0).abs() < 1e-12);
        // χ² with 2 degrees of freedom: P(χ² > x) = e^(−x/2).
        assert!((chi2_sf(3.0, 2.0) - (-1.5f64).exp()).abs() < 1e-15);
        // F(2, 2): P(F > f) = 1/(1 + f).
        assert!((f_sf(3.0, 2.0, 2.0) - 0.25).abs() < 1e-14);
    }

    #[test]
    fn least_squares_recovers_an_exact_fit() {
        let x: Vec<f64> = (0..6).map(f64::from).collect();
        let y: Vec<f64> = x.iter().map(|v| 1.0 + 2.0 * v - 0.5 * v * v).collect();
        let cols = vec![vec![1.0; 6], x.clone(), x.iter().map(|v| v * v).collect()];
        let b = lstsq(&cols, &y).unwrap_or_default();
        assert_eq!(b.len(), 3);
        for (got, want) in b.iter().zip([1.0, 2.0, -0.5]) {
            assert!((got - want).abs() < 1e-12, "{got} {want}");
        }
        assert!(lstsq(&[vec![1.0; 3], vec![2.0; 3]], &[1.0, 2.0, 3.0]).is_none());
    }
}
