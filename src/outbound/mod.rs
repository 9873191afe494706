//! Calls Baton makes out (webhooks, channel replies, model servers): bounded by a timeout, no
//! redirects followed, no proxy, and no connection to a loopback or private address unless the
//! server allows it. Both `delivery` and `ai` build their clients here.

mod targets;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

pub use targets::{checked_target, private_address, private_target};

/// An HTTP client for calls Baton makes out: bounded by `timeout`, no redirects followed, no
/// proxy, and (unless `allow_private`) no connection to a loopback or private address.
pub fn outbound_client(timeout: Duration, allow_private: bool, user_agent: &'static str) -> reqwest::Client {
    // reqwest is built without a default crypto provider; ring builds without cmake.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(5)))
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .user_agent(user_agent)
        .dns_resolver(Arc::new(PublicOnly { allow_private }))
        .build()
        .expect("the HTTP client builds")
}

/// The error with every cause under it ("error sending request: … : connection reset").
pub fn with_causes(error: &reqwest::Error) -> String {
    let mut detail = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        detail = format!("{detail}: {cause}");
        source = cause.source();
    }
    detail
}

/// Resolves names, then refuses private addresses unless allowed: a public name pointing at
/// 10.0.0.1 (or rebinding to it) cannot reach the private network.
struct PublicOnly {
    allow_private: bool,
}

impl Resolve for PublicOnly {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_private = self.allow_private;
        Box::pin(async move {
            let found: Vec<SocketAddr> = tokio::net::lookup_host((name.as_str(), 0)).await?.collect();
            let usable: Vec<SocketAddr> =
                found.into_iter().filter(|a| allow_private || !private_address(a.ip())).collect();
            if usable.is_empty() {
                return Err(format!(
                    "{} resolves only to loopback or private addresses, which this server does not allow",
                    name.as_str()
                )
                .into());
            }
            Ok(Box::new(usable.into_iter()) as Addrs)
        })
    }
}
