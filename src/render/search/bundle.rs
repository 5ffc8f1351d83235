//! The one user of the `pagefind` crate: the records of one language → the
//! files of that language's Pagefind bundle (index chunks, fragments,
//! filters, metadata, the search script, its worker and the WebAssembly
//! that stems queries the way the records were stemmed). Pagefind's own
//! UI files are left out: the theme's search script draws the results.
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
#[error("building the search index for language `{lang}` failed: {source}")]
pub struct BundleError {
    pub lang: String,
    #[source]
    pub source: Failure,
}

/// The bundle's files (path inside the bundle, bytes), in a fixed order.
pub fn build(lang: &str, records: Vec<Record>) -> Result<Vec<(String, Vec<u8>)>, BundleError> {
    let fail = |source: Failure| BundleError {
        lang: lang.to_string(),
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
        .filter(|(name, _)| wanted(name, &wasm))
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

type Failure = Box<dyn std::error::Error + Send + Sync>;

async fn index(
    lang: String,
    records: Vec<Record>,
) -> Result<Vec<pagefind::api::SyntheticFile>, Failure> {
    let options = PagefindServiceConfig::builder()
        .keep_index_url(true)
        .force_language(lang.clone())
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
/// the WebAssembly of languages it does not hold.
fn wanted(name: &str, wasm: &[String]) -> bool {
    matches!(
        name,
        "pagefind.js" | "pagefind-worker.js" | "pagefind-entry.json"
    ) || (name.starts_with("wasm.") && (wasm.is_empty() || wasm.iter().any(|w| w == name)))
        || name.ends_with(".pf_meta")
        || ["index/", "fragment/", "filter/"]
            .iter()
            .any(|dir| name.starts_with(dir))
}
