// The hand-written core of the TypeScript client: HTTP over fetch (Node 18+ and browsers),
// authentication, errors, pagination and server-sent events. The methods are generated
// (generated.ts).

import { GeneratedApi } from "./generated.js";
import type { ApiRequest, LoginResponse, ServerSentEvent } from "./generated.js";

/** Anything that went wrong talking to Ironloom. */
export class IronloomError extends Error {
  override name = "IronloomError";
}

/**
 * The server answered with an error: `status` (HTTP), `code` (stable, e.g. `not_found`) and
 * `message` (for people, in the client's `language`).
 */
export class ApiError extends IronloomError {
  override name = "ApiError";
  constructor(
    readonly status: number,
    readonly code: string,
    readonly detail: string,
    readonly method: string,
    readonly path: string,
    readonly body: unknown,
  ) {
    super(`${method} ${path}: ${status} ${code}: ${detail}`);
  }
}

/** No answer: the server could not be reached, or did not answer within the timeout. */
export class TransportError extends IronloomError {
  override name = "TransportError";
}

export interface ClientOptions {
  /** A session token (from `authenticate` or `login`), sent as `Authorization: Bearer`. */
  token?: string;
  /** An API key (`ilk_…`), sent as `X-API-Key` when there is no token. */
  apiKey?: string;
  /** How long to wait for an answer, in milliseconds (default 30 000). */
  timeoutMs?: number;
  /** `Accept-Language` of error messages: `en` or `zh-CN`. */
  language?: string;
  /** Another fetch (default: the global one). */
  fetch?: typeof fetch;
}

/** What a paged list answers. */
export interface PageOf<I> {
  items: I[];
  total: number;
  page: number;
  page_size: number;
}

function queryString(query: object | undefined): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value === undefined || value === null) continue;
    params.append(key, Array.isArray(value) ? value.map(String).join(",") : String(value));
  }
  const s = params.toString();
  return s ? `?${s}` : "";
}

async function apiError(res: Response, method: string, path: string): Promise<ApiError> {
  const text = await res.text().catch(() => "");
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: kept as text
  }
  if (body && typeof body === "object" && typeof (body as { code?: unknown }).code === "string") {
    const b = body as { code: string; message?: unknown };
    return new ApiError(res.status, b.code, String(b.message ?? ""), method, path, body);
  }
  const detail = text.trim().slice(0, 500) || res.statusText;
  return new ApiError(res.status, `http_${res.status}`, detail, method, path, body);
}

async function decode(res: Response): Promise<unknown> {
  if (res.status === 204) return undefined;
  const ctype = res.headers.get("content-type") ?? "";
  if (ctype.includes("json")) {
    const text = await res.text();
    return text ? JSON.parse(text) : undefined;
  }
  if (ctype.startsWith("text/")) return res.text();
  const bytes = new Uint8Array(await res.arrayBuffer());
  return bytes.length ? bytes : undefined;
}

/** Requests relative to a base URL, with the client's headers and timeout. */
class Http {
  readonly baseUrl: string;
  timeoutMs: number;
  protected readonly fetchFn: typeof fetch;

