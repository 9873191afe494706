// Beside the thread: who the contact is (and their other conversations), and what the team
// sets on the conversation: assignee, team, priority, status and snooze, tags, a ticket.

import { api, query } from './api.js';
import { ago, contactName, exact, h } from './ui.js';

const PRIORITIES = ['low', 'normal', 'high', 'urgent'];

/** When a snooze ends: in an hour, tomorrow at 9:00, next Monday at 9:00. */
function snoozeTimes(now = new Date()) {
  const at9 = (date) => { date.setHours(9, 0, 0, 0); return date; };
  const tomorrow = at9(new Date(now.getFullYear(), now.getMonth(), now.getDate() + 1));
  const monday = at9(new Date(now.getFullYear(), now.getMonth(), now.getDate() + ((8 - now.getDay()) % 7 || 7)));
  return [['1 hour', new Date(now.getTime() + 3600_000)], ['Tomorrow', tomorrow], ['Next week', monday]];
}

function section(title, ...body) {
  return h('section', { class: 'detail' }, h('h3', {}, title), body);
}

function select(label, value, options, onchange) {
  const id = `sel-${label.toLowerCase().replace(/\W+/g, '-')}`;
  return h('div', { class: 'field-row' },
    h('label', { for: id }, label),
    h('select', { id, onchange: (event) => onchange(event.target.value) },
      options.map(([v, text]) => h('option', { value: v, selected: v === value }, text))));
}

/** The contact and their other conversations: read once per open conversation (and again
 * after a change made from here), not on every live update. */
export function readContact(conversation) {
  const id = conversation.contact.id;
  return Promise.all([
    api.get(`/v1/contacts/${id}`).catch(() => null),
    api.get(`/v1/conversations${query({ contact_id: id, limit: 6, include_removed: false })}`).catch(() => ({ data: [] })),
  ]);
}

export async function details(conversation, ctx, contactRead) {
  const c = conversation;
  const change = async (path, body, method = 'patch') => {
    try {
      await api[method](path, body);
      await ctx.onChanged();
    } catch (error) {
      ctx.announce(error.message);
    }
  };
  const patch = (body) => change(`/v1/conversations/${c.id}`, body);
  const [[contact, others], teams] = await Promise.all([contactRead, ctx.teams()]);

  // A visitor's id the site did not prove (identity verification off): shown as their claim only.
  // What a visitor typed into the widget is their claim, not a verified identity.
  const { unverified_external_id: claimed, widget_email: typed, ...custom } = contact?.custom_attributes ?? {};
  const attributes = Object.entries(custom);
  const externalId = contact?.external_id ?? (claimed && `${claimed} (unverified)`);
  const email = contact?.email ?? (typed && `${typed} (unverified)`);
  const who = section('Contact',
    h('dl', { class: 'facts' },
      [['Name', contact?.name], ['Email', email], ['Phone', contact?.phone], ['External id', externalId],
        ...attributes.map(([key, value]) => [key, typeof value === 'string' ? value : JSON.stringify(value)])]
        .filter(([, value]) => value)
        .map(([term, value]) => [h('dt', {}, term), h('dd', {}, value)])),
    contact && h('button', { type: 'button', class: contact.blocked ? '' : 'danger',
      onclick: () => change(`/v1/contacts/${contact.id}/${contact.blocked ? 'unblock' : 'block'}`, {}, 'post') },
    contact.blocked ? 'Unblock contact' : 'Block contact'),
    contact?.blocked && h('p', { class: 'hint' }, `${contactName(contact)} is blocked: their messages are refused.`));

  const previous = others.data.filter((o) => o.id !== c.id);
  const history = section('Previous conversations',
    previous.length
      ? h('ul', { class: 'previous' }, previous.map((o) => h('li', {},
        h('a', { href: `/?c=${o.id}`, onclick: (event) => { event.preventDefault(); ctx.open(o.id); } },
          o.title || o.last_message?.preview || `Conversation #${o.number}`),
        h('span', { class: 'muted' }, ` · ${o.status} · `, h('time', { datetime: o.created_at, title: exact(o.created_at) }, ago(o.created_at))))))
      : h('p', { class: 'muted' }, 'None.'));

  const memberOptions = [['', 'Nobody'], ...[...ctx.members.values()].map((m) => [m.id, m.id === ctx.me.id ? `${m.name} (you)` : m.name])];
  const work = section('Conversation',
    select('Assignee', c.assignee_id ?? '', memberOptions, (id) => patch({ assignee_id: id || null })),
    c.assignee_id !== ctx.me.id && h('button', { type: 'button', class: 'link', onclick: () => patch({ assignee_id: ctx.me.id }) }, 'Assign to me'),
    select('Team', c.team_id ?? '', [['', 'No team'], ...teams.map((t) => [t.id, t.name])], (id) => patch({ team_id: id || null })),
    select('Priority', c.priority, PRIORITIES.map((p) => [p, p[0].toUpperCase() + p.slice(1)]), (priority) => patch({ priority })),
    h('div', { class: 'field-row' }, h('span', { class: 'label' }, 'Status'),
      h('span', {}, c.status, c.status === 'snoozed' && c.snoozed_until ? ` until ${exact(c.snoozed_until)}` : '')),
    h('div', { class: 'buttons' },
      c.status !== 'pending' && c.status !== 'closed' && h('button', { type: 'button', onclick: () => patch({ status: 'pending' }) }, 'Pending'),
      snoozeTimes().map(([label, until]) => h('button', { type: 'button', title: `Snooze until ${until.toLocaleString()}`,
        onclick: () => patch({ status: 'snoozed', snoozed_until: until.toISOString() }) }, `Snooze ${label.toLowerCase()}`))),
    h('form', { class: 'snooze-at', onsubmit: (event) => {
      event.preventDefault();
      const value = new FormData(event.target).get('until');
      if (value) patch({ status: 'snoozed', snoozed_until: new Date(value).toISOString() });
    } },
    h('label', { for: 'snooze-until' }, 'Snooze until'),
    h('input', { id: 'snooze-until', name: 'until', type: 'datetime-local' }),
    h('button', { type: 'submit' }, 'Snooze')));

  const tags = section('Tags',
    h('form', { class: 'tags-form', onsubmit: (event) => {
      event.preventDefault();
      const names = new FormData(event.target).get('tags').split(',').map((t) => t.trim()).filter(Boolean);
      change(`/v1/conversations/${c.id}/tags`, { tags: names }, 'put');
    } },
    h('label', { for: 'tags-input', class: 'visually-hidden' }, 'Tags, separated by commas'),
    h('input', { id: 'tags-input', name: 'tags', value: c.tags.join(', '), placeholder: 'refund, vip' }),
    h('button', { type: 'submit' }, 'Save tags')));

  const ticket = section('Ticket',
    c.ticket
      ? h('p', {}, `Ticket #${c.ticket.number} · ${c.ticket.status}`)
      : h('button', { type: 'button', onclick: () => change(`/v1/conversations/${c.id}/ticket`, {}, 'post') }, 'Open a ticket'));

  return h('aside', { class: 'details', 'aria-label': 'Details' }, who, work, tags, ticket, history);
}
