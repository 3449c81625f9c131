//! The answer wait on a virtual clock: the host's time only moves when a
//! test says so, so budgets of minutes run in microseconds.

use serde_json::{Value, json};

use super::*;
use crate::config::ClientConfig;
use crate::http::Method;

const WS: &str = "4000000000000000001";

fn client() -> Client {
    Client::new(ClientConfig::with_api_key("https://api.fast.io/current/", "k").unwrap()).unwrap()
}

fn wait_for(cfg: AnswerWaitConfig) -> AnswerWait {
    AnswerWait::new(client(), Profile::Workspace(WS.into()), "c1", "m1", cfg).unwrap()
}

fn ok(body: Value) -> HttpResponse {
    HttpResponse {
        status: 200,
        headers: Vec::new(),
        body: serde_json::to_vec(&json!({"result": true, "response": body})).unwrap(),
    }
}

fn status(code: u16) -> HttpResponse {
    HttpResponse {
        status: code,
        headers: Vec::new(),
        body: serde_json::to_vec(&json!({"result": false, "error": {"code": 1650, "text": "no"}}))
            .unwrap(),
    }
}

fn turn(state: &str) -> HttpResponse {
    ok(json!({"message": {"state": state, "text": "the question"}}))
}

fn poll(cursor: Value) -> HttpResponse {
    ok(json!({"activity": {"ai_chat:c1": "x"}, "lastactivity": cursor}))
}

/// The `Send` the machine asks for now: (id, request).
fn send(w: &mut AnswerWait, now: u64) -> (RequestId, HttpRequest) {
    match w.next_action(now) {
        Some(AnswerAction::Send { id, request }) => (id, request),
        other => panic!("expected a request at {now}, got {other:?}"),
    }
}

fn is_details(r: &HttpRequest) -> bool {
    r.method == Method::Get
        && r.url
            .ends_with(&format!("workspace/{WS}/ai/agent/c1/message/m1/details/"))
}

fn is_poll(r: &HttpRequest) -> bool {
    r.method == Method::Get && r.url.contains(&format!("/activity/poll/{WS}/?wait="))
}

fn done(w: &mut AnswerWait, now: u64) -> AiMessage {
    match w.next_action(now) {
        Some(AnswerAction::Done(m)) => m,
        other => panic!("expected Done, got {other:?}"),
    }
}

fn failed(w: &mut AnswerWait, now: u64) -> AnswerError {
    match w.next_action(now) {
        Some(AnswerAction::Failed(e)) => e,
        other => panic!("expected Failed, got {other:?}"),
    }
}

#[test]
fn answer_on_the_first_read() {
    let mut w = wait_for(AnswerWaitConfig::default());
    let (id, req) = send(&mut w, 0);
    assert!(is_details(&req), "{}", req.url);
    let body = ok(json!({"message": {"state": "complete", "text": "q",
        "response": {"text": "Revenue grew.", "citations": [{"nodeId": "n1"}]}}}));
    assert_eq!(w.on_response(id, &body, 10), Ok(Fed::Accepted));
    let m = done(&mut w, 10);
    assert_eq!(m.state, TurnStatus::Complete);
    assert_eq!(m.answer.as_deref(), Some("Revenue grew."));
    assert_eq!(m.citations, vec![json!({"nodeId": "n1"})]);
    assert_eq!(w.next_action(10), None, "nothing after Done");
    assert!(w.is_finished());
}

#[test]
fn needs_input_ends_with_the_clarifying_question_not_the_users_text() {
    let mut w = wait_for(AnswerWaitConfig::default());
    let (id, _) = send(&mut w, 0);
    let body = ok(
        json!({"turn": {"state": "needs_input", "text": "my own question",
        "clarification": {"type": "clarification", "question": "Which quarter?"}}}),
    );
    assert_eq!(w.on_response(id, &body, 5), Ok(Fed::Accepted));
    let m = done(&mut w, 5);
    assert_eq!(m.state, TurnStatus::NeedsInput);
    assert_eq!(m.answer, None);
    let c = m.clarification.expect("a clarification");
    assert_eq!(c.question, "Which quarter?");
    assert_eq!(c.kind.as_deref(), Some("clarification"));
}

