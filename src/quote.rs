//! User text quoted in messages: cut short, so that a hostile file cannot fill a
//! terminal, a log or a PR comment with one key name.

use std::borrow::Cow;

/// Longest piece of user text (a key, a name) quoted in a message, in characters.
pub const MAX_QUOTED_CHARS: usize = 40;

/// `text` cut to [`MAX_QUOTED_CHARS`] characters (with `…`), for quoting in a message.
pub fn shorten(text: &str) -> Cow<'_, str> {
    match text.char_indices().nth(MAX_QUOTED_CHARS) {
        Some((cut, _)) => format!("{}…", &text[..cut]).into(),
        None => text.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_text_is_cut_at_the_limit_and_short_text_kept() {
        let long = "k".repeat(MAX_QUOTED_CHARS + 10);
        assert_eq!(shorten(&long), format!("{}…", "k".repeat(MAX_QUOTED_CHARS)));
        assert_eq!(shorten("replicas"), "replicas");
        let multibyte = "é".repeat(MAX_QUOTED_CHARS + 1);
        assert_eq!(shorten(&multibyte).chars().count(), MAX_QUOTED_CHARS + 1);
    }
}
