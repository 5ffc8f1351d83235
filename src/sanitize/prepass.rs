//! The lol_html pre-pass: fixes what ammonia cannot know about, in one
//! streaming pass over the raw post. It removes elements whose contents must
//! never become text (including MathJax v2/v3 and KaTeX *renderings*, whose
//! text is letter soup and whose styles leak as CSS), keeps TeX source as
//! text (`<script type="math/tex">` → `\(…\)`, `mode=display` → `\[…\]`),
//! restores lazy images (`data-src`, `data-lazy-src`, `data-original`,
//! `data-srcset`, `data-lazy-srcset`), removes 1×1 tracking pixels, resolves
//! `href`, `src`, `srcset`, `poster` and `cite` against the entry's base
//! (dropping every scheme but http, https and mailto), forces
//! `loading="lazy"` / `referrerpolicy="no-referrer"` on images and
//! `controls` on media, and keeps an iframe only when its https host is on the
//! allow-list (sandboxed); any other iframe becomes a plain link. Safety does
//! not depend on this pass: ammonia alone is safe, this pass is fidelity.

use std::borrow::Cow;
use std::sync::LazyLock;

use lol_html::html_content::{ContentType, Element, TextChunk};
use lol_html::{ElementContentHandlers, HandlerResult, RewriteStrSettings, Selector, rewrite_str};
use url::Url;

use super::escape;
use super::policy::{
    DROP_WITH_CONTENT, IFRAME_ALLOW, IFRAME_REFERRER, IFRAME_SANDBOX, iframe_src_allowed,
};

/// MathJax (v2 HTML-CSS, CommonHTML, SVG, NativeMML; v3 CHTML) and KaTeX
/// renderings. v2 keeps its TeX in a `math/tex` script beside them; v3 and
/// KaTeX keep a MathML copy (`mjx-assistive-mml`, `.katex-mathml`), which stays.
const MATH_RENDERINGS: &str = ".MathJax_Preview, span.MathJax, div.MathJax, .MathJax_Display, \
    .MathJax_CHTML, .mjx-chtml, .MathJax_SVG, .MathJax_SVG_Display, .MathJax_SVG_Hidden, \
    .MathJax_MathML, .MathJax_MathContainer, .MJX_Assistive_MathML, .MathJax_Hidden, \
    #MathJax_Message, #MathJax_Hidden, #MathJax_Font_Test, mjx-math, .katex-html";

/// Hosts that serve nothing but tracking pixels.
const TRACKER_HOSTS: &[&str] = &[
    "pixel.wp.com",
    "stats.wordpress.com",
    "www.google-analytics.com",
    "pixel.quantserve.com",
];

/// Selectors are parsed once per process; every one of them but the MathJax
/// list matches on tag names alone, so lol_html never has to look at the
/// attributes of elements no handler cares about. Tag-name selectors are
/// one per name, so that a post gets handlers (which lol_html compiles anew
/// for every post) only for the elements it has: see [`Tags`].
struct Selectors {
    script: Selector,
    /// One per element of [`DROP_WITH_CONTENT`] but `script`.
    drop: Vec<(Tag, Selector)>,
    math: Selector,
    iframe: Selector,
    img: Selector,
    source: Selector,
    media: Selector,
    /// Elements whose `href`/`src`/`poster`/`cite`/`srcset` the policy
    /// keeps, one selector each.
    urls: Vec<(Tag, Selector)>,
}

