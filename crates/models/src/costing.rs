//! Purchasing and cost management: incremental quantity discounts, the square-root law
//! of inventory consolidation, the landed cost of an import, total cost of ownership,
//! the weighted average cost of capital, economic value added, and activity-based
//! costing.

use crate::{Eval, Model, card};
use ironloom_core::model::{Datum, Domain, ModelKind, Port, Reference, Refusal, Text};

const COST_INDUSTRIES: &[&str] = &["C34", "C36", "C38", "C39", "F51", "G58"];
const BREALEY: &str = "Brealey, R. A., Myers, S. C., Allen, F., Principles of Corporate Finance, 12th ed., McGraw-Hill, 2017";

fn incremental_discount(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    let (breaks, prices) = (d[0].series(), d[1].series());
    let (demand, order_cost, rate) = (d[2].scalar(), d[3].scalar(), d[4].scalar());
    let ok = !breaks.is_empty()
        && breaks.len() == prices.len()
        && breaks[0] == 0.0
        && breaks.windows(2).all(|w| w[0] < w[1])
        && prices.iter().all(|p| *p > 0.0);
    if !ok {
        return Err(Refusal::new(
            "give the quantity breaks from 0 upwards and a positive price for each band",
            "请从 0 起按递增给出数量折扣点，并为每个区间给出正的单价",
        ));
    }
    // R_j: the cost of buying b_j units, each band at its own price.
    let mut cumulative = vec![0.0; breaks.len()];
    for j in 1..breaks.len() {
        cumulative[j] = cumulative[j - 1] + prices[j - 1] * (breaks[j] - breaks[j - 1]);
    }
    let mut best: Option<(f64, f64, usize)> = None;
    for j in 0..breaks.len() {
        let fixed = order_cost + cumulative[j] - prices[j] * breaks[j];
        let q = (2.0 * demand * fixed / (rate * prices[j])).sqrt();
        let upper = breaks.get(j + 1).copied().unwrap_or(f64::INFINITY);
        if q < breaks[j] || q >= upper {
            continue;
        }
        let purchase = cumulative[j] + prices[j] * (q - breaks[j]);
        let cost = demand * purchase / q + order_cost * demand / q + rate * purchase / 2.0;
        if best.is_none_or(|b| cost < b.0) {
            best = Some((cost, q, j));
        }
    }
    let Some((cost, q, j)) = best else {
        return Err(Refusal::new(
            "no band has its optimum inside it",
            "没有任何价格区间的最优批量落在该区间内",
        ));
    };
    Ok(vec![
        Datum::Scalar(q),
        Datum::Scalar(j as f64),
        Datum::Scalar(cost),
    ])
}

fn square_root_law(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (inventory, n_now, n_new) = (x[0], x[1], x[2]);
    let future = inventory * (n_new / n_now).sqrt();
    Ok(vec![future, inventory - future])
}

fn landed_cost(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (fob, freight, insurance, duty_rate, vat_rate, other) =
        (x[0], x[1], x[2], x[3], x[4], x[5]);
    let cif = fob + freight + insurance;
    let duty = cif * duty_rate;
    let vat = (cif + duty) * vat_rate;
    Ok(vec![cif, duty, vat, cif + duty + other])
}

fn tco(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (price, acquisition, operating, maintenance, years, rate, salvage) =
        (x[0], x[1], x[2], x[3], x[4], x[5], x[6]);
    let annuity = if rate == 0.0 {
        years
    } else {
        (1.0 - (1.0 + rate).powf(-years)) / rate
    };
    let present = price + acquisition + (operating + maintenance) * annuity
        - salvage * (1.0 + rate).powf(-years);
    Ok(vec![present, present / annuity])
}

fn wacc(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (equity, debt, re, rd, tax) = (x[0], x[1], x[2], x[3], x[4]);
    let value = equity + debt;
    if value <= 0.0 {
        return Err(Refusal::new("the capital sums to zero", "资本合计为零"));
    }
    Ok(vec![equity / value * re + debt / value * rd * (1.0 - tax)])
}

