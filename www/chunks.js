// Reading a byte range of the user's File in large pieces, for the engine worker (worker.js) and
// the sign workers (sign-worker.js): asynchronously (so a worker hears a cancel between pieces)
// and one piece ahead (the next read overlaps with the wasm work on this one).

export const CHUNK = 16 << 20; // bytes per piece: each read has a fixed cost, so fewer and larger

/**
 * `file[start, end)` as Uint8Array pieces of `CHUNK` bytes. A File that can no longer be read
 * (changed or moved on disk since it was chosen) fails with a message that says what to do.
 * The caller checks for a cancel after each piece and may stop at any time.
 */
export async function* fileChunks(file, start = 0, end = file.size) {
  const read = (at) => {
    const reading = file.slice(at, Math.min(at + CHUNK, end)).arrayBuffer().catch((e) => {
      throw new Error(`${file.name} can no longer be read (was it changed or moved on disk after you chose it?): choose it again. (${e.name || e})`);
    });
    reading.catch(() => {}); // a read ahead that nobody awaits (the caller stopped) fails quietly
    return reading;
  };
  let next = start < end ? read(start) : null;
  for (let at = start; at < end; at += CHUNK) {
    const buffer = await next;
    next = at + CHUNK < end ? read(at + CHUNK) : null;
    yield new Uint8Array(buffer);
  }
}
