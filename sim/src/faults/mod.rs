//! Faults: what the world records when one is injected or healed ([`FaultEvent`]), and the
//! fault kinds a scenario can name, each one module of `kinds/` behind [`FaultKindModule`].

mod event;
mod kind;
pub mod kinds;
mod params;

pub use event::FaultEvent;
pub use kind::*;
pub use params::{ParamValue, ParamValues};
