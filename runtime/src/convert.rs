//! The checked conversions of the `.pxy` language, `int(s)` and `ip(s)`: text from a request
//! (a header, a query parameter) to a number or an address, absent when the text is not one.
//! They never guess: no sign, no hexadecimal, no host names, nothing after the value.

use std::net::IpAddr;

/// `int(s)`: the decimal number `s` spells, if it spells one that fits in 64 bits. Spaces and
/// tabs around it are ignored (header values and list pieces often carry them); anything else
/// but the digits `0`–`9` makes it absent, as do a sign and an empty text.
pub fn to_int(s: &str) -> Option<u64> {
    let digits = s.trim_matches([' ', '\t']);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// `ip(s)`: the IPv4 or IPv6 address `s` spells (`10.0.0.1`, `2001:db8::1`), if it spells
/// one. Spaces and tabs around it are ignored; brackets, ports, zones and host names make it
/// absent.
pub fn to_ip(s: &str) -> Option<IpAddr> {
    s.trim_matches([' ', '\t']).parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn int_takes_decimal_digits_only() {
        assert_eq!(to_int("42"), Some(42));
        assert_eq!(to_int(" 7\t"), Some(7));
        assert_eq!(to_int("18446744073709551615"), Some(u64::MAX));
        for bad in [
            "",
            " ",
            "+1",
            "-1",
            "0x10",
            "1e3",
            "1 2",
            "18446744073709551616",
            "٣",
        ] {
            assert_eq!(to_int(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn ip_takes_addresses_only() {
        assert_eq!(to_ip("10.1.2.3"), Some([10, 1, 2, 3].into()));
        assert_eq!(to_ip(" 2001:db8::1 "), "2001:db8::1".parse().ok());
        for bad in [
            "",
            "10.0.0",
            "10.0.0.256",
            "[::1]",
            "10.0.0.1:80",
            "localhost",
            "fe80::1%eth0",
        ] {
            assert_eq!(to_ip(bad), None, "{bad:?}");
        }
    }
}
