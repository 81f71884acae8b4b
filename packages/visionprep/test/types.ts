// Compiled by `tsc --noEmit` in CI: the shipped types describe the package as the tests use it.
import {
  CostReport, FileParts, Preparer, buildRequests, check, estimateFile, isVisionprepError,
  models, plan, pricesAsOf, probe, toContentBlock,
  type CostRow, type ImageBlock, type MessagesRequest, type Plan, type Prepared,
} from "../index.js";

export async function use(file: Blob, bytes: Uint8Array): Promise<number> {
  const p: Plan = plan(4032, 3024, { model: "claude-opus-4-7", tokenRule: "patch28" });
  const report = new CostReport({ models: ["claude-sonnet-4-6"], profile: "api" });
  const row: CostRow | null = await estimateFile(report, file, { found: true });
  const tokens = row?.models["claude-sonnet-4-6"]?.tokens ?? 0;
  const parts = new FileParts(file.size);
  parts.add(0, bytes);
  parts.free();
  const prepared: Prepared = new Preparer({ quality: 80, outputFormat: "jpeg" }).prepare(bytes, "a.jpg");
  const block: ImageBlock = toContentBlock(prepared);
  const bodies: MessagesRequest[] = buildRequests([prepared, { url: "https://x/y.png" }], { prompt: "Hi" });
  try {
    probe(bytes);
  } catch (e) {
    if (isVisionprepError(e) && e.code === "need-bytes") return e.need?.offset ?? 0;
  }
  const passes: boolean = check(bodies[0], { profile: "portable" }).passes;
  return p.tokens + tokens + block.source.data.length + (passes ? 1 : 0) + models().models.length + pricesAsOf().length;
}
