//! What an uploaded file is, judged by its content (magic bytes), never its name.

/// Image or video.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MediaKind {
    /// PNG, JPEG, GIF or WebP.
    Image,
    /// MP4.
    Video,
}

impl MediaKind {
    /// Wire and database spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            MediaKind::Image => "image",
            MediaKind::Video => "video",
        }
    }
}

/// A recognised file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Media {
    /// Image or video.
    pub kind: MediaKind,
    /// The content type to serve it with.
    pub content_type: &'static str,
    /// Pixel width (images).
    pub width: Option<u32>,
    /// Pixel height (images).
    pub height: Option<u32>,
}

/// Recognises PNG, JPEG, GIF, WebP and MP4 by their leading bytes; `None` otherwise.
pub fn sniff(bytes: &[u8]) -> Option<Media> {
    let image = |content_type| {
        let size = imagesize::blob_size(bytes).ok();
        Some(Media {
            kind: MediaKind::Image,
            content_type,
            width: size.map(|s| s.width as u32),
            height: size.map(|s| s.height as u32),
        })
    };
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        return image("image/png");
    }
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return image("image/jpeg");
    }
    if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        return image("image/gif");
    }
    if bytes.len() >= 12 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        return image("image/webp");
    }
    if bytes.len() >= 12 && &bytes[4..8] == b"ftyp" {
        let brand = &bytes[8..12];
        let mp4 = [
            b"isom", b"iso2", b"mp41", b"mp42", b"avc1", b"M4V ", b"dash", b"iso5", b"iso6",
        ];
        if mp4.iter().any(|b| brand == *b) {
            return Some(Media {
                kind: MediaKind::Video,
                content_type: "video/mp4",
                width: None,
                height: None,
            });
        }
    }
    None
}

/// Whether a recognised file ends exactly where its own structure says it ends: PNG at its
/// `IEND` chunk, JPEG at the `EOI` marker after its last scan, GIF at its trailer, WebP at
/// its RIFF size, MP4 at the end of its last top-level box. A truncated file, or one with
/// bytes after the end (a polyglot: an image that is also a zip, an HTML page or a
/// script), is not whole.
pub fn is_whole(bytes: &[u8], content_type: &str) -> bool {
    match content_type {
        "image/png" => png_end(bytes) == Some(bytes.len()),
        "image/jpeg" => jpeg_end(bytes) == Some(bytes.len()),
        "image/gif" => gif_end(bytes) == Some(bytes.len()),
        "image/webp" => webp_end(bytes) == Some(bytes.len()),
        "video/mp4" => mp4_whole(bytes),
        _ => false,
    }
}

fn be32(bytes: &[u8], at: usize) -> Option<usize> {
    let b = bytes.get(at..at.checked_add(4)?)?;
    Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize)
}

/// The offset just past the `IEND` chunk.
fn png_end(bytes: &[u8]) -> Option<usize> {
    let mut at = 8;
    loop {
        let len = be32(bytes, at)?;
        let kind = bytes.get(at + 4..at + 8)?;
        let next = at.checked_add(12)?.checked_add(len)?;
        if next > bytes.len() {
            return None;
        }
        if kind == b"IEND" {
            return Some(next);
        }
        at = next;
    }
}

