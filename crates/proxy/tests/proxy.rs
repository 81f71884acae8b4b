//! The proxy between a client and a loopback stand-in for the API: what arrives upstream, what
//! comes back, and what is written down. Every server here listens on 127.0.0.1 only.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use bytes::Bytes;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot};
use visionprep_proxy::{Proxy, ProxyConfig, Totals};

/// Serves `handler` on a new loopback listener for the rest of the test; its address.
async fn serve<F, Fut, B>(handler: F) -> SocketAddr
where
    F: Fn(Request<Incoming>) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = Result<Response<B>, Infallible>> + Send + 'static,
    B: hyper::body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let handler = handler.clone();
            tokio::spawn(async move {
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service_fn(handler))
                    .await;
            });
        }
    });
    addr
}

/// What the stand-in received: method, path, headers and body of each request.
#[derive(Debug, Clone)]
struct Seen {
    path: String,
    headers: http::HeaderMap,
    body: Bytes,
}

type Log = Arc<Mutex<Vec<Seen>>>;

/// A stand-in for the API: records each request; `/v1/messages` answers a stream of events
/// when the body asks for one (the last event only after `release` fires), else echoes the
/// body's length as JSON.
async fn stand_in(release: Option<oneshot::Receiver<()>>) -> (SocketAddr, Log) {
    let log: Log = Arc::default();
    let seen = Arc::clone(&log);
    let release = Arc::new(Mutex::new(release));
    let addr = serve(move |req: Request<Incoming>| {
        let seen = Arc::clone(&seen);
        let release = Arc::clone(&release);
        async move {
            let (parts, body) = req.into_parts();
            let body = body.collect().await.unwrap().to_bytes();
            let streaming = body.windows(14).any(|w| w == b"\"stream\": true");
            seen.lock().unwrap().push(Seen {
                path: parts.uri.path().to_owned(),
                headers: parts.headers,
                body: body.clone(),
            });
            if streaming {
                let wait = release.lock().unwrap().take();
                let (tx, rx) = mpsc::channel::<Result<Frame<Bytes>, Infallible>>(4);
                tokio::spawn(async move {
                    let first = "event: message_start\ndata: {}\n\n";
                    let _ = tx.send(Ok(Frame::data(Bytes::from(first)))).await;
                    if let Some(wait) = wait {
                        let _ = wait.await;
                    }
                    let last = "event: message_stop\ndata: {}\n\n";
                    let _ = tx.send(Ok(Frame::data(Bytes::from(last)))).await;
                });
                let stream = tokio_stream(rx);
                let mut r = Response::new(StreamBody::new(stream).boxed());
                r.headers_mut()
                    .insert("content-type", "text/event-stream".parse().unwrap());
                r.headers_mut()
                    .insert("request-id", "req_stand_in".parse().unwrap());
                return Ok::<_, Infallible>(r);
            }
            let text = format!("{{\"received\":{}}}", body.len());
            let mut r = Response::new(Full::new(Bytes::from(text)).map_err(|e| match e {}).boxed());
            r.headers_mut()
                .insert("request-id", "req_stand_in".parse().unwrap());
            Ok(r)
        }
    })
    .await;
    (addr, log)
}

/// A receiver as a stream of frames.
fn tokio_stream(
    mut rx: mpsc::Receiver<Result<Frame<Bytes>, Infallible>>,
) -> impl futures_core::Stream<Item = Result<Frame<Bytes>, Infallible>> {
    futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx))
}

struct Running {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    done: tokio::task::JoinHandle<Totals>,
}

impl Running {
    async fn stop(mut self) -> Totals {
        let _ = self.stop.take().unwrap().send(());
        self.done.await.unwrap()
    }
}

async fn proxy(config: ProxyConfig) -> Running {
    let p = Proxy::bind(config).await.unwrap();
    let addr = p.local_addr();
    let (stop, stopped) = oneshot::channel::<()>();
    let done = tokio::spawn(p.run(async {
        let _ = stopped.await;
    }));
    Running {
        addr,
        stop: Some(stop),
        done,
    }
}

