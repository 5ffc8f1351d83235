//! Pages that did not change are not rendered again. Every page and
//! per-listing feed gets a key: a hash of everything its template receives
//! (the theme, the site-wide values, the page's own values and each listed
//! entry's values, with a hash standing for each body) and of planetoid's
//! version. The output stage keeps the keys beside the files they describe
//! and carries a page whose key is unchanged over instead of writing it
//! ([`crate::output::Site::carry`]); its entries' bodies are then never
//! read. Output is the same byte for byte either way (tests compare both).

use serde::Serialize;

use crate::output::PageKey;

/// A key under construction: named parts fed in order.
pub struct Key(blake3::Hasher);

impl Key {
    /// A key seeded with planetoid's version and the theme's fingerprint.
    pub fn new(theme: &blake3::Hash) -> Key {
        let mut h = blake3::Hasher::new();
        h.update(env!("CARGO_PKG_VERSION").as_bytes());
        h.update(theme.as_bytes());
        Key(h)
    }

    /// Adds a named part given as bytes.
    pub fn bytes(&mut self, name: &str, bytes: &[u8]) -> &mut Key {
        self.0.update(name.as_bytes()).update(b"\0");
        self.0.update(&(bytes.len() as u64).to_le_bytes());
        self.0.update(bytes);
        self
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

    pub fn finish(&self) -> PageKey {
        *self.0.finalize().as_bytes()
    }
}
