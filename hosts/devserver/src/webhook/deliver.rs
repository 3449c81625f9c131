//! Delivery of events to subscriptions' `target_url`: a POST of the event JSON, signed with the
//! configured scheme, carrying `x-fastio-delivery-id`; retried with exponential backoff
//! (5 attempts, 250 ms doubling, at most 4 s apart) on errors and non-2xx answers.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use rusqlite::{Connection, params};
use serde_json::{Value, json};
use tokio::sync::mpsc;

use crate::config::WebhookScheme;
use crate::ids;
use crate::sync::lock;

pub const MAX_ATTEMPTS: u32 = 5;

pub struct Job {
    pub url: String,
    pub secret: String,
    pub body: Vec<u8>,
    pub delivery_id: String,
    pub event: String,
}

pub struct Deliverer {
    scheme: WebhookScheme,
    /// Recent delivery times (unix ms) per subscription, for `rate_limit_per_hour`.
    recent: Mutex<HashMap<String, VecDeque<i64>>>,
    tx: mpsc::UnboundedSender<Job>,
    rx: Mutex<Option<mpsc::UnboundedReceiver<Job>>>,
    stop: tokio::sync::watch::Sender<bool>,
}

impl Deliverer {
    pub fn new(scheme: WebhookScheme) -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        let (stop, _) = tokio::sync::watch::channel(false);
        Self {
            recent: Mutex::new(HashMap::new()),
            scheme,
            tx,
            rx: Mutex::new(Some(rx)),
            stop,
        }
    }

    pub fn scheme(&self) -> WebhookScheme {
        self.scheme
    }

    /// Counts a delivery against the subscription's hourly budget; false when it is spent.
    fn admit(&self, sub: &str, per_hour: Option<i64>) -> bool {
        let Some(limit) = per_hour.filter(|l| *l > 0) else {
            return true;
        };
        let now = ids::now_ms();
        let mut recent = lock(&self.recent);
        let q = recent.entry(sub.to_string()).or_default();
        while q.front().is_some_and(|t| *t <= now - 3_600_000) {
            q.pop_front();
        }
        if q.len() as i64 >= limit {
            return false;
        }
        q.push_back(now);
        true
    }

    pub fn send(&self, job: Job) {
        let _ = self.tx.send(job);
    }

    pub fn stop(&self) {
        let _ = self.stop.send(true);
    }

    /// Starts the delivery loop on the current runtime.
    pub fn run(&self) {
        let Some(mut rx) = lock(&self.rx).take() else {
            return;
        };
        let scheme = self.scheme;
        let mut stop = self.stop.subscribe();
        tokio::spawn(async move {
            let client =
                hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
                    .build_http::<Full<Bytes>>();
            loop {
                tokio::select! {
                    job = rx.recv() => {
                        let Some(job) = job else { break };
                        let client = client.clone();
                        let stop = stop.clone();
                        tokio::spawn(deliver(client, scheme, job, stop));
                    }
                    _ = stop.changed() => break,
                }
            }
        });
    }

    /// Queues a delivery of `event` to each subscription of `ws` that wants it.
    pub fn enqueue_matching(
        &self,
        db: &Connection,
        ws: &str,
        event: &Value,
    ) -> rusqlite::Result<()> {
        let mut stmt = db.prepare(
            "SELECT id, target_url, events, secret, rate_limit_per_hour FROM webhooks WHERE ws_id = ?1",
        )?;
        let subs = stmt
            .query_map(params![ws], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, Option<i64>>(4)?,
                ))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        let name = event["event"].as_str().unwrap_or("");
        for (sub_id, url, events, secret, per_hour) in subs {
            let wanted: Vec<String> = serde_json::from_str(&events).unwrap_or_default();
            if !wanted.is_empty() && !wanted.iter().any(|w| w == name || w == "*") {
                continue;
            }
            if !self.admit(&sub_id, per_hour) {
                tracing::debug!(subscription = %sub_id, "hourly delivery budget spent; event not delivered");
                continue;
            }
            let delivery_id = format!("msg_{}", ids::random_alnum(24));
            let body = json!({
                "id": delivery_id,
                "subscription_id": sub_id,
                "event": name,
                "event_id": event["event_id"],
                "created": event["created"],
                "workspace_id": ws,
                "object_id": event["object_id"],
                "data": event["data"],
            });
            self.send(Job {
                url,
                secret,
                body: serde_json::to_vec(&body).unwrap_or_default(),
                delivery_id,
                event: name.to_string(),
            });
        }
        Ok(())
    }
}

type Client = hyper_util::client::legacy::Client<
    hyper_util::client::legacy::connect::HttpConnector,
    Full<Bytes>,
>;

async fn deliver(
    client: Client,
    scheme: WebhookScheme,
    job: Job,
    stop: tokio::sync::watch::Receiver<bool>,
) {
    let mut delay = Duration::from_millis(250);
    for attempt in 1..=MAX_ATTEMPTS {
        if *stop.borrow() {
            return;
        }
        let mut req = hyper::Request::post(job.url.as_str())
            .header("content-type", "application/json")
            .header("user-agent", "fastio-devserver-webhooks")
            .header("x-fastio-delivery-id", job.delivery_id.as_str())
            .header("x-fastio-event", job.event.as_str())
            .header("x-fastio-delivery-attempt", attempt.to_string());
        for (k, v) in super::sign::headers(
            scheme,
            &job.secret,
            &job.delivery_id,
            ids::now_s(),
            &job.body,
        ) {
            req = req.header(k, v);
        }
        let Ok(req) = req.body(Full::new(Bytes::from(job.body.clone()))) else {
            return;
        };
        let ok = matches!(
            tokio::time::timeout(Duration::from_secs(10), client.request(req)).await,
            Ok(Ok(resp)) if resp.status().is_success()
        );
        if ok {
            tracing::debug!(delivery = %job.delivery_id, attempt, "webhook delivered");
            return;
        }
        tracing::debug!(delivery = %job.delivery_id, attempt, "webhook delivery failed");
        if attempt < MAX_ATTEMPTS {
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(Duration::from_secs(4));
        }
    }
}
