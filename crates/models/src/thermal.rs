//! More heat transfer: film condensation on a vertical surface (Nusselt), free convection
//! from a vertical plate (Churchill–Chu), the NTU an exchanger needs for an
//! effectiveness, blackbody spectral radiance (Planck) for infrared thermometry, the
//! laminar entry region (Sieder–Tate), flat plates in parallel flow, buried pipes and
//! in-tube condensation (Shah).

use crate::{Eval, Model, card};
use ironloom_core::model::{Domain, ModelKind, Port, Reference, Refusal, Text};

const THERMAL_INDUSTRIES: &[&str] = &["C26", "D44", "C13", "C25", "C34"];
const INCROPERA: &str = "Incropera, F. P., DeWitt, D. P., Bergman, T. L., Lavine, A. S., Fundamentals of Heat and Mass Transfer, 7th ed.";
const G: f64 = 9.806_65;

fn condensation(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (tsat, tw, rho_g, rho_l, k_l, mu_l, h_fg, l, angle) =
        (x[0], x[1], x[2], x[3], x[4], x[5], x[6], x[7], x[8]);
    if tw >= tsat {
        return Err(Refusal::new(
            "the wall must be colder than the saturated vapour",
            "壁面温度必须低于饱和蒸汽温度",
        ));
    }
    if rho_g >= rho_l {
        return Err(Refusal::new(
            "the liquid must be denser than the vapour",
            "液体密度必须大于蒸汽密度",
        ));
    }
    let mu = mu_l / 1000.0;
    let h = 2.0 * 2f64.sqrt() / 3.0
        * (k_l.powi(3) * rho_l * (rho_l - rho_g) * G * angle.to_radians().sin() * h_fg * 1000.0
            / (mu * (tsat - tw) * l))
            .powf(0.25);
    Ok(vec![h, h * (tsat - tw)])
}

fn vertical_plate(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (ra, pr, k, l) = (x[0], x[1], x[2], x[3]);
    let term =
        0.825 + 0.387 * ra.powf(1.0 / 6.0) / (1.0 + (0.492 / pr).powf(9.0 / 16.0)).powf(8.0 / 27.0);
    let nu = term * term;
    Ok(vec![nu, nu * k / l])
}

fn ntu_from_effectiveness(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (eps, cr, arrangement) = (x[0], x[1], x[2] as usize);
    let refuse = || {
        Refusal::new(
            "this effectiveness cannot be reached with this arrangement and capacity ratio",
            "该流动方式与热容比下达不到此效能",
        )
    };
    let ntu = if cr == 0.0 {
        if eps >= 1.0 {
            return Err(refuse());
        }
        -(1.0 - eps).ln()
    } else {
        match arrangement {
            0 => {
                if (cr - 1.0).abs() < 1e-12 {
                    if eps >= 1.0 {
                        return Err(refuse());
                    }
                    eps / (1.0 - eps)
                } else {
                    let arg = (eps - 1.0) / (eps * cr - 1.0);
                    if arg <= 0.0 {
                        return Err(refuse());
                    }
                    arg.ln() / (cr - 1.0)
                }
            }
            1 => {
                let arg = 1.0 - eps * (1.0 + cr);
                if arg <= 0.0 {
                    return Err(refuse());
                }
                -arg.ln() / (1.0 + cr)
            }
            _ => {
                let root = (1.0 + cr * cr).sqrt();
                let e = (2.0 / eps - (1.0 + cr)) / root;
                if e <= 1.0 {
                    return Err(refuse());
                }
                -((e - 1.0) / (e + 1.0)).ln() / root
            }
        }
    };
    Ok(vec![ntu])
}

fn planck(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (t, lambda_um) = (x[0], x[1]);
    // CODATA 2018 exact constants.
    let (h, c, k) = (6.626_070_15e-34, 299_792_458.0, 1.380_649e-23);
    let lambda = lambda_um * 1e-6;
    let exponent = h * c / (lambda * k * t);
    let radiance = if exponent > 709.7 {
        0.0
    } else {
        2.0 * h * c * c / lambda.powi(5) / exponent.exp_m1()
    };
    // Wien's displacement constant, m·K (CODATA 2018).
    let peak = 2.897_771_955e-3 / t * 1e6;
    Ok(vec![radiance * 1e-6, peak])
}

