//! Reliability and maintenance figures, six-sigma quality metrics, and production
//! management rules of thumb with a textbook behind them.

use crate::stats::{normal_cdf, normal_quantile, normal_sf};
use crate::{Eval, Model, card};
use ironloom_core::model::{Datum, Domain, ModelKind, Port, Reference, Refusal, Text};

const ALL_MANUFACTURING: &[&str] = &["C34", "C36", "C38", "C39", "C26"];
const IEC_61078: &str = "IEC 61078:2016, Reliability block diagrams";
const HEIZER: &str =
    "Heizer, J., Render, B., Munson, C., Operations Management, 12th ed., Pearson, 2017";

fn success_run(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (r, c) = (x[0], x[1]);
    let n = (1.0 - c).ln() / r.ln();
    Ok(vec![n, n.ceil()])
}

fn availability(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (mtbf, mttr) = (x[0], x[1]);
    Ok(vec![mtbf / (mtbf + mttr), mttr / (mtbf + mttr) * 8760.0])
}

fn blocks(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    let r = d[0].series();
    if r.iter().any(|v| !(0.0..=1.0).contains(v)) {
        return Err(Refusal::new(
            "every block reliability must be between 0 and 1",
            "每个单元的可靠度必须在 0 与 1 之间",
        ));
    }
    let series: f64 = r.iter().product();
    let parallel = 1.0 - r.iter().map(|v| 1.0 - v).product::<f64>();
    Ok(vec![Datum::Scalar(series), Datum::Scalar(parallel)])
}

fn k_of_n(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (k, n, r) = (x[0], x[1], x[2]);
    if k.fract() != 0.0 || n.fract() != 0.0 || k > n {
        return Err(Refusal::new(
            "k and n are whole numbers with k ≤ n",
            "k 与 n 须为整数且 k ≤ n",
        ));
    }
    let (k, n) = (k as u32, n as u32);
    // Σ_{i=k}^{n} C(n,i) Rⁱ (1−R)^(n−i), the binomial terms built up one from the next.
    let mut term = (1.0 - r).powi(n as i32);
    let mut total = 0.0;
    for i in 0..=n {
        if i >= k {
            total += term;
        }
        if i < n {
            term = if r == 1.0 {
                if i + 1 == n { 1.0 } else { 0.0 }
            } else {
                term * f64::from(n - i) / f64::from(i + 1) * r / (1.0 - r)
            };
        }
    }
    Ok(vec![total.min(1.0)])
}

fn sigma_to_dpmo(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (z, tails) = (x[0], x[1]);
    let mut p = normal_sf(z - 1.5);
    if tails == 1.0 {
        p += normal_cdf(-(z + 1.5));
    }
    Ok(vec![1e6 * p, 1e6 * (1.0 - p)])
}

fn dpmo(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (defects, units, opportunities) = (x[0], x[1], x[2]);
    let dpmo = 1e6 * defects / (units * opportunities);
    if dpmo >= 1e6 {
        return Err(Refusal::new(
            "more defects than opportunities: no sigma level",
            "缺陷数多于机会数：无法计算西格玛水平",
        ));
    }
    let z = if dpmo <= 0.0 {
        f64::INFINITY
    } else {
        normal_quantile(1.0 - dpmo / 1e6) + 1.5
    };
    if !z.is_finite() {
        return Err(Refusal::new(
            "no defects: the sigma level is unbounded",
            "无缺陷：西格玛水平无上限",
        ));
    }
    Ok(vec![defects / units, dpmo, z])
}

fn rty(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    let y = d[0].series();
    if y.iter().any(|v| !(0.0..=1.0).contains(v)) {
        return Err(Refusal::new(
            "each first-pass yield is between 0 and 1",
            "每道工序直通率须在 0 与 1 之间",
        ));
    }
    Ok(vec![Datum::Scalar(y.iter().product())])
}

fn learning(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (t1, rate, n) = (x[0], x[1], x[2]);
    if n.fract() != 0.0 {
        return Err(Refusal::new("the unit number is whole", "产品序号须为整数"));
    }
    let b = rate.ln() / 2f64.ln();
    let total: f64 = (1..=n as u64).map(|i| t1 * (i as f64).powf(b)).sum();
    Ok(vec![t1 * n.powf(b), total, b])
}

fn breakeven(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (fixed, price, variable) = (x[0], x[1], x[2]);
    if price <= variable {
        return Err(Refusal::new(
            "the price must exceed the variable cost, or no volume breaks even",
            "单价必须高于单位变动成本，否则无盈亏平衡点",
        ));
    }
    Ok(vec![
        fixed / (price - variable),
        fixed / (1.0 - variable / price),
    ])
}

fn kanban(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (d, lead, ss, q) = (x[0], x[1], x[2], x[3]);
    let n = (d * lead + ss) / q;
    Ok(vec![n, n.ceil().max(1.0)])
}

