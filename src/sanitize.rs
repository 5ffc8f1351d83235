//! Untrusted HTML from feeds → [`SafeHtml`], the only HTML templates may print
//! unescaped. This module is the only caller of lol_html and ammonia and the
//! only maker of `SafeHtml`.
//!
//! Two steps. A lol_html pre-pass removes elements whose *contents* must never
//! become text (`script`, `style`, `noscript`, `template`, `textarea`, `xmp`,
//! `noembed`, `noframes`, `title`, plugins), turns iframes into plain links,
//! restores lazy images (`data-src`, `data-srcset`) and resolves every relative
//! URL (`href`, `src`, `srcset`, `poster`, `cite`) against the entry's base.
//! Then an ammonia allow-list keeps the markup that makes a post look like its
//! original (code blocks byte-for-byte with `language-*` classes, tables,
//! figures, images, audio/video) and nothing that can run: only http, https
//! and mailto URLs survive, links get `rel="noopener noreferrer nofollow ugc"`.

use std::borrow::Cow;
use std::collections::HashSet;
use std::sync::LazyLock;

use lol_html::html_content::ContentType;
use lol_html::{RewriteStrSettings, element, rewrite_str};
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

/// Elements removed together with everything inside them.
const DROP_WITH_CONTENT: &[&str] = &[
    "script", "style", "noscript", "template", "textarea", "xmp", "noembed", "noframes", "title",
    "object", "embed", "applet", "frameset", "frame", "iframe", "head", "select", "button", "form",
    "svg", "canvas", "dialog",
];

const LINK_REL: &str = "noopener noreferrer nofollow ugc";

static POLICY: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut b = ammonia::Builder::default();
    b.add_tags(["audio", "video", "source", "picture", "track"])
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
        .add_tag_attributes("audio", ["src", "controls", "preload", "loop"])
        .add_tag_attributes("source", ["src", "srcset", "type", "media", "sizes"])
        .add_tag_attributes("track", ["src", "kind", "srclang", "label"])
        .add_tag_attributes("time", ["datetime"])
        .add_tag_attributes("abbr", ["title"])
        .url_schemes(HashSet::from(["http", "https", "mailto"]))
        .url_relative(ammonia::UrlRelative::Deny)
        .link_rel(Some(LINK_REL))
        .attribute_filter(|element, attribute, value| {
            // Values the pre-pass set are forced here too, so a post cannot
            // opt out (ammonia's own "set value" keeps a HashMap whose order
            // would make the output differ from run to run).
            match (element, attribute) {
                ("img", "loading") => return Some(Cow::Borrowed("lazy")),
                ("img", "referrerpolicy") => return Some(Cow::Borrowed("no-referrer")),
                ("video" | "audio", "controls") => return Some(Cow::Borrowed("")),
                (_, "class") => {}
                _ => return Some(Cow::Borrowed(value)),
            }
            let kept: Vec<&str> = value
                .split_whitespace()
                .filter(|c| {
                    (element == "code" || element == "pre")
                        && (c.starts_with("language-") || c.starts_with("lang-"))
                })
                .collect();
            (!kept.is_empty()).then(|| Cow::Owned(kept.join(" ")))
        });
    b
});

/// Everything stripped: used to turn titles into plain text.
static NO_TAGS: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut b = ammonia::Builder::empty();
    b.clean_content_tags(DROP_WITH_CONTENT.iter().copied().collect());
    b
});

/// Sanitizes one post body. `base` is where relative URLs point (xml:base of
/// the content, else the entry link, else the feed's URL); relative URLs that
/// cannot be resolved are dropped.
pub fn clean(html: &str, base: Option<&str>) -> SafeHtml {
    let base = base.and_then(|b| Url::parse(b).ok());
    let prepared = prepass(html, base.as_ref());
    SafeHtml(POLICY.clean(&prepared).to_string())
}

