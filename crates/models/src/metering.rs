//! Flow metering by differential pressure: an orifice plate to ISO 5167-2 (the
//! Reader-Harris/Gallagher discharge coefficient and the expansibility factor, iterated
//! on the Reynolds number).

use crate::{Eval, Model, card};
use ironloom_core::model::{Domain, ModelKind, Port, Reference, Refusal, Text};

const METER_INDUSTRIES: &[&str] = &["C26", "D44", "D45", "B07", "C25"];

/// Discharge coefficient of ISO 5167-2:2003 Eq. (4) for a pipe diameter in m.
fn rhg(beta: f64, re: f64, d_pipe: f64, taps: usize) -> f64 {
    let (l1, l2) = match taps {
        0 => (0.0, 0.0),
        1 => (0.0254 / d_pipe, 0.0254 / d_pipe),
        _ => (1.0, 0.47),
    };
    let a = (19_000.0 * beta / re).powf(0.8);
    let m2 = 2.0 * l2 / (1.0 - beta);
    let b4 = beta.powi(4);
    let mut c = 0.5961 + 0.0261 * beta * beta - 0.216 * beta.powi(8)
        + 0.000_521 * (1e6 * beta / re).powf(0.7)
        + (0.0188 + 0.0063 * a) * beta.powf(3.5) * (1e6 / re).powf(0.3)
        + (0.043 + 0.080 * (-10.0 * l1).exp() - 0.123 * (-7.0 * l1).exp()) * (1.0 - 0.11 * a) * b4
            / (1.0 - b4)
        - 0.031 * (m2 - 0.8 * m2.powf(1.1)) * beta.powf(1.3);
    if d_pipe < 0.071_12 {
        c += 0.011 * (0.75 - beta) * (2.8 - d_pipe / 0.0254);
    }
    c
}

fn orifice(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (d_pipe_mm, d_mm, dp_kpa, p1_kpa, rho, mu_mpas, kappa, taps) =
        (x[0], x[1], x[2], x[3], x[4], x[5], x[6], x[7] as usize);
    let (d_pipe, d, dp, p1, mu) = (
        d_pipe_mm / 1000.0,
        d_mm / 1000.0,
        dp_kpa * 1000.0,
        p1_kpa * 1000.0,
        mu_mpas / 1000.0,
    );
    let beta = d / d_pipe;
    if !(0.1..=0.75).contains(&beta) || d_mm < 12.5 || dp >= p1 {
        return Err(Refusal::new(
            "outside ISO 5167-2: β must be 0.1 to 0.75, the bore at least 12.5 mm, and Δp below p₁",
            "超出 ISO 5167-2 适用范围：β 须在 0.1 至 0.75 之间，孔径不小于 12.5 mm，且 Δp 小于 p₁",
        ));
    }
    let b4 = beta.powi(4);
    let eps =
        1.0 - (0.351 + 0.256 * b4 + 0.93 * b4 * b4) * (1.0 - (1.0 - dp / p1).powf(1.0 / kappa));
    let area = std::f64::consts::PI / 4.0 * d * d;
    let flow = |c: f64| c / (1.0 - b4).sqrt() * eps * area * (2.0 * dp * rho).sqrt();
    let reynolds = |m: f64| 4.0 * m / (std::f64::consts::PI * mu * d_pipe);
    let mut c = 0.6;
    for _ in 0..100 {
        let next = rhg(beta, reynolds(flow(c)), d_pipe, taps);
        if (next - c).abs() < 1e-14 {
            c = next;
            break;
        }
        c = next;
    }
    let m = flow(c);
    let re = reynolds(m);
    let re_min = if taps == 1 {
        5000f64.max(170_000.0 * beta * beta * d_pipe)
    } else if beta > 0.56 {
        16_000.0 * beta * beta
    } else {
        5000.0
    };
    if re < re_min {
        return Err(Refusal::new(
            format!("the Reynolds number {re:.0} is below the standard's minimum {re_min:.0}"),
            format!("雷诺数 {re:.0} 低于标准下限 {re_min:.0}"),
        ));
    }
    Ok(vec![m, m / rho * 3600.0, c, eps, re, beta])
}

