// The inbox's budgets, measured in a real browser against a running server (the benchmark
// dataset's, say): the bytes loaded before the list shows, and the time from "Sign in" to
// the list shown. Baseline in the same run: a bare GET /healthz from the same page.
//
// Usage: node bench-inbox.mjs URL SERVER_KEY [runs]

import { apiClient, launch } from './harness.js';

const [url, key, runs = '5'] = process.argv.slice(2);
if (!url || !key) {
  console.error('usage: node bench-inbox.mjs URL SERVER_KEY [runs]');
  process.exit(2);
}
const api = apiClient(url, key);
const email = `bench-${Date.now()}@example.com`;
const password = 'benchmark horse';
await api('POST', '/v1/members', { name: 'Bench Member', email, role: 'agent', password });

const browser = await launch();
const results = [];
for (let i = 0; i < Number(runs); i += 1) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  let bytes = 0;
  let counting = true;
  page.on('response', async (response) => {
    if (!counting || response.url().includes('/v1/events/stream')) return;
    const body = await response.body().catch(() => null);
    if (counting && body) bytes += body.length;
  });
  await page.goto(url);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  const baseline = await page.evaluate(async () => {
    const started = performance.now();
    await fetch('/healthz');
    return performance.now() - started;
  });
  const started = Date.now();
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('.list .row').first().waitFor({ timeout: 30000 });
  const shown = Date.now() - started;
  counting = false;
  results.push({ shown, bytes, baseline });
  await context.close();
}
await browser.close();

const sorted = [...results].sort((a, b) => a.shown - b.shown);
const median = sorted[Math.floor(sorted.length / 2)];
console.log('| run | sign-in to list shown (ms) | bytes loaded before the list | GET /healthz from the page (ms) |');
console.log('|---|---|---|---|');
results.forEach((r, i) => console.log(`| ${i + 1} | ${r.shown} | ${r.bytes} | ${r.baseline.toFixed(1)} |`));
console.log(`\nmedian ${median.shown} ms, worst ${sorted.at(-1).shown} ms; bytes ${Math.max(...results.map((r) => r.bytes))} at most`);
