//! The write-ahead log: framed, checksummed records appended by one thread that commits
//! whatever has queued up as one group (one `write`, one `fdatasync` under the `always`
//! policy). Files are named after the sequence number of their first record and rotate
//! when the memtable is frozen, so a flushed memtable's files can simply be deleted.
//!
//! Frame: `len: u32 LE`, `crc32(payload): u32 LE`, payload. A torn or corrupt frame ends the
//! file: recovery keeps every record before it (those were acknowledged only after being
//! written completely) and truncates the rest.

use crate::error::{IoContext, Result, TsdbError};
use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// The largest record the log accepts (a write batch is far smaller).
pub const MAX_RECORD: usize = 256 << 20;

/// When the log forces data to the disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FsyncPolicy {
    /// Before acknowledging each group of writes: acknowledged data survives a power cut.
    Always,
    /// At most this long after a write; acknowledged data survives a process crash, and a
    /// power cut loses at most this interval.
    Interval(Duration),
    /// Leave it to the operating system (tests and bulk loads).
    Never,
}

pub type Ack = tokio::sync::oneshot::Sender<std::result::Result<(), Arc<str>>>;

pub enum WalMsg {
    Append {
        payload: Vec<u8>,
        ack: Option<Ack>,
    },
    /// Start a new file whose first record will have this sequence number.
    Rotate {
        first_seq: u64,
    },
    /// Acknowledged once everything before it is written and synced.
    Sync(Ack),
}

impl std::fmt::Debug for WalMsg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WalMsg::Append { payload, .. } => write!(f, "Append({} bytes)", payload.len()),
            WalMsg::Rotate { first_seq } => write!(f, "Rotate({first_seq})"),
            WalMsg::Sync(_) => f.write_str("Sync"),
        }
    }
}

/// Bytes queued but not yet written; writers wait while it is over the limit.
#[derive(Debug, Default)]
pub struct Backlog {
    pub bytes: Mutex<usize>,
    pub drained: Condvar,
}

pub fn file_name(first_seq: u64) -> String {
    format!("{first_seq:020}.wal")
}

/// WAL files in `dir`, oldest first, with the sequence number each starts at.
pub fn list(dir: &Path) -> Result<Vec<(u64, PathBuf)>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).at(dir)? {
        let entry = entry.at(dir)?;
        let name = entry.file_name();
        let Some(stem) = name.to_str().and_then(|n| n.strip_suffix(".wal")) else {
            continue;
        };
        if let Ok(seq) = stem.parse::<u64>() {
            out.push((seq, entry.path()));
        }
    }
    out.sort();
    Ok(out)
}

fn frame(payload: &[u8], out: &mut Vec<u8>) {
    out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    out.extend_from_slice(&crc32fast::hash(payload).to_le_bytes());
    out.extend_from_slice(payload);
}

/// Reads every intact record of a file. Returns the payloads, the length of the intact
/// prefix and, if the file goes on past it, why it stopped.
pub fn read_file(path: &Path) -> Result<(Vec<Vec<u8>>, u64, Option<String>)> {
    let mut data = Vec::new();
    File::open(path).at(path)?.read_to_end(&mut data).at(path)?;
    let mut pos = 0usize;
    let mut out = Vec::new();
    let mut problem = None;
    while pos < data.len() {
        if data.len() - pos < 8 {
            problem = Some(format!("torn frame header at byte {pos}"));
            break;
        }
        let len =
            u32::from_le_bytes([data[pos], data[pos + 1], data[pos + 2], data[pos + 3]]) as usize;
        let crc = u32::from_le_bytes([data[pos + 4], data[pos + 5], data[pos + 6], data[pos + 7]]);
        if len > MAX_RECORD || data.len() - pos - 8 < len {
            problem = Some(format!("torn or oversized record at byte {pos}"));
            break;
        }
        let payload = &data[pos + 8..pos + 8 + len];
        if crc32fast::hash(payload) != crc {
            problem = Some(format!("checksum mismatch at byte {pos}"));
            break;
        }
        out.push(payload.to_vec());
        pos += 8 + len;
    }
    Ok((out, pos as u64, problem))
}

