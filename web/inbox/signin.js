// The pages before the inbox: signing in, and creating the first admin from the setup link.

import { api } from './api.js';
import { fill, h } from './ui.js';

function field(label, props) {
  const id = `f-${props.name}`;
  return h('div', { class: 'field' }, h('label', { for: id }, label), h('input', { id, ...props }));
}

function page(title, lead, form) {
  return h('main', { class: 'gate' },
    h('div', { class: 'gate-card' },
      h('p', { class: 'brand', 'aria-hidden': 'true' }, 'Baton'),
      h('h1', {}, title),
      lead && h('p', { class: 'lead' }, lead),
      form));
}

/** Runs `submit(values)` on submit, showing its error in the form; the button waits meanwhile. */
function form(fields, button, submit) {
  const error = h('p', { class: 'form-error', role: 'alert', hidden: true });
  const send = h('button', { type: 'submit', class: 'primary' }, button);
  const el = h('form', { novalidate: true }, fields, error, send);
  el.addEventListener('submit', async (event) => {
    event.preventDefault();
    const values = Object.fromEntries(new FormData(el));
    send.disabled = true;
    error.hidden = true;
    try {
      await submit(values);
    } catch (failure) {
      const fieldErrors = failure.problem?.errors?.map((e) => `${e.field}: ${e.message}`) ?? [];
      error.textContent = fieldErrors.length ? fieldErrors.join('. ') : failure.message;
      error.hidden = false;
      send.disabled = false;
      el.querySelector('input[type=password]')?.select();
    }
  });
  return el;
}

export function signIn(root, onSignedIn) {
  const el = form(
    [
      field('Email', { name: 'email', type: 'email', autocomplete: 'username', required: true, autofocus: true }),
      field('Password', { name: 'password', type: 'password', autocomplete: 'current-password', required: true }),
    ],
    'Sign in',
    async (values) => {
      await api.post('/v1/auth/session', { email: values.email, password: values.password });
      await onSignedIn();
    },
  );
  fill(root, page('Sign in to the inbox', null, el));
  el.querySelector('input').focus();
}

export function setUp(root, token, onSignedIn) {
  const el = form(
    [
      field('Your name', { name: 'name', autocomplete: 'name', required: true }),
      field('Email', { name: 'email', type: 'email', autocomplete: 'username', required: true }),
      field('Password', { name: 'password', type: 'password', autocomplete: 'new-password', minlength: 8, required: true }),
    ],
    'Create the admin and sign in',
    async (values) => {
      await api.post('/v1/auth/setup', { token, ...values });
      history.replaceState(null, '', '/');
      await onSignedIn();
    },
  );
  fill(root, page('Set up Baton', 'Create the first admin of this workspace. The link works once.', el));
  el.querySelector('input').focus();
}
