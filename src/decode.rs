//! Bytes → UTF-8 text, before anything parses a feed, and an account of
//! how the encoding was chosen for the operator.
//!
//! The encoding is decided once, in this order: a byte-order mark; bytes that
//! are valid UTF-8 (or UTF-8 with a rare broken sequence); the charsets the
//! document is declared in — the HTTP `Content-Type`, then the XML
//! declaration — but only when they decode the bytes without errors; a
//! statistical detector (chardetng, hinted with the host's top-level domain,
//! so a `.ru` feed leans Cyrillic); and windows-1252 as the last resort. A
//! single-byte declaration decodes *any* bytes, so one that turns the text
//! into implausible words (`оПЧПУФЙ`, `Íîâîñòè`) while the detector's choice
//! reads as words is overruled too. Every overruled declaration becomes a
//! warning naming it and why. The XML declaration is then rewritten to say
//! UTF-8, so the parser never decodes the text a second time (the classic
//! windows-1251 mojibake).

use encoding_rs::Encoding;

mod plausible;

/// Text ready for the parser, and how its encoding was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    pub text: String,
    /// The encoding the bytes were in (`UTF-8`, `windows-1251`, …).
    pub encoding: &'static str,
    /// Which rule decided it: `bom`, `utf-8`, `http`, `xml`, `detected`,
    /// `fallback` (windows-1252, when nothing else decoded cleanly).
    pub decided_by: &'static str,
    /// True when some bytes were not valid in that encoding and were replaced.
    pub had_errors: bool,
    /// Declarations that were overruled (which one, and why), for the
    /// operator; empty when the bytes and every declaration agree.
    pub warnings: Vec<String>,
}

/// Decodes a feed body. `http_charset` is the `charset=` of the response's
/// Content-Type, `host` the host it came from (for the detector's TLD hint).
pub fn decode(bytes: &[u8], http_charset: Option<&str>, host: Option<&str>) -> Decoded {
    if let Some((big_endian, skip, decided_by)) = utf32(bytes) {
        let (text, had_errors) = decode_utf32(&bytes[skip..], big_endian);
        return Decoded {
            text: rewrite_declaration(text),
            encoding: if big_endian { "UTF-32BE" } else { "UTF-32LE" },
            decided_by,
            had_errors,
            warnings: Vec::new(),
        };
    }
    let mut decision = choose(bytes, http_charset, host);
    let text = match decision.chosen {
        // Checked once by `choose`: copied, not decoded (checked) again.
        Chosen::Utf8(text) => text.to_owned(),
        Chosen::Decoded(text) => text,
        Chosen::Other(body) => {
            let (text, had_errors) = decision.encoding.decode_without_bom_handling(body);
            decision.had_errors = had_errors;
            text.into_owned()
        }
    };
    Decoded {
        text: rewrite_declaration(text),
        encoding: decision.encoding.name(),
        decided_by: decision.decided_by,
        had_errors: decision.had_errors,
        warnings: decision.warnings,
    }
}

/// What `choose` decided, and the text when deciding already produced it.
struct Decision<'b> {
    chosen: Chosen<'b>,
    encoding: &'static Encoding,
    decided_by: &'static str,
    had_errors: bool,
    warnings: Vec<String>,
}

