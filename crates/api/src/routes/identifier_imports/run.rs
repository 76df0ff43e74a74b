//! Running an import job: a blocking thread reads the file from where the job got to and
//! hands over chunks of rows; each row is checked as a single registration is
//! (`record_of`, with the template and prefix ownership looked up once per job), and
//! each chunk registered with the job's new position in one transaction. Between
//! chunks the job's state is read back, so a cancel stops it after the chunk it is at.

use super::read::{CsvLayout, Records, json_input, separator, unreadable};
use crate::AppState;
use crate::routes::identifiers::{
    IdentifierInput, Lookups, ReservedTypes, record_of, usable_template,
};
use ironloom_core::error::Error;
use ironloom_core::i18n::Locale;
use ironloom_core::identifier::{BatchOutcome, IdTemplate};
use ironloom_core::identifier_import::*;
use ironloom_core::ids::IdImportId;
use ironloom_core::market::LocalText;
use std::io::{BufReader, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use tokio::sync::{Semaphore, mpsc};

/// Jobs running at once on this node. One: the store takes one writer at a time anyway
/// (SQLite), and a second job would only slow the first. The others wait `queued`.
static RUNNING: Semaphore = Semaphore::const_new(1);

/// Chunks read ahead of the one being registered.
const READ_AHEAD: usize = 2;

/// A row as read: the identifier it describes, or why it is not one.
type Row = (u64, Result<IdentifierInput, LocalText>);

struct Chunk {
    rows: Vec<Row>,
    /// Where the chunk ends in the file.
    bytes_read: u64,
    row: u64,
}

/// Why a job stopped before the end of its file.
enum Stop {
    Cancelled,
    /// A problem of the whole file: the job fails with it.
    File(LocalText),
    Store(Error),
}

impl From<Error> for Stop {
    fn from(e: Error) -> Self {
        Stop::Store(e)
    }
}

/// The file a job's upload is kept in.
pub(crate) fn file_of(dir: &Path, job: &IdImport) -> PathBuf {
    dir.join(job.tenant_id.to_string())
        .join(format!("{}.{}", job.id, extension(job.format)))
}

fn extension(f: ImportFormat) -> &'static str {
    match f {
        ImportFormat::Csv => "csv",
        ImportFormat::Ndjson => "ndjson",
    }
}

/// Runs a job to its end (waiting for the jobs before it), then removes its file.
pub(crate) async fn run(state: AppState, dir: PathBuf, job: IdImport) {
    // The semaphore is never closed, so acquiring only waits.
    let Ok(_permit) = RUNNING.acquire().await else {
        return;
    };
    let (id, tenant) = (job.id, job.tenant_id);
    let path = file_of(&dir, &job);
    let end = match drive(&state, &path, id).await {
        Ok(()) => Some((ImportState::Done, None)),
        Err(Stop::Cancelled) => None,
        Err(Stop::File(why)) => Some((ImportState::Failed, Some(why))),
        Err(Stop::Store(e)) => {
            tracing::warn!(tenant = %tenant, import = %id, error = %e, "identifier import stopped");
            Some((
                ImportState::Failed,
                Some(LocalText::new(
                    "the platform could not store the identifiers (see the server log); rows up to the counts shown were registered",
                    "平台未能保存标识（详见服务器日志）；已计数的行已登记",
                )),
            ))
        }
    };
    if let Some((state_now, why)) = end
        && let Err(e) = state.store.finish_import(id, state_now, why.as_ref()).await
    {
        // Left running: the next start resumes it.
        tracing::warn!(tenant = %tenant, import = %id, error = %e, "identifier import not finished");
        return;
    }
    remove_file(&path).await;
}

pub(crate) async fn remove_file(path: &Path) {
    match tokio::fs::remove_file(path).await {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => {
            tracing::warn!(file = %path.display(), error = %e, "identifier import file not removed")
        }
    }
}

