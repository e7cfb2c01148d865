//! Just enough of an SVG writer: elements with attributes, text, tooltips, and XML escaping.

use crate::format::fixed;

/// A coordinate or length, to a tenth of a pixel: finer than a screen shows, and fixed so the
/// same record always gives the same bytes.
pub(super) fn px(x: f64) -> String {
    fixed(x, 1)
}

/// Text made safe for XML content and attribute values.
pub(super) fn escape(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // XML 1.0 forbids most control characters outright; a space reads the same.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Roughly how wide `text` renders in a sans-serif font: generous, so that space reserved for
/// a label is never too small.
pub(super) fn text_width_px(text: &str, font_px: f64) -> f64 {
    text.chars().count() as f64 * font_px * 0.6
}

/// `text` cut to at most `max_chars`, with an ellipsis when something was cut.
pub(super) fn truncate(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        return text.to_string();
    }
    let kept: String = text.chars().take(max_chars.saturating_sub(1)).collect();
    format!("{}…", kept.trim_end())
}

/// An SVG document being written, element by element, in paint order.
#[derive(Default)]
pub(super) struct Svg {
    out: String,
}

impl Svg {
    fn open_tag(&mut self, name: &str, attrs: &[(&str, String)]) {
        self.out.push('<');
        self.out.push_str(name);
        for (key, value) in attrs {
            self.out.push(' ');
            self.out.push_str(key);
            self.out.push_str("=\"");
            self.out.push_str(&escape(value));
            self.out.push('"');
        }
    }

    /// An element without content, or with only a tooltip.
    pub(super) fn element(&mut self, name: &str, attrs: &[(&str, String)], tooltip: Option<&str>) {
        self.open_tag(name, attrs);
        match tooltip {
            None => self.out.push_str("/>\n"),
            Some(tip) => {
                self.out
                    .push_str(&format!("><title>{}</title></{name}>\n", escape(tip)));
            }
        }
    }

    pub(super) fn text(&mut self, attrs: &[(&str, String)], content: &str) {
        self.open_tag("text", attrs);
        self.out.push_str(&format!(">{}</text>\n", escape(content)));
    }

    /// One line of text in several styles (class, content), a little space between them.
    pub(super) fn text_spans(&mut self, attrs: &[(&str, String)], spans: &[(&str, &str)]) {
        self.open_tag("text", attrs);
        self.out.push('>');
        let mut first = true;
        for (class, content) in spans.iter().filter(|(_, content)| !content.is_empty()) {
            let gap = if first { "" } else { " dx=\"8\"" };
            self.out.push_str(&format!(
                "<tspan class=\"{class}\"{gap}>{}</tspan>",
                escape(content)
            ));
            first = false;
        }
        self.out.push_str("</text>\n");
    }

    pub(super) fn open(&mut self, name: &str, attrs: &[(&str, String)]) {
        self.open_tag(name, attrs);
        self.out.push_str(">\n");
    }

    pub(super) fn close(&mut self, name: &str) {
        self.out.push_str(&format!("</{name}>\n"));
    }

    /// Markup this module did not write (a style sheet); the caller vouches for it.
    pub(super) fn raw(&mut self, markup: &str) {
        self.out.push_str(markup);
    }

    pub(super) fn append(&mut self, other: Svg) {
        self.out.push_str(&other.out);
    }

    pub(super) fn finish(self) -> String {
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            escape(r#"a<b & "c" 'd'>"#),
            "a&lt;b &amp; &quot;c&quot; &apos;d&apos;&gt;"
        );
    }

    #[test]
    fn truncates_with_an_ellipsis() {
        assert_eq!(truncate("abcdef", 4), "abc…");
        assert_eq!(truncate("abc", 4), "abc");
    }
}
