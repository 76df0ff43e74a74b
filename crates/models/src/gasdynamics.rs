//! Gas dynamics for machines and sites: the U.S. Standard Atmosphere 1976 (= ISO 2533 to
//! 32 km), choked (critical) flow, polytropic and isentropic compressor efficiency, and
//! pump specific speed.

use crate::{Eval, Model, card};
use ironloom_core::model::{Domain, ModelKind, Port, Reference, Refusal, Text};

const GAS_INDUSTRIES: &[&str] = &["C34", "C26", "D44", "C37", "B07"];
const USSA: &str =
    "U.S. Standard Atmosphere, 1976, NOAA-S/T 76-1562, U.S. Government Printing Office, 1976";

/// Earth radius for geopotential altitude, m; standard gravity; gas constant,
/// J/(kmol·K); molar mass of air, kg/kmol (USSA 1976 Table 2 and §1.2).
const R0: f64 = 6_356_766.0;
const G0: f64 = 9.806_65;
const R_STAR: f64 = 8_314.32;
const M0: f64 = 28.9644;

/// Layer bases (geopotential km') and lapse rates (K/km').
const LAYERS: [(f64, f64); 7] = [
    (0.0, -6.5),
    (11.0, 0.0),
    (20.0, 1.0),
    (32.0, 2.8),
    (47.0, 0.0),
    (51.0, -2.8),
    (71.0, -2.0),
];

fn atmosphere(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let z = x[0];
    let h = R0 * z / (R0 + z) / 1000.0; // geopotential km'
    let (mut t_b, mut p_b) = (288.15, 101_325.0);
    let gmr = G0 * M0 / R_STAR * 1000.0; // K per km'
    let mut layer = 0;
    for i in 0..LAYERS.len() {
        if i + 1 < LAYERS.len() && h >= LAYERS[i + 1].0 {
            // Carry the base state to the next layer.
            let (hb, l) = LAYERS[i];
            let dh = LAYERS[i + 1].0 - hb;
            let t_top = t_b + l * dh;
            p_b *= if l == 0.0 {
                (-gmr * dh / t_b).exp()
            } else {
                (t_b / t_top).powf(gmr / l)
            };
            t_b = t_top;
        } else {
            layer = i;
            break;
        }
    }
    let (hb, l) = LAYERS[layer];
    let t = t_b + l * (h - hb);
    let p = if l == 0.0 {
        p_b * (-gmr * (h - hb) / t_b).exp()
    } else {
        p_b * (t_b / t).powf(gmr / l)
    };
    let rho = p * M0 / (R_STAR * t);
    let a = (1.4 * R_STAR * t / M0).sqrt();
    let g = G0 * (R0 / (R0 + z)).powi(2);
    let mu = 1.458e-6 * t.powf(1.5) / (t + 110.4);
    Ok(vec![t, p / 1000.0, rho, a, g, mu])
}

fn critical_flow(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (p1, p2, k) = (x[0], x[1], x[2]);
    if p2 > p1 {
        return Err(Refusal::new(
            "the downstream pressure exceeds the upstream one",
            "下游压力高于上游压力",
        ));
    }
    let ratio = (2.0 / (k + 1.0)).powf(k / (k - 1.0));
    let p_star = p1 * ratio;
    Ok(vec![ratio, p_star, if p2 <= p_star { 1.0 } else { 0.0 }])
}

fn polytropic(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (p1, p2, k, eta_p, t1) = (x[0], x[1], x[2], x[3], x[4]);
    if p2 <= p1 {
        return Err(Refusal::new(
            "a compressor raises the pressure: p₂ must exceed p₁",
            "压缩机使压力升高：p₂ 必须大于 p₁",
        ));
    }
    let r = p2 / p1;
    let exponent = (k - 1.0) / (k * eta_p);
    let eta_s = (r.powf((k - 1.0) / k) - 1.0) / (r.powf(exponent) - 1.0);
    let n = 1.0 / (1.0 - exponent);
    let t2 = t1 * r.powf(exponent);
    Ok(vec![eta_s, n, t2])
}

fn specific_speed(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (q, h, n, stages, suctions) = (x[0], x[1], x[2], x[3], x[4]);
    let q_eye = q / suctions;
    let h_stage = h / stages;
    let ns = n * q_eye.sqrt() / h_stage.powf(0.75);
    // US customary: rpm·√gpm/ft^0.75 = ns·(√15850.32)/(3.28084^0.75).
    let us = ns * 15_850.323_141_5_f64.sqrt() / 3.280_839_895_f64.powf(0.75);
    let type_number = ns * std::f64::consts::TAU / 60.0 / 9.806_65_f64.powf(0.75);
    Ok(vec![ns, us, type_number])
}

