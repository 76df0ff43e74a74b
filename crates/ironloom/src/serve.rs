//! `ironloom serve`: prepare the data directory, bind, open the store, create the first
//! administrator, and serve until SIGINT/SIGTERM.

use crate::config::{Config, LogConfig, LogFormat};
use anyhow::{Context, anyhow};
use axum::Router;
use axum::response::IntoResponse;
use axum::routing::get;
use ironloom_api::{ApiSettings, AppState, TokenSigner};
use ironloom_core::auth::Role;
use ironloom_core::entity::{Actor, NewUser};
use ironloom_core::i18n::Locale;
use ironloom_core::repo::MetaStore;
use ironloom_meta::{SqlStore, SqlStoreOptions};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Demo {
    Yes,
    No,
}

pub fn init_tracing(log: &LogConfig) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(&log.level))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    let _ = match log.format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}

pub async fn run(config: Config, demo: Demo) -> anyhow::Result<()> {
    // One TLS provider for the whole process (PostgreSQL connections today): ring, no C build.
    let _ = rustls::crypto::ring::default_provider().install_default();

    prepare_data_dir(&config.data_dir)?;
    // First, so that every metric handle taken from here on (some are taken once at start)
    // goes to it.
    let metrics = PrometheusBuilder::new()
        .install_recorder()
        .map_err(|e| anyhow!("cannot set up metrics: {e}"))?;
    metrics::gauge!("ironloom_build_info", "version" => env!("CARGO_PKG_VERSION")).set(1.0);
    // Histogram samples pile up until they are folded into their summaries; without this
    // they would only be folded when /metrics is scraped, and grow without bound when it
    // is not (every HTTP request and every batch of rule input records one).
    {
        let metrics = metrics.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(std::time::Duration::from_secs(5));
            loop {
                every.tick().await;
                metrics.run_upkeep();
            }
        });
    }
    let listener = match config.http.addr.0 {
        Some(addr) => Some(bind_http(addr).await?),
        None => None,
    };
    let bound = listener
        .as_ref()
        .map(|l| l.local_addr().context("read the bound address"))
        .transpose()?;
    // HTTPS: the same application over TLS; the files are read now, so a bad one stops
    // start-up naming it.
    let https = match config.http.tls.addr.0 {
        Some(addr) => {
            let tls = ironloom_tls::ServerTls::load("http", &config.http.tls)
                .map_err(|e| anyhow!("HTTPS: {e}"))?;
            let tcp = bind_http(addr).await?;
            let local = tcp.local_addr().context("read the bound address")?;
            let listener = crate::https::TlsListener::new(tcp, tls.clone())
                .context("start the HTTPS listener")?;
            Some((listener, tls, local))
        }
        None => None,
    };
    let base_url = match (bound, &https) {
        (Some(a), _) => format!("http://{a}"),
        (None, Some((_, _, a))) => format!("https://{a}"),
        // validate() refuses a configuration without either.
        (None, None) => return Err(anyhow!("no HTTP listener configured")),
    };

    let url = if config.meta.url.is_empty() {
        SqlStore::sqlite_url(&config.data_dir)
    } else {
        config.meta.url.clone()
    };
    let options = SqlStoreOptions {
        max_connections: config.meta.max_connections,
        ..Default::default()
    };
    let store = SqlStore::open(&url, &options).await.map_err(|e| {
        anyhow!(
            "cannot open the metadata store ({}): {}",
            redact(&url),
            storage_detail(&e)
        )
    })?;
    tracing::info!(backend = store.backend(), "metadata store ready");
    let store = Arc::new(store);
    // The planner's statistics follow the data (see SqlStore::optimize).
    tokio::spawn({
        let store = store.clone();
        async move {
            let mut tick = tokio::time::interval(std::time::Duration::from_secs(600));
            tick.tick().await;
            loop {
                tick.tick().await;
                if let Err(e) = store.optimize().await {
                    tracing::warn!(error = %e, "metadata store statistics not updated");
                }
            }
        }
    });
    #[cfg(feature = "cluster")]
    let fences: Arc<dyn ironloom_core::cluster::ClusterStore> = store.clone();
    let store: Arc<dyn MetaStore> = store;

    bootstrap_admin(store.as_ref()).await?;
    if demo == Demo::Yes {
        crate::demo::seed(store.as_ref(), &base_url).await?;
    }

    let tsdb_dir = config.data_dir.join("tsdb");
    #[allow(unused_mut)]
    let mut tsdb_opts = config.tsdb.options().map_err(|e| anyhow::anyhow!("{e}"))?;
    // In a cluster the replicated log is the durable copy of what a node stores: its own
    // log is synced before it records how far it applied, not for every write.
    #[cfg(feature = "cluster")]
    if config.cluster.enabled {
        tsdb_opts.fsync = ironloom_tsdb::FsyncPolicy::Never;
    }
    #[cfg(feature = "cluster")]
    let partition_opts = tsdb_opts.clone();
    let tsdb = {
        let dir = tsdb_dir.clone();
        tokio::task::spawn_blocking(move || ironloom_tsdb::Engine::open(&dir, tsdb_opts))
            .await
            .context("time-series store start-up")?
            .map_err(|e| anyhow!("cannot open the time-series store: {e}"))?
    };
    for (file, why) in tsdb.damaged() {
        tracing::error!(file = %file.display(), problem = %why, "damaged time-series file left out; run `ironloom tsdb check`");
    }
    tracing::info!(dir = %tsdb_dir.display(), "time-series store ready");

    let key = load_token_key(&config)?;
    let settings = ApiSettings {
        token_ttl: config.auth.token_ttl.0,
        lockout_threshold: config.auth.lockout_threshold,
        lockout_duration: config.auth.lockout_duration.0,
        body_limit: config.http.body_limit.0,
        import_body_limit: config.http.import_body_limit.0,
        import_max_rows: config.api.import_max_rows,
        identifier_import_dir: Some(config.data_dir.join("identifier-imports")),
        identifier_import_limit: config.api.identifier_import_limit.0,
        default_locale: Locale::parse(&config.api.default_locale).unwrap_or_default(),
        snms_hashed_login: config.api.snms_hashed_login,
        evaluation_max_age: config.api.evaluation_max_age.0,
    };
    // Every model call (API, rules) is counted in memory and stored every few seconds.
    let meter = Arc::new(ironloom_models::meter::Meter::new());
    // The bus: device events from the hub to the rule engine and live views.
    let local_bus = ironloom_bus::LocalBus::new();
    // Cluster mode: device data is appended to the partitions' JetStream streams; this
    // node applies the partitions it owns into its store and announces their events.
    let cluster_shutdown = CancellationToken::new();
    #[cfg(feature = "cluster")]
    let cluster = match config.cluster.enabled {
        true => Some(
            ironloom_cluster::node::ClusterNode::start(
                &config.cluster,
                Some(fences),
                ironloom_cluster::node::Storage {
                    policies: tsdb.clone(),
                    options: partition_opts,
                    objects: Some(Arc::new(
                        ironloom_cluster::store::open(&config.cluster.object_store)
                            .map_err(|e| anyhow!("{e}"))?,
                    )),
                },
                local_bus.clone(),
                &config.data_dir.join("cluster"),
                cluster_shutdown.clone(),
            )
            .await
            .map_err(|e| anyhow!("cannot join the cluster: {e}"))?,
        ),
        false => None,
    };
    // What the API, apps, models and rules read and write: in cluster mode, every
    // partition's owner answers for it from the partition's engine (`tsdb` keeps only the
    // retention policies then).
    #[cfg(feature = "cluster")]
    let telemetry: Arc<dyn ironloom_core::telemetry::TelemetryStore> = match &cluster {
        Some(parts) => ironloom_cluster::ClusterTelemetry::start(parts, cluster_shutdown.clone())
            .await
            .map_err(|e| anyhow!("cannot start the cluster's query server: {e}"))?,
        None => Arc::new(tsdb.clone()),
    };
    #[cfg(not(feature = "cluster"))]
    let telemetry: Arc<dyn ironloom_core::telemetry::TelemetryStore> = Arc::new(tsdb.clone());
    // Devices: the hub (log-in, validation, the one ingest path, status, commands) and the
    // MQTT server.
    #[cfg(feature = "cluster")]
    let (bus, hub): (Arc<dyn ironloom_bus::EventBus>, _) = match &cluster {
        Some(parts) => {
            tracing::info!(
                node = parts.node.name(),
                partitions = parts.node.partitions(),
                "cluster mode: joined"
            );
            let hub = ironloom_device::DeviceHub::with_log(
                store.clone(),
                parts.log.clone(),
                parts.bus.clone(),
                config.devices.clone(),
            );
            (parts.bus.clone(), hub)
        }
        None => {
            let hub = ironloom_device::DeviceHub::new(
                store.clone(),
                Arc::new(tsdb.clone()),
                local_bus.clone(),
                config.devices.clone(),
            );
            (local_bus, hub)
        }
    };
    #[cfg(not(feature = "cluster"))]
    let (bus, hub): (Arc<dyn ironloom_bus::EventBus>, _) = {
        let hub = ironloom_device::DeviceHub::new(
            store.clone(),
            Arc::new(tsdb.clone()),
            local_bus.clone(),
            config.devices.clone(),
        );
        (local_bus, hub)
    };
    let mqtt_hooks = ironloom_device::MqttDevices::new(hub.clone());
    let mqtt = ironloom_mqtt::MqttServer::bind(config.mqtt.clone(), mqtt_hooks.clone())
        .await
        .map_err(|e| match e {
            ironloom_mqtt::ServerError::Bind { .. } => {
                anyhow!("{e} (is another MQTT server running? choose another with --mqtt ADDR)")
            }
            e => anyhow!("{e}"),
        })?;
    mqtt_hooks.attach(mqtt.clone());
    if let Some(a) = mqtt.local_addr() {
        tracing::info!(addr = %a, "MQTT server listening on mqtt://{a}");
    }
    if let Some(a) = mqtt.tls_addr() {
        tracing::info!(addr = %a, "MQTT server listening on mqtts://{a}");
    }

    // Live alarm events: the console's stream, apps' alarm triggers, the rule engine.
    let (alarms_live, _) = tokio::sync::broadcast::channel(1024);
    // Apps: installed WebAssembly apps run on device telemetry, alarms, schedules, requests
    // and rules' calls (started before the rule engine, which calls them); their host API
    // reaches the same stores, ingest path and device link.
    let apps = ironloom_apps::AppHost::start(
        ironloom_apps::Platform {
            meta: store.clone(),
            store: telemetry.clone(),
            ingest: hub.clone() as Arc<dyn ironloom_bus::Ingest>,
            link: Some(hub.clone() as Arc<dyn ironloom_core::command::DeviceLink>),
            meter: meter.clone(),
            alarms: Some(alarms_live.clone()),
        },
        bus.clone(),
        config.apps.clone(),
    )
    .await
    .map_err(|e| anyhow!("cannot start the app runtime: {e}"))?;
    // Rules: the engine consumes the bus; alarms go to the store and to live subscribers;
    // derived telemetry goes back through the hub's ingest path; republished messages to
    // the tenant's applications over MQTT; `app` actions to the app runtime.
    let rules_shutdown = CancellationToken::new();
    let rules = ironloom_rules::runtime::start(
        ironloom_rules::runtime::Deps {
            meta: store.clone(),
            bus: bus.clone(),
            ingest: hub.clone() as Arc<dyn ironloom_bus::Ingest>,
            link: Some(hub.clone() as Arc<dyn ironloom_core::command::DeviceLink>),
            republish: Some(Arc::new(crate::republish::MqttRepublisher {
                mqtt: mqtt.clone(),
                hub: hub.clone(),
            })),
            alarms: alarms_live.clone(),
            models: Some(Arc::new(ironloom_models::meter::MeteredCaller::new(
                meter.clone(),
            ))),
            apps: Some(Arc::new(apps.clone())),
        },
        ironloom_rules::config::RuntimeConfig {
            state_dir: config.data_dir.join("rules"),
            ..config.rules.clone()
        },
        rules_shutdown.clone(),
    )
    .await
    .map_err(|e| anyhow!("cannot start the rule engine: {e}"))?;
    // Models on device data: live bindings consume the bus, jobs read the store; both
    // write derived values through the hub's ingest path.
    let compute = ironloom_compute::Compute::start(
        ironloom_compute::Deps {
            meta: store.clone(),
            store: telemetry.clone(),
            bus: bus.clone(),
            ingest: hub.clone() as Arc<dyn ironloom_bus::Ingest>,
            meter: meter.clone(),
        },
        config.compute.clone(),
    )
    .await
    .map_err(|e| anyhow!("cannot start the model runtime: {e}"))?;
    // Every consumer of the bus runs: the node may take partitions now. The rule engine's
    // state of each partition follows it to its next owner.
    #[cfg(feature = "cluster")]
    if let Some(parts) = &cluster {
        let partitions = parts.node.partitions();
        parts
            .node
            .attach(Some(rules.runtime.partitions(Arc::new(move |d| {
                ironloom_cluster::partition::partition_of(d, partitions)
            }))));
    }
    let market = Arc::new(ironloom_api::Market::new(
        ironloom_apps::signing::KeyEncryptionKey::derive(&key),
        Arc::new(crate::app_cmd::ServerFixtures { host: apps.clone() }),
    ));
    let resolver = ironloom_resolver::Resolver::connect(store.clone(), &config.handle)
        .await
        .map_err(|e| anyhow!(e))?;
    let resolver = Arc::new(if config.cluster.enabled {
        resolver
    } else {
        resolver.single_node()
    });
    let state = AppState {
        store: store.clone(),
        telemetry,
        tokens: TokenSigner::new(key),
        settings: Arc::new(settings),
        devices: Default::default(),
        principals: Default::default(),
        link: Some(hub.clone() as Arc<dyn ironloom_core::command::DeviceLink>),
        rules: Some(Arc::new(rules.runtime.clone()) as Arc<dyn ironloom_core::rule::RuleService>),
        alarms_live,
        ingest: Some(hub.clone() as Arc<dyn ironloom_bus::Ingest>),
        bus: Some(bus.clone()),
        models: ironloom_models::Library::get(),
        meter: meter.clone(),
        runs: Some(Arc::new(compute.clone()) as Arc<dyn ironloom_core::model_run::ModelRuns>),
        apps: Some(apps.clone()),
        market: Some(market),
        #[cfg(feature = "cluster")]
        resolver: resolver.clone(),
        cluster: cluster
            .as_ref()
            .map(|c| c.node.clone() as Arc<dyn ironloom_core::cluster::ClusterView>),
        #[cfg(not(feature = "cluster"))]
        cluster: None,
        drain: Some(Arc::new(Drainer {
            mqtt: mqtt.clone(),
            #[cfg(feature = "cluster")]
            node: cluster.as_ref().map(|c| c.node.clone()),
        })),
        evaluation: Default::default(),
    };
    // Commands, takeovers and cache invalidation between the nodes of a cluster.
    #[cfg(feature = "cluster")]
    if let Some(parts) = &cluster {
        let host = crate::peers::Host {
            hub: hub.clone(),
            mqtt: mqtt.clone(),
            devices: state.devices.clone(),
            meter: meter.clone(),
            rules: Arc::new(rules.runtime.clone()),
            runs: Arc::new(compute.clone()),
            apps: apps.clone(),
        };
        let peers = ironloom_cluster::peers::NatsPeers::start(
            parts.node.clone(),
            Arc::new(host),
            cluster_shutdown.clone(),
        )
        .await
        .map_err(|e| anyhow!("cannot start serving the other nodes: {e}"))?;
        hub.set_peers(peers);
    }

    let coap = match config.coap.addr.0 {
        Some(_) => {
            let c = config.coap.clone();
            let handler = ironloom_device::coap::CoapDevices::new(hub.clone());
            let server = ironloom_coap::CoapServer::bind(c, handler)
                .await
                .map_err(|e| anyhow!("{e} (choose another CoAP address with --coap ADDR)"))?;
            let a = server.local_addr();
            tracing::info!(addr = %a, "CoAP server listening on coap://{a}");
            Some(server)
        }
        None => None,
    };

    let console = crate::console::locate(&config.http.console_dir);
    match &console {
        Some(dir) => tracing::info!(dir = %dir.display(), "web console served at /"),
        None => tracing::warn!(
            "web console not found (build it with `npm --prefix console ci && npm --prefix console run build`, or set [http] console_dir)"
        ),
    }
    let engines: EnginesNow = {
        let tsdb = tsdb.clone();
        #[cfg(feature = "cluster")]
        let node = cluster.as_ref().map(|parts| parts.node.clone());
        Arc::new(move || {
            #[cfg_attr(not(feature = "cluster"), allow(unused_mut))]
            let mut all = vec![tsdb.clone()];
            #[cfg(feature = "cluster")]
            if let Some(node) = &node {
                all.extend(node.engines().all().into_iter().map(|(_, e)| e));
            }
            all
        })
    };
    // Submissions whose checks a stop cut short run them again.
    tokio::spawn(ironloom_api::resume_checks(state.clone()));
    // The identifier templates the platform ships, made once.
    ironloom_api::ship_identifier_templates(&state)
        .await
        .context("shipped identifier templates")?;
    // Identifier import jobs a stop cut short go on from their last chunk.
    tokio::spawn(ironloom_api::resume_identifier_imports(state.clone()));
    if demo == Demo::Yes {
        match crate::demo_identifiers::seed(&state).await {
            Ok(n) => tracing::info!(registered = n, "demo identifiers ready (prefix 88.118.8)"),
            Err(e) => tracing::warn!(error = %e, "demo identifiers not registered"),
        }
    }
    let billing_state = state.clone();
    // The demo's store: the apps of `apps/`, published by the first-party developer
    // (`IRONLOOM_DEMO_STORE=off` skips it).
    let store_on = std::env::var("IRONLOOM_DEMO_STORE").map_or(true, |v| v != "off");
    if demo == Demo::Yes && store_on {
        match crate::demo_store::locate() {
            Some(dir) => {
                tokio::spawn(crate::demo_store::publish(state.clone(), dir));
            }
            None => tracing::info!("demo store: no apps directory found (IRONLOOM_APPS_DIR)"),
        }
    }
    let mut app = app(
        state,
        metrics,
        engines,
        config.http.request_timeout.0,
        console,
    );
    if config.mqtt.websocket {
        app = app.route("/mqtt", get(mqtt_websocket).with_state(mqtt.clone()));
        if let Some((_, _, a)) = &https {
            tracing::info!(addr = %a, "MQTT over WebSocket at wss://{a}/mqtt");
        }
    }
    // The HTTP device API (token in the path), also under /api/v1/devices/{token}/… for
    // requests without user credentials: that rewrite must happen before routing.
    let app = app.merge(ironloom_device::http::router(
        hub.clone(),
        config.http.body_limit.0,
    ));
    let rewrite = tower::util::MapRequestLayer::new(|mut req: axum::extract::Request| {
        ironloom_device::http::rewrite_device_path(&mut req);
        req
    });
    let app = tower::Layer::layer(&rewrite, app);

    let shutdown = CancellationToken::new();
    // Subscriptions whose period ended pause their apps, every minute; developers' API
    // requests and identifier resolutions are counted every ten seconds and at shutdown;
    // last month's evaluation report is kept once a minute after start, then checked hourly.
    let market_task = tokio::spawn({
        let (state, shutdown) = (billing_state, shutdown.clone());
        async move {
            let mut tick = tokio::time::interval(std::time::Duration::from_secs(10));
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            for n in 0u64.. {
                let last = tokio::select! {
                    _ = tick.tick() => false,
                    () = shutdown.cancelled() => true,
                };
                if let Err(e) = ironloom_api::flush_developer_usage(&state).await {
                    tracing::warn!(error = %e, "developer API usage not stored yet; retrying");
                }
                if let Err(e) = state.resolver.meter().flush(state.store.as_ref()).await {
                    tracing::warn!(error = %e, "resolution counts not stored yet; retrying");
                }
                if last {
                    break;
                }
                if n % 6 == 0
                    && let Err(e) = ironloom_api::expire_due(&state).await
                {
                    tracing::warn!(error = ?e, "marketplace: expired subscriptions not paused");
                }
                // The evaluation report of the month that ended, kept once (a minute after
                // start, then checked hourly).
                if n % 360 == 6 {
                    match ironloom_api::keep_last_month(&state).await {
                        Ok(Some(month)) => {
                            tracing::info!(%month, "evaluation report of the month kept")
                        }
                        Ok(None) => {}
                        Err(e) => {
                            tracing::warn!(error = ?e, "evaluation report of last month not kept yet")
                        }
                    }
                }
            }
            state
        }
    });
    // The platform's transactions per second, per node and minute.
    #[cfg(feature = "cluster")]
    let node = match config.cluster.enabled {
        true => config.cluster.node_name(),
        false => String::from("local"),
    };
    #[cfg(not(feature = "cluster"))]
    let node = String::from("local");
    let load_task = crate::load::spawn(store.clone(), node, shutdown.clone());
    tokio::spawn(watch_signals(shutdown.clone()));
    // TLS certificates: reloaded when their files change (the MQTT server watches its
    // own), and on SIGHUP.
    if let Some((_, t, _)) = &https {
        tokio::spawn(t.clone().watch(shutdown.clone()));
    }
    let tls: Vec<Arc<ironloom_tls::ServerTls>> = https
        .iter()
        .map(|(_, t, _)| t.clone())
        .chain(mqtt.tls().cloned())
        .collect();
    if !tls.is_empty() {
        tokio::spawn(reload_on_sighup(tls, shutdown.clone()));
    }
    let grace = config.http.shutdown_grace.0;
    let mqtt_task = tokio::spawn({
        let (mqtt, shutdown) = (mqtt.clone(), shutdown.clone());
        async move { mqtt.run(shutdown, grace).await }
    });
    let hub_task = tokio::spawn(hub.clone().run(shutdown.clone()));
    let meter_task = tokio::spawn(store_model_usage(
        meter.clone(),
        store.clone(),
        shutdown.clone(),
    ));
    // The demo's edge: a Modbus simulator and a gateway forwarding it over MQTT.
    let equipment = std::env::var("IRONLOOM_DEMO_EQUIPMENT").map_or(true, |v| v != "off");
    let _demo_gateway = match (demo, mqtt.local_addr()) {
        (Demo::Yes, _) if !equipment => None,
        (Demo::Yes, Some(addr)) => {
            match crate::edge::start_demo(store.as_ref(), addr, &config.data_dir, shutdown.clone())
                .await
            {
                Ok(g) => Some(g),
                Err(e) => {
                    tracing::warn!(error = %e, "demo gateway not started");
                    None
                }
            }
        }
        (Demo::Yes, None) => {
            tracing::warn!("demo gateway not started: MQTT is disabled");
            None
        }
        (Demo::No, _) => None,
    };
    let coap_task = coap.map(|c| tokio::spawn(c.run(shutdown.clone())));
    // Identifier resolution over the Handle protocol. A port another program holds is
    // reported and the platform runs on without it (the REST resolution stays).
    let handle_task = match ironloom_resolver::start(
        &config.handle,
        Arc::new(ironloom_resolver::HandleService::new(resolver.clone())),
        shutdown.clone(),
    )
    .await
    {
        Ok(Some((bound, task))) => {
            tracing::info!(
                addr = %bound.tcp,
                "Handle server listening on handle://{} (TCP and UDP)",
                bound.tcp
            );
            Some(task)
        }
        Ok(None) => None,
        Err(e) => {
            tracing::warn!(error = %e, addr = %config.handle.addr, "Handle server not started");
            None
        }
    };
    let stop = || shutdown.clone().cancelled_owned();
    let plain = async {
        let Some(listener) = listener else {
            return Ok(());
        };
        let a = listener.local_addr()?;
        tracing::info!(addr = %a, "HTTP server listening on http://{a} (API docs: http://{a}/api/docs)");
        let make = axum::ServiceExt::<axum::extract::Request>::into_make_service_with_connect_info::<
            SocketAddr,
        >(app.clone());
        axum::serve(listener, make)
            .with_graceful_shutdown(stop())
            .await
    };
    let secure = async {
        let Some((listener, tls, a)) = https else {
            return Ok(());
        };
        tracing::info!(addr = %a, certificate = %tls.fingerprint(),
            "HTTPS server listening on https://{a} (API docs: https://{a}/api/docs)");
        axum::serve(listener, crate::https::WithTlsPeer(app.clone()))
            .with_graceful_shutdown(stop())
            .await
    };
    tokio::select! {
        r = async { tokio::try_join!(plain, secure) } => { r.context("HTTP server failed")?; }
        () = async { shutdown.cancelled().await; tokio::time::sleep(grace).await } => {
            tracing::warn!("requests still running after the shutdown grace period; stopping anyway");
        }
    }
    tracing::info!("shutting down");
    // Running jobs save their state (interrupted) while the ingest path still runs.
    compute.stop().await;
    apps.flush().await;
    // Devices are told first and their last writes finish before the store closes.
    shutdown.cancel();
    let _ = mqtt_task.await;
    if let Some(t) = coap_task {
        let _ = t.await;
    }
    if let Some(t) = handle_task {
        let _ = t.await;
    }
    let _ = hub_task.await;
    // Owned partitions are applied up to here and handed back for another node.
    cluster_shutdown.cancel();
    #[cfg(feature = "cluster")]
    if let Some(parts) = &cluster {
        parts.node.release_all().await;
    }
    // The engine evaluates what devices sent until now, then writes its checkpoint.
    rules_shutdown.cancel();
    let _ = rules.task.await;
    let _ = meter_task.await;
    let _ = load_task.await;
    // Calls of requests that finished after the signal.
    if let Ok(state) = market_task.await {
        if let Err(e) = ironloom_api::flush_developer_usage(&state).await {
            tracing::error!(error = %e, "the last developer API counts were not stored");
        }
        if let Err(e) = state.resolver.meter().flush(state.store.as_ref()).await {
            tracing::error!(error = %e, "the last resolution counts were not stored");
        }
    }
    if let Err(e) = ironloom_models::meter::flush(&meter, store.as_ref()).await {
        tracing::error!(error = %e, "the last model usage counts were not stored");
    }
    tokio::task::spawn_blocking(move || tsdb.close())
        .await
        .context("time-series store shutdown")?
        .map_err(|e| anyhow!("time-series store did not shut down cleanly: {e}"))?;
    Ok(())
}

