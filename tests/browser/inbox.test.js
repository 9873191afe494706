// The inbox as support agents use it, in a real browser against a real server.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { accessibilityProblems, apiClient, launch, shot, startServer } from './harness.js';

let server;
let browser;
let api;
const admin = { name: 'Ada Admin', email: 'ada@example.com', password: 'correct horse battery' };

before(async () => {
  server = await startServer();
  api = apiClient(server.url, server.key);
  // The workspace's AI agent answers new conversations until it hands them to a person.
  await api('POST', '/v1/agents', { name: 'Ava', version: { instructions: 'Answer from the help centre.' } });
  browser = await launch();
});

/** A conversation the AI handed to a person, as an integration or the AI itself asks. */
async function handedOff(email, name, content) {
  const created = await api('POST', '/v1/conversations', { contact: { email, name }, message: { content } });
  return api('POST', `/v1/conversations/${created.id}/handoff-request`, { reason: 'asked for a person' });
}

after(async () => {
  await browser?.close();
  await server?.stop();
  server?.remove();
});

/** Signs the admin in on the sign-in form `page` shows, and waits for the inbox. */
async function signIn(page) {
  await page.getByLabel('Email').fill(admin.email);
  await page.getByLabel('Password').fill(admin.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('link', { name: 'Waiting', exact: true }).waitFor();
}

async function signedInPage() {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await page.goto(server.url);
  await signIn(page);
  return page;
}

test('the first-run link creates the admin, who lands in the inbox', async () => {
  assert.ok(server.setupToken, 'the first start printed a setup link');
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await page.goto(`${server.url}/setup?token=${server.setupToken}`);
  await shot(page, '01-setup');
  assert.deepEqual(await accessibilityProblems(page), []);
  await page.getByLabel('Your name').fill(admin.name);
  await page.getByLabel('Email').fill(admin.email);
  await page.getByLabel('Password').fill(admin.password);
  await page.getByRole('button', { name: 'Create the admin and sign in' }).click();
  await page.getByRole('link', { name: 'Waiting', exact: true }).waitFor();
  assert.equal(new URL(page.url()).pathname, '/');
  await shot(page, '02-inbox-empty');
  const members = await api('GET', '/v1/members');
  assert.deepEqual(members.data.map((m) => [m.email, m.role]), [[admin.email, 'admin']]);
  await context.close();
});

test('a wrong password is refused, the right one signs in, and the cookie is out of scripts reach', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(server.url);
  assert.deepEqual(await accessibilityProblems(page), []);
  await page.getByLabel('Email').fill(admin.email);
  await page.getByLabel('Password').fill('not the password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('alert').filter({ hasText: 'email or password' }).waitFor();
  await shot(page, '03-sign-in-refused');
  await page.getByLabel('Password').fill(admin.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('link', { name: 'Waiting', exact: true }).waitFor();
  const cookies = await context.cookies();
  const session = cookies.find((c) => c.name === 'baton_session');
  assert.ok(session?.httpOnly && session.sameSite === 'Strict', 'an HttpOnly, SameSite=Strict session cookie');
  assert.equal(await page.evaluate(() => document.cookie), '', 'page scripts cannot read it');
  await context.close();
});

test('a stale or planted session cookie is cleared and never stands in the way of signing in', async () => {
  const context = await browser.newContext();
  // A cookie planted by a sibling subdomain, or left from a session that has ended.
  await context.addCookies([{ name: 'baton_session', value: 'bt_mt_planted', url: server.url, httpOnly: true, sameSite: 'Strict' }]);
  const page = await context.newPage();
  await page.goto(server.url);
  await signIn(page);
  // Signed out everywhere else (from another device): this browser's session ends ...
  const login = await fetch(`${server.url}/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: admin.email, password: admin.password }) }).then((r) => r.json());
  const ended = await fetch(`${server.url}/v1/auth/sessions`, { method: 'DELETE', headers: { authorization: `Bearer ${login.token}` } });
  assert.equal(ended.status, 204);
  // ... and on its next visit it is asked to sign in, and can.
  await page.reload();
  await page.getByRole('button', { name: 'Sign in' }).waitFor();
  assert.equal((await context.cookies()).some((c) => c.name === 'baton_session'), false, 'the stale cookie was cleared');
  await signIn(page);
  await shot(page, '03b-signed-in-again');
  await context.close();
});

test('a handoff appears live in Waiting and the title; take over, reply, note, resolve, hand back', async () => {
  const page = await signedInPage();
  assert.equal(await page.title(), 'Baton');
  const created = await handedOff('june@example.com', 'June Park', 'My blender arrived broken. Can a person help?');
  assert.equal(created.mode, 'handoff_requested');
  const row = page.getByRole('link', { name: /June Park/ });
  await row.waitFor({ timeout: 5000 });
  await page.waitForFunction(() => document.title === '(1) Baton', null, { timeout: 5000 });
  await shot(page, '04-waiting-live');
  assert.deepEqual(await accessibilityProblems(page), []);

  await row.click();
  await page.getByRole('heading', { name: 'June Park' }).waitFor();
  // A visitor's image URL elsewhere is a tracking pixel: the inbox never fetches it.
  const elsewhere = [];
  page.on('request', (request) => { if (!request.url().startsWith(server.url)) elsewhere.push(request.url()); });
  await api('POST', `/v1/conversations/${created.id}/messages`, {
    sender_type: 'contact', content: 'Here is a photo, and the receipt.',
    attachments: [
      { url: 'https://cdn.example.com/blender-photo.png', mime_type: 'image/png', name: 'blender-photo.png' },
      { url: 'https://cdn.example.com/receipt.pdf', mime_type: 'application/pdf', name: 'receipt.pdf', size: 48213 },
    ],
  });
  await page.getByRole('link', { name: /blender-photo\.png/ }).waitFor();
  await page.getByRole('link', { name: /receipt\.pdf/ }).waitFor();
  assert.equal(await page.getByRole('img', { name: 'blender-photo.png' }).count(), 0, 'shown as a link, not loaded');
  assert.deepEqual(elsewhere, [], 'no request left this server');
  await page.getByRole('button', { name: 'Take over' }).click();
  await page.getByRole('button', { name: 'Hand back to AI' }).waitFor();
  const reply = page.getByRole('textbox', { name: 'Reply' });
  await reply.fill('Sorry about that, June. I am sending a new one today.');
  await reply.press('Enter');
  await page.getByText('I am sending a new one today').waitFor();
  await page.getByRole('button', { name: 'Note' }).click();
  const note = page.getByRole('textbox', { name: 'Note' });
  await note.fill('Replacement ordered, tracking to follow.');
  await page.getByRole('button', { name: 'Send' }).click();
  await page.getByText('Replacement ordered').waitFor();
  await shot(page, '05-conversation');
  assert.deepEqual(await accessibilityProblems(page), []);

  const members = await api('GET', '/v1/members');
  const messages = await api('GET', `/v1/conversations/${created.id}/messages`);
  const human = messages.data.find((m) => m.sender_type === 'human');
  assert.equal(human.content, 'Sorry about that, June. I am sending a new one today.');
  assert.equal(human.sender_id, members.data[0].id, 'stored as sent by the signed-in member');
  const notes = await api('GET', `/v1/conversations/${created.id}/notes`);
  assert.deepEqual(notes.data.map((n) => n.body), ['Replacement ordered, tracking to follow.']);
  assert.ok(!messages.data.some((m) => m.content.includes('Replacement')), 'a note is never a message');

  await page.getByRole('button', { name: 'Resolve' }).click();
  await page.getByRole('button', { name: 'Reopen' }).waitFor();
  assert.equal((await api('GET', `/v1/conversations/${created.id}`)).status, 'resolved');
  await page.waitForFunction(() => document.title === 'Baton');
  await page.getByRole('button', { name: 'Hand back to AI' }).click();
  await page.getByRole('button', { name: 'Take over' }).waitFor();
  await page.getByRole('link', { name: 'Resolved', exact: true }).click();
  await page.getByRole('link', { name: /June Park/ }).waitFor();
  await shot(page, '06-resolved');
  await page.context().close();
});

test('the main flow by keyboard only', async () => {
  await handedOff('kai@example.com', 'Kai Moreno', 'Where is my parcel?');
  const page = await signedInPage();
  await page.getByRole('link', { name: /Kai Moreno/ }).waitFor();
  await page.keyboard.press('/');
  await page.keyboard.type('Kai');
  await page.waitForFunction(() => document.querySelectorAll('.list .row').length === 1);
  await page.keyboard.press('Escape');
  await page.keyboard.press('j');
  await page.getByRole('heading', { name: 'Kai Moreno' }).waitFor();
  await page.keyboard.press('t');
  await page.getByRole('button', { name: 'Hand back to AI' }).waitFor();
  await page.keyboard.press('r');
  await page.keyboard.type('It left our warehouse this morning.');
  await page.keyboard.press('Enter');
  await page.getByText('It left our warehouse this morning.').waitFor();
  await page.keyboard.press('Escape');
  await page.keyboard.press('e');
  await page.getByRole('button', { name: 'Reopen' }).waitFor();
  await page.keyboard.press('Escape');
  await page.keyboard.press('?');
  await page.getByRole('dialog', { name: 'Keyboard shortcuts' }).waitFor();
  await shot(page, '07-shortcuts');
  await page.keyboard.press('Escape');
  await page.context().close();
});

test('a canned response with placeholders, tags, assignment and snooze', async () => {
  await api('POST', '/v1/canned-responses', {
    shortcode: 'sorry', title: 'Damaged delivery',
    body: 'Hi {{contact.first_name}}, I am {{member.name}}. A replacement is on its way.',
  });
  const lee = await handedOff('lee@example.com', 'Lee Chen', 'My package arrived damaged');
  const page = await signedInPage();
  await page.getByRole('link', { name: /Lee Chen/ }).click();
  await page.getByRole('heading', { name: 'Lee Chen' }).waitFor();
  const reply = page.getByRole('textbox', { name: 'Reply' });
  await reply.fill('/so');
  await page.getByRole('option', { name: /sorry/ }).waitFor();
  await shot(page, '08-canned-picker');
  await reply.press('Enter');
  assert.equal(await reply.inputValue(), 'Hi Lee, I am Ada Admin. A replacement is on its way.');
  await reply.press('Enter');
  await page.getByText('A replacement is on its way.').waitFor();

  await page.getByLabel('Tags, separated by commas').fill('damaged, vip');
  await page.getByRole('button', { name: 'Save tags' }).click();
  await page.getByRole('button', { name: 'Snooze tomorrow' }).waitFor();
  await page.getByRole('complementary', { name: 'Details' }).getByLabel('Priority').selectOption('high');
  await page.waitForFunction(async (id) => {
    const r = await fetch(`/v1/conversations/${id}`);
    return (await r.json()).priority === 'high';
  }, lee.id);
  const details = page.getByRole('complementary', { name: 'Details' });
  const assignee = async () => (await api('GET', `/v1/conversations/${lee.id}`)).assignee_id;
  await details.getByLabel('Assignee').selectOption({ label: 'Nobody' });
  await details.getByRole('button', { name: 'Assign to me' }).waitFor();
  assert.equal(await assignee(), null);
  await details.getByRole('button', { name: 'Assign to me' }).click();
  await details.getByRole('button', { name: 'Assign to me' }).waitFor({ state: 'detached' });
  const ada = (await api('GET', '/v1/members')).data.find((m) => m.email === admin.email);
  assert.equal(await assignee(), ada.id);
  await page.getByRole('button', { name: 'Snooze tomorrow' }).click();
  await page.getByText(/snoozed until/).waitFor();
  await shot(page, '09-details');
  assert.deepEqual(await accessibilityProblems(page), []);
  const after = await api('GET', `/v1/conversations/${lee.id}`);
  assert.deepEqual([after.status, after.priority, after.tags.sort()], ['snoozed', 'high', ['damaged', 'vip']]);
  const messages = await api('GET', `/v1/conversations/${lee.id}/messages`);
  assert.ok(messages.data.some((m) => m.content === 'Hi Lee, I am Ada Admin. A replacement is on its way.'));

  // The filters narrow the list: in All, only the high-priority conversation.
  await page.getByRole('link', { name: 'All', exact: true }).click();
  await page.getByText('Filters and order').click();
  await page.getByRole('form', { name: 'Filters' }).getByLabel('Priority').selectOption('high');
  await page.waitForFunction(() => [...document.querySelectorAll('.list .row-name')].map((e) => e.textContent).join() === 'Lee Chen');
  await shot(page, '10-filtered');
  await page.context().close();
});

test('a note written in the inbox never reaches the visitor, a reply does', async () => {
  // A visitor on the website, through the widget API with a client key.
  const client = await api('POST', '/v1/api-keys', { name: 'Website', kind: 'client' });
  const session = await apiClient(server.url, client.secret)('POST', '/v1/widget/sessions', { name: 'Vera Lind', email: 'vera@example.com' });
  const visitor = apiClient(server.url, session.contact_token);
  const started = await visitor('POST', '/v1/widget/conversations', { message: { content: 'I need a person to help with my order' } });
  await api('POST', `/v1/conversations/${started.id}/handoff-request`, { reason: 'asked for a person' });

  const page = await signedInPage();
  await page.getByRole('link', { name: /Vera Lind/ }).click();
  await page.getByRole('heading', { name: 'Vera Lind' }).waitFor();
  await page.getByRole('button', { name: 'Note' }).click();
  await page.getByRole('textbox', { name: 'Note' }).fill('VIP customer: offer express shipping.');
  await page.getByRole('button', { name: 'Send' }).click();
  await page.getByText('VIP customer: offer express shipping.').waitFor();
  await page.getByRole('button', { name: 'Note' }).click();
  await page.getByRole('textbox', { name: 'Reply' }).fill('Hi Vera, I can help. What is your order number?');
  await page.getByRole('button', { name: 'Send' }).click();
  await page.getByRole('list', { name: 'Messages' }).getByText('What is your order number?').waitFor();

  const seen = await visitor('GET', `/v1/widget/conversations/${started.id}/messages`);
  const texts = seen.data.map((m) => m.content);
  assert.ok(texts.includes('Hi Vera, I can help. What is your order number?'), 'the reply reaches the visitor');
  assert.ok(!texts.some((t) => t.includes('VIP customer')), 'the note does not');
  await page.context().close();
});

test('in a narrow window in dark mode the inbox shows one pane at a time, readably', async () => {
  await handedOff('maximilian@example.com', 'Maximilian Alexander von Hohenberg-Castellanos', 'The hinge on my oven door snapped this morning');
  const context = await browser.newContext({ viewport: { width: 700, height: 800 }, colorScheme: 'dark' });
  const page = await context.newPage();
  await page.goto(server.url);
  await page.getByLabel('Email').fill(admin.email);
  await page.getByLabel('Password').fill(admin.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  const row = page.getByRole('link', { name: /^Maximilian/ });
  await row.waitFor();
  await shot(page, '13-narrow-dark-list');
  assert.deepEqual(await accessibilityProblems(page), [], 'contrast and names hold in dark mode');
  const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  assert.ok(background.match(/\d+/g).slice(0, 3).map(Number).reduce((a, b) => a + b) < 200, `dark (${background})`);
  const overflow = () => page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);
  assert.equal(await overflow(), false, 'a long name does not push the page sideways');

  await row.click();
  await page.getByRole('list', { name: 'Messages' }).getByText('The hinge on my oven door snapped this morning').waitFor();
  assert.ok(!(await row.isVisible()), 'the open conversation takes the window');
  await shot(page, '14-narrow-dark-conversation');
  assert.deepEqual(await accessibilityProblems(page), []);
  assert.equal(await overflow(), false);
  await page.getByRole('button', { name: 'Back to the list' }).click();
  await row.waitFor();
  await context.close();
});

test('back and forward move between views and conversations, and a reload keeps the place', async () => {
  await handedOff('ida@example.com', 'Ida Quist', 'Where is my parcel?');
  await handedOff('ole@example.com', 'Ole Brun', 'The lid does not fit.');
  const page = await signedInPage();
  const current = (name) => page.getByRole('link', { name, exact: true }).and(page.locator('[aria-current="page"]'));
  await page.getByRole('link', { name: /Ida Quist/ }).click();
  await page.getByRole('heading', { name: 'Ida Quist' }).waitFor();
  await page.getByRole('link', { name: 'All', exact: true }).click();
  await current('All').waitFor();
  await page.getByRole('link', { name: /Ole Brun/ }).click();
  await page.getByRole('heading', { name: 'Ole Brun' }).waitFor();
  assert.match(page.url(), /view=all&c=conv_/);

  await page.goBack();
  await page.getByRole('heading', { name: 'Ida Quist' }).waitFor();
  await current('All').waitFor();
  await page.goBack();
  await current('Waiting').waitFor();
  await page.getByRole('heading', { name: 'Ida Quist' }).waitFor();
  await page.goForward();
  await current('All').waitFor();
  await page.reload();
  await current('All').waitFor();
  await page.getByRole('heading', { name: 'Ida Quist' }).waitFor();
  await page.context().close();
});

test('the API reference renders under its own strict policy', async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const refused = [];
  page.on('console', (message) => { if (/Content Security Policy/i.test(message.text())) refused.push(message.text()); });
  await page.goto(`${server.url}/docs/`);
  await page.getByRole('heading', { name: /Baton API/ }).waitFor();
  await page.getByText('/v1/audit-log').first().waitFor();
  assert.deepEqual(refused, [], 'nothing the page needs is blocked');
  await shot(page, '99-api-reference');
  await context.close();
});
