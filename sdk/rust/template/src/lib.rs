//! Example app: a high-value alarm. On telemetry of the configured property it raises the
//! alarm `high_value` when the value is above the configured limit, clears it when the value
//! is back at or below, and keeps each device's last reading in the state key "summary" (for
//! the panel, and to know whether there is an alarm to clear).
//! Build: `sdk/rust/build.sh <this dir>`; test: `ironloom app test <this dir>`.

use ironloom::{obj, Event, Result, Severity};

fn on_event(event: &Event) -> Result<()> {
    let config = ironloom::config()?;
    let property = config.text("property").unwrap_or("temperature");
    let limit = config.number("limit").unwrap_or(80.0);
    let (device, point) = match (event.device(), event.point(property)) {
        (Some(d), Some(p)) => (d, p),
        _ => return Ok(()), // another kind of event, or a message without the property
    };
    let value = match point.number() {
        Some(v) => v,
        None => {
            ironloom::warn(&format!("{}: {} is not a number", device, property));
            return Ok(());
        }
    };
    // Crash-only: what the next event or the panel needs lives in the state, not in memory.
    let mut summary = ironloom::kv_get("summary")?;
    let was_high = summary[device]["high"].as_bool().unwrap_or(false);
    let high = value > limit;
    if high {
        let details = obj! {"property" => property, "value" => value, "limit" => limit};
        ironloom::alarm_raise(device, "high_value", Severity::Major, details)?;
    } else if was_high {
        ironloom::alarm_clear(device, "high_value")?;
    }
    summary.set(
        device,
        obj! {"value" => value, "ts" => point.ts, "high" => high},
    );
    ironloom::kv_set("summary", &summary)?;
    ironloom::info(&format!(
        "{}: {} = {} (limit {})",
        device, property, value, limit
    ));
    Ok(())
}

ironloom::app!(on_event);
