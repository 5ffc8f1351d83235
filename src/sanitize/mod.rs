//! Untrusted HTML from feeds → [`SafeHtml`], the only HTML templates may print
//! unescaped. This module is the only caller of lol_html and ammonia and the
//! only maker of `SafeHtml`.
//!
//! Three steps, each in its own file. The [`prepass`] (our own streaming
//! rewriter, with lol_html for the markup it does not model) removes
//! elements whose *contents* must never become text (`script`, `style`,
//! `noscript`, …, MathJax and KaTeX renderings), turns TeX `<script>`s into
//! `\(…\)` / `\[…\]` text, restores lazy images, drops 1×1 tracking pixels,
//! resolves every URL against the entry's base and keeps iframes only from the
//! allow-list. The ammonia [`policy`] then keeps the markup that makes a post
//! look like its original (code blocks byte-for-byte with `language-*`
//! classes, tables, figures, details, images, audio/video, a MathML subset)
//! and nothing that can run. The [`postpass`] works on ammonia's well-formed
//! output: it re-levels headings so a post never outranks the page (post
//! headings start at `h4`) and re-checks iframes; when [`nesting`] finds a
//! nesting a browser would rebuild, the output is sanitized once more until
//! it is stable. [`excerpt`] cuts sanitized
//! HTML after a number of words on element boundaries, with one scan of the
//! serializer's tags; [`text`] reads its words back out for the search
//! index. Every step is
//! deterministic, so the same input gives byte-identical output in every
//! process, and sanitizing an output again changes nothing.

mod excerpt;
mod nesting;
mod policy;
mod postpass;
mod prepass;
mod text;

pub use text::search_text;

use std::sync::{Arc, LazyLock};

use url::Url;

/// HTML that went through the sanitizer. Templates print nothing else
/// unescaped, so this type is the planet's one escaping boundary.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct SafeHtml(String);

impl SafeHtml {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.trim().is_empty()
    }

    /// Re-wraps HTML that the store saved *after* sanitizing it. Only the
    /// store calls this; it never sees HTML from anywhere else.
    pub(crate) fn trusted_from_store(html: String) -> SafeHtml {
        SafeHtml(html)
    }
}

