//! Webhook and channel POSTs: the Standard Webhooks headers, a capped response body kept for
//! the attempt log, and `Retry-After` honoured (the connection rules are `outbound`'s).

use std::time::{Duration, Instant};

use reqwest::header::{CONTENT_TYPE, HeaderMap, RETRY_AFTER};
use url::Url;

use crate::outbound::{outbound_client, private_target, with_causes};
use crate::store::Attempt;

/// Response bytes kept in the attempt log.
const BODY_CAP: usize = 1024;

/// What a POST got: the attempt to record and a `Retry-After`, if the target sent one.
pub struct Sent {
    pub attempt: Attempt,
    pub retry_after: Option<Duration>,
}

#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    allow_private: bool,
}

impl Client {
    pub fn new(timeout: Duration, allow_private: bool) -> Self {
        let user_agent = concat!("Baton-Webhooks/", env!("CARGO_PKG_VERSION"));
        Client { http: outbound_client(timeout, allow_private, user_agent), allow_private }
    }

    /// POSTs `body` with the Standard Webhooks headers.
    pub async fn post(&self, url: &str, id: &str, timestamp: i64, signature: &str, body: Vec<u8>) -> Sent {
        let started = Instant::now();
        let mut sent = match Url::parse(url) {
            Err(error) => failure(format!("the URL is not valid: {error}")),
            // Names are checked once resolved; addresses written in the URL, here.
            Ok(parsed) if !self.allow_private && private_target(&parsed) => failure(
                "the target is on loopback or a private network, which this server does not allow".into(),
            ),
            Ok(_) => self.exchange(url, id, timestamp, signature, body).await,
        };
        sent.attempt.latency_ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
        sent
    }

    async fn exchange(&self, url: &str, id: &str, timestamp: i64, signature: &str, body: Vec<u8>) -> Sent {
        let request = self
            .http
            .post(url)
            .header(CONTENT_TYPE, "application/json")
            .header("webhook-id", id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .body(body);
        let mut response = match request.send().await {
            Ok(response) => response,
            Err(error) => return failure(describe(&error)),
        };
        let status = response.status().as_u16();
        let retry_after = retry_after(response.headers());
        let mut kept = Vec::new();
        let mut error = None;
        while kept.len() < BODY_CAP {
            match response.chunk().await {
                Ok(Some(chunk)) => kept.extend_from_slice(&chunk[..chunk.len().min(BODY_CAP - kept.len())]),
                Ok(None) => break,
                Err(e) => {
                    error = Some(describe(&e));
                    break;
                }
            }
        }
        let error = error.or_else(|| match status {
            200..=299 => None,
            300..=399 => Some(format!("answered {status}: redirects are not followed")),
            _ => Some(format!("answered {status}")),
        });
        Sent {
            attempt: Attempt {
                status_code: Some(status),
                latency_ms: 0,
                error,
                response_body: Some(String::from_utf8_lossy(&kept).into_owned()),
            },
            retry_after,
        }
    }
}

fn failure(error: String) -> Sent {
    Sent { attempt: Attempt { error: Some(error), ..Attempt::default() }, retry_after: None }
}

fn describe(error: &reqwest::Error) -> String {
    let kind = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "could not connect"
    } else {
        "failed"
    };
    format!("{kind}: {}", with_causes(error))
}

/// `Retry-After` in seconds or as an HTTP date.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = time::OffsetDateTime::parse(value, &time::format_description::well_known::Rfc2822).ok()?;
    let wait = at - time::OffsetDateTime::now_utc();
    Some(Duration::try_from(wait).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_takes_seconds_or_a_date() {
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, "120".parse().unwrap());
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(120)));
        headers.insert(RETRY_AFTER, "Wed, 21 Oct 2015 07:28:00 GMT".parse().unwrap());
        assert_eq!(retry_after(&headers), Some(Duration::ZERO));
        headers.insert(RETRY_AFTER, "soon".parse().unwrap());
        assert_eq!(retry_after(&headers), None);
    }
}
