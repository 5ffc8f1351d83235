//! `planetoid import venus|pluto|rawdog FILE`: moving an existing planet
//! over in one command.
//!
//! Each importer ([`venus`], [`pluto`], [`rawdog`]) reads its format into
//! [`Imported`]: the planet-wide settings, the feeds with the keys planetoid
//! understands, and a [`Tally`] of what was mapped to what and of every key
//! it could not map (each listed once, with its count and what to do about
//! it; nothing is dropped silently). The result is written by
//! [`planet_edit`]: a new planet.yaml, or appended to an existing one with
//! its comments kept and the feeds it already has skipped.

mod ini;
mod pluto;
mod rawdog;
mod venus;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use crate::cmd::planet_edit::{self, Edit, EditError, NewFeed, Scalar, Setting};
use crate::config::ConfigError;
use crate::lock::{LockError, Wait, lock_planet};
use crate::parse::decode_entities;

/// The formats `import` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Planet 2.0 / Planet Venus `config.ini`.
    Venus,
    /// Pluto's `planet.ini`.
    Pluto,
    /// rawdog's `config`.
    Rawdog,
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::Venus => "venus",
            Format::Pluto => "pluto",
            Format::Rawdog => "rawdog",
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{} has no feeds a {format} planet would read (no {what})", path.display())]
    Empty {
        path: PathBuf,
        format: Format,
        what: &'static str,
    },
    #[error(transparent)]
    Edit(#[from] EditError),
    #[error(transparent)]
    Lock(#[from] LockError),
}

/// What an importer read.
#[derive(Debug, Clone, Default)]
pub struct Imported {
    pub title: Option<String>,
    pub base_url: Option<String>,
    /// Other planet-wide settings (`owner_name`, `fetch.timeout_secs`, …).
    pub settings: Vec<Setting>,
    pub feeds: Vec<NewFeed>,
    pub tally: Tally,
}

/// What was mapped, what was not, and anything else worth saying.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    /// "their key → planet.yaml key" → how many times.
    pub mapped: BTreeMap<String, usize>,
    /// Their key → how many times, and what to do about it.
    pub unmapped: BTreeMap<String, (usize, String)>,
    /// `FILE:LINE: …` remarks (a face not found, a bad number).
    pub notes: Vec<String>,
}

impl Tally {
    pub fn mapped(&mut self, what: impl Into<String>) {
        *self.mapped.entry(what.into()).or_default() += 1;
    }

    pub fn unmapped(&mut self, key: impl Into<String>, advice: impl Into<String>) {
        let slot = self
            .unmapped
            .entry(key.into())
            .or_insert_with(|| (0, advice.into()));
        slot.0 += 1;
    }

    pub fn note(&mut self, file: &Path, line: usize, message: impl fmt::Display) {
        self.notes
            .push(format!("{}:{line}: {message}", file.display()));
    }
}

/// What `import` did.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub format: Format,
    pub config: PathBuf,
    pub created: bool,
    /// Nothing was written.
    pub dry_run: bool,
    pub edit: Edit,
    pub tally: Tally,
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} {}: added {} feeds, skipped {} already listed (or repeated in the file)",
            match (self.dry_run, self.created) {
                (false, true) => "wrote",
                (false, false) => "updated",
                (true, true) => "would write",
                (true, false) => "would update",
            },
            self.config.display(),
            self.edit.added.len(),
            self.edit.skipped.len()
        )?;
        if !self.edit.settings_written.is_empty() {
            writeln!(
                f,
                "settings written: {}",
                self.edit.settings_written.join(", ")
            )?;
        }
        if !self.edit.settings_kept.is_empty() {
            writeln!(
                f,
                "settings kept as planet.yaml has them (the imported values were not applied): {}",
                self.edit.settings_kept.join(", ")
            )?;
        }
        writeln!(f, "mapped ({}):", self.format)?;
        for (what, n) in &self.tally.mapped {
            writeln!(f, "  {what} ×{n}")?;
        }
        if self.tally.unmapped.is_empty() {
            writeln!(f, "not mapped: nothing")?;
        } else {
            writeln!(f, "not mapped (each key once, with its count):")?;
            for (key, (n, advice)) in &self.tally.unmapped {
                writeln!(f, "  {key} ×{n}: {advice}")?;
            }
        }
        for note in &self.tally.notes {
            writeln!(f, "note: {note}")?;
        }
        Ok(())
    }
}

