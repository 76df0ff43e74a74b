#![no_main]
//! Fuzz target: `ironloom_identifiers::fuzzing::fuzz_carrier`, one carrier request with
//! arbitrary options and payload; what encodes must draw as a valid PNG and SVG, an ASCII
//! Data Matrix must decode back, a resolution URL must read back as its identifier.

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    ironloom_identifiers::fuzzing::fuzz_carrier(data);
});