/// Stores the model calls counted since the last time, every five seconds and at
/// shutdown (`run` stores once more after the last requests); a failed write is retried
/// with the next.
async fn store_model_usage(
    meter: Arc<ironloom_models::meter::Meter>,
    store: Arc<dyn ironloom_core::repo::MetaStore>,
    shutdown: CancellationToken,
) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(5));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let last = tokio::select! {
            _ = tick.tick() => false,
            () = shutdown.cancelled() => true,
        };
        if let Err(e) = ironloom_models::meter::flush(&meter, store.as_ref()).await {
            tracing::warn!(error = %e, "model usage not stored yet; retrying");
        }
        if last {
            return;
        }
        // Months before this one need no running total any more.
        meter.forget_before(&ironloom_models::meter::this_month());
    }
}

fn app(
    state: AppState,
    metrics: PrometheusHandle,
    engines: EnginesNow,
    timeout: std::time::Duration,
    console: Option<PathBuf>,
) -> Router {
    let ready_state = state.clone();
    Router::new()
        .route("/healthz", get(|| async { "ok\n" }))
        .route(
            "/readyz",
            get(move || {
                let s = ready_state.clone();
                async move { ironloom_api::ready(axum::extract::State(s)).await }
            }),
        )
        .route(
            "/metrics",
            get(move || {
                let m = metrics.clone();
                let engines = engines.clone();
                async move {
                    // Storage figures are read when scraped, so they are never stale.
                    let _ = tokio::task::spawn_blocking(move || tsdb_metrics(&engines())).await;
                    m.render()
                }
            }),
        )
        .merge(ironloom_api::router(state))
        // Everything else: the console (and the API's own 404 under /api/).
        .fallback(move |req: axum::extract::Request| crate::console::fallback(console.clone(), req))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            timeout,
        ))
}

