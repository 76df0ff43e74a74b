//! `serve --demo`: a demo tenant with users of every role, the demo products (pump,
//! motor, boiler, CNC machine, screw compressor, cold room, injection moulding machine,
//! loom, the edge gateway), device groups and devices, a dashboard, alarm rules on
//! the simulators' physics, live model bindings and five apps on the devices that report
//! live data (pump efficiency, vibration zones, an X̄–R chart of the pump's flow, motor
//! load, energy and carbon) and the pump app once more on the demo gateway (an app at the
//! edge), created once and reused on later starts.

use anyhow::{Context, anyhow};
use ironloom_core::auth::Role;
use ironloom_core::entity::*;
use ironloom_core::i18n::Locale;
use ironloom_core::industry::{DeviceCategory, Industry, Protocol};
use ironloom_core::repo::MetaStore;
use ironloom_core::rule::RuleDoc;
use ironloom_core::thing_model::ThingModel;
use serde::Deserialize;
use std::collections::HashMap;

const PRODUCTS: &str = include_str!("../demo/products.json");
const DEVICES: &str = include_str!("../demo/devices.csv");
/// The demo's dashboard, its devices by name.
const DASHBOARD: &str = include_str!("../demo/dashboard.json");
/// The demo's alarm rules: thresholds on the simulated pump and boiler (see the
/// descriptions in the file), so that alarms come and go.
const RULES: &str = include_str!("../demo/rules.json");
/// The demo's live model bindings: IAPWS-IF97 on the boiler's steam pressure, apparent
/// power of the motor.
const BINDINGS: &str = include_str!("../demo/bindings.json");
const TENANT: &str = "demo";
/// The files of an app of `apps/` that make its package (every demo app has an SVG icon
/// and one panel page); its module is committed, built from its sources (a test checks
/// the committed bytes are what the sources build to).
macro_rules! app_files {
    ($dir:literal) => {
        [
            (
                "manifest.json",
                include_bytes!(concat!("../../../apps/", $dir, "/manifest.json")).as_slice(),
            ),
            (
                "README.md",
                include_bytes!(concat!("../../../apps/", $dir, "/README.md")).as_slice(),
            ),
            (
                "icon.svg",
                include_bytes!(concat!("../../../apps/", $dir, "/icon.svg")).as_slice(),
            ),
            (
                "ui/index.html",
                include_bytes!(concat!("../../../apps/", $dir, "/ui/index.html")).as_slice(),
            ),
            (
                "modules/main.wasm",
                include_bytes!(concat!("../../../apps/", $dir, "/modules/main.wasm")).as_slice(),
            ),
        ]
    };
}

/// One app the demo installs: its files, the installation's name, configuration and products.
struct DemoApp {
    files: [(&'static str, &'static [u8]); 5],
    name: &'static str,
    config: &'static str,
    product: &'static str,
    /// The gateway it runs on, for an app at the edge.
    edge: Option<&'static str>,
}

/// The apps the demo installs, on the devices that report live data (pump-01 and
/// motor-01 through the demo gateway): three languages, four domains; the pump app also
/// runs at the edge, on the demo gateway edge-01.
const DEMO_APPS: [DemoApp; 6] = [
    DemoApp {
        files: app_files!("pump-efficiency"),
        name: "pumps",
        config: r#"{"threshold": 0.4}"#,
        product: "demo-pump",
        edge: None,
    },
    DemoApp {
        files: app_files!("vibration-pdm"),
        name: "pump-vibration",
        config: r#"{"velocity_property": "vibration", "group": "group_2", "foundation": "rigid"}"#,
        product: "demo-pump",
        edge: None,
    },
    DemoApp {
        files: app_files!("spc-xbar-r"),
        name: "pump-flow-spc",
        config: r#"{"property": "flow", "n": 5, "baseline": 20}"#,
        product: "demo-pump",
        edge: None,
    },
    DemoApp {
        files: app_files!("motor-load"),
        name: "motors",
        config: "{}",
        product: "demo-motor",
        edge: None,
    },
    DemoApp {
        files: app_files!("energy-carbon"),
        name: "energy",
        config: "{}",
        product: "demo-motor",
        edge: None,
    },
    DemoApp {
        files: app_files!("pump-efficiency"),
        name: "pump-efficiency-edge",
        config: r#"{"threshold": 0.4}"#,
        product: "demo-pump",
        edge: Some("edge-01"),
    },
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoProduct {
    name: String,
    product_key: String,
    description: String,
    industry: Industry,
    category: DeviceCategory,
    kind: String,
    protocol: Protocol,
    thing_model: ThingModel,
}

fn demo_password() -> String {
    std::env::var("IRONLOOM_DEMO_PASSWORD")
        .ok()
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| "ironloom-demo-1".into())
}

