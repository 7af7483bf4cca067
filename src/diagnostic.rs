//! Source files of cases: their text, where each YAML node sits, and rendering of
//! diagnostics that point at a line and column.

use std::collections::HashMap;
use std::fmt;

use saphyr_parser::{Event, Parser, Span as YamlSpan};

/// A 1-based line and column.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Pos {
    /// Line, from 1.
    pub line: usize,
    /// Column, from 1.
    pub col: usize,
}

/// A range in a source file; `end` is exclusive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    /// First character.
    pub start: Pos,
    /// One past the last character.
    pub end: Pos,
}

impl Span {
    fn from_yaml(span: &YamlSpan) -> Span {
        Span {
            start: Pos {
                line: span.start.line(),
                col: span.start.col() + 1,
            },
            end: Pos {
                line: span.end.line(),
                col: span.end.col() + 1,
            },
        }
    }
}

/// Where one node of a YAML document sits: its key (in a mapping) and its value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NodeSpans {
    /// The key's span, for a mapping entry.
    pub key: Option<Span>,
    /// The value's span (for a collection, its first token).
    pub value: Span,
}

/// A YAML case file: display path, text, and an index from JSON pointers to spans.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// The path shown in diagnostics (e.g. `cases/fallback-reviewers/add.yaml`).
    pub path: String,
    /// The file's text.
    pub text: String,
    /// Built on first use: most files loaded have no problem to point at.
    index: std::sync::OnceLock<HashMap<String, NodeSpans>>,
}

/// Escapes one JSON pointer segment.
pub fn escape_pointer(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

impl SourceFile {
    /// A file whose text is indexed when a problem first points into it. A file that does
    /// not parse gets a partial (or empty) index; the YAML deserializer reports the syntax
    /// error itself.
    pub fn new(path: impl Into<String>, text: impl Into<String>) -> SourceFile {
        SourceFile {
            path: path.into(),
            text: text.into(),
            index: std::sync::OnceLock::new(),
        }
    }

    fn index(&self) -> &HashMap<String, NodeSpans> {
        self.index.get_or_init(|| {
            let mut index = HashMap::new();
            let events: Vec<(Event<'_>, YamlSpan)> = Parser::new_from_str(&self.text)
                .map_while(Result::ok)
                .collect();
            let mut walker = Walker {
                events: &events,
                at: 0,
                index: &mut index,
            };
            walker.document();
            index
        })
    }

    /// The spans of the node at `pointer` (`""` is the root), if it exists in the file.
    pub fn node(&self, pointer: &str) -> Option<NodeSpans> {
        self.index().get(pointer).copied()
    }

    /// The best span for a problem at `pointer`: the node itself, or its nearest ancestor.
    pub fn span_near(&self, pointer: &str) -> Option<Span> {
        let mut p = pointer;
        loop {
            if let Some(n) = self.index().get(p) {
                return Some(n.value);
            }
            match p.rfind('/') {
                Some(i) => p = &p[..i],
                None => return None,
            }
        }
    }

    /// The span of the key at `pointer` (falls back to [`SourceFile::span_near`]).
    pub fn key_span(&self, pointer: &str) -> Option<Span> {
        self.node(pointer)
            .and_then(|n| n.key)
            .or_else(|| self.span_near(pointer))
    }

    /// One line of the file, without its line break.
    pub fn line(&self, line: usize) -> Option<&str> {
        self.text.lines().nth(line.checked_sub(1)?)
    }

    /// A diagnostic at `span` in this file.
    pub fn diagnostic(&self, span: Option<Span>, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            path: self.path.clone(),
            span,
            line_text: span
                .and_then(|s| self.line(s.start.line))
                .map(str::to_string),
            message: message.into(),
            help: None,
        }
    }
}

struct Walker<'e, 'i> {
    events: &'e [(Event<'i>, YamlSpan)],
    at: usize,
    index: &'e mut HashMap<String, NodeSpans>,
}

