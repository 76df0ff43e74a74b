//! Planning and work measurement: the newsvendor with Poisson demand, Wagner–Whitin lot
//! sizing, forecast accuracy and the tracking signal, standard time from a time study,
//! the work-sampling sample size, machines and vehicles required, and the expected
//! warranty returns of a Weibull population.

use crate::stats::normal_quantile;
use crate::{Eval, Model, card};
use ironloom_core::model::{Datum, Domain, ModelKind, Port, Reference, Refusal, Text};

const PLAN_INDUSTRIES: &[&str] = &["C34", "C36", "C38", "C39", "F51", "G54"];
const HEIZER: &str =
    "Heizer, J., Render, B., Munson, C., Operations Management, 12th ed., Pearson, 2017";
const SILVER: &str = "Silver, E. A., Pyke, D. F., Thomas, D. J., Inventory and Production Management in Supply Chains, 4th ed., CRC Press, 2017";

fn newsvendor_poisson(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (mean, over, under) = (x[0], x[1], x[2]);
    if mean > 700.0 {
        return Err(Refusal::new(
            "a mean demand above 700 is beyond the Poisson terms computed here: use the normal newsvendor",
            "平均需求超过 700：请改用正态需求报童模型",
        ));
    }
    let ratio = under / (under + over);
    let mut p = (-mean).exp();
    let mut cdf = p;
    let mut s = 0u32;
    // Σ_{k≤s} (s − k)p_k, for the expected leftover E[(s − D)⁺].
    let mut leftover = 0.0;
    while cdf < ratio && s < 100_000 {
        s += 1;
        leftover += cdf;
        p *= mean / f64::from(s);
        cdf += p;
    }
    let shortage = leftover + mean - f64::from(s);
    Ok(vec![
        ratio,
        f64::from(s),
        cdf,
        over * leftover + under * shortage,
    ])
}

fn wagner_whitin(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    let demand = d[0].series();
    let (setup, hold) = (d[1].scalar(), d[2].scalar());
    if demand.is_empty() || demand.len() > 1000 || demand.iter().any(|v| v.is_nan() || *v < 0.0) {
        return Err(Refusal::new(
            "give 1 to 1000 periods of demand, none negative or missing",
            "请给出 1 至 1000 期需求，不能为负或缺失",
        ));
    }
    let n = demand.len();
    // best[t]: least cost of covering periods 0..t; from[t]: the order period that does it.
    let mut best = vec![0.0; n + 1];
    let mut from = vec![0usize; n + 1];
    for t in 1..=n {
        best[t] = f64::INFINITY;
        for j in 0..t {
            let holding: f64 = (j..t).map(|k| hold * (k - j) as f64 * demand[k]).sum();
            let order_cost = if demand[j..t].iter().any(|v| *v > 0.0) {
                setup
            } else {
                0.0
            };
            let c = best[j] + order_cost + holding;
            if c < best[t] - 1e-12 {
                best[t] = c;
                from[t] = j;
            }
        }
    }
    let mut orders = vec![0.0; n];
    let mut t = n;
    while t > 0 {
        let j = from[t];
        orders[j] = demand[j..t].iter().sum();
        t = j;
    }
    let count = orders.iter().filter(|q| **q > 0.0).count() as f64;
    Ok(vec![
        Datum::Series(orders),
        Datum::Scalar(best[n]),
        Datum::Scalar(count),
    ])
}

fn forecast_accuracy(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    let (actual, forecast) = (d[0].series(), d[1].series());
    let pairs: Vec<(f64, f64)> = actual
        .iter()
        .zip(forecast)
        .filter(|(a, f)| !a.is_nan() && !f.is_nan())
        .map(|(a, f)| (*a, *f))
        .collect();
    if actual.len() != forecast.len() || pairs.is_empty() {
        return Err(Refusal::new(
            "give the actual and forecast values of the same periods",
            "请给出相同期数的实际值与预测值",
        ));
    }
    let n = pairs.len() as f64;
    let errors: Vec<f64> = pairs.iter().map(|(a, f)| a - f).collect();
    let mad = errors.iter().map(|e| e.abs()).sum::<f64>() / n;
    let mse = errors.iter().map(|e| e * e).sum::<f64>() / n;
    let mape = if pairs.iter().any(|(a, _)| *a == 0.0) {
        f64::NAN
    } else {
        100.0 * pairs.iter().map(|(a, f)| ((a - f) / a).abs()).sum::<f64>() / n
    };
    let bias: f64 = errors.iter().sum();
    let signal = if mad > 0.0 { bias / mad } else { 0.0 };
    Ok(vec![
        Datum::Scalar(mad),
        Datum::Scalar(mse),
        Datum::Scalar(mape),
        Datum::Scalar(bias),
        Datum::Scalar(signal),
    ])
}

