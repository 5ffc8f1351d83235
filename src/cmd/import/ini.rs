//! A reader for the INI files old planets keep their feeds in, as Python's
//! `ConfigParser` (the one Planet 2.0 and Venus use) reads them.
//!
//! What it honours: `[section]` headers (a repeated section adds to the
//! first), `key = value` and `key: value` (keys lower-cased, both sides
//! trimmed), whole-line comments starting with `#` or `;`, Python 2's inline
//! comments (` ;` after whitespace), continuation lines (an indented line
//! after a key adds a line to its value), a `[DEFAULT]` section whose keys
//! every section inherits, and `%(key)s` interpolation (from the same
//! section, then `[DEFAULT]`; `%%` is a literal `%`). Keys before the first
//! section are kept in a section named "" (Pluto's top-level `title`).
//! [`Dialect::Indented`] reads files whose keys are indented under their
//! section (Pluto's style) instead of treating indentation as continuation.
//! Every key remembers its line, for messages.

/// How indentation is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// ConfigParser: an indented line continues the previous value.
    Python,
    /// Pluto: indentation is only layout.
    Indented,
}

/// One `key = value`, with where it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub key: String,
    /// Raw (not yet interpolated).
    pub value: String,
    pub line: usize,
}

/// One `[section]`, keys in file order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    /// As written (case kept: Venus section names are URLs).
    pub name: String,
    pub line: usize,
    pub items: Vec<Item>,
}

/// A parsed file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ini {
    /// In file order; `[DEFAULT]` is not among them.
    pub sections: Vec<Section>,
    /// `[DEFAULT]`'s keys.
    pub defaults: Vec<Item>,
    /// Lines that are neither a section, a key, a comment nor a
    /// continuation (line, text), reported by the importers.
    pub junk: Vec<(usize, String)>,
}

/// A `%(name)s` that names no key, or an interpolation that does not end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InterpolationError {
    pub line: usize,
    pub message: String,
}

impl Ini {
    pub fn parse(text: &str, dialect: Dialect) -> Ini {
        let mut ini = Ini::default();
        // Index into `sections`, or `None` for [DEFAULT].
        let mut current: Option<Option<usize>> = None;
        let mut top: Option<usize> = None;
        let mut last_key: Option<(Option<Option<usize>>, usize)> = None;
        for (i, raw) in text.lines().enumerate() {
            let line_no = i + 1;
            let raw = raw.strip_prefix('\u{feff}').unwrap_or(raw);
            let trimmed = raw.trim();
            if trimmed.is_empty() || trimmed.starts_with(['#', ';']) {
                continue;
            }
            let first_word = trimmed.split_whitespace().next().unwrap_or("");
            if raw.starts_with(['r', 'R']) && first_word.eq_ignore_ascii_case("rem") {
                continue; // ConfigParser's `rem` comment lines
            }
            let indented = raw.starts_with([' ', '\t']);
            if indented
                && dialect == Dialect::Python
                && let Some((section, index)) = last_key
            {
                let item = ini.item_mut(section, index);
                item.value.push('\n');
                item.value.push_str(strip_inline_comment(trimmed));
                continue;
            }
            if let Some(name) = trimmed
                .strip_prefix('[')
                .and_then(|r| r.split_once(']'))
                .map(|(name, _)| name.trim())
            {
                last_key = None;
                if name == "DEFAULT" {
                    current = Some(None);
                    continue;
                }
                let index = match ini.sections.iter().position(|s| s.name == name) {
                    Some(index) => index,
                    None => {
                        ini.sections.push(Section {
                            name: name.to_string(),
                            line: line_no,
                            items: Vec::new(),
                        });
                        ini.sections.len() - 1
                    }
                };
                current = Some(Some(index));
                continue;
            }
            let Some(split) = trimmed.find(['=', ':']) else {
                ini.junk.push((line_no, trimmed.to_string()));
                continue;
            };
            let key = trimmed[..split].trim().to_lowercase();
            if key.is_empty() {
                ini.junk.push((line_no, trimmed.to_string()));
                continue;
            }
            let value = strip_inline_comment(trimmed[split + 1..].trim()).to_string();
            let section = match current {
                Some(s) => Some(s),
                None => {
                    // Keys before any section: a section named "".
                    let index = *top.get_or_insert_with(|| {
                        ini.sections.insert(
                            0,
                            Section {
                                name: String::new(),
                                line: line_no,
                                items: Vec::new(),
                            },
                        );
                        0
                    });
                    Some(Some(index))
                }
            };
            let items = ini.items_mut(section);
            // A repeated key replaces the earlier one (ConfigParser's way).
            items.retain(|item| item.key != key);
            items.push(Item {
                key,
                value,
                line: line_no,
            });
            last_key = Some((section, items.len() - 1));
        }
        ini
    }

