//! The ThingsBoard IoT Gateway (PyPI `thingsboard-gateway`, run as it is) as a drop-in
//! gateway of `ironloom serve`: its Modbus connector polls a pymodbus server
//! (`tests/peers/tb_gateway.py`); the sub-devices' data arrives, parameter writes from the
//! REST API reach the Modbus registers as shared-attribute updates, an RPC the connector
//! fails is recorded as failed with its error, and a sub-device of ThingsBoard's type
//! `default` is created with a product made for that type once the tenant allows it.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::process::Command;

use crate::support::{Api, PeerProcess, Server, now_ms, peer_python, peer_script, within};

/// The pymodbus server the gateway polls, and a pymodbus client reading it back.
struct Modbus {
    peer: PeerProcess,
    port: u16,
}

impl Modbus {
    async fn start(python: &str, registers: &[&str]) -> Modbus {
        let mut args = vec!["modbus".to_owned()];
        args.extend(registers.iter().map(|r| r.to_string()));
        let mut peer = PeerProcess::spawn(python, "tb_gateway.py", &args);
        let port = peer.expect("port ", 30).await.parse().unwrap();
        Modbus { peer, port }
    }

    /// A holding register, read over Modbus TCP by pymodbus.
    async fn read(&mut self, unit: u8, addr: u16) -> i64 {
        self.peer.send(&format!("read {unit} {addr}")).await;
        self.peer.expect("value ", 10).await.parse().unwrap()
    }
}

fn pump_model() -> Value {
    json!({"properties": [
        {"identifier": "temperature", "name": "Temperature", "data_type": {"type": "double"}},
        {"identifier": "speed_set", "name": "Speed setpoint", "access": "rw",
         "data_type": {"type": "int", "min": 0, "max": 3000}},
    ]})
}

/// The gateway's configuration directory: the platform as its ThingsBoard, one Modbus
/// connector with a pump of product `tbPump` on unit 1 and a meter of ThingsBoard's
/// default type on unit 2.
fn write_config(dir: &Path, mqtt: std::net::SocketAddr, token: &str, modbus: u16) {
    std::fs::create_dir_all(dir).unwrap();
    let main = json!({
        "thingsboard": {
            "host": mqtt.ip().to_string(), "port": mqtt.port(),
            "remoteShell": false, "remoteConfiguration": false, "latencyDebugMode": false,
            "statistics": {"enable": false, "statsSendPeriodInSeconds": 3600},
            "deviceFiltering": {"enable": false},
            "maxPayloadSizeBytes": 8196, "minPackSendDelayMS": 50, "minPackSizeToSend": 500,
            "checkConnectorsConfigurationInSeconds": 60, "handleDeviceRenaming": true,
            "security": {"type": "accessToken", "accessToken": token},
            "qos": 1,
            "reportStrategy": {"type": "ON_RECEIVED"},
            "checkingDeviceActivity": {"checkDeviceInactivity": false}
        },
        "storage": {"type": "memory", "read_records_count": 100, "max_records_count": 100000},
        "grpc": {"enabled": false},
        "connectors": [{"type": "modbus", "name": "Modbus", "configuration": "modbus.json"}]
    });
    let slave = |unit: u8, name: &str, kind: &str, timeseries: Value, updates: Value| {
        json!({
            "host": "127.0.0.1", "port": modbus, "type": "tcp", "method": "socket",
            "unitId": unit, "deviceName": name, "deviceType": kind,
            "timeout": 5, "byteOrder": "BIG", "wordOrder": "BIG",
            "retries": 3, "retryOnEmpty": true, "retryOnInvalid": true,
            "pollPeriod": 500, "connectAttemptTimeMs": 500, "connectAttemptCount": 5,
            "waitAfterFailedAttemptsMs": 1000,
            "attributes": [], "timeseries": timeseries, "attributeUpdates": updates, "rpc": []
        })
    };
    let register = |tag: &str, address: u16, fc: u8| json!({"tag": tag, "type": "16int", "functionCode": fc, "objectsCount": 1, "address": address});
    let mut temperature = register("temperature", 0, 3);
    temperature["divider"] = json!(10);
    let modbus_cfg = json!({"master": {"slaves": [
        slave(1, "tb-pump-1", "tbPump",
              json!([temperature, register("speed_set", 4, 3)]),
              json!([register("speed_set", 4, 6)])),
        slave(2, "tb-meter-1", "default", json!([register("kwh", 0, 3)]), json!([])),
    ]}});
    let logs = json!({
        "version": 1, "disable_existing_loggers": false,
        "formatters": {"f": {"format": "%(asctime)s %(name)s %(levelname)s %(message)s"}},
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "f",
                                 "stream": "ext://sys.stdout"}},
        "root": {"level": "INFO", "handlers": ["console"]}
    });
    for (file, v) in [
        ("tb_gateway.json", main),
        ("modbus.json", modbus_cfg),
        ("logs.json", logs),
    ] {
        std::fs::write(dir.join(file), serde_json::to_vec_pretty(&v).unwrap()).unwrap();
    }
}