fn config_for(upstream: SocketAddr) -> ProxyConfig {
    let mut c = ProxyConfig::default();
    c.listen = "127.0.0.1:0".parse().unwrap();
    c.upstream = format!("http://{upstream}");
    c
}

/// Sends one request through the proxy; returns the response with its whole body.
async fn send(
    addr: SocketAddr,
    path: &str,
    body: Vec<u8>,
    key: &str,
) -> (http::response::Parts, Bytes) {
    let stream = TcpStream::connect(addr).await.unwrap();
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    tokio::spawn(conn);
    let req = Request::post(path)
        .header("host", "localhost")
        .header("x-api-key", key)
        .header("anthropic-version", "2023-06-01")
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body)))
        .unwrap();
    let response = sender.send_request(req).await.unwrap();
    let (parts, body) = response.into_parts();
    (parts, body.collect().await.unwrap().to_bytes())
}

fn png_base64(w: u32, h: u32) -> String {
    let mut out = std::io::Cursor::new(Vec::new());
    image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x % 251) as u8, (y % 241) as u8, ((x * y) % 239) as u8])
    })
    .write_to(&mut out, image::ImageFormat::Png)
    .unwrap();
    visionprep::core::request::base64_encode(&out.into_inner())
}

fn agent_body(images: &[String]) -> String {
    let blocks: Vec<String> = images
        .iter()
        .map(|d| {
            format!(
                r#"{{"type": "image", "source": {{"type": "base64", "media_type": "image/png", "data": "{d}"}}}}"#
            )
        })
        .collect();
    format!(
        r#"{{"model": "claude-sonnet-4-6", "max_tokens": 64,
 "messages": [
  {{"role": "user", "content": "Take a screenshot"}},
  {{"role": "assistant", "content": [{{"type": "tool_use", "id": "toolu_1", "name": "screenshot", "input": {{}}}}]}},
  {{"role": "user", "content": [{{"type": "tool_result", "tool_use_id": "toolu_1", "content": [{}]}}]}}
 ]}}"#,
        blocks.join(", ")
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn text_goes_through_byte_for_byte_and_images_over_the_limits_are_rewritten() {
    let (up, seen) = stand_in(None).await;
    let log_dir = tempfile::tempdir().unwrap();
    let log_path = log_dir.path().join("proxy.jsonl");
    let mut config = config_for(up);
    config.log = Some(log_path.clone());
    let p = proxy(config).await;
    let key = "sk-ant-test-SECRET-key-0123";

    let text = r#"{"model": "claude-sonnet-4-6", "max_tokens": 16,   "messages": [{"role": "user", "content": "Hello"}]}"#;
    let (parts, body) = send(p.addr, "/v1/messages", text.as_bytes().to_vec(), key).await;
    assert_eq!(parts.status, 200);
    assert_eq!(parts.headers["request-id"], "req_stand_in");
    assert!(parts.headers.get("x-visionprep-rewritten").is_none());
    assert_eq!(body, format!("{{\"received\":{}}}", text.len()));

    // A 9000 px wide screenshot in a tool_result: refused by the API (over 8000 px).
    let wide = png_base64(9000, 60);
    let small = png_base64(40, 30);
    let agent = agent_body(&[wide, small.clone()]);
    let (parts, _) = send(p.addr, "/v1/messages", agent.clone().into_bytes(), key).await;
    assert_eq!(parts.status, 200);
    assert_eq!(parts.headers["x-visionprep-rewritten"], "1");
    let (count, _) = send(
        p.addr,
        "/v1/messages/count_tokens",
        agent.clone().into_bytes(),
        key,
    )
    .await;
    assert_eq!(count.headers["x-visionprep-rewritten"], "1");

    let batch = format!(r#"{{"requests": [{{"custom_id": "one", "params": {agent}}}]}}"#);
    let (parts, _) = send(p.addr, "/v1/messages/batches", batch.into_bytes(), key).await;
    assert_eq!(parts.headers["x-visionprep-rewritten"], "1");

    // What comes before the wide image and after the small one.
    let head = &agent[..agent.find("{\"type\": \"image\"").unwrap()];
    let tail = &agent[agent.rfind(&small).unwrap() + small.len()..];
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 4);
    assert_eq!(
        seen[0].body,
        text.as_bytes(),
        "a body that passes arrives byte for byte"
    );
    assert_eq!(seen[0].headers["x-api-key"], key);
    assert_eq!(seen[0].headers["anthropic-version"], "2023-06-01");
    for s in &seen[1..] {
        let body = std::str::from_utf8(&s.body).unwrap();
        // Everything but the wide image is as it was: the start, the small image, the end.
        assert!(body.contains(&small));
        assert!(body.contains(head) && body.contains(tail), "{}", s.path);
        let check = visionprep::request::check_bytes(
            s.body.to_vec(),
            &visionprep::request::CheckOptions::default(),
        );
        if s.path != "/v1/messages/batches" {
            assert!(check.unwrap().passes(), "{}", s.path);
        }
        assert_eq!(s.headers["content-length"], s.body.len().to_string());
    }

    let totals = p.stop().await;
    assert_eq!(
        (totals.requests, totals.checked, totals.rewritten_bodies),
        (4, 4, 3)
    );
    assert_eq!(totals.images_rewritten, 3);
    let log = std::fs::read_to_string(&log_path).unwrap();
    assert!(!log.contains(key), "the key is never logged");
    assert!(!log.contains(&small), "bodies are never logged");
    let lines: Vec<serde_json::Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 5, "{log}");
    assert_eq!(lines[1]["rewritten"], 1);
    assert_eq!(lines[1]["model"], "claude-sonnet-4-6");
    assert!(lines[1]["bytes_after"].as_u64() < lines[1]["bytes_before"].as_u64());
    assert_eq!(lines[4]["summary"]["requests"], 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn responses_stream_event_by_event() {
    let (release, released) = oneshot::channel();
    let (up, _) = stand_in(Some(released)).await;
    let p = proxy(config_for(up)).await;
    let body = r#"{"model": "claude-sonnet-4-6", "max_tokens": 16, "stream": true, "messages": [{"role": "user", "content": "Hi"}]}"#;
    let stream = TcpStream::connect(p.addr).await.unwrap();
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    tokio::spawn(conn);
    let req = Request::post("/v1/messages")
        .header("host", "localhost")
        .body(Full::new(Bytes::from(body)))
        .unwrap();
    let response = sender.send_request(req).await.unwrap();
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let mut body = response.into_body();
    // The first event arrives while the stand-in still holds back the last one.
    let first = tokio::time::timeout(Duration::from_secs(10), body.frame())
        .await
        .expect("the first event before the last is sent")
        .unwrap()
        .unwrap();
    assert!(
        first
            .data_ref()
            .unwrap()
            .starts_with(b"event: message_start")
    );
    release.send(()).unwrap();
    let rest = body.collect().await.unwrap().to_bytes();
    assert!(rest.starts_with(b"event: message_stop"));
    p.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_answer_in_the_api_shape() {
    // Nothing listens on the upstream port: 502.
    let closed = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let gone = closed.local_addr().unwrap();
    drop(closed);
    let p = proxy(config_for(gone)).await;
    let (parts, body) = send(p.addr, "/v1/messages", b"{}".to_vec(), "k").await;
    assert_eq!(parts.status, 502);
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["type"], "error");
    assert_eq!(v["error"]["type"], "api_error");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("visionprep proxy")
    );
    let totals = p.stop().await;
    assert_eq!(totals.upstream_errors, 1);

    // Over --max-body: 413; not JSON: forwarded unchanged.
    let (up, seen) = stand_in(None).await;
    let mut config = config_for(up);
    config.max_body = 1000;
    let p = proxy(config).await;
    let (parts, body) = send(p.addr, "/v1/messages", vec![b' '; 5000], "k").await;
    assert_eq!(parts.status, 413);
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["error"]["type"], "request_too_large");
    let garbage = b"this is { not json".to_vec();
    let (parts, _) = send(p.addr, "/v1/messages", garbage.clone(), "k").await;
    assert_eq!(parts.status, 200);
    // Other paths stream through untouched, whatever their size.
    let big = vec![b'x'; 50_000];
    let (parts, _) = send(p.addr, "/v1/files", big.clone(), "k").await;
    assert_eq!(parts.status, 200);
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 2, "the 413 never went upstream");
    assert_eq!(seen[0].body, garbage);
    assert_eq!(
        (seen[1].path.as_str(), seen[1].body.len()),
        ("/v1/files", big.len())
    );
    p.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_remote_address_needs_allow_remote_and_the_status_answers_totals() {
    let mut config = ProxyConfig::default();
    config.listen = "0.0.0.0:0".parse().unwrap();
    let e = Proxy::bind(config).await.unwrap_err();
    assert_eq!(e.code().as_str(), "invalid-options");

    let (up, _) = stand_in(None).await;
    let p = proxy(config_for(up)).await;
    send(p.addr, "/v1/models", Vec::new(), "k").await;
    let stream = TcpStream::connect(p.addr).await.unwrap();
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    tokio::spawn(conn);
    let req = Request::get("/visionprep/status")
        .header("host", "localhost")
        .body(Full::new(Bytes::new()))
        .unwrap();
    let r = sender.send_request(req).await.unwrap();
    let v: serde_json::Value =
        serde_json::from_slice(&r.into_body().collect().await.unwrap().to_bytes()).unwrap();
    assert_eq!(v["requests"], 1);
    assert_eq!(v["checked"], 0);
    p.stop().await;
}

