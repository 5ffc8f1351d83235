//! `planetoid report`: every feed's health as of the store, the same
//! assessment a build publishes, without fetching or writing anything.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use crate::assess::assess;
use crate::store::{Store, StoreError};
use crate::{config, report};

/// Why `planetoid report` has nothing to show.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error(transparent)]
    Config(#[from] config::ConfigError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("no state file at {}: run `planetoid build` first", .0.display())]
    NoState(PathBuf),
}

/// `planetoid report`: every feed's health as of the store, without
/// fetching or writing anything.
pub fn health_report(
    config_path: &Path,
    now: Option<DateTime<Utc>>,
) -> Result<report::Health, ReportError> {
    let config = config::load(config_path)?;
    if !config.state.is_file() {
        return Err(ReportError::NoState(config.state.clone()));
    }
    let store = Store::open(&config.state)?;
    let now = now.unwrap_or_else(Utc::now);
    Ok(assess(&config, &store, now)?.health)
}
