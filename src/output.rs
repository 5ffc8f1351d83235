//! Putting the rendered site on disk without ever leaving a half-written one.
//!
//! The whole site is rendered in memory ([`Site`]), written to a fresh
//! temporary directory beside `output_dir`, and only then swapped in: on
//! Linux with one atomic `renameat2(RENAME_EXCHANGE)`, elsewhere with two
//! renames whose interrupted state the next build repairs. A crash, a
//! `kill -9` or a full disk mid-write leaves the previous site whole.
//! A directory planetoid did not create (no `.planetoid-site` marker) is
//! never replaced, so a typo in `output_dir` cannot wipe someone's files.

pub mod size;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::keys::PageKey;

/// The marker file that says "this directory is a planetoid site".
pub const MARKER: &str = ".planetoid-site";

/// Every file of the site, by path relative to the output directory: kept in
/// memory, or — for a real build — written straight into the staging
/// directory as it is rendered ([`Site::staged`]), so a big planet never
/// holds its whole site in memory.
/// Files may be added from several threads at once (pages render in
/// parallel).
#[derive(Debug, Default)]
pub struct Site {
    files: Mutex<BTreeMap<String, Vec<u8>>>,
    staging: Option<Staging>,
}

/// The spare copy of the site beside the output directory (`.NAME.spare`,
/// the site of the build before the live one), brought up to date by this
/// build and swapped in by `commit`. Updating it in place, not building a
/// fresh tree, means a page nobody changed costs nothing: no directory is
/// made, no file linked or removed. It is never live while it changes, so
/// the live site stays whole whatever happens.
#[derive(Debug)]
struct Staging {
    dir: PathBuf,
    fresh: PathBuf,
    /// Files of the live site and of the spare, with their keys (`None`
    /// for files that have none, such as style sheets).
    live_keys: HashMap<String, Option<PageKey>>,
    spare_keys: HashMap<String, Option<PageKey>>,
    /// This build's files.
    listed: Mutex<Vec<(String, Option<PageKey>)>>,
    written: AtomicUsize,
    /// Files carried over unchanged (already right in the spare, or linked
    /// from the live site).
    reused: AtomicUsize,
    /// The first write that failed; reported at commit.
    error: Mutex<Option<OutputError>>,
    committed: bool,
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.committed {
            let _ = remove_tree(&self.fresh);
        }
    }
}

