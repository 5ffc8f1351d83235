//! Putting the rendered site on disk without ever leaving a half-written
//! one. Render hands each file to a [`Site`] as it is made, and the site
//! writes it straight into a staging directory beside `output_dir`: the
//! spare copy (`.NAME.spare`, the site of the build before the live one),
//! brought up to date in place, or a fresh directory when there is no spare
//! to trust. A file whose key render hands over unchanged is carried over
//! instead of written: already right in the spare, or hard-linked from the
//! live site. Beside the files, the keys file ([`keyfile`]) records which
//! key made each one. At the end the staging directory and the live site
//! trade places ([`swap`]): on Linux with one atomic
//! `renameat2(RENAME_EXCHANGE)`, elsewhere with two renames whose
//! interrupted state the next build repairs; the old site becomes the
//! spare. A crash, a `kill -9` or a full disk mid-write leaves the live
//! site whole, and a directory planetoid did not create (no
//! `.planetoid-site` marker) is never replaced, so a typo in `output_dir`
//! cannot wipe someone's files. How a key is made is not this module's
//! business (see `keys`): it only compares them.

mod keyfile;
pub mod size;
mod swap;

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::keys::PageKey;
use keyfile::Keys;

/// The marker file that says "this directory is a planetoid site".
pub const MARKER: &str = ".planetoid-site";

/// The site being written: every file goes straight into the staging
/// directory as it is rendered, so a big planet never holds its whole site
/// in memory, and is swapped in by [`Site::commit`]. Files may be added
/// from several threads at once (pages render in parallel). Dropped
/// without a commit (an error, a failed render), it removes what it wrote.
#[derive(Debug)]
pub struct Site {
    dir: PathBuf,
    /// The staging directory: the spare, or a fresh one.
    fresh: PathBuf,
    /// Files of the live site and of the spare, with their keys.
    live_keys: Keys,
    spare_keys: Keys,
    /// This build's files, with their bytes on disk (a path listed again
    /// was written again: the last listing is the file).
    listed: Mutex<Vec<Listed>>,
    written: AtomicUsize,
    /// Files carried over unchanged (already right in the spare, or linked
    /// from the live site).
    reused: AtomicUsize,
    /// The first write that failed; reported at commit.
    error: Mutex<Option<OutputError>>,
    committed: bool,
}

impl Drop for Site {
    fn drop(&mut self) {
        if !self.committed {
            let _ = swap::remove_tree(&self.fresh);
        }
    }
}

impl Site {
    /// A site whose files go straight to disk, to be swapped into `dir` by
    /// [`Site::commit`]. Refuses, before anything is rendered, a `dir` that
    /// planetoid did not create or that holds planet.yaml (`config_dir`).
    pub fn staged(dir: &Path, config_dir: &Path) -> Result<Site, OutputError> {
        let (dir, fresh) = swap::prepare(dir, config_dir)?;
        let spare = swap::spare_of(&dir);
        let live_keys = keyfile::read(&dir).unwrap_or_default();
        // The spare's keys file goes before anything in it changes: a build
        // killed halfway leaves a spare without keys, which the next build
        // discards instead of trusting.
        let spare_keys = keyfile::read(&spare)
            .filter(|keys| !keys.is_empty() && spare.join(MARKER).is_file())
            .unwrap_or_default();
        let fresh = if spare_keys.is_empty() {
            // No usable spare (none yet, or a build died updating it): a
            // new directory, as for a first build. A directory by that name
            // that planetoid did not make is left alone (and refused).
            swap::check_ours(&spare).map_err(|e| match e {
                OutputError::NotOurs { path } => OutputError::SpareNotOurs { path },
                other => other,
            })?;
            if spare.exists() {
                swap::remove_tree(&spare).map_err(io(&spare))?;
            }
            fresh
        } else {
            keyfile::remove(&spare).map_err(io(&spare))?;
            spare
        };
        std::fs::create_dir_all(&fresh).map_err(io(&fresh))?;
        // From here on, dropping the site removes the half-written directory.
        let site = Site {
            dir,
            fresh,
            live_keys,
            spare_keys,
            listed: Mutex::new(Vec::new()),
            written: AtomicUsize::new(0),
            reused: AtomicUsize::new(0),
            error: Mutex::new(None),
            committed: false,
        };
        write_markers(&site.fresh)?;
        Ok(site)
    }

    /// Adds a file that has no key (written on every build).
    pub fn add(&self, path: &str, bytes: Vec<u8>) {
        self.add_keyed(path, None, bytes);
    }

