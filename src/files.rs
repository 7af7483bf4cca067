//! Input files (cases, schemas): from a folder on disk, or embedded in the binary at build time.

use std::path::Path;

use include_dir::{Dir, include_dir};

/// The shipped cases, embedded so an installed binary works from any directory.
pub static EMBEDDED_CASES: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/cases");
/// The shipped schemas.
pub static EMBEDDED_SCHEMAS: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/schemas");

/// One text file of a folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputFile {
    /// Path relative to the folder, with `/` separators.
    pub rel: String,
    /// The path shown to users.
    pub display: String,
    /// The file's text.
    pub text: String,
}

/// Why a folder could not be read.
#[derive(Debug, thiserror::Error)]
pub enum FilesError {
    /// The folder or a file in it cannot be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// What.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// A file is not UTF-8.
    #[error("{path}: not UTF-8 text")]
    NotUtf8 {
        /// What.
        path: String,
    },
}

/// Every file of an embedded folder, shown as `{label}/{rel}`, sorted by path.
pub fn embedded(dir: &Dir<'static>, label: &str) -> Result<Vec<InputFile>, FilesError> {
    let mut out = Vec::new();
    collect_embedded(dir, label, &mut out)?;
    out.sort_by(|a, b| a.rel.cmp(&b.rel));
    Ok(out)
}

fn collect_embedded(
    dir: &Dir<'static>,
    label: &str,
    out: &mut Vec<InputFile>,
) -> Result<(), FilesError> {
    for f in dir.files() {
        let rel = f.path().to_string_lossy().replace('\\', "/");
        let display = format!("{label}/{rel}");
        let text = f
            .contents_utf8()
            .ok_or_else(|| FilesError::NotUtf8 {
                path: display.clone(),
            })?
            .to_string();
        out.push(InputFile { rel, display, text });
    }
    for d in dir.dirs() {
        collect_embedded(d, label, out)?;
    }
    Ok(())
}

/// Every file under `root` (recursively), shown as `root/rel`, sorted by path.
pub fn from_dir(root: &Path) -> Result<Vec<InputFile>, FilesError> {
    let mut out = Vec::new();
    walk(root, root, &mut out)?;
    out.sort_by(|a, b| a.rel.cmp(&b.rel));
    Ok(out)
}

fn walk(root: &Path, dir: &Path, out: &mut Vec<InputFile>) -> Result<(), FilesError> {
    let io = |path: &Path| {
        let path = path.display().to_string();
        move |source| FilesError::Io { path, source }
    };
    for entry in std::fs::read_dir(dir).map_err(io(dir))? {
        let entry = entry.map_err(io(dir))?;
        let path = entry.path();
        if path.is_dir() {
            walk(root, &path, out)?;
            continue;
        }
        let bytes = std::fs::read(&path).map_err(io(&path))?;
        let display = path.display().to_string();
        let text = String::from_utf8(bytes).map_err(|_| FilesError::NotUtf8 {
            path: display.clone(),
        })?;
        let rel = path
            .strip_prefix(root)
            .unwrap_or(&path)
            .to_string_lossy()
            .replace('\\', "/");
        out.push(InputFile { rel, display, text });
    }
    Ok(())
}
