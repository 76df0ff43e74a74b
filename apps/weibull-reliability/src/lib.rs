//! Weibull analysis of times to failure with suspensions (right-censored data).
//!
//! * **Data**: per asset class, times to failure and suspensions posted over HTTP (`data`),
//!   or derived from alarms of a chosen type (`alarm_type`): the time between two such alarms
//!   on a device is a time to failure (repair as good as new), the age of each device since its
//!   last failure is a suspension, and a preventive replacement posted to `replaced` ends a
//!   life as a suspension.
//! * **Median rank regression** (The New Weibull Handbook, Abernethy, 5th ed.): Johnson's
//!   adjusted ranks for suspensions, median ranks by Bernard's approximation
//!   F = (j − 0.3)/(N + 0.4) (or exact: I_F(j, N − j + 1) = ½), least squares of
//!   x = ln t on y = ln(−ln(1 − F)) (or y on x).
//! * **Maximum likelihood** with right censoring: the profile equation
//!   Σ tᵢ^β ln tᵢ / Σ tᵢ^β − 1/β − (1/r) Σ_failures ln tᵢ = 0, η = (Σ tᵢ^β / r)^(1/β).
//! * β, η, B10 = η(−ln 0.9)^(1/β), MTTF = η·Γ(1 + 1/β), R(t) = exp(−(t/η)^β).
//! * **Age replacement** (Barlow & Proschan 1965): the cost per unit time
//!   C(T) = [Cp·R(T) + Cf·F(T)] / ∫₀ᵀ R(t) dt, minimised over T when β > 1; ∫₀ᵀ R dt =
//!   η·Γ(1 + 1/β)·P(1/β, (T/η)^β) (regularised lower incomplete gamma).
//! * Alarm `preventive_replacement_due` on a device of an alarm-derived class older than the
//!   recommended interval.

use ironloom::{obj, Error, Event, Json, Result, Severity};

const HOUR: f64 = 3_600_000.0;
const MAX_POINTS: usize = 2000;
const MAX_CLASSES: usize = 100;
const PM_ALARM: &str = "preventive_replacement_due";
const PLOT_POINTS: usize = 200;

// ---------------------------------------------------------------------------------------
// Special functions
// ---------------------------------------------------------------------------------------

