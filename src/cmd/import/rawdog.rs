//! rawdog's `config` → [`Imported`].
//!
//! One directive a line (`maxarticles 200`, `# comment`); a subscription is
//! `feed PERIOD URL`, its options either on the same line as `key=value` or
//! on the indented lines after it as `key value`. `define_name` becomes the
//! feed's `name` (HTML entities decoded) and `define_face` its `avatar`;
//! `include FILE` is read in place (relative to the including file). The
//! fetch period has no equivalent: planetoid fetches every feed each build.

use std::path::Path;

use super::{Context, Imported, Tally, display_name};
use crate::cmd::planet_edit::{NewFeed, Scalar};

fn advice(key: &str) -> &'static str {
    match key {
        "feed period" | "newfeedperiod" => {
            "planetoid fetches every feed on each build: schedule the build (the CI workflow's cron)"
        }
        "template" | "itemtemplate" | "feedlisttemplate" | "feeditemtemplate" | "outputfile" => {
            "planetoid renders with its Tera theme: override its files in `theme_dir`"
        }
        "dayformat" | "timeformat" | "datetimeformat" => {
            "dates are formatted for the site's `lang`; reword with `strings:`"
        }
        "daysections" | "timesections" | "showfeeds" | "sortfeeds" | "sortbyfeeddate" => {
            "the theme groups entries by day and lists the feeds in the sidebar"
        }
        "statedir" | "splitstate" | "useids" | "changeconfig" | "plugindirs" | "userefresh" => {
            "rawdog internals: planetoid keeps its state in `state:`"
        }
        "hideduplicates" | "allowduplicates" => {
            "planetoid shows a post carried by several feeds once"
        }
        "user" | "password" | "proxy" | "proxyuser" | "proxypassword" => {
            "planetoid does not send credentials or use a per-feed proxy"
        }
        "tidyhtml" | "blocklevelhtml" | "format" => "planetoid sanitizes every post's HTML itself",
        "maxage" => {
            "rawdog hides older articles; planetoid keeps them for `retention.max_age_days` (rawdog's expireage) and pages them"
        }
        "id" => "planetoid names a feed by its URL",
        _ => "no planetoid equivalent (see planet.yaml's keys in the README)",
    }
}

pub(super) fn read(text: &str, ctx: &Context) -> Imported {
    let mut out = Imported::default();
    read_into(text, &ctx.file, ctx, &mut out, 0);
    out
}

fn read_into(text: &str, file: &Path, ctx: &Context, out: &mut Imported, depth: usize) {
    let mut feed: Option<NewFeed> = None;
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let trimmed = raw.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let indented = raw.starts_with([' ', '\t']);
        if indented && let Some(current) = feed.as_mut() {
            let (key, value) = trimmed
                .split_once(char::is_whitespace)
                .map_or((trimmed, ""), |(k, v)| (k, v.trim()));
            feed_option(current, key, value, ctx, line, &mut out.tally);
            continue;
        }
        if let Some(done) = feed.take() {
            out.feeds.push(done);
        }
        let (directive, rest) = trimmed
            .split_once(char::is_whitespace)
            .map_or((trimmed, ""), |(k, v)| (k, v.trim()));
        match directive {
            "feed" => {
                let mut words = rest.split_whitespace();
                let (Some(_period), Some(url)) = (words.next(), words.next()) else {
                    out.tally.note(
                        file,
                        line,
                        "`feed` needs a period and a URL (`feed 3h https://…`); skipped",
                    );
                    continue;
                };
                out.tally.unmapped("feed period", advice("feed period"));
                let mut new = NewFeed::new(url);
                for option in words {
                    match option.split_once('=') {
                        Some((k, v)) => feed_option(&mut new, k, v, ctx, line, &mut out.tally),
                        None => out.tally.note(
                            file,
                            line,
                            format!("`{option}` after the feed URL is not `key=value`; ignored"),
                        ),
                    }
                }
                feed = Some(new);
            }
            "include" => {
                let path = file.parent().unwrap_or(Path::new(".")).join(rest);
                match std::fs::read(&path) {
                    Ok(bytes) if depth < 8 => {
                        let text = crate::decode::decode(&bytes, None, None).text;
                        read_into(&text, &path, ctx, out, depth + 1);
                        out.tally.mapped("include → read in place");
                    }
                    Ok(_) => {
                        out.tally
                            .note(file, line, "includes nested more than 8 deep; skipped")
                    }
                    Err(e) => out.tally.note(
                        file,
                        line,
                        format!("cannot read included {}: {e}", path.display()),
                    ),
                }
            }
            _ if let Some((key, range)) = number_setting(directive) => setting(
                out,
                key,
                rest.trim()
                    .parse::<u64>()
                    .ok()
                    .filter(|n| range.contains(n)),
                directive,
                file,
                line,
                rest,
            ),
            "timeout" => setting(
                out,
                "fetch.timeout_secs",
                seconds(rest).map(|s| s.clamp(1, 3600)),
                directive,
                file,
                line,
                rest,
            ),
            "expireage" => setting(
                out,
                "retention.max_age_days",
                seconds(rest).map(|s| s.div_ceil(86_400).max(1)),
                directive,
                file,
                line,
                rest,
            ),
            "define_title" | "define_pagetitle" => {
                out.title = Some(display_name(rest));
                out.tally.mapped(format!("{directive} → title"));
            }
            other => out.tally.unmapped(other.to_string(), advice(other)),
        }
    }
    if let Some(done) = feed {
        out.feeds.push(done);
    }
}

