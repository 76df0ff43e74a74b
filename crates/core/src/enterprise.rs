//! The enterprise behind a tenant, as the evaluation criteria count enterprises served: its
//! unified social credit code (GB 32100-2015), industry (a GB/T 4754-2017 division or
//! finer), size class (大型/中型/小型/微型, derived by the National Bureau of Statistics'
//! rules from employees, revenue and assets), region (GB/T 2260), industrial park, and
//! whether its industry is discrete or process.

use crate::division::{self, Division};
use crate::error::{FieldError, FieldErrorKind};
use crate::i18n::Locale;
use crate::ids::TenantId;
use crate::region::{self, Region};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The 31 characters of a unified social credit code (no I, O, S, V, Z).
const CREDIT_CHARS: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";
const CREDIT_WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

/// A problem in both languages.
pub type Problem = (String, String);

/// Checks a unified social credit code (统一社会信用代码): 18 characters of its alphabet,
/// the organisation code inside (characters 9–17) with its GB 11714 check character, and
/// the code's own check character (GB 32100-2015, modulo 31).
pub fn check_credit_code(code: &str) -> Result<(), Problem> {
    let chars: Vec<char> = code.chars().collect();
    if chars.len() != 18 {
        return Err((
            format!(
                "a unified social credit code has 18 characters; this one has {}",
                chars.len()
            ),
            format!("统一社会信用代码为 18 位，此代码为 {} 位", chars.len()),
        ));
    }
    let mut values = [0u32; 18];
    for (i, c) in chars.iter().enumerate() {
        let Some(v) = CREDIT_CHARS.find(*c) else {
            return Err((
                format!(
                    "character {} ({c:?}) is not in the code's alphabet (digits and capital letters without I, O, S, V, Z)",
                    i + 1
                ),
                format!(
                    "第 {} 位（{c}）不是代码字符（数字及除 I、O、S、V、Z 以外的大写字母）",
                    i + 1
                ),
            ));
        };
        values[i] = v as u32;
    }
    if !chars[2..8].iter().all(char::is_ascii_digit) {
        return Err((
            "characters 3 to 8 are the registering authority's region code: six digits".into(),
            "第 3 至 8 位为登记管理机关行政区划码，应为 6 位数字".into(),
        ));
    }
    // GB 11714: weights 3 7 9 10 5 8 4 2 over the organisation code's first eight
    // characters (letters count from A = 10), check 11 − sum mod 11 (10 → X, 11 → 0).
    let org = &chars[8..17];
    let value = |c: char| c.to_digit(36).unwrap_or(0);
    let sum: u32 = org[..8]
        .iter()
        .zip([3, 7, 9, 10, 5, 8, 4, 2])
        .map(|(c, w)| value(*c) * w)
        .sum();
    let want = match 11 - sum % 11 {
        10 => 'X',
        11 => '0',
        n => char::from_digit(n, 10).unwrap_or('?'),
    };
    if org[8] != want {
        let org: String = org.iter().collect();
        return Err((
            format!(
                "the organisation code inside ({org}) has a wrong check character: {want} expected"
            ),
            format!("其中的组织机构代码（{org}）校验码有误，应为 {want}"),
        ));
    }
    let sum: u32 = values[..17]
        .iter()
        .zip(CREDIT_WEIGHTS)
        .map(|(v, w)| v * w)
        .sum();
    let want = (31 - sum % 31) % 31;
    if values[17] != want {
        let want = CREDIT_CHARS.as_bytes()[want as usize] as char;
        return Err((
            format!("the check character is wrong: {want} expected"),
            format!("校验码有误，应为 {want}"),
        ));
    }
    Ok(())
}

/// Enterprise size class (统计上大中小微型企业划分办法（2017）, 国统字〔2017〕213号).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SizeClass {
    Large,
    Medium,
    Small,
    Micro,
}

impl SizeClass {
    pub const ALL: [SizeClass; 4] = [
        SizeClass::Large,
        SizeClass::Medium,
        SizeClass::Small,
        SizeClass::Micro,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SizeClass::Large => "large",
            SizeClass::Medium => "medium",
            SizeClass::Small => "small",
            SizeClass::Micro => "micro",
        }
    }

    pub fn parse(s: &str) -> Option<SizeClass> {
        SizeClass::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// Small, medium and micro enterprises together are the SMEs (中小企业).
    pub fn is_sme(self) -> bool {
        self != SizeClass::Large
    }

    pub fn name(self, locale: Locale) -> &'static str {
        match self {
            SizeClass::Large => locale.pick("Large", "大型"),
            SizeClass::Medium => locale.pick("Medium", "中型"),
            SizeClass::Small => locale.pick("Small", "小型"),
            SizeClass::Micro => locale.pick("Micro", "微型"),
        }
    }
}

