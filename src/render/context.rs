//! The site-wide values templates receive: the planet, its subscriptions,
//! the navigation, the languages, the archive's months and the tags (an
//! entry's value is built in [`super::entries`], a health row in
//! [`super::health`], a pager in [`super::listing`]). Every struct here and
//! there is documented for theme authors in `themes/default/README.md`;
//! keep the two in step. Dates are localized (genitive months in dates,
//! standalone in month headings) and URLs are relative to the site root,
//! so templates only prefix `{{ root }}` and never compute anything.

use std::collections::HashMap;

use serde::Serialize;

use super::i18n::Translation;
use super::listing::{self, Listings};
use super::{FeedInfo, SiteInput};
use crate::config::Avatar;
use crate::entry::WebUrl;
use crate::sanitize::SafeHtml;

#[derive(Serialize, Clone)]
pub struct PlanetCtx<'a> {
    pub title: &'a str,
    /// Sanitized HTML (print with `safe`).
    pub description: Option<&'a str>,
    pub base_url: &'a str,
    pub lang: &'a str,
    /// For the Content-Security-Policy: where iframes may come from.
    pub csp_frame_src: &'a str,
    /// The UI language's own name ("Русский").
    pub language_name: &'a str,
    /// The build time and the timeline's size: on site-wide pages only
    /// (timeline, archive index, tags, health, extra pages), so the other
    /// pages stay unchanged while their entries do.
    pub generated_iso: Option<String>,
    pub generated: Option<String>,
    pub entry_count: Option<usize>,
    /// The header has a search box and the site a search page.
    pub search: bool,
    pub owner_name: Option<&'a str>,
    pub owner_email: Option<&'a str>,
}

/// One item of the site navigation.
#[derive(Serialize)]
pub struct NavCtx {
    /// Compared with the page's `section` to mark the current item.
    pub id: String,
    pub label: String,
    pub url: String,
}

#[derive(Serialize, Clone)]
pub struct FeedCtx<'a> {
    /// The subscription this is the value of (not shown to templates).
    #[serde(skip)]
    pub info: &'a FeedInfo,
    pub id: &'a str,
    pub name: &'a str,
    /// The subscribed URL as written in planet.yaml (text to show).
    pub url: &'a str,
    /// The subscribed URL when it is a web address (not a local file): the
    /// one to link.
    pub feed_url: Option<&'a WebUrl>,
    /// `feed_url` is set, as a flag.
    pub url_is_web: bool,
    pub site_url: Option<&'a WebUrl>,
    /// The feed's own pages, relative to the root (they link to the
    /// member's own feed, `url`; planetoid writes no per-feed Atom feed).
    pub page: String,
    pub avatar: Option<&'a str>,
    /// True when `avatar` is a web address; else it is relative to the root.
    pub avatar_is_web: bool,
    pub status: &'a str,
    pub status_label: String,
    pub language: Option<&'a str>,
    pub latest_post: Option<String>,
    pub latest_post_iso: Option<String>,
    pub entry_count: usize,
}

#[derive(Serialize)]
pub struct LanguageCtx {
    pub code: String,
    pub name: String,
    pub url: String,
    pub count: usize,
}

#[derive(Serialize)]
pub struct TagCtx {
    pub name: String,
    pub url: String,
    pub count: usize,
}

#[derive(Serialize)]
pub struct MonthCtx {
    pub heading: String,
    pub name: String,
    pub url: String,
    pub count: usize,
}

#[derive(Serialize)]
pub struct YearCtx {
    pub year: i32,
    pub months: Vec<MonthCtx>,
}