/// ln Γ(x), x > 0 (Lanczos, g = 7, n = 9).
fn ln_gamma(x: f64) -> f64 {
    const C: [f64; 9] = [
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
        // Reflection.
        let pi = std::f64::consts::PI;
        return (pi / (pi * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut a = C[0];
    let t = x + 7.5;
    for (i, c) in C.iter().enumerate().skip(1) {
        a += c / (x + i as f64);
    }
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + a.ln()
}

/// Regularised lower incomplete gamma P(a, x) (series, or the continued fraction for Q).
fn gamma_p(a: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    let gln = ln_gamma(a);
    if x < a + 1.0 {
        let mut ap = a;
        let mut del = 1.0 / a;
        let mut sum = del;
        for _ in 0..500 {
            ap += 1.0;
            del *= x / ap;
            sum += del;
            if del.abs() < sum.abs() * 1e-15 {
                break;
            }
        }
        (sum.ln() - x + a * x.ln() - gln).exp().min(1.0)
    } else {
        let tiny = 1e-300;
        let mut b = x + 1.0 - a;
        let mut c = 1.0 / tiny;
        let mut d = 1.0 / b;
        let mut h = d;
        for i in 1..500 {
            let an = -(i as f64) * (i as f64 - a);
            b += 2.0;
            d = an * d + b;
            if d.abs() < tiny {
                d = tiny;
            }
            c = b + an / c;
            if c.abs() < tiny {
                c = tiny;
            }
            d = 1.0 / d;
            let del = d * c;
            h *= del;
            if (del - 1.0).abs() < 1e-15 {
                break;
            }
        }
        let q = (-x + a * x.ln() - gln).exp() * h;
        (1.0 - q).max(0.0)
    }
}

/// Regularised incomplete beta I_x(a, b) (continued fraction, Lentz).
fn beta_i(a: f64, b: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let front = (ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b) + a * x.ln() + b * (1.0 - x).ln()).exp();
    if x < (a + 1.0) / (a + b + 2.0) {
        front * beta_cf(a, b, x) / a
    } else {
        1.0 - front * beta_cf(b, a, 1.0 - x) / b
    }
}

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
    for m in 1..300 {
        let m = m as f64;
        let m2 = 2.0 * m;
        let aa = m * (b - m) * x / ((qam + m2) * (a + m2));
        d = 1.0 + aa * d;
        if d.abs() < tiny {
            d = tiny;
        }
        c = 1.0 + aa / c;
        if c.abs() < tiny {
            c = tiny;
        }
        d = 1.0 / d;
        h *= d * c;
        let aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        d = 1.0 + aa * d;
        if d.abs() < tiny {
            d = tiny;
        }
        c = 1.0 + aa / c;
        if c.abs() < tiny {
            c = tiny;
        }
        d = 1.0 / d;
        let del = d * c;
        h *= del;
        if (del - 1.0).abs() < 1e-14 {
            break;
        }
    }
    h
}

/// The exact median rank of (adjusted) order j of n: I_F(j, n − j + 1) = ½, by Newton's
/// method from Bernard's approximation, kept inside a bisection bracket.
fn exact_median_rank(j: f64, n: f64) -> f64 {
    let (a, b) = (j, n - j + 1.0);
    let ln_b = ln_gamma(a) + ln_gamma(b) - ln_gamma(a + b);
    let (mut lo, mut hi) = (0.0, 1.0);
    let mut f = ((j - 0.3) / (n + 0.4)).clamp(1e-9, 1.0 - 1e-9);
    for _ in 0..100 {
        let g = beta_i(a, b, f) - 0.5;
        if g < 0.0 {
            lo = f;
        } else {
            hi = f;
        }
        let pdf = ((a - 1.0) * f.ln() + (b - 1.0) * (1.0 - f).ln() - ln_b).exp();
        let mut next = f - g / pdf;
        if !(next > lo && next < hi) || !next.is_finite() {
            next = 0.5 * (lo + hi);
        }
        if (next - f).abs() < 1e-14 {
            return next;
        }
        f = next;
    }
    f
}

// ---------------------------------------------------------------------------------------
// Fits
// ---------------------------------------------------------------------------------------

#[derive(Clone, Copy)]
struct Fit {
    beta: f64,
    eta: f64,
}

impl Fit {
    fn reliability(&self, t: f64) -> f64 {
        (-(t / self.eta).powf(self.beta)).exp()
    }
    fn b_life(&self, p: f64) -> f64 {
        self.eta * (-(1.0 - p).ln()).powf(1.0 / self.beta)
    }
    fn mttf(&self) -> f64 {
        self.eta * ln_gamma(1.0 + 1.0 / self.beta).exp()
    }
    /// ∫₀ᵀ R(t) dt.
    fn mean_up_to(&self, t: f64) -> f64 {
        let a = 1.0 / self.beta;
        self.mttf() * gamma_p(a, (t / self.eta).powf(self.beta))
    }
}

/// Plotting positions: (time, median rank) of the failures, Johnson's adjusted ranks.
fn median_ranks(items: &[(f64, bool)], exact: bool) -> Vec<(f64, f64)> {
    let n = items.len() as f64;
    let mut prev = 0.0;
    let mut out = Vec::new();
    for (i, (t, failed)) in items.iter().enumerate() {
        if !*failed {
            continue;
        }
        let reverse = n - i as f64;
        let adj = (reverse * prev + n + 1.0) / (reverse + 1.0);
        prev = adj;
        let f = if exact { exact_median_rank(adj, n) } else { (adj - 0.3) / (n + 0.4) };
        out.push((*t, f));
    }
    out
}

struct Mrr {
    fit: Fit,
    r2: f64,
}

fn mrr(points: &[(f64, f64)], x_on_y: bool) -> Option<Mrr> {
    let k = points.len() as f64;
    if points.len() < 2 {
        return None;
    }
    let xs: Vec<f64> = points.iter().map(|p| p.0.ln()).collect();
    let ys: Vec<f64> = points.iter().map(|p| (-(1.0 - p.1).ln()).ln()).collect();
    let mx = xs.iter().sum::<f64>() / k;
    let my = ys.iter().sum::<f64>() / k;
    let (mut sxx, mut syy, mut sxy) = (0.0, 0.0, 0.0);
    for (x, y) in xs.iter().zip(&ys) {
        sxx += (x - mx) * (x - mx);
        syy += (y - my) * (y - my);
        sxy += (x - mx) * (y - my);
    }
    if sxx <= 0.0 || syy <= 0.0 || sxy <= 0.0 {
        return None;
    }
    let fit = if x_on_y {
        let d = sxy / syy;
        let c = mx - d * my;
        Fit { beta: 1.0 / d, eta: c.exp() }
    } else {
        let b = sxy / sxx;
        let a = my - b * mx;
        Fit { beta: b, eta: (-a / b).exp() }
    };
    Some(Mrr { fit, r2: sxy * sxy / (sxx * syy) })
}

/// Maximum likelihood with right-censored data (the profile equation in β).
fn mle(items: &[(f64, bool)]) -> Option<Fit> {
    let r = items.iter().filter(|i| i.1).count() as f64;
    if r < 1.0 {
        return None;
    }
    let tmax = items.iter().map(|i| i.0).fold(0.0, f64::max);
    if tmax <= 0.0 {
        return None;
    }
    // Scaled times: β is scale-free; η is scaled back.
    let z: Vec<(f64, bool)> = items.iter().map(|(t, f)| (t / tmax, *f)).collect();
    let mean_ln_f: f64 = z.iter().filter(|i| i.1).map(|i| i.0.ln()).sum::<f64>() / r;
    let h = |b: f64| -> (f64, f64) {
        let (mut s0, mut s1, mut s2) = (0.0, 0.0, 0.0);
        for (t, _) in &z {
            let l = t.ln();
            let p = t.powf(b);
            s0 += p;
            s1 += p * l;
            s2 += p * l * l;
        }
        let g = s1 / s0 - 1.0 / b - mean_ln_f;
        let dg = (s2 * s0 - s1 * s1) / (s0 * s0) + 1.0 / (b * b);
        (g, dg)
    };
    let (mut lo, mut hi) = (0.01, 100.0);
    if h(lo).0 > 0.0 || h(hi).0 < 0.0 {
        return None;
    }
    let mut b = 1.0;
    for _ in 0..200 {
        let (g, dg) = h(b);
        if g.abs() < 1e-13 {
            break;
        }
        if g > 0.0 {
            hi = b;
        } else {
            lo = b;
        }
        let mut next = b - g / dg;
        if !(next > lo && next < hi) || !next.is_finite() {
            next = 0.5 * (lo + hi);
        }
        if (next - b).abs() < 1e-13 * b {
            b = next;
            break;
        }
        b = next;
    }
    let s0: f64 = z.iter().map(|(t, _)| t.powf(b)).sum();
    let eta = (s0 / r).powf(1.0 / b) * tmax;
    Some(Fit { beta: b, eta })
}

struct Pm {
    interval: f64,
    cost_rate: f64,
    run_to_failure: f64,
    saving_pct: f64,
    reliability: f64,
}

/// Age replacement: the interval T minimising [Cp R(T) + Cf F(T)] / ∫₀ᵀ R dt.
fn age_replacement(fit: &Fit, cp: f64, cf: f64) -> Option<Pm> {
    if fit.beta <= 1.0 || cf <= cp || cp <= 0.0 {
        return None;
    }
    let cost = |t: f64| {
        let r = fit.reliability(t);
        (cp * r + cf * (1.0 - r)) / fit.mean_up_to(t)
    };
    let run = cf / fit.mttf();
    // A grid to 3η, then golden section between the neighbours of the best point.
    let step = fit.eta / 100.0;
    let mut best = (1usize, f64::INFINITY);
    for k in 1..=300 {
        let c = cost(step * k as f64);
        if c < best.1 {
            best = (k, c);
        }
    }
    if best.0 >= 300 || best.1 >= run {
        return None;
    }
    let (mut a, mut b) = (step * (best.0 as f64 - 1.0).max(0.01), step * (best.0 as f64 + 1.0));
    let g = (5f64.sqrt() - 1.0) / 2.0;
    let mut c = b - g * (b - a);
    let mut d = a + g * (b - a);
    for _ in 0..100 {
        if cost(c) < cost(d) {
            b = d;
        } else {
            a = c;
        }
        c = b - g * (b - a);
        d = a + g * (b - a);
        if (b - a) < 1e-10 * b {
            break;
        }
    }
    let t = 0.5 * (a + b);
    let rate = cost(t);
    Some(Pm {
        interval: t,
        cost_rate: rate,
        run_to_failure: run,
        saving_pct: (1.0 - rate / run) * 100.0,
        reliability: fit.reliability(t),
    })
}

// ---------------------------------------------------------------------------------------
// The app
// ---------------------------------------------------------------------------------------

struct Cfg {
    c: Json,
}

impl Cfg {
    fn num(&self, k: &str, d: f64) -> f64 {
        self.c.number(k).filter(|x| x.is_finite()).unwrap_or(d)
    }
    fn text(&self, k: &str, d: &str) -> String {
        self.c.text(k).unwrap_or(d).trim().to_string()
    }
}

fn class_key(name: &str) -> String {
    format!("class:{}", name)
}

fn round(x: f64, sig: i32) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    let d = sig - 1 - x.abs().log10().floor() as i32;
    let f = 10f64.powi(d);
    (x * f).round() / f
}

