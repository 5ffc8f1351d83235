//! Our own streaming engine of the pre-pass, for the markup nearly every
//! post is made of: HTML elements, attributes written the regular way,
//! comments, and `<script>`/`<style>`-like raw text. It gives the same bytes
//! lol_html gives for such a post, and `None` the moment it meets anything
//! else (SVG or MathML, `<select>`, `<frameset>`, `<plaintext>`,
//! `<image>`, doctypes and bogus comments, a malformed or unfinished tag, a
//! NUL, an escaped script), so that lol_html rewrites the post instead.
//!
//! What "the same" means, precisely: elements nest by name on a stack
//! (void elements never open; an end tag closes the nearest open element of
//! its name and everything opened after it, and an end tag with no such
//! element changes nothing); an element removed with its content takes
//! everything up to the end tag that closes it, and that end tag is removed
//! even when it belongs to an ancestor; elements inside removed content still
//! get their rules, for the stack's sake. A tag no rule changed is copied as
//! written; a changed one is written `<name attr…>` with the attributes left
//! as written, separated by one space, and set values double-quoted.

use std::borrow::Cow;

use super::{Context, Element, URL_ELEMENTS};
use crate::sanitize::policy::DROP_WITH_CONTENT;

/// The post rewritten, or `None` when it holds something this engine does
/// not model.
pub(super) fn rewrite(html: &str, cx: Context) -> Option<String> {
    if html.contains('\0') {
        return None;
    }
    let mut rw = Rewriter {
        src: html,
        out: String::with_capacity(html.len() + html.len() / 16),
        copied: 0,
        removing: 0,
        stack: Vec::new(),
        attrs: Vec::new(),
        math: super::may_have_math(html),
        cx,
    };
    rw.run()?;
    Some(rw.out)
}

/// HTML's void elements, which never open.
const VOID: &[&str] = &[
    "area", "base", "basefont", "bgsound", "br", "col", "embed", "hr", "img", "input", "keygen",
    "link", "meta", "param", "source", "track", "wbr",
];

/// Open elements the stream keeps track of; a post nested deeper goes to
/// lol_html, so that finding an end tag's element never costs more than
/// this many comparisons.
const MAX_OPEN: usize = 512;

/// Elements whose content is text up to their own end tag.
const RAW_TEXT: &[&str] = &[
    "script", "style", "iframe", "xmp", "noembed", "noframes", "noscript", "textarea", "title",
];

/// Start tags that make lol_html change namespace, refuse the post
/// (`select`, `frameset`) or rename (`image`): left to lol_html.
const NOT_MODELLED: &[&str] = &["svg", "math", "select", "frameset", "plaintext", "image"];

/// Elements some rule looks at whatever their attributes.
fn has_rules(name: &str) -> bool {
    DROP_WITH_CONTENT.contains(&name)
        || URL_ELEMENTS.contains(&name)
        || matches!(name, "iframe" | "video" | "audio")
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\n' | b'\t' | b'\x0c')
}

/// An open element.
struct Open<'a> {
    name: Cow<'a, str>,
    /// Its content is being removed.
    removes_content: bool,
    /// The end tag that closes it is removed, and this text put after it.
    end: Option<&'static str>,
}

/// One attribute as written: byte ranges into the post.
#[derive(Clone, Copy)]
struct Span {
    name: (usize, usize),
    value: Option<(usize, usize)>,
    /// Name to end of value, quotes included.
    raw: (usize, usize),
}

struct Rewriter<'a, 'c> {
    src: &'a str,
    out: String,
    /// Everything before this byte is written out or dropped.
    copied: usize,
    /// Open elements whose content is being removed.
    removing: usize,
    stack: Vec<Open<'a>>,
    attrs: Vec<Span>,
    math: bool,
    cx: Context<'c>,
}

