//! Fidelity: posts look like their originals. Fixture feeds under
//! `tests/fixtures/fidelity/` (MathJax v2 and v3 renderings, indented code,
//! WordPress lazy images, xml:base, a YouTube iframe, a long post) are built
//! into a planet by the real binary and the rendered page is checked.

use crate::common;

use std::path::PathBuf;

use common::{planetoid, read, stderr, write_config};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/fidelity")
        .join(name)
}

/// The `<article>` whose title is `title`.
fn article<'a>(html: &'a str, title: &str) -> &'a str {
    let at = html
        .find(&format!(">{title}</a></h3>"))
        .unwrap_or_else(|| panic!("no entry titled {title:?}"));
    let start = html[..at].rfind("<article").expect("article start");
    let end = at + html[at..].find("</article>").expect("article end");
    &html[start..end]
}

fn build() -> String {
    let dir = tempfile::tempdir().expect("tempdir");
    let long = read(fixture("long-post.xml"));
    for (suffix, name) in [("S", "long-summary.xml"), ("T", "long-title.xml")] {
        let renamed = long
            .replace(
                "<title>With summary</title>",
                &format!("<title>With summary ({suffix})</title>"),
            )
            .replace(
                "<title>Without summary</title>",
                &format!("<title>Without summary ({suffix})</title>"),
            )
            // Other links and ids: the timeline would dedupe copies.
            .replace(
                "https://long.example.org/",
                &format!("https://long-{suffix}.example.org/"),
            );
        std::fs::write(dir.path().join(name), renamed).expect("write");
    }
    let mut config = String::from(
        "title: Fidelity\nbase_url: https://planet.test/\nentries_per_page: 50\nexcerpt_words: 6\nfeeds:\n",
    );
    for name in [
        "mathjax-v2.xml",
        "mathjax-v3.xml",
        "code.xml",
        "wordpress-lazy.xml",
        "xml-base.xml",
        "youtube.xml",
        "long-post.xml",
    ] {
        config.push_str(&format!("  - url: {}\n", fixture(name).display()));
    }
    config.push_str("  - url: long-summary.xml\n    content: summary\n");
    config.push_str("  - url: long-title.xml\n    content: title\n");
    write_config(dir.path(), &config);
    let out = planetoid(dir.path(), &["build", "--now", "2025-06-30T12:00:00Z"]);
    assert!(out.status.success(), "{}", stderr(&out));
    read(dir.path().join("output/index.html"))
}

