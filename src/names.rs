//! Formats Kubernetes, DNS, OCI and Go impose on names, each returning the rule broken.
//!
//! Each check returns `Err(sentence)` naming the rule, so the validate stage can say what
//! is wrong without knowing the format's details.

/// A DNS label (RFC 1123): 1–`max` characters of `a-z`, `0-9` and `-`, starting and
/// ending with a letter or digit. Namespaces and most names are labels of at most 63.
pub fn dns_label(text: &str, max: usize) -> Result<(), String> {
    if text.is_empty() {
        return Err("must not be empty".into());
    }
    if text.len() > max {
        return Err(format!(
            "is {} characters long; at most {max} are allowed",
            text.len()
        ));
    }
    if !text.is_ascii() {
        return Err("must be ASCII: only a-z, 0-9 and '-' are allowed".into());
    }
    if text.chars().any(|c| c.is_ascii_uppercase()) {
        return Err("must be lower case".into());
    }
    if let Some(bad) = text
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
    {
        return Err(format!(
            "contains `{bad}`: only a-z, 0-9 and '-' are allowed"
        ));
    }
    if text.starts_with('-') || text.ends_with('-') {
        return Err("must start and end with a letter or digit".into());
    }
    Ok(())
}

/// A DNS subdomain (RFC 1123): dot-separated labels, at most 253 characters in all.
pub fn dns_subdomain(text: &str) -> Result<(), String> {
    if text.len() > 253 {
        return Err(format!(
            "is {} characters long; at most 253 are allowed",
            text.len()
        ));
    }
    if text.ends_with('.') {
        return Err("must not end with a dot".into());
    }
    for label in text.split('.') {
        dns_label(label, 63).map_err(|why| {
            if label.is_empty() {
                "has an empty label (two dots in a row, or a leading dot)".to_string()
            } else {
                format!("label `{}` {why}", crate::quote::shorten(label))
            }
        })?;
    }
    Ok(())
}

/// A hostname for the Ingress and Certificate: a DNS subdomain with at least two labels,
/// without wildcards.
pub fn hostname(text: &str) -> Result<(), String> {
    if text.is_empty() {
        return Err("is empty: give the public host name, e.g. backstage.example.org".into());
    }
    if text.parse::<std::net::IpAddr>().is_ok()
        || text
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::Ipv6Addr>()
            .is_ok()
    {
        return Err(format!(
            "`{text}` is an IP address: Kubernetes refuses IP addresses as Ingress hosts and \
             cert-manager cannot issue a certificate naming one; use a DNS name (for a bare IP, \
             `{}.nip.io`)",
            text.trim_start_matches('[')
                .trim_end_matches(']')
                .replace(':', "-")
        ));
    }
    if text.starts_with("*.") {
        return Err("wildcards are not allowed: give the exact host".into());
    }
    if text.contains("://") || text.contains('/') {
        return Err("is a URL: give only the host name, e.g. backstage.example.org".into());
    }
    if !text.is_ascii() {
        return Err("must be ASCII: write internationalized names in their xn-- form".into());
    }
    dns_subdomain(text)?;
    if !text.contains('.') {
        return Err("must be fully qualified, e.g. backstage.example.org".into());
    }
    Ok(())
}

/// An image registry: a host name with an optional port.
pub fn image_registry(text: &str) -> Result<(), String> {
    let (host, port) = match text.rsplit_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (text, None),
    };
    if let Some(port) = port
        && port.parse::<u16>().map_or(true, |p| p == 0)
    {
        return Err(format!("port `{port}` is not a number from 1 to 65535"));
    }
    if host == "localhost" {
        return Ok(());
    }
    dns_subdomain(host)
}

/// An image repository: lower-case path components (`backstage/backstage`).
pub fn image_repository(text: &str) -> Result<(), String> {
    if text.is_empty() {
        return Err("must not be empty".into());
    }
    if text.len() > 255 {
        return Err("is longer than 255 characters".into());
    }
    for component in text.split('/') {
        let valid = !component.is_empty()
            && component.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
            && component.ends_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
            && component
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c));
        if !valid {
            return Err(format!(
                "component `{component}` must be lower-case letters, digits and . _ - between them"
            ));
        }
    }
    Ok(())
}

/// An image tag: up to 128 letters, digits, `_`, `.` and `-`, not starting with `.` or `-`.
pub fn image_tag(text: &str) -> Result<(), String> {
    let valid = !text.is_empty()
        && text.len() <= 128
        && text.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c));
    if valid {
        Ok(())
    } else {
        Err("must be 1–128 letters, digits, '_', '.' or '-', not starting with '.' or '-'".into())
    }
}

