//! Topic names and filters: checks and matching (MQTT 3.1.1 §4.7, MQTT 5 §4.7).

/// Why a topic name or filter is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TopicError {
    #[error("the topic is empty")]
    Empty,
    #[error("the topic is longer than the server allows")]
    TooLong,
    #[error("the topic has more levels than the server allows")]
    TooManyLevels,
    #[error("a topic name may not contain the wildcards + or #")]
    Wildcard,
    #[error("a topic may not contain the character NUL")]
    Nul,
    #[error("+ and # must stand alone in their level, and # must be last")]
    MisplacedWildcard,
    #[error("shared subscriptions are not supported")]
    Shared,
}

/// Checks a topic name a client publishes to.
pub fn check_name(topic: &str, max_len: usize, max_levels: usize) -> Result<(), TopicError> {
    common(topic, max_len, max_levels)?;
    if topic.bytes().any(|b| b == b'+' || b == b'#') {
        return Err(TopicError::Wildcard);
    }
    Ok(())
}

/// Checks a topic filter a client subscribes to.
pub fn check_filter(filter: &str, max_len: usize, max_levels: usize) -> Result<(), TopicError> {
    common(filter, max_len, max_levels)?;
    if filter.starts_with("$share/") {
        return Err(TopicError::Shared);
    }
    let mut levels = filter.split('/').peekable();
    while let Some(level) = levels.next() {
        let last = levels.peek().is_none();
        match level {
            "#" if !last => return Err(TopicError::MisplacedWildcard),
            "#" | "+" => {}
            l if l.contains(['+', '#']) => return Err(TopicError::MisplacedWildcard),
            _ => {}
        }
    }
    Ok(())
}

fn common(topic: &str, max_len: usize, max_levels: usize) -> Result<(), TopicError> {
    if topic.is_empty() {
        return Err(TopicError::Empty);
    }
    if topic.len() > max_len {
        return Err(TopicError::TooLong);
    }
    if topic.contains('\0') {
        return Err(TopicError::Nul);
    }
    if topic.bytes().filter(|&b| b == b'/').count() + 1 > max_levels {
        return Err(TopicError::TooManyLevels);
    }
    Ok(())
}

/// Whether a (valid) filter matches a (valid) topic name. Topics starting with `$` are not
/// matched by a filter starting with a wildcard.
pub fn matches(filter: &str, topic: &str) -> bool {
    if topic.starts_with('$') && filter.starts_with(['+', '#']) {
        return false;
    }
    let mut f = filter.split('/');
    let mut t = topic.split('/');
    loop {
        match (f.next(), t.next()) {
            (Some("#"), _) => return true,
            (Some("+"), Some(_)) => {}
            (Some(a), Some(b)) if a == b => {}
            // (`sport/#` matching `sport` itself is the first arm.)
            (None, None) => return true,
            _ => return false,
        }
    }
}

/// Whether a filter has wildcards.
pub fn is_wildcard(filter: &str) -> bool {
    filter.contains(['+', '#'])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_refuse_wildcards_nul_and_overlong() {
        assert_eq!(check_name("a/b", 100, 8), Ok(()));
        assert_eq!(check_name("a/+", 100, 8), Err(TopicError::Wildcard));
        assert_eq!(check_name("a/#", 100, 8), Err(TopicError::Wildcard));
        assert_eq!(check_name("", 100, 8), Err(TopicError::Empty));
        assert_eq!(check_name("a\0b", 100, 8), Err(TopicError::Nul));
        assert_eq!(
            check_name(&"x".repeat(101), 100, 8),
            Err(TopicError::TooLong)
        );
        assert_eq!(check_name("a/b/c", 100, 2), Err(TopicError::TooManyLevels));
        // `..` and empty levels are ordinary characters to MQTT; namespaces make them harmless.
        assert_eq!(check_name("/a/../b//", 100, 8), Ok(()));
    }

    #[test]
    fn filters_need_wildcards_in_their_own_level() {
        for ok in ["a/b", "a/+", "a/#", "#", "+", "+/+/#", "/+", "a//+"] {
            assert_eq!(check_filter(ok, 100, 8), Ok(()), "{ok}");
        }
        for bad in ["a/#/b", "a#", "a/b+", "+a", "##"] {
            assert_eq!(
                check_filter(bad, 100, 8),
                Err(TopicError::MisplacedWildcard),
                "{bad}"
            );
        }
        assert_eq!(check_filter("$share/g/a", 100, 8), Err(TopicError::Shared));
    }

    #[test]
    fn matching_follows_the_specification() {
        let cases = [
            ("a/b", "a/b", true),
            ("a/+", "a/b", true),
            ("a/+", "a/b/c", false),
            ("a/#", "a/b/c", true),
            ("a/#", "a", true),
            ("#", "a/b", true),
            ("+/+", "/b", true),
            ("+", "/b", false),
            ("a/+/c", "a//c", true),
            ("#", "$SYS/x", false),
            ("+/x", "$SYS/x", false),
            ("$SYS/#", "$SYS/x", true),
            ("a/b", "a/b/c", false),
            ("a/b/c", "a/b", false),
        ];
        for (f, t, want) in cases {
            assert_eq!(matches(f, t), want, "{f} vs {t}");
        }
    }
}
