//! Planet 2.0 / Planet Venus `config.ini` → [`Imported`].
//!
//! `[Planet]` holds the planet's settings; every section named by a URL is
//! a subscription; `[DEFAULT]` is inherited by all of them (ConfigParser
//! rules, see [`super::ini`]). Planet-level `filter`, `exclude`,
//! `future_dates` and `ignore_in_feed` are planet-wide defaults in Venus and
//! become planet-wide (or every feed's) settings here. Sections named by a
//! template file (`[index.html.tmpl]`) are template settings and are listed
//! as not mapped, like every key without a planetoid equivalent.

use super::ini::{Dialect, Ini, Section};
use super::{Context, Imported, Tally, display_name, number};
use crate::cmd::planet_edit::{NewFeed, Scalar};

/// What to say about the `[Planet]` keys planetoid has no place for.
fn planet_advice(key: &str) -> &'static str {
    match key {
        "cache_directory" | "http_cache_directory" => {
            "planetoid keeps what it fetched in its store (`state:`, default .planetoid/state.db); no cache folder is needed"
        }
        "log_level" | "log_format" => "use `-q` or `-v` on the command line",
        "template_files" | "template_directories" | "output_theme" | "theme" => {
            "planetoid renders with its Tera theme: override its files in `theme_dir` (see the theme README)"
        }
        "bill_of_materials" => "put static files in `theme_dir`/static/",
        "output_dir" => {
            "planetoid writes the site to `output_dir` (default output/); set it by hand if it must stay where it was"
        }
        "days_per_page" => "pages hold `entries_per_page` entries, grouped by day",
        "date_format" | "new_date_format" | "locale" => {
            "dates are formatted for the site's `lang`; reword with `strings:`"
        }
        "encoding" => "planetoid writes UTF-8",
        "filters" | "filter_directory" => {
            "filter plugins do not carry over: use include/exclude, tags_include/tags_exclude or the blocklist"
        }
        "activity_threshold" => {
            "the health page and `planetoid check --probe` show quiet and failing feeds"
        }
        "feed_type" | "generator" | "generator_uri" => {
            "planetoid writes Atom, RSS, JSON Feed and OPML itself"
        }
        "owner_uri" | "link_uri" => "no planetoid equivalent; mention it in `description:`",
        _ => "no planetoid equivalent (see planet.yaml's keys in the README)",
    }
}

/// What to say about the per-feed keys planetoid has no place for.
fn feed_advice(key: &str) -> &'static str {
    match key {
        "facewidth" | "faceheight" => "the theme sizes avatars (CSS `.avatar`)",
        "ignore_in_feed" => "only `updated` has an equivalent (date_policy: first_seen)",
        "filters" => "filter plugins do not carry over: use the feed's include/exclude",
        _ => {
            "a variable for Venus templates: planetoid feeds have no custom fields (put it in `name` or `tags` if it matters)"
        }
    }
}

