//! The text rules every feed format shares: titles shown as plain text on
//! one line, windows-1252 punctuation that went through a Latin-1 decoder
//! mapped back, plain-text bodies escaped into HTML, and RSS's
//! `mail (Name)` authors reduced to the name.

use std::borrow::Cow;

use crate::sanitize;

/// Titles are shown as plain text: any markup is stripped and entities are
/// decoded exactly once.
pub(super) fn plain_title(text: &str) -> String {
    let raw = demoronize(text.trim());
    let raw = raw.as_ref();
    let plain = if raw.contains(['<', '&']) {
        sanitize::plain_text(raw)
    } else {
        raw.to_string()
    };
    plain.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// C1 control characters (U+0080–U+009F) never mean themselves in a feed:
/// they are windows-1252 punctuation (`&#146;` for ’) that went through a
/// Latin-1 decoder. Map them back, as browsers do.
pub(super) fn demoronize(text: &str) -> Cow<'_, str> {
    // U+0080–U+009F are 0xC2 0x80–0x9F in UTF-8; a memchr finds the lead byte.
    if !text.as_bytes().contains(&0xC2)
        || !text.contains(|c: char| ('\u{80}'..='\u{9f}').contains(&c))
    {
        return text.into();
    }
    text.chars()
        .map(|c| match u8::try_from(u32::from(c)) {
            Ok(byte @ 0x80..=0x9f) => encoding_rs::WINDOWS_1252
                .decode_without_bom_handling(&[byte])
                .0
                .chars()
                .next()
                .unwrap_or(c),
            _ => c,
        })
        .collect::<String>()
        .into()
}

/// Text bodies become escaped HTML paragraphs; HTML bodies (and every RSS
/// body) pass as they are.
pub(super) fn as_html(body: &str, mime: &str, rss: bool) -> String {
    let body = demoronize(body);
    if mime.starts_with("text/plain") && !rss {
        sanitize::text_to_html(&body)
    } else {
        body.into_owned()
    }
}

/// RSS authors come as `mail@example.org (Name)`: keep the name; a bare
/// e-mail address is not shown (it is not a name and invites spam).
pub(super) fn person_name(raw: &str) -> Option<String> {
    let raw = raw.trim();
    if let (Some(open), true) = (raw.find('('), raw.ends_with(')')) {
        let name = raw[open + 1..raw.len() - 1].trim();
        if !name.is_empty() {
            return Some(name.to_string());
        }
    }
    if raw.is_empty() || (raw.contains('@') && !raw.contains(' ')) {
        None
    } else {
        Some(raw.to_string())
    }
}
