#!/usr/bin/env python3
"""Deterministic synthetic feeds for planetoid's benchmark.

Same shape as the shared kit's workload: ~60% RSS 2.0 and ~40% Atom 1.0,
20 entries per feed, 2-8 KB HTML bodies (paragraphs, code, tables, relative
links and images with srcset, <style>/<script>/MathJax noise, iframes and the
odd onerror= / javascript: a sanitizer must remove), ~15% Russian feeds of
which a third of the RSS ones are windows-1251, dates over 60 days in mixed
time zones. Feed i depends only on (seed, i), so the first 100 feeds are the
same at every size. Each feed also gets a pre-gzipped twin for nginx.

    python3 bench/gen_corpus.py --out /tmp/pb --feeds 2000 --base-url http://127.0.0.1:18090
    python3 bench/gen_corpus.py --out /tmp/pb --feeds 2000 --base-url ... --change 5 --round 1

--change P rewrites P% of the feeds (every 20th for P=5) with one new entry
and an edited one, as round R, for incremental-build measurements.
"""
import argparse
import datetime as dt
import gzip
import os
import random
from xml.sax.saxutils import escape

ANCHOR = dt.datetime(2025, 3, 1, tzinfo=dt.timezone.utc)
WORDS_EN = ("rust memory thread async runtime compiler borrow checker lifetime trait crate cargo build "
            "release cache request server client parser token stream buffer vector slice iterator closure "
            "macro module test bench profile allocation pointer reference ownership move copy clone").split()
WORDS_RU = ("память поток компилятор время жизни заимствование типаж крейт сборка выпуск кэш запрос "
            "сервер клиент разбор токен поток буфер вектор срез итератор замыкание макрос модуль тест").split()
ZONES = ["+00:00", "+03:00", "-05:00", "+01:00", "-08:00", "+05:30"]


def sentence(rng, words):
    return " ".join(rng.choice(words) for _ in range(rng.randint(8, 20))).capitalize() + "."


def body(rng, words, i, n):
    parts = []
    target = rng.randint(2000, 8000)
    size = 0
    while size < target:
        kind = rng.random()
        if kind < 0.45:
            chunk = "<p>" + " ".join(sentence(rng, words) for _ in range(rng.randint(2, 5))) + \
                    f' <a href="/posts/{i}/{n}/related">related</a> and <a href="https://example.org/{rng.randint(1, 999)}">elsewhere</a>.</p>'
        elif kind < 0.6:
            code = "\n".join("    " * rng.randint(0, 3) + f"let x{k} = vec![{k}; {rng.randint(1, 9)}]; // &lt;&amp;&gt;" for k in range(rng.randint(3, 10)))
            chunk = f'<pre><code class="language-rust">fn f() {{\n{code}\n}}</code></pre>'
        elif kind < 0.7:
            rows = "".join(f"<tr><td>{rng.randint(1, 99)}</td><td>{rng.choice(words)}</td></tr>" for _ in range(rng.randint(2, 6)))
            chunk = f"<table><thead><tr><th>n</th><th>word</th></tr></thead><tbody>{rows}</tbody></table>"
        elif kind < 0.8:
            chunk = (f'<figure><img src="img/{n}.png" srcset="img/{n}@2x.png 2x, img/{n}@3x.png 3x" alt="figure {n}">'
                     f"<figcaption>{sentence(rng, words)}</figcaption></figure>")
        elif kind < 0.87:
            chunk = ('<style>.mjx-chtml {display: inline-block; line-height: 0} @font-face {font-family: MJXc; '
                     'src: url(x.woff)}</style><span class="mjx-chtml"><span class="mjx-math">x = 2</span></span>'
                     '<script type="math/tex">x = 2</script>')
        elif kind < 0.93:
            chunk = f'<script>window.track({n});</script><blockquote><p>{sentence(rng, words)}</p></blockquote>'
        elif kind < 0.97:
            chunk = '<p><iframe src="https://www.youtube.com/embed/abc" width="560" height="315"></iframe></p>'
        else:
            chunk = '<p><img src="x.png" onerror="alert(1)"><a href="javascript:alert(2)">click</a></p>'
        parts.append(chunk)
        size += len(chunk)
    return "".join(parts)


