//! One request through the proxy: read and gated when it is a Messages body the proxy may
//! change, streamed through otherwise; the response streamed back as it arrives.

use crate::log::{Line, Log, Totals, now};
use crate::upstream::{Body, BoxError, Upstream};
use crate::{DRAIN, ProxyConfig};
use bytes::Bytes;
use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tokio::net::TcpListener;
use visionprep::request::{Endpoint, GateStats, gate_owned};

/// Bodies up to this size are gated on the async thread (well under a millisecond); larger
/// ones on the blocking pool, so that a long repair never stalls other connections.
const INLINE_GATE: usize = 256 * 1024;

/// The most reserved for a body before its bytes arrive: a direct API request's 32 MB limit.
const RESERVE_AT_MOST: u64 = 32 * 1000 * 1000;

/// What every request shares.
pub(crate) struct State {
    pub(crate) config: ProxyConfig,
    /// The gate's options, shared (their model data is not copied per request).
    repair: Arc<visionprep::request::RepairOptions>,
    upstream: Upstream,
    pub(crate) log: Log,
    pub(crate) totals: Arc<Mutex<Totals>>,
}

impl State {
    pub(crate) fn new(config: ProxyConfig, upstream: Upstream, log: Log) -> State {
        State {
            repair: Arc::new(config.repair.clone()),
            config,
            upstream,
            log,
            totals: Arc::default(),
        }
    }

    pub(crate) fn snapshot(&self) -> Totals {
        self.totals.lock().map(|t| t.clone()).unwrap_or_default()
    }
}

/// Accepts connections until `shutdown`, then drains for up to [`DRAIN`].
pub(crate) async fn serve(
    listener: TcpListener,
    state: Arc<State>,
    shutdown: impl std::future::Future<Output = ()>,
) {
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let (stream, _) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                // Out of descriptors, a reset before accept: the next one may work.
                Err(_) => {
                    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let state = Arc::clone(&state);
        let service = service_fn(move |req| {
            let state = Arc::clone(&state);
            async move { Ok::<_, Infallible>(handle(req, &state).await) }
        });
        let conn = hyper::server::conn::http1::Builder::new()
            .serve_connection(TokioIo::new(stream), service);
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            // A client that goes away mid-request is not the proxy's error.
            let _ = conn.await;
        });
    }
    drop(listener);
    let _ = tokio::time::timeout(DRAIN, graceful.shutdown()).await;
}

/// An error answer shaped as the API's: `{"type": "error", "error": {"type", "message"}}`.
fn api_error(status: StatusCode, kind: &str, message: &str) -> Response<Body> {
    let body = serde_json::json!({
        "type": "error",
        "error": {"type": kind, "message": format!("visionprep proxy: {message}")},
    });
    let mut response = Response::new(full(body.to_string()));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

fn full(bytes: impl Into<Bytes>) -> Body {
    Full::new(bytes.into())
        .map_err(|never| match never {})
        .boxed()
}

/// Removes the hop-by-hop headers (RFC 9110 section 7.6.1): those of this connection only.
fn strip_hop_by_hop(headers: &mut HeaderMap) {
    let named: Vec<HeaderName> = headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|n| HeaderName::from_bytes(n.trim().as_bytes()).ok())
        .collect();
    for name in named {
        headers.remove(name);
    }
    for name in [
        "connection",
        "keep-alive",
        "proxy-connection",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    ] {
        headers.remove(name);
    }
}

/// Whether the body may be read and changed: not compressed, not signed over its bytes.
fn may_change(headers: &HeaderMap) -> bool {
    let identity = headers
        .get(header::CONTENT_ENCODING)
        .is_none_or(|v| v.as_bytes().eq_ignore_ascii_case(b"identity"));
    let signed = headers.contains_key("x-amz-content-sha256")
        || headers
            .get(header::AUTHORIZATION)
            .is_some_and(|v| v.as_bytes().starts_with(b"AWS4-HMAC-SHA256"));
    identity && !signed
}

