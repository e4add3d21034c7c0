// The API with the bearer token, and the live event feed.
//
// EventSource cannot send an Authorization header, and a token in a URL ends up in logs and
// history; so the feed is read with fetch() and parsed here (text/event-stream framing), and it
// resumes with Last-Event-ID after a drop, which makes the server replay what was missed.

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

export class Api {
  constructor(token, { onUnauthorized }) {
    this.token = token;
    this.onUnauthorized = onUnauthorized;
  }

  headers(extra = {}) {
    return { Authorization: `Bearer ${this.token}`, ...extra };
  }

  async request(method, path, body) {
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

  async get(path) {
    return (await this.request("GET", path)).json();
  }

  async post(path, body = {}) {
    return (await this.request("POST", path, body)).json();
  }

  async blob(path) {
    return (await this.request("GET", path)).blob();
  }

  /** A camera picture with when it was taken and whether the camera gives none now. */
  async picture(path) {
    const response = await this.request("GET", path);
    return {
      blob: await response.blob(),
      takenAt: response.headers.get("X-Taken-At"),
      stale: response.headers.get("X-Stale") === "1",
    };
  }
}

async function errorText(response) {
  try {
    const body = await response.json();
    if (Array.isArray(body.detail)) return body.detail.map((d) => d.msg).join("; ");
  } catch {
    // not JSON: fall through to the status line
  }
  return `${response.status} ${response.statusText}`;
}

/** Reads /api/v1/events with the token; calls onEvent(type, data, id) and onState(state). */
export class EventFeed {
  constructor(api, { onEvent, onState, onOpen }) {
    this.api = api;
    this.onEvent = onEvent;
    this.onState = onState;
    this.onOpen = onOpen;
    this.lastId = null;
    this.retryMs = 2000;
    this.controller = null;
    this.stopped = false;
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
        this.onState("live");
        this.onOpen();
        await this.read(response.body);
      } catch (error) {
        if (this.stopped) return;
        console.warn("event feed dropped", error);
      }
      if (this.stopped) return;
      this.onState("down");
      await new Promise((resolve) => setTimeout(resolve, this.retryMs));
    }
  }

  async read(body) {
    const reader = body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value;
      let cut;
      while ((cut = buffer.search(/\r?\n\r?\n/)) >= 0) {
        const frame = buffer.slice(0, cut);
        buffer = buffer.slice(cut).replace(/^\r?\n\r?\n/, "");
        this.frame(frame);
      }
    }
  }

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
