// The visitor's side of the widget API, without any page: the session (kept across reloads
// and the host site's pages), the conversation, posting that is safe to retry, uploads, and
// the live stream that resumes where it broke off.

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `HTTP ${status}`);
    this.status = status;
    this.code = problem?.code;
  }
}

const RETRY_MS = [500, 1000, 2000, 4000, 8000];

export class Chat extends EventTarget {
  constructor(key, storage = window.localStorage) {
    super();
    this.key = key;
    this.storage = storage;
    this.slot = `baton.widget.${key.slice(-12)}`;
    this.saved = this.stored();
    this.identity = null;
    this.lastEventId = null;
    this.streaming = null;
  }

  stored() {
    try {
      return JSON.parse(this.storage.getItem(this.slot)) || {};
    } catch {
      return {};
    }
  }

  save(changes) {
    this.saved = { ...this.saved, ...changes };
    try {
      this.storage.setItem(this.slot, JSON.stringify(this.saved));
    } catch {
      // Storage off (private mode): the chat lasts as long as the page.
    }
  }

  get conversationId() {
    return this.saved.conversationId || null;
  }

  /** One call to the API. Cookies never go along: the frame speaks only with its tokens. */
  async request(method, path, { body, token = this.saved.token, raw, contentType, signal } = {}) {
    const headers = { authorization: `Bearer ${token || this.key}` };
    if (body !== undefined) headers['content-type'] = contentType || 'application/json';
    const response = await fetch(path, {
      method, headers, credentials: 'omit', signal,
      body: body === undefined ? undefined : raw ? body : JSON.stringify(body),
    });
    const text = await response.text();
    const data = text ? JSON.parse(text) : null;
    if (!response.ok) {
      if (response.status === 401 && token) this.forget();
      throw new ApiError(response.status, data);
    }
    return data;
  }

  /** Retries what failed on the way (the network, a 503), never what the server refused. */
  async retrying(call) {
    for (let attempt = 0; ; attempt += 1) {
      try {
        return await call();
      } catch (error) {
        const transient = !(error instanceof ApiError) || error.status >= 500 || error.status === 429;
        if (!transient || attempt >= RETRY_MS.length) throw error;
        await new Promise((resolve) => setTimeout(resolve, RETRY_MS[attempt]));
      }
    }
  }

  config() {
    return this.request('GET', '/v1/widget/config', { token: this.key });
  }

  /** The visitor's token: the saved one, or a new session (with what `identify` told). */
  async session(extra = {}) {
    if (this.saved.token && (!this.identity || this.saved.externalId === this.identity.external_id)) {
      return this.saved.token;
    }
    const body = { ...(this.identity || {}), ...extra };
    const started = await this.retrying(() => this.request('POST', '/v1/widget/sessions', { body, token: this.key }));
    this.save({ token: started.contact_token, contactId: started.contact.id,
      externalId: started.contact.external_id, conversationId: null, email: started.contact.email });
    return started.contact_token;
  }

  forget() {
    this.stop();
    this.saved = {};
    try {
      this.storage.removeItem(this.slot);
    } catch {
      // Nothing kept.
    }
  }

  /** Signs the visitor in as a user of the site; their own conversations come back. */
  async identify(identity) {
    this.identity = identity;
    if (this.saved.token && this.saved.externalId !== identity.external_id) this.forget();
    await this.session();
  }

  /** The saved conversation, or their latest one; `null` for a new visitor. */
  async restore() {
    if (!this.saved.token) return null;
    try {
      if (this.conversationId) return await this.request('GET', `/v1/widget/conversations/${this.conversationId}`);
      const list = await this.request('GET', '/v1/widget/conversations?limit=1');
      const latest = list.data[0] || null;
      if (latest) this.save({ conversationId: latest.id });
      return latest;
    } catch (error) {
      if (error.status === 404) this.save({ conversationId: null });
      if (error.status === 401 || error.status === 404) return null;
      throw error;
    }
  }

  conversation() {
    return this.request('GET', `/v1/widget/conversations/${this.conversationId}`);
  }

