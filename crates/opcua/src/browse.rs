//! Browsing a server's address space for variables, and turning what was found into
//! thing-model properties plus the driver's node list (import).

use std::collections::{HashMap, HashSet, VecDeque};
use std::time::Duration;

use ironloom_core::thing_model::{
    AccessMode, DataType, MAX_DESCRIPTION_CHARS, MAX_IDENTIFIER_LEN, MAX_NAME_CHARS, PropertyDef,
};
use opcua::client::Session;
use opcua::types::{
    AttributeId, BrowseDescription, BrowseDescriptionResultMask, BrowseDirection, BrowseResult,
    ByteString, DataValue, EUInformation, NodeClass, NodeClassMask, NodeId, ReadValueId,
    ReferenceTypeId, TimestampsToReturn, Variant, VariantScalarTypeId,
};
use serde::Serialize;

use crate::config::{Mode, NodeConfig, OpcUaConfig, parse_node_id};
use crate::convert::{builtin_type, status_name};
use crate::error::OpcUaError;
use crate::session::{build_client, connect};

/// Most variables one browse collects; past it the browse stops with an error rather
/// than hold an unbounded list.
pub const MAX_BROWSED_VARIABLES: usize = 10_000;
/// Nodes per Browse or Read request.
const BATCH: usize = 100;

/// A variable found by [`browse`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BrowsedVariable {
    /// The OPC UA string form, e.g. `ns=2;s=Pump1.Speed`.
    pub node_id: String,
    /// Browse names from the root, e.g. `Objects/Pump1/Speed`.
    pub browse_path: String,
    pub browse_name: String,
    pub display_name: String,
    pub description: Option<String>,
    /// The OPC UA data type as read: `Double`, `Array of Int32`, or the DataType node id
    /// for types we do not know.
    pub opcua_type: String,
    /// The thing-model type (with range and unit when the server gives them), or `None`
    /// when the driver cannot carry the variable's values.
    pub data_type: Option<DataType>,
    pub readable: bool,
    /// From the UserAccessLevel: writable by the user we logged in as.
    pub writable: bool,
    /// The display form of the EngineeringUnits property, e.g. `m³/h`.
    pub unit: Option<String>,
    /// The EURange property.
    pub range: Option<(f64, f64)>,
}

/// Walks the hierarchy below `root` (e.g. `i=85`, the Objects folder) down to `max_depth`
/// levels of objects and folders, and describes every variable found. The standard's own
/// nodes (namespace 0, such as the Server object) are skipped below the root, and so are
/// properties (HasProperty), which describe a variable rather than measure something.
/// Only the connection settings of `config` are used.
pub async fn browse(
    config: &OpcUaConfig,
    root: &str,
    max_depth: usize,
) -> Result<Vec<BrowsedVariable>, OpcUaError> {
    config
        .validate_connection()
        .map_err(OpcUaError::InvalidConfig)?;
    let root = parse_node_id(root).map_err(OpcUaError::InvalidConfig)?;
    let mut client = build_client(config)?;
    let conn = connect(&mut client, config)
        .await
        .map_err(|e| OpcUaError::Connect {
            endpoint: config.endpoint.clone(),
            reason: e.to_string(),
        })?;
    let timeout = Duration::from_millis(config.timeout_ms);
    let result = Browser {
        session: &conn.session,
        timeout,
    }
    .run(root, max_depth)
    .await;
    conn.close(timeout).await;
    result
}

struct Browser<'a> {
    session: &'a Session,
    timeout: Duration,
}

/// A variable found while walking, before its attributes are read.
struct Found {
    node_id: NodeId,
    path: String,
    browse_name: String,
}

