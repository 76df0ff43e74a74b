//! Machine elements: threaded fasteners, shafts, gears, beams, springs, hydraulic
//! cylinders, sinusoidal vibration, and Weibull life functions.

use crate::{Eval, Model, card};
use ironloom_core::model::{Domain, ModelKind, Port, Reference, Refusal, Text};

const SHIGLEY10: &str =
    "Budynas, R. G., Nisbett, J. K., Shigley's Mechanical Engineering Design, 10th ed.";
const ROARK: &str =
    "Young, W. C., Budynas, R. G., Sadegh, A. M., Roark's Formulas for Stress and Strain, 8th ed.";
const ISO_898: &str = "ISO 898-1:2013 (GB/T 3098.1-2010), Mechanical properties of fasteners made of carbon steel and alloy steel — Part 1: Bolts, screws and studs";
const DESIGN_INDUSTRIES: &[&str] = &["C33", "C34", "C35", "C36"];
const TAU: f64 = std::f64::consts::TAU;

/// Nominal stress area of an ISO metric thread, mm² (ISO 898-1 §9.1.6.1).
fn stress_area(d: f64, pitch: f64) -> f64 {
    let d2 = d - 0.649_519 * pitch;
    let d3 = d - 1.226_869 * pitch;
    std::f64::consts::PI / 4.0 * ((d2 + d3) / 2.0).powi(2)
}

fn thread(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (d, p) = (x[0], x[1]);
    if 1.226_869 * p >= d {
        return Err(Refusal::new(
            "the pitch is too coarse for the diameter",
            "螺距相对直径过大",
        ));
    }
    Ok(vec![
        stress_area(d, p),
        d - 0.649_519 * p,
        d - 1.226_869 * p,
    ])
}

/// Property classes of ISO 898-1 table 3: minimum tensile strength R_m,min and proof
/// stress S_p (MPa); 8.8 has two rows, split at 16 mm.
const CLASSES: [(f64, f64); 9] = [
    (400.0, 225.0),
    (420.0, 310.0),
    (500.0, 280.0),
    (520.0, 380.0),
    (600.0, 440.0),
    (800.0, 580.0),
    (900.0, 650.0),
    (1040.0, 830.0),
    (1220.0, 970.0),
];

fn bolt_loads(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (d, p, class) = (x[0], x[1], x[2] as usize);
    let a = thread(&[d, p])?[0];
    let (rm, sp) = if class == 5 && d > 16.0 {
        (830.0, 600.0)
    } else {
        CLASSES[class]
    };
    Ok(vec![a * rm / 1000.0, a * sp / 1000.0, rm, sp])
}

fn torque_from_power(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (p_kw, rpm) = (x[0], x[1]);
    Ok(vec![p_kw * 1000.0 / (TAU * rpm / 60.0)])
}

fn torsion(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (t, d_mm, l, g_gpa) = (x[0], x[1], x[2], x[3]);
    let d = d_mm / 1000.0;
    let j = std::f64::consts::PI * d.powi(4) / 32.0;
    Ok(vec![
        16.0 * t / (std::f64::consts::PI * d.powi(3)) / 1e6,
        t * l / (g_gpa * 1e9 * j),
        j,
    ])
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 { a } else { gcd(b, a % b) }
}

fn gear_mesh(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (z1, z2, rpm) = (x[0], x[1], x[2]);
    if z1.fract() != 0.0 || z2.fract() != 0.0 {
        return Err(Refusal::new(
            "tooth counts are whole numbers",
            "齿数必须是整数",
        ));
    }
    let f1 = rpm / 60.0;
    let gmf = z1 * f1;
    let lcm = (z1 as u64) / gcd(z1 as u64, z2 as u64) * (z2 as u64);
    Ok(vec![f1, f1 * z1 / z2, gmf, gmf / lcm as f64])
}

fn sine_vibration(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (v_peak_mm, f) = (x[0], x[1]);
    let w = TAU * f;
    let v = v_peak_mm / 1000.0;
    let sqrt2 = std::f64::consts::SQRT_2;
    Ok(vec![
        v * w,
        v * w / sqrt2,
        v_peak_mm / sqrt2,
        v / w * 1e6,
        2.0 * v / w * 1e6,
    ])
}

