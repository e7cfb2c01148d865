//! Simulated devices: implementations of `core`'s device traits that can be made to fail.

pub mod disk;
pub mod object_store;