enum Chosen<'b> {
    /// The bytes are valid UTF-8: here they are as text.
    Utf8(&'b str),
    /// Decoded while deciding.
    Decoded(String),
    /// The bytes to decode (without the BOM).
    Other(&'b [u8]),
}

/// A charset the document claims, and who claims it.
struct Declared {
    /// `the HTTP Content-Type` / `the XML declaration`.
    by: &'static str,
    rule: &'static str,
    label: String,
    /// `None` for a label no encoding has, or one that cannot be right
    /// here (UTF-16 without a BOM).
    encoding: Option<&'static Encoding>,
    unknown: bool,
}

fn choose<'b>(bytes: &'b [u8], http_charset: Option<&str>, host: Option<&str>) -> Decision<'b> {
    // Declarations the bytes overruled, each as "who says what, but why";
    // the final choice is appended once it is known.
    let mut rejected: Vec<String> = Vec::new();
    let done = |chosen, encoding: &'static Encoding, decided_by, rejected: Vec<String>| Decision {
        chosen,
        encoding,
        decided_by,
        had_errors: false,
        warnings: rejected
            .into_iter()
            .map(|r| format!("{r}: read as {} instead", encoding.name()))
            .collect(),
    };
    let mut body = bytes;
    if let Some((encoding, bom_len)) = Encoding::for_bom(bytes) {
        // A UTF-16 BOM is final (nothing else reads those bytes); a UTF-8
        // one over bytes that are not UTF-8 is a declaration like any other.
        if encoding != encoding_rs::UTF_8 || std::str::from_utf8(&bytes[bom_len..]).is_ok() {
            return done(Chosen::Other(&bytes[bom_len..]), encoding, "bom", rejected);
        }
        rejected.push("the byte-order mark says UTF-8, but the bytes are not valid UTF-8".into());
        body = &bytes[bom_len..];
    }
    // No BOM, but `<` as UTF-16 (XML 1.0 appendix F); NULs are valid UTF-8,
    // so this must come before the UTF-8 check.
    match body {
        [0, b'<', 0, _, ..] => {
            return done(Chosen::Other(body), encoding_rs::UTF_16BE, "xml", rejected);
        }
        [b'<', 0, _, 0, ..] => {
            return done(Chosen::Other(body), encoding_rs::UTF_16LE, "xml", rejected);
        }
        _ => {}
    }
    let declared: Vec<Declared> = [
        http_charset.map(|l| declared("the HTTP Content-Type", "http", l)),
        declared_encoding(body).map(|l| declared("the XML declaration", "xml", &l)),
    ]
    .into_iter()
    .flatten()
    .collect();
    for d in declared.iter().filter(|d| d.unknown) {
        rejected.push(format!(
            "{} names a charset that does not exist, {:?}",
            d.by, d.label
        ));
    }
    if let Ok(text) = std::str::from_utf8(body) {
        if !body.is_ascii() {
            overruled(
                &mut rejected,
                &declared,
                encoding_rs::UTF_8,
                "the bytes are valid UTF-8",
            );
        }
        return done(Chosen::Utf8(text), encoding_rs::UTF_8, "utf-8", rejected);
    }
    if mostly_utf8(body) {
        let (text, _) = encoding_rs::UTF_8.decode_without_bom_handling(body);
        overruled(
            &mut rejected,
            &declared,
            encoding_rs::UTF_8,
            "the bytes are UTF-8",
        );
        let mut decision = done(
            Chosen::Decoded(text.into_owned()),
            encoding_rs::UTF_8,
            "utf-8",
            rejected,
        );
        decision.had_errors = true;
        decision.warnings.push(format!(
            "{} byte sequences that are not valid UTF-8 were replaced with \u{FFFD}",
            invalid_utf8_sequences(body)
        ));
        return decision;
    }
    // The detector is slow (on the bench planet, where one feed in thirty
    // is windows-1251, it was 3% of a cold build's CPU): it runs only when
    // its guess can matter, which is the same bytes out.
    let guess = std::cell::OnceCell::new();
    let guess = || *guess.get_or_init(|| detect(body, host));
    for (i, d) in declared.iter().enumerate() {
        let Some(encoding) = d.encoding else { continue };
        let (text, had_errors) = encoding.decode_without_bom_handling(body);
        if had_errors {
            rejected.push(format!(
                "{} says {:?}, but the bytes are not valid {}",
                d.by,
                d.label,
                encoding.name()
            ));
            continue;
        }
        if plausible::could_be_bettered(&text) && guess() != encoding {
            let guess = guess();
            let (guessed, guess_errors) = guess.decode_without_bom_handling(body);
            if !guess_errors && plausible::clearly_better(&guessed, &text) {
                let why = format!(
                    "the text reads as words only in {} (in {} it reads {:?})",
                    guess.name(),
                    encoding.name(),
                    plausible::sample(&text)
                );
                overruled(&mut rejected, &declared[i..], guess, &why);
                return done(
                    Chosen::Decoded(guessed.into_owned()),
                    guess,
                    "detected",
                    rejected,
                );
            }
        }
        let why = format!("{} says {:?}, which decodes the bytes", d.by, d.label);
        overruled(&mut rejected, &declared[i + 1..], encoding, &why);
        return done(
            Chosen::Decoded(text.into_owned()),
            encoding,
            d.rule,
            rejected,
        );
    }
    let guess = guess();
    match guess.decode_without_bom_handling(body) {
        (text, false) => done(
            Chosen::Decoded(text.into_owned()),
            guess,
            "detected",
            rejected,
        ),
        _ => done(
            Chosen::Other(body),
            encoding_rs::WINDOWS_1252,
            "fallback",
            rejected,
        ),
    }
}

fn declared(by: &'static str, rule: &'static str, label: &str) -> Declared {
    let label = label.trim().trim_matches(['"', '\'']).to_string();
    let known = Encoding::for_label(label.as_bytes());
    Declared {
        by,
        rule,
        encoding: usable(known),
        unknown: known.is_none(),
        label,
    }
}

