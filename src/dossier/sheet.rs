//! A printed form as data: sections of labelled fields and tables, in Vietnamese and English,
//! values already in words (dates `dd/mm/yyyy`, times `hh:mm dd/mm/yyyy` in Vietnam time, codes
//! by their labels), so that the console and any program print the same thing.

use aggregates::codes::Code;
use aggregates::deadlines::calendar::vietnam_offset;
use chrono::{DateTime, NaiveDate};
use serde::Serialize;
use utoipa::ToSchema;

/// A text in both languages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Text {
    pub vi: String,
    pub en: String,
}

impl Text {
    pub fn new(vi: impl Into<String>, en: impl Into<String>) -> Self {
        Self {
            vi: vi.into(),
            en: en.into(),
        }
    }

    /// The same text in both languages (names, numbers, what a user typed).
    pub fn same(s: impl Into<String>) -> Self {
        let s = s.into();
        Self {
            vi: s.clone(),
            en: s,
        }
    }

    pub fn code<C: Code>(raw: &str) -> Self {
        match C::parse(raw) {
            Ok(c) => Self::new(c.label_vi(), c.label_en()),
            Err(_) => Self::same(raw),
        }
    }

    pub fn codes<C: Code>(raw: &[String]) -> Self {
        let all: Vec<Text> = raw.iter().map(|c| Self::code::<C>(c)).collect();
        Self::join(&all, "; ")
    }

    pub fn join(parts: &[Text], sep: &str) -> Self {
        Self {
            vi: parts
                .iter()
                .map(|t| t.vi.as_str())
                .collect::<Vec<_>>()
                .join(sep),
            en: parts
                .iter()
                .map(|t| t.en.as_str())
                .collect::<Vec<_>>()
                .join(sep),
        }
    }

    pub fn yes_no(b: bool) -> Self {
        if b {
            Self::new("Có", "Yes")
        } else {
            Self::new("Không", "No")
        }
    }

    pub fn is_empty(&self) -> bool {
        self.vi.is_empty() && self.en.is_empty()
    }
}

/// `14:30 05/03/2026` in Vietnam time, from a recorded RFC 3339 time.
pub fn time(raw: &str) -> Text {
    Text::same(
        DateTime::parse_from_rfc3339(raw)
            .map(|t| {
                t.with_timezone(&vietnam_offset())
                    .format("%H:%M %d/%m/%Y")
                    .to_string()
            })
            .unwrap_or_else(|_| raw.to_owned()),
    )
}

/// The Vietnam day of a recorded RFC 3339 time.
pub fn day_of(raw: &str) -> Option<NaiveDate> {
    DateTime::parse_from_rfc3339(raw)
        .ok()
        .map(|t| t.with_timezone(&vietnam_offset()).date_naive())
}

pub fn date(d: NaiveDate) -> Text {
    Text::same(d.format("%d/%m/%Y").to_string())
}

/// `1.234.567`.
pub fn number(n: u64) -> Text {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push('.');
        }
        out.push(c);
    }
    Text::same(out)
}

/// One line of a form: a label and its value in words.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SheetField {
    /// The case document's field it shows (`child.full_name`), empty for a line of text.
    pub name: String,
    pub label: Text,
    pub text: Text,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SheetTable {
    pub columns: Vec<Text>,
    pub rows: Vec<Vec<Text>>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SheetSection {
    pub heading: Text,
    pub fields: Vec<SheetField>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub table: Option<SheetTable>,
}

/// A signature block: the role that signs, and who recorded the step (the paper copy is signed
/// by hand).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Signature {
    pub role: Text,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// One form of the dossier.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FormSheet {
    /// `01` … `07`.
    pub form: String,
    pub title: Text,
    /// The article the form serves.
    pub basis: String,
    /// Whether the step the form records is in the case; an unrecorded form has no sections.
    pub recorded: bool,
    /// The local day of the step (the form's date line).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dated: Option<NaiveDate>,
    pub sections: Vec<SheetSection>,
    pub signatures: Vec<Signature>,
}

/// Builds a section's fields, leaving out what has no value.
#[derive(Default)]
pub struct Fields(pub Vec<SheetField>);

impl Fields {
    pub fn add(&mut self, name: &str, vi: &str, en: &str, text: Text) -> &mut Self {
        if !text.is_empty() {
            self.0.push(SheetField {
                name: name.to_owned(),
                label: Text::new(vi, en),
                text,
            });
        }
        self
    }

    pub fn opt(&mut self, name: &str, vi: &str, en: &str, text: Option<Text>) -> &mut Self {
        if let Some(text) = text {
            self.add(name, vi, en, text);
        }
        self
    }

    /// A line of text without a label (a decision's articles, a note).
    pub fn line(&mut self, text: Text) -> &mut Self {
        self.0.push(SheetField {
            name: String::new(),
            label: Text::same(""),
            text,
        });
        self
    }

    pub fn section(self, vi: &str, en: &str) -> SheetSection {
        SheetSection {
            heading: Text::new(vi, en),
            fields: self.0,
            table: None,
        }
    }
}
