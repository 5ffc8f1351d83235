// The search page's script (the only script planetoid publishes). Each
// language of the planet has its own Pagefind bundles, stemmed as that
// language: its newest at pagefind/<lang>/ (the root, with Pagefind's script
// and WebAssembly) and older stretches of the archive beneath it
// (pagefind/<lang>/<YYYY-MM>/), which Pagefind merges into the root. This
// script loads the languages the reader asks (each as its own module, with
// its own WebAssembly), runs the query in all of them and merges the answers. Everything a post gave (title, source,
// text) reaches the page through textContent only: never as markup.

const form = document.getElementById("search-form");
const input = document.getElementById("search-q");
const statusLine = document.getElementById("search-status");
const list = document.getElementById("search-results");
const moreButton = document.getElementById("search-more");
const selects = ["source", "tag", "lang"]
  .map((name) => [name, document.getElementById(`search-${name}`)])
  .filter(([, el]) => el);

const data = form.dataset;
const root = new URL(data.root, document.baseURI);
// "en:2025-01,2024-12 ru": each language, then the bundles merged into its
// root, newest first.
const parts = new Map(
  data.bundles
    .split(" ")
    .filter(Boolean)
    .map((item) => {
      const [code, merged = ""] = item.split(":");
      return [code, merged.split(",").filter(Boolean)];
    }),
);
const codes = [...parts.keys()];
const plural = data.results ? JSON.parse(data.results) : {};
const rules = new Intl.PluralRules(data.lang);
const PAGE = 20;
const EXCERPT_WORDS = 30;

const bundles = new Map();

// A language's bundles, loaded once: its own copy of Pagefind's module,
// with the language's older bundles merged in, newest first (so results
// that only filters chose come newest first).
function bundle(code) {
  if (!bundles.has(code)) {
    const base = new URL(`pagefind/${code}/`, root);
    bundles.set(
      code,
      import(new URL("pagefind.js", base).href).then(async (pagefind) => {
        await pagefind.options({ basePath: base.pathname, baseUrl: root.pathname });
        await pagefind.init();
        // Asked all at once; Pagefind keeps them in the order asked.
        await Promise.all(
          (parts.get(code) || []).map((part) =>
            pagefind.mergeIndex(new URL(`${part}/`, base).pathname, {
              language: code,
              baseUrl: root.pathname,
            }),
          ),
        );
        return pagefind;
      }),
    );
  }
  return bundles.get(code);
}

function countText(n) {
  const form = plural[rules.select(n)] || plural.other || "{n}";
  return form.replace("{n}", String(n));
}

// The words around the best match, the matched words marked.
function excerpt(result) {
  const words = result.content.split(" ");
  const titleWords = (result.meta.title || "").trim().split(/\s+/).filter(Boolean).length;
  const hits = new Set(result.locations || []);
  const inBody = (result.weighted_locations || [])
    .filter((l) => l.location >= titleWords)
    .sort((a, b) => b.balanced_score - a.balanced_score);
  const centre = inBody.length ? inBody[0].location : titleWords;
  let start = Math.max(titleWords, centre - Math.floor(EXCERPT_WORDS / 3));
  const end = Math.min(words.length, start + EXCERPT_WORDS);
  start = Math.max(titleWords, Math.min(start, end - EXCERPT_WORDS));
  const p = document.createElement("p");
  p.className = "search-excerpt";
  if (start > titleWords) p.append("… ");
  for (let i = start; i < end; i++) {
    if (hits.has(i)) {
      const mark = document.createElement("mark");
      mark.textContent = words[i];
      p.append(mark);
    } else {
      p.append(words[i]);
    }
    if (i + 1 < end) p.append(" ");
  }
  if (end < words.length && words.slice(end).some((w) => w)) p.append(" …");
  return p;
}

