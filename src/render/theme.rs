//! Loading a theme: the default theme is embedded in the binary; a planet's
//! `theme_dir` may override any of its files (same relative path), the rest
//! falls back. Templates are compiled and the UI language's translation table
//! is checked here, before any network traffic, so a broken theme fails the
//! build in the first second instead of after a minute of fetching.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tera::{Kwargs, State, Tera, TeraResult};

use super::BoxError;
use super::i18n::{Translation, TranslationError};
use crate::config::StringOverride;
use crate::keys;

/// The default theme's files (path inside the theme, text), sorted by
/// path: every file of `themes/default/`, embedded at compile time by the
/// build script.
pub const DEFAULT_THEME: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/default_theme.rs"));

/// Why the theme cannot be used. Fatal, and reported before any fetching.
#[derive(Debug, thiserror::Error)]
pub enum ThemeError {
    #[error("cannot read theme file {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("theme template error:\n{source}")]
    Template { source: BoxError },
    #[error("theme template error:\nthe theme has no templates/index.html")]
    NoIndex,
    #[error(
        "the theme has no translation for lang `{lang}` (available: {available}); add i18n/{lang}.yaml to theme_dir or pick one of those"
    )]
    NoTranslation { lang: String, available: String },
    #[error("theme translation {file} {source}")]
    Translation {
        file: String,
        source: TranslationError,
    },
    #[error("theme translation i18n/en.yaml is missing: it is the reference table")]
    NoReference,
    #[error("planet.yaml {0}")]
    Strings(#[source] TranslationError),
}

/// A compiled theme, ready to render pages in one language.
pub struct Theme {
    pub(super) tera: Tera,
    pub(super) translation: Arc<Translation>,
    /// Files copied as they are (`static/…`).
    pub(super) statics: BTreeMap<String, Vec<u8>>,
    /// Stands for everything above (every file, the language, the string
    /// overrides) in render keys: a theme edit re-renders every page.
    pub(super) fingerprint: blake3::Hash,
}

impl Theme {
    /// Loads the default theme, overlaid with `theme_dir` when given, for
    /// `lang`, with the planet's `strings:` overrides applied.
    pub fn load(
        theme_dir: Option<&Path>,
        lang: &str,
        overrides: &BTreeMap<String, StringOverride>,
    ) -> Result<Theme, ThemeError> {
        let files = collect_files(theme_dir)?;
        let fingerprint = keys::theme_fingerprint(
            files.iter().map(|(p, b)| (p.as_str(), b.as_slice())),
            lang,
            overrides,
        );
        let mut translation = translation_for(&files, lang)?;
        translation.apply(overrides).map_err(ThemeError::Strings)?;
        let translation = Arc::new(translation);

        let mut tera = Tera::new();
        tera.autoescape_on(vec![".html", ".xml"]);
        let t = translation.clone();
        let code = lang.to_string();
        tera.register_function(
            "tr",
            move |kwargs: Kwargs, _: &State| -> TeraResult<String> {
                let key: String = kwargs.must_get("key")?;
                let mut text = match kwargs.get::<i64>("n")? {
                    Some(n) if t.plurals.contains_key(&key) => t.plural(&code, &key, n),
                    Some(n) => t.text(&key).replace("{n}", &n.to_string()),
                    None => t.text(&key),
                };
                // Any other keyword fills its `{name}` placeholder.
                for (name, value) in kwargs.iter() {
                    let Some(name) = name.as_str() else { continue };
                    if name == "key" || name == "n" {
                        continue;
                    }
                    let value = match value.as_str() {
                        Some(s) => s.to_string(),
                        None => value.to_string(),
                    };
                    text = text.replace(&format!("{{{name}}}"), &value);
                }
                Ok(text)
            },
        );
        let templates: Vec<(String, String)> = files
            .iter()
            .filter_map(|(path, bytes)| {
                let name = path.strip_prefix("templates/")?;
                Some((
                    name.to_string(),
                    String::from_utf8_lossy(bytes).into_owned(),
                ))
            })
            .collect();
        tera.add_raw_templates(templates)
            .map_err(|e| ThemeError::Template { source: e.into() })?;
        if !tera.contains_template("index.html") {
            return Err(ThemeError::NoIndex);
        }
        let statics = files
            .into_iter()
            .filter(|(path, _)| path.starts_with("static/"))
            .collect();
        Ok(Theme {
            tera,
            translation,
            statics,
            fingerprint,
        })
    }
}

/// The default theme's files overlaid with those found under `theme_dir`.
fn collect_files(theme_dir: Option<&Path>) -> Result<BTreeMap<String, Vec<u8>>, ThemeError> {
    let mut files: BTreeMap<String, Vec<u8>> = DEFAULT_THEME
        .iter()
        .map(|(path, text)| (path.to_string(), text.as_bytes().to_vec()))
        .collect();
    if let Some(dir) = theme_dir {
        for sub in ["templates", "static", "i18n"] {
            overlay(&dir.join(sub), sub, &mut files)?;
        }
    }
    Ok(files)
}

fn overlay(
    dir: &Path,
    prefix: &str,
    files: &mut BTreeMap<String, Vec<u8>>,
) -> Result<(), ThemeError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(source) => {
            return Err(ThemeError::Read {
                path: dir.to_path_buf(),
                source,
            });
        }
    };
    let read_err = |path: &Path, source| ThemeError::Read {
        path: path.to_path_buf(),
        source,
    };
    let mut list: Vec<_> = entries
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| read_err(dir, e))?;
    list.sort_by_key(|e| e.file_name());
    for entry in list {
        let path = entry.path();
        let name = format!("{prefix}/{}", entry.file_name().to_string_lossy());
        if path.is_dir() {
            overlay(&path, &name, files)?;
        } else {
            let bytes = std::fs::read(&path).map_err(|e| read_err(&path, e))?;
            files.insert(name, bytes);
        }
    }
    Ok(())
}

