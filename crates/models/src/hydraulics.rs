//! Pipeline and open-channel hydraulics: gas pipeline flow by Weymouth's equation,
//! Churchill's friction factor for every flow regime, and flow over rectangular and
//! triangular (V-notch) thin-plate weirs.

use crate::{Eval, Model, card};
use ironloom_core::model::{Domain, ModelKind, Port, Reference, Refusal, Text};

const HYDRAULIC_INDUSTRIES: &[&str] = &["D45", "D46", "B07", "C26", "N77"];
const BLEVINS: &str =
    "Blevins, R. D., Applied Fluid Dynamics Handbook, Van Nostrand Reinhold, 1984";
const G: f64 = 9.806_65;
const ISO_1438: &str =
    "ISO 1438:2008, Hydrometry — Open channel flow measurement using thin-plate weirs";
const USBR_WMM: &str =
    "U.S. Bureau of Reclamation, Water Measurement Manual, 3rd ed., revised reprint, 2001";

fn weymouth(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (p1, p2, l, d, sg, t, z, e, ts, ps) =
        (x[0], x[1], x[2], x[3], x[4], x[5], x[6], x[7], x[8], x[9]);
    if p2 >= p1 {
        return Err(Refusal::new(
            "the outlet pressure must be below the inlet pressure",
            "出口压力必须低于进口压力",
        ));
    }
    // SI form: Q [m³/s at Ts, Ps] = 137.33·E·(Ts/Ps)·√((p₁² − p₂²)/(L·G·T·Z))·D^2.667, p in Pa.
    let (p1, p2, l, ps) = (p1 * 1000.0, p2 * 1000.0, l * 1000.0, ps * 1000.0);
    let q = 137.329_580_994_251_25
        * e
        * (ts / ps)
        * ((p1 * p1 - p2 * p2) / (l * sg * t * z)).sqrt()
        * d.powf(2.667);
    Ok(vec![q, q * 3600.0])
}

fn churchill(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (re, ed) = (x[0], x[1]);
    let a2 = (2.457 * (1.0 / ((7.0 / re).powf(0.9) + 0.27 * ed)).ln()).powi(16);
    let b2 = (37_530.0 / re).powi(16);
    let f = 8.0 * ((8.0 / re).powi(12) + (a2 + b2).powf(-1.5)).powf(1.0 / 12.0);
    Ok(vec![f])
}

/// Kindsvater–Carter for a full-width (suppressed) thin-plate weir, b/B = 1, as ISO 1438:2008
/// and the USBR Water Measurement Manual give it: Ce = 0.602 + 0.075·h/P, k_b = −0.0009 m,
/// k_h = 0.001 m. (The 0.554(1 − 0.0035h/P)(b + 0.0025) form this replaced is Blevins's
/// contracted-notch, b/B ≈ 0.2, equation and over-predicted a full-width weir.)
const KC_KB_FULL: f64 = -0.0009;
const KC_KH: f64 = 0.001;

fn weir_rectangular(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (h1, p, b) = (x[0], x[1], x[2]);
    let ce = 0.602 + 0.075 * h1 / p;
    let q = ce * (2.0 / 3.0) * (2.0 * G).sqrt() * (b + KC_KB_FULL) * (h1 + KC_KH).powf(1.5);
    Ok(vec![q, q * 3600.0])
}

/// Shen (1981) effective discharge coefficients Ce and head corrections k_h against the notch
/// angle, as tabulated by Blevins.
const SHEN_ANGLES: [f64; 5] = [20.0, 40.0, 60.0, 80.0, 100.0];
const SHEN_C: [f64; 5] = [0.59, 0.58, 0.575, 0.575, 0.58];
const SHEN_K: [f64; 5] = [0.0028, 0.0017, 0.0012, 0.001, 0.001];

fn interpolate(table: &[f64; 5], angle: f64) -> f64 {
    if angle <= SHEN_ANGLES[0] {
        return table[0];
    }
    for i in 1..5 {
        if angle <= SHEN_ANGLES[i] {
            let w = (angle - SHEN_ANGLES[i - 1]) / (SHEN_ANGLES[i] - SHEN_ANGLES[i - 1]);
            return table[i - 1] + w * (table[i] - table[i - 1]);
        }
    }
    table[4]
}

fn weir_v(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (h1, angle) = (x[0], x[1]);
    let (c, k) = (interpolate(&SHEN_C, angle), interpolate(&SHEN_K, angle));
    // Kindsvater–Shen: Shen's C is the effective discharge coefficient Ce of
    // Q = Ce·(8/15)·√(2g)·tan(θ/2)·(h + k_h)^2.5, not a coefficient of √g alone.
    let q =
        c * (8.0 / 15.0) * (2.0 * G).sqrt() * (angle.to_radians() / 2.0).tan() * (h1 + k).powf(2.5);
    Ok(vec![q, q * 3600.0, c, k])
}