pub async fn seed(store: &dyn MetaStore, base_url: &str) -> anyhow::Result<()> {
    let e = |e: ironloom_core::error::Error| anyhow!("demo data: {}", e.message(Locale::En));
    let password = demo_password();
    if store
        .find_tenant_by_code(TENANT)
        .await
        .map_err(e)?
        .is_none()
    {
        create(store, &password).await?;
        tracing::info!("demo tenant created");
    }
    let devices = {
        let t = store
            .find_tenant_by_code(TENANT)
            .await
            .map_err(e)?
            .ok_or_else(|| anyhow!("demo tenant vanished"))?;
        store.count_devices(t.id).await.map_err(e)?
    };
    println!(
        "\n  Demo ready / 演示数据已就绪: tenant 租户 \"{TENANT}\", {devices} devices 台设备\n    Console / 控制台  {base_url}/\n    API docs / 接口文档  {base_url}/api/docs/\n    Log in / 登录  user 用户名 demo (tenant admin 租户管理员), demo-engineer, demo-operator, demo-viewer\n                   password 密码 {password}\n    curl -s {base_url}/api/v1/auth/login -H 'content-type: application/json' \\\n         -d '{{\"username\":\"demo\",\"password\":\"{password}\",\"tenant\":\"{TENANT}\"}}'\n"
    );
    Ok(())
}