type MqttHandle = ironloom_mqtt::MqttServer<ironloom_device::MqttDevices>;

/// Drains this node: its MQTT devices go elsewhere, and its partitions in a cluster.
struct Drainer {
    mqtt: MqttHandle,
    #[cfg(feature = "cluster")]
    node: Option<Arc<ironloom_cluster::node::ClusterNode>>,
}

impl std::fmt::Debug for Drainer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Drainer")
            .field("draining", &self.mqtt.draining())
            .finish_non_exhaustive()
    }
}

#[async_trait::async_trait]
impl ironloom_core::cluster::NodeDrain for Drainer {
    async fn drain(&self, devices_per_second: u32) -> ironloom_core::error::Result<()> {
        // Devices sent elsewhere are taken by any node at once (ingest does not wait for
        // a partition's owner), so both go on together.
        self.mqtt.drain(devices_per_second);
        #[cfg(feature = "cluster")]
        if let Some(node) = &self.node {
            node.drain().await;
        }
        Ok(())
    }

    fn draining(&self) -> bool {
        self.mqtt.draining()
    }
}

/// `GET /mqtt`: MQTT over WebSocket (subprotocol `mqtt`); over HTTPS with the client
/// certificate of the connection, for log-in.
async fn mqtt_websocket(
    axum::extract::State(mqtt): axum::extract::State<MqttHandle>,
    axum::extract::ConnectInfo(peer): axum::extract::ConnectInfo<SocketAddr>,
    tls: Option<axum::Extension<crate::https::TlsClient>>,
    ws: axum::extract::ws::WebSocketUpgrade,
) -> impl IntoResponse {
    let kind = ironloom_mqtt::ListenerKind::WebSocket {
        tls: tls.is_some(),
        client_cert: tls.and_then(|t| t.client_cert),
    };
    ws.protocols(["mqtt"]).on_upgrade(move |socket| async move {
        let stream = crate::mqtt_ws::WsStream::new(socket);
        mqtt.serve_stream(stream, peer, kind).await;
    })
}

