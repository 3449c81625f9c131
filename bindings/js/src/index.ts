// fastio-core for JavaScript: the Fast.io client core (a WebAssembly
// component) behind an API of web-standard types.

export { loadCore, type Core, type LoadOptions } from './core.js';
export { createClient, FastioClient, type UploadOptions, type CallOptions } from './client.js';
export { DEFAULT_BASE_URL, type ClientOptions } from './config.js';
export {
  ApiError,
  DownloadError,
  FastioError,
  GrantError,
  HashError,
  PlanError,
  PolicyError,
  TransferError,
  TransportError,
  UploadError,
  UsageError,
  WebhookError,
  snakeKind,
  type PlanRefusal,
  type RetryDecision,
  type TransferErrorKind,
} from './errors.js';
export { toFetchRequest, type PlainRequest } from './http.js';
export {
  buildRequest,
  decodeResponse,
  isIdempotent,
  isResendable,
  type Call,
  type DecodeOptions,
  type RawResponse,
} from './requests.js';
export type { Page, PageOptions } from './pages.js';
export { FileShares, type FileShareCreate, type FileShareUpdate, type Grantee } from './fileshares.js';
export { Comments, Members, Notes, NoteConflictError, type Entity, type SearchHit } from './collab.js';
export type { Place } from './calls.js';
export type { UploadSource } from './source.js';
export type { DigestAlgo, StoredCheck, TransferOptions, UploadProgress, UploadResult } from './upload.js';
export type { DownloadOptions, DownloadResult, DownloadStream } from './download.js';
export {
  parseEvent,
  ReplayGuard,
  signWebhook,
  verifyWebhook,
  WebhookVerifier,
  type CustomWebhookScheme,
  type SignOptions,
  type TimestampedHexScheme,
  type VerifyOptions,
  type WebhookDelivery,
  type WebhookOptions,
  type WebhookScheme,
  type WebhookSchemeSpec,
  type WebhookTolerance,
} from './webhooks.js';
export {
  BodyWatch,
  GrantKey,
  GrantKeyring,
  kindMime,
  sniff,
  Sniffer,
  UploadPolicy,
  type FileKind,
  type FileSignature,
  type Grant,
  type GrantKeyringOptions,
  type SniffResult,
  type UploadPolicyOptions,
} from './policy.js';
export {
  applyLimits,
  defaultPlanConfig,
  planUpload,
  type PlanConfig,
  type PlanOptions,
  type UploadPlan,
} from './plan.js';
export { Digest, DigestVerifier, hash, parseAlgo, type HashAlgo } from './hashing.js';
