// The product end to end in two browsers at once: a visitor chatting from the /demo storefront
// through the widget, and a member answering in the inbox. Also the widget embedded by a page
// of another site, allowed by its channel's origins or refused.

import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { deflateSync } from 'node:zlib';
import { after, before, test } from 'node:test';

import { accessibilityProblems, apiClient, launch, shot, startServer } from './harness.js';

let server;
let browser;
let api;
const ana = { name: 'Ana Lima', email: 'ana@example.com', password: 'correct horse battery' };
// A 160×120 PNG, a sage-to-sand gradient (a photo of the broken blender, as far as the test
// is concerned): big enough to show how a photo sits in the bubbles.
const PHOTO = png(160, 120, (x, y) => [150 + (x * 60) / 160, 180 - (y * 40) / 120, 160]);

/** A truecolour PNG of `width`×`height` whose pixel colours `colour(x, y)` gives. */
function png(width, height, colour) {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (bytes) => {
    let c = 0xffffffff;
    for (const b of bytes) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type, data) => {
    const body = Buffer.concat([Buffer.from(type), data]);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const check = Buffer.alloc(4);
    check.writeUInt32BE(crc(body));
    return Buffer.concat([length, body, check]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8);
  const rows = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) rows.set(colour(x, y).map(Math.round), y * (width * 3 + 1) + 1 + x * 3);
  }
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([signature, chunk('IHDR', header), chunk('IDAT', deflateSync(rows)), chunk('IEND', Buffer.alloc(0))]);
}

before(async () => {
  server = await startServer();
  api = apiClient(server.url, server.key);
  await api('POST', '/v1/members', { ...ana, role: 'admin' });
  await api('POST', '/v1/knowledge/articles', {
    title: 'Delivery times',
    body: 'Orders leave our warehouse within one working day. Standard delivery takes 2 to 4 working days.',
  });
  const agent = await api('POST', '/v1/agents', {
    name: 'Juni', version: { instructions: 'Answer from the help centre.', greeting: "Hi! I'm Juni. How can I help?" },
  });
  await api('POST', '/v1/channels', { type: 'widget', name: 'Website', agent_id: agent.id });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await server?.stop();
  server?.remove();
});

