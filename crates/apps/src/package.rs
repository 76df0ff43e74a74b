//! App packages: one file, a gzip-compressed tar archive (`.ilapp`).
//!
//! ```text
//! manifest.json        the manifest (ironloom_core::app::AppManifest)
//! README.md            what the app does, in both languages
//! icon.png | icon.svg  its icon
//! modules/*.wasm       the WebAssembly modules the manifest names
//! ui/…                 static assets of its panels
//! signature.json       optional: {"algorithm", "key_id", "signature"} over `digest`
//! ```
//!
//! Reading is bounded before anything is allocated for it: the compressed size, the
//! unpacked size, the number of entries and each file's size are capped, paths must stay
//! inside the package, and only regular files and folders are accepted. A package with
//! problems is refused with all of them listed, each naming the file or field.

use crate::engine::AppEngine;
use ironloom_core::app::{AppManifest, package_path_ok};
use ironloom_core::error::{FieldError, FieldErrorKind};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::io::Read;

/// How large a package may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PackageLimits {
    pub max_package_bytes: usize,
    pub max_unpacked_bytes: u64,
    pub max_entries: usize,
    pub max_file_bytes: u64,
}

impl Default for PackageLimits {
    fn default() -> Self {
        PackageLimits {
            max_package_bytes: 32 << 20,
            max_unpacked_bytes: 64 << 20,
            max_entries: 2000,
            max_file_bytes: 16 << 20,
        }
    }
}

/// Room for a publisher's signature; checked by the marketplace (issue 22).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Signature {
    pub algorithm: String,
    pub key_id: String,
    pub signature: String,
}

/// A package that passed every check.
#[derive(Debug, Clone)]
pub struct AppPackage {
    pub manifest: AppManifest,
    /// Every file but the signature, by path.
    pub files: BTreeMap<String, Vec<u8>>,
    pub signature: Option<Signature>,
    /// SHA-256 over the files' paths and contents in path order (hex); what a signature
    /// signs, and how two uploads of the same package are recognised.
    pub digest: String,
}

#[derive(Debug, thiserror::Error)]
pub enum PackageError {
    /// Not a gzip-compressed tar archive, or cut short.
    #[error("not an app package (a gzip-compressed tar archive): {0}")]
    Unreadable(String),
    /// Every problem found, each naming its file or field.
    #[error("the package has {} problem(s): {}", .0.len(), .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<FieldError>),
}

impl PackageError {
    pub fn code(&self) -> &'static str {
        match self {
            PackageError::Unreadable(_) => "unreadable_package",
            PackageError::Invalid(_) => "invalid_package",
        }
    }
}

fn problem(field: impl Into<String>, en: impl Into<String>, zh: impl Into<String>) -> FieldError {
    FieldError::new(
        field,
        FieldErrorKind::Other {
            en: en.into(),
            zh: zh.into(),
        },
    )
}

/// SHA-256 over `path \0 len \0 bytes` of each file in path order.
pub fn digest(files: &BTreeMap<String, Vec<u8>>) -> String {
    let mut h = Sha256::new();
    for (path, bytes) in files {
        h.update(path.as_bytes());
        h.update([0]);
        h.update((bytes.len() as u64).to_le_bytes());
        h.update(bytes);
    }
    hex::encode(h.finalize())
}

