//! Conversation and message rules: statuses, who may write when, message status moves.

use std::fmt;

macro_rules! string_enum {
    ($name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [&'static str] = &[$($text),+];
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
            pub fn parse(text: &str) -> Option<Self> {
                match text { $($text => Some($name::$variant),)+ _ => None }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

string_enum!(Status { Open => "open", Pending => "pending", Snoozed => "snoozed", Resolved => "resolved", Closed => "closed" });
string_enum!(Mode { Ai => "ai", HandoffRequested => "handoff_requested", Human => "human" });
string_enum!(Priority { Low => "low", Normal => "normal", High => "high", Urgent => "urgent" });
string_enum!(SenderType { Contact => "contact", Agent => "agent", Human => "human", System => "system" });
string_enum!(MessageType { Text => "text", Image => "image", Audio => "audio", Video => "video", Document => "document", File => "file", System => "system" });
string_enum!(TicketStatus { Open => "open", Pending => "pending", Solved => "solved", Closed => "closed" });
string_enum!(MessageStatus { Sent => "sent", Delivered => "delivered", Read => "read", Failed => "failed" });

impl Priority {
    /// Sort rank: urgent first when sorting by priority descending.
    pub fn rank(self) -> i64 {
        match self {
            Priority::Low => 0,
            Priority::Normal => 1,
            Priority::High => 2,
            Priority::Urgent => 3,
        }
    }
}

/// Why a change is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Closed conversations are final.
    Closed,
    /// AI messages are only accepted in `ai` mode.
    NotAiMode,
    ContactBlocked,
    /// `snoozed` needs a `snoozed_until` in the future.
    SnoozeNeedsTime,
    /// Delivery status only moves forward.
    StatusBackwards,
    /// Feedback is for the AI's messages.
    FeedbackNotOnAgentMessage,
    /// A deleted message cannot change.
    MessageDeleted,
    /// A human already handles the conversation (no handoff to ask for).
    InHumanMode,
    /// Another member handles the conversation; taking it needs `force`.
    AlreadyTaken,
    /// Back to the AI, but no AI agent can answer.
    NoAiAgent,
}

/// The status a conversation moves to when asked for `to` (with `snoozed_until` if any).
pub fn change_status(
    from: Status,
    to: Status,
    snoozed_until: Option<i64>,
    now: i64,
) -> Result<Status, Refusal> {
    if from == Status::Closed && to != Status::Closed {
        return Err(Refusal::Closed);
    }
    if to == Status::Snoozed && snoozed_until.is_none_or(|until| until <= now) {
        return Err(Refusal::SnoozeNeedsTime);
    }
    Ok(to)
}

/// Whether `sender` may post now, and the status the conversation then has.
pub fn post_message(
    status: Status,
    mode: Mode,
    sender: SenderType,
    contact_blocked: bool,
) -> Result<Status, Refusal> {
    if status == Status::Closed {
        return Err(Refusal::Closed);
    }
    match sender {
        SenderType::Contact if contact_blocked => Err(Refusal::ContactBlocked),
        // A customer writing again reopens a conversation that was waiting or done.
        SenderType::Contact => Ok(match status {
            Status::Pending | Status::Snoozed | Status::Resolved => Status::Open,
            other => other,
        }),
        SenderType::Agent if mode != Mode::Ai => Err(Refusal::NotAiMode),
        _ => Ok(status),
    }
}

/// Message delivery status only moves forward: sent → delivered → read; failed from any.
pub fn message_status_moves(from: MessageStatus, to: MessageStatus) -> bool {
    use MessageStatus::*;
    match (from, to) {
        (_, Failed) => from != Failed,
        (Sent, Delivered | Read) | (Delivered, Read) => true,
        _ => false,
    }
}

/// The short text shown in lists for a message.
pub fn preview(content: &str, kind: MessageType) -> String {
    const MAX: usize = 140;
    let text: String = content.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.is_empty() && kind != MessageType::Text {
        return format!("[{kind}]");
    }
    match text.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closed_is_final() {
        for to in [Status::Open, Status::Pending, Status::Resolved] {
            assert_eq!(change_status(Status::Closed, to, None, 0), Err(Refusal::Closed));
        }
        assert_eq!(change_status(Status::Closed, Status::Closed, None, 0), Ok(Status::Closed));
        for sender in [SenderType::Contact, SenderType::Human, SenderType::Agent, SenderType::System] {
            assert_eq!(post_message(Status::Closed, Mode::Ai, sender, false), Err(Refusal::Closed));
        }
    }

    #[test]
    fn snoozing_needs_a_future_time() {
        assert_eq!(change_status(Status::Open, Status::Snoozed, None, 10), Err(Refusal::SnoozeNeedsTime));
        assert_eq!(change_status(Status::Open, Status::Snoozed, Some(10), 10), Err(Refusal::SnoozeNeedsTime));
        assert_eq!(change_status(Status::Open, Status::Snoozed, Some(11), 10), Ok(Status::Snoozed));
    }

    #[test]
    fn a_contact_message_reopens_waiting_and_done_conversations() {
        for status in [Status::Pending, Status::Snoozed, Status::Resolved, Status::Open] {
            assert_eq!(post_message(status, Mode::Human, SenderType::Contact, false), Ok(Status::Open));
        }
        assert_eq!(post_message(Status::Resolved, Mode::Ai, SenderType::Human, false), Ok(Status::Resolved));
        assert_eq!(
            post_message(Status::Open, Mode::Ai, SenderType::Contact, true),
            Err(Refusal::ContactBlocked)
        );
    }

    #[test]
    fn the_ai_speaks_only_in_ai_mode() {
        assert_eq!(post_message(Status::Open, Mode::Ai, SenderType::Agent, false), Ok(Status::Open));
        for mode in [Mode::HandoffRequested, Mode::Human] {
            assert_eq!(post_message(Status::Open, mode, SenderType::Agent, false), Err(Refusal::NotAiMode));
        }
    }

    #[test]
    fn message_status_only_moves_forward() {
        use MessageStatus::*;
        let all = [Sent, Delivered, Read, Failed];
        let allowed: Vec<_> = all
            .iter()
            .flat_map(|&a| all.iter().map(move |&b| (a, b)))
            .filter(|&(a, b)| message_status_moves(a, b))
            .collect();
        assert_eq!(
            allowed,
            [
                (Sent, Delivered),
                (Sent, Read),
                (Sent, Failed),
                (Delivered, Read),
                (Delivered, Failed),
                (Read, Failed)
            ]
        );
    }

    #[test]
    fn previews_are_short_single_line_and_name_media() {
        assert_eq!(preview("Where is\n my   order?", MessageType::Text), "Where is my order?");
        assert_eq!(preview("", MessageType::Image), "[image]");
        let long = "é".repeat(200);
        let cut = preview(&long, MessageType::Text);
        assert_eq!(cut.chars().count(), 141);
        assert!(cut.ends_with('…'));
    }
}
