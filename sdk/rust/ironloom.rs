//! Ironloom app SDK for Rust: one dependency-free crate (this file, with `json.rs` and
//! `host.rs` beside it), built for `wasm32-unknown-unknown` by rustc 1.63 or newer (no
//! WASI: the module imports only `ironloom.log` and `ironloom.call`). See docs/apps.md for
//! the host API and sdk/rust/README.md for the build.
//!
//! An app is a `cdylib` whose `src/lib.rs` names its event handler:
//!
//! ```ignore
//! use ironloom::{Event, Json, Result};
//! fn on_event(event: &Event) -> Result<()> {
//!     if let (Some(device), Some(t)) = (event.device(), event.number("temperature")) {
//!         ironloom::write(device, Json::object().with("temperature_f", t * 1.8 + 32.0), None)?;
//!     }
//!     Ok(())
//! }
//! ironloom::app!(on_event);
//! ```
//!
//! The handler returns `()`, an `i32` status (0 = handled) or a `Result` of either: an
//! `Err` is logged at error level and becomes status 1. A panic is logged, then traps.
//! The runtime is crash-only: keep what must outlive one event in the key–value state
//! (`kv_get`/`kv_set`), never in statics.
//!
//! Outside WebAssembly (`rustc --test`) the host is [`mock`]: tests install a closure
//! that answers host calls and read back what was logged.

#![allow(clippy::needless_doctest_main)]

use std::fmt;

mod host;
mod json;

pub use host::*;
pub use json::{Json, ParseError};

/// A refused or failed host call: the host's code (`permission_denied`, `bad_request`,
/// `not_found`, `quota_exhausted`, `unavailable`, `unknown_op`, `too_large`; `bad_reply`
/// when a reply could not be read) and its message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    pub code: String,
    pub message: String,
}

