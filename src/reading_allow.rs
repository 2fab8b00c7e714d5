//! Which URLs Backstage may read: the entries of `backend.reading.allow`, and catalog
//! locations, matched exactly as Backstage's URL reader matches them.
//!
//! Backstage (`FetchUrlReader` in `@backstage/backend-defaults`) splits an entry's `host`
//! at `:` into a host and a port. Without a port, an entry matches only a URL on its
//! scheme's default port (443 for https, 80 for http); `host:port` and `host:first-last`
//! match those ports. `*.example.com` matches every host below example.com, not
//! example.com itself. The host compares exactly against the URL's host, which URL
//! parsing writes in lower case. So a location on port 8443 needs `host: name:8443`: the
//! plain name lets nothing through, and the catalog stays empty without a word.

use url::Url;

/// One `backend.reading.allow` entry's `host`, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    host: HostPattern,
    /// The ports it allows; `None`: the URL scheme's default port only.
    ports: Option<(u16, u16)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum HostPattern {
    /// The host itself.
    Exact(String),
    /// Every host ending in this suffix (`.example.com`).
    Below(String),
}

impl Entry {
    /// Parses an entry as `spec.catalog.readingAllow` takes it: `host`, `*.domain`,
    /// `host:port` or `host:first-last`; the host a DNS name or an IPv4 address.
    pub fn parse(text: &str) -> Result<Self, String> {
        if text.is_empty() {
            return Err("is empty: give a host, e.g. github.com or git.internal:8443".into());
        }
        if text.contains("://") || text.contains('/') {
            return Err(
                "is a URL: give only the host and, off the default port, `:port` (e.g. git.internal:8443)"
                    .into(),
            );
        }
        if text.starts_with('[') || text.matches(':').count() > 1 {
            return Err(
                "is an IPv6 address: Backstage splits each entry at `:`, so it cannot allow one; serve the catalog under a DNS name"
                    .into(),
            );
        }
        let (host, ports) = match text.split_once(':') {
            Some((host, port)) => (host, Some(parse_ports(port)?)),
            None => (text, None),
        };
        if host.chars().any(|c| c.is_ascii_uppercase()) {
            return Err(format!(
                "holds upper case: Backstage compares it with the URL's host, which is always lower case, so it would match nothing (write `{}`)",
                crate::quote::shorten(&text.to_ascii_lowercase())
            ));
        }
        let host = match host.strip_prefix("*.") {
            Some(domain) => {
                check_host(domain)?;
                HostPattern::Below(format!(".{domain}"))
            }
            None if host.contains('*') => {
                return Err(
                    "has a `*` that is not a leading `*.`: Backstage takes only `*.domain` wildcards"
                        .into(),
                );
            }
            None => {
                check_host(host)?;
                HostPattern::Exact(host.to_string())
            }
        };
        Ok(Self { host, ports })
    }

    /// Whether Backstage lets this entry read `url`.
    pub fn allows(&self, url: &Url) -> bool {
        let Some(host) = url.host_str() else {
            return false;
        };
        let host_matches = match &self.host {
            HostPattern::Exact(name) => host == name,
            HostPattern::Below(suffix) => host.ends_with(suffix.as_str()),
        };
        let port_matches = match (self.ports, url.port()) {
            (None, explicit) => explicit.is_none(),
            (Some((first, last)), _) => url
                .port_or_known_default()
                .is_some_and(|port| (first..=last).contains(&port)),
        };
        host_matches && port_matches
    }
}

fn parse_ports(text: &str) -> Result<(u16, u16), String> {
    let port = |part: &str| match part.parse::<u16>() {
        Ok(port) if port > 0 => Ok(port),
        _ => Err(format!(
            "has port `{}`: a port is a number from 1 to 65535 (or a range such as 8000-8999)",
            crate::quote::shorten(text)
        )),
    };
    match text.split_once('-') {
        Some((first, last)) => {
            let (first, last) = (port(first)?, port(last)?);
            if first > last {
                return Err(format!(
                    "has the port range `{text}`, whose first port is above its last"
                ));
            }
            Ok((first, last))
        }
        None => port(text).map(|port| (port, port)),
    }
}

/// A host Backstage can name: a DNS name (one label or more) or an IPv4 address.
fn check_host(host: &str) -> Result<(), String> {
    if host.parse::<std::net::Ipv4Addr>().is_ok() {
        return Ok(());
    }
    if !host.is_ascii() {
        return Err("must be ASCII: write internationalized names in their xn-- form".into());
    }
    crate::names::dns_subdomain(host)
}

