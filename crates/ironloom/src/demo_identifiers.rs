//! `serve --demo`: identifiers of the demo plant (prefix `88.118.8`), registered once
//! with the shipped templates: a pump unit, the motor built into it, the steel coil its
//! base frame was cut from, and a batch of frozen food from the cold room; the pump unit
//! linked to its motor (a component) and to the coil (a material batch).

use ironloom_api::AppState;
use ironloom_core::entity::Actor;
use ironloom_core::identifier::{IdLink, IdPrefix, IdentifierRecord, LinkKind, TemplateRef};
use ironloom_identifiers::HandleValue;

const PREFIX: &str = "88.118.8";

/// One identifier: suffix, template, (type, text) values by the template's fields, and
/// its resolution URL.
struct Item {
    suffix: &'static str,
    template: &'static str,
    values: &'static [(&'static str, &'static str)],
}

const ITEMS: &[Item] = &[
    Item {
        suffix: "PUMP-UNIT-0001",
        template: "machinery-part",
        values: &[
            ("model", "ZB-200 centrifugal pump unit 离心泵机组"),
            ("serial_no", "PU-2026-0001"),
            ("made_on", "2026-10-12"),
            ("material", "HT250 casing, 304 impeller"),
            ("standard", "GB/T 5656-2008"),
            ("maker", "Demo plant 演示工厂"),
            ("mass", "412"),
            (
                "inspection",
                "hydrostatic test at 1.5 × design pressure passed",
            ),
        ],
    },
    Item {
        suffix: "MOTOR-0001",
        template: "machinery-part",
        values: &[
            ("model", "YE3-160M-4, 11 kW, IE3"),
            ("serial_no", "M24-118307"),
            ("made_on", "2026-08-30"),
            ("standard", "GB 18613-2020"),
            ("maker", "Demo motors 演示电机"),
            ("mass", "121"),
        ],
    },
    Item {
        suffix: "COIL-0001",
        template: "steel-coil",
        values: &[
            ("grade", "Q235B"),
            ("thickness", "3.0"),
            ("width", "1250"),
            ("heat_no", "H24-11873"),
            ("coil_no", "C24-0551"),
            ("net_weight", "21.36"),
            ("standard", "GB/T 3274-2017"),
            ("rolled_on", "2026-07-18"),
            ("customer_order", "PO-2026-0719"),
        ],
    },
    Item {
        suffix: "BATCH-20261201-A",
        template: "food-batch",
        values: &[
            ("product_name", "Frozen dumplings 速冻水饺"),
            ("batch_no", "20261201-A"),
            ("produced_on", "2026-12-01"),
            ("shelf_life_days", "365"),
            (
                "storage",
                "frozen at or below −18 °C 在 −18 °C 及以下冷冻保存",
            ),
            ("producer", "Demo foods 演示食品"),
            ("licence_no", "SC11144010600001"),
            ("standard", "GB 19295-2021"),
        ],
    },
];

/// Registers the demo plant's identifiers when it has none yet.
pub async fn seed(state: &AppState) -> anyhow::Result<usize> {
    let Some(tenant) = state.store.find_tenant_by_code("demo").await? else {
        return Ok(0);
    };
    let actor = Actor::system("demo");
    if state.store.prefix_owner(PREFIX).await?.is_none() {
        state
            .store
            .create_prefix(
                &actor,
                &IdPrefix {
                    prefix: PREFIX.into(),
                    tenant_id: tenant.id,
                    name: "Demo plant 演示工厂".into(),
                    identifiers: 0,
                    created_at: chrono::Utc::now(),
                },
            )
            .await?;
    }
    if state.store.prefix_owner(PREFIX).await? != Some(tenant.id) {
        anyhow::bail!("{PREFIX} is held by another tenant");
    }
    let now = chrono::Utc::now();
    let stamp = u32::try_from(now.timestamp()).unwrap_or(0);
    let mut records = Vec::new();
    for item in ITEMS {
        let template = state.store.get_template(item.template, "1.0").await?;
        let mut values = vec![HandleValue::new(
            1,
            "URL",
            format!("http://127.0.0.1:8080/r/{PREFIX}/{}", item.suffix).into_bytes(),
        )?];
        for (name, text) in item.values {
            let field = template
                .field_of(name)
                .ok_or_else(|| anyhow::anyhow!("{}: no field {name}", item.template))?;
            let mut v = HandleValue::new(field.index, name, text.as_bytes().to_vec())?;
            v.permissions.public_read = field.public;
            v.timestamp = stamp;
            values.push(v);
        }
        values[0].timestamp = stamp;
        template
            .validate(&values)
            .map_err(|e| anyhow::anyhow!("{}: {e}", item.suffix))?;
        values.sort_by_key(|v| v.index);
        records.push(IdentifierRecord {
            handle: format!("{PREFIX}/{}", item.suffix),
            tenant_id: tenant.id,
            prefix: PREFIX.into(),
            template: Some(TemplateRef {
                id: item.template.into(),
                version: "1.0".into(),
            }),
            values,
            created_at: now,
            updated_at: now,
        });
    }
    let made = state
        .store
        .create_identifiers(&actor, tenant.id, &records)
        .await?
        .iter()
        .filter(|o| **o == ironloom_core::identifier::BatchOutcome::Created)
        .count();
    let (children, _) = state
        .store
        .links_of(&format!("{PREFIX}/PUMP-UNIT-0001"))
        .await?;
    if children.is_empty() {
        for (child, kind) in [
            ("MOTOR-0001", LinkKind::Component),
            ("COIL-0001", LinkKind::Batch),
        ] {
            state
                .store
                .add_link(
                    &actor,
                    &IdLink {
                        parent: format!("{PREFIX}/PUMP-UNIT-0001"),
                        child: format!("{PREFIX}/{child}"),
                        kind,
                        tenant_id: tenant.id,
                        created_at: now,
                    },
                )
                .await?;
        }
    }
    Ok(made)
}
