//! The 97 divisions (大类) of GB/T 4754-2017 (国民经济行业分类), the industry granularity
//! the evaluation criteria count by (机械、汽车、纺织、食品、电子 … are divisions of C).
//! Codes are written as the section letter and two digits (`C34`); finer codes (`C341`,
//! `C3411`) belong to the division of their first two digits.

use crate::i18n::Locale;
use crate::industry::Industry;
use serde::Serialize;
use utoipa::ToSchema;

/// A division of GB/T 4754-2017.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub struct Division {
    /// Two digits, `34`.
    pub code: &'static str,
    /// Its section's letter, `C`.
    pub section: char,
    pub name_zh: &'static str,
    pub name_en: &'static str,
}

impl Division {
    /// `C34`.
    pub fn key(&self) -> String {
        format!("{}{}", self.section, self.code)
    }

    pub fn name(&self, locale: Locale) -> &'static str {
        locale.pick(self.name_en, self.name_zh)
    }

    pub fn industry(&self) -> Option<Industry> {
        Industry::from_code(&self.section.to_string())
    }
}

macro_rules! divisions {
    ($($section:literal $code:literal $zh:literal $en:literal;)*) => {
        pub const DIVISIONS: &[Division] = &[
            $(Division { code: $code, section: $section, name_zh: $zh, name_en: $en },)*
        ];
    };
}

divisions! {
    'A' "01" "农业" "Agriculture";
    'A' "02" "林业" "Forestry";
    'A' "03" "畜牧业" "Animal husbandry";
    'A' "04" "渔业" "Fishery";
    'A' "05" "农、林、牧、渔专业及辅助性活动" "Support activities for agriculture, forestry, animal husbandry and fishery";
    'B' "06" "煤炭开采和洗选业" "Coal mining and washing";
    'B' "07" "石油和天然气开采业" "Extraction of petroleum and natural gas";
    'B' "08" "黑色金属矿采选业" "Mining and processing of ferrous metal ores";
    'B' "09" "有色金属矿采选业" "Mining and processing of non-ferrous metal ores";
    'B' "10" "非金属矿采选业" "Mining and processing of non-metallic ores";
    'B' "11" "开采专业及辅助性活动" "Support activities for mining";
    'B' "12" "其他采矿业" "Other mining";
    'C' "13" "农副食品加工业" "Processing of agricultural and sideline food products";
    'C' "14" "食品制造业" "Food manufacturing";
    'C' "15" "酒、饮料和精制茶制造业" "Manufacture of liquor, beverages and refined tea";
    'C' "16" "烟草制品业" "Tobacco products";
    'C' "17" "纺织业" "Textiles";
    'C' "18" "纺织服装、服饰业" "Textile garments and apparel";
    'C' "19" "皮革、毛皮、羽毛及其制品和制鞋业" "Leather, fur, feathers and their products; footwear";
    'C' "20" "木材加工和木、竹、藤、棕、草制品业" "Processing of timber; wood, bamboo, rattan, palm and straw products";
    'C' "21" "家具制造业" "Furniture manufacturing";
    'C' "22" "造纸和纸制品业" "Paper and paper products";
    'C' "23" "印刷和记录媒介复制业" "Printing and reproduction of recording media";
    'C' "24" "文教、工美、体育和娱乐用品制造业" "Articles for culture, education, arts and crafts, sport and entertainment";
    'C' "25" "石油、煤炭及其他燃料加工业" "Processing of petroleum, coal and other fuels";
    'C' "26" "化学原料和化学制品制造业" "Chemical raw materials and chemical products";
    'C' "27" "医药制造业" "Pharmaceuticals";
    'C' "28" "化学纤维制造业" "Chemical fibres";
    'C' "29" "橡胶和塑料制品业" "Rubber and plastic products";
    'C' "30" "非金属矿物制品业" "Non-metallic mineral products";
    'C' "31" "黑色金属冶炼和压延加工业" "Smelting and pressing of ferrous metals";
    'C' "32" "有色金属冶炼和压延加工业" "Smelting and pressing of non-ferrous metals";
    'C' "33" "金属制品业" "Metal products";
    'C' "34" "通用设备制造业" "General-purpose machinery";
    'C' "35" "专用设备制造业" "Special-purpose machinery";
    'C' "36" "汽车制造业" "Automobiles";
    'C' "37" "铁路、船舶、航空航天和其他运输设备制造业" "Railway, ships, aerospace and other transport equipment";
    'C' "38" "电气机械和器材制造业" "Electrical machinery and equipment";
    'C' "39" "计算机、通信和其他电子设备制造业" "Computers, communication and other electronic equipment";
    'C' "40" "仪器仪表制造业" "Measuring instruments and meters";
    'C' "41" "其他制造业" "Other manufacturing";
    'C' "42" "废弃资源综合利用业" "Recycling and use of waste resources";
    'C' "43" "金属制品、机械和设备修理业" "Repair of metal products, machinery and equipment";
    'D' "44" "电力、热力生产和供应业" "Production and supply of electricity and heat";
    'D' "45" "燃气生产和供应业" "Production and supply of gas";
    'D' "46" "水的生产和供应业" "Production and supply of water";
    'E' "47" "房屋建筑业" "Building construction";
    'E' "48" "土木工程建筑业" "Civil engineering";
    'E' "49" "建筑安装业" "Construction installation";
    'E' "50" "建筑装饰、装修和其他建筑业" "Building decoration, renovation and other construction";
    'F' "51" "批发业" "Wholesale";
    'F' "52" "零售业" "Retail";
    'G' "53" "铁路运输业" "Rail transport";
    'G' "54" "道路运输业" "Road transport";
    'G' "55" "水上运输业" "Water transport";
    'G' "56" "航空运输业" "Air transport";
    'G' "57" "管道运输业" "Pipeline transport";
    'G' "58" "多式联运和运输代理业" "Multimodal transport and transport agencies";
    'G' "59" "装卸搬运和仓储业" "Loading, unloading, handling and warehousing";
    'G' "60" "邮政业" "Postal services";
    'H' "61" "住宿业" "Accommodation";
    'H' "62" "餐饮业" "Catering";
    'I' "63" "电信、广播电视和卫星传输服务" "Telecommunications, broadcasting and satellite transmission";
    'I' "64" "互联网和相关服务" "Internet and related services";
    'I' "65" "软件和信息技术服务业" "Software and information technology services";
    'J' "66" "货币金融服务" "Monetary and financial services";
    'J' "67" "资本市场服务" "Capital market services";
    'J' "68" "保险业" "Insurance";
    'J' "69" "其他金融业" "Other financial services";
    'K' "70" "房地产业" "Real estate";
    'L' "71" "租赁业" "Leasing";
    'L' "72" "商务服务业" "Business services";
    'M' "73" "研究和试验发展" "Research and experimental development";
    'M' "74" "专业技术服务业" "Professional technical services";
    'M' "75" "科技推广和应用服务业" "Technology promotion and application services";
    'N' "76" "水利管理业" "Water conservancy management";
    'N' "77" "生态保护和环境治理业" "Ecological protection and environmental treatment";
    'N' "78" "公共设施管理业" "Public facilities management";
    'N' "79" "土地管理业" "Land management";
    'O' "80" "居民服务业" "Resident services";
    'O' "81" "机动车、电子产品和日用产品修理业" "Repair of motor vehicles, electronic and household products";
    'O' "82" "其他服务业" "Other services";
    'P' "83" "教育" "Education";
    'Q' "84" "卫生" "Health";
    'Q' "85" "社会工作" "Social work";
    'R' "86" "新闻和出版业" "News and publishing";
    'R' "87" "广播、电视、电影和录音制作业" "Radio, television, film and sound recording";
    'R' "88" "文化艺术业" "Culture and arts";
    'R' "89" "体育" "Sport";
    'R' "90" "娱乐业" "Entertainment";
    'S' "91" "中国共产党机关" "Organs of the Communist Party of China";
    'S' "92" "国家机构" "State organs";
    'S' "93" "人民政协、民主党派" "CPPCC and democratic parties";
    'S' "94" "社会保障" "Social security";
    'S' "95" "群众团体、社会团体和其他成员组织" "Mass organisations, social groups and other membership organisations";
    'S' "96" "基层群众自治组织及其他组织" "Grassroots self-governing and other organisations";
    'T' "97" "国际组织" "International organisations";
}

