#![no_main]
//! Fuzz target: `ironloom_gateway::fuzzing::fuzz_apps_attributes`, the shared attributes the platform pushes for apps at the edge (an apps document, package parts): refused and reported, never a crash.

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    ironloom_gateway::fuzzing::fuzz_apps_attributes(data);
});
