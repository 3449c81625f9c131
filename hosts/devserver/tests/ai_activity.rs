//! AI turns, cancel and chat management in the official client's shapes, the activity
//! long-poll with its string cursor, and event acknowledgement. Hold times are kept short by
//! passing a small `wait`.

mod common;

use std::thread;
use std::time::{Duration, Instant};

use common::*;
use serde_json::Value;

/// A workspace holding one text file the stand-in AI can cite.
fn workspace_with_notes(api: &Api, folder: &str) -> (String, String) {
    let ws = api.workspace(folder);
    let note = api.put_file(
        &ws,
        "root",
        "notes.txt",
        b"Intro\nThe launch date for Project Falcon is March 3rd.\n",
    );
    (ws, note)
}

fn ask(api: &Api, base: &str, question: &str) -> (String, String) {
    let r = api
        .post(&format!("{base}/ai/agent/"), &[("question", question)])
        .r();
    (
        r["thread"]["thread_id"].as_str().unwrap().to_string(),
        r["turn"]["turn_id"].as_str().unwrap().to_string(),
    )
}

/// The activity cursor now, from a poll that does not wait.
fn cursor(api: &Api, entity: &str) -> String {
    let v = api.get(&format!("activity/poll/{entity}/")).r();
    v["lastactivity"]
        .as_str()
        .unwrap_or_else(|| panic!("lastactivity is a string: {v}"))
        .to_string()
}

/// Waits for a turn as the official client does: details, then a long-poll carrying the
/// string cursor, then details again. Returns the turn and the number of detail reads.
fn wait_turn(
    api: &Api,
    base: &str,
    entity: &str,
    chat: &str,
    turn: &str,
    key: &str,
) -> (Value, u32) {
    let mut last: Option<String> = None;
    for reads in 1..=20 {
        let t = api
            .get(&format!("{base}/ai/agent/{chat}/message/{turn}/details/"))
            .r()[key]
            .clone();
        let state = t["state"].as_str().unwrap_or_default().to_string();
        if ["complete", "errored", "needs_input"].contains(&state.as_str()) {
            return (t, reads);
        }
        let q = match &last {
            Some(c) => format!(
                "activity/poll/{entity}/?wait=5&lastactivity={}",
                url_encode(c)
            ),
            None => format!("activity/poll/{entity}/?wait=5"),
        };
        let p = api.get(&q).r();
        last = Some(
            p["lastactivity"]
                .as_str()
                .expect("string cursor")
                .to_string(),
        );
    }
    panic!("the turn did not end");
}

#[test]
fn a_turn_answers_in_the_clients_shape_and_wakes_the_poll() {
    let api = start();
    let (ws, note) = workspace_with_notes(&api, "ai-shape");
    let base = format!("workspace/{ws}");
    let (chat, turn) = ask(&api, &base, "When is the Falcon launch?");

    let first = api
        .get(&format!("{base}/ai/agent/{chat}/message/{turn}/details/"))
        .r();
    let m = &first["message"];
    assert!(m.get("status").is_none(), "no `status`: {m}");
    assert!(
        ["ready", "in_progress", "complete"].contains(&m["state"].as_str().unwrap()),
        "{m}"
    );

    let (m, reads) = wait_turn(&api, &base, &ws, &chat, &turn, "message");
    assert!(
        reads <= 4,
        "a long-poll between reads, not a tight loop: {reads}"
    );
    assert_eq!(m["state"], "complete");
    let text = m["response"]["text"].as_str().unwrap();
    assert!(text.contains("March 3rd"), "{m}");
    assert_eq!(m["text"], text, "a complete turn's text is the answer");
    assert_eq!(m["response"]["citations"][0]["node_id"], note.as_str());
    assert_eq!(m["actions"], serde_json::json!([]));
    assert!(m.get("clarification").is_none());

    // The end of the turn is in the activity log under `ai_chat:{chat}`.
    let all = api.get(&format!("activity/poll/{ws}/")).r();
    assert!(
        all["activity"].get(format!("ai_chat:{chat}")).is_some(),
        "{all}"
    );
    let ev = api
        .get(&format!(
            "events/search/?workspace_id={ws}&event=ai_chat_new_message"
        ))
        .r();
    assert_eq!(ev["events"][0]["object_id"], chat.as_str());
}

