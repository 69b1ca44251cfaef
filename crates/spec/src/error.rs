//! Problems found while loading or checking `openapi/`, each tied to the file (and, where the
//! YAML parser knows it, the line) that causes it.

use std::fmt;
use std::path::{Path, PathBuf};

/// One thing wrong with one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The file at fault, relative to the `openapi/` folder where possible.
    pub file: PathBuf,
    /// 1-based line, when the YAML parser reports one.
    pub line: Option<usize>,
    /// Where in the document (a JSON pointer such as `/paths/~1v2~1x/get`), when known.
    pub pointer: Option<String>,
    pub message: String,
}

impl Problem {
    pub fn new(file: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Self {
            file: file.into(),
            line: None,
            pointer: None,
            message: message.into(),
        }
    }

    pub fn at(mut self, pointer: impl Into<String>) -> Self {
        self.pointer = Some(pointer.into());
        self
    }

    pub fn line(mut self, line: Option<usize>) -> Self {
        self.line = line;
        self
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if let Some(pointer) = &self.pointer {
            write!(f, " (at {pointer})")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// Everything that stopped the spec from being built. Never empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub problems: Vec<Problem>,
}

impl Error {
    pub fn one(problem: Problem) -> Self {
        Self {
            problems: vec![problem],
        }
    }

    pub fn io(path: &Path, err: &std::io::Error) -> Self {
        Self::one(Problem::new(path, format!("cannot read: {err}")))
    }
}

impl From<Vec<Problem>> for Error {
    fn from(problems: Vec<Problem>) -> Self {
        Self { problems }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.problems.len();
        writeln!(
            f,
            "{n} problem{} in the API description:",
            if n == 1 { "" } else { "s" }
        )?;
        for p in &self.problems {
            writeln!(f, "  {p}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}

pub type Result<T> = std::result::Result<T, Error>;