/// The offset just past the `EOI` marker: segments are walked by their lengths, and the
/// entropy-coded data after each `SOS` is scanned for the next marker (`FF 00` is a
/// stuffed byte, `FF D0`–`FF D7` restart markers, `FF FF` fill).
fn jpeg_end(bytes: &[u8]) -> Option<usize> {
    let mut at = 2;
    loop {
        // Any number of fill bytes may precede a marker.
        while bytes.get(at) == Some(&0xFF) && bytes.get(at + 1) == Some(&0xFF) {
            at += 1;
        }
        if *bytes.get(at)? != 0xFF {
            return None;
        }
        let marker = *bytes.get(at + 1)?;
        match marker {
            0xD9 => return Some(at + 2),
            0x01 | 0xD0..=0xD7 => at += 2,
            _ => {
                let b = bytes.get(at + 2..at + 4)?;
                let len = u16::from_be_bytes([b[0], b[1]]) as usize;
                if len < 2 {
                    return None;
                }
                at = at.checked_add(2 + len)?;
                if at > bytes.len() {
                    return None;
                }
                if marker == 0xDA {
                    // Entropy-coded data until a marker that is not stuffing or a restart.
                    loop {
                        let ff = at + bytes.get(at..)?.iter().position(|b| *b == 0xFF)?;
                        match *bytes.get(ff + 1)? {
                            0x00 | 0xD0..=0xD7 | 0xFF => at = ff + 1,
                            _ => {
                                at = ff;
                                break;
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The offset just past the GIF trailer (`0x3B`).
fn gif_end(bytes: &[u8]) -> Option<usize> {
    // Data sub-blocks: a length byte, that many bytes, until a zero length.
    let sub_blocks = |mut at: usize| -> Option<usize> {
        loop {
            let len = *bytes.get(at)? as usize;
            at += 1;
            if len == 0 {
                return Some(at);
            }
            at += len;
        }
    };
    let table = |flags: u8| {
        if flags & 0x80 != 0 {
            3usize << ((flags & 0x07) + 1)
        } else {
            0
        }
    };
    let mut at = 13 + table(*bytes.get(10)?);
    loop {
        match *bytes.get(at)? {
            0x3B => return Some(at + 1),
            0x21 => at = sub_blocks(at + 2)?,
            0x2C => {
                let flags = *bytes.get(at + 9)?;
                // Descriptor (10), local colour table, LZW minimum code size (1), data.
                at = sub_blocks(at + 10 + table(flags) + 1)?;
            }
            _ => return None,
        }
    }
}

/// The RIFF container's end: its size field plus the 8-byte header (and a pad byte to even).
fn webp_end(bytes: &[u8]) -> Option<usize> {
    let b = bytes.get(4..8)?;
    let size = u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize;
    8usize.checked_add(size)?.checked_add(size % 2)
}

/// Whether top-level boxes tile the file exactly (a box of size 0 runs to the end).
fn mp4_whole(bytes: &[u8]) -> bool {
    let mut at = 0usize;
    while at < bytes.len() {
        let Some(size) = be32(bytes, at) else {
            return false;
        };
        let size = match size {
            0 => return bytes.len() - at >= 8,
            1 => match bytes.get(at + 8..at + 16) {
                Some(b) => u64::from_be_bytes(b.try_into().expect("8 bytes")) as usize,
                None => return false,
            },
            n => n,
        };
        if size < 8 {
            return false;
        }
        at = match at.checked_add(size) {
            Some(next) if next <= bytes.len() => next,
            _ => return false,
        };
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_decides() {
        let png = include_bytes!("../../page-templates/assets/placeholder-logo.png");
        let m = sniff(png).unwrap();
        assert_eq!(
            (m.content_type, m.width, m.height),
            ("image/png", Some(200), Some(200))
        );
        assert_eq!(
            sniff(b"GIF89a\x01\x00\x01\x00\x00\x00\x00")
                .unwrap()
                .content_type,
            "image/gif"
        );
        let mut mp4 = vec![0, 0, 0, 0x18];
        mp4.extend_from_slice(b"ftypisom\0\0\0\0");
        assert_eq!(sniff(&mp4).unwrap().kind, MediaKind::Video);
        assert!(sniff(b"hello, I am text pretending to be a PNG").is_none());
        assert!(sniff(b"<svg xmlns=...>").is_none());
    }

    /// A 1×1 GIF: header, screen descriptor with a 2-colour table, an image and the trailer.
    const GIF: &[u8] = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff\
        \x21\xf9\x04\x01\x00\x00\x00\x00\x2c\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02\x44\x01\x00\x3b";

    #[test]
    fn a_file_is_whole_only_when_it_ends_where_its_format_says() {
        let png = include_bytes!("../../page-templates/assets/placeholder-logo.png");
        assert!(is_whole(png, "image/png"));
        assert!(is_whole(GIF, "image/gif"));
        let mut mp4 = vec![0, 0, 0, 0x10];
        mp4.extend_from_slice(b"ftypisom\0\0\0\0");
        mp4.extend_from_slice(&[0, 0, 0, 8]);
        mp4.extend_from_slice(b"mdat");
        assert!(is_whole(&mp4, "video/mp4"));
        let mut webp = b"RIFF\x04\x00\x00\x00WEBP".to_vec();
        assert!(is_whole(&webp, "image/webp"));
        // A minimal baseline JPEG shape: SOI, a segment, a scan whose data holds a stuffed
        // 0xFF and a restart marker, EOI.
        let jpeg: &[u8] = &[
            0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x04, 0x4A, 0x46, 0xFF, 0xDA, 0x00, 0x03, 0x01, 0x12,
            0xFF, 0x00, 0x34, 0xFF, 0xD0, 0x56, 0xFF, 0xD9,
        ];
        assert!(is_whole(jpeg, "image/jpeg"));

        // Anything after the end — a zip, a script — makes it not whole; so does a cut.
        for (bytes, kind) in [
            (png.as_slice(), "image/png"),
            (GIF, "image/gif"),
            (jpeg, "image/jpeg"),
            (mp4.as_slice(), "video/mp4"),
        ] {
            let mut polyglot = bytes.to_vec();
            polyglot.extend_from_slice(b"PK\x03\x04<script>alert(1)</script>");
            assert!(!is_whole(&polyglot, kind), "{kind} with a tail");
            assert!(
                !is_whole(&bytes[..bytes.len() - 1], kind),
                "{kind} cut short"
            );
        }
        webp.extend_from_slice(b"<html>");
        assert!(!is_whole(&webp, "image/webp"));
        assert!(!is_whole(png, "text/html"));
    }
}
