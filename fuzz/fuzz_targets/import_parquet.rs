#![no_main]
//! Fuzz target: the parquet import parser, `ironloom_tsdb_io::fuzz_parquet` (reads rows, stores nothing).

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    ironloom_tsdb_io::fuzz_parquet(data);
});
