//! The command line, as data.

pub(crate) use crate::flags::{
    BodyTargetArgs, BodyTextArgs, ChoiceArgs, EstimateArgs, ImageArgs, PipelineArgs, PriceArgs,
    ThreadCounts, WalkArgs,
};
use crate::flags::{parse_budget_usd, parse_megapixels, parse_text, parse_threads};
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use visionprep::core::{Profile, Usd};
use visionprep::prepare::OutputPolicy;
use visionprep::request::InputFormat;

/// Know what images cost on Claude, and make them Claude-ready.
///
/// The vision API shrinks any image over its model's native resolution (costing upload time
/// for nothing) and bills tokens for what it keeps. visionprep computes both exactly, from the
/// file headers alone.
#[derive(Debug, Parser)]
#[command(name = "visionprep", version, about, max_term_width = 100)]
#[command(after_help = "Examples:\n  \
    visionprep plan 4032 3024 --model claude-sonnet-4-6 --model claude-opus-4-7\n  \
    visionprep cost ~/Pictures --model sonnet-4.6 --format csv > cost.csv\n  \
    visionprep cost shots/ --token-rule patch28 --format json | jq .totals")]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Would the API resize an image of this size, to what, and what would it cost?
    Plan(PlanArgs),
    /// Report the tokens and cost of every image under the given files and folders.
    ///
    /// Folders are walked recursively in name order; only headers are read, so a folder of
    /// thousands of photos takes well under a second. Files that are not images are skipped in
    /// folders (and reported when named directly or when their extension claims an image).
    /// Exit status: 0 when every image was read, 1 when any failed, 2 on usage errors.
    Cost(CostArgs),
    /// Make images Claude-ready: upright, at the largest size the API keeps, in a format it
    /// takes, without metadata, under the byte limit; written under --out, mirroring the
    /// input folders.
    ///
    /// Outputs are written to a temporary file and renamed into place, so an interrupted run
    /// leaves no partial file; outputs newer than their input are kept (--force redoes them),
    /// so a rerun resumes. Images that are already ready are copied byte for byte.
    /// Exit status: 0 when every image was prepared, 1 when any failed, 2 on usage errors.
    Prepare(PrepareArgs),
    /// Prepare images and write Messages API request bodies holding them, split into as few
    /// bodies as the limits allow (100 images, 2000 px past 20 images, the per-image base64
    /// cap, 32 MB a body), each ready for `curl -d @request-001.json`.
    ///
    /// Images come first, introduced by "Image 1:", "Image 2:", ... when a body has several,
    /// then the prompt. The summary estimates image tokens only: text tokens are not counted.
    Request(RequestArgs),
    /// Check request bodies and agent transcripts as the API would, without sending them.
    ///
    /// Reads a Messages API body (every block kind: tool_use, tool_result with screenshots,
    /// documents, thinking, server tools, blocks it does not know, kept as they are), a JSON
    /// array of messages, or a JSON Lines transcript (one message or one body per line). Checks
    /// every image wherever it nests: base64 validity (a left-over data: prefix too), its bytes
    /// against its media type, the per-image byte cap, 8000 px (2000 px past 20 images); and
    /// per request the model's image limit (100 for 200k-token models, 600 for the others),
    /// the profile's body size and the model's lifecycle. Each finding names the JSON path the
    /// API would (messages.16.content.2.tool_result.content.0.image.source.base64).
    ///
    /// Exit status: 0 when the API would accept every request, 1 otherwise, 2 on usage errors.
    Check(CheckArgs),
    /// Repair a body or transcript the API would refuse: rewrite just the offending images
    /// (through `prepare`, for the request's model), keeping every other byte as it was.
    ///
    /// Fixes images over the byte cap, over 8000 px (2000 px past 20 images), in formats the
    /// API refuses, with a media type that does not match their bytes or a data: prefix.
    /// --shrink also shrinks the images the API would shrink by itself. An image that cannot
    /// be read is named and left (exit 1), or with --drop-unreadable replaced by a text block
    /// saying what was removed and why. Writes to --out, never over the input unless
    /// --in-place (which keeps a .bak copy).
    ///
    /// Exit status: 0 when the output passes `check`, 1 otherwise, 2 on usage errors.
    Repair(RepairArgs),
    /// Ask the API's count_tokens endpoint what a body costs in input tokens, beside
    /// visionprep's estimate of its images (opt-in: it sends the body to the API).
    ///
    /// Each request is counted twice, as it is and with its images replaced by a one-word
    /// text block: the difference is the API's own count of the image tokens, printed beside
    /// visionprep's estimate. Fields the endpoint refuses (max_tokens, stream, temperature,
    /// metadata, ...) are left out. Only base64 images can be counted: a body with images by
    /// URL or file id is named and skipped. The key comes from ANTHROPIC_API_KEY; HTTP 429 and
    /// 5xx answers are retried, honouring retry-after, a bounded number of times.
    ///
    /// Exit status: 0 when every request was counted, 1 otherwise, 2 on usage errors.
    #[cfg(feature = "count")]
    Count(CountArgs),
    /// Prepare images and write Message Batches files: JSONL lines of {"custom_id", "params"},
    /// each file within 100,000 requests and 256 MB, with a map from custom_id to the images.
    ///
    /// Each request holds --per-request images (default 1), then the prompt. Custom ids come
    /// from the paths (default template {stem}-{hash}), so a rerun gives the same ids, and
    /// requests whose images and options did not change are copied from the earlier files
    /// instead of prepared again (--force prepares everything). Costs are at the batch price
    /// (half the standard one) and count image tokens only.
    /// Exit status: 0 when every image went into a request, 1 when any failed, 2 on usage
    /// errors.
    Batch(BatchArgs),
    /// Join a Message Batches results file to the map `batch` wrote: billed tokens per
    /// request and in total, next to the estimate, and the images of failed requests.
    ///
    /// Exit status: 0 when every request succeeded, 1 otherwise, 2 on usage errors.
    BatchResults(BatchResultsArgs),
    /// Run a local gateway in front of the API that makes every Messages request image-safe:
    /// point an agent or SDK at it (ANTHROPIC_BASE_URL=http://127.0.0.1:8787).
    ///
    /// Each POST /v1/messages, /v1/messages/count_tokens and /v1/messages/batches body is
    /// checked as `check` checks it: a body the API takes goes on byte for byte; one with
    /// images it would refuse goes on with exactly those images repaired (as `repair` does),
    /// and the response carries x-visionprep-rewritten. Everything else streams through
    /// untouched. Keys are forwarded as they come and never logged. Stops on SIGINT/SIGTERM,
    /// letting requests in flight finish for up to 30 s, then prints the totals.
    #[cfg(feature = "proxy")]
    Proxy(crate::proxy_cmd::ProxyArgs),
    /// Measure preparation throughput on your own images and machine: images/s, input MP/s
    /// and per-stage times (decode, resize, encode, ...) per kind of input and thread count,
    /// with scaling efficiency and peak memory; --compare times Pillow and libvips on the same
    /// images in the same run.
    ///
    /// The inputs are read into memory first: disk is not measured. Each kind of input is
    /// timed on its own (decoders differ most between kinds): one warm-up pass, then --repeat
    /// timed passes, medians. Files that cannot be read or prepared are named and skipped.
    /// Exit status: 0 when the benchmark ran (even with skipped files), 2 on usage errors or
    /// when nothing could be measured.
    Bench(BenchArgs),
    /// List the models visionprep knows: tier, price, context window, lifecycle status and
    /// dates, platform ids.
    Models(ModelsArgs),
    /// Print the version; with --verbose, every decoder and encoder built in, its version and
    /// whether its SIMD is in (a build without nasm lacks libjpeg-turbo's x86 SIMD).
    Version(VersionArgs),
    /// Print the shell completion script for SHELL, made from this command's own definition.
    ///
    /// bash: `visionprep completions bash > ~/.local/share/bash-completion/completions/visionprep`;
    /// zsh: into a folder on $fpath as `_visionprep`; fish:
    /// `~/.config/fish/completions/visionprep.fish`; PowerShell and elvish: source the output
    /// from the profile.
    Completions(CompletionsArgs),
    /// Print the man page (roff), or with --out write one page per subcommand into a folder
    /// (visionprep.1, visionprep-prepare.1, ...): `visionprep man --out ~/.local/share/man/man1`.
    Man(ManArgs),
}

