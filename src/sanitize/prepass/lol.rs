//! The lol_html engine of the pre-pass: the [rules](super) applied to any
//! post, whatever its markup. It runs when [`super::stream`] gives up: on
//! SVG and MathML, `<select>`, doctypes and bogus comments, and tags a
//! browser would have to repair.

use std::borrow::Cow;
use std::sync::LazyLock;

use lol_html::html_content::{ContentType, TextChunk};
use lol_html::{ElementContentHandlers, RewriteStrSettings, Selector, rewrite_str};

use super::{Context, Element, MATH_RENDERINGS, Mark, URL_ELEMENTS};
use crate::sanitize::policy::DROP_WITH_CONTENT;

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
        math: parse(&math_selector()),
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

/// The math renderings as one selector list.
fn math_selector() -> String {
    MATH_RENDERINGS
        .iter()
        .map(|mark| match *mark {
            Mark::Class(c) => format!(".{c}"),
            Mark::NameAndClass(n, c) => format!("{n}.{c}"),
            Mark::Id(i) => format!("#{i}"),
            Mark::Name(n) => n.to_string(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

type Handler<'h> = (Cow<'static, Selector>, ElementContentHandlers<'h>);

fn on<'h>(
    selector: &'static Selector,
    mut handler: impl FnMut(&mut Lol<'_, '_, '_>) + 'h,
) -> Handler<'h> {
    (
        Cow::Borrowed(selector),
        ElementContentHandlers::default().element(
            move |el: &mut lol_html::html_content::Element<'_, '_>| {
                handler(&mut Lol(el));
                Ok(())
            },
        ),
    )
}

/// A lol_html element, seen through [`Element`].
struct Lol<'e, 'r, 't>(&'e mut lol_html::html_content::Element<'r, 't>);

impl Element for Lol<'_, '_, '_> {
    fn attribute(&self, name: &str) -> Option<Cow<'_, str>> {
        self.0.get_attribute(name).map(Cow::Owned)
    }

    fn set_attribute(&mut self, name: &str, value: &str) {
        // Fails only for names that are not attribute names; the rules
        // use constants.
        let _ = self.0.set_attribute(name, value);
    }

    fn remove_attribute(&mut self, name: &str) {
        self.0.remove_attribute(name);
    }

    fn remove(&mut self) {
        self.0.remove();
    }

    fn unwrap_as_text(&mut self, open: &'static str, close: &'static str) {
        self.0.before(open, ContentType::Text);
        self.0.after(close, ContentType::Text);
        self.0.remove_and_keep_content();
    }

    fn replace_with_html(&mut self, html: &str) {
        self.0.replace(html, ContentType::Html);
    }

    fn empty(&mut self) {
        self.0.set_inner_content("", ContentType::Text);
    }
}

/// Rewrites any post. On a rewriter error (pathological input) the original
/// goes on to ammonia, which is safe alone; only the fidelity fixes are lost.
/// Handlers are registered only for elements the post has ([`Tags`]); a post
/// with none of them passes through as it is.
pub(super) fn rewrite(html: &str, cx: Context) -> String {
    let sel = &*SELECTORS;
    let tags = Tags::scan(html);
    let mut handlers: Vec<Handler> = Vec::new();
    if tags.has_name("script") {
        handlers.push(on(&sel.script, |el| super::script(el)));
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
            handlers.push(on(selector, |el| el.remove()));
        }
    }
    // Class selectors make lol_html read every element's attributes: only
    // pay for them when a math renderer left its marks.
    if super::may_have_math(html) {
        handlers.push(on(&sel.math, |el| el.remove()));
    }
    if tags.has_name("iframe") {
        handlers.push(on(&sel.iframe, |el| super::iframe(el, cx)));
    }
    if tags.has_name("img") || tags.has_name("image") {
        handlers.push(on(&sel.img, |el| {
            // The HTML parser reads `<image>` as `<img>`; so must we.
            if el.0.tag_name() == "image" {
                let _ = el.0.set_tag_name("img");
            }
            super::image(el, cx.base);
        }));
    }
    if tags.has_name("source") {
        handlers.push(on(&sel.source, |el| super::restore_lazy(el)));
    }
    if tags.has_name("video") || tags.has_name("audio") {
        handlers.push(on(&sel.media, |el| super::media(el)));
    }
    for (tag, selector) in &sel.urls {
        if tags.has(*tag) {
            handlers.push(on(selector, |el| super::resolve_urls(el, cx.base)));
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
