//! Operations and supply chain: lot sizing (EOQ and its variants), safety stock and the
//! reorder point, the newsvendor, and waiting lines (M/M/1, M/M/c with Erlang C, Erlang B,
//! M/D/1).

use crate::stats::{normal_density, normal_quantile};
use crate::{Eval, Model, card};
use ironloom_core::model::{Domain, ModelCard, ModelKind, Port, Reference, Refusal, Text};

const SNYDER: &str =
    "Snyder, L. V., Shen, Z.-J. M., Fundamentals of Supply Chain Theory, 2nd ed., Wiley, 2019";
const HEIZER: &str =
    "Heizer, J., Render, B., Munson, C., Operations Management, 12th ed., Pearson, 2017";
const GROSS: &str = "Gross, D., Shortle, J. F., Thompson, J. M., Harris, C. M., Fundamentals of Queueing Theory, 4th ed., Wiley, 2008";
const STOCK_INDUSTRIES: &[&str] = &["C34", "C38", "C39", "F51", "G59"];
const QUEUE_INDUSTRIES: &[&str] = &["C34", "G59", "I63", "O81"];

fn eoq(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (d, s, h) = (x[0], x[1], x[2]);
    let q = (2.0 * d * s / h).sqrt();
    Ok(vec![q, h * q, d / q, q / d])
}

fn eoq_backorders(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (d, s, h, p) = (x[0], x[1], x[2], x[3]);
    let q = (2.0 * s * d * (h + p) / (h * p)).sqrt();
    let frac = h / (h + p);
    Ok(vec![
        q,
        frac,
        q * frac,
        (2.0 * s * d * h * p / (h + p)).sqrt(),
    ])
}

fn epq(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (d, s, h, rate) = (x[0], x[1], x[2], x[3]);
    if rate <= d {
        return Err(Refusal::new(
            "the production rate must exceed the demand rate",
            "生产速率必须大于需求速率",
        ));
    }
    let k = 1.0 - d / rate;
    let q = (2.0 * s * d / (h * k)).sqrt();
    Ok(vec![q, (2.0 * s * d * h * k).sqrt(), q * k])
}

fn safety_stock(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (level, mean, sd, lead, sd_lead) = (x[0], x[1], x[2], x[3], x[4]);
    let z = normal_quantile(level);
    let sigma = (lead * sd * sd + mean * mean * sd_lead * sd_lead).sqrt();
    let ss = z * sigma;
    Ok(vec![ss, z, sigma, mean * lead + ss])
}

fn newsvendor(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (h, p, mu, sigma) = (x[0], x[1], x[2], x[3]);
    let ratio = p / (p + h);
    let z = normal_quantile(ratio);
    Ok(vec![
        mu + sigma * z,
        ratio,
        z,
        (p + h) * sigma * normal_density(z),
    ])
}

fn stable(lambda: f64, capacity: f64) -> Result<(), Refusal> {
    if lambda >= capacity {
        return Err(Refusal::new(
            format!(
                "arrivals ({lambda}) must be fewer than the service capacity ({capacity}): the queue would grow without end"
            ),
            format!("到达率（{lambda}）必须小于服务能力（{capacity}）：否则队列无限增长"),
        ));
    }
    Ok(())
}

fn mm1(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (l, m) = (x[0], x[1]);
    stable(l, m)?;
    let rho = l / m;
    Ok(vec![
        rho,
        l / (m - l),
        l * l / (m * (m - l)),
        1.0 / (m - l),
        l / (m * (m - l)),
        1.0 - rho,
    ])
}

/// Erlang C: the probability that an arrival waits, a = λ/μ offered load, c servers.
fn erlang_c(a: f64, c: usize) -> f64 {
    // Through Erlang B's recursion (no factorials): C = cB/(c − a(1 − B)).
    let b = erlang_b(a, c);
    let cf = c as f64;
    cf * b / (cf - a * (1.0 - b))
}

fn erlang_b(a: f64, c: usize) -> f64 {
    let mut b = 1.0;
    for n in 1..=c {
        b = a * b / (n as f64 + a * b);
    }
    b
}

fn servers(c: f64) -> Result<usize, Refusal> {
    if c.fract() != 0.0 {
        return Err(Refusal::new(
            format!("the number of servers must be whole, not {c}"),
            format!("服务台数必须是整数，而不是 {c}"),
        ));
    }
    Ok(c as usize)
}

