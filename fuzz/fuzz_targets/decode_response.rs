//! The response decoder on arbitrary status, headers and bodies: every
//! result is a value or a typed error, never a panic.
#![no_main]

use fastio_core::decode::models::{
    AiMessage, NodeDetails, NodeList, OAuthToken, UploadSession, WebhookSubscription,
};
use fastio_core::decode::{DecodeOptions, decode, decode_as};
use fastio_core::http::HttpResponse;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if data.len() < 3 {
        return;
    }
    let status = 100 + u16::from_le_bytes([data[0], data[1]]) % 500;
    let split = (data[2] as usize).min(data.len() - 3);
    let (head, body) = data[3..].split_at(split);
    let headers = String::from_utf8_lossy(head)
        .lines()
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let resp = HttpResponse {
        status,
        headers,
        body: body.to_vec(),
    };
    let opts = DecodeOptions::default();
    let _ = decode(&resp, &opts);
    let _ = decode_as::<UploadSession>(&resp, &opts);
    let _ = decode_as::<NodeDetails>(&resp, &opts);
    let _ = decode_as::<NodeList>(&resp, &opts);
    let _ = decode_as::<AiMessage>(&resp, &opts);
    let _ = decode_as::<OAuthToken>(&resp, &opts);
    let _ = decode_as::<WebhookSubscription>(&resp, &opts);
});
