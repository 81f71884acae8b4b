//! The pure core per call: fit rule + tokens + cost (target: under 100 ns).

#![allow(missing_docs, clippy::unwrap_used)]

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use visionprep::core::{
    CostOptions, Estimator, PriceTable, Size, TierLimits, TokenRule, fit_target,
    normalize_model_name,
};

fn bench(c: &mut Criterion) {
    let table = PriceTable::builtin();
    let sonnet = table.get("claude-sonnet-4-6").unwrap().clone();
    let opts = CostOptions::default();
    let sizes = [
        Size::new(4032, 3024),
        Size::new(1920, 1080),
        Size::new(800, 600),
        Size::new(12000, 9000),
    ];
    let mut g = c.benchmark_group("core");
    g.bench_function("fit_target+tokens+cost (4 sizes)", |b| {
        b.iter(|| {
            for s in sizes {
                let limits = TierLimits::STANDARD;
                let t = fit_target(black_box(s), limits);
                let tokens = TokenRule::Area750.tokens(t, limits);
                black_box(table.cost(&sonnet, tokens, &opts));
            }
        })
    });
    g.bench_function("fit_target 4032x3024", |b| {
        b.iter(|| fit_target(black_box(Size::new(4032, 3024)), TierLimits::STANDARD))
    });
    let est = Estimator::new(
        &table,
        &["sonnet-4.5", "opus-4.7", "haiku-5.5"],
        TokenRule::Area750,
    )
    .unwrap();
    g.bench_function("Estimator::estimate, 3 models", |b| {
        b.iter(|| est.estimate(black_box(Size::new(4032, 3024))))
    });
    g.bench_function("model name lookup", |b| {
        b.iter(|| table.get(black_box("us.anthropic.claude-sonnet-4-5-20250929-v1:0")))
    });
    g.bench_function("normalize_model_name", |b| {
        b.iter(|| normalize_model_name(black_box("Claude Sonnet 4.5")))
    });
    g.bench_function("PriceTable::builtin (parse TOML)", |b| {
        b.iter(PriceTable::builtin)
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
