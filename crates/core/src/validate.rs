//! Checks for user-supplied text, shared by the API and bulk import so every entry point
//! applies the same rules.

use crate::error::{FieldError, FieldErrorKind};

pub const MAX_NAME_LEN: usize = 128;
pub const MAX_DESCRIPTION_LEN: usize = 2048;
pub const MAX_TAGS: usize = 32;
pub const MAX_TAG_LEN: usize = 64;

/// A display name or label: not empty after trimming, bounded, no control characters.
pub fn text(field: &str, value: &str, max: usize) -> Result<(), FieldError> {
    if value.trim().is_empty() {
        return Err(FieldError::new(field, FieldErrorKind::Empty));
    }
    free_text(field, value, max)
}

/// Like [`text`] but may be empty; newlines and tabs are allowed (descriptions).
pub fn free_text(field: &str, value: &str, max: usize) -> Result<(), FieldError> {
    if value.chars().count() > max {
        return Err(FieldError::new(field, FieldErrorKind::TooLong { max }));
    }
    if value
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t' && c != '\r')
    {
        return Err(FieldError::new(field, FieldErrorKind::ControlCharacters));
    }
    Ok(())
}

/// A machine name (tenant code, device name, product key, user name): letters, digits and
/// `_ - . : @`, starting with a letter or digit. Devices put these in MQTT topics and URLs,
/// so `/`, `+`, `#`, spaces and anything invisible are refused.
pub fn identifier(field: &str, value: &str, max: usize) -> Result<(), FieldError> {
    if value.is_empty() {
        return Err(FieldError::new(field, FieldErrorKind::Empty));
    }
    if value.chars().count() > max {
        return Err(FieldError::new(field, FieldErrorKind::TooLong { max }));
    }
    let mut chars = value.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphanumeric());
    let rest_ok = value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | ':' | '@'));
    if !first_ok || !rest_ok {
        return Err(FieldError::new(
            field,
            FieldErrorKind::Format {
                expected: "letters, digits and _ - . : @, starting with a letter or digit",
                expected_zh: "字母、数字及 _ - . : @ 组成，且以字母或数字开头",
            },
        ));
    }
    Ok(())
}

pub fn tags(field: &str, tags: &[String]) -> Result<(), FieldError> {
    if tags.len() > MAX_TAGS {
        return Err(FieldError::new(
            field,
            FieldErrorKind::TooMany { max: MAX_TAGS },
        ));
    }
    for (i, t) in tags.iter().enumerate() {
        text(&format!("{field}[{i}]"), t, MAX_TAG_LEN)?;
    }
    Ok(())
}

/// Passwords: long enough and not only letters or only digits.
pub fn password(field: &str, value: &str) -> Result<(), FieldError> {
    const MIN: usize = 8;
    let weak = FieldError::new(field, FieldErrorKind::WeakPassword { min_len: MIN });
    if value.chars().count() < MIN || value.chars().count() > 256 {
        return Err(weak);
    }
    let letters = value.chars().any(char::is_alphabetic);
    let others = value.chars().any(|c| !c.is_alphabetic());
    if !(letters && others) {
        return Err(weak);
    }
    if value.chars().any(|c| c.is_control()) {
        return Err(FieldError::new(field, FieldErrorKind::ControlCharacters));
    }
    Ok(())
}

/// A loose e-mail check: one `@` with something on each side and a dot in the domain.
pub fn email(field: &str, value: &str) -> Result<(), FieldError> {
    free_text(field, value, 254)?;
    let ok = match value.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !value.chars().any(char::is_whitespace)
                && !domain.contains('@')
        }
        None => false,
    };
    if ok {
        Ok(())
    } else {
        Err(FieldError::new(
            field,
            FieldErrorKind::Format {
                expected: "an e-mail address",
                expected_zh: "电子邮件地址",
            },
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_refuse_topic_and_path_characters() {
        assert!(identifier("name", "pump-01.a_b:c@d", 64).is_ok());
        for bad in [
            "",
            "a/b",
            "a+b",
            "a#b",
            " a",
            "a b",
            "-a",
            "泵",
            "a\u{0}b",
            "'; DROP TABLE x;--",
        ] {
            assert!(identifier("name", bad, 64).is_err(), "{bad:?}");
        }
        assert!(identifier("name", &"a".repeat(65), 64).is_err());
    }

    #[test]
    fn text_refuses_control_characters_but_allows_unicode() {
        assert!(text("name", "一号泵 <script>", 64).is_ok());
        assert!(text("name", "a\u{0}", 64).is_err());
        assert!(text("name", "   ", 64).is_err());
        assert!(free_text("description", "line1\nline2", 64).is_ok());
        assert!(free_text("description", "\u{1b}[31m", 64).is_err());
    }

    #[test]
    fn passwords_need_length_and_mix() {
        assert!(password("password", "abc12345").is_ok());
        assert!(password("password", "abcdefgh").is_err());
        assert!(password("password", "12345678").is_err());
        assert!(password("password", "a1").is_err());
    }

    #[test]
    fn emails() {
        assert!(email("email", "li.lei@example.cn").is_ok());
        assert!(email("email", "nope").is_err());
        assert!(email("email", "a@b").is_err());
    }
}
