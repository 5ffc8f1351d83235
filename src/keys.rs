//! Every key of the render cache: what each one is made of, and its one
//! byte form. A key is a blake3 hash standing for everything some output is
//! made from, so an unchanged key means unchanged output and the work is
//! skipped: [`raw_hash`] stands for a parsed entry with the settings it is
//! sanitized with (ingest does not sanitize an entry whose raw hash the
//! store already has); [`body_hash`] for a sanitized body (stored beside
//! it, so pages are keyed without reading bodies); [`theme_fingerprint`]
//! for a loaded theme; [`entry_key`] for what one entry brings to every
//! page that lists it; and a [`Key`], built by render from named parts,
//! for one page or file of the site ([`PageKey`]). Every page key is
//! seeded with planetoid's version and the theme's fingerprint. The output
//! stage keeps page keys beside the files they describe, in their text
//! form ([`PageKey::to_hex`]), and carries a file over unchanged when
//! render hands it the same key again; it never looks inside one. Every
//! part is hashed from a stable byte form (length-prefixed bytes, or the
//! JSON of a serializable value), never from `Debug`.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::config::{ContentMode, StringOverride};
use crate::entry::{Entry, FeedId, StoredEntry, WebUrl};

/// What the sanitizer's output depends on, besides the entry: a new
/// planetoid (possibly a new sanitizer) sanitizes everything once again.
const POLICY: &str = concat!("planetoid ", env!("CARGO_PKG_VERSION"));

/// The raw hash of a parsed entry: blake3 of everything the stored entry
/// is made from, the feed's content mode (`mode`, `excerpt_words`) and the
/// sanitizer's settings (`iframe_hosts`) included.
pub fn raw_hash(
    e: &Entry,
    mode: ContentMode,
    excerpt_words: usize,
    iframe_hosts: &[String],
) -> String {
    let mut h = blake3::Hasher::new();
    let mut part = |s: &str| {
        h.update(s.as_bytes());
        h.update(b"\0");
    };
    part(POLICY);
    let mode = match mode {
        ContentMode::Full => "full",
        ContentMode::Summary => "summary",
        ContentMode::Title => "title",
    };
    part(&format!("{mode} {excerpt_words}"));
    part(&iframe_hosts.join(" "));
    part(&e.title);
    part(e.link.as_ref().map_or("", WebUrl::as_str));
    part(e.author.as_deref().unwrap_or(""));
    part(&e.published.map(|d| d.to_rfc3339()).unwrap_or_default());
    part(&e.updated.map(|d| d.to_rfc3339()).unwrap_or_default());
    part(e.body_html.as_deref().unwrap_or(""));
    part(e.summary_html.as_deref().unwrap_or(""));
    part(e.base_url.as_deref().unwrap_or(""));
    for c in &e.categories {
        part(c);
    }
    for enc in &e.enclosures {
        part(enc.url.as_str());
        part(enc.mime_type.as_deref().unwrap_or(""));
        part(&enc.length.map(|l| l.to_string()).unwrap_or_default());
    }
    h.finalize().to_hex().to_string()
}

/// What stands for a sanitized body in render keys (stored beside it).
pub fn body_hash(body: &str) -> String {
    blake3::hash(body.as_bytes()).to_hex().to_string()
}

/// The bytes standing for an entry's body in keys: its stored hash, or the
/// body itself for an entry built in memory (which has none).
pub fn body_part(e: &StoredEntry) -> &[u8] {
    if e.body_hash.is_empty() {
        e.body.as_str().as_bytes()
    } else {
        e.body_hash.as_bytes()
    }
}

/// Stands for a loaded theme in every page key: each of its files (path
/// and bytes), the UI language and the planet's `strings:` overrides, so a
/// theme edit renders every page again.
pub fn theme_fingerprint<'a>(
    files: impl IntoIterator<Item = (&'a str, &'a [u8])>,
    lang: &str,
    overrides: &BTreeMap<String, StringOverride>,
) -> blake3::Hash {
    let mut key = Key::bare();
    for (path, bytes) in files {
        key.bytes(path, bytes);
    }
    key.bytes("lang", lang.as_bytes());
    for (name, value) in overrides {
        match value {
            StringOverride::Text(text) => {
                key.bytes("text", name.as_bytes())
                    .bytes("", text.as_bytes());
            }
            StringOverride::Plural(forms) => {
                key.bytes("plural", name.as_bytes());
                for (category, text) in forms {
                    key.bytes(category, text.as_bytes());
                }
            }
        }
    }
    key.hash()
}

