//! Management decisions with a textbook method behind them: the perfect-order rate,
//! weighted factor scoring, the crossover volume of two processes (or make or buy),
//! the multiproduct break-even point, and expected monetary value with the expected
//! value of perfect information.

use crate::{Eval, Model, card};
use ironloom_core::model::{Datum, Domain, ModelKind, Port, Reference, Refusal, Text};

const MANAGEMENT_INDUSTRIES: &[&str] = &["C34", "C36", "C38", "C39", "F51", "H62"];
const HEIZER: &str =
    "Heizer, J., Render, B., Munson, C., Operations Management, 12th ed., Pearson, 2017";

fn refuse(en: &str, zh: &str) -> Refusal {
    Refusal::new(en, zh)
}

fn perfect_order(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    let rates = d[0].series();
    if rates.is_empty() || rates.iter().any(|r| !(0.0..=1.0).contains(r)) {
        return Err(refuse(
            "give each component rate between 0 and 1",
            "各分项合格率须在 0 与 1 之间",
        ));
    }
    let p: f64 = rates.iter().product();
    Ok(vec![Datum::Scalar(p), Datum::Scalar(1e6 * (1.0 - p))])
}

fn weighted_score(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    let (w, s) = (d[0].series(), d[1].series());
    let m = w.len();
    if m == 0 || s.is_empty() || s.len() % m != 0 || w.iter().chain(s).any(|v| v.is_nan()) {
        return Err(refuse(
            "give one weight per factor and the scores of each alternative factor by factor (alternatives one after another)",
            "请为每个因素给出权重，并按方案依次给出各因素评分（评分个数须为因素数的整数倍）",
        ));
    }
    let scores: Vec<f64> = s
        .chunks(m)
        .map(|alt| alt.iter().zip(w).map(|(a, b)| a * b).sum::<f64>())
        .collect();
    let best = scores
        .iter()
        .enumerate()
        .fold((0usize, f64::NEG_INFINITY), |acc, (i, v)| {
            if *v > acc.1 { (i, *v) } else { acc }
        });
    Ok(vec![
        Datum::Series(scores),
        Datum::Scalar((best.0 + 1) as f64),
        Datum::Scalar(best.1),
    ])
}

fn crossover(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (f1, v1, f2, v2) = (x[0], x[1], x[2], x[3]);
    if v1 == v2 {
        return Err(refuse(
            "equal variable costs: the two never cross",
            "单位变动成本相同：两方案成本线不相交",
        ));
    }
    let q = (f2 - f1) / (v1 - v2);
    if q < 0.0 {
        return Err(refuse(
            "one alternative is cheaper at every volume: no crossover",
            "某一方案在任何产量下都更便宜：无交点",
        ));
    }
    Ok(vec![q, f1 + v1 * q])
}

fn multiproduct_breakeven(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    let (price, variable, share) = (d[0].series(), d[1].series(), d[2].series());
    let fixed = d[3].scalar();
    let n = price.len();
    if n == 0 || variable.len() != n || share.len() != n {
        return Err(refuse(
            "give a price, a variable cost and a share of sales for each product",
            "请为每种产品给出单价、单位变动成本和销售额占比",
        ));
    }
    if price.iter().any(|p| p.is_nan() || *p <= 0.0) || share.iter().any(|w| w.is_nan() || *w < 0.0)
    {
        return Err(refuse(
            "prices must be positive and shares not negative",
            "单价须为正，占比不能为负",
        ));
    }
    let total_share: f64 = share.iter().sum();
    let margin: f64 = (0..n)
        .map(|i| (1.0 - variable[i] / price[i]) * share[i] / total_share)
        .sum();
    if margin <= 0.0 {
        return Err(refuse(
            "the weighted contribution margin is not positive: no break-even",
            "加权边际贡献率不为正：无盈亏平衡点",
        ));
    }
    Ok(vec![Datum::Scalar(margin), Datum::Scalar(fixed / margin)])
}

