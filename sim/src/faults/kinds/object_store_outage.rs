//! `object-store-outage`: the object store refuses every request (503, or no answer) until
//! the fault ends. The store is a regional service outside every zone and destroys no copy:
//! it costs the budget nothing.

use crate::faults::{Draw, Drawn, Effect, FaultKindModule, Heal, Resolved, Shape, TargetForm};
use crate::scenario_file::{FaultAction, Target};
use crate::world::World;

pub struct ObjectStoreOutage;

impl FaultKindModule for ObjectStoreOutage {
    fn name(&self) -> &'static str {
        "object-store-outage"
    }

    fn shape(&self) -> Shape {
        Shape::lasting(TargetForm::ObjectStore)
    }

    fn draw(&self, _draw: &mut Draw<'_>) -> Drawn {
        Drawn::at(Target::ObjectStore)
    }

    fn fire(&self, world: &World, _action: &FaultAction, _resolved: &Resolved) -> Effect {
        if world.object_store().is_none() {
            return Effect::nothing();
        }
        world.start_object_store_outage();
        Effect {
            heal: Some(Heal::new(|world, _| world.end_object_store_outage())),
            ..Effect::default()
        }
    }
}
