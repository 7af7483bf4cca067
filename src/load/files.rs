//! Input files (cases, schemas): from a folder on disk, or embedded in the binary at build time.

use std::path::Path;

use include_dir::{Dir, include_dir};

/// The shipped cases, embedded so an installed binary works from any directory.
pub static EMBEDDED_CASES: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/cases");
/// The shipped schemas.
pub static EMBEDDED_SCHEMAS: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/schemas");

/// One file of a folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputFile {
    /// Path relative to the folder, with `/` separators.
    pub rel: String,
    /// The path shown to users.
    pub display: String,
    /// The file's text (empty when the file is not text).
    pub text: String,
    /// Why the file is not text, if it is not: the loader then fails the file alone.
    pub not_text: Option<NotText>,
}

/// Why a file's bytes are not text the loader can read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NotText {
    /// It holds a NUL byte: a binary file.
    #[error("a binary file, not YAML text (NUL byte at offset {offset})")]
    Binary {
        /// Where the first NUL byte is.
        offset: usize,
    },
    /// It is not valid UTF-8.
    #[error("not UTF-8 text (invalid byte at offset {offset})")]
    NotUtf8 {
        /// Where the first invalid byte is.
        offset: usize,
    },
}

impl InputFile {
    /// A file from its bytes: text when they are UTF-8 without NUL, otherwise marked.
    pub fn from_bytes(rel: String, display: String, bytes: &[u8]) -> InputFile {
        let (text, not_text) = match std::str::from_utf8(bytes) {
            Ok(t) => match t.find('\0') {
                Some(offset) => (String::new(), Some(NotText::Binary { offset })),
                None => (t.to_string(), None),
            },
            Err(e) => match bytes.iter().position(|b| *b == 0) {
                Some(offset) => (String::new(), Some(NotText::Binary { offset })),
                None => (
                    String::new(),
                    Some(NotText::NotUtf8 {
                        offset: e.valid_up_to(),
                    }),
                ),
            },
        };
        InputFile {
            rel,
            display,
            text,
            not_text,
        }
    }

    /// A text file.
    pub fn text(
        rel: impl Into<String>,
        display: impl Into<String>,
        text: impl Into<String>,
    ) -> InputFile {
        InputFile {
            rel: rel.into(),
            display: display.into(),
            text: text.into(),
            not_text: None,
        }
    }
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
        out.push(InputFile::from_bytes(rel, display, f.contents()));
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
        let rel = path
            .strip_prefix(root)
            .unwrap_or(&path)
            .to_string_lossy()
            .replace('\\', "/");
        out.push(InputFile::from_bytes(rel, display, &bytes));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case(b"a: 1\n", None)]
    #[case(b"caf\xe9: 1\n", Some(NotText::NotUtf8 { offset: 3 }))]
    #[case(b"\x89PNG\r\n\x1a\n\0\0", Some(NotText::Binary { offset: 8 }))]
    #[case(b"a\0b", Some(NotText::Binary { offset: 1 }))]
    fn bytes_are_text_or_say_why_not(#[case] bytes: &[u8], #[case] expected: Option<NotText>) {
        let f = InputFile::from_bytes("x.yaml".into(), "x.yaml".into(), bytes);
        assert_eq!(f.not_text, expected);
        assert_eq!(f.text.is_empty(), expected.is_some());
    }
}