impl<'a> Rewriter<'a, '_> {
    fn run(&mut self) -> Option<()> {
        let bytes = self.src.as_bytes();
        let mut at = 0;
        while let Some(found) = self.src.get(at..).and_then(|rest| rest.find('<')) {
            let lt = at + found;
            at = match bytes.get(lt + 1) {
                Some(b) if b.is_ascii_alphabetic() => self.start_tag(lt)?,
                Some(b'/') => match bytes.get(lt + 2) {
                    Some(b) if b.is_ascii_alphabetic() => self.end_tag(lt)?,
                    _ => return None,
                },
                Some(b'!') => self.comment(lt)?,
                Some(b'?') => return None,
                _ => lt + 1,
            };
        }
        self.text_up_to(self.src.len());
        Some(())
    }

    /// Writes (or, inside removed content, drops) the text before `to`.
    fn text_up_to(&mut self, to: usize) {
        if self.removing == 0 {
            self.out.push_str(&self.src[self.copied..to]);
        }
        self.copied = to;
    }

    /// `<!--…-->`, copied like text. The odd forms (`<!-->`, `<!--->`,
    /// `--!>`) and anything else after `<!` go to lol_html.
    fn comment(&self, lt: usize) -> Option<usize> {
        let rest = self.src.get(lt..)?.strip_prefix("<!--")?;
        if rest.starts_with('>') || rest.starts_with("->") {
            return None;
        }
        let end = rest.find("-->")?;
        if rest[..end + 3].contains("--!>") {
            return None;
        }
        Some(lt + 4 + end + 3)
    }

    /// The tag name at `from`: ASCII letters, digits and `-`, up to
    /// whitespace, `/` or `>`.
    fn name(&self, from: usize) -> Option<(usize, Cow<'a, str>)> {
        let bytes = self.src.as_bytes();
        let len = bytes[from..]
            .iter()
            .take_while(|b| !is_space(**b) && **b != b'/' && **b != b'>')
            .count();
        let name = &self.src[from..from + len];
        if !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
            return None;
        }
        let lower = if name.bytes().any(|b| b.is_ascii_uppercase()) {
            Cow::Owned(name.to_ascii_lowercase())
        } else {
            Cow::Borrowed(name)
        };
        Some((from + len, lower))
    }

    /// Reads a start tag's attributes into `self.attrs`; the end of the tag
    /// and whether it ends in `/>`.
    fn attributes(&mut self, mut at: usize) -> Option<(usize, bool)> {
        let bytes = self.src.as_bytes();
        self.attrs.clear();
        loop {
            while bytes.get(at).is_some_and(|b| is_space(*b)) {
                at += 1;
            }
            match *bytes.get(at)? {
                b'>' => return Some((at + 1, false)),
                b'/' => {
                    return (bytes.get(at + 1) == Some(&b'>')).then_some((at + 2, true));
                }
                _ => {}
            }
            let start = at;
            while let Some(&b) = bytes.get(at) {
                if is_space(b) || matches!(b, b'/' | b'>' | b'=') {
                    break;
                }
                if matches!(b, b'"' | b'\'' | b'<' | b'\r') {
                    return None;
                }
                at += 1;
            }
            if at == start {
                return None;
            }
            let name = (start, at);
            while bytes.get(at).is_some_and(|b| is_space(*b)) {
                at += 1;
            }
            if bytes.get(at) != Some(&b'=') {
                self.attrs.push(Span {
                    name,
                    value: None,
                    raw: name,
                });
                continue;
            }
            at += 1;
            while bytes.get(at).is_some_and(|b| is_space(*b)) {
                at += 1;
            }
            let (value, raw_end) = match *bytes.get(at)? {
                quote @ (b'"' | b'\'') => {
                    let len = bytes[at + 1..].iter().position(|b| *b == quote)?;
                    let close = at + 1 + len;
                    match bytes.get(close + 1) {
                        Some(b) if is_space(*b) || matches!(b, b'/' | b'>') => {}
                        _ => return None,
                    }
                    ((at + 1, close), close + 1)
                }
                b'>' => return None,
                _ => {
                    let from = at;
                    while let Some(&b) = bytes.get(at) {
                        if is_space(b) || b == b'>' {
                            break;
                        }
                        if matches!(b, b'"' | b'\'' | b'<' | b'=' | b'`' | b'\r') {
                            return None;
                        }
                        at += 1;
                    }
                    ((from, at), at)
                }
            };
            at = raw_end;
            self.attrs.push(Span {
                name,
                value: Some(value),
                raw: (start, raw_end),
            });
        }
    }

    fn start_tag(&mut self, lt: usize) -> Option<usize> {
        let (name_end, name) = self.name(lt + 1)?;
        if NOT_MODELLED.contains(&name.as_ref()) {
            return None;
        }
        let (end, self_closing) = self.attributes(name_end)?;
        let void = VOID.contains(&name.as_ref());
        let emitting = self.removing == 0;
        let mut open = Open {
            name: name.clone(),
            removes_content: false,
            end: None,
        };
        let mut escape_text = false;
        let is_math = self.math && self.is_math(&name);
        if is_math && matches!(name.as_ref(), "script" | "iframe") {
            // Two rules that both rewrite the element: left to lol_html.
            return None;
        }
        if is_math || has_rules(&name) {
            let spans = std::mem::take(&mut self.attrs);
            let mut tag = Tag::new(self.src, &spans, self_closing, !void);
            self.rules(&name, is_math, &mut tag);
            if emitting {
                self.text_up_to(lt);
                tag.write(
                    &mut self.out,
                    &self.src[lt..end],
                    &self.src[lt + 1..name_end],
                );
            }
            open.removes_content = tag.removes_content;
            open.end = tag.end;
            escape_text = tag.escape_text;
            self.attrs = spans;
        } else if emitting {
            self.text_up_to(lt);
            self.out.push_str(&self.src[lt..end]);
        }
        self.copied = end;
        if !void {
            if self.stack.len() >= MAX_OPEN {
                return None;
            }
            if open.removes_content {
                self.removing += 1;
            }
            self.stack.push(open);
        }
        if RAW_TEXT.contains(&name.as_ref()) {
            return self.raw_text(end, &name, escape_text);
        }
        Some(end)
    }

    /// The rules, in the order lol_html runs its handlers.
    fn rules(&self, name: &str, is_math: bool, tag: &mut Tag<'a, '_>) {
        if name == "script" {
            super::script(tag);
        }
        if name != "script" && DROP_WITH_CONTENT.contains(&name) {
            tag.remove();
        }
        if is_math {
            tag.remove();
        }
        match name {
            "iframe" => super::iframe(tag, self.cx),
            "img" => super::image(tag, self.cx.base),
            "source" => super::restore_lazy(tag),
            "video" | "audio" => super::media(tag),
            _ => {}
        }
        if URL_ELEMENTS.contains(&name) {
            super::resolve_urls(tag, self.cx.base);
        }
    }

    /// Whether the tag just read (`self.attrs`) is a math rendering.
    fn is_math(&self, name: &str) -> bool {
        let value = |wanted: &str| {
            self.attrs.iter().find_map(|span| {
                let n = &self.src[span.name.0..span.name.1];
                n.eq_ignore_ascii_case(wanted)
                    .then(|| span.value.map_or("", |(s, e)| &self.src[s..e]))
            })
        };
        super::is_math_rendering(name, value("class"), value("id"))
    }

    /// The text of a raw-text element, from `from` to its end tag, which
    /// is then read as any end tag. Script text that could escape
    /// (`<!--`) and text that never ends go to lol_html.
    fn raw_text(&mut self, from: usize, name: &str, escape_text: bool) -> Option<usize> {
        let bytes = self.src.as_bytes();
        let mut at = from;
        let close = loop {
            let lt = at + self.src.get(at..)?.find("</")?;
            let after = lt + 2 + name.len();
            let matches = self
                .src
                .get(lt + 2..after)
                .is_some_and(|n| n.eq_ignore_ascii_case(name));
            if matches {
                match bytes.get(after) {
                    Some(b'>') => break lt,
                    Some(b) if is_space(*b) || *b == b'/' => return None,
                    None => return None,
                    _ => {}
                }
            }
            at = lt + 2;
        };
        let text = &self.src[from..close];
        if name == "script" && text.contains("<!--") {
            return None;
        }
        if self.removing == 0 {
            if escape_text {
                push_escaped(&mut self.out, text);
            } else {
                self.out.push_str(text);
            }
        }
        self.copied = close;
        self.end_tag(close)
    }

    fn end_tag(&mut self, lt: usize) -> Option<usize> {
        let (name_end, name) = self.name(lt + 2)?;
        if self.src.as_bytes().get(name_end) != Some(&b'>') {
            return None;
        }
        let end = name_end + 1;
        let was_emitting = self.removing == 0;
        let mut effect = None;
        if let Some(index) = self.stack.iter().rposition(|open| open.name == name) {
            // Innermost first: the outermost element's effect wins.
            for open in self.stack.drain(index..).rev() {
                if open.removes_content {
                    self.removing -= 1;
                }
                if open.end.is_some() {
                    effect = open.end;
                }
            }
        }
        if self.removing > 0 {
            self.copied = end;
            return Some(end);
        }
        if was_emitting {
            self.text_up_to(lt);
        }
        match effect {
            Some(after) => self.out.push_str(after),
            None => self.out.push_str(&self.src[lt..end]),
        }
        self.copied = end;
        Some(end)
    }
}

