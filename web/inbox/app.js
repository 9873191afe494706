// The inbox: who is signed in, the views with their live counts, the list, the open
// conversation, the event stream that keeps all of it current, and the keyboard.

import { api, ApiError, query } from './api.js';
import { Attention } from './attention.js';
import { filterBar } from './filters.js';
import { follow } from './live.js';
import { go, onMove, placeOf } from './router.js';
import { Shell } from './shell.js';
import { setUp, signIn } from './signin.js';
import { Thread } from './thread.js';
import { fill, h } from './ui.js';
import { VIEWS, row } from './views.js';

const root = document.getElementById('app');
const LIST_PAGE = 30;

async function boot() {
  const params = new URLSearchParams(location.search);
  if (location.pathname === '/setup' && params.get('token')) {
    setUp(root, params.get('token'), boot);
    return;
  }
  let me;
  try {
    me = await api.get('/v1/me');
  } catch (error) {
    if (error instanceof ApiError && (error.status === 401 || error.status === 403)) {
      signIn(root, boot);
      return;
    }
    fill(root, h('p', { class: 'loading' }, `The inbox cannot start: ${error.message}`));
    return;
  }
  if (!me.member) {
    signIn(root, boot);
    return;
  }
  new Inbox(me).start(placeOf());
}

class Inbox {
  constructor(me) {
    this.me = me.member;
    this.members = new Map();
    this.view = VIEWS[0];
    this.q = '';
    this.conversations = [];
    this.cursor = null;
    this.counts = {};
    this.selected = null;
    this.filters = {};
    this.attention = new Attention();
    this.shell = new Shell(root, this.me, {
      controls: this.attention.controls(),
      onSignOut: () => this.stream?.stop(),
    });
  }

  async start(place) {
    const members = await api.get('/v1/members?limit=100').catch(() => ({ data: [] }));
    for (const member of members.data) this.members.set(member.id, member);
    this.view = VIEWS.find((v) => v.key === place.view) ?? VIEWS[0];
    this.selected = place.conversation;
    this.layout();
    onMove((to) => this.show(to));
    this.thread = new Thread(this.pane, {
      me: this.me,
      members: this.members,
      onChanged: () => this.refresh(),
      onBack: () => this.open(null),
      open: (id) => this.open(id),
      teams: () => (this.teamsLoaded ??= api.get('/v1/teams?limit=100').then((t) => t.data).catch(() => [])),
      announce: (text) => this.announce(text),
    });
    document.addEventListener('keydown', (event) => this.key(event));
    // The stream follows from the moment it connects, so everything is read once it has (or
    // after 2 s without it); each reconnection reads everything again. No change is missed.
    const connected = new Promise((resolve) => { this.firstLive = resolve; });
    this.stream = follow('/v1/events/stream', {
      onEvent: (event) => this.onEvent(event),
      onState: (state) => this.connection(state),
    });
    await Promise.race([connected, new Promise((resolve) => setTimeout(resolve, 2000))]);
    this.firstLive = null; // A stream connecting later reads everything again then.
    await Promise.all([this.refresh(), this.thread.open(this.selected)]);
  }

  layout() {
    this.status = h('p', { class: 'conn', role: 'status', hidden: true });
    this.nav = h('ul', { class: 'views' });
    this.list = h('ul', { class: 'list', 'aria-label': 'Conversations' });
    this.more = h('button', { type: 'button', class: 'more', hidden: true, onclick: () => this.load(true) }, 'Load more');
    // The next page loads as the list scrolls to its end.
    new IntersectionObserver((seen) => { if (seen.some((e) => e.isIntersecting) && !this.more.hidden) this.load(true); })
      .observe(this.more);
    this.filterSlot = h('div');
    filterBar((filters) => { this.filters = filters; this.load(); }).then((bar) => this.filterSlot.append(bar));
    this.search = h('input', { type: 'search', 'aria-label': 'Search conversations', placeholder: 'Search conversations  /',
      oninput: () => { clearTimeout(this.searchTimer); this.searchTimer = setTimeout(() => { this.q = this.search.value.trim(); this.load(); }, 250); } });
    this.pane = h('section', { class: 'pane', 'aria-label': 'Conversation' });
    this.heading = h('h2', { class: 'list-title' });
    this.container = this.shell.mount({ nav: this.nav, className: this.selected ? 'has-selection' : '' },
      h('section', { class: 'column', 'aria-label': 'Conversation list' },
        h('div', { class: 'column-head' }, this.heading, this.search, this.filterSlot), this.status,
        h('div', { class: 'list-scroll' }, this.list, this.more)),
      this.pane);
    this.renderNav();
  }

  renderNav() {
    fill(this.nav, VIEWS.map((view) => h('li', {},
      h('a', { href: `/?view=${view.key}`, 'aria-current': view === this.view ? 'page' : undefined, title: view.hint,
        'aria-describedby': `count-${view.key}`,
        onclick: (event) => { event.preventDefault(); this.switchView(view); } }, view.name),
      h('span', { id: `count-${view.key}`, class: 'count', 'aria-label': `${this.counts[view.key] ?? 0} conversations` },
        this.counts[view.key] === undefined ? '' : String(this.counts[view.key])))));
    this.heading.textContent = this.view.name;
  }

  switchView(view) {
    this.view = view;
    this.renderNav();
    this.remember();
    this.load();
  }

