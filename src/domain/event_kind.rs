//! The kinds of event the log records: one name each, so an event appended, filtered or
//! subscribed to under a misspelt name does not compile.

use serde::{Deserialize, Serialize};

macro_rules! event_kinds {
    ($($variant:ident => $name:literal),+ $(,)?) => {
        /// An event's `type`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum EventKind {
            $(#[serde(rename = $name)] $variant),+
        }

        impl EventKind {
            /// Every kind, in the order the API lists them.
            pub const ALL: &[EventKind] = &[$(EventKind::$variant),+];
            /// Their names, in the same order (for parsing filters).
            pub const NAMES: &[&str] = &[$($name),+];

            pub const fn as_str(self) -> &'static str {
                match self {
                    $(EventKind::$variant => $name),+
                }
            }

            pub fn parse(name: &str) -> Option<EventKind> {
                match name {
                    $($name => Some(EventKind::$variant),)+
                    _ => None,
                }
            }
        }
    };
}

event_kinds! {
    ConversationCreated => "conversation.created",
    ConversationUpdated => "conversation.updated",
    ConversationStatusChanged => "conversation.status_changed",
    ConversationAssigned => "conversation.assigned",
    ConversationRemoved => "conversation.removed",
    ConversationRestored => "conversation.restored",
    ConversationTagsChanged => "conversation.tags_changed",
    HandoffRequested => "conversation.handoff_requested",
    HandoffStarted => "conversation.handoff_started",
    HandoffCompleted => "conversation.handoff_completed",
    MessageCreated => "message.created",
    MessageUpdated => "message.updated",
    MessageDeleted => "message.deleted",
    NoteCreated => "note.created",
    NoteUpdated => "note.updated",
    NoteDeleted => "note.deleted",
    ContactCreated => "contact.created",
    ContactUpdated => "contact.updated",
    ContactDeleted => "contact.deleted",
    TicketCreated => "ticket.created",
    TicketUpdated => "ticket.updated",
    AiResponseFailed => "ai_response.failed",
}

/// Written by hand: the derive does not see the names a `macro_rules!` gives the variants, and
/// would publish `ConversationCreated` where the API sends `conversation.created`.
impl utoipa::PartialSchema for EventKind {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .description(Some("An event's type"))
            .enum_values(Some(EventKind::NAMES.iter().copied()))
            .into()
    }
}

impl utoipa::ToSchema for EventKind {}

impl std::fmt::Display for EventKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::EventKind;

    #[test]
    fn every_kind_reads_back_from_its_name_and_serialises_as_it() {
        assert_eq!(EventKind::ALL.len(), EventKind::NAMES.len());
        for &kind in EventKind::ALL {
            assert_eq!(EventKind::parse(kind.as_str()), Some(kind));
            assert_eq!(serde_json::to_value(kind).unwrap(), kind.as_str());
        }
        assert_eq!(EventKind::parse("conversation.typed"), None);
        let schema = serde_json::to_value(<EventKind as utoipa::PartialSchema>::schema()).unwrap();
        assert_eq!(schema["enum"], serde_json::json!(EventKind::NAMES), "the OpenAPI enum is the names sent");
    }
}
