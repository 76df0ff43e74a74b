//! The store-and-forward buffer: a bounded queue of uplink messages on disk.
//!
//! Every message the gateway sends goes through it: appended (and synced) first, sent
//! from here, and removed only when the platform acknowledged it, so neither an uplink
//! outage nor a crash of the gateway loses data that was read. Messages leave in the
//! order they were appended.
//!
//! Layout: segment files `{first record id:020}.seg` in the buffer directory, each a
//! sequence of records `[length u32][crc32 u32][points u32][payload]` (little endian; the
//! CRC covers points and payload); and `cursor`, the id of the first record not yet
//! acknowledged and the count of points dropped so far, rewritten atomically. A torn or
//! corrupt tail (a crash in the middle of an append) is cut off when the buffer opens.
//!
//! A payload is the gateway telemetry message to send, or, for another topic (an app's
//! alarm forwarded as the gateway's client-side RPC), `@{topic}\n{body}` ([`rpc_record`];
//! telemetry messages are JSON objects and never start with `@`).
//!
//! Bound: when appending would take the segments over `max_bytes`, the policy decides:
//! `drop_oldest` deletes the oldest segments (their unsent points are counted as
//! dropped), `drop_newest` refuses the new message (its points are counted as dropped).

use std::collections::VecDeque;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufReader, Read, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// What to give up when the buffer is full.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DropPolicy {
    /// Delete the oldest data to make room (the newest data matters most for control).
    #[default]
    DropOldest,
    /// Keep the oldest data, refuse new data (gap-free history up to the outage).
    DropNewest,
}

/// Largest message the buffer takes.
pub const MAX_RECORD: usize = 64 * 1024 * 1024;
const HEADER: u64 = 12;

#[derive(Debug, Clone)]
struct Segment {
    first: u64,
    records: u64,
    bytes: u64,
    /// Points per record, for counting what a deleted segment drops.
    points: Vec<u32>,
}

impl Segment {
    fn path(&self, dir: &Path) -> PathBuf {
        dir.join(format!("{:020}.seg", self.first))
    }
    fn end(&self) -> u64 {
        self.first + self.records
    }
}

/// Counters for health reports.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct BufferStats {
    pub bytes: u64,
    pub pending_records: u64,
    pub pending_points: u64,
    pub dropped_points: u64,
}

/// What happened to an appended message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Appended {
    Stored {
        id: u64,
    },
    /// The buffer was full under `drop_newest`: the message was not kept.
    Refused,
}

#[derive(Debug)]
pub struct Buffer {
    dir: PathBuf,
    max_bytes: u64,
    segment_bytes: u64,
    policy: DropPolicy,
    fsync: bool,
    segs: VecDeque<Segment>,
    writer: Option<File>,
    /// First record not acknowledged.
    acked: u64,
    /// Next record to hand out for sending.
    read: u64,
    reader: Option<(u64, BufReader<File>)>,
    dropped_points: u64,
    cursor_dirty: bool,
}

fn crc(points: u32, payload: &[u8]) -> u32 {
    let mut h = crc32fast::Hasher::new();
    h.update(&points.to_le_bytes());
    h.update(payload);
    h.finalize()
}

/// Reads one record; `None` at a clean end, `Err` for a torn or corrupt one.
fn read_record(r: &mut impl Read) -> io::Result<Option<(u32, Vec<u8>)>> {
    let mut h = [0u8; HEADER as usize];
    let mut got = 0;
    while got < h.len() {
        match r.read(&mut h[got..])? {
            0 if got == 0 => return Ok(None),
            0 => return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "torn header")),
            n => got += n,
        }
    }
    let len = u32::from_le_bytes([h[0], h[1], h[2], h[3]]) as usize;
    let sum = u32::from_le_bytes([h[4], h[5], h[6], h[7]]);
    let points = u32::from_le_bytes([h[8], h[9], h[10], h[11]]);
    if len > MAX_RECORD {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "record too long",
        ));
    }
    let mut payload = vec![0u8; len];
    r.read_exact(&mut payload)?;
    if crc(points, &payload) != sum {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "checksum mismatch",
        ));
    }
    Ok(Some((points, payload)))
}

