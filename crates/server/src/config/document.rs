//! YAML text → [`Node`] tree, from yaml-rust2's low-level event parser.
//!
//! The event API is used (not `YamlLoader`) because it gives the line of every node and the
//! tags, which `!include` needs. What happens here: tags (`!include`, the `!!` core tags),
//! anchors and aliases (deep copies), `<<` merge keys (PyYAML supports them), duplicate keys.
//! A syntax error aborts the file with one problem; other problems are recorded and parsing
//! goes on. Nesting depth and alias expansion are bounded, so hostile input cannot exhaust the
//! stack or memory.

use std::collections::HashMap;
use std::path::Path;
use std::str::Chars;
use std::sync::Arc;

use yaml_rust2::parser::{Event, Parser};
use yaml_rust2::scanner::Marker;

use super::include::Loader;

mod tags;
use super::yaml::{Entry, Node, Value};

/// Deeper than this is not a configuration; refusing it keeps recursion bounded.
const MAX_DEPTH: usize = 64;

/// A syntax error (already recorded): stop reading this file.
pub(crate) struct Abort;

type Step = Result<Node, Abort>;

/// Builds the tree of one file. `path` is the config path of the document's root (non-empty
/// for included files), used to locate problems.
pub(crate) struct Builder<'a, 'l> {
    parser: Parser<Chars<'a>>,
    file: Arc<Path>,
    anchors: HashMap<usize, Node>,
    loader: &'l mut Loader,
    depth: usize,
    /// The config path of the document's root: where a syntax error is reported.
    root: String,
    /// The file's last line: the parser puts an error at the end of a file that does not
    /// end with a line break one line further, on a line that does not exist.
    last_line: usize,
}

impl<'a, 'l> Builder<'a, 'l> {
    /// `depth` is the nesting depth of the `!include` that led here (0 for the main file), so
    /// that a chain of includes is bounded like one deep file.
    pub(crate) fn new(
        text: &'a str,
        file: Arc<Path>,
        loader: &'l mut Loader,
        depth: usize,
    ) -> Self {
        Builder {
            parser: Parser::new_from_str(text),
            file,
            anchors: HashMap::new(),
            loader,
            depth,
            root: String::new(),
            last_line: 1 + text.replace("\r\n", "\n").matches(['\r', '\n']).count(),
        }
    }

    /// The single document of the file (an empty file is null).
    pub(crate) fn document(mut self, path: &str) -> Step {
        self.root = path.to_owned();
        let mut root = None;
        loop {
            let (event, mark) = self.next()?;
            match event {
                Event::StreamStart | Event::DocumentStart | Event::DocumentEnd | Event::Nothing => {
                }
                Event::StreamEnd => break,
                event if root.is_none() => root = Some(self.node(event, mark, path)?),
                _ => {
                    let message = "a config file holds one YAML document; found another one".into();
                    self.loader.error_at(&self.file, mark.line(), path, message);
                    return Err(Abort);
                }
            }
        }
        Ok(root.unwrap_or_else(|| Node::new(Value::Null, &self.file, 1)))
    }

    fn next(&mut self) -> Result<(Event, Marker), Abort> {
        self.parser.next_token().map_err(|e| {
            let message = format!("YAML syntax error: {}", e.info());
            self.loader.error_at(
                &self.file,
                e.marker().line().clamp(1, self.last_line),
                &self.root,
                message,
            );
            Abort
        })
    }

    fn node(&mut self, event: Event, mark: Marker, path: &str) -> Step {
        if self.depth >= MAX_DEPTH {
            let message = format!("nested more than {MAX_DEPTH} levels deep");
            self.loader.error_at(&self.file, mark.line(), path, message);
            return Err(Abort);
        }
        self.depth += 1;
        let result = self.node_inner(event, mark, path);
        self.depth -= 1;
        result
    }

    fn node_inner(&mut self, event: Event, mark: Marker, path: &str) -> Step {
        let line = mark.line();
        let (anchor, node) = match event {
            Event::Scalar(text, style, anchor, tag) => {
                (anchor, self.scalar(text, style, tag, line, path))
            }
            Event::SequenceStart(anchor, tag) => {
                let seq = self.sequence(line, path)?;
                (anchor, self.tagged(seq, tag, path))
            }
            Event::MappingStart(anchor, tag) => {
                let map = self.mapping(line, path)?;
                (anchor, self.tagged(map, tag, path))
            }
            Event::Alias(id) => (0, self.alias(id, line, path)),
            _ => {
                // The parser only yields the events above in node position.
                self.loader
                    .error_at(&self.file, line, path, "unexpected YAML event".into());
                return Err(Abort);
            }
        };
        if anchor > 0 {
            self.anchors.insert(anchor, node.clone());
        }
        Ok(node)
    }

