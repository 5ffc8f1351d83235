//! planetoid's integration tests, as one test binary: linking the library
//! and its dependencies once instead of once per file is most of what an
//! integration test costs to build. Each module is one area, driven through
//! the real `planetoid` binary or the library's public API; the shared
//! fixtures (a local HTTP server, feed generators, HTML checks, hostile
//! inputs) are the modules at the bottom. Run one area with
//! `cargo test --test suite <module>::`.

mod browser;
mod build;
mod conformance;
mod corpus_parse;
mod corpus_site;
mod date_cases;
mod demo;
mod encodings;
mod fetch;
mod fidelity;
mod health_history;
mod hostile_urls;
mod import;
mod operator;
mod overlap;
mod sanitize_bench;
mod sanitize_corpus;
mod scheduling;
mod search;
mod site;
mod snapshots;
mod timeline;

mod common;
mod hostile;
mod safety;