fn section(x: &[f64]) -> (f64, f64, f64) {
    // E in GPa, I in cm⁴, c in mm → Pa, m⁴, m.
    (x[2] * 1e9, x[3] * 1e-8, x[4] / 1000.0)
}

fn cantilever(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (f, l) = (x[0], x[1]);
    let (e, i, c) = section(x);
    let m = f * l;
    Ok(vec![
        f * l.powi(3) / (3.0 * e * i) * 1000.0,
        f * l * l / (2.0 * e * i),
        m,
        m * c / i / 1e6,
    ])
}

fn simply_centre(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (f, l) = (x[0], x[1]);
    let (e, i, c) = section(x);
    let m = f * l / 4.0;
    Ok(vec![
        f * l.powi(3) / (48.0 * e * i) * 1000.0,
        m,
        m * c / i / 1e6,
        f / 2.0,
    ])
}

fn simply_udl(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (w, l) = (x[0], x[1]);
    let (e, i, c) = section(x);
    let m = w * l * l / 8.0;
    Ok(vec![
        5.0 * w * l.powi(4) / (384.0 * e * i) * 1000.0,
        m,
        m * c / i / 1e6,
        w * l / 2.0,
    ])
}

fn cylinder(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (bore, rod, p_bar, q_lpm, eta) = (x[0] / 1000.0, x[1] / 1000.0, x[2], x[3], x[4]);
    if rod >= bore {
        return Err(Refusal::new(
            "the rod must be thinner than the bore",
            "活塞杆直径必须小于缸径",
        ));
    }
    let a = std::f64::consts::PI * bore * bore / 4.0;
    let ar = a - std::f64::consts::PI * rod * rod / 4.0;
    let p = p_bar * 1e5;
    let q = q_lpm / 60_000.0;
    Ok(vec![
        p * a * eta / 1000.0,
        p * ar * eta / 1000.0,
        q / a,
        q / ar,
        a / ar,
    ])
}

fn spring(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (g_gpa, d_mm, coil_mm, n, f) = (x[0], x[1], x[2], x[3], x[4]);
    let (g, d, dm) = (g_gpa * 1e9, d_mm / 1000.0, coil_mm / 1000.0);
    let c = dm / d;
    if c <= 1.0 {
        return Err(Refusal::new(
            "the coil must be wider than the wire",
            "弹簧中径必须大于线径",
        ));
    }
    let k = g * d.powi(4) / (8.0 * dm.powi(3) * n);
    let kb = (4.0 * c + 2.0) / (4.0 * c - 3.0);
    Ok(vec![
        k / 1000.0,
        c,
        kb,
        kb * 8.0 * f * dm / (std::f64::consts::PI * d.powi(3)) / 1e6,
    ])
}

/// Γ(x) for x > 0 by Lanczos' approximation (g = 7, nine terms; about 1e-15).
pub(crate) fn gamma(x: f64) -> f64 {
    const G: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        return std::f64::consts::PI / ((std::f64::consts::PI * x).sin() * gamma(1.0 - x));
    }
    let x = x - 1.0;
    let mut a = G[0];
    let t = x + 7.5;
    for (i, g) in G.iter().enumerate().skip(1) {
        a += g / (x + i as f64);
    }
    (TAU).sqrt() * t.powf(x + 0.5) * (-t).exp() * a
}

fn weibull(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (beta, eta, gamma0, t, p) = (x[0], x[1], x[2], x[3], x[4]);
    if t < gamma0 {
        return Err(Refusal::new(
            "the time is before the guaranteed life γ",
            "时间早于位置参数 γ",
        ));
    }
    let z = (t - gamma0) / eta;
    let r = (-z.powf(beta)).exp();
    let h = beta / eta * z.powf(beta - 1.0);
    Ok(vec![
        r,
        h * r,
        h,
        gamma0 + eta * gamma(1.0 + 1.0 / beta),
        gamma0 + eta * (-(1.0 - p / 100.0).ln()).powf(1.0 / beta),
    ])
}

const SECTION: [Port; 3] = [
    Port::new("E", "Young's modulus", "弹性模量", "GPa", 1e-3, 1e4).default(200.0),
    Port::new(
        "I",
        "Second moment of area",
        "截面惯性矩",
        "cm4",
        1e-9,
        1e12,
    ),
    Port::new(
        "c",
        "Distance to the outer fibre",
        "中性轴至外缘距离",
        "mm",
        0.0,
        1e5,
    ),
];

