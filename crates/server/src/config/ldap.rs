//! `general.ldap` (reference §1.4): logins checked against an LDAP directory instead of the
//! users table.

use super::problem::Problems;
use super::reader::{self, Section};
use super::yaml::Node;

/// `general.ldap`: check logins against an LDAP directory instead of the users table.
#[derive(Debug, Clone, PartialEq)]
pub struct Ldap {
    /// Server URI, e.g. `ldaps://ldap.example.org`.
    pub uri: String,
    /// Search base.
    pub user_tree: String,
    /// Service account used to search.
    pub bind_dn: Option<String>,
    /// Its password.
    pub bind_pwd: Option<String>,
    /// Login attribute (`uid`, `mail`, ...).
    pub user_attr: String,
    /// Extra filter ANDed to the user search; `None` adds nothing (the reference added "None").
    pub user_filter: Option<String>,
}

pub(super) fn read_ldap(node: &Node, path: &str, p: &mut Problems) -> Ldap {
    let keys = &[
        "uri",
        "user_tree",
        "bind_dn",
        "bind_pwd",
        "user_attr",
        "user_filter",
    ];
    let sec = Section::new(node, path, keys, p);
    if let (Some(n), None) = (sec.get("bind_dn"), sec.get("bind_pwd")) {
        let message =
            "bind_dn needs bind_pwd: without it the directory would take the search as anonymous";
        p.error(n, &sec.path("bind_dn"), message);
    }
    Ldap {
        uri: sec.req("uri", p, reader::non_empty).unwrap_or_default(),
        user_tree: sec
            .req("user_tree", p, reader::non_empty)
            .unwrap_or_default(),
        bind_dn: sec.opt("bind_dn", p, reader::string),
        bind_pwd: sec.opt("bind_pwd", p, reader::string),
        user_attr: sec
            .req("user_attr", p, reader::non_empty)
            .unwrap_or_default(),
        user_filter: sec.opt("user_filter", p, reader::string),
    }
}
