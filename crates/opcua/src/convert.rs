//! Between OPC UA values and ours: a DataValue becomes a [`Sample`] (value, source time,
//! quality), and a [`Value`] to write becomes a Variant of the node's data type, or is
//! refused when it does not fit.

use std::sync::Arc;

use ironloom_drivers::Sample;
use ironloom_drivers::model::{Quality, Value};
use opcua::types::{
    DataTypeId, DataValue, DateTime, NodeId, StatusCode, Variant, VariantScalarTypeId,
};

/// The status code's symbolic name, e.g. `BadNodeIdUnknown` (what operators look up).
pub fn status_name(s: StatusCode) -> String {
    let sub = s.sub_code();
    if matches!(sub, opcua::types::SubStatusCode::Invalid) {
        format!("StatusCode(0x{:08X})", s.bits())
    } else {
        sub.name().to_owned()
    }
}

/// Milliseconds since the Unix epoch, or `None` for the null (unset) time.
pub fn to_unix_ms(t: &DateTime) -> Option<i64> {
    if t.is_null() {
        None
    } else {
        Some(t.as_chrono().timestamp_millis())
    }
}

pub fn now_ms() -> i64 {
    to_unix_ms(&DateTime::now()).unwrap_or_default()
}

/// Our value for a scalar variant of a supported type, else the name of its type.
pub fn variant_to_value(v: &Variant) -> Result<Value, String> {
    Ok(match v {
        Variant::Boolean(b) => Value::Bool(*b),
        Variant::SByte(n) => Value::I64((*n).into()),
        Variant::Byte(n) => Value::I64((*n).into()),
        Variant::Int16(n) => Value::I64((*n).into()),
        Variant::UInt16(n) => Value::I64((*n).into()),
        Variant::Int32(n) => Value::I64((*n).into()),
        Variant::UInt32(n) => Value::I64((*n).into()),
        Variant::Int64(n) => Value::I64(*n),
        // Above i64::MAX only a float can hold it (as the JSON ingest does).
        Variant::UInt64(n) => i64::try_from(*n).map_or(Value::F64(*n as f64), Value::I64),
        Variant::Float(f) => Value::F64((*f).into()),
        Variant::Double(f) => Value::F64(*f),
        Variant::String(s) => Value::Str(s.as_ref().to_owned()),
        other => return Err(variant_type_name(other)),
    })
}

fn variant_type_name(v: &Variant) -> String {
    match v {
        Variant::Empty => "Null".into(),
        Variant::Array(a) => format!("Array of {:?}", a.value_type),
        other => match other.scalar_type_id() {
            Some(t) => format!("{t:?}"),
            None => "Null".into(),
        },
    }
}

/// The sample of one point from a DataValue: the source time when the server sent one,
/// else the server time, else `now_ms`; bad status codes give a bad sample named after the
/// code, uncertain ones an uncertain sample with the value.
pub fn sample_from(device: &Arc<str>, point: &Arc<str>, dv: &DataValue, now_ms: i64) -> Sample {
    let ts = dv
        .source_timestamp
        .as_ref()
        .and_then(to_unix_ms)
        .or_else(|| dv.server_timestamp.as_ref().and_then(to_unix_ms))
        .unwrap_or(now_ms);
    let status = dv.status();
    if status.is_bad() {
        return Sample::bad(device, point, ts, status_name(status).into());
    }
    let value = match dv.value.as_ref() {
        None | Some(Variant::Empty) => {
            return Sample::bad(device, point, ts, "no value".into());
        }
        Some(v) => variant_to_value(v),
    };
    match value {
        Err(type_name) => Sample::bad(
            device,
            point,
            ts,
            format!("unsupported type {type_name}").into(),
        ),
        Ok(v) if status.is_uncertain() => Sample {
            device: device.clone(),
            point: point.clone(),
            ts_ms: ts,
            value: Some(v),
            quality: Quality::Uncertain,
            reason: Some(status_name(status).into()),
        },
        Ok(v) => Sample::good(device, point, ts, v),
    }
}

