//! The marketplace's automated checks of a submitted package, each with its own report:
//!
//! | check | what it looks at |
//! |---|---|
//! | `package` | a readable archive within the size, entry and path limits, with README and icon |
//! | `manifest` | the manifest's schema and every field's rules |
//! | `modules` | every WebAssembly module validates and compiles, with only the host's imports |
//! | `permissions` | every host operation the app calls during its fixtures is covered by a declared permission; operations named in the modules' data but not declared are warnings |
//! | `limits` | package size, fuel, memory and time limits within the store's; each module's initial memory within its manifest's |
//! | `network` | every URL in the modules' data is on a host the app declares |
//! | `fixtures` | the app's own `fixtures/*.json` pass in the sandbox (run by a [`FixtureRunner`]) |
//!
//! The app calls the platform through one import (`ironloom.call`) with the operation's
//! name as a string, so what it may call is read from its constant data: a C string
//! (`"alarm.raise\0"`) or an AssemblyScript string (UTF-16 with its byte length before it)
//! names an operation, and the bare word elsewhere (Rust packs its literals together)
//! may; either, undeclared, is a warning for the reviewer (a configuration key can be
//! spelt like an operation). What decides is what the app does: an operation it calls
//! during its own fixtures (run with the manifest's permissions) that no declared
//! permission covers fails the check. The runtime checks every call against the
//! installation's grant anyway; this check tells the developer and the reviewer before
//! anyone installs it.

use crate::engine::AppEngine;
use crate::fixture::Fixture;
use crate::host::HostOp;
use crate::package::{AppPackage, PackageError, PackageLimits};
use async_trait::async_trait;
use ironloom_core::app::Permission;
use ironloom_core::market::{CheckOutcome, CheckResult, LocalText};
use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

/// What the store accepts, beyond what any package may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreLimits {
    pub max_package_bytes: usize,
    pub max_memory_mib: u32,
    pub max_fuel: u64,
    pub max_timeout_ms: u32,
    pub max_fixtures: usize,
}

impl Default for StoreLimits {
    fn default() -> Self {
        StoreLimits {
            max_package_bytes: 16 << 20,
            max_memory_mib: 64,
            max_fuel: ironloom_core::app::MAX_FUEL,
            max_timeout_ms: 30_000,
            max_fixtures: 64,
        }
    }
}

/// What one fixture run showed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FixtureRun {
    /// The differences between what the fixture expects and what the app did (empty:
    /// passed).
    pub differences: Vec<String>,
    /// Host operations the app called that its grant did not allow.
    pub denied: BTreeSet<String>,
}

/// Runs an app's fixture in the sandbox against the platform's real parts (the binary
/// provides it: it owns the metadata store, engine and ingest path a fixture needs).
#[async_trait]
pub trait FixtureRunner: Send + Sync {
    /// What the run showed, or why it could not run.
    async fn run(&self, package: &AppPackage, fixture: &Fixture) -> Result<FixtureRun, String>;
}

fn result(
    id: &str,
    en: &str,
    zh: &str,
    outcome: CheckOutcome,
    details: Vec<String>,
    took: Instant,
) -> CheckResult {
    CheckResult {
        id: id.into(),
        title: LocalText::new(en, zh),
        outcome,
        details,
        took_ms: u64::try_from(took.elapsed().as_millis()).unwrap_or(u64::MAX),
    }
}

const TITLES: [(&str, &str, &str); 7] = [
    ("package", "Package structure and size", "应用包结构与大小"),
    ("manifest", "Manifest schema", "清单格式"),
    (
        "modules",
        "WebAssembly modules validate",
        "WebAssembly 模块校验",
    ),
    (
        "permissions",
        "Host calls covered by declared permissions",
        "宿主调用与声明权限一致",
    ),
    (
        "limits",
        "Size, memory, fuel and time limits",
        "大小、内存、燃料与时间限制",
    ),
    ("network", "Outbound hosts declared", "外联主机已声明"),
    (
        "fixtures",
        "Fixture tests pass in the sandbox",
        "沙箱中夹具测试通过",
    ),
];