fn fit_json(fit: &Fit, t_rel: f64, extra: Json) -> Json {
    let mut j = obj! {
        "beta" => fit.beta,
        "eta" => fit.eta,
        "b10" => fit.b_life(0.10),
        "b1" => fit.b_life(0.01),
        "mttf" => fit.mttf(),
        "reliability_at" => t_rel,
        "reliability" => fit.reliability(t_rel),
    };
    if let Json::Object(o) = extra {
        for (k, v) in o {
            j.set(&k, v);
        }
    }
    j
}

/// The analysis of one class: both fits, the chosen one, the age-replacement interval.
fn analyse(cfg: &Cfg, class: &Json, extra_suspensions: &[f64], t_override: Option<f64>) -> (Json, Vec<String>) {
    let mut notes = Vec::new();
    let num_list = |k: &str| -> Vec<f64> { class[k].as_array().map(|a| a.iter().filter_map(Json::as_f64).collect()).unwrap_or_default() };
    let failures = num_list("failures");
    let mut suspensions = num_list("suspensions");
    suspensions.extend_from_slice(extra_suspensions);
    let mut items: Vec<(f64, bool)> = failures.iter().map(|t| (*t, true)).chain(suspensions.iter().map(|t| (*t, false))).collect();
    // Ascending; a failure before a suspension at the same time.
    items.sort_by(|a, b| a.0.partial_cmp(&b.0).unwrap_or(std::cmp::Ordering::Equal).then(b.1.cmp(&a.1)));
    let r = failures.len();
    let min_f = cfg.num("min_failures", 3.0).max(2.0) as usize;
    let t_rel = t_override.or_else(|| class.number("t_reliability")).unwrap_or_else(|| cfg.num("reliability_at", 1000.0));
    let mut out = obj! {
        "failures" => r as f64,
        "suspensions" => suspensions.len() as f64,
        "unit" => class["unit"].clone(),
    };
    if r < min_f {
        notes.push(format!("{} failures: at least {} are needed for a fit", r, min_f));
        out.set("status", "too_few_failures");
        return (out, notes);
    }
    let exact = cfg.text("ranks", "bernard") == "exact";
    let x_on_y = cfg.text("regression", "x_on_y") != "y_on_x";
    let ranks = median_ranks(&items, exact);
    let m = mrr(&ranks, x_on_y);
    let l = mle(&items);
    if m.is_none() {
        notes.push("median rank regression: the failure times have no spread".to_string());
    }
    if l.is_none() {
        notes.push("maximum likelihood: no solution (the failure times have no spread)".to_string());
    }
    let method = if cfg.text("method", "mrr") == "mle" { "mle" } else { "mrr" };
    let chosen = match method {
        "mle" => l.or(m.as_ref().map(|m| m.fit)),
        _ => m.as_ref().map(|m| m.fit).or(l),
    };
    if let Some(m) = &m {
        out.set(
            "mrr",
            fit_json(&m.fit, t_rel, obj! {"r2" => m.r2, "ranks" => if exact { "exact" } else { "bernard" }, "regression" => if x_on_y { "x_on_y" } else { "y_on_x" }}),
        );
    }
    if let Some(l) = &l {
        out.set("mle", fit_json(l, t_rel, Json::object()));
    }
    let fit = match chosen {
        Some(f) => f,
        None => {
            out.set("status", "no_fit");
            return (out, notes);
        }
    };
    let used = if (method == "mle" && l.is_some()) || m.is_none() { "mle" } else { "mrr" };
    out.set("status", "ok");
    out.set("method", used);
    out.set("beta", fit.beta);
    out.set("eta", fit.eta);
    out.set("b10", fit.b_life(0.10));
    out.set("mttf", fit.mttf());
    out.set("reliability_at", t_rel);
    out.set("reliability", fit.reliability(t_rel));
    out.set(
        "failure_mode",
        if fit.beta < 0.95 {
            "infant mortality (β < 1)"
        } else if fit.beta <= 1.05 {
            "random (β ≈ 1)"
        } else {
            "wear-out (β > 1)"
        },
    );
    let cp = class.number("cost_preventive").unwrap_or_else(|| cfg.num("cost_preventive", 1000.0));
    let cf = class.number("cost_failure").unwrap_or_else(|| cfg.num("cost_failure", 5000.0));
    out.set("cost_preventive", cp);
    out.set("cost_failure", cf);
    match age_replacement(&fit, cp, cf) {
        Some(pm) => {
            out.set(
                "pm",
                obj! {
                    "interval" => pm.interval,
                    "cost_rate" => pm.cost_rate,
                    "run_to_failure_cost_rate" => pm.run_to_failure,
                    "saving_pct" => pm.saving_pct,
                    "reliability_at_interval" => pm.reliability,
                },
            );
        }
        None => {
            let (code, why) = if fit.beta <= 1.0 {
                ("beta_le_1", "β ≤ 1: the failure rate does not rise with age, replacing earlier does not prevent failures")
            } else if cf <= cp {
                ("cost", "a failure costs no more than a preventive replacement: run to failure")
            } else {
                ("no_saving", "no interval up to 3η costs less than running to failure")
            };
            out.set("pm", Json::Null);
            out.set("pm_reason", code);
            out.set("pm_note", why);
        }
    }
    // The probability plot (up to 200 points) and both lines are drawn by the panel.
    let step = (ranks.len() + PLOT_POINTS - 1) / PLOT_POINTS;
    let plot: Vec<Json> = ranks
        .iter()
        .step_by(step.max(1))
        .map(|(t, f)| Json::Array(vec![Json::from(round(*t, 8)), Json::from(round(*f, 6))]))
        .collect();
    out.set("plot", plot);
    (out, notes)
}

