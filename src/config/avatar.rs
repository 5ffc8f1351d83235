//! Feed avatars (`avatar:` of a feed, `avatar_dir:` of the planet).
//!
//! An avatar is either an http(s) image URL, shown as it is, or an image
//! file kept in the planet's repository, named by a path relative to
//! planet.yaml (`avatar: hackergotchi/yast.png`). A local file is read while
//! validating — so a missing one is a problem with its line and column like
//! any other — and published in the site as `avatars/<name>-<hash>.<ext>`,
//! the hash of its bytes in the name so a changed picture is never served
//! stale from a cache. [`unused`] finds the images in `avatar_dir` that no
//! feed uses, for `check` to warn about.

use std::path::{Path, PathBuf};

use super::diagnostics::Problems;
use super::fields::text;
use super::model::{Avatar, Config};
use super::yaml::Node;
use crate::entry::WebUrl;

/// Where the site publishes local avatars, relative to its root.
pub const SITE_DIR: &str = "avatars/";

/// File extensions taken for images (in `avatar_dir` and for local avatars).
const IMAGE_EXTENSIONS: &[&str] = &["png", "jpg", "jpeg", "gif", "webp", "svg", "avif"];

/// `avatar:` of a feed: a URL, or a path relative to planet.yaml's folder.
pub(super) fn avatar(node: &Node, dir: &Path, problems: &mut Problems) -> Option<Avatar> {
    let raw = text(node, problems)?;
    let raw = raw.trim();
    if let Some((scheme, _)) = raw.split_once(':')
        && scheme.len() > 1
        && scheme.chars().all(|c| c.is_ascii_alphanumeric())
    {
        return match WebUrl::parse(raw, None) {
            Some(url) => Some(Avatar::Url(url)),
            None => {
                problems.at(
                    node,
                    format!(
                        "`avatar` must be an http(s) image URL or a path relative to planet.yaml, found `{raw}`"
                    ),
                );
                None
            }
        };
    }
    let path = dir.join(raw);
    let extension = image_extension(&path);
    let bytes = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(e) => {
            problems.at(
                node,
                format!(
                    "avatar file `{raw}` cannot be read ({}): {e}",
                    path.display()
                ),
            );
            return None;
        }
    };
    let Some(extension) = extension else {
        problems.at(
            node,
            format!(
                "avatar file `{raw}` is not an image by its name (expected one of: {})",
                IMAGE_EXTENSIONS.join(", ")
            ),
        );
        return None;
    };
    let stem: String = path
        .file_stem()
        .map(|s| s.to_string_lossy())
        .unwrap_or_default()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let hash = blake3::hash(&bytes).to_hex();
    let published = format!(
        "{SITE_DIR}{stem}-{}.{extension}",
        hash.get(..16).unwrap_or_default()
    );
    Some(Avatar::File { path, published })
}

/// `avatar_dir:` of the planet: a folder relative to planet.yaml.
pub(super) fn avatar_dir(node: &Node, dir: &Path, problems: &mut Problems) -> Option<PathBuf> {
    let raw = text(node, problems)?;
    let path = dir.join(raw.trim());
    if path.is_dir() {
        Some(path)
    } else {
        problems.at(
            node,
            format!("`avatar_dir` `{raw}` is not a folder ({})", path.display()),
        );
        None
    }
}

/// The images in the planet's `avatar_dir` that no feed's `avatar` names,
/// sorted.
pub fn unused(config: &Config) -> std::io::Result<Vec<PathBuf>> {
    let Some(dir) = &config.avatar_dir else {
        return Ok(Vec::new());
    };
    let used: Vec<PathBuf> = config
        .feeds
        .iter()
        .filter_map(|f| match &f.avatar {
            Some(Avatar::File { path, .. }) => Some(normalize(path)),
            _ => None,
        })
        .collect();
    let mut found = Vec::new();
    let mut stack = vec![dir.clone()];
    while let Some(folder) = stack.pop() {
        for entry in std::fs::read_dir(&folder)? {
            let path = entry?.path();
            if path.is_dir() {
                stack.push(path);
            } else if image_extension(&path).is_some() && !used.contains(&normalize(&path)) {
                found.push(path);
            }
        }
    }
    found.sort();
    Ok(found)
}

/// `a/./b/../c` → `a/c`, without touching the disk (so a symlinked
/// folder still compares by the names written).
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

fn image_extension(path: &Path) -> Option<String> {
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    IMAGE_EXTENSIONS.contains(&ext.as_str()).then_some(ext)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_avatars_are_published_by_content_and_unused_ones_found() {
        let dir = tempfile::tempdir().expect("tmp");
        std::fs::create_dir_all(dir.path().join("faces")).expect("mkdir");
        std::fs::write(dir.path().join("faces/Yast Logo.PNG"), b"png-1").expect("write");
        std::fs::write(dir.path().join("faces/old.jpg"), b"jpg").expect("write");
        std::fs::write(dir.path().join("faces/notes.txt"), b"not an image").expect("write");
        let yaml = "title: P\nbase_url: https://p.example/\navatar_dir: faces\nfeeds:\n  - url: a.xml\n    avatar: ./faces/Yast Logo.PNG\n  - url: b.xml\n    avatar: https://b.example/me.png\n";
        let config = super::super::parse(yaml, &dir.path().join("planet.yaml")).expect("valid");
        let Some(Avatar::File { published, .. }) = &config.feeds[0].avatar else {
            panic!("a file: {:?}", config.feeds[0].avatar)
        };
        let hash = blake3::hash(b"png-1").to_hex();
        assert_eq!(published, &format!("avatars/yast-logo-{}.png", &hash[..16]));
        assert_eq!(
            config.feeds[1].avatar.as_ref().map(Avatar::src),
            Some("https://b.example/me.png")
        );
        assert_eq!(
            unused(&config).expect("listed"),
            [dir.path().join("faces/old.jpg")]
        );

        let missing = "title: P\nbase_url: https://p.example/\nfeeds:\n  - url: a.xml\n    avatar: faces/gone.png\n  - url: b.xml\n    avatar: javascript:alert(1)\n";
        let err = super::super::parse(missing, &dir.path().join("planet.yaml"))
            .expect_err("missing file");
        let text = err.to_string();
        assert!(
            text.contains("planet.yaml:5:13: avatar file `faces/gone.png` cannot be read"),
            "{text}"
        );
        assert!(
            text.contains("planet.yaml:7:13: `avatar` must be an http(s)"),
            "{text}"
        );
    }
}
