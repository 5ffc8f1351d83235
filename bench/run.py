#!/usr/bin/env python3
"""planetoid's benchmark: one command, every figure measured in the same run.

    python3 bench/run.py [--sizes 100,500,2000] [--work /tmp/planetoid-bench] [--corpus DIR]

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
from the server log, and each build's ratio to the floor (download + parse
and sanitize) of the same run. Loopback only; nginx is stopped at the end.
"""
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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="100,500,2000")
    ap.add_argument("--work", default=os.path.join(tempfile.gettempdir(), "planetoid-bench"))
    ap.add_argument("--corpus", help="an existing corpus (www/feeds/*), e.g. the shared kit's")
    ap.add_argument("--port", type=int, default=18090)
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
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
    profiles = []
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
            shutil.rmtree(dl)
            floor_total = t_dl + t_parse
            rows.append((n, "floor", floor_total, cpu_parse, rss_floor, out.strip().split(" entries")[0].split(", ")[-1], "-", "-"))

            planet = tempfile.mkdtemp(dir=args.work)
            with open(os.path.join(planet, "planet.yaml"), "w") as f:
                f.write("title: Bench\nbase_url: https://bench.test/\nfetch:\n  concurrency: 32\n  per_host: 32\nfeeds:\n")
                f.writelines(f"  - url: {u}\n" for u in urls)
            # "warm" right after cold also builds the spare copy of the site
            # (output.rs); "warm again" is the steady state of a scheduled
            # planet where nothing changed.
            modes = ["cold", "warm", "warm again"] + ([] if args.corpus else ["incremental"])
            for mode in modes:
                if mode == "incremental":
                    sh(gen + ["--feeds", str(n), "--change", "5", "--round", "1"], stdout=subprocess.DEVNULL)
                mark = nginx.mark()
                wall, cpu, rss, err = timed([planetoid, "-v", "build", "--now", NOW], planet)
                ok, nm = nginx.counts(mark)
                entries = next((w.split(" entries")[0].split()[-1] for w in err.splitlines() if " entries on " in w), "?")
                rows.append((n, mode, wall, cpu, rss, entries, ok, nm))
                stages = next((w.split("timings: ", 1)[1] for w in err.splitlines() if "timings: " in w), "?")
                profiles.append((n, mode, stages))
            shutil.rmtree(planet)
            if not args.corpus:
                # Round 0 writes the changed feeds back as they were.
                sh(gen + ["--feeds", str(n), "--change", "5", "--round", "0"], stdout=subprocess.DEVNULL)

    print(f"\n{'N':>5} {'mode':<12} {'wall s':>8} {'cpu s':>8} {'peak MB':>8} {'entries':>8} {'200s':>6} {'304s':>6} {'× floor':>8}")
    floors = {n: w for n, m, w, *_ in rows if m == "floor"}
    for n, mode, wall, cpu, rss, entries, ok, nm in rows:
        ratio = "" if mode == "floor" else f"{wall / floors[n]:.2f}"
        print(f"{n:>5} {mode:<12} {wall:>8.2f} {cpu:>8.2f} {rss:>8.1f} {entries:>8} {ok!s:>6} {nm!s:>6} {ratio:>8}")
    print("\nwhere the time goes (planetoid -v: wall time per stage, peak RSS after it):")
    for n, mode, stages in profiles:
        print(f"{n:>5} {mode:<12} {stages}")
    print("\nfloor = download (curl, 32 parallel) + parse and sanitize every entry (2 threads); "
          "targets at N=2000: cold <= 1.5x floor, peak RSS <= 300 MB, warm <= 1 s, incremental <= 20% of cold")


if __name__ == "__main__":
    main()
