//! Feed dates as people actually write them → UTC, or `None`.
//!
//! This is the timestamp parser planetoid hands to feed-rs
//! (`Builder::timestamp_parser`). It accepts strict RFC 3339 first, then a
//! W3C-DTF / ISO 8601 reading (date-only, zone-less, space instead of `T`,
//! fractions), then a token reading of RFC 822 and its wild relatives:
//! named zones (`MSK`, `EST`, `PDT`, `CET`, `GMT-01:01`, `Etc/GMT`…),
//! English and Russian month and weekday names, day-first numeric dates,
//! two-digit years and asctime order. A time without a zone is taken as UTC.
//! The rule that matters most: never invent a date. Anything ambiguous or
//! out of range (an unknown zone name, day 99, hour 25, trailing junk) gives
//! `None`, and the entry is then treated as undated by later stages.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};

/// Parses a feed date; `None` when it cannot be read without guessing.
pub fn parse_date(raw: &str) -> Option<DateTime<Utc>> {
    let text = raw.trim();
    if text.is_empty() || text.len() > 100 {
        return None;
    }
    if let Ok(d) = DateTime::parse_from_rfc3339(text) {
        return Some(d.with_timezone(&Utc));
    }
    if text.as_bytes()[0].is_ascii_digit()
        && let Some(d) = iso(text)
    {
        return Some(d);
    }
    tokens(text)
}

/// `YYYY[-MM[-DD]][(T| )hh:mm[:ss[.frac]]][ ][zone]`, all of it or nothing.
fn iso(text: &str) -> Option<DateTime<Utc>> {
    let mut s = Scanner(text.as_bytes(), 0);
    let year = s.digits(4, 4)?;
    let (mut month, mut day) = (1, 1);
    if s.eat(b'-') {
        month = s.digits(2, 2)?;
        if s.eat(b'-') {
            day = s.digits(2, 2)?;
        }
    }
    let date = NaiveDate::from_ymd_opt(year as i32, month, day)?;
    if s.done() {
        return Some(Utc.from_utc_datetime(&date.and_time(NaiveTime::MIN)));
    }
    if !(s.eat(b'T') || s.eat(b't') || s.eat(b' ')) {
        return None;
    }
    let hour = s.digits(1, 2)?;
    if !s.eat(b':') {
        return None;
    }
    let minute = s.digits(2, 2)?;
    let mut second = 0;
    if s.eat(b':') {
        second = s.digits(2, 2)?;
        if s.eat(b'.') || s.eat(b',') {
            s.digits(1, 9)?;
        }
    }
    let time = time(hour, minute, second)?;
    s.eat(b' ');
    let rest = std::str::from_utf8(&s.0[s.1..]).ok()?;
    let offset = if rest.is_empty() { 0 } else { zone(rest)? };
    local_to_utc(date.and_time(time), offset)
}

/// RFC 822 and relatives, read token by token.
fn tokens(text: &str) -> Option<DateTime<Utc>> {
    let cleaned = strip_comment(text)?;
    let mut numbers: Vec<(u32, usize)> = Vec::new(); // (value, digit count)
    let mut month: Option<u32> = None;
    let mut date: Option<(i32, u32, u32)> = None;
    let mut clock: Option<(u32, u32, u32)> = None;
    let mut offset: Option<i32> = None;
    let mut pm: Option<bool> = None;
    for token in cleaned
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|t| !t.is_empty())
    {
        let lower = token.to_lowercase();
        let lower = lower.trim_end_matches('.');
        if token.bytes().all(|b| b.is_ascii_digit()) {
            if token.len() > 4 {
                return None;
            }
            numbers.push((token.parse().ok()?, token.len()));
        } else if let Some(m) = month_number(lower) {
            if month.replace(m).is_some() {
                return None;
            }
        } else if is_weekday(lower) {
        } else if token.contains(':') && token.as_bytes()[0].is_ascii_digit() && clock.is_none() {
            let (t, tail) = clock_token(token)?;
            clock = Some(t);
            if !tail.is_empty() {
                offset = Some(zone(tail)?);
            }
        } else if (token.contains('/') || token.contains('.') || token.contains('-'))
            && token.as_bytes()[0].is_ascii_digit()
            && date.is_none()
        {
            date = Some(numeric_date(token)?);
        } else if matches!(lower, "am" | "a.m" | "pm" | "p.m") && pm.is_none() {
            pm = Some(lower.starts_with('p'));
        } else if offset.is_none() {
            offset = Some(zone(token)?);
        } else {
            return None;
        }
    }
    let (year, month, day) = match (date, month) {
        (Some(d), None) if numbers.len() <= 1 => {
            // A lone number after a numeric date is a year only in asctime
            // order, which never has a numeric date: reject.
            if !numbers.is_empty() {
                return None;
            }
            d
        }
        (None, Some(month)) => {
            let (day, year) = day_and_year(&numbers)?;
            (year, month, day)
        }
        _ => return None,
    };
    let date = NaiveDate::from_ymd_opt(year, month, day)?;
    let (mut hour, minute, second) = clock.unwrap_or((0, 0, 0));
    match pm {
        Some(_) if clock.is_none() || hour == 0 || hour > 12 => return None,
        Some(true) if hour < 12 => hour += 12,
        Some(false) if hour == 12 => hour = 0,
        _ => {}
    }
    let time = time(hour, minute, second)?;
    local_to_utc(date.and_time(time), offset.unwrap_or(0))
}

