// fastio-core for JavaScript: the Fast.io client core (a WebAssembly
// component) behind an API of web-standard types.

export { loadCore, type Core, type LoadOptions } from './core.js';
export { createClient, FastioClient, type UploadOptions, type CallOptions } from './client.js';
export { DEFAULT_BASE_URL, type ClientOptions } from './config.js';
export {
  ApiError,
  DownloadError,
  FastioError,
  HashError,
  TransferError,
  TransportError,
  UploadError,
  UsageError,
  WebhookError,
  type RetryDecision,
  type TransferErrorKind,
} from './errors.js';
export { toFetchRequest, type PlainRequest } from './http.js';
export {
  buildRequest,
  decodeResponse,
  isIdempotent,
  type Call,
  type DecodeOptions,
  type RawResponse,
} from './requests.js';
export type { UploadSource } from './source.js';
export type { TransferOptions, UploadProgress, UploadResult } from './upload.js';
export type { DownloadOptions, DownloadResult, DownloadStream } from './download.js';
export {
  parseEvent,
  ReplayGuard,
  signWebhook,
  verifyWebhook,
  WebhookVerifier,
  type SignOptions,
  type VerifyOptions,
  type WebhookDelivery,
  type WebhookOptions,
  type WebhookScheme,
} from './webhooks.js';
export { Digest, DigestVerifier, hash, parseAlgo, type HashAlgo } from './hashing.js';
