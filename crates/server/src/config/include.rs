//! Reading files: the main config and everything it pulls in with `!include`.
//!
//! `key: !include file.yaml` becomes that file's content; `key: !include dir/*.yaml` (any of
//! `*`, `?`, `[`; `**` too) becomes a list with one element per matched file, in sorted order,
//! which is how Argos Panoptès configs keep one website per file. Paths are relative to the
//! file holding the tag. Nodes keep the file they came from, so problems name the included
//! file and its line. An include cycle is a problem, not a stack overflow.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::document::Builder;
use super::problem::{Level, Problems};
use super::yaml::{Node, Value};

/// How many nodes aliases may add in total: far above any real config, far below a
/// "billion laughs" document.
const NODE_BUDGET: usize = 1_000_000;

/// Reads files and records problems. One per [`load`](super::load).
pub(crate) struct Loader {
    problems: Problems,
    /// The files being read, outermost first: (canonical path, path as shown).
    stack: Vec<(PathBuf, Arc<Path>)>,
    budget: usize,
}

impl Loader {
    pub(crate) fn new(problems: Problems) -> Loader {
        Loader {
            problems,
            stack: Vec::new(),
            budget: NODE_BUDGET,
        }
    }

    pub(crate) fn into_problems(self) -> Problems {
        self.problems
    }

    pub(crate) fn error_at(&mut self, file: &Path, line: usize, path: &str, message: String) {
        self.problems.push(Level::Error, file, line, path, message);
    }

    /// Takes `nodes` from the alias budget; false once it is exhausted.
    pub(crate) fn spend(&mut self, nodes: usize) -> bool {
        match self.budget.checked_sub(nodes) {
            Some(rest) => {
                self.budget = rest;
                true
            }
            None => false,
        }
    }

    /// Parses the main file; `None` when it has a syntax error (reported).
    pub(crate) fn root(&mut self, text: &str, file: &Path) -> Option<Node> {
        let file: Arc<Path> = Arc::from(file);
        self.stack.push((canonical(&file), Arc::clone(&file)));
        let node = Builder::new(text, file, self, 0).document("").ok();
        self.stack.pop();
        node
    }

    /// The value of `!include <spec>` written in `from` at `line`.
    pub(crate) fn include_file(
        &mut self,
        spec: &str,
        from: &Arc<Path>,
        line: usize,
        path: &str,
        depth: usize,
    ) -> Node {
        let base = from.parent().unwrap_or(Path::new(""));
        if spec.trim().is_empty() {
            self.error_at(
                from,
                line,
                path,
                "!include needs a file name or a glob".into(),
            );
            return Node::new(Value::Null, from, line);
        }
        if !spec.contains(['*', '?', '[']) {
            return self.read(base.join(spec), from, line, path, depth);
        }
        let files = match glob_files(base, spec) {
            Ok(files) => files,
            Err(message) => {
                self.error_at(from, line, path, message);
                return Node::new(Value::Null, from, line);
            }
        };
        if files.is_empty() {
            let message = format!("!include {spec:?} matches no file; using an empty list");
            self.problems
                .push(Level::Warning, from, line, path, message);
        }
        let items = files
            .into_iter()
            .enumerate()
            .map(|(i, file)| self.read(file, from, line, &format!("{path}[{i}]"), depth))
            .collect();
        Node::new(Value::Seq(items), from, line)
    }

    /// One included file, or a null node when it cannot be used (reported at the tag).
    fn read(
        &mut self,
        file: PathBuf,
        from: &Arc<Path>,
        line: usize,
        path: &str,
        depth: usize,
    ) -> Node {
        let key = canonical(&file);
        if let Some(start) = self.stack.iter().position(|(k, _)| *k == key) {
            let mut chain: Vec<String> = self.stack[start..]
                .iter()
                .map(|(_, f)| f.display().to_string())
                .collect();
            chain.push(file.display().to_string());
            let message = format!("include cycle: {}", chain.join(" → "));
            self.error_at(from, line, path, message);
            return Node::new(Value::Null, from, line);
        }
        // Only regular files: `!include /dev/zero` must not read forever.
        let text = match fs::metadata(&file).and_then(|m| {
            if m.is_file() {
                fs::read(&file)
            } else {
                Err(std::io::Error::other("not a regular file"))
            }
        }) {
            Ok(bytes) => decode(bytes, &file, path, &mut self.problems),
            Err(e) => {
                self.error_at(
                    from,
                    line,
                    path,
                    format!("cannot read included file {}: {e}", file.display()),
                );
                None
            }
        };
        let Some(text) = text else {
            return Node::new(Value::Null, from, line);
        };
        let file: Arc<Path> = Arc::from(file);
        self.stack.push((key, Arc::clone(&file)));
        let node = Builder::new(&text, file, self, depth).document(path);
        self.stack.pop();
        node.unwrap_or_else(|_| Node::new(Value::Null, from, line))
    }
}

/// Matches `spec` relative to `base`; regular files only, sorted.
fn glob_files(base: &Path, spec: &str) -> Result<Vec<PathBuf>, String> {
    let pattern = if Path::new(spec).is_absolute() || base.as_os_str().is_empty() {
        spec.to_owned()
    } else {
        // The base directory is literal text: escape it so a `[` in a directory name is not a pattern.
        format!("{}/{spec}", glob::Pattern::escape(&base.to_string_lossy()))
    };
    let paths = glob::glob(&pattern).map_err(|e| format!("bad glob in !include {spec:?}: {e}"))?;
    let mut files: Vec<PathBuf> = paths
        .filter_map(Result::ok)
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    Ok(files)
}

fn canonical(file: &Path) -> PathBuf {
    fs::canonicalize(file).unwrap_or_else(|_| file.to_path_buf())
}

/// File bytes → text; invalid UTF-8 is a problem at the line where it starts, under `path`
/// (where the file is included; empty for the main file).
pub(crate) fn decode(
    bytes: Vec<u8>,
    file: &Path,
    path: &str,
    problems: &mut Problems,
) -> Option<String> {
    match String::from_utf8(bytes) {
        // A byte-order mark is legal at the start of a YAML stream; the parser need not see it.
        Ok(text) => Some(
            text.strip_prefix('\u{feff}')
                .map(str::to_owned)
                .unwrap_or(text),
        ),
        Err(e) => {
            let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
            let line = 1 + valid.iter().filter(|b| **b == b'\n').count();
            problems.push(
                Level::Error,
                file,
                line,
                path,
                "the file is not valid UTF-8 text".into(),
            );
            None
        }
    }
}
