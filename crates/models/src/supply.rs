//! Stock and supply-chain figures: reorder point and order-up-to level, fill rate with
//! normal demand, ABC classification, all-units quantity discounts, inventory turnover,
//! the cash-to-cash cycle, the bullwhip ratio, the centre of gravity of a network, the
//! chargeable weight of a parcel and the cartons that fit in a container.

use crate::stats::{normal_cdf, normal_density, normal_quantile};
use crate::{Eval, Model, card};
use ironloom_core::model::{Datum, Domain, ModelKind, Port, Reference, Refusal, Text};

const SUPPLY_INDUSTRIES: &[&str] = &["C34", "C36", "C39", "F51", "F52", "G59"];
const STOCK: &[Domain] = &[Domain::Logistics, Domain::SupplyChain];
const SILVER: &str = "Silver, E. A., Pyke, D. F., Thomas, D. J., Inventory and Production Management in Supply Chains, 4th ed., CRC Press, 2017";
const CHOPRA: &str = "Chopra, S., Meindl, P., Supply Chain Management: Strategy, Planning, and Operation, 6th ed., Pearson, 2016";
const HEIZER: &str =
    "Heizer, J., Render, B., Munson, C., Operations Management, 12th ed., Pearson, 2017";

fn reorder_point(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (d, sd, l, sl, csl) = (x[0], x[1], x[2], x[3], x[4]);
    let z = normal_quantile(csl);
    let sigma = (l * sd * sd + d * d * sl * sl).sqrt();
    let ss = z * sigma;
    Ok(vec![z, sigma, ss, d * l + ss])
}

fn order_up_to(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (d, sd, r, l, csl) = (x[0], x[1], x[2], x[3], x[4]);
    let z = normal_quantile(csl);
    let ss = z * sd * (r + l).sqrt();
    Ok(vec![ss, d * (r + l) + ss])
}

fn fill_rate(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (q, sigma, k) = (x[0], x[1], x[2]);
    // G(k) = φ(k) − k(1 − Φ(k)), the standard normal loss function.
    let g = normal_density(k) - k * (1.0 - normal_cdf(k));
    let esc = sigma * g;
    Ok(vec![g, esc, (1.0 - esc / q).max(0.0), normal_cdf(k)])
}

fn abc(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    let v = d[0].series();
    let (a_cut, b_cut) = (d[1].scalar(), d[2].scalar());
    if v.is_empty() || v.iter().any(|x| x.is_nan() || *x < 0.0) || a_cut > b_cut {
        return Err(Refusal::new(
            "give each item's yearly value (none negative or missing), and an A cut-off no greater than the B cut-off",
            "请给出各物料的年度金额（不能为负或缺失），且 A 类界限不大于 B 类界限",
        ));
    }
    let total: f64 = v.iter().sum();
    if total <= 0.0 {
        return Err(Refusal::new("the values sum to zero", "金额合计为零"));
    }
    let mut order: Vec<usize> = (0..v.len()).collect();
    order.sort_by(|&i, &j| v[j].total_cmp(&v[i]).then(i.cmp(&j)));
    let mut class = vec![0.0; v.len()];
    let mut cumulative = 0.0;
    let mut counts = [0.0; 3];
    let mut share_a = 0.0;
    for (rank, &i) in order.iter().enumerate() {
        cumulative += v[i] / total;
        // A while the cumulative share, this item included, is within the A cut-off (the
        // largest item always); then B within the B cut-off; then C.
        let c = if rank == 0 || (counts[1] == 0.0 && cumulative <= a_cut + 1e-12) {
            1
        } else if counts[2] == 0.0 && cumulative <= b_cut + 1e-12 {
            2
        } else {
            3
        };
        if c == 1 {
            share_a += v[i] / total;
        }
        class[i] = f64::from(c);
        counts[c as usize - 1] += 1.0;
    }
    Ok(vec![
        Datum::Series(class),
        Datum::Scalar(counts[0]),
        Datum::Scalar(counts[1]),
        Datum::Scalar(counts[2]),
        Datum::Scalar(share_a),
    ])
}

