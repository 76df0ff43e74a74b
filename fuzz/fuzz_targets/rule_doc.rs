#![no_main]
//! Fuzz target: `ironloom_rules::fuzzing::fuzz_rule`, a rule document as the API receives
//! it: parsed, checked, and run by the engine over messages and clock ticks.

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    ironloom_rules::fuzzing::fuzz_rule(data);
});