fn mmc(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (l, m, c, t) = (x[0], x[1], servers(x[2])?, x[3]);
    stable(l, m * c as f64)?;
    let a = l / m;
    let pw = erlang_c(a, c);
    let lq = pw * a / (c as f64 - a);
    let wq = lq / l;
    // P0 from the same quantities: P(wait) = a^c/(c!(1−ρ)) P0.
    let rho = a / c as f64;
    let mut term = 1.0;
    for n in 1..=c {
        term *= a / n as f64;
    }
    let p0 = pw * (1.0 - rho) / term;
    let service_level = 1.0 - pw * (-(c as f64 * m - l) * t).exp();
    Ok(vec![
        rho,
        pw,
        lq,
        wq,
        lq + a,
        wq + 1.0 / m,
        p0,
        service_level,
    ])
}

fn erlang_b_model(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (a, c) = (x[0], servers(x[1])?);
    let b = erlang_b(a, c);
    Ok(vec![b, a * (1.0 - b)])
}

fn md1(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (l, m) = (x[0], x[1]);
    stable(l, m)?;
    let lq = l * l / (2.0 * m * (m - l));
    let wq = lq / l;
    Ok(vec![lq, wq, lq + l / m, wq + 1.0 / m])
}

const fn stock_card(
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
        ModelKind::Process,
        STOCK_INDUSTRIES,
        &[Domain::Logistics, Domain::SupplyChain],
        inputs,
        outputs,
        formula,
        references,
    )
}

const fn queue_card(
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
        ModelKind::Process,
        QUEUE_INDUSTRIES,
        &[Domain::Operations, Domain::Service],
        inputs,
        outputs,
        formula,
        references,
    )
}

const DEMAND: Port = Port::new("D", "Demand rate", "需求速率", "1/a", 1e-12, 1e15);
const ORDER_COST: Port = Port::new(
    "S",
    "Fixed cost per order",
    "每次订货固定成本",
    "",
    0.0,
    1e12,
);
const HOLDING: Port = Port::new(
    "H",
    "Holding cost per unit and year",
    "单位年持有成本",
    "1/a",
    1e-12,
    1e12,
);
const LAMBDA: Port = Port::new("lambda", "Arrival rate", "到达率", "1/h", 1e-12, 1e12);
const MU: Port = Port::new(
    "mu",
    "Service rate of one server",
    "单台服务速率",
    "1/h",
    1e-12,
    1e12,
);

