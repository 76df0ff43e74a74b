//! Engineering economics for investment and energy-saving decisions: NPV, IRR and
//! payback of a cash-flow series, the interest factors, depreciation by three methods,
//! and the levelised cost of energy.

use crate::{Eval, Model, card};
use ironloom_core::model::{Datum, Domain, ModelKind, Port, Reference, Refusal, Text};

const FINANCE_INDUSTRIES: &[&str] = &["C34", "C38", "C26", "D44", "C31"];
const MANAGEMENT: &[Domain] = &[Domain::Management, Domain::Operations];
const PARK: &str = "Park, C. S., Contemporary Engineering Economics, 6th ed., Pearson, 2016";

fn npv_at(flows: &[f64], rate: f64) -> f64 {
    flows
        .iter()
        .enumerate()
        .map(|(t, c)| c / (1.0 + rate).powi(t as i32))
        .sum()
}

/// The first period at which the cumulative sum turns non-negative, with linear
/// interpolation inside it; -1 when it never does.
fn payback(flows: &[f64]) -> f64 {
    let mut cum = 0.0;
    for (t, &c) in flows.iter().enumerate() {
        let next = cum + c;
        if t > 0 && cum < 0.0 && next >= 0.0 {
            return (t - 1) as f64 + (-cum) / c;
        }
        cum = next;
    }
    if flows.first().is_some_and(|c| *c >= 0.0) {
        0.0
    } else {
        -1.0
    }
}

