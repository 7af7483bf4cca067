//! Text a target sent, made safe for each place it is written: a JUnit file (no character XML
//! forbids), a Markdown summary (target text only inside code spans, so it can make no heading,
//! row, link or comment), and a terminal or CI log (no escape or control character, no line
//! that starts a GitHub workflow command). Pure functions of strings; every sink calls one.

/// Whether XML 1.0 allows `c` in a document.
fn xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// `text` with every character XML forbids shown as `\u{…}`.
pub fn xml(text: &str) -> String {
    if text.chars().all(xml_char) {
        return text.to_string();
    }
    text.chars()
        .map(|c| {
            if xml_char(c) {
                c.to_string()
            } else {
                format!("\\u{{{:x}}}", c as u32)
            }
        })
        .collect()
}

/// `text` as one Markdown code span: control characters and line breaks shown escaped, the
/// fence one backtick longer than the longest run of backticks inside.
pub fn code_span(text: &str) -> String {
    let flat = escape_controls(text, true);
    let longest = flat.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    // A space on each side when the text starts or ends with a backtick (or is blank), as
    // CommonMark strips one.
    let pad = flat.starts_with('`') || flat.ends_with('`') || flat.trim().is_empty();
    let space = if pad { " " } else { "" };
    format!("{fence}{space}{flat}{space}{fence}")
}

/// `text` as one cell of a Markdown table: a code span (see [`code_span`]) whose `|` are
/// escaped, as GitHub's tables split a row at every unescaped `|`, code spans included.
pub fn table_cell(text: &str) -> String {
    code_span(text).replace('|', "\\|")
}

/// `text` with control characters shown escaped (`\x1b`, `\r`, `\u{9b}`); line breaks kept
/// unless `flatten`, tabs kept.
fn escape_controls(text: &str, flatten: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' if !flatten => out.push('\n'),
            '\t' => out.push('\t'),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c if ('\u{80}'..='\u{9f}').contains(&c) => {
                out.push_str(&format!("\\u{{{:x}}}", c as u32));
            }
            // Bidirectional overrides and isolates can make text read other than it is.
            '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => {
                out.push_str(&format!("\\u{{{:x}}}", c as u32));
            }
            c => out.push(c),
        }
    }
    out
}

/// `text` for a terminal or a CI log: control and escape characters shown escaped; a line that
/// would be a GitHub workflow command (`::…` after any leading whitespace, which the runner
/// trims) gets a visible `| ` in front, and the older `##[…]` form, recognised anywhere in a
/// line, is broken up as `##\[`.
pub fn terminal(text: &str) -> String {
    let escaped = escape_controls(text, false);
    if !escaped.contains("::") && !escaped.contains("##[") {
        return escaped;
    }
    escaped
        .split('\n')
        .map(|line| {
            let line = line.replace("##[", "##\\[");
            if line.trim_start().starts_with("::") {
                format!("| {line}")
            } else {
                line
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case::clean("a <b> & ]]>", "a <b> & ]]>")]
    #[case::nonchars("x\u{fffe}y\u{ffff}", "x\\u{fffe}y\\u{ffff}")]
    #[case::controls("a\u{1}b\u{1b}c\td\re\n", "a\\u{1}b\\u{1b}c\td\re\n")]
    #[case::astral("😀", "😀")]
    fn xml_keeps_only_what_xml_allows(#[case] text: &str, #[case] expected: &str) {
        assert_eq!(xml(text), expected);
    }

    #[rstest]
    #[case::plain("x", "`x`")]
    #[case::backticks("a `b` ``c``", "``` a `b` ``c`` ```")]
    #[case::leading_backtick("`x", "`` `x ``")]
    #[case::comment("\r<!-- hidden", "`\\r<!-- hidden`")]
    #[case::heading("\n# Passed\n| a | b |", "`\\n# Passed\\n| a | b |`")]
    #[case::blank("", "`  `")]
    #[case::escape("\u{1b}[31m", "`\\x1b[31m`")]
    fn markdown_gets_target_text_only_as_one_code_span(#[case] text: &str, #[case] expected: &str) {
        assert_eq!(code_span(text), expected);
    }

    #[rstest]
    #[case::ansi(
        "\u{1b}[2J\u{1b}[32mtest result: ok",
        "\\x1b[2J\\x1b[32mtest result: ok"
    )]
    #[case::osc("\u{1b}]52;c;ZXZpbA==\u{7}", "\\x1b]52;c;ZXZpbA==\\x07")]
    #[case::workflow_command(
        "body:\n::add-mask::x\n  ::warning::y",
        "body:\n| ::add-mask::x\n|   ::warning::y"
    )]
    #[case::old_command_form("text ##[error]fake", "text ##\\[error]fake")]
    #[case::carriage_return("ok\rFAIL", "ok\\rFAIL")]
    #[case::c1("\u{9b}2J", "\\u{9b}2J")]
    #[case::bidi("a\u{202e}b", "a\\u{202e}b")]
    #[case::kept(
        "line one\n\tline two :: not a command",
        "line one\n\tline two :: not a command"
    )]
    fn the_terminal_gets_no_escape_and_no_workflow_command(
        #[case] text: &str,
        #[case] expected: &str,
    ) {
        let shown = terminal(text);
        assert_eq!(shown, expected);
        assert!(!shown.contains('\u{1b}'));
        // The runner trims leading whitespace before it looks for `::`.
        assert!(shown.lines().all(|l| !l.trim_start().starts_with("::")));
        assert!(!shown.contains("##["));
    }
}
