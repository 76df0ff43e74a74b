//! Process-industry mechanisms on recorded data and simple process figures: the F₀
//! lethality of a retort's temperature record, concrete maturity and equivalent age,
//! fabric areal mass from its construction, and ring-spinning output.

use crate::{Eval, Model, card};
use ironloom_core::model::{Datum, Domain, ModelKind, Port, Reference, Refusal, Text};

/// Universal gas constant, J/(mol·K).
const R_GAS: f64 = 8.314_462_618;

fn clean_series(s: &[f64], what_en: &str, what_zh: &str) -> Result<Vec<f64>, Refusal> {
    let v: Vec<f64> = s.to_vec();
    if v.len() < 2 || v.iter().any(|x| x.is_nan()) {
        return Err(Refusal::new(
            format!("give at least two {what_en} readings at equal intervals, none missing"),
            format!("请给出至少两个等间隔的{what_zh}读数，不能缺失"),
        ));
    }
    Ok(v)
}

/// ∫ f over equally spaced samples by the trapezoid rule, with the running integral.
fn trapezoid(values: &[f64], dt: f64) -> (f64, Vec<f64>) {
    let mut total = 0.0;
    let mut running = vec![0.0];
    for w in values.windows(2) {
        total += 0.5 * (w[0] + w[1]) * dt;
        running.push(total);
    }
    (total, running)
}

fn f0(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    let t = clean_series(d[0].series(), "temperature", "温度")?;
    let (dt, t_ref, z) = (d[1].scalar(), d[2].scalar(), d[3].scalar());
    let rates: Vec<f64> = t.iter().map(|v| 10f64.powf((v - t_ref) / z)).collect();
    let (total, running) = trapezoid(&rates, dt);
    Ok(vec![Datum::Scalar(total), Datum::Series(running)])
}

fn maturity(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    let t = clean_series(d[0].series(), "concrete temperature", "混凝土温度")?;
    let (dt, datum, e, t_ref) = (d[1].scalar(), d[2].scalar(), d[3].scalar(), d[4].scalar());
    let above: Vec<f64> = t.iter().map(|v| (v - datum).max(0.0)).collect();
    let (m, _) = trapezoid(&above, dt);
    let factors: Vec<f64> = t
        .iter()
        .map(|v| (-e * 1000.0 / R_GAS * (1.0 / (v + 273.15) - 1.0 / (t_ref + 273.15))).exp())
        .collect();
    let (te, _) = trapezoid(&factors, dt);
    Ok(vec![Datum::Scalar(m), Datum::Scalar(te)])
}

fn fabric_mass(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (ends, t_warp, c_warp, picks, t_weft, c_weft) = (x[0], x[1], x[2], x[3], x[4], x[5]);
    // n threads/cm are 100·n threads per metre of width, each 1 m long at tex/1000 g/m.
    let warp = ends * t_warp * (1.0 + c_warp) / 10.0;
    let weft = picks * t_weft * (1.0 + c_weft) / 10.0;
    Ok(vec![warp, weft, warp + weft])
}

fn ring_spinning(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (speed, tpm, tex, spindles, eff) = (x[0], x[1], x[2], x[3], x[4]);
    let delivery = speed / tpm;
    let per_spindle = delivery * 60.0 * tex / 1e6 * eff;
    Ok(vec![delivery, per_spindle * 1000.0, per_spindle * spindles])
}

fn cooling_time_t85(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (q, d, t0, f2, f3) = (x[0], x[1], x[2], x[3], x[4]);
    if t0 >= 500.0 {
        return Err(Refusal::new(
            "the preheat temperature must be below 500 °C",
            "预热温度必须低于 500 °C",
        ));
    }
    let three_d = (6700.0 - 5.0 * t0) * q * (1.0 / (500.0 - t0) - 1.0 / (800.0 - t0)) * f3;
    let two_d = (4300.0 - 4.3 * t0) * 1e5 * q * q / (d * d)
        * (1.0 / (500.0 - t0).powi(2) - 1.0 / (800.0 - t0).powi(2))
        * f2;
    // Thicker than the transition thickness, heat flows in three dimensions.
    let transition = ((4300.0 - 4.3 * t0) / (6700.0 - 5.0 * t0)
        * 1e5
        * q
        * (1.0 / (500.0 - t0) + 1.0 / (800.0 - t0)))
        .sqrt();
    let t85 = if d >= transition { three_d } else { two_d };
    Ok(vec![t85, transition, three_d, two_d])
}

