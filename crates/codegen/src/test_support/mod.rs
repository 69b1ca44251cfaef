//! Generators of the repository's test support, not of the client or the package: typed
//! calls of every operation from JSON (`v1_calls`, `v2_calls`), schema name -> generated
//! type (`registry`), and the documented examples checked by `tsc` (`ts_examples`). Regen
//! writes their outputs with the rest.

pub mod registry;
pub mod ts_examples;
pub mod v1_calls;
pub mod v2_calls;
