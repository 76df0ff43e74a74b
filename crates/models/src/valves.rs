//! Valve sizing: the required orifice of a gas pressure-relief valve (API 520 Part I)
//! with the standard orifice letter (API 526), and the flow coefficient of a control valve
//! in liquid and gas service (IEC 60534-2-1, turbulent flow without fittings).

use crate::{Eval, Model, card};
use ironloom_core::model::{Domain, ModelKind, Port, Reference, Refusal, Text};

const IEC_60534: &str = "IEC 60534-2-1:2011 (GB/T 17213.2-2017), Industrial-process control valves — Part 2-1: Flow capacity — Sizing equations for fluid flow under installed conditions";
const VALVE_INDUSTRIES: &[&str] = &["C26", "C25", "D44", "B07", "C34"];
const API_520: &str = "API Standard 520, Sizing, Selection, and Installation of Pressure-relieving Devices, Part I — Sizing and Selection, 9th ed., 2014";

/// API 526 effective orifice areas, letters D … T, in in².
const ORIFICES_IN2: [f64; 14] = [
    0.110, 0.196, 0.307, 0.503, 0.785, 1.287, 1.838, 2.853, 3.60, 4.34, 6.38, 11.05, 16.0, 26.0,
];

fn relief_gas(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (w, t, z, m, k, p1, p2, kd, kb, kc) =
        (x[0], x[1], x[2], x[3], x[4], x[5], x[6], x[7], x[8], x[9]);
    if p2 >= p1 {
        return Err(Refusal::new(
            "the back pressure must be below the relieving pressure",
            "背压必须低于泄放压力",
        ));
    }
    let critical = p1 * (2.0 / (k + 1.0)).powf(k / (k - 1.0));
    let (area, choked, coefficient) = if critical > p2 {
        let c = 0.039_48 * (k * (2.0 / (k + 1.0)).powf((k + 1.0) / (k - 1.0))).sqrt();
        (w / (c * kd * kb * kc * p1) * (t * z / m).sqrt(), 1.0, c)
    } else {
        let r = p2 / p1;
        let f2 =
            (k / (k - 1.0) * r.powf(2.0 / k) * ((1.0 - r.powf((k - 1.0) / k)) / (1.0 - r))).sqrt();
        (
            17.9 * w / (f2 * kd * kc) * (t * z / (m * p1 * (p1 - p2))).sqrt(),
            0.0,
            f2,
        )
    };
    let mm2 = |in2: f64| in2 * 645.16;
    let Some(index) = ORIFICES_IN2.iter().position(|a| mm2(*a) >= area) else {
        return Err(Refusal::new(
            "the required area exceeds the largest standard orifice (T): use several valves",
            "所需面积超过最大标准喷嘴（T）：请采用多台安全阀",
        ));
    };
    let effective = mm2(ORIFICES_IN2[index]);
    Ok(vec![area, choked, coefficient, index as f64, effective])
}

fn valve_liquid(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (q, p1, p2, rho, pv, pc, fl) = (x[0], x[1], x[2], x[3], x[4], x[5], x[6]);
    if p2 >= p1 {
        return Err(Refusal::new(
            "the outlet pressure must be below the inlet pressure",
            "阀后压力必须低于阀前压力",
        ));
    }
    if pv >= p1 {
        return Err(Refusal::new(
            "the liquid boils at the inlet pressure",
            "液体在阀前压力下已汽化",
        ));
    }
    let ff = 0.96 - 0.28 * (pv / pc).sqrt();
    let dp_choked = fl * fl * (p1 - ff * pv);
    let dp = p1 - p2;
    let (dp_sizing, choked) = if dp >= dp_choked {
        (dp_choked, 1.0)
    } else {
        (dp, 0.0)
    };
    // N1 = 0.1 for Kv in m³/h with Q in m³/h and Δp in kPa; ρ₀ is water at 15 °C.
    let kv = q / 0.1 * ((rho / 999.1) / dp_sizing).sqrt();
    Ok(vec![ff, dp_choked, choked, kv, kv * 1.156])
}