fn emv(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    let (payoff, p) = (d[0].series(), d[1].series());
    let states = p.len();
    if states == 0 || payoff.is_empty() || payoff.len() % states != 0 {
        return Err(refuse(
            "give the payoffs of each alternative for every state, alternatives one after another",
            "请按方案依次给出各自然状态下的收益（收益个数须为状态数的整数倍）",
        ));
    }
    if p.iter().any(|v| !(0.0..=1.0).contains(v)) || (p.iter().sum::<f64>() - 1.0).abs() > 1e-9 {
        return Err(refuse(
            "the probabilities must lie in [0, 1] and sum to 1",
            "各状态概率须在 [0, 1] 内且合计为 1",
        ));
    }
    let rows: Vec<&[f64]> = payoff.chunks(states).collect();
    let values: Vec<f64> = rows
        .iter()
        .map(|r| r.iter().zip(p).map(|(a, b)| a * b).sum())
        .collect();
    let (best, best_value) =
        values
            .iter()
            .enumerate()
            .fold((0usize, f64::NEG_INFINITY), |acc, (i, v)| {
                if *v > acc.1 { (i, *v) } else { acc }
            });
    let with_info: f64 = (0..states)
        .map(|j| p[j] * rows.iter().map(|r| r[j]).fold(f64::NEG_INFINITY, f64::max))
        .sum();
    Ok(vec![
        Datum::Series(values),
        Datum::Scalar((best + 1) as f64),
        Datum::Scalar(best_value),
        Datum::Scalar(with_info),
        Datum::Scalar(with_info - best_value),
    ])
}

fn dupont(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (income, revenue, assets, equity) = (x[0], x[1], x[2], x[3]);
    let margin = income / revenue;
    let turnover = revenue / assets;
    let leverage = assets / equity;
    Ok(vec![
        margin,
        turnover,
        leverage,
        margin * turnover,
        margin * turnover * leverage,
    ])
}

