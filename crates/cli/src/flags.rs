//! The flag groups several subcommands share (what bodies carry, what they are checked
//! against, how images are prepared and sized, which models are chosen and how they are
//! priced, how folders are walked), each filling the library's settings; and the parsers of
//! flag values.

use clap::{Args, ValueEnum};
use std::path::PathBuf;
use visionprep::Settings;
use visionprep::core::{CacheUse, MinScale, Profile, Tier, TileMode, TileOptions, TokenRule, Usd};
use visionprep::prepare::{Filter, OutputPolicy};

/// What every body says besides its images: shared by `request` and `batch`.
#[derive(Debug, Args)]
pub(crate) struct BodyTextArgs {
    /// The question about the images (the text after them).
    #[arg(long, value_name = "TEXT")]
    pub(crate) prompt: String,
    /// A system prompt for every body.
    #[arg(long, value_name = "TEXT")]
    pub(crate) system: Option<String>,
    /// max_tokens of each body.
    #[arg(long, value_name = "N", default_value_t = 1024)]
    pub(crate) max_tokens: u32,
}

/// What bodies are checked against: shared by `check`, `repair` and `count`.
impl BodyTextArgs {
    /// The library's body text.
    pub(crate) fn text(&self) -> visionprep::BodyText {
        visionprep::BodyText::new(&self.prompt).with(self.max_tokens, self.system.clone())
    }
}

#[derive(Debug, Args)]
pub(crate) struct BodyTargetArgs {
    /// The limits to check against: portable (5 MiB base64 per image, 20 MB a body: accepted
    /// everywhere), api (10 MiB, 32 MB), bedrock, vertex, claude-ai.
    #[arg(long, value_name = "PROFILE", default_value = "portable", value_parser = parse_text::<Profile>)]
    pub(crate) profile: Profile,
    /// The model of requests that name none (a transcript of messages). Default: the newest
    /// active standard-tier Sonnet in the model data.
    #[arg(short, long, value_name = "MODEL")]
    pub(crate) model: Option<String>,
    /// Use --model even for bodies that name their own.
    #[arg(long, requires = "model")]
    pub(crate) override_model: bool,
    /// How image tokens are counted (area750 or patch28).
    #[arg(long, value_name = "RULE", default_value = "area750", value_parser = parse_text::<TokenRule>)]
    pub(crate) token_rule: TokenRule,
    #[command(flatten)]
    pub(crate) prices: PriceArgs,
}

/// How images are prepared: shared by `prepare` and `request`.
#[derive(Debug, Args)]
pub(crate) struct PipelineArgs {
    /// The model the images are for: its tier decides the size kept. Default: the newest
    /// active standard-tier Sonnet in the model data (see `visionprep models`).
    #[arg(short, long, value_name = "MODEL")]
    pub(crate) model: Option<String>,
    /// How tokens are counted in the report (area750 or patch28).
    #[arg(long, value_name = "RULE", default_value = "area750", value_parser = parse_text::<TokenRule>)]
    pub(crate) token_rule: TokenRule,
    #[command(flatten)]
    pub(crate) choice: ChoiceArgs,
    #[command(flatten)]
    pub(crate) image: ImageArgs,
    #[command(flatten)]
    pub(crate) sizing: SizingArgs,
    #[command(flatten)]
    pub(crate) walk: WalkArgs,
}

impl PipelineArgs {
    /// The settings of these flags, the rest default.
    pub(crate) fn settings(&self) -> Settings {
        let mut s = Settings::default();
        s.models = self.model.iter().cloned().collect();
        s.token_rule = self.token_rule;
        s.lenient = self.walk.lenient;
        self.choice.apply(&mut s);
        self.image.apply(&mut s);
        self.sizing.apply(&mut s);
        s
    }
}

/// How each image is made: limits, quality, filter, format. Shared by the pipeline commands
/// and `bench`.
#[derive(Debug, Args, Clone)]
pub(crate) struct ImageArgs {
    /// The limits outputs must meet: portable, api, bedrock, vertex or claude-ai.
    #[arg(long, value_name = "PROFILE", default_value = "portable", value_parser = parse_text::<Profile>)]
    pub(crate) profile: Profile,
    /// JPEG quality (1-100); lowered step by step only if the byte limit requires it.
    #[arg(long, value_name = "Q", default_value_t = 85, value_parser = clap::value_parser!(u8).range(1..=100))]
    pub(crate) quality: u8,
    /// Resampling filter: lanczos3, mitchell, catmull-rom, bilinear or nearest.
    #[arg(long, value_name = "FILTER", default_value = "lanczos3", value_parser = parse_text::<Filter>)]
    pub(crate) filter: Filter,
    /// Output format: auto keeps JPEG, PNG and lossless WebP as they are, turns GIF into PNG
    /// and picks PNG or JPEG by content for formats the API refuses.
    #[arg(long, value_name = "FORMAT", default_value = "auto", value_parser = parse_text::<OutputPolicy>)]
    pub(crate) output_format: OutputPolicy,
    /// The colour transparency is composited onto for JPEG output: white, black, #rrggbb
    /// or r,g,b.
    #[arg(long, value_name = "COLOR", default_value = "white", value_parser = parse_color)]
    pub(crate) background: [u8; 3],
}

