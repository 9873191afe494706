//! Signed file URLs: `/v1/files/{id}?expires=…&signature=…`, so an `<img src>` or a download
//! link works without headers, for a while. The key is a secret the nodes share (kept in the
//! database); the signature covers the file id and the expiry. Everything that shows a message
//! to someone outside the server — the API, the event log, the streams, webhook payloads —
//! signs its attachments' URLs on the way out, so a stored path is never handed out bare.

use hmac::{KeyInit, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::model::event::{EventOut, EventRow};
use crate::model::message::Attachment;
use crate::store::{Store, StoreError};

/// How long a URL lasts at least; expiries are rounded up to the hour so a URL stays the same
/// for an hour and browsers can cache the file.
const HOUR_SECS: i64 = 3_600;

/// The path every stored attachment of an upload keeps; signed on the way out.
pub fn file_path(id: &str) -> String {
    format!("/v1/files/{id}")
}

#[derive(Clone)]
pub struct FileSigner {
    key: Vec<u8>,
    /// Prefixed to the path: `--public-url` when set (absolute URLs), else nothing.
    base: String,
}

impl FileSigner {
    pub fn new(key: Vec<u8>, public_url: Option<&str>) -> Self {
        FileSigner { key, base: public_url.unwrap_or("").trim_end_matches('/').to_owned() }
    }

    fn signature(&self, id: &str, expires: i64) -> String {
        let mut mac = hmac::Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes any key length");
        mac.update(format!("{id}.{expires}").as_bytes());
        mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect()
    }

    /// The URL of file `id`, valid for one to two hours from `now_ms`.
    pub fn url(&self, id: &str, now_ms: i64) -> String {
        let expires = (now_ms / 1000 / HOUR_SECS + 2) * HOUR_SECS;
        format!("{}{}?expires={expires}&signature={}", self.base, file_path(id), self.signature(id, expires))
    }

    /// Whether `signature` signs file `id` until `expires`, and that is still ahead.
    pub fn verify(&self, id: &str, expires: i64, signature: &str, now_ms: i64) -> bool {
        let valid = bool::from(self.signature(id, expires).as_bytes().ct_eq(signature.as_bytes()));
        valid && expires * 1000 > now_ms
    }

    /// Gives the attachments that are uploads their signed URL.
    pub fn sign(&self, attachments: &mut [Attachment], now_ms: i64) {
        for attachment in attachments {
            if let Some(id) = &attachment.id {
                attachment.url = self.url(id, now_ms);
            }
        }
    }

    /// An event as the API shows it, its files' URLs signed.
    pub fn event(&self, row: EventRow, now_ms: i64) -> EventOut {
        let mut event = EventOut::from(row);
        self.sign_event_data(&mut event.data, now_ms);
        event
    }

    /// The same, in an event's data (`data.message.attachments`).
    pub fn sign_event_data(&self, data: &mut serde_json::Value, now_ms: i64) {
        let attachments = data.get_mut("message").and_then(|m| m.get_mut("attachments"));
        let Some(attachments) = attachments.and_then(|a| a.as_array_mut()) else { return };
        for attachment in attachments.iter_mut() {
            if let Some(id) = attachment.get("id").and_then(|id| id.as_str()).map(str::to_owned) {
                attachment["url"] = self.url(&id, now_ms).into();
            }
        }
    }
}

/// Whether an event's data carries files whose URLs [`FileSigner::sign_event_data`] signs.
pub fn event_has_files(data: &serde_json::Value) -> bool {
    data["message"]["attachments"].as_array().is_some_and(|a| !a.is_empty())
}

/// The node's [`FileSigner`], its key read from the database on first use and then kept.
#[derive(Clone)]
pub struct FileUrls {
    store: Store,
    public_url: Option<String>,
    signer: std::sync::Arc<tokio::sync::OnceCell<FileSigner>>,
}

impl FileUrls {
    pub fn new(store: Store, public_url: Option<String>) -> Self {
        FileUrls { store, public_url, signer: Default::default() }
    }

    pub async fn signer(&self) -> Result<&FileSigner, StoreError> {
        self.signer
            .get_or_try_init(|| async {
                let key = self.store.server_secret("file_urls").await?;
                Ok(FileSigner::new(key.into_bytes(), self.public_url.as_deref()))
            })
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_verifies_until_it_expires_and_not_when_altered() {
        let signer = FileSigner::new(b"key".to_vec(), Some("https://support.example.com/"));
        let now = 1_800_000_000_000;
        let url = signer.url("file_1", now);
        assert!(url.starts_with("https://support.example.com/v1/files/file_1?expires="));
        let query = url.split_once('?').unwrap().1;
        let (expires, signature) = query.split_once("&signature=").unwrap();
        let expires: i64 = expires.trim_start_matches("expires=").parse().unwrap();
        assert!(expires * 1000 - now >= 3_600_000);
        assert!(signer.verify("file_1", expires, signature, now));
        assert!(!signer.verify("file_2", expires, signature, now), "another file");
        assert!(!signer.verify("file_1", expires + 3600, signature, now), "a later expiry");
        assert!(!signer.verify("file_1", expires, signature, expires * 1000 + 1), "expired");
        let other = FileSigner::new(b"other".to_vec(), None);
        assert!(!other.verify("file_1", expires, signature, now), "another key");
        assert_eq!(signer.url("file_1", now), url, "stable within the hour");
    }
}
