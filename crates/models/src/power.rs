//! Power equipment in operation: transformer losses and efficiency at a load, the
//! transformer's secondary short-circuit current, and a motor's load from its slip or
//! its input power.

use crate::{Eval, Model, card};
use ironloom_core::model::{Domain, ModelKind, Port, Reference, Refusal, Text};

const POWER_INDUSTRIES: &[&str] = &["D44", "C38", "C34", "C31", "C26"];
const DOE_MOTOR: &str = "U.S. DOE, Determining Electric Motor Load and Efficiency, Motor Challenge fact sheet DOE/GO-10097-517, 1997";

fn transformer_losses(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (s, p0, pk, beta, pf, hours, tau) = (x[0], x[1], x[2], x[3], x[4], x[5], x[6]);
    let load_loss = beta * beta * pk;
    let loss = p0 + load_loss;
    let output = beta * s * pf;
    let eta = if output > 0.0 {
        output / (output + loss)
    } else {
        0.0
    };
    Ok(vec![
        loss,
        eta,
        (p0 / pk).sqrt(),
        p0 * hours + pk * beta * beta * tau,
    ])
}

fn transformer_short_circuit(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (s, u, uk, c) = (x[0], x[1], x[2], x[3]);
    // S in kVA, U in V, u_k in %: Z_T = u_k·U²/S.
    let z = uk / 100.0 * u * u / (s * 1000.0);
    let i_rated = s * 1000.0 / (3f64.sqrt() * u);
    let i_sc = c * u / (3f64.sqrt() * z);
    Ok(vec![i_rated, z * 1000.0, i_sc / 1000.0])
}

fn motor_slip(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (f, poles, n_rated, n, v_rated, v, p_rated) = (x[0], x[1], x[2], x[3], x[4], x[5], x[6]);
    if poles.fract() != 0.0 || poles % 2.0 != 0.0 {
        return Err(Refusal::new(
            "the number of poles is an even whole number",
            "极数须为偶数",
        ));
    }
    let ns = 120.0 * f / poles;
    if !(n_rated < ns && n <= ns) {
        return Err(Refusal::new(
            "the speeds must be below the synchronous speed 120·f/p",
            "转速必须低于同步转速 120·f/p",
        ));
    }
    let load = (ns - n) / ((ns - n_rated) * (v_rated / v).powi(2));
    Ok(vec![ns, ns - n, load, load * p_rated])
}

fn motor_input(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (v, i, pf, p_rated, eta) = (x[0], x[1], x[2], x[3], x[4]);
    let p_in = 3f64.sqrt() * v * i * pf / 1000.0;
    let load = p_in * eta / p_rated;
    Ok(vec![p_in, load, load * p_rated])
}

/// IEC 60034-30-1 interpolation coefficients (A, B, C, D) for IE2, IE3 and IE4 at 50 Hz,
/// by poles 2, 4, 6, 8, as reproduced in The Ecodesign for Energy-Related Products and
/// Energy Information Regulations 2021 (UK SI 2021/745), Schedule 16, Tables 27 and 28.
const IE_SMALL: [[[f64; 4]; 4]; 3] = [
    [
        [22.4864, 27.7603, 37.8091, 82.458],
        [17.2751, 23.978, 35.5822, 84.9935],
        [-15.9218, -30.258, 16.6861, 79.1838],
        [6.4855, 9.4748, 36.852, 70.762],
    ],
    [
        [6.8532, 6.2006, 25.1317, 84.0392],
        [7.6356, 4.8236, 21.0903, 86.0998],
        [-17.361, -44.538, -3.0554, 79.1318],
        [-0.5896, -25.526, 4.2884, 75.831],
    ],
    [
        [-8.8538, -20.3352, 8.9002, 85.0641],
        [8.432, 2.6888, 14.6236, 87.6153],
        [-13.0355, -36.9497, -4.3621, 82.0009],
        [-4.9735, -21.453, 2.6653, 79.055],
    ],
];
const IE_LARGE: [[[f64; 4]; 4]; 3] = [
    [
        [0.2972, -3.3454, 13.0651, 79.077],
        [0.0278, -1.9247, 10.4395, 80.9761],
        [0.0148, -2.4978, 13.247, 77.5603],
        [2.1311, -12.029, 26.719, 69.735],
    ],
    [
        [0.3569, -3.3076, 11.6108, 82.2503],
        [0.0773, -1.8951, 9.2984, 83.7025],
        [0.1252, -2.613, 11.9963, 80.4769],
        [0.7189, -5.1678, 15.705, 77.074],
    ],
    [
        [0.34, -3.0479, 10.293, 84.8208],
        [0.2412, -2.3608, 8.446, 86.8321],
        [0.3598, -3.2107, 10.7933, 84.107],
        [0.6556, -4.7229, 13.977, 80.247],
    ],
];

