//! The one error type of the core. The CLI prints it; the wasm façade converts it to a `JsError`.

use std::fmt;

/// Everything that can stop a job. Row-level problems (a line that is not JSON) are *not* errors:
/// they become `parse_error` decisions and the job goes on.
#[derive(Debug)]
pub enum Error {
    /// The pipeline configuration is invalid (unknown key, bad value). The message names the field.
    Config(String),
    /// The input cannot be read as any supported format (binary data, unknown compression, ...).
    Format(String),
    /// An operating-system I/O error, with what was being done.
    Io {
        context: String,
        source: std::io::Error,
    },
    /// An input that can be read but cannot serve the job, e.g. an evaluation set that gives
    /// nothing to match. The message names the file.
    Input(String),
    /// The caller used the API out of order (push after finish, ...). A bug in the caller.
    Usage(String),
}

pub type Result<T> = std::result::Result<T, Error>;

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Config(m) => write!(f, "invalid configuration: {m}"),
            Error::Format(m) => write!(f, "unreadable input: {m}"),
            Error::Io { context, source } => write!(f, "{context}: {source}"),
            Error::Input(m) | Error::Usage(m) => write!(f, "{m}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

impl Error {
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io {
            context: context.into(),
            source,
        }
    }
}