/// Reads `file` as `format` and writes its planet into `config` (created
/// when missing); with `dry_run`, nothing is written.
pub fn run(
    format: Format,
    file: &Path,
    config: &Path,
    dry_run: bool,
    wait: Wait,
) -> Result<Outcome, ImportError> {
    // Merging into an existing planet holds its lock; a new planet.yaml
    // has no store or site yet, and a dry run writes nothing.
    let _lock = if config.exists() && !dry_run {
        Some(lock_planet(config, "import", wait)?.1)
    } else {
        None
    };
    let text = std::fs::read(file).map_err(|source| ImportError::Read {
        path: file.to_path_buf(),
        source,
    })?;
    // Old planets' files are often Latin-1; the decode stage knows how.
    let text = crate::decode::decode(&text, None, None).text;
    let context = Context {
        file: file.to_path_buf(),
        file_dir: absolute(file.parent().unwrap_or(Path::new("."))),
        config_dir: absolute(config.parent().unwrap_or(Path::new("."))),
    };
    let mut imported = match format {
        Format::Venus => venus::read(&text, &context),
        Format::Pluto => pluto::read(&text, &context),
        Format::Rawdog => rawdog::read(&text, &context),
    };
    imported.feeds = screen(
        std::mem::take(&mut imported.feeds),
        &context,
        &mut imported.tally,
    );
    screen_settings(&mut imported, &context);
    if imported.feeds.is_empty() {
        return Err(ImportError::Empty {
            path: file.to_path_buf(),
            format,
            what: match format {
                Format::Venus => "[http…] sections",
                Format::Pluto => "sections with a `feed` key",
                Format::Rawdog => "`feed PERIOD URL` lines",
            },
        });
    }
    if let Some(dir) = common_avatar_dir(&imported.feeds) {
        imported
            .settings
            .push(("avatar_dir".to_string(), Scalar::Str(dir)));
    }
    let created = !config.exists();
    let mut settings = Vec::new();
    if !created {
        if let Some(title) = &imported.title {
            settings.push(("title".to_string(), Scalar::Str(title.clone())));
        }
        if let Some(base) = &imported.base_url {
            settings.push(("base_url".to_string(), Scalar::Str(base.clone())));
        }
    }
    settings.extend(imported.settings.iter().cloned());
    let edit = if created {
        let title = imported.title.clone().unwrap_or_else(|| {
            imported
                .tally
                .notes
                .push("the file names no planet title: `title: My Planet` written, edit it".into());
            "My Planet".to_string()
        });
        let base_url = imported.base_url.clone().unwrap_or_else(|| {
            imported.tally.notes.push(
                "the file gives no planet URL: `base_url: https://planet.example.org/` written, edit it"
                    .into(),
            );
            "https://planet.example.org/".to_string()
        });
        let header = format!(
            "# Imported from {} by `planetoid import {format}`.\ntitle: {}\nbase_url: {}\nfeeds: []\n",
            file.file_name()
                .map_or(String::new(), |n| n.to_string_lossy().into_owned()),
            planet_edit::yaml_string(&title),
            planet_edit::yaml_string(&base_url),
        );
        planet_edit::create(config, &header, &settings, &imported.feeds, dry_run)?
    } else {
        planet_edit::append(config, &settings, &imported.feeds, dry_run)?
    };
    Ok(Outcome {
        format,
        config: config.to_path_buf(),
        created,
        dry_run,
        edit,
        tally: imported.tally,
    })
}

/// Where the importer is: the file read and planet.yaml's folder (avatars
/// are written relative to it).
pub(crate) struct Context {
    pub file: PathBuf,
    pub file_dir: PathBuf,
    pub config_dir: PathBuf,
}

