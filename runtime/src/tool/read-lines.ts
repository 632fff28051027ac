/**
 * Lines of a byte stream (stdin for `telestion pub <subject> -`), each as its exact bytes without the
 * line break (`\n`, or `\r\n`). Memory stays bounded: a line longer than `maxBytes` is not kept, only
 * reported with its number and size, and the stream goes on with the next line.
 */
export type Line =
  | { number: number; bytes: Uint8Array }
  | { number: number; tooLong: number };

export async function* readLines(chunks: AsyncIterable<Uint8Array>, maxBytes: number): AsyncGenerator<Line> {
  let number = 1;
  let parts: Uint8Array[] = [];
  let size = 0;
  let last: number | undefined;
  const finish = (): Line => {
    const body = size - (last === 0x0d ? 1 : 0);
    const line: Line = body <= maxBytes ? { number, bytes: Buffer.concat(parts, size).subarray(0, body) } : { number, tooLong: body };
    number++;
    parts = [];
    size = 0;
    last = undefined;
    return line;
  };
  for await (const chunk of chunks) {
    let from = 0;
    for (let at = chunk.indexOf(0x0a); at >= 0; at = chunk.indexOf(0x0a, from)) {
      keep(chunk.subarray(from, at));
      yield finish();
      from = at + 1;
    }
    keep(chunk.subarray(from));
  }
  // A last line without a line break still counts; nothing after the last break is no line.
  if (size > 0) yield finish();

  function keep(bytes: Uint8Array): void {
    if (bytes.byteLength === 0) return;
    size += bytes.byteLength;
    last = bytes[bytes.byteLength - 1];
    // Over the bound (one byte more for a `\r` the break drops), only the size is counted.
    if (size <= maxBytes + 1) parts.push(bytes);
    else parts = [];
  }
}
