//! Excerpts for the listings that show them (per-feed, per-tag and
//! per-language pages and feeds, under `listing_content: excerpt`). Each
//! entry's excerpt is made at most once per build: from the body a
//! full-text page read anyway when one did (the monthly archive lists every
//! entry, so a cold build reads no body twice), else from the body read for
//! it here. Only the entries some changed listing shows are kept, so a warm
//! build holds none.

use std::sync::OnceLock;

use super::{Bodies, BodiesError};
use crate::entry::StoredEntry;
use crate::sanitize::SafeHtml;

pub struct Excerpts {
    words: usize,
    /// By timeline index: whether a listing rendered in this build shows it.
    needed: Vec<bool>,
    made: Vec<OnceLock<SafeHtml>>,
}

impl Excerpts {
    /// Excerpts of `words` words for the entries `needed` marks.
    pub fn new(words: usize, needed: Vec<bool>) -> Excerpts {
        let made = needed.iter().map(|_| OnceLock::new()).collect();
        Excerpts {
            words,
            needed,
            made,
        }
    }

    /// Keeps the excerpts of the needed ones among the entries (timeline
    /// `indexes`) whose `bodies` a full-text page just read.
    pub fn offer(&self, indexes: &[usize], bodies: &[SafeHtml], source: &dyn Bodies) {
        for (&i, body) in indexes.iter().zip(bodies) {
            if let (Some(true), Some(slot)) = (self.needed.get(i), self.made.get(i)) {
                slot.get_or_init(|| source.excerpt(body, self.words));
            }
        }
    }

    /// The excerpts of `entries` (with their timeline indexes), reading
    /// the bodies of those not made yet.
    pub fn get(
        &self,
        entries: &[(usize, &StoredEntry)],
        source: &dyn Bodies,
    ) -> Result<Vec<SafeHtml>, BodiesError> {
        let slot = |i: usize| self.made.get(i).and_then(OnceLock::get);
        // Decided once: another page may make one of these meanwhile.
        let missing: Vec<bool> = entries.iter().map(|&(i, _)| slot(i).is_none()).collect();
        let to_read: Vec<&StoredEntry> = entries
            .iter()
            .zip(&missing)
            .filter(|(_, m)| **m)
            .map(|(&(_, e), _)| e)
            .collect();
        let mut read = source.load(&to_read)?.into_iter();
        let out = entries
            .iter()
            .zip(&missing)
            .map(|(&(i, _), &m)| {
                if !m {
                    return slot(i).cloned().unwrap_or_default();
                }
                let excerpt = source.excerpt(&read.next().unwrap_or_default(), self.words);
                match self.made.get(i) {
                    Some(cell) => cell.get_or_init(|| excerpt).clone(),
                    None => excerpt,
                }
            })
            .collect();
        Ok(out)
    }
}
