//! One OPC UA connection's settings: defined with the other driver tables in
//! [`ironloom_core::driver_table::opcua`] (no I/O there, so the platform's API can check a
//! pushed document without the OPC UA stack); here the node ids are parsed with the stack.

use std::str::FromStr;

pub use ironloom_core::driver_table::opcua::{
    Auth, Deadband, Mode, NodeConfig, OpcUaConfig, Reconnect, Security, check_node_id,
};
use opcua::types::NodeId;

/// Parses the OPC UA string form of a node id (`ns=2;s=Pump1.Speed`).
pub fn parse_node_id(s: &str) -> Result<NodeId, String> {
    check_node_id(s)?;
    NodeId::from_str(s).map_err(|_| format!("invalid node id {s:?}"))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use ironloom_testkit::{Mutator, Rng};

    /// The configuration check (without the stack) and the stack's parser agree on every
    /// string, so a table the platform accepted never fails in the driver, and the check
    /// refuses nothing the stack could read.
    #[test]
    fn the_node_id_check_agrees_with_the_stack() {
        let fixed = [
            "ns=2;s=Pump1.Speed",
            "i=2258",
            "ns=0;i=+5",
            "ns=65535;i=4294967295",
            "ns=65536;i=1",
            "ns=1;i=4294967296",
            "ns=;i=1",
            "ns=+1;i=1",
            "ns=1;ns=2;i=1",
            "ns=3;g=72962b91-fa75-4ae6-8d28-b404dc7daf63",
            "g={72962b91-fa75-4ae6-8d28-b404dc7daf63}",
            "g=72962b91fa754ae68d28b404dc7daf63",
            "g=72962b91-fa75",
            "ns=1;b=M/RbKBsRVkePCePcx24oRA==",
            "b=M/RbKBsRVkePCePcx24oRA",
            "b=",
            "s=",
            "s=a\nb",
            "s=a\rb",
            "s=Ω",
            "x=1",
            "ns=2;x=B",
            "",
            "i",
            "Ωs=1",
            "ns=1Ω;s=1",
        ];
        let agree = |s: &str| {
            assert_eq!(
                check_node_id(s).is_ok(),
                NodeId::from_str(s).is_ok(),
                "{s:?}"
            );
        };
        fixed.iter().for_each(|s| agree(s));
        // And thousands of mutations of them, spliced with the grammar's own words.
        let mutator = Mutator::new().dictionary(&[
            "ns=",
            ";",
            "i=",
            "s=",
            "g=",
            "b=",
            "=",
            "0",
            "65535",
            "65536",
            "4294967296",
            "+",
            "-",
            "{",
            "}",
            "==",
            "\n",
            "Ω",
        ]);
        let mut rng = Rng::new(0x0bc0_a1d5);
        let mut valid = 0;
        for _ in 0..20_000 {
            let seed = *rng.pick(&fixed);
            let bytes = mutator.mutate(&mut rng, seed.as_bytes());
            let s = String::from_utf8_lossy(&bytes);
            agree(&s);
            valid += usize::from(check_node_id(&s).is_ok());
        }
        // Both answers are exercised, not only the early refusals.
        assert!(
            (500..19_500).contains(&valid),
            "{valid} of 20000 mutations were node ids"
        );
    }
}
