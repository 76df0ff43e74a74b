#![no_main]
//! Fuzz target: `ironloom_identifiers::fuzzing::fuzz_detect`, one scanned string through
//! the scheme detector and every scheme parser; a detected identifier's canonical form
//! must be detected as the same.

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    ironloom_identifiers::fuzzing::fuzz_detect(data);
});
