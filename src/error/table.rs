//! The one table of error codes: each code's HTTP status, stable name, title and when it
//! happens. The problem body, the OpenAPI document's list of codes and docs/API.md's error
//! table all come from here.

use axum::http::StatusCode;

use super::ErrorCode;

impl ErrorCode {
    /// The table: code → (status, stable code string, title, when it happens).
    pub fn describe(self) -> (StatusCode, &'static str, &'static str, &'static str) {
        use ErrorCode::*;
        match self {
            InvalidJson => {
                (StatusCode::BAD_REQUEST, "invalid_json", "Malformed JSON body", "the body is not JSON")
            }
            InvalidParameter => (
                StatusCode::BAD_REQUEST,
                "invalid_parameter",
                "Invalid parameter",
                "a query or path parameter is malformed or unknown",
            ),
            InvalidHeader => (
                StatusCode::BAD_REQUEST,
                "invalid_header",
                "Invalid header",
                "`If-Match` or `Idempotency-Key` is malformed",
            ),
            MissingApiKey => {
                (StatusCode::UNAUTHORIZED, "missing_api_key", "Missing API key", "no `Authorization` header")
            }
            InvalidApiKey => (
                StatusCode::UNAUTHORIZED,
                "invalid_api_key",
                "Invalid API key",
                "unknown, revoked or malformed key or token",
            ),
            InvalidCredentials => (
                StatusCode::UNAUTHORIZED,
                "invalid_credentials",
                "Wrong email or password",
                "sign-in with a wrong email or password",
            ),
            InvalidSetupLink => (
                StatusCode::UNAUTHORIZED,
                "invalid_setup_link",
                "The setup link is not valid",
                "a setup link already used, expired or never issued",
            ),
            ForbiddenForKey => (
                StatusCode::FORBIDDEN,
                "forbidden_for_key",
                "Key lacks the scope",
                "the key's kind may not call this operation",
            ),
            ForbiddenForRole => (
                StatusCode::FORBIDDEN,
                "forbidden_for_role",
                "The member's role does not allow this",
                "an `agent` member managing the workspace, or acting as another member",
            ),
            CrossSiteRequest => (
                StatusCode::FORBIDDEN,
                "cross_site_request",
                "The request did not come from this server's pages",
                "a change signed in by the session cookie, from another origin (or none)",
            ),
            OriginNotAllowed => (
                StatusCode::FORBIDDEN,
                "origin_not_allowed",
                "Origin not allowed",
                "a client key used from a page outside its channel's `allowed_origins`",
            ),
            FileLinkInvalid => (
                StatusCode::FORBIDDEN,
                "file_link_invalid",
                "File link invalid or expired",
                "a file URL's `signature` does not match or its `expires` has passed",
            ),
            IdentityNotVerified => (
                StatusCode::FORBIDDEN,
                "identity_not_verified",
                "The visitor's identity could not be verified",
                "a widget session's `user_hash` does not prove its `external_id`",
            ),
            ContactBlocked => (
                StatusCode::FORBIDDEN,
                "contact_blocked",
                "Contact is blocked",
                "a blocked contact's message",
            ),
            RouteNotFound => (StatusCode::NOT_FOUND, "route_not_found", "Route not found", "no such path"),
            WorkspaceNotFound => (
                StatusCode::NOT_FOUND,
                "workspace_not_found",
                "Workspace not found",
                "also for another workspace's objects",
            ),
            ApiKeyNotFound => (
                StatusCode::NOT_FOUND,
                "api_key_not_found",
                "API key not found",
                "also for another workspace's objects",
            ),
            ContactNotFound => (
                StatusCode::NOT_FOUND,
                "contact_not_found",
                "Contact not found",
                "also for another workspace's objects",
            ),
            ChannelNotFound => (
                StatusCode::NOT_FOUND,
                "channel_not_found",
                "Channel not found",
                "also for another workspace's objects",
            ),
            ConversationNotFound => (
                StatusCode::NOT_FOUND,
                "conversation_not_found",
                "Conversation not found",
                "also for another workspace's objects",
            ),
            MessageNotFound => (
                StatusCode::NOT_FOUND,
                "message_not_found",
                "Message not found",
                "also for another workspace's objects",
            ),
            NoteNotFound => (
                StatusCode::NOT_FOUND,
                "note_not_found",
                "Note not found",
                "also for another workspace's objects",
            ),
            TagNotFound => (
                StatusCode::NOT_FOUND,
                "tag_not_found",
                "Tag not found",
                "also for another workspace's objects",
            ),
            StateNotFound => (
                StatusCode::NOT_FOUND,
                "state_not_found",
                "Conversation state not found",
                "also for another workspace's objects",
            ),
            MemberNotFound => (
                StatusCode::NOT_FOUND,
                "member_not_found",
                "Member not found",
                "also for another workspace's objects",
            ),
            TeamNotFound => (
                StatusCode::NOT_FOUND,
                "team_not_found",
                "Team not found",
                "also for another workspace's objects",
            ),
            TicketNotFound => (
                StatusCode::NOT_FOUND,
                "ticket_not_found",
                "Ticket not found",
                "also for another workspace's objects",
            ),
            CannedResponseNotFound => (
                StatusCode::NOT_FOUND,
                "canned_response_not_found",
                "Canned response not found",
                "also for another workspace's objects",
            ),
            AgentNotFound => (
                StatusCode::NOT_FOUND,
                "agent_not_found",
                "Agent not found",
                "also for another workspace's objects",
            ),
            ArticleNotFound => (
                StatusCode::NOT_FOUND,
                "article_not_found",
                "Knowledge article not found",
                "also for another workspace's objects",
            ),
            AiResponseNotFound => (
                StatusCode::NOT_FOUND,
                "ai_response_not_found",
                "No AI response for this message",
                "also for another workspace's objects",
            ),
            WebhookNotFound => (
                StatusCode::NOT_FOUND,
                "webhook_not_found",
                "Webhook endpoint not found",
                "also for another workspace's objects",
            ),
            DeliveryNotFound => (
                StatusCode::NOT_FOUND,
                "delivery_not_found",
                "Delivery not found",
                "also for another workspace's objects",
            ),
            FileNotFound => {
                (StatusCode::NOT_FOUND, "file_not_found", "File not found", "no such file, or not yours")
            }
            SessionNotFound => (
                StatusCode::NOT_FOUND,
                "session_not_found",
                "Session not found",
                "no such session of the calling member",
            ),
            MethodNotAllowed => (
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "Method not allowed",
                "the path exists, the method does not",
            ),
            TicketExists => (
                StatusCode::CONFLICT,
                "ticket_exists",
                "The conversation has a ticket",
                "the conversation has a ticket already (PATCH it)",
            ),
            DeliveryInFlight => (
                StatusCode::CONFLICT,
                "delivery_in_flight",
                "The delivery is being sent right now",
                "retrying a delivery a node is sending right now",
            ),
            TagNameTaken => (
                StatusCode::CONFLICT,
                "tag_name_taken",
                "A tag with this name exists",
                "unique per workspace",
            ),
            StateNameTaken => (
                StatusCode::CONFLICT,
                "state_name_taken",
                "A state with this name exists",
                "unique per workspace",
            ),
            MemberEmailTaken => (
                StatusCode::CONFLICT,
                "member_email_taken",
                "A member with this email exists",
                "unique per workspace",
            ),
            TeamNameTaken => (
                StatusCode::CONFLICT,
                "team_name_taken",
                "A team with this name exists",
                "unique per workspace",
            ),
            ShortcodeTaken => (
                StatusCode::CONFLICT,
                "shortcode_taken",
                "A canned response with this shortcode exists",
                "unique per workspace",
            ),
            ConversationAlreadyTaken => (
                StatusCode::CONFLICT,
                "conversation_already_taken",
                "Another member handles this conversation",
                "another member handles it (send `force`)",
            ),
            NoAiAgent => (
                StatusCode::CONFLICT,
                "no_ai_agent",
                "No AI agent can answer this conversation",
                "`stop-human` where no AI agent can answer",
            ),
            ConversationClosed => (
                StatusCode::CONFLICT,
                "conversation_closed",
                "Conversation is closed",
                "the conversation is closed",
            ),
            ConversationInHumanMode => (
                StatusCode::CONFLICT,
                "conversation_in_human_mode",
                "Conversation is not in AI mode",
                "an `agent` message outside `ai` mode, or a handoff request while a human handles it",
            ),
            ConversationNotInManualMode => (
                StatusCode::CONFLICT,
                "conversation_not_in_manual_mode",
                "Conversation is not in manual mode",
                "seed 003's `user-messages` while the AI answers (switch the mode to `manual` first)",
            ),
            InvalidStatusTransition => (
                StatusCode::CONFLICT,
                "invalid_status_transition",
                "Status cannot move that way",
                "a message's delivery status moving backwards",
            ),
            FeedbackNotAllowed => (
                StatusCode::CONFLICT,
                "feedback_not_allowed",
                "Feedback is for AI messages",
                "feedback on a message that is not the AI's",
            ),
            MessageDeleted => (
                StatusCode::CONFLICT,
                "message_deleted",
                "Message was deleted",
                "feedback on or a change to a deleted message",
            ),
            ContactEmailTaken => (
                StatusCode::CONFLICT,
                "contact_email_taken",
                "Contact email already in use",
                "unique per workspace",
            ),
            ContactExternalIdTaken => (
                StatusCode::CONFLICT,
                "contact_external_id_taken",
                "Contact external id already in use",
                "unique per workspace",
            ),
            IdempotencyKeyInUse => (
                StatusCode::CONFLICT,
                "idempotency_key_in_use",
                "A request with this idempotency key is still running",
                "the first request with this key is still running",
            ),
            PreconditionFailed => (
                StatusCode::PRECONDITION_FAILED,
                "precondition_failed",
                "Version mismatch",
                "`If-Match` names an old version",
            ),
            PayloadTooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                "Request body too large",
                "body over `--body-limit-bytes`",
            ),
            UnsupportedMediaType => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "Unsupported content type",
                "body not `application/json`",
            ),
            ValidationFailed => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation_failed",
                "Validation failed",
                "`errors[]` names each bad field",
            ),
            UnsupportedFileType => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "unsupported_file_type",
                "Unsupported file type",
                "an upload's content is not an allowed type (checked on its bytes)",
            ),
            IdempotencyKeyReused => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "idempotency_key_reused",
                "Idempotency key reused with a different request",
                "same key, different request",
            ),
            RateLimited => (
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                "Too many requests",
                "too many sign-in attempts, or a visitor's sessions, messages, conversations, uploads or streams over their quota (`Retry-After`)",
            ),
            InternalError => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal_error",
                "Internal server error",
                "details are logged, never returned",
            ),
            DatabaseUnavailable => (
                StatusCode::SERVICE_UNAVAILABLE,
                "database_unavailable",
                "Database unavailable",
                "the database cannot be reached; retry shortly (`Retry-After`)",
            ),
            StorageFull => (
                StatusCode::SERVICE_UNAVAILABLE,
                "storage_full",
                "Storage full",
                "the server's disk is full: nothing was stored; retry once space is freed (`Retry-After`)",
            ),
            RequestTimeout => (
                StatusCode::SERVICE_UNAVAILABLE,
                "request_timeout",
                "Request timed out",
                "the request ran longer than `--request-timeout-secs`",
            ),
            ServerBusy => (
                StatusCode::SERVICE_UNAVAILABLE,
                "server_busy",
                "Server busy",
                "too many password checks at once on this node (`Retry-After`)",
            ),
        }
    }
}
