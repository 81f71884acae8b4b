//! The API the proxy forwards to: its base URL and an HTTP client with TLS on rustls (ring),
//! trusting the built-in web roots (those `visionprep count` uses) and an optional CA file.

use crate::{ProxyError, Via};
use bytes::Bytes;
use http::Uri;
use http_body_util::combinators::BoxBody;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::connect::proxy::Tunnel;
use hyper_util::client::proxy::matcher::Matcher;
use hyper_util::rt::TokioExecutor;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use std::path::Path;
use std::sync::Arc;

/// Errors of bodies in flight, boxed.
pub(crate) type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A request or response body: streamed through, or built here.
pub(crate) type Body = BoxBody<Bytes, BoxError>;

/// The upstream API.
pub(crate) struct Upstream {
    scheme: http::uri::Scheme,
    authority: http::uri::Authority,
    /// The base URL's path, without its trailing slash (`""` for most).
    prefix: String,
    pub(crate) client: UpstreamClient,
}

/// The HTTP client: direct, or through an outbound proxy's tunnel.
pub(crate) enum UpstreamClient {
    Direct(Client<HttpsConnector<HttpConnector>, Body>),
    Tunnel(Client<HttpsConnector<Tunnel<HttpConnector>>, Body>),
}

impl UpstreamClient {
    pub(crate) async fn request(
        &self,
        request: http::Request<Body>,
    ) -> Result<http::Response<hyper::body::Incoming>, hyper_util::client::legacy::Error> {
        match self {
            UpstreamClient::Direct(c) => c.request(request).await,
            UpstreamClient::Tunnel(c) => c.request(request).await,
        }
    }
}

impl Upstream {
    /// The upstream at `url`, trusting `ca` beside the built-in roots.
    pub(crate) fn new(url: &str, ca: Option<&Path>, via: &Via) -> Result<Upstream, ProxyError> {
        let bad = |reason: &str| ProxyError::Upstream {
            url: url.to_owned(),
            reason: reason.to_owned(),
        };
        let uri: Uri = url.parse().map_err(|_| bad("not a URL"))?;
        let scheme = uri
            .scheme()
            .cloned()
            .ok_or_else(|| bad("no http:// or https://"))?;
        if scheme != http::uri::Scheme::HTTP && scheme != http::uri::Scheme::HTTPS {
            return Err(bad("only http:// and https:// upstreams are supported"));
        }
        let authority = uri.authority().cloned().ok_or_else(|| bad("no host"))?;
        if uri.query().is_some() {
            return Err(bad("a base URL has no query"));
        }
        let prefix = uri.path().trim_end_matches('/').to_owned();
        let mut roots = rustls::RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        if let Some(path) = ca {
            let ca_error = |reason: String| ProxyError::Ca {
                path: path.to_path_buf(),
                reason,
            };
            let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
                .map_err(|e| ca_error(e.to_string()))?
                .collect::<Result<_, _>>()
                .map_err(|e| ca_error(e.to_string()))?;
            if certs.is_empty() {
                return Err(ca_error("no certificate in it".into()));
            }
            for cert in certs {
                roots.add(cert).map_err(|e| ca_error(e.to_string()))?;
            }
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| bad(&e.to_string()))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        let mut tcp = HttpConnector::new();
        tcp.set_nodelay(true);
        tcp.enforce_http(false);
        let matcher = match via {
            Via::Environment => Some(Matcher::from_env()),
            Via::Direct => None,
            Via::Proxy(p) => Some(Matcher::builder().all(p.clone()).build()),
        };
        let tunnel = matcher.as_ref().and_then(|m| m.intercept(&uri));
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1();
        let mut builder = Client::builder(TokioExecutor::new());
        builder.pool_idle_timeout(std::time::Duration::from_secs(60));
        let client = match tunnel {
            None => UpstreamClient::Direct(builder.build(https.wrap_connector(tcp))),
            Some(through) => {
                let mut tunnel = Tunnel::new(through.uri().clone(), tcp);
                if let Some(auth) = through.basic_auth() {
                    tunnel = tunnel.with_auth(auth.clone());
                }
                UpstreamClient::Tunnel(builder.build(https.wrap_connector(tunnel)))
            }
        };
        Ok(Upstream {
            scheme,
            authority,
            prefix,
            client,
        })
    }

    /// The upstream URL of a request for `path_and_query` on the proxy.
    pub(crate) fn target(&self, path_and_query: &str) -> Result<Uri, http::Error> {
        Uri::builder()
            .scheme(self.scheme.clone())
            .authority(self.authority.clone())
            .path_and_query(format!("{}{path_and_query}", self.prefix))
            .build()
    }

    /// The upstream's host, for the `Host` header.
    pub(crate) fn host(&self) -> &str {
        self.authority.as_str()
    }
}