pub(crate) const MODELS: &[Model] = &[
    Model {
        card: card(
            "reliability.success_run",
            Text::new(
                "Zero-failure test sample size (success run)",
                "零失效验证试验样本量",
            ),
            Text::new(
                "Units to test without a failure to show a reliability at a confidence.",
                "在给定置信度下证明可靠度所需的零失效试验样本数。",
            ),
            ModelKind::Simulation,
            ALL_MANUFACTURING,
            &[Domain::Design, Domain::Service],
            &[
                Port::new(
                    "R",
                    "Reliability to show",
                    "需证明的可靠度",
                    "",
                    1e-9,
                    0.999_999_999,
                ),
                Port::new("C", "Confidence", "置信度", "", 1e-9, 0.999_999_999),
            ],
            &[
                Port::out("n_exact", "ln(1 − C)/ln R", "ln(1 − C)/ln R", ""),
                Port::out("n", "Units to test", "试验样本数", ""),
            ],
            Text::new(
                "n = ⌈ln(1 − C)/ln R⌉ (binomial with no failure).",
                "n = ⌈ln(1 − C)/ln R⌉（零失效二项分布）。",
            ),
            &[Reference {
                source: "Kececioglu, D., Reliability Engineering Handbook, vol. 1, Prentice Hall, 1991",
                locator: "success testing",
            }],
        ),
        eval: Eval::Scalar(success_run),
    },
    Model {
        card: card(
            "reliability.availability",
            Text::new(
                "Inherent availability from MTBF and MTTR",
                "由 MTBF 与 MTTR 计算固有可用度",
            ),
            Text::new(
                "Share of time a repairable item is up, and the hours a year it is expected to be down.",
                "可修产品处于可用状态的时间比例及每年预计停机小时数。",
            ),
            ModelKind::Process,
            ALL_MANUFACTURING,
            &[Domain::Operations, Domain::Service],
            &[
                Port::new(
                    "MTBF",
                    "Mean time between failures",
                    "平均故障间隔时间",
                    "h",
                    1e-9,
                    1e12,
                ),
                Port::new(
                    "MTTR",
                    "Mean time to repair",
                    "平均修复时间",
                    "h",
                    0.0,
                    1e12,
                ),
            ],
            &[
                Port::out("A", "Inherent availability", "固有可用度", ""),
                Port::out(
                    "downtime",
                    "Expected downtime a year",
                    "年预计停机时间",
                    "h",
                ),
            ],
            Text::new(
                "A_i = MTBF/(MTBF + MTTR); downtime = 8760 h · MTTR/(MTBF + MTTR).",
                "A_i = MTBF/(MTBF + MTTR)；年停机 = 8760 h · MTTR/(MTBF + MTTR)。",
            ),
            &[Reference {
                source: "IEC 60050-192:2015, International Electrotechnical Vocabulary — Dependability",
                locator: "192-08-01, 192-05-13, 192-07-22",
            }],
        ),
        eval: Eval::Scalar(availability),
    },
    Model {
        card: card(
            "reliability.series_parallel",
            Text::new(
                "Reliability of blocks in series and in parallel",
                "单元串联与并联可靠度",
            ),
            Text::new(
                "System reliability of independent blocks all needed (series) or any one enough (parallel).",
                "独立单元全部需要（串联）或任一即可（并联）时的系统可靠度。",
            ),
            ModelKind::Simulation,
            ALL_MANUFACTURING,
            &[Domain::Design, Domain::Service],
            &[Port::series("R", "Block reliabilities", "各单元可靠度", "")],
            &[
                Port::out("series", "All needed (series)", "串联可靠度", ""),
                Port::out("parallel", "Any one enough (parallel)", "并联可靠度", ""),
            ],
            Text::new(
                "R_series = Π R_i; R_parallel = 1 − Π(1 − R_i).",
                "R_串 = Π R_i；R_并 = 1 − Π(1 − R_i)。",
            ),
            &[Reference {
                source: IEC_61078,
                locator: "§6 and §7, series and parallel structures",
            }],
        ),
        eval: Eval::Data(blocks),
    },
    Model {
        card: card(
            "reliability.k_out_of_n",
            Text::new("k-out-of-n system reliability", "k/n 表决系统可靠度"),
            Text::new(
                "Reliability of n identical independent units of which at least k must work (2oo3 voting, redundant pumps).",
                "n 个相同独立单元中至少 k 个工作时的系统可靠度（三取二表决、冗余泵组）。",
            ),
            ModelKind::Simulation,
            ALL_MANUFACTURING,
            &[Domain::Design, Domain::Service],
            &[
                Port::new("k", "Units needed k", "需工作单元数 k", "", 1.0, 1000.0),
                Port::new("n", "Units installed n", "单元总数 n", "", 1.0, 1000.0),
                Port::new("R", "Unit reliability", "单元可靠度", "", 0.0, 1.0),
            ],
            &[Port::out("R_sys", "System reliability", "系统可靠度", "")],
            Text::new(
                "R_sys = Σ_{i=k}^{n} C(n, i) Rⁱ (1 − R)^(n−i).",
                "R_sys = Σ_{i=k}^{n} C(n, i) Rⁱ (1 − R)^(n−i)。",
            ),
            &[
                Reference {
                    source: IEC_61078,
                    locator: "§7.4, m-out-of-n",
                },
                Reference {
                    source: "Rausand, M., Høyland, A., System Reliability Theory, 2nd ed., Wiley, 2004",
                    locator: "§4.6",
                },
            ],
        ),
        eval: Eval::Scalar(k_of_n),
    },
    Model {
        card: card(
            "quality.sigma_level_to_dpmo",
            Text::new(
                "Sigma level to defects per million opportunities",
                "西格玛水平换算 DPMO",
            ),
            Text::new(
                "Defects per million opportunities of a process at a (long-term shifted) sigma level.",
                "某（考虑长期 1.5σ 漂移的）西格玛水平对应的百万机会缺陷数。",
            ),
            ModelKind::Process,
            ALL_MANUFACTURING,
            &[Domain::Production, Domain::Management],
            &[
                Port::new("sigma", "Sigma level", "西格玛水平", "", 0.0, 12.0),
                Port::choice("tails", "Tails counted", "计入的尾", &["one", "two"]).default(0.0),
            ],
            &[
                Port::out(
                    "dpmo",
                    "Defects per million opportunities",
                    "百万机会缺陷数",
                    "",
                ),
                Port::out("yield_ppm", "Good per million", "每百万合格数", ""),
            ],
            Text::new(
                "DPMO = 10⁶ Φ(−(Z − 1.5)), with the other tail 10⁶ Φ(−(Z + 1.5)) added when both count.",
                "DPMO = 10⁶ Φ(−(Z − 1.5))，计双尾时另加 10⁶ Φ(−(Z + 1.5))。",
            ),
            &[Reference {
                source: "ISO 13053-1:2011, Quantitative methods in process improvement — Six Sigma — Part 1: DMAIC methodology",
                locator: "sigma level and DPMO",
            }],
        ),
        eval: Eval::Scalar(sigma_to_dpmo),
    },
    Model {
        card: card(
            "quality.dpmo",
            Text::new("DPU, DPMO and sigma level", "单位缺陷数、DPMO 与西格玛水平"),
            Text::new(
                "Defects per unit, per million opportunities, and the sigma level (with the 1.5σ shift) from counts.",
                "由计数计算单位缺陷数、百万机会缺陷数及（含 1.5σ 漂移的）西格玛水平。",
            ),
            ModelKind::Process,
            ALL_MANUFACTURING,
            &[Domain::Production, Domain::Management],
            &[
                Port::new("defects", "Defects", "缺陷数", "", 0.0, 1e15),
                Port::new("units", "Units", "单位数", "", 1e-9, 1e15),
                Port::new(
                    "opportunities",
                    "Opportunities per unit",
                    "每单位缺陷机会数",
                    "",
                    1e-9,
                    1e9,
                )
                .default(1.0),
            ],
            &[
                Port::out("dpu", "Defects per unit", "单位缺陷数", ""),
                Port::out(
                    "dpmo",
                    "Defects per million opportunities",
                    "百万机会缺陷数",
                    "",
                ),
                Port::out("sigma", "Sigma level", "西格玛水平", ""),
            ],
            Text::new(
                "DPU = D/U; DPMO = 10⁶ D/(U O); Z = Φ⁻¹(1 − DPMO/10⁶) + 1.5.",
                "DPU = D/U；DPMO = 10⁶ D/(U O)；Z = Φ⁻¹(1 − DPMO/10⁶) + 1.5。",
            ),
            &[Reference {
                source: "ISO 13053-1:2011",
                locator: "DPU, DPMO and sigma level",
            }],
        ),
        eval: Eval::Scalar(dpmo),
    },
    Model {
        card: card(
            "quality.rolled_throughput_yield",
            Text::new("Rolled throughput yield", "滚动直通率"),
            Text::new(
                "Probability that a unit passes every step right first time, from the steps' first-pass yields.",
                "由各工序一次合格率计算产品一次通过全部工序的概率。",
            ),
            ModelKind::Process,
            ALL_MANUFACTURING,
            &[Domain::Production],
            &[Port::series(
                "fpy",
                "First-pass yield of each step",
                "各工序一次合格率",
                "",
            )],
            &[Port::out(
                "rty",
                "Rolled throughput yield",
                "滚动直通率",
                "",
            )],
            Text::new("RTY = Π FPY_i.", "RTY = Π FPY_i。"),
            &[Reference {
                source: "ISO 13053-2:2011, Quantitative methods in process improvement — Six Sigma — Part 2: Tools and techniques",
                locator: "",
            }],
        ),
        eval: Eval::Data(rty),
    },
    Model {
        card: card(
            "ops.learning_curve",
            Text::new(
                "Learning curve (unit time, Crawford)",
                "学习曲线（单件工时，Crawford 模型）",
            ),
            Text::new(
                "Time of the n-th unit and of the first n units when each doubling of output cuts the unit time to a learning rate.",
                "产量每翻一番单位工时按学习率下降时，第 n 件及前 n 件的工时。",
            ),
            ModelKind::Process,
            ALL_MANUFACTURING,
            &[Domain::Operations, Domain::Production],
            &[
                Port::new("T1", "Time of the first unit", "首件工时", "h", 0.0, 1e9),
                Port::new("rate", "Learning rate", "学习率", "", 0.01, 1.0),
                Port::new("n", "Unit number", "产品序号", "", 1.0, 1e6),
            ],
            &[
                Port::out("Tn", "Time of unit n", "第 n 件工时", "h"),
                Port::out("total", "Time of units 1 to n", "前 n 件总工时", "h"),
                Port::out("b", "Exponent b", "指数 b", ""),
            ],
            Text::new(
                "T_n = T₁ n^b, b = ln r / ln 2; total Σ T_i.",
                "T_n = T₁ n^b，b = ln r / ln 2；总工时 Σ T_i。",
            ),
            // The unit-time form the operations textbooks tabulate; Wright's 1936 curve is
            // of the cumulative average, a different model.
            &[
                Reference {
                    source: HEIZER,
                    locator: "module E, learning curves (the unit-time model, T_N = T₁·N^b)",
                },
                Reference {
                    source: "Wright, T. P. (1936), Factors affecting the cost of airplanes, J. Aeronautical Sciences 3(4):122–128",
                    locator: "the doubling rule; Wright's own curve is of the cumulative average",
                },
            ],
        ),
        eval: Eval::Scalar(learning),
    },
    Model {
        card: card(
            "ops.breakeven",
            Text::new("Break-even volume", "盈亏平衡点"),
            Text::new(
                "Volume and revenue at which sales cover fixed and variable costs.",
                "销售收入恰好覆盖固定与变动成本时的产量与收入。",
            ),
            ModelKind::Process,
            ALL_MANUFACTURING,
            &[Domain::Management, Domain::Operations],
            &[
                Port::new("F", "Fixed cost", "固定成本", "", 0.0, 1e15),
                Port::new("P", "Price per unit", "单价", "", 0.0, 1e12),
                Port::new("V", "Variable cost per unit", "单位变动成本", "", 0.0, 1e12),
            ],
            &[
                Port::out("units", "Break-even volume", "盈亏平衡产量", ""),
                Port::out("revenue", "Break-even revenue", "盈亏平衡收入", ""),
            ],
            Text::new(
                "BEP = F/(P − V); revenue = F/(1 − V/P).",
                "BEP = F/(P − V)；收入 = F/(1 − V/P)。",
            ),
            &[Reference {
                source: HEIZER,
                locator: "supplement 7, Eq. S7-3 and S7-4",
            }],
        ),
        eval: Eval::Scalar(breakeven),
    },
    Model {
        card: card(
            "ops.kanban_count",
            Text::new("Number of kanbans", "看板数量"),
            Text::new(
                "Kanban cards (containers) needed to cover demand over the replenishment lead time plus safety stock.",
                "覆盖补货提前期内需求及安全库存所需的看板（容器）数。",
            ),
            ModelKind::Process,
            ALL_MANUFACTURING,
            &[Domain::Production, Domain::Logistics],
            &[
                Port::new("d", "Demand per day", "日需求", "", 0.0, 1e12),
                Port::new("L", "Lead time (days)", "提前期（天）", "", 0.0, 1e6),
                Port::new("SS", "Safety stock", "安全库存", "", 0.0, 1e12).default(0.0),
                Port::new("Q", "Container size", "容器容量", "", 1e-9, 1e12),
            ],
            &[
                Port::out("n_exact", "Kanbans (exact)", "看板数（精确值）", ""),
                Port::out("n", "Kanbans (rounded up)", "看板数（向上取整）", ""),
            ],
            Text::new(
                "N = (d L + SS)/Q, rounded up.",
                "N = (d L + SS)/Q，向上取整。",
            ),
            &[Reference {
                source: HEIZER,
                locator: "ch. 16, Eq. 16-1",
            }],
        ),
        eval: Eval::Scalar(kanban),
    },
];
