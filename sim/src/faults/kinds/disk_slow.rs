//! `disk-slow`: the node's disk is `latency_multiplier` times slower (default 20). The node
//! keeps every copy, late: the budget counts its zone only. A degradation the health
//! components exist to notice.

use crate::faults::{
    heal_disks_unless_held, Draw, Drawn, Effect, FaultKindModule, ParamValue, ParamValues, Resolved, Shape,
    TargetForm,
};
use crate::scenario_file::{FaultAction, FaultKeys, ScenarioError};
use crate::world::World;

pub struct DiskSlow;

/// Of a `disk-slow` fault that names none.
const DEFAULT_LATENCY_MULTIPLIER: f64 = 20.0;

impl FaultKindModule for DiskSlow {
    fn name(&self) -> &'static str {
        "disk-slow"
    }

    fn shape(&self) -> Shape {
        Shape::lasting(TargetForm::Node)
    }

    fn keys(&self, keys: &mut FaultKeys) -> Result<(), ScenarioError> {
        keys.number(
            "latency_multiplier",
            DEFAULT_LATENCY_MULTIPLIER,
            |multiplier| multiplier >= 1.0,
            "a number of at least 1",
            "20 makes the disk 20 times slower",
        )
        .map(|_| ())
    }

    fn random_keys(&self, keys: &mut FaultKeys) -> Result<(), ScenarioError> {
        keys.number(
            "disk_latency_multiplier",
            DEFAULT_LATENCY_MULTIPLIER,
            |multiplier| multiplier >= 1.0,
            "a number of at least 1",
            "20 makes a disk 20 times slower",
        )
        .map(|_| ())
    }

    fn draw(&self, draw: &mut Draw<'_>) -> Drawn {
        let multiplier = draw.params.number("disk_latency_multiplier");
        Drawn {
            params: ParamValues::default().with("latency_multiplier", ParamValue::Number(multiplier)),
            ..Drawn::at(draw.server())
        }
    }

    fn keeps_copies(&self, _action: &FaultAction) -> bool {
        true
    }

    fn degrades_broker(&self, _action: &FaultAction) -> bool {
        true
    }

    fn fire(&self, world: &World, action: &FaultAction, resolved: &Resolved) -> Effect {
        let multiplier = action.params.number("latency_multiplier");
        let targets = resolved.targets.clone();
        targets.iter().for_each(|name| world.slow_disk(name, multiplier));
        Effect {
            disks_held: targets.clone(),
            found_no_target: targets.is_empty(),
            heal: Some(heal_disks_unless_held(targets)),
            ..Effect::default()
        }
    }
}
