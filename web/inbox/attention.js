// Getting a member's attention: the tab title counts what waits (the Waiting queue, and contacts
// writing in conversations of theirs they are not looking at), and, when they turn them on, a
// sound and a desktop notification (permission is asked for only then).

import { h } from './ui.js';

const KEY = 'baton.attention';

export class Attention {
  constructor() {
    this.settings = JSON.parse(localStorage.getItem(KEY) ?? '{}');
    this.pending = new Set();
    this.waiting = 0;
  }

  /** The two switches, for the sidebar. */
  controls() {
    const toggle = (name, label, turnOn) => h('label', { class: 'switch' },
      h('input', { type: 'checkbox', checked: Boolean(this.settings[name]),
        onchange: async (event) => {
          const on = event.target.checked && (await turnOn());
          event.target.checked = on;
          this.settings[name] = on;
          localStorage.setItem(KEY, JSON.stringify(this.settings));
        } }),
      label);
    return h('fieldset', { class: 'attention' },
      h('legend', {}, 'Tell me'),
      toggle('sound', 'Sound', async () => { this.audio ??= new AudioContext(); return true; }),
      toggle('desktop', 'Desktop notifications', async () =>
        'Notification' in window && (await Notification.requestPermission()) === 'granted'));
  }

  /** Something new needs `conversationId`'s member: count it, and ring if asked to. */
  raise(conversationId, title, body) {
    this.pending.add(conversationId);
    this.title();
    this.ring(conversationId, title, body);
  }

  /** A sound and a desktop notification, each if the member turned it on. */
  ring(conversationId, title, body) {
    if (this.settings.sound) this.beep();
    if (this.settings.desktop && 'Notification' in window && Notification.permission === 'granted') {
      new Notification(title, { body, tag: conversationId });
    }
  }

  /** The member opened it. */
  seen(conversationId) {
    if (this.pending.delete(conversationId)) this.title();
  }

  setWaiting(count) {
    this.waiting = count;
    this.title();
  }

  title() {
    const count = this.waiting + this.pending.size;
    document.title = count > 0 ? `(${count}) Baton` : 'Baton';
  }

  beep() {
    this.audio ??= new AudioContext();
    const tone = this.audio.createOscillator();
    const gain = this.audio.createGain();
    tone.frequency.value = 880;
    gain.gain.setValueAtTime(0.15, this.audio.currentTime);
    gain.gain.exponentialRampToValueAtTime(0.001, this.audio.currentTime + 0.3);
    tone.connect(gain).connect(this.audio.destination);
    tone.start();
    tone.stop(this.audio.currentTime + 0.3);
  }
}