impl Context {
    /// An avatar value (`face`, `avatar`) as planet.yaml's `avatar`: an
    /// http(s) URL as it is, a file name found next to the imported file (or
    /// in its usual image folders) as a path relative to planet.yaml.
    pub fn avatar(&self, value: &str, line: usize, tally: &mut Tally) -> Option<String> {
        let value = value.trim();
        if value.is_empty() {
            return None;
        }
        let lower = value.to_ascii_lowercase();
        if lower.starts_with("http://") || lower.starts_with("https://") {
            return Some(value.to_string());
        }
        const FOLDERS: &[&str] = &[
            "",
            "images",
            "faces",
            "hackergotchi",
            "avatars",
            "heads",
            "output/images",
        ];
        let found = FOLDERS
            .iter()
            .map(|folder| self.file_dir.join(folder).join(value))
            .find(|p| p.is_file());
        match found {
            Some(path) => Some(match path.strip_prefix(&self.config_dir) {
                Ok(rel) => rel.to_string_lossy().replace('\\', "/"),
                Err(_) => path.to_string_lossy().into_owned(),
            }),
            None => {
                tally.note(
                    &self.file,
                    line,
                    format!(
                        "avatar image `{value}` not found next to the file (nor in {}); the feed is imported without `avatar`: copy the image in and set it",
                        FOLDERS[1..].join("/, ") + "/"
                    ),
                );
                None
            }
        }
    }
}

/// The title, base URL and settings as planet.yaml would validate them: one
/// planetoid rejects (an `include` only Python's regex engine reads, an
/// `owner_email` that is no address) is left out with a note.
fn screen_settings(imported: &mut Imported, ctx: &Context) {
    let path = ctx.config_dir.join("planet.yaml");
    let tally = &mut imported.tally;
    let mut check = |key: &str, value: &Scalar| -> bool {
        let result = match key {
            "title" | "base_url" => {
                let other = if key == "title" {
                    "base_url: https://planet.example.org/"
                } else {
                    "title: t"
                };
                let text = format!("{other}\n{key}: {}\nfeeds: []\n", value.to_yaml());
                crate::config::parse(&text, &path)
                    .map(|_| ())
                    .map_err(EditError::from)
            }
            _ => planet_edit::edit_text(
                SCREEN_HEADER,
                &path,
                &[(key.to_string(), value.clone())],
                &[],
            )
            .map(|_| ()),
        };
        match result {
            Ok(()) => true,
            Err(EditError::Config(ConfigError::Invalid { problems, .. })) => {
                for p in problems {
                    tally.notes.push(format!(
                        "{}: `{key}` not imported: {}",
                        ctx.file.display(),
                        p.message
                    ));
                }
                false
            }
            Err(e) => {
                tally
                    .notes
                    .push(format!("{}: `{key}` not imported: {e}", ctx.file.display()));
                false
            }
        }
    };
    if let Some(title) = imported.title.take() {
        imported.title = check("title", &Scalar::Str(title.clone())).then_some(title);
    }
    if let Some(base) = imported.base_url.take() {
        imported.base_url = check("base_url", &Scalar::Str(base.clone())).then_some(base);
    }
    imported.settings.retain(|(key, value)| check(key, value));
}

/// A minimal valid planet, to validate one feed or setting at a time.
const SCREEN_HEADER: &str = "title: t\nbase_url: https://planet.example.org/\nfeeds: []\n";

/// Each feed as planet.yaml would validate it alone: a key planetoid
/// rejects (a Python regex the regex crate cannot compile, a homepage that
/// is not http(s)) is left out with a note, and a feed whose URL is unusable
/// is left out entirely, so one bad line never stops the whole import.
fn screen(feeds: Vec<NewFeed>, ctx: &Context, tally: &mut Tally) -> Vec<NewFeed> {
    // Line 4 is the feed's `- url:`, line 5 on its fields, in order.
    const URL_LINE: u64 = 4;
    let path = ctx.config_dir.join("planet.yaml");
    let mut kept = Vec::with_capacity(feeds.len());
    'feeds: for mut feed in feeds {
        loop {
            let problems = match planet_edit::edit_text(
                SCREEN_HEADER,
                &path,
                &[],
                std::slice::from_ref(&feed),
            ) {
                Ok(_) => {
                    kept.push(feed);
                    continue 'feeds;
                }
                Err(EditError::Config(ConfigError::Invalid { problems, .. })) => problems,
                Err(e) => {
                    tally.notes.push(format!(
                        "{}: feed {}: not imported: {e}",
                        ctx.file.display(),
                        feed.url
                    ));
                    continue 'feeds;
                }
            };
            let mut bad: Vec<usize> = Vec::new();
            for p in &problems {
                let field = p.line.checked_sub(URL_LINE + 1).map(|i| i as usize);
                match field.filter(|i| *i < feed.fields.len()) {
                    Some(i) => {
                        tally.notes.push(format!(
                            "{}: feed {}: `{}` not imported: {}",
                            ctx.file.display(),
                            feed.url,
                            feed.fields[i].0,
                            p.message
                        ));
                        bad.push(i);
                    }
                    None => {
                        tally.notes.push(format!(
                            "{}: feed {} not imported: {}",
                            ctx.file.display(),
                            feed.url,
                            p.message
                        ));
                        continue 'feeds;
                    }
                }
            }
            if bad.is_empty() {
                tally.notes.push(format!(
                    "{}: feed {} not imported: planet.yaml would reject it",
                    ctx.file.display(),
                    feed.url
                ));
                continue 'feeds;
            }
            bad.sort_unstable();
            bad.dedup();
            for i in bad.into_iter().rev() {
                feed.fields.remove(i);
            }
        }
    }
    kept
}

