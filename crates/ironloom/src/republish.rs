//! Rules' messages to a tenant's applications (MQTT `rules/…` in the tenant's application
//! namespace), on this node and, in a cluster, on every other.

use std::sync::Arc;

/// Rules republish to the tenant's applications (MQTT user `apikey`), on `rules/…`:
/// published here and, in a cluster, handed to the other nodes for the applications
/// connected there.
pub struct MqttRepublisher {
    pub mqtt: ironloom_mqtt::MqttServer<ironloom_device::MqttDevices>,
    pub hub: Arc<ironloom_device::DeviceHub>,
}

impl ironloom_rules::runtime::Republisher for MqttRepublisher {
    /// Counts the applications of this node that took it.
    fn republish(
        &self,
        tenant: ironloom_core::ids::TenantId,
        topic: &str,
        payload: Vec<u8>,
    ) -> usize {
        if let Some(peers) = self.hub.peers() {
            peers.republish(tenant, topic, &payload);
        }
        publish_to_apps(&self.mqtt, tenant, topic, payload)
    }
}

/// Publishes a rule's message to the tenant's applications on this node; how many took it.
pub(crate) fn publish_to_apps(
    mqtt: &ironloom_mqtt::MqttServer<ironloom_device::MqttDevices>,
    tenant: ironloom_core::ids::TenantId,
    topic: &str,
    payload: Vec<u8>,
) -> usize {
    let msg = ironloom_mqtt::Message {
        topic: topic.into(),
        payload: payload.into(),
        qos: ironloom_mqtt::QoS::AtLeastOnce,
        retain: false,
        props: None,
    };
    mqtt.publish(&ironloom_device::mqtt::app_namespace(tenant), msg)
        .online
}