/// Drops one trailing `(comment)`, as in `+0300 (MSK)`.
fn strip_comment(text: &str) -> Option<&str> {
    match text.find('(') {
        Some(open) if text.trim_end().ends_with(')') => Some(&text[..open]),
        Some(_) => None,
        None => Some(text),
    }
}

/// With a named month: the day and the year among the bare numbers.
fn day_and_year(numbers: &[(u32, usize)]) -> Option<(u32, i32)> {
    match numbers {
        [(a, la), (b, lb)] => {
            if *la == 4 && *lb <= 2 {
                Some((*b, *a as i32))
            } else if *la <= 2 {
                Some((*a, year(*b, *lb)?))
            } else {
                None
            }
        }
        _ => None,
    }
}

/// Two-digit years: 00–49 are 20xx, 50–99 are 19xx (RFC 2822's rule).
fn year(value: u32, digits: usize) -> Option<i32> {
    match digits {
        4 => Some(value as i32),
        2 if value < 50 => Some(2000 + value as i32),
        2 => Some(1900 + value as i32),
        _ => None,
    }
}

/// `2006/09/15`, `15.09.2006`, `15/09/06`, `09-15-2006`: year first when it
/// has four digits, else day first unless the first part cannot be a month…
/// and the second can't be a day.
fn numeric_date(token: &str) -> Option<(i32, u32, u32)> {
    let parts: Vec<&str> = token.split(['/', '.', '-']).collect();
    let [a, b, c] = parts.as_slice() else {
        return None;
    };
    let num = |s: &str| -> Option<(u32, usize)> {
        (!s.is_empty() && s.len() <= 4 && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok().map(|v| (v, s.len())))
            .flatten()
    };
    let (a, b, c) = (num(a)?, num(b)?, num(c)?);
    if a.1 == 4 {
        return (b.1 <= 2 && c.1 <= 2).then_some((a.0 as i32, b.0, c.0));
    }
    // `03-12-31` could be ISO's yy-mm-dd or a day-first date: don't guess.
    if a.1 > 2 || b.1 > 2 || (token.contains('-') && c.1 != 4) {
        return None;
    }
    let y = year(c.0, c.1)?;
    if b.0 > 12 && a.0 <= 12 {
        Some((y, a.0, b.0)) // month-first, unambiguously
    } else {
        Some((y, b.0, a.0)) // day-first
    }
}

/// `hh:mm[:ss[.frac]]` optionally glued to a zone (`10:00:00Z`, `10:00+03:00`).
fn clock_token(token: &str) -> Option<((u32, u32, u32), &str)> {
    let mut s = Scanner(token.as_bytes(), 0);
    let hour = s.digits(1, 2)?;
    if !s.eat(b':') {
        return None;
    }
    let minute = s.digits(1, 2)?;
    let mut second = 0;
    if s.eat(b':') {
        second = s.digits(1, 2)?;
        if s.eat(b'.') {
            s.digits(1, 9)?;
        }
    }
    let tail = token.get(s.1..)?;
    Some(((hour, minute, second), tail))
}

fn time(hour: u32, minute: u32, second: u32) -> Option<NaiveTime> {
    // A leap second is read as :59 rather than rejected.
    let second = if second == 60 { 59 } else { second };
    NaiveTime::from_hms_opt(hour, minute, second)
}

fn local_to_utc(local: NaiveDateTime, offset_secs: i32) -> Option<DateTime<Utc>> {
    let zone = FixedOffset::east_opt(offset_secs)?;
    zone.from_local_datetime(&local)
        .single()
        .map(|d| d.with_timezone(&Utc))
}

