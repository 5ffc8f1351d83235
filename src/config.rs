//! `planet.yaml` → a validated [`Config`].
//!
//! The YAML is read by serde-saphyr into a small tree of nodes that remember
//! their line and column ([`yaml::Node`]); this module then walks the tree with
//! typed getters, so *every* problem (unknown key, wrong type, bad URL, missing
//! key, duplicate feed) is collected and reported at once, each as
//! `planet.yaml:LINE:COL` with the offending line quoted. Nothing downstream sees
//! YAML: the rest of planetoid only knows the plain structs defined here.

mod avatar;
mod site;
mod timeline;
mod yaml;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use url::Url;

use crate::entry::{DatePolicy, FeedId, FutureDates, WebUrl};
pub use avatar::{Avatar, unused as unused_avatars};
use site::{pages, strings};
pub use timeline::{Block, Filters, Pattern, Retention};
use yaml::{Node, Value};

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

/// One problem found in planet.yaml, with where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub line: u64,
    pub column: u64,
    pub message: String,
}

/// Why planet.yaml could not be used. Every variant names the file.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{} is not valid YAML:\n{message}", path.display())]
    Syntax { path: PathBuf, message: String },
    #[error("{}", render_problems(path, text, problems))]
    Invalid {
        path: PathBuf,
        text: String,
        problems: Vec<Problem>,
    },
}

/// Numbered pages per listing unless planet.yaml says otherwise.
pub const DEFAULT_MAX_PAGES: usize = 10;

/// `quiet_after_days` when planet.yaml does not set it.
pub const DEFAULT_QUIET_AFTER_DAYS: u32 = 180;

/// Every key planet.yaml accepts at the top level.
const TOP_KEYS: &[&str] = &[
    "title",
    "base_url",
    "lang",
    "description",
    "owner_name",
    "owner_email",
    "avatar_dir",
    "output_dir",
    "state",
    "entries_per_page",
    "feed_entries",
    "theme_dir",
    "max_pages",
    "strings",
    "pages",
    "fetch",
    "future_dates",
    "include",
    "exclude",
    "tags_include",
    "tags_exclude",
    "retention",
    "blocklist",
    "sanitize",
    "excerpt_words",
    "listing_content",
    "output",
    "search",
    "quiet_after_days",
    "feeds",
];

const FETCH_KEYS: &[&str] = &[
    "concurrency",
    "per_host",
    "timeout_secs",
    "deadline_secs",
    "retries",
    "max_body_mb",
    "user_agent",
];
const FEED_KEYS: &[&str] = &[
    "url",
    "name",
    "enabled",
    "avatar",
    "homepage",
    "lang",
    "tags",
    "max_entries",
    "date_policy",
    "future_dates",
    "include",
    "exclude",
    "tags_include",
    "tags_exclude",
    "content",
    "quiet_after_days",
];
const SANITIZE_KEYS: &[&str] = &["iframe_hosts"];
const OUTPUT_KEYS: &[&str] = &["max_site_mb"];

/// Reads and validates a planet.yaml file.
pub fn load(path: &Path) -> Result<Config, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    parse(&text, &abs)
}

/// Validates planet.yaml text; `path` names the file in messages and anchors
/// relative paths.
pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
    let root = yaml::parse(text).map_err(|message| ConfigError::Syntax {
        path: path.to_path_buf(),
        message,
    })?;
    let dir = path.parent().unwrap_or(Path::new(".")).to_path_buf();
    let mut problems = Problems::default();
    let config = validate(&root, path, &dir, &mut problems);
    match config {
        Some(config) if problems.0.is_empty() => Ok(config),
        _ => {
            let mut list = problems.0;
            list.sort_by_key(|p| (p.line, p.column));
            Err(ConfigError::Invalid {
                path: path.to_path_buf(),
                text: text.to_string(),
                problems: list,
            })
        }
    }
}

#[derive(Default)]
struct Problems(Vec<Problem>);

impl Problems {
    fn at(&mut self, node: &Node, message: impl Into<String>) {
        self.0.push(Problem {
            line: node.line,
            column: node.column,
            message: message.into(),
        });
    }
}