/// What stands for an entry in page keys: every stored field the site
/// shows (the body by its hash), the keys of its feed and of the feeds
/// that also carried it (`feed`), the count of each of its tags
/// (`tag_count`, by the tag as written) and the number of its archive
/// page. Everything else its template value is made of (the theme, the
/// planet's language, whether it is shown as an excerpt) is in every
/// page's key.
pub fn entry_key(
    e: &StoredEntry,
    archive_page: usize,
    feed: impl Fn(&FeedId) -> Option<blake3::Hash>,
    tag_count: impl Fn(&str) -> usize,
) -> blake3::Hash {
    // No `..`: a new field must be decided on here.
    let StoredEntry {
        feed_id,
        id,
        title,
        link,
        author,
        published,
        updated,
        body: _,
        body_hash: _,
        // Stands for the body only in the archive's size plan, whose outcome
        // is in the month pages' keys.
        body_bytes: _,
        categories,
        enclosures,
        first_seen: _,
        sort_date,
        also_in,
    } = e;
    // The parts are gathered first and hashed at once: blake3 fed a dozen
    // small pieces per entry spent most of its time copying them into its
    // block buffer. The same bytes in the same order: the same key.
    let mut key = Vec::with_capacity(512);
    let mut bytes = |b: &[u8]| {
        key.extend_from_slice(&(b.len() as u64).to_le_bytes());
        key.extend_from_slice(b);
    };
    let none = b"\0none".as_slice();
    bytes(&archive_page.to_le_bytes());
    bytes(id.as_bytes());
    bytes(title.as_bytes());
    bytes(link.as_ref().map_or(none, |l| l.as_str().as_bytes()));
    bytes(author.as_deref().map_or(none, str::as_bytes));
    for date in [published, updated, &Some(*sort_date)] {
        bytes(&date.map_or(i64::MIN, |d| d.timestamp()).to_le_bytes());
    }
    bytes(body_part(e));
    for c in categories {
        bytes(c.as_bytes());
        bytes(&tag_count(c).to_le_bytes());
    }
    for enc in enclosures {
        bytes(enc.url.as_str().as_bytes());
        bytes(enc.mime_type.as_deref().map_or(none, str::as_bytes));
        bytes(&enc.length.unwrap_or(u64::MAX).to_le_bytes());
    }
    for id in std::iter::once(feed_id).chain(also_in) {
        let hash = feed(id);
        bytes(hash.as_ref().map_or(none, |h| h.as_bytes().as_slice()));
    }
    blake3::hash(&key)
}

/// The key of one file of the site: equal keys, equal bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageKey(blake3::Hash);

impl PageKey {
    /// The key's text form in the keys file: 64 lowercase hex digits.
    pub fn to_hex(&self) -> String {
        self.0.to_hex().to_string()
    }

    /// A key read back from its text form; `None` for anything else.
    pub fn from_hex(text: &str) -> Option<PageKey> {
        let lower =
            text.len() == 64 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        lower
            .then(|| blake3::Hash::from_hex(text).ok())
            .flatten()
            .map(PageKey)
    }
}

/// A key under construction: named parts fed in order.
pub struct Key(blake3::Hasher);

impl Key {
    /// A page's key, seeded with planetoid's version and the theme's
    /// fingerprint.
    pub fn new(theme: &blake3::Hash) -> Key {
        let mut h = blake3::Hasher::new();
        h.update(env!("CARGO_PKG_VERSION").as_bytes());
        h.update(theme.as_bytes());
        Key(h)
    }

    /// A key of its parts alone, for a value that stands inside page keys.
    pub fn bare() -> Key {
        Key(blake3::Hasher::new())
    }

    /// Adds a named part given as bytes.
    pub fn bytes(&mut self, name: &str, bytes: &[u8]) -> &mut Key {
        self.0.update(name.as_bytes()).update(b"\0");
        self.0.update(&(bytes.len() as u64).to_le_bytes());
        self.0.update(bytes);
        self
    }

    /// Adds a named part that may be missing (told apart from an empty one).
    pub fn opt(&mut self, name: &str, bytes: Option<&[u8]>) -> &mut Key {
        match bytes {
            Some(b) => self.bytes(name, b),
            None => self.bytes(&format!("{name}\0none"), b""),
        }
    }