/// A zone as seconds east of UTC: `Z`, `±hh:mm`, `±hhmm`, `±hh`, `GMT+3`,
/// `UTC-01:01`, `Etc/GMT`, or a name from [`named_zone`].
fn zone(token: &str) -> Option<i32> {
    let token = token.trim();
    if let Some(rest) = token
        .strip_prefix("GMT")
        .or_else(|| token.strip_prefix("UTC"))
        .or_else(|| token.strip_prefix("UT"))
        .filter(|r| r.starts_with(['+', '-']))
    {
        return numeric_zone(rest);
    }
    if token.starts_with(['+', '-']) {
        return numeric_zone(token);
    }
    named_zone(token).map(|minutes| minutes * 60)
}

fn numeric_zone(token: &str) -> Option<i32> {
    let sign = if token.starts_with('-') { -1 } else { 1 };
    let body = &token[1..];
    let (h, m) = match (body.len(), body.find(':')) {
        (_, Some(colon)) => (body.get(..colon)?, body.get(colon + 1..)?),
        (1 | 2, None) => (body, "0"),
        (4, None) => (body.get(..2)?, body.get(2..)?),
        _ => return None,
    };
    let all_digits =
        |s: &str| !s.is_empty() && s.len() <= 2 && s.bytes().all(|b| b.is_ascii_digit());
    if !all_digits(h) || !all_digits(m) {
        return None;
    }
    let (h, m): (i32, i32) = (h.parse().ok()?, m.parse().ok()?);
    if h > 14 || m > 59 {
        return None;
    }
    Some(sign * (h * 3600 + m * 60))
}

/// Zone abbreviations seen in feeds, in minutes east of UTC. Ambiguous names
/// (IST: India, Ireland or Israel?) are deliberately absent.
fn named_zone(name: &str) -> Option<i32> {
    let upper = name.to_uppercase();
    let hours = match upper.as_str() {
        "Z" | "UT" | "UTC" | "GMT" | "ETC/GMT" | "ETC/UTC" | "WET" | "UCT" => 0,
        "BST" | "WEST" | "CET" | "MET" | "MEZ" => 1,
        "CEST" | "MEST" | "MESZ" | "EET" | "SAST" => 2,
        "EEST" | "MSK" | "МСК" | "FET" => 3,
        "MSD" | "SAMT" | "GST" => 4,
        "YEKT" | "PKT" => 5,
        "OMST" => 6,
        "KRAT" | "NOVT" | "ICT" | "WIB" => 7,
        "IRKT" | "CST8" | "HKT" | "SGT" | "AWST" | "PHT" => 8,
        "YAKT" | "JST" | "KST" => 9,
        "VLAT" | "AEST" => 10,
        "MAGT" | "AEDT" => 11,
        "PETT" | "NZST" => 12,
        "NZDT" => 13,
        "AT" | "AST" | "EDT" => -4,
        "ADT" => -3,
        "ET" | "EST" | "CDT" => -5,
        "CT" | "CST" | "MDT" => -6,
        "MT" | "MST" | "PDT" => -7,
        "PT" | "PST" | "AKDT" => -8,
        "AKST" => -9,
        "HST" => -10,
        _ => {
            return match upper.as_str() {
                "IST" => None,
                "NST" => Some(-(3 * 60 + 30)),
                "NDT" => Some(-(2 * 60 + 30)),
                "ACST" => Some(9 * 60 + 30),
                "ACDT" => Some(10 * 60 + 30),
                _ => None,
            };
        }
    };
    Some(hours * 60)
}

/// English (full, three-letter, `Sept`) and Russian (nominative, genitive,
/// abbreviated) month names.
fn month_number(lower: &str) -> Option<u32> {
    const EN: [&str; 12] = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    if lower.len() >= 3 && lower.is_ascii() {
        return EN
            .iter()
            .position(|m| m.starts_with(lower))
            .map(|i| i as u32 + 1);
    }
    // Russian: match the stem; "мар" (March) vs "май"/"мая" (May).
    const RU: [&str; 12] = [
        "янв", "фев", "мар", "апр", "ма", "июн", "июл", "авг", "сен", "окт", "ноя", "дек",
    ];
    if lower.chars().count() < 3 {
        return None;
    }
    if lower.starts_with("мар") {
        return Some(3);
    }
    if matches!(lower, "май" | "мая" | "мае") {
        return Some(5);
    }
    RU.iter()
        .position(|stem| stem.chars().count() == 3 && lower.starts_with(stem))
        .map(|i| i as u32 + 1)
}