impl Buffer {
    /// Opens (or creates) the buffer in `dir`, cutting off a torn tail.
    pub fn open(dir: &Path, max_bytes: u64, policy: DropPolicy, fsync: bool) -> io::Result<Buffer> {
        fs::create_dir_all(dir)?;
        let mut firsts: Vec<u64> = Vec::new();
        for e in fs::read_dir(dir)? {
            let name = e?.file_name();
            let name = name.to_string_lossy();
            if let Some(n) = name.strip_suffix(".seg").and_then(|n| n.parse().ok()) {
                firsts.push(n);
            }
        }
        firsts.sort_unstable();
        let (acked, dropped_points) = read_cursor(dir)?;
        let mut segs = VecDeque::new();
        for first in firsts {
            let mut seg = Segment {
                first,
                records: 0,
                bytes: 0,
                points: Vec::new(),
            };
            let path = seg.path(dir);
            let mut r = BufReader::new(File::open(&path)?);
            let mut good = 0u64;
            loop {
                match read_record(&mut r) {
                    Ok(Some((points, payload))) => {
                        seg.records += 1;
                        seg.points.push(points);
                        good += HEADER + payload.len() as u64;
                    }
                    Ok(None) => break,
                    Err(e) => {
                        tracing::warn!(file = %path.display(), offset = good, error = %e,
                            "gateway buffer: cutting off a torn or corrupt tail");
                        break;
                    }
                }
            }
            let f = OpenOptions::new().write(true).open(&path)?;
            if f.metadata()?.len() != good {
                f.set_len(good)?;
                f.sync_all()?;
            }
            seg.bytes = good;
            // A segment after a torn one would break the order: keep only a prefix that
            // continues without a gap.
            if let Some(prev) = segs.back()
                && Segment::end(prev) != seg.first
            {
                tracing::warn!(file = %path.display(), "gateway buffer: segment out of sequence, removed");
                fs::remove_file(&path)?;
                continue;
            }
            segs.push_back(seg);
        }
        let mut b = Buffer {
            dir: dir.to_owned(),
            max_bytes,
            segment_bytes: (max_bytes / 16).clamp(64 * 1024, 16 * 1024 * 1024),
            policy,
            fsync,
            segs,
            writer: None,
            acked,
            read: acked,
            reader: None,
            dropped_points,
            cursor_dirty: false,
        };
        // The acknowledged id may lie before the first segment (its segments were dropped)
        // or beyond the last (a cursor ahead of a cut tail): clamp to what exists.
        let (lo, hi) = (b.first_id(), b.end_id());
        if b.acked < lo || b.acked > hi {
            b.acked = b.acked.clamp(lo, hi);
            b.read = b.acked;
        }
        b.remove_acked_segments()?;
        Ok(b)
    }

    fn first_id(&self) -> u64 {
        self.segs.front().map_or(self.acked, |s| s.first)
    }

    /// The id the next appended record gets.
    pub fn end_id(&self) -> u64 {
        self.segs.back().map_or(self.acked, Segment::end)
    }

    fn total_bytes(&self) -> u64 {
        self.segs.iter().map(|s| s.bytes).sum()
    }

    /// Records not acknowledged yet (cheap; `stats` walks every record).
    pub fn pending_records(&self) -> u64 {
        self.end_id() - self.acked
    }

    pub fn stats(&self) -> BufferStats {
        let mut pending_points = 0u64;
        for s in &self.segs {
            for (i, p) in s.points.iter().enumerate() {
                if s.first + i as u64 >= self.acked {
                    pending_points += u64::from(*p);
                }
            }
        }
        BufferStats {
            bytes: self.total_bytes(),
            pending_records: self.pending_records(),
            pending_points,
            dropped_points: self.dropped_points,
        }
    }