impl Site {
    /// A site whose files go straight to disk, to be swapped into `dir` by
    /// [`Site::commit`]. Refuses, before anything is rendered, a `dir` that
    /// planetoid did not create or that holds planet.yaml.
    pub fn staged(dir: &Path, config_dir: &Path) -> Result<Site, OutputError> {
        let (dir, fresh) = prepare(dir, config_dir)?;
        let spare = parent_of(&dir).join(format!(".{}.spare", name_of(&dir)));
        let live_keys = read_keys(&dir).unwrap_or_default();
        // The spare's keys file goes before anything in it changes: a build
        // killed halfway leaves a spare without keys, which the next build
        // discards instead of trusting.
        let spare_keys = read_keys(&spare)
            .filter(|keys| !keys.is_empty() && spare.join(MARKER).is_file())
            .unwrap_or_default();
        let fresh = if spare_keys.is_empty() {
            // No usable spare (none yet, or a build died updating it): a
            // new directory, as for a first build. A directory by that name
            // that planetoid did not make is left alone (and refused).
            check_ours(&spare).map_err(|e| match e {
                OutputError::NotOurs { path } => OutputError::SpareNotOurs { path },
                other => other,
            })?;
            if spare.exists() {
                remove_tree(&spare).map_err(io(&spare))?;
            }
            fresh
        } else {
            std::fs::remove_file(spare.join(KEYS)).map_err(io(&spare))?;
            spare
        };
        std::fs::create_dir_all(&fresh).map_err(io(&fresh))?;
        // From here on, dropping `staging` (an error, a failed render)
        // removes the half-written directory.
        let staging = Staging {
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
        write_markers(&staging.fresh)?;
        Ok(Site {
            files: Mutex::new(BTreeMap::new()),
            staging: Some(staging),
        })
    }

    /// Adds a file that has no key (written on every build).
    pub fn add(&self, path: &str, bytes: Vec<u8>) {
        self.add_keyed(path, None, bytes);
    }

    /// Adds a file rendered from what `key` stands for.
    pub fn add_keyed(&self, path: &str, key: Option<PageKey>, bytes: Vec<u8>) {
        let Some(st) = &self.staging else {
            if let Ok(mut files) = self.files.lock() {
                files.insert(path.to_string(), bytes);
            }
            return;
        };
        st.list(path, key);
        // A file of the spare may be a hard link shared with the live
        // site: it is replaced, never written into.
        match write_file(&st.fresh, path, &bytes, st.reusing_spare()) {
            Ok(()) => {
                st.written.fetch_add(1, Ordering::Relaxed);
            }
            Err(e) => {
                if let Ok(mut slot) = st.error.lock() {
                    slot.get_or_insert(e);
                }
            }
        }
    }

    /// Carries `path` over unchanged when a file rendered from the same
    /// `key` is at hand: already in the spare, or in the live site (then
    /// hard-linked, copied where links fail). False when there is none
    /// (then the caller renders it).
    pub fn carry(&self, path: &str, key: PageKey) -> bool {
        let Some(st) = &self.staging else {
            return false;
        };
        let (Some(spare), Some(live)) = (safe_join(&st.fresh, path), safe_join(&st.dir, path))
        else {
            return false;
        };
        let is_file = |p: &Path| std::fs::symlink_metadata(p).is_ok_and(|m| m.is_file());
        let carried = if st.spare_keys.get(path) == Some(&Some(key)) && is_file(&spare) {
            true
        } else if st.live_keys.get(path) == Some(&Some(key)) && is_file(&live) {
            if st.reusing_spare() {
                let _ = std::fs::remove_file(&spare);
            }
            let linked = |to: &Path| {
                std::fs::hard_link(&live, to).is_ok() || std::fs::copy(&live, to).is_ok()
            };
            linked(&spare)
                || spare
                    .parent()
                    .is_some_and(|parent| std::fs::create_dir_all(parent).is_ok() && linked(&spare))
        } else {
            false
        };
        if carried {
            st.list(path, Some(key));
            st.reused.fetch_add(1, Ordering::Relaxed);
        }
        carried
    }

    /// Carries over every file under `prefix` that the previous build (or
    /// the spare) made from `key`, for a group of files made together
    /// (a search index) whose names are not known before they are made.
    /// Returns how many files and bytes were carried, or `None` when there
    /// is no such group or a file of it is missing (then the caller makes
    /// the group again, and its files replace whatever was carried).
    pub fn carry_all(&self, prefix: &str, key: PageKey) -> Option<(usize, u64)> {
        let st = self.staging.as_ref()?;
        let group = |keys: &HashMap<String, Option<PageKey>>| -> Vec<String> {
            let mut paths: Vec<String> = keys
                .iter()
                .filter(|(p, k)| p.starts_with(prefix) && **k == Some(key))
                .map(|(p, _)| p.clone())
                .collect();
            paths.sort();
            paths
        };
        let mut paths = group(&st.live_keys);
        if paths.is_empty() {
            paths = group(&st.spare_keys);
        }
        if paths.is_empty() {
            return None;
        }
        let mut bytes = 0;
        for path in &paths {
            if !self.carry(path, key) {
                return None;
            }
            bytes += safe_join(&st.fresh, path)
                .and_then(|p| std::fs::metadata(p).ok())
                .map_or(0, |m| m.len());
        }
        Some((paths.len(), bytes))
    }

    /// Files written and files carried over so far (for reports and tests).
    pub fn counts(&self) -> (usize, usize) {
        match &self.staging {
            None => (self.files.lock().map_or(0, |f| f.len()), 0),
            Some(st) => (
                st.written.load(Ordering::Relaxed),
                st.reused.load(Ordering::Relaxed),
            ),
        }
    }

    /// Swaps a staged site into place (see [`Site::staged`]): files of the
    /// spare this build did not produce go, the keys file is written, and
    /// the spare and the live site trade places.
    pub fn commit(mut self) -> Result<usize, OutputError> {
        let Some(mut st) = self.staging.take() else {
            return Ok(0);
        };
        if let Some(e) = st.error.lock().ok().and_then(|mut slot| slot.take()) {
            return Err(e);
        }
        let listed = std::mem::take(&mut *st.listed.lock().map_err(|_| OutputError::Io {
            path: st.fresh.clone(),
            source: std::io::Error::other("a rendering thread panicked"),
        })?);
        let current: HashMap<&str, Option<PageKey>> =
            listed.iter().map(|(p, k)| (p.as_str(), *k)).collect();
        for stale in st
            .spare_keys
            .keys()
            .filter(|p| !current.contains_key(p.as_str()))
        {
            remove_with_empty_parents(&st.fresh, stale);
        }
        let mut lines: Vec<String> = current
            .iter()
            .map(|(path, key)| match key {
                Some(k) => format!("{} {path}\n", k.to_hex()),
                None => format!("- {path}\n"),
            })
            .collect();
        lines.sort();
        // Whole or not at all: a keys file cut short would vouch for a
        // spare it does not fully describe.
        write_file(&st.fresh, KEYS_NEW, lines.concat().as_bytes(), true)?;
        std::fs::rename(st.fresh.join(KEYS_NEW), st.fresh.join(KEYS)).map_err(io(&st.fresh))?;
        swap_in(&st.fresh, &st.dir, true)?;
        st.committed = true;
        Ok(st.written.load(Ordering::Relaxed))
    }

    /// A file of an in-memory site.
    pub fn get(&self, path: &str) -> Option<Vec<u8>> {
        self.files.lock().ok()?.get(path).cloned()
    }
}

impl Staging {
    /// This build updates the spare in place (rather than a new directory).
    fn reusing_spare(&self) -> bool {
        !self.spare_keys.is_empty()
    }