    /// Adds a file rendered from what `key` stands for.
    pub fn add_keyed(&self, path: &str, key: Option<PageKey>, bytes: Vec<u8>) {
        self.list(path, key, bytes.len() as u64);
        // A file of the spare may be a hard link shared with the live
        // site: it is replaced, never written into.
        match write_file(&self.fresh, path, &bytes, self.reusing_spare()) {
            Ok(()) => {
                self.written.fetch_add(1, Ordering::Relaxed);
            }
            Err(e) => {
                if let Ok(mut slot) = self.error.lock() {
                    slot.get_or_insert(e);
                }
            }
        }
    }

    /// Carries `path` over unchanged when a file made from the same `key`
    /// is at hand: already in the spare, or in the live site (then
    /// hard-linked, copied where links fail). False when there is none
    /// (then the caller renders it).
    pub fn carry(&self, path: &str, key: PageKey) -> bool {
        let (Some(spare), Some(live)) = (safe_join(&self.fresh, path), safe_join(&self.dir, path))
        else {
            return false;
        };
        // The bytes of a regular file at `p`, `None` when there is none.
        let file_len = |p: &Path| {
            std::fs::symlink_metadata(p)
                .ok()
                .filter(|m| m.is_file())
                .map(|m| m.len())
        };
        let in_spare = (self.spare_keys.get(path) == Some(&Some(key)))
            .then(|| file_len(&spare))
            .flatten();
        let in_live = || {
            (self.live_keys.get(path) == Some(&Some(key)))
                .then(|| file_len(&live))
                .flatten()
        };
        // Puts the live site's file into the staging directory.
        let link_from_live = || {
            if self.reusing_spare() {
                let _ = std::fs::remove_file(&spare);
            }
            let linked = |to: &Path| {
                std::fs::hard_link(&live, to).is_ok() || std::fs::copy(&live, to).is_ok()
            };
            linked(&spare)
                || spare
                    .parent()
                    .is_some_and(|parent| std::fs::create_dir_all(parent).is_ok() && linked(&spare))
        };
        // Already right in the spare, or linked from the live site.
        let carried = in_spare.or_else(|| in_live().filter(|_| link_from_live()));
        if let Some(len) = carried {
            self.list(path, Some(key), len);
            self.reused.fetch_add(1, Ordering::Relaxed);
        }
        carried.is_some()
    }

    /// Carries over every file under `prefix` that the previous build (or
    /// the spare) made from `key`, for a group of files made together
    /// (a search index) whose names are not known before they are made.
    /// Returns how many files and bytes were carried, or `None` when there
    /// is no such group or a file of it is missing (then the caller makes
    /// the group again, and its files replace whatever was carried).
    pub fn carry_all(&self, prefix: &str, key: PageKey) -> Option<(usize, u64)> {
        let mut paths = keyfile::group(&self.live_keys, prefix, key);
        if paths.is_empty() {
            paths = keyfile::group(&self.spare_keys, prefix, key);
        }
        if paths.is_empty() {
            return None;
        }
        for path in &paths {
            if !self.carry(path, key) {
                return None;
            }
        }
        let bytes = self.bytes_listed(|p| paths.binary_search_by(|q| q.as_str().cmp(p)).is_ok());
        Some((paths.len(), bytes))
    }

    /// The bytes on disk of this build's files so far whose paths `which`
    /// accepts, written or carried over alike (for the size budget, which
    /// must see the same number whatever was carried).
    pub fn bytes_listed(&self, which: impl Fn(&str) -> bool) -> u64 {
        match self.listed.lock() {
            Ok(listed) => files(&listed)
                .filter(|(path, _)| which(path))
                .map(|(_, bytes)| bytes)
                .sum(),
            Err(_) => 0,
        }
    }

    /// Files written and files carried over so far (for reports and tests).
    pub fn counts(&self) -> (usize, usize) {
        (
            self.written.load(Ordering::Relaxed),
            self.reused.load(Ordering::Relaxed),
        )
    }

