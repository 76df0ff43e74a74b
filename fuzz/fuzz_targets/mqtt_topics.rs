#![no_main]
//! Fuzz target: `ironloom_mqtt::fuzzing::fuzz_topics`, topic name and filter checks and
//! matching (the bytes are a name and a filter separated by 0x01).

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    ironloom_mqtt::fuzzing::fuzz_topics(data);
});
