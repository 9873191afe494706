// Small helpers every view uses: building elements (text only, never HTML strings, so
// nothing a customer wrote can become markup), times, and names.

/** An element: `h('button', {class: 'x', onclick: f}, 'Send')`. */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on')) el.addEventListener(key.slice(2), value);
    else if (key === 'class') el.className = value;
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else el.setAttribute(key, value === true ? '' : value);
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

/** "just now", "5 min", "3 h", "2 d", or the date. */
export function ago(iso, now = Date.now()) {
  if (!iso) return '';
  const seconds = Math.max(0, (now - Date.parse(iso)) / 1000);
  if (seconds < 45) return 'just now';
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  if (seconds < 86400) return `${Math.round(seconds / 3600)} h`;
  if (seconds < 7 * 86400) return `${Math.round(seconds / 86400)} d`;
  return new Date(iso).toLocaleDateString();
}

/** A time for a tooltip: the full local date and time. */
export function exact(iso) {
  return iso ? new Date(iso).toLocaleString() : '';
}

export function contactName(contact) {
  return contact?.name || contact?.email || contact?.phone || contact?.external_id || 'Visitor';
}

export function initials(name) {
  return name.split(/\s+/).filter(Boolean).slice(0, 2).map((w) => w[0].toUpperCase()).join('') || '?';
}

/** Replaces the children of `el`. */
export function fill(el, ...children) {
  el.replaceChildren(...children.flat(Infinity).filter((c) => c !== null && c !== undefined && c !== false));
  return el;
}
