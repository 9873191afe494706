// Narrowing the list: channel, team, tag, priority and status, and the order. The views' counts
// stay whole; the filters apply to the list.

import { api } from './api.js';
import { h } from './ui.js';

const SORTS = [
  ['activity', 'Latest activity', { sort: 'last_message_at', order: 'desc' }],
  ['waiting', 'Longest waiting', { sort: 'last_message_at', order: 'asc' }],
  ['priority', 'Priority', { sort: 'priority', order: 'desc' }],
];

function choice(label, name, options, onchange) {
  const id = `filter-${name}`;
  return h('div', { class: 'filter' },
    h('label', { for: id }, label),
    h('select', { id, name, onchange },
      h('option', { value: '' }, 'Any'),
      options.map(([value, text]) => h('option', { value }, text))));
}

/** The filter bar; `onChange(params)` gets the list parameters it sets. */
export async function filterBar(onChange) {
  const [channels, teams, tags] = await Promise.all(['/v1/channels', '/v1/teams', '/v1/tags'].map((path) =>
    api.get(`${path}?limit=100`).then((page) => page.data).catch(() => [])));
  const form = h('form', { class: 'filters', 'aria-label': 'Filters', onsubmit: (event) => event.preventDefault() });
  const changed = () => {
    const { sort, ...chosen } = Object.fromEntries(new FormData(form));
    const filters = Object.fromEntries(Object.entries(chosen).filter(([, value]) => value));
    onChange({ ...filters, ...(SORTS.find(([key]) => key === sort)?.[2] ?? {}) });
  };
  form.append(
    choice('Channel', 'channel_id', channels.map((c) => [c.id, c.name]), changed),
    choice('Team', 'team_id', teams.map((t) => [t.id, t.name]), changed),
    choice('Tag', 'tag', tags.map((t) => [t.name, t.name]), changed),
    choice('Priority', 'priority', ['urgent', 'high', 'normal', 'low'].map((p) => [p, p[0].toUpperCase() + p.slice(1)]), changed),
    choice('Status', 'status', ['open', 'pending', 'snoozed', 'resolved', 'closed'].map((s) => [s, s[0].toUpperCase() + s.slice(1)]), changed),
    h('div', { class: 'filter' },
      h('label', { for: 'filter-sort' }, 'Sort'),
      h('select', { id: 'filter-sort', name: 'sort', onchange: changed },
        h('option', { value: '' }, 'The view’s order'),
        SORTS.map(([key, text]) => h('option', { value: key }, text)))));
  return h('details', { class: 'filter-bar' }, h('summary', {}, 'Filters and order'), form);
}
