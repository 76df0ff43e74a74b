//! Plant utilities and gas cleaning: steam lost through a failed trap or leak (Napier),
//! compressed-air receiver size, theoretical combustion air from a fuel's ultimate
//! analysis, the terminal settling velocity of a particle and the cut size and
//! collection efficiency of a cyclone (Lapple).

use crate::{Eval, Model, card};
use ironloom_core::model::{Domain, ModelKind, Port, Reference, Refusal, Text};

const G: f64 = 9.806_65;
const LB: f64 = 0.453_592_37;
const PSI_KPA: f64 = 6.894_757_293;
/// Molar masses, g/mol.
const O2: f64 = 31.998;
const C_: f64 = 12.011;
const H2: f64 = 2.016;
const S_: f64 = 32.06;

fn napier(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (pg, patm, d, hours, price) = (x[0], x[1], x[2], x[3], x[4]);
    let pabs = pg + patm;
    // Napier: W [lb/h] = 24.24·p [psia]·D² [in²].
    let lb_h = 24.24 * (pabs / PSI_KPA) * (d / 25.4).powi(2);
    let kg_h = lb_h * LB;
    let tonnes = kg_h * hours / 1000.0;
    let choked = if pabs >= 1.73 * patm { 1.0 } else { 0.0 };
    Ok(vec![kg_h, tonnes, tonnes * price, choked])
}

fn receiver(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (q, p1, t1, t0, cycles, band) = (x[0], x[1], x[2], x[3], x[4], x[5]);
    // Load/unload compressor: V = 0.25·q·p₁·T₀/(f_max·Δp·T₁), f_max in cycles per second.
    let f = cycles / 3600.0;
    let litres = 0.25 * q * p1 * t0 / (f * band * t1);
    Ok(vec![litres / 1000.0])
}

fn combustion_air(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (c, h, s, o, n, moisture, excess) = (x[0], x[1], x[2], x[3], x[4], x[5], x[6]);
    if c + h + s + o + n + moisture > 100.0 + 1e-9 {
        return Err(Refusal::new(
            "the mass fractions add up to more than 100 %",
            "各成分质量分数之和超过 100%",
        ));
    }
    let (c, h, s, o) = (c / 100.0, h / 100.0, s / 100.0, o / 100.0);
    // Oxygen demand [kg O₂/kg fuel] and air with 23.2 % O₂ by mass.
    let o2 = O2 / C_ * c + (O2 / 2.0) / H2 * h + O2 / S_ * s - o;
    let air = o2 / 0.232;
    let actual = air * (1.0 + excess / 100.0);
    let co2 = 44.009 / C_ * c;
    let h2o = 18.015 / H2 * h + moisture / 100.0;
    let so2 = 64.06 / S_ * s;
    let n2 = 0.768 * actual + n / 100.0;
    let o2_free = 0.232 * actual - o2;
    Ok(vec![air, actual, co2 + h2o + so2 + n2 + o2_free, co2])
}

fn morrison_cd(re: f64) -> f64 {
    24.0 / re
        + 2.6 * (re / 5.0) / (1.0 + (re / 5.0).powf(1.52))
        + 0.411 * (re / 263_000.0).powf(-7.94) / (1.0 + (re / 263_000.0).powf(-8.0))
        + re.powf(0.8) / 461_000.0
}