fn standard_time(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (observed, rating, allowance, basis) = (x[0], x[1], x[2], x[3]);
    let normal = observed * rating;
    let standard = if basis == 0.0 {
        if allowance >= 1.0 {
            return Err(Refusal::new(
                "an allowance on the job time must be below 100 %",
                "按工作时间计的宽放率须小于 100 %",
            ));
        }
        normal / (1.0 - allowance)
    } else {
        normal * (1.0 + allowance)
    };
    Ok(vec![normal, standard])
}

fn work_sampling(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (p, h, confidence) = (x[0], x[1], x[2]);
    let z = normal_quantile(0.5 + confidence / 2.0);
    let n = z * z * p * (1.0 - p) / (h * h);
    Ok(vec![z, n, n.ceil()])
}

fn machines_required(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (demand, time, setup, available, efficiency) = (x[0], x[1], x[2], x[3], x[4]);
    let needed = demand * time + setup;
    let n = needed / (available * efficiency);
    Ok(vec![needed, n, n.ceil()])
}

fn warranty(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (beta, eta, period, units, cost) = (x[0], x[1], x[2], x[3], x[4]);
    // −expm1 keeps the small early-failure shares that 1 − exp(·) would cancel away.
    let f = -(-(period / eta).powf(beta)).exp_m1();
    Ok(vec![f, f * units, f * units * cost])
}

fn oc_curve(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (n, c, p, lot) = (x[0], x[1], x[2], x[3]);
    if n.fract() != 0.0 || c.fract() != 0.0 || c > n || lot < n {
        return Err(Refusal::new(
            "the sample size and acceptance number are whole, c ≤ n ≤ lot size",
            "样本量和接收数须为整数，且 c ≤ n ≤ 批量",
        ));
    }
    let (n_u, c_u) = (n as u32, c as u32);
    // P(X ≤ c) for X ~ Binomial(n, p), terms built one from the next.
    let mut term = (1.0 - p).powi(n_u as i32);
    let mut pa = 0.0;
    for k in 0..=c_u {
        if k > 0 {
            term = if p >= 1.0 {
                0.0
            } else {
                term * f64::from(n_u - k + 1) / f64::from(k) * p / (1.0 - p)
            };
        }
        pa += term;
    }
    let pa = if p >= 1.0 {
        if c_u >= n_u { 1.0 } else { 0.0 }
    } else {
        pa.min(1.0)
    };
    let aoq = pa * p * (lot - n) / lot;
    let ati = n + (1.0 - pa) * (lot - n);
    Ok(vec![pa, aoq, ati])
}

fn taguchi(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (cost, tolerance, target, mean, sd) = (x[0], x[1], x[2], x[3], x[4]);
    let k = cost / (tolerance * tolerance);
    Ok(vec![k, k * (sd * sd + (mean - target).powi(2))])
}

