//! The Modbus driver: one task per connection polls its plan, carries out writes, and
//! reconnects with back-off.
//!
//! Failures are kept apart: an exception reply (the device answered "no") marks the
//! block's points bad with the exception and keeps the connection; a timeout, a
//! transport error or a malformed answer marks them bad, drops the connection (the byte
//! stream can no longer be trusted) and reconnects after the back-off. Requests on one
//! connection are sequential, as Modbus requires on serial lines and most PLCs expect on
//! TCP; writes go before the next due poll.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use tokio::net::TcpStream;
use tokio_modbus::client::{Client, Context};
use tokio_modbus::prelude::SlaveContext;
use tokio_modbus::{ExceptionCode, Request, Response, Slave};

use super::config::{Area, Connection, Parity, Point, Transport, WriteFunction};
use super::plan::{Block, PollGroup, plan};
use super::values::Encoding;
use crate::model::{DriverError, DriverIo, DriverStats, Sample, Value, WriteDone, WriteRequest};

/// Milliseconds since the epoch, now.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// An exception code's number and name.
pub fn exception_text(e: ExceptionCode) -> String {
    let code = u8::from(e);
    let name = match e {
        ExceptionCode::IllegalFunction => "illegal function",
        ExceptionCode::IllegalDataAddress => "illegal data address",
        ExceptionCode::IllegalDataValue => "illegal data value",
        ExceptionCode::ServerDeviceFailure => "server device failure",
        ExceptionCode::Acknowledge => "acknowledge",
        ExceptionCode::ServerDeviceBusy => "server device busy",
        ExceptionCode::MemoryParityError => "memory parity error",
        ExceptionCode::GatewayPathUnavailable => "gateway path unavailable",
        ExceptionCode::GatewayTargetDevice => "gateway target device failed to respond",
        ExceptionCode::Custom(_) => "unknown exception",
    };
    format!("exception 0x{code:02X} ({name})")
}

/// The registers (or bits, as 0/1) of a read's answer, checked against what was asked:
/// the kind of answer and the count (bit reads come back padded to whole bytes).
pub fn read_answer(area: Area, count: u16, answer: Response) -> Result<Vec<u16>, DriverError> {
    let words: Vec<u16> = match (area, answer) {
        (Area::Holding, Response::ReadHoldingRegisters(w))
        | (Area::Input, Response::ReadInputRegisters(w)) => w,
        (Area::Coil, Response::ReadCoils(bits))
        | (Area::Discrete, Response::ReadDiscreteInputs(bits)) => {
            bits.into_iter().map(u16::from).collect()
        }
        (_, other) => {
            return Err(DriverError::Malformed(format!(
                "unexpected answer {other:?}"
            )));
        }
    };
    let n = usize::from(count);
    if words.len() < n || (!area.is_bits() && words.len() != n) {
        return Err(DriverError::Malformed(format!(
            "asked for {count} {}, got {}",
            if area.is_bits() { "bits" } else { "registers" },
            words.len()
        )));
    }
    Ok(words)
}

/// A running connection's per-device counters (by sub-device name).
pub type DeviceStats = HashMap<Arc<str>, Arc<DriverStats>>;

/// A checked connection, ready to run.
#[derive(Debug)]
pub struct ModbusDriver {
    conn: Connection,
    groups: Vec<PollGroup>,
    names: Vec<(Arc<str>, Vec<Arc<str>>)>,
    device_stats: DeviceStats,
}

impl ModbusDriver {
    /// Fails with every configuration problem when the connection does not check.
    pub fn new(conn: Connection) -> Result<ModbusDriver, Vec<super::config::ConfigError>> {
        let errs = conn.check();
        if !errs.is_empty() {
            return Err(errs);
        }
        let groups = plan(&conn);
        let names: Vec<(Arc<str>, Vec<Arc<str>>)> = conn
            .devices
            .iter()
            .map(|d| {
                (
                    Arc::from(d.name.as_str()),
                    d.points
                        .iter()
                        .map(|p| Arc::from(p.name.as_str()))
                        .collect(),
                )
            })
            .collect();
        let device_stats = names
            .iter()
            .map(|(n, _)| (n.clone(), Arc::new(DriverStats::default())))
            .collect();
        Ok(ModbusDriver {
            conn,
            groups,
            names,
            device_stats,
        })
    }

