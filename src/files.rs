//! Finding the configuration and the files to check, and reading them in parallel.

use std::collections::HashSet;
use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::{Component, Path, PathBuf};

use wfc_compiler::config::{self, FileFilter};

/// Looks for `wfc.toml` in `start` and its ancestors.
pub fn find_config(start: &Path) -> Option<PathBuf> {
    let start = fs::canonicalize(start).ok()?;
    let directory = if start.is_dir() {
        start.as_path()
    } else {
        start.parent()?
    };
    directory
        .ancestors()
        .map(|ancestor| ancestor.join(config::FILE_NAME))
        .find(|candidate| candidate.is_file())
}

/// A file to check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// The path to read, relative to the current directory when it is inside it.
    pub path: PathBuf,
}

/// The result of expanding the command line's paths.
#[derive(Debug, Default)]
pub struct Discovery {
    pub files: Vec<Candidate>,
    /// One message per path that could not be read.
    pub errors: Vec<String>,
}

/// Expands `paths` into the files to check. Files are taken as given; directories are walked
/// recursively, skipping hidden entries (names starting with `.`), symbolic links to directories
/// and excluded directories, and keeping the files `filter` includes. Glob matching uses paths
/// relative to `root` (the directory of wfc.toml), or to the walked directory when it lies
/// outside `root`.
pub fn discover(paths: &[PathBuf], root: &Path, filter: &FileFilter, cwd: &Path) -> Discovery {
    let mut discovery = Discovery::default();
    let mut seen: HashSet<PathBuf> = HashSet::new();
    let root = fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
    for path in paths {
        let shown = relative_to(path, cwd);
        let metadata = match fs::metadata(path) {
            Ok(metadata) => metadata,
            Err(error) => {
                discovery.errors.push(format!(
                    "cannot read `{}`: {}",
                    display(&shown),
                    describe(&error)
                ));
                continue;
            }
        };
        if !metadata.is_dir() {
            let identity = fs::canonicalize(path).unwrap_or_else(|_| shown.clone());
            if seen.insert(identity) {
                discovery.files.push(Candidate { path: shown });
            }
            continue;
        }
        let canonical = match fs::canonicalize(path) {
            Ok(canonical) => canonical,
            Err(error) => {
                discovery.errors.push(format!(
                    "cannot read `{}`: {}",
                    display(&shown),
                    describe(&error)
                ));
                continue;
            }
        };
        let base = if canonical.starts_with(&root) {
            root.as_path()
        } else {
            canonical.as_path()
        };
        walk(&shown, &canonical, base, filter, &mut seen, &mut discovery);
    }
    discovery.files.sort_by(|a, b| a.path.cmp(&b.path));
    discovery
}

fn walk(
    shown: &Path,
    canonical: &Path,
    base: &Path,
    filter: &FileFilter,
    seen: &mut HashSet<PathBuf>,
    discovery: &mut Discovery,
) {
    // Directories still to read: (path to show and read, canonical path).
    let mut pending = vec![(shown.to_path_buf(), canonical.to_path_buf())];
    while let Some((directory, canonical_directory)) = pending.pop() {
        let entries = match fs::read_dir(&directory) {
            Ok(entries) => entries,
            Err(error) => {
                discovery.errors.push(format!(
                    "cannot read directory `{}`: {}",
                    display(&directory),
                    describe(&error)
                ));
                continue;
            }
        };
        let mut entries: Vec<fs::DirEntry> = entries.filter_map(Result::ok).collect();
        entries.sort_by_key(fs::DirEntry::file_name);
        for entry in entries {
            let name = entry.file_name();
            if name.to_string_lossy().starts_with('.') {
                continue;
            }
            let path = join(&directory, Path::new(&name));
            let canonical_path = canonical_directory.join(&name);
            let relative = canonical_path
                .strip_prefix(base)
                .map(slash_path)
                .unwrap_or_default();
            let Ok(file_type) = entry.file_type() else {
                continue;
            };
            let is_dir = file_type.is_dir();
            let is_file = file_type.is_file() || (file_type.is_symlink() && path.is_file());
            if is_dir {
                if !filter.is_excluded(&relative) {
                    pending.push((path, canonical_path));
                }
            } else if is_file && filter.is_included(&relative) && seen.insert(canonical_path) {
                discovery.files.push(Candidate { path });
            }
        }
    }
}

