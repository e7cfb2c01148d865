//! The simulated object store (S3). See `fault_model.rs` for what it does wrong and how often.

mod event;

pub use event::StoreEvent;
