// The chat inside the widget's frame: the visitor's conversation, live, and the messages
// between this frame and the loader on the host page (open, close, identify, reset; ready,
// unread, message).

import { ApiError, Chat } from './chat.js';
import { h, greetingItem, messageItem } from './thread.js';
import { strings } from './strings.js';

const params = new URLSearchParams(location.search);
const t = strings(params.get('locale') || navigator.language);
const $ = (id) => document.getElementById(id);
const ui = {
  main: $('chat'), title: $('title'), status: $('status'), banner: $('banner'), thread: $('thread'),
  typing: $('typing'), ending: $('ending'), composer: $('composer'), message: $('message'), send: $('send'),
  attach: $('attach'), file: $('file'), close: $('close'), drop: $('drop'), avatar: document.querySelector('.avatar'),
  emailRow: $('email-row'), email: $('email'), emailError: $('email-error'),
};

const color = params.get('color');
if (color && /^#[0-9a-f]{3,8}$/i.test(color)) document.documentElement.style.setProperty('--accent', color);

// The loader on the host page: messages go to its origin only.
const parentOrigin = location.ancestorOrigins?.[0] || (document.referrer ? new URL(document.referrer).origin : null);
function tell(type, data = {}) {
  if (window.parent !== window && parentOrigin) window.parent.postMessage({ baton: type, ...data }, parentOrigin);
}

/** Where the visitor's session is kept: this frame's storage, or — where the browser keeps
 * third-party frames from storage — the host page's, through the loader. */
async function openStorage() {
  try {
    window.localStorage.getItem('baton');
    return window.localStorage;
  } catch {
    // Blocked: ask the loader.
  }
  let kept = null;
  if (window.parent !== window && parentOrigin) {
    kept = await new Promise((resolve) => {
      const listener = (event) => {
        if (event.source !== window.parent || event.data?.baton !== 'restore') return;
        window.removeEventListener('message', listener);
        resolve(event.data.value ?? null);
      };
      window.addEventListener('message', listener);
      tell('storage');
    });
  }
  return {
    getItem: () => kept,
    setItem: (_, value) => { kept = value; tell('save', { value }); },
    removeItem: () => { kept = null; tell('save', { value: null }); },
  };
}

const chat = new Chat(params.get('key') || '', await openStorage());
const state = {
  config: { agent_name: null, greeting: null },
  conversation: null,
  messages: [],
  pending: [],
  open: window.parent === window,
  unread: 0,
  seenUpTo: null,
  typingName: null,
  lost: false,
  rated: false,
  problem: null,
};
const needsEmail = () => params.get('require_email') === 'true' && !chat.saved.email && !state.conversation;


function lastSeq() {
  return state.messages.reduce((max, m) => Math.max(max, m.seq), 0);
}

function render() {
  const name = state.config.agent_name;
  ui.title.textContent = name || t('title');
  ui.avatar.dataset.initial = (name || t('title')).slice(0, 1).toUpperCase();
  const c = state.conversation;
  const person = c?.assignee_name;
  ui.status.textContent = state.problem
    || (c?.status === 'resolved' || c?.status === 'closed' ? t('resolvedShort')
      : c?.mode === 'handoff_requested' ? t('connecting')
      : c?.mode === 'human' ? (person ? t('personAnswering', { name: person }) : t('someoneJoined'))
        : t('replyInstantly'));
  ui.banner.hidden = !state.lost;
  ui.banner.textContent = navigator.onLine ? t('reconnecting') : t('offline');

  const items = [greetingItem(state.config.greeting || t('greetingFallback'), name, t)];
  // "Seen" goes under the visitor's last message once a member has read up to it.
  const lastMine = state.messages.findLastIndex((m) => m.sender_type === 'contact');
  const seen = lastMine >= 0 && state.messages.findIndex((m) => m.id === state.seenUpTo) >= lastMine;
  let previous = `agent:${name || ''}`;
  state.messages.forEach((m, i) => {
    const key = `${m.sender_type}:${m.sender_name || ''}`;
    items.push(messageItem(m, t, { showAuthor: key !== previous }));
    if (seen && i === lastMine) items.push(h('li', { class: 'msg mine' }, h('p', { class: 'meta' }, t('seen'))));
    previous = key;
  });
  for (const p of state.pending) {
    items.push(messageItem({ ...p, sender_type: 'contact' }, t, { onRetry: () => retry(p) }));
  }
  const atBottom = ui.thread.scrollHeight - ui.thread.scrollTop - ui.thread.clientHeight < 40;
  const grew = items.length > ui.thread.children.length;
  ui.thread.replaceChildren(...items);

  ui.typing.hidden = !state.typingName;
  ui.typing.textContent = state.typingName ? t('typing', { name: state.typingName }) : '';
  const ended = c && (c.status === 'resolved' || c.status === 'closed');
  ui.composer.hidden = Boolean(ended);
  ui.ending.hidden = !ended;
  if (ended && !ui.ending.contains(document.activeElement)) ui.ending.replaceChildren(...ending(c));
  ui.emailRow.hidden = !needsEmail();
  ui.main.setAttribute('aria-busy', 'false');
  // Last, once the composer or the ending has taken its room.
  if (atBottom || grew) ui.thread.scrollTop = ui.thread.scrollHeight;
}

/** Resolved: the rating (once), then a way to start again. */
function ending(c) {
  const restart = h('button', { type: 'button', class: 'button secondary', onclick: startOver }, t('newConversation'));
  if (c.rating || state.rated) return [h('h2', {}, t('resolved')), h('p', {}, t('thanksRating')), restart];
  let chosen = 0;
  const labels = [];
  const stars = [1, 2, 3, 4, 5].map((n) => {
    const label = h('label', {},
      h('input', { type: 'radio', name: 'rating', value: n, 'aria-label': t('stars', { n }),
        onchange: () => { chosen = n; labels.forEach((l, i) => l.classList.toggle('lit', i < n)); } }),
      h('span', { 'aria-hidden': 'true' }, '★'));
    labels.push(label);
    return label;
  });
  const comment = h('textarea', { id: 'rating-comment', maxlength: 2000 });
  const form = h('form', { class: 'rate', onsubmit: async (event) => {
    event.preventDefault();
    if (!chosen) return;
    try {
      await chat.rate(chosen, comment.value.trim());
      state.rated = true;
      state.conversation = await chat.conversation();
      ui.ending.replaceChildren(...ending(state.conversation));
      render();
    } catch (error) {
      state.problem = error.message;
      render();
    }
  } },
  h('fieldset', { class: 'stars' }, h('legend', {}, t('rateLegend')), stars),
  h('label', { for: 'rating-comment' }, t('comment')), comment,
  h('button', { type: 'submit', class: 'button' }, t('sendRating')));
  return [h('h2', {}, t('resolved')), h('p', {}, t('rateQuestion')), form, restart];
}

function startOver() {
  chat.startOver();
  state.conversation = null;
  state.messages = [];
  state.seenUpTo = null;
  state.rated = false;
  render();
  ui.message.focus();
}

async function refreshMessages(full = false) {
  if (!chat.conversationId) return;
  const fresh = await chat.messages(full ? 0 : lastSeq());
  const bySeq = new Map((full ? [] : state.messages).map((m) => [m.seq, m]));
  const before = lastSeq();
  for (const m of fresh) bySeq.set(m.seq, m);
  state.messages = [...bySeq.values()].sort((a, b) => a.seq - b.seq);
  // What was sent from here is now in the thread.
  const stored = new Set(state.messages.map((m) => m.client_message_id).filter(Boolean));
  state.pending = state.pending.filter((p) => !stored.has(p.clientId));
  const incoming = state.messages.filter((m) => m.seq > before && m.sender_type !== 'contact' && m.sender_type !== 'system');
  for (const m of incoming) tell('message', { message: { sender_type: m.sender_type, sender_name: m.sender_name, content: m.content } });
  if (incoming.length) {
    state.typingName = null;
    if (state.open && document.visibilityState === 'visible') chat.read(incoming[incoming.length - 1].id);
    else tell('unread', { count: (state.unread += incoming.length) });
  }
  render();
}

async function refreshConversation() {
  if (!chat.conversationId) return;
  state.conversation = await chat.conversation();
  render();
}

let typingTimer = null;
chat.addEventListener('event', ({ detail: { type, data } }) => {
  if (type.startsWith('message.')) refreshMessages(type !== 'message.created').catch(() => {});
  else if (type === 'conversation.typing') {
    const who = data.data?.sender_type;
    if (who === 'contact') return;
    state.typingName = data.data?.typing ? (who === 'agent' ? state.config.agent_name : state.conversation?.assignee_name) || t('person') : null;
    clearTimeout(typingTimer);
    typingTimer = setTimeout(() => { state.typingName = null; render(); }, 8000);
    render();
  } else if (type === 'conversation.read') {
    if (data.data?.reader === 'member') { state.seenUpTo = data.data.up_to_message_id; render(); }
  } else refreshConversation().catch(() => {});
});
chat.addEventListener('connection', ({ detail }) => {
  const wasLost = state.lost;
  state.lost = detail === 'lost';
  if (wasLost && !state.lost) Promise.all([refreshMessages(), refreshConversation()]).catch(() => {});
  render();
});

async function deliver(p) {
  p.pending = true;
  render();
  try {
    if (p.file && !p.attachments.length) {
      const upload = await chat.upload(p.file);
      p.attachments = [{ upload_id: upload.id }];
    }
    const email = needsEmail() ? ui.email.value.trim() : undefined;
    const sent = await chat.send({ content: p.content, attachments: p.attachments, email }, p.clientId);
    if (sent.conversation) {
      state.conversation = sent.conversation;
      chat.follow();
    }
    await refreshMessages();
  } catch (error) {
    p.pending = 'failed';
    if (error instanceof ApiError && error.code === 'identity_not_verified') state.problem = t('notVerified');
    else if (error instanceof ApiError && p.file) p.content = t('uploadFailed', { name: p.file.name, reason: error.message });
    render();
  }
}

function retry(p) {
  deliver(p);
}

function queue(content, file) {
  const p = { clientId: crypto.randomUUID(), content, attachments: [], file, pending: true };
  if (file) p.content = content || '';
  state.pending.push(p);
  deliver(p);
}

ui.composer.addEventListener('submit', (event) => {
  event.preventDefault();
  const content = ui.message.value.trim();
  if (!content) return;
  if (needsEmail() && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(ui.email.value.trim())) {
    ui.emailError.hidden = false;
    ui.emailError.textContent = t('emailInvalid');
    ui.email.setAttribute('aria-invalid', 'true');
    ui.email.focus();
    return;
  }
  ui.emailError.hidden = true;
  ui.email.removeAttribute('aria-invalid');
  ui.message.value = '';
  sentTyping(false);
  queue(content);
});

ui.message.addEventListener('keydown', (event) => {
  if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    ui.composer.requestSubmit();
  }
});

