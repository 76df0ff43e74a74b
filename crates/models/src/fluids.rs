//! Pipes and pumps: friction losses (Darcy–Weisbach with Colebrook, Swamee–Jain), the
//! affinity laws, hydraulic power and efficiency, and the net positive suction head
//! available (with IAPWS-IF97 water properties).

use crate::steam;
use crate::{Eval, Model};
use ironloom_core::model::{Domain, ModelCard, ModelKind, Port, Reference, Refusal, Text};

/// Standard gravity, m/s² (CGPM 1901; ISO 80000-3).
const G: f64 = 9.806_65;

/// Darcy friction factor from Colebrook's equation, solved by Newton's method on
/// x = 1/√f; laminar flow (Re < 2300) gives 64/Re.
pub(crate) fn colebrook(re: f64, rel_roughness: f64) -> Result<f64, Refusal> {
    if re < 2300.0 {
        return Ok(64.0 / re);
    }
    let a = rel_roughness / 3.7;
    let b = 2.51 / re;
    let mut x = 1.0 / swamee_jain(re.max(5000.0), rel_roughness.max(1e-9)).sqrt();
    for _ in 0..50 {
        let inner = a + b * x;
        let f = x + 2.0 * inner.log10();
        let df = 1.0 + 2.0 * b / (inner * std::f64::consts::LN_10);
        let step = f / df;
        x -= step;
        if step.abs() <= 1e-14 * x.abs() {
            return Ok(1.0 / (x * x));
        }
    }
    Err(Refusal::new(
        "Colebrook's equation did not converge",
        "Colebrook 方程未收敛",
    ))
}

pub(crate) fn swamee_jain(re: f64, rel_roughness: f64) -> f64 {
    0.25 / (rel_roughness / 3.7 + 5.74 / re.powf(0.9)).log10().powi(2)
}

const PUMP_INDUSTRIES: &[&str] = &["C34", "D46", "D44", "C26"];

fn darcy(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (q, d, l, eps_mm, rho, mu) = (x[0], x[1], x[2], x[3], x[4], x[5]);
    let area = std::f64::consts::PI * d * d / 4.0;
    let v = q / area;
    let re = rho * v * d / mu;
    let f = colebrook(re, eps_mm * 1e-3 / d)?;
    let dp = f * l / d * rho * v * v / 2.0;
    Ok(vec![v, re, f, dp, dp / (rho * G)])
}

fn affinity(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (n1, n2, q1, h1, p1, dr) = (x[0], x[1], x[2], x[3], x[4], x[5]);
    let nr = n2 / n1;
    Ok(vec![
        q1 * nr * dr.powi(3),
        h1 * nr * nr * dr * dr,
        p1 * nr.powi(3) * dr.powi(5),
    ])
}

fn hydraulic_power(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (rho, q, h, p_shaft) = (x[0], x[1], x[2], x[3]);
    let p_h = rho * G * (q / 3600.0) * h / 1000.0;
    Ok(vec![p_h, p_h / p_shaft])
}

fn npsh_available(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (p_kpa, t_c, v, z, loss) = (x[0], x[1], x[2], x[3], x[4]);
    let t = t_c + 273.15;
    let p = p_kpa / 1000.0;
    let pv = steam::psat(t);
    if p <= pv {
        return Err(Refusal::new(
            format!(
                "the suction pressure {p_kpa} kPa is at or below the vapour pressure {:.3} kPa: the water boils",
                pv * 1000.0
            ),
            format!(
                "吸入压力 {p_kpa} kPa 不高于汽化压力 {:.3} kPa：水已汽化",
                pv * 1000.0
            ),
        ));
    }
    let rho = 1.0 / steam::region1(p, t).v;
    let npsha = (p - pv) * 1e6 / (rho * G) + v * v / (2.0 * G) + z - loss;
    Ok(vec![npsha, pv * 1000.0, rho])
}