fn seider_tate(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (re, pr, l, d, mu_ratio, k) = (x[0], x[1], x[2], x[3], x[4], x[5]);
    let nu = 1.86 * (d / l * re * pr).cbrt() * mu_ratio.powf(0.14);
    Ok(vec![nu, nu * k / d])
}

fn flat_plate(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (re, pr, re_c, k, l) = (x[0], x[1], x[2], x[3], x[4]);
    let laminar = 0.664 * re.sqrt() * pr.cbrt();
    let turbulent = 0.037 * re.powf(0.8) * pr.cbrt();
    let a = 0.037 * re_c.powf(0.8) - 0.664 * re_c.sqrt();
    let nu = if re <= re_c {
        laminar
    } else {
        (0.037 * re.powf(0.8) - a) * pr.cbrt()
    };
    Ok(vec![nu, nu * k / l, laminar, turbulent])
}

fn buried_pipe(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (d, z, l, k, t_pipe, t_surface) = (x[0], x[1], x[2], x[3], x[4], x[5]);
    if 2.0 * z <= d {
        return Err(Refusal::new(
            "the pipe centre must be deeper than its radius",
            "管道中心埋深必须大于管道半径",
        ));
    }
    let s = std::f64::consts::TAU * l / (2.0 * z / d).acosh();
    Ok(vec![s, s * k * (t_pipe - t_surface)])
}

fn shah_condensation(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (m, quality, d, mu_l, k_l, cp_l, p, pc) = (x[0], x[1], x[2], x[3], x[4], x[5], x[6], x[7]);
    if p >= pc {
        return Err(Refusal::new(
            "the pressure must be below the critical pressure",
            "压力必须低于临界压力",
        ));
    }
    let (mu, cp) = (mu_l / 1000.0, cp_l * 1000.0);
    // Liquid-only Reynolds number: the whole flow taken as liquid.
    let re = 4.0 * m / (std::f64::consts::PI * d * mu);
    let pr = cp * mu / k_l;
    let h_lo = 0.023 * re.powf(0.8) * pr.powf(0.4) * k_l / d;
    let pr_red = p / pc;
    let factor = (1.0 - quality).powf(0.8)
        + 3.8 * quality.powf(0.76) * (1.0 - quality).powf(0.04) / pr_red.powf(0.38);
    Ok(vec![h_lo * factor, h_lo, re])
}

