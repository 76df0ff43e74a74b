//! Moist air (ASHRAE Handbook—Fundamentals 2017, ch. 1): saturation vapour pressure,
//! the state from dry bulb and relative humidity or wet bulb, the dew point, and the
//! standard atmosphere's pressure at an altitude.

use crate::{Eval, Model, card};
use ironloom_core::model::{Domain, ModelKind, Port, Reference, Refusal, Text};

const AIR_INDUSTRIES: &[&str] = &["C13", "C17", "C27", "C39", "D44", "E49"];
const ASHRAE: &str = "ASHRAE Handbook—Fundamentals (SI), 2017, ch. 1 Psychrometrics";
const HVAC: &[Domain] = &[Domain::Design, Domain::Operations, Domain::Production];
/// Ratio of the molar masses of water vapour and dry air (ASHRAE 2017 ch. 1 eq. 20).
const EPS: f64 = 0.621_945;

/// Saturation pressure of water vapour, Pa, over ice at or below the triple point
/// (0.01 °C) and over liquid water above it (ASHRAE 2017 ch. 1 eq. 5 and 6).
pub(crate) fn p_ws(t_c: f64) -> f64 {
    let t = t_c + 273.15;
    let ln = if t_c <= 0.01 {
        -5.674_535_9e3 / t + 6.392_524_7 - 9.677_843e-3 * t
            + 6.221_570_1e-7 * t * t
            + 2.074_782_5e-9 * t.powi(3)
            - 9.484_024e-13 * t.powi(4)
            + 4.163_501_9 * t.ln()
    } else {
        -5.800_220_6e3 / t + 1.391_499_3 - 4.864_023_9e-2 * t + 4.176_476_8e-5 * t * t
            - 1.445_209_3e-8 * t.powi(3)
            + 6.545_967_3 * t.ln()
    };
    ln.exp()
}

/// Dew point, °C, for a vapour pressure in Pa: Newton's method on ln p_ws.
fn dew_point(pw: f64) -> Result<f64, Refusal> {
    if !(p_ws(-100.0)..=p_ws(200.0)).contains(&pw) {
        return Err(Refusal::new(
            "the vapour pressure is outside the range of the saturation equations (−100 to 200 °C)",
            "水蒸气分压超出饱和压力公式的适用范围（−100 至 200 °C）",
        ));
    }
    let target = pw.ln();
    let mut t = 20.0;
    for _ in 0..100 {
        let f = p_ws(t).ln() - target;
        let h = 1e-4;
        let d = (p_ws(t + h).ln() - p_ws(t - h).ln()) / (2.0 * h);
        let next = (t - f / d).clamp(-100.0, 200.0);
        if (next - t).abs() < 1e-10 {
            return Ok(next);
        }
        t = next;
    }
    Err(Refusal::new(
        "the dew point did not converge",
        "露点计算未收敛",
    ))
}

fn humidity_ratio(pw: f64, p: f64) -> f64 {
    EPS * pw / (p - pw)
}

fn enthalpy(t: f64, w: f64) -> f64 {
    1.006 * t + w * (2501.0 + 1.86 * t)
}

fn volume(t: f64, w: f64, p_kpa: f64) -> f64 {
    0.287_042 * (t + 273.15) * (1.0 + 1.607_858 * w) / p_kpa
}

fn saturation(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    Ok(vec![p_ws(x[0])])
}

fn state_rh(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (t, rh, p_kpa) = (x[0], x[1], x[2]);
    let p = p_kpa * 1000.0;
    let pw = rh * p_ws(t);
    if pw >= p {
        return Err(Refusal::new(
            "the vapour pressure reaches the total pressure",
            "水蒸气分压达到总压",
        ));
    }
    let w = humidity_ratio(pw, p);
    let td = if rh > 0.0 { dew_point(pw)? } else { -100.0 };
    Ok(vec![pw, w, td, enthalpy(t, w), volume(t, w, p_kpa)])
}

