#![no_main]
//! Fuzz target: `ironloom_drivers::fuzzing::fuzz_answer`, a PLC's answer to a read (TCP or RTU framing) through tokio-modbus's client and our answer checks.

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = ironloom_drivers::fuzzing::fuzz_answer(data);
});