/// The API's image rules as the stand-in enforces them, written apart from visionprep's: each
/// base64 image at most 10,485,760 base64 bytes (the direct API), at most 8000 px a side, its
/// bytes of the media type it declares. The first broken rule, in the API's words.
fn refused(value: &serde_json::Value) -> Option<String> {
    match value {
        serde_json::Value::Object(map) => {
            if map.get("type").and_then(|t| t.as_str()) == Some("base64")
                && let (Some(data), Some(media)) = (
                    map.get("data").and_then(|d| d.as_str()),
                    map.get("media_type").and_then(|m| m.as_str()),
                )
            {
                if data.len() > 10_485_760 {
                    return Some(format!("image exceeds 10 MB maximum: {} bytes", data.len()));
                }
                let bytes = visionprep::core::request::base64_decode(data).ok()?;
                let reader = image::ImageReader::new(std::io::Cursor::new(bytes))
                    .with_guessed_format()
                    .ok()?;
                let actual = reader.format().map(|f| f.to_mime_type());
                if actual != Some(media) {
                    return Some(format!(
                        "Image does not match the provided media type {media}"
                    ));
                }
                let (w, h) = reader.into_dimensions().ok()?;
                if w > 8000 || h > 8000 {
                    return Some("image dimensions exceed max allowed size: 8000 pixels".into());
                }
                return None;
            }
            map.values().find_map(refused)
        }
        serde_json::Value::Array(items) => items.iter().find_map(refused),
        _ => None,
    }
}