/// Notes every declaration naming another encoding than `chosen` as
/// overruled, and `why`.
fn overruled(
    rejected: &mut Vec<String>,
    declared: &[Declared],
    chosen: &'static Encoding,
    why: &str,
) {
    for d in declared {
        if d.encoding.is_some_and(|e| e != chosen) {
            rejected.push(format!("{} says {:?}, but {why}", d.by, d.label));
        }
    }
}

/// chardetng's guess (never UTF-8: valid UTF-8 was taken already).
fn detect(bytes: &[u8], host: Option<&str>) -> &'static Encoding {
    let mut detector = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    detector.feed(bytes, true);
    let tld = host.and_then(|h| h.rsplit('.').next()).map(str::as_bytes);
    match detector.guess(tld, chardetng::Utf8Detection::Deny) {
        // KOI8-U is KOI8-R with Ukrainian letters in place of eight
        // box-drawing bytes: without those bytes the text is KOI8-R's, and
        // KOI8-R is what such a feed was written in.
        koi8u if koi8u == encoding_rs::KOI8_U && !bytes.iter().any(|b| KOI8_U_ONLY.contains(b)) => {
            encoding_rs::KOI8_R
        }
        guess => guess,
    }
}

/// The bytes KOI8-U reads differently from KOI8-R (і ї є ґ and capitals).
const KOI8_U_ONLY: [u8; 8] = [0xA4, 0xA6, 0xA7, 0xAD, 0xB4, 0xB6, 0xB7, 0xBD];

/// UTF-8 with a rare broken sequence (a title cut mid-character): at
/// least 16 valid multi-byte sequences for every invalid one. Text in a
/// single-byte encoding almost never forms valid multi-byte sequences.
fn mostly_utf8(bytes: &[u8]) -> bool {
    let invalid = invalid_utf8_sequences(bytes);
    let multibyte = String::from_utf8_lossy(bytes)
        .chars()
        .filter(|c| !c.is_ascii() && *c != char::REPLACEMENT_CHARACTER)
        .count();
    invalid > 0 && multibyte >= 16 * invalid
}

fn invalid_utf8_sequences(bytes: &[u8]) -> usize {
    bytes
        .utf8_chunks()
        .filter(|c| !c.invalid().is_empty())
        .count()
}

/// UTF-32 (which encoding_rs does not do) by BOM or by a leading `<`:
/// (big-endian, bytes to skip, rule).
fn utf32(bytes: &[u8]) -> Option<(bool, usize, &'static str)> {
    match bytes {
        [0, 0, 0xFE, 0xFF, ..] => Some((true, 4, "bom")),
        [0xFF, 0xFE, 0, 0, ..] => Some((false, 4, "bom")),
        [0, 0, 0, b'<', ..] => Some((true, 0, "xml")),
        [b'<', 0, 0, 0, ..] => Some((false, 0, "xml")),
        _ => None,
    }
}

fn decode_utf32(bytes: &[u8], big_endian: bool) -> (String, bool) {
    let mut had_errors = !bytes.len().is_multiple_of(4);
    let text = bytes
        .chunks_exact(4)
        .map(|c| {
            let unit = [c[0], c[1], c[2], c[3]];
            let value = if big_endian {
                u32::from_be_bytes(unit)
            } else {
                u32::from_le_bytes(unit)
            };
            char::from_u32(value).unwrap_or_else(|| {
                had_errors = true;
                char::REPLACEMENT_CHARACTER
            })
        })
        .collect();
    (text, had_errors)
}

