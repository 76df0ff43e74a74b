//! Water and steam beyond the IF97 state equations: the region 2 backward equation T(p,h)
//! (IAPWS R7-97(2012) §6.3.1), and the viscosity (IAPWS R12-08), thermal conductivity
//! (IAPWS R15-11) and surface tension (IAPWS R1-76(2014)) of ordinary water. Coefficients
//! are those of the releases' tables; their verification tables are the test vectors and
//! iapws recomputes random inputs.

use crate::steam::{self, STEAM_INDUSTRIES, T_CRIT, if97};
use crate::steam_backward::REGION2_T_OUTPUTS;
use crate::{Eval, Model, card};
use ironloom_core::model::{Domain, ModelKind, Port, Reference, Refusal, Text};

/// Region 2a backward T(p,h), table 20: (I, J, n).
const T_PH2A: [(i32, i32, f64); 34] = [
    (0, 0, 1089.8952318288),
    (0, 1, 849.51654495535),
    (0, 2, -107.81748091826),
    (0, 3, 33.153654801263),
    (0, 7, -7.4232016790248),
    (0, 20, 11.765048724356),
    (1, 0, 1.844574935579),
    (1, 1, -4.1792700549624),
    (1, 2, 6.2478196935812),
    (1, 3, -17.344563108114),
    (1, 7, -200.58176862096),
    (1, 9, 271.96065473796),
    (1, 11, -455.11318285818),
    (1, 18, 3091.9688604755),
    (1, 44, 252266.40357872),
    (2, 0, -0.0061707422868339),
    (2, 2, -0.31078046629583),
    (2, 7, 11.670873077107),
    (2, 36, 128127984.04046),
    (2, 38, -985549096.23276),
    (2, 40, 2822454697.3002),
    (2, 42, -3594897141.0703),
    (2, 44, 1722734991.3197),
    (3, 24, -13551.334240775),
    (3, 44, 12848734.66465),
    (4, 12, 1.3865724283226),
    (4, 32, 235988.32556514),
    (4, 44, -13105236.545054),
    (5, 32, 7399.9835474766),
    (5, 36, -551966.9703006),
    (5, 42, 3715408.5996233),
    (6, 34, 19127.72923966),
    (6, 44, -415351.64835634),
    (7, 28, -62.459855192507),
];

/// Region 2b backward T(p,h), table 21: (I, J, n).
const T_PH2B: [(i32, i32, f64); 38] = [
    (0, 0, 1489.5041079516),
    (0, 1, 743.07798314034),
    (0, 2, -97.708318797837),
    (0, 12, 2.4742464705674),
    (0, 18, -0.63281320016026),
    (0, 24, 1.1385952129658),
    (0, 28, -0.47811863648625),
    (0, 40, 0.0085208123431544),
    (1, 0, 0.93747147377932),
    (1, 2, 3.3593118604916),
    (1, 6, 3.3809355601454),
    (1, 12, 0.16844539671904),
    (1, 18, 0.73875745236695),
    (1, 24, -0.47128737436186),
    (1, 28, 0.15020273139707),
    (1, 40, -0.002176411421975),
    (2, 2, -0.021810755324761),
    (2, 8, -0.10829784403677),
    (2, 18, -0.046333324635812),
    (2, 40, 7.1280351959551e-05),
    (3, 1, 0.00011032831789999),
    (3, 2, 0.00018955248387902),
    (3, 12, 0.0030891541160537),
    (3, 24, 0.0013555504554949),
    (4, 2, 2.8640237477456e-07),
    (4, 12, -1.0779857357512e-05),
    (4, 18, -7.6462712454814e-05),
    (4, 24, 1.4052392818316e-05),
    (4, 28, -3.1083814331434e-05),
    (4, 40, -1.0302738212103e-06),
    (5, 18, 2.821728163504e-07),
    (5, 24, 1.2704902271945e-06),
    (5, 40, 7.3803353468292e-08),
    (6, 28, -1.1030139238909e-08),
    (7, 2, -8.1456365207833e-14),
    (7, 28, -2.5180545682962e-11),
    (9, 1, -1.7565233969407e-18),
    (9, 40, 8.6934156344163e-15),
];