/// Elements whose `href`/`src`/`poster`/`cite`/`srcset` the policy keeps.
const URL_ELEMENTS: &[&str] = &[
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

static SELECTORS: LazyLock<Selectors> = LazyLock::new(|| {
    let parse = |s: &str| match s.parse::<Selector>() {
        Ok(sel) => sel,
        // The selectors are constants: a typo is caught by every test.
        Err(e) => panic!("bad selector {s:?}: {e}"),
    };
    let each = |names: &[&str]| -> Vec<(Tag, Selector)> {
        names.iter().map(|n| (Tag::of(n), parse(n))).collect()
    };
    let drop: Vec<&str> = DROP_WITH_CONTENT
        .iter()
        .filter(|t| **t != "script")
        .copied()
        .collect();
    Selectors {
        script: parse("script"),
        drop: each(&drop),
        math: parse(MATH_RENDERINGS),
        iframe: parse("iframe"),
        img: parse("img, image"),
        source: parse("source"),
        media: parse("video, audio"),
        urls: each(URL_ELEMENTS),
    }
});

/// A tag name some handler selects on, as a bit of [`Tags`].
#[derive(Clone, Copy)]
struct Tag(u64);

/// Every name a tag-name selector of this pass uses, in bit order.
static TAG_NAMES: LazyLock<Vec<&'static str>> = LazyLock::new(|| {
    DROP_WITH_CONTENT
        .iter()
        .chain(&["iframe"])
        .chain(URL_ELEMENTS)
        .copied()
        .collect()
});

const _: () = assert!(
    DROP_WITH_CONTENT.len() + 1 + URL_ELEMENTS.len() <= 64,
    "one bit per name"
);

impl Tag {
    /// The bit of a name this pass selects on; a name missing from
    /// [`TAG_NAMES`] is a bug caught by every test (the tables are constants).
    fn of(name: &str) -> Tag {
        match Tag::index(name.as_bytes()) {
            Some(i) => Tag(1 << i),
            None => panic!("tag {name:?} missing from TAG_NAMES"),
        }
    }

    fn index(name: &[u8]) -> Option<usize> {
        TAG_NAMES.iter().position(|n| n.as_bytes() == name)
    }
}

/// The set of selected tag names a post's markup can contain.
#[derive(Clone, Copy)]
struct Tags(u64);

impl Tags {
    /// Every `<name` in `html` whose name this pass selects on. A superset of
    /// the start tags lol_html will see (it also counts `<` in comments,
    /// attribute values and raw text), so a handler left out for a name not
    /// found here could never have run: the output is the same without it.
    /// A name is read as lol_html reads it up to the first character that
    /// cannot be part of a name this pass knows (letters, digits, `-`), and
    /// compared ASCII case-insensitively, as selectors are.
    fn scan(html: &str) -> Tags {
        let bytes = html.as_bytes();
        let mut found = 0u64;
        let mut name = [0u8; 16];
        let mut from = 0;
        while let Some(pos) = html.get(from..).and_then(|rest| rest.find('<')) {
            let start = from + pos + 1;
            let len = bytes[start..]
                .iter()
                .take_while(|b| b.is_ascii_alphanumeric() || **b == b'-')
                .count();
            from = start + len;
            if (1..=name.len()).contains(&len) {
                for (to, b) in name.iter_mut().zip(&bytes[start..start + len]) {
                    *to = b.to_ascii_lowercase();
                }
                if let Some(i) = Tag::index(&name[..len]) {
                    found |= 1 << i;
                }
            }
        }
        Tags(found)
    }

    fn has(self, tag: Tag) -> bool {
        self.0 & tag.0 != 0
    }

    fn has_name(self, name: &str) -> bool {
        self.has(Tag::of(name))
    }
}

type Handler<'h> = (Cow<'static, Selector>, ElementContentHandlers<'h>);

fn on<'h>(
    selector: &'static Selector,
    handler: impl FnMut(&mut Element<'_, '_>) -> HandlerResult + 'h,
) -> Handler<'h> {
    (
        Cow::Borrowed(selector),
        ElementContentHandlers::default().element(handler),
    )
}

