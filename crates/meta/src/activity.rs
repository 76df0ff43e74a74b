//! Devices' live data per month (see `ironloom_core::activity`).

use crate::SqlStore;
use crate::sql::*;
use async_trait::async_trait;
use ironloom_core::activity::{ActivityDelta, DeviceMonth};
use ironloom_core::error::Result;
use ironloom_core::ids::{DeviceId, TenantId};
use ironloom_core::repo::ActivityRepo;
use std::collections::BTreeSet;

fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

#[async_trait]
impl ActivityRepo for SqlStore {
    async fn add_device_activity(&self, rows: &[ActivityDelta]) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let mut tx = self.begin().await?;
        for r in rows {
            // A grown property set is merged with the stored one (read under a lock, so a
            // second node writing the same device's month cannot drop names).
            let (names, count) = match &r.properties {
                None => (String::from("[]"), 0i64),
                Some(new) => {
                    let mut sql =
                        Sql::new("SELECT properties FROM device_activity WHERE device_id = ");
                    sql.bind(r.device_id.to_string())
                        .and("month =", r.month.clone())
                        .push(self.for_update());
                    let stored = sql
                        .query()
                        .fetch_optional(&mut *tx)
                        .await
                        .map_err(storage("read device activity"))?;
                    let mut all: BTreeSet<String> = match &stored {
                        Some(row) => json(row, "properties")?,
                        None => BTreeSet::new(),
                    };
                    all.extend(new.iter().cloned());
                    let n = all.len() as i64;
                    (to_json(&all)?, n)
                }
            };
            // With the device's product, read from the device (none: the device is gone).
            let mut sql = Sql::new(
                "INSERT INTO device_activity (device_id, month, tenant_id, messages, points, \
                 first_at, last_at, properties, property_count, product_id) SELECT ",
            );
            sql.bind(r.device_id.to_string())
                .push(", ")
                .bind(r.month.clone())
                .push(", ")
                .bind(r.tenant_id.to_string())
                .push(", ")
                .bind(to_i64(r.messages))
                .push(", ")
                .bind(to_i64(r.points))
                .push(", ")
                .bind(r.first_at)
                .push(", ")
                .bind(r.last_at)
                .push(", ")
                .bind(names)
                .push(", ")
                .bind(count)
                .push(", d.product_id FROM devices d WHERE d.id = ")
                .bind(r.device_id.to_string())
                .push(
                    " ON CONFLICT (device_id, month) DO UPDATE SET \
                     messages = device_activity.messages + excluded.messages, \
                     points = device_activity.points + excluded.points, \
                     first_at = CASE WHEN excluded.first_at < device_activity.first_at \
                       THEN excluded.first_at ELSE device_activity.first_at END, \
                     last_at = CASE WHEN excluded.last_at > device_activity.last_at \
                       THEN excluded.last_at ELSE device_activity.last_at END, \
                     properties = CASE WHEN excluded.property_count > device_activity.property_count \
                       THEN excluded.properties ELSE device_activity.properties END, \
                     property_count = CASE WHEN excluded.property_count > device_activity.property_count \
                       THEN excluded.property_count ELSE device_activity.property_count END",
                );
            sql.query()
                .execute(&mut *tx)
                .await
                .map_err(storage("record device activity"))?;
        }
        tx.commit()
            .await
            .map_err(storage("record device activity"))?;
        Ok(())
    }

    async fn device_month(
        &self,
        tenant: TenantId,
        device: DeviceId,
        month: &str,
    ) -> Result<Option<DeviceMonth>> {
        let mut sql = Sql::new(
            "SELECT tenant_id, device_id, month, messages, points, first_at, last_at, properties \
             FROM device_activity WHERE device_id = ",
        );
        sql.bind(device.to_string())
            .and("month =", month)
            .and("tenant_id =", tenant.to_string());
        let row = sql
            .query()
            .fetch_optional(self.pool())
            .await
            .map_err(storage("read device activity"))?;
        row.map(|r| {
            Ok(DeviceMonth {
                tenant_id: parse(&r, "tenant_id")?,
                device_id: parse(&r, "device_id")?,
                month: text(&r, "month")?,
                messages: u64::try_from(int(&r, "messages")?).unwrap_or(0),
                points: u64::try_from(int(&r, "points")?).unwrap_or(0),
                first_at: ts(&r, "first_at")?,
                last_at: ts(&r, "last_at")?,
                properties: json(&r, "properties")?,
            })
        })
        .transpose()
    }
}