#[test]
fn a_question_with_nothing_to_search_needs_input() {
    let api = start();
    let (ws, _) = workspace_with_notes(&api, "ai-clarify");
    let base = format!("workspace/{ws}");
    let (chat, turn) = ask(&api, &base, "so?");
    let (m, _) = wait_turn(&api, &base, &ws, &chat, &turn, "message");
    assert_eq!(m["state"], "needs_input");
    assert_eq!(m["clarification"]["type"], "clarification");
    assert!(
        m["clarification"]["question"]
            .as_str()
            .unwrap()
            .ends_with('?')
    );
    assert_eq!(
        m["text"], "so?",
        "on needs_input `text` echoes the user's question"
    );
    assert!(m["response"]["text"].is_null());
}

#[test]
fn a_share_turn_is_wrapped_in_turn_and_wakes_a_poll_on_the_share() {
    let api = start();
    let ws = api.workspace("ai-share");
    let sid = api
        .post(
            &format!("workspace/{ws}/create/share/"),
            &[
                ("title", "drop"),
                ("intelligence", "false"),
                ("share_type", "receive"),
            ],
        )
        .r()["share"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let base = format!("share/{sid}");
    for f in ["privacy", "kind"] {
        let r = api.post(
            &format!("{base}/ai/agent/"),
            &[("question", "what is here?"), (f, "private")],
        );
        assert_eq!(r.status, 400, "a share chat refuses `{f}`");
    }
    let c0 = cursor(&api, &sid);
    let (chat, turn) = ask(&api, &base, "what is here?");
    let (t, _) = wait_turn(&api, &base, &sid, &chat, &turn, "turn");
    assert_eq!(t["state"], "complete");
    let p = api
        .get(&format!("activity/poll/{sid}/?lastactivity={c0}&updated=1"))
        .r();
    assert!(
        p["activity"].get(format!("ai_chat:{chat}")).is_some(),
        "{p}"
    );
}

#[test]
fn cancel_answers_without_an_envelope() {
    let api = start();
    let (ws, _) = workspace_with_notes(&api, "ai-cancel");
    let base = format!("workspace/{ws}");
    let (chat, turn) = ask(&api, &base, "When is the Falcon launch?");
    // Sent with no body and no Content-Type, as the official client sends it.
    let r = api.send(
        "POST",
        &format!("{base}/ai/agent/{chat}/cancel/"),
        Some(&api.key),
        &[],
        None,
    );
    assert_eq!(r.status, 200);
    let j = r.json();
    assert!(j.get("result").is_none(), "{j}");
    assert_eq!(j["success"], true);
    assert_eq!(j["message"]["turn_id"], turn.as_str());
    assert_eq!(j["message"]["state"], "errored");

    let again = api
        .send(
            "POST",
            &format!("{base}/ai/agent/{chat}/cancel/"),
            Some(&api.key),
            &[],
            None,
        )
        .json();
    assert_eq!(
        again,
        serde_json::json!({"success": true, "no_pending_message": true})
    );

    // The cancelled turn stays ended.
    thread::sleep(Duration::from_millis(300));
    let m = api
        .get(&format!("{base}/ai/agent/{chat}/message/{turn}/details/"))
        .r();
    assert_eq!(m["message"]["state"], "errored");

    let missing = api.send(
        "POST",
        &format!("{base}/ai/agent/nope/cancel/"),
        Some(&api.key),
        &[],
        None,
    );
    assert_eq!(missing.status, 406);
    let j = missing.json();
    assert_eq!(j["result"], false);
    assert!(
        j["error_message"].is_string() && j["error_id"].is_number(),
        "{j}"
    );
    assert!(j.get("error").is_none(), "a flat error: {j}");
}

#[test]
fn chat_list_messages_rename_publish_and_delete() {
    let api = start();
    let (ws, _) = workspace_with_notes(&api, "ai-manage");
    let base = format!("workspace/{ws}");
    let (chat, turn) = ask(&api, &base, "When is the Falcon launch?");
    wait_turn(&api, &base, &ws, &chat, &turn, "message");
    let f = api
        .post(
            &format!("{base}/ai/agent/{chat}/message/"),
            &[("question", "Anything about March?")],
        )
        .r();
    assert_eq!(f["seq"], 2);
    let agent = api
        .post(
            &format!("{base}/ai/agent/"),
            &[("question", "Falcon?"), ("kind", "agent")],
        )
        .r()["thread"]["thread_id"]
        .as_str()
        .unwrap()
        .to_string();

    let ids = |q: &str| -> Vec<String> {
        api.get(&format!("{base}/ai/agent/{q}")).r()["chats"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(ids("list/"), vec![chat.clone()], "kind defaults to user");
    assert_eq!(ids("list/?kind=agent"), vec![agent.clone()]);
    assert_eq!(ids("list/?kind=all").len(), 2);
    assert_eq!(ids("list/?kind=all&limit=1&offset=1"), vec![agent.clone()]);
    assert_eq!(
        api.get(&format!("{base}/ai/agent/list/?kind=bots")).status,
        400
    );

    let page = api
        .get(&format!(
            "{base}/ai/agent/{chat}/messages/list/?limit=1&offset=1"
        ))
        .r();
    assert_eq!(page["messages"].as_array().unwrap().len(), 1);
    assert_eq!(page["messages"][0]["seq"], 2);
    assert_eq!(page["pagination"]["total"], 2);

    let renamed = api
        .post(
            &format!("{base}/ai/agent/{chat}/update/"),
            &[("name", "Falcon dates")],
        )
        .r();
    assert_eq!(renamed["chat"]["name"], "Falcon dates");
    assert_eq!(
        api.post(&format!("{base}/ai/agent/{chat}/update/"), &[])
            .status,
        400
    );
    assert_eq!(
        api.post(&format!("{base}/ai/agent/{chat}/publish/"), &[])
            .status,
        403
    );
    assert_eq!(
        api.post(&format!("{base}/ai/agent/nope/publish/"), &[])
            .status,
        404
    );

    assert_eq!(
        api.delete(&format!("{base}/ai/agent/{chat}/")).r()["deleted"],
        true
    );
    assert_eq!(ids("list/?kind=all"), vec![agent.clone()]);
    // The deleted list has no trailing slash.
    let deleted = api.get(&format!("{base}/ai/agent/list/deleted")).r();
    assert_eq!(deleted["chats"][0]["id"], chat.as_str());
    assert_eq!(
        api.get(&format!("{base}/ai/agent/{chat}/details/")).status,
        404,
        "a deleted chat is gone from every other route"
    );
}

#[test]
fn the_first_poll_is_held_and_wakes_on_activity() {
    let api = start();
    let ws = api.workspace("poll-hold");
    // Nothing happens: held for the whole (short) wait, even without a cursor.
    let t0 = Instant::now();
    let p = api.get(&format!("activity/poll/{ws}/?wait=1")).r();
    assert!(
        t0.elapsed() >= Duration::from_millis(900),
        "{:?}",
        t0.elapsed()
    );
    assert!(p["lastactivity"].is_string(), "{p}");

    // Something happens: the held first call wakes at once.
    let base = api.base.clone();
    let ws2 = ws.clone();
    let maker = thread::spawn(move || {
        thread::sleep(Duration::from_millis(300));
        remote(&base, "test-key")
            .post(
                &format!("workspace/{ws2}/storage/root/createfolder/"),
                &[("name", "late")],
            )
            .r()["node"]["id"]
            .as_str()
            .unwrap()
            .to_string()
    });
    let t0 = Instant::now();
    let p = api.get(&format!("activity/poll/{ws}/?wait=10")).r();
    let late = maker.join().unwrap();
    assert!(t0.elapsed() < Duration::from_secs(5), "{:?}", t0.elapsed());
    assert!(
        p["activity"].get(format!("storage:{late}")).is_some(),
        "{p}"
    );
}

#[test]
fn updated_lists_only_entries_newer_than_the_cursor() {
    let api = start();
    let ws = api.workspace("poll-updated");
    let old = api
        .post(
            &format!("workspace/{ws}/storage/root/createfolder/"),
            &[("name", "old")],
        )
        .r()["node"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let c0 = cursor(&api, &ws);
    let new = api
        .post(
            &format!("workspace/{ws}/storage/root/createfolder/"),
            &[("name", "new")],
        )
        .r()["node"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let newer = api
        .get(&format!("activity/poll/{ws}/?lastactivity={c0}&updated=1"))
        .r();
    let keys: Vec<&String> = newer["activity"].as_object().unwrap().keys().collect();
    assert_eq!(keys, vec![&format!("storage:{new}")], "{newer}");
    let all = api
        .get(&format!("activity/poll/{ws}/?lastactivity={c0}"))
        .r();
    assert!(
        all["activity"].get(format!("storage:{old}")).is_some(),
        "{all}"
    );
    assert!(
        all["activity"].get(format!("storage:{new}")).is_some(),
        "{all}"
    );
    // The cursor moved on and goes back verbatim; a cursor this server never gave is refused.
    let c1 = newer["lastactivity"].as_str().unwrap();
    assert_ne!(c1, c0);
    let quiet = api
        .get(&format!("activity/poll/{ws}/?lastactivity={c1}&updated=1"))
        .r();
    assert!(quiet["activity"].as_object().unwrap().is_empty(), "{quiet}");
    assert_eq!(
        api.get(&format!("activity/poll/{ws}/?lastactivity=abc"))
            .status,
        400
    );
}

#[test]
fn ack_is_a_post_naming_the_event_and_feeds_the_filter() {
    let api = start();
    let ws = api.workspace("ack");
    api.post(
        &format!("workspace/{ws}/storage/root/createfolder/"),
        &[("name", "a")],
    );
    api.post(
        &format!("workspace/{ws}/storage/root/createfolder/"),
        &[("name", "b")],
    );
    let all = api.get(&format!("events/search/?workspace_id={ws}")).r();
    let eid = all["events"][0]["event_id"].as_str().unwrap().to_string();
    let user = api.get("user/auth/check/").r()["id"]
        .as_str()
        .unwrap()
        .to_string();

    assert_eq!(
        api.get(&format!("event/{eid}/ack/")).status,
        404,
        "no GET ack"
    );
    assert_eq!(
        api.post(&format!("event/{eid}/ack/"), &[]).status,
        400,
        "event_id is required"
    );
    assert_eq!(
        api.post(&format!("event/{eid}/ack/"), &[("event_id", "other")])
            .status,
        400
    );
    // A query-string event_id is not read on a POST.
    assert_eq!(
        api.post(&format!("event/{eid}/ack/?event_id={eid}"), &[])
            .status,
        400
    );
    assert_eq!(
        api.post(&format!("event/{eid}/ack/"), &[("event_id", eid.as_str())])
            .r()["acknowledged"],
        true
    );
    assert_eq!(
        api.post("event/nope/ack/", &[("event_id", "nope")]).status,
        404
    );

    let count = |q: &str| -> usize {
        api.get(&format!("events/search/?workspace_id={ws}{q}")).r()["events"]
            .as_array()
            .unwrap()
            .len()
    };
    let total = count("");
    assert_eq!(count("&acknowledged=true"), 1);
    assert_eq!(count("&acknowledged=false"), total - 1);
    assert_eq!(count(&format!("&calling_user_id={user}")), total);
    assert_eq!(count("&calling_user_id=someone-else"), 0);
    assert_eq!(count("&visibility=external_audit_log"), total);
    assert_eq!(
        api.get(&format!(
            "events/search/?workspace_id={ws}&visibility=everyone"
        ))
        .status,
        400
    );
    assert_eq!(
        api.get(&format!(
            "events/search/?parent_event_id={eid}&category=storage"
        ))
        .status,
        400
    );
    assert_eq!(
        api.get(&format!(
            "events/search/?parent_event_id={eid}&acknowledged=true"
        ))
        .r()["events"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let summary = api
        .get(&format!(
            "events/search/summarize/?workspace_id={ws}&acknowledged=false&user_context=folders"
        ))
        .r();
    assert_eq!(summary["total"].as_u64().unwrap() as usize, total - 1);
}
