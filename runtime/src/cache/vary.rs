//! `Vary`: a response that names request headers is stored once per combination of their
//! values. The primary key then holds the list of names; each variant lives under the primary
//! key extended with the request's values (normalised where that is safe).

use http::header::ACCEPT_ENCODING;
use http::{HeaderMap, HeaderName};

/// The request headers a response varies on; `Err(())` for `Vary: *` (never served from
/// the cache, so never stored).
pub(crate) fn names(response: &HeaderMap) -> Result<Vec<HeaderName>, ()> {
    let mut names = Vec::new();
    for value in response.get_all(http::header::VARY) {
        let Ok(value) = value.to_str() else { continue };
        for name in value.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            if name == "*" {
                return Err(());
            }
            if let Ok(name) = HeaderName::from_bytes(name.to_ascii_lowercase().as_bytes()) {
                if !names.contains(&name) {
                    names.push(name);
                }
            }
        }
    }
    names.sort_by(|a, b| a.as_str().cmp(b.as_str()));
    Ok(names)
}

/// The key of the variant of `primary` that `request` selects among `names`.
pub(crate) fn variant_key(primary: &str, names: &[HeaderName], request: &HeaderMap) -> String {
    let mut key = String::with_capacity(primary.len() + 32 * names.len());
    key.push_str(primary);
    for name in names {
        key.push('\u{1}');
        key.push_str(name.as_str());
        key.push(':');
        let values = request
            .get_all(name)
            .iter()
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .collect::<Vec<_>>()
            .join(",");
        if *name == ACCEPT_ENCODING {
            key.push_str(&normalise_codings(&values));
        } else {
            key.push_str(values.trim());
        }
    }
    key
}

/// `Accept-Encoding` in a canonical form: lower-case codings, sorted, without spaces, so that
/// `gzip, br` and `br,gzip` share a variant.
fn normalise_codings(value: &str) -> String {
    let mut codings = value
        .split(',')
        .map(|c| c.trim().to_ascii_lowercase().replace(' ', ""))
        .filter(|c| !c.is_empty())
        .collect::<Vec<_>>();
    codings.sort();
    codings.dedup();
    codings.join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, http::HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn vary_star_is_refused_and_names_are_lower_cased_and_sorted() {
        assert!(names(&headers(&[("vary", "Accept, *")])).is_err());
        let got = names(&headers(&[
            ("vary", "X-Lang, accept-encoding"),
            ("vary", "x-lang"),
        ]));
        assert_eq!(
            got.expect("names"),
            vec![ACCEPT_ENCODING, HeaderName::from_static("x-lang")]
        );
    }

    #[test]
    fn accept_encoding_is_normalised_and_other_values_separate() {
        let names = [ACCEPT_ENCODING, HeaderName::from_static("x-lang")];
        let a = variant_key("k", &names, &headers(&[("accept-encoding", "gzip, br")]));
        let b = variant_key("k", &names, &headers(&[("accept-encoding", "br,GZIP")]));
        assert_eq!(a, b);
        let fr = headers(&[("accept-encoding", "br"), ("x-lang", "fr")]);
        let en = headers(&[("accept-encoding", "br"), ("x-lang", "en")]);
        assert_ne!(variant_key("k", &names, &fr), variant_key("k", &names, &en));
    }
}