fn state_wet_bulb(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (t, twb, p_kpa) = (x[0], x[1], x[2]);
    if twb > t {
        return Err(Refusal::new(
            "the wet bulb cannot exceed the dry bulb",
            "湿球温度不能高于干球温度",
        ));
    }
    let p = p_kpa * 1000.0;
    let pws_wb = p_ws(twb);
    if pws_wb >= p {
        return Err(Refusal::new(
            "the saturation pressure at the wet bulb reaches the total pressure",
            "湿球温度下的饱和压力达到总压",
        ));
    }
    let w = w_from_wet_bulb(t, twb, p);
    if w <= 0.0 {
        return Err(Refusal::new(
            "the wet-bulb depression is too large: the air would be drier than dry",
            "干湿球温差过大：计算含湿量不为正",
        ));
    }
    let pw = p * w / (EPS + w);
    let rh = pw / p_ws(t);
    Ok(vec![w, rh, dew_point(pw)?, enthalpy(t, w)])
}

/// Humidity ratio from dry and wet bulb, °C, at a pressure in Pa (ASHRAE 2017 ch. 1
/// eq. 33 above freezing, eq. 35 below).
fn w_from_wet_bulb(t: f64, twb: f64, p: f64) -> f64 {
    let ws = humidity_ratio(p_ws(twb), p).max(1e-7);
    if twb >= 0.0 {
        ((2501.0 - 2.326 * twb) * ws - 1.006 * (t - twb)) / (2501.0 + 1.86 * t - 4.186 * twb)
    } else {
        ((2830.0 - 0.24 * twb) * ws - 1.006 * (t - twb)) / (2830.0 + 1.86 * t - 2.1 * twb)
    }
}

