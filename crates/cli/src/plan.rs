//! `visionprep plan`: the fit rule and prices for one size, no file needed.

use crate::args::PlanArgs;
use crate::cost::resolve;
use anyhow::Result;
use serde::Serialize;
use std::io::Write;
use visionprep::core::{
    ModelEstimate, ModelMap, ModelStatus, ProblemCode, RequestLimits, Size, size_problems,
};
use visionprep::report::{group, model_status, money};

#[derive(Serialize)]
struct PlanReport {
    width: u32,
    height: u32,
    models: ModelMap<ModelEstimate>,
    model_status: ModelMap<ModelStatus>,
    problems: Vec<ProblemCode>,
}

pub(crate) fn run(args: &PlanArgs, out: &mut dyn Write) -> Result<()> {
    let resolved = resolve(&args.estimate.settings())?;
    let (est, table) = (&resolved.estimator, &resolved.table);
    let size = Size::new(args.width, args.height);
    let problems = size_problems(size, &RequestLimits::default()).collect();
    let ids = est.models().iter().map(|m| m.id.clone());
    let report = PlanReport {
        width: size.width,
        height: size.height,
        models: ModelMap(ids.zip(est.estimate(size)).collect()),
        model_status: model_status(est),
        problems,
    };
    if args.json {
        serde_json::to_writer(&mut *out, &report)?;
        writeln!(out)?;
        return Ok(());
    }
    writeln!(out, "{size} ({:.2} MP)", size.area() as f64 / 1e6)?;
    for (id, e) in &report.models.0 {
        let seen = if e.resized {
            format!(
                "resized by the API to {}x{}",
                e.target_width, e.target_height
            )
        } else {
            "kept as is".to_owned()
        };
        writeln!(
            out,
            "  {id:<28} {:<16} {seen:<36} {:>6} tokens  {:>10}  ({} per 1,000)",
            e.tier.as_str(),
            group(e.tokens),
            money(e.usd, 6),
            money(e.usd.times(1000), 2)
        )?;
        if let (Some(b), Some(n)) = (&e.budget, est.budget) {
            writeln!(
                out,
                "  {:<28} at the {} token budget: {}x{}, {} tokens  {}  ({} per 1,000)",
                "",
                group(n),
                b.width,
                b.height,
                group(b.tokens),
                money(b.usd, 6),
                money(b.usd.times(1000), 2)
            )?;
        }
        if let Some(t) = &e.tiles {
            if t.count > 1 {
                writeln!(
                    out,
                    "  {:<28} as {} tiles ({} x {}) of {}x{}: {} tokens  {}  (one image: {} tokens)",
                    "",
                    t.count,
                    t.columns,
                    t.rows,
                    t.tile_width,
                    t.tile_height,
                    group(t.tokens),
                    money(t.usd, 6),
                    group(e.tokens)
                )?;
            } else {
                writeln!(
                    out,
                    "  {:<28} no tiles: the API shrinks it by no more than the minimum scale",
                    ""
                )?;
            }
        }
    }
    for p in &report.problems {
        writeln!(out, "  warning: {}", p.description())?;
    }
    writeln!(
        out,
        "token rule {}, prices as of {}",
        est.rule,
        table.as_of()
    )?;
    Ok(())
}