pub(super) fn read(text: &str, ctx: &Context) -> Imported {
    let ini = Ini::parse(text, Dialect::Python);
    let mut out = Imported::default();
    super::note_junk(&ini.junk, ctx, &mut out.tally);
    let mut per_feed: Vec<(&'static str, Scalar, &'static str)> = Vec::new();
    // [DEFAULT] keys without a meaning of their own are reported once here;
    // the ones that are feed or planet keys are applied where inherited.
    for item in &ini.defaults {
        if is_feed_key(&item.key) || is_planet_key(&item.key) || item.key == "name" {
            continue;
        }
        let pattern = format!("%({})s", item.key);
        let interpolated = ini
            .sections
            .iter()
            .flat_map(|s| &s.items)
            .chain(&ini.defaults)
            .any(|i| i.value.to_lowercase().contains(&pattern));
        let advice = if interpolated {
            "used for `%(…)s` interpolation (expanded on import)"
        } else {
            feed_advice(&item.key)
        };
        out.tally
            .unmapped(format!("[DEFAULT] {}", item.key), advice);
    }
    if let Some(planet) = ini.section("Planet") {
        planet_settings(&ini, planet, ctx, &mut out, &mut per_feed);
    } else {
        out.tally.note(
            &ctx.file,
            1,
            "no [Planet] section: the planet's settings are left as they are",
        );
    }
    for section in &ini.sections {
        if section.name == "Planet" {
            continue;
        }
        if !section.name.contains("://") {
            out.tally.unmapped(
                format!("[{}]", section.name),
                "template settings: planetoid's theme is configured in its templates and `strings:`",
            );
            continue;
        }
        if let Some(Ok(kind)) = ini.get(section, "content_type")
            && kind.trim() != "rss"
            && kind.trim() != "atom"
        {
            out.tally.unmapped(
                format!("content_type = {}", kind.trim()),
                "a subscription list, not a feed: download it and use `planetoid opml import` (OPML), or add its feeds by hand",
            );
            continue;
        }
        let mut feed = NewFeed::new(section.name.trim());
        for (item, inherited) in ini.keys(section) {
            if is_feed_key(&item.key) {
                apply_feed_key(
                    &ini,
                    section,
                    &item.key,
                    item.line,
                    ctx,
                    &mut feed,
                    &mut out.tally,
                );
            } else if !inherited {
                out.tally.unmapped(item.key.clone(), feed_advice(&item.key));
            }
        }
        for (key, value, what) in &per_feed {
            if feed.get(key).is_none() {
                feed.set(key, value.clone());
                out.tally.mapped(*what);
            }
        }
        out.feeds.push(feed);
    }
    out
}

const FEED_KEYS: &[&str] = &[
    "name",
    "face",
    "filter",
    "exclude",
    "future_dates",
    "ignore_in_feed",
    "new_feed_items",
];

fn is_feed_key(key: &str) -> bool {
    FEED_KEYS.contains(&key)
}

/// `[Planet]` keys with a planetoid equivalent (`name` aside: it is a feed
/// key too).
fn is_planet_key(key: &str) -> bool {
    matches!(
        key,
        "owner_name"
            | "owner_email"
            | "link"
            | "items_per_page"
            | "feed_timeout"
            | "spider_threads"
    )
}

fn planet_settings(
    ini: &Ini,
    planet: &Section,
    ctx: &Context,
    out: &mut Imported,
    per_feed: &mut Vec<(&'static str, Scalar, &'static str)>,
) {
    for (item, inherited) in ini.keys(planet) {
        let value = match ini.get(planet, &item.key) {
            Some(Ok(v)) => v,
            Some(Err(e)) => {
                out.tally.note(
                    &ctx.file,
                    e.line,
                    format!("{}; `{}` not imported", e.message, item.key),
                );
                continue;
            }
            None => continue,
        };
        let value = value.trim().to_string();
        let key = item.key.as_str();
        let mut setting = |name: &str, v: Scalar, tally: &mut Tally| {
            out.settings.push((name.to_string(), v));
            tally.mapped(format!("[Planet] {key} → {name}"));
        };
        match key {
            "name" => {
                out.title = Some(display_name(&value));
                out.tally.mapped("[Planet] name → title");
            }
            "link" => {
                out.base_url = Some(value);
                out.tally.mapped("[Planet] link → base_url");
            }
            "owner_name" => setting("owner_name", Scalar::Str(display_name(&value)), &mut out.tally),
            "owner_email" => setting("owner_email", Scalar::Str(value), &mut out.tally),
            "items_per_page" => {
                if let Some(n) = number(&value, (1, 10_000), ctx, item.line, key, &mut out.tally) {
                    setting("entries_per_page", Scalar::Int(n), &mut out.tally);
                }
            }
            "feed_timeout" => {
                if let Some(n) = number(&value, (1, 3600), ctx, item.line, key, &mut out.tally) {
                    setting("fetch.timeout_secs", Scalar::Int(n), &mut out.tally);
                }
            }
            "spider_threads" => {
                if let Some(n) = number(&value, (1, 1024), ctx, item.line, key, &mut out.tally) {
                    setting("fetch.concurrency", Scalar::Int(n), &mut out.tally);
                }
            }
            "filter" => setting("include", Scalar::Str(value), &mut out.tally),
            "exclude" => setting("exclude", Scalar::Str(value), &mut out.tally),
            "future_dates" => match future_dates(&value) {
                Some(v) => setting("future_dates", Scalar::Str(v.into()), &mut out.tally),
                None => out.tally.note(&ctx.file, item.line, format!("future_dates = {value}: expected keep, ignore_date or ignore_entry; not imported")),
            },
            "new_feed_items" => {
                if let Some(n) = number(&value, (1, 100_000), ctx, item.line, key, &mut out.tally) {
                    per_feed.push((
                        "max_entries",
                        Scalar::Int(n),
                        "[Planet] new_feed_items → max_entries of every feed (nearest equivalent: a permanent cap on the feed's newest entries shown, not only on a new feed's first fetch)",
                    ));
                }
            }
            "ignore_in_feed" => {
                if value.split_whitespace().any(|w| w == "updated") {
                    per_feed.push((
                        "date_policy",
                        Scalar::Str("first_seen".into()),
                        "[Planet] ignore_in_feed = updated → date_policy: first_seen of every feed",
                    ));
                }
                for other in value.split_whitespace().filter(|w| *w != "updated") {
                    out.tally.unmapped(format!("ignore_in_feed = {other}"), feed_advice("ignore_in_feed"));
                }
            }
            _ if inherited => {} // reported with [DEFAULT]
            _ => out.tally.unmapped(format!("[Planet] {key}"), planet_advice(key)),
        }
    }
}

