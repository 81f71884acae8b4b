//! The folder API used as a library user would, without the CLI: walk, prepare into an output
//! folder, write the report, rerun.

use crate::make;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use visionprep::core::{Estimator, PriceTable, TokenRule};
use visionprep::folder::{
    Assessor, PrepareRow, RunError, RunOptions, Step, assess_folder, prepare_folder, walk,
};
use visionprep::prepare::PrepareOptions;
use visionprep::report::{PrepareReport, ReportFormat};

/// 1,000 small images in three levels, every stem in four forms that want the same output
/// name: `s0.gif` and `s0.png` (both become PNG), `S0.PNG` (the same name but for case: a
/// distinct file on this file system, a clash on a case-insensitive one), `s0.webp`.
fn clashing_tree(root: &Path) -> usize {
    // Animated, so prepared as PNG (its first frame): a still one would be kept as GIF.
    let gif = make::gif(8, 8, 2, false);
    let png = make::png(8, 8, png::ColorType::Rgb, png::BitDepth::Eight, None, 1);
    let webp = make::webp_lossless(8, 8, false);
    let mut n = 0;
    for a in 0..10 {
        for b in 0..5 {
            let dir = root.join(format!("d{a}/e{b}"));
            std::fs::create_dir_all(&dir).unwrap();
            for s in 0..5 {
                for (name, bytes) in [
                    (format!("s{s}.gif"), &gif),
                    (format!("s{s}.png"), &png),
                    (format!("S{s}.PNG"), &png),
                    (format!("s{s}.webp"), &webp),
                ] {
                    std::fs::write(dir.join(name), bytes).unwrap();
                    n += 1;
                }
            }
        }
    }
    n
}

fn assessor(options: &PrepareOptions) -> Assessor {
    let table = PriceTable::builtin();
    Assessor {
        estimator: Estimator::new(&table, &[options.target.model()], TokenRule::Area750).unwrap(),
        limits: options.limits,
        request: options.request,
    }
}

/// Prepares `input` into `out` with `jobs` threads; returns input -> output and the rows.
fn run(input: &Path, out: &Path, jobs: usize) -> (HashMap<String, String>, Vec<PrepareRow>) {
    let options = PrepareOptions::default();
    let mut rows = Vec::new();
    let run = RunOptions {
        jobs: Some(jobs),
        ..RunOptions::default()
    };
    let summary = prepare_folder(
        &[input.to_path_buf()],
        out,
        &options,
        &assessor(&options),
        &run,
        |step| {
            if let Step::Row(row) = step {
                rows.push(row.clone());
            }
            Ok::<(), RunError>(())
        },
    )
    .unwrap();
    assert_eq!(summary.totals.errors, 0);
    assert_eq!(summary.totals.files, rows.len() as u64);
    let names = rows
        .iter()
        .map(|r| {
            let output = r.output_path.clone().unwrap();
            let relative = Path::new(&output).strip_prefix(out).unwrap();
            (
                r.input.path.clone(),
                relative.to_string_lossy().into_owned(),
            )
        })
        .collect();
    (names, rows)
}

#[test]
fn clashing_names_resolve_alike_in_any_thread_count_and_on_every_rerun() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in");
    let files = clashing_tree(&input);
    assert_eq!(files, 1000);
    assert_eq!(walk(std::slice::from_ref(&input), false).count(), 1000);

    let (one, rows) = run(&input, &dir.path().join("out1"), 1);
    let (two, _) = run(&input, &dir.path().join("out2"), 2);
    assert_eq!(one.len(), 1000);
    assert_eq!(one, two, "the same names whatever the thread count");
    // No two outputs collide, even without case.
    let folded: HashSet<String> = one.values().map(|o| o.to_lowercase()).collect();
    assert_eq!(folded.len(), 1000);
    // The first of a clash in name order keeps the plain name.
    let at = |p: &str| one[&input.join(p).to_string_lossy().into_owned()].clone();
    assert_eq!(at("d0/e0/S0.PNG"), "d0/e0/S0.png");
    assert_eq!(at("d0/e0/s0.gif"), "d0/e0/s0-gif.png");
    assert_eq!(at("d0/e0/s0.png"), "d0/e0/s0-png.png");
    assert_eq!(at("d0/e0/s0.webp"), "d0/e0/s0.webp");
    // Every output is on disk, nothing else but the manifest.
    let on_disk: Vec<PathBuf> = walk(&[dir.path().join("out1")], true)
        .map(|i| i.path().to_path_buf())
        .collect();
    assert_eq!(on_disk.len(), 1001);

    // A rerun keeps every output under its name, in any thread count.
    let (again, rerun_rows) = run(&input, &dir.path().join("out1"), 2);
    assert_eq!(again, one);
    assert!(rerun_rows.iter().all(|r| r.actions == ["up-to-date"]));

    // The report writers take the rows as they are.
    let mut json = Vec::new();
    let mut report = PrepareReport::new(ReportFormat::Json, &mut json).unwrap();
    for row in &rows[..3] {
        report.row(row).unwrap();
    }
    report.finish(&Default::default()).unwrap();
    drop(report);
    let value: serde_json::Value = serde_json::from_slice(&json).unwrap();
    assert_eq!(value["files"].as_array().unwrap().len(), 3);
    assert!(value["files"][0]["output_path"].is_string());
}

