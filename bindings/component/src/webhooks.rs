//! `fastio:core/webhooks`: verify, sign, replay guard, events.

use std::cell::RefCell;

use fastio_core::secret::Secret;
use fastio_core::webhook::{
    self, Algorithm, CustomScheme as CoreCustom, Encoding as CoreEncoding,
    ReplayGuard as CoreGuard, ReplayVerdict as CoreVerdict, Scheme, Signer, Template,
    TimestampCheck as CoreCheck, Tolerance as CoreTolerance, Verifier as CoreVerifier,
};

use crate::Component;
use crate::convert::{headers, webhook_error};
use crate::exports::fastio::core::types::Header;
use crate::exports::fastio::core::webhooks::{
    self, CustomScheme, Delivery, Encoding, HmacAlgorithm, ReplayVerdict, SchemeConfig,
    TimestampCheck, VerifierOptions, WebhookError,
};

fn custom_scheme(c: CustomScheme) -> Result<Scheme, WebhookError> {
    let mut s = CoreCustom::new(
        c.signature_header,
        match c.encoding {
            Encoding::Hex => CoreEncoding::Hex,
            Encoding::Base64 => CoreEncoding::Base64,
        },
    );
    s.id_header = c.id_header;
    s.timestamp_header = c.timestamp_header;
    s.prefix = c.prefix;
    s.algorithm = match c.algorithm {
        HmacAlgorithm::Sha256 => Algorithm::Sha256,
        HmacAlgorithm::Sha512 => Algorithm::Sha512,
    };
    s.template = Template::parse(&c.template).map_err(|e| webhook_error(&e))?;
    Ok(Scheme::Custom(s))
}

fn scheme(config: SchemeConfig) -> Result<Scheme, WebhookError> {
    match config {
        SchemeConfig::Named(name) => Scheme::from_name(&name).map_err(|e| webhook_error(&e)),
        SchemeConfig::FastioTimestampedHex(timestamp_header) => {
            Ok(Scheme::FastioTimestampedHex { timestamp_header })
        }
        SchemeConfig::Custom(c) => custom_scheme(c),
    }
}

fn secrets(list: Vec<String>) -> Vec<Secret> {
    list.into_iter().map(Secret::new).collect()
}

/// A verifier; its keys are set up once, at creation.
pub struct WVerifier(CoreVerifier);

impl webhooks::GuestVerifier for WVerifier {
    fn create(
        s: String,
        secret_list: Vec<String>,
        tolerance_s: Option<u64>,
    ) -> Result<webhooks::Verifier, WebhookError> {
        let check = match tolerance_s {
            Some(t) => CoreCheck::Within(CoreTolerance::symmetric(t)),
            None => CoreCheck::Skip,
        };
        let scheme = Scheme::from_name(&s).map_err(|e| webhook_error(&e))?;
        let v = CoreVerifier::new(scheme, &secrets(secret_list), check)
            .map_err(|e| webhook_error(&e))?;
        Ok(webhooks::Verifier::new(WVerifier(v)))
    }

    fn configure(
        s: SchemeConfig,
        secret_list: Vec<String>,
        options: VerifierOptions,
    ) -> Result<webhooks::Verifier, WebhookError> {
        let check = match options.timestamp {
            TimestampCheck::Skip => CoreCheck::Skip,
            TimestampCheck::Within(t) => CoreCheck::Within(CoreTolerance {
                max_age_s: t.max_age_s,
                max_future_s: t.max_future_s,
            }),
        };
        let mut v = CoreVerifier::new(scheme(s)?, &secrets(secret_list), check)
            .map_err(|e| webhook_error(&e))?;
        if let Some(max) = options.max_body_bytes {
            v = v.with_max_body_bytes(usize::try_from(max).unwrap_or(usize::MAX));
        }
        Ok(webhooks::Verifier::new(WVerifier(v)))
    }

    fn verify(
        &self,
        headers: Vec<Header>,
        body: Vec<u8>,
        now: u64,
    ) -> Result<Delivery, WebhookError> {
        let pairs: Vec<(String, String)> = headers.into_iter().map(|h| (h.name, h.value)).collect();
        let d = self
            .0
            .verify(&pairs, &body, now)
            .map_err(|e| webhook_error(&e))?;
        Ok(Delivery {
            scheme: d.scheme.as_str().to_owned(),
            id: d.id,
            timestamp: d.timestamp,
            secret_index: u32::try_from(d.secret_index).unwrap_or(u32::MAX),
        })
    }
}

/// A replay guard; `check` mutates it, hence the `RefCell`.
pub struct Guard(RefCell<CoreGuard>);

impl webhooks::GuestReplayGuard for Guard {
    fn new(window_s: u64, capacity: u32) -> Self {
        Guard(RefCell::new(CoreGuard::new(window_s, capacity as usize)))
    }
    fn check(&self, id: String, now: u64) -> ReplayVerdict {
        match self.0.borrow_mut().check(&id, now) {
            CoreVerdict::Fresh => ReplayVerdict::Fresh,
            _ => ReplayVerdict::Replay,
        }
    }
    fn len(&self) -> u32 {
        u32::try_from(self.0.borrow().len()).unwrap_or(u32::MAX)
    }
}

fn sign(
    scheme: Scheme,
    secret: String,
    id: Option<String>,
    timestamp: Option<u64>,
    body: &[u8],
) -> Result<Vec<Header>, WebhookError> {
    let signer = Signer::new(scheme, &Secret::new(secret)).map_err(|e| webhook_error(&e))?;
    signer
        .sign(id.as_deref(), timestamp, body)
        .map(headers)
        .map_err(|e| webhook_error(&e))
}

fn invalid_event(e: &webhook::EventError) -> WebhookError {
    WebhookError {
        kind: "invalid_event".into(),
        hint: None,
        message: e.to_string(),
    }
}

impl webhooks::Guest for Component {
    type Verifier = WVerifier;
    type ReplayGuard = Guard;

    fn sign(
        s: String,
        secret: String,
        id: Option<String>,
        timestamp: Option<u64>,
        body: Vec<u8>,
    ) -> Result<Vec<Header>, WebhookError> {
        let scheme = Scheme::from_name(&s).map_err(|e| webhook_error(&e))?;
        sign(scheme, secret, id, timestamp, &body)
    }

    fn sign_with(
        s: SchemeConfig,
        secret: String,
        id: Option<String>,
        timestamp: Option<u64>,
        body: Vec<u8>,
    ) -> Result<Vec<Header>, WebhookError> {
        sign(scheme(s)?, secret, id, timestamp, &body)
    }

    fn parse_event(body: Vec<u8>) -> Result<String, WebhookError> {
        webhook::parse_event(&body)
            .map(|ev| ev.name())
            .map_err(|e| invalid_event(&e))
    }

    fn event_json(body: Vec<u8>) -> Result<String, WebhookError> {
        let ev = webhook::parse_event(&body).map_err(|e| invalid_event(&e))?;
        serde_json::to_string(&ev).map_err(|e| WebhookError {
            kind: "invalid_event".into(),
            hint: None,
            message: e.to_string(),
        })
    }
}
