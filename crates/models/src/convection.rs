//! Convection correlations and insulated-pipe heat loss: Dittus–Boelter and Gnielinski
//! for turbulent flow in tubes, Churchill–Chu for free convection from a horizontal
//! cylinder, and the heat lost through pipe insulation to still air.

use crate::{Eval, Model, card};
use ironloom_core::model::{Domain, ModelKind, Port, Reference, Refusal, Text};

const HEAT_INDUSTRIES: &[&str] = &["C26", "D44", "C13", "C25", "C34"];
const INCROPERA: &str = "Incropera, F. P., DeWitt, D. P., Bergman, T. L., Lavine, A. S., Fundamentals of Heat and Mass Transfer, 7th ed.";
const TAU: f64 = std::f64::consts::TAU;

fn dittus_boelter(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (re, pr, cooling, k, d) = (x[0], x[1], x[2] == 1.0, x[3], x[4]);
    let n = if cooling { 0.3 } else { 0.4 };
    let nu = 0.023 * re.powf(0.8) * pr.powf(n);
    Ok(vec![nu, nu * k / d])
}

fn gnielinski(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (re, pr, f_given, k, d) = (x[0], x[1], x[2], x[3], x[4]);
    let f = if f_given > 0.0 {
        f_given
    } else {
        (0.790 * re.ln() - 1.64).powi(-2)
    };
    let nu = (f / 8.0) * (re - 1000.0) * pr
        / (1.0 + 12.7 * (f / 8.0).sqrt() * (pr.powf(2.0 / 3.0) - 1.0));
    Ok(vec![f, nu, nu * k / d])
}

fn churchill_chu(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (ra, pr, k, d) = (x[0], x[1], x[2], x[3]);
    let nu = (0.6
        + 0.387 * ra.powf(1.0 / 6.0) / (1.0 + (0.559 / pr).powf(9.0 / 16.0)).powf(8.0 / 27.0))
    .powi(2);
    Ok(vec![nu, nu * k / d])
}

fn pipe_loss(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (d_pipe, thickness, k, t_in, t_amb, h, length) = (x[0], x[1], x[2], x[3], x[4], x[5], x[6]);
    let r1 = d_pipe / 2000.0;
    let r2 = r1 + thickness / 1000.0;
    let r_ins = (r2 / r1).ln() / (TAU * k);
    let r_out = 1.0 / (TAU * r2 * h);
    let q = (t_in - t_amb) / (r_ins + r_out);
    Ok(vec![q, q * length, t_amb + q * r_out])
}

fn churchill_bernstein(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (re, pr, k, d) = (x[0], x[1], x[2], x[3]);
    if re * pr < 0.2 {
        return Err(Refusal::new(
            "the correlation needs Re·Pr ≥ 0.2",
            "该关联式要求 Re·Pr ≥ 0.2",
        ));
    }
    let nu = 0.3
        + 0.62 * re.sqrt() * pr.cbrt() / (1.0 + (0.4 / pr).powf(2.0 / 3.0)).powf(0.25)
            * (1.0 + (re / 282_000.0).powf(0.625)).powf(0.8);
    Ok(vec![nu, nu * k / d])
}

fn bare_surface(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (ts, ta, eps, h, area) = (x[0] + 273.15, x[1] + 273.15, x[2], x[3], x[4]);
    // Stefan–Boltzmann constant, W/(m²·K⁴) (CODATA 2018, exact).
    let sigma = 5.670_374_419e-8;
    let q_rad = eps * sigma * (ts.powi(4) - ta.powi(4));
    let q_conv = h * (ts - ta);
    Ok(vec![q_rad, q_conv, q_rad + q_conv, (q_rad + q_conv) * area])
}

const CONDUCTIVITY: Port = Port::new(
    "k",
    "Fluid thermal conductivity",
    "流体导热系数",
    "W/(m.K)",
    1e-4,
    1e3,
)
.default(1.0);
const DIAMETER: Port = Port::new("D", "Tube diameter", "管径", "m", 1e-6, 100.0).default(1.0);

