//! The one `multipart/form-data` shape uploads accept: a part named `file` (other parts are
//! ignored), as an HTML form or `curl -F file=@photo.png` sends it.

/// A form's `file` part.
#[derive(Debug, PartialEq)]
pub struct FilePart {
    pub filename: Option<String>,
    pub content_type: Option<String>,
    pub bytes: Vec<u8>,
}

/// The `boundary` parameter of a `multipart/form-data` content type.
pub fn boundary(content_type: &str) -> Option<String> {
    let (kind, params) = content_type.split_once(';')?;
    if !kind.trim().eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    params.split(';').find_map(|p| {
        let (name, value) = p.split_once('=')?;
        name.trim().eq_ignore_ascii_case("boundary").then(|| value.trim().trim_matches('"').to_owned())
    })
}

/// The `file` part of `body`, or what is wrong with the form.
pub fn file_part(body: &[u8], boundary: &str) -> Result<FilePart, &'static str> {
    let delimiter = format!("--{boundary}").into_bytes();
    let mut rest = &body[find(body, &delimiter).ok_or("has no part")? + delimiter.len()..];
    loop {
        if rest.starts_with(b"--") {
            return Err("has no part named `file`");
        }
        rest = rest.strip_prefix(b"\r\n").ok_or("is malformed")?;
        let head_end = find(rest, b"\r\n\r\n").ok_or("is malformed")?;
        let head = std::str::from_utf8(&rest[..head_end]).map_err(|_| "is malformed")?;
        let body_start = &rest[head_end + 4..];
        let mut closing = b"\r\n".to_vec();
        closing.extend_from_slice(&delimiter);
        let end = find(body_start, &closing).ok_or("is not closed")?;
        let (mut name, mut filename, mut content_type) = (None, None, None);
        for line in head.split("\r\n") {
            let Some((header, value)) = line.split_once(':') else { continue };
            if header.trim().eq_ignore_ascii_case("content-disposition") {
                name = parameter(value, "name");
                filename = parameter(value, "filename");
            } else if header.trim().eq_ignore_ascii_case("content-type") {
                content_type = Some(value.trim().to_owned());
            }
        }
        if name.as_deref() == Some("file") {
            return Ok(FilePart { filename, content_type, bytes: body_start[..end].to_vec() });
        }
        rest = &body_start[end + closing.len()..];
    }
}

fn parameter(header_value: &str, wanted: &str) -> Option<String> {
    header_value.split(';').skip(1).find_map(|p| {
        let (name, value) = p.split_once('=')?;
        (name.trim() == wanted).then(|| value.trim().trim_matches('"').to_owned())
    })
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_part_is_found_among_others() {
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhello\r\n\
--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"label.pdf\"\r\nContent-Type: application/pdf\r\n\r\n%PDF-1.7\r\nbytes\r\n--XyZ--\r\n";
        assert_eq!(boundary("multipart/form-data; boundary=XyZ").as_deref(), Some("XyZ"));
        assert_eq!(boundary("application/json"), None);
        let part = file_part(body, "XyZ").unwrap();
        assert_eq!(part.filename.as_deref(), Some("label.pdf"));
        assert_eq!(part.content_type.as_deref(), Some("application/pdf"));
        assert_eq!(part.bytes, b"%PDF-1.7\r\nbytes");
        assert_eq!(file_part(b"--XyZ--\r\n", "XyZ"), Err("has no part named `file`"));
        assert_eq!(file_part(b"nothing", "XyZ"), Err("has no part"));
    }
}
