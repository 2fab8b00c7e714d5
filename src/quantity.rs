//! Kubernetes resource quantities (`100m`, `384Mi`, `1Gi`, `0.5`).
//!
//! Kept as the text the user wrote (so output matches input byte for byte) and parsed only
//! to check that it is a quantity and to compare requests with limits. Numbers written
//! bare in YAML (`cpu: 1`) are accepted and become strings, since the chart wants strings.

use std::borrow::Cow;
use std::fmt;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize};

/// A resource quantity as written in the environment file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Quantity(pub String);

impl Quantity {
    /// The quantity's value in base units (cores, bytes), or why it is not a quantity.
    pub fn value(&self) -> Result<f64, String> {
        parse_quantity(&self.0)
    }
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Suffixes Kubernetes accepts, with their multipliers.
const SUFFIXES: [(&str, f64); 16] = [
    ("Ki", 1024.0),
    ("Mi", 1_048_576.0),
    ("Gi", 1_073_741_824.0),
    ("Ti", 1_099_511_627_776.0),
    ("Pi", 1_125_899_906_842_624.0),
    ("Ei", 1_152_921_504_606_846_976.0),
    ("n", 1e-9),
    ("u", 1e-6),
    ("m", 1e-3),
    ("k", 1e3),
    ("M", 1e6),
    ("G", 1e9),
    ("T", 1e12),
    ("P", 1e15),
    ("E", 1e18),
    ("", 1.0),
];

/// Parses a quantity into base units; negative quantities are refused.
pub fn parse_quantity(text: &str) -> Result<f64, String> {
    const EXPECTED: &str = "a number with an optional suffix such as 100m, 0.5, 384Mi or 1Gi";
    if is_decimal_exponent(text) {
        return text
            .parse::<f64>()
            .map_err(|_| format!("`{text}` is not a quantity: expected {EXPECTED}"));
    }
    let (number, multiplier) = split_suffix(text);
    let digits_ok = !number.is_empty()
        && number.chars().all(|c| c.is_ascii_digit() || c == '.')
        && number.chars().filter(|c| *c == '.').count() <= 1
        && number != ".";
    match (digits_ok, multiplier) {
        (true, Some(multiplier)) => number
            .parse::<f64>()
            .map(|value| value * multiplier)
            .map_err(|_| format!("`{text}` is not a quantity: expected {EXPECTED}")),
        _ if text.starts_with('-') => Err(format!("`{text}` is negative: expected {EXPECTED}")),
        _ => Err(match suggestion(text) {
            Some(better) => format!(
                "`{text}` is not a quantity (did you mean `{better}`?): expected {EXPECTED}"
            ),
            None => format!("`{text}` is not a quantity: expected {EXPECTED}"),
        }),
    }
}

/// The quantity a common misspelling means: a unit in the wrong case or with a `B` for
/// bytes (`1GB` → `1G`, `3gi` → `3Gi`, `512mb` → `512M`, `2GiB` → `2Gi`). `m` alone stays
/// unguessed (milli, or mega?).
fn suggestion(text: &str) -> Option<String> {
    let split = text.find(|c: char| !(c.is_ascii_digit() || c == '.'))?;
    let (number, unit) = text.split_at(split);
    if number.is_empty() || number.parse::<f64>().is_err() {
        return None;
    }
    let lower = unit.to_ascii_lowercase();
    let unit = lower
        .strip_suffix('b')
        .filter(|rest| !rest.is_empty())
        .unwrap_or(&lower);
    let fixed = match unit {
        "ki" | "mi" | "gi" | "ti" | "pi" | "ei" => {
            let mut chars = unit.chars();
            let first = chars.next()?.to_ascii_uppercase();
            format!("{first}{}", chars.as_str())
        }
        "k" => "k".to_string(),
        "m" if lower == "mb" => "M".to_string(),
        "g" | "t" | "p" | "e" => unit.to_ascii_uppercase(),
        _ => return None,
    };
    let better = format!("{number}{fixed}");
    (better != text && parse_quantity(&better).is_ok()).then_some(better)
}

fn split_suffix(text: &str) -> (&str, Option<f64>) {
    for (suffix, multiplier) in SUFFIXES {
        if let Some(number) = text.strip_suffix(suffix)
            && number.ends_with(|c: char| c.is_ascii_digit() || c == '.')
        {
            return (number, Some(multiplier));
        }
    }
    (text, None)
}

fn is_decimal_exponent(text: &str) -> bool {
    let Some((mantissa, exponent)) = text.split_once(['e', 'E']) else {
        return false;
    };
    let exponent = exponent.strip_prefix(['+', '-']).unwrap_or(exponent);
    !mantissa.is_empty()
        && mantissa.chars().all(|c| c.is_ascii_digit() || c == '.')
        && !exponent.is_empty()
        && exponent.chars().all(|c| c.is_ascii_digit())
}

impl<'de> Deserialize<'de> for Quantity {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct QuantityVisitor;
        impl Visitor<'_> for QuantityVisitor {
            type Value = Quantity;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a quantity such as \"100m\" or \"1Gi\"")
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<Quantity, E> {
                Ok(Quantity(text.to_string()))
            }
            fn visit_u64<E: de::Error>(self, number: u64) -> Result<Quantity, E> {
                Ok(Quantity(number.to_string()))
            }
            fn visit_i64<E: de::Error>(self, number: i64) -> Result<Quantity, E> {
                Ok(Quantity(number.to_string()))
            }
            fn visit_f64<E: de::Error>(self, number: f64) -> Result<Quantity, E> {
                Ok(Quantity(number.to_string()))
            }
        }
        deserializer.deserialize_any(QuantityVisitor)
    }
}

impl JsonSchema for Quantity {
    fn schema_name() -> Cow<'static, str> {
        "Quantity".into()
    }

    fn json_schema(_generator: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A Kubernetes quantity such as 100m, 0.5, 384Mi or 1Gi.",
            "type": ["string", "number"]
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_misspellings_get_a_suggestion() {
        for (given, meant) in [
            ("1GB", "1G"),
            ("3gi", "3Gi"),
            ("512mb", "512M"),
            ("2GiB", "2Gi"),
            ("10kb", "10k"),
            ("1.5tb", "1.5T"),
        ] {
            let why = parse_quantity(given).unwrap_err();
            assert!(
                why.contains(&format!("(did you mean `{meant}`?)")),
                "{given}: {why}"
            );
        }
        for unguessed in ["3m-", "lots", "5mm", "1x"] {
            let why = parse_quantity(unguessed).unwrap_err();
            assert!(!why.contains("did you mean"), "{unguessed}: {why}");
        }
    }

    #[test]
    fn parses_the_forms_kubernetes_accepts() {
        assert_eq!(parse_quantity("100m"), Ok(0.1));
        assert_eq!(parse_quantity("1"), Ok(1.0));
        assert_eq!(parse_quantity("0.5"), Ok(0.5));
        assert_eq!(parse_quantity("384Mi"), Ok(384.0 * 1_048_576.0));
        assert_eq!(parse_quantity("1Gi"), Ok(1_073_741_824.0));
        assert_eq!(parse_quantity("1e3"), Ok(1000.0));
        assert_eq!(parse_quantity("2k"), Ok(2000.0));
    }

    #[test]
    fn refuses_what_is_not_a_quantity() {
        for bad in ["", "lots", "1GB", "1.2.3", "Mi", "-1", "1 Gi", "."] {
            assert!(parse_quantity(bad).is_err(), "{bad:?} must be refused");
        }
        assert!(parse_quantity("-1").unwrap_err().contains("negative"));
    }
}
