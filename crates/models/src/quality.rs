//! Statistical process control and quality: control-chart constants and limits
//! (Shewhart charts for variables and attributes), process capability, expected
//! nonconforming parts, and overall equipment effectiveness.

use crate::stats::{MAX_SUBGROUP, chart_constants, normal_cdf, normal_sf};
use crate::{Eval, Model, card};
use ironloom_core::model::{Domain, ModelCard, ModelKind, Port, Reference, Refusal, Text};

/// Every manufacturing division of GB/T 4754 uses these; the cards name the usual ones.
const MANUFACTURING: &[&str] = &["C34", "C36", "C38", "C39", "C33"];

const ISO_7870_2: &str =
    "ISO 7870-2:2013 (GB/T 17989.2-2020), Control charts — Part 2: Shewhart control charts";
const MONTGOMERY: &str = "Montgomery, D. C., Introduction to Statistical Quality Control, 6th ed.";

const fn n_port() -> Port {
    Port::new(
        "n",
        "Subgroup size",
        "子组大小",
        "",
        2.0,
        MAX_SUBGROUP as f64,
    )
}

fn whole(n: f64) -> Result<usize, Refusal> {
    if n.fract() != 0.0 {
        return Err(Refusal::new(
            format!("the subgroup size must be a whole number, not {n}"),
            format!("子组大小必须是整数，而不是 {n}"),
        ));
    }
    Ok(n as usize)
}

/// A2, A3, B3, B4, D3, D4 from d₂, d₃, c₄ (ISO 7870-2 table 2 definitions).
struct Factors {
    d2: f64,
    d3: f64,
    c4: f64,
    a2: f64,
    a3: f64,
    b3: f64,
    b4: f64,
    d3f: f64,
    d4f: f64,
}

fn factors(n: usize) -> Factors {
    let c = chart_constants(n);
    let sn = (n as f64).sqrt();
    let s = 3.0 * (1.0 - c.c4 * c.c4).sqrt() / c.c4;
    Factors {
        d2: c.d2,
        d3: c.d3,
        c4: c.c4,
        a2: 3.0 / (c.d2 * sn),
        a3: 3.0 / (c.c4 * sn),
        b3: (1.0 - s).max(0.0),
        b4: 1.0 + s,
        d3f: (1.0 - 3.0 * c.d3 / c.d2).max(0.0),
        d4f: 1.0 + 3.0 * c.d3 / c.d2,
    }
}

fn constants(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let f = factors(whole(x[0])?);
    Ok(vec![f.d2, f.d3, f.c4, f.a2, f.a3, f.b3, f.b4, f.d3f, f.d4f])
}

fn xbar_r(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let f = factors(whole(x[0])?);
    let (xbb, rbar) = (x[1], x[2]);
    Ok(vec![
        xbb + f.a2 * rbar,
        xbb,
        xbb - f.a2 * rbar,
        f.d4f * rbar,
        rbar,
        f.d3f * rbar,
        rbar / f.d2,
    ])
}

fn xbar_s(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let f = factors(whole(x[0])?);
    let (xbb, sbar) = (x[1], x[2]);
    let sigma = sbar / f.c4;
    Ok(vec![
        xbb + f.a3 * sbar,
        xbb,
        xbb - f.a3 * sbar,
        f.b4 * sbar,
        sbar,
        f.b3 * sbar,
        sigma,
        xbb + 3.0 * sigma,
        xbb - 3.0 * sigma,
    ])
}

fn individuals(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let f = factors(2);
    let (mean, mr) = (x[0], x[1]);
    let e2 = 3.0 / f.d2;
    Ok(vec![
        mean + e2 * mr,
        mean,
        mean - e2 * mr,
        f.d4f * mr,
        mr,
        mr / f.d2,
    ])
}

fn p_chart(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (p, n) = (x[0], x[1]);
    let w = 3.0 * (p * (1.0 - p) / n).sqrt();
    Ok(vec![(p + w).min(1.0), p, (p - w).max(0.0)])
}