#[test]
fn posts_look_like_their_originals() {
    let html = build();

    // No MathJax machinery or its CSS anywhere on the page.
    for leak in ["mjx", "@font-face", "{display", "line-height", "MJX"] {
        assert!(!html.contains(leak), "{leak} leaked");
    }

    let v2 = article(&html, "Euler v2");
    assert!(
        v2.contains("<p>Euler's identity \\(e^{i\\pi}+1=0\\) is famous.</p>"),
        "{v2}"
    );
    assert!(
        v2.contains("\\[x = \\frac{-b \\pm \\sqrt{b^2-4ac}}{2a}\\]"),
        "{v2}"
    );
    assert_eq!(v2.matches("e^{i").count(), 1, "preview dropped: {v2}");
    assert!(!v2.contains("<math"), "v2's assistive MathML dropped: {v2}");
    let v2_body = &v2[v2.find("entry-body").expect("body")..];
    assert!(!v2_body.contains("MathJax"), "{v2}");

    let v3 = article(&html, "Pythagoras v3");
    assert!(
        v3.contains("<p>We know <math><msup><mi>a</mi><mn>2</mn></msup><mo>+</mo><msup><mi>b</mi><mn>2</mn></msup><mo>=</mo><msup><mi>c</mi><mn>2</mn></msup></math> for right triangles.</p>"),
        "{v3}"
    );

    let code = article(&html, "Indented code");
    assert!(
        code.contains(
            "<pre><code class=\"language-rust\">fn main() {\n    let v = vec![1, 2, 3];\n    for x in &amp;v {\n        if *x &lt; 3 {\n\t        println!(\"{x}\");   // tab, then spaces\n        }\n    }\n}\n</code></pre>"
        ),
        "{code}"
    );
    assert!(
        code.contains(
            "<pre class=\"lang-python\">def f():\n    return {\"a\": [1,\n                  2]}\n</pre>"
        ),
        "{code}"
    );

    let wp = article(&html, "Lazy photos");
    assert!(
        wp.contains("src=\"https://wp.example.org/wp-content/uploads/2025/06/river-1024x683.jpg\""),
        "{wp}"
    );
    assert!(
        wp.contains("srcset=\"https://wp.example.org/wp-content/uploads/2025/06/river-300x200.jpg 300w, https://wp.example.org/wp-content/uploads/2025/06/river-1024x683.jpg 1024w\""),
        "{wp}"
    );
    assert!(
        wp.contains("src=\"https://wp.example.org/2025/06/lazy/images/bridge.png\""),
        "{wp}"
    );
    assert_eq!(wp.matches("alt=\"River at dusk\"").count(), 1, "{wp}");
    assert_eq!(
        wp.matches("loading=\"lazy\" referrerpolicy=\"no-referrer\"")
            .count(),
        2,
        "{wp}"
    );
    for gone in ["1x1.trans.gif", "data:", "pixel.wp.com", "<noscript"] {
        assert!(!wp.contains(gone), "{gone} in {wp}");
    }
    assert!(wp.contains("<figcaption>The river</figcaption>"), "{wp}");

    let based = article(&html, "Relative links");
    for url in [
        "href=\"https://static.example.net/2025/06/notes.html\"",
        "href=\"https://static.example.net/2025/archive/\"",
        "href=\"https://static.example.net/about\"",
        "src=\"https://static.example.net/2025/06/figure.png\"",
        "src=\"https://static.example.net/2025/06/clip.mp4\"",
        "poster=\"https://static.example.net/2025/06/clip.jpg\"",
    ] {
        assert!(based.contains(url), "{url} missing: {based}");
    }

    let video = article(&html, "Talk video");
    assert!(
        video.contains("<iframe width=\"560\" height=\"315\" src=\"https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ?start=5&amp;rel=0\" title=\"YouTube video player\" allow=\"accelerometer; encrypted-media; gyroscope; picture-in-picture; fullscreen\" allowfullscreen=\"\" sandbox=\"allow-scripts allow-popups allow-presentation\" loading=\"lazy\" referrerpolicy=\"strict-origin-when-cross-origin\"></iframe>"),
        "{video}"
    );
    assert!(
        video.contains("<a href=\"https://slides.example.com/embed/42\" rel=\"noopener noreferrer nofollow ugc\">https://slides.example.com/embed/42</a>"),
        "{video}"
    );
    assert!(
        !video.contains("onload") && !video.contains("autoplay"),
        "{video}"
    );
    // The CSP lets frames come only from the allow-list.
    assert!(
        html.contains("frame-src https://www.youtube.com https://youtube.com https://www.youtube-nocookie.com https://youtube-nocookie.com https://player.vimeo.com;"),
        "CSP frame-src"
    );
    assert!(
        html.contains("default-src 'none'; script-src 'none';"),
        "CSP script-src"
    );
}

#[test]
fn content_modes_show_full_posts_excerpts_or_titles() {
    let html = build();
    // full (default): the whole content, headings below the page's own.
    let full = article(&html, "Without summary");
    assert!(
        full.contains(
            "<h4>Part one</h4><p>alpha beta <strong>gamma delta epsilon</strong> zeta eta theta</p>"
        ),
        "{full}"
    );
    assert!(full.contains("LAST WORDS"), "{full}");
    assert!(
        article(&html, "With summary").contains("FULL TEXT ONE"),
        "full mode shows content"
    );

    // summary: the feed's summary, else an excerpt cut on the tree.
    let summary = article(&html, "With summary (S)");
    assert!(
        summary.contains("<p>Short summary of the <em>first</em> post.</p>"),
        "{summary}"
    );
    assert!(!summary.contains("FULL TEXT"), "{summary}");
    let excerpt = article(&html, "Without summary (S)");
    assert!(
        excerpt.contains(
            "<div class=\"entry-body\"><h4>Part one</h4><p>alpha beta <strong>gamma delta…</strong></p></div>"
        ),
        "{excerpt}"
    );

    // title: no body at all.
    for title in ["With summary (T)", "Without summary (T)"] {
        let t = article(&html, title);
        assert!(t.contains("title-only"), "{t}");
        assert!(!t.contains("entry-body"), "{t}");
    }
}

/// Sanitizer output is the same in every process (no HashMap order leaks
/// into attribute order), so two builds give byte-identical pages.
#[test]
fn rich_posts_render_byte_identically_across_processes() {
    assert_eq!(build(), build());
}
