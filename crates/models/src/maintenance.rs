//! Condition monitoring and maintenance decisions: vibration severity zones (ISO 10816-1
//! and -3), MTBF confidence limits, Poisson spare-part stocks, Weibull age replacement,
//! and battery state of health and Peukert run time.

use crate::mechanics::gamma;
use crate::{Eval, Model, card};
use ironloom_core::model::{Domain, ModelKind, Port, Reference, Refusal, Text};

const MACHINE_INDUSTRIES: &[&str] = &["C34", "C35", "C38", "D44", "C26"];
const SERVICE: &[Domain] = &[Domain::Service, Domain::Operations];

/// ISO 10816-1:1995 Annex B (the ISO 2372 classes), boundaries A/B, B/C, C/D in mm/s r.m.s.
const CLASS_BOUNDARIES: [[f64; 3]; 4] = [
    [0.71, 1.8, 4.5],
    [1.12, 2.8, 7.1],
    [1.8, 4.5, 11.2],
    [2.8, 7.1, 18.0],
];

/// ISO 10816-3:2009 Tables A.1 and A.2: group 1 rigid, group 1 flexible, group 2 rigid,
/// group 2 flexible; boundaries A/B, B/C, C/D in mm/s r.m.s.
const GROUP_BOUNDARIES: [[f64; 3]; 4] = [
    [2.3, 4.5, 7.1],
    [3.5, 7.1, 11.0],
    [1.4, 2.8, 4.5],
    [2.3, 4.5, 7.1],
];

fn zone_of(v: f64, b: &[f64; 3]) -> f64 {
    b.iter().filter(|&&limit| v > limit).count() as f64
}

fn iso10816_1(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let b = &CLASS_BOUNDARIES[x[1] as usize];
    Ok(vec![zone_of(x[0], b), b[0], b[1], b[2]])
}

fn iso10816_3(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let b = &GROUP_BOUNDARIES[2 * x[1] as usize + x[2] as usize];
    Ok(vec![zone_of(x[0], b), b[0], b[1], b[2]])
}

/// P(χ²_ν > x) for an even ν = 2m: e^(−x/2) Σ_{k<m} (x/2)^k/k!.
fn chi2_sf_even(x: f64, m: u32) -> f64 {
    let h = x / 2.0;
    let mut term = (-h).exp();
    let mut sum = term;
    for k in 1..m {
        term *= h / f64::from(k);
        sum += term;
    }
    sum.min(1.0)
}