fn validate(root: &Node, path: &Path, dir: &Path, problems: &mut Problems) -> Option<Config> {
    let Value::Map(_) = &root.value else {
        problems.at(
            root,
            "planet.yaml must be a mapping of keys (title:, base_url:, feeds:, …)",
        );
        return None;
    };
    let mut top = Fields::new(root, "top level", TOP_KEYS);
    let title = top
        .required("title", problems)
        .and_then(|n| text(n, problems));
    let base_url = top
        .required("base_url", problems)
        .and_then(|n| base_url(n, problems));
    let lang = top
        .optional("lang")
        .and_then(|n| language(n, problems))
        .unwrap_or_else(|| "en".to_string());
    let description = top.optional("description").and_then(|n| text(n, problems));
    let owner_name = top.optional("owner_name").and_then(|n| text(n, problems));
    let owner_email = top.optional("owner_email").and_then(|n| email(n, problems));
    let avatar_dir = top
        .optional("avatar_dir")
        .and_then(|n| avatar::avatar_dir(n, dir, problems));
    let output_dir = top
        .optional("output_dir")
        .and_then(|n| text(n, problems))
        .map_or_else(|| dir.join("output"), |p| dir.join(p));
    let state = top
        .optional("state")
        .and_then(|n| text(n, problems))
        .map_or_else(|| dir.join(".planetoid/state.db"), |p| dir.join(p));
    let entries_per_page = top
        .optional("entries_per_page")
        .and_then(|n| count(n, 1, 10_000, problems))
        .unwrap_or(20) as usize;
    let feed_entries = top
        .optional("feed_entries")
        .and_then(|n| count(n, 1, 10_000, problems))
        .unwrap_or(50) as usize;
    let theme_dir = top
        .optional("theme_dir")
        .and_then(|n| text(n, problems))
        .map(|p| dir.join(p));
    // Default 10 pages of timeline (and per feed, tag, language); older
    // entries stay in the archives. `max_pages: 0` removes the cap.
    let max_pages = match top
        .optional("max_pages")
        .and_then(|n| count(n, 0, 100_000, problems))
    {
        Some(0) => None,
        Some(n) => Some(n as usize),
        None => Some(DEFAULT_MAX_PAGES),
    };
    let strings = top
        .optional("strings")
        .map(|n| strings(n, problems))
        .unwrap_or_default();
    let pages = top
        .optional("pages")
        .map(|n| pages(n, dir, problems))
        .unwrap_or_default();
    let fetch = top
        .optional("fetch")
        .map(|n| fetch_config(n, problems))
        .unwrap_or_default();
    let future_dates = top
        .optional("future_dates")
        .and_then(|n| timeline::future_dates(n, problems))
        .unwrap_or_default();
    let filters = timeline::filters(&mut top, problems);
    let retention = top
        .optional("retention")
        .map(|n| timeline::retention(n, problems))
        .unwrap_or_default();
    let blocklist = top
        .optional("blocklist")
        .map(|n| timeline::blocklist(n, problems))
        .unwrap_or_default();
    let sanitize = top
        .optional("sanitize")
        .map(|n| sanitize_config(n, problems))
        .unwrap_or_default();
    let excerpt_words = top
        .optional("excerpt_words")
        .and_then(|n| count(n, 1, 100_000, problems))
        .unwrap_or(60) as usize;
    let listing_content = top
        .optional("listing_content")
        .and_then(|n| listing_content(n, problems))
        .unwrap_or_default();
    let output = top
        .optional("output")
        .map(|n| output_config(n, problems))
        .unwrap_or_default();
    let search = top
        .optional("search")
        .and_then(|n| boolean(n, problems))
        // Off until indexing is measured at N = 2,000 (40,000 entries).
        .unwrap_or(false);
    let quiet_after_days = top
        .optional("quiet_after_days")
        .and_then(|n| count(n, 1, 36_500, problems))
        .map_or(DEFAULT_QUIET_AFTER_DAYS, |n| n as u32);
    let feeds = top
        .required("feeds", problems)
        .map(|n| feeds(n, dir, problems))
        .unwrap_or_default();
    top.finish(problems);

    Some(Config {
        path: path.to_path_buf(),
        title: title?,
        base_url: base_url?,
        lang,
        description,
        owner_name,
        owner_email,
        avatar_dir,
        output_dir,
        state,
        entries_per_page,
        theme_dir,
        feed_entries,
        max_pages,
        strings,
        pages,
        fetch,
        future_dates,
        filters,
        retention,
        blocklist,
        sanitize,
        excerpt_words,
        listing_content,
        output,
        search,
        quiet_after_days,
        feeds,
    })
}

