//! `visionprep completions` and `visionprep man`: shell completions and man pages made from
//! the command's own clap definition, so they never disagree with `--help`.

use crate::args::{Cli, CompletionsArgs, ManArgs};
use anyhow::Context;
use clap::CommandFactory;
use std::io::Write;

/// Prints the completion script for the asked shell.
pub(crate) fn completions(a: &CompletionsArgs, out: &mut impl Write) -> anyhow::Result<()> {
    clap_complete::generate(a.shell, &mut Cli::command(), "visionprep", out);
    Ok(())
}

/// Prints the main man page, or writes it and one page per subcommand into `--out`.
pub(crate) fn man(a: &ManArgs, out: &mut impl Write) -> anyhow::Result<()> {
    let command = Cli::command();
    let Some(dir) = &a.out else {
        clap_mangen::Man::new(command).render(out)?;
        return Ok(());
    };
    std::fs::create_dir_all(dir).with_context(|| format!("cannot make {}", dir.display()))?;
    let mut pages = vec![("visionprep".to_string(), command.clone())];
    for sub in command.get_subcommands() {
        let name = format!("visionprep-{}", sub.get_name());
        pages.push((name.clone(), sub.clone().name(name)));
    }
    for (name, page) in pages {
        let mut roff = Vec::new();
        clap_mangen::Man::new(page).render(&mut roff)?;
        let path = dir.join(format!("{name}.1"));
        visionprep::folder::write_atomic(&path, &roff, None)
            .with_context(|| format!("cannot write {}", path.display()))?;
        writeln!(out, "{}", path.display())?;
    }
    Ok(())
}