pub(crate) const MODELS: &[Model] = &[
    Model {
        card: card(
            "inventory.newsvendor_poisson",
            Text::new("Newsvendor with Poisson demand", "泊松需求报童模型"),
            Text::new(
                "Order quantity of a single-period item with Poisson demand that meets the critical ratio, with its in-stock probability and expected overage and underage cost.",
                "需求服从泊松分布的单周期物品，求满足临界比的订货量及其不缺货概率和期望过量、不足成本。",
            ),
            ModelKind::Process,
            PLAN_INDUSTRIES,
            &[Domain::SupplyChain, Domain::Logistics],
            &[
                Port::new("mean", "Mean demand", "平均需求", "", 0.0, 700.0),
                Port::new(
                    "c_o",
                    "Overage cost per unit",
                    "单位过量成本",
                    "",
                    0.0,
                    1e12,
                ),
                Port::new(
                    "c_u",
                    "Underage cost per unit",
                    "单位不足成本",
                    "",
                    1e-12,
                    1e12,
                ),
            ],
            &[
                Port::out("ratio", "Critical ratio", "临界比", ""),
                Port::out("S", "Order quantity", "订货量", ""),
                Port::out(
                    "P_in_stock",
                    "Probability of no stock-out",
                    "不缺货概率",
                    "",
                ),
                Port::out(
                    "cost",
                    "Expected overage and underage cost",
                    "期望过量与不足成本",
                    "",
                ),
            ],
            Text::new(
                "S = min{s : F(s) ≥ c_u/(c_u + c_o)}, F Poisson; cost = c_o·E[(S − D)⁺] + c_u·E[(D − S)⁺].",
                "S = min{s : F(s) ≥ c_u/(c_u + c_o)}，F 为泊松分布；成本 = c_o·E[(S − D)⁺] + c_u·E[(D − S)⁺]。",
            ),
            &[Reference {
                source: "Snyder, L. V., Shen, Z.-J. M., Fundamentals of Supply Chain Theory, 2nd ed., Wiley, 2019",
                locator: "ch. 4, the newsvendor problem with discrete demand",
            }],
        ),
        eval: Eval::Scalar(newsvendor_poisson),
    },
    Model {
        card: card(
            "inventory.wagner_whitin",
            Text::new(
                "Dynamic lot sizing (Wagner–Whitin)",
                "动态批量（Wagner–Whitin 算法）",
            ),
            Text::new(
                "Order plan that meets a known demand period by period at the least total setup and holding cost, each order covering whole periods.",
                "在已知各期需求下，求使总订货（生产准备）与持有成本最低的订货计划，每次订货覆盖若干整期。",
            ),
            ModelKind::Process,
            PLAN_INDUSTRIES,
            &[Domain::Production, Domain::SupplyChain],
            &[
                Port::series("demand", "Demand per period", "各期需求", ""),
                Port::new(
                    "S",
                    "Setup (order) cost",
                    "每次订货（准备）成本",
                    "",
                    0.0,
                    1e12,
                ),
                Port::new(
                    "h",
                    "Holding cost per unit per period",
                    "单位每期持有成本",
                    "",
                    0.0,
                    1e12,
                ),
            ],
            &[
                Port::series(
                    "orders",
                    "Quantity ordered in each period",
                    "各期订货量",
                    "",
                ),
                Port::out(
                    "cost",
                    "Total setup and holding cost",
                    "总订货与持有成本",
                    "",
                ),
                Port::out("n_orders", "Orders", "订货次数", ""),
            ],
            Text::new(
                "f(t) = min_{j<t} [f(j) + S + h·Σ_{k=j}^{t−1}(k − j)·d_k], f(0) = 0; the plan is read back from the minimising j.",
                "f(t) = min_{j<t} [f(j) + S + h·Σ_{k=j}^{t−1}(k − j)·d_k]，f(0) = 0；由取最小值的 j 回溯得到订货计划。",
            ),
            &[
                Reference {
                    source: "Wagner, H. M., Whitin, T. M., Dynamic version of the economic lot size model, Management Science 5(1), 89–96, 1958",
                    locator: "the forward algorithm",
                },
                Reference {
                    source: SILVER,
                    locator: "lot sizing with time-varying demand: the Wagner–Whitin algorithm",
                },
            ],
        ),
        eval: Eval::Data(wagner_whitin),
    },
    Model {
        card: card(
            "forecast.tracking_signal",
            Text::new(
                "Forecast accuracy and tracking signal",
                "预测精度与跟踪信号",
            ),
            Text::new(
                "Mean absolute deviation, mean squared error, mean absolute percentage error, the running sum of errors and the tracking signal of a forecast against the actual values.",
                "由实际值与预测值计算平均绝对偏差、均方误差、平均绝对百分比误差、累计预测误差和跟踪信号。",
            ),
            ModelKind::Process,
            PLAN_INDUSTRIES,
            &[Domain::SupplyChain, Domain::Management, Domain::Operations],
            &[
                Port::series("actual", "Actual values", "实际值", ""),
                Port::series("forecast", "Forecast values", "预测值", ""),
            ],
            &[
                Port::out("MAD", "Mean absolute deviation", "平均绝对偏差", ""),
                Port::out("MSE", "Mean squared error", "均方误差", ""),
                Port::out(
                    "MAPE",
                    "Mean absolute percentage error (gap with a zero actual)",
                    "平均绝对百分比误差（实际值为零时为空）",
                    "%",
                ),
                Port::out("RSFE", "Running sum of forecast errors", "累计预测误差", ""),
                Port::out("tracking_signal", "Tracking signal", "跟踪信号", ""),
            ],
            Text::new(
                "e_t = A_t − F_t; MAD = Σ|e|/n; MSE = Σe²/n; MAPE = 100Σ|e/A|/n; tracking signal = Σe/MAD (pairs with a gap skipped).",
                "e_t = A_t − F_t；MAD = Σ|e|/n；MSE = Σe²/n；MAPE = 100Σ|e/A|/n；跟踪信号 = Σe/MAD（含缺失值的期跳过）。",
            ),
            &[Reference {
                source: HEIZER,
                locator: "ch. 4, measuring forecast error and monitoring forecasts (tracking signal)",
            }],
        ),
        eval: Eval::Data(forecast_accuracy),
    },
    Model {
        card: card(
            "workstudy.standard_time",
            Text::new("Standard time from a time study", "由时间研究求标准时间"),
            Text::new(
                "Normal time from the average observed time and the performance rating, and the standard time with the personal, fatigue and delay allowance (as a share of the job time or of the normal time).",
                "由平均观测时间和评比系数求正常时间，并加上个人、疲劳与延迟宽放（按工作时间或正常时间计）得到标准时间。",
            ),
            ModelKind::Process,
            PLAN_INDUSTRIES,
            &[Domain::Operations, Domain::Management, Domain::Production],
            &[
                Port::new(
                    "observed",
                    "Average observed time",
                    "平均观测时间",
                    "min",
                    0.0,
                    1e6,
                ),
                Port::new("rating", "Performance rating", "评比系数", "", 0.01, 5.0),
                Port::new("allowance", "Allowance", "宽放率", "", 0.0, 10.0),
                Port::choice(
                    "basis",
                    "Allowance on",
                    "宽放计算基准",
                    &["job_time", "normal_time"],
                )
                .default(0.0),
            ],
            &[
                Port::out("normal", "Normal time", "正常时间", "min"),
                Port::out("standard", "Standard time", "标准时间", "min"),
            ],
            Text::new(
                "NT = observed·rating; ST = NT/(1 − allowance) on the job time, or NT·(1 + allowance) on the normal time.",
                "NT = 观测时间·评比系数；按工作时间 ST = NT/(1 − 宽放率)，按正常时间 ST = NT·(1 + 宽放率)。",
            ),
            &[
                Reference {
                    source: HEIZER,
                    locator: "Supplement 10, time studies (normal and standard time)",
                },
                Reference {
                    source: "Kanawaty, G. (ed.), Introduction to Work Study, 4th ed., International Labour Office, 1992",
                    locator: "rating and allowances, standard time",
                },
            ],
        ),
        eval: Eval::Scalar(standard_time),
    },
    Model {
        card: card(
            "workstudy.work_sampling_size",
            Text::new("Work-sampling sample size", "工作抽样观测次数"),
            Text::new(
                "Observations needed in a work-sampling study to estimate the share of time spent on an activity within an absolute error at a confidence level.",
                "在给定置信度和绝对误差下，估计某项活动时间占比所需的工作抽样观测次数。",
            ),
            ModelKind::Process,
            PLAN_INDUSTRIES,
            &[Domain::Operations, Domain::Management],
            &[
                Port::new("p", "Estimated share of time", "估计时间占比", "", 0.0, 1.0),
                Port::new(
                    "h",
                    "Acceptable absolute error",
                    "允许绝对误差",
                    "",
                    1e-6,
                    1.0,
                ),
                Port::new("confidence", "Confidence", "置信度", "", 0.5, 0.999_999).default(0.95),
            ],
            &[
                Port::out("z", "Standard normal deviate", "标准正态分位数", ""),
                Port::out("n_exact", "Observations (exact)", "观测次数（精确值）", ""),
                Port::out("n", "Observations", "观测次数", ""),
            ],
            Text::new(
                "n = z²·p(1 − p)/h², z = Φ⁻¹(1/2 + confidence/2).",
                "n = z²·p(1 − p)/h²，z = Φ⁻¹(1/2 + 置信度/2)。",
            ),
            &[Reference {
                source: HEIZER,
                locator: "Supplement 10, work sampling (sample size)",
            }],
        ),
        eval: Eval::Scalar(work_sampling),
    },
    Model {
        card: card(
            "ops.machines_required",
            Text::new("Machines (or workers) required", "所需设备（或人员）数"),
            Text::new(
                "Number of machines or workers needed for a period's demand from the processing time per unit, the setup time, and the available time at an efficiency.",
                "由单件加工时间、准备时间、可用时间和效率计算满足期内需求所需的设备或人员数。",
            ),
            ModelKind::Process,
            PLAN_INDUSTRIES,
            &[Domain::Operations, Domain::Production],
            &[
                Port::new(
                    "demand",
                    "Demand in the period",
                    "期内需求量",
                    "",
                    0.0,
                    1e12,
                ),
                Port::new(
                    "time",
                    "Processing time per unit",
                    "单件加工时间",
                    "h",
                    0.0,
                    1e6,
                ),
                Port::new(
                    "setup",
                    "Setup time in the period",
                    "期内准备时间",
                    "h",
                    0.0,
                    1e9,
                )
                .default(0.0),
                Port::new(
                    "available",
                    "Time available per machine in the period",
                    "每台设备期内可用时间",
                    "h",
                    1e-9,
                    1e9,
                ),
                Port::new(
                    "efficiency",
                    "Efficiency (utilisation)",
                    "效率（利用率）",
                    "",
                    1e-3,
                    1.0,
                )
                .default(1.0),
            ],
            &[
                Port::out("hours", "Hours needed", "所需工时", "h"),
                Port::out("N_exact", "Machines (exact)", "设备数（精确值）", ""),
                Port::out("N", "Machines", "设备数", ""),
            ],
            Text::new(
                "N = (D·t + setup)/(available·efficiency), rounded up.",
                "N = (D·t + 准备时间)/(可用时间·效率)，向上取整。",
            ),
            &[Reference {
                source: HEIZER,
                locator: "Supplement 7, capacity requirements (number of machines)",
            }],
        ),
        eval: Eval::Scalar(machines_required),
    },
    Model {
        card: card(
            "reliability.warranty_returns_weibull",
            Text::new(
                "Expected warranty returns (Weibull)",
                "保修期内预期返修数（威布尔）",
            ),
            Text::new(
                "Share of units that fail within the warranty period for a Weibull life, and the expected returns and warranty cost of a population.",
                "按威布尔寿命计算保修期内失效比例，以及一批产品的预期返修数与保修费用。",
            ),
            ModelKind::Simulation,
            PLAN_INDUSTRIES,
            &[Domain::Service, Domain::Management],
            &[
                Port::new(
                    "beta",
                    "Weibull shape β",
                    "威布尔形状参数 β",
                    "",
                    0.05,
                    20.0,
                ),
                Port::new(
                    "eta",
                    "Weibull scale η",
                    "威布尔尺度参数 η",
                    "h",
                    1e-9,
                    1e12,
                ),
                Port::new("w", "Warranty period", "保修期", "h", 0.0, 1e12),
                Port::new("units", "Units sold", "销售数量", "", 0.0, 1e12),
                Port::new("cost", "Cost per return", "单次返修费用", "", 0.0, 1e12).default(0.0),
            ],
            &[
                Port::out("F_w", "Share failing in warranty", "保修期内失效比例", ""),
                Port::out("returns", "Expected returns", "预期返修数", ""),
                Port::out(
                    "warranty_cost",
                    "Expected warranty cost",
                    "预期保修费用",
                    "",
                ),
            ],
            Text::new(
                "F(w) = 1 − exp[−(w/η)^β]; returns = N·F(w); cost = returns·cost per return (first failures only).",
                "F(w) = 1 − exp[−(w/η)^β]；返修数 = N·F(w)；费用 = 返修数·单次费用（仅计首次失效）。",
            ),
            &[Reference {
                source: "Blischke, W. R., Murthy, D. N. P., Warranty Cost Analysis, Marcel Dekker, 1994",
                locator: "free-replacement warranty, expected number of first failures",
            }],
        ),
        eval: Eval::Scalar(warranty),
    },
    Model {
        card: card(
            "quality.oc_single_sampling",
            Text::new(
                "Operating characteristic of a single sampling plan",
                "一次抽样方案的抽检特性（OC）",
            ),
            Text::new(
                "Probability of accepting a lot at a fraction defective under a single sampling plan (n, c), with the average outgoing quality and the average total inspection under rectifying inspection.",
                "计算一次抽样方案 (n, c) 在给定批不合格品率下的接收概率，以及在整批返修检验下的平均出厂质量和平均总检验量。",
            ),
            ModelKind::Process,
            PLAN_INDUSTRIES,
            &[Domain::SupplyChain, Domain::Production],
            &[
                Port::new("n", "Sample size", "样本量", "", 1.0, 1e5),
                Port::new("c", "Acceptance number", "接收数", "", 0.0, 1e5),
                Port::new("p", "Lot fraction defective", "批不合格品率", "", 0.0, 1.0),
                Port::new("N", "Lot size", "批量", "", 1.0, 1e9).default(1e9),
            ],
            &[
                Port::out("Pa", "Probability of acceptance", "接收概率", ""),
                Port::out("AOQ", "Average outgoing quality", "平均出厂质量", ""),
                Port::out("ATI", "Average total inspection", "平均总检验量", ""),
            ],
            Text::new(
                "P_a = Σ_{k≤c} C(n,k)p^k(1 − p)^(n−k) (binomial); AOQ = P_a·p(N − n)/N; ATI = n + (1 − P_a)(N − n).",
                "P_a = Σ_{k≤c} C(n,k)p^k(1 − p)^(n−k)（二项分布）；AOQ = P_a·p(N − n)/N；ATI = n + (1 − P_a)(N − n)。",
            ),
            &[
                Reference {
                    source: "Montgomery, D. C., Introduction to Statistical Quality Control, 7th ed., Wiley, 2013",
                    locator: "ch. 15, single-sampling plans: the OC curve, AOQ and ATI",
                },
                Reference {
                    source: "ISO 2859-1:1999 (GB/T 2828.1-2012), Sampling procedures for inspection by attributes",
                    locator: "operating characteristic curves",
                },
            ],
        ),
        eval: Eval::Scalar(oc_curve),
    },
    Model {
        card: card(
            "quality.taguchi_loss",
            Text::new("Taguchi quality loss", "田口质量损失函数"),
            Text::new(
                "Loss coefficient from the cost at the tolerance limit, and the expected loss per unit of a process with a mean and standard deviation about a nominal target.",
                "由公差界限处的损失求损失系数，并计算过程在给定均值和标准差下相对名义目标值的单位期望损失。",
            ),
            ModelKind::Simulation,
            PLAN_INDUSTRIES,
            &[Domain::Design, Domain::Production],
            &[
                Port::new(
                    "A0",
                    "Loss at the tolerance limit",
                    "公差界限处的损失",
                    "",
                    0.0,
                    1e12,
                ),
                Port::new(
                    "delta0",
                    "Customer tolerance (half-width)",
                    "顾客容差（半宽）",
                    "",
                    1e-12,
                    1e12,
                ),
                Port::new("m", "Target value", "目标值", "", -1e12, 1e12),
                Port::new("mu", "Process mean", "过程均值", "", -1e12, 1e12),
                Port::new(
                    "sigma",
                    "Process standard deviation",
                    "过程标准差",
                    "",
                    0.0,
                    1e12,
                ),
            ],
            &[
                Port::out("k", "Loss coefficient", "损失系数", ""),
                Port::out("loss", "Expected loss per unit", "单位期望损失", ""),
            ],
            Text::new(
                "k = A₀/Δ₀²; E[L] = k[σ² + (μ − m)²] (nominal-the-best).",
                "k = A₀/Δ₀²；E[L] = k[σ² + (μ − m)²]（望目特性）。",
            ),
            &[Reference {
                source: "Taguchi, G., Elsayed, E. A., Hsiang, T. C., Quality Engineering in Production Systems, McGraw-Hill, 1989",
                locator: "the quadratic loss function, nominal-the-best",
            }],
        ),
        eval: Eval::Scalar(taguchi),
    },
];
