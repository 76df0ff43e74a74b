//! Water and steam: IAPWS-IF97 (IAPWS R7-97(2012), the industrial formulation used for
//! boilers, turbines and steam networks): region 1 (compressed liquid), region 2
//! (superheated steam), region 4 (saturation line) and the B23 boundary. Coefficients are
//! those of the release's tables 1, 2, 10, 11 and 34; the verification values of its
//! tables 5, 15, 35 and 36 are the test vectors (`vectors/steam.json`).

use crate::{Eval, Model};
use ironloom_core::model::{Domain, ModelCard, ModelKind, Port, Reference, Refusal, Text};

/// Specific gas constant of water, kJ/(kg·K) (R7-97 Eq. 1).
pub(crate) const R: f64 = 0.461_526;
pub(crate) const T_CRIT: f64 = 647.096;
pub(crate) const P_CRIT: f64 = 22.064;
pub(crate) const P_MIN_SAT: f64 = 611.212_677e-6;

/// Region 1, table 2: (I, J, n).
const R1: [(i32, i32, f64); 34] = [
    (0, -2, 0.146_329_712_131_67),
    (0, -1, -0.845_481_871_691_14),
    (0, 0, -0.375_636_036_720_40e1),
    (0, 1, 0.338_551_691_683_85e1),
    (0, 2, -0.957_919_633_878_72),
    (0, 3, 0.157_720_385_132_28),
    (0, 4, -0.166_164_171_995_01e-1),
    (0, 5, 0.812_146_299_835_68e-3),
    (1, -9, 0.283_190_801_238_04e-3),
    (1, -7, -0.607_063_015_658_74e-3),
    (1, -1, -0.189_900_682_184_19e-1),
    (1, 0, -0.325_297_487_705_05e-1),
    (1, 1, -0.218_417_171_754_14e-1),
    (1, 3, -0.528_383_579_699_30e-4),
    (2, -3, -0.471_843_210_732_67e-3),
    (2, 0, -0.300_017_807_930_26e-3),
    (2, 1, 0.476_613_939_069_87e-4),
    (2, 3, -0.441_418_453_308_46e-5),
    (2, 17, -0.726_949_962_975_94e-15),
    (3, -4, -0.316_796_448_450_54e-4),
    (3, 0, -0.282_707_979_853_12e-5),
    (3, 6, -0.852_051_281_201_03e-9),
    (4, -5, -0.224_252_819_080_00e-5),
    (4, -2, -0.651_712_228_956_01e-6),
    (4, 10, -0.143_417_299_379_24e-12),
    (5, -8, -0.405_169_968_601_17e-6),
    (8, -11, -0.127_343_017_416_41e-8),
    (8, -6, -0.174_248_712_306_34e-9),
    (21, -29, -0.687_621_312_955_31e-18),
    (23, -31, 0.144_783_078_285_21e-19),
    (29, -38, 0.263_357_816_627_95e-22),
    (30, -39, -0.119_476_226_400_71e-22),
    (31, -40, 0.182_280_945_814_04e-23),
    (32, -41, -0.935_370_872_924_58e-25),
];

/// Region 2, ideal-gas part, table 10: (J°, n°).
const R2_0: [(i32, f64); 9] = [
    (0, -0.969_276_865_002_17e1),
    (1, 0.100_866_559_680_18e2),
    (-5, -0.560_879_112_830_20e-2),
    (-4, 0.714_527_380_814_55e-1),
    (-3, -0.407_104_982_239_28),
    (-2, 0.142_408_191_714_44e1),
    (-1, -0.438_395_113_194_50e1),
    (2, -0.284_086_324_607_72),
    (3, 0.212_684_637_533_07e-1),
];

