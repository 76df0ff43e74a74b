//! `serve --demo`: the apps of `apps/` published in the marketplace by the platform's
//! first-party developer, through the same pipeline as any developer's: each package is
//! submitted, its automated checks run (its own fixtures in the sandbox included), and a
//! package that passes is approved, signed and released; one that fails stays out of the
//! store with its report. A version already released is left as it is, so a restart
//! publishes only what changed.

use ironloom_api::AppState;
use ironloom_core::auth::{Role, random_token};
use ironloom_core::entity::{Actor, NewUser};
use ironloom_core::error::Error;
use ironloom_core::market::*;
use std::path::{Path, PathBuf};

/// The first-party developer's name and log-in.
const DEVELOPER: &str = "Ironloom";
const USER: &str = "ironloom-apps";

/// Where the apps are: `IRONLOOM_APPS_DIR`, else `apps` beside the binary (an installed
/// copy), else `apps` under the working directory (a checkout).
pub fn locate() -> Option<PathBuf> {
    let mut candidates = Vec::new();
    if let Ok(d) = std::env::var("IRONLOOM_APPS_DIR") {
        candidates.push(PathBuf::from(d));
    }
    if let Some(dir) = std::env::current_exe()
        .ok()
        .and_then(|e| e.parent().map(Path::to_path_buf))
    {
        candidates.push(dir.join("apps"));
    }
    candidates.push(PathBuf::from("apps"));
    candidates.into_iter().find(|d| d.is_dir())
}

/// Apps the demo tenant installs from the store once they are released, on the
/// equipment whose live data they work on: (installation, app, products, configuration).
/// The apps installed before the store existed are in `demo.rs`.
const STORE_INSTALLS: &[(&str, &str, &[&str], &str)] = &[
    ("pump-bep", "pump.bep-region", &["demo-pump"], "{}"),
    (
        "pump-pressure-cusum",
        "quality.cusum-ewma",
        &["demo-pump"],
        "{}",
    ),
    (
        "pump-downtime",
        "production.downtime-pareto",
        &["demo-pump"],
        "{}",
    ),
    (
        "pump-bearings",
        "maintenance.bearing-life",
        &["demo-pump"],
        "{}",
    ),
    (
        "spare-parts",
        "supply.spare-parts-reorder",
        &["demo-pump"],
        "{}",
    ),
    (
        "motor-insulation",
        "maintenance.insulation-life",
        &["demo-motor"],
        "{}",
    ),
    ("tou-cost", "energy.tou-cost", &["demo-motor"], "{}"),
    (
        "peak-demand",
        "energy.peak-demand",
        &["demo-motor", "demo-pump"],
        "{}",
    ),
    (
        "cnc-utilisation",
        "production.cnc-utilisation",
        &["demo-cnc"],
        "{}",
    ),
    (
        "cnc-cycle-time",
        "production.cnc-cycle-time",
        &["demo-cnc"],
        "{}",
    ),
    ("cnc-yield", "quality.first-pass-yield", &["demo-cnc"], "{}"),
    (
        "work-orders",
        "maintenance.work-orders",
        &["demo-pump", "demo-boiler"],
        "{}",
    ),
    (
        "shift-handover",
        "production.shift-handover",
        &["demo-cnc", "demo-pump", "demo-motor", "demo-boiler"],
        "{}",
    ),
    ("line-scheduler", "planning.flow-shop-scheduler", &[], "{}"),
    ("power-factor", "energy.power-factor", &["demo-motor"], "{}"),
    (
        "transformer",
        "energy.transformer-ageing",
        &["demo-motor"],
        "{}",
    ),
    (
        "pump-energy",
        "energy.pump-specific-energy",
        &["demo-pump"],
        "{}",
    ),
    (
        "boiler-cycling",
        "energy.boiler-short-cycling",
        &["demo-boiler"],
        "{}",
    ),
    (
        "motor-starts",
        "maintenance.motor-starts",
        &["demo-motor"],
        "{}",
    ),
    (
        "energy-baseline",
        "energy.baseline-regression",
        &["demo-motor", "demo-cnc"],
        "{}",
    ),
    (
        "compressor",
        "energy.compressor-specific-power",
        &["demo-compressor"],
        r#"{"pressure_property": "discharge_pressure", "state_off": 1, "state_unloaded": 2, "state_loaded": 3}"#,
    ),
    (
        "heat-recovery",
        "energy.compressor-heat-recovery",
        &["demo-compressor"],
        r#"{"state_off": 1, "state_unloaded": 2, "state_loaded": 3}"#,
    ),
    (
        "moulding",
        "production.moulding-process-monitor",
        &["demo-imm"],
        "{}",
    ),
    (
        "moulds",
        "maintenance.mould-maintenance",
        &["demo-imm"],
        "{}",
    ),
    (
        "looms",
        "production.loom-efficiency",
        &["demo-loom"],
        r#"{"ppm_property": "speed"}"#,
    ),
    (
        "warp-beams",
        "production.loom-beam-runout",
        &["demo-loom"],
        r#"{"ppm_property": "speed"}"#,
    ),
    (
        "cold-room-haccp",
        "food.haccp-cold-room",
        &["demo-coldroom"],
        r#"{"temperature_property": "room_temp", "defrost_property": "", "critical_limit_c": -15.0, "max_excursion_c": -12.0}"#,
    ),
    (
        "night-flow",
        "water.night-flow-leakage",
        &["demo-pump"],
        "{}",
    ),
    ("pump-pressure-imr", "quality.spc-imr", &["demo-pump"], "{}"),
    ("orders", "production.order-tracking", &["demo-cnc"], "{}"),
    ("kanban", "supply.kanban-sizing", &["demo-cnc"], "{}"),
    (
        "energy-kpi",
        "energy.enpi-dashboard",
        &["demo-motor", "demo-cnc"],
        "{}",
    ),
    (
        "alarm-kpi",
        "operations.alarm-management-kpi",
        &["demo-pump", "demo-boiler"],
        "{}",
    ),
    (
        "pump-weibull",
        "maintenance.weibull-reliability",
        &["demo-pump"],
        "{}",
    ),
    (
        "door-load",
        "food.coldroom-door-infiltration",
        &["demo-coldroom"],
        "{}",
    ),
    ("pump-vfd", "energy.pump-vfd-savings", &["demo-pump"], "{}"),
    (
        "cooling-time",
        "production.moulding-cooling-time",
        &["demo-imm"],
        "{}",
    ),
    (
        "motor-upgrade",
        "energy.motor-efficiency-upgrade",
        &["demo-motor"],
        "{}",
    ),
    (
        "pm-plans",
        "maintenance.pm-calendar",
        &["demo-motor", "demo-pump", "demo-cnc", "demo-boiler"],
        "{}",
    ),
];

