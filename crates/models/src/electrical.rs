//! Electrical power: three-phase power, power-factor correction, cable voltage drop and
//! conductor resistance at temperature.

use crate::{Eval, Model};
use ironloom_core::model::{Domain, ModelCard, ModelKind, Port, Reference, Refusal, Text};

const POWER_INDUSTRIES: &[&str] = &["D44", "C38", "C34", "C31"];

fn three_phase(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (u, i, pf) = (x[0], x[1], x[2]);
    let s = 3f64.sqrt() * u * i;
    let p = s * pf;
    Ok(vec![
        p / 1e3,
        (s * s - p * p).max(0.0).sqrt() / 1e3,
        s / 1e3,
    ])
}

fn pf_correction(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (p_kw, pf1, pf2, u, f) = (x[0], x[1], x[2], x[3], x[4]);
    if pf2 < pf1 {
        return Err(Refusal::new(
            "the target power factor must not be below the present one",
            "目标功率因数不能低于现有功率因数",
        ));
    }
    let tan = |pf: f64| (1.0 - pf * pf).sqrt() / pf;
    let k = tan(pf1) - tan(pf2);
    let qc = p_kw * k;
    // Three capacitors in delta, each at the line voltage: Q = 3 ω C U².
    let c_uf = qc * 1e3 / (3.0 * 2.0 * std::f64::consts::PI * f * u * u) * 1e6;
    Ok(vec![k, qc, c_uf])
}

fn voltage_drop(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (system, rho, l, area, pf, reactance_mohm, i, u0) =
        (x[0], x[1], x[2], x[3], x[4], x[5], x[6], x[7]);
    let b = if system == 0.0 { 1.0 } else { 2.0 };
    let sin = (1.0 - pf * pf).max(0.0).sqrt();
    let u = b * (rho * l / area * pf + reactance_mohm * 1e-3 * l * sin) * i;
    Ok(vec![u, 100.0 * u / u0])
}

fn resistance(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (r20, material, t) = (x[0], x[1], x[2]);
    let alpha = if material == 0.0 { 0.003_93 } else { 0.004_03 };
    Ok(vec![r20 * (1.0 + alpha * (t - 20.0))])
}