/// One of a key's named `options`, or a problem listing them.
fn choice<T: Copy>(
    node: &Node,
    key: &str,
    options: &[(&str, T)],
    problems: &mut Problems,
) -> Option<T> {
    let raw = text(node, problems)?;
    let found = options.iter().find(|(name, _)| *name == raw.trim());
    if found.is_none() {
        let names: Vec<&str> = options.iter().map(|(name, _)| *name).collect();
        problems.at(
            node,
            format!(
                "`{key}` must be one of: {}; found `{raw}`",
                names.join(", ")
            ),
        );
    }
    found.map(|(_, value)| *value)
}

fn listing_content(node: &Node, problems: &mut Problems) -> Option<ListingContent> {
    let options = [
        ("excerpt", ListingContent::Excerpt),
        ("full", ListingContent::Full),
    ];
    choice(node, "listing_content", &options, problems)
}

fn output_config(node: &Node, problems: &mut Problems) -> OutputConfig {
    let mut config = OutputConfig::default();
    let Some(mut fields) = section(node, "output", OUTPUT_KEYS, problems) else {
        return config;
    };
    if let Some(n) = fields
        .optional("max_site_mb")
        .and_then(|n| count(n, 1, 1_000_000, problems))
    {
        config.max_site_mb = n;
    }
    fields.finish(problems);
    config
}

/// The fields of a mapping section such as `fetch:`, or a problem when it
/// is not a mapping.
fn section<'a>(
    node: &'a Node,
    name: &'static str,
    keys: &'static [&'static str],
    problems: &mut Problems,
) -> Option<Fields<'a>> {
    if !matches!(node.value, Value::Map(_)) {
        problems.at(
            node,
            format!("`{name}` must be a mapping, found {}", node.value.kind()),
        );
        return None;
    }
    Some(Fields::new(node, name, keys))
}

fn fetch_config(node: &Node, problems: &mut Problems) -> FetchConfig {
    let mut defaults = FetchConfig::default();
    let Some(mut fields) = section(node, "fetch", FETCH_KEYS, problems) else {
        return defaults;
    };
    if let Some(n) = fields
        .optional("concurrency")
        .and_then(|n| count(n, 1, 1024, problems))
    {
        defaults.concurrency = n as usize;
    }
    if let Some(n) = fields
        .optional("per_host")
        .and_then(|n| count(n, 1, 64, problems))
    {
        defaults.per_host = n as usize;
    }
    if let Some(n) = fields
        .optional("timeout_secs")
        .and_then(|n| count(n, 1, 3600, problems))
    {
        defaults.timeout_secs = n;
    }
    if let Some(n) = fields
        .optional("deadline_secs")
        .and_then(|n| count(n, 1, 86_400, problems))
    {
        defaults.deadline_secs = n;
    }
    if let Some(n) = fields
        .optional("retries")
        .and_then(|n| count(n, 0, 10, problems))
    {
        defaults.retries = n as u32;
    }
    if let Some(n) = fields
        .optional("max_body_mb")
        .and_then(|n| count(n, 1, 1024, problems))
    {
        defaults.max_body_mb = n;
    }
    defaults.user_agent = fields
        .optional("user_agent")
        .and_then(|n| text(n, problems));
    fields.finish(problems);
    defaults
}

fn sanitize_config(node: &Node, problems: &mut Problems) -> SanitizeConfig {
    let mut config = SanitizeConfig::default();
    let Some(mut fields) = section(node, "sanitize", SANITIZE_KEYS, problems) else {
        return config;
    };
    if let Some(list) = fields.optional("iframe_hosts") {
        match &list.value {
            Value::Seq(items) => {
                config.iframe_hosts = items
                    .iter()
                    .filter_map(|item| host_name(item, problems))
                    .collect();
            }
            other => problems.at(
                list,
                format!(
                    "`iframe_hosts` must be a list of host names, found {}",
                    other.kind()
                ),
            ),
        }
    }
    fields.finish(problems);
    config
}

