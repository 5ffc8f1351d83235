#!/usr/bin/env python3
"""planetoid's benchmark: one command, every figure measured in the same run.

    python3 bench/run.py [--sizes 100,500,2000] [--work /tmp/planetoid-bench] [--corpus DIR]
                         [--big] [--baseline OTHER-PLANETOID-BINARY] [--search]

Builds planetoid and the floor program in release mode, generates the
corpus (bench/gen_corpus.py) unless --corpus points at one laid out like
the shared kit's (www/feeds/...), serves it with nginx on loopback (gzip,
ETag, Last-Modified; nginx-light is installed with apt when missing), and
for each N measures:

  floor        download every feed (N parallel connections, curl) and, on
               the downloaded files, parse + sanitize every entry (2 threads)
  cold         planetoid build with an empty store
  warm         the same build again: every feed answers 304
  warm again   once more (the steady state: the spare site copy exists)
  incremental  5% of the feeds rewritten (one new entry, one edited)

and prints wall time, CPU time, peak RSS, entries rendered, 200/304 counts
from the server log, the site's size on disk and file count (and its ratio
to the sanitized body bytes in the store), and each build's ratio to the
floor (download + parse and sanitize) of the same run. Loopback only;
nginx is stopped at the end.

--big adds N = 10,000 (floor and cold build only, once) and prints the
cold build's cost per feed beside the largest other size's: it should stay
flat, and the site under 1 GB. --baseline BIN also runs a cold build with
another planetoid binary (say, the last release) in the same run, so the
two compare on equal terms on a noisy machine. --search turns the planet's
search on (`search: true`), adds cold, warm and warm-again builds without
search (same feeds, same run) to compare with, and prints for each build the search index's
size and file count and the time search took (planetoid -v: keys, carry
over, indexing), and at the end the bytes a browser fetches for one query
on the incremental build's site (bench/query_bytes.mjs in Debian's headless
Chromium, page load included: a common word and a rare one), when node,
/usr/bin/chromium and playwright-core (npm ci in tests/browser) are there.
"""
import json
import sqlite3
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
NOW = "2025-03-02T00:00:00Z"


def sh(cmd, **kw):
    return subprocess.run(cmd, check=True, **kw)


def site_size(planet):
    """(bytes, files) of the planet's published site."""
    total, files = 0, 0
    for root, _, names in os.walk(os.path.join(planet, "output")):
        for name in names:
            total += os.path.getsize(os.path.join(root, name))
            files += 1
    return total, files


def search_size(planet):
    """(bytes, files) of the site's search index (output/pagefind/)."""
    total, files = 0, 0
    for root, _, names in os.walk(os.path.join(planet, "output", "pagefind")):
        for name in names:
            total += os.path.getsize(os.path.join(root, name))
            files += 1
    return total, files


def body_bytes(planet):
    """Bytes of sanitized bodies in the planet's store."""
    db = sqlite3.connect(os.path.join(planet, ".planetoid", "state.db"))
    try:
        return db.execute("SELECT COALESCE(SUM(LENGTH(CAST(body AS BLOB))), 0) FROM bodies").fetchone()[0]
    finally:
        db.close()