/// `visionprep completions`.
#[derive(Debug, Args)]
pub(crate) struct CompletionsArgs {
    /// The shell: bash, zsh, fish, powershell or elvish.
    #[arg(value_enum)]
    pub(crate) shell: clap_complete::Shell,
}

/// `visionprep man`.
#[derive(Debug, Args)]
pub(crate) struct ManArgs {
    /// Write visionprep.1 and a page per subcommand into this folder (made if missing)
    /// instead of printing the main page.
    #[arg(long, value_name = "DIR")]
    pub(crate) out: Option<std::path::PathBuf>,
}

/// `visionprep version`.
#[derive(Debug, Args)]
pub(crate) struct VersionArgs {
    /// List the codecs, their versions and SIMD.
    #[arg(short, long)]
    pub(crate) verbose: bool,
    /// Print JSON instead of text.
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct BatchArgs {
    /// Files and folders of images.
    #[arg(required = true, value_name = "PATH")]
    pub(crate) paths: Vec<PathBuf>,
    #[command(flatten)]
    pub(crate) text: BodyTextArgs,
    /// Images per request.
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=600))]
    pub(crate) per_request: u32,
    /// How custom ids are made: letters, digits, _ and -, with {stem} (the first image's
    /// name), {parent} (its folder's name), {hash} (of the request's paths) and {n} (the
    /// request's number).
    #[arg(long, value_name = "TEMPLATE", default_value = "{stem}-{hash}")]
    pub(crate) custom_id: String,
    /// The folder batch-001.jsonl, ... and the map are written to.
    #[arg(short, long, value_name = "DIR")]
    pub(crate) out: PathBuf,
    /// Prepare every image again, even those whose request an earlier run wrote.
    #[arg(long)]
    pub(crate) force: bool,
    /// The summary as text or JSON.
    #[arg(long, value_name = "FORMAT", default_value = "text", value_parser = ["text", "json"])]
    pub(crate) format: String,
    #[command(flatten)]
    pub(crate) pipeline: PipelineArgs,
}

