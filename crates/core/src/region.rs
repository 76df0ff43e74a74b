//! China's administrative divisions by their GB/T 2260 codes, to county level: a province
//! is `XX0000`, a prefecture-level city `XXYY00`, a county or district six digits of its
//! own. The table (`data/regions.tsv`) is the National Bureau of Statistics' 2023 list.

use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::LazyLock;
use utoipa::ToSchema;

const TABLE: &str = include_str!("../data/regions.tsv");

static REGIONS: LazyLock<BTreeMap<&'static str, &'static str>> = LazyLock::new(|| {
    TABLE
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .filter_map(|l| l.split_once('\t'))
        .collect()
});

/// English names of the provincial-level divisions (the rest keep their Chinese names).
const PROVINCES_EN: [(&str, &str); 34] = [
    ("11", "Beijing"),
    ("12", "Tianjin"),
    ("13", "Hebei"),
    ("14", "Shanxi"),
    ("15", "Inner Mongolia"),
    ("21", "Liaoning"),
    ("22", "Jilin"),
    ("23", "Heilongjiang"),
    ("31", "Shanghai"),
    ("32", "Jiangsu"),
    ("33", "Zhejiang"),
    ("34", "Anhui"),
    ("35", "Fujian"),
    ("36", "Jiangxi"),
    ("37", "Shandong"),
    ("41", "Henan"),
    ("42", "Hubei"),
    ("43", "Hunan"),
    ("44", "Guangdong"),
    ("45", "Guangxi"),
    ("46", "Hainan"),
    ("50", "Chongqing"),
    ("51", "Sichuan"),
    ("52", "Guizhou"),
    ("53", "Yunnan"),
    ("54", "Tibet"),
    ("61", "Shaanxi"),
    ("62", "Gansu"),
    ("63", "Qinghai"),
    ("64", "Ningxia"),
    ("65", "Xinjiang"),
    ("71", "Taiwan"),
    ("81", "Hong Kong"),
    ("82", "Macao"),
];

/// One division, with its level.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Region {
    pub code: String,
    pub name: String,
    /// `province`, `city` or `county`.
    pub level: &'static str,
    /// The provincial division's English name (the others have none here).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name_en: Option<&'static str>,
}

fn level_of(code: &str) -> &'static str {
    if code.ends_with("0000") {
        "province"
    } else if code.ends_with("00") {
        "city"
    } else {
        "county"
    }
}

pub fn get(code: &str) -> Option<Region> {
    let (k, name) = REGIONS.get_key_value(code)?;
    let level = level_of(k);
    let name_en = (level == "province")
        .then(|| {
            PROVINCES_EN
                .iter()
                .find(|(p, _)| k.starts_with(p))
                .map(|x| x.1)
        })
        .flatten();
    Some(Region {
        code: (*k).to_owned(),
        name: (*name).to_owned(),
        level,
        name_en,
    })
}

/// The divisions directly under `parent` (`None`: the provinces).
pub fn children(parent: Option<&str>) -> Vec<Region> {
    let (prefix, level) = match parent {
        None => ("", "province"),
        Some(p) if p.len() == 6 && level_of(p) == "province" => (&p[..2], "city"),
        Some(p) if p.len() == 6 && level_of(p) == "city" => (&p[..4], "county"),
        Some(_) => return Vec::new(),
    };
    REGIONS
        .range(prefix..)
        .take_while(|(k, _)| k.starts_with(prefix))
        .filter(|(k, _)| level_of(k) == level)
        .filter_map(|(k, _)| get(k))
        .collect()
}

/// The province, city and county a code stands for (those that exist), from the top.
pub fn path(code: &str) -> Result<Vec<Region>, (String, String)> {
    let own = get(code).ok_or_else(|| {
        (
            format!(
                "{code:?} is not a GB/T 2260 administrative division code (six digits, e.g. 320583)"
            ),
            format!("“{code}”不是 GB/T 2260 行政区划代码（6 位数字，例如 320583）"),
        )
    })?;
    let mut out = Vec::new();
    let province = format!("{}0000", &code[..2]);
    let city = format!("{}00", &code[..4]);
    for c in [province, city] {
        if c != own.code
            && let Some(r) = get(&c)
        {
            out.push(r);
        }
    }
    out.push(own);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provinces_cities_and_counties() {
        let provinces = children(None);
        assert_eq!(provinces.len(), 34);
        let js = get("320000").unwrap();
        assert_eq!((js.name.as_str(), js.name_en), ("江苏省", Some("Jiangsu")));
        let cities = children(Some("320000"));
        assert!(
            cities
                .iter()
                .any(|c| c.code == "320500" && c.name == "苏州市")
        );
        let counties = children(Some("320500"));
        assert!(
            counties
                .iter()
                .any(|c| c.code == "320583" && c.name == "昆山市")
        );
        let p: Vec<_> = path("320583")
            .unwrap()
            .into_iter()
            .map(|r| r.name)
            .collect();
        assert_eq!(p, ["江苏省", "苏州市", "昆山市"]);
        // A city without counties (东莞) is its own finest level.
        assert_eq!(path("441900").unwrap().len(), 2);
        assert!(path("329999").is_err());
        assert!(path("32").is_err());
        assert!(children(Some("320583")).is_empty());
        assert!(children(Some("x")).is_empty());
    }
}