impl Error {
    pub fn new(code: &str, message: impl Into<String>) -> Error {
        Error {
            code: code.to_string(),
            message: message.into(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for Error {}

pub type Result<T> = std::result::Result<T, Error>;

/// Log levels of `ironloom.log`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    Debug = 0,
    Info = 1,
    Warn = 2,
    Error = 3,
}

#[cfg(target_arch = "wasm32")]
mod sys {
    #[link(wasm_import_module = "ironloom")]
    extern "C" {
        #[link_name = "log"]
        fn host_log(level: i32, ptr: *const u8, len: i32);
        #[link_name = "call"]
        fn host_call(op: *const u8, op_len: i32, req: *const u8, req_len: i32) -> i64;
    }

    pub fn log(level: i32, message: &str) {
        // SAFETY: the host reads `len` bytes at `ptr` of this module's memory.
        unsafe { host_log(level, message.as_ptr(), message.len() as i32) }
    }

    pub fn call(op: &str, request: &str) -> Vec<u8> {
        // SAFETY: the host reads the two byte ranges given and writes its reply into memory
        // it got from `ironloom_alloc`, which is ours to take back.
        unsafe {
            let r = host_call(
                op.as_ptr(),
                op.len() as i32,
                request.as_ptr(),
                request.len() as i32,
            );
            let ptr = (r >> 32) as u32 as usize as *mut u8;
            let len = (r & 0xffff_ffff) as u32 as usize;
            let bytes = std::slice::from_raw_parts(ptr, len).to_vec();
            super::free(ptr, len as i32);
            bytes
        }
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod sys {
    pub fn log(level: i32, message: &str) {
        super::mock::LOGS.with(|l| l.borrow_mut().push((level, message.to_string())));
    }

    pub fn call(op: &str, request: &str) -> Vec<u8> {
        use super::{Error, Json};
        super::mock::REQUESTS.with(|r| r.borrow_mut().push((op.to_string(), request.to_string())));
        let host = super::mock::HOST.with(|h| h.borrow_mut().take());
        let answer = match (host, Json::parse(request)) {
            (None, _) => Err(Error::new("unavailable", "no host outside the sandbox")),
            (Some(_), Err(e)) => Err(Error::new("bad_request", e.to_string())),
            (Some(mut host), Ok(req)) => {
                let a = host(op, &req);
                super::mock::HOST.with(|h| *h.borrow_mut() = Some(host));
                a
            }
        };
        let reply = match answer {
            Ok(v) => Json::object().with("ok", v),
            Err(e) => Json::object().with(
                "error",
                Json::object()
                    .with("code", e.code)
                    .with("message", e.message),
            ),
        };
        reply.to_string().into_bytes()
    }
}

/// The host outside WebAssembly, for native tests of an app or of this SDK.
#[cfg(not(target_arch = "wasm32"))]
pub mod mock {
    use super::{Json, Result};
    use std::cell::RefCell;

    type Host = Box<dyn FnMut(&str, &Json) -> Result<Json>>;

    thread_local! {
        pub(crate) static HOST: RefCell<Option<Host>> = const { RefCell::new(None) };
        pub(crate) static LOGS: RefCell<Vec<(i32, String)>> = const { RefCell::new(Vec::new()) };
        pub(crate) static REQUESTS: RefCell<Vec<(String, String)>> = const { RefCell::new(Vec::new()) };
    }

    /// Answers this thread's host calls with `host(op, request)`.
    pub fn set_host(host: impl FnMut(&str, &Json) -> Result<Json> + 'static) {
        HOST.with(|h| *h.borrow_mut() = Some(Box::new(host)));
    }

    /// The lines logged on this thread since the last call, as (level, message).
    pub fn take_logs() -> Vec<(i32, String)> {
        LOGS.with(|l| std::mem::take(&mut *l.borrow_mut()))
    }

    /// The host calls made on this thread since the last call, as (operation, request
    /// text) exactly as the app sent them (the host closure gets the request read back,
    /// where every number is a `Json::Number`).
    pub fn take_requests() -> Vec<(String, String)> {
        REQUESTS.with(|r| std::mem::take(&mut *r.borrow_mut()))
    }
}

/// Writes one log line.
pub fn log(level: Level, message: &str) {
    sys::log(level as i32, message);
}
pub fn debug(message: &str) {
    log(Level::Debug, message);
}
pub fn info(message: &str) {
    log(Level::Info, message);
}
pub fn warn(message: &str) {
    log(Level::Warn, message);
}
pub fn error(message: &str) {
    log(Level::Error, message);
}

/// The host's raw reply (`{"ok": …}` or `{"error": …}`) to `op` with a JSON request text.
pub fn call_raw(op: &str, request: &str) -> String {
    let bytes = sys::call(op, request);
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// Calls a host operation; the reply's `ok` value, or the host's error.
pub fn call(op: &str, request: &Json) -> Result<Json> {
    let text = call_raw(op, &request.to_string());
    let reply = Json::parse(&text).map_err(|e| Error::new("bad_reply", e.to_string()))?;
    match reply {
        Json::Object(mut fields) => {
            if let Some(i) = fields.iter().position(|(k, _)| k == "ok") {
                return Ok(fields.swap_remove(i).1);
            }
            let e = fields
                .into_iter()
                .find(|(k, _)| k == "error")
                .map(|(_, e)| e)
                .unwrap_or(Json::Null);
            Err(Error::new(
                e.text("code").unwrap_or("bad_reply"),
                e.text("message").unwrap_or("a reply without ok or error"),
            ))
        }
        _ => Err(Error::new("bad_reply", "the reply is not an object")),
    }
}

// ---------------------------------------------------------------------------------------
// Memory and the exports
// ---------------------------------------------------------------------------------------

/// Memory the host writes events and replies into (`ironloom_alloc`); 0 when none is left.
#[doc(hidden)]
pub fn alloc(len: i32) -> *mut u8 {
    let size = (len.max(0) as usize).max(1);
    match std::alloc::Layout::from_size_align(size, 1) {
        // SAFETY: the layout has a non-zero size.
        Ok(layout) => unsafe { std::alloc::alloc(layout) },
        Err(_) => std::ptr::null_mut(),
    }
}

/// Gives back what [`alloc`] returned for `len`.
///
/// # Safety
/// `ptr` must come from `alloc(len)` and not be used afterwards.
#[doc(hidden)]
pub unsafe fn free(ptr: *mut u8, len: i32) {
    if !ptr.is_null() {
        let size = (len.max(0) as usize).max(1);
        std::alloc::dealloc(ptr, std::alloc::Layout::from_size_align_unchecked(size, 1));
    }
}

/// What a handler returns: a status (0 = handled).
pub trait Outcome {
    fn status(self) -> i32;
}
impl Outcome for i32 {
    fn status(self) -> i32 {
        self
    }
}
impl Outcome for () {
    fn status(self) -> i32 {
        0
    }
}
impl<T: Outcome, E: fmt::Display> Outcome for std::result::Result<T, E> {
    fn status(self) -> i32 {
        match self {
            Ok(v) => v.status(),
            Err(e) => {
                error(&e.to_string());
                1
            }
        }
    }
}

/// Runs `handler` on one event text: the whole of `ironloom_on_event` but the memory.
/// Native tests call this directly. An event that is not JSON is logged and is status 1.
pub fn handle<R: Outcome>(handler: fn(&Event) -> R, text: &str) -> i32 {
    match Event::parse(text) {
        Ok(event) => handler(&event).status(),
        Err(e) => {
            error(&format!("the event is not JSON: {}", e));
            1
        }
    }
}

/// The body of the `ironloom_on_event` export that [`app!`] defines.
///
/// # Safety
/// `ptr` must come from `ironloom_alloc(len)` with the event written into it.
#[doc(hidden)]
pub unsafe fn on_event<R: Outcome>(handler: fn(&Event) -> R, ptr: *mut u8, len: i32) -> i32 {
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        std::panic::set_hook(Box::new(|info| error(&format!("panicked: {}", info))));
    });
    let text = if ptr.is_null() || len <= 0 {
        String::new()
    } else {
        String::from_utf8_lossy(std::slice::from_raw_parts(ptr, len as usize)).into_owned()
    };
    free(ptr, len);
    handle(handler, &text)
}

/// Defines the module's exports `ironloom_alloc` and `ironloom_on_event` for `handler`,
/// a `fn(&Event) -> R` where `R` is `()`, `i32` or a `Result` of them. Outside
/// WebAssembly it defines `ironloom_handle(event_text) -> i32` instead, for native tests.
#[macro_export]
macro_rules! app {
    ($handler:path) => {
        /// Runs the app's handler on one event text (native tests; see `ironloom::mock`).
        #[cfg(not(target_arch = "wasm32"))]
        pub fn ironloom_handle(event: &str) -> i32 {
            $crate::handle($handler, event)
        }

        #[cfg(target_arch = "wasm32")]
        #[no_mangle]
        pub extern "C" fn ironloom_alloc(len: i32) -> i32 {
            $crate::alloc(len) as usize as i32
        }

        #[cfg(target_arch = "wasm32")]
        #[no_mangle]
        pub unsafe extern "C" fn ironloom_on_event(ptr: i32, len: i32) -> i32 {
            $crate::on_event($handler, ptr as u32 as usize as *mut u8, len)
        }
    };
}

#[cfg(test)]
mod tests;
