use super::*;

fn one(text: &str) -> Line<'_> {
    let mut all: Vec<_> = lines(text.as_bytes()).collect();
    assert_eq!(all.len(), 1, "{text:?}: {all:?}");
    all.remove(0).unwrap_or_else(|e| panic!("{text:?}: {e:?}"))
}

fn err(text: &str) -> LineErrorKind {
    match lines(text.as_bytes()).next() {
        Some(Err(e)) => e.kind,
        other => panic!("{text:?} read as {other:?}"),
    }
}

#[test]
fn reads_the_documented_forms() {
    let l = one(
        "weather,location=us-midwest,season=summer temperature=82,humidity=71.5 1465839830100400200",
    );
    assert_eq!(l.measurement, "weather");
    assert_eq!(l.tag("location"), Some("us-midwest"));
    assert_eq!(l.tag("season"), Some("summer"));
    assert_eq!(
        l.fields,
        vec![
            ("temperature".into(), FieldValue::Float(82.0)),
            ("humidity".into(), FieldValue::Float(71.5)),
        ]
    );
    assert_eq!(l.timestamp, Some(1_465_839_830_100_400_200));

    let l = one("m a=1i,b=-2i,c=3u,d=t,e=FALSE,f=\"text\",g=-1.5e3,h=.5");
    assert_eq!(l.timestamp, None);
    let values: Vec<_> = l.fields.into_iter().map(|(_, v)| v).collect();
    assert_eq!(
        values,
        vec![
            FieldValue::Int(1),
            FieldValue::Int(-2),
            FieldValue::UInt(3),
            FieldValue::Bool(true),
            FieldValue::Bool(false),
            FieldValue::Str("text".into()),
            FieldValue::Float(-1500.0),
            FieldValue::Float(0.5),
        ]
    );
}

