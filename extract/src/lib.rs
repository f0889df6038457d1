//! Finds the purgatory object that a kernel image or a kexec-tools binary carries.
//!
//! The kernel links `arch/x86/purgatory/purgatory.ro` into vmlinux as the `kexec_purgatory` blob; kexec-tools
//! links its own as the `purgatory` array of /sbin/kexec. Both are whole ET_REL ELF files embedded byte for byte,
//! so after unwrapping a bzImage (or a raw compressed vmlinuz) the object is found by its ELF header and measured
//! by its section table. Vmlinuz payloads are decompressed with the ecosystem's crates.
//!
//! It must not judge or relocate the object it finds: it hands back bytes and where they came from.

mod decompress;
mod embedded;
mod version;

use serde::Serialize;

pub use decompress::Compression;
pub use version::Origin;

/// What the input file was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Container {
    /// Already a relocatable object: returned as is.
    Object,
    /// An uncompressed ELF executable (vmlinux, /sbin/kexec).
    Executable,
    /// An x86 boot image (`HdrS` setup header) with a compressed payload.
    BzImage,
    /// A compressed stream, possibly behind some wrapper (raw vmlinuz, EFI zboot).
    Compressed,
}

/// An extracted purgatory object and where it came from.
#[derive(Debug, Clone, Serialize)]
pub struct Extracted {
    #[serde(skip)]
    pub object: Vec<u8>,
    pub container: Container,
    pub compression: Option<Compression>,
    /// Offset of the object in the (decompressed) executable.
    pub offset: usize,
    pub size: usize,
    /// Kernel or kexec-tools, with the version string found in the image.
    pub origin: Origin,
    /// How many embedded relocatable objects were found (the first is returned).
    pub candidates: usize,
}

/// Why no object could be extracted.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("the file is empty")]
    Empty,
    #[error("bzImage header: {0}")]
    BadBzImage(&'static str),
    #[error("{compression} payload does not decompress: {source}")]
    Decompress {
        compression: Compression,
        #[source]
        source: DecompressError,
    },
    #[error("neither an ELF file, a bzImage nor a known compressed stream (gzip, xz, zstd, lz4, bzip2, lzma)")]
    UnknownFormat,
    #[error("no embedded ELF relocatable object (is the kernel built with CONFIG_KEXEC_FILE? is this kexec-tools?)")]
    NoPurgatory,
}

/// The decoder's own error.
#[derive(Debug, thiserror::Error)]
pub enum DecompressError {
    #[error("{0}")]
    Zstd(#[from] ruzstd::decoding::errors::FrameDecoderError),
    #[error("{0}")]
    Lzma(#[from] xz2::stream::Error),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// Extracts the purgatory object from a kernel image, a vmlinux, a kexec-tools binary, or returns an object as is.
pub fn extract(bytes: &[u8]) -> Result<Extracted, Error> {
    if bytes.is_empty() {
        return Err(Error::Empty);
    }
    if embedded::is_relocatable(bytes) {
        let size = embedded::object_size(bytes).unwrap_or(bytes.len());
        return Ok(Extracted {
            object: bytes.to_vec(),
            container: Container::Object,
            compression: None,
            offset: 0,
            size,
            origin: Origin::Unknown,
            candidates: 1,
        });
    }
    if bytes.starts_with(b"\x7fELF") {
        return from_executable(bytes, Container::Executable, None, None);
    }
    if let Some(payload) = bzimage_payload(bytes)? {
        let header_version = version::bzimage_header_version(bytes);
        // CONFIG_KERNEL_UNCOMPRESSED keeps the ELF as is.
        if payload.starts_with(b"\x7fELF") {
            return from_executable(payload, Container::BzImage, None, header_version);
        }
        let (compression, vmlinux) = decompress::decompress(payload)?;
        return from_executable(&vmlinux, Container::BzImage, Some(compression), header_version);
    }
    // A raw compressed stream, or one behind an unknown wrapper: try each plausible stream start in turn.
    let mut last = None;
    for start in decompress::stream_starts(bytes) {
        match decompress::decompress(&bytes[start..]) {
            Ok((compression, inner)) => match from_executable(&inner, Container::Compressed, Some(compression), None) {
                Ok(x) => return Ok(x),
                Err(e) => last = Some(e),
            },
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or(Error::UnknownFormat))
}

fn from_executable(
    exe: &[u8],
    container: Container,
    compression: Option<Compression>,
    fallback_version: Option<String>,
) -> Result<Extracted, Error> {
    let found = embedded::find_objects(exe);
    let &(offset, size) = found.first().ok_or(Error::NoPurgatory)?;
    let object = exe[offset..offset + size].to_vec();
    Ok(Extracted {
        object,
        container,
        compression,
        offset,
        size,
        origin: version::origin(exe, fallback_version),
        candidates: found.len(),
    })
}

/// The compressed payload of a bzImage, `None` if the file has no x86 setup header.
fn bzimage_payload(b: &[u8]) -> Result<Option<&[u8]>, Error> {
    if b.get(0x202..0x206) != Some(b"HdrS") {
        return Ok(None);
    }
    let u16_at = |o: usize| b.get(o..o + 2).map(|s| u16::from_le_bytes([s[0], s[1]]));
    let u32_at = |o: usize| b.get(o..o + 4).map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]));
    let protocol = u16_at(0x206).ok_or(Error::BadBzImage("truncated"))?;
    if protocol < 0x208 {
        return Err(Error::BadBzImage("boot protocol before 2.08 has no payload_offset"));
    }
    let setup_sects = match b[0x1f1] {
        0 => 4,
        n => usize::from(n),
    };
    let pm_start = (setup_sects + 1) * 512;
    let offset = u32_at(0x248).ok_or(Error::BadBzImage("truncated"))? as usize;
    let length = u32_at(0x24c).ok_or(Error::BadBzImage("truncated"))? as usize;
    let start = pm_start.checked_add(offset).ok_or(Error::BadBzImage("payload offset overflows"))?;
    let end = start.checked_add(length).ok_or(Error::BadBzImage("payload length overflows"))?;
    b.get(start..end).map(Some).ok_or(Error::BadBzImage("payload lies beyond the end of the file"))
}
