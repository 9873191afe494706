//! `GET /v1/conversations` parameters: every filter and sort of the contract.

use utoipa::IntoParams;

use crate::domain::conversation::{Mode, Priority, Status};
use crate::error::ApiError;
use crate::http::extract::{FromQuery, QueryMap, bad_param};
use crate::http::resources::channels::CHANNEL_TYPES;
use crate::store::{ConversationFilter, ConversationSort};

/// Conversation filters and order. Array filters take repeated keys or comma lists.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[expect(dead_code, reason = "documents the parameters that ConversationListQuery parses")]
pub struct ConversationQuery {
    pub status: Option<Vec<Status>>,
    pub mode: Option<Vec<Mode>>,
    pub priority: Option<Vec<Priority>>,
    pub channel_id: Option<Vec<String>>,
    /// Channel types: widget, api, email, whatsapp, …
    pub channel_type: Option<Vec<String>>,
    pub agent_id: Option<Vec<String>>,
    pub agent_version_id: Option<Vec<String>>,
    pub contact_id: Option<Vec<String>>,
    pub contact_email: Option<String>,
    /// A member id, or `none` for unassigned conversations.
    pub assignee_id: Option<String>,
    pub team_id: Option<String>,
    pub state_id: Option<String>,
    /// Tag names (case-insensitive) or ids: conversations with any of them.
    pub tag: Option<Vec<String>>,
    /// Whether any AI message has feedback.
    pub has_feedback: Option<bool>,
    /// Include removed conversations.
    pub include_removed: Option<bool>,
    /// Full-text search (every word) over title, summary, contact name, email and phone, and
    /// message content; or a substring of the answering AI agent's name.
    pub q: Option<String>,
    #[param(format = DateTime)]
    pub created_after: Option<String>,
    #[param(format = DateTime)]
    pub created_before: Option<String>,
    #[param(format = DateTime)]
    pub updated_after: Option<String>,
    #[param(format = DateTime)]
    pub updated_before: Option<String>,
    #[param(format = DateTime)]
    pub last_message_after: Option<String>,
    #[param(format = DateTime)]
    pub last_message_before: Option<String>,
    /// `last_message_at` (default), `created_at`, `updated_at` or `priority`.
    #[param(pattern = "^(last_message_at|created_at|updated_at|priority)$")]
    pub sort: Option<String>,
    /// `desc` (default) or `asc`.
    #[param(pattern = "^(asc|desc)$")]
    pub order: Option<String>,
}

/// The parsed parameters: the store's filter and whether the order is descending.
pub struct ConversationListQuery {
    pub filter: ConversationFilter,
    pub descending: bool,
}

impl FromQuery for ConversationListQuery {
    fn from_query(q: &mut QueryMap) -> Result<Self, ApiError> {
        let sort = match q.value("sort")?.as_deref() {
            None | Some("last_message_at") => ConversationSort::LastMessageAt,
            Some("created_at") => ConversationSort::CreatedAt,
            Some("updated_at") => ConversationSort::UpdatedAt,
            Some("priority") => ConversationSort::Priority,
            Some(_) => {
                return Err(bad_param("sort", "must be last_message_at, created_at, updated_at or priority"));
            }
        };
        let descending = match q.value("order")?.as_deref() {
            None | Some("desc") => true,
            Some("asc") => false,
            Some(_) => return Err(bad_param("order", "must be asc or desc")),
        };
        let filter = ConversationFilter {
            statuses: q.enum_list("status", Status::ALL)?,
            modes: q.enum_list("mode", Mode::ALL)?,
            priorities: q.enum_list("priority", Priority::ALL)?,
            channel_ids: q.id_list("channel_id", "ch")?,
            channel_types: q.enum_list("channel_type", &CHANNEL_TYPES)?,
            agent_ids: q.id_list("agent_id", "agent")?,
            agent_version_ids: q.id_list("agent_version_id", "agv")?,
            responder_ids: Vec::new(),
            contact_ids: q.id_list("contact_id", "ct")?,
            contact_email: q.string("contact_email")?.map(|e| e.trim().to_lowercase()),
            assignee_id: q.id("assignee_id", "mem", &["none"])?.map(|a| (a != "none").then_some(a)),
            team_id: q.id("team_id", "team", &[])?,
            state_id: q.id("state_id", "state", &[])?,
            tags: q.list("tag"),
            q: match q.string("q")? {
                Some(text) if text.chars().count() > 200 => {
                    return Err(bad_param("q", "must be at most 200 characters"));
                }
                other => other,
            },
            has_feedback: q.boolean("has_feedback")?,
            include_removed: q.boolean("include_removed")?.unwrap_or(false),
            created: (q.timestamp("created_after")?, q.timestamp("created_before")?),
            updated: (q.timestamp("updated_after")?, q.timestamp("updated_before")?),
            last_message: (q.timestamp("last_message_after")?, q.timestamp("last_message_before")?),
            sort,
        };
        Ok(ConversationListQuery { filter, descending })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The documented filters are the parsed ones: a filter added to one and not the other
    /// would be either invisible to integrators or refused as unknown.
    #[test]
    fn the_documented_filters_are_the_parsed_ones() {
        let mut query = QueryMap::parse("");
        assert!(ConversationListQuery::from_query(&mut query).is_ok());
        let mut parsed: Vec<String> = query.asked.into_iter().filter(|name| !name.ends_with("[]")).collect();
        parsed.sort();
        parsed.dedup();
        let mut documented: Vec<String> =
            ConversationQuery::into_params(|| None).into_iter().map(|p| p.name).collect();
        documented.sort();
        assert_eq!(parsed, documented);
    }
}