fn is_weekday(lower: &str) -> bool {
    const EN: [&str; 7] = [
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
    ];
    const RU: [&str; 14] = [
        "пн",
        "вт",
        "ср",
        "чт",
        "пт",
        "сб",
        "вс",
        "понедельник",
        "вторник",
        "среда",
        "четверг",
        "пятница",
        "суббота",
        "воскресенье",
    ];
    (lower.len() >= 3 && lower.is_ascii() && EN.iter().any(|d| d.starts_with(lower)))
        || RU.contains(&lower)
}

/// A tiny cursor over ASCII bytes.
struct Scanner<'a>(&'a [u8], usize);

impl Scanner<'_> {
    fn eat(&mut self, byte: u8) -> bool {
        if self.0.get(self.1) == Some(&byte) {
            self.1 += 1;
            true
        } else {
            false
        }
    }

    /// Between `min` and `max` ASCII digits as a number.
    fn digits(&mut self, min: usize, max: usize) -> Option<u32> {
        let start = self.1;
        let mut value: u32 = 0;
        while self.1 - start < max
            && let Some(b) = self.0.get(self.1).filter(|b| b.is_ascii_digit())
        {
            value = value * 10 + u32::from(b - b'0');
            self.1 += 1;
        }
        (self.1 - start >= min).then_some(value)
    }

    fn done(&self) -> bool {
        self.1 == self.0.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> Option<String> {
        parse_date(s).map(|d| d.format("%Y-%m-%d %H:%M:%S").to_string())
    }

    #[test]
    fn named_zones_and_zone_less_times() {
        assert_eq!(
            utc("Mon, 06 Jan 2025 15:00:00 MSK").as_deref(),
            Some("2025-01-06 12:00:00")
        );
        assert_eq!(
            utc("Mon, 02 Jan 2006 15:04:05 CEST").as_deref(),
            Some("2006-01-02 13:04:05")
        );
        assert_eq!(
            utc("2025-01-06T15:00:00").as_deref(),
            Some("2025-01-06 15:00:00")
        );
        assert_eq!(
            utc("2025-01-06 15:00").as_deref(),
            Some("2025-01-06 15:00:00")
        );
        assert_eq!(
            utc("Wed, 19 Feb 2012 22:40:00 GMT-01:01").as_deref(),
            Some("2012-02-19 23:41:00")
        );
        assert_eq!(
            utc("Tue, 10 Jun 2003 04:00:00 +0300 (MSK)").as_deref(),
            Some("2003-06-10 01:00:00")
        );
    }

    #[test]
    fn russian_months_day_first_and_two_digit_years() {
        assert_eq!(
            utc("5 января 2024 10:30 MSK").as_deref(),
            Some("2024-01-05 07:30:00")
        );
        assert_eq!(
            utc("пт, 3 мая 2024").as_deref(),
            Some("2024-05-03 00:00:00")
        );
        assert_eq!(utc("12 мар 2024").as_deref(), Some("2024-03-12 00:00:00"));
        assert_eq!(
            utc("05.02.2024 18:00").as_deref(),
            Some("2024-02-05 18:00:00")
        );
        assert_eq!(
            utc("Thu, 01 Jan 04 19:48:21 GMT").as_deref(),
            Some("2004-01-01 19:48:21")
        );
        assert_eq!(
            utc("Sun Jan  4 16:29:06 2004").as_deref(),
            Some("2004-01-04 16:29:06")
        );
        assert_eq!(
            utc("January 5, 2024 3:15 PM").as_deref(),
            Some("2024-01-05 15:15:00")
        );
    }

    #[test]
    fn nothing_is_invented() {
        for bad in [
            "",
            "soon",
            "Sun, 16 Dec 2012 1:2:3:4 GMT",
            "Sun, 16 zzz 2012 11:47:32 GMT",
            "Sun, 99 Jun 2009 12:00:00 GMT",
            "2003-12-31T25:14:55Z",
            "2013-01-28T11:30:00-06:00Textra",
            "Mon, 06 Jan 2025 15:00:00 IST",
            "Mon, 06 Jan 2025 15:00:00 XYZ",
            "9999-12-31T23:59:59-99:99",
            "12:00",
            "03-12-31",
        ] {
            assert_eq!(utc(bad), None, "{bad:?}");
        }
    }
}