async fn bind_http(addr: SocketAddr) -> anyhow::Result<TcpListener> {
    TcpListener::bind(addr).await.map_err(|e| {
        let hint = if e.kind() == std::io::ErrorKind::AddrInUse {
            " (is another Ironloom running? choose another with --http ADDR)"
        } else {
            ""
        };
        anyhow!("cannot listen on {addr}: {e}{hint}")
    })
}

/// SIGHUP: every TLS listener reads its files again (they are also watched every
/// `tls_reload_interval`).
async fn reload_on_sighup(tls: Vec<Arc<ironloom_tls::ServerTls>>, shutdown: CancellationToken) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut hup = match signal(SignalKind::hangup()) {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(error = %e, "cannot watch SIGHUP; TLS files are still watched");
                return;
            }
        };
        loop {
            tokio::select! {
                () = shutdown.cancelled() => return,
                _ = hup.recv() => {}
            }
            tracing::info!("SIGHUP received: reloading TLS certificates");
            for t in &tls {
                let t = t.clone();
                let outcome = tokio::task::spawn_blocking(move || t.reload()).await;
                if let Ok(ironloom_tls::Reload::Unchanged) = outcome {
                    tracing::info!("TLS files unchanged");
                }
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = (tls, shutdown);
    }
}

/// The engines whose figures `/metrics` shows: the node's own, and in cluster mode the
/// partition engines it owns now (read when scraped).
pub(crate) type EnginesNow = Arc<dyn Fn() -> Vec<ironloom_tsdb::Engine> + Send + Sync>;

