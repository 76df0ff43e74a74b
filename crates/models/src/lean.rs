//! Production lines and capacity: takt time, line-balance efficiency, Factory Physics'
//! best, worst and practical-worst cases, capacity utilisation and efficiency, Johnson's
//! two-machine sequence, and multifactor productivity.

use crate::{Eval, Model, card};
use ironloom_core::model::{Datum, Domain, ModelKind, Port, Reference, Refusal, Text};

const LINE_INDUSTRIES: &[&str] = &["C34", "C36", "C38", "C39", "C18"];
const LINE: &[Domain] = &[Domain::Production, Domain::Operations];
const HEIZER: &str =
    "Heizer, J., Render, B., Munson, C., Operations Management, 12th ed., Pearson, 2017";
const HOPP: &str = "Hopp, W. J., Spearman, M. L., Factory Physics, 3rd ed., Waveland Press, 2011";

fn takt(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (available, breaks, demand, work) = (x[0], x[1], x[2], x[3]);
    if breaks >= available {
        return Err(Refusal::new(
            "the breaks take up all the available time",
            "休息时间占满了全部可用时间",
        ));
    }
    let takt = (available - breaks) * 60.0 / demand;
    let theoretical = work / takt;
    Ok(vec![takt, theoretical, theoretical.ceil().max(1.0)])
}

fn line_balance(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    let times: Vec<f64> = d[0]
        .series()
        .iter()
        .copied()
        .filter(|v| !v.is_nan())
        .collect();
    if times.is_empty() || times.iter().any(|&t| t < 0.0) {
        return Err(Refusal::new(
            "give each station's work time, none negative",
            "请给出各工位的作业时间，且不能为负",
        ));
    }
    let max = times.iter().copied().fold(0.0, f64::max);
    let cycle = match d[1].scalar() {
        c if c > 0.0 => c,
        _ => max,
    };
    if cycle < max {
        return Err(Refusal::new(
            "a station's time exceeds the cycle time",
            "有工位时间超过节拍（周期时间）",
        ));
    }
    let total: f64 = times.iter().sum();
    let n = times.len() as f64;
    let eff = total / (n * cycle);
    let si = times.iter().map(|t| (max - t).powi(2)).sum::<f64>().sqrt();
    Ok(vec![
        Datum::Scalar(eff),
        Datum::Scalar(1.0 - eff),
        Datum::Scalar(n * cycle - total),
        Datum::Scalar(si),
    ])
}

fn factory_physics(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (rb, t0, w) = (x[0], x[1], x[2]);
    let w0 = rb * t0;
    Ok(vec![
        w0,
        (w / t0).min(rb),
        t0.max(w / rb),
        w / (w0 + w - 1.0) * rb,
        t0 + (w - 1.0) / rb,
        1.0 / t0,
        w * t0,
    ])
}

fn capacity(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (design, effective, actual) = (x[0], x[1], x[2]);
    if effective > design {
        return Err(Refusal::new(
            "the effective capacity cannot exceed the design capacity",
            "有效产能不能超过设计产能",
        ));
    }
    Ok(vec![
        actual / design,
        actual / effective,
        effective / design,
    ])
}

fn johnson(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    let (a, b) = (d[0].series(), d[1].series());
    if a.len() != b.len() || a.is_empty() || a.iter().chain(b).any(|v| v.is_nan() || *v < 0.0) {
        return Err(Refusal::new(
            "give both machines' times for the same jobs, none negative or missing",
            "请给出同一批工件在两台机器上的加工时间，不能为负或缺失",
        ));
    }
    let mut front: Vec<usize> = (0..a.len()).filter(|&j| a[j] < b[j]).collect();
    let mut back: Vec<usize> = (0..a.len()).filter(|&j| a[j] >= b[j]).collect();
    front.sort_by(|&i, &j| a[i].total_cmp(&a[j]).then(i.cmp(&j)));
    back.sort_by(|&i, &j| b[j].total_cmp(&b[i]).then(i.cmp(&j)));
    front.extend(back);
    let (mut end1, mut end2, mut idle2) = (0.0, 0.0, 0.0);
    for &j in &front {
        end1 += a[j];
        if end1 > end2 {
            idle2 += end1 - end2;
            end2 = end1;
        }
        end2 += b[j];
    }
    Ok(vec![
        Datum::Series(front.iter().map(|&j| (j + 1) as f64).collect()),
        Datum::Scalar(end2),
        Datum::Scalar(idle2),
    ])
}

