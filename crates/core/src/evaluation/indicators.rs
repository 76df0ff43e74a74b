//! Every quantitative criterion of the seeds, per platform class: its source, floor and
//! the figure it reads. Criteria without a number (patents, solutions, benchmark cases)
//! are left to people; the numeric ones are never typed in.
//!
//! Classes: 跨行业跨领域 (cross), 区域级 (regional, for one region), 行业级 (industry, for one
//! division), 供应链 (supply chain) of seed 002; 综合型 / 行业型 / 区域型 / 企业级 of seed 004
//! (Jiangxi). A regional or industry figure counts the region's or division's enterprises
//! (their devices, calls, subscriptions, data); models, algorithms and apps are what the
//! platform offers (for an industry: those naming its division).

use super::{Facts, Metrics};
use crate::model::Domain;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PlatformClass {
    CrossIndustry,
    Regional,
    Industry,
    SupplyChain,
    JxComprehensive,
    JxIndustry,
    JxRegional,
    JxEnterprise,
}

impl PlatformClass {
    pub const ALL: [PlatformClass; 8] = [
        PlatformClass::CrossIndustry,
        PlatformClass::Regional,
        PlatformClass::Industry,
        PlatformClass::SupplyChain,
        PlatformClass::JxComprehensive,
        PlatformClass::JxIndustry,
        PlatformClass::JxRegional,
        PlatformClass::JxEnterprise,
    ];

    pub fn names(self) -> (&'static str, &'static str) {
        match self {
            PlatformClass::CrossIndustry => ("Cross-industry, cross-domain", "跨行业跨领域平台"),
            PlatformClass::Regional => ("Regional", "区域级平台"),
            PlatformClass::Industry => ("Industry", "行业级平台"),
            PlatformClass::SupplyChain => ("Supply chain", "供应链平台"),
            PlatformClass::JxComprehensive => ("Comprehensive (Jiangxi)", "综合型平台（江西）"),
            PlatformClass::JxIndustry => ("Industry (Jiangxi)", "行业型平台（江西）"),
            PlatformClass::JxRegional => ("Regional (Jiangxi)", "区域型平台（江西）"),
            PlatformClass::JxEnterprise => ("Enterprise-level (Jiangxi)", "企业级平台（江西）"),
        }
    }

    /// Regional and industry classes are figured for one region or division.
    fn scope(self) -> Scope {
        match self {
            PlatformClass::Regional | PlatformClass::JxRegional => Scope::Region,
            PlatformClass::Industry | PlatformClass::JxIndustry => Scope::Industry,
            _ => Scope::Platform,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    Platform,
    Region,
    Industry,
}

/// What an indicator reads.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Measure {
    ConnectedDevices,
    ConnectedKinds,
    ProcessPoints,
    ManagedDevices,
    ManagedKinds,
    MechanismModels,
    MechanismModelTypes,
    Algorithms,
    Apps,
    AppDomains,
    /// Apps of the design and management domains (云化设计、管理类应用).
    DesignManagementApps,
    Subscribers,
    AverageMonthlyCalls,
    /// Cloud-hosted industrial software (云化软件) and its kinds.
    CloudSoftware,
    CloudSoftwareKinds,
    /// Development languages and tools of the release.
    DevLanguages,
    DevTools,
    SdkDevelopers,
    SdkCalls,
    ThirdPartyDevelopers,
    ThirdPartySharePermille,
    Enterprises,
    SmeSharePermille,
    StoredTerabytes,
    /// Registered tenants (注册用户).
    Tenants,
    /// Per mille of registered devices connected, managed.
    ConnectedSharePermille,
    ManagedSharePermille,
    /// Models, algorithms and apps of one domain.
    DomainModels(Domain),
    DomainApps(Domain),
    /// Divisions with at least this many connected devices (or process points), mechanism
    /// models, apps and enterprises.
    IndustriesWith {
        devices: u64,
        points: u64,
        models: u64,
        apps: u64,
        enterprises: u64,
    },
    /// Domains with at least this many mechanism models and apps.
    DomainsWith {
        models: u64,
        apps: u64,
    },
}

/// One criterion.
#[derive(Debug, Clone)]
pub struct Indicator {
    pub id: &'static str,
    pub class: PlatformClass,
    /// Seed file and section.
    pub seed: &'static str,
    pub name_en: &'static str,
    pub name_zh: &'static str,
    pub measure: Measure,
    pub floor: f64,
    /// A second way to pass (process industries count data points instead of devices).
    pub or: Option<(Measure, f64)>,
    /// What drill-down lists the records behind the figure.
    pub records: Option<&'static str>,
}

macro_rules! ind {
    ($id:literal, $class:ident, $seed:literal, $en:literal, $zh:literal, $m:expr, $floor:expr) => {
        ind!($id, $class, $seed, $en, $zh, $m, $floor, None)
    };
    ($id:literal, $class:ident, $seed:literal, $en:literal, $zh:literal, $m:expr, $floor:expr, $or:expr) => {
        Indicator {
            id: $id,
            class: PlatformClass::$class,
            seed: $seed,
            name_en: $en,
            name_zh: $zh,
            measure: $m,
            floor: $floor as f64,
            or: $or,
            records: records_of($m),
        }
    };
}

const fn records_of(m: Measure) -> Option<&'static str> {
    match m {
        Measure::ConnectedDevices | Measure::ConnectedKinds | Measure::ProcessPoints => {
            Some("connected_devices")
        }
        Measure::ManagedDevices | Measure::ManagedKinds => Some("managed_devices"),
        Measure::Enterprises | Measure::SmeSharePermille | Measure::Tenants => Some("enterprises"),
        Measure::MechanismModels
        | Measure::MechanismModelTypes
        | Measure::Algorithms
        | Measure::DomainModels(_) => Some("models"),
        Measure::Apps
        | Measure::AppDomains
        | Measure::DesignManagementApps
        | Measure::CloudSoftware
        | Measure::CloudSoftwareKinds
        | Measure::DomainApps(_) => Some("apps"),
        Measure::Subscribers => Some("subscribers"),
        Measure::AverageMonthlyCalls => Some("calls"),
        Measure::IndustriesWith { .. } => Some("industries"),
        Measure::DomainsWith { .. } => Some("domains"),
        _ => None,
    }
}