  constructor(baseUrl: string, timeoutMs: number | undefined, fetchFn: typeof fetch | undefined) {
    if (!/^https?:\/\//.test(baseUrl)) throw new TypeError(`baseUrl must be an http(s) URL, not ${baseUrl}`);
    this.baseUrl = baseUrl.replace(/\/+$/, "");
    this.timeoutMs = timeoutMs ?? 30_000;
    this.fetchFn = fetchFn ?? globalThis.fetch.bind(globalThis);
  }

  protected headers(): Record<string, string> {
    return {};
  }

  /** Sends a request; resolves with the response when it is a success, else throws. */
  async send(request: ApiRequest, accept: string, signal: AbortSignal): Promise<Response> {
    const { method, path } = request;
    const headers: Record<string, string> = { ...this.headers(), Accept: accept };
    let body: BodyInit | undefined;
    if (request.body !== undefined) {
      const kind = request.bodyKind ?? "json";
      body = kind === "json" ? JSON.stringify(request.body) : (request.body as string | Uint8Array as BodyInit);
      headers["Content-Type"] = request.contentType || "application/json";
    }
    let res: Response;
    try {
      res = await this.fetchFn(this.baseUrl + path + queryString(request.query), { method, headers, body, signal });
    } catch (e) {
      const err = e as Error;
      if (err.name === "TimeoutError" || err.name === "AbortError") {
        throw new TransportError(`${method} ${path}: no answer within ${this.timeoutMs} ms`);
      }
      const cause = (err as { cause?: { message?: string } }).cause?.message;
      throw new TransportError(`${method} ${this.baseUrl}${path}: ${cause ?? err.message}`);
    }
    if (!res.ok) throw await apiError(res, method, path);
    return res;
  }
}

/**
 * A client of Ironloom's REST API (`/api/v1`): one method per operation of the OpenAPI
 * document (see generated.ts), authenticated by a session token or an API key.
 *
 * ```ts
 * const c = new IronloomClient("http://127.0.0.1:8080");
 * await c.authenticate("demo", "ironloom-demo-1", "demo");
 * for await (const d of c.pages(c.listDevices)) console.log(d.name);
 * ```
 *
 * Errors the server answers are thrown as `ApiError` (with `status`, `code`, `detail`); no
 * answer within `timeoutMs` throws `TransportError`.
 */
export class IronloomClient extends GeneratedApi {
  token?: string;
  apiKey?: string;
  language?: string;
  private readonly http: Http;

  constructor(baseUrl: string, options: ClientOptions = {}) {
    super();
    this.token = options.token;
    this.apiKey = options.apiKey;
    this.language = options.language;
    const client = this;
    this.http = new (class extends Http {
      protected override headers(): Record<string, string> {
        return client.authHeaders();
      }
    })(baseUrl, options.timeoutMs, options.fetch);
  }

  get baseUrl(): string {
    return this.http.baseUrl;
  }

  get timeoutMs(): number {
    return this.http.timeoutMs;
  }

  set timeoutMs(ms: number) {
    this.http.timeoutMs = ms;
  }

  /** Logs in (`POST /api/v1/auth/login`) and sends the session token from then on. */
  async authenticate(username: string, password: string, tenant?: string): Promise<LoginResponse> {
    this.token = undefined;
    const answer = await this.login({ username, password, tenant: tenant ?? null });
    this.token = answer.token;
    return answer;
  }

  private authHeaders(): Record<string, string> {
    const h: Record<string, string> = {};
    if (this.token) h["Authorization"] = `Bearer ${this.token}`;
    else if (this.apiKey) h["X-API-Key"] = this.apiKey;
    if (this.language) h["Accept-Language"] = this.language;
    return h;
  }

  protected override async call<T>(request: ApiRequest): Promise<T> {
    const res = await this.http.send(request, "application/json, */*", AbortSignal.timeout(this.timeoutMs));
    try {
      return (await decode(res)) as T;
    } catch (e) {
      throw new TransportError(`${request.method} ${request.path}: ${(e as Error).message}`);
    }
  }

