//! The sanitizer against the shared XSS and sanitizer corpora
//! (`../shared/corpus`; skipped with a message when absent): every payload,
//! as a bare fragment and placed in Atom (escaped), RSS (CDATA) and JSON Feed
//! (`content_html`) feeds built into a planet by the real binary, must give
//! output that satisfies the README's safety predicate, and sanitizing that
//! output again must change nothing.

mod common;
mod safety;

use planetoid::sanitize;

const BASE: &str = "https://payload.example/blog/post/";

#[test]
fn every_payload_as_a_fragment_is_safe_and_idempotent() {
    let Some(dir) = safety::corpus_dir() else {
        return;
    };
    let payloads = safety::payloads(&dir);
    assert!(
        payloads.len() > 1000,
        "corpus too small: {}",
        payloads.len()
    );
    let mut failures = Vec::new();
    for (id, payload) in &payloads {
        let out = sanitize::clean(payload, Some(BASE));
        let dom = safety::parse_fragment(out.as_str());
        for v in safety::violations(&dom.document) {
            failures.push(format!(
                "{id}: {v}\n  in:  {payload}\n  out: {}",
                out.as_str()
            ));
        }
        let text = safety::text_of(&dom.document);
        for hidden in safety::hidden_texts(payload) {
            if text.contains(&hidden) {
                failures.push(format!("{id}: leaked hidden text {hidden:?}"));
            }
        }
        let again = sanitize::clean(out.as_str(), None);
        if again != out {
            failures.push(format!(
                "{id}: not idempotent\n  in:    {payload}\n  once:  {}\n  twice: {}",
                out.as_str(),
                again.as_str()
            ));
        }
    }
    eprintln!(
        "fragments: {} payloads tried, {} predicate failures",
        payloads.len(),
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
