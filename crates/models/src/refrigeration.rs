//! Cooling plant and carbon accounting: Carnot and actual COP, chiller performance from
//! water-side measurements, cooling-tower range, approach and water balance, and CO₂
//! from fuel combustion and purchased electricity and heat (GB/T 32150).

use crate::{Eval, Model, card};
use ironloom_core::model::{Domain, ModelKind, Port, Reference, Refusal, Text};

const COOLING_INDUSTRIES: &[&str] = &["C26", "C27", "C13", "C39", "D44", "I65"];
const CARBON_INDUSTRIES: &[&str] = &["C25", "C26", "C30", "C31", "C34", "D44"];
const PLANT: &[Domain] = &[Domain::Operations, Domain::Service];
const GB_32150: &str = "GB/T 32150-2015, 工业企业温室气体排放核算和报告通则 (General guideline of greenhouse gas emissions accounting and reporting for industrial enterprises)";
/// Specific heat of water used by the chiller rating standards, kJ/(kg·K).
const CP_WATER: f64 = 4.186;

fn carnot(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (tl, th, q, p) = (x[0] + 273.15, x[1] + 273.15, x[2], x[3]);
    if th <= tl {
        return Err(Refusal::new(
            "the condensing temperature must exceed the evaporating temperature",
            "冷凝温度必须高于蒸发温度",
        ));
    }
    let cop_c = tl / (th - tl);
    let cop = q / p;
    Ok(vec![cop_c, th / (th - tl), cop, cop / cop_c])
}

fn chiller(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (flow, t_in, t_out, p, rho, cp) = (x[0], x[1], x[2], x[3], x[4], x[5]);
    if t_in <= t_out {
        return Err(Refusal::new(
            "the chilled water must leave colder than it enters",
            "冷冻水出水温度必须低于进水温度",
        ));
    }
    let q = flow * rho / 3600.0 * cp * (t_in - t_out);
    let cop = q / p;
    let rt = q / 3.516_852_842_067_2;
    Ok(vec![q, rt, cop, p / rt, cop * 3.412_141_633])
}

fn cooling_tower(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (hot, cold, wb, flow, cycles, drift) = (x[0], x[1], x[2], x[3], x[4], x[5]);
    if !(hot > cold && cold > wb) {
        return Err(Refusal::new(
            "the temperatures must fall from hot water to cold water to wet bulb",
            "温度须满足进水 > 出水 > 湿球温度",
        ));
    }
    let range = hot - cold;
    // 0.00085 per °F of range = 0.00153 per °C.
    let evaporation = 0.00085 * 1.8 * range * flow;
    let drift_loss = drift * flow;
    let blowdown = (evaporation / (cycles - 1.0) - drift_loss).max(0.0);
    Ok(vec![
        range,
        cold - wb,
        range / (hot - wb),
        evaporation,
        blowdown,
        evaporation + blowdown + drift_loss,
    ])
}

fn fuel_co2(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (amount, ncv, cc, of) = (x[0], x[1], x[2], x[3]);
    let energy = amount * ncv;
    let ef = cc * of * 44.0 / 12.0;
    Ok(vec![energy, ef, energy * ef])
}

/// Carbon content per unit of heat, kg C per GJ, of the IPCC default carbon emission
/// factors (1996 Revised Guidelines; most unchanged in the 2006 Guidelines), in the order
/// of the `fuel` choices.
const CARBON_CONTENT: [f64; 11] = [
    20.0, 18.9, 19.6, 19.5, 20.2, 21.1, 17.2, 20.0, 26.8, 25.8, 27.6,
];

fn fuel_default(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (energy, fuel, of) = (x[0], x[1] as usize, x[2]);
    let cc = CARBON_CONTENT[fuel];
    let ef = cc * of * 44.0 / 12.0 / 1000.0;
    Ok(vec![cc, ef, energy * ef])
}

fn purchased_co2(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (e, ef_e, h, ef_h) = (x[0], x[1], x[2], x[3]);
    let (ce, ch) = (e * ef_e, h * ef_h);
    Ok(vec![ce, ch, ce + ch])
}