/// Region 2c backward T(p,h), table 22: (I, J, n).
const T_PH2C: [(i32, i32, f64); 23] = [
    (-7, 0, -3236839855524.2),
    (-7, 4, 7326335090218.1),
    (-6, 0, 358250899454.47),
    (-6, 2, -583401318515.9),
    (-5, 0, -10783068217.47),
    (-5, 2, 20825544563.171),
    (-2, 0, 610747.83564516),
    (-2, 1, 859777.2253558),
    (-1, 0, -25745.72360417),
    (-1, 2, 31081.088422714),
    (0, 0, 1208.2315865936),
    (0, 1, 482.19755109255),
    (1, 4, 3.7966001272486),
    (1, 8, -10.842984880077),
    (2, 4, -0.04536417267666),
    (6, 0, 1.4559115658698e-13),
    (6, 1, 1.126159740723e-12),
    (6, 4, -1.7804982240686e-11),
    (6, 10, 1.2324579690832e-07),
    (6, 12, -1.1606921130984e-06),
    (6, 16, 2.7846367088554e-05),
    (6, 20, -0.00059270038474176),
    (6, 22, 0.0012918582991878),
];

/// Viscosity, R12-08 table 1: H₀ … H₃ of the dilute-gas term.
const VISC_H0: [f64; 4] = [1.67752, 2.20462, 0.6366564, -0.241605];
/// Viscosity, R12-08 table 2: (i, j, Hᵢⱼ) of the residual term.
const VISC_H1: [(i32, i32, f64); 21] = [
    (0, 0, 0.520094),
    (1, 0, 0.0850895),
    (2, 0, -1.08374),
    (3, 0, -0.289555),
    (0, 1, 0.222531),
    (1, 1, 0.999115),
    (2, 1, 1.88797),
    (3, 1, 1.26613),
    (5, 1, 0.120573),
    (0, 2, -0.281378),
    (1, 2, -0.906851),
    (2, 2, -0.772479),
    (3, 2, -0.489837),
    (4, 2, -0.25704),
    (0, 3, 0.161913),
    (1, 3, 0.257399),
    (0, 4, -0.0325372),
    (3, 4, 0.0698452),
    (4, 5, 0.00872102),
    (3, 6, -0.00435673),
    (5, 6, -0.000593264),
];

/// Thermal conductivity, R15-11 table 1: L₀ … L₄ of the dilute-gas term.
const COND_L0: [f64; 5] = [
    2.443221e-3,
    1.323095e-2,
    6.770357e-3,
    -3.454586e-3,
    4.096266e-4,
];
/// Thermal conductivity, R15-11 table 2: (i, j, Lᵢⱼ) of the residual term.
const COND_L1: [(i32, i32, f64); 28] = [
    (0, 0, 1.60397357),
    (0, 1, -0.646013523),
    (0, 2, 0.111443906),
    (0, 3, 0.102997357),
    (0, 4, -0.0504123634),
    (0, 5, 0.00609859258),
    (1, 0, 2.33771842),
    (1, 1, -2.78843778),
    (1, 2, 1.53616167),
    (1, 3, -0.463045512),
    (1, 4, 0.0832827019),
    (1, 5, -0.00719201245),
    (2, 0, 2.19650529),
    (2, 1, -4.54580785),
    (2, 2, 3.55777244),
    (2, 3, -1.40944978),
    (2, 4, 0.275418278),
    (2, 5, -0.0205938816),
    (3, 0, -1.21051378),
    (3, 1, 1.60812989),
    (3, 2, -0.621178141),
    (3, 3, 0.0716373224),
    (4, 0, -2.720337),
    (4, 1, 4.57586331),
    (4, 2, -3.18369245),
    (4, 3, 1.1168348),
    (4, 4, -0.19268305),
    (4, 5, 0.012913842),
];

