//! Water, gas and two-phase process flow: open channels (Manning), water mains
//! (Hazen–Williams), long gas pipelines (Panhandle A), isothermal gas flow in plant pipes,
//! gas–liquid separator sizing (Souders–Brown) and nucleate pool boiling (Rohsenow,
//! Cooper). fluids and ht recompute random inputs in the test run.

use crate::{Eval, Model, card};
use ironloom_core::model::{Domain, ModelKind, Port, Reference, Refusal, Text};

const G: f64 = 9.806_65;
const WATER_INDUSTRIES: &[&str] = &["D46", "N77", "E48", "C26", "D44"];
const GAS_INDUSTRIES: &[&str] = &["D45", "B07", "C25", "C26", "E48"];
const BOIL_INDUSTRIES: &[&str] = &["D44", "C26", "C25", "C13", "C34"];

const MENON: Reference = Reference {
    source: "Menon, E. S., Gas Pipeline Hydraulics, CRC Press, 2005",
    locator: "the Panhandle A equation",
};

fn manning(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (area, perimeter, slope, n) = (x[0], x[1], x[2], x[3]);
    let rh = area / perimeter;
    let v = rh.powf(2.0 / 3.0) * slope.sqrt() / n;
    Ok(vec![v, v * area, rh])
}

fn hazen_williams(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (q, d, l, c) = (x[0], x[1], x[2], x[3]);
    let i = 10.67 * q.powf(1.852) / (c.powf(1.852) * d.powf(4.87));
    let v = q / (std::f64::consts::PI / 4.0 * d * d);
    Ok(vec![i * l, i * 1000.0, v])
}

fn panhandle_a(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (p1, p2, l, d, sg, t, z, e, ts, ps) =
        (x[0], x[1], x[2], x[3], x[4], x[5], x[6], x[7], x[8], x[9]);
    if p2 >= p1 {
        return Err(Refusal::new(
            "the outlet pressure must be below the inlet pressure",
            "出口压力必须低于进口压力",
        ));
    }
    // SI form, p in Pa, L and D in m: the constant is 45965·10^(591/1250)/864.
    let (p1, p2, l, ps) = (p1 * 1000.0, p2 * 1000.0, l * 1000.0, ps * 1000.0);
    let c5 = 45_965.0 * 10f64.powf(591.0 / 1250.0) / 864.0;
    let q = c5
        * e
        * (ts / ps).powf(1.0788)
        * ((p1 * p1 - p2 * p2) / (l * sg.powf(0.8539) * t * z)).powf(0.5394)
        * d.powf(2.6182);
    Ok(vec![q, q * 3600.0])
}

fn isothermal_gas(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (rho, fd, p1, p2, l, d) = (x[0], x[1], x[2], x[3], x[4], x[5]);
    if p2 >= p1 {
        return Err(Refusal::new(
            "the outlet pressure must be below the inlet pressure",
            "出口压力必须低于进口压力",
        ));
    }
    let (p1, p2) = (p1 * 1000.0, p2 * 1000.0);
    let pi = std::f64::consts::PI;
    let m = (pi * pi / 16.0 * d.powi(4) * rho / (p1 * (fd * l / d + 2.0 * (p1 / p2).ln()))
        * (p1 * p1 - p2 * p2))
        .sqrt();
    let rho2 = rho * p2 / p1;
    let u2 = m / (pi / 4.0 * d * d * rho2);
    // Isothermal flow chokes where the velocity reaches √(p/ρ) = √(RT).
    if u2 >= (p2 / rho2).sqrt() {
        return Err(Refusal::new(
            "the flow would be choked before the outlet: raise the outlet pressure",
            "气流在出口前已达到壅塞：请提高出口压力",
        ));
    }
    Ok(vec![m, u2])
}

fn souders_brown(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (k, rho_l, rho_g, q) = (x[0], x[1], x[2], x[3]);
    if rho_g >= rho_l {
        return Err(Refusal::new(
            "the gas density must be below the liquid density",
            "气相密度必须小于液相密度",
        ));
    }
    let v = k * ((rho_l - rho_g) / rho_g).sqrt();
    let area = q / 3600.0 / v;
    Ok(vec![v, area, (4.0 * area / std::f64::consts::PI).sqrt()])
}