#[derive(Debug, Args)]
pub(crate) struct BatchResultsArgs {
    /// The results file (JSONL) the Message Batches API returned.
    #[arg(value_name = "RESULTS")]
    pub(crate) results: PathBuf,
    /// The map `batch` wrote (visionprep-batch-map.jsonl), or the folder holding it.
    #[arg(long, value_name = "FILE|DIR")]
    pub(crate) map: PathBuf,
    /// The report as text or JSON.
    #[arg(long, value_name = "FORMAT", default_value = "text", value_parser = ["text", "json"])]
    pub(crate) format: String,
    #[command(flatten)]
    pub(crate) prices: PriceArgs,
}

#[derive(Debug, Args)]
pub(crate) struct PrepareArgs {
    /// Files and folders to prepare.
    #[arg(required = true, value_name = "PATH")]
    pub(crate) paths: Vec<PathBuf>,
    /// The folder outputs go to (created if missing); it must not overlap an input folder.
    #[arg(short, long, value_name = "DIR")]
    pub(crate) out: PathBuf,
    #[command(flatten)]
    pub(crate) pipeline: PipelineArgs,
    /// Prepare again even when the output folder's manifest records an output made from the
    /// same input with the same options.
    #[arg(long)]
    pub(crate) force: bool,
    /// Delete outputs whose input is gone (they are listed as orphaned otherwise).
    #[arg(long)]
    pub(crate) prune: bool,
    /// Report format.
    #[arg(long, value_enum, default_value = "table")]
    pub(crate) format: OutputFormat,
}

