//! Pages that did not change are not rendered again. Every page and
//! per-listing feed gets a key: a hash of everything its template receives
//! (the theme, the site-wide values, the page's own values and each listed
//! entry's values, with a hash standing for each body) and of planetoid's
//! version. The keys of the published site are kept in a file beside it
//! ([`KEYS_FILE`]), written and swapped in together with the pages, so they
//! always describe the files that are live. A page whose key is unchanged
//! and whose file exists is hard-linked from the live site into the new one
//! instead of rendered; its entries' bodies are then never read. Output is
//! the same byte for byte either way (tests compare both paths).

use std::collections::HashMap;
use std::sync::Mutex;

use serde::Serialize;

use crate::output::Site;

/// The keys of the published site: `<hex key> <path>` per line.
pub const KEYS_FILE: &str = ".planetoid-keys";

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
        let json = serde_json::to_vec(value).unwrap_or_default();
        self.bytes(name, &json)
    }

    pub fn finish(&self) -> blake3::Hash {
        self.0.finalize()
    }
}

/// The previous build's keys and the ones this build publishes.
pub struct Keys {
    previous: HashMap<String, blake3::Hash>,
    current: Mutex<Vec<(String, blake3::Hash)>>,
}

impl Keys {
    /// The keys of the site `site` replaces (none for a fresh or in-memory
    /// site, or when the file is unreadable: everything is rendered).
    pub fn load(site: &Site) -> Keys {
        let previous = site
            .previous(KEYS_FILE)
            .map(|text| {
                String::from_utf8_lossy(&text)
                    .lines()
                    .filter_map(|line| {
                        let (key, path) = line.split_once(' ')?;
                        Some((path.to_string(), blake3::Hash::from_hex(key).ok()?))
                    })
                    .collect()
            })
            .unwrap_or_default();
        Keys {
            previous,
            current: Mutex::new(Vec::new()),
        }
    }

    /// Records `path`'s key and tells whether its file was carried over from
    /// the live site (the key matched and the file could be linked).
    pub fn reused(&self, site: &Site, path: &str, key: blake3::Hash) -> bool {
        if let Ok(mut current) = self.current.lock() {
            current.push((path.to_string(), key));
        }
        self.previous.get(path) == Some(&key) && site.reuse(path)
    }

    /// Writes the keys file into the new site.
    pub fn save(self, site: &Site) {
        let mut current = self.current.into_inner().unwrap_or_default();
        current.sort_by(|a, b| a.0.cmp(&b.0));
        let text: String = current
            .iter()
            .map(|(path, key)| format!("{} {path}\n", key.to_hex()))
            .collect();
        site.add(KEYS_FILE, text.into_bytes());
    }
}
