//! `fastio:core/requests`: building calls and decoding responses.

use fastio_core::api::Call;

use crate::Component;
use crate::convert::{client, decode, decode_as, defaults, request, response};
use crate::exports::fastio::core::requests::{self, DecodeOptions as WitDecodeOptions, Decoded};
use crate::exports::fastio::core::types::{
    ApiError, ClientConfig as WitConfig, Error, HttpRequest, HttpResponse,
};

impl requests::Guest for Component {
    type Pager = crate::pager::Walk;

    fn build(config: WitConfig, call_json: String) -> Result<HttpRequest, Error> {
        let client = client(&config).map_err(Error::Config)?;
        let call: Call =
            serde_json::from_str(&call_json).map_err(|e| Error::InvalidInput(e.to_string()))?;
        client
            .build(&call)
            .map(request)
            .map_err(|e| Error::Build(e.to_string()))
    }

    fn follow_redirect(
        config: WitConfig,
        from_url: String,
        response_in: HttpResponse,
    ) -> Result<HttpRequest, Error> {
        let client = client(&config).map_err(Error::Config)?;
        client
            .follow_redirect(&from_url, &response(response_in))
            .map(request)
            .map_err(|e| Error::Build(e.to_string()))
    }

    fn version_conflict(error_detail_json: String) -> Option<String> {
        let e: fastio_core::decode::ApiError = serde_json::from_str(&error_detail_json).ok()?;
        e.version_conflict()
            .map(|m| serde_json::Value::Object(m.clone()).to_string())
    }

    fn is_resendable(call_json: String) -> Result<bool, Error> {
        let call: Call =
            serde_json::from_str(&call_json).map_err(|e| Error::InvalidInput(e.to_string()))?;
        Ok(call.is_resendable())
    }

    fn decode_targets() -> Vec<String> {
        fastio_core::decode::DECODE_TARGETS
            .iter()
            .map(|t| (*t).to_string())
            .collect()
    }

    fn decode_as(
        target: String,
        response_in: HttpResponse,
        options: WitDecodeOptions,
    ) -> Result<Decoded, Error> {
        decode_as(&target, response_in, &options)
    }

    fn defaults() -> requests::CoreDefaults {
        defaults()
    }

    fn decode(response_in: HttpResponse, options: WitDecodeOptions) -> Result<Decoded, ApiError> {
        decode(response_in, &options)
    }
}
