//! The part of WASI preview 1 an app gets: clocks, randomness, and stdout/stderr as
//! logs. No files, sockets, environment or arguments: those calls answer with an errno,
//! so C's libc starts and runs without them. Anything else a module imports is refused
//! when it is loaded (see `engine`).

use crate::engine::State;
use crate::host::{LogLevel, read_guest};
use rand::RngCore;
use wasmtime::{Caller, Extern, Linker};

const MODULE: &str = "wasi_snapshot_preview1";
const ESUCCESS: i32 = 0;
const EBADF: i32 = 8;
const EFAULT: i32 = 21;
const EINVAL: i32 = 28;
const ENOSYS: i32 = 52;
const ENOTCAPABLE: i32 = 76;

/// Every import of the module `wasi_snapshot_preview1` an app may have.
pub(crate) const PROVIDED: [&str; 19] = [
    "args_get",
    "args_sizes_get",
    "environ_get",
    "environ_sizes_get",
    "clock_res_get",
    "clock_time_get",
    "fd_write",
    "fd_read",
    "fd_close",
    "fd_seek",
    "fd_fdstat_get",
    "fd_fdstat_set_flags",
    "fd_prestat_get",
    "fd_prestat_dir_name",
    "path_open",
    "poll_oneoff",
    "proc_exit",
    "random_get",
    "sched_yield",
];

fn write_bytes(caller: &mut Caller<'_, State>, ptr: i32, bytes: &[u8]) -> bool {
    let Some(Extern::Memory(mem)) = caller.get_export("memory") else {
        return false;
    };
    usize::try_from(ptr).is_ok_and(|p| mem.write(&mut *caller, p, bytes).is_ok())
}

