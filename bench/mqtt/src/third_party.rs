//! A third-party MQTT benchmark tool, run by the harness against each broker while it is
//! up. The tool is given as a command template; its output is kept as printed (each tool
//! reports differently), with the wall-clock time around it.

use std::time::Instant;

use anyhow::{Context, Result};

#[derive(Debug, Clone, serde::Serialize)]
pub struct ToolRun {
    pub command: String,
    pub seconds: f64,
    pub exit: Option<i32>,
    /// The last lines the tool printed (stdout, then stderr).
    pub output: String,
}

/// Fills in `{host}`, `{port}` and `{user}`.
pub fn expand(template: &str, host: &str, port: u16, user: &str) -> String {
    template
        .replace("{host}", host)
        .replace("{port}", &port.to_string())
        .replace("{user}", user)
}

/// Runs `command` with `sh -c`, keeping the last `lines` lines of its output.
pub async fn run(command: &str, lines: usize) -> Result<ToolRun> {
    let started = Instant::now();
    let out = tokio::process::Command::new("sh")
        .arg("-c")
        .arg(command)
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true)
        .output()
        .await
        .with_context(|| format!("running {command}"))?;
    let seconds = started.elapsed().as_secs_f64();
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    let all: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    Ok(ToolRun {
        command: command.to_string(),
        seconds,
        exit: out.status.code(),
        output: all[all.len().saturating_sub(lines)..].join("\n"),
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn expands_placeholders() {
        assert_eq!(
            expand("tool -b {host}:{port} -u {user}", "127.0.0.1", 1883, "tok"),
            "tool -b 127.0.0.1:1883 -u tok"
        );
    }

    #[tokio::test]
    async fn keeps_the_last_lines() {
        let r = run("printf 'a\\nb\\nc\\n'; echo err >&2", 2).await.unwrap();
        assert_eq!(r.exit, Some(0));
        assert_eq!(r.output, "c\nerr");
    }
}