    fn items_mut(&mut self, section: Option<Option<usize>>) -> &mut Vec<Item> {
        match section.flatten() {
            Some(index) => &mut self.sections[index].items,
            None => &mut self.defaults,
        }
    }

    fn item_mut(&mut self, section: Option<Option<usize>>, index: usize) -> &mut Item {
        &mut self.items_mut(section)[index]
    }

    /// A section by name.
    pub fn section(&self, name: &str) -> Option<&Section> {
        self.sections.iter().find(|s| s.name == name)
    }

    /// The value of `key` in `section` (else `[DEFAULT]`), interpolated.
    pub fn get(&self, section: &Section, key: &str) -> Option<Result<String, InterpolationError>> {
        let item = self.lookup(section, key)?;
        Some(self.interpolate(section, &item.value, item.line, 0))
    }

    /// Every key `section` has, its own first (file order), then the
    /// inherited ones from `[DEFAULT]`; true when inherited.
    pub fn keys<'a>(&'a self, section: &'a Section) -> Vec<(&'a Item, bool)> {
        let mut out: Vec<(&Item, bool)> = section.items.iter().map(|i| (i, false)).collect();
        for d in &self.defaults {
            if !section.items.iter().any(|i| i.key == d.key) {
                out.push((d, true));
            }
        }
        out
    }

    fn lookup<'a>(&'a self, section: &'a Section, key: &str) -> Option<&'a Item> {
        section
            .items
            .iter()
            .find(|i| i.key == key)
            .or_else(|| self.defaults.iter().find(|i| i.key == key))
    }

    fn interpolate(
        &self,
        section: &Section,
        value: &str,
        line: usize,
        depth: usize,
    ) -> Result<String, InterpolationError> {
        if !value.contains('%') {
            return Ok(value.to_string());
        }
        if depth > 10 {
            return Err(InterpolationError {
                line,
                message: "interpolation nested more than 10 deep (a key refers to itself?)".into(),
            });
        }
        let mut out = String::with_capacity(value.len());
        let mut rest = value;
        while let Some(pos) = rest.find('%') {
            out.push_str(&rest[..pos]);
            rest = &rest[pos..];
            if let Some(after) = rest.strip_prefix("%%") {
                out.push('%');
                rest = after;
                continue;
            }
            let Some(name) = rest
                .strip_prefix("%(")
                .and_then(|r| r.split_once(")s"))
                .map(|(name, _)| name)
                .filter(|name| !name.contains(')'))
            else {
                // Python 2's ConfigParser leaves a lone `%` alone.
                out.push('%');
                rest = &rest[1..];
                continue;
            };
            let Some(item) = self.lookup(section, &name.to_lowercase()) else {
                return Err(InterpolationError {
                    line,
                    message: format!(
                        "`%({name})s` names no key of [{}] or [DEFAULT]",
                        section.name
                    ),
                });
            };
            out.push_str(&self.interpolate(section, &item.value, item.line, depth + 1)?);
            rest = &rest[name.len() + 4..];
        }
        out.push_str(rest);
        Ok(out)
    }
}

