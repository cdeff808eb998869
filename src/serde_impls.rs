//! `serde` support for the configuration types (the `serde` feature).
//!
//! Each type (de)serialises as the text its `Display` / `FromStr` use, so a
//! configuration file reads as the CLI and the environment do, and errors
//! carry the crate's message (passwords as `***`). Serialising never writes
//! a password: a [`Proxy`] or [`ProxyRules`] keeps its user name only, and
//! [`Credentials`] serialise as `{ username }`, Postman's [`ProxyConfig`]s as
//! their JSON definition without `password`.

use std::fmt;
use std::str::FromStr;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

use crate::bypass::BypassSyntax;
use crate::dialect::Dialect;
use crate::error::Origin;
use crate::json::Value;
use crate::postman::{ProxyConfig, ProxyConfigList};
use crate::proxy::{Credentials, Proxy, ProxyScheme};
use crate::proxy_rules::ProxyRules;

/// Deserialises any `FromStr` type from a string, keeping its error text.
struct TextVisitor<T>(&'static str, std::marker::PhantomData<T>);

impl<T> Visitor<'_> for TextVisitor<T>
where
    T: FromStr,
    T::Err: fmt::Display,
{
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<T, E> {
        text.parse().map_err(E::custom)
    }
}

fn from_text<'de, D, T>(deserializer: D, expecting: &'static str) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: FromStr,
    T::Err: fmt::Display,
{
    deserializer.deserialize_str(TextVisitor(expecting, std::marker::PhantomData))
}

macro_rules! as_text {
    ($ty:ty, $expecting:literal, |$v:ident| $text:expr) => {
        impl Serialize for $ty {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                let $v = self;
                serializer.serialize_str(&$text)
            }
        }

        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                from_text(deserializer, $expecting)
            }
        }
    };
}

as_text!(ProxyScheme, "a proxy scheme such as http or socks5h", |v| v
    .as_str());
as_text!(Dialect, "a dialect such as curl or go", |v| v.as_str());
as_text!(
    BypassSyntax,
    "a bypass syntax such as no-proxy or windows",
    |v| v.as_str()
);
as_text!(Proxy, "a proxy URL such as http://proxy:3128", |v| v
    .url_without_password());
as_text!(
    ProxyRules,
    "proxy rules such as http=h:3128;https=h:3128",
    |v| v.without_passwords().to_string()
);

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename = "Credentials")]
struct CredentialsForm {
    username: String,
    #[serde(default, skip_serializing)]
    password: Option<String>,
}

impl Serialize for Credentials {
    /// `{ "username": ... }`: the password is never written.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        CredentialsForm {
            username: self.username().to_owned(),
            password: None,
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Credentials {
    /// `{ "username": ..., "password": ... }`, the password optional.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let form = CredentialsForm::deserialize(deserializer)?;
        Ok(Credentials::new(form.username, form.password.as_deref()))
    }
}

// ===== Postman's configs =====

/// Any value a format can hold, read into the JSON model that Postman's
/// reader takes, so that a TOML table and a JSON object mean the same.
pub(crate) struct Definition(pub(crate) Value);

struct DefinitionVisitor;

impl<'de> Visitor<'de> for DefinitionVisitor {
    type Value = Definition;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a Postman ProxyConfig definition")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Definition, E> {
        Ok(Definition(Value::Bool(v)))
    }

    // JSON numbers are doubles, as in Postman.
    #[allow(clippy::cast_precision_loss)]
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Definition, E> {
        Ok(Definition(Value::Number(v as f64)))
    }

    #[allow(clippy::cast_precision_loss)]
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Definition, E> {
        Ok(Definition(Value::Number(v as f64)))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Definition, E> {
        Ok(Definition(Value::Number(v)))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Definition, E> {
        Ok(Definition(Value::String(v.to_owned())))
    }

    fn visit_none<E: de::Error>(self) -> Result<Definition, E> {
        Ok(Definition(Value::Null))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Definition, E> {
        Ok(Definition(Value::Null))
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Definition, D::Error> {
        Definition::deserialize(d)
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Definition, A::Error> {
        let mut items = Vec::new();
        while let Some(Definition(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(Definition(Value::Array(items)))
    }

    fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Definition, A::Error> {
        let mut members = Vec::new();
        while let Some((key, Definition(value))) = map.next_entry::<String, Definition>()? {
            members.push((key, value));
        }
        Ok(Definition(Value::Object(members)))
    }
}

impl<'de> Deserialize<'de> for Definition {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(DefinitionVisitor)
    }
}

impl Serialize for Definition {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        write_value(&self.0, serializer)
    }
}

/// A borrowed value, for writing nested items without copying them.
struct Written<'a>(&'a Value);

impl Serialize for Written<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        write_value(self.0, serializer)
    }
}

fn write_value<S: Serializer>(value: &Value, serializer: S) -> Result<S::Ok, S::Error> {
    use serde::ser::{SerializeMap, SerializeSeq};
    match value {
        Value::Null => serializer.serialize_unit(),
        Value::Bool(b) => serializer.serialize_bool(*b),
        // Whole numbers as integers, so that TOML writes `port = 3128`.
        #[allow(clippy::cast_possible_truncation)]
        Value::Number(n) if n.fract() == 0.0 && n.abs() < 9.0e15 => {
            serializer.serialize_i64(*n as i64)
        }
        Value::Number(n) => serializer.serialize_f64(*n),
        Value::String(s) => serializer.serialize_str(s),
        Value::Array(items) => {
            let mut seq = serializer.serialize_seq(Some(items.len()))?;
            for item in items {
                seq.serialize_element(&Written(item))?;
            }
            seq.end()
        }
        Value::Object(members) => {
            let mut map = serializer.serialize_map(Some(members.len()))?;
            for (key, item) in members {
                map.serialize_entry(key, &Written(item))?;
            }
            map.end()
        }
    }
}

impl Serialize for ProxyConfig {
    /// Postman's JSON definition *without the password* (`id`, `host`,
    /// `port`, `protocol`, `match`, `bypass`, `tunnel`, `disabled`,
    /// `authenticate`, `username`). A config speaking `https` to the proxy
    /// cannot be written (Postman's `protocol` has no such value): an error.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let value = self.to_definition().map_err(serde::ser::Error::custom)?;
        write_value(&value, serializer)
    }
}

impl<'de> Deserialize<'de> for ProxyConfig {
    /// One definition, read as [`ProxyConfigList::from_json`] reads each:
    /// Postman's coercions, ignored fields recorded as violations.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let Definition(value) = Definition::deserialize(deserializer)?;
        Ok(ProxyConfig::from_value(&value, Origin::Text))
    }
}

impl Serialize for ProxyConfigList {
    /// The configs in order, each without its password.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.configs())
    }
}

impl<'de> Deserialize<'de> for ProxyConfigList {
    /// An array of definitions, read as [`ProxyConfigList::from_json`] reads
    /// one (violations name `input config N`).
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let items = Vec::<Definition>::deserialize(deserializer)?;
        let items: Vec<Value> = items.into_iter().map(|Definition(v)| v).collect();
        Ok(ProxyConfigList::from_values(&items, &Origin::Text))
    }
}
