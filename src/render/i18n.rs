//! UI translations: one YAML table per language in the theme's `i18n/`
//! folder (`en.yaml`, `ru.yaml`, …) holding plain strings, plural forms and
//! month names, plus the CLDR plural rules and the date formats the site
//! uses. Russian needs three plural forms ("1 запись, 2 записи, 5 записей")
//! and two month forms: genitive in dates ("5 января 2025"), nominative in
//! headings ("январь 2025"); the table carries both.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Utc};
use serde::Deserialize;

use crate::config::{StringOverride, closest_name};

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
    /// Names of languages by primary subtag (`en: английский`), for the
    /// per-language pages; a code missing here is shown as itself.
    #[serde(default)]
    pub languages: BTreeMap<String, String>,
}

/// Why a translation table is unusable.
#[derive(Debug, thiserror::Error)]
pub enum TranslationError {
    #[error("{0}")]
    Yaml(#[source] Box<serde_saphyr::Error>),
    #[error("needs exactly 12 entries in `{0}`")]
    Months(&'static str),
    #[error("is missing strings that the default English table has: {0}")]
    Missing(String),
    #[error("{0}")]
    Override(String),
}

impl Translation {
    /// Parses and checks a table against the reference (English) one: every
    /// key the reference has must be present, so no label silently vanishes.
    pub fn parse(
        text: &str,
        reference: Option<&Translation>,
    ) -> Result<Translation, TranslationError> {
        let t: Translation =
            serde_saphyr::from_str(text).map_err(|e| TranslationError::Yaml(Box::new(e)))?;
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

    /// Applies a planet's `strings:` overrides. A key the table does not
    /// have, or plural forms for a plain string (and the reverse), is an
    /// error naming the key, so a typo is not silently ignored.
    pub fn apply(
        &mut self,
        overrides: &BTreeMap<String, StringOverride>,
    ) -> Result<(), TranslationError> {
        for (key, value) in overrides {
            match value {
                StringOverride::Text(text) if self.strings.contains_key(key) => {
                    self.strings.insert(key.clone(), text.clone());
                }
                StringOverride::Plural(forms) if self.plurals.contains_key(key) => {
                    self.plurals.insert(key.clone(), forms.clone());
                }
                StringOverride::Text(_) if self.plurals.contains_key(key) => {
                    return Err(TranslationError::Override(format!(
                        "strings.{key} is a plural string: give its forms (one:, other:, …)"
                    )));
                }
                StringOverride::Plural(_) if self.strings.contains_key(key) => {
                    return Err(TranslationError::Override(format!(
                        "strings.{key} is a plain string, not plural forms"
                    )));
                }
                _ => {
                    let known: Vec<&str> = self
                        .strings
                        .keys()
                        .chain(self.plurals.keys())
                        .map(String::as_str)
                        .collect();
                    let hint = match closest(key, &known) {
                        Some(close) => format!("did you mean `{close}`?"),
                        None => format!("known: {}", known.join(", ")),
                    };
                    return Err(TranslationError::Override(format!(
                        "strings.{key} is not a UI string of the theme ({hint})"
                    )));
                }
            }
        }
        Ok(())
    }

    /// A language's name in this table's language, else the code itself.
    pub fn language_name(&self, code: &str) -> String {
        self.languages
            .get(code)
            .cloned()
            .unwrap_or_else(|| code.to_string())
    }

    /// A month's standalone name ("январь"); `month` is 1-based.
    pub fn month_name(&self, month: u32) -> String {
        self.months_standalone[(month.clamp(1, 12) - 1) as usize].clone()
    }

    /// "5 января 2025" / "5 January 2025".
    pub fn date(&self, date: DateTime<Utc>) -> String {
        let month = &self.months_genitive[date.month0() as usize];
        self.date_format
            .replace("{day}", &date.day().to_string())
            .replace("{month}", month)
            .replace("{year}", &date.year().to_string())
    }

    /// "5 января 2025, 14:03 UTC".
    pub fn date_time(&self, d: DateTime<Utc>) -> String {
        format!("{}, {} UTC", self.date(d), d.format("%H:%M"))
    }

    /// "январь 2025" / "January 2025": month headings (archive pages).
    pub fn month(&self, year: i32, month: u32) -> String {
        let name = &self.months_standalone[(month.clamp(1, 12) - 1) as usize];
        self.month_format
            .replace("{month}", name)
            .replace("{year}", &year.to_string())
    }
}

/// The known key within a small edit distance of a mistyped one; of equally
/// close keys, the first in alphabetical order.
fn closest<'a>(key: &str, known: &[&'a str]) -> Option<&'a str> {
    let mut sorted = known.to_vec();
    sorted.sort_unstable();
    closest_name(key, sorted)
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
            } else if n.is_multiple_of(1_000_000) {
                "many"
            } else {
                "other"
            }
        }
        "es" | "it" | "ca" => {
            if n == 1 {
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
    fn plural_rules_of_every_shipped_language() {
        let forms = |lang: &str, ns: &[i64]| -> Vec<String> {
            let t = load(lang);
            ns.iter().map(|n| t.plural(lang, "entries", *n)).collect()
        };
        assert_eq!(
            forms("uk", &[1, 3, 5, 11, 21, 112]),
            [
                "1 допис",
                "3 дописи",
                "5 дописів",
                "11 дописів",
                "21 допис",
                "112 дописів"
            ]
        );
        assert_eq!(
            forms("de", &[0, 1, 2]),
            ["0 Beiträge", "1 Beitrag", "2 Beiträge"]
        );
        // French: 0 and 1 are singular; millions take "de".
        assert_eq!(
            forms("fr", &[0, 1, 2, 1_000_000]),
            ["0 article", "1 article", "2 articles", "1000000 d’articles"]
        );
        assert_eq!(
            forms("es", &[0, 1, 2, 1_000_000]),
            [
                "0 entradas",
                "1 entrada",
                "2 entradas",
                "1000000 de entradas"
            ]
        );
        assert_eq!(plural_category("pt-BR", 0), "one");
        assert_eq!(plural_category("ja", 1), "other");
    }

    #[test]
    fn dates_and_month_headings_in_every_shipped_language() {
        let d = Utc.with_ymd_and_hms(2025, 3, 5, 12, 0, 0).unwrap();
        let cases = [
            ("uk", "5 березня 2025 р.", "березень 2025 р."),
            ("de", "5. März 2025", "März 2025"),
            ("fr", "5 mars 2025", "mars 2025"),
            ("es", "5 de marzo de 2025", "marzo de 2025"),
            ("ru", "5 марта 2025", "март 2025"),
        ];
        for (lang, date, month) in cases {
            let t = load(lang);
            assert_eq!(t.date(d), date, "{lang}");
            assert_eq!(t.month(2025, 3), month, "{lang}");
        }
        assert_eq!(load("ru").language_name("en"), "английский");
        assert_eq!(load("ru").language_name("xx"), "xx");
    }

    #[test]
    fn overrides_replace_known_strings_and_reject_typos() {
        let mut ru = load("ru");
        let mut ok = BTreeMap::new();
        ok.insert(
            "subscriptions".to_string(),
            StringOverride::Text("Участники".into()),
        );
        ok.insert(
            "entries".to_string(),
            StringOverride::Plural(BTreeMap::from([
                ("one".to_string(), "{n} пост".to_string()),
                ("few".to_string(), "{n} поста".to_string()),
                ("other".to_string(), "{n} постов".to_string()),
            ])),
        );
        ru.apply(&ok).expect("known keys");
        assert_eq!(ru.text("subscriptions"), "Участники");
        assert_eq!(ru.plural("ru", "entries", 3), "3 поста");
        // `many` is missing from the override: `other` stands in.
        assert_eq!(ru.plural("ru", "entries", 5), "5 постов");

        let typo = BTreeMap::from([(
            "subscribtions".to_string(),
            StringOverride::Text("x".into()),
        )]);
        let err = ru.apply(&typo).expect_err("unknown key");
        assert!(
            err.to_string()
                .contains("strings.subscribtions is not a UI string of the theme (did you mean `subscriptions`?)"),
            "{err}"
        );
        let wrong_shape =
            BTreeMap::from([("entries".to_string(), StringOverride::Text("posts".into()))]);
        let err = ru.apply(&wrong_shape).expect_err("plural key given text");
        assert!(err.to_string().contains("is a plural string"), "{err}");
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
        assert_eq!(checked, 6);
    }
}
