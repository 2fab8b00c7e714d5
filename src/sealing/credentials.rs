//! The plaintext database credentials, held only as long as sealing takes.
//!
//! They come from the operating system's CSPRNG (two different passwords by default) or
//! from a file in the format of `kubectl create secret --from-env-file` (`KEY=VALUE` lines,
//! `#` comments and blank lines ignored, no quoting). They are zeroized when dropped, and
//! no message ever quotes a value: errors name the key and the line.

use std::collections::BTreeMap;

use zeroize::Zeroizing;

/// Length of a generated password: 40 characters of 62 give 238 bits.
pub const GENERATED_LENGTH: usize = 40;

const ALPHABET: &[u8; 62] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// The fewest characters a password given in a file may have.
pub const MINIMUM_LENGTH: usize = 16;

/// The longest value accepted from `--from-env-file`, in bytes: far beyond any password,
/// and small enough that the sealed file stays within the 1 MiB input limit.
pub const MAXIMUM_LENGTH: usize = 4096;

/// Values by key, zeroized on drop.
pub type Credentials = BTreeMap<String, Zeroizing<String>>;

/// A fresh password of [`GENERATED_LENGTH`] letters and digits from the OS's CSPRNG.
/// Letters and digits only: the value passes through YAML, a shell and a connection string.
pub fn generate_password() -> Result<Zeroizing<String>, String> {
    let mut password = Zeroizing::new(String::with_capacity(GENERATED_LENGTH));
    let mut pool = Zeroizing::new([0u8; 64]);
    while password.len() < GENERATED_LENGTH {
        getrandom::fill(pool.as_mut())
            .map_err(|e| format!("the operating system's random source failed: {e}"))?;
        // Rejection sampling: 248 = 4 × 62, so every letter is equally likely.
        for byte in pool.iter().filter(|byte| **byte < 248) {
            if password.len() == GENERATED_LENGTH {
                break;
            }
            password.push(char::from(ALPHABET[usize::from(*byte % 62)]));
        }
    }
    Ok(password)
}

/// One fresh password per key in `keys`, all different.
pub fn generate(keys: &[&str]) -> Result<Credentials, String> {
    let mut credentials = Credentials::new();
    for key in keys {
        let mut password = generate_password()?;
        while credentials.values().any(|other| *other == password) {
            password = generate_password()?;
        }
        credentials.insert((*key).to_string(), password);
    }
    Ok(credentials)
}

/// Reads `keys` from `text` (a `--from-env-file` file named `display`); the other `known`
/// keys are skipped. Unknown keys, a repeated key, a missing, empty or short one are
/// errors naming the key and line, never a value.
pub fn parse_env_file(
    text: &str,
    display: &str,
    keys: &[&str],
    known: &[&str],
) -> Result<Credentials, String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut credentials = Credentials::new();
    for (index, line) in text.split('\n').enumerate() {
        let number = index + 1;
        let line = line.strip_suffix('\r').unwrap_or(line);
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let Some((key, value)) = trimmed.split_once('=') else {
            return Err(format!(
                "{display}:{number}: the line is not KEY=VALUE (the format of kubectl create secret \
                 --from-env-file)"
            ));
        };
        let key = key.trim_end();
        if !keys.contains(&key) && known.contains(&key) {
            continue;
        }
        if !keys.contains(&key) {
            let shown = crate::quote::shorten(key);
            let expected = known.join(" and ");
            return Err(format!(
                "{display}:{number}: `{shown}` is not a key this Secret holds; expected {expected}"
            ));
        }
        if value.is_empty() {
            return Err(format!("{display}:{number}: `{key}` is empty"));
        }
        if value.chars().count() < MINIMUM_LENGTH {
            return Err(format!(
                "{display}:{number}: `{key}` is shorter than {MINIMUM_LENGTH} characters; give a \
                 longer password, or leave out --from-env-file for a generated one of \
                 {GENERATED_LENGTH}"
            ));
        }
        if value.len() > MAXIMUM_LENGTH {
            return Err(format!(
                "{display}:{number}: `{key}` is longer than {MAXIMUM_LENGTH} bytes; a password \
                 needs far fewer (was the right file given?)"
            ));
        }
        if credentials
            .insert(key.to_string(), Zeroizing::new(value.to_string()))
            .is_some()
        {
            return Err(format!("{display}:{number}: `{key}` is set twice"));
        }
    }
    if let Some(missing) = keys.iter().find(|key| !credentials.contains_key(**key)) {
        return Err(format!(
            "{display}: `{missing}` is missing (a line `{missing}=...`)"
        ));
    }
    Ok(credentials)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_passwords_are_long_different_and_alphanumeric() {
        let credentials = generate(&["password", "postgres-password"]).unwrap();
        let values: Vec<&str> = credentials.values().map(|v| v.as_str()).collect();
        assert_eq!(values.len(), 2);
        assert_ne!(values[0], values[1]);
        for value in values {
            assert_eq!(value.len(), GENERATED_LENGTH);
            assert!(value.chars().all(|c| c.is_ascii_alphanumeric()));
        }
    }

    #[test]
    fn env_files_read_like_kubectl_and_errors_never_quote_values() {
        let keys = ["password", "postgres-password"];
        let read = parse_env_file(
            "# comment\n\npassword=s3cret=x-made-up-16\r\npostgres-password= spaced made up \n",
            "f",
            &keys,
            &keys,
        )
        .unwrap();
        assert_eq!(read["password"].as_str(), "s3cret=x-made-up-16");
        assert_eq!(read["postgres-password"].as_str(), " spaced made up ");
        for (text, expected) in [
            (
                "password=hunter2-made-up-pass\n",
                "f: `postgres-password` is missing",
            ),
            (
                "password=hunter2-made-up-pass\npassword=hunter3-made-up-pass\n",
                "f:2: `password` is set twice",
            ),
            (
                "password=hunter2-15-char\npostgres-password=hunter3-made-up-pass\n",
                "f:1: `password` is shorter than 16 characters",
            ),
            ("hunter2\n", "f:1: the line is not KEY=VALUE"),
            ("token=hunter2\n", "f:1: `token` is not a key"),
            (
                "password=\npostgres-password=x\n",
                "f:1: `password` is empty",
            ),
        ] {
            let message = parse_env_file(text, "f", &keys, &keys).unwrap_err();
            assert!(message.starts_with(expected), "{message}");
            assert!(!message.contains("hunter"), "{message}");
        }
    }
}
