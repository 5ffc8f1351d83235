//! The pre-pass: fixes what ammonia cannot know about, in one streaming pass
//! over the raw post. It removes elements whose contents must never become
//! text (including MathJax v2/v3 and KaTeX *renderings*, whose text is letter
//! soup and whose styles leak as CSS), keeps TeX source as text
//! (`<script type="math/tex">` → `\(…\)`, `mode=display` → `\[…\]`),
//! restores lazy images (`data-src`, `data-lazy-src`, `data-original`,
//! `data-srcset`, `data-lazy-srcset`), removes 1×1 tracking pixels, resolves
//! `href`, `src`, `srcset`, `poster` and `cite` against the entry's base
//! (dropping every scheme but http, https and mailto), forces
//! `loading="lazy"` / `referrerpolicy="no-referrer"` on images and
//! `controls` on media, and keeps an iframe only when its https host is on the
//! allow-list (sandboxed); any other iframe becomes a plain link. Safety does
//! not depend on this pass: ammonia alone is safe, this pass is fidelity.
//!
//! This file holds the rules, written once against [`Element`]. Two engines
//! apply them and give the same bytes: [`stream`], our own rewriter for the
//! markup nearly every post is made of, and [`lol`] (lol_html) for the rest
//! (SVG and MathML, `<select>`, doctypes and bogus comments, malformed
//! tags). The stream gives up on the first thing it does not model, and
//! lol_html rewrites that post from the start.

mod lol;
mod stream;
#[cfg(test)]
mod tests;

use std::borrow::Cow;

use url::Url;

use super::escape;
use super::policy::{IFRAME_ALLOW, IFRAME_REFERRER, IFRAME_SANDBOX, iframe_src_allowed};

/// Where a post's relative URLs point and which iframe hosts are allowed.
#[derive(Clone, Copy)]
pub(super) struct Context<'c> {
    pub base: Option<&'c Url>,
    pub hosts: &'c [String],
}

/// Runs the pass: the stream when it models the whole post, else lol_html.
pub(super) fn run(html: &str, base: Option<&Url>, hosts: &[String]) -> String {
    let cx = Context { base, hosts };
    stream::rewrite(html, cx).unwrap_or_else(|| lol::rewrite(html, cx))
}

/// What the rules ask of an element, whichever engine found it. Attribute
/// names are matched ASCII case-insensitively and values are as written
/// (entities and all); the first of duplicate attributes is the one read
/// and set, and removing an attribute removes every copy.
pub(super) trait Element {
    fn attribute(&self, name: &str) -> Option<Cow<'_, str>>;
    /// Sets the first attribute of that name, or appends one.
    fn set_attribute(&mut self, name: &str, value: &str);
    fn remove_attribute(&mut self, name: &str);
    /// Removes the element with everything in it.
    fn remove(&mut self);
    /// Drops the tags but keeps the content, as escaped text, between
    /// `open` and `close`.
    fn unwrap_as_text(&mut self, open: &'static str, close: &'static str);
    /// Puts `html` where the element and its content were.
    fn replace_with_html(&mut self, html: &str);
    /// Keeps the tags, drops the content.
    fn empty(&mut self);
}

