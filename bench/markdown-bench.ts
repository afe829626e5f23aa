import { createRequire } from "node:module";
import TurndownService from "turndown";
import { renderMarkdown } from "../src/scrape/transform/markdown.ts";

export interface MarkdownBenchResult {
  pageBytes: number;
  skiffMBps: number;
  turndownMBps: number;
  /** skiffMBps / turndownMBps. */
  ratio: number;
}

const PAGE_BYTES = 1_000_000;
const BASE_URL = "https://bench.example.com/articles/tides/";
const require = createRequire(import.meta.url);
// turndown-plugin-gfm ships no types.
const { gfm } = require("turndown-plugin-gfm") as { gfm: TurndownService.Plugin };

/**
 * Converts the same ~1 MB article page with Skiff's markdown path (mdream) and with turndown + GFM,
 * in this process: warm-up runs, then the median of timed runs. MB is 10^6 bytes.
 */
export async function benchMarkdown(): Promise<MarkdownBenchResult> {
  const html = buildArticlePage(PAGE_BYTES);
  const pageBytes = Buffer.byteLength(html);
  const turndown = new TurndownService({ headingStyle: "atx", codeBlockStyle: "fenced" });
  turndown.use(gfm);
  const skiffSeconds = await medianSeconds(() => renderMarkdown(html, skiffOptions), 3, 15);
  const turndownSeconds = await medianSeconds(() => turndown.turndown(html), 1, 3);
  const skiffMBps = pageBytes / 1e6 / skiffSeconds;
  const turndownMBps = pageBytes / 1e6 / turndownSeconds;
  return { pageBytes, skiffMBps, turndownMBps, ratio: skiffMBps / turndownMBps };
}

const skiffOptions = { baseUrl: BASE_URL, removeBase64Images: true };

async function medianSeconds(run: () => string, warmups: number, runs: number): Promise<number> {
  for (let i = 0; i < warmups; i++) run();
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    run();
    samples.push((performance.now() - start) / 1000);
    await new Promise((resolve) => setImmediate(resolve));
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)] ?? Number.NaN;
}

/** A realistic article page of about `targetBytes`: site chrome around sections of mixed content. */
export function buildArticlePage(targetBytes: number): string {
  const head = `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Tides, explained</title>
<meta name="description" content="A long read on tides."><meta property="og:title" content="Tides"></head><body>
<header class="site-header"><a href="/">Ocean Weekly</a><nav><ul>${navItems()}</ul></nav></header>
<div class="layout"><aside class="sidebar"><ul>${navItems()}</ul></aside><main><article><h1>Tides, explained</h1>`;
  const tail = `</article></main></div><footer class="site-footer"><p>© Ocean Weekly</p></footer></body></html>`;
  const sections: string[] = [];
  let size = head.length + tail.length;
  for (let i = 0; size < targetBytes; i++) {
    const section = articleSection(i);
    sections.push(section);
    size += section.length;
  }
  return head + sections.join("\n") + tail;
}

function navItems(): string {
  return ["news", "science", "ocean", "climate", "about"]
    .map((slug) => `<li><a href="/${slug}">${slug}</a></li>`)
    .join("");
}

function articleSection(i: number): string {
  const paragraph = (n: number): string =>
    `<p>Paragraph ${n} of section ${i}: the <a href="../glossary/term-${(i * 7 + n) % 97}">tidal force</a> ` +
    `stretches the oceans, and <strong>spring tides</strong> follow new and full moons, while <em>neap tides</em> ` +
    `come at the quarters. See <a href="https://example.org/ref/${i}-${n}?src=bench&amp;v=2">reference ${n}</a>.</p>`;
  return `<section><h2>Section ${i}</h2>${[1, 2, 3, 4].map(paragraph).join("")}
<ul><li>High water at ${i % 12}:00</li><li>Low water at ${(i + 6) % 12}:15</li><li><a href="/tables/${i}">Full table</a></li></ul>
<table><thead><tr><th>Port</th><th>High</th><th>Low</th></tr></thead><tbody>
<tr><td>Brest</td><td>${(i % 7) + 1}.2 m</td><td>0.${i % 9} m</td></tr><tr><td>Saint-Malo</td><td>${(i % 5) + 8}.1 m</td><td>1.${i % 8} m</td></tr>
</tbody></table><figure><img src="img/chart-${i}.png" alt="Chart ${i}"><figcaption>Chart ${i}</figcaption></figure>
<pre><code class="language-ts">const height${i} = predict({ port: "brest", hour: ${i % 24} });\nif (height${i} &gt; 5) alert("high");\n</code></pre></section>`;
}

if (import.meta.main) {
  const result = await benchMarkdown();
  console.log(
    `markdown: ${(result.pageBytes / 1e6).toFixed(2)} MB page, skiff ${result.skiffMBps.toFixed(1)} MB/s, ` +
      `turndown ${result.turndownMBps.toFixed(1)} MB/s, ratio ${result.ratio.toFixed(1)}x`,
  );
}
