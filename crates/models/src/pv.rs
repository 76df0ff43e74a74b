//! More photovoltaic plant models: the Hay–Davies anisotropic plane-of-array irradiance,
//! the ASHRAE incidence-angle modifier, the PVsyst cell-temperature model, single-axis
//! tracking with backtracking and the PVWatts system-loss combination. pvlib
//! recomputes random inputs in the test run.

use crate::{Eval, Model, card};
use ironloom_core::model::{Domain, ModelKind, Port, Reference, Refusal, Text};

const PV_INDUSTRIES: &[&str] = &["D44", "C38", "E48", "C39"];
const PV: &[Domain] = &[Domain::Design, Domain::Operations, Domain::Service];
const DUFFIE: &str =
    "Duffie, J. A., Beckman, W. A., Solar Engineering of Thermal Processes, 4th ed., Wiley, 2013";

fn cosd(x: f64) -> f64 {
    x.to_radians().cos()
}

fn poa_hay_davies(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (tilt, surf_az, zenith, sun_az, dni, ghi, dhi, dni_extra, albedo) =
        (x[0], x[1], x[2], x[3], x[4], x[5], x[6], x[7], x[8]);
    let projection = (cosd(tilt) * cosd(zenith)
        + tilt.to_radians().sin() * zenith.to_radians().sin() * cosd(sun_az - surf_az))
    .clamp(-1.0, 1.0);
    let aoi = projection.acos().to_degrees();
    // Ratio of tilted to horizontal beam, the zenith cosine floored at cos 89°.
    let rb = projection.max(0.0) / cosd(zenith).max(0.01745);
    let ai = dni / dni_extra;
    let isotropic = (dhi * (1.0 - ai) * 0.5 * (1.0 + cosd(tilt))).max(0.0);
    let circumsolar = (dhi * ai * rb).max(0.0);
    let direct = (dni * projection).max(0.0);
    let ground = ghi * albedo * 0.5 * (1.0 - cosd(tilt));
    let sky = isotropic + circumsolar;
    Ok(vec![
        aoi,
        direct,
        sky,
        circumsolar,
        ground,
        direct + sky + ground,
    ])
}

fn iam_ashrae(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (aoi, b0) = (x[0], x[1]);
    let iam = if aoi.abs() >= 90.0 {
        0.0
    } else {
        (1.0 - b0 * (1.0 / cosd(aoi) - 1.0)).max(0.0)
    };
    let cutoff = (b0 / (1.0 + b0)).acos().to_degrees();
    Ok(vec![iam, cutoff])
}

fn pvsyst_cell(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (g, ta, ws, uc, uv, eta, alpha) = (x[0], x[1], x[2], x[3], x[4], x[5], x[6]);
    let u = uc + uv * ws;
    Ok(vec![ta + g * alpha * (1.0 - eta) / u, u])
}

fn sind(x: f64) -> f64 {
    x.to_radians().sin()
}

