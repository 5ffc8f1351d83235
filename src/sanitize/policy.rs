//! The ammonia allow-list: which elements and attributes survive, and which
//! values are forced. Everything not listed here is removed (its text kept,
//! unless the element is in [`DROP_WITH_CONTENT`]). Only http, https and
//! mailto URLs survive; relative URLs are denied because the pre-pass has
//! already resolved every URL it could. MathML is limited to presentation
//! elements plus `semantics`/`annotation` (where TeX source lives);
//! `annotation-xml`, `maction` and `mglyph` never pass, and ammonia's own
//! namespace check removes elements that switch namespace where a browser
//! would not. Forced values (`loading`, `referrerpolicy`, `controls`,
//! `sandbox`) are applied here with an attribute filter rather than ammonia's
//! "set attribute value", whose HashMap order would make output differ
//! between processes.

use std::borrow::Cow;
use std::collections::HashSet;
use std::sync::Arc;

/// Elements removed together with everything inside them, in the pre-pass
/// and again by ammonia (`script` and `style` are ammonia's defaults).
pub(crate) const DROP_WITH_CONTENT: &[&str] = &[
    "script",
    "style",
    "noscript",
    "template",
    "textarea",
    "xmp",
    "noembed",
    "noframes",
    "title",
    "object",
    "embed",
    "applet",
    "frameset",
    "frame",
    "head",
    "select",
    "button",
    "form",
    "svg",
    "canvas",
    "dialog",
    "annotation-xml",
    "mglyph",
    "malignmark",
    "portal",
    "fencedframe",
];

pub(crate) const LINK_REL: &str = "noopener noreferrer nofollow ugc";
/// No `allow-same-origin`: together with `allow-scripts` it would let the
/// frame lift its own sandbox (the Nu checker rejects the pair).
pub(crate) const IFRAME_SANDBOX: &str = "allow-scripts allow-popups allow-presentation";
pub(crate) const IFRAME_ALLOW: &str =
    "accelerometer; encrypted-media; gyroscope; picture-in-picture; fullscreen";
/// Video players refuse to play without knowing the embedding origin.
pub(crate) const IFRAME_REFERRER: &str = "strict-origin-when-cross-origin";

/// Presentation MathML that renders math and cannot load or run anything.
const MATHML_TAGS: &[&str] = &[
    "math",
    "mi",
    "mn",
    "mo",
    "ms",
    "mspace",
    "mtext",
    "mrow",
    "mfrac",
    "msqrt",
    "mroot",
    "mstyle",
    "merror",
    "mpadded",
    "mphantom",
    "mfenced",
    "menclose",
    "msub",
    "msup",
    "msubsup",
    "munder",
    "mover",
    "munderover",
    "mmultiscripts",
    "mprescripts",
    "none",
    "mtable",
    "mtr",
    "mtd",
    "mlabeledtr",
    "semantics",
    "annotation",
];

/// Layout attributes of MathML elements (no URLs, no styles, no events).
const MATHML_ATTRIBUTES: &[&str] = &[
    "display",
    "displaystyle",
    "scriptlevel",
    "mathvariant",
    "mathsize",
    "dir",
    "fence",
    "separator",
    "separators",
    "open",
    "close",
    "stretchy",
    "symmetric",
    "largeop",
    "movablelimits",
    "accent",
    "accentunder",
    "lspace",
    "rspace",
    "form",
    "minsize",
    "maxsize",
    "linethickness",
    "numalign",
    "denomalign",
    "bevelled",
    "columnalign",
    "rowalign",
    "columnspan",
    "rowspan",
    "columnlines",
    "rowlines",
    "frame",
    "notation",
    "width",
    "height",
    "depth",
    "voffset",
];