/// A stand-in that refuses, with a 400 in the API's shape, a body whose images break a rule.
async fn strict_stand_in() -> SocketAddr {
    serve(|req: Request<Incoming>| async move {
        let body = req.into_body().collect().await.unwrap().to_bytes();
        let value: serde_json::Value = serde_json::from_slice(&body).unwrap();
        let (status, text) = match refused(&value) {
            Some(why) => (400, serde_json::json!({"type": "error", "error": {"type": "invalid_request_error", "message": why}}).to_string()),
            None => (200, r#"{"type":"message","content":[]}"#.to_owned()),
        };
        let mut r = Response::new(Full::new(Bytes::from(text)));
        *r.status_mut() = http::StatusCode::from_u16(status).unwrap();
        Ok::<_, Infallible>(r)
    })
    .await
}

/// The repository's Claude Code session, which the API refuses (a screenshot 8200 px wide, a
/// PNG declared as JPEG): refused by the stand-in directly, answered 200 through the proxy.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stuck_agent_session_gets_through() {
    let session = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../examples/sessions/claude-code.jsonl"),
    )
    .unwrap();
    let doc = visionprep::request::Document::read(session).unwrap();
    let options = visionprep::request::CheckOptions::default();
    let bodies: Vec<_> = visionprep::request::count_bodies(&doc, &options)
        .into_iter()
        .map(|b| b.unwrap().json)
        .collect();
    assert!(!bodies.is_empty());
    let up = strict_stand_in().await;
    let p = proxy(config_for(up)).await;
    let mut refused_directly = 0;
    for body in &bodies {
        let (direct, why) = send(up, "/v1/messages", body.clone().into_bytes(), "k").await;
        refused_directly += usize::from(direct.status == 400);
        assert!(direct.status == 400 || direct.status == 200, "{why:?}");
        let (through, why) = send(p.addr, "/v1/messages", body.clone().into_bytes(), "k").await;
        assert_eq!(through.status, 200, "{}", String::from_utf8_lossy(&why));
    }
    assert!(
        refused_directly > 0,
        "the fixture must be one the API refuses"
    );
    p.stop().await;
}