    /// Appends one message of `points` points; synced before it returns when `fsync`.
    pub fn append(&mut self, points: u32, payload: &[u8]) -> io::Result<Appended> {
        if payload.len() > MAX_RECORD {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("a message of {} bytes is over {MAX_RECORD}", payload.len()),
            ));
        }
        let size = HEADER + payload.len() as u64;
        while self.total_bytes() + size > self.max_bytes && !self.segs.is_empty() {
            match self.policy {
                DropPolicy::DropNewest => {
                    self.dropped_points += u64::from(points);
                    self.cursor_dirty = true;
                    self.save_cursor()?;
                    return Ok(Appended::Refused);
                }
                DropPolicy::DropOldest => self.drop_oldest()?,
            }
        }
        let roll = self
            .segs
            .back()
            .is_none_or(|s| s.bytes > 0 && s.bytes + size > self.segment_bytes);
        if roll || self.writer.is_none() {
            if roll {
                let first = self.end_id();
                self.segs.push_back(Segment {
                    first,
                    records: 0,
                    bytes: 0,
                    points: Vec::new(),
                });
            }
            let seg = self
                .segs
                .back()
                .ok_or_else(|| io::Error::other("no segment"))?;
            let path = seg.path(&self.dir);
            self.writer = Some(OpenOptions::new().create(true).append(true).open(&path)?);
            if roll && self.fsync {
                File::open(&self.dir)?.sync_all()?;
            }
        }
        let mut rec = Vec::with_capacity(size as usize);
        rec.extend_from_slice(&(payload.len() as u32).to_le_bytes());
        rec.extend_from_slice(&crc(points, payload).to_le_bytes());
        rec.extend_from_slice(&points.to_le_bytes());
        rec.extend_from_slice(payload);
        let w = self
            .writer
            .as_mut()
            .ok_or_else(|| io::Error::other("no writer"))?;
        w.write_all(&rec)?;
        if self.fsync {
            w.sync_data()?;
        }
        let seg = self
            .segs
            .back_mut()
            .ok_or_else(|| io::Error::other("no segment"))?;
        let id = seg.end();
        seg.records += 1;
        seg.bytes += size;
        seg.points.push(points);
        Ok(Appended::Stored { id })
    }

    fn drop_oldest(&mut self) -> io::Result<()> {
        let Some(seg) = self.segs.pop_front() else {
            return Ok(());
        };
        let unsent: u64 = seg
            .points
            .iter()
            .enumerate()
            .filter(|(i, _)| seg.first + *i as u64 >= self.acked)
            .map(|(_, p)| u64::from(*p))
            .sum();
        if unsent > 0 {
            tracing::warn!(points = unsent, "gateway buffer full: oldest data dropped");
        }
        self.dropped_points += unsent;
        if self.segs.is_empty() {
            self.writer = None;
        }
        fs::remove_file(seg.path(&self.dir))?;
        let end = seg.end();
        if self.acked < end {
            self.acked = end;
        }
        if self.read < end {
            self.read = end;
            self.reader = None;
        }
        self.cursor_dirty = true;
        self.save_cursor()
    }

    /// Up to `max` records from the read position on, with their ids, for sending.
    pub fn next_batch(&mut self, max: usize) -> io::Result<Vec<(u64, u32, Vec<u8>)>> {
        let mut out = Vec::new();
        while out.len() < max && self.read < self.end_id() {
            let Some(seg) = self
                .segs
                .iter()
                .find(|s| s.first <= self.read && self.read < s.end())
            else {
                break;
            };
            let (first, path) = (seg.first, seg.path(&self.dir));
            let reuse = matches!(&self.reader, Some((next, _)) if *next == self.read);
            if !reuse {
                let mut r = BufReader::new(File::open(&path)?);
                for _ in first..self.read {
                    read_record(&mut r)?;
                }
                self.reader = Some((self.read, r));
            }
            let Some((next, r)) = self.reader.as_mut() else {
                break;
            };
            match read_record(r)? {
                Some((points, payload)) => {
                    out.push((self.read, points, payload));
                    self.read += 1;
                    *next = self.read;
                }
                None => {
                    // Shorter than counted (cannot happen unless the file was changed
                    // underneath): stop here; the next call reopens.
                    self.reader = None;
                    break;
                }
            }
            // A new segment starts at `read`: move on to its file.
            if self.segs.iter().any(|s| s.first == self.read) {
                self.reader = None;
            }
        }
        Ok(out)
    }

    /// Every record before `upto` (exclusive) was acknowledged.
    pub fn ack(&mut self, upto: u64) -> io::Result<()> {
        if upto > self.acked {
            self.acked = upto.min(self.end_id());
            self.cursor_dirty = true;
            if self.read < self.acked {
                self.read = self.acked;
                self.reader = None;
            }
            self.remove_acked_segments()?;
        }
        Ok(())
    }

    /// Sends again from the first unacknowledged record (after a reconnect).
    pub fn rewind(&mut self) {
        self.read = self.acked;
        self.reader = None;
    }

    fn remove_acked_segments(&mut self) -> io::Result<()> {
        // Keep the last segment (it is being written) unless fully acknowledged and full.
        while self.segs.len() > 1 && self.segs.front().is_some_and(|s| s.end() <= self.acked) {
            if let Some(s) = self.segs.pop_front() {
                fs::remove_file(s.path(&self.dir))?;
            }
        }
        Ok(())
    }

    /// Writes the cursor if it changed (callers do this every so often; at worst a crash
    /// sends the records acknowledged since again, which the platform stores once).
    pub fn save_cursor(&mut self) -> io::Result<()> {
        if !self.cursor_dirty {
            return Ok(());
        }
        let tmp = self.dir.join("cursor.tmp");
        let body = format!("{} {}\n", self.acked, self.dropped_points);
        {
            let mut f = File::create(&tmp)?;
            f.write_all(body.as_bytes())?;
            if self.fsync {
                f.sync_all()?;
            }
        }
        fs::rename(&tmp, self.dir.join("cursor"))?;
        self.cursor_dirty = false;
        Ok(())
    }

    /// The acknowledged position (for tests and reports).
    pub fn acked(&self) -> u64 {
        self.acked
    }
}

