//! A workspace's dashboard cards and their dismissal (fastio_cli src/api/dashboard.rs
//! @96b1551): a bodyless POST dismisses a card for good, a JSON `{snooze_until}` snoozes it, a
//! JSON body without that field is refused (149351), DELETE shows it again. The cards are this
//! server's own three.

use axum::http::StatusCode;
use rusqlite::{OptionalExtension, params};
use serde_json::{Value, json};

use super::paging::{page, paging};
use super::request::Req;
use super::scope;
use crate::envelope::{ApiError, ApiResult, ok};
use crate::ids;
use crate::state::AppState;

const CARDS: &[(&str, &str)] = &[
    ("welcome", "Welcome to your workspace"),
    ("upload_files", "Upload your first files"),
    ("invite_team", "Invite your team"),
];

fn key(ws: &str, card: &str) -> String {
    format!("card:{ws}:{card}")
}

/// `GET workspace/{id}/dashboard/`: the cards neither dismissed nor snoozed.
pub fn list(st: &AppState, ws: &str, rq: &Req) -> ApiResult {
    let (limit, offset) = paging(&rq.params)?;
    let db = st.db();
    scope::workspace(&db, ws)?;
    let now = ids::now_ms();
    let mut shown = Vec::new();
    for (card, title) in CARDS {
        let state: Option<String> = db
            .query_row(
                "SELECT value FROM meta WHERE key = ?1",
                [key(ws, card)],
                |r| r.get(0),
            )
            .optional()?;
        let hidden = match state.as_deref() {
            None => false,
            Some("dismissed") => true,
            Some(until) => until.parse::<i64>().is_ok_and(|t| t > now),
        };
        if !hidden {
            shown.push(json!({"card_key": card, "title": title}));
        }
    }
    let (cards, pagination) = page(shown, limit, offset);
    Ok(ok(json!({"cards": cards, "pagination": pagination})))
}

fn card(c: &str) -> ApiResult<()> {
    if CARDS.iter().any(|(k, _)| *k == c) {
        Ok(())
    } else {
        Err(ApiError::not_found("No such card."))
    }
}

/// `POST workspace/{id}/dashboard/cards/{key}/dismiss/`.
pub fn dismiss(st: &AppState, ws: &str, c: &str, rq: &Req) -> ApiResult {
    card(c)?;
    let state = if rq.content_type.starts_with("application/json") {
        let Some(until) = rq.params.get("snooze_until") else {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                149_351,
                "APP_INVALID_INPUT",
                "A JSON body must carry snooze_until; dismiss for good with no body.",
            ));
        };
        let t = time::OffsetDateTime::parse(until, &time::format_description::well_known::Rfc3339)
            .map_err(|_| {
                ApiError::invalid_param(
                    "snooze_until",
                    "datetime",
                    "'snooze_until' is a date and time.",
                )
            })?;
        (t.unix_timestamp_nanos() / 1_000_000).to_string()
    } else {
        "dismissed".to_string()
    };
    let db = st.db();
    scope::workspace(&db, ws)?;
    db.execute(
        "INSERT OR REPLACE INTO meta(key, value) VALUES (?1, ?2)",
        params![key(ws, c), state],
    )?;
    let snoozed: Value = if state == "dismissed" {
        Value::Null
    } else {
        json!(ids::iso(state.parse().unwrap_or(0)))
    };
    Ok(ok(
        json!({"card_key": c, "dismissed": snoozed.is_null(), "snoozed_until": snoozed}),
    ))
}

/// `DELETE workspace/{id}/dashboard/cards/{key}/dismiss/`.
pub fn undismiss(st: &AppState, ws: &str, c: &str) -> ApiResult {
    card(c)?;
    let db = st.db();
    scope::workspace(&db, ws)?;
    let n = db.execute("DELETE FROM meta WHERE key = ?1", [key(ws, c)])?;
    if n == 0 {
        return Err(ApiError::not_found("The card is not dismissed."));
    }
    Ok(ok(json!({"card_key": c, "dismissed": false})))
}
