//! Device kinds (设备种类): what a product is, from a fixed list so that kinds can be
//! counted across tenants (the criteria ask for ≥ 30 kinds connected, ≥ 3 managed). Each
//! kind belongs to one of the four categories of the criteria, which a product takes as
//! its category unless it says otherwise.

use crate::i18n::Locale;
use crate::industry::DeviceCategory;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub struct DeviceKind {
    pub code: &'static str,
    pub category: DeviceCategory,
    pub name_zh: &'static str,
    pub name_en: &'static str,
}

impl DeviceKind {
    pub fn name(&self, locale: Locale) -> &'static str {
        locale.pick(self.name_en, self.name_zh)
    }
}

macro_rules! kinds {
    ($($category:ident $code:literal $zh:literal $en:literal;)*) => {
        pub const KINDS: &[DeviceKind] = &[
            $(DeviceKind {
                code: $code,
                category: DeviceCategory::$category,
                name_zh: $zh,
                name_en: $en,
            },)*
        ];
    };
}

kinds! {
    Operating "pump" "泵" "Pump";
    Operating "fan" "风机" "Fan or blower";
    Operating "air_compressor" "空气压缩机" "Air compressor";
    Operating "motor" "电动机" "Electric motor";
    Operating "boiler" "锅炉" "Boiler";
    Operating "chiller" "冷水机组" "Chiller";
    Operating "cooling_tower" "冷却塔" "Cooling tower";
    Operating "air_handling_unit" "空调机组" "Air handling unit";
    Operating "transformer" "变压器" "Transformer";
    Operating "switchgear" "开关柜" "Switchgear";
    Operating "generator" "发电机组" "Generator set";
    Operating "pv_inverter" "光伏逆变器" "PV inverter";
    Operating "energy_storage" "储能系统" "Energy storage system";
    Operating "heat_exchanger" "换热器" "Heat exchanger";
    Operating "reactor" "反应釜" "Reactor";
    Operating "distillation_column" "精馏塔" "Distillation column";
    Operating "kiln" "窑炉" "Kiln or furnace";
    Operating "dryer" "干燥机" "Dryer";
    Operating "mixer" "搅拌机" "Mixer";
    Operating "centrifuge" "离心机" "Centrifuge";
    Operating "control_valve" "调节阀" "Control valve";
    Operating "conveyor" "输送机" "Conveyor";
    Operating "water_treatment" "水处理设备" "Water treatment unit";
    Processing "cnc_lathe" "数控车床" "CNC lathe";
    Processing "machining_center" "加工中心" "Machining centre";
    Processing "milling_machine" "铣床" "Milling machine";
    Processing "grinder" "磨床" "Grinding machine";
    Processing "drilling_machine" "钻床" "Drilling machine";
    Processing "edm" "电火花机床" "EDM machine";
    Processing "laser_cutter" "激光切割机" "Laser cutter";
    Processing "stamping_press" "冲压机" "Stamping press";
    Processing "press_brake" "折弯机" "Press brake";
    Processing "forging_press" "锻压机" "Forging press";
    Processing "injection_molding" "注塑机" "Injection moulding machine";
    Processing "extruder" "挤出机" "Extruder";
    Processing "die_casting" "压铸机" "Die-casting machine";
    Processing "welding_robot" "焊接机器人" "Welding robot";
    Processing "industrial_robot" "工业机器人" "Industrial robot";
    Processing "additive_manufacturing" "增材制造设备" "Additive manufacturing machine";
    Processing "heat_treatment" "热处理炉" "Heat-treatment furnace";
    Processing "coating_line" "涂装线" "Coating line";
    Processing "loom" "织机" "Loom";
    Processing "spinning_frame" "纺纱机" "Spinning frame";
    Processing "knitting_machine" "针织机" "Knitting machine";
    Processing "sewing_machine" "工业缝纫机" "Industrial sewing machine";
    Processing "dyeing_machine" "染色机" "Dyeing machine";
    Processing "printing_press" "印刷机" "Printing press";
    Processing "packaging_machine" "包装机" "Packaging machine";
    Processing "filling_machine" "灌装机" "Filling machine";
    Processing "sterilizer" "杀菌机" "Sterilizer";
    Processing "smt_placement" "贴片机" "SMT placement machine";
    Processing "reflow_oven" "回流焊炉" "Reflow oven";
    Processing "woodworking_machine" "木工机械" "Woodworking machine";
    Mobile "agv" "AGV / AMR" "AGV / AMR";
    Mobile "forklift" "叉车" "Forklift";
    Mobile "overhead_crane" "桥式起重机" "Overhead crane";
    Mobile "tower_crane" "塔式起重机" "Tower crane";
    Mobile "truck" "载货汽车" "Truck";
    Mobile "excavator" "挖掘机" "Excavator";
    Mobile "loader" "装载机" "Wheel loader";
    Mobile "tractor" "拖拉机" "Tractor";
    Mobile "harvester" "收获机械" "Harvester";
    Mobile "rail_vehicle" "轨道车辆" "Rail vehicle";
    Mobile "vessel" "船舶" "Vessel";
    Mobile "drone" "无人机" "Drone";
    Other "sensor" "传感器" "Sensor";
    Other "energy_meter" "电能表" "Energy meter";
    Other "flow_meter" "流量计" "Flow meter";
    Other "environment_monitor" "环境监测仪" "Environmental monitor";
    Other "plc" "PLC 控制器" "PLC";
    Other "gateway" "网关" "Gateway";
    Other "machine_vision" "工业相机" "Machine-vision camera";
    Other "test_instrument" "检测仪器" "Test instrument";
    Other "weighbridge" "地磅" "Weighbridge";
    Other "rfid_reader" "RFID 读写器" "RFID reader";
}

pub fn kind(code: &str) -> Option<&'static DeviceKind> {
    KINDS.iter().find(|k| k.code == code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_unique_and_cover_every_category() {
        let mut codes: Vec<_> = KINDS.iter().map(|k| k.code).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), KINDS.len());
        assert!(KINDS.len() >= 30);
        for c in DeviceCategory::ALL {
            assert!(KINDS.iter().any(|k| k.category == c), "{c:?}");
        }
        assert_eq!(kind("pump").unwrap().category, DeviceCategory::Operating);
        assert_eq!(kind("agv").unwrap().name(Locale::ZhCn), "AGV / AMR");
        assert!(kind("Pump").is_none());
    }
}
