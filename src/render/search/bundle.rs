//! The one user of the `pagefind` crate: the records of one bundle (one
//! language, one stretch of the archive) → its files: index chunks,
//! fragments (several to a file, so a big planet is not a file per post),
//! filters, metadata and, for a language's root bundle only, the search
//! script, its worker and the WebAssembly that stems queries the way the
//! records were stemmed (the other bundles are merged into the root's in
//! the browser and use its). Pagefind's own UI files are left out: the
//! theme's search script draws the results.
//! Pagefind's API is async; it runs on a small runtime of its own, on its
//! own thread, so it works whether or not the caller is inside one.

use std::collections::BTreeMap;

use pagefind::api::PagefindIndex;
use pagefind::options::PagefindServiceConfig;

/// One searchable entry.
#[derive(Debug, Clone)]
pub struct Record {
    /// Where the result links to, relative to the site's root.
    pub url: String,
    /// Plain text (not HTML): the title, then the body's words.
    pub text: String,
    /// Shown with the result (`title`, `source`, `date`, …).
    pub meta: BTreeMap<String, String>,
    /// What the reader can narrow by (`source`, `tag`).
    pub filters: BTreeMap<String, Vec<String>>,
    /// What results can be ordered by (`date`).
    pub sort: BTreeMap<String, String>,
}

/// Pagefind could not build a bundle.
#[derive(Debug, thiserror::Error)]
#[error("building the search index `{bundle}` failed: {source}")]
pub struct BundleError {
    /// The bundle's folder under `pagefind/`.
    pub bundle: String,
    #[source]
    pub source: Failure,
}

/// Records whose fragments (what a result shows) share one file: fewer
/// files on the host, at the price of a few neighbours' fragments fetched
/// with each result shown.
pub const FRAGMENTS_PER_FILE: usize = 4;

/// The bundle's files (path inside the bundle, bytes), in a fixed order;
/// `root`: with the script and WebAssembly that load it and the bundles
/// merged into it. `name` names the bundle in errors.
pub fn build(
    name: &str,
    lang: &str,
    root: bool,
    records: Vec<Record>,
) -> Result<Vec<(String, Vec<u8>)>, BundleError> {
    let fail = |source: Failure| BundleError {
        bundle: name.to_string(),
        source,
    };
    let lang_owned = lang.to_string();
    let files = std::thread::scope(|scope| {
        scope
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .build()
                    .map_err(|e| Box::new(e) as Failure)?;
                runtime.block_on(index(lang_owned, records))
            })
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
    .map_err(fail)?;
    let files: Vec<(String, Vec<u8>)> = files
        .into_iter()
        .map(|f| (f.filename.to_string_lossy().replace('\\', "/"), f.contents))
        .collect();
    let wasm = wasm_used(&files);
    let mut out: Vec<(String, Vec<u8>)> = files
        .into_iter()
        .filter(|(name, _)| wanted(name, root, &wasm))
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

type Failure = Box<dyn std::error::Error + Send + Sync>;

async fn index(
    lang: String,
    records: Vec<Record>,
) -> Result<Vec<pagefind::api::SyntheticFile>, Failure> {
    let groups = records.len().div_ceil(FRAGMENTS_PER_FILE).max(1);
    let options = PagefindServiceConfig::builder()
        .keep_index_url(true)
        .force_language(lang.clone())
        .max_fragments(u32::try_from(groups).unwrap_or(u32::MAX))
        .build();
    let mut index = PagefindIndex::new(Some(options))?;
    for r in records {
        index
            .add_custom_record(
                r.url,
                r.text,
                lang.clone(),
                Some(r.meta),
                Some(r.filters),
                Some(r.sort),
            )
            .await?;
    }
    Ok(index.get_files().await?)
}

/// The WebAssembly files the bundle's entry file names (one per language
/// in it: its stemmer, or the `unknown` one for a language without).
fn wasm_used(files: &[(String, Vec<u8>)]) -> Vec<String> {
    #[derive(serde::Deserialize)]
    struct Entry {
        languages: BTreeMap<String, Language>,
    }
    #[derive(serde::Deserialize)]
    struct Language {
        wasm: Option<String>,
    }
    files
        .iter()
        .find(|(name, _)| name == "pagefind-entry.json")
        .and_then(|(_, bytes)| serde_json::from_slice::<Entry>(bytes).ok())
        .map(|entry| {
            entry
                .languages
                .into_values()
                .map(|l| format!("wasm.{}.pagefind", l.wasm.as_deref().unwrap_or("unknown")))
                .collect()
        })
        .unwrap_or_default()
}

/// What the site needs of a bundle: not Pagefind's ready-made UIs, nor
/// the WebAssembly of languages it does not hold; the script and
/// WebAssembly only in a root bundle.
fn wanted(name: &str, root: bool, wasm: &[String]) -> bool {
    let runtime = matches!(name, "pagefind.js" | "pagefind-worker.js")
        || (name.starts_with("wasm.") && (wasm.is_empty() || wasm.iter().any(|w| w == name)));
    (root && runtime)
        || name == "pagefind-entry.json"
        || name.ends_with(".pf_meta")
        || ["index/", "fragment/", "filter/"]
            .iter()
            .any(|dir| name.starts_with(dir))
}
