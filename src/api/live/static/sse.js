// Follows a Server-Sent Events stream with fetch rather than EventSource, which cannot send the
// Authorization header that /api needs when API_TOKEN is set.

const RETRY_MS = 2_000;

/** Parses one event block (`event: x` / `data: {...}` lines) and hands it on. */
function dispatch(block, onEvent) {
  let event = 'message';
  const data = [];
  for (const line of block.split('\n')) {
    if (line.startsWith('event:')) event = line.slice(6).trim();
    else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
  }
  if (data.length > 0) onEvent(event, JSON.parse(data.join('\n')));
}

async function errorOf(response) {
  const body = await response.json().catch(() => ({}));
  return body.error ?? `HTTP ${response.status}`;
}

/**
 * Calls `onEvent(name, data)` for every event of `url`, reconnecting whenever the stream drops.
 * `onStatus(state, message)` hears 'live', 'reconnecting' and 'failed' (a 4xx answer: retrying would not help).
 */
export async function follow(url, headers, onEvent, onStatus) {
  for (;;) {
    try {
      const response = await fetch(url, { headers, cache: 'no-store' });
      if (response.status >= 400 && response.status < 500) {
        onStatus('failed', await errorOf(response));
        return;
      }
      if (!response.ok) throw new Error(await errorOf(response));
      onStatus('live');
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
          dispatch(buffer.slice(0, end), onEvent);
          buffer = buffer.slice(end + 2);
        }
      }
      onStatus('reconnecting');
    } catch (error) {
      onStatus('reconnecting', error.message);
    }
    await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
  }
}