fn read_u32(caller: &mut Caller<'_, State>, ptr: i32) -> Option<u32> {
    let b = read_guest(caller, ptr, 4)?;
    Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

pub(crate) fn add_to_linker(linker: &mut Linker<State>) -> wasmtime::Result<()> {
    // No arguments and no environment: zero counts and sizes.
    for name in ["args_sizes_get", "environ_sizes_get"] {
        linker.func_wrap(
            MODULE,
            name,
            |mut caller: Caller<'_, State>, count: i32, size: i32| -> i32 {
                if write_bytes(&mut caller, count, &0u32.to_le_bytes())
                    && write_bytes(&mut caller, size, &0u32.to_le_bytes())
                {
                    ESUCCESS
                } else {
                    EFAULT
                }
            },
        )?;
    }
    for name in ["args_get", "environ_get"] {
        linker.func_wrap(MODULE, name, |_: Caller<'_, State>, _: i32, _: i32| {
            ESUCCESS
        })?;
    }
    linker.func_wrap(
        MODULE,
        "clock_res_get",
        |mut caller: Caller<'_, State>, id: i32, out: i32| -> i32 {
            if !(0..=3).contains(&id) {
                return EINVAL;
            }
            if write_bytes(&mut caller, out, &1_000u64.to_le_bytes()) {
                ESUCCESS
            } else {
                EFAULT
            }
        },
    )?;
    linker.func_wrap(
        MODULE,
        "clock_time_get",
        |mut caller: Caller<'_, State>, id: i32, _precision: i64, out: i32| -> i32 {
            let ns: u64 = match id {
                // Realtime.
                0 => std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)),
                // Monotonic, and the CPU-time clocks measured as wall time of the instance.
                1..=3 => {
                    u64::try_from(caller.data().started.elapsed().as_nanos()).unwrap_or(u64::MAX)
                }
                _ => return EINVAL,
            };
            if write_bytes(&mut caller, out, &ns.to_le_bytes()) {
                ESUCCESS
            } else {
                EFAULT
            }
        },
    )?;
    linker.func_wrap(
        MODULE,
        "fd_write",
        |mut caller: Caller<'_, State>, fd: i32, iovs: i32, n_iovs: i32, written: i32| -> i32 {
            let level = match fd {
                1 => LogLevel::Info,
                2 => LogLevel::Warn,
                _ => return EBADF,
            };
            let mut total: u32 = 0;
            for i in 0..n_iovs.clamp(0, 1024) {
                let at = iovs.wrapping_add(i * 8);
                let (Some(ptr), Some(len)) =
                    (read_u32(&mut caller, at), read_u32(&mut caller, at + 4))
                else {
                    return EFAULT;
                };
                let (Ok(ptr), Ok(len)) = (i32::try_from(ptr), i32::try_from(len)) else {
                    return EFAULT;
                };
                let Some(bytes) = read_guest(&mut caller, ptr, len) else {
                    return EFAULT;
                };
                caller.data_mut().push_output(level, &bytes);
                total = total.saturating_add(u32::try_from(bytes.len()).unwrap_or(u32::MAX));
            }
            if write_bytes(&mut caller, written, &total.to_le_bytes()) {
                ESUCCESS
            } else {
                EFAULT
            }
        },
    )?;
    linker.func_wrap(
        MODULE,
        "fd_read",
        |_: Caller<'_, State>, _: i32, _: i32, _: i32, _: i32| EBADF,
    )?;
    linker.func_wrap(MODULE, "fd_close", |_: Caller<'_, State>, _: i32| EBADF)?;
    linker.func_wrap(
        MODULE,
        "fd_seek",
        |_: Caller<'_, State>, _: i32, _: i64, _: i32, _: i32| EBADF,
    )?;
    linker.func_wrap(
        MODULE,
        "fd_fdstat_get",
        |mut caller: Caller<'_, State>, fd: i32, out: i32| -> i32 {
            if !(0..=2).contains(&fd) {
                return EBADF;
            }
            // A character device, no flags, and (for stdout/stderr) the right to write.
            let mut stat = [0u8; 24];
            stat[0] = 2;
            if fd > 0 {
                stat[8..16].copy_from_slice(&(1u64 << 6).to_le_bytes());
            }
            if write_bytes(&mut caller, out, &stat) {
                ESUCCESS
            } else {
                EFAULT
            }
        },
    )?;
    linker.func_wrap(
        MODULE,
        "fd_fdstat_set_flags",
        |_: Caller<'_, State>, _: i32, _: i32| ENOTCAPABLE,
    )?;
    // No pre-opened directories: libc stops looking at the first EBADF.
    linker.func_wrap(
        MODULE,
        "fd_prestat_get",
        |_: Caller<'_, State>, _: i32, _: i32| EBADF,
    )?;
    linker.func_wrap(
        MODULE,
        "fd_prestat_dir_name",
        |_: Caller<'_, State>, _: i32, _: i32, _: i32| EBADF,
    )?;
    linker.func_wrap(
        MODULE,
        "path_open",
        |_: Caller<'_, State>,
         _: i32,
         _: i32,
         _: i32,
         _: i32,
         _: i32,
         _: i64,
         _: i64,
         _: i32,
         _: i32|
         -> i32 { ENOTCAPABLE },
    )?;
    linker.func_wrap(
        MODULE,
        "poll_oneoff",
        |_: Caller<'_, State>, _: i32, _: i32, _: i32, _: i32| ENOSYS,
    )?;
    linker.func_wrap(
        MODULE,
        "proc_exit",
        |_: Caller<'_, State>, code: i32| -> wasmtime::Result<()> {
            Err(wasmtime::Error::msg(format!(
                "the app exited with code {code}"
            )))
        },
    )?;
    linker.func_wrap(
        MODULE,
        "random_get",
        |mut caller: Caller<'_, State>, ptr: i32, len: i32| -> i32 {
            let Ok(n) = usize::try_from(len) else {
                return EINVAL;
            };
            if n > 1 << 20 {
                return EINVAL;
            }
            let mut buf = vec![0u8; n];
            rand::rng().fill_bytes(&mut buf);
            if write_bytes(&mut caller, ptr, &buf) {
                ESUCCESS
            } else {
                EFAULT
            }
        },
    )?;
    linker.func_wrap(MODULE, "sched_yield", |_: Caller<'_, State>| ESUCCESS)?;
    Ok(())
}
