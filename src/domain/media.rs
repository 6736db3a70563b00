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
}
