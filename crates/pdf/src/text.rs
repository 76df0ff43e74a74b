//! Cleaning and line breaking.
//!
//! A CJK character can end a line anywhere, except before closing punctuation (`，。）`
//! and the like) or after opening punctuation (`（“` …). Latin text breaks at spaces; a
//! word longer than the whole line is broken between characters.

use crate::font::Font;

/// Normalises text for drawing: tabs become spaces; CR LF, CR and the Unicode line and
/// paragraph separators become `\n`; other control characters and zero-width formatting
/// characters (joiners, variation selectors, byte order marks) are dropped.
pub(crate) fn clean(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\t' => out.push(' '),
            '\n' | '\u{2028}' | '\u{2029}' => out.push('\n'),
            '\r' => {
                if chars.peek() != Some(&'\n') {
                    out.push('\n');
                }
            }
            c if c.is_control() || is_invisible(c) => {}
            c => out.push(c),
        }
    }
    out
}

/// [`clean`], and line breaks become spaces: for text that stays on one line.
pub(crate) fn clean_line(s: &str) -> String {
    clean(s).replace('\n', " ")
}

fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{034F}' | '\u{180E}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{206F}' | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}' | '\u{FFF9}'..='\u{FFFB}'
        | '\u{E0000}'..='\u{E007F}' | '\u{E0100}'..='\u{E01EF}')
}

/// Whether a line may end after `c` (and begin before the next character) without a
/// space: CJK ideographs, kana, hangul, CJK and full-width punctuation, and emoji.
fn is_cjk(c: char) -> bool {
    matches!(c,
        '\u{1100}'..='\u{11FF}' | '\u{2E80}'..='\u{2FFF}' | '\u{3000}'..='\u{303F}'
        | '\u{3040}'..='\u{30FF}' | '\u{3100}'..='\u{31FF}' | '\u{3200}'..='\u{4DBF}'
        | '\u{4E00}'..='\u{9FFF}' | '\u{A000}'..='\u{A4CF}' | '\u{AC00}'..='\u{D7AF}'
        | '\u{F900}'..='\u{FAFF}' | '\u{FE30}'..='\u{FE4F}' | '\u{FF00}'..='\u{FFEF}'
        | '\u{1F000}'..='\u{1FAFF}' | '\u{20000}'..='\u{3FFFF}')
}

/// Characters a line must not begin with.
fn no_break_before(c: char) -> bool {
    "，。、；：？！）」』》〉】〕〗〙”’…‥·%．,.;:?!)]}>ー々〻ぁぃぅぇぉっゃゅょァィゥェォッャュョ"
        .contains(c)
}

/// Characters a line must not end with.
fn no_break_after(c: char) -> bool {
    "（「『《〈【〔〖〘“‘([{<".contains(c)
}

/// A piece of text no line may break inside (unless it is longer than a line).
#[derive(Debug)]
struct Token {
    text: String,
    /// A space separated it from the previous token.
    space_before: bool,
    /// A line may break right after it, without a space.
    break_after: bool,
}

fn tokens(line: &str) -> Vec<Token> {
    let mut out: Vec<Token> = Vec::new();
    let mut space = false;
    for c in line.chars() {
        if c.is_whitespace() && c != '\u{3000}' {
            space = true;
            continue;
        }
        let cjk = is_cjk(c);
        let attach = !space
            && out.last().is_some_and(|last| {
                no_break_before(c) || (!last.break_after && !cjk) || last_is_opening(last)
            });
        match out.last_mut() {
            Some(last) if attach => {
                last.text.push(c);
                last.break_after = cjk && !no_break_after(c);
            }
            _ => out.push(Token {
                text: c.to_string(),
                space_before: space,
                break_after: cjk && !no_break_after(c),
            }),
        }
        space = false;
    }
    out
}

fn last_is_opening(token: &Token) -> bool {
    token.text.chars().next_back().is_some_and(no_break_after)
}

