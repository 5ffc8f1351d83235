//! The one OPML writer: a list of subscriptions as an OPML 2.0 document,
//! for the site's `opml.xml` and for `planetoid opml export`. It is built
//! with the `opml` crate, every string losing the control characters XML
//! 1.0 forbids first; each caller decides what it lists and how it names
//! each feed.

use chrono::{DateTime, Utc};

use super::RenderError;
use super::xml::{failed, xml_text};
use crate::entry::WebUrl;

/// One subscription of the list.
pub struct Subscription<'a> {
    /// Its outline's `text` and `title`.
    pub name: &'a str,
    /// The feed's address (`xmlUrl`).
    pub xml_url: &'a str,
    /// The site's address (`htmlUrl`).
    pub html_url: Option<&'a WebUrl>,
    pub language: Option<&'a str>,
}

/// The OPML document titled `title` listing `feeds` in their order, dated
/// `created` when given, with an XML declaration and a final newline.
pub fn opml(
    title: &str,
    created: Option<DateTime<Utc>>,
    feeds: &[Subscription],
) -> Result<String, RenderError> {
    let outlines = feeds
        .iter()
        .map(|f| opml::Outline {
            text: xml_text(f.name),
            title: Some(xml_text(f.name)),
            r#type: Some("rss".to_string()),
            xml_url: Some(xml_text(f.xml_url)),
            html_url: f.html_url.map(WebUrl::to_string),
            language: f.language.map(xml_text),
            ..opml::Outline::default()
        })
        .collect();
    let doc = opml::OPML {
        version: "2.0".to_string(),
        head: Some(opml::Head {
            title: Some(xml_text(title)),
            date_created: created.map(|d| d.to_rfc2822()),
            ..opml::Head::default()
        }),
        body: opml::Body { outlines },
    };
    let xml = doc.to_string().map_err(|e| failed("opml.xml", e))?;
    Ok(format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{xml}\n"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn a_list_becomes_one_outline_per_feed() {
        let site = WebUrl::sample("https://a.example/");
        let feeds = [
            Subscription {
                name: "A & \u{1}B",
                xml_url: "https://a.example/feed",
                html_url: Some(&site),
                language: Some("en"),
            },
            Subscription {
                name: "feeds/local.xml",
                xml_url: "feeds/local.xml",
                html_url: None,
                language: None,
            },
        ];
        let created = Utc.with_ymd_and_hms(2025, 1, 31, 0, 0, 0).unwrap();
        assert_eq!(
            opml("P", Some(created), &feeds).expect("writes"),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<opml version=\"2.0\"><head><title>P</title>\
             <dateCreated>Fri, 31 Jan 2025 00:00:00 +0000</dateCreated></head><body>\
             <outline text=\"A &amp; B\" type=\"rss\" xmlUrl=\"https://a.example/feed\" \
             htmlUrl=\"https://a.example/\" language=\"en\" title=\"A &amp; B\"/>\
             <outline text=\"feeds/local.xml\" type=\"rss\" xmlUrl=\"feeds/local.xml\" \
             title=\"feeds/local.xml\"/></body></opml>\n"
        );
    }
}
