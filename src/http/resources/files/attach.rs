//! Attachments named by `upload_id`: each must be an upload of this workspace (a visitor's
//! own, for a visitor) not yet attached elsewhere; it becomes `{id, name, mime_type, size,
//! url}` on the message, and the message's type follows its first file unless given.

use crate::domain::conversation::MessageType;
use crate::domain::file_type;
use crate::domain::validate::Checker;
use crate::error::ApiResult;
use crate::file_urls::file_path;
use crate::http::AppState;
use crate::ids;
use crate::store::{NewMessage, WorkspaceId};

/// Fills in the uploads `message` attaches (their ids are in place, their URLs empty), adding
/// a field error to `check` for each that cannot be attached. `visitor`: the contact posting,
/// whose own uploads are the only ones they may attach.
pub async fn resolve(
    state: &AppState,
    ws: &WorkspaceId,
    visitor: Option<&str>,
    check: &mut Checker,
    prefix: &str,
    message: &mut NewMessage,
) -> ApiResult<()> {
    let wanted: Vec<String> = message
        .attachments
        .iter()
        .filter(|a| a.url.is_empty())
        .filter_map(|a| a.id.clone())
        .filter(|id| ids::is_valid("file", id))
        .collect();
    let found = if wanted.is_empty() { Vec::new() } else { state.store.files(ws, &wanted).await? };
    for (i, attachment) in message.attachments.iter_mut().enumerate() {
        let Some(id) = attachment.id.clone().filter(|_| attachment.url.is_empty()) else { continue };
        let field = format!("{prefix}attachments[{i}].upload_id");
        let file = found.iter().find(|f| f.id == id);
        let Some(file) = file.filter(|f| visitor.is_none() || f.contact_id.as_deref() == visitor) else {
            check.fail(&field, "is not an upload of yours (send the id POST /v1/uploads returned)");
            continue;
        };
        if file.message_id.is_some() {
            check.fail(&field, "is already attached to another message; upload the file again");
            continue;
        }
        attachment.url = file_path(&id);
        attachment.name = Some(file.name.clone());
        attachment.mime_type = Some(file.mime_type.clone());
        attachment.size = Some(file.size);
    }
    // `new_message` left `file` for a first attachment that is an upload, its type unknown then.
    let first = message.attachments.first().filter(|a| a.id.is_some()).and_then(|a| a.mime_type.as_deref());
    if message.kind == MessageType::File
        && let Some(mime_type) = first
    {
        message.kind = file_type::message_type(mime_type);
    }
    Ok(())
}
