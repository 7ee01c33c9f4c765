//! Tags: `!include` (delegated to the include loader), the YAML core tags (`!!str`, `!!int`,
//! ...) and the non-specific `!`. Any other tag is reported: PyYAML's `!!python/...` tags
//! have no meaning here.

use yaml_rust2::parser::Tag;
use yaml_rust2::scanner::TScalarStyle;

use super::super::yaml::{
    Entry, Node, Value, resolve_bool, resolve_float, resolve_int, resolve_plain,
};
use super::Builder;

impl Builder<'_, '_> {
    pub(super) fn scalar(
        &mut self,
        text: String,
        style: TScalarStyle,
        tag: Option<Tag>,
        line: usize,
        path: &str,
    ) -> Node {
        let plain = style == TScalarStyle::Plain;
        let value = match tag.as_ref().map(|t| (t.handle.as_str(), t.suffix.as_str())) {
            None if plain => resolve_plain(&text).unwrap_or_else(|message| {
                self.loader.error_at(&self.file, line, path, message);
                Value::Null
            }),
            None => Value::Str(text),
            Some(("!", "include")) => {
                return self
                    .loader
                    .include_file(&text, &self.file, line, path, self.depth);
            }
            Some((handle, suffix)) => self.core_tag(handle, suffix, text, line, path),
        };
        Node::new(value, &self.file, line)
    }

    /// `!!str`, `!!int`, `!!float`, `!!bool`, `!!null` (and the non-specific `!`).
    fn core_tag(
        &mut self,
        handle: &str,
        suffix: &str,
        text: String,
        line: usize,
        path: &str,
    ) -> Value {
        let core = handle == "tag:yaml.org,2002:";
        let value = match suffix {
            "!" if handle.is_empty() => Some(Value::Str(text.clone())),
            "str" if core => Some(Value::Str(text.clone())),
            "int" if core => resolve_int(&text).flatten().map(Value::Int),
            "float" if core => resolve_float(&text)
                .or_else(|| text.parse().ok())
                .map(Value::Float),
            "bool" if core => resolve_bool(&text).map(Value::Bool),
            "null" if core => {
                matches!(text.as_str(), "" | "~" | "null" | "Null" | "NULL").then_some(Value::Null)
            }
            _ => {
                let message = format!(
                    "unsupported tag {}{suffix} (only !include is supported)",
                    short(handle)
                );
                self.loader.error_at(&self.file, line, path, message);
                return Value::Str(text);
            }
        };
        value.unwrap_or_else(|| {
            let message = if super::super::problem::is_secret_path(path) {
                format!("not a valid !!{suffix}")
            } else {
                format!("{text:?} is not a valid !!{suffix}")
            };
            self.loader.error_at(&self.file, line, path, message);
            Value::Null
        })
    }

    /// Tags on a list or a mapping: `!include {urlpath: ...}`, `!!seq`, `!!map`.
    pub(super) fn tagged(&mut self, node: Node, tag: Option<Tag>, path: &str) -> Node {
        let Some(tag) = tag else { return node };
        match (tag.handle.as_str(), tag.suffix.as_str(), &node.value) {
            ("!", "include", Value::Map(entries)) => {
                match entries.iter().find(|e| e.key == "urlpath") {
                    Some(Entry {
                        value:
                            Node {
                                value: Value::Str(spec),
                                ..
                            },
                        ..
                    }) => {
                        let spec = spec.clone();
                        self.loader
                            .include_file(&spec, &self.file, node.line, path, self.depth)
                    }
                    _ => {
                        let message =
                            "!include with a mapping needs `urlpath: <file or glob>`".into();
                        self.loader.error_at(&self.file, node.line, path, message);
                        Node::new(Value::Null, &self.file, node.line)
                    }
                }
            }
            ("tag:yaml.org,2002:", "seq", Value::Seq(_))
            | ("tag:yaml.org,2002:", "map", Value::Map(_)) => node,
            (handle, suffix, _) => {
                let message = format!("unsupported tag {}{suffix} here", short(handle));
                self.loader.error_at(&self.file, node.line, path, message);
                node
            }
        }
    }
}

fn short(handle: &str) -> &str {
    if handle == "tag:yaml.org,2002:" {
        "!!"
    } else {
        handle
    }
}
