//! Metal cutting and forming: turning, milling and drilling data (speed, feed, removal
//! rate, power), Kienzle's cutting force, the ideal surface roughness, Taylor tool life,
//! Chvorinov's solidification time, and blanking and bending forces.

use crate::{Eval, Model, card};
use ironloom_core::model::{Domain, ModelKind, Port, Reference, Refusal, Text};

const CUTTING_INDUSTRIES: &[&str] = &["C33", "C34", "C35", "C36", "C37"];
const SHOP: &[Domain] = &[Domain::Production];
const SANDVIK: &str =
    "Sandvik Coromant, Metalworking Products — Technical Guide / Training Handbook, 2017";
const GROOVER: &str = "Groover, M. P., Fundamentals of Modern Manufacturing: Materials, Processes, and Systems, 4th ed., Wiley, 2010";
const PI: f64 = std::f64::consts::PI;

fn spindle_speed(vc: f64, d: f64) -> f64 {
    vc * 1000.0 / (PI * d)
}

fn turning(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (d, vc, f, ap, kc, l) = (x[0], x[1], x[2], x[3], x[4], x[5]);
    let n = spindle_speed(vc, d);
    let vf = f * n;
    let q = vc * ap * f;
    let pc = vc * ap * f * kc / 60_000.0;
    Ok(vec![n, vf, q, pc, kc * ap * f, l / vf])
}

fn milling(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (d, vc, fz, z, ap, ae, kc) = (x[0], x[1], x[2], x[3], x[4], x[5], x[6]);
    if ae > d {
        return Err(Refusal::new(
            "the radial depth of cut cannot exceed the cutter diameter",
            "径向切深不能超过刀具直径",
        ));
    }
    let n = spindle_speed(vc, d);
    let vf = fz * z * n;
    let q = ap * ae * vf / 1000.0;
    Ok(vec![n, vf, q, q * kc / 60_000.0])
}

fn drilling(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (d, vc, f, kc) = (x[0], x[1], x[2], x[3]);
    let n = spindle_speed(vc, d);
    let pc = f * vc * d * kc / 240_000.0;
    let torque = pc * 30_000.0 / (PI * n);
    Ok(vec![n, f * n, vc * d * f / 4.0, pc, torque])
}

fn kienzle(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (kc11, mc, f, kappa, ap, vc) = (x[0], x[1], x[2], x[3].to_radians(), x[4], x[5]);
    let h = f * kappa.sin();
    let b = ap / kappa.sin();
    let kc = kc11 * h.powf(-mc);
    let fc = kc * b * h;
    Ok(vec![h, kc, fc, fc * vc / 60_000.0])
}

fn roughness(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (f, r) = (x[0], x[1]);
    if f > 2.0 * r {
        return Err(Refusal::new(
            "the feed exceeds the nose diameter: the formula needs f ≤ 2r",
            "进给量大于刀尖圆弧直径：公式要求 f ≤ 2r",
        ));
    }
    Ok(vec![
        f * f / (32.0 * r) * 1000.0,
        f * f / (8.0 * r) * 1000.0,
    ])
}

fn taylor(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (v, n, c, t_target) = (x[0], x[1], x[2], x[3]);
    Ok(vec![(c / v).powf(1.0 / n), c / t_target.powf(n)])
}

fn taylor_fit(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (v1, t1, v2, t2) = (x[0], x[1], x[2], x[3]);
    if v1 == v2 || t1 == t2 || (v1 - v2) * (t1 - t2) >= 0.0 {
        return Err(Refusal::new(
            "the faster test must wear out sooner",
            "切削速度较高的试验刀具寿命必须较短",
        ));
    }
    let n = (v1 / v2).ln() / (t2 / t1).ln();
    Ok(vec![n, v1 * t1.powf(n)])
}

fn chvorinov(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (v, a, cm, n) = (x[0], x[1], x[2], x[3]);
    let modulus = v / a;
    Ok(vec![modulus, cm * modulus.powf(n)])
}