pub(crate) const MODELS: &[Model] = &[
    Model {
        card: card(
            "atmosphere.us_standard_1976",
            Text::new("U.S. Standard Atmosphere 1976", "1976 年美国标准大气"),
            Text::new(
                "Temperature, pressure, density, speed of sound, gravity and viscosity of the standard atmosphere at a geometric altitude up to 80 km (identical to ISO 2533 up to 32 km).",
                "计算几何高度 80 km 以内标准大气的温度、压力、密度、声速、重力加速度和黏度（32 km 以下与 ISO 2533 相同）。",
            ),
            ModelKind::Simulation,
            GAS_INDUSTRIES,
            &[Domain::Design, Domain::Operations],
            &[Port::new(
                "Z",
                "Geometric altitude",
                "几何高度",
                "m",
                -5000.0,
                80_000.0,
            )],
            &[
                Port::out("T", "Temperature", "温度", "K"),
                Port::out("p", "Pressure", "压力", "kPa"),
                Port::out("rho", "Density", "密度", "kg/m3"),
                Port::out("a", "Speed of sound", "声速", "m/s"),
                Port::out("g", "Gravity", "重力加速度", "m/s2"),
                Port::out("mu", "Dynamic viscosity", "动力黏度", "Pa.s"),
            ],
            Text::new(
                "H = r₀Z/(r₀ + Z); T = T_b + L_b(H − H_b) in seven layers; p = p_b(T_b/T)^(g₀M₀/(R*L_b)), or p_b·exp(−g₀M₀(H − H_b)/(R*T_b)) where L_b = 0; ρ = pM₀/(R*T); a = √(1.4R*T/M₀); μ = 1.458·10⁻⁶T^1.5/(T + 110.4).",
                "H = r₀Z/(r₀ + Z)；七层内 T = T_b + L_b(H − H_b)；p = p_b(T_b/T)^(g₀M₀/(R*L_b))，L_b = 0 时 p = p_b·exp(−g₀M₀(H − H_b)/(R*T_b))；ρ = pM₀/(R*T)；a = √(1.4R*T/M₀)；μ = 1.458·10⁻⁶T^1.5/(T + 110.4)。",
            ),
            &[
                Reference {
                    source: USSA,
                    locator: "Part 1: geopotential altitude, the seven layers of molecular-scale temperature, pressure, density, speed of sound, gravity and Sutherland viscosity",
                },
                Reference {
                    source: "ISO 2533:1975, Standard Atmosphere",
                    locator: "identical to 32 km",
                },
            ],
        ),
        eval: Eval::Scalar(atmosphere),
    },
    Model {
        card: card(
            "gas.critical_flow",
            Text::new("Critical (choked) flow pressure", "临界（壅塞）流动压力"),
            Text::new(
                "Critical pressure ratio of an ideal gas, the downstream pressure below which flow through a nozzle, orifice or valve is choked, and whether it is.",
                "计算理想气体的临界压比、喷嘴（孔口、阀门）流动壅塞的下游压力界限，并判断是否壅塞。",
            ),
            ModelKind::Mechanism,
            GAS_INDUSTRIES,
            &[Domain::Design, Domain::Operations],
            &[
                Port::new(
                    "p1",
                    "Upstream pressure (absolute)",
                    "上游绝对压力",
                    "kPa",
                    1e-6,
                    1e6,
                ),
                Port::new(
                    "p2",
                    "Downstream pressure (absolute)",
                    "下游绝对压力",
                    "kPa",
                    0.0,
                    1e6,
                ),
                Port::new("k", "Isentropic exponent", "等熵指数", "", 1.001, 1.7).default(1.4),
            ],
            &[
                Port::out("ratio", "Critical pressure ratio", "临界压比", ""),
                Port::out("p_star", "Critical pressure", "临界压力", "kPa"),
                Port::out("choked", "Choked (1) or not (0)", "是否壅塞（1/0）", ""),
            ],
            Text::new(
                "p*/p₁ = (2/(k + 1))^(k/(k−1)); choked when p₂ ≤ p*.",
                "p*/p₁ = (2/(k + 1))^(k/(k−1))；p₂ ≤ p* 时壅塞。",
            ),
            &[Reference {
                source: "Shapiro, A. H., The Dynamics and Thermodynamics of Compressible Fluid Flow, vol. 1, Ronald Press, 1953",
                locator: "ch. 4, critical pressure ratio of isentropic nozzle flow",
            }],
        ),
        eval: Eval::Scalar(critical_flow),
    },
    Model {
        card: card(
            "compressor.polytropic_efficiency",
            Text::new(
                "Polytropic and isentropic compressor efficiency",
                "压缩机多变效率与等熵效率换算",
            ),
            Text::new(
                "Isentropic efficiency equivalent to a polytropic efficiency over a pressure ratio, the polytropic exponent, and the discharge temperature.",
                "由多变效率和压比换算等熵效率，并求多变指数和排气温度。",
            ),
            ModelKind::Mechanism,
            GAS_INDUSTRIES,
            &[Domain::Design, Domain::Operations],
            &[
                Port::new(
                    "p1",
                    "Suction pressure (absolute)",
                    "吸气绝对压力",
                    "kPa",
                    1e-3,
                    1e6,
                ),
                Port::new(
                    "p2",
                    "Discharge pressure (absolute)",
                    "排气绝对压力",
                    "kPa",
                    1e-3,
                    1e6,
                ),
                Port::new("k", "Isentropic exponent", "等熵指数", "", 1.001, 1.7).default(1.4),
                Port::new("eta_p", "Polytropic efficiency", "多变效率", "", 0.05, 1.0),
                Port::new("T1", "Suction temperature", "吸气温度", "K", 1.0, 2000.0)
                    .default(293.15),
            ],
            &[
                Port::out("eta_s", "Isentropic efficiency", "等熵效率", ""),
                Port::out("n", "Polytropic exponent", "多变指数", ""),
                Port::out("T2", "Discharge temperature", "排气温度", "K"),
            ],
            Text::new(
                "(n − 1)/n = (k − 1)/(k·η_p); η_s = [(p₂/p₁)^((k−1)/k) − 1]/[(p₂/p₁)^((n−1)/n) − 1]; T₂ = T₁(p₂/p₁)^((n−1)/n).",
                "(n − 1)/n = (k − 1)/(k·η_p)；η_s = [(p₂/p₁)^((k−1)/k) − 1]/[(p₂/p₁)^((n−1)/n) − 1]；T₂ = T₁(p₂/p₁)^((n−1)/n)。",
            ),
            &[Reference {
                source: "Dixon, S. L., Hall, C. A., Fluid Mechanics and Thermodynamics of Turbomachinery, 7th ed., Butterworth-Heinemann, 2014",
                locator: "small-stage (polytropic) efficiency of a compressor",
            }],
        ),
        eval: Eval::Scalar(polytropic),
    },
    Model {
        card: card(
            "pump.specific_speed",
            Text::new("Pump specific speed", "泵比转速"),
            Text::new(
                "Specific speed of a pump at its best-efficiency point, per impeller eye and stage, in SI and US units and as the dimensionless type number.",
                "按每个叶轮进口和每级计算泵在最高效率点的比转速（国际单位制与美制）及无量纲型式数。",
            ),
            ModelKind::Mechanism,
            GAS_INDUSTRIES,
            &[Domain::Design, Domain::Service],
            &[
                Port::new(
                    "Q",
                    "Flow at best efficiency",
                    "最高效率点流量",
                    "m3/s",
                    1e-9,
                    1e3,
                ),
                Port::new(
                    "H",
                    "Head at best efficiency",
                    "最高效率点扬程",
                    "m",
                    1e-6,
                    1e4,
                ),
                Port::new("n", "Rotational speed", "转速", "rpm", 1.0, 1e6),
                Port::new("stages", "Stages", "级数", "", 1.0, 100.0).default(1.0),
                Port::new(
                    "suctions",
                    "Impeller eyes (2 for double suction)",
                    "叶轮进口数（双吸为 2）",
                    "",
                    1.0,
                    2.0,
                )
                .default(1.0),
            ],
            &[
                Port::out(
                    "n_s",
                    "Specific speed (rpm, m³/s, m)",
                    "比转速（rpm，m³/s，m）",
                    "",
                ),
                Port::out(
                    "N_s_US",
                    "Specific speed (rpm, gpm, ft)",
                    "比转速（rpm，gpm，ft）",
                    "",
                ),
                Port::out(
                    "omega_s",
                    "Type number (dimensionless)",
                    "型式数（无量纲）",
                    "",
                ),
            ],
            Text::new(
                "n_s = n·√(Q/eyes)/(H/stages)^0.75; US: × √15 850.3/3.28084^0.75; ω_s = n_s·(2π/60)/g^0.75.",
                "n_s = n·√(Q/进口数)/(H/级数)^0.75；美制：× √15 850.3/3.28084^0.75；ω_s = n_s·(2π/60)/g^0.75。",
            ),
            &[
                Reference {
                    source: "ANSI/HI 1.3-2013, Rotodynamic Centrifugal Pumps for Design and Application",
                    locator: "specific speed",
                },
                Reference {
                    source: "Gülich, J. F., Centrifugal Pumps, 3rd ed., Springer, 2014",
                    locator: "specific speed and the dimensionless type number",
                },
            ],
        ),
        eval: Eval::Scalar(specific_speed),
    },
];