fn np_chart(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (np, n) = (x[0], x[1]);
    if np > n {
        return Err(Refusal::new(
            "the mean count of nonconforming items cannot exceed the sample size",
            "不合格品数均值不能超过样本量",
        ));
    }
    let w = 3.0 * (np * (1.0 - np / n)).sqrt();
    Ok(vec![np + w, np, (np - w).max(0.0)])
}

fn c_chart(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let c = x[0];
    let w = 3.0 * c.sqrt();
    Ok(vec![c + w, c, (c - w).max(0.0)])
}

fn u_chart(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (u, n) = (x[0], x[1]);
    let w = 3.0 * (u / n).sqrt();
    Ok(vec![u + w, u, (u - w).max(0.0)])
}

fn spec_check(usl: f64, lsl: f64) -> Result<(), Refusal> {
    if usl <= lsl {
        return Err(Refusal::new(
            "the upper specification limit must be above the lower one",
            "规格上限必须大于规格下限",
        ));
    }
    Ok(())
}

fn capability(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (usl, lsl, mu, sigma) = (x[0], x[1], x[2], x[3]);
    spec_check(usl, lsl)?;
    let cpu = (usl - mu) / (3.0 * sigma);
    let cpl = (mu - lsl) / (3.0 * sigma);
    Ok(vec![(usl - lsl) / (6.0 * sigma), cpu.min(cpl), cpu, cpl])
}

fn ppm(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (usl, lsl, mu, sigma) = (x[0], x[1], x[2], x[3]);
    spec_check(usl, lsl)?;
    let below = 1e6 * normal_cdf((lsl - mu) / sigma);
    let above = 1e6 * normal_sf((usl - mu) / sigma);
    Ok(vec![below, above, below + above])
}

fn oee(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (planned, run, cycle_s, total, good) = (x[0], x[1], x[2], x[3], x[4]);
    if run > planned {
        return Err(Refusal::new(
            "the run time cannot exceed the planned production time",
            "运行时间不能超过计划生产时间",
        ));
    }
    if good > total {
        return Err(Refusal::new(
            "the good count cannot exceed the total count",
            "合格数不能超过总产量",
        ));
    }
    let a = run / planned;
    let p = if run > 0.0 {
        cycle_s / 60.0 * total / run
    } else {
        0.0
    };
    let q = if total > 0.0 { good / total } else { 0.0 };
    Ok(vec![a, p, q, a * p * q])
}

fn teep(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (oee, planned, calendar) = (x[0], x[1], x[2]);
    if planned > calendar {
        return Err(Refusal::new(
            "the planned time cannot exceed the calendar time",
            "计划时间不能超过日历时间",
        ));
    }
    let u = planned / calendar;
    Ok(vec![u, oee * u])
}

const ATTR_OUT: &[Port] = &[
    Port::out("ucl", "Upper control limit", "上控制限", ""),
    Port::out("cl", "Centre line", "中心线", ""),
    Port::out(
        "lcl",
        "Lower control limit (not below 0)",
        "下控制限（不低于 0）",
        "",
    ),
];

const fn spc_card(
    id: &'static str,
    name: Text,
    summary: Text,
    inputs: &'static [Port],
    outputs: &'static [Port],
    formula: Text,
    references: &'static [Reference],
) -> ModelCard {
    card(
        id,
        name,
        summary,
        ModelKind::Algorithm,
        MANUFACTURING,
        &[Domain::Production],
        inputs,
        outputs,
        formula,
        references,
    )
}