/// The χ² value with lower-tail probability p for ν = 2m degrees of freedom.
fn chi2_quantile_even(p: f64, m: u32) -> f64 {
    let (mut lo, mut hi) = (0.0, 10.0 * f64::from(m) + 100.0);
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if 1.0 - chi2_sf_even(mid, m) < p {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

fn mtbf_confidence(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (t, r, c, failure_terminated) = (x[0], x[1], x[2], x[3] == 1.0);
    if r.fract() != 0.0 {
        return Err(Refusal::new(
            "the number of failures is whole",
            "失效数须为整数",
        ));
    }
    if failure_terminated && r < 1.0 {
        return Err(Refusal::new(
            "a failure-terminated test has at least one failure",
            "定数截尾试验至少有一次失效",
        ));
    }
    let m = if failure_terminated {
        r as u32
    } else {
        r as u32 + 1
    };
    let chi = chi2_quantile_even(c, m);
    Ok(vec![r / t, chi / (2.0 * t), 2.0 * t / chi])
}

fn spares(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (rate, n, period, target) = (x[0], x[1], x[2], x[3]);
    let mean = rate * n * period;
    if mean > 700.0 {
        return Err(Refusal::new(
            "more than 700 failures expected in the period: use a normal approximation",
            "期内期望失效数超过 700：请改用正态近似",
        ));
    }
    let mut p = (-mean).exp();
    let mut cdf = p;
    let mut s = 0u32;
    // Σ (s − k)·p_k for k ≤ s, for the expected shortage E[(X − s)⁺] = m − s + Σ.
    let mut weighted = 0.0;
    let mut mass_below = p;
    while cdf < target && s < 100_000 {
        s += 1;
        weighted += mass_below;
        p *= mean / f64::from(s);
        cdf += p;
        mass_below += p;
    }
    let shortage = (mean - f64::from(s) + weighted).max(0.0);
    Ok(vec![mean, f64::from(s), cdf.min(1.0), shortage])
}

fn weibull_reliability(t: f64, beta: f64, eta: f64) -> f64 {
    (-(t / eta).powf(beta)).exp()
}

/// ∫₀ᵀ R(t) dt by Simpson's rule on 4000 intervals.
fn weibull_uptime(t: f64, beta: f64, eta: f64) -> f64 {
    let n = 4000;
    let h = t / f64::from(n);
    let mut s = 1.0 + weibull_reliability(t, beta, eta);
    for i in 1..n {
        let w = if i % 2 == 1 { 4.0 } else { 2.0 };
        s += w * weibull_reliability(f64::from(i) * h, beta, eta);
    }
    s * h / 3.0
}

fn age_replacement(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (beta, eta, cp, cf) = (x[0], x[1], x[2], x[3]);
    if beta <= 1.0 {
        return Err(Refusal::new(
            "with a shape parameter β ≤ 1 the hazard does not rise: preventive replacement never pays",
            "形状参数 β ≤ 1 时失效率不随时间增加：预防性更换不划算",
        ));
    }
    if cp >= cf {
        return Err(Refusal::new(
            "a preventive replacement must cost less than a failure",
            "预防性更换费用必须低于故障更换费用",
        ));
    }
    let target = cp / (cf - cp);
    // h(T)·∫₀ᵀR − F(T) rises from 0 for an increasing hazard: bisect on T/η.
    let gap = |t: f64| {
        let hazard = beta / eta * (t / eta).powf(beta - 1.0);
        hazard * weibull_uptime(t, beta, eta) - (1.0 - weibull_reliability(t, beta, eta)) - target
    };
    let (mut lo, mut hi) = (1e-9 * eta, 50.0 * eta);
    if gap(hi) < 0.0 {
        return Err(Refusal::new(
            "the optimum lies beyond 50 characteristic lives: replace on failure",
            "最优更换间隔超过 50 倍特征寿命：宜故障后更换",
        ));
    }
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if gap(mid) < 0.0 {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    let t = 0.5 * (lo + hi);
    let r = weibull_reliability(t, beta, eta);
    let rate = (cp * r + cf * (1.0 - r)) / weibull_uptime(t, beta, eta);
    let run_to_failure = cf / (eta * gamma(1.0 + 1.0 / beta));
    Ok(vec![t, rate, run_to_failure, 1.0 - rate / run_to_failure])
}

fn battery_soh(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (c, c_rated, r, r_new, r_eol, limit) = (x[0], x[1], x[2], x[3], x[4], x[5]);
    if r_eol <= r_new {
        return Err(Refusal::new(
            "the end-of-life resistance must exceed the new-cell resistance",
            "寿命终止内阻必须高于新电池内阻",
        ));
    }
    let soh_c = c / c_rated;
    let soh_r = (r_eol - r) / (r_eol - r_new);
    Ok(vec![soh_c, soh_r, if soh_c < limit { 1.0 } else { 0.0 }])
}

fn peukert(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (c, h, k, i) = (x[0], x[1], x[2], x[3]);
    let t = h * (c / (i * h)).powf(k);
    Ok(vec![t, i * t])
}

const VELOCITY: Port = Port::new(
    "v_rms",
    "Vibration velocity (r.m.s., 10–1000 Hz)",
    "振动速度有效值（10–1000 Hz）",
    "mm/s",
    0.0,
    1000.0,
);
const ZONE_OUTPUTS: [Port; 4] = [
    Port::out("zone", "Zone (0 = A … 3 = D)", "区域（0 = A … 3 = D）", ""),
    Port::out("AB", "Boundary A/B", "A/B 界限", "mm/s"),
    Port::out("BC", "Boundary B/C", "B/C 界限", "mm/s"),
    Port::out("CD", "Boundary C/D", "C/D 界限", "mm/s"),
];

pub(crate) const MODELS: &[Model] = &[
    Model {
        card: card(
            "vibration.iso10816_1_zone",
            Text::new(
                "Vibration severity zone by machine class (ISO 10816-1 / ISO 2372)",
                "按机器类别的振动烈度区域（ISO 10816-1 / ISO 2372）",
            ),
            Text::new(
                "Evaluation zone of a machine's bearing-housing vibration velocity for the four machine classes of ISO 10816-1 Annex B (the former ISO 2372 chart).",
                "按 ISO 10816-1 附录 B（原 ISO 2372 表）的四类机器，评定轴承座振动速度所处的区域。",
            ),
            ModelKind::Mechanism,
            MACHINE_INDUSTRIES,
            SERVICE,
            &[
                VELOCITY,
                Port::choice(
                    "class",
                    "Machine class (I small ≤ 15 kW; II medium 15–75 kW; III large, rigid foundation; IV large, flexible foundation)",
                    "机器类别（I 小型 ≤ 15 kW；II 中型 15–75 kW；III 大型刚性基础；IV 大型柔性基础）",
                    &["I", "II", "III", "IV"],
                ),
            ],
            &ZONE_OUTPUTS,
            Text::new(
                "Zone = number of boundaries exceeded; boundaries A/B, B/C, C/D: class I 0.71, 1.8, 4.5; II 1.12, 2.8, 7.1; III 1.8, 4.5, 11.2; IV 2.8, 7.1, 18 mm/s.",
                "区域 = 超过的界限数；A/B、B/C、C/D 界限：I 类 0.71、1.8、4.5；II 类 1.12、2.8、7.1；III 类 1.8、4.5、11.2；IV 类 2.8、7.1、18 mm/s。",
            ),
            &[Reference {
                source: "ISO 10816-1:1995 (GB/T 6075.1-2012), Mechanical vibration — Evaluation of machine vibration by measurements on non-rotating parts — Part 1: General guidelines",
                locator: "Annex B, Table B.1 (typical zone boundary limits)",
            }],
        ),
        eval: Eval::Scalar(iso10816_1),
    },
    Model {
        card: card(
            "vibration.iso10816_3_zone",
            Text::new(
                "Vibration severity zone of industrial machines (ISO 10816-3)",
                "工业机器振动烈度区域（ISO 10816-3）",
            ),
            Text::new(
                "Evaluation zone of the bearing-housing vibration velocity of an industrial machine above 15 kW, by machine group and foundation.",
                "按机器组别与基础类型，评定 15 kW 以上工业机器轴承座振动速度所处的区域。",
            ),
            ModelKind::Mechanism,
            MACHINE_INDUSTRIES,
            SERVICE,
            &[
                VELOCITY,
                Port::choice(
                    "group",
                    "Machine group (1: above 300 kW or shaft height ≥ 315 mm; 2: 15–300 kW, 160–315 mm)",
                    "机器组别（1：300 kW 以上或中心高 ≥ 315 mm；2：15–300 kW，160–315 mm）",
                    &["group_1", "group_2"],
                ),
                Port::choice(
                    "foundation",
                    "Foundation",
                    "基础类型",
                    &["rigid", "flexible"],
                ),
            ],
            &ZONE_OUTPUTS,
            Text::new(
                "Zone = number of boundaries exceeded; A/B, B/C, C/D: group 1 rigid 2.3, 4.5, 7.1, flexible 3.5, 7.1, 11.0; group 2 rigid 1.4, 2.8, 4.5, flexible 2.3, 4.5, 7.1 mm/s.",
                "区域 = 超过的界限数；A/B、B/C、C/D：第1组刚性 2.3、4.5、7.1，柔性 3.5、7.1、11.0；第2组刚性 1.4、2.8、4.5，柔性 2.3、4.5、7.1 mm/s。",
            ),
            &[Reference {
                source: "ISO 10816-3:2009 (GB/T 6075.3-2011), Mechanical vibration — Evaluation of machine vibration by measurements on non-rotating parts — Part 3: Industrial machines with nominal power above 15 kW",
                locator: "Annex A, Tables A.1 and A.2 (velocity zone boundaries)",
            }],
        ),
        eval: Eval::Scalar(iso10816_3),
    },
    Model {
        card: card(
            "reliability.mtbf_confidence",
            Text::new(
                "MTBF confidence limit (constant failure rate)",
                "MTBF 置信下限（恒定失效率）",
            ),
            Text::new(
                "Point estimate and one-sided upper confidence limit of the failure rate, and the lower limit of the MTBF, from the accumulated test time and the failures (χ² method, time- or failure-terminated test).",
                "由累计试验时间和失效数，按 χ² 法计算失效率点估计、单侧置信上限及 MTBF 置信下限（定时或定数截尾）。",
            ),
            ModelKind::Simulation,
            MACHINE_INDUSTRIES,
            &[Domain::Service, Domain::Design],
            &[
                Port::new(
                    "T",
                    "Accumulated test time",
                    "累计试验时间",
                    "h",
                    1e-9,
                    1e15,
                ),
                Port::new("r", "Failures", "失效数", "", 0.0, 500.0),
                Port::new("C", "Confidence", "置信度", "", 0.01, 0.9999),
                Port::choice(
                    "test",
                    "Test end",
                    "截尾方式",
                    &["time_terminated", "failure_terminated"],
                )
                .default(0.0),
            ],
            &[
                Port::out(
                    "lambda",
                    "Failure rate (point estimate)",
                    "失效率点估计",
                    "1/h",
                ),
                Port::out(
                    "lambda_upper",
                    "Failure rate, upper confidence limit",
                    "失效率置信上限",
                    "1/h",
                ),
                Port::out(
                    "MTBF_lower",
                    "MTBF, lower confidence limit",
                    "MTBF 置信下限",
                    "h",
                ),
            ],
            Text::new(
                "λ̂ = r/T; λ_U = χ²(C; ν)/(2T); MTBF_L = 2T/χ²(C; ν), ν = 2r + 2 (time-terminated) or 2r (failure-terminated).",
                "λ̂ = r/T；λ_U = χ²(C; ν)/(2T)；MTBF_L = 2T/χ²(C; ν)，定时截尾 ν = 2r + 2，定数截尾 ν = 2r。",
            ),
            &[
                Reference {
                    source: "IEC 60605-4:2001 (GB/T 5080.4), Equipment reliability testing — Part 4: Statistical procedures for exponential distribution — Point estimates, confidence intervals, prediction intervals and tolerance intervals",
                    locator: "time- and failure-terminated tests, χ² confidence limits",
                },
                Reference {
                    source: "MIL-HDBK-781A, Handbook for Reliability Test Methods, Plans, and Environments, 1996",
                    locator: "MTBF confidence limits",
                },
            ],
        ),
        eval: Eval::Scalar(mtbf_confidence),
    },
    Model {
        card: card(
            "maintenance.spare_parts_poisson",
            Text::new(
                "Spare-part stock for a service level (Poisson)",
                "满足保障概率的备件数量（泊松）",
            ),
            Text::new(
                "Smallest stock of a spare that covers the failures of a fleet over the replenishment period with the target probability, with Poisson demand; also the expected shortage.",
                "按泊松需求，求在补充周期内以目标概率满足设备群失效需求的最少备件数，并给出期望缺件数。",
            ),
            ModelKind::Process,
            MACHINE_INDUSTRIES,
            &[Domain::SupplyChain, Domain::Service, Domain::Logistics],
            &[
                Port::new(
                    "lambda",
                    "Failure rate per unit",
                    "单机失效率",
                    "1/a",
                    0.0,
                    1e6,
                ),
                Port::new("N", "Units installed", "装机数量", "", 0.0, 1e7),
                Port::new("t", "Replenishment period", "补充周期", "a", 0.0, 100.0),
                Port::new(
                    "P",
                    "Target probability of no shortage",
                    "目标保障概率",
                    "",
                    0.0,
                    0.999_999,
                ),
            ],
            &[
                Port::out(
                    "mean",
                    "Expected failures in the period",
                    "期内期望失效数",
                    "",
                ),
                Port::out("s", "Spares to stock", "备件数量", ""),
                Port::out(
                    "P_achieved",
                    "Probability of no shortage",
                    "实际保障概率",
                    "",
                ),
                Port::out("shortage", "Expected shortage", "期望缺件数", ""),
            ],
            Text::new(
                "m = λNt; s = min{s : Σ_{k≤s} e^(−m)m^k/k! ≥ P}; E[(X − s)⁺] = m − s + Σ_{k≤s}(s − k)p_k.",
                "m = λNt；s = min{s : Σ_{k≤s} e^(−m)m^k/k! ≥ P}；E[(X − s)⁺] = m − s + Σ_{k≤s}(s − k)p_k。",
            ),
            &[
                Reference {
                    source: "Sherbrooke, C. C., Optimal Inventory Modeling of Systems: Multi-Echelon Techniques, 2nd ed., Kluwer, 2004",
                    locator: "ch. 2, Poisson demand, fill rate and expected backorders",
                },
                Reference {
                    source: "IEC 60300-3-12:2011, Dependability management — Part 3-12: Integrated logistic support",
                    locator: "spares provisioning",
                },
            ],
        ),
        eval: Eval::Scalar(spares),
    },
    Model {
        card: card(
            "maintenance.age_replacement_weibull",
            Text::new(
                "Optimal age-replacement interval (Weibull)",
                "最优定龄更换周期（威布尔）",
            ),
            Text::new(
                "Preventive replacement age that minimises the long-run cost per unit time of a part with Weibull life, against replacing only on failure.",
                "对威布尔寿命的零件，求使长期单位时间费用最小的预防性更换年龄，并与故障后更换比较。",
            ),
            ModelKind::Process,
            MACHINE_INDUSTRIES,
            SERVICE,
            &[
                Port::new("beta", "Weibull shape β", "威布尔形状参数 β", "", 0.1, 20.0),
                Port::new("eta", "Weibull scale η", "威布尔尺度参数 η", "h", 1e-6, 1e9),
                Port::new(
                    "C_p",
                    "Cost of a preventive replacement",
                    "预防性更换费用",
                    "",
                    0.0,
                    1e12,
                ),
                Port::new(
                    "C_f",
                    "Cost of a failure replacement",
                    "故障更换费用",
                    "",
                    1e-9,
                    1e12,
                ),
            ],
            &[
                Port::out("T_opt", "Optimal replacement age", "最优更换年龄", "h"),
                Port::out(
                    "cost_rate",
                    "Cost per hour at T_opt",
                    "最优单位时间费用",
                    "1/h",
                ),
                Port::out(
                    "cost_rate_rtf",
                    "Cost per hour, replace on failure",
                    "故障后更换单位时间费用",
                    "1/h",
                ),
                Port::out(
                    "saving",
                    "Saving against replace-on-failure",
                    "相对故障后更换的节约率",
                    "",
                ),
            ],
            Text::new(
                "C(T) = [C_p R(T) + C_f F(T)]/∫₀ᵀR(t)dt, minimised where h(T)∫₀ᵀR − F(T) = C_p/(C_f − C_p); replace-on-failure C_f/(η Γ(1 + 1/β)).",
                "C(T) = [C_p R(T) + C_f F(T)]/∫₀ᵀR(t)dt，在 h(T)∫₀ᵀR − F(T) = C_p/(C_f − C_p) 处取最小；故障后更换为 C_f/(η Γ(1 + 1/β))。",
            ),
            &[
                Reference {
                    source: "Jardine, A. K. S., Tsang, A. H. C., Maintenance, Replacement, and Reliability: Theory and Applications, 2nd ed., CRC Press, 2013",
                    locator: "ch. 3, optimal preventive replacement age of an item subject to breakdown",
                },
                Reference {
                    source: "Barlow, R. E., Proschan, F., Mathematical Theory of Reliability, Wiley, 1965",
                    locator: "ch. 4, age replacement",
                },
            ],
        ),
        eval: Eval::Scalar(age_replacement),
    },
    Model {
        card: card(
            "battery.state_of_health",
            Text::new(
                "Battery state of health (capacity and resistance)",
                "电池健康状态（容量与内阻）",
            ),
            Text::new(
                "State of health of a cell or pack from its measured capacity against the rated one, and from its internal resistance between new and end-of-life values; flags end of life below the capacity threshold.",
                "由实测容量与额定容量之比、以及内阻在新电池与寿命终止值之间的位置计算电池健康状态，容量低于阈值时标记寿命终止。",
            ),
            ModelKind::Mechanism,
            &["C38", "D44", "C36", "G54"],
            &[Domain::Service, Domain::Operations],
            &[
                Port::new("C", "Measured capacity", "实测容量", "Ah", 0.0, 1e7),
                Port::new("C_rated", "Rated capacity", "额定容量", "Ah", 1e-9, 1e7),
                Port::new("R", "Internal resistance now", "当前内阻", "mohm", 0.0, 1e6),
                Port::new(
                    "R_new",
                    "Internal resistance when new",
                    "新电池内阻",
                    "mohm",
                    0.0,
                    1e6,
                ),
                Port::new(
                    "R_eol",
                    "Internal resistance at end of life",
                    "寿命终止内阻",
                    "mohm",
                    0.0,
                    1e6,
                ),
                Port::new(
                    "limit",
                    "End-of-life capacity threshold",
                    "寿命终止容量阈值",
                    "",
                    0.0,
                    1.0,
                )
                .default(0.8),
            ],
            &[
                Port::out("SOH_C", "State of health by capacity", "容量健康状态", ""),
                Port::out("SOH_R", "State of health by resistance", "内阻健康状态", ""),
                Port::out(
                    "eol",
                    "End of life reached (1) or not (0)",
                    "是否达到寿命终止（1/0）",
                    "",
                ),
            ],
            Text::new(
                "SOH_C = C/C_rated; SOH_R = (R_EOL − R)/(R_EOL − R_new); end of life when SOH_C < threshold (80 % by default).",
                "SOH_C = C/C_额定；SOH_R = (R_EOL − R)/(R_EOL − R_new)；SOH_C 低于阈值（默认 80 %）时寿命终止。",
            ),
            &[
                Reference {
                    source: "Plett, G. L., Battery Management Systems, vol. 2: Equivalent-Circuit Methods, Artech House, 2016",
                    locator: "ch. 4, state-of-health estimation (capacity fade and resistance growth)",
                },
                Reference {
                    source: "GB/T 31484-2015, 电动汽车用动力蓄电池循环寿命要求及试验方法",
                    locator: "容量衰减至初始容量 80 % 的寿命判据",
                },
            ],
        ),
        eval: Eval::Scalar(battery_soh),
    },
    Model {
        card: card(
            "battery.peukert_runtime",
            Text::new(
                "Battery run time at a discharge current (Peukert)",
                "电池放电时间（Peukert 公式）",
            ),
            Text::new(
                "Run time of a battery at a constant discharge current from its rated capacity at the rated discharge time and its Peukert exponent.",
                "由额定放电时率下的额定容量和 Peukert 指数计算电池在恒定电流下的放电时间。",
            ),
            ModelKind::Mechanism,
            &["C38", "D44", "C36", "G54"],
            &[Domain::Design, Domain::Service],
            &[
                Port::new("C", "Rated capacity", "额定容量", "Ah", 1e-9, 1e7),
                Port::new(
                    "H",
                    "Rated discharge time",
                    "额定放电时间",
                    "h",
                    1e-3,
                    1000.0,
                )
                .default(20.0),
                Port::new("k", "Peukert exponent", "Peukert 指数", "", 1.0, 2.0),
                Port::new("I", "Discharge current", "放电电流", "A", 1e-9, 1e7),
            ],
            &[
                Port::out("t", "Run time", "放电时间", "h"),
                Port::out(
                    "C_eff",
                    "Capacity delivered at this current",
                    "该电流下可放出容量",
                    "Ah",
                ),
            ],
            Text::new(
                "t = H·[C/(I·H)]^k; delivered capacity = I·t.",
                "t = H·[C/(I·H)]^k；可放出容量 = I·t。",
            ),
            &[Reference {
                source: "Linden, D., Reddy, T. B., Handbook of Batteries, 4th ed., McGraw-Hill, 2011",
                locator: "ch. 3, Peukert equation (effect of discharge rate on capacity)",
            }],
        ),
        eval: Eval::Scalar(peukert),
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chi_square_quantile_inverts_the_survival_function() {
        for m in [1, 2, 5, 40] {
            for p in [0.1, 0.5, 0.9, 0.99] {
                let x = chi2_quantile_even(p, m);
                assert!((1.0 - chi2_sf_even(x, m) - p).abs() < 1e-12, "m {m} p {p}");
            }
        }
    }
}
