//! How big the published site is: bytes and files in all and per part (each
//! top-level folder, and the files at the top together), counted from the
//! files the build published (written, or carried over as they were on
//! disk), for the build summary and the size budget
//! (`output.max_site_mb`). GitHub Pages and GitLab Pages refuse sites over
//! 1 GB, and the site is uploaded as an artifact on every run, so a planet
//! should hear about its size before a host refuses it. Megabytes here are
//! 10^6 bytes.

use std::collections::BTreeMap;

/// The published site's size.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SiteSize {
    pub bytes: u64,
    pub files: usize,
    /// Largest first (ties by name).
    pub parts: Vec<Part>,
}

/// One top-level folder of the site (`archive/`), or the top-level files.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Part {
    pub name: String,
    pub bytes: u64,
    pub files: usize,
    /// Its largest folder one level down (`archive/2025/`) and that
    /// folder's bytes.
    pub largest: Option<(String, u64)>,
}

/// The top-level files, as a part's name.
const TOP_FILES: &str = "top-level files";

/// The size of a site made of `files` (path relative to the site, with
/// `/` between folders, and bytes), each listed once.
pub fn of_files<'a>(files: impl IntoIterator<Item = (&'a str, u64)>) -> SiteSize {
    // Per top-level folder: bytes, files, and bytes per folder below it.
    let mut folders: BTreeMap<&str, (u64, usize, BTreeMap<&str, u64>)> = BTreeMap::new();
    let mut loose = Part {
        name: TOP_FILES.to_string(),
        ..Part::default()
    };
    for (path, bytes) in files {
        let Some((top, rest)) = path.split_once('/') else {
            loose.bytes += bytes;
            loose.files += 1;
            continue;
        };
        let folder = folders.entry(top).or_default();
        folder.0 += bytes;
        folder.1 += 1;
        if let Some((sub, _)) = rest.split_once('/') {
            *folder.2.entry(sub).or_default() += bytes;
        }
    }
    let mut size = SiteSize::default();
    for (name, (bytes, files, subs)) in folders {
        // The first of the largest, in name order.
        let largest =
            subs.into_iter()
                .fold(None, |best: Option<(&str, u64)>, (sub, b)| match best {
                    Some((_, most)) if most >= b => best,
                    _ => Some((sub, b)),
                });
        size.parts.push(Part {
            name: format!("{name}/"),
            bytes,
            files,
            largest: largest.map(|(sub, b)| (format!("{name}/{sub}/"), b)),
        });
    }
    if loose.files > 0 {
        size.parts.push(loose);
    }
    size.parts
        .sort_by(|a, b| b.bytes.cmp(&a.bytes).then_with(|| a.name.cmp(&b.name)));
    size.bytes = size.parts.iter().map(|p| p.bytes).sum();
    size.files = size.parts.iter().map(|p| p.files).sum();
    size
}

/// The site in `dir` as found on disk (every regular file under it): what
/// [`of_files`] must agree with for a published site.
#[cfg(test)]
pub(crate) fn measure(dir: &std::path::Path) -> SiteSize {
    let mut found: Vec<(String, u64)> = Vec::new();
    let mut stack = vec![(dir.to_path_buf(), String::new())];
    while let Some((d, prefix)) = stack.pop() {
        for item in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let Ok(meta) = item.metadata() else { continue };
            let rel = format!("{prefix}{}", item.file_name().to_string_lossy());
            if meta.is_dir() {
                stack.push((item.path(), format!("{rel}/")));
            } else if meta.is_file() {
                found.push((rel, meta.len()));
            }
        }
    }
    of_files(found.iter().map(|(p, b)| (p.as_str(), *b)))
}

/// `bytes` in megabytes, one decimal.
pub fn mb(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}

impl SiteSize {
    /// "site: 312.4 MB in 5044 files (archive/ 250.1 MB, page/ 30.2 MB, …)".
    pub fn line(&self) -> String {
        let parts: Vec<String> = self
            .parts
            .iter()
            .take(4)
            .map(|p| format!("{} {}", p.name, mb(p.bytes)))
            .collect();
        format!(
            "site: {} in {} files ({})",
            mb(self.bytes),
            self.files,
            parts.join(", ")
        )
    }

    /// A warning when the site is larger than `max_mb` megabytes, naming
    /// its largest parts and what makes a site smaller.
    pub fn over_budget(&self, max_mb: u64) -> Option<String> {
        if self.bytes <= max_mb.saturating_mul(1_000_000) {
            return None;
        }
        let parts: Vec<String> = self
            .parts
            .iter()
            .take(3)
            .map(|p| {
                let mut s = format!("{} {} in {} files", p.name, mb(p.bytes), p.files);
                if let Some((name, bytes)) = &p.largest {
                    s.push_str(&format!(", most in {name} {}", mb(*bytes)));
                }
                s
            })
            .collect();
        Some(format!(
            "the site is {} in {} files, over output.max_site_mb ({max_mb} MB); GitHub and GitLab Pages refuse sites over 1 GB. Largest parts: {}. To shrink it: listing_content: excerpt, lower max_pages, entries_per_page or feed_entries, or a shorter retention.max_age_days",
            mb(self.bytes),
            self.files,
            parts.join("; ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_summed_per_part_and_the_budget_names_the_largest() {
        let dir = tempfile::tempdir().expect("tempdir");
        let put = |rel: &str, len: usize| {
            let path = dir.path().join(rel);
            std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
            std::fs::write(path, vec![b'x'; len]).expect("write");
        };
        put("index.html", 100);
        put("archive/2025/01/index.html", 3_000_000);
        put("archive/2025/02/index.html", 1_000_000);
        put("archive/2024/12/index.html", 500_000);
        put("archive/index.html", 10);
        put("tags/rust/index.html", 700_000);
        let size = measure(dir.path());
        assert_eq!(size.bytes, 5_200_110);
        assert_eq!(size.files, 6);
        let names: Vec<&str> = size.parts.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["archive/", "tags/", TOP_FILES]);
        assert_eq!(
            size.parts[0].largest,
            Some(("archive/2025/".to_string(), 4_000_000))
        );
        assert!(
            size.line()
                .starts_with("site: 5.2 MB in 6 files (archive/ 4.5 MB")
        );
        assert_eq!(size.over_budget(6), None);
        let warning = size.over_budget(5).expect("over 5 MB");
        assert!(
            warning.contains("archive/ 4.5 MB in 4 files, most in archive/2025/ 4.0 MB"),
            "{warning}"
        );
        assert!(
            warning.contains("over output.max_site_mb (5 MB)"),
            "{warning}"
        );
    }
}