fn single_axis(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (zenith, sun_az, axis_tilt, axis_az, max_angle, backtrack, gcr, cross_tilt) =
        (x[0], x[1], x[2], x[3], x[4], x[5], x[6], x[7]);
    if zenith > 90.0 {
        return Err(Refusal::new(
            "the sun is below the horizon",
            "太阳在地平线以下",
        ));
    }
    // Sun vector in the tracker frame: y along the axis, x across it, z up (Anderson and
    // Mikofski 2020, Eq. 4–5).
    let (sx, sy, sz) = (
        sind(zenith) * sind(sun_az),
        sind(zenith) * cosd(sun_az),
        cosd(zenith),
    );
    let sx_p = sx * cosd(axis_az) - sy * sind(axis_az);
    let sz_p = sx * sind(axis_az) * sind(axis_tilt)
        + sy * sind(axis_tilt) * cosd(axis_az)
        + sz * cosd(axis_tilt);
    let ideal = sx_p.atan2(sz_p).to_degrees();
    let mut theta = ideal;
    if backtrack > 0.5 {
        let temp = (cosd(ideal - cross_tilt) / (gcr * cosd(cross_tilt))).abs();
        if temp < 1.0 {
            theta = ideal - ideal.signum() * temp.acos().to_degrees();
        }
    }
    let theta = theta.clamp(-max_angle, max_angle);
    let surface_tilt = (cosd(theta) * cosd(axis_tilt))
        .clamp(-1.0, 1.0)
        .acos()
        .to_degrees();
    // Unit normal R_z(−axis azimuth)·R_x(−axis tilt)·R_y(θ)·(0, 0, 1).
    let (c_a, s_a) = (cosd(-axis_az), sind(-axis_az));
    let s_t = sind(-axis_tilt);
    let nx = s_a * s_t * cosd(theta) + c_a * sind(theta);
    let ny = s_a * sind(theta) - c_a * s_t * cosd(theta);
    let surface_az = if surface_tilt == 0.0 {
        (axis_az - 90.0).rem_euclid(360.0)
    } else {
        nx.atan2(ny).to_degrees().rem_euclid(360.0)
    };
    let projection = (cosd(surface_tilt) * cosd(zenith)
        + sind(surface_tilt) * sind(zenith) * cosd(sun_az - surface_az))
    .clamp(-1.0, 1.0);
    Ok(vec![
        theta,
        projection.acos().to_degrees(),
        surface_tilt,
        surface_az,
        ideal,
    ])
}

fn pvwatts_losses(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let kept: f64 = x.iter().map(|l| 1.0 - l / 100.0).product();
    Ok(vec![(1.0 - kept) * 100.0])
}

/// Direct normal, global horizontal and diffuse horizontal irradiance (shared by the
/// plane-of-array models).
pub(crate) const IRRADIANCE_PORTS: [Port; 3] = [
    Port::new(
        "DNI",
        "Direct normal irradiance",
        "法向直射辐照度",
        "W/m2",
        0.0,
        2000.0,
    ),
    Port::new(
        "GHI",
        "Global horizontal irradiance",
        "水平面总辐照度",
        "W/m2",
        0.0,
        2000.0,
    ),
    Port::new(
        "DHI",
        "Diffuse horizontal irradiance",
        "水平面散射辐照度",
        "W/m2",
        0.0,
        2000.0,
    ),
];

/// A tilted surface and the sun's position (shared by the plane-of-array models).
pub(crate) const ANGLE_PORTS: [Port; 4] = [
    Port::new("tilt", "Surface tilt", "倾角", "deg", 0.0, 180.0),
    Port::new(
        "surface_azimuth",
        "Surface azimuth (from north, clockwise)",
        "倾斜面方位角（自正北顺时针）",
        "deg",
        0.0,
        360.0,
    )
    .default(180.0),
    Port::new(
        "zenith",
        "Solar zenith angle",
        "太阳天顶角",
        "deg",
        0.0,
        180.0,
    ),
    Port::new(
        "solar_azimuth",
        "Solar azimuth (from north, clockwise)",
        "太阳方位角（自正北顺时针）",
        "deg",
        0.0,
        360.0,
    ),
];