pub(crate) const MODELS: &[Model] = &[
    Model {
        card: card(
            "conv.dittus_boelter",
            Text::new(
                "Turbulent in-tube convection (Dittus–Boelter)",
                "管内湍流对流换热（Dittus–Boelter）",
            ),
            Text::new(
                "Nusselt number and heat-transfer coefficient of fully developed turbulent flow in a smooth tube.",
                "光滑管内充分发展湍流的努塞尔数与对流换热系数。",
            ),
            ModelKind::Mechanism,
            HEAT_INDUSTRIES,
            &[Domain::Design, Domain::Operations],
            &[
                Port::new("Re", "Reynolds number", "雷诺数", "", 1e4, 1e7),
                Port::new("Pr", "Prandtl number", "普朗特数", "", 0.6, 160.0),
                Port::choice("fluid", "The fluid is", "流体被", &["heated", "cooled"]).default(0.0),
                CONDUCTIVITY,
                DIAMETER,
            ],
            &[
                Port::out("Nu", "Nusselt number", "努塞尔数", ""),
                Port::out("h", "Heat-transfer coefficient", "对流换热系数", "W/(m2.K)"),
            ],
            Text::new(
                "Nu = 0.023·Re^0.8·Prⁿ, n = 0.4 when the fluid is heated and 0.3 when cooled; h = Nu·k/D (Re ≥ 10⁴, 0.6 ≤ Pr ≤ 160, L/D ≥ 10).",
                "Nu = 0.023·Re^0.8·Prⁿ，流体被加热 n = 0.4，被冷却 n = 0.3；h = Nu·k/D（Re ≥ 10⁴，0.6 ≤ Pr ≤ 160，L/D ≥ 10）。",
            ),
            &[Reference {
                source: INCROPERA,
                locator: "§8.5, Eq. 8.60",
            }],
        ),
        eval: Eval::Scalar(dittus_boelter),
    },
    Model {
        card: card(
            "conv.gnielinski",
            Text::new(
                "Transitional and turbulent in-tube convection (Gnielinski)",
                "管内过渡与湍流对流换热（Gnielinski）",
            ),
            Text::new(
                "Nusselt number and heat-transfer coefficient in a tube from 3000 to 5 million in Reynolds number, with Petukhov's smooth-tube friction factor unless one is given.",
                "雷诺数 3000 至 5×10⁶ 时管内的努塞尔数与对流换热系数，未给定摩擦系数时用 Petukhov 光滑管公式。",
            ),
            ModelKind::Mechanism,
            HEAT_INDUSTRIES,
            &[Domain::Design, Domain::Operations],
            &[
                Port::new("Re", "Reynolds number", "雷诺数", "", 3000.0, 5e6),
                Port::new("Pr", "Prandtl number", "普朗特数", "", 0.5, 2000.0),
                Port::new(
                    "f",
                    "Darcy friction factor (0: Petukhov)",
                    "达西摩擦系数（0 表示按 Petukhov 计算）",
                    "",
                    0.0,
                    1.0,
                )
                .default(0.0),
                CONDUCTIVITY,
                DIAMETER,
            ],
            &[
                Port::out("f_used", "Friction factor used", "所用摩擦系数", ""),
                Port::out("Nu", "Nusselt number", "努塞尔数", ""),
                Port::out("h", "Heat-transfer coefficient", "对流换热系数", "W/(m2.K)"),
            ],
            Text::new(
                "Nu = (f/8)(Re − 1000)Pr/[1 + 12.7(f/8)^½(Pr^⅔ − 1)], f = (0.790 ln Re − 1.64)⁻² by default; h = Nu·k/D.",
                "Nu = (f/8)(Re − 1000)Pr/[1 + 12.7(f/8)^½(Pr^⅔ − 1)]，默认 f = (0.790 ln Re − 1.64)⁻²；h = Nu·k/D。",
            ),
            &[
                Reference {
                    source: INCROPERA,
                    locator: "§8.5, Eq. 8.62 (Gnielinski) and Eq. 8.21 (Petukhov)",
                },
                Reference {
                    source: "Gnielinski, V., New equations for heat and mass transfer in turbulent pipe and channel flow, International Chemical Engineering 16, 359–368, 1976",
                    locator: "Eq. 8",
                },
            ],
        ),
        eval: Eval::Scalar(gnielinski),
    },
    Model {
        card: card(
            "conv.horizontal_cylinder_free",
            Text::new(
                "Free convection from a horizontal cylinder (Churchill–Chu)",
                "水平圆柱自然对流（Churchill–Chu）",
            ),
            Text::new(
                "Average Nusselt number and heat-transfer coefficient of free convection from a long isothermal horizontal cylinder, such as a bare pipe in still air.",
                "长等温水平圆柱（如静止空气中的裸管）自然对流的平均努塞尔数与换热系数。",
            ),
            ModelKind::Mechanism,
            HEAT_INDUSTRIES,
            &[Domain::Design, Domain::Operations],
            &[
                Port::new("Ra", "Rayleigh number", "瑞利数", "", 0.0, 1e12),
                Port::new("Pr", "Prandtl number", "普朗特数", "", 1e-3, 1e5),
                CONDUCTIVITY,
                DIAMETER,
            ],
            &[
                Port::out("Nu", "Nusselt number", "努塞尔数", ""),
                Port::out("h", "Heat-transfer coefficient", "对流换热系数", "W/(m2.K)"),
            ],
            Text::new(
                "Nu = {0.60 + 0.387·Ra^(1/6)/[1 + (0.559/Pr)^(9/16)]^(8/27)}² (Ra ≤ 10¹²); h = Nu·k/D.",
                "Nu = {0.60 + 0.387·Ra^(1/6)/[1 + (0.559/Pr)^(9/16)]^(8/27)}²（Ra ≤ 10¹²）；h = Nu·k/D。",
            ),
            &[
                Reference {
                    source: INCROPERA,
                    locator: "§9.6.3, Eq. 9.34",
                },
                Reference {
                    source: "Churchill, S. W., Chu, H. H. S., Correlating equations for laminar and turbulent free convection from a horizontal cylinder, International Journal of Heat and Mass Transfer 18(9), 1049–1053, 1975",
                    locator: "the correlation for all Rayleigh numbers",
                },
            ],
        ),
        eval: Eval::Scalar(churchill_chu),
    },
    Model {
        card: card(
            "insulation.pipe_heat_loss",
            Text::new("Heat loss of an insulated pipe", "保温管道散热损失"),
            Text::new(
                "Heat lost per metre and in total by a pipe through a layer of insulation and the outer surface film, and the insulation's surface temperature.",
                "计算管道经保温层和外表面换热的单位长度及总散热损失，以及保温层外表面温度。",
            ),
            ModelKind::Mechanism,
            HEAT_INDUSTRIES,
            &[Domain::Design, Domain::Operations],
            &[
                Port::new("D", "Pipe outer diameter", "管道外径", "mm", 1.0, 1e4),
                Port::new(
                    "delta",
                    "Insulation thickness",
                    "保温层厚度",
                    "mm",
                    0.0,
                    1000.0,
                ),
                Port::new(
                    "k",
                    "Insulation thermal conductivity",
                    "保温材料导热系数",
                    "W/(m.K)",
                    1e-3,
                    10.0,
                ),
                Port::new(
                    "T_pipe",
                    "Pipe (medium) temperature",
                    "管道（介质）温度",
                    "°C",
                    -200.0,
                    1000.0,
                ),
                Port::new(
                    "T_amb",
                    "Ambient temperature",
                    "环境温度",
                    "°C",
                    -60.0,
                    60.0,
                )
                .default(20.0),
                Port::new(
                    "h",
                    "Outer surface heat-transfer coefficient",
                    "外表面换热系数",
                    "W/(m2.K)",
                    0.1,
                    1000.0,
                )
                .default(10.0),
                Port::new("L", "Pipe length", "管道长度", "m", 0.0, 1e6).default(1.0),
            ],
            &[
                Port::out("q", "Heat loss per metre", "单位长度散热损失", "W/m"),
                Port::out("Q", "Heat loss", "总散热损失", "W"),
                Port::out(
                    "T_s",
                    "Insulation surface temperature",
                    "保温层外表面温度",
                    "°C",
                ),
            ],
            Text::new(
                "q = (T_pipe − T_amb)/[ln(r₂/r₁)/(2πk) + 1/(2πr₂h)]; T_s = T_amb + q/(2πr₂h) (pipe wall and inner film neglected).",
                "q = (T_pipe − T_amb)/[ln(r₂/r₁)/(2πk) + 1/(2πr₂h)]；T_s = T_amb + q/(2πr₂h)（忽略管壁与内侧换热热阻）。",
            ),
            &[
                Reference {
                    source: INCROPERA,
                    locator: "§3.3.1 (radial conduction resistance of a cylindrical wall) and §3.3.2 (critical insulation radius)",
                },
                Reference {
                    source: "GB/T 8175-2008, 设备及管道绝热设计导则",
                    locator: "圆筒面绝热层散热损失计算",
                },
            ],
        ),
        eval: Eval::Scalar(pipe_loss),
    },
    Model {
        card: card(
            "surface.bare_heat_loss",
            Text::new(
                "Heat loss of a bare hot surface (radiation and convection)",
                "裸露热表面散热（辐射与对流）",
            ),
            Text::new(
                "Radiant and convective heat lost per square metre by a hot surface to surroundings at the air temperature, and in total over its area.",
                "计算热表面向同温环境每平方米的辐射与对流散热量，以及按面积的总散热量。",
            ),
            ModelKind::Mechanism,
            HEAT_INDUSTRIES,
            &[Domain::Operations, Domain::Service],
            &[
                Port::new(
                    "T_s",
                    "Surface temperature",
                    "表面温度",
                    "°C",
                    -200.0,
                    2000.0,
                ),
                Port::new(
                    "T_amb",
                    "Ambient (air and surroundings) temperature",
                    "环境（空气及周围表面）温度",
                    "°C",
                    -60.0,
                    200.0,
                )
                .default(20.0),
                Port::new("eps", "Surface emissivity", "表面发射率", "", 0.0, 1.0).default(0.9),
                Port::new(
                    "h",
                    "Convective heat-transfer coefficient",
                    "对流换热系数",
                    "W/(m2.K)",
                    0.0,
                    1e4,
                )
                .default(10.0),
                Port::new("A", "Surface area", "表面积", "m2", 0.0, 1e7).default(1.0),
            ],
            &[
                Port::out("q_rad", "Radiant loss", "辐射散热", "W/m2"),
                Port::out("q_conv", "Convective loss", "对流散热", "W/m2"),
                Port::out("q", "Total loss per area", "单位面积总散热", "W/m2"),
                Port::out("Q", "Total loss", "总散热量", "W"),
            ],
            Text::new(
                "q = εσ(T_s⁴ − T_amb⁴) + h(T_s − T_amb), temperatures in kelvin, σ = 5.670374419·10⁻⁸ W/(m²·K⁴); Q = q·A.",
                "q = εσ(T_s⁴ − T_amb⁴) + h(T_s − T_amb)，温度取开尔文，σ = 5.670374419·10⁻⁸ W/(m²·K⁴)；Q = q·A。",
            ),
            &[
                Reference {
                    source: INCROPERA,
                    locator: "§1.2.3, Eq. 1.7 (radiation exchange with large surroundings) and Eq. 1.3a (Newton's law of cooling)",
                },
                Reference {
                    source: "GB/T 4272-2008, 设备及管道绝热技术通则",
                    locator: "表面散热损失",
                },
            ],
        ),
        eval: Eval::Scalar(bare_surface),
    },
    Model {
        card: card(
            "conv.cylinder_crossflow",
            Text::new(
                "Cylinder in crossflow (Churchill–Bernstein)",
                "横掠圆柱对流换热（Churchill–Bernstein）",
            ),
            Text::new(
                "Average Nusselt number and heat-transfer coefficient of a fluid flowing across a long cylinder, such as wind over a pipe or a tube bank's first row.",
                "流体横掠长圆柱（如风吹管道、管束首排）的平均努塞尔数与对流换热系数。",
            ),
            ModelKind::Mechanism,
            HEAT_INDUSTRIES,
            &[Domain::Design, Domain::Operations],
            &[
                Port::new(
                    "Re",
                    "Reynolds number (on the diameter)",
                    "雷诺数（以直径计）",
                    "",
                    0.0,
                    1e7,
                ),
                Port::new("Pr", "Prandtl number", "普朗特数", "", 1e-3, 1e5),
                CONDUCTIVITY,
                DIAMETER,
            ],
            &[
                Port::out("Nu", "Nusselt number", "努塞尔数", ""),
                Port::out("h", "Heat-transfer coefficient", "对流换热系数", "W/(m2.K)"),
            ],
            Text::new(
                "Nu = 0.3 + 0.62Re^½Pr^⅓/[1 + (0.4/Pr)^⅔]^¼·[1 + (Re/282 000)^(5/8)]^(4/5) (Re·Pr ≥ 0.2); h = Nu·k/D.",
                "Nu = 0.3 + 0.62Re^½Pr^⅓/[1 + (0.4/Pr)^⅔]^¼·[1 + (Re/282 000)^(5/8)]^(4/5)（Re·Pr ≥ 0.2）；h = Nu·k/D。",
            ),
            &[
                Reference {
                    source: INCROPERA,
                    locator: "§7.4.1, Eq. 7.54",
                },
                Reference {
                    source: "Churchill, S. W., Bernstein, M., A correlating equation for forced convection from gases and liquids to a circular cylinder in crossflow, Journal of Heat Transfer 99(2), 300–306, 1977",
                    locator: "the correlation for all Re·Pr ≥ 0.2",
                },
            ],
        ),
        eval: Eval::Scalar(churchill_bernstein),
    },
];
