//! End-to-end tests of the REST API over a real SQLite store: authorisation (the role
//! matrix and tenant isolation for every resource), bad input of every class, languages,
//! log-in lock-out, API keys, audit, bulk import and thing-model import/export.

// In tests a failed unwrap is a failed test, with the reason in the panic message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use ironloom_api::authz::{Access, POLICIES};
use ironloom_api::{ApiSettings, AppState, TokenSigner};
use ironloom_core::auth::Role;
use ironloom_core::entity::{Actor, NewUser};
use ironloom_core::repo::{DeviceRepo, MetaStore, UserRepo};
use ironloom_meta::{SqlStore, SqlStoreOptions};
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::sync::Arc;
use tower::ServiceExt;

const PASSWORD: &str = "Passw0rd!x";

struct App {
    router: Router,
    store: Arc<SqlStore>,
    _dir: tempfile::TempDir,
}

struct Resp {
    status: StatusCode,
    body: Value,
    headers: axum::http::HeaderMap,
    /// The body as received.
    bytes: Vec<u8>,
}

impl App {
    async fn new() -> App {
        Self::with_settings(ApiSettings::default()).await
    }

    async fn with_settings(settings: ApiSettings) -> App {
        Self::build(settings, false).await
    }

    /// With an app runtime on the same store (a small instance pool).
    async fn with_apps() -> App {
        Self::build(ApiSettings::default(), true).await
    }

    async fn build(settings: ApiSettings, apps: bool) -> App {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(
            SqlStore::open(
                &SqlStore::sqlite_url(dir.path()),
                &SqlStoreOptions::default(),
            )
            .await
            .unwrap(),
        );
        store
            .create_user(
                &Actor::system("test"),
                NewUser {
                    tenant_id: None,
                    username: "admin".into(),
                    display_name: None,
                    email: None,
                    role: Role::PlatformAdmin,
                    password_hash: ironloom_api::hash_password(PASSWORD.into()).await.unwrap(),
                    password_change_required: false,
                },
            )
            .await
            .unwrap();
        let tsdb = ironloom_tsdb::Engine::open(
            &dir.path().join("tsdb"),
            ironloom_tsdb::Options {
                fsync: ironloom_tsdb::FsyncPolicy::Never,
                ..Default::default()
            },
        )
        .unwrap();
        let meter: Arc<ironloom_models::meter::Meter> = Default::default();
        let apps = if apps {
            let bus = ironloom_bus::LocalBus::new();
            let hub = ironloom_device::DeviceHub::new(
                store.clone(),
                Arc::new(tsdb.clone()),
                bus.clone(),
                Default::default(),
            );
            let platform = ironloom_apps::Platform {
                meta: store.clone(),
                store: Arc::new(tsdb.clone()),
                ingest: hub,
                link: None,
                meter: meter.clone(),
                alarms: None,
            };
            let config = ironloom_apps::AppsConfig {
                max_instances: 8,
                ..Default::default()
            };
            Some(
                ironloom_apps::AppHost::start(platform, bus, config)
                    .await
                    .unwrap(),
            )
        } else {
            None
        };
        let state = AppState {
            store: store.clone() as Arc<dyn MetaStore>,
            telemetry: Arc::new(tsdb),
            tokens: TokenSigner::new(vec![42; 32]),
            settings: Arc::new(settings),
            devices: Default::default(),
            principals: Default::default(),
            link: None,
            rules: None,
            alarms_live: tokio::sync::broadcast::channel(16).0,
            ingest: None,
            bus: None,
            models: ironloom_models::Library::get(),
            meter,
            runs: None,
            apps,
            market: None,
            resolver: Arc::new(ironloom_resolver::Resolver::new(
                store.clone(),
                &Default::default(),
            )),
            cluster: None,
            drain: None,
            evaluation: Default::default(),
        };
        App {
            router: ironloom_api::router(state),
            store,
            _dir: dir,
        }
    }

    async fn raw(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        headers: &[(&str, &str)],
        body: Vec<u8>,
    ) -> Resp {
        let mut req = Request::builder().method(method).uri(path);
        if let Some(t) = token {
            req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let mut req = req.body(Body::from(body)).unwrap();
        req.extensions_mut()
            .insert(ConnectInfo(SocketAddr::from(([192, 0, 2, 7], 40000))));
        let res = self.router.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        // A live stream never ends: its status and headers are the answer.
        if headers
            .get(header::CONTENT_TYPE)
            .is_some_and(|t| t == "text/event-stream")
        {
            return Resp {
                status,
                body: Value::Null,
                headers,
                bytes: Vec::new(),
            };
        }
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        let body = serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()));
        Resp {
            status,
            body,
            headers,
            bytes: bytes.to_vec(),
        }
    }

    async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Resp {
        let (headers, bytes): (&[(&str, &str)], Vec<u8>) = match &body {
            Some(b) => (
                &[("content-type", "application/json")],
                serde_json::to_vec(b).unwrap(),
            ),
            None => (&[], Vec::new()),
        };
        self.raw(method, path, token, headers, bytes).await
    }

    async fn get(&self, path: &str, token: &str) -> Resp {
        self.call(Method::GET, path, Some(token), None).await
    }

    async fn post(&self, path: &str, token: &str, body: Value) -> Resp {
        self.call(Method::POST, path, Some(token), Some(body)).await
    }

    async fn put(&self, path: &str, token: &str, body: Value) -> Resp {
        self.call(Method::PUT, path, Some(token), Some(body)).await
    }

    async fn patch(&self, path: &str, token: &str, body: Value) -> Resp {
        self.call(Method::PATCH, path, Some(token), Some(body))
            .await
    }

    async fn delete(&self, path: &str, token: &str) -> Resp {
        self.call(Method::DELETE, path, Some(token), None).await
    }

    async fn login(&self, username: &str, tenant: Option<&str>) -> String {
        let r = self
            .call(
                Method::POST,
                "/api/v1/auth/login",
                None,
                Some(json!({"username": username, "password": PASSWORD, "tenant": tenant})),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{username}: {:?}", r.body);
        r.body["token"].as_str().unwrap().to_string()
    }
}

/// Two tenants with users of every role in the first and an admin in the second.
struct World {
    app: App,
    admin: String,
    a_id: String,
    tokens: Vec<(Role, String)>,
    a_admin: String,
    b_admin: String,
}

async fn world() -> World {
    world_on(App::new().await).await
}

