//! What an uploaded file really is, told by its first bytes rather than by the type its
//! sender declared: a "photo.png" whose bytes are HTML is refused, so nothing uploaded can be
//! served as a page.

use super::conversation::MessageType;

/// The office formats: zip (Office Open XML, OpenDocument) and the older OLE containers.
const OFFICE_ZIP: &[&str] = &[
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "application/vnd.oasis.opendocument.text",
    "application/vnd.oasis.opendocument.spreadsheet",
    "application/vnd.oasis.opendocument.presentation",
];
const OFFICE_OLE: &[&str] =
    &["application/msword", "application/vnd.ms-excel", "application/vnd.ms-powerpoint"];

/// Images browsers show safely inline (never SVG: it can carry script).
pub const INLINE_IMAGES: &[&str] = &["image/png", "image/jpeg", "image/gif", "image/webp"];

/// The type `bytes` are, given what the sender declared (`declared`, lower case, without
/// parameters) and the file's name; `None` when they are not an allowed type.
pub fn sniff(bytes: &[u8], declared: &str, name: &str) -> Option<&'static str> {
    let starts = |magic: &[u8]| bytes.starts_with(magic);
    let riff = |form: &[u8]| starts(b"RIFF") && bytes.get(8..12) == Some(form);
    let extension = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
    if starts(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if starts(b"\xff\xd8\xff") {
        Some("image/jpeg")
    } else if starts(b"GIF87a") || starts(b"GIF89a") {
        Some("image/gif")
    } else if riff(b"WEBP") {
        Some("image/webp")
    } else if starts(b"%PDF-") {
        Some("application/pdf")
    } else if riff(b"WAVE") {
        Some("audio/wav")
    } else if starts(b"OggS") {
        Some(if declared.starts_with("video/") { "video/ogg" } else { "audio/ogg" })
    } else if starts(b"ID3") || (bytes.len() > 1 && bytes[0] == 0xff && bytes[1] & 0xe0 == 0xe0) {
        Some("audio/mpeg")
    } else if bytes.get(4..8) == Some(b"ftyp") {
        let brand = bytes.get(8..11).unwrap_or_default();
        Some(if brand == b"M4A" || declared.starts_with("audio/") { "audio/mp4" } else { "video/mp4" })
    } else if starts(b"\x1a\x45\xdf\xa3") {
        Some(if declared.starts_with("audio/") { "audio/webm" } else { "video/webm" })
    } else if starts(b"PK\x03\x04") {
        office(declared, &extension, OFFICE_ZIP, &["docx", "xlsx", "pptx", "odt", "ods", "odp"])
    } else if starts(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1") {
        office(declared, &extension, OFFICE_OLE, &["doc", "xls", "ppt"])
    } else {
        text(bytes, declared, &extension)
    }
}

/// A zip or OLE container is an office document only when declared or named as one.
fn office(
    declared: &str,
    extension: &str,
    types: &[&'static str],
    extensions: &[&str],
) -> Option<&'static str> {
    if let Some(found) = types.iter().find(|t| **t == declared) {
        return Some(found);
    }
    extensions.iter().position(|e| *e == extension).map(|i| types[i])
}

/// Plain text or CSV: UTF-8 without control bytes, and not markup (a browser could take
/// `<html>` or `<svg>` for a page, whatever the headers say).
fn text(bytes: &[u8], declared: &str, extension: &str) -> Option<&'static str> {
    let text = std::str::from_utf8(bytes).ok()?;
    let control = text.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t' | '\u{c}'));
    if control || text.trim_start_matches('\u{feff}').trim_start().starts_with('<') {
        return None;
    }
    match (declared, extension) {
        ("text/csv", _) | (_, "csv") => Some("text/csv"),
        ("text/plain", _) | (_, "txt" | "log" | "md") => Some("text/plain"),
        _ => None,
    }
}

/// The message type a file makes.
pub fn message_type(mime_type: &str) -> MessageType {
    match mime_type.split('/').next() {
        Some("image") => MessageType::Image,
        Some("audio") => MessageType::Audio,
        Some("video") => MessageType::Video,
        _ if mime_type == "application/pdf"
            || OFFICE_ZIP.contains(&mime_type)
            || OFFICE_OLE.contains(&mime_type) =>
        {
            MessageType::Document
        }
        _ => MessageType::File,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_come_from_the_bytes_not_the_declaration() {
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n....", "image/jpeg", "a.jpg"), Some("image/png"));
        assert_eq!(sniff(b"<html><script>alert(1)</script>", "image/png", "photo.png"), None);
        assert_eq!(sniff(b"<svg xmlns='http://www.w3.org/2000/svg'/>", "image/svg+xml", "a.svg"), None);
        assert_eq!(sniff(b"  <!doctype html>", "text/plain", "a.txt"), None);
        assert_eq!(sniff(b"MZ\x90\x00\x03", "application/pdf", "a.pdf"), None);
        assert_eq!(sniff(b"order,total\n1,2\n", "application/octet-stream", "orders.csv"), Some("text/csv"));
        assert_eq!(sniff(b"hello", "text/plain", "note"), Some("text/plain"));
        assert_eq!(sniff(b"hello", "application/x-sh", "run.sh"), None);
        assert_eq!(sniff(b"PK\x03\x04rest", "application/zip", "a.zip"), None);
        assert_eq!(sniff(b"PK\x03\x04rest", "application/octet-stream", "Label.DOCX"), Some(OFFICE_ZIP[0]));
        assert_eq!(sniff(b"%PDF-1.7", "application/pdf", "label.pdf"), Some("application/pdf"));
    }

    #[test]
    fn a_file_makes_its_message_type() {
        assert_eq!(message_type("image/png"), MessageType::Image);
        assert_eq!(message_type("application/pdf"), MessageType::Document);
        assert_eq!(message_type("text/csv"), MessageType::File);
        assert_eq!(message_type("video/mp4"), MessageType::Video);
    }
}
