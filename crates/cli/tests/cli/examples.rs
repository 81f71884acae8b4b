//! The documentation's examples: every fenced code block of the README, `docs/` and the
//! package READMEs is either run by a test or marked with the reason it is not, and the shell
//! examples are run here, against the binary under test, with the output shown after them
//! checked.
//!
//! The conventions (docs/development.md, "Examples in the docs"):
//! - a block is run unless the line before its fence is `<!-- not run: REASON -->`;
//! - `sh` blocks run here with `bash -e -o pipefail`, in order, one sandbox per Markdown file
//!   (a copy of `examples/`, `photos/` holding its images but the HEIC, `HOME` inside it), `visionprep` being the binary under test (and
//!   `cargo run --release -p visionprep-cli --` standing for it); `<!-- exit status: N -->`
//!   before the fence expects status N from the block instead of 0;
//! - a `text` block right after a `sh` block is its output: every line of it must appear in
//!   what the block printed (spaces compared loosely; a line `...` marks an abridgement);
//! - `rust` blocks are doctests of the crate whose `lib.rs` includes the file; `python` blocks
//!   run in `crates/python/tests/test_docs.py`, `js` blocks in
//!   `packages/visionprep/test/docs.test.mjs`;
//! - `text`, `json` and `toml` blocks are output and data.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// The repository's root.
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The Markdown files whose examples are kept true.
fn documents() -> Vec<PathBuf> {
    let root = root();
    let mut files = vec![
        root.join("README.md"),
        root.join("packages/visionprep/README.md"),
        root.join("fuzz/README.md"),
    ];
    for dir in ["docs", "crates"] {
        for entry in std::fs::read_dir(root.join(dir)).unwrap() {
            let path = entry.unwrap().path();
            let candidate = if path.is_dir() {
                path.join("README.md")
            } else {
                path
            };
            if candidate.extension().is_some_and(|e| e == "md") && candidate.is_file() {
                files.push(candidate);
            }
        }
    }
    files.sort();
    files
}

/// One fenced code block.
#[derive(Debug)]
struct Block {
    /// 1-based line of the opening fence.
    line: usize,
    /// The info string's first word (`sh`, `rust,no_run`, ...).
    info: String,
    code: String,
    /// The HTML comment right before the fence, if any, without `<!--` and `-->`.
    marker: Option<String>,
}

impl Block {
    fn lang(&self) -> &str {
        self.info.split(',').next().unwrap_or("")
    }

    fn not_run(&self) -> Option<&str> {
        self.marker
            .as_deref()?
            .strip_prefix("not run:")
            .map(str::trim)
    }
}

/// The fenced blocks of a Markdown text (fences may be indented, as in a list item).
fn blocks(text: &str) -> Vec<Block> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let trimmed = lines[i].trim_start();
        let Some(info) = trimmed.strip_prefix("```") else {
            i += 1;
            continue;
        };
        let indent = lines[i].len() - trimmed.len();
        let marker = lines[..i]
            .iter()
            .rev()
            .find(|l| !l.trim().is_empty())
            .and_then(|l| l.trim().strip_prefix("<!--"))
            .and_then(|l| l.strip_suffix("-->"))
            .map(|m| m.trim().to_owned());
        let start = i;
        let mut code = String::new();
        i += 1;
        while i < lines.len() && lines[i].trim() != "```" {
            code.push_str(lines[i].get(indent..).unwrap_or(lines[i].trim_start()));
            code.push('\n');
            i += 1;
        }
        out.push(Block {
            line: start + 1,
            info: info.trim().to_owned(),
            code,
            marker,
        });
        i += 1;
    }
    out
}

/// Whether a crate's `lib.rs` includes the Markdown file (`include_str!`) in its doctests.
fn doctested(doc: &Path) -> bool {
    let doc = doc.canonicalize().unwrap();
    [
        "crates/core",
        "crates/resize",
        "crates/visionprep",
        "crates/bench",
    ]
    .iter()
    .any(|krate| {
        let src = root().join(krate).join("src");
        let text = std::fs::read_to_string(src.join("lib.rs")).unwrap();
        text.split("include_str!(\"").skip(1).any(|rest| {
            let included = rest.split('"').next().unwrap_or("");
            src.join(included).canonicalize().is_ok_and(|p| p == doc)
        })
    })
}