    fn alias(&mut self, id: usize, line: usize, path: &str) -> Node {
        match self.anchors.get(&id) {
            // Deep copy, bounded: an alias of an alias of ... must not explode memory.
            Some(node) if self.loader.spend(count(node)) => node.clone(),
            Some(_) => {
                self.loader.error_at(
                    &self.file,
                    line,
                    path,
                    "aliases expand to too many nodes".into(),
                );
                Node::new(Value::Null, &self.file, line)
            }
            None => {
                self.loader
                    .error_at(&self.file, line, path, "alias to an unknown anchor".into());
                Node::new(Value::Null, &self.file, line)
            }
        }
    }

    fn sequence(&mut self, line: usize, path: &str) -> Step {
        let mut items = Vec::new();
        loop {
            let (event, mark) = self.next()?;
            if event == Event::SequenceEnd {
                // Growth slack was a third of a 10,000-site tree (heaptrack).
                items.shrink_to_fit();
                return Ok(Node::new(Value::Seq(items), &self.file, line));
            }
            let item_path = format!("{path}[{}]", items.len());
            items.push(self.node(event, mark, &item_path)?);
        }
    }

    fn mapping(&mut self, line: usize, path: &str) -> Step {
        let mut entries: Vec<Entry> = Vec::new();
        let mut merged: Vec<Entry> = Vec::new();
        loop {
            let (event, mark) = self.next()?;
            if event == Event::MappingEnd {
                break;
            }
            let key = self.key(event, mark, path)?;
            let (event, value_mark) = self.next()?;
            let Some(key) = key else {
                self.node(event, value_mark, path)?; // consumed, then dropped
                continue;
            };
            let value_path = super::reader::field(path, &key);
            let mut value = self.node(event, value_mark, &value_path)?;
            if Arc::ptr_eq(&value.file, &self.file)
                && matches!(value.value, Value::Map(_) | Value::Seq(_) | Value::Null)
            {
                value.line = mark.line(); // "general.db: ..." points at the `db:` line
            }
            if key == "<<" {
                self.merge(value, &mut merged, path);
            } else if let Some(first) = entries.iter().find(|e| e.key == key) {
                let message = format!(
                    "duplicate key {key:?} (first written at line {})",
                    first.line
                );
                self.loader
                    .error_at(&self.file, mark.line(), &value_path, message);
            } else {
                entries.push(Entry {
                    key,
                    line: mark.line(),
                    value,
                });
            }
        }
        // Explicit keys win over merged ones, and earlier merge sources over later ones.
        for entry in merged {
            if !entries.iter().any(|e| e.key == entry.key) {
                entries.push(entry);
            }
        }
        entries.shrink_to_fit();
        Ok(Node::new(Value::Map(entries), &self.file, line))
    }

    /// A mapping key as text; `None` (reported) for keys that are lists or mappings.
    fn key(&mut self, event: Event, mark: Marker, path: &str) -> Result<Option<String>, Abort> {
        match event {
            Event::Scalar(text, ..) => Ok(Some(text)),
            event => {
                let node = self.node(event, mark, path)?;
                match node.value {
                    Value::Str(s) => Ok(Some(s)),
                    _ => {
                        self.loader.error_at(
                            &self.file,
                            mark.line(),
                            path,
                            "a key must be a plain string".into(),
                        );
                        Ok(None)
                    }
                }
            }
        }
    }

    fn merge(&mut self, value: Node, merged: &mut Vec<Entry>, path: &str) {
        let sources = match value.value {
            Value::Map(_) => vec![value],
            Value::Seq(items) => items,
            _ => Vec::new(),
        };
        for source in sources {
            match source.value {
                Value::Map(entries) => {
                    for entry in entries {
                        if !merged.iter().any(|m| m.key == entry.key) {
                            merged.push(entry);
                        }
                    }
                }
                _ => self.loader.error_at(
                    &source.file,
                    source.line,
                    path,
                    "`<<` merges mappings only".into(),
                ),
            }
        }
    }
}

/// Number of nodes in a tree, to bound alias expansion.
fn count(node: &Node) -> usize {
    match &node.value {
        Value::Seq(items) => 1 + items.iter().map(count).sum::<usize>(),
        Value::Map(entries) => 1 + entries.iter().map(|e| count(&e.value)).sum::<usize>(),
        _ => 1,
    }
}
