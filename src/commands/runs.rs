//! `wfc runs`: the recorded runs, newest first (a table, or JSON with `--json`); and what the
//! run commands share: the configuration and the run a RUN argument names.

use std::path::{Path, PathBuf};

use wfc_compiler::config::Config;
use wfc_compiler::render;
use wfc_compiler::source::SourceDb;
use wfc_runtime::store::{RunRecord, Store, StoreError};

use crate::cli::RunsArgs;
use crate::commands::run::{open_store, store_failure};
use crate::files::{self, describe, display};
use crate::load;
use crate::output::{self, Terminal};
use crate::{Exit, Failure};

pub fn run(args: &RunsArgs, terminal: &Terminal) -> Result<Exit, Failure> {
    let (config, _, root) = load_config(args.config.as_deref(), terminal)?;
    let store = open_store(args.runs_dir.as_deref(), &config, &root)?;
    let runs = store.runs().map_err(store_failure)?;
    if args.json {
        let rows: Vec<serde_json::Value> = runs
            .iter()
            .map(|run| {
                let mut value = serde_json::to_value(run).unwrap_or_default();
                if let Some(object) = value.as_object_mut() {
                    object.insert("status".into(), status_shown(run).into());
                    let waiting = store.waiting_tasks(&run.id).unwrap_or_default();
                    object.insert(
                        "waitingTasks".into(),
                        serde_json::to_value(waiting).unwrap_or_default(),
                    );
                }
                value
            })
            .collect();
        output::print(&format!(
            "{}\n",
            serde_json::to_string_pretty(&rows).unwrap_or_default()
        ));
        return Ok(Exit::Clean);
    }
    if runs.is_empty() {
        output::note(&format!(
            "no runs are recorded in `{}`",
            display(store.directory())
        ));
        return Ok(Exit::Clean);
    }
    let rows: Vec<[String; 6]> = runs
        .iter()
        .map(|run| {
            [
                run.id.clone(),
                match run.version {
                    Some(version) => format!("{} v{version}", run.workflow),
                    None => run.workflow.clone(),
                },
                status_shown(run).to_string(),
                utc_timestamp(run.created_at),
                run.simulated_elapsed_ms
                    .map_or_else(|| "-".to_string(), crate::progress::human_duration),
                run.source.clone().unwrap_or_default(),
            ]
        })
        .collect();
    let header = [
        "RUN",
        "WORKFLOW",
        "STATUS",
        "STARTED (UTC)",
        "TIME",
        "SOURCE",
    ]
    .map(String::from);
    let mut widths = header.clone().map(|cell| cell.chars().count());
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut text = String::new();
    for row in std::iter::once(&header).chain(&rows) {
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        text.push_str(cells.join("  ").trim_end());
        text.push('\n');
    }
    output::print(&text);
    Ok(Exit::Clean)
}

/// The status shown for a run: INTERRUPTED for a RUNNING run whose process is gone.
fn status_shown(run: &RunRecord) -> &str {
    if run.interrupted() == Some(true) {
        "INTERRUPTED"
    } else {
        &run.status
    }
}

/// `YYYY-MM-DD HH:MM:SS` of epoch milliseconds, in UTC.
pub fn utc_timestamp(epoch_milliseconds: i64) -> String {
    let seconds = epoch_milliseconds.div_euclid(1000);
    let days = seconds.div_euclid(86_400);
    let in_day = seconds.rem_euclid(86_400);
    // Howard Hinnant's days-to-civil algorithm.
    let shifted = days + 719_468;
    let era = shifted.div_euclid(146_097);
    let day_of_era = shifted.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}",
        in_day / 3600,
        in_day % 3600 / 60,
        in_day % 60
    )
}

/// The configuration of the run commands: `--config FILE`, else the `wfc.toml` found from the
/// current directory. Returns it with its path and the directory relative paths are read from.
pub fn load_config(
    config: Option<&Path>,
    terminal: &Terminal,
) -> Result<(Config, Option<PathBuf>, PathBuf), Failure> {
    let cwd = std::env::current_dir().map_err(|error| {
        Failure::new(format!(
            "cannot determine the current directory: {}",
            describe(&error)
        ))
    })?;
    let path = match config {
        Some(path) => Some(path.to_path_buf()),
        None => files::find_config(&cwd),
    };
    let Some(path) = path else {
        return Ok((Config::default(), None, cwd));
    };
    let (config, problems) = parse_config_file(&path)?;
    if !problems.0.is_empty() {
        let options = load::render_options(terminal, false);
        let text = render::render(render::Format::Human, &problems.1, &problems.0, &options);
        let _ = std::io::Write::write_all(&mut std::io::stderr().lock(), text.as_bytes());
        return Err(Failure::new(format!("`{}` has errors", display(&path))));
    }
    let absolute = std::fs::canonicalize(&path).unwrap_or(path);
    let root = absolute
        .parent()
        .map_or_else(|| cwd.clone(), Path::to_path_buf);
    Ok((config, Some(absolute), root))
}

/// Reads and parses a configuration file, with its mistakes and the sources they are in.
pub fn parse_config_file(
    path: &Path,
) -> Result<(Config, (Vec<wfc_compiler::Diagnostic>, SourceDb)), Failure> {
    let text = std::fs::read_to_string(path).map_err(|error| {
        Failure::new(format!(
            "cannot read `{}`: {}",
            display(path),
            describe(&error)
        ))
    })?;
    let mut sources = SourceDb::new();
    let file = sources.add(display(path), text.as_str());
    let (config, problems) = Config::parse(file, &text);
    Ok((config, (problems, sources)))
}

/// The run a RUN argument names, with a did-you-mean when there is none.
pub fn find_run(store: &Store, id: &str) -> Result<RunRecord, Failure> {
    match store.run(id) {
        Ok(record) => Ok(record),
        Err(StoreError::UnknownRun(_)) => {
            let ids = store.run_ids().map_err(store_failure)?;
            let hint = match wfc_compiler::suggest::closest(id, ids.iter().map(String::as_str)) {
                Some(candidate) => format!("; did you mean `{candidate}`?"),
                None if ids.is_empty() => {
                    format!("; no runs are recorded in `{}`", display(store.directory()))
                }
                None => "; `wfc runs` lists them".to_string(),
            };
            Err(Failure::new(format!("no run `{id}` is recorded{hint}")))
        }
        Err(error) => Err(store_failure(error)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_utc_calendar_dates() {
        assert_eq!(utc_timestamp(0), "1970-01-01 00:00:00");
        assert_eq!(utc_timestamp(951_782_400_000), "2000-02-29 00:00:00");
        assert_eq!(utc_timestamp(1_779_460_245_123), "2026-05-22 14:30:45");
    }
}