/// A bare host name such as `www.youtube.com` (no scheme, port or path).
fn host_name(node: &Node, problems: &mut Problems) -> Option<String> {
    let raw = text(node, problems)?;
    let host = raw.trim().to_ascii_lowercase();
    let ok = !host.is_empty()
        && host.len() <= 253
        && host.split('.').all(|label| {
            !label.is_empty() && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
    if ok {
        Some(host)
    } else {
        problems.at(
            node,
            format!("`{raw}` is not a host name: write it like `www.youtube.com`, without `https://` or a path"),
        );
        None
    }
}

fn content_mode(node: &Node, problems: &mut Problems) -> Option<ContentMode> {
    let options = [
        ("full", ContentMode::Full),
        ("summary", ContentMode::Summary),
        ("title", ContentMode::Title),
    ];
    choice(node, "content", &options, problems)
}

fn feeds(node: &Node, dir: &Path, problems: &mut Problems) -> Vec<FeedConfig> {
    let Value::Seq(items) = &node.value else {
        problems.at(
            node,
            format!(
                "`feeds` must be a list (`- url: …` items), found {}",
                node.value.kind()
            ),
        );
        return Vec::new();
    };
    let mut out: Vec<FeedConfig> = Vec::new();
    for item in items {
        if !matches!(item.value, Value::Map(_)) {
            problems.at(
                item,
                format!(
                    "a feed must be a mapping with `url:`, found {}",
                    item.value.kind()
                ),
            );
            continue;
        }
        let mut fields = Fields::new(item, "feed", FEED_KEYS);
        let url_node = fields.required("url", problems);
        let name = fields.optional("name").and_then(|n| text(n, problems));
        let enabled = fields
            .optional("enabled")
            .and_then(|n| boolean(n, problems))
            .unwrap_or(true);
        let avatar = fields
            .optional("avatar")
            .and_then(|n| avatar::avatar(n, dir, problems));
        let homepage = fields
            .optional("homepage")
            .and_then(|n| web_url(n, problems));
        let lang = fields.optional("lang").and_then(|n| language(n, problems));
        let tags = fields
            .optional("tags")
            .map(|n| timeline::strings(n, problems))
            .unwrap_or_default();
        let max_entries = fields
            .optional("max_entries")
            .and_then(|n| count(n, 1, 100_000, problems))
            .map(|n| n as usize);
        let date_policy = fields
            .optional("date_policy")
            .and_then(|n| timeline::date_policy(n, problems))
            .unwrap_or_default();
        let future_dates = fields
            .optional("future_dates")
            .and_then(|n| timeline::future_dates(n, problems));
        let filters = timeline::filters(&mut fields, problems);
        let content = fields
            .optional("content")
            .and_then(|n| content_mode(n, problems))
            .unwrap_or_default();
        let quiet_after_days = fields
            .optional("quiet_after_days")
            .and_then(|n| count(n, 1, 36_500, problems))
            .map(|n| n as u32);
        fields.finish(problems);
        let Some(url_node) = url_node else { continue };
        let Some(url) = text(url_node, problems) else {
            continue;
        };
        let Some(source) = feed_source(&url, dir, url_node, problems) else {
            continue;
        };
        if let Some(first) = out.iter().find(|f| f.source == source) {
            problems.at(
                url_node,
                format!(
                    "feed `{url}` is listed twice (first at line {})",
                    first.line
                ),
            );
            continue;
        }
        out.push(FeedConfig {
            id: FeedId::from_source(&url),
            url,
            source,
            name,
            content,
            line: item.line,
            url_at: (url_node.line, url_node.column),
            enabled,
            avatar,
            homepage,
            lang,
            tags,
            max_entries,
            date_policy,
            future_dates,
            filters,
            quiet_after_days,
        });
    }
    out
}

fn feed_source(raw: &str, dir: &Path, node: &Node, problems: &mut Problems) -> Option<FeedSource> {
    let raw = raw.trim();
    if raw.is_empty() {
        problems.at(node, "feed `url` is empty");
        return None;
    }
    // `scheme:…` is a URL (`mailto:x` is rejected below, not read as a file);
    // a one-letter "scheme" is a Windows drive (`C:\feeds\a.xml`).
    let scheme_len = raw
        .find(':')
        .filter(|&i| {
            raw[..i]
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+.-".contains(c))
        })
        .unwrap_or(0);
    if scheme_len <= 1 {
        return Some(FeedSource::File(dir.join(raw)));
    }
    match Url::parse(raw) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => {
            Some(FeedSource::Http(url))
        }
        Ok(url) if url.scheme() == "file" => match url.to_file_path() {
            Ok(path) => Some(FeedSource::File(path)),
            Err(()) => {
                problems.at(node, format!("`{raw}` is not a usable file:// URL"));
                None
            }
        },
        Ok(url) => {
            problems.at(
                node,
                format!(
                    "unsupported URL scheme `{}` in `{raw}`: use http, https, file, or a path",
                    url.scheme()
                ),
            );
            None
        }
        Err(e) => {
            problems.at(node, format!("`{raw}` is not a valid URL: {e}"));
            None
        }
    }
}

fn base_url(node: &Node, problems: &mut Problems) -> Option<WebUrl> {
    let raw = text(node, problems)?;
    let with_slash = if raw.ends_with('/') {
        raw.clone()
    } else {
        format!("{raw}/")
    };
    match Url::parse(&with_slash) {
        Ok(url) => match WebUrl::from_url(&url) {
            Some(url) => Some(url),
            None => {
                problems.at(
                    node,
                    format!("`base_url` must be an http(s) URL, found `{raw}`"),
                );
                None
            }
        },
        Err(e) => {
            problems.at(node, format!("`base_url` `{raw}` is not a valid URL: {e}"));
            None
        }
    }
}

fn language(node: &Node, problems: &mut Problems) -> Option<String> {
    let raw = text(node, problems)?;
    let ok = !raw.is_empty()
        && raw.len() <= 35
        && raw
            .split('-')
            .all(|part| !part.is_empty() && part.chars().all(|c| c.is_ascii_alphanumeric()));
    if ok {
        Some(raw)
    } else {
        problems.at(
            node,
            format!("`lang` must be a language tag such as `en` or `ru`, found `{raw}`"),
        );
        None
    }
}

/// An e-mail address (`owner_email`): one `@`, no spaces or angle brackets.
fn email(node: &Node, problems: &mut Problems) -> Option<String> {
    let raw = text(node, problems)?;
    let trimmed = raw.trim();
    let ok = trimmed.split('@').count() == 2
        && trimmed.split('@').all(|part| !part.is_empty())
        && !trimmed.contains(|c: char| c.is_whitespace() || "<>\"(),;:".contains(c));
    if ok {
        Some(trimmed.to_string())
    } else {
        problems.at(
            node,
            format!(
                "`owner_email` must be an e-mail address such as `ann@example.org`, found `{raw}`"
            ),
        );
        None
    }
}

fn boolean(node: &Node, problems: &mut Problems) -> Option<bool> {
    match &node.value {
        Value::Bool(b) => Some(*b),
        other => {
            problems.at(
                node,
                format!("expected true or false, found {}", other.kind()),
            );
            None
        }
    }
}

/// An absolute http(s) URL (avatars, homepages).
fn web_url(node: &Node, problems: &mut Problems) -> Option<WebUrl> {
    let raw = text(node, problems)?;
    match WebUrl::parse(raw.trim(), None) {
        Some(url) => Some(url),
        None => {
            problems.at(
                node,
                format!("expected an absolute http(s) URL, found `{raw}`"),
            );
            None
        }
    }
}

/// A scalar read as text (numbers and booleans are accepted as written).
fn text(node: &Node, problems: &mut Problems) -> Option<String> {
    match &node.value {
        Value::Str(s) => Some(s.clone()),
        Value::Int(i) => Some(i.to_string()),
        Value::Float(f) => Some(f.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        other => {
            problems.at(node, format!("expected a string, found {}", other.kind()));
            None
        }
    }
}

fn count(node: &Node, min: u64, max: u64, problems: &mut Problems) -> Option<u64> {
    match &node.value {
        Value::Int(i) if (min as i128..=max as i128).contains(&(*i as i128)) => Some(*i as u64),
        Value::Int(i) => {
            problems.at(
                node,
                format!("expected a number from {min} to {max}, found {i}"),
            );
            None
        }
        other => {
            problems.at(
                node,
                format!("expected a whole number, found {}", other.kind()),
            );
            None
        }
    }
}

/// The keys of one mapping, handed out once each; whatever is left at
/// `finish` is reported as unknown, with a suggestion when one is close.
struct Fields<'a> {
    what: &'static str,
    known: &'static [&'static str],
    entries: Vec<(&'a Node, &'a Node, bool)>,
    map: &'a Node,
}

