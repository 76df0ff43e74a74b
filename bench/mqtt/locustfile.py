"""Locust load for the MQTT ingest benchmark: a third-party load tool run by `mqtt-bench`
(bench/mqtt/run.sh) against each broker.

Each Locust user is one MQTT 3.1.1 client (Locust's own `locust.contrib.mqtt.MqttUser`,
paho-mqtt underneath) that publishes the benchmark's 10-value JSON at QoS 1 on
`v1/devices/me/telemetry` and waits for the PUBACK before the next publish; Locust times
each publish to its acknowledgement. Locust's `MqttUser` sets credentials only with a
password, so the client class here sets the user name alone: Ironloom takes it as the
device's access token.

Environment: MQTT_BENCH_HOST (default 127.0.0.1), MQTT_BENCH_PORT, MQTT_BENCH_USER.
"""

import os

from locust import constant, task
from locust.contrib.mqtt import MqttClient, MqttUser

TOPIC = "v1/devices/me/telemetry"
PAYLOAD = (
    '{"v0":21.5,"v1":3.2,"v2":118.4,"v3":2.71,"v4":41.3,'
    '"v5":381.2,"v6":1476,"v7":22.41,"v8":1024,"v9":1}'
)
USER = os.environ.get("MQTT_BENCH_USER") or None


class TokenClient(MqttClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if USER:
            self.username_pw_set(USER)


class Device(MqttUser):
    client_cls = TokenClient
    host = os.environ.get("MQTT_BENCH_HOST", "127.0.0.1")
    port = int(os.environ.get("MQTT_BENCH_PORT", "1883"))
    wait_time = constant(0)

    @task
    def publish(self):
        if not self.client.is_connected():
            self.wait()
            return
        info = self.client.publish(TOPIC, PAYLOAD, qos=1)
        info.wait_for_publish(timeout=30)
