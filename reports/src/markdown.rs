//! Reports for people: Markdown pages that read well both rendered and as plain text.

mod gate;
mod run;

pub use gate::gate_markdown;
pub use run::run_markdown;

/// Free text (messages, descriptions) made safe for a Markdown line or table cell: characters
/// that would start emphasis, links, HTML or a new cell are escaped, line breaks become spaces.
fn text(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            _ => out.push(c),
        }
    }
    out
}

/// A name (node, checker, digest) as inline code, which needs no escaping except for backticks
/// and the table's cell separator.
fn code(raw: &str) -> String {
    let cleaned = raw.replace(['\n', '\r'], " ").replace('|', "\\|");
    let fence = "`".repeat(longest_backtick_run(&cleaned) + 1);
    // A space inside the fence keeps a leading or trailing backtick from joining it.
    if cleaned.starts_with('`') || cleaned.ends_with('`') {
        format!("{fence} {cleaned} {fence}")
    } else {
        format!("{fence}{cleaned}{fence}")
    }
}

/// A fenced code block that no backticks in `body` can close early.
fn code_block(language: &str, body: &str) -> String {
    let fence = "`".repeat((longest_backtick_run(body) + 1).max(3));
    format!("{fence}{language}\n{body}\n{fence}\n")
}

fn longest_backtick_run(s: &str) -> usize {
    s.split(|c| c != '`').map(str::len).max().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_escapes_what_markdown_would_interpret() {
        assert_eq!(text("a|b <c> *d*"), r"a\|b \<c\> \*d\*");
    }

    #[test]
    fn code_survives_backticks() {
        assert_eq!(code("a`b"), "``a`b``");
        assert!(code_block("sh", "echo ```").starts_with("````sh\n"));
    }
}