async fn world_on(app: App) -> World {
    let admin = app.login("admin", None).await;
    let mut ids = Vec::new();
    for code in ["alpha", "bravo"] {
        let r = app
            .post(
                "/api/v1/tenants",
                &admin,
                json!({"code": code, "name": format!("{code} 公司")}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
        ids.push(r.body["id"].as_str().unwrap().to_string());
    }
    let users = [
        ("a-admin", Role::TenantAdmin, 0),
        ("a-eng", Role::Engineer, 0),
        ("a-op", Role::Operator, 0),
        ("a-view", Role::Viewer, 0),
        ("b-admin", Role::TenantAdmin, 1),
    ];
    for (name, role, t) in users {
        let r = app
            .post(
                "/api/v1/users",
                &admin,
                json!({"username": name, "password": PASSWORD, "role": role, "tenant_id": ids[t]}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    }
    let mut tokens = vec![(Role::PlatformAdmin, admin.clone())];
    for (name, role, _) in &users[..4] {
        tokens.push((*role, app.login(name, Some("alpha")).await));
    }
    let a_admin = tokens[1].1.clone();
    let b_admin = app.login("b-admin", Some("bravo")).await;
    World {
        app,
        admin,
        a_id: ids[0].clone(),
        tokens,
        a_admin,
        b_admin,
    }
}

async fn product(app: &App, token: &str, name: &str) -> String {
    let r = app
        .post("/api/v1/products", token, json!({
            "name": name,
            "category": "operating",
            "industry": "C",
            "thing_model": {"properties": [{"identifier": "temp", "name": "温度", "data_type": {"type": "float", "min": 0, "max": 100}}]}
        }))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    r.body["id"].as_str().unwrap().to_string()
}

async fn device(app: &App, token: &str, product: &str, name: &str) -> Value {
    let r = app
        .post(
            "/api/v1/devices",
            token,
            json!({"name": name, "product_id": product, "tags": ["t1"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    r.body
}

fn fill(route: &str, id: &str) -> String {
    route.replace("{id}", id)
}

#[tokio::test]
async fn each_role_can_do_exactly_what_the_matrix_says() {
    let w = world().await;
    let random = uuid::Uuid::now_v7().to_string();
    let mut checked = 0;
    for (method, route, access) in POLICIES {
        let Access::Permission(perm) = access else {
            continue;
        };
        for (role, token) in &w.tokens {
            let method: Method = method.parse().unwrap();
            let body =
                matches!(method, Method::POST | Method::PATCH | Method::PUT).then(|| json!({}));
            let r = w
                .app
                .call(method.clone(), &fill(route, &random), Some(token), body)
                .await;
            let allowed = role.permissions().contains(*perm);
            if allowed {
                assert_ne!(
                    r.status,
                    StatusCode::FORBIDDEN,
                    "{role} {method} {route}: {:?}",
                    r.body
                );
            } else {
                assert_eq!(
                    r.status,
                    StatusCode::FORBIDDEN,
                    "{role} {method} {route}: {:?}",
                    r.body
                );
                assert_eq!(r.body["code"], "forbidden");
            }
            checked += 1;
        }
    }
    assert!(checked > 150, "{checked}");
}

#[tokio::test]
async fn every_route_has_a_policy_and_every_policy_a_route() {
    let doc = serde_json::to_value(ironloom_api::openapi()).unwrap();
    let mut documented = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            let m = method.to_uppercase();
            assert!(
                ironloom_api::authz::policy(&m.parse().unwrap(), path).is_some(),
                "{m} {path} has no access policy"
            );
            documented.push(format!("{m} {path}"));
        }
    }
    for (m, r, _) in POLICIES {
        assert!(
            documented.contains(&format!("{m} {r}")),
            "policy for {m} {r} has no route"
        );
    }
}

/// In the OpenAPI description (and in axum's router) a literal path segment is matched
/// before a parameter: `/attributes/shared` hides `/attributes/{scope}` for the scope
/// `shared`. So every method of a templated path must be documented and answered on each
/// literal path its parameters admit (an id, a UUID, never admits `import`).
#[tokio::test]
async fn no_route_is_hidden_by_a_more_specific_one() {
    let doc = serde_json::to_value(ironloom_api::openapi()).unwrap();
    let paths = doc["paths"].as_object().unwrap();
    // Whether the path parameter `name` of `item` may take the value `literal`.
    let admits = |item: &Value, name: &str, literal: &str| {
        let param = item
            .as_object()
            .unwrap()
            .values()
            .flat_map(|op| op["parameters"].as_array().cloned().unwrap_or_default())
            .find(|p| p["in"] == "path" && p["name"] == name)
            .unwrap_or_else(|| panic!("path parameter {name} is not documented"));
        let mut schema = &param["schema"];
        if let Some(r) = schema["$ref"].as_str() {
            let name = r.trim_start_matches("#/components/schemas/");
            schema = &doc["components"]["schemas"][name];
        }
        match (schema["format"].as_str(), schema["enum"].as_array()) {
            (Some("uuid"), _) => uuid::Uuid::parse_str(literal).is_ok(),
            (_, Some(values)) => values.iter().any(|v| v == literal),
            _ => true,
        }
    };
    let hides = |general: &str, g_item: &Value, specific: &str| {
        let (g, s): (Vec<&str>, Vec<&str>) =
            (general.split('/').collect(), specific.split('/').collect());
        general != specific
            && g.len() == s.len()
            && g.iter().zip(&s).all(|(a, b)| {
                a == b
                    || a.strip_prefix('{')
                        .and_then(|a| a.strip_suffix('}'))
                        .is_some_and(|name| b.starts_with('{') || admits(g_item, name, b))
            })
    };
    let app = App::new().await;
    let admin = app.login("admin", None).await;
    let random = uuid::Uuid::now_v7().to_string();
    let mut checked = 0;
    for (general, g_item) in paths {
        for (specific, s_item) in paths {
            if !hides(general, g_item, specific) {
                continue;
            }
            for method in g_item.as_object().unwrap().keys() {
                let m: Method = method.to_uppercase().parse().unwrap();
                assert!(
                    s_item.get(method).is_some(),
                    "{m} {specific} is not documented, though {general} has it and {specific} hides it"
                );
                let body =
                    matches!(m, Method::POST | Method::PATCH | Method::PUT).then(|| json!({}));
                let r = app
                    .call(m.clone(), &fill(specific, &random), Some(&admin), body)
                    .await;
                assert_ne!(
                    r.status,
                    StatusCode::METHOD_NOT_ALLOWED,
                    "{m} {specific}: {:?}",
                    r.body
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 0, "no templated route admits another one");
}

#[tokio::test]
async fn requests_without_credentials_are_refused() {
    let app = App::new().await;
    for (m, r, access) in POLICIES {
        if *access == Access::Public {
            continue;
        }
        let res = app
            .call(
                m.parse().unwrap(),
                &fill(r, &uuid::Uuid::nil().to_string()),
                None,
                None,
            )
            .await;
        assert_eq!(res.status, StatusCode::UNAUTHORIZED, "{m} {r}");
        assert_eq!(res.body["code"], "unauthenticated");
    }
    for bad in [
        "garbage",
        "a.b.c",
        "ilk_00000000000000000000000000000000_0000000000000000000000000000000000000000",
    ] {
        let res = app.get("/api/v1/auth/me", bad).await;
        assert_eq!(res.status, StatusCode::UNAUTHORIZED, "{bad}");
        assert_eq!(res.body["code"], "invalid_token");
    }
}

#[tokio::test]
async fn tenant_b_cannot_list_read_change_or_delete_tenant_a_objects() {
    let w = world().await;
    let (app, a, b) = (&w.app, w.a_admin.as_str(), w.b_admin.as_str());
    let pid = product(app, a, "Pump").await;
    let dev = device(app, a, &pid, "pump-1").await;
    let did = dev["id"].as_str().unwrap();
    let g = app
        .post("/api/v1/device-groups", a, json!({"name": "Line 1"}))
        .await
        .body;
    let gid = g["id"].as_str().unwrap();
    let u = app
        .post(
            "/api/v1/users",
            a,
            json!({"username": "worker", "role": "viewer"}),
        )
        .await
        .body;
    let uid = u["id"].as_str().unwrap();
    let k = app
        .post("/api/v1/api-keys", a, json!({"name": "ci"}))
        .await
        .body;
    let kid = k["id"].as_str().unwrap();
    let tid = w.a_id.as_str();

    // Lists show none of A's objects.
    for (path, field) in [
        ("/api/v1/products", "name"),
        ("/api/v1/devices", "name"),
        ("/api/v1/device-groups", "name"),
        ("/api/v1/users", "username"),
        ("/api/v1/api-keys", "name"),
        ("/api/v1/tenants", "code"),
    ] {
        let r = app.get(path, b).await;
        assert_eq!(r.status, StatusCode::OK, "{path}");
        for item in r.body["items"].as_array().unwrap() {
            assert!(
                !["Pump", "pump-1", "Line 1", "worker", "ci", "alpha"]
                    .contains(&item[field].as_str().unwrap()),
                "{path}: {item}"
            );
        }
    }
    let audit = app.get("/api/v1/audit?page_size=500", b).await;
    assert!(
        audit.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["tenant_id"] != json!(tid))
    );

    // Every read, change and delete of an A object answers 404.
    let attempts: Vec<(Method, String, Option<Value>)> = vec![
        (Method::GET, format!("/api/v1/products/{pid}"), None),
        (
            Method::PATCH,
            format!("/api/v1/products/{pid}"),
            Some(json!({"name": "stolen"})),
        ),
        (
            Method::GET,
            format!("/api/v1/products/{pid}/thing-model"),
            None,
        ),
        (
            Method::PUT,
            format!("/api/v1/products/{pid}/thing-model?format=ironloom"),
            Some(json!({"properties": []})),
        ),
        (Method::DELETE, format!("/api/v1/products/{pid}"), None),
        (Method::GET, format!("/api/v1/devices/{did}"), None),
        (
            Method::PATCH,
            format!("/api/v1/devices/{did}"),
            Some(json!({"label": "stolen"})),
        ),
        (
            Method::GET,
            format!("/api/v1/devices/{did}/credentials"),
            None,
        ),
        (
            Method::POST,
            format!("/api/v1/devices/{did}/credentials/rotate"),
            Some(json!({})),
        ),
        (
            Method::PATCH,
            format!("/api/v1/devices/{did}/attributes"),
            Some(json!({"set": {"x": 1}})),
        ),
        (
            Method::GET,
            format!("/api/v1/devices/{did}/gateway-config"),
            None,
        ),
        (
            Method::PUT,
            format!("/api/v1/devices/{did}/gateway-config"),
            Some(json!({"modbus": []})),
        ),
        (
            Method::DELETE,
            format!("/api/v1/devices/{did}/gateway-config"),
            None,
        ),
        (Method::DELETE, format!("/api/v1/devices/{did}"), None),
        (Method::GET, format!("/api/v1/device-groups/{gid}"), None),
        (
            Method::PATCH,
            format!("/api/v1/device-groups/{gid}"),
            Some(json!({"name": "stolen"})),
        ),
        (Method::DELETE, format!("/api/v1/device-groups/{gid}"), None),
        (Method::GET, format!("/api/v1/users/{uid}"), None),
        (
            Method::PATCH,
            format!("/api/v1/users/{uid}"),
            Some(json!({"enabled": false})),
        ),
        (
            Method::POST,
            format!("/api/v1/users/{uid}/unlock"),
            Some(json!({})),
        ),
        (
            Method::POST,
            format!("/api/v1/users/{uid}/password"),
            Some(json!({"password": "Hijack3d!pw"})),
        ),
        (Method::DELETE, format!("/api/v1/users/{uid}"), None),
        (Method::GET, format!("/api/v1/api-keys/{kid}"), None),
        (Method::DELETE, format!("/api/v1/api-keys/{kid}"), None),
        (Method::GET, format!("/api/v1/tenants/{tid}"), None),
    ];
    for (m, path, body) in attempts {
        let r = app.call(m.clone(), &path, Some(b), body).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{m} {path}: {:?}", r.body);
        assert_eq!(r.body["code"], "not_found");
    }
    // B cannot point its own objects at A's.
    let pb = product(app, b, "B pump").await;
    let r = app
        .post(
            "/api/v1/devices",
            b,
            json!({"name": "x", "product_id": pid}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
    let r = app
        .post(
            "/api/v1/devices",
            b,
            json!({"name": "y", "product_id": pb, "groups": [gid]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
    let r = app
        .post(
            "/api/v1/users",
            b,
            json!({"username": "z", "role": "viewer", "tenant_id": tid}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
    // A's objects are intact.
    let d = app.get(&format!("/api/v1/devices/{did}"), a).await;
    assert_eq!(d.status, StatusCode::OK);
    assert_eq!(d.body["label"], Value::Null);
    assert_eq!(d.body["attributes"], json!({}));
    let creds = app
        .get(&format!("/api/v1/devices/{did}/credentials"), a)
        .await;
    assert_eq!(creds.body, dev["credentials"]);
    assert_eq!(
        app.get(&format!("/api/v1/products/{pid}"), a).await.body["name"],
        "Pump"
    );
    assert_eq!(
        app.get(&format!("/api/v1/users/{uid}"), a).await.body["enabled"],
        true
    );
    assert_eq!(
        app.get(&format!("/api/v1/api-keys/{kid}"), a).await.body["revoked"],
        false
    );
    assert_eq!(
        app.get(&format!("/api/v1/device-groups/{gid}"), a)
            .await
            .body["name"],
        "Line 1"
    );
    // A tenant admin cannot grant platform rights.
    let r = app
        .post(
            "/api/v1/users",
            a,
            json!({"username": "evil", "role": "platform_admin"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let _ = w.admin;
}

#[tokio::test]
async fn bad_input_gets_a_clear_4xx_and_changes_nothing() {
    let app = App::with_settings(ApiSettings {
        body_limit: 16 * 1024,
        ..Default::default()
    })
    .await;
    let admin = app.login("admin", None).await;
    app.post("/api/v1/tenants", &admin, json!({"code": "t", "name": "T"}))
        .await;
    let t = app.get("/api/v1/tenants?q=t", &admin).await.body["items"][0]["id"].clone();
    app.post(
        "/api/v1/users",
        &admin,
        json!({"username": "ta", "password": PASSWORD, "role": "tenant_admin", "tenant_id": t}),
    )
    .await;
    let tok = app.login("ta", Some("t")).await;
    let pid = product(&app, &tok, "P").await;
    device(&app, &tok, &pid, "existing").await;
    let tenant_id: ironloom_core::ids::TenantId = t.as_str().unwrap().parse().unwrap();
    let count = || async { app.store.count_devices(tenant_id).await.unwrap() };
    assert_eq!(count().await, 1);

    let json_headers = [("content-type", "application/json")];
    let cases: Vec<(&str, Vec<u8>, StatusCode, &str)> = vec![
        (
            "malformed JSON",
            b"{\"name\": ".to_vec(),
            StatusCode::BAD_REQUEST,
            "malformed_json",
        ),
        (
            "not JSON at all",
            b"name=x".to_vec(),
            StatusCode::BAD_REQUEST,
            "malformed_json",
        ),
        (
            "wrong type",
            serde_json::to_vec(&json!({"name": 5, "product_id": pid})).unwrap(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
        ),
        (
            "wrong nested type",
            serde_json::to_vec(&json!({"name": "a", "product_id": pid, "tags": [1]})).unwrap(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
        ),
        (
            "unknown field",
            serde_json::to_vec(&json!({"name": "a", "product_id": pid, "is_admin": true})).unwrap(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
        ),
        (
            "missing field",
            serde_json::to_vec(&json!({"name": "a"})).unwrap(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
        ),
        (
            "invalid id in body",
            serde_json::to_vec(&json!({"name": "a", "product_id": "../../etc"})).unwrap(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
        ),
        (
            "oversized",
            serde_json::to_vec(
                &json!({"name": "a", "product_id": pid, "description": "x".repeat(20_000)}),
            )
            .unwrap(),
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
        ),
        (
            "very long name",
            serde_json::to_vec(&json!({"name": "a".repeat(300), "product_id": pid})).unwrap(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
        ),
        (
            "SQL in an identifier",
            serde_json::to_vec(&json!({"name": "x'; DROP TABLE devices;--", "product_id": pid}))
                .unwrap(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
        ),
        (
            "script in an identifier",
            serde_json::to_vec(&json!({"name": "<script>alert(1)</script>", "product_id": pid}))
                .unwrap(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
        ),
        (
            "NUL character",
            br#"{"name": "ok", "product_id": "PID", "label": "a\u0000b"}"#.to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
        ),
        (
            "control character",
            serde_json::to_vec(&json!({"name": "ok", "product_id": pid, "label": "\u{1b}[2J"}))
                .unwrap(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
        ),
        (
            "lone surrogate escape",
            br#"{"name": "\ud800", "product_id": "PID"}"#.to_vec(),
            StatusCode::BAD_REQUEST,
            "malformed_json",
        ),
        (
            "non-UTF-8 bytes",
            b"{\"name\": \"\xff\xfe\", \"product_id\": \"PID\"}".to_vec(),
            StatusCode::BAD_REQUEST,
            "malformed_json",
        ),
        (
            "duplicate name",
            serde_json::to_vec(&json!({"name": "existing", "product_id": pid})).unwrap(),
            StatusCode::CONFLICT,
            "already_exists",
        ),
        (
            // Refused at the first bracket where an object is expected, without descending.
            "deep nesting",
            format!("{}{}", "[".repeat(200), "]".repeat(200)).into_bytes(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
        ),
        (
            "unknown product",
            serde_json::to_vec(&json!({"name": "a", "product_id": uuid::Uuid::now_v7()})).unwrap(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
        ),
    ];
    for (what, body, status, code) in cases {
        let body = String::from_utf8_lossy(&body)
            .replace("PID", &pid)
            .into_bytes();
        let body = if what == "non-UTF-8 bytes" {
            b"{\"name\": \"\xff\xfe\"}".to_vec()
        } else {
            body
        };
        let r = app
            .raw(
                Method::POST,
                "/api/v1/devices",
                Some(&tok),
                &json_headers,
                body,
            )
            .await;
        assert_eq!(r.status, status, "{what}: {:?}", r.body);
        assert_eq!(r.body["code"], code, "{what}: {:?}", r.body);
        assert!(!r.body["message"].as_str().unwrap().is_empty(), "{what}");
        assert_eq!(count().await, 1, "{what} changed state");
    }
    // Hostile text in free-text fields is kept verbatim (JSON API: escaping is the reader's job).
    let label = "'; DROP TABLE devices;-- <script>alert(1)</script> 泵";
    let r = app
        .post(
            "/api/v1/devices",
            &tok,
            json!({"name": "ok-1", "product_id": pid, "label": label}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(r.body["label"], label);
    // Paths, queries and content types.
    for (path, code) in [
        ("/api/v1/devices/not-a-uuid", "invalid_path"),
        (
            "/api/v1/devices/00000000-0000-0000-0000-00000000000g",
            "invalid_path",
        ),
        ("/api/v1/devices?page=0", "invalid_query"),
        ("/api/v1/devices?page_size=100000", "invalid_query"),
        ("/api/v1/devices?sort=password", "invalid_query"),
        ("/api/v1/devices?online=perhaps", "invalid_query"),
        ("/api/v1/devices?nonsense=1", "invalid_query"),
        (
            "/api/v1/devices?product_id=1%27%20OR%201=1",
            "invalid_query",
        ),
    ] {
        let r = app.get(path, &tok).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{path}: {:?}", r.body);
        assert_eq!(r.body["code"], code, "{path}");
    }
    let r = app
        .raw(
            Method::POST,
            "/api/v1/devices",
            Some(&tok),
            &[("content-type", "text/xml")],
            b"<x/>".to_vec(),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let r = app.get("/api/v1/nothing-here", &tok).await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("no_route"))
    );
    let r = app
        .call(Method::PUT, "/api/v1/devices", Some(&tok), None)
        .await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (StatusCode::METHOD_NOT_ALLOWED, Some("method_not_allowed"))
    );
    assert_eq!(count().await, 2);
    // Duplicate names elsewhere.
    let r = app
        .post(
            "/api/v1/tenants",
            &admin,
            json!({"code": "t", "name": "again"}),
        )
        .await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (StatusCode::CONFLICT, Some("already_exists"))
    );
    let r = app
        .post("/api/v1/products", &tok, json!({"name": "P"}))
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    let r = app
        .post(
            "/api/v1/users",
            &tok,
            json!({"username": "ta", "role": "viewer"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    let r = app
        .post(
            "/api/v1/users",
            &tok,
            json!({"username": "weak", "role": "viewer", "password": "123"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn errors_speak_the_callers_language() {
    let app = App::new().await;
    let admin = app.login("admin", None).await;
    let path = format!("/api/v1/tenants/{}", uuid::Uuid::now_v7());
    let zh = app
        .raw(
            Method::GET,
            &path,
            Some(&admin),
            &[("accept-language", "zh-CN,zh;q=0.9,en;q=0.8")],
            vec![],
        )
        .await;
    let en = app
        .raw(
            Method::GET,
            &path,
            Some(&admin),
            &[("accept-language", "en-US")],
            vec![],
        )
        .await;
    assert_eq!(zh.status, StatusCode::NOT_FOUND);
    assert_eq!(zh.body["code"], en.body["code"]);
    assert_eq!(zh.body["message"], "租户不存在");
    assert_eq!(en.body["message"], "tenant not found");
    assert_eq!(zh.headers["content-language"], "zh-CN");
    let bad = app
        .raw(
            Method::POST,
            "/api/v1/tenants",
            Some(&admin),
            &[
                ("accept-language", "zh"),
                ("content-type", "application/json"),
            ],
            br#"{"code": "x", "name": "y", "extra": 1}"#.to_vec(),
        )
        .await;
    assert!(
        bad.body["message"].as_str().unwrap().contains("未知字段"),
        "{:?}",
        bad.body
    );
}

#[tokio::test]
async fn repeated_failed_logins_lock_the_account_until_unlocked() {
    let w = world().await;
    let app = &w.app;
    let attempt = |pw: &'static str| {
        app.call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"username": "a-view", "password": pw, "tenant": "alpha"})),
        )
    };
    for i in 0..4 {
        let r = attempt("wrong-password1").await;
        assert_eq!(
            (r.status, r.body["code"].as_str()),
            (StatusCode::UNAUTHORIZED, Some("invalid_credentials")),
            "attempt {i}"
        );
    }
    let r = attempt("wrong-password1").await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (StatusCode::LOCKED, Some("account_locked"))
    );
    // The right password does not help while locked.
    let r = attempt(PASSWORD).await;
    assert_eq!(r.status, StatusCode::LOCKED);
    // Unknown users and wrong tenants are refused the same way as a wrong password.
    let r = app
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"username": "ghost", "password": PASSWORD})),
        )
        .await;
    assert_eq!(r.body["code"], "invalid_credentials");
    let r = app
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"username": "a-eng", "password": PASSWORD, "tenant": "bravo"})),
        )
        .await;
    assert_eq!(r.body["code"], "invalid_credentials");
    let users = app.get("/api/v1/users?q=a-view", &w.a_admin).await;
    let uid = users.body["items"][0]["id"].as_str().unwrap().to_string();
    assert!(users.body["items"][0]["locked_until"].is_string());
    let r = app
        .post(
            &format!("/api/v1/users/{uid}/unlock"),
            &w.a_admin,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(attempt(PASSWORD).await.status, StatusCode::OK);
    let audit = app
        .get(
            "/api/v1/audit?resource=user&action=account_locked",
            &w.a_admin,
        )
        .await;
    assert_eq!(audit.body["total"], 1);
}

#[tokio::test]
async fn api_keys_are_limited_by_scope_expiry_and_revocation() {
    let w = world().await;
    let (app, a) = (&w.app, w.a_admin.as_str());
    let pid = product(app, a, "P").await;
    let k = app
        .post(
            "/api/v1/api-keys",
            a,
            json!({"name": "reader", "scopes": ["device:read", "product:read"]}),
        )
        .await;
    assert_eq!(k.status, StatusCode::CREATED, "{:?}", k.body);
    let key = k.body["key"].as_str().unwrap().to_string();
    assert!(key.starts_with("ilk_"));
    assert_eq!(
        app.get("/api/v1/devices", &key).await.status,
        StatusCode::OK
    );
    let r = app
        .raw(
            Method::GET,
            "/api/v1/devices",
            None,
            &[("x-api-key", &key)],
            vec![],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let r = app
        .post(
            "/api/v1/devices",
            &key,
            json!({"name": "d", "product_id": pid}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // Keys cannot change passwords and cannot exceed their creator.
    let r = app
        .post(
            "/api/v1/auth/password",
            &key,
            json!({"current_password": PASSWORD, "new_password": "N3w-password"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let eng = &w.tokens[2].1;
    let r = app
        .post("/api/v1/api-keys", eng, json!({"name": "x"}))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app
        .post(
            "/api/v1/api-keys",
            a,
            json!({"name": "x", "scopes": ["tenant:manage"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = app
        .post(
            "/api/v1/api-keys",
            a,
            json!({"name": "x", "expires_at": "2001-01-01T00:00:00Z"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    // Wrong secret for a real key id.
    let forged = format!("{}{}", &key[..key.len() - 40], "A".repeat(40));
    assert_eq!(
        app.get("/api/v1/devices", &forged).await.body["code"],
        "invalid_token"
    );
    // Revocation takes effect at once.
    let kid = k.body["id"].as_str().unwrap();
    assert_eq!(
        app.delete(&format!("/api/v1/api-keys/{kid}"), a)
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        app.get("/api/v1/devices", &key).await.status,
        StatusCode::UNAUTHORIZED
    );
    let listed = app.get("/api/v1/api-keys?include_revoked=true", a).await;
    assert_eq!(listed.body["items"][0]["revoked"], true);
    assert!(listed.body["items"][0].get("key").is_none());
}

#[tokio::test]
async fn the_audit_log_says_who_did_what_when_and_from_where() {
    let w = world().await;
    let (app, a) = (&w.app, w.a_admin.as_str());
    let pid = product(app, a, "P").await;
    let dev = device(app, a, &pid, "d1").await;
    let did = dev["id"].as_str().unwrap();
    app.patch(
        &format!("/api/v1/devices/{did}/attributes"),
        a,
        json!({"set": {"room": "B2"}}),
    )
    .await;
    app.post(
        &format!("/api/v1/devices/{did}/credentials/rotate"),
        a,
        json!({}),
    )
    .await;
    app.delete(&format!("/api/v1/devices/{did}"), a).await;
    let r = app
        .get(
            &format!("/api/v1/audit?resource=device&resource_id={did}"),
            a,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let items = r.body["items"].as_array().unwrap();
    let actions: Vec<&str> = items
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "delete",
            "rotate_credentials",
            "update_attributes",
            "create"
        ]
    );
    for e in items {
        assert_eq!(e["actor"]["name"], "a-admin");
        assert_eq!(e["actor"]["kind"], "user");
        assert_eq!(e["actor"]["ip"], "192.0.2.7");
        assert!(e["at"].is_string());
        assert!(
            !e.to_string().contains("password\":\""),
            "no secrets in audit: {e}"
        );
    }
    assert_eq!(items[2]["details"]["room"]["to"], "B2");
    // Viewers cannot read it; the platform admin sees the tenant's entries too.
    assert_eq!(
        app.get("/api/v1/audit", &w.tokens[4].1).await.status,
        StatusCode::FORBIDDEN
    );
    let all = app
        .get(
            &format!("/api/v1/audit?tenant_id={}&resource=device", w.a_id),
            &w.admin,
        )
        .await;
    assert_eq!(all.body["total"], 4);
}

#[tokio::test]
async fn bulk_csv_import_reports_each_bad_row() {
    let w = world().await;
    let (app, a) = (&w.app, w.a_admin.as_str());
    product(app, a, "Pump").await;
    app.post("/api/v1/device-groups", a, json!({"name": "Line 1"}))
        .await;
    let csv_headers = [("content-type", "text/csv")];
    let good = "name,product,label,tags,groups,attr:floor\n\
                p1,Pump,一号泵,a;b,Line 1,3\n\
                p2,Pump,二号泵,,,\"{\"\"x\"\":1}\"\n";
    let bad = "name,product,label,tags,groups\n\
               p3,Pump,ok,,\n\
               p3,Pump,dup in file,,\n\
               bad/name,Pump,,,\n\
               p4,NoSuchProduct,,,\n\
               p5,Pump,,,No such group\n\
               ,Pump,,,\n";
    // Atomic (default): nothing imported, every bad row reported.
    let r = app
        .raw(
            Method::POST,
            "/api/v1/devices/import",
            Some(a),
            &csv_headers,
            bad.as_bytes().to_vec(),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
    assert_eq!(r.body["imported"], 0);
    assert_eq!(r.body["total_rows"], 6);
    let rows: Vec<u64> = r.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["row"].as_u64().unwrap())
        .collect();
    assert_eq!(rows, [2, 3, 4, 5, 6]);
    assert_eq!(app.get("/api/v1/devices", a).await.body["total"], 0);
    // Dry run of a good file: checked, not imported.
    let r = app
        .raw(
            Method::POST,
            "/api/v1/devices/import?dry_run=true",
            Some(a),
            &csv_headers,
            good.as_bytes().to_vec(),
        )
        .await;
    assert_eq!(
        (
            r.status,
            r.body["valid"].as_u64(),
            r.body["imported"].as_u64()
        ),
        (StatusCode::OK, Some(2), Some(0))
    );
    // Good file imports.
    let r = app
        .raw(
            Method::POST,
            "/api/v1/devices/import",
            Some(a),
            &csv_headers,
            good.as_bytes().to_vec(),
        )
        .await;
    assert_eq!(
        (r.status, r.body["imported"].as_u64()),
        (StatusCode::OK, Some(2)),
        "{:?}",
        r.body
    );
    let p1 = app.get("/api/v1/devices?q=p1", a).await.body["items"][0].clone();
    assert_eq!(p1["tags"], json!(["a", "b"]));
    assert_eq!(p1["attributes"], json!({"floor": 3}));
    assert_eq!(p1["groups"].as_array().unwrap().len(), 1);
    // Partial: good rows in, bad rows reported, existing names refused.
    let r = app
        .raw(
            Method::POST,
            "/api/v1/devices/import?mode=partial",
            Some(a),
            &csv_headers,
            bad.as_bytes().to_vec(),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["imported"], 1);
    assert_eq!(r.body["failed"], 5);
    let r = app
        .raw(
            Method::POST,
            "/api/v1/devices/import?mode=partial",
            Some(a),
            &csv_headers,
            good.as_bytes().to_vec(),
        )
        .await;
    assert_eq!(r.body["imported"], 0);
    assert_eq!(r.body["errors"][0]["code"], "already_exists");
    assert_eq!(app.get("/api/v1/devices", a).await.body["total"], 3);
    // Malformed files.
    for (body, what) in [
        ("product,label\nPump,x\n", "missing name column"),
        ("name,product,secret_sauce\np,Pump,1\n", "unknown column"),
        ("name,product\n\"unterminated,Pump\n", "bad quoting"),
        ("name,product\np9,Pump,extra\n", "ragged row"),
    ] {
        let r = app
            .raw(
                Method::POST,
                "/api/v1/devices/import",
                Some(a),
                &csv_headers,
                body.as_bytes().to_vec(),
            )
            .await;
        assert!(r.status.is_client_error(), "{what}: {:?}", r.body);
    }
    let r = app
        .raw(
            Method::POST,
            "/api/v1/devices/import",
            Some(a),
            &csv_headers,
            b"name,product\n\xff\xfe,Pump\n".to_vec(),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.get("/api/v1/devices", a).await.body["total"], 3);
}

fn fixture(name: &str) -> Value {
    let path = format!(
        "{}/../core/tests/fixtures/thing_models/{name}",
        std::env::var("CARGO_MANIFEST_DIR").expect("run by cargo")
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[tokio::test]
async fn thing_models_import_and_export_as_tsl_and_wot() {
    let w = world().await;
    let (app, a) = (&w.app, w.a_admin.as_str());
    let tsl = fixture("pump.tsl.json");
    let r = app
        .post(
            "/api/v1/products/import",
            a,
            json!({"format": "tsl", "document": tsl, "name": "泵 Pump", "category": "operating"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let pid = r.body["id"].as_str().unwrap().to_string();
    assert_eq!(r.body["product_key"], tsl["profile"]["productKey"]);
    let out = app
        .get(&format!("/api/v1/products/{pid}/thing-model?format=tsl"), a)
        .await;
    assert_eq!(out.body, tsl, "TSL round trip through the API");
    let wot = app
        .get(&format!("/api/v1/products/{pid}/thing-model"), a)
        .await
        .body;
    assert_eq!(wot["@type"], "tm:ThingModel");
    // A third-party TD imports and keeps its extra keys.
    let td = fixture("third_party.td.json");
    let r = app
        .post(
            "/api/v1/products/import",
            a,
            json!({"format": "wot", "document": td}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let tid = r.body["id"].as_str().unwrap();
    let exported = app
        .get(&format!("/api/v1/products/{tid}/thing-model?format=wot"), a)
        .await
        .body;
    for key in ["links", "securityDefinitions"] {
        if td.get(key).is_some() {
            assert_eq!(exported[key], td[key], "{key} kept");
        }
    }
    // Our own export imports again as an equal model.
    let r = app
        .post(
            "/api/v1/products/import",
            a,
            json!({"format": "wot", "document": wot, "name": "copy", "product_key": "copy-1"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let original = app.get(&format!("/api/v1/products/{pid}"), a).await.body;
    assert_eq!(r.body["thing_model"], original["thing_model"]);
    // Replacing the model bumps the version and honours optimistic locking.
    let v = original["version"].as_i64().unwrap();
    let r = app
        .call(
            Method::PUT,
            &format!("/api/v1/products/{pid}/thing-model?format=ironloom&version={v}"),
            Some(a),
            Some(json!({"properties": []})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["version"], v + 1);
    let r = app
        .call(
            Method::PUT,
            &format!("/api/v1/products/{pid}/thing-model?format=ironloom&version={v}"),
            Some(a),
            Some(json!({"properties": []})),
        )
        .await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (StatusCode::CONFLICT, Some("version_conflict"))
    );
    // Invalid models are refused with the path of the fault.
    let r = app
        .post("/api/v1/products", a, json!({"name": "bad", "thing_model": {"properties": [{"identifier": "x", "name": "X", "data_type": {"type": "int", "min": 10, "max": 1}}]}}))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.body["code"], "invalid_thing_model");
    assert!(
        r.body["message"]
            .as_str()
            .unwrap()
            .contains("properties[0]"),
        "{:?}",
        r.body
    );
    let r = app
        .post(
            "/api/v1/products/import",
            a,
            json!({"format": "tsl", "document": {"properties": "nope"}, "name": "bad2"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    // Products in use cannot be deleted.
    device(app, a, &pid, "uses-it").await;
    let r = app.delete(&format!("/api/v1/products/{pid}"), a).await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (StatusCode::CONFLICT, Some("in_use"))
    );
}

#[tokio::test]
async fn changing_a_password_ends_existing_sessions() {
    let w = world().await;
    let app = &w.app;
    let old = app.login("a-eng", Some("alpha")).await;
    let r = app
        .post(
            "/api/v1/auth/password",
            &old,
            json!({"current_password": "wrong", "new_password": "N3w-password!"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = app
        .post(
            "/api/v1/auth/password",
            &old,
            json!({"current_password": PASSWORD, "new_password": "short"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = app
        .post(
            "/api/v1/auth/password",
            &old,
            json!({"current_password": PASSWORD, "new_password": "N3w-password!"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{:?}", r.body);
    assert_eq!(
        app.get("/api/v1/auth/me", &old).await.status,
        StatusCode::UNAUTHORIZED
    );
    let r = app
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"username": "a-eng", "password": "N3w-password!", "tenant": "alpha"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let me = app
        .get("/api/v1/auth/me", r.body["token"].as_str().unwrap())
        .await;
    assert_eq!(me.body["user"]["role"], "engineer");
    assert!(
        me.body["permissions"]
            .as_array()
            .unwrap()
            .contains(&json!("device:write"))
    );
}

#[tokio::test]
async fn disabling_a_tenant_or_user_stops_their_access() {
    let w = world().await;
    let app = &w.app;
    let viewer = &w.tokens[4].1;
    assert_eq!(
        app.get("/api/v1/devices", viewer).await.status,
        StatusCode::OK
    );
    let r = app
        .patch(
            &format!("/api/v1/tenants/{}", w.a_id),
            &w.admin,
            json!({"enabled": false}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let r = app.get("/api/v1/devices", viewer).await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("tenant_disabled"))
    );
    app.patch(
        &format!("/api/v1/tenants/{}", w.a_id),
        &w.admin,
        json!({"enabled": true}),
    )
    .await;
    assert_eq!(
        app.get("/api/v1/devices", viewer).await.status,
        StatusCode::OK
    );
    let uid = app.get("/api/v1/users?q=a-view", &w.a_admin).await.body["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    app.patch(
        &format!("/api/v1/users/{uid}"),
        &w.a_admin,
        json!({"enabled": false}),
    )
    .await;
    assert_eq!(
        app.get("/api/v1/devices", viewer).await.body["code"],
        "account_disabled"
    );
    // Nobody disables or deletes themselves by accident.
    let me = app.get("/api/v1/auth/me", &w.a_admin).await.body["user"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        app.patch(
            &format!("/api/v1/users/{me}"),
            &w.a_admin,
            json!({"enabled": false})
        )
        .await
        .status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        app.delete(&format!("/api/v1/users/{me}"), &w.a_admin)
            .await
            .status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
}

#[tokio::test]
async fn lists_page_filter_and_sort() {
    let w = world().await;
    let (app, a) = (&w.app, w.a_admin.as_str());
    let pid = product(app, a, "P").await;
    for i in 0..7 {
        device(app, a, &pid, &format!("dev-{i}")).await;
    }
    let r = app
        .get("/api/v1/devices?page=2&page_size=3&sort=-name", a)
        .await;
    assert_eq!(r.body["total"], 7);
    let names: Vec<&str> = r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["dev-3", "dev-2", "dev-1"]);
    let r = app
        .get(
            &format!("/api/v1/devices?product_id={pid}&tag=t1&online=false&q=DEV-6"),
            a,
        )
        .await;
    assert_eq!(r.body["total"], 1);
    let r = app
        .get("/api/v1/products?industry=C&category=operating", a)
        .await;
    assert_eq!(r.body["total"], 1);
    let r = app.get("/api/v1/users?role=viewer", a).await;
    assert_eq!(r.body["total"], 1);
    let r = app.get("/api/v1/catalog", a).await;
    assert_eq!(r.body["industries"].as_array().unwrap().len(), 20);
    let zh = app
        .raw(
            Method::GET,
            "/api/v1/catalog",
            Some(a),
            &[("accept-language", "zh-CN")],
            vec![],
        )
        .await;
    assert_eq!(zh.body["device_categories"][1]["name"], "加工设备");
}

#[tokio::test]
async fn the_permissions_document_matches_the_code() {
    let path = format!(
        "{}/../../docs/permissions.md",
        std::env::var("CARGO_MANIFEST_DIR").expect("run by cargo")
    );
    let on_disk = std::fs::read_to_string(&path).unwrap();
    assert_eq!(
        on_disk,
        ironloom_api::permissions_markdown(),
        "regenerate with `ironloom admin permissions > docs/permissions.md`"
    );
}

#[tokio::test]
async fn the_api_description_and_docs_page_are_served() {
    let app = App::new().await;
    let r = app
        .call(Method::GET, "/api/v1/openapi.json", None, None)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body["openapi"].as_str().unwrap().starts_with("3."));
    assert!(r.body["paths"]["/api/v1/devices/import"]["post"].is_object());
    let r = app.call(Method::GET, "/api/docs/", None, None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.as_str().unwrap().contains("swagger"), "{:?}", r.body);
}

#[tokio::test]
async fn attributes_of_every_scope_are_read_back() {
    use ironloom_core::command::AttributeScope;
    use ironloom_core::repo::AttributeRepo;
    let w = world().await;
    let app = &w.app;
    let prod = product(app, &w.a_admin, "meter").await;
    let dev = device(app, &w.a_admin, &prod, "meter-7").await;
    let id = dev["id"].as_str().unwrap();
    let tenant = w.a_id.parse().unwrap();
    let device_id = id.parse().unwrap();
    for (scope, key) in [
        (AttributeScope::Shared, "interval"),
        (AttributeScope::Client, "fw"),
    ] {
        let mut values = serde_json::Map::new();
        values.insert(key.into(), json!(5));
        app.store
            .set_attributes(&Actor::system("test"), tenant, device_id, scope, values)
            .await
            .unwrap();
    }
    let r = app
        .patch(
            &format!("/api/v1/devices/{id}/attributes"),
            &w.a_admin,
            json!({"set": {"site": "A"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let viewer = &w.tokens.iter().find(|(r, _)| *r == Role::Viewer).unwrap().1;
    for (scope, key) in [("shared", "interval"), ("client", "fw"), ("server", "site")] {
        let r = app
            .get(&format!("/api/v1/devices/{id}/attributes/{scope}"), viewer)
            .await;
        assert_eq!(r.status, StatusCode::OK, "{scope}: {:?}", r.body);
        let keys: Vec<&str> = r
            .body
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["key"].as_str().unwrap())
            .collect();
        assert_eq!(keys, [key], "{scope}");
    }
    let r = app
        .get(&format!("/api/v1/devices/{id}/attributes/secret"), viewer)
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{:?}", r.body);
    // Another tenant reads nothing of it.
    let r = app
        .get(
            &format!("/api/v1/devices/{id}/attributes/shared"),
            &w.b_admin,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{:?}", r.body);
}

#[tokio::test]
async fn device_credentials_rotate_and_stay_unique() {
    let w = world().await;
    let (app, a, b) = (&w.app, w.a_admin.as_str(), w.b_admin.as_str());
    let pid = product(app, a, "P").await;
    let d = device(app, a, &pid, "d").await;
    let did = d["id"].as_str().unwrap();
    let old = d["credentials"].clone();
    assert_eq!(old["access_token"].as_str().unwrap().len(), 20);
    let r = app
        .post(
            &format!("/api/v1/devices/{did}/credentials/rotate"),
            a,
            json!({"access_token": "my-own-token-1"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["access_token"], "my-own-token-1");
    assert_ne!(r.body["password"], old["password"]);
    let pb = product(app, b, "P").await;
    let r = app.post("/api/v1/devices", b, json!({"name": "x", "product_id": pb, "credentials": {"access_token": "my-own-token-1"}})).await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (StatusCode::CONFLICT, Some("already_exists"))
    );
    // Operators may not see credentials.
    let op = &w.tokens[3].1;
    assert_eq!(
        app.get(&format!("/api/v1/devices/{did}/credentials"), op)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.patch(
            &format!("/api/v1/devices/{did}/attributes"),
            op,
            json!({"set": {"k": "v"}})
        )
        .await
        .status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn telemetry_of_many_devices_in_one_request() {
    let w = world().await;
    let app = &w.app;
    let eng = &w.tokens[2].1;
    let viewer = &w.tokens[4].1;
    let p = product(app, &w.a_admin, "表").await;
    let ids: Vec<String> = [
        device(app, &w.a_admin, &p, "m-1").await,
        device(app, &w.a_admin, &p, "m-2").await,
    ]
    .iter()
    .map(|d| d["id"].as_str().unwrap().to_string())
    .collect();
    let base = (chrono::Utc::now().timestamp_millis() / 60_000 - 10) * 60_000;
    let r = app
        .post(
            "/api/v1/telemetry",
            eng,
            json!({"devices": [
                {"device": ids[0], "points": [
                    {"property": "kwh", "ts": base, "value": 1.5},
                    {"property": "kwh", "ts": base + 1000, "value": "x"},
                ]},
                {"device": ids[1], "points": [
                    {"property": "kwh", "ts": base, "value": 7},
                    {"property": "kwh", "ts": 0, "value": 8},
                    {"property": "kwh", "ts": base + 1000, "value": 9},
                ]},
            ]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["accepted"], 3);
    let rejected: Vec<(u64, u64, &str)> = r.body["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["device_index"].as_u64().unwrap(),
                x["index"].as_u64().unwrap(),
                x["code"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        rejected,
        [(0, 1, "type_mismatch"), (1, 1, "timestamp_out_of_window")]
    );
    let r = app
        .get(
            &format!("/api/v1/devices/{}/telemetry?from={}", ids[1], base - 1),
            viewer,
        )
        .await;
    let values: Vec<i64> = r.body["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["value"].as_i64().unwrap())
        .collect();
    assert_eq!(values, [7, 9]);
    // A device of another tenant: 404 and nothing written, not even for the own device.
    let bp = product(app, &w.b_admin, "other").await;
    let other = device(app, &w.b_admin, &bp, "theirs").await;
    let r = app
        .post(
            "/api/v1/telemetry",
            eng,
            json!({"devices": [
                {"device": ids[0], "points": [{"property": "kwh", "ts": base + 5000, "value": 2.0}]},
                {"device": other["id"], "points": [{"property": "kwh", "ts": base, "value": 1.0}]},
            ]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{:?}", r.body);
    let r = app
        .get(
            &format!("/api/v1/devices/{}/telemetry?from={}", ids[0], base - 1),
            viewer,
        )
        .await;
    assert_eq!(r.body["points"].as_array().unwrap().len(), 1);
    // Viewers may not write; a deleted device is refused at once (not served from memory).
    let r = app
        .post(
            "/api/v1/telemetry",
            viewer,
            json!({"devices": [{"device": ids[0], "points": []}]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(
        app.delete(&format!("/api/v1/devices/{}", ids[1]), &w.a_admin)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    let r = app
        .post(
            "/api/v1/telemetry",
            eng,
            json!({"devices": [{"device": ids[1], "points": [{"property": "kwh", "value": 1}]}]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{:?}", r.body);
    // Malformed bodies are 4xx with a reason.
    let r = app
        .post(
            "/api/v1/telemetry",
            eng,
            json!({"devices": [{"device": "nope"}]}),
        )
        .await;
    assert!(r.status.is_client_error(), "{:?}", r.body);
}

#[tokio::test]
async fn telemetry_writes_reads_aggregates_and_stays_in_its_tenant() {
    let w = world().await;
    let app = &w.app;
    let eng = &w.tokens[2].1;
    let viewer = &w.tokens[4].1;
    let operator = &w.tokens[3].1;
    let p = product(app, &w.a_admin, "泵").await;
    let dev = device(app, &w.a_admin, &p, "pump-1").await;
    let id = dev["id"].as_str().unwrap();
    let base = (chrono::Utc::now().timestamp_millis() / 60_000 - 10) * 60_000;
    let r = app
        .post(
            &format!("/api/v1/devices/{id}/telemetry"),
            eng,
            json!({"points": [
                {"property": "temp", "ts": base, "value": 20.5},
                {"property": "temp", "ts": base + 30_000, "value": 21.5},
                {"property": "temp", "ts": base + 60_000, "value": 23.0, "quality": "uncertain"},
                {"property": "temp", "ts": base + 90_000, "value": "hot"},
                {"property": "temp", "ts": 0, "value": 1.0},
                {"property": "", "ts": base, "value": 1},
                {"property": "state", "ts": base, "value": "运行"},
            ]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["accepted"], 4);
    let codes: Vec<(u64, &str)> = r.body["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| (x["index"].as_u64().unwrap(), x["code"].as_str().unwrap()))
        .collect();
    assert_eq!(
        codes,
        [
            (3, "type_mismatch"),
            (4, "timestamp_out_of_window"),
            (5, "invalid_property")
        ]
    );
    // Every point refused: 422.
    let r = app
        .post(
            &format!("/api/v1/devices/{id}/telemetry"),
            eng,
            json!({"points": [{"property": "temp", "ts": base, "value": true}]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
    // History, paged.
    let from = base - 1;
    let mut cursor = String::new();
    let mut seen = Vec::new();
    loop {
        let r = app
            .get(
                &format!(
                    "/api/v1/devices/{id}/telemetry?properties=temp&from={from}&limit=2{cursor}"
                ),
                viewer,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
        for pt in r.body["points"].as_array().unwrap() {
            seen.push((pt["ts"].as_i64().unwrap(), pt["value"].as_f64().unwrap()));
        }
        match r.body["next_cursor"].as_str() {
            Some(c) => cursor = format!("&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(
        seen,
        [(base, 20.5), (base + 30_000, 21.5), (base + 60_000, 23.0)]
    );
    let r = app
        .get(
            &format!("/api/v1/devices/{id}/telemetry?from={from}&order=desc&limit=1"),
            viewer,
        )
        .await;
    assert_eq!(r.body["points"][0]["value"], 23.0);
    assert_eq!(r.body["points"][0]["quality"], "uncertain");
    // The same points as columns per property.
    let r = app
        .get(
            &format!("/api/v1/devices/{id}/telemetry?from={from}&layout=columns"),
            viewer,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert!(r.body.get("points").is_none());
    let series = r.body["series"].as_array().unwrap();
    assert_eq!(series.len(), 2, "{series:?}");
    assert_eq!(series[0]["property"], "state");
    assert!(series[0].get("quality").is_none());
    assert_eq!(series[1]["property"], "temp");
    assert_eq!(series[1]["ts"], json!([base, base + 30_000, base + 60_000]));
    assert_eq!(series[1]["values"], json!([20.5, 21.5, 23.0]));
    assert_eq!(series[1]["quality"], json!(["good", "good", "uncertain"]));
    // The same document in CBOR for a client that asks for it.
    let path = format!("/api/v1/devices/{id}/telemetry?from={from}&layout=columns");
    let c = app
        .raw(
            Method::GET,
            &path,
            Some(viewer),
            &[("accept", "application/json;q=0.5, application/cbor")],
            Vec::new(),
        )
        .await;
    assert_eq!(c.status, StatusCode::OK);
    assert_eq!(c.headers[header::CONTENT_TYPE], "application/cbor");
    let decoded: Value = ciborium::from_reader(&c.bytes[..]).unwrap();
    assert_eq!(decoded, r.body);
    assert!(
        c.bytes.len() < r.bytes.len(),
        "{} {}",
        c.bytes.len(),
        r.bytes.len()
    );
    let r = app
        .get(
            &format!("/api/v1/devices/{id}/telemetry?layout=rows"),
            viewer,
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{:?}", r.body);
    // Aggregates per minute.
    let r = app
        .get(
            &format!(
                "/api/v1/devices/{id}/telemetry/aggregate?properties=temp&from={base}&interval=1m&agg=avg,max,count"
            ),
            viewer,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["aggregations"], json!(["avg", "max", "count"]));
    let windows = &r.body["series"][0]["windows"];
    assert_eq!(windows[0], json!({"ts": base, "values": [21.0, 21.5, 2]}));
    assert_eq!(
        windows[1],
        json!({"ts": base + 60_000, "values": [23.0, 23.0, 1]})
    );
    // Latest, one device and many.
    let r = app
        .get(&format!("/api/v1/devices/{id}/telemetry/latest"), operator)
        .await;
    let latest: Vec<(String, Value)> = r
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["property"].as_str().unwrap().to_string(),
                l["value"].clone(),
            )
        })
        .collect();
    assert_eq!(
        latest,
        [
            ("state".into(), json!("运行")),
            ("temp".into(), json!(23.0))
        ]
    );
    let r = app
        .post(
            "/api/v1/telemetry/latest",
            viewer,
            json!({"devices": [], "properties": ["temp"]}),
        )
        .await;
    assert_eq!(r.body.as_array().unwrap().len(), 1);
    // The same as columns: per device, properties, timestamps and values side by side.
    let r = app
        .post(
            "/api/v1/telemetry/latest/columns",
            operator,
            json!({"devices": [id]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let d = &r.body["series"][0];
    assert_eq!(d["device"], json!(id));
    assert_eq!(d["properties"], json!(["state", "temp"]));
    assert_eq!(d["values"], json!(["运行", 23.0]));
    assert_eq!(d["ts"].as_array().unwrap().len(), 2);
    // Qualities are listed because one is not good.
    assert_eq!(d["quality"], json!(["good", "uncertain"]));
    let r = app
        .post(
            "/api/v1/telemetry/latest/columns",
            viewer,
            json!({"properties": ["temp"]}),
        )
        .await;
    assert_eq!(r.body["series"][0]["values"], json!([23.0]));
    assert_eq!(r.body["series"][0]["quality"], json!(["uncertain"]));
    let r = app
        .post(
            "/api/v1/telemetry/latest/columns",
            viewer,
            json!({"layout": "rows"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
    let r = app
        .post(
            "/api/v1/telemetry/aggregate",
            viewer,
            json!({"from": base.to_string(), "to": (base + 120_000).to_string(), "interval": "1h", "aggregations": ["count", "p50"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["series"].as_array().unwrap().len(), 2);
    let r = app.get("/api/v1/telemetry/stats", viewer).await;
    assert_eq!(r.body["series"], 2);
    assert_eq!(
        r.body["points"].as_u64().unwrap() + r.body["unflushed_points"].as_u64().unwrap(),
        4
    );
    // What is held takes room on disk: in segments, or still in the write-ahead log (the
    // console's "On disk" showed 0 B while everything was in the log).
    assert!(
        r.body["bytes"].as_u64().unwrap() + r.body["wal_bytes"].as_u64().unwrap() > 0,
        "{:?}",
        r.body
    );

    // Bad queries.
    for q in [
        "interval=5x",
        "interval=0m",
        "interval=1m&agg=avg,bogus",
        "interval=1m&from=2026-13-01",
    ] {
        let r = app
            .get(
                &format!("/api/v1/devices/{id}/telemetry/aggregate?{q}"),
                viewer,
            )
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{q}: {:?}", r.body);
    }
    let r = app
        .get(
            &format!("/api/v1/devices/{id}/telemetry?from=5&to=4"),
            viewer,
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = app
        .get(&format!("/api/v1/devices/{id}/telemetry?cursor=zz"), viewer)
        .await;
    assert!(r.status.is_client_error(), "{:?}", r.body);

    // Roles: viewers read only; only tenant admins set retention.
    let r = app
        .post(
            &format!("/api/v1/devices/{id}/telemetry"),
            viewer,
            json!({"points": []}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app
        .call(
            Method::PUT,
            "/api/v1/telemetry/retention",
            Some(operator),
            Some(json!({"keep_days": 30})),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app
        .call(
            Method::PUT,
            "/api/v1/telemetry/retention",
            Some(&w.a_admin),
            Some(json!({"keep_days": 0})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = app
        .call(
            Method::PUT,
            "/api/v1/telemetry/retention",
            Some(&w.a_admin),
            Some(json!({"keep_days": 30, "product_id": p})),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{:?}", r.body);
    let r = app.get("/api/v1/telemetry/retention", viewer).await;
    assert_eq!(r.body, json!([{"product_id": p, "keep_days": 30.0}]));

    // Another tenant sees nothing of it.
    let b = &w.b_admin;
    for path in [
        format!("/api/v1/devices/{id}/telemetry"),
        format!("/api/v1/devices/{id}/telemetry/latest"),
        format!("/api/v1/devices/{id}/telemetry/aggregate?interval=1m"),
    ] {
        assert_eq!(
            app.get(&path, b).await.status,
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    let r = app
        .post(
            &format!("/api/v1/devices/{id}/telemetry"),
            b,
            json!({"points": [{"property": "temp", "value": 1.0}]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = app
        .post("/api/v1/telemetry/latest", b, json!({"devices": [id]}))
        .await;
    assert_eq!(r.body, json!([]));
    let r = app.get("/api/v1/telemetry/stats", b).await;
    assert_eq!(r.body["series"], 0);
    assert_eq!(
        app.get("/api/v1/telemetry/retention", b).await.body,
        json!([])
    );
    let r = app
        .call(
            Method::PUT,
            "/api/v1/telemetry/retention",
            Some(b),
            Some(json!({"keep_days": 3, "product_id": p})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
}

#[tokio::test]
async fn telemetry_exports_csv_and_parquet_imports_csv_and_stays_in_its_tenant() {
    let w = world().await;
    let app = &w.app;
    let eng = &w.tokens[2].1;
    let viewer = &w.tokens[4].1;
    let p = product(app, &w.a_admin, "泵").await;
    let dev = device(app, &w.a_admin, &p, "pump-1").await;
    let id = dev["id"].as_str().unwrap();
    let base = (chrono::Utc::now().timestamp_millis() / 60_000 - 10) * 60_000;
    let r = app
        .post(
            &format!("/api/v1/devices/{id}/telemetry"),
            eng,
            json!({"points": [
                {"property": "temp", "ts": base, "value": 20.5},
                {"property": "temp", "ts": base + 1000, "value": 0.1, "quality": "bad"},
                {"property": "state", "ts": base, "value": "运行, ok"},
                {"property": "on", "ts": base, "value": true},
            ]}),
        )
        .await;
    assert_eq!(r.body["accepted"], 4, "{:?}", r.body);

    let from = base - 1;
    let r = app
        .get(&format!("/api/v1/telemetry/export?from={from}"), viewer)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.headers["content-type"], "text/csv; charset=utf-8");
    let cd = r.headers["content-disposition"].to_str().unwrap();
    assert!(
        cd.starts_with("attachment; filename=\"telemetry-") && cd.ends_with(".csv\""),
        "{cd}"
    );
    let csv = r.body.as_str().unwrap().to_string();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "device,property,ts,value,type,quality");
    assert_eq!(lines.len(), 5, "{csv}");
    assert!(
        csv.contains(&format!("{id},state,")) && csv.contains(",\"运行, ok\",str,good"),
        "{csv}"
    );
    assert!(csv.contains(",0.1,f64,bad"), "{csv}");

    let r = app
        .get(
            &format!("/api/v1/telemetry/export?from={from}&devices={id}&properties=temp&time=ms"),
            viewer,
        )
        .await;
    let csv = r.body.as_str().unwrap().to_string();
    assert_eq!(
        csv,
        format!(
            "device,property,ts_ms,value,type,quality\n{id},temp,{base},20.5,f64,good\n{id},temp,{},0.1,f64,bad\n",
            base + 1000
        )
    );

    let r = app
        .get(
            &format!("/api/v1/telemetry/export?from={from}&format=parquet"),
            viewer,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.headers["content-type"], "application/vnd.apache.parquet");
    assert!(r.body.as_str().unwrap().starts_with("PAR1"));

    for q in ["format=xml", "devices=nope", "time=weekly", "from=5&to=4"] {
        let r = app
            .get(&format!("/api/v1/telemetry/export?{q}"), viewer)
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{q}: {:?}", r.body);
    }

    // Import: by device name, one bad line.
    let csv = format!(
        "device,property,ts_ms,value\npump-1,level,{base},1.5\npump-1,level,later,2\npump-1,level,{},2.5\n",
        base + 1000
    );
    let r = app
        .raw(
            Method::POST,
            "/api/v1/telemetry/import",
            Some(eng),
            &[("content-type", "text/csv")],
            csv.clone().into_bytes(),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(
        (r.body["rows"].as_u64(), r.body["accepted"].as_u64()),
        (Some(3), Some(2))
    );
    assert_eq!(r.body["examples"][0]["line"], 3);
    assert_eq!(r.body["examples"][0]["code"], "bad_timestamp");
    let r = app
        .raw(
            Method::POST,
            "/api/v1/telemetry/import",
            Some(eng),
            &[("content-type", "text/csv")],
            b"name,when\n".to_vec(),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
    assert_eq!(r.body["code"], "invalid_body");
    assert!(
        r.body["message"]
            .as_str()
            .unwrap()
            .contains("no device column")
    );

    // Another tenant: the device is not found, its data not exported, its name unknown.
    let b = &w.b_admin;
    let r = app
        .get(&format!("/api/v1/telemetry/export?devices={id}"), b)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{:?}", r.body);
    let r = app
        .get(&format!("/api/v1/telemetry/export?from={from}"), b)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.body.as_str().unwrap(),
        "device,property,ts,value,type,quality\n"
    );
    let r = app
        .raw(
            Method::POST,
            "/api/v1/telemetry/import",
            Some(b),
            &[("content-type", "text/csv")],
            csv.into_bytes(),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
    assert_eq!(r.body["rejected_by_code"]["unknown_device"], 2);
}

#[tokio::test]
async fn rules_are_checked_versioned_and_stay_in_their_tenant() {
    let w = world().await;
    let (app, a, b) = (&w.app, w.a_admin.as_str(), w.b_admin.as_str());
    let pid = product(app, a, "Boiler").await;
    let key = app.get(&format!("/api/v1/products/{pid}"), a).await.body["product_key"]
        .as_str()
        .unwrap()
        .to_string();
    let rule = |threshold: i64, expr: &str| {
        json!({
            "name": "Overheat",
            "source": {"products": [key], "properties": ["temp"]},
            "windows": [{"name": "avg_temp", "fn": "avg", "of": "temp", "seconds": 60}],
            "condition": {"expr": expr.replace("T", &threshold.to_string()), "for_samples": 3},
            "actions": [{"type": "alarm", "alarm_type": "overheat", "severity": "major"}],
        })
    };
    // A check names every problem with its path and position, and saves nothing.
    let r = app
        .post(
            "/api/v1/rules/check",
            a,
            rule(80, "avg_temp > T && pressure > 2 &&"),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let problems = r.body["problems"].as_array().unwrap();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0]["path"], "condition.expr");
    assert_eq!(problems[0]["position"], 32);
    let r = app
        .post(
            "/api/v1/rules/check",
            a,
            rule(80, "avg_temp > T && pressure > 2"),
        )
        .await;
    let p = &r.body["problems"][0];
    assert_eq!(
        (
            p["position"].as_u64(),
            p["message"]
                .as_str()
                .map(|m| m.contains("`pressure` is not a property"))
        ),
        (Some(17), Some(true)),
        "{p}"
    );
    // Saving one with problems: 422 with all of them; nothing stored.
    let r = app.post("/api/v1/rules", a, rule(80, "pressure > T")).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
    assert!(
        r.body["message"].as_str().unwrap().contains("pressure"),
        "{:?}",
        r.body
    );
    let mut unknown = rule(80, "temp > T");
    unknown["source"]["products"] = json!(["no-such-product"]);
    let r = app.post("/api/v1/rules", a, unknown).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body["message"]
            .as_str()
            .unwrap()
            .contains("no product with the key")
    );
    assert_eq!(app.get("/api/v1/rules", a).await.body["total"], 0);
    // Created, changed with a version check, history kept.
    let r = app.post("/api/v1/rules", a, rule(80, "avg_temp > T")).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let id = r.body["id"].as_str().unwrap().to_string();
    assert_eq!(r.body["version"], 1);
    let r = app
        .call(
            Method::PUT,
            &format!("/api/v1/rules/{id}?version=1"),
            Some(a),
            Some(rule(90, "avg_temp > T")),
        )
        .await;
    assert_eq!((r.status, &r.body["version"]), (StatusCode::OK, &json!(2)));
    let r = app
        .call(
            Method::PUT,
            &format!("/api/v1/rules/{id}?version=1"),
            Some(a),
            Some(rule(95, "avg_temp > T")),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{:?}", r.body);
    let v = app
        .get(&format!("/api/v1/rules/{id}/versions"), a)
        .await
        .body;
    assert_eq!(v[0]["version"], 2);
    assert_eq!(v[1]["document"]["condition"]["expr"], "avg_temp > 80");
    // The same name twice in a tenant: 409.
    let r = app.post("/api/v1/rules", a, rule(1, "temp > T")).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    // Tenant B: nothing to see or change; its own rule of the same name is fine.
    assert_eq!(app.get("/api/v1/rules", b).await.body["total"], 0);
    for (m, body) in [
        (Method::GET, None),
        (Method::PUT, Some(rule(1, "temp > T"))),
        (Method::DELETE, None),
    ] {
        let r = app
            .call(m.clone(), &format!("/api/v1/rules/{id}"), Some(b), body)
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{m}");
    }
    let r = app.get(&format!("/api/v1/rules/{id}/versions"), b).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // B cannot point a rule at A's product either.
    let r = app.post("/api/v1/rules", b, rule(1, "temp > T")).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    // Deleted.
    assert_eq!(
        app.delete(&format!("/api/v1/rules/{id}"), a).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.get(&format!("/api/v1/rules/{id}"), a).await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn dry_runs_show_each_step_and_refuse_bad_input() {
    let w = world().await;
    let (app, a, b) = (&w.app, w.a_admin.as_str(), w.b_admin.as_str());
    let doc = json!({
        "name": "Overheat", "enabled": false, "source": {},
        "windows": [{"name": "avg2", "fn": "avg", "of": "temp", "count": 2}],
        "condition": {"expr": "avg2 > 80", "for_samples": 2},
        "actions": [{"type": "alarm", "alarm_type": "overheat", "severity": "major",
                     "details": {"avg": "avg2"}},
                    {"type": "webhook", "url": "http://127.0.0.1:9/hook"}],
    });
    let messages = json!([
        {"device": "boiler-1", "ts": 1_000, "values": {"temp": 90}},
        {"device": "boiler-1", "values": {"temp": 100}},
        {"device": "boiler-1", "values": {"temp": 20}},
    ]);
    let r = app
        .post(
            "/api/v1/rules/dry-run",
            a,
            json!({"rule": doc, "messages": messages}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let steps = r.body["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 3, "{steps:?}");
    assert_eq!(steps[0]["windows"]["avg2"], 90.0);
    assert_eq!(steps[0]["condition"], true);
    assert_eq!(steps[0]["fired"], false);
    assert_eq!(steps[1]["fired"], true);
    assert_eq!(steps[1]["held_ms"], 1000);
    let fx = steps[1]["effects"].as_array().unwrap();
    assert_eq!(fx[0]["action"], "alarm");
    assert_eq!(fx[0]["details"]["avg"], 95);
    assert_eq!(fx[1]["action"], "webhook");
    assert_eq!(steps[2]["windows"]["avg2"], 60.0);
    assert_eq!(steps[2]["effects"][0]["action"], "clear_alarm");
    assert_eq!(r.body["counters"]["evaluated"], 3);
    assert_eq!(r.body["counters"]["matched"], 1);

    // A no-data rule with the clock moved on.
    let r = app
        .post(
            "/api/v1/rules/dry-run",
            a,
            json!({"rule": {"name": "quiet", "source": {}, "condition": {"no_data_seconds": 60},
                            "actions": [{"type": "alarm", "alarm_type": "silent", "severity": "warning"}]},
                   "messages": [{"ts": 0, "values": {"temp": 1}}, {"tick": true, "ts": 61_000}]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["tick_effects"][0]["action"], "alarm");
    assert_eq!(r.body["tick_effects"][0]["after_message"], 1);

    // A saved rule, by id; another tenant's is not there.
    let mut saved = doc.clone();
    saved["name"] = json!("saved");
    let r = app.post("/api/v1/rules", a, saved).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let id = r.body["id"].as_str().unwrap().to_string();
    let path = format!("/api/v1/rules/{id}/dry-run");
    let r = app.post(&path, a, json!({"messages": messages})).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["steps"].as_array().unwrap().len(), 3);
    let r = app.post(&path, b, json!({"messages": messages})).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // Stats of a rule no engine runs here.
    let r = app.get(&format!("/api/v1/rules/{id}/stats"), a).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["running"], false);

    // Bad input: a broken rule (with its position), a value of the wrong kind, too many
    // messages, unknown fields.
    let mut broken = doc.clone();
    broken["condition"]["expr"] = json!("avg2 > ");
    let r = app
        .post(
            "/api/v1/rules/dry-run",
            a,
            json!({"rule": broken, "messages": []}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
    assert!(
        r.body["message"]
            .as_str()
            .unwrap()
            .contains("condition.expr"),
        "{:?}",
        r.body
    );
    let r = app
        .post(
            "/api/v1/rules/dry-run",
            a,
            json!({"rule": doc, "messages": [{"values": {"temp": [1, 2]}}]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
    assert!(r.body["message"].as_str().unwrap().contains("number"));
    let many: Vec<Value> = (0..1001).map(|_| json!({"values": {"temp": 1}})).collect();
    let r = app
        .post(
            "/api/v1/rules/dry-run",
            a,
            json!({"rule": doc, "messages": many}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
    let r = app
        .post(
            "/api/v1/rules/dry-run",
            a,
            json!({"rule": doc, "messages": [], "extra": 1}),
        )
        .await;
    assert!(r.status.is_client_error(), "{:?}", r.body);
}

#[tokio::test]
async fn alarms_are_listed_counted_acknowledged_cleared_and_stay_in_their_tenant() {
    use ironloom_core::alarm::NewAlarm;
    use ironloom_core::repo::AlarmRepo;
    use ironloom_core::rule::Severity;
    let w = world().await;
    let (app, a, b) = (&w.app, w.a_admin.as_str(), w.b_admin.as_str());
    let pid = product(app, a, "Boiler").await;
    let dev = device(app, a, &pid, "boiler-1").await;
    let did: ironloom_core::ids::DeviceId = dev["id"].as_str().unwrap().parse().unwrap();
    let tenant: ironloom_core::ids::TenantId = w.a_id.parse().unwrap();
    // Raised as a rule would; repeats count.
    let raise = |t: &str, sev| NewAlarm {
        device_id: did,
        alarm_type: t.into(),
        severity: sev,
        details: json!({"temp": 99}),
        rule_id: None,
        at: chrono::Utc::now(),
        source: None,
    };
    let (hot, _) = app
        .store
        .raise_alarm(tenant, raise("overheat", Severity::Major))
        .await
        .unwrap()
        .unwrap();
    app.store
        .raise_alarm(tenant, raise("overheat", Severity::Critical))
        .await
        .unwrap();
    app.store
        .raise_alarm(tenant, raise("low_water", Severity::Warning))
        .await
        .unwrap();
    let list = app.get("/api/v1/alarms?active=true", a).await;
    assert_eq!(list.status, StatusCode::OK, "{:?}", list.body);
    assert_eq!(list.body["total"], 2);
    let counts = app.get("/api/v1/alarms/counts", a).await.body;
    assert_eq!(
        (
            counts["critical"].as_u64(),
            counts["warning"].as_u64(),
            counts["unacknowledged"].as_u64()
        ),
        (Some(1), Some(1), Some(2))
    );
    let id = hot.id.to_string();
    let one = app.get(&format!("/api/v1/alarms/{id}"), a).await.body;
    assert_eq!(
        (one["count"].as_i64(), one["severity"].as_str()),
        (Some(2), Some("critical"))
    );
    // Acknowledge and clear with comments; the viewer may look but not act.
    let viewer = &w.tokens.iter().find(|(r, _)| *r == Role::Viewer).unwrap().1;
    let r = app
        .post(&format!("/api/v1/alarms/{id}/ack"), viewer, json!({}))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(
        app.get("/api/v1/alarms", viewer).await.status,
        StatusCode::OK
    );
    let r = app
        .post(
            &format!("/api/v1/alarms/{id}/ack"),
            a,
            json!({"comment": "on it"}),
        )
        .await;
    assert_eq!(
        (r.status, &r.body["acknowledged"]),
        (StatusCode::OK, &json!(true)),
        "{:?}",
        r.body
    );
    let r = app
        .post(
            &format!("/api/v1/alarms/{id}/clear"),
            a,
            json!({"comment": "fixed"}),
        )
        .await;
    assert_eq!(
        (r.body["active"].as_bool(), r.body["clear_comment"].as_str()),
        (Some(false), Some("fixed"))
    );
    assert_eq!(
        app.get("/api/v1/alarms?active=true", a).await.body["total"],
        1
    );
    assert_eq!(
        app.get("/api/v1/alarms?active=false&alarm_type=overheat", a)
            .await
            .body["total"],
        1
    );
    // Bad input: an unknown field, a huge comment, a bad filter.
    let r = app
        .post(&format!("/api/v1/alarms/{id}/ack"), a, json!({"note": "x"}))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let low = app.get("/api/v1/alarms?active=true", a).await.body["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = app
        .post(
            &format!("/api/v1/alarms/{low}/ack"),
            a,
            json!({"comment": "x".repeat(5000)}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        app.get("/api/v1/alarms?severity=huge", a).await.status,
        StatusCode::BAD_REQUEST
    );
    // Tenant B: nothing.
    assert_eq!(app.get("/api/v1/alarms", b).await.body["total"], 0);
    assert_eq!(
        app.get("/api/v1/alarms/counts", b).await.body["unacknowledged"],
        0
    );
    for path in [format!("/api/v1/alarms/{id}")] {
        assert_eq!(app.get(&path, b).await.status, StatusCode::NOT_FOUND);
    }
    for action in ["ack", "clear"] {
        let r = app
            .post(&format!("/api/v1/alarms/{low}/{action}"), b, json!({}))
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{action}");
    }
}

#[tokio::test]
async fn dashboards_are_checked_versioned_shared_read_only_and_stay_in_their_tenant() {
    let w = world().await;
    let (app, a, b) = (&w.app, w.a_admin.as_str(), w.b_admin.as_str());
    let eng = &w.tokens[2].1;
    let viewer = &w.tokens[4].1;
    let r = app
        .post("/api/v1/products", a, json!({
            "name": "锅炉",
            "category": "operating",
            "industry": "C",
            "thing_model": {"properties": [
                {"identifier": "temp", "name": "温度", "data_type": {"type": "float", "unit": "°C"}},
                {"identifier": "secret", "name": "Secret", "data_type": {"type": "int"}}]}
        }))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let pid = r.body["id"].as_str().unwrap().to_string();
    let d1 = device(app, a, &pid, "boiler-1").await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let d2 = device(app, a, &pid, "boiler-2").await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = app
        .patch(
            &format!("/api/v1/devices/{d1}/attributes"),
            a,
            json!({"set": {"latitude": 31.23, "longitude": "121.47", "owner": "hidden"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let now = chrono::Utc::now().timestamp_millis();
    for (dev, temp) in [(&d1, 80.0), (&d2, 20.0)] {
        let r = app
            .post(
                &format!("/api/v1/devices/{dev}/telemetry"),
                eng,
                json!({"points": [
                    {"property": "temp", "ts": now - 60_000, "value": temp - 2.0},
                    {"property": "temp", "ts": now - 1_000, "value": temp},
                    {"property": "secret", "ts": now - 1_000, "value": 42}]}),
            )
            .await;
        assert_eq!(r.body["accepted"], 3, "{:?}", r.body);
    }
    let pb = product(app, b, "B's").await;
    let b_dev = device(app, b, &pb, "b-1").await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let doc = |devices: Value, props: Value| {
        json!({
            "name": "锅炉房",
            "range_s": 600,
            "widgets": [
                {"id": "trend", "kind": "chart", "title": "温度", "devices": devices, "properties": props,
                 "x": 0, "y": 0, "w": 16, "h": 6, "agg": "max"},
                {"id": "now", "kind": "gauge", "devices": [d1], "properties": ["temp"],
                 "x": 16, "y": 0, "w": 8, "h": 6, "min": 0, "max": 120},
                {"id": "where", "kind": "map", "devices": [d1], "x": 0, "y": 6, "w": 24, "h": 8}]
        })
    };
    // Every problem, with its path: the doc's own, then the store's.
    let mut bad = doc(json!([d1]), json!(["temp"]));
    bad["widgets"][1]["x"] = json!(20);
    bad["widgets"][2]["id"] = json!("trend");
    let r = app.post("/api/v1/dashboards", eng, bad).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
    let m = r.body["message"].as_str().unwrap();
    assert!(
        m.contains("widgets[1].w") && m.contains("widgets[2].id") && m.contains("2 problem"),
        "{m}"
    );
    let r = app
        .post(
            "/api/v1/dashboards",
            eng,
            doc(json!([d1, b_dev]), json!(["temp", "pressure"])),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
    let m = r.body["message"].as_str().unwrap();
    assert!(
        m.contains(&format!(
            "widgets[0].devices[1]: no device with the id {b_dev}"
        )) && m.contains("widgets[0].properties[1]: the product of device"),
        "{m}"
    );
    for hostile in [
        json!({"name": "x", "widgets": [], "script": "<x>"}),
        json!({"name": "x", "widgets": [{"id": "a", "kind": "pie", "devices": [], "x": 0, "y": 0, "w": 1, "h": 1}]}),
        json!({"name": "x", "widgets": [{"id": "a", "kind": "value", "devices": ["nope"], "x": 0, "y": 0, "w": 1, "h": 1}]}),
        json!({"name": "x", "range_s": -1}),
        json!([]),
    ] {
        let r = app.post("/api/v1/dashboards", eng, hostile.clone()).await;
        assert!(
            r.status == StatusCode::UNPROCESSABLE_ENTITY || r.status == StatusCode::BAD_REQUEST,
            "{hostile}: {} {:?}",
            r.status,
            r.body
        );
    }
    // Viewers read, engineers build.
    let good = doc(json!([d1, d2]), json!(["temp"]));
    let r = app.post("/api/v1/dashboards", viewer, good.clone()).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app.post("/api/v1/dashboards", eng, good.clone()).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let id = r.body["id"].as_str().unwrap().to_string();
    assert_eq!(r.body["version"], 1);
    assert_eq!(r.body["document"]["refresh_s"], 5);
    assert!(r.body.get("share_token").is_none());
    let r = app.post("/api/v1/dashboards", eng, good.clone()).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{:?}", r.body);
    let r = app.get("/api/v1/dashboards?q=锅炉", viewer).await;
    assert_eq!(
        (r.status, r.body["total"].as_u64()),
        (StatusCode::OK, Some(1))
    );

    // The data: devices (coordinates, no other attributes), the shown pairs' latest values
    // only, and the chart's series.
    let r = app
        .get(&format!("/api/v1/dashboards/{id}/data"), viewer)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let data = &r.body;
    assert_eq!(data["interval_ms"], 5000);
    let devs = data["devices"].as_array().unwrap();
    assert_eq!(devs.len(), 2);
    assert_eq!(
        (
            devs[0]["name"].as_str(),
            devs[0]["latitude"].as_f64(),
            devs[0]["longitude"].as_f64()
        ),
        (Some("boiler-1"), Some(31.23), Some(121.47))
    );
    assert_eq!(devs[0]["properties"][0]["data_type"]["unit"], "°C");
    let text = data.to_string();
    assert!(
        !text.contains("hidden") && !text.contains("secret"),
        "{text}"
    );
    let latest = data["latest"].as_array().unwrap();
    assert_eq!(latest.len(), 2, "{latest:?}");
    assert!(
        latest
            .iter()
            .any(|l| l["device"] == d1.as_str() && l["value"] == 80.0)
    );
    let series = data["series"].as_array().unwrap();
    assert_eq!(series.len(), 2, "{series:?}");
    let s1 = series.iter().find(|s| s["device"] == d1.as_str()).unwrap();
    assert_eq!(s1["widget"], "trend");
    let values: Vec<f64> = s1["points"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p[1].as_f64())
        .collect();
    assert_eq!(values, [78.0, 80.0]);
    let r = app
        .get(&format!("/api/v1/dashboards/{id}/data?range_s=10"), viewer)
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{:?}", r.body);

    // Changes are versioned.
    let mut changed = good.clone();
    changed["widgets"][0]["w"] = json!(12);
    let put = |path: String, body: Value| async move {
        app.call(Method::PUT, &path, Some(eng), Some(body)).await
    };
    let r = put(
        format!("/api/v1/dashboards/{id}?version=1"),
        changed.clone(),
    )
    .await;
    assert_eq!(
        (r.status, r.body["version"].as_i64()),
        (StatusCode::OK, Some(2))
    );
    let r = put(
        format!("/api/v1/dashboards/{id}?version=1"),
        changed.clone(),
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{:?}", r.body);

    // Tenant B sees none of it.
    assert_eq!(
        app.get(&format!("/api/v1/dashboards/{id}"), b).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get(&format!("/api/v1/dashboards/{id}/data"), b)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let r = app
        .call(
            Method::PUT,
            &format!("/api/v1/dashboards/{id}"),
            Some(b),
            Some(changed.clone()),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(
        app.post(&format!("/api/v1/dashboards/{id}/share"), b, json!({}))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.delete(&format!("/api/v1/dashboards/{id}"), b)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(app.get("/api/v1/dashboards", b).await.body["total"], 0);
    // Nor can B build a dashboard of A's devices.
    let r = app.post("/api/v1/dashboards", b, good.clone()).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);

    // Shared read-only: the link works without log-in and shows only the widgets' data.
    let r = app
        .post(&format!("/api/v1/dashboards/{id}/share"), eng, json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let token = r.body["share_token"].as_str().unwrap().to_string();
    assert_eq!(token.len(), 32);
    let public = |path: String| async move { app.call(Method::GET, &path, None, None).await };
    let r = public(format!("/api/v1/shared/dashboards/{token}")).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["document"]["name"], "锅炉房");
    assert!(r.body.get("tenant_id").is_none() && r.body.get("share_token").is_none());
    let r = public(format!(
        "/api/v1/shared/dashboards/{token}/data?range_s=3600"
    ))
    .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["latest"].as_array().unwrap().len(), 2);
    assert!(!r.body.to_string().contains("secret"));
    // The link is read-only: there is nothing to write through it, and its token is no
    // API credential.
    let r = app
        .call(
            Method::PUT,
            &format!("/api/v1/shared/dashboards/{token}"),
            None,
            Some(changed.clone()),
        )
        .await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED, "{:?}", r.body);
    assert_eq!(
        app.get("/api/v1/dashboards", &token).await.status,
        StatusCode::UNAUTHORIZED
    );
    for bogus in [
        "x",
        "../../etc/passwd",
        &"A".repeat(32),
        &"A".repeat(10_000),
    ] {
        let r = public(format!("/api/v1/shared/dashboards/{}", urlencode(bogus))).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{bogus}: {:?}", r.body);
    }
    // A new link retires the old one; unsharing ends it.
    let r = app
        .post(&format!("/api/v1/dashboards/{id}/share"), eng, json!({}))
        .await;
    let token2 = r.body["share_token"].as_str().unwrap().to_string();
    assert_ne!(token, token2);
    assert_eq!(
        public(format!("/api/v1/shared/dashboards/{token}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        public(format!("/api/v1/shared/dashboards/{token2}"))
            .await
            .status,
        StatusCode::OK
    );
    // A disabled tenant's links stop working.
    let r = app
        .patch(
            &format!("/api/v1/tenants/{}", w.a_id),
            &w.admin,
            json!({"enabled": false}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(
        public(format!("/api/v1/shared/dashboards/{token2}/data"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let r = app
        .patch(
            &format!("/api/v1/tenants/{}", w.a_id),
            &w.admin,
            json!({"enabled": true}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(
        public(format!("/api/v1/shared/dashboards/{token2}/data"))
            .await
            .status,
        StatusCode::OK
    );
    let r = app
        .delete(&format!("/api/v1/dashboards/{id}/share"), eng)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert!(r.body.get("share_token").is_none());
    assert_eq!(
        public(format!("/api/v1/shared/dashboards/{token2}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    // A device deleted later is reported missing, not an error.
    let eng_token = app.login("a-eng", Some("alpha")).await;
    let r = app
        .delete(&format!("/api/v1/devices/{d2}"), &eng_token)
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{:?}", r.body);
    let r = app
        .get(&format!("/api/v1/dashboards/{id}/data"), viewer)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["missing"], json!([d2]));
    assert_eq!(r.body["devices"].as_array().unwrap().len(), 1);
    // Deleted.
    assert_eq!(
        app.delete(&format!("/api/v1/dashboards/{id}"), viewer)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.delete(&format!("/api/v1/dashboards/{id}"), eng)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.get(&format!("/api/v1/dashboards/{id}"), eng)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[tokio::test]
async fn models_are_searched_described_and_evaluated_in_any_unit() {
    let w = world().await;
    let (app, a) = (&w.app, &w.a_admin);
    // The catalogue: everything, then filtered and searched in both languages.
    let all = app.get("/api/v1/models?page_size=500", a).await;
    assert_eq!(all.status, StatusCode::OK, "{:?}", all.body);
    let total = all.body["total"].as_u64().unwrap();
    assert!(total >= 12, "{total}");
    let r = app.get("/api/v1/models?q=IF97&kind=mechanism", a).await;
    assert!(r.body["total"].as_u64().unwrap() >= 4, "{:?}", r.body);
    let r = app.get("/api/v1/models?q=%E6%B1%BD%E8%9A%80", a).await; // 汽蚀
    assert_eq!(
        r.body["items"][0]["id"], "pump.npsh_available",
        "{:?}",
        r.body
    );
    let r = app
        .get(
            "/api/v1/models?industry=C34&domain=operations&page_size=500",
            a,
        )
        .await;
    assert!(
        r.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["id"] == "pump.affinity_laws")
    );
    let r = app.get("/api/v1/models?page=2&page_size=5", a).await;
    assert_eq!(r.body["items"].as_array().unwrap().len(), 5);
    assert_eq!(r.body["items"][0]["id"], all.body["items"][5]["id"]);
    let r = app.get("/api/v1/models?kind=magic", a).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    // A card with its schema, names in both languages.
    let r = app.get("/api/v1/models/steam.if97_region1_pt", a).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.body["card"]["name"]["zh-CN"],
        "压缩水性质（IAPWS-IF97 区域1）"
    );
    assert_eq!(r.body["input_schema"]["required"], json!(["p", "T"]));
    assert!(
        r.body["card"]["references"][0]["source"]
            .as_str()
            .unwrap()
            .contains("R7-97")
    );
    let r = app.get("/api/v1/models/no.such", a).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.body["code"], "model_not_found");
    // One evaluation, inputs in other units (IAPWS R7-97 table 5: 3 MPa, 300 K).
    let r = app
        .post(
            "/api/v1/models/steam.if97_region1_pt/invoke",
            a,
            json!({"inputs": {"p": {"value": 30, "unit": "bar"}, "T": {"value": 26.85, "unit": "°C"}},
                   "units": {"h": "J/kg"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let h = r.body["outputs"]["h"]["value"].as_f64().unwrap();
    assert!((h - 115_331.273).abs() < 1e-3, "{h}");
    assert_eq!(r.body["outputs"]["h"]["unit"], "J/kg");
    assert_eq!(r.body["outputs"]["v"]["unit"], "m3/kg");
    // Refusals name the input, in the caller's language.
    for (body, code, needle) in [
        (json!({"inputs": {"p": 3}}), "invalid_model_input", "\"T\""),
        (
            json!({"inputs": {"p": 3, "T": 900}}),
            "invalid_model_input",
            "\"T\"",
        ),
        (
            json!({"inputs": {"p": {"value": 3, "unit": "kg"}, "T": 300}}),
            "invalid_model_input",
            "\"p\"",
        ),
        (
            json!({"inputs": {"p": 0.001, "T": 400}}),
            "model_refused",
            "region 2",
        ),
        (
            json!({"inputs": {"p": 3, "T": 300, "x": 1}}),
            "invalid_model_input",
            "\"x\"",
        ),
    ] {
        let r = app
            .post(
                "/api/v1/models/steam.if97_region1_pt/invoke",
                a,
                body.clone(),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {:?}",
            r.body
        );
        assert_eq!(r.body["code"], code, "{body}");
        assert!(
            r.body["message"].as_str().unwrap().contains(needle),
            "{body}: {:?}",
            r.body
        );
    }
    let zh = app
        .raw(
            Method::POST,
            "/api/v1/models/steam.if97_region1_pt/invoke",
            Some(a),
            &[
                ("accept-language", "zh-CN"),
                ("content-type", "application/json"),
            ],
            br#"{"inputs": {"p": 3, "T": 900}}"#.to_vec(),
        )
        .await;
    assert!(
        zh.body["message"]
            .as_str()
            .unwrap()
            .contains("超出有效范围"),
        "{:?}",
        zh.body
    );
    let r = app
        .post(
            "/api/v1/models/steam.if97_region1_pt/invoke",
            a,
            json!({"inputs": {"p": "3"}}),
        )
        .await;
    assert!(r.status.is_client_error(), "{:?}", r.body);
    // An algorithm over a series: arrays in, arrays out, gaps as null both ways.
    let r = app
        .post(
            "/api/v1/models/anomaly.k_sigma/invoke",
            a,
            json!({"inputs": {"x": [1, 1, 1, 1, 10, null], "k": 1}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(
        r.body["outputs"]["flags"]["values"],
        json!([0.0, 0.0, 0.0, 0.0, 1.0, null])
    );
    assert_eq!(r.body["outputs"]["count"]["value"], 1.0);
    let r = app
        .post(
            "/api/v1/models/anomaly.k_sigma/invoke",
            a,
            json!({"inputs": {"x": 5}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body["message"].as_str().unwrap().contains("series"),
        "{:?}",
        r.body
    );
    let r = app
        .post(
            "/api/v1/models/steam.if97_psat_t/invoke",
            a,
            json!({"inputs": {"T": [300, 400]}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
    // A batch: each row on its own; too many rows refused whole.
    let r = app
        .post(
            "/api/v1/models/steam.if97_psat_t/invoke/batch",
            a,
            json!({"rows": [{"T": 300}, {"T": 5000}, {"T": {"value": 226.85, "unit": "°C"}}], "units": {"p_s": "kPa"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["ok"], 2);
    let p = r.body["rows"][2]["outputs"]["p_s"]["value"]
        .as_f64()
        .unwrap();
    assert!((p - 2638.89776).abs() < 1e-4, "{p}");
    assert_eq!(r.body["rows"][1]["error"]["code"], "invalid_model_input");
    let rows: Vec<Value> = (0..10_001).map(|_| json!({"T": 300})).collect();
    let r = app
        .post(
            "/api/v1/models/steam.if97_psat_t/invoke/batch",
            a,
            json!({"rows": rows}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
    // Evaluation is a tenant's call: the platform administrator has none.
    let r = app
        .post(
            "/api/v1/models/steam.if97_psat_t/invoke",
            &w.admin,
            json!({"inputs": {"T": 300}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app.get("/api/v1/models", "not-a-token").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);

    // Every call was counted: eight single calls of region 1 (seven refused for their inputs
    // or by the model), three of other models and a batch of three (one refused).
    let u = app.get("/api/v1/usage", a).await;
    assert_eq!(u.status, StatusCode::OK, "{:?}", u.body);
    let rows = u.body["rows"].as_array().unwrap();
    let of = |source: &str| {
        rows.iter()
            .find(|r| r["source"] == source && r["model"] == "steam.if97_region1_pt")
            .or_else(|| rows.iter().find(|r| r["source"] == source))
            .unwrap()
            .clone()
    };
    assert_eq!(
        (of("api")["calls"].as_u64(), of("api")["errors"].as_u64()),
        (Some(8), Some(7))
    );
    assert_eq!(
        (
            of("batch")["calls"].as_u64(),
            of("batch")["errors"].as_u64()
        ),
        (Some(3), Some(1))
    );
    assert_eq!(of("batch")["model"], "steam.if97_psat_t");
    assert_eq!(u.body["months"].as_array().unwrap().len(), 12);
    assert_eq!(u.body["quota"]["used"], 14);
    // Every call in this month, the first with calls: the average is this month's count.
    assert_eq!(u.body["monthly_average"], 14.0);
    assert_eq!(u.body["quota"]["limit"], Value::Null);
    // Tenant b has called nothing.
    let ub = app.get("/api/v1/usage", &w.b_admin).await;
    assert_eq!(ub.body["rows"], json!([]));
    assert_eq!(ub.body["quota"]["used"], 0);
    let r = app.get("/api/v1/usage?from=2026-13", a).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
    let r = app.get("/api/v1/usage?from=2020-01&to=2019-12", a).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    // A quota of 16 calls a month: two more pass, the next is refused with 429, and a
    // batch that does not fit is refused whole.
    let r = app
        .patch(
            &format!("/api/v1/tenants/{}", w.a_id),
            &w.admin,
            json!({"max_model_calls": 16}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["max_model_calls"], 16);
    let call = json!({"inputs": {"T": 300}});
    for _ in 0..2 {
        let r = app
            .post("/api/v1/models/steam.if97_psat_t/invoke", a, call.clone())
            .await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    }
    let r = app
        .post("/api/v1/models/steam.if97_psat_t/invoke", a, call.clone())
        .await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{:?}", r.body);
    assert_eq!(r.body["code"], "model_quota_exhausted");
    assert!(
        r.body["message"].as_str().unwrap().contains("16"),
        "{:?}",
        r.body
    );
    let r = app
        .post(
            "/api/v1/models/steam.if97_psat_t/invoke/batch",
            a,
            json!({"rows": [{"T": 300}]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    // The other tenant is not limited by it.
    let r = app
        .post(
            "/api/v1/models/steam.if97_psat_t/invoke",
            &w.b_admin,
            call.clone(),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let u = app.get("/api/v1/usage", a).await;
    assert_eq!(
        (
            u.body["quota"]["used"].as_u64(),
            u.body["quota"]["limit"].as_u64()
        ),
        (Some(16), Some(16))
    );
    // Lifting the limit lets calls through again.
    let r = app
        .patch(
            &format!("/api/v1/tenants/{}", w.a_id),
            &w.admin,
            json!({"max_model_calls": null}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let r = app
        .post("/api/v1/models/steam.if97_psat_t/invoke", a, call)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    // Texts in, texts out: keywords of maintenance records.
    let r = app
        .post(
            "/api/v1/models/text.tfidf_keywords/invoke",
            &w.b_admin,
            json!({"inputs": {"docs": ["轴承温度高 更换轴承", "bearing noise, replace bearing"], "k": 2}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(
        r.body["outputs"]["keywords"]["texts"],
        json!(["bearing", "轴承"])
    );
    let r = app
        .post(
            "/api/v1/models/text.tfidf_keywords/invoke",
            &w.b_admin,
            json!({"inputs": {"docs": [1, 2]}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
    assert!(
        r.body["message"].as_str().unwrap().contains("\"docs\""),
        "{:?}",
        r.body
    );
}

#[tokio::test]
async fn rules_call_models_checked_when_saved_and_counted() {
    let w = world().await;
    let (app, a) = (&w.app, w.a_admin.as_str());
    // A pump's efficiency from its flow, head and shaft power (ρ = 1000 kg/m³).
    let doc = json!({
        "name": "Pump efficiency low", "source": {},
        "condition": {"expr": "model(\"pump.hydraulic_power\", \"eta\", 1000, flow, head, shaft) < 0.75"},
        "actions": [{"type": "alarm", "alarm_type": "pump_efficiency", "severity": "minor",
                     "details": {"eta": "round(model(\"pump.hydraulic_power\", \"eta\", 1000, flow, head, shaft), 4)"}}],
    });
    let messages = json!([
        {"device": "pump-1", "ts": 1_000, "values": {"flow": 100, "head": 50, "shaft": 16.5}},
        {"device": "pump-1", "values": {"flow": 100, "head": 50, "shaft": 20}},
    ]);
    let r = app
        .post(
            "/api/v1/rules/dry-run",
            a,
            json!({"rule": doc, "messages": messages}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let steps = r.body["steps"].as_array().unwrap();
    // 13.62 kW of 16.5 is 0.8255; of 20 it is 0.681.
    assert_eq!(steps[0]["condition"], false, "{steps:?}");
    assert_eq!(steps[1]["condition"], true, "{steps:?}");
    assert_eq!(steps[1]["effects"][0]["details"]["eta"], 0.681);
    // Saved rules are checked against the library, with the call's position.
    let mut bad = doc.clone();
    for (expr, needle) in [
        (
            "model(\"pump.nothing\", \"eta\", 1, 2, 3, 4) < 1",
            "no model",
        ),
        (
            "model(\"pump.hydraulic_power\", \"speed\", 1, 2, 3, 4) < 1",
            "speed",
        ),
        (
            "model(\"pump.hydraulic_power\", \"eta\", 1, 2) < 1",
            "takes 4 inputs",
        ),
        ("model(\"stats.describe\", \"mean\", 1) < 1", "series"),
    ] {
        bad["condition"]["expr"] = json!(expr);
        let r = app.post("/api/v1/rules", a, bad.clone()).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{expr}: {:?}",
            r.body
        );
        assert!(
            r.body["message"].as_str().unwrap().contains(needle),
            "{expr}: {:?}",
            r.body
        );
    }
    let r = app.post("/api/v1/rules", a, doc).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    // Its three evaluations (the condition twice, the alarm detail once) were counted as
    // rule calls of the tenant.
    let u = app.get("/api/v1/usage", a).await;
    let rule_calls: u64 = u.body["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["source"] == "rule" && r["model"] == "pump.hydraulic_power")
        .map(|r| r["calls"].as_u64().unwrap())
        .sum();
    assert_eq!(rule_calls, 3, "{:?}", u.body);
}

/// A rule's `app` action names an installation of the tenant by id: a malformed id and an
/// installation that does not exist are refused when the rule is saved.
#[tokio::test]
async fn rules_calling_apps_name_an_installation_of_the_tenant() {
    let w = world().await;
    let (app, a) = (&w.app, w.a_admin.as_str());
    for (installation, needle) in [
        ("pump-efficiency", "is not an installation id"),
        (
            "01940000-0000-7000-8000-000000000000",
            "no app installation",
        ),
    ] {
        let doc = json!({
            "name": "Call an app", "source": {"products": []},
            "condition": {"expr": "true"},
            "actions": [{"type": "app", "installation": installation}],
        });
        let r = app.post("/api/v1/rules", a, doc).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
        assert!(
            r.body["message"].as_str().unwrap().contains(needle),
            "{installation}: {:?}",
            r.body
        );
    }
}

#[tokio::test]
async fn model_bindings_are_checked_against_model_and_product_and_stay_in_their_tenant() {
    let w = world().await;
    let (app, a) = (&w.app, &w.a_admin);
    let r = app
        .post("/api/v1/products", a, json!({
            "name": "Pump", "product_key": "bindpump", "category": "operating",
            "thing_model": {"properties": [
                {"identifier": "flow", "name": "流量", "data_type": {"type": "double", "unit": "L/s"}},
                {"identifier": "head", "name": "扬程", "data_type": {"type": "double", "unit": "m"}},
                {"identifier": "power", "name": "功率", "data_type": {"type": "double", "unit": "kW"}},
                {"identifier": "state", "name": "状态", "data_type": {"type": "bool"}}]}
        }))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let doc = |inputs: Value, outputs: Value| {
        json!({"name": "hydraulic", "product_key": "bindpump", "model": "pump.hydraulic_power",
               "inputs": inputs, "outputs": outputs})
    };
    let good_inputs =
        json!({"rho": 1000, "Q": {"property": "flow"}, "H": {"property": "head"}, "P_shaft": 5});
    // Every kind of mistake is a 422 that names it.
    for (inputs, outputs, says) in [
        (good_inputs.clone(), json!({"P_h": "nope"}), "nope"),
        (good_inputs.clone(), json!({"P_h": "state"}), "not a number"),
        (good_inputs.clone(), json!({"X": "power"}), "\"X\""),
        (
            json!({"rho": 1000, "Q": {"property": "head"}, "H": 1, "P_shaft": 5}),
            json!({"P_h": "power"}),
            "m3/h",
        ),
        (
            json!({"rho": 1000, "Q": 1, "H": 1, "P_shaft": 5}),
            json!({"P_h": "power"}),
            "at least one input",
        ),
        (
            json!({"rho": -5, "Q": {"property": "flow"}, "H": 1, "P_shaft": 5}),
            json!({"P_h": "power"}),
            "\"rho\"",
        ),
    ] {
        let r = app
            .post("/api/v1/model-bindings", a, doc(inputs, outputs))
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
        assert!(
            r.body["message"].as_str().unwrap().contains(says),
            "{:?} ({says})",
            r.body
        );
    }
    let mut unknown = doc(good_inputs.clone(), json!({"P_h": "power"}));
    unknown["model"] = json!("no.such");
    let r = app.post("/api/v1/model-bindings", a, unknown).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{:?}", r.body);
    let mut elsewhere = doc(good_inputs.clone(), json!({"P_h": "power"}));
    elsewhere["product_key"] = json!("not-ours");
    let r = app.post("/api/v1/model-bindings", a, elsewhere).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
    // A good one is stored, listed with its counters, changed and deleted.
    let r = app
        .post(
            "/api/v1/model-bindings",
            a,
            doc(good_inputs.clone(), json!({"P_h": "power"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let id = r.body["id"].as_str().unwrap().to_string();
    assert_eq!(r.body["stats"]["evaluations"], 0);
    let r = app
        .get("/api/v1/model-bindings?product_key=bindpump", a)
        .await;
    assert_eq!(r.body.as_array().unwrap().len(), 1, "{:?}", r.body);
    let mut off = doc(good_inputs.clone(), json!({"P_h": "power"}));
    off["enabled"] = json!(false);
    let r = app
        .call(
            Method::PUT,
            &format!("/api/v1/model-bindings/{id}"),
            Some(a),
            Some(off.clone()),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["enabled"], false);
    // Tenant b neither sees nor changes it.
    let b = &w.b_admin;
    let r = app.get(&format!("/api/v1/model-bindings/{id}"), b).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = app
        .call(
            Method::PUT,
            &format!("/api/v1/model-bindings/{id}"),
            Some(b),
            Some(off),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(
        app.get("/api/v1/model-bindings", b)
            .await
            .body
            .as_array()
            .unwrap()
            .is_empty()
    );
    let r = app
        .call(
            Method::DELETE,
            &format!("/api/v1/model-bindings/{id}"),
            Some(b),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = app
        .call(
            Method::DELETE,
            &format!("/api/v1/model-bindings/{id}"),
            Some(a),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    // Jobs need the runtime, which this API-only process does not run.
    let r = app.get("/api/v1/model-jobs", a).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["total"], 0);
    let r = app
        .post(
            "/api/v1/model-jobs",
            a,
            json!({"model": "stats.describe",
            "from": "2026-01-01T00:00:00Z", "to": "2026-01-02T00:00:00Z",
            "inputs": {"x": {"device": uuid::Uuid::now_v7(), "property": "flow"}}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{:?}", r.body);
}

/// An app package (text-format module): on an event it stores `runs` in its state, logs
/// the event and answers HTTP events with 201 and the event's body.
fn app_package(id: &str, version: &str, permissions: Value) -> Vec<u8> {
    let wasm = wat::parse_str(
        r#"(module
          (import "ironloom" "log" (func $log (param i32 i32 i32)))
          (import "ironloom" "call" (func $call (param i32 i32 i32 i32) (result i64)))
          (memory (export "memory") 1)
          (global $next (mut i32) (i32.const 4096))
          (data (i32.const 16) "kv.set")
          (data (i32.const 32) "{\"key\":\"runs\",\"value\":1}")
          (data (i32.const 64) "reply")
          (data (i32.const 80) "{\"status\":201,\"body\":{\"ok\":true}}")
          (func (export "ironloom_alloc") (param $n i32) (result i32)
            (local $p i32)
            (local.set $p (global.get $next))
            (global.set $next (i32.add (global.get $next) (local.get $n)))
            (if (i32.gt_u (global.get $next) (i32.mul (memory.size) (i32.const 65536)))
              (then (drop (memory.grow (i32.const 1)))))
            (local.get $p))
          (func (export "ironloom_on_event") (param $ptr i32) (param $len i32) (result i32)
            (drop (call $call (i32.const 16) (i32.const 6) (i32.const 32) (i32.const 24)))
            (drop (call $call (i32.const 64) (i32.const 5) (i32.const 80) (i32.const 33)))
            (call $log (i32.const 1) (local.get $ptr) (local.get $len))
            (i32.const 0)))"#,
    )
    .unwrap();
    let manifest = json!({
        "format": 1, "id": id, "version": version,
        "name": {"en": "Counter", "zh-CN": "计数器"}, "description": {"en": "", "zh-CN": ""},
        "publisher": "test", "industries": ["C34"], "domains": ["production"],
        "permissions": permissions,
        "triggers": [{"kind": "manual"}, {"kind": "http", "path": "hook"}],
        "config_schema": {"type": "object", "properties": {"n": {"type": "integer", "minimum": 1, "default": 2}},
            "additionalProperties": false},
        "modules": [{"name": "main", "path": "modules/main.wasm"}],
        "panels": [{"id": "main", "title": {"en": "Runs", "zh-CN": "运行"}, "entry": "ui/index.html"}]
    });
    let files = std::collections::BTreeMap::from([
        (
            "manifest.json".to_string(),
            serde_json::to_vec(&manifest).unwrap(),
        ),
        ("README.md".to_string(), b"# Counter".to_vec()),
        ("ui/index.html".to_string(), b"<p>runs</p>".to_vec()),
        ("icon.svg".to_string(), b"<svg/>".to_vec()),
        ("modules/main.wasm".to_string(), wasm),
    ]);
    ironloom_apps::package::pack(&files).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apps_are_uploaded_installed_run_upgraded_and_kept_in_their_tenant() {
    let w = world_on(App::with_apps().await).await;
    let (app, a, b) = (&w.app, &w.a_admin, &w.b_admin);
    let upload = |token: String, bytes: Vec<u8>| async move {
        app.raw(
            Method::POST,
            "/api/v1/app-packages",
            Some(&token),
            &[("content-type", "application/octet-stream")],
            bytes,
        )
        .await
    };
    let perms = json!([{"kind": "read_telemetry"}, {"kind": "commands"}]);
    // A broken package is refused with every problem listed.
    let r = upload(a.clone(), b"not a package".to_vec()).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
    let mut bad = json!({"format": 1});
    bad["id"] = json!("X");
    let files = std::collections::BTreeMap::from([(
        "manifest.json".to_string(),
        serde_json::to_vec(&bad).unwrap(),
    )]);
    let r = upload(a.clone(), ironloom_apps::package::pack(&files).unwrap()).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let msg = r.body["message"].as_str().unwrap();
    assert!(
        msg.contains("README.md") && msg.contains("icon") && msg.contains("manifest.json"),
        "{msg}"
    );
    // Viewers may look, not upload.
    let viewer = &w.tokens[4].1;
    assert_eq!(
        upload(
            viewer.clone(),
            app_package("t.counter", "1.0.0", perms.clone())
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
    for v in ["1.0.0", "1.1.0"] {
        let r = upload(a.clone(), app_package("t.counter", v, perms.clone())).await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    }
    // The same version with other content is a conflict.
    let r = upload(a.clone(), app_package("t.counter", "1.0.0", json!([]))).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{:?}", r.body);
    assert_eq!(
        app.get("/api/v1/app-packages", viewer)
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(app.get("/api/v1/app-packages", b).await.body, json!([]));

    product(app, a, "Press").await;
    let products = app.get("/api/v1/products", a).await;
    let key = products.body["items"][0]["product_key"]
        .as_str()
        .unwrap()
        .to_string();
    let spec = |config: Value, grant: Value| {
        json!({"name": "line-1", "app_id": "t.counter",
        "version": "1.0.0", "config": config, "grant": grant, "products": [key]})
    };
    // Configuration, grant and products are checked; problems listed together.
    let r = app.post("/api/v1/app-installations", a, json!({"name": "x", "app_id": "t.counter",
        "version": "1.0.0", "config": {"n": 0, "m": 1}, "grant": [{"kind": "alarms"}], "products": ["nope"]})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
    let msg = r.body["message"].as_str().unwrap();
    for f in ["config.n", "config.m", "grant[0]", "products[0]"] {
        assert!(msg.contains(f), "{f} not in {msg}");
    }
    // An operator (no app:manage) cannot install; an admin can.
    let op = &w.tokens[3].1;
    assert_eq!(
        app.post("/api/v1/app-installations", op, spec(json!({}), json!([])))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let r = app
        .post(
            "/api/v1/app-installations",
            a,
            spec(json!({}), json!([{"kind": "read_telemetry"}])),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let id = r.body["id"].as_str().unwrap().to_string();
    assert_eq!(r.body["stats"]["loaded"], json!(true));

    // A manual run answers what the app did; its state and logs are kept.
    let r = app
        .post(
            &format!("/api/v1/app-installations/{id}/run"),
            a,
            json!({"hello": "世界"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["result"], json!({"Ok": 0}));
    assert_eq!(r.body["host_calls"], json!(2));
    let logs = app
        .get(&format!("/api/v1/app-installations/{id}/logs"), viewer)
        .await;
    assert!(
        logs.body[0]["message"].as_str().unwrap().contains("世界"),
        "{:?}",
        logs.body
    );
    // The HTTP trigger answers with the app's reply; an undeclared path is 404. The app acts
    // with its installer's grant, so only those who may manage apps may call it.
    let hook = format!("/api/v1/apps/{id}/http/hook");
    let r = app.post(&hook, a, json!({"x": 1})).await;
    assert_eq!(
        (r.status, r.body.clone()),
        (StatusCode::CREATED, json!({"ok": true}))
    );
    let other = format!("/api/v1/apps/{id}/http/other");
    assert_eq!(
        app.post(&other, a, json!({})).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.post(&hook, viewer, json!({})).await.status,
        StatusCode::FORBIDDEN
    );
    let garbled = app
        .raw(
            Method::POST,
            &hook,
            Some(a),
            &[("content-type", "application/json")],
            b"{not json".to_vec(),
        )
        .await;
    assert_eq!(
        garbled.status,
        StatusCode::BAD_REQUEST,
        "{:?}",
        garbled.body
    );
    // Its state (what its panel shows) and its panel's page, sandboxed by its policy.
    let st = app
        .get(&format!("/api/v1/app-installations/{id}/state"), viewer)
        .await;
    assert_eq!(
        st.body,
        json!({"items": [{"key": "runs", "value": 1}], "next": null})
    );
    let page = app
        .raw(
            Method::GET,
            &format!("/api/v1/app-installations/{id}/panels/main"),
            Some(viewer),
            &[],
            vec![],
        )
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.body, json!("<p>runs</p>"));
    let csp = page.headers.get("content-security-policy").unwrap();
    assert!(csp.to_str().unwrap().starts_with("sandbox allow-scripts;"));
    let none = format!("/api/v1/app-installations/{id}/panels/other");
    assert_eq!(app.get(&none, viewer).await.status, StatusCode::NOT_FOUND);
    for path in [
        format!("/api/v1/app-installations/{id}/state"),
        format!("/api/v1/app-installations/{id}/panels/main"),
    ] {
        assert_eq!(app.get(&path, b).await.status, StatusCode::NOT_FOUND);
    }
    // The hosts the tenant's apps may reach: checked, kept per tenant, managed by admins.
    let r = app
        .put(
            "/api/v1/app-settings",
            a,
            json!({"http_hosts": ["ERP.example.com", "erp.example.com"]}),
        )
        .await;
    assert_eq!(
        r.body,
        json!({"http_hosts": ["erp.example.com"]}),
        "{:?}",
        r.body
    );
    assert_eq!(
        app.get("/api/v1/app-settings", viewer).await.body,
        json!({"http_hosts": ["erp.example.com"]})
    );
    assert_eq!(
        app.get("/api/v1/app-settings", b).await.body,
        json!({"http_hosts": []})
    );
    let r = app
        .put(
            "/api/v1/app-settings",
            a,
            json!({"http_hosts": ["http://x/"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
    assert_eq!(
        app.put("/api/v1/app-settings", viewer, json!({"http_hosts": []}))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    // Another tenant sees none of it.
    assert_eq!(
        app.get(&format!("/api/v1/app-installations/{id}"), b)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.post(&format!("/api/v1/app-installations/{id}/run"), b, json!({}))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.post(&format!("/api/v1/apps/{id}/http/hook"), b, json!({}))
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    // Upgrade keeps the name (and so the state); rollback returns; the old version is in use.
    let r = app
        .post(
            &format!("/api/v1/app-installations/{id}/upgrade"),
            a,
            json!({"version": "1.1.0"}),
        )
        .await;
    assert_eq!(
        (
            r.status,
            r.body["version"].clone(),
            r.body["previous_version"].clone()
        ),
        (StatusCode::OK, json!("1.1.0"), json!("1.0.0")),
        "{:?}",
        r.body
    );
    assert_eq!(
        app.delete("/api/v1/app-packages/t.counter/1.0.0", a)
            .await
            .status,
        StatusCode::CONFLICT
    );
    let r = app
        .post(
            &format!("/api/v1/app-installations/{id}/rollback"),
            a,
            json!({}),
        )
        .await;
    assert_eq!(
        (r.status, r.body["version"].clone()),
        (StatusCode::OK, json!("1.0.0"))
    );
    // Disable: a run is refused until enabled again.
    let mut s = spec(json!({"n": 5}), json!([]));
    s["enabled"] = json!(false);
    let r = app
        .call(
            Method::PUT,
            &format!("/api/v1/app-installations/{id}"),
            Some(a),
            Some(s),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(
        app.post(&format!("/api/v1/app-installations/{id}/run"), a, json!({}))
            .await
            .status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    // Usage counts every invocation of the month.
    let usage = app.get("/api/v1/app-usage", viewer).await;
    assert_eq!(usage.status, StatusCode::OK);
    // Uninstall without data.
    assert_eq!(
        app.delete(&format!("/api/v1/app-installations/{id}"), a)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.get("/api/v1/app-installations", a).await.body,
        json!([])
    );
    assert_eq!(
        app.delete("/api/v1/app-packages/t.counter/1.0.0", a)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
}