fn all_units_discount(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    let (breaks, prices) = (d[0].series(), d[1].series());
    let (demand, order_cost, rate) = (d[2].scalar(), d[3].scalar(), d[4].scalar());
    let ok = !breaks.is_empty()
        && breaks.len() == prices.len()
        && breaks[0] == 0.0
        && breaks.windows(2).all(|w| w[0] < w[1])
        && prices.iter().all(|p| *p > 0.0);
    if !ok {
        return Err(Refusal::new(
            "give the quantity breaks from 0 upwards and a positive price for each",
            "请从 0 起按递增给出数量折扣点，并为每个区间给出正的单价",
        ));
    }
    let mut best = (f64::INFINITY, 0.0, 0usize);
    for (j, (&b, &c)) in breaks.iter().zip(prices).enumerate() {
        let eoq = (2.0 * demand * order_cost / (rate * c)).sqrt();
        let upper = breaks.get(j + 1).copied().unwrap_or(f64::INFINITY);
        if eoq >= upper {
            continue; // a larger band's price is then cheaper at least at its break.
        }
        let q = eoq.max(b);
        let cost = c * demand + order_cost * demand / q + rate * c * q / 2.0;
        if cost < best.0 {
            best = (cost, q, j);
        }
    }
    let (cost, q, j) = best;
    Ok(vec![
        Datum::Scalar(q),
        Datum::Scalar(prices[j]),
        Datum::Scalar(cost),
        Datum::Scalar(j as f64),
    ])
}

fn turnover(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (cogs, inventory, days) = (x[0], x[1], x[2]);
    let turns = cogs / inventory;
    Ok(vec![turns, days / turns])
}

fn cash_to_cash(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (inventory, receivables, payables, revenue, cogs, days) =
        (x[0], x[1], x[2], x[3], x[4], x[5]);
    let dio = inventory / cogs * days;
    let dso = receivables / revenue * days;
    let dpo = payables / cogs * days;
    Ok(vec![dio, dso, dpo, dio + dso - dpo])
}

fn variance(v: &[f64]) -> f64 {
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)
}

fn bullwhip(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    let clean = |s: &[f64]| {
        s.iter()
            .copied()
            .filter(|v| !v.is_nan())
            .collect::<Vec<f64>>()
    };
    let (orders, demand) = (clean(d[0].series()), clean(d[1].series()));
    if orders.len() < 2 || demand.len() < 2 {
        return Err(Refusal::new(
            "each series needs at least two values",
            "每个序列至少需要两个数值",
        ));
    }
    let (vo, vd) = (variance(&orders), variance(&demand));
    if vd <= 0.0 {
        return Err(Refusal::new("the demand does not vary", "需求没有波动"));
    }
    Ok(vec![
        Datum::Scalar(vo / vd),
        Datum::Scalar(vo),
        Datum::Scalar(vd),
    ])
}

fn centre_of_gravity(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    let (x, y, w) = (d[0].series(), d[1].series(), d[2].series());
    if x.len() != y.len() || x.len() != w.len() || x.is_empty() {
        return Err(Refusal::new(
            "x, y and the loads must have one value per location",
            "x、y 与运量须每个地点各一个值",
        ));
    }
    if x.iter().chain(y).chain(w).any(|v| v.is_nan()) || w.iter().any(|v| *v < 0.0) {
        return Err(Refusal::new(
            "no value may be missing and no load negative",
            "不能有缺失值，运量不能为负",
        ));
    }
    let total: f64 = w.iter().sum();
    if total <= 0.0 {
        return Err(Refusal::new("the loads sum to zero", "运量合计为零"));
    }
    let cx = x.iter().zip(w).map(|(a, b)| a * b).sum::<f64>() / total;
    let cy = y.iter().zip(w).map(|(a, b)| a * b).sum::<f64>() / total;
    let moment: f64 = (0..x.len())
        .map(|i| w[i] * ((x[i] - cx).powi(2) + (y[i] - cy).powi(2)).sqrt())
        .sum();
    Ok(vec![
        Datum::Scalar(cx),
        Datum::Scalar(cy),
        Datum::Scalar(moment),
    ])
}

fn chargeable_weight(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (l, w, h, actual, divisor) = (x[0], x[1], x[2], x[3], x[4]);
    let volumetric = l * w * h / divisor;
    Ok(vec![volumetric, actual.max(volumetric)])
}