fn absolute(path: &Path) -> PathBuf {
    let path = if path.as_os_str().is_empty() {
        Path::new(".")
    } else {
        path
    };
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

/// When every local avatar is in one relative folder, that folder (for
/// `avatar_dir`, so `check` can warn about images nobody uses).
fn common_avatar_dir(feeds: &[NewFeed]) -> Option<String> {
    let mut dirs = feeds.iter().filter_map(|f| match f.get("avatar") {
        Some(Scalar::Str(a)) if !a.contains("://") && !Path::new(a).is_absolute() => Some(
            Path::new(a)
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or_default(),
        ),
        _ => None,
    });
    let first = dirs.next()?;
    (!first.as_os_str().is_empty() && dirs.all(|d| d == first))
        .then(|| first.to_string_lossy().into_owned())
}

/// Lines of an INI file that are neither sections, keys nor comments.
pub(crate) fn note_junk(junk: &[(usize, String)], ctx: &Context, tally: &mut Tally) {
    for (line, text) in junk {
        tally.note(
            &ctx.file,
            *line,
            format!("not a `key = value` line, skipped: `{text}`"),
        );
    }
}

/// A display name as written in an old planet's file: HTML entities
/// decoded (`Ga&#235;l` → `Gaël`), runs of white space (continuation lines
/// included) made one space.
pub(crate) fn display_name(raw: &str) -> String {
    decode_entities(raw)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// A whole number in `min..=max`, or a note saying why the value was not used.
pub(crate) fn number(
    raw: &str,
    (min, max): (u64, u64),
    ctx: &Context,
    line: usize,
    key: &str,
    tally: &mut Tally,
) -> Option<u64> {
    match raw.trim().parse::<u64>() {
        Ok(n) if (min..=max).contains(&n) => Some(n),
        _ => {
            tally.note(
                &ctx.file,
                line,
                format!("`{key} = {raw}` is not a whole number from {min} to {max}; not imported"),
            );
            None
        }
    }
}

/// True when `code` looks like a language tag (`en`, `pt-BR`, `zh_Hans`).
pub(crate) fn language_code(code: &str) -> Option<String> {
    let code = code.trim().replace('_', "-");
    let mut parts = code.split('-');
    let primary = parts.next()?;
    let ok = (2..=3).contains(&primary.len())
        && primary.chars().all(|c| c.is_ascii_alphabetic())
        && parts
            .all(|p| (2..=8).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric()));
    ok.then(|| {
        let mut parts = code.split('-');
        let mut out = parts.next().unwrap_or_default().to_ascii_lowercase();
        for p in parts {
            out.push('-');
            out.push_str(p);
        }
        out
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn language_codes_are_told_from_places() {
        assert_eq!(language_code("en").as_deref(), Some("en"));
        assert_eq!(language_code("pt_BR").as_deref(), Some("pt-BR"));
        assert_eq!(language_code("DE").as_deref(), Some("de"));
        assert_eq!(language_code("Nuremberg"), None);
        assert_eq!(language_code("global"), None);
        assert_eq!(language_code("en-"), None);
    }
}