#[test]
fn the_cost_report_walks_the_same_files() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in");
    clashing_tree(&input);
    std::fs::write(input.join("notes.txt"), b"not an image").unwrap();
    let options = PrepareOptions::default();
    let mut paths = Vec::new();
    let (totals, skipped) = assess_folder(
        std::slice::from_ref(&input),
        &assessor(&options),
        &RunOptions::default(),
        |step| {
            if let Step::Row(r) = step {
                paths.push(r.path.clone());
            }
            Ok::<(), RunError>(())
        },
    )
    .unwrap();
    assert_eq!((totals.files, totals.errors, skipped), (1000, 0, 1));
    let walked: Vec<String> = walk(&[input], false)
        .filter(|i| !i.path().ends_with("notes.txt"))
        .map(|i| i.path().to_string_lossy().into_owned())
        .collect();
    assert_eq!(paths, walked, "rows in walk order");
}

/// Changing each option that shapes the outputs redoes every output and names the option;
/// another model on the same tier changes nothing.
#[test]
fn each_output_option_change_redoes_the_outputs_with_its_reason() {
    use visionprep::core::{Profile, TierLimits};
    use visionprep::prepare::{Filter, OutputPolicy};
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in");
    std::fs::create_dir_all(&input).unwrap();
    for i in 0..3 {
        std::fs::write(
            input.join(format!("p{i}.png")),
            make::png(300, 200, png::ColorType::Rgb, png::BitDepth::Eight, None, 1),
        )
        .unwrap();
    }
    let out = dir.path().join("out");
    let go = |options: &PrepareOptions| -> Vec<Vec<&'static str>> {
        let mut actions = Vec::new();
        prepare_folder(
            std::slice::from_ref(&input),
            &out,
            options,
            &assessor(options),
            &RunOptions::default(),
            |step| {
                if let Step::Row(row) = step {
                    actions.push(row.actions.clone());
                }
                Ok::<(), RunError>(())
            },
        )
        .unwrap();
        actions
    };
    let base = PrepareOptions::default();
    go(&base);
    let table = PriceTable::builtin();
    let same_tier = PrepareOptions::for_model(&table, "claude-haiku-4-5").unwrap();
    assert!(go(&same_tier).iter().all(|a| a == &["up-to-date"]));
    let mut changes: Vec<(PrepareOptions, &str)> = Vec::new();
    let mut o = base.clone();
    o.target = o
        .target
        .clone()
        .with_tier_limits(TierLimits::HIGH_RESOLUTION);
    changes.push((o, "stale: tier changed"));
    let mut o = base.clone();
    o.request = Profile::Api.limits();
    changes.push((o, "stale: byte limit changed"));
    let mut o = base.clone();
    o.output = OutputPolicy::Jpeg;
    changes.push((o, "stale: output format changed"));
    let mut o = base.clone();
    o.quality = 70;
    changes.push((o, "stale: quality changed"));
    let mut o = base.clone();
    o.filter = Filter::Mitchell;
    changes.push((o, "stale: filter changed"));
    let mut o = base.clone();
    o.background = [0, 0, 0];
    changes.push((o, "stale: background changed"));
    let mut o = base.clone();
    o.limits = o.limits.with_lenient(true);
    changes.push((o, "stale: lenient reading changed"));
    for (options, reason) in changes {
        go(&base);
        let actions = go(&options);
        assert_eq!(actions.len(), 3);
        for a in &actions {
            assert!(a.contains(&reason), "{reason}: {a:?}");
        }
        // And back: the outputs of the base options are made again, with the same reason.
        assert!(
            go(&base).iter().all(|a| a.contains(&reason)),
            "{reason} back"
        );
    }
}
