//! The AI-answer wait machine (`core/src/ai_wait.rs`) fed fuzzer-chosen
//! turn details, activity polls, errors, transport failures, late and unknown
//! ids, and time. It never panics or spins; it never sends or asks to wait past
//! its budget; each poll carries the cursor it holds; `Done` carries a
//! terminal turn; nothing is accepted after the end; and a host whose every
//! request fails sees it end.
#![no_main]

use fastio_core::ai_wait::{AnswerAction, AnswerWait, AnswerWaitConfig, Fed};
use fastio_core::api::{Client, Profile};
use fastio_core::config::ClientConfig;
use fastio_core::http::{HttpRequest, HttpResponse};
use fastio_core::secret::Secret;
use fastio_core::upload::InputError;
use fastio_core_fuzz::{Script, envelope, error_body, respond, trace};
use libfuzzer_sys::fuzz_target;
use serde_json::json;

const STATES: &[&str] = &[
    "complete",
    "errored",
    "needs_input",
    "in_progress",
    "processing",
    "pending",
    "running",
    "ready",
    "",
];

fn query(req: &HttpRequest, name: &str) -> Option<String> {
    let (_, q) = req.url.split_once('?')?;
    form_urlencoded::parse(q.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

struct Host {
    aw: AnswerWait,
    now: u64,
    deadline: Option<u64>,
    budget: u64,
    poll_wait_s: u32,
    sent: Vec<(u64, bool)>,
    ended: bool,
}

impl Host {
    fn pull(&mut self) {
        for _ in 0..16 {
            let Some(a) = self.aw.next_action(self.now) else {
                return;
            };
            trace(format_args!("{} action {a:?}", self.now));
            assert!(!self.ended, "an action after the end: {a:?}");
            let deadline = *self
                .deadline
                .get_or_insert(self.now.saturating_add(self.budget));
            match a {
                AnswerAction::Send { id, request } => {
                    assert!(self.now < deadline, "a request after the budget ran out");
                    let poll = request.url.contains("/activity/");
                    if poll {
                        assert_eq!(
                            query(&request, "lastactivity").as_deref(),
                            self.aw.cursor(),
                            "a poll without the cursor held"
                        );
                        let wait: u32 = query(&request, "wait")
                            .and_then(|w| w.parse().ok())
                            .expect("a poll names its wait");
                        assert!((1..=self.poll_wait_s).contains(&wait), "wait {wait}");
                    }
                    self.sent.push((id, poll));
                }
                AnswerAction::Wait { until_ms } => {
                    assert!(until_ms <= deadline, "a wait past the budget");
                    return;
                }
                AnswerAction::Done(turn) => {
                    assert!(turn.state.is_terminal(), "done on {:?}", turn.state);
                    self.ended = true;
                }
                AnswerAction::Failed(_) => self.ended = true,
                _ => {}
            }
        }
        panic!("16 actions in a row without waiting for an input");
    }

    fn check(&self, r: Result<Fed, InputError>) {
        if self.ended {
            assert!(
                !matches!(r, Ok(Fed::Accepted)),
                "an answer used after the end"
            );
        }
    }

    fn take(&mut self, s: &mut Script) -> Option<(u64, bool)> {
        if self.sent.is_empty() {
            return None;
        }
        let i = s.u8() as usize % self.sent.len();
        Some(self.sent.remove(i))
    }

    fn step(&mut self, s: &mut Script) {
        self.step_at(s, 0);
    }

    fn step_at(&mut self, s: &mut Script, depth: u32) {
        let op = s.u8() % 9;
        trace(format_args!("{} step {op}", self.now));
        if op == 8 {
            // Two inputs with no action pulled between them.
            if depth < 3 {
                self.step_at(s, depth + 1);
                self.step_at(s, depth + 1);
            }
            return;
        }
        match op {
            0..=2 => {
                let Some((id, poll)) = self.take(s) else {
                    return;
                };
                let payload = if poll {
                    let cursor = match s.u8() % 4 {
                        0 => json!(null),
                        1 => json!(s.u32()),
                        _ => json!(s.text()),
                    };
                    json!({"lastactivity": cursor, "activity": ["ai_state:c1", s.text()]})
                } else {
                    let state = s.pick(STATES);
                    let mut turn = json!({"state": state, "response": {"text": s.text()}});
                    if state == "needs_input" && s.flag() {
                        turn["clarification"] = json!({"question": s.text()});
                    }
                    if s.flag() {
                        json!({"message": turn})
                    } else {
                        turn
                    }
                };
                let body = envelope(s, payload);
                let mut resp = respond(s, body);
                if !s.one_in(4) {
                    resp.status = 200;
                }
                let r = self.aw.on_response(id, &resp, self.now);
                self.check(r);
            }
            3 => {
                let Some((id, _)) = self.take(s) else { return };
                let body = if s.flag() {
                    serde_json::to_vec(&error_body(s)).unwrap_or_default()
                } else {
                    s.blob().to_vec()
                };
                let resp = respond(s, body);
                let r = self.aw.on_response(id, &resp, self.now);
                self.check(r);
            }
            4 => {
                let Some((id, _)) = self.take(s) else { return };
                let text = s.text();
                let r = self.aw.on_transport_error(id, &text, self.now);
                self.check(r);
            }
            5 | 6 => {
                self.now = self.now.saturating_add(u64::from(s.u32() >> (s.u8() % 32)));
                self.aw.on_timeout(self.now);
            }
            _ => {
                let id = u64::from(s.u8());
                if !self.sent.iter().any(|(i, _)| *i == id) {
                    let resp = HttpResponse::new(200, b"{\"state\":\"complete\"}".to_vec());
                    let r = self.aw.on_response(id, &resp, self.now);
                    assert!(
                        !matches!(r, Ok(Fed::Accepted)),
                        "an answer to no request was used"
                    );
                }
            }
        }
    }

    fn drain(&mut self) {
        for _ in 0..5000 {
            self.pull();
            if self.ended {
                assert!(self.aw.next_action(self.now).is_none());
                assert!(self.aw.is_finished());
                return;
            }
            if let Some((id, _)) = self.sent.pop() {
                // A failed request takes a moment.
                self.now = self.now.saturating_add(100);
                let _ = self.aw.on_transport_error(id, "refused", self.now);
                continue;
            }
            self.now = self.now.saturating_add(1_000);
            self.aw.on_timeout(self.now);
        }
        panic!("the wait did not end on a host whose requests all fail");
    }
}

fuzz_target!(|data: &[u8]| {
    let mut s = Script::new(data);
    let Ok(config) = ClientConfig::with_api_key("https://api.fast.io/current/", Secret::new("k"))
    else {
        return;
    };
    let Ok(client) = Client::new(config) else {
        return;
    };
    let cfg = AnswerWaitConfig {
        budget_ms: u64::from(s.u16()) * 4,
        poll_wait_s: u32::from(s.u8() % 100),
        min_gap_ms: u64::from(s.u16()),
        max_gap_ms: u64::from(s.u16()),
        request_timeout_ms: u64::from(s.u16()),
        seed: s.u64(),
    };
    let profile = if s.flag() {
        Profile::Workspace("4000000000000000001".into())
    } else {
        Profile::Share("s1".into())
    };
    let aw = match AnswerWait::new(client, profile, "c1", "t1", cfg) {
        Ok(aw) => aw,
        Err(_) => {
            assert!(cfg.poll_wait_s == 0 || cfg.poll_wait_s > 95);
            return;
        }
    };
    let mut host = Host {
        aw,
        now: u64::from(s.u32()),
        deadline: None,
        budget: cfg.budget_ms,
        poll_wait_s: cfg.poll_wait_s,
        sent: Vec::new(),
        ended: false,
    };
    for _ in 0..96 {
        if s.is_empty() {
            break;
        }
        host.pull();
        host.step(&mut s);
    }
    host.drain();
});
