//! Energy management: heating and cooling degree days from daily mean temperatures, and
//! the electricity bill of a load profile under a time-of-use tariff with a demand charge.

use crate::{Eval, Model, card};
use ironloom_core::model::{Datum, Domain, ModelKind, Port, Reference, Refusal, Text};

fn degree_days(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    let temps = d[0].series();
    let (heat_base, cool_base) = (d[1].scalar(), d[2].scalar());
    let days: Vec<f64> = temps.iter().copied().filter(|t| t.is_finite()).collect();
    if days.is_empty() {
        return Err(Refusal::new(
            "give at least one daily mean temperature",
            "请至少给出一个日平均气温",
        ));
    }
    let hdd: f64 = days.iter().map(|t| (heat_base - t).max(0.0)).sum();
    let cdd: f64 = days.iter().map(|t| (t - cool_base).max(0.0)).sum();
    Ok(vec![
        Datum::Scalar(hdd),
        Datum::Scalar(cdd),
        Datum::Scalar(days.len() as f64),
    ])
}

fn tou_bill(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    let (load, period) = (d[0].series(), d[1].series());
    let (step_min, demand_price) = (d[2].scalar(), d[7].scalar());
    let prices = [d[3].scalar(), d[4].scalar(), d[5].scalar(), d[6].scalar()];
    if load.is_empty() || load.len() != period.len() {
        return Err(Refusal::new(
            "give the load and the period of each interval, of the same length",
            "请给出每个时段的负荷及其电价时段，长度相同",
        ));
    }
    let mut energy = [0.0; 4];
    let mut peak: f64 = 0.0;
    for (&p, &k) in load.iter().zip(period) {
        if !p.is_finite() {
            continue;
        }
        if !(k.is_finite() && k.fract() == 0.0 && (0.0..=3.0).contains(&k)) {
            return Err(Refusal::new(
                "each period is 0 (critical peak), 1 (peak), 2 (flat) or 3 (valley)",
                "电价时段须为 0（尖峰）、1（高峰）、2（平段）或 3（低谷）",
            ));
        }
        energy[k as usize] += p * step_min / 60.0;
        peak = peak.max(p);
    }
    let energy_cost: f64 = energy.iter().zip(prices).map(|(e, c)| e * c).sum();
    let total_energy: f64 = energy.iter().sum();
    let demand_cost = peak * demand_price;
    let total = energy_cost + demand_cost;
    let mut out: Vec<Datum> = energy.iter().map(|&e| Datum::Scalar(e)).collect();
    out.extend([
        Datum::Scalar(energy_cost),
        Datum::Scalar(peak),
        Datum::Scalar(demand_cost),
        Datum::Scalar(total),
        Datum::Scalar(if total_energy > 0.0 {
            total / total_energy
        } else {
            0.0
        }),
    ]);
    Ok(out)
}