/// A PostgreSQL identifier the chart can pass unquoted: `[a-z_][a-z0-9_]*`, at most 63.
pub fn postgres_identifier(text: &str) -> Result<(), String> {
    let valid = !text.is_empty()
        && text.len() <= 63
        && text.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
        && text
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if valid {
        Ok(())
    } else {
        Err("must be 1–63 lower-case letters, digits and '_', not starting with a digit".into())
    }
}

/// An annotation or label key: an optional DNS-subdomain prefix and `/`, then a name of
/// at most 63 letters, digits, `-`, `_` and `.` starting and ending alphanumerically.
pub fn qualified_name(text: &str) -> Result<(), String> {
    let (prefix, name) = match text.split_once('/') {
        Some((prefix, name)) => (Some(prefix), name),
        None => (None, text),
    };
    if let Some(prefix) = prefix {
        dns_subdomain(prefix)
            .map_err(|why| format!("prefix `{}` {why}", crate::quote::shorten(prefix)))?;
    }
    let valid = !name.is_empty()
        && name.len() <= 63
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name.ends_with(|c: char| c.is_ascii_alphanumeric())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
    if valid {
        Ok(())
    } else {
        Err("the name part must be 1–63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit".into())
    }
}

/// A Go duration (`2160h`, `1h30m`, `90s`), in seconds.
pub fn go_duration(text: &str) -> Result<f64, String> {
    const EXPECTED: &str = "expected a Go duration such as 2160h, 1h30m or 90s";
    let mut rest = text;
    let mut total = 0.0;
    if rest.is_empty() {
        return Err(format!("is empty: {EXPECTED}"));
    }
    if rest.contains(char::is_whitespace) {
        return Err(format!("`{text}` contains a space: {EXPECTED}"));
    }
    while !rest.is_empty() {
        let number_end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(|| format!("`{text}` has a number without a unit: {EXPECTED}"))?;
        let number: f64 = rest[..number_end]
            .parse()
            .map_err(|_| format!("`{text}` is not a duration: {EXPECTED}"))?;
        rest = &rest[number_end..];
        let unit_end = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let seconds = match &rest[..unit_end] {
            "ns" => 1e-9,
            "us" | "µs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            unit => {
                return Err(format!(
                    "`{text}` has the unknown unit `{unit}`: {EXPECTED}"
                ));
            }
        };
        total += number * seconds;
        rest = &rest[unit_end..];
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostnames_follow_rfc_1123() {
        assert!(hostname("backstage.10.0.0.200.nip.io").is_ok());
        assert_eq!(
            hostname("Backstage.example.org"),
            Err("label `Backstage` must be lower case".into())
        );
        assert!(
            hostname("backstage")
                .unwrap_err()
                .contains("fully qualified")
        );
        assert!(hostname("a..b").unwrap_err().contains("empty label"));
        assert!(
            hostname(&format!("{}.org", "a".repeat(64)))
                .unwrap_err()
                .contains("at most 63")
        );
        assert!(hostname("a.".repeat(127).trim_end_matches('.')).is_ok());
        assert!(
            hostname("a.".repeat(128).trim_end_matches('.'))
                .unwrap_err()
                .contains("at most 253")
        );
        assert!(hostname("https://x.org").unwrap_err().contains("URL"));
        assert!(hostname("bäckstage.org").unwrap_err().contains("ASCII"));
        assert!(hostname("-a.org").is_err());
        assert!(hostname("").unwrap_err().starts_with("is empty"));
        assert!(
            hostname("10.0.0.200")
                .unwrap_err()
                .contains("10.0.0.200.nip.io")
        );
        assert!(
            hostname("fe80::1")
                .unwrap_err()
                .contains("is an IP address")
        );
    }

    #[test]
    fn image_references() {
        assert!(image_registry("ghcr.io").is_ok());
        assert!(image_registry("harbor.local:5000").is_ok());
        assert!(image_registry("harbor.local:0").is_err());
        assert!(image_repository("backstage/backstage").is_ok());
        assert!(image_repository("Backstage").is_err());
        assert!(image_tag("16.4-alpine").is_ok());
        assert!(image_tag("-x").is_err());
        assert!(image_tag("a:b").is_err());
    }

    #[test]
    fn go_durations() {
        assert_eq!(go_duration("2160h"), Ok(2160.0 * 3600.0));
        assert_eq!(go_duration("1h30m"), Ok(5400.0));
        assert!(go_duration("90 days").is_err());
        assert!(go_duration("90").is_err());
        assert!(go_duration("3d").is_err());
    }

    #[test]
    fn qualified_names() {
        assert!(qualified_name("nginx.org/redirect-to-https").is_ok());
        assert!(qualified_name("argocd.argoproj.io/sync-wave").is_ok());
        assert!(qualified_name("Bad Key").is_err());
    }
}