impl ImageArgs {
    /// Sets these flags in `s`.
    pub(crate) fn apply(&self, s: &mut Settings) {
        s.profile = self.profile;
        s.quality = self.quality;
        s.filter = self.filter;
        s.output_format = self.output_format;
        s.background = self.background;
    }
}

/// How much resolution each image keeps: a token budget, or tiles. Shared by `plan`, `cost`,
/// `prepare`, `request` and `batch`.
#[derive(Debug, Args, Clone)]
pub(crate) struct SizingArgs {
    /// Spend at most N tokens per image: each is sized to the largest size with its aspect
    /// ratio whose tokens (under --token-rule) are within N, instead of the largest size the
    /// API keeps. Reports show the tokens at the budget beside those as sent. Not with --tiles.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) token_budget: Option<u64>,
    /// Cut an image the API would shrink by more than --min-scale into tiles instead, each
    /// shrunk no more than that: auto (only drawn content: screenshots, scanned pages, charts;
    /// photographs go whole), always, or never. `cost` reads headers only, so it estimates
    /// tiles for `always` alone.
    #[arg(long, value_name = "MODE", default_value = "never", value_parser = parse_text::<TileMode>)]
    pub(crate) tiles: TileMode,
    /// The least scale a tile may be shown at (0.5: shrunk to half at most; 1: full
    /// resolution).
    #[arg(long, value_name = "F", default_value = "0.5", value_parser = parse_text::<MinScale>)]
    pub(crate) min_scale: MinScale,
    /// The least overlap between neighbouring tiles, in pixels of the original, so that a
    /// line of text cut by one border is whole in the next tile.
    #[arg(long, value_name = "PX", default_value_t = TileOptions::DEFAULT_OVERLAP)]
    pub(crate) tile_overlap: u32,
}

impl SizingArgs {
    /// Sets these flags in `s`.
    pub(crate) fn apply(&self, s: &mut Settings) {
        s.token_budget = self.token_budget;
        s.tiles = self.tiles;
        s.min_scale = self.min_scale;
        s.tile_overlap = self.tile_overlap;
    }
}

/// How models are priced.
#[derive(Debug, Args, Clone)]
pub(crate) struct PriceArgs {
    /// A TOML price file that extends (or with `replace = true`, replaces) the built-in
    /// prices; same format as the built-in `prices.toml`.
    #[arg(long, value_name = "FILE")]
    pub(crate) prices: Option<PathBuf>,
}

impl PriceArgs {
    /// The settings of these flags (the price file), the rest default.
    pub(crate) fn settings(&self) -> Settings {
        let mut s = Settings::default();
        s.prices = self.prices.clone();
        s
    }
}

/// Which models may be chosen, and how models the data does not know are priced.
#[derive(Debug, Args, Clone)]
pub(crate) struct ChoiceArgs {
    #[command(flatten)]
    pub(crate) prices: PriceArgs,
    /// Estimate retired models too (historic cost reports); the API refuses requests to them.
    #[arg(long)]
    pub(crate) allow_retired: bool,
    /// The tier of a model the model data does not know yet: standard (1568 px) or
    /// high-resolution (2576 px). Goes with --price-per-mtok.
    #[arg(long, value_name = "TIER", requires = "price_per_mtok", value_parser = parse_text::<Tier>)]
    pub(crate) tier: Option<Tier>,
    /// The input price in USD per million tokens of a model the model data does not know yet.
    /// Goes with --tier.
    #[arg(long, value_name = "USD", requires = "tier", value_parser = parse_text::<Usd>)]
    pub(crate) price_per_mtok: Option<Usd>,
}

impl ChoiceArgs {
    /// Sets these flags in `s`.
    pub(crate) fn apply(&self, s: &mut Settings) {
        s.prices = self.prices.prices.clone();
        s.allow_retired = self.allow_retired;
        s.tier = self.tier;
        s.price_per_mtok = self.price_per_mtok;
    }
}

/// Thread counts, `max` read as this machine's CPUs (the bench crate's reading).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ThreadCounts(pub(crate) Vec<usize>);

