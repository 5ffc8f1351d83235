//! The validated planet: [`Config`] and the plain types it is made of (one
//! [`FeedConfig`] per subscription, the fetch, sanitize and output settings,
//! UI string overrides, extra pages) with their defaults. This is all the
//! rest of planetoid sees of planet.yaml: no YAML, no positions, no problems.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

use url::Url;

use super::timeline::{Block, Filters, Retention};
use crate::entry::{DatePolicy, FeedId, FutureDates, WebUrl};

/// The whole planet, validated; paths are absolute (resolved against the
/// directory holding `planet.yaml`).
#[derive(Debug, Clone)]
pub struct Config {
    /// The file this was read from.
    pub path: PathBuf,
    pub title: String,
    /// Where the site will be published; always ends with `/`.
    pub base_url: WebUrl,
    /// UI language of the generated site (`en`, `ru`, …).
    pub lang: String,
    /// Markdown source of the planet's description, if any.
    pub description: Option<String>,
    /// Who runs the planet (the footer, the Atom feed's `author`).
    pub owner_name: Option<String>,
    pub owner_email: Option<String>,
    /// The folder holding local avatar images (`check` warns about unused ones).
    pub avatar_dir: Option<PathBuf>,
    pub output_dir: PathBuf,
    pub state: PathBuf,
    pub entries_per_page: usize,
    /// A theme folder whose files override the built-in default theme.
    pub theme_dir: Option<PathBuf>,
    /// How many entries the combined Atom/RSS/JSON feeds carry.
    pub feed_entries: usize,
    /// At most this many numbered timeline pages (and per-feed, per-tag,
    /// per-language pages); older entries stay reachable in the archives.
    /// `None`: no limit.
    pub max_pages: Option<usize>,
    /// UI strings overriding the theme's translation table (`strings:`).
    pub strings: BTreeMap<String, StringOverride>,
    /// Extra pages written from Markdown files (`pages:`), in config order.
    pub pages: Vec<PageConfig>,
    pub fetch: FetchConfig,
    /// Planet-wide default for feeds that do not set their own.
    pub future_dates: FutureDates,
    /// Planet-wide filters; every entry must pass these and its feed's.
    pub filters: Filters,
    pub retention: Retention,
    /// Taken-down posts, by link or id.
    pub blocklist: Vec<Block>,
    /// What the sanitizer lets through beyond its fixed allow-list.
    pub sanitize: SanitizeConfig,
    /// Length of excerpts (feeds with `content: summary`, and listings
    /// with `listing_content: excerpt`), in words.
    pub excerpt_words: usize,
    /// What per-feed, per-tag and per-language pages show of each post.
    pub listing_content: ListingContent,
    /// `output:` in planet.yaml: the size budget of the site.
    pub output: OutputConfig,
    /// `search:` in planet.yaml: publish a search page and its index.
    pub search: bool,
    /// A feed whose newest post is older than this many days is marked
    /// quiet on the health page (`quiet_after_days`, default 180).
    pub quiet_after_days: u32,
    pub feeds: Vec<FeedConfig>,
}

impl Config {
    /// Every configured feed's id, in planet.yaml's order.
    pub fn feed_ids(&self) -> Vec<FeedId> {
        self.feeds.iter().map(|f| f.id.clone()).collect()
    }

    /// The folder holding planet.yaml, which relative paths start from.
    pub fn dir(&self) -> &std::path::Path {
        self.path.parent().unwrap_or(std::path::Path::new("."))
    }
}

/// What per-feed, per-tag and per-language pages (and the tag and language
/// feeds) show of each post (`listing_content:`). The timeline and the
/// monthly archive always show the full text, so by default a post's full
/// text is published twice at most, and the site stays within the size
/// caps of static hosts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ListingContent {
    /// An excerpt of `excerpt_words` words, with links to the original and
    /// to the post's place in the archive.
    #[default]
    Excerpt,
    /// The full text everywhere (for small planets).
    Full,
}

/// `output:` in planet.yaml.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutputConfig {
    /// Warn when the published site grows past this many megabytes
    /// (GitHub and GitLab Pages refuse sites over 1 GB).
    pub max_site_mb: u64,
}

impl Default for OutputConfig {
    fn default() -> Self {
        OutputConfig { max_site_mb: 950 }
    }
}

/// `sanitize:` in planet.yaml.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SanitizeConfig {
    /// Hosts whose https iframes are kept (sandboxed); lower case.
    pub iframe_hosts: Vec<String>,
}

impl Default for SanitizeConfig {
    fn default() -> Self {
        SanitizeConfig {
            iframe_hosts: crate::sanitize::DEFAULT_IFRAME_HOSTS
                .iter()
                .map(|h| h.to_string())
                .collect(),
        }
    }
}