#[test]
fn long_poll_then_answer() {
    let mut w = wait_for(AnswerWaitConfig::default());
    let (id, _) = send(&mut w, 0);
    assert_eq!(
        w.on_response(id, &turn("in_progress"), 100),
        Ok(Fed::Accepted)
    );
    let (pid, req) = send(&mut w, 100);
    assert!(is_poll(&req), "{}", req.url);
    assert!(
        req.url.ends_with("?wait=20"),
        "no cursor on the first poll: {}",
        req.url
    );
    // While the poll is held, the host is told how long to let it run.
    match w.next_action(200) {
        Some(AnswerAction::Wait { until_ms }) => assert_eq!(until_ms, 100 + 20_000 + 30_000),
        other => panic!("{other:?}"),
    }
    // The server holds it for 7 s, then the turn changes.
    assert_eq!(
        w.on_response(pid, &poll(json!("c-1")), 7_100),
        Ok(Fed::Accepted)
    );
    let (did, req) = send(&mut w, 7_100);
    assert!(is_details(&req));
    assert_eq!(
        w.on_response(did, &turn("complete"), 7_150),
        Ok(Fed::Accepted)
    );
    let m = done(&mut w, 7_150);
    assert_eq!(
        m.answer.as_deref(),
        Some("the question"),
        "`message.text` is the last place read"
    );
}

#[test]
fn ready_in_progress_processing_and_unknown_states_keep_waiting() {
    for state in [
        "ready",
        "in_progress",
        "processing",
        "pending",
        "cancelled",
        "",
    ] {
        let mut w = wait_for(AnswerWaitConfig::default());
        let (id, _) = send(&mut w, 0);
        let _ = w.on_response(id, &turn(state), 1).unwrap();
        let (_, req) = send(&mut w, 1);
        assert!(is_poll(&req), "{state:?} is not terminal");
    }
    for state in ["complete", "errored", "needs_input"] {
        let mut w = wait_for(AnswerWaitConfig::default());
        let (id, _) = send(&mut w, 0);
        let _ = w.on_response(id, &turn(state), 1).unwrap();
        assert_eq!(done(&mut w, 1).state.as_str(), state);
    }
}