pub(crate) const MODELS: &[Model] = &[
    Model {
        card: ModelCard {
            id: "pipe.darcy_weisbach_colebrook",
            version: 1,
            name: Text::new(
                "Pipe friction loss (Darcy–Weisbach with Colebrook)",
                "管道沿程压降（Darcy–Weisbach 与 Colebrook）",
            ),
            summary: Text::new(
                "Velocity, Reynolds number, friction factor, pressure drop and head loss of a full pipe.",
                "满管流动的流速、雷诺数、摩阻系数、压降和水头损失。",
            ),
            kind: ModelKind::Simulation,
            industries: &["D46", "C26", "C34", "D45"],
            domains: &[Domain::Design, Domain::Operations],
            inputs: &[
                Port::new("Q", "Volume flow", "体积流量", "m3/s", 1e-9, 1e3),
                Port::new("D", "Inner diameter", "内径", "m", 1e-4, 20.0),
                Port::new("L", "Length", "长度", "m", 0.0, 1e6),
                Port::new("eps", "Absolute roughness", "绝对粗糙度", "mm", 0.0, 50.0),
                Port::new("rho", "Density", "密度", "kg/m3", 0.01, 25_000.0),
                Port::new("mu", "Dynamic viscosity", "动力黏度", "Pa.s", 1e-7, 1e3),
            ],
            outputs: &[
                Port::out("v", "Mean velocity", "平均流速", "m/s"),
                Port::out("Re", "Reynolds number", "雷诺数", ""),
                Port::out("f", "Darcy friction factor", "Darcy 摩阻系数", ""),
                Port::out("dp", "Pressure drop", "压降", "Pa"),
                Port::out("h_f", "Head loss", "水头损失", "m"),
            ],
            formula: Text::new(
                "v = 4Q/(πD²), Re = ρvD/μ; laminar (Re < 2300) f = 64/Re, otherwise 1/√f = −2 log₁₀(ε/(3.7D) + 2.51/(Re√f)); Δp = f (L/D) ρv²/2, h_f = Δp/(ρg).",
                "v = 4Q/(πD²)，Re = ρvD/μ；层流（Re < 2300）f = 64/Re，否则 1/√f = −2 log₁₀(ε/(3.7D) + 2.51/(Re√f))；Δp = f (L/D) ρv²/2，h_f = Δp/(ρg)。",
            ),
            references: &[
                Reference {
                    source: "Colebrook, C. F. (1939), Turbulent flow in pipes, J. Inst. Civil Eng. 11:133–156",
                    locator: "Eq. 10",
                },
                Reference {
                    source: "White, F. M., Fluid Mechanics, 7th ed.",
                    locator: "§6.7, Eq. 6.48",
                },
            ],
        },
        eval: Eval::Scalar(darcy),
    },
    Model {
        card: ModelCard {
            id: "pipe.friction_swamee_jain",
            version: 1,
            name: Text::new(
                "Explicit friction factor (Swamee–Jain)",
                "显式摩阻系数（Swamee–Jain）",
            ),
            summary: Text::new(
                "Darcy friction factor of turbulent pipe flow without iteration (within about 1.5 % of Colebrook).",
                "无需迭代求紊流管流的 Darcy 摩阻系数（与 Colebrook 相差约 1.5% 以内）。",
            ),
            kind: ModelKind::Simulation,
            industries: &["D46", "C26"],
            domains: &[Domain::Design],
            inputs: &[
                Port::new("Re", "Reynolds number", "雷诺数", "", 5e3, 1e8),
                Port::new(
                    "eD",
                    "Relative roughness ε/D",
                    "相对粗糙度 ε/D",
                    "",
                    1e-6,
                    1e-2,
                ),
            ],
            outputs: &[Port::out(
                "f",
                "Darcy friction factor",
                "Darcy 摩阻系数",
                "",
            )],
            formula: Text::new(
                "f = 0.25 / [log₁₀(ε/(3.7D) + 5.74/Re^0.9)]²",
                "f = 0.25 / [log₁₀(ε/(3.7D) + 5.74/Re^0.9)]²",
            ),
            references: &[Reference {
                source: "Swamee, P. K., Jain, A. K. (1976), Explicit equations for pipe-flow problems, J. Hydraulics Div. ASCE 102(HY5):657–664",
                locator: "Eq. 11",
            }],
        },
        eval: Eval::Scalar(|x| Ok(vec![swamee_jain(x[0], x[1])])),
    },
    Model {
        card: ModelCard {
            id: "pump.affinity_laws",
            version: 1,
            name: Text::new("Pump and fan affinity laws", "泵与风机相似定律"),
            summary: Text::new(
                "Flow, head and power at a new speed or impeller diameter, e.g. the savings of a variable-speed drive.",
                "换算到新转速或新叶轮直径时的流量、扬程和功率，例如估算变频调速的节能量。",
            ),
            kind: ModelKind::Mechanism,
            industries: PUMP_INDUSTRIES,
            domains: &[Domain::Operations, Domain::Design],
            inputs: &[
                Port::new(
                    "n1",
                    "Speed at the known point",
                    "已知工况转速",
                    "r/min",
                    1.0,
                    1e5,
                ),
                Port::new("n2", "New speed", "新转速", "r/min", 0.0, 1e5),
                Port::new(
                    "Q1",
                    "Flow at the known point",
                    "已知工况流量",
                    "m3/h",
                    0.0,
                    1e6,
                ),
                Port::new(
                    "H1",
                    "Head at the known point",
                    "已知工况扬程",
                    "m",
                    0.0,
                    1e4,
                ),
                Port::new(
                    "P1",
                    "Shaft power at the known point",
                    "已知工况轴功率",
                    "kW",
                    0.0,
                    1e5,
                ),
                Port::new(
                    "d_ratio",
                    "Impeller diameter ratio D2/D1",
                    "叶轮直径比 D2/D1",
                    "",
                    0.1,
                    2.0,
                )
                .default(1.0),
            ],
            outputs: &[
                Port::out("Q2", "New flow", "新流量", "m3/h"),
                Port::out("H2", "New head", "新扬程", "m"),
                Port::out("P2", "New shaft power", "新轴功率", "kW"),
            ],
            formula: Text::new(
                "Q₂ = Q₁(n₂/n₁)(D₂/D₁)³, H₂ = H₁(n₂/n₁)²(D₂/D₁)², P₂ = P₁(n₂/n₁)³(D₂/D₁)⁵ for geometrically similar operation (no static head).",
                "Q₂ = Q₁(n₂/n₁)(D₂/D₁)³，H₂ = H₁(n₂/n₁)²(D₂/D₁)²，P₂ = P₁(n₂/n₁)³(D₂/D₁)⁵，适用于几何相似工况（无静扬程）。",
            ),
            references: &[
                Reference {
                    source: "GB/T 3216-2016 (ISO 9906:2012), Rotodynamic pumps — Hydraulic performance acceptance tests",
                    locator: "§6.1.2, translation of test results to the specified speed",
                },
                Reference {
                    source: "Karassik, I. J. et al., Pump Handbook, 4th ed.",
                    locator: "§2.1",
                },
            ],
        },
        eval: Eval::Scalar(affinity),
    },
    Model {
        card: ModelCard {
            id: "pump.hydraulic_power",
            version: 1,
            name: Text::new("Pump hydraulic power and efficiency", "泵有效功率与效率"),
            summary: Text::new(
                "Power delivered to the liquid and the pump efficiency from flow, head and shaft power.",
                "由流量、扬程和轴功率计算泵的有效功率和效率。",
            ),
            kind: ModelKind::Mechanism,
            industries: PUMP_INDUSTRIES,
            domains: &[Domain::Operations, Domain::Production],
            inputs: &[
                Port::new("rho", "Liquid density", "液体密度", "kg/m3", 1.0, 25_000.0),
                Port::new("Q", "Flow", "流量", "m3/h", 0.0, 1e6),
                Port::new("H", "Head", "扬程", "m", 0.0, 1e4),
                Port::new("P_shaft", "Shaft power", "轴功率", "kW", 1e-6, 1e5),
            ],
            outputs: &[
                Port::out("P_h", "Hydraulic power", "有效功率", "kW"),
                Port::out("eta", "Pump efficiency", "泵效率", ""),
            ],
            formula: Text::new(
                "P_h = ρ g Q H (g = 9.80665 m/s²); η = P_h / P_shaft.",
                "P_h = ρ g Q H（g = 9.80665 m/s²）；η = P_h / P_轴。",
            ),
            references: &[
                Reference {
                    source: "GB/T 3216-2016 (ISO 9906:2012)",
                    locator: "§3, definitions of pump power output and efficiency",
                },
                Reference {
                    source: "GB/T 13469-2008, Economic operation of centrifugal, mixed-flow, axial-flow and vortex pump systems",
                    locator: "§5",
                },
            ],
        },
        eval: Eval::Scalar(hydraulic_power),
    },
    Model {
        card: ModelCard {
            id: "pump.npsh_available",
            version: 1,
            name: Text::new("Net positive suction head available", "装置汽蚀余量 NPSHa"),
            summary: Text::new(
                "Suction head above the vapour pressure of water at the pump inlet, with IAPWS-IF97 vapour pressure and density.",
                "泵入口处高于水汽化压力的吸入水头，汽化压力与密度按 IAPWS-IF97 计算。",
            ),
            kind: ModelKind::Mechanism,
            industries: &["C34", "D46", "C26", "D44"],
            domains: &[Domain::Design, Domain::Operations],
            inputs: &[
                Port::new(
                    "p_s",
                    "Absolute pressure at the suction reference",
                    "吸入基准面绝对压力",
                    "kPa",
                    0.7,
                    100_000.0,
                ),
                Port::new("T", "Water temperature", "水温", "°C", 0.0, 350.0),
                Port::new("v_s", "Suction velocity", "吸入流速", "m/s", 0.0, 50.0),
                Port::new(
                    "z_s",
                    "Height of the reference above the pump datum",
                    "基准面高于泵基准的高度",
                    "m",
                    -1000.0,
                    1000.0,
                ),
                Port::new(
                    "h_loss",
                    "Suction line losses",
                    "吸入管路损失",
                    "m",
                    0.0,
                    1000.0,
                )
                .default(0.0),
            ],
            outputs: &[
                Port::out("NPSHa", "NPSH available", "装置汽蚀余量", "m"),
                Port::out("p_v", "Vapour pressure", "汽化压力", "kPa"),
                Port::out("rho", "Density", "密度", "kg/m3"),
            ],
            formula: Text::new(
                "NPSHa = (p_s − p_v)/(ρg) + v_s²/(2g) + z_s − h_loss, p_v = p_s(T) and ρ from IAPWS-IF97.",
                "NPSHa = (p_s − p_v)/(ρg) + v_s²/(2g) + z_s − h_loss，p_v = p_s(T) 与 ρ 按 IAPWS-IF97。",
            ),
            references: &[
                Reference {
                    source: "GB/T 3216-2016 (ISO 9906:2012)",
                    locator: "§3.2, NPSH definitions",
                },
                Reference {
                    source: "IAPWS R7-97(2012)",
                    locator: "Eq. 7 (density), Eq. 30 (vapour pressure)",
                },
            ],
        },
        eval: Eval::Scalar(npsh_available),
    },
];