/// Markdown written by the planet's operator (descriptions, pages), rendered
/// and then sanitized like any post.
pub fn markdown(source: &str) -> SafeHtml {
    let parser = pulldown_cmark::Parser::new_ext(source, pulldown_cmark::Options::ENABLE_TABLES);
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, parser);
    clean(&html, None)
}

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

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The lol_html pass: drop dangerous-content elements, restore lazy images,
/// turn iframes into links and resolve relative URLs. On a rewriter error
/// (pathological input) the original goes to ammonia, which is safe alone;
/// only the fidelity fixes are lost.
fn prepass(html: &str, base: Option<&Url>) -> String {
    let resolve = |value: &str| -> Option<String> {
        let value = value.trim();
        match Url::parse(value) {
            Ok(url) => Some(url.to_string()),
            Err(url::ParseError::RelativeUrlWithoutBase) => {
                base.and_then(|b| b.join(value).ok()).map(|u| u.to_string())
            }
            Err(_) => None,
        }
    };
    let resolve_srcset = |value: &str| -> String {
        value
            .split(',')
            .filter_map(|candidate| {
                let mut parts = candidate.split_whitespace();
                let url = resolve(parts.next()?)?;
                let descriptor: Vec<&str> = parts.collect();
                Some(if descriptor.is_empty() {
                    url
                } else {
                    format!("{url} {}", descriptor.join(" "))
                })
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let drop_selector = DROP_WITH_CONTENT
        .iter()
        .filter(|t| **t != "iframe")
        .copied()
        .collect::<Vec<_>>()
        .join(", ");
    let settings = RewriteStrSettings::new()
        .append_element_content_handler(element!(drop_selector, |el| {
            el.remove();
            Ok(())
        }))
        .append_element_content_handler(element!("iframe", |el| {
            match el.get_attribute("src").and_then(|s| resolve(&s)) {
                Some(url) => {
                    let text = escape(&url);
                    el.replace(
                        &format!("<p><a href=\"{text}\">{text}</a></p>"),
                        ContentType::Html,
                    );
                }
                None => el.remove(),
            }
            Ok(())
        }))
        .append_element_content_handler(element!("img", |el| {
            el.set_attribute("loading", "lazy")?;
            el.set_attribute("referrerpolicy", "no-referrer")?;
            Ok(())
        }))
        .append_element_content_handler(element!("video, audio", |el| {
            el.set_attribute("controls", "")?;
            el.remove_attribute("autoplay");
            Ok(())
        }))
        .append_element_content_handler(element!(
            "img[data-src], source[data-src], video[data-src]",
            |el| {
                let current = el.get_attribute("src").unwrap_or_default();
                if (current.trim().is_empty() || current.starts_with("data:"))
                    && let Some(lazy) = el.get_attribute("data-src")
                {
                    el.set_attribute("src", &lazy)?;
                }
                Ok(())
            }
        ))
        .append_element_content_handler(element!("img[data-srcset], source[data-srcset]", |el| {
            if el
                .get_attribute("srcset")
                .is_none_or(|s| s.trim().is_empty())
                && let Some(lazy) = el.get_attribute("data-srcset")
            {
                el.set_attribute("srcset", &lazy)?;
            }
            Ok(())
        }))
        .append_element_content_handler(element!("[href], [src], [poster], [cite]", |el| {
            for name in ["href", "src", "poster", "cite"] {
                if let Some(value) = el.get_attribute(name) {
                    match resolve(&value) {
                        Some(url) => el.set_attribute(name, &url)?,
                        None => el.remove_attribute(name),
                    }
                }
            }
            Ok(())
        }))
        .append_element_content_handler(element!("[srcset]", |el| {
            if let Some(value) = el.get_attribute("srcset") {
                el.set_attribute("srcset", &resolve_srcset(&value))?;
            }
            Ok(())
        }));
    rewrite_str(html, settings).unwrap_or_else(|_| html.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: Option<&str> = Some("https://blog.example.org/2025/01/post/");

    #[test]
    fn contents_of_dangerous_elements_never_become_text() {
        let html = "<p>a</p><style>.mjx-chtml {display: inline-block}</style><script>alert(1)</script>\
            <noscript>NOSCRIPT</noscript><template>TPL</template><textarea>TA</textarea><xmp>XMP</xmp>\
            <noembed>NE</noembed><noframes>NF</noframes><title>TITLE</title><object>OBJ</object><p>b</p>";
        let out = clean(html, BASE);
        assert_eq!(out.as_str(), "<p>a</p><p>b</p>");
    }

    #[test]
    fn code_blocks_keep_whitespace_and_language_class() {
        let html = "<pre><code class=\"language-rust evil\" onclick=\"x()\">fn main() {\n    let a = 1 &lt; 2;\n\tdone();\n}</code></pre>";
        let out = clean(html, BASE);
        assert_eq!(
            out.as_str(),
            "<pre><code class=\"language-rust\">fn main() {\n    let a = 1 &lt; 2;\n\tdone();\n}</code></pre>"
        );
    }

    #[test]
    fn relative_urls_resolve_against_the_base_and_bad_schemes_go() {
        let html = "<a href=\"../other/\">o</a><img src=\"img/a.png\" alt=\"A\"><a href=\"javascript:alert(1)\">j</a>\
            <img data-src=\"/lazy.png\" src=\"data:image/gif;base64,R0lGOD\">";
        let out = clean(html, BASE);
        let s = out.as_str();
        assert!(s.contains("href=\"https://blog.example.org/2025/01/other/\" rel=\"noopener noreferrer nofollow ugc\""), "{s}");
        assert!(
            s.contains("src=\"https://blog.example.org/2025/01/post/img/a.png\""),
            "{s}"
        );
        assert!(s.contains("loading=\"lazy\""), "{s}");
        assert!(
            s.contains("src=\"https://blog.example.org/lazy.png\""),
            "{s}"
        );
        assert!(!s.contains("javascript"), "{s}");
    }

    #[test]
    fn iframes_become_links() {
        let out = clean(
            "<iframe src=\"https://www.youtube.com/embed/x\"></iframe>",
            BASE,
        );
        assert_eq!(
            out.as_str(),
            "<p><a href=\"https://www.youtube.com/embed/x\" rel=\"noopener noreferrer nofollow ugc\">https://www.youtube.com/embed/x</a></p>"
        );
    }

    #[test]
    fn plain_text_decodes_once_and_drops_markup() {
        assert_eq!(
            plain_text("<b>Fish</b> &amp;amp; chips &lt;3<script>x</script>"),
            "Fish &amp; chips <3"
        );
        assert_eq!(
            text_to_html("a < b\nc\n\nd"),
            "<p>a &lt; b<br>\nc</p>\n<p>d</p>"
        );
    }

    #[test]
    fn markdown_is_rendered_then_sanitized() {
        let out = markdown("Some *Markdown* <script>x</script>[l](https://x.example/)");
        assert!(
            out.as_str().contains("<em>Markdown</em>"),
            "{}",
            out.as_str()
        );
        assert!(!out.as_str().contains("script"), "{}", out.as_str());
    }
}
