//! Signed file URLs: `/v1/files/{id}?expires=…&signature=…`, so an `<img src>` or a download
//! link works without headers, for a while. The key is a secret the nodes share (kept in the
//! database); the signature covers the file id and the expiry.

use hmac::{KeyInit, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::model::message::Attachment;

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

    /// The same, in a message as JSON (an event's data).
    pub fn sign_json(&self, message: &mut serde_json::Value, now_ms: i64) {
        let Some(attachments) = message.get_mut("attachments").and_then(|a| a.as_array_mut()) else { return };
        for attachment in attachments {
            if let Some(id) = attachment.get("id").and_then(|id| id.as_str()).map(str::to_owned) {
                attachment["url"] = self.url(&id, now_ms).into();
            }
        }
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
