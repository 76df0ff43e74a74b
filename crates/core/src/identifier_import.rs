//! Identifier import jobs: a tenant uploads a file of identifiers (CSV or JSON Lines) and
//! the platform registers them in the background, in chunks, recording after each chunk
//! how far it got (the byte offset and row of the last committed chunk), so a job a
//! restart interrupts goes on from there with exact counts.

use crate::identifier::TemplateRef;
use crate::ids::{IdImportId, TenantId};
use crate::market::LocalText;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Rows registered per chunk (one transaction, one progress record).
pub const IMPORT_CHUNK_ROWS: usize = 2000;
/// Errors a job keeps (the first ones; the count of invalid rows goes on).
pub const MAX_IMPORT_ERRORS: usize = 100;

/// Where a job is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ImportState {
    /// Uploaded, waiting to run.
    Queued,
    Running,
    Done,
    /// Stopped by a problem of the whole file (see `failure`).
    Failed,
    Cancelled,
}

impl ImportState {
    pub fn as_str(self) -> &'static str {
        match self {
            ImportState::Queued => "queued",
            ImportState::Running => "running",
            ImportState::Done => "done",
            ImportState::Failed => "failed",
            ImportState::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<ImportState> {
        [
            ImportState::Queued,
            ImportState::Running,
            ImportState::Done,
            ImportState::Failed,
            ImportState::Cancelled,
        ]
        .into_iter()
        .find(|v| v.as_str() == s)
    }

    /// Done, failed or cancelled: nothing more happens to it.
    pub fn is_finished(self) -> bool {
        !matches!(self, ImportState::Queued | ImportState::Running)
    }
}

/// What the uploaded file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ImportFormat {
    /// A `handle` column and one per template field (as the console's CSV import).
    Csv,
    /// One identifier object per line, as `POST /api/v1/identifiers` takes it.
    Ndjson,
}

impl ImportFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            ImportFormat::Csv => "csv",
            ImportFormat::Ndjson => "ndjson",
        }
    }

    pub fn parse(s: &str) -> Option<ImportFormat> {
        [ImportFormat::Csv, ImportFormat::Ndjson]
            .into_iter()
            .find(|v| v.as_str() == s)
    }
}

/// A row that was not registered, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ImportRowError {
    /// The row in the file as a spreadsheet numbers it (a CSV file's header is row 1;
    /// a JSON Lines file's first line is row 1).
    pub row: u64,
    pub message: LocalText,
}

/// A job registering identifiers from an uploaded file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct IdImport {
    pub id: IdImportId,
    #[serde(skip_serializing, default)]
    pub tenant_id: TenantId,
    pub format: ImportFormat,
    /// The template of rows that do not name one.
    pub template: Option<TemplateRef>,
    pub state: ImportState,
    /// The file's size.
    pub total_bytes: u64,
    /// How far into the file the committed chunks reach.
    pub bytes_read: u64,
    /// The last row of the committed chunks (the next one to read follows it).
    pub row: u64,
    /// Rows with an identifier read so far (blank ones and a CSV header not counted).
    pub rows_read: u64,
    pub created: u64,
    /// Identifiers that were registered already (left as they are).
    pub existing: u64,
    pub invalid: u64,
    /// The first 100 rows that were refused.
    pub errors: Vec<ImportRowError>,
    /// Why the job failed.
    pub failure: Option<LocalText>,
    /// Who uploaded the file.
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    /// Rows read per second since the job started (until it finished).
    pub rows_per_second: f64,
}

impl IdImport {
    /// A job for a file just stored.
    pub fn queued(
        tenant: TenantId,
        format: ImportFormat,
        template: Option<TemplateRef>,
        total_bytes: u64,
        created_by: &str,
    ) -> IdImport {
        IdImport {
            id: IdImportId::new(),
            tenant_id: tenant,
            format,
            template,
            state: ImportState::Queued,
            total_bytes,
            bytes_read: 0,
            row: 0,
            rows_read: 0,
            created: 0,
            existing: 0,
            invalid: 0,
            errors: Vec::new(),
            failure: None,
            created_by: created_by.to_string(),
            created_at: Utc::now(),
            started_at: None,
            finished_at: None,
            rows_per_second: 0.0,
        }
    }

    /// Sets `rows_per_second` from the times (to `now` while it runs).
    pub fn with_rate(mut self, now: DateTime<Utc>) -> IdImport {
        self.rows_per_second = match self.started_at {
            Some(start) => {
                let end = self.finished_at.unwrap_or(now);
                let secs = (end - start).num_milliseconds() as f64 / 1000.0;
                if secs > 0.0 {
                    (self.rows_read as f64 / secs * 10.0).round() / 10.0
                } else {
                    0.0
                }
            }
            None => 0.0,
        };
        self
    }
}

/// Where a committed chunk leaves a job: how far it read, and what it refused (created
/// and existing are counted by the store from what it registered).
#[derive(Debug, Clone, PartialEq)]
pub struct ImportProgress {
    pub bytes_read: u64,
    pub row: u64,
    pub rows_read: u64,
    pub invalid: u64,
    /// All errors kept so far (at most [`MAX_IMPORT_ERRORS`]).
    pub errors: Vec<ImportRowError>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_and_formats_round_trip() {
        for s in [
            ImportState::Queued,
            ImportState::Running,
            ImportState::Done,
            ImportState::Failed,
            ImportState::Cancelled,
        ] {
            assert_eq!(ImportState::parse(s.as_str()), Some(s));
        }
        assert!(ImportState::Done.is_finished() && !ImportState::Running.is_finished());
        for f in [ImportFormat::Csv, ImportFormat::Ndjson] {
            assert_eq!(ImportFormat::parse(f.as_str()), Some(f));
        }
    }

    #[test]
    fn rate_is_rows_over_the_running_time() {
        let mut job = IdImport::queued(TenantId::new(), ImportFormat::Csv, None, 10, "u");
        let start = Utc::now();
        job.started_at = Some(start);
        job.finished_at = Some(start + chrono::Duration::seconds(4));
        job.rows_read = 1000;
        assert_eq!(job.with_rate(start).rows_per_second, 250.0);
    }
}