async fn create(store: &dyn MetaStore, password: &str) -> anyhow::Result<()> {
    let e = |e: ironloom_core::error::Error| anyhow!("demo data: {}", e.message(Locale::En));
    let actor = Actor::system("demo");
    let tenant = store
        .create_tenant(
            &actor,
            NewTenant {
                code: TENANT.into(),
                name: "演示工厂 Demo Factory".into(),
                description: Some("Created by `ironloom serve --demo`. 由演示模式创建。".into()),
                max_devices: Some(1000),
                max_model_calls: None,
            },
        )
        .await
        .map_err(e)?;
    // The enterprise behind the demo tenant (a made-up credit code with valid check
    // characters), as the evaluation report counts it.
    let profile = ironloom_core::enterprise::ProfileInput {
        legal_name: "演示精工机械有限公司".into(),
        credit_code: "91320583MA1DEM0A96".into(),
        industry: "C34".into(),
        industry_mode: ironloom_core::enterprise::IndustryMode::Discrete,
        kind: ironloom_core::enterprise::EnterpriseKind::Manufacturer,
        employees: Some(420),
        revenue: Some(12000.0),
        assets: None,
        region: "320583".into(),
        park: Some("昆山经济技术开发区".into()),
        version: None,
    };
    let size = ironloom_core::enterprise::check_profile(&profile)
        .map_err(|p| anyhow!("demo enterprise profile: {p:?}"))?;
    store
        .put_profile(&actor, tenant.id, &profile, size, None)
        .await
        .map_err(e)?;
    let hash = ironloom_api::hash_password(password.to_string())
        .await
        .map_err(e)?;
    for (username, role, display) in [
        ("demo", Role::TenantAdmin, "演示管理员 Demo admin"),
        ("demo-engineer", Role::Engineer, "演示工程师 Demo engineer"),
        ("demo-operator", Role::Operator, "演示操作员 Demo operator"),
        ("demo-viewer", Role::Viewer, "演示访客 Demo viewer"),
    ] {
        store
            .create_user(
                &actor,
                NewUser {
                    tenant_id: Some(tenant.id),
                    username: username.into(),
                    display_name: Some(display.into()),
                    email: None,
                    role,
                    password_hash: hash.clone(),
                    password_change_required: false,
                },
            )
            .await
            .map_err(e)?;
    }
    let products: Vec<DemoProduct> =
        serde_json::from_str(PRODUCTS).context("demo/products.json")?;
    let mut product_ids = HashMap::new();
    // What rules on each product may read.
    let mut product_properties: HashMap<String, Vec<String>> = HashMap::new();
    for p in products {
        p.thing_model
            .validate()
            .map_err(|err| anyhow!("demo product {}: {err}", p.product_key))?;
        if ironloom_core::device_kind::kind(&p.kind).is_none() {
            return Err(anyhow!(
                "demo product {}: unknown kind {}",
                p.product_key,
                p.kind
            ));
        }
        let created = store
            .create_product(
                &actor,
                tenant.id,
                NewProduct {
                    name: p.name,
                    product_key: p.product_key.clone(),
                    description: Some(p.description),
                    industry: Some(p.industry),
                    category: p.category,
                    kind: Some(p.kind),
                    protocol: p.protocol,
                    thing_model: p.thing_model,
                    tm_extensions: JsonMap::new(),
                },
            )
            .await
            .map_err(e)?;
        product_properties.insert(
            p.product_key.clone(),
            created
                .thing_model
                .properties
                .iter()
                .map(|x| x.identifier.clone())
                .collect(),
        );
        product_ids.insert(p.product_key, created.id);
    }
    let mut groups = HashMap::new();
    let mut reader = csv::Reader::from_reader(DEVICES.as_bytes());
    let headers = reader.headers().context("demo/devices.csv")?.clone();
    let mut new_devices = Vec::new();
    for record in reader.records() {
        let record = record.context("demo/devices.csv")?;
        let cell = |name: &str| {
            headers
                .iter()
                .position(|h| h == name)
                .and_then(|i| record.get(i))
                .unwrap_or("")
        };
        let name = cell("name").to_string();
        let group_name = cell("groups").to_string();
        if !groups.contains_key(&group_name) {
            let g = store
                .create_group(
                    &actor,
                    tenant.id,
                    NewDeviceGroup {
                        name: group_name.clone(),
                        description: None,
                    },
                )
                .await
                .map_err(e)?;
            groups.insert(group_name.clone(), g.id);
        }
        let mut attributes = JsonMap::new();
        for (i, h) in headers.iter().enumerate() {
            if let (Some(key), Some(v)) = (h.strip_prefix("attr:"), record.get(i)) {
                let value =
                    serde_json::from_str(v).unwrap_or_else(|_| serde_json::Value::String(v.into()));
                attributes.insert(key.into(), value);
            }
        }
        new_devices.push(NewDevice {
            product_id: *product_ids
                .get(cell("product"))
                .ok_or_else(|| anyhow!("demo device {name}: unknown product"))?,
            label: Some(cell("label").to_string()),
            description: None,
            tags: cell("tags")
                .split(';')
                .filter(|t| !t.is_empty())
                .map(str::to_string)
                .collect(),
            groups: vec![groups[&group_name]],
            attributes,
            // Fixed, documented credentials so the device examples in the docs work as written.
            credentials: DeviceCredentials {
                access_token: format!("{name}-token"),
                username: format!("demo.{name}"),
                password: format!("{name}-password"),
                secret: format!("{name}-secret-0123456789"),
                x509_fingerprint: None,
            },
            name,
        });
    }
    let devices = store
        .create_devices(&actor, tenant.id, new_devices)
        .await
        .map_err(e)?;
    let ids: HashMap<String, String> = devices
        .iter()
        .map(|d| (d.name.clone(), d.id.to_string()))
        .collect();
    let mut doc: serde_json::Value =
        serde_json::from_str(DASHBOARD).context("demo/dashboard.json")?;
    for w in doc["widgets"].as_array_mut().into_iter().flatten() {
        for d in w["devices"].as_array_mut().into_iter().flatten() {
            let name = d.as_str().unwrap_or_default();
            let id = ids
                .get(name)
                .ok_or_else(|| anyhow!("demo dashboard: no device {name}"))?;
            *d = serde_json::Value::String(id.clone());
        }
    }
    let doc: ironloom_core::dashboard::DashboardDoc =
        serde_json::from_value(doc).context("demo/dashboard.json")?;
    if let Some(p) = doc.check().first() {
        return Err(anyhow!("demo dashboard: {p}"));
    }
    store
        .create_dashboard(&actor, tenant.id, doc)
        .await
        .map_err(e)?;
    let rules: Vec<RuleDoc> = serde_json::from_str(RULES).context("demo/rules.json")?;
    for rule in rules {
        let properties: Vec<String> = rule
            .source
            .products
            .iter()
            .flat_map(|k| product_properties.get(k).cloned().unwrap_or_default())
            .collect();
        if let Some(p) = rule.check(Some(&properties)).first() {
            return Err(anyhow!("demo rule {}: {p}", rule.name));
        }
        store
            .create_rule(&actor, tenant.id, rule)
            .await
            .map_err(e)?;
    }
    let bindings: Vec<ironloom_core::model_run::BindingSpec> =
        serde_json::from_str(BINDINGS).context("demo/bindings.json")?;
    let library = ironloom_models::Library::get();
    for b in bindings {
        let card = ironloom_core::model::Catalogue::card(library, &b.model)
            .ok_or_else(|| anyhow!("demo binding {}: no model {}", b.name, b.model))?;
        let product = store
            .find_product_by_key(tenant.id, &b.product_key)
            .await
            .map_err(e)?
            .ok_or_else(|| anyhow!("demo binding {}: no product", b.name))?;
        ironloom_core::model_run::plan_binding(&b, card, &product.thing_model)
            .map_err(|err| anyhow!("demo binding {}: {err}", b.name))?;
        store
            .create_binding(&actor, tenant.id, b)
            .await
            .map_err(e)?;
    }
    for app in &DEMO_APPS {
        install_app(store, &actor, tenant.id, app).await?;
    }
    // The edge app's document and package, stored as the gateway's shared attributes: the
    // demo gateway asks for them when it connects.
    let gateway = store
        .find_device_by_name(tenant.id, "edge-01")
        .await
        .map_err(e)?
        .ok_or_else(|| anyhow!("demo: no gateway edge-01"))?;
    let push = ironloom_api::plan_gateway_apps(store, tenant.id, &gateway)
        .await
        .map_err(e)?;
    let mut set: serde_json::Map<String, serde_json::Value> = push.parts.into_iter().collect();
    set.insert(
        ironloom_core::edge_app::APPS_ATTRIBUTE.into(),
        push.document,
    );
    store
        .set_attributes(
            &actor,
            tenant.id,
            gateway.id,
            ironloom_core::command::AttributeScope::Shared,
            set,
        )
        .await
        .map_err(e)?;
    Ok(())
}

