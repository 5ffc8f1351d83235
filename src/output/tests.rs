//! Tests of the site writer on the real, staged path: whole builds swapped
//! in, foreign and config directories refused, leftovers of killed builds
//! repaired, and the spare copy updated in place without touching the live
//! site.

use super::keyfile::{KEYS, KEYS_NEW};
use super::swap::remove_tree;
use super::*;

fn key(n: u8) -> PageKey {
    PageKey::from_hex(&format!("{n:02x}").repeat(32)).expect("hex")
}

/// One whole build: `files` staged into `out` and swapped in.
fn build(out: &Path, cfg: &Path, files: &[(&str, &str)]) -> Result<(), OutputError> {
    let site = Site::staged(out, cfg)?;
    for (path, text) in files {
        site.add(path, text.as_bytes().to_vec());
    }
    site.commit().map(|_| ())
}

fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("ls")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn a_build_replaces_the_old_site_whole() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("site/output");
    let pages = |text| [("index.html", text), ("page/2/index.html", "two")];
    build(&out, tmp.path(), &pages("one")).expect("first");
    build(&out, tmp.path(), &[("stale.html", "old")]).expect("second");
    build(&out, tmp.path(), &pages("new")).expect("third");
    assert_eq!(
        std::fs::read_to_string(out.join("index.html")).expect("read"),
        "new"
    );
    assert!(
        !out.join("stale.html").exists(),
        "files from the old build are gone"
    );
    assert!(out.join(MARKER).is_file());
    assert_eq!(
        names(&tmp.path().join("site")),
        [".output.spare", "output"],
        "no temporary directories left behind, only the spare"
    );
}

#[test]
fn foreign_directories_and_the_config_dir_are_never_replaced() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let foreign = tmp.path().join("docs");
    std::fs::create_dir_all(&foreign).expect("mkdir");
    std::fs::write(foreign.join("precious.txt"), "keep").expect("write");
    let err = Site::staged(&foreign, &tmp.path().join("cfg")).expect_err("not ours");
    assert!(matches!(err, OutputError::NotOurs { .. }), "{err}");
    assert!(foreign.join("precious.txt").exists());
    let err = Site::staged(tmp.path(), tmp.path()).expect_err("config dir");
    assert!(matches!(err, OutputError::ContainsConfig { .. }), "{err}");
}

#[test]
fn leftovers_of_killed_builds_are_repaired() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (out, cfg) = (tmp.path().join("output"), tmp.path().join("cfg"));
    build(&out, &cfg, &[("index.html", "one")]).expect("first");
    // Killed between the two fallback renames: only the old copy exists.
    std::fs::rename(&out, tmp.path().join(".output.old-999")).expect("simulate");
    // And a half-written new site from another killed build.
    std::fs::create_dir_all(tmp.path().join(".output.new-998/page")).expect("simulate");
    build(&out, &cfg, &[("index.html", "two")]).expect("second");
    assert_eq!(
        std::fs::read_to_string(out.join("index.html")).expect("read"),
        "two"
    );
    assert_eq!(
        names(tmp.path()),
        [".output.spare", "output"],
        "leftovers cleaned"
    );
    assert_eq!(
        std::fs::read_to_string(tmp.path().join(".output.spare/index.html")).expect("read"),
        "one",
        "the site put back became the spare"
    );
}

#[test]
fn a_staged_site_is_written_as_rendered_and_swapped_in_or_dropped() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("output");
    let cfg = tmp.path().join("cfg");
    build(&out, &cfg, &[("index.html", "old")]).expect("first");
    let staged = Site::staged(&out, &cfg).expect("staged");
    staged.add("index.html", b"new".to_vec());
    assert_eq!(
        std::fs::read_to_string(out.join("index.html")).expect("read"),
        "old",
        "not visible before commit"
    );
    assert_eq!(staged.commit().expect("commit").written, 1);
    assert_eq!(
        std::fs::read_to_string(out.join("index.html")).expect("read"),
        "new"
    );
    // A build that fails after staging began leaves the old site and no leftovers.
    let abandoned = Site::staged(&out, &cfg).expect("staged");
    abandoned.add("index.html", b"half".to_vec());
    drop(abandoned);
    assert_eq!(
        std::fs::read_to_string(out.join("index.html")).expect("read"),
        "new"
    );
    assert_eq!(
        std::fs::read_dir(tmp.path()).expect("ls").count(),
        1,
        "staging removed"
    );
}