#[derive(Debug, Args)]
pub(crate) struct CheckArgs {
    /// Request bodies, message lists, JSON Lines transcripts or agent session files.
    #[arg(required = true, value_name = "FILE")]
    pub(crate) files: Vec<PathBuf>,
    /// What the files hold: auto (told from the content), claude-code-session,
    /// messages-jsonl or body.
    #[arg(long, value_name = "KIND", default_value = "auto", value_parser = parse_text::<InputFormat>)]
    pub(crate) input_format: InputFormat,
    #[command(flatten)]
    pub(crate) target: BodyTargetArgs,
    /// Report format: text or json.
    #[arg(long, value_enum, default_value = "text")]
    pub(crate) format: ReportFormat,
    /// Print JSON instead of text (--format json).
    #[arg(long)]
    pub(crate) json: bool,
}

/// How `check` and `repair` report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ReportFormat {
    /// Lines for people: `FILE:LINE: PATH: error CODE: message`.
    Text,
    /// One JSON document.
    Json,
}

/// `visionprep count`.
#[cfg(feature = "count")]
#[derive(Debug, Args)]
pub(crate) struct CountArgs {
    /// Request bodies, message lists or JSON Lines transcripts.
    #[arg(required = true, value_name = "FILE")]
    pub(crate) files: Vec<PathBuf>,
    /// The API's address (a proxy, or a stub in tests). Default: ANTHROPIC_BASE_URL, else
    /// https://api.anthropic.com.
    #[arg(long, value_name = "URL")]
    pub(crate) base_url: Option<String>,
    #[command(flatten)]
    pub(crate) target: BodyTargetArgs,
    /// Print JSON instead of text.
    #[arg(long)]
    pub(crate) json: bool,
}

/// `visionprep repair`.
#[derive(Debug, Args)]
pub(crate) struct RepairArgs {
    /// A request body, message list, JSON Lines transcript or agent session file.
    #[arg(value_name = "FILE")]
    pub(crate) input: PathBuf,
    /// What the file holds: auto (told from the content), claude-code-session,
    /// messages-jsonl or body.
    #[arg(long, value_name = "KIND", default_value = "auto", value_parser = parse_text::<InputFormat>)]
    pub(crate) input_format: InputFormat,
    /// Where the repaired document goes (never the input itself).
    #[arg(short, long, value_name = "OUT", required_unless_present_any = ["in_place", "dry_run"], conflicts_with = "in_place")]
    pub(crate) out: Option<PathBuf>,
    /// Repair the input in place, keeping the original as FILE.bak.
    #[arg(long)]
    pub(crate) in_place: bool,
    /// Say what would change; write nothing.
    #[arg(long)]
    pub(crate) dry_run: bool,
    /// Also shrink the images the API would shrink by itself (fewer bytes to send; the same
    /// tokens billed).
    #[arg(long)]
    pub(crate) shrink: bool,
    /// Replace an image that cannot be read by a text block saying what was removed and why.
    #[arg(long)]
    pub(crate) drop_unreadable: bool,
    #[command(flatten)]
    pub(crate) target: BodyTargetArgs,
    /// JPEG quality of re-encoded images (1-100).
    #[arg(long, value_name = "Q", default_value_t = 85, value_parser = clap::value_parser!(u8).range(1..=100))]
    pub(crate) quality: u8,
    /// Format of re-encoded images: auto (PNG for screenshots and line art, JPEG for photos),
    /// jpeg, png or webp.
    #[arg(long, value_name = "FORMAT", default_value = "auto", value_parser = parse_text::<OutputPolicy>)]
    pub(crate) output_format: OutputPolicy,
    /// Report format: text or json.
    #[arg(long, value_enum, default_value = "text")]
    pub(crate) format: ReportFormat,
    /// Print JSON instead of text (--format json).
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct RequestArgs {
    /// Files and folders of images to send.
    #[arg(value_name = "PATH", required_unless_present_any = ["url", "file_id"])]
    pub(crate) paths: Vec<PathBuf>,
    /// An image the API fetches from this URL, sent after the files (repeatable).
    #[arg(long, value_name = "URL")]
    pub(crate) url: Vec<String>,
    /// An image uploaded with the Files API, sent after the files and URLs (repeatable).
    #[arg(long, value_name = "ID")]
    pub(crate) file_id: Vec<String>,
    /// A request body (JSON) whose turns come before the new one: every body repeats them,
    /// and their images and bytes count toward every limit. Its system prompt is kept unless
    /// --system is given.
    #[arg(long, value_name = "FILE")]
    pub(crate) history: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) text: BodyTextArgs,
    /// The folder request-001.json, request-002.json, ... are written to.
    #[arg(short, long, value_name = "DIR", required_unless_present = "dry_run")]
    pub(crate) out: Option<PathBuf>,
    /// Print the plan (bodies, images, bytes, tokens) without writing anything.
    #[arg(long)]
    pub(crate) dry_run: bool,
    #[command(flatten)]
    pub(crate) pipeline: PipelineArgs,
}

