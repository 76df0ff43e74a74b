#![no_main]
//! Fuzz target: `ironloom_tsdb::fuzzing::wal_record` (see that function for what the bytes are).

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    ironloom_tsdb::fuzzing::wal_record(data);
});
