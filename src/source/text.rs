//! An input's text: read into memory, or, for a large file, mapped from it.
//!
//! Copying a 50 MB plan into fresh memory costs more than parsing a good part of it (every page
//! of the copy is faulted in and zeroed first); a mapping shares the pages the kernel already
//! holds in its cache.

use std::fmt;
use std::fs::File;
use std::io;

use memmap2::Mmap;

/// Files at least this large are mapped rather than read.
pub(super) const MAP_AT_BYTES: u64 = 1 << 20;

/// Checked UTF-8 text, without a byte order mark.
pub struct Text(Repr);

enum Repr {
    Owned(String),
    /// A mapped file whose bytes from `start` were checked to be UTF-8.
    Mapped {
        map: Mmap,
        start: usize,
    },
}

/// Maps `file` read-only.
///
/// The mapping shows the file as it is on disk: were another process to shorten the file while
/// planlint reads it, the read would fault (the trade every tool that maps its input makes,
/// ripgrep's among them); were it to rewrite it, [`Text::as_str`] stops at the first byte that
/// is no longer UTF-8.
pub(super) fn map(file: &File) -> io::Result<Mmap> {
    // SAFETY: the map is read-only and owned by the one Text that wraps it; the one hazard,
    // another process truncating the file meanwhile, is described above.
    unsafe { Mmap::map(file) }
}

impl Text {
    /// Text over a mapped file whose bytes from `start` are UTF-8.
    pub(super) fn mapped(map: Mmap, start: usize) -> Self {
        Self(Repr::Mapped { map, start })
    }

    /// The text. A mapped file is checked again, so that what is returned is UTF-8 even if
    /// the file changed since it was mapped; call this once and keep the `&str`.
    pub fn as_str(&self) -> &str {
        match &self.0 {
            Repr::Owned(text) => text,
            Repr::Mapped { map, start } => {
                let bytes = map.get(*start..).unwrap_or_default();
                match std::str::from_utf8(bytes) {
                    Ok(text) => text,
                    Err(error) => {
                        std::str::from_utf8(&bytes[..error.valid_up_to()]).unwrap_or_default()
                    }
                }
            }
        }
    }
}

impl From<String> for Text {
    fn from(text: String) -> Self {
        Self(Repr::Owned(text))
    }
}

impl Clone for Text {
    fn clone(&self) -> Self {
        Self::from(self.as_str().to_owned())
    }
}

impl PartialEq for Text {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for Text {}

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}
