//! Plant energy: fan and compressor power, compressed-air leaks, boiler efficiency by the
//! direct and the indirect (flue-loss) methods, excess air, blowdown and flash steam.

use crate::steam::{region1, region2, tsat};
use crate::{Eval, Model, card};
use ironloom_core::model::{Domain, ModelKind, Port, Reference, Refusal, Text};

const ENERGY_INDUSTRIES: &[&str] = &["D44", "C26", "C30", "C31", "C34"];
const PLANT: &[Domain] = &[Domain::Production, Domain::Operations];
/// Molar gas constant, J/(mol·K) (CODATA 2018, exact).
const R_MOLAR: f64 = 8.314_462_618;
/// Specific gas constant of dry air, J/(kg·K) (M = 28.965 g/mol).
const R_AIR: f64 = R_MOLAR / 0.028_965;
const GB_10180: &str = "GB/T 10180-2017, 工业锅炉热工性能试验规程 (Thermal performance test code for industrial boilers)";

fn fan_power(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (q, dp, eta_fan, eta_drive, eta_motor) = (x[0], x[1], x[2], x[3], x[4]);
    let air = q * dp / 1000.0;
    let shaft = air / eta_fan;
    Ok(vec![air, shaft, shaft / (eta_drive * eta_motor)])
}

fn compressor_power(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (q1, p1, p2, k, eta_is, eta_motor) = (x[0], x[1], x[2], x[3], x[4], x[5]);
    if p2 <= p1 {
        return Err(Refusal::new(
            "the discharge pressure must exceed the suction pressure",
            "排气压力必须高于吸气压力",
        ));
    }
    // p1 in kPa and Q1 in m³/min: p1·Q1/60 is kW.
    let ideal = k / (k - 1.0) * p1 * q1 / 60.0 * ((p2 / p1).powf((k - 1.0) / k) - 1.0);
    let shaft = ideal / eta_is;
    let input = shaft / eta_motor;
    Ok(vec![ideal, shaft, input, input / q1])
}

/// Mass flow of an ideal gas through an orifice from stagnation (p0, T0) to p_b, kg/s.
fn orifice_mass_flow(cd: f64, area: f64, p0: f64, t0: f64, pb: f64, k: f64, r: f64) -> (f64, bool) {
    let critical = (2.0 / (k + 1.0)).powf(k / (k - 1.0));
    let ratio = pb / p0;
    if ratio <= critical {
        let m = cd
            * area
            * p0
            * (k / (r * t0)).sqrt()
            * (2.0 / (k + 1.0)).powf((k + 1.0) / (2.0 * (k - 1.0)));
        (m, true)
    } else {
        let m = cd
            * area
            * p0
            * (2.0 * k / ((k - 1.0) * r * t0) * (ratio.powf(2.0 / k) - ratio.powf((k + 1.0) / k)))
                .sqrt();
        (m, false)
    }
}

fn air_leak(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (pg, pa, t, d, cd, hours, specific) = (x[0], x[1], x[2], x[3], x[4], x[5], x[6]);
    let area = std::f64::consts::PI / 4.0 * (d / 1000.0).powi(2);
    let (m, choked) = orifice_mass_flow(
        cd,
        area,
        (pg + pa) * 1000.0,
        t + 273.15,
        pa * 1000.0,
        1.4,
        R_AIR,
    );
    // Normal cubic metres: 0 °C, 101.325 kPa.
    let rho_n = 101_325.0 / (R_AIR * 273.15);
    let q_n = m / rho_n * 60.0;
    // Free air: the same mass at the ambient pressure and the air's temperature.
    let q_free = m / (pa * 1000.0 / (R_AIR * (t + 273.15))) * 60.0;
    let energy = q_n * specific * hours;
    Ok(vec![m, q_n, q_free, if choked { 1.0 } else { 0.0 }, energy])
}