fn npv_irr(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    let flows = d[0].series();
    let rate = d[1].scalar();
    if flows.len() < 2 || flows.iter().any(|v| v.is_nan()) {
        return Err(Refusal::new(
            "give the cash flow of every period from period 0, none missing",
            "请从第 0 期起给出每期现金流，不能缺失",
        ));
    }
    let npv = npv_at(flows, rate);
    // IRR: bisection on (−0.99, 10) when NPV changes sign there; NaN (a gap) otherwise.
    let (mut lo, mut hi) = (-0.99, 10.0);
    let irr = if npv_at(flows, lo).signum() != npv_at(flows, hi).signum() {
        for _ in 0..300 {
            let mid = 0.5 * (lo + hi);
            if npv_at(flows, mid).signum() == npv_at(flows, lo).signum() {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        0.5 * (lo + hi)
    } else {
        f64::NAN
    };
    let discounted: Vec<f64> = flows
        .iter()
        .enumerate()
        .map(|(t, c)| c / (1.0 + rate).powi(t as i32))
        .collect();
    Ok(vec![
        Datum::Scalar(npv),
        Datum::Scalar(irr),
        Datum::Scalar(payback(flows)),
        Datum::Scalar(payback(&discounted)),
    ])
}

fn factors(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (i, n) = (x[0], x[1]);
    let g = (1.0 + i).powf(n);
    if i == 0.0 {
        return Ok(vec![1.0, 1.0, 1.0 / n, n, 1.0 / n, n]);
    }
    Ok(vec![
        g,
        1.0 / g,
        i * g / (g - 1.0),
        (g - 1.0) / (i * g),
        i / (g - 1.0),
        (g - 1.0) / i,
    ])
}

fn depreciation(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (cost, salvage, life, year, method) = (x[0], x[1], x[2], x[3], x[4]);
    if life.fract() != 0.0 || year.fract() != 0.0 || year > life || salvage > cost {
        return Err(Refusal::new(
            "the life and year are whole, the year within the life, and the salvage no more than the cost",
            "使用年限与年份须为整数，年份不超过年限，残值不超过原值",
        ));
    }
    let (n, k) = (life as u32, year as u32);
    let mut book = cost;
    let mut charge = 0.0;
    for t in 1..=k {
        charge = match method as u32 {
            0 => (cost - salvage) / life,
            1 => (cost - salvage) * f64::from(n - t + 1) / (f64::from(n * (n + 1)) / 2.0),
            // Double-declining balance, never below the salvage value.
            _ => (book * 2.0 / life).min((book - salvage).max(0.0)),
        };
        book -= charge;
    }
    Ok(vec![charge, book])
}

fn lcoe(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (capex, opex, energy, rate, life) = (x[0], x[1], x[2], x[3], x[4]);
    let crf = if rate == 0.0 {
        1.0 / life
    } else {
        let g = (1.0 + rate).powf(life);
        rate * g / (g - 1.0)
    };
    Ok(vec![crf, (capex * crf + opex) / energy])
}

pub(crate) const MODELS: &[Model] = &[
    Model {
        card: card(
            "finance.npv_irr_payback",
            Text::new(
                "NPV, IRR and payback of a project",
                "项目净现值、内部收益率与回收期",
            ),
            Text::new(
                "Net present value at a discount rate, internal rate of return, and simple and discounted payback periods of a cash-flow series from period 0.",
                "由第 0 期起的现金流序列计算给定折现率下的净现值、内部收益率，以及静态与动态投资回收期。",
            ),
            ModelKind::Process,
            FINANCE_INDUSTRIES,
            MANAGEMENT,
            &[
                Port::series(
                    "cash_flows",
                    "Cash flow of each period, from period 0",
                    "各期现金流（自第 0 期起）",
                    "",
                ),
                Port::new(
                    "rate",
                    "Discount rate per period",
                    "每期折现率",
                    "",
                    -0.99,
                    10.0,
                ),
            ],
            &[
                Port::out("NPV", "Net present value", "净现值", ""),
                Port::out(
                    "IRR",
                    "Internal rate of return (gap if none in −99 %…1000 %)",
                    "内部收益率（−99 %…1000 % 内无解时为空）",
                    "",
                ),
                Port::out(
                    "payback",
                    "Simple payback (periods; −1: never)",
                    "静态回收期（期；−1 表示不回收）",
                    "",
                ),
                Port::out(
                    "discounted_payback",
                    "Discounted payback (periods; −1: never)",
                    "动态回收期（期；−1 表示不回收）",
                    "",
                ),
            ],
            Text::new(
                "NPV = Σ C_t/(1 + r)^t; IRR: NPV(IRR) = 0; payback: the period where the cumulative (discounted) flow turns non-negative, interpolated linearly.",
                "NPV = Σ C_t/(1 + r)^t；IRR 使 NPV = 0；回收期：累计（折现）现金流转为非负的时点，期内线性插值。",
            ),
            &[
                Reference {
                    source: PARK,
                    locator: "present-worth analysis, payback period, rate-of-return analysis",
                },
                Reference {
                    source: "国家发展改革委、建设部, 建设项目经济评价方法与参数（第三版）, 2006",
                    locator: "财务净现值、财务内部收益率、投资回收期",
                },
            ],
        ),
        eval: Eval::Data(npv_irr),
    },
    Model {
        card: card(
            "finance.interest_factors",
            Text::new("Compound-interest factors", "复利系数"),
            Text::new(
                "The six discrete compound-interest factors for an interest rate and a number of periods.",
                "给定利率和期数时的六个离散复利系数。",
            ),
            ModelKind::Process,
            FINANCE_INDUSTRIES,
            MANAGEMENT,
            &[
                Port::new("i", "Interest rate per period", "每期利率", "", 0.0, 10.0),
                Port::new("n", "Number of periods", "期数", "", 1e-9, 1000.0),
            ],
            &[
                Port::out(
                    "F_P",
                    "Single-payment compound amount (F/P)",
                    "一次支付终值系数 (F/P)",
                    "",
                ),
                Port::out(
                    "P_F",
                    "Single-payment present worth (P/F)",
                    "一次支付现值系数 (P/F)",
                    "",
                ),
                Port::out("A_P", "Capital recovery (A/P)", "资本回收系数 (A/P)", ""),
                Port::out(
                    "P_A",
                    "Series present worth (P/A)",
                    "等额分付现值系数 (P/A)",
                    "",
                ),
                Port::out("A_F", "Sinking fund (A/F)", "偿债基金系数 (A/F)", ""),
                Port::out(
                    "F_A",
                    "Series compound amount (F/A)",
                    "等额分付终值系数 (F/A)",
                    "",
                ),
            ],
            Text::new(
                "F/P = (1+i)ⁿ; P/F = (1+i)⁻ⁿ; A/P = i(1+i)ⁿ/((1+i)ⁿ − 1); P/A = 1/(A/P); A/F = i/((1+i)ⁿ − 1); F/A = 1/(A/F).",
                "F/P = (1+i)ⁿ；P/F = (1+i)⁻ⁿ；A/P = i(1+i)ⁿ/((1+i)ⁿ − 1)；P/A = 1/(A/P)；A/F = i/((1+i)ⁿ − 1)；F/A = 1/(A/F)。",
            ),
            &[Reference {
                source: PARK,
                locator: "interest formulas for discrete compounding",
            }],
        ),
        eval: Eval::Scalar(factors),
    },
    Model {
        card: card(
            "finance.depreciation",
            Text::new("Depreciation of equipment", "设备折旧"),
            Text::new(
                "Depreciation charge in a year and the book value at its end by the straight-line, sum-of-years'-digits or double-declining-balance method.",
                "按直线法、年数总和法或双倍余额递减法计算某年折旧额及年末账面价值。",
            ),
            ModelKind::Process,
            FINANCE_INDUSTRIES,
            MANAGEMENT,
            &[
                Port::new("cost", "Original cost", "原值", "", 0.0, 1e15),
                Port::new("salvage", "Salvage value", "残值", "", 0.0, 1e15).default(0.0),
                Port::new(
                    "life",
                    "Useful life (years)",
                    "使用年限（年）",
                    "",
                    1.0,
                    200.0,
                ),
                Port::new("year", "Year", "年份", "", 1.0, 200.0),
                Port::choice(
                    "method",
                    "Method",
                    "方法",
                    &[
                        "straight_line",
                        "sum_of_years_digits",
                        "double_declining_balance",
                    ],
                ),
            ],
            &[
                Port::out("charge", "Depreciation in the year", "当年折旧额", ""),
                Port::out(
                    "book_value",
                    "Book value at the year's end",
                    "年末账面价值",
                    "",
                ),
            ],
            Text::new(
                "Straight line (P − S)/N; sum of years' digits (P − S)(N − t + 1)/(N(N + 1)/2); double declining 2B_(t−1)/N, not below the salvage.",
                "直线法 (P − S)/N；年数总和法 (P − S)(N − t + 1)/(N(N + 1)/2)；双倍余额递减法 2B_(t−1)/N，不低于残值。",
            ),
            &[
                Reference {
                    source: PARK,
                    locator: "book depreciation methods",
                },
                Reference {
                    source: "财政部, 企业会计准则第4号——固定资产, 2006",
                    locator: "第十七条（折旧方法）",
                },
            ],
        ),
        eval: Eval::Scalar(depreciation),
    },
    Model {
        card: card(
            "finance.lcoe",
            Text::new("Levelised cost of energy", "平准化度电（能源）成本"),
            Text::new(
                "Levelised cost of the energy a plant produces, from its investment (annualised by the capital recovery factor), yearly operating cost and yearly output.",
                "由投资（按资本回收系数年化）、年运行费用和年产出能量计算平准化能源成本。",
            ),
            ModelKind::Process,
            &["D44", "C38", "C26", "C34"],
            MANAGEMENT,
            &[
                Port::new("capex", "Investment", "初始投资", "", 0.0, 1e15),
                Port::new(
                    "opex",
                    "Operating cost per year",
                    "年运行费用",
                    "",
                    0.0,
                    1e15,
                ),
                Port::new(
                    "energy",
                    "Energy produced per year",
                    "年产出能量",
                    "kWh",
                    1e-9,
                    1e15,
                ),
                Port::new("rate", "Discount rate", "折现率", "", 0.0, 1.0),
                Port::new("life", "Life (years)", "寿命（年）", "", 1.0, 100.0),
            ],
            &[
                Port::out("CRF", "Capital recovery factor", "资本回收系数", ""),
                Port::out(
                    "LCOE",
                    "Levelised cost per kWh",
                    "平准化成本（每 kWh）",
                    "1/kWh",
                ),
            ],
            Text::new(
                "LCOE = (CRF·capex + opex)/E, CRF = r(1 + r)ⁿ/((1 + r)ⁿ − 1).",
                "LCOE = (CRF·投资 + 年运行费用)/E，CRF = r(1 + r)ⁿ/((1 + r)ⁿ − 1)。",
            ),
            &[Reference {
                source: "Short, W., Packey, D. J., Holt, T., A Manual for the Economic Evaluation of Energy Efficiency and Renewable Energy Technologies, NREL/TP-462-5173, 1995",
                locator: "levelised cost of energy (constant annual output and cost)",
            }],
        ),
        eval: Eval::Scalar(lcoe),
    },
];