#[test]
fn the_spare_copy_is_updated_in_place_and_never_touches_the_live_site() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (out, cfg) = (tmp.path().join("output"), tmp.path().join("cfg"));
    let spare = tmp.path().join(".output.spare");
    let read = |p: &Path| std::fs::read_to_string(p).unwrap_or_default();
    let (k1, k2, k3) = (key(1), key(2), key(3));

    let a = Site::staged(&out, &cfg).expect("staged");
    a.add_keyed("a.html", Some(k1), b"A1".to_vec());
    a.add_keyed("x/b.html", Some(k2), b"B".to_vec());
    a.commit().expect("commit a");

    // Build b: a.html unchanged (linked from the live site), b gone, c new.
    let b = Site::staged(&out, &cfg).expect("staged");
    assert!(b.carry("a.html", k1));
    assert!(!b.carry("c.html", k3), "nothing to carry yet");
    b.add_keyed("c.html", Some(k3), b"C".to_vec());
    assert_eq!(b.counts(), (1, 1));
    b.commit().expect("commit b");
    assert_eq!(read(&out.join("a.html")), "A1");
    assert!(!out.join("x/b.html").exists());
    assert_eq!(
        read(&spare.join("x/b.html")),
        "B",
        "the previous site is the spare"
    );

    // Build c updates that spare: a.html is already right there, c.html
    // comes from the live site, b.html and its folder go. Rewriting a
    // file the spare shares with the live site leaves the live one alone.
    let c = Site::staged(&out, &cfg).expect("staged");
    assert!(c.carry("a.html", k1));
    assert!(c.carry("c.html", k3));
    c.add_keyed("a.html", Some(k2), b"A2".to_vec());
    assert_eq!(read(&out.join("a.html")), "A1", "live site untouched");
    c.commit().expect("commit c");
    assert_eq!(read(&out.join("a.html")), "A2");
    assert_eq!(read(&out.join("c.html")), "C");
    assert!(!out.join("x").exists(), "stale files and folders removed");
    assert_eq!(read(&spare.join("a.html")), "A1");

    // A build that dies while updating the spare leaves the live site
    // whole and no spare to trust.
    let d = Site::staged(&out, &cfg).expect("staged");
    d.add_keyed("a.html", Some(k3), b"half".to_vec());
    drop(d);
    assert_eq!(read(&out.join("a.html")), "A2");
    assert!(!spare.exists());
    let e = Site::staged(&out, &cfg).expect("staged");
    assert!(e.carry("a.html", k2), "the live site's keys still count");
    assert!(!e.carry("c.html", k1), "a changed key is rendered");
}

#[test]
fn a_foreign_directory_where_the_spare_goes_is_never_removed() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (out, cfg) = (tmp.path().join("output"), tmp.path().join("cfg"));
    let foreign = tmp.path().join(".output.spare");
    std::fs::create_dir_all(&foreign).expect("mkdir");
    std::fs::write(foreign.join("notes.txt"), "mine").expect("write");
    let err = Site::staged(&out, &cfg).expect_err("not ours");
    assert!(matches!(err, OutputError::SpareNotOurs { .. }), "{err}");
    assert!(
        err.to_string().contains("move it elsewhere or remove it"),
        "{err}"
    );
    assert!(foreign.join("notes.txt").is_file());
}

