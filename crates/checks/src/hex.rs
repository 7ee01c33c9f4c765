//! Lower-case hex text of bytes: task keys, group keys, token hashes, signatures.
//!
//! One `String` of the exact length, written a byte at a time: `format!("{b:02x}")` per byte
//! allocated a string for each byte, which was 15 % of a 10,000-site config reload (two
//! SHA-256 keys per task).

const DIGITS: &[u8; 16] = b"0123456789abcdef";

/// `bytes` as lower-case hex, two digits per byte.
pub fn encode(bytes: &[u8]) -> String {
    let mut text = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        text.push(char::from(DIGITS[usize::from(b >> 4)]));
        text.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::encode;

    #[test]
    fn each_byte_is_two_lower_case_digits_in_order() {
        assert_eq!(encode(&[]), "");
        assert_eq!(encode(&[0x00, 0x0f, 0xa0, 0xff, 0x3c]), "000fa0ff3c");
        let all: Vec<u8> = (0..=255).collect();
        let slow: String = all.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(encode(&all), slow);
    }
}