fn boiler_direct(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (d, hs, hfw, dbd, hbd, b, q) = (x[0], x[1], x[2], x[3], x[4], x[5], x[6]);
    if hs <= hfw {
        return Err(Refusal::new(
            "the steam enthalpy must exceed the feedwater enthalpy",
            "蒸汽焓必须高于给水焓",
        ));
    }
    let useful = d * (hs - hfw) + dbd * (hbd - hfw);
    let fuel = b * q;
    Ok(vec![100.0 * useful / fuel, useful / 3600.0, fuel / 3600.0])
}

/// Siegert coefficients (A2, B) of the 1. BImSchV, Anlage III.
const SIEGERT: [(f64, f64); 5] = [
    (0.68, 0.007),
    (0.66, 0.009),
    (0.63, 0.011),
    (0.60, 0.011),
    (0.63, 0.008),
];

fn boiler_indirect(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (tfg, ta, o2, fuel, q3, q4, q5, q6) =
        (x[0], x[1], x[2], x[3] as usize, x[4], x[5], x[6], x[7]);
    if tfg <= ta {
        return Err(Refusal::new(
            "the flue gas must be hotter than the combustion air",
            "排烟温度必须高于助燃空气温度",
        ));
    }
    let (a2, b) = SIEGERT[fuel];
    // Siegert's formula gives the loss in per cent directly.
    let q2 = (tfg - ta) * (a2 / (21.0 - o2) + b);
    let eta = 100.0 - q2 - q3 - q4 - q5 - q6;
    if eta <= 0.0 {
        return Err(Refusal::new(
            "the losses add up to 100 % or more",
            "各项热损失之和达到或超过 100 %",
        ));
    }
    Ok(vec![q2, eta])
}

fn excess_air(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (o2, o2_air) = (x[0], x[1]);
    if o2 >= o2_air {
        return Err(Refusal::new(
            "the flue-gas oxygen must be below that of air",
            "烟气含氧量必须低于空气含氧量",
        ));
    }
    let alpha = o2_air / (o2_air - o2);
    Ok(vec![alpha, 100.0 * (alpha - 1.0)])
}

fn blowdown(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (s, f, b) = (x[0], x[1], x[2]);
    if b <= f {
        return Err(Refusal::new(
            "the boiler-water limit must exceed the feedwater TDS",
            "炉水含盐量限值必须高于给水含盐量",
        ));
    }
    let bd = f * s / (b - f);
    Ok(vec![bd, 100.0 * bd / (s + bd), 100.0 * bd / s])
}

fn flash(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (p_hi, p_lo) = (x[0], x[1]);
    if p_lo >= p_hi {
        return Err(Refusal::new(
            "the flash pressure must be below the condensate pressure",
            "闪蒸压力必须低于凝结水压力",
        ));
    }
    let hf_hi = region1(p_hi, tsat(p_hi)).h;
    let t_lo = tsat(p_lo);
    let hf_lo = region1(p_lo, t_lo).h;
    let hg_lo = region2(p_lo, t_lo).h;
    let hfg = hg_lo - hf_lo;
    Ok(vec![(hf_hi - hf_lo) / hfg, hf_hi, hf_lo, hfg])
}

