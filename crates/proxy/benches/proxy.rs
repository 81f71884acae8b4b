//! What the proxy adds, against a loopback stand-in for the API, direct and through the proxy
//! in one run: latency of a 2 KB text-only request and of a 20 MB body of images that fit
//! (medians and p99), requests per second at 64 concurrent clients with and without checking,
//! and peak memory.
//!
//!     cargo bench -p visionprep-proxy --bench proxy [-- SMALL_N LARGE_N]
//!
//! Defaults: 2,000 text requests, 100 large ones (each 20 MB over loopback), 20,000 requests
//! at 64 clients. Everything listens on 127.0.0.1; every loop is bounded in count.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::net::{TcpListener, TcpStream};
use visionprep_proxy::{Proxy, ProxyConfig};

/// A stand-in that reads each body whole and answers a short JSON.
async fn stand_in() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let _ = stream.set_nodelay(true);
            tokio::spawn(async move {
                let service = service_fn(|req: Request<Incoming>| async move {
                    let n = req
                        .into_body()
                        .collect()
                        .await
                        .map_or(0, |b| b.to_bytes().len());
                    let text = format!("{{\"received\":{n}}}");
                    Ok::<_, Infallible>(Response::new(Full::new(Bytes::from(text))))
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    addr
}

async fn start_proxy(upstream: SocketAddr, check: bool) -> SocketAddr {
    let mut c = ProxyConfig::default();
    c.listen = "127.0.0.1:0".parse().unwrap();
    c.upstream = format!("http://{upstream}");
    c.check = check;
    let p = Proxy::bind(c).await.unwrap();
    let addr = p.local_addr();
    tokio::spawn(p.run(std::future::pending()));
    addr
}

/// One keep-alive connection to `addr`.
struct Conn(hyper::client::conn::http1::SendRequest<Full<Bytes>>);

impl Conn {
    async fn open(addr: SocketAddr) -> Conn {
        let stream = TcpStream::connect(addr).await.unwrap();
        stream.set_nodelay(true).unwrap();
        let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .unwrap();
        tokio::spawn(conn);
        Conn(sender)
    }

    async fn post(&mut self, body: &Bytes) -> Duration {
        let req = Request::post("/v1/messages")
            .header("host", "localhost")
            .header("content-type", "application/json")
            .body(Full::new(body.clone()))
            .unwrap();
        let started = Instant::now();
        self.0.ready().await.unwrap();
        let response = self.0.send_request(req).await.unwrap();
        assert_eq!(response.status(), 200);
        response.into_body().collect().await.unwrap();
        started.elapsed()
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// Median and p99 of `n` sequential requests of `body` to `addr`, in ms.
async fn latency(addr: SocketAddr, body: &Bytes, n: usize) -> (f64, f64) {
    let mut conn = Conn::open(addr).await;
    for _ in 0..3 {
        conn.post(body).await;
    }
    let mut times = Vec::new();
    for _ in 0..n {
        times.push(conn.post(body).await);
    }
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    (ms(percentile(&times, 0.5)), ms(percentile(&times, 0.99)))
}

/// Requests per second of `total` requests of `body` over 64 connections.
async fn throughput(addr: SocketAddr, body: &Bytes, total: usize) -> f64 {
    let clients = 64;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let body = body.clone();
        tasks.push(tokio::spawn(async move {
            let mut conn = Conn::open(addr).await;
            for _ in 0..total / clients {
                conn.post(&body).await;
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    (total / clients * clients) as f64 / started.elapsed().as_secs_f64()
}

/// A `visionprep proxy` process (the release binary, when built) in front of `upstream`: its
/// address and pid, so that its own memory can be read apart from the clients'.
fn proxy_process(upstream: SocketAddr) -> Option<(SocketAddr, std::process::Child)> {
    use std::io::BufRead;
    let binary =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/release/visionprep");
    let mut child = std::process::Command::new(binary)
        .args([
            "proxy",
            "--listen",
            "127.0.0.1:0",
            "--upstream",
            &format!("http://{upstream}"),
        ])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .ok()?;
    let mut first = String::new();
    std::io::BufReader::new(child.stdout.take()?)
        .read_line(&mut first)
        .ok()?;
    let addr = first
        .split("http://")
        .nth(1)?
        .split_whitespace()
        .next()?
        .parse()
        .ok()?;
    Some((addr, child))
}

/// VmRSS and VmHWM of process `pid`, in MB.
fn rss_of(pid: u32) -> (f64, f64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|k| k.parse::<f64>().ok())
            .map_or(0.0, |kb| kb / 1024.0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|k| k.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// A PNG of noise (it compresses to about its raw size): `w` x `h`, as base64.
fn noise_png(w: u32, h: u32, seed: u32) -> String {
    let mut state = seed.wrapping_mul(2_654_435_761).max(1);
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        state as u8
    };
    let img = image::RgbImage::from_fn(w, h, |_, _| image::Rgb([next(), next(), next()]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    visionprep::core::request::base64_encode(&out.into_inner())
}

fn body_with(images: &[String]) -> String {
    let blocks: Vec<String> = images
        .iter()
        .map(|d| format!(r#"{{"type":"image","source":{{"type":"base64","media_type":"image/png","data":"{d}"}}}}"#))
        .collect();
    format!(
        r#"{{"model":"claude-sonnet-4-6","max_tokens":1024,"messages":[{{"role":"user","content":[{},{{"type":"text","text":"Describe each image."}}]}}]}}"#,
        blocks.join(",")
    )
}

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let small_n = args.first().copied().unwrap_or(2000);
    let large_n = args.get(1).copied().unwrap_or(100);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let up = stand_in().await;
        let proxied = start_proxy(up, true).await;
        let unchecked = start_proxy(up, false).await;
        let mut text = body_with(&[]);
        let pad = 2048usize.saturating_sub(text.len());
        text = text.replace("Describe each image.", &format!("Describe each image.{}", " ".repeat(pad)));
        let text = Bytes::from(text);
        // Seven 1000x700 noise PNGs (about 2.8 MB base64 each, under every cap and 1568 px
        // so the API keeps them): a 20 MB body that passes.
        let images: Vec<String> = (0..7).map(|i| noise_png(1000, 700, i + 1)).collect();
        let large = Bytes::from(body_with(&images));
        let idle = peak_rss_mb();
        let options = ProxyConfig::default().repair;
        let mut gate_times: Vec<Duration> = (0..5)
            .map(|_| {
                let t = Instant::now();
                let g = visionprep::request::gate(visionprep::request::Endpoint::Messages, &large, &options);
                assert!(matches!(g, visionprep::request::Gated::Unchanged(_)), "the image body passes");
                t.elapsed()
            })
            .collect();
        gate_times.sort();
        println!("visionprep proxy benchmark: loopback stand-in, {} cores", std::thread::available_parallelism().map_or(1, |n| n.get()));
        println!("text body {} bytes x {small_n}; image body {:.1} MB x {large_n}", text.len(), large.len() as f64 / 1e6);
        let (d50, d99) = latency(up, &text, small_n).await;
        let (p50, p99) = latency(proxied, &text, small_n).await;
        println!("2 KB text   direct p50 {d50:.3} ms p99 {d99:.3} ms | proxy p50 {p50:.3} ms p99 {p99:.3} ms | added p50 {:.3} ms p99 {:.3} ms", p50 - d50, p99 - d99);
        println!("the gate alone on the 20 MB body: median {:.1} ms", gate_times[2].as_secs_f64() * 1000.0);
        let (d50, d99) = latency(up, &large, large_n).await;
        let (p50, p99) = latency(proxied, &large, large_n).await;
        println!("20 MB image direct p50 {d50:.1} ms p99 {d99:.1} ms | proxy p50 {p50:.1} ms p99 {p99:.1} ms | added p50 {:.1} ms p99 {:.1} ms", p50 - d50, p99 - d99);
        println!("peak RSS {:.0} MB, {:.0} MB above idle (one 20 MB body in flight: the client's, the proxy's and the stand-in's copies)", peak_rss_mb(), peak_rss_mb() - idle);
        match proxy_process(up) {
            Some((addr, mut child)) => {
                // Idle after one small request (runtime and pools warmed).
                latency(addr, &text, 10).await;
                let (idle, _) = rss_of(child.id());
                latency(addr, &large, 20).await;
                let (_, peak) = rss_of(child.id());
                println!(
                    "the proxy as its own process: peak RSS {peak:.0} MB, {:.0} MB above idle, one {:.1} MB body in flight ({:.2}x)",
                    peak - idle,
                    large.len() as f64 / 1e6,
                    (peak - idle) / (large.len() as f64 / 1e6)
                );
                let _ = child.kill();
                let _ = child.wait();
            }
            None => println!("(build target/release/visionprep to measure the proxy as its own process)"),
        }
        let total = 20_000;
        let checked = throughput(proxied, &text, total).await;
        let plain = throughput(unchecked, &text, total).await;
        let direct = throughput(up, &text, total).await;
        println!("64 clients  direct {direct:.0} req/s | proxy {checked:.0} req/s | proxy --no-check {plain:.0} req/s | checked/unchecked {:.2}", checked / plain);
    });
}