/// Region 2, residual part, table 11: (I, J, n).
const R2_R: [(i32, i32, f64); 43] = [
    (1, 0, -0.177_317_424_732_13e-2),
    (1, 1, -0.178_348_622_923_58e-1),
    (1, 2, -0.459_960_136_963_65e-1),
    (1, 3, -0.575_812_590_834_32e-1),
    (1, 6, -0.503_252_787_279_30e-1),
    (2, 1, -0.330_326_416_702_03e-4),
    (2, 2, -0.189_489_875_163_15e-3),
    (2, 4, -0.393_927_772_433_55e-2),
    (2, 7, -0.437_972_956_505_73e-1),
    (2, 36, -0.266_745_479_140_87e-4),
    (3, 0, 0.204_817_376_923_09e-7),
    (3, 1, 0.438_706_672_844_35e-6),
    (3, 3, -0.322_776_772_385_70e-4),
    (3, 6, -0.150_339_245_421_48e-2),
    (3, 35, -0.406_682_535_626_49e-1),
    (4, 1, -0.788_473_095_593_67e-9),
    (4, 2, 0.127_907_178_522_85e-7),
    (4, 3, 0.482_253_727_185_07e-6),
    (5, 7, 0.229_220_763_376_61e-5),
    (6, 3, -0.167_147_664_510_61e-10),
    (6, 16, -0.211_714_723_213_55e-2),
    (6, 35, -0.238_957_419_341_04e2),
    (7, 0, -0.590_595_643_242_70e-17),
    (7, 11, -0.126_218_088_991_01e-5),
    (7, 25, -0.389_468_424_357_39e-1),
    (8, 8, 0.112_562_113_604_59e-10),
    (8, 36, -0.823_113_408_979_98e1),
    (9, 13, 0.198_097_128_020_88e-7),
    (10, 4, 0.104_069_652_101_74e-18),
    (10, 10, -0.102_347_470_959_29e-12),
    (10, 14, -0.100_181_793_795_11e-8),
    (16, 29, -0.808_829_086_469_85e-10),
    (16, 50, 0.106_930_318_794_09),
    (18, 57, -0.336_622_505_741_71),
    (20, 20, 0.891_858_453_554_21e-24),
    (20, 35, 0.306_293_168_762_32e-12),
    (20, 48, -0.420_024_676_982_08e-5),
    (21, 21, -0.590_560_296_856_39e-25),
    (22, 53, 0.378_269_476_134_57e-5),
    (23, 39, -0.127_686_089_346_81e-14),
    (24, 26, 0.730_876_105_950_61e-28),
    (24, 40, 0.554_147_153_507_78e-16),
    (24, 58, -0.943_697_072_412_10e-6),
];

/// Region 4 (saturation), table 34: n1 … n10.
const R4: [f64; 10] = [
    0.116_705_214_527_67e4,
    -0.724_213_167_032_06e6,
    -0.170_738_469_400_92e2,
    0.120_208_247_024_70e5,
    -0.323_255_503_223_33e7,
    0.149_151_086_135_30e2,
    -0.482_326_573_615_91e4,
    0.405_113_405_420_57e6,
    -0.238_555_575_678_49,
    0.650_175_348_447_98e3,
];

/// Boundary between regions 2 and 3, table 1 (n1 … n3 of Eq. 5).
const B23: [f64; 3] = [
    0.348_051_856_289_69e3,
    -0.116_718_598_799_75e1,
    0.101_929_700_393_26e-2,
];

/// Properties at (p, T): v [m³/kg], h, u [kJ/kg], s, cp, cv [kJ/(kg·K)], w [m/s].
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct State {
    pub v: f64,
    pub h: f64,
    pub u: f64,
    pub s: f64,
    pub cp: f64,
    pub cv: f64,
    pub w: f64,
}

impl State {
    pub(crate) fn to_vec(self) -> Vec<f64> {
        vec![self.v, self.h, self.u, self.s, self.cp, self.cv, self.w]
    }
}

/// Saturation pressure [MPa] at T [K] (Eq. 30), 273.15 K ≤ T ≤ T_c.
pub(crate) fn psat(t: f64) -> f64 {
    let n = &R4;
    let th = t + n[8] / (t - n[9]);
    let a = th * th + n[0] * th + n[1];
    let b = n[2] * th * th + n[3] * th + n[4];
    let c = n[5] * th * th + n[6] * th + n[7];
    (2.0 * c / (-b + (b * b - 4.0 * a * c).sqrt())).powi(4)
}