/// `directory/name`, without a leading `./`.
fn join(directory: &Path, name: &Path) -> PathBuf {
    if directory == Path::new(".") {
        name.to_path_buf()
    } else {
        directory.join(name)
    }
}

/// `path` without `.` components, relative to `cwd` when it is an absolute path inside it.
pub fn relative_to(path: &Path, cwd: &Path) -> PathBuf {
    let normalized: PathBuf = path
        .components()
        .filter(|component| !matches!(component, Component::CurDir))
        .collect();
    let relative = if normalized.is_absolute() {
        normalized
            .strip_prefix(cwd)
            .map(Path::to_path_buf)
            .unwrap_or_else(|_| normalized.clone())
    } else {
        normalized
    };
    if relative.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        relative
    }
}

/// A path for messages, with forward slashes.
pub fn display(path: &Path) -> String {
    slash_path(path)
}

fn slash_path(path: &Path) -> String {
    let text = path.to_string_lossy();
    if std::path::MAIN_SEPARATOR == '\\' {
        text.replace('\\', "/")
    } else {
        text.into_owned()
    }
}

/// An I/O error without Rust's `(os error N)` suffix.
pub fn describe(error: &io::Error) -> String {
    let text = error.to_string();
    match text.find(" (os error") {
        Some(index) => text[..index].to_string(),
        None => text,
    }
}

/// Reads every file, spreading the work over the available cores; results are in input order.
pub fn read_all(files: &[Candidate]) -> Vec<io::Result<Vec<u8>>> {
    if files.is_empty() {
        return Vec::new();
    }
    let threads = std::thread::available_parallelism()
        .map_or(2, usize::from)
        .clamp(2, 16)
        .min(files.len());
    let chunk_size = files.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let handles: Vec<_> = files
            .chunks(chunk_size)
            .map(|chunk| {
                (
                    chunk.len(),
                    scope.spawn(move || {
                        chunk
                            .iter()
                            .map(|file| fs::read(&file.path))
                            .collect::<Vec<_>>()
                    }),
                )
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|(len, handle)| {
                handle.join().unwrap_or_else(|_| {
                    (0..len)
                        .map(|_| Err(io::Error::other("the reading thread panicked")))
                        .collect()
                })
            })
            .collect()
    })
}

/// How far [`write_atomically`] makes sure the bytes went before the rename.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// Generated files (`wfc compile`), rebuilt from their sources at will, like a compiler's
    /// outputs: the rename alone makes the target the old file or the whole new one for every
    /// reader and whatever happens to wfc; only a crash of the operating system right after could
    /// leave it short. Waiting for the disk would cost a tenth of a large compile.
    Regenerable,
    /// Files the user goes on to edit (`wfc import`): on disk before the rename.
    Synced,
}

/// Whether the file at `path` holds exactly `pieces`, one after the other (read only when the
/// sizes agree; `false` when it cannot be read). `wfc compile` leaves such outputs alone: their
/// modification times stay, so build tools and watchers see nothing to redo, and replacing a
/// large file costs more than comparing it (the kernel frees the old file's pages during the
/// rename).
pub fn holds(path: &Path, pieces: &[&[u8]]) -> bool {
    use std::io::Read;
    let length: usize = pieces.iter().map(|piece| piece.len()).sum();
    // Only regular files are opened: opening a named pipe would wait for a writer.
    match fs::metadata(path) {
        Ok(metadata) if metadata.is_file() && metadata.len() == length as u64 => {}
        _ => return false,
    }
    let Ok(mut file) = fs::File::open(path) else {
        return false;
    };
    let mut buffer = vec![0u8; 256 * 1024];
    // What is left to compare: the rest of the current piece, then the pieces after it.
    let mut rest: &[u8] = &[];
    let mut next_pieces = pieces.iter();
    loop {
        let read = match file.read(&mut buffer) {
            Ok(0) => return rest.is_empty() && next_pieces.all(|piece| piece.is_empty()),
            Ok(read) => read,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(_) => return false,
        };
        let mut read_part = &buffer[..read];
        while !read_part.is_empty() {
            while rest.is_empty() {
                match next_pieces.next() {
                    Some(piece) => rest = piece,
                    None => return false,
                }
            }
            let common = read_part.len().min(rest.len());
            if read_part[..common] != rest[..common] {
                return false;
            }
            read_part = &read_part[common..];
            rest = &rest[common..];
        }
    }
}

