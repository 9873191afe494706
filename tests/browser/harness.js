// A real `baton serve` on a fresh SQLite database, and Debian's chromium driven by
// playwright-core (which downloads no browser). Screenshots go to screenshots/ to be looked at.

import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const target = process.env.CARGO_TARGET_DIR || join(process.env.HOME, '.cache/baton-target');
export const BINARY = process.env.BATON_BINARY || join(target, 'debug/baton');
export const SHOTS = join(here, 'screenshots');
mkdirSync(SHOTS, { recursive: true });

/** Starts a server; resolves once it listens, with its URL, server key and setup link. */
export async function startServer({ dir, port = 0 } = {}) {
  const work = dir ?? mkdtempSync(join(tmpdir(), 'baton-browser-'));
  const child = spawn(BINARY, ['serve', '--addr', `127.0.0.1:${port}`, '--database-url', `sqlite://${join(work, 'baton.db')}`], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, RUST_LOG: 'warn' },
  });
  const printed = [];
  createInterface({ input: child.stdout }).on('line', (line) => printed.push(line));
  const logs = [];
  createInterface({ input: child.stderr }).on('line', (line) => logs.push(line));
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the server did not start:\n${logs.join('\n')}`)), 30000);
    const look = setInterval(() => {
      const line = logs.find((l) => l.includes('baton is listening'));
      const addr = line?.match(/addr=(\S+)/)?.[1] ?? line?.match(/(127\.0\.0\.1:\d+)/)?.[1];
      if (addr) {
        clearTimeout(timer);
        clearInterval(look);
        resolve(`http://${addr.replace(/\u001b\[[0-9;]*m/g, '')}`);
      }
    }, 50);
    child.on('exit', (code) => reject(new Error(`the server exited with ${code}:\n${logs.join('\n')}`)));
  });
  const word = (prefix) => printed.join('\n').match(new RegExp(`${prefix}[A-Za-z0-9_]+`))?.[0];
  return {
    url,
    dir: work,
    key: word('bt_sk_'),
    setupToken: word('setup_'),
    logs,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.on('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
    remove() {
      rmSync(work, { recursive: true, force: true });
    },
  };
}

export async function launch() {
  return chromium.launch({
    executablePath: process.env.BATON_CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

/** The API with a key, as an integration calls it. */
export function apiClient(url, key) {
  return async function call(method, path, body) {
    const response = await fetch(`${url}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    const data = text ? JSON.parse(text) : null;
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
    return data;
  };
}

export async function shot(page, name) {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

/** axe-core's serious and critical violations on the page. */
export async function accessibilityProblems(page) {
  // Evaluated through the debugging protocol, which the page's CSP does not govern.
  await page.evaluate(readFileSync(join(here, 'node_modules/axe-core/axe.min.js'), 'utf8'));
  const result = await page.evaluate(async () => window.axe.run(document, { resultTypes: ['violations'] }));
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join('; ')}`);
}