fn container_fit(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (cl, cw, ch, bl, bw, bh) = (x[0], x[1], x[2], x[3], x[4], x[5]);
    let dims = [bl, bw, bh];
    let orientations = [
        [0, 1, 2],
        [0, 2, 1],
        [1, 0, 2],
        [1, 2, 0],
        [2, 0, 1],
        [2, 1, 0],
    ];
    let best = orientations
        .iter()
        .map(|o| (cl / dims[o[0]]).floor() * (cw / dims[o[1]]).floor() * (ch / dims[o[2]]).floor())
        .fold(0.0, f64::max);
    Ok(vec![best, best * bl * bw * bh / (cl * cw * ch)])
}

const DEMAND_MEAN: Port = Port::new("d", "Mean demand per period", "每期平均需求", "", 0.0, 1e12);
const DEMAND_SD: Port = Port::new(
    "sigma_d",
    "Standard deviation of demand per period",
    "每期需求标准差",
    "",
    0.0,
    1e12,
);
const CSL: Port = Port::new(
    "CSL",
    "Cycle service level",
    "周期服务水平",
    "",
    0.5,
    0.999_999,
);

pub(crate) const MODELS: &[Model] = &[
    Model {
        card: card(
            "inventory.reorder_point",
            Text::new(
                "Reorder point with uncertain demand and lead time",
                "需求与提前期均不确定时的再订货点",
            ),
            Text::new(
                "Safety stock and reorder point of a continuous-review policy for a cycle service level, when both the demand per period and the lead time vary (normal, independent).",
                "需求与提前期均随机（正态、独立）时，按周期服务水平计算连续检查策略的安全库存和再订货点。",
            ),
            ModelKind::Process,
            SUPPLY_INDUSTRIES,
            STOCK,
            &[
                DEMAND_MEAN,
                DEMAND_SD,
                Port::new(
                    "L",
                    "Mean lead time (periods)",
                    "平均提前期（期）",
                    "",
                    0.0,
                    1e6,
                ),
                Port::new(
                    "sigma_L",
                    "Standard deviation of the lead time (periods)",
                    "提前期标准差（期）",
                    "",
                    0.0,
                    1e6,
                )
                .default(0.0),
                CSL,
            ],
            &[
                Port::out("z", "Safety factor", "安全系数", ""),
                Port::out(
                    "sigma_dL",
                    "Standard deviation of lead-time demand",
                    "提前期需求标准差",
                    "",
                ),
                Port::out("SS", "Safety stock", "安全库存", ""),
                Port::out("ROP", "Reorder point", "再订货点", ""),
            ],
            Text::new(
                "z = Φ⁻¹(CSL); σ_dL = √(L·σ_d² + d²·σ_L²); SS = z·σ_dL; ROP = d·L + SS.",
                "z = Φ⁻¹(CSL)；σ_dL = √(L·σ_d² + d²·σ_L²)；SS = z·σ_dL；ROP = d·L + SS。",
            ),
            &[Reference {
                source: CHOPRA,
                locator: "ch. 12, safety inventory when demand and lead time are uncertain",
            }],
        ),
        eval: Eval::Scalar(reorder_point),
    },
    Model {
        card: card(
            "inventory.order_up_to_periodic",
            Text::new(
                "Order-up-to level of a periodic review",
                "定期检查策略的最高库存水平",
            ),
            Text::new(
                "Safety stock and order-up-to level of a periodic-review policy (review interval plus lead time protected) for a cycle service level.",
                "按周期服务水平计算定期检查策略（保护期为检查周期加提前期）的安全库存和最高库存水平。",
            ),
            ModelKind::Process,
            SUPPLY_INDUSTRIES,
            STOCK,
            &[
                DEMAND_MEAN,
                DEMAND_SD,
                Port::new(
                    "R",
                    "Review interval (periods)",
                    "检查周期（期）",
                    "",
                    0.0,
                    1e6,
                ),
                Port::new("L", "Lead time (periods)", "提前期（期）", "", 0.0, 1e6),
                CSL,
            ],
            &[
                Port::out("SS", "Safety stock", "安全库存", ""),
                Port::out("OUL", "Order-up-to level", "最高库存水平", ""),
            ],
            Text::new(
                "SS = Φ⁻¹(CSL)·σ_d·√(R + L); OUL = d·(R + L) + SS.",
                "SS = Φ⁻¹(CSL)·σ_d·√(R + L)；OUL = d·(R + L) + SS。",
            ),
            &[Reference {
                source: CHOPRA,
                locator: "ch. 12, safety inventory for a periodic review policy",
            }],
        ),
        eval: Eval::Scalar(order_up_to),
    },
    Model {
        card: card(
            "inventory.fill_rate_normal",
            Text::new(
                "Fill rate of an (s, Q) policy with normal demand",
                "(s, Q) 策略的订单满足率（正态需求）",
            ),
            Text::new(
                "Expected shortage per replenishment cycle and the fill rate from the order quantity, the standard deviation of lead-time demand and the safety factor, with the standard normal loss function.",
                "用标准正态损失函数，由订货批量、提前期需求标准差和安全系数计算每个补货周期的期望缺货量和订单满足率。",
            ),
            ModelKind::Process,
            SUPPLY_INDUSTRIES,
            STOCK,
            &[
                Port::new("Q", "Order quantity", "订货批量", "", 1e-12, 1e12),
                Port::new(
                    "sigma_L",
                    "Standard deviation of lead-time demand",
                    "提前期需求标准差",
                    "",
                    0.0,
                    1e12,
                ),
                Port::new("k", "Safety factor", "安全系数", "", -5.0, 8.0),
            ],
            &[
                Port::out("G_k", "Normal loss function G(k)", "正态损失函数 G(k)", ""),
                Port::out("ESC", "Expected shortage per cycle", "每周期期望缺货量", ""),
                Port::out("fill_rate", "Fill rate", "订单满足率", ""),
                Port::out("CSL", "Cycle service level", "周期服务水平", ""),
            ],
            Text::new(
                "G(k) = φ(k) − k[1 − Φ(k)]; ESC = σ_L·G(k); fill rate = 1 − ESC/Q; CSL = Φ(k).",
                "G(k) = φ(k) − k[1 − Φ(k)]；ESC = σ_L·G(k)；满足率 = 1 − ESC/Q；CSL = Φ(k)。",
            ),
            &[Reference {
                source: SILVER,
                locator: "ch. 6, fill rate P₂ of an (s, Q) system with normal lead-time demand",
            }],
        ),
        eval: Eval::Scalar(fill_rate),
    },
    Model {
        card: card(
            "inventory.abc_classification",
            Text::new(
                "ABC classification by yearly value",
                "按年度金额的 ABC 分类",
            ),
            Text::new(
                "Classes A, B and C of stock items by their share of the total yearly value (Pareto): items are taken from the largest, A while the cumulative share including them stays within the A cut-off (the largest item always), then B within the B cut-off.",
                "按各物料年度金额占总额的比例（帕累托）分为 A、B、C 三类：从金额最大者起，含本项的累计占比不超过 A 类界限者为 A 类（金额最大者必为 A 类），其后不超过 B 类界限者为 B 类。",
            ),
            ModelKind::Process,
            SUPPLY_INDUSTRIES,
            &[Domain::Logistics, Domain::SupplyChain, Domain::Management],
            &[
                Port::series("value", "Yearly value of each item", "各物料年度金额", ""),
                Port::new(
                    "A_cut",
                    "Cumulative share for class A",
                    "A 类累计占比界限",
                    "",
                    0.0,
                    1.0,
                )
                .default(0.8),
                Port::new(
                    "B_cut",
                    "Cumulative share for classes A and B",
                    "A、B 类累计占比界限",
                    "",
                    0.0,
                    1.0,
                )
                .default(0.95),
            ],
            &[
                Port::series(
                    "class",
                    "Class of each item (1 = A, 2 = B, 3 = C)",
                    "各物料类别（1 = A，2 = B，3 = C）",
                    "",
                ),
                Port::out("n_A", "Items in A", "A 类数量", ""),
                Port::out("n_B", "Items in B", "B 类数量", ""),
                Port::out("n_C", "Items in C", "C 类数量", ""),
                Port::out("share_A", "Value share of A", "A 类金额占比", ""),
            ],
            Text::new(
                "Sort by value descending; cumulative share up to and including item i: Sᵢ; A if Sᵢ ≤ A_cut (and the first item), B if Sᵢ ≤ B_cut, else C.",
                "按金额降序排列；含第 i 项的累计占比 Sᵢ；Sᵢ ≤ A 界限为 A 类（首项必为 A 类），Sᵢ ≤ B 界限为 B 类，否则为 C 类。",
            ),
            &[
                Reference {
                    source: HEIZER,
                    locator: "ch. 12, ABC analysis",
                },
                Reference {
                    source: "GB/T 18354-2021, 物流术语",
                    locator: "ABC 分类管理 (ABC classification)",
                },
            ],
        ),
        eval: Eval::Data(abc),
    },
    Model {
        card: card(
            "inventory.eoq_all_units_discount",
            Text::new(
                "Order quantity with all-units quantity discounts",
                "全量折扣下的经济订货批量",
            ),
            Text::new(
                "Order quantity and price band that minimise the yearly purchase, ordering and holding cost when the unit price for the whole order falls at quantity breaks.",
                "当整批单价在数量折扣点下降时，求使年采购、订货和持有总成本最低的订货批量和价格区间。",
            ),
            ModelKind::Process,
            SUPPLY_INDUSTRIES,
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
                Port::out("price", "Unit price", "单价", ""),
                Port::out("TC", "Total yearly cost", "年总成本", ""),
                Port::out("band", "Price band (from 0)", "价格区间（自 0 起）", ""),
            ],
            Text::new(
                "For each band j: Q_j = max(√(2DS/(i·c_j)), b_j) if √(2DS/(i·c_j)) < b_(j+1); TC = c_j·D + S·D/Q + i·c_j·Q/2; the least TC wins.",
                "对每个区间 j：若 √(2DS/(i·c_j)) < b_(j+1)，Q_j = max(√(2DS/(i·c_j)), b_j)；TC = c_j·D + S·D/Q + i·c_j·Q/2；取总成本最小者。",
            ),
            &[
                Reference {
                    source: HEIZER,
                    locator: "ch. 12, quantity discount models",
                },
                Reference {
                    source: SILVER,
                    locator: "ch. 5, all-units quantity discounts",
                },
            ],
        ),
        eval: Eval::Data(all_units_discount),
    },
    Model {
        card: card(
            "inventory.turnover",
            Text::new(
                "Inventory turnover and days of inventory",
                "库存周转次数与周转天数",
            ),
            Text::new(
                "Inventory turns in a period (cost of goods sold over average inventory) and the days of supply they mean.",
                "由期内销货成本与平均库存计算库存周转次数及对应的周转天数。",
            ),
            ModelKind::Process,
            SUPPLY_INDUSTRIES,
            &[Domain::Management, Domain::SupplyChain, Domain::Logistics],
            &[
                Port::new(
                    "COGS",
                    "Cost of goods sold in the period",
                    "期内销货成本",
                    "",
                    0.0,
                    1e15,
                ),
                Port::new(
                    "inventory",
                    "Average inventory (at cost)",
                    "平均库存（按成本）",
                    "",
                    1e-12,
                    1e15,
                ),
                Port::new("days", "Days in the period", "期内天数", "", 1.0, 3660.0).default(365.0),
            ],
            &[
                Port::out("turns", "Inventory turns", "库存周转次数", ""),
                Port::out("DIO", "Days of inventory", "库存周转天数", ""),
            ],
            Text::new(
                "Turns = COGS/average inventory; days = period days/turns.",
                "周转次数 = 销货成本/平均库存；周转天数 = 期内天数/周转次数。",
            ),
            &[Reference {
                source: HEIZER,
                locator: "ch. 11, inventory turnover (measuring supply-chain performance)",
            }],
        ),
        eval: Eval::Scalar(turnover),
    },
    Model {
        card: card(
            "supply.cash_to_cash_cycle",
            Text::new("Cash-to-cash cycle time", "现金周转周期"),
            Text::new(
                "Days of inventory, of sales outstanding and of payables outstanding, and the cash-to-cash cycle they make.",
                "计算存货周转天数、应收账款周转天数、应付账款周转天数及由此构成的现金周转周期。",
            ),
            ModelKind::Process,
            SUPPLY_INDUSTRIES,
            &[Domain::Management, Domain::SupplyChain],
            &[
                Port::new("inventory", "Inventory", "存货", "", 0.0, 1e15),
                Port::new(
                    "receivables",
                    "Accounts receivable",
                    "应收账款",
                    "",
                    0.0,
                    1e15,
                ),
                Port::new("payables", "Accounts payable", "应付账款", "", 0.0, 1e15),
                Port::new(
                    "revenue",
                    "Revenue in the period",
                    "期内营业收入",
                    "",
                    1e-12,
                    1e15,
                ),
                Port::new(
                    "COGS",
                    "Cost of goods sold in the period",
                    "期内销货成本",
                    "",
                    1e-12,
                    1e15,
                ),
                Port::new("days", "Days in the period", "期内天数", "", 1.0, 3660.0).default(365.0),
            ],
            &[
                Port::out("DIO", "Days of inventory outstanding", "存货周转天数", ""),
                Port::out("DSO", "Days of sales outstanding", "应收账款周转天数", ""),
                Port::out(
                    "DPO",
                    "Days of payables outstanding",
                    "应付账款周转天数",
                    "",
                ),
                Port::out("C2C", "Cash-to-cash cycle", "现金周转周期", ""),
            ],
            Text::new(
                "DIO = inventory/COGS·days; DSO = receivables/revenue·days; DPO = payables/COGS·days; C2C = DIO + DSO − DPO.",
                "DIO = 存货/销货成本·天数；DSO = 应收/收入·天数；DPO = 应付/销货成本·天数；C2C = DIO + DSO − DPO。",
            ),
            &[
                Reference {
                    source: "APICS (ASCM), Supply Chain Operations Reference Model (SCOR) 12.0, 2017",
                    locator: "asset management efficiency: cash-to-cash cycle time",
                },
                Reference {
                    source: CHOPRA,
                    locator: "ch. 3, financial measures of supply-chain performance",
                },
            ],
        ),
        eval: Eval::Scalar(cash_to_cash),
    },
    Model {
        card: card(
            "supply.bullwhip_ratio",
            Text::new("Bullwhip ratio", "牛鞭效应比"),
            Text::new(
                "Ratio of the variance of the orders a stage places to the variance of the demand it receives (above 1: the stage amplifies variability).",
                "计算某一环节发出订单的方差与其所受需求方差之比（大于 1 表示放大了波动）。",
            ),
            ModelKind::Process,
            SUPPLY_INDUSTRIES,
            &[Domain::SupplyChain],
            &[
                Port::series("orders", "Orders placed per period", "各期发出订单量", ""),
                Port::series("demand", "Demand received per period", "各期所受需求量", ""),
            ],
            &[
                Port::out("ratio", "Bullwhip ratio", "牛鞭效应比", ""),
                Port::out("var_orders", "Variance of orders", "订单方差", ""),
                Port::out("var_demand", "Variance of demand", "需求方差", ""),
            ],
            Text::new(
                "Bullwhip = Var(orders)/Var(demand), sample variances (n − 1); gaps skipped.",
                "牛鞭效应比 = Var(订单)/Var(需求)，样本方差（n − 1）；缺失值跳过。",
            ),
            &[Reference {
                source: "Lee, H. L., Padmanabhan, V., Whang, S., Information distortion in a supply chain: the bullwhip effect, Management Science 43(4), 546–558, 1997",
                locator: "variance amplification of orders over demand",
            }],
        ),
        eval: Eval::Data(bullwhip),
    },
    Model {
        card: card(
            "logistics.centre_of_gravity",
            Text::new("Centre-of-gravity location of a facility", "设施选址重心法"),
            Text::new(
                "Load-weighted centre of the locations a facility serves, and the load-weighted straight-line distance from it.",
                "按运量加权求设施所服务各地点的重心，以及重心到各点的运量加权直线距离之和。",
            ),
            ModelKind::Process,
            SUPPLY_INDUSTRIES,
            &[Domain::Logistics, Domain::SupplyChain],
            &[
                Port::series("x", "x coordinate of each location", "各地点 x 坐标", ""),
                Port::series("y", "y coordinate of each location", "各地点 y 坐标", ""),
                Port::series("w", "Load of each location", "各地点运量", ""),
            ],
            &[
                Port::out("x_c", "Centre x", "重心 x 坐标", ""),
                Port::out("y_c", "Centre y", "重心 y 坐标", ""),
                Port::out(
                    "load_distance",
                    "Σ load × distance from the centre",
                    "Σ 运量 × 距重心距离",
                    "",
                ),
            ],
            Text::new(
                "x_c = Σwᵢxᵢ/Σwᵢ; y_c = Σwᵢyᵢ/Σwᵢ; load-distance = Σwᵢ·√((xᵢ − x_c)² + (yᵢ − y_c)²).",
                "x_c = Σwᵢxᵢ/Σwᵢ；y_c = Σwᵢyᵢ/Σwᵢ；运量距离 = Σwᵢ·√((xᵢ − x_c)² + (yᵢ − y_c)²)。",
            ),
            &[Reference {
                source: HEIZER,
                locator: "ch. 8, the centre-of-gravity method",
            }],
        ),
        eval: Eval::Data(centre_of_gravity),
    },
    Model {
        card: card(
            "logistics.chargeable_weight",
            Text::new(
                "Chargeable weight of a parcel (volumetric weight)",
                "货物计费重量（体积重量）",
            ),
            Text::new(
                "Volumetric weight of a parcel from its dimensions and the carrier's divisor (6000 cm³/kg for air freight), and the chargeable weight, the greater of it and the actual weight.",
                "由货物尺寸和承运人的体积换算系数（航空货运 6000 cm³/kg）计算体积重量，计费重量取其与实际重量中较大者。",
            ),
            ModelKind::Process,
            &["G56", "G54", "G60", "F52"],
            &[Domain::Logistics],
            &[
                Port::new("L", "Length", "长", "cm", 0.0, 1e4),
                Port::new("W", "Width", "宽", "cm", 0.0, 1e4),
                Port::new("H", "Height", "高", "cm", 0.0, 1e4),
                Port::new("actual", "Actual gross weight", "实际毛重", "kg", 0.0, 1e6),
                Port::new(
                    "divisor",
                    "Volumetric divisor",
                    "体积换算系数",
                    "cm3/kg",
                    1.0,
                    1e5,
                )
                .default(6000.0),
            ],
            &[
                Port::out("volumetric", "Volumetric weight", "体积重量", "kg"),
                Port::out("chargeable", "Chargeable weight", "计费重量", "kg"),
            ],
            Text::new(
                "Volumetric weight = L·W·H/divisor; chargeable = max(actual, volumetric).",
                "体积重量 = 长·宽·高/换算系数；计费重量 = max(实际重量, 体积重量)。",
            ),
            &[Reference {
                source: "IATA, The Air Cargo Tariff and Rules (TACT) Rules",
                locator: "volume (dimensional) weight rule: 6000 cm³ per kg",
            }],
        ),
        eval: Eval::Scalar(chargeable_weight),
    },
    Model {
        card: card(
            "logistics.container_fit",
            Text::new(
                "Cartons in a container (one orientation)",
                "集装箱装箱数（单一摆放方向）",
            ),
            Text::new(
                "Most identical cartons that fit in a container or on a pallet footprint stacked in one orientation, out of the six, and the volume utilisation.",
                "在六种摆放方向中取单一方向整齐堆放时可装入集装箱（或托盘空间）的最多相同纸箱数及容积利用率。",
            ),
            ModelKind::Process,
            &["G54", "G55", "G59", "C34"],
            &[Domain::Logistics],
            &[
                Port::new("C_L", "Container inside length", "箱内长", "mm", 1.0, 1e5),
                Port::new("C_W", "Container inside width", "箱内宽", "mm", 1.0, 1e5),
                Port::new("C_H", "Container inside height", "箱内高", "mm", 1.0, 1e5),
                Port::new("b_L", "Carton length", "纸箱长", "mm", 1.0, 1e5),
                Port::new("b_W", "Carton width", "纸箱宽", "mm", 1.0, 1e5),
                Port::new("b_H", "Carton height", "纸箱高", "mm", 1.0, 1e5),
            ],
            &[
                Port::out("cartons", "Cartons", "装箱数", ""),
                Port::out("utilisation", "Volume utilisation", "容积利用率", ""),
            ],
            Text::new(
                "N = max over the six orientations of ⌊L/l⌋·⌊W/w⌋·⌊H/h⌋; utilisation = N·l·w·h/(L·W·H).",
                "N = 六种摆放方向中 ⌊L/l⌋·⌊W/w⌋·⌊H/h⌋ 的最大值；利用率 = N·l·w·h/(L·W·H)。",
            ),
            &[
                Reference {
                    source: "ISO 668:2020, Series 1 freight containers — Classification, dimensions and ratings",
                    locator: "internal dimensions",
                },
                Reference {
                    source: "GB/T 4892-2021, 硬质直方体运输包装尺寸系列",
                    locator: "包装模数与堆码",
                },
            ],
        ),
        eval: Eval::Scalar(container_fit),
    },
];