impl Browser<'_> {
    async fn run(
        &self,
        root: NodeId,
        max_depth: usize,
    ) -> Result<Vec<BrowsedVariable>, OpcUaError> {
        let root_name = self
            .read(&[attr(&root, AttributeId::BrowseName)])
            .await?
            .into_iter()
            .next()
            .and_then(|dv| match dv.value {
                Some(Variant::QualifiedName(q)) => Some(q.name.as_ref().to_owned()),
                _ => None,
            })
            .ok_or_else(|| OpcUaError::Browse(format!("root node {root} was not found")))?;

        let mut found = Vec::new();
        let mut seen: HashSet<NodeId> = HashSet::from([root.clone()]);
        // Objects to expand: node, path, depth.
        let mut queue: VecDeque<(NodeId, String, usize)> = VecDeque::from([(root, root_name, 0)]);
        while !queue.is_empty() {
            let level: Vec<_> = queue.drain(..queue.len().min(BATCH)).collect();
            let ids: Vec<NodeId> = level.iter().map(|(id, _, _)| id.clone()).collect();
            let refs = self
                .references(
                    &ids,
                    ReferenceTypeId::HierarchicalReferences,
                    NodeClassMask::OBJECT | NodeClassMask::VARIABLE,
                )
                .await?;
            for ((_, path, depth), refs) in level.iter().zip(refs) {
                for r in refs {
                    // Properties describe their parent; the standard's nodes are no plant.
                    if r.reference_type_id == ReferenceTypeId::HasProperty
                        || r.node_id.server_index != 0
                        || r.node_id.node_id.namespace == 0
                        || !seen.insert(r.node_id.node_id.clone())
                    {
                        continue;
                    }
                    let name = r.browse_name.name.as_ref().to_owned();
                    let child_path = format!("{path}/{name}");
                    match r.node_class {
                        NodeClass::Variable => {
                            if found.len() >= MAX_BROWSED_VARIABLES {
                                return Err(OpcUaError::Browse(format!(
                                    "more than {MAX_BROWSED_VARIABLES} variables: browse a smaller subtree"
                                )));
                            }
                            found.push(Found {
                                node_id: r.node_id.node_id.clone(),
                                path: child_path,
                                browse_name: name,
                            });
                        }
                        NodeClass::Object if depth + 1 < max_depth => {
                            queue.push_back((r.node_id.node_id.clone(), child_path, depth + 1));
                        }
                        _ => {}
                    }
                }
            }
        }

        let mut out = Vec::with_capacity(found.len());
        for chunk in found.chunks(BATCH) {
            out.extend(self.describe(chunk).await?);
        }
        Ok(out)
    }

    /// Attributes and the EURange / EngineeringUnits properties of each variable.
    async fn describe(&self, vars: &[Found]) -> Result<Vec<BrowsedVariable>, OpcUaError> {
        const ATTRS: [AttributeId; 5] = [
            AttributeId::DisplayName,
            AttributeId::Description,
            AttributeId::DataType,
            AttributeId::ValueRank,
            AttributeId::UserAccessLevel,
        ];
        let ids: Vec<ReadValueId> = vars
            .iter()
            .flat_map(|v| ATTRS.iter().map(|a| attr(&v.node_id, *a)))
            .collect();
        let values = self.read(&ids).await?;
        if values.len() != ids.len() {
            return Err(OpcUaError::Browse(format!(
                "read answered {} values for {} attributes",
                values.len(),
                ids.len()
            )));
        }

        let node_ids: Vec<NodeId> = vars.iter().map(|v| v.node_id.clone()).collect();
        let props = self
            .references(
                &node_ids,
                ReferenceTypeId::HasProperty,
                NodeClassMask::VARIABLE,
            )
            .await?;
        // Property node ids per variable, read in one go.
        let mut wanted: Vec<(usize, &'static str, NodeId)> = Vec::new();
        for (i, refs) in props.into_iter().enumerate() {
            for r in refs {
                for name in ["EURange", "EngineeringUnits"] {
                    if r.browse_name.name.as_ref() == name && r.node_id.server_index == 0 {
                        wanted.push((i, name, r.node_id.node_id.clone()));
                    }
                }
            }
        }
        let prop_values = if wanted.is_empty() {
            Vec::new()
        } else {
            let ids: Vec<ReadValueId> = wanted.iter().map(|(_, _, id)| id.clone().into()).collect();
            self.read(&ids).await?
        };
        let mut ranges: HashMap<usize, (f64, f64)> = HashMap::new();
        let mut units: HashMap<usize, String> = HashMap::new();
        for ((i, name, _), dv) in wanted.iter().zip(&prop_values) {
            let Some(Variant::ExtensionObject(obj)) = &dv.value else {
                continue;
            };
            if *name == "EURange"
                && let Some(r) = obj.inner_as::<opcua::types::Range>()
                && r.low.is_finite()
                && r.high.is_finite()
                && r.low <= r.high
            {
                ranges.insert(*i, (r.low, r.high));
            }
            if *name == "EngineeringUnits"
                && let Some(eu) = obj.inner_as::<EUInformation>()
            {
                let text = eu.display_name.text.as_ref().trim();
                if !text.is_empty() {
                    units.insert(*i, text.to_owned());
                }
            }
        }

        Ok(vars
            .iter()
            .enumerate()
            .map(|(i, v)| {
                let a = &values[i * ATTRS.len()..(i + 1) * ATTRS.len()];
                let text = |dv: &DataValue| match &dv.value {
                    Some(Variant::LocalizedText(t)) => {
                        Some(t.text.as_ref().to_owned()).filter(|s| !s.is_empty())
                    }
                    _ => None,
                };
                let data_type_id = match &a[2].value {
                    Some(Variant::NodeId(id)) => Some((**id).clone()),
                    _ => None,
                };
                let value_rank = match &a[3].value {
                    Some(Variant::Int32(r)) => *r,
                    _ => -1,
                };
                let access = match &a[4].value {
                    Some(Variant::Byte(b)) => *b,
                    _ => 0,
                };
                let scalar = data_type_id.as_ref().and_then(builtin_type);
                let opcua_type = match (&data_type_id, scalar) {
                    (None, _) => "unknown".to_owned(),
                    (Some(_), Some(t)) if value_rank == -1 => format!("{t:?}"),
                    (Some(_), Some(t)) => format!("Array of {t:?}"),
                    (Some(id), None) => id.to_string(),
                };
                let unit = units.get(&i).cloned();
                let range = ranges.get(&i).copied();
                let data_type = scalar
                    .filter(|_| value_rank == -1)
                    .map(|t| thing_model_type(t, range, unit.clone()));
                BrowsedVariable {
                    node_id: v.node_id.to_string(),
                    browse_path: v.path.clone(),
                    browse_name: v.browse_name.clone(),
                    display_name: text(&a[0]).unwrap_or_else(|| v.browse_name.clone()),
                    description: text(&a[1]),
                    opcua_type,
                    data_type,
                    readable: access & 1 != 0,
                    writable: access & 2 != 0,
                    unit,
                    range,
                }
            })
            .collect())
    }

    /// Forward references of `reference_type` (and subtypes) from each node, following
    /// continuation points.
    async fn references(
        &self,
        nodes: &[NodeId],
        reference_type: ReferenceTypeId,
        classes: NodeClassMask,
    ) -> Result<Vec<Vec<opcua::types::ReferenceDescription>>, OpcUaError> {
        let descriptions: Vec<BrowseDescription> = nodes
            .iter()
            .map(|n| BrowseDescription {
                node_id: n.clone(),
                browse_direction: BrowseDirection::Forward,
                reference_type_id: reference_type.into(),
                include_subtypes: true,
                node_class_mask: classes.bits(),
                result_mask: BrowseDescriptionResultMask::all().bits(),
            })
            .collect();
        let results = self
            .bounded(self.session.browse(&descriptions, 1000, None))
            .await?;
        let mut out = Vec::with_capacity(nodes.len());
        for (n, r) in nodes.iter().zip(results) {
            out.push(self.drain(n, r).await?);
        }
        Ok(out)
    }

    async fn drain(
        &self,
        node: &NodeId,
        mut r: BrowseResult,
    ) -> Result<Vec<opcua::types::ReferenceDescription>, OpcUaError> {
        let mut refs = Vec::new();
        loop {
            if r.status_code.is_bad() {
                return Err(OpcUaError::Browse(format!(
                    "browsing {node}: {}",
                    status_name(r.status_code)
                )));
            }
            refs.extend(r.references.take().unwrap_or_default());
            let cp: ByteString = r.continuation_point.clone();
            if cp.is_null() || cp.is_empty() {
                return Ok(refs);
            }
            let next = self
                .bounded(self.session.browse_next(false, &[cp]))
                .await?
                .into_iter()
                .next();
            match next {
                Some(n) => r = n,
                None => return Ok(refs),
            }
        }
    }

    async fn read(&self, ids: &[ReadValueId]) -> Result<Vec<DataValue>, OpcUaError> {
        self.bounded(self.session.read(ids, TimestampsToReturn::Neither, 0.0))
            .await
    }

    async fn bounded<T>(
        &self,
        fut: impl Future<Output = Result<T, opcua::types::Error>>,
    ) -> Result<T, OpcUaError> {
        match tokio::time::timeout(self.timeout, fut).await {
            Err(_) => Err(OpcUaError::Browse(format!(
                "no answer within {:?}",
                self.timeout
            ))),
            Ok(Err(e)) => Err(OpcUaError::Browse(e.to_string())),
            Ok(Ok(v)) => Ok(v),
        }
    }
}