impl AppPackage {
    /// Reads and checks a package. With an engine, its modules are also compiled and
    /// checked (imports, exports), so a package that is accepted can run.
    pub fn read(
        bytes: &[u8],
        limits: &PackageLimits,
        engine: Option<&AppEngine>,
    ) -> Result<AppPackage, PackageError> {
        if bytes.len() > limits.max_package_bytes {
            return Err(PackageError::Invalid(vec![problem(
                "package",
                format!(
                    "has {} bytes, more than the {} allowed",
                    bytes.len(),
                    limits.max_package_bytes
                ),
                format!(
                    "大小为 {} 字节，超过上限 {} 字节",
                    bytes.len(),
                    limits.max_package_bytes
                ),
            )]));
        }
        let (mut files, mut errs) = unpack(bytes, limits)?;
        let signature = files
            .remove("signature.json")
            .map(|b| serde_json::from_slice::<Signature>(&b));
        let signature = match signature {
            None => None,
            Some(Ok(s)) => Some(s),
            Some(Err(e)) => {
                errs.push(problem(
                    "signature.json",
                    format!("is not a signature ({{algorithm, key_id, signature}}): {e}"),
                    format!("不是有效的签名（algorithm、key_id、signature）：{e}"),
                ));
                None
            }
        };
        let manifest = match files.get("manifest.json") {
            None => {
                errs.push(problem("manifest.json", "is missing", "缺少 manifest.json"));
                None
            }
            Some(b) => {
                let de = &mut serde_json::Deserializer::from_slice(b);
                match serde_path_to_error::deserialize::<_, AppManifest>(de) {
                    Ok(m) => Some(m),
                    Err(e) => {
                        errs.push(problem(
                            format!("manifest.json: {}", e.path()),
                            e.inner().to_string(),
                            format!("清单无法解析：{}", e.inner()),
                        ));
                        None
                    }
                }
            }
        };
        if !files.contains_key("README.md") {
            errs.push(problem("README.md", "is missing", "缺少 README.md"));
        }
        if !files.contains_key("icon.png") && !files.contains_key("icon.svg") {
            errs.push(problem(
                "icon",
                "is missing (icon.png or icon.svg)",
                "缺少图标（icon.png 或 icon.svg）",
            ));
        }
        if let Some(m) = &manifest {
            for e in m.check() {
                errs.push(FieldError::new(
                    format!("manifest.json: {}", e.field),
                    e.kind,
                ));
            }
            for (i, p) in m.panels.iter().enumerate() {
                if !files.contains_key(&p.entry) {
                    errs.push(problem(
                        format!("manifest.json: panels[{i}].entry"),
                        format!("{} is not in the package", p.entry),
                        format!("应用包中没有 {}", p.entry),
                    ));
                }
            }
            for (i, module) in m.modules.iter().enumerate() {
                let field = format!("manifest.json: modules[{i}].path");
                match (files.get(&module.path), engine) {
                    (None, _) => errs.push(problem(
                        field,
                        format!("{} is not in the package", module.path),
                        format!("应用包中没有 {}", module.path),
                    )),
                    (Some(wasm), Some(engine)) => {
                        if let Err(e) = engine.compile(wasm) {
                            errs.push(problem(
                                field,
                                format!("{}: {e}", module.path),
                                format!("{}：模块无法加载（{}）：{e}", module.path, e.code()),
                            ));
                        }
                    }
                    (Some(_), None) => {}
                }
            }
        }
        match manifest {
            Some(manifest) if errs.is_empty() => Ok(AppPackage {
                digest: digest(&files),
                manifest,
                files,
                signature,
            }),
            _ => Err(PackageError::Invalid(errs)),
        }
    }

    /// The bytes of the module named `name`.
    pub fn module(&self, name: &str) -> Option<&[u8]> {
        let m = self.manifest.modules.iter().find(|m| m.name == name)?;
        self.files.get(&m.path).map(Vec::as_slice)
    }
}

type Unpacked = (BTreeMap<String, Vec<u8>>, Vec<FieldError>);

