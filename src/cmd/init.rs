//! `planetoid init [DIR]`: a complete planet repository that builds on the
//! first try, offline — `planet.yaml` with comments for every key, one local
//! welcome feed, a copy of the default theme to edit (files there override
//! the built-in theme; delete any of them to fall back), a GitHub Actions
//! workflow that builds hourly and deploys to GitHub Pages, an "Add my
//! feed" issue form with the workflow that checks such requests and turns
//! approved ones into pull requests, `.gitignore`, and a README for the
//! planet's maintainers.

use std::path::{Path, PathBuf};

use crate::render::DEFAULT_THEME;

/// Why the starter could not be written.
#[derive(Debug, thiserror::Error)]
pub enum InitError {
    #[error("{} already exists; not overwriting it", path.display())]
    Exists { path: PathBuf },
    #[error("cannot write {}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

const STARTER_CONFIG: &str = r#"# planetoid configuration: https://planet.example.org is a placeholder.
title: My Planet
base_url: https://planet.example.org/
lang: en                        # UI language of the site (en, ru, …)
description: "Posts from the members of *our community*."   # Markdown
output_dir: output              # the site is written here (relative to this file)
state: .planetoid/state.db      # the store; keep it between builds (CI cache)
entries_per_page: 20
theme_dir: theme                # files here override the built-in default theme
feeds:
  # A URL (http, https, file://) or a path relative to this file.
  - url: feeds/welcome.xml
    name: Welcome
  # - url: https://blog.example.org/feed.xml
  #   name: Alice
"#;

const WELCOME_FEED: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0">
  <channel>
    <title>Welcome</title>
    <link>https://planet.example.org/</link>
    <description>A local feed so the first build works offline.</description>
    <item>
      <title>Your planet is running</title>
      <guid isPermaLink="false">welcome-1</guid>
      <pubDate>Mon, 06 Jan 2025 10:00:00 GMT</pubDate>
      <description>&lt;p&gt;Add your members' feeds to &lt;code&gt;planet.yaml&lt;/code&gt; and run &lt;code&gt;planetoid build&lt;/code&gt; again.&lt;/p&gt;</description>
    </item>
  </channel>
</rss>
"#;

/// Hourly build + GitHub Pages deploy; least privilege, pinned actions.
pub const WORKFLOW: &str = include_str!("init/planet-workflow.yml");

/// The "Add my feed" issue form.
pub const ADD_FEED_FORM: &str = include_str!("init/add-feed-issue.yml");

/// Answers an "Add my feed" issue with `planetoid add --dry-run`, and opens
/// a pull request once a maintainer labels it `feed-approved`.
pub const ADD_FEED_WORKFLOW: &str = include_str!("init/add-feed-workflow.yml");

const README: &str = include_str!("init/planet-readme.md");

/// Writes the starter into `dir`; refuses to overwrite an existing planet.yaml.
/// Returns the files written.
pub fn init(dir: &Path) -> Result<Vec<PathBuf>, InitError> {
    let config = dir.join("planet.yaml");
    if config.exists() {
        return Err(InitError::Exists { path: config });
    }
    let mut files: Vec<(PathBuf, &str)> = vec![
        (config, STARTER_CONFIG),
        (dir.join("feeds/welcome.xml"), WELCOME_FEED),
        (dir.join(".gitignore"), "output/\n.output.*/\n.planetoid/\n"),
        (dir.join(".github/workflows/planet.yml"), WORKFLOW),
        (
            dir.join(".github/ISSUE_TEMPLATE/add-feed.yml"),
            ADD_FEED_FORM,
        ),
        (
            dir.join(".github/workflows/add-feed.yml"),
            ADD_FEED_WORKFLOW,
        ),
        (dir.join("README.md"), README),
    ];
    for (rel, text) in DEFAULT_THEME {
        files.push((dir.join("theme").join(rel), text));
    }
    let mut written = Vec::new();
    for (path, text) in files {
        if path.exists() {
            continue;
        }
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|source| InitError::Io {
                path: parent.to_path_buf(),
                source,
            })?;
        }
        std::fs::write(&path, text).map_err(|source| InitError::Io {
            path: path.clone(),
            source,
        })?;
        written.push(path);
    }
    Ok(written)
}
