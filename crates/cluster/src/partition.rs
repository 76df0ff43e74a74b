//! The unit of ownership: a device's partition, `fnv1a64(device id bytes) % P`. P is
//! fixed when the cluster is created (`il_cluster/config`), so this mapping must never
//! change: the test vectors below pin it.

use ironloom_core::ids::DeviceId;

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// FNV-1a, 64 bits.
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(FNV_OFFSET, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(FNV_PRIME)
    })
}

/// The partition of `device` among `partitions` (which is at least 1; 0 is taken as 1).
pub fn partition_of(device: DeviceId, partitions: u32) -> u32 {
    (fnv1a64(device.as_uuid().as_bytes()) % u64::from(partitions.max(1))) as u32
}

/// The JetStream stream shard a partition's records go to (`IL_IN_{shard}`).
pub fn shard_of(partition: u32, shards: u32) -> u32 {
    partition % shards.max(1)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn device(id: &str) -> DeviceId {
        id.parse().unwrap()
    }

    #[test]
    fn fnv1a64_matches_the_published_vectors() {
        // From the FNV reference test suite (and a Python implementation here).
        assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a64(b"foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn partitions_of_pinned_devices_never_change() {
        // (device, fnv1a64 of its 16 bytes, partition for P = 8, 32, 1024, 7), computed
        // with an independent Python implementation over uuid.UUID(..).bytes.
        let vectors: [(&str, u64, [u32; 4]); 4] = [
            (
                "00000000-0000-0000-0000-000000000000",
                0x8820_1fb9_60ff_6465,
                [5, 5, 101, 0],
            ),
            (
                "01936a7e-5b1c-7d2e-8f00-1234567890ab",
                0x7d9b_33af_d871_3d17,
                [7, 23, 279, 3],
            ),
            (
                "ffffffff-ffff-ffff-ffff-ffffffffffff",
                0xd660_7508_f5a1_e855,
                [5, 21, 85, 5],
            ),
            (
                "0192f1d4-3c5a-7b6e-9a8b-c0d1e2f3a4b5",
                0x46a8_2028_af2d_d6c8,
                [0, 8, 712, 5],
            ),
        ];
        for (id, hash, parts) in vectors {
            let d = device(id);
            assert_eq!(fnv1a64(d.as_uuid().as_bytes()), hash, "{id}");
            for (p, want) in [8, 32, 1024, 7].into_iter().zip(parts) {
                assert_eq!(partition_of(d, p), want, "{id} with {p} partitions");
            }
        }
    }

    #[test]
    fn every_partition_is_in_range_and_one_partition_takes_all() {
        for _ in 0..1000 {
            let d = DeviceId::new();
            assert!(partition_of(d, 32) < 32);
            assert_eq!(partition_of(d, 1), 0);
            assert_eq!(partition_of(d, 0), 0);
        }
        assert_eq!(shard_of(13, 4), 1);
        assert_eq!(shard_of(13, 0), 0);
    }
}
