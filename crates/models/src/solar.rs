//! Solar resource and photovoltaics: the sun's position by Spencer's series, the
//! extraterrestrial irradiance, the air mass, the Faiman module temperature, and PVWatts
//! DC power and inverter output.

use crate::pv::{ANGLE_PORTS, IRRADIANCE_PORTS};
use crate::{Eval, Model, card};
use ironloom_core::model::{Domain, ModelKind, Port, Reference, Refusal, Text};

const PV_INDUSTRIES: &[&str] = &["D44", "C38", "E48", "C39"];
const PV: &[Domain] = &[Domain::Design, Domain::Operations, Domain::Service];
const DUFFIE: &str =
    "Duffie, J. A., Beckman, W. A., Solar Engineering of Thermal Processes, 4th ed., Wiley, 2013";
const PVWATTS: &str = "Dobos, A. P., PVWatts Version 5 Manual, NREL/TP-6A20-62641, National Renewable Energy Laboratory, 2014";

/// Spencer's day angle, rad.
fn day_angle(doy: f64) -> f64 {
    std::f64::consts::TAU * (doy - 1.0) / 365.0
}

/// The declination options of `solar.position`, in the order of its `declination` input.
const DECLINATIONS: &[&str] = &["spencer", "cooper"];
/// The time options of `solar.position`, in the order of its `time` input.
const TIMES: &[&str] = &["utc", "solar"];

fn position(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (lat, lon, doy, hour) = (x[0].to_radians(), x[1], x[2], x[3]);
    let (cooper, solar_time) = (x[4] == 1.0, x[5] == 1.0);
    if doy.fract() != 0.0 {
        return Err(Refusal::new(
            "the day of the year is whole",
            "年积日须为整数",
        ));
    }
    let b = day_angle(doy);
    let decl = if cooper {
        // Cooper (1969): δ = 23.45° sin(360°(284 + n)/365), Duffie & Beckman Eq. 1.6.1a.
        (23.45 * (360.0 * (284.0 + doy) / 365.0).to_radians().sin()).to_radians()
    } else {
        0.006_918 - 0.399_912 * b.cos() + 0.070_257 * b.sin() - 0.006_758 * (2.0 * b).cos()
            + 0.000_907 * (2.0 * b).sin()
            - 0.002_697 * (3.0 * b).cos()
            + 0.001_48 * (3.0 * b).sin()
    };
    let eot = 1440.0 / std::f64::consts::TAU
        * (0.000_007_5 + 0.001_868 * b.cos()
            - 0.032_077 * b.sin()
            - 0.014_615 * (2.0 * b).cos()
            - 0.040_849 * (2.0 * b).sin());
    // Hour angle in degrees, wrapped to [−180, 180): from the UTC time, the longitude and
    // the equation of time, or directly from an apparent solar time.
    let from_noon = if solar_time {
        (hour - 12.0) * 15.0
    } else {
        (hour - 12.0) * 15.0 + lon + eot / 4.0
    };
    let omega = (from_noon + 180.0).rem_euclid(360.0) - 180.0;
    let w = omega.to_radians();
    let cos_z = (lat.sin() * decl.sin() + lat.cos() * decl.cos() * w.cos()).clamp(-1.0, 1.0);
    let z = cos_z.acos();
    let denom = z.sin() * lat.cos();
    let cos_azi = if denom.abs() < 1e-12 {
        1.0
    } else {
        ((cos_z * lat.sin() - decl.sin()) / denom).clamp(-1.0, 1.0)
    };
    let azimuth = w.signum() * cos_azi.acos() + std::f64::consts::PI;
    Ok(vec![
        decl.to_degrees(),
        eot,
        omega,
        z.to_degrees(),
        azimuth.to_degrees(),
    ])
}

fn extraterrestrial(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (doy, gsc) = (x[0], x[1]);
    let b = day_angle(doy);
    let factor = 1.000_11
        + 0.034_221 * b.cos()
        + 0.001_28 * b.sin()
        + 0.000_719 * (2.0 * b).cos()
        + 0.000_077 * (2.0 * b).sin();
    Ok(vec![gsc * factor, factor])
}