pub(crate) const MODELS: &[Model] = &[
    Model {
        card: card(
            "supply.perfect_order_rate",
            Text::new("Perfect order fulfilment", "完美订单履行率"),
            Text::new(
                "Share of orders delivered complete, on time, undamaged and with the right documents, as the product of the component rates, and the defects per million orders.",
                "以各分项合格率之积计算完整、准时、无损且单据正确的订单比例，以及每百万订单缺陷数。",
            ),
            ModelKind::Process,
            MANAGEMENT_INDUSTRIES,
            &[Domain::SupplyChain, Domain::Management, Domain::Logistics],
            &[Port::series(
                "rates",
                "Rate of each component (complete, on time, undamaged, documents …)",
                "各分项合格率（完整、准时、无损、单据……）",
                "",
            )],
            &[
                Port::out("perfect_order", "Perfect order rate", "完美订单率", ""),
                Port::out(
                    "defects_ppm",
                    "Imperfect orders per million",
                    "每百万订单缺陷数",
                    "",
                ),
            ],
            Text::new(
                "Perfect order = Π rateᵢ (components taken as independent).",
                "完美订单率 = Π 各分项合格率（各分项视为独立）。",
            ),
            &[Reference {
                source: "APICS (ASCM), Supply Chain Operations Reference Model (SCOR) 12.0, 2017",
                locator: "RL.1.1 perfect order fulfilment",
            }],
        ),
        eval: Eval::Data(perfect_order),
    },
    Model {
        card: card(
            "mgmt.weighted_factor_rating",
            Text::new("Weighted factor rating of alternatives", "多因素加权评分"),
            Text::new(
                "Weighted score of each alternative (site, supplier, machine) over the factors, and the best one.",
                "按各因素权重计算每个方案（厂址、供应商、设备）的加权得分，并选出最佳方案。",
            ),
            ModelKind::Process,
            MANAGEMENT_INDUSTRIES,
            &[Domain::Management, Domain::SupplyChain],
            &[
                Port::series("weights", "Weight of each factor", "各因素权重", ""),
                Port::series(
                    "scores",
                    "Scores of each alternative, factor by factor",
                    "各方案按因素依次的评分",
                    "",
                ),
            ],
            &[
                Port::series(
                    "weighted",
                    "Weighted score of each alternative",
                    "各方案加权得分",
                    "",
                ),
                Port::out(
                    "best",
                    "Best alternative (from 1)",
                    "最佳方案（编号从 1 起）",
                    "",
                ),
                Port::out("best_score", "Best weighted score", "最佳加权得分", ""),
            ],
            Text::new(
                "Score_a = Σ wᵢ·s_(a,i) (weights usually summing to 1); the best is the highest (the first on a tie).",
                "得分_a = Σ wᵢ·s_(a,i)（权重通常合计为 1）；取最高者（相同时取靠前者）。",
            ),
            &[Reference {
                source: HEIZER,
                locator: "ch. 8, the factor-rating method (location); ch. 11, supplier evaluation",
            }],
        ),
        eval: Eval::Data(weighted_score),
    },
    Model {
        card: card(
            "ops.crossover_volume",
            Text::new(
                "Crossover volume of two processes (make or buy)",
                "两方案成本交点产量（自制或外购）",
            ),
            Text::new(
                "Volume at which two processes, or making and buying, cost the same, from their fixed and variable costs.",
                "由两个方案（或自制与外购）的固定成本和单位变动成本，求二者总成本相等的产量。",
            ),
            ModelKind::Process,
            MANAGEMENT_INDUSTRIES,
            &[Domain::Management, Domain::Operations, Domain::SupplyChain],
            &[
                Port::new(
                    "F1",
                    "Fixed cost, alternative 1",
                    "方案1固定成本",
                    "",
                    0.0,
                    1e15,
                ),
                Port::new(
                    "V1",
                    "Variable cost per unit, alternative 1",
                    "方案1单位变动成本",
                    "",
                    0.0,
                    1e12,
                ),
                Port::new(
                    "F2",
                    "Fixed cost, alternative 2",
                    "方案2固定成本",
                    "",
                    0.0,
                    1e15,
                ),
                Port::new(
                    "V2",
                    "Variable cost per unit, alternative 2",
                    "方案2单位变动成本",
                    "",
                    0.0,
                    1e12,
                ),
            ],
            &[
                Port::out("Q", "Crossover volume", "交点产量", ""),
                Port::out("cost", "Total cost at the crossover", "交点处总成本", ""),
            ],
            Text::new(
                "F₁ + V₁Q = F₂ + V₂Q ⇒ Q = (F₂ − F₁)/(V₁ − V₂).",
                "F₁ + V₁Q = F₂ + V₂Q ⇒ Q = (F₂ − F₁)/(V₁ − V₂)。",
            ),
            &[Reference {
                source: HEIZER,
                locator: "ch. 7, crossover charts (process selection)",
            }],
        ),
        eval: Eval::Scalar(crossover),
    },
    Model {
        card: card(
            "mgmt.multiproduct_breakeven",
            Text::new("Multiproduct break-even point", "多产品盈亏平衡点"),
            Text::new(
                "Sales revenue at which a product mix breaks even, from each product's price, variable cost and share of sales.",
                "由各产品单价、单位变动成本和销售额占比，计算产品组合的盈亏平衡销售额。",
            ),
            ModelKind::Process,
            MANAGEMENT_INDUSTRIES,
            &[Domain::Management],
            &[
                Port::series("price", "Price of each product", "各产品单价", ""),
                Port::series(
                    "variable",
                    "Variable cost of each product",
                    "各产品单位变动成本",
                    "",
                ),
                Port::series(
                    "share",
                    "Share of sales of each product",
                    "各产品销售额占比",
                    "",
                ),
                Port::new("F", "Fixed cost per period", "期间固定成本", "", 0.0, 1e15),
            ],
            &[
                Port::out(
                    "margin",
                    "Weighted contribution margin ratio",
                    "加权边际贡献率",
                    "",
                ),
                Port::out("BEP", "Break-even sales", "盈亏平衡销售额", ""),
            ],
            Text::new(
                "BEP$ = F/Σ[(1 − Vᵢ/Pᵢ)·Wᵢ], shares normalised to sum 1.",
                "BEP$ = F/Σ[(1 − Vᵢ/Pᵢ)·Wᵢ]，占比归一化。",
            ),
            &[Reference {
                source: HEIZER,
                locator: "Supplement 7, break-even analysis in the multiproduct case",
            }],
        ),
        eval: Eval::Data(multiproduct_breakeven),
    },
    Model {
        card: card(
            "mgmt.expected_monetary_value",
            Text::new(
                "Expected monetary value and value of perfect information",
                "期望货币值与完全信息价值",
            ),
            Text::new(
                "Expected monetary value of each alternative of a decision table, the best one, the expected value with perfect information and the expected value of perfect information.",
                "计算决策表中各方案的期望货币值、最佳方案、完全信息下的期望值及完全信息价值。",
            ),
            ModelKind::Process,
            MANAGEMENT_INDUSTRIES,
            &[Domain::Management, Domain::Operations],
            &[
                Port::series(
                    "payoffs",
                    "Payoffs of each alternative, state by state",
                    "各方案按状态依次的收益",
                    "",
                ),
                Port::series("p", "Probability of each state", "各自然状态概率", ""),
            ],
            &[
                Port::series("EMV", "EMV of each alternative", "各方案期望货币值", ""),
                Port::out(
                    "best",
                    "Best alternative (from 1)",
                    "最佳方案（编号从 1 起）",
                    "",
                ),
                Port::out("EMV_best", "Best EMV", "最佳期望货币值", ""),
                Port::out(
                    "EVwPI",
                    "Expected value with perfect information",
                    "完全信息下的期望值",
                    "",
                ),
                Port::out(
                    "EVPI",
                    "Expected value of perfect information",
                    "完全信息价值",
                    "",
                ),
            ],
            Text::new(
                "EMV_a = Σ pⱼ·x_(a,j); EVwPI = Σ pⱼ·max_a x_(a,j); EVPI = EVwPI − max_a EMV_a.",
                "EMV_a = Σ pⱼ·x_(a,j)；EVwPI = Σ pⱼ·max_a x_(a,j)；EVPI = EVwPI − max_a EMV_a。",
            ),
            &[Reference {
                source: HEIZER,
                locator: "Module A, decision making under risk (EMV, EVPI)",
            }],
        ),
        eval: Eval::Data(emv),
    },
    Model {
        card: card(
            "mgmt.dupont_roe",
            Text::new(
                "Return on equity by the DuPont analysis",
                "杜邦分析：净资产收益率分解",
            ),
            Text::new(
                "Net profit margin, asset turnover and equity multiplier, and the return on assets and on equity they make.",
                "计算销售净利率、总资产周转率和权益乘数，以及由此得到的总资产收益率与净资产收益率。",
            ),
            ModelKind::Process,
            MANAGEMENT_INDUSTRIES,
            &[Domain::Management],
            &[
                Port::new("net_income", "Net income", "净利润", "", -1e15, 1e15),
                Port::new("revenue", "Revenue", "营业收入", "", 1e-12, 1e15),
                Port::new("assets", "Total assets", "总资产", "", 1e-12, 1e15),
                Port::new(
                    "equity",
                    "Shareholders' equity",
                    "股东权益",
                    "",
                    1e-12,
                    1e15,
                ),
            ],
            &[
                Port::out("margin", "Net profit margin", "销售净利率", ""),
                Port::out("asset_turnover", "Asset turnover", "总资产周转率", ""),
                Port::out("equity_multiplier", "Equity multiplier", "权益乘数", ""),
                Port::out("ROA", "Return on assets", "总资产收益率", ""),
                Port::out("ROE", "Return on equity", "净资产收益率", ""),
            ],
            Text::new(
                "ROE = (net income/revenue)·(revenue/assets)·(assets/equity); ROA = margin·turnover.",
                "ROE = (净利润/营业收入)·(营业收入/总资产)·(总资产/股东权益)；ROA = 销售净利率·总资产周转率。",
            ),
            &[Reference {
                source: "Brealey, R. A., Myers, S. C., Allen, F., Principles of Corporate Finance, 12th ed., McGraw-Hill, 2017",
                locator: "ch. 28, the DuPont system (return on assets and on equity)",
            }],
        ),
        eval: Eval::Scalar(dupont),
    },
];
