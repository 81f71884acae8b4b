/** The token rule: `area750` (width x height / 750, the documented rule) or `patch28`. */
export type TokenRule = "area750" | "patch28";
/** Where requests go: their byte and image limits. */
export type Profile = "portable" | "api" | "bedrock" | "vertex" | "claude-ai";
/** The stable error codes of report rows and exceptions (the CLI's). */
export type ErrorCode =
  | "unreadable" | "empty" | "not-an-image" | "unsupported-format" | "truncated" | "corrupt"
  | "dimensions-too-large" | "memory-limit" | "encode-failed" | "io"
  | "invalid-options" | "unknown-model" | "retired-model" | "need-bytes"
  | "image-too-large" | "request-too-large" | "not-a-request" | "internal"
  | "invalid-model-data" | "changed" | "duplicate-custom-id" | "not-batch-results" | "api";

/** What every refusal throws: an `Error` named `VisionprepError`. */
export interface VisionprepError extends Error {
  name: "VisionprepError";
  code: ErrorCode;
  /** The file, when the refusal is about one. */
  path: string | null;
  /** The message without the path. */
  reason: string;
  /** With `need-bytes`: the range of the file to read next. */
  need?: { offset: number; length: number };
}

/**
 * The library's settings (every option of `cost`, `prepare`, `request` and `batch`), in
 * camelCase: the same meaning, defaults and checks as the CLI's flags. `model` names one
 * model, `models` several. `prices` (a file) is refused in the browser: give the price data's
 * text as `pricesToml`.
 */
export interface Settings {
  model?: string; models?: string[]; allowRetired?: boolean;
  tier?: "standard" | "high-resolution"; pricePerMtok?: string | number; pricesToml?: string;
  profile?: Profile; tokenRule?: TokenRule; quality?: number;
  filter?: "lanczos3" | "mitchell" | "catmull-rom" | "bilinear" | "nearest";
  outputFormat?: "auto" | "jpeg" | "png" | "webp"; background?: [number, number, number] | string;
  tokenBudget?: number; tiles?: "never" | "auto" | "always"; minScale?: number | string;
  tileOverlap?: number; batch?: boolean; cache?: "write-5m" | "write-1h" | "read";
  usOnly?: boolean; promptTokens?: number; lenient?: boolean;
}
export type PlanOptions = Settings;
export interface Plan {
  width: number; height: number; model: string; tier: "standard" | "high-resolution";
  resized: boolean; targetWidth: number; targetHeight: number; tokens: number; usd: number;
  budget: { width: number; height: number; tokens: number; usd: number } | null;
}
export interface ModelData {
  as_of: string; source: string | null; default_model: string | null;
  models: Array<{ id: string; [field: string]: unknown }>;
}
export interface ProbeResult {
  format: string; mediaType: string; width: number; height: number;
  storedWidth: number; storedHeight: number; orientation: number; animated: boolean;
  frames: number | null; bytes: number;
  /** The API takes the format as it is (JPEG, PNG, GIF, WebP). */
  accepted: boolean;
  /** The file ends early and was read leniently. */
  truncated: boolean;
}
/** `visionprep cost`'s flags. */
export type CostOptions = Settings;
export interface CostHeader {
  token_rule: TokenRule; prices_as_of: string;
  model_status: Record<string, { status: string; [field: string]: unknown }>;
}
export interface ModelEstimate {
  tier: "standard" | "high-resolution"; resized: boolean; target_width: number;
  target_height: number; tokens: number; usd: number; [field: string]: unknown;
}
/** One `files` entry of `visionprep cost --format json`. */
export interface CostRow {
  path: string; media_type: string | null; format: string | null; bytes: number;
  width: number | null; height: number | null; models: Record<string, ModelEstimate>;
  problems: string[]; error: { code: ErrorCode; message: string } | null;
}
export interface CostTotals {
  files: number; images: number; errors: number; bytes: number; skipped: number;
  models: Record<string, { tokens: number; usd: number; [field: string]: unknown }>;
}
/** `visionprep prepare`'s flags. */
export type PrepareOptions = Settings;
export interface Prepared {
  data: Uint8Array; mediaType: "image/jpeg" | "image/png" | "image/gif" | "image/webp";
  inputFormat: string; inputWidth: number; inputHeight: number; width: number; height: number;
  bytes: number; tokens: number; usd: number; model: string; actions: string[];
  qualityLoweredTo: number | null; truncated: boolean;
}
export type RequestImage =
  | { data: Uint8Array; mediaType: string; width?: number; height?: number }
  | { url: string }
  | { fileId: string };
export interface RequestOptions {
  prompt: string; maxTokens?: number; system?: string; model?: string; profile?: Profile;
}
/** A Messages API request body. */
export interface MessagesRequest {
  model: string; max_tokens: number; system?: unknown;
  messages: Array<{ role: "user" | "assistant"; content: unknown[] }>;
}
export interface CheckOptions { profile?: Profile; model?: string }
export interface CheckReport {
  kind: "body" | "messages" | "transcript"; requests: unknown[];
  findings: Array<{ severity: "error" | "note"; code: string; path: string; message: string; [field: string]: unknown }>;
  passes: boolean;
}
