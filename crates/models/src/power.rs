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
];