async function memberPage() {
  const page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
  await page.goto(server.url);
  await page.getByLabel('Email').fill(ana.email);
  await page.getByLabel('Password').fill(ana.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('link', { name: 'Waiting', exact: true }).waitFor();
  return page;
}

async function say(chat, text) {
  await chat.getByRole('textbox', { name: 'Message' }).fill(text);
  await chat.getByRole('button', { name: 'Send' }).click();
}

test('a visitor on /demo and a member in the inbox: AI answer, handoff, reply, photo, reload, rating', async () => {
  const visitor = await (await browser.newContext({ viewport: { width: 1280, height: 860 } })).newPage();
  await visitor.goto(`${server.url}/demo`);
  await visitor.getByRole('button', { name: 'Open chat' }).click();
  const chat = visitor.frameLocator('iframe[title="Chat"]');
  await chat.getByText("Hi! I'm Juni. How can I help?").waitFor();
  await shot(visitor, '20-widget-open');

  await say(chat, 'How long does delivery take?');
  await chat.getByText('2 to 4 working days').waitFor({ timeout: 15000 });
  await shot(visitor, '21-widget-ai-answer');

  const member = await memberPage();
  await member.getByRole('link', { name: 'Waiting', exact: true }).click();
  await say(chat, 'I want to talk to a person please');
  await chat.getByText('Connecting you to a person').first().waitFor({ timeout: 15000 });
  await shot(visitor, '22-widget-connecting');

  // The member sees it arrive in Waiting live, takes over and replies.
  const row = member.getByRole('link', { name: /^Visitor/ });
  await row.waitFor({ timeout: 10000 });
  await shot(member, '23-inbox-waiting');
  await row.click();
  await member.getByRole('button', { name: 'Take over' }).click();
  await member.getByRole('textbox', { name: 'Reply' }).fill("Hi, I'm Ana. I can help with that.");
  await member.getByRole('button', { name: 'Send' }).click();

  await chat.getByText("Hi, I'm Ana. I can help with that.").waitFor({ timeout: 10000 });
  await chat.getByText('Ana Lima').first().waitFor();
  await shot(visitor, '24-widget-human-reply');

  // The visitor sends a photo; it shows inline on both sides.
  await chat.locator('#file').setInputFiles({ name: 'blender.png', mimeType: 'image/png', buffer: PHOTO });
  await chat.getByRole('img', { name: 'blender.png' }).waitFor({ timeout: 10000 });
  const inInbox = member.getByRole('img', { name: 'blender.png' });
  await inInbox.waitFor({ timeout: 10000 });
  assert.ok(await inInbox.evaluate((img) => img.complete && img.naturalWidth === 160), 'the photo loads in the inbox');
  // Loaded after the thread was laid out, it still shows whole at the bottom of the thread.
  await member.waitForFunction(() => {
    const img = document.querySelector('.thread img[alt="blender.png"]');
    if (!img?.complete) return false;
    return img.getBoundingClientRect().bottom <= img.closest('.thread').getBoundingClientRect().bottom + 1;
  }, null, { timeout: 5000 });
  await shot(member, '25-inbox-photo');

  // The member attaches a PDF; the visitor gets it as a download.
  await member.locator('.composer input[type="file"]').setInputFiles({
    name: 'return-label.pdf', mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.4\n% a return label\n'),
  });
  await member.getByRole('list', { name: 'Files to send' }).getByText('return-label.pdf').waitFor();
  await member.getByRole('textbox', { name: 'Reply' }).fill('Here is your return label.');
  await member.getByRole('button', { name: 'Send' }).click();
  const label = chat.getByRole('link', { name: /return-label\.pdf/ });
  await label.waitFor({ timeout: 10000 });
  assert.equal(await label.getAttribute('download'), 'return-label.pdf');
  const served = await visitor.request.get(new URL(await label.getAttribute('href'), server.url).href);
  assert.equal(served.headers()['content-disposition'], "attachment; filename*=UTF-8''return-label.pdf");

  // A reload keeps the conversation.
  await visitor.reload();
  await visitor.getByRole('button', { name: 'Open chat' }).click();
  await chat.getByText("Hi, I'm Ana. I can help with that.").waitFor({ timeout: 10000 });
  await chat.getByRole('img', { name: 'blender.png' }).waitFor();
  await shot(visitor, '26-widget-after-reload');

  await member.getByRole('button', { name: 'Resolve' }).click();
  await chat.getByRole('radio', { name: '5 out of 5' }).check({ timeout: 10000 });
  await chat.getByRole('textbox', { name: 'Comment (optional)' }).fill('Quick and kind.');
  await shot(visitor, '27-widget-rating');
  assert.deepEqual(await accessibilityProblems(visitor.frames().find((f) => f.url().includes('/widget/frame'))), []);
  await chat.getByRole('button', { name: 'Send rating' }).click();
  await chat.getByText('Thanks for your rating!').waitFor();
  await chat.getByRole('button', { name: 'Start a new conversation' }).waitFor();
  await shot(visitor, '28-widget-rated');

  const summary = await api('GET', '/v1/reports/summary');
  assert.deepEqual([summary.csat_average, summary.csat_responses], [5, 1], JSON.stringify(summary));
});

test('on a phone in dark mode the chat fills the screen, reads clearly and closes', async () => {
  const phone = await (await browser.newContext({ viewport: { width: 375, height: 700 }, colorScheme: 'dark' })).newPage();
  await phone.goto(`${server.url}/demo`);
  await phone.getByRole('button', { name: 'Open chat' }).click();
  const chat = phone.frameLocator('iframe[title="Chat"]');
  await chat.getByText("Hi! I'm Juni. How can I help?").waitFor();
  await say(chat, 'How long does delivery take?');
  await chat.getByText('2 to 4 working days').waitFor({ timeout: 15000 });
  await shot(phone, '31-widget-phone-dark');
  const box = await phone.locator('iframe[title="Chat"]').boundingBox();
  assert.deepEqual([box.x, box.y, box.width, box.height], [0, 0, 375, 700], 'the chat takes the whole screen');
  assert.ok(!(await phone.getByRole('button', { name: 'Open chat' }).isVisible()), 'the launcher steps aside');
  const frame = phone.frames().find((f) => f.url().includes('/widget/frame'));
  const background = await frame.evaluate(() => getComputedStyle(document.body).backgroundColor);
  const [r, g, b] = background.match(/\d+/g).map(Number);
  assert.ok(r + g + b < 200, `a dark background in dark mode (${background})`);
  assert.deepEqual(await accessibilityProblems(frame), [], 'contrast and names hold in dark mode');
  // A swipe past the end of the short thread must not scroll the page behind the chat.
  const swipe = async () => {
    await phone.mouse.move(180, 400);
    await phone.mouse.wheel(0, 400);
  };
  await swipe();
  const frames = () => phone.evaluate(() => new Promise((done) => {
    let left = 10;
    const next = () => (--left ? requestAnimationFrame(next) : done(window.scrollY));
    requestAnimationFrame(next);
  }));
  assert.equal(await frames(), 0, 'the page behind the chat stays put');
  await chat.getByRole('button', { name: /close/i }).click();
  await phone.getByRole('button', { name: 'Open chat' }).waitFor();
  await swipe();
  await phone.waitForFunction(() => window.scrollY > 0, null, { timeout: 5000 });
});

/** A page of another site carrying the widget with the key `keyOf()` gives when served. */
async function hostSite(keyOf) {
  const site = createServer((request, response) => {
    response.setHeader('content-type', 'text/html; charset=utf-8');
    response.end(`<!doctype html><html lang="en"><title>Partner shop</title><body><h1>Partner shop</h1>
<script src="${server.url}/widget.js" data-key="${keyOf()}" data-color="#0f766e" async></script></body></html>`);
  });
  await new Promise((resolve) => site.listen(0, '127.0.0.1', resolve));
  // `localhost` is another site than Baton's `127.0.0.1`: the chat is a third-party frame there.
  return { site, url: `http://localhost:${site.address().port}` };
}

test("the widget works on a site its channel allows and is refused on one it doesn't", async () => {
  let key;
  const allowed = await hostSite(() => key);
  const refused = await hostSite(() => key);
  const channel = await api('POST', '/v1/channels', { type: 'widget', name: 'Partner shop', allowed_origins: [allowed.url] });
  key = (await api('POST', '/v1/api-keys', { name: 'Partner shop', kind: 'client', channel_id: channel.id })).secret;
  try {
    const page = await (await browser.newContext()).newPage();
    await page.goto(allowed.url);
    await page.getByRole('button', { name: 'Open chat' }).click();
    const chat = page.frameLocator('iframe[title="Chat"]');
    await say(chat, 'Hello from the partner shop');
    await chat.getByText('Hello from the partner shop').waitFor();
    await chat.locator('.msg.mine .meta').waitFor({ state: 'detached' });
    await shot(page, '29-widget-other-site');
    // The conversation is on the key's channel.
    const onChannel = await api('GET', `/v1/conversations?channel_id=${channel.id}`);
    assert.equal(onChannel.data.length, 1);

    // Outside allowed_origins the browser refuses to show the chat, and the key's API refuses the page.
    const other = await (await browser.newContext()).newPage();
    await other.goto(refused.url);
    await other.getByRole('button', { name: 'Open chat' }).click();
    const frame = await (await other.locator('iframe[title="Chat"]').elementHandle()).contentFrame();
    await frame.waitForLoadState('load');
    assert.equal(await frame.locator('textarea').count(), 0, 'no chat in a page it is not allowed on');
    const answer = await other.evaluate(async ({ base, clientKey }) => {
      const response = await fetch(`${base}/v1/widget/sessions`, {
        method: 'POST', headers: { authorization: `Bearer ${clientKey}`, 'content-type': 'application/json' }, body: '{}',
      });
      return [response.status, (await response.json()).code];
    }, { base: server.url, clientKey: key });
    assert.deepEqual(answer, [403, 'origin_not_allowed']);
    await shot(other, '30-widget-refused-site');
  } finally {
    allowed.site.close();
    refused.site.close();
  }
});
