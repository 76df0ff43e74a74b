//! Attributes (what a device reports about itself, what the platform shares with it)
//! and the hub as the platform's [`DeviceLink`].

use ironloom_core::command::{AttributeScope, DeviceLink};
use ironloom_core::entity::{Actor, DeviceStatus};
use ironloom_core::i18n::Locale;
use ironloom_core::ids::{DeviceId, TenantId};
use serde_json::Value as Json;

use super::{DeviceCtx, DeviceHub, Rejection, device_actor};

impl DeviceHub {
    /// Stores attributes the device reports about itself (client scope).
    pub async fn client_attributes(
        &self,
        ctx: &DeviceCtx,
        values: serde_json::Map<String, Json>,
    ) -> Result<(), Rejection> {
        if values.is_empty() {
            return Ok(());
        }
        let actor = device_actor(ctx);
        self.meta
            .set_attributes(
                &actor,
                ctx.tenant,
                ctx.device,
                AttributeScope::Client,
                values,
            )
            .await
            .map_err(|e| match e {
                ironloom_core::error::Error::Invalid(f) => {
                    Rejection::Payload(f.message(Locale::En))
                }
                other => Rejection::Payload(format!("not stored: {other}")),
            })?;
        self.seen(ctx);
        Ok(())
    }

    /// Attributes a device asks for: `None` keys mean all of the scope.
    pub async fn requested_attributes(
        &self,
        ctx: &DeviceCtx,
        client_keys: Option<&[String]>,
        shared_keys: Option<&[String]>,
    ) -> Result<(Json, Json), ironloom_core::error::Error> {
        let get = |scope, keys| async move {
            let attrs = self
                .meta
                .get_attributes(ctx.tenant, ctx.device, scope, keys)
                .await?;
            Ok::<Json, ironloom_core::error::Error>(Json::Object(
                attrs.into_iter().map(|a| (a.key, a.value)).collect(),
            ))
        };
        let client = get(AttributeScope::Client, client_keys).await?;
        let shared = get(AttributeScope::Shared, shared_keys).await?;
        self.seen(ctx);
        Ok((client, shared))
    }
}

#[async_trait::async_trait]
impl DeviceLink for DeviceHub {
    async fn send_command(
        &self,
        actor: &Actor,
        tenant: TenantId,
        device: DeviceId,
        req: ironloom_core::command::CommandRequest,
    ) -> ironloom_core::error::Result<ironloom_core::command::Command> {
        DeviceHub::send_command(self, actor, tenant, device, req).await
    }

    async fn set_shared_attributes(
        &self,
        actor: &Actor,
        tenant: TenantId,
        device: DeviceId,
        values: serde_json::Map<String, Json>,
    ) -> ironloom_core::error::Result<Vec<ironloom_core::command::Attribute>> {
        let written = self
            .meta
            .set_attributes(
                actor,
                tenant,
                device,
                AttributeScope::Shared,
                values.clone(),
            )
            .await?;
        self.push_attributes_anywhere(tenant, device, values, Vec::new())
            .await;
        Ok(written)
    }

    async fn delete_shared_attributes(
        &self,
        actor: &Actor,
        tenant: TenantId,
        device: DeviceId,
        keys: Vec<String>,
    ) -> ironloom_core::error::Result<Vec<String>> {
        let removed = self
            .meta
            .delete_attributes(actor, tenant, device, AttributeScope::Shared, &keys)
            .await?;
        if !removed.is_empty() {
            self.push_attributes_anywhere(tenant, device, serde_json::Map::new(), removed.clone())
                .await;
        }
        Ok(removed)
    }

    fn live_status(&self, device: DeviceId) -> Option<DeviceStatus> {
        DeviceHub::live_status(self, device)
    }

    fn reachable(&self, device: DeviceId) -> bool {
        DeviceHub::reachable(self, device)
    }

    fn traffic(&self, tenant: Option<TenantId>) -> ironloom_core::command::Traffic {
        self.traffic_of(tenant)
    }

    fn changed(&self, change: ironloom_core::peers::Change) {
        self.forget(&change);
        if let Some(peers) = self.peers.get() {
            peers.changed(&change);
        }
    }
}
