//! The guides from the repository's `docs/` directory, one module each, so
//! that docs.rs shows them and every Rust example in them runs as a doc test.
//!
//! Each module is empty: its documentation is the guide. A new guide is one
//! more `#[doc = include_str!("../docs/NAME.md")] pub mod NAME {}` line.

#[doc = include_str!("../docs/troubleshooting.md")]
pub mod troubleshooting {}
#[doc = include_str!("../docs/cli.md")]
pub mod cli {}
#[doc = include_str!("../docs/bypass-syntaxes.md")]
pub mod bypass_syntaxes {}
#[doc = include_str!("../docs/configuration.md")]
pub mod configuration {}
#[doc = include_str!("../docs/performance.md")]
pub mod performance {}
#[doc = include_str!("../docs/probe.md")]
#[cfg(feature = "probe")]
pub mod probe {}
#[doc = include_str!("../docs/system.md")]
pub mod system {}
#[doc = include_str!("../docs/watch.md")]
#[cfg(feature = "watch")]
pub mod watch {}
#[doc = include_str!("../docs/api.md")]
pub mod api {}
#[doc = include_str!("../docs/dialects.md")]
pub mod dialects {}
#[doc = include_str!("../docs/pac.md")]
pub mod pac {}
#[doc = include_str!("../docs/clients.md")]
#[cfg(all(feature = "hyper", feature = "reqwest", feature = "ureq"))]
pub mod clients {}
