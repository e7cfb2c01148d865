//! Errors in a scenario file, located by file, line and column, with a hint at the fix.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// What is wrong with a scenario file, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScenarioError {
    pub file: PathBuf,
    /// 1-based; 0 when the problem is not at one place (the file could not be read).
    pub line: usize,
    pub column: usize,
    pub message: String,
    pub hint: Option<String>,
}

impl ScenarioError {
    /// An error at byte range `span` of `text`.
    pub fn at(file: &Path, text: &str, span: Option<Range<usize>>, message: impl Into<String>) -> Self {
        let (line, column) = match span {
            Some(span) => line_and_column(text, span.start),
            None => (0, 0),
        };
        ScenarioError {
            file: file.to_path_buf(),
            line,
            column,
            message: message.into(),
            hint: None,
        }
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

/// 1-based line and column of byte `offset` in `text`.
fn line_and_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |tail| tail.chars().count()) + 1;
    (line, column)
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A message of several lines (TOML syntax errors have them) keeps its later lines
        // indented under the located first line.
        let message = self.message.replace('\n', "\n  ");
        if self.line > 0 {
            write!(
                f,
                "{}:{}:{}: {message}",
                self.file.display(),
                self.line,
                self.column
            )?;
        } else {
            write!(f, "{}: {message}", self.file.display())?;
        }
        if let Some(hint) = &self.hint {
            write!(f, "\n  hint: {hint}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ScenarioError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locates_lines_and_columns_from_one() {
        let text = "a = 1\nbb = 2\n";
        assert_eq!(line_and_column(text, 0), (1, 1));
        assert_eq!(line_and_column(text, 6), (2, 1));
        assert_eq!(line_and_column(text, 11), (2, 6));
    }
}