async fn drive(state: &AppState, path: &Path, id: IdImportId) -> Result<(), Stop> {
    let job = state.store.start_import(id).await?;
    if job.state.is_finished() {
        return Err(Stop::Cancelled);
    }
    let template = match &job.template {
        Some(t) => match usable_template(state, job.tenant_id, &t.id, &t.version).await {
            Ok(found) => Some(found),
            Err(_) => {
                return Err(Stop::File(LocalText::new(
                    format!(
                        "the template {} {} is not there (any more)",
                        t.id, t.version
                    ),
                    format!("模板 {} {} 不存在", t.id, t.version),
                )));
            }
        },
        None => None,
    };
    let file = std::fs::File::open(path).map_err(|e| {
        Stop::File(LocalText::new(
            format!("the uploaded file is gone: {e}"),
            format!("上传的文件已不存在：{e}"),
        ))
    })?;
    let (tx, mut rx) = mpsc::channel(READ_AHEAD);
    let reading = job.clone();
    // Blocking file reads and parsing off the runtime; ends when the receiver is dropped.
    tokio::task::spawn_blocking(move || read_chunks(file, &reading, template.as_ref(), &tx));

    let tenant = job.tenant_id;
    let mut seen = Lookups::default();
    let mut progress = ImportProgress {
        bytes_read: job.bytes_read,
        row: job.row,
        rows_read: job.rows_read,
        invalid: job.invalid,
        errors: job.errors,
    };
    while let Some(chunk) = rx.recv().await {
        let chunk = chunk.map_err(Stop::File)?;
        let mut records = Vec::with_capacity(chunk.rows.len());
        for (row, input) in chunk.rows {
            progress.rows_read += 1;
            let checked = match input {
                // As `POST /api/v1/identifiers` takes them: no `HS_` values.
                Ok(input) => record_of(state, tenant, input, "", &mut seen, ReservedTypes::Refused)
                    .await
                    .map_err(|e| LocalText::new(e.message(Locale::En), e.message(Locale::ZhCn))),
                Err(why) => Err(why),
            };
            match checked {
                Ok(record) => records.push(record),
                Err(message) => {
                    progress.invalid += 1;
                    if progress.errors.len() < MAX_IMPORT_ERRORS {
                        progress.errors.push(ImportRowError { row, message });
                    }
                }
            }
        }
        progress.bytes_read = chunk.bytes_read;
        progress.row = chunk.row;
        let (outcomes, now) = state
            .store
            .import_chunk(tenant, id, &progress, &records)
            .await?;
        // A resolution cached as "not found" must not outlive the registration.
        for (r, o) in records.iter().zip(&outcomes) {
            if *o == BatchOutcome::Created {
                state.resolver.forget(&r.handle);
            }
        }
        if now.state.is_finished() {
            return Err(Stop::Cancelled);
        }
    }
    Ok(())
}

/// Reads the file from the job's position and sends its rows in chunks (or the reason
/// it cannot be read on); stops early when nobody receives any more.
fn read_chunks(
    file: std::fs::File,
    job: &IdImport,
    template: Option<&IdTemplate>,
    tx: &mpsc::Sender<Result<Chunk, LocalText>>,
) {
    if let Err(why) = read_into(file, job, template, tx) {
        let _ = tx.blocking_send(Err(why));
    }
}