/// Cuts a file back to its intact prefix.
pub fn truncate(path: &Path, len: u64) -> Result<()> {
    let f = OpenOptions::new().write(true).open(path).at(path)?;
    f.set_len(len).at(path)?;
    f.sync_all().at(path)
}

pub fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir).at(dir)?.sync_all().at(dir)
}

/// The writer thread's state.
pub struct Writer {
    dir: PathBuf,
    file: File,
    path: PathBuf,
    policy: FsyncPolicy,
    dirty: bool,
    last_sync: Instant,
    backlog: Arc<Backlog>,
    /// Set on the first failure; every later append fails with it.
    failed: Option<Arc<str>>,
    on_failure: Box<dyn Fn(&str) + Send>,
}

impl std::fmt::Debug for Writer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Writer")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl Writer {
    pub fn create(
        dir: &Path,
        first_seq: u64,
        policy: FsyncPolicy,
        backlog: Arc<Backlog>,
        on_failure: Box<dyn Fn(&str) + Send>,
    ) -> Result<Writer> {
        let path = dir.join(file_name(first_seq));
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .at(&path)?;
        sync_dir(dir)?;
        Ok(Writer {
            dir: dir.to_path_buf(),
            file,
            path,
            policy,
            dirty: false,
            last_sync: Instant::now(),
            backlog,
            failed: None,
            on_failure,
        })
    }

    /// Runs until every sender is gone.
    pub fn run(mut self, rx: Receiver<WalMsg>) {
        let mut buf = Vec::with_capacity(1 << 20);
        let mut acks: Vec<Ack> = Vec::new();
        loop {
            let first = match self.policy {
                FsyncPolicy::Interval(d) if self.dirty => {
                    let wait = d.saturating_sub(self.last_sync.elapsed());
                    match rx.recv_timeout(wait) {
                        Ok(m) => Some(m),
                        Err(RecvTimeoutError::Timeout) => None,
                        Err(RecvTimeoutError::Disconnected) => break,
                    }
                }
                _ => match rx.recv() {
                    Ok(m) => Some(m),
                    Err(_) => break,
                },
            };
            let mut msgs = Vec::new();
            if let Some(m) = first {
                msgs.push(m);
                // Group commit: take whatever else is waiting, up to a bound.
                let mut bytes = 0usize;
                while bytes < (8 << 20) && msgs.len() < 4096 {
                    match rx.try_recv() {
                        Ok(m) => {
                            if let WalMsg::Append { payload, .. } = &m {
                                bytes += payload.len();
                            }
                            msgs.push(m);
                        }
                        Err(_) => break,
                    }
                }
            }
            let mut appended = 0usize;
            let mut force_sync = false;
            for m in msgs {
                match m {
                    WalMsg::Append { payload, ack } => {
                        appended += payload.len();
                        frame(&payload, &mut buf);
                        acks.extend(ack);
                    }
                    WalMsg::Sync(ack) => {
                        force_sync = true;
                        acks.push(ack);
                    }
                    WalMsg::Rotate { first_seq } => {
                        let r = self
                            .write_out(&mut buf, true)
                            .and_then(|_| self.rotate(first_seq));
                        if let Err(e) = r {
                            self.fail(&e.to_string());
                        }
                    }
                }
            }
            let sync = force_sync
                || match self.policy {
                    FsyncPolicy::Always => true,
                    FsyncPolicy::Interval(d) => self.last_sync.elapsed() >= d,
                    FsyncPolicy::Never => false,
                };
            if let Err(e) = self.write_out(&mut buf, sync) {
                self.fail(&e.to_string());
            }
            let result = match &self.failed {
                None => Ok(()),
                Some(e) => Err(e.clone()),
            };
            for ack in acks.drain(..) {
                let _ = ack.send(result.clone());
            }
            if appended > 0 {
                let mut b = self.backlog.bytes.lock().unwrap_or_else(|p| p.into_inner());
                *b = b.saturating_sub(appended);
                drop(b);
                self.backlog.drained.notify_all();
            }
        }
        let _ = self.write_out(&mut buf, true);
    }

    fn fail(&mut self, msg: &str) {
        if self.failed.is_none() {
            (self.on_failure)(msg);
            self.failed = Some(Arc::from(msg));
        }
    }

    fn write_out(&mut self, buf: &mut Vec<u8>, sync: bool) -> Result<()> {
        if self.failed.is_some() {
            buf.clear();
            return Err(TsdbError::Failed("write-ahead log failed earlier".into()));
        }
        if !buf.is_empty() {
            self.file.write_all(buf).at(&self.path)?;
            buf.clear();
            self.dirty = true;
        }
        if sync && self.dirty {
            self.file.sync_data().at(&self.path)?;
            self.dirty = false;
            self.last_sync = Instant::now();
        }
        Ok(())
    }

    fn rotate(&mut self, first_seq: u64) -> Result<()> {
        let path = self.dir.join(file_name(first_seq));
        self.file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .at(&path)?;
        self.path = path;
        sync_dir(&self.dir)
    }
}