#[test]
fn escapes_are_read_as_written_by_the_clients() {
    let l = one(r#"my\ meas\,ure,tag\ key=tag\,val\=ue field\=key="say \"hi\" \\ \n" -5"#);
    assert_eq!(l.measurement, "my meas,ure");
    assert_eq!(l.tag("tag key"), Some("tag,val=ue"));
    assert_eq!(l.fields[0].0, "field=key");
    // `\n` inside a string is a backslash and an n (only \" and \\ are escapes).
    assert_eq!(l.fields[0].1, FieldValue::Str(r#"say "hi" \ \n"#.into()));
    assert_eq!(l.timestamp, Some(-5));
    // A backslash before an ordinary character is itself; an equals sign in a measurement
    // name needs no escape.
    let l = one(r"a\b=c,t=x\y v=1");
    assert_eq!(l.measurement, r"a\b=c");
    assert_eq!(l.tag("t"), Some(r"x\y"));
    // Unicode names.
    let l = one("温度,车间=一号 值=21.5");
    assert_eq!(l.measurement, "温度");
    assert_eq!(l.tag("车间"), Some("一号"));
}

#[test]
fn blank_lines_comments_and_crlf_are_skipped_and_lines_counted() {
    let body =
        "# a comment\r\n\r\nm v=1 10\r\n  \n\tm v=2 20\n# DML\nm s=\"two\nlines\" 30\nbad\nm v=3";
    let out: Vec<_> = lines(body.as_bytes()).collect();
    assert_eq!(out.len(), 5);
    assert_eq!(out[0].as_ref().unwrap().timestamp, Some(10));
    assert_eq!(out[1].as_ref().unwrap().timestamp, Some(20));
    assert_eq!(
        out[2].as_ref().unwrap().fields[0].1,
        FieldValue::Str("two\nlines".into())
    );
    // "bad" is on line 9: the string above spans lines 7 and 8.
    assert_eq!(
        out[3],
        Err(LineError {
            line: 9,
            kind: LineErrorKind::NoFields
        })
    );
    assert_eq!(out[4].as_ref().unwrap().fields[0].1, FieldValue::Float(3.0));
    // Each line read knows where it stood.
    let at: Vec<usize> = out
        .iter()
        .map(|l| match l {
            Ok(l) => l.line,
            Err(e) => e.line,
        })
        .collect();
    assert_eq!(at, [3, 5, 7, 9, 10]);
}

#[test]
fn bad_lines_are_errors_and_the_next_line_is_read() {
    assert_eq!(err("m"), LineErrorKind::NoFields);
    assert_eq!(err("m "), LineErrorKind::NoFields);
    assert_eq!(err(",t=1 v=1"), LineErrorKind::NoMeasurement);
    assert_eq!(err("m,t v=1"), LineErrorKind::BadTag);
    assert_eq!(err("m,t= v=1"), LineErrorKind::BadTag);
    assert_eq!(err("m,=x v=1"), LineErrorKind::BadTag);
    assert_eq!(err("m,t=a=b v=1"), LineErrorKind::BadTag);
    assert_eq!(err("m v"), LineErrorKind::BadField);
    assert_eq!(err("m =1"), LineErrorKind::BadField);
    assert_eq!(err("m v=1,"), LineErrorKind::BadField);
    for bad in [
        "m v=",
        "m v=abc",
        "m v=NaN",
        "m v=inf",
        "m v=1e999",
        "m v=1.2.3x",
        "m v=12ii",
        "m v=-3u",
        "m v=1x",
        "m v=yes",
        "m v=99999999999999999999i",
        "m v=--1",
        "m v=e5",
    ] {
        assert_eq!(err(bad), LineErrorKind::BadValue, "{bad}");
    }
    assert_eq!(err("m v=\"open"), LineErrorKind::UnterminatedString);
    assert_eq!(err("m v=1 12a"), LineErrorKind::BadTimestamp);
    assert_eq!(err("m v=1 1 2"), LineErrorKind::BadTimestamp);
    assert_eq!(
        err("m v=1 99999999999999999999"),
        LineErrorKind::BadTimestamp
    );
    assert_eq!(err("m v=1 -"), LineErrorKind::BadTimestamp);
    let mut bytes = b"m,t=".to_vec();
    bytes.extend([0xff, 0xfe]);
    bytes.extend(b" v=1\nm v=2\n");
    let out: Vec<_> = lines(&bytes).collect();
    assert_eq!(
        out[0],
        Err(LineError {
            line: 1,
            kind: LineErrorKind::NotUtf8
        })
    );
    assert!(out[1].is_ok());
    let out: Vec<_> = lines(b"m v=1\nm,t v=1\nm v=2 5\n").collect();
    assert_eq!(out.len(), 3);
    assert_eq!(out[1].as_ref().unwrap_err().line, 2);
    assert_eq!(out[2].as_ref().unwrap().timestamp, Some(5));
}

#[test]
fn every_error_has_a_message_in_both_languages() {
    use LineErrorKind::*;
    for k in [
        NoMeasurement,
        BadTag,
        NoFields,
        BadField,
        BadValue,
        UnterminatedString,
        BadTimestamp,
        NotUtf8,
    ] {
        assert!(!k.message(Locale::En).is_empty() && !k.code().is_empty());
        assert_ne!(k.message(Locale::En), k.message(Locale::ZhCn));
    }
}

#[test]
fn precisions_convert_to_milliseconds() {
    assert_eq!(Precision::parse("n"), Some(Precision::Nanoseconds));
    assert_eq!(Precision::parse("us"), Some(Precision::Microseconds));
    assert_eq!(Precision::parse("x"), None);
    assert_eq!(
        Precision::Nanoseconds.to_millis(1_465_839_830_100_400_200),
        Some(1_465_839_830_100)
    );
    assert_eq!(Precision::Nanoseconds.to_millis(-1), Some(-1));
    assert_eq!(Precision::Microseconds.to_millis(1_500), Some(1));
    assert_eq!(
        Precision::Seconds.to_millis(1_700_000_000),
        Some(1_700_000_000_000)
    );
    assert_eq!(Precision::Minutes.to_millis(2), Some(120_000));
    assert_eq!(Precision::Hours.to_millis(i64::MAX), None);
}

#[test]
fn hostile_input_never_panics() {
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let alphabet = b"m,= \\\"\n\r\t#0123456789.eEiu-+tfTFx\xff\xe4";
    for len in 0..400 {
        let mut buf = Vec::with_capacity(len);
        for _ in 0..len {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            buf.push(alphabet[(seed % alphabet.len() as u64) as usize]);
        }
        fuzz_line_protocol(&buf);
    }
    // A long line of escapes and a huge number of fields.
    fuzz_line_protocol(&b"\\".repeat(100_000));
    let mut many = b"m ".to_vec();
    for i in 0..10_000 {
        many.extend(format!("f{i}={i}i,").as_bytes());
    }
    many.pop();
    assert_eq!(
        one(std::str::from_utf8(&many).unwrap()).fields.len(),
        10_000
    );
}