fn valve_gas(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (q, p1, p2, t, m, z, gamma, xt) = (x[0], x[1], x[2], x[3], x[4], x[5], x[6], x[7]);
    if p2 >= p1 {
        return Err(Refusal::new(
            "the outlet pressure must be below the inlet pressure",
            "阀后压力必须低于阀前压力",
        ));
    }
    let f_gamma = gamma / 1.4;
    let ratio = (p1 - p2) / p1;
    let (x_sizing, choked) = if ratio >= f_gamma * xt {
        (f_gamma * xt, 1.0)
    } else {
        (ratio, 0.0)
    };
    let y = 1.0 - x_sizing / (3.0 * f_gamma * xt);
    // N9 = 24.6 for Kv in m³/h with Q in m³/h at 0 °C and 101.325 kPa, p in kPa.
    let kv = q / (24.6 * p1 * y) * (m * t * z / x_sizing).sqrt();
    Ok(vec![ratio, y, choked, kv, kv * 1.156])
}

pub(crate) const MODELS: &[Model] = &[
    Model {
        card: card(
            "relief.api520_gas_area",
            Text::new(
                "Relief-valve orifice area for gas or vapour (API 520)",
                "气体泄放安全阀喷嘴面积（API 520）",
            ),
            Text::new(
                "Effective discharge area a pressure-relief valve needs to pass a gas or vapour flow at the relieving conditions, critical or subcritical, and the smallest standard orifice letter (API 526) that covers it.",
                "计算安全阀在泄放工况下排放气体或蒸气（临界或亚临界流）所需的有效排放面积，并选出不小于该面积的最小 API 526 标准喷嘴代号。",
            ),
            ModelKind::Simulation,
            VALVE_INDUSTRIES,
            &[Domain::Design, Domain::Operations],
            &[
                Port::new(
                    "W",
                    "Required relieving flow",
                    "所需泄放量",
                    "kg/h",
                    0.0,
                    1e9,
                ),
                Port::new("T", "Relieving temperature", "泄放温度", "K", 1.0, 2000.0),
                Port::new("Z", "Compressibility factor", "压缩因子", "", 0.05, 2.0).default(1.0),
                Port::new("M", "Molar mass", "摩尔质量", "g/mol", 1.0, 1000.0),
                Port::new("k", "Isentropic exponent", "等熵指数", "", 1.001, 1.7),
                Port::new(
                    "P1",
                    "Relieving pressure (absolute)",
                    "泄放压力（绝对）",
                    "kPa",
                    1.0,
                    1e6,
                ),
                Port::new(
                    "P2",
                    "Back pressure (absolute)",
                    "背压（绝对）",
                    "kPa",
                    0.0,
                    1e6,
                )
                .default(101.325),
                Port::new(
                    "Kd",
                    "Effective discharge coefficient",
                    "有效排放系数",
                    "",
                    0.1,
                    1.0,
                )
                .default(0.975),
                Port::new(
                    "Kb",
                    "Back-pressure correction",
                    "背压修正系数",
                    "",
                    0.1,
                    1.0,
                )
                .default(1.0),
                Port::new(
                    "Kc",
                    "Rupture-disk combination factor",
                    "爆破片组合系数",
                    "",
                    0.1,
                    1.0,
                )
                .default(1.0),
            ],
            &[
                Port::out("A", "Required effective area", "所需有效面积", "mm2"),
                Port::out(
                    "critical",
                    "Critical flow (1) or subcritical (0)",
                    "临界流（1）或亚临界流（0）",
                    "",
                ),
                Port::out(
                    "coefficient",
                    "C (critical) or F₂ (subcritical)",
                    "系数 C（临界）或 F₂（亚临界）",
                    "",
                ),
                Port::out(
                    "orifice",
                    "Standard orifice (0 = D, 1 = E … 13 = T)",
                    "标准喷嘴（0 = D，1 = E … 13 = T）",
                    "",
                ),
                Port::out("A_orifice", "Its effective area", "该喷嘴有效面积", "mm2"),
            ],
            Text::new(
                "Critical: A = W/(C·K_d·P₁·K_b·K_c)·√(TZ/M), C = 0.03948·√(k(2/(k+1))^((k+1)/(k−1))); subcritical: A = 17.9·W/(F₂·K_d·K_c)·√(TZ/(M·P₁(P₁ − P₂))), F₂ = √(k/(k−1)·r^(2/k)(1 − r^((k−1)/k))/(1 − r)), r = P₂/P₁ (SI units of the standard).",
                "临界流：A = W/(C·K_d·P₁·K_b·K_c)·√(TZ/M)，C = 0.03948·√(k(2/(k+1))^((k+1)/(k−1)))；亚临界流：A = 17.9·W/(F₂·K_d·K_c)·√(TZ/(M·P₁(P₁ − P₂)))，F₂ = √(k/(k−1)·r^(2/k)(1 − r^((k−1)/k))/(1 − r))，r = P₂/P₁（标准的 SI 单位）。",
            ),
            &[
                Reference {
                    source: API_520,
                    locator: "sizing for gas or vapour relief, critical and subcritical flow (SI equations)",
                },
                Reference {
                    source: "API Standard 526, Flanged Steel Pressure-relief Valves",
                    locator: "effective orifice areas, letters D to T",
                },
            ],
        ),
        eval: Eval::Scalar(relief_gas),
    },
    Model {
        card: card(
            "valve.iec60534_liquid_kv",
            Text::new(
                "Control valve flow coefficient, liquid (IEC 60534-2-1)",
                "调节阀液体流量系数（IEC 60534-2-1）",
            ),
            Text::new(
                "Flow coefficient Kv (and Cv) a control valve needs for a liquid flow and pressure drop in turbulent flow without attached fittings, with the choked-flow limit.",
                "计算湍流、无附接管件时，调节阀通过给定液体流量和压降所需的流量系数 Kv（及 Cv），并考虑阻塞流极限。",
            ),
            ModelKind::Simulation,
            VALVE_INDUSTRIES,
            &[Domain::Design, Domain::Operations],
            &[
                Port::new("Q", "Volume flow", "体积流量", "m3/h", 0.0, 1e6),
                Port::new(
                    "p1",
                    "Inlet pressure (absolute)",
                    "阀前绝对压力",
                    "kPa",
                    1e-3,
                    1e6,
                ),
                Port::new(
                    "p2",
                    "Outlet pressure (absolute)",
                    "阀后绝对压力",
                    "kPa",
                    0.0,
                    1e6,
                ),
                Port::new("rho", "Liquid density", "液体密度", "kg/m3", 1.0, 3e4).default(1000.0),
                Port::new(
                    "p_v",
                    "Vapour pressure at the inlet temperature",
                    "入口温度下的饱和蒸气压",
                    "kPa",
                    0.0,
                    1e6,
                ),
                Port::new(
                    "p_c",
                    "Critical pressure of the liquid",
                    "液体临界压力",
                    "kPa",
                    1.0,
                    1e6,
                )
                .default(22_064.0),
                Port::new(
                    "F_L",
                    "Liquid pressure-recovery factor",
                    "液体压力恢复系数",
                    "",
                    0.1,
                    1.0,
                )
                .default(0.9),
            ],
            &[
                Port::out(
                    "F_F",
                    "Liquid critical pressure-ratio factor",
                    "液体临界压力比系数",
                    "",
                ),
                Port::out("dp_choked", "Choked pressure drop", "阻塞压降", "kPa"),
                Port::out("choked", "Choked (1) or not (0)", "是否阻塞（1/0）", ""),
                Port::out("Kv", "Flow coefficient Kv", "流量系数 Kv", "m3/h"),
                Port::out("Cv", "Flow coefficient Cv", "流量系数 Cv", ""),
            ],
            Text::new(
                "F_F = 0.96 − 0.28√(p_v/p_c); Δp_choked = F_L²(p₁ − F_F·p_v); Kv = (Q/N₁)·√((ρ/ρ₀)/Δp) with Δp = min(p₁ − p₂, Δp_choked), N₁ = 0.1 (kPa), ρ₀ = 999.1 kg/m³ (water at 15 °C); Cv = 1.156·Kv.",
                "F_F = 0.96 − 0.28√(p_v/p_c)；Δp_阻塞 = F_L²(p₁ − F_F·p_v)；Kv = (Q/N₁)·√((ρ/ρ₀)/Δp)，Δp = min(p₁ − p₂, Δp_阻塞)，N₁ = 0.1（kPa），ρ₀ = 999.1 kg/m³（15 °C 水）；Cv = 1.156·Kv。",
            ),
            &[Reference {
                source: IEC_60534,
                locator: "incompressible fluids: turbulent flow, non-choked and choked, without attached fittings",
            }],
        ),
        eval: Eval::Scalar(valve_liquid),
    },
    Model {
        card: card(
            "valve.iec60534_gas_kv",
            Text::new(
                "Control valve flow coefficient, gas (IEC 60534-2-1)",
                "气体调节阀流量系数（IEC 60534-2-1）",
            ),
            Text::new(
                "Required Kv and Cv of a control valve in gas or steam service from the normal volume flow, pressures, gas properties and the valve's pressure-differential ratio factor x_T, with the expansion factor and choked flow (turbulent flow, no attached fittings).",
                "由标准状态体积流量、阀前后压力、气体物性和阀门压差比系数 x_T 计算气体或蒸汽调节阀所需的 Kv 与 Cv，含膨胀系数和阻塞流判断（湍流、无附接管件）。",
            ),
            ModelKind::Mechanism,
            VALVE_INDUSTRIES,
            &[Domain::Design, Domain::Operations],
            &[
                Port::new(
                    "Q",
                    "Volume flow at 0 °C and 101.325 kPa",
                    "标准状态（0 °C、101.325 kPa）体积流量",
                    "m3/h",
                    0.0,
                    1e8,
                ),
                Port::new(
                    "p1",
                    "Inlet pressure (absolute)",
                    "阀前绝对压力",
                    "kPa",
                    1.0,
                    1e5,
                ),
                Port::new(
                    "p2",
                    "Outlet pressure (absolute)",
                    "阀后绝对压力",
                    "kPa",
                    0.0,
                    1e5,
                ),
                Port::new("T", "Inlet temperature", "阀前温度", "K", 20.0, 1500.0),
                Port::new("M", "Molar mass", "摩尔质量", "g/mol", 1.0, 500.0),
                Port::new(
                    "Z",
                    "Compressibility factor at the inlet",
                    "阀前压缩因子",
                    "",
                    0.1,
                    2.0,
                )
                .default(1.0),
                Port::new("gamma", "Specific heat ratio", "比热比", "", 1.0, 1.8).default(1.4),
                Port::new(
                    "x_T",
                    "Pressure-differential ratio factor",
                    "压差比系数",
                    "",
                    0.05,
                    1.0,
                )
                .default(0.7),
            ],
            &[
                Port::out("x", "Pressure-differential ratio Δp/p₁", "压差比 Δp/p₁", ""),
                Port::out("Y", "Expansion factor", "膨胀系数", ""),
                Port::out("choked", "Choked (1) or not (0)", "是否阻塞（1/0）", ""),
                Port::out("Kv", "Flow coefficient Kv", "流量系数 Kv", "m3/h"),
                Port::out("Cv", "Flow coefficient Cv", "流量系数 Cv", ""),
            ],
            Text::new(
                "F_γ = γ/1.4, x = Δp/p₁ (limited to F_γx_T when choked), Y = 1 − x/(3F_γx_T), Kv = Q/(N₉p₁Y)·√(MT₁Z/x), N₉ = 24.6; Cv = 1.156 Kv.",
                "F_γ = γ/1.4，x = Δp/p₁（阻塞时取 F_γx_T），Y = 1 − x/(3F_γx_T)，Kv = Q/(N₉p₁Y)·√(MT₁Z/x)，N₉ = 24.6；Cv = 1.156 Kv。",
            ),
            &[Reference {
                source: IEC_60534,
                locator: "compressible fluids: turbulent flow, non-choked and choked, expansion factor Y, without attached fittings; numerical constant N9",
            }],
        ),
        eval: Eval::Scalar(valve_gas),
    },
];
