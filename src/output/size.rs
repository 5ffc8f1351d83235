//! How big the published site is: bytes and files in all and per part (each
//! top-level folder, and the files at the top together), measured on disk
//! after the swap, for the build summary and the size budget
//! (`output.max_site_mb`). GitHub Pages and GitLab Pages refuse sites over
//! 1 GB, and the site is uploaded as an artifact on every run, so a planet
//! should hear about its size before a host refuses it. Megabytes here are
//! 10^6 bytes.

use std::path::Path;

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

/// Measures the site in `dir` (unreadable entries count as nothing).
pub fn measure(dir: &Path) -> SiteSize {
    let mut size = SiteSize::default();
    let Ok(top) = std::fs::read_dir(dir) else {
        return size;
    };
    let mut loose = Part {
        name: TOP_FILES.to_string(),
        ..Part::default()
    };
    for item in top.flatten() {
        let Ok(meta) = item.metadata() else { continue };
        let name = item.file_name().to_string_lossy().into_owned();
        if meta.is_file() {
            loose.bytes += meta.len();
            loose.files += 1;
        } else if meta.is_dir() {
            let mut part = Part {
                name: format!("{name}/"),
                ..Part::default()
            };
            for child in std::fs::read_dir(item.path())
                .into_iter()
                .flatten()
                .flatten()
            {
                let Ok(meta) = child.metadata() else { continue };
                let (bytes, files) = if meta.is_dir() {
                    tree(&child.path())
                } else {
                    (meta.len(), 1)
                };
                part.bytes += bytes;
                part.files += files;
                if meta.is_dir() && part.largest.as_ref().is_none_or(|(_, b)| bytes > *b) {
                    let child_name = child.file_name().to_string_lossy().into_owned();
                    part.largest = Some((format!("{name}/{child_name}/"), bytes));
                }
            }
            size.parts.push(part);
        }
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

/// Bytes and files under `dir`.
fn tree(dir: &Path) -> (u64, usize) {
    let mut total = (0, 0);
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for item in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let Ok(meta) = item.metadata() else { continue };
            if meta.is_dir() {
                stack.push(item.path());
            } else if meta.is_file() {
                total.0 += meta.len();
                total.1 += 1;
            }
        }
    }
    total
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
