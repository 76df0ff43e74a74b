//! The metrics the platform scrapes, captured by a recorder local to this test's thread
//! (the test runtime is single-threaded, so the server's tasks run on it too).

use crate::support::*;
use coap_lite::RequestType;
use ironloom_coap::{CoapResponse, ResponseCode};
use metrics::{Counter, Gauge, Histogram, Key, KeyName, Metadata, Recorder, SharedString, Unit};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

#[derive(Default)]
struct Captured {
    metrics: Mutex<HashMap<Key, Arc<AtomicU64>>>,
}

impl Captured {
    fn handle(&self, key: &Key) -> Arc<AtomicU64> {
        self.metrics
            .lock()
            .unwrap()
            .entry(key.clone())
            .or_default()
            .clone()
    }

    /// A counter summed over its labels.
    fn counter(&self, name: &str) -> u64 {
        self.metrics
            .lock()
            .unwrap()
            .iter()
            .filter(|(k, _)| k.name() == name)
            .map(|(_, v)| v.load(Ordering::SeqCst))
            .sum()
    }

    fn gauge(&self, name: &str) -> f64 {
        let m = self.metrics.lock().unwrap();
        let (_, v) = m.iter().find(|(k, _)| k.name() == name).expect(name);
        f64::from_bits(v.load(Ordering::SeqCst))
    }

    fn labels_of(&self, name: &str) -> Vec<String> {
        self.metrics
            .lock()
            .unwrap()
            .keys()
            .filter(|k| k.name() == name)
            .flat_map(|k| k.labels().map(|l| format!("{}={}", l.key(), l.value())))
            .collect()
    }
}

impl Recorder for Captured {
    fn describe_counter(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn describe_gauge(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn describe_histogram(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn register_counter(&self, key: &Key, _: &Metadata<'_>) -> Counter {
        Counter::from_arc(self.handle(key))
    }
    fn register_gauge(&self, key: &Key, _: &Metadata<'_>) -> Gauge {
        Gauge::from_arc(self.handle(key))
    }
    fn register_histogram(&self, _: &Key, _: &Metadata<'_>) -> Histogram {
        Histogram::noop()
    }
}

#[tokio::test]
async fn requests_duplicates_malformed_and_observers_are_counted() {
    let recorder = Captured::default();
    let _local = metrics::set_default_local_recorder(&recorder);
    let mut h = Harness::start(|_| {}).await;
    let mut c = h.client().await;

    let req = c.con(RequestType::Post, "echo");
    c.call(&req).await;
    c.send(&req).await;
    c.recv().await;
    c.send_raw(&[0x40, 0x01, 0x77, 0x77, 0xff]).await;
    c.recv().await;
    assert_eq!(recorder.counter("ironloom_coap_requests_total"), 1);
    assert_eq!(recorder.counter("ironloom_coap_duplicates_total"), 1);
    assert_eq!(recorder.counter("ironloom_coap_malformed_total"), 1);
    assert_eq!(
        recorder.labels_of("ironloom_coap_malformed_total"),
        ["reason=payload"]
    );

    let mut reg = c.con(RequestType::Get, "obs");
    set_uint(&mut reg, OBSERVE, 0);
    c.call(&reg).await;
    assert_eq!(recorder.gauge("ironloom_coap_observers"), 1.0);
    h.sender(0)
        .send(CoapResponse::new(ResponseCode::CONTENT))
        .await
        .unwrap();
    let n = c.recv().await;
    assert_eq!(recorder.counter("ironloom_coap_notifications_total"), 1);
    c.reset(&n).await;
    h.next_gone().await;
    assert_eq!(recorder.gauge("ironloom_coap_observers"), 0.0);
    assert_eq!(recorder.counter("ironloom_coap_requests_total"), 2);
    h.stop().await;
}
