//! The rules a thing model must follow, and where to say a broken one is broken.
//!
//! One walk over the model checks everything; the path of a failure is kept as semantic
//! segments and only rendered at the end, in model terms or in the terms of the WoT or TSL
//! document the model was imported from. That way importers reuse these rules instead of
//! duplicating them, and still point users at the line they wrote.

use std::collections::HashSet;

use super::error::{ThingModelError, ThingModelErrorKind as K, clip};
use super::{
    DataType, FieldDef, MAX_ARRAY_SIZE, MAX_DESCRIPTION_CHARS, MAX_ENUM_VALUES, MAX_EVENTS,
    MAX_FIELDS, MAX_IDENTIFIER_LEN, MAX_NAME_CHARS, MAX_PROPERTIES, MAX_SERVICES, MAX_STRUCT_DEPTH,
    MAX_TEXT_LENGTH, ThingModel,
};

/// The spelling of paths in errors.
#[derive(Debug, Clone, Copy)]
pub(super) enum PathStyle<'a> {
    /// Model fields: `properties[0].data_type.min`.
    Model,
    /// WoT TM keys: `properties.Flow.minimum`.
    Wot,
    /// TSL keys: `properties[0].dataType.specs.min`. Events and services map model positions
    /// to document positions, since the document also holds the skipped standard items.
    Tsl {
        events: &'a [usize],
        services: &'a [usize],
    },
}

/// Which list a field belongs to, or which top-level list is meant.
#[derive(Debug, Clone, Copy)]
enum List {
    Properties,
    Events,
    Services,
    EventOutput,
    ServiceInput,
    ServiceOutput,
    StructFields,
}

#[derive(Debug, Clone, Copy)]
enum Attr {
    Identifier,
    Name,
    Description,
    Min,
    Max,
    Step,
    Unit,
    UnitName,
    TrueLabel,
    FalseLabel,
    Values,
    MaxLength,
    Size,
}