def timed(cmd, cwd):
    """Runs cmd under GNU time; returns (wall s, cpu s, peak RSS MB, output)."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as t:
        proc = subprocess.run(["/usr/bin/time", "-f", "%e %U %S %M", "-o", t.name] + cmd, cwd=cwd,
                              capture_output=True, text=True)
        if proc.returncode != 0:
            sys.exit(f"{' '.join(cmd)} failed:\n{proc.stderr[-2000:]}")
        wall, user, system, rss_kb = t.read().split()[-4:]
    return float(wall), float(user) + float(system), int(rss_kb) / 1024, proc.stderr + proc.stdout


class Nginx:
    def __init__(self, www, port, work):
        self.dir = os.path.join(work, "nginx")
        os.makedirs(os.path.join(self.dir, "tmp"), exist_ok=True)
        if not shutil.which("nginx"):
            sh(["sh", "-c", "apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q nginx-light >/dev/null"])
        conf = open(os.path.join(HERE, "nginx.conf.in")).read()
        conf = conf.replace("@DIR@", self.dir).replace("@WWW@", www).replace("@PORT@", str(port))
        self.conf = os.path.join(self.dir, "nginx.conf")
        open(self.conf, "w").write(conf)
        self.log = os.path.join(self.dir, "access.log")

    def __enter__(self):
        sh(["nginx", "-p", self.dir, "-c", self.conf, "-e", os.path.join(self.dir, "error.log")])
        time.sleep(0.3)
        return self

    def __exit__(self, *exc):
        pid = open(os.path.join(self.dir, "nginx.pid")).read().strip()
        subprocess.run(["kill", "-QUIT", pid])

    def mark(self):
        return os.path.getsize(self.log) if os.path.exists(self.log) else 0

    def counts(self, since):
        with open(self.log) as f:
            f.seek(since)
            statuses = [line.split()[0] for line in f if line.strip()]
        return statuses.count("200"), statuses.count("304")


def search_took(log):
    """The seconds `search took` in a -v log, or None."""
    for line in log.splitlines():
        if "search took " in line:
            return float(line.split("search took ", 1)[1].split(" s")[0])
    return None


def query_bytes(site, queries):
    """bench/query_bytes.mjs on the site for each query, or why it could not run."""
    modules = os.environ.get("PLANETOID_NODE_MODULES") or os.path.join(ROOT, "tests", "browser", "node_modules")
    if not (shutil.which("node") and os.path.exists("/usr/bin/chromium") and os.path.isdir(os.path.join(modules, "playwright-core"))):
        return None, "needs node, /usr/bin/chromium and playwright-core (npm ci in tests/browser)"
    steps = [{"q": q} for q in queries]
    proc = subprocess.run(["node", os.path.join(HERE, "query_bytes.mjs"), site, json.dumps(steps)],
                          capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        return None, proc.stderr[-2000:]
    return json.loads(proc.stdout.strip().splitlines()[-1]), None


def measure_build(binary, planet, nginx):
    """One `build -v` in planet's folder: its table row (after N and mode)
    and its per-stage profile."""
    mark = nginx.mark()
    wall, cpu, rss, err = timed([binary, "-v", "build", "--now", NOW], planet)
    ok, nm = nginx.counts(mark)
    lines = err.splitlines()
    entries = next((w.split(" entries")[0].split()[-1] for w in lines if " entries on " in w), "?")
    stages = next((w.split("timings: ", 1)[1] for w in lines if "timings: " in w), "?")
    size, files = site_size(planet)
    return (wall, cpu, rss, entries, ok, nm, size, files, body_bytes(planet)), stages, search_size(planet) + (search_took(err),)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="100,500,2000")
    ap.add_argument("--work", default=os.path.join(tempfile.gettempdir(), "planetoid-bench"))
    ap.add_argument("--corpus", help="an existing corpus (www/feeds/*), e.g. the shared kit's")
    ap.add_argument("--port", type=int, default=18090)
    ap.add_argument("--big", action="store_true", help="also N = 10,000, cold only, once")
    ap.add_argument("--baseline", help="another planetoid binary to run a cold build with, for comparison")
    ap.add_argument("--search", action="store_true", help="build with search: true; report the index size")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    big = 10000
    if args.big and big not in sizes:
        sizes.append(big)
    os.makedirs(args.work, exist_ok=True)

    sh(["cargo", "build", "--release", "--quiet"], cwd=ROOT)
    sh(["cargo", "build", "--release", "--quiet"], cwd=os.path.join(HERE, "floor"))
    planetoid = os.path.join(ROOT, "target", "release", "planetoid")
    floor = os.path.join(HERE, "floor", "target", "release", "planetoid-floor")
    base = f"http://127.0.0.1:{args.port}"
    corpus = args.corpus or os.path.join(args.work, "corpus")
    gen = [sys.executable, os.path.join(HERE, "gen_corpus.py"), "--out", corpus, "--base-url", base]
    feeds_dir = os.path.join(corpus, "www", "feeds")
    if not args.corpus:
        sh(gen + ["--feeds", str(max(sizes))], stdout=subprocess.DEVNULL)
    names = sorted(n for n in os.listdir(feeds_dir) if n.endswith((".rss", ".atom")))

    rows = []
    # Scratch trees are deleted at the end, not between builds: ext4 skips
    # inodes freed in the last minute or more when it allocates new ones,
    # so a build that creates its 4,000 files right after the bench deleted
    # thousands paid up to 2.7 s of kernel CPU for the bench's own cleanup.
    trash = []
    profiles = []
    indexes = []
    queries = []
    with Nginx(os.path.join(corpus, "www"), args.port, args.work) as nginx:
        for n in sizes:
            urls = [f"{base}/feeds/{name}" for name in names[:n]]
            # Floor: download everything, then parse + sanitize the files.
            dl = tempfile.mkdtemp(dir=args.work)
            cfg = os.path.join(dl, "curl.cfg")
            with open(cfg, "w") as f:
                for i, u in enumerate(urls):
                    f.write(f'url = "{u}"\noutput = "{dl}/{names[i]}"\n')
            t_dl, _, _, _ = timed(["curl", "-s", "--compressed", "--parallel", "--parallel-max", "32", "-K", cfg], dl)
            t_parse, cpu_parse, rss_floor, out = timed([floor, dl, "--threads", "2"], dl)
            trash.append(dl)
            floor_total = t_dl + t_parse
            rows.append((n, "floor", floor_total, cpu_parse, rss_floor, out.strip().split(" entries")[0].split(", ")[-1], "-", "-"))

            planet = tempfile.mkdtemp(dir=args.work)
            yaml = ("title: Bench\nbase_url: https://bench.test/\n" + ("search: true\n" if args.search else "")
                    + "fetch:\n  concurrency: 32\n  per_host: 32\nfeeds:\n"
                    + "".join(f"  - url: {u}\n" for u in urls))
            with open(os.path.join(planet, "planet.yaml"), "w") as f:
                f.write(yaml)
            # "warm" right after cold also builds the spare copy of the site
            # (output.rs); "warm again" is the steady state of a scheduled
            # planet where nothing changed.
            if args.search:
                # The same feeds without search, in the same run, first.
                plain = tempfile.mkdtemp(dir=args.work)
                with open(os.path.join(plain, "planet.yaml"), "w") as f:
                    f.write(yaml.replace("search: true\n", ""))
                for mode in ["cold", "warm", "warm again"]:
                    row, stages, _ = measure_build(planetoid, plain, nginx)
                    rows.append((n, f"{mode}, no search") + row)
                    profiles.append((n, f"{mode}, no search", stages))
                trash.append(plain)
            if args.big and n == big:
                modes = ["cold"]
            else:
                modes = ["cold", "warm", "warm again"] + ([] if args.corpus else ["incremental"])
            for mode in modes:
                if mode == "incremental":
                    sh(gen + ["--feeds", str(n), "--change", "5", "--round", "1"], stdout=subprocess.DEVNULL)
                row, stages, index = measure_build(planetoid, planet, nginx)
                rows.append((n, mode) + row)
                profiles.append((n, mode, stages))
                indexes.append((n, mode, index))
            if args.search:
                report, why = query_bytes(os.path.join(planet, "output"), ["borrow", "edited"])
                queries.append((n, modes[-1], report, why))
            trash.append(planet)
            if args.baseline:
                other = tempfile.mkdtemp(dir=args.work)
                with open(os.path.join(other, "planet.yaml"), "w") as f:
                    f.write(yaml)
                row, stages, _ = measure_build(args.baseline, other, nginx)
                rows.append((n, "cold baseline") + row)
                profiles.append((n, "cold baseline", stages))
                trash.append(other)
            if not args.corpus:
                # Round 0 writes the changed feeds back as they were.
                sh(gen + ["--feeds", str(n), "--change", "5", "--round", "0"], stdout=subprocess.DEVNULL)

    for path in trash:
        shutil.rmtree(path, ignore_errors=True)

    print(f"\n{'N':>5} {'mode':<20} {'wall s':>8} {'cpu s':>8} {'peak MB':>8} {'entries':>8} {'200s':>6} {'304s':>6} "
          f"{'site MB':>8} {'files':>6} {'/bodies':>7} {'× floor':>8}")
    floors = {r[0]: r[2] for r in rows if r[1] == "floor"}
    for n, mode, wall, cpu, rss, entries, ok, nm, *site in rows:
        ratio = "" if mode == "floor" else f"{wall / floors[n]:.2f}"
        if site:
            size, files, bodies = site
            shown = f"{size / 1e6:>8.1f} {files:>6} {size / bodies if bodies else 0:>7.2f}"
        else:
            shown = f"{'':>8} {'':>6} {'':>7}"
        print(f"{n:>5} {mode:<20} {wall:>8.2f} {cpu:>8.2f} {rss:>8.1f} {entries:>8} {ok!s:>6} {nm!s:>6} {shown} {ratio:>8}")
    colds = {r[0]: r for r in rows if r[1] == "cold"}
    if args.big and big in colds and len(colds) > 1:
        ref = max(n for n in colds if n != big)
        per = {n: colds[n][2] / n * 1000 for n in (ref, big)}
        print(f"\ncold cost per feed: N={ref} {per[ref]:.2f} ms, N={big} {per[big]:.2f} ms "
              f"({per[big] / per[ref]:.2f}x); N={big} site {colds[big][8] / 1e6:.1f} MB")
    if args.search:
        print("\nsearch index (output/pagefind/), and the time search took in the build:")
        for n, mode, (size, files, took) in indexes:
            took = "?" if took is None else f"{took:.2f} s"
            print(f"{n:>5} {mode:<13} {size:>11} bytes {files:>6} files  search {took}")
        print("\none query in headless Chromium on the last build's site (fresh cache, page load included):")
        for n, mode, report, why in queries:
            if report is None:
                print(f"{n:>5} {mode:<13} not measured: {why}")
                continue
            for q, step in zip(["borrow", "edited"], report["steps"]):
                kinds = ", ".join(f"{k} {v}" for k, v in sorted(step["by_kind"].items()))
                print(f"{n:>5} {mode:<13} q={q!r}: {step['status']!r}, {step['bytes']} bytes in "
                      f"{step['requests']} responses ({kinds})")
            if report["remote"] or report["errors"]:
                print(f"      remote requests {report['remote']}, errors {report['errors']}")
    print("\nwhere the time goes (planetoid -v: wall time per stage, peak RSS after it):")
    for n, mode, stages in profiles:
        print(f"{n:>5} {mode:<13} {stages}")
    print("\nfloor = download (curl, 32 parallel) + parse and sanitize every entry (2 threads); "
          "/bodies = site bytes / sanitized body bytes in the store. Targets at N=2000: cold <= 2.5x floor, "
          "warm <= 0.6 s, peak RSS <= 200 MB, site <= 1.5x bodies; N=10000 (--big): cold per feed within 15% "
          "of N=2000's, site < 1 GB")


if __name__ == "__main__":
    main()