fn clamp_force(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (area, pressure, cavities, margin) = (x[0], x[1], x[2], x[3]);
    let f = area * 1e-4 * pressure * 1e6 * cavities * margin / 1000.0;
    Ok(vec![f, f / 9.806_65])
}

fn moulding_cooling(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (s, alpha, tm, tw, te) = (x[0], x[1], x[2], x[3], x[4]);
    if !(tm > te && te > tw) {
        return Err(Refusal::new(
            "the temperatures must fall from melt to ejection to mould wall",
            "温度须满足熔体 > 顶出 > 模壁",
        ));
    }
    let s_m = s / 1000.0;
    let a = alpha * 1e-6;
    let pi = std::f64::consts::PI;
    // The mid-plane temperature's first series term has the factor 4/π (the mean
    // temperature's would be 8/π²).
    Ok(vec![
        s_m * s_m / (pi * pi * a) * (4.0 / pi * (tm - tw) / (te - tw)).ln(),
    ])
}

fn twist(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (ne, tm) = (x[0], x[1]);
    let tpi = tm * ne.sqrt();
    let tpm = tpi / 0.0254;
    let tex = 590.5 / ne;
    // Tex twist factors: turns per metre × √tex (about 957·TM), and the same per 10 cm.
    let alpha = tpm * tex.sqrt();
    Ok(vec![tpi, tpm, tex, alpha, alpha / 10.0])
}