/// Breaks `text` (already [cleaned](clean)) into lines no wider than `max` points at
/// `size` points. `\n` forces a break. Gives at least one line (empty for empty text),
/// and at least one character a line, however narrow `max` is.
pub(crate) fn wrap(font: &Font, text: &str, size: f32, max: f32) -> Vec<String> {
    let max = max + 0.01;
    let space_w = font.advance(' ') * size;
    let mut lines = Vec::new();
    for hard in text.split('\n') {
        let mut line = String::new();
        let mut width = 0.0;
        for token in tokens(hard) {
            let w = font.width(&token.text, size);
            let sep = if token.space_before && !line.is_empty() {
                space_w
            } else {
                0.0
            };
            if width + sep + w <= max {
                if sep > 0.0 {
                    line.push(' ');
                }
                line.push_str(&token.text);
                width += sep + w;
                continue;
            }
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
                width = 0.0;
            }
            if w <= max {
                line = token.text;
                width = w;
                continue;
            }
            // Longer than a line: break between characters.
            for c in token.text.chars() {
                let cw = font.advance(c) * size;
                if width + cw > max && !line.is_empty() {
                    lines.push(std::mem::take(&mut line));
                    width = 0.0;
                }
                line.push(c);
                width += cw;
            }
        }
        lines.push(line);
    }
    lines
}

/// `text` on one line no wider than `max`, cut short with `…` if it is wider.
pub(crate) fn fit(font: &Font, text: &str, size: f32, max: f32) -> String {
    if font.width(text, size) <= max {
        return text.to_string();
    }
    let room = max - font.advance('…') * size;
    let mut out = String::new();
    let mut width = 0.0;
    for c in text.chars() {
        width += font.advance(c) * size;
        if width > room {
            break;
        }
        out.push(c);
    }
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn font() -> Font {
        Font::load().expect("font")
    }

    #[test]
    fn latin_breaks_at_spaces() {
        let f = font();
        let text = "The quick brown fox jumps over the lazy dog again and again";
        let lines = wrap(&f, text, 10.0, 100.0);
        assert!(lines.len() > 2);
        for line in &lines {
            assert!(f.width(line, 10.0) <= 100.01, "{line}");
            assert!(!line.starts_with(' ') && !line.ends_with(' '));
        }
        // Nothing lost: the words come back in order.
        assert_eq!(lines.join(" "), text);
    }

    #[test]
    fn cjk_breaks_anywhere_but_not_before_closing_punctuation() {
        let f = font();
        // Ten ideographs a line at 10 pt in 100 pt.
        let text = "工业互联网平台的评估报告，包括设备接入、数据采集和应用情况。";
        let lines = wrap(&f, text, 10.0, 100.0);
        assert!(lines.len() >= 3);
        assert_eq!(lines.concat(), text);
        for line in &lines {
            assert!(f.width(line, 10.0) <= 100.01);
            let first = line.chars().next().expect("non-empty line");
            assert!(!no_break_before(first), "line starts with {first}: {line}");
        }
        assert_eq!(lines[0].chars().count(), 10);
    }

    #[test]
    fn long_words_break_by_characters() {
        let f = font();
        let word = "x".repeat(500);
        let lines = wrap(&f, &format!("short {word} end"), 9.0, 120.0);
        assert_eq!(lines.first().map(String::as_str), Some("short"));
        assert!(lines.len() > 5);
        assert_eq!(lines.concat().replace(' ', ""), format!("short{word}end"));
        for line in &lines {
            assert!(f.width(line, 9.0) <= 120.01);
        }
    }

    #[test]
    fn mixed_scripts_and_hard_breaks() {
        let f = font();
        let lines = wrap(&f, "设备 Device 在线率 online rate\n第二行", 10.0, 1000.0);
        assert_eq!(lines, ["设备 Device 在线率 online rate", "第二行"]);
        // Latin glued to CJK may break between them.
        let lines = wrap(&f, "温度Temperature传感器", 10.0, 60.0);
        assert_eq!(lines.concat(), "温度Temperature传感器");
    }

    #[test]
    fn degenerate_inputs() {
        let f = font();
        assert_eq!(wrap(&f, "", 10.0, 100.0), [""]);
        assert_eq!(wrap(&f, "   ", 10.0, 100.0), [""]);
        // Narrower than one character: still one character a line.
        let lines = wrap(&f, "abc中文", 10.0, 0.0);
        assert_eq!(lines, ["a", "b", "c", "中", "文"]);
        let lines = wrap(&f, "abc", 10.0, f32::NAN);
        assert_eq!(lines.concat(), "abc");
        assert_eq!(
            clean("a\tb\r\nc\rd\u{0}\u{7}\u{200D}e\u{FE0F}"),
            "a b\nc\nde"
        );
        assert_eq!(clean_line("x\ny"), "x y");
        assert_eq!(
            fit(&f, "a long title that goes on", 8.0, 40.0)
                .chars()
                .last(),
            Some('…')
        );
        assert_eq!(fit(&f, "short", 8.0, 400.0), "short");
    }
}