fn attr(node_id: &NodeId, a: AttributeId) -> ReadValueId {
    ReadValueId {
        node_id: node_id.clone(),
        attribute_id: a as u32,
        index_range: Default::default(),
        data_encoding: Default::default(),
    }
}

/// The thing-model type of a scalar OPC UA type, with the EURange as bounds and the unit.
fn thing_model_type(
    t: VariantScalarTypeId,
    range: Option<(f64, f64)>,
    unit: Option<String>,
) -> DataType {
    use VariantScalarTypeId as T;
    let unit =
        unit.filter(|u| u.chars().count() <= MAX_NAME_CHARS && !u.chars().any(char::is_control));
    let (min, max) = match range {
        Some((lo, hi)) => (Some(lo), Some(hi)),
        None => (None, None),
    };
    match t {
        T::Boolean => DataType::Bool {
            true_label: None,
            false_label: None,
        },
        T::SByte | T::Byte | T::Int16 | T::UInt16 | T::Int32 | T::UInt32 | T::Int64 | T::UInt64 => {
            let (lo, hi) = int_bounds(t);
            DataType::Int {
                min: Some(min.map_or(lo, |m| (m.ceil() as i64).max(lo))),
                max: Some(max.map_or(hi, |m| (m.floor() as i64).min(hi))),
                step: None,
                unit,
                unit_name: None,
            }
        }
        T::Float => DataType::Float {
            min,
            max,
            step: None,
            unit,
            unit_name: None,
        },
        T::String => DataType::Text { max_length: None },
        // Double and anything else that carries a number.
        _ => DataType::Double {
            min,
            max,
            step: None,
            unit,
            unit_name: None,
        },
    }
}