/// The figures the size rules read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Measure {
    /// 从业人员 (persons).
    Employees,
    /// 营业收入 (10 000 yuan).
    Revenue,
    /// 资产总额 (10 000 yuan).
    Assets,
}

/// One industry's rule: two measures (or one) with the floors of large, medium and small.
struct SizeRule {
    name: &'static str,
    measures: &'static [(Measure, [f64; 3])],
}

use Measure::*;

const AGRICULTURE: SizeRule = SizeRule {
    name: "农、林、牧、渔业",
    measures: &[(Revenue, [20000.0, 500.0, 50.0])],
};
const INDUSTRY: SizeRule = SizeRule {
    name: "工业",
    measures: &[
        (Employees, [1000.0, 300.0, 20.0]),
        (Revenue, [40000.0, 2000.0, 300.0]),
    ],
};
const CONSTRUCTION: SizeRule = SizeRule {
    name: "建筑业",
    measures: &[
        (Revenue, [80000.0, 6000.0, 300.0]),
        (Assets, [80000.0, 5000.0, 300.0]),
    ],
};
const WHOLESALE: SizeRule = SizeRule {
    name: "批发业",
    measures: &[
        (Employees, [200.0, 20.0, 5.0]),
        (Revenue, [40000.0, 5000.0, 1000.0]),
    ],
};
const RETAIL: SizeRule = SizeRule {
    name: "零售业",
    measures: &[
        (Employees, [300.0, 50.0, 10.0]),
        (Revenue, [20000.0, 500.0, 100.0]),
    ],
};
const TRANSPORT: SizeRule = SizeRule {
    name: "交通运输业",
    measures: &[
        (Employees, [1000.0, 300.0, 20.0]),
        (Revenue, [30000.0, 3000.0, 200.0]),
    ],
};
const WAREHOUSING: SizeRule = SizeRule {
    name: "仓储业",
    measures: &[
        (Employees, [200.0, 100.0, 20.0]),
        (Revenue, [30000.0, 1000.0, 100.0]),
    ],
};
const POSTAL: SizeRule = SizeRule {
    name: "邮政业",
    measures: &[
        (Employees, [1000.0, 300.0, 20.0]),
        (Revenue, [30000.0, 2000.0, 100.0]),
    ],
};
const ACCOMMODATION_CATERING: SizeRule = SizeRule {
    name: "住宿业、餐饮业",
    measures: &[
        (Employees, [300.0, 100.0, 10.0]),
        (Revenue, [10000.0, 2000.0, 100.0]),
    ],
};
const TRANSMISSION: SizeRule = SizeRule {
    name: "信息传输业",
    measures: &[
        (Employees, [2000.0, 100.0, 10.0]),
        (Revenue, [100000.0, 1000.0, 100.0]),
    ],
};
const SOFTWARE: SizeRule = SizeRule {
    name: "软件和信息技术服务业",
    measures: &[
        (Employees, [300.0, 100.0, 10.0]),
        (Revenue, [10000.0, 1000.0, 50.0]),
    ],
};
const REAL_ESTATE: SizeRule = SizeRule {
    name: "房地产开发经营",
    measures: &[
        (Revenue, [200000.0, 1000.0, 100.0]),
        (Assets, [10000.0, 5000.0, 2000.0]),
    ],
};
const LEASING_BUSINESS: SizeRule = SizeRule {
    name: "租赁和商务服务业",
    measures: &[
        (Employees, [300.0, 100.0, 10.0]),
        (Assets, [120000.0, 8000.0, 100.0]),
    ],
};
const OTHER: SizeRule = SizeRule {
    name: "其他未列明行业",
    measures: &[(Employees, [300.0, 100.0, 10.0])],
};

