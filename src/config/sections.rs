//! The planet-wide sections of planet.yaml that are mappings or choices of
//! their own: `fetch:` (network limits), `sanitize:` (iframe hosts),
//! `output:` (the site size budget) and `listing_content:`, each read into
//! its model type with the defaults filled in for what is not set.

use super::diagnostics::Problems;
use super::fields::{choice, count, section, text};
use super::model::{FetchConfig, ListingContent, OutputConfig, SanitizeConfig};
use super::yaml::{Node, Value};

const FETCH_KEYS: &[&str] = &[
    "concurrency",
    "per_host",
    "timeout_secs",
    "deadline_secs",
    "retries",
    "max_body_mb",
    "user_agent",
];
const SANITIZE_KEYS: &[&str] = &["iframe_hosts"];
const OUTPUT_KEYS: &[&str] = &["max_site_mb"];

/// `listing_content:`: `excerpt` or `full`.
pub(super) fn listing_content(node: &Node, problems: &mut Problems) -> Option<ListingContent> {
    let options = [
        ("excerpt", ListingContent::Excerpt),
        ("full", ListingContent::Full),
    ];
    choice(node, "listing_content", &options, problems)
}

/// `output:`: the site size budget.
pub(super) fn output_config(node: &Node, problems: &mut Problems) -> OutputConfig {
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

/// `fetch:`: the network limits, each within its bounds.
pub(super) fn fetch_config(node: &Node, problems: &mut Problems) -> FetchConfig {
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

/// `sanitize:`: the hosts whose iframes are kept.
pub(super) fn sanitize_config(node: &Node, problems: &mut Problems) -> SanitizeConfig {
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
