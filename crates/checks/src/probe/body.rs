//! Reading a response body: streamed, capped at `max_body_bytes`, and inflated here when the
//! site sent it gzip-compressed.
//!
//! The probe asks for gzip (`Accept-Encoding: gzip`) but does not let reqwest inflate the
//! body, because reqwest then removes `Content-Encoding` and `Content-Length` from the headers
//! and header checks could never see what the site sent. Inflating here also keeps a gzip
//! bomb harmless: the inflated output stops at the cap, whatever the compressed size.

use std::io::{self, Write};

use flate2::write::GzDecoder;

use super::FetchError;
use crate::reason::Reason;

/// A body as read: at most the cap, and whether more was left.
pub(super) struct Body {
    pub(super) bytes: Vec<u8>,
    pub(super) truncated: bool,
}

/// Whether `content_encoding` (the header's value) is gzip, which the probe asked for.
pub(super) fn is_gzip(content_encoding: Option<&str>) -> bool {
    content_encoding.is_some_and(|v| {
        let v = v.trim();
        v.eq_ignore_ascii_case("gzip") || v.eq_ignore_ascii_case("x-gzip")
    })
}

/// Reads `resp`'s body, inflating it if `gzip`, up to `max` bytes (inflated).
pub(super) async fn read(
    resp: &mut reqwest::Response,
    max: usize,
    gzip: bool,
) -> Result<Body, FetchError> {
    let sink = Capped {
        bytes: Vec::new(),
        max,
        full: false,
    };
    let mut body = if gzip {
        Sink::Gzip(Box::new(GzDecoder::new(sink)))
    } else {
        Sink::Plain(sink)
    };
    while let Some(chunk) = resp
        .chunk()
        .await
        .map_err(|e| super::http::body_error(&e))?
    {
        if !body.write(&chunk)? {
            // Full: dropping `resp` closes the connection, the rest is never downloaded.
            return Ok(body.into_body(true));
        }
    }
    body.finish()
}

enum Sink {
    Plain(Capped),
    Gzip(Box<GzDecoder<Capped>>),
}

impl Sink {
    /// Takes a chunk; `false` once the cap is reached.
    fn write(&mut self, chunk: &[u8]) -> Result<bool, FetchError> {
        match self {
            Sink::Plain(capped) => Ok(capped.write_all(chunk).is_ok()),
            Sink::Gzip(decoder) => match decoder.write_all(chunk) {
                Ok(()) => Ok(true),
                Err(_) if decoder.get_ref().full => Ok(false),
                Err(e) => Err(corrupt(&e)),
            },
        }
    }

    fn finish(self) -> Result<Body, FetchError> {
        match self {
            Sink::Plain(capped) => Ok(capped.into_body(false)),
            Sink::Gzip(mut decoder) => match decoder.try_finish() {
                Ok(()) => Ok(decoder.get_mut().take(false)),
                Err(_) if decoder.get_ref().full => Ok(decoder.get_mut().take(true)),
                Err(e) => Err(corrupt(&e)),
            },
        }
    }

    fn into_body(self, truncated: bool) -> Body {
        match self {
            Sink::Plain(capped) => capped.into_body(truncated),
            Sink::Gzip(mut decoder) => decoder.get_mut().take(truncated),
        }
    }
}

fn corrupt(e: &io::Error) -> FetchError {
    FetchError::new(
        Reason::Body,
        format!("the gzip-compressed body is corrupt: {e}"),
    )
}

/// Takes bytes up to `max`, then refuses.
struct Capped {
    bytes: Vec<u8>,
    max: usize,
    full: bool,
}

impl Capped {
    fn into_body(self, truncated: bool) -> Body {
        Body {
            bytes: self.bytes,
            truncated,
        }
    }

    /// The bytes, taken out of a decoder that only lends its writer.
    fn take(&mut self, truncated: bool) -> Body {
        Body {
            bytes: std::mem::take(&mut self.bytes),
            truncated: truncated || self.full,
        }
    }
}

impl Write for Capped {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let room = self.max - self.bytes.len();
        if buf.len() > room {
            self.bytes.extend_from_slice(&buf[..room]);
            self.full = true;
            return Err(io::Error::other("the body cap is reached"));
        }
        self.bytes.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