fn eva(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (ebit, tax, capital, wacc) = (x[0], x[1], x[2], x[3]);
    let nopat = ebit * (1.0 - tax);
    Ok(vec![
        nopat,
        capital * wacc,
        nopat - capital * wacc,
        nopat / capital,
    ])
}

fn activity_costing(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    let (pools, drivers, usage) = (d[0].series(), d[1].series(), d[2].series());
    let (direct, units) = (d[3].scalar(), d[4].scalar());
    let n = pools.len();
    let bad = n == 0
        || drivers.len() != n
        || usage.len() != n
        || pools.iter().chain(usage).any(|v| v.is_nan() || *v < 0.0)
        || drivers.iter().any(|v| v.is_nan() || *v <= 0.0);
    if bad {
        return Err(Refusal::new(
            "give for each activity its cost, its total driver quantity (positive) and the product's use of it",
            "请为每项作业给出作业成本、作业动因总量（正数）及该产品消耗的动因量",
        ));
    }
    let rates: Vec<f64> = pools.iter().zip(drivers).map(|(c, q)| c / q).collect();
    let overhead: f64 = rates.iter().zip(usage).map(|(r, u)| r * u).sum();
    let total = direct + overhead;
    Ok(vec![
        Datum::Series(rates),
        Datum::Scalar(overhead),
        Datum::Scalar(total),
        Datum::Scalar(total / units),
    ])
}