/// The time-series engines' counters, and storage per tenant (for metering), as metrics:
/// the sums over `engines` (a node's own engine and, in cluster mode, the partition
/// engines it owns; Prometheus adds the nodes up). A partition that moves to another node
/// takes its share of the counters with it, which Prometheus reads as a counter reset.
pub(crate) fn tsdb_metrics(engines: &[ironloom_tsdb::Engine]) {
    use std::sync::atomic::Ordering::Relaxed;
    let sum = |f: fn(&ironloom_tsdb::engine::Counters) -> &std::sync::atomic::AtomicU64| {
        engines
            .iter()
            .map(|e| f(e.counters()).load(Relaxed))
            .sum::<u64>()
    };
    for (name, v) in [
        (
            "ironloom_tsdb_points_written_total",
            sum(|c| &c.points_written),
        ),
        (
            "ironloom_tsdb_points_rejected_total",
            sum(|c| &c.points_rejected),
        ),
        ("ironloom_tsdb_write_stalls_total", sum(|c| &c.write_stalls)),
        (
            "ironloom_tsdb_writes_overloaded_total",
            sum(|c| &c.writes_overloaded),
        ),
        ("ironloom_tsdb_flushes_total", sum(|c| &c.flushes)),
        ("ironloom_tsdb_compactions_total", sum(|c| &c.compactions)),
        (
            "ironloom_tsdb_partitions_dropped_total",
            sum(|c| &c.partitions_dropped),
        ),
        (
            "ironloom_tsdb_rollup_windows_read_total",
            sum(|c| &c.rollup_windows_read),
        ),
    ] {
        metrics::counter!(name).absolute(v);
    }
    let damaged: usize = engines.iter().map(|e| e.damaged().len()).sum();
    metrics::gauge!("ironloom_tsdb_damaged_files").set(damaged as f64);
    let mut by_tenant: std::collections::BTreeMap<ironloom_core::ids::TenantId, [u64; 4]> =
        Default::default();
    for e in engines {
        for tenant in e.tenants() {
            let s = e.stats(tenant);
            let t = by_tenant.entry(tenant).or_default();
            t[0] += s.series;
            t[1] += s.points;
            t[2] += s.bytes;
            t[3] += s.unflushed_points;
        }
    }
    for (tenant, [series, points, bytes, unflushed]) in by_tenant {
        let t = tenant.to_string();
        metrics::gauge!("ironloom_tsdb_series", "tenant" => t.clone()).set(series as f64);
        metrics::gauge!("ironloom_tsdb_points", "tenant" => t.clone()).set(points as f64);
        metrics::gauge!("ironloom_tsdb_bytes", "tenant" => t.clone()).set(bytes as f64);
        metrics::gauge!("ironloom_tsdb_unflushed_points", "tenant" => t).set(unflushed as f64);
    }
}

