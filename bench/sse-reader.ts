/**
 * Reads a server-sent event stream with fetch and calls `onData` with each event's data, until
 * `signal` aborts or the stream ends. Hand-written rather than a client library: the bench
 * needs only `data:` lines, and Node 20 has no EventSource (it came in Node 22).
 */
export async function readSse(
  url: string,
  cookie: string,
  signal: AbortSignal,
  onData: (data: string) => void,
): Promise<void> {
  const response = await fetch(url, { headers: { cookie, accept: "text/event-stream" }, signal });
  if (response.status !== 200 || response.body === null)
    throw new Error(`${url} answered ${response.status}`);
  const decoder = new TextDecoder();
  let buffered = "";
  for await (const chunk of response.body) {
    buffered += decoder.decode(chunk as Uint8Array, { stream: true });
    let end = buffered.indexOf("\n\n");
    while (end >= 0) {
      const block = buffered.slice(0, end);
      buffered = buffered.slice(end + 2);
      const data = block
        .split("\n")
        .filter((l) => l.startsWith("data:"))
        .map((l) => l.slice(5).trimStart())
        .join("\n");
      if (data !== "") onData(data);
      end = buffered.indexOf("\n\n");
    }
  }
}
