//! Messages as a visitor is shown them: their uploads' URLs signed, and the people and AI
//! agents who wrote them named (a name is all a visitor learns of them).

use std::collections::HashMap;

use super::view::VisitorMessage;
use crate::domain::conversation::SenderType;
use crate::error::ApiResult;
use crate::http::AppState;
use crate::store::{MessageRow, WorkspaceId};

pub struct Shown {
    names: HashMap<String, Option<String>>,
    signer: crate::file_urls::FileSigner,
    now: i64,
}

impl Shown {
    /// Looks up the names `messages` need.
    pub async fn load<'a>(
        state: &AppState,
        ws: &WorkspaceId,
        messages: impl IntoIterator<Item = &'a MessageRow>,
    ) -> ApiResult<Self> {
        let mut names = HashMap::new();
        for message in messages {
            let Some(id) = message.sender_id.as_ref().filter(|id| !names.contains_key(*id)) else { continue };
            let name = match message.sender_type {
                SenderType::Human => state.store.get_member(ws, id).await?.map(|m| m.fields.name),
                SenderType::Agent => state.store.get_agent(ws, id).await?.map(|a| a.fields.name),
                _ => continue,
            };
            names.insert(id.clone(), name);
        }
        Ok(Shown { names, signer: state.file_signer().await?.clone(), now: state.clock.now_ms() })
    }

    pub fn message(&self, row: &MessageRow) -> VisitorMessage {
        let mut shown = VisitorMessage::from(row);
        self.signer.sign(&mut shown.attachments, self.now);
        shown.sender_name = row.sender_id.as_ref().and_then(|id| self.names.get(id).cloned().flatten());
        shown
    }
}
