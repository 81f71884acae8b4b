//! `visionprep proxy`: a local gateway in front of the Anthropic API that makes every Messages
//! request image-safe, so that an agent never gets stuck on an image the API refuses.
//!
//! Point an agent or SDK at it (`ANTHROPIC_BASE_URL=http://127.0.0.1:8787`). Each
//! `POST /v1/messages`, `/v1/messages/count_tokens` and `/v1/messages/batches` body goes
//! through the library's [`gate`](visionprep::request::gate): a body the API takes is
//! forwarded byte for byte; one with images it would refuse is forwarded with exactly those
//! images repaired, and the response says how many (`x-visionprep-rewritten`). Everything else
//! (other paths, compressed or signed bodies) streams through untouched, both ways.
//!
//! The HTTP lives here, apart from the library, so that a program linking `visionprep` carries
//! no server stack. The rules live in the library: there is no second copy of them here.
//!
//! ```no_run
//! use visionprep_proxy::{Proxy, ProxyConfig};
//! # async fn run() -> Result<(), visionprep_proxy::ProxyError> {
//! let proxy = Proxy::bind(ProxyConfig::default()).await?;
//! println!("listening on {}", proxy.local_addr());
//! let summary = proxy.run(async { let _ = tokio::signal::ctrl_c().await; }).await;
//! println!("{} requests", summary.requests);
//! # Ok(()) }
//! ```

#![forbid(unsafe_code)]

mod forward;
mod log;
mod upstream;

pub use log::Totals;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use visionprep::request::RepairOptions;

/// How long in-flight requests may go on after a shutdown is asked for (streams can be long).
pub const DRAIN: Duration = Duration::from_secs(30);

/// The largest body read by default: a whole Message Batches create body (256 MB).
pub const DEFAULT_MAX_BODY: u64 = 256 * 1000 * 1000;

/// Everything a proxy is started with.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ProxyConfig {
    /// The address to listen on; port 0 picks a free one. Default `127.0.0.1:8787`.
    pub listen: SocketAddr,
    /// Allow a non-loopback `listen` (anyone who reaches it spends the keys sent through it).
    pub allow_remote: bool,
    /// The API's base URL: `https://api.anthropic.com` by default; `http://` works too.
    pub upstream: String,
    /// A PEM file of CA certificates trusted for the upstream, beside the built-in roots.
    pub upstream_ca: Option<PathBuf>,
    /// How the upstream is reached: through the proxy `HTTPS_PROXY` / `HTTP_PROXY` name
    /// unless `NO_PROXY` excludes it (the default), directly, or through a given proxy.
    pub via: Via,
    /// How bodies are checked and repaired (profile, model, shrink, drop-unreadable).
    pub repair: RepairOptions,
    /// Check bodies at all (`--no-check` forwards everything untouched: the baseline of the
    /// benchmark).
    pub check: bool,
    /// The largest body read for checking; a larger one is answered 413.
    pub max_body: u64,
    /// A file that gets one JSON line per request and a summary line at shutdown.
    pub log: Option<PathBuf>,
}

impl Default for ProxyConfig {
    fn default() -> Self {
        let mut repair = RepairOptions::default();
        // The upstream's own limits: the direct API's.
        repair.check.profile = visionprep::core::Profile::Api;
        ProxyConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 8787)),
            allow_remote: false,
            upstream: "https://api.anthropic.com".to_owned(),
            upstream_ca: None,
            via: Via::Environment,
            repair,
            check: true,
            max_body: DEFAULT_MAX_BODY,
            log: None,
        }
    }
}

/// How the proxy reaches its upstream.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Via {
    /// The outbound proxy `HTTPS_PROXY` (`HTTP_PROXY` for an `http://` upstream) names, unless
    /// `NO_PROXY` excludes the upstream: a tunnel through it (`CONNECT`), TLS end to end.
    Environment,
    /// Directly.
    Direct,
    /// Through this outbound proxy (`http://host:port`, with `user:password@` for basic auth).
    Proxy(String),
}

/// Why a proxy could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProxyError {
    /// A non-loopback address without [`ProxyConfig::allow_remote`].
    #[error(
        "{0} is not a loopback address: anyone who reaches it spends the API keys sent through it (add --allow-remote if that is meant)"
    )]
    Remote(SocketAddr),
    /// The upstream URL is not an `http://` or `https://` URL.
    #[error("upstream {url:?}: {reason}")]
    Upstream {
        /// The URL given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The CA file could not be read or holds no certificate.
    #[error("upstream CA {path}: {reason}")]
    Ca {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The address could not be bound, or the log file opened.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// The error.
        source: std::io::Error,
    },
}

impl ProxyError {
    /// Its stable code: `invalid-options` for the configuration, `io` for the rest.
    pub fn code(&self) -> visionprep::core::ErrorCode {
        match self {
            ProxyError::Io { .. } => visionprep::core::ErrorCode::Io,
            _ => visionprep::core::ErrorCode::InvalidOptions,
        }
    }
}

/// A proxy bound to its address, not yet serving.
pub struct Proxy {
    listener: TcpListener,
    state: Arc<forward::State>,
}

impl std::fmt::Debug for Proxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Proxy")
            .field("listen", &self.local_addr())
            .finish_non_exhaustive()
    }
}

impl Proxy {
    /// Checks `config`, builds the upstream client and binds the address.
    pub async fn bind(config: ProxyConfig) -> Result<Proxy, ProxyError> {
        if !config.listen.ip().is_loopback() && !config.allow_remote {
            return Err(ProxyError::Remote(config.listen));
        }
        let upstream =
            upstream::Upstream::new(&config.upstream, config.upstream_ca.as_deref(), &config.via)?;
        let log = log::Log::open(config.log.as_deref())?;
        let listener = TcpListener::bind(config.listen)
            .await
            .map_err(|source| ProxyError::Io {
                what: format!("cannot listen on {}", config.listen),
                source,
            })?;
        let state = forward::State::new(config, upstream, log);
        Ok(Proxy {
            listener,
            state: Arc::new(state),
        })
    }

    /// The address it listens on (with the port picked when 0 was asked).
    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .unwrap_or(self.state.config.listen)
    }

    /// The totals so far, shared with the running proxy (what `GET /visionprep/status` says).
    pub fn totals(&self) -> Arc<std::sync::Mutex<Totals>> {
        Arc::clone(&self.state.totals)
    }

    /// Serves until `shutdown` completes; then stops accepting, lets in-flight requests finish
    /// for up to [`DRAIN`], writes the summary line to the log, and returns the totals.
    pub async fn run(self, shutdown: impl std::future::Future<Output = ()>) -> Totals {
        forward::serve(self.listener, Arc::clone(&self.state), shutdown).await;
        let totals = self.state.snapshot();
        self.state.log.summary(&totals);
        totals
    }
}

/// Resolves when the process gets SIGINT or SIGTERM (Ctrl-C elsewhere).
pub async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Runs a proxy on its own runtime until SIGINT or SIGTERM: binds, tells `on_bound` the
/// address (the command prints it as its first line), serves, drains, returns the totals.
pub fn run_until_signal(
    config: ProxyConfig,
    on_bound: impl FnOnce(SocketAddr),
) -> Result<Totals, ProxyError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|source| ProxyError::Io {
            what: "cannot start the runtime".into(),
            source,
        })?;
    runtime.block_on(async {
        let proxy = Proxy::bind(config).await?;
        on_bound(proxy.local_addr());
        Ok(proxy.run(shutdown_signal()).await)
    })
}
