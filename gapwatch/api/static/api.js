// @ts-check
// The API with the bearer token, and the live event feed.
//
// EventSource cannot send an Authorization header, and a token in a URL ends up in logs and
// history; so the feed is read with fetch() and parsed here (text/event-stream framing), and it
// resumes with Last-Event-ID after a drop, which makes the server replay what was missed.

export class ApiError extends Error {
  /**
   * @param {number} status
   * @param {string} message
   */
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

export class Api {
  /**
   * @param {string} token
   * @param {{ onUnauthorized: () => void }} options
   */
  constructor(token, { onUnauthorized }) {
    this.token = token;
    this.onUnauthorized = onUnauthorized;
  }

  /**
   * @param {Record<string, string>} [extra]
   * @returns {Record<string, string>}
   */
  headers(extra = {}) {
    return { Authorization: `Bearer ${this.token}`, ...extra };
  }

  /**
   * @param {string} method
   * @param {string} path
   * @param {unknown} [body]
   */
  async request(method, path, body) {
    /** @type {{method: string, headers: Record<string, string>, body?: string}} */
    const init = { method, headers: this.headers() };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const response = await fetch(path, init);
    if (response.status === 401) {
      this.onUnauthorized();
      throw new ApiError(401, "unauthorized");
    }
    if (!response.ok) throw new ApiError(response.status, await errorText(response));
    return response;
  }

  /**
   * @param {string} path
   * @returns {Promise<any>}
   */
  async get(path) {
    return (await this.request("GET", path)).json();
  }

  /**
   * @param {string} path
   * @param {unknown} [body]
   * @returns {Promise<any>}
   */
  async post(path, body = {}) {
    return (await this.request("POST", path, body)).json();
  }

  /** @param {string} path */
  async blob(path) {
    return (await this.request("GET", path)).blob();
  }

  /** A camera picture with when it was taken and whether the camera gives none now. */
  /** @param {string} path */
  async picture(path) {
    const response = await this.request("GET", path);
    return {
      blob: await response.blob(),
      takenAt: response.headers.get("X-Taken-At"),
      stale: response.headers.get("X-Stale") === "1",
    };
  }
}

/** @param {Response} response */
async function errorText(response) {
  try {
    const body = await response.json();
    if (Array.isArray(body.detail)) return body.detail.map((/** @type {{msg: string}} */ d) => d.msg).join("; ");
  } catch {
    // not JSON: fall through to the status line
  }
  return `${response.status} ${response.statusText}`;
}

/** A stream that sends nothing, not even its keep-alive, for this long has died quietly. */
const SILENCE_MS = 45000;

/** Reads /api/v1/events with the token; calls onEvent(type, data, id) and onState(state). */
export class EventFeed {
  /**
   * @param {Api | any} api
   * @param {{ onEvent: (type: string, data: any, id: string | null) => void,
   *   onState: (state: "connecting" | "live" | "down") => void, onOpen: () => void }} handlers
   */
  constructor(api, { onEvent, onState, onOpen }) {
    this.api = api;
    this.onEvent = onEvent;
    this.onState = onState;
    this.onOpen = onOpen;
    /** @type {string | null} */
    this.lastId = null;
    this.retryMs = 2000;
    this.silenceMs = SILENCE_MS;
    /** @type {AbortController | null} */
    this.controller = null;
    this.stopped = false;
    /** When the stream last said anything (ms since the epoch); what a stale screen dates from. */
    this.lastHeardAt = 0;
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    this.watchdog = undefined;
  }

  start() {
    this.stopped = false;
    this.connect();
  }

  stop() {
    this.stopped = true;
    if (this.controller) this.controller.abort();
  }

  async connect() {
    while (!this.stopped) {
      this.controller = new AbortController();
      this.onState("connecting");
      try {
        const headers = this.api.headers({ Accept: "text/event-stream" });
        if (this.lastId !== null) headers["Last-Event-ID"] = this.lastId;
        const response = await fetch("/api/v1/events", {
          headers,
          signal: this.controller.signal,
          cache: "no-store",
        });
        if (response.status === 401) {
          this.api.onUnauthorized();
          return;
        }
        if (!response.ok || !response.body) throw new Error(`events: ${response.status}`);
        this.heard();
        this.onState("live");
        this.onOpen();
        await this.read(response.body);
      } catch (error) {
        if (this.stopped) return;
        console.warn("event feed dropped", error);
      }
      clearTimeout(this.watchdog);
      if (this.stopped) return;
      this.onState("down");
      await new Promise((resolve) => setTimeout(resolve, this.retryMs));
    }
  }

  /** Something arrived: the stream lives; abort it if it then falls silent. */
  heard() {
    this.lastHeardAt = Date.now();
    clearTimeout(this.watchdog);
    const controller = this.controller;
    this.watchdog = setTimeout(() => {
      if (controller) controller.abort();
    }, this.silenceMs);
  }

  /** @param {ReadableStream<Uint8Array>} body */
  async read(body) {
    const reader = body.pipeThrough(/** @type {any} */ (new TextDecoderStream())).getReader();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      if (this.controller) this.heard();
      buffer += value;
      let cut;
      while ((cut = buffer.search(/\r?\n\r?\n/)) >= 0) {
        const frame = buffer.slice(0, cut);
        buffer = buffer.slice(cut).replace(/^\r?\n\r?\n/, "");
        this.frame(frame);
      }
    }
  }

  /** @param {string} text */
  frame(text) {
    let type = "message";
    let id = null;
    const data = [];
    for (const line of text.split(/\r?\n/)) {
      if (!line || line.startsWith(":")) continue;
      const colon = line.indexOf(":");
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
      if (field === "event") type = value;
      else if (field === "data") data.push(value);
      else if (field === "id") id = value;
      else if (field === "retry" && /^\d+$/.test(value)) this.retryMs = Number(value);
    }
    if (id !== null) this.lastId = id;
    if (!data.length) return;
    let parsed;
    try {
      parsed = JSON.parse(data.join("\n"));
    } catch {
      parsed = data.join("\n");
    }
    this.onEvent(type, parsed, id);
  }
}
