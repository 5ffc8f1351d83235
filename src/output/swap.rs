//! Where the site's directories are and how they trade places. Beside
//! `output_dir` (`NAME`) live the spare copy `.NAME.spare` (the site before
//! the live one) and, during a build that has no spare to update, the
//! staging directory `.NAME.new-PID`. Before a build, [`prepare`] refuses a
//! directory that is not planetoid's ([`check_ours`]) or that holds
//! planet.yaml, and repairs what killed builds left ([`recover`]); after
//! it, [`swap_in`] puts the staged site in place and keeps the one it
//! replaces as the spare. Removing a tree ([`remove_tree`]) never follows
//! a symbolic link and takes the marker last.

use std::path::{Path, PathBuf};

use super::{MARKER, OutputError, io};

/// Checks `dir` may be replaced, repairs leftovers of killed builds, and
/// names the fresh staging directory beside it.
pub(super) fn prepare(dir: &Path, config_dir: &Path) -> Result<(PathBuf, PathBuf), OutputError> {
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

/// The spare copy of the site in `dir`.
pub(super) fn spare_of(dir: &Path) -> PathBuf {
    parent_of(dir).join(format!(".{}.spare", name_of(dir)))
}

/// Puts the complete site at `fresh` in place of `dir`; the site it
/// replaces becomes the spare.
pub(super) fn swap_in(fresh: &Path, dir: &Path) -> Result<(), OutputError> {
    let spare = spare_of(dir);
    if !dir.exists() {
        return std::fs::rename(fresh, dir).map_err(io(dir));
    }
    if exchange(fresh, dir) {
        // `fresh` now holds the previous site.
        return if fresh == spare {
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
    std::fs::rename(&old, &spare).map_err(io(&spare))
}

/// `remove_dir_all` on every core: a big site is thousands of files, and
/// unlinking them one by one is slow. Symbolic links are removed, never
/// followed. The marker goes last, so a removal cut short (kill -9) leaves
/// a directory still known as ours.
pub(super) fn remove_tree(dir: &Path) -> std::io::Result<()> {
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

/// An existing, non-empty directory must carry our marker.
pub(super) fn check_ours(dir: &Path) -> Result<(), OutputError> {
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

fn parent_of(dir: &Path) -> PathBuf {
    dir.parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

fn name_of(dir: &Path) -> String {
    dir.file_name()
        .map_or_else(|| "output".into(), |n| n.to_string_lossy().into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn only_empty_or_marked_directories_are_ours() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().join("site");
        assert!(check_ours(&dir).is_ok(), "missing");
        std::fs::create_dir(&dir).expect("mkdir");
        assert!(check_ours(&dir).is_ok(), "empty");
        std::fs::write(dir.join("notes.txt"), "mine").expect("write");
        assert!(matches!(check_ours(&dir), Err(OutputError::NotOurs { .. })));
        std::fs::write(dir.join(MARKER), "planetoid").expect("write");
        assert!(check_ours(&dir).is_ok(), "marked");
    }
}