/// The bounds of an integer type, as far as an i64 holds them.
fn int_bounds(t: VariantScalarTypeId) -> (i64, i64) {
    use VariantScalarTypeId as T;
    match t {
        T::SByte => (i8::MIN.into(), i8::MAX.into()),
        T::Byte => (0, u8::MAX.into()),
        T::Int16 => (i16::MIN.into(), i16::MAX.into()),
        T::UInt16 => (0, u16::MAX.into()),
        T::Int32 => (i32::MIN.into(), i32::MAX.into()),
        T::UInt32 => (0, u32::MAX.into()),
        T::UInt64 => (0, i64::MAX),
        _ => (i64::MIN, i64::MAX),
    }
}

/// Thing-model properties and the driver's node entries for browsed variables the driver
/// can carry (those with a `data_type`), all for sub-device `device`. Identifiers are the
/// browse names in snake_case (`SpeedSetpoint` → `speed_setpoint`); when two variables
/// share one, both get the parent's name in front (`boiler1_temperature`), and numbers
/// are appended when even that collides. Nodes are subscribed with a 1 s sampling
/// interval; writable nodes are marked writable.
pub fn to_properties(
    vars: &[BrowsedVariable],
    device: &str,
) -> (Vec<PropertyDef>, Vec<NodeConfig>) {
    let usable: Vec<&BrowsedVariable> = vars.iter().filter(|v| v.data_type.is_some()).collect();
    let base: Vec<String> = usable.iter().map(|v| identifier(&v.browse_name)).collect();
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for b in &base {
        *counts.entry(b).or_default() += 1;
    }
    let mut taken: HashSet<String> = HashSet::new();
    let mut props = Vec::with_capacity(usable.len());
    let mut nodes = Vec::with_capacity(usable.len());
    for (v, b) in usable.iter().zip(&base) {
        let mut id = if counts[b.as_str()] > 1 {
            let parent = v
                .browse_path
                .rsplit('/')
                .nth(1)
                .map(identifier)
                .unwrap_or_default();
            identifier(&format!("{parent}_{b}"))
        } else {
            b.clone()
        };
        if taken.contains(&id) {
            let stem = id.clone();
            let mut n = 2;
            loop {
                let suffix = format!("_{n}");
                let keep = MAX_IDENTIFIER_LEN - suffix.len();
                id = format!("{}{suffix}", &stem[..stem.len().min(keep)]);
                if !taken.contains(&id) {
                    break;
                }
                n += 1;
            }
        }
        taken.insert(id.clone());
        let access = match (v.readable, v.writable) {
            (_, false) => AccessMode::ReadOnly,
            (true, true) => AccessMode::ReadWrite,
            (false, true) => AccessMode::WriteOnly,
        };
        let name = clip(v.display_name.trim(), MAX_NAME_CHARS);
        props.push(PropertyDef {
            identifier: id.clone(),
            name: if name.is_empty() || name.chars().any(char::is_control) {
                id.clone()
            } else {
                name
            },
            description: v
                .description
                .as_deref()
                .map(|d| clip(d, MAX_DESCRIPTION_CHARS)),
            access,
            required: false,
            data_type: v
                .data_type
                .clone()
                .unwrap_or(DataType::Text { max_length: None }),
        });
        nodes.push(NodeConfig {
            device: device.to_owned(),
            point: id,
            node_id: v.node_id.clone(),
            mode: Mode::Subscribe,
            sampling_interval_ms: 1_000,
            publishing_interval_ms: None,
            deadband: None,
            writable: v.writable,
            min: None,
            max: None,
            pre: Default::default(),
        });
    }
    (props, nodes)
}