    pub fn config(&self) -> &Connection {
        &self.conn
    }

    pub fn device_stats(&self) -> &DeviceStats {
        &self.device_stats
    }

    /// Read requests per full cycle of every poll group.
    pub fn requests_per_cycle(&self) -> usize {
        self.groups.iter().map(|g| g.blocks.len()).sum()
    }

    /// Runs until `io.cancel` fires.
    pub async fn run(self, mut io: DriverIo) {
        let mut link = Link {
            driver: &self,
            ctx: None,
            backoff: Duration::from_millis(self.conn.reconnect_min_ms),
            retry_at: Instant::now(),
            last_error: None,
            stats: io.stats.clone(),
            attempted: false,
        };
        let start = tokio::time::Instant::now();
        let mut due: Vec<tokio::time::Instant> = vec![start; self.groups.len()];
        loop {
            let (gi, at) = match due.iter().enumerate().min_by_key(|(_, t)| **t) {
                Some((i, t)) => (Some(i), *t),
                None => (None, start + Duration::from_secs(3600 * 24 * 365)),
            };
            tokio::select! {
                biased;
                () = io.cancel.cancelled() => break,
                w = io.writes.recv() => match w {
                    Some(w) => {
                        let r = link.write(&w).await;
                        let _ = w.reply.send(r);
                    }
                    // The gateway dropped its sender: keep polling until cancelled.
                    None => io.writes = tokio::sync::mpsc::channel(1).1,
                },
                () = tokio::time::sleep_until(at) => {
                    let Some(gi) = gi else { continue };
                    let group = &self.groups[gi];
                    let samples = link.poll(group).await;
                    if !samples.is_empty() && io.samples.send(samples).await.is_err() {
                        break;
                    }
                    // Next tick; ticks missed while the cycle overran are skipped.
                    let now = tokio::time::Instant::now();
                    let mut next = due[gi] + group.interval;
                    if next <= now {
                        let behind = now - next;
                        let skip = behind.as_micros() / group.interval.as_micros().max(1) + 1;
                        next += group.interval * u32::try_from(skip).unwrap_or(u32::MAX);
                    }
                    due[gi] = next;
                }
            }
        }
        if let Some(mut ctx) = link.ctx.take() {
            let _ = ctx.disconnect().await;
        }
    }
}

struct Link<'a> {
    driver: &'a ModbusDriver,
    ctx: Option<Context>,
    backoff: Duration,
    retry_at: Instant,
    last_error: Option<DriverError>,
    stats: Arc<DriverStats>,
    /// Whether the last `call` reached the wire (or tried to connect); calls refused
    /// while waiting for the back-off are not counted as requests.
    attempted: bool,
}

