//! Thing models through every format and back, against hand-written fixtures.

// In tests a failed unwrap is a failed test, with the reason in the panic message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use ironloom_core::i18n::Locale;
use ironloom_core::thing_model::{
    AccessMode, CallType, DataType, EventLevel, JsonType, ThingModel, ThingModelError,
    ThingModelErrorKind as K, TmMeta,
};
use serde_json::{Value, json};

fn fixture(name: &str) -> Value {
    let path = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("run by cargo"))
        .join("tests/fixtures/thing_models")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path:?}: {e}"))
}

/// The first place two JSON values differ, for readable failures.
fn first_difference(a: &Value, b: &Value, path: &str) -> Option<String> {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for key in x.keys().chain(y.keys()) {
                let p = format!("{path}.{key}");
                match (x.get(key), y.get(key)) {
                    (Some(u), Some(v)) => {
                        if let Some(d) = first_difference(u, v, &p) {
                            return Some(d);
                        }
                    }
                    (u, v) => return Some(format!("{p}: {u:?} vs {v:?}")),
                }
            }
            None
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => x
            .iter()
            .zip(y)
            .enumerate()
            .find_map(|(i, (u, v))| first_difference(u, v, &format!("{path}[{i}]"))),
        _ if a == b => None,
        _ => Some(format!("{path}: {a} vs {b}")),
    }
}

#[track_caller]
fn assert_json_eq(actual: &Value, expected: &Value) {
    if let Some(d) = first_difference(actual, expected, "$") {
        panic!("JSON differs (actual vs expected) at {d}");
    }
}

/// Every key and value of `original` is in `exported`; numbers compare by value.
fn assert_kept(original: &Value, exported: &Value, path: &str) {
    match (original, exported) {
        (Value::Object(o), Value::Object(e)) => {
            for (key, value) in o {
                let p = format!("{path}.{key}");
                let found = e.get(key).unwrap_or_else(|| panic!("{p} was dropped"));
                assert_kept(value, found, &p);
            }
        }
        (Value::Array(o), Value::Array(e)) => {
            assert_eq!(o.len(), e.len(), "{path} changed length");
            for (i, (u, v)) in o.iter().zip(e).enumerate() {
                assert_kept(u, v, &format!("{path}[{i}]"));
            }
        }
        (Value::Number(o), Value::Number(e)) => {
            assert_eq!(o.as_f64(), e.as_f64(), "{path} changed");
        }
        _ => assert_eq!(original, exported, "{path} changed"),
    }
}

fn pump_meta() -> TmMeta {
    let extensions = json!({
        "ironloom:productKey": "a1PumpDemo",
        "ironloom:industry": "C3441",
        "ironloom:category": "pump",
        "ironloom:protocol": "mqtt"
    });
    TmMeta {
        title: "CP-100 离心泵".into(),
        description: Some("单级离心泵，变频调速".into()),
        version: Some("1.0.0".into()),
        extensions: extensions.as_object().cloned().unwrap_or_default(),
    }
}

#[test]
fn tsl_round_trips_exactly() {
    for (name, product_key) in [
        ("pump.tsl.json", "a1PumpDemo"),
        ("cnc.tsl.json", "a1CncVmc850"),
    ] {
        let doc = fixture(name);
        let (model, pk) = ThingModel::from_tsl(&doc).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(pk.as_deref(), Some(product_key));
        model.validate().unwrap();
        assert_json_eq(&model.to_tsl(product_key), &doc);
    }
}

#[test]
fn pump_tsl_has_what_the_fixture_says() {
    let (m, _) = ThingModel::from_tsl(&fixture("pump.tsl.json")).unwrap();
    let ids: Vec<_> = m.properties.iter().map(|p| p.identifier.as_str()).collect();
    assert_eq!(
        ids,
        [
            "Flow",
            "SpeedSetpoint",
            "RunState",
            "FirmwareVersion",
            "LastMaintenance",
            "EnergyTotal",
            "Vibration",
            "PhaseCurrents",
            "RemoteEnabled"
        ]
    );
    let events: Vec<_> = m
        .events
        .iter()
        .map(|e| (e.identifier.as_str(), e.level))
        .collect();
    assert_eq!(
        events,
        [
            ("Overheat", EventLevel::Alert),
            ("MotorFault", EventLevel::Error)
        ],
        "the standard post event is not part of the model"
    );
    let services: Vec<_> = m
        .services
        .iter()
        .map(|s| (s.identifier.as_str(), s.call_type))
        .collect();
    assert_eq!(
        services,
        [("Start", CallType::Sync), ("Stop", CallType::Async)]
    );
    assert!(m.properties[2].required);
    assert_eq!(m.properties[8].access, AccessMode::WriteOnly);
    assert_eq!(
        m.properties[5].data_type,
        DataType::Double {
            min: Some(0.0),
            max: Some(99_999_999.99),
            step: Some(0.01),
            unit: Some("kW·h".into()),
            unit_name: Some("千瓦时".into()),
        }
    );
    assert!(
        matches!(&m.properties[7].data_type, DataType::Array { size: 3, item } if matches!(**item, DataType::Float { .. }))
    );
}

