//! Embeds the default theme: every file under `themes/default/` (names
//! starting with `.` or ending with `~` left out) becomes one
//! `(relative path, include_str!(…))` entry of the table that
//! `render::theme` includes, sorted by path, so the binary carries exactly
//! the files of that folder.

use std::path::{Path, PathBuf};

fn main() {
    println!("cargo:rerun-if-changed=themes/default");
    let root = Path::new(&std::env::var("CARGO_MANIFEST_DIR").expect("set by cargo"))
        .join("themes/default");
    let mut files = Vec::new();
    walk(&root, &root, &mut files);
    files.sort();
    let mut table = String::from("&[\n");
    for (rel, path) in &files {
        let path = path.to_str().expect("the theme's paths are UTF-8");
        table.push_str(&format!("    ({rel:?}, include_str!({path:?})),\n"));
    }
    table.push_str("]\n");
    let out = Path::new(&std::env::var("OUT_DIR").expect("set by cargo")).join("default_theme.rs");
    std::fs::write(&out, table).expect("write the theme table");
}

/// Every file below `dir`, as (path relative to `root` with `/`, path).
fn walk(root: &Path, dir: &Path, files: &mut Vec<(String, PathBuf)>) {
    let entries = std::fs::read_dir(dir).expect("read the theme folder");
    for entry in entries {
        let path = entry.expect("read the theme folder").path();
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
        if name.is_none_or(|n| n.starts_with('.') || n.ends_with('~')) {
            continue;
        }
        if path.is_dir() {
            walk(root, &path, files);
        } else {
            let rel = path.strip_prefix(root).expect("below the root");
            let rel: Vec<String> = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            files.push((rel.join("/"), path));
        }
    }
}