pub(crate) const MODELS: &[Model] = &[
    Model {
        card: card(
            "food.f0_lethality",
            Text::new(
                "Sterilisation value F₀ from a temperature record",
                "由温度记录计算杀菌值 F₀",
            ),
            Text::new(
                "Accumulated lethality (equivalent minutes at the reference temperature) of a thermal process from the product's cold-spot temperatures recorded at equal intervals, by the general method.",
                "按一般法，由等间隔记录的产品冷点温度计算热杀菌过程的累计致死值（参考温度下的等效分钟数）。",
            ),
            ModelKind::Mechanism,
            &["C13", "C14", "C15", "C27"],
            &[Domain::Production, Domain::Service],
            &[
                Port::series("T", "Cold-spot temperature", "冷点温度", "°C"),
                Port::new(
                    "dt",
                    "Interval between readings",
                    "读数间隔",
                    "min",
                    1e-6,
                    1e4,
                ),
                Port::new(
                    "T_ref",
                    "Reference temperature",
                    "参考温度",
                    "°C",
                    50.0,
                    200.0,
                )
                .default(121.1),
                Port::new("z", "z-value", "z 值", "K", 0.1, 100.0)
                    .difference()
                    .default(10.0),
            ],
            &[
                Port::out("F0", "Lethality F₀", "杀菌值 F₀", "min"),
                Port::series(
                    "F_running",
                    "Accumulated lethality at each reading",
                    "各读数时刻的累计致死值",
                    "min",
                ),
            ],
            Text::new(
                "F₀ = ∫ 10^((T − T_ref)/z) dt by the trapezoid rule (T_ref = 121.1 °C, z = 10 K by default).",
                "F₀ = ∫ 10^((T − T_ref)/z) dt，梯形法积分（默认 T_ref = 121.1 °C，z = 10 K）。",
            ),
            &[
                Reference {
                    source: "Stumbo, C. R., Thermobacteriology in Food Processing, 2nd ed., Academic Press, 1973",
                    locator: "the general method (Bigelow) for process lethality",
                },
                Reference {
                    source: "21 CFR Part 113, Thermally processed low-acid foods packaged in hermetically sealed containers",
                    locator: "§113.40, scheduled process and temperature records",
                },
            ],
        ),
        eval: Eval::Data(f0),
    },
    Model {
        card: card(
            "concrete.maturity",
            Text::new(
                "Concrete maturity and equivalent age",
                "混凝土成熟度与等效龄期",
            ),
            Text::new(
                "Temperature–time factor (Nurse–Saul) and equivalent age at the reference temperature (Arrhenius) of concrete from its temperatures recorded at equal intervals, to estimate in-place strength.",
                "由等间隔记录的混凝土温度计算温度-时间因子（Nurse–Saul）和参考温度下的等效龄期（Arrhenius），用于推定现场强度。",
            ),
            ModelKind::Mechanism,
            &["C30", "E47", "E48"],
            &[Domain::Production, Domain::Operations],
            &[
                Port::series("T", "Concrete temperature", "混凝土温度", "°C"),
                Port::new(
                    "dt",
                    "Interval between readings",
                    "读数间隔",
                    "h",
                    1e-6,
                    1e4,
                ),
                Port::new("T_0", "Datum temperature", "基准温度", "°C", -30.0, 20.0).default(-10.0),
                Port::new(
                    "E",
                    "Apparent activation energy",
                    "表观活化能",
                    "kJ/mol",
                    1.0,
                    200.0,
                )
                .default(40.0),
                Port::new("T_r", "Reference temperature", "参考温度", "°C", 0.0, 60.0)
                    .default(20.0),
            ],
            &[
                Port::out("M", "Temperature–time factor", "温度-时间因子", "K.h"),
                Port::out("t_e", "Equivalent age at T_r", "参考温度下的等效龄期", "h"),
            ],
            Text::new(
                "M = ∫ max(T − T₀, 0) dt; t_e = ∫ exp[−(E/R)(1/T − 1/T_r)] dt (kelvin), both by the trapezoid rule.",
                "M = ∫ max(T − T₀, 0) dt；t_e = ∫ exp[−(E/R)(1/T − 1/T_r)] dt（开尔文），均按梯形法积分。",
            ),
            &[Reference {
                source: "ASTM C1074-19, Standard Practice for Estimating Concrete Strength by the Maturity Method",
                locator: "Eq. 1 (temperature–time factor) and Eq. 2 (equivalent age)",
            }],
        ),
        eval: Eval::Data(maturity),
    },
    Model {
        card: card(
            "textile.fabric_areal_mass",
            Text::new(
                "Woven fabric mass per square metre from its construction",
                "由织物组织参数计算机织物平方米克重",
            ),
            Text::new(
                "Mass per unit area of a woven fabric from the ends and picks per centimetre, the yarns' linear densities and their crimp.",
                "由经纬密度、经纬纱线密度和缩率计算机织物的单位面积质量。",
            ),
            ModelKind::Mechanism,
            &["C17", "C18", "C28"],
            &[Domain::Production, Domain::Design],
            &[
                Port::new(
                    "ends",
                    "Ends per cm (warp density)",
                    "经密（根/cm）",
                    "1/cm",
                    0.0,
                    1000.0,
                ),
                Port::new(
                    "tex_warp",
                    "Warp linear density",
                    "经纱线密度",
                    "tex",
                    0.0,
                    1e4,
                ),
                Port::new("crimp_warp", "Warp crimp", "经纱缩率", "", 0.0, 1.0).default(0.0),
                Port::new(
                    "picks",
                    "Picks per cm (weft density)",
                    "纬密（根/cm）",
                    "1/cm",
                    0.0,
                    1000.0,
                ),
                Port::new(
                    "tex_weft",
                    "Weft linear density",
                    "纬纱线密度",
                    "tex",
                    0.0,
                    1e4,
                ),
                Port::new("crimp_weft", "Weft crimp", "纬纱缩率", "", 0.0, 1.0).default(0.0),
            ],
            &[
                Port::out("m_warp", "Warp mass", "经纱质量", "g/m2"),
                Port::out("m_weft", "Weft mass", "纬纱质量", "g/m2"),
                Port::out("m", "Fabric mass per square metre", "平方米克重", "g/m2"),
            ],
            Text::new(
                "m = [ends·tex_warp·(1 + c_warp) + picks·tex_weft·(1 + c_weft)]/10 (threads per cm, tex).",
                "m = [经密·经纱tex·(1 + 经缩) + 纬密·纬纱tex·(1 + 纬缩)]/10（根/cm，tex）。",
            ),
            &[
                Reference {
                    source: "ISO 3801:1977 (GB/T 4669-2008), Textiles — Woven fabrics — Determination of mass per unit length and mass per unit area",
                    locator: "mass per unit area",
                },
                Reference {
                    source: "ISO 7211-2:1984 (GB/T 4668-1995), Textiles — Woven fabrics — Construction — Methods of analysis — Part 2: Determination of number of threads per unit length",
                    locator: "threads per centimetre",
                },
            ],
        ),
        eval: Eval::Scalar(fabric_mass),
    },
    Model {
        card: card(
            "textile.ring_spinning_output",
            Text::new("Ring-spinning frame output", "环锭细纱机产量"),
            Text::new(
                "Delivery speed and output per spindle and per frame of a ring-spinning frame from the spindle speed, twist, yarn count and efficiency.",
                "由锭速、捻度、纱线线密度和效率计算环锭细纱机的前罗拉输出速度、单锭产量和整机产量。",
            ),
            ModelKind::Mechanism,
            &["C17", "C28"],
            &[Domain::Production, Domain::Operations],
            &[
                Port::new("n", "Spindle speed", "锭速", "rpm", 1.0, 1e5),
                Port::new("twist", "Twist", "捻度", "1/m", 1.0, 1e5),
                Port::new("tex", "Yarn linear density", "纱线线密度", "tex", 0.1, 1e4),
                Port::new("spindles", "Spindles per frame", "每台锭数", "", 1.0, 1e5).default(1.0),
                Port::new("eff", "Efficiency", "效率", "", 0.0, 1.0).default(0.95),
            ],
            &[
                Port::out("v", "Delivery speed", "输出速度", "m/min"),
                Port::out("per_spindle", "Output per spindle", "单锭产量", "g/h"),
                Port::out("per_frame", "Output per frame", "整机产量", "kg/h"),
            ],
            Text::new(
                "v = n/twist; output per spindle = v·60·tex·η (g/h); per frame × spindles.",
                "v = 锭速/捻度；单锭产量 = v·60·tex·η（g/h）；整机产量 = 单锭产量 × 锭数。",
            ),
            &[Reference {
                source: "Lawrence, C. A., Fundamentals of Spun Yarn Technology, CRC Press, 2003",
                locator: "ring spinning: twist, delivery speed and production rate",
            }],
        ),
        eval: Eval::Scalar(ring_spinning),
    },
    Model {
        card: card(
            "weld.cooling_time_t85",
            Text::new(
                "Weld cooling time t8/5 (EN 1011-2)",
                "焊缝冷却时间 t8/5（EN 1011-2）",
            ),
            Text::new(
                "Time a weld takes to cool from 800 °C to 500 °C from the heat input, plate thickness and preheat, for three-dimensional (thick plate) or two-dimensional (thin plate) heat flow.",
                "由热输入、板厚和预热温度计算焊缝从 800 °C 冷却至 500 °C 的时间，按三维（厚板）或二维（薄板）导热。",
            ),
            ModelKind::Mechanism,
            &["C33", "C34", "C37", "C35"],
            &[Domain::Production, Domain::Design],
            &[
                Port::new("Q", "Heat input", "热输入", "kJ/mm", 0.01, 20.0),
                Port::new("d", "Plate thickness", "板厚", "mm", 1.0, 500.0),
                Port::new("T0", "Preheat temperature", "预热温度", "°C", -50.0, 450.0)
                    .default(20.0),
                Port::new(
                    "F2",
                    "Joint shape factor, 2-D flow",
                    "二维导热接头形状系数",
                    "",
                    0.1,
                    2.0,
                )
                .default(1.0),
                Port::new(
                    "F3",
                    "Joint shape factor, 3-D flow",
                    "三维导热接头形状系数",
                    "",
                    0.1,
                    2.0,
                )
                .default(1.0),
            ],
            &[
                Port::out("t85", "Cooling time t8/5", "冷却时间 t8/5", "s"),
                Port::out("d_t", "Transition thickness", "过渡板厚", "mm"),
                Port::out("t85_3d", "t8/5 for 3-D flow", "三维导热 t8/5", "s"),
                Port::out("t85_2d", "t8/5 for 2-D flow", "二维导热 t8/5", "s"),
            ],
            Text::new(
                "3-D: t = (6700 − 5T₀)Q[1/(500 − T₀) − 1/(800 − T₀)]F₃; 2-D: t = (4300 − 4.3T₀)·10⁵·(Q²/d²)[1/(500 − T₀)² − 1/(800 − T₀)²]F₂; 3-D applies above d_t = √{(4300 − 4.3T₀)/(6700 − 5T₀)·10⁵·Q[1/(500 − T₀) + 1/(800 − T₀)]}.",
                "三维：t = (6700 − 5T₀)Q[1/(500 − T₀) − 1/(800 − T₀)]F₃；二维：t = (4300 − 4.3T₀)·10⁵·(Q²/d²)[1/(500 − T₀)² − 1/(800 − T₀)²]F₂；板厚大于 d_t = √{(4300 − 4.3T₀)/(6700 − 5T₀)·10⁵·Q[1/(500 − T₀) + 1/(800 − T₀)]} 时取三维。",
            ),
            &[Reference {
                source: "EN 1011-2:2001, Welding — Recommendations for welding of metallic materials — Part 2: Arc welding of ferritic steels",
                locator: "Annex D, cooling time t8/5 (three- and two-dimensional heat flow, transition thickness)",
            }],
        ),
        eval: Eval::Scalar(cooling_time_t85),
    },
    Model {
        card: card(
            "moulding.clamp_force",
            Text::new("Injection-moulding clamp force", "注塑机锁模力"),
            Text::new(
                "Clamp force an injection-moulding machine needs to keep the mould closed against the cavity pressure on the parts' projected area.",
                "计算注塑机为抵抗型腔压力作用于制品投影面积而保持合模所需的锁模力。",
            ),
            ModelKind::Mechanism,
            &["C29", "C38", "C39", "C36"],
            &[Domain::Production, Domain::Design],
            &[
                Port::new(
                    "A",
                    "Projected area per cavity (runners included)",
                    "单腔投影面积（含流道）",
                    "cm2",
                    0.0,
                    1e6,
                ),
                Port::new(
                    "p",
                    "Mean cavity pressure",
                    "平均型腔压力",
                    "MPa",
                    0.0,
                    300.0,
                ),
                Port::new("cavities", "Cavities", "型腔数", "", 1.0, 1000.0).default(1.0),
                Port::new("margin", "Safety factor", "安全系数", "", 1.0, 3.0).default(1.1),
            ],
            &[
                Port::out("F", "Clamp force", "锁模力", "kN"),
                Port::out("F_t", "Clamp force in tonnes-force", "锁模力（吨力）", ""),
            ],
            Text::new("F = A·p·n·safety factor.", "F = A·p·n·安全系数。"),
            &[Reference {
                source: "Rosato, D. V., Rosato, D. V., Rosato, M. G., Injection Molding Handbook, 3rd ed., Kluwer, 2000",
                locator: "clamping force from projected area and cavity pressure",
            }],
        ),
        eval: Eval::Scalar(clamp_force),
    },
    Model {
        card: card(
            "moulding.cooling_time",
            Text::new(
                "Injection-moulding cooling time of a plate",
                "注塑件（平板）冷却时间",
            ),
            Text::new(
                "Time for the mid-plane of a moulded plate to cool from the melt to the ejection temperature against the mould wall, by one-dimensional conduction.",
                "按一维导热计算注塑平板中心面由熔体温度冷却至顶出温度所需的时间。",
            ),
            ModelKind::Mechanism,
            &["C29", "C38", "C39", "C36"],
            &[Domain::Production, Domain::Design],
            &[
                Port::new("s", "Wall thickness", "壁厚", "mm", 0.01, 100.0),
                Port::new(
                    "alpha",
                    "Thermal diffusivity of the melt",
                    "熔体热扩散率",
                    "mm2/s",
                    0.01,
                    10.0,
                ),
                Port::new("T_M", "Melt temperature", "熔体温度", "°C", -50.0, 500.0),
                Port::new(
                    "T_W",
                    "Mould wall temperature",
                    "模壁温度",
                    "°C",
                    -50.0,
                    300.0,
                ),
                Port::new(
                    "T_E",
                    "Ejection temperature (mid-plane)",
                    "顶出温度（中心面）",
                    "°C",
                    -50.0,
                    400.0,
                ),
            ],
            &[Port::out("t_c", "Cooling time", "冷却时间", "s")],
            Text::new(
                "t_c = s²/(π²α)·ln[(4/π)(T_M − T_W)/(T_E − T_W)] (the first term of the series solution for the mid-plane).",
                "t_c = s²/(π²α)·ln[(4/π)(T_M − T_W)/(T_E − T_W)]（中心面温度级数解的首项）。",
            ),
            &[Reference {
                source: "Osswald, T. A., Turng, L.-S., Gramann, P. J., Injection Molding Handbook, 2nd ed., Hanser, 2008",
                locator: "cooling time of a plate (first term of the series solution, mid-plane temperature)",
            }],
        ),
        eval: Eval::Scalar(moulding_cooling),
    },
    Model {
        card: card(
            "textile.twist",
            Text::new("Yarn twist from the twist multiplier", "由捻系数求纱线捻度"),
            Text::new(
                "Turns per inch and per metre of a cotton-count yarn from its English twist multiplier, with the equivalent tex and tex twist factor.",
                "由英制捻系数求英支纱线的每英寸和每米捻回数，并给出对应的特克斯数和特克斯制捻系数。",
            ),
            ModelKind::Mechanism,
            &["C17", "C28"],
            &[Domain::Production, Domain::Design],
            &[
                Port::new("Ne", "English cotton count", "英制支数", "", 0.1, 500.0),
                Port::new("TM", "Twist multiplier", "英制捻系数", "", 0.5, 10.0),
            ],
            &[
                Port::out("TPI", "Turns per inch", "每英寸捻回数", ""),
                Port::out("TPM", "Turns per metre", "每米捻回数", "1/m"),
                Port::out("tex", "Linear density", "线密度", "tex"),
                Port::out(
                    "alpha_tex",
                    "Tex twist factor (turns per metre × √tex)",
                    "特数制捻系数（每米捻回数 × √tex）",
                    "",
                ),
                Port::out(
                    "alpha_t",
                    "Tex twist factor on 10 cm (turns per 10 cm × √tex)",
                    "特数制捻系数（每 10 cm 捻回数 × √tex）",
                    "",
                ),
            ],
            Text::new(
                "TPI = TM·√Ne; TPM = TPI/0.0254; tex = 590.5/Ne; α_tex = TPM·√tex; α_t = α_tex/10.",
                "TPI = TM·√Ne；TPM = TPI/0.0254；tex = 590.5/Ne；α_tex = TPM·√tex；α_t = α_tex/10。",
            ),
            &[Reference {
                source: "Lawrence, C. A., Fundamentals of Spun Yarn Technology, CRC Press, 2003",
                locator: "twist and the twist multiplier (twist factor)",
            }],
        ),
        eval: Eval::Scalar(twist),
    },
];
