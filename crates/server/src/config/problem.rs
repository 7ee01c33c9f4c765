//! What is wrong with a configuration, where, and how bad.
//!
//! Loading never stops at the first problem: every reader pushes into one [`Problems`]
//! collector, and [`load`](super::load) fails only at the end, with all of them, so that an
//! operator fixes a config in one round instead of one error per restart.

use std::fmt;
use std::path::{Path, PathBuf};

use super::yaml::{Node, Value};

/// How bad a [`Problem`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// The config cannot be used.
    Error,
    /// The config is used, but probably not as the operator meant.
    Warning,
}

/// One problem found in the configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The file the problem is in (an included file when it comes from `!include`).
    pub file: PathBuf,
    /// 1-based line in `file`.
    pub line: usize,
    /// Where in the config tree, e.g. `websites[3].paths[0].checks[1]`; empty for the root.
    pub path: String,
    /// What is wrong, in words an operator understands.
    pub message: String,
    /// Error or warning.
    pub level: Level,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.level == Level::Warning {
            f.write_str("warning: ")?;
        }
        write!(f, "{}:{}: ", self.file.display(), self.line)?;
        if !self.path.is_empty() {
            write!(f, "{}: ", self.path)?;
        }
        f.write_str(&self.message)
    }
}

/// Why a configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The main file could not be read at all.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file we tried.
        path: PathBuf,
        /// Why it failed.
        source: std::io::Error,
    },
    /// The file was read but is not a valid configuration: every problem found, warnings too.
    #[error("{}", display_all(.0))]
    Invalid(Vec<Problem>),
}

fn display_all(problems: &[Problem]) -> String {
    let mut out = String::new();
    for problem in problems {
        out.push_str(&problem.to_string());
        out.push('\n');
    }
    let errors = problems.iter().filter(|p| p.level == Level::Error).count();
    out.push_str(&format!("{errors} error(s)"));
    out
}

/// Collects problems while the config is read. `strict` turns unknown keys into errors.
#[derive(Debug, Default)]
pub(crate) struct Problems {
    list: Vec<Problem>,
    strict: bool,
}

impl Problems {
    pub(crate) fn new(strict: bool) -> Problems {
        Problems {
            list: Vec::new(),
            strict,
        }
    }

    pub(crate) fn push(
        &mut self,
        level: Level,
        file: &Path,
        line: usize,
        path: &str,
        message: String,
    ) {
        // One problem per line of output: some messages (regex errors) come with a drawing.
        let message = if message.contains('\n') {
            message.split_whitespace().collect::<Vec<_>>().join(" ")
        } else {
            message
        };
        self.list.push(Problem {
            file: file.to_path_buf(),
            line,
            path: path.to_owned(),
            message,
            level,
        });
    }

    /// An error located at `node`.
    pub(crate) fn error(&mut self, node: &Node, path: &str, message: impl Into<String>) {
        let message = guarded(message.into(), node, path);
        self.push(Level::Error, &node.file, node.line, path, message);
    }

    /// A warning located at `node`.
    pub(crate) fn warn(&mut self, node: &Node, path: &str, message: impl Into<String>) {
        let message = guarded(message.into(), node, path);
        self.push(Level::Warning, &node.file, node.line, path, message);
    }

    /// A key nobody reads: a warning (the reference silently ignored them), or an error in
    /// strict mode. `known` feeds the did-you-mean hint.
    pub(crate) fn unknown_key(
        &mut self,
        file: &Path,
        line: usize,
        path: &str,
        key: &str,
        known: &[&str],
    ) {
        let level = if self.strict {
            Level::Error
        } else {
            Level::Warning
        };
        let message = match did_you_mean(key, known) {
            Some(near) => format!("unknown key (did you mean {near:?}?)"),
            None => format!("unknown key (valid keys: {})", known.join(", ")),
        };
        self.push(level, file, line, path, message);
    }

    pub(crate) fn has_errors(&self) -> bool {
        self.list.iter().any(|p| p.level == Level::Error)
    }

    /// The problems in reading order: the main file first, then the others in the order they
    /// were first mentioned, lines ascending; problems on one line keep the order they were
    /// found in.
    pub(crate) fn into_vec(mut self, main: &Path) -> Vec<Problem> {
        let mut files: Vec<PathBuf> = vec![main.to_path_buf()];
        for problem in &self.list {
            if !files.contains(&problem.file) {
                files.push(problem.file.clone());
            }
        }
        let rank = |p: &Problem| files.iter().position(|f| *f == p.file);
        self.list.sort_by_key(|p| (rank(p), p.line));
        self.list
    }
}

