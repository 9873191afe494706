//! Which targets are private: loopback, private, shared (CGNAT) and link-local networks
//! (cloud metadata lives there), unspecified and broadcast addresses.

use std::net::{IpAddr, Ipv4Addr};

use url::{Host, Url};

use crate::domain::validate::Checker;

fn private_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || (a == 100 && (b & 0xc0) == 64)
}

pub fn private_address(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(ip) => private_v4(ip),
        IpAddr::V6(ip) => {
            let first = ip.segments()[0];
            ip.is_loopback()
                || ip.is_unspecified()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
                || ip.to_ipv4_mapped().is_some_and(private_v4)
        }
    }
}

/// Whether `url` names a private address or a name that is always local. Other names are
/// checked once resolved, when delivering.
pub fn private_target(url: &Url) -> bool {
    match url.host() {
        Some(Host::Ipv4(ip)) => private_address(IpAddr::V4(ip)),
        Some(Host::Ipv6(ip)) => private_address(IpAddr::V6(ip)),
        Some(Host::Domain(name)) => {
            let name = name.to_ascii_lowercase();
            name == "localhost" || name.ends_with(".localhost") || name == "metadata.google.internal"
        }
        None => true,
    }
}

/// Checks an outbound target (webhook `url`, channel `outbound_url`): an http(s) URL, and
/// not a private one unless the server allows private targets. Returns it trimmed.
pub fn checked_target(check: &mut Checker, field: &str, url: &str, allow_private: bool) -> String {
    let url = check.url(field, url);
    if !allow_private && Url::parse(&url).is_ok_and(|parsed| private_target(&parsed)) {
        check.fail(
            field,
            "must not be on loopback or a private network (the server does not allow private targets)",
        );
    }
    url
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_and_loopback_targets_are_recognised() {
        for url in [
            "http://127.0.0.1/hook",
            "http://10.1.2.3/",
            "http://192.168.0.10/",
            "http://172.16.5.4/",
            "http://169.254.169.254/latest/meta-data",
            "http://100.64.0.1/",
            "http://0.0.0.0/",
            "http://[::1]/",
            "http://[fd00::1]/",
            "http://[fe80::1]/",
            "http://[::ffff:10.0.0.1]/",
            "http://localhost:8080/",
            "http://api.localhost/",
        ] {
            assert!(private_target(&Url::parse(url).unwrap()), "{url}");
        }
        for url in ["https://example.com/hook", "https://93.184.216.34/", "https://[2606:4700::1111]/"] {
            assert!(!private_target(&Url::parse(url).unwrap()), "{url}");
        }
    }
}
