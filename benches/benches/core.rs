//! The pure core per call: fit rule + tokens + cost (target: under 100 ns); budgets (under
//! 200 ns an image; a folder budget over 1,000,000 sizes under 1 s) and tile plans.

#![allow(missing_docs, clippy::unwrap_used)]

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use visionprep::core::{
    CostOptions, Estimator, MinScale, PriceTable, Size, SizeSet, TierLimits, TokenRule,
    budget_target, fit_target, folder_budget, normalize_model_name, plan_tiles,
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
    // Budgets (target: under 200 ns per image) and tiles.
    for (name, rule) in [
        ("area750", TokenRule::Area750),
        ("patch28", TokenRule::Patch28),
    ] {
        g.bench_function(format!("budget_target 4032x3024 at 800 ({name})"), |b| {
            b.iter(|| {
                budget_target(
                    black_box(Size::new(4032, 3024)),
                    TierLimits::STANDARD,
                    rule,
                    black_box(800),
                )
            })
        });
    }
    g.bench_function("plan_tiles 1170x8000", |b| {
        b.iter(|| {
            plan_tiles(
                black_box(Size::new(1170, 8000)),
                TierLimits::STANDARD,
                TokenRule::Area750,
                MinScale::HALF,
                64,
            )
        })
    });
    g.finish();
    // A folder budget over a million probed sizes, all different-ish (target: under 1 s):
    // building the set (sort, dedupe) and the search.
    let mut seed = 0x2545_f491_u64;
    let sizes: Vec<Size> = (0..1_000_000)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            Size::new(
                200 + (seed % 7800) as u32,
                200 + ((seed >> 20) % 7800) as u32,
            )
        })
        .collect();
    let mut g = c.benchmark_group("folder budget");
    g.sample_size(10);
    g.bench_function("1,000,000 sizes: SizeSet + folder_budget", |b| {
        b.iter(|| {
            let set = SizeSet::new(black_box(&sizes).iter().copied());
            folder_budget(&set, TierLimits::STANDARD, TokenRule::Area750, 400_000_000)
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
