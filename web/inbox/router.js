// The inbox's addresses: which view and which conversation a URL names, and moving between
// them so that back and forward work and a reload keeps the place. Pages to come (settings,
// reports) add their own fields to a place and their own lines here.

import { query } from './api.js';

const DEFAULT_VIEW = 'waiting';

/** The place `url` names: `{view, conversation}`. */
export function placeOf(url = location) {
  const params = new URLSearchParams(url.search);
  return { view: params.get('view') ?? DEFAULT_VIEW, conversation: params.get('c') };
}

/** The URL of a place. */
export function urlOf({ view, conversation }) {
  return `/${query({ view: view === DEFAULT_VIEW ? undefined : view, c: conversation ?? undefined })}`;
}

/** Moves to `place`: a new history entry, or (`replace`) the current one rewritten. */
export function go(place, { replace = false } = {}) {
  const url = urlOf(place);
  if (url === `${location.pathname}${location.search}`) return;
  history[replace ? 'replaceState' : 'pushState'](null, '', url);
}

/** Calls `show(place)` when back or forward moves to another place. */
export function onMove(show) {
  window.addEventListener('popstate', () => show(placeOf()));
}
