//! Registration over the APIs existing clients speak, on a real `ironloom serve`: the
//! Handle.Net REST API driven by the real pyhandle 1.5.0 (with an API key as its
//! password), and the secondary-node (SNMS v3/v5) compatible API driven request by
//! request as its documents show, error cases and tenancy included.

use crate::support::{Api, Server, peer_python};
use base64::Engine;
use serde_json::{Value, json};

/// An API key of the session's tenant with the given scopes.
async fn api_key(api: &Api, scopes: &[&str]) -> String {
    let (status, k) = api
        .call(
            "POST",
            "/api/v1/api-keys",
            Some(json!({"name": "registration", "scopes": scopes})),
        )
        .await;
    assert_eq!(status, 201, "{k}");
    k["key"].as_str().unwrap().to_string()
}

async fn prefix(api: &Api, prefix: &str) {
    let (status, p) = api
        .call(
            "POST",
            "/api/v1/identifier-prefixes",
            Some(json!({"prefix": prefix, "name": prefix})),
        )
        .await;
    assert_eq!(status, 201, "{p}");
}

async fn register(api: &Api, handle: &str, values: Value) {
    let (status, r) = api
        .call(
            "POST",
            "/api/v1/identifiers",
            Some(json!({"handle": handle, "values": values})),
        )
        .await;
    assert_eq!(status, 201, "{r}");
}

/// A raw request to the Handle REST API: status and body.
async fn handle_call(
    server: &Server,
    method: &str,
    path_and_query: &str,
    auth: Option<&str>,
    body: Option<Value>,
) -> (u16, Value) {
    let mut r = reqwest::Client::new().request(
        method.parse().unwrap(),
        format!("{}/api/handles/{path_and_query}", server.base),
    );
    if let Some(a) = auth {
        r = r.header("authorization", a);
    }
    if let Some(b) = body {
        r = r.json(&b);
    }
    let r = r.send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

fn basic(user: &str, password: &str) -> String {
    // As pyhandle writes it: the user percent-encoded (`:` as %3A, `/` kept).
    let user = user.replace(':', "%3A");
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
    )
}

