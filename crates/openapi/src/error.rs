//! Errors and diagnostics of the loader.

use std::fmt;

/// Why a document could not be loaded.
///
/// Every variant that concerns a place in the document carries the JSON pointer of that place,
/// so the message can be acted on without reading the loader's code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The text is neither valid JSON nor valid YAML.
    #[error("{origin}: not valid {format} at line {line}, column {column}: {message}")]
    Syntax {
        /// Where the text came from (a file name, a URL, `<inline>`).
        origin: String,
        /// `JSON` or `YAML`.
        format: &'static str,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// The parser's message.
        message: String,
    },
    /// The document is valid JSON/YAML but not an OpenAPI or Swagger document this loader reads.
    #[error("{origin}: {message}")]
    NotOpenApi {
        /// Where the text came from.
        origin: String,
        /// What is wrong.
        message: String,
    },
    /// One or more places in the document are invalid.
    #[error("{}", Problems(.0))]
    Invalid(Vec<Problem>),
    /// A file could not be read.
    #[error("{path}: {message}")]
    Io {
        /// The file.
        path: String,
        /// The operating system's message.
        message: String,
    },
}

struct Problems<'a>(&'a [Problem]);

impl fmt::Display for Problems<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            [one] => write!(f, "{one}"),
            many => {
                write!(f, "{} problems in the document:", many.len())?;
                for p in many.iter().take(20) {
                    write!(f, "\n  {p}")?;
                }
                if many.len() > 20 {
                    write!(f, "\n  … and {} more", many.len() - 20)?;
                }
                Ok(())
            }
        }
    }
}

impl Error {
    /// The problems this error lists (empty for syntax and I/O errors).
    pub fn problems(&self) -> &[Problem] {
        match self {
            Error::Invalid(p) => p,
            _ => &[],
        }
    }
}

/// What kind of problem a [`Problem`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ProblemKind {
    /// A value has the wrong type or a required field is missing.
    Shape,
    /// A `$ref` points to nothing.
    DanglingRef,
    /// `$ref`s that only point at each other.
    RefCycle,
    /// An external or remote `$ref` that the options do not allow.
    ExternalRef,
    /// Two documents being merged define the same thing in ways that cannot both hold (the
    /// same path and method, or one templated path spelled two ways).
    Conflict,
}

/// One problem at one place in a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The document the pointer is in (`<inline>`, a file name, or a URL).
    pub origin: String,
    /// JSON pointer of the offending value (`/paths/~1pets/get/parameters/0`).
    pub pointer: String,
    /// The kind of problem.
    pub kind: ProblemKind,
    /// What is wrong, in words.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ptr = if self.pointer.is_empty() { "/" } else { &self.pointer };
        if self.origin == crate::INLINE {
            write!(f, "at {ptr}: {}", self.message)
        } else {
            write!(f, "{}, at {ptr}: {}", self.origin, self.message)
        }
    }
}

/// How serious a [`Diagnostic`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Worth knowing; nothing was lost.
    Info,
    /// Something was changed or left out to keep going.
    Warning,
    /// An operation could not be read and was left out (lenient mode only).
    Error,
}

/// A note the loader made while reading a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// How serious.
    pub severity: Severity,
    /// JSON pointer of the place concerned.
    pub pointer: String,
    /// What happened.
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sev = match self.severity {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        };
        write!(f, "{sev} at {}: {}", self.pointer, self.message)
    }
}
