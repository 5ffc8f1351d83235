//! Unit tests of the whole sanitizer (pre-pass + policy + post-pass).

use super::*;

const BASE: Option<&str> = Some("https://blog.example.org/2025/01/post/");

fn s(html: &str) -> String {
    clean(html, BASE).as_str().to_string()
}

#[test]
fn contents_of_dangerous_elements_never_become_text() {
    let html = "<p>a</p><style>.mjx-chtml {display: inline-block}</style><script>alert(1)</script>\
        <noscript>NOSCRIPT</noscript><template>TPL</template><textarea>TA</textarea><xmp>XMP</xmp>\
        <noembed>NE</noembed><noframes>NF</noframes><title>TITLE</title><object>OBJ</object>\
        <embed src=\"x\"><applet>AP</applet><frameset>FS</frameset><p>b</p>";
    assert_eq!(s(html), "<p>a</p><p>b</p>");
}

#[test]
fn code_blocks_keep_whitespace_and_language_class() {
    let html = "<pre><code class=\"language-rust evil\" onclick=\"x()\">fn main() {\n    let a = 1 &lt; 2;\n\tdone();\n}</code></pre>";
    assert_eq!(
        s(html),
        "<pre><code class=\"language-rust\">fn main() {\n    let a = 1 &lt; 2;\n\tdone();\n}</code></pre>"
    );
}

#[test]
fn structure_is_kept_faithfully() {
    for html in [
        "<table><thead><tr><th>a</th></tr></thead><tbody><tr><td colspan=\"2\">b</td></tr></tbody></table>",
        "<figure><img src=\"https://x.example/a.png\" alt=\"A\" loading=\"lazy\" referrerpolicy=\"no-referrer\"><figcaption>cap</figcaption></figure>",
        "<details open=\"\"><summary>more</summary><p>hidden</p></details>",
        "<p>H<sub>2</sub>O and x<sup>2</sup>, <abbr title=\"HyperText\">HTML</abbr></p>",
        "<blockquote><ol start=\"3\"><li>x</li></ol><ul><li>y</li></ul></blockquote>",
    ] {
        assert_eq!(s(html), html);
    }
}

#[test]
fn media_get_controls_and_no_autoplay() {
    let out = s(
        "<video autoplay src=\"v.mp4\" poster=\"p.jpg\"><source data-src=\"v.webm\"></video><audio autoplay controls=\"no\" src=\"https://x.example/a.mp3\"></audio>",
    );
    assert_eq!(
        out,
        "<video src=\"https://blog.example.org/2025/01/post/v.mp4\" poster=\"https://blog.example.org/2025/01/post/p.jpg\" controls=\"\" preload=\"none\"><source src=\"https://blog.example.org/2025/01/post/v.webm\"></video>\
         <audio controls=\"\" src=\"https://x.example/a.mp3\" preload=\"none\"></audio>"
    );
}

#[test]
fn relative_urls_resolve_against_the_base_and_bad_schemes_go() {
    let out = s(
        "<a href=\"../other/?a=1&amp;b=2\">o</a><img src=\"img/a.png\" alt=\"A\"><a href=\"javascript:alert(1)\">j</a>\
        <img data-src=\"/lazy.png\" src=\"data:image/gif;base64,R0lGOD\"><a href=\"&#106;avascript:x\">k</a>",
    );
    assert!(
        out.contains("href=\"https://blog.example.org/2025/01/other/?a=1&amp;b=2\" rel=\"noopener noreferrer nofollow ugc\""),
        "{out}"
    );
    assert!(
        out.contains("src=\"https://blog.example.org/2025/01/post/img/a.png\""),
        "{out}"
    );
    assert!(
        out.contains("src=\"https://blog.example.org/lazy.png\""),
        "{out}"
    );
    assert!(
        !out.contains("javascript") && !out.contains("data:"),
        "{out}"
    );
}