fn poly(table: &[(i32, i32, f64)], a: f64, b: f64) -> f64 {
    table
        .iter()
        .map(|&(i, j, n)| n * a.powi(i) * b.powi(j))
        .sum()
}

/// h on the B2bc boundary [kJ/kg] at p [MPa] (Eq. 21).
fn h_2bc(p: f64) -> f64 {
    0.26526571908428e4 + ((p - 0.45257578905948e1) / 0.12809002730136e-3).sqrt()
}

/// Region 2 backward T(p,h) [K] and the sub-region (1 = 2a, 2 = 2b, 3 = 2c).
fn t_ph2(p: f64, h: f64) -> (f64, f64) {
    let eta = h / 2000.0;
    if p <= 4.0 {
        (poly(&T_PH2A, p, eta - 2.1), 1.0)
    } else if p <= 6.546_699_678 || h >= h_2bc(p) {
        (poly(&T_PH2B, p - 2.0, eta - 2.6), 2.0)
    } else {
        (poly(&T_PH2C, p + 25.0, eta - 1.8), 3.0)
    }
}

fn eval_t_ph2(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (p, h) = (x[0], x[1]);
    let (t, sub) = t_ph2(p, h);
    let saturation = if p <= steam::P_CRIT {
        steam::tsat(p)
    } else {
        0.0
    };
    let outside = !(t.is_finite()) || t > 1073.15 + 0.03 || t < saturation - 0.03 || {
        // Above 623.15 K region 2 ends at the B23 boundary.
        t > 623.15 && p > steam::p_b23(t) + 1e-6
    };
    if outside {
        return Err(Refusal::new(
            format!("p = {p} MPa, h = {h} kJ/kg is not a superheated-steam state (region 2)"),
            format!("p = {p} MPa、h = {h} kJ/kg 不是过热蒸汽状态（区域2）"),
        ));
    }
    Ok(vec![t.max(saturation), sub])
}

/// Viscosity [mPa·s] without the critical enhancement (R12-08 Eq. 10–12, μ̄₂ = 1).
fn viscosity(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (rho, t) = (x[0], x[1]);
    let tr = t / T_CRIT;
    let dr = rho / 322.0;
    let mu0 = 100.0 * tr.sqrt()
        / VISC_H0
            .iter()
            .enumerate()
            .map(|(i, h)| h / tr.powi(i as i32))
            .sum::<f64>();
    let mu1 = (dr * poly(&VISC_H1, 1.0 / tr - 1.0, dr - 1.0)).exp();
    Ok(vec![mu0 * mu1 * 1e-3, mu0 * 1e-3])
}

/// Thermal conductivity [W/(m·K)] without the critical enhancement (R15-11 Eq. 16–17, λ̄₂ = 0).
fn conductivity(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (rho, t) = (x[0], x[1]);
    let tr = t / T_CRIT;
    let dr = rho / 322.0;
    let k0 = tr.sqrt()
        / COND_L0
            .iter()
            .enumerate()
            .map(|(i, l)| l / tr.powi(i as i32))
            .sum::<f64>();
    let k1 = (dr * poly(&COND_L1, 1.0 / tr - 1.0, dr - 1.0)).exp();
    Ok(vec![k0 * k1 * 1e-3, k0 * 1e-3])
}

/// Surface tension [mN/m] (R1-76 Eq. 1).
fn surface_tension(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let tau = 1.0 - x[0] / T_CRIT;
    Ok(vec![235.8 * tau.powf(1.256) * (1.0 - 0.625 * tau)])
}

