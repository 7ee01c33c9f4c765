//! Which configuration file to use (reference §1.1): the `--config` value, then
//! `ARGOS_YAML_FILE`, then `./argos-config.yaml`, then `/etc/argos/config.yaml`. The first
//! readable regular file wins.

use std::ffi::OsString;
use std::fs::File;
use std::path::{Path, PathBuf};

/// The environment variable naming the config file.
pub const ENV_VAR: &str = "ARGOS_YAML_FILE";
/// Tried after the explicit choices, relative to the current directory.
pub const LOCAL_FILE: &str = "argos-config.yaml";
/// Tried last.
pub const SYSTEM_FILE: &str = "/etc/argos/config.yaml";

/// Finds the configuration file.
///
/// # Errors
/// When no candidate is a readable regular file: the message lists each one tried and why.
pub fn resolve_path(cli: Option<&Path>) -> Result<PathBuf, String> {
    first_readable(&candidates(cli, std::env::var_os(ENV_VAR)))
}

/// The candidates in order, without duplicates (the pure part of [`resolve_path`]).
pub fn candidates(cli: Option<&Path>, env: Option<OsString>) -> Vec<PathBuf> {
    let mut list: Vec<PathBuf> = Vec::new();
    let env = env.filter(|v| !v.is_empty()).map(PathBuf::from);
    for path in cli
        .map(Path::to_path_buf)
        .into_iter()
        .chain(env)
        .chain([LOCAL_FILE.into(), SYSTEM_FILE.into()])
    {
        if !list.contains(&path) {
            list.push(path);
        }
    }
    list
}

/// The first candidate that is a regular file we can open.
///
/// # Errors
/// None qualifies: the message lists each candidate and why it was skipped.
pub fn first_readable(candidates: &[PathBuf]) -> Result<PathBuf, String> {
    let mut tried = Vec::new();
    for path in candidates {
        match readable(path) {
            Ok(()) => return Ok(path.clone()),
            Err(why) => tried.push(format!("{} ({why})", path.display())),
        }
    }
    Err(format!(
        "no configuration file found; tried: {} (give one with --config or {ENV_VAR})",
        tried.join(", ")
    ))
}

fn readable(path: &Path) -> Result<(), String> {
    let meta = std::fs::metadata(path).map_err(|e| e.to_string())?;
    if !meta.is_file() {
        return Err("not a regular file".into());
    }
    File::open(path).map(drop).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn candidates_keep_order_and_drop_duplicates_and_empty_env() {
        let got = candidates(Some(Path::new("a.yaml")), Some("b.yaml".into()));
        let want: Vec<PathBuf> = vec![
            "a.yaml".into(),
            "b.yaml".into(),
            LOCAL_FILE.into(),
            SYSTEM_FILE.into(),
        ];
        assert_eq!(got, want);
        let got = candidates(Some(Path::new(LOCAL_FILE)), Some(OsString::new()));
        assert_eq!(
            got,
            vec![PathBuf::from(LOCAL_FILE), PathBuf::from(SYSTEM_FILE)]
        );
    }
}