fn rohsenow(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (rho_l, rho_g, mu, k, cp, hfg, sigma, te, csf, n) =
        (x[0], x[1], x[2], x[3], x[4], x[5], x[6], x[7], x[8], x[9]);
    if rho_g >= rho_l {
        return Err(Refusal::new(
            "the vapour density must be below the liquid density",
            "蒸汽密度必须小于液体密度",
        ));
    }
    let (mu, cp, hfg, sigma) = (mu / 1000.0, cp * 1000.0, hfg * 1000.0, sigma / 1000.0);
    let pr = cp * mu / k;
    let q = mu
        * hfg
        * (G * (rho_l - rho_g) / sigma).sqrt()
        * (cp * te / (csf * hfg * pr.powf(n))).powi(3);
    Ok(vec![q / 1000.0, if te > 0.0 { q / te } else { 0.0 }])
}

fn cooper(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (p, pc, mw, te, rp) = (x[0], x[1], x[2], x[3], x[4]);
    if p >= pc {
        return Err(Refusal::new(
            "the pressure must be below the critical pressure",
            "压力必须低于临界压力",
        ));
    }
    let pr = p / pc;
    let h = (55.0
        * te.powf(0.67)
        * pr.powf(0.12 - 0.2 * rp.log10())
        * (-pr.log10()).powf(-0.55)
        * mw.powf(-0.5))
    .powf(1.0 / 0.33);
    Ok(vec![h * te / 1000.0, h])
}

fn area_change(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (d1, d2, v, rho) = (x[0], x[1], x[2], x[3]);
    let k = if d2 >= d1 {
        // Sudden expansion (Borda–Carnot), on the upstream (small-pipe) velocity.
        let r = 1.0 - (d1 / d2).powi(2);
        r * r
    } else {
        // Sudden contraction (Rennels), on the downstream (small-pipe) velocity.
        let beta = d2 / d1;
        let (b2, b5) = (beta * beta, beta.powi(5));
        let lambda = 1.0 + 0.622 * (1.0 - 0.215 * b2 - 0.785 * b5);
        0.0696 * (1.0 - b5) * lambda * lambda + (lambda - 1.0).powi(2)
    };
    let head = k * v * v / (2.0 * G);
    Ok(vec![k, head, rho * G * head / 1000.0])
}

/// A gas pipeline between two pressures (shared by the pipeline flow models).
pub(crate) const GAS_PORTS: &[Port] = &[
    Port::new(
        "p1",
        "Inlet pressure (absolute)",
        "进口绝对压力",
        "kPa",
        1.0,
        1e6,
    ),
    Port::new(
        "p2",
        "Outlet pressure (absolute)",
        "出口绝对压力",
        "kPa",
        0.0,
        1e6,
    ),
    Port::new("L", "Length", "管长", "km", 1e-3, 1e4),
    Port::new("D", "Internal diameter", "内径", "m", 1e-3, 5.0),
    Port::new(
        "SG",
        "Gas specific gravity (air = 1)",
        "气体相对密度（空气为 1）",
        "",
        0.05,
        3.0,
    )
    .default(0.6),
    Port::new(
        "T",
        "Average gas temperature",
        "平均气体温度",
        "K",
        150.0,
        500.0,
    )
    .default(288.15),
    Port::new(
        "Z",
        "Average compressibility factor",
        "平均压缩因子",
        "",
        0.3,
        1.5,
    )
    .default(1.0),
    Port::new("E", "Pipeline efficiency", "管道效率", "", 0.1, 1.0).default(0.92),
    Port::new("T_s", "Standard temperature", "标准温度", "K", 200.0, 400.0).default(288.7),
    Port::new("p_s", "Standard pressure", "标准压力", "kPa", 50.0, 200.0).default(101.325),
];