pub(crate) fn parse_threads(s: &str) -> Result<ThreadCounts, String> {
    visionprep_bench::parse_threads(s, visionprep_bench::cpus())
        .map(ThreadCounts)
        .map_err(|e| e.to_string())
}

pub(crate) fn parse_megapixels(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(mp) if mp.is_finite() && (0.01..=200.0).contains(&mp) => Ok(mp),
        _ => Err(format!("{s:?} is not a size in megapixels (0.01 to 200)")),
    }
}

/// What is estimated.
#[derive(Debug, Args, Clone)]
pub(crate) struct EstimateArgs {
    /// A model to estimate for (repeat for several). Accepts API ids, dated ids, platform ids
    /// and short forms such as `sonnet-4.6`. Each model uses its own tier: a high-resolution
    /// model may keep an image that a standard one shrinks. Default: the newest active
    /// standard-tier Sonnet in the model data (see `visionprep models`).
    #[arg(short, long = "model", value_name = "MODEL")]
    pub(crate) models: Vec<String>,

    /// How tokens are counted: `area750` is the guide's ceil(w*h/750); `patch28` is one token
    /// per 28x28 patch (Anthropic's current pages).
    #[arg(long, value_name = "RULE", default_value = "area750", value_parser = parse_text::<TokenRule>)]
    pub(crate) token_rule: TokenRule,

    /// Price as sent through the Message Batches API (0.5x).
    #[arg(long)]
    pub(crate) batch: bool,

    /// Price as part of a cached prompt: written (5 min or 1 h TTL) or read.
    #[arg(long, value_enum, value_name = "USE")]
    pub(crate) cache: Option<CacheArg>,

    /// Price with US-only inference (1.1x).
    #[arg(long)]
    pub(crate) us_only: bool,

    /// The whole prompt's input tokens, for models whose price steps up with prompt length
    /// (long-context pricing). Default: under every threshold.
    #[arg(long, value_name = "N")]
    pub(crate) prompt_tokens: Option<u64>,

    #[command(flatten)]
    pub(crate) sizing: SizingArgs,

    #[command(flatten)]
    pub(crate) choice: ChoiceArgs,
}

impl EstimateArgs {
    /// The settings of these flags, the rest default.
    pub(crate) fn settings(&self) -> Settings {
        let mut s = Settings::default();
        s.models = self.models.clone();
        s.token_rule = self.token_rule;
        s.batch = self.batch;
        s.cache = self.cache.map(|c| match c {
            CacheArg::Write5m => CacheUse::Write5m,
            CacheArg::Write1h => CacheUse::Write1h,
            CacheArg::Read => CacheUse::Read,
        });
        s.us_only = self.us_only;
        s.prompt_tokens = self.prompt_tokens;
        self.sizing.apply(&mut s);
        self.choice.apply(&mut s);
        s
    }
}

/// `--cache` values.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum CacheArg {
    /// Cache write with a 5 minute TTL (1.25x).
    #[value(name = "write-5m")]
    Write5m,
    /// Cache write with a 1 hour TTL (2x).
    #[value(name = "write-1h")]
    Write1h,
    /// Cache read (0.1x, less on some models).
    Read,
}

/// How folders are walked and worked through: shared by `cost`, `prepare` and `request`.
#[derive(Debug, Args)]
pub(crate) struct WalkArgs {
    /// Worker threads (default: one per core).
    #[arg(short, long, value_name = "N")]
    pub(crate) jobs: Option<usize>,
    /// Also walk hidden files and folders (names starting with a dot).
    #[arg(long)]
    pub(crate) hidden: bool,
    /// Never show a progress bar (it is shown only when stderr is a terminal).
    #[arg(long)]
    pub(crate) no_progress: bool,
    /// Read JPEGs and PNGs that were cut off (no end-of-image marker) instead of failing them:
    /// the row gets the `truncated` problem, and prepared outputs keep what decodes (the
    /// missing part grey or black).
    #[arg(long)]
    pub(crate) lenient: bool,
}

pub(crate) fn parse_budget_usd(s: &str) -> Result<Usd, String> {
    s.trim_start_matches('$')
        .parse::<Usd>()
        .map_err(|e| e.to_string())
}

/// A value by its type's text form (the library's parser), its error in words for clap.
pub(crate) fn parse_text<T: std::str::FromStr>(s: &str) -> Result<T, String>
where
    T::Err: std::fmt::Display,
{
    s.parse().map_err(|e: T::Err| e.to_string())
}

/// `white`, `black`, `#rrggbb`, `rrggbb` or `r,g,b`.
pub(crate) fn parse_color(s: &str) -> Result<[u8; 3], String> {
    visionprep::prepare::parse_color(s).map_err(|e| e.to_string())
}