#[test]
fn wot_tm_round_trips_exactly() {
    let doc = fixture("pump.tm.json");
    let (model, meta) = ThingModel::from_wot(&doc).unwrap();
    assert_eq!(meta, pump_meta());
    assert_json_eq(&model.to_wot_tm(&meta), &doc);
}

#[test]
fn tsl_and_tm_fixtures_describe_the_same_pump() {
    let (from_tsl, _) = ThingModel::from_tsl(&fixture("pump.tsl.json")).unwrap();
    let (from_tm, _) = ThingModel::from_wot(&fixture("pump.tm.json")).unwrap();
    assert_eq!(from_tsl, from_tm);
    // So each exporter, fed from the other format, writes its fixture.
    assert_json_eq(&from_tsl.to_wot_tm(&pump_meta()), &fixture("pump.tm.json"));
    assert_json_eq(&from_tm.to_tsl("a1PumpDemo"), &fixture("pump.tsl.json"));
}

#[test]
fn tsl_to_wot_to_model_is_lossless() {
    for name in ["pump.tsl.json", "cnc.tsl.json"] {
        let (model, _) = ThingModel::from_tsl(&fixture(name)).unwrap();
        let meta = TmMeta {
            title: name.into(),
            ..TmMeta::default()
        };
        let tm = model.to_wot_tm(&meta);
        let (back, back_meta) = ThingModel::from_wot(&tm).unwrap();
        assert_eq!(back, model, "{name}");
        assert_eq!(back_meta, meta, "{name}");
        // Via text, as it is stored, and via the API's own JSON shape.
        let (reparsed, _) =
            ThingModel::from_wot(&serde_json::from_str(&tm.to_string()).unwrap()).unwrap();
        assert_eq!(reparsed, model, "{name} via text");
        let api: ThingModel =
            serde_json::from_value(serde_json::to_value(&model).unwrap()).unwrap();
        assert_eq!(api, model, "{name} via the API shape");
    }
}

#[test]
fn third_party_td_keeps_every_original_key() {
    let td = fixture("third_party.td.json");
    let (model, meta) = ThingModel::from_wot(&td).unwrap();
    let tm = model.to_wot_tm(&meta);

    // @context and @type change by design: the TM context and type come first.
    let mut original = td.clone();
    let mut exported = tm.clone();
    let (ctx, types) = (original["@context"].take(), original["@type"].take());
    for entry in ctx.as_array().unwrap() {
        assert!(
            exported["@context"].as_array().unwrap().contains(entry),
            "context entry {entry} dropped"
        );
    }
    assert_eq!(types, json!(["Thing", "saref:LightSwitch"]));
    assert_eq!(
        exported["@type"],
        json!(["tm:ThingModel", "saref:LightSwitch"])
    );
    exported["@context"].take();
    exported["@type"].take();
    assert_kept(&original, &exported, "$");

    // What the model made of it.
    let p = |id: &str| {
        model
            .properties
            .iter()
            .find(|p| p.identifier == id)
            .unwrap()
    };
    assert_eq!(p("status").data_type, DataType::Text { max_length: None });
    assert_eq!(
        p("status").name,
        "status",
        "no title: the identifier names it"
    );
    assert_eq!(p("status").access, AccessMode::ReadOnly);
    assert_eq!(p("brightness").access, AccessMode::ReadWrite);
    assert_eq!(
        p("lastChanged").data_type,
        DataType::Text { max_length: None }
    );
    assert!(
        matches!(p("temperature").data_type, DataType::Double { min: Some(m), .. } if m == -20.5)
    );
    match &p("colour").data_type {
        DataType::Struct { fields } => assert_eq!(fields.len(), 3),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        p("history").data_type,
        DataType::Array { size: 100, .. }
    ));
    let fade = model
        .services
        .iter()
        .find(|s| s.identifier == "fade")
        .unwrap();
    assert_eq!(fade.call_type, CallType::Sync);
    assert_eq!(fade.input.len(), 3);
    assert_eq!(
        fade.output[0].data_type,
        DataType::Bool {
            true_label: None,
            false_label: None
        }
    );
    assert_eq!(
        model.events[0].output[0].data_type,
        DataType::Text { max_length: None }
    );
    assert_eq!(meta.title, "MyLampThing");
    assert_eq!(
        meta.extensions["id"],
        "urn:uuid:0804d572-cce8-422a-bb7c-4412fcd56f06"
    );
    assert_eq!(
        meta.extensions["ironloom:affordanceExtras"]["properties"]["brightness"]["forms"][0]["href"],
        "brightness"
    );

    // The exported TM is a fixed point: importing it again changes nothing.
    let (again, again_meta) = ThingModel::from_wot(&tm).unwrap();
    assert_eq!(again, model);
    assert_eq!(again_meta, meta);
    assert_json_eq(&again.to_wot_tm(&again_meta), &tm);
    // And the model is fine for TSL too.
    let (via_tsl, _) = ThingModel::from_tsl(&model.to_tsl("pk")).unwrap();
    assert_eq!(via_tsl, model);
}