fn on_event(event: &Event) -> Result<()> {
    let cfg = Cfg { c: ironloom::config()? };
    match event.kind() {
        "schedule" => {
            let at = match event.at() {
                Some(t) if t > 0 => t as f64,
                _ => {
                    ironloom::warn("schedule event without a time: ignored");
                    return Ok(());
                }
            };
            let clock = advance_clock(at)?;
            // Alarm-derived classes: suspensions grow with time; refreshed every hour.
            let last = ironloom::kv_get("refreshed")?.as_f64().unwrap_or(0.0);
            if clock - last >= HOUR {
                refresh_alarm_class(&cfg, clock)?;
                ironloom::kv_set("refreshed", &Json::from(clock))?;
            }
            Ok(())
        }
        "alarm" => on_alarm(&cfg, event),
        "http" => on_http(&cfg, event),
        _ => Ok(()),
    }
}

fn advance_clock(t: f64) -> Result<f64> {
    let clock = ironloom::kv_get("clock")?.as_f64().unwrap_or(0.0);
    if t > clock {
        ironloom::kv_set("clock", &Json::from(t))?;
        Ok(t)
    } else {
        Ok(clock)
    }
}

fn alarm_class_name(cfg: &Cfg) -> Option<String> {
    let t = cfg.text("alarm_type", "bearing_overheat");
    if t.is_empty() {
        None
    } else {
        Some(format!("alarm:{}", t))
    }
}

