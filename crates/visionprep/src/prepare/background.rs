//! The background colour transparency is composited onto, as people write it: `white`,
//! `black`, `#rrggbb` or `r,g,b` (the CLI's `--background`, and the `background` setting of
//! Python and JavaScript, which also take `[r, g, b]`).

use serde::{Deserialize, Deserializer, de::Error as _};

/// A colour that is not `white`, `black`, `#rrggbb` or `r,g,b` (each 0 to 255).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown colour {0:?} (expected white, black, #rrggbb or r,g,b)")]
pub struct UnknownColor(pub String);

/// Reads a colour written as `white`, `black`, `#rrggbb` (or `rrggbb`) or `r,g,b`, case and
/// surrounding spaces ignored.
///
/// ```
/// use visionprep::prepare::parse_color;
/// assert_eq!(parse_color("#FF8000"), Ok([255, 128, 0]));
/// assert_eq!(parse_color("10, 20,30"), Ok([10, 20, 30]));
/// assert!(parse_color("mauve").is_err());
/// ```
pub fn parse_color(text: &str) -> Result<[u8; 3], UnknownColor> {
    let t = text.trim().to_ascii_lowercase();
    let bad = || UnknownColor(text.to_owned());
    match t.as_str() {
        "white" => return Ok([255, 255, 255]),
        "black" => return Ok([0, 0, 0]),
        _ => {}
    }
    if t.contains(',') {
        let parts: Vec<u8> = t
            .split(',')
            .map(|p| p.trim().parse::<u8>())
            .collect::<Result<_, _>>()
            .map_err(|_| bad())?;
        return <[u8; 3]>::try_from(parts).map_err(|_| bad());
    }
    let hex = t.strip_prefix('#').unwrap_or(&t);
    if hex.len() != 6 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(bad());
    }
    let byte = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).map_err(|_| bad());
    Ok([byte(0)?, byte(2)?, byte(4)?])
}

/// serde: a colour as `[r, g, b]` or as text [`parse_color`] reads.
pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<[u8; 3], D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Written {
        Channels([u8; 3]),
        Text(String),
    }
    match Written::deserialize(d) {
        Ok(Written::Channels(c)) => Ok(c),
        Ok(Written::Text(t)) => parse_color(&t).map_err(D::Error::custom),
        Err(_) => Err(D::Error::custom(
            "expected [r, g, b] (each 0 to 255), white, black, #rrggbb or r,g,b",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_by_name_hex_and_channels() {
        assert_eq!(parse_color("white"), Ok([255, 255, 255]));
        assert_eq!(parse_color(" Black "), Ok([0, 0, 0]));
        assert_eq!(parse_color("#FF8000"), Ok([255, 128, 0]));
        assert_eq!(parse_color("ff8000"), Ok([255, 128, 0]));
        assert_eq!(parse_color("10, 20,30"), Ok([10, 20, 30]));
        for bad in [
            "#12345", "1,2", "300,0,0", "mauve", "#ff80zz", "", "1,2,3,4",
        ] {
            assert_eq!(parse_color(bad), Err(UnknownColor(bad.to_owned())), "{bad}");
        }
    }

    #[test]
    fn settings_read_channels_or_text() {
        #[derive(Deserialize)]
        struct S {
            #[serde(deserialize_with = "deserialize")]
            c: [u8; 3],
        }
        let read = |v: serde_json::Value| serde_json::from_value::<S>(v).map(|s| s.c);
        assert_eq!(
            read(serde_json::json!({"c": [1, 2, 3]})).ok(),
            Some([1, 2, 3])
        );
        assert_eq!(
            read(serde_json::json!({"c": "#010203"})).ok(),
            Some([1, 2, 3])
        );
        for bad in [
            serde_json::json!({"c": [1, 2]}),
            serde_json::json!({"c": [256, 0, 0]}),
            serde_json::json!({"c": "mauve"}),
            serde_json::json!({"c": 7}),
        ] {
            assert!(read(bad.clone()).is_err(), "{bad}");
        }
    }
}
