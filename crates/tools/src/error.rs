//! Errors of tool building and of calls.

use std::fmt;

/// Why a toolset could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// An include filter or an override names something that does not exist.
    #[error("{flag} `{value}` matches no operation{hint}")]
    Unmatched {
        /// The filter (`--include-operation`, `override`, …).
        flag: String,
        /// Its value.
        value: String,
        /// A suggestion, with a leading separator, or empty.
        hint: String,
    },
    /// Two tools would get the same name.
    #[error("tool name `{name}` is used by both {first} and {second}; rename one (x-mcp-name or an override)")]
    NameClash {
        /// The name.
        name: String,
        /// The first operation (`GET /a`).
        first: String,
        /// The second.
        second: String,
    },
    /// An option is out of range.
    #[error("{0}")]
    Option(String),
    /// No operation was selected at all.
    #[error("no operation selected: {0}")]
    Empty(String),
}

/// One thing wrong with a call's arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArgumentProblem {
    /// The argument concerned (empty when the problem is about the arguments as a whole).
    pub argument: String,
    /// What is wrong and what was expected.
    pub message: String,
}

impl ArgumentProblem {
    /// A problem with one argument.
    pub fn new(argument: &str, message: impl Into<String>) -> ArgumentProblem {
        ArgumentProblem { argument: argument.to_owned(), message: message.into() }
    }

    /// A required argument that is missing.
    pub fn missing(argument: &str, what: &str) -> ArgumentProblem {
        ArgumentProblem::new(argument, format!("is required ({what})"))
    }
}

impl fmt::Display for ArgumentProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.argument.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "argument `{}` {}", self.argument, self.message)
        }
    }
}

/// The arguments of a call do not fit the tool's input schema.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", ProblemList(.problems))]
pub struct ArgumentError {
    /// Every problem found.
    pub problems: Vec<ArgumentProblem>,
}

struct ProblemList<'a>(&'a [ArgumentProblem]);

impl fmt::Display for ProblemList<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for p in self.0 {
            if !first {
                f.write_str("; ")?;
            }
            first = false;
            write!(f, "{p}")?;
        }
        Ok(())
    }
}
