//! The response decoder on arbitrary status, headers and bodies: every
//! result is a value or a typed error, never a panic. Only a 2xx (or the
//! bulk-details 404) decodes; an error carries the response's status and
//! rate-limit figures; a typed model decodes only where the payload does.
#![no_main]

use fastio_core::decode::models::{
    AiMessage, NodeDetails, NodeList, OAuthToken, UploadSession, WebhookSubscription,
};
use fastio_core::decode::{DecodeOptions, Model, RateLimit, decode, decode_as};
use fastio_core::http::HttpResponse;
use libfuzzer_sys::fuzz_target;

/// A model decodes only from a payload that decodes.
fn model<T: Model>(resp: &HttpResponse, opts: &DecodeOptions, payload_ok: bool) {
    let r = decode_as::<T>(resp, opts);
    assert!(payload_ok || r.is_err(), "a model from a refused response");
}

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
    let rate_limit = RateLimit::from_headers(&resp.headers);
    let payload = decode(&resp, &opts);
    match &payload {
        Ok(d) => {
            assert!(
                (200..300).contains(&status) || status == 404,
                "{status} decoded"
            );
            assert_eq!(d.status, status);
            assert_eq!(d.rate_limit, rate_limit);
        }
        Err(e) => {
            assert_eq!(e.status, Some(status));
            assert_eq!(e.rate_limit, rate_limit);
        }
    }
    let ok = payload.is_ok();
    model::<UploadSession>(&resp, &opts, ok);
    model::<NodeDetails>(&resp, &opts, ok);
    model::<NodeList>(&resp, &opts, ok);
    model::<AiMessage>(&resp, &opts, ok);
    model::<OAuthToken>(&resp, &opts, ok);
    model::<WebhookSubscription>(&resp, &opts, ok);
});