fn air_mass(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (z, p) = (x[0], x[1]);
    let am = 1.0 / (z.to_radians().cos() + 0.505_72 * (96.079_95 - z).powf(-1.6364));
    Ok(vec![am, am * p / 101.325])
}

fn faiman(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (g, ta, ws, u0, u1) = (x[0], x[1], x[2], x[3], x[4]);
    Ok(vec![ta + g / (u0 + u1 * ws)])
}

fn sapm_cell(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (g, ta, ws, a, b, dt) = (x[0], x[1], x[2], x[3], x[4], x[5]);
    let module = g * (a + b * ws).exp() + ta;
    Ok(vec![module, module + g / 1000.0 * dt])
}

fn haurwitz(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let cos_z = x[0].to_radians().cos();
    Ok(vec![if cos_z > 0.0 {
        1098.0 * cos_z * (-0.059 / cos_z).exp()
    } else {
        0.0
    }])
}

fn precipitable_water(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (t_c, rh) = (x[0], x[1]);
    let t = t_c + 273.15;
    let theta = t / 273.15;
    let pw = 0.1
        * (0.4976 + 1.5265 * theta + (13.6897 * theta - 14.9188 * theta.powi(3)).exp())
        * (216.7 * rh / (100.0 * t)
            * (22.330
                - 49.140 * (100.0 / t)
                - 10.922 * (100.0 / t).powi(2)
                - 0.390_15 * t / 100.0)
                .exp());
    Ok(vec![pw.max(0.1)])
}

fn pvwatts_dc(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (g, tc, p0, gamma) = (x[0], x[1], x[2], x[3]);
    Ok(vec![g / 1000.0 * p0 * (1.0 + gamma * (tc - 25.0))])
}

fn pvwatts_inverter(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (pdc, pdc0_inv, eta_nom, eta_ref) = (x[0], x[1], x[2], x[3]);
    let pac0 = eta_nom * pdc0_inv;
    if pdc <= 0.0 {
        return Ok(vec![0.0, 0.0]);
    }
    let zeta = pdc / pdc0_inv;
    let eta = eta_nom / eta_ref * (-0.0162 * zeta - 0.0059 / zeta + 0.9858);
    let pac = (eta * pdc).clamp(0.0, pac0);
    Ok(vec![pac, pac / pdc])
}

fn erbs(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (ghi, zenith, doy, gsc) = (x[0], x[1], x[2], x[3]);
    let g_on = extraterrestrial(&[doy, gsc])?[0];
    let cos_z = zenith.to_radians().cos().max(0.065);
    let kt = (ghi / (g_on * cos_z)).clamp(0.0, 1.0);
    let fraction = if kt <= 0.22 {
        1.0 - 0.09 * kt
    } else if kt <= 0.8 {
        0.9511 - 0.1604 * kt + 4.388 * kt.powi(2) - 16.638 * kt.powi(3) + 12.336 * kt.powi(4)
    } else {
        0.165
    };
    let mut dhi = fraction * ghi;
    let mut dni = (ghi - dhi) / zenith.to_radians().cos();
    if zenith > 87.0 || dni < 0.0 {
        dni = 0.0;
        dhi = ghi;
    }
    Ok(vec![kt, dni, dhi])
}

fn poa_isotropic(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (tilt, surf_az, zenith, sun_az, dni, ghi, dhi, albedo) =
        (x[0], x[1], x[2], x[3], x[4], x[5], x[6], x[7]);
    let (t, z) = (tilt.to_radians(), zenith.to_radians());
    let cos_aoi = (z.cos() * t.cos() + z.sin() * t.sin() * (sun_az - surf_az).to_radians().cos())
        .clamp(-1.0, 1.0);
    let direct = (dni * cos_aoi).max(0.0);
    let sky = dhi * (1.0 + t.cos()) / 2.0;
    let ground = ghi * albedo * (1.0 - t.cos()) / 2.0;
    Ok(vec![
        cos_aoi.acos().to_degrees(),
        direct,
        sky,
        ground,
        direct + sky + ground,
    ])
}

