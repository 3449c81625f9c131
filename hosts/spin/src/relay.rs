//! The chunk relay, for files too big for one edge request:
//!
//! - `POST /uploads` (grant) creates the upstream session and answers its
//!   id, the chunk plan and a relay token;
//! - `PUT /uploads/{id}/chunks/{n}` (relay token, `x-chunk-sha256`) checks
//!   the chunk against its digest, adds the API key and relays it; answers
//!   the token for the next chunk;
//! - `POST /uploads/{id}/complete` (the last token) completes the session,
//!   waits until it is stored and answers the verified result.
//!
//! All state is in the signed token ([`RelayState`]), so any instance of
//! the gateway serves any request of the relay, and the edge holds one chunk
//! at most.

use bytes::Bytes;
use fastio_core::api::{Call, Client, Profile, UploadCall};
use fastio_core::decode::models::{UploadSession, UploadStatus};
use fastio_core::http::PartData;
use fastio_core::policy::{Grant, RelayError, RelayState, Sniffer};
use fastio_core::upload::plan::DEFAULT_CHUNK_SIZE;
use serde_json::{Value, json};

use crate::config::UploadConfig;
use crate::exchange::exchange;
use crate::incoming::{Request, unix_now};
use crate::names::{check, file_name};
use crate::reply::Reply;
use crate::upload::policy_reply;
use crate::upstream;

/// Largest `POST /uploads` body.
const CREATE_MAX_BODY: usize = 64 * 1024;

/// How long a relay may take from its creation, seconds.
const RELAY_TTL_S: u64 = 24 * 3600;

/// Details polls at completion, each waiting up to `POLL_WAIT_S`.
const MAX_POLLS: u32 = 20;
const POLL_WAIT_S: u32 = 30;

fn relay_reply(e: &RelayError) -> Reply {
    Reply::error(e.http_status(), e.code(), e.to_string())
}

fn client(cfg: &UploadConfig) -> Result<Client, Reply> {
    Client::new(cfg.client.clone())
        .map_err(|e| Reply::error(500, "gateway_misconfigured", e.to_string()))
}

fn cancel_upstream(client: &Client, upload_id: &str) {
    if let Ok(req) = client.build(&Call::Upload(UploadCall::Cancel {
        upload_id: upload_id.to_string(),
    })) {
        // Best effort: the session expires upstream anyway.
        let _ = exchange(&req);
    }
}

/// `POST /uploads`: body `{"name": …, "size": …}` (or `x-file-name` and
/// `x-file-size` headers).
pub fn create(req: &Request, cfg: &UploadConfig, grant: &Grant) -> Reply {
    if let Some(r) = req.refuse_declared(CREATE_MAX_BODY as u64, "body") {
        return r;
    }
    let body = match req.body().map(|mut b| b.read_all(CREATE_MAX_BODY)) {
        Some(Ok(b)) => b,
        Some(Err(e)) => {
            return e.reply(|_| Reply::error(413, "too_large", "the request body is over 64 KiB"));
        }
        None => Vec::new(),
    };
    let parsed: Value = if body.is_empty() {
        json!({})
    } else {
        match serde_json::from_slice(&body) {
            Ok(v) => v,
            Err(e) => return Reply::error(400, "bad_json", e.to_string()),
        }
    };
    let name = match parsed["name"].as_str() {
        Some(n) => match check(n) {
            Ok(n) => n.to_string(),
            Err(e) => return e.reply(),
        },
        None => match file_name(req) {
            Ok(n) => n,
            Err(r) => return r,
        },
    };
    let size = parsed["size"].as_u64().or_else(|| {
        req.header("x-file-size")
            .and_then(|s| s.trim().parse().ok())
    });
    let Some(size) = size.filter(|s| *s > 0) else {
        return Reply::error(
            400,
            "size_required",
            "give the file size (more than zero) as \"size\"; empty files go to POST /upload",
        );
    };
    let policy = cfg.policy.clone().with_max_size(Some(grant.max_size));
    if let Err(e) = policy.check_declared(Some(size)) {
        return policy_reply(&e);
    }
    let client = match client(cfg) {
        Ok(c) => c,
        Err(r) => return r,
    };
    // Not repeated: a lost answer would leave a second session behind.
    let session = match upstream::send(
        &client,
        &Call::Upload(UploadCall::CreateSession {
            profile: Some(Profile::Workspace(grant.workspace.clone())),
            folder_id: grant.folder.clone(),
            name,
            size: Some(size),
            org: None,
            stream: false,
            max_size: None,
            extra: Vec::new(),
        }),
        0,
    ) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let Some(upload_id) = session.id else {
        return Reply::error(502, "upstream_failed", "the session has no id");
    };
    let state = RelayState::new(
        upload_id.clone(),
        size,
        DEFAULT_CHUNK_SIZE,
        unix_now() + RELAY_TTL_S,
    );
    Reply::json(
        201,
        json!({
            "upload_id": upload_id,
            "size": size,
            "chunk_size": state.chunk_size,
            "chunk_count": state.chunk_count(),
            "next": 1,
            "token": state.seal(&cfg.signer),
            "expires": state.expires,
        }),
    )
}

fn open(req: &Request, cfg: &UploadConfig) -> Result<RelayState, Reply> {
    let token = req.bearer().ok_or_else(|| {
        Reply::error(
            401,
            "relay_token_missing",
            "send the relay token as a bearer token",
        )
    })?;
    RelayState::open(&cfg.keys, token, unix_now()).map_err(|e| relay_reply(&e))
}

