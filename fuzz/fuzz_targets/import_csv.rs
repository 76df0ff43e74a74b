#![no_main]
//! Fuzz target: the csv import parser, `ironloom_tsdb_io::fuzz_csv` (reads rows, stores nothing).

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    ironloom_tsdb_io::fuzz_csv(data);
});