/// An HTTPS stand-in with a certificate for 127.0.0.1 signed by a CA made here; returns its
/// address and the CA in PEM.
async fn tls_stand_in() -> (SocketAddr, String) {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let key = KeyPair::generate().unwrap();
    let params = CertificateParams::new(vec!["127.0.0.1".to_owned()]).unwrap();
    let issuer = rcgen::Issuer::from_params(&ca_params, &ca_key);
    let cert = params.signed_by(&key, &issuer).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![cert.der().clone()],
            rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
        )
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(stream).await else {
                    return;
                };
                let service = service_fn(|_req: Request<Incoming>| async {
                    Ok::<_, Infallible>(Response::new(Full::new(Bytes::from_static(
                        b"{\"tls\":true}",
                    ))))
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(tls), service)
                    .await;
            });
        }
    });
    (addr, ca.pem())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upstream_ca_is_trusted_only_when_given() {
    let (up, ca) = tls_stand_in().await;
    let dir = tempfile::tempdir().unwrap();
    let ca_file = dir.path().join("ca.pem");
    std::fs::write(&ca_file, ca).unwrap();
    let mut config = config_for(up);
    config.upstream = format!("https://{up}");
    let without = proxy(config.clone()).await;
    let (parts, body) = send(without.addr, "/v1/models", Vec::new(), "k").await;
    assert_eq!(parts.status, 502, "{}", String::from_utf8_lossy(&body));
    without.stop().await;
    config.upstream_ca = Some(ca_file);
    let with = proxy(config).await;
    let (parts, body) = send(with.addr, "/v1/models", Vec::new(), "k").await;
    assert_eq!(parts.status, 200);
    assert_eq!(body, "{\"tls\":true}");
    with.stop().await;
}

