// What keeps the inbox current: other members' actions and typing, and a server restart
// while the page is open, with nothing lost.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { apiClient, launch, shot, startServer } from './harness.js';

let server;
let browser;
let api;
const password = 'correct horse battery';

before(async () => {
  server = await startServer();
  api = apiClient(server.url, server.key);
  await api('POST', '/v1/members', { name: 'Ada Admin', email: 'ada@example.com', role: 'admin', password });
  await api('POST', '/v1/members', { name: 'Bo Berg', email: 'bo@example.com', role: 'agent', password });
  await api('POST', '/v1/agents', { name: 'Ava', version: { instructions: 'Answer from the help centre.' } });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await server?.stop();
  server?.remove();
});

async function signIn(email) {
  const page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
  await page.goto(server.url);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('link', { name: 'Waiting', exact: true }).waitFor();
  return page;
}

/** The API as a signed-in member, with their token. */
async function asMember(email) {
  const response = await fetch(`${server.url}/v1/auth/login`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password }),
  });
  return apiClient(server.url, (await response.json()).token);
}

async function handedOff(email, name, content) {
  const created = await api('POST', '/v1/conversations', { contact: { email, name }, message: { content } });
  return api('POST', `/v1/conversations/${created.id}/handoff-request`, { reason: 'asked for a person' });
}

test("another member's takeover and typing show in the open conversation", async () => {
  const conversation = await handedOff('max@example.com', 'Max Ito', 'Can someone call me?');
  const page = await signIn('ada@example.com');
  await page.getByRole('link', { name: /Max Ito/ }).click();
  await page.getByRole('button', { name: 'Take over' }).waitFor();
  const bo = await asMember('bo@example.com');
  await bo('POST', `/v1/conversations/${conversation.id}/start-human`, {});
  await page.getByText('assigned to Bo Berg').waitFor({ timeout: 5000 });
  await bo('POST', `/v1/conversations/${conversation.id}/typing`, { sender_type: 'human', typing: true });
  await page.getByText('Bo Berg is typing…').waitFor({ timeout: 5000 });
  await api('POST', `/v1/conversations/${conversation.id}/typing`, { sender_type: 'contact', typing: true });
  await page.getByText('Max Ito is typing…').waitFor({ timeout: 5000 });
  await shot(page, '10-teammate-took-over');
  await page.context().close();
});

test('a server restart while the page is open loses no message', async () => {
  const conversation = await handedOff('rae@example.com', 'Rae Quinn', 'Hello?');
  const page = await signIn('ada@example.com');
  await page.getByRole('link', { name: /Rae Quinn/ }).click();
  await page.getByRole('heading', { name: 'Rae Quinn' }).waitFor();
  const port = Number(new URL(server.url).port);
  await server.stop();
  await page.getByText('Connection lost: reconnecting…').waitFor({ timeout: 10000 });
  await shot(page, '11-connection-lost');
  server = await startServer({ dir: server.dir, port });
  // Posted the moment the server is back, before the page has reconnected: the stream resumes
  // from the last event it saw, so this arrives too.
  await api('POST', `/v1/conversations/${conversation.id}/messages`, { sender_type: 'contact', content: 'Are you still there?' });
  await api('POST', `/v1/conversations/${conversation.id}/messages`, { sender_type: 'contact', content: 'I will wait.' });
  const thread = page.getByRole('list', { name: 'Messages' });
  await thread.getByText('I will wait.').waitFor({ timeout: 15000 });
  await thread.getByText('Are you still there?').waitFor();
  assert.equal(await page.getByText('Connection lost: reconnecting…').isHidden(), true);
  await shot(page, '12-reconnected');
  await page.context().close();
});

test('a contact writing in my conversation counts in the title and notifies when asked to', async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  await context.grantPermissions(['notifications']);
  // Records the desktop notifications the page shows.
  await context.addInitScript(() => {
    window.shown = [];
    const Real = window.Notification;
    window.Notification = class extends Real {
      constructor(title, options) {
        super(title, options);
        window.shown.push(title);
      }
    };
  });
  const page = await context.newPage();
  await page.goto(server.url);
  await page.getByLabel('Email').fill('ada@example.com');
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('link', { name: 'Waiting', exact: true }).waitFor();
  const members = await api('GET', '/v1/members');
  const ada = members.data.find((m) => m.email === 'ada@example.com');
  const mine = await api('POST', '/v1/conversations', { contact: { email: 'uma@example.com', name: 'Uma Sato' } });
  await api('PATCH', `/v1/conversations/${mine.id}`, { assignee_id: ada.id });
  await page.getByRole('checkbox', { name: 'Desktop notifications' }).check();
  const count = () => Number((/^\((\d+)\)/.exec(document.title) ?? [0, 0])[1]);
  const before = await page.evaluate(count);
  await api('POST', `/v1/conversations/${mine.id}/messages`, { sender_type: 'contact', content: 'Hello, anyone?' });
  await page.waitForFunction((n) => Number((/^\((\d+)\)/.exec(document.title) ?? [0, 0])[1]) === n + 1, before);
  assert.deepEqual(await page.evaluate(() => window.shown), ['Uma Sato wrote']);
  await page.getByRole('link', { name: 'Mine', exact: true }).click();
  await page.getByRole('link', { name: /Uma Sato/ }).click();
  await page.waitForFunction((n) => Number((/^\((\d+)\)/.exec(document.title) ?? [0, 0])[1]) === n, before);
  await context.close();
});