pub(crate) const MODELS: &[Model] = &[
    Model {
        card: ModelCard {
            id: "elec.three_phase_power",
            version: 1,
            name: Text::new("Three-phase power", "三相功率"),
            summary: Text::new(
                "Active, reactive and apparent power of a balanced three-phase load from line voltage, current and power factor.",
                "由线电压、电流和功率因数计算对称三相负载的有功、无功和视在功率。",
            ),
            kind: ModelKind::Mechanism,
            industries: POWER_INDUSTRIES,
            domains: &[Domain::Operations, Domain::Production],
            inputs: &[
                Port::new("U", "Line-to-line voltage", "线电压", "V", 0.0, 1e6),
                Port::new("I", "Line current", "线电流", "A", 0.0, 1e6),
                Port::new("pf", "Power factor cos φ", "功率因数 cos φ", "", 0.0, 1.0),
            ],
            outputs: &[
                Port::out("P", "Active power", "有功功率", "kW"),
                Port::out("Q", "Reactive power", "无功功率", "kvar"),
                Port::out("S", "Apparent power", "视在功率", "kVA"),
            ],
            formula: Text::new(
                "S = √3 U I; P = S cos φ; Q = √(S² − P²).",
                "S = √3 U I；P = S cos φ；Q = √(S² − P²)。",
            ),
            references: &[Reference {
                source: "IEC 60050-131:2002, International Electrotechnical Vocabulary — Circuit theory",
                locator: "131-11-42 (active power), 131-11-41 (apparent power), 131-11-44 (reactive power)",
            }],
        },
        eval: Eval::Scalar(three_phase),
    },
    Model {
        card: ModelCard {
            id: "elec.pf_correction",
            version: 1,
            name: Text::new("Power-factor correction capacitor", "无功补偿电容器容量"),
            summary: Text::new(
                "Capacitor reactive power (and capacitance per phase in delta) that raises a load's power factor to a target.",
                "将负载功率因数提高到目标值所需的电容器无功容量（及三角形接法每相电容）。",
            ),
            kind: ModelKind::Mechanism,
            industries: POWER_INDUSTRIES,
            domains: &[Domain::Operations, Domain::Design],
            inputs: &[
                Port::new("P", "Active power", "有功功率", "kW", 0.0, 1e7),
                Port::new("pf1", "Present power factor", "现有功率因数", "", 0.01, 1.0),
                Port::new("pf2", "Target power factor", "目标功率因数", "", 0.01, 1.0),
                Port::new("U", "Line voltage", "线电压", "V", 1.0, 1e6).default(400.0),
                Port::new("f", "Frequency", "频率", "Hz", 1.0, 1000.0).default(50.0),
            ],
            outputs: &[
                Port::out(
                    "k",
                    "Multiplier tan φ₁ − tan φ₂",
                    "系数 tan φ₁ − tan φ₂",
                    "",
                ),
                Port::out("Qc", "Capacitor reactive power", "电容器无功容量", "kvar"),
                Port::out(
                    "C",
                    "Capacitance per phase (delta)",
                    "每相电容（三角形接法）",
                    "uF",
                ),
            ],
            formula: Text::new(
                "k = tan(arccos pf₁) − tan(arccos pf₂); Q_c = P k; C = Q_c/(3 ω U²) per phase in delta.",
                "k = tan(arccos pf₁) − tan(arccos pf₂)；Q_c = P k；三角形接法每相 C = Q_c/(3 ω U²)。",
            ),
            references: &[
                Reference {
                    source: "IEC 60831-1:2014 (GB/T 12747.1-2017), Shunt power capacitors of the self-healing type for a.c. systems up to 1 000 V",
                    locator: "rated output",
                },
                Reference {
                    source: "Eaton, Power factor correction: a guide for the plant engineer, Technical Data SA02607001E, 2010",
                    locator: "table 6, multipliers",
                },
            ],
        },
        eval: Eval::Scalar(pf_correction),
    },
    Model {
        card: ModelCard {
            id: "elec.cable_voltage_drop",
            version: 1,
            name: Text::new("Cable voltage drop", "电缆电压降"),
            summary: Text::new(
                "Voltage drop of a low-voltage cable and its share of the phase voltage, from length, cross-section, current and power factor.",
                "由长度、截面、电流和功率因数计算低压电缆的电压降及其占相电压的百分比。",
            ),
            kind: ModelKind::Mechanism,
            industries: &["D44", "E48", "C38", "C34"],
            domains: &[Domain::Design],
            inputs: &[
                Port::choice("system", "System", "系统", &["three_phase", "single_phase"])
                    .default(0.0),
                Port::new(
                    "rho",
                    "Resistivity at service temperature",
                    "工作温度下电阻率",
                    "ohm.mm2/m",
                    0.001,
                    1.0,
                )
                .default(0.0225),
                Port::new("L", "Length", "长度", "m", 0.0, 1e5),
                Port::new("S", "Cross-section", "截面积", "mm2", 0.1, 5000.0),
                Port::new("pf", "Power factor cos φ", "功率因数 cos φ", "", 0.0, 1.0),
                Port::new(
                    "x",
                    "Reactance per length",
                    "单位长度电抗",
                    "mohm/m",
                    0.0,
                    10.0,
                )
                .default(0.08),
                Port::new("I", "Design current", "设计电流", "A", 0.0, 1e5),
                Port::new("U0", "Phase voltage", "相电压", "V", 1.0, 1e5).default(230.0),
            ],
            outputs: &[
                Port::out("u", "Voltage drop", "电压降", "V"),
                Port::out("du", "Voltage drop of U₀", "电压降百分比", "%"),
            ],
            formula: Text::new(
                "u = b (ρ₁ L/S cos φ + λ L sin φ) I_B, b = 1 three-phase, 2 single-phase; Δu = 100 u/U₀.",
                "u = b (ρ₁ L/S cos φ + λ L sin φ) I_B，三相 b = 1，单相 b = 2；Δu = 100 u/U₀。",
            ),
            references: &[Reference {
                source: "IEC 60364-5-52:2009 (GB/T 16895.6-2014), Low-voltage electrical installations — Selection and erection of electrical equipment — Wiring systems",
                locator: "annex G, Eq. G.1 and G.2",
            }],
        },
        eval: Eval::Scalar(voltage_drop),
    },
    Model {
        card: ModelCard {
            id: "elec.conductor_resistance",
            version: 1,
            name: Text::new("Conductor resistance at temperature", "导体电阻温度换算"),
            summary: Text::new(
                "DC resistance of a copper or aluminium conductor at its working temperature from its 20 °C value.",
                "由 20 °C 电阻换算铜或铝导体在工作温度下的直流电阻。",
            ),
            kind: ModelKind::Mechanism,
            industries: &["D44", "C38"],
            domains: &[Domain::Design, Domain::Operations],
            inputs: &[
                Port::new("R20", "Resistance at 20 °C", "20 °C 电阻", "ohm", 0.0, 1e9),
                Port::choice(
                    "material",
                    "Conductor",
                    "导体材料",
                    &["copper", "aluminium"],
                )
                .default(0.0),
                Port::new("T", "Conductor temperature", "导体温度", "°C", -60.0, 400.0),
            ],
            outputs: &[Port::out(
                "R",
                "Resistance at the temperature",
                "该温度下电阻",
                "ohm",
            )],
            formula: Text::new(
                "R_θ = R₂₀ [1 + α₂₀ (θ − 20)], α₂₀ = 0.00393 /K copper, 0.00403 /K aluminium.",
                "R_θ = R₂₀ [1 + α₂₀ (θ − 20)]，铜 α₂₀ = 0.00393 /K，铝 0.00403 /K。",
            ),
            references: &[Reference {
                source: "IEC 60228:2004 (GB/T 3956-2008), Conductors of insulated cables",
                locator: "annex B, temperature correction of resistance",
            }],
        },
        eval: Eval::Scalar(resistance),
    },
];