/// A stand-in whose responses never end (an event every 20 ms); tells `closed` when a
/// response's receiver is gone, that is when the proxy dropped the upstream request.
async fn endless_stand_in(closed: mpsc::Sender<()>) -> SocketAddr {
    serve(move |_req: Request<Incoming>| {
        let closed = closed.clone();
        async move {
            let (tx, rx) = mpsc::channel::<Result<Frame<Bytes>, Infallible>>(1);
            tokio::spawn(async move {
                for _ in 0..1500 {
                    let event = Frame::data(Bytes::from_static(b"event: ping\ndata: {}\n\n"));
                    if tx.send(Ok(event)).await.is_err() {
                        let _ = closed.send(()).await;
                        return;
                    }
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            });
            Ok::<_, Infallible>(Response::new(StreamBody::new(tokio_stream(rx))))
        }
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_leaves_mid_stream_ends_the_upstream_request() {
    let (closed_tx, mut closed) = mpsc::channel(1);
    let up = endless_stand_in(closed_tx).await;
    let p = proxy(config_for(up)).await;
    let stream = TcpStream::connect(p.addr).await.unwrap();
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    let conn = tokio::spawn(conn);
    let req = Request::post("/v1/messages")
        .header("host", "localhost")
        .body(Full::new(Bytes::from_static(b"{}")))
        .unwrap();
    let response = sender.send_request(req).await.unwrap();
    let mut body = response.into_body();
    body.frame().await.unwrap().unwrap();
    // The client goes away.
    drop(body);
    drop(sender);
    conn.abort();
    tokio::time::timeout(Duration::from_secs(10), closed.recv())
        .await
        .expect("the upstream request ends when its client leaves");
    p.stop().await;
}

/// The peak resident memory of this process, from /proc (Linux), in MB.
fn peak_rss_mb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixty_four_streaming_clients_at_once() {
    let (up, seen) = stand_in(None).await;
    let p = proxy(config_for(up)).await;
    let image = png_base64(300, 200);
    let mut tasks = Vec::new();
    for i in 0..64 {
        let body = format!(
            r#"{{"model": "claude-sonnet-4-6", "max_tokens": {i}, "stream": true, "messages": [{{"role": "user", "content": [{{"type": "image", "source": {{"type": "base64", "media_type": "image/png", "data": "{image}"}}}}]}}]}}"#
        );
        let addr = p.addr;
        tasks.push(tokio::spawn(async move {
            let (parts, answer) = send(addr, "/v1/messages", body.clone().into_bytes(), "k").await;
            assert_eq!(parts.status, 200);
            assert_eq!(parts.headers["content-type"], "text/event-stream");
            assert_eq!(
                answer,
                "event: message_start\ndata: {}\n\nevent: message_stop\ndata: {}\n\n"
            );
            body
        }));
    }
    let mut sent = Vec::new();
    for t in tasks {
        sent.push(t.await.unwrap());
    }
    let mut arrived: Vec<String> = seen
        .lock()
        .unwrap()
        .iter()
        .map(|s| String::from_utf8(s.body.to_vec()).unwrap())
        .collect();
    arrived.sort();
    sent.sort();
    assert_eq!(arrived, sent, "every body arrives whole and unchanged");
    let totals = p.stop().await;
    assert_eq!(totals.requests, 64);
    println!(
        "peak RSS of the test process (proxy, stand-in and clients): {:?} MB",
        peak_rss_mb()
    );
}

/// An outbound HTTP proxy that takes `CONNECT host:port` and splices; records each target.
async fn connect_proxy() -> (SocketAddr, Arc<Mutex<Vec<String>>>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let log = Arc::clone(&seen);
    tokio::spawn(async move {
        while let Ok((mut client, _)) = listener.accept().await {
            let log = Arc::clone(&log);
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") && head.len() < 8192 {
                    if client.read_exact(&mut byte).await.is_err() {
                        return;
                    }
                    head.push(byte[0]);
                }
                let head = String::from_utf8_lossy(&head).into_owned();
                let target = head
                    .split_whitespace()
                    .nth(1)
                    .unwrap_or_default()
                    .to_owned();
                log.lock().unwrap().push(target.clone());
                let Ok(mut upstream) = TcpStream::connect(&target).await else {
                    return;
                };
                let _ = client
                    .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
                    .await;
                let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
            });
        }
    });
    (addr, seen)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outbound_proxy_carries_the_tls_tunnel() {
    let (up, ca) = tls_stand_in().await;
    let (outbound, targets) = connect_proxy().await;
    let dir = tempfile::tempdir().unwrap();
    let ca_file = dir.path().join("ca.pem");
    std::fs::write(&ca_file, ca).unwrap();
    let mut config = config_for(up);
    config.upstream = format!("https://{up}");
    config.upstream_ca = Some(ca_file);
    config.via = visionprep_proxy::Via::Proxy(format!("http://{outbound}"));
    let p = proxy(config).await;
    let (parts, body) = send(p.addr, "/v1/models", Vec::new(), "k").await;
    assert_eq!(parts.status, 200, "{}", String::from_utf8_lossy(&body));
    assert_eq!(body, "{\"tls\":true}");
    assert_eq!(*targets.lock().unwrap(), vec![up.to_string()]);
    p.stop().await;
}