def feed(i, base_url, seed, rnd):
    rng = random.Random(seed * 1_000_003 + i)
    russian = rng.random() < 0.15
    atom = rng.random() < 0.4
    cp1251 = russian and not atom and rng.random() < 0.34
    words = WORDS_RU if russian else WORDS_EN
    name = f"f{i:04d}"
    entries = []
    for n in range(20):
        when = ANCHOR - dt.timedelta(seconds=rng.randint(0, 60 * 86400))
        zone = rng.choice(ZONES)
        title = sentence(rng, words)[:60]
        html = body(rng, words, i, n)
        entries.append((n, when, zone, title, html))
    if rnd:
        # Incremental round: one new entry on top, and the first one edited.
        n = 100 + rnd
        entries.insert(0, (n, ANCHOR + dt.timedelta(hours=rnd), "+00:00", f"New in round {rnd}", body(rng, words, i, n)))
        k, when, zone, title, html = entries[1]
        entries[1] = (k, when, zone, title + " (edited)", html + f"<p>Edited in round {rnd}.</p>")
    entries.sort(key=lambda e: e[1], reverse=True)
    site = f"{base_url}/posts/{i}/"
    if atom:
        items = "".join(
            f"<entry><id>urn:bench:{i}:{n}</id><title>{escape(t)}</title><link href=\"{site}{n}\"/>"
            f"<published>{w.strftime('%Y-%m-%dT%H:%M:%S')}{z}</published><updated>{w.strftime('%Y-%m-%dT%H:%M:%S')}{z}</updated>"
            f"<author><name>Author {i}</name></author><content type=\"html\" xml:base=\"{site}{n}/\">{escape(h)}</content></entry>"
            for n, w, z, t, h in entries)
        doc = (f'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Feed {i}</title>'
               f'<id>urn:bench:{i}</id><link href="{site}"/><updated>{ANCHOR.strftime("%Y-%m-%dT%H:%M:%SZ")}</updated>{items}</feed>')
        return name + ".atom", doc.encode("utf-8")
    encoding = "windows-1251" if cp1251 else "utf-8"
    items = "".join(
        f"<item><title>{escape(t)}</title><link>{site}{n}</link><guid>{site}{n}</guid>"
        f"<pubDate>{w.strftime('%a, %d %b %Y %H:%M:%S')} {z.replace(':', '')}</pubDate>"
        f"<description><![CDATA[{h}]]></description></item>"
        for n, w, z, t, h in entries)
    doc = (f'<?xml version="1.0" encoding="{encoding}"?><rss version="2.0"><channel><title>Feed {i}</title>'
           f"<link>{site}</link><description>bench</description>{items}</channel></rss>")
    return name + ".rss", doc.encode("cp1251" if cp1251 else "utf-8", errors="replace")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--feeds", type=int, default=2000)
    ap.add_argument("--base-url", default="http://127.0.0.1:18090")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--change", type=float, default=0, help="percent of feeds to rewrite")
    ap.add_argument("--round", type=int, default=1)
    args = ap.parse_args()
    www = os.path.join(args.out, "www", "feeds")
    os.makedirs(www, exist_ok=True)
    every = int(round(100 / args.change)) if args.change else 1
    urls = []
    for i in range(args.feeds):
        changed = bool(args.change) and i % every == 0
        name, data = feed(i, args.base_url, args.seed, args.round if changed else 0)
        # (--round 0 with --change restores the feeds an earlier round changed.)
        urls.append(f"{args.base_url}/feeds/{name}")
        if args.change and not changed:
            continue
        path = os.path.join(www, name)
        with open(path, "wb") as f:
            f.write(data)
        with open(path + ".gz", "wb") as f:
            f.write(gzip.compress(data, 6, mtime=0))
        stamp = ANCHOR.timestamp() + (args.round * 3600 if changed else 0)
        os.utime(path, (stamp, stamp))
        os.utime(path + ".gz", (stamp, stamp))
    with open(os.path.join(args.out, f"urls-{args.feeds}.txt"), "w") as f:
        f.write("\n".join(urls) + "\n")
    print(f"{'changed ' + str(len(range(0, args.feeds, every))) if args.change else 'wrote ' + str(args.feeds)} feeds in {www}")


if __name__ == "__main__":
    main()
