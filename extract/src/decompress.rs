//! The payload compressions the kernel supports (`CONFIG_KERNEL_*`), each through its ecosystem crate.

use std::io::Read;

use serde::Serialize;

use crate::{DecompressError, Error};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Compression {
    Gzip,
    Xz,
    Zstd,
    Lz4,
    Bzip2,
    Lzma,
}

impl std::fmt::Display for Compression {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Compression::Gzip => "gzip",
            Compression::Xz => "xz",
            Compression::Zstd => "zstd",
            Compression::Lz4 => "lz4",
            Compression::Bzip2 => "bzip2",
            Compression::Lzma => "lzma",
        })
    }
}

/// A decompressed kernel is tens of MiB; refuse to inflate beyond this.
const MAX_OUTPUT: u64 = 1 << 30;
/// Wrapped streams: how many candidate starts to try before giving up.
const MAX_STARTS: usize = 32;

/// Stream magics as the kernel's compressors write them (lz4 in its legacy frame, lzma as lzma_alone -9).
const MAGICS: &[(Compression, &[u8])] = &[
    (Compression::Gzip, b"\x1f\x8b\x08"),
    (Compression::Xz, b"\xfd7zXZ\x00"),
    (Compression::Zstd, b"\x28\xb5\x2f\xfd"),
    (Compression::Lz4, b"\x02\x21\x4c\x18"),
    (Compression::Bzip2, b"BZh"),
    (Compression::Lzma, b"\x5d\x00\x00"),
];

/// The compression whose magic `data` starts with.
pub fn detect(data: &[u8]) -> Option<Compression> {
    MAGICS.iter().find(|(_, m)| data.starts_with(m)).map(|(c, _)| *c)
}

/// Offsets where a compressed stream may start, first ones first.
pub fn stream_starts(data: &[u8]) -> Vec<usize> {
    (0..data.len()).filter(|&i| detect(&data[i..]).is_some()).take(MAX_STARTS).collect()
}

/// Decompresses the stream at the start of `data`. Trailing bytes (the kernel appends the decompressed size)
/// may end a stream in an error; what was decoded by then is kept.
pub fn decompress(data: &[u8]) -> Result<(Compression, Vec<u8>), Error> {
    let compression = detect(data).ok_or(Error::UnknownFormat)?;
    let fail = |e: DecompressError| Error::Decompress { compression, source: e };
    let reader: Box<dyn Read + '_> = match compression {
        Compression::Gzip => Box::new(flate2::read::GzDecoder::new(data)),
        Compression::Xz => Box::new(xz2::read::XzDecoder::new(data)),
        Compression::Zstd => Box::new(ruzstd::decoding::StreamingDecoder::new(data).map_err(|e| fail(e.into()))?),
        Compression::Lz4 => Box::new(lz4_flex::frame::FrameDecoder::new(data)),
        Compression::Bzip2 => Box::new(bzip2::read::BzDecoder::new(data)),
        Compression::Lzma => {
            let stream = xz2::stream::Stream::new_lzma_decoder(MAX_OUTPUT).map_err(|e| fail(e.into()))?;
            Box::new(xz2::read::XzDecoder::new_stream(data, stream))
        }
    };
    let mut out = Vec::new();
    match reader.take(MAX_OUTPUT).read_to_end(&mut out) {
        Ok(_) => Ok((compression, out)),
        Err(_) if !out.is_empty() => Ok((compression, out)),
        Err(e) => Err(fail(e.into())),
    }
}