/// `visionprep bench`.
#[derive(Debug, Args)]
pub(crate) struct BenchArgs {
    /// Image files and folders to measure (folders are walked; optional with --sizes).
    #[arg(value_name = "PATH", required_unless_present = "sizes")]
    pub(crate) paths: Vec<PathBuf>,
    /// The model whose targets images are prepared for. Default: the newest active
    /// standard-tier Sonnet in the model data.
    #[arg(short, long, value_name = "MODEL")]
    pub(crate) model: Option<String>,
    /// The thread counts to measure, each a run of its own: a list such as 1,2,4, where max
    /// is every CPU. Default: 1,max.
    #[arg(long, value_name = "N,N|max", default_value = "1,max", value_parser = parse_threads)]
    pub(crate) threads: ThreadCounts,
    /// Timed passes per measurement, after one warm-up pass; medians are reported.
    #[arg(long, value_name = "N", default_value_t = 3, value_parser = clap::value_parser!(u64).range(1..=1000))]
    pub(crate) repeat: u64,
    /// Also print each stage's time per image (probe, verify, decode, resize, color, encode;
    /// always in the JSON report).
    #[arg(long)]
    pub(crate) stages: bool,
    /// Also time Pillow (draft + LANCZOS + save) and libvips (pyvips in process, or
    /// vipsthumbnail per file) on the same images to the same targets, where installed, and
    /// print visionprep's speed over theirs; what is not installed is named and skipped.
    #[arg(long)]
    pub(crate) compare: bool,
    /// The Python that has Pillow (and pyvips, pillow-heif) for --compare.
    #[arg(long, value_name = "PYTHON", default_value = "python3")]
    pub(crate) python: PathBuf,
    /// An input-size sweep: synthetic photo-like JPEGs of these megapixels (such as
    /// 1,4,12,24,48), one thread, time per image of each stage.
    #[arg(long, value_name = "MP,MP", value_delimiter = ',', value_parser = parse_megapixels)]
    pub(crate) sizes: Vec<f64>,
    /// The most input bytes held in memory, in MB: images past it are counted, not read.
    #[arg(long, value_name = "MB", default_value_t = 2048)]
    pub(crate) max_input_mb: u64,
    #[command(flatten)]
    pub(crate) image: ImageArgs,
    #[command(flatten)]
    pub(crate) choice: ChoiceArgs,
    /// Report format: table or json.
    #[arg(long, value_enum, default_value = "table")]
    pub(crate) format: BenchFormat,
    /// Never print progress lines (they go to stderr only when it is a terminal).
    #[arg(long)]
    pub(crate) no_progress: bool,
}

/// How `bench` reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum BenchFormat {
    /// Tables for people.
    Table,
    /// One JSON document.
    Json,
}

