//! Unit tests of the SDK, run natively:
//! `/usr/bin/rustc --edition 2021 --test sdk/rust/ironloom.rs -o /tmp/sdk-tests && /tmp/sdk-tests`

use super::*;
use std::cell::RefCell;
use std::rc::Rc;

fn parse(s: &str) -> Json {
    Json::parse(s).unwrap_or_else(|e| panic!("{}: {}", s, e))
}

#[test]
fn reads_scalars() {
    assert_eq!(parse("null"), Json::Null);
    assert_eq!(parse(" true "), Json::Bool(true));
    assert_eq!(parse("false"), Json::Bool(false));
    assert_eq!(parse("0"), Json::Number(0.0));
    assert_eq!(parse("-0.5"), Json::Number(-0.5));
    assert_eq!(parse("12.5e2"), Json::Number(1250.0));
    assert_eq!(parse("1E-3"), Json::Number(0.001));
    assert_eq!(parse("1700000000000"), Json::Number(1.7e12));
    assert_eq!(parse("-1.25e+1"), Json::Number(-12.5));
    assert_eq!(parse("\"\""), Json::from(""));
    assert_eq!(parse("0.1").as_f64(), Some(0.1));
    assert_eq!(
        parse("2.2250738585072014e-308").as_f64(),
        Some(f64::MIN_POSITIVE)
    );
}