pub fn planet<'a>(t: &'a Translation, input: &'a SiteInput) -> PlanetCtx<'a> {
    PlanetCtx {
        title: &input.planet.title,
        description: input.planet.description.as_ref().map(SafeHtml::as_str),
        base_url: input.planet.base_url.as_str(),
        lang: &input.planet.lang,
        csp_frame_src: &input.planet.csp_frame_src,
        language_name: &t.name,
        generated_iso: Some(input.now.to_rfc3339()),
        generated: Some(t.date(input.now)),
        entry_count: Some(input.entries.len()),
        search: input.planet.search,
        owner_name: input.planet.owner_name.as_deref(),
        owner_email: input.planet.owner_email.as_deref(),
    }
}

pub fn feeds<'a>(t: &Translation, input: &'a SiteInput, listings: &Listings) -> Vec<FeedCtx<'a>> {
    input
        .feeds
        .iter()
        .map(|f| {
            let mine = listings.per_feed.get(&f.id).map_or(&[][..], Vec::as_slice);
            // The timeline is newest first: a feed's first entry is its latest.
            let latest = mine.first().map(|&i| input.entries[i].display_date());
            let dir = listing::feed_dir(&f.id);
            FeedCtx {
                info: f,
                id: f.id.as_str(),
                name: &f.name,
                url: &f.url,
                feed_url: f.feed_url.as_ref(),
                url_is_web: f.feed_url.is_some(),
                site_url: f.site_url.as_ref(),
                page: dir,
                avatar: f.avatar.as_ref().map(Avatar::src),
                avatar_is_web: matches!(f.avatar, Some(Avatar::Url(_))),
                status: f.status.as_str(),
                status_label: t.text(&format!("status_{}", f.status)),
                language: f.language.as_deref(),
                latest_post: latest.map(|d| t.date(d)),
                latest_post_iso: latest.map(|d| d.to_rfc3339()),
                entry_count: mine.len(),
            }
        })
        .collect()
}

pub fn nav(t: &Translation, input: &SiteInput, listings: &Listings) -> Vec<NavCtx> {
    let item = |id: &str, key: &str, url: &str| NavCtx {
        id: id.to_string(),
        label: t.text(key),
        url: url.to_string(),
    };
    let mut out = vec![
        item("home", "nav_home", ""),
        item("archive", "nav_archive", "archive/"),
    ];
    if !listings.tags.is_empty() {
        out.push(item("tags", "nav_tags", "tags/"));
    }
    out.push(item("health", "nav_health", "health/"));
    for page in &input.extra_pages {
        out.push(NavCtx {
            id: format!("page-{}", page.slug),
            label: page.title.clone(),
            url: format!("pages/{}/", page.slug),
        });
    }
    out
}

pub fn languages(t: &Translation, listings: &Listings) -> Vec<LanguageCtx> {
    listings
        .languages
        .iter()
        .map(|(code, count)| LanguageCtx {
            code: code.clone(),
            name: t.language_name(code),
            url: listing::language_dir(code),
            count: *count,
        })
        .collect()
}

pub fn archive(t: &Translation, listings: &Listings) -> Vec<YearCtx> {
    let mut years: Vec<YearCtx> = Vec::new();
    for &(year, month, count) in &listings.months {
        let ctx = MonthCtx {
            heading: t.month(year, month),
            name: t.month_name(month),
            url: listing::month_dir(year, month),
            count,
        };
        match years.last_mut() {
            Some(y) if y.year == year => y.months.push(ctx),
            _ => years.push(YearCtx {
                year,
                months: vec![ctx],
            }),
        }
    }
    years
}

pub fn tags(listings: &Listings) -> Vec<TagCtx> {
    let mut tags: Vec<TagCtx> = listings
        .tags
        .iter()
        .map(|tag| TagCtx {
            name: tag.name.clone(),
            url: listing::tag_dir(&tag.slug),
            count: tag.count,
        })
        .collect();
    tags.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.name.cmp(&b.name)));
    tags
}

/// Each tag's number of entries, by slug.
pub fn tag_counts(listings: &Listings) -> HashMap<&str, usize> {
    listings
        .tags
        .iter()
        .map(|tag| (tag.slug.as_str(), tag.count))
        .collect()
}
