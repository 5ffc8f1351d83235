//! What was repaired in a feed and not rejected, for the operator ("your
//! feed works, but fix this"): one [`Warnings`] list per document, filled
//! from anywhere in decode and parse with one call, and shown in
//! `health.json`, on the health page and by `check --probe`. Repeated
//! findings are counted, not listed: a feed with 200 unreadable dates gets
//! one line with the count and an example.

/// How unreadable dates are summed up in a feed's warnings.
pub(super) const UNREADABLE_DATES: &str =
    "dates that could not be read (the entries keep no date from them)";

/// The findings about one feed document, in the order first found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Warnings {
    items: Vec<Item>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Item {
    what: String,
    count: usize,
    example: Option<String>,
    counted: bool,
}

impl Warnings {
    /// A finding said in full (`"the XML is not well-formed … and was
    /// repaired"`); the same message twice is said once with a count.
    pub fn add(&mut self, message: impl Into<String>) {
        self.bump(message.into(), None, false);
    }

    /// One more thing of a kind that is counted (`what` names the kind,
    /// like `"dates that could not be read"`, shown as `what: count`); the
    /// first `example` is kept.
    pub fn count(&mut self, what: &str, example: impl Into<String>) {
        self.bump(what.to_string(), Some(example.into()), true);
    }

    /// Adds `other`'s findings after these (counts of the same kind add up).
    pub fn append(&mut self, other: Warnings) {
        for item in other.items {
            match self
                .items
                .iter_mut()
                .find(|i| i.what == item.what && i.counted == item.counted)
            {
                Some(mine) => mine.count += item.count,
                None => self.items.push(item),
            }
        }
    }

    /// Adds every message in `messages` after these.
    pub fn extend(&mut self, messages: impl IntoIterator<Item = String>) {
        for m in messages {
            self.add(m);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The findings as the operator reads them, one line each.
    pub fn messages(&self) -> Vec<String> {
        self.items
            .iter()
            .map(|i| {
                let example = i.example.as_deref().map(one_line);
                match (i.counted, example) {
                    (true, Some(e)) => format!("{}: {} (e.g. {e:?})", i.what, i.count),
                    (true, None) => format!("{}: {}", i.what, i.count),
                    (false, _) if i.count > 1 => format!("{} ({} times)", i.what, i.count),
                    (false, _) => i.what.clone(),
                }
            })
            .collect()
    }

    fn bump(&mut self, what: String, example: Option<String>, counted: bool) {
        match self
            .items
            .iter_mut()
            .find(|i| i.what == what && i.counted == counted)
        {
            Some(item) => item.count += 1,
            None => self.items.push(Item {
                what,
                count: 1,
                example,
                counted,
            }),
        }
    }
}

/// An example as one short line (feed text can hold anything).
fn one_line(text: &str) -> String {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match flat.char_indices().nth(60) {
        Some((cut, _)) => format!("{}…", &flat[..cut]),
        None => flat,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_findings_are_counted_with_their_first_example() {
        let mut w = Warnings::default();
        assert!(w.is_empty());
        w.add("the XML was repaired");
        w.count("dates that could not be read", "someday");
        w.count("dates that could not be read", "never");
        w.add("the XML was repaired");
        w.count("URLs dropped", "javascript:\n alert(1)");
        assert_eq!(
            w.messages(),
            [
                "the XML was repaired (2 times)",
                "dates that could not be read: 2 (e.g. \"someday\")",
                "URLs dropped: 1 (e.g. \"javascript: alert(1)\")",
            ]
        );
    }
}