/// Publishes every app under `dir`, then installs the demo's store apps; logs what it did.
pub async fn publish(state: AppState, dir: PathBuf) {
    match publish_all(&state, &dir).await {
        Ok((released, kept, failed)) => tracing::info!(
            released,
            already = kept,
            failed,
            dir = %dir.display(),
            "demo store: first-party apps published"
        ),
        Err(e) => {
            tracing::warn!(error = %e, "demo store: apps not published");
            return;
        }
    }
    match install_all(&state).await {
        Ok(n) => tracing::info!(
            installed = n,
            "demo store: apps installed in the demo tenant"
        ),
        Err(e) => tracing::warn!(error = %e, "demo store: apps not installed"),
    }
    match trade(&state).await {
        Ok(n) => tracing::info!(
            subscriptions = n,
            "demo store: paid apps offered and subscribed"
        ),
        Err(e) => tracing::warn!(error = %e, "demo store: no trading"),
    }
}

/// Installs the store apps of [`STORE_INSTALLS`] the demo tenant does not have yet, as
/// its administrator would, consenting to what each app asks for.
async fn install_all(state: &AppState) -> anyhow::Result<usize> {
    let p = demo_admin(state).await?;
    let tenant = p
        .tenant_id
        .ok_or_else(|| anyhow::anyhow!("no demo tenant"))?;
    let have: Vec<String> = state
        .store
        .list_installations(tenant)
        .await?
        .into_iter()
        .map(|i| i.spec.name)
        .collect();
    let mut n = 0;
    for (name, app, products, config) in STORE_INSTALLS {
        if have.iter().any(|h| h == name) {
            continue;
        }
        let releases = state
            .store
            .list_releases(Some(app), &Default::default())
            .await?;
        let newest = releases
            .items
            .into_iter()
            .filter(|r| r.channel == Channel::Stable)
            .max_by_key(|r| r.released_at);
        let Some(release) = newest else {
            tracing::warn!(app, "demo store: not released, not installed");
            continue;
        };
        let input = ironloom_api::StoreInstall {
            name: (*name).into(),
            grant: release.manifest.permissions.clone(),
            config: Some(serde_json::from_str(config)?),
            products: products.iter().map(|p| (*p).to_string()).collect(),
            enabled: true,
            edge: None,
        };
        match ironloom_api::install_from_store(
            state,
            &p,
            ironloom_core::i18n::Locale::En,
            release.app_id.clone(),
            release.version.clone(),
            input,
        )
        .await
        {
            Ok(_) => n += 1,
            Err(e) => tracing::warn!(app, error = ?e, "demo store: not installed"),
        }
    }
    Ok(n)
}

