#![no_main]
//! Fuzz target: `ironloom_drivers::fuzzing::fuzz_values`, register contents under every data type, order, scale and offset: decoded, and exact values encoded back.

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    ironloom_drivers::fuzzing::fuzz_values(data);
});