fn load_class(name: &str) -> Result<Json> {
    ironloom::kv_get(&class_key(name))
}

fn save_class(name: &str, class: &Json) -> Result<()> {
    let mut index: Vec<Json> = ironloom::kv_get("classes")?.as_array().cloned().unwrap_or_default();
    if !index.iter().any(|v| v.as_str() == Some(name)) {
        index.push(Json::from(name));
        ironloom::kv_set("classes", &Json::Array(index))?;
    }
    ironloom::kv_set(&class_key(name), class)
}

/// Adds a time (h, to 0.36 s) to an alarm class's list, at most 1500 a list (the state of
/// one class stays well within 64 KiB).
fn push_capped(class: &mut Json, key: &str, t: f64) {
    let t = (t * 1e4).round() / 1e4;
    let mut list = class[key].as_array().cloned().unwrap_or_default();
    if list.len() >= MAX_POINTS * 3 / 4 {
        list.remove(0);
        ironloom::warn(&format!("more than {} {}: the oldest is dropped", MAX_POINTS * 3 / 4, key));
    }
    list.push(Json::from(t));
    class.set(key, Json::Array(list));
}

/// An alarm of the chosen type: a failure of its device.
fn on_alarm(cfg: &Cfg, event: &Event) -> Result<()> {
    let name = match alarm_class_name(cfg) {
        Some(n) => n,
        None => return Ok(()),
    };
    let atype = &name["alarm:".len()..];
    let j = &event.json;
    let alarm = &j["alarm"];
    if alarm.text("type") != Some(atype) {
        return Ok(());
    }
    if j.text("change") != Some("raised") {
        return Ok(()); // a repeat, an acknowledgement or a clear is not a new failure
    }
    let device = match event.device() {
        Some(d) if !d.is_empty() => d.to_string(),
        _ => {
            ironloom::warn("alarm event without a device: ignored");
            return Ok(());
        }
    };
    let t = match alarm.number("start_ts").filter(|t| *t > 0.0) {
        Some(t) => t,
        None => {
            ironloom::warn(&format!("{}: {} without a start time: ignored", device, atype));
            return Ok(());
        }
    };
    let clock = advance_clock(t)?;
    let mut class = load_class(&name)?;
    if !class.is_object() {
        class = obj! {"name" => name.as_str(), "unit" => "h", "source" => "alarms", "alarm_type" => atype, "failures" => Json::Array(vec![]), "suspensions" => Json::Array(vec![]), "devices" => Json::object()};
    }
    let mut devices = class["devices"].clone();
    if !devices.is_object() {
        devices = Json::object();
    }
    let mut d = devices[device.as_str()].clone();
    if !d.is_object() {
        d = Json::object();
    }
    match d.number("last") {
        Some(last) if t <= last => {
            ironloom::warn(&format!("{}: {} at {} is not after its last failure at {}: ignored", device, atype, t, last));
            return Ok(());
        }
        Some(last) => {
            let ttf = (t - last) / HOUR;
            push_capped(&mut class, "failures", ttf);
            ironloom::info(&format!("{}: {} after {:.2} h: a time to failure", device, atype, ttf));
        }
        None => ironloom::info(&format!("{}: first {}: its life is counted from now", device, atype)),
    }
    let n = d.number("failures").unwrap_or(0.0) + 1.0;
    d.set("failures", n);
    d.set("last", t);
    let was_due = d["pm_due"].as_bool() == Some(true);
    d.set("pm_due", false);
    devices.set(&device, d);
    class.set("devices", devices);
    if was_due && cfg.c["raise_alarms"].as_bool() != Some(false) {
        ironloom::alarm_clear(&device, PM_ALARM)?;
    }
    save_class(&name, &class)?;
    update_alarm_class(cfg, &name, class, clock)
}

