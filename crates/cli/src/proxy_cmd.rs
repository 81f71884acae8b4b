//! `visionprep proxy`: the local gateway (crate `visionprep-proxy`), configured from flags.

use crate::cost::price_table;
use crate::flags::{PriceArgs, parse_text};
use anyhow::Result;
use clap::Args;
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use visionprep::core::Profile;
use visionprep::request::CheckOptions;
use visionprep_proxy::{DEFAULT_MAX_BODY, ProxyConfig, run_until_signal};

/// `visionprep proxy`.
#[derive(Debug, Args)]
pub(crate) struct ProxyArgs {
    /// The address to listen on; port 0 picks a free one (printed on the first line).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8787")]
    listen: SocketAddr,
    /// Listen on an address other than loopback (anyone who reaches it spends the keys sent
    /// through it).
    #[arg(long)]
    allow_remote: bool,
    /// The API's base URL (http:// works too, for a local stand-in or a gateway).
    #[arg(long, value_name = "URL", default_value = "https://api.anthropic.com")]
    upstream: String,
    /// A PEM file of CA certificates to trust for the upstream (a corporate CA).
    #[arg(long, value_name = "FILE")]
    upstream_ca: Option<PathBuf>,
    /// The limits bodies are checked against. Default: the upstream's own (api).
    #[arg(long, value_name = "PROFILE", value_parser = parse_text::<Profile>)]
    profile: Option<Profile>,
    /// The model of bodies that name none.
    #[arg(short, long, value_name = "MODEL")]
    model: Option<String>,
    /// Also shrink images the API would shrink by itself (less to upload, the same tokens).
    #[arg(long)]
    shrink: bool,
    /// Replace an image no decoder can read by a short text block instead of sending it on.
    #[arg(long)]
    drop_unreadable: bool,
    /// Append one JSON line per request (and a summary at shutdown) to this file.
    #[arg(long, value_name = "FILE")]
    log: Option<PathBuf>,
    /// The largest body read for checking (bytes); a larger one is answered 413.
    #[arg(long, value_name = "BYTES", default_value_t = DEFAULT_MAX_BODY)]
    max_body: u64,
    /// Forward everything untouched (the benchmark's baseline).
    #[arg(long)]
    no_check: bool,
    #[command(flatten)]
    prices: PriceArgs,
}

/// Serves until SIGINT or SIGTERM; prints the address first and the totals last.
pub(crate) fn run(args: &ProxyArgs, out: &mut dyn Write) -> Result<()> {
    crate::allocator::restart_with(crate::allocator::PROXY);
    let mut config = ProxyConfig::default();
    let profile = args.profile.unwrap_or(config.repair.check.profile);
    config.repair.check =
        CheckOptions::for_model(profile, args.model.clone(), price_table(&args.prices)?)?;
    config.repair.shrink = args.shrink;
    config.repair.drop_unreadable = args.drop_unreadable;
    config.listen = args.listen;
    config.allow_remote = args.allow_remote;
    config.upstream = args.upstream.clone();
    config.upstream_ca = args.upstream_ca.clone();
    config.check = !args.no_check;
    config.max_body = args.max_body;
    config.log = args.log.clone();
    if !args.listen.ip().is_loopback() && args.allow_remote {
        eprintln!(
            "visionprep: warning: listening on {}: anyone who reaches it spends the API keys sent through it",
            args.listen
        );
    }
    let mut bound = Ok(());
    let totals = run_until_signal(config, |addr| {
        bound = writeln!(
            out,
            "visionprep proxy listening on http://{addr} -> {}",
            args.upstream
        )
        .and_then(|()| out.flush());
    })?;
    bound?;
    writeln!(out, "{}", serde_json::to_string(&totals)?)?;
    Ok(())
}