pub(crate) const MODELS: &[Model] = &[
    Model {
        card: card(
            "energy.degree_days",
            Text::new("Heating and cooling degree days", "采暖度日数与空调度日数"),
            Text::new(
                "Heating and cooling degree days from daily mean outdoor temperatures and base temperatures, for weather-normalising the energy use of buildings and plants.",
                "由日平均室外气温和基准温度计算采暖度日数与空调度日数，用于建筑和工厂能耗的气候归一化。",
            ),
            ModelKind::Process,
            &["D44", "E47", "K70", "C13", "C14"],
            &[Domain::Management, Domain::Operations],
            &[
                Port::series("T_mean", "Daily mean temperatures", "日平均气温", "°C"),
                Port::new(
                    "base_heating",
                    "Heating base temperature",
                    "采暖基准温度",
                    "°C",
                    -30.0,
                    40.0,
                )
                .default(18.0),
                Port::new(
                    "base_cooling",
                    "Cooling base temperature",
                    "空调基准温度",
                    "°C",
                    -30.0,
                    40.0,
                )
                .default(26.0),
            ],
            &[
                Port::out("HDD", "Heating degree days", "采暖度日数", "K.d"),
                Port::out("CDD", "Cooling degree days", "空调度日数", "K.d"),
                Port::out("days", "Days counted", "计入天数", ""),
            ],
            Text::new(
                "HDD = Σ max(0, T_base,h − T_mean); CDD = Σ max(0, T_mean − T_base,c) over the days with a value.",
                "HDD = Σ max(0, T_基准,采暖 − T_日均)；CDD = Σ max(0, T_日均 − T_基准,空调)，对有数据的各日求和。",
            ),
            &[
                Reference {
                    source: "GB 50176-2016, Code for thermal design of civil buildings (民用建筑热工设计规范)",
                    locator: "heating degree days HDD18 and cooling degree days CDD26 (terms and climate zoning)",
                },
                Reference {
                    source: "ASHRAE Handbook — Fundamentals, 2017 (SI), ch. 14 Climatic Design Information",
                    locator: "degree days from daily mean temperatures",
                },
            ],
        ),
        eval: Eval::Data(degree_days),
    },
    Model {
        card: card(
            "energy.tou_electricity_bill",
            Text::new(
                "Electricity bill under a time-of-use tariff",
                "分时电价下的电费",
            ),
            Text::new(
                "Energy per tariff period, energy charge, maximum demand, demand charge, total and average price of an interval load profile under a time-of-use tariff (critical peak, peak, flat, valley) with a two-part demand charge.",
                "按分时电价（尖峰、高峰、平段、低谷）和两部制需量电价，计算分时段负荷曲线的各时段电量、电度电费、最大需量、需量电费、总电费和平均电价。",
            ),
            ModelKind::Process,
            &["D44", "C30", "C31", "C26", "C13"],
            &[Domain::Management, Domain::Operations],
            &[
                Port::series("P", "Average load in each interval", "各时段平均负荷", "kW"),
                Port::series(
                    "period",
                    "Tariff period of each interval (0 critical peak, 1 peak, 2 flat, 3 valley)",
                    "各时段电价时段（0 尖峰，1 高峰，2 平段，3 低谷）",
                    "",
                ),
                Port::new(
                    "interval",
                    "Interval length",
                    "时段长度",
                    "min",
                    1.0,
                    1440.0,
                )
                .default(15.0),
                Port::new(
                    "price_critical",
                    "Critical-peak price per kWh",
                    "尖峰电价（每 kWh）",
                    "",
                    0.0,
                    1e3,
                ),
                Port::new(
                    "price_peak",
                    "Peak price per kWh",
                    "高峰电价（每 kWh）",
                    "",
                    0.0,
                    1e3,
                ),
                Port::new(
                    "price_flat",
                    "Flat price per kWh",
                    "平段电价（每 kWh）",
                    "",
                    0.0,
                    1e3,
                ),
                Port::new(
                    "price_valley",
                    "Valley price per kWh",
                    "低谷电价（每 kWh）",
                    "",
                    0.0,
                    1e3,
                ),
                Port::new(
                    "price_demand",
                    "Demand price per kW of maximum demand",
                    "需量电价（每 kW 最大需量）",
                    "",
                    0.0,
                    1e4,
                )
                .default(0.0),
            ],
            &[
                Port::out("E_critical", "Critical-peak energy", "尖峰电量", "kWh"),
                Port::out("E_peak", "Peak energy", "高峰电量", "kWh"),
                Port::out("E_flat", "Flat energy", "平段电量", "kWh"),
                Port::out("E_valley", "Valley energy", "低谷电量", "kWh"),
                Port::out("energy_cost", "Energy charge", "电度电费", ""),
                Port::out("P_max", "Maximum interval demand", "最大需量", "kW"),
                Port::out("demand_cost", "Demand charge", "需量电费", ""),
                Port::out("total", "Total bill", "总电费", ""),
                Port::out(
                    "price_avg",
                    "Average price per kWh",
                    "平均电价（每 kWh）",
                    "",
                ),
            ],
            Text::new(
                "E_k = Σ_{period = k} P·Δt; energy charge = Σ E_k·c_k; demand charge = max P·c_D; average = total/Σ E_k.",
                "E_k = Σ_{时段 = k} P·Δt；电度电费 = Σ E_k·c_k；需量电费 = max P·c_D；平均电价 = 总电费/Σ E_k。",
            ),
            &[Reference {
                source: "国家发展改革委, 关于进一步完善分时电价机制的通知（发改价格〔2021〕1093号）",
                locator: "peak, flat, valley and critical-peak periods and prices; two-part tariff with demand charge",
            }],
        ),
        eval: Eval::Data(tou_bill),
    },
];
