//! Probe tests (filled below).
