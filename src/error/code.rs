//! The error codes: the list, and what is derived from the table (`table.rs`): status, name,
//! and docs/API.md's table (a test fails when the enum, `ALL` or docs/API.md drift apart).

use axum::http::StatusCode;

/// Every machine-readable error code the API can return.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    InvalidJson,
    InvalidParameter,
    InvalidHeader,
    MissingApiKey,
    InvalidApiKey,
    InvalidCredentials,
    InvalidSetupLink,
    ForbiddenForKey,
    ForbiddenForRole,
    CrossSiteRequest,
    OriginNotAllowed,
    FileLinkInvalid,
    IdentityNotVerified,
    ContactBlocked,
    RouteNotFound,
    WorkspaceNotFound,
    ApiKeyNotFound,
    ContactNotFound,
    ChannelNotFound,
    ConversationNotFound,
    MessageNotFound,
    NoteNotFound,
    TagNotFound,
    StateNotFound,
    MemberNotFound,
    TeamNotFound,
    TicketNotFound,
    CannedResponseNotFound,
    AgentNotFound,
    ArticleNotFound,
    AiResponseNotFound,
    WebhookNotFound,
    DeliveryNotFound,
    FileNotFound,
    SessionNotFound,
    MethodNotAllowed,
    TicketExists,
    DeliveryInFlight,
    TagNameTaken,
    StateNameTaken,
    MemberEmailTaken,
    TeamNameTaken,
    ShortcodeTaken,
    ConversationAlreadyTaken,
    NoAiAgent,
    ConversationClosed,
    ConversationInHumanMode,
    ConversationNotInManualMode,
    InvalidStatusTransition,
    FeedbackNotAllowed,
    MessageDeleted,
    ContactEmailTaken,
    ContactExternalIdTaken,
    IdempotencyKeyInUse,
    PreconditionFailed,
    PayloadTooLarge,
    UnsupportedMediaType,
    ValidationFailed,
    UnsupportedFileType,
    IdempotencyKeyReused,
    RateLimited,
    InternalError,
    DatabaseUnavailable,
    StorageFull,
    RequestTimeout,
    ServerBusy,
}

impl ErrorCode {
    /// Every code, in the table's order (a test checks it against the enum).
    pub const ALL: [ErrorCode; 66] = {
        use ErrorCode::*;
        [
            InvalidJson,
            InvalidParameter,
            InvalidHeader,
            MissingApiKey,
            InvalidApiKey,
            InvalidCredentials,
            InvalidSetupLink,
            ForbiddenForKey,
            ForbiddenForRole,
            CrossSiteRequest,
            OriginNotAllowed,
            FileLinkInvalid,
            IdentityNotVerified,
            ContactBlocked,
            RouteNotFound,
            WorkspaceNotFound,
            ApiKeyNotFound,
            ContactNotFound,
            ChannelNotFound,
            ConversationNotFound,
            MessageNotFound,
            NoteNotFound,
            TagNotFound,
            StateNotFound,
            MemberNotFound,
            TeamNotFound,
            TicketNotFound,
            CannedResponseNotFound,
            AgentNotFound,
            ArticleNotFound,
            AiResponseNotFound,
            WebhookNotFound,
            DeliveryNotFound,
            FileNotFound,
            SessionNotFound,
            MethodNotAllowed,
            TicketExists,
            DeliveryInFlight,
            TagNameTaken,
            StateNameTaken,
            MemberEmailTaken,
            TeamNameTaken,
            ShortcodeTaken,
            ConversationAlreadyTaken,
            NoAiAgent,
            ConversationClosed,
            ConversationInHumanMode,
            ConversationNotInManualMode,
            InvalidStatusTransition,
            FeedbackNotAllowed,
            MessageDeleted,
            ContactEmailTaken,
            ContactExternalIdTaken,
            IdempotencyKeyInUse,
            PreconditionFailed,
            PayloadTooLarge,
            UnsupportedMediaType,
            ValidationFailed,
            UnsupportedFileType,
            IdempotencyKeyReused,
            RateLimited,
            InternalError,
            DatabaseUnavailable,
            StorageFull,
            RequestTimeout,
            ServerBusy,
        ]
    };

    pub fn status(self) -> StatusCode {
        self.describe().0
    }

    /// The stable name clients match on, e.g. `contact_not_found`.
    pub fn as_str(self) -> &'static str {
        self.describe().1
    }

    /// The table as docs/API.md shows it.
    pub fn markdown_table() -> String {
        let mut table = String::from("| status | code | title | when |\n| --- | --- | --- | --- |\n");
        for code in Self::ALL {
            let (status, name, title, when) = code.describe();
            table.push_str(&format!("| {} | `{name}` | {title} | {when} |\n", status.as_u16()));
        }
        table
    }
}

#[cfg(test)]
mod tests {
    use super::ErrorCode;

    /// `ALL` lists every variant of the enum once, in its order: the enum's source is read,
    /// so a code added to the enum but not to `ALL` fails here.
    #[test]
    fn every_code_is_listed_once_in_order() {
        let source = include_str!("code.rs");
        let body =
            source.split("pub enum ErrorCode {").nth(1).and_then(|rest| rest.split('}').next()).unwrap();
        let declared: Vec<&str> =
            body.lines().map(|l| l.trim().trim_end_matches(',')).filter(|l| !l.is_empty()).collect();
        let listed: Vec<String> = ErrorCode::ALL.iter().map(|c| format!("{c:?}")).collect();
        assert_eq!(listed, declared);
        let mut names: Vec<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ErrorCode::ALL.len(), "two codes share a name");
    }

    /// docs/API.md's error table is the table here. To update it, run this test with
    /// `BATON_WRITE_DOCS=1`.
    #[test]
    fn docs_api_md_lists_every_code() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/API.md");
        let docs = std::fs::read_to_string(path).unwrap();
        let (start, end) =
            ("<!-- error-codes: generated from src/error/code.rs -->\n", "<!-- /error-codes -->");
        let before = docs.split(start).next().unwrap();
        let after = docs.split(end).nth(1).expect("docs/API.md has the error-code markers");
        let expected = format!("{before}{start}{}{end}{after}", ErrorCode::markdown_table());
        if std::env::var_os("BATON_WRITE_DOCS").is_some() {
            std::fs::write(path, &expected).unwrap();
            return;
        }
        assert!(
            docs == expected,
            "docs/API.md's error table drifted from src/error/code.rs; run \
            `BATON_WRITE_DOCS=1 cargo test --lib docs_api_md_lists_every_code`"
        );
    }
}