pub(crate) const MODELS: &[Model] = &[
    Model {
        card: spc_card(
            "spc.control_chart_constants",
            Text::new("Control chart constants", "控制图系数"),
            Text::new(
                "d₂, d₃, c₄ and the factors A₂, A₃, B₃, B₄, D₃, D₄ for a subgroup size, computed from the normal distribution rather than read from a rounded table.",
                "按子组大小计算 d₂、d₃、c₄ 及系数 A₂、A₃、B₃、B₄、D₃、D₄（由正态分布积分求得，而非查取四舍五入的表）。",
            ),
            &[Port::new(
                "n",
                "Subgroup size",
                "子组大小",
                "",
                2.0,
                MAX_SUBGROUP as f64,
            )],
            &[
                Port::out("d2", "d₂ (mean range / σ)", "d₂（极差均值/σ）", ""),
                Port::out("d3", "d₃ (sd of range / σ)", "d₃（极差标准差/σ）", ""),
                Port::out("c4", "c₄ (mean s / σ)", "c₄（s 的均值/σ）", ""),
                Port::out("A2", "A₂", "A₂", ""),
                Port::out("A3", "A₃", "A₃", ""),
                Port::out("B3", "B₃", "B₃", ""),
                Port::out("B4", "B₄", "B₄", ""),
                Port::out("D3", "D₃", "D₃", ""),
                Port::out("D4", "D₄", "D₄", ""),
            ],
            Text::new(
                "d₂ = ∫[1 − Φⁿ − (1−Φ)ⁿ]dx, d₃² = E[R²] − d₂², c₄ = √(2/(n−1)) Γ(n/2)/Γ((n−1)/2); A₂ = 3/(d₂√n), A₃ = 3/(c₄√n), D₃,₄ = 1 ∓ 3d₃/d₂, B₃,₄ = 1 ∓ 3√(1−c₄²)/c₄ (lower ones not below 0).",
                "d₂ = ∫[1 − Φⁿ − (1−Φ)ⁿ]dx，d₃² = E[R²] − d₂²，c₄ = √(2/(n−1)) Γ(n/2)/Γ((n−1)/2)；A₂ = 3/(d₂√n)，A₃ = 3/(c₄√n)，D₃,₄ = 1 ∓ 3d₃/d₂，B₃,₄ = 1 ∓ 3√(1−c₄²)/c₄（下限系数不小于 0）。",
            ),
            &[
                Reference {
                    source: ISO_7870_2,
                    locator: "table 2, control chart factors",
                },
                Reference {
                    source: "ASTM MNL7, Manual on Presentation of Data and Control Chart Analysis, 8th ed.",
                    locator: "part 3, table 49",
                },
            ],
        ),
        eval: Eval::Scalar(constants),
    },
    Model {
        card: spc_card(
            "spc.xbar_r_limits",
            Text::new("X̄–R chart limits", "均值-极差控制图控制限"),
            Text::new(
                "Control limits of the mean and range charts from the grand mean, the mean range and the subgroup size, and the estimated process σ.",
                "由总均值、平均极差和子组大小计算均值图与极差图的控制限，以及过程标准差估计。",
            ),
            &[
                n_port(),
                Port::new(
                    "xbarbar",
                    "Grand mean X̿",
                    "总均值 X̿",
                    "",
                    f64::NEG_INFINITY,
                    f64::INFINITY,
                ),
                Port::new("rbar", "Mean range R̄", "平均极差 R̄", "", 0.0, f64::INFINITY),
            ],
            &[
                Port::out("x_ucl", "X̄ chart UCL", "均值图上控制限", ""),
                Port::out("x_cl", "X̄ chart centre line", "均值图中心线", ""),
                Port::out("x_lcl", "X̄ chart LCL", "均值图下控制限", ""),
                Port::out("r_ucl", "R chart UCL", "极差图上控制限", ""),
                Port::out("r_cl", "R chart centre line", "极差图中心线", ""),
                Port::out("r_lcl", "R chart LCL", "极差图下控制限", ""),
                Port::out("sigma", "Estimated σ = R̄/d₂", "σ 估计 = R̄/d₂", ""),
            ],
            Text::new(
                "X̄ chart X̿ ± A₂R̄; R chart UCL D₄R̄, CL R̄, LCL D₃R̄; σ̂ = R̄/d₂.",
                "均值图 X̿ ± A₂R̄；极差图上限 D₄R̄，中心线 R̄，下限 D₃R̄；σ̂ = R̄/d₂。",
            ),
            &[
                Reference {
                    source: ISO_7870_2,
                    locator: "§8, table 3",
                },
                Reference {
                    source: MONTGOMERY,
                    locator: "§6.2, Eq. 6.4–6.5",
                },
            ],
        ),
        eval: Eval::Scalar(xbar_r),
    },
    Model {
        card: spc_card(
            "spc.xbar_s_limits",
            Text::new("X̄–S chart limits", "均值-标准差控制图控制限"),
            Text::new(
                "Control limits of the mean and standard-deviation charts, the estimated σ and the natural tolerance limits X̿ ± 3σ̂.",
                "均值图与标准差图的控制限、σ 估计及自然容差限 X̿ ± 3σ̂。",
            ),
            &[
                n_port(),
                Port::new(
                    "xbarbar",
                    "Grand mean X̿",
                    "总均值 X̿",
                    "",
                    f64::NEG_INFINITY,
                    f64::INFINITY,
                ),
                Port::new(
                    "sbar",
                    "Mean standard deviation s̄",
                    "平均标准差 s̄",
                    "",
                    0.0,
                    f64::INFINITY,
                ),
            ],
            &[
                Port::out("x_ucl", "X̄ chart UCL", "均值图上控制限", ""),
                Port::out("x_cl", "X̄ chart centre line", "均值图中心线", ""),
                Port::out("x_lcl", "X̄ chart LCL", "均值图下控制限", ""),
                Port::out("s_ucl", "S chart UCL", "标准差图上控制限", ""),
                Port::out("s_cl", "S chart centre line", "标准差图中心线", ""),
                Port::out("s_lcl", "S chart LCL", "标准差图下控制限", ""),
                Port::out("sigma", "Estimated σ = s̄/c₄", "σ 估计 = s̄/c₄", ""),
                Port::out("untl", "Upper natural tolerance limit", "上自然容差限", ""),
                Port::out("lntl", "Lower natural tolerance limit", "下自然容差限", ""),
            ],
            Text::new(
                "X̄ chart X̿ ± A₃s̄; S chart UCL B₄s̄, CL s̄, LCL B₃s̄; σ̂ = s̄/c₄; natural tolerance X̿ ± 3σ̂.",
                "均值图 X̿ ± A₃s̄；标准差图上限 B₄s̄，中心线 s̄，下限 B₃s̄；σ̂ = s̄/c₄；自然容差限 X̿ ± 3σ̂。",
            ),
            &[
                Reference {
                    source: ISO_7870_2,
                    locator: "§8, table 3",
                },
                Reference {
                    source: MONTGOMERY,
                    locator: "§6.3.1, Eq. 6.27–6.28",
                },
            ],
        ),
        eval: Eval::Scalar(xbar_s),
    },
    Model {
        card: spc_card(
            "spc.individuals_mr_limits",
            Text::new(
                "Individuals and moving-range chart limits",
                "单值-移动极差控制图控制限",
            ),
            Text::new(
                "Limits for single measurements (one value per sample) from their mean and mean moving range of span 2.",
                "由单值均值和跨度为 2 的平均移动极差计算单值图与移动极差图的控制限。",
            ),
            &[
                Port::new(
                    "xbar",
                    "Mean of the values",
                    "单值均值",
                    "",
                    f64::NEG_INFINITY,
                    f64::INFINITY,
                ),
                Port::new(
                    "mrbar",
                    "Mean moving range",
                    "平均移动极差",
                    "",
                    0.0,
                    f64::INFINITY,
                ),
            ],
            &[
                Port::out("i_ucl", "I chart UCL", "单值图上控制限", ""),
                Port::out("i_cl", "I chart centre line", "单值图中心线", ""),
                Port::out("i_lcl", "I chart LCL", "单值图下控制限", ""),
                Port::out("mr_ucl", "MR chart UCL", "移动极差图上控制限", ""),
                Port::out("mr_cl", "MR chart centre line", "移动极差图中心线", ""),
                Port::out("sigma", "Estimated σ = MR̄/d₂", "σ 估计 = MR̄/d₂", ""),
            ],
            Text::new(
                "I chart x̄ ± 3MR̄/d₂ (3/d₂ = 2.659 for span 2); MR chart UCL D₄MR̄ (3.267), LCL 0.",
                "单值图 x̄ ± 3MR̄/d₂（跨度 2 时 3/d₂ = 2.659）；移动极差图上限 D₄MR̄（3.267），下限 0。",
            ),
            &[
                Reference {
                    source: ISO_7870_2,
                    locator: "§8.4",
                },
                Reference {
                    source: MONTGOMERY,
                    locator: "§6.4, Eq. 6.33",
                },
            ],
        ),
        eval: Eval::Scalar(individuals),
    },
    Model {
        card: spc_card(
            "spc.p_chart",
            Text::new(
                "p chart limits (fraction nonconforming)",
                "不合格品率控制图（p 图）控制限",
            ),
            Text::new(
                "Limits of the fraction nonconforming for a sample size.",
                "给定样本量下不合格品率的控制限。",
            ),
            &[
                Port::new(
                    "pbar",
                    "Mean fraction nonconforming p̄",
                    "平均不合格品率 p̄",
                    "",
                    0.0,
                    1.0,
                ),
                Port::new("n", "Sample size", "样本量", "", 1.0, 1e9),
            ],
            ATTR_OUT,
            Text::new(
                "p̄ ± 3√(p̄(1−p̄)/n), limits within 0…1.",
                "p̄ ± 3√(p̄(1−p̄)/n)，控制限限定在 0…1。",
            ),
            &[
                Reference {
                    source: ISO_7870_2,
                    locator: "table 4",
                },
                Reference {
                    source: MONTGOMERY,
                    locator: "§7.2, Eq. 7.8",
                },
            ],
        ),
        eval: Eval::Scalar(p_chart),
    },
    Model {
        card: spc_card(
            "spc.np_chart",
            Text::new(
                "np chart limits (number nonconforming)",
                "不合格品数控制图（np 图）控制限",
            ),
            Text::new(
                "Limits of the number of nonconforming items in samples of constant size.",
                "固定样本量下不合格品数的控制限。",
            ),
            &[
                Port::new(
                    "npbar",
                    "Mean number nonconforming np̄",
                    "平均不合格品数 np̄",
                    "",
                    0.0,
                    1e9,
                ),
                Port::new("n", "Sample size", "样本量", "", 1.0, 1e9),
            ],
            ATTR_OUT,
            Text::new(
                "np̄ ± 3√(np̄(1 − p̄)), p̄ = np̄/n.",
                "np̄ ± 3√(np̄(1 − p̄))，p̄ = np̄/n。",
            ),
            &[
                Reference {
                    source: ISO_7870_2,
                    locator: "table 4",
                },
                Reference {
                    source: MONTGOMERY,
                    locator: "§7.2.1",
                },
            ],
        ),
        eval: Eval::Scalar(np_chart),
    },
    Model {
        card: spc_card(
            "spc.c_chart",
            Text::new(
                "c chart limits (nonconformities)",
                "缺陷数控制图（c 图）控制限",
            ),
            Text::new(
                "Limits of the number of nonconformities per inspection unit (Poisson counts).",
                "每个检验单位缺陷数（泊松计数）的控制限。",
            ),
            &[Port::new(
                "cbar",
                "Mean nonconformities c̄",
                "平均缺陷数 c̄",
                "",
                0.0,
                1e12,
            )],
            ATTR_OUT,
            Text::new("c̄ ± 3√c̄.", "c̄ ± 3√c̄。"),
            &[
                Reference {
                    source: ISO_7870_2,
                    locator: "table 4",
                },
                Reference {
                    source: MONTGOMERY,
                    locator: "§7.3.1, Eq. 7.17",
                },
            ],
        ),
        eval: Eval::Scalar(c_chart),
    },
    Model {
        card: spc_card(
            "spc.u_chart",
            Text::new(
                "u chart limits (nonconformities per unit)",
                "单位缺陷数控制图（u 图）控制限",
            ),
            Text::new(
                "Limits of the nonconformities per unit for a sample of n units.",
                "样本含 n 个单位时单位缺陷数的控制限。",
            ),
            &[
                Port::new(
                    "ubar",
                    "Mean nonconformities per unit ū",
                    "平均单位缺陷数 ū",
                    "",
                    0.0,
                    1e12,
                ),
                Port::new("n", "Units in the sample", "样本单位数", "", 1e-9, 1e12),
            ],
            ATTR_OUT,
            Text::new("ū ± 3√(ū/n).", "ū ± 3√(ū/n)。"),
            &[
                Reference {
                    source: ISO_7870_2,
                    locator: "table 4",
                },
                Reference {
                    source: MONTGOMERY,
                    locator: "§7.3.2, Eq. 7.21",
                },
            ],
        ),
        eval: Eval::Scalar(u_chart),
    },
    Model {
        card: spc_card(
            "quality.cp_cpk",
            Text::new("Process capability Cp, Cpk", "过程能力指数 Cp、Cpk"),
            Text::new(
                "How the spread and centring of a process compare with its specification, from the mean and the within-subgroup σ.",
                "由均值和组内标准差评价过程分布宽度与位置相对规格的能力。",
            ),
            &[
                Port::new(
                    "usl",
                    "Upper specification limit",
                    "规格上限",
                    "",
                    f64::NEG_INFINITY,
                    f64::INFINITY,
                ),
                Port::new(
                    "lsl",
                    "Lower specification limit",
                    "规格下限",
                    "",
                    f64::NEG_INFINITY,
                    f64::INFINITY,
                ),
                Port::new(
                    "mu",
                    "Process mean",
                    "过程均值",
                    "",
                    f64::NEG_INFINITY,
                    f64::INFINITY,
                ),
                Port::new(
                    "sigma",
                    "Within-subgroup σ",
                    "组内标准差",
                    "",
                    1e-300,
                    f64::INFINITY,
                ),
            ],
            &[
                Port::out("cp", "Cp", "Cp", ""),
                Port::out("cpk", "Cpk", "Cpk", ""),
                Port::out("cpu", "Cpu", "Cpu", ""),
                Port::out("cpl", "Cpl", "Cpl", ""),
            ],
            Text::new(
                "Cp = (USL − LSL)/6σ; Cpu = (USL − μ)/3σ; Cpl = (μ − LSL)/3σ; Cpk = min(Cpu, Cpl).",
                "Cp = (USL − LSL)/6σ；Cpu = (USL − μ)/3σ；Cpl = (μ − LSL)/3σ；Cpk = min(Cpu, Cpl)。",
            ),
            &[
                Reference {
                    source: "ISO 22514-2:2017, Statistical methods in process management — Capability and performance — Part 2",
                    locator: "§6",
                },
                Reference {
                    source: MONTGOMERY,
                    locator: "§8.3",
                },
            ],
        ),
        eval: Eval::Scalar(capability),
    },
    Model {
        card: spc_card(
            "quality.normal_ppm_out_of_spec",
            Text::new(
                "Expected nonconforming parts per million",
                "超规格不合格品率（ppm）",
            ),
            Text::new(
                "Parts per million below and above the specification for a normally distributed characteristic.",
                "正态分布质量特性低于与高于规格限的百万分率。",
            ),
            &[
                Port::new(
                    "usl",
                    "Upper specification limit",
                    "规格上限",
                    "",
                    f64::NEG_INFINITY,
                    f64::INFINITY,
                ),
                Port::new(
                    "lsl",
                    "Lower specification limit",
                    "规格下限",
                    "",
                    f64::NEG_INFINITY,
                    f64::INFINITY,
                ),
                Port::new(
                    "mu",
                    "Process mean",
                    "过程均值",
                    "",
                    f64::NEG_INFINITY,
                    f64::INFINITY,
                ),
                Port::new(
                    "sigma",
                    "Process σ",
                    "过程标准差",
                    "",
                    1e-300,
                    f64::INFINITY,
                ),
            ],
            &[
                Port::out("ppm_below", "Below the lower limit", "低于下限", "ppm"),
                Port::out("ppm_above", "Above the upper limit", "高于上限", "ppm"),
                Port::out("ppm_total", "Out of specification", "超出规格", "ppm"),
            ],
            Text::new(
                "ppm = 10⁶ [Φ((LSL − μ)/σ) + 1 − Φ((USL − μ)/σ)].",
                "ppm = 10⁶ [Φ((LSL − μ)/σ) + 1 − Φ((USL − μ)/σ)]。",
            ),
            &[
                Reference {
                    source: MONTGOMERY,
                    locator: "§8.3.1, table 8.3",
                },
                Reference {
                    source: "ISO 22514-2:2017",
                    locator: "annex on the fraction nonconforming",
                },
            ],
        ),
        eval: Eval::Scalar(ppm),
    },
    Model {
        card: ModelCard {
            id: "oee.oee",
            version: 1,
            name: Text::new("Overall equipment effectiveness (OEE)", "设备综合效率 OEE"),
            summary: Text::new(
                "Availability, performance and quality rates of a machine over a shift and their product.",
                "设备在一个班次内的时间开动率、性能开动率、合格品率及其乘积。",
            ),
            kind: ModelKind::Process,
            industries: MANUFACTURING,
            domains: &[Domain::Production, Domain::Operations],
            inputs: &[
                Port::new(
                    "planned",
                    "Planned production time",
                    "计划生产时间",
                    "min",
                    1e-9,
                    1e9,
                ),
                Port::new("run", "Run time", "运行时间", "min", 0.0, 1e9),
                Port::new("cycle", "Ideal cycle time", "理想节拍", "s", 1e-9, 1e9),
                Port::new("total", "Total count", "总产量", "", 0.0, 1e12),
                Port::new("good", "Good count", "合格数", "", 0.0, 1e12),
            ],
            outputs: &[
                Port::out("availability", "Availability", "时间开动率", ""),
                Port::out("performance", "Performance", "性能开动率", ""),
                Port::out("quality", "Quality", "合格品率", ""),
                Port::out("oee", "OEE", "OEE", ""),
            ],
            formula: Text::new(
                "A = run/planned; P = ideal cycle × total/run; Q = good/total; OEE = A·P·Q (P above 1 means the ideal cycle is set too long).",
                "A = 运行时间/计划时间；P = 理想节拍 × 总产量/运行时间；Q = 合格数/总产量；OEE = A·P·Q（P 大于 1 说明理想节拍设得过长）。",
            ),
            references: &[
                Reference {
                    source: "ISO 22400-2:2014, Key performance indicators (KPIs) for manufacturing operations management",
                    locator: "§5, OEE index",
                },
                Reference {
                    source: "Nakajima, S., Introduction to TPM, 1988",
                    locator: "ch. 2",
                },
            ],
        },
        eval: Eval::Scalar(oee),
    },
    Model {
        card: ModelCard {
            id: "oee.teep",
            version: 1,
            name: Text::new(
                "Total effective equipment performance (TEEP)",
                "完全有效生产率 TEEP",
            ),
            summary: Text::new(
                "OEE over all calendar time: how much of the whole week or year a machine makes good parts at ideal speed.",
                "以全部日历时间计的 OEE：设备在整周或整年中以理想速度生产合格品的比例。",
            ),
            kind: ModelKind::Process,
            industries: MANUFACTURING,
            domains: &[Domain::Production, Domain::Operations],
            inputs: &[
                Port::new("oee", "OEE", "OEE", "", 0.0, 2.0),
                Port::new(
                    "planned",
                    "Planned production time",
                    "计划生产时间",
                    "h",
                    0.0,
                    1e9,
                ),
                Port::new("calendar", "Calendar time", "日历时间", "h", 1e-9, 1e9),
            ],
            outputs: &[
                Port::out("utilization", "Utilization", "计划利用率", ""),
                Port::out("teep", "TEEP", "TEEP", ""),
            ],
            formula: Text::new(
                "U = planned/calendar; TEEP = OEE · U.",
                "U = 计划时间/日历时间；TEEP = OEE · U。",
            ),
            references: &[
                Reference {
                    source: "ISO 22400-2:2014",
                    locator: "§5, utilization efficiency",
                },
                Reference {
                    source: "Hansen, R. C., Overall Equipment Effectiveness, Industrial Press, 2001",
                    locator: "ch. 3",
                },
            ],
        },
        eval: Eval::Scalar(teep),
    },
];