    /// Adds a named part as its JSON form (field order is the struct's, so
    /// the same value always hashes the same).
    pub fn value<T: Serialize + ?Sized>(&mut self, name: &str, value: &T) -> &mut Key {
        match serde_json::to_vec(value) {
            Ok(json) => self.bytes(name, &json),
            // Never expected of these plain values; if it happens, a key
            // that matches nothing earlier means the page is rendered.
            Err(_) => {
                let nonce = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_nanos());
                self.bytes(name, &nonce.to_le_bytes())
            }
        }
    }

    /// The finished key of a file of the site.
    pub fn finish(&self) -> PageKey {
        PageKey(self.0.finalize())
    }

    /// The finished key of a part that goes into other keys.
    pub fn hash(&self) -> blake3::Hash {
        self.0.finalize()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_keys_round_trip_through_their_text_form_only() {
        let key = Key::new(&blake3::Hash::from_bytes([7; 32])).finish();
        let text = key.to_hex();
        assert_eq!(text.len(), 64);
        assert_eq!(PageKey::from_hex(&text), Some(key));
        assert_eq!(PageKey::from_hex(&text.to_uppercase()), None);
        assert_eq!(PageKey::from_hex(&text[1..]), None);
        assert_eq!(PageKey::from_hex("-"), None);
    }

    #[test]
    fn parts_are_told_apart_by_name_length_and_presence() {
        let hash = |f: &dyn Fn(&mut Key)| {
            let mut k = Key::bare();
            f(&mut k);
            k.hash()
        };
        assert_ne!(
            hash(&|k| {
                k.bytes("a", b"bc");
            }),
            hash(&|k| {
                k.bytes("ab", b"c");
            })
        );
        assert_ne!(
            hash(&|k| {
                k.opt("a", None);
            }),
            hash(&|k| {
                k.opt("a", Some(b""));
            })
        );
    }

    #[test]
    fn the_theme_fingerprint_covers_files_language_and_overrides() {
        let files = [("templates/index.html", b"x".as_slice())];
        let none = BTreeMap::new();
        let base = theme_fingerprint(files, "en", &none);
        assert_eq!(base, theme_fingerprint(files, "en", &none));
        assert_ne!(base, theme_fingerprint(files, "ru", &none));
        let edited = [("templates/index.html", b"y".as_slice())];
        assert_ne!(base, theme_fingerprint(edited, "en", &none));
        let text = BTreeMap::from([("next".to_string(), StringOverride::Text("→".into()))]);
        let plural = BTreeMap::from([(
            "next".to_string(),
            StringOverride::Plural(BTreeMap::from([("other".into(), "→".into())])),
        )]);
        assert_ne!(base, theme_fingerprint(files, "en", &text));
        assert_ne!(
            theme_fingerprint(files, "en", &text),
            theme_fingerprint(files, "en", &plural)
        );
    }

    #[test]
    fn an_entrys_key_is_the_one_earlier_planetoids_stored() {
        // A key that changes with no change in what the site shows renders
        // every page again on the first build after an upgrade: this is the
        // key planetoid 0.1's incremental hashing gave this entry.
        use chrono::TimeZone;
        let date = chrono::Utc.with_ymd_and_hms(2025, 3, 1, 12, 0, 0).unwrap();
        let mut e = StoredEntry::sample(FeedId::from_stored("feed".into()), "id-1", date);
        e.link = Some(WebUrl::sample("https://blog.example/post/1"));
        e.author = Some("Анна".into());
        e.body_hash = body_hash("<p>body</p>");
        e.categories = vec!["rust".into(), "планета".into()];
        e.enclosures = vec![crate::entry::Enclosure {
            url: WebUrl::sample("https://blog.example/a.mp3"),
            mime_type: Some("audio/mpeg".into()),
            length: None,
        }];
        e.also_in = vec![FeedId::from_stored("other".into())];
        let feed = |id: &FeedId| (id.as_str() == "feed").then(|| blake3::hash(b"feed key"));
        let key = entry_key(&e, 3, feed, |tag| tag.len());
        assert_eq!(
            key.to_hex().as_str(),
            "246fee7887769cf7685bb4fc779fee581b1a73d1eda7d30442a9830df10497d0"
        );
    }
}
