// The inbox's views: which conversations each shows, how they sort, and how a row looks.

import { ago, contactName, exact, h } from './ui.js';

/** Each view's filters are ones the counts keep tallies of (status, mode, assignee). */
export const VIEWS = [
  { key: 'waiting', name: 'Waiting', hint: 'Handed over by the AI, longest waiting first',
    filter: () => ({ mode: 'handoff_requested', status: 'open,pending' }), order: 'asc' },
  { key: 'mine', name: 'Mine', hint: 'Assigned to you',
    filter: (me) => ({ assignee_id: me.id, status: 'open,pending,snoozed' }) },
  { key: 'unassigned', name: 'Unassigned', hint: 'Nobody has them yet',
    filter: () => ({ assignee_id: 'none', status: 'open,pending' }) },
  { key: 'ai', name: 'AI', hint: 'The AI is answering these right now',
    filter: () => ({ mode: 'ai', status: 'open,pending' }) },
  { key: 'all', name: 'All', hint: 'Every conversation not yet resolved',
    filter: () => ({ status: 'open,pending,snoozed' }) },
  { key: 'resolved', name: 'Resolved', hint: 'Resolved and closed',
    filter: () => ({ status: 'resolved,closed' }) },
];

export const MODE_LABEL = { ai: 'AI', handoff_requested: 'Waiting', human: 'Human' };

const SENDER_PREFIX = { agent: 'AI: ', human: 'Agent: ', contact: '', system: '' };

/** One row of the list. */
export function row(conversation, { selected, members, me, onOpen }) {
  const name = contactName(conversation.contact);
  // System markers ("A human agent joined") are not what anyone said: show the message before.
  const last = conversation.last_message?.sender_type === 'system'
    ? conversation.previous_message ?? conversation.last_message
    : conversation.last_message;
  const assignee = conversation.assignee_id
    ? conversation.assignee_id === me.id ? 'You' : members.get(conversation.assignee_id)?.name ?? 'Someone'
    : null;
  const waitingSince = conversation.mode === 'handoff_requested' ? conversation.handoff?.requested_at : null;
  const at = conversation.last_message_at || conversation.created_at;
  // The link holds who and what was said (its name); the time, counts and chips sit beside it
  // in the row, which the link covers (so no row link is named like a view).
  return h('li', { class: `row${selected ? ' selected' : ''}` },
    h('a', {
      href: `/?c=${conversation.id}`,
      'aria-current': selected ? 'true' : undefined,
      dataset: { id: conversation.id },
      onclick: (event) => {
        if (event.metaKey || event.ctrlKey || event.shiftKey) return;
        event.preventDefault();
        onOpen(conversation.id);
      },
    },
    h('span', { class: 'row-name' }, name),
    h('span', { class: 'row-preview' },
      last ? `${SENDER_PREFIX[last.sender_type] ?? ''}${last.preview}` : 'No messages yet')),
    h('span', { class: 'row-side' },
      h('time', { class: 'row-time', datetime: at, title: exact(at) }, ago(at)),
      conversation.unread_count > 0 &&
        h('span', { class: 'unread', title: `${conversation.unread_count} unread` }, String(conversation.unread_count))),
    h('span', { class: 'row-meta' },
      h('span', { class: `chip mode-${conversation.mode}` }, MODE_LABEL[conversation.mode]),
      waitingSince && h('span', { class: 'waited', title: `Waiting since ${exact(waitingSince)}` },
        `waiting ${ago(waitingSince)}`),
      conversation.channel && h('span', { class: 'chip' }, conversation.channel.type),
      conversation.priority !== 'normal' && h('span', { class: `chip priority-${conversation.priority}` },
        conversation.priority),
      assignee && h('span', { class: 'assignee' }, assignee),
      conversation.tags.map((tag) => h('span', { class: 'tag' }, tag))));
}
