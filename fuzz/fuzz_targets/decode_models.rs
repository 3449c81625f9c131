//! Every response model decoder (`core/src/decode/models*`), the model picked
//! by the first byte. A decode gives a model or a typed error (malformed
//! payload when the envelope was fine); a model comes only from a payload the
//! envelope decoder accepts, with its status and rate limits; a decoded model
//! serialises (the bindings hand models across as that JSON), and that JSON
//! decodes back to a model that serialises the same — except for models that
//! keep their payload whole as `raw`, whose `raw` must be that payload.
#![no_main]

use fastio_core::decode::models::{
    Activity, AiCancel, AiMessage, AiTurnRef, Algos, ApiKey, AuthToken, Batch, ChunkList, Event,
    EventList, Lock, Node, NodeDetails, NodeList, OAuthToken, Org, OrgList, ReadToken, Share,
    TokenCheck, TransferToken, UploadLimits, UploadSession, User, WebhookSubscription, Workspace,
    WorkspaceList,
};
use fastio_core::decode::{DecodeOptions, ErrorKind, Model, decode, decode_as};
use fastio_core::http::HttpResponse;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

/// `check_as` for the models that keep their payload whole as `raw`.
fn check_raw<T: Model>(resp: &HttpResponse, opts: &DecodeOptions) {
    check_as::<T>(resp, opts, true);
}

fn check<T: Model>(resp: &HttpResponse, opts: &DecodeOptions) {
    check_as::<T>(resp, opts, false);
}

fn check_as<T: Model>(resp: &HttpResponse, opts: &DecodeOptions, keeps_raw: bool) {
    let payload = decode(resp, opts);
    match decode_as::<T>(resp, opts) {
        Ok(d) => {
            // A model comes only from a payload the envelope decoder accepted.
            let p = payload.expect("a model decoded from a refused response");
            assert_eq!(d.status, p.status);
            assert_eq!(d.rate_limit, p.rate_limit);
            let once = serde_json::to_value(&d.value).expect("a model serialises");
            match once.get("raw").filter(|_| keeps_raw) {
                // A model that keeps its payload whole (`raw`) is read from
                // the wire shape only; `raw` must be that payload.
                Some(raw) => assert_eq!(raw, &p.value, "`raw` is not the payload"),
                None => {
                    let again: T = serde_json::from_value(once.clone())
                        .unwrap_or_else(|e| panic!("its own JSON does not decode: {e}\n{once}"));
                    let twice = serde_json::to_value(&again).expect("a model serialises");
                    assert_eq!(once, twice, "serialising is not stable");
                }
            }
        }
        Err(e) => {
            if payload.is_ok() {
                // The envelope was fine, so only the payload's shape can be wrong.
                assert_eq!(e.kind, ErrorKind::MalformedResponse, "{e}");
                assert_eq!(e.status, Some(resp.status));
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    let Some((&code, body)) = rest.split_first() else {
        return;
    };
    // Mostly 200; the bulk-details 404 and an error status now and then.
    let status = match code % 8 {
        0..=4 => 200,
        5 => 404,
        6 => 201,
        _ => 500,
    };
    let resp = HttpResponse::new(status, body.to_vec());
    let opts = DecodeOptions::default();
    match which % 29 {
        0 => check::<Value>(&resp, &opts),
        1 => check::<TokenCheck>(&resp, &opts),
        2 => check::<AuthToken>(&resp, &opts),
        3 => check::<OAuthToken>(&resp, &opts),
        4 => check::<User>(&resp, &opts),
        5 => check::<ApiKey>(&resp, &opts),
        6 => check::<Org>(&resp, &opts),
        7 => check::<Workspace>(&resp, &opts),
        8 => check::<OrgList>(&resp, &opts),
        9 => check::<WorkspaceList>(&resp, &opts),
        10 => check::<NodeDetails>(&resp, &opts),
        11 => check_raw::<NodeList>(&resp, &opts),
        12 => check::<ReadToken>(&resp, &opts),
        13 => check::<Lock>(&resp, &opts),
        14 => check::<UploadSession>(&resp, &opts),
        15 => check::<ChunkList>(&resp, &opts),
        16 => check::<Algos>(&resp, &opts),
        17 => check::<UploadLimits>(&resp, &opts),
        18 => check::<Batch>(&resp, &opts),
        19 => check::<Share>(&resp, &opts),
        20 => check::<AiTurnRef>(&resp, &opts),
        21 => check_raw::<AiMessage>(&resp, &opts),
        22 => check::<AiCancel>(&resp, &opts),
        23 => check::<Event>(&resp, &opts),
        24 => check::<EventList>(&resp, &opts),
        25 => check_raw::<Activity>(&resp, &opts),
        26 => check::<WebhookSubscription>(&resp, &opts),
        27 => check::<TransferToken>(&resp, &opts),
        _ => check::<Node>(&resp, &opts),
    }
});
