//! `trust export`: a verified bundle of repositories' trust data.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use trust_core::bundle::export::{self, ExportOptions, ExportReport, Outcome, Progress};
use trust_core::settings::Settings;

use crate::exit::{Code, Failure};
use crate::progress::{Terminal, count};
use trust_core::progress::{Progress as _, Stage};

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Repositories to export (image names as `docker trust inspect` takes them; a tag
    /// or digest is ignored: the whole repository is exported)
    #[arg(value_name = "REPOSITORY")]
    pub repositories: Vec<String>,
    /// Also export the repositories listed in LIST, one a line (`-`: standard input;
    /// blank lines and `#` comments are ignored)
    #[arg(long, value_name = "LIST")]
    pub from_file: Option<PathBuf>,
    /// The bundle to write: a directory, or one archive file when the name ends in
    /// .tar, .tar.gz or .tgz. An existing bundle there is replaced atomically, keeping
    /// the repositories whose trust data has not changed on the server
    #[arg(long, short, value_name = "BUNDLE")]
    pub output: PathBuf,
    /// How many repositories are fetched at once
    #[arg(long, value_name = "N", default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub parallel: u16,
}

/// The names on the command line, then those of `--from-file`.
fn names(args: &ExportArgs) -> Result<Vec<String>, Failure> {
    let mut names = args.repositories.clone();
    if let Some(path) = &args.from_file {
        let mut text = String::new();
        let read = if path.as_os_str() == "-" {
            std::io::stdin().read_to_string(&mut text)
        } else {
            std::fs::File::open(path).and_then(|mut f| f.read_to_string(&mut text))
        };
        read.map_err(|e| Failure::new(Code::Io, format!("cannot read the repository list {}: {e}", path.display())))?;
        names.extend(export::parse_list(&text));
    }
    Ok(names)
}

/// `23 kB`, `2.3 MB`: decimal units.
fn size(bytes: u64) -> String {
    match bytes {
        b if b < 1000 => format!("{b} B"),
        b if b < 1_000_000 => format!("{} kB", (b + 500) / 1000),
        b => format!("{:.1} MB", b as f64 / 1e6),
    }
}

/// One line for a finished repository: every outcome on a terminal, failures only
/// otherwise.
fn progress_line(p: &Progress<'_>, terminal: bool) -> Option<String> {
    let what = match &p.repository.outcome {
        Outcome::Exported { roles, tags, bytes, .. } if terminal => {
            format!("exported, {roles} roles, {tags} tags, {}", size(*bytes))
        }
        Outcome::Kept { resumed: false, .. } if terminal => "kept (current)".to_owned(),
        Outcome::Kept { resumed: true, .. } if terminal => "kept (current, finished by an earlier run)".to_owned(),
        Outcome::Failed(e) => format!("FAILED: {}", e.to_string().replace('\n', "; ")),
        _ => return None,
    };
    Some(format!("[{}/{}] {}: {what}", p.done, p.total, p.repository.gun))
}

fn summary(report: &ExportReport) -> String {
    let (exported, kept, failed) = report.counts();
    let counts = format!("{exported} exported, {kept} kept, {failed} failed");
    match &report.bundle {
        Some(path) => format!("{counts}: {} ({}) from {}\n", path.display(), size(report.bytes), report.server),
        None => format!("{counts}: no bundle written\n"),
    }
}

/// Runs `trust export`.
pub fn run(settings: &Settings, args: &ExportArgs, out: &mut dyn Write) -> Result<ExitCode, Failure> {
    let refs = export::repositories(&names(args)?)?;
    // On a terminal (and not --quiet): a line per repository above one progress line.
    let bar = Terminal::new();
    let terminal = bar.active();
    let mut started = false;
    let mut on_progress = |p: &Progress<'_>| {
        if !started {
            bar.stage(Stage { action: "Exporting", unit: "repositories", total: p.total });
            started = true;
        }
        bar.item(&p.repository.gun);
        if let Some(line) = progress_line(p, terminal) {
            bar.println(&line);
        }
        if let Outcome::Exported { warnings, .. } = &p.repository.outcome {
            for w in warnings {
                bar.println(&format!("warning: {}: {w}", p.repository.gun));
            }
        }
    };
    let options = ExportOptions { parallel: usize::from(args.parallel) };
    let report = export::export(settings, &refs, &args.output, options, &mut on_progress)?;
    bar.end();
    for gun in &report.dropped {
        eprintln!(
            "note: {gun} was in the replaced bundle but not in this export's list, so it is not in the new bundle"
        );
    }
    if let Some(note) = &report.note {
        eprintln!("note: {note}");
    }
    out.write_all(summary(&report).as_bytes())
        .map_err(|e| Failure::new(Code::Io, format!("cannot write output: {e}")))?;
    let (exported, kept, failed) = report.counts();
    bar.finish(&format!(
        "Exported {exported}, kept {kept} and failed {failed} of {}",
        count(report.repositories.len(), "repository", "repositories")
    ));
    match (report.first_failure(), &report.bundle) {
        (None, _) => Ok(ExitCode::SUCCESS),
        (Some(_), Some(path)) => Err(Failure::new(
            Code::PartialExport,
            format!("{failed} of {} repositories failed and are not in {}", report.repositories.len(), path.display()),
        )),
        (Some(first), None) => Err(Failure::new(
            Code::of(first.kind()),
            format!("every repository failed; nothing was written (the first failure: {first})"),
        )),
    }
}