    fn list(&self, path: &str, key: Option<PageKey>) {
        if let Ok(mut listed) = self.listed.lock() {
            listed.push((path.to_string(), key));
        }
    }
}

/// The keys file of a published site or spare: `<hex key> <path>`, or
/// `- <path>` for a file without a key, one per line; every file listed.
const KEYS: &str = ".planetoid-keys";
/// The keys file while it is written, renamed to [`KEYS`] when complete.
const KEYS_NEW: &str = ".planetoid-keys.new";

fn read_keys(dir: &Path) -> Option<HashMap<String, Option<PageKey>>> {
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

fn parent_of(dir: &Path) -> PathBuf {
    dir.parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

fn name_of(dir: &Path) -> String {
    dir.file_name()
        .map_or_else(|| "output".into(), |n| n.to_string_lossy().into_owned())
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

/// Writes an in-memory `site` to a temporary directory and swaps it into
/// `dir`. `config_dir` is planet.yaml's directory, never to be replaced.
pub fn publish(site: &Site, dir: &Path, config_dir: &Path) -> Result<(), OutputError> {
    let (dir, fresh) = prepare(dir, config_dir)?;
    let written = write_tree(site, &fresh);
    if let Err(e) = written {
        let _ = std::fs::remove_dir_all(&fresh);
        return Err(e);
    }
    swap_in(&fresh, &dir, false)
}

/// Checks `dir` may be replaced, repairs leftovers of killed builds, and
/// names the fresh staging directory beside it (emptied).
fn prepare(dir: &Path, config_dir: &Path) -> Result<(PathBuf, PathBuf), OutputError> {
    let dir = std::path::absolute(dir).map_err(io(dir))?;
    let config_dir = std::path::absolute(config_dir).unwrap_or_else(|_| config_dir.to_path_buf());
    if config_dir.starts_with(&dir) {
        return Err(OutputError::ContainsConfig { path: dir });
    }
    check_ours(&dir)?;
    let parent = parent_of(&dir);
    std::fs::create_dir_all(&parent).map_err(io(&parent))?;
    let name = name_of(&dir);
    recover(&parent, &name, &dir)?;
    let fresh = parent.join(format!(".{name}.new-{}", std::process::id()));
    Ok((dir, fresh))
}

/// Puts the complete site at `fresh` in place of `dir`. The site it
/// replaces becomes the spare (`keep`) or is removed.
fn swap_in(fresh: &Path, dir: &Path, keep: bool) -> Result<(), OutputError> {
    let spare = parent_of(dir).join(format!(".{}.spare", name_of(dir)));
    if !dir.exists() {
        return std::fs::rename(fresh, dir).map_err(io(dir));
    }
    if exchange(fresh, dir) {
        // `fresh` now holds the previous site.
        return if !keep {
            remove_tree(fresh).map_err(io(fresh))
        } else if fresh == spare {
            Ok(())
        } else {
            std::fs::rename(fresh, &spare).map_err(io(&spare))
        };
    }
    let old = dir.with_file_name(format!(".{}.old-{}", name_of(dir), std::process::id()));
    std::fs::rename(dir, &old).map_err(io(dir))?;
    if let Err(source) = std::fs::rename(fresh, dir) {
        // Put the old site back; the new one is lost, the old stays whole.
        let _ = std::fs::rename(&old, dir);
        let _ = std::fs::remove_dir_all(fresh);
        return Err(OutputError::Io {
            path: dir.to_path_buf(),
            source,
        });
    }
    if keep {
        std::fs::rename(&old, &spare).map_err(io(&spare))
    } else {
        remove_tree(&old).map_err(io(&old))
    }
}

/// `remove_dir_all` on every core: a big site is thousands of files, and
/// unlinking them one by one was a third of a build that changed nothing.
/// Symbolic links are removed, never followed. The marker goes last, so a
/// removal cut short (kill -9) leaves a directory still known as ours.
fn remove_tree(dir: &Path) -> std::io::Result<()> {
    use rayon::prelude::*;
    let entries: Vec<std::fs::DirEntry> = std::fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    entries
        .par_iter()
        .filter(|entry| entry.file_name() != MARKER)
        .try_for_each(|entry| {
            if entry.file_type()?.is_dir() {
                remove_tree(&entry.path())
            } else {
                std::fs::remove_file(entry.path())
            }
        })?;
    match std::fs::remove_file(dir.join(MARKER)) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
        _ => {}
    }
    std::fs::remove_dir(dir)
}

/// Swaps two directories atomically where the OS can (Linux renameat2).
#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> bool {
    use rustix::fs::{CWD, RenameFlags, renameat_with};
    renameat_with(CWD, a, CWD, b, RenameFlags::EXCHANGE).is_ok()
}

#[cfg(not(target_os = "linux"))]
fn exchange(_: &Path, _: &Path) -> bool {
    false
}

/// Cleans up after builds that were killed while publishing: a site left
/// only under `.NAME.old-PID` (killed between the two fallback renames) is
/// put back, and half-written `.NAME.new-PID` directories are removed.
fn recover(parent: &Path, name: &str, dir: &Path) -> Result<(), OutputError> {
    let Ok(entries) = std::fs::read_dir(parent) else {
        return Ok(());
    };
    let mut leftovers: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
                n.starts_with(&format!(".{name}.new-")) || n.starts_with(&format!(".{name}.old-"))
            })
        })
        .collect();
    leftovers.sort();
    for path in leftovers {
        let is_old = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with(&format!(".{name}.old-")));
        if is_old && !dir.exists() && path.join(MARKER).is_file() {
            std::fs::rename(&path, dir).map_err(io(&path))?;
        } else {
            std::fs::remove_dir_all(&path).map_err(io(&path))?;
        }
    }
    Ok(())
}

