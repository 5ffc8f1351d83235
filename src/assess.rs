//! The planet as of the store and `now`, between the store and render:
//! the timeline (select's order and filters over the stored entries),
//! every feed's health (report), and what render is given of the planet
//! and of each enabled feed (its display name, links, status, avatar).
//! Every join is by [`FeedId`]: nothing here pairs lists by position.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use crate::config::{self, Config, FeedConfig, FeedSource};
use crate::entry::{FeedId, StoredEntry, WebUrl};
use crate::feed_state::{FeedState, FeedStatus};
use crate::render::{FeedInfo, PlanetInfo};
use crate::store::{Store, StoreError};
use crate::{report, sanitize, select};

/// The timeline and every feed's health, as of the store and `now`.
pub struct Assessed {
    /// The shown entries, newest first.
    pub entries: Vec<StoredEntry>,
    /// What the timeline leaves out, and why.
    pub hidden: select::Hidden,
    /// The enabled feeds, in planet.yaml's order.
    pub feeds: Vec<FeedInfo>,
    pub health: report::Health,
}

/// Reads the planet's state from `store` and assesses it.
pub fn assess(config: &Config, store: &Store, now: DateTime<Utc>) -> Result<Assessed, StoreError> {
    let ids: Vec<FeedId> = config.feeds.iter().map(|f| f.id.clone()).collect();
    let states = store.feed_states(&ids)?;
    // Bodies are read with the timeline only when a filter looks at them;
    // otherwise render reads just the ones of the pages that changed.
    let needs_text =
        config.filters.needs_text() || config.feeds.iter().any(|f| f.filters.needs_text());
    let (entries, hidden) = select::timeline(
        store.entries(&ids, needs_text)?,
        &select::Rules {
            now,
            feeds: &config.feeds,
            filters: &config.filters,
            blocklist: &config.blocklist,
        },
    );
    let names: HashMap<FeedId, String> = config
        .feeds
        .iter()
        .map(|f| (f.id.clone(), display_name(f, states.get(&f.id))))
        .collect();
    let history = store.history(&ids, report::STRIP_BUILDS)?;
    let activity = report::Activity::of(&entries, now);
    let health = report::health(config, &states, &names, now, &history, &activity);
    let feeds = config
        .feeds
        .iter()
        .filter(|f| f.enabled)
        .map(|f| feed_info(f, states.get(&f.id)))
        .collect();
    Ok(Assessed {
        entries,
        hidden,
        feeds,
        health,
    })
}

/// What every page is told of the planet.
pub fn planet_info(config: &Config) -> PlanetInfo {
    PlanetInfo {
        title: config.title.clone(),
        description: config.description.as_deref().map(sanitize::markdown),
        csp_frame_src: sanitize::csp_frame_src(&config.sanitize.iframe_hosts),
        base_url: config.base_url.clone(),
        lang: config.lang.clone(),
        feed_entries: config.feed_entries,
        listing_excerpts: (config.listing_content == config::ListingContent::Excerpt)
            .then_some(config.excerpt_words),
        search: config.search,
        max_site_bytes: config.output.max_site_mb.saturating_mul(1_000_000),
        owner_name: config.owner_name.clone(),
        owner_email: config.owner_email.clone(),
    }
}

/// A feed's display name: planet.yaml's `name`, else the feed's own title,
/// else its host or file name.
fn display_name(feed: &FeedConfig, state: Option<&FeedState>) -> String {
    let fallback = || match &feed.source {
        FeedSource::Http(url) => url.host_str().unwrap_or(&feed.url).to_string(),
        FeedSource::File(path) => path
            .file_name()
            .map_or(feed.url.clone(), |n| n.to_string_lossy().into_owned()),
    };
    feed.name
        .clone()
        .or_else(|| state.and_then(|s| s.meta.title.clone()))
        .unwrap_or_else(fallback)
}

/// What render is given of one feed; `homepage` and `lang` from
/// planet.yaml win over the feed's own.
fn feed_info(feed: &FeedConfig, state: Option<&FeedState>) -> FeedInfo {
    FeedInfo {
        id: feed.id.clone(),
        name: display_name(feed, state),
        url: feed.url.clone(),
        feed_url: match &feed.source {
            FeedSource::Http(url) => WebUrl::from_url(url),
            FeedSource::File(_) => None,
        },
        site_url: feed
            .homepage
            .clone()
            .or_else(|| state.and_then(|s| s.meta.site_url.clone())),
        status: state.map_or(FeedStatus::Failed, |s| s.status),
        language: feed
            .lang
            .clone()
            .or_else(|| state.and_then(|s| s.meta.language.clone())),
        avatar: feed.avatar.clone(),
        moved_to: state
            .and_then(|s| s.moved_to.as_deref())
            .and_then(|m| WebUrl::parse(m, None)),
    }
}