pub(crate) const MODELS: &[Model] = &[
    Model {
        card: card(
            "fan.air_power",
            Text::new(
                "Fan air, shaft and input power",
                "风机有效功率、轴功率与输入功率",
            ),
            Text::new(
                "Air power of a fan from its flow and total pressure rise, and the shaft and electrical input power through the fan, drive and motor efficiencies (incompressible air).",
                "由风量和全压升计算风机有效功率，并经风机、传动和电机效率得到轴功率与输入电功率（不可压缩）。",
            ),
            ModelKind::Mechanism,
            ENERGY_INDUSTRIES,
            PLANT,
            &[
                Port::new("Q", "Volume flow", "风量", "m3/s", 0.0, 1e4),
                Port::new("dp", "Fan total pressure rise", "风机全压", "Pa", 0.0, 1e5),
                Port::new("eta_fan", "Fan efficiency", "风机效率", "", 1e-3, 1.0),
                Port::new("eta_drive", "Drive efficiency", "传动效率", "", 1e-3, 1.0).default(1.0),
                Port::new("eta_motor", "Motor efficiency", "电机效率", "", 1e-3, 1.0).default(1.0),
            ],
            &[
                Port::out("P_air", "Fan air power", "风机有效功率", "kW"),
                Port::out("P_shaft", "Shaft power", "轴功率", "kW"),
                Port::out("P_in", "Electrical input power", "输入电功率", "kW"),
            ],
            Text::new(
                "P_air = Q·Δp_t; P_shaft = P_air/η_fan; P_in = P_shaft/(η_drive·η_motor) (compressibility coefficient k_p = 1).",
                "P_air = Q·Δp_t；P_shaft = P_air/η_fan；P_in = P_shaft/(η_drive·η_motor)（可压缩性系数 k_p 取 1）。",
            ),
            &[
                Reference {
                    source: "ISO 5801:2017 (GB/T 1236-2017), Fans — Performance testing using standardized airways",
                    locator: "fan air power and fan efficiency (incompressible case, k_p = 1)",
                },
                Reference {
                    source: "GB/T 13466-2006, 交流电气传动风机（泵类、空气压缩机）系统经济运行通则",
                    locator: "system efficiency as the product of the unit efficiencies",
                },
            ],
        ),
        eval: Eval::Scalar(fan_power),
    },
    Model {
        card: card(
            "compressor.isentropic_power",
            Text::new(
                "Compressor isentropic and input power",
                "压缩机等熵功率与输入功率",
            ),
            Text::new(
                "Ideal (isentropic) power to compress an ideal gas from the inlet flow and pressures, the shaft and input power through the isentropic and motor efficiencies, and the specific power.",
                "由吸气量和进排气压力计算理想气体的等熵压缩功率，经等熵效率和电机效率得到轴功率、输入功率及比功率。",
            ),
            ModelKind::Mechanism,
            ENERGY_INDUSTRIES,
            PLANT,
            &[
                Port::new(
                    "Q1",
                    "Inlet volume flow",
                    "吸气容积流量",
                    "m3/min",
                    1e-6,
                    1e5,
                ),
                Port::new(
                    "p1",
                    "Inlet pressure (absolute)",
                    "吸气绝对压力",
                    "kPa",
                    1e-3,
                    1e5,
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
                Port::new("eta_is", "Isentropic efficiency", "等熵效率", "", 1e-3, 1.0)
                    .default(1.0),
                Port::new("eta_motor", "Motor efficiency", "电机效率", "", 1e-3, 1.0).default(1.0),
            ],
            &[
                Port::out("P_is", "Isentropic power", "等熵功率", "kW"),
                Port::out("P_shaft", "Shaft power", "轴功率", "kW"),
                Port::out("P_in", "Input power", "输入功率", "kW"),
                Port::out("specific_power", "Specific power", "比功率", "kW.min/m3"),
            ],
            Text::new(
                "P_is = k/(k−1)·p₁Q₁·[(p₂/p₁)^((k−1)/k) − 1]; P_shaft = P_is/η_is; P_in = P_shaft/η_motor; specific power = P_in/Q₁.",
                "P_is = k/(k−1)·p₁Q₁·[(p₂/p₁)^((k−1)/k) − 1]；P_shaft = P_is/η_is；P_in = P_shaft/η_motor；比功率 = P_in/Q₁。",
            ),
            &[
                Reference {
                    source: "ISO 1217:2009, Displacement compressors — Acceptance tests",
                    locator: "specific energy requirement (isentropic reference power)",
                },
                Reference {
                    source: "GB 19153-2019, 容积式空气压缩机能效限定值及能效等级",
                    locator: "比功率 (specific power) definition",
                },
            ],
        ),
        eval: Eval::Scalar(compressor_power),
    },
    Model {
        card: card(
            "compressed_air.orifice_leak",
            Text::new(
                "Compressed-air leak through an orifice",
                "压缩空气孔口泄漏量",
            ),
            Text::new(
                "Mass and free-air flow of air escaping through a hole from a line pressure to the atmosphere (choked or subsonic isentropic flow), and the energy it wastes.",
                "由管网压力计算空气经孔口泄漏到大气的质量流量与标准状态流量（壅塞或亚声速等熵流），及其浪费的电能。",
            ),
            ModelKind::Mechanism,
            ALL_PLANTS,
            PLANT,
            &[
                Port::new("p_g", "Line pressure (gauge)", "管网表压", "kPa", 0.0, 1e5),
                Port::new("p_a", "Ambient pressure", "大气压力", "kPa", 10.0, 200.0)
                    .default(101.325),
                Port::new("T", "Air temperature", "空气温度", "°C", -50.0, 300.0).default(20.0),
                Port::new("d", "Hole diameter", "孔径", "mm", 0.0, 1000.0),
                Port::new("Cd", "Discharge coefficient", "流量系数", "", 0.01, 1.0).default(1.0),
                Port::new(
                    "hours",
                    "Hours under pressure per year",
                    "年带压小时数",
                    "h",
                    0.0,
                    8784.0,
                )
                .default(8000.0),
                Port::new(
                    "sp",
                    "Compressor specific power",
                    "压缩机比功率",
                    "kW.min/m3",
                    0.0,
                    100.0,
                )
                .default(6.5),
            ],
            &[
                Port::out("m", "Leak mass flow", "泄漏质量流量", "kg/s"),
                Port::out(
                    "Q_n",
                    "Leak flow at 0 °C, 101.325 kPa",
                    "泄漏标准流量（0 °C，101.325 kPa）",
                    "m3/min",
                ),
                Port::out(
                    "Q_free",
                    "Leak flow as free air (ambient pressure, air temperature)",
                    "泄漏自由空气流量（大气压力、空气温度）",
                    "m3/min",
                ),
                Port::out(
                    "choked",
                    "Choked flow (1) or not (0)",
                    "是否壅塞流（1/0）",
                    "",
                ),
                Port::out("E", "Energy wasted per year", "年浪费电能", "kWh"),
            ],
            Text::new(
                "Choked when p_a/p₀ ≤ (2/(k+1))^(k/(k−1)): ṁ = C_d·A·p₀·√(k/(RT₀))·(2/(k+1))^((k+1)/(2(k−1))); else ṁ = C_d·A·p₀·√(2k/((k−1)RT₀)·[(p_a/p₀)^(2/k) − (p_a/p₀)^((k+1)/k)]); k = 1.4, R = 287.05 J/(kg·K); Q_n = ṁ/ρ_n, Q_free = ṁ/ρ(p_a, T); E = Q_n·specific power·hours.",
                "当 p_a/p₀ ≤ (2/(k+1))^(k/(k−1)) 时为壅塞流：ṁ = C_d·A·p₀·√(k/(RT₀))·(2/(k+1))^((k+1)/(2(k−1)))；否则 ṁ = C_d·A·p₀·√(2k/((k−1)RT₀)·[(p_a/p₀)^(2/k) − (p_a/p₀)^((k+1)/k)])；k = 1.4，R = 287.05 J/(kg·K)；Q_n = ṁ/ρ_n，Q_free = ṁ/ρ(p_a, T)；E = Q_n·比功率·小时数。",
            ),
            &[
                Reference {
                    source: "Shapiro, A. H., The Dynamics and Thermodynamics of Compressible Fluid Flow, vol. 1, Ronald Press, 1953",
                    locator: "ch. 4, isentropic flow through a nozzle (choked mass flow)",
                },
                Reference {
                    source: "U.S. DOE, Improving Compressed Air System Performance: A Sourcebook for Industry, 3rd ed., 2016",
                    locator: "Fact sheet: compressed air system leaks",
                },
            ],
        ),
        eval: Eval::Scalar(air_leak),
    },
    Model {
        card: card(
            "boiler.efficiency_direct",
            Text::new(
                "Boiler efficiency, direct (input–output) method",
                "锅炉热效率（正平衡法）",
            ),
            Text::new(
                "Thermal efficiency of a steam boiler from the heat taken up by steam and blowdown against the fuel's heat input.",
                "由蒸汽和排污水吸收的热量与燃料输入热量之比计算锅炉正平衡热效率。",
            ),
            ModelKind::Mechanism,
            ENERGY_INDUSTRIES,
            PLANT,
            &[
                Port::new("D", "Steam flow", "蒸汽流量", "kg/h", 0.0, 1e8),
                Port::new("h_s", "Steam enthalpy", "蒸汽焓", "kJ/kg", 0.0, 5000.0),
                Port::new("h_fw", "Feedwater enthalpy", "给水焓", "kJ/kg", 0.0, 5000.0),
                Port::new("D_bd", "Blowdown flow", "排污水流量", "kg/h", 0.0, 1e8).default(0.0),
                Port::new(
                    "h_bd",
                    "Blowdown water enthalpy",
                    "排污水焓",
                    "kJ/kg",
                    0.0,
                    5000.0,
                )
                .default(0.0),
                Port::new("B", "Fuel consumption", "燃料消耗量", "kg/h", 1e-9, 1e8),
                Port::new(
                    "Q_net",
                    "Fuel net calorific value (as fired)",
                    "燃料收到基低位发热量",
                    "kJ/kg",
                    1.0,
                    1.5e5,
                ),
            ],
            &[
                Port::out("eta", "Thermal efficiency", "热效率", "%"),
                Port::out("Q_useful", "Useful heat output", "有效利用热量", "kW"),
                Port::out("Q_fuel", "Fuel heat input", "燃料输入热量", "kW"),
            ],
            Text::new(
                "η = [D(h_s − h_fw) + D_bd(h_bd − h_fw)]/(B·Q_net,ar) × 100 %.",
                "η = [D(h_s − h_fw) + D_bd(h_bd − h_fw)]/(B·Q_net,ar) × 100 %。",
            ),
            &[
                Reference {
                    source: GB_10180,
                    locator: "正平衡法 (input–output method)",
                },
                Reference {
                    source: "ASME PTC 4-2013, Fired Steam Generators",
                    locator: "efficiency by the input–output method",
                },
            ],
        ),
        eval: Eval::Scalar(boiler_direct),
    },
    Model {
        card: card(
            "boiler.efficiency_indirect",
            Text::new(
                "Boiler efficiency, indirect (heat-loss) method with Siegert's flue loss",
                "锅炉热效率（反平衡法，Siegert 排烟损失）",
            ),
            Text::new(
                "Flue-gas (dry exhaust) loss from the flue-gas and air temperatures and the flue-gas O₂ by Siegert's formula, and the efficiency as 100 % less all losses.",
                "由排烟温度、空气温度和烟气含氧量按 Siegert 公式计算排烟热损失，热效率为 100 % 减去各项热损失。",
            ),
            ModelKind::Mechanism,
            ENERGY_INDUSTRIES,
            PLANT,
            &[
                Port::new(
                    "T_fg",
                    "Flue-gas temperature",
                    "排烟温度",
                    "°C",
                    -50.0,
                    1500.0,
                ),
                Port::new(
                    "T_a",
                    "Combustion air temperature",
                    "助燃空气温度",
                    "°C",
                    -50.0,
                    500.0,
                ),
                Port::new(
                    "O2",
                    "Flue-gas O₂ (dry)",
                    "烟气含氧量（干基）",
                    "%",
                    0.0,
                    20.0,
                ),
                Port::choice(
                    "fuel",
                    "Fuel (Siegert coefficients)",
                    "燃料（Siegert 系数）",
                    &[
                        "light_fuel_oil",
                        "natural_gas",
                        "town_gas",
                        "coke_oven_gas",
                        "lpg",
                    ],
                ),
                Port::new(
                    "q3",
                    "Unburnt gas loss",
                    "气体未完全燃烧损失",
                    "%",
                    0.0,
                    100.0,
                )
                .default(0.0),
                Port::new(
                    "q4",
                    "Unburnt carbon loss",
                    "固体未完全燃烧损失",
                    "%",
                    0.0,
                    100.0,
                )
                .default(0.0),
                Port::new(
                    "q5",
                    "Surface (radiation) loss",
                    "散热损失",
                    "%",
                    0.0,
                    100.0,
                )
                .default(0.0),
                Port::new(
                    "q6",
                    "Ash sensible heat loss",
                    "灰渣物理热损失",
                    "%",
                    0.0,
                    100.0,
                )
                .default(0.0),
            ],
            &[
                Port::out("q2", "Flue-gas loss", "排烟热损失", "%"),
                Port::out("eta", "Thermal efficiency", "热效率", "%"),
            ],
            Text::new(
                "q₂ = (T_fg − T_a)·[A₂/(21 − O₂) + B] (A₂, B: light oil 0.68, 0.007; natural gas 0.66, 0.009; town gas 0.63, 0.011; coke-oven gas 0.60, 0.011; LPG 0.63, 0.008); η = 100 − q₂ − q₃ − q₄ − q₅ − q₆.",
                "q₂ = (T_fg − T_a)·[A₂/(21 − O₂) + B]（A₂、B：轻油 0.68、0.007；天然气 0.66、0.009；城市煤气 0.63、0.011；焦炉煤气 0.60、0.011；液化石油气 0.63、0.008）；η = 100 − q₂ − q₃ − q₄ − q₅ − q₆。",
            ),
            &[
                Reference {
                    source: GB_10180,
                    locator: "反平衡法 (heat-loss method)",
                },
                Reference {
                    source: "1. BImSchV (Verordnung über kleine und mittlere Feuerungsanlagen), 2010",
                    locator: "Anlage III, Siegert formula and its coefficients",
                },
            ],
        ),
        eval: Eval::Scalar(boiler_indirect),
    },
    Model {
        card: card(
            "combustion.excess_air_from_o2",
            Text::new(
                "Excess air from flue-gas oxygen",
                "由烟气含氧量求过量空气系数",
            ),
            Text::new(
                "Excess-air ratio of a complete combustion from the O₂ content of the dry flue gas.",
                "由干烟气含氧量计算完全燃烧时的过量空气系数。",
            ),
            ModelKind::Mechanism,
            ENERGY_INDUSTRIES,
            PLANT,
            &[
                Port::new(
                    "O2",
                    "Flue-gas O₂ (dry)",
                    "烟气含氧量（干基）",
                    "%",
                    0.0,
                    30.0,
                ),
                Port::new(
                    "O2_air",
                    "O₂ in the combustion air",
                    "空气含氧量",
                    "%",
                    1.0,
                    100.0,
                )
                .default(21.0),
            ],
            &[
                Port::out("alpha", "Excess-air ratio", "过量空气系数", ""),
                Port::out("excess", "Excess air", "过剩空气率", "%"),
            ],
            Text::new(
                "α = 21/(21 − O₂) (complete combustion, dry flue gas); excess air = (α − 1)·100 %.",
                "α = 21/(21 − O₂)（完全燃烧，干烟气）；过剩空气率 = (α − 1)·100 %。",
            ),
            &[Reference {
                source: GB_10180,
                locator: "过量空气系数 (excess-air ratio) from O₂",
            }],
        ),
        eval: Eval::Scalar(excess_air),
    },
    Model {
        card: card(
            "boiler.blowdown_rate",
            Text::new(
                "Boiler blowdown rate from a TDS balance",
                "锅炉排污率（含盐量平衡）",
            ),
            Text::new(
                "Continuous blowdown needed to hold the boiler water at its TDS limit, from the feedwater TDS and the steam output.",
                "由给水含盐量和蒸发量计算使炉水保持在含盐量限值所需的连续排污量。",
            ),
            ModelKind::Mechanism,
            ENERGY_INDUSTRIES,
            PLANT,
            &[
                Port::new("S", "Steam output", "蒸发量", "kg/h", 0.0, 1e8),
                Port::new("F", "Feedwater TDS", "给水含盐量", "ppm", 0.0, 1e6),
                Port::new(
                    "B",
                    "Boiler-water TDS limit",
                    "炉水含盐量限值",
                    "ppm",
                    0.0,
                    1e6,
                ),
            ],
            &[
                Port::out("blowdown", "Blowdown flow", "排污量", "kg/h"),
                Port::out(
                    "pct_feed",
                    "Blowdown, share of feedwater",
                    "排污率（占给水量）",
                    "%",
                ),
                Port::out(
                    "pct_steam",
                    "Blowdown, share of steam",
                    "排污率（占蒸发量）",
                    "%",
                ),
            ],
            Text::new(
                "Blowdown = F·S/(B − F); feedwater = S + blowdown.",
                "排污量 = F·S/(B − F)；给水量 = S + 排污量。",
            ),
            &[
                Reference {
                    source: "Spirax Sarco, The Steam and Condensate Loop, 2007",
                    locator: "boiler blowdown and TDS control (blowdown rate from a TDS balance)",
                },
                Reference {
                    source: "GB/T 1576-2018, 工业锅炉水质",
                    locator: "炉水溶解固形物限值",
                },
            ],
        ),
        eval: Eval::Scalar(blowdown),
    },
    Model {
        card: card(
            "steam.flash_fraction",
            Text::new("Flash steam from condensate", "凝结水闪蒸汽量"),
            Text::new(
                "Share of saturated condensate that flashes to steam when its pressure falls, with IAPWS-IF97 saturation enthalpies.",
                "以 IAPWS-IF97 饱和焓计算饱和凝结水降压时闪蒸为蒸汽的比例。",
            ),
            ModelKind::Mechanism,
            ENERGY_INDUSTRIES,
            PLANT,
            &[
                Port::new(
                    "p_hi",
                    "Condensate pressure (absolute)",
                    "凝结水绝对压力",
                    "MPa",
                    0.000_611_213,
                    16.5,
                ),
                Port::new(
                    "p_lo",
                    "Flash pressure (absolute)",
                    "闪蒸绝对压力",
                    "MPa",
                    0.000_611_213,
                    16.5,
                ),
            ],
            &[
                Port::out("x", "Flash fraction", "闪蒸率", ""),
                Port::out(
                    "h_f_hi",
                    "Saturated liquid enthalpy at p_hi",
                    "高压饱和水焓",
                    "kJ/kg",
                ),
                Port::out(
                    "h_f_lo",
                    "Saturated liquid enthalpy at p_lo",
                    "低压饱和水焓",
                    "kJ/kg",
                ),
                Port::out("h_fg_lo", "Latent heat at p_lo", "低压汽化潜热", "kJ/kg"),
            ],
            Text::new(
                "x = (h_f(p_hi) − h_f(p_lo))/h_fg(p_lo), h_f from IF97 region 1 and h_g from region 2 at T_s(p).",
                "x = (h_f(p_hi) − h_f(p_lo))/h_fg(p_lo)，h_f 取 IF97 区域1、h_g 取区域2 在 T_s(p) 的值。",
            ),
            &[
                Reference {
                    source: "U.S. DOE, Steam Tip Sheet #12, Flash High-Pressure Condensate to Regenerate Low-Pressure Steam",
                    locator: "flash steam percentage",
                },
                Reference {
                    source: "IAPWS R7-97(2012), Revised Release on the IAPWS Industrial Formulation 1997",
                    locator: "regions 1, 2 and 4",
                },
            ],
        ),
        eval: Eval::Scalar(flash),
    },
];

const ALL_PLANTS: &[&str] = &["C34", "C36", "C38", "C26", "C30", "C31"];