fn terminal_velocity(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (d_um, rho_p, rho, mu_mpa) = (x[0], x[1], x[2], x[3]);
    if rho_p <= rho {
        return Err(Refusal::new(
            "the particle must be denser than the fluid to settle",
            "颗粒密度须大于流体密度才会沉降",
        ));
    }
    let (d, mu) = (d_um * 1e-6, mu_mpa * 1e-3);
    let stokes = G * d * d * (rho_p - rho) / (18.0 * mu);
    let re_stokes = rho * stokes * d / mu;
    let v = if re_stokes < 0.01 {
        stokes
    } else {
        // v = √(4gD(ρp − ρ)/(3ρC_D(Re))): the residual is increasing in v; bisect on ln v.
        let main = 4.0 / 3.0 * G * d * (rho_p - rho) / rho;
        let resid = |v: f64| v - (main / morrison_cd(rho * v * d / mu)).sqrt();
        let (mut lo, mut hi) = (stokes * 1e-6, 1e6 * mu / (rho * d));
        if resid(hi) < 0.0 {
            return Err(Refusal::new(
                "the particle Reynolds number would exceed 10⁶, beyond the drag correlation",
                "颗粒雷诺数将超过 10⁶，超出阻力关联式范围",
            ));
        }
        for _ in 0..200 {
            let mid = (lo * hi).sqrt();
            if resid(mid) > 0.0 {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        (lo * hi).sqrt()
    };
    let re = rho * v * d / mu;
    Ok(vec![v, re, stokes])
}

fn cyclone(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (w, vi, ne, rho_p, rho, mu_mpa, dp_um) = (x[0], x[1], x[2], x[3], x[4], x[5], x[6]);
    if rho_p <= rho {
        return Err(Refusal::new(
            "the particle must be denser than the gas",
            "颗粒密度须大于气体密度",
        ));
    }
    let mu = mu_mpa * 1e-3;
    let dpc = (9.0 * mu * w / (2.0 * std::f64::consts::PI * ne * vi * (rho_p - rho))).sqrt() * 1e6;
    let eta = 1.0 / (1.0 + (dpc / dp_um).powi(2));
    Ok(vec![dpc, eta])
}

pub(crate) const MODELS: &[Model] = &[
    Model {
        card: card(
            "steam.orifice_leak_napier",
            Text::new(
                "Steam loss through a leak or failed trap (Napier)",
                "漏点或失效疏水阀的蒸汽损失（Napier 公式）",
            ),
            Text::new(
                "Steam blowing through an orifice (a failed-open steam trap or a leak) from the upstream pressure and the orifice diameter by Napier's rule, with the annual loss and its cost for steam-trap surveys.",
                "按 Napier 公式由上游压力和孔径计算经孔口（失效常开的疏水阀或泄漏点）喷出的蒸汽量，以及年损失量和费用，用于疏水阀巡检。",
            ),
            ModelKind::Mechanism,
            &["D44", "C22", "C26", "C13", "C17"],
            &[Domain::Operations, Domain::Service],
            &[
                Port::new("p_g", "Steam pressure (gauge)", "蒸汽表压", "kPa", 0.0, 3e4),
                Port::new(
                    "p_atm",
                    "Atmospheric pressure",
                    "大气压力",
                    "kPa",
                    50.0,
                    110.0,
                )
                .default(101.325),
                Port::new("D", "Orifice diameter", "孔口直径", "mm", 0.1, 100.0),
                Port::new(
                    "hours",
                    "Operating hours per year",
                    "年运行小时数",
                    "h",
                    0.0,
                    8784.0,
                )
                .default(8000.0),
                Port::new(
                    "price",
                    "Steam cost per tonne",
                    "蒸汽单价（每吨）",
                    "",
                    0.0,
                    1e5,
                )
                .default(0.0),
            ],
            &[
                Port::out("m", "Steam loss", "蒸汽损失量", "kg/h"),
                Port::out("m_year", "Steam lost per year", "年蒸汽损失量", "t"),
                Port::out("cost", "Cost per year", "年损失费用", ""),
                Port::out(
                    "choked",
                    "Critical (choked) flow, where Napier applies (1/0)",
                    "是否临界流（Napier 公式适用，1/0）",
                    "",
                ),
            ],
            Text::new(
                "W [lb/h] = 24.24·p_abs [psia]·D² [in²] (Napier's rule for choked steam flow, p_abs ≳ 1.73 p_down); converted to kg/h.",
                "W [lb/h] = 24.24·p_abs [psia]·D² [in²]（Napier 临界流公式，p_abs ≳ 1.73 p_下游），换算为 kg/h。",
            ),
            &[
                Reference {
                    source: "Manczyk, H., Estimating the cost of steam loss through the orifice of a steam trap, Manczyk Energy Consulting",
                    locator: "Napier's equation and the worked example",
                },
                // The DOE tip sheet's table runs about 21 % above this rule (it implies
                // about 29.4·P·D²); it is where the survey practice comes from, not the
                // formula.
                Reference {
                    source: "US DOE Advanced Manufacturing Office, Steam Tip Sheet #1, Inspect and Repair Steam Traps, DOE/GO-102012-3400",
                    locator: "the steam-trap survey and the cost of a failed-open trap (its loss table is higher than Napier's rule)",
                },
            ],
        ),
        eval: Eval::Scalar(napier),
    },
    Model {
        card: card(
            "compressed_air.receiver_volume",
            Text::new("Compressed-air receiver volume", "压缩空气储气罐容积"),
            Text::new(
                "Receiver volume a load/unload compressor needs so as not to exceed its allowed number of load cycles per hour within a pressure band.",
                "加载/卸载型压缩机在给定压力带内不超过允许的每小时加卸载次数所需的储气罐容积。",
            ),
            ModelKind::Mechanism,
            &["C34", "C36", "C30", "C31", "C33"],
            &[Domain::Design, Domain::Operations],
            &[
                Port::new(
                    "q",
                    "Compressor free air delivery",
                    "压缩机排气量（自由空气）",
                    "L/s",
                    0.1,
                    1e5,
                ),
                Port::new(
                    "p1",
                    "Compressor inlet pressure (absolute)",
                    "压缩机进气绝对压力",
                    "bar",
                    0.5,
                    1.2,
                )
                .default(1.0),
                Port::new(
                    "T1",
                    "Compressor inlet temperature",
                    "压缩机进气温度",
                    "K",
                    230.0,
                    330.0,
                )
                .default(288.0),
                Port::new(
                    "T0",
                    "Air temperature in the receiver",
                    "储气罐内空气温度",
                    "K",
                    230.0,
                    400.0,
                )
                .default(313.0),
                Port::new(
                    "cycles",
                    "Maximum load cycles per hour",
                    "每小时最大加卸载次数",
                    "",
                    1.0,
                    360.0,
                )
                .default(120.0),
                Port::new(
                    "band",
                    "Pressure band p_U − p_L",
                    "压力带 p_U − p_L",
                    "bar",
                    0.05,
                    10.0,
                )
                .default(0.5),
            ],
            &[Port::out("V", "Receiver volume", "储气罐容积", "m3")],
            Text::new(
                "V = 0.25·q·p₁·T₀/(f_max·(p_U − p_L)·T₁), the worst case being a demand of half the compressor capacity.",
                "V = 0.25·q·p₁·T₀/(f_max·(p_U − p_L)·T₁)，最不利工况为用气量等于压缩机排气量的一半。",
            ),
            &[Reference {
                source: "Atlas Copco, Compressed Air Manual, 8th ed., 2015",
                locator: "dimensioning the air receiver volume for load/unload regulation",
            }],
        ),
        eval: Eval::Scalar(receiver),
    },
    Model {
        card: card(
            "combustion.stoichiometric_air",
            Text::new(
                "Combustion air and flue gas from fuel analysis",
                "由燃料元素分析求燃烧空气量和烟气量",
            ),
            Text::new(
                "Theoretical (stoichiometric) and actual combustion air, flue-gas mass and CO₂ per kilogram of a solid or liquid fuel from its ultimate analysis and the excess air.",
                "由固体或液体燃料的元素分析和过量空气系数计算每千克燃料的理论空气量、实际空气量、烟气质量和 CO₂ 生成量。",
            ),
            ModelKind::Mechanism,
            &["D44", "C30", "C31", "C22", "C25"],
            &[Domain::Production, Domain::Design],
            &[
                Port::new("C", "Carbon (as received)", "碳（收到基）", "%", 0.0, 100.0),
                Port::new("H", "Hydrogen", "氢", "%", 0.0, 30.0),
                Port::new("S", "Sulphur", "硫", "%", 0.0, 10.0).default(0.0),
                Port::new("O", "Oxygen", "氧", "%", 0.0, 50.0).default(0.0),
                Port::new("N", "Nitrogen", "氮", "%", 0.0, 10.0).default(0.0),
                Port::new("moisture", "Moisture", "水分", "%", 0.0, 70.0).default(0.0),
                Port::new("excess", "Excess air", "过量空气率", "%", 0.0, 500.0).default(0.0),
            ],
            &[
                Port::out("air_theoretical", "Theoretical air", "理论空气量", "kg/kg"),
                Port::out("air_actual", "Actual air", "实际空气量", "kg/kg"),
                Port::out("flue_gas", "Wet flue gas", "湿烟气量", "kg/kg"),
                Port::out("CO2", "CO₂ formed", "CO₂ 生成量", "kg/kg"),
            ],
            Text::new(
                "O₂ = (31.998/12.011)C + (15.999/2.016)H + (31.998/32.06)S − O (mass fractions); air = O₂/0.232 (mass fraction of O₂ in air); actual = air·(1 + excess); flue gas = CO₂ + H₂O + SO₂ + N₂ + free O₂.",
                "O₂ = (31.998/12.011)C + (15.999/2.016)H + (31.998/32.06)S − O（质量分数）；空气 = O₂/0.232（空气中 O₂ 质量分数）；实际空气 = 空气·(1 + 过量率)；烟气 = CO₂ + H₂O + SO₂ + N₂ + 剩余 O₂。",
            ),
            &[
                Reference {
                    source: "Bureau of Energy Efficiency (India), Energy Efficiency in Thermal Utilities, Guide Book 2, ch. 1 Fuels and Combustion",
                    locator: "calculation of stoichiometric air from the fuel's ultimate analysis",
                },
                Reference {
                    source: "GB/T 10180-2017, Code for thermal performance test of industrial boilers (工业锅炉热工性能试验规程)",
                    locator: "theoretical air and flue-gas volumes from the fuel analysis",
                },
            ],
        ),
        eval: Eval::Scalar(combustion_air),
    },
    Model {
        card: card(
            "particle.terminal_velocity",
            Text::new("Particle settling velocity", "颗粒沉降速度"),
            Text::new(
                "Terminal settling velocity of a sphere in a gas or liquid (dust, sand, droplets, sludge) with Morrison's drag correlation for Reynolds numbers up to 10⁶ and Stokes' law in the creeping-flow limit.",
                "用 Morrison 阻力关联式（雷诺数至 10⁶）及蠕流极限下的斯托克斯定律计算球形颗粒在气体或液体中的终端沉降速度（粉尘、砂粒、液滴、污泥）。",
            ),
            ModelKind::Mechanism,
            &["N77", "D46", "B06", "C30", "C26"],
            &[Domain::Design, Domain::Production],
            &[
                Port::new("d_p", "Particle diameter", "颗粒直径", "um", 0.01, 1e5),
                Port::new("rho_p", "Particle density", "颗粒密度", "kg/m3", 1.0, 3e4),
                Port::new("rho", "Fluid density", "流体密度", "kg/m3", 1e-3, 2e4),
                Port::new("mu", "Fluid viscosity", "流体黏度", "mPa.s", 1e-3, 1e5),
            ],
            &[
                Port::out("v_t", "Terminal velocity", "终端沉降速度", "m/s"),
                Port::out("Re", "Particle Reynolds number", "颗粒雷诺数", ""),
                Port::out("v_stokes", "Stokes-law velocity", "斯托克斯速度", "m/s"),
            ],
            Text::new(
                "v_t = √(4gd(ρ_p − ρ)/(3ρC_D)), C_D = 24/Re + 2.6(Re/5)/(1 + (Re/5)^1.52) + 0.411(Re/263000)^−7.94/(1 + (Re/263000)^−8) + Re^0.8/461000; v = gd²(ρ_p − ρ)/(18μ) when that gives Re < 0.01.",
                "v_t = √(4gd(ρ_p − ρ)/(3ρC_D))，C_D = 24/Re + 2.6(Re/5)/(1 + (Re/5)^1.52) + 0.411(Re/263000)^−7.94/(1 + (Re/263000)^−8) + Re^0.8/461000；若斯托克斯速度对应 Re < 0.01，则 v = gd²(ρ_p − ρ)/(18μ)。",
            ),
            &[Reference {
                source: "Morrison, F. A., An Introduction to Fluid Mechanics, Cambridge University Press, 2013",
                locator: "the drag on a sphere: data correlation for 0 < Re < 10⁶",
            }],
        ),
        eval: Eval::Scalar(terminal_velocity),
    },
    Model {
        card: card(
            "cyclone.lapple_efficiency",
            Text::new(
                "Cyclone cut size and efficiency (Lapple)",
                "旋风分离器切割粒径与效率（Lapple 法）",
            ),
            Text::new(
                "Cut diameter (50 % collection) of a cyclone from its inlet width, inlet velocity and number of effective turns, and the collection efficiency of a particle size (dust collectors, pneumatic conveying, dryers).",
                "由进口宽度、进口风速和有效旋转圈数计算旋风分离器的切割粒径（50% 捕集），以及某粒径颗粒的分离效率（除尘器、气力输送、干燥器）。",
            ),
            ModelKind::Mechanism,
            &["C30", "C31", "C26", "C13", "N77"],
            &[Domain::Design, Domain::Production],
            &[
                Port::new("W", "Inlet width", "进口宽度", "m", 1e-3, 5.0),
                Port::new("v_i", "Inlet velocity", "进口风速", "m/s", 0.1, 50.0),
                Port::new(
                    "N_e",
                    "Effective number of turns",
                    "有效旋转圈数",
                    "",
                    0.5,
                    20.0,
                )
                .default(6.0),
                Port::new("rho_p", "Particle density", "颗粒密度", "kg/m3", 1.0, 3e4),
                Port::new("rho_g", "Gas density", "气体密度", "kg/m3", 0.01, 100.0).default(1.2),
                Port::new("mu", "Gas viscosity", "气体黏度", "mPa.s", 1e-3, 1.0).default(0.0181),
                Port::new("d_p", "Particle diameter", "颗粒直径", "um", 0.01, 1e4),
            ],
            &[
                Port::out("d_pc", "Cut diameter", "切割粒径", "um"),
                Port::out(
                    "eta",
                    "Collection efficiency of d_p",
                    "该粒径的分离效率",
                    "",
                ),
            ],
            Text::new(
                "d_pc = [9μW/(2πN_e v_i(ρ_p − ρ_g))]^½; η = 1/(1 + (d_pc/d_p)²).",
                "d_pc = [9μW/(2πN_e v_i(ρ_p − ρ_g))]^½；η = 1/(1 + (d_pc/d_p)²)。",
            ),
            &[
                Reference {
                    source: "Lapple, C. E., Processes use many collector types, Chemical Engineering 58(5), 144–151, 1951",
                    locator: "the cut diameter and the fractional efficiency curve",
                },
                Reference {
                    source: "Cooper, C. D., Alley, F. C., Air Pollution Control: A Design Approach, 4th ed., Waveland Press, 2011",
                    locator: "ch. 4, cyclones: the Lapple method",
                },
            ],
        ),
        eval: Eval::Scalar(cyclone),
    },
];
