//! The bytes of a record's key or value, as the history keeps them.
//!
//! In the history file a payload that is valid UTF-8 is a JSON string; any other payload is
//! `{"hex": "<lowercase hex>"}`. The same bytes always give the same JSON, so tools may compare
//! payloads by comparing their JSON values.

use std::fmt;

use bytes::Bytes;
use serde::de::{self, MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A key or value. Cloning shares the bytes, so a producer can record the very buffer it sends.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Payload(pub Bytes);

/// How many characters (or bytes, shown in hex) of a payload an operator message shows.
const SHOWN_CHARACTERS_MAX: usize = 32;

impl Payload {
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The payload cut short for messages: quoted text, or hex for binary payloads, with the
    /// full length when it was cut.
    pub fn abbreviated(&self) -> String {
        match std::str::from_utf8(&self.0) {
            Ok(text) if text.chars().count() <= SHOWN_CHARACTERS_MAX => format!("{text:?}"),
            Ok(text) => {
                let shown: String = text.chars().take(SHOWN_CHARACTERS_MAX).collect();
                format!("{shown:?}... ({} bytes)", self.0.len())
            }
            Err(_) if self.0.len() <= SHOWN_CHARACTERS_MAX / 2 => format!("0x{}", hex(&self.0)),
            Err(_) => format!(
                "0x{}... ({} bytes)",
                hex(&self.0[..SHOWN_CHARACTERS_MAX / 2]),
                self.0.len()
            ),
        }
    }
}

/// Shows the abbreviated form: messages name payloads, they do not dump them.
impl fmt::Display for Payload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.abbreviated())
    }
}

impl From<&str> for Payload {
    fn from(text: &str) -> Self {
        Payload(Bytes::copy_from_slice(text.as_bytes()))
    }
}

impl From<String> for Payload {
    fn from(text: String) -> Self {
        Payload(Bytes::from(text))
    }
}

impl From<Vec<u8>> for Payload {
    fn from(bytes: Vec<u8>) -> Self {
        Payload(Bytes::from(bytes))
    }
}

impl From<Bytes> for Payload {
    fn from(bytes: Bytes) -> Self {
        Payload(bytes)
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|start| u8::from_str_radix(text.get(start..start + 2)?, 16).ok())
        .collect()
}

impl Serialize for Payload {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match std::str::from_utf8(&self.0) {
            Ok(text) => serializer.serialize_str(text),
            Err(_) => {
                let mut map = serializer.serialize_map(Some(1))?;
                map.serialize_entry("hex", &hex(&self.0))?;
                map.end()
            }
        }
    }
}

impl<'de> Deserialize<'de> for Payload {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(PayloadVisitor)
    }
}

struct PayloadVisitor;

impl<'de> Visitor<'de> for PayloadVisitor {
    type Value = Payload;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(r#"a UTF-8 string or {"hex": "<lowercase hex>"}"#)
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Payload, E> {
        Ok(Payload::from(text))
    }

    fn visit_string<E: de::Error>(self, text: String) -> Result<Payload, E> {
        Ok(Payload::from(text))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Payload, A::Error> {
        let mut bytes = None;
        while let Some(field) = map.next_key::<String>()? {
            if field != "hex" || bytes.is_some() {
                return Err(de::Error::custom(format!("unexpected payload field {field:?}")));
            }
            let text: String = map.next_value()?;
            let decoded = unhex(&text).ok_or_else(|| de::Error::custom(format!("bad hex {text:?}")))?;
            bytes = Some(decoded);
        }
        bytes
            .map(Payload::from)
            .ok_or_else(|| de::Error::missing_field("hex"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_and_binary_payloads_round_trip_through_json() {
        for payload in [
            Payload::from("client-3-17"),
            Payload::from(""),
            Payload::from(vec![0xff, 0x00, 0x10]),
        ] {
            let json = serde_json::to_string(&payload).expect("payloads serialize");
            let back: Payload = serde_json::from_str(&json).expect("payloads deserialize");
            assert_eq!(back, payload, "{json}");
        }
        let binary = serde_json::to_string(&Payload::from(vec![0xff, 0x00])).expect("serialize");
        assert_eq!(binary, r#"{"hex":"ff00"}"#);
    }

    #[test]
    fn messages_show_payloads_cut_short() {
        assert_eq!(Payload::from("c1-2").to_string(), r#""c1-2""#);
        let long = Payload::from("x".repeat(40));
        assert_eq!(long.to_string(), format!("{:?}... (40 bytes)", "x".repeat(32)));
        assert_eq!(Payload::from(vec![0xff, 0x01]).to_string(), "0xff01");
    }

    #[test]
    fn malformed_hex_is_refused() {
        assert!(serde_json::from_str::<Payload>(r#"{"hex":"f"}"#).is_err());
        assert!(serde_json::from_str::<Payload>(r#"{"hex":"zz"}"#).is_err());
        assert!(serde_json::from_str::<Payload>(r#"{"text":"ab"}"#).is_err());
    }
}