fn apply_feed_key(
    ini: &Ini,
    section: &Section,
    key: &str,
    line: usize,
    ctx: &Context,
    feed: &mut NewFeed,
    tally: &mut Tally,
) {
    let value = match ini.get(section, key) {
        Some(Ok(v)) => v.trim().to_string(),
        Some(Err(e)) => {
            tally.note(
                &ctx.file,
                e.line,
                format!("{}; `{key}` not imported", e.message),
            );
            return;
        }
        None => return,
    };
    if value.is_empty() {
        return;
    }
    match key {
        "name" => {
            let name = display_name(&value);
            if crate::parse::decode_entities(&value) != *value {
                tally.mapped("name → name (HTML entities decoded)");
            } else {
                tally.mapped("name → name");
            }
            feed.set("name", Scalar::Str(name));
        }
        "face" => {
            if let Some(avatar) = ctx.avatar(&value, line, tally) {
                feed.set("avatar", Scalar::Str(avatar));
                tally.mapped("face → avatar");
            }
        }
        "filter" => {
            feed.set("include", Scalar::Str(value));
            tally.mapped("filter → include");
        }
        "exclude" => {
            feed.set("exclude", Scalar::Str(value));
            tally.mapped("exclude → exclude");
        }
        "future_dates" => match future_dates(&value) {
            Some(v) => {
                feed.set("future_dates", Scalar::Str(v.into()));
                tally.mapped(format!("future_dates = {value} → future_dates: {v}"));
            }
            None => tally.note(
                &ctx.file,
                line,
                format!("future_dates = {value}: expected keep, ignore_date or ignore_entry; not imported"),
            ),
        },
        "ignore_in_feed" => {
            for word in value.split_whitespace() {
                if word == "updated" {
                    feed.set("date_policy", Scalar::Str("first_seen".into()));
                    tally.mapped("ignore_in_feed = updated → date_policy: first_seen");
                } else {
                    tally.unmapped(format!("ignore_in_feed = {word}"), feed_advice("ignore_in_feed"));
                }
            }
        }
        "new_feed_items" => {
            if let Some(n) = number(&value, (1, 100_000), ctx, line, key, tally) {
                feed.set("max_entries", Scalar::Int(n));
                tally.mapped("new_feed_items → max_entries (nearest equivalent: a permanent cap)");
            }
        }
        _ => {}
    }
}

/// Venus's `future_dates` → planetoid's: `ignore_date` places the entry at
/// the time it is seen (clamp), `ignore_entry` drops it, `keep` keeps its
/// date (planetoid then shows it once that date has come).
fn future_dates(value: &str) -> Option<&'static str> {
    match value.trim() {
        "keep" => Some("hide_until_due"),
        "ignore_date" => Some("clamp"),
        "ignore_entry" => Some("drop"),
        _ => None,
    }
}