/// The allow-list for post bodies; `hosts` is the iframe allow-list.
pub(crate) fn builder(hosts: Arc<[String]>) -> ammonia::Builder<'static> {
    let mut b = ammonia::Builder::default();
    b.add_tags([
        "audio", "video", "source", "picture", "track", "iframe", "details", "summary",
    ])
    .add_tags(MATHML_TAGS.iter().copied())
    .add_clean_content_tags(
        DROP_WITH_CONTENT
            .iter()
            .copied()
            .filter(|t| *t != "script" && *t != "style"),
    )
    .add_tag_attributes(
        "img",
        ["srcset", "sizes", "title", "loading", "referrerpolicy"],
    )
    .add_tag_attributes("code", ["class"])
    .add_tag_attributes("pre", ["class"])
    .add_tag_attributes(
        "video",
        [
            "src", "poster", "controls", "width", "height", "preload", "loop", "muted",
        ],
    )
    .add_tag_attributes("audio", ["src", "controls", "preload", "loop", "muted"])
    .add_tag_attributes("source", ["src", "srcset", "type", "media", "sizes"])
    .add_tag_attributes("track", ["src", "kind", "srclang", "label", "default"])
    .add_tag_attributes(
        "iframe",
        [
            "src",
            "width",
            "height",
            "title",
            "allowfullscreen",
            "sandbox",
            "allow",
            "loading",
            "referrerpolicy",
        ],
    )
    .add_tag_attributes("details", ["open"])
    .add_tag_attributes("ol", ["reversed", "type"])
    .add_tag_attributes("li", ["value"])
    .add_tag_attributes("time", ["datetime"])
    .add_tag_attributes("abbr", ["title"])
    .add_tag_attributes("annotation", ["encoding"])
    .url_schemes(HashSet::from(["http", "https", "mailto"]))
    .url_relative(ammonia::UrlRelative::Deny)
    .link_rel(Some(LINK_REL));
    for tag in MATHML_TAGS {
        b.add_tag_attributes(tag, MATHML_ATTRIBUTES.iter().copied());
    }
    b.attribute_filter(
        move |element, attribute, value| match (element, attribute) {
            ("img", "loading") | ("iframe", "loading") => Some(Cow::Borrowed("lazy")),
            ("img", "referrerpolicy") => Some(Cow::Borrowed("no-referrer")),
            ("iframe", "referrerpolicy") => Some(Cow::Borrowed(IFRAME_REFERRER)),
            ("iframe", "sandbox") => Some(Cow::Borrowed(IFRAME_SANDBOX)),
            ("iframe", "allow") => Some(Cow::Borrowed(IFRAME_ALLOW)),
            ("iframe", "src") => iframe_src_allowed(value, &hosts).then_some(Cow::Borrowed(value)),
            ("video" | "audio", "controls") => Some(Cow::Borrowed("")),
            ("video" | "audio", "preload") => Some(Cow::Borrowed("none")),
            (_, "class") => language_classes(element, value),
            _ => Some(Cow::Borrowed(value)),
        },
    );
    b
}

/// Only `language-*` / `lang-*` classes on `pre` and `code` (for syntax
/// highlighting themes); every other class goes.
fn language_classes<'u>(element: &str, value: &'u str) -> Option<Cow<'u, str>> {
    if element != "code" && element != "pre" {
        return None;
    }
    let kept: Vec<&str> = value
        .split_whitespace()
        .filter(|c| c.starts_with("language-") || c.starts_with("lang-"))
        .collect();
    if kept.is_empty() {
        None
    } else if kept.join(" ") == value {
        Some(Cow::Borrowed(value))
    } else {
        Some(Cow::Owned(kept.join(" ")))
    }
}

/// An iframe `src` that may stay: https, on an allowed host (exact match).
pub(crate) fn iframe_src_allowed(src: &str, hosts: &[String]) -> bool {
    match url::Url::parse(src.trim()) {
        Ok(url) => {
            url.scheme() == "https"
                && url
                    .host_str()
                    .is_some_and(|h| hosts.iter().any(|allowed| allowed.eq_ignore_ascii_case(h)))
        }
        Err(_) => false,
    }
}
