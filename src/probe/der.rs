//! Just enough DER to read a certificate's subject and issuer names.

/// One tag-length-value: the tag, the contents, and what follows.
fn tlv(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 3 || rest.len() < n {
            return None;
        }
        let len = rest[..n]
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
        (len, &rest[n..])
    };
    if rest.len() < len {
        return None;
    }
    Some((tag, &rest[..len], &rest[len..]))
}

/// The subject and issuer of a DER certificate, as `CN=..., O=...`.
pub(crate) fn names(cert: &[u8]) -> Option<(String, String)> {
    let (0x30, cert, _) = tlv(cert)? else {
        return None;
    };
    let (0x30, tbs, _) = tlv(cert)? else {
        return None;
    };
    let mut rest = tbs;
    let (tag, _, after) = tlv(rest)?;
    if tag == 0xa0 {
        rest = after; // version
    }
    let (_, _, rest) = tlv(rest)?; // serial number
    let (_, _, rest) = tlv(rest)?; // signature algorithm
    let (0x30, issuer, rest) = tlv(rest)? else {
        return None;
    };
    let (_, _, rest) = tlv(rest)?; // validity
    let (0x30, subject, _) = tlv(rest)? else {
        return None;
    };
    Some((name(subject), name(issuer)))
}

/// A distinguished name's attributes in certificate order.
fn name(mut rdns: &[u8]) -> String {
    let mut parts = Vec::new();
    while let Some((_, set, rest)) = tlv(rdns) {
        rdns = rest;
        let mut atvs = set;
        while let Some((_, atv, rest)) = tlv(atvs) {
            atvs = rest;
            let Some((0x06, oid, value)) = tlv(atv) else {
                continue;
            };
            let label = match oid {
                [0x55, 0x04, 0x03] => "CN",
                [0x55, 0x04, 0x06] => "C",
                [0x55, 0x04, 0x07] => "L",
                [0x55, 0x04, 0x08] => "ST",
                [0x55, 0x04, 0x0a] => "O",
                [0x55, 0x04, 0x0b] => "OU",
                _ => continue,
            };
            let Some((tag, text, _)) = tlv(value) else {
                continue;
            };
            let text = match tag {
                0x0c | 0x13 | 0x16 | 0x14 => String::from_utf8_lossy(text),
                _ => continue,
            };
            let text: String = text.chars().filter(|c| !c.is_control()).take(120).collect();
            parts.push(format!("{label}={text}"));
        }
    }
    if parts.is_empty() {
        "(no name)".to_owned()
    } else {
        parts.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncated_or_garbage_input_is_none_never_a_panic() {
        for input in [
            &b""[..],
            b"\x30",
            b"\x30\x84\xff\xff\xff\xff",
            b"\x30\x03\x30\x01",
        ] {
            assert_eq!(names(input), None);
        }
    }

    #[test]
    fn reads_a_name() {
        // SEQUENCE { SET { SEQUENCE { OID 2.5.4.3, UTF8String "Test CA" } },
        //            SET { SEQUENCE { OID 2.5.4.10, PrintableString "Acme" } } }
        let dn = b"\x31\x10\x30\x0e\x06\x03\x55\x04\x03\x0c\x07Test CA\
                   \x31\x0d\x30\x0b\x06\x03\x55\x04\x0a\x13\x04Acme";
        assert_eq!(name(dn), "CN=Test CA, O=Acme");
    }
}