fn tank_volume(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (d, l, h) = (x[0], x[1], x[2]);
    if h > d {
        return Err(Refusal::new(
            "the liquid level cannot exceed the diameter",
            "液位不能超过罐体直径",
        ));
    }
    let r = d / 2.0;
    let segment = r * r * ((r - h) / r).acos() - (r - h) * (2.0 * r * h - h * h).max(0.0).sqrt();
    let total = std::f64::consts::PI * r * r * l;
    Ok(vec![segment * l, total, segment * l / total])
}

fn ergun(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (dp, voidage, vs, rho, mu, l) = (x[0], x[1], x[2], x[3], x[4], x[5]);
    let dp_m = dp / 1000.0;
    let mu = mu / 1000.0;
    let re = dp_m * rho * vs / mu;
    let solid = 1.0 - voidage;
    let fp = (150.0 + 1.75 * re / solid) * solid * solid / (voidage.powi(3) * re);
    Ok(vec![fp * rho * vs * vs * l / dp_m / 1000.0, re, fp])
}

pub(crate) const MODELS: &[Model] = &[
    Model {
        card: card(
            "gas.pipeline_weymouth",
            Text::new(
                "Gas pipeline flow (Weymouth)",
                "天然气管道输量（Weymouth 公式）",
            ),
            Text::new(
                "Standard volume flow of a gas through a pipeline from its end pressures, length, diameter and gas properties by Weymouth's equation with a pipeline efficiency.",
                "由两端压力、管长、管径和气体性质，按 Weymouth 公式（含管道效率）计算天然气管道的标准状态输量。",
            ),
            ModelKind::Mechanism,
            HYDRAULIC_INDUSTRIES,
            &[Domain::Design, Domain::Operations],
            crate::process_flow::GAS_PORTS,
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
                "Q = 137.33·E·(T_s/p_s)·[(p₁² − p₂²)/(L·G·T·Z)]^0.5·D^2.667 (SI: Pa, m, K).",
                "Q = 137.33·E·(T_s/p_s)·[(p₁² − p₂²)/(L·G·T·Z)]^0.5·D^2.667（SI 单位：Pa、m、K）。",
            ),
            &[Reference {
                source: "Menon, E. S., Gas Pipeline Hydraulics, CRC Press, 2005",
                locator: "the Weymouth equation",
            }],
        ),
        eval: Eval::Scalar(weymouth),
    },
    Model {
        card: card(
            "pipe.friction_churchill",
            Text::new(
                "Friction factor for every flow regime (Churchill)",
                "全流态摩擦系数（Churchill 公式）",
            ),
            Text::new(
                "Darcy friction factor of a pipe in laminar, transitional and turbulent flow from one explicit equation of the Reynolds number and relative roughness.",
                "以一个关于雷诺数和相对粗糙度的显式公式计算管道在层流、过渡流和湍流下的达西摩擦系数。",
            ),
            ModelKind::Mechanism,
            HYDRAULIC_INDUSTRIES,
            &[Domain::Design, Domain::Operations],
            &[
                Port::new("Re", "Reynolds number", "雷诺数", "", 1.0, 1e9),
                Port::new(
                    "eD",
                    "Relative roughness ε/D",
                    "相对粗糙度 ε/D",
                    "",
                    0.0,
                    0.1,
                ),
            ],
            &[Port::out("f", "Darcy friction factor", "达西摩擦系数", "")],
            Text::new(
                "f = 8[(8/Re)¹² + (A + B)^(−3/2)]^(1/12), A = {2.457 ln[1/((7/Re)^0.9 + 0.27ε/D)]}¹⁶, B = (37 530/Re)¹⁶.",
                "f = 8[(8/Re)¹² + (A + B)^(−3/2)]^(1/12)，A = {2.457 ln[1/((7/Re)^0.9 + 0.27ε/D)]}¹⁶，B = (37 530/Re)¹⁶。",
            ),
            &[Reference {
                source: "Churchill, S. W., Friction-factor equation spans all fluid-flow regimes, Chemical Engineering 84(24), 91–92, 1977",
                locator: "the friction-factor equation",
            }],
        ),
        eval: Eval::Scalar(churchill),
    },
    Model {
        card: card(
            "weir.rectangular_full_width",
            Text::new(
                "Flow over a full-width rectangular weir",
                "全宽矩形薄壁堰流量",
            ),
            Text::new(
                "Discharge over a thin-plate rectangular weir spanning the whole channel (suppressed, b = B) from the head above the crest, the crest height and the width, by the Kindsvater–Carter formula at b/B = 1.",
                "由堰顶水头、堰高和堰宽，按 Kindsvater–Carter 公式（b/B = 1）计算横贯整个渠道（无侧收缩，b = B）的矩形薄壁堰流量。",
            ),
            ModelKind::Mechanism,
            HYDRAULIC_INDUSTRIES,
            &[Domain::Operations, Domain::Production],
            &[
                Port::new("h", "Head above the crest", "堰上水头", "m", 0.0, 10.0),
                Port::new(
                    "P",
                    "Crest height above the channel bed",
                    "堰高",
                    "m",
                    1e-3,
                    100.0,
                ),
                Port::new("b", "Weir width", "堰宽", "m", 1e-3, 1000.0),
            ],
            &[
                Port::out("Q", "Discharge", "流量", "m3/s"),
                Port::out("Q_h", "Discharge per hour", "小时流量", "m3/h"),
            ],
            Text::new(
                "Q = Ce·(2/3)·√(2g)·(b + k_b)·(h + k_h)^1.5 with Ce = 0.602 + 0.075·h/P, k_b = −0.0009 m, k_h = 0.001 m (SI; Kindsvater–Carter for a full-width weir, b/B = 1).",
                "Q = Ce·(2/3)·√(2g)·(b + k_b)·(h + k_h)^1.5，其中 Ce = 0.602 + 0.075·h/P，k_b = −0.0009 m，k_h = 0.001 m（SI；全宽堰 b/B = 1 的 Kindsvater–Carter 公式）。",
            ),
            &[
                Reference {
                    source: ISO_1438,
                    locator: "rectangular thin-plate weir: discharge formulae for the basic weir form, the Kindsvater–Carter formula, at b/B = 1",
                },
                Reference {
                    source: USBR_WMM,
                    locator: "chapter 7, section 6, partially and fully contracted rectangular weirs: equations 7-1 and 7-2, L/B = 1.0 (C1 = 0.40, C2 = 3.22 ft^½/s)",
                },
                Reference {
                    source: "Kindsvater, C. E., Carter, R. W., Discharge characteristics of rectangular thin-plate weirs, Journal of the Hydraulics Division (ASCE) 83(6), 1–36, 1957",
                    locator: "full-width weirs",
                },
            ],
        ),
        eval: Eval::Scalar(weir_rectangular),
    },
    Model {
        card: card(
            "weir.v_notch",
            Text::new("Flow over a V-notch weir", "三角形（V 形）薄壁堰流量"),
            Text::new(
                "Discharge over a fully contracted triangular thin-plate weir from the head above the vertex and the notch angle, by the Kindsvater–Shen formula with Shen's coefficients.",
                "由堰顶以上水头和堰口角度，按 Kindsvater–Shen 公式及 Shen 系数计算完全收缩三角形薄壁堰流量。",
            ),
            ModelKind::Mechanism,
            HYDRAULIC_INDUSTRIES,
            &[Domain::Operations, Domain::Production],
            &[
                Port::new("h", "Head above the vertex", "堰顶以上水头", "m", 0.0, 5.0),
                Port::new("angle", "Notch angle", "堰口角度", "deg", 20.0, 100.0).default(90.0),
            ],
            &[
                Port::out("Q", "Discharge", "流量", "m3/s"),
                Port::out("Q_h", "Discharge per hour", "小时流量", "m3/h"),
                Port::out(
                    "C",
                    "Effective discharge coefficient Ce",
                    "有效流量系数 Ce",
                    "",
                ),
                Port::out("k", "Head correction", "水头修正值", "m"),
            ],
            Text::new(
                "Q = C·(8/15)·√(2g)·tan(θ/2)·(h + k)^2.5 (Kindsvater–Shen), the effective discharge coefficient C and head correction k interpolated in θ from Shen's table (C 0.59 … 0.575, k 2.8 … 1.0 mm for 20° … 100°).",
                "Q = C·(8/15)·√(2g)·tan(θ/2)·(h + k)^2.5（Kindsvater–Shen 公式），有效流量系数 C 和水头修正值 k 按 θ 在 Shen 表中插值（20° … 100° 时 C 为 0.59 … 0.575，k 为 2.8 … 1.0 mm）。",
            ),
            &[
                Reference {
                    source: ISO_1438,
                    locator: "triangular-notch thin-plate weir: formula for all notch angles between 20° and 100°, the Kindsvater–Shen formula",
                },
                Reference {
                    source: USBR_WMM,
                    locator: "chapter 7, section 7, V-notch weirs of any angle: equation 7-3 (Kindsvater–Shen)",
                },
                Reference {
                    source: "Shen, J., Discharge Characteristics of Triangular-Notch Thin-Plate Weirs, U.S. Geological Survey Water-Supply Paper, 1981",
                    locator: "discharge coefficients and head corrections against the notch angle",
                },
                Reference {
                    source: BLEVINS,
                    locator: "triangular (V-notch) weirs",
                },
            ],
        ),
        eval: Eval::Scalar(weir_v),
    },
    Model {
        card: card(
            "tank.horizontal_cylinder_volume",
            Text::new(
                "Liquid volume in a horizontal cylindrical tank",
                "卧式圆筒罐液体体积",
            ),
            Text::new(
                "Volume of liquid in a horizontal cylindrical tank with flat ends from the liquid level (tank gauging), and the fill fraction.",
                "由液位计算平头卧式圆筒罐内液体体积（储罐计量）及充装率。",
            ),
            ModelKind::Mechanism,
            &["C26", "C25", "G59", "F51", "D45"],
            &[Domain::Logistics, Domain::Operations],
            &[
                Port::new("D", "Internal diameter", "内径", "m", 1e-3, 100.0),
                Port::new("L", "Cylinder length", "筒体长度", "m", 1e-3, 1000.0),
                Port::new("h", "Liquid level", "液位高度", "m", 0.0, 100.0),
            ],
            &[
                Port::out("V", "Liquid volume", "液体体积", "m3"),
                Port::out("V_total", "Tank volume", "罐容积", "m3"),
                Port::out("fill", "Fill fraction", "充装率", ""),
            ],
            Text::new(
                "V = L·[R² arccos((R − h)/R) − (R − h)√(2Rh − h²)], R = D/2 (flat ends).",
                "V = L·[R² arccos((R − h)/R) − (R − h)√(2Rh − h²)]，R = D/2（平封头）。",
            ),
            &[
                Reference {
                    source: "Jones, D., Calculating Tank Volume, 2002 (tank geometry formulas, as implemented in fluids.geometry)",
                    locator: "horizontal cylinder with flat ends",
                },
                Reference {
                    source: "API MPMS Chapter 2.2E (ISO 12917-1), Calibration of horizontal cylindrical tanks",
                    locator: "partial volume of the cylinder",
                },
            ],
        ),
        eval: Eval::Scalar(tank_volume),
    },
    Model {
        card: card(
            "packed_bed.ergun",
            Text::new(
                "Pressure drop through a packed bed (Ergun)",
                "填充床压降（Ergun 方程）",
            ),
            Text::new(
                "Pressure drop of a fluid flowing through a bed of particles (catalyst, adsorbent, filter media) from the particle size, voidage and superficial velocity.",
                "由颗粒直径、空隙率和表观流速计算流体通过颗粒床层（催化剂、吸附剂、过滤介质）的压降。",
            ),
            ModelKind::Mechanism,
            &["C26", "C25", "C27", "N77"],
            &[Domain::Production, Domain::Design],
            &[
                Port::new("d_p", "Particle diameter", "颗粒直径", "mm", 1e-4, 1000.0),
                Port::new("voidage", "Bed voidage", "床层空隙率", "", 0.05, 0.95),
                Port::new(
                    "v_s",
                    "Superficial velocity",
                    "表观流速",
                    "m/s",
                    1e-9,
                    100.0,
                ),
                Port::new("rho", "Fluid density", "流体密度", "kg/m3", 1e-3, 3e4),
                Port::new("mu", "Fluid viscosity", "流体黏度", "mPa.s", 1e-4, 1e5),
                Port::new("L", "Bed depth", "床层高度", "m", 0.0, 100.0).default(1.0),
            ],
            &[
                Port::out("dp", "Pressure drop", "压降", "kPa"),
                Port::out("Re_p", "Particle Reynolds number", "颗粒雷诺数", ""),
                Port::out("f_p", "Packed-bed friction factor", "床层摩擦系数", ""),
            ],
            Text::new(
                "Δp/L = f_p·ρv_s²/d_p, f_p = (150 + 1.75Re_p/(1 − ε))·(1 − ε)²/(ε³Re_p), Re_p = d_pρv_s/μ.",
                "Δp/L = f_p·ρv_s²/d_p，f_p = (150 + 1.75Re_p/(1 − ε))·(1 − ε)²/(ε³Re_p)，Re_p = d_pρv_s/μ。",
            ),
            &[Reference {
                source: "Ergun, S., Fluid flow through packed columns, Chemical Engineering Progress 48(2), 89–94, 1952",
                locator: "the Ergun equation",
            }],
        ),
        eval: Eval::Scalar(ergun),
    },
];
