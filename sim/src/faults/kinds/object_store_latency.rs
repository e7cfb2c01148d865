//! `object-store-latency`: every object-store request takes `latency_multiplier` times longer.

use crate::devices::object_store::DEFAULT_LATENCY_MULTIPLIER;
use crate::faults::{
    Draw, Drawn, Effect, FaultKindModule, Heal, ParamValue, ParamValues, Resolved, Shape, TargetForm,
};
use crate::scenario_file::{FaultAction, FaultKeys, ScenarioError, Target};
use crate::world::World;

pub struct ObjectStoreLatency;

fn multiplier(keys: &mut FaultKeys, key: &'static str) -> Result<(), ScenarioError> {
    keys.number(
        key,
        DEFAULT_LATENCY_MULTIPLIER,
        |multiplier| multiplier >= 1.0,
        "a number of at least 1",
        "10 makes every object-store request 10 times slower",
    )
    .map(|_| ())
}

impl FaultKindModule for ObjectStoreLatency {
    fn name(&self) -> &'static str {
        "object-store-latency"
    }

    fn shape(&self) -> Shape {
        Shape::lasting(TargetForm::ObjectStore)
    }

    fn keys(&self, keys: &mut FaultKeys) -> Result<(), ScenarioError> {
        multiplier(keys, "latency_multiplier")
    }

    fn random_keys(&self, keys: &mut FaultKeys) -> Result<(), ScenarioError> {
        multiplier(keys, "object_store_latency_multiplier")
    }

    fn draw(&self, draw: &mut Draw<'_>) -> Drawn {
        let multiplier = draw.params.number("object_store_latency_multiplier");
        Drawn {
            params: ParamValues::default().with("latency_multiplier", ParamValue::Number(multiplier)),
            ..Drawn::at(Target::ObjectStore)
        }
    }

    fn fire(&self, world: &World, action: &FaultAction, _resolved: &Resolved) -> Effect {
        if world.object_store().is_none() {
            return Effect::nothing();
        }
        let multiplier = action.params.number("latency_multiplier");
        world.start_object_store_latency(multiplier);
        Effect {
            heal: Some(Heal::new(move |world, _| {
                world.end_object_store_latency(multiplier)
            })),
            ..Effect::default()
        }
    }
}