fn titled(id: &str, outcome: CheckOutcome, details: Vec<String>, took: Instant) -> CheckResult {
    let (_, en, zh) = TITLES
        .iter()
        .find(|(i, _, _)| *i == id)
        .copied()
        .unwrap_or((id, id, id));
    result(id, en, zh, outcome, details, took)
}

fn skipped(from: usize, why: &str) -> Vec<CheckResult> {
    TITLES[from..]
        .iter()
        .map(|(id, _, _)| titled(id, CheckOutcome::Skipped, vec![why.into()], Instant::now()))
        .collect()
}

fn outcome(failed: bool, warned: bool) -> CheckOutcome {
    if failed {
        CheckOutcome::Failed
    } else if warned {
        CheckOutcome::Warning
    } else {
        CheckOutcome::Passed
    }
}

/// Every check but the fixtures; the package when it could be read.
pub fn static_checks(
    bytes: &[u8],
    engine: &AppEngine,
    limits: &PackageLimits,
    store: &StoreLimits,
) -> (Vec<CheckResult>, Option<AppPackage>) {
    let mut out = Vec::new();
    let t = Instant::now();
    let pkg = match AppPackage::read(bytes, limits, None) {
        Ok(p) => p,
        Err(PackageError::Invalid(problems)) => {
            let (manifest, other): (Vec<_>, Vec<_>) = problems
                .iter()
                .map(|p| p.message(ironloom_core::i18n::Locale::En))
                .partition(|d| d.starts_with("manifest.json"));
            let fail = |d: &Vec<String>| outcome(!d.is_empty(), false);
            out.push(titled("package", fail(&other), other.clone(), t));
            out.push(titled("manifest", fail(&manifest), manifest, t));
            out.extend(skipped(
                2,
                "not run: the package or its manifest has problems",
            ));
            return (out, None);
        }
        Err(e) => {
            out.push(titled(
                "package",
                CheckOutcome::Failed,
                vec![e.to_string()],
                t,
            ));
            out.extend(skipped(1, "not run: the package cannot be read"));
            return (out, None);
        }
    };
    out.push(titled(
        "package",
        CheckOutcome::Passed,
        vec![
            format!("{} bytes packed, {} files", bytes.len(), pkg.files.len()),
            format!("digest {}", pkg.digest),
        ],
        t,
    ));
    out.push(titled(
        "manifest",
        CheckOutcome::Passed,
        vec![format!("{} {}", pkg.manifest.id, pkg.manifest.version)],
        t,
    ));

    let t = Instant::now();
    let mut details = Vec::new();
    let mut failed = false;
    let mut scans = Vec::new();
    for m in &pkg.manifest.modules {
        let Some(wasm) = pkg.files.get(&m.path) else {
            continue;
        };
        match engine.compile(wasm) {
            Ok(_) => details.push(format!(
                "{} ({}, {} bytes): valid",
                m.name,
                m.path,
                wasm.len()
            )),
            Err(e) => {
                failed = true;
                details.push(format!("{} ({}): {e}", m.name, m.path));
            }
        }
        match scan(wasm) {
            Ok(s) => scans.push((m.path.clone(), s)),
            Err(e) => {
                failed = true;
                details.push(format!("{}: cannot be read: {e}", m.path));
            }
        }
    }
    out.push(titled("modules", outcome(failed, false), details, t));
    if failed {
        out.extend(skipped(3, "not run: a module does not validate"));
        return (out, Some(pkg));
    }

    out.push(permissions(&pkg, &scans));
    out.push(limits_check(bytes.len(), &pkg, &scans, store));
    out.push(network(&pkg, &scans));
    (out, Some(pkg))
}

/// Runs the package's `fixtures/*.json` in the sandbox; with the operations the app
/// called without a permission for them.
pub async fn fixture_check(
    pkg: &AppPackage,
    runner: &dyn FixtureRunner,
    store: &StoreLimits,
) -> (CheckResult, BTreeMap<String, String>) {
    let mut denied = BTreeMap::new();
    let result = fixtures_run(pkg, runner, store, &mut denied).await;
    (result, denied)
}