pub(crate) const MODELS: &[Model] = &[
    Model {
        card: card(
            "bolt.tensile_stress_area",
            Text::new(
                "Stress area of an ISO metric thread",
                "普通螺纹公称应力截面积",
            ),
            Text::new(
                "Nominal stress area, pitch diameter and minor diameter of an ISO metric thread.",
                "普通螺纹的公称应力截面积、中径和小径。",
            ),
            ModelKind::Simulation,
            DESIGN_INDUSTRIES,
            &[Domain::Design],
            &[
                Port::new("d", "Nominal diameter", "公称直径", "mm", 0.5, 1000.0),
                Port::new("P", "Pitch", "螺距", "mm", 0.1, 20.0),
            ],
            &[
                Port::out("As", "Nominal stress area", "公称应力截面积", "mm2"),
                Port::out("d2", "Pitch diameter", "中径", "mm"),
                Port::out("d3", "Minor diameter", "小径", "mm"),
            ],
            Text::new(
                "d₂ = d − 0.649519 P; d₃ = d − 1.226869 P; A_s = (π/4)((d₂ + d₃)/2)².",
                "d₂ = d − 0.649519 P；d₃ = d − 1.226869 P；A_s = (π/4)((d₂ + d₃)/2)²。",
            ),
            &[Reference {
                source: ISO_898,
                locator: "§9.1.6.1 and table 4",
            }],
        ),
        eval: Eval::Scalar(thread),
    },
    Model {
        card: card(
            "bolt.ultimate_and_proof_load",
            Text::new(
                "Bolt minimum ultimate and proof loads",
                "螺栓最小拉力载荷与保证载荷",
            ),
            Text::new(
                "Minimum ultimate tensile load and proof load of a bolt of a property class.",
                "给定性能等级螺栓的最小拉力载荷与保证载荷。",
            ),
            ModelKind::Simulation,
            DESIGN_INDUSTRIES,
            &[Domain::Design, Domain::Production],
            &[
                Port::new("d", "Nominal diameter", "公称直径", "mm", 0.5, 1000.0),
                Port::new("P", "Pitch", "螺距", "mm", 0.1, 20.0),
                Port::choice(
                    "class",
                    "Property class",
                    "性能等级",
                    &[
                        "4.6", "4.8", "5.6", "5.8", "6.8", "8.8", "9.8", "10.9", "12.9",
                    ],
                )
                .default(5.0),
            ],
            &[
                Port::out("Fm", "Minimum ultimate tensile load", "最小拉力载荷", "kN"),
                Port::out("Fp", "Proof load", "保证载荷", "kN"),
                Port::out("Rm", "Minimum tensile strength", "最小抗拉强度", "MPa"),
                Port::out("Sp", "Proof stress", "保证应力", "MPa"),
            ],
            Text::new(
                "F_m,min = A_s R_m,min; F_p = A_s S_p, strengths of ISO 898-1 table 3 (8.8 above 16 mm: 830/600 MPa).",
                "F_m,min = A_s R_m,min；F_p = A_s S_p，强度取 ISO 898-1 表 3（8.8 级直径大于 16 mm 时为 830/600 MPa）。",
            ),
            &[Reference {
                source: ISO_898,
                locator: "table 3 (strengths), tables 4 and 5 (loads, coarse thread)",
            }],
        ),
        eval: Eval::Scalar(bolt_loads),
    },
    Model {
        card: card(
            "shaft.torque_from_power",
            Text::new("Shaft torque from power and speed", "轴功率-转矩换算"),
            Text::new(
                "Torque a shaft carries at a power and speed.",
                "给定功率和转速下轴传递的转矩。",
            ),
            ModelKind::Mechanism,
            DESIGN_INDUSTRIES,
            &[Domain::Design, Domain::Operations],
            &[
                Port::new("P", "Power", "功率", "kW", 0.0, 1e7),
                Port::new("n", "Speed", "转速", "r/min", 1e-6, 1e6),
            ],
            &[Port::out("T", "Torque", "转矩", "N.m")],
            Text::new(
                "T = P/ω, ω = 2πn/60 (T = 9549.3 P/n with P in kW).",
                "T = P/ω，ω = 2πn/60（P 以 kW 计时 T = 9549.3 P/n）。",
            ),
            &[Reference {
                source: SHIGLEY10,
                locator: "§3-11, Eq. 3-42",
            }],
        ),
        eval: Eval::Scalar(torque_from_power),
    },
    Model {
        card: card(
            "shaft.torsion",
            Text::new("Solid shaft in torsion", "实心轴扭转"),
            Text::new(
                "Maximum shear stress and twist angle of a round solid shaft.",
                "圆截面实心轴的最大切应力与扭转角。",
            ),
            ModelKind::Simulation,
            DESIGN_INDUSTRIES,
            &[Domain::Design],
            &[
                Port::new("T", "Torque", "转矩", "N.m", 0.0, 1e9),
                Port::new("d", "Diameter", "直径", "mm", 0.01, 1e5),
                Port::new("L", "Length", "长度", "m", 0.0, 1e4).default(1.0),
                Port::new("G", "Shear modulus", "切变模量", "GPa", 1e-3, 1e3).default(79.3),
            ],
            &[
                Port::out("tau", "Maximum shear stress", "最大切应力", "MPa"),
                Port::out("theta", "Twist angle", "扭转角", "rad"),
                Port::out("J", "Polar moment of area", "极惯性矩", "m4"),
            ],
            Text::new(
                "τ = 16T/(πd³); J = πd⁴/32; θ = TL/(GJ).",
                "τ = 16T/(πd³)；J = πd⁴/32；θ = TL/(GJ)。",
            ),
            &[
                Reference {
                    source: SHIGLEY10,
                    locator: "§3-12, Eq. 3-35 and 3-37",
                },
                Reference {
                    source: ROARK,
                    locator: "table 10.1, case 1",
                },
            ],
        ),
        eval: Eval::Scalar(torsion),
    },
    Model {
        card: card(
            "gear.mesh_frequencies",
            Text::new(
                "Gear mesh and hunting-tooth frequencies",
                "齿轮啮合频率与猎齿频率",
            ),
            Text::new(
                "Shaft, gear-mesh and hunting-tooth frequencies of a gear pair, for vibration diagnosis.",
                "齿轮副的轴频、啮合频率与猎齿频率，用于振动诊断。",
            ),
            ModelKind::Mechanism,
            DESIGN_INDUSTRIES,
            &[Domain::Service, Domain::Production],
            &[
                Port::new("z1", "Pinion teeth", "主动轮齿数", "", 3.0, 1000.0),
                Port::new("z2", "Gear teeth", "从动轮齿数", "", 3.0, 1000.0),
                Port::new("n1", "Pinion speed", "主动轮转速", "r/min", 1e-6, 1e6),
            ],
            &[
                Port::out("f1", "Pinion shaft frequency", "主动轴转频", "Hz"),
                Port::out("f2", "Gear shaft frequency", "从动轴转频", "Hz"),
                Port::out("gmf", "Gear mesh frequency", "啮合频率", "Hz"),
                Port::out("fht", "Hunting-tooth frequency", "猎齿频率", "Hz"),
            ],
            Text::new(
                "f₁ = n₁/60; f₂ = f₁ z₁/z₂; GMF = z₁ f₁; f_HT = GMF/lcm(z₁, z₂).",
                "f₁ = n₁/60；f₂ = f₁ z₁/z₂；GMF = z₁ f₁；f_HT = GMF/lcm(z₁, z₂)。",
            ),
            &[Reference {
                source: "Randall, R. B., Vibration-based Condition Monitoring, Wiley, 2011",
                locator: "§2.2.3, gears",
            }],
        ),
        eval: Eval::Scalar(gear_mesh),
    },
    Model {
        card: card(
            "vibration.sine_conversion",
            Text::new(
                "Sinusoidal vibration: velocity to acceleration and displacement",
                "正弦振动：速度与加速度、位移换算",
            ),
            Text::new(
                "Acceleration, displacement and r.m.s. values of a single-frequency vibration from its peak velocity.",
                "由单频振动的速度峰值求加速度、位移及有效值。",
            ),
            ModelKind::Mechanism,
            DESIGN_INDUSTRIES,
            &[Domain::Service],
            &[
                Port::new("v", "Peak velocity", "速度峰值", "mm/s", 0.0, 1e6),
                Port::new("f", "Frequency", "频率", "Hz", 1e-6, 1e6),
            ],
            &[
                Port::out("a", "Peak acceleration", "加速度峰值", "m/s2"),
                Port::out("a_rms", "R.m.s. acceleration", "加速度有效值", "m/s2"),
                Port::out("v_rms", "R.m.s. velocity", "速度有效值", "mm/s"),
                Port::out("d", "Peak displacement", "位移峰值", "um"),
                Port::out("d_pp", "Peak-to-peak displacement", "位移峰峰值", "um"),
            ],
            Text::new(
                "ω = 2πf; a = vω; d = v/ω; r.m.s. = peak/√2; peak-to-peak = 2 peak (one sinusoid).",
                "ω = 2πf；a = vω；d = v/ω；有效值 = 峰值/√2；峰峰值 = 2 倍峰值（单一正弦）。",
            ),
            &[Reference {
                source: "Piersol, A. G., Paez, T. L., Harris' Shock and Vibration Handbook, 6th ed.",
                locator: "ch. 1, Eq. 1.4–1.6",
            }],
        ),
        eval: Eval::Scalar(sine_vibration),
    },
    Model {
        card: card(
            "beam.cantilever_end_load",
            Text::new("Cantilever with an end load", "悬臂梁端部集中力"),
            Text::new(
                "Deflection, slope, moment and bending stress of a cantilever loaded at its free end.",
                "自由端受集中力的悬臂梁的挠度、转角、弯矩与弯曲应力。",
            ),
            ModelKind::Simulation,
            DESIGN_INDUSTRIES,
            &[Domain::Design],
            &[
                Port::new("F", "Load", "载荷", "N", 0.0, 1e9),
                Port::new("L", "Length", "长度", "m", 1e-6, 1e3),
                SECTION[0],
                SECTION[1],
                SECTION[2],
            ],
            &[
                Port::out("deflection", "Tip deflection", "端部挠度", "mm"),
                Port::out("slope", "Tip slope", "端部转角", "rad"),
                Port::out("M", "Maximum moment", "最大弯矩", "N.m"),
                Port::out("sigma", "Maximum bending stress", "最大弯曲应力", "MPa"),
            ],
            Text::new(
                "δ = FL³/(3EI); θ = FL²/(2EI); M = FL; σ = Mc/I.",
                "δ = FL³/(3EI)；θ = FL²/(2EI)；M = FL；σ = Mc/I。",
            ),
            &[
                Reference {
                    source: ROARK,
                    locator: "table 8.1, case 1a",
                },
                Reference {
                    source: SHIGLEY10,
                    locator: "table A-9-1",
                },
            ],
        ),
        eval: Eval::Scalar(cantilever),
    },
    Model {
        card: card(
            "beam.simply_supported_centre_load",
            Text::new("Simply supported beam, central load", "简支梁跨中集中力"),
            Text::new(
                "Midspan deflection, moment, bending stress and reactions of a simply supported beam loaded at midspan.",
                "跨中受集中力的简支梁的跨中挠度、弯矩、弯曲应力与支反力。",
            ),
            ModelKind::Simulation,
            DESIGN_INDUSTRIES,
            &[Domain::Design],
            &[
                Port::new("F", "Load", "载荷", "N", 0.0, 1e9),
                Port::new("L", "Span", "跨度", "m", 1e-6, 1e3),
                SECTION[0],
                SECTION[1],
                SECTION[2],
            ],
            &[
                Port::out("deflection", "Midspan deflection", "跨中挠度", "mm"),
                Port::out("M", "Maximum moment", "最大弯矩", "N.m"),
                Port::out("sigma", "Maximum bending stress", "最大弯曲应力", "MPa"),
                Port::out("R", "Each reaction", "单侧支反力", "N"),
            ],
            Text::new(
                "δ = FL³/(48EI); M = FL/4; σ = Mc/I; R = F/2.",
                "δ = FL³/(48EI)；M = FL/4；σ = Mc/I；R = F/2。",
            ),
            &[
                Reference {
                    source: ROARK,
                    locator: "table 8.1, case 1e with a = L/2",
                },
                Reference {
                    source: SHIGLEY10,
                    locator: "table A-9-6",
                },
            ],
        ),
        eval: Eval::Scalar(simply_centre),
    },
    Model {
        card: card(
            "beam.simply_supported_udl",
            Text::new("Simply supported beam, uniform load", "简支梁均布载荷"),
            Text::new(
                "Midspan deflection, moment, bending stress and reactions of a simply supported beam under a uniform load.",
                "均布载荷下简支梁的跨中挠度、弯矩、弯曲应力与支反力。",
            ),
            ModelKind::Simulation,
            DESIGN_INDUSTRIES,
            &[Domain::Design],
            &[
                Port::new("w", "Load per length", "线载荷", "N/m", 0.0, 1e9),
                Port::new("L", "Span", "跨度", "m", 1e-6, 1e3),
                SECTION[0],
                SECTION[1],
                SECTION[2],
            ],
            &[
                Port::out("deflection", "Midspan deflection", "跨中挠度", "mm"),
                Port::out("M", "Maximum moment", "最大弯矩", "N.m"),
                Port::out("sigma", "Maximum bending stress", "最大弯曲应力", "MPa"),
                Port::out("R", "Each reaction", "单侧支反力", "N"),
            ],
            Text::new(
                "δ = 5wL⁴/(384EI); M = wL²/8; σ = Mc/I; R = wL/2.",
                "δ = 5wL⁴/(384EI)；M = wL²/8；σ = Mc/I；R = wL/2。",
            ),
            &[
                Reference {
                    source: ROARK,
                    locator: "table 8.1, case 2e",
                },
                Reference {
                    source: SHIGLEY10,
                    locator: "table A-9-7",
                },
            ],
        ),
        eval: Eval::Scalar(simply_udl),
    },
    Model {
        card: card(
            "hydraulic.cylinder",
            Text::new(
                "Hydraulic cylinder force and speed",
                "液压缸推力、拉力与速度",
            ),
            Text::new(
                "Extending and retracting force and speed of a double-acting cylinder at a pressure and flow.",
                "双作用液压缸在给定压力和流量下的伸出、缩回力与速度。",
            ),
            ModelKind::Mechanism,
            DESIGN_INDUSTRIES,
            &[Domain::Design, Domain::Production],
            &[
                Port::new("bore", "Bore", "缸径", "mm", 1.0, 5000.0),
                Port::new("rod", "Rod diameter", "活塞杆直径", "mm", 0.0, 5000.0),
                Port::new("p", "Pressure", "压力", "bar", 0.0, 2000.0),
                Port::new("Q", "Flow", "流量", "L/min", 0.0, 1e6),
                Port::new("eta", "Mechanical efficiency", "机械效率", "", 0.1, 1.0).default(1.0),
            ],
            &[
                Port::out("F_ext", "Extending force", "伸出推力", "kN"),
                Port::out("F_ret", "Retracting force", "缩回拉力", "kN"),
                Port::out("v_ext", "Extending speed", "伸出速度", "m/s"),
                Port::out("v_ret", "Retracting speed", "缩回速度", "m/s"),
                Port::out("ratio", "Area ratio", "面积比", ""),
            ],
            Text::new(
                "A = πD²/4, A_r = A − πd²/4; F = p A η, p A_r η; v = Q/A, Q/A_r; φ = A/A_r.",
                "A = πD²/4，A_r = A − πd²/4；F = p A η、p A_r η；v = Q/A、Q/A_r；φ = A/A_r。",
            ),
            &[Reference {
                source: "ISO 4413:2010, Hydraulic fluid power — General rules and safety requirements for systems and their components",
                locator: "",
            }],
        ),
        eval: Eval::Scalar(cylinder),
    },
    Model {
        card: card(
            "spring.helical_compression",
            Text::new(
                "Helical compression spring rate and stress",
                "圆柱螺旋压缩弹簧刚度与应力",
            ),
            Text::new(
                "Rate, spring index, Bergsträsser factor and corrected shear stress of a round-wire helical compression spring.",
                "圆截面螺旋压缩弹簧的刚度、旋绕比、Bergsträsser 系数与修正切应力。",
            ),
            ModelKind::Simulation,
            DESIGN_INDUSTRIES,
            &[Domain::Design],
            &[
                Port::new("G", "Shear modulus", "切变模量", "GPa", 1.0, 500.0).default(79.3),
                Port::new("d", "Wire diameter", "线径", "mm", 0.01, 200.0),
                Port::new("D", "Mean coil diameter", "弹簧中径", "mm", 0.1, 5000.0),
                Port::new("Na", "Active coils", "有效圈数", "", 0.5, 1000.0),
                Port::new("F", "Force", "载荷", "N", 0.0, 1e8).default(0.0),
            ],
            &[
                Port::out("k", "Rate", "刚度", "N/mm"),
                Port::out("C", "Spring index D/d", "旋绕比 D/d", ""),
                Port::out("KB", "Bergsträsser factor", "Bergsträsser 系数", ""),
                Port::out("tau", "Shear stress at F", "载荷 F 下切应力", "MPa"),
            ],
            Text::new(
                "k = G d⁴/(8 D³ N_a); C = D/d; K_B = (4C + 2)/(4C − 3); τ = K_B 8FD/(πd³).",
                "k = G d⁴/(8 D³ N_a)；C = D/d；K_B = (4C + 2)/(4C − 3)；τ = K_B 8FD/(πd³)。",
            ),
            &[
                Reference {
                    source: SHIGLEY10,
                    locator: "§10-2 and 10-3, Eq. 10-1, 10-5, 10-9",
                },
                Reference {
                    source: "EN 13906-1:2013, Cylindrical helical springs made from round wire and bar — Part 1: Compression springs",
                    locator: "",
                },
            ],
        ),
        eval: Eval::Scalar(spring),
    },
    Model {
        card: card(
            "reliability.weibull",
            Text::new(
                "Weibull reliability, hazard, mean life and B-life",
                "威布尔可靠度、失效率、平均寿命与 B 寿命",
            ),
            Text::new(
                "Reliability, density and hazard rate at a time, the mean life and the B_p life of a Weibull life distribution.",
                "威布尔寿命分布在某时刻的可靠度、概率密度、失效率，以及平均寿命和 B_p 寿命。",
            ),
            ModelKind::Simulation,
            DESIGN_INDUSTRIES,
            &[Domain::Service, Domain::Design],
            &[
                Port::new("beta", "Shape β", "形状参数 β", "", 0.05, 50.0),
                Port::new("eta", "Scale η", "尺度参数 η", "h", 1e-9, 1e12),
                Port::new(
                    "gamma",
                    "Location γ (guaranteed life)",
                    "位置参数 γ",
                    "h",
                    0.0,
                    1e12,
                )
                .default(0.0),
                Port::new("t", "Time", "时间", "h", 0.0, 1e12),
                Port::new(
                    "p",
                    "Failed share for the B-life",
                    "B 寿命失效百分比",
                    "%",
                    1e-6,
                    99.999,
                )
                .default(10.0),
            ],
            &[
                Port::out("R", "Reliability R(t)", "可靠度 R(t)", ""),
                Port::out("f", "Density f(t)", "概率密度 f(t)", "1/h"),
                Port::out("h", "Hazard rate h(t)", "失效率 h(t)", "1/h"),
                Port::out("mean", "Mean life", "平均寿命", "h"),
                Port::out("B", "B_p life", "B_p 寿命", "h"),
            ],
            Text::new(
                "R = exp(−((t−γ)/η)^β); h = (β/η)((t−γ)/η)^(β−1); f = hR; mean = γ + ηΓ(1 + 1/β); B_p = γ + η(−ln(1 − p))^(1/β).",
                "R = exp(−((t−γ)/η)^β)；h = (β/η)((t−γ)/η)^(β−1)；f = hR；平均寿命 = γ + ηΓ(1 + 1/β)；B_p = γ + η(−ln(1 − p))^(1/β)。",
            ),
            &[
                Reference {
                    source: "IEC 61649:2008, Weibull analysis",
                    locator: "§5",
                },
                Reference {
                    source: "NIST/SEMATECH e-Handbook of Statistical Methods (2012)",
                    locator: "§8.1.6.2, Weibull",
                },
            ],
        ),
        eval: Eval::Scalar(weibull),
    },
];
