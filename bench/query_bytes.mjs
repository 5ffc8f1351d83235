// bench/run.py --search: the bytes a browser fetches for one query. Runs
// queries on a built planet's search page in Debian's headless Chromium
// (never a downloaded one), the site served by this script's own HTTP
// server on 127.0.0.1, gzipping text files as static hosts do, with the
// page's own CSP in force; requests anywhere else are aborted and listed.
//
// usage: node bench/query_bytes.mjs SITE_DIR STEPS_JSON ; prints one JSON line:
//   {"steps":[{"state":..,"status":..,"results":[{title,href,source}],
//     "bytes":N,"requests":N,"by_kind":{..}}],"remote":[...],"errors":[...]}
// A step is {"q":..,"source":..,"tag":..,"lang":..}: the search page is
// loaded with those parameters in a fresh page (an empty cache) and its
// results read once the form says data-state=done|failed. bytes is the sum
// of response body sizes as sent over the wire for that step, the page
// itself included; by_kind splits it (page, runtime: Pagefind's script,
// worker and WebAssembly; meta: each bundle's entry and metadata; index
// chunks; fragments; filters).
//
// playwright-core is loaded from tests/browser/node_modules, or from the
// node_modules folder named by $PLANETOID_NODE_MODULES when that is set.
import { createRequire } from 'node:module';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import zlib from 'node:zlib';

const base = process.env.PLANETOID_NODE_MODULES
  ? path.join(path.dirname(process.env.PLANETOID_NODE_MODULES), 'resolve-from-here.js')
  : new URL('../tests/browser/resolve-from-here.js', import.meta.url);
const { chromium } = createRequire(base)('playwright-core');

const [siteDir, stepsJson] = process.argv.slice(2);
const steps = JSON.parse(stepsJson);
const root = path.resolve(siteDir);

const types = {
  '.html': 'text/html; charset=utf-8', '.css': 'text/css', '.js': 'text/javascript',
  '.json': 'application/json', '.xml': 'application/xml', '.svg': 'image/svg+xml',
  '.png': 'image/png',
};
const server = http.createServer((req, res) => {
  let rel = decodeURIComponent(new URL(req.url, 'http://x').pathname);
  if (rel.endsWith('/')) rel += 'index.html';
  const file = path.join(root, path.normalize(rel));
  if (!file.startsWith(root + path.sep) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
    res.writeHead(404).end('not found');
    return;
  }
  let body = fs.readFileSync(file);
  const type = types[path.extname(file)] || 'application/octet-stream';
  const headers = { 'content-type': type, 'cache-control': 'no-store' };
  if (type !== 'application/octet-stream' && /gzip/.test(req.headers['accept-encoding'] || '')) {
    body = zlib.gzipSync(body);
    headers['content-encoding'] = 'gzip';
  }
  headers['content-length'] = body.length;
  res.writeHead(200, headers).end(body);
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const origin = `http://127.0.0.1:${server.address().port}`;

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
  ],
});
const context = await browser.newContext({ javaScriptEnabled: true });
const remote = [];
const errors = [];
await context.route('**/*', (route) => {
  const url = route.request().url();
  if (url.startsWith(origin)) return route.continue();
  remote.push(url.slice(0, 200));
  return route.abort();
});

function kind(url) {
  const p = new URL(url).pathname;
  if (!p.startsWith('/pagefind/')) return 'page';
  if (/\/(pagefind\.js|pagefind-worker\.js|wasm\.[^/]*)$/.test(p)) return 'runtime';
  if (/\/(pagefind-entry\.json|pagefind\.[^/]*\.pf_meta)$/.test(p)) return 'meta';
  if (p.includes('/index/')) return 'index';
  if (p.includes('/fragment/')) return 'fragments';
  if (p.includes('/filter/')) return 'filters';
  return 'other';
}

const results = [];
for (const step of steps) {
  const page = await context.newPage();
  page.on('pageerror', (e) => errors.push(String(e).slice(0, 300)));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text().slice(0, 300));
  });
  const finished = [];
  // The worker's requests are the page's too (a dedicated worker).
  const onFinished = (request) => finished.push(request);
  page.on('requestfinished', onFinished);
  const params = new URLSearchParams();
  for (const name of ['q', 'source', 'tag', 'lang']) if (step[name]) params.set(name, step[name]);
  await page.goto(`${origin}/search/?${params}`, { waitUntil: 'load', timeout: 60000 });
  await page.waitForFunction(
    () => ['done', 'failed'].includes(document.getElementById('search-form')?.dataset.state),
    null,
    { timeout: 60000 },
  );
  const shown = await page.evaluate(() => ({
    state: document.getElementById('search-form').dataset.state,
    status: document.getElementById('search-status').textContent,
    results: [...document.querySelectorAll('#search-results li.search-result')].map((li) => {
      const a = li.querySelector('h2 a');
      return {
        title: a ? a.textContent : null,
        href: a ? a.href : null,
        source: li.querySelector('.search-source')?.textContent ?? null,
      };
    }),
  }));
  page.off('requestfinished', onFinished);
  let bytes = 0;
  const byKind = {};
  for (const request of finished) {
    const sizes = await request.sizes().catch(() => null);
    const n = sizes ? sizes.responseBodySize : 0;
    bytes += n;
    const k = kind(request.url());
    byKind[k] = (byKind[k] || 0) + n;
  }
  results.push({ ...shown, bytes, requests: finished.length, by_kind: byKind });
  await page.close();
}
await browser.close();
server.close();
console.log(JSON.stringify({ steps: results, remote, errors }));