#[tokio::test]
async fn pyhandle_registers_changes_and_deletes_over_the_handle_rest_api() {
    let Some(python) = peer_python(
        "IRONLOOM_IDENT_PYTHON",
        "pyhandle",
        "pyhandle_registers_changes_and_deletes_over_the_handle_rest_api",
    ) else {
        return;
    };
    let data = tempfile::tempdir().unwrap();
    let server = Server::start(data.path());
    let a = Api::new_tenant(&server).await;
    let b = Api::new_tenant_named(&server, "supplier", "tb").await;
    // pyhandle strips the characters h, d, l, o, i and `:` from a handle's front: digits.
    prefix(&a, "20.500.777").await;
    prefix(&b, "21.900.1").await;
    // The administrator's handle pyhandle resolves when it starts.
    register(
        &a,
        "20.500.777/ADMIN",
        json!([{"index": 1, "type": "DESC", "data": "registration account"}]),
    )
    .await;
    register(
        &b,
        "21.900.1/B-1",
        json!([{"index": 1, "type": "URL", "data": "https://supplier.example/b1"}]),
    )
    .await;
    let key = api_key(&a, &["identifier:read", "identifier:manage"]).await;

    let driver = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../identifiers/tests/pyhandle_driver.py");
    let out = std::process::Command::new(&python)
        .arg(&driver)
        .args([
            server.base.as_str(),
            "300:20.500.777/ADMIN",
            &key,
            "20.500.777",
            "21.900.1/B-1",
        ])
        .output()
        .expect("python");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    let h = "20.500.777/PYH-0001";
    assert_eq!(r["register"]["ok"], h, "{r}");
    let rec = &r["record"]["ok"];
    assert_eq!(rec["URL"], "https://plant.example/p/1", "{r}");
    assert_eq!(rec["EMAIL"], "qa@plant.example", "{r}");
    assert!(
        rec["HS_ADMIN"]
            .as_str()
            .unwrap()
            .contains("0.NA/20.500.777"),
        "HS_ADMIN kept: {r}"
    );
    assert_eq!(
        r["register_again"]["error"], "HandleAlreadyExistsException",
        "{r}"
    );
    assert_eq!(r["modify"]["ok"], h, "{r}");
    let values = r["after_modify"]["ok"]["values"].as_array().unwrap();
    let typed = |t: &str| values.iter().find(|v| v["type"] == t).cloned();
    assert_eq!(
        typed("URL").unwrap()["data"]["value"],
        "https://plant.example/p/1b"
    );
    assert_eq!(typed("COLOUR").unwrap()["data"]["value"], "blue", "{r}");
    assert_eq!(typed("LOT").unwrap()["data"]["value"], "L-7", "kept: {r}");
    assert_eq!(r["delete_value"]["ok"], h, "{r}");
    assert!(r["after_delete_value"]["ok"].get("EMAIL").is_none(), "{r}");
    assert_eq!(r["after_delete_value"]["ok"]["COLOUR"], "blue", "{r}");
    assert_eq!(r["json_register"]["ok"], "20.500.777/PYH-0002", "{r}");
    assert_eq!(r["delete"]["ok"], h, "{r}");
    assert!(r["after_delete"]["ok"].is_null(), "{r}");
    assert_eq!(
        r["delete_missing"]["error"], "HandleNotFoundException",
        "{r}"
    );
    assert_eq!(
        r["wrong_password"]["error"], "HandleAuthenticationError",
        "{r}"
    );
    for step in [
        "other_tenant_register",
        "other_tenant_modify",
        "other_tenant_delete",
    ] {
        assert_eq!(r[step]["error"], "GenericHandleError", "{step}: {r}");
        assert!(
            r[step]["message"].as_str().unwrap().contains("403"),
            "{step}: {r}"
        );
    }

    // The registration went through the platform: the tenant sees it, audited under the
    // key's name.
    let listed = a.get("/api/v1/identifiers?prefix=20.500.777").await;
    let handles: Vec<&str> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["handle"].as_str().unwrap())
        .collect();
    assert_eq!(handles, ["20.500.777/ADMIN", "20.500.777/PYH-0002"]);
    let audit = a.get("/api/v1/audit?resource=identifier").await;
    assert!(audit.to_string().contains("(API key)"), "{audit}");
    assert_eq!(
        b.get("/api/v1/identifiers/21.900.1%2FB-1").await["values"][0]["data"]["value"],
        "https://supplier.example/b1",
        "the other tenant's untouched"
    );

    // The codes pyhandle and CNRI's tools check, request by request.
    let auth = basic("300:20.500.777/ADMIN", &key);
    let body = json!({"values": [{"index": 1, "type": "URL", "data": {"format": "string", "value": "https://plant.example/p/3"}}]});
    let (status, made) = handle_call(
        &server,
        "PUT",
        "20.500.777/P-3?overwrite=false",
        Some(&auth),
        Some(body.clone()),
    )
    .await;
    assert_eq!(
        (status, &made),
        (201, &json!({"responseCode": 1, "handle": "20.500.777/P-3"}))
    );
    let (status, e) = handle_call(
        &server,
        "PUT",
        "20.500.777/P-3?overwrite=false",
        Some(&auth),
        Some(body.clone()),
    )
    .await;
    assert_eq!((status, &e["responseCode"]), (409, &json!(101)), "{e}");
    let (status, e) = handle_call(
        &server,
        "PUT",
        "20.500.777/P-3",
        Some(&auth),
        Some(body.clone()),
    )
    .await;
    assert_eq!(
        (status, &e["responseCode"]),
        (200, &json!(1)),
        "replaced: {e}"
    );
    // A bare array and a bearer token; then values checked as every registration is.
    let (status, e) = handle_call(
        &server,
        "PUT",
        "20.500.777/P-4",
        Some(&format!("Bearer {}", a.token())),
        Some(json!([{"index": 1, "type": "URL", "data": "https://plant.example/p/4"}])),
    )
    .await;
    assert_eq!((status, &e["responseCode"]), (201, &json!(1)), "{e}");
    for bad in [
        json!({"values": [{"index": 1, "type": "HS_SECKEY", "data": "secret"}]}),
        json!({"values": [{"index": 1001, "type": "TEMPLATE", "data": "x"}]}),
        json!({"values": [{"index": 1, "type": "A", "data": "x"}, {"index": 1, "type": "B", "data": "y"}]}),
    ] {
        let (status, e) =
            handle_call(&server, "PUT", "20.500.777/P-5", Some(&auth), Some(bad)).await;
        assert_eq!((status, &e["responseCode"]), (400, &json!(202)), "{e}");
    }
    // Credentials: none, a wrong key, a user that is no `INDEX:HANDLE`, a key without the
    // permission.
    for a_auth in [
        None,
        Some(basic("300:20.500.777/ADMIN", "ilk_wrong")),
        Some(basic("ADMIN", &key)),
    ] {
        let (status, e) = handle_call(
            &server,
            "PUT",
            "20.500.777/P-6",
            a_auth.as_deref(),
            Some(body.clone()),
        )
        .await;
        assert_eq!((status, &e["responseCode"]), (401, &json!(402)), "{e}");
    }
    let reader = api_key(&a, &["identifier:read"]).await;
    let (status, e) = handle_call(
        &server,
        "DELETE",
        "20.500.777/P-3",
        Some(&basic("300:20.500.777/ADMIN", &reader)),
        None,
    )
    .await;
    assert_eq!((status, &e["responseCode"]), (403, &json!(400)), "{e}");
    // Values deleted by index; none of them there; the identifier; a missing one.
    let (status, e) = handle_call(
        &server,
        "DELETE",
        "20.500.777/P-3?index=7",
        Some(&auth),
        None,
    )
    .await;
    assert_eq!((status, &e["responseCode"]), (400, &json!(200)), "{e}");
    let (status, e) = handle_call(
        &server,
        "DELETE",
        "20.500.777/P-3?index=1",
        Some(&auth),
        None,
    )
    .await;
    assert_eq!((status, &e["responseCode"]), (200, &json!(1)), "{e}");
    let (status, e) = handle_call(&server, "GET", "20.500.777/P-3", None, None).await;
    assert_eq!(
        (status, &e["responseCode"]),
        (200, &json!(200)),
        "resolved at once, empty: {e}"
    );
    let (status, e) = handle_call(&server, "DELETE", "20.500.777/P-3", Some(&auth), None).await;
    assert_eq!((status, &e["responseCode"]), (200, &json!(1)), "{e}");
    let (status, e) = handle_call(&server, "DELETE", "20.500.777/P-3", Some(&auth), None).await;
    assert_eq!((status, &e["responseCode"]), (404, &json!(100)), "{e}");
    let (status, e) = handle_call(&server, "GET", "20.500.777/P-3", None, None).await;
    assert_eq!((status, &e["responseCode"]), (404, &json!(100)), "{e}");
}