fn read_cursor(dir: &Path) -> io::Result<(u64, u64)> {
    match fs::read_to_string(dir.join("cursor")) {
        Ok(s) => {
            let mut it = s.split_whitespace().map(|x| x.parse::<u64>().unwrap_or(0));
            Ok((it.next().unwrap_or(0), it.next().unwrap_or(0)))
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok((0, 0)),
        Err(e) => Err(e),
    }
}

impl Drop for Buffer {
    fn drop(&mut self) {
        let _ = self.save_cursor();
    }
}

/// A buffered message for a topic other than the gateway telemetry: `@{topic}\n{body}`
/// (telemetry records are JSON objects, so they never start with `@`).
pub(crate) fn rpc_record(topic: &str, body: &serde_json::Value) -> Vec<u8> {
    format!("@{topic}\n{body}").into_bytes()
}

/// The topic and body of a buffered message.
pub(crate) fn message_of(payload: Vec<u8>, telemetry_topic: &str) -> (String, Vec<u8>) {
    if payload.first() == Some(&b'@')
        && let Some(nl) = payload.iter().position(|&b| b == b'\n')
    {
        let topic = String::from_utf8_lossy(&payload[1..nl]).into_owned();
        return (topic, payload[nl + 1..].to_vec());
    }
    (telemetry_topic.to_owned(), payload)
}

#[cfg(test)]
mod tests {
    #[test]
    fn records_for_other_topics_keep_their_topic_and_telemetry_stays_as_it_is() {
        let r = rpc_record(
            "v1/devices/me/rpc/request/7",
            &serde_json::json!({"method": "m"}),
        );
        let (topic, body) = message_of(r, "v1/gateway/telemetry");
        assert_eq!(topic, "v1/devices/me/rpc/request/7");
        assert_eq!(body, br#"{"method":"m"}"#);
        let (topic, body) = message_of(br#"{"pump":[]}"#.to_vec(), "v1/gateway/telemetry");
        assert_eq!(
            (topic.as_str(), body.as_slice()),
            ("v1/gateway/telemetry", &br#"{"pump":[]}"#[..])
        );
    }

    use super::*;

    fn payloads(b: &mut Buffer, max: usize) -> Vec<String> {
        b.next_batch(max)
            .unwrap()
            .into_iter()
            .map(|(_, _, p)| String::from_utf8(p).unwrap())
            .collect()
    }

    #[test]
    fn records_leave_in_order_and_survive_a_reopen_until_acknowledged() {
        let dir = tempfile::tempdir().unwrap();
        let mut b = Buffer::open(dir.path(), 1 << 20, DropPolicy::DropOldest, true).unwrap();
        for i in 0..10 {
            b.append(3, format!("m{i}").as_bytes()).unwrap();
        }
        let got = payloads(&mut b, 4);
        assert_eq!(got, ["m0", "m1", "m2", "m3"]);
        b.ack(2).unwrap();
        drop(b);
        let mut b = Buffer::open(dir.path(), 1 << 20, DropPolicy::DropOldest, true).unwrap();
        assert_eq!(b.stats().pending_records, 8);
        assert_eq!(b.stats().pending_points, 24);
        assert_eq!(
            payloads(&mut b, 100),
            (2..10).map(|i| format!("m{i}")).collect::<Vec<_>>()
        );
        // Sent but not acknowledged, then a reconnect: sent again.
        b.rewind();
        assert_eq!(payloads(&mut b, 1), ["m2"]);
        b.ack(10).unwrap();
        assert_eq!(b.stats().pending_records, 0);
        assert!(payloads(&mut b, 10).is_empty());
    }

    #[test]
    fn segments_roll_and_acknowledged_ones_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        // 1 MiB bound: 64 KiB segments.
        let mut b = Buffer::open(dir.path(), 1 << 20, DropPolicy::DropOldest, false).unwrap();
        let big = vec![b'x'; 20_000];
        for _ in 0..30 {
            b.append(1, &big).unwrap();
        }
        let files = || {
            fs::read_dir(dir.path())
                .unwrap()
                .filter(|e| {
                    e.as_ref()
                        .unwrap()
                        .path()
                        .extension()
                        .is_some_and(|x| x == "seg")
                })
                .count()
        };
        assert!(files() >= 9, "{}", files());
        let all = b.next_batch(100).unwrap();
        assert_eq!(all.len(), 30);
        assert!(all.windows(2).all(|w| w[1].0 == w[0].0 + 1));
        b.ack(30).unwrap();
        assert_eq!(files(), 1);
        assert_eq!(b.stats().pending_records, 0);
    }

    #[test]
    fn a_full_buffer_drops_by_policy_and_counts_points() {
        let dir = tempfile::tempdir().unwrap();
        let big = vec![b'y'; 30_000];
        let mut b = Buffer::open(dir.path(), 256 * 1024, DropPolicy::DropOldest, false).unwrap();
        for i in 0..40u32 {
            assert!(
                matches!(b.append(10, &big).unwrap(), Appended::Stored { id } if id == u64::from(i))
            );
        }
        let s = b.stats();
        assert!(s.bytes <= 256 * 1024, "{s:?}");
        assert!(s.dropped_points >= 250, "{s:?}");
        assert_eq!(s.dropped_points + s.pending_points, 400);
        // What is left is the newest, in order.
        let left = b.next_batch(100).unwrap();
        assert_eq!(left.last().unwrap().0, 39);
        drop(b);
        // The count survives a restart.
        let b = Buffer::open(dir.path(), 256 * 1024, DropPolicy::DropOldest, false).unwrap();
        assert_eq!(b.stats().dropped_points, s.dropped_points);

        let dir = tempfile::tempdir().unwrap();
        let mut b = Buffer::open(dir.path(), 256 * 1024, DropPolicy::DropNewest, false).unwrap();
        let mut refused = 0;
        for _ in 0..40 {
            if b.append(10, &big).unwrap() == Appended::Refused {
                refused += 1;
            }
        }
        assert!(refused >= 25);
        assert_eq!(b.stats().dropped_points, refused * 10);
        // The oldest are kept.
        assert_eq!(b.next_batch(1).unwrap()[0].0, 0);
    }

    #[test]
    fn a_torn_tail_is_cut_off_and_appends_continue() {
        let dir = tempfile::tempdir().unwrap();
        let mut b = Buffer::open(dir.path(), 1 << 20, DropPolicy::DropOldest, true).unwrap();
        for i in 0..5 {
            b.append(1, format!("r{i}").as_bytes()).unwrap();
        }
        drop(b);
        let seg = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.extension().is_some_and(|x| x == "seg"))
            .unwrap();
        // A crash in the middle of the sixth append: half a header.
        let mut f = OpenOptions::new().append(true).open(&seg).unwrap();
        f.write_all(&[9, 0, 0]).unwrap();
        drop(f);
        let mut b = Buffer::open(dir.path(), 1 << 20, DropPolicy::DropOldest, true).unwrap();
        assert_eq!(b.stats().pending_records, 5);
        b.append(1, b"r5").unwrap();
        assert_eq!(payloads(&mut b, 10), ["r0", "r1", "r2", "r3", "r4", "r5"]);
        // A flipped byte in the middle: everything from there is cut.
        drop(b);
        let mut bytes = fs::read(&seg).unwrap();
        let n = bytes.len();
        bytes[n - 1] ^= 0xff;
        fs::write(&seg, bytes).unwrap();
        let mut b = Buffer::open(dir.path(), 1 << 20, DropPolicy::DropOldest, true).unwrap();
        assert_eq!(payloads(&mut b, 10), ["r0", "r1", "r2", "r3", "r4"]);
    }
}