pub(crate) const MODELS: &[Model] = &[
    Model {
        card: stock_card(
            "inventory.eoq",
            Text::new("Economic order quantity (EOQ)", "经济订货批量 EOQ"),
            Text::new(
                "The order size that balances ordering and holding costs, with the yearly cost, orders a year and the cycle.",
                "使订货成本与持有成本平衡的订货批量，以及年成本、年订货次数和订货周期。",
            ),
            &[DEMAND, ORDER_COST, HOLDING],
            &[
                Port::out("Q", "Order quantity", "订货批量", ""),
                Port::out(
                    "cost",
                    "Yearly ordering and holding cost",
                    "年订货与持有成本",
                    "1/a",
                ),
                Port::out("orders", "Orders a year", "年订货次数", "1/a"),
                Port::out("cycle", "Time between orders", "订货周期", "a"),
            ],
            Text::new(
                "Q* = √(2DS/H); g* = √(2SDH) = HQ*; N = D/Q*; T = Q*/D.",
                "Q* = √(2DS/H)；g* = √(2SDH) = HQ*；N = D/Q*；T = Q*/D。",
            ),
            &[
                Reference {
                    source: SNYDER,
                    locator: "§3.2, Eq. 3.4–3.5",
                },
                Reference {
                    source: "Harris, F. W. (1913), How many parts to make at once, Factory, The Magazine of Management 10(2):135–136",
                    locator: "",
                },
            ],
        ),
        eval: Eval::Scalar(eoq),
    },
    Model {
        card: stock_card(
            "inventory.eoq_backorders",
            Text::new("EOQ with planned backorders", "允许缺货的经济订货批量"),
            Text::new(
                "Order size and planned shortage when customers wait for back-ordered items at a cost.",
                "允许缺货（缺货有成本、客户等待补货）时的订货批量与计划缺货量。",
            ),
            &[
                DEMAND,
                ORDER_COST,
                HOLDING,
                Port::new(
                    "p",
                    "Backorder cost per unit and year",
                    "单位年缺货成本",
                    "1/a",
                    1e-12,
                    1e15,
                ),
            ],
            &[
                Port::out("Q", "Order quantity", "订货批量", ""),
                Port::out(
                    "backordered",
                    "Fraction of the cycle in backorder",
                    "缺货比例",
                    "",
                ),
                Port::out("max_backorder", "Largest backorder", "最大缺货量", ""),
                Port::out("cost", "Yearly cost", "年成本", "1/a"),
            ],
            Text::new(
                "Q* = √(2SD(H+p)/(Hp)); x* = H/(H+p); g* = √(2SDHp/(H+p)).",
                "Q* = √(2SD(H+p)/(Hp))；x* = H/(H+p)；g* = √(2SDHp/(H+p))。",
            ),
            &[Reference {
                source: SNYDER,
                locator: "§3.3, example 3.8",
            }],
        ),
        eval: Eval::Scalar(eoq_backorders),
    },
    Model {
        card: stock_card(
            "inventory.epq",
            Text::new("Economic production quantity (EPQ)", "经济生产批量 EPQ"),
            Text::new(
                "Batch size when the lot is produced at a finite rate while demand goes on.",
                "以有限速率生产、同时持续消耗时的经济生产批量。",
            ),
            &[
                DEMAND,
                Port::new("S", "Setup cost per batch", "每批准备成本", "", 0.0, 1e12),
                HOLDING,
                Port::new("P", "Production rate", "生产速率", "1/a", 1e-12, 1e15),
            ],
            &[
                Port::out("Q", "Batch size", "生产批量", ""),
                Port::out(
                    "cost",
                    "Yearly setup and holding cost",
                    "年准备与持有成本",
                    "1/a",
                ),
                Port::out("max_stock", "Largest inventory", "最大库存", ""),
            ],
            Text::new(
                "Q* = √(2SD/(H(1 − D/P))); g* = √(2SDH(1 − D/P)); I_max = Q*(1 − D/P).",
                "Q* = √(2SD/(H(1 − D/P)))；g* = √(2SDH(1 − D/P))；I_max = Q*(1 − D/P)。",
            ),
            &[
                Reference {
                    source: SNYDER,
                    locator: "§3.4",
                },
                Reference {
                    source: HEIZER,
                    locator: "ch. 12, production order quantity model, Eq. 12-8",
                },
            ],
        ),
        eval: Eval::Scalar(epq),
    },
    Model {
        card: stock_card(
            "inventory.safety_stock",
            Text::new("Safety stock and reorder point", "安全库存与再订货点"),
            Text::new(
                "Stock to hold against variable demand and lead time for a cycle service level, and the reorder point.",
                "在需求与提前期波动下为达到周期服务水平所需的安全库存及再订货点。",
            ),
            &[
                Port::new(
                    "service_level",
                    "Cycle service level",
                    "周期服务水平",
                    "",
                    0.5,
                    0.999_999,
                ),
                Port::new("d", "Mean demand per period", "每期平均需求", "", 0.0, 1e15),
                Port::new(
                    "sd",
                    "Standard deviation of demand per period",
                    "每期需求标准差",
                    "",
                    0.0,
                    1e15,
                ),
                Port::new(
                    "L",
                    "Mean lead time (periods)",
                    "平均提前期（期数）",
                    "",
                    0.0,
                    1e6,
                ),
                Port::new(
                    "sd_L",
                    "Standard deviation of the lead time (periods)",
                    "提前期标准差（期数）",
                    "",
                    0.0,
                    1e6,
                )
                .default(0.0),
            ],
            &[
                Port::out("ss", "Safety stock", "安全库存", ""),
                Port::out("z", "Safety factor z", "安全系数 z", ""),
                Port::out("sigma_LT", "σ of lead-time demand", "提前期需求标准差", ""),
                Port::out("rop", "Reorder point", "再订货点", ""),
            ],
            Text::new(
                "z = Φ⁻¹(α); σ_LT = √(L σ_d² + d̄² σ_L²); SS = z σ_LT; ROP = d̄ L + SS (σ_L = 0: demand varies only).",
                "z = Φ⁻¹(α)；σ_LT = √(L σ_d² + d̄² σ_L²)；SS = z σ_LT；ROP = d̄ L + SS（σ_L = 0 时仅需求波动）。",
            ),
            &[
                Reference {
                    source: "Silver, E. A., Pyke, D. F., Thomas, D. J., Inventory and Production Management in Supply Chains, 4th ed., CRC Press, 2017",
                    locator: "ch. 6, safety stock for a cycle service level",
                },
                Reference {
                    source: HEIZER,
                    locator: "ch. 12, probabilistic models with constant lead time, Eq. 12-14 to 12-16",
                },
            ],
        ),
        eval: Eval::Scalar(safety_stock),
    },
    Model {
        card: stock_card(
            "inventory.newsvendor_normal",
            Text::new(
                "Newsvendor order quantity (normal demand)",
                "报童模型订货量（正态需求）",
            ),
            Text::new(
                "Single-period order quantity that balances the cost of leftovers against the cost of running short.",
                "单周期订货量：平衡剩余成本与缺货成本。",
            ),
            &[
                Port::new(
                    "h",
                    "Overage cost per unit",
                    "单位剩余成本",
                    "",
                    1e-12,
                    1e12,
                ),
                Port::new(
                    "p",
                    "Underage cost per unit",
                    "单位缺货成本",
                    "",
                    1e-12,
                    1e12,
                ),
                Port::new(
                    "mu",
                    "Mean demand",
                    "需求均值",
                    "",
                    f64::NEG_INFINITY,
                    f64::INFINITY,
                ),
                Port::new(
                    "sigma",
                    "Standard deviation of demand",
                    "需求标准差",
                    "",
                    1e-12,
                    f64::INFINITY,
                ),
            ],
            &[
                Port::out("S", "Order quantity", "订货量", ""),
                Port::out("ratio", "Critical ratio p/(p+h)", "临界比 p/(p+h)", ""),
                Port::out("z", "Standardised order quantity", "标准化订货量", ""),
                Port::out("cost", "Expected cost", "期望成本", ""),
            ],
            Text::new(
                "S* = μ + σ Φ⁻¹(p/(p+h)); g* = (p + h) σ φ(z*).",
                "S* = μ + σ Φ⁻¹(p/(p+h))；g* = (p + h) σ φ(z*)。",
            ),
            &[Reference {
                source: SNYDER,
                locator: "§4.3, Eq. 4.24–4.26, examples 4.1–4.3",
            }],
        ),
        eval: Eval::Scalar(newsvendor),
    },
    Model {
        card: queue_card(
            "queue.mm1",
            Text::new("Single-server queue (M/M/1)", "单服务台排队（M/M/1）"),
            Text::new(
                "Utilisation, queue lengths and waiting times of one server with random arrivals and service times.",
                "随机到达、随机服务时间的单服务台的利用率、队长和等待时间。",
            ),
            &[LAMBDA, MU],
            &[
                Port::out("rho", "Utilisation", "利用率", ""),
                Port::out("L", "Mean number in the system", "系统平均人数", ""),
                Port::out("Lq", "Mean number waiting", "平均排队人数", ""),
                Port::out("W", "Mean time in the system", "平均逗留时间", "h"),
                Port::out("Wq", "Mean wait", "平均等待时间", "h"),
                Port::out("P0", "Probability the server is idle", "服务台空闲概率", ""),
            ],
            Text::new(
                "ρ = λ/μ; L = λ/(μ−λ); Lq = λ²/(μ(μ−λ)); W = 1/(μ−λ); Wq = λ/(μ(μ−λ)); P₀ = 1 − ρ.",
                "ρ = λ/μ；L = λ/(μ−λ)；Lq = λ²/(μ(μ−λ))；W = 1/(μ−λ)；Wq = λ/(μ(μ−λ))；P₀ = 1 − ρ。",
            ),
            &[
                Reference {
                    source: GROSS,
                    locator: "§2.2",
                },
                Reference {
                    source: HEIZER,
                    locator: "module D, table D.3",
                },
            ],
        ),
        eval: Eval::Scalar(mm1),
    },
    Model {
        card: queue_card(
            "queue.mmc_erlang_c",
            Text::new(
                "Multi-server queue (M/M/c, Erlang C)",
                "多服务台排队（M/M/c，Erlang C）",
            ),
            Text::new(
                "Probability of waiting, queue lengths, waiting times and the service level of c identical servers (maintenance crews, call centres, docks).",
                "c 个相同服务台（维修班组、呼叫中心、装卸口）的等待概率、队长、等待时间与服务水平。",
            ),
            &[
                LAMBDA,
                MU,
                Port::new("c", "Servers", "服务台数", "", 1.0, 10_000.0),
                Port::new(
                    "t",
                    "Target answer time for the service level",
                    "服务水平目标等待时间",
                    "h",
                    0.0,
                    1e6,
                )
                .default(0.0),
            ],
            &[
                Port::out("rho", "Utilisation of each server", "每台利用率", ""),
                Port::out(
                    "P_wait",
                    "Probability of waiting (Erlang C)",
                    "等待概率（Erlang C）",
                    "",
                ),
                Port::out("Lq", "Mean number waiting", "平均排队人数", ""),
                Port::out("Wq", "Mean wait", "平均等待时间", "h"),
                Port::out("L", "Mean number in the system", "系统平均人数", ""),
                Port::out("W", "Mean time in the system", "平均逗留时间", "h"),
                Port::out("P0", "Probability the system is empty", "系统空闲概率", ""),
                Port::out(
                    "service_level",
                    "Share answered within t",
                    "在 t 内得到服务的比例",
                    "",
                ),
            ],
            Text::new(
                "a = λ/μ, ρ = a/c; C(c,a) from Erlang B: C = cB/(c − a(1−B)); Lq = C a/(c − a); Wq = Lq/λ; L = Lq + a; W = Wq + 1/μ; SL(t) = 1 − C e^(−(cμ−λ)t).",
                "a = λ/μ，ρ = a/c；由 Erlang B 得 C = cB/(c − a(1−B))；Lq = C a/(c − a)；Wq = Lq/λ；L = Lq + a；W = Wq + 1/μ；SL(t) = 1 − C e^(−(cμ−λ)t)。",
            ),
            &[
                Reference {
                    source: GROSS,
                    locator: "§2.3",
                },
                Reference {
                    source: "Erlang, A. K. (1917), Solution of some problems in the theory of probabilities of significance in automatic telephone exchanges, Elektroteknikeren 13",
                    locator: "",
                },
            ],
        ),
        eval: Eval::Scalar(mmc),
    },
    Model {
        card: queue_card(
            "queue.erlang_b",
            Text::new("Blocking probability (Erlang B)", "呼损率（Erlang B）"),
            Text::new(
                "Share of arrivals turned away when all c servers are busy and nobody waits (lines, parking bays, spare machines).",
                "c 个服务台全忙且不排队时被拒绝的到达比例（线路、车位、备用设备）。",
            ),
            &[
                Port::new(
                    "A",
                    "Offered load (erlangs)",
                    "话务量（爱尔兰）",
                    "",
                    0.0,
                    1e7,
                ),
                Port::new("c", "Servers", "服务台数", "", 0.0, 1e6),
            ],
            &[
                Port::out("B", "Blocking probability", "呼损率", ""),
                Port::out(
                    "carried",
                    "Carried load (erlangs)",
                    "完成话务量（爱尔兰）",
                    "",
                ),
            ],
            Text::new(
                "B(0) = 1, B(n) = A·B(n−1)/(n + A·B(n−1)); carried load A(1 − B).",
                "B(0) = 1，B(n) = A·B(n−1)/(n + A·B(n−1))；完成话务量 A(1 − B)。",
            ),
            &[
                Reference {
                    source: "ITU-T Recommendation E.521, Calculation of the number of circuits in a group carrying overflow traffic",
                    locator: "Erlang loss formula",
                },
                Reference {
                    source: GROSS,
                    locator: "§2.6, M/M/c/c",
                },
            ],
        ),
        eval: Eval::Scalar(erlang_b_model),
    },
    Model {
        card: queue_card(
            "queue.md1",
            Text::new(
                "Queue with constant service time (M/D/1)",
                "恒定服务时间排队（M/D/1）",
            ),
            Text::new(
                "Queue length and waits of one server whose service always takes the same time (an automatic machine, a wash line).",
                "服务时间恒定的单服务台（自动设备、清洗线）的队长与等待时间。",
            ),
            &[LAMBDA, MU],
            &[
                Port::out("Lq", "Mean number waiting", "平均排队人数", ""),
                Port::out("Wq", "Mean wait", "平均等待时间", "h"),
                Port::out("L", "Mean number in the system", "系统平均人数", ""),
                Port::out("W", "Mean time in the system", "平均逗留时间", "h"),
            ],
            Text::new(
                "Lq = λ²/(2μ(μ−λ)); Wq = Lq/λ (Pollaczek–Khinchine with no service variance).",
                "Lq = λ²/(2μ(μ−λ))；Wq = Lq/λ（服务时间方差为零的 Pollaczek–Khinchine 公式）。",
            ),
            &[
                Reference {
                    source: GROSS,
                    locator: "§5.1, M/G/1 (Pollaczek–Khinchine)",
                },
                Reference {
                    source: HEIZER,
                    locator: "module D, constant-service-time model",
                },
            ],
        ),
        eval: Eval::Scalar(md1),
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn erlang_c_agrees_with_its_closed_form() {
        // C(2, 2/3) = a^c/(c!(1−ρ)) / (Σ aⁿ/n! + a^c/(c!(1−ρ))).
        let a: f64 = 2.0 / 3.0;
        let top = a * a / 2.0 / (1.0 - a / 2.0);
        let closed = top / (1.0 + a + top);
        assert!((erlang_c(a, 2) - closed).abs() < 1e-15);
    }
}