async fn fixtures_run(
    pkg: &AppPackage,
    runner: &dyn FixtureRunner,
    store: &StoreLimits,
    denied: &mut BTreeMap<String, String>,
) -> CheckResult {
    let t = Instant::now();
    let fixtures: BTreeMap<&String, &Vec<u8>> = pkg
        .files
        .iter()
        .filter(|(p, _)| p.starts_with("fixtures/") && p.ends_with(".json"))
        .collect();
    if fixtures.is_empty() {
        return titled(
            "fixtures",
            CheckOutcome::Failed,
            vec![
                "the package has no fixtures/*.json: a store package carries its own fixture \
                 tests (ironloom app pack includes them; docs/apps.md)"
                    .into(),
            ],
            t,
        );
    }
    if fixtures.len() > store.max_fixtures {
        return titled(
            "fixtures",
            CheckOutcome::Failed,
            vec![format!(
                "{} fixtures, more than the {} the store runs",
                fixtures.len(),
                store.max_fixtures
            )],
            t,
        );
    }
    let mut details = Vec::new();
    let mut failed = false;
    for (path, bytes) in fixtures {
        let fixture: Fixture = match serde_json::from_slice(bytes) {
            Ok(f) => f,
            Err(e) => {
                failed = true;
                details.push(format!("{path}: not a fixture: {e}"));
                continue;
            }
        };
        match runner.run(pkg, &fixture).await {
            Ok(run) => {
                for op in run.denied {
                    denied.entry(op).or_insert_with(|| path.to_string());
                }
                if run.differences.is_empty() {
                    details.push(format!("{path}: passed"));
                } else {
                    failed = true;
                    details.push(format!("{path}: failed: {}", run.differences.join("; ")));
                }
            }
            Err(e) => {
                failed = true;
                details.push(format!("{path}: could not run: {e}"));
            }
        }
    }
    titled("fixtures", outcome(failed, false), details, t)
}

/// What a module's sections say.
#[derive(Debug, Default)]
struct Scan {
    imports: Vec<String>,
    /// Initial pages of the module's own memory.
    initial_pages: Option<u64>,
    data: Vec<Vec<u8>>,
}

fn scan(wasm: &[u8]) -> Result<Scan, String> {
    use wasmparser::{Parser, Payload, TypeRef};
    let mut s = Scan::default();
    for payload in Parser::new(0).parse_all(wasm) {
        match payload.map_err(|e| e.to_string())? {
            Payload::ImportSection(r) => {
                for imp in r.into_imports() {
                    let imp = imp.map_err(|e| e.to_string())?;
                    s.imports.push(format!("{}.{}", imp.module, imp.name));
                    if let TypeRef::Memory(m) = imp.ty {
                        s.initial_pages = Some(m.initial);
                    }
                }
            }
            Payload::MemorySection(r) => {
                for m in r {
                    s.initial_pages = Some(m.map_err(|e| e.to_string())?.initial);
                }
            }
            Payload::DataSection(r) => {
                for d in r {
                    s.data.push(d.map_err(|e| e.to_string())?.data.to_vec());
                }
            }
            _ => {}
        }
    }
    Ok(s)
}

/// How certainly a module names a string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Found {
    /// The bare word, bounded by other characters.
    Word,
    /// A C string or an AssemblyScript string: a literal of its own.
    Literal,
}

fn utf16(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

fn find_all(hay: &[u8], needle: &[u8]) -> Vec<usize> {
    if needle.is_empty() || hay.len() < needle.len() {
        return vec![];
    }
    (0..=hay.len() - needle.len())
        .filter(|&i| &hay[i..i + needle.len()] == needle)
        .collect()
}

fn word_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'.'
}

/// Whether (and how surely) `word` appears in the data as a string of its own.
fn names(data: &[Vec<u8>], word: &str) -> Option<Found> {
    let mut best = None;
    let w8 = word.as_bytes();
    let w16 = utf16(word);
    for seg in data {
        for i in find_all(seg, w8) {
            let before = if i == 0 { None } else { Some(seg[i - 1]) };
            let after = seg.get(i + w8.len()).copied();
            let c_string = matches!(before, None | Some(0)) && after == Some(0);
            let bounded = !before.is_some_and(word_char) && !after.is_some_and(word_char);
            let f = if c_string {
                Some(Found::Literal)
            } else if bounded {
                Some(Found::Word)
            } else {
                None
            };
            best = best.max(f);
        }
        for i in find_all(seg, &w16) {
            // AssemblyScript: the object's byte length is the u32 just before the string.
            let len_ok = i >= 4
                && u32::from_le_bytes([seg[i - 4], seg[i - 3], seg[i - 2], seg[i - 1]]) as usize
                    == w16.len();
            best = best.max(Some(if len_ok { Found::Literal } else { Found::Word }));
        }
    }
    best
}