use Measure::*;

/// The criteria, in the seeds' order.
pub fn catalogue() -> Vec<Indicator> {
    vec![
        ind!(
            "cross.connected_devices",
            CrossIndustry,
            "002 二(一)1",
            "Connected industrial devices (or process data points)",
            "连接工业设备数（或流程行业数据采集点数）",
            ConnectedDevices,
            5000,
            Some((ProcessPoints, 30000.0))
        ),
        ind!(
            "cross.device_kinds",
            CrossIndustry,
            "002 二(一)1",
            "Kinds of connected devices",
            "连接设备种类",
            ConnectedKinds,
            30
        ),
        ind!(
            "cross.managed_devices",
            CrossIndustry,
            "002 二(一)1",
            "Managed (controllable) devices",
            "可管理设备数",
            ManagedDevices,
            2000
        ),
        ind!(
            "cross.managed_kinds",
            CrossIndustry,
            "002 二(一)1",
            "Kinds of managed devices",
            "可管理设备种类",
            ManagedKinds,
            3
        ),
        ind!(
            "cross.mechanism_models",
            CrossIndustry,
            "002 二(一)2",
            "Industrial mechanism models",
            "工业机理模型数",
            MechanismModels,
            150
        ),
        ind!(
            "cross.model_types",
            CrossIndustry,
            "002 二(一)2",
            "Types of mechanism models",
            "工业机理模型类别",
            MechanismModelTypes,
            3
        ),
        ind!(
            "cross.algorithms",
            CrossIndustry,
            "002 二(一)2",
            "Industrial data analysis algorithms",
            "工业数据分析算法数",
            Algorithms,
            50
        ),
        ind!(
            "cross.apps",
            CrossIndustry,
            "002 二(一)2",
            "Industrial apps",
            "工业APP数",
            Apps,
            50
        ),
        ind!(
            "cross.app_types",
            CrossIndustry,
            "002 二(一)2",
            "Types (domains) of industrial apps",
            "工业APP类别",
            AppDomains,
            3
        ),
        ind!(
            "cross.subscribers",
            CrossIndustry,
            "002 二(一)2",
            "Subscribing enterprises of software and apps",
            "工业软件和APP总订阅用户数",
            Subscribers,
            1000
        ),
        ind!(
            "cross.monthly_calls",
            CrossIndustry,
            "002 二(一)2",
            "Average monthly calls of models and algorithms",
            "机理模型和算法每月平均调用次数",
            AverageMonthlyCalls,
            1000
        ),
        ind!(
            "cross.cloud_software_kinds",
            CrossIndustry,
            "002 二(一)2",
            "Kinds of cloud-hosted industrial software",
            "部署云化软件种类",
            CloudSoftwareKinds,
            3
        ),
        ind!(
            "cross.cloud_software",
            CrossIndustry,
            "002 二(一)2",
            "Cloud-hosted industrial software",
            "部署云化软件数量",
            CloudSoftware,
            20
        ),
        ind!(
            "cross.dev_tools",
            CrossIndustry,
            "002 二(一)3",
            "Development tools",
            "开发工具数量",
            DevTools,
            2
        ),
        ind!(
            "cross.dev_languages",
            CrossIndustry,
            "002 二(一)3",
            "Development languages",
            "开发语言数量",
            DevLanguages,
            3
        ),
        ind!(
            "cross.sdk_developers",
            CrossIndustry,
            "002 二(一)3",
            "Developers calling the SDK",
            "调用开发工具包开发者数",
            SdkDevelopers,
            1000
        ),
        ind!(
            "cross.sdk_calls",
            CrossIndustry,
            "002 二(一)3",
            "Monthly SDK calls",
            "开发工具包每月调用次数",
            SdkCalls,
            3000
        ),
        ind!(
            "cross.third_party_developers",
            CrossIndustry,
            "002 二(一)3",
            "Third-party developers",
            "第三方开发者数",
            ThirdPartyDevelopers,
            500
        ),
        ind!(
            "cross.industries",
            CrossIndustry,
            "002 二(一)4",
            "Industries with ≥ 1000 devices (or 5000 points), ≥ 1 model, ≥ 15 apps and ≥ 5 enterprise users",
            "覆盖行业数（每行业连接≥1000台设备或≥5000个采集点、≥1个模型、≥15个APP、≥5家企业用户）",
            IndustriesWith {
                devices: 1000,
                points: 5000,
                models: 1,
                apps: 15,
                enterprises: 5
            },
            3
        ),
        ind!(
            "cross.domains",
            CrossIndustry,
            "002 二(一)5",
            "Domains with ≥ 30 mechanism models and ≥ 10 apps",
            "覆盖领域数（每领域≥30个机理模型、≥10个APP）",
            DomainsWith {
                models: 30,
                apps: 10
            },
            3
        ),
        ind!(
            "cross.third_party_share",
            CrossIndustry,
            "002 三(一)2",
            "Share of third-party developers (‰)",
            "第三方开发者占比（‰）",
            ThirdPartySharePermille,
            200
        ),
        ind!(
            "regional.connected_devices",
            Regional,
            "002 二(二)1",
            "Connected devices in the region",
            "区域内连接工业设备数",
            ConnectedDevices,
            2000
        ),
        ind!(
            "regional.managed_devices",
            Regional,
            "002 二(二)1",
            "Managed devices in the region",
            "区域内可管理设备数",
            ManagedDevices,
            500
        ),
        ind!(
            "regional.stored_data",
            Regional,
            "002 二(二)1",
            "Industrial data stored for the region (TB)",
            "区域工业数据存量（TB）",
            StoredTerabytes,
            100
        ),
        ind!(
            "regional.mechanism_models",
            Regional,
            "002 二(二)2",
            "Industrial mechanism models",
            "工业机理模型数",
            MechanismModels,
            30
        ),
        ind!(
            "regional.algorithms",
            Regional,
            "002 二(二)2",
            "Industrial data analysis algorithms",
            "工业数据分析算法数",
            Algorithms,
            10
        ),
        ind!(
            "regional.apps",
            Regional,
            "002 二(二)2",
            "Industrial apps",
            "工业APP数",
            Apps,
            50
        ),
        ind!(
            "regional.design_management_apps",
            Regional,
            "002 二(二)2",
            "Design and management apps",
            "云化设计、管理类应用数",
            DesignManagementApps,
            20
        ),
        ind!(
            "regional.subscribers",
            Regional,
            "002 二(二)2",
            "Subscribing enterprises in the region",
            "区域订阅用户数",
            Subscribers,
            100
        ),
        ind!(
            "regional.monthly_calls",
            Regional,
            "002 二(二)2",
            "Average monthly calls of models and algorithms",
            "机理模型和算法每月平均调用次数",
            AverageMonthlyCalls,
            300
        ),
        ind!(
            "regional.third_party_developers",
            Regional,
            "002 二(二)3",
            "Third-party developers",
            "第三方开发者数",
            ThirdPartyDevelopers,
            500
        ),
        ind!(
            "regional.dev_languages",
            Regional,
            "002 二(二)3",
            "Development languages",
            "开发语言数量",
            DevLanguages,
            2
        ),
        ind!(
            "regional.enterprises",
            Regional,
            "002 三(二)2",
            "Enterprise users in the region",
            "区域企业用户数",
            Enterprises,
            100
        ),
        ind!(
            "regional.sme_share",
            Regional,
            "002 三(二)2",
            "Share of SMEs among them (‰)",
            "中小企业用户占比（‰）",
            SmeSharePermille,
            500
        ),
        ind!(
            "industry.connected_devices",
            Industry,
            "002 二(三)1",
            "Connected devices of the industry (or process data points)",
            "特定行业连接设备数（或采集点数）",
            ConnectedDevices,
            1500,
            Some((ProcessPoints, 5000.0))
        ),
        ind!(
            "industry.managed_devices",
            Industry,
            "002 二(三)1",
            "Managed devices of the industry",
            "特定行业可管理设备数",
            ManagedDevices,
            200
        ),
        ind!(
            "industry.mechanism_models",
            Industry,
            "002 二(三)2",
            "Mechanism models of the industry",
            "特定行业机理模型数",
            MechanismModels,
            50
        ),
        ind!(
            "industry.algorithms",
            Industry,
            "002 二(三)2",
            "Data analysis algorithms for the industry",
            "工业数据分析算法数",
            Algorithms,
            20
        ),
        ind!(
            "industry.apps",
            Industry,
            "002 二(三)2",
            "Apps of the industry",
            "特定行业工业APP数",
            Apps,
            30
        ),
        ind!(
            "industry.subscribers",
            Industry,
            "002 二(三)2",
            "Subscribing enterprises of the industry",
            "订阅用户数",
            Subscribers,
            300
        ),
        ind!(
            "industry.monthly_calls",
            Industry,
            "002 二(三)2",
            "Average monthly calls of models and algorithms",
            "机理模型和算法每月平均调用次数",
            AverageMonthlyCalls,
            500
        ),
        ind!(
            "industry.third_party_developers",
            Industry,
            "002 二(三)3",
            "Third-party developers",
            "第三方开发者数",
            ThirdPartyDevelopers,
            500
        ),
        ind!(
            "industry.dev_languages",
            Industry,
            "002 二(三)3",
            "Development languages",
            "开发语言数量",
            DevLanguages,
            2
        ),
        ind!(
            "supply.tenants",
            SupplyChain,
            "002 二(四)",
            "Registered enterprise users",
            "平台注册用户数",
            Tenants,
            500
        ),
        ind!(
            "supply.enterprises",
            SupplyChain,
            "002 二(四)",
            "Enterprises served",
            "提供解决方案的企业数",
            Enterprises,
            30
        ),
        ind!(
            "supply.connected_devices",
            SupplyChain,
            "002 二(四)",
            "Connected devices",
            "接入工业设备数",
            ConnectedDevices,
            1000
        ),
        ind!(
            "supply.apps",
            SupplyChain,
            "002 二(四)",
            "Supply-chain apps",
            "供应链协同创新APP数",
            DomainApps(Domain::SupplyChain),
            30
        ),
        ind!(
            "supply.models",
            SupplyChain,
            "002 二(四)",
            "Supply-chain decision models",
            "供应链数字化创新决策模型数",
            DomainModels(Domain::SupplyChain),
            20
        ),
        ind!(
            "jx.comprehensive.industries",
            JxComprehensive,
            "004 二(一)1",
            "Industries with ≥ 500 devices (or 2500 points), ≥ 10 models, ≥ 10 apps, ≥ 3 enterprises",
            "覆盖行业数（每行业连接≥500台设备或≥2500个采集点、≥10个模型、≥10个APP、≥3家企业用户）",
            IndustriesWith {
                devices: 500,
                points: 2500,
                models: 10,
                apps: 10,
                enterprises: 3
            },
            2
        ),
        ind!(
            "jx.comprehensive.domains",
            JxComprehensive,
            "004 二(一)2",
            "Domains with ≥ 10 mechanism models and ≥ 10 apps",
            "覆盖领域数（每领域≥10个机理模型、≥10项APP）",
            DomainsWith {
                models: 10,
                apps: 10
            },
            2
        ),
        ind!(
            "jx.comprehensive.connected_devices",
            JxComprehensive,
            "004 二(一)3",
            "Connected devices (or process data points)",
            "连接工业设备数（或采集点数）",
            ConnectedDevices,
            1000,
            Some((ProcessPoints, 5000.0))
        ),
        ind!(
            "jx.comprehensive.device_kinds",
            JxComprehensive,
            "004 二(一)3",
            "Kinds of connected devices (more than 10)",
            "设备种类（超过10类）",
            ConnectedKinds,
            11
        ),
        ind!(
            "jx.comprehensive.managed_kinds",
            JxComprehensive,
            "004 二(一)3",
            "Kinds of managed devices",
            "可管理设备种类",
            ManagedKinds,
            2
        ),
        ind!(
            "jx.comprehensive.managed_devices",
            JxComprehensive,
            "004 二(一)3",
            "Managed devices",
            "可管理设备数",
            ManagedDevices,
            100
        ),
        ind!(
            "jx.industry.connected_devices",
            JxIndustry,
            "004 二(二)1",
            "Connected devices of the industry (or process data points)",
            "特定行业连接设备数（或采集点数）",
            ConnectedDevices,
            1000,
            Some((ProcessPoints, 5000.0))
        ),
        ind!(
            "jx.industry.managed_devices",
            JxIndustry,
            "004 二(二)1",
            "Managed devices of the industry",
            "特定行业可管理设备数",
            ManagedDevices,
            100
        ),
        ind!(
            "jx.industry.mechanism_models",
            JxIndustry,
            "004 二(二)2",
            "Mechanism models of the industry",
            "特定行业机理模型数",
            MechanismModels,
            10
        ),
        ind!(
            "jx.industry.apps",
            JxIndustry,
            "004 二(二)2",
            "Apps of the industry",
            "特定行业工业APP数",
            Apps,
            10
        ),
        ind!(
            "jx.regional.connected_devices",
            JxRegional,
            "004 二(三)1",
            "Connected devices in the region",
            "区域内连接工业设备数",
            ConnectedDevices,
            500
        ),
        ind!(
            "jx.regional.managed_devices",
            JxRegional,
            "004 二(三)1",
            "Managed devices in the region",
            "区域内可管理设备数",
            ManagedDevices,
            100
        ),
        ind!(
            "jx.regional.mechanism_models",
            JxRegional,
            "004 二(三)2",
            "Mechanism models",
            "工业机理模型数",
            MechanismModels,
            10
        ),
        ind!(
            "jx.regional.apps",
            JxRegional,
            "004 二(三)2",
            "Apps",
            "工业APP数",
            Apps,
            10
        ),
        ind!(
            "jx.enterprise.connected_share",
            JxEnterprise,
            "004 二(四)1",
            "Share of devices connected (‰)",
            "可连接工业设备占比（‰）",
            ConnectedSharePermille,
            500
        ),
        ind!(
            "jx.enterprise.managed_share",
            JxEnterprise,
            "004 二(四)1",
            "Share of devices managed (‰)",
            "可管理设备占比（‰）",
            ManagedSharePermille,
            50
        ),
    ]
}

