//! What the client adapters add per request, against what they avoid:
//!
//! - `hyper/connect_direct`, `hyper/connect_proxy`: a `ProxyConnector` call
//!   (target from the URI, resolve, plan, the inner connector, the stream)
//!   over an in-memory inner connector, so no socket is timed; a DIRECT route,
//!   and an HTTP proxy taking absolute-form requests (no handshake);
//!   `hyper/inner_only` is the in-memory connector alone on the same runtime;
//! - `reqwest/proxy_for`: the proxy URL handed to reqwest for a URL (resolve,
//!   then the prepared URL);
//! - `ureq/proxies_for`: the ureq proxies for a URI (resolve, then the
//!   prepared proxies);
//! - `per_request/*`: what making those values again on every request would
//!   cost (parse the proxy URL, encode the Basic header, build the ureq proxy);
//! - `*_shared`: the same adapter calls on a `SharedResolver` (each request
//!   loads the resolver in place) rather than an `Arc<Resolver>`.
//!
//! ```text
//! cargo bench --features hyper,reqwest-blocking,ureq --bench adapters
//! ```

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use criterion::{criterion_group, criterion_main, Criterion};
use http::Uri;
use hyper::rt::{Read, ReadBufCursor, Write};
use hyper_util::client::legacy::connect::{Connected, Connection};
use proxyroute::adapters::hyper::ProxyConnector;
use proxyroute::adapters::reqwest::RoutedClient;
use proxyroute::adapters::ureq::RoutedAgent;
use proxyroute::{Proxy, Resolver, SharedResolver};
use tower_service::Service;

/// An inner connector that connects nothing: its streams are empty.
#[derive(Clone, Copy, Debug)]
struct Mem;

#[derive(Debug)]
struct MemIo;

impl Read for MemIo {
    fn poll_read(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        _buf: ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

impl Write for MemIo {
    fn poll_write(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Poll::Ready(Ok(buf.len()))
    }
    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

impl Connection for MemIo {
    fn connected(&self) -> Connected {
        Connected::new()
    }
}

impl Service<Uri> for Mem {
    type Response = MemIo;
    type Error = io::Error;
    type Future = std::future::Ready<Result<MemIo, io::Error>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), io::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, _: Uri) -> Self::Future {
        std::future::ready(Ok(MemIo))
    }
}

fn block_on<F: Future>(rt: &tokio::runtime::Runtime, f: F) -> F::Output {
    rt.block_on(f)
}

fn adapters(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    let mut group = c.benchmark_group("adapters");

    let direct = Arc::new(Resolver::builder().no_env().build().unwrap());
    let open_proxy = Arc::new(
        Resolver::builder()
            .no_env()
            .proxy("http://proxy.corp.example:3128")
            .build()
            .unwrap(),
    );
    let authed = Arc::new(
        Resolver::builder()
            .no_env()
            .proxy("http://alice:s3cret@proxy.corp.example:3128")
            .build()
            .unwrap(),
    );
    let uri: Uri = "http://www.example.com/index.html".parse().unwrap();

    let mut inner = Mem;
    group.bench_function("hyper/inner_only", |b| {
        b.iter(|| block_on(&rt, inner.call(std::hint::black_box(uri.clone()))).unwrap())
    });
    let mut connector = ProxyConnector::new(Arc::clone(&direct), Mem);
    group.bench_function("hyper/connect_direct", |b| {
        b.iter(|| block_on(&rt, connector.call(std::hint::black_box(uri.clone()))).unwrap())
    });
    let mut connector = ProxyConnector::new(Arc::clone(&open_proxy), Mem).forward_http(true);
    group.bench_function("hyper/connect_proxy", |b| {
        b.iter(|| block_on(&rt, connector.call(std::hint::black_box(uri.clone()))).unwrap())
    });

    let shared_proxy = SharedResolver::from_arc(Arc::clone(&open_proxy));
    let mut connector = ProxyConnector::new(&shared_proxy, Mem).forward_http(true);
    group.bench_function("hyper/connect_proxy_shared", |b| {
        b.iter(|| block_on(&rt, connector.call(std::hint::black_box(uri.clone()))).unwrap())
    });

    let shared_authed = SharedResolver::from_arc(Arc::clone(&authed));
    let url = reqwest::Url::parse("http://www.example.com/index.html").unwrap();
    let client = RoutedClient::new(Arc::clone(&authed)).unwrap();
    group.bench_function("reqwest/proxy_for", |b| {
        b.iter(|| client.proxy_for(std::hint::black_box(&url)).unwrap())
    });
    let client = RoutedClient::new(&shared_authed).unwrap();
    group.bench_function("reqwest/proxy_for_shared", |b| {
        b.iter(|| client.proxy_for(std::hint::black_box(&url)).unwrap())
    });

    let agent = RoutedAgent::new(Arc::clone(&authed));
    group.bench_function("ureq/proxies_for", |b| {
        b.iter(|| agent.proxies_for(std::hint::black_box(&uri)).unwrap())
    });
    let agent = RoutedAgent::new(&shared_authed);
    group.bench_function("ureq/proxies_for_shared", |b| {
        b.iter(|| agent.proxies_for(std::hint::black_box(&uri)).unwrap())
    });

    let proxy: Proxy = "http://alice:s3cret@proxy.corp.example:3128"
        .parse()
        .unwrap();
    group.bench_function("per_request/hyper_uri_and_header", |b| {
        b.iter(|| {
            let p = std::hint::black_box(&proxy);
            let uri: Uri = format!("http://{}", p.authority()).parse().unwrap();
            let auth = p.credentials().unwrap().basic_auth();
            (uri, auth, p.to_string())
        })
    });
    group.bench_function("per_request/reqwest_url", |b| {
        b.iter(|| {
            reqwest::Url::parse(&std::hint::black_box(&proxy).url_with_credentials()).unwrap()
        })
    });
    group.bench_function("per_request/ureq_proxy", |b| {
        b.iter(|| {
            let p = std::hint::black_box(&proxy);
            (
                ureq::Proxy::new(&p.url_with_credentials()).unwrap(),
                p.to_string(),
            )
        })
    });
    group.finish();
}

criterion_group!(benches, adapters);
criterion_main!(benches);
