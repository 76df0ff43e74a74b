#![no_main]
//! Fuzz target: `ironloom_coap::fuzzing::fuzz_decode`, one CoAP datagram: decoded,
//! re-encoded and compared, and a request's options read as the server would.

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    ironloom_coap::fuzzing::fuzz_decode(data);
});