impl Walker<'_, '_> {
    fn peek(&self) -> Option<&Event<'_>> {
        self.events.get(self.at).map(|(e, _)| e)
    }

    fn document(&mut self) {
        while let Some(e) = self.peek() {
            match e {
                Event::StreamStart | Event::DocumentStart(_) => self.at += 1,
                Event::StreamEnd | Event::DocumentEnd => return,
                _ => {
                    self.node(String::new(), None);
                    return;
                }
            }
        }
    }

    /// Indexes one node (and its children) at `pointer`; returns its value span.
    fn node(&mut self, pointer: String, key: Option<Span>) {
        let Some((event, span)) = self.events.get(self.at) else {
            return;
        };
        let value = Span::from_yaml(span);
        self.at += 1;
        match event {
            Event::MappingStart(..) => {
                self.index.insert(pointer.clone(), NodeSpans { key, value });
                loop {
                    match self.events.get(self.at) {
                        None => return,
                        Some((Event::MappingEnd, _)) => {
                            self.at += 1;
                            return;
                        }
                        Some((Event::Scalar(k, ..), kspan)) => {
                            let child = format!("{pointer}/{}", escape_pointer(k));
                            let kspan = Span::from_yaml(kspan);
                            self.at += 1;
                            self.node(child, Some(kspan));
                        }
                        Some(_) => {
                            // A complex key: index it nowhere, then skip its value.
                            self.skip();
                            self.skip();
                        }
                    }
                }
            }
            Event::SequenceStart(..) => {
                self.index.insert(pointer.clone(), NodeSpans { key, value });
                let mut i = 0;
                loop {
                    match self.events.get(self.at) {
                        None => return,
                        Some((Event::SequenceEnd, _)) => {
                            self.at += 1;
                            return;
                        }
                        Some(_) => {
                            self.node(format!("{pointer}/{i}"), None);
                            i += 1;
                        }
                    }
                }
            }
            _ => {
                self.index.insert(pointer, NodeSpans { key, value });
            }
        }
    }

    fn skip(&mut self) {
        let mut depth = 0usize;
        while let Some((e, _)) = self.events.get(self.at) {
            self.at += 1;
            match e {
                Event::MappingStart(..) | Event::SequenceStart(..) => depth += 1,
                Event::MappingEnd | Event::SequenceEnd => depth = depth.saturating_sub(1),
                _ => {}
            }
            if depth == 0 {
                return;
            }
        }
    }
}

/// A problem in an input file, pointing at a line and column when known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// The file's display path.
    pub path: String,
    /// Where, if known.
    pub span: Option<Span>,
    /// The text of the line the span starts on.
    pub line_text: Option<String>,
    /// What is wrong (a lowercase fragment).
    pub message: String,
    /// What would be valid, or a did-you-mean.
    pub help: Option<String>,
}

impl Diagnostic {
    /// A diagnostic about a whole file (no position).
    pub fn file(path: impl Into<String>, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            path: path.into(),
            span: None,
            line_text: None,
            message: message.into(),
            help: None,
        }
    }

    /// Adds a help line.
    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    /// `path:line:col` (or just the path).
    pub fn location(&self) -> String {
        match self.span {
            Some(s) => format!("{}:{}:{}", self.path, s.start.line, s.start.col),
            None => self.path.clone(),
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "error: {}", self.message)?;
        write!(f, "  --> {}", self.location())?;
        if let (Some(span), Some(text)) = (self.span, &self.line_text) {
            let num = span.start.line.to_string();
            let pad = " ".repeat(num.len());
            let width = if span.end.line == span.start.line && span.end.col > span.start.col {
                span.end.col - span.start.col
            } else {
                1
            };
            let lead: String = text
                .chars()
                .take(span.start.col.saturating_sub(1))
                .map(|c| if c == '\t' { '\t' } else { ' ' })
                .collect();
            write!(
                f,
                "\n {pad} |\n {num} | {text}\n {pad} | {lead}{}",
                "^".repeat(width.min(80))
            )?;
        }
        if let Some(help) = &self.help {
            write!(f, "\n   = help: {help}")?;
        }
        Ok(())
    }
}

/// The candidate closest to `word`, if it is close enough to be a likely misspelling.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| {
            (
                strsim::jaro_winkler(&word.to_ascii_lowercase(), &c.to_ascii_lowercase()),
                c,
            )
        })
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

/// A YAML decoding error as a diagnostic at its line and column (any YAML file of the tool:
/// cases, states, principals, target files, expectations).
pub fn yaml_diagnostic(file: &SourceFile, err: &serde_yaml::Error) -> Diagnostic {
    let span = err.location().map(|l| {
        let pos = crate::diagnostic::Pos {
            line: l.line(),
            col: l.column(),
        };
        crate::diagnostic::Span {
            start: pos,
            end: pos,
        }
    });
    let message = err.to_string();
    // The location is shown separately; keep the message short.
    static TRAILING_LOCATION: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r" at line \d+ column \d+$").expect("a constant regex compiles")
    });
    let message = TRAILING_LOCATION.replace(&message, "").into_owned();
    file.diagnostic(span, message)
}

#[cfg(test)]
mod tests;