/// The division an industry code names: `C34`, or finer (`C341`, `C3411`), whose section
/// letter must be the division's.
pub fn division_of(code: &str) -> Option<&'static Division> {
    let mut chars = code.chars();
    let section = chars.next()?;
    let digits = chars.as_str();
    if !(2..=4).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    DIVISIONS
        .iter()
        .find(|d| d.section == section && d.code == &digits[..2])
}

/// Whether an industry code is a known division or finer code.
pub fn check_industry(code: &str) -> Result<&'static Division, (String, String)> {
    division_of(code).ok_or_else(|| {
        (
            format!(
                "{code:?} is not a GB/T 4754-2017 division or finer code: a section letter and two to four digits of one of its divisions, e.g. C34 or C3411"
            ),
            format!(
                "“{code}”不是 GB/T 4754-2017 的大类或更细的行业代码：门类字母加所属大类的 2 至 4 位数字，例如 C34、C3411"
            ),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ninety_seven_divisions_in_order_under_their_sections() {
        assert_eq!(DIVISIONS.len(), 97);
        for (i, d) in DIVISIONS.iter().enumerate() {
            assert_eq!(d.code, format!("{:02}", i + 1));
            assert!(d.industry().is_some(), "{d:?}");
        }
        assert_eq!(division_of("C34").unwrap().name_zh, "通用设备制造业");
        assert_eq!(division_of("C3411").unwrap().code, "34");
        assert_eq!(division_of("C36").unwrap().name(Locale::En), "Automobiles");
        for bad in ["C", "C3", "34", "A34", "C34111", "C3x", "c34", "C98"] {
            assert!(division_of(bad).is_none(), "{bad}");
        }
    }
}
