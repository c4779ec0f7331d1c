// Calls to Docket's REST API from the console: same origin, the session cookie (or, on the
// customer chat page, a bearer session token), the CSRF header on every call, errors as
// ApiError with the server's code and message.

export class ApiError extends Error {
  constructor(status, code, message, details) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details || {};
  }
}

export class Api {
  constructor({ token = null, onSignedOut = () => {} } = {}) {
    this.token = token;
    this.onSignedOut = onSignedOut;
  }

  async call(method, path, body) {
    const headers = { 'X-Docket-CSRF': '1', Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (this.token) headers.Authorization = `Bearer ${this.token}`;
    let response;
    try {
      response = await fetch(path, { method, headers, credentials: 'same-origin', body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (error) {
      throw new ApiError(0, 'network', error.message || 'network error');
    }
    if (response.status === 204) return null;
    const text = await response.text();
    let json = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      json = null;
    }
    if (!response.ok) {
      const error = json && json.error ? json.error : { code: `http_${response.status}`, message: response.statusText };
      const failure = new ApiError(response.status, error.code, error.message, error.details);
      if (response.status === 401 && !path.startsWith('/api/v2/auth/')) this.onSignedOut(failure);
      throw failure;
    }
    return json;
  }

  get(path) { return this.call('GET', path); }
  post(path, body = {}) { return this.call('POST', path, body); }
  put(path, body) { return this.call('PUT', path, body); }
  del(path) { return this.call('DELETE', path); }
}

/** `?a=1&b=2` from an object, leaving out empty values. */
export function query(params) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || value === null || value === '') continue;
    search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

export const enc = encodeURIComponent;