impl<'a> Fields<'a> {
    fn new(map: &'a Node, what: &'static str, known: &'static [&'static str]) -> Self {
        let entries = match &map.value {
            Value::Map(pairs) => pairs.iter().map(|(k, v)| (k, v, false)).collect(),
            _ => Vec::new(),
        };
        Fields {
            what,
            known,
            entries,
            map,
        }
    }

    fn optional(&mut self, key: &str) -> Option<&'a Node> {
        let slot = self
            .entries
            .iter_mut()
            .find(|(k, _, used)| !*used && k.value.as_str() == Some(key))?;
        slot.2 = true;
        match slot.1.value {
            Value::Null => None,
            _ => Some(slot.1),
        }
    }

    fn required(&mut self, key: &str, problems: &mut Problems) -> Option<&'a Node> {
        let found = self.optional(key);
        if found.is_none() {
            problems.at(
                self.map,
                format!("missing required key `{key}` in {}", self.what),
            );
        }
        found
    }

    fn finish(self, problems: &mut Problems) {
        for (key, _, used) in self.entries {
            if used {
                continue;
            }
            let name = key.value.as_str().unwrap_or("?");
            let message = match suggest(name, self.known) {
                Some(close) => format!(
                    "unknown key `{name}` in {} (did you mean `{close}`?)",
                    self.what
                ),
                None => format!(
                    "unknown key `{name}` in {} (expected one of: {})",
                    self.what,
                    self.known.join(", ")
                ),
            };
            problems.at(key, message);
        }
    }
}