/// An existing, non-empty directory must carry our marker.
fn check_ours(dir: &Path) -> Result<(), OutputError> {
    let mut entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(source) => {
            return Err(OutputError::Io {
                path: dir.to_path_buf(),
                source,
            });
        }
    };
    if entries.next().is_none() || dir.join(MARKER).is_file() {
        Ok(())
    } else {
        Err(OutputError::NotOurs {
            path: dir.to_path_buf(),
        })
    }
}

fn write_tree(site: &Site, root: &Path) -> Result<(), OutputError> {
    std::fs::create_dir_all(root).map_err(io(root))?;
    write_markers(root)?;
    let files = site.files.lock().map_err(|_| OutputError::Io {
        path: root.to_path_buf(),
        source: std::io::Error::other("a rendering thread panicked"),
    })?;
    for (rel, bytes) in files.iter() {
        write_file(root, rel, bytes, false)?;
    }
    Ok(())
}

/// The ownership marker, and `.nojekyll` so GitHub Pages serves the files as
/// they are instead of running Jekyll over them.
fn write_markers(root: &Path) -> Result<(), OutputError> {
    let marker = format!("planetoid {}\n", env!("CARGO_PKG_VERSION"));
    std::fs::write(root.join(MARKER), marker).map_err(io(root))?;
    std::fs::write(root.join(".nojekyll"), b"").map_err(io(root))
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
mod tests {
    use super::*;

    fn key(n: u8) -> PageKey {
        PageKey::from_hex(&format!("{n:02x}").repeat(32)).expect("hex")
    }

    fn site(text: &str) -> Site {
        let s = Site::default();
        s.add("index.html", text.as_bytes().to_vec());
        s.add("page/2/index.html", b"two".to_vec());
        s
    }

    #[test]
    fn publish_replaces_the_old_site_whole() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let out = tmp.path().join("site/output");
        publish(&site("one"), &out, tmp.path()).expect("first");
        std::fs::write(out.join("stale.html"), "old").expect("write");
        publish(&site("new"), &out, tmp.path()).expect("second");
        assert_eq!(
            std::fs::read_to_string(out.join("index.html")).expect("read"),
            "new"
        );
        assert!(
            !out.join("stale.html").exists(),
            "files from the old build are gone"
        );
        assert!(out.join(MARKER).is_file());
        let leftovers: Vec<_> = std::fs::read_dir(tmp.path().join("site"))
            .expect("ls")
            .collect();
        assert_eq!(leftovers.len(), 1, "no temporary directories left behind");
    }

    #[test]
    fn foreign_directories_and_the_config_dir_are_never_replaced() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let foreign = tmp.path().join("docs");
        std::fs::create_dir_all(&foreign).expect("mkdir");
        std::fs::write(foreign.join("precious.txt"), "keep").expect("write");
        let err =
            publish(&site("x"), &foreign, tmp.path().join("cfg").as_path()).expect_err("not ours");
        assert!(matches!(err, OutputError::NotOurs { .. }), "{err}");
        assert!(foreign.join("precious.txt").exists());
        let err = publish(&site("x"), tmp.path(), tmp.path()).expect_err("config dir");
        assert!(matches!(err, OutputError::ContainsConfig { .. }), "{err}");
    }

    #[test]
    fn leftovers_of_killed_builds_are_repaired() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let out = tmp.path().join("output");
        publish(&site("one"), &out, tmp.path().join("cfg").as_path()).expect("first");
        // Killed between the two fallback renames: only the old copy exists.
        std::fs::rename(&out, tmp.path().join(".output.old-999")).expect("simulate");
        // And a half-written new site from another killed build.
        std::fs::create_dir_all(tmp.path().join(".output.new-998/page")).expect("simulate");
        publish(&site("two"), &out, tmp.path().join("cfg").as_path()).expect("second");
        assert_eq!(
            std::fs::read_to_string(out.join("index.html")).expect("read"),
            "two"
        );
        let names: Vec<String> = std::fs::read_dir(tmp.path())
            .expect("ls")
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["output"], "leftovers cleaned");
    }

    #[test]
    fn a_staged_site_is_written_as_rendered_and_swapped_in_or_dropped() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let out = tmp.path().join("output");
        let cfg = tmp.path().join("cfg");
        publish(&site("old"), &out, &cfg).expect("first");
        let staged = Site::staged(&out, &cfg).expect("staged");
        staged.add("index.html", b"new".to_vec());
        assert_eq!(
            std::fs::read_to_string(out.join("index.html")).expect("read"),
            "old",
            "not visible before commit"
        );
        assert_eq!(staged.commit().expect("commit"), 1);
        assert_eq!(
            std::fs::read_to_string(out.join("index.html")).expect("read"),
            "new"
        );
        // A build that fails after staging began leaves the old site and no leftovers.
        let abandoned = Site::staged(&out, &cfg).expect("staged");
        abandoned.add("index.html", b"half".to_vec());
        drop(abandoned);
        assert_eq!(
            std::fs::read_to_string(out.join("index.html")).expect("read"),
            "new"
        );
        assert_eq!(
            std::fs::read_dir(tmp.path()).expect("ls").count(),
            1,
            "staging removed"
        );
    }

    #[test]
    fn the_spare_copy_is_updated_in_place_and_never_touches_the_live_site() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let (out, cfg) = (tmp.path().join("output"), tmp.path().join("cfg"));
        let spare = tmp.path().join(".output.spare");
        let read = |p: &Path| std::fs::read_to_string(p).unwrap_or_default();
        let (k1, k2, k3) = (key(1), key(2), key(3));

        let a = Site::staged(&out, &cfg).expect("staged");
        a.add_keyed("a.html", Some(k1), b"A1".to_vec());
        a.add_keyed("x/b.html", Some(k2), b"B".to_vec());
        a.commit().expect("commit a");

        // Build b: a.html unchanged (linked from the live site), b gone, c new.
        let b = Site::staged(&out, &cfg).expect("staged");
        assert!(b.carry("a.html", k1));
        assert!(!b.carry("c.html", k3), "nothing to carry yet");
        b.add_keyed("c.html", Some(k3), b"C".to_vec());
        assert_eq!(b.counts(), (1, 1));
        b.commit().expect("commit b");
        assert_eq!(read(&out.join("a.html")), "A1");
        assert!(!out.join("x/b.html").exists());
        assert_eq!(
            read(&spare.join("x/b.html")),
            "B",
            "the previous site is the spare"
        );

        // Build c updates that spare: a.html is already right there, c.html
        // comes from the live site, b.html and its folder go. Rewriting a
        // file the spare shares with the live site leaves the live one alone.
        let c = Site::staged(&out, &cfg).expect("staged");
        assert!(c.carry("a.html", k1));
        assert!(c.carry("c.html", k3));
        c.add_keyed("a.html", Some(k2), b"A2".to_vec());
        assert_eq!(read(&out.join("a.html")), "A1", "live site untouched");
        c.commit().expect("commit c");
        assert_eq!(read(&out.join("a.html")), "A2");
        assert_eq!(read(&out.join("c.html")), "C");
        assert!(!out.join("x").exists(), "stale files and folders removed");
        assert_eq!(read(&spare.join("a.html")), "A1");

        // A build that dies while updating the spare leaves the live site
        // whole and no spare to trust.
        let d = Site::staged(&out, &cfg).expect("staged");
        d.add_keyed("a.html", Some(k3), b"half".to_vec());
        drop(d);
        assert_eq!(read(&out.join("a.html")), "A2");
        assert!(!spare.exists());
        let e = Site::staged(&out, &cfg).expect("staged");
        assert!(e.carry("a.html", k2), "the live site's keys still count");
        assert!(!e.carry("c.html", k1), "a changed key is rendered");
    }

    #[test]
    fn a_foreign_directory_where_the_spare_goes_is_never_removed() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let (out, cfg) = (tmp.path().join("output"), tmp.path().join("cfg"));
        let foreign = tmp.path().join(".output.spare");
        std::fs::create_dir_all(&foreign).expect("mkdir");
        std::fs::write(foreign.join("notes.txt"), "mine").expect("write");
        let err = Site::staged(&out, &cfg).expect_err("not ours");
        assert!(matches!(err, OutputError::SpareNotOurs { .. }), "{err}");
        assert!(
            err.to_string().contains("move it elsewhere or remove it"),
            "{err}"
        );
        assert!(foreign.join("notes.txt").is_file());
    }

    #[test]
    fn whatever_a_killed_build_leaves_beside_the_site_is_taken_back() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let (out, cfg) = (tmp.path().join("output"), tmp.path().join("cfg"));
        let spare = tmp.path().join(".output.spare");
        let read = |p: &Path| std::fs::read_to_string(p).unwrap_or_default();
        let build = |text: &str| {
            let site = Site::staged(&out, &cfg).expect("staged");
            site.add_keyed("a.html", Some(key(1)), text.as_bytes().to_vec());
            site.add_keyed("x/b.html", Some(key(2)), b"B".to_vec());
            site.commit().expect("commit");
        };
        build("one");
        build("two");
        let names = || -> Vec<String> {
            let mut names: Vec<String> = std::fs::read_dir(tmp.path())
                .expect("ls")
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect();
            names.sort();
            names
        };

        // Removing the spare cut short: its keys are gone, some files too,
        // the marker (removed last) is still there.
        std::fs::remove_file(spare.join(KEYS)).expect("rm keys");
        std::fs::remove_file(spare.join("a.html")).expect("rm");
        build("three");
        assert_eq!(read(&out.join("a.html")), "three");
        // Writing the keys file cut short: only the unfinished copy exists.
        std::fs::rename(spare.join(KEYS), spare.join(KEYS_NEW)).expect("mv");
        build("four");
        assert_eq!(read(&out.join("a.html")), "four");
        assert!(!out.join(KEYS_NEW).exists() && out.join(KEYS).is_file());
        // Killed right after making a staging directory or the spare, before
        // the marker: both are empty, so nothing is refused.
        remove_tree(&spare).expect("rm spare");
        std::fs::create_dir(&spare).expect("mkdir");
        std::fs::create_dir(tmp.path().join(".output.new-4242")).expect("mkdir");
        build("five");
        assert_eq!(read(&out.join("a.html")), "five");
        assert_eq!(names(), [".output.spare", "output"]);

        // A spare file its keys do not list may be a hard link into the
        // live site: it is replaced, never written through.
        let listed = read(&spare.join(KEYS));
        let kept: String = listed
            .lines()
            .filter(|l| !l.ends_with(" a.html"))
            .map(|l| format!("{l}\n"))
            .collect();
        std::fs::write(spare.join(KEYS), kept).expect("write keys");
        std::fs::remove_file(spare.join("a.html")).expect("rm");
        std::fs::hard_link(out.join("a.html"), spare.join("a.html")).expect("link");
        let site = Site::staged(&out, &cfg).expect("staged");
        site.add_keyed("a.html", Some(key(3)), b"six".to_vec());
        assert_eq!(read(&out.join("a.html")), "five", "live site untouched");
        site.commit().expect("commit");
        assert_eq!(read(&out.join("a.html")), "six");
    }

    #[cfg(unix)]
    #[test]
    fn removing_a_tree_never_follows_symlinks() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().join("site");
        std::fs::create_dir_all(dir.join("a/b")).expect("mkdir");
        std::fs::write(dir.join(MARKER), "planetoid").expect("write");
        std::fs::write(dir.join("a/b/c.html"), "c").expect("write");
        let elsewhere = tmp.path().join("elsewhere");
        std::fs::create_dir_all(&elsewhere).expect("mkdir");
        std::fs::write(elsewhere.join("keep.txt"), "k").expect("write");
        std::os::unix::fs::symlink(&elsewhere, dir.join("a/link")).expect("symlink");
        remove_tree(&dir).expect("removed");
        assert!(!dir.exists());
        assert!(
            elsewhere.join("keep.txt").is_file(),
            "symlinks are not followed"
        );
    }

    #[test]
    fn paths_cannot_escape_the_site() {
        assert!(safe_join(Path::new("/x"), "../etc/passwd").is_none());
        assert!(safe_join(Path::new("/x"), "/etc/passwd").is_none());
        assert_eq!(
            safe_join(Path::new("/x"), "a/b.html"),
            Some(PathBuf::from("/x/a/b.html"))
        );
    }
}