/// A catalog location: an `https://` or `http://` URL with a host and no credentials.
pub fn location(text: &str) -> Result<Url, String> {
    let url = Url::parse(text).map_err(|error| format!("is not a URL ({error})"))?;
    if !matches!(url.scheme(), "https" | "http") {
        return Err(format!(
            "uses `{}`: a catalog location is an https:// (or http://) URL",
            crate::quote::shorten(url.scheme())
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("holds credentials: a URL must not carry a user name or password".into());
    }
    if text.contains("{{") {
        return Err("holds `{{`: template syntax is not allowed in a URL".into());
    }
    match url.host() {
        None => Err("has no host".into()),
        Some(url::Host::Ipv6(_)) => Err(
            "has an IPv6 address as its host: Backstage's backend.reading.allow cannot allow one (it splits entries at `:`); use a DNS name"
                .into(),
        ),
        Some(_) => Ok(url),
    }
}

/// The entry that lets Backstage read `location`: its host, with `:port` when the URL
/// is not on its scheme's default port.
pub fn entry_for(location: &Url) -> String {
    let host = location.host_str().unwrap_or_default();
    match location.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_string(),
    }
}

/// The `backend.reading.allow` hosts: the entry of every location, then the extra
/// entries, first occurrence kept, so the order is stable and follows the file.
pub fn allow_list(locations: &[String], extra: &[String]) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    locations
        .iter()
        .filter_map(|text| location(text).ok())
        .map(|url| entry_for(&url))
        .chain(extra.iter().cloned())
        .filter(|entry| seen.insert(entry.clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allows(entry: &str, url: &str) -> bool {
        Entry::parse(entry)
            .unwrap()
            .allows(&Url::parse(url).unwrap())
    }

    /// The cases of Backstage's own FetchUrlReader tests, plus the default ports.
    #[test]
    fn matches_as_backstage_does() {
        assert!(allows("example.com", "https://example.com/a"));
        assert!(allows("example.com", "https://example.com:443/a"));
        assert!(allows("example.com", "http://example.com/a"));
        assert!(!allows("example.com", "https://example.com:8443/a"));
        assert!(!allows("example.com", "https://a.example.com/a"));
        assert!(allows("example.com:8443", "https://example.com:8443/a"));
        assert!(!allows("example.com:8443", "https://example.com/a"));
        assert!(allows("example.com:443", "https://example.com/a"));
        assert!(allows("example.com:80", "http://example.com/a"));
        assert!(!allows("example.com:80", "https://example.com/a"));
        assert!(allows(
            "example.com:8000-8999",
            "https://example.com:8443/a"
        ));
        assert!(!allows(
            "example.com:8000-8999",
            "https://example.com:9000/a"
        ));
        assert!(allows("*.example.com", "https://a.b.example.com/a"));
        assert!(!allows("*.example.com", "https://example.com/a"));
        assert!(!allows("*.example.com", "https://a.example.com:8443/a"));
        assert!(allows("*.example.com:8443", "https://a.example.com:8443/a"));
        assert!(allows("127.0.0.1:18471", "https://127.0.0.1:18471/x.yaml"));
        assert!(allows("example.com", "https://EXAMPLE.com/a"));
    }

    #[test]
    fn a_location_off_its_default_port_gets_its_port() {
        let entry = |text: &str| entry_for(&location(text).unwrap());
        assert_eq!(
            entry("https://git.internal:8443/x.yaml"),
            "git.internal:8443"
        );
        assert_eq!(entry("https://git.internal:443/x.yaml"), "git.internal");
        assert_eq!(entry("http://git.internal:80/x.yaml"), "git.internal");
        assert_eq!(entry("http://git.internal:443/x.yaml"), "git.internal:443");
        assert_eq!(entry("https://Git.Internal/x.yaml"), "git.internal");
        for text in [
            "https://git.internal:8443/x.yaml",
            "http://git.internal/x.yaml",
            "https://127.0.0.1:18471/x.yaml",
        ] {
            let url = location(text).unwrap();
            assert!(
                Entry::parse(&entry_for(&url)).unwrap().allows(&url),
                "{text}"
            );
        }
    }

    #[test]
    fn allow_list_is_deduplicated_and_stable() {
        let locations = vec![
            "https://raw.githubusercontent.com/a/x/main/catalog-info.yaml".to_string(),
            "https://example.org:8443/catalog.yaml".to_string(),
            "https://raw.githubusercontent.com/a/y/main/catalog-info.yaml".to_string(),
        ];
        let extra = vec!["github.com".to_string(), "example.org:8443".to_string()];
        assert_eq!(
            allow_list(&locations, &extra),
            vec![
                "raw.githubusercontent.com",
                "example.org:8443",
                "github.com"
            ]
        );
    }

    #[test]
    fn entries_backstage_cannot_match_are_refused() {
        for (text, why) in [
            ("", "is empty"),
            ("https://github.com", "is a URL"),
            ("GitHub.com", "upper case"),
            ("[::1]:8443", "IPv6"),
            ("::1", "IPv6"),
            ("git.*.example.com", "leading `*.`"),
            ("git.internal:0", "from 1 to 65535"),
            ("git.internal:99999", "from 1 to 65535"),
            ("git.internal:9000-8000", "above its last"),
            ("git_internal", "contains `_`"),
        ] {
            let error = Entry::parse(text).unwrap_err();
            assert!(error.contains(why), "{text:?}: {error}");
        }
        for text in [
            "git",
            "git.internal:8443",
            "*.example.com",
            "10.0.0.5:3000",
            "a.b:1-65535",
        ] {
            assert!(Entry::parse(text).is_ok(), "{text}");
        }
    }

    #[test]
    fn locations_are_https_or_http_without_credentials() {
        assert!(location("https://a.example/x").is_ok());
        assert!(location("http://a.example/x").is_ok());
        assert!(location("ftp://a.example/x").unwrap_err().contains("`ftp`"));
        assert!(
            location("https://u:p@a.example/x")
                .unwrap_err()
                .contains("credentials")
        );
        assert!(location("https://[::1]/x").unwrap_err().contains("IPv6"));
    }
}