/// The demo tenant's administrator, as a caller of the API.
async fn demo_admin(state: &AppState) -> anyhow::Result<ironloom_api::Principal> {
    let tenant = state
        .store
        .find_tenant_by_code("demo")
        .await?
        .ok_or_else(|| anyhow::anyhow!("no demo tenant"))?;
    let admin = state
        .store
        .find_user_credentials(Some(tenant.id), "demo")
        .await?
        .ok_or_else(|| anyhow::anyhow!("no demo user"))?
        .user;
    Ok(ironloom_api::Principal {
        via: ironloom_api::authz::Via::Session,
        user_id: admin.id,
        username: admin.username.clone(),
        tenant_id: Some(tenant.id),
        role: admin.role,
        permissions: admin.role.permissions(),
        ip: None,
    })
}

/// The demo's trading, made once: the first-party developer sells three of its apps (a
/// monthly plan with a trial and a yearly one for the scheduler, a per-call plan for the
/// Weibull analysis, a yearly plan for steam-trap losses), and the demo tenant subscribes
/// to each: a trial, a per-call subscription that runs, and an order waiting for its bank
/// transfer on the finance desk.
async fn trade(state: &AppState) -> anyhow::Result<usize> {
    use ironloom_core::trade::PlanKind;
    let dev = ironloom_api::DeveloperCaller(developer(state).await?);
    let actor = Actor::system("demo");
    let plan = |en: &str, zh: &str, kind, price, included_calls, per_1000, trial_days| {
        ironloom_api::PlanInput {
            name: LocalText::new(en, zh),
            kind,
            price,
            included_calls,
            price_per_1000_calls: per_1000,
            trial_days,
        }
    };
    let offers = [
        (
            "planning.flow-shop-scheduler",
            vec![
                plan("Monthly", "包月", PlanKind::Monthly, 29_900, 0, 0, 14),
                plan("Yearly", "包年", PlanKind::Yearly, 299_000, 0, 0, 0),
            ],
        ),
        (
            "maintenance.weibull-reliability",
            vec![plan(
                "Per call",
                "按次计费",
                PlanKind::PerCall,
                0,
                10_000,
                50,
                0,
            )],
        ),
        (
            "steam.trap-loss",
            vec![plan("Yearly", "包年", PlanKind::Yearly, 199_000, 0, 0, 0)],
        ),
    ];
    let p = demo_admin(state).await?;
    let mut n = 0;
    for (app, plans) in offers {
        // Offered once; an app that is not in the store (its checks failed) is left out.
        let released = state
            .store
            .list_releases(Some(app), &Default::default())
            .await?
            .total
            > 0;
        if !released || !state.store.list_plans(app).await?.is_empty() {
            continue;
        }
        let mut first = None;
        for input in plans {
            let made = ironloom_api::offer_plan(state, &dev, &actor, app.into(), input)
                .await
                .map_err(|e| anyhow::anyhow!("{app}: plan not offered: {e:?}"))?;
            first.get_or_insert(made.id);
        }
        if let Some(plan_id) = first {
            ironloom_api::subscribe_tenant(state, &p, app.into(), plan_id)
                .await
                .map_err(|e| anyhow::anyhow!("{app}: not subscribed: {e:?}"))?;
            n += 1;
        }
    }
    Ok(n)
}