/// Drives a wait against a server that always answers at once and never has
/// the answer; returns the number of requests and the final error.
fn drive_against_instant_server(cursor_of: impl Fn(u32) -> Value) -> (u32, AnswerError, u64) {
    let mut w = wait_for(AnswerWaitConfig::default());
    let mut now = 0;
    let mut sent = 0;
    let mut polls = 0;
    loop {
        match w.next_action(now) {
            Some(AnswerAction::Send { id, request }) => {
                sent += 1;
                assert!(sent < 10_000, "the wait spins");
                let resp = if is_poll(&request) {
                    polls += 1;
                    poll(cursor_of(polls))
                } else {
                    turn("in_progress")
                };
                let _ = w.on_response(id, &resp, now).unwrap();
            }
            Some(AnswerAction::Wait { until_ms }) => {
                assert!(until_ms > now, "a wait must move time forward");
                now = until_ms;
                w.on_timeout(now);
            }
            Some(AnswerAction::Failed(e)) => return (sent, e, now),
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn immediate_poll_answers_without_a_new_cursor_do_not_spin() {
    let (sent, e, now) = drive_against_instant_server(|_| json!("same"));
    assert!(
        matches!(
            e,
            AnswerError::TimedOut {
                budget_ms: 300_000,
                ..
            }
        ),
        "{e}"
    );
    assert!(now >= 300_000);
    // Pauses grow 2, 4, 8, 16 then 20 s (the poll wait): about 17 rounds of
    // two requests in 300 s, never hundreds.
    assert!(sent <= 40, "{sent} requests in the budget");
}

#[test]
fn immediate_poll_answers_with_ever_new_cursors_do_not_spin_either() {
    let (sent, e, _) = drive_against_instant_server(|n| json!(format!("c{n}")));
    assert!(matches!(e, AnswerError::TimedOut { .. }), "{e}");
    assert!(sent <= 60, "{sent} requests in the budget");
}

#[test]
fn the_string_cursor_goes_back_verbatim() {
    let mut w = wait_for(AnswerWaitConfig::default());
    let (id, _) = send(&mut w, 0);
    let _ = w.on_response(id, &turn("ready"), 0).unwrap();
    let (pid, _) = send(&mut w, 0);
    let odd = "0001767225600.50 x/y";
    let _ = w.on_response(pid, &poll(json!(odd)), 20_000).unwrap();
    assert_eq!(w.cursor(), Some(odd));
    let (did, _) = send(&mut w, 20_000);
    let _ = w.on_response(did, &turn("ready"), 20_010).unwrap();
    let (_, req) = send(&mut w, 20_010);
    assert!(
        req.url
            .ends_with("?wait=20&lastactivity=0001767225600.50+x%2Fy"),
        "{}",
        req.url
    );

    // A numeric cursor is kept as its decimal text.
    let mut w = wait_for(AnswerWaitConfig::default());
    let (id, _) = send(&mut w, 0);
    let _ = w.on_response(id, &turn("ready"), 0).unwrap();
    let (pid, _) = send(&mut w, 0);
    let _ = w
        .on_response(pid, &poll(json!(1767225600)), 20_000)
        .unwrap();
    assert_eq!(w.cursor(), Some("1767225600"));
}

#[test]
fn a_401_ends_the_wait_on_either_request() {
    let mut w = wait_for(AnswerWaitConfig::default());
    let (id, _) = send(&mut w, 0);
    let _ = w.on_response(id, &status(401), 0).unwrap();
    assert!(matches!(
        failed(&mut w, 0),
        AnswerError::Unauthorized { .. }
    ));

    let mut w = wait_for(AnswerWaitConfig::default());
    let (id, _) = send(&mut w, 0);
    let _ = w.on_response(id, &turn("ready"), 0).unwrap();
    let (pid, _) = send(&mut w, 0);
    let _ = w.on_response(pid, &status(401), 5).unwrap();
    match failed(&mut w, 5) {
        AnswerError::Unauthorized { what, error } => {
            assert_eq!(what, "polling the activity");
            assert_eq!(error.status, Some(401));
        }
        other => panic!("{other}"),
    }
}

#[test]
fn a_404_ends_the_wait_at_once() {
    let mut w = wait_for(AnswerWaitConfig::default());
    let (id, _) = send(&mut w, 0);
    let _ = w.on_response(id, &status(404), 0).unwrap();
    assert!(matches!(failed(&mut w, 0), AnswerError::Api { .. }));
}

#[test]
fn the_budget_runs_out_with_a_typed_timeout() {
    let cfg = AnswerWaitConfig {
        budget_ms: 60_000,
        ..AnswerWaitConfig::default()
    };
    let mut w = wait_for(cfg);
    let mut now = 1_000;
    let mut sent = 0;
    let e = loop {
        match w.next_action(now) {
            Some(AnswerAction::Send { id, request }) => {
                sent += 1;
                if is_poll(&request) {
                    // A server that holds every poll for the whole wait.
                    let wait: u64 = request
                        .url
                        .split("wait=")
                        .nth(1)
                        .unwrap()
                        .split('&')
                        .next()
                        .unwrap()
                        .parse()
                        .unwrap();
                    now += wait * 1000;
                    let _ = w.on_response(id, &poll(json!("same")), now).unwrap();
                } else {
                    let _ = w.on_response(id, &turn("processing"), now).unwrap();
                }
            }
            Some(AnswerAction::Wait { until_ms }) => {
                now = until_ms;
                w.on_timeout(now);
            }
            Some(AnswerAction::Failed(e)) => break e,
            other => panic!("{other:?}"),
        }
    };
    assert_eq!(now, 61_000, "the budget counts from the first action");
    assert_eq!(sent, 6, "three rounds of a details read and a 20 s poll");
    match e {
        AnswerError::TimedOut {
            budget_ms,
            last_state,
        } => {
            assert_eq!(budget_ms, 60_000);
            assert_eq!(last_state.as_deref(), Some("processing"));
        }
        other => panic!("{other}"),
    }
}

#[test]
fn the_last_poll_is_shortened_to_the_budget_left() {
    let cfg = AnswerWaitConfig {
        budget_ms: 25_000,
        ..AnswerWaitConfig::default()
    };
    let mut w = wait_for(cfg);
    let (id, _) = send(&mut w, 0);
    let _ = w.on_response(id, &turn("ready"), 0).unwrap();
    let (pid, _) = send(&mut w, 0);
    let _ = w.on_response(pid, &poll(json!("a")), 20_000).unwrap();
    let (did, _) = send(&mut w, 20_000);
    let _ = w.on_response(did, &turn("ready"), 20_500).unwrap();
    let (_, req) = send(&mut w, 20_500);
    assert!(req.url.contains("?wait=4&"), "{}", req.url);
}

#[test]
fn transient_failures_are_retried_after_a_pause() {
    let mut w = wait_for(AnswerWaitConfig::default());
    let (id, _) = send(&mut w, 0);
    let _ = w.on_response(id, &status(503), 0).unwrap();
    let until = match w.next_action(0) {
        Some(AnswerAction::Wait { until_ms }) => until_ms,
        other => panic!("{other:?}"),
    };
    assert!(until >= 2_000, "a retry waits at least the minimum gap");
    w.on_timeout(until);
    let (id, req) = send(&mut w, until);
    assert!(is_details(&req), "the same read is retried");
    let _ = w.on_transport_error(id, "connection reset", until).unwrap();
    let until2 = match w.next_action(until) {
        Some(AnswerAction::Wait { until_ms }) => until_ms,
        other => panic!("{other:?}"),
    };
    assert!(until2 >= until + 2_000);
    w.on_timeout(until2);
    let (id, _) = send(&mut w, until2);
    let _ = w.on_response(id, &turn("errored"), until2).unwrap();
    assert_eq!(done(&mut w, until2).state, TurnStatus::Errored);
}

#[test]
fn a_late_answer_is_ignored_and_a_stranger_is_a_misuse() {
    let mut w = wait_for(AnswerWaitConfig::default());
    let (id, _) = send(&mut w, 0);
    // No answer before the request's deadline: it is abandoned and retried.
    w.on_timeout(30_000);
    assert_eq!(
        w.on_response(id, &turn("complete"), 30_001),
        Ok(Fed::Ignored)
    );
    assert_eq!(
        w.on_response(99, &turn("complete"), 30_001),
        Err(InputError::UnknownId(99))
    );
    let until = match w.next_action(30_001) {
        Some(AnswerAction::Wait { until_ms }) => until_ms,
        other => panic!("{other:?}"),
    };
    w.on_timeout(until);
    let (id2, _) = send(&mut w, until);
    assert_ne!(id, id2);
    let _ = w.on_response(id2, &turn("complete"), until).unwrap();
    assert_eq!(
        w.on_response(id2, &turn("complete"), until),
        Err(InputError::Duplicate(id2))
    );
    assert_eq!(done(&mut w, until).state, TurnStatus::Complete);
}

#[test]
fn an_answer_after_the_budget_ran_out_is_ignored() {
    let cfg = AnswerWaitConfig {
        budget_ms: 10_000,
        ..AnswerWaitConfig::default()
    };
    let mut w = wait_for(cfg);
    let (id, _) = send(&mut w, 0);
    // The request's deadline is capped at the end of the budget.
    match w.next_action(1) {
        Some(AnswerAction::Wait { until_ms }) => assert_eq!(until_ms, 10_000),
        other => panic!("{other:?}"),
    }
    w.on_timeout(10_000);
    assert!(matches!(
        failed(&mut w, 10_000),
        AnswerError::TimedOut { .. }
    ));
    assert_eq!(
        w.on_response(id, &turn("complete"), 10_005),
        Ok(Fed::Ignored)
    );
    assert_eq!(w.next_action(10_005), None);
}

#[test]
fn a_poll_wait_over_95_is_refused_naming_wait() {
    let cfg = AnswerWaitConfig {
        poll_wait_s: 96,
        ..AnswerWaitConfig::default()
    };
    let e = AnswerWait::new(client(), Profile::Share("s1".into()), "c", "m", cfg).unwrap_err();
    assert!(
        matches!(
            e,
            AnswerError::Build(BuildError::InvalidParam { field: "wait", .. })
        ),
        "{e}"
    );
}

#[test]
fn a_share_wait_reads_the_share_turn_and_polls_the_share() {
    let mut w = AnswerWait::new(
        client(),
        Profile::Share("5000000000000000001".into()),
        "c1",
        "m1",
        AnswerWaitConfig::default(),
    )
    .unwrap();
    let (id, req) = send(&mut w, 0);
    assert!(
        req.url
            .contains("/share/5000000000000000001/ai/agent/c1/message/m1/details/")
    );
    let _ = w
        .on_response(id, &ok(json!({"turn": {"state": "in_progress"}})), 0)
        .unwrap();
    let (_, req) = send(&mut w, 0);
    assert!(
        req.url
            .contains("/activity/poll/5000000000000000001/?wait=20"),
        "{}",
        req.url
    );
}
