// The open conversation: its header and actions, the thread (oldest first, older pages on
// scroll up, notes inline), and the composer.

import { api, query } from './api.js';
import { attachCanned } from './canned.js';
import { details, readContact } from './details.js';
import { MODE_LABEL } from './views.js';
import { ago, contactName, exact, fill, h } from './ui.js';

/** A file icon drawn by the stylesheet (an emoji needs a font the agent's machine may lack). */
const fileIcon = () => h('span', { class: 'file-icon', 'aria-hidden': 'true' });

const PAGE = 50;

export class Thread {
  constructor(root, ctx) {
    this.root = root;
    this.ctx = ctx; // { me, members, onChanged, announce }
    this.id = null;
    this.conversation = null;
    this.messages = [];
    this.notes = [];
    this.noteMode = false;
    this.typingUntil = 0;
    this.files = [];
  }

  async open(id) {
    if (id !== this.id) {
      this.id = id;
      this.messages = [];
      this.notes = [];
      this.noteMode = false;
      this.draft = '';
      this.files = [];
    }
    if (!id) {
      fill(this.root, h('div', { class: 'empty' }, h('p', {}, 'Pick a conversation from the list.'),
        h('p', { class: 'muted' }, 'Press ? for keyboard shortcuts.')));
      return;
    }
    await this.reload();
  }

  /** Reads the conversation and its newest messages again (after any change to it). */
  async reload() {
    const id = this.id;
    if (!id) return;
    const [conversation, page, notes] = await Promise.all([
      api.get(`/v1/conversations/${id}`),
      api.get(`/v1/conversations/${id}/messages${query({ order: 'desc', limit: PAGE })}`),
      api.get(`/v1/conversations/${id}/notes${query({ limit: 100 })}`),
    ]);
    if (id !== this.id) return;
    this.conversation = conversation;
    const older = this.messages.filter((m) => m.seq < (page.data.at(-1)?.seq ?? Infinity));
    this.messages = [...older, ...page.data.reverse()];
    this.hasOlder = older.length ? this.hasOlder : page.has_more;
    this.notes = notes.data;
    this.render();
    if (conversation.unread_count > 0 && this.messages.length) {
      const last = this.messages.at(-1);
      api.post(`/v1/conversations/${id}/read`, { reader: 'member', up_to_message_id: last.id }).catch(() => {});
    }
  }

  async loadOlder() {
    if (!this.hasOlder || this.loadingOlder || !this.messages.length) return;
    this.loadingOlder = true;
    const before = this.messages[0].seq;
    const page = await api.get(`/v1/conversations/${this.id}/messages${query({ order: 'desc', limit: PAGE, before_seq: before })}`);
    this.loadingOlder = false;
    this.messages = [...page.data.reverse(), ...this.messages];
    this.hasOlder = page.has_more;
    const list = this.root.querySelector('.thread');
    const fromBottom = list.scrollHeight - list.scrollTop;
    this.render();
    const again = this.root.querySelector('.thread');
    again.scrollTop = again.scrollHeight - fromBottom;
  }

  /** "… is typing" for the contact, or for another member working on it. */
  showTyping(signal) {
    const { sender_type: sender, member_id: member, typing } = signal.data ?? {};
    if (signal.conversation_id !== this.id || (sender === 'human' && member === this.ctx.me.id)) return;
    if (sender !== 'contact' && sender !== 'human') return;
    const who = sender === 'contact' ? contactName(this.conversation?.contact) : this.ctx.members.get(member)?.name ?? 'A teammate';
    this.typingUntil = typing === false ? 0 : Date.now() + 6000;
    this.typingWho = who;
    const el = this.root.querySelector('.typing');
    if (!el) return;
    el.textContent = `${who} is typing…`;
    el.hidden = typing === false;
    clearTimeout(this.typingTimer);
    this.typingTimer = setTimeout(() => { el.hidden = true; }, 6000);
  }

  async act(action, body = {}) {
    const c = this.conversation;
    if (!c) return;
    try {
      await api.post(`/v1/conversations/${c.id}/${action}`, body);
      await this.reload();
      this.ctx.onChanged();
    } catch (error) {
      this.ctx.announce(error.message);
    }
  }

