// Used by tests/site/browser.rs: opens pages of a built planet in headless Chromium,
// runs axe-core on each (in the colour scheme asked for) and takes
// screenshots, then reports as one JSON object on stdout:
//   { "violations": [ "scheme url rule: help (targets)" … ],
//     "screenshots": [ { "file", "colours", "textLength" } … ] }
// A screenshot's "colours" is the number of distinct colours in a sample of
// its pixels, so a blank (single-colour) page is easy to tell apart.
// Usage: node check.js CONFIG.json (fields: chromium, dir, axe: [{url, scheme}],
// screenshots: [{url, name, width, height, scheme, fullPage}]; see tests/site/browser.rs).
const fs = require('fs');
const path = require('path');
const { chromium } = require('playwright-core');

(async () => {
  const config = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
  const axeSource = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
  const browser = await chromium.launch({
    executablePath: config.chromium,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const out = { violations: [], screenshots: [] };
  // No test reaches the internet: posts' images on other hosts are refused.
  const local = async (page) => {
    await page.route('**/*', (route) => {
      const host = new URL(route.request().url()).hostname;
      return host === '127.0.0.1' ? route.continue() : route.abort('blockedbyclient');
    });
  };
  {
    for (const { url, scheme } of config.axe) {
      // The pages' CSP forbids every script, axe included: bypass it for the audit only.
      const page = await browser.newPage({ colorScheme: scheme, bypassCSP: true });
      await local(page);
      await page.goto(url);
      await page.addScriptTag({ content: axeSource });
      const result = await page.evaluate(() => axe.run(document, { resultTypes: ['violations'] }));
      for (const v of result.violations) {
        const targets = v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ');
        out.violations.push(`${scheme} ${url} ${v.id}: ${v.help} (${targets})`);
      }
      await page.close();
    }
  }
  for (const shot of config.screenshots) {
    const page = await browser.newPage({
      viewport: { width: shot.width, height: shot.height }, colorScheme: shot.scheme,
    });
    await local(page);
    await page.goto(shot.url);
    const textLength = await page.evaluate(() => document.body.innerText.trim().length);
    const file = path.join(config.dir, shot.name);
    const png = await page.screenshot({ path: file, fullPage: !!shot.fullPage });
    await page.close();
    const probe = await browser.newPage();
    const colours = await probe.evaluate(async (data) => {
      const img = new Image();
      img.src = 'data:image/png;base64,' + data;
      await img.decode();
      const canvas = document.createElement('canvas');
      canvas.width = img.width; canvas.height = img.height;
      const ctx = canvas.getContext('2d');
      ctx.drawImage(img, 0, 0);
      const pixels = ctx.getImageData(0, 0, img.width, img.height).data;
      const seen = new Set();
      for (let i = 0; i < pixels.length; i += 4 * 97) {
        seen.add((pixels[i] << 16) | (pixels[i + 1] << 8) | pixels[i + 2]);
      }
      return seen.size;
    }, png.toString('base64'));
    await probe.close();
    out.screenshots.push({ file, colours, textLength });
  }
  await browser.close();
  console.log(JSON.stringify(out));
})().catch((e) => { console.error(e); process.exit(1); });