/// The rule for a division (property management, 物业管理 K702, is counted with the other
/// unlisted industries here: its own rule needs the class code, which few profiles give).
fn size_rule(d: &Division, code: &str) -> &'static SizeRule {
    match d.code.parse::<u8>().unwrap_or(0) {
        1..=5 => &AGRICULTURE,
        6..=46 => &INDUSTRY,
        47..=50 => &CONSTRUCTION,
        51 => &WHOLESALE,
        52 => &RETAIL,
        54..=58 => &TRANSPORT,
        59 => &WAREHOUSING,
        60 => &POSTAL,
        61 | 62 => &ACCOMMODATION_CATERING,
        63 | 64 => &TRANSMISSION,
        65 => &SOFTWARE,
        70 if code.starts_with("K701") => &REAL_ESTATE,
        71 | 72 => &LEASING_BUSINESS,
        _ => &OTHER,
    }
}

/// The size class of an enterprise of `industry` with these figures. Large, medium and
/// small need every listed measure at or above the class's floor, otherwise the class
/// below; micro is what is left. A measure the rule needs and the profile lacks is an error
/// naming it.
pub fn size_class(
    industry: &str,
    employees: Option<u64>,
    revenue: Option<f64>,
    assets: Option<f64>,
) -> Result<SizeClass, Problem> {
    let d = division::check_industry(industry)?;
    let rule = size_rule(d, industry);
    let mut values = Vec::new();
    for (m, floors) in rule.measures {
        let v = match m {
            Employees => employees.map(|e| e as f64),
            Revenue => revenue,
            Assets => assets,
        };
        let Some(v) = v else {
            let (en, zh) = match m {
                Employees => ("employees", "从业人员"),
                Revenue => ("revenue (10 000 yuan)", "营业收入（万元）"),
                Assets => ("total assets (10 000 yuan)", "资产总额（万元）"),
            };
            return Err((
                format!("the size rule of {} ({}) needs {en}", rule.name, d.name_en),
                format!("{}的规模划分标准需要{zh}", rule.name),
            ));
        };
        values.push((v, floors));
    }
    let class = [SizeClass::Large, SizeClass::Medium, SizeClass::Small]
        .into_iter()
        .enumerate()
        .find(|(i, _)| values.iter().all(|(v, f)| *v >= f[*i]))
        .map_or(SizeClass::Micro, |(_, c)| c);
    Ok(class)
}

/// Discrete manufacturing counts devices; process industries count data points (采集点).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum IndustryMode {
    #[default]
    Discrete,
    Process,
}

impl IndustryMode {
    pub fn as_str(self) -> &'static str {
        match self {
            IndustryMode::Discrete => "discrete",
            IndustryMode::Process => "process",
        }
    }

    pub fn parse(s: &str) -> Option<IndustryMode> {
        [IndustryMode::Discrete, IndustryMode::Process]
            .into_iter()
            .find(|m| m.as_str() == s)
    }
}

/// 工业制造企业 or 工业服务企业 (e.g. a solution provider), as seed 001 counts them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EnterpriseKind {
    #[default]
    Manufacturer,
    ServiceProvider,
}

impl EnterpriseKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EnterpriseKind::Manufacturer => "manufacturer",
            EnterpriseKind::ServiceProvider => "service_provider",
        }
    }

    pub fn parse(s: &str) -> Option<EnterpriseKind> {
        [
            EnterpriseKind::Manufacturer,
            EnterpriseKind::ServiceProvider,
        ]
        .into_iter()
        .find(|m| m.as_str() == s)
    }
}

/// What a tenant's administrator enters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfileInput {
    /// The registered legal name (企业名称).
    pub legal_name: String,
    /// 统一社会信用代码, 18 characters.
    pub credit_code: String,
    /// GB/T 4754-2017 division or finer: `C34`, `C3411`.
    pub industry: String,
    #[serde(default)]
    pub industry_mode: IndustryMode,
    #[serde(default)]
    pub kind: EnterpriseKind,
    /// 从业人员 (persons, year average).
    #[serde(default)]
    pub employees: Option<u64>,
    /// 营业收入 of the last year, in 10 000 yuan (万元).
    #[serde(default)]
    pub revenue: Option<f64>,
    /// 资产总额, in 10 000 yuan; the size rules of construction, real estate and leasing
    /// need it.
    #[serde(default)]
    pub assets: Option<f64>,
    /// GB/T 2260 code of the county (or city) where it operates.
    pub region: String,
    /// 产业园区, if it is in one.
    #[serde(default)]
    pub park: Option<String>,
    /// The version of the profile this change was made to; refused when another change
    /// came in between. Absent: no check.
    #[serde(default)]
    pub version: Option<i64>,
}