/// Polls `f` until it returns `Some`, for up to `secs` seconds; the gateway's and the
/// server's logs are in the failure message.
async fn eventually<T, F, Fut>(secs: u64, what: &str, logs: &Logs<'_>, f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    within(secs, what, || logs.dump(), f).await
}

struct Logs<'a> {
    gateway: &'a Path,
    server: &'a Server,
}

impl Logs<'_> {
    fn dump(&self) -> String {
        let gw = std::fs::read_to_string(self.gateway).unwrap_or_default();
        let tail: String = gw
            .lines()
            .rev()
            .take(80)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect::<Vec<_>>()
            .join("\n");
        format!(
            "gateway log (last 80 lines):\n{tail}\nserver log:\n{}",
            self.server.log.lock().unwrap()
        )
    }
}

async fn find(api: &Api, what: &str, name: &str) -> Option<Value> {
    let list = api.get(&format!("/api/v1/{what}?q={name}")).await;
    list["items"]
        .as_array()?
        .iter()
        .find(|d| d["name"] == name)
        .cloned()
}

#[tokio::test]
async fn thingsboard_gateway_modbus_data_writes_rpc_errors_and_default_type() {
    let test = "thingsboard_gateway_modbus_data_writes_rpc_errors_and_default_type";
    let Some(python) = peer_python(
        "IRONLOOM_TB_GATEWAY_PYTHON",
        "thingsboard_gateway, pymodbus",
        test,
    ) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("platform"));
    let api = Api::new_tenant(&server).await;
    let gw_product = api.product_with("tbEdge", "gateway", json!({})).await;
    let gw = api.device(&gw_product, "tb-gw-1").await;
    api.product_with("tbPump", "modbus_tcp", pump_model()).await;
    // temperature 21.5 (×10), speed setpoint 1450; the meter's energy 42.
    let mut modbus = Modbus::start(&python, &["1:0=215", "1:4=1450", "2:0=42"]).await;
    let config = dir.path().join("tb");
    write_config(&config, server.mqtt, &gw.access_token, modbus.port);
    let log_path = dir.path().join("tb-gateway.log");
    let log_file = std::fs::File::create(&log_path).unwrap();
    let _gateway = Command::new(&python)
        .arg(peer_script("tb_gateway.py"))
        .arg("gateway")
        .arg(config.join("tb_gateway.json"))
        // It writes logs/ and its device list beside where it runs.
        .current_dir(&config)
        .stdin(Stdio::null())
        .stdout(log_file.try_clone().unwrap())
        .stderr(log_file)
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let logs = Logs {
        gateway: &log_path,
        server: &server,
    };
    let a = &api;

    // The pump's data arrives through the gateway.
    let pump = eventually(
        60,
        "tb-pump-1 with temperature values",
        &logs,
        || async move {
            let d = find(a, "devices", "tb-pump-1").await?;
            let id = d["id"].as_str()?.to_owned();
            let h = a
                .history(
                    &id,
                    "temperature,speed_set",
                    now_ms() - 60_000,
                    now_ms() + 1000,
                )
                .await;
            let t = h.iter().find(|p| p.0 == "temperature")?;
            assert_eq!(t.2.as_f64(), Some(21.5), "{h:?}");
            Some(id)
        },
    )
    .await;

    // An RPC the connector does not know: it answers {"result":{"error":…}}, which fails
    // the command with that error.
    let (code, c) = api
        .call(
            "POST",
            &format!("/api/v1/devices/{pump}/commands"),
            Some(json!({"method": "reboot", "params": {}, "timeout_ms": 20000})),
        )
        .await;
    assert_eq!(code, 200, "{c}");
    assert_eq!(c["status"], "failed", "{c}\n{}", logs.dump());
    assert!(
        c["error"]
            .as_str()
            .is_some_and(|e| e.contains("Method not found for reboot")),
        "{c}"
    );

    // A parameter write reaches the register through the connector's attributeUpdates.
    let (code, c) = api
        .call(
            "POST",
            &format!("/api/v1/devices/{pump}/commands"),
            Some(json!({"properties": {"speed_set": 1234}, "timeout_ms": 20000})),
        )
        .await;
    assert_eq!(code, 200, "{c}");
    assert_eq!(c["status"], "succeeded", "{c}\n{}", logs.dump());
    let m = &mut modbus;
    let mut register = 0;
    for _ in 0..100 {
        register = m.read(1, 4).await;
        if register == 1234 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(
        register,
        1234,
        "the register after the write\n{}",
        logs.dump()
    );
    let p = &pump;
    eventually(30, "speed_set 1234 polled back", &logs, || async move {
        let h = a
            .history(p, "speed_set", now_ms() - 10_000, now_ms() + 1000)
            .await;
        h.iter().any(|x| x.2 == json!(1234)).then_some(())
    })
    .await;

    // The meter's type `default` names no product. Until the tenant allows gateways to
    // create products (the gateway product's provisioning allows creation), it is refused
    // with a reason in the gateway's error log, and nothing is created.
    let gw_id = &gw.id;
    let refusal = eventually(
        30,
        "the refused meter in the gateway's error log",
        &logs,
        || async move {
            let e = a.get(&format!("/api/v1/devices/{gw_id}/errors")).await;
            e["items"]
                .as_array()?
                .iter()
                .find(|x| x.to_string().contains("tb-meter-1"))
                .cloned()
        },
    )
    .await;
    assert!(refusal.to_string().contains("allow_create"), "{refusal}");
    assert!(find(a, "devices", "tb-meter-1").await.is_none());
    assert!(find(a, "products", "default").await.is_none());
    let (code, v) = api
        .call(
            "PUT",
            &format!("/api/v1/products/{gw_product}/provisioning"),
            Some(json!({"enabled": true, "allow_create": true})),
        )
        .await;
    assert_eq!(code, 200, "{v}");
    // Now the gateway's next message creates it, with a product made for the type.
    let meter = eventually(
        60,
        "tb-meter-1 created with its energy",
        &logs,
        || async move {
            let d = find(a, "devices", "tb-meter-1").await?;
            let id = d["id"].as_str()?.to_owned();
            let h = a
                .history(&id, "kwh", now_ms() - 60_000, now_ms() + 1000)
                .await;
            let last = h.last()?;
            assert_eq!(last.2.as_f64(), Some(42.0), "{h:?}");
            Some(d)
        },
    )
    .await;
    let product = api
        .get(&format!(
            "/api/v1/products/{}",
            meter["product_id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(product["name"], "default", "{product}");
    assert_eq!(product["protocol"], "gateway", "{product}");
}