/// Saturation temperature [K] at p [MPa] (Eq. 31), 611.213 Pa ≤ p ≤ p_c.
pub(crate) fn tsat(p: f64) -> f64 {
    let n = &R4;
    let beta = p.powf(0.25);
    let e = beta * beta + n[2] * beta + n[5];
    let f = n[0] * beta * beta + n[3] * beta + n[6];
    let g = n[1] * beta * beta + n[4] * beta + n[7];
    let d = 2.0 * g / (-f - (f * f - 4.0 * e * g).sqrt());
    (n[9] + d - ((n[9] + d).powi(2) - 4.0 * (n[8] + n[9] * d)).sqrt()) / 2.0
}

/// Pressure [MPa] on the B23 boundary at T [K] (Eq. 5).
pub(crate) fn p_b23(t: f64) -> f64 {
    B23[0] + B23[1] * t + B23[2] * t * t
}

/// Region 1 (Eq. 7 and table 3).
pub(crate) fn region1(p: f64, t: f64) -> State {
    let pi = p / 16.53;
    let tau = 1386.0 / t;
    let (a, b) = (7.1 - pi, tau - 1.222);
    let (mut g, mut gp, mut gpp, mut gt, mut gtt, mut gpt) = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
    for &(i, j, n) in &R1 {
        let (fi, fj) = (i as f64, j as f64);
        let ai = a.powi(i);
        let bj = b.powi(j);
        g += n * ai * bj;
        if i > 0 {
            gp -= n * fi * a.powi(i - 1) * bj;
            gpt -= n * fi * a.powi(i - 1) * fj * b.powi(j - 1);
        }
        if i > 1 {
            gpp += n * fi * (fi - 1.0) * a.powi(i - 2) * bj;
        }
        gt += n * ai * fj * b.powi(j - 1);
        gtt += n * ai * fj * (fj - 1.0) * b.powi(j - 2);
    }
    let rt = R * t;
    State {
        v: rt / p * pi * gp * 1e-3,
        h: rt * tau * gt,
        u: rt * (tau * gt - pi * gp),
        s: R * (tau * gt - g),
        cp: -R * tau * tau * gtt,
        cv: R * (-tau * tau * gtt + (gp - tau * gpt).powi(2) / gpp),
        w: (rt * 1e3 * gp * gp / ((gp - tau * gpt).powi(2) / (tau * tau * gtt) - gpp)).sqrt(),
    }
}

/// Region 2 (Eq. 15–17 and table 12).
pub(crate) fn region2(p: f64, t: f64) -> State {
    let pi = p;
    let tau = 540.0 / t;
    let mut g0 = pi.ln();
    let (mut g0t, mut g0tt) = (0.0, 0.0);
    for &(j, n) in &R2_0 {
        let fj = j as f64;
        g0 += n * tau.powi(j);
        g0t += n * fj * tau.powi(j - 1);
        g0tt += n * fj * (fj - 1.0) * tau.powi(j - 2);
    }
    let g0p = 1.0 / pi;
    let b = tau - 0.5;
    let (mut gr, mut grp, mut grpp, mut grt, mut grtt, mut grpt) = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
    for &(i, j, n) in &R2_R {
        let (fi, fj) = (i as f64, j as f64);
        let pii = pi.powi(i);
        let bj = b.powi(j);
        gr += n * pii * bj;
        grp += n * fi * pi.powi(i - 1) * bj;
        grpp += n * fi * (fi - 1.0) * pi.powi(i - 2) * bj;
        grt += n * pii * fj * b.powi(j - 1);
        grtt += n * pii * fj * (fj - 1.0) * b.powi(j - 2);
        grpt += n * fi * pi.powi(i - 1) * fj * b.powi(j - 1);
    }
    let rt = R * t;
    let x = 1.0 + pi * grp - tau * pi * grpt;
    State {
        v: rt / p * pi * (g0p + grp) * 1e-3,
        h: rt * tau * (g0t + grt),
        u: rt * (tau * (g0t + grt) - pi * (g0p + grp)),
        s: R * (tau * (g0t + grt) - (g0 + gr)),
        cp: -R * tau * tau * (g0tt + grtt),
        cv: R * (-tau * tau * (g0tt + grtt) - x * x / (1.0 - pi * pi * grpp)),
        w: (rt * 1e3 * (1.0 + 2.0 * pi * grp + pi * pi * grp * grp)
            / ((1.0 - pi * pi * grpp) + x * x / (tau * tau * (g0tt + grtt))))
            .sqrt(),
    }
}