/// The built-in scalar type a DataType node id stands for, when it is one we convert
/// (or a standard alias of one: Duration is a Double, the abstract Integer an Int64 …).
pub fn builtin_type(data_type: &NodeId) -> Option<VariantScalarTypeId> {
    if data_type.namespace != 0 {
        return None;
    }
    let id = match &data_type.identifier {
        opcua::types::Identifier::Numeric(n) => *n,
        _ => return None,
    };
    use VariantScalarTypeId as T;
    let t = match id {
        x if x == DataTypeId::Boolean as u32 => T::Boolean,
        x if x == DataTypeId::SByte as u32 => T::SByte,
        x if x == DataTypeId::Byte as u32 => T::Byte,
        x if x == DataTypeId::Int16 as u32 => T::Int16,
        x if x == DataTypeId::UInt16 as u32 => T::UInt16,
        x if x == DataTypeId::Int32 as u32 => T::Int32,
        x if x == DataTypeId::UInt32 as u32 => T::UInt32,
        x if x == DataTypeId::Int64 as u32 => T::Int64,
        x if x == DataTypeId::UInt64 as u32 => T::UInt64,
        x if x == DataTypeId::Float as u32 => T::Float,
        x if x == DataTypeId::Double as u32 => T::Double,
        x if x == DataTypeId::String as u32 => T::String,
        x if x == DataTypeId::Duration as u32 => T::Double,
        // Enumerations travel as Int32.
        x if x == DataTypeId::Enumeration as u32 => T::Int32,
        _ => return None,
    };
    Some(t)
}

/// `value` as a Variant of type `target`, or why it does not fit.
pub fn value_to_variant(value: &Value, target: VariantScalarTypeId) -> Result<Variant, String> {
    use VariantScalarTypeId as T;
    let no_fit = || {
        format!(
            "value {} does not fit the node's type {target:?}",
            show(value)
        )
    };
    // Integers accept whole floats (JSON may carry 3.0) and floats accept integers.
    let as_int = || -> Option<i128> {
        match value {
            Value::I64(n) => Some((*n).into()),
            Value::F64(f) if f.is_finite() && f.fract() == 0.0 && f.abs() < 1.8e19 => {
                Some(*f as i128)
            }
            _ => None,
        }
    };
    let as_float = || -> Option<f64> {
        match value {
            Value::I64(n) => Some(*n as f64),
            Value::F64(f) if f.is_finite() => Some(*f),
            _ => None,
        }
    };
    macro_rules! int {
        ($variant:ident, $ty:ty) => {
            as_int()
                .and_then(|n| <$ty>::try_from(n).ok())
                .map(Variant::$variant)
                .ok_or_else(no_fit)
        };
    }
    match target {
        T::Boolean => match value {
            Value::Bool(b) => Ok(Variant::Boolean(*b)),
            Value::I64(0) => Ok(Variant::Boolean(false)),
            Value::I64(1) => Ok(Variant::Boolean(true)),
            _ => Err(no_fit()),
        },
        T::SByte => int!(SByte, i8),
        T::Byte => int!(Byte, u8),
        T::Int16 => int!(Int16, i16),
        T::UInt16 => int!(UInt16, u16),
        T::Int32 => int!(Int32, i32),
        T::UInt32 => int!(UInt32, u32),
        T::Int64 => int!(Int64, i64),
        T::UInt64 => int!(UInt64, u64),
        T::Float => as_float()
            .filter(|f| f.abs() <= f64::from(f32::MAX))
            .map(|f| Variant::Float(f as f32))
            .ok_or_else(no_fit),
        T::Double => as_float().map(Variant::Double).ok_or_else(no_fit),
        T::String => match value {
            Value::Str(s) => Ok(Variant::String(s.as_str().into())),
            _ => Err(no_fit()),
        },
        other => Err(format!("cannot write nodes of type {other:?}")),
    }
}