/// One selector of [`MATH_RENDERINGS`].
#[derive(Clone, Copy)]
pub(super) enum Mark {
    Class(&'static str),
    NameAndClass(&'static str, &'static str),
    Id(&'static str),
    Name(&'static str),
}

/// MathJax (v2 HTML-CSS, CommonHTML, SVG, NativeMML; v3 CHTML) and KaTeX
/// renderings. v2 keeps its TeX in a `math/tex` script beside them; v3 and
/// KaTeX keep a MathML copy (`mjx-assistive-mml`, `.katex-mathml`), which stays.
pub(super) const MATH_RENDERINGS: &[Mark] = &[
    Mark::Class("MathJax_Preview"),
    Mark::NameAndClass("span", "MathJax"),
    Mark::NameAndClass("div", "MathJax"),
    Mark::Class("MathJax_Display"),
    Mark::Class("MathJax_CHTML"),
    Mark::Class("mjx-chtml"),
    Mark::Class("MathJax_SVG"),
    Mark::Class("MathJax_SVG_Display"),
    Mark::Class("MathJax_SVG_Hidden"),
    Mark::Class("MathJax_MathML"),
    Mark::Class("MathJax_MathContainer"),
    Mark::Class("MJX_Assistive_MathML"),
    Mark::Class("MathJax_Hidden"),
    Mark::Id("MathJax_Message"),
    Mark::Id("MathJax_Hidden"),
    Mark::Id("MathJax_Font_Test"),
    Mark::Name("mjx-math"),
    Mark::Class("katex-html"),
];

/// A post without one of these strings has no math rendering: the engines
/// skip class and id matching for it.
pub(super) const MATH_HINTS: [&str; 4] = ["MathJax", "mjx", "MJX", "katex"];

pub(super) fn may_have_math(html: &str) -> bool {
    MATH_HINTS.iter().any(|mark| html.contains(mark))
}

/// Whether an element is a math rendering. `name` is lower case; `class`
/// and `id` are the first such attributes, as written. Classes are split on
/// ASCII whitespace and compared case-sensitively, as selectors are.
pub(super) fn is_math_rendering(name: &str, class: Option<&str>, id: Option<&str>) -> bool {
    let has_class = |wanted: &str| {
        class.is_some_and(|c| {
            c.split([' ', '\n', '\r', '\t', '\x0c'])
                .any(|token| token == wanted)
        })
    };
    MATH_RENDERINGS.iter().any(|mark| match *mark {
        Mark::Class(c) => has_class(c),
        Mark::NameAndClass(n, c) => name == n && has_class(c),
        Mark::Id(i) => id == Some(i),
        Mark::Name(n) => name == n,
    })
}

/// Hosts that serve nothing but tracking pixels.
const TRACKER_HOSTS: &[&str] = &[
    "pixel.wp.com",
    "stats.wordpress.com",
    "www.google-analytics.com",
    "pixel.quantserve.com",
];

/// Elements whose `href`/`src`/`poster`/`cite`/`srcset` the policy keeps.
pub(super) const URL_ELEMENTS: &[&str] = &[
    "a",
    "area",
    "img",
    "image",
    "video",
    "audio",
    "source",
    "track",
    "blockquote",
    "q",
    "del",
    "ins",
];

/// `<script>`: TeX source stays as delimited text, anything else goes.
pub(super) fn script(el: &mut impl Element) {
    let kind = el.attribute("type").unwrap_or_default();
    let kind = kind.trim().to_ascii_lowercase();
    if kind.starts_with("math/tex") {
        if kind.contains("mode=display") {
            el.unwrap_as_text("\\[", "\\]");
        } else {
            el.unwrap_as_text("\\(", "\\)");
        }
    } else {
        el.remove();
    }
}

/// `<img>`: the lazy source restored, tracking pixels removed, loading
/// made lazy and the referrer withheld.
pub(super) fn image(el: &mut impl Element, base: Option<&Url>) {
    restore_lazy(el);
    if is_tracking_pixel(el, base) {
        el.remove();
        return;
    }
    el.set_attribute("loading", "lazy");
    el.set_attribute("referrerpolicy", "no-referrer");
}

/// `<video>`, `<audio>`: controls shown, nothing fetched or played until
/// the reader asks.
pub(super) fn media(el: &mut impl Element) {
    el.set_attribute("controls", "");
    el.set_attribute("preload", "none");
    el.remove_attribute("autoplay");
}

/// Every URL attribute the policy keeps, resolved against `base` (or
/// removed when it is not an http, https or mailto URL).
pub(super) fn resolve_urls(el: &mut impl Element, base: Option<&Url>) {
    for name in ["href", "src", "poster", "cite"] {
        let resolved = el.attribute(name).map(|value| resolve(&value, base));
        match resolved {
            Some(Some(url)) => el.set_attribute(name, &escape(url.as_str())),
            Some(None) => el.remove_attribute(name),
            None => {}
        }
    }
    let resolved = el
        .attribute("srcset")
        .map(|value| resolve_srcset(&value, base));
    match resolved {
        Some(Some(set)) => el.set_attribute("srcset", &escape(&set)),
        Some(None) => el.remove_attribute("srcset"),
        None => {}
    }
}

/// Allowed hosts keep a sandboxed, lazy iframe (http upgraded to https);
/// other http(s) iframes become a link to their URL; the rest disappear.
pub(super) fn iframe(el: &mut impl Element, cx: Context) {
    let src = el.attribute("src").and_then(|s| resolve(&s, cx.base));
    let Some(mut url) = src else {
        el.remove();
        return;
    };
    if url.scheme() == "http" && cx.hosts.iter().any(|h| Some(h.as_str()) == url.host_str()) {
        let _ = url.set_scheme("https");
    }
    if iframe_src_allowed(url.as_str(), cx.hosts) {
        el.set_attribute("src", &escape(url.as_str()));
        el.set_attribute("sandbox", IFRAME_SANDBOX);
        el.set_attribute("allow", IFRAME_ALLOW);
        el.set_attribute("loading", "lazy");
        el.set_attribute("referrerpolicy", IFRAME_REFERRER);
        el.empty();
    } else if url.scheme() == "mailto" {
        el.remove();
    } else {
        let text = escape(url.as_str());
        el.replace_with_html(&format!("<a href=\"{text}\">{text}</a>"));
    }
}

/// Lazy-loading scripts keep the real image in `data-*` attributes and a
/// placeholder (or nothing) in `src`/`srcset`: the `data-*` value wins.
/// The restored values are resolved by [`resolve_urls`], which runs next.
pub(super) fn restore_lazy(el: &mut impl Element) {
    let lazy_src = ["data-src", "data-lazy-src", "data-original"]
        .iter()
        .find_map(|name| el.attribute(name).filter(|v| !v.trim().is_empty()))
        .map(Cow::into_owned);
    if let Some(src) = lazy_src {
        el.set_attribute("src", &src);
    }
    let lazy_srcset = ["data-srcset", "data-lazy-srcset"]
        .iter()
        .find_map(|name| el.attribute(name).filter(|v| !v.trim().is_empty()))
        .map(Cow::into_owned);
    if let Some(srcset) = lazy_srcset {
        el.set_attribute("srcset", &srcset);
    }
}

/// A 1×1 (or smaller) image, or one from a host that only serves trackers.
fn is_tracking_pixel(el: &impl Element, base: Option<&Url>) -> bool {
    let tiny = |name: &str| {
        el.attribute(name).is_some_and(|v| {
            v.trim()
                .trim_end_matches("px")
                .trim()
                .parse::<f64>()
                .is_ok_and(|n| n <= 1.0)
        })
    };
    if tiny("width") && tiny("height") {
        return true;
    }
    let Some(url) = el.attribute("src").and_then(|s| resolve(&s, base)) else {
        return false;
    };
    let host = url.host_str().unwrap_or("");
    TRACKER_HOSTS.contains(&host)
        || (host == "feeds.feedburner.com" && url.path().starts_with("/~r/"))
}

/// An attribute value (as written, entities and all) → an absolute http,
/// https or mailto URL, or `None` when it is anything else.
pub(super) fn resolve(raw: &str, base: Option<&Url>) -> Option<Url> {
    let value = decode_entities(raw);
    let value = value.trim();
    let url = match Url::parse(value) {
        Ok(url) => url,
        Err(url::ParseError::RelativeUrlWithoutBase) => base?.join(value).ok()?,
        Err(_) => return None,
    };
    matches!(url.scheme(), "http" | "https" | "mailto").then_some(url)
}

/// `srcset` → the same candidates with absolute URLs; candidates whose URL
/// is not allowed are dropped, `None` when none is left. URLs may contain
/// commas (image CDNs), so candidates are split the way browsers do: a URL
/// runs to whitespace, descriptors run to the next comma.
fn resolve_srcset(raw: &str, base: Option<&Url>) -> Option<String> {
    let value = decode_entities(raw);
    let mut rest = value.as_ref();
    let mut out: Vec<String> = Vec::new();
    loop {
        rest = rest.trim_start_matches(|c: char| c.is_whitespace() || c == ',');
        if rest.is_empty() {
            break;
        }
        let url_end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        let mut url = &rest[..url_end];
        rest = &rest[url_end..];
        let mut descriptor = "";
        if url.ends_with(',') {
            url = url.trim_end_matches(',');
        } else {
            let desc_end = rest.find(',').unwrap_or(rest.len());
            descriptor = rest[..desc_end].trim();
            rest = &rest[desc_end..];
        }
        if let Some(abs) = resolve(url, base) {
            if abs.scheme() == "mailto" {
                continue;
            }
            out.push(if descriptor.is_empty() {
                abs.to_string()
            } else {
                format!("{abs} {descriptor}")
            });
        }
    }
    (!out.is_empty()).then(|| out.join(", "))
}

/// Attribute values come as written: decode the character references a URL
/// can contain (`&amp;`, `&lt;`, `&gt;`, `&quot;`, `&apos;`, numeric).
/// Anything else stays literal, and is re-escaped when the value is written
/// back, so what the browser decodes is what was checked.
fn decode_entities(raw: &str) -> Cow<'_, str> {
    if !raw.contains('&') {
        return raw.into();
    }
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let decoded = rest.find(';').filter(|end| *end <= 10).and_then(|end| {
            let name = &rest[1..end];
            let c = match name {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                _ => {
                    let num = name.strip_prefix('#')?;
                    let code = match num.strip_prefix(['x', 'X']) {
                        Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                        None => num.parse::<u32>().ok()?,
                    };
                    Some(
                        char::from_u32(code)
                            .filter(|c| *c != '\0')
                            .unwrap_or('\u{fffd}'),
                    )
                }
            }?;
            Some((c, end + 1))
        });
        match decoded {
            Some((c, len)) => {
                out.push(c);
                rest = &rest[len..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out.into()
}