/// Runs the pass. On a rewriter error (pathological input) the original goes
/// on to ammonia, which is safe alone; only the fidelity fixes are lost.
/// Handlers are registered only for elements the post has ([`Tags`]); a post
/// with none of them passes through as it is.
pub(super) fn run(html: &str, base: Option<&Url>, hosts: &[String]) -> String {
    let sel = &*SELECTORS;
    let tags = Tags::scan(html);
    let mut handlers: Vec<Handler> = Vec::new();
    if tags.has_name("script") {
        handlers.push(on(&sel.script, |el| {
            let kind = el.get_attribute("type").unwrap_or_default();
            let kind = kind.trim().to_ascii_lowercase();
            if kind.starts_with("math/tex") {
                let is_display = kind.contains("mode=display");
                el.before(if is_display { "\\[" } else { "\\(" }, ContentType::Text);
                el.after(if is_display { "\\]" } else { "\\)" }, ContentType::Text);
                el.remove_and_keep_content();
            } else {
                el.remove();
            }
            Ok(())
        }));
        handlers.push((
            Cow::Borrowed(&sel.script),
            ElementContentHandlers::default().text(|t: &mut TextChunk| {
                // Script text is raw: re-emit it escaped so it stays text.
                let raw = t.as_str().to_owned();
                t.replace(&raw, ContentType::Text);
                Ok(())
            }),
        ));
    }
    for (tag, selector) in &sel.drop {
        if tags.has(*tag) {
            handlers.push(on(selector, |el| {
                el.remove();
                Ok(())
            }));
        }
    }
    // Class selectors make lol_html read every element's attributes: only
    // pay for them when a math renderer left its marks.
    if ["MathJax", "mjx", "MJX", "katex"]
        .iter()
        .any(|mark| html.contains(mark))
    {
        handlers.push(on(&sel.math, |el| {
            el.remove();
            Ok(())
        }));
    }
    if tags.has_name("iframe") {
        handlers.push(on(&sel.iframe, |el| {
            iframe(el, base, hosts);
            Ok(())
        }));
    }
    if tags.has_name("img") || tags.has_name("image") {
        handlers.push(on(&sel.img, |el| {
            // The HTML parser reads `<image>` as `<img>`; so must we.
            if el.tag_name() == "image" {
                el.set_tag_name("img")?;
            }
            restore_lazy(el);
            if is_tracking_pixel(el, base) {
                el.remove();
                return Ok(());
            }
            el.set_attribute("loading", "lazy")?;
            el.set_attribute("referrerpolicy", "no-referrer")?;
            Ok(())
        }));
    }
    if tags.has_name("source") {
        handlers.push(on(&sel.source, |el| {
            restore_lazy(el);
            Ok(())
        }));
    }
    if tags.has_name("video") || tags.has_name("audio") {
        handlers.push(on(&sel.media, |el| {
            el.set_attribute("controls", "")?;
            el.set_attribute("preload", "none")?;
            el.remove_attribute("autoplay");
            Ok(())
        }));
    }
    for (tag, selector) in &sel.urls {
        if tags.has(*tag) {
            handlers.push(on(selector, |el| resolve_urls(el, base)));
        }
    }
    if handlers.is_empty() {
        return html.to_string();
    }
    let settings = handlers
        .into_iter()
        .fold(RewriteStrSettings::new(), |s, h| {
            s.append_element_content_handler(h)
        });
    rewrite_str(html, settings).unwrap_or_else(|_| html.to_string())
}

/// Every URL attribute the policy keeps, resolved against `base` (or
/// removed when it is not an http, https or mailto URL).
fn resolve_urls(el: &mut Element, base: Option<&Url>) -> HandlerResult {
    for name in ["href", "src", "poster", "cite"] {
        if let Some(value) = el.get_attribute(name) {
            match resolve(&value, base) {
                Some(url) => el.set_attribute(name, &escape(url.as_str()))?,
                None => el.remove_attribute(name),
            }
        }
    }
    if let Some(value) = el.get_attribute("srcset") {
        match resolve_srcset(&value, base) {
            Some(set) => el.set_attribute("srcset", &escape(&set))?,
            None => el.remove_attribute("srcset"),
        }
    }
    Ok(())
}