impl Link<'_> {
    fn conn(&self) -> &Connection {
        &self.driver.conn
    }

    fn timeout(&self) -> Duration {
        Duration::from_millis(self.conn().timeout_ms)
    }

    /// Opens the transport (a free function of the configuration: the link itself is not
    /// `Sync`, so it is not borrowed across the connect).
    async fn open(c: &Connection) -> Result<Context, DriverError> {
        let t = Duration::from_millis(c.timeout_ms);
        let tcp = |addr: String| async move {
            let s = tokio::time::timeout(t, TcpStream::connect(addr.as_str()))
                .await
                .map_err(|_| DriverError::Timeout(t))?
                .map_err(|e| DriverError::Transport(format!("{addr}: {e}")))?;
            let _ = s.set_nodelay(true);
            Ok::<_, DriverError>(s)
        };
        match c.transport {
            Transport::Tcp => Ok(tokio_modbus::client::tcp::attach(
                tcp(c.address.clone().unwrap_or_default()).await?,
            )),
            Transport::RtuOverTcp => Ok(tokio_modbus::client::rtu::attach(
                tcp(c.address.clone().unwrap_or_default()).await?,
            )),
            Transport::Rtu => {
                let s = c
                    .serial
                    .as_ref()
                    .ok_or_else(|| DriverError::Invalid("no serial settings".into()))?;
                use tokio_serial::{DataBits, SerialPortBuilderExt, StopBits};
                let port = tokio_serial::new(&s.port, s.baud)
                    .data_bits(match s.data_bits {
                        5 => DataBits::Five,
                        6 => DataBits::Six,
                        7 => DataBits::Seven,
                        _ => DataBits::Eight,
                    })
                    .parity(match s.parity {
                        Parity::None => tokio_serial::Parity::None,
                        Parity::Even => tokio_serial::Parity::Even,
                        Parity::Odd => tokio_serial::Parity::Odd,
                    })
                    .stop_bits(if s.stop_bits == 2 {
                        StopBits::Two
                    } else {
                        StopBits::One
                    })
                    .timeout(t)
                    .open_native_async()
                    .map_err(|e| DriverError::Transport(format!("{}: {e}", s.port)))?;
                Ok(tokio_modbus::client::rtu::attach(port))
            }
        }
    }

    /// A connection, opening one when the back-off allows.
    async fn ensure(&mut self) -> Result<&mut Context, DriverError> {
        self.attempted = false;
        if self.ctx.is_none() {
            if Instant::now() < self.retry_at {
                return Err(match &self.last_error {
                    Some(DriverError::Transport(m)) => DriverError::Transport(m.clone()),
                    Some(e) => DriverError::Transport(e.to_string()),
                    None => DriverError::NotConnected,
                });
            }
            self.attempted = true;
            let driver = self.driver;
            match Self::open(&driver.conn).await {
                Ok(ctx) => {
                    self.stats.connects.fetch_add(1, Ordering::Relaxed);
                    self.backoff = Duration::from_millis(self.conn().reconnect_min_ms);
                    self.last_error = None;
                    self.ctx = Some(ctx);
                    tracing::info!(connection = %self.conn().name, "Modbus connected");
                }
                Err(e) => {
                    self.lost(&e);
                    return Err(e);
                }
            }
        }
        self.attempted = true;
        self.ctx.as_mut().ok_or(DriverError::NotConnected)
    }

    /// After a failure that leaves the stream unusable: drop it and wait the back-off.
    fn lost(&mut self, e: &DriverError) {
        if self.ctx.take().is_some() || self.last_error.is_none() {
            tracing::warn!(connection = %self.conn().name, error = %e, "Modbus connection lost");
        }
        self.last_error = Some(e.clone());
        self.retry_at = Instant::now() + self.backoff;
        self.backoff = (self.backoff * 2).min(Duration::from_millis(self.conn().reconnect_max_ms));
    }

    fn device_stats(&self, unit_device: usize) -> &DriverStats {
        let name = &self.driver.names[unit_device].0;
        self.driver
            .device_stats
            .get(name)
            .map_or(&*self.stats, |s| s)
    }

    fn record(&self, device: usize, r: &Result<(), DriverError>, took: Duration) {
        for s in [&*self.stats, self.device_stats(device)] {
            match r {
                Ok(()) => s.ok(took),
                Err(e) => s.failed(e),
            }
        }
    }

    /// One request with the timeout; the error kinds kept apart.
    async fn call<T, F>(&mut self, unit: u8, f: F) -> Result<T, DriverError>
    where
        F: for<'c> FnOnce(
            &'c mut Context,
        ) -> std::pin::Pin<
            Box<dyn Future<Output = tokio_modbus::Result<T>> + Send + 'c>,
        >,
    {
        let t = self.timeout();
        let ctx = self.ensure().await?;
        ctx.set_slave(Slave(unit));
        let r = match tokio::time::timeout(t, f(ctx)).await {
            Err(_) => Err(DriverError::Timeout(t)),
            Ok(Err(tokio_modbus::Error::Transport(e)))
                if e.kind() == std::io::ErrorKind::InvalidData =>
            {
                Err(DriverError::Malformed(e.to_string()))
            }
            Ok(Err(tokio_modbus::Error::Transport(e))) => {
                Err(DriverError::Transport(e.to_string()))
            }
            Ok(Err(tokio_modbus::Error::Protocol(e))) => Err(DriverError::Malformed(e.to_string())),
            Ok(Ok(Err(x))) => Err(DriverError::Refused(exception_text(x))),
            Ok(Ok(Ok(v))) => Ok(v),
        };
        if let Err(e) = &r
            && !matches!(e, DriverError::Refused(_))
        {
            self.lost(e);
        }
        r
    }

    async fn read_block(&mut self, b: &Block) -> Result<Vec<u16>, DriverError> {
        let (start, count) = (b.start, b.count);
        let req = match b.area {
            Area::Holding => Request::ReadHoldingRegisters(start, count),
            Area::Input => Request::ReadInputRegisters(start, count),
            Area::Coil => Request::ReadCoils(start, count),
            Area::Discrete => Request::ReadDiscreteInputs(start, count),
        };
        // `Client::call` rather than the `Reader` helpers: those assert on the register
        // count, so a wrong count from a broken peer would panic in debug builds.
        let answer = self.call(b.unit, |c| c.call(req)).await?;
        match read_answer(b.area, count, answer) {
            Ok(words) => Ok(words),
            Err(e) => {
                self.lost(&e);
                Err(e)
            }
        }
    }

    /// Reads every block of a group; one sample per point.
    async fn poll(&mut self, g: &PollGroup) -> Vec<Sample> {
        let mut out = Vec::with_capacity(g.blocks.iter().map(|b| b.points.len()).sum());
        for b in &g.blocks {
            let device = b.points.first().map_or(0, |p| p.0);
            let began = Instant::now();
            let r = self.read_block(b).await;
            let ts = now_ms();
            if self.attempted {
                let unit_result = r.as_ref().map(|_| ()).map_err(Clone::clone);
                self.record(device, &unit_result, began.elapsed());
            }
            match r {
                Ok(words) => {
                    let mut n = 0u64;
                    for &(di, pi, off) in &b.points {
                        let p = &self.driver.conn.devices[di].points[pi];
                        let (dev, name) = (&self.driver.names[di].0, &self.driver.names[di].1[pi]);
                        let off = usize::from(off);
                        let regs = &words[off..off + usize::from(p.width())];
                        out.push(match Encoding::of(p).decode(regs) {
                            Ok(v) => {
                                n += 1;
                                Sample::good(dev, name, ts, v)
                            }
                            Err(e) => Sample::bad(dev, name, ts, e.to_string().into()),
                        });
                    }
                    self.stats.points_read.fetch_add(n, Ordering::Relaxed);
                }
                Err(e) => {
                    let reason: Arc<str> = match &e {
                        DriverError::Transport(m) if self.ctx.is_none() => {
                            format!("not connected: {m}").into()
                        }
                        e => e.to_string().into(),
                    };
                    for &(di, pi, _) in &b.points {
                        let (dev, name) = (&self.driver.names[di].0, &self.driver.names[di].1[pi]);
                        out.push(Sample::bad(dev, name, ts, reason.clone()));
                    }
                }
            }
        }
        out
    }

    fn find(&self, device: &str, point: &str) -> Result<(usize, &Point), DriverError> {
        let di = self
            .driver
            .names
            .iter()
            .position(|(d, _)| &**d == device)
            .ok_or_else(|| {
                DriverError::Invalid(format!("no device `{device}` on this connection"))
            })?;
        let p = self.driver.conn.devices[di]
            .points
            .iter()
            .find(|p| p.name == point)
            .ok_or_else(|| {
                DriverError::Invalid(format!("device `{device}` has no point `{point}`"))
            })?;
        Ok((di, p))
    }

    async fn read_point(&mut self, unit: u8, p: &Point) -> Result<Value, DriverError> {
        let b = Block {
            unit,
            area: p.area,
            start: p.address,
            count: p.width(),
            points: vec![],
        };
        let words = self.read_block(&b).await?;
        Encoding::of(p).decode(&words[..usize::from(p.width())])
    }

    /// A write: checks, reads the old value, writes, reads back.
    async fn write(&mut self, w: &WriteRequest) -> Result<WriteDone, DriverError> {
        let (di, p) = self.find(&w.device, &w.point)?;
        let p = p.clone();
        let unit = self.driver.conn.devices[di].unit;
        if !p.writable {
            return Err(DriverError::Invalid(format!(
                "point `{}` is not writable",
                p.name
            )));
        }
        crate::model::check_range(&w.value, p.min, p.max)?;
        let enc = Encoding::of(&p);
        let words = enc.encode(&w.value)?;
        let began = Instant::now();
        let old = self.read_point(unit, &p).await.ok();
        if self.ctx.is_none() {
            let e = DriverError::NotConnected;
            self.record(di, &Err(e.clone()), began.elapsed());
            return Err(e);
        }
        let addr = p.address;
        let req: Request<'static> = match (p.area, p.write_function) {
            (Area::Coil, WriteFunction::Multiple) => {
                Request::WriteMultipleCoils(addr, vec![words[0] != 0].into())
            }
            (Area::Coil, _) => Request::WriteSingleCoil(addr, words[0] != 0),
            _ if enc.data_type == super::values::DataType::Bit => {
                // Read-modify-write of the one bit.
                let cur = match self
                    .read_block(&Block {
                        unit,
                        area: Area::Holding,
                        start: addr,
                        count: 1,
                        points: vec![],
                    })
                    .await
                {
                    Ok(cur) => cur[0],
                    Err(e) => {
                        self.record(di, &Err(e.clone()), began.elapsed());
                        return Err(e);
                    }
                };
                let mask = 1u16 << enc.bit;
                let word = if words[0] != 0 {
                    cur | mask
                } else {
                    cur & !mask
                };
                Request::WriteSingleRegister(addr, word)
            }
            (_, WriteFunction::ReadWrite) => {
                Request::ReadWriteMultipleRegisters(addr, p.width(), addr, words.clone().into())
            }
            (_, WriteFunction::Single) => Request::WriteSingleRegister(addr, words[0]),
            (_, WriteFunction::Auto) if words.len() == 1 => {
                Request::WriteSingleRegister(addr, words[0])
            }
            _ => Request::WriteMultipleRegisters(addr, words.clone().into()),
        };
        let expect = req.clone();
        let r = match self.call(unit, |c| c.call(req)).await {
            Err(e) => Err(e),
            // The answer must echo the request (FC 5, 6, 15, 16) or carry the registers (23).
            Ok(Response::ReadWriteMultipleRegisters(w)) => Ok(Some(w)),
            Ok(Response::WriteSingleCoil(a, v)) if expect == Request::WriteSingleCoil(a, v) => {
                Ok(None)
            }
            Ok(Response::WriteSingleRegister(a, v))
                if expect == Request::WriteSingleRegister(a, v) =>
            {
                Ok(None)
            }
            Ok(Response::WriteMultipleCoils(a, n) | Response::WriteMultipleRegisters(a, n))
                if a == addr
                    && (matches!(&expect, Request::WriteMultipleCoils(_, x) if x.len() == usize::from(n))
                        || matches!(&expect, Request::WriteMultipleRegisters(_, x) if x.len() == usize::from(n))) =>
            {
                Ok(None)
            }
            Ok(other) => {
                let e = DriverError::Malformed(format!(
                    "the answer {other:?} does not confirm the write"
                ));
                self.lost(&e);
                Err(e)
            }
        };
        let unit_r = r.as_ref().map(|_| ()).map_err(Clone::clone);
        self.record(di, &unit_r, began.elapsed());
        let read_back = r?;
        self.stats.writes.fetch_add(1, Ordering::Relaxed);
        if let Some(s) = self.driver.device_stats.get(&*w.device) {
            s.writes.fetch_add(1, Ordering::Relaxed);
        }
        let new = match read_back {
            Some(words) if words.len() == usize::from(p.width()) => enc.decode(&words)?,
            _ => match self.read_point(unit, &p).await {
                Ok(v) => v,
                Err(_) => enc.decode(&words)?,
            },
        };
        Ok(WriteDone { old, new })
    }
}