/// A criterion's name in one language.
pub fn indicator_name(id: &str, zh: bool) -> Option<&'static str> {
    catalogue()
        .into_iter()
        .find(|i| i.id == id)
        .map(|i| if zh { i.name_zh } else { i.name_en })
}

/// A second figure that also passes a criterion.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Alternative {
    pub value: f64,
    pub floor: f64,
}

/// One criterion, figured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct IndicatorResult {
    pub id: String,
    pub class: PlatformClass,
    pub seed: String,
    pub name: String,
    pub value: f64,
    pub floor: f64,
    /// The other way to pass, if the criterion has one (data points for process
    /// industries).
    pub alternative: Option<Alternative>,
    pub pass: bool,
    /// The drill-down that lists the records behind the value.
    pub records: Option<String>,
}

const TB: f64 = 1e12;

fn value(m: &Metrics, industry: Option<&str>, what: Measure) -> f64 {
    let i = industry.map(|k| m.industry(k));
    let d = |dom: Domain| {
        m.domains
            .iter()
            .find(|x| x.domain == dom)
            .cloned()
            .unwrap_or_default()
    };
    (match what {
        ConnectedDevices => m.connected_devices,
        ConnectedKinds => m.connected_kinds,
        ProcessPoints => m.process_points,
        ManagedDevices => m.managed_devices,
        ManagedKinds => m.managed_kinds,
        MechanismModels => i.map_or(m.mechanism_models, |i| i.mechanism_models),
        MechanismModelTypes => m.mechanism_model_types,
        Algorithms => i.map_or(m.algorithms, |i| i.algorithms),
        Apps => i.map_or(m.apps, |i| i.apps),
        AppDomains => m.app_domains,
        DesignManagementApps => m.design_management_apps,
        Subscribers => m.subscribers,
        AverageMonthlyCalls => m.average_monthly_calls,
        CloudSoftware => m.cloud_software,
        CloudSoftwareKinds => m.cloud_software_kinds,
        DevLanguages => m.development_languages.len() as u64,
        DevTools => m.development_tools.len() as u64,
        SdkDevelopers => m.developers.sdk_developers,
        SdkCalls => m.developers.sdk_calls,
        ThirdPartyDevelopers => m.developers.third_party,
        ThirdPartySharePermille => m.third_party_share_permille,
        Enterprises => m.enterprises,
        SmeSharePermille => m.sme_share_permille,
        StoredTerabytes => return m.stored_bytes as f64 / TB,
        Tenants => m.tenants,
        ConnectedSharePermille => super::permille(m.connected_devices, m.registered_devices),
        ManagedSharePermille => super::permille(m.managed_devices, m.registered_devices),
        DomainModels(dom) => d(dom).mechanism_models + d(dom).algorithms,
        DomainApps(dom) => d(dom).apps,
        IndustriesWith {
            devices,
            points,
            models,
            apps,
            enterprises,
        } => m
            .industries
            .iter()
            .filter(|i| {
                (i.connected_devices >= devices || i.process_points >= points)
                    && i.mechanism_models >= models
                    && i.apps >= apps
                    && i.enterprises >= enterprises
            })
            .count() as u64,
        DomainsWith { models, apps } => m
            .domains
            .iter()
            .filter(|d| d.mechanism_models >= models && d.apps >= apps)
            .count() as u64,
    }) as f64
}