/// Creates the directory and proves we can write in it, before anything else starts.
fn prepare_data_dir(dir: &Path) -> anyhow::Result<()> {
    let fail = |e: std::io::Error| anyhow!("data directory {} is not writable: {e}", dir.display());
    std::fs::create_dir_all(dir).map_err(fail)?;
    let probe = dir.join(".write-test");
    std::fs::write(&probe, b"ok").map_err(fail)?;
    std::fs::remove_file(&probe).map_err(fail)?;
    Ok(())
}

/// The token signing key: from the configured file, or created in the data directory.
fn load_token_key(config: &Config) -> anyhow::Result<Vec<u8>> {
    let path = if config.auth.token_key_file.is_empty() {
        config.data_dir.join("secrets").join("token.key")
    } else {
        PathBuf::from(&config.auth.token_key_file)
    };
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            let key = decode_hex(text.trim())
                .filter(|k| k.len() >= 32)
                .ok_or_else(|| {
                    anyhow!(
                        "token key file {} must hold at least 32 bytes as hex",
                        path.display()
                    )
                })?;
            Ok(key)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let key: [u8; 32] = rand::random();
            let hex: String = key.iter().map(|b| format!("{b:02x}")).collect();
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)
                    .with_context(|| format!("create {}", parent.display()))?;
            }
            write_private(&path, hex.as_bytes())
                .with_context(|| format!("write token key {}", path.display()))?;
            tracing::info!(path = %path.display(), "created a new token signing key");
            Ok(key.to_vec())
        }
        Err(e) => Err(anyhow!(
            "cannot read token key file {}: {e}",
            path.display()
        )),
    }
}

fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut f = options.open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

fn decode_hex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// On first start, creates the platform administrator `admin` with the password from
/// `IRONLOOM_ADMIN_PASSWORD` or a generated one that is printed once.
async fn bootstrap_admin(store: &dyn MetaStore) -> anyhow::Result<()> {
    if store
        .count_platform_admins()
        .await
        .map_err(|e| anyhow!("{e}"))?
        > 0
    {
        return Ok(());
    }
    let (password, generated) = match std::env::var("IRONLOOM_ADMIN_PASSWORD") {
        Ok(p) if !p.is_empty() => {
            ironloom_core::validate::password("IRONLOOM_ADMIN_PASSWORD", &p)
                .map_err(|e| anyhow!("{}", e.message(Locale::En)))?;
            (p, false)
        }
        _ => (ironloom_api::security::random_token(16), true),
    };
    let hash = ironloom_api::hash_password(password.clone())
        .await
        .map_err(|e| anyhow!("{e}"))?;
    let created = store
        .create_user(
            &Actor::system("first start"),
            NewUser {
                tenant_id: None,
                username: "admin".into(),
                display_name: Some("Platform administrator".into()),
                email: None,
                role: Role::PlatformAdmin,
                password_hash: hash,
                password_change_required: generated,
            },
        )
        .await;
    if let Err(e) = created {
        // Cluster nodes sharing one database may start together: another one created it.
        if store.count_platform_admins().await.unwrap_or(0) > 0 {
            return Ok(());
        }
        return Err(anyhow!("cannot create the platform administrator: {e}"));
    }
    if generated {
        // Printed once, to the terminal, never to the log file.
        println!(
            "\n  Platform administrator created / 已创建平台管理员\n    user name / 用户名: admin\n    password  / 密码:   {password}\n  This password is shown only once; change it after logging in.\n  此密码只显示一次，请登录后修改。\n"
        );
    } else {
        tracing::info!(
            "platform administrator 'admin' created with the password from IRONLOOM_ADMIN_PASSWORD"
        );
    }
    Ok(())
}

