//! Typed payloads. Ids are strings whether they arrive as numbers or strings;
//! fields the model does not name are kept in `extra`, never dropped.
//!
//! One module per API area, named after its call builders in [`crate::api`];
//! every model is re-exported here, so `decode::models::X` is the path to use.

pub mod ai;
mod auth;
mod common;
mod events;
mod fileshares;
mod orgs;
mod search;
mod shares;
mod storage;
mod subscriptions;
mod transfer;
mod upload;

pub use ai::{AiCancel, AiMessage, AiTurnRef, Clarification, TurnStatus};
pub use auth::{ApiKey, AuthToken, OAuthToken, TokenCheck, User};
pub use common::{Model, Pagination, flag_value, from_payload};
pub use events::{Activity, Event, EventList};
pub use fileshares::{FileShare, FileShareDetails, FileShareGrant, FileShareGrants, FileShareList};
pub use orgs::{Org, OrgList, Workspace, WorkspaceList};
pub use search::{NoteContent, SearchBucket, UnifiedSearch};
pub use shares::Share;
pub use storage::{Lock, Node, NodeDetails, NodeError, NodeList, ReadToken, next_cursor};
pub use subscriptions::WebhookSubscription;
pub use transfer::TransferToken;
pub use upload::{
    Algos, Batch, BatchResult, ChunkList, IntegrityFailure, UploadLimits, UploadSession,
    UploadStatus, parse_chunks,
};
