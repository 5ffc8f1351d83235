//! Putting the rendered site on disk without ever leaving a half-written one.
//!
//! The whole site is rendered in memory ([`Site`]), written to a fresh
//! temporary directory beside `output_dir`, and only then swapped in: on
//! Linux with one atomic `renameat2(RENAME_EXCHANGE)`, elsewhere with two
//! renames whose interrupted state the next build repairs. A crash, a
//! `kill -9` or a full disk mid-write leaves the previous site whole.
//! A directory planetoid did not create (no `.planetoid-site` marker) is
//! never replaced, so a typo in `output_dir` cannot wipe someone's files.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

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

/// A fresh directory beside the output directory, swapped in by `commit`
/// and removed if the build stops before that.
#[derive(Debug)]
struct Staging {
    dir: PathBuf,
    fresh: PathBuf,
    written: AtomicUsize,
    /// Files hard-linked from the live site (unchanged pages).
    reused: AtomicUsize,
    /// The first write that failed; reported at commit.
    error: Mutex<Option<OutputError>>,
    committed: bool,
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_dir_all(&self.fresh);
        }
    }
}

impl Site {
    /// A site whose files go straight to disk, to be swapped into `dir` by
    /// [`Site::commit`]. Refuses, before anything is rendered, a `dir` that
    /// planetoid did not create or that holds planet.yaml.
    pub fn staged(dir: &Path, config_dir: &Path) -> Result<Site, OutputError> {
        let (dir, fresh) = prepare(dir, config_dir)?;
        std::fs::create_dir_all(&fresh).map_err(io(&fresh))?;
        // From here on, dropping `staging` (an error, a failed render)
        // removes the half-written directory.
        let staging = Staging {
            dir,
            fresh,
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

    pub fn add(&self, path: &str, bytes: Vec<u8>) {
        match &self.staging {
            None => {
                if let Ok(mut files) = self.files.lock() {
                    files.insert(path.to_string(), bytes);
                }
            }
            Some(st) => match write_file(&st.fresh, path, &bytes) {
                Ok(()) => {
                    st.written.fetch_add(1, Ordering::Relaxed);
                }
                Err(e) => {
                    if let Ok(mut slot) = st.error.lock() {
                        slot.get_or_insert(e);
                    }
                }
            },
        }
    }

    /// A file of the site this one will replace (`None` for an in-memory
    /// site, a first build, or a file that is not there).
    pub fn previous(&self, path: &str) -> Option<Vec<u8>> {
        let st = self.staging.as_ref()?;
        std::fs::read(safe_join(&st.dir, path)?).ok()
    }

    /// Carries `path` over unchanged from the site this one will replace:
    /// a hard link (a copy where links fail). False when there is nothing
    /// to carry (then the caller renders it).
    pub fn reuse(&self, path: &str) -> bool {
        let Some(st) = &self.staging else {
            return false;
        };
        let (Some(from), Some(to)) = (safe_join(&st.dir, path), safe_join(&st.fresh, path)) else {
            return false;
        };
        // Only a regular file planetoid wrote, never a link planted there.
        if !std::fs::symlink_metadata(&from).is_ok_and(|m| m.is_file()) {
            return false;
        }
        if let Some(parent) = to.parent()
            && std::fs::create_dir_all(parent).is_err()
        {
            return false;
        }
        let carried = std::fs::hard_link(&from, &to).is_ok() || std::fs::copy(&from, &to).is_ok();
        if carried {
            st.reused.fetch_add(1, Ordering::Relaxed);
        }
        carried
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

    /// Swaps a staged site into place (see [`Site::staged`]).
    pub fn commit(mut self) -> Result<usize, OutputError> {
        let Some(mut st) = self.staging.take() else {
            return Ok(0);
        };
        if let Some(e) = st.error.lock().ok().and_then(|mut slot| slot.take()) {
            return Err(e);
        }
        swap_in(&st.fresh, &st.dir)?;
        st.committed = true;
        Ok(st.written.load(Ordering::Relaxed))
    }

    /// A file of an in-memory site.
    pub fn get(&self, path: &str) -> Option<Vec<u8>> {
        self.files.lock().ok()?.get(path).cloned()
    }
}

/// Why the site could not be published. Fatal; the old site stays.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error("refusing to replace {}: it is not empty and was not written by planetoid (no {MARKER} file); remove it or choose another output_dir", path.display())]
    NotOurs { path: PathBuf },
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
    swap_in(&fresh, &dir)
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
    let parent = dir
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    std::fs::create_dir_all(&parent).map_err(io(&parent))?;
    let name = dir
        .file_name()
        .map_or_else(|| "output".into(), |n| n.to_string_lossy().into_owned());
    recover(&parent, &name, &dir)?;
    let fresh = parent.join(format!(".{name}.new-{}", std::process::id()));
    Ok((dir, fresh))
}

/// Puts the complete site at `fresh` in place of `dir`.
fn swap_in(fresh: &Path, dir: &Path) -> Result<(), OutputError> {
    if !dir.exists() {
        return std::fs::rename(fresh, dir).map_err(io(dir));
    }
    if exchange(fresh, dir) {
        // `fresh` now holds the previous site.
        return remove_tree(fresh).map_err(io(fresh));
    }
    let name = dir
        .file_name()
        .map_or_else(|| "output".into(), |n| n.to_string_lossy().into_owned());
    let old = dir.with_file_name(format!(".{name}.old-{}", std::process::id()));
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
    remove_tree(&old).map_err(io(&old))
}

/// `remove_dir_all` on every core: a big site is thousands of files, and
/// unlinking them one by one was a third of a build that changed nothing.
/// Symbolic links are removed, never followed.
fn remove_tree(dir: &Path) -> std::io::Result<()> {
    use rayon::prelude::*;
    let entries: Vec<std::fs::DirEntry> = std::fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    entries.par_iter().try_for_each(|entry| {
        if entry.file_type()?.is_dir() {
            remove_tree(&entry.path())
        } else {
            std::fs::remove_file(entry.path())
        }
    })?;
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
        write_file(root, rel, bytes)?;
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

fn write_file(root: &Path, rel: &str, bytes: &[u8]) -> Result<(), OutputError> {
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
    fn paths_cannot_escape_the_site() {
        assert!(safe_join(Path::new("/x"), "../etc/passwd").is_none());
        assert!(safe_join(Path::new("/x"), "/etc/passwd").is_none());
        assert_eq!(
            safe_join(Path::new("/x"), "a/b.html"),
            Some(PathBuf::from("/x/a/b.html"))
        );
    }
}