fn unpack(bytes: &[u8], limits: &PackageLimits) -> Result<Unpacked, PackageError> {
    let unreadable = |e: std::io::Error| PackageError::Unreadable(e.to_string());
    // The decoder is bounded: a gzip bomb stops at the unpacked limit (plus the headers).
    let budget = limits.max_unpacked_bytes + 512 * (limits.max_entries as u64 + 2);
    let gz = flate2::read::GzDecoder::new(bytes).take(budget);
    let mut archive = tar::Archive::new(gz);
    let mut files = BTreeMap::new();
    let mut errs = Vec::new();
    let mut total: u64 = 0;
    for (n, entry) in archive.entries().map_err(unreadable)?.enumerate() {
        if n >= limits.max_entries {
            errs.push(problem(
                "package",
                format!("has more than {} entries", limits.max_entries),
                format!("条目超过 {} 个", limits.max_entries),
            ));
            break;
        }
        let mut entry = entry.map_err(unreadable)?;
        let path = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let path = path.strip_prefix("./").unwrap_or(&path).to_string();
        let kind = entry.header().entry_type();
        if kind.is_dir() {
            continue;
        }
        if !kind.is_file() {
            errs.push(problem(
                path.clone(),
                "is not a regular file (links and devices are refused)",
                "不是普通文件（不接受链接和设备文件）",
            ));
            continue;
        }
        if !package_path_ok(&path) {
            errs.push(problem(
                path.clone(),
                "is not a path inside the package",
                "路径超出应用包范围",
            ));
            continue;
        }
        let size = entry.header().size().map_err(unreadable)?;
        if size > limits.max_file_bytes {
            errs.push(problem(
                path.clone(),
                format!(
                    "has {size} bytes, more than the {} allowed",
                    limits.max_file_bytes
                ),
                format!(
                    "大小为 {size} 字节，超过上限 {} 字节",
                    limits.max_file_bytes
                ),
            ));
            // Skipping it would read through it: stop here.
            break;
        }
        total += size;
        if total > limits.max_unpacked_bytes {
            errs.push(problem(
                "package",
                format!("unpacks to more than {} bytes", limits.max_unpacked_bytes),
                format!("解包后超过 {} 字节", limits.max_unpacked_bytes),
            ));
            break;
        }
        let mut buf = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
        entry.read_to_end(&mut buf).map_err(unreadable)?;
        if files.insert(path.clone(), buf).is_some() {
            errs.push(problem(
                path,
                "is in the package twice",
                "在应用包中重复出现",
            ));
        }
    }
    Ok((files, errs))
}

/// The files of an app's source directory that go into its package: `manifest.json`,
/// `README.md`, `CHANGELOG.md`, the icon, `signature.json`, and everything under
/// `modules/`, `ui/`, `fixtures/` (the fixtures go along so the marketplace can run them)
/// and `screenshots/` (shown on its store listing); sources and build output stay out.
/// Paths use `/`.
pub fn files_of_dir(dir: &std::path::Path) -> std::io::Result<BTreeMap<String, Vec<u8>>> {
    fn walk(
        root: &std::path::Path,
        dir: &std::path::Path,
        out: &mut BTreeMap<String, Vec<u8>>,
    ) -> std::io::Result<()> {
        let mut entries = std::fs::read_dir(dir)?.collect::<Result<Vec<_>, _>>()?;
        entries.sort_by_key(std::fs::DirEntry::file_name);
        for e in entries {
            let path = e.path();
            let kind = e.file_type()?;
            if kind.is_dir() {
                walk(root, &path, out)?;
            } else if kind.is_file() {
                let rel = path.strip_prefix(root).map_err(std::io::Error::other)?;
                let name: Vec<String> = rel
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect();
                out.insert(name.join("/"), std::fs::read(&path)?);
            }
        }
        Ok(())
    }
    let mut files = BTreeMap::new();
    for name in [
        "manifest.json",
        "README.md",
        "CHANGELOG.md",
        "icon.png",
        "icon.svg",
        "signature.json",
    ] {
        let path = dir.join(name);
        if path.is_file() {
            files.insert(name.to_string(), std::fs::read(&path)?);
        }
    }
    for sub in ["modules", "ui", "fixtures", "screenshots"] {
        let path = dir.join(sub);
        if path.is_dir() {
            walk(dir, &path, &mut files)?;
        }
    }
    Ok(files)
}

/// Packs files (path → bytes) into a package, deterministically: sorted paths, zero
/// times and owners, so the same files give the same bytes.
pub fn pack(files: &BTreeMap<String, Vec<u8>>) -> std::io::Result<Vec<u8>> {
    let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let mut tar = tar::Builder::new(gz);
    tar.mode(tar::HeaderMode::Deterministic);
    for (path, bytes) in files {
        let mut h = tar::Header::new_gnu();
        h.set_size(bytes.len() as u64);
        h.set_mode(0o644);
        h.set_mtime(0);
        h.set_entry_type(tar::EntryType::Regular);
        tar.append_data(&mut h, path, bytes.as_slice())?;
    }
    tar.into_inner()?.finish()
}
