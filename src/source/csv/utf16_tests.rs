use super::*;

fn le(text: &str) -> Vec<u8> {
    text.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

fn be(text: &str) -> Vec<u8> {
    text.encode_utf16().flat_map(u16::to_be_bytes).collect()
}

/// Everything `wrap` makes of `bytes`, read `chunk` bytes at a time.
fn decode(bytes: &[u8], chunk: usize) -> (io::Result<String>, Option<Found>) {
    let (mut r, found) = wrap(Box::new(io::Cursor::new(bytes.to_vec())), None, true).unwrap();
    let mut out = Vec::new();
    let mut buf = vec![0u8; chunk];
    loop {
        match r.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) => return (Err(e), found),
        }
    }
    (Ok(String::from_utf8(out).unwrap()), found)
}

const TEXT: &str =
    "Emri\tMbiemri\tQyteti\r\nArbër\tÇeku\tPrishtinë\r\nПетар\tПетровић\t😀 Gjakovë\r\n";

#[test]
fn bom_is_consumed_and_text_is_exact_in_any_read_size() {
    for (bom, body, order) in [
        (&[0xFF, 0xFE][..], le(TEXT), Order::Le),
        (&[0xFE, 0xFF][..], be(TEXT), Order::Be),
    ] {
        let bytes = [bom, &body].concat();
        for chunk in [1, 2, 3, 7, 4096] {
            let (text, found) = decode(&bytes, chunk);
            assert_eq!(text.unwrap(), TEXT, "chunk {chunk}");
            assert_eq!(
                found,
                Some(Found {
                    order,
                    how: How::Bom,
                    bom: 2
                })
            );
        }
    }
}

#[test]
fn without_a_bom_the_nul_pattern_decides() {
    let (text, found) = decode(&le(TEXT), 64);
    assert_eq!(text.unwrap(), TEXT);
    assert_eq!(
        found.map(|f| (f.order, f.how)),
        Some((Order::Le, How::NulPattern))
    );
    let (text, found) = decode(&be(TEXT), 64);
    assert_eq!(text.unwrap(), TEXT);
    assert_eq!(
        found.map(|f| (f.order, f.how)),
        Some((Order::Be, How::NulPattern))
    );
    // Mostly Cyrillic still has ASCII delimiters and line ends.
    let cyr = "Име;Презиме;Општина\r\nПетар;Петровић;Грачаница\r\n".repeat(20);
    assert_eq!(decode(&le(&cyr), 100).0.unwrap(), cyr);
}

#[test]
fn other_text_and_binary_pass_through_unchanged() {
    for bytes in [
        "a,b\n1,2\n".as_bytes().to_vec(),
        "Emri;Qyteti\nArbër;Prishtinë\n".as_bytes().to_vec(),
        b"\xEF\xBB\xBFa,b\n".to_vec(),
        // NUL bytes on both sides: binary, not UTF-16.
        vec![
            0x50, 0x4B, 0x03, 0x04, 0x14, 0x00, 0x00, 0x00, 0x08, 0x00, 0x41, 0x00,
        ],
        // A single NUL is too little evidence.
        b"a,b\n1,\x002\n".to_vec(),
        Vec::new(),
    ] {
        let (text, found) = decode(&bytes, 5);
        assert_eq!(found, None, "{bytes:?}");
        assert_eq!(text.unwrap().as_bytes(), &bytes[..]);
    }
}

#[test]
fn bom_only_is_empty_text() {
    let (text, found) = decode(&[0xFF, 0xFE], 16);
    assert_eq!(text.unwrap(), "");
    assert_eq!(found.map(|f| f.how), Some(How::Bom));
}

#[test]
fn odd_byte_count_is_a_truncation_error_with_its_offset() {
    let mut bytes = [&[0xFF, 0xFE][..], &le("ab\r\ncd")].concat();
    bytes.push(b'e');
    let (text, _) = decode(&bytes, 3);
    let e = text.unwrap_err();
    let u = utf16_error(&e).expect("a UTF-16 error");
    assert!(u.truncated);
    // BOM 2 + 6 characters × 2 = byte 14 (0-based), shown 1-based.
    assert_eq!(u.offset, 14);
    assert!(e.to_string().contains("at byte 15"), "{e}");
    assert!(e.to_string().contains("UTF-16LE"), "{e}");
}

#[test]
fn half_a_surrogate_pair_at_the_end_is_truncation() {
    let mut bytes = le("ab,\n");
    bytes.extend_from_slice(&0xD83Du16.to_le_bytes());
    let e = decode(&bytes, 64).0.unwrap_err();
    assert!(utf16_error(&e).unwrap().truncated, "{e}");
}

#[test]
fn an_unpaired_surrogate_inside_is_an_error_after_the_text_before_it() {
    let mut bytes = [&[0xFF, 0xFE][..], &le("a,b\r\n1,")].concat();
    bytes.extend_from_slice(&0xDC00u16.to_le_bytes());
    bytes.extend_from_slice(&le("2\r\n"));
    let (mut r, _) = wrap(Box::new(io::Cursor::new(bytes)), None, true).unwrap();
    let mut out = Vec::new();
    let e = r.read_to_end(&mut out).unwrap_err();
    let u = utf16_error(&e).unwrap();
    assert!(!u.truncated);
    assert_eq!(u.offset, 16);
    assert_eq!(out, b"a,b\r\n1,");
    assert!(e.to_string().contains("unpaired surrogate"), "{e}");
}

#[test]
fn surrogate_pairs_split_across_reads_from_below() {
    // An emoji straddling every internal buffer boundary (odd and even offsets).
    let mut text = String::new();
    while text.len() < 3 * IN_BYTES {
        text.push_str("x😀yz\t𝄞\r\n");
        text.push('a');
    }
    let mut bytes = vec![0xFF, 0xFE];
    bytes.extend(le(&text));
    assert_eq!(decode(&bytes, 1000).0.unwrap(), text);
}

#[test]
fn forced_order_reads_without_a_bom_and_drops_a_matching_one() {
    let body = be("a\tb\r\n");
    for bytes in [body.clone(), [&[0xFE, 0xFF][..], &body].concat()] {
        let (mut r, found) =
            wrap(Box::new(io::Cursor::new(bytes)), Some(Order::Be), false).unwrap();
        let mut s = String::new();
        r.read_to_string(&mut s).unwrap();
        assert_eq!(s, "a\tb\r\n");
        assert_eq!(found.map(|f| f.how), Some(How::Forced));
    }
    // Sniffing off: UTF-16 bytes pass through (and later fail as NUL bytes).
    let (mut r, found) = wrap(Box::new(io::Cursor::new(le("a\n"))), None, false).unwrap();
    let mut v = Vec::new();
    r.read_to_end(&mut v).unwrap();
    assert_eq!((v, found), (le("a\n"), None));
}

#[test]
fn labels() {
    assert_eq!(Order::from_label("utf-16"), Some(Order::Le));
    assert_eq!(Order::from_label("UTF-16LE"), Some(Order::Le));
    assert_eq!(Order::from_label(" utf-16be "), Some(Order::Be));
    assert_eq!(Order::from_label("utf-8"), None);
    assert_eq!(Order::from_label("windows-1250"), None);
}