/// rawdog's numeric directives with a planet.yaml setting, and its range.
fn number_setting(directive: &str) -> Option<(&'static str, std::ops::RangeInclusive<u64>)> {
    match directive {
        "maxarticles" => Some(("entries_per_page", 1..=10_000)),
        "keepmin" => Some(("retention.min_per_feed", 0..=100_000)),
        "numthreads" => Some(("fetch.concurrency", 1..=1024)),
        _ => None,
    }
}

fn setting(
    out: &mut Imported,
    key: &str,
    value: Option<u64>,
    directive: &str,
    file: &Path,
    line: usize,
    raw: &str,
) {
    match value {
        Some(n) => {
            out.settings.push((key.to_string(), Scalar::Int(n)));
            out.tally.mapped(format!("{directive} → {key}"));
        }
        None => out.tally.note(
            file,
            line,
            format!("`{directive} {raw}` is not a usable number; not imported"),
        ),
    }
}

fn feed_option(
    feed: &mut NewFeed,
    key: &str,
    value: &str,
    ctx: &Context,
    line: usize,
    tally: &mut Tally,
) {
    match key {
        "define_name" => {
            let name = display_name(value);
            if crate::parse::decode_entities(value) != value {
                tally.mapped("define_name → name (HTML entities decoded)");
            } else {
                tally.mapped("define_name → name");
            }
            feed.set("name", Scalar::Str(name));
        }
        "define_face" | "define_avatar" => {
            if let Some(avatar) = ctx.avatar(value, line, tally) {
                feed.set("avatar", Scalar::Str(avatar));
                tally.mapped(format!("{key} → avatar"));
            }
        }
        "define_link" | "define_url" | "define_homepage" => {
            feed.set("homepage", Scalar::Str(value.to_string()));
            tally.mapped(format!("{key} → homepage"));
        }
        "define_lang" | "define_language" => match super::language_code(value) {
            Some(code) => {
                feed.set("lang", Scalar::Str(code));
                tally.mapped(format!("{key} → lang"));
            }
            None => tally.unmapped(
                format!("{key} (not a language code)"),
                "no planetoid equivalent",
            ),
        },
        other if other.starts_with("define_") => tally.unmapped(
            other.to_string(),
            "a template variable: planetoid feeds have no custom fields",
        ),
        other => tally.unmapped(other.to_string(), advice(other)),
    }
}

/// rawdog's time spans: a number with `s`, `m`, `h`, `d` or `w`; a bare
/// number is minutes.
fn seconds(raw: &str) -> Option<u64> {
    let raw = raw.trim();
    let (digits, unit) = raw.split_at(raw.find(|c: char| !c.is_ascii_digit()).unwrap_or(raw.len()));
    let n: u64 = digits.parse().ok()?;
    let factor = match unit.trim() {
        "s" => 1,
        "" | "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 7 * 86_400,
        _ => return None,
    };
    n.checked_mul(factor)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_spans_follow_rawdog() {
        assert_eq!(seconds("30"), Some(1800));
        assert_eq!(seconds("30s"), Some(30));
        assert_eq!(seconds("3h"), Some(10_800));
        assert_eq!(seconds("2w"), Some(1_209_600));
        assert_eq!(seconds("soon"), None);
    }
}
