// Baton's chat widget for any website:
//   <script src="https://HOST/widget.js" data-key="bt_pk_…" async></script>
// It adds a launcher button and the chat in a frame served by Baton, so the host page's CSS
// and scripts cannot reach into it (and it cannot reach into theirs). window.Baton: open(),
// close(), toggle(), identify({external_id, user_hash?, name?, email?}), reset(),
// on('ready' | 'open' | 'close' | 'message', fn). Options as data- attributes: position
// (right | left), color, launcher-text, locale, require-email.
(function () {
  'use strict';
  if (window.Baton && window.Baton.loaded) return;
  var script = document.currentScript || document.querySelector('script[src*="/widget.js"][data-key]');
  if (!script) return;
  var data = script.dataset;
  var base = new URL(script.src, location.href).origin;
  var color = /^#[0-9a-f]{3,8}$/i.test(data.color || '') ? data.color : '#3b5bdb';
  var side = data.position === 'left' ? 'left' : 'right';
  var listeners = { ready: [], open: [], close: [], message: [] };
  var isOpen = false;
  var ready = false;
  var queued = [];

  function css(element, styles) {
    for (var name in styles) element.style.setProperty(name, styles[name]);
    return element;
  }
  function emit(name, value) {
    (listeners[name] || []).forEach(function (fn) {
      try { fn(value); } catch (error) { setTimeout(function () { throw error; }); }
    });
  }

  var host = document.createElement('div');
  host.setAttribute('data-baton-widget', '');
  var root = host.attachShadow ? host.attachShadow({ mode: 'open' }) : host;

  var launcher = css(document.createElement('button'), {
    position: 'fixed', bottom: '20px', [side]: '20px', 'z-index': '2147483000', height: '56px',
    'min-width': '56px', padding: '0 18px', border: '0', 'border-radius': '28px', background: color,
    color: '#fff', font: '600 15px/1 system-ui, sans-serif', cursor: 'pointer', display: 'flex',
    'align-items': 'center', 'justify-content': 'center', gap: '8px',
    'box-shadow': '0 6px 20px rgba(0,0,0,.22)',
  });
  launcher.type = 'button';
  launcher.setAttribute('aria-label', 'Open chat');
  launcher.setAttribute('aria-expanded', 'false');
  launcher.setAttribute('aria-haspopup', 'dialog');
  var svg = 'http://www.w3.org/2000/svg';
  var icon = document.createElementNS(svg, 'svg');
  icon.setAttribute('viewBox', '0 0 24 24');
  icon.setAttribute('width', '26');
  icon.setAttribute('height', '26');
  icon.setAttribute('aria-hidden', 'true');
  var path = document.createElementNS(svg, 'path');
  path.setAttribute('d', 'M4 5.5A2.5 2.5 0 0 1 6.5 3h11A2.5 2.5 0 0 1 20 5.5v8a2.5 2.5 0 0 1-2.5 2.5H10l-4.2 3.6A.5.5 0 0 1 5 19.2V16h-.5A2.5 2.5 0 0 1 2 13.5v-8Z');
  path.setAttribute('fill', 'currentColor');
  icon.appendChild(path);
  launcher.appendChild(icon);
  if (data.launcherText) {
    var text = document.createElement('span');
    text.textContent = data.launcherText;
    launcher.appendChild(text);
  }
  var badge = css(document.createElement('span'), {
    position: 'absolute', top: '-4px', [side === 'right' ? 'right' : 'left']: '-4px', 'min-width': '20px',
    height: '20px', padding: '0 5px', 'border-radius': '10px', background: '#d92d20', color: '#fff',
    font: '700 12px/20px system-ui, sans-serif', 'text-align': 'center', display: 'none',
  });
  badge.setAttribute('aria-hidden', 'true');
  launcher.appendChild(badge);

  var query = new URLSearchParams({ key: data.key || '', locale: data.locale || navigator.language || 'en', color: color });
  if (data.requireEmail !== undefined && data.requireEmail !== 'false') query.set('require_email', 'true');
  var frame = css(document.createElement('iframe'), {
    position: 'fixed', bottom: '88px', [side]: '20px', 'z-index': '2147483001', width: '380px',
    height: 'min(640px, calc(100vh - 110px))', border: '0', 'border-radius': '16px',
    'box-shadow': '0 12px 40px rgba(0,0,0,.25)', background: '#fff', display: 'none',
    'color-scheme': 'normal',
  });
  frame.title = 'Chat';
  frame.src = base + '/widget/frame?' + query.toString();
  frame.setAttribute('allow', 'clipboard-write');

  // On a phone the open chat covers the page, which stays put behind it (its own overflow
  // is put back on closing).
  var hostOverflow = null;
  function fit() {
    var narrow = window.innerWidth < 480;
    css(frame, narrow
      ? { width: '100vw', height: '100%', bottom: '0', [side]: '0', 'border-radius': '0' }
      : { width: '380px', height: 'min(640px, calc(100vh - 110px))', bottom: '88px', [side]: '20px', 'border-radius': '16px' });
    launcher.style.display = narrow && isOpen ? 'none' : 'flex';
    var root = document.documentElement.style;
    if (narrow && isOpen && hostOverflow === null) {
      hostOverflow = root.overflow;
      root.overflow = 'hidden';
    } else if (!(narrow && isOpen) && hostOverflow !== null) {
      root.overflow = hostOverflow;
      hostOverflow = null;
    }
  }

  var slot = 'baton.widget.' + (data.key || '').slice(-12);
  function kept() {
    try { return localStorage.getItem(slot); } catch (error) { return null; }
  }
  function keep(value) {
    try {
      if (typeof value === 'string') localStorage.setItem(slot, value);
      else localStorage.removeItem(slot);
    } catch (error) {
      // No storage here either: the chat lasts as long as the page.
    }
  }

  function send(message) {
    if (!ready) { queued.push(message); return; }
    frame.contentWindow.postMessage(message, base);
  }
  function setOpen(open) {
    if (open === isOpen) return;
    isOpen = open;
    frame.style.display = open ? 'block' : 'none';
    launcher.setAttribute('aria-expanded', String(open));
    fit();
    send({ baton: open ? 'open' : 'close' });
    if (open) frame.focus();
    else launcher.focus();
    emit(open ? 'open' : 'close');
  }

  window.addEventListener('message', function (event) {
    if (event.origin !== base || event.source !== frame.contentWindow || !event.data) return;
    var message = event.data;
    if (message.baton === 'ready') {
      ready = true;
      queued.splice(0).forEach(send);
      if (isOpen) send({ baton: 'open' });
      emit('ready');
    } else if (message.baton === 'unread') {
      badge.textContent = message.count > 9 ? '9+' : String(message.count);
      badge.style.display = message.count > 0 ? 'block' : 'none';
    } else if (message.baton === 'message') {
      emit('message', message.message);
    } else if (message.baton === 'close') {
      setOpen(false);
    } else if (message.baton === 'storage') {
      // The browser keeps the frame from storage: the session is kept on this site instead.
      frame.contentWindow.postMessage({ baton: 'restore', value: kept() }, base);
    } else if (message.baton === 'save') {
      keep(message.value);
    }
  });
  launcher.addEventListener('click', function () { setOpen(!isOpen); });
  window.addEventListener('resize', fit);
  document.addEventListener('keydown', function (event) {
    if (event.key === 'Escape' && isOpen) setOpen(false);
  });

  root.appendChild(frame);
  root.appendChild(launcher);
  (document.body || document.documentElement).appendChild(host);

  window.Baton = {
    loaded: true,
    open: function () { setOpen(true); },
    close: function () { setOpen(false); },
    toggle: function () { setOpen(!isOpen); },
    identify: function (user) { send({ baton: 'identify', user: user }); },
    reset: function () { send({ baton: 'reset' }); },
    on: function (name, fn) {
      if (listeners[name] && typeof fn === 'function') listeners[name].push(fn);
      if (name === 'ready' && ready) fn();
    },
  };
})();