fn show(v: &Value) -> String {
    match v {
        Value::Bool(b) => b.to_string(),
        Value::I64(n) => n.to_string(),
        Value::F64(f) => f.to_string(),
        Value::Str(s) => format!("{s:?}"),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use VariantScalarTypeId as T;

    fn arc(s: &str) -> Arc<str> {
        s.into()
    }

    #[test]
    fn every_integer_width_and_float_converts() {
        let cases: Vec<(Variant, Value)> = vec![
            (Variant::Boolean(true), Value::Bool(true)),
            (Variant::SByte(-8), Value::I64(-8)),
            (Variant::Byte(250), Value::I64(250)),
            (Variant::Int16(-300), Value::I64(-300)),
            (Variant::UInt16(65535), Value::I64(65535)),
            (Variant::Int32(i32::MIN), Value::I64(i32::MIN.into())),
            (Variant::UInt32(u32::MAX), Value::I64(u32::MAX.into())),
            (Variant::Int64(i64::MIN), Value::I64(i64::MIN)),
            (Variant::UInt64(7), Value::I64(7)),
            (Variant::UInt64(u64::MAX), Value::F64(u64::MAX as f64)),
            (Variant::Float(1.5), Value::F64(1.5)),
            (Variant::Double(-2.25), Value::F64(-2.25)),
            (Variant::String("O1001".into()), Value::Str("O1001".into())),
        ];
        for (v, want) in cases {
            assert_eq!(variant_to_value(&v).unwrap(), want, "{v:?}");
        }
        assert_eq!(
            variant_to_value(&Variant::DateTime(Box::new(DateTime::now()))).unwrap_err(),
            "DateTime"
        );
        assert!(
            variant_to_value(&Variant::from(vec![1.0f64, 2.0]))
                .unwrap_err()
                .starts_with("Array")
        );
    }

    #[test]
    fn samples_carry_source_time_and_quality() {
        let (d, p) = (arc("pump1"), arc("flow"));
        let src = DateTime::ymd_hms(2024, 1, 2, 3, 4, 5);
        let srv = DateTime::ymd_hms(2024, 1, 2, 3, 4, 6);
        let mut dv = DataValue::new_at(12.5f64, src);
        dv.server_timestamp = Some(srv);
        let s = sample_from(&d, &p, &dv, 1);
        assert_eq!(s.ts_ms, 1_704_164_645_000);
        assert_eq!(
            (s.value, s.quality),
            (Some(Value::F64(12.5)), Quality::Good)
        );

        dv.source_timestamp = None;
        assert_eq!(sample_from(&d, &p, &dv, 1).ts_ms, 1_704_164_646_000);
        dv.server_timestamp = None;
        assert_eq!(sample_from(&d, &p, &dv, 77).ts_ms, 77);

        dv.status = Some(StatusCode::BadSensorFailure);
        let s = sample_from(&d, &p, &dv, 1);
        assert_eq!(s.quality, Quality::Bad);
        assert_eq!(s.value, None);
        assert_eq!(s.reason.as_deref(), Some("BadSensorFailure"));

        dv.status = Some(StatusCode::UncertainLastUsableValue);
        let s = sample_from(&d, &p, &dv, 1);
        assert_eq!(s.quality, Quality::Uncertain);
        assert_eq!(s.value, Some(Value::F64(12.5)));
        assert_eq!(s.reason.as_deref(), Some("UncertainLastUsableValue"));

        let dv = DataValue::new_now(Variant::ByteString(vec![1u8, 2].into()));
        let s = sample_from(&d, &p, &dv, 1);
        assert_eq!(s.quality, Quality::Bad);
        assert_eq!(s.reason.as_deref(), Some("unsupported type ByteString"));
    }

    #[test]
    fn writes_fit_the_target_type_or_are_refused() {
        assert_eq!(
            value_to_variant(&Value::I64(-5), T::Int16).unwrap(),
            Variant::Int16(-5)
        );
        assert_eq!(
            value_to_variant(&Value::F64(3.0), T::UInt32).unwrap(),
            Variant::UInt32(3)
        );
        assert_eq!(
            value_to_variant(&Value::I64(42), T::Double).unwrap(),
            Variant::Double(42.0)
        );
        assert_eq!(
            value_to_variant(&Value::F64(0.5), T::Float).unwrap(),
            Variant::Float(0.5)
        );
        assert_eq!(
            value_to_variant(&Value::Bool(true), T::Boolean).unwrap(),
            Variant::Boolean(true)
        );
        assert_eq!(
            value_to_variant(&Value::Str("P7".into()), T::String).unwrap(),
            Variant::String("P7".into())
        );
        for (v, t) in [
            (Value::I64(70_000), T::Int16),
            (Value::I64(-1), T::UInt32),
            (Value::F64(2.5), T::Int32),
            (Value::F64(f64::NAN), T::Double),
            (Value::F64(1e39), T::Float),
            (Value::Str("x".into()), T::Double),
            (Value::I64(2), T::Boolean),
            (Value::I64(1), T::String),
            (Value::I64(1), T::DateTime),
        ] {
            assert!(value_to_variant(&v, t).is_err(), "{v:?} into {t:?}");
        }
        let e = value_to_variant(&Value::I64(70_000), T::Int16).unwrap_err();
        assert!(e.contains("70000") && e.contains("Int16"), "{e}");
    }

    #[test]
    fn data_type_ids_map_to_builtin_types() {
        assert_eq!(builtin_type(&DataTypeId::Double.into()), Some(T::Double));
        assert_eq!(builtin_type(&DataTypeId::Int16.into()), Some(T::Int16));
        assert_eq!(builtin_type(&DataTypeId::Duration.into()), Some(T::Double));
        assert_eq!(builtin_type(&DataTypeId::DateTime.into()), None);
        assert_eq!(builtin_type(&NodeId::new(2, 11u32)), None);
    }

    #[test]
    fn status_names_are_symbolic() {
        assert_eq!(
            status_name(StatusCode::BadNodeIdUnknown),
            "BadNodeIdUnknown"
        );
        assert_eq!(status_name(StatusCode::Good), "Good");
    }
}
