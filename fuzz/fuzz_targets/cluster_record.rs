#![no_main]
//! Fuzz target: `ironloom_cluster::record::fuzz` (a cluster ingest record's body, as a
//! partition owner reads it from a stream).

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    ironloom_cluster::record::fuzz(data);
});