/// `visionprep models`.
#[derive(Debug, Args)]
pub(crate) struct ModelsArgs {
    #[command(flatten)]
    pub(crate) prices: PriceArgs,
    /// Print JSON (every field of the model data) instead of a table.
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct PlanArgs {
    /// Width in pixels, as displayed.
    pub(crate) width: u32,
    /// Height in pixels, as displayed.
    pub(crate) height: u32,
    #[command(flatten)]
    pub(crate) estimate: EstimateArgs,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub(crate) json: bool,
}

impl From<OutputFormat> for visionprep::report::ReportFormat {
    fn from(f: OutputFormat) -> Self {
        match f {
            OutputFormat::Table => Self::Table,
            OutputFormat::Json => Self::Json,
            OutputFormat::Csv => Self::Csv,
        }
    }
}

/// Report formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum OutputFormat {
    /// Aligned text, one line per file, totals at the end.
    Table,
    /// One JSON object with `files` and `totals` (`cost` adds `token_rule`, `prices_as_of`).
    Json,
    /// One row per file (no totals).
    Csv,
}

#[derive(Debug, Args)]
pub(crate) struct CostArgs {
    /// Files and folders to look at.
    #[arg(required = true, value_name = "PATH")]
    pub(crate) paths: Vec<PathBuf>,
    #[command(flatten)]
    pub(crate) estimate: EstimateArgs,
    /// The limits to check against: portable (5 MiB base64 per image, accepted everywhere),
    /// api (10 MiB), bedrock, vertex, claude-ai.
    #[arg(long, value_name = "PROFILE", default_value = "portable", value_parser = parse_text::<Profile>)]
    pub(crate) profile: Profile,
    /// Report format.
    #[arg(long, value_enum, default_value = "table")]
    pub(crate) format: OutputFormat,
    /// Find the largest per-image token budget at which the whole set costs at most this many
    /// US dollars on each model (with --batch, --cache, ... applied), and print it with the
    /// sizes it gives; `prepare --token-budget` with that number spends exactly that total.
    #[arg(long, value_name = "USD", value_parser = parse_budget_usd, conflicts_with_all = ["total_token_budget", "token_budget"])]
    pub(crate) budget_usd: Option<Usd>,
    /// As --budget-usd, for a total number of image tokens.
    #[arg(long, value_name = "N", conflicts_with = "token_budget")]
    pub(crate) total_token_budget: Option<u64>,
    #[command(flatten)]
    pub(crate) walk: WalkArgs,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn every_setting_of_the_parity_table_is_a_flag() {
        let cli = Cli::command();
        let longs = |name: &str| -> Vec<String> {
            cli.find_subcommand(name)
                .map(|c| {
                    c.get_arguments()
                        .filter_map(|a| a.get_long().map(|l| format!("--{l}")))
                        .collect()
                })
                .unwrap_or_default()
        };
        let (cost, prepare) = (longs("cost"), longs("prepare"));
        // `cost` and `plan` take as flags exactly the settings the library says they read
        // (which Python's `cost` and `plan` take as keywords).
        use visionprep::settings::{Reads, SPELLINGS};
        for (command, run) in [("cost", Reads::Cost), ("plan", Reads::Plan)] {
            let flags = longs(command);
            let mut taken: Vec<&str> = SPELLINGS
                .iter()
                .filter(|s| s.cli.is_some_and(|f| flags.iter().any(|l| l == f)))
                .map(|s| s.name)
                .collect();
            let mut read = run.settings();
            taken.sort_unstable();
            read.sort_unstable();
            assert_eq!(taken, read, "{command}");
        }
        for row in visionprep::settings::SPELLINGS {
            match row.cli {
                Some(flag) => assert!(
                    cost.iter().chain(&prepare).any(|l| l == flag),
                    "{flag} ({}) is a flag of neither cost nor prepare",
                    row.name
                ),
                None => assert!(!row.note.is_empty(), "{}", row.name),
            }
        }
    }
}