  /** Every message after `afterSeq`, oldest first. */
  async messages(afterSeq = 0) {
    const all = [];
    let cursor = null;
    do {
      const query = `limit=100&after_seq=${afterSeq}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const page = await this.request('GET', `/v1/widget/conversations/${this.conversationId}/messages?${query}`);
      all.push(...page.data);
      cursor = page.has_more ? page.next_cursor : null;
    } while (cursor);
    return all;
  }

  /** Posts a message (starting a conversation if there is none); retried with the same
   * `client_message_id`, so a retry never makes a copy. Returns the stored message. */
  async send(message, clientId = crypto.randomUUID()) {
    await this.session(message.email ? { email: message.email } : {});
    const body = { content: message.content || '', client_message_id: clientId };
    if (message.attachments?.length) body.attachments = message.attachments;
    if (!this.conversationId) {
      const started = await this.retrying(() => this.request('POST', '/v1/widget/conversations', {
        body: { message: body },
      }));
      this.save({ conversationId: started.id });
      return { conversation: started };
    }
    const posted = await this.retrying(() => this.request('POST', `/v1/widget/conversations/${this.conversationId}/messages`, { body }));
    return { message: posted };
  }

  /** Uploads a file; resolves with the upload (attach it by `id`). */
  async upload(file) {
    await this.session();
    const name = encodeURIComponent(file.name || 'file');
    return this.request('POST', `/v1/uploads?name=${name}`, {
      body: file, raw: true, contentType: file.type || 'application/octet-stream',
    });
  }

  typing(typing) {
    if (!this.conversationId || !this.saved.token) return Promise.resolve();
    return this.request('POST', `/v1/widget/conversations/${this.conversationId}/typing`, { body: { typing } }).catch(() => {});
  }

  read(upToMessageId) {
    return this.request('POST', `/v1/widget/conversations/${this.conversationId}/read`, {
      body: { up_to_message_id: upToMessageId },
    }).catch(() => {});
  }

  rate(rating, comment) {
    const body = comment ? { rating, comment } : { rating };
    return this.request('POST', `/v1/widget/conversations/${this.conversationId}/rating`, { body });
  }

  /** Starts afresh after a resolved conversation: the next message opens a new one. */
  startOver() {
    this.stop();
    this.save({ conversationId: null });
  }

  /** Follows the conversation's stream, resuming after the last event seen; dispatches
   * `event` (`detail`: `{type, data}`) and `connection` (`detail`: `live` | `lost`). */
  follow() {
    this.stop();
    const controller = new AbortController();
    this.streaming = controller;
    const id = this.conversationId;
    const loop = async () => {
      let failures = 0;
      while (!controller.signal.aborted && id === this.conversationId) {
        try {
          await this.readStream(id, controller.signal, () => {
            failures = 0;
          });
        } catch (error) {
          if (controller.signal.aborted) return;
          if (error instanceof ApiError && error.status < 500 && error.status !== 429) return;
        }
        if (controller.signal.aborted) return;
        this.dispatchEvent(new CustomEvent('connection', { detail: 'lost' }));
        failures += 1;
        await new Promise((resolve) => setTimeout(resolve, Math.min(1000 * 2 ** (failures - 1), 15000)));
      }
    };
    loop();
  }

  stop() {
    this.streaming?.abort();
    this.streaming = null;
  }

  async readStream(id, signal, opened) {
    const headers = { authorization: `Bearer ${this.saved.token}`, accept: 'text/event-stream' };
    if (this.lastEventId) headers['last-event-id'] = this.lastEventId;
    const response = await fetch(`/v1/widget/conversations/${id}/stream`, { headers, signal, credentials: 'omit' });
    if (!response.ok) throw new ApiError(response.status, await response.json().catch(() => null));
    opened();
    this.dispatchEvent(new CustomEvent('connection', { detail: 'live' }));
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value;
      let end;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        this.dispatchBlock(block);
      }
    }
  }

  dispatchBlock(block) {
    let type = 'message';
    let data = '';
    for (const line of block.split('\n')) {
      if (line.startsWith('id:')) this.lastEventId = line.slice(3).trim();
      else if (line.startsWith('event:')) type = line.slice(6).trim();
      else if (line.startsWith('data:')) data += line.slice(5).trim();
    }
    if (!data) return;
    try {
      this.dispatchEvent(new CustomEvent('event', { detail: { type, data: JSON.parse(data) } }));
    } catch {
      // A malformed event is skipped; the next read catches up.
    }
  }
}
