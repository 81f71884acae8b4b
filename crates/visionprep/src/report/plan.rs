//! `visionprep plan`: what the API does with one image size on each model, and what it costs,
//! as JSON (the Python `plan()` and the JavaScript `plan()` read the same figures) or text.

use super::{group, model_status, money};
use serde::Serialize;
use std::io::{self, Write};
use visionprep_core::{
    Estimator, ModelEstimate, ModelMap, ModelStatus, ProblemCode, RequestLimits, Size, Sized,
    TokenRule, Usd, size_problems,
};

/// One model's line of a plan: the size planned, the model and its estimate, flat (no tiles:
/// a plan of tiles is [`PlanReport`]'s).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PlanLine<'a> {
    /// The width planned.
    pub width: u32,
    /// The height planned.
    pub height: u32,
    /// The model id.
    pub model: &'a str,
    /// The model's tier: `standard` or `high-resolution`.
    pub tier: &'static str,
    /// Whether the API would resize the image.
    pub resized: bool,
    /// The width the model sees.
    pub target_width: u32,
    /// The height the model sees.
    pub target_height: u32,
    /// Tokens billed for the image.
    pub tokens: u64,
    /// What those tokens cost.
    pub usd: Usd,
    /// The image at the token budget, when one is set (`null` otherwise).
    pub budget: Option<Sized>,
}

/// The plan of one image size: each model's estimate, its lifecycle, and what the size
/// breaks of the API's limits.
#[derive(Debug, Clone, Serialize)]
pub struct PlanReport {
    /// The width planned.
    pub width: u32,
    /// The height planned.
    pub height: u32,
    /// Each chosen model's estimate, in the order named.
    pub models: ModelMap<ModelEstimate>,
    /// Each chosen model's lifecycle.
    pub model_status: ModelMap<ModelStatus>,
    /// The API limits an image of this size breaks (none for most sizes).
    pub problems: Vec<ProblemCode>,
    #[serde(skip)]
    budget: Option<u64>,
    #[serde(skip)]
    rule: TokenRule,
    #[serde(skip)]
    prices_as_of: String,
}

impl PlanReport {
    /// The plan of `size` by `estimator` (its models, budget and tiles), on model data dated
    /// `prices_as_of`.
    ///
    /// ```
    /// use visionprep::core::Size;
    /// let run = visionprep::Settings::default().resolve()?;
    /// let plan = visionprep::report::PlanReport::new(&run.estimator, Size::new(4032, 3024), run.table.as_of());
    /// let (_, first) = plan.first().expect("one model at least");
    /// assert!(first.resized);
    /// # Ok::<(), visionprep::SettingsError>(())
    /// ```
    pub fn new(estimator: &Estimator, size: Size, prices_as_of: &str) -> PlanReport {
        let ids = estimator.models().iter().map(|m| m.id.clone());
        PlanReport {
            width: size.width,
            height: size.height,
            models: ModelMap(ids.zip(estimator.estimate(size)).collect()),
            model_status: model_status(estimator),
            problems: size_problems(size, &RequestLimits::default()).collect(),
            budget: estimator.budget,
            rule: estimator.rule,
            prices_as_of: prices_as_of.to_owned(),
        }
    }

    /// The first model's id and estimate (the model images are prepared for).
    pub fn first(&self) -> Option<(&str, &ModelEstimate)> {
        self.models.0.first().map(|(id, e)| (id.as_str(), e))
    }

    /// The first model's line, flat: what Python's and JavaScript's `plan()` return.
    pub fn first_line(&self) -> Option<PlanLine<'_>> {
        self.first().map(|(model, e)| PlanLine {
            width: self.width,
            height: self.height,
            model,
            tier: e.tier.as_str(),
            resized: e.resized,
            target_width: e.target_width,
            target_height: e.target_height,
            tokens: e.tokens,
            usd: e.usd,
            budget: e.budget,
        })
    }

    /// The plan as `visionprep plan` prints it: the size, a line per model (with the budget
    /// and tiles when asked), the warnings, the token rule and the data's date.
    pub fn write_text(&self, out: &mut dyn Write) -> io::Result<()> {
        let size = Size::new(self.width, self.height);
        writeln!(out, "{size} ({:.2} MP)", size.area() as f64 / 1e6)?;
        for (id, e) in &self.models.0 {
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
            if let (Some(b), Some(n)) = (&e.budget, self.budget) {
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
            match &e.tiles {
                Some(t) if t.count > 1 => writeln!(
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
                )?,
                Some(_) => writeln!(
                    out,
                    "  {:<28} no tiles: the API shrinks it by no more than the minimum scale",
                    ""
                )?,
                None => {}
            }
        }
        for p in &self.problems {
            writeln!(out, "  warning: {}", p.description())?;
        }
        writeln!(
            out,
            "token rule {}, prices as of {}",
            self.rule, self.prices_as_of
        )
    }
}
