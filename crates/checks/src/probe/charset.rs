//! Which character encoding a body is in, the way browsers decide (simplified): a byte order
//! mark, else the `Content-Type` charset, else for HTML a `<meta charset>` (or `http-equiv`)
//! in the first 1024 bytes, else UTF-8. Decoding is `encoding_rs`'s, with invalid bytes
//! replaced. Without this, a Latin-1 page never contains "Accès", and `body-not-contains`
//! on it passes forever.

use encoding_rs::{Encoding, UTF_8};

/// How far into an HTML body a `<meta charset>` is looked for (as the HTML spec's prescan).
const PRESCAN: usize = 1024;

/// The encoding of `body`, given its `Content-Type` header value.
pub(crate) fn of(content_type: Option<&str>, body: &[u8]) -> &'static Encoding {
    if let Some((bom, _)) = Encoding::for_bom(body) {
        return bom;
    }
    if let Some(declared) = content_type.and_then(declared) {
        return declared;
    }
    let html = content_type.is_none_or(|ct| ct.to_ascii_lowercase().contains("html"));
    let meta = if html { meta(body) } else { None };
    meta.unwrap_or(UTF_8)
}

/// The `charset` parameter of a `Content-Type` value.
fn declared(content_type: &str) -> Option<&'static Encoding> {
    content_type.split(';').skip(1).find_map(|param| {
        let (name, value) = param.split_once('=')?;
        if !name.trim().eq_ignore_ascii_case("charset") {
            return None;
        }
        Encoding::for_label(value.trim().trim_matches(['"', '\'']).as_bytes())
    })
}

/// The charset named by a `<meta>` tag near the start of an HTML body.
fn meta(body: &[u8]) -> Option<&'static Encoding> {
    let head = body[..body.len().min(PRESCAN)].to_ascii_lowercase();
    let mut rest = head.as_slice();
    while let Some(at) = find(rest, b"<meta") {
        let tag = &rest[at..];
        let end = tag.iter().position(|b| *b == b'>').unwrap_or(tag.len());
        if let Some(found) = charset_in(&tag[..end]) {
            // A page cannot really be UTF-16 if its prescan could be read as ASCII.
            return Some(found.output_encoding());
        }
        rest = &tag[end.min(tag.len())..];
        if rest.len() == tag.len() {
            rest = &rest[1..];
        }
    }
    None
}

/// The label after `charset=` in one tag's text (lower-cased), quoted or not.
fn charset_in(tag: &[u8]) -> Option<&'static Encoding> {
    let at = find(tag, b"charset")? + b"charset".len();
    let after = tag[at..].trim_ascii_start().strip_prefix(b"=")?;
    let after = after.trim_ascii_start();
    let after = after
        .strip_prefix(b"\"")
        .or_else(|| after.strip_prefix(b"'"))
        .unwrap_or(after);
    let len = after
        .iter()
        .position(|b| !(b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b':' | b'.')))
        .unwrap_or(after.len());
    Encoding::for_label(&after[..len])
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(ct: Option<&str>, body: &[u8]) -> &'static str {
        of(ct, body).name()
    }

    #[test]
    fn the_declared_charset_wins_then_meta_then_utf8() {
        assert_eq!(
            name(Some("text/html; charset=ISO-8859-1"), b""),
            "windows-1252"
        );
        assert_eq!(name(Some("text/plain; Charset=\"koi8-r\""), b""), "KOI8-R");
        assert_eq!(
            name(Some("text/html"), b"<meta charset='shift_jis'>"),
            "Shift_JIS"
        );
        let equiv =
            b"<META HTTP-EQUIV=\"Content-Type\" CONTENT=\"text/html; charset=windows-1251\">";
        assert_eq!(name(None, equiv), "windows-1251");
        assert_eq!(name(Some("text/html"), b"<meta name=x><p>hi"), "UTF-8");
        // Only HTML is searched for a meta tag.
        assert_eq!(
            name(Some("application/json"), b"<meta charset=latin1>"),
            "UTF-8"
        );
        assert_eq!(name(Some("text/html; charset=bogus"), b""), "UTF-8");
        // A byte order mark beats everything.
        assert_eq!(
            name(Some("text/html; charset=latin1"), b"\xef\xbb\xbfx"),
            "UTF-8"
        );
        assert_eq!(name(Some("text/html"), b"<meta charset=utf-16>"), "UTF-8");
    }
}
