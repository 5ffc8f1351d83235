//! `planetoid opml import|export`: moving a subscription list in and out.
//!
//! Import reads an OPML file (nested outlines too), skips feeds planet.yaml
//! already lists (and repeats inside the file), and appends the rest to the
//! `feeds:` list as text ([`planet_edit`]) — the rest of planet.yaml,
//! comments and formatting included, is left exactly as it was. Export prints the enabled feeds as
//! OPML 2.0.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::cmd::planet_edit::{self, EditError, NewFeed, Scalar};
use crate::config::{self, ConfigError};
use crate::lock::{LockError, Wait, lock_planet};
use crate::render::subscriptions;

#[derive(Debug, thiserror::Error)]
pub enum OpmlError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Edit(#[from] EditError),
    #[error(transparent)]
    Lock(#[from] LockError),
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{} is not a usable OPML file: {message}", path.display())]
    Invalid { path: PathBuf, message: String },
}

/// What an import did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Imported {
    pub added: Vec<String>,
    pub skipped: usize,
}

impl fmt::Display for Imported {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "added {} feeds, skipped {} already listed",
            self.added.len(),
            self.skipped
        )
    }
}

/// One subscription found in an OPML file.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Subscription {
    url: String,
    title: Option<String>,
}

/// Appends the new feeds of `opml_path` to `config_path`, holding the
/// planet's lock meanwhile (see `lock`), waiting as `wait` says.
pub fn import(config_path: &Path, opml_path: &Path, wait: Wait) -> Result<Imported, OpmlError> {
    let (_config, _lock) = lock_planet(config_path, "OPML import", wait)?;
    let opml_text = std::fs::read_to_string(opml_path).map_err(|source| OpmlError::Read {
        path: opml_path.to_path_buf(),
        source,
    })?;
    let document = opml::OPML::from_str(&opml_text).map_err(|e| OpmlError::Invalid {
        path: opml_path.to_path_buf(),
        message: e.to_string(),
    })?;
    let mut found = Vec::new();
    collect(&document.body.outlines, &mut found);
    let feeds: Vec<NewFeed> = found
        .into_iter()
        .map(|sub| {
            let mut feed = NewFeed::new(sub.url);
            if let Some(title) = sub.title.filter(|t| !t.trim().is_empty()) {
                feed.set("name", Scalar::Str(title.trim().to_string()));
            }
            feed
        })
        .collect();
    let edit = planet_edit::append(config_path, &[], &feeds, false)?;
    Ok(Imported {
        added: edit.added,
        skipped: edit.skipped.len(),
    })
}

pub fn export(config_path: &Path) -> Result<String, OpmlError> {
    let config = config::load(config_path)?;
    let feeds: Vec<subscriptions::Subscription> = config
        .feeds
        .iter()
        .filter(|f| f.enabled)
        .map(|f| subscriptions::Subscription {
            name: f.name.as_deref().unwrap_or(&f.url),
            xml_url: &f.url,
            html_url: f.homepage.as_ref(),
            language: None,
        })
        .collect();
    subscriptions::opml(&config.title, None, &feeds).map_err(|e| OpmlError::Invalid {
        path: config_path.to_path_buf(),
        message: e.to_string(),
    })
}

/// Every outline with an `xmlUrl`, depth first (categories are folders).
fn collect(outlines: &[opml::Outline], out: &mut Vec<Subscription>) {
    for o in outlines {
        if let Some(url) = o
            .xml_url
            .as_deref()
            .map(str::trim)
            .filter(|u| !u.is_empty())
        {
            out.push(Subscription {
                url: url.to_string(),
                title: o.title.clone().or_else(|| Some(o.text.clone())),
            });
        }
        collect(&o.outlines, out);
    }
}
