//! Which targets are not for outbound requests: anything but the public internet — loopback,
//! private, shared (CGNAT), link-local (cloud metadata lives there), unspecified, broadcast,
//! multicast, reserved and documentation networks, IPv6 forms that embed an IPv4 address
//! (mapped, compatible, NAT64, 6to4) checked on that address, and the addresses this host
//! reaches the internet from.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, UdpSocket};
use std::sync::OnceLock;

use url::{Host, Url};

use crate::domain::validate::Checker;

fn special_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0 // "this network", 0.0.0.0/8
        || (a == 100 && (b & 0xc0) == 64) // shared address space, 100.64.0.0/10
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments, 192.0.0.0/24
        || (a == 198 && (b & 0xfe) == 18) // benchmarking, 198.18.0.0/15
        || a >= 240 // reserved, 240.0.0.0/4
}

/// The IPv4 address an IPv6 address carries: mapped (`::ffff:a.b.c.d`), compatible
/// (`::a.b.c.d`), NAT64 (`64:ff9b::/96`) or 6to4 (`2002:AABB:CCDD::/48`).
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    let from = |hi: u16, lo: u16| Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo));
    match s {
        [0, 0, 0, 0, 0, 0xffff, hi, lo] => Some(from(hi, lo)),
        // `::` and `::1` are the unspecified and loopback addresses, not compatible forms.
        [0, 0, 0, 0, 0, 0, hi, lo] if !(hi == 0 && lo <= 1) => Some(from(hi, lo)),
        [0x64, 0xff9b, 0, 0, 0, 0, hi, lo] => Some(from(hi, lo)),
        [0x2002, hi, lo, ..] => Some(from(hi, lo)),
        _ => None,
    }
}

fn special_v6(ip: Ipv6Addr) -> bool {
    let [first, second, third, ..] = ip.segments();
    ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || (first & 0xfe00) == 0xfc00 // unique local
        || (first & 0xffc0) == 0xfe80 // link-local
        || (first == 0x2001 && second == 0x0db8) // documentation
        || (first == 0x2001 && second == 0) // Teredo: tunnels to an IPv4 address
        || (first == 0x2001 && second == 2 && third == 0) // benchmarking
        || (first == 0x64 && second == 0xff9b && third == 1) // local-use NAT64
        || embedded_v4(ip).is_some_and(special_v4)
}

/// The addresses this host uses to reach the internet (its default route's source address
/// for IPv4 and IPv6, found once without sending anything): a request to them would come
/// back to this server. Its other interfaces' addresses are private ones in practice, refused
/// above.
fn own_addresses() -> &'static [IpAddr] {
    static OWN: OnceLock<Vec<IpAddr>> = OnceLock::new();
    OWN.get_or_init(|| {
        // Connecting a UDP socket only picks the route and the source address.
        let via = |bind: &str, far: &str| {
            let socket = UdpSocket::bind(bind).ok()?;
            socket.connect(far).ok()?;
            socket.local_addr().ok().map(|a| a.ip())
        };
        [via("0.0.0.0:0", "192.0.2.1:9"), via("[::]:0", "[2001:db8::1]:9")].into_iter().flatten().collect()
    })
}

/// Whether an outbound request may not go to `ip` (unless private targets are allowed).
pub fn private_address(ip: IpAddr) -> bool {
    let special = match ip {
        IpAddr::V4(ip) => special_v4(ip),
        IpAddr::V6(ip) => special_v6(ip),
    };
    special || own_addresses().contains(&ip.to_canonical())
}

/// Whether `url` names a private address or a name that is always local. Other names are
/// checked once resolved, when delivering.
pub fn private_target(url: &Url) -> bool {
    match url.host() {
        Some(Host::Ipv4(ip)) => private_address(IpAddr::V4(ip)),
        Some(Host::Ipv6(ip)) => private_address(IpAddr::V6(ip)),
        Some(Host::Domain(name)) => {
            let name = name.trim_end_matches('.').to_ascii_lowercase();
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
            "http://LOCALHOST./",
            "http://[::127.0.0.1]/",
            "http://[::ffff:0.0.0.0]/",
            "http://[::ffff:0.0.0.1]/",
            "http://[64:ff9b::7f00:1]/",
            "http://[2002:7f00:1::]/",
            "http://[2002:a00:1::]/",
            "http://0.1.2.3/",
            "http://224.0.0.1/",
            "http://[ff02::1]/",
            "http://255.255.255.255/",
            "http://192.0.2.10/",
            "http://198.18.0.1/",
            "http://240.0.0.1/",
            "http://[2001:db8::1]/",
            "http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/",
            "http://[64:ff9b:1::a00:1]/",
            "http://[2001:2::1]/",
        ] {
            assert!(private_target(&Url::parse(url).unwrap()), "{url}");
        }
        for url in [
            "https://example.com/hook",
            "https://93.184.216.34/",
            "https://[2606:4700::1111]/",
            "https://[64:ff9b::5db8:d822]/",
            "https://[2002:5db8:d822::]/",
        ] {
            assert!(!private_target(&Url::parse(url).unwrap()), "{url}");
        }
    }
}