#[derive(Debug, Clone, Copy)]
enum Seg<'m> {
    /// The whole list, for count limits.
    List(List),
    /// An entry of a list: its position and identifier.
    Entry(List, usize, &'m str),
    DataType,
    Item,
    Attr(Attr),
    EnumLabel(&'m str),
}

fn render(segs: &[Seg<'_>], style: PathStyle<'_>) -> String {
    use PathStyle as S;
    let mut out = String::new();
    for seg in segs {
        let piece: String = match (*seg, style) {
            (Seg::List(list), _) => list_name(list, style).to_string(),
            (Seg::Entry(list, _, id), S::Wot) => format!("{}.{id}", list_name(list, style)),
            (Seg::Entry(List::Events, i, _), S::Tsl { events, .. }) => {
                format!("events[{}]", events.get(i).copied().unwrap_or(i))
            }
            (Seg::Entry(List::Services, i, _), S::Tsl { services, .. }) => {
                format!("services[{}]", services.get(i).copied().unwrap_or(i))
            }
            (Seg::Entry(list, i, _), _) => format!("{}[{i}]", list_name(list, style)),
            (Seg::DataType, S::Model) => ".data_type".into(),
            (Seg::DataType, S::Wot) => String::new(),
            (Seg::DataType, S::Tsl { .. }) => ".dataType".into(),
            (Seg::Item, S::Model) => ".item".into(),
            (Seg::Item, S::Wot) => ".items".into(),
            (Seg::Item, S::Tsl { .. }) => ".specs.item".into(),
            (Seg::Attr(a), _) => attr_name(a, style).to_string(),
            (Seg::EnumLabel(k), S::Model) => format!(".values.{k}"),
            (Seg::EnumLabel(k), S::Wot) => format!(".ironloom:enumLabels.{k}"),
            (Seg::EnumLabel(k), S::Tsl { .. }) => format!(".specs.{k}"),
        };
        out.push_str(&piece);
    }
    out.trim_start_matches('.').to_string()
}

fn list_name(list: List, style: PathStyle<'_>) -> &'static str {
    use PathStyle as S;
    match (list, style) {
        (List::Properties, _) => "properties",
        (List::Events, _) => "events",
        (List::Services, S::Wot) => "actions",
        (List::Services, _) => "services",
        (List::EventOutput, S::Model) => ".output",
        (List::EventOutput, S::Wot) => ".data.properties",
        (List::EventOutput, S::Tsl { .. }) => ".outputData",
        (List::ServiceInput, S::Model) => ".input",
        (List::ServiceInput, S::Wot) => ".input.properties",
        (List::ServiceInput, S::Tsl { .. }) => ".inputData",
        (List::ServiceOutput, S::Model) => ".output",
        (List::ServiceOutput, S::Wot) => ".output.properties",
        (List::ServiceOutput, S::Tsl { .. }) => ".outputData",
        (List::StructFields, S::Model) => ".fields",
        (List::StructFields, S::Wot) => ".properties",
        (List::StructFields, S::Tsl { .. }) => ".specs",
    }
}

fn attr_name(attr: Attr, style: PathStyle<'_>) -> &'static str {
    use PathStyle as S;
    match (attr, style) {
        // In WoT the identifier is the key itself, so the entry's path already names it.
        (Attr::Identifier, S::Wot) => "",
        (Attr::Identifier, _) => ".identifier",
        (Attr::Name, S::Wot) => ".title",
        (Attr::Name, _) => ".name",
        (Attr::Description, S::Tsl { .. }) => ".desc",
        (Attr::Description, _) => ".description",
        (Attr::Min, S::Model) => ".min",
        (Attr::Min, S::Wot) => ".minimum",
        (Attr::Min, S::Tsl { .. }) => ".specs.min",
        (Attr::Max, S::Model) => ".max",
        (Attr::Max, S::Wot) => ".maximum",
        (Attr::Max, S::Tsl { .. }) => ".specs.max",
        (Attr::Step, S::Model) => ".step",
        (Attr::Step, S::Wot) => ".multipleOf",
        (Attr::Step, S::Tsl { .. }) => ".specs.step",
        (Attr::Unit, S::Tsl { .. }) => ".specs.unit",
        (Attr::Unit, _) => ".unit",
        (Attr::UnitName, S::Model) => ".unit_name",
        (Attr::UnitName, S::Wot) => ".ironloom:unitName",
        (Attr::UnitName, S::Tsl { .. }) => ".specs.unitName",
        (Attr::TrueLabel, S::Model) => ".true_label",
        (Attr::TrueLabel, S::Wot) => ".ironloom:trueLabel",
        (Attr::TrueLabel, S::Tsl { .. }) => ".specs.1",
        (Attr::FalseLabel, S::Model) => ".false_label",
        (Attr::FalseLabel, S::Wot) => ".ironloom:falseLabel",
        (Attr::FalseLabel, S::Tsl { .. }) => ".specs.0",
        (Attr::Values, S::Model) => ".values",
        (Attr::Values, S::Wot) => ".enum",
        (Attr::Values, S::Tsl { .. }) => ".specs",
        (Attr::MaxLength, S::Model) => ".max_length",
        (Attr::MaxLength, S::Wot) => ".maxLength",
        (Attr::MaxLength, S::Tsl { .. }) => ".specs.length",
        (Attr::Size, S::Model) => ".size",
        (Attr::Size, S::Wot) => ".maxItems",
        (Attr::Size, S::Tsl { .. }) => ".specs.size",
    }
}

/// `^[A-Za-z_][A-Za-z0-9_]{0,63}$`
pub fn is_identifier(s: &str) -> bool {
    let mut bytes = s.bytes();
    matches!(bytes.next(), Some(b) if b.is_ascii_alphabetic() || b == b'_')
        && s.len() <= MAX_IDENTIFIER_LEN
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// Whether `s` has more than `max` characters, without counting past `max` (names can be huge).
fn longer_than(s: &str, max: usize) -> bool {
    s.chars().nth(max).is_some()
}

pub(super) fn validate(model: &ThingModel, style: PathStyle<'_>) -> Result<(), ThingModelError> {
    Walker {
        style,
        path: Vec::new(),
    }
    .model(model)
}

struct Walker<'m, 's> {
    style: PathStyle<'s>,
    path: Vec<Seg<'m>>,
}

type Checked = Result<(), ThingModelError>;

impl<'m> Walker<'m, '_> {
    fn fail(&self, last: Option<Seg<'m>>, kind: K) -> ThingModelError {
        let mut segs = self.path.clone();
        segs.extend(last);
        ThingModelError::new(render(&segs, self.style), kind)
    }

    fn at_attr(&self, attr: Attr, kind: K) -> ThingModelError {
        self.fail(Some(Seg::Attr(attr)), kind)
    }

    fn model(&mut self, m: &'m ThingModel) -> Checked {
        let limits = [
            (List::Properties, m.properties.len(), MAX_PROPERTIES),
            (List::Events, m.events.len(), MAX_EVENTS),
            (List::Services, m.services.len(), MAX_SERVICES),
        ];
        for (list, len, max) in limits {
            if len > max {
                return Err(self.fail(Some(Seg::List(list)), K::TooMany { max }));
            }
        }
        let mut seen = HashSet::new();
        for (i, p) in m.properties.iter().enumerate() {
            self.path
                .push(Seg::Entry(List::Properties, i, &p.identifier));
            self.identifier(&p.identifier, &mut seen, &[])?;
            self.name(&p.name, Seg::Attr(Attr::Name))?;
            self.description(p.description.as_deref())?;
            self.path.push(Seg::DataType);
            self.data_type(&p.data_type, 0)?;
            self.path.clear();
        }
        // TSL sends property reports as event `post` and writes/reads as services `set`/`get`.
        let mut seen = HashSet::new();
        for (i, e) in m.events.iter().enumerate() {
            self.path.push(Seg::Entry(List::Events, i, &e.identifier));
            self.identifier(&e.identifier, &mut seen, &["post"])?;
            self.name(&e.name, Seg::Attr(Attr::Name))?;
            self.description(e.description.as_deref())?;
            self.fields(List::EventOutput, &e.output, 0)?;
            self.path.clear();
        }
        let mut seen = HashSet::new();
        for (i, s) in m.services.iter().enumerate() {
            self.path.push(Seg::Entry(List::Services, i, &s.identifier));
            self.identifier(&s.identifier, &mut seen, &["set", "get"])?;
            self.name(&s.name, Seg::Attr(Attr::Name))?;
            self.description(s.description.as_deref())?;
            self.fields(List::ServiceInput, &s.input, 0)?;
            self.fields(List::ServiceOutput, &s.output, 0)?;
            self.path.clear();
        }
        Ok(())
    }

    fn identifier(&self, id: &'m str, seen: &mut HashSet<&'m str>, reserved: &[&str]) -> Checked {
        if !is_identifier(id) {
            return Err(self.at_attr(Attr::Identifier, K::InvalidIdentifier(clip(id))));
        }
        if reserved.contains(&id) {
            return Err(self.at_attr(Attr::Identifier, K::ReservedIdentifier(id.into())));
        }
        if !seen.insert(id) {
            return Err(self.at_attr(Attr::Identifier, K::DuplicateIdentifier(id.into())));
        }
        Ok(())
    }

    /// A display name or enum label: like [`Self::label`], and not blank.
    fn name(&self, name: &str, at: Seg<'m>) -> Checked {
        if name.trim().is_empty() {
            return Err(self.fail(Some(at), K::EmptyName));
        }
        self.label(name, at)
    }

    /// Short display text (names, labels, units), found at `at` below the current path.
    fn label(&self, text: &str, at: Seg<'m>) -> Checked {
        if longer_than(text, MAX_NAME_CHARS) {
            return Err(self.fail(
                Some(at),
                K::TooLong {
                    max: MAX_NAME_CHARS,
                },
            ));
        }
        if text.chars().any(char::is_control) {
            return Err(self.fail(Some(at), K::ControlCharacter));
        }
        Ok(())
    }

    fn description(&self, description: Option<&str>) -> Checked {
        match description {
            Some(d) if longer_than(d, MAX_DESCRIPTION_CHARS) => Err(self.at_attr(
                Attr::Description,
                K::TooLong {
                    max: MAX_DESCRIPTION_CHARS,
                },
            )),
            _ => Ok(()),
        }
    }

    /// `depth` is how many structs enclose the list's owner.
    fn fields(&mut self, list: List, fields: &'m [FieldDef], depth: usize) -> Checked {
        if fields.len() > MAX_FIELDS {
            return Err(self.fail(Some(Seg::List(list)), K::TooMany { max: MAX_FIELDS }));
        }
        let mut seen = HashSet::new();
        for (i, f) in fields.iter().enumerate() {
            self.path.push(Seg::Entry(list, i, &f.identifier));
            self.identifier(&f.identifier, &mut seen, &[])?;
            self.name(&f.name, Seg::Attr(Attr::Name))?;
            self.path.push(Seg::DataType);
            self.data_type(&f.data_type, depth)?;
            self.path.pop();
            self.path.pop();
        }
        Ok(())
    }

    fn units(&self, unit: &Option<String>, unit_name: &Option<String>) -> Checked {
        if let Some(u) = unit {
            self.label(u, Seg::Attr(Attr::Unit))?;
        }
        if let Some(u) = unit_name {
            self.label(u, Seg::Attr(Attr::UnitName))?;
        }
        Ok(())
    }

    fn data_type(&mut self, dt: &'m DataType, depth: usize) -> Checked {
        match dt {
            DataType::Int {
                min,
                max,
                step,
                unit,
                unit_name,
            } => {
                if let (Some(lo), Some(hi)) = (min, max)
                    && lo > hi
                {
                    return Err(self.at_attr(Attr::Min, K::MinGreaterThanMax));
                }
                if step.is_some_and(|s| s <= 0) {
                    return Err(self.at_attr(Attr::Step, K::NonPositiveStep));
                }
                self.units(unit, unit_name)
            }
            DataType::Float {
                min,
                max,
                step,
                unit,
                unit_name,
            }
            | DataType::Double {
                min,
                max,
                step,
                unit,
                unit_name,
            } => {
                for (v, attr) in [(min, Attr::Min), (max, Attr::Max), (step, Attr::Step)] {
                    if v.is_some_and(|v| !v.is_finite()) {
                        return Err(self.at_attr(attr, K::NotFinite));
                    }
                }
                if let (Some(lo), Some(hi)) = (min, max)
                    && lo > hi
                {
                    return Err(self.at_attr(Attr::Min, K::MinGreaterThanMax));
                }
                if step.is_some_and(|s| s <= 0.0) {
                    return Err(self.at_attr(Attr::Step, K::NonPositiveStep));
                }
                self.units(unit, unit_name)
            }
            DataType::Bool {
                true_label,
                false_label,
            } => {
                if let Some(l) = true_label {
                    self.label(l, Seg::Attr(Attr::TrueLabel))?;
                }
                if let Some(l) = false_label {
                    self.label(l, Seg::Attr(Attr::FalseLabel))?;
                }
                Ok(())
            }
            DataType::Enum { values } => {
                if values.is_empty() || values.len() > MAX_ENUM_VALUES {
                    return Err(self.at_attr(
                        Attr::Values,
                        K::EnumValueCount {
                            count: values.len(),
                        },
                    ));
                }
                for (key, label) in values {
                    // Canonical form only: values are matched by their decimal string.
                    if key.parse::<i32>().map(|n| n.to_string()).as_deref() != Ok(key.as_str()) {
                        return Err(self.at_attr(Attr::Values, K::InvalidEnumKey(clip(key))));
                    }
                    self.name(label, Seg::EnumLabel(key))?;
                }
                Ok(())
            }
            DataType::Text { max_length } => match max_length {
                Some(n) if !(1..=MAX_TEXT_LENGTH).contains(n) => Err(self.at_attr(
                    Attr::MaxLength,
                    K::NotInRange {
                        min: 1,
                        max: MAX_TEXT_LENGTH.into(),
                    },
                )),
                _ => Ok(()),
            },
            DataType::Date => Ok(()),
            DataType::Struct { fields } => {
                if depth >= MAX_STRUCT_DEPTH {
                    return Err(self.fail(
                        Some(Seg::List(List::StructFields)),
                        K::NestingTooDeep {
                            max: MAX_STRUCT_DEPTH,
                        },
                    ));
                }
                self.fields(List::StructFields, fields, depth + 1)
            }
            DataType::Array { size, item } => {
                if !(1..=MAX_ARRAY_SIZE).contains(size) {
                    return Err(self.at_attr(
                        Attr::Size,
                        K::NotInRange {
                            min: 1,
                            max: MAX_ARRAY_SIZE.into(),
                        },
                    ));
                }
                if matches!(**item, DataType::Array { .. }) {
                    return Err(self.fail(Some(Seg::Item), K::NestedArray));
                }
                self.path.push(Seg::Item);
                self.data_type(item, depth)?;
                self.path.pop();
                Ok(())
            }
        }
    }
}

impl ThingModel {
    /// Checks every rule a stored model must follow; the error's path uses model field names,
    /// e.g. `properties[0].data_type.min`.
    pub fn validate(&self) -> Result<(), ThingModelError> {
        validate(self, PathStyle::Model)
    }
}

#[cfg(test)]
mod tests {
    use super::super::{AccessMode, EventDef, EventLevel, PropertyDef, ServiceDef};
    use super::*;
    use std::collections::BTreeMap;

    fn int(min: Option<i64>, max: Option<i64>, step: Option<i64>) -> DataType {
        DataType::Int {
            min,
            max,
            step,
            unit: None,
            unit_name: None,
        }
    }

    fn float(min: Option<f64>, max: Option<f64>, step: Option<f64>) -> DataType {
        DataType::Float {
            min,
            max,
            step,
            unit: None,
            unit_name: None,
        }
    }

    fn prop(id: &str, dt: DataType) -> PropertyDef {
        PropertyDef {
            identifier: id.into(),
            name: format!("{id} name"),
            description: None,
            access: AccessMode::ReadOnly,
            required: false,
            data_type: dt,
        }
    }

    fn field(id: &str, dt: DataType) -> FieldDef {
        FieldDef {
            identifier: id.into(),
            name: id.into(),
            data_type: dt,
        }
    }

    fn event(id: &str, output: Vec<FieldDef>) -> EventDef {
        EventDef {
            identifier: id.into(),
            name: id.into(),
            description: None,
            level: EventLevel::Info,
            required: false,
            output,
        }
    }

    fn service(id: &str, input: Vec<FieldDef>) -> ServiceDef {
        ServiceDef {
            identifier: id.into(),
            name: id.into(),
            description: None,
            call_type: Default::default(),
            required: false,
            input,
            output: vec![],
        }
    }

    fn with_props(props: Vec<PropertyDef>) -> ThingModel {
        ThingModel {
            properties: props,
            ..Default::default()
        }
    }

    fn one(dt: DataType) -> ThingModel {
        with_props(vec![prop("p", dt)])
    }

    #[track_caller]
    fn fails(m: &ThingModel, path: &str, kind: K) {
        let e = m.validate().expect_err("model should be invalid");
        assert_eq!((e.path.as_str(), &e.kind), (path, &kind), "{e}");
    }

    fn nested_struct(levels: usize) -> DataType {
        let mut dt = DataType::Date;
        for i in 0..levels {
            dt = DataType::Struct {
                fields: vec![field(&format!("f{i}"), dt)],
            };
        }
        dt
    }

    #[test]
    fn a_full_model_is_valid() {
        let m = ThingModel {
            properties: vec![
                prop("Flow", float(Some(0.0), Some(500.0), Some(0.1))),
                prop("Speed", int(Some(0), Some(2900), Some(1))),
                prop(
                    "State",
                    DataType::Enum {
                        values: BTreeMap::from([
                            ("0".into(), "停机".into()),
                            ("-1".into(), "故障".into()),
                        ]),
                    },
                ),
                prop(
                    "Tags",
                    DataType::Array {
                        size: 512,
                        item: Box::new(nested_struct(4)),
                    },
                ),
                prop(
                    "Note",
                    DataType::Text {
                        max_length: Some(10240),
                    },
                ),
            ],
            events: vec![event("Overheat", vec![field("T", float(None, None, None))])],
            services: vec![service("Start", vec![field("Ramp", int(None, None, None))])],
        };
        m.validate().unwrap();
        ThingModel::default().validate().unwrap();
    }

    #[test]
    fn identifiers_follow_the_pattern() {
        for ok in ["a", "_", "A_9", &"x".repeat(64)] {
            assert!(is_identifier(ok), "{ok}");
        }
        for bad in ["", "9a", "a-b", "流量", "a b", &"x".repeat(65)] {
            assert!(!is_identifier(bad), "{bad}");
        }
        fails(
            &with_props(vec![prop("9a", DataType::Date)]),
            "properties[0].identifier",
            K::InvalidIdentifier("9a".into()),
        );
    }

    #[test]
    fn identifiers_are_unique_per_list() {
        let m = with_props(vec![
            prop("a", DataType::Date),
            prop("b", DataType::Date),
            prop("a", DataType::Date),
        ]);
        fails(
            &m,
            "properties[2].identifier",
            K::DuplicateIdentifier("a".into()),
        );
        // The same identifier in different lists is fine.
        let m = ThingModel {
            properties: vec![prop("a", DataType::Date)],
            events: vec![event("a", vec![])],
            services: vec![service("a", vec![])],
        };
        m.validate().unwrap();
        let m = ThingModel {
            events: vec![event(
                "e",
                vec![field("x", DataType::Date), field("x", DataType::Date)],
            )],
            ..Default::default()
        };
        fails(
            &m,
            "events[0].output[1].identifier",
            K::DuplicateIdentifier("x".into()),
        );
        let m = one(DataType::Struct {
            fields: vec![field("x", DataType::Date), field("x", DataType::Date)],
        });
        fails(
            &m,
            "properties[0].data_type.fields[1].identifier",
            K::DuplicateIdentifier("x".into()),
        );
    }

    #[test]
    fn tsl_standard_identifiers_are_reserved() {
        let m = ThingModel {
            events: vec![event("post", vec![])],
            ..Default::default()
        };
        fails(
            &m,
            "events[0].identifier",
            K::ReservedIdentifier("post".into()),
        );
        for id in ["set", "get"] {
            let m = ThingModel {
                services: vec![service(id, vec![])],
                ..Default::default()
            };
            fails(
                &m,
                "services[0].identifier",
                K::ReservedIdentifier(id.into()),
            );
        }
        // Only for the kind of item TSL reserves them for.
        with_props(vec![
            prop("post", DataType::Date),
            prop("set", DataType::Date),
        ])
        .validate()
        .unwrap();
    }

    #[test]
    fn names_are_checked() {
        let mut p = prop("a", DataType::Date);
        p.name = " ".into();
        fails(
            &with_props(vec![p.clone()]),
            "properties[0].name",
            K::EmptyName,
        );
        p.name = "x".repeat(129);
        fails(
            &with_props(vec![p.clone()]),
            "properties[0].name",
            K::TooLong { max: 128 },
        );
        p.name = "流".repeat(128);
        with_props(vec![p.clone()]).validate().unwrap();
        p.name = "a\nb".into();
        fails(
            &with_props(vec![p.clone()]),
            "properties[0].name",
            K::ControlCharacter,
        );
        p.name = "ok".into();
        p.description = Some("d".repeat(1025));
        fails(
            &with_props(vec![p.clone()]),
            "properties[0].description",
            K::TooLong { max: 1024 },
        );
        p.description = Some("line one\nline two".into());
        with_props(vec![p]).validate().unwrap();
        let m = ThingModel {
            services: vec![service("s", vec![field("f", DataType::Date)])],
            ..Default::default()
        };
        let mut bad = m.clone();
        bad.services[0].input[0].name = String::new();
        fails(&bad, "services[0].input[0].name", K::EmptyName);
    }

    #[test]
    fn numeric_ranges_are_checked() {
        fails(
            &one(int(Some(5), Some(1), None)),
            "properties[0].data_type.min",
            K::MinGreaterThanMax,
        );
        one(int(Some(5), Some(5), None)).validate().unwrap();
        fails(
            &one(int(None, None, Some(0))),
            "properties[0].data_type.step",
            K::NonPositiveStep,
        );
        fails(
            &one(float(Some(1.5), Some(1.0), None)),
            "properties[0].data_type.min",
            K::MinGreaterThanMax,
        );
        fails(
            &one(float(None, None, Some(-0.1))),
            "properties[0].data_type.step",
            K::NonPositiveStep,
        );
        fails(
            &one(float(Some(f64::NAN), None, None)),
            "properties[0].data_type.min",
            K::NotFinite,
        );
        fails(
            &one(float(None, Some(f64::INFINITY), None)),
            "properties[0].data_type.max",
            K::NotFinite,
        );
        let double = DataType::Double {
            min: None,
            max: None,
            step: Some(f64::NAN),
            unit: None,
            unit_name: None,
        };
        fails(&one(double), "properties[0].data_type.step", K::NotFinite);
    }

    #[test]
    fn enums_are_checked() {
        let e = |pairs: &[(&str, &str)]| DataType::Enum {
            values: pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        };
        fails(
            &one(e(&[])),
            "properties[0].data_type.values",
            K::EnumValueCount { count: 0 },
        );
        let many: Vec<(String, String)> =
            (0..257).map(|i| (i.to_string(), format!("v{i}"))).collect();
        let big = DataType::Enum {
            values: many.into_iter().collect(),
        };
        fails(
            &one(big),
            "properties[0].data_type.values",
            K::EnumValueCount { count: 257 },
        );
        fails(
            &one(e(&[("a", "x")])),
            "properties[0].data_type.values",
            K::InvalidEnumKey("a".into()),
        );
        fails(
            &one(e(&[("01", "x")])),
            "properties[0].data_type.values",
            K::InvalidEnumKey("01".into()),
        );
        fails(
            &one(e(&[("4294967296", "x")])),
            "properties[0].data_type.values",
            K::InvalidEnumKey("4294967296".into()),
        );
        fails(
            &one(e(&[("1", "")])),
            "properties[0].data_type.values.1",
            K::EmptyName,
        );
        one(e(&[("-2147483648", "min"), ("2147483647", "max")]))
            .validate()
            .unwrap();
    }

    #[test]
    fn text_array_and_struct_limits() {
        fails(
            &one(DataType::Text {
                max_length: Some(10241),
            }),
            "properties[0].data_type.max_length",
            K::NotInRange { min: 1, max: 10240 },
        );
        fails(
            &one(DataType::Text {
                max_length: Some(0),
            }),
            "properties[0].data_type.max_length",
            K::NotInRange { min: 1, max: 10240 },
        );
        one(DataType::Text { max_length: None }).validate().unwrap();
        let arr = |size, item| DataType::Array {
            size,
            item: Box::new(item),
        };
        fails(
            &one(arr(0, DataType::Date)),
            "properties[0].data_type.size",
            K::NotInRange { min: 1, max: 512 },
        );
        fails(
            &one(arr(513, DataType::Date)),
            "properties[0].data_type.size",
            K::NotInRange { min: 1, max: 512 },
        );
        fails(
            &one(arr(2, arr(2, DataType::Date))),
            "properties[0].data_type.item",
            K::NestedArray,
        );
        fails(
            &one(arr(2, int(Some(3), Some(2), None))),
            "properties[0].data_type.item.min",
            K::MinGreaterThanMax,
        );
        one(nested_struct(4)).validate().unwrap();
        fails(
            &one(nested_struct(5)),
            "properties[0].data_type.fields[0].data_type.fields[0].data_type.fields[0].data_type.fields[0].data_type.fields",
            K::NestingTooDeep { max: 4 },
        );
        // Arrays don't reset the depth.
        let deep = DataType::Struct {
            fields: vec![field("a", arr(2, nested_struct(4)))],
        };
        assert_eq!(
            one(deep).validate().unwrap_err().kind,
            K::NestingTooDeep { max: 4 }
        );
    }

    #[test]
    fn list_sizes_are_limited() {
        let props = (0..1001)
            .map(|i| prop(&format!("p{i}"), DataType::Date))
            .collect();
        fails(&with_props(props), "properties", K::TooMany { max: 1000 });
        let events = (0..201).map(|i| event(&format!("e{i}"), vec![])).collect();
        fails(
            &ThingModel {
                events,
                ..Default::default()
            },
            "events",
            K::TooMany { max: 200 },
        );
        let services = (0..201)
            .map(|i| service(&format!("s{i}"), vec![]))
            .collect();
        fails(
            &ThingModel {
                services,
                ..Default::default()
            },
            "services",
            K::TooMany { max: 200 },
        );
        let fields: Vec<_> = (0..101)
            .map(|i| field(&format!("f{i}"), DataType::Date))
            .collect();
        fails(
            &ThingModel {
                events: vec![event("e", fields.clone())],
                ..Default::default()
            },
            "events[0].output",
            K::TooMany { max: 100 },
        );
        fails(
            &one(DataType::Struct { fields }),
            "properties[0].data_type.fields",
            K::TooMany { max: 100 },
        );
    }

    #[test]
    fn labels_and_units_are_checked() {
        let dt = DataType::Bool {
            true_label: Some("开\u{7}".into()),
            false_label: None,
        };
        fails(
            &one(dt),
            "properties[0].data_type.true_label",
            K::ControlCharacter,
        );
        let dt = DataType::Int {
            min: None,
            max: None,
            step: None,
            unit: Some("u".repeat(129)),
            unit_name: None,
        };
        fails(
            &one(dt),
            "properties[0].data_type.unit",
            K::TooLong { max: 128 },
        );
    }

    #[test]
    fn paths_render_in_document_terms() {
        let m = ThingModel {
            events: vec![event(
                "E",
                vec![field(
                    "S",
                    DataType::Struct {
                        fields: vec![field("x", int(Some(2), Some(1), None))],
                    },
                )],
            )],
            ..Default::default()
        };
        let wot = validate(&m, PathStyle::Wot).unwrap_err();
        assert_eq!(wot.path, "events.E.data.properties.S.properties.x.minimum");
        let tsl = validate(
            &m,
            PathStyle::Tsl {
                events: &[1],
                services: &[],
            },
        )
        .unwrap_err();
        assert_eq!(
            tsl.path,
            "events[1].outputData[0].dataType.specs[0].dataType.specs.min"
        );
        let m = ThingModel {
            services: vec![service("s", vec![]), service("bad-id", vec![])],
            ..Default::default()
        };
        assert_eq!(
            validate(&m, PathStyle::Wot).unwrap_err().path,
            "actions.bad-id"
        );
        let m = one(DataType::Array {
            size: 0,
            item: Box::new(DataType::Date),
        });
        assert_eq!(
            validate(&m, PathStyle::Wot).unwrap_err().path,
            "properties.p.maxItems"
        );
        assert_eq!(
            validate(
                &m,
                PathStyle::Tsl {
                    events: &[],
                    services: &[]
                }
            )
            .unwrap_err()
            .path,
            "properties[0].dataType.specs.size"
        );
    }

    #[test]
    fn huge_identifiers_are_clipped_in_errors() {
        let id = "-".repeat(1_000_000);
        let e = with_props(vec![prop(&id, DataType::Date)])
            .validate()
            .unwrap_err();
        match e.kind {
            K::InvalidIdentifier(shown) => assert!(shown.len() < 100),
            other => panic!("{other:?}"),
        }
    }
}