  /**
   * Server-sent events until the server ends the stream or the caller stops iterating. The
   * server sends a comment every 15 s; no byte for `max(timeoutMs, 20 s)` ends it with a
   * `TransportError`.
   */
  protected override async *stream(request: ApiRequest): AsyncIterable<ServerSentEvent> {
    const abort = new AbortController();
    const idle = Math.max(this.timeoutMs, 20_000);
    let timer = setTimeout(() => abort.abort(), idle);
    try {
      const res = await this.http.send(request, "text/event-stream", abort.signal);
      if (!res.body) return;
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = "";
      let event = "message";
      let data: string[] = [];
      for (;;) {
        let chunk: ReadableStreamReadResult<string>;
        try {
          chunk = await reader.read();
        } catch {
          throw new TransportError(`${request.method} ${request.path}: the stream broke off`);
        }
        if (chunk.done) return;
        clearTimeout(timer);
        timer = setTimeout(() => abort.abort(), idle);
        buffer += chunk.value;
        let nl: number;
        while ((nl = buffer.indexOf("\n")) >= 0) {
          const line = buffer.slice(0, nl).replace(/\r$/, "");
          buffer = buffer.slice(nl + 1);
          if (line === "") {
            if (data.length) {
              const text = data.join("\n");
              let parsed: unknown = text;
              try {
                parsed = JSON.parse(text);
              } catch {
                // not JSON: kept as text
              }
              yield { event, data: parsed };
            }
            event = "message";
            data = [];
          } else if (!line.startsWith(":")) {
            const i = line.indexOf(":");
            const field = i < 0 ? line : line.slice(0, i);
            const value = i < 0 ? "" : line.slice(i + 1).replace(/^ /, "");
            if (field === "event") event = value;
            else if (field === "data") data.push(value);
          }
        }
      }
    } finally {
      clearTimeout(timer);
      abort.abort();
    }
  }

  /**
   * Every item of a paged list (`page`, `page_size`; answers `{items, total, page,
   * page_size}`), page after page: `client.pages(client.listDevices, { product_id })`.
   */
  async *pages<Q extends { page?: number; page_size?: number }, I>(
    list: (query: Q) => Promise<PageOf<I>>,
    query?: Omit<Q, "page" | "page_size">,
    pageSize = 100,
  ): AsyncIterable<I> {
    for (let page = 1; ; page++) {
      const answer = await list.call(this, { ...query, page, page_size: pageSize } as Q);
      yield* answer.items;
      if (answer.items.length === 0 || page * answer.page_size >= answer.total) return;
    }
  }

  /**
   * Every page of a cursor-paged read (answers carry `next_cursor` until the last page):
   * `client.cursorPages((cursor) => client.deviceHistory(id, { cursor, limit: 1000 }))`.
   */
  async *cursorPages<P extends { next_cursor?: string | null }>(
    read: (cursor: string | undefined) => Promise<P>,
  ): AsyncIterable<P> {
    let cursor: string | undefined;
    do {
      const answer = await read(cursor);
      yield answer;
      cursor = answer.next_cursor ?? undefined;
    } while (cursor);
  }
}

/**
 * A device's side of the HTTP device API (`/api/v1/{token}/…`, docs/device-api.md), which the
 * OpenAPI document does not describe: telemetry and client attributes.
 */
export class DeviceHttp {
  private readonly http: Http;

  constructor(
    baseUrl: string,
    readonly accessToken: string,
    options: { timeoutMs?: number; fetch?: typeof fetch } = {},
  ) {
    this.http = new Http(baseUrl, options.timeoutMs, options.fetch);
  }

  private async post(what: string, payload: unknown): Promise<unknown> {
    const path = `/api/v1/${encodeURIComponent(this.accessToken)}/${what}`;
    const req: ApiRequest = { method: "POST", path, body: payload, bodyKind: "json" };
    return decode(await this.http.send(req, "application/json", AbortSignal.timeout(this.http.timeoutMs)));
  }

  /**
   * `{"temp": 21.5}`, `{"ts": ms, "values": {...}}` or an array of those; answers
   * `{"stored": n}` (and `errors` for refused values).
   */
  sendTelemetry(payload: unknown): Promise<{ stored: number; errors?: unknown }> {
    return this.post("telemetry", payload) as Promise<{ stored: number; errors?: unknown }>;
  }

  /** Client-side attributes of the device. */
  sendAttributes(attributes: Record<string, unknown>): Promise<unknown> {
    return this.post("attributes", attributes);
  }
}