#[test]
fn wordpress_lazy_images_are_restored_and_pixels_removed() {
    let out = s(
        "<img src=\"https://blog.example.org/wp-content/plugins/jetpack/1x1.trans.gif\" \
         data-lazy-src=\"https://blog.example.org/a.jpg?is-pending-load=1\" \
         srcset=\"data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP\" data-lazy-srcset=\"a-300.jpg 300w, a-1024.jpg 1024w\" \
         width=\"1024\" height=\"600\" alt=\"photo\">\
         <img src=\"https://feeds.example/track.gif\" width=\"1\" height=\"1\">\
         <img src=\"https://pixel.wp.com/g.gif?x=1\">",
    );
    assert_eq!(
        out,
        "<img src=\"https://blog.example.org/a.jpg?is-pending-load=1\" srcset=\"https://blog.example.org/2025/01/post/a-300.jpg 300w, https://blog.example.org/2025/01/post/a-1024.jpg 1024w\" \
         width=\"1024\" height=\"600\" alt=\"photo\" loading=\"lazy\" referrerpolicy=\"no-referrer\">"
    );
}

#[test]
fn allowed_iframes_are_sandboxed_and_others_become_links() {
    let out = s(
        "<iframe src=\"http://www.youtube.com/embed/x?rel=0&amp;start=3\" width=\"560\" onload=\"x()\"><b>fallback</b></iframe>",
    );
    assert_eq!(
        out,
        "<iframe src=\"https://www.youtube.com/embed/x?rel=0&amp;start=3\" width=\"560\" sandbox=\"allow-scripts allow-popups allow-presentation\" \
         allow=\"accelerometer; encrypted-media; gyroscope; picture-in-picture; fullscreen\" loading=\"lazy\" referrerpolicy=\"strict-origin-when-cross-origin\"></iframe>"
    );
    assert_eq!(
        s("<p>see <iframe src=\"https://evil.example/x\"></iframe></p>"),
        "<p>see <a href=\"https://evil.example/x\" rel=\"noopener noreferrer nofollow ugc\">https://evil.example/x</a></p>"
    );
    assert_eq!(s("<iframe src=\"javascript:alert(1)\"></iframe>"), "");
    // A custom allow-list replaces the default one.
    let only_vimeo = Sanitizer::new(&["player.vimeo.com".to_string()]);
    let out = only_vimeo.clean(
        "<iframe src=\"https://www.youtube.com/embed/x\"></iframe>",
        None,
    );
    assert!(out.as_str().starts_with("<a href="), "{}", out.as_str());
    // An iframe that reaches the post-pass off the list is removed.
    assert_eq!(
        postpass::run(
            "<iframe src=\"https://evil.example/\"></iframe><p>x</p>".into(),
            &["www.youtube.com".to_string()]
        ),
        "<p>x</p>"
    );
}

#[test]
fn headings_start_below_the_page_headings_and_keep_their_distances() {
    assert_eq!(
        s("<h1>a</h1><h2>b</h2><h3>c</h3><h4>d</h4>"),
        "<h4>a</h4><h5>b</h5><h6>c</h6><h6>d</h6>"
    );
    assert_eq!(s("<h2>a</h2><h3>b</h3>"), "<h4>a</h4><h5>b</h5>");
    assert_eq!(s("<h5>a</h5><h6>b</h6>"), "<h5>a</h5><h6>b</h6>");
    // Headings that are dropped do not count.
    assert_eq!(s("<noscript><h1>x</h1></noscript><h2>a</h2>"), "<h4>a</h4>");
}

#[test]
fn tex_in_scripts_becomes_text_and_existing_tex_stays() {
    assert_eq!(
        s(
            "<p>Inline <script type=\"math/tex\">x < y_1</script> and</p><script type=\"math/tex; mode=display\">\\sum_i a_i</script><p>\\(e^{i\\pi}\\)</p>"
        ),
        "<p>Inline \\(x &lt; y_1\\) and</p>\\[\\sum_i a_i\\]<p>\\(e^{i\\pi}\\)</p>"
    );
}

#[test]
fn mathjax_v2_renderings_go_and_tex_stays() {
    let html = "<p>Let <span class=\"MathJax_Preview\" style=\"color: inherit;\">x^2</span>\
        <span class=\"MathJax\" id=\"MathJax-Element-1-Frame\" tabindex=\"0\"><nobr><span class=\"math\"><span class=\"mi\">x</span><span class=\"mn\">2</span></span></nobr>\
        <span class=\"MJX_Assistive_MathML\"><math><msup><mi>x</mi><mn>2</mn></msup></math></span></span>\
        <script type=\"math/tex\" id=\"MathJax-Element-1\">x^2</script> be.</p>\
        <style>.mjx-chtml {display: inline-block;} @font-face {font-family: MJXc}</style>\
        <div class=\"MathJax_Display\"><span class=\"mjx-chtml MJXc-display\"><span class=\"mjx-char\">y</span></span></div>\
        <script type=\"math/tex; mode=display\">y</script>";
    assert_eq!(s(html), "<p>Let \\(x^2\\) be.</p>\\[y\\]");
}

