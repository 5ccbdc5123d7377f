// Calls to the server's REST APIs with the console's session cookie (sent by the browser; HttpOnly, so scripts never
// see it). Every change carries X-Deploycast-Console: the server refuses cookie-authenticated changes without it,
// which is the console's protection against cross-site request forgery (see docs/console.md).

/** An API error with the problem details the server sent (title, detail, and errors keyed by field). */
export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `The server answered ${status}.`);
    this.status = status;
    this.title = problem?.title ?? '';
    this.errors = problem?.errors ?? {};
  }
}

export async function api(method, path, body) {
  const headers = { Accept: 'application/json' };
  if (method !== 'GET' && method !== 'HEAD') headers['X-Deploycast-Console'] = '1';
  const init = { method, headers, credentials: 'same-origin', cache: 'no-store' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }

  let response;
  try {
    response = await fetch(path, init);
  } catch {
    throw new ApiError(0, { title: 'No connection', detail: 'The server cannot be reached. Check that deploycast server runs.' });
  }

  const text = await response.text();
  let data = null;
  if (text) {
    try { data = JSON.parse(text); } catch { data = null; }
  }

  if (!response.ok) {
    if (response.status === 401 && !path.endsWith('/console/sign-in')) {
      window.dispatchEvent(new CustomEvent('deploycast:signed-out'));
    }
    throw new ApiError(response.status, data);
  }

  return data;
}

export const get = (path) => api('GET', path);
export const post = (path, body) => api('POST', path, body);
export const put = (path, body) => api('PUT', path, body);
export const patch = (path, body) => api('PATCH', path, body);

/** Every item of a paged list ({items, total}), a page of 1000 at a time. */
export async function all(path) {
  const items = [];
  const separator = path.includes('?') ? '&' : '?';
  for (let skip = 0; ; skip += 1000) {
    const page = await get(`${path}${separator}skip=${skip}&take=1000`);
    items.push(...page.items);
    if (items.length >= page.total || page.items.length === 0) return items;
  }
}