async fn install_app(
    store: &dyn MetaStore,
    actor: &Actor,
    tenant: ironloom_core::ids::TenantId,
    app: &DemoApp,
) -> anyhow::Result<()> {
    let e = |e: ironloom_core::error::Error| {
        anyhow!("demo app {}: {}", app.name, e.message(Locale::En))
    };
    let files: std::collections::BTreeMap<String, Vec<u8>> = app
        .files
        .iter()
        .map(|(k, v)| ((*k).to_string(), v.to_vec()))
        .collect();
    let bytes = ironloom_apps::package::pack(&files).context("demo app: pack")?;
    let pkg = ironloom_apps::AppPackage::read(&bytes, &Default::default(), None)
        .map_err(|err| anyhow!("demo app {}: {err}", app.name))?;
    let info = ironloom_core::app_install::AppPackageInfo {
        tenant_id: tenant,
        app_id: pkg.manifest.id.clone(),
        version: pkg.manifest.version.clone(),
        digest: pkg.digest.clone(),
        size: bytes.len() as u64,
        manifest: pkg.manifest.clone(),
        uploaded_by: "demo".into(),
        uploaded_at: chrono::Utc::now(),
    };
    store
        .put_app_package(actor, &info, &bytes)
        .await
        .map_err(e)?;
    let spec = ironloom_core::app_install::InstallationSpec {
        name: app.name.into(),
        app_id: info.app_id,
        version: info.version,
        config: serde_json::from_str(app.config).context("demo app config")?,
        grant: pkg.manifest.permissions.clone(),
        products: vec![app.product.into()],
        enabled: true,
        edge: app
            .edge
            .map(|g| ironloom_core::edge_app::EdgeTarget { gateway: g.into() }),
    };
    let problems = spec.check(&pkg.manifest);
    if !problems.is_empty() {
        return Err(anyhow!("demo app {}: {problems:?}", app.name));
    }
    store
        .create_installation(actor, tenant, spec)
        .await
        .map_err(e)?;
    Ok(())
}
