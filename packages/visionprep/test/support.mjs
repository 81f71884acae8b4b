// What the package's and the page's tests share: the repository root, the CLI, a PNG header.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import zlib from "node:zlib";

/** The repository's root folder. */
export const root = fileURLToPath(new URL("../../../", import.meta.url));

/**
 * A PNG of `w` x `h`: with `pixels`, an all-black RGB image (a decompression bomb: 121 MP
 * compress to 350 KB); without, no pixel data at all (a header that declares one).
 */
export function pngHeader(w, h, { pixels = false } = {}) {
  const chunk = (type, data) => {
    const head = Buffer.alloc(4);
    head.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, "latin1"), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(zlib.crc32(body));
    return Buffer.concat([head, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = pixels ? 2 : 6; // RGB, RGBA
  const signature = Buffer.from("89504e470d0a1a0a", "hex");
  const data = pixels ? zlib.deflateSync(Buffer.alloc((w * 3 + 1) * h), { level: 9 }) : Buffer.alloc(0);
  return Buffer.concat([signature, chunk("IHDR", ihdr), chunk("IDAT", data), chunk("IEND", Buffer.alloc(0))]);
}

/** Runs the CLI (VISIONPREP_BIN, or `cargo run`) from the root; its stdout, the exit status checked. */
export function cli(args, { status = 0 } = {}) {
  const [cmd, pre] = process.env.VISIONPREP_BIN
    ? [process.env.VISIONPREP_BIN, []]
    : ["cargo", ["run", "--quiet", "-p", "visionprep-cli", "--"]];
  const r = spawnSync(cmd, [...pre, ...args], { cwd: root, encoding: "utf8", maxBuffer: 1 << 28 });
  assert.equal(r.status, status, `visionprep ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