/// The known key closest to a misspelt one, if any is close enough.
fn suggest(name: &str, known: &[&'static str]) -> Option<&'static str> {
    known
        .iter()
        .map(|k| (edit_distance(name, k), *k))
        .filter(|(d, k)| *d <= 2.max(k.len() / 4))
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// rustc-style: `path:line:col: message`, the line quoted, a caret under it.
fn render_problems(path: &Path, text: &str, problems: &[Problem]) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = format!(
        "{} has {} problem{}:",
        path.display(),
        problems.len(),
        if problems.len() == 1 { "" } else { "s" }
    );
    for p in problems {
        out.push_str(&format!(
            "\n{}:{}:{}: {}",
            path.display(),
            p.line,
            p.column,
            p.message
        ));
        if let Some(src) = (p.line as usize).checked_sub(1).and_then(|i| lines.get(i)) {
            let gutter = p.line.to_string();
            let pad = " ".repeat(gutter.len());
            let caret_at = (p.column as usize).saturating_sub(1);
            let indent: String = src
                .chars()
                .take(caret_at)
                .map(|c| if c == '\t' { '\t' } else { ' ' })
                .collect();
            out.push_str(&format!("\n{pad} |\n{gutter} | {src}\n{pad} | {indent}^"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entry::{DatePolicy, FutureDates};

    /// Whether a problem on `line` says `text` (of `(line, column, message)`).
    fn names(summary: &[(u64, u64, &str)], line: u64, text: &str) -> bool {
        summary
            .iter()
            .any(|(l, _, m)| *l == line && m.contains(text))
    }

    fn problems(yaml: &str) -> Vec<Problem> {
        match parse(yaml, Path::new("/planet/planet.yaml")) {
            Err(ConfigError::Invalid { problems, .. }) => problems,
            other => panic!("expected Invalid, got {other:?}"),
        }
    }

    #[test]
    fn filter_keys_are_accepted_planet_wide_and_per_feed() {
        for key in timeline::FILTER_KEYS {
            assert!(TOP_KEYS.contains(&key) && FEED_KEYS.contains(&key), "{key}");
        }
    }

    #[test]
    fn timeline_settings_are_parsed_and_checked() {
        let yaml = r#"title: P
base_url: https://p.example/
future_dates: drop
exclude: casino
retention:
  max_age_days: 30
blocklist:
  - url: https://x.example/bad
    reason: spam
feeds:
  - url: a.xml
    enabled: false
    date_policy: first_seen
    future_dates: hide_until_due
    max_entries: 3
    tags: [team, ru]
    avatar: https://a.example/me.png
    tags_exclude: [Ads]
"#;
        let cfg = parse(yaml, Path::new("/p/planet.yaml")).expect("valid");
        assert_eq!(cfg.future_dates, FutureDates::Drop);
        assert!(!cfg.filters.allows("Casino night", "", &[]));
        assert_eq!(
            cfg.retention,
            Retention {
                max_age_days: 30,
                min_per_feed: 10
            }
        );
        assert_eq!(cfg.blocklist[0].reason, "spam");
        let f = &cfg.feeds[0];
        assert!(!f.enabled);
        assert_eq!(
            (f.date_policy, f.future_dates, f.max_entries),
            (
                DatePolicy::FirstSeen,
                Some(FutureDates::HideUntilDue),
                Some(3)
            )
        );
        assert_eq!(f.tags, ["team", "ru"]);
        assert_eq!(f.filters.tags_exclude, ["ads"]);

        let found = problems(
            "title: P\nbase_url: https://p.example/\nfuture_dates: later\ninclude: '('\nblocklist:\n  - reason: x\nfeeds:\n  - url: a.xml\n    enabled: nope\n    avatar: me.png\n",
        );
        let lines: Vec<u64> = found.iter().map(|p| p.line).collect();
        assert_eq!(lines, [3, 4, 6, 9, 10], "{found:?}");
        assert!(
            found[1].message.contains("invalid regular expression"),
            "{found:?}"
        );
    }

    #[test]
    fn minimal_config_gets_defaults_and_absolute_paths() {
        let cfg = parse(
            "title: P\nbase_url: https://p.example.org\nfeeds:\n  - url: feeds/a.xml\n  - url: https://x.example/f\n    name: X\n",
            Path::new("/planet/planet.yaml"),
        )
        .expect("valid");
        assert_eq!(cfg.base_url.as_str(), "https://p.example.org/");
        assert_eq!(cfg.lang, "en");
        assert_eq!(cfg.entries_per_page, 20);
        assert_eq!(cfg.output_dir, PathBuf::from("/planet/output"));
        assert_eq!(cfg.state, PathBuf::from("/planet/.planetoid/state.db"));
        assert_eq!(
            cfg.feeds[0].source,
            FeedSource::File(PathBuf::from("/planet/feeds/a.xml"))
        );
        assert_eq!(cfg.feeds[1].name.as_deref(), Some("X"));
        assert_eq!(cfg.feeds[1].line, 5);
        assert_eq!(cfg.fetch, FetchConfig::default());
        assert_eq!(cfg.max_pages, Some(DEFAULT_MAX_PAGES));
        let uncapped = parse(
            "title: P\nbase_url: https://p.example\nmax_pages: 0\nfeeds: []\n",
            Path::new("/planet/planet.yaml"),
        )
        .expect("valid");
        assert_eq!(uncapped.max_pages, None, "0 removes the cap");
        assert_eq!(cfg.feeds[0].content, ContentMode::Full);
        assert_eq!(cfg.excerpt_words, 60);
        assert!(
            cfg.sanitize
                .iframe_hosts
                .contains(&"www.youtube-nocookie.com".to_string())
        );
    }

    #[test]
    fn listing_content_and_the_site_size_budget_are_read_and_checked() {
        let cfg = parse(
            "title: P\nbase_url: https://p.example/\nfeeds: []\n",
            Path::new("/p/planet.yaml"),
        )
        .expect("valid");
        assert_eq!(cfg.listing_content, ListingContent::Excerpt);
        assert_eq!(cfg.output.max_site_mb, 950);
        let cfg = parse(
            "title: P\nbase_url: https://p.example/\nlisting_content: full\noutput:\n  max_site_mb: 400\nfeeds: []\n",
            Path::new("/p/planet.yaml"),
        )
        .expect("valid");
        assert_eq!(cfg.listing_content, ListingContent::Full);
        assert_eq!(cfg.output.max_site_mb, 400);
        let found = problems(
            "title: P\nbase_url: https://p.example/\nlisting_content: summary\noutput:\n  max_site: 10\nfeeds: []\n",
        );
        let summary: Vec<(u64, u64, &str)> = found
            .iter()
            .map(|p| (p.line, p.column, p.message.as_str()))
            .collect();
        assert!(names(&summary, 3, "one of: excerpt, full"), "{summary:?}");
        assert!(names(&summary, 5, "max_site_mb"), "{summary:?}");
    }

    #[test]
    fn the_fetch_deadline_is_read_and_checked() {
        let cfg = parse(
            "title: P\nbase_url: https://p.example/\nfetch:\n  deadline_secs: 120\nfeeds: []\n",
            Path::new("/p/planet.yaml"),
        )
        .expect("valid");
        assert_eq!(cfg.fetch.deadline_secs, 120);
        assert_eq!(FetchConfig::default().deadline_secs, 600);
        let found = problems(
            "title: P\nbase_url: https://p.example/\nfetch:\n  deadline_secs: 0\n  deadline: 5\nfeeds: []\n",
        );
        let lines: Vec<u64> = found.iter().map(|p| p.line).collect();
        assert_eq!(lines, [4, 5], "{found:?}");
        assert!(
            found[0].message.contains("from 1 to 86400, found 0"),
            "{found:?}"
        );
        assert!(found[1].message.contains("deadline_secs"), "{found:?}");
    }

    #[test]
    fn content_modes_excerpts_and_iframe_hosts_are_read_and_checked() {
        let cfg = parse(
            "title: P\nbase_url: https://p.example/\nexcerpt_words: 25\nsanitize:\n  iframe_hosts: [Player.Vimeo.com]\nfeeds:\n  - url: a.xml\n    content: summary\n  - url: b.xml\n    content: title\n",
            Path::new("/p/planet.yaml"),
        )
        .expect("valid");
        assert_eq!(cfg.excerpt_words, 25);
        assert_eq!(cfg.sanitize.iframe_hosts, ["player.vimeo.com"]);
        assert_eq!(cfg.feeds[0].content, ContentMode::Summary);
        assert_eq!(cfg.feeds[1].content, ContentMode::Title);
        let empty = parse(
            "title: P\nbase_url: https://p.example/\nsanitize:\n  iframe_hosts: []\nfeeds: []\n",
            Path::new("/p/planet.yaml"),
        )
        .expect("valid");
        assert!(empty.sanitize.iframe_hosts.is_empty());

        let found = problems(
            "title: P\nbase_url: https://p.example/\nexcerpt_words: 0\nsanitize:\n  iframe_hosts: [https://www.youtube.com/embed]\n  iframe_host: 1\nfeeds:\n  - url: a.xml\n    content: everything\n",
        );
        let summary: Vec<(u64, u64, &str)> = found
            .iter()
            .map(|p| (p.line, p.column, p.message.as_str()))
            .collect();
        assert!(
            summary
                .iter()
                .any(|(l, c, m)| *l == 3 && *c == 16 && m.contains("from 1 to")),
            "{summary:?}"
        );
        assert!(
            summary
                .iter()
                .any(|(l, c, m)| *l == 5 && *c == 18 && m.contains("not a host name")),
            "{summary:?}"
        );
        assert!(
            summary
                .iter()
                .any(|(l, c, m)| *l == 6 && *c == 3 && m.contains("did you mean `iframe_hosts`")),
            "{summary:?}"
        );
        assert!(
            summary
                .iter()
                .any(|(l, c, m)| *l == 9 && *c == 14 && m.contains("full, summary, title")),
            "{summary:?}"
        );
    }

    #[test]
    fn all_problems_are_reported_at_once_with_positions() {
        let found = problems(
            "titel: P\nbase_url: ftp://x\nentries_per_page: many\nfeeds:\n  - url: https://a.example/f\n    nmae: A\n  - name: no url\n  - url: gopher://x/y\n",
        );
        let summary: Vec<(u64, u64, &str)> = found
            .iter()
            .map(|p| (p.line, p.column, p.message.as_str()))
            .collect();
        assert!(
            summary.iter().any(|(l, c, m)| *l == 1
                && *c == 1
                && m.contains("unknown key `titel`")
                && m.contains("did you mean `title`")),
            "{summary:?}"
        );
        assert!(
            summary
                .iter()
                .any(|(_, _, m)| m.contains("missing required key `title`")),
            "{summary:?}"
        );
        assert!(names(&summary, 2, "http(s)"), "{summary:?}");
        assert!(
            summary
                .iter()
                .any(|(l, c, m)| *l == 3 && *c == 19 && m.contains("whole number")),
            "{summary:?}"
        );
        assert!(
            summary
                .iter()
                .any(|(l, c, m)| *l == 6 && *c == 5 && m.contains("did you mean `name`")),
            "{summary:?}"
        );
        assert!(
            names(&summary, 7, "missing required key `url`"),
            "{summary:?}"
        );
        assert!(names(&summary, 8, "gopher"), "{summary:?}");
    }

    #[test]
    fn rendered_message_names_file_line_and_quotes_source() {
        let err = parse(
            "title: P\nbase_url: https://p.example/\nfeeds: []\nlang: [en]\n",
            Path::new("/x/planet.yaml"),
        )
        .expect_err("lang is a list");
        let text = err.to_string();
        assert!(
            text.contains("/x/planet.yaml:4:7: expected a string, found a list"),
            "{text}"
        );
        assert!(text.contains("4 | lang: [en]"), "{text}");
    }

    #[test]
    fn duplicate_feeds_and_yaml_syntax_errors_are_reported() {
        let found = problems(
            "title: P\nbase_url: https://p.example/\nfeeds:\n  - url: a.xml\n  - url: a.xml\n",
        );
        assert!(
            found
                .iter()
                .any(|p| p.line == 5 && p.message.contains("listed twice (first at line 4)")),
            "{found:?}"
        );
        let err = parse("title: [unclosed\n", Path::new("/x/planet.yaml")).expect_err("syntax");
        assert!(matches!(err, ConfigError::Syntax { .. }), "{err:?}");
        assert!(err.to_string().contains("planet.yaml"), "{err}");
    }
}