/// A tenant's enterprise profile, with what is derived from it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct EnterpriseProfile {
    pub tenant_id: TenantId,
    pub legal_name: String,
    pub credit_code: String,
    pub industry: String,
    pub industry_mode: IndustryMode,
    pub kind: EnterpriseKind,
    pub employees: Option<u64>,
    pub revenue: Option<f64>,
    pub assets: Option<f64>,
    /// Derived from industry, employees, revenue and assets; never entered.
    pub size_class: SizeClass,
    pub region: String,
    pub park: Option<String>,
    pub updated_at: DateTime<Utc>,
    /// Who made the last change (a user's or key's name).
    pub updated_by: Option<String>,
    pub version: i64,
}

/// The profile with names for the console and reports.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ProfileView {
    #[serde(flatten)]
    pub profile: EnterpriseProfile,
    /// The division the industry code belongs to.
    pub division: Option<Division>,
    /// Province, city, county, from the top.
    pub region_path: Vec<Region>,
    pub is_sme: bool,
}

impl EnterpriseProfile {
    pub fn view(self) -> ProfileView {
        let division = division::division_of(&self.industry).copied();
        let region_path = region::path(&self.region).unwrap_or_default();
        let is_sme = self.size_class.is_sme();
        ProfileView {
            profile: self,
            division,
            region_path,
            is_sme,
        }
    }
}

/// Which profiles a list returns.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ProfileFilter {
    /// Substring of the legal name or the credit code.
    pub q: Option<String>,
    /// An industry code and everything under it (`C` for a section, `C34`, `C341`).
    pub industry: Option<String>,
    /// A region code and everything under it (`320000` takes all of Jiangsu).
    pub region: Option<String>,
    pub size_class: Option<SizeClass>,
    pub industry_mode: Option<IndustryMode>,
}

/// The prefix of the codes under a region: `32` for a province, `3205` for a city, the
/// whole code for a county.
pub fn region_prefix(code: &str) -> &str {
    if code.len() == 6 && code.ends_with("0000") {
        &code[..2]
    } else if code.len() == 6 && code.ends_with("00") {
        &code[..4]
    } else {
        code
    }
}

const MAX_NAME: usize = 200;

fn problem(field: &str, (en, zh): Problem) -> FieldError {
    FieldError::new(field, FieldErrorKind::Other { en, zh })
}