/// A database URL without its password, for messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

fn storage_detail(e: &ironloom_core::error::Error) -> String {
    match e {
        ironloom_core::error::Error::Storage { action, detail } => format!("{action}: {detail}"),
        other => other.to_string(),
    }
}

async fn watch_signals(shutdown: CancellationToken) {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot watch SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => tracing::info!("SIGINT received"),
        () = term => tracing::info!("SIGTERM received"),
    }
    shutdown.cancel();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_passwords_in_urls() {
        assert_eq!(
            redact("postgres://u:secret@h:5432/d"),
            "postgres://u:***@h:5432/d"
        );
        assert_eq!(redact("sqlite://x.db"), "sqlite://x.db");
    }

    #[test]
    fn hex_keys_decode() {
        assert_eq!(decode_hex("00ff10"), Some(vec![0, 255, 16]));
        assert_eq!(decode_hex("0"), None);
        assert_eq!(decode_hex("zz"), None);
    }

    #[test]
    #[allow(clippy::unwrap_used)]
    fn storage_metrics_are_per_tenant() {
        use ironloom_core::ids::{DeviceId, TenantId};
        use ironloom_core::telemetry::{DeviceBatch, PointIn, Quality, Value};
        let dir = tempfile::tempdir().unwrap();
        let e = ironloom_tsdb::Engine::open(
            dir.path(),
            ironloom_tsdb::Options {
                background: false,
                ..Default::default()
            },
        )
        .unwrap();
        let (a, b) = (TenantId::new(), TenantId::new());
        let now = ironloom_tsdb::engine::now_micros();
        for (t, n) in [(a, 3), (b, 5)] {
            let points = (0..n)
                .map(|i| PointIn {
                    property: "p".into(),
                    ts: now - i,
                    value: Value::I64(i),
                    quality: Quality::Good,
                })
                .collect();
            e.write_blocking(
                t,
                vec![DeviceBatch {
                    device: DeviceId::new(),
                    product: None,
                    points,
                }],
            )
            .unwrap();
        }
        e.flush().unwrap();
        let recorder = metrics_exporter_prometheus::PrometheusBuilder::new().build_recorder();
        let handle = recorder.handle();
        metrics::with_local_recorder(&recorder, || tsdb_metrics(std::slice::from_ref(&e)));
        let text = handle.render();
        for (name, tenant, v) in [("points", a, 3), ("points", b, 5), ("series", b, 1)] {
            let line = format!("ironloom_tsdb_{name}{{tenant=\"{tenant}\"}} {v}");
            assert!(text.contains(&line), "{line} in {text}");
        }
        assert!(
            text.contains("ironloom_tsdb_points_written_total 8"),
            "{text}"
        );
        e.close().unwrap();
    }
}
