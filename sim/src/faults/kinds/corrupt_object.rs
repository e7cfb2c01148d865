//! `corrupt-object`: one byte of one stored segment object is silently changed (at one
//! instant). Never drawn at random: a tiered segment whose local copies are gone has no other
//! copy.

use crate::faults::{Corruption, Draw, Drawn, Effect, FaultKindModule, Resolved, Shape, TargetForm};
use crate::scenario_file::{FaultAction, Target};
use crate::world::World;

pub struct CorruptObject;

impl FaultKindModule for CorruptObject {
    fn name(&self) -> &'static str {
        "corrupt-object"
    }

    fn shape(&self) -> Shape {
        Shape {
            target: TargetForm::ObjectStore,
            far_end: false,
            instantaneous: true,
            corrupts_data: true,
            not_drawn: Some((
                "a tiered segment whose local copies are gone has no other copy, so corrupting it is outside any fault budget",
                "corrupt an object with a fixed [[faults]] entry, in a scenario that expects the audit to catch it",
            )),
        }
    }

    fn draw(&self, _draw: &mut Draw<'_>) -> Drawn {
        Drawn::at(Target::ObjectStore)
    }

    /// A corruption that found no segment says so itself (the store's own trace entry).
    fn fire(&self, world: &World, _action: &FaultAction, _resolved: &Resolved) -> Effect {
        if world.object_store().is_none() {
            return Effect::nothing();
        }
        let corrupted = world.corrupt_object().map(|(key, _)| key);
        Effect {
            corruption: Some(Corruption::ObjectCorrupted(corrupted)),
            ..Effect::default()
        }
    }
}