/// Checks an input; every problem names its field. On success, the size class it derives.
pub fn check_profile(input: &ProfileInput) -> Result<SizeClass, Vec<FieldError>> {
    let mut errs = Vec::new();
    let name = input.legal_name.trim();
    if name.is_empty() {
        errs.push(FieldError::new("legal_name", FieldErrorKind::Empty));
    } else if name.chars().count() > MAX_NAME {
        errs.push(FieldError::new(
            "legal_name",
            FieldErrorKind::TooLong { max: MAX_NAME },
        ));
    }
    if let Err(e) = check_credit_code(&input.credit_code) {
        errs.push(problem("credit_code", e));
    }
    let industry_ok = match division::check_industry(&input.industry) {
        Ok(_) => true,
        Err(e) => {
            errs.push(problem("industry", e));
            false
        }
    };
    for (field, v) in [("revenue", input.revenue), ("assets", input.assets)] {
        if v.is_some_and(|v| !v.is_finite() || !(0.0..=1e12).contains(&v)) {
            errs.push(problem(
                field,
                (
                    "a number of 10 000 yuan, from 0 to 10^12".into(),
                    "以万元计的数，0 至 10^12".into(),
                ),
            ));
        }
    }
    if input.employees.is_some_and(|e| e > 10_000_000) {
        errs.push(FieldError::new(
            "employees",
            FieldErrorKind::OutOfRange {
                min: 0,
                max: 10_000_000,
            },
        ));
    }
    if let Err(e) = region::path(&input.region) {
        errs.push(problem("region", e));
    }
    if let Some(p) = &input.park
        && p.chars().count() > MAX_NAME
    {
        errs.push(FieldError::new(
            "park",
            FieldErrorKind::TooLong { max: MAX_NAME },
        ));
    }
    if !errs.is_empty() || !industry_ok {
        return Err(errs);
    }
    size_class(
        &input.industry,
        input.employees,
        input.revenue,
        input.assets,
    )
    .map_err(|e| vec![problem("size_class", e)])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credit_codes_of_real_enterprises_pass_and_altered_ones_fail() {
        // 华为技术有限公司, 腾讯科技（深圳）有限公司, 阿里巴巴（中国）有限公司, and the
        // example printed in GB 32100-2015's explanations.
        for ok in [
            "914403001922038216",
            "9144030071526726XG",
            "91330100716105852F",
            "91350100M000100Y43",
        ] {
            assert_eq!(check_credit_code(ok), Ok(()), "{ok}");
        }
        let e = check_credit_code("914403001922038217").unwrap_err();
        assert!(e.0.contains("check character is wrong: 6"), "{e:?}");
        assert!(e.1.contains("校验码有误，应为 6"), "{e:?}");
        let e = check_credit_code("914403001922038316").unwrap_err();
        assert!(e.0.contains("organisation code"), "{e:?}");
        assert!(check_credit_code("91440300192203821").is_err());
        assert!(check_credit_code("9144030019220382I6").is_err());
        assert!(check_credit_code("91440300192203821６").is_err());
        assert!(check_credit_code("").is_err());
    }

    #[test]
    fn size_classes_follow_the_2017_rules() {
        let c = |i: &str, e: Option<u64>, r: Option<f64>, a: Option<f64>| size_class(i, e, r, a);
        // Industry: large needs both 1000 persons and 40 000 × 10⁴ yuan.
        assert_eq!(
            c("C34", Some(1000), Some(40000.0), None),
            Ok(SizeClass::Large)
        );
        assert_eq!(
            c("C34", Some(5000), Some(39999.0), None),
            Ok(SizeClass::Medium)
        );
        assert_eq!(
            c("C3411", Some(300), Some(2000.0), None),
            Ok(SizeClass::Medium)
        );
        assert_eq!(
            c("C34", Some(299), Some(90000.0), None),
            Ok(SizeClass::Small)
        );
        assert_eq!(
            c("C34", Some(19), Some(90000.0), None),
            Ok(SizeClass::Micro)
        );
        assert_eq!(c("C34", Some(500), Some(299.0), None), Ok(SizeClass::Micro));
        // Agriculture reads revenue only.
        assert_eq!(c("A01", None, Some(600.0), None), Ok(SizeClass::Medium));
        // Construction reads revenue and assets.
        assert_eq!(
            c("E48", None, Some(7000.0), Some(4000.0)),
            Ok(SizeClass::Small)
        );
        let e = c("E48", Some(10), Some(7000.0), None).unwrap_err();
        assert!(e.0.contains("total assets"), "{e:?}");
        assert!(e.1.contains("资产总额"), "{e:?}");
        // Software, retail, other.
        assert_eq!(
            c("I65", Some(120), Some(1500.0), None),
            Ok(SizeClass::Medium)
        );
        assert_eq!(c("F52", Some(60), Some(400.0), None), Ok(SizeClass::Small));
        assert_eq!(c("M73", Some(9), None, None), Ok(SizeClass::Micro));
        assert!(
            c("C34", None, Some(1.0), None)
                .unwrap_err()
                .0
                .contains("employees")
        );
        assert!(c("Z99", Some(1), Some(1.0), None).is_err());
    }

    #[test]
    fn a_profile_reports_every_bad_field() {
        let mut p = ProfileInput {
            legal_name: "苏州精工机械有限公司".into(),
            credit_code: "914403001922038216".into(),
            industry: "C34".into(),
            industry_mode: IndustryMode::Discrete,
            kind: EnterpriseKind::Manufacturer,
            employees: Some(350),
            revenue: Some(8000.0),
            assets: None,
            region: "320583".into(),
            park: Some("昆山经济技术开发区".into()),
            version: None,
        };
        assert_eq!(check_profile(&p), Ok(SizeClass::Medium));
        p.credit_code = "X".into();
        p.industry = "C99".into();
        p.region = "329999".into();
        p.revenue = Some(-1.0);
        let errs = check_profile(&p).unwrap_err();
        let fields: Vec<_> = errs.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["credit_code", "industry", "revenue", "region"]);
    }
}
