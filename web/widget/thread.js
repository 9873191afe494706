// The visitor's thread as DOM: bubbles for messages (text only ever as text), images inline,
// other files as downloads, system lines, and the state of the visitor's own sends.

/** A small element builder: `h('p', {class: 'x'}, 'text', child)`; falsy children skipped. */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === false || value === null || value === undefined) continue;
    if (name.startsWith('on')) element.addEventListener(name.slice(2), value);
    else element.setAttribute(name, value === true ? '' : value);
  }
  for (const child of children.flat(Infinity)) {
    if (child === false || child === null || child === undefined || child === '') continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

const INLINE = ['image/png', 'image/jpeg', 'image/gif', 'image/webp'];
const SVG = 'http://www.w3.org/2000/svg';

/** A document icon drawn with SVG (an emoji needs a font the visitor may not have). */
function fileIcon() {
  const icon = document.createElementNS(SVG, 'svg');
  for (const [name, value] of Object.entries({ viewBox: '0 0 24 24', width: 16, height: 16, 'aria-hidden': 'true' })) {
    icon.setAttribute(name, value);
  }
  const path = document.createElementNS(SVG, 'path');
  path.setAttribute('d', 'M6 2h8l5 5v13a2 2 0 0 1-2 2H6a2 2 0 0 1-2-2V4a2 2 0 0 1 2-2zm7 1.5V8h4.5');
  path.setAttribute('fill', 'none');
  path.setAttribute('stroke', 'currentColor');
  path.setAttribute('stroke-width', '1.8');
  path.setAttribute('stroke-linejoin', 'round');
  icon.append(path);
  return icon;
}

function attachment(a, t) {
  const name = a.name || t('file');
  if (INLINE.includes(a.mime_type)) {
    return h('a', { href: a.url, target: '_blank', rel: 'noopener' }, h('img', { src: a.url, alt: name }));
  }
  const size = a.size ? ` (${Math.max(1, Math.round(a.size / 1024))} KB)` : '';
  return h('a', { class: 'file', href: a.url, download: name, target: '_blank', rel: 'noopener' }, fileIcon(), `${name}${size}`);
}

/** Who wrote a message, as the visitor reads it. */
function author(m, t) {
  if (m.sender_type === 'agent') return [m.sender_name || t('assistant'), h('span', { class: 'chip' }, t('aiLabel'))];
  if (m.sender_type === 'human') return [m.sender_name || t('person')];
  return null;
}

/** A message (or a pending send: `{pending: true | 'failed', content, attachments}`). */
export function messageItem(m, t, { showAuthor, onRetry } = {}) {
  if (m.sender_type === 'system') return h('li', { class: 'system' }, m.content);
  const mine = m.sender_type === 'contact';
  const body = m.deleted
    ? h('p', { class: 'deleted' }, t('deleted'))
    : [m.content && h('p', {}, m.content), (m.attachments || []).map((a) => attachment(a, t))];
  let meta = null;
  if (m.pending === true) meta = h('p', { class: 'meta' }, t('sending'));
  else if (m.pending === 'failed') {
    meta = h('p', { class: 'meta failed' }, `${t('notSent')} `, h('button', { type: 'button', onclick: onRetry }, t('retry')));
  }
  return h('li', { class: `msg${mine ? ' mine' : ''}`, 'data-id': m.id || null },
    !mine && showAuthor && h('p', { class: 'who-line' }, author(m, t)),
    h('div', { class: 'bubble' }, body),
    meta);
}

/** The greeting shown before the visitor writes (not stored: it is the agent's, per version). */
export function greetingItem(text, name, t) {
  return messageItem({ sender_type: 'agent', sender_name: name, content: text, attachments: [] }, t, { showAuthor: true });
}
