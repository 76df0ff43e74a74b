#![no_main]
//! Fuzz target: `ironloom_gateway::fuzzing::fuzz_buffer_file`, a damaged store-and-forward segment file: opened, read back, appended to, reopened.

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    ironloom_gateway::fuzzing::fuzz_buffer_file(data);
});
