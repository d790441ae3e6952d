/** A server-sent events reader over real HTTP (fetch), as a page's EventSource would read the console. */
export interface EventStreamClient {
  readonly events: { readonly event: string; readonly data: unknown }[];
  /** Resolves with the first event (from now on, or already received) that `match` accepts. */
  next(
    match: (e: { event: string; data: unknown }) => boolean,
    timeoutMs?: number,
  ): Promise<{ event: string; data: unknown }>;
  close(): void;
  readonly status: number;
}

export async function openEventStream(url: string, cookie: string): Promise<EventStreamClient> {
  const abort = new AbortController();
  const response = await fetch(url, {
    headers: { cookie, accept: "text/event-stream" },
    signal: abort.signal,
  });
  const events: { event: string; data: unknown }[] = [];
  const waiters = new Set<() => void>();
  if (response.ok && response.body) {
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    void (async () => {
      let buffer = "";
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) return;
          buffer += value;
          let end = buffer.indexOf("\n\n");
          while (end >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const lines = block.split("\n");
            const name = lines.find((l) => l.startsWith("event: "))?.slice(7);
            const data = lines.find((l) => l.startsWith("data: "))?.slice(6);
            if (name !== undefined && data !== undefined) {
              events.push({ event: name, data: JSON.parse(data) });
              for (const w of waiters) w();
            }
            end = buffer.indexOf("\n\n");
          }
        }
      } catch {
        // Aborted by close(): the test is done with the stream.
      }
    })();
  }
  return {
    events,
    status: response.status,
    close: () => abort.abort(),
    next: (match, timeoutMs = 5_000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const found = events.find(match);
          if (found === undefined) return false;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(found);
          return true;
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(
            new Error(
              `no matching event within ${timeoutMs} ms; got ${JSON.stringify(events).slice(0, 2000)}`,
            ),
          );
        }, timeoutMs);
        if (!check()) waiters.add(check);
      }),
  };
}
