//! The keys file of a published site or of its spare copy
//! (`.planetoid-keys`): every file of the site, one per line, as
//! `<key> <path>` for a file render gave a key, or `- <path>` for one it
//! did not (a style sheet, a page written on every build). Lines are
//! sorted, so two builds of the same site write the same file. It is
//! written whole under another name and then renamed, so a keys file cut
//! short never vouches for files it does not describe.

use std::collections::HashMap;
use std::path::Path;

use super::{OutputError, io, write_file};
use crate::keys::PageKey;

/// The keys file's name in the site.
pub(super) const KEYS: &str = ".planetoid-keys";
/// The keys file while it is written, renamed to [`KEYS`] when complete.
pub(super) const KEYS_NEW: &str = ".planetoid-keys.new";

/// Every file of a site by its path, with its key (`None`: it has none).
pub(super) type Keys = HashMap<String, Option<PageKey>>;

/// The keys file of the site in `dir`; `None` when there is none or it
/// does not read as one.
pub(super) fn read(dir: &Path) -> Option<Keys> {
    let text = std::fs::read_to_string(dir.join(KEYS)).ok()?;
    text.lines()
        .map(|line| {
            let (key, path) = line.split_once(' ')?;
            let key = if key == "-" {
                None
            } else {
                Some(PageKey::from_hex(key)?)
            };
            Some((path.to_string(), key))
        })
        .collect()
}

/// Writes the keys file of the site in `dir`.
pub(super) fn write(dir: &Path, keys: &Keys) -> Result<u64, OutputError> {
    let mut lines: Vec<String> = keys
        .iter()
        .map(|(path, key)| match key {
            Some(k) => format!("{} {path}\n", k.to_hex()),
            None => format!("- {path}\n"),
        })
        .collect();
    lines.sort();
    let text = lines.concat();
    write_file(dir, KEYS_NEW, text.as_bytes(), true)?;
    std::fs::rename(dir.join(KEYS_NEW), dir.join(KEYS)).map_err(io(dir))?;
    Ok(text.len() as u64)
}

/// Removes the keys file of the site in `dir`: from then on nothing in it
/// is trusted.
pub(super) fn remove(dir: &Path) -> std::io::Result<()> {
    std::fs::remove_file(dir.join(KEYS))
}

/// The files under `prefix` made from `key`, sorted.
pub(super) fn group(keys: &Keys, prefix: &str, key: PageKey) -> Vec<String> {
    let mut paths: Vec<String> = keys
        .iter()
        .filter(|(p, k)| p.starts_with(prefix) && **k == Some(key))
        .map(|(p, _)| p.clone())
        .collect();
    paths.sort();
    paths
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_and_a_damaged_file_is_not_trusted() {
        let dir = tempfile::tempdir().expect("tempdir");
        let key = PageKey::from_hex(&"ab".repeat(32)).expect("hex");
        let keys: Keys = [
            ("index.html".to_string(), Some(key)),
            ("static/style.css".to_string(), None),
            ("pagefind/en/a".to_string(), Some(key)),
        ]
        .into_iter()
        .collect();
        write(dir.path(), &keys).expect("write");
        let text = std::fs::read_to_string(dir.path().join(KEYS)).expect("read");
        assert_eq!(
            text,
            format!(
                "- static/style.css\n{hex} index.html\n{hex} pagefind/en/a\n",
                hex = "ab".repeat(32)
            )
        );
        assert!(!dir.path().join(KEYS_NEW).exists());
        assert_eq!(read(dir.path()), Some(keys.clone()));
        assert_eq!(group(&keys, "pagefind/", key), ["pagefind/en/a"]);

        std::fs::write(dir.path().join(KEYS), "xyz index.html\n").expect("write");
        assert_eq!(read(dir.path()), None);
        remove(dir.path()).expect("remove");
        assert_eq!(read(dir.path()), None);
    }
}