    /// Swaps the site into place: files of the spare this build did not
    /// produce go, the keys file is written, and the staging directory and
    /// the live site trade places. Returns how many files were written and
    /// the published site's size, counted from this build's files (no walk
    /// over the site, which cost up to 0.2 s of a warm build).
    pub fn commit(mut self) -> Result<Published, OutputError> {
        if let Some(e) = self.error.lock().ok().and_then(|mut slot| slot.take()) {
            return Err(e);
        }
        let listed = std::mem::take(&mut *self.listed.lock().map_err(|_| OutputError::Io {
            path: self.fresh.clone(),
            source: std::io::Error::other("a rendering thread panicked"),
        })?);
        let sizes: Vec<(&str, u64)> = files(&listed).collect();
        let current: Keys = listed.iter().map(|l| (l.path.clone(), l.key)).collect();
        for stale in self.spare_keys.keys().filter(|p| !current.contains_key(*p)) {
            remove_with_empty_parents(&self.fresh, stale);
        }
        let keys_bytes = keyfile::write(&self.fresh, &current)?;
        swap::swap_in(&self.fresh, &self.dir)?;
        self.committed = true;
        let markers = MARKERS.map(|(name, text)| (name, text.len() as u64));
        Ok(Published {
            written: self.written.load(Ordering::Relaxed),
            size: size::of_files(
                sizes
                    .into_iter()
                    .chain(markers)
                    .chain([(keyfile::KEYS, keys_bytes)]),
            ),
        })
    }

    /// This build updates the spare in place (rather than a new directory).
    fn reusing_spare(&self) -> bool {
        !self.spare_keys.is_empty()
    }

    fn list(&self, path: &str, key: Option<PageKey>, bytes: u64) {
        if let Ok(mut listed) = self.listed.lock() {
            listed.push(Listed {
                path: path.to_string(),
                key,
                bytes,
            });
        }
    }
}

/// One file of this build, as listed.
#[derive(Debug)]
struct Listed {
    path: String,
    key: Option<PageKey>,
    bytes: u64,
}

/// Every listed file once, with its bytes (the last listing of a path wins).
fn files(listed: &[Listed]) -> impl Iterator<Item = (&str, u64)> {
    let last: std::collections::HashMap<&str, u64> =
        listed.iter().map(|l| (l.path.as_str(), l.bytes)).collect();
    last.into_iter()
}

/// What [`Site::commit`] published.
#[derive(Debug)]
pub struct Published {
    /// Files written (not carried over).
    pub written: usize,
    /// The site's size, every file of it.
    pub size: size::SiteSize,
}

/// Why the site could not be published. Fatal; the old site stays.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error("refusing to replace {}: it is not empty and was not written by planetoid (no {MARKER} file); remove it or choose another output_dir", path.display())]
    NotOurs { path: PathBuf },
    #[error("refusing to replace {}: planetoid keeps a spare copy of the site there, but this directory is not empty and was not written by planetoid (no {MARKER} file); move it elsewhere or remove it", path.display())]
    SpareNotOurs { path: PathBuf },
    #[error("refusing to write the site to {}: it contains planet.yaml's own directory", path.display())]
    ContainsConfig { path: PathBuf },
    #[error("cannot write {}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> OutputError + '_ {
    move |source| OutputError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Removes `root/rel` and then its folders up to `root` as they empty.
fn remove_with_empty_parents(root: &Path, rel: &str) {
    let Some(path) = safe_join(root, rel) else {
        return;
    };
    let _ = std::fs::remove_file(&path);
    let mut dir = path.parent();
    while let Some(d) = dir {
        if d == root || std::fs::remove_dir(d).is_err() {
            break;
        }
        dir = d.parent();
    }
}

/// The files every site starts with, by name and text: the ownership
/// marker, and `.nojekyll` so GitHub Pages serves the files as they are
/// instead of running Jekyll over them.
const MARKERS: [(&str, &str); 2] = [
    (
        MARKER,
        concat!("planetoid ", env!("CARGO_PKG_VERSION"), "\n"),
    ),
    (".nojekyll", ""),
];

fn write_markers(root: &Path) -> Result<(), OutputError> {
    for (name, text) in MARKERS {
        std::fs::write(root.join(name), text).map_err(io(root))?;
    }
    Ok(())
}

/// Writes `root/rel`; `replace` when a file may be there already (it is
/// unlinked first, so a hard link shared with the live site is untouched).
fn write_file(root: &Path, rel: &str, bytes: &[u8], replace: bool) -> Result<(), OutputError> {
    let path = safe_join(root, rel).ok_or_else(|| OutputError::Io {
        path: root.join(rel),
        source: std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "path leaves the output directory",
        ),
    })?;
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(io(parent))?;
    }
    if replace {
        match std::fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(io(&path)(e)),
            _ => {}
        }
    }
    std::fs::write(&path, bytes).map_err(io(&path))
}

/// `root/rel`, refusing absolute paths and `..` (a theme file name cannot
/// write outside the site).
fn safe_join(root: &Path, rel: &str) -> Option<PathBuf> {
    let rel = Path::new(rel);
    rel.components()
        .all(|c| matches!(c, std::path::Component::Normal(_)))
        .then(|| root.join(rel))
}

#[cfg(test)]
mod tests;
