//! The two things every XML file render writes needs: text with the
//! characters XML 1.0 forbids removed, and the error that names the file
//! a writer library failed on.

use super::{BoxError, RenderError};

pub(super) fn failed(file: &str, e: impl Into<BoxError>) -> RenderError {
    RenderError::Feed {
        file: file.to_string(),
        source: e.into(),
    }
}

/// Removes characters XML 1.0 does not allow (C0 controls except tab, LF,
/// CR; U+FFFE/U+FFFF).
pub(super) fn xml_text(s: &str) -> String {
    // Nearly every string is clean: one byte scan instead of a char rebuild.
    let forbidden_byte = s
        .bytes()
        .any(|b| b < b' ' && !matches!(b, b'\t' | b'\n' | b'\r'));
    if !forbidden_byte && !s.contains(['\u{FFFE}', '\u{FFFF}']) {
        return s.to_string();
    }
    s.chars()
        .filter(|&c| {
            matches!(c, '\t' | '\n' | '\r') || (c >= ' ' && c != '\u{FFFE}' && c != '\u{FFFF}')
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_text_drops_forbidden_control_characters_only() {
        assert_eq!(
            xml_text("a\u{0}b\u{8}c\td\ne\u{1F}f\u{FFFE}ё"),
            "abc\td\nefё"
        );
    }
}