fn declared(pkg: &AppPackage) -> BTreeSet<&'static str> {
    pkg.manifest
        .permissions
        .iter()
        .map(Permission::as_str)
        .collect()
}

fn permissions(pkg: &AppPackage, scans: &[(String, Scan)]) -> CheckResult {
    let t = Instant::now();
    let have = declared(pkg);
    let mut details = vec![format!(
        "declared: {}",
        if have.is_empty() {
            "none".to_string()
        } else {
            have.iter().copied().collect::<Vec<_>>().join(", ")
        }
    )];
    let mut warned = false;
    for (path, s) in scans {
        details.push(format!("{path} imports {}", s.imports.join(", ")));
        let mut calls = Vec::new();
        for op in HostOp::ALL {
            let Some(found) = names(&s.data, op.as_str()) else {
                continue;
            };
            calls.push(op.as_str());
            let Some(needs) = op.needs() else {
                continue;
            };
            if have.contains(needs) {
                continue;
            }
            warned = true;
            let how = match found {
                Found::Literal => "as a string of its own",
                Found::Word => "as a word in its data",
            };
            details.push(format!(
                "{path} names {} {how}: if it calls {0}, that needs the {needs} permission \
                 the manifest does not declare (the platform refuses the call; the fixtures \
                 show whether it does)",
                op.as_str()
            ));
        }
        details.push(format!(
            "{path} names host operations: {}",
            if calls.is_empty() {
                "none".into()
            } else {
                calls.join(", ")
            }
        ));
    }
    titled("permissions", outcome(false, warned), details, t)
}

/// The permissions check, told what the fixtures showed: an operation the app called
/// whose permission the manifest does not declare fails it.
pub fn permissions_called(
    checks: &mut [CheckResult],
    pkg: &AppPackage,
    denied: &BTreeMap<String, String>,
) {
    let have = declared(pkg);
    let Some(c) = checks.iter_mut().find(|c| c.id == "permissions") else {
        return;
    };
    for (op, fixture) in denied {
        let Some(needs) = HostOp::parse(op).and_then(HostOp::needs) else {
            continue;
        };
        if have.contains(needs) {
            // Refused under a fixture's own narrower grant: what the fixture tests.
            continue;
        }
        c.outcome = CheckOutcome::Failed;
        c.details.push(format!(
            "the app called {op} in {fixture}, which needs the {needs} permission the \
             manifest does not declare"
        ));
    }
}

fn limits_check(
    packed: usize,
    pkg: &AppPackage,
    scans: &[(String, Scan)],
    store: &StoreLimits,
) -> CheckResult {
    let t = Instant::now();
    let l = &pkg.manifest.limits;
    let mut details = vec![format!(
        "package {packed} bytes (store limit {}), fuel {} ({}), memory {} MiB ({}), time {} ms ({})",
        store.max_package_bytes,
        l.fuel,
        store.max_fuel,
        l.memory_mib,
        store.max_memory_mib,
        l.timeout_ms,
        store.max_timeout_ms
    )];
    let mut problems = Vec::new();
    let mut over = |what: String| problems.push(what);
    if packed > store.max_package_bytes {
        over(format!(
            "the package is larger than the store's {} bytes",
            store.max_package_bytes
        ));
    }
    if l.fuel > store.max_fuel {
        over(format!(
            "limits.fuel {} is above the store's {}",
            l.fuel, store.max_fuel
        ));
    }
    if l.memory_mib > store.max_memory_mib {
        over(format!(
            "limits.memory_mib {} is above the store's {}",
            l.memory_mib, store.max_memory_mib
        ));
    }
    if l.timeout_ms > store.max_timeout_ms {
        over(format!(
            "limits.timeout_ms {} is above the store's {}",
            l.timeout_ms, store.max_timeout_ms
        ));
    }
    for (path, s) in scans {
        if let Some(pages) = s.initial_pages {
            let mib = pages as f64 * 64.0 / 1024.0;
            if pages * 64 > u64::from(l.memory_mib) * 1024 {
                problems.push(format!(
                    "{path} starts with {mib:.2} MiB of memory ({pages} pages), more than \
                     limits.memory_mib {}: it could not even start",
                    l.memory_mib
                ));
            } else {
                details.push(format!("{path} starts with {mib:.2} MiB ({pages} pages)"));
            }
        }
    }
    let failed = !problems.is_empty();
    details.extend(problems);
    titled("limits", outcome(failed, false), details, t)
}

