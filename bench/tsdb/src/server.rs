//! What the peer servers need besides starting and stopping (`ironloom_bench_common::
//! process`): the system user PostgreSQL runs as, disk usage, versions of Debian packages
//! and the HTTP client for talking to them.

use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use ironloom_bench_common::run::first_line;

/// The uid and gid of a system user, from /etc/passwd.
pub fn system_user(name: &str) -> Result<(u32, u32)> {
    let passwd = std::fs::read_to_string("/etc/passwd").context("reading /etc/passwd")?;
    for line in passwd.lines() {
        let f: Vec<&str> = line.split(':').collect();
        if f.len() > 3 && f[0] == name {
            return Ok((f[2].parse()?, f[3].parse()?));
        }
    }
    bail!("no system user {name}")
}

pub fn is_root() -> bool {
    std::fs::metadata("/proc/self")
        .map(|m| m.uid() == 0)
        .unwrap_or(false)
}

/// Bytes allocated on disk under `path` (like `du -s --block-size=1`).
pub fn disk_usage(path: &Path) -> Result<u64> {
    let meta =
        std::fs::symlink_metadata(path).with_context(|| format!("stat {}", path.display()))?;
    let mut total = meta.blocks() * 512;
    if meta.is_dir() {
        for entry in
            std::fs::read_dir(path).with_context(|| format!("listing {}", path.display()))?
        {
            let entry = entry?;
            match disk_usage(&entry.path()) {
                Ok(n) => total += n,
                // Files come and go while a server compacts.
                Err(e) if is_not_found(&e) => {}
                Err(e) => return Err(e),
            }
        }
    }
    Ok(total)
}

fn is_not_found(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::NotFound)
    })
}

/// `NAME VERSION` of an installed Debian package (some peer builds print no version).
pub fn debian_package_version(package: &str) -> String {
    let v = first_line("dpkg-query", &["-W", "-f", "${Version}", package]);
    format!("{package} {v} (Debian)")
}

/// An HTTP client for talking to a peer on loopback.
pub fn http_client() -> Result<reqwest::Client> {
    reqwest::Client::builder()
        .pool_max_idle_per_host(8)
        .timeout(Duration::from_secs(1800))
        .build()
        .context("building the HTTP client")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn measures_disk_usage() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a"), vec![1u8; 100_000]).unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        std::fs::write(dir.path().join("sub/b"), vec![1u8; 50_000]).unwrap();
        let n = disk_usage(dir.path()).unwrap();
        assert!(n >= 150_000, "{n}");
        assert!(n < 200_000, "{n}");
    }
}