fn wet_bulb_from_rh(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (t, rh, p_kpa) = (x[0], x[1], x[2]);
    let p = p_kpa * 1000.0;
    let pw = rh * p_ws(t);
    if pw >= p || p_ws(t) >= p {
        return Err(Refusal::new(
            "the saturation pressure at the dry bulb reaches the total pressure",
            "干球温度下的饱和压力达到总压",
        ));
    }
    let w = humidity_ratio(pw, p);
    // Bisection between the dew point and the dry bulb, where W(t*) rises with t*.
    let (mut lo, mut hi) = (if rh > 0.0 { dew_point(pw)? } else { -100.0 }, t);
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if w_from_wet_bulb(t, mid, p) > w {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    Ok(vec![0.5 * (lo + hi), w])
}

fn mixing(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (m1, t1, w1, m2, t2, w2, p_kpa) = (x[0], x[1], x[2], x[3], x[4], x[5], x[6]);
    let total = m1 + m2;
    if total <= 0.0 {
        return Err(Refusal::new("both streams are empty", "两股气流均为零"));
    }
    let w = (m1 * w1 + m2 * w2) / total;
    let h = (m1 * enthalpy(t1, w1) + m2 * enthalpy(t2, w2)) / total;
    // Invert h = 1.006t + W(2501 + 1.86t) for the temperature.
    let t = (h - 2501.0 * w) / (1.006 + 1.86 * w);
    let pw = p_kpa * 1000.0 * w / (EPS + w);
    let rh = pw / p_ws(t);
    Ok(vec![t, w, h, rh])
}

fn dew(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    Ok(vec![dew_point(x[0])?])
}

fn atmosphere(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let z = x[0];
    Ok(vec![
        101.325 * (1.0 - 2.255_77e-5 * z).powf(5.2559),
        15.0 - 0.0065 * z,
    ])
}

const DRY_BULB: Port = Port::new("T", "Dry-bulb temperature", "干球温度", "°C", -100.0, 200.0);
const PRESSURE: Port =
    Port::new("p", "Total pressure", "总压力", "kPa", 1.0, 2000.0).default(101.325);

pub(crate) const MODELS: &[Model] = &[
    Model {
        card: card(
            "psychro.sat_vapor_pressure",
            Text::new("Saturation vapour pressure of water", "水的饱和蒸汽压"),
            Text::new(
                "Saturation pressure of water vapour over ice (−100 to 0.01 °C) or liquid water (0.01 to 200 °C) by the Hyland–Wexler equations.",
                "按 Hyland–Wexler 公式计算冰面（−100 至 0.01 °C）或水面（0.01 至 200 °C）的饱和水蒸气压力。",
            ),
            ModelKind::Mechanism,
            AIR_INDUSTRIES,
            HVAC,
            &[DRY_BULB],
            &[Port::out(
                "p_ws",
                "Saturation vapour pressure",
                "饱和蒸汽压",
                "Pa",
            )],
            Text::new(
                "ln p_ws = C₁/T + C₂ + C₃T + C₄T² + C₅T³ + C₆T⁴ + C₇ ln T over ice; C₈/T + C₉ + C₁₀T + C₁₁T² + C₁₂T³ + C₁₃ ln T over water (T in K).",
                "冰面 ln p_ws = C₁/T + C₂ + C₃T + C₄T² + C₅T³ + C₆T⁴ + C₇ ln T；水面 ln p_ws = C₈/T + C₉ + C₁₀T + C₁₁T² + C₁₂T³ + C₁₃ ln T（T 为 K）。",
            ),
            &[Reference {
                source: ASHRAE,
                locator: "Eq. 5 and 6 (verification: Table 3)",
            }],
        ),
        eval: Eval::Scalar(saturation),
    },
    Model {
        card: card(
            "psychro.moist_air_state",
            Text::new(
                "Moist air state from dry bulb and relative humidity",
                "由干球温度和相对湿度求湿空气状态",
            ),
            Text::new(
                "Vapour pressure, humidity ratio, dew point, specific enthalpy and specific volume of moist air (ideal-gas relations).",
                "按理想气体关系计算湿空气的水蒸气分压、含湿量、露点、比焓和比体积。",
            ),
            ModelKind::Mechanism,
            AIR_INDUSTRIES,
            HVAC,
            &[
                DRY_BULB,
                Port::new("RH", "Relative humidity", "相对湿度", "", 0.0, 1.0),
                PRESSURE,
            ],
            &[
                Port::out("p_w", "Vapour pressure", "水蒸气分压", "Pa"),
                Port::out("W", "Humidity ratio", "含湿量", "kg/kg"),
                Port::out("T_dp", "Dew point", "露点温度", "°C"),
                Port::out(
                    "h",
                    "Specific enthalpy of moist air (per kg dry air)",
                    "湿空气比焓（每千克干空气）",
                    "kJ/kg",
                ),
                Port::out(
                    "v",
                    "Specific volume (per kg dry air)",
                    "比体积（每千克干空气）",
                    "m3/kg",
                ),
            ],
            Text::new(
                "p_w = φ·p_ws(T); W = 0.621945·p_w/(p − p_w); p_ws(T_dp) = p_w; h = 1.006t + W(2501 + 1.86t); v = 0.287042(t + 273.15)(1 + 1.607858W)/p.",
                "p_w = φ·p_ws(T)；W = 0.621945·p_w/(p − p_w)；p_ws(T_dp) = p_w；h = 1.006t + W(2501 + 1.86t)；v = 0.287042(t + 273.15)(1 + 1.607858W)/p。",
            ),
            &[Reference {
                source: ASHRAE,
                locator: "Eq. 12, 20, 22, 26, 30 (ideal-gas relations; Table 2 for saturated air)",
            }],
        ),
        eval: Eval::Scalar(state_rh),
    },
    Model {
        card: card(
            "psychro.wet_bulb_state",
            Text::new(
                "Moist air state from dry and wet bulb",
                "由干湿球温度求湿空气状态",
            ),
            Text::new(
                "Humidity ratio, relative humidity, dew point and enthalpy from a psychrometer's dry- and wet-bulb (thermodynamic wet-bulb) temperatures.",
                "由干湿球温度（热力学湿球温度）计算含湿量、相对湿度、露点和比焓。",
            ),
            ModelKind::Mechanism,
            AIR_INDUSTRIES,
            HVAC,
            &[
                DRY_BULB,
                Port::new(
                    "T_wb",
                    "Wet-bulb temperature",
                    "湿球温度",
                    "°C",
                    -100.0,
                    200.0,
                ),
                PRESSURE,
            ],
            &[
                Port::out("W", "Humidity ratio", "含湿量", "kg/kg"),
                Port::out("RH", "Relative humidity", "相对湿度", ""),
                Port::out("T_dp", "Dew point", "露点温度", "°C"),
                Port::out(
                    "h",
                    "Specific enthalpy (per kg dry air)",
                    "比焓（每千克干空气）",
                    "kJ/kg",
                ),
            ],
            Text::new(
                "W = [(2501 − 2.326t*)W*_s − 1.006(t − t*)]/(2501 + 1.86t − 4.186t*) above freezing, [(2830 − 0.24t*)W*_s − 1.006(t − t*)]/(2830 + 1.86t − 2.1t*) below; φ = p_w/p_ws(t).",
                "湿球高于冰点时 W = [(2501 − 2.326t*)W*_s − 1.006(t − t*)]/(2501 + 1.86t − 4.186t*)，低于冰点时 W = [(2830 − 0.24t*)W*_s − 1.006(t − t*)]/(2830 + 1.86t − 2.1t*)；φ = p_w/p_ws(t)。",
            ),
            &[Reference {
                source: ASHRAE,
                locator: "Eq. 33 and 35",
            }],
        ),
        eval: Eval::Scalar(state_wet_bulb),
    },
    Model {
        card: card(
            "psychro.dew_point",
            Text::new("Dew point from vapour pressure", "由水蒸气分压求露点"),
            Text::new(
                "Temperature at which the given water-vapour pressure saturates, by inverting the saturation equations (over ice below 0.01 °C).",
                "反解饱和压力公式，求给定水蒸气分压达到饱和的温度（0.01 °C 以下为冰面）。",
            ),
            ModelKind::Mechanism,
            AIR_INDUSTRIES,
            HVAC,
            &[Port::new(
                "p_w",
                "Vapour pressure",
                "水蒸气分压",
                "Pa",
                1e-3,
                2e6,
            )],
            &[Port::out("T_dp", "Dew point", "露点温度", "°C")],
            Text::new(
                "p_ws(T_dp) = p_w, solved by Newton's method on ln p_ws.",
                "以牛顿法解 ln p_ws(T_dp) = ln p_w。",
            ),
            &[Reference {
                source: ASHRAE,
                locator: "Eq. 5 and 6 inverted (instead of the regressions Eq. 37 and 38)",
            }],
        ),
        eval: Eval::Scalar(dew),
    },
    Model {
        card: card(
            "atmosphere.standard_pressure",
            Text::new(
                "Standard atmospheric pressure and temperature at an altitude",
                "海拔高度处的标准大气压与温度",
            ),
            Text::new(
                "Barometric pressure and temperature of the standard atmosphere at an altitude in the troposphere, as used to correct psychrometric and fan calculations for site elevation.",
                "计算对流层内某海拔高度处标准大气的压力与温度，用于湿空气和风机计算的海拔修正。",
            ),
            ModelKind::Mechanism,
            AIR_INDUSTRIES,
            &[Domain::Design, Domain::Operations],
            &[Port::new(
                "Z",
                "Altitude",
                "海拔高度",
                "m",
                -5000.0,
                11000.0,
            )],
            &[
                Port::out("p", "Standard pressure", "标准大气压", "kPa"),
                Port::out("t", "Standard temperature", "标准温度", "°C"),
            ],
            Text::new(
                "p = 101.325·(1 − 2.25577·10⁻⁵·Z)^5.2559; t = 15 − 0.0065·Z.",
                "p = 101.325·(1 − 2.25577·10⁻⁵·Z)^5.2559；t = 15 − 0.0065·Z。",
            ),
            &[Reference {
                source: ASHRAE,
                locator: "Eq. 3 and 4 (Table 1)",
            }],
        ),
        eval: Eval::Scalar(atmosphere),
    },
    Model {
        card: card(
            "psychro.wet_bulb_from_rh",
            Text::new(
                "Wet-bulb temperature from dry bulb and relative humidity",
                "由干球温度和相对湿度求湿球温度",
            ),
            Text::new(
                "Thermodynamic wet-bulb temperature of moist air from its dry bulb, relative humidity and pressure, as needed for cooling-tower and evaporative-cooler duty.",
                "由干球温度、相对湿度和压力求湿空气的热力学湿球温度，用于冷却塔和蒸发冷却器计算。",
            ),
            ModelKind::Mechanism,
            AIR_INDUSTRIES,
            HVAC,
            &[
                DRY_BULB,
                Port::new("RH", "Relative humidity", "相对湿度", "", 0.0, 1.0),
                PRESSURE,
            ],
            &[
                Port::out("T_wb", "Wet-bulb temperature", "湿球温度", "°C"),
                Port::out("W", "Humidity ratio", "含湿量", "kg/kg"),
            ],
            Text::new(
                "W = 0.621945·φp_ws(t)/(p − φp_ws(t)); t* solves W(t, t*) = W with ASHRAE eq. 33 (35 below freezing), by bisection between the dew point and t.",
                "W = 0.621945·φp_ws(t)/(p − φp_ws(t))；以二分法在露点与 t 之间求 t*，使 ASHRAE 式 33（冰点以下式 35）给出的 W(t, t*) = W。",
            ),
            &[Reference {
                source: ASHRAE,
                locator: "Eq. 33 and 35 solved for the wet bulb",
            }],
        ),
        eval: Eval::Scalar(wet_bulb_from_rh),
    },
    Model {
        card: card(
            "psychro.adiabatic_mixing",
            Text::new(
                "Adiabatic mixing of two moist-air streams",
                "两股湿空气的绝热混合",
            ),
            Text::new(
                "State of the air leaving the adiabatic mixing of two streams (such as return and outdoor air in an air handler): temperature, humidity ratio, enthalpy and relative humidity.",
                "计算两股湿空气（如空调机组回风与新风）绝热混合后的温度、含湿量、比焓和相对湿度。",
            ),
            ModelKind::Mechanism,
            AIR_INDUSTRIES,
            HVAC,
            &[
                Port::new(
                    "m1",
                    "Dry-air mass flow, stream 1",
                    "气流1干空气质量流量",
                    "kg/s",
                    0.0,
                    1e6,
                ),
                Port::new(
                    "T1",
                    "Dry bulb, stream 1",
                    "气流1干球温度",
                    "°C",
                    -100.0,
                    200.0,
                ),
                Port::new(
                    "W1",
                    "Humidity ratio, stream 1",
                    "气流1含湿量",
                    "kg/kg",
                    0.0,
                    1.0,
                ),
                Port::new(
                    "m2",
                    "Dry-air mass flow, stream 2",
                    "气流2干空气质量流量",
                    "kg/s",
                    0.0,
                    1e6,
                ),
                Port::new(
                    "T2",
                    "Dry bulb, stream 2",
                    "气流2干球温度",
                    "°C",
                    -100.0,
                    200.0,
                ),
                Port::new(
                    "W2",
                    "Humidity ratio, stream 2",
                    "气流2含湿量",
                    "kg/kg",
                    0.0,
                    1.0,
                ),
                PRESSURE,
            ],
            &[
                Port::out("T", "Mixed dry bulb", "混合后干球温度", "°C"),
                Port::out("W", "Mixed humidity ratio", "混合后含湿量", "kg/kg"),
                Port::out(
                    "h",
                    "Mixed enthalpy (per kg dry air)",
                    "混合后比焓（每千克干空气）",
                    "kJ/kg",
                ),
                Port::out(
                    "RH",
                    "Mixed relative humidity (above 1: fog forms)",
                    "混合后相对湿度（大于 1 表示结雾）",
                    "",
                ),
            ],
            Text::new(
                "W = (m₁W₁ + m₂W₂)/(m₁ + m₂); h = (m₁h₁ + m₂h₂)/(m₁ + m₂); t = (h − 2501W)/(1.006 + 1.86W); φ = p_w/p_ws(t).",
                "W = (m₁W₁ + m₂W₂)/(m₁ + m₂)；h = (m₁h₁ + m₂h₂)/(m₁ + m₂)；t = (h − 2501W)/(1.006 + 1.86W)；φ = p_w/p_ws(t)。",
            ),
            &[Reference {
                source: ASHRAE,
                locator: "adiabatic mixing of two moist airstreams (Eq. 30 for the enthalpy)",
            }],
        ),
        eval: Eval::Scalar(mixing),
    },
];