function show(code, result) {
  const li = document.createElement("li");
  li.className = "search-result";
  li.lang = code;
  const h = document.createElement("h2");
  const a = document.createElement("a");
  a.href = result.url;
  a.textContent = result.meta.title || "";
  h.append(a);
  const meta = document.createElement("p");
  meta.className = "search-meta muted";
  const source = document.createElement("span");
  source.className = "search-source";
  source.textContent = result.meta.source || "";
  const time = document.createElement("time");
  time.dateTime = result.meta.date_iso || "";
  time.textContent = result.meta.date || "";
  meta.append(source, " · ", time);
  li.append(h, meta, excerpt(result));
  list.append(li);
}

// One query over several bundles: a merge of their result lists, best
// score first (newest first when only filters are set), loading each
// result's data only when it is about to be shown or compared.
class Merged {
  constructor(streams, byDate) {
    this.streams = streams.map((s) => ({ ...s, at: 0 }));
    this.byDate = byDate;
    this.total = streams.reduce((n, s) => n + s.results.length, 0);
  }

  async key(stream) {
    const item = stream.results[stream.at];
    if (!this.byDate) return item.score;
    item.loaded ??= await item.data();
    return Date.parse(item.loaded.meta.date_iso || "") || 0;
  }

  async next() {
    let best = null;
    let bestKey = -Infinity;
    for (const s of this.streams) {
      if (s.at >= s.results.length) continue;
      const k = await this.key(s);
      if (best === null || k > bestKey) {
        best = s;
        bestKey = k;
      }
    }
    if (best === null) return null;
    const item = best.results[best.at++];
    item.loaded ??= await item.data();
    return [best.code, item.loaded];
  }
}

let current = null;
let generation = 0;

// `data-state` on the form says busy / done / failed (for tests and styles).
function state(value) {
  form.dataset.state = value;
}

async function showMore() {
  const mine = generation;
  state("busy");
  for (let i = 0; i < PAGE && current; i++) {
    const next = await current.next();
    if (mine !== generation) return;
    if (!next) break;
    show(...next);
  }
  moreButton.hidden = !current || list.children.length >= current.total;
  state("done");
}

function params() {
  const p = new URLSearchParams();
  if (input.value.trim()) p.set("q", input.value.trim());
  for (const [name, el] of selects) if (el.value) p.set(name, el.value);
  return p;
}

async function run() {
  const mine = ++generation;
  const p = params();
  history.replaceState(null, "", p.size ? `?${p}` : location.pathname);
  list.replaceChildren();
  moreButton.hidden = true;
  current = null;
  const term = p.get("q");
  const filters = {};
  if (p.get("source")) filters.source = p.get("source");
  if (p.get("tag")) filters.tag = p.get("tag");
  if (!term && !Object.keys(filters).length) {
    statusLine.textContent = "";
    state("done");
    return;
  }
  state("busy");
  statusLine.textContent = data.searching;
  const wanted = p.get("lang") ? codes.filter((c) => c === p.get("lang")) : codes;
  try {
    const streams = await Promise.all(
      wanted.map(async (code) => {
        const pagefind = await bundle(code);
        const options = { filters };
        if (!term) options.sort = { date: "desc" };
        const response = await pagefind.search(term || null, options);
        return { code, results: response ? response.results : [] };
      }),
    );
    if (mine !== generation) return;
    current = new Merged(streams, !term);
    statusLine.textContent = current.total ? countText(current.total) : data.noResults;
    await showMore();
  } catch (error) {
    if (mine !== generation) return;
    statusLine.textContent = data.failed;
    state("failed");
    console.error(error);
  }
}

let timer = null;
function soon() {
  clearTimeout(timer);
  timer = setTimeout(run, 250);
}

const initial = new URLSearchParams(location.search);
input.value = initial.get("q") || "";
for (const [name, el] of selects) {
  const wanted = initial.get(name);
  if (wanted && [...el.options].some((o) => o.value === wanted)) el.value = wanted;
  el.addEventListener("change", run);
}
form.addEventListener("submit", (event) => {
  event.preventDefault();
  run();
});
input.addEventListener("input", soon);
moreButton.addEventListener("click", showMore);
statusLine.textContent = "";
run();