pub(crate) const MODELS: &[Model] = &[Model {
    card: card(
        "flow.iso5167_orifice",
        Text::new(
            "Orifice-plate flow (ISO 5167-2)",
            "孔板流量计算（ISO 5167-2）",
        ),
        Text::new(
            "Mass and volume flow through a square-edged orifice plate from the differential pressure, with the Reader-Harris/Gallagher discharge coefficient and the expansibility factor, solved iteratively on the Reynolds number.",
            "由差压计算标准孔板的质量流量与体积流量，流出系数按 Reader-Harris/Gallagher 公式、可膨胀性系数按标准公式，并按雷诺数迭代求解。",
        ),
        ModelKind::Mechanism,
        METER_INDUSTRIES,
        &[Domain::Production, Domain::Operations, Domain::Design],
        &[
            Port::new(
                "D",
                "Pipe internal diameter",
                "管道内径",
                "mm",
                50.0,
                1000.0,
            ),
            Port::new("d", "Orifice bore", "孔板开孔直径", "mm", 1.0, 1000.0),
            Port::new("dp", "Differential pressure", "差压", "kPa", 0.0, 250.0),
            Port::new(
                "p1",
                "Upstream pressure (absolute)",
                "上游绝对压力",
                "kPa",
                1.0,
                1e5,
            ),
            Port::new(
                "rho",
                "Fluid density at the upstream tap",
                "上游取压口流体密度",
                "kg/m3",
                1e-3,
                3e4,
            ),
            Port::new("mu", "Dynamic viscosity", "动力黏度", "mPa.s", 1e-4, 1e4),
            Port::new(
                "kappa",
                "Isentropic exponent (liquids: any, ε ≈ 1)",
                "等熵指数（液体可任取，ε ≈ 1）",
                "",
                1.0,
                2.0,
            )
            .default(1.4),
            Port::choice(
                "taps",
                "Pressure tappings",
                "取压方式",
                &["corner", "flange", "D_and_D2"],
            ),
        ],
        &[
            Port::out("q_m", "Mass flow", "质量流量", "kg/s"),
            Port::out(
                "q_v",
                "Volume flow at upstream conditions",
                "上游工况体积流量",
                "m3/h",
            ),
            Port::out("C", "Discharge coefficient", "流出系数", ""),
            Port::out("epsilon", "Expansibility factor", "可膨胀性系数", ""),
            Port::out("Re_D", "Pipe Reynolds number", "管道雷诺数", ""),
            Port::out("beta", "Diameter ratio", "直径比", ""),
        ],
        Text::new(
            "q_m = C/√(1 − β⁴)·ε·(π/4)d²·√(2Δp·ρ₁); C by Reader-Harris/Gallagher with L₁, L₂′ of the tappings (+0.011(0.75 − β)(2.8 − D/25.4 mm) for D < 71.12 mm); ε = 1 − (0.351 + 0.256β⁴ + 0.93β⁸)[1 − (p₂/p₁)^(1/κ)]; iterated on Re_D = 4q_m/(πμD).",
            "q_m = C/√(1 − β⁴)·ε·(π/4)d²·√(2Δp·ρ₁)；C 按 Reader-Harris/Gallagher 公式并取相应取压方式的 L₁、L₂′（D < 71.12 mm 时加 0.011(0.75 − β)(2.8 − D/25.4 mm)）；ε = 1 − (0.351 + 0.256β⁴ + 0.93β⁸)[1 − (p₂/p₁)^(1/κ)]；按 Re_D = 4q_m/(πμD) 迭代。",
        ),
        &[
            Reference {
                source: "ISO 5167-2:2003 (GB/T 2624.2-2006), Measurement of fluid flow by means of pressure differential devices inserted in circular cross-section conduits running full — Part 2: Orifice plates",
                locator: "the Reader-Harris/Gallagher discharge coefficient, the expansibility factor and the limits of use",
            },
            Reference {
                source: "ISO 5167-1:2003 (GB/T 2624.1-2006), Part 1: General principles and requirements",
                locator: "mass flow equation and iterative computation",
            },
        ],
    ),
    eval: Eval::Scalar(orifice),
}];
