// The widget's budgets against a running server: with 200 widget visitors and 20 inbox
// streams connected, the time from a visitor's post to its event on every inbox stream, and
// from a member's reply to the visitor's widget stream; upload throughput for 1 MB files; the
// loader's and the frame's sizes. Baselines in the same run: the posts' own round trips, and
// 1 MB refused after it is read (the same transfer without the write).
//
// Usage: node bench-widget.mjs URL SERVER_KEY [visitors] [inbox-streams] [messages]

import { gzipSync } from 'node:zlib';

import { apiClient } from './harness.js';

const [url, key, visitorsArg = '200', streamsArg = '20', messagesArg = '400'] = process.argv.slice(2);
if (!url || !key) {
  console.error('usage: node bench-widget.mjs URL SERVER_KEY [visitors] [inbox-streams] [messages]');
  process.exit(2);
}
const VISITORS = Number(visitorsArg);
const STREAMS = Number(streamsArg);
const MESSAGES = Number(messagesArg);
const api = apiClient(url, key);

async function call(token, method, path, body, headers = {}) {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok && response.status !== 422) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

/** Reads an SSE stream, calling `onEvent(type, data, receivedAt)` for each event. */
async function follow(path, token, onEvent, opened) {
  const response = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${token}` } });
  if (!response.ok) throw new Error(`${path}: ${response.status}`);
  opened();
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of response.body) {
    const at = performance.now();
    buffer += decoder.decode(chunk, { stream: true });
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let type = 'message';
      let data = '';
      for (const line of block.split('\n')) {
        if (line.startsWith('event:')) type = line.slice(6).trim();
        else if (line.startsWith('data:')) data += line.slice(5).trim();
      }
      if (data) onEvent(type, data, at);
    }
  }
}

const quantile = (values, q) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
};
const ms = (value) => `${value.toFixed(1)} ms`;

// Members answer in the inbox; visitors come through client keys, all from this one address
// (bench/widget.sh lifts the per-address limits that would otherwise hold them back).
const password = 'benchmark horse';
const member = await api('POST', '/v1/members', { name: 'Bench Member', email: `bench-${Date.now()}@example.com`, role: 'admin', password });
const login = await fetch(`${url}/v1/auth/login`, {
  method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: member.email, password }),
});
const memberToken = (await login.json()).token;
const visitors = [];
let clientKey;
for (let i = 0; i < VISITORS; i += 1) {
  if (i === 0) clientKey = (await api('POST', '/v1/api-keys', { name: `bench ${i}`, kind: 'client' })).secret;
  const session = await call(clientKey, 'POST', '/v1/widget/sessions', { name: `Visitor ${i}` });
  const token = session.body.contact_token;
  const conversation = await call(token, 'POST', '/v1/widget/conversations', { message: { content: `hello ${i}` } });
  // A person answers (no AI in the loop): the case the widget's latency matters most for.
  await call(memberToken, 'POST', `/v1/conversations/${conversation.body.id}/start-human`, {});
  visitors.push({ token, id: conversation.body.id });
}

// Every stream notes when each marker arrives.
const seenInInbox = new Map(); // marker → [arrival times]
const seenInWidget = new Map(); // marker → arrival time
let opened = 0;
const allOpen = new Promise((resolve) => {
  const check = () => { opened += 1; if (opened === VISITORS + STREAMS) resolve(); };
  for (let i = 0; i < STREAMS; i += 1) {
    follow('/v1/events/stream?type=message.created', memberToken, (type, data, at) => {
      const marker = /\[(v\d+)\]/.exec(data)?.[1];
      if (marker) (seenInInbox.get(marker) ?? seenInInbox.set(marker, []).get(marker)).push(at);
    }, check).catch(() => {});
  }
  for (const visitor of visitors) {
    follow(`/v1/widget/conversations/${visitor.id}/stream`, visitor.token, (type, data, at) => {
      const marker = /\[(m\d+)\]/.exec(data)?.[1];
      if (type === 'message.created' && marker && !seenInWidget.has(marker)) seenInWidget.set(marker, at);
    }, check).catch(() => {});
  }
});
await allOpen;

// Visitors write and members reply, alternating, at about 40 messages a second.
const posted = [];
const roundTrips = [];
for (let i = 0; i < MESSAGES; i += 1) {
  const visitor = visitors[i % visitors.length];
  const fromVisitor = i % 2 === 0;
  const marker = fromVisitor ? `v${i}` : `m${i}`;
  const started = performance.now();
  const send = fromVisitor
    ? call(visitor.token, 'POST', `/v1/widget/conversations/${visitor.id}/messages`, { content: `Question [${marker}]` })
    : call(memberToken, 'POST', `/v1/conversations/${visitor.id}/messages`, { sender_type: 'human', content: `Answer [${marker}]` });
  posted.push({ marker, started, fromVisitor, done: send.then(() => roundTrips.push(performance.now() - started)) });
  await new Promise((resolve) => setTimeout(resolve, 25));
}
await Promise.all(posted.map((p) => p.done));
// Let the last events arrive: every stream has them or a second passed.
const deadline = performance.now() + 5000;
while (performance.now() < deadline) {
  const inboxDone = posted.filter((p) => p.fromVisitor).every((p) => (seenInInbox.get(p.marker)?.length ?? 0) >= STREAMS);
  const widgetDone = posted.filter((p) => !p.fromVisitor).every((p) => seenInWidget.has(p.marker));
  if (inboxDone && widgetDone) break;
  await new Promise((resolve) => setTimeout(resolve, 50));
}
const toInbox = posted.filter((p) => p.fromVisitor).flatMap((p) => (seenInInbox.get(p.marker) ?? []).map((at) => at - p.started));
const toWidget = posted.filter((p) => !p.fromVisitor && seenInWidget.has(p.marker)).map((p) => seenInWidget.get(p.marker) - p.started);
const expectedInbox = (MESSAGES / 2) * STREAMS;
console.log(`visitors ${VISITORS}, inbox streams ${STREAMS}, messages ${MESSAGES}`);
console.log(`post round trip (baseline): p50 ${ms(quantile(roundTrips, 0.5))}, p99 ${ms(quantile(roundTrips, 0.99))}`);
console.log(`visitor post → inbox streams: ${toInbox.length}/${expectedInbox} events, p50 ${ms(quantile(toInbox, 0.5))}, p99 ${ms(quantile(toInbox, 0.99))} (${(quantile(toInbox, 0.99) / quantile(roundTrips, 0.99)).toFixed(2)} of the round trip's p99)`);
console.log(`member reply → widget stream: ${toWidget.length}/${MESSAGES / 2} events, p50 ${ms(quantile(toWidget, 0.5))}, p99 ${ms(quantile(toWidget, 0.99))} (${(quantile(toWidget, 0.99) / quantile(roundTrips, 0.99)).toFixed(2)} of the round trip's p99)`);

// Uploads of 1 MB: stored (a PNG header, then noise) against refused after reading (noise).
const MB = 1024 * 1024;
const noise = new Uint8Array(MB).map(() => Math.floor(Math.random() * 256));
const png = Uint8Array.from(noise);
png.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 0);
const junk = Uint8Array.from(noise);
junk.set([0x00, 0x01, 0x02, 0x03], 0);
async function uploads(body, count, expected) {
  const started = performance.now();
  let next = 0;
  await Promise.all(Array.from({ length: 4 }, async () => {
    while (next < count) {
      next += 1;
      const answer = await call(key, 'POST', '/v1/uploads?name=photo.png', body, { 'content-type': 'image/png' });
      if (answer.status !== expected) throw new Error(`upload: ${answer.status}`);
    }
  }));
  return (count * MB) / 1024 / 1024 / ((performance.now() - started) / 1000);
}
const refused = await uploads(junk, 40, 422);
const stored = await uploads(png, 40, 201);
console.log(`uploads of 1 MB, 4 clients: ${stored.toFixed(1)} MB/s stored; refused after reading (baseline) ${refused.toFixed(1)} MB/s (${(stored / refused).toFixed(2)})`);

const text = async (path) => (await fetch(`${url}${path}`)).text();
const loader = await text('/widget.js');
const frame = (await Promise.all(['/widget/frame', ...['frame.css', 'frame.js', 'chat.js', 'thread.js', 'strings.js'].map((f) => `/widget/assets/${f}`)].map(text))).join('');
console.log(`loader ${(gzipSync(loader).length / 1024).toFixed(1)} KB gzipped (${(loader.length / 1024).toFixed(1)} KB); frame ${(Buffer.byteLength(frame) / 1024).toFixed(1)} KB uncompressed`);
process.exit(0);
