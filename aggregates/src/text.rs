//! Validated free text. Values coming off the wire are parsed into these before they reach a
//! command, so the aggregate never sees an empty required field or a megabyte of notes.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Why a text was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    #[error("must not be empty")]
    Empty,
    #[error("must be at most {max} characters")]
    TooLong { max: usize },
    #[error("must not contain control characters")]
    ControlCharacters,
}

impl TextError {
    pub fn code(self) -> &'static str {
        match self {
            Self::Empty => "required",
            Self::TooLong { .. } => "too_long",
            Self::ControlCharacters => "control_characters",
        }
    }
}

/// Trimmed, non-empty text of at most `MAX` characters; line breaks and tabs are allowed in long
/// texts, other control characters never.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Text<const MAX: usize>(String);

/// A name, a phone number, a reference: one line.
pub type ShortText = Text<200>;
/// Findings, notes, descriptions.
pub type LongText = Text<20_000>;

impl<const MAX: usize> Text<MAX> {
    pub fn parse(raw: &str) -> Result<Self, TextError> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(TextError::Empty);
        }
        if trimmed.chars().count() > MAX {
            return Err(TextError::TooLong { max: MAX });
        }
        let multiline = MAX > 200;
        if trimmed
            .chars()
            .any(|c| c.is_control() && !(multiline && matches!(c, '\n' | '\t' | '\r')))
        {
            return Err(TextError::ControlCharacters);
        }
        Ok(Self(trimmed.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<const MAX: usize> fmt::Display for Text<MAX> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_trimmed_and_bounded() {
        assert_eq!(
            ShortText::parse("  Lò Thị Mai ").unwrap().as_str(),
            "Lò Thị Mai"
        );
        assert_eq!(ShortText::parse("   "), Err(TextError::Empty));
        assert_eq!(
            ShortText::parse(&"a".repeat(201)),
            Err(TextError::TooLong { max: 200 })
        );
        // Characters, not bytes: 200 Vietnamese letters fit.
        assert!(ShortText::parse(&"ệ".repeat(200)).is_ok());
        assert_eq!(ShortText::parse("a\nb"), Err(TextError::ControlCharacters));
        assert!(LongText::parse("line one\nline two").is_ok());
        assert_eq!(
            LongText::parse("bell\u{7}"),
            Err(TextError::ControlCharacters)
        );
    }
}