let typingSince = 0;
let idleTimer = null;
function sentTyping(typing) {
  clearTimeout(idleTimer);
  if (!typing) {
    if (typingSince) chat.typing(false);
    typingSince = 0;
    return;
  }
  if (Date.now() - typingSince > 3000) {
    typingSince = Date.now();
    chat.typing(true);
  }
  idleTimer = setTimeout(() => sentTyping(false), 4000);
}
ui.message.addEventListener('input', () => {
  ui.message.style.height = 'auto';
  ui.message.style.height = `${Math.min(ui.message.scrollHeight, 120)}px`;
  if (ui.message.value.trim()) sentTyping(true);
});

ui.attach.addEventListener('click', () => ui.file.click());
ui.file.addEventListener('change', () => {
  for (const file of ui.file.files) queue('', file);
  ui.file.value = '';
});
let dragDepth = 0;
document.addEventListener('dragenter', (event) => {
  if (!event.dataTransfer?.types.includes('Files') || ui.composer.hidden) return;
  dragDepth += 1;
  ui.drop.hidden = false;
});
document.addEventListener('dragleave', () => {
  dragDepth = Math.max(0, dragDepth - 1);
  if (!dragDepth) ui.drop.hidden = true;
});
document.addEventListener('dragover', (event) => event.preventDefault());
document.addEventListener('drop', (event) => {
  event.preventDefault();
  dragDepth = 0;
  ui.drop.hidden = true;
  if (ui.composer.hidden) return;
  for (const file of event.dataTransfer?.files || []) queue('', file);
});

