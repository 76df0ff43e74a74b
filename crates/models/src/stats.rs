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

/// Φ⁻¹(p) for 0 < p < 1: Acklam's rational approximation refined by two Newton steps on
/// [`normal_cdf`] (about 1e-15 relative; checked against scipy's `norm.ppf` in the test
/// run).
pub(crate) fn normal_quantile(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] = [
        7.784_695_709_041_462e-3,
        3.224_671_290_700_398e-1,
        2.445_134_137_142_996,
        3.754_408_661_907_416,
    ];
    let tail = |q: f64| {
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    let mut x = if p < 0.024_25 {
        tail((-2.0 * p.ln()).sqrt())
    } else if p > 1.0 - 0.024_25 {
        -tail((-2.0 * (1.0 - p).ln()).sqrt())
    } else {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    };
    for _ in 0..2 {
        let err = if x > 0.0 {
            (1.0 - p) - normal_sf(x)
        } else {
            normal_cdf(x) - p
        };
        x -= err / normal_pdf(x);
    }
    x
}

/// φ(x), the standard normal density.
pub(crate) fn normal_density(x: f64) -> f64 {
    normal_pdf(x)
}

#[cfg(test)]
mod quantile_tests {
    use super::*;

    #[test]
    fn quantiles_invert_the_distribution() {
        for &p in &[
            1e-12,
            1e-6,
            0.001,
            0.02,
            0.05,
            0.3,
            0.5,
            0.7,
            0.95,
            0.975,
            0.999,
            1.0 - 1e-9,
        ] {
            let x = normal_quantile(p);
            let back = if x > 0.0 {
                1.0 - normal_sf(x)
            } else {
                normal_cdf(x)
            };
            assert!((back - p).abs() <= 1e-12 * p + 1e-16, "{p}: {x} → {back}");
        }
        // scipy 1.17.1 norm.ppf(0.95).
        assert!((normal_quantile(0.95) - 1.644_853_626_951_472_2).abs() < 1e-14);
    }
}
