// Canned responses in the composer: "/" and a shortcode at the start of the box lists the
// matches; arrows pick one, Enter or Tab inserts it with its placeholders filled in.

import { api, query } from './api.js';
import { fill, h } from './ui.js';

/** The placeholders a canned response may hold, filled in for this contact and member. */
export function fillPlaceholders(body, { contact, member }) {
  const name = contact?.name ?? '';
  const values = {
    'contact.name': name,
    'contact.first_name': name.split(/\s+/)[0] ?? '',
    'contact.email': contact?.email ?? '',
    'member.name': member?.name ?? '',
  };
  return body.replace(/\{\{\s*([a-z_.]+)\s*\}\}/g, (whole, key) => (key in values ? values[key] : whole));
}

/** Attaches the picker to `box`; `context()` gives the contact and member to fill in. */
export function attachCanned(box, context) {
  const list = h('ul', { class: 'canned', role: 'listbox', id: 'canned-list', 'aria-label': 'Canned responses', hidden: true });
  let items = [];
  let active = 0;
  let asked = 0;

  const close = () => {
    list.hidden = true;
    items = [];
    box.removeAttribute('aria-activedescendant');
    box.removeAttribute('aria-controls');
  };

  const render = () => {
    fill(list, items.map((item, i) => h('li', {
      id: `canned-${i}`, role: 'option', 'aria-selected': String(i === active),
      onmousedown: (event) => { event.preventDefault(); insert(i); },
    }, h('strong', {}, `/${item.shortcode}`), item.title ? ` ${item.title}` : '', h('span', { class: 'canned-body' }, item.body))));
    list.hidden = items.length === 0;
    if (items.length) {
      box.setAttribute('aria-controls', list.id);
      box.setAttribute('aria-activedescendant', `canned-${active}`);
    }
  };

  const insert = (i) => {
    const item = items[i];
    if (!item) return;
    box.value = fillPlaceholders(item.body, context());
    box.dispatchEvent(new Event('input'));
    close();
    box.focus();
  };

  box.addEventListener('input', async () => {
    const match = /^\/([a-z0-9_-]*)$/.exec(box.value);
    if (!match) return close();
    const mine = ++asked;
    const found = await api.get(`/v1/canned-responses${query({ q: match[1], limit: 8 })}`).catch(() => ({ data: [] }));
    if (mine !== asked) return;
    items = found.data;
    active = 0;
    render();
  });

  box.addEventListener('keydown', (event) => {
    if (list.hidden) return;
    const moves = { ArrowDown: 1, ArrowUp: -1 };
    if (event.key in moves) {
      event.preventDefault();
      active = (active + moves[event.key] + items.length) % items.length;
      render();
    } else if (event.key === 'Enter' || event.key === 'Tab') {
      event.preventDefault();
      event.stopImmediatePropagation();
      insert(active);
    } else if (event.key === 'Escape') {
      event.stopPropagation();
      close();
    }
  });
  box.addEventListener('blur', () => setTimeout(close, 150));
  return list;
}
