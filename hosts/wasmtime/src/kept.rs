//! The chunks this host read for the upload machine, kept for the requests
//! that send them (the `host-keeps-chunks` option): a chunk's bytes are read
//! once, checksummed by the machine, and moved into the request that carries
//! them, never copied back out of the machine.

use std::collections::{HashMap, VecDeque};
use std::fs::File;
use std::os::unix::fs::FileExt;

use anyhow::{Context, Result, bail};

use crate::bindings::exports::fastio::core::types::{BodySegment, HttpRequest};

/// Chunks read and not yet sent, by source offset; the oldest beyond `cap`
/// are dropped (a chunk sent again after a failure, or one dropped, is read
/// from the file again).
pub struct KeptChunks {
    chunks: HashMap<u64, Vec<u8>>,
    order: VecDeque<u64>,
    cap: usize,
}

impl KeptChunks {
    /// Keeps at most `cap` chunks (the machine holds at most its in-flight
    /// count ready at once).
    pub fn new(cap: usize) -> Self {
        KeptChunks {
            chunks: HashMap::new(),
            order: VecDeque::new(),
            cap: cap.max(1),
        }
    }

    /// Keeps the bytes read at `offset`.
    pub fn keep(&mut self, offset: u64, bytes: Vec<u8>) {
        if self.chunks.insert(offset, bytes).is_none() {
            self.order.push_back(offset);
        }
        while self.order.len() > self.cap {
            if let Some(old) = self.order.pop_front() {
                self.chunks.remove(&old);
            }
        }
    }

    /// Replaces each `source` segment of `req` with its bytes: the kept
    /// chunk when there is one of that length, else read from `file`.
    pub fn fill(&mut self, req: &mut HttpRequest, file: Option<&File>) -> Result<()> {
        for seg in &mut req.body {
            let BodySegment::Source(r) = seg else {
                continue;
            };
            let (offset, len) = (r.offset, r.len);
            let kept = match self.chunks.remove(&offset) {
                Some(b) if b.len() as u64 == len => {
                    self.order.retain(|o| *o != offset);
                    Some(b)
                }
                _ => None,
            };
            let bytes = match kept {
                Some(b) => b,
                None => {
                    let Some(file) = file else {
                        bail!("a request asks for source bytes of a source that is not a file");
                    };
                    let mut b = vec![0; usize::try_from(len).context("chunk too large")?];
                    file.read_exact_at(&mut b, offset)
                        .with_context(|| format!("reading {len} bytes at {offset} again"))?;
                    b
                }
            };
            *seg = BodySegment::Bytes(bytes);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bindings::exports::fastio::core::types::{Method, SourceRange};

    fn req(segs: Vec<BodySegment>) -> HttpRequest {
        HttpRequest {
            method: Method::Post,
            url: "http://x/".into(),
            headers: Vec::new(),
            body: segs,
            content_length: None,
        }
    }

    #[test]
    fn kept_bytes_move_into_the_request_and_others_are_read_again() {
        let path = std::env::temp_dir().join(format!("kept-{}.bin", std::process::id()));
        std::fs::write(&path, b"0123456789").unwrap();
        let file = File::open(&path).unwrap();
        let mut k = KeptChunks::new(2);
        k.keep(0, b"AAAA".to_vec());
        k.keep(4, b"BBBB".to_vec());
        k.keep(8, b"CC".to_vec()); // drops the chunk at 0
        let src = |offset, len| BodySegment::Source(SourceRange { offset, len });
        let mut r = req(vec![
            BodySegment::Bytes(b"head".to_vec()),
            src(4, 4),
            src(0, 4),
        ]);
        k.fill(&mut r, Some(&file)).unwrap();
        let got: Vec<Vec<u8>> = r
            .body
            .into_iter()
            .map(|s| match s {
                BodySegment::Bytes(b) => b,
                other => panic!("{other:?}"),
            })
            .collect();
        // Kept (B) and read again (the file's bytes, not the dropped A).
        assert_eq!(got, [b"head".to_vec(), b"BBBB".to_vec(), b"0123".to_vec()]);
        // Kept bytes of another length than asked for are not used.
        let mut r = req(vec![src(8, 1)]);
        k.fill(&mut r, Some(&file)).unwrap();
        assert!(matches!(&r.body[0], BodySegment::Bytes(b) if b == b"8"));
        // A range past the end of the file is an error, not short bytes;
        // without a file there is nothing to read again.
        assert!(k.fill(&mut req(vec![src(9, 4)]), Some(&file)).is_err());
        assert!(k.fill(&mut req(vec![src(0, 1)]), None).is_err());
        let _ = std::fs::remove_file(&path);
    }
}