/// Writes `contents` to `directory/name` through a temporary file in the same directory and a
/// rename, so that the target is either the old file or the whole new one.
pub fn write_atomically(
    directory: &Path,
    name: &str,
    contents: &[u8],
    durability: Durability,
) -> io::Result<()> {
    write_pieces_atomically(directory, name, &[contents], durability)
}

/// [`write_atomically`] of `pieces`, one after the other.
pub fn write_pieces_atomically(
    directory: &Path,
    name: &str,
    pieces: &[&[u8]],
    durability: Durability,
) -> io::Result<()> {
    let mut attempt = 0u32;
    let (temporary, mut file) = loop {
        let candidate = directory.join(format!(".{name}.{}.{attempt}.tmp", std::process::id()));
        match OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&candidate)
        {
            Ok(file) => break (candidate, file),
            Err(error) if error.kind() == io::ErrorKind::AlreadyExists && attempt < 100 => {
                attempt += 1;
            }
            Err(error) => return Err(error),
        }
    };
    // Many small pieces go out in large writes.
    let mut writer = io::BufWriter::with_capacity(256 * 1024, &mut file);
    let written = pieces
        .iter()
        .try_for_each(|piece| writer.write_all(piece))
        .and_then(|()| writer.flush());
    drop(writer);
    let result = written
        .and_then(|()| match durability {
            Durability::Synced => file.sync_all(),
            Durability::Regenerable => Ok(()),
        })
        .and_then(|()| {
            drop(file);
            fs::rename(&temporary, directory.join(name))
        });
    if result.is_err() {
        let _ = fs::remove_file(&temporary);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths() {
        let cwd = Path::new("/work/project");
        assert_eq!(
            relative_to(Path::new("./a/./b.wf.yaml"), cwd),
            PathBuf::from("a/b.wf.yaml")
        );
        assert_eq!(
            relative_to(Path::new("/work/project/a.wf.yaml"), cwd),
            PathBuf::from("a.wf.yaml")
        );
        assert_eq!(
            relative_to(Path::new("/work/project"), cwd),
            PathBuf::from(".")
        );
        assert_eq!(
            relative_to(Path::new("/elsewhere/a.wf.yaml"), cwd),
            PathBuf::from("/elsewhere/a.wf.yaml")
        );
        assert_eq!(
            relative_to(Path::new("../x.wf.yaml"), cwd),
            PathBuf::from("../x.wf.yaml")
        );
    }

    #[test]
    fn describes_errors_without_os_codes() {
        let error = io::Error::from_raw_os_error(2);
        assert!(!describe(&error).contains("os error"));
    }

    #[test]
    fn pieces_are_written_and_compared_as_one_text() -> io::Result<()> {
        let directory = std::env::temp_dir().join(format!("wfc-pieces-{}", std::process::id()));
        fs::create_dir_all(&directory)?;
        let text: Vec<u8> = (0..600_000u32).map(|index| (index % 251) as u8).collect();
        // Pieces around the comparison buffer's size, an empty one among them.
        let pieces: Vec<&[u8]> = vec![&text[..5], &[], &text[5..300_000], &text[300_000..]];
        write_pieces_atomically(&directory, "x.json", &pieces, Durability::Regenerable)?;
        let path = directory.join("x.json");
        let written = fs::read(&path)?;
        let other_splits: Vec<&[u8]> = vec![&text[..262_144], &text[262_144..]];
        let mut changed = text.clone();
        changed[400_000] ^= 1;
        let results = (
            written == text,
            holds(&path, &pieces),
            holds(&path, &other_splits),
            holds(&path, &[&text]),
            holds(&path, &[&changed]),
            holds(&path, &[&text[..599_999]]),
            holds(&directory.join("missing.json"), &[&text]),
        );
        fs::remove_dir_all(&directory)?;
        assert_eq!(results, (true, true, true, true, false, false, false));
        Ok(())
    }

    #[test]
    fn atomic_writes_replace_files() -> io::Result<()> {
        let directory = std::env::temp_dir().join(format!("wfc-compile-{}", std::process::id()));
        fs::create_dir_all(&directory)?;
        write_atomically(&directory, "x.json", b"1", Durability::Synced)?;
        write_atomically(&directory, "x.json", b"2", Durability::Regenerable)?;
        assert_eq!(fs::read_to_string(directory.join("x.json"))?, "2");
        let leftovers = fs::read_dir(&directory)?.count();
        fs::remove_dir_all(&directory)?;
        assert_eq!(leftovers, 1);
        Ok(())
    }
}