const REF_IF97: Reference = Reference {
    source: "IAPWS R7-97(2012), Revised Release on the IAPWS Industrial Formulation 1997 for the Thermodynamic Properties of Water and Steam",
    locator: "",
};

pub(crate) const fn if97(locator: &'static str) -> Reference {
    Reference {
        source: REF_IF97.source,
        locator,
    }
}

pub(crate) const STATE_OUT: &[Port] = &[
    Port::out("v", "Specific volume", "比体积", "m3/kg"),
    Port::out("h", "Specific enthalpy", "比焓", "kJ/kg"),
    Port::out("u", "Specific internal energy", "比热力学能", "kJ/kg"),
    Port::out("s", "Specific entropy", "比熵", "kJ/(kg.K)"),
    Port::out("cp", "Isobaric heat capacity", "比定压热容", "kJ/(kg.K)"),
    Port::out("cv", "Isochoric heat capacity", "比定容热容", "kJ/(kg.K)"),
    Port::out("w", "Speed of sound", "声速", "m/s"),
];

pub(crate) const STEAM_INDUSTRIES: &[&str] = &["D44", "C26", "C25", "C22"];

fn eval_region1(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (p, t) = (x[0], x[1]);
    let ps = psat(t);
    if p < ps {
        return Err(Refusal::new(
            format!("at {t} K water is steam below {ps:.6} MPa (saturation): use region 2"),
            format!("{t} K 时压力低于饱和压力 {ps:.6} MPa 为蒸汽：请用区域2"),
        ));
    }
    Ok(region1(p, t).to_vec())
}

fn eval_region2(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (p, t) = (x[0], x[1]);
    let limit = if t <= 623.15 {
        psat(t)
    } else if t <= 863.15 {
        p_b23(t)
    } else {
        100.0
    };
    if p > limit {
        return Err(Refusal::new(
            format!("at {t} K region 2 ends at {limit:.6} MPa (saturation or the B23 boundary)"),
            format!("{t} K 时区域2的压力上限为 {limit:.6} MPa（饱和线或 B23 边界）"),
        ));
    }
    Ok(region2(p, t).to_vec())
}

fn wet_steam(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (p, q) = (x[0], x[1]);
    let t = tsat(p);
    let (liquid, vapour) = (region1(p, t), region2(p, t));
    let mix = |a: f64, b: f64| a + q * (b - a);
    Ok(vec![
        t,
        mix(liquid.v, vapour.v),
        mix(liquid.h, vapour.h),
        mix(liquid.s, vapour.s),
        vapour.h - liquid.h,
    ])
}