pub(crate) const MODELS: &[Model] = &[
    Model {
        card: card(
            "condensation.nusselt_film",
            Text::new(
                "Film condensation on a vertical or inclined surface (Nusselt)",
                "竖壁（倾斜壁）膜状凝结（Nusselt 理论）",
            ),
            Text::new(
                "Average heat-transfer coefficient and heat flux of laminar film condensation of a saturated vapour on a vertical or inclined plate or tube.",
                "计算饱和蒸汽在竖直或倾斜平板（管）上层流膜状凝结的平均换热系数和热流密度。",
            ),
            ModelKind::Mechanism,
            THERMAL_INDUSTRIES,
            &[Domain::Design, Domain::Operations],
            &[
                Port::new(
                    "T_sat",
                    "Saturation temperature",
                    "饱和温度",
                    "K",
                    1.0,
                    2000.0,
                ),
                Port::new("T_w", "Wall temperature", "壁面温度", "K", 1.0, 2000.0),
                Port::new("rho_g", "Vapour density", "蒸汽密度", "kg/m3", 0.0, 1e4),
                Port::new("rho_l", "Liquid density", "液体密度", "kg/m3", 1.0, 3e4),
                Port::new(
                    "k_l",
                    "Liquid thermal conductivity",
                    "液体导热系数",
                    "W/(m.K)",
                    1e-3,
                    100.0,
                ),
                Port::new("mu_l", "Liquid viscosity", "液体黏度", "mPa.s", 1e-3, 1e4),
                Port::new("h_fg", "Latent heat", "汽化潜热", "kJ/kg", 1.0, 1e4),
                Port::new("L", "Surface height", "壁面高度", "m", 1e-4, 100.0),
                Port::new(
                    "angle",
                    "Inclination from horizontal",
                    "与水平面夹角",
                    "deg",
                    1.0,
                    90.0,
                )
                .default(90.0),
            ],
            &[
                Port::out(
                    "h",
                    "Average heat-transfer coefficient",
                    "平均凝结换热系数",
                    "W/(m2.K)",
                ),
                Port::out("q", "Heat flux", "热流密度", "W/m2"),
            ],
            Text::new(
                "h̄ = (2√2/3)·[k_l³ρ_l(ρ_l − ρ_g)g sin θ·h_fg/(μ_l(T_sat − T_w)L)]^¼ = 0.943[…]^¼; q = h̄(T_sat − T_w).",
                "h̄ = (2√2/3)·[k_l³ρ_l(ρ_l − ρ_g)g sin θ·h_fg/(μ_l(T_sat − T_w)L)]^¼ = 0.943[…]^¼；q = h̄(T_sat − T_w)。",
            ),
            &[Reference {
                source: INCROPERA,
                locator: "laminar film condensation on a vertical plate (Nusselt analysis)",
            }],
        ),
        eval: Eval::Scalar(condensation),
    },
    Model {
        card: card(
            "conv.vertical_plate_free",
            Text::new(
                "Free convection from a vertical plate (Churchill–Chu)",
                "竖直平板自然对流（Churchill–Chu）",
            ),
            Text::new(
                "Average Nusselt number and heat-transfer coefficient of free convection from an isothermal vertical plate, such as a tank wall or a cabinet side, over the whole Rayleigh range.",
                "计算等温竖直平板（如罐壁、柜体侧面）在全瑞利数范围内自然对流的平均努塞尔数与换热系数。",
            ),
            ModelKind::Mechanism,
            THERMAL_INDUSTRIES,
            &[Domain::Design, Domain::Operations],
            &[
                Port::new(
                    "Ra",
                    "Rayleigh number (on the height)",
                    "瑞利数（以高度计）",
                    "",
                    0.0,
                    1e15,
                ),
                Port::new("Pr", "Prandtl number", "普朗特数", "", 1e-3, 1e5),
                Port::new(
                    "k",
                    "Fluid thermal conductivity",
                    "流体导热系数",
                    "W/(m.K)",
                    1e-4,
                    1e3,
                )
                .default(1.0),
                Port::new("L", "Plate height", "平板高度", "m", 1e-6, 100.0).default(1.0),
            ],
            &[
                Port::out("Nu", "Nusselt number", "努塞尔数", ""),
                Port::out("h", "Heat-transfer coefficient", "对流换热系数", "W/(m2.K)"),
            ],
            Text::new(
                "Nu = {0.825 + 0.387Ra^(1/6)/[1 + (0.492/Pr)^(9/16)]^(8/27)}²; h = Nu·k/L.",
                "Nu = {0.825 + 0.387Ra^(1/6)/[1 + (0.492/Pr)^(9/16)]^(8/27)}²；h = Nu·k/L。",
            ),
            &[Reference {
                source: INCROPERA,
                locator: "§9.6.1, Eq. 9.26",
            }],
        ),
        eval: Eval::Scalar(vertical_plate),
    },
    Model {
        card: card(
            "hx.ntu_from_effectiveness",
            Text::new(
                "NTU required for an effectiveness",
                "达到给定效能所需的传热单元数",
            ),
            Text::new(
                "Number of transfer units a heat exchanger needs to reach an effectiveness at a heat-capacity ratio, for counter-flow, parallel-flow and one-shell-pass exchangers (the inverse of the ε-NTU relations).",
                "求逆流、顺流和单壳程换热器在给定热容比下达到某一效能所需的传热单元数（ε-NTU 关系的反函数）。",
            ),
            ModelKind::Simulation,
            THERMAL_INDUSTRIES,
            &[Domain::Design, Domain::Operations],
            &[
                Port::new("eps", "Effectiveness", "效能", "", 0.0, 1.0),
                Port::new(
                    "Cr",
                    "Heat-capacity ratio C_min/C_max",
                    "热容比 C_min/C_max",
                    "",
                    0.0,
                    1.0,
                ),
                Port::choice(
                    "arrangement",
                    "Flow arrangement",
                    "流动方式",
                    &["counter", "parallel", "shell_and_tube_1_2"],
                )
                .default(0.0),
            ],
            &[Port::out(
                "NTU",
                "Number of transfer units",
                "传热单元数",
                "",
            )],
            Text::new(
                "Counter: NTU = ln[(ε − 1)/(εC_r − 1)]/(C_r − 1) (C_r = 1: ε/(1 − ε)); parallel: NTU = −ln[1 − ε(1 + C_r)]/(1 + C_r); one shell pass: NTU = −(1 + C_r²)^(−½) ln[(E − 1)/(E + 1)], E = (2/ε − (1 + C_r))/(1 + C_r²)^½; C_r = 0: NTU = −ln(1 − ε).",
                "逆流：NTU = ln[(ε − 1)/(εC_r − 1)]/(C_r − 1)（C_r = 1 时为 ε/(1 − ε)）；顺流：NTU = −ln[1 − ε(1 + C_r)]/(1 + C_r)；单壳程：NTU = −(1 + C_r²)^(−½) ln[(E − 1)/(E + 1)]，E = (2/ε − (1 + C_r))/(1 + C_r²)^½；C_r = 0 时 NTU = −ln(1 − ε)。",
            ),
            &[Reference {
                source: INCROPERA,
                locator: "Table 11.4, Eq. 11.28b–11.31b and 11.35b",
            }],
        ),
        eval: Eval::Scalar(ntu_from_effectiveness),
    },
    Model {
        card: card(
            "radiation.planck_spectral_radiance",
            Text::new(
                "Blackbody spectral radiance (Planck) and Wien peak",
                "黑体光谱辐射亮度（普朗克定律）与维恩峰值波长",
            ),
            Text::new(
                "Spectral radiance of a blackbody at a temperature and wavelength, as used to correct infrared thermometers and thermal cameras, and the wavelength of peak emission.",
                "计算黑体在给定温度和波长下的光谱辐射亮度（用于红外测温仪与热像仪的修正），以及峰值辐射波长。",
            ),
            ModelKind::Mechanism,
            THERMAL_INDUSTRIES,
            &[Domain::Service, Domain::Design],
            &[
                Port::new("T", "Temperature", "温度", "K", 1.0, 1e5),
                Port::new("lambda", "Wavelength", "波长", "um", 1e-3, 1e6),
            ],
            &[
                Port::out(
                    "L",
                    "Spectral radiance (per steradian)",
                    "光谱辐射亮度（每球面度）",
                    "W/(m2.um)",
                ),
                Port::out(
                    "lambda_max",
                    "Wavelength of peak emission",
                    "峰值辐射波长",
                    "um",
                ),
            ],
            Text::new(
                "L_λ = 2hc²/λ⁵ /[exp(hc/(λkT)) − 1]; λ_max = 2897.77 µm·K/T.",
                "L_λ = 2hc²/λ⁵ /[exp(hc/(λkT)) − 1]；λ_max = 2897.77 µm·K/T。",
            ),
            &[Reference {
                source: INCROPERA,
                locator: "§12.3, the Planck distribution and Wien's displacement law",
            }],
        ),
        eval: Eval::Scalar(planck),
    },
    Model {
        card: card(
            "conv.laminar_entry_seider_tate",
            Text::new(
                "Laminar developing flow in a tube (Sieder–Tate)",
                "管内层流入口段换热（Sieder–Tate）",
            ),
            Text::new(
                "Average Nusselt number and heat-transfer coefficient of laminar flow in a short tube, where the velocity and temperature profiles develop together, with the wall-viscosity correction.",
                "计算短管内速度与温度剖面同时发展的层流平均努塞尔数和换热系数，含壁面黏度修正。",
            ),
            ModelKind::Mechanism,
            THERMAL_INDUSTRIES,
            &[Domain::Design, Domain::Operations],
            &[
                Port::new("Re", "Reynolds number", "雷诺数", "", 1.0, 2300.0),
                Port::new("Pr", "Prandtl number", "普朗特数", "", 0.48, 16_700.0),
                Port::new("L", "Tube length", "管长", "m", 1e-6, 1e4),
                Port::new("D", "Tube diameter", "管径", "m", 1e-6, 100.0),
                Port::new(
                    "mu_ratio",
                    "Viscosity ratio μ/μ_w",
                    "黏度比 μ/μ_w",
                    "",
                    0.0044,
                    9.75,
                )
                .default(1.0),
                Port::new(
                    "k",
                    "Fluid thermal conductivity",
                    "流体导热系数",
                    "W/(m.K)",
                    1e-4,
                    1e3,
                )
                .default(1.0),
            ],
            &[
                Port::out("Nu", "Nusselt number", "努塞尔数", ""),
                Port::out("h", "Heat-transfer coefficient", "对流换热系数", "W/(m2.K)"),
            ],
            Text::new(
                "Nu = 1.86·(Re·Pr·D/L)^⅓·(μ/μ_w)^0.14 (Sieder–Tate; for Nu above 3.66).",
                "Nu = 1.86·(Re·Pr·D/L)^⅓·(μ/μ_w)^0.14（Sieder–Tate；适用于 Nu 大于 3.66）。",
            ),
            &[
                Reference {
                    source: INCROPERA,
                    locator: "§8.4.2, the entry region: Sieder–Tate correlation for the combined entry length",
                },
                Reference {
                    source: "Sieder, E. N., Tate, G. E., Heat transfer and pressure drop of liquids in tubes, Industrial & Engineering Chemistry 28(12), 1429–1435, 1936",
                    locator: "the laminar correlation",
                },
            ],
        ),
        eval: Eval::Scalar(seider_tate),
    },
    Model {
        card: card(
            "conv.flat_plate_forced",
            Text::new("Forced convection over a flat plate", "平板外掠强制对流"),
            Text::new(
                "Average Nusselt number and heat-transfer coefficient of a fluid flowing parallel to an isothermal flat plate, laminar or with mixed laminar and turbulent boundary layers (dryers, cooling of plates and strips, panels in wind).",
                "流体平行掠过等温平板时的平均努塞尔数和换热系数，层流或层流-湍流混合边界层（干燥器、板带冷却、迎风板面）。",
            ),
            ModelKind::Mechanism,
            THERMAL_INDUSTRIES,
            &[Domain::Design, Domain::Production],
            &[
                Port::new(
                    "Re",
                    "Reynolds number at the trailing edge",
                    "板长雷诺数",
                    "",
                    1.0,
                    1e9,
                ),
                Port::new("Pr", "Prandtl number", "普朗特数", "", 0.6, 60.0),
                Port::new(
                    "Re_c",
                    "Transition Reynolds number",
                    "转捩雷诺数",
                    "",
                    1e5,
                    3e6,
                )
                .default(5e5),
                Port::new(
                    "k",
                    "Fluid thermal conductivity",
                    "流体导热系数",
                    "W/(m.K)",
                    1e-3,
                    1000.0,
                ),
                Port::new("L", "Plate length", "板长", "m", 1e-6, 1e4),
            ],
            &[
                Port::out("Nu", "Average Nusselt number", "平均努塞尔数", ""),
                Port::out(
                    "h",
                    "Average heat-transfer coefficient",
                    "平均换热系数",
                    "W/(m2.K)",
                ),
                Port::out(
                    "Nu_laminar",
                    "Nusselt number if laminar throughout",
                    "全层流努塞尔数",
                    "",
                ),
                Port::out(
                    "Nu_turbulent",
                    "Nusselt number if turbulent throughout",
                    "全湍流努塞尔数",
                    "",
                ),
            ],
            Text::new(
                "Laminar (Re ≤ Re_c): Nu = 0.664 Re^½ Pr^⅓; mixed: Nu = (0.037 Re^0.8 − A) Pr^⅓, A = 0.037 Re_c^0.8 − 0.664 Re_c^½ (871 for Re_c = 5×10⁵); fully turbulent 0.037 Re^0.8 Pr^⅓.",
                "层流（Re ≤ Re_c）：Nu = 0.664 Re^½ Pr^⅓；混合边界层：Nu = (0.037 Re^0.8 − A) Pr^⅓，A = 0.037 Re_c^0.8 − 0.664 Re_c^½（Re_c = 5×10⁵ 时为 871）；全湍流 0.037 Re^0.8 Pr^⅓。",
            ),
            &[Reference {
                source: INCROPERA,
                locator: "§7.2, the flat plate in parallel flow: laminar, turbulent and mixed boundary-layer conditions",
            }],
        ),
        eval: Eval::Scalar(flat_plate),
    },
    Model {
        card: card(
            "conduction.buried_pipe_loss",
            Text::new(
                "Heat loss of a buried pipe (shape factor)",
                "埋地管道散热（形状因子法）",
            ),
            Text::new(
                "Conduction shape factor and heat loss of an isothermal pipe buried in soil of uniform conductivity below an isothermal ground surface (district heating, buried process lines).",
                "计算埋于均匀导热土壤中、地表等温时等温管道的导热形状因子和散热量（区域供热、埋地工艺管线）。",
            ),
            ModelKind::Mechanism,
            &["D44", "C26", "D45", "E48"],
            &[Domain::Design, Domain::Operations],
            &[
                Port::new("D", "Pipe outer diameter", "管道外径", "m", 1e-3, 10.0),
                Port::new(
                    "z",
                    "Depth of the pipe centre",
                    "管中心埋深",
                    "m",
                    1e-3,
                    100.0,
                ),
                Port::new("L", "Pipe length", "管长", "m", 1e-3, 1e6),
                Port::new(
                    "k",
                    "Soil thermal conductivity",
                    "土壤导热系数",
                    "W/(m.K)",
                    0.05,
                    10.0,
                )
                .default(1.5),
                Port::new(
                    "T_pipe",
                    "Pipe surface temperature",
                    "管道外表面温度",
                    "°C",
                    -50.0,
                    400.0,
                ),
                Port::new(
                    "T_surface",
                    "Ground surface temperature",
                    "地表温度",
                    "°C",
                    -50.0,
                    60.0,
                ),
            ],
            &[
                Port::out("S", "Shape factor", "形状因子", "m"),
                Port::out("q", "Heat loss", "散热量", "W"),
            ],
            Text::new(
                "S = 2πL / arccosh(2z/D); q = S·k·(T_pipe − T_surface).",
                "S = 2πL / arccosh(2z/D)；q = S·k·(T_pipe − T_surface)。",
            ),
            &[Reference {
                source: INCROPERA,
                locator: "§4.3, table 4.1: horizontal isothermal cylinder buried in a semi-infinite medium",
            }],
        ),
        eval: Eval::Scalar(buried_pipe),
    },
    Model {
        card: card(
            "condensation.shah_in_tube",
            Text::new(
                "Condensation inside tubes (Shah)",
                "管内凝结换热（Shah 关联式）",
            ),
            Text::new(
                "Local heat-transfer coefficient of a vapour condensing inside a tube at a vapour quality, from the liquid-only Dittus–Boelter coefficient and the reduced pressure (refrigerant condensers, steam and process condensers).",
                "由全液相 Dittus–Boelter 换热系数和对比压力计算蒸汽在管内某干度下凝结的局部换热系数（制冷剂冷凝器、蒸汽与工艺冷凝器）。",
            ),
            ModelKind::Mechanism,
            &["C34", "C26", "D44", "C38"],
            &[Domain::Design, Domain::Production],
            &[
                Port::new(
                    "m",
                    "Mass flow in the tube",
                    "管内质量流量",
                    "kg/s",
                    1e-9,
                    100.0,
                ),
                Port::new("x", "Vapour quality", "干度", "", 0.0, 1.0),
                Port::new("D", "Tube inner diameter", "管内径", "m", 1e-4, 1.0),
                Port::new("mu_l", "Liquid viscosity", "液体黏度", "mPa.s", 1e-3, 100.0),
                Port::new(
                    "k_l",
                    "Liquid thermal conductivity",
                    "液体导热系数",
                    "W/(m.K)",
                    1e-3,
                    100.0,
                ),
                Port::new(
                    "cp_l",
                    "Liquid heat capacity",
                    "液体比热容",
                    "kJ/(kg.K)",
                    0.1,
                    20.0,
                ),
                Port::new("p", "Pressure", "压力", "kPa", 1e-3, 1e5),
                Port::new("p_c", "Critical pressure", "临界压力", "kPa", 1.0, 1e5),
            ],
            &[
                Port::out(
                    "h",
                    "Condensing heat-transfer coefficient",
                    "凝结换热系数",
                    "W/(m2.K)",
                ),
                Port::out(
                    "h_lo",
                    "Liquid-only coefficient",
                    "全液相换热系数",
                    "W/(m2.K)",
                ),
                Port::out("Re_lo", "Liquid-only Reynolds number", "全液相雷诺数", ""),
            ],
            Text::new(
                "h = h_LO[(1 − x)^0.8 + 3.8x^0.76(1 − x)^0.04/p_r^0.38], h_LO = 0.023 Re_LO^0.8 Pr_L^0.4 k_L/D, Re_LO = 4ṁ/(πDμ_L), p_r = p/p_c.",
                "h = h_LO[(1 − x)^0.8 + 3.8x^0.76(1 − x)^0.04/p_r^0.38]，h_LO = 0.023 Re_LO^0.8 Pr_L^0.4 k_L/D，Re_LO = 4ṁ/(πDμ_L)，p_r = p/p_c。",
            ),
            &[Reference {
                source: "Shah, M. M., A general correlation for heat transfer during film condensation inside pipes, International Journal of Heat and Mass Transfer 22(4), 547–556, 1979",
                locator: "the correlation with the liquid-only coefficient",
            }],
        ),
        eval: Eval::Scalar(shah_condensation),
    },
];
