//! Locales for user-facing text. Every message meant for people exists in 简体中文 and English.

use serde::{Deserialize, Serialize};

/// A language the platform speaks to people in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum Locale {
    #[default]
    #[serde(rename = "en")]
    En,
    #[serde(rename = "zh-CN")]
    ZhCn,
}

impl Locale {
    /// Picks the best locale from an HTTP `Accept-Language` value, honouring q-values;
    /// `None` when nothing in it is a language we speak.
    pub fn from_accept_language(header: &str) -> Option<Locale> {
        let mut best: Option<(f32, Locale)> = None;
        for part in header.split(',') {
            let mut pieces = part.trim().split(';');
            let tag = pieces.next().unwrap_or("").trim().to_ascii_lowercase();
            let q = pieces
                .filter_map(|p| p.trim().strip_prefix("q="))
                .find_map(|v| v.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            let locale = if tag == "zh" || tag.starts_with("zh-") {
                Locale::ZhCn
            } else if tag == "en" || tag.starts_with("en-") {
                Locale::En
            } else {
                continue;
            };
            if q > 0.0 && best.is_none_or(|(bq, _)| q > bq) {
                best = Some((q, locale));
            }
        }
        best.map(|(_, l)| l)
    }

    /// Parses a configured locale name such as `en` or `zh-CN`.
    pub fn parse(name: &str) -> Option<Locale> {
        Self::from_accept_language(name)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Locale::En => "en",
            Locale::ZhCn => "zh-CN",
        }
    }

    /// Picks between an English and a Chinese text.
    pub fn pick<'a>(self, en: &'a str, zh: &'a str) -> &'a str {
        match self {
            Locale::En => en,
            Locale::ZhCn => zh,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_prefers_highest_q() {
        assert_eq!(
            Locale::from_accept_language("en;q=0.5, zh-CN;q=0.9"),
            Some(Locale::ZhCn)
        );
        assert_eq!(
            Locale::from_accept_language("zh-TW,en;q=0.1"),
            Some(Locale::ZhCn)
        );
        assert_eq!(Locale::from_accept_language("en-US"), Some(Locale::En));
        assert_eq!(Locale::from_accept_language("fr, de"), None);
        assert_eq!(
            Locale::from_accept_language("zh;q=0, en;q=0.2"),
            Some(Locale::En)
        );
    }
}
