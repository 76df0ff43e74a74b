#![no_main]
//! Fuzz target: `ironloom_identifiers::fuzzing::fuzz_proto`, one Handle protocol message
//! (RFC 3652) read as a request, as a response and as a UDP piece; what decodes is
//! re-encoded and must decode the same.

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    ironloom_identifiers::fuzzing::fuzz_proto(data);
});