#[test]
fn mathjax_v3_and_katex_keep_their_mathml() {
    let v3 = "<p><mjx-container class=\"MathJax\" jax=\"CHTML\" display=\"true\"><mjx-math class=\"MJX-TEX\"><mjx-mi><mjx-c class=\"mjx-c1D465\">x</mjx-c></mjx-mi></mjx-math>\
        <mjx-assistive-mml unselectable=\"on\" display=\"block\"><math xmlns=\"http://www.w3.org/1998/Math/MathML\" display=\"block\"><mi>x</mi><mo>=</mo><mn>1</mn></math></mjx-assistive-mml></mjx-container></p>";
    assert_eq!(
        s(v3),
        "<p><math display=\"block\"><mi>x</mi><mo>=</mo><mn>1</mn></math></p>"
    );
    let katex = "<span class=\"katex\"><span class=\"katex-mathml\"><math><semantics><mrow><mi>a</mi></mrow>\
        <annotation encoding=\"application/x-tex\">a</annotation></semantics></math></span><span class=\"katex-html\" aria-hidden=\"true\"><span class=\"base\">a</span></span></span>";
    assert_eq!(
        s(katex),
        "<span><span><math><semantics><mrow><mi>a</mi></mrow><annotation encoding=\"application/x-tex\">a</annotation></semantics></math></span></span>"
    );
}

#[test]
fn mathml_namespace_confusion_is_defused() {
    for payload in [
        "<math><mtext><table><mglyph><style><!--</style><img title=\"--&gt;&lt;/mglyph&gt;&lt;img&Tab;src=1&Tab;onerror=alert(1)&gt;\">",
        "<math><mtext><h1><a><h6></a></h6><mglyph><svg><mtext><style><a title=\"</style><img src onerror=alert(1)>\"></style></h1>",
        "<math><annotation-xml encoding=\"text/html\"><style><img src=x onerror=alert(1)></style></annotation-xml></math>",
        "<math href=\"javascript:alert(1)\"><mi xlink:href=\"javascript:alert(1)\">x</mi></math>",
        "<form><math><mtext></form><form><mglyph><style></math><img src onerror=alert(1)>",
        "<svg></p><style><a id=\"</style><img src=1 onerror=alert(1)>\">",
    ] {
        let out = s(payload);
        let lower = out.to_ascii_lowercase();
        assert!(
            !lower.contains("onerror=")
                && !lower.contains("javascript:")
                && !lower.contains("<img src=\"\""),
            "{payload} → {out}"
        );
        assert_eq!(clean(&out, None).as_str(), out, "not idempotent: {payload}");
    }
}

#[test]
fn output_is_idempotent_and_deterministic() {
    let html = "<h1 title=\"t\">T</h1><p>a<img src=\"x.png\" width=\"5\"><iframe src=\"https://player.vimeo.com/video/1\"></iframe>\
        <video src=\"v.mp4\"></video><pre class=\"language-py\">  x</pre></p>";
    let once = clean(html, BASE);
    assert_eq!(clean(once.as_str(), None), once);
    assert_eq!(clean(html, BASE), once);
}

#[test]
fn excerpts_are_cut_on_the_tree_and_balanced() {
    let san = Sanitizer::new(&[]);
    let body = san.clean(
        "<h2>Title words</h2><p>one <em>two three</em> four</p><ul><li>five</li></ul><img src=\"https://x.example/a.png\">",
        None,
    );
    let cut = san.excerpt(&body, 4);
    assert_eq!(cut.as_str(), "<h4>Title words</h4><p>one <em>two…</em></p>");
    assert_eq!(san.excerpt(&body, 100), body);
    assert_eq!(san.clean(cut.as_str(), None), cut);
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

#[test]
fn csp_frame_sources_follow_the_allow_list() {
    assert_eq!(csp_frame_src(&[]), "'none'");
    assert_eq!(
        csp_frame_src(&["www.youtube.com".into(), "player.vimeo.com".into()]),
        "https://www.youtube.com https://player.vimeo.com"
    );
}
