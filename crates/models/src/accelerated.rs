//! Reliability of products in service and in test: stress–strength interference, cold
//! standby redundancy, and the acceleration factors of temperature–humidity (Arrhenius,
//! Peck) and temperature-cycling (Norris–Landzberg) life tests.

use crate::stats::{normal_cdf, normal_sf};
use crate::{Eval, Model, card};
use ironloom_core::model::{Domain, ModelKind, Port, Reference, Refusal, Text};

const REL_INDUSTRIES: &[&str] = &["C39", "C38", "C36", "C34", "C40"];
/// Boltzmann constant, eV/K.
const K_EV: f64 = 8.617_333_262e-5;
const JEP122: &str = "JEDEC JEP122H, Failure Mechanisms and Models for Semiconductor Devices, 2016";

fn stress_strength(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (mu_s, sd_s, mu_l, sd_l) = (x[0], x[1], x[2], x[3]);
    let spread = (sd_s * sd_s + sd_l * sd_l).sqrt();
    if spread == 0.0 {
        return Err(Refusal::new(
            "strength and stress cannot both be exact (zero deviation)",
            "强度和应力的标准差不能同时为零",
        ));
    }
    let z = (mu_s - mu_l) / spread;
    Ok(vec![z, normal_cdf(z), normal_sf(z), mu_s / mu_l])
}

fn standby(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (lambda, t, n) = (x[0], x[1], x[2]);
    if n.fract() != 0.0 {
        return Err(Refusal::new(
            "the number of units is a whole number",
            "单元数须为整数",
        ));
    }
    // R(t) = e^(−λt) Σ_{k<n} (λt)^k/k! for n identical units, one working, perfect switching.
    let m = lambda * t;
    let mut term = (-m).exp();
    let mut r = 0.0;
    for k in 0..n as u32 {
        if k > 0 {
            term *= m / f64::from(k);
        }
        r += term;
    }
    Ok(vec![r.min(1.0), n / lambda, (-m).exp()])
}

fn peck(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (ea, t_use, t_test, rh_use, rh_test, n) = (x[0], x[1], x[2], x[3], x[4], x[5]);
    let (tu, ts) = (t_use + 273.15, t_test + 273.15);
    let thermal = (ea / K_EV * (1.0 / tu - 1.0 / ts)).exp();
    let humidity = if n == 0.0 {
        1.0
    } else {
        (rh_test / rh_use).powf(n)
    };
    Ok(vec![thermal * humidity, thermal, humidity])
}

fn norris_landzberg(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (dt_use, dt_test, m, f_use, f_test, tmax_use, tmax_test, ea) =
        (x[0], x[1], x[2], x[3], x[4], x[5], x[6], x[7]);
    let cycles = (dt_test / dt_use).powf(m);
    let frequency = (f_use / f_test).powf(1.0 / 3.0);
    let peak = (ea / K_EV * (1.0 / (tmax_use + 273.15) - 1.0 / (tmax_test + 273.15))).exp();
    Ok(vec![cycles * frequency * peak, cycles])
}