fn productivity(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (output, labour, material, energy, capital, other, hours) =
        (x[0], x[1], x[2], x[3], x[4], x[5], x[6]);
    let inputs = labour + material + energy + capital + other;
    if inputs <= 0.0 {
        return Err(Refusal::new("the inputs sum to zero", "投入合计为零"));
    }
    let per_hour = if hours > 0.0 { output / hours } else { 0.0 };
    Ok(vec![output / inputs, per_hour])
}

pub(crate) const MODELS: &[Model] = &[
    Model {
        card: card(
            "ops.takt_time",
            Text::new("Takt time and minimum workstations", "节拍时间与最少工位数"),
            Text::new(
                "Takt time from the production time available and the demand, and the least number of workstations that can carry the work content at that takt.",
                "由可用生产时间和需求计算节拍时间，以及在该节拍下承担全部作业内容所需的最少工位数。",
            ),
            ModelKind::Process,
            LINE_INDUSTRIES,
            LINE,
            &[
                Port::new(
                    "available",
                    "Time available per period",
                    "每期可用时间",
                    "min",
                    0.0,
                    1e7,
                ),
                Port::new(
                    "breaks",
                    "Planned breaks per period",
                    "每期计划停歇时间",
                    "min",
                    0.0,
                    1e7,
                )
                .default(0.0),
                Port::new("demand", "Demand per period", "每期需求量", "", 1e-9, 1e12),
                Port::new(
                    "work",
                    "Total work content per unit",
                    "单件总作业时间",
                    "s",
                    0.0,
                    1e9,
                )
                .default(0.0),
            ],
            &[
                Port::out("takt", "Takt time", "节拍时间", "s"),
                Port::out(
                    "N_theoretical",
                    "Workstations (theoretical)",
                    "理论工位数",
                    "",
                ),
                Port::out("N_min", "Minimum workstations", "最少工位数", ""),
            ],
            Text::new(
                "Takt = (available − breaks)/demand; N_min = ⌈Σt/takt⌉.",
                "节拍 = (可用时间 − 停歇)/需求量；N_min = ⌈Σt/节拍⌉。",
            ),
            &[Reference {
                source: HEIZER,
                locator: "ch. 9, assembly-line balancing (cycle time and minimum number of workstations)",
            }],
        ),
        eval: Eval::Scalar(takt),
    },
    Model {
        card: card(
            "ops.line_balance_efficiency",
            Text::new(
                "Line-balance efficiency and smoothness",
                "生产线平衡率与平滑指数",
            ),
            Text::new(
                "Balance efficiency, balance delay, idle time per cycle and smoothness index of an assembly line from its stations' work times and the cycle time.",
                "由各工位作业时间和节拍计算装配线的平衡率、平衡损失率、每周期空闲时间和平滑指数。",
            ),
            ModelKind::Process,
            LINE_INDUSTRIES,
            LINE,
            &[
                Port::series(
                    "station_times",
                    "Work time of each station",
                    "各工位作业时间",
                    "s",
                ),
                Port::new(
                    "cycle",
                    "Cycle time (0: the slowest station's)",
                    "节拍（0 表示取最慢工位时间）",
                    "s",
                    0.0,
                    1e9,
                )
                .default(0.0),
            ],
            &[
                Port::out("efficiency", "Balance efficiency", "平衡率", ""),
                Port::out("balance_delay", "Balance delay", "平衡损失率", ""),
                Port::out("idle", "Idle time per cycle", "每周期空闲时间", "s"),
                Port::out("smoothness", "Smoothness index", "平滑指数", "s"),
            ],
            Text::new(
                "E = Σtᵢ/(n·c); balance delay = 1 − E; idle = n·c − Σtᵢ; SI = √Σ(t_max − tᵢ)².",
                "E = Σtᵢ/(n·c)；平衡损失率 = 1 − E；空闲 = n·c − Σtᵢ；SI = √Σ(t_max − tᵢ)²。",
            ),
            &[
                Reference {
                    source: HEIZER,
                    locator: "ch. 9, efficiency of a balanced line",
                },
                Reference {
                    source: "Groover, M. P., Automation, Production Systems, and Computer-Integrated Manufacturing, 4th ed., Pearson, 2015",
                    locator: "ch. 15, line balancing: balance efficiency and balance delay",
                },
            ],
        ),
        eval: Eval::Data(line_balance),
    },
    Model {
        card: card(
            "ops.factory_physics_cases",
            Text::new(
                "Throughput and cycle time: best, worst and practical-worst cases",
                "产出率与周期时间：最佳、最差与实际最差情形",
            ),
            Text::new(
                "Critical WIP, and the throughput and cycle time of a line at a WIP level in the best, practical-worst and worst cases, from its bottleneck rate and raw process time.",
                "由瓶颈速率和原始加工时间计算生产线的临界在制品，以及给定在制品水平下最佳、实际最差和最差情形的产出率与周期时间。",
            ),
            ModelKind::Simulation,
            LINE_INDUSTRIES,
            LINE,
            &[
                Port::new("r_b", "Bottleneck rate", "瓶颈速率", "1/h", 1e-12, 1e9),
                Port::new("T0", "Raw process time", "原始加工时间", "h", 1e-12, 1e9),
                Port::new("w", "WIP level", "在制品水平", "", 1.0, 1e9),
            ],
            &[
                Port::out("W0", "Critical WIP", "临界在制品", ""),
                Port::out("TH_best", "Throughput, best case", "最佳产出率", "1/h"),
                Port::out("CT_best", "Cycle time, best case", "最佳周期时间", "h"),
                Port::out(
                    "TH_pwc",
                    "Throughput, practical worst case",
                    "实际最差产出率",
                    "1/h",
                ),
                Port::out(
                    "CT_pwc",
                    "Cycle time, practical worst case",
                    "实际最差周期时间",
                    "h",
                ),
                Port::out("TH_worst", "Throughput, worst case", "最差产出率", "1/h"),
                Port::out("CT_worst", "Cycle time, worst case", "最差周期时间", "h"),
            ],
            Text::new(
                "W₀ = r_b·T₀; best TH = min(w/T₀, r_b), CT = max(T₀, w/r_b); PWC TH = w·r_b/(W₀ + w − 1), CT = T₀ + (w − 1)/r_b; worst TH = 1/T₀, CT = w·T₀.",
                "W₀ = r_b·T₀；最佳 TH = min(w/T₀, r_b)，CT = max(T₀, w/r_b)；实际最差 TH = w·r_b/(W₀ + w − 1)，CT = T₀ + (w − 1)/r_b；最差 TH = 1/T₀，CT = w·T₀。",
            ),
            &[Reference {
                source: HOPP,
                locator: "ch. 7, basic factory dynamics (best-case, worst-case and practical-worst-case laws)",
            }],
        ),
        eval: Eval::Scalar(factory_physics),
    },
    Model {
        card: card(
            "ops.capacity_utilisation",
            Text::new("Capacity utilisation and efficiency", "产能利用率与效率"),
            Text::new(
                "Utilisation (actual output against design capacity), efficiency (against effective capacity) and the share of the design capacity that is effective.",
                "计算利用率（实际产出与设计产能之比）、效率（与有效产能之比）及有效产能占设计产能的比例。",
            ),
            ModelKind::Process,
            LINE_INDUSTRIES,
            &[Domain::Operations, Domain::Management],
            &[
                Port::new("design", "Design capacity", "设计产能", "", 1e-12, 1e15),
                Port::new(
                    "effective",
                    "Effective capacity",
                    "有效产能",
                    "",
                    1e-12,
                    1e15,
                ),
                Port::new("actual", "Actual output", "实际产出", "", 0.0, 1e15),
            ],
            &[
                Port::out("utilisation", "Utilisation", "利用率", ""),
                Port::out("efficiency", "Efficiency", "效率", ""),
                Port::out(
                    "effective_share",
                    "Effective share of design",
                    "有效产能占比",
                    "",
                ),
            ],
            Text::new(
                "Utilisation = actual/design; efficiency = actual/effective.",
                "利用率 = 实际产出/设计产能；效率 = 实际产出/有效产能。",
            ),
            &[Reference {
                source: HEIZER,
                locator: "Supplement 7, design and effective capacity (utilisation and efficiency)",
            }],
        ),
        eval: Eval::Scalar(capacity),
    },
    Model {
        card: card(
            "ops.johnson_two_machine",
            Text::new(
                "Two-machine flow-shop sequence (Johnson's rule)",
                "两机流水作业排序（Johnson 规则）",
            ),
            Text::new(
                "Job order that minimises the makespan of jobs passing through two machines in the same order, with the makespan and the second machine's idle time.",
                "求同顺序经过两台机器的一批工件使总完工时间最短的加工顺序，并给出总完工时间和第二台机器的空闲时间。",
            ),
            ModelKind::Process,
            LINE_INDUSTRIES,
            LINE,
            &[
                Port::series("t1", "Times on machine 1", "机器1加工时间", "h"),
                Port::series("t2", "Times on machine 2", "机器2加工时间", "h"),
            ],
            &[
                Port::series(
                    "sequence",
                    "Job order (job numbers from 1)",
                    "加工顺序（工件编号从1起）",
                    "",
                ),
                Port::out("makespan", "Makespan", "总完工时间", "h"),
                Port::out("idle_2", "Idle time of machine 2", "机器2空闲时间", "h"),
            ],
            Text::new(
                "Jobs with t₁ < t₂ first, by increasing t₁; then the others by decreasing t₂ (ties by job number); makespan by the two-machine recursion.",
                "t₁ < t₂ 的工件按 t₁ 递增排在前，其余按 t₂ 递减排在后（相等按编号）；按两机递推求总完工时间。",
            ),
            &[
                Reference {
                    source: "Johnson, S. M., Optimal two- and three-stage production schedules with setup times included, Naval Research Logistics Quarterly 1(1), 61–68, 1954",
                    locator: "the two-machine rule",
                },
                Reference {
                    source: HEIZER,
                    locator: "ch. 15, sequencing N jobs on two machines: Johnson's rule",
                },
            ],
        ),
        eval: Eval::Data(johnson),
    },
    Model {
        card: card(
            "ops.multifactor_productivity",
            Text::new(
                "Multifactor and labour productivity",
                "多要素生产率与劳动生产率",
            ),
            Text::new(
                "Multifactor productivity (output per unit of all inputs, in money) and labour productivity (output per labour hour).",
                "计算多要素生产率（单位投入金额的产出）和劳动生产率（每工时产出）。",
            ),
            ModelKind::Process,
            LINE_INDUSTRIES,
            &[Domain::Management, Domain::Operations],
            &[
                Port::new(
                    "output",
                    "Output (units or value)",
                    "产出（数量或价值）",
                    "",
                    0.0,
                    1e15,
                ),
                Port::new("labour", "Labour cost", "人工成本", "", 0.0, 1e15),
                Port::new("material", "Material cost", "材料成本", "", 0.0, 1e15).default(0.0),
                Port::new("energy", "Energy cost", "能源成本", "", 0.0, 1e15).default(0.0),
                Port::new("capital", "Capital cost", "资本成本", "", 0.0, 1e15).default(0.0),
                Port::new("other", "Other inputs", "其他投入", "", 0.0, 1e15).default(0.0),
                Port::new("hours", "Labour hours", "工时", "h", 0.0, 1e12).default(0.0),
            ],
            &[
                Port::out("MFP", "Multifactor productivity", "多要素生产率", ""),
                Port::out(
                    "labour_productivity",
                    "Output per labour hour (0 without hours)",
                    "每工时产出（未给工时为 0）",
                    "1/h",
                ),
            ],
            Text::new(
                "MFP = output/(labour + material + energy + capital + other); labour productivity = output/hours.",
                "多要素生产率 = 产出/(人工 + 材料 + 能源 + 资本 + 其他)；劳动生产率 = 产出/工时。",
            ),
            &[Reference {
                source: HEIZER,
                locator: "ch. 1, productivity measurement (single-factor and multifactor productivity)",
            }],
        ),
        eval: Eval::Scalar(productivity),
    },
];
