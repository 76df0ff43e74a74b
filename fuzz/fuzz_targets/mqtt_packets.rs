#![no_main]
//! Fuzz target: `ironloom_mqtt::fuzzing::fuzz_packets`, the packet decoder as the first
//! bytes of a connection and as the rest of an MQTT 3.1.1 and an MQTT 5 connection.

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    ironloom_mqtt::fuzzing::fuzz_packets(data);
});