async fn developer(state: &AppState) -> anyhow::Result<Developer> {
    let actor = Actor::system("demo");
    let user = match state.store.find_users_by_username(USER).await?.pop() {
        Some(u) => u.user,
        None => {
            state
                .store
                .create_user(
                    &actor,
                    NewUser {
                        tenant_id: None,
                        username: USER.into(),
                        display_name: Some(DEVELOPER.into()),
                        email: Some("apps@ironloom.invalid".into()),
                        role: Role::Developer,
                        // Nobody logs in as it: the password is never shown.
                        password_hash: ironloom_api::hash_password(random_token(32)).await?,
                        password_change_required: true,
                    },
                )
                .await?
        }
    };
    if let Some(d) = state.store.developer_of_user(user.id).await? {
        return Ok(d);
    }
    let d = state
        .store
        .create_developer(
            &actor,
            NewDeveloper {
                user_id: user.id,
                name: DEVELOPER.into(),
                email: "apps@ironloom.invalid".into(),
                organisation: Some("Ironloom project".into()),
                website: Some("https://github.com/ironloom/ironloom".into()),
                first_party: true,
                status: DeveloperStatus::Pending,
            },
        )
        .await?;
    Ok(state
        .store
        .review_developer(
            &Actor::system("demo reviewer"),
            d.id,
            DeveloperStatus::Verified,
            Some("the platform's own apps".into()),
        )
        .await?)
}

async fn publish_all(state: &AppState, dir: &Path) -> anyhow::Result<(usize, usize, usize)> {
    let dev = developer(state).await?;
    let actor = Actor::system("demo");
    let reviewer = Actor::system("demo reviewer");
    let mut apps: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("manifest.json").is_file())
        .collect();
    apps.sort();
    let (mut released, mut kept, mut failed) = (0, 0, 0);
    for app in apps {
        let files = ironloom_apps::package::files_of_dir(&app)?;
        let bytes = ironloom_apps::package::pack(&files)?;
        let host = state
            .apps
            .as_ref()
            .ok_or_else(|| anyhow::anyhow!("no app runtime"))?;
        let pkg = match ironloom_apps::AppPackage::read(&bytes, &host.limits(), None) {
            Ok(p) => p,
            Err(e) => {
                tracing::warn!(app = %app.display(), error = %e, "demo store: not a package");
                failed += 1;
                continue;
            }
        };
        let (id, version) = (&pkg.manifest.id, &pkg.manifest.version);
        match state.store.get_release(id, version).await {
            Ok(_) => {
                kept += 1;
                continue;
            }
            Err(Error::NotFound(_)) => {}
            Err(e) => return Err(e.into()),
        }
        let changelog = pkg
            .files
            .get("CHANGELOG.md")
            .map(|b| String::from_utf8_lossy(b).into_owned());
        let sub = Submission::checking(
            &dev,
            pkg.manifest.clone(),
            pkg.digest.clone(),
            bytes.len() as u64,
            Channel::Stable,
            changelog,
        );
        let sub = match state.store.create_submission(&actor, &sub, &bytes).await {
            Ok(s) => s,
            Err(e) => {
                // A submission of this version still waiting (a stop during the checks):
                // the pipeline resumes it.
                tracing::info!(app = %id, version = %version, error = %e, "demo store: not submitted");
                continue;
            }
        };
        ironloom_api::run_checks(state.clone(), sub.id, bytes).await;
        let checked = state.store.get_submission(sub.id).await?;
        if checked.status != SubmissionStatus::InReview {
            let why: Vec<String> = checked
                .report
                .iter()
                .flat_map(|r| &r.checks)
                .filter(|c| c.outcome == CheckOutcome::Failed)
                .map(|c| format!("{}: {}", c.id, c.details.join("; ")))
                .collect();
            tracing::warn!(app = %id, version = %version, failed = ?why, "demo store: checks failed");
            failed += 1;
            continue;
        }
        match ironloom_api::approve_submission(
            state,
            &reviewer,
            sub.id,
            Some("first-party app of the demo".into()),
        )
        .await
        {
            Ok(_) => released += 1,
            Err(e) => {
                tracing::warn!(app = %id, error = ?e, "demo store: not released");
                failed += 1;
            }
        }
    }
    Ok((released, kept, failed))
}
