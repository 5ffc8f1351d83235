#!/usr/bin/env python3
"""Fetch-stage benchmark: N feeds spread over 4 loopback hosts with added latency.

Starts one threaded HTTP server per loopback address (127.0.0.1-4), each
adding a random 20-200 ms delay per request and answering conditional
requests with 304, then runs `planetoid build` twice (cold store, then
everything 304) and prints wall time, peak RSS of the planetoid process and
the peak number of requests each host was answering at once.

    cargo build --release
    python3 bench/fetch_latency.py [--feeds 1000] [--per-host 2] [--binary target/release/planetoid]

Loopback only; stops by itself.
"""
import argparse
import os
import random
import resource
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HOSTS = ["127.0.0.1", "127.0.0.2", "127.0.0.3", "127.0.0.4"]


def feed(host, i, entries=10):
    items = "".join(
        f"<item><title>{host} feed {i} post {n}</title><link>https://{host}.example/{i}/{n}</link>"
        f"<guid>https://{host}.example/{i}/{n}</guid><pubDate>{(n % 28) + 1:02d} Jun 2025 10:00:00 GMT</pubDate>"
        f"<description>&lt;p&gt;Post {n} of feed {i} on {host}. {'Lorem ipsum dolor sit amet. ' * 20}&lt;/p&gt;</description></item>"
        for n in range(entries)
    )
    return (f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>{host} {i}</title>'
            f"<link>https://{host}.example/{i}/</link><description>d</description>{items}</channel></rss>").encode()


def make_handler(host, stats, rng_lock, rng):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def do_GET(self):
            with stats["lock"]:
                stats["now"] += 1
                stats["peak"] = max(stats["peak"], stats["now"])
                stats["requests"] += 1
            try:
                with rng_lock:
                    delay = rng.uniform(0.020, 0.200)
                time.sleep(delay)
                # Done "processing": count it out before answering, so the
                # client's next request cannot race this one's bookkeeping.
                with stats["lock"]:
                    stats["now"] -= 1
                i = int(self.path.strip("/").split(".")[0].lstrip("f") or 0)
                etag = f'"{host}-{i}"'
                if self.headers.get("If-None-Match") == etag:
                    stats["304"] += 1
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                body = feed(host, i)
                stats["200"] += 1
                self.send_response(200)
                self.send_header("Content-Type", "application/rss+xml")
                self.send_header("ETag", etag)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass

    return Handler


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--feeds", type=int, default=1000)
    ap.add_argument("--per-host", type=int, default=2)
    ap.add_argument("--binary", default=os.path.join(os.path.dirname(__file__), "..", "target", "release", "planetoid"))
    args = ap.parse_args()
    rng, rng_lock = random.Random(42), threading.Lock()
    servers, stats = [], {}
    for host in HOSTS:
        st = {"lock": threading.Lock(), "now": 0, "peak": 0, "requests": 0, "200": 0, "304": 0}
        srv = ThreadingHTTPServer((host, 0), make_handler(host, st, rng_lock, rng))
        srv.daemon_threads = True
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        servers.append(srv)
        stats[host] = st
    with tempfile.TemporaryDirectory() as tmp:
        lines = [f"title: Bench\nbase_url: https://bench.test/\nfetch:\n  per_host: {args.per_host}\nfeeds:"]
        for i in range(args.feeds):
            srv = servers[i % len(servers)]
            host, port = srv.server_address
            lines.append(f"  - url: http://{host}:{port}/f{i}.xml")
        with open(os.path.join(tmp, "planet.yaml"), "w") as f:
            f.write("\n".join(lines) + "\n")
        print(f"{args.feeds} feeds over {len(HOSTS)} hosts, 20-200 ms latency, per_host={args.per_host}")
        for mode in ["cold", "warm (all 304)"]:
            for st in stats.values():
                st.update(peak=0, requests=0, **{"200": 0, "304": 0})
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            t0 = time.monotonic()
            proc = subprocess.run([args.binary, "build", "--now", "2025-06-30T12:00:00Z"], cwd=tmp,
                                  capture_output=True, text=True)
            wall = time.monotonic() - t0
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            if proc.returncode != 0:
                sys.exit(f"build failed: {proc.stderr}")
            cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
            ok = sum(s["200"] for s in stats.values())
            nm = sum(s["304"] for s in stats.values())
            peaks = " ".join(f"{h}={s['peak']}" for h, s in stats.items())
            print(f"{mode:16} wall {wall:6.2f} s  cpu {cpu:6.2f} s  peak RSS {after.ru_maxrss / 1024:6.1f} MB"
                  f"  200s {ok:5}  304s {nm:5}  per-host peak: {peaks}")
            print("  " + proc.stderr.strip().splitlines()[-1][:160])
    for srv in servers:
        srv.shutdown()


if __name__ == "__main__":
    main()
