//! The facts a report names the machine by, read from `/proc` and `/etc`.

use serde::Serialize;

/// What a report says the machine is.
#[derive(Debug, Clone, Serialize)]
pub struct Facts {
    pub cpus: usize,
    pub cpu_model: String,
    /// Total memory, `12.3 GiB`.
    pub memory: String,
    pub os: String,
    pub kernel: String,
}

impl Facts {
    pub fn detect() -> Facts {
        Facts {
            cpus: cpus(),
            cpu_model: cpu_model().unwrap_or_default(),
            memory: memory_gib()
                .map(|g| format!("{g:.1} GiB"))
                .unwrap_or_default(),
            os: os(),
            kernel: kernel(),
        }
    }
}

/// `2 CPUs (model), 7.8 GiB, Debian …, Linux 6.1…`.
impl std::fmt::Display for Facts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} CPUs ({}), {}, {}, Linux {}",
            self.cpus, self.cpu_model, self.memory, self.os, self.kernel
        )
    }
}

/// A file's text with its white space folded to single spaces, or `? (why)`.
pub fn read_trim(path: &str) -> String {
    std::fs::read_to_string(path)
        .map(|s| s.split_whitespace().collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|e| format!("? ({e})"))
}

/// The 1, 5 and 15 minute load averages.
pub fn load_average() -> String {
    read_trim("/proc/loadavg")
        .split(' ')
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

/// CPUs this process may run on.
pub fn cpus() -> usize {
    std::thread::available_parallelism().map_or(0, |n| n.get())
}

/// The CPU's model name.
pub fn cpu_model() -> Option<String> {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()?
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map(|s| s.trim_start_matches([' ', '\t', ':']).trim().to_string())
}

/// Total memory in GiB.
pub fn memory_gib() -> Option<f64> {
    let kib = std::fs::read_to_string("/proc/meminfo")
        .ok()?
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))?
        .split_whitespace()
        .next()?
        .parse::<f64>()
        .ok()?;
    Some(kib / 1024.0 / 1024.0)
}

/// The distribution (`PRETTY_NAME` of `/etc/os-release`).
pub fn os() -> String {
    std::fs::read_to_string("/etc/os-release")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("PRETTY_NAME="))
        .map(|s| s.trim_matches('"').to_string())
        .unwrap_or_default()
}

/// The kernel release.
pub fn kernel() -> String {
    read_trim("/proc/sys/kernel/osrelease")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_this_machine() {
        assert!(cpus() >= 1);
        assert!(memory_gib().is_some_and(|g| g > 0.0));
        assert!(!kernel().is_empty() && !kernel().starts_with('?'));
        assert_eq!(load_average().split(' ').count(), 3);
        assert!(read_trim("/nonexistent").starts_with("? ("));
        let facts = Facts::detect();
        assert!(
            facts
                .to_string()
                .starts_with(&format!("{} CPUs (", facts.cpus))
        );
        assert!(facts.memory.ends_with(" GiB"));
    }
}