/// The age of each device since its last failure (h): suspensions of the alarm class.
fn ages(class: &Json, clock: f64) -> Vec<(String, f64)> {
    class["devices"]
        .as_object()
        .map(|o| {
            o.iter()
                .filter_map(|(k, v)| {
                    let last = v.number("last")?;
                    let age = (clock - last) / HOUR;
                    if age > 0.0 {
                        Some((k.clone(), age))
                    } else {
                        None
                    }
                })
                .collect()
        })
        .unwrap_or_default()
}

fn refresh_alarm_class(cfg: &Cfg, clock: f64) -> Result<()> {
    if let Some(name) = alarm_class_name(cfg) {
        let class = load_class(&name)?;
        if class.is_object() {
            update_alarm_class(cfg, &name, class, clock)?;
        }
    }
    Ok(())
}

/// Re-analyses an alarm-derived class (current ages as suspensions) and raises or clears
/// `preventive_replacement_due` on its devices.
fn update_alarm_class(cfg: &Cfg, name: &str, mut class: Json, clock: f64) -> Result<()> {
    let ages = ages(&class, clock);
    let extra: Vec<f64> = ages.iter().map(|a| a.1).collect();
    let (result, notes) = analyse(cfg, &class, &extra, None);
    let interval = result["pm"].number("interval");
    let raise = cfg.c["raise_alarms"].as_bool() != Some(false);
    let mut devices = class["devices"].clone();
    for (dev, age) in &ages {
        let mut d = devices[dev.as_str()].clone();
        let due = interval.map_or(false, |i| *age > i);
        let was = d["pm_due"].as_bool() == Some(true);
        if due && !was {
            ironloom::warn(&format!("{}: {:.1} h since its last failure, past the replacement interval {:.1} h", dev, age, interval.unwrap_or(0.0)));
            if raise {
                let details = obj! {
                    "class" => name,
                    "age_h" => *age,
                    "interval_h" => interval.unwrap_or(0.0),
                    "beta" => result["beta"].clone(),
                    "eta_h" => result["eta"].clone(),
                };
                ironloom::alarm_raise(dev, PM_ALARM, Severity::Minor, details)?;
            }
        } else if !due && was && raise {
            ironloom::alarm_clear(dev, PM_ALARM)?;
        }
        d.set("pm_due", due);
        d.set("age_h", *age);
        devices.set(dev, d);
    }
    class.set("devices", devices);
    class.set("result", result);
    class.set("notes", notes.iter().map(|s| Json::from(s.as_str())).collect::<Vec<Json>>());
    class.set("updated", clock);
    save_class(name, &class)
}

fn reply_err(status: u16, message: String) -> Result<()> {
    ironloom::warn(&message);
    ironloom::reply(status, obj! {"error" => message})
}

fn valid_class_name(body: &Json) -> std::result::Result<String, String> {
    match body.text("class") {
        Some(c) if !c.trim().is_empty() && c.chars().count() <= 64 => Ok(c.trim().to_string()),
        Some(_) => Err("\"class\" must be 1 to 64 characters".into()),
        None => Err("\"class\" (the asset class) is required".into()),
    }
}

/// Times from a list: positive finite numbers; the rest are reported.
fn times(body: &Json, key: &str, skipped: &mut Vec<Json>) -> std::result::Result<Vec<f64>, String> {
    match &body[key] {
        Json::Null => Ok(Vec::new()),
        Json::Array(a) => {
            let mut out = Vec::new();
            for (i, v) in a.iter().enumerate() {
                match v.as_f64() {
                    Some(t) if t.is_finite() && t > 0.0 => out.push(t),
                    _ => skipped.push(obj! {"list" => key, "index" => i as f64, "value" => v.clone()}),
                }
            }
            Ok(out)
        }
        other => Err(format!("\"{}\" must be a list of times, not {}", key, other)),
    }
}