#[test]
fn whatever_a_killed_build_leaves_beside_the_site_is_taken_back() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (out, cfg) = (tmp.path().join("output"), tmp.path().join("cfg"));
    let spare = tmp.path().join(".output.spare");
    let read = |p: &Path| std::fs::read_to_string(p).unwrap_or_default();
    let build = |text: &str| {
        let site = Site::staged(&out, &cfg).expect("staged");
        site.add_keyed("a.html", Some(key(1)), text.as_bytes().to_vec());
        site.add_keyed("x/b.html", Some(key(2)), b"B".to_vec());
        site.commit().expect("commit");
    };
    build("one");
    build("two");

    // Removing the spare cut short: its keys are gone, some files too,
    // the marker (removed last) is still there.
    std::fs::remove_file(spare.join(KEYS)).expect("rm keys");
    std::fs::remove_file(spare.join("a.html")).expect("rm");
    build("three");
    assert_eq!(read(&out.join("a.html")), "three");
    // Writing the keys file cut short: only the unfinished copy exists.
    std::fs::rename(spare.join(KEYS), spare.join(KEYS_NEW)).expect("mv");
    build("four");
    assert_eq!(read(&out.join("a.html")), "four");
    assert!(!out.join(KEYS_NEW).exists() && out.join(KEYS).is_file());
    // Killed right after making a staging directory or the spare, before
    // the marker: both are empty, so nothing is refused.
    remove_tree(&spare).expect("rm spare");
    std::fs::create_dir(&spare).expect("mkdir");
    std::fs::create_dir(tmp.path().join(".output.new-4242")).expect("mkdir");
    build("five");
    assert_eq!(read(&out.join("a.html")), "five");
    assert_eq!(names(tmp.path()), [".output.spare", "output"]);

    // A spare file its keys do not list may be a hard link into the
    // live site: it is replaced, never written through.
    let listed = read(&spare.join(KEYS));
    let kept: String = listed
        .lines()
        .filter(|l| !l.ends_with(" a.html"))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(spare.join(KEYS), kept).expect("write keys");
    std::fs::remove_file(spare.join("a.html")).expect("rm");
    std::fs::hard_link(out.join("a.html"), spare.join("a.html")).expect("link");
    let site = Site::staged(&out, &cfg).expect("staged");
    site.add_keyed("a.html", Some(key(3)), b"six".to_vec());
    assert_eq!(read(&out.join("a.html")), "five", "live site untouched");
    site.commit().expect("commit");
    assert_eq!(read(&out.join("a.html")), "six");
}

#[test]
fn paths_cannot_escape_the_site() {
    assert!(safe_join(Path::new("/x"), "../etc/passwd").is_none());
    assert!(safe_join(Path::new("/x"), "/etc/passwd").is_none());
    assert_eq!(
        safe_join(Path::new("/x"), "a/b.html"),
        Some(PathBuf::from("/x/a/b.html"))
    );
}

#[test]
fn the_published_size_is_what_is_on_disk_whether_files_were_written_or_carried() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (out, cfg) = (tmp.path().join("output"), tmp.path().join("cfg"));
    let (k1, k2, k3) = (key(1), key(2), key(3));
    let bytes = |n: usize| vec![b'x'; n];

    let a = Site::staged(&out, &cfg).expect("staged");
    a.add("index.html", bytes(10));
    a.add_keyed("archive/2025/01/index.html", Some(k1), bytes(300));
    a.add_keyed("archive/2025/02/index.html", Some(k2), bytes(100));
    a.add_keyed("feeds/f/index.html", Some(k3), bytes(50));
    a.add("old.html", bytes(5));
    let published = a.commit().expect("commit a");
    assert_eq!(published.written, 5);
    assert_eq!(published.size, size::measure(&out));
    assert_eq!(
        published.size.files,
        5 + 3,
        "with the two markers and the keys file"
    );

    // Linked from the live site, rewritten with another length after
    // being carried (the last one counts), and old.html gone.
    let b = Site::staged(&out, &cfg).expect("staged");
    assert!(b.carry("feeds/f/index.html", k3));
    assert!(b.carry("archive/2025/02/index.html", k2));
    b.add_keyed("archive/2025/02/index.html", Some(k1), bytes(7));
    b.add_keyed("archive/2025/01/index.html", Some(k1), bytes(400));
    b.add("index.html", bytes(12));
    let published = b.commit().expect("commit b");
    assert_eq!(published.size, size::measure(&out));
    assert_eq!(
        published.size.parts[0].largest,
        Some(("archive/2025/".to_string(), 407))
    );

    // The spare brought up to date in place: some files already right
    // there, one from the live site, a stale one removed.
    let c = Site::staged(&out, &cfg).expect("staged");
    assert!(c.carry("feeds/f/index.html", k3), "already in the spare");
    assert!(
        c.carry("archive/2025/01/index.html", k1),
        "from the live site"
    );
    c.add("index.html", bytes(9));
    let published = c.commit().expect("commit c");
    assert_eq!(published.size, size::measure(&out));
    assert_eq!(published.size.files, 3 + 3);
}