pub(crate) const MODELS: &[Model] = &[
    Model {
        card: card(
            "refrig.cop_carnot",
            Text::new(
                "Refrigeration COP: Carnot and actual",
                "制冷系数：卡诺与实际",
            ),
            Text::new(
                "Carnot COP of a refrigerator and of a heat pump between the evaporating and condensing temperatures, the actual COP from the cooling capacity and power, and its second-law efficiency.",
                "由蒸发与冷凝温度计算制冷机和热泵的卡诺制冷（制热）系数，由制冷量和功率计算实际 COP 及其热力学完善度。",
            ),
            ModelKind::Mechanism,
            COOLING_INDUSTRIES,
            &[Domain::Design, Domain::Operations],
            &[
                Port::new(
                    "T_evap",
                    "Evaporating temperature",
                    "蒸发温度",
                    "°C",
                    -273.0,
                    500.0,
                ),
                Port::new(
                    "T_cond",
                    "Condensing temperature",
                    "冷凝温度",
                    "°C",
                    -273.0,
                    500.0,
                ),
                Port::new("Q_c", "Cooling capacity", "制冷量", "kW", 0.0, 1e6),
                Port::new(
                    "P",
                    "Compressor input power",
                    "压缩机输入功率",
                    "kW",
                    1e-9,
                    1e6,
                ),
            ],
            &[
                Port::out("COP_carnot", "Carnot COP (cooling)", "卡诺制冷系数", ""),
                Port::out("COP_hp_carnot", "Carnot COP (heating)", "卡诺制热系数", ""),
                Port::out("COP", "Actual COP", "实际制冷系数", ""),
                Port::out("eta_II", "Second-law efficiency", "热力学完善度", ""),
            ],
            Text::new(
                "COP_C = T_L/(T_H − T_L), COP_HP,C = T_H/(T_H − T_L) (kelvin); COP = Q_c/P; η_II = COP/COP_C.",
                "COP_C = T_L/(T_H − T_L)，COP_HP,C = T_H/(T_H − T_L)（开尔文）；COP = Q_c/P；η_II = COP/COP_C。",
            ),
            &[Reference {
                source: "Çengel, Y. A., Boles, M. A., Thermodynamics: An Engineering Approach, 8th ed., McGraw-Hill, 2015",
                locator: "ch. 6, the Carnot refrigerator and heat pump (COP_R,rev, COP_HP,rev)",
            }],
        ),
        eval: Eval::Scalar(carnot),
    },
    Model {
        card: card(
            "chiller.performance",
            Text::new(
                "Chiller capacity, COP and kW per ton",
                "冷水机组制冷量、COP 与单位冷吨耗电",
            ),
            Text::new(
                "Cooling capacity of a water chiller from the chilled-water flow and temperatures, and its COP, kW/RT and EER from the measured input power.",
                "由冷冻水流量和进出水温度计算冷水机组制冷量，并由实测输入功率计算 COP、kW/RT 和 EER。",
            ),
            ModelKind::Mechanism,
            COOLING_INDUSTRIES,
            PLANT,
            &[
                Port::new("flow", "Chilled-water flow", "冷冻水流量", "m3/h", 0.0, 1e6),
                Port::new(
                    "T_in",
                    "Chilled-water return (inlet)",
                    "冷冻水进水温度",
                    "°C",
                    -20.0,
                    60.0,
                ),
                Port::new(
                    "T_out",
                    "Chilled-water supply (outlet)",
                    "冷冻水出水温度",
                    "°C",
                    -20.0,
                    60.0,
                ),
                Port::new("P", "Input power", "输入功率", "kW", 1e-9, 1e6),
                Port::new("rho", "Water density", "水密度", "kg/m3", 500.0, 1500.0).default(1000.0),
                Port::new(
                    "cp",
                    "Water specific heat",
                    "水比热容",
                    "kJ/(kg.K)",
                    0.5,
                    10.0,
                )
                .default(CP_WATER),
            ],
            &[
                Port::out("Q_c", "Cooling capacity", "制冷量", "kW"),
                Port::out(
                    "RT",
                    "Cooling capacity in refrigeration tons",
                    "制冷量（冷吨）",
                    "",
                ),
                Port::out("COP", "Coefficient of performance", "性能系数", ""),
                Port::out(
                    "kW_per_RT",
                    "Power per refrigeration ton",
                    "单位冷吨耗电",
                    "kW",
                ),
                Port::out(
                    "EER",
                    "Energy efficiency ratio (Btu/Wh)",
                    "能效比（Btu/Wh）",
                    "",
                ),
            ],
            Text::new(
                "Q_c = V·ρ·c_p·(T_in − T_out); COP = Q_c/P; RT = Q_c/3.51685 kW; kW/RT = P/RT; EER = 3.41214·COP.",
                "Q_c = V·ρ·c_p·(T_in − T_out)；COP = Q_c/P；冷吨 = Q_c/3.51685 kW；kW/RT = P/冷吨；EER = 3.41214·COP。",
            ),
            &[
                Reference {
                    source: "GB/T 18430.1-2007, 蒸气压缩循环冷水（热泵）机组 第1部分：工业或商业用及类似用途的冷水（热泵）机组",
                    locator: "制冷量与性能系数的测定",
                },
                Reference {
                    source: "AHRI Standard 550/590 (I-P)-2020, Performance Rating of Water-chilling and Heat Pump Water-heating Packages",
                    locator: "definitions (COP, kW/ton, EER)",
                },
            ],
        ),
        eval: Eval::Scalar(chiller),
    },
    Model {
        card: card(
            "cooling_tower.performance",
            Text::new(
                "Cooling tower range, approach and make-up water",
                "冷却塔温差、逼近度与补水量",
            ),
            Text::new(
                "Range, approach and effectiveness of a wet cooling tower, its evaporation by the rule of thumb of 0.085 % of the flow per °F of range, and the blowdown and make-up for given cycles of concentration.",
                "计算湿式冷却塔的温差、逼近度和效率，按每 °F 温差蒸发循环水量 0.085 % 的经验式计算蒸发损失，并按浓缩倍数计算排污量与补水量。",
            ),
            ModelKind::Mechanism,
            COOLING_INDUSTRIES,
            PLANT,
            &[
                Port::new(
                    "T_hot",
                    "Hot-water (inlet) temperature",
                    "进塔水温",
                    "°C",
                    -10.0,
                    100.0,
                ),
                Port::new(
                    "T_cold",
                    "Cold-water (outlet) temperature",
                    "出塔水温",
                    "°C",
                    -10.0,
                    100.0,
                ),
                Port::new(
                    "T_wb",
                    "Ambient wet-bulb temperature",
                    "环境湿球温度",
                    "°C",
                    -40.0,
                    60.0,
                ),
                Port::new(
                    "flow",
                    "Circulating water flow",
                    "循环水量",
                    "m3/h",
                    0.0,
                    1e7,
                ),
                Port::new(
                    "cycles",
                    "Cycles of concentration",
                    "浓缩倍数",
                    "",
                    1.01,
                    100.0,
                )
                .default(4.0),
                Port::new(
                    "drift",
                    "Drift loss, share of flow",
                    "风吹损失率",
                    "",
                    0.0,
                    0.01,
                )
                .default(0.0),
            ],
            &[
                Port::out("range", "Range", "冷却温差", "K").difference(),
                Port::out("approach", "Approach", "逼近度", "K").difference(),
                Port::out("effectiveness", "Effectiveness", "冷却效率", ""),
                Port::out("evaporation", "Evaporation loss", "蒸发损失", "m3/h"),
                Port::out("blowdown", "Blowdown", "排污量", "m3/h"),
                Port::out("makeup", "Make-up water", "补水量", "m3/h"),
            ],
            Text::new(
                "Range = T_hot − T_cold; approach = T_cold − T_wb; effectiveness = range/(T_hot − T_wb); E = 0.00085·1.8·range·flow; blowdown = E/(N − 1) − drift; make-up = E + blowdown + drift.",
                "冷却温差 = T_hot − T_cold；逼近度 = T_cold − T_wb；效率 = 温差/(T_hot − T_wb)；E = 0.00085·1.8·温差·流量；排污 = E/(N − 1) − 风吹损失；补水 = E + 排污 + 风吹损失。",
            ),
            &[
                Reference {
                    source: "Perry's Chemical Engineers' Handbook, 8th ed., McGraw-Hill, 2008",
                    locator: "§12, cooling towers: make-up water (evaporation, drift, blowdown)",
                },
                Reference {
                    source: "GB/T 50102-2014, 工业循环水冷却设计规范",
                    locator: "蒸发损失、风吹损失与排污损失",
                },
            ],
        ),
        eval: Eval::Scalar(cooling_tower),
    },
    Model {
        card: card(
            "carbon.fuel_combustion",
            Text::new("CO₂ from fuel combustion", "化石燃料燃烧二氧化碳排放"),
            Text::new(
                "CO₂ emitted by burning a fuel, from its consumption, net calorific value, carbon content per unit of heat and oxidation rate (the calculation method of GB/T 32150).",
                "按 GB/T 32150 的计算法，由燃料消耗量、低位发热量、单位热值含碳量和碳氧化率计算燃烧产生的二氧化碳排放。",
            ),
            ModelKind::Process,
            CARBON_INDUSTRIES,
            &[Domain::Operations, Domain::Management],
            &[
                Port::new(
                    "AD",
                    "Fuel consumed (t, or 10⁴ Nm³ for gas)",
                    "燃料消耗量（t，气体为 10⁴ Nm³）",
                    "",
                    0.0,
                    1e12,
                ),
                Port::new(
                    "NCV",
                    "Net calorific value per unit of fuel",
                    "单位燃料低位发热量",
                    "GJ",
                    0.0,
                    1e6,
                ),
                Port::new(
                    "CC",
                    "Carbon content per unit of heat",
                    "单位热值含碳量",
                    "t/GJ",
                    0.0,
                    1.0,
                ),
                Port::new("OF", "Carbon oxidation rate", "碳氧化率", "", 0.0, 1.0).default(1.0),
            ],
            &[
                Port::out("energy", "Heat of the fuel", "燃料热量", "GJ"),
                Port::out("EF", "Emission factor", "排放因子", "t/GJ"),
                Port::out("E_CO2", "CO₂ emission", "二氧化碳排放量", "t"),
            ],
            Text::new("E = AD·NCV·CC·OF·44/12.", "E = AD·NCV·CC·OF·44/12。"),
            &[
                Reference {
                    source: GB_32150,
                    locator: "calculation method: emissions from fuel combustion",
                },
                Reference {
                    source: "IPCC, 2006 IPCC Guidelines for National Greenhouse Gas Inventories, vol. 2",
                    locator: "ch. 1, Eq. 1.1 (tier 1, emission = fuel × emission factor)",
                },
            ],
        ),
        eval: Eval::Scalar(fuel_co2),
    },
    Model {
        card: card(
            "carbon.fuel_default_factors",
            Text::new(
                "CO₂ from fuel heat with default carbon contents",
                "按缺省单位热值含碳量计算燃料燃烧二氧化碳",
            ),
            Text::new(
                "CO₂ emitted by burning a quantity of heat of a common fuel, with the IPCC default carbon content per unit of heat when no measured value is available (tier 1).",
                "无实测值时，按 IPCC 缺省单位热值含碳量（方法1）计算燃烧一定热量的常用燃料产生的二氧化碳。",
            ),
            ModelKind::Process,
            CARBON_INDUSTRIES,
            &[Domain::Operations, Domain::Management],
            &[
                Port::new(
                    "energy",
                    "Heat of the fuel burnt (net calorific value)",
                    "燃料燃烧热量（低位发热量）",
                    "GJ",
                    0.0,
                    1e12,
                ),
                Port::choice(
                    "fuel",
                    "Fuel",
                    "燃料",
                    &[
                        "crude_oil",
                        "motor_gasoline",
                        "other_kerosene",
                        "jet_kerosene",
                        "gas_diesel_oil",
                        "residual_fuel_oil",
                        "lpg",
                        "naphtha",
                        "anthracite",
                        "other_bituminous_coal",
                        "lignite",
                    ],
                ),
                Port::new("OF", "Carbon oxidation rate", "碳氧化率", "", 0.0, 1.0).default(1.0),
            ],
            &[
                Port::out(
                    "CC",
                    "Carbon content per unit of heat",
                    "单位热值含碳量",
                    "kg/GJ",
                ),
                Port::out("EF", "CO₂ emission factor", "二氧化碳排放因子", "t/GJ"),
                Port::out("E_CO2", "CO₂ emission", "二氧化碳排放量", "t"),
            ],
            Text::new(
                "E = energy·CC·OF·44/12; CC (kg C/GJ): crude oil 20.0, gasoline 18.9, other kerosene 19.6, jet kerosene 19.5, gas/diesel oil 20.2, residual fuel oil 21.1, LPG 17.2, naphtha 20.0, anthracite 26.8, other bituminous coal 25.8, lignite 27.6.",
                "E = 热量·CC·OF·44/12；CC（kg C/GJ）：原油 20.0，汽油 18.9，其他煤油 19.6，航空煤油 19.5，柴油 20.2，燃料油 21.1，液化石油气 17.2，石脑油 20.0，无烟煤 26.8，其他烟煤 25.8，褐煤 27.6。",
            ),
            &[
                Reference {
                    source: "IPCC, Revised 1996 IPCC Guidelines for National Greenhouse Gas Inventories, Reference Manual",
                    locator: "ch. 1, Energy: default carbon emission factors (t C/TJ)",
                },
                Reference {
                    source: "IPCC, 2006 IPCC Guidelines for National Greenhouse Gas Inventories, vol. 2",
                    locator: "ch. 1, default carbon content per unit of heat",
                },
                Reference {
                    source: GB_32150,
                    locator: "calculation method: emissions from fuel combustion",
                },
            ],
        ),
        eval: Eval::Scalar(fuel_default),
    },
    Model {
        card: card(
            "carbon.purchased_electricity_heat",
            Text::new(
                "Indirect CO₂ from purchased electricity and heat",
                "外购电力与热力的间接二氧化碳排放",
            ),
            Text::new(
                "Indirect CO₂ of the electricity and heat a site buys, from the quantities and the emission factors the reporting rules prescribe (the grid factor is an input: it changes by year and region).",
                "由外购电量、热量及主管部门规定的排放因子计算间接二氧化碳排放（电网排放因子随年份与区域变化，作为输入）。",
            ),
            ModelKind::Process,
            CARBON_INDUSTRIES,
            &[Domain::Operations, Domain::Management],
            &[
                Port::new("E", "Electricity purchased", "外购电量", "MWh", 0.0, 1e12),
                Port::new(
                    "EF_e",
                    "Grid emission factor",
                    "电网排放因子",
                    "t/MWh",
                    0.0,
                    10.0,
                ),
                Port::new("H", "Heat purchased", "外购热力", "GJ", 0.0, 1e12).default(0.0),
                Port::new(
                    "EF_h",
                    "Heat emission factor",
                    "热力排放因子",
                    "t/GJ",
                    0.0,
                    1.0,
                )
                .default(0.11),
            ],
            &[
                Port::out("E_e", "CO₂ from electricity", "电力间接排放", "t"),
                Port::out("E_h", "CO₂ from heat", "热力间接排放", "t"),
                Port::out("E_total", "Indirect CO₂", "间接排放合计", "t"),
            ],
            Text::new(
                "E = AD_e·EF_e + AD_h·EF_h (EF_h default 0.11 tCO₂/GJ).",
                "E = AD_电·EF_电 + AD_热·EF_热（EF_热 默认 0.11 tCO₂/GJ）。",
            ),
            &[
                Reference {
                    source: GB_32150,
                    locator: "emissions from purchased electricity and heat",
                },
                Reference {
                    source: "GB/T 32151.1-2015 (and the other parts), 温室气体排放核算与报告要求",
                    locator: "默认热力排放因子 0.11 tCO₂/GJ",
                },
            ],
        ),
        eval: Eval::Scalar(purchased_co2),
    },
];
