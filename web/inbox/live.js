// The event stream, read with fetch (so the session cookie signs it), resumed from the last
// event id after any drop, so nothing is lost. Calls `onEvent({type, data})` per event and
// `onState('live' | 'reconnecting')` when the connection changes.

export function follow(path, { onEvent, onState }) {
  let lastId = null;
  let stopped = false;
  let retry = 500;
  let controller = null;

  async function connect() {
    while (!stopped) {
      controller = new AbortController();
      try {
        const headers = { accept: 'text/event-stream' };
        if (lastId) headers['last-event-id'] = lastId;
        const response = await fetch(path, { headers, credentials: 'same-origin', signal: controller.signal });
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        onState('live');
        retry = 500;
        await read(response.body);
      } catch (error) {
        if (stopped) return;
      }
      onState('reconnecting');
      await new Promise((resolve) => setTimeout(resolve, retry));
      retry = Math.min(retry * 2, 8000);
    }
  }

  async function read(body) {
    const reader = body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value;
      let end;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        dispatch(buffer.slice(0, end));
        buffer = buffer.slice(end + 2);
      }
    }
  }

  function dispatch(block) {
    let type = 'message';
    let id = null;
    const data = [];
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'event') type = value;
      else if (field === 'id') id = value;
      else if (field === 'data') data.push(value);
    }
    if (!data.length) return;
    if (id) lastId = id;
    let parsed = null;
    try {
      parsed = JSON.parse(data.join('\n'));
    } catch {
      return;
    }
    onEvent({ type, data: parsed });
  }

  connect();
  return {
    stop() {
      stopped = true;
      controller?.abort();
    },
  };
}