pub(crate) const MODELS: &[Model] = &[
    Model {
        card: card(
            "steam.if97_t_ph_region2",
            Text::new(
                "Steam temperature from pressure and enthalpy (IF97 region 2 backward)",
                "由压力和比焓求蒸汽温度（IF97 区域2逆算）",
            ),
            Text::new(
                "Temperature of superheated steam from its pressure and specific enthalpy without iteration (turbine stages, desuperheaters, steam-network heat balances).",
                "由过热蒸汽的压力和比焓直接求温度，无需迭代（汽轮机级、减温器、蒸汽管网热平衡）。",
            ),
            ModelKind::Mechanism,
            STEAM_INDUSTRIES,
            &[Domain::Production, Domain::Design],
            &[
                Port::new("p", "Pressure", "压力", "MPa", steam::P_MIN_SAT, 100.0),
                Port::new("h", "Specific enthalpy", "比焓", "kJ/kg", 2000.0, 4200.0),
            ],
            REGION2_T_OUTPUTS,
            Text::new(
                "2a (p ≤ 4 MPa): T = Σ nᵢ π^Iᵢ (η − 2.1)^Jᵢ; 2b: Σ nᵢ (π − 2)^Iᵢ (η − 2.6)^Jᵢ; 2c: Σ nᵢ (π + 25)^Iᵢ (η − 1.8)^Jᵢ; η = h/2000 kJ/kg; 2b/2c split by the B2bc line h = n₄ + √((π − n₅)/n₃).",
                "2a（p ≤ 4 MPa）：T = Σ nᵢ π^Iᵢ (η − 2.1)^Jᵢ；2b：Σ nᵢ (π − 2)^Iᵢ (η − 2.6)^Jᵢ；2c：Σ nᵢ (π + 25)^Iᵢ (η − 1.8)^Jᵢ；η = h/2000 kJ/kg；2b/2c 以 B2bc 线 h = n₄ + √((π − n₅)/n₃) 划分。",
            ),
            &[if97(
                "§6.3.1, Eq. 20–24, tables 19–22 (verification: table 24)",
            )],
        ),
        eval: Eval::Scalar(eval_t_ph2),
    },
    Model {
        card: card(
            "water.viscosity_iapws2008",
            Text::new(
                "Viscosity of water and steam (IAPWS 2008)",
                "水和水蒸气的动力黏度（IAPWS 2008）",
            ),
            Text::new(
                "Dynamic viscosity of liquid water or steam from density and temperature, for Reynolds numbers of pipes, exchangers and boilers (without the critical enhancement, which matters only within about 1 K of the critical point).",
                "由密度和温度计算液态水或水蒸气的动力黏度，用于管道、换热器和锅炉的雷诺数（不含临界增强项，仅在临界点约 1 K 内有影响）。",
            ),
            ModelKind::Mechanism,
            &["D44", "D46", "C26", "C25"],
            &[Domain::Design, Domain::Production],
            &[
                Port::new("rho", "Density", "密度", "kg/m3", 0.0, 1250.0),
                Port::new("T", "Temperature", "温度", "K", 273.16, 1173.15),
            ],
            &[
                Port::out("mu", "Dynamic viscosity", "动力黏度", "mPa.s"),
                Port::out("mu0", "Dilute-gas viscosity", "稀薄气体黏度", "mPa.s"),
            ],
            Text::new(
                "μ = μ₀(T̄)·μ₁(T̄,ρ̄)·1 µPa·s; μ₀ = 100√T̄ / Σ Hᵢ/T̄ⁱ; μ₁ = exp[ρ̄ Σ Hᵢⱼ (1/T̄ − 1)ⁱ (ρ̄ − 1)ʲ]; T̄ = T/647.096 K, ρ̄ = ρ/322 kg/m³.",
                "μ = μ₀(T̄)·μ₁(T̄,ρ̄)·1 µPa·s；μ₀ = 100√T̄ / Σ Hᵢ/T̄ⁱ；μ₁ = exp[ρ̄ Σ Hᵢⱼ (1/T̄ − 1)ⁱ (ρ̄ − 1)ʲ]；T̄ = T/647.096 K，ρ̄ = ρ/322 kg/m³。",
            ),
            &[Reference {
                source: "IAPWS R12-08, Release on the IAPWS Formulation 2008 for the Viscosity of Ordinary Water Substance",
                locator: "Eq. 10–12, tables 1–2 (verification: table 4, μ̄₂ = 1)",
            }],
        ),
        eval: Eval::Scalar(viscosity),
    },
    Model {
        card: card(
            "water.thermal_conductivity_iapws2011",
            Text::new(
                "Thermal conductivity of water and steam (IAPWS 2011)",
                "水和水蒸气的导热系数（IAPWS 2011）",
            ),
            Text::new(
                "Thermal conductivity of liquid water or steam from density and temperature, for Prandtl and Nusselt numbers of boilers and exchangers (without the critical enhancement, which matters only near the critical point).",
                "由密度和温度计算液态水或水蒸气的导热系数，用于锅炉和换热器的普朗特数与努塞尔数（不含临界增强项，仅在临界点附近有影响）。",
            ),
            ModelKind::Mechanism,
            &["D44", "D46", "C26", "C25"],
            &[Domain::Design, Domain::Production],
            &[
                Port::new("rho", "Density", "密度", "kg/m3", 0.0, 1250.0),
                Port::new("T", "Temperature", "温度", "K", 273.16, 1173.15),
            ],
            &[
                Port::out("k", "Thermal conductivity", "导热系数", "W/(m.K)"),
                Port::out(
                    "k0",
                    "Dilute-gas conductivity",
                    "稀薄气体导热系数",
                    "W/(m.K)",
                ),
            ],
            Text::new(
                "λ = λ₀(T̄)·λ₁(T̄,ρ̄)·1 mW/(m·K); λ₀ = √T̄ / Σ Lₖ/T̄ᵏ; λ₁ = exp[ρ̄ Σ Lᵢⱼ (1/T̄ − 1)ⁱ (ρ̄ − 1)ʲ]; T̄ = T/647.096 K, ρ̄ = ρ/322 kg/m³.",
                "λ = λ₀(T̄)·λ₁(T̄,ρ̄)·1 mW/(m·K)；λ₀ = √T̄ / Σ Lₖ/T̄ᵏ；λ₁ = exp[ρ̄ Σ Lᵢⱼ (1/T̄ − 1)ⁱ (ρ̄ − 1)ʲ]；T̄ = T/647.096 K，ρ̄ = ρ/322 kg/m³。",
            ),
            &[Reference {
                source: "IAPWS R15-11, Release on the IAPWS Formulation 2011 for the Thermal Conductivity of Ordinary Water Substance",
                locator: "Eq. 16–17, tables 1–2 (verification: table 4, λ̄₂ = 0)",
            }],
        ),
        eval: Eval::Scalar(conductivity),
    },
    Model {
        card: card(
            "water.surface_tension_iapws",
            Text::new("Surface tension of water (IAPWS)", "水的表面张力（IAPWS）"),
            Text::new(
                "Surface tension of water against its vapour from the triple point to the critical point (sprays, bubbles, cavitation, capillary rise).",
                "从三相点到临界点水与其蒸汽间的表面张力（喷雾、气泡、空化、毛细上升）。",
            ),
            ModelKind::Mechanism,
            &["C26", "D46", "C14", "C17"],
            &[Domain::Design],
            &[Port::new("T", "Temperature", "温度", "K", 248.15, T_CRIT)],
            &[Port::out("sigma", "Surface tension", "表面张力", "mN/m")],
            Text::new(
                "σ = 235.8 mN/m · τ^1.256 (1 − 0.625τ), τ = 1 − T/647.096 K.",
                "σ = 235.8 mN/m · τ^1.256 (1 − 0.625τ)，τ = 1 − T/647.096 K。",
            ),
            &[Reference {
                source: "IAPWS R1-76(2014), Revised Release on the Surface Tension of Ordinary Water Substance",
                locator: "Eq. 1 and table 1",
            }],
        ),
        eval: Eval::Scalar(surface_tension),
    },
];