ui.close.addEventListener('click', () => tell('close'));
document.addEventListener('keydown', (event) => {
  if (event.key === 'Escape') tell('close');
});

async function load() {
  state.conversation = await chat.restore();
  state.messages = [];
  if (state.conversation) {
    await refreshMessages(true);
    chat.follow();
  }
  render();
}

window.addEventListener('message', async (event) => {
  if (event.source !== window.parent || !event.data || typeof event.data.baton !== 'string') return;
  const { baton: command, user } = event.data;
  if (command === 'open') {
    state.open = true;
    state.unread = 0;
    tell('unread', { count: 0 });
    const last = [...state.messages].reverse().find((m) => m.sender_type !== 'contact');
    if (last) chat.read(last.id);
    // Laid out only now that the frame shows: start at the newest message.
    requestAnimationFrame(() => { ui.thread.scrollTop = ui.thread.scrollHeight; });
    (ui.composer.hidden ? ui.ending.querySelector('input, button') : ui.message)?.focus();
  } else if (command === 'close') {
    state.open = false;
  } else if (command === 'identify' && user?.external_id) {
    try {
      await chat.identify(user);
      state.problem = null;
      await load();
    } catch (error) {
      state.problem = error.code === 'identity_not_verified' ? t('notVerified') : error.message;
      render();
    }
  } else if (command === 'reset') {
    chat.forget();
    Object.assign(state, { conversation: null, messages: [], pending: [], seenUpTo: null, unread: 0, problem: null });
    render();
  }
});

ui.close.setAttribute('aria-label', t('close'));
ui.attach.setAttribute('aria-label', t('attach'));
ui.message.setAttribute('aria-label', t('message'));
ui.send.textContent = t('send');
ui.drop.textContent = t('dropHere');
$('email-label').textContent = t('emailHint');
ui.email.setAttribute('aria-label', t('email'));
window.addEventListener('online', render);
window.addEventListener('offline', render);

chat.config()
  .then((config) => { state.config = config; })
  .catch(() => { state.problem = t('setupProblem'); })
  .then(load)
  .catch(() => render())
  .finally(() => tell('ready'));