fn motor_ie_class(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (p, poles, eta) = (x[0], x[1] as usize, x[2]);
    let table = if p <= 0.55 {
        &IE_SMALL
    } else if p >= 0.75 {
        &IE_LARGE
    } else {
        return Err(Refusal::new(
            "the standard gives no limits between 0.55 and 0.75 kW",
            "标准未规定 0.55 kW 与 0.75 kW 之间的限值",
        ));
    };
    let l = p.log10();
    // Limits rounded to 0.1 %, as tabulated.
    let limit = |class: usize| {
        let [a, b, c, d] = table[class][poles];
        ((a * l * l * l + b * l * l + c * l + d) * 10.0).round() / 10.0
    };
    let (ie2, ie3, ie4) = (limit(0), limit(1), limit(2));
    let class = if eta >= ie4 {
        4.0
    } else if eta >= ie3 {
        3.0
    } else if eta >= ie2 {
        2.0
    } else {
        0.0
    };
    Ok(vec![ie2, ie3, ie4, class])
}

pub(crate) const MODELS: &[Model] = &[
    Model {
        card: card(
            "transformer.losses_efficiency",
            Text::new(
                "Transformer losses, efficiency and economic load",
                "变压器损耗、效率与经济负载系数",
            ),
            Text::new(
                "Power loss and efficiency of a transformer at a load factor from its no-load and load losses, the load factor of maximum efficiency, and the yearly energy loss.",
                "由空载损耗和负载损耗计算变压器在某负载系数下的损耗与效率、最高效率负载系数及年电能损耗。",
            ),
            ModelKind::Mechanism,
            POWER_INDUSTRIES,
            &[Domain::Operations, Domain::Service],
            &[
                Port::new("S_N", "Rated power", "额定容量", "kVA", 1e-3, 1e7),
                Port::new("P0", "No-load loss", "空载损耗", "kW", 0.0, 1e5),
                Port::new(
                    "Pk",
                    "Load loss at rated current",
                    "额定负载损耗",
                    "kW",
                    1e-9,
                    1e5,
                ),
                Port::new("beta", "Load factor", "负载系数", "", 0.0, 2.0),
                Port::new(
                    "cos_phi",
                    "Power factor of the load",
                    "负载功率因数",
                    "",
                    0.0,
                    1.0,
                )
                .default(0.9),
                Port::new(
                    "hours",
                    "Hours energised per year",
                    "年投运小时数",
                    "h",
                    0.0,
                    8784.0,
                )
                .default(8760.0),
                Port::new(
                    "tau",
                    "Equivalent full-loss hours per year",
                    "年最大负载损耗小时数",
                    "h",
                    0.0,
                    8784.0,
                )
                .default(8760.0),
            ],
            &[
                Port::out("P_loss", "Power loss", "功率损耗", "kW"),
                Port::out("eta", "Efficiency", "效率", ""),
                Port::out(
                    "beta_opt",
                    "Load factor of maximum efficiency",
                    "最高效率负载系数",
                    "",
                ),
                Port::out("E_loss", "Energy loss per year", "年电能损耗", "kWh"),
            ],
            Text::new(
                "ΔP = P₀ + β²P_k; η = βS_N cos φ/(βS_N cos φ + ΔP); β_opt = √(P₀/P_k); ΔA = P₀·T + β²P_k·τ.",
                "ΔP = P₀ + β²P_k；η = βS_N cos φ/(βS_N cos φ + ΔP)；β_opt = √(P₀/P_k)；ΔA = P₀·T + β²P_k·τ。",
            ),
            &[
                Reference {
                    source: "GB/T 13462-2008, 电力变压器经济运行 (Economical operation for power transformers)",
                    locator: "有功功率损耗、综合功率损耗与经济负载系数",
                },
                Reference {
                    source: "IEC 60076-1:2011, Power transformers — Part 1: General",
                    locator: "no-load and load losses",
                },
            ],
        ),
        eval: Eval::Scalar(transformer_losses),
    },
    Model {
        card: card(
            "transformer.short_circuit_current",
            Text::new(
                "Transformer secondary short-circuit current",
                "变压器低压侧三相短路电流",
            ),
            Text::new(
                "Three-phase short-circuit current at a transformer's secondary terminals fed from an infinite source, from its rating, secondary voltage and short-circuit impedance.",
                "按无限大电源，由变压器额定容量、二次电压和短路阻抗计算二次端子处的三相短路电流。",
            ),
            ModelKind::Simulation,
            POWER_INDUSTRIES,
            &[Domain::Design, Domain::Operations],
            &[
                Port::new("S_N", "Rated power", "额定容量", "kVA", 1e-3, 1e7),
                Port::new("U", "Secondary line voltage", "二次线电压", "V", 1.0, 1e6),
                Port::new("u_k", "Short-circuit impedance", "短路阻抗", "%", 0.1, 50.0),
                Port::new("c", "Voltage factor", "电压系数", "", 0.9, 1.2).default(1.0),
            ],
            &[
                Port::out("I_N", "Rated secondary current", "二次额定电流", "A"),
                Port::out("Z_T", "Transformer impedance", "变压器阻抗", "mohm"),
                Port::out(
                    "I_k",
                    "Three-phase short-circuit current",
                    "三相短路电流",
                    "kA",
                ),
            ],
            Text::new(
                "Z_T = u_k·U²/S_N; I_k = c·U/(√3·Z_T) = c·I_N/u_k.",
                "Z_T = u_k·U²/S_N；I_k = c·U/(√3·Z_T) = c·I_N/u_k。",
            ),
            &[Reference {
                source: "IEC 60909-0:2016 (GB/T 15544.1-2023), Short-circuit currents in three-phase a.c. systems — Part 0: Calculation of currents",
                locator: "transformer impedance, voltage factor c, initial symmetrical short-circuit current",
            }],
        ),
        eval: Eval::Scalar(transformer_short_circuit),
    },
    Model {
        card: card(
            "motor.load_from_slip",
            Text::new(
                "Induction motor load from its slip",
                "由转差率估算异步电动机负载率",
            ),
            Text::new(
                "Load of a running induction motor from its measured speed against the synchronous and nameplate speeds, corrected for the supply voltage.",
                "由实测转速与同步转速、铭牌转速之比估算运行中异步电动机的负载率，并作电压修正。",
            ),
            ModelKind::Mechanism,
            POWER_INDUSTRIES,
            &[Domain::Service, Domain::Operations],
            &[
                Port::new("f", "Supply frequency", "电源频率", "Hz", 1.0, 400.0).default(50.0),
                Port::new("poles", "Poles", "极数", "", 2.0, 48.0),
                Port::new(
                    "n_rated",
                    "Nameplate full-load speed",
                    "铭牌额定转速",
                    "rpm",
                    1.0,
                    1e5,
                ),
                Port::new("n", "Measured speed", "实测转速", "rpm", 0.0, 1e5),
                Port::new("V_rated", "Rated voltage", "额定电压", "V", 1.0, 1e5).default(380.0),
                Port::new("V", "Measured voltage", "实测电压", "V", 1.0, 1e5).default(380.0),
                Port::new(
                    "P_rated",
                    "Rated output power",
                    "额定输出功率",
                    "kW",
                    0.0,
                    1e5,
                ),
            ],
            &[
                Port::out("n_s", "Synchronous speed", "同步转速", "rpm"),
                Port::out("slip", "Slip", "转差", "rpm"),
                Port::out("load", "Load (share of rated output)", "负载率", ""),
                Port::out("P_out", "Estimated output power", "估算输出功率", "kW"),
            ],
            Text::new(
                "n_s = 120f/p; load = (n_s − n)/[(n_s − n_r)(V_r/V)²].",
                "n_s = 120f/p；负载率 = (n_s − n)/[(n_s − n_r)(V_r/V)²]。",
            ),
            &[Reference {
                source: DOE_MOTOR,
                locator: "slip method, with the voltage-compensated form",
            }],
        ),
        eval: Eval::Scalar(motor_slip),
    },
    Model {
        card: card(
            "motor.load_from_input_power",
            Text::new(
                "Induction motor load from its input power",
                "由输入功率估算电动机负载率",
            ),
            Text::new(
                "Input power of a three-phase motor from its voltage, current and power factor, and its load against the input at rated output.",
                "由三相电压、电流和功率因数计算电动机输入功率，并与额定输出时的输入功率比较得负载率。",
            ),
            ModelKind::Mechanism,
            POWER_INDUSTRIES,
            &[Domain::Service, Domain::Operations],
            &[
                Port::new("V", "Line voltage", "线电压", "V", 1.0, 1e5),
                Port::new("I", "Line current", "线电流", "A", 0.0, 1e6),
                Port::new("PF", "Power factor", "功率因数", "", 0.0, 1.0),
                Port::new(
                    "P_rated",
                    "Rated output power",
                    "额定输出功率",
                    "kW",
                    1e-6,
                    1e5,
                ),
                Port::new(
                    "eta_rated",
                    "Efficiency at rated load",
                    "额定效率",
                    "",
                    0.01,
                    1.0,
                ),
            ],
            &[
                Port::out("P_in", "Input power", "输入功率", "kW"),
                Port::out("load", "Load (share of rated output)", "负载率", ""),
                Port::out("P_out", "Estimated output power", "估算输出功率", "kW"),
            ],
            Text::new(
                "P_in = √3·V·I·PF; load = P_in/(P_rated/η_rated).",
                "P_in = √3·V·I·PF；负载率 = P_in/(P_额定/η_额定)。",
            ),
            &[Reference {
                source: DOE_MOTOR,
                locator: "input power measurements",
            }],
        ),
        eval: Eval::Scalar(motor_input),
    },
    Model {
        card: card(
            "motor.ie_efficiency_class",
            Text::new(
                "Motor efficiency class (IE code, IEC 60034-30-1)",
                "电动机能效等级（IE 代码，IEC 60034-30-1）",
            ),
            Text::new(
                "Minimum efficiencies of the IE2, IE3 and IE4 classes for a 50 Hz line-operated motor of a rated power and number of poles, and the class a nameplate efficiency reaches.",
                "按额定功率和极数计算 50 Hz 工频电动机 IE2、IE3、IE4 等级的最低效率，并判定铭牌效率所达到的等级。",
            ),
            ModelKind::Mechanism,
            POWER_INDUSTRIES,
            &[Domain::Service, Domain::Operations, Domain::Design],
            &[
                Port::new("P", "Rated output", "额定输出功率", "kW", 0.12, 200.0),
                Port::choice("poles", "Poles", "极数", &["2", "4", "6", "8"]),
                Port::new("eta", "Rated efficiency", "额定效率", "%", 0.0, 100.0),
            ],
            &[
                Port::out("IE2", "IE2 minimum efficiency", "IE2 最低效率", "%"),
                Port::out("IE3", "IE3 minimum efficiency", "IE3 最低效率", "%"),
                Port::out("IE4", "IE4 minimum efficiency", "IE4 最低效率", "%"),
                Port::out(
                    "class",
                    "Class reached (0: below IE2)",
                    "达到的等级（0 表示低于 IE2）",
                    "",
                ),
            ],
            Text::new(
                "η_N = A·x³ + B·x² + C·x + D, x = log₁₀(P_N/1 kW), with the standard's coefficients for 0.12–0.55 kW and 0.75–200 kW, rounded to 0.1 %.",
                "η_N = A·x³ + B·x² + C·x + D，x = log₁₀(P_N/1 kW)，系数取标准中 0.12–0.55 kW 与 0.75–200 kW 两组，结果修约到 0.1 %。",
            ),
            &[
                Reference {
                    source: "IEC 60034-30-1:2014, Rotating electrical machines — Part 30-1: Efficiency classes of line operated AC motors (IE code)",
                    locator: "interpolation of the efficiency limits for intermediate rated powers (50 Hz)",
                },
                Reference {
                    source: "UK SI 2021/745, The Ecodesign for Energy-Related Products and Energy Information Regulations 2021 (legislation.gov.uk)",
                    locator: "Schedule 16, Tables 27 and 28 (interpolation coefficients)",
                },
                Reference {
                    source: "GB 18613-2020, 电动机能效限定值及能效等级",
                    locator: "能效等级与 IE 代码",
                },
            ],
        ),
        eval: Eval::Scalar(motor_ie_class),
    },
];
