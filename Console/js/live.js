// One WebSocket to /api/v2/ws that survives network loss: it reconnects with growing pauses,
// resumes each room from the last event id it saw (since=), drops any event it already
// delivered, and says what state it is in (connecting, live, reconnecting).

export class Live {
  constructor({ rooms, token = null, onEvent, onState = () => {}, onResync = () => {} }) {
    this.rooms = new Set(rooms);
    this.token = token;
    this.onEvent = onEvent;
    this.onState = onState;
    this.onResync = onResync;
    this.lastId = null;
    this.seen = new Set();
    this.attempt = 0;
    this.socket = null;
    this.pending = new Map();
    this.counter = 0;
    this.closed = false;
    this.state = 'connecting';
    this.heartbeat = null;
  }

  start() {
    this.connect();
    window.addEventListener('online', () => this.kick());
    return this;
  }

  stop() {
    this.closed = true;
    clearInterval(this.heartbeat);
    if (this.socket) this.socket.close(1000, 'bye');
  }

  setState(state) {
    if (this.state === state) return;
    this.state = state;
    this.onState(state);
  }

  kick() {
    if (this.socket && this.socket.readyState <= 1) return;
    clearTimeout(this.timer);
    this.connect();
  }

  connect() {
    if (this.closed) return;
    this.setState(this.attempt === 0 ? 'connecting' : 'reconnecting');
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const socket = new WebSocket(`${scheme}//${location.host}/api/v2/ws`);
    this.socket = socket;
    socket.addEventListener('open', () => {
      if (this.token) this.send({ type: 'auth', data: { token: this.token } });
      const data = { rooms: [...this.rooms] };
      if (this.lastId !== null) data.since = this.lastId;
      this.request('subscribe', data).then((answer) => {
        this.attempt = 0;
        if (this.lastId === null && answer && typeof answer.latestId === 'number') this.lastId = answer.latestId;
        this.setState('live');
      }).catch(() => socket.close(4000, 'subscribe failed'));
    });
    socket.addEventListener('message', (message) => this.receive(message.data));
    socket.addEventListener('close', (event) => {
      clearInterval(this.heartbeat);
      for (const { reject } of this.pending.values()) reject(new Error('connection closed'));
      this.pending.clear();
      if (this.closed) return;
      if (event.code === 4401) {
        this.setState('signedOut');
        return;
      }
      this.attempt += 1;
      this.setState('reconnecting');
      const pause = Math.min(15000, 500 * 2 ** Math.min(this.attempt, 5)) * (0.75 + Math.random() / 2);
      this.timer = setTimeout(() => this.connect(), pause);
    });
    clearInterval(this.heartbeat);
    this.heartbeat = setInterval(() => this.send({ type: 'ping' }), 60000);
  }

  send(frame) {
    if (this.socket && this.socket.readyState === 1) {
      this.socket.send(JSON.stringify(frame));
      return true;
    }
    return false;
  }

  /** A frame with an id, answered by the frame that echoes it (or an error). */
  request(type, data, room) {
    const id = `c${++this.counter}`;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      if (!this.send({ type, id, room, data })) {
        this.pending.delete(id);
        reject(new Error('not connected'));
      }
      setTimeout(() => {
        if (this.pending.delete(id)) reject(new Error('no answer'));
      }, 15000);
    });
  }

  subscribe(room) {
    if (this.rooms.has(room)) return Promise.resolve();
    this.rooms.add(room);
    return this.request('subscribe', { rooms: [room] }).catch(() => {});
  }

  unsubscribe(room) {
    if (!this.rooms.delete(room)) return;
    this.send({ type: 'unsubscribe', room });
  }

  typing(ticketId, on) {
    this.send({ type: on ? 'typing' : 'stop_typing', data: { ticketId } });
  }

  receive(text) {
    let frame;
    try {
      frame = JSON.parse(text);
    } catch {
      return;
    }
    if (typeof frame.id === 'string' && this.pending.has(frame.id)) {
      const { resolve, reject } = this.pending.get(frame.id);
      this.pending.delete(frame.id);
      if (frame.type === 'error') reject(Object.assign(new Error(frame.data?.message || 'error'), { code: frame.data?.code }));
      else resolve(frame.data);
      return;
    }
    if (frame.type === 'resync') {
      this.lastId = frame.data?.latestId ?? this.lastId;
      this.seen.clear();
      this.onResync(frame.data);
      return;
    }
    if (frame.type === 'welcome' || frame.type === 'pong' || frame.type === 'subscribed' || frame.type === 'error') return;
    if (typeof frame.id === 'number') {
      if (this.seen.has(frame.id)) return;
      this.seen.add(frame.id);
      if (this.seen.size > 5000) this.seen = new Set([...this.seen].slice(-2500));
      if (this.lastId === null || frame.id > this.lastId) this.lastId = frame.id;
    }
    this.onEvent(frame);
  }
}
