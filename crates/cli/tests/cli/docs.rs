//! `visionprep completions` and `visionprep man`: made from the clap definition, so every
//! subcommand and flag appears.

use super::{succeeds, visionprep};

#[test]
fn completions_name_every_subcommand_for_each_shell() {
    let dir = tempfile::tempdir().unwrap();
    let bash = succeeds(&["completions", "bash"], dir.path());
    for word in ["prepare", "cost", "repair", "proxy", "--out", "completions"] {
        assert!(bash.contains(word), "bash completions lack {word}");
    }
    for (shell, mark) in [
        ("zsh", "#compdef visionprep"),
        ("fish", "complete -c visionprep"),
        ("powershell", "Register-ArgumentCompleter"),
        ("elvish", "edit:completion"),
    ] {
        let text = succeeds(&["completions", shell], dir.path());
        assert!(text.contains(mark), "{shell}: {mark} missing");
    }
    let unknown = visionprep(&["completions", "tcsh"], dir.path());
    assert_eq!(unknown.status.code(), Some(2));
}

#[test]
fn man_pages_are_printed_or_written_one_per_subcommand() {
    let dir = tempfile::tempdir().unwrap();
    let page = succeeds(&["man"], dir.path());
    assert!(
        page.starts_with(".ie") || page.contains(".TH visionprep"),
        "{}",
        &page[..200.min(page.len())]
    );
    assert!(page.contains("prepare"));
    let out = dir.path().join("man1");
    let listed = succeeds(&["man", "--out", out.to_str().unwrap()], dir.path());
    for name in [
        "visionprep.1",
        "visionprep-prepare.1",
        "visionprep-repair.1",
        "visionprep-completions.1",
    ] {
        let text = std::fs::read_to_string(out.join(name)).unwrap_or_default();
        assert!(text.contains(".TH"), "{name} is not a man page");
        assert!(listed.contains(name), "{name} not listed");
    }
    let prepare = std::fs::read_to_string(out.join("visionprep-prepare.1")).unwrap_or_default();
    assert!(
        prepare.contains("\\-\\-out") || prepare.contains("--out"),
        "the flags are in the page"
    );
}