/// Starts the writer thread.
pub fn spawn(writer: Writer) -> Result<(Sender<WalMsg>, std::thread::JoinHandle<()>)> {
    let (tx, rx) = std::sync::mpsc::channel();
    let dir = writer.dir.clone();
    let handle = std::thread::Builder::new()
        .name("tsdb-wal".into())
        .spawn(move || writer.run(rx))
        .at(&dir)?;
    Ok((tx, handle))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_rotate_read_and_torn_tail() {
        let dir = tempfile::tempdir().unwrap();
        let backlog = Arc::new(Backlog::default());
        let w = Writer::create(
            dir.path(),
            1,
            FsyncPolicy::Always,
            backlog,
            Box::new(|_| {}),
        )
        .unwrap();
        let (tx, h) = spawn(w).unwrap();
        let mut rxs = Vec::new();
        for i in 0..10u8 {
            let (a, r) = tokio::sync::oneshot::channel();
            tx.send(WalMsg::Append {
                payload: vec![i; 100 + i as usize],
                ack: Some(a),
            })
            .unwrap();
            rxs.push(r);
            if i == 4 {
                tx.send(WalMsg::Rotate { first_seq: 6 }).unwrap();
            }
        }
        for r in rxs {
            r.blocking_recv().unwrap().unwrap();
        }
        drop(tx);
        h.join().unwrap();
        let files = list(dir.path()).unwrap();
        assert_eq!(files.iter().map(|f| f.0).collect::<Vec<_>>(), [1, 6]);
        let (recs, len, problem) = read_file(&files[1].1).unwrap();
        assert_eq!(recs.len(), 5);
        assert!(problem.is_none());
        // Tear the last record.
        let f = OpenOptions::new().write(true).open(&files[1].1).unwrap();
        f.set_len(len - 3).unwrap();
        let (recs, good, problem) = read_file(&files[1].1).unwrap();
        assert_eq!(recs.len(), 4);
        assert!(problem.is_some());
        truncate(&files[1].1, good).unwrap();
        assert!(read_file(&files[1].1).unwrap().2.is_none());
        // Flip a byte in the middle.
        let mut data = std::fs::read(&files[0].1).unwrap();
        data[120] ^= 0xff;
        std::fs::write(&files[0].1, &data).unwrap();
        let (recs, _, problem) = read_file(&files[0].1).unwrap();
        assert_eq!(recs.len(), 1);
        assert!(problem.unwrap().contains("checksum"));
    }
}
