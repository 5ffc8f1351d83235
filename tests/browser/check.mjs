// Loads HTML pages in Debian's headless Chromium (never a downloaded one) and
// reports whether anything ran: alert/confirm/prompt/print/fetch are replaced
// before any page script, dialogs and popups are counted, navigations of the
// main frame away from the page are counted, and every request that is not a
// local file is aborted (no test reaches the network).
//
// usage: node check.mjs PAGE.html... ; prints one JSON line:
//   {"pages":N,"calls":[...],"navigations":[...],"dialogs":N,"popups":N,
//    "clicked":N,"played":N,"bad_links":[...]}
// The page's own CSP is bypassed so the sanitizer alone is what is tested.
// With PLANETOID_CLICK=1 every link is also clicked and every media element
// played: links to http(s), mailto: and local files are stopped before they
// navigate (they cannot run script); any other link is clicked for real and
// listed in bad_links, as is media whose source is not http(s) or a file.
//
// playwright-core is loaded from tests/browser/node_modules, or from the
// node_modules folder named by $PLANETOID_NODE_MODULES when that is set.
import { createRequire } from 'node:module';
import path from 'node:path';

const base = process.env.PLANETOID_NODE_MODULES
  ? path.join(path.dirname(process.env.PLANETOID_NODE_MODULES), 'resolve-from-here.js')
  : import.meta.url;
const { chromium } = createRequire(base)('playwright-core');

const pages = process.argv.slice(2);
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
const browser = await chromium.launch({
  executablePath,
  headless: true,
  args: [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    '--host-resolver-rules=MAP * ~NOTFOUND',
  ],
});
const context = await browser.newContext({ bypassCSP: true, javaScriptEnabled: true });
const calls = [];
const navigations = [];
let dialogs = 0;
let popups = 0;
let clicked = 0;
let played = 0;
const badLinks = [];
const click = process.env.PLANETOID_CLICK === '1';
await context.exposeBinding('__planetoidCall', (source, name, detail) => {
  calls.push({ name, detail: String(detail).slice(0, 200), frame: source.frame.url() });
});
await context.addInitScript(() => {
  for (const name of ['alert', 'confirm', 'prompt', 'print', 'fetch']) {
    const report = (...args) => {
      window.__planetoidCall(name, args.map(String).join(' '));
      return name === 'fetch' ? Promise.reject(new Error('blocked')) : undefined;
    };
    try {
      Object.defineProperty(window, name, { value: report, configurable: false, writable: false });
    } catch (e) {
      window[name] = report;
    }
  }
});
await context.route('**/*', (route) => {
  const url = route.request().url();
  return url.startsWith('file:') ? route.continue() : route.abort();
});
context.on('page', () => { popups += 1; });
popups = 0;

for (const file of pages) {
  const page = await context.newPage();
  popups -= 1; // the page we opened ourselves
  const target = 'file://' + file;
  page.on('dialog', async (d) => { dialogs += 1; await d.dismiss().catch(() => {}); });
  page.on('framenavigated', (frame) => {
    if (frame === page.mainFrame() && frame.url() !== target) {
      navigations.push({ from: target, to: frame.url() });
    }
  });
  await page.goto(target, { waitUntil: 'load', timeout: 60000 });
  // Give handlers that need a nudge their chance: hover, focus and animate
  // every element (no clicks: links may legitimately navigate).
  await page.evaluate(() => {
    for (const el of document.querySelectorAll('body *')) {
      for (const type of ['mouseover', 'mouseenter', 'mousemove', 'pointerover', 'focus', 'focusin',
        'animationstart', 'animationend', 'transitionend', 'toggle', 'beforetoggle', 'scroll', 'wheel']) {
        el.dispatchEvent(new Event(type, { bubbles: true }));
      }
      if (typeof el.focus === 'function') el.focus();
    }
  });
  await page.waitForTimeout(300);
  if (click) {
    const result = await page.evaluate(async () => {
      const inert = ['http:', 'https:', 'mailto:', 'file:'];
      const protocol = (raw) => {
        try { return new URL(raw, document.baseURI).protocol; } catch (e) { return 'invalid:'; }
      };
      const bad = [];
      let clicks = 0;
      let plays = 0;
      for (const a of document.querySelectorAll('a[href], area[href]')) {
        if (inert.includes(protocol(a.getAttribute('href')))) {
          a.addEventListener('click', (e) => e.preventDefault(), { once: true });
        } else {
          bad.push(a.getAttribute('href'));
        }
        a.click();
        clicks += 1;
      }
      for (const m of document.querySelectorAll('audio, video')) {
        const sources = [m.getAttribute('src'), ...[...m.querySelectorAll('source')].map((s) => s.getAttribute('src'))];
        for (const src of sources.filter((s) => s !== null)) {
          if (!['http:', 'https:', 'file:'].includes(protocol(src))) bad.push(src);
        }
        m.muted = true;
        const attempt = Promise.resolve().then(() => m.play()).catch(() => {});
        await Promise.race([attempt, new Promise((r) => setTimeout(r, 200))]);
        plays += 1;
      }
      return { bad, clicks, plays };
    }).catch((e) => ({ bad: [`page script failed: ${e}`], clicks: 0, plays: 0 }));
    badLinks.push(...result.bad.map((href) => ({ page: file, href: String(href).slice(0, 200) })));
    clicked += result.clicks;
    played += result.plays;
    await page.waitForTimeout(300);
  }
  await page.close();
}
await browser.close();
console.log(JSON.stringify({
  pages: pages.length, calls, navigations, dialogs, popups, clicked, played, bad_links: badLinks,
}));