/// Allowed hosts keep a sandboxed, lazy iframe (http upgraded to https);
/// other http(s) iframes become a link to their URL; the rest disappear.
fn iframe(el: &mut Element, base: Option<&Url>, hosts: &[String]) {
    let Some(mut url) = el.get_attribute("src").and_then(|s| resolve(&s, base)) else {
        el.remove();
        return;
    };
    if url.scheme() == "http" && hosts.iter().any(|h| Some(h.as_str()) == url.host_str()) {
        let _ = url.set_scheme("https");
    }
    if iframe_src_allowed(url.as_str(), hosts) {
        let forced = [
            ("src", escape(url.as_str())),
            ("sandbox", IFRAME_SANDBOX.to_string()),
            ("allow", IFRAME_ALLOW.to_string()),
            ("loading", "lazy".to_string()),
            ("referrerpolicy", IFRAME_REFERRER.to_string()),
        ];
        for (name, value) in forced {
            if el.set_attribute(name, &value).is_err() {
                el.remove();
                return;
            }
        }
        el.set_inner_content("", ContentType::Text);
    } else if url.scheme() == "mailto" {
        el.remove();
    } else {
        let text = escape(url.as_str());
        el.replace(&format!("<a href=\"{text}\">{text}</a>"), ContentType::Html);
    }
}

/// Lazy-loading scripts keep the real image in `data-*` attributes and a
/// placeholder (or nothing) in `src`/`srcset`: the `data-*` value wins.
/// The restored values are resolved by the URL handler, which runs next.
fn restore_lazy(el: &mut Element) {
    let lazy_src = ["data-src", "data-lazy-src", "data-original"]
        .iter()
        .find_map(|name| el.get_attribute(name).filter(|v| !v.trim().is_empty()));
    if let Some(src) = lazy_src {
        let _ = el.set_attribute("src", &src);
    }
    let lazy_srcset = ["data-srcset", "data-lazy-srcset"]
        .iter()
        .find_map(|name| el.get_attribute(name).filter(|v| !v.trim().is_empty()));
    if let Some(srcset) = lazy_srcset {
        let _ = el.set_attribute("srcset", &srcset);
    }
}

/// A 1×1 (or smaller) image, or one from a host that only serves trackers.
fn is_tracking_pixel(el: &Element, base: Option<&Url>) -> bool {
    let tiny = |name: &str| {
        el.get_attribute(name).is_some_and(|v| {
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
    let Some(url) = el.get_attribute("src").and_then(|s| resolve(&s, base)) else {
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

/// lol_html hands attribute values over as written: decode the character
/// references a URL can contain (`&amp;`, `&lt;`, `&gt;`, `&quot;`,
/// `&apos;`, numeric). Anything else stays literal, and is re-escaped when the
/// value is written back, so what the browser decodes is what was checked.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entities_in_urls_are_decoded_once() {
        assert_eq!(decode_entities("a?x=1&amp;y=2&b=3"), "a?x=1&y=2&b=3");
        assert_eq!(decode_entities("&#106;&#x61;va"), "java");
        assert_eq!(decode_entities("&amp;amp;"), "&amp;");
        assert_eq!(decode_entities("&copy;&"), "&copy;&");
    }

    #[test]
    fn resolve_keeps_only_web_and_mail_schemes() {
        let base = Url::parse("https://b.example/dir/page").ok();
        let r = |s: &str| resolve(s, base.as_ref()).map(|u| u.to_string());
        assert_eq!(r("x.png").as_deref(), Some("https://b.example/dir/x.png"));
        assert_eq!(
            r("//cdn.example/a").as_deref(),
            Some("https://cdn.example/a")
        );
        assert_eq!(r("&#106;avascript:alert(1)"), None);
        assert_eq!(r(" java\tscript:alert(1)"), None);
        assert_eq!(r("data:text/html,x"), None);
        assert_eq!(
            r("mailto:a@b.example").as_deref(),
            Some("mailto:a@b.example")
        );
        assert_eq!(resolve("rel/x", None), None);
    }

    #[test]
    fn srcset_candidates_resolve_and_commas_inside_urls_survive() {
        let base = Url::parse("https://b.example/p/").ok();
        assert_eq!(
            resolve_srcset(
                "a.png 1x, /img/w_10,h_10/b.png 2x,javascript:x 3x",
                base.as_ref()
            )
            .as_deref(),
            Some("https://b.example/p/a.png 1x, https://b.example/img/w_10,h_10/b.png 2x")
        );
        assert_eq!(resolve_srcset("javascript:x 1x", base.as_ref()), None);
    }
}
