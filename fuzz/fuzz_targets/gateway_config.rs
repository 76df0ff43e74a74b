#![no_main]
//! Fuzz target: `ironloom_gateway::fuzzing::fuzz_config`, a gateway configuration file: read and checked.

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    ironloom_gateway::fuzzing::fuzz_config(data);
});
