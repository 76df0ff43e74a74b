//! Numerical helpers the models share: the standard normal distribution and the
//! control-chart constants of normal samples.

use std::f64::consts::{FRAC_1_SQRT_2, PI};
use std::sync::OnceLock;

/// erfc(x) for x ≥ 0: the series of erf below 3, Lentz's continued fraction above
/// (both to about 1e-15 relative).
fn erfc_pos(x: f64) -> f64 {
    if x < 3.0 {
        // erf(x) = 2/√π · e^(−x²) · Σ 2ⁿ x^(2n+1) / (1·3·…·(2n+1)).
        let mut term = x;
        let mut sum = x;
        let mut n = 0.0;
        while term > 1e-17 * sum {
            n += 1.0;
            term *= 2.0 * x * x / (2.0 * n + 1.0);
            sum += term;
        }
        1.0 - 2.0 / PI.sqrt() * (-x * x).exp() * sum
    } else {
        // erfc(x) = e^(−x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …)))).
        let tiny = 1e-300;
        let mut f = x;
        let mut c = x;
        let mut d = 0.0;
        for k in 1..500 {
            let a = k as f64 / 2.0;
            d = x + a * d;
            d = if d.abs() < tiny { tiny } else { d };
            c = x + a / c;
            c = if c.abs() < tiny { tiny } else { c };
            d = 1.0 / d;
            let delta = c * d;
            f *= delta;
            if (delta - 1.0).abs() < 1e-16 {
                break;
            }
        }
        (-x * x).exp() / (PI.sqrt() * f)
    }
}

/// Φ(x), the standard normal distribution function.
pub(crate) fn normal_cdf(x: f64) -> f64 {
    let z = x * FRAC_1_SQRT_2;
    if z >= 0.0 {
        1.0 - 0.5 * erfc_pos(z)
    } else {
        0.5 * erfc_pos(-z)
    }
}

/// 1 − Φ(x), without cancellation in the upper tail.
pub(crate) fn normal_sf(x: f64) -> f64 {
    normal_cdf(-x)
}

fn normal_pdf(x: f64) -> f64 {
    (-0.5 * x * x).exp() / (2.0 * PI).sqrt()
}

/// Largest subgroup size with control-chart constants.
pub(crate) const MAX_SUBGROUP: usize = 25;

/// d₂, d₃ (mean and standard deviation of the range of n standard normal values) and c₄
/// (mean of the sample standard deviation over σ), for n = 2 … 25.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ChartConstants {
    pub d2: f64,
    pub d3: f64,
    pub c4: f64,
}

/// By integration: d₂ = ∫ [1 − Φⁿ − (1 − Φ)ⁿ] dx; E[R²] = ∫∫_{x<y} (y − x)² n(n−1) φ(x)
/// φ(y) [Φ(y) − Φ(x)]ⁿ⁻² dx dy, d₃ = √(E[R²] − d₂²) (trapezoidal rule, step 0.02 on
/// [−8, 8]); c₄ = √(2/(n−1)) Γ(n/2)/Γ((n−1)/2), by the recursion of Γ.
pub(crate) fn chart_constants(n: usize) -> ChartConstants {
    static TABLE: OnceLock<Vec<ChartConstants>> = OnceLock::new();
    let table = TABLE.get_or_init(|| {
        let h = 0.02;
        let xs: Vec<f64> = (0..=800).map(|i| -8.0 + i as f64 * h).collect();
        let cdf: Vec<f64> = xs.iter().map(|&x| normal_cdf(x)).collect();
        let pdf: Vec<f64> = xs.iter().map(|&x| normal_pdf(x)).collect();
        // E[R²]·/(n(n−1)h²) for every n at once: one pass over the pairs, the power of
        // Φ(y) − Φ(x) built up n by n.
        let mut second = [0.0f64; MAX_SUBGROUP + 1];
        for i in 0..xs.len() {
            for j in (i + 1)..xs.len() {
                let r = xs[j] - xs[i];
                let base = r * r * pdf[i] * pdf[j];
                let diff = cdf[j] - cdf[i];
                let mut w = 1.0;
                for s in second.iter_mut().skip(2) {
                    *s += base * w;
                    w *= diff;
                }
            }
        }
        // Γ(n/2)/Γ((n−1)/2): 1/√π at n = 2, then r(n+1) = ((n−1)/2)/r(n).
        let mut ratio = 1.0 / PI.sqrt();
        let mut out = Vec::with_capacity(MAX_SUBGROUP + 1);
        for (n, &sum) in second.iter().enumerate() {
            if n < 2 {
                out.push(ChartConstants {
                    d2: f64::NAN,
                    d3: f64::NAN,
                    c4: f64::NAN,
                });
                continue;
            }
            if n > 2 {
                ratio = ((n as f64 - 2.0) / 2.0) / ratio;
            }
            let nf = n as f64;
            let d2: f64 = cdf
                .iter()
                .map(|&p| 1.0 - p.powi(n as i32) - (1.0 - p).powi(n as i32))
                .sum::<f64>()
                * h;
            let er2 = sum * nf * (nf - 1.0) * h * h;
            out.push(ChartConstants {
                d2,
                d3: (er2 - d2 * d2).max(0.0).sqrt(),
                c4: (2.0 / (nf - 1.0)).sqrt() * ratio,
            });
        }
        out
    });
    table[n.min(MAX_SUBGROUP)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_normal_distribution_matches_known_values() {
        // Values of Φ to 17 digits (scipy 1.17.1 `norm.cdf`, which the cross-check also
        // compares in the test run).
        let rel = |a: f64, b: f64| (a - b).abs() / b;
        assert!((normal_cdf(0.0) - 0.5).abs() < 1e-16);
        assert!(rel(normal_cdf(1.96), 9.750_021_048_517_795e-1) < 1e-14);
        assert!(rel(normal_cdf(-3.0), 1.349_898_031_630_093_3e-3) < 1e-13);
        assert!(rel(normal_sf(6.0), 9.865_876_450_376_946e-10) < 1e-13);
        assert!(rel(normal_cdf(-8.0), 6.220_960_574_271_741e-16) < 1e-13);
        assert!((normal_cdf(2.999) + normal_cdf(-2.999) - 1.0).abs() < 1e-15);
        assert!((normal_cdf(3.001) + normal_cdf(-3.001) - 1.0).abs() < 1e-15);
    }

    #[test]
    fn chart_constants_of_small_subgroups() {
        // d₂(2) = 2/√π exactly; c₄(2) = √(2/π).
        let c = chart_constants(2);
        assert!((c.d2 - 2.0 / PI.sqrt()).abs() < 1e-9, "{}", c.d2);
        assert!((c.c4 - (2.0 / PI).sqrt()).abs() < 1e-15);
        // Var of the range of two: 2 − 4/π.
        assert!((c.d3 - (2.0 - 4.0 / PI).sqrt()).abs() < 1e-7, "{}", c.d3);
    }
}
