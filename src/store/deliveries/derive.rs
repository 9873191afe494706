//! Deliveries derived from events, inside the transaction that appends them.

use super::super::StoreError;
use super::super::conn::{Columns, Conn};
use super::super::events::NewEvent;
use super::super::sql::{Script, Sql, bind_row};
use super::super::webhooks::EventNames;
use crate::ids;

/// One row to insert: which event goes where.
struct Derived<'a> {
    event_id: &'a str,
    event: &'a NewEvent,
    target_type: &'static str,
    target_id: String,
    message_id: Option<String>,
}

/// Queues each event for every enabled endpoint of its workspace that wants its type, and
/// each reply (agent or human message) for its channel's `outbound_url`.
pub(crate) async fn derive(
    conn: &mut impl Conn,
    script: &mut Script,
    events: &[(String, &NewEvent)],
) -> Result<(), StoreError> {
    let mut derived = Vec::new();
    let mut workspaces: Vec<&str> = events.iter().map(|(_, e)| e.ws.as_str()).collect();
    workspaces.sort_unstable();
    workspaces.dedup();
    for ws in workspaces {
        let mut sql = Sql::new("SELECT id, events, event_names FROM webhook_endpoints WHERE workspace_id = ");
        sql.bind(ws.to_owned()).push(" AND enabled = 1");
        let endpoints = conn.fetch_all(sql).await?;
        for endpoint in &endpoints {
            let id: String = endpoint.try_get("id")?;
            let wanted: String = endpoint.try_get("events")?;
            let wanted: Vec<String> = serde_json::from_str(&wanted).unwrap_or_default();
            let names = EventNames::parse(&endpoint.try_get::<String, _>("event_names")?);
            for (event_id, event) in events.iter().filter(|(_, e)| e.ws.as_str() == ws) {
                let Some(name) = names.name_of(event.kind) else { continue };
                if wanted.is_empty() || wanted.iter().any(|w| w == name) {
                    derived.push(Derived {
                        event_id,
                        event,
                        target_type: "webhook",
                        target_id: id.clone(),
                        message_id: None,
                    });
                }
            }
        }
    }
    derive_channel_replies(conn, events, &mut derived).await?;
    if derived.is_empty() {
        return Ok(());
    }
    let sql = script.statement(
        "INSERT INTO deliveries (id, workspace_id, target_type, target_id, event_id, event_type, \
         conversation_id, message_id, next_attempt_at, created_at, updated_at) VALUES ",
    );
    for (i, d) in derived.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        bind_row!(
            sql,
            ids::new_id("dlv"),
            d.event.ws.as_str().to_owned(),
            d.target_type.to_owned(),
            d.target_id.clone(),
            d.event_id.to_owned(),
            d.event.kind.as_str().to_owned(),
            d.event.conversation_id.clone(),
            d.message_id.clone(),
            d.event.created_at,
            d.event.created_at,
            d.event.created_at,
        );
    }
    Ok(())
}

/// Replies to deliver: events that carry a reply (`message.created` of an agent or human
/// message in a conversation with a channel) whose channel has an `outbound_url`.
async fn derive_channel_replies<'a>(
    conn: &mut impl Conn,
    events: &'a [(String, &'a NewEvent)],
    derived: &mut Vec<Derived<'a>>,
) -> Result<(), StoreError> {
    let replies: Vec<(&String, &NewEvent, &str, &str)> = events
        .iter()
        .filter_map(|(id, e)| {
            e.reply.as_ref().map(|(channel, message)| (id, *e, channel.as_str(), message.as_str()))
        })
        .collect();
    if replies.is_empty() {
        return Ok(());
    }
    let mut channels: Vec<String> = replies.iter().map(|(_, _, c, _)| (*c).to_owned()).collect();
    channels.sort_unstable();
    channels.dedup();
    let mut sql = Sql::new("SELECT id FROM channels WHERE outbound_url IS NOT NULL");
    sql.any_of("id", &channels);
    let outbound: Vec<String> =
        conn.fetch_all(sql).await?.iter().map(|r| r.try_get("id")).collect::<Result<_, _>>()?;
    for (event_id, event, channel, message_id) in replies {
        if outbound.iter().any(|c| c == channel) {
            derived.push(Derived {
                event_id,
                event,
                target_type: "channel",
                target_id: channel.to_owned(),
                message_id: Some(message_id.to_owned()),
            });
        }
    }
    Ok(())
}
