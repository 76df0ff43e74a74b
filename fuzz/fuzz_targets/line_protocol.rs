#![no_main]
//! Fuzz target: the InfluxDB line protocol reader, `ironloom_tsdb_io::line::fuzz_line_protocol`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    ironloom_tsdb_io::line::fuzz_line_protocol(data);
});