/// Text escaped as lol_html escapes inserted text: `&`, `<`, `>`.
fn push_escaped(out: &mut String, text: &str) {
    let mut rest = text;
    while let Some(at) = rest.find(['&', '<', '>']) {
        out.push_str(&rest[..at]);
        out.push_str(match rest.as_bytes()[at] {
            b'<' => "&lt;",
            b'>' => "&gt;",
            _ => "&amp;",
        });
        rest = &rest[at + 1..];
    }
    out.push_str(rest);
}

/// An attribute of a tag the rules changed.
struct Attr<'a> {
    name: Cow<'a, str>,
    value: Cow<'a, str>,
    /// As written, while its value is unchanged.
    raw: Option<&'a str>,
}

/// A start tag under the rules, and what they did to it.
struct Tag<'a, 's> {
    src: &'a str,
    spans: &'s [Span],
    /// The attributes, once a rule changed one.
    edited: Option<Vec<Attr<'a>>>,
    self_closing: bool,
    can_have_content: bool,
    changed: bool,
    /// Text before the tag.
    before: &'static str,
    removed: bool,
    replacement: Option<String>,
    removes_content: bool,
    end: Option<&'static str>,
    /// The content is written as escaped text.
    escape_text: bool,
}

impl<'a, 's> Tag<'a, 's> {
    /// A tag as written, before any rule ran.
    fn new(src: &'a str, spans: &'s [Span], self_closing: bool, can_have_content: bool) -> Self {
        Tag {
            src,
            spans,
            edited: None,
            self_closing,
            can_have_content,
            changed: false,
            before: "",
            removed: false,
            replacement: None,
            removes_content: false,
            end: None,
            escape_text: false,
        }
    }

