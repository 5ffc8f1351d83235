//! feed.json against the JSON Feed 1.1 schema from `../shared/corpus`, with a
//! small draft-07 subset checker (type, enum, format, required, properties,
//! patternProperties, additionalProperties, items, $ref, allOf,
//! minProperties): enough for this schema, and checked on the corpus
//! examples and on a broken feed before it is trusted.

use super::page;

fn check(
    schema: &serde_json::Value,
    root: &serde_json::Value,
    v: &serde_json::Value,
    at: &str,
) -> Vec<String> {
    use serde_json::Value;
    let mut errors = Vec::new();
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        let name = r.strip_prefix("#/definitions/").expect("local ref");
        return check(&root["definitions"][name], root, v, at);
    }
    if let Some(all) = schema.get("allOf").and_then(Value::as_array) {
        for s in all {
            errors.extend(check(s, root, v, at));
        }
    }
    if let Some(t) = schema.get("type").and_then(Value::as_str) {
        let ok = match t {
            "object" => v.is_object(),
            "array" => v.is_array(),
            "string" => v.is_string(),
            "boolean" => v.is_boolean(),
            "integer" => v.is_i64() || v.is_u64(),
            "number" => v.is_number(),
            other => panic!("unsupported type {other}"),
        };
        if !ok {
            errors.push(format!("{at}: expected {t}"));
            return errors;
        }
    }
    if let Some(values) = schema.get("enum").and_then(Value::as_array)
        && !values.contains(v)
    {
        errors.push(format!("{at}: {v} not in enum"));
    }
    if let (Some(format), Some(s)) = (schema.get("format").and_then(Value::as_str), v.as_str()) {
        let ok = match format {
            "uri" => url::Url::parse(s).is_ok(),
            "date-time" => chrono::DateTime::parse_from_rfc3339(s).is_ok(),
            other => panic!("unsupported format {other}"),
        };
        if !ok {
            errors.push(format!("{at}: `{s}` is not a valid {format}"));
        }
    }
    if let Some(obj) = v.as_object() {
        for key in schema
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if !obj.contains_key(key.as_str().unwrap_or_default()) {
                errors.push(format!("{at}: missing required {key}"));
            }
        }
        if let Some(min) = schema.get("minProperties").and_then(Value::as_u64)
            && (obj.len() as u64) < min
        {
            errors.push(format!("{at}: fewer than {min} properties"));
        }
        let props = schema.get("properties").and_then(Value::as_object);
        let patterns = schema.get("patternProperties").and_then(Value::as_object);
        for (key, value) in obj {
            let here = format!("{at}.{key}");
            if let Some(s) = props.and_then(|p| p.get(key)) {
                errors.extend(check(s, root, value, &here));
                continue;
            }
            let mut matched = false;
            for (pattern, s) in patterns.into_iter().flatten() {
                // The two patterns the schema uses.
                let mut chars = key.chars();
                let matches = match pattern.as_str() {
                    "^_[a-zA-Z][^.]*$" => {
                        chars.next() == Some('_')
                            && chars.next().is_some_and(|c| c.is_ascii_alphabetic())
                            && !key.contains('.')
                    }
                    "^[^.]*$" => !key.contains('.'),
                    other => panic!("unsupported pattern {other}"),
                };
                if matches {
                    matched = true;
                    errors.extend(check(s, root, value, &here));
                }
            }
            if !matched && schema.get("additionalProperties") == Some(&Value::Bool(false)) {
                errors.push(format!("{here}: not allowed"));
            }
        }
    }
    if let (Some(items), Some(list)) = (schema.get("items"), v.as_array()) {
        for (i, item) in list.iter().enumerate() {
            errors.extend(check(items, root, item, &format!("{at}[{i}]")));
        }
    }
    errors
}

#[test]
fn feed_json_validates_against_the_json_feed_1_1_schema() {
    let Some(corpus) = crate::common::corpus_with("jsonfeed-schema/schema-v1.1.json") else {
        return;
    };
    let dir = corpus.join("jsonfeed-schema");
    let schema_text =
        std::fs::read_to_string(dir.join("schema-v1.1.json")).expect("the schema reads");
    let schema: serde_json::Value = serde_json::from_str(&schema_text).expect("schema");
    // The checker itself: it accepts the corpus examples and rejects a broken feed.
    let mut examples = 0;
    for entry in std::fs::read_dir(dir.join("test/examples/v1.1"))
        .into_iter()
        .flatten()
        .flatten()
    {
        let text = std::fs::read_to_string(entry.path()).expect("example");
        let Ok(doc) = serde_json::from_str::<serde_json::Value>(&text) else {
            continue;
        };
        assert_eq!(
            check(&schema, &schema, &doc, "$"),
            Vec::<String>::new(),
            "{}",
            entry.path().display()
        );
        examples += 1;
    }
    let broken = serde_json::json!({"version": "https://jsonfeed.org/version/1.1", "title": "x",
        "items": [{"title": "no id", "url": "not a url", "bogus": 1}]});
    let errors = check(&schema, &schema, &broken, "$");
    assert!(
        errors.iter().any(|e| e.contains("missing required")),
        "{errors:?}"
    );
    assert!(
        errors.iter().any(|e| e.contains("not a valid uri")),
        "{errors:?}"
    );
    assert!(
        errors.iter().any(|e| e.contains("bogus: not allowed")),
        "{errors:?}"
    );

    let feed: serde_json::Value = serde_json::from_str(&page("feed.json")).expect("feed.json");
    assert_eq!(check(&schema, &schema, &feed, "$"), Vec::<String>::new());
    assert_eq!(feed["items"].as_array().map(Vec::len), Some(50));
    eprintln!("feed.json valid; checker verified on {examples} corpus examples");
}