/// UTF-16 labels without a BOM are almost always wrong for ASCII-looking XML
/// (the declaration itself was readable as ASCII), so they are ignored.
fn usable(encoding: Option<&'static Encoding>) -> Option<&'static Encoding> {
    encoding.filter(|e| *e != encoding_rs::UTF_16LE && *e != encoding_rs::UTF_16BE)
}

/// The `encoding="…"` of a leading `<?xml …?>` declaration, if any.
fn declared_encoding(bytes: &[u8]) -> Option<String> {
    let head = &bytes[..bytes.len().min(512)];
    let head = String::from_utf8_lossy(head);
    let decl = declaration(&head)?;
    let after = &decl[decl.find("encoding")? + "encoding".len()..];
    let after = after.trim_start().strip_prefix('=')?.trim_start();
    let quote = after.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let value = &after[1..];
    Some(value[..value.find(quote)?].to_string())
}

/// The `<?xml … ?>` declaration at the start of `text` (after whitespace).
fn declaration(text: &str) -> Option<&str> {
    let trimmed = text.trim_start();
    if !trimmed.starts_with("<?xml") {
        return None;
    }
    let end = trimmed.find("?>")?;
    Some(&trimmed[..end + 2])
}

/// Makes the XML declaration (if any) say `encoding="UTF-8"`.
fn rewrite_declaration(mut text: String) -> String {
    let Some(decl) = declaration(&text) else {
        return text;
    };
    let Some(pos) = decl.find("encoding") else {
        return text;
    };
    let start = text.len() - text.trim_start().len();
    let rest = &decl[pos..];
    let Some(q1) = rest.find(['"', '\'']) else {
        return text;
    };
    let quote = rest.as_bytes()[q1] as char;
    let Some(len) = rest[q1 + 1..].find(quote) else {
        return text;
    };
    let from = start + pos;
    let to = start + pos + q1 + 1 + len + 1;
    // In place: the document is not copied for a few bytes of its prolog.
    text.replace_range(from..to, "encoding=\"UTF-8\"");
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    const RU: &str = "Привет, мир";

    fn cp1251(s: &str) -> Vec<u8> {
        encoding_rs::WINDOWS_1251.encode(s).0.into_owned()
    }

    #[test]
    fn declaration_decides_for_non_utf8_and_is_rewritten() {
        let xml =
            format!("<?xml version=\"1.0\" encoding=\"windows-1251\"?><rss><t>{RU}</t></rss>");
        let d = decode(&cp1251(&xml), None, None);
        assert_eq!(d.decided_by, "xml");
        assert_eq!(d.encoding, "windows-1251");
        assert_eq!(
            d.text,
            format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss><t>{RU}</t></rss>")
        );
    }

    #[test]
    fn http_charset_is_used_when_the_document_is_silent() {
        let koi = encoding_rs::KOI8_R
            .encode(&format!("<rss><t>{RU}</t></rss>"))
            .0
            .into_owned();
        let d = decode(&koi, Some("koi8-r"), None);
        assert_eq!((d.decided_by, d.encoding), ("http", "KOI8-R"));
        assert!(d.text.contains(RU));
    }

    #[test]
    fn valid_utf8_wins_over_a_wrong_declaration() {
        let xml = format!("<?xml version='1.0' encoding='ISO-8859-1'?><rss><t>{RU}</t></rss>");
        let d = decode(xml.as_bytes(), Some("windows-1252"), None);
        assert_eq!(d.decided_by, "utf-8");
        assert!(d.text.contains(RU));
        assert!(
            d.text
                .starts_with("<?xml version='1.0' encoding=\"UTF-8\"?>")
        );
    }

    #[test]
    fn bom_wins_and_is_stripped() {
        let mut bytes = vec![0xFF, 0xFE];
        for unit in "<rss>ё</rss>".encode_utf16() {
            bytes.extend_from_slice(&unit.to_le_bytes());
        }
        let d = decode(&bytes, Some("windows-1251"), None);
        assert_eq!((d.decided_by, d.text.as_str()), ("bom", "<rss>ё</rss>"));
    }

    #[test]
    fn utf16_and_utf32_without_bom_are_recognised_by_the_leading_angle_bracket() {
        let xml = "<?xml version=\"1.0\" encoding=\"utf-16\"?><rss>ё</rss>";
        let be: Vec<u8> = xml.encode_utf16().flat_map(u16::to_be_bytes).collect();
        let d = decode(&be, None, None);
        assert_eq!((d.encoding, d.decided_by), ("UTF-16BE", "xml"));
        assert_eq!(
            d.text,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss>ё</rss>"
        );
        let mut le32: Vec<u8> = vec![0xFF, 0xFE, 0, 0];
        le32.extend(xml.chars().flat_map(|c| (c as u32).to_le_bytes()));
        let d = decode(&le32, None, None);
        assert_eq!((d.encoding, d.decided_by), ("UTF-32LE", "bom"));
        assert!(d.text.ends_with("<rss>ё</rss>"));
        let be32: Vec<u8> = xml.chars().flat_map(|c| (c as u32).to_be_bytes()).collect();
        assert_eq!(decode(&be32, None, None).encoding, "UTF-32BE");
    }

    #[test]
    fn detector_recognises_undeclared_cyrillic() {
        let text = "<rss><title>Новости нашего сообщества: встреча в пятницу, доклады о языке и библиотеках</title></rss>";
        let d = decode(&cp1251(text), None, Some("example.ru"));
        assert_eq!(d.decided_by, "detected");
        assert_eq!(d.text, text);
    }
}
