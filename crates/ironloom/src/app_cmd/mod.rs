//! `ironloom app new|build|test|pack`: the app developer's loop on one machine
//! (docs/apps.md, "Developing an app").
//!
//! The SDKs live in the repository's `sdk/<language>/` (a header or source file, a
//! `build.sh` and a `template/`); the commands find them through `--sdk`, `$IRONLOOM_SDK`,
//! or the nearest `sdk/` above the app's directory, the working directory or the binary.

mod fixture_run;

use anyhow::{Context, anyhow, bail};
use ironloom_apps::fixture::Fixture;
use ironloom_apps::package::{files_of_dir, pack};
use ironloom_apps::{AppEngine, AppPackage, AppsConfig, PackageError, PackageLimits};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Debug, clap::Subcommand)]
pub enum AppCommand {
    /// Start an app from a language's template.
    New(NewArgs),
    /// Build the app's WebAssembly module (modules/main.wasm) with its language's SDK.
    Build(DirArgs),
    /// Run the app's recorded fixtures (fixtures/*.json) in the sandbox, against the
    /// platform's real stores in a temporary directory.
    Test(TestArgs),
    /// Pack the app into one package file (.ilapp), checked as the platform checks uploads.
    Pack(PackArgs),
}

#[derive(Debug, clap::Args)]
pub struct NewArgs {
    /// Directory to create.
    dir: PathBuf,
    /// c, assemblyscript or rust.
    #[arg(long, default_value = "c")]
    lang: String,
    /// The app's id (lower-case letters, digits, `.`, `-`, `_`), e.g. `acme.oee`.
    #[arg(long)]
    id: Option<String>,
    /// Where the SDKs are (the folder holding c/, assemblyscript/, rust/).
    #[arg(long, value_name = "DIR")]
    sdk: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct DirArgs {
    /// The app's directory (holding manifest.json).
    #[arg(default_value = ".")]
    dir: PathBuf,
    /// Where the SDKs are (the folder holding c/, assemblyscript/, rust/).
    #[arg(long, value_name = "DIR")]
    sdk: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct TestArgs {
    /// The app's directory (holding manifest.json and fixtures/).
    #[arg(default_value = ".")]
    dir: PathBuf,
    /// Run only the fixtures whose file name contains this.
    #[arg(long)]
    only: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct PackArgs {
    /// The app's directory (holding manifest.json).
    #[arg(default_value = ".")]
    dir: PathBuf,
    /// Where to write the package (default: <id>-<version>.ilapp here).
    #[arg(long, short, value_name = "FILE")]
    out: Option<PathBuf>,
}

const LANGUAGES: [&str; 3] = ["c", "assemblyscript", "rust"];

pub fn command(cmd: AppCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        AppCommand::New(a) => new(a).map(|()| ExitCode::SUCCESS),
        AppCommand::Build(a) => build(&a.dir, a.sdk.as_deref()).map(|()| ExitCode::SUCCESS),
        AppCommand::Test(a) => test(&a.dir, a.only.as_deref()),
        AppCommand::Pack(a) => {
            let (package, bytes) = package(&a.dir, &engine()?)?;
            let m = &package.manifest;
            let out = a
                .out
                .unwrap_or_else(|| PathBuf::from(format!("{}-{}.ilapp", m.id, m.version)));
            std::fs::write(&out, &bytes).with_context(|| format!("{}", out.display()))?;
            println!(
                "{} {} → {} ({} bytes, digest {})",
                m.id,
                m.version,
                out.display(),
                bytes.len(),
                package.digest
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// The marketplace's fixture runs (`ironloom_apps::checks::fixture_check`): each fixture
/// on the same real parts as `ironloom app test`, with the server's app engine.
pub struct ServerFixtures {
    pub host: ironloom_apps::AppHost,
}

#[async_trait::async_trait]
impl ironloom_apps::checks::FixtureRunner for ServerFixtures {
    async fn run(
        &self,
        package: &ironloom_apps::AppPackage,
        fixture: &ironloom_apps::fixture::Fixture,
    ) -> Result<ironloom_apps::checks::FixtureRun, String> {
        let engine = self.host.engine();
        let wasm = package
            .module("main")
            .ok_or_else(|| "the package has no main module".to_string())?;
        let module = engine.compile(wasm).map_err(|e| e.to_string())?;
        fixture_run::run(engine, package, &module, fixture)
            .await
            .map(|o| ironloom_apps::checks::FixtureRun {
                differences: o.differences,
                denied: o.observed.denied,
            })
            .map_err(|e| format!("{e:#}"))
    }
}

fn engine() -> anyhow::Result<AppEngine> {
    AppEngine::new(&AppsConfig::default()).map_err(|e| anyhow!("the app engine: {e}"))
}

/// The language of an app's sources.
fn language(dir: &Path) -> anyhow::Result<&'static str> {
    if dir.join("src/main.c").is_file() {
        Ok("c")
    } else if dir.join("assembly/index.ts").is_file() {
        Ok("assemblyscript")
    } else if dir.join("src/lib.rs").is_file() {
        Ok("rust")
    } else {
        bail!(
            "{}: no sources found (src/main.c, assembly/index.ts or src/lib.rs)",
            dir.display()
        )
    }
}

/// The SDK folder: `--sdk`, `$IRONLOOM_SDK`, or the nearest `sdk/` holding the C header
/// above `start`, the working directory or the binary.
fn sdk_root(given: Option<&Path>, start: &Path) -> anyhow::Result<PathBuf> {
    if let Some(p) = given {
        return Ok(p.to_path_buf());
    }
    if let Some(p) = std::env::var_os("IRONLOOM_SDK") {
        return Ok(PathBuf::from(p));
    }
    let mut starts = vec![std::path::absolute(start)?];
    starts.extend(std::env::current_dir().ok());
    starts.extend(std::env::current_exe().ok());
    for s in &starts {
        for dir in s.ancestors() {
            if dir.join("sdk/c/ironloom.h").is_file() {
                return Ok(dir.join("sdk"));
            }
        }
    }
    bail!(
        "the SDKs were not found: pass --sdk DIR or set IRONLOOM_SDK (the repository's sdk/ folder)"
    )
}

fn new(a: NewArgs) -> anyhow::Result<()> {
    if !LANGUAGES.contains(&a.lang.as_str()) {
        bail!("--lang must be one of {}", LANGUAGES.join(", "));
    }
    if a.dir.exists() && std::fs::read_dir(&a.dir)?.next().is_some() {
        bail!("{} exists and is not empty", a.dir.display());
    }
    let template = sdk_root(a.sdk.as_deref(), Path::new("."))?
        .join(&a.lang)
        .join("template");
    if !template.is_dir() {
        bail!("no template at {}", template.display());
    }
    copy_dir(&template, &a.dir)?;
    if let Some(id) = &a.id {
        let path = a.dir.join("manifest.json");
        let mut m: serde_json::Value = serde_json::from_slice(&std::fs::read(&path)?)?;
        m["id"] = serde_json::Value::String(id.clone());
        std::fs::write(&path, serde_json::to_string_pretty(&m)? + "\n")?;
    }
    println!(
        "created {} ({}): edit its manifest.json and sources, then `ironloom app build {0}`, \
         `ironloom app test {0}` and `ironloom app pack {0}`",
        a.dir.display(),
        a.lang
    );
    Ok(())
}

fn copy_dir(from: &Path, to: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(to)?;
    for e in std::fs::read_dir(from)? {
        let e = e?;
        let name = e.file_name();
        if name == "node_modules" {
            continue;
        }
        let (src, dst) = (e.path(), to.join(&name));
        if e.file_type()?.is_dir() {
            copy_dir(&src, &dst)?;
        } else {
            std::fs::copy(&src, &dst).with_context(|| format!("{}", src.display()))?;
        }
    }
    Ok(())
}

fn build(dir: &Path, sdk: Option<&Path>) -> anyhow::Result<()> {
    let lang = language(dir)?;
    let script = sdk_root(sdk, dir)?.join(lang).join("build.sh");
    if !script.is_file() {
        bail!("no build script at {}", script.display());
    }
    let status = std::process::Command::new("bash")
        .arg(&script)
        .arg(dir)
        .status()
        .with_context(|| format!("running {}", script.display()))?;
    if !status.success() {
        bail!("{} failed ({status})", script.display());
    }
    // The module must load as the platform loads it.
    let (package, bytes) = package(dir, &engine()?)?;
    println!(
        "built {} {} ({lang}): modules/main.wasm checked; the package would be {} bytes",
        package.manifest.id,
        package.manifest.version,
        bytes.len()
    );
    Ok(())
}

/// The app's package, built from its directory and checked as an upload is.
fn package(dir: &Path, engine: &AppEngine) -> anyhow::Result<(AppPackage, Vec<u8>)> {
    if !dir.join("manifest.json").is_file() {
        bail!("{}: no manifest.json", dir.display());
    }
    let files = files_of_dir(dir).with_context(|| format!("reading {}", dir.display()))?;
    let bytes = pack(&files)?;
    match AppPackage::read(&bytes, &PackageLimits::default(), Some(engine)) {
        Ok(p) => Ok((p, bytes)),
        Err(PackageError::Invalid(problems)) => {
            let list: Vec<String> = problems.iter().map(|p| format!("  {p}")).collect();
            bail!("the package is refused:\n{}", list.join("\n"))
        }
        Err(e) => bail!("the package is refused: {e}"),
    }
}

fn test(dir: &Path, only: Option<&str>) -> anyhow::Result<ExitCode> {
    let engine = engine()?;
    let (package, _) = package(dir, &engine)?;
    let wasm = package
        .module("main")
        .ok_or_else(|| anyhow!("the package has no module named main"))?;
    let module = engine.compile(wasm).map_err(|e| anyhow!("{e}"))?;
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join("fixtures"))
        .with_context(|| format!("{}/fixtures", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .filter(|p| only.is_none_or(|o| p.to_string_lossy().contains(o)))
        .collect();
    files.sort();
    if files.is_empty() {
        bail!("{}/fixtures has no fixtures (*.json)", dir.display());
    }
    let m = &package.manifest;
    println!("{} {}: {} fixtures", m.id, m.version, files.len());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let mut failed = 0;
    for path in &files {
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        let text = std::fs::read(path)?;
        let de = &mut serde_json::Deserializer::from_slice(&text);
        let fixture: Fixture = match serde_path_to_error::deserialize(de) {
            Ok(f) => f,
            Err(e) => {
                failed += 1;
                println!("  FAIL  {name}: not a fixture: {}: {}", e.path(), e.inner());
                continue;
            }
        };
        match rt.block_on(fixture_run::run(&engine, &package, &module, &fixture)) {
            Ok(out) if out.differences.is_empty() => println!(
                "  ok    {name} — {} ({} events, {} fuel, {} host calls)",
                fixture.description,
                fixture.events.len(),
                out.observed.fuel,
                out.observed.host_calls
            ),
            Ok(out) => {
                failed += 1;
                println!("  FAIL  {name} — {}", fixture.description);
                for d in &out.differences {
                    println!("        {d}");
                }
                for l in out.observed.logs.iter().take(20) {
                    println!("        log: {l}");
                }
            }
            Err(e) => {
                failed += 1;
                println!("  FAIL  {name}: {e:#}");
            }
        }
    }
    println!("{} passed, {failed} failed", files.len() - failed);
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