/// The figures each class reads: the platform's, a region's, a division's.
#[derive(Debug)]
pub struct Scoped<'a> {
    pub platform: &'a Metrics,
    /// The region's enterprises' figures, and the region's code.
    pub region: Option<(&'a Metrics, &'a str)>,
    /// The division's enterprises' figures (models and apps: the platform's that name it),
    /// and the division.
    pub industry: Option<(&'a Metrics, &'a str)>,
}

/// Every criterion figured; regional and industry ones only when a region or division is
/// given.
pub fn evaluate(s: &Scoped<'_>, zh: bool) -> Vec<IndicatorResult> {
    let mut out = Vec::new();
    for ind in catalogue() {
        let (m, industry) = match ind.class.scope() {
            Scope::Platform => (s.platform, None),
            Scope::Region => match s.region {
                Some((m, _)) => (m, None),
                None => continue,
            },
            Scope::Industry => match s.industry {
                Some((m, key)) => (m, Some(key)),
                None => continue,
            },
        };
        // An industry's models and apps are the platform's naming it.
        let source = match ind.measure {
            MechanismModels | Algorithms | Apps if industry.is_some() => s.platform,
            _ => m,
        };
        let v = value(source, industry, ind.measure);
        let alternative = ind.or.map(|(alt, floor)| Alternative {
            value: value(m, None, alt),
            floor,
        });
        let pass = v >= ind.floor || alternative.is_some_and(|a| a.value >= a.floor);
        out.push(IndicatorResult {
            id: ind.id.to_owned(),
            class: ind.class,
            seed: ind.seed.to_owned(),
            name: (if zh { ind.name_zh } else { ind.name_en }).to_owned(),
            value: v,
            floor: ind.floor,
            alternative,
            pass,
            records: ind.records.map(str::to_owned),
        });
    }
    out
}

/// The region's and the division's facts.
pub fn region_facts(f: &Facts, region: &str) -> Facts {
    let prefix = crate::enterprise::region_prefix(region).to_owned();
    f.only(|t| {
        t.profile
            .as_ref()
            .is_some_and(|p| p.region.starts_with(&prefix))
    })
}

pub fn industry_facts(f: &Facts, division: &str) -> Facts {
    f.only(|t| {
        t.profile
            .as_ref()
            .and_then(|p| crate::division::division_of(&p.industry))
            .is_some_and(|d| d.key() == division)
    })
}