/// `PUT /uploads/{id}/chunks/{n}`.
pub fn chunk(req: &Request, cfg: &UploadConfig, upload_id: &str, order: &str) -> Reply {
    let state = match open(req, cfg) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let Ok(order) = order.parse::<u64>() else {
        return Reply::error(400, "bad_chunk_number", "the chunk number is not a number");
    };
    let chunk = match state.expect(upload_id, order) {
        Ok(c) => c,
        Err(e) => return relay_reply(&e).with("next", json!(state.next)),
    };
    let Some(sha) = req.header("x-chunk-sha256").map(str::to_string) else {
        return Reply::error(
            400,
            "chunk_digest_missing",
            "send the chunk's SHA-256 (hex) in x-chunk-sha256",
        );
    };
    // Refused before reading when the declared length is already wrong: 413
    // when it is more than the chunk can be.
    if let Some(r) = req.refuse_declared(chunk.len, &format!("chunk {order}")) {
        return r.with("expected", json!(chunk.len));
    }
    if let Ok(Some(len)) = req.content_length()
        && len != chunk.len
    {
        return relay_reply(&RelayError::WrongLength {
            order,
            expected: chunk.len,
            got: len,
        });
    }
    let cap = usize::try_from(chunk.len).unwrap_or(usize::MAX);
    let data = match req.body().map(|mut b| b.read_all(cap)) {
        Some(Ok(d)) => d,
        Some(Err(e)) => {
            return e.reply(|cap| {
                Reply::error(
                    413,
                    "too_large",
                    format!("chunk {order} is more than its {cap} bytes"),
                )
                .with("expected", json!(chunk.len))
            });
        }
        None => return Reply::error(400, "no_body", "the chunk body could not be read"),
    };
    let (next, crc, whole) = match state.accept(order, &data, &sha) {
        Ok(v) => v,
        Err(e) => return relay_reply(&e),
    };
    let client = match client(cfg) {
        Ok(c) => c,
        Err(r) => return r,
    };
    if order == 1 && !cfg.policy.allowed.is_empty() {
        let kind_ok = cfg
            .policy
            .watch(Some(state.size), Sniffer::new())
            .and_then(|mut w| {
                w.feed(&data)?;
                if w.is_decided() {
                    Ok(())
                } else {
                    w.finish().map(|_| ())
                }
            });
        if let Err(e) = kind_ok {
            cancel_upstream(&client, upload_id);
            return policy_reply(&e).with("cancelled", json!(true));
        }
    }
    // The chunk's bytes are in memory, so a failed send is repeated here on
    // a fresh request (the same order again replaces it upstream).
    let sent = upstream::send(
        &client,
        &Call::Upload(UploadCall::Chunk {
            upload_id: upload_id.to_string(),
            order,
            data: PartData::Inline(Bytes::from(data)),
            hash: Some(sha.trim().to_ascii_lowercase()),
            hash_algo: Some("sha256".into()),
            file_crc32c: whole.as_ref().map(|d| d.crc32c_hex()),
        }),
        0,
    );
    if let Err(r) = sent {
        return r.with("next", json!(order));
    }
    Reply::json(
        200,
        json!({
            "upload_id": upload_id,
            "order": order,
            "crc32c": fastio_core::hash::crc32c_hex(crc),
            "next": next.next,
            "chunk_count": next.chunk_count(),
            "token": next.seal(&cfg.signer),
        }),
    )
}

/// `POST /uploads/{id}/complete`.
pub fn complete(req: &Request, cfg: &UploadConfig, upload_id: &str) -> Reply {
    let state = match open(req, cfg) {
        Ok(s) => s,
        Err(r) => return r,
    };
    if state.upload_id != upload_id {
        return relay_reply(&RelayError::OtherUpload {
            token: state.upload_id.clone(),
            path: upload_id.to_string(),
        });
    }
    let digest = match state.finished() {
        Ok(d) => d,
        Err(e) => return relay_reply(&e).with("next", json!(state.next)),
    };
    let client = match client(cfg) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let upload_call = |f: fn(String) -> UploadCall| Call::Upload(f(upload_id.to_string()));
    // A repeated complete (a retry after a lost answer, maybe on another
    // instance) is refused upstream; the status poll below still answers.
    let completed = upstream::send(
        &client,
        &upload_call(|id| UploadCall::Complete { upload_id: id }),
        0,
    );
    let mut session = completed.ok();
    for _ in 0..MAX_POLLS {
        if session.as_ref().is_some_and(UploadSession::is_final) {
            break;
        }
        let polled = upstream::send(
            &client,
            &Call::Upload(UploadCall::Details {
                upload_id: upload_id.to_string(),
                wait: Some(POLL_WAIT_S),
            }),
            POLL_WAIT_S,
        );
        match polled {
            Ok(s) => session = Some(s),
            Err(r) => return r,
        }
    }
    let Some(s) = session else {
        return Reply::error(502, "upstream_failed", "no status for the session");
    };
    let finished = s.is_final();
    match s.status {
        Some(UploadStatus::Stored) | Some(UploadStatus::Complete) if finished => Reply::json(
            201,
            json!({
                "node_id": s.new_file_id,
                "upload_id": upload_id,
                "size": state.size,
                "sha256": digest.sha256_hex(),
                "crc32c": digest.crc32c_hex(),
            }),
        ),
        Some(other) => Reply::error(
            502,
            if matches!(other, UploadStatus::AssemblyFailed) {
                "integrity_failed"
            } else {
                "upstream_failed"
            },
            format!(
                "the upload ended as {}: {}",
                other.as_str(),
                s.status_message.unwrap_or_default()
            ),
        ),
        None => Reply::error(502, "upstream_failed", "the session reports no status"),
    }
}
