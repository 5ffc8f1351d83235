//! Does decoded text read as words? The one question a single-byte
//! declaration cannot answer by decoding "without errors" (windows-1251,
//! KOI8-R and Latin-1 decode any bytes). Text read in the wrong single-byte
//! encoding shows tell-tale words: case flipping inside a word (KOI8-R read
//! as windows-1251: `оПЧПУФЙ`), Latin and Cyrillic or Greek letters in one
//! word (Latin-1 read as windows-1251: `Notнcias`), runs of accented Latin
//! letters (windows-1251 read as Latin-1: `Íîâîñòè`), text mostly in
//! capitals (`ОБЫЕЗП`), and C1 control characters. Only words with a non-ASCII letter count: ASCII reads the
//! same in every encoding this matters for.

/// True when `candidate` reads as words and `declared` clearly does not:
/// at least two implausible words, a third of its non-ASCII words or more,
/// and at least four times as many as in `candidate`.
pub(super) fn clearly_better(candidate: &str, declared: &str) -> bool {
    let (bad, words) = score(declared);
    let (candidate_bad, _) = score(candidate);
    reads_badly(bad, words) && candidate_bad * 4 <= bad
}

/// Whether some other reading of `declared` could be [`clearly_better`]:
/// false when it reads as words, and then no detector needs to run.
pub(super) fn could_be_bettered(declared: &str) -> bool {
    let (bad, words) = score(declared);
    reads_badly(bad, words)
}

fn reads_badly(bad: usize, words: usize) -> bool {
    bad >= 2 && bad * 3 >= words
}

/// Up to three implausible words of `text`, for the operator's warning.
pub(super) fn sample(text: &str) -> String {
    let shouting = shouting(text);
    words(text)
        .filter(|w| implausible(w, shouting))
        .take(3)
        .map(|w| w.chars().take(20).collect::<String>())
        .collect::<Vec<_>>()
        .join(" ")
}

/// (implausible words and C1 controls, words with a non-ASCII letter).
fn score(text: &str) -> (usize, usize) {
    let controls = text
        .chars()
        .filter(|c| ('\u{80}'..='\u{9f}').contains(c))
        .count();
    let shouting = shouting(text);
    let (mut bad, mut all) = (controls, 0);
    for word in words(text) {
        all += 1;
        bad += usize::from(implausible(word, shouting));
    }
    (bad, all)
}

/// Prose is mostly lower case: true when most non-ASCII letters are
/// capitals (lower-case KOI8-R read as windows-1251 is upper case), and
/// then every word in capitals counts as implausible.
fn shouting(text: &str) -> bool {
    let letters = text.chars().filter(|c| !c.is_ascii() && alphabetic(*c));
    let (capitals, small) = letters.fold((0, 0), |(u, l), c| {
        (u + usize::from(upper(c)), l + usize::from(lower(c)))
    });
    capitals > small
}

/// Maximal runs of letters that hold at least one non-ASCII letter.
fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !alphabetic(c))
        .filter(|w| !w.is_ascii())
}

fn implausible(word: &str, shouting: bool) -> bool {
    if shouting && word.chars().count() > 1 && !word.chars().any(lower) {
        return true;
    }
    let latin = word.chars().any(is_latin);
    let other_script = word.chars().any(|c| is_cyrillic(c) || is_greek(c));
    if latin && other_script {
        return true;
    }
    let chars: Vec<char> = word.chars().collect();
    let flips = chars
        .windows(2)
        .any(|p| lower(p[0]) && upper(p[1]) && !(p[0].is_ascii() && p[1].is_ascii()));
    let accented_run = chars
        .windows(3)
        .any(|t| t.iter().all(|c| !c.is_ascii() && is_latin(*c)));
    flips || accented_run
}

fn is_latin(c: char) -> bool {
    c.is_ascii_alphabetic() || ('\u{c0}'..='\u{24f}').contains(&c)
}

fn is_cyrillic(c: char) -> bool {
    ('\u{400}'..='\u{4ff}').contains(&c)
}

fn is_greek(c: char) -> bool {
    ('\u{370}'..='\u{3ff}').contains(&c)
}

/// `char::is_alphabetic`, `is_uppercase` and `is_lowercase`, answered
/// at once for the basic Cyrillic letters (А–Я upper, а–я lower): the
/// Unicode tables' slow path was most of the cost of reading a Russian feed.
fn alphabetic(c: char) -> bool {
    matches!(c, '\u{410}'..='\u{44f}') || c.is_alphabetic()
}

fn upper(c: char) -> bool {
    match c {
        '\u{410}'..='\u{42f}' => true,
        '\u{430}'..='\u{44f}' => false,
        _ => c.is_uppercase(),
    }
}

fn lower(c: char) -> bool {
    match c {
        '\u{430}'..='\u{44f}' => true,
        '\u{410}'..='\u{42f}' => false,
        _ => c.is_lowercase(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cyrillic_fast_path_agrees_with_the_unicode_tables() {
        for c in '\u{0}'..='\u{2fff}' {
            assert_eq!(alphabetic(c), c.is_alphabetic(), "{c:?}");
            assert_eq!(upper(c), c.is_uppercase(), "{c:?}");
            assert_eq!(lower(c), c.is_lowercase(), "{c:?}");
        }
    }

    #[test]
    fn wrong_single_byte_readings_are_implausible_and_right_ones_are_not() {
        let ru = "Новости нашего сообщества: встреча в пятницу, доклады о языке";
        let koi8 = encoding_rs::KOI8_R.encode(ru).0;
        let koi8_as_1251 = encoding_rs::WINDOWS_1251.decode(&koi8).0;
        assert!(clearly_better(ru, &koi8_as_1251), "{koi8_as_1251}");
        let cp1251 = encoding_rs::WINDOWS_1251.encode(ru).0;
        let cp1251_as_latin1 = encoding_rs::WINDOWS_1252.decode(&cp1251).0;
        assert!(clearly_better(ru, &cp1251_as_latin1), "{cp1251_as_latin1}");
        let pt = "Últimas Notícias: a programação da conferência e as inscrições";
        let latin1 = encoding_rs::WINDOWS_1252.encode(pt).0;
        let latin1_as_1251 = encoding_rs::WINDOWS_1251.decode(&latin1).0;
        assert!(clearly_better(pt, &latin1_as_1251), "{latin1_as_1251}");
        // Right readings are never overruled, nor is text without evidence.
        assert!(!clearly_better(&koi8_as_1251, ru));
        assert!(!clearly_better(&latin1_as_1251, pt));
        assert!(!clearly_better("plain ASCII", "plain ASCII"));
        assert_eq!(sample(&koi8_as_1251).split(' ').count(), 3);
    }
}