  canAct(action) {
    const c = this.conversation;
    if (!c) return false;
    const closed = c.status === 'resolved' || c.status === 'closed';
    return { take: c.mode !== 'human' || c.handoff?.member_id !== this.ctx.me.id, handBack: c.mode === 'human',
      resolve: !closed, reopen: closed }[action];
  }

  /** Tells the contact's widget (and other members) someone is writing, at most every 3 s. */
  signalTyping(id) {
    if (this.noteMode || Date.now() - (this.typingSent ?? 0) < 3000) return;
    this.typingSent = Date.now();
    api.post(`/v1/conversations/${id}/typing`, { sender_type: 'human', typing: true }).catch(() => {});
  }

  focusComposer(noteMode) {
    if (noteMode !== undefined && noteMode !== this.noteMode) {
      this.noteMode = noteMode;
      this.render();
    }
    this.root.querySelector('textarea')?.focus();
  }

  render() {
    const c = this.conversation;
    const name = contactName(c.contact);
    const closed = c.status === 'resolved' || c.status === 'closed';
    const assignee = c.assignee_id ? (c.assignee_id === this.ctx.me.id ? 'you' : this.ctx.members.get(c.assignee_id)?.name ?? 'someone') : null;
    const header = h('header', { class: 'pane-head' },
      h('button', { class: 'back', type: 'button', 'aria-label': 'Back to the list', onclick: () => this.ctx.onBack() }, '←'),
      h('div', { class: 'who' },
        h('h2', {}, name),
        h('p', { class: 'muted' },
          h('span', { class: `chip mode-${c.mode}` }, MODE_LABEL[c.mode]), ' ',
          h('span', { class: `chip status-${c.status}` }, c.status), ' ',
          c.channel ? `${c.channel.name} · ` : '',
          assignee ? `assigned to ${assignee}` : 'unassigned')),
      h('div', { class: 'actions' },
        this.canAct('take') && h('button', { type: 'button', onclick: () => this.act('start-human', { force: true }) }, 'Take over'),
        this.canAct('handBack') && h('button', { type: 'button', onclick: () => this.act('stop-human') }, 'Hand back to AI'),
        this.canAct('resolve') && h('button', { type: 'button', class: 'primary', onclick: () => this.act('resolve') }, 'Resolve'),
        this.canAct('reopen') && h('button', { type: 'button', onclick: () => this.act('reopen') }, 'Reopen')));

    const items = [
      ...this.messages.map((m) => ({ at: m.created_at, seq: m.seq, message: m })),
      ...this.notes.map((n) => ({ at: n.created_at, seq: Infinity, note: n })),
    ].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : a.seq - b.seq));
    const thread = h('ol', { class: 'thread', 'aria-label': 'Messages', tabindex: '0',
      onscroll: (event) => { if (event.target.scrollTop < 40) this.loadOlder(); } },
    this.hasOlder && h('li', { class: 'older' }, h('button', { type: 'button', onclick: () => this.loadOlder() }, 'Load older messages')),
    items.map((item) => (item.note ? this.note(item.note) : this.message(item.message, name))));

    const typing = h('p', { class: 'typing', role: 'status', hidden: Date.now() > this.typingUntil }, `${this.typingWho ?? name} is typing…`);
    const side = h('div', { class: 'details-slot' });
    // A live update re-renders while someone may be writing: the draft is kept (this.draft),
    // and so are the caret and the focus.
    const before = this.root.querySelector('textarea');
    const writing = before && document.activeElement === before ? [before.selectionStart, before.selectionEnd] : null;
    // A change made from the details reads them again; a live update keeps one being worked in.
    const inDetails = !this.detailsChanged && this.detailsFor === c.id && this.details?.contains(document.activeElement)
      ? document.activeElement : null;
    if (this.detailsChanged || this.contactFor !== c.id) {
      this.contactRead = readContact(c);
      this.contactFor = c.id;
    }
    this.detailsChanged = false;
    fill(this.root, h('div', { class: 'pane-main' }, header, thread, typing, this.composer(closed)), side);
    thread.scrollTop = thread.scrollHeight;
    // Photos load after the thread is laid out: keep it at the newest message while the
    // reader is there.
    let pinned = true;
    thread.addEventListener('scroll', () => {
      pinned = thread.scrollHeight - thread.scrollTop - thread.clientHeight < 40;
    });
    for (const img of thread.querySelectorAll('img')) {
      img.addEventListener('load', () => { if (pinned) thread.scrollTop = thread.scrollHeight; });
    }
    const box = this.root.querySelector('textarea');
    if (writing && box) {
      box.focus();
      box.setSelectionRange(...writing);
    }
    const id = c.id;
    if (inDetails) {
      fill(side, this.details);
      inDetails.focus();
      return;
    }
    const changed = async () => {
      this.detailsChanged = true;
      await this.reload();
      this.ctx.onChanged();
    };
    details(c, { ...this.ctx, onChanged: changed }, this.contactRead)
      .then((el) => {
        if (this.id !== id) return;
        this.details = el;
        this.detailsFor = id;
        fill(side, el);
      })
      .catch(() => {});
  }

  message(m, contact) {
    if (m.sender_type === 'system') {
      return h('li', { class: 'system' }, h('span', {}, m.content), ' ', h('time', { datetime: m.created_at, title: exact(m.created_at) }, ago(m.created_at)));
    }
    const who = { contact, agent: this.conversation.agent?.name ? `${this.conversation.agent.name} (AI)` : 'AI',
      human: m.sender_id === this.ctx.me.id ? 'You' : this.ctx.members.get(m.sender_id)?.name ?? 'Agent' }[m.sender_type];
    const sources = m.metadata?.sources ?? m.metadata?.citations ?? [];
    return h('li', { class: `msg from-${m.sender_type}` },
      h('div', { class: 'bubble' },
        h('p', { class: 'msg-who' }, who, m.sender_type === 'agent' && h('span', { class: 'chip ai-label' }, 'AI')),
        m.deleted ? h('p', { class: 'muted' }, 'Message deleted') : h('p', { class: 'msg-text' }, m.content),
        m.attachments.map((a) => this.attachment(a)),
        Array.isArray(sources) && sources.length > 0 && h('p', { class: 'sources' }, 'Sources: ',
          sources.map((s, i) => [i ? ', ' : '', /^https?:\/\//i.test(s.url ?? '') ? h('a', { href: s.url, rel: 'noopener noreferrer', target: '_blank' }, s.title || s.url) : (s.title || String(s))])),
        h('p', { class: 'msg-foot' },
          h('time', { datetime: m.created_at, title: exact(m.created_at) }, ago(m.created_at)),
          m.sender_type !== 'contact' && ` · ${m.status}`,
          m.status === 'failed' && m.failure_reason && ` (${m.failure_reason})`)));
  }

  /** Images this server keeps (uploads) show inline; an image elsewhere is only a link, so a
   * visitor's URL can never make the inbox fetch it (a tracking pixel would learn agents'
   * addresses). Other files are links. */
  attachment(a) {
    const name = a.name || a.url.split('/').pop()?.split('?')[0] || 'attachment';
    const link = (child) => h('a', { href: a.url, rel: 'noopener noreferrer', target: '_blank' }, child);
    const shown = new URL(a.url, location.href).origin === location.origin;
    if (['image/png', 'image/jpeg', 'image/gif', 'image/webp'].includes(a.mime_type) && shown) {
      return h('p', { class: 'attachment image' }, link(h('img', { src: a.url, alt: name, loading: 'lazy' })));
    }
    return h('p', { class: 'attachment' }, link([fileIcon(), name]), a.size ? h('span', { class: 'muted' }, ` ${Math.ceil(a.size / 1024)} KB`) : '');
  }

  note(n) {
    const author = n.author_id === this.ctx.me.id ? 'You' : this.ctx.members.get(n.author_id)?.name ?? 'Team';
    return h('li', { class: 'msg note' },
      h('div', { class: 'bubble' },
        h('p', { class: 'msg-who' }, author, h('span', { class: 'chip note-label' }, 'Internal note')),
        h('p', { class: 'msg-text' }, n.body),
        h('p', { class: 'msg-foot' }, h('time', { datetime: n.created_at, title: exact(n.created_at) }, ago(n.created_at)))));
  }

  composer(closed) {
    const c = this.conversation;
    if (c.status === 'closed') {
      return h('div', { class: 'composer off' }, h('p', {}, 'This conversation is closed: replies are off. The contact can start a new one.'));
    }
    const label = this.noteMode ? 'Note' : 'Reply';
    const box = h('textarea', { 'aria-label': label, rows: '3', placeholder: this.noteMode ? 'Write an internal note (only your team sees it)' : 'Write a reply… (Enter sends, Shift+Enter for a new line, / for canned responses)' });
    box.value = this.draft ?? '';
    // Before the Enter that sends: with the picker open, Enter inserts the canned response.
    const picker = attachCanned(box, () => ({ contact: c.contact, member: this.ctx.me }));
    box.addEventListener('input', () => {
      this.draft = box.value;
      this.signalTyping(c.id);
    });
    const send = async () => {
      const text = box.value.trim();
      const files = this.noteMode ? [] : this.files.filter((f) => f.id);
      if (!text && !files.length) return;
      if (this.files.some((f) => !f.id && !f.error)) return this.ctx.announce('Wait for the files to finish uploading');
      box.disabled = true;
      try {
        if (this.noteMode) await api.post(`/v1/conversations/${c.id}/notes`, { body: text });
        else {
          const attachments = files.map((f) => ({ upload_id: f.id }));
          await api.post(`/v1/conversations/${c.id}/messages`, { sender_type: 'human', content: text, attachments });
          this.files = [];
        }
        this.draft = '';
        await this.reload();
        this.ctx.onChanged();
        this.root.querySelector('textarea')?.focus();
      } catch (error) {
        box.disabled = false;
        this.ctx.announce(error.message);
      }
    };
    box.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        send();
      }
    });
    const takesOver = !this.noteMode && c.mode !== 'human';
    const picked = h('input', { type: 'file', hidden: true, multiple: true, onchange: () => {
      this.attach([...picked.files]);
      picked.value = '';
    } });
    const form = h('form', { class: `composer${this.noteMode ? ' note-mode' : ''}`, onsubmit: (event) => { event.preventDefault(); send(); } },
      takesOver && h('p', { class: 'hint' }, c.mode === 'ai' ? 'The AI is answering: replying takes this conversation over.' : 'Replying takes this conversation over.'),
      closed && h('p', { class: 'hint' }, 'This conversation is resolved: a reply does not reopen it (Reopen does).'),
      h('div', { class: 'composer-box' }, picker, box),
      !this.noteMode && this.files.length > 0 && h('ul', { class: 'uploads', 'aria-label': 'Files to send' },
        this.files.map((f) => h('li', { class: f.error ? 'failed' : '' },
          f.error ? `${f.name}: ${f.error}` : f.id ? [fileIcon(), f.name] : `Uploading ${f.name}…`,
          h('button', { type: 'button', class: 'link', 'aria-label': `Remove ${f.name}`, onclick: () => {
            this.files = this.files.filter((other) => other !== f);
            this.render();
          } }, '✕')))),
      h('div', { class: 'composer-bar' },
        h('div', { class: 'composer-tools' },
          h('button', { type: 'button', 'aria-pressed': String(this.noteMode), onclick: () => this.focusComposer(!this.noteMode) }, 'Note'),
          !this.noteMode && h('button', { type: 'button', onclick: () => picked.click() }, 'Attach a file'), picked),
        h('button', { type: 'submit', class: 'primary' }, 'Send')));
    // Files dropped on the composer are attached to the reply.
    form.addEventListener('dragover', (event) => {
      if (this.noteMode || !event.dataTransfer?.types.includes('Files')) return;
      event.preventDefault();
      form.classList.add('dropping');
    });
    form.addEventListener('dragleave', () => form.classList.remove('dropping'));
    form.addEventListener('drop', (event) => {
      form.classList.remove('dropping');
      if (this.noteMode || !event.dataTransfer?.files.length) return;
      event.preventDefault();
      this.attach([...event.dataTransfer.files]);
    });
    return form;
  }

  /** Uploads files for the reply being written; each shows until sent or removed. */
  attach(files) {
    for (const file of files) {
      const entry = { name: file.name, id: null, error: null };
      this.files.push(entry);
      api.upload(file)
        .then((upload) => { entry.id = upload.id; })
        .catch((error) => { entry.error = error.message; })
        .finally(() => this.render());
    }
    this.render();
  }
}
