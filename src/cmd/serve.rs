//! `planetoid serve`: preview a planet on localhost while editing it.
//!
//! Builds once, serves `output_dir` on 127.0.0.1 with a small static file
//! server (GET/HEAD only, no path can leave the site), and rebuilds whenever
//! planet.yaml, a file of the theme or a local feed file changes. A failed
//! rebuild is reported and the previous site keeps being served.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use crate::config::{self, FeedSource};
use crate::lock::{LockError, Wait};
use crate::{BuildError, BuildOptions};

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(transparent)]
    Build(#[from] BuildError),
    #[error("cannot listen on 127.0.0.1:{port}: {source}")]
    Listen { port: u16, source: std::io::Error },
}

/// Builds, serves and rebuilds; every build holds the planet's lock (see
/// `lock`) only while it runs, waiting as `wait` says.
pub fn serve(config_path: &Path, port: u16, offline: bool, wait: Wait) -> Result<(), ServeError> {
    let options = BuildOptions {
        config: config_path.to_path_buf(),
        output: None,
        now: None,
        offline,
        retry_gone: false,
        verbosity: wait.verbosity,
        wait: wait.limit,
    };
    // Taken before the first build: an edit made while it runs, or before
    // the watcher thread gets going, still triggers a rebuild.
    let inputs = fingerprint(config_path);
    let first = crate::build(&options)?;
    eprintln!("planetoid: {}", first.summary);
    let site = Arc::new(Mutex::new(
        config::load(config_path)
            .map(|c| c.output_dir)
            .map_err(BuildError::from)?,
    ));

    let listener = TcpListener::bind(("127.0.0.1", port))
        .map_err(|source| ServeError::Listen { port, source })?;
    let actual = listener.local_addr().map(|a| a.port()).unwrap_or(port);
    eprintln!(
        "planetoid: serving http://127.0.0.1:{actual}/ — rebuilding on changes (Ctrl-C to stop)"
    );

    let watched_site = site.clone();
    std::thread::spawn(move || watch(&options, inputs, &watched_site));
    for stream in listener.incoming().flatten() {
        let root = site.lock().map(|p| p.clone()).unwrap_or_default();
        std::thread::spawn(move || answer(stream, &root));
    }
    Ok(())
}

/// Polls the planet's inputs once a second and rebuilds when they change.
fn watch(options: &BuildOptions, mut last: Fingerprint, site: &Mutex<PathBuf>) {
    loop {
        std::thread::sleep(Duration::from_secs(1));
        let now = fingerprint(&options.config);
        if now == last {
            continue;
        }
        last = now;
        match crate::build(options) {
            Ok(report) => {
                eprintln!(
                    "planetoid: rebuilt: {}",
                    report.summary.lines().next().unwrap_or("")
                );
                if let (Ok(cfg), Ok(mut path)) = (config::load(&options.config), site.lock()) {
                    *path = cfg.output_dir;
                }
            }
            Err(e) => {
                eprintln!("planetoid: rebuild failed (still serving the previous site): {e}");
                if matches!(e, BuildError::Lock(LockError::Busy { .. })) {
                    // Nothing was built: try again on the next poll.
                    last = Fingerprint::new();
                }
            }
        }
    }
}

/// Modification times and sizes of planet.yaml, the theme and local feeds.
type Fingerprint = Vec<(PathBuf, Option<SystemTime>, u64)>;

fn fingerprint(config_path: &Path) -> Fingerprint {
    let mut paths = vec![config_path.to_path_buf()];
    if let Ok(cfg) = config::load(config_path) {
        if let Some(dir) = &cfg.theme_dir {
            walk(dir, &mut paths);
        }
        paths.extend(cfg.feeds.iter().filter_map(|f| match &f.source {
            FeedSource::File(p) => Some(p.clone()),
            FeedSource::Http(_) => None,
        }));
    }
    paths
        .into_iter()
        .map(|p| {
            let meta = std::fs::metadata(&p).ok();
            let stamp = meta.as_ref().and_then(|m| m.modified().ok());
            let len = meta.map_or(0, |m| m.len());
            (p, stamp, len)
        })
        .collect()
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut list: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    list.sort();
    for path in list {
        if path.is_dir() {
            walk(&path, out);
        } else {
            out.push(path);
        }
    }
}

fn answer(stream: TcpStream, root: &Path) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let mut reader = BufReader::new(match stream.try_clone() {
        Ok(s) => s,
        Err(_) => return,
    });
    let mut request = String::new();
    if reader.read_line(&mut request).is_err() {
        return;
    }
    loop {
        let mut header = String::new();
        match reader.read_line(&mut header) {
            Ok(0) | Err(_) => break,
            Ok(_) if header.trim().is_empty() => break,
            Ok(_) => {}
        }
    }
    let mut parts = request.split_whitespace();
    let method = parts.next().unwrap_or("");
    let target = parts.next().unwrap_or("/");
    let mut out = stream;
    let (status, kind, body) = if method != "GET" && method != "HEAD" {
        (
            405,
            "text/plain; charset=utf-8",
            b"method not allowed\n".to_vec(),
        )
    } else {
        match resolve(root, target).and_then(|p| std::fs::read(&p).ok().map(|b| (p, b))) {
            Some((path, bytes)) => (200, content_type(&path), bytes),
            None => (404, "text/plain; charset=utf-8", b"not found\n".to_vec()),
        }
    };
    let head = format!(
        "HTTP/1.1 {status} {}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n",
        if status == 200 { "OK" } else { "Error" },
        body.len()
    );
    let _ = out.write_all(head.as_bytes());
    if method != "HEAD" {
        let _ = out.write_all(&body);
    }
}

/// The file a request path names inside the site; `None` for anything that
/// would leave it.
fn resolve(root: &Path, target: &str) -> Option<PathBuf> {
    let path = target.split(['?', '#']).next().unwrap_or("/");
    let mut out = root.to_path_buf();
    for segment in path.split('/').filter(|s| !s.is_empty()) {
        let segment = percent_decode(segment)?;
        if segment == ".." || segment == "." || segment.contains(['/', '\\', '\0']) {
            return None;
        }
        out.push(segment);
    }
    if out.is_dir() {
        out.push("index.html");
    }
    out.is_file().then_some(out)
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "xml" => "application/xml; charset=utf-8",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "ico" => "image/x-icon",
        "txt" | "md" => "text/plain; charset=utf-8",
        "woff2" => "font/woff2",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_paths_cannot_leave_the_site() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(dir.path().join("page/2")).expect("mkdir");
        std::fs::write(dir.path().join("index.html"), "i").expect("write");
        std::fs::write(dir.path().join("page/2/index.html"), "2").expect("write");
        assert_eq!(
            resolve(dir.path(), "/"),
            Some(dir.path().join("index.html"))
        );
        assert_eq!(
            resolve(dir.path(), "/page/2/?x=1"),
            Some(dir.path().join("page/2/index.html"))
        );
        assert_eq!(resolve(dir.path(), "/../etc/passwd"), None);
        assert_eq!(resolve(dir.path(), "/%2e%2e/x"), None);
        assert_eq!(resolve(dir.path(), "/page/%2F/x"), None);
        assert_eq!(resolve(dir.path(), "/missing.html"), None);
    }
}