#[test]
fn reads_escapes_and_unicode() {
    assert_eq!(
        parse(r#""a\"b\\c\/d\b\f\n\r\t""#),
        Json::from("a\"b\\c/d\u{8}\u{c}\n\r\t")
    );
    assert_eq!(parse(r#""\u00e9\u6c34""#), Json::from("é水"));
    assert_eq!(parse(r#""\u00E9""#), Json::from("é"));
    // U+1F600 as a surrogate pair, and as UTF-8 in the text.
    assert_eq!(parse(r#""\ud83d\ude00""#), Json::from("😀"));
    assert_eq!(parse("\"😀 m³/h 水泵\""), Json::from("😀 m³/h 水泵"));
    assert_eq!(parse(r#""\u0000""#), Json::from("\u{0}"));
}

#[test]
fn reads_nested_values_in_order() {
    let v = parse(r#" { "b": [1, {"c": [[], {}]}, "x"], "a": {"d": null}, "e": -2 } "#);
    let keys: Vec<&str> = v
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, _)| k.as_str())
        .collect();
    assert_eq!(keys, ["b", "a", "e"]);
    assert_eq!(v["b"][0].as_f64(), Some(1.0));
    assert_eq!(v["b"][1]["c"][0], Json::Array(vec![]));
    assert_eq!(v["b"][1]["c"][1], Json::object());
    assert_eq!(v["b"][2].as_str(), Some("x"));
    assert!(v["a"]["d"].is_null());
    assert!(v["missing"]["deeper"][3].is_null());
    assert_eq!(v.number("e"), Some(-2.0));
    assert_eq!(v["e"].as_i64(), Some(-2));
    // A repeated key: the last value counts.
    assert_eq!(parse(r#"{"k":1,"k":2}"#).to_string(), r#"{"k":2.0}"#);
}

#[test]
fn refuses_what_is_not_json() {
    for bad in [
        "",
        " ",
        "nul",
        "tru",
        "01",
        "1.",
        ".5",
        "-",
        "1e",
        "+1",
        "1e400",
        "NaN",
        "[1,]",
        "[1 2]",
        "{\"a\" 1}",
        "{\"a\":1,}",
        "{a:1}",
        "{\"a\":1",
        "\"abc",
        "\"a\nb\"",
        "\"\\x\"",
        "\"\\u12\"",
        "\"\\ud83d\"",
        "\"\\ud83d\\u0041\"",
        "\"\\ude00\"",
        "[] []",
        "{} x",
    ] {
        assert!(Json::parse(bad).is_err(), "{:?} was read", bad);
    }
    let deep = "[".repeat(129) + &"]".repeat(129);
    assert!(Json::parse(&deep).is_err());
    let ok = "[".repeat(128) + &"]".repeat(128);
    assert!(Json::parse(&ok).is_ok());
    let e = Json::parse("[1, x]").unwrap_err();
    assert_eq!(e.at, 4);
}

#[test]
fn writes_compact_json_that_reads_back() {
    let v = obj! {
        "s" => "q\"b\\s/\n\t\u{1}é😀",
        "n" => 0.1,
        "i" => 1_700_000_000_000i64,
        "neg" => -2.5e-7,
        "big" => 1e300,
        "t" => true,
        "none" => Json::Null,
        "arr" => vec![1.0, 2.5],
        "o" => obj! { "x" => Json::Array(vec![]) },
    };
    let text = v.to_string();
    assert_eq!(
        text,
        r#"{"s":"q\"b\\s/\n\t\u0001é😀","n":0.1,"i":1700000000000,"neg":-2.5e-7,"big":1e300,"t":true,"none":null,"arr":[1.0,2.5],"o":{"x":[]}}"#
    );
    assert_eq!(Json::from(1e21).to_string(), "1e21");
    assert_eq!(Json::from(-123e18).to_string(), "-123000000000000000000.0");
    assert_eq!(Json::from(0.000001).to_string(), "0.000001");
    assert_eq!(Json::from(-0.0).to_string(), "-0.0");
    assert_eq!(parse(&text), v);
    // Not JSON numbers become null.
    assert_eq!(Json::from(f64::NAN).to_string(), "null");
    assert_eq!(Json::from(f64::INFINITY).to_string(), "null");
    // Every number reads back to the same f64.
    for n in [
        0.1,
        1.0 / 3.0,
        -123456.789e-20,
        5e-324,
        f64::MAX,
        4.35,
        2.0_f64.powi(60),
    ] {
        assert_eq!(parse(&Json::from(n).to_string()).as_f64(), Some(n), "{}", n);
    }
}

/// The platform types a new series by its first value: a float written as `2` would make
/// an integer series that refuses every later fraction. So floats always read back as
/// floats, and integers stay integers.
#[test]
fn writes_floats_with_a_decimal_point_and_integers_without() {
    for (n, text) in [
        (2.0, "2.0"),
        (0.0, "0.0"),
        (-3.0, "-3.0"),
        (1e15, "1000000000000000.0"),
        (1e20, "100000000000000000000.0"),
        (1e21, "1e21"),
        (2.5, "2.5"),
        (1e-7, "1e-7"),
    ] {
        assert_eq!(Json::from(n).to_string(), text);
        // Read back by a reader that tells the kinds apart, it is a float: it has a
        // fraction or an exponent.
        assert!(text.contains(['.', 'e']), "{}", text);
        assert_eq!(parse(text).as_f64(), Some(n));
    }
    assert_eq!(Json::from(2.0f32).to_string(), "2.0");
    // Integer types give integers.
    assert_eq!(Json::from(2).to_string(), "2");
    assert_eq!(Json::from(-2i64).to_string(), "-2");
    assert_eq!(Json::from(1_700_000_000_000i64).to_string(), "1700000000000");
    assert_eq!(Json::from(7u32).to_string(), "7");
    assert_eq!(Json::from(7usize).to_string(), "7");
    assert_eq!(Json::from(u64::MAX).to_string(), "18446744073709552000.0");
    assert_eq!(Json::from(i64::MIN).to_string(), "-9223372036854775808");
    // NaN and infinities stay null.
    assert_eq!(Json::from(f64::NAN).to_string(), "null");
    assert_eq!(Json::from(f64::NEG_INFINITY).to_string(), "null");
    // Both kinds read alike and compare by value.
    assert_eq!(Json::from(2), Json::from(2.0));
    assert_ne!(Json::from(2), Json::from(2.5));
    assert_eq!(Json::from(3).as_f64(), Some(3.0));
    assert_eq!(Json::from(3).as_i64(), Some(3));
    assert!(Json::from(3).is_number() && Json::from(3.5).is_number());
    assert!(!Json::from("3").is_number());
    assert_eq!(
        obj! {"zone" => 2, "v" => 2.0, "ts" => 1_700_000_000_000i64}.to_string(),
        r#"{"zone":2,"v":2.0,"ts":1700000000000}"#
    );
    // What the reader reads is a float (`Number`), whether written `2` or `2.0`.
    assert_eq!(parse("[2,2.0]").to_string(), "[2.0,2.0]");
    assert!(matches!(parse("2"), Json::Number(n) if n == 2.0));
}

#[test]
fn builds_and_edits_objects() {
    let mut v = Json::Null;
    v.set("a", 1);
    v.set("b", "x");
    v.set("a", 2);
    assert_eq!(v.to_string(), r#"{"a":2,"b":"x"}"#);
    assert_eq!(v.remove("a"), Some(Json::from(2)));
    assert_eq!(v.remove("a"), None);
    let mut a = Json::Null;
    a.push(1);
    a.push("two");
    a.push(Some(3.5));
    a.push(None::<f64>);
    assert_eq!(a.to_string(), r#"[1,"two",3.5,null]"#);
    assert_eq!(Json::from(&["a", "b"][..]).to_string(), r#"["a","b"]"#);
    assert_eq!(obj! {}.to_string(), "{}");
    assert_eq!(Json::from(1.5).as_i64(), None);
    assert!(obj! {}.is_object() && !obj! {}.is_array());
    assert!(Json::from(vec![1]).is_array() && !Json::Null.is_object());
}

/// A host that records each call and answers from `answer`.
fn recording(answer: fn(&str, &Json) -> Result<Json>) -> Rc<RefCell<Vec<(String, String)>>> {
    let calls = Rc::new(RefCell::new(Vec::new()));
    let c = calls.clone();
    mock::take_requests();
    mock::set_host(move |op, req| {
        c.borrow_mut().push((op.to_string(), req.to_string()));
        answer(op, req)
    });
    calls
}

#[test]
fn host_operations_send_the_documented_requests() {
    let calls = recording(|op, req| {
        Ok(match op {
            "latest" => parse(r#"{"values":{"v":{"ts":5,"value":2.5},"s":{"ts":6,"value":"on"}}}"#),
            "history" => parse(r#"{"points":[[1,1.5],[2,"x"],[3,null]]}"#),
            "aggregate" => {
                parse(r#"{"aggregations":["avg","max"],"windows":[[0,[1,2]],[60000,[null,3]]]}"#)
            }
            "write" => parse(
                r#"{"stored":1,"refused":[{"property":"z","code":"out_of_range","message":"too big"}]}"#,
            ),
            "alarm.raise" => parse(r#"{"id":"a-1","new":true}"#),
            "alarm.clear" => parse(r#"{"cleared":false}"#),
            "command" => parse(r#"{"id":"c-1","status":"sent"}"#),
            "model" => parse(r#"{"outputs":{"zone":2,"AB":1.4},"units":{"AB":"mm/s"}}"#),
            "kv.get" => req["key"].clone(),
            "config" => parse(r#"{"group":"group_2"}"#),
            _ => Json::Null,
        })
    });
    let l = latest("m1", &["v", "s"]).unwrap();
    assert_eq!(l.number("v"), Some(2.5));
    assert_eq!(l.get("s").map(|p| p.ts), Some(6));
    assert_eq!(l.number("s"), None);
    assert!(latest("m1", &[]).unwrap().get("v").is_some());
    let h = history("m1", "v", 0, 10, Some(5)).unwrap();
    assert_eq!(h.len(), 3);
    assert_eq!(
        h[0],
        Point {
            ts: 1,
            value: Json::from(1.5)
        }
    );
    let a = aggregate("m1", "v", 0, 120000, 60000, &["avg", "max"]).unwrap();
    assert_eq!(a.series("avg"), vec![(0, 1.0)]);
    assert_eq!(a.series("max"), vec![(0, 2.0), (60000, 3.0)]);
    assert_eq!(a.series("p95"), vec![]);
    let w = write("m1", obj! {"zone" => 2}, Some(7)).unwrap();
    assert_eq!(w.stored, 1);
    assert_eq!(w.refused[0].code, "out_of_range");
    let r = alarm_raise("m1", "vib", Severity::Warning, obj! {"v" => 5.0}).unwrap();
    assert_eq!(
        r,
        Raised {
            id: "a-1".into(),
            new: true
        }
    );
    assert!(!alarm_clear("m1", "vib").unwrap());
    assert_eq!(command("m1", "reset", Json::Null).unwrap().status, "sent");
    set_properties("m1", obj! {"sp" => 80}).unwrap();
    let m = model("vibration.iso10816_3_zone", obj! {"v_rms" => 3.0}).unwrap();
    assert_eq!(m.number("zone"), Ok(2.0));
    assert_eq!(m.number("nope").unwrap_err().code, "bad_reply");
    assert_eq!(m.units.text("AB"), Some("mm/s"));
    assert_eq!(kv_get("k").unwrap(), Json::from("k"));
    kv_set("k", &obj! {"n" => 1}).unwrap();
    kv_delete("k").unwrap();
    assert_eq!(config().unwrap().text("group"), Some("group_2"));
    reply(200, obj! {"ok" => true}).unwrap();
    // The texts the SDK sent: integers (times, limits, statuses, `From` integer types) as
    // integers, floats with a decimal point.
    let sent: Vec<String> = mock::take_requests()
        .iter()
        .map(|(op, req)| format!("{} {}", op, req))
        .collect();
    // The host closure got them read back (every number a float), the same values.
    assert_eq!(calls.borrow().len(), sent.len());
    assert_eq!(calls.borrow()[2].1, r#"{"device":"m1","property":"v","from":0.0,"to":10.0,"limit":5.0}"#);
    assert_eq!(
        sent,
        [
            r#"latest {"device":"m1","properties":["v","s"]}"#,
            r#"latest {"device":"m1"}"#,
            r#"history {"device":"m1","property":"v","from":0,"to":10,"limit":5}"#,
            r#"aggregate {"device":"m1","property":"v","from":0,"to":120000,"window":60000,"aggregations":["avg","max"]}"#,
            r#"write {"device":"m1","values":{"zone":2},"ts":7}"#,
            r#"alarm.raise {"device":"m1","type":"vib","severity":"warning","details":{"v":5.0}}"#,
            r#"alarm.clear {"device":"m1","type":"vib"}"#,
            r#"command {"device":"m1","method":"reset"}"#,
            r#"command {"device":"m1","properties":{"sp":80}}"#,
            r#"model {"model":"vibration.iso10816_3_zone","inputs":{"v_rms":3.0}}"#,
            r#"kv.get {"key":"k"}"#,
            r#"kv.set {"key":"k","value":{"n":1}}"#,
            r#"kv.delete {"key":"k"}"#,
            r#"config {}"#,
            r#"reply {"status":200,"body":{"ok":true}}"#,
        ]
    );
}

#[test]
fn host_errors_carry_the_code() {
    recording(|op, _| {
        Err(Error::new(
            "permission_denied",
            format!("{} needs a grant", op),
        ))
    });
    let e = write("m1", obj! {}, None).unwrap_err();
    assert_eq!(e.code, "permission_denied");
    assert_eq!(e.to_string(), "permission_denied: write needs a grant");
    // Replies the SDK cannot read are bad_reply, not a panic.
    recording(|_, _| Ok(Json::from("not an object")));
    assert_eq!(latest("m1", &[]).unwrap_err().code, "bad_reply");
    assert_eq!(
        history("m1", "v", 0, 1, None).unwrap_err().code,
        "bad_reply"
    );
}

fn handler(event: &Event) -> Result<i32> {
    let device = event
        .device()
        .ok_or_else(|| Error::new("bad_request", "no device"))?;
    let v = event.number("v").unwrap_or(-1.0);
    info(&format!(
        "{} {} {:?} {}",
        event.kind(),
        device,
        event.product(),
        v
    ));
    Ok(if v > 0.0 { 0 } else { 2 })
}

#[test]
fn events_are_read_and_handled() {
    mock::take_logs();
    let ev = r#"{"kind":"telemetry","device":"m1","product":"motor","points":[
        {"property":"v","ts":1000,"value":3.5},{"property":"w","ts":1000,"value":"x"},
        {"property":"v","ts":2000,"value":4.5}]}"#;
    assert_eq!(handle(handler, ev), 0);
    let e = Event::parse(ev).unwrap();
    assert_eq!(e.points().len(), 3);
    assert_eq!(
        e.point("v"),
        Some(Point {
            ts: 2000,
            value: Json::from(4.5)
        })
    );
    assert_eq!(e.number("w"), None);
    assert_eq!(handle(handler, r#"{"kind":"manual","device":"m1"}"#), 2);
    assert_eq!(handle(handler, r#"{"kind":"manual"}"#), 1);
    assert_eq!(handle(handler, "{not json"), 1);
    let s = Event::parse(r#"{"kind":"schedule","cron":"* * * * *","at":1700000000000}"#).unwrap();
    assert_eq!(s.at(), Some(1_700_000_000_000));
    let h = Event::parse(r#"{"kind":"http","path":"report","body":{"a":1}}"#).unwrap();
    assert_eq!(
        (h.path(), h.body().number("a")),
        (Some("report"), Some(1.0))
    );
    let logs = mock::take_logs();
    assert_eq!(logs[0], (1, "telemetry m1 Some(\"motor\") 4.5".to_string()));
    assert_eq!(logs[2], (3, "bad_request: no device".to_string()));
    assert!(logs[3].1.starts_with("the event is not JSON"));
}

#[test]
fn memory_handed_to_the_host_is_taken_back() {
    for len in [0, 1, 7, 4096] {
        let p = alloc(len);
        assert!(!p.is_null());
        // SAFETY: p came from alloc(len).
        unsafe { free(p, len) };
    }
}