fn blanking(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (t, l, uts, ratio) = (x[0], x[1], x[2], x[3]);
    let f = ratio * uts * t * l / 1000.0;
    Ok(vec![f, f * t / 1000.0])
}

fn bending(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (t, w, uts, die, die_type) = (x[0], x[1], x[2], x[3], x[4]);
    let k = if die_type == 0.0 { 1.33 } else { 0.33 };
    Ok(vec![k * uts * w * t * t / die / 1000.0])
}

const DIAMETER: Port = Port::new(
    "D",
    "Workpiece or tool diameter",
    "工件或刀具直径",
    "mm",
    1e-3,
    1e4,
);
const SPEED: Port = Port::new("v_c", "Cutting speed", "切削速度", "m/min", 1e-3, 1e4);
const KC: Port = Port::new(
    "k_c",
    "Specific cutting force",
    "单位切削力",
    "N/mm2",
    1.0,
    1e4,
);
const SPINDLE: Port = Port::out("n", "Spindle speed", "主轴转速", "rpm");
const FEED_RATE: Port = Port::out("v_f", "Feed rate", "进给速度", "mm/min");
const POWER: Port = Port::out("P_c", "Net cutting power", "净切削功率", "kW");

pub(crate) const MODELS: &[Model] = &[
    Model {
        card: card(
            "machining.turning",
            Text::new(
                "Turning: speed, removal rate, force, power and time",
                "车削：转速、材料去除率、切削力、功率与工时",
            ),
            Text::new(
                "Spindle speed, feed rate, metal removal rate, cutting force, net power and cutting time of a turning pass.",
                "计算一次车削走刀的主轴转速、进给速度、金属去除率、主切削力、净切削功率和切削时间。",
            ),
            ModelKind::Mechanism,
            CUTTING_INDUSTRIES,
            SHOP,
            &[
                DIAMETER,
                SPEED,
                Port::new("f", "Feed per revolution", "每转进给量", "mm", 1e-4, 10.0),
                Port::new("a_p", "Depth of cut", "背吃刀量", "mm", 1e-4, 100.0),
                KC,
                Port::new("L", "Length of cut", "切削长度", "mm", 0.0, 1e5).default(100.0),
            ],
            &[
                SPINDLE,
                FEED_RATE,
                Port::out("Q", "Metal removal rate", "金属去除率", "cm3/min"),
                POWER,
                Port::out("F_c", "Cutting force", "主切削力", "N"),
                Port::out("t_c", "Cutting time", "切削时间", "min"),
            ],
            Text::new(
                "n = 1000v_c/(πD); v_f = f·n; Q = v_c·a_p·f; F_c = k_c·a_p·f; P_c = v_c·a_p·f·k_c/60 000; t_c = L/v_f.",
                "n = 1000v_c/(πD)；v_f = f·n；Q = v_c·a_p·f；F_c = k_c·a_p·f；P_c = v_c·a_p·f·k_c/60 000；t_c = L/v_f。",
            ),
            &[Reference {
                source: SANDVIK,
                locator: "Turning — formulas and definitions",
            }],
        ),
        eval: Eval::Scalar(turning),
    },
    Model {
        card: card(
            "machining.milling",
            Text::new(
                "Milling: speed, feed, removal rate and power",
                "铣削：转速、进给、材料去除率与功率",
            ),
            Text::new(
                "Spindle speed, table feed, metal removal rate and net power of a milling cut.",
                "计算铣削的主轴转速、工作台进给速度、金属去除率和净切削功率。",
            ),
            ModelKind::Mechanism,
            CUTTING_INDUSTRIES,
            SHOP,
            &[
                Port::new("D_c", "Cutter diameter", "铣刀直径", "mm", 1e-3, 1e4),
                SPEED,
                Port::new("f_z", "Feed per tooth", "每齿进给量", "mm", 1e-5, 10.0),
                Port::new("z", "Effective teeth", "有效齿数", "", 1.0, 1000.0),
                Port::new("a_p", "Axial depth of cut", "轴向切深", "mm", 1e-4, 1000.0),
                Port::new("a_e", "Radial depth of cut", "径向切宽", "mm", 1e-4, 1e4),
                KC,
            ],
            &[
                SPINDLE,
                FEED_RATE,
                Port::out("Q", "Metal removal rate", "金属去除率", "cm3/min"),
                POWER,
            ],
            Text::new(
                "n = 1000v_c/(πD_c); v_f = f_z·z·n; Q = a_p·a_e·v_f/1000; P_c = a_p·a_e·v_f·k_c/(60·10⁶).",
                "n = 1000v_c/(πD_c)；v_f = f_z·z·n；Q = a_p·a_e·v_f/1000；P_c = a_p·a_e·v_f·k_c/(60·10⁶)。",
            ),
            &[Reference {
                source: SANDVIK,
                locator: "Milling — formulas and definitions",
            }],
        ),
        eval: Eval::Scalar(milling),
    },
    Model {
        card: card(
            "machining.drilling",
            Text::new(
                "Drilling: speed, removal rate, power and torque",
                "钻削：转速、材料去除率、功率与扭矩",
            ),
            Text::new(
                "Spindle speed, penetration rate, metal removal rate, net power and torque of drilling into solid material.",
                "计算实体材料钻孔的主轴转速、进给速度、金属去除率、净切削功率和扭矩。",
            ),
            ModelKind::Mechanism,
            CUTTING_INDUSTRIES,
            SHOP,
            &[
                Port::new("D_c", "Drill diameter", "钻头直径", "mm", 1e-3, 1000.0),
                SPEED,
                Port::new("f_n", "Feed per revolution", "每转进给量", "mm", 1e-5, 10.0),
                KC,
            ],
            &[
                SPINDLE,
                FEED_RATE,
                Port::out("Q", "Metal removal rate", "金属去除率", "cm3/min"),
                POWER,
                Port::out("M_c", "Torque", "扭矩", "N.m"),
            ],
            Text::new(
                "n = 1000v_c/(πD_c); v_f = f_n·n; Q = v_c·D_c·f_n/4; P_c = f_n·v_c·D_c·k_c/240 000; M_c = P_c·30 000/(πn).",
                "n = 1000v_c/(πD_c)；v_f = f_n·n；Q = v_c·D_c·f_n/4；P_c = f_n·v_c·D_c·k_c/240 000；M_c = P_c·30 000/(πn)。",
            ),
            &[Reference {
                source: SANDVIK,
                locator: "Drilling — formulas and definitions",
            }],
        ),
        eval: Eval::Scalar(drilling),
    },
    Model {
        card: card(
            "machining.kienzle_force",
            Text::new("Cutting force by Kienzle's law", "Kienzle 切削力公式"),
            Text::new(
                "Chip thickness, specific cutting force, main cutting force and power in turning from the material's k_c1.1 and m_c, the feed, the entering angle and the depth of cut.",
                "由材料的 k_c1.1 和 m_c、进给量、主偏角和背吃刀量，计算车削的切屑厚度、单位切削力、主切削力和功率。",
            ),
            ModelKind::Mechanism,
            CUTTING_INDUSTRIES,
            &[Domain::Production, Domain::Design],
            &[
                Port::new(
                    "k_c11",
                    "Specific cutting force at h = 1 mm, b = 1 mm",
                    "单位切削力 k_c1.1",
                    "N/mm2",
                    1.0,
                    1e4,
                ),
                Port::new("m_c", "Kienzle exponent", "Kienzle 指数 m_c", "", 0.0, 1.0),
                Port::new("f", "Feed per revolution", "每转进给量", "mm", 1e-4, 10.0),
                Port::new("kappa_r", "Entering angle", "主偏角", "deg", 1.0, 90.0).default(90.0),
                Port::new("a_p", "Depth of cut", "背吃刀量", "mm", 1e-4, 100.0),
                SPEED,
            ],
            &[
                Port::out("h", "Undeformed chip thickness", "未变形切屑厚度", "mm"),
                Port::out("k_c", "Specific cutting force", "单位切削力", "N/mm2"),
                Port::out("F_c", "Main cutting force", "主切削力", "N"),
                POWER,
            ],
            Text::new(
                "h = f·sin κ_r; b = a_p/sin κ_r; k_c = k_c1.1·h^(−m_c); F_c = k_c·b·h; P_c = F_c·v_c/60 000.",
                "h = f·sin κ_r；b = a_p/sin κ_r；k_c = k_c1.1·h^(−m_c)；F_c = k_c·b·h；P_c = F_c·v_c/60 000。",
            ),
            &[
                Reference {
                    source: "Kienzle, O., Die Bestimmung von Kräften und Leistungen an spanenden Werkzeugen und Werkzeugmaschinen, VDI-Z 94(11/12), 299–305, 1952",
                    locator: "F_c = k_c1.1·b·h^(1−m_c)",
                },
                Reference {
                    source: SANDVIK,
                    locator: "specific cutting force k_c = k_c1·h_m^(−m_c)",
                },
            ],
        ),
        eval: Eval::Scalar(kienzle),
    },
    Model {
        card: card(
            "machining.ideal_surface_roughness",
            Text::new("Ideal surface roughness in turning", "车削理论表面粗糙度"),
            Text::new(
                "Theoretical arithmetic-mean and peak-to-valley roughness left by a round-nosed tool from the feed and the nose radius.",
                "由进给量和刀尖圆弧半径计算圆弧刀尖车削留下的理论算术平均粗糙度和峰谷高度。",
            ),
            ModelKind::Simulation,
            CUTTING_INDUSTRIES,
            &[Domain::Production, Domain::Design],
            &[
                Port::new("f", "Feed per revolution", "每转进给量", "mm", 1e-5, 10.0),
                Port::new("r", "Tool nose radius", "刀尖圆弧半径", "mm", 1e-3, 50.0),
            ],
            &[
                Port::out("Ra", "Arithmetic-mean roughness", "算术平均粗糙度 Ra", "um"),
                Port::out("Rt", "Peak-to-valley height", "轮廓最大高度 Rt", "um"),
            ],
            Text::new(
                "R_a = f²/(32r); R_t = f²/(8r).",
                "R_a = f²/(32r)；R_t = f²/(8r)。",
            ),
            &[Reference {
                source: GROOVER,
                locator: "ideal surface roughness (R_i = f²/(32 NR))",
            }],
        ),
        eval: Eval::Scalar(roughness),
    },
    Model {
        card: card(
            "machining.taylor_tool_life",
            Text::new("Tool life by Taylor's equation", "Taylor 刀具寿命公式"),
            Text::new(
                "Tool life at a cutting speed, and the cutting speed for a target life, from Taylor's constants.",
                "由 Taylor 常数计算某切削速度下的刀具寿命，以及达到目标寿命的切削速度。",
            ),
            ModelKind::Mechanism,
            CUTTING_INDUSTRIES,
            &[Domain::Production, Domain::Operations],
            &[
                SPEED,
                Port::new("n", "Taylor exponent", "Taylor 指数 n", "", 0.01, 1.0),
                Port::new(
                    "C",
                    "Taylor constant (speed for 1 min life)",
                    "Taylor 常数 C（寿命 1 min 的速度）",
                    "m/min",
                    1e-3,
                    1e5,
                ),
                Port::new(
                    "T_target",
                    "Target tool life",
                    "目标刀具寿命",
                    "min",
                    1e-3,
                    1e5,
                )
                .default(15.0),
            ],
            &[
                Port::out("T", "Tool life", "刀具寿命", "min"),
                Port::out(
                    "v_target",
                    "Cutting speed for the target life",
                    "目标寿命对应切削速度",
                    "m/min",
                ),
            ],
            Text::new(
                "v·Tⁿ = C: T = (C/v)^(1/n); v_target = C/T_targetⁿ.",
                "v·Tⁿ = C：T = (C/v)^(1/n)；v_目标 = C/T_目标ⁿ。",
            ),
            &[
                Reference {
                    source: "Taylor, F. W., On the art of cutting metals, Transactions of the ASME 28, 31–350, 1907",
                    locator: "v·Tⁿ = C",
                },
                Reference {
                    source: GROOVER,
                    locator: "Taylor tool life equation",
                },
            ],
        ),
        eval: Eval::Scalar(taylor),
    },
    Model {
        card: card(
            "machining.taylor_fit",
            Text::new(
                "Taylor constants from two tool-life tests",
                "由两次刀具寿命试验求 Taylor 常数",
            ),
            Text::new(
                "Taylor's exponent n and constant C from the tool lives measured at two cutting speeds.",
                "由两种切削速度下实测的刀具寿命求 Taylor 指数 n 和常数 C。",
            ),
            ModelKind::Mechanism,
            CUTTING_INDUSTRIES,
            &[Domain::Production, Domain::Design],
            &[
                Port::new(
                    "v1",
                    "Cutting speed, test 1",
                    "试验1切削速度",
                    "m/min",
                    1e-3,
                    1e4,
                ),
                Port::new("T1", "Tool life, test 1", "试验1刀具寿命", "min", 1e-3, 1e5),
                Port::new(
                    "v2",
                    "Cutting speed, test 2",
                    "试验2切削速度",
                    "m/min",
                    1e-3,
                    1e4,
                ),
                Port::new("T2", "Tool life, test 2", "试验2刀具寿命", "min", 1e-3, 1e5),
            ],
            &[
                Port::out("n", "Taylor exponent", "Taylor 指数 n", ""),
                Port::out("C", "Taylor constant", "Taylor 常数 C", "m/min"),
            ],
            Text::new(
                "n = ln(v₁/v₂)/ln(T₂/T₁); C = v₁·T₁ⁿ.",
                "n = ln(v₁/v₂)/ln(T₂/T₁)；C = v₁·T₁ⁿ。",
            ),
            &[Reference {
                source: GROOVER,
                locator: "Taylor tool life equation (two-point solution)",
            }],
        ),
        eval: Eval::Scalar(taylor_fit),
    },
    Model {
        card: card(
            "casting.chvorinov",
            Text::new(
                "Casting solidification time (Chvorinov's rule)",
                "铸件凝固时间（Chvorinov 法则）",
            ),
            Text::new(
                "Total solidification time of a casting from its volume-to-surface ratio (casting modulus) and the mould constant.",
                "由铸件体积与表面积之比（铸件模数）和铸型常数计算总凝固时间。",
            ),
            ModelKind::Mechanism,
            &["C33", "C34", "C31", "C32"],
            &[Domain::Production, Domain::Design],
            &[
                Port::new("V", "Casting volume", "铸件体积", "cm3", 1e-6, 1e9),
                Port::new("A", "Casting surface area", "铸件表面积", "cm2", 1e-6, 1e9),
                Port::new("C_m", "Mould constant", "铸型常数", "min/cm2", 1e-6, 1e3),
                Port::new("n", "Exponent", "指数", "", 1.0, 3.0).default(2.0),
            ],
            &[
                Port::out("M", "Casting modulus V/A", "铸件模数 V/A", "cm"),
                Port::out("t_s", "Solidification time", "凝固时间", "min"),
            ],
            Text::new(
                "t_s = C_m·(V/A)ⁿ, n = 2 usually.",
                "t_s = C_m·(V/A)ⁿ，通常 n = 2。",
            ),
            &[
                Reference {
                    source: "Chvorinov, N., Theorie der Erstarrung von Gußstücken, Gießerei 27, 177–186, 1940",
                    locator: "t = B·(V/A)²",
                },
                Reference {
                    source: GROOVER,
                    locator: "Chvorinov's rule",
                },
            ],
        ),
        eval: Eval::Scalar(chvorinov),
    },
    Model {
        card: card(
            "forming.blanking_force",
            Text::new("Blanking and punching force", "冲裁力"),
            Text::new(
                "Force and energy to blank or punch sheet metal from the thickness, the cut length and the tensile strength (shear strength taken as a share of it).",
                "由板厚、剪切周长和抗拉强度（抗剪强度取其一定比例）计算冲裁（冲孔）力和冲裁功。",
            ),
            ModelKind::Mechanism,
            &["C33", "C34", "C36", "C38"],
            &[Domain::Production, Domain::Design],
            &[
                Port::new("t", "Sheet thickness", "板厚", "mm", 1e-3, 100.0),
                Port::new("L", "Length of the cut edge", "剪切周长", "mm", 1e-3, 1e6),
                Port::new("R_m", "Tensile strength", "抗拉强度", "MPa", 1.0, 3000.0),
                Port::new(
                    "ratio",
                    "Shear to tensile strength",
                    "抗剪强度与抗拉强度之比",
                    "",
                    0.3,
                    1.0,
                )
                .default(0.7),
            ],
            &[
                Port::out("F", "Blanking force", "冲裁力", "kN"),
                Port::out(
                    "W",
                    "Blanking energy (full-thickness stroke)",
                    "冲裁功（按全板厚行程）",
                    "kJ",
                ),
            ],
            Text::new(
                "F = S·t·L with S = ratio·R_m (≈ 0.7R_m); W ≈ F·t.",
                "F = S·t·L，S = 比例·R_m（约 0.7R_m）；W ≈ F·t。",
            ),
            &[Reference {
                source: GROOVER,
                locator: "cutting forces in sheet-metal shearing, blanking and punching",
            }],
        ),
        eval: Eval::Scalar(blanking),
    },
    Model {
        card: card(
            "forming.bending_force",
            Text::new("Sheet-metal bending force", "板料折弯力"),
            Text::new(
                "Maximum force to bend a sheet in a V-die or by edge (wiping) bending, from its width, thickness, tensile strength and die opening.",
                "由板宽、板厚、抗拉强度和凹模开口宽度计算 V 形或 L 形（压弯）折弯的最大折弯力。",
            ),
            ModelKind::Mechanism,
            &["C33", "C34", "C36", "C38"],
            &[Domain::Production, Domain::Design],
            &[
                Port::new("t", "Sheet thickness", "板厚", "mm", 1e-3, 100.0),
                Port::new(
                    "w",
                    "Bend length (sheet width)",
                    "折弯长度（板宽）",
                    "mm",
                    1e-3,
                    1e5,
                ),
                Port::new("R_m", "Tensile strength", "抗拉强度", "MPa", 1.0, 3000.0),
                Port::new("D", "Die opening", "凹模开口宽度", "mm", 1e-3, 1e4),
                Port::choice("die", "Bending type", "折弯方式", &["v_die", "edge"]).default(0.0),
            ],
            &[Port::out("F", "Bending force", "折弯力", "kN")],
            Text::new(
                "F = K_bf·R_m·w·t²/D, K_bf = 1.33 for V-bending and 0.33 for edge bending.",
                "F = K_bf·R_m·w·t²/D，V 形折弯 K_bf = 1.33，L 形压弯 K_bf = 0.33。",
            ),
            &[Reference {
                source: GROOVER,
                locator: "bending force (K_bf = 1.33 V-bending, 0.33 edge bending)",
            }],
        ),
        eval: Eval::Scalar(bending),
    },
];
