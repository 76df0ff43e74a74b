//! A harness run from start to end: the options every harness takes, its work directory,
//! the command line and start time the report repeats, the result files, Ctrl-C, and the
//! number formats of the Markdown tables.

use std::ffi::OsStr;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use serde::Serialize;
use tempfile::TempDir;

/// Where a run keeps its files and writes its results.
#[derive(Debug, Clone, clap::Args)]
pub struct RunOptions {
    /// Parent of the work directory (default: the temp directory).
    #[arg(long, value_name = "DIR")]
    pub workdir: Option<PathBuf>,
    /// Keep the work directory (logs, generated configuration, data).
    #[arg(long)]
    pub keep: bool,
    /// Also write the results as JSON.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
}

impl RunOptions {
    /// Creates the work directory `PREFIX…` under `--workdir` (removed at the end unless
    /// `--keep`).
    pub fn work_dir(&self, prefix: &str) -> Result<TempDir> {
        let base = self.workdir.clone().unwrap_or_else(std::env::temp_dir);
        std::fs::create_dir_all(&base)?;
        let work = tempfile::Builder::new()
            .prefix(prefix)
            .tempdir_in(&base)
            .with_context(|| format!("creating a work directory in {}", base.display()))?;
        eprintln!("work directory: {}", work.path().display());
        Ok(work)
    }

    /// Prints the Markdown, writes `report` as JSON when asked, and keeps the work
    /// directory when asked.
    pub fn finish(&self, work: TempDir, markdown: &str, report: &impl Serialize) -> Result<()> {
        println!("{markdown}");
        if let Some(path) = &self.json {
            write_json(path, report)?;
        }
        if self.keep {
            eprintln!("kept {}", work.keep().display());
        }
        Ok(())
    }
}

/// The option naming the `ironloom` binary to benchmark.
#[derive(Debug, Clone, clap::Args)]
pub struct IronloomBin {
    /// The `ironloom` binary (default: the one next to this program).
    #[arg(
        long = "ironloom-bin",
        alias = "ironloom",
        env = "IRONLOOM_BIN",
        value_name = "PATH"
    )]
    pub ironloom_bin: Option<PathBuf>,
}

impl IronloomBin {
    /// The binary given, or the one built next to this program (same target directory).
    pub fn path(&self) -> Result<PathBuf> {
        if let Some(p) = &self.ironloom_bin {
            return Ok(p.clone());
        }
        let p = std::env::current_exe()?.with_file_name("ironloom");
        if !p.exists() {
            bail!(
                "{} not found: build it with `cargo build --release -p ironloom` (same target \
                 directory) or pass --ironloom-bin",
                p.display()
            );
        }
        Ok(p)
    }
}

/// Writes `value` as pretty JSON.
pub fn write_json(path: &std::path::Path, value: &impl Serialize) -> Result<()> {
    std::fs::write(path, serde_json::to_vec_pretty(value)?)
        .with_context(|| format!("writing {}", path.display()))
}

/// Runs the harness until it ends or Ctrl-C. Dropping it drops every process it started,
/// which kills them.
pub async fn until_interrupted<T>(run: impl Future<Output = Result<T>>) -> Result<T> {
    tokio::select! {
        r = run => r,
        _ = tokio::signal::ctrl_c() => bail!("interrupted"),
    }
}

/// This program's command line, quoted for a shell where needed.
pub fn command_line() -> String {
    std::env::args()
        .map(|a| {
            if a.is_empty() || a.contains(|c: char| c.is_whitespace() || "'\"$`\\{}".contains(c)) {
                format!("'{}'", a.replace('\'', "'\\''"))
            } else {
                a
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The first line a command prints (for versions), or a note that it failed.
pub fn first_line(program: impl AsRef<OsStr>, args: &[&str]) -> String {
    let program = program.as_ref();
    match std::process::Command::new(program).args(args).output() {
        Ok(o) => {
            let text = if o.stdout.is_empty() {
                o.stderr
            } else {
                o.stdout
            };
            String::from_utf8_lossy(&text)
                .lines()
                .next()
                .unwrap_or("")
                .trim()
                .to_string()
        }
        Err(e) => format!("{}: {e}", program.to_string_lossy()),
    }
}

/// UTC now as `YYYY-MM-DD HH:MM:SS UTC`, from `date` (no date library for one line).
pub fn utc_now() -> String {
    first_line("date", &["-u", "+%Y-%m-%d %H:%M:%S UTC"])
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// A rate with three significant digits: `1.23 M`, `45.6 k`, `789`.
pub fn fmt_rate(v: f64) -> String {
    if v >= 1e6 {
        format!("{:.2} M", v / 1e6)
    } else if v >= 1e4 {
        format!("{:.1} k", v / 1e3)
    } else {
        format!("{v:.0}")
    }
}

/// Milliseconds with three significant digits.
pub fn fmt_ms(ms: f64) -> String {
    if ms >= 100.0 {
        format!("{ms:.0}")
    } else if ms >= 10.0 {
        format!("{ms:.1}")
    } else {
        format!("{ms:.2}")
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(flatten)]
        run: RunOptions,
        #[command(flatten)]
        ironloom: IronloomBin,
    }

    #[test]
    fn the_binary_is_named_by_either_flag() {
        for flag in ["--ironloom-bin", "--ironloom"] {
            let cli = Cli::try_parse_from(["bench", flag, "/opt/ironloom"]).unwrap();
            let path = cli.ironloom.path().unwrap();
            assert_eq!(path, std::path::Path::new("/opt/ironloom"));
        }
    }

    #[test]
    fn formats_numbers() {
        assert_eq!(fmt_rate(1_234_567.0), "1.23 M");
        assert_eq!(fmt_rate(123_456.0), "123.5 k");
        assert_eq!(fmt_rate(45_600.0), "45.6 k");
        assert_eq!(fmt_rate(950.0), "950");
        assert_eq!(fmt_rate(9_999.4), "9999");
        assert_eq!(fmt_ms(123.4), "123");
        assert_eq!(fmt_ms(12.34), "12.3");
        assert_eq!(fmt_ms(1.234), "1.23");
    }

    #[test]
    fn the_work_directory_goes_unless_kept() {
        let parent = tempfile::tempdir().unwrap();
        let dir = parent.path().to_str().unwrap();
        let json = parent.path().join("r.json");
        let cli = Cli::try_parse_from(["bench", "--workdir", dir]).unwrap();
        let work = cli.run.work_dir("x-").unwrap();
        let path = work.path().to_path_buf();
        assert!(path.starts_with(parent.path()));
        cli.run.finish(work, "", &serde_json::json!({})).unwrap();
        assert!(!path.exists());
        let args = ["bench", "--workdir", dir, "--keep", "--json"];
        let cli =
            Cli::try_parse_from(args.iter().copied().chain([json.to_str().unwrap()])).unwrap();
        let work = cli.run.work_dir("x-").unwrap();
        let path = work.path().to_path_buf();
        cli.run
            .finish(work, "", &serde_json::json!({"a": 1}))
            .unwrap();
        assert!(path.exists());
        let written: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
        assert_eq!(written["a"], 1);
    }

    #[test]
    fn quotes_what_a_shell_would_split() {
        assert!(!command_line().is_empty());
        assert_eq!(first_line("printf", &["a b\\nc"]), "a b");
        assert!(first_line("/nonexistent/tool", &[]).starts_with("/nonexistent/tool: "));
    }
}