pub(crate) const MODELS: &[Model] = &[
    Model {
        card: card(
            "reliability.stress_strength",
            Text::new(
                "Stress–strength interference reliability",
                "应力-强度干涉可靠度",
            ),
            Text::new(
                "Probability that a part's strength exceeds the stress applied to it when both are normally distributed, with the reliability index and the central safety factor.",
                "当零件强度与所受应力均服从正态分布时，计算强度大于应力的概率（可靠度）、可靠性系数和中心安全系数。",
            ),
            ModelKind::Simulation,
            REL_INDUSTRIES,
            &[Domain::Design, Domain::Service],
            &[
                Port::new("mu_S", "Mean strength", "强度均值", "", -1e15, 1e15),
                Port::new(
                    "sigma_S",
                    "Standard deviation of strength",
                    "强度标准差",
                    "",
                    0.0,
                    1e15,
                ),
                Port::new("mu_s", "Mean stress", "应力均值", "", -1e15, 1e15),
                Port::new(
                    "sigma_s",
                    "Standard deviation of stress",
                    "应力标准差",
                    "",
                    0.0,
                    1e15,
                ),
            ],
            &[
                Port::out("z", "Reliability index", "可靠性系数", ""),
                Port::out("R", "Reliability", "可靠度", ""),
                Port::out("F", "Probability of failure", "失效概率", ""),
                Port::out(
                    "n",
                    "Central safety factor μ_S/μ_s",
                    "中心安全系数 μ_S/μ_s",
                    "",
                ),
            ],
            Text::new(
                "z = (μ_S − μ_s)/√(σ_S² + σ_s²); R = Φ(z); F = 1 − Φ(z).",
                "z = (μ_S − μ_s)/√(σ_S² + σ_s²)；R = Φ(z)；F = 1 − Φ(z)。",
            ),
            &[Reference {
                source: "O'Connor, P. D. T., Kleyner, A., Practical Reliability Engineering, 5th ed., Wiley, 2012",
                locator: "ch. 5, load–strength interference (normally distributed load and strength)",
            }],
        ),
        eval: Eval::Scalar(stress_strength),
    },
    Model {
        card: card(
            "reliability.cold_standby",
            Text::new("Cold-standby redundancy", "冷储备冗余系统可靠度"),
            Text::new(
                "Reliability of n identical units in cold standby (one working, the others switched in on failure, perfect switching, no failures in standby), and the system MTTF.",
                "n 个相同单元冷储备（一个工作，其余在故障时切换投入，切换可靠、储备期不失效）的系统可靠度和平均失效前时间。",
            ),
            ModelKind::Simulation,
            &["D44", "C38", "C39", "C34", "I65"],
            &[Domain::Design, Domain::Service],
            &[
                Port::new(
                    "lambda",
                    "Failure rate of one unit",
                    "单元失效率",
                    "1/h",
                    1e-15,
                    1e3,
                ),
                Port::new("t", "Mission time", "任务时间", "h", 0.0, 1e9),
                Port::new(
                    "n",
                    "Number of units (working plus standby)",
                    "单元数（工作加储备）",
                    "",
                    1.0,
                    100.0,
                )
                .default(2.0),
            ],
            &[
                Port::out("R", "System reliability", "系统可靠度", ""),
                Port::out(
                    "MTTF",
                    "System mean time to failure",
                    "系统平均失效前时间",
                    "h",
                ),
                Port::out("R_single", "Reliability of one unit", "单个单元可靠度", ""),
            ],
            Text::new(
                "R(t) = e^(−λt) Σ_{k=0}^{n−1} (λt)^k/k!; MTTF = n/λ.",
                "R(t) = e^(−λt) Σ_{k=0}^{n−1} (λt)^k/k!；MTTF = n/λ。",
            ),
            &[Reference {
                source: "O'Connor, P. D. T., Kleyner, A., Practical Reliability Engineering, 5th ed., Wiley, 2012",
                locator: "ch. 6, standby redundancy with perfect switching",
            }],
        ),
        eval: Eval::Scalar(standby),
    },
    Model {
        card: card(
            "reliability.acceleration_arrhenius_peck",
            Text::new(
                "Temperature–humidity acceleration factor (Arrhenius, Peck)",
                "温湿度加速因子（Arrhenius、Peck 模型）",
            ),
            Text::new(
                "Acceleration factor of a temperature (Arrhenius) or temperature–humidity (Peck) life test over use conditions, from the activation energy and the humidity exponent (n = 0 for temperature only).",
                "由激活能和湿度指数（n = 0 时仅考虑温度）计算温度（Arrhenius）或温湿度（Peck）寿命试验相对使用条件的加速因子。",
            ),
            ModelKind::Mechanism,
            REL_INDUSTRIES,
            &[Domain::Design, Domain::Service, Domain::Production],
            &[
                Port::new(
                    "E_a",
                    "Activation energy (eV)",
                    "激活能（eV）",
                    "",
                    0.01,
                    3.0,
                )
                .default(0.7),
                Port::new("T_use", "Use temperature", "使用温度", "°C", -60.0, 300.0),
                Port::new("T_test", "Test temperature", "试验温度", "°C", -60.0, 400.0),
                Port::new(
                    "RH_use",
                    "Use relative humidity",
                    "使用相对湿度",
                    "%",
                    0.1,
                    100.0,
                )
                .default(50.0),
                Port::new(
                    "RH_test",
                    "Test relative humidity",
                    "试验相对湿度",
                    "%",
                    0.1,
                    100.0,
                )
                .default(50.0),
                Port::new(
                    "n",
                    "Humidity exponent (Peck, about 3)",
                    "湿度指数（Peck 模型约为 3）",
                    "",
                    0.0,
                    10.0,
                )
                .default(0.0),
            ],
            &[
                Port::out("AF", "Acceleration factor", "加速因子", ""),
                Port::out("AF_T", "Temperature part", "温度加速因子", ""),
                Port::out("AF_RH", "Humidity part", "湿度加速因子", ""),
            ],
            Text::new(
                "AF = (RH_test/RH_use)^n · exp[(E_a/k)(1/T_use − 1/T_test)], T in K, k = 8.617×10⁻⁵ eV/K.",
                "AF = (RH_test/RH_use)^n · exp[(E_a/k)(1/T_use − 1/T_test)]，T 为开尔文温度，k = 8.617×10⁻⁵ eV/K。",
            ),
            &[
                Reference {
                    source: JEP122,
                    locator: "thermally activated mechanisms (Arrhenius) and the temperature–humidity model (Peck)",
                },
                Reference {
                    source: "Peck, D. S., Comprehensive model for humidity testing correlation, Proc. IEEE International Reliability Physics Symposium, 44–50, 1986",
                    locator: "the humidity acceleration",
                },
            ],
        ),
        eval: Eval::Scalar(peck),
    },
    Model {
        card: card(
            "reliability.acceleration_norris_landzberg",
            Text::new(
                "Temperature-cycling acceleration factor (Norris–Landzberg)",
                "温度循环加速因子（Norris–Landzberg 模型）",
            ),
            Text::new(
                "Acceleration factor of a temperature-cycling test over field cycling for solder-joint fatigue (modified Coffin–Manson), from the temperature swings, cycling frequencies and peak temperatures.",
                "按修正 Coffin–Manson（Norris–Landzberg）模型，由温度变化幅度、循环频率和最高温度计算焊点疲劳温度循环试验相对现场使用的加速因子。",
            ),
            ModelKind::Mechanism,
            REL_INDUSTRIES,
            &[Domain::Design, Domain::Service, Domain::Production],
            &[
                Port::new(
                    "dT_use",
                    "Field temperature swing",
                    "现场温度变化幅度",
                    "K",
                    0.1,
                    500.0,
                ),
                Port::new(
                    "dT_test",
                    "Test temperature swing",
                    "试验温度变化幅度",
                    "K",
                    0.1,
                    500.0,
                ),
                Port::new(
                    "m",
                    "Coffin–Manson exponent",
                    "Coffin–Manson 指数",
                    "",
                    0.5,
                    10.0,
                )
                .default(1.9),
                Port::new(
                    "f_use",
                    "Field cycles per day",
                    "现场每日循环数",
                    "1/d",
                    1e-3,
                    1e4,
                )
                .default(1.0),
                Port::new(
                    "f_test",
                    "Test cycles per day",
                    "试验每日循环数",
                    "1/d",
                    1e-3,
                    1e4,
                )
                .default(48.0),
                Port::new(
                    "T_max_use",
                    "Field peak temperature",
                    "现场最高温度",
                    "°C",
                    -60.0,
                    300.0,
                ),
                Port::new(
                    "T_max_test",
                    "Test peak temperature",
                    "试验最高温度",
                    "°C",
                    -60.0,
                    300.0,
                ),
                Port::new(
                    "E_a",
                    "Activation energy of the peak term (eV)",
                    "最高温度项激活能（eV）",
                    "",
                    0.0,
                    3.0,
                )
                .default(0.122),
            ],
            &[
                Port::out("AF", "Acceleration factor", "加速因子", ""),
                Port::out(
                    "AF_cycles",
                    "Temperature-swing part (Coffin–Manson)",
                    "温差部分（Coffin–Manson）",
                    "",
                ),
            ],
            Text::new(
                "AF = (ΔT_test/ΔT_use)^m · (f_use/f_test)^(1/3) · exp[(E_a/k)(1/T_max,use − 1/T_max,test)]; E_a = 0.122 eV (1414 K) and m = 1.9 for tin–lead solder.",
                "AF = (ΔT_test/ΔT_use)^m · (f_use/f_test)^(1/3) · exp[(E_a/k)(1/T_max,use − 1/T_max,test)]；锡铅焊料取 E_a = 0.122 eV（1414 K）、m = 1.9。",
            ),
            &[
                Reference {
                    source: "Norris, K. C., Landzberg, A. H., Reliability of controlled collapse interconnections, IBM Journal of Research and Development 13(3), 266–271, 1969",
                    locator: "the acceleration factor for thermal cycling",
                },
                Reference {
                    source: JEP122,
                    locator: "solder-joint fatigue under temperature cycling (Coffin–Manson, Norris–Landzberg)",
                },
            ],
        ),
        eval: Eval::Scalar(norris_landzberg),
    },
];