#[test]
fn every_example_in_the_docs_is_run_or_says_why_not() {
    let mut problems = Vec::new();
    let mut counts = std::collections::BTreeMap::<String, (usize, usize)>::new();
    for doc in documents() {
        let text = std::fs::read_to_string(&doc).unwrap();
        let name = doc.strip_prefix(root()).unwrap().display().to_string();
        for block in blocks(&text) {
            let at = format!("{name}:{}", block.line);
            if let Some(marker) = &block.marker
                && block.not_run().is_none()
                && !marker.starts_with("exit status:")
            {
                problems.push(format!("{at}: unknown marker <!-- {marker} -->"));
            }
            if block.not_run() == Some("") {
                problems.push(format!("{at}: `not run` needs its reason"));
            }
            let lang = block.lang().to_owned();
            match lang.as_str() {
                "text" | "json" | "toml" => continue,
                "sh" => {}
                // Run where their runners look: test_docs.py and docs.test.mjs read the README,
                // docs/ and their own package's README.
                "python" | "js" => {
                    let own = if lang == "python" {
                        "crates/python/README.md"
                    } else {
                        "packages/visionprep/README.md"
                    };
                    let read = name == "README.md" || name.starts_with("docs/") || name == own;
                    if block.not_run().is_none() && !read {
                        problems.push(format!("{at}: no test runs {lang} examples in {name}"));
                    }
                }
                // No runner for TypeScript: the package's types are compiled by `tsc` instead.
                "ts" if block.not_run().is_some() => {}
                "rust" => {
                    if block.not_run().is_none() {
                        if !doctested(&doc) {
                            problems.push(format!("{at}: no lib.rs includes this file"));
                        }
                        if block.info.contains("ignore") || block.info.contains("no_run") {
                            problems.push(format!(
                                "{at}: `{}` is compiled but not run: run it, or say why not",
                                block.info
                            ));
                        }
                    }
                }
                other => problems.push(format!("{at}: a block of unknown kind `{other}`")),
            }
            let entry = counts.entry(lang).or_default();
            if block.not_run().is_some() {
                entry.1 += 1;
            } else {
                entry.0 += 1;
            }
        }
    }
    for (lang, (run, not_run)) in &counts {
        eprintln!("{lang}: {run} run, {not_run} not run (each says why)");
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(counts.get("sh").is_some_and(|c| c.0 >= 10), "{counts:?}");
}

/// Whitespace runs as one space, ends trimmed: tables line up differently by width.
fn loose(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A sandbox for one Markdown file's examples: a copy of `examples/`, a `HOME`, and a
/// `bin/visionprep` that is the binary under test.
fn sandbox() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&root().join("examples"), &dir.path().join("examples"));
    // `photos/`: a user's folder, the example images this build reads (no HEIC: no `heif`).
    copy_tree(&root().join("examples/images"), &dir.path().join("photos"));
    std::fs::remove_file(dir.path().join("photos/phone-64x48.heic")).unwrap();
    std::fs::create_dir_all(dir.path().join("home")).unwrap();
    std::fs::create_dir_all(dir.path().join(".bin")).unwrap();
    std::os::unix::fs::symlink(super::binary(), dir.path().join(".bin").join("visionprep"))
        .unwrap();
    dir
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Runs one shell block in the sandbox (bounded in time); its status and what it printed.
fn run_shell(code: &str, sandbox: &Path) -> (Option<i32>, String) {
    let script = code
        .replace(
            "cargo run --release --locked -p visionprep-cli -- ",
            "visionprep ",
        )
        .replace("cargo run --release -p visionprep-cli -- ", "visionprep ");
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut paths = vec![sandbox.join(".bin")];
    paths.extend(std::env::split_paths(&path));
    let log = sandbox.join(".out");
    let mut child = Command::new("bash")
        .args(["-e", "-o", "pipefail", "-c"])
        .arg(format!("exec >'{}' 2>&1\n{script}", log.display()))
        .current_dir(sandbox)
        .env("HOME", sandbox.join("home"))
        .env("PATH", std::env::join_paths(paths).unwrap())
        .env_remove("ANTHROPIC_API_KEY")
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("timed out after 120 s:\n{script}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let printed = std::fs::read_to_string(&log).unwrap_or_default();
    (status.code(), printed)
}

#[test]
fn shell_examples_in_the_docs_run_and_print_what_they_show() {
    let mut failures = Vec::new();
    let mut ran = 0;
    for doc in documents() {
        let text = std::fs::read_to_string(&doc).unwrap();
        let name = doc.strip_prefix(root()).unwrap().display().to_string();
        let all = blocks(&text);
        if !all
            .iter()
            .any(|b| b.lang() == "sh" && b.not_run().is_none())
        {
            continue;
        }
        let dir = sandbox();
        for (i, block) in all.iter().enumerate() {
            if block.lang() != "sh" || block.not_run().is_some() {
                continue;
            }
            ran += 1;
            let at = format!("{name}:{}", block.line);
            let expected = block
                .marker
                .as_deref()
                .and_then(|m| m.strip_prefix("exit status:"))
                .map_or(0, |n| n.trim().parse().unwrap());
            let (status, printed) = run_shell(&block.code, dir.path());
            if status != Some(expected) {
                failures.push(format!(
                    "{at}: exit status {status:?}, not {expected}:\n{}\n--- printed:\n{printed}",
                    block.code
                ));
                continue;
            }
            // The output shown after the command, if the next block is one.
            let Some(shown) = all
                .get(i + 1)
                .filter(|b| b.lang() == "text" && b.marker.is_none() && follows(&text, block, b))
            else {
                continue;
            };
            let printed = loose(&printed);
            for line in shown.code.lines().map(loose) {
                if line.is_empty() || line == "..." {
                    continue;
                }
                if !printed.contains(&line) {
                    failures.push(format!(
                        "{at}: the output shown has a line the command did not print:\n  {line}\n--- printed:\n{printed}"
                    ));
                    break;
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    assert!(ran >= 10, "only {ran} shell examples ran");
}

/// Whether `next` starts right after `block` ends (only blank lines between).
fn follows(text: &str, block: &Block, next: &Block) -> bool {
    let lines: Vec<&str> = text.lines().collect();
    let end = block.line + block.code.lines().count(); // 0-based index of the closing fence
    lines[end + 1..next.line - 1]
        .iter()
        .all(|l| l.trim().is_empty())
}

#[test]
fn blocks_are_read_with_their_markers_and_indentation() {
    let md = "a\n\n<!-- not run: needs the network -->\n```sh\ncurl x\n```\n\n1. step\n\n   ```sh\n   ls\n   ```\n\n```text\nout\n```\n";
    let b = blocks(md);
    assert_eq!(b.len(), 3);
    assert_eq!(b[0].not_run(), Some("needs the network"));
    assert_eq!((b[0].line, b[0].code.as_str()), (4, "curl x\n"));
    assert_eq!((b[1].marker.as_deref(), b[1].code.as_str()), (None, "ls\n"));
    assert!(follows(md, &b[1], &b[2]));
    assert!(!follows(md, &b[0], &b[1]));
}