fn translation_for(
    files: &BTreeMap<String, Vec<u8>>,
    lang: &str,
) -> Result<Translation, ThemeError> {
    let parse =
        |name: &str, reference: Option<&Translation>| -> Option<Result<Translation, ThemeError>> {
            let bytes = files.get(&format!("i18n/{name}.yaml"))?;
            Some(
                Translation::parse(&String::from_utf8_lossy(bytes), reference).map_err(|e| {
                    ThemeError::Translation {
                        file: format!("i18n/{name}.yaml"),
                        source: e,
                    }
                }),
            )
        };
    let english = parse("en", None).ok_or(ThemeError::NoReference)??;
    // `pt-BR` falls back to `pt` when there is no table for the full tag.
    let base = lang.split('-').next().unwrap_or(lang);
    for candidate in [lang, base] {
        if candidate == "en" {
            return Ok(english);
        }
        if let Some(found) = parse(candidate, Some(&english)) {
            return found;
        }
    }
    let available = files
        .keys()
        .filter_map(|k| k.strip_prefix("i18n/")?.strip_suffix(".yaml"))
        .collect::<Vec<_>>()
        .join(", ");
    Err(ThemeError::NoTranslation {
        lang: lang.to_string(),
        available,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_theme_is_every_file_of_the_theme_folder() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("themes/default");
        let mut on_disk = Vec::new();
        for sub in ["", "templates", "static", "i18n"] {
            for entry in std::fs::read_dir(root.join(sub)).expect("ls") {
                let path = entry.expect("entry").path();
                if path.is_file() {
                    let name = path.file_name().expect("name").to_string_lossy();
                    let rel = if sub.is_empty() {
                        name.into_owned()
                    } else {
                        format!("{sub}/{name}")
                    };
                    on_disk.push((rel, std::fs::read_to_string(&path).expect("read")));
                }
            }
        }
        on_disk.sort();
        let embedded: Vec<(String, String)> = DEFAULT_THEME
            .iter()
            .map(|(p, t)| (p.to_string(), t.to_string()))
            .collect();
        assert_eq!(embedded, on_disk);
        assert!(
            DEFAULT_THEME
                .iter()
                .any(|(p, _)| *p == "templates/index.html")
        );
    }

    #[test]
    fn default_theme_loads_in_every_shipped_language() {
        for lang in ["en", "ru", "ru-RU", "uk", "de", "fr", "es", "de-AT"] {
            let theme =
                Theme::load(None, lang, &BTreeMap::new()).unwrap_or_else(|e| panic!("{lang}: {e}"));
            assert!(theme.statics.contains_key("static/style.css"));
        }
    }

    #[test]
    fn unknown_language_and_broken_override_fail_fast() {
        let err = Theme::load(None, "xx", &BTreeMap::new())
            .err()
            .expect("no xx table");
        assert!(
            err.to_string()
                .contains("available: de, en, es, fr, ru, uk"),
            "{err}"
        );

        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(dir.path().join("templates")).expect("mkdir");
        std::fs::write(dir.path().join("templates/index.html"), "{% if %}").expect("write");
        let err = Theme::load(Some(dir.path()), "en", &BTreeMap::new())
            .err()
            .expect("bad template");
        assert!(err.to_string().contains("index.html"), "{err}");
        assert!(
            std::error::Error::source(&err).is_some_and(|e| e.to_string().contains("index.html")),
            "Tera's error is the source"
        );
    }

    #[test]
    fn tr_fills_plurals_numbers_and_named_placeholders() {
        let theme = Theme::load(None, "ru", &BTreeMap::new()).expect("loads");
        let out = theme
            .tera
            .render_str(
                r#"{{ tr(key="entries", n=22) }}|{{ tr(key="page_n", n=3) }}|{{ tr(key="tag_title", tag="<b>") }}|{{ tr(key="no_such_key") }}"#,
                &tera::Context::new(),
                true,
            )
            .expect("renders");
        assert_eq!(out, "22 записи|Страница 3|Метка: &lt;b&gt;|no_such_key");
    }

    #[test]
    fn strings_override_is_applied_or_rejected_at_load() {
        let mut overrides = BTreeMap::new();
        overrides.insert("next".to_string(), StringOverride::Text("дальше →".into()));
        let theme = Theme::load(None, "ru", &overrides).expect("loads");
        assert_eq!(theme.translation.text("next"), "дальше →");
        overrides.insert("nxet".to_string(), StringOverride::Text("x".into()));
        let err = Theme::load(None, "ru", &overrides).err().expect("typo");
        assert!(
            err.to_string().contains("planet.yaml strings.nxet"),
            "{err}"
        );
    }

    #[test]
    fn override_replaces_one_file_and_keeps_the_rest() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(dir.path().join("static")).expect("mkdir");
        std::fs::write(dir.path().join("static/style.css"), "body{}").expect("write");
        std::fs::write(dir.path().join("static/extra.css"), "p{}").expect("write");
        let theme = Theme::load(Some(dir.path()), "en", &BTreeMap::new()).expect("loads");
        assert_eq!(theme.statics["static/style.css"], b"body{}");
        assert!(theme.statics.contains_key("static/extra.css"));
        assert!(theme.tera.contains_template("base.html"));
    }
}
