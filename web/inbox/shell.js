// The frame every signed-in page shares: the sidebar (brand, the page's own navigation, the
// notification switches, who is signed in, help and sign-out) and the region that announces
// what went wrong. A page gives its navigation and its columns; the shell does the rest.

import { api } from './api.js';
import { fill, h, initials } from './ui.js';

const SHORTCUTS = [
  ['j / k', 'Next / previous conversation'],
  ['r', 'Reply'],
  ['n', 'Write an internal note'],
  ['e', 'Resolve'],
  ['t', 'Take over'],
  ['/', 'Search conversations'],
  ['?', 'These shortcuts'],
  ['Esc', 'Leave the text box'],
];

export class Shell {
  /** `me`: the signed-in member; `controls`: what the sidebar shows under the navigation. */
  constructor(root, me, { controls = [], onSignOut = () => {} } = {}) {
    this.root = root;
    this.me = me;
    this.controls = controls;
    this.onSignOut = onSignOut;
    this.live = h('p', { class: 'toast', role: 'alert', hidden: true });
  }

  /** Shows a page: its navigation (labelled `navLabel`) in the sidebar and its `columns`. */
  mount({ nav, navLabel = 'Views', className = '' }, ...columns) {
    const me = h('div', { class: 'me' },
      h('span', { class: 'avatar', 'aria-hidden': 'true' }, initials(this.me.name)),
      h('span', { class: 'me-name' }, this.me.name),
      h('button', { type: 'button', class: 'link', onclick: () => this.signOut() }, 'Sign out'));
    this.frame = h('div', { class: `inbox ${className}`.trim() },
      h('nav', { class: 'sidebar', 'aria-label': navLabel },
        h('p', { class: 'brand' }, 'Baton'), nav, this.controls, me,
        h('button', { type: 'button', class: 'link help', onclick: () => this.help() }, 'Keyboard shortcuts ?')),
      ...columns);
    fill(this.root, this.frame, this.live);
    return this.frame;
  }

  /** Shows what went wrong (and screen readers say it) for a few seconds. */
  announce(text) {
    this.live.textContent = text;
    this.live.hidden = false;
    clearTimeout(this.toastTimer);
    this.toastTimer = setTimeout(() => { this.live.hidden = true; }, 6000);
  }

  /** The dialog open over the page, if any (Esc closes it; shortcuts wait while it is open). */
  get dialog() {
    return this.openDialog?.open ? this.openDialog : null;
  }

  help() {
    this.openDialog?.remove();
    this.openDialog = h('dialog', { class: 'help-dialog', 'aria-labelledby': 'help-title' },
      h('h2', { id: 'help-title' }, 'Keyboard shortcuts'),
      h('dl', {}, SHORTCUTS.map(([keys, what]) => [h('dt', {}, h('kbd', {}, keys)), h('dd', {}, what)])),
      h('form', { method: 'dialog' }, h('button', { class: 'primary' }, 'Close')));
    document.body.append(this.openDialog);
    this.openDialog.showModal();
  }

  async signOut() {
    this.onSignOut();
    await api.post('/v1/auth/logout').catch(() => {});
    location.assign('/');
  }
}