/// An SNMS request: the envelope's status, message and data.
async fn snms(
    server: &Server,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
    lang: Option<&str>,
) -> (i64, String, Value) {
    let mut r = reqwest::Client::new()
        .request(method.parse().unwrap(), format!("{}{path}", server.base))
        .header("content-type", "application/json");
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    if let Some(l) = lang {
        r = r.header("accept-language", l);
    }
    if let Some(b) = body {
        r = r.body(b.to_string());
    }
    let r = r.send().await.unwrap();
    assert_eq!(
        r.status(),
        200,
        "{method} {path}: SNMS answers in the envelope"
    );
    let v: Value = r.json().await.unwrap();
    let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
    assert_eq!(keys.len(), 3, "{v}");
    (
        v["status"].as_i64().unwrap(),
        v["message"].as_str().unwrap().to_string(),
        v["data"].clone(),
    )
}

fn item(handle: &str, name: &str) -> Value {
    json!({"handle": handle, "templateVersion": "1.0.0",
        "value": [{"data": {"format": "string", "value": name}, "auth": "", "index": 2000, "type": "name"},
                  {"data": {"format": "string", "value": "10.0.0.7"}, "auth": "", "index": 2001, "type": "ip"}]})
}

#[tokio::test]
async fn snms_clients_register_over_the_secondary_node_api() {
    let data = tempfile::tempdir().unwrap();
    // The hashed log-in is off unless asked for (see the second server below).
    let server = Server::start_with(
        data.path(),
        "127.0.0.1:0",
        &[("IRONLOOM__API__SNMS_HASHED_LOGIN", "true".into())],
    );
    let a = Api::new_tenant(&server).await;
    let b = Api::new_tenant_named(&server, "supplier", "tb").await;
    prefix(&a, "88.101.5").await;
    prefix(&b, "88.101.9").await;
    register(
        &b,
        "88.101.9/B-1",
        json!([{"index": 1, "type": "URL", "data": "https://supplier.example/b1"}]),
    )
    .await;

    // Log-in: user@tenant and password; a wrong password; an API key as the password;
    // the hashed variant with an API key (and not with a user's password).
    let (status, _, token) = snms(
        &server,
        "POST",
        "/identity/token",
        None,
        Some(json!({"username": "ta@factory", "password": crate::support::TENANT_ADMIN_PASSWORD})),
        None,
    )
    .await;
    assert_eq!(status, 1, "{token}");
    let token = token["token"].as_str().unwrap().to_string();
    let (status, message, data) = snms(
        &server,
        "POST",
        "/identity/token",
        None,
        Some(json!({"username": "ta@factory", "password": "wrong"})),
        None,
    )
    .await;
    assert_eq!(
        (status, message.as_str(), &data),
        (-2, "用户名/密码错误！", &Value::Null)
    );
    let key = api_key(&a, &["identifier:read", "identifier:manage"]).await;
    let (status, _, by_key) = snms(
        &server,
        "POST",
        "/identity/token",
        None,
        Some(json!({"username": "anything", "password": key})),
        None,
    )
    .await;
    assert_eq!(status, 1, "{by_key}");
    let key_id = key.split('_').nth(1).unwrap();
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    let sha = |s: &str| {
        use sha2::Digest;
        sha2::Sha256::digest(s.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    };
    let hashed = sha(&format!("{}{today}", sha(&key)));
    let (status, _, by_hash) = snms(
        &server,
        "POST",
        "/identity/token/v1",
        None,
        Some(json!({"username": format!("ilk_{key_id}"), "password": hashed})),
        None,
    )
    .await;
    assert_eq!(status, 1, "{by_hash}");
    let hashed_token = by_hash["token"].as_str().unwrap().to_string();
    let (status, _, _) = snms(
        &server,
        "POST",
        "/identity/token/v1",
        None,
        Some(json!({"username": format!("ilk_{key_id}"), "password": sha(&format!("{}1999-01-01", sha(&key)))})),
        None,
    )
    .await;
    assert_eq!(status, -2, "another day's hash");
    {
        // A platform that did not ask for it refuses the hashed log-in, saying why.
        let d = tempfile::tempdir().unwrap();
        let other = Server::start(d.path());
        let (status, message, _) = snms(
            &other,
            "POST",
            "/identity/token/v1",
            None,
            Some(json!({"username": format!("ilk_{key_id}"), "password": hashed})),
            Some("en"),
        )
        .await;
        assert_eq!(status, -2);
        assert!(message.contains("hashed log-in is off"), "{message}");
    }

    // Templates, v3 then v5 (the documents' bodies).
    let tpl = json!({"prefix": "88.101.5", "version": "1.0.0", "industryCategory": "A",
        "industrySpecific": "01", "industryTrade": "011", "industrySubclass": "0111", "type": 1,
        "description": "测试模板",
        "items": [{"name": "名称", "idType": "name", "metadata": {"type": "string", "minLength": 1, "maxLength": 10}, "required": true},
                  {"name": "地址", "idType": "ip", "metadata": {"type": "string", "minLength": 1, "maxLength": 15}, "required": false}]});
    let (status, _, done) = snms(
        &server,
        "POST",
        "/snms/api/v3/template",
        Some(&token),
        Some(tpl.clone()),
        None,
    )
    .await;
    assert_eq!((status, &done), (1, &json!(true)));
    let (status, _, got) = snms(
        &server,
        "GET",
        "/snms/api/v3/template?prefix=88.101.5&version=1.0.0",
        Some(&token),
        None,
        None,
    )
    .await;
    assert_eq!(status, 1, "{got}");
    assert_eq!(got["industrySubclass"], "0111");
    assert_eq!(got["industryTrade"], "011");
    assert_eq!(got["type"], 1);
    assert_eq!(got["items"][0]["idType"], "name");
    assert_eq!(got["items"][0]["metadata"]["maxLength"], 10);
    assert!(got["items"][0].get("idIndex").is_none(), "v3: {got}");
    let (status, _, got5) = snms(
        &server,
        "GET",
        "/snms/api/v5/template?prefix=88.101.5&version=1.0.0",
        Some(&token),
        None,
        None,
    )
    .await;
    assert_eq!(status, 1);
    assert_eq!(got5["items"][1]["idIndex"], 2001, "{got5}");
    assert_eq!(got5["items"][1]["state"], 1);
    // It is a template of the platform too, under the prefix's id.
    let native = a.get("/api/v1/identifier-templates/88.101.5/1.0.0").await;
    assert_eq!(native["fields"][0]["name"], "name", "{native}");
    let (status, message, _) = snms(
        &server,
        "GET",
        "/snms/api/v3/template?version=1.0.0",
        Some(&token),
        None,
        None,
    )
    .await;
    assert_eq!(
        (status, message.as_str()),
        (-2, "缺少必要的请求参数: prefix")
    );
    let mut v5 = tpl.clone();
    v5["version"] = json!("2.0.0");
    v5["items"] = json!([{"name": "型号", "idType": "model", "idIndex": "2100", "metadata": {"type": "string", "maxLength": 32}, "required": false}]);
    let (status, _, _) = snms(
        &server,
        "POST",
        "/snms/api/v5/template",
        Some(&token),
        Some(v5.clone()),
        None,
    )
    .await;
    assert_eq!(status, 1);
    v5["items"] = json!([{"name": "型号", "idType": "model", "idIndex": 2100, "metadata": {"type": "string", "maxLength": 64}, "required": false, "state": 0},
        {"name": "颜色", "idType": "colour", "idIndex": 2101, "metadata": {"type": "string"}, "required": false, "state": 1}]);
    let (status, m, _) = snms(
        &server,
        "PUT",
        "/snms/api/v5/template",
        Some(&token),
        Some(v5.clone()),
        None,
    )
    .await;
    assert_eq!(status, 1, "{m}");
    let (_, _, got5) = snms(
        &server,
        "GET",
        "/snms/api/v5/template?prefix=88.101.5&version=2.0.0",
        Some(&token),
        None,
        None,
    )
    .await;
    assert_eq!(got5["items"][0]["state"], 0, "{got5}");
    assert_eq!(got5["items"][0]["metadata"]["maxLength"], 64, "{got5}");
    assert_eq!(got5["items"][1]["idIndex"], 2101, "{got5}");
    let mut upper = v5.clone();
    upper["items"][0]["metadata"]["type"] = json!("String");
    let (status, _, _) = snms(
        &server,
        "PUT",
        "/snms/api/v5/template",
        Some(&token),
        Some(upper),
        None,
    )
    .await;
    assert_eq!(status, -2, "metadata.type must be lower-case string");
    let (status, _, _) = snms(
        &server,
        "DELETE",
        "/snms/api/v5/template",
        Some(&token),
        Some(json!({"prefix": "88.101.5", "version": "2.0.0"})),
        None,
    )
    .await;
    assert_eq!(status, 1);
    let mut theirs = tpl.clone();
    theirs["prefix"] = json!("88.101.9");
    let (status, _, _) = snms(
        &server,
        "POST",
        "/snms/api/v3/template",
        Some(&token),
        Some(theirs),
        None,
    )
    .await;
    assert_eq!(status, -3, "another tenant's prefix");

    // Identifiers: register, resolve, update, delete.
    let (status, m, done) = snms(
        &server,
        "POST",
        "/identityv2/data",
        Some(&token),
        Some(item("88.101.5/xx002", "小型机械01")),
        None,
    )
    .await;
    assert_eq!((status, &done), (1, &json!(true)), "{m}");
    let (status, m, _) = snms(
        &server,
        "POST",
        "/identityv2/data",
        Some(&token),
        Some(item("88.101.5/xx002", "again")),
        None,
    )
    .await;
    assert_eq!((status, m.as_str()), (-2, "标识已存在"));
    let (status, _, d) = snms(
        &server,
        "GET",
        "/identityv2/data/detail?handle=88.101.5/xx002",
        Some(&token),
        None,
        None,
    )
    .await;
    assert_eq!(status, 1, "{d}");
    assert_eq!(d["handle"], "88.101.5/xx002");
    assert_eq!(d["prefix"], "88.101.5");
    assert_eq!(d["templateVersion"], "1.0.0");
    assert_eq!(
        d["value"][0],
        json!({"data": {"format": "string", "value": "1.0.0"}, "auth": "1", "index": 1001, "type": "TEMPLATE"})
    );
    assert_eq!(d["value"][1]["data"]["value"], "小型机械01");
    assert_eq!(d["value"][1]["type"], "name");
    // Resolved by everybody at once, over the Handle REST API.
    let (status, e) = handle_call(&server, "GET", "88.101.5/xx002?type=name", None, None).await;
    assert_eq!(
        (status, &e["values"][0]["data"]["value"]),
        (200, &json!("小型机械01")),
        "{e}"
    );
    let (status, _, done) = snms(
        &server,
        "PUT",
        "/identityv2/data",
        Some(&token),
        Some(item("88.101.5/xx002", "小型机械02")),
        None,
    )
    .await;
    assert_eq!((status, &done), (1, &json!(true)));
    let (_, _, d) = snms(
        &server,
        "GET",
        "/identityv2/data/detail?handle=88.101.5/xx002",
        Some(by_key["token"].as_str().unwrap()),
        None,
        None,
    )
    .await;
    assert_eq!(d["value"][1]["data"]["value"], "小型机械02", "{d}");

    // The documents' error cases.
    let (status, m, data) = snms(
        &server,
        "GET",
        "/identityv2/data/detail",
        Some(&token),
        None,
        None,
    )
    .await;
    assert_eq!(
        (status, m.as_str(), &data),
        (-2, "缺少必要的请求参数: handle", &Value::Null)
    );
    let (status, m, _) = snms(
        &server,
        "GET",
        "/identityv2/data/detail",
        Some(&token),
        None,
        Some("en"),
    )
    .await;
    assert_eq!(
        (status, m.as_str()),
        (-2, "missing required parameter: handle")
    );
    let mut unknown = item("88.101.5/xx003", "x");
    unknown["value"][0]["index"] = json!(1000);
    let (status, m, _) = snms(
        &server,
        "POST",
        "/identityv2/data",
        Some(&token),
        Some(unknown),
        None,
    )
    .await;
    assert_eq!(status, -2);
    assert!(m.contains("非法操作，索引1000在模板中不存在"), "{m}");
    let mut reserved = item("88.101.5/xx003", "x");
    reserved["value"][0]["index"] = json!(1001);
    let (status, m, _) = snms(
        &server,
        "POST",
        "/identityv2/data",
        Some(&token),
        Some(reserved),
        None,
    )
    .await;
    assert_eq!(status, -2);
    assert!(m.contains("1001"), "{m}");
    let mut long = item("88.101.5/xx003", "x");
    long["value"][0]["data"]["value"] = json!("x".repeat(11));
    let (status, m, _) = snms(
        &server,
        "POST",
        "/identityv2/data",
        Some(&token),
        Some(long),
        None,
    )
    .await;
    assert_eq!(status, -2, "the template's maxLength 10: {m}");
    let mut no_template = item("88.101.5/xx003", "x");
    no_template["templateVersion"] = json!("9.9");
    let (status, m, _) = snms(
        &server,
        "POST",
        "/identityv2/data",
        Some(&token),
        Some(no_template),
        None,
    )
    .await;
    assert_eq!(status, -2, "{m}");
    let (status, _, _) = snms(
        &server,
        "POST",
        "/identityv2/data",
        Some(&token),
        Some(item("88.101.9/B-2", "x")),
        None,
    )
    .await;
    assert_eq!(status, -3, "another tenant's prefix");
    let (status, _, _) = snms(
        &server,
        "GET",
        "/identityv2/data/detail?handle=88.101.9/B-1",
        Some(&token),
        None,
        None,
    )
    .await;
    assert_eq!(status, -3, "another tenant's identifier");
    let (status, _, _) = snms(
        &server,
        "DELETE",
        "/identityv2/data",
        Some(&token),
        Some(json!({"handle": "88.101.9/B-1"})),
        None,
    )
    .await;
    assert_eq!(status, -3);
    for bad in [
        None,
        Some("garbage"),
        Some("ilk_00000000000000000000000000000000_x"),
    ] {
        let (status, _, _) = snms(
            &server,
            "POST",
            "/identityv2/data",
            bad,
            Some(item("88.101.5/xx009", "x")),
            None,
        )
        .await;
        assert_eq!(status, -1, "{bad:?}");
    }
    let reader = api_key(&a, &["identifier:read"]).await;
    let (status, _, _) = snms(
        &server,
        "POST",
        "/identityv2/data",
        Some(&reader),
        Some(item("88.101.5/xx009", "x")),
        None,
    )
    .await;
    assert_eq!(status, -3, "a key without identifier:manage");
    let (status, _, _) = snms(
        &server,
        "GET",
        "/identityv2/data/detail?handle=88.101.5/xx002",
        Some(&reader),
        None,
        None,
    )
    .await;
    assert_eq!(status, 1, "reading is enough for the detail");

    // Batches: created, existing and refused items reported; at most 2000.
    let batch: Vec<Value> = (0..5)
        .map(|i| item(&format!("88.101.5/b-{i}"), &format!("批次{i}")))
        .chain([
            item("88.101.5/xx002", "dup"),
            {
                let mut bad = item("88.101.5/b-bad", "x");
                bad["value"][0]["index"] = json!(3000);
                bad
            },
            item("88.101.9/b-theirs", "x"),
        ])
        .collect();
    let (status, _, out) = snms(
        &server,
        "POST",
        "/identityv2/data/batchCreate",
        Some(&hashed_token),
        Some(Value::Array(batch)),
        None,
    )
    .await;
    assert_eq!(status, 1, "{out}");
    let msgs: Vec<&str> = out
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["msg"].as_str().unwrap())
        .collect();
    assert_eq!(
        &msgs[..6],
        [
            "success",
            "success",
            "success",
            "success",
            "success",
            "标识已存在"
        ],
        "{out}"
    );
    assert!(msgs[6].contains("索引3000"), "{out}");
    assert!(msgs[7].contains("88.101.9"), "{out}");
    assert_eq!(out[0]["handle"], "88.101.5/b-0");
    let too_many: Vec<Value> = (0..2001)
        .map(|i| item(&format!("88.101.5/m-{i}"), "x"))
        .collect();
    let (status, m, _) = snms(
        &server,
        "POST",
        "/identityv2/data/batchCreate",
        Some(&token),
        Some(Value::Array(too_many)),
        None,
    )
    .await;
    assert_eq!(status, -2, "{m}");
    assert!(m.contains("2000"), "{m}");
    let (status, _, out) = snms(
        &server,
        "PUT",
        "/identityv2/data/batchUpdate",
        Some(&token),
        Some(json!([
            item("88.101.5/b-0", "改过"),
            item("88.101.5/none", "x")
        ])),
        None,
    )
    .await;
    assert_eq!(status, 1);
    assert_eq!(out[0], json!({"handle": "88.101.5/b-0", "msg": "success"}));
    assert_eq!(out[1]["msg"], "没有找到标识", "{out}");
    let (status, _, out) = snms(
        &server,
        "DELETE",
        "/identityv2/data/batchDelete",
        Some(&token),
        Some(json!([
            "88.101.5/b-0",
            "88.101.5/b-1",
            "88.101.5/none",
            "88.101.9/B-1"
        ])),
        None,
    )
    .await;
    assert_eq!(status, 1);
    assert_eq!(
        out[0],
        json!({"handle": "88.101.5/b-0", "code": 1, "msg": "success"})
    );
    assert_eq!(
        out[2],
        json!({"handle": "88.101.5/none", "code": -2, "msg": "标识不存在"})
    );
    assert_eq!(out[3]["code"], -2, "another tenant's: {out}");
    assert_eq!(
        b.get("/api/v1/identifiers/88.101.9%2FB-1").await["handle"],
        "88.101.9/B-1",
        "untouched"
    );
    let (status, _, done) = snms(
        &server,
        "DELETE",
        "/identityv2/data",
        Some(&token),
        Some(json!({"handle": "88.101.5/xx002"})),
        None,
    )
    .await;
    assert_eq!((status, &done), (1, &json!(true)));
    let (status, m, _) = snms(
        &server,
        "DELETE",
        "/identityv2/data",
        Some(&token),
        Some(json!({"handle": "88.101.5/xx002"})),
        None,
    )
    .await;
    assert_eq!((status, m.as_str()), (-2, "没有找到标识"));
    // A template in use stays.
    let (status, _, _) = snms(
        &server,
        "DELETE",
        "/snms/api/v3/template",
        Some(&token),
        Some(json!({"prefix": "88.101.5", "version": "1.0.0"})),
        None,
    )
    .await;
    assert_eq!(status, -2, "identifiers still name it");
}
