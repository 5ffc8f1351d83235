// Used by tests/site/search.rs: drives a built planet's search page in
// headless Chromium (Debian's, never a downloaded one) and reports what a
// reader sees, as one JSON object on stdout. alert/confirm/prompt/print are
// replaced before any page script and every dialog and popup is counted, so
// a post that manages to run code shows up in `calls`. Requests to any host
// but 127.0.0.1 are refused.
// Usage: node search.js CONFIG.json; fields: chromium, queries: [{name, url,
// more}] (more: press "more results" up to that many times), follow: a
// query name whose result links are opened one by one.
// Output: { queries: {name: {state, status, results: [{title, source, date,
// href, lang, excerpt, marks, elements}]}}, anchors: [{href, hash, found,
// heading}], calls: [...], dialogs: N, popups: N }
const fs = require('fs');
const { chromium } = require('playwright-core');

(async () => {
  const config = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
  const browser = await chromium.launch({
    executablePath: config.chromium,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const context = await browser.newContext();
  const out = { queries: {}, anchors: [], calls: [], dialogs: 0, popups: 0 };
  await context.exposeBinding('__planetoidCall', (source, name, detail) => {
    out.calls.push({ name, detail: String(detail).slice(0, 200) });
  });
  await context.addInitScript(() => {
    for (const name of ['alert', 'confirm', 'prompt', 'print']) {
      const report = (...args) => { window.__planetoidCall(name, args.map(String).join(' ')); };
      try {
        Object.defineProperty(window, name, { value: report, configurable: false, writable: false });
      } catch (e) {
        window[name] = report;
      }
    }
  });
  await context.route('**/*', (route) => {
    const host = new URL(route.request().url()).hostname;
    return host === '127.0.0.1' ? route.continue() : route.abort('blockedbyclient');
  });
  let opened = 0;
  context.on('page', () => { opened += 1; });
  const page = await context.newPage();
  page.on('dialog', async (d) => { out.dialogs += 1; await d.dismiss().catch(() => {}); });
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));

  const settled = () => page.waitForFunction(() => {
    const s = document.getElementById('search-form')?.dataset.state;
    return s === 'done' || s === 'failed';
  }, null, { timeout: 60000 });

  for (const q of config.queries) {
    await page.goto(q.url, { waitUntil: 'load' });
    await settled();
    for (let i = 0; i < (q.more || 0); i++) {
      if (!(await page.isVisible('#search-more'))) break;
      await page.evaluate(() => { document.getElementById('search-form').dataset.state = 'busy'; });
      await page.click('#search-more');
      await settled();
    }
    out.queries[q.name] = await page.evaluate(() => ({
      state: document.getElementById('search-form').dataset.state,
      status: document.getElementById('search-status').textContent,
      results: [...document.querySelectorAll('#search-results > li')].map((li) => ({
        title: li.querySelector('h2 a')?.textContent ?? null,
        href: li.querySelector('h2 a')?.href ?? null,
        source: li.querySelector('.search-source')?.textContent ?? null,
        date: li.querySelector('time')?.textContent ?? null,
        lang: li.lang,
        excerpt: li.querySelector('.search-excerpt')?.textContent ?? null,
        marks: [...li.querySelectorAll('mark')].map((m) => m.textContent),
        elements: [...li.querySelectorAll('*')].map((e) => e.localName)
          .filter((n, i, all) => all.indexOf(n) === i).sort(),
      })),
    }));
  }
  if (config.follow) {
    for (const r of out.queries[config.follow]?.results ?? []) {
      await page.goto(r.href, { waitUntil: 'load' });
      out.anchors.push(await page.evaluate(() => {
        const id = decodeURIComponent(location.hash.slice(1));
        const el = id ? document.getElementById(id) : null;
        return {
          href: location.href,
          hash: location.hash,
          found: !!el,
          heading: el ? (el.querySelector('h2, h3')?.textContent ?? el.textContent).trim() : null,
        };
      }));
    }
  }
  out.popups = opened - 1;
  out.errors = errors;
  await browser.close();
  console.log(JSON.stringify(out));
})().catch((e) => { console.error(e); process.exit(1); });