/// Keys whose values are secrets or may hold one (a URL with a password, a token in a
/// header, a Slack webhook URL, which is its own password). See [`is_secret_path`].
const SECRET_KEYS: &[&str] = &[
    "db",
    "cookie_secret",
    "secrets",
    "secret",
    "password",
    "auth",
    "bind_pwd",
    "tokens",
    "token",
    "access_token",
    "headers",
    "apprise",
    "gotify",
    "ntfy",
    "webhooks",
    "matrix",
    "slack",
];

/// Whether a problem at config path `path` (`general.mail.auth.password`,
/// `general.gotify[0].tokens[1]`) may be about a secret: some segment of it is one of
/// [`SECRET_KEYS`]. Its message must not repeat the value then: config problems are printed
/// by `check-config`, logged at start-up and on reload.
pub(crate) fn is_secret_path(path: &str) -> bool {
    path.split('.')
        .map(|segment| segment.split('[').next().unwrap_or(segment))
        .any(|key| SECRET_KEYS.contains(&key))
}

/// What replaces a secret in a message.
pub(crate) const HIDDEN: &str = "[hidden]";

/// `message`, with the values under `node` blanked out when `path` may hold a secret. This
/// is the one guard for every reader: a message that describes a value (`got the number
/// 123456`, `"…" is not a valid URL`) cannot leak it.
fn guarded(message: String, node: &Node, path: &str) -> String {
    if !is_secret_path(path) {
        return message;
    }
    let mut values = Vec::new();
    scalars(node, &mut values);
    // Longest first, so that a value containing another is blanked out whole.
    values.sort_by_key(|v| std::cmp::Reverse(v.len()));
    values.iter().fold(message, |m, value| hide(m, value))
}

fn scalars(node: &Node, out: &mut Vec<String>) {
    match &node.value {
        Value::Str(s) => out.push(s.clone()),
        Value::Int(i) => out.push(i.to_string()),
        Value::Float(x) => out.push(x.to_string()),
        Value::Seq(items) => items.iter().for_each(|n| scalars(n, out)),
        Value::Map(entries) => entries.iter().for_each(|e| scalars(&e.value, out)),
        Value::Null | Value::Bool(_) => {}
    }
}

/// `message` without `value`: as quoted by `{:?}`, then as it is (unless it is so short that
/// it would blank out ordinary words and numbers of the message).
fn hide(message: String, value: &str) -> String {
    if value.is_empty() {
        return message;
    }
    let message = message.replace(&format!("the number {value}"), "a number");
    let quoted = format!("{value:?}");
    let message = message.replace(&quoted, &format!("\"{HIDDEN}\""));
    if value.chars().count() >= 4 {
        message.replace(value, HIDDEN)
    } else {
        message
    }
}

/// The closest candidate when it is close enough to be a plausible typo: at most a third of
/// the word's letters changed (so `methode` → `method`, but `colour` suggests nothing for `db`).
pub(crate) fn did_you_mean<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let limit = (word.chars().count() / 3).max(1);
    candidates
        .iter()
        .map(|c| (edit_distance(word, c), *c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Levenshtein distance over chars, one row at a time.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = diagonal + usize::from(ca != *cb);
            diagonal = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(diagonal + 1);
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions_need_a_close_match() {
        assert_eq!(edit_distance("methode", "method"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(
            did_you_mean("methode", &["path", "method", "checks"]),
            Some("method")
        );
        assert_eq!(
            did_you_mean("frequncy", &["frequency", "paths"]),
            Some("frequency")
        );
        assert_eq!(did_you_mean("zzz", &["path", "method"]), None);
        assert_eq!(did_you_mean("x", &[]), None);
    }

    #[test]
    fn display_names_file_line_and_path() {
        let p = Problem {
            file: "config.yaml".into(),
            line: 41,
            path: "websites[3]".into(),
            message: "bad".into(),
            level: Level::Warning,
        };
        assert_eq!(p.to_string(), "warning: config.yaml:41: websites[3]: bad");
        let err = ConfigError::Invalid(vec![Problem {
            level: Level::Error,
            path: String::new(),
            ..p
        }]);
        assert_eq!(err.to_string(), "config.yaml:41: bad\n1 error(s)");
    }
}