#[test]
fn imported_models_check_device_values() {
    let (m, _) = ThingModel::from_tsl(&fixture("cnc.tsl.json")).unwrap();
    let dt = |id: &str| {
        &m.properties
            .iter()
            .find(|p| p.identifier == id)
            .unwrap()
            .data_type
    };
    dt("ToolWear")
        .check_value(&json!({"ToolNo": 3, "LengthWear": 0.012}))
        .unwrap();
    let e = dt("ToolWear")
        .check_value(&json!({"ToolNo": 30}))
        .unwrap_err();
    assert_eq!(e.to_string(), "ToolNo: must be at most 24");
    assert_eq!(e.message(Locale::ZhCn), "不能大于 24");
    dt("AxisPositions")
        .check_value(&json!([1.5, -2.25, 0, 0, 90]))
        .unwrap();
    assert_eq!(
        dt("AxisPositions")
            .check_value(&json!([0, 0, 2000.5]))
            .unwrap_err()
            .path,
        "[2]"
    );
    dt("AlarmCode").check_value(&json!(1002)).unwrap();
    assert!(dt("AlarmCode").check_value(&json!(1004)).is_err());
    dt("LastCycleStart")
        .check_value(&json!(1_718_000_000_000_i64))
        .unwrap();
}

#[track_caller]
fn tsl_error(doc: &Value) -> ThingModelError {
    match ThingModel::from_tsl(doc) {
        Ok(_) => panic!("TSL should be rejected"),
        Err(e) => e,
    }
}

#[track_caller]
fn wot_error(doc: &Value) -> ThingModelError {
    match ThingModel::from_wot(doc) {
        Ok(_) => panic!("TM should be rejected"),
        Err(e) => e,
    }
}