fn on_http(cfg: &Cfg, event: &Event) -> Result<()> {
    let path = event.path().unwrap_or("");
    let body = event.body();
    if path == "list" {
        let mut out = Vec::new();
        for n in ironloom::kv_get("classes")?.as_array().cloned().unwrap_or_default() {
            if let Some(n) = n.as_str() {
                let c = load_class(n)?;
                let r = &c["result"];
                out.push(obj! {"class" => n, "source" => c["source"].clone(), "unit" => c["unit"].clone(), "status" => r["status"].clone(), "beta" => r["beta"].clone(), "eta" => r["eta"].clone(), "b10" => r["b10"].clone(), "mttf" => r["mttf"].clone(), "pm_interval" => r["pm"]["interval"].clone()});
            }
        }
        return ironloom::reply(200, obj! {"classes" => out});
    }
    if !["data", "analyze", "replaced", "delete"].contains(&path) {
        return reply_err(404, format!("unknown path {}", path));
    }
    if !body.is_object() {
        return reply_err(400, format!("{}: the body must be a JSON object", path));
    }
    match path {
        "data" => {
            let name = match valid_class_name(body) {
                Ok(n) => n,
                Err(e) => return reply_err(400, format!("data: {}", e)),
            };
            if name.starts_with("alarm:") {
                return reply_err(409, format!("data: {} is derived from alarms; post to another class name", name));
            }
            let mut skipped = Vec::new();
            let failures = match times(body, "failures", &mut skipped) {
                Ok(f) => f,
                Err(e) => return reply_err(400, format!("data: {}", e)),
            };
            let suspensions = match times(body, "suspensions", &mut skipped) {
                Ok(s) => s,
                Err(e) => return reply_err(400, format!("data: {}", e)),
            };
            let append = body["append"].as_bool() == Some(true);
            let mut class = load_class(&name)?;
            if !class.is_object() || !append {
                let index = ironloom::kv_get("classes")?.as_array().map_or(0, |a| a.len());
                if !class.is_object() && index >= MAX_CLASSES {
                    return reply_err(409, format!("data: at most {} classes; delete one first", MAX_CLASSES));
                }
                class = obj! {"name" => name.as_str(), "unit" => "h", "source" => "http", "failures" => Json::Array(vec![]), "suspensions" => Json::Array(vec![])};
            }
            if let Some(u) = body.text("unit") {
                class.set("unit", u.chars().take(16).collect::<String>());
            }
            for k in ["cost_preventive", "cost_failure", "t_reliability"] {
                match &body[k] {
                    Json::Null => {}
                    v => match v.as_f64() {
                        Some(x) if x.is_finite() && x > 0.0 => class.set(k, x),
                        _ => return reply_err(400, format!("data: {} must be a positive number, not {}", k, v)),
                    },
                }
            }
            let mut fl = class["failures"].as_array().cloned().unwrap_or_default();
            let mut sl = class["suspensions"].as_array().cloned().unwrap_or_default();
            fl.extend(failures.iter().map(|t| Json::from(*t)));
            sl.extend(suspensions.iter().map(|t| Json::from(*t)));
            if fl.len() + sl.len() > MAX_POINTS {
                return reply_err(413, format!("data: at most {} times per class ({} given)", MAX_POINTS, fl.len() + sl.len()));
            }
            class.set("failures", Json::Array(fl));
            class.set("suspensions", Json::Array(sl));
            if !skipped.is_empty() {
                ironloom::warn(&format!("data {}: {} entries are not positive times and were skipped", name, skipped.len()));
            }
            let (result, notes) = analyse(cfg, &class, &[], None);
            class.set("result", result.clone());
            class.set("notes", notes.iter().map(|s| Json::from(s.as_str())).collect::<Vec<Json>>());
            let size = class.to_string().len();
            if size > 60_000 {
                return reply_err(413, format!("data: the class takes {} bytes, more than the 60000 one class may keep: post fewer or shorter times", size));
            }
            save_class(&name, &class)?;
            for n in &notes {
                ironloom::warn(&format!("{}: {}", name, n));
            }
            log_result(&name, &result);
            let status = if result.text("status") == Some("ok") { 200 } else { 422 };
            ironloom::reply(status, obj! {"class" => name.as_str(), "result" => result, "notes" => notes.iter().map(|s| Json::from(s.as_str())).collect::<Vec<Json>>(), "skipped" => skipped})
        }
        "analyze" => {
            let name = match valid_class_name(body) {
                Ok(n) => n,
                Err(e) => return reply_err(400, format!("analyze: {}", e)),
            };
            let class = load_class(&name)?;
            if !class.is_object() {
                return reply_err(404, format!("analyze: no class {}", name));
            }
            let t = match &body["t"] {
                Json::Null => None,
                v => match v.as_f64() {
                    Some(x) if x.is_finite() && x > 0.0 => Some(x),
                    _ => return reply_err(400, format!("analyze: t must be a positive time, not {}", v)),
                },
            };
            let clock = ironloom::kv_get("clock")?.as_f64().unwrap_or(0.0);
            let extra: Vec<f64> = ages(&class, clock).iter().map(|a| a.1).collect();
            let (result, notes) = analyse(cfg, &class, &extra, t);
            ironloom::reply(200, obj! {"class" => name.as_str(), "result" => result, "notes" => notes.iter().map(|s| Json::from(s.as_str())).collect::<Vec<Json>>()})
        }
        "replaced" => {
            let name = match alarm_class_name(cfg) {
                Some(n) => n,
                None => return reply_err(409, "replaced: no alarm_type is configured".into()),
            };
            let device = match body.text("device") {
                Some(d) if !d.is_empty() => d.to_string(),
                _ => return reply_err(400, "replaced: \"device\" is required".into()),
            };
            let clock = ironloom::kv_get("clock")?.as_f64().unwrap_or(0.0);
            let ts = match &body["ts"] {
                Json::Null if clock > 0.0 => clock,
                Json::Null => return reply_err(400, "replaced: no ts and no clock yet".into()),
                v => match v.as_f64() {
                    Some(x) if x.is_finite() && x > 0.0 => x,
                    _ => return reply_err(400, format!("replaced: ts must be a time in ms, not {}", v)),
                },
            };
            let mut class = load_class(&name)?;
            let mut d = class["devices"][device.as_str()].clone();
            let last = match d.number("last") {
                Some(l) => l,
                None => return reply_err(404, format!("replaced: {} has no failure of {} yet: its age is not known", device, name)),
            };
            if ts <= last {
                return reply_err(422, format!("replaced: {} at {} is not after its last failure at {}", device, ts, last));
            }
            let age = (ts - last) / HOUR;
            push_capped(&mut class, "suspensions", age);
            let was_due = d["pm_due"].as_bool() == Some(true);
            d.set("last", ts);
            d.set("pm_due", false);
            d.set("replacements", d.number("replacements").unwrap_or(0.0) + 1.0);
            let mut devices = class["devices"].clone();
            devices.set(&device, d);
            class.set("devices", devices);
            if was_due && cfg.c["raise_alarms"].as_bool() != Some(false) {
                ironloom::alarm_clear(&device, PM_ALARM)?;
            }
            ironloom::info(&format!("{}: replaced at an age of {:.2} h (a suspension)", device, age));
            let clock = advance_clock(ts)?;
            update_alarm_class(cfg, &name, class, clock)?;
            ironloom::reply(200, obj! {"device" => device.as_str(), "suspension_h" => age})
        }
        "delete" => {
            let name = match valid_class_name(body) {
                Ok(n) => n,
                Err(e) => return reply_err(400, format!("delete: {}", e)),
            };
            let mut index: Vec<Json> = ironloom::kv_get("classes")?.as_array().cloned().unwrap_or_default();
            let before = index.len();
            index.retain(|v| v.as_str() != Some(name.as_str()));
            if index.len() == before {
                return reply_err(404, format!("delete: no class {}", name));
            }
            ironloom::kv_set("classes", &Json::Array(index))?;
            ironloom::kv_delete(&class_key(&name))?;
            ironloom::reply(200, obj! {"deleted" => name.as_str()})
        }
        _ => reply_err(404, format!("unknown path {}", path)),
    }
}

fn log_result(name: &str, r: &Json) {
    if r.text("status") == Some("ok") {
        ironloom::info(&format!(
            "{}: β = {:.4}, η = {:.4} ({}), B10 = {:.4}, MTTF = {:.4}{}",
            name,
            r.number("beta").unwrap_or(0.0),
            r.number("eta").unwrap_or(0.0),
            r.text("method").unwrap_or(""),
            r.number("b10").unwrap_or(0.0),
            r.number("mttf").unwrap_or(0.0),
            match r["pm"].number("interval") {
                Some(i) => format!(", replace at {:.4}", i),
                None => String::new(),
            }
        ));
    }
}

fn handle(event: &Event) -> Result<()> {
    on_event(event).map_err(|e| Error::new(&e.code, format!("weibull: {}", e.message)))
}

ironloom::app!(handle);