/// A thing-model identifier from a name: snake_case ASCII letters, digits and `_`,
/// starting with a letter or `_`, at most [`MAX_IDENTIFIER_LEN`] long.
pub fn identifier(name: &str) -> String {
    let mut out = String::new();
    let chars: Vec<char> = name.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if c.is_ascii_alphanumeric() {
            // A word starts at an upper-case letter after a lower-case one or a digit
            // (`SpeedSetpoint`), or before a lower-case one in an acronym (`CNCSpeed`).
            let prev = i.checked_sub(1).map(|j| chars[j]);
            let next = chars.get(i + 1);
            let boundary = c.is_ascii_uppercase()
                && prev.is_some_and(|p| {
                    p.is_ascii_lowercase()
                        || p.is_ascii_digit()
                        || (p.is_ascii_uppercase() && next.is_some_and(char::is_ascii_lowercase))
                });
            if boundary && !out.is_empty() && !out.ends_with('_') {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('_') {
            out.push('_');
        }
    }
    let trimmed = out.trim_end_matches('_');
    let mut id = if trimmed.is_empty() {
        "p".to_owned()
    } else if trimmed.starts_with(|c: char| c.is_ascii_digit()) {
        format!("p_{trimmed}")
    } else {
        trimmed.to_owned()
    };
    id.truncate(MAX_IDENTIFIER_LEN);
    id
}

fn clip(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use ironloom_core::thing_model::ThingModel;

    #[test]
    fn identifiers_are_snake_case_and_valid() {
        for (name, want) in [
            ("SpeedSetpoint", "speed_setpoint"),
            ("Flow", "flow"),
            ("CNC1", "cnc1"),
            ("CNCSpindleSpeed", "cnc_spindle_speed"),
            ("Motor 1 / Temp (°C)", "motor_1_temp_c"),
            ("1stStage", "p_1st_stage"),
            ("温度", "p"),
            ("__x__", "x"),
        ] {
            assert_eq!(identifier(name), want, "{name}");
        }
        assert_eq!(identifier(&"A".repeat(100)).len(), MAX_IDENTIFIER_LEN);
    }

    fn var(path: &str, t: Option<DataType>, writable: bool) -> BrowsedVariable {
        let name = path.rsplit('/').next().unwrap().to_owned();
        BrowsedVariable {
            node_id: format!("ns=2;s={}", path.replace('/', ".")),
            browse_path: path.into(),
            browse_name: name.clone(),
            display_name: name,
            description: Some("d".into()),
            opcua_type: "Double".into(),
            data_type: t,
            readable: true,
            writable,
            unit: None,
            range: None,
        }
    }

    #[test]
    fn duplicates_get_their_parent_and_then_a_number() {
        let dbl = || {
            Some(thing_model_type(
                VariantScalarTypeId::Double,
                Some((0.0, 10.0)),
                Some("bar".into()),
            ))
        };
        let vars = vec![
            var("Objects/Motor1/Temperature", dbl(), false),
            var("Objects/Boiler1/Temperature", dbl(), false),
            var("Objects/Boiler1/Setpoint", dbl(), true),
            var("Objects/Boiler1/Blob", None, false),
            var("Objects/A/X_Y", dbl(), false),
            var("Objects/A/X/Y", dbl(), false),
            var("Objects/B/a_x_y", dbl(), false),
        ];
        let (props, nodes) = to_properties(&vars, "plant");
        let ids: Vec<&str> = props.iter().map(|p| p.identifier.as_str()).collect();
        assert_eq!(
            ids,
            [
                "motor1_temperature",
                "boiler1_temperature",
                "setpoint",
                "x_y",
                "y",
                "a_x_y",
            ]
        );
        let _ = nodes;
        let model = ThingModel {
            properties: props,
            ..Default::default()
        };
        model.validate().unwrap();
    }

    #[test]
    fn numbered_suffixes_keep_identifiers_unique() {
        let dbl = || Some(thing_model_type(VariantScalarTypeId::Double, None, None));
        let vars = vec![
            var("Objects/A/Speed", dbl(), false),
            var("Objects/A/Speed", dbl(), false),
            var("Objects/A/Speed", dbl(), false),
        ];
        let (props, nodes) = to_properties(&vars, "d");
        let ids: Vec<&str> = props.iter().map(|p| p.identifier.as_str()).collect();
        assert_eq!(ids, ["a_speed", "a_speed_2", "a_speed_3"]);
        assert_eq!(
            nodes.iter().map(|n| n.point.as_str()).collect::<Vec<_>>(),
            ids
        );
    }

    #[test]
    fn types_carry_ranges_and_units() {
        let t = thing_model_type(
            VariantScalarTypeId::UInt16,
            Some((-5.5, 1e9)),
            Some("1/min".into()),
        );
        assert_eq!(
            t,
            DataType::Int {
                min: Some(0),
                max: Some(65535),
                step: None,
                unit: Some("1/min".into()),
                unit_name: None
            }
        );
        assert_eq!(
            thing_model_type(VariantScalarTypeId::Float, None, None).type_name(),
            "float"
        );
        assert_eq!(
            thing_model_type(VariantScalarTypeId::Boolean, None, None).type_name(),
            "bool"
        );
        assert_eq!(
            thing_model_type(VariantScalarTypeId::String, None, None).type_name(),
            "text"
        );
    }
}