async fn handle(req: Request<Incoming>, state: &State) -> Response<Body> {
    let started = Instant::now();
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    if method == Method::GET && path == "/visionprep/status" {
        let totals = state.snapshot();
        let mut response = Response::new(full(serde_json::to_string(&totals).unwrap_or_default()));
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        return response;
    }
    let endpoint = Endpoint::of(method.as_str(), &path);
    let (mut parts, body) = req.into_parts();
    let gated = state.config.check && endpoint.is_gated() && may_change(&parts.headers);
    let mut stats: Option<GateStats> = None;
    let body: Body = if gated {
        match read_and_gate(&mut parts.headers, body, endpoint, state).await {
            Ok((body, s)) => {
                stats = Some(s);
                body
            }
            Err((response, why)) => {
                finish(
                    state,
                    &method,
                    &path,
                    None,
                    &response,
                    started.elapsed(),
                    Some(why),
                );
                return response;
            }
        }
    } else {
        body.map_err(|e| Box::new(e) as BoxError).boxed()
    };
    let added = started.elapsed();
    let rewritten = stats.as_ref().map_or(0, |s| s.rewritten);
    let (response, error) = match forward(parts, body, state).await {
        Ok(mut response) => {
            if rewritten > 0 {
                response.headers_mut().insert(
                    "x-visionprep-rewritten",
                    HeaderValue::from(rewritten as u64),
                );
            }
            (response, None)
        }
        Err(e) => {
            let message = format!("cannot reach the upstream {}: {e}", state.upstream.host());
            let response = api_error(StatusCode::BAD_GATEWAY, "api_error", &message);
            (response, Some(e))
        }
    };
    finish(
        state,
        &method,
        &path,
        stats.as_ref(),
        &response,
        added,
        error.as_deref(),
    );
    response
}

/// Reads a body to gate (bounded by the size limit), gates it off the async threads, and
/// gives the body to send with the figures; a body over the limit is a 413 answer.
async fn read_and_gate(
    headers: &mut HeaderMap,
    body: Incoming,
    endpoint: Endpoint,
    state: &State,
) -> Result<(Body, GateStats), (Response<Body>, &'static str)> {
    let max = state.config.max_body;
    let too_large = || {
        api_error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "request_too_large",
            &format!("the body is over the proxy's limit of {max} bytes (--max-body)"),
        )
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > max) {
        return Err((too_large(), "body too large"));
    }
    // Read into one buffer, sized by the declared length once it passed the limit, up to
    // RESERVE_AT_MOST ahead of the bytes (a client that declares much and sends little must not
    // hold that much memory); a larger body grows the buffer as it arrives.
    let mut buf: Vec<u8> = Vec::new();
    let _ = buf.try_reserve_exact(declared.unwrap_or(0).min(RESERVE_AT_MOST) as usize);
    let mut body = body;
    while let Some(frame) = body.frame().await {
        let frame = match frame {
            Ok(f) => f,
            Err(e) => {
                let message = format!("the request body could not be read: {e}");
                let response =
                    api_error(StatusCode::BAD_REQUEST, "invalid_request_error", &message);
                return Err((response, "body unreadable"));
            }
        };
        if let Some(data) = frame.data_ref() {
            if (buf.len() + data.len()) as u64 > max {
                return Err((too_large(), "body too large"));
            }
            buf.extend_from_slice(data);
        }
    }
    let (body, stats) = if buf.len() <= INLINE_GATE {
        gate_owned(endpoint, buf, &state.repair)
    } else {
        let options = Arc::clone(&state.repair);
        let gated = tokio::task::spawn_blocking(move || gate_owned(endpoint, buf, &options)).await;
        // A panic in the gate is a bug; the body is gone with it, so the request is refused.
        gated.map_err(|_| {
            let message = "the check of this body failed (a bug); nothing was sent";
            let response = api_error(StatusCode::INTERNAL_SERVER_ERROR, "api_error", message);
            (response, "gate failed")
        })?
    };
    let body = Bytes::from(body);
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(body.len() as u64));
    Ok((full(body), stats))
}

/// Sends the request upstream and gives its response, headers cleaned, body streaming.
async fn forward(
    mut parts: http::request::Parts,
    body: Body,
    state: &State,
) -> Result<Response<Body>, String> {
    let path_and_query = parts
        .uri
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_owned();
    parts.uri = state
        .upstream
        .target(&path_and_query)
        .map_err(|e| e.to_string())?;
    strip_hop_by_hop(&mut parts.headers);
    parts.headers.remove(header::HOST);
    parts.version = http::Version::HTTP_11;
    let request = Request::from_parts(parts, body);
    let response = state.upstream.client.request(request).await.map_err(|e| {
        let mut text = e.to_string();
        let mut source = std::error::Error::source(&e);
        while let Some(s) = source {
            text.push_str(&format!(": {s}"));
            source = s.source();
        }
        text
    })?;
    let (mut parts, body) = response.into_parts();
    strip_hop_by_hop(&mut parts.headers);
    Ok(Response::from_parts(
        parts,
        body.map_err(|e| Box::new(e) as BoxError).boxed(),
    ))
}

/// Counts the request and writes its log line.
fn finish(
    state: &State,
    method: &Method,
    path: &str,
    stats: Option<&GateStats>,
    response: &Response<Body>,
    added: std::time::Duration,
    error: Option<&str>,
) {
    let status = response.status().as_u16();
    if let Ok(mut t) = state.totals.lock() {
        t.add(stats, status);
    }
    state.log.line(&Line {
        time: now(),
        method: method.as_str(),
        path,
        status,
        gate: stats,
        added_ms: added.as_secs_f64() * 1000.0,
        error,
    });
}