impl serde::Serialize for SafeHtml {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

/// Hosts whose iframes are kept when planet.yaml says nothing
/// (`sanitize: iframe_hosts:`): YouTube, youtube-nocookie and Vimeo players.
pub const DEFAULT_IFRAME_HOSTS: &[&str] = &[
    "www.youtube.com",
    "youtube.com",
    "www.youtube-nocookie.com",
    "youtube-nocookie.com",
    "player.vimeo.com",
];

/// The CSP `frame-src` sources for an iframe allow-list: `https://host …`,
/// or `'none'` when no host is allowed.
pub fn csp_frame_src(hosts: &[String]) -> String {
    if hosts.is_empty() {
        return "'none'".to_string();
    }
    hosts
        .iter()
        .map(|h| format!("https://{h}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A configured sanitizer: the ammonia policy plus the iframe allow-list.
/// Build one per planet and share it between threads.
pub struct Sanitizer {
    hosts: Arc<[String]>,
    policy: ammonia::Builder<'static>,
}

impl Sanitizer {
    /// `iframe_hosts`: exact host names (lower case) whose https iframes are
    /// kept; any other iframe becomes a plain link to its URL.
    pub fn new(iframe_hosts: &[String]) -> Sanitizer {
        let hosts: Arc<[String]> = iframe_hosts
            .iter()
            .map(|h| h.trim().to_ascii_lowercase())
            .collect::<Vec<_>>()
            .into();
        Sanitizer {
            policy: policy::builder(hosts.clone()),
            hosts,
        }
    }

    /// Sanitizes one post body. `base` is where relative URLs point (xml:base
    /// of the content, else the entry link, else the feed's URL); relative
    /// URLs that cannot be resolved are dropped.
    pub fn clean(&self, html: &str, base: Option<&str>) -> SafeHtml {
        let base = base.and_then(|b| Url::parse(b).ok());
        let prepared = prepass::run(html, base.as_ref(), &self.hosts);
        SafeHtml(self.policy_until_stable(&prepared))
    }

    /// ammonia's policy and the post-pass over `html`. ammonia can leave a
    /// nesting that a browser re-parses differently; then the output is
    /// sanitized again until it is stable, so what is stored is exactly
    /// what every later parse (and sanitize) sees.
    fn policy_until_stable(&self, html: &str) -> String {
        let mut out = postpass::run(self.policy_clean(html), &self.hosts);
        for _ in 0..3 {
            if !nesting::may_not_round_trip(&out) {
                break;
            }
            let again = postpass::run(self.policy_clean(&out), &self.hosts);
            if again == out {
                break;
            }
            out = again;
        }
        out
    }

    /// ammonia's policy over `html`, serialized. `Document::to_string` goes
    /// through `Display`, which serializes into a buffer, checks it and then
    /// copies it into a growing `String`; writing into a `Vec` sized for the
    /// input keeps just the check. The bytes are the same.
    fn policy_clean(&self, html: &str) -> String {
        let document = self.policy.clean(html);
        let mut out = Vec::with_capacity(html.len() + html.len() / 8);
        match document.write_to(&mut out) {
            Ok(()) => String::from_utf8(out).unwrap_or_else(|_| document.to_string()),
            // Writing into a Vec does not fail; should it, Display would say.
            Err(_) => document.to_string(),
        }
    }

    /// The first `words` words of sanitized HTML, cut on element boundaries
    /// (never inside a tag or an entity) and closed properly, with `…` where
    /// text was cut. HTML that is short enough comes back unchanged.
    pub fn excerpt(&self, html: &SafeHtml, words: usize) -> SafeHtml {
        match excerpt::cut(html.as_str(), words) {
            // The cut is made of this sanitizer's own output: every tag and
            // attribute in it was kept by the policy, and it adds only end
            // tags and `…`. What could still differ is the tree: when the
            // nesting check finds a shape a browser would rebuild, ammonia
            // runs again and its parse wins. (The hostile corpus checks that
            // every excerpt is safe and that sanitizing it changes nothing.)
            Some(cut) if !nesting::may_not_round_trip(&cut) => SafeHtml(cut),
            Some(cut) => SafeHtml(self.policy_until_stable(&cut)),
            None => html.clone(),
        }
    }
}

static DEFAULT: LazyLock<Sanitizer> = LazyLock::new(|| {
    let hosts: Vec<String> = DEFAULT_IFRAME_HOSTS.iter().map(|h| h.to_string()).collect();
    Sanitizer::new(&hosts)
});

/// [`Sanitizer::clean`] with the default iframe allow-list.
pub fn clean(html: &str, base: Option<&str>) -> SafeHtml {
    DEFAULT.clean(html, base)
}

/// [`Sanitizer::excerpt`] with the default iframe allow-list.
pub fn excerpt(html: &SafeHtml, words: usize) -> SafeHtml {
    DEFAULT.excerpt(html, words)
}

/// Markdown written by the planet's operator (descriptions, pages), rendered
/// and then sanitized like any post.
pub fn markdown(source: &str) -> SafeHtml {
    let parser = pulldown_cmark::Parser::new_ext(source, pulldown_cmark::Options::ENABLE_TABLES);
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, parser);
    // Like a post's, its headings are re-levelled below the page's own.
    clean(&html, None)
}

/// Everything stripped: used to turn titles into plain text.
static NO_TAGS: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut b = ammonia::Builder::empty();
    b.clean_content_tags(policy::DROP_WITH_CONTENT.iter().copied().collect());
    b
});

/// HTML (or text with entities) → plain text: tags stripped, contents of
/// script/style dropped, entities decoded exactly once.
pub fn plain_text(html: &str) -> String {
    let escaped = NO_TAGS.clean(html).to_string();
    escaped
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&nbsp;", "\u{a0}")
        .replace("&quot;", "\"")
        .replace("&amp;", "&")
}

/// Plain text → HTML paragraphs (blank lines separate paragraphs, single
/// newlines become `<br>`), every character escaped.
pub fn text_to_html(text: &str) -> String {
    let normalised = text.replace("\r\n", "\n");
    normalised
        .split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| format!("<p>{}</p>", escape(p).replace('\n', "<br>\n")))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Text → HTML text or attribute value (`&`, `<`, `>`, `"` escaped), in one
/// pass (URLs, the usual input, rarely have any of them).
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(['&', '<', '>', '"']) {
        out.push_str(&rest[..at]);
        out.push_str(match rest.as_bytes()[at] {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            _ => "&quot;",
        });
        rest = &rest[at + 1..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests;