pub(crate) const MODELS: &[Model] = &[
    Model {
        card: card(
            "solar.poa_hay_davies",
            Text::new(
                "Irradiance on a tilted plane (Hay–Davies)",
                "倾斜面辐照度（Hay–Davies 模型）",
            ),
            Text::new(
                "Direct, sky-diffuse (isotropic plus circumsolar), ground-reflected and total irradiance on a tilted PV array or collector with the Hay–Davies anisotropic sky, which weights the circumsolar part by the anisotropy index DNI/DNI_extra.",
                "按 Hay–Davies 各向异性天空模型（以各向异性指数 DNI/DNI_extra 加权环日散射）计算光伏阵列或集热器倾斜面的直射、天空散射（各向同性加环日）、地面反射和总辐照度。",
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
                Port::new(
                    "DNI_extra",
                    "Extraterrestrial normal irradiance",
                    "大气层外法向辐照度",
                    "W/m2",
                    1200.0,
                    1500.0,
                )
                .default(1367.0),
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
                    "poa_circumsolar",
                    "Circumsolar part of the sky diffuse",
                    "天空散射中的环日分量",
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
                "A_i = DNI/DNI_extra, R_b = max(cos θ, 0)/max(cos θ_z, 0.01745); sky = DHI[A_i R_b + (1 − A_i)(1 + cos β)/2]; POA = DNI·max(cos θ, 0) + sky + GHI·ρ(1 − cos β)/2.",
                "A_i = DNI/DNI_extra，R_b = max(cos θ, 0)/max(cos θ_z, 0.01745)；天空散射 = DHI[A_i R_b + (1 − A_i)(1 + cos β)/2]；POA = DNI·max(cos θ, 0) + 天空散射 + GHI·ρ(1 − cos β)/2。",
            ),
            &[
                Reference {
                    source: "Hay, J. E., Davies, J. A., Calculation of the solar radiation incident on an inclined surface, Proc. First Canadian Solar Radiation Data Workshop, 59–72, 1980",
                    locator: "the anisotropic diffuse model",
                },
                Reference {
                    source: DUFFIE,
                    locator: "§2.16, the HDKR model (Hay–Davies without the horizon-brightening term)",
                },
            ],
        ),
        eval: Eval::Scalar(poa_hay_davies),
    },
    Model {
        card: card(
            "pv.iam_ashrae",
            Text::new(
                "Incidence-angle modifier (ASHRAE)",
                "入射角修正系数（ASHRAE 模型）",
            ),
            Text::new(
                "Fraction of the direct irradiance transmitted through the cover glass of a PV module or collector at an angle of incidence, with the ASHRAE single-parameter model.",
                "按 ASHRAE 单参数模型计算某入射角下光伏组件或集热器盖板玻璃对直射辐照的透过比例。",
            ),
            ModelKind::Simulation,
            PV_INDUSTRIES,
            PV,
            &[
                Port::new("aoi", "Angle of incidence", "入射角", "deg", -180.0, 180.0),
                Port::new("b0", "ASHRAE parameter b₀", "ASHRAE 参数 b₀", "", 0.0, 1.0)
                    .default(0.05),
            ],
            &[
                Port::out("iam", "Incidence-angle modifier", "入射角修正系数", ""),
                Port::out(
                    "aoi_cutoff",
                    "Angle where the modifier reaches zero",
                    "修正系数降为零的入射角",
                    "deg",
                ),
            ],
            Text::new(
                "IAM = max(0, 1 − b₀(1/cos θ − 1)) for |θ| < 90°, else 0.",
                "当 |θ| < 90° 时 IAM = max(0, 1 − b₀(1/cos θ − 1))，否则为 0。",
            ),
            &[
                Reference {
                    source: "Souka, A. F., Safwat, H. H., Determination of the optimum orientations for the double exposure flat-plate collector and its reflections, Solar Energy 10, 170–174, 1966",
                    locator: "the incidence-angle modifier",
                },
                Reference {
                    source: "ASHRAE Standard 93-77, Methods of Testing to Determine the Thermal Performance of Solar Collectors",
                    locator: "the incident angle modifier",
                },
            ],
        ),
        eval: Eval::Scalar(iam_ashrae),
    },
    Model {
        card: card(
            "pv.cell_temperature_pvsyst",
            Text::new(
                "PV cell temperature (PVsyst)",
                "光伏电池温度（PVsyst 模型）",
            ),
            Text::new(
                "Cell temperature of a PV array from the plane-of-array irradiance, air temperature and wind speed with the PVsyst thermal-loss factors U_c and U_v.",
                "由倾斜面辐照度、气温和风速，按 PVsyst 热损失系数 U_c、U_v 计算光伏阵列电池温度。",
            ),
            ModelKind::Simulation,
            PV_INDUSTRIES,
            PV,
            &[
                Port::new(
                    "G",
                    "Plane-of-array irradiance",
                    "倾斜面辐照度",
                    "W/m2",
                    0.0,
                    2000.0,
                ),
                Port::new("T_a", "Air temperature", "气温", "°C", -60.0, 60.0),
                Port::new("ws", "Wind speed", "风速", "m/s", 0.0, 60.0).default(1.0),
                Port::new(
                    "U_c",
                    "Constant heat-loss factor",
                    "恒定热损失系数",
                    "W/(m2.K)",
                    1.0,
                    100.0,
                )
                .default(29.0),
                Port::new(
                    "U_v",
                    "Wind heat-loss factor",
                    "风速热损失系数",
                    "W.s/(m3.K)",
                    0.0,
                    20.0,
                )
                .default(0.0),
                Port::new("eta_m", "Module efficiency", "组件效率", "", 0.0, 0.5).default(0.1),
                Port::new("alpha", "Absorption coefficient", "吸收系数", "", 0.0, 1.0).default(0.9),
            ],
            &[
                Port::out("T_c", "Cell temperature", "电池温度", "°C"),
                Port::out("U", "Total heat-loss factor", "总热损失系数", "W/(m2.K)"),
            ],
            Text::new(
                "T_c = T_a + α·G·(1 − η_m)/(U_c + U_v·ws); U_c = 29 W/(m²·K) for free-standing, 15 for insulated-back arrays.",
                "T_c = T_a + α·G·(1 − η_m)/(U_c + U_v·ws)；敞开安装 U_c = 29 W/(m²·K)，背面隔热安装为 15。",
            ),
            &[Reference {
                source: "PVsyst SA, PVsyst 7 Help, Project design > Array and system losses > Array thermal losses",
                locator: "the thermal balance U·(T_cell − T_amb) = α·G·(1 − η)",
            }],
        ),
        eval: Eval::Scalar(pvsyst_cell),
    },
    Model {
        card: card(
            "pv.single_axis_tracker",
            Text::new(
                "Single-axis tracker rotation and backtracking",
                "单轴跟踪支架转角与逆跟踪",
            ),
            Text::new(
                "Rotation angle of a single-axis PV tracker that keeps the sun in the plane normal to the modules, limited by the mechanical stop, with optional backtracking to avoid row-to-row shading, and the resulting module tilt, azimuth and angle of incidence.",
                "计算单轴光伏跟踪支架使太阳位于组件法平面内的转角（受机械限位约束），可选逆跟踪以避免前后排遮挡，并给出组件倾角、方位角和入射角。",
            ),
            ModelKind::Simulation,
            PV_INDUSTRIES,
            PV,
            &[
                Port::new(
                    "zenith",
                    "Apparent solar zenith angle",
                    "太阳视天顶角",
                    "deg",
                    0.0,
                    180.0,
                ),
                Port::new(
                    "solar_azimuth",
                    "Solar azimuth (from north, clockwise)",
                    "太阳方位角（自正北顺时针）",
                    "deg",
                    0.0,
                    360.0,
                ),
                Port::new(
                    "axis_tilt",
                    "Tracker axis tilt",
                    "跟踪轴倾角",
                    "deg",
                    0.0,
                    90.0,
                )
                .default(0.0),
                Port::new(
                    "axis_azimuth",
                    "Tracker axis azimuth (from north)",
                    "跟踪轴方位角（自正北）",
                    "deg",
                    0.0,
                    360.0,
                )
                .default(180.0),
                Port::new(
                    "max_angle",
                    "Maximum rotation",
                    "最大转角",
                    "deg",
                    0.0,
                    180.0,
                )
                .default(60.0),
                Port::choice("backtrack", "Backtracking", "逆跟踪", &["off", "on"]).default(1.0),
                Port::new("gcr", "Ground coverage ratio", "地面覆盖率", "", 0.01, 1.0)
                    .default(0.35),
                Port::new(
                    "cross_axis_tilt",
                    "Ground slope across the axis",
                    "垂直于轴向的地面坡度",
                    "deg",
                    -90.0,
                    90.0,
                )
                .default(0.0),
            ],
            &[
                Port::out(
                    "theta",
                    "Tracker rotation (west positive for a south axis)",
                    "支架转角（南北轴时向西为正）",
                    "deg",
                ),
                Port::out("aoi", "Angle of incidence", "入射角", "deg"),
                Port::out("surface_tilt", "Module tilt", "组件倾角", "deg"),
                Port::out(
                    "surface_azimuth",
                    "Module azimuth (from north)",
                    "组件方位角（自正北）",
                    "deg",
                ),
                Port::out("theta_ideal", "True-tracking rotation", "真跟踪转角", "deg"),
            ],
            Text::new(
                "θ_T = atan2(s′_x, s′_z) with the sun vector in the tracker frame; backtracking θ = θ_T − sign(θ_T)·arccos(|cos(θ_T − β_c)|/(GCR·cos β_c)) when that argument is below 1; θ limited to ±θ_max; tilt = arccos(cos θ cos β_axis).",
                "θ_T = atan2(s′_x, s′_z)（太阳矢量在跟踪坐标系中）；逆跟踪时若 |cos(θ_T − β_c)|/(GCR·cos β_c) < 1，则 θ = θ_T − sign(θ_T)·arccos(该值)；θ 限于 ±θ_max；倾角 = arccos(cos θ cos β_轴)。",
            ),
            &[
                Reference {
                    source: "Marion, W. F., Dobos, A. P., Rotation Angle for the Optimum Tracking of One-Axis Trackers, NREL/TP-6A20-58891, 2013",
                    locator: "the rotation angle and the resulting surface orientation",
                },
                Reference {
                    source: "Anderson, K., Mikofski, M., Slope-Aware Backtracking for Single-Axis Trackers, NREL/TP-5K00-76626, 2020",
                    locator: "true-tracking angle in the tracker frame and backtracking on sloped ground",
                },
            ],
        ),
        eval: Eval::Scalar(single_axis),
    },
    Model {
        card: card(
            "pv.pvwatts_losses",
            Text::new("PV system losses (PVWatts)", "光伏系统损失（PVWatts 方法）"),
            Text::new(
                "Combined DC system loss of a PV plant from its individual loss categories (soiling, shading, snow, mismatch, wiring, connections, light-induced degradation, nameplate, age, availability), compounded multiplicatively.",
                "将光伏电站各项损失（污渍、遮挡、积雪、失配、线损、连接、光致衰减、铭牌偏差、老化、可用率）按连乘方式合成为总直流系统损失。",
            ),
            ModelKind::Process,
            PV_INDUSTRIES,
            PV,
            &[
                Port::new("soiling", "Soiling", "污渍", "%", 0.0, 100.0).default(2.0),
                Port::new("shading", "Shading", "遮挡", "%", 0.0, 100.0).default(3.0),
                Port::new("snow", "Snow", "积雪", "%", 0.0, 100.0).default(0.0),
                Port::new("mismatch", "Mismatch", "失配", "%", 0.0, 100.0).default(2.0),
                Port::new("wiring", "Wiring", "线损", "%", 0.0, 100.0).default(2.0),
                Port::new("connections", "Connections", "连接", "%", 0.0, 100.0).default(0.5),
                Port::new(
                    "lid",
                    "Light-induced degradation",
                    "光致衰减",
                    "%",
                    0.0,
                    100.0,
                )
                .default(1.5),
                Port::new("nameplate", "Nameplate rating", "铭牌偏差", "%", 0.0, 100.0)
                    .default(1.0),
                Port::new("age", "Age", "老化", "%", 0.0, 100.0).default(0.0),
                Port::new(
                    "availability",
                    "Availability",
                    "可用率损失",
                    "%",
                    0.0,
                    100.0,
                )
                .default(3.0),
            ],
            &[Port::out("total", "Total system loss", "总系统损失", "%")],
            Text::new(
                "L = 100·[1 − Π(1 − Lᵢ/100)] %.",
                "L = 100·[1 − Π(1 − Lᵢ/100)] %。",
            ),
            &[Reference {
                source: "Dobos, A. P., PVWatts Version 5 Manual, NREL/TP-6A20-62641, National Renewable Energy Laboratory, 2014",
                locator: "system losses: the loss categories and their combination",
            }],
        ),
        eval: Eval::Scalar(pvwatts_losses),
    },
];