    fn slice(&self, (from, to): (usize, usize)) -> &'a str {
        &self.src[from..to]
    }

    fn edited(&mut self) -> &mut Vec<Attr<'a>> {
        let (src, spans) = (self.src, self.spans);
        self.edited.get_or_insert_with(|| {
            spans
                .iter()
                .map(|span| Attr {
                    name: Cow::Borrowed(&src[span.name.0..span.name.1]),
                    value: Cow::Borrowed(span.value.map_or("", |(s, e)| &src[s..e])),
                    raw: Some(&src[span.raw.0..span.raw.1]),
                })
                .collect()
        })
    }

    fn write(&self, out: &mut String, raw: &str, name: &str) {
        out.push_str(self.before);
        if let Some(html) = &self.replacement {
            out.push_str(html);
            return;
        }
        if self.removed {
            return;
        }
        let Some(attrs) = self.edited.as_ref().filter(|_| self.changed) else {
            out.push_str(raw);
            return;
        };
        out.push('<');
        out.push_str(name);
        for attr in attrs {
            out.push(' ');
            match attr.raw {
                Some(raw) => out.push_str(raw),
                None => {
                    out.push_str(&attr.name);
                    out.push_str("=\"");
                    out.push_str(&attr.value.replace('"', "&quot;"));
                    out.push('"');
                }
            }
        }
        if self.self_closing {
            if !attrs.is_empty() {
                out.push(' ');
            }
            out.push_str("/>");
        } else {
            out.push('>');
        }
    }

    fn remove_content(&mut self) {
        if self.can_have_content {
            self.removes_content = true;
            self.end = Some("");
        }
    }
}

impl Element for Tag<'_, '_> {
    fn attribute(&self, name: &str) -> Option<Cow<'_, str>> {
        match &self.edited {
            Some(attrs) => attrs
                .iter()
                .find(|a| a.name.eq_ignore_ascii_case(name))
                .map(|a| Cow::Borrowed(a.value.as_ref())),
            None => self.spans.iter().find_map(|span| {
                self.slice(span.name)
                    .eq_ignore_ascii_case(name)
                    .then(|| Cow::Borrowed(span.value.map_or("", |v| self.slice(v))))
            }),
        }
    }

    fn set_attribute(&mut self, name: &str, value: &str) {
        self.changed = true;
        let attrs = self.edited();
        match attrs.iter_mut().find(|a| a.name.eq_ignore_ascii_case(name)) {
            Some(attr) => {
                attr.value = Cow::Owned(value.to_string());
                attr.raw = None;
            }
            None => attrs.push(Attr {
                name: Cow::Owned(name.to_ascii_lowercase()),
                value: Cow::Owned(value.to_string()),
                raw: None,
            }),
        }
    }

    fn remove_attribute(&mut self, name: &str) {
        let attrs = self.edited();
        let before = attrs.len();
        attrs.retain(|a| !a.name.eq_ignore_ascii_case(name));
        if attrs.len() != before {
            self.changed = true;
        }
    }

    fn remove(&mut self) {
        self.removed = true;
        self.remove_content();
    }

    fn unwrap_as_text(&mut self, open: &'static str, close: &'static str) {
        self.before = open;
        self.removed = true;
        if self.can_have_content {
            self.end = Some(close);
            self.escape_text = true;
        }
    }

    fn replace_with_html(&mut self, html: &str) {
        self.replacement = Some(html.to_string());
        self.removed = true;
        self.remove_content();
    }

    fn empty(&mut self) {
        if self.can_have_content {
            self.self_closing = false;
            self.removes_content = true;
        }
    }
}
