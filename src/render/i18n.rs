//! UI translations: one YAML table per language in the theme's `i18n/`
//! folder (`en.yaml`, `ru.yaml`, …) holding plain strings, plural forms and
//! month names, plus the CLDR plural rules and the date formats the site uses.
//!
//! Russian needs three plural forms ("1 запись, 2 записи, 5 записей") and two
//! month forms: genitive in dates ("5 января 2025"), nominative in headings
//! ("январь 2025"); the table carries both.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Utc};
use serde::Deserialize;

/// One language's table, as written in `i18n/<lang>.yaml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Translation {
    /// The language's own name ("Русский").
    pub name: String,
    /// Twelve month names as used inside a date ("января").
    pub months_genitive: Vec<String>,
    /// Twelve month names standing alone ("январь").
    pub months_standalone: Vec<String>,
    /// A full date; placeholders `{day}`, `{month}` (genitive), `{year}`.
    pub date_format: String,
    /// A month heading; placeholders `{month}` (standalone), `{year}`.
    pub month_format: String,
    /// Plain UI strings by key.
    pub strings: BTreeMap<String, String>,
    /// Plural forms by key: `one`, `few`, `many`, `other` (CLDR categories),
    /// each with `{n}` where the number goes.
    #[serde(default)]
    pub plurals: BTreeMap<String, BTreeMap<String, String>>,
}

/// Why a translation table is unusable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TranslationError {
    #[error("{0}")]
    Yaml(String),
    #[error("needs exactly 12 entries in `{0}`")]
    Months(&'static str),
    #[error("is missing strings that the default English table has: {0}")]
    Missing(String),
}

impl Translation {
    /// Parses and checks a table against the reference (English) one: every
    /// key the reference has must be present, so no label silently vanishes.
    pub fn parse(
        text: &str,
        reference: Option<&Translation>,
    ) -> Result<Translation, TranslationError> {
        let t: Translation =
            serde_saphyr::from_str(text).map_err(|e| TranslationError::Yaml(e.to_string()))?;
        if t.months_genitive.len() != 12 {
            return Err(TranslationError::Months("months_genitive"));
        }
        if t.months_standalone.len() != 12 {
            return Err(TranslationError::Months("months_standalone"));
        }
        if let Some(reference) = reference {
            let missing: Vec<&str> = reference
                .strings
                .keys()
                .filter(|k| !t.strings.contains_key(*k))
                .chain(
                    reference
                        .plurals
                        .keys()
                        .filter(|k| !t.plurals.contains_key(*k)),
                )
                .map(String::as_str)
                .collect();
            if !missing.is_empty() {
                return Err(TranslationError::Missing(missing.join(", ")));
            }
        }
        Ok(t)
    }

    /// A plain string; an unknown key shows as itself, so a theme typo is
    /// visible on the page rather than an empty space.
    pub fn text(&self, key: &str) -> String {
        self.strings
            .get(key)
            .cloned()
            .unwrap_or_else(|| key.to_string())
    }

    /// "5 записей": the plural form of `key` for `n` under `lang`'s rules.
    pub fn plural(&self, lang: &str, key: &str, n: i64) -> String {
        let Some(forms) = self.plurals.get(key) else {
            return format!("{n} {key}");
        };
        let category = plural_category(lang, n);
        forms
            .get(category)
            .or_else(|| forms.get("other"))
            .or_else(|| forms.values().next())
            .map(|f| f.replace("{n}", &n.to_string()))
            .unwrap_or_else(|| n.to_string())
    }

    /// "5 января 2025" / "5 January 2025".
    pub fn date(&self, date: DateTime<Utc>) -> String {
        let month = &self.months_genitive[date.month0() as usize];
        self.date_format
            .replace("{day}", &date.day().to_string())
            .replace("{month}", month)
            .replace("{year}", &date.year().to_string())
    }

    /// "январь 2025" / "January 2025": month headings (archive pages).
    #[cfg_attr(not(test), allow(dead_code))]
    pub fn month(&self, year: i32, month: u32) -> String {
        let name = &self.months_standalone[(month.clamp(1, 12) - 1) as usize];
        self.month_format
            .replace("{month}", name)
            .replace("{year}", &year.to_string())
    }
}

/// The CLDR cardinal plural category of an integer for a language.
pub fn plural_category(lang: &str, n: i64) -> &'static str {
    let base = lang
        .split(['-', '_'])
        .next()
        .unwrap_or(lang)
        .to_ascii_lowercase();
    let n = n.unsigned_abs();
    match base.as_str() {
        "ru" | "uk" | "be" => {
            let (m10, m100) = (n % 10, n % 100);
            if m10 == 1 && m100 != 11 {
                "one"
            } else if (2..=4).contains(&m10) && !(12..=14).contains(&m100) {
                "few"
            } else {
                "many"
            }
        }
        "fr" | "pt" => {
            if n <= 1 {
                "one"
            } else if n != 0 && n.is_multiple_of(1_000_000) {
                "many"
            } else {
                "other"
            }
        }
        "ja" | "zh" | "ko" | "vi" | "th" => "other",
        _ => {
            if n == 1 {
                "one"
            } else {
                "other"
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn load(name: &str) -> Translation {
        let text = std::fs::read_to_string(format!(
            "{}/themes/default/i18n/{name}.yaml",
            env!("CARGO_MANIFEST_DIR")
        ))
        .expect("theme translation exists");
        Translation::parse(&text, None).expect("valid table")
    }

    #[test]
    fn russian_plurals_have_three_forms() {
        let ru = load("ru");
        let forms: Vec<String> = [1, 2, 5, 11, 21, 22, 25, 111]
            .iter()
            .map(|n| ru.plural("ru", "entries", *n))
            .collect();
        assert_eq!(
            forms,
            [
                "1 запись",
                "2 записи",
                "5 записей",
                "11 записей",
                "21 запись",
                "22 записи",
                "25 записей",
                "111 записей"
            ]
        );
        assert_eq!(load("en").plural("en", "entries", 1), "1 post");
        assert_eq!(load("en").plural("en", "entries", 3), "3 posts");
    }

    #[test]
    fn dates_use_genitive_and_headings_standalone_months() {
        let ru = load("ru");
        let d = Utc.with_ymd_and_hms(2025, 1, 5, 12, 0, 0).unwrap();
        assert_eq!(ru.date(d), "5 января 2025");
        assert_eq!(ru.month(2025, 1), "январь 2025");
        assert_eq!(load("en").date(d), "5 January 2025");
    }

    #[test]
    fn every_shipped_table_has_every_english_key() {
        let dir = format!("{}/themes/default/i18n", env!("CARGO_MANIFEST_DIR"));
        let reference = load("en");
        let mut checked = 0;
        for entry in std::fs::read_dir(dir).expect("i18n dir") {
            let path = entry.expect("entry").path();
            let text = std::fs::read_to_string(&path).expect("read");
            Translation::parse(&text, Some(&reference))
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            checked += 1;
        }
        assert!(checked >= 2);
    }
}