#[test]
fn malformed_tsl_is_rejected_with_path_and_kind() {
    let pump = fixture("pump.tsl.json");
    let e = tsl_error(&json!([pump.clone()]));
    assert_eq!(
        (e.path.as_str(), e.kind),
        ("", K::WrongJsonType(JsonType::Object))
    );

    let mut doc = pump.clone();
    doc["properties"][1]
        .as_object_mut()
        .unwrap()
        .remove("dataType");
    let e = tsl_error(&doc);
    assert_eq!(
        (e.path.as_str(), e.kind),
        ("properties[1].dataType", K::MissingField)
    );

    let mut doc = pump.clone();
    doc["properties"][0]["dataType"]["type"] = json!("decimal");
    let e = tsl_error(&doc);
    assert_eq!(e.path, "properties[0].dataType.type");
    assert_eq!(e.kind, K::UnsupportedType("decimal".into()));

    let mut doc = pump.clone();
    doc["properties"][0]["dataType"]["specs"]["min"] = json!("abc");
    let e = tsl_error(&doc);
    assert_eq!(
        (e.path.as_str(), e.kind),
        (
            "properties[0].dataType.specs.min",
            K::InvalidNumber("abc".into())
        )
    );

    let mut doc = pump.clone();
    doc["properties"][3]["identifier"] = json!("Flow");
    let e = tsl_error(&doc);
    assert_eq!(
        (e.path.as_str(), e.kind.clone()),
        (
            "properties[3].identifier",
            K::DuplicateIdentifier("Flow".into())
        )
    );
    assert_eq!(e.message(Locale::ZhCn), "标识符重复：`Flow`");
    assert_eq!(
        e.to_string(),
        "properties[3].identifier: duplicate identifier `Flow`"
    );

    let mut doc = pump.clone();
    doc["properties"][1]["dataType"]["specs"]["min"] = json!("3000");
    let e = tsl_error(&doc);
    assert_eq!(
        (e.path.as_str(), e.kind.clone()),
        ("properties[1].dataType.specs.min", K::MinGreaterThanMax)
    );
    assert_eq!(e.message(Locale::ZhCn), "最小值大于最大值");
    assert_eq!(e.message(Locale::En), "minimum is greater than maximum");

    // A user event after the standard `post`: the path counts the document's items.
    let mut doc = fixture("cnc.tsl.json");
    doc["events"][2]["outputData"][1]["dataType"]["specs"]["max"] = json!("-1");
    let e = tsl_error(&doc);
    assert_eq!(e.path, "events[2].outputData[1].dataType.specs.min");
    assert_eq!(e.kind, K::MinGreaterThanMax);

    // Absurdly long names fail fast with a short message.
    let mut doc = pump;
    doc["properties"][0]["name"] = json!("泵".repeat(3_500_000));
    let e = tsl_error(&doc);
    assert_eq!(
        (e.path.as_str(), e.kind.clone()),
        ("properties[0].name", K::TooLong { max: 128 })
    );
    assert!(e.to_string().len() < 100);
}

#[test]
fn malformed_wot_is_rejected_with_path_and_kind() {
    let tm = fixture("pump.tm.json");
    let e = wot_error(&json!("pump"));
    assert_eq!(
        (e.path.as_str(), e.kind),
        ("", K::WrongJsonType(JsonType::Object))
    );

    let mut doc = tm.clone();
    doc["@type"] = json!("saref:Pump");
    let e = wot_error(&doc);
    assert_eq!(
        (e.path.as_str(), e.kind),
        ("@type", K::WrongThingType("saref:Pump".into()))
    );

    let mut doc = tm.clone();
    doc["properties"]["Flow"]
        .as_object_mut()
        .unwrap()
        .remove("type");
    let e = wot_error(&doc);
    assert_eq!(
        (e.path.as_str(), e.kind),
        ("properties.Flow.type", K::MissingField)
    );

    let mut doc = tm.clone();
    doc["properties"]["Flow"]["type"] = json!("null");
    let e = wot_error(&doc);
    assert_eq!(
        (e.path.as_str(), e.kind),
        ("properties.Flow.type", K::UnsupportedType("null".into()))
    );

    let mut doc = tm.clone();
    doc["properties"]["Flow"]["minimum"] = json!(600);
    let e = wot_error(&doc);
    assert_eq!(
        (e.path.as_str(), e.kind),
        ("properties.Flow.minimum", K::MinGreaterThanMax)
    );

    let mut doc = tm.clone();
    doc["events"]["MotorFault"]["data"]["properties"]["FaultCode"]["enum"] = json!([]);
    let e = wot_error(&doc);
    assert_eq!(
        (e.path.as_str(), e.kind),
        (
            "events.MotorFault.data.properties.FaultCode.ironloom:enumLabels.1",
            K::EnumLabelWithoutValue("1".into())
        )
    );

    let mut doc = tm.clone();
    doc["actions"]["Start"]["input"]["properties"]["RampSeconds"]["multipleOf"] = json!(0);
    let e = wot_error(&doc);
    assert_eq!(
        (e.path.as_str(), e.kind),
        (
            "actions.Start.input.properties.RampSeconds.multipleOf",
            K::NonPositiveStep
        )
    );

    let mut doc = tm;
    doc["properties"]["Flow"]["title"] = json!("x".repeat(10_000_000));
    let e = wot_error(&doc);
    assert_eq!(
        (e.path.as_str(), e.kind),
        ("properties.Flow.title", K::TooLong { max: 128 })
    );
}
