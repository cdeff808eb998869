//! `serde` support for the configuration types (the `serde` feature).
//!
//! Each type (de)serialises as the text its `Display` / `FromStr` use, so a
//! configuration file reads as the CLI and the environment do, and errors
//! carry the crate's message (passwords as `***`). Serialising never writes
//! a password: a [`Proxy`] or [`ProxyRules`] keeps its user name only, and
//! [`Credentials`] serialise as `{ username }`.

use std::fmt;
use std::str::FromStr;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

use crate::bypass::BypassSyntax;
use crate::dialect::Dialect;
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
