//! Pluto's `planet.ini` → [`Imported`].
//!
//! Top-level keys (before any section) are the planet's (`title`); every
//! section with a `feed` key is a subscription: `title` → `name` (HTML
//! entities decoded), `feed` → `url`, `link` → `homepage`, `avatar` →
//! `avatar` (found next to the file or in `hackergotchi/`, `avatars/`, …),
//! and `location` → `lang` when it is a language code. Keys are indented
//! freely under their section ([`Dialect::Indented`]).

use super::ini::{Dialect, Ini};
use super::{Context, Imported, display_name, language_code};
use crate::cmd::planet_edit::{NewFeed, Scalar};

fn advice(key: &str) -> &'static str {
    match key {
        "location" => {
            "not a language code: planetoid has no place for a location (a tag could carry it)"
        }
        "github" | "twitter" | "mastodon" | "email" | "author" | "irc" | "nick" => {
            "contact details for Pluto templates: planetoid feeds have no custom fields"
        }
        "source" | "theme" | "template" => {
            "planetoid renders with its Tera theme: override its files in `theme_dir`"
        }
        _ => "no planetoid equivalent (see planet.yaml's keys in the README)",
    }
}

pub(super) fn read(text: &str, ctx: &Context) -> Imported {
    let ini = Ini::parse(text, Dialect::Indented);
    let mut out = Imported::default();
    super::note_junk(&ini.junk, ctx, &mut out.tally);
    for section in &ini.sections {
        let value = |key: &str| {
            section
                .items
                .iter()
                .find(|i| i.key == key)
                .map(|i| (display_name(i.value.trim()), i.line))
        };
        let Some((url, _)) = value("feed") else {
            if section.name.is_empty() || section.name.eq_ignore_ascii_case("planet") {
                for item in &section.items {
                    match item.key.as_str() {
                        "title" | "name" => {
                            out.title = Some(display_name(item.value.trim()));
                            out.tally.mapped(format!("planet {} → title", item.key));
                        }
                        "link" | "url" => {
                            out.base_url = Some(item.value.trim().to_string());
                            out.tally.mapped(format!("planet {} → base_url", item.key));
                        }
                        "owner_name" | "owner_email" => {
                            out.settings.push((
                                item.key.clone(),
                                Scalar::Str(display_name(item.value.trim())),
                            ));
                            out.tally.mapped(format!("planet {0} → {0}", item.key));
                        }
                        other => out.tally.unmapped(format!("planet {other}"), advice(other)),
                    }
                }
            } else {
                out.tally.note(
                    &ctx.file,
                    section.line,
                    format!(
                        "[{}] has no `feed` key: not a subscription, skipped",
                        section.name
                    ),
                );
            }
            continue;
        };
        let mut feed = NewFeed::new(url);
        for item in &section.items {
            let value = item.value.trim();
            match item.key.as_str() {
                "feed" => {}
                "title" | "name" => {
                    let name = display_name(value);
                    if crate::parse::decode_entities(value) != value {
                        out.tally
                            .mapped(format!("{} → name (HTML entities decoded)", item.key));
                    } else {
                        out.tally.mapped(format!("{} → name", item.key));
                    }
                    feed.set("name", Scalar::Str(name));
                }
                "link" => {
                    feed.set("homepage", Scalar::Str(value.to_string()));
                    out.tally.mapped("link → homepage");
                }
                "avatar" => {
                    if let Some(avatar) = ctx.avatar(value, item.line, &mut out.tally) {
                        feed.set("avatar", Scalar::Str(avatar));
                        out.tally.mapped("avatar → avatar");
                    }
                }
                "location" | "lang" | "language" => match language_code(value) {
                    Some(code) => {
                        feed.set("lang", Scalar::Str(code));
                        out.tally.mapped(format!("{} → lang", item.key));
                    }
                    None => out.tally.unmapped(
                        format!("{} (not a language code)", item.key),
                        advice("location"),
                    ),
                },
                other => out.tally.unmapped(other.to_string(), advice(other)),
            }
        }
        out.feeds.push(feed);
    }
    out
}