pub(crate) const MODELS: &[Model] = &[
    Model {
        card: card(
            "channel.manning",
            Text::new("Open-channel flow (Manning)", "明渠流量（曼宁公式）"),
            Text::new(
                "Mean velocity and discharge of uniform flow in an open channel or a part-full sewer from the flow area, wetted perimeter, bed slope and Manning roughness.",
                "由过水断面面积、湿周、底坡和曼宁糙率计算明渠或非满流排水管均匀流的平均流速和流量。",
            ),
            ModelKind::Mechanism,
            WATER_INDUSTRIES,
            &[Domain::Design, Domain::Operations],
            &[
                Port::new("A", "Flow area", "过水断面面积", "m2", 1e-6, 1e5),
                Port::new("P_w", "Wetted perimeter", "湿周", "m", 1e-6, 1e4),
                Port::new("S", "Bed slope", "底坡", "", 1e-7, 1.0),
                Port::new(
                    "n",
                    "Manning roughness (s/m^(1/3))",
                    "曼宁糙率（s/m^(1/3)）",
                    "",
                    0.005,
                    0.2,
                )
                .default(0.013),
            ],
            &[
                Port::out("v", "Mean velocity", "平均流速", "m/s"),
                Port::out("Q", "Discharge", "流量", "m3/s"),
                Port::out("R_h", "Hydraulic radius", "水力半径", "m"),
            ],
            Text::new(
                "v = R_h^(2/3)·S^(1/2)/n, R_h = A/P_w, Q = v·A (SI).",
                "v = R_h^(2/3)·S^(1/2)/n，R_h = A/P_w，Q = v·A（SI 单位）。",
            ),
            &[
                Reference {
                    source: "Chow, V. T., Open-Channel Hydraulics, McGraw-Hill, 1959",
                    locator: "ch. 5, the Manning formula",
                },
                Reference {
                    source: "GB 50014-2021, Code for design of outdoor wastewater engineering (室外排水设计标准)",
                    locator: "flow velocity of sewers and channels (Manning formula)",
                },
            ],
        ),
        eval: Eval::Scalar(manning),
    },
    Model {
        card: card(
            "pipe.hazen_williams",
            Text::new(
                "Water-main head loss (Hazen–Williams)",
                "给水管道水头损失（海曾-威廉公式）",
            ),
            Text::new(
                "Friction head loss of water in a pressure main from the flow, diameter, length and the Hazen–Williams coefficient C (water supply and fire-water networks).",
                "由流量、管径、管长和海曾-威廉系数 C 计算压力给水管道的沿程水头损失（供水与消防水管网）。",
            ),
            ModelKind::Mechanism,
            WATER_INDUSTRIES,
            &[Domain::Design, Domain::Operations],
            &[
                Port::new("Q", "Flow", "流量", "m3/s", 1e-9, 100.0),
                Port::new("D", "Internal diameter", "计算内径", "m", 1e-3, 10.0),
                Port::new("L", "Length", "管长", "m", 0.0, 1e6),
                Port::new(
                    "C",
                    "Hazen–Williams coefficient",
                    "海曾-威廉系数",
                    "",
                    50.0,
                    160.0,
                )
                .default(130.0),
            ],
            &[
                Port::out("h_f", "Friction head loss", "沿程水头损失", "m"),
                Port::out("i", "Head loss per kilometre", "每千米水头损失", "m/km"),
                Port::out("v", "Mean velocity", "平均流速", "m/s"),
            ],
            Text::new(
                "i = 10.67·Q^1.852/(C^1.852·D^4.87) (m/m, Q in m³/s, D in m); h_f = i·L.",
                "i = 10.67·Q^1.852/(C^1.852·D^4.87)（m/m，Q 单位 m³/s，D 单位 m）；h_f = i·L。",
            ),
            &[
                Reference {
                    source: "GB 50013-2018, Standard for design of outdoor water supply engineering (室外给水设计标准)",
                    locator: "§7.2, friction loss of pipelines: the Hazen–Williams formula",
                },
                Reference {
                    source: "Williams, G. S., Hazen, A., Hydraulic Tables, 2nd ed., Wiley, 1909",
                    locator: "the Hazen–Williams formula",
                },
            ],
        ),
        eval: Eval::Scalar(hazen_williams),
    },
    Model {
        card: card(
            "gas.pipeline_panhandle_a",
            Text::new(
                "Gas pipeline flow (Panhandle A)",
                "天然气管道输量（Panhandle A 公式）",
            ),
            Text::new(
                "Standard volume flow of natural gas through a long transmission pipeline from its end pressures, length, diameter and gas properties by the Panhandle A equation (partly turbulent flow).",
                "由两端压力、管长、管径和气体性质，按 Panhandle A 公式（部分湍流）计算长输天然气管道的标准状态输量。",
            ),
            ModelKind::Mechanism,
            GAS_INDUSTRIES,
            &[Domain::Design, Domain::Operations],
            GAS_PORTS,
            &[
                Port::out("Q", "Flow at standard conditions", "标准状态流量", "m3/s"),
                Port::out(
                    "Q_h",
                    "Flow at standard conditions per hour",
                    "标准状态小时流量",
                    "m3/h",
                ),
            ],
            Text::new(
                "Q = 158.02·E·(T_s/p_s)^1.0788·[(p₁² − p₂²)/(L·G^0.8539·T·Z)]^0.5394·D^2.6182 (SI: Pa, m, K).",
                "Q = 158.02·E·(T_s/p_s)^1.0788·[(p₁² − p₂²)/(L·G^0.8539·T·Z)]^0.5394·D^2.6182（SI 单位：Pa、m、K）。",
            ),
            &[MENON],
        ),
        eval: Eval::Scalar(panhandle_a),
    },
    Model {
        card: card(
            "gas.isothermal_pipe_flow",
            Text::new("Isothermal gas flow in a pipe", "管道等温气体流动"),
            Text::new(
                "Mass flow of a gas through a long plant pipe (compressed air, nitrogen, fuel gas) at constant temperature from the end pressures, inlet density and Darcy friction factor, refused when the flow would choke.",
                "由两端压力、进口密度和达西摩擦系数计算长厂区管道（压缩空气、氮气、燃料气）内等温气体的质量流量；气流壅塞时拒绝计算。",
            ),
            ModelKind::Mechanism,
            &["C26", "C34", "D45", "C25", "C31"],
            &[Domain::Design, Domain::Operations],
            &[
                Port::new(
                    "rho",
                    "Inlet gas density",
                    "进口气体密度",
                    "kg/m3",
                    1e-3,
                    500.0,
                ),
                Port::new(
                    "f_d",
                    "Darcy friction factor",
                    "达西摩擦系数",
                    "",
                    1e-4,
                    0.2,
                ),
                Port::new(
                    "p1",
                    "Inlet pressure (absolute)",
                    "进口绝对压力",
                    "kPa",
                    1.0,
                    1e6,
                ),
                Port::new(
                    "p2",
                    "Outlet pressure (absolute)",
                    "出口绝对压力",
                    "kPa",
                    0.1,
                    1e6,
                ),
                Port::new("L", "Pipe length", "管长", "m", 0.0, 1e6),
                Port::new("D", "Internal diameter", "内径", "m", 1e-3, 5.0),
            ],
            &[
                Port::out("m", "Mass flow", "质量流量", "kg/s"),
                Port::out("u2", "Outlet velocity", "出口流速", "m/s"),
            ],
            Text::new(
                "ṁ = √{(π²D⁴ρ₁/16)·(p₁² − p₂²)/[p₁(f_d·L/D + 2 ln(p₁/p₂))]}; choked where u₂ ≥ √(p₂/ρ₂).",
                "ṁ = √{(π²D⁴ρ₁/16)·(p₁² − p₂²)/[p₁(f_d·L/D + 2 ln(p₁/p₂))]}；当 u₂ ≥ √(p₂/ρ₂) 时壅塞。",
            ),
            &[Reference {
                source: "Crane Co., Flow of Fluids Through Valves, Fittings, and Pipe, Technical Paper No. 410",
                locator: "ch. 1, the complete isothermal equation for compressible flow",
            }],
        ),
        eval: Eval::Scalar(isothermal_gas),
    },
    Model {
        card: card(
            "separator.souders_brown",
            Text::new(
                "Gas–liquid separator sizing (Souders–Brown)",
                "气液分离器尺寸（Souders–Brown 公式）",
            ),
            Text::new(
                "Maximum allowable gas velocity in a vertical gas–liquid separator or knock-out drum from the Souders–Brown coefficient, and the vessel area and diameter for a gas flow.",
                "由 Souders–Brown 系数计算立式气液分离器或分液罐的最大允许气速，以及给定气量所需的截面积和直径。",
            ),
            ModelKind::Mechanism,
            &["B07", "C25", "C26", "D45"],
            &[Domain::Design, Domain::Production],
            &[
                Port::new(
                    "K",
                    "Souders–Brown coefficient",
                    "Souders–Brown 系数",
                    "m/s",
                    0.01,
                    0.5,
                )
                .default(0.107),
                Port::new("rho_l", "Liquid density", "液相密度", "kg/m3", 1.0, 2e4),
                Port::new("rho_g", "Gas density", "气相密度", "kg/m3", 1e-3, 1e3),
                Port::new("Q_g", "Actual gas flow", "实际气体流量", "m3/h", 0.0, 1e8),
            ],
            &[
                Port::out("v_max", "Maximum gas velocity", "最大允许气速", "m/s"),
                Port::out("A", "Minimum vessel area", "最小截面积", "m2"),
                Port::out("D", "Minimum vessel diameter", "最小直径", "m"),
            ],
            Text::new(
                "v_max = K·√((ρ_l − ρ_g)/ρ_g); A = Q_g/v_max; D = √(4A/π).",
                "v_max = K·√((ρ_l − ρ_g)/ρ_g)；A = Q_g/v_max；D = √(4A/π)。",
            ),
            &[Reference {
                source: "Souders, M., Brown, G. G., Design of fractionating columns: entrainment and capacity, Industrial & Engineering Chemistry 26(1), 98–103, 1934",
                locator: "the allowable vapour velocity",
            }],
        ),
        eval: Eval::Scalar(souders_brown),
    },
    Model {
        card: card(
            "boiling.rohsenow",
            Text::new(
                "Nucleate pool boiling (Rohsenow)",
                "池内核态沸腾（Rohsenow 关联式）",
            ),
            Text::new(
                "Heat flux and heat-transfer coefficient of nucleate pool boiling from the wall superheat and liquid properties, with the surface–fluid constant C_sf (kettles, reboilers, evaporators).",
                "由壁面过热度、液体物性和表面-流体常数 C_sf 计算池内核态沸腾的热流密度和换热系数（釜、再沸器、蒸发器）。",
            ),
            ModelKind::Mechanism,
            BOIL_INDUSTRIES,
            &[Domain::Design, Domain::Production],
            &[
                Port::new("rho_l", "Liquid density", "液体密度", "kg/m3", 1.0, 2e4),
                Port::new("rho_v", "Vapour density", "蒸汽密度", "kg/m3", 1e-4, 1e3),
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
                Port::new("h_fg", "Latent heat", "汽化潜热", "kJ/kg", 1.0, 1e4),
                Port::new("sigma", "Surface tension", "表面张力", "mN/m", 0.01, 1000.0),
                Port::new(
                    "dT_e",
                    "Wall superheat T_w − T_sat",
                    "壁面过热度 T_w − T_sat",
                    "K",
                    0.0,
                    50.0,
                ),
                Port::new(
                    "C_sf",
                    "Surface–fluid constant",
                    "表面-流体常数",
                    "",
                    1e-3,
                    0.1,
                )
                .default(0.013),
                Port::new(
                    "n",
                    "Prandtl exponent (1 for water, 1.7 otherwise)",
                    "普朗特数指数（水为 1，其余 1.7）",
                    "",
                    0.5,
                    3.0,
                )
                .default(1.0),
            ],
            &[
                Port::out("q", "Heat flux", "热流密度", "kW/m2"),
                Port::out("h", "Heat-transfer coefficient", "换热系数", "W/(m2.K)"),
            ],
            Text::new(
                "q = μ_l h_fg [g(ρ_l − ρ_v)/σ]^½ [c_p,l ΔT_e/(C_sf h_fg Pr_l^n)]³; h = q/ΔT_e.",
                "q = μ_l h_fg [g(ρ_l − ρ_v)/σ]^½ [c_p,l ΔT_e/(C_sf h_fg Pr_l^n)]³；h = q/ΔT_e。",
            ),
            &[
                Reference {
                    source: "Rohsenow, W. M., A method of correlating heat transfer data for surface boiling of liquids, Transactions of the ASME 74, 969–976, 1952",
                    locator: "the nucleate boiling correlation",
                },
                Reference {
                    source: "Incropera, F. P., DeWitt, D. P., Bergman, T. L., Lavine, A. S., Fundamentals of Heat and Mass Transfer, 7th ed.",
                    locator: "§10.4.1, nucleate pool boiling (Rohsenow correlation)",
                },
            ],
        ),
        eval: Eval::Scalar(rohsenow),
    },
    Model {
        card: card(
            "boiling.cooper",
            Text::new(
                "Nucleate pool boiling (Cooper)",
                "池内核态沸腾（Cooper 关联式）",
            ),
            Text::new(
                "Heat flux and heat-transfer coefficient of nucleate pool boiling from the wall superheat, reduced pressure, molar mass and surface roughness (refrigerant evaporators, reboilers).",
                "由壁面过热度、对比压力、摩尔质量和表面粗糙度计算池内核态沸腾的热流密度和换热系数（制冷剂蒸发器、再沸器）。",
            ),
            ModelKind::Mechanism,
            BOIL_INDUSTRIES,
            &[Domain::Design, Domain::Production],
            &[
                Port::new("p", "Pressure", "压力", "kPa", 1e-3, 1e5),
                Port::new("p_c", "Critical pressure", "临界压力", "kPa", 1.0, 1e5),
                Port::new("M", "Molar mass", "摩尔质量", "g/mol", 1.0, 1000.0),
                Port::new(
                    "dT_e",
                    "Wall superheat T_w − T_sat",
                    "壁面过热度 T_w − T_sat",
                    "K",
                    0.0,
                    50.0,
                ),
                Port::new(
                    "R_p",
                    "Surface roughness R_p",
                    "表面粗糙度 R_p",
                    "um",
                    0.01,
                    100.0,
                )
                .default(1.0),
            ],
            &[
                Port::out("q", "Heat flux", "热流密度", "kW/m2"),
                Port::out("h", "Heat-transfer coefficient", "换热系数", "W/(m2.K)"),
            ],
            Text::new(
                "h = 55·p_r^(0.12 − 0.2 log₁₀R_p)·(−log₁₀p_r)^(−0.55)·M^(−0.5)·q^0.67 (W/m², R_p in µm), solved for q at ΔT_e: h = (55·ΔT_e^0.67·…)^(1/0.33).",
                "h = 55·p_r^(0.12 − 0.2 log₁₀R_p)·(−log₁₀p_r)^(−0.55)·M^(−0.5)·q^0.67（W/m²，R_p 单位 µm），按 ΔT_e 求解：h = (55·ΔT_e^0.67·…)^(1/0.33)。",
            ),
            &[Reference {
                source: "Cooper, M. G., Heat flow rates in saturated nucleate pool boiling — a wide-ranging examination using reduced properties, Advances in Heat Transfer 16, 157–239, 1984",
                locator: "the reduced-pressure correlation",
            }],
        ),
        eval: Eval::Scalar(cooper),
    },
    Model {
        card: card(
            "pipe.sudden_area_change",
            Text::new(
                "Loss at a sudden expansion or contraction",
                "突扩与突缩局部损失",
            ),
            Text::new(
                "Loss coefficient, head loss and pressure loss of a sudden enlargement (Borda–Carnot) or a sharp-edged sudden contraction (Rennels) between two pipe diameters, on the velocity in the smaller pipe.",
                "计算两种管径之间突然扩大（Borda–Carnot）或锐缘突然缩小（Rennels）的局部阻力系数、水头损失和压力损失，以小管流速为基准。",
            ),
            ModelKind::Mechanism,
            WATER_INDUSTRIES,
            &[Domain::Design, Domain::Operations],
            &[
                Port::new("D1", "Upstream diameter", "上游管径", "m", 1e-4, 10.0),
                Port::new("D2", "Downstream diameter", "下游管径", "m", 1e-4, 10.0),
                Port::new(
                    "v",
                    "Velocity in the smaller pipe",
                    "小管流速",
                    "m/s",
                    0.0,
                    100.0,
                ),
                Port::new("rho", "Fluid density", "流体密度", "kg/m3", 1e-3, 2e4).default(998.2),
            ],
            &[
                Port::out(
                    "K",
                    "Loss coefficient (small-pipe velocity)",
                    "局部阻力系数（小管流速基准）",
                    "",
                ),
                Port::out("h", "Head loss", "水头损失", "m"),
                Port::out("dp", "Pressure loss", "压力损失", "kPa"),
            ],
            Text::new(
                "Expansion: K = (1 − (D₁/D₂)²)²; contraction, β = D₂/D₁: λ = 1 + 0.622(1 − 0.215β² − 0.785β⁵), K = 0.0696(1 − β⁵)λ² + (λ − 1)²; h = K v²/(2g).",
                "突扩：K = (1 − (D₁/D₂)²)²；突缩，β = D₂/D₁：λ = 1 + 0.622(1 − 0.215β² − 0.785β⁵)，K = 0.0696(1 − β⁵)λ² + (λ − 1)²；h = K v²/(2g)。",
            ),
            &[Reference {
                source: "Rennels, D. C., Hudson, H. M., Pipe Flow: A Practical and Comprehensive Guide, Wiley, 2012",
                locator: "the sharp-edged sudden contraction and the sudden expansion",
            }],
        ),
        eval: Eval::Scalar(area_change),
    },
];