pub(crate) const MODELS: &[Model] = &[
    Model {
        card: card(
            "inventory.eoq_incremental_discount",
            Text::new(
                "Order quantity with incremental quantity discounts",
                "增量折扣下的经济订货批量",
            ),
            Text::new(
                "Order quantity that minimises the yearly purchase, ordering and holding cost when each band of an order is bought at its own price.",
                "当订单各数量区间分别按本区间单价计价时，求使年采购、订货和持有总成本最低的订货批量。",
            ),
            ModelKind::Process,
            COST_INDUSTRIES,
            &[Domain::SupplyChain, Domain::Logistics],
            &[
                Port::series(
                    "breaks",
                    "Quantity breaks, from 0",
                    "数量折扣点（自 0 起）",
                    "",
                ),
                Port::series("prices", "Unit price in each band", "各区间单价", ""),
                Port::new("D", "Yearly demand", "年需求量", "", 1e-12, 1e15),
                Port::new("S", "Cost per order", "每次订货成本", "", 0.0, 1e12),
                Port::new(
                    "i",
                    "Holding cost rate per year",
                    "年持有成本率",
                    "",
                    1e-9,
                    10.0,
                ),
            ],
            &[
                Port::out("Q", "Order quantity", "订货批量", ""),
                Port::out("band", "Price band (from 0)", "价格区间（自 0 起）", ""),
                Port::out("TC", "Total yearly cost", "年总成本", ""),
            ],
            Text::new(
                "R_j = Σ_{k<j} c_k(b_(k+1) − b_k); Q_j = √(2D(S + R_j − c_j b_j)/(i c_j)), kept if b_j ≤ Q_j < b_(j+1); TC = D·C(Q)/Q + SD/Q + i·C(Q)/2 with C(Q) = R_j + c_j(Q − b_j); the least TC wins.",
                "R_j = Σ_{k<j} c_k(b_(k+1) − b_k)；Q_j = √(2D(S + R_j − c_j b_j)/(i c_j))，当 b_j ≤ Q_j < b_(j+1) 时有效；TC = D·C(Q)/Q + SD/Q + i·C(Q)/2，C(Q) = R_j + c_j(Q − b_j)；取总成本最小者。",
            ),
            &[Reference {
                source: "Snyder, L. V., Shen, Z.-J. M., Fundamentals of Supply Chain Theory, 2nd ed., Wiley, 2019",
                locator: "ch. 3, incremental quantity discounts",
            }],
        ),
        eval: Eval::Data(incremental_discount),
    },
    Model {
        card: card(
            "supply.square_root_law",
            Text::new(
                "Inventory after consolidating stock points (square-root law)",
                "库存集中后的库存量（平方根法则）",
            ),
            Text::new(
                "Safety (or total) inventory expected when the number of stock-holding locations changes, by Maister's square-root law.",
                "按 Maister 平方根法则估算库存点数量变化后的安全（或总）库存量。",
            ),
            ModelKind::Process,
            COST_INDUSTRIES,
            &[Domain::SupplyChain, Domain::Logistics],
            &[
                Port::new("inventory", "Inventory now", "当前库存量", "", 0.0, 1e15),
                Port::new("n_now", "Stock points now", "当前库存点数", "", 1.0, 1e6),
                Port::new(
                    "n_new",
                    "Stock points after",
                    "调整后库存点数",
                    "",
                    1.0,
                    1e6,
                ),
            ],
            &[
                Port::out("inventory_new", "Inventory after", "调整后库存量", ""),
                Port::out(
                    "change",
                    "Reduction (negative: increase)",
                    "减少量（负值为增加）",
                    "",
                ),
            ],
            Text::new(
                "I_new = I_now·√(n_new/n_now) (independent, equally sized markets).",
                "I_new = I_now·√(n_new/n_now)（各市场独立且规模相同）。",
            ),
            &[Reference {
                source: "Maister, D. H., Centralisation of inventories and the 'square root law', International Journal of Physical Distribution 6(3), 124–134, 1976",
                locator: "the square-root law",
            }],
        ),
        eval: Eval::Scalar(square_root_law),
    },
    Model {
        card: card(
            "supply.landed_cost",
            Text::new("Landed cost of imported goods", "进口货物到岸成本"),
            Text::new(
                "Customs value (CIF), import duty, import VAT and the landed cost per unit of imported goods, duty charged on the CIF value and VAT on value plus duty.",
                "计算进口货物的完税价格（CIF）、关税、进口增值税和单位到岸成本：关税以 CIF 为基数，增值税以完税价格加关税为基数。",
            ),
            ModelKind::Process,
            COST_INDUSTRIES,
            &[Domain::SupplyChain, Domain::Management, Domain::Logistics],
            &[
                Port::new("FOB", "Price free on board", "离岸价（FOB）", "", 0.0, 1e12),
                Port::new(
                    "freight",
                    "Freight to the port of entry",
                    "至输入地运费",
                    "",
                    0.0,
                    1e12,
                )
                .default(0.0),
                Port::new("insurance", "Insurance", "保险费", "", 0.0, 1e12).default(0.0),
                Port::new("duty_rate", "Import duty rate", "关税税率", "", 0.0, 10.0),
                Port::new("vat_rate", "Import VAT rate", "进口增值税率", "", 0.0, 1.0)
                    .default(0.13),
                Port::new(
                    "other",
                    "Clearance, handling and inland costs",
                    "清关、装卸与内陆费用",
                    "",
                    0.0,
                    1e12,
                )
                .default(0.0),
            ],
            &[
                Port::out("CIF", "Customs value (CIF)", "完税价格（CIF）", ""),
                Port::out("duty", "Import duty", "关税", ""),
                Port::out(
                    "VAT",
                    "Import VAT (usually recoverable)",
                    "进口增值税（通常可抵扣）",
                    "",
                ),
                Port::out(
                    "landed",
                    "Landed cost, VAT excluded",
                    "到岸成本（不含增值税）",
                    "",
                ),
            ],
            Text::new(
                "CIF = FOB + freight + insurance; duty = CIF·t_d; VAT = (CIF + duty)·t_v; landed = CIF + duty + other.",
                "CIF = FOB + 运费 + 保险费；关税 = CIF·关税税率；增值税 = (CIF + 关税)·增值税率；到岸成本 = CIF + 关税 + 其他费用。",
            ),
            &[
                Reference {
                    source: "中华人民共和国进出口关税条例 (Regulations on Import and Export Duties), 2017 revision",
                    locator: "完税价格（成交价格加运抵输入地点起卸前的运输及其相关费用、保险费）",
                },
                Reference {
                    source: "WTO Agreement on Implementation of Article VII of GATT 1994 (Customs Valuation Agreement)",
                    locator: "Article 8.2, freight and insurance in the customs value",
                },
            ],
        ),
        eval: Eval::Scalar(landed_cost),
    },
    Model {
        card: card(
            "supply.total_cost_of_ownership",
            Text::new(
                "Total cost of ownership of equipment",
                "设备全生命周期拥有成本",
            ),
            Text::new(
                "Present value of buying, running, maintaining and finally selling a machine over its life, and the equivalent yearly cost, to compare suppliers beyond price.",
                "计算设备在寿命期内购置、运行、维护及残值回收的现值与等额年成本，用于超越价格比较供应商。",
            ),
            ModelKind::Process,
            COST_INDUSTRIES,
            &[Domain::SupplyChain, Domain::Management],
            &[
                Port::new("price", "Purchase price", "购置价格", "", 0.0, 1e15),
                Port::new(
                    "acquisition",
                    "One-off acquisition costs",
                    "一次性购置费用",
                    "",
                    0.0,
                    1e15,
                )
                .default(0.0),
                Port::new(
                    "operating",
                    "Operating cost per year",
                    "年运行费用",
                    "",
                    0.0,
                    1e15,
                ),
                Port::new(
                    "maintenance",
                    "Maintenance cost per year",
                    "年维护费用",
                    "",
                    0.0,
                    1e15,
                )
                .default(0.0),
                Port::new("years", "Life (years)", "寿命（年）", "", 1e-3, 100.0),
                Port::new("rate", "Discount rate", "折现率", "", 0.0, 1.0),
                Port::new(
                    "salvage",
                    "Salvage value at the end",
                    "期末残值",
                    "",
                    0.0,
                    1e15,
                )
                .default(0.0),
            ],
            &[
                Port::out(
                    "TCO",
                    "Total cost of ownership (present value)",
                    "全生命周期拥有成本（现值）",
                    "",
                ),
                Port::out("annual", "Equivalent yearly cost", "等额年成本", ""),
            ],
            Text::new(
                "TCO = price + acquisition + (operating + maintenance)·(P/A, r, n) − salvage·(1 + r)⁻ⁿ; yearly = TCO/(P/A, r, n).",
                "TCO = 价格 + 购置费用 + (运行 + 维护)·(P/A, r, n) − 残值·(1 + r)⁻ⁿ；等额年成本 = TCO/(P/A, r, n)。",
            ),
            &[Reference {
                source: "Ellram, L. M., Total cost of ownership: an analysis approach for purchasing, International Journal of Physical Distribution & Logistics Management 25(8), 4–23, 1995",
                locator: "total cost of ownership elements (pre-transaction, transaction, post-transaction)",
            }],
        ),
        eval: Eval::Scalar(tco),
    },
    Model {
        card: card(
            "finance.wacc",
            Text::new("Weighted average cost of capital", "加权平均资本成本"),
            Text::new(
                "After-tax weighted average cost of a firm's equity and debt, the discount rate for its average-risk projects.",
                "计算企业股权与债务的税后加权平均资本成本，作为平均风险项目的折现率。",
            ),
            ModelKind::Process,
            COST_INDUSTRIES,
            &[Domain::Management],
            &[
                Port::new("E", "Market value of equity", "股权市值", "", 0.0, 1e15),
                Port::new("D", "Market value of debt", "债务市值", "", 0.0, 1e15),
                Port::new("r_E", "Cost of equity", "股权资本成本", "", -1.0, 10.0),
                Port::new("r_D", "Cost of debt", "债务资本成本", "", -1.0, 10.0),
                Port::new("T", "Tax rate", "所得税率", "", 0.0, 1.0),
            ],
            &[Port::out(
                "WACC",
                "Weighted average cost of capital",
                "加权平均资本成本",
                "",
            )],
            Text::new(
                "WACC = E/(D + E)·r_E + D/(D + E)·r_D·(1 − T).",
                "WACC = E/(D + E)·r_E + D/(D + E)·r_D·(1 − T)。",
            ),
            &[Reference {
                source: BREALEY,
                locator: "ch. 19, the after-tax weighted-average cost of capital",
            }],
        ),
        eval: Eval::Scalar(wacc),
    },
    Model {
        card: card(
            "finance.eva",
            Text::new("Economic value added", "经济增加值"),
            Text::new(
                "Net operating profit after tax less a charge for the capital employed at the cost of capital, with the return on capital.",
                "税后净营业利润减去按资本成本计算的资本占用费用，并给出资本回报率。",
            ),
            ModelKind::Process,
            COST_INDUSTRIES,
            &[Domain::Management],
            &[
                Port::new(
                    "EBIT",
                    "Operating profit (EBIT)",
                    "息税前利润",
                    "",
                    -1e15,
                    1e15,
                ),
                Port::new("T", "Tax rate", "所得税率", "", 0.0, 1.0),
                Port::new("capital", "Capital employed", "占用资本", "", 1e-12, 1e15),
                Port::new("WACC", "Cost of capital", "资本成本", "", -1.0, 10.0),
            ],
            &[
                Port::out(
                    "NOPAT",
                    "Net operating profit after tax",
                    "税后净营业利润",
                    "",
                ),
                Port::out("capital_charge", "Capital charge", "资本费用", ""),
                Port::out("EVA", "Economic value added", "经济增加值", ""),
                Port::out("ROC", "Return on capital", "资本回报率", ""),
            ],
            Text::new(
                "NOPAT = EBIT·(1 − T); EVA = NOPAT − WACC·capital; ROC = NOPAT/capital.",
                "NOPAT = EBIT·(1 − T)；EVA = NOPAT − WACC·资本；ROC = NOPAT/资本。",
            ),
            &[
                Reference {
                    source: BREALEY,
                    locator: "ch. 28, economic value added (residual income)",
                },
                Reference {
                    source: "国务院国资委, 中央企业负责人经营业绩考核办法, 2019",
                    locator: "经济增加值（EVA）考核",
                },
            ],
        ),
        eval: Eval::Scalar(eva),
    },
    Model {
        card: card(
            "mgmt.activity_based_costing",
            Text::new("Activity-based product cost", "作业成本法产品成本"),
            Text::new(
                "Activity rates from each activity's cost and driver volume, and the overhead, total and unit cost of a product from its use of the drivers.",
                "由各作业成本与动因总量求作业分配率，再按产品消耗的动因量求其间接费用、总成本和单位成本。",
            ),
            ModelKind::Process,
            COST_INDUSTRIES,
            &[Domain::Management],
            &[
                Port::series("activity_cost", "Cost of each activity", "各作业成本", ""),
                Port::series(
                    "driver_total",
                    "Total driver quantity of each activity",
                    "各作业动因总量",
                    "",
                ),
                Port::series(
                    "driver_used",
                    "Driver quantity the product uses",
                    "产品消耗的动因量",
                    "",
                ),
                Port::new(
                    "direct",
                    "Direct cost of the product (material and labour)",
                    "产品直接成本（材料与人工）",
                    "",
                    0.0,
                    1e15,
                )
                .default(0.0),
                Port::new("units", "Units of the product", "产品数量", "", 1e-12, 1e15)
                    .default(1.0),
            ],
            &[
                Port::series("rates", "Activity rates", "作业分配率", ""),
                Port::out("overhead", "Overhead assigned", "分配的间接费用", ""),
                Port::out("total", "Total cost", "总成本", ""),
                Port::out("unit_cost", "Cost per unit", "单位成本", ""),
            ],
            Text::new(
                "rate_k = cost_k/driver_k; overhead = Σ rate_k·use_k; unit cost = (direct + overhead)/units.",
                "分配率_k = 作业成本_k/动因总量_k；间接费用 = Σ 分配率_k·耗用量_k；单位成本 = (直接成本 + 间接费用)/数量。",
            ),
            &[Reference {
                source: "Horngren, C. T., Datar, S. M., Rajan, M. V., Cost Accounting: A Managerial Emphasis, 15th ed., Pearson, 2015",
                locator: "ch. 5, activity-based costing",
            }],
        ),
        eval: Eval::Data(activity_costing),
    },
];