pub(crate) const MODELS: &[Model] = &[
    Model {
        card: ModelCard {
            id: "steam.if97_region1_pt",
            version: 1,
            name: Text::new(
                "Compressed water properties (IAPWS-IF97 region 1)",
                "压缩水性质（IAPWS-IF97 区域1）",
            ),
            summary: Text::new(
                "Specific volume, enthalpy, internal energy, entropy, heat capacities and speed of sound of liquid water from pressure and temperature.",
                "由压力和温度计算液态水的比体积、比焓、比热力学能、比熵、比热容和声速。",
            ),
            kind: ModelKind::Mechanism,
            industries: STEAM_INDUSTRIES,
            domains: &[Domain::Design, Domain::Production],
            inputs: &[
                Port::new("p", "Pressure", "压力", "MPa", P_MIN_SAT, 100.0),
                Port::new("T", "Temperature", "温度", "K", 273.15, 623.15),
            ],
            outputs: STATE_OUT,
            formula: Text::new(
                "Dimensionless Gibbs energy γ(π,τ) = Σ nᵢ(7.1−π)^Iᵢ(τ−1.222)^Jᵢ with π = p/16.53 MPa, τ = 1386 K/T; v = πγ_π RT/p, h = τγ_τ RT, s = (τγ_τ−γ)R, c_p = −τ²γ_ττ R; valid for p ≥ p_s(T).",
                "无量纲吉布斯自由能 γ(π,τ) = Σ nᵢ(7.1−π)^Iᵢ(τ−1.222)^Jᵢ，π = p/16.53 MPa，τ = 1386 K/T；v = πγ_π RT/p，h = τγ_τ RT，s = (τγ_τ−γ)R，c_p = −τ²γ_ττ R；适用于 p ≥ p_s(T)。",
            ),
            references: &[if97("§5.1, Eq. 7, tables 2–4 (verification: table 5)")],
        },
        eval: Eval::Scalar(eval_region1),
    },
    Model {
        card: ModelCard {
            id: "steam.if97_region2_pt",
            version: 1,
            name: Text::new(
                "Superheated steam properties (IAPWS-IF97 region 2)",
                "过热蒸汽性质（IAPWS-IF97 区域2）",
            ),
            summary: Text::new(
                "Specific volume, enthalpy, internal energy, entropy, heat capacities and speed of sound of steam from pressure and temperature.",
                "由压力和温度计算蒸汽的比体积、比焓、比热力学能、比熵、比热容和声速。",
            ),
            kind: ModelKind::Mechanism,
            industries: STEAM_INDUSTRIES,
            domains: &[Domain::Design, Domain::Production],
            inputs: &[
                Port::new("p", "Pressure", "压力", "MPa", 1e-9, 100.0),
                Port::new("T", "Temperature", "温度", "K", 273.15, 1073.15),
            ],
            outputs: STATE_OUT,
            formula: Text::new(
                "γ = γ° + γʳ with γ° = ln π + Σ n°ᵢ τ^J°ᵢ, γʳ = Σ nᵢ π^Iᵢ (τ−0.5)^Jᵢ, π = p/1 MPa, τ = 540 K/T; properties from the derivatives of γ; valid below the saturation line (T ≤ 623.15 K) or the B23 boundary.",
                "γ = γ° + γʳ，γ° = ln π + Σ n°ᵢ τ^J°ᵢ，γʳ = Σ nᵢ π^Iᵢ (τ−0.5)^Jᵢ，π = p/1 MPa，τ = 540 K/T；各性质由 γ 的导数求得；适用于饱和线（T ≤ 623.15 K）或 B23 边界以下。",
            ),
            references: &[if97(
                "§6.1, Eq. 15–17, tables 10–14 (verification: table 15); B23: Eq. 5",
            )],
        },
        eval: Eval::Scalar(eval_region2),
    },
    Model {
        card: ModelCard {
            id: "steam.if97_psat_t",
            version: 1,
            name: Text::new("Saturation pressure of water", "水的饱和压力"),
            summary: Text::new(
                "Pressure at which water boils at a given temperature (IAPWS-IF97 region 4).",
                "给定温度下水的沸腾压力（IAPWS-IF97 区域4）。",
            ),
            kind: ModelKind::Mechanism,
            industries: STEAM_INDUSTRIES,
            domains: &[Domain::Design, Domain::Production],
            inputs: &[Port::new("T", "Temperature", "温度", "K", 273.15, T_CRIT)],
            outputs: &[Port::out("p_s", "Saturation pressure", "饱和压力", "MPa")],
            formula: Text::new(
                "ϑ = T + n₉/(T − n₁₀); A = ϑ² + n₁ϑ + n₂, B = n₃ϑ² + n₄ϑ + n₅, C = n₆ϑ² + n₇ϑ + n₈; p_s = [2C/(−B + √(B² − 4AC))]⁴ MPa.",
                "ϑ = T + n₉/(T − n₁₀)；A = ϑ² + n₁ϑ + n₂，B = n₃ϑ² + n₄ϑ + n₅，C = n₆ϑ² + n₇ϑ + n₈；p_s = [2C/(−B + √(B² − 4AC))]⁴ MPa。",
            ),
            references: &[if97("§8.1, Eq. 30, table 34 (verification: table 35)")],
        },
        eval: Eval::Scalar(|x| Ok(vec![psat(x[0])])),
    },
    Model {
        card: ModelCard {
            id: "steam.if97_tsat_p",
            version: 1,
            name: Text::new("Saturation temperature of water", "水的饱和温度"),
            summary: Text::new(
                "Temperature at which water boils at a given pressure (IAPWS-IF97 region 4).",
                "给定压力下水的沸点（IAPWS-IF97 区域4）。",
            ),
            kind: ModelKind::Mechanism,
            industries: STEAM_INDUSTRIES,
            domains: &[Domain::Design, Domain::Production],
            inputs: &[Port::new("p", "Pressure", "压力", "MPa", P_MIN_SAT, P_CRIT)],
            outputs: &[Port::out("T_s", "Saturation temperature", "饱和温度", "K")],
            formula: Text::new(
                "β = p^¼; E = β² + n₃β + n₆, F = n₁β² + n₄β + n₇, G = n₂β² + n₅β + n₈, D = 2G/(−F − √(F² − 4EG)); T_s = [n₁₀ + D − √((n₁₀ + D)² − 4(n₉ + n₁₀D))]/2.",
                "β = p^¼；E = β² + n₃β + n₆，F = n₁β² + n₄β + n₇，G = n₂β² + n₅β + n₈，D = 2G/(−F − √(F² − 4EG))；T_s = [n₁₀ + D − √((n₁₀ + D)² − 4(n₉ + n₁₀D))]/2。",
            ),
            references: &[if97("§8.2, Eq. 31, table 34 (verification: table 36)")],
        },
        eval: Eval::Scalar(|x| Ok(vec![tsat(x[0])])),
    },
    Model {
        card: ModelCard {
            id: "steam.wet_steam",
            version: 1,
            name: Text::new(
                "Wet steam properties from pressure and dryness",
                "由压力和干度求湿蒸汽性质",
            ),
            summary: Text::new(
                "Saturation temperature, specific volume, enthalpy and entropy of wet steam of a dryness fraction, and the latent heat, from the IAPWS-IF97 saturated liquid and vapour.",
                "由 IAPWS-IF97 饱和水与饱和蒸汽性质，计算给定干度湿蒸汽的饱和温度、比体积、比焓、比熵以及汽化潜热。",
            ),
            kind: ModelKind::Mechanism,
            industries: STEAM_INDUSTRIES,
            domains: &[Domain::Production, Domain::Operations],
            inputs: &[
                Port::new("p", "Pressure", "压力", "MPa", P_MIN_SAT, 16.5),
                Port::new("x", "Dryness fraction", "干度", "", 0.0, 1.0),
            ],
            outputs: &[
                Port::out("T_s", "Saturation temperature", "饱和温度", "K"),
                Port::out("v", "Specific volume", "比体积", "m3/kg"),
                Port::out("h", "Specific enthalpy", "比焓", "kJ/kg"),
                Port::out("s", "Specific entropy", "比熵", "kJ/(kg.K)"),
                Port::out("h_fg", "Latent heat", "汽化潜热", "kJ/kg"),
            ],
            formula: Text::new(
                "T_s from region 4; φ = φ' + x(φ'' − φ') for v, h, s, with φ' from region 1 and φ'' from region 2 at (p, T_s) (p ≤ 16.5 MPa, where both regions reach the saturation line).",
                "T_s 取区域4；v、h、s 按 φ = φ' + x(φ'' − φ')，φ' 取区域1、φ'' 取区域2 在 (p, T_s) 的值（p ≤ 16.5 MPa，两区域均延伸至饱和线）。",
            ),
            references: &[if97(
                "§5 (region 1) and §6 (region 2) at saturation; §8.2 (saturation temperature)",
            )],
        },
        eval: Eval::Scalar(wet_steam),
    },
];
