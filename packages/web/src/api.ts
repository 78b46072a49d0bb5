/**
 * The one way pages talk to the server. The session cookie is HttpOnly, so the page never sees it;
 * what it must hold is the CSRF token from the session answer, sent back on every change.
 * Errors arrive as `{ code, message }` with a Chinese message the user can act on.
 */

export class ApiError extends Error {
  override name = 'ApiError';
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

let csrfToken = '';
let onUnauthenticated: (() => void) | null = null;

export function setCsrfToken(token: string): void {
  csrfToken = token;
}

export function getCsrfToken(): string {
  return csrfToken;
}

/** Called when a signed-in page is told the session is gone (expired or signed out elsewhere). */
export function setUnauthenticatedHandler(handler: (() => void) | null): void {
  onUnauthenticated = handler;
}

async function errorOf(response: Response): Promise<ApiError> {
  let code = 'http_error';
  let message = `请求失败（${response.status}）`;
  try {
    const body = (await response.json()) as { code?: string; message?: string };
    if (body.code) code = body.code;
    if (body.message) message = body.message;
  } catch {
    // Not JSON (a proxy's error page): the status line is all we can say.
  }
  if (response.status === 502 || response.status === 503 || response.status === 504) {
    message = '无法连接服务器，请检查网络后重试';
  }
  return new ApiError(response.status, code, message);
}

export interface RequestOptions {
  /** Do not treat a 401 as "the session expired" (the login and resident pages expect it). */
  quiet401?: boolean;
  signal?: AbortSignal;
}

export async function request<T>(
  method: string,
  path: string,
  body?: unknown,
  options: RequestOptions = {},
): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  let payload: BodyInit | undefined;
  if (body instanceof FormData) {
    payload = body;
  } else if (body !== undefined) {
    headers['content-type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: payload,
      credentials: 'same-origin',
      signal: options.signal,
    });
  } catch (error) {
    if ((error as Error).name === 'AbortError') throw error;
    throw new ApiError(0, 'network', '网络连接失败，请检查网络后重试');
  }
  if (!response.ok) {
    const error = await errorOf(response);
    if (response.status === 401 && !options.quiet401) onUnauthenticated?.();
    throw error;
  }
  if (response.status === 204) return undefined as T;
  const type = response.headers.get('content-type') ?? '';
  if (!type.includes('json')) return undefined as T;
  return (await response.json()) as T;
}

export const api = {
  get: <T>(path: string, options?: RequestOptions) => request<T>('GET', path, undefined, options),
  post: <T>(path: string, body?: unknown, options?: RequestOptions) =>
    request<T>('POST', path, body ?? {}, options),
  patch: <T>(path: string, body: unknown) => request<T>('PATCH', path, body),
  delete: <T>(path: string) => request<T>('DELETE', path),
};

/** A query string from the set values only (empty pickers send nothing). */
export function query(params: Record<string, string | number | null | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

/**
 * Uploads a form with progress (fetch cannot report upload progress; XMLHttpRequest can). Large
 * department lists take a while on a county's connection, and a bar tells the user it is moving.
 */
export function upload<T>(path: string, form: FormData, onProgress: (percent: number) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', path);
    xhr.withCredentials = true;
    xhr.setRequestHeader('accept', 'application/json');
    if (csrfToken) xhr.setRequestHeader('x-csrf-token', csrfToken);
    xhr.upload.onprogress = (event) => {
      if (event.lengthComputable) onProgress(Math.round((event.loaded / event.total) * 100));
    };
    xhr.onerror = () => reject(new ApiError(0, 'network', '网络连接失败，请检查网络后重试'));
    xhr.onload = () => {
      let body: { code?: string; message?: string } | null = null;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        body = null;
      }
      if (xhr.status >= 200 && xhr.status < 300) {
        resolve(body as T);
      } else {
        if (xhr.status === 401) onUnauthenticated?.();
        reject(
          new ApiError(xhr.status, body?.code ?? 'http_error', body?.message ?? `上传失败（${xhr.status}）`),
        );
      }
    };
    xhr.send(form);
  });
}
