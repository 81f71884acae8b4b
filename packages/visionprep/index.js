// visionprep for browsers, bundlers and Node 20+: the WebAssembly module (built from
// crates/wasm by `web/build.sh` into ./wasm) loaded once at import, and the few helpers that
// need the host: reading a File or Blob by ranges, and the SDK's image block.
//
// Everything that decides a size, a token count, a price or a byte is in the module, the
// same Rust as the CLI and the Python package.
import initModule, * as wasm from "./wasm/visionprep_wasm.js";

const wasmUrl = new URL("./wasm/visionprep_wasm_bg.wasm", import.meta.url);

async function load() {
  if (wasmUrl.protocol === "file:") {
    // Node (and any runtime whose modules are files): fetch() cannot read file: URLs. The
    // comments keep bundlers from following this import into a browser build.
    const { readFile } = await import(/* webpackIgnore: true */ /* @vite-ignore */ "node:fs/promises");
    await initModule({ module_or_path: await readFile(wasmUrl) });
  } else {
    await initModule({ module_or_path: wasmUrl });
  }
}

await load();

export const {
  version,
  models,
  pricesAsOf,
  plan,
  probe,
  probeParts,
  prepare,
  buildRequests,
  outputNames,
  check,
  FileParts,
  CostReport,
  Preparer,
} = wasm;

/**
 * Files up to this size are read whole, in one read: in a browser each read of a File costs
 * a round trip to the browser process, which is more than the bytes.
 */
export const WHOLE_BYTES = 256 * 1024;
/** Bytes read first from the start of a larger file: the header of almost every image. */
export const HEAD_BYTES = 64 * 1024;
/** Bytes read first from the end of a larger file: where JPEG and PNG end markers are. */
export const TAIL_BYTES = 1024;
/** The least read when a header runs past what was read. */
const MORE_BYTES = 256 * 1024;

async function bytesOf(blob, start, end) {
  return new Uint8Array(await blob.slice(start, end).arrayBuffer());
}

/**
 * Reads the parts of `blob` (a File or Blob) that `attempt(parts)` needs: all of a small file;
 * the first 64 KiB and the last KiB of a larger one, then whatever range a `need-bytes` error
 * names, until `attempt` answers.
 */
async function withParts(blob, attempt) {
  const size = blob.size;
  const parts = new FileParts(size);
  try {
    if (size <= WHOLE_BYTES) {
      parts.add(0, await bytesOf(blob, 0, size));
    } else {
      // Head and tail in one read of a composed Blob: one round trip, not two.
      const both = new Uint8Array(
        await new Blob([blob.slice(0, HEAD_BYTES), blob.slice(size - TAIL_BYTES, size)]).arrayBuffer(),
      );
      parts.add(0, both.subarray(0, HEAD_BYTES));
      parts.add(size - TAIL_BYTES, both.subarray(HEAD_BYTES));
    }
    for (;;) {
      try {
        return attempt(parts);
      } catch (e) {
        if (e?.code !== "need-bytes" || !e.need) throw e;
        const start = e.need.offset;
        const end = Math.min(size, start + Math.max(e.need.length, MORE_BYTES));
        const held = parts.held;
        parts.add(start, await bytesOf(blob, start, end));
        // No new bytes: the file shrank since its size was taken.
        if (parts.held === held) throw new Error("the file changed while it was read");
      }
    }
  } finally {
    parts.free();
  }
}

/** The header facts of a File or Blob, reading only its header (and its last bytes). */
export function probeFile(blob, lenient = false) {
  return withParts(blob, (parts) => probeParts(parts, lenient));
}

/**
 * Adds a File or Blob to a CostReport from its header alone: its row, or null for a
 * non-image found in a folder (`found`). `name` defaults to the file's path or name.
 */
export async function estimateFile(report, blob, { name, found = false } = {}) {
  const label = name ?? (blob.webkitRelativePath || blob.name || "");
  try {
    return await withParts(blob, (parts) => report.add(label, parts, found));
  } catch (e) {
    if (isVisionprepError(e)) throw e;
    // The file could not be read (gone, or the browser refused it): its row says so.
    return report.unreadable(label, blob.size, String(e?.message ?? e));
  }
}

/** Base64 of bytes, in chunks (btoa takes a binary string). */
export function base64(bytes) {
  if (typeof Buffer !== "undefined") return Buffer.from(bytes).toString("base64");
  let out = "";
  const chunk = 0x8000;
  for (let i = 0; i < bytes.length; i += chunk) {
    out += btoa(String.fromCharCode.apply(null, bytes.subarray(i, i + chunk)));
  }
  return out;
}

/**
 * A prepared image as the Messages API image block, in the shape of the TypeScript SDK's
 * `ImageBlockParam`: `{type: "image", source: {type: "base64", media_type, data}}`.
 */
export function toContentBlock(prepared) {
  if (!(prepared?.data instanceof Uint8Array) || typeof prepared.mediaType !== "string") {
    throw new TypeError("toContentBlock takes the result of prepare()");
  }
  return {
    type: "image",
    source: { type: "base64", media_type: prepared.mediaType, data: base64(prepared.data) },
  };
}

/** Whether `e` is a refusal of visionprep (it has the CLI's `code`). */
export function isVisionprepError(e) {
  return e instanceof Error && e.name === "VisionprepError" && typeof e.code === "string";
}
