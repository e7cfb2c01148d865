//! `object-store-slowdown`: a 503 storm; each object-store request fails with SlowDown with
//! probability `error_rate`.

use crate::devices::object_store::DEFAULT_STORM_ERROR_RATE;
use crate::faults::{
    Draw, Drawn, Effect, FaultKindModule, Heal, ParamValue, ParamValues, Resolved, Shape, TargetForm,
};
use crate::scenario_file::{FaultAction, FaultKeys, ScenarioError, Target};
use crate::world::World;

pub struct ObjectStoreSlowdown;

fn error_rate(keys: &mut FaultKeys, key: &'static str) -> Result<(), ScenarioError> {
    keys.number(
        key,
        DEFAULT_STORM_ERROR_RATE,
        |rate| rate > 0.0 && rate <= 1.0,
        "a number above 0 and at most 1",
        "0.8 answers four object-store requests in five with 503 SlowDown",
    )
    .map(|_| ())
}

impl FaultKindModule for ObjectStoreSlowdown {
    fn name(&self) -> &'static str {
        "object-store-slowdown"
    }

    fn shape(&self) -> Shape {
        Shape::lasting(TargetForm::ObjectStore)
    }

    fn keys(&self, keys: &mut FaultKeys) -> Result<(), ScenarioError> {
        error_rate(keys, "error_rate")
    }

    fn random_keys(&self, keys: &mut FaultKeys) -> Result<(), ScenarioError> {
        error_rate(keys, "object_store_error_rate")
    }

    fn draw(&self, draw: &mut Draw<'_>) -> Drawn {
        let rate = draw.params.number("object_store_error_rate");
        Drawn {
            params: ParamValues::default().with("error_rate", ParamValue::Number(rate)),
            ..Drawn::at(Target::ObjectStore)
        }
    }

    fn fire(&self, world: &World, action: &FaultAction, _resolved: &Resolved) -> Effect {
        if world.object_store().is_none() {
            return Effect::nothing();
        }
        let rate = action.params.number("error_rate");
        world.start_object_store_storm(rate);
        Effect {
            heal: Some(Heal::new(move |world, _| world.end_object_store_storm(rate))),
            ..Effect::default()
        }
    }
}