fn read_into(
    mut file: std::fs::File,
    job: &IdImport,
    template: Option<&IdTemplate>,
    tx: &mpsc::Sender<Result<Chunk, LocalText>>,
) -> Result<(), LocalText> {
    let io = |e: std::io::Error| unreadable(0, &super::read::ReadError::Io(e));
    let tref = job.template.as_ref();
    // A CSV file's header says what its columns are, wherever the job resumes.
    let (layout, sep, offset, row) = match job.format {
        ImportFormat::Csv => {
            let mut head = Records::new(BufReader::new(&mut file), 0, 0, Some(','));
            let line = head
                .next_record()
                .map_err(|e| unreadable(head.row, &e))?
                .unwrap_or_default();
            let sep = separator(&line);
            let header = super::read::cells(&line, sep);
            let layout = CsvLayout::new(&header, template)?;
            let at = job.bytes_read.max(head.offset);
            (Some(layout), Some(sep), at, job.row.max(1))
        }
        ImportFormat::Ndjson => (None, None, job.bytes_read, job.row),
    };
    file.seek(SeekFrom::Start(offset)).map_err(io)?;
    let mut records = Records::new(BufReader::with_capacity(1 << 16, file), offset, row, sep);
    let mut rows = Vec::with_capacity(IMPORT_CHUNK_ROWS);
    let mut sent_to = offset;
    loop {
        let text = records
            .next_record()
            .map_err(|e| unreadable(records.row, &e))?;
        let Some(text) = text else { break };
        if !text.trim().is_empty() {
            let input = match (&layout, sep) {
                (Some(layout), Some(sep)) => {
                    let cells = super::read::cells(&text, sep);
                    if cells.iter().all(|c| c.trim().is_empty()) {
                        continue;
                    }
                    Ok(layout.input(&cells, tref.cloned()))
                }
                _ => json_input(&text, tref),
            };
            rows.push((records.row, input));
        }
        if rows.len() == IMPORT_CHUNK_ROWS {
            let chunk = Chunk {
                rows: std::mem::replace(&mut rows, Vec::with_capacity(IMPORT_CHUNK_ROWS)),
                bytes_read: records.offset,
                row: records.row,
            };
            sent_to = records.offset;
            if tx.blocking_send(Ok(chunk)).is_err() {
                return Ok(());
            }
        }
    }
    if !rows.is_empty() || records.offset != sent_to {
        let _ = tx.blocking_send(Ok(Chunk {
            rows,
            bytes_read: records.offset,
            row: records.row,
        }));
    }
    Ok(())
}

/// Resumes the queued and running jobs whose files are on this node (at start), and
/// removes files no open job needs (of jobs cancelled while they waited, or uploads a
/// stop cut short). A job whose file is not here belongs to another node of a cluster;
/// on a single node it is lost and failed.
pub async fn resume(state: AppState) {
    let Some(dir) = state.settings.identifier_import_dir.clone() else {
        return;
    };
    let began = std::time::SystemTime::now();
    let open = match state.store.open_imports().await {
        Ok(open) => open,
        Err(e) => {
            tracing::warn!(error = %e, "identifier imports not resumed");
            return;
        }
    };
    let needed: std::collections::HashSet<PathBuf> =
        open.iter().map(|j| file_of(&dir, j)).collect();
    for file in files_before(&dir, began) {
        if !needed.contains(&file) {
            remove_file(&file).await;
        }
    }
    for job in open {
        if file_of(&dir, &job).exists() {
            tracing::info!(tenant = %job.tenant_id, import = %job.id, row = job.row, "resuming identifier import");
            tokio::spawn(run(state.clone(), dir.clone(), job));
        } else if state.cluster.is_none() {
            let why = LocalText::new(
                "the uploaded file is gone from the data directory",
                "上传的文件已不在数据目录中",
            );
            if let Err(e) = state
                .store
                .finish_import(job.id, ImportState::Failed, Some(&why))
                .await
            {
                tracing::warn!(import = %job.id, error = %e, "identifier import not failed");
            }
        }
    }
}

/// Upload files last written before `time` (none of them is an upload in progress).
fn files_before(dir: &Path, time: std::time::SystemTime) -> Vec<PathBuf> {
    let entries = |d: &Path| {
        std::fs::read_dir(d)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .collect::<Vec<_>>()
    };
    entries(dir)
        .into_iter()
        .filter(|d| d.is_dir())
        .flat_map(|d| entries(&d))
        .filter(|f| {
            std::fs::metadata(f)
                .and_then(|m| m.modified())
                .is_ok_and(|m| m < time)
        })
        .collect()
}
