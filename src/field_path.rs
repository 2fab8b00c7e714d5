//! The address of one field in an environment file (`spec.catalog.locations[2]`).
//!
//! Every problem a user can cause names a field; the same path is the key into the
//! position index, so errors can point at the line that holds the field.

use std::fmt;

/// One step into a document: a mapping key or a sequence index.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Segment {
    /// A key of a mapping.
    Key(String),
    /// A position in a sequence.
    Index(usize),
}

/// A path from the document root to a field.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FieldPath(Vec<Segment>);

impl FieldPath {
    /// The document root.
    pub fn root() -> Self {
        Self(Vec::new())
    }

    /// Parses a dotted path such as `spec.resources.backstage.requests.cpu`;
    /// `\.` keeps a dot inside a key (`spec.ingress.annotations.nginx\.org/x`).
    pub fn parse_dotted(text: &str) -> Self {
        let mut segments = Vec::new();
        let mut current = String::new();
        let mut chars = text.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => match chars.next() {
                    Some(next) => current.push(next),
                    None => current.push('\\'),
                },
                '.' => segments.push(Segment::Key(std::mem::take(&mut current))),
                other => current.push(other),
            }
        }
        segments.push(Segment::Key(current));
        Self(segments)
    }

    /// This path extended by a mapping key.
    pub fn key(&self, key: &str) -> Self {
        let mut next = self.clone();
        next.0.push(Segment::Key(key.to_string()));
        next
    }

    /// This path extended by a sequence index.
    pub fn index(&self, index: usize) -> Self {
        let mut next = self.clone();
        next.0.push(Segment::Index(index));
        next
    }

    /// Descends into `segment` in place (for walkers that would otherwise clone per node).
    pub fn push(&mut self, segment: Segment) {
        self.0.push(segment);
    }

    /// Undoes the last [`FieldPath::push`].
    pub fn pop(&mut self) {
        self.0.pop();
    }

    /// The path one step up, or `None` at the root.
    pub fn parent(&self) -> Option<Self> {
        if self.0.is_empty() {
            return None;
        }
        Some(Self(self.0[..self.0.len() - 1].to_vec()))
    }

    /// The first `length` steps of the path.
    pub fn truncated(&self, length: usize) -> Self {
        Self(self.0.iter().take(length).cloned().collect())
    }

    /// The steps of the path, root first.
    pub fn segments(&self) -> &[Segment] {
        &self.0
    }

    /// Whether `self` is `other` or lies below it.
    pub fn starts_with(&self, other: &FieldPath) -> bool {
        self.0.starts_with(&other.0)
    }

    /// The last step's key, if the path ends in a mapping key.
    pub fn last_key(&self) -> Option<&str> {
        match self.0.last() {
            Some(Segment::Key(key)) => Some(key),
            _ => None,
        }
    }
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("(document)");
        }
        for (position, segment) in self.0.iter().enumerate() {
            match segment {
                Segment::Index(index) => write!(f, "[{index}]")?,
                Segment::Key(key) if is_bare_key(key) => {
                    if position > 0 {
                        f.write_str(".")?;
                    }
                    f.write_str(&crate::quote::shorten(key))?;
                }
                // Keys holding dots or slashes (annotations) are shown quoted so the
                // path stays unambiguous; a long key is cut (a hostile file's key could be
                // a megabyte long).
                Segment::Key(key) => write!(f, "[{:?}]", crate::quote::shorten(key))?,
            }
        }
        Ok(())
    }
}

fn is_bare_key(key: &str) -> bool {
    !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_keys_indices_and_quoted_keys() {
        let path = FieldPath::root()
            .key("spec")
            .key("catalog")
            .key("locations")
            .index(2);
        assert_eq!(path.to_string(), "spec.catalog.locations[2]");
        let annotation = FieldPath::root()
            .key("spec")
            .key("ingress")
            .key("annotations")
            .key("nginx.org/redirect-to-https");
        assert_eq!(
            annotation.to_string(),
            "spec.ingress.annotations[\"nginx.org/redirect-to-https\"]"
        );
    }

    #[test]
    fn parses_dotted_paths_with_escaped_dots() {
        let path = FieldPath::parse_dotted("spec.ingress.annotations.nginx\\.org/x");
        assert_eq!(
            path,
            FieldPath::root()
                .key("spec")
                .key("ingress")
                .key("annotations")
                .key("nginx.org/x")
        );
    }
}