pub(crate) const MODELS: &[Model] = &[
    Model {
        card: card(
            "solar.position",
            Text::new(
                "Solar position (Spencer's series)",
                "太阳位置（Spencer 级数）",
            ),
            Text::new(
                "Declination, equation of time, hour angle, zenith and azimuth of the sun from the latitude, longitude, day of the year and UTC time (or apparent solar time), without refraction; the declination by Spencer's series (default) or Cooper's equation.",
                "由纬度、经度、年积日和 UTC 时间（或真太阳时）计算太阳赤纬、时差、时角、天顶角和方位角（不计大气折射）；赤纬按 Spencer 级数（默认）或 Cooper 公式。",
            ),
            ModelKind::Simulation,
            PV_INDUSTRIES,
            PV,
            &[
                Port::new(
                    "lat",
                    "Latitude (north positive)",
                    "纬度（北为正）",
                    "deg",
                    -90.0,
                    90.0,
                ),
                Port::new(
                    "lon",
                    "Longitude (east positive)",
                    "经度（东为正）",
                    "deg",
                    -180.0,
                    180.0,
                ),
                Port::new("doy", "Day of the year", "年积日", "", 1.0, 366.0),
                Port::new(
                    "hour",
                    "Time of day (UTC, or apparent solar time when the time is solar)",
                    "时刻（UTC；时刻类型为 solar 时为真太阳时）",
                    "h",
                    0.0,
                    24.0,
                ),
                Port::choice(
                    "declination",
                    "Declination formula",
                    "赤纬公式",
                    DECLINATIONS,
                )
                .default(0.0),
                Port::choice("time", "The hour is", "时刻类型", TIMES).default(0.0),
            ],
            &[
                Port::out("decl", "Declination", "赤纬", "deg"),
                Port::out("eot", "Equation of time", "时差", "min"),
                Port::out(
                    "omega",
                    "Hour angle (afternoon positive)",
                    "时角（下午为正）",
                    "deg",
                ),
                Port::out("zenith", "Zenith angle", "天顶角", "deg"),
                Port::out(
                    "azimuth",
                    "Azimuth (from north, clockwise)",
                    "方位角（自正北顺时针）",
                    "deg",
                ),
            ],
            Text::new(
                "B = 2π(n − 1)/365; E by Spencer's Fourier series; δ by Spencer's series (declination = spencer) or Cooper's δ = 23.45° sin[360°(284 + n)/365] (declination = cooper, Duffie & Beckman Eq. 1.6.1a); ω = 15°(t_UTC − 12) + λ + E/4, or ω = 15°(t_solar − 12) when the time is solar (the longitude is then not used); cos θ_z = sin φ sin δ + cos φ cos δ cos ω; γ = sign(ω)·arccos[(cos θ_z sin φ − sin δ)/(sin θ_z cos φ)] + 180°.",
                "B = 2π(n − 1)/365；E 按 Spencer 傅里叶级数；δ 按 Spencer 级数（declination = spencer）或 Cooper 公式 δ = 23.45° sin[360°(284 + n)/365]（declination = cooper，Duffie & Beckman 式 1.6.1a）；ω = 15°(t_UTC − 12) + λ + E/4，时刻类型为 solar 时 ω = 15°(t_solar − 12)（不用经度）；cos θ_z = sin φ sin δ + cos φ cos δ cos ω；γ = sign(ω)·arccos[(cos θ_z sin φ − sin δ)/(sin θ_z cos φ)] + 180°。",
            ),
            &[
                Reference {
                    source: DUFFIE,
                    locator: "§1.5 (equation of time) and §1.6 (declination: Cooper's Eq. 1.6.1a and Spencer's series, Eq. 1.6.1b; zenith and azimuth angles; Examples 1.6.2 and 1.6.3)",
                },
                Reference {
                    source: "Spencer, J. W., Fourier series representation of the position of the sun, Search 2(5), 172, 1971",
                    locator: "declination and equation of time",
                },
                Reference {
                    source: "Cooper, P. I., The absorption of radiation in solar stills, Solar Energy 12(3), 333–346, 1969",
                    locator: "the declination δ = 23.45° sin[360°(284 + n)/365] (Duffie & Beckman Eq. 1.6.1a), the option declination = cooper",
                },
            ],
        ),
        eval: Eval::Scalar(position),
    },
    Model {
        card: card(
            "solar.extraterrestrial_irradiance",
            Text::new("Extraterrestrial normal irradiance", "大气层外法向辐照度"),
            Text::new(
                "Irradiance on a plane normal to the sun outside the atmosphere on a day of the year (Spencer's series for the Earth–Sun distance).",
                "按 Spencer 日地距离级数计算某日大气层外垂直于太阳光线平面上的辐照度。",
            ),
            ModelKind::Simulation,
            PV_INDUSTRIES,
            PV,
            &[
                Port::new("doy", "Day of the year", "年积日", "", 1.0, 366.0),
                Port::new("G_sc", "Solar constant", "太阳常数", "W/m2", 1000.0, 1500.0)
                    .default(1361.0),
            ],
            &[
                Port::out(
                    "G_on",
                    "Extraterrestrial normal irradiance",
                    "大气层外法向辐照度",
                    "W/m2",
                ),
                Port::out("factor", "(r₀/r)²", "日地距离修正系数 (r₀/r)²", ""),
            ],
            Text::new(
                "G_on = G_sc·(1.000110 + 0.034221 cos B + 0.001280 sin B + 0.000719 cos 2B + 0.000077 sin 2B), B = 2π(n − 1)/365.",
                "G_on = G_sc·(1.000110 + 0.034221 cos B + 0.001280 sin B + 0.000719 cos 2B + 0.000077 sin 2B)，B = 2π(n − 1)/365。",
            ),
            &[Reference {
                source: DUFFIE,
                locator: "§1.4, extraterrestrial radiation (Spencer's series for the distance correction)",
            }],
        ),
        eval: Eval::Scalar(extraterrestrial),
    },
    Model {
        card: card(
            "solar.air_mass",
            Text::new("Air mass (Kasten–Young)", "大气质量（Kasten–Young）"),
            Text::new(
                "Relative optical air mass from the zenith angle by Kasten and Young's formula, and the absolute air mass at a site pressure.",
                "按 Kasten–Young 公式由天顶角计算相对大气质量，并按站点气压计算绝对大气质量。",
            ),
            ModelKind::Simulation,
            PV_INDUSTRIES,
            PV,
            &[
                Port::new("zenith", "Zenith angle", "天顶角", "deg", 0.0, 90.0),
                Port::new("p", "Site pressure", "站点气压", "kPa", 1.0, 120.0).default(101.325),
            ],
            &[
                Port::out("AM", "Relative air mass", "相对大气质量", ""),
                Port::out("AM_abs", "Absolute air mass", "绝对大气质量", ""),
            ],
            Text::new(
                "AM = 1/[cos θ_z + 0.50572·(96.07995° − θ_z)^−1.6364]; AM_abs = AM·p/101.325 kPa.",
                "AM = 1/[cos θ_z + 0.50572·(96.07995° − θ_z)^−1.6364]；AM_abs = AM·p/101.325 kPa。",
            ),
            &[Reference {
                source: "Kasten, F., Young, A. T., Revised optical air mass tables and approximation formula, Applied Optics 28(22), 4735–4738, 1989",
                locator: "the approximation formula for the relative air mass",
            }],
        ),
        eval: Eval::Scalar(air_mass),
    },
    Model {
        card: card(
            "pv.module_temperature_faiman",
            Text::new(
                "PV module temperature (Faiman)",
                "光伏组件温度（Faiman 模型）",
            ),
            Text::new(
                "Module temperature from the plane-of-array irradiance, air temperature and wind speed with Faiman's heat-loss factors.",
                "由组件面辐照度、气温和风速按 Faiman 热损失系数计算光伏组件温度。",
            ),
            ModelKind::Mechanism,
            PV_INDUSTRIES,
            PV,
            &[
                Port::new(
                    "G",
                    "Plane-of-array irradiance",
                    "组件面辐照度",
                    "W/m2",
                    0.0,
                    2000.0,
                ),
                Port::new("T_a", "Air temperature", "气温", "°C", -60.0, 70.0),
                Port::new("ws", "Wind speed", "风速", "m/s", 0.0, 60.0).default(1.0),
                Port::new(
                    "U0",
                    "Constant heat-loss factor",
                    "常数热损失系数",
                    "W/(m2.K)",
                    0.1,
                    200.0,
                )
                .default(25.0),
                Port::new(
                    "U1",
                    "Wind heat-loss factor",
                    "风速热损失系数",
                    "W.s/(m3.K)",
                    0.0,
                    100.0,
                )
                .default(6.84),
            ],
            &[Port::out("T_m", "Module temperature", "组件温度", "°C")],
            Text::new(
                "T_m = T_a + G/(U₀ + U₁·ws).",
                "T_m = T_a + G/(U₀ + U₁·ws)。",
            ),
            &[
                Reference {
                    source: "Faiman, D., Assessing the outdoor operating performance of photovoltaic modules, Progress in Photovoltaics 16(4), 307–315, 2008",
                    locator: "the module temperature model with the heat-loss coefficients U₀ and U₁",
                },
                Reference {
                    source: "IEC 61853-2:2016, Photovoltaic (PV) module performance testing and energy rating — Part 2",
                    locator: "module temperature model (U₀, U₁)",
                },
            ],
        ),
        eval: Eval::Scalar(faiman),
    },
    Model {
        card: card(
            "pv.pvwatts_dc",
            Text::new("PV array DC power (PVWatts)", "光伏阵列直流功率（PVWatts）"),
            Text::new(
                "DC power of a PV array from the effective irradiance and cell temperature, with its nameplate power and temperature coefficient.",
                "由有效辐照度和电池温度，按组件额定功率和功率温度系数计算光伏阵列直流功率。",
            ),
            ModelKind::Mechanism,
            PV_INDUSTRIES,
            PV,
            &[
                Port::new(
                    "G",
                    "Effective irradiance",
                    "有效辐照度",
                    "W/m2",
                    0.0,
                    2000.0,
                ),
                Port::new("T_c", "Cell temperature", "电池温度", "°C", -60.0, 120.0),
                Port::new(
                    "P_dc0",
                    "DC power at STC",
                    "标准测试条件直流功率",
                    "kW",
                    0.0,
                    1e7,
                ),
                Port::new(
                    "gamma",
                    "Power temperature coefficient",
                    "功率温度系数",
                    "1/K",
                    -0.02,
                    0.02,
                )
                .default(-0.0047),
            ],
            &[Port::out("P_dc", "DC power", "直流功率", "kW")],
            Text::new(
                "P_dc = (G/1000 W/m²)·P_dc0·[1 + γ(T_c − 25 °C)].",
                "P_dc = (G/1000 W/m²)·P_dc0·[1 + γ(T_c − 25 °C)]。",
            ),
            &[Reference {
                source: PVWATTS,
                locator: "module model (DC power with temperature correction)",
            }],
        ),
        eval: Eval::Scalar(pvwatts_dc),
    },
    Model {
        card: card(
            "pv.pvwatts_inverter",
            Text::new(
                "PV inverter AC output (PVWatts)",
                "光伏逆变器交流输出（PVWatts）",
            ),
            Text::new(
                "AC output and efficiency of a PV inverter at part load from its DC input, DC rating and nominal efficiency, clipped at its AC rating.",
                "由直流输入、逆变器直流额定功率和额定效率计算部分负荷下的交流输出与效率，超过交流额定功率时削顶。",
            ),
            ModelKind::Mechanism,
            PV_INDUSTRIES,
            PV,
            &[
                Port::new("P_dc", "DC input power", "直流输入功率", "kW", 0.0, 1e7),
                Port::new(
                    "P_dc0",
                    "Inverter DC rating",
                    "逆变器直流额定功率",
                    "kW",
                    1e-9,
                    1e7,
                ),
                Port::new("eta_nom", "Nominal efficiency", "额定效率", "", 0.01, 1.0).default(0.96),
                Port::new("eta_ref", "Reference efficiency", "参考效率", "", 0.01, 1.0)
                    .default(0.9637),
            ],
            &[
                Port::out("P_ac", "AC output power", "交流输出功率", "kW"),
                Port::out("eta", "Efficiency", "效率", ""),
            ],
            Text::new(
                "ζ = P_dc/P_dc0; η = (η_nom/η_ref)(−0.0162ζ − 0.0059/ζ + 0.9858); P_ac = min(η·P_dc, η_nom·P_dc0), 0 at no input.",
                "ζ = P_dc/P_dc0；η = (η_nom/η_ref)(−0.0162ζ − 0.0059/ζ + 0.9858)；P_ac = min(η·P_dc, η_nom·P_dc0)，无输入时为 0。",
            ),
            &[Reference {
                source: PVWATTS,
                locator: "inverter model (part-load efficiency curve)",
            }],
        ),
        eval: Eval::Scalar(pvwatts_inverter),
    },
    Model {
        card: card(
            "solar.erbs_decomposition",
            Text::new(
                "Direct and diffuse irradiance from global (Erbs)",
                "由总辐照度分离直射与散射（Erbs 模型）",
            ),
            Text::new(
                "Clearness index, direct normal and diffuse horizontal irradiance from the measured global horizontal irradiance by Erbs' diffuse-fraction correlation.",
                "按 Erbs 散射比关联式，由实测水平面总辐照度求晴空指数、法向直射辐照度和水平面散射辐照度。",
            ),
            ModelKind::Simulation,
            PV_INDUSTRIES,
            PV,
            &[
                Port::new(
                    "GHI",
                    "Global horizontal irradiance",
                    "水平面总辐照度",
                    "W/m2",
                    0.0,
                    2000.0,
                ),
                Port::new(
                    "zenith",
                    "Solar zenith angle",
                    "太阳天顶角",
                    "deg",
                    0.0,
                    180.0,
                ),
                Port::new("doy", "Day of the year", "年积日", "", 1.0, 366.0),
                Port::new("G_sc", "Solar constant", "太阳常数", "W/m2", 1000.0, 1500.0)
                    .default(1361.0),
            ],
            &[
                Port::out("kt", "Clearness index", "晴空指数", ""),
                Port::out("DNI", "Direct normal irradiance", "法向直射辐照度", "W/m2"),
                Port::out(
                    "DHI",
                    "Diffuse horizontal irradiance",
                    "水平面散射辐照度",
                    "W/m2",
                ),
            ],
            Text::new(
                "k_t = GHI/(G_on·max(cos θ_z, 0.065)) in [0, 1]; DHI/GHI = 1 − 0.09k_t (k_t ≤ 0.22), 0.9511 − 0.1604k_t + 4.388k_t² − 16.638k_t³ + 12.336k_t⁴ (≤ 0.8), 0.165 above; DNI = (GHI − DHI)/cos θ_z (0 beyond 87°).",
                "k_t = GHI/(G_on·max(cos θ_z, 0.065))，取 [0, 1]；DHI/GHI = 1 − 0.09k_t（k_t ≤ 0.22），0.9511 − 0.1604k_t + 4.388k_t² − 16.638k_t³ + 12.336k_t⁴（≤ 0.8），其上为 0.165；DNI = (GHI − DHI)/cos θ_z（天顶角超过 87° 时为 0）。",
            ),
            &[Reference {
                source: "Erbs, D. G., Klein, S. A., Duffie, J. A., Estimation of the diffuse radiation fraction for hourly, daily and monthly-average global radiation, Solar Energy 28(4), 293–302, 1982",
                locator: "the hourly diffuse-fraction correlation",
            }],
        ),
        eval: Eval::Scalar(erbs),
    },
    Model {
        card: card(
            "solar.poa_isotropic",
            Text::new(
                "Plane-of-array irradiance (isotropic sky)",
                "倾斜面辐照度（各向同性天空模型）",
            ),
            Text::new(
                "Angle of incidence and the direct, sky-diffuse, ground-reflected and total irradiance on a tilted surface, with the isotropic sky model.",
                "按各向同性天空模型计算倾斜面的入射角及直射、天空散射、地面反射和总辐照度。",
            ),
            ModelKind::Simulation,
            PV_INDUSTRIES,
            PV,
            &[
                ANGLE_PORTS[0],
                ANGLE_PORTS[1],
                ANGLE_PORTS[2],
                ANGLE_PORTS[3],
                IRRADIANCE_PORTS[0],
                IRRADIANCE_PORTS[1],
                IRRADIANCE_PORTS[2],
                Port::new("albedo", "Ground albedo", "地面反照率", "", 0.0, 1.0).default(0.25),
            ],
            &[
                Port::out("aoi", "Angle of incidence", "入射角", "deg"),
                Port::out(
                    "poa_direct",
                    "Direct on the plane",
                    "倾斜面直射辐照度",
                    "W/m2",
                ),
                Port::out(
                    "poa_sky",
                    "Sky diffuse on the plane",
                    "倾斜面天空散射辐照度",
                    "W/m2",
                ),
                Port::out(
                    "poa_ground",
                    "Ground-reflected on the plane",
                    "倾斜面地面反射辐照度",
                    "W/m2",
                ),
                Port::out("poa_global", "Total on the plane", "倾斜面总辐照度", "W/m2"),
            ],
            Text::new(
                "cos θ = cos θ_z cos β + sin θ_z sin β cos(γ_s − γ); POA = DNI·max(cos θ, 0) + DHI(1 + cos β)/2 + GHI·ρ(1 − cos β)/2.",
                "cos θ = cos θ_z cos β + sin θ_z sin β cos(γ_s − γ)；POA = DNI·max(cos θ, 0) + DHI(1 + cos β)/2 + GHI·ρ(1 − cos β)/2。",
            ),
            &[
                Reference {
                    source: DUFFIE,
                    locator: "§1.6 (angle of incidence) and §2.15 (isotropic diffuse model of Liu and Jordan)",
                },
                Reference {
                    source: "Liu, B. Y. H., Jordan, R. C., The long-term average performance of flat-plate solar-energy collectors, Solar Energy 7(2), 53–74, 1963",
                    locator: "the isotropic sky",
                },
            ],
        ),
        eval: Eval::Scalar(poa_isotropic),
    },
    Model {
        card: card(
            "pv.cell_temperature_sapm",
            Text::new(
                "PV module and cell temperature (Sandia model)",
                "光伏组件与电池温度（Sandia 模型）",
            ),
            Text::new(
                "Back-of-module and cell temperatures from the plane-of-array irradiance, air temperature and wind speed with the Sandia array performance model's coefficients (default: glass/cell/glass, open rack).",
                "按 Sandia 阵列性能模型系数（默认：玻璃/电池/玻璃，开放支架），由组件面辐照度、气温和风速计算组件背板温度和电池温度。",
            ),
            ModelKind::Mechanism,
            PV_INDUSTRIES,
            PV,
            &[
                Port::new(
                    "G",
                    "Plane-of-array irradiance",
                    "组件面辐照度",
                    "W/m2",
                    0.0,
                    2000.0,
                ),
                Port::new("T_a", "Air temperature", "气温", "°C", -60.0, 70.0),
                Port::new(
                    "ws",
                    "Wind speed at 10 m",
                    "10 m 高处风速",
                    "m/s",
                    0.0,
                    60.0,
                )
                .default(1.0),
                Port::new("a", "Coefficient a", "系数 a", "", -10.0, 0.0).default(-3.47),
                Port::new("b", "Coefficient b", "系数 b", "s/m", -1.0, 0.0).default(-0.0594),
                Port::new(
                    "dT",
                    "Cell–module difference at 1000 W/m²",
                    "1000 W/m² 下电池与背板温差",
                    "K",
                    0.0,
                    20.0,
                )
                .difference()
                .default(3.0),
            ],
            &[
                Port::out(
                    "T_module",
                    "Back-of-module temperature",
                    "组件背板温度",
                    "°C",
                ),
                Port::out("T_cell", "Cell temperature", "电池温度", "°C"),
            ],
            Text::new(
                "T_m = G·e^(a + b·ws) + T_a; T_c = T_m + (G/1000 W/m²)·ΔT.",
                "T_m = G·e^(a + b·ws) + T_a；T_c = T_m + (G/1000 W/m²)·ΔT。",
            ),
            &[Reference {
                source: "King, D. L., Boyson, W. E., Kratochvil, J. A., Photovoltaic Array Performance Model, SAND2004-3535, Sandia National Laboratories, 2004",
                locator: "module and cell temperature equations and the coefficients by module type and mounting",
            }],
        ),
        eval: Eval::Scalar(sapm_cell),
    },
    Model {
        card: card(
            "solar.clear_sky_haurwitz",
            Text::new(
                "Clear-sky global irradiance (Haurwitz)",
                "晴空水平面总辐照度（Haurwitz 模型）",
            ),
            Text::new(
                "Global horizontal irradiance under a clear sky from the apparent solar zenith angle alone, as a reference to flag cloudy periods or soiled sensors.",
                "仅由太阳视天顶角估算晴空水平面总辐照度，作为判别云遮时段或传感器污染的参考。",
            ),
            ModelKind::Simulation,
            PV_INDUSTRIES,
            PV,
            &[Port::new(
                "zenith",
                "Apparent solar zenith angle",
                "太阳视天顶角",
                "deg",
                0.0,
                180.0,
            )],
            &[Port::out(
                "GHI_clear",
                "Clear-sky global horizontal irradiance",
                "晴空水平面总辐照度",
                "W/m2",
            )],
            Text::new(
                "GHI = 1098·cos θ_z·exp(−0.059/cos θ_z), 0 when the sun is below the horizon.",
                "GHI = 1098·cos θ_z·exp(−0.059/cos θ_z)，太阳在地平线以下时为 0。",
            ),
            &[
                Reference {
                    source: "Haurwitz, B., Insolation in relation to cloudiness and cloud density, Journal of Meteorology 2, 154–166, 1945",
                    locator: "clear-sky insolation",
                },
                Reference {
                    source: "Reno, M. J., Hansen, C. W., Stein, J. S., Global Horizontal Irradiance Clear Sky Models: Implementation and Analysis, SAND2012-2389, Sandia National Laboratories, 2012",
                    locator: "the Haurwitz model",
                },
            ],
        ),
        eval: Eval::Scalar(haurwitz),
    },
    Model {
        card: card(
            "atmosphere.precipitable_water",
            Text::new(
                "Precipitable water from surface air (Gueymard)",
                "由地面气象求大气可降水量（Gueymard）",
            ),
            Text::new(
                "Precipitable water of the atmospheric column from the surface air temperature and relative humidity, an input of clear-sky and PV spectral models.",
                "由地面气温和相对湿度估算大气柱可降水量，用作晴空辐射与光伏光谱模型的输入。",
            ),
            ModelKind::Simulation,
            PV_INDUSTRIES,
            PV,
            &[
                Port::new("T", "Air temperature", "气温", "°C", -60.0, 60.0),
                Port::new("RH", "Relative humidity", "相对湿度", "%", 0.0, 100.0),
            ],
            &[Port::out("pw", "Precipitable water", "可降水量", "cm")],
            Text::new(
                "w = 0.1·H_v·ρ_v (cm), H_v = 0.4976 + 1.5265θ + exp(13.6897θ − 14.9188θ³), ρ_v = 216.7·RH/(100T)·exp(22.330 − 49.140(100/T) − 10.922(100/T)² − 0.39015T/100), θ = T/273.15 (T in K); not below 0.1 cm.",
                "w = 0.1·H_v·ρ_v（cm），H_v = 0.4976 + 1.5265θ + exp(13.6897θ − 14.9188θ³)，ρ_v = 216.7·RH/(100T)·exp(22.330 − 49.140(100/T) − 10.922(100/T)² − 0.39015T/100)，θ = T/273.15（T 为 K）；不小于 0.1 cm。",
            ),
            &[
                Reference {
                    source: "Gueymard, C., Analysis of monthly average atmospheric precipitable water and turbidity in Canada and northern United States, Solar Energy 53(1), 57–71, 1994",
                    locator: "precipitable water from surface temperature and humidity",
                },
                Reference {
                    source: "Keogh, W. M., Blakers, A. W., Accurate measurement, using natural sunlight, of silicon solar cells, Progress in Photovoltaics 12(1), 1–19, 2004",
                    locator: "Eq. 1",
                },
            ],
        ),
        eval: Eval::Scalar(precipitable_water),
    },
];