/// Python 2's ConfigParser: a `;` after whitespace starts a comment.
fn strip_inline_comment(value: &str) -> &str {
    let mut prev_space = false;
    for (i, c) in value.char_indices() {
        if c == ';' && prev_space {
            return value[..i].trim_end();
        }
        prev_space = c.is_whitespace();
    }
    value
}

/// `name = value` pairs of a file's sections as a map, for tests:
/// section → key → raw value.
#[cfg(test)]
pub fn as_map(
    ini: &Ini,
) -> std::collections::BTreeMap<String, std::collections::BTreeMap<String, String>> {
    ini.sections
        .iter()
        .map(|s| {
            (
                s.name.clone(),
                s.items
                    .iter()
                    .map(|i| (i.key.clone(), i.value.clone()))
                    .collect(),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const VENUS: &str = "\
# Planet configuration
[DEFAULT]
facewidth = 64
base = https://planet.example.org
; comment

[Planet]
Name = Planet Example   ; the title
link: %(base)s/
description = first line
  second line
\tthird line
percent = 100%% sure, 5% off

[https://a.example/feed]
name = Ga&#235;l
face = %(base)s/faces/gael.png
facewidth = 80

[https://a.example/feed]
filter = rust
broken = %(nothing)s
junk line without separator
";

    #[test]
    fn configparser_rules_are_followed() {
        let ini = Ini::parse(VENUS, Dialect::Python);
        let planet = ini.section("Planet").expect("planet");
        let get = |s: &Section, k: &str| ini.get(s, k).expect("present").expect("interpolates");
        assert_eq!(get(planet, "name"), "Planet Example");
        assert_eq!(get(planet, "link"), "https://planet.example.org/");
        assert_eq!(
            get(planet, "description"),
            "first line\nsecond line\nthird line"
        );
        assert_eq!(get(planet, "percent"), "100% sure, 5% off");
        assert_eq!(get(planet, "facewidth"), "64", "from [DEFAULT]");
        let feed = ini.section("https://a.example/feed").expect("feed");
        assert_eq!(
            ini.sections.len(),
            2,
            "a repeated section adds to the first"
        );
        assert_eq!(get(feed, "name"), "Ga&#235;l");
        assert_eq!(
            get(feed, "face"),
            "https://planet.example.org/faces/gael.png"
        );
        assert_eq!(get(feed, "facewidth"), "80", "own key wins over [DEFAULT]");
        assert_eq!(get(feed, "filter"), "rust");
        let err = ini
            .get(feed, "broken")
            .expect("present")
            .expect_err("no such key");
        assert_eq!(err.line, 22);
        assert!(err.message.contains("%(nothing)s"), "{err:?}");
        assert_eq!(ini.junk, [(23, "junk line without separator".to_string())]);
        let inherited: Vec<&str> = ini
            .keys(feed)
            .iter()
            .filter(|(_, inherited)| *inherited)
            .map(|(i, _)| i.key.as_str())
            .collect();
        assert_eq!(inherited, ["base"]);
    }

    #[test]
    fn pluto_style_indented_keys_and_top_level_keys() {
        let text = "title = Planet openSUSE\n\n[yast]\n  title  = YaST Team\n  feed   = https://yast.example/feed.xml\n  # note\n[ancor]\n  title: Ancor\n";
        let ini = Ini::parse(text, Dialect::Indented);
        let map = as_map(&ini);
        assert_eq!(map[""]["title"], "Planet openSUSE");
        assert_eq!(map["yast"]["feed"], "https://yast.example/feed.xml");
        assert_eq!(map["ancor"]["title"], "Ancor");
        // Read as Python would, the indented keys continue nothing (no key
        // yet in the section) and are keys as well.
        let python = Ini::parse("[a]\nx = 1\n  y = 2\n", Dialect::Python);
        assert_eq!(as_map(&python)["a"]["x"], "1\ny = 2");
    }
}
