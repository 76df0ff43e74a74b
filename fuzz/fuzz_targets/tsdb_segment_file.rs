#![no_main]
//! Fuzz target: `ironloom_tsdb::fuzzing::segment_file` (see that function for what the bytes are).

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    ironloom_tsdb::fuzzing::segment_file(data);
});