  /** Shows the place back or forward moved to, without a new history entry. */
  async show(place) {
    const view = VIEWS.find((v) => v.key === place.view) ?? VIEWS[0];
    if (view !== this.view) {
      this.view = view;
      this.renderNav();
      this.load();
    }
    if (place.conversation !== this.selected) await this.open(place.conversation, { moved: true });
  }

  /** Counts for every view, and the list, read again. */
  async refresh() {
    await Promise.all([this.loadCounts(), this.load()]);
  }

  async loadCounts() {
    const counts = await Promise.all(VIEWS.map((view) =>
      api.get(`/v1/conversations/counts${query(view.filter(this.me))}`).then((c) => c.total).catch(() => undefined)));
    VIEWS.forEach((view, i) => { this.counts[view.key] = counts[i]; });
    this.renderNav();
    this.attention.setWaiting(this.counts.waiting ?? 0);
  }

  /** The view's first page (or, with `more`, the next). */
  async load(more = false) {
    if (more && this.loadingMore) return;
    this.loadingMore = more;
    const params = { ...this.view.filter(this.me), order: this.view.order, ...this.filters, q: this.q,
      limit: LIST_PAGE, cursor: more ? this.cursor : undefined };
    const token = (this.loading = Symbol('load'));
    let page;
    try {
      page = await api.get(`/v1/conversations${query(params)}`);
    } catch (error) {
      this.announce(error.message);
      return;
    }
    this.loadingMore = false;
    if (token !== this.loading) return;
    this.conversations = more ? [...this.conversations, ...page.data] : page.data;
    this.cursor = page.next_cursor;
    this.more.hidden = !page.has_more;
    this.renderList();
  }

  renderList() {
    if (!this.conversations.length) {
      fill(this.list, h('li', { class: 'empty-list' }, this.q ? 'Nothing matches this search.' : 'Nothing here right now.'));
      return;
    }
    fill(this.list, this.conversations.map((c) => row(c, {
      selected: c.id === this.selected, members: this.members, me: this.me, onOpen: (id) => this.open(id),
    })));
  }

  /** Opens conversation `id` (none: back to the list); `moved`: back or forward got here. */
  async open(id, { moved = false } = {}) {
    this.selected = id;
    if (id) this.attention.seen(id);
    this.container.classList.toggle('has-selection', Boolean(id));
    if (!moved) this.remember();
    this.renderList();
    await this.thread.open(id);
  }

  /** The place shown becomes a history entry of its own. */
  remember() {
    go({ view: this.view.key, conversation: this.selected });
  }

  onEvent({ type, data }) {
    if (type === 'conversation.typing') {
      this.thread.showTyping(data);
      return;
    }
    if (type === 'conversation.read') return;
    const conversation = data.data?.conversation;
    const conversationId = conversation?.id ?? data.conversation_id;
    this.notice(type, conversation, data.data?.message);
    // Events arriving together share one read; a steady flow still reads at least every 150 ms
    // (resetting the timer on each event would starve it).
    this.refreshTimer ??= setTimeout(() => { this.refreshTimer = null; this.refresh(); }, 150);
    if (conversationId && conversationId === this.selected) {
      this.threadTimer ??= setTimeout(() => { this.threadTimer = null; this.thread.reload().catch(() => {}); }, 100);
    }
  }

  /** A conversation entering Waiting, or a contact writing in one of mine I am not looking at. */
  notice(type, conversation, message) {
    if (!conversation) return;
    const who = conversation.contact?.name || conversation.contact?.email || 'A visitor';
    if (type === 'conversation.handoff_requested') {
      // Counted in the title already, as part of Waiting.
      this.attention.ring(conversation.id, `${who} is waiting for a person`, conversation.handoff?.reason ?? '');
    } else if (type === 'message.created' && message?.sender_type === 'contact'
      && conversation.assignee_id === this.me.id && (conversation.id !== this.selected || document.hidden)) {
      this.attention.raise(conversation.id, `${who} wrote`, message.content);
    }
  }

  connection(state) {
    this.status.hidden = state === 'live';
    this.status.textContent = 'Connection lost: reconnecting…';
    if (state !== 'live') return;
    if (this.firstLive) {
      this.firstLive();
      this.firstLive = null;
      return;
    }
    this.refresh();
    this.thread.reload().catch(() => {});
  }

  announce(text) {
    this.shell.announce(text);
  }

  step(by) {
    const ids = this.conversations.map((c) => c.id);
    const at = ids.indexOf(this.selected);
    const next = ids[Math.min(ids.length - 1, Math.max(0, at < 0 ? 0 : at + by))];
    if (next) {
      this.open(next);
      this.list.querySelector(`[data-id="${next}"]`)?.scrollIntoView({ block: 'nearest' });
    }
  }

  key(event) {
    if (event.metaKey || event.ctrlKey || event.altKey) return;
    const typing = event.target.closest('input, textarea, select, [contenteditable]');
    if (event.key === 'Escape') {
      if (typing) event.target.blur();
      this.shell.dialog?.close();
      return;
    }
    if (typing || this.shell.dialog) return;
    const actions = {
      j: () => this.step(1),
      k: () => this.step(-1),
      r: () => this.thread.focusComposer(false),
      n: () => this.thread.focusComposer(true),
      e: () => this.thread.canAct('resolve') && this.thread.act('resolve'),
      t: () => this.thread.canAct('take') && this.thread.act('start-human', { force: true }),
      '/': () => this.search.focus(),
      '?': () => this.shell.help(),
    };
    const action = actions[event.key];
    if (action) {
      event.preventDefault();
      action();
    }
  }
}

boot();