/// The hosts of the `http://` and `https://` URLs in the data (UTF-8 and UTF-16).
fn url_hosts(data: &[Vec<u8>]) -> BTreeSet<String> {
    let mut hosts = BTreeSet::new();
    let host_char = |c: u8| c.is_ascii_alphanumeric() || c == b'.' || c == b'-';
    for seg in data {
        // UTF-16 strings read as ASCII by dropping their zero high bytes.
        let narrow: Vec<u8> = seg
            .chunks(2)
            .filter(|c| c.len() == 2 && c[1] == 0)
            .map(|c| c[0])
            .collect();
        for text in [seg.as_slice(), narrow.as_slice()] {
            for scheme in [&b"http://"[..], b"https://"] {
                for i in find_all(text, scheme) {
                    let rest = &text[i + scheme.len()..];
                    let end = rest
                        .iter()
                        .position(|&c| !host_char(c))
                        .unwrap_or(rest.len());
                    let host = String::from_utf8_lossy(&rest[..end]).to_lowercase();
                    if !host.is_empty()
                        && host.contains(|c: char| c.is_ascii_alphabetic() || c == '.')
                    {
                        hosts.insert(host.trim_end_matches('.').to_string());
                    }
                }
            }
        }
    }
    hosts
}

fn network(pkg: &AppPackage, scans: &[(String, Scan)]) -> CheckResult {
    let t = Instant::now();
    let allowed: BTreeSet<String> = pkg
        .manifest
        .permissions
        .iter()
        .filter_map(|p| match p {
            Permission::Http { hosts } => Some(hosts.iter().map(|h| h.to_lowercase())),
            _ => None,
        })
        .flatten()
        .collect();
    let mut details = vec![format!(
        "declared hosts: {}",
        if allowed.is_empty() {
            "none".to_string()
        } else {
            allowed.iter().cloned().collect::<Vec<_>>().join(", ")
        }
    )];
    let mut failed = false;
    for (path, s) in scans {
        for host in url_hosts(&s.data) {
            if allowed.contains(&host) {
                details.push(format!("{path} names {host}: declared"));
            } else {
                failed = true;
                details.push(format!(
                    "{path} names a URL on {host}, which the manifest does not declare \
                     (permissions: {{\"kind\": \"http\", \"hosts\": [...]}})"
                ));
            }
        }
    }
    titled("network", outcome(failed, false), details, t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_words_and_parts_of_words_are_told_apart() {
        let c = vec![b"\0alarm.raise\0log\0".to_vec()];
        assert_eq!(names(&c, "alarm.raise"), Some(Found::Literal));
        let rust = vec![b"could not write: latestvalues alarm.raise".to_vec()];
        assert_eq!(names(&rust, "write"), Some(Found::Word));
        assert_eq!(names(&rust, "latest"), None);
        assert_eq!(names(&rust, "alarm.raise"), Some(Found::Word));
        let mut as_string = 10u32.to_le_bytes().to_vec();
        as_string.extend(utf16("model"));
        assert_eq!(names(&[as_string], "model"), Some(Found::Literal));
        assert_eq!(names(&[utf16("http")], "http"), Some(Found::Word));
        assert_eq!(names(&[b"models".to_vec()], "model"), None);
    }

    #[test]
    fn urls_give_their_hosts_in_both_encodings() {
        let data = vec![
            b"GET https://api.example.com/v1?x=1\0http://10.0.0.1:80/".to_vec(),
            utf16("see http://Weather.example.org/path"),
        ];
        let hosts: Vec<String> = url_hosts(&data).into_iter().collect();
        assert_eq!(
            hosts,
            vec!["10.0.0.1", "api.example.com", "weather.example.org"]
        );
    }
}
