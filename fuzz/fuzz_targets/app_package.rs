#![no_main]
//! Fuzz target: `ironloom_apps::AppPackage::read`, an uploaded app package (gzip, tar,
//! the manifest inside) read within small limits; it must refuse, never panic or grow.

use ironloom_apps::{AppPackage, PackageLimits};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let limits = PackageLimits {
        max_package_bytes: 1 << 20,
        max_unpacked_bytes: 4 << 20,
        max_entries: 64,
        max_file_bytes: 1 << 20,
    };
    let _ = AppPackage::read(data, &limits, None);
});
