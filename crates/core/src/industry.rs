//! Product classification: industry sections of GB/T 4754-2017 (国民经济行业分类, 门类 A–T)
//! and the device categories of the platform evaluation criteria (运行 / 加工 / 行走 / 其他).

use crate::i18n::Locale;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A section (门类) of GB/T 4754-2017, serialised as its letter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
pub enum Industry {
    A,
    B,
    C,
    D,
    E,
    F,
    G,
    H,
    I,
    J,
    K,
    L,
    M,
    N,
    O,
    P,
    Q,
    R,
    S,
    T,
}

impl Industry {
    pub const ALL: [Industry; 20] = [
        Industry::A,
        Industry::B,
        Industry::C,
        Industry::D,
        Industry::E,
        Industry::F,
        Industry::G,
        Industry::H,
        Industry::I,
        Industry::J,
        Industry::K,
        Industry::L,
        Industry::M,
        Industry::N,
        Industry::O,
        Industry::P,
        Industry::Q,
        Industry::R,
        Industry::S,
        Industry::T,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Industry::A => "A",
            Industry::B => "B",
            Industry::C => "C",
            Industry::D => "D",
            Industry::E => "E",
            Industry::F => "F",
            Industry::G => "G",
            Industry::H => "H",
            Industry::I => "I",
            Industry::J => "J",
            Industry::K => "K",
            Industry::L => "L",
            Industry::M => "M",
            Industry::N => "N",
            Industry::O => "O",
            Industry::P => "P",
            Industry::Q => "Q",
            Industry::R => "R",
            Industry::S => "S",
            Industry::T => "T",
        }
    }

    pub fn from_code(code: &str) -> Option<Industry> {
        Industry::ALL.into_iter().find(|i| i.code() == code)
    }

    /// The section's official name.
    pub fn name(self, locale: Locale) -> &'static str {
        let (en, zh) = match self {
            Industry::A => (
                "Agriculture, forestry, animal husbandry and fishery",
                "农、林、牧、渔业",
            ),
            Industry::B => ("Mining", "采矿业"),
            Industry::C => ("Manufacturing", "制造业"),
            Industry::D => (
                "Production and supply of electricity, heat, gas and water",
                "电力、热力、燃气及水生产和供应业",
            ),
            Industry::E => ("Construction", "建筑业"),
            Industry::F => ("Wholesale and retail trade", "批发和零售业"),
            Industry::G => (
                "Transport, storage and postal services",
                "交通运输、仓储和邮政业",
            ),
            Industry::H => ("Accommodation and catering", "住宿和餐饮业"),
            Industry::I => (
                "Information transmission, software and information technology services",
                "信息传输、软件和信息技术服务业",
            ),
            Industry::J => ("Finance", "金融业"),
            Industry::K => ("Real estate", "房地产业"),
            Industry::L => ("Leasing and business services", "租赁和商务服务业"),
            Industry::M => (
                "Scientific research and technical services",
                "科学研究和技术服务业",
            ),
            Industry::N => (
                "Water conservancy, environment and public facilities management",
                "水利、环境和公共设施管理业",
            ),
            Industry::O => (
                "Resident services, repair and other services",
                "居民服务、修理和其他服务业",
            ),
            Industry::P => ("Education", "教育"),
            Industry::Q => ("Health and social work", "卫生和社会工作"),
            Industry::R => ("Culture, sports and entertainment", "文化、体育和娱乐业"),
            Industry::S => (
                "Public administration, social security and social organisations",
                "公共管理、社会保障和社会组织",
            ),
            Industry::T => ("International organisations", "国际组织"),
        };
        locale.pick(en, zh)
    }
}

/// Device category used by the platform evaluation criteria.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeviceCategory {
    /// 运行设备: pumps, motors, boilers, compressors — equipment that runs a process.
    Operating,
    /// 加工设备: CNC machines, presses, injection moulding — equipment that works material.
    Processing,
    /// 行走设备: AGVs, forklifts, cranes, vehicles.
    Mobile,
    /// 其他设备.
    #[default]
    Other,
}

impl DeviceCategory {
    pub const ALL: [DeviceCategory; 4] = [
        DeviceCategory::Operating,
        DeviceCategory::Processing,
        DeviceCategory::Mobile,
        DeviceCategory::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DeviceCategory::Operating => "operating",
            DeviceCategory::Processing => "processing",
            DeviceCategory::Mobile => "mobile",
            DeviceCategory::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<DeviceCategory> {
        DeviceCategory::ALL.into_iter().find(|c| c.as_str() == s)
    }

    pub fn name(self, locale: Locale) -> &'static str {
        match self {
            DeviceCategory::Operating => locale.pick("Operating equipment", "运行设备"),
            DeviceCategory::Processing => locale.pick("Processing equipment", "加工设备"),
            DeviceCategory::Mobile => locale.pick("Mobile equipment", "行走设备"),
            DeviceCategory::Other => locale.pick("Other equipment", "其他设备"),
        }
    }
}

/// How devices of a product talk to the platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Protocol {
    #[default]
    Mqtt,
    Http,
    Coap,
    ModbusTcp,
    ModbusRtu,
    OpcUa,
    /// Reached through a gateway device that speaks for it.
    Gateway,
}

impl Protocol {
    pub const ALL: [Protocol; 7] = [
        Protocol::Mqtt,
        Protocol::Http,
        Protocol::Coap,
        Protocol::ModbusTcp,
        Protocol::ModbusRtu,
        Protocol::OpcUa,
        Protocol::Gateway,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Mqtt => "mqtt",
            Protocol::Http => "http",
            Protocol::Coap => "coap",
            Protocol::ModbusTcp => "modbus_tcp",
            Protocol::ModbusRtu => "modbus_rtu",
            Protocol::OpcUa => "opc_ua",
            Protocol::Gateway => "gateway",
        }
    }

    pub fn parse(s: &str) -> Option<Protocol> {
        Protocol::ALL.into_iter().find(|p| p.as_str() == s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for i in Industry::ALL {
            assert_eq!(Industry::from_code(i.code()), Some(i));
            assert!(!i.name(Locale::ZhCn).is_empty());
        }
        for c in DeviceCategory::ALL {
            assert_eq!(DeviceCategory::parse(c.as_str()), Some(c));
        }
        for p in Protocol::ALL {
            assert_eq!(Protocol::parse(p.as_str()), Some(p));
            let json = serde_json::to_string(&p).unwrap();
            assert_eq!(json, format!("\"{}\"", p.as_str()));
        }
        assert_eq!(Industry::C.name(Locale::ZhCn), "制造业");
    }
}