/// How much of a feed's posts the planet shows (`content:` of a feed).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ContentMode {
    /// The full content (else the summary).
    #[default]
    Full,
    /// The feed's summary (else the content), cut to `excerpt_words`.
    Summary,
    /// Only the title, linking to the post.
    Title,
}

/// Network behaviour of the fetch stage.
#[derive(Debug, Clone, PartialEq)]
pub struct FetchConfig {
    /// Requests open at the same time, over all hosts (feeds waiting for a
    /// busy host do not count).
    pub concurrency: usize,
    /// Requests open to one host at a time, redirects included.
    pub per_host: usize,
    /// Budget for one feed from its first request being sent: connect,
    /// headers, body, redirects and retries; waiting for a slot excluded.
    pub timeout_secs: u64,
    /// The whole fetch phase: feeds that got no slot by then are skipped.
    pub deadline_secs: u64,
    /// Extra tries after a transient failure (timeout, reset, 5xx, 408, 429).
    pub retries: u32,
    /// Bodies larger than this (after decompression) are refused.
    pub max_body_mb: u64,
    /// `None` means `planetoid/<version> (+<base_url>)`.
    pub user_agent: Option<String>,
}

impl Default for FetchConfig {
    fn default() -> Self {
        FetchConfig {
            concurrency: 32,
            per_host: 2,
            timeout_secs: 30,
            deadline_secs: 600,
            retries: 2,
            max_body_mb: 10,
            user_agent: None,
        }
    }
}

/// One subscription.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedConfig {
    pub id: FeedId,
    /// The `url:` value exactly as written in planet.yaml.
    pub url: String,
    pub source: FeedSource,
    /// Display name; `None` falls back to the feed's own title.
    pub name: Option<String>,
    /// How much of each post is shown.
    pub content: ContentMode,
    /// Line in planet.yaml where this feed's entry starts (for messages).
    pub line: u64,
    /// Where the `url:` value starts in planet.yaml (1-based line, column),
    /// so `fix-moved` can rewrite it in place.
    pub url_at: (u64, u64),
    /// `enabled: false` keeps the feed's history but neither fetches nor shows it.
    pub enabled: bool,
    /// Picture shown beside the feed's name.
    pub avatar: Option<Avatar>,
    /// The member's site, when the feed's own link is wrong or missing.
    pub homepage: Option<WebUrl>,
    /// The feed's language, when the feed does not say or says wrong.
    pub lang: Option<String>,
    /// Tags of the feed itself (e.g. `team`, `ru`).
    pub tags: Vec<String>,
    /// Show at most this many of the feed's newest entries.
    pub max_entries: Option<usize>,
    pub date_policy: DatePolicy,
    /// `None`: the planet-wide setting.
    pub future_dates: Option<FutureDates>,
    pub filters: Filters,
    /// This feed's own `quiet_after_days` (a feed that posts once a year),
    /// else the planet's.
    pub quiet_after_days: Option<u32>,
}

/// One `strings:` entry: a plain string, or plural forms by CLDR category
/// (`one`, `few`, `many`, `other`, …).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StringOverride {
    Text(String),
    Plural(BTreeMap<String, String>),
}

/// One extra page (`pages:`): Markdown read from a file next to planet.yaml,
/// published at `pages/<slug>/index.html`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageConfig {
    pub title: String,
    /// `[a-z0-9-]+`; defaults to the file's stem.
    pub slug: String,
    pub path: PathBuf,
    /// The file's Markdown text, read while validating.
    pub markdown: String,
}

/// Where a feed's bytes come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeedSource {
    Http(Url),
    File(PathBuf),
}

impl fmt::Display for FeedSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FeedSource::Http(url) => write!(f, "{url}"),
            FeedSource::File(path) => write!(f, "{}", path.display()),
        }
    }
}

/// Numbered pages per listing unless planet.yaml says otherwise.
pub const DEFAULT_MAX_PAGES: usize = 10;

/// `quiet_after_days` when planet.yaml does not set it.
pub const DEFAULT_QUIET_AFTER_DAYS: u32 = 180;

/// The picture shown beside a feed's name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Avatar {
    /// An absolute http(s) URL, checked like every other.
    Url(WebUrl),
    /// A file next to planet.yaml, copied into the site.
    File {
        /// Absolute.
        path: PathBuf,
        /// Its path in the site, relative to the root
        /// (`avatars/yast-1a2b3c4d5e6f7a8b.png`).
        published: String,
    },
}

impl Avatar {
    /// What a page links to: the URL, or the published path (relative to
    /// the site root).
    pub fn src(&self) -> &str {
        match self {
            Avatar::Url(url) => url.as_str(),
            Avatar::File { published, .. } => published,
        }
    }
}
