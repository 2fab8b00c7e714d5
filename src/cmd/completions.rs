//! `stagehand completions SHELL` and `stagehand man`: shell completion scripts
//! (clap_complete) and the manual page (clap_mangen), both made from the command line's
//! own definition, so they never drift from `--help`.

use std::process::ExitCode;

use crate::error::{Error, Result};

/// Examples shown by `stagehand completions --help`.
pub const COMPLETIONS_EXAMPLES: &str = "\
Examples:
  stagehand completions bash \\
      > ~/.local/share/bash-completion/completions/stagehand
  stagehand completions zsh > \"${fpath[1]}/_stagehand\"
  stagehand completions fish > ~/.config/fish/completions/stagehand.fish
  stagehand completions powershell >> $PROFILE";

/// Examples shown by `stagehand man --help`.
pub const MAN_EXAMPLES: &str = "\
Examples:
  stagehand man > stagehand.1 && man ./stagehand.1
  stagehand man | sudo tee /usr/local/share/man/man1/stagehand.1 >/dev/null";

/// Arguments of `completions`.
#[derive(Debug, clap::Args)]
pub struct CompletionsArgs {
    /// The shell to complete in.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// Arguments of `man` (none).
#[derive(Debug, clap::Args)]
pub struct ManArgs {}

/// Prints the completion script of `command` (the whole command line) for the shell.
pub fn completions(args: &CompletionsArgs, mut command: clap::Command) -> Result<ExitCode> {
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut command, "stagehand", &mut script);
    crate::cmd::write_stdout(&String::from_utf8_lossy(&script))?;
    Ok(ExitCode::SUCCESS)
}

/// Prints the manual page of `command` (roff, section 1), with one section per subcommand.
pub fn man(_args: &ManArgs, command: clap::Command) -> Result<ExitCode> {
    let mut page = Vec::new();
    let write_error =
        |e: std::io::Error| Error::Usage(format!("cannot write the manual page: {e}"));
    let man = clap_mangen::Man::new(command.clone());
    man.render_title(&mut page).map_err(write_error)?;
    man.render_name_section(&mut page).map_err(write_error)?;
    man.render_synopsis_section(&mut page)
        .map_err(write_error)?;
    man.render_description_section(&mut page)
        .map_err(write_error)?;
    man.render_options_section(&mut page).map_err(write_error)?;
    man.render_subcommands_section(&mut page)
        .map_err(write_error)?;
    for sub in command.get_subcommands().filter(|s| s.get_name() != "help") {
        let name = format!("stagehand {}", sub.get_name());
        let sub_man = clap_mangen::Man::new(sub.clone().bin_name(name.clone()));
        page.extend_from_slice(format!(".SH \"{}\"\n", name.to_uppercase()).as_bytes());
        sub_man
            .render_synopsis_section(&mut page)
            .map_err(write_error)?;
        sub_man
            .render_options_section(&mut page)
            .map_err(write_error)?;
        sub_man
            .render_extra_section(&mut page)
            .map_err(write_error)?;
    }
    man.render_extra_section(&mut page).map_err(write_error)?;
    man.render_version_section(&mut page).map_err(write_error)?;
    crate::cmd::write_stdout(&String::from_utf8_lossy(&page))?;
    Ok(ExitCode::SUCCESS)
}
